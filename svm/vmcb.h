/* SPDX-License-Identifier: MIT */
/*
 * The VMCB (AMD APM vol. 2, appendix B, tables B-1 and B-2): a 4 KiB page,
 * control area at 0x000, state-save area at 0x400.  Offsets are checked
 * below against the manual's tables.
 */
#ifndef KEEL_SVM_VMCB_H
#define KEEL_SVM_VMCB_H

#include <stddef.h>
#include <stdint.h>

struct __attribute__((packed)) vmcb_seg {
    uint16_t selector;
    uint16_t attrib;  /* APM 15.5.1: type[3:0] S[4] DPL[6:5] P[7] AVL[8] L[9] DB[10] G[11] */
    uint32_t limit;
    uint64_t base;
};
_Static_assert(sizeof(struct vmcb_seg) == 16, "VMCB segment is 16 bytes");

struct __attribute__((packed)) vmcb_control {
    uint32_t intercept_cr;         /* 0x000: reads [15:0], writes [31:16] */
    uint32_t intercept_dr;         /* 0x004 */
    uint32_t intercept_exceptions; /* 0x008 */
    uint32_t intercept_misc1;      /* 0x00c */
    uint32_t intercept_misc2;      /* 0x010 */
    uint32_t intercept_misc3;      /* 0x014 */
    uint8_t reserved_018[0x03c - 0x018];
    uint16_t pause_filter_threshold; /* 0x03c */
    uint16_t pause_filter_count;   /* 0x03e */
    uint64_t iopm_base_pa;         /* 0x040 */
    uint64_t msrpm_base_pa;        /* 0x048 */
    uint64_t tsc_offset;           /* 0x050 */
    uint32_t guest_asid;           /* 0x058 */
    uint8_t tlb_control;           /* 0x05c */
    uint8_t reserved_05d[3];
    uint64_t int_ctl;              /* 0x060: V_TPR, V_IRQ, V_INTR_*, AVIC enable */
    uint64_t int_state;            /* 0x068: interrupt shadow */
    uint64_t exit_code;            /* 0x070 */
    uint64_t exit_info1;           /* 0x078 */
    uint64_t exit_info2;           /* 0x080 */
    uint64_t exit_int_info;        /* 0x088 */
    uint64_t np_control;           /* 0x090: NP_ENABLE, SEV... */
    uint64_t avic_apic_bar;        /* 0x098 */
    uint64_t ghcb_pa;              /* 0x0a0 */
    uint64_t event_inj;            /* 0x0a8 */
    uint64_t n_cr3;                /* 0x0b0 */
    uint64_t virt_ext;             /* 0x0b8: LBR virtualization, VMLOAD/VMSAVE virt. */
    uint32_t clean_bits;           /* 0x0c0 */
    uint32_t reserved_0c4;
    uint64_t next_rip;             /* 0x0c8 */
    uint8_t insn_len;              /* 0x0d0 */
    uint8_t insn_bytes[15];        /* 0x0d1 */
    uint64_t avic_backing_page;    /* 0x0e0 */
    uint64_t reserved_0e8;
    uint64_t avic_logical_table;   /* 0x0f0 */
    uint64_t avic_physical_table;  /* 0x0f8 */
    uint64_t reserved_100;
    uint64_t vmsa_pa;              /* 0x108 */
    uint8_t reserved_110[0x400 - 0x110];
};

