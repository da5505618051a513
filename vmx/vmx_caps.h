/* SPDX-License-Identifier: MIT */
/*
 * VMX capability negotiation (docs/style.md item 8): one pure function turns the
 * raw VMX capability MSRs (Intel SDM vol. 3D appendix A) and Keel's policy
 * into the VM-execution, VM-exit and VM-entry controls every VMCS starts
 * from, or names the missing feature Keel cannot run without.  Host unit
 * tests feed it fake MSR sets (tests/unit/test_vmx_caps.c).
 */
#ifndef KEEL_VMX_VMX_CAPS_H
#define KEEL_VMX_VMX_CAPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Capability MSRs (SDM appendix A; vol. 4 table 2-2) */
#define MSR_IA32_VMX_BASIC              0x480u
#define MSR_IA32_VMX_PINBASED_CTLS      0x481u
#define MSR_IA32_VMX_PROCBASED_CTLS     0x482u
#define MSR_IA32_VMX_EXIT_CTLS          0x483u
#define MSR_IA32_VMX_ENTRY_CTLS         0x484u
#define MSR_IA32_VMX_MISC               0x485u
#define MSR_IA32_VMX_CR0_FIXED0         0x486u
#define MSR_IA32_VMX_CR0_FIXED1         0x487u
#define MSR_IA32_VMX_CR4_FIXED0         0x488u
#define MSR_IA32_VMX_CR4_FIXED1         0x489u
#define MSR_IA32_VMX_VMCS_ENUM          0x48au
#define MSR_IA32_VMX_PROCBASED_CTLS2    0x48bu
#define MSR_IA32_VMX_EPT_VPID_CAP       0x48cu
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48du
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48eu
#define MSR_IA32_VMX_TRUE_EXIT_CTLS     0x48fu
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS    0x490u
#define MSR_IA32_VMX_VMFUNC             0x491u
#define MSR_IA32_VMX_PROCBASED_CTLS3    0x492u  /* 64 allowed-1 bits, no allowed-0 half */
#define MSR_IA32_VMX_EXIT_CTLS2         0x493u

/* IA32_VMX_BASIC (A.1) */
#define VMX_BASIC_REVISION_MASK         0x7fffffffull      /* VMCS revision identifier */
#define VMX_BASIC_VMCS_SIZE_SHIFT       32
#define VMX_BASIC_VMCS_SIZE_MASK        0x1fffull          /* bits 44:32, bytes */
#define VMX_BASIC_PHYS_ADDR_32          (1ull << 48)       /* VMXON/VMCS addresses < 4 GiB */
#define VMX_BASIC_DUAL_MONITOR          (1ull << 49)
#define VMX_BASIC_MEMTYPE_SHIFT         50
#define VMX_BASIC_MEMTYPE_MASK          0xfull             /* bits 53:50 */
#define VMX_BASIC_MEMTYPE_WB            6u
#define VMX_BASIC_INS_OUTS_INFO         (1ull << 54)       /* exit instruction info for INS/OUTS */
#define VMX_BASIC_TRUE_CTLS             (1ull << 55)       /* IA32_VMX_TRUE_*_CTLS exist */
#define VMX_BASIC_NO_ERRCODE_CHECK      (1ull << 56)       /* any exception may carry an error code */

/* IA32_VMX_MISC (A.6) */
#define VMX_MISC_PREEMPT_SHIFT_MASK     0x1full    /* timer counts at TSC >> this */
#define VMX_MISC_EXIT_SAVES_LMA         (1ull << 5)
#define VMX_MISC_ACT_HLT                (1ull << 6)
#define VMX_MISC_ACT_SHUTDOWN           (1ull << 7)
#define VMX_MISC_ACT_WAIT_SIPI          (1ull << 8)
#define VMX_MISC_CR3_TARGETS_SHIFT      16
#define VMX_MISC_CR3_TARGETS_MASK       0x1ffull
#define VMX_MISC_MSR_LIST_SHIFT         25         /* 512 * (N + 1) entries recommended max */
#define VMX_MISC_MSR_LIST_MASK          0x7ull
#define VMX_MISC_VMWRITE_ANY            (1ull << 29)
#define VMX_MISC_INJECT_ZERO_LEN        (1ull << 30)

/* IA32_VMX_EPT_VPID_CAP (A.10) */
#define VMX_EPT_CAP_EXEC_ONLY           (1ull << 0)
#define VMX_EPT_CAP_WALK_4              (1ull << 6)   /* page-walk length 4 */
#define VMX_EPT_CAP_WALK_5              (1ull << 7)
#define VMX_EPT_CAP_MT_UC               (1ull << 8)   /* EPT structures may be UC */
#define VMX_EPT_CAP_MT_WB               (1ull << 14)  /* EPT structures may be WB */
#define VMX_EPT_CAP_2M                  (1ull << 16)
#define VMX_EPT_CAP_1G                  (1ull << 17)
#define VMX_EPT_CAP_INVEPT              (1ull << 20)
#define VMX_EPT_CAP_AD                  (1ull << 21)  /* accessed and dirty flags */
#define VMX_EPT_CAP_ADV_EXIT_INFO       (1ull << 22)
#define VMX_EPT_CAP_INVEPT_SINGLE       (1ull << 25)  /* single-context INVEPT */
#define VMX_EPT_CAP_INVEPT_ALL          (1ull << 26)  /* all-context INVEPT */
#define VMX_VPID_CAP_INVVPID            (1ull << 32)
#define VMX_VPID_CAP_INVVPID_ADDR       (1ull << 40)  /* individual-address */
#define VMX_VPID_CAP_INVVPID_SINGLE     (1ull << 41)  /* single-context */
#define VMX_VPID_CAP_INVVPID_ALL        (1ull << 42)  /* all-context */
#define VMX_VPID_CAP_INVVPID_SINGLE_NG  (1ull << 43)  /* single-context, retaining globals */

