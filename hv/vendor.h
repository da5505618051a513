/* SPDX-License-Identifier: MIT */
/*
 * The vendor operations table.  Exactly one `const struct vcpu_ops` is
 * chosen at boot from CPUID (svm_ops on AMD, vmx_ops on Intel); shared code
 * calls through `vops` and never tests the vendor itself.
 */
#ifndef KEEL_HV_VENDOR_H
#define KEEL_HV_VENDOR_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/emul/exit.h"
#include "hv/emul/guest_walk.h"
#include "hv/mm/npt.h"
#include "hv/emul/x86_decode.h"

struct apic_accel_caps;
struct apic_dest_view;
struct percpu;
struct vcpu;
struct vcpu_entry_state;
struct vm;

/* Everything a fetch of the instruction at RIP needs (hv/vm.c
 * decode_rip), read in one vendor call: without nRIP every CPUID, MSR,
 * VMMCALL, HLT and MMIO exit decodes its instruction, and four indirect
 * calls for these cost about as much as the walk memo's check
 * (docs/exit-path.md, fifth round). */
struct guest_fetch_regs {
    struct guest_paging_regs paging;
    uint64_t cs_base;
    enum x86_mode mode;
    unsigned cpl;
};

/* Event types for injection (the same numbers as VMCB EVENTINJ.TYPE and
 * VMCS interruption-information type where they overlap). */
enum event_type { EVENT_EXTINT = 0, EVENT_NMI = 2, EVENT_EXCEPTION = 3, EVENT_SOFTINT = 4 };

/* vcpu_ops.nmi_hw */
#define NMI_HW_ON      (1u << 0)  /* the CPU tracks the guest's NMIs (vNMI enabled) */
#define NMI_HW_PENDING (1u << 1)  /* it holds one NMI not delivered yet (V_NMI) */
#define NMI_HW_BLOCKED (1u << 2)  /* an NMI handler runs (V_NMI_MASK) */