struct __attribute__((packed)) vmcb_save {
    struct vmcb_seg es, cs, ss, ds, fs, gs; /* 0x400 .. 0x45f */
    struct vmcb_seg gdtr, ldtr, idtr, tr;   /* 0x460 .. 0x49f */
    uint8_t reserved_4a0[0x4cb - 0x4a0];
    uint8_t cpl;                   /* 0x4cb */
    uint32_t reserved_4cc;
    uint64_t efer;                 /* 0x4d0 */
    uint8_t reserved_4d8[0x548 - 0x4d8];
    uint64_t cr4;                  /* 0x548 */
    uint64_t cr3;                  /* 0x550 */
    uint64_t cr0;                  /* 0x558 */
    uint64_t dr7;                  /* 0x560 */
    uint64_t dr6;                  /* 0x568 */
    uint64_t rflags;               /* 0x570 */
    uint64_t rip;                  /* 0x578 */
    uint8_t reserved_580[0x5d8 - 0x580];
    uint64_t rsp;                  /* 0x5d8 */
    uint8_t reserved_5e0[0x5f8 - 0x5e0];
    uint64_t rax;                  /* 0x5f8 */
    uint64_t star;                 /* 0x600 */
    uint64_t lstar;                /* 0x608 */
    uint64_t cstar;                /* 0x610 */
    uint64_t sfmask;               /* 0x618 */
    uint64_t kernel_gs_base;       /* 0x620 */
    uint64_t sysenter_cs;          /* 0x628 */
    uint64_t sysenter_esp;         /* 0x630 */
    uint64_t sysenter_eip;         /* 0x638 */
    uint64_t cr2;                  /* 0x640 */
    uint8_t reserved_648[0x668 - 0x648];
    uint64_t g_pat;                /* 0x668 */
    uint64_t dbgctl;               /* 0x670 */
    uint64_t br_from;              /* 0x678 */
    uint64_t br_to;                /* 0x680 */
    uint64_t last_excp_from;       /* 0x688 */
    uint64_t last_excp_to;         /* 0x690 */
    uint8_t reserved_698[0x1000 - 0x698];
};

struct vmcb {
    struct vmcb_control ctl;
    struct vmcb_save save;
};

#define VMCB_SAVE(f) (0x400 + offsetof(struct vmcb_save, f))
_Static_assert(sizeof(struct vmcb_control) == 0x400, "VMCB control area");
_Static_assert(sizeof(struct vmcb) == 4096, "VMCB is one page");
_Static_assert(offsetof(struct vmcb_control, iopm_base_pa) == 0x040, "IOPM_BASE_PA");
_Static_assert(offsetof(struct vmcb_control, tsc_offset) == 0x050, "TSC_OFFSET");
_Static_assert(offsetof(struct vmcb_control, int_ctl) == 0x060, "V_TPR/V_IRQ");
_Static_assert(offsetof(struct vmcb_control, exit_code) == 0x070, "EXITCODE");
_Static_assert(offsetof(struct vmcb_control, np_control) == 0x090, "NP_ENABLE");
_Static_assert(offsetof(struct vmcb_control, event_inj) == 0x0a8, "EVENTINJ");
_Static_assert(offsetof(struct vmcb_control, n_cr3) == 0x0b0, "N_CR3");
_Static_assert(offsetof(struct vmcb_control, clean_bits) == 0x0c0, "VMCB clean bits");
_Static_assert(offsetof(struct vmcb_control, next_rip) == 0x0c8, "nRIP");
_Static_assert(offsetof(struct vmcb_control, insn_len) == 0x0d0, "guest instruction bytes");
_Static_assert(offsetof(struct vmcb_control, avic_backing_page) == 0x0e0, "AVIC backing page");
_Static_assert(offsetof(struct vmcb_control, avic_physical_table) == 0x0f8, "AVIC physical table");
_Static_assert(offsetof(struct vmcb_control, vmsa_pa) == 0x108, "VMSA pointer");
_Static_assert(VMCB_SAVE(cpl) == 0x4cb, "CPL");
_Static_assert(VMCB_SAVE(efer) == 0x4d0, "EFER");
_Static_assert(VMCB_SAVE(cr4) == 0x548, "CR4");
_Static_assert(VMCB_SAVE(rflags) == 0x570, "RFLAGS");
_Static_assert(VMCB_SAVE(rip) == 0x578, "RIP");
_Static_assert(VMCB_SAVE(rsp) == 0x5d8, "RSP");
_Static_assert(VMCB_SAVE(rax) == 0x5f8, "RAX");
_Static_assert(VMCB_SAVE(kernel_gs_base) == 0x620, "KernelGsBase");
_Static_assert(VMCB_SAVE(cr2) == 0x640, "CR2");
_Static_assert(VMCB_SAVE(g_pat) == 0x668, "G_PAT");