/* INVEPT / INVVPID types (SDM vol. 3C 30.3, INVEPT and INVVPID) */
#define VMX_INVEPT_SINGLE               1u
#define VMX_INVEPT_ALL                  2u
#define VMX_INVVPID_ADDR                0u
#define VMX_INVVPID_SINGLE              1u
#define VMX_INVVPID_ALL                 2u
#define VMX_INVVPID_SINGLE_NG           3u

/* The raw capability MSR values, read once at boot (fakes in unit tests).
 * procbased2 matters only when the primary controls allow "activate
 * secondary controls", procbased3 only when they allow "activate tertiary
 * controls", true_* only when basic bit 55 is set. */
struct vmx_cap_msrs {
    uint64_t basic, pinbased, procbased, procbased2, procbased3, exit, entry, misc, ept_vpid;
    uint64_t true_pinbased, true_procbased, true_exit, true_entry;
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1, vmfunc;
};

/* What Keel will use: each flag is true only when the CPU allows it, the
 * policy wants it and its dependencies are met.  Flags marked "available"
 * are capabilities the run loop turns on per vCPU as it needs them; they
 * are never set in the negotiated control words. */
struct vmx_features {
    /* EPT and VPID (IA32_VMX_EPT_VPID_CAP) */
    bool ept, ept_2m, ept_1g, ept_ad, ept_exec_only;
    bool invept_single, invept_all;
    bool vpid, invvpid_addr, invvpid_single, invvpid_all;
    bool unrestricted_guest;
    /* Interrupts and NMIs */
    bool ack_intr_on_exit;       /* the exit interruption info holds the vector */
    bool virtual_nmis;
    bool nmi_window;             /* available (needs virtual NMIs) */
    bool preemption_timer;       /* available */
    uint8_t preemption_timer_shift;  /* the timer ticks at TSC >> shift */
    /* APIC virtualization */
    bool tpr_shadow;
    bool virt_apic_access;       /* set at reset: guests start in xAPIC mode */
    bool virt_x2apic;            /* available: swapped in for virt_apic_access in x2APIC mode */
    bool apic_reg_virt, virt_intr_delivery, posted_intr, ipi_virt;
    /* Instructions the guest may execute only with the control set; the
     * CPUID policy must hide them when false (they #UD in the guest). */
    bool invpcid, xsaves;
    /* Other */
    bool true_controls;          /* the TRUE_* MSRs were used */
    bool debug_ctls;             /* DR7/IA32_DEBUGCTL saved on exit, loaded on entry */
    bool act_hlt, act_shutdown, act_wait_sipi;  /* guest activity states supported */
};

struct vmx_controls {
    uint32_t pin, proc, proc2, exit, entry;
    uint64_t proc3;
    struct vmx_features f;
    uint32_t revision;           /* VMCS revision identifier for VMXON/VMCS regions */
    uint32_t vmcs_size;          /* bytes the CPU uses of a VMXON/VMCS region */
    uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
    /* CR0 bits a guest must keep set: cr0_fixed0 less PE and PG, which
     * unrestricted guest lets the guest clear (SDM 26.3.1.1). */
    uint64_t guest_cr0_fixed0;
};

/* What keel.cfg and the APIC-virtualization inhibit logic allow. */
struct vmx_policy {
    bool want_apicv;             /* virtualize APIC accesses / x2APIC mode, register virt., VID */
    bool want_posted_intr;       /* also needs want_apicv (VID) */
    bool want_ipiv;              /* also needs want_posted_intr */
};

/*
 * Choose the controls.  Returns 0 with *out filled, or -1 with err holding
 * one line naming the missing required feature, e.g.
 *   "VMX lacks required control: secondary 'enable EPT'
 *    (IA32_VMX_PROCBASED_CTLS2 bit 1 allowed-1 = 0)".
 * caps and out must not be NULL; pol NULL means a policy that wants nothing
 * optional; err may be NULL (or errlen 0).  Pure: no MSR access, no globals.
 */
int vmx_negotiate(const struct vmx_cap_msrs *caps, const struct vmx_policy *pol,
                  struct vmx_controls *out, char *err, size_t errlen);

/* One boot-log line ("vmx: rev 0x4 vmcs 4096 ept(2m,1g,ad) vpid ...") into
 * buf, always NUL-terminated when len > 0; returns its length (at most
 * len - 1). */
size_t vmx_controls_describe(const struct vmx_controls *c, char *buf, size_t len);

#endif /* KEEL_VMX_VMX_CAPS_H */