struct vcpu_ops {
    const char *name;
    const struct npt_format *npt_format;
    /* The largest nested page the CPU walks (after probe): 1 (4 KiB), 2
     * (2 MiB) or 3 (1 GiB); npt_init()'s max_level. */
    unsigned (*npt_max_level)(void);
    /* Architecture differences the vendor-neutral code must reproduce. */
    bool x2apic_icr_bit12_gp;     /* AMD: #GP; Intel: ignored */
    /* Performance-counter MSRs every CPU of the vendor has without a CPUID
     * bit (AMD's four legacy PERF_CTL/PERF_CTR pairs, APM 13.2.1): they
     * must not #GP.  Keel keeps what the guest writes; nothing counts. */
    uint32_t arch_perf_msr_base;
    unsigned arch_perf_msr_count;
    /* RDPMC counter i (i < arch_pmc_count) is the MSR arch_pmc_msr_base + i
     * among those (AMD: PERF_CTR0..3 at C0010004H, APM vol. 3 "RDPMC");
     * 0: RDPMC #GPs. */
    uint32_t arch_pmc_msr_base;
    unsigned arch_pmc_count;
    /* IA32_MISC_ENABLE (1A0H), architectural on Intel (SDM vol. 4 table 2-2),
     * absent on AMD: Linux reads it in its first instructions on Intel. */
    bool has_misc_enable;
    /* What the CPU can accelerate of the APIC (filled by probe); NULL or
     * all false: the APIC is always emulated. */
    const struct apic_accel_caps *apic_accel_caps;
    /* Detect and print the CPU's virtualization features; 0 if usable,
     * otherwise a negative value after printing which feature is missing. */
    int (*probe)(void);
    /* Per physical CPU: turn virtualization on (EFER.SVME / VMXON). */
    int (*cpu_enable)(struct percpu *pc);
    int (*vm_init)(struct vm *vm);
    int (*vcpu_init)(struct vcpu *v);
    /* On the vCPU's own physical CPU, before its first entry (VMX: make
     * the VMCS current there).  NULL when nothing is needed. */
    int (*vcpu_load)(struct vcpu *v);
    /* Install an architectural entry state built by hv/vcpu_state.c (the
     * caller sets GPRs, RIP and RFLAGS); a queued event, the interrupt
     * shadow and pending windows are dropped as by a reset.  On the vCPU's
     * CPU, or anywhere before its first entry (VMX applies it then). */
    void (*load_state)(struct vcpu *v, const struct vcpu_entry_state *s);
    /* Enter the guest until the next exit; fills *e.  Syncs v->gpr/rip/rflags. */
    void (*vcpu_run)(struct vcpu *v, struct exit_record *e);
    void (*inject_event)(struct vcpu *v, enum event_type type, uint8_t vector,
                         bool has_error, uint32_t error);
    /* An event is already queued for the next entry (an exception, or one
     * whose delivery an exit interrupted and that must be re-injected). */
    bool (*event_queued)(struct vcpu *v);
    /* The event queued for the next entry, if any: its type (enum
     * event_type's numbers, the vendor's own beyond them) and vector.  For
     * the shell's trace (hv/trace.h); NULL: not traced. */
    bool (*queued_event)(struct vcpu *v, uint8_t *type, uint8_t *vector);
    /* STI / MOV SS interrupt shadow in effect at the exit. */
    bool (*in_shadow)(struct vcpu *v);
    void (*clear_shadow)(struct vcpu *v);
    /* Exit as soon as the guest can take an external interrupt (RFLAGS.IF
     * set, no shadow): VINTR on SVM, interrupt-window exiting on VMX. */
    void (*set_intr_window)(struct vcpu *v, bool on);
    /* Instead of the window's exit: hand @vector to the CPU, which
     * delivers it through the guest's IDT by itself as soon as RFLAGS.IF
     * is set and no shadow holds it back (SVM V_IRQ without the VINTR
     * intercept, APM 15.21.4), at the same instruction boundary as the
     * window's exit.  Unless virq_tpr_gated, the CPU does not look at the
     * TPR meanwhile, so every guest write of CR8 exits while it is handed
     * over.  The next exit says whether it was delivered
     * (exit_record.virq_taken); set_intr_window(v, false) takes it back.
     * NULL: no such delivery. */
    void (*set_virq)(struct vcpu *v, uint8_t vector);
    /* Whether set_virq's vector also waits for the guest's TPR: the CPU
     * takes it only while its priority class is above TPR's, comparing as
     * the APIC does (SDM 11.8.3.1), so that TPR writes need no exit and a
     * vector TPR alone holds back can be handed over as well.  SVM: V_IRQ
     * with V_INTR_PRIO and V_TPR compared, if the boot-time probe found
     * how this CPU compares them (svm/svm_probe.c).  NULL: never. */
    bool (*virq_tpr_gated)(void);
    /* Whether set_virq is also the way in for a vector the guest can take
     * at once (RFLAGS.IF set, no shadow), instead of inject_event: where
     * the vendor's injection of an external interrupt may be delivered
     * twice (QEMU 7.2's TCG, docs/platforms.md).  The CPU then takes it
     * before the first guest instruction.  NULL: never. */
    bool (*virq_with_if)(void);
    /* While TPR alone holds back a requested interrupt of priority class
     * `cls` (-1: none), the guest lowering its TPR below it must exit at
     * once (the CPU would deliver right after): a CR8-write intercept on
     * SVM, the TPR threshold (or CR8-load exiting) on VMX. */
    void (*set_tpr_threshold)(struct vcpu *v, int cls);
    /* Exit on the guest's next IRET (the end of an NMI handler): before it
     * executes on SVM (the IRET intercept); on VMX once the CPU's
     * virtual-NMI blocking ended and no shadow blocks an NMI (NMI-window
     * exiting), which is exactly when one can be delivered. */
    void (*set_iret_exit)(struct vcpu *v, bool on);
    /* NMIs (hv/emul/nmi.c, docs/nmi.md).  nmi_window_exits: set_iret_exit
     * is an NMI window (VMX): it also ends an STI / MOV SS shadow or a
     * queued event exactly; false: the IRET intercept (SVM), which Keel
     * follows by single-stepping the IRET. */
    bool nmi_window_exits;
    /* The CPU's own NMI state where it keeps one for the guest (AMD vNMI,
     * APM 15.21.10): NMI_HW_* flags; 0 (or NULL) without.  With NMI_HW_ON,
     * inject_event(EVENT_NMI) hands the NMI to the CPU (V_NMI), which
     * delivers it when its blocking (V_NMI_MASK) and the shadows allow. */
    unsigned (*nmi_hw)(struct vcpu *v);
    /* Intercept the exception vectors in @mask (1 << vector) as well as
     * those the vendor always intercepts (single-stepping an IRET). */
    void (*set_exc_exits)(struct vcpu *v, uint32_t mask);
    /* The guest's DR6 and DR7 (dr = 6 or 7). */
    uint64_t (*get_dr)(struct vcpu *v, unsigned dr);
    void (*set_dr)(struct vcpu *v, unsigned dr, uint64_t val);
    /* The guest's CR8 as the CPU keeps it while the guest runs (SVM V_TPR),
     * 0..15.  NULL when the CPU works on the TPR in the APIC page itself
     * (VMX TPR shadow): nothing to copy. */
    uint8_t (*get_vtpr)(struct vcpu *v);
    void (*set_vtpr)(struct vcpu *v, uint8_t cr8);
    /* The guest's paging registers and code-segment mode, for decoding. */
    void (*get_paging)(struct vcpu *v, struct guest_paging_regs *p);
    enum x86_mode (*cpu_mode)(struct vcpu *v);
    unsigned (*cpl)(struct vcpu *v);
    uint64_t (*seg_base)(struct vcpu *v, unsigned seg);
    /* All of the four above at once, for an instruction fetch at RIP. */
    void (*get_fetch)(struct vcpu *v, struct guest_fetch_regs *f);
    /* Guest-visible EFER and PAT (the vendor keeps the real ones). */
    uint64_t (*get_efer)(struct vcpu *v);
    void (*set_efer)(struct vcpu *v, uint64_t efer);
    uint64_t (*get_pat)(struct vcpu *v);
    void (*set_pat)(struct vcpu *v, uint64_t pat);
    void (*set_tsc_offset)(struct vcpu *v, uint64_t off);
    /* Let the VM's guests reach host ports [port, port + count) without an
     * exit (the host's PM timer, hv/dev/vplatform.c); at VM creation. */
    void (*io_passthrough)(struct vm *vm, uint16_t port, unsigned count);
    void (*set_cr2)(struct vcpu *v, uint64_t cr2);
    /* CR0 and CR4 as the guest sees them, and installing a value hv/emul
     * has checked (hv/emul/emul_cr.c): the vendor keeps the bits it must
     * own underneath (VMX fixed bits behind the read shadows) and the
     * side effects the CPU would have (EFER.LMA follows CR0.PG, SDM 9.8.5). */
    uint64_t (*get_cr)(struct vcpu *v, unsigned cr);
    void (*set_cr)(struct vcpu *v, unsigned cr, uint64_t val);
    /* Posted interrupts (NULL where the CPU has none).  post_intr: deliver
     * fixed, edge-triggered @vector to @t without touching its APIC page,
     * notifying the CPU if @t runs; false if the caller must deliver it
     * the ordinary way.  posted_sync: move what was posted into the APIC
     * page (IRR), on the vCPU's own CPU with interrupts off.  block_prepare
     * / block_end around a HLT wait: false from block_prepare means
     * something was posted, do not sleep. */
    bool (*post_intr)(struct vcpu *t, uint8_t vector);
    void (*posted_sync)(struct vcpu *v);
    bool (*block_prepare)(struct vcpu *v);
    void (*block_end)(struct vcpu *v);
    /* The physical address of the vCPU's posted-interrupt descriptor
     * (VMX), for an IOMMU that posts to it (VT-d 9.11: hv/passthru.c);
     * 0, or NULL, where there is none. */
    uint64_t (*posted_desc_pa)(struct vcpu *v);
    /* A VM's APIC destination views changed (IDs, LDR, DFR, modes): the
     * CPU's own tables follow (AVIC's logical APIC ID table).  NULL when
     * the CPU keeps none.  Called under the VM's map_lock. */
    void (*apic_views_changed)(struct vm *vm, const struct apic_dest_view *views, unsigned n);
    /* The nested page tables changed: flush before the next entry. */
    void (*flush_guest_tlb)(struct vcpu *v);
    void (*dump)(struct vcpu *v);
};

extern const struct vcpu_ops *vops;
extern const struct vcpu_ops svm_ops;
extern const struct vcpu_ops vmx_ops;

#endif /* KEEL_HV_VENDOR_H */