/* intercept_misc1 (VMCB 0x00c), APM table B-1 */
#define SVM_INTERCEPT_INTR        (1u << 0)
#define SVM_INTERCEPT_NMI         (1u << 1)
#define SVM_INTERCEPT_SMI         (1u << 2)
#define SVM_INTERCEPT_INIT        (1u << 3)
#define SVM_INTERCEPT_VINTR       (1u << 4)
#define SVM_INTERCEPT_RDPMC       (1u << 15)
#define SVM_INTERCEPT_CPUID       (1u << 18)
#define SVM_INTERCEPT_IRET        (1u << 20)
#define SVM_INTERCEPT_INVD        (1u << 22)
#define SVM_INTERCEPT_HLT         (1u << 24)
#define SVM_INTERCEPT_INVLPGA     (1u << 26)
#define SVM_INTERCEPT_IOIO        (1u << 27)
#define SVM_INTERCEPT_MSR         (1u << 28)
#define SVM_INTERCEPT_SHUTDOWN    (1u << 31)
/* intercept_misc2 (VMCB 0x010) */
#define SVM_INTERCEPT_VMRUN       (1u << 0)
#define SVM_INTERCEPT_VMMCALL     (1u << 1)
#define SVM_INTERCEPT_VMLOAD      (1u << 2)
#define SVM_INTERCEPT_VMSAVE      (1u << 3)
#define SVM_INTERCEPT_STGI        (1u << 4)
#define SVM_INTERCEPT_CLGI        (1u << 5)
#define SVM_INTERCEPT_SKINIT      (1u << 6)
#define SVM_INTERCEPT_RDTSCP      (1u << 7)
#define SVM_INTERCEPT_XSETBV      (1u << 13)
/* intercept_exceptions */
#define SVM_INTERCEPT_EXC(v)      (1u << (v))

/* int_ctl (VMCB 0x060) */
#define SVM_INT_CTL_V_TPR_MASK      0xffull
#define SVM_INT_CTL_V_IRQ           (1ull << 8)
#define SVM_INT_CTL_V_IGN_TPR       (1ull << 20)
#define SVM_INT_CTL_V_INTR_PRIO_SHIFT 16
#define SVM_INT_CTL_V_INTR_MASKING  (1ull << 24)
/* V_INTR_VECTOR (VMCB 0x064, APM 15.21.4): the vector a virtual interrupt
 * is delivered through when the VINTR intercept is off. */
#define SVM_INT_CTL_V_INTR_VECTOR_SHIFT 32
#define SVM_INT_CTL_V_INTR_VECTOR_MASK  (0xffull << SVM_INT_CTL_V_INTR_VECTOR_SHIFT)
/* vNMI (APM 15.21.10 "NMI Virtualization", CPUID 8000_000A EDX[25]):
 * V_NMI an NMI pending for the guest, V_NMI_MASK the guest's NMI blocking
 * (its handler runs until IRET), V_NMI_ENABLE the CPU tracks both. */
#define SVM_INT_CTL_V_NMI           (1ull << 11)
#define SVM_INT_CTL_V_NMI_MASK      (1ull << 12)
#define SVM_INT_CTL_V_NMI_ENABLE    (1ull << 26)
/* int_state (VMCB 0x068) */
#define SVM_INT_STATE_SHADOW        (1ull << 0)
/* np_control (VMCB 0x090) */
#define SVM_NP_ENABLE               (1ull << 0)
/* tlb_control (VMCB 0x05c), APM 15.16.1 */
#define SVM_TLB_CONTROL_NONE        0
#define SVM_TLB_CONTROL_FLUSH_ALL   1
#define SVM_TLB_CONTROL_FLUSH_ASID  3

/* EVENTINJ / EXITINTINFO (APM 15.20) */
#define SVM_EVTINJ_VECTOR_MASK      0xffull
#define SVM_EVTINJ_TYPE_SHIFT       8
#define SVM_EVTINJ_TYPE_BITS        0x7ull  /* TYPE is bits 10:8 */
#define SVM_EVTINJ_TYPE_INTR        0x0ull  /* TYPE 0: external or virtual interrupt (APM 15.20) */
#define SVM_EVTINJ_EV               (1ull << 11)
#define SVM_EVTINJ_VALID            (1ull << 31)
#define SVM_EVTINJ_ERR_SHIFT        32

/* IOIO EXITINFO1 (APM 15.10.2) */
#define SVM_IOIO_TYPE_IN    (1ull << 0)
#define SVM_IOIO_STR        (1ull << 2)
#define SVM_IOIO_REP        (1ull << 3)
#define SVM_IOIO_SZ8        (1ull << 4)
#define SVM_IOIO_SZ16       (1ull << 5)
#define SVM_IOIO_SZ32       (1ull << 6)
#define SVM_IOIO_A16        (1ull << 7)
#define SVM_IOIO_A32        (1ull << 8)
#define SVM_IOIO_A64        (1ull << 9)
#define SVM_IOIO_SEG_SHIFT  10
#define SVM_IOIO_SEG_MASK   7ull
#define SVM_IOIO_PORT_SHIFT 16

/* NPF EXITINFO1 (APM 15.25.6): a #PF-style error code. */
#define SVM_NPF_P           (1ull << 0)
#define SVM_NPF_RW          (1ull << 1)
#define SVM_NPF_ID          (1ull << 4)
#define SVM_NPF_GUEST_WALK  (1ull << 33)  /* during the guest's own page walk */

/* CR intercepts with decode assists (APM 15.8.1): EXITINFO1[63] set for
 * MOV CRn, the GPR number in EXITINFO1[3:0]. */
#define SVM_CR_INFO_MOV      (1ull << 63)
#define SVM_CR_INFO_GPR_MASK 0xfull

/* Exit codes (APM table C-1). */
#define SVM_EXIT_CR_READ(n)  (0x000u + (n))   /* CR0..CR15 reads */
#define SVM_EXIT_CR_WRITE(n) (0x010u + (n))   /* CR0..CR15 writes */
#define SVM_EXIT_CR8_WRITE  0x018
#define SVM_EXIT_EXCP_BASE  0x040
#define SVM_EXIT_INTR       0x060
#define SVM_EXIT_NMI        0x061
#define SVM_EXIT_SMI        0x062
#define SVM_EXIT_INIT       0x063
#define SVM_EXIT_VINTR      0x064
#define SVM_EXIT_CPUID      0x072
#define SVM_EXIT_IRET       0x074
#define SVM_EXIT_RDPMC      0x06f
#define SVM_EXIT_INVD       0x076
#define SVM_EXIT_HLT        0x078
#define SVM_EXIT_INVLPGA    0x07a
#define SVM_EXIT_IOIO       0x07b
#define SVM_EXIT_MSR        0x07c
#define SVM_EXIT_SHUTDOWN   0x07f
#define SVM_EXIT_VMRUN      0x080
#define SVM_EXIT_VMMCALL    0x081
#define SVM_EXIT_VMLOAD     0x082
#define SVM_EXIT_VMSAVE     0x083
#define SVM_EXIT_STGI       0x084
#define SVM_EXIT_CLGI       0x085
#define SVM_EXIT_SKINIT     0x086
#define SVM_EXIT_RDTSCP     0x087
#define SVM_EXIT_XSETBV     0x08d
#define SVM_EXIT_NPF        0x400
#define SVM_EXIT_INVALID    0xffffffffull  /* -1; QEMU gives only the low 32 bits */

/* MSRs (APM 15.30) */
#define MSR_VM_CR           0xc0010114u
#define MSR_VM_HSAVE_PA     0xc0010117u
#define VM_CR_SVMDIS        (1ull << 4)

#endif /* KEEL_SVM_VMCB_H */
