/* SPDX-License-Identifier: MIT */
/*
 * Internals of the AVIC hardware model (tests/model/avic_hw*.c): the layouts
 * the CPU reads and the model's per-pCPU state.  Every layout here is the
 * model's own reading of the AMD64 APM vol. 2: chapter 15 ("Secure Virtual
 * Machine"), section "Advanced Virtual Interrupt Controller" (15.29 in recent
 * editions; its subsections are cited by title, since their numbers moved
 * between revisions), appendix B ("Layout of VMCB", table B-1) and
 * appendix C ("SVM Intercept Exit Codes"), and chapter 16 ("Advanced
 * Programmable Interrupt Controller") for the APIC register page.
 * Points where the manual was unclear are marked "APM unclear" here and
 * listed in docs/avic-model.md.
 */
#ifndef KEEL_TESTS_MODEL_AVIC_HW_INT_H
#define KEEL_TESTS_MODEL_AVIC_HW_INT_H

#include <stddef.h>
#include <stdint.h>

#include "tests/model/avic_hw.h"

/* ---- VMCB control area: APM appendix B, table B-1 (only up to 0FFh) ---- */
struct avic_vmcb_ctl {
    uint32_t intercept_cr;       /* 000h */
    uint32_t intercept_dr;       /* 004h */
    uint32_t intercept_exc;      /* 008h */
    uint32_t intercept_misc1;    /* 00Ch: INTR .. SHUTDOWN, MSR_PROT = bit 28 */
    uint32_t intercept_misc2;    /* 010h: VMRUN .. */
    uint32_t intercept_misc3;    /* 014h */
    uint8_t rsvd_018[0x03c - 0x018];
    uint16_t pause_filter_thresh; /* 03Ch */
    uint16_t pause_filter_count;  /* 03Eh */
    uint64_t iopm_base_pa;        /* 040h */
    uint64_t msrpm_base_pa;       /* 048h: bits 51:12, low 12 bits ignored */
    uint64_t tsc_offset;          /* 050h */
    uint64_t asid_tlb_ctl;        /* 058h */
    uint64_t vintr;               /* 060h: V_TPR .. AVIC enable, V_INTR_VECTOR */
    uint64_t int_shadow;          /* 068h */
    uint64_t exitcode;            /* 070h */
    uint64_t exitinfo1;           /* 078h */
    uint64_t exitinfo2;           /* 080h */
    uint64_t exitintinfo;         /* 088h */
    uint64_t np_ctl;              /* 090h: NP_ENABLE .. */
    uint64_t avic_apic_bar;       /* 098h: bits 51:0 */
    uint64_t ghcb_pa;             /* 0A0h */
    uint64_t eventinj;            /* 0A8h */
    uint64_t n_cr3;               /* 0B0h */
    uint64_t lbr_virt_ctl;        /* 0B8h */
    uint32_t vmcb_clean;          /* 0C0h */
    uint32_t rsvd_0c4;            /* 0C4h */
    uint64_t nrip;                /* 0C8h */
    uint8_t insn_len;             /* 0D0h */
    uint8_t insn_bytes[15];       /* 0D1h */
    uint64_t avic_backing_page;   /* 0E0h: bits 51:12 */
    uint64_t rsvd_0e8;            /* 0E8h */
    uint64_t avic_logical_table;  /* 0F0h: bits 51:12 */
    uint64_t avic_physical_table; /* 0F8h: bits 51:12, max index in the low bits */
};
_Static_assert(offsetof(struct avic_vmcb_ctl, intercept_misc1) == 0x00c, "VMCB 00Ch");
_Static_assert(offsetof(struct avic_vmcb_ctl, msrpm_base_pa) == 0x048, "VMCB 048h");
_Static_assert(offsetof(struct avic_vmcb_ctl, vintr) == 0x060, "VMCB 060h");
_Static_assert(offsetof(struct avic_vmcb_ctl, exitcode) == 0x070, "VMCB 070h");
_Static_assert(offsetof(struct avic_vmcb_ctl, exitinfo1) == 0x078, "VMCB 078h");
_Static_assert(offsetof(struct avic_vmcb_ctl, exitinfo2) == 0x080, "VMCB 080h");
_Static_assert(offsetof(struct avic_vmcb_ctl, exitintinfo) == 0x088, "VMCB 088h");
_Static_assert(offsetof(struct avic_vmcb_ctl, avic_apic_bar) == 0x098, "VMCB 098h");
_Static_assert(offsetof(struct avic_vmcb_ctl, insn_bytes) == 0x0d1, "VMCB 0D1h");
_Static_assert(offsetof(struct avic_vmcb_ctl, avic_backing_page) == 0x0e0, "VMCB 0E0h");
_Static_assert(offsetof(struct avic_vmcb_ctl, avic_logical_table) == 0x0f0, "VMCB 0F0h");
_Static_assert(offsetof(struct avic_vmcb_ctl, avic_physical_table) == 0x0f8, "VMCB 0F8h");
_Static_assert(sizeof(struct avic_vmcb_ctl) == 0x100, "VMCB control area up to 0FFh");

#define AVIC_VMCB_SIZE 4096u

/* 00Ch, intercept vector 3: bit 28 "MSR_PROT", MSRs intercepted through the
 * MSR permission map (APM 15.11 "MSR Intercepts"). */
#define VMCB_ICPT_MSR_PROT (1u << 28)

/* 060h, virtual interrupt control (table B-1): bit 30 x2AVIC enable,
 * bit 31 AVIC enable. */
#define VMCB_VINTR_X2AVIC_ENABLE (1ull << 30)
#define VMCB_VINTR_AVIC_ENABLE (1ull << 31)

/* The pointer fields at 0E0h, 0F0h, 0F8h and the backing-page pointer of a
 * physical APIC ID table entry hold a 4 KiB-aligned system physical
 * address in bits 51:12. */
#define AVIC_ADDR_MASK 0x000ffffffffff000ull
#define AVIC_ADDR_HIGH_RSVD 0xfff0000000000000ull
/* 0F8h bits 11:0: AVIC_PHYSICAL_MAX_INDEX.  APM unclear: the xAPIC-era text
 * gives bits 7:0; the x2AVIC text widens the index to 9 bits (511 IDs) and
 * the 4K-ID extension to 12 bits.  The model takes bits 11:0 and bounds the
 * value by the mode's limit (a larger value fails VMRUN). */
#define AVIC_PHYS_MAX_INDEX_MASK 0xfffull
#define AVIC_MAX_INDEX_XAPIC 0xffu
#define AVIC_MAX_INDEX_X2AVIC 0x1ffu
#define AVIC_MAX_INDEX_X2AVIC_4K 0xfffu
#define AVIC_MSRPM_SIZE 8192u

/* ---- Exit codes: APM appendix C, table C-1 ---- */
#define AVIC_VMEXIT_MSR 0x07cull
#define AVIC_VMEXIT_AVIC_INCOMPLETE_IPI 0x401ull
#define AVIC_VMEXIT_AVIC_NOACCEL 0x402ull
#define AVIC_VMEXIT_INVALID 0xffffffffffffffffull

/* AVIC_NOACCEL EXITINFO1: bits 11:4 register offset, bit 32 write. */
#define AVIC_NOACCEL_INFO1_OFFSET 0xff0ull
#define AVIC_NOACCEL_INFO1_WRITE (1ull << 32)

/* AVIC_INCOMPLETE_IPI: EXITINFO1 = ICR (high dword in 63:32, low in 31:0);
 * EXITINFO2 bits 63:32 the cause, low bits an index into the APIC ID table
 * concerned. */
#define AVIC_IPI_INFO2_CAUSE_SHIFT 32
enum avic_ipi_cause {
    AVIC_IPI_INVALID_INT_TYPE = 0,
    AVIC_IPI_TARGET_NOT_RUNNING = 1,
    AVIC_IPI_INVALID_TARGET = 2,
    AVIC_IPI_INVALID_BACKING_PAGE = 3,
    AVIC_IPI_INVALID_VECTOR = 4,
};

/* ---- Physical APIC ID table entry (64-bit) ---- */
#define AVIC_PHYS_HOST_ID_MASK 0xffull        /* bits 7:0 */
#define AVIC_PHYS_HOST_ID_MASK_X2 0xfffull    /* bits 11:0 with x2AVIC (APM unclear) */
#define AVIC_PHYS_BACKING_MASK AVIC_ADDR_MASK /* bits 51:12 */
#define AVIC_PHYS_IS_RUNNING (1ull << 62)
#define AVIC_PHYS_VALID (1ull << 63)

/* ---- Logical APIC ID table entry (32-bit) ---- */
#define AVIC_LOG_GUEST_PHYS_ID_MASK 0xffu /* bits 7:0 */
#define AVIC_LOG_VALID (1u << 31)
#define AVIC_LOG_ENTRIES 128u /* 4 KiB / 4; flat uses 0..7, cluster 0..59 */

/* ---- Doorbell MSR ---- */
#define AVIC_MSR_DOORBELL 0xc001011bu

/* ---- APIC register page = backing page (APM chapter 16) ---- */
#define APIC_ID 0x020u
#define APIC_VER 0x030u
#define APIC_TPR 0x080u
#define APIC_APR 0x090u
#define APIC_PPR 0x0a0u
#define APIC_EOI 0x0b0u
#define APIC_RRD 0x0c0u
#define APIC_LDR 0x0d0u
#define APIC_DFR 0x0e0u
#define APIC_SVR 0x0f0u
#define APIC_ISR 0x100u
#define APIC_TMR 0x180u
#define APIC_IRR 0x200u
#define APIC_ESR 0x280u
#define APIC_ICR_LO 0x300u
#define APIC_ICR_HI 0x310u
#define APIC_LVT_TIMER 0x320u
#define APIC_LVT_ERROR 0x370u
#define APIC_TMICT 0x380u
#define APIC_TMCCT 0x390u
#define APIC_TDCR 0x3e0u
#define APIC_SELF_IPI 0x3f0u /* x2APIC only (MSR 83Fh) */
#define APIC_EFR 0x400u
#define APIC_ECR 0x410u
#define APIC_SEOI 0x420u
#define APIC_IER 0x480u
#define APIC_EILVT 0x500u
#define APIC_PAGE_SIZE 4096u

#define APIC_DFR_MODEL_SHIFT 28
#define APIC_DFR_MODEL_FLAT 0xfu
#define APIC_XAPIC_ID_SHIFT 24
#define APIC_XAPIC_DEST_SHIFT 24

/* ICR (APM 16.5 "Interprocessor Interrupts", figure "Interrupt Command
 * Register") */
#define ICR_VECTOR_MASK 0xffu
#define ICR_DM_SHIFT 8
#define ICR_DM_MASK 7u
#define ICR_DM_FIXED 0u
#define ICR_DEST_LOGICAL (1u << 11)
#define ICR_DELIV_STATUS (1u << 12)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_SH_SHIFT 18
#define ICR_SH_MASK 3u
#define ICR_SH_NONE 0u
#define ICR_SH_SELF 1u
#define ICR_SH_ALL_INCL 2u
#define ICR_SH_ALL_EXCL 3u
/* x2APIC ICR low: bits 12, 13, 17:16 and 31:20 reserved (WRMSR #GP). */
#define X2APIC_ICR_RSVD ((1u << 12) | (1u << 13) | (3u << 16) | (0xfffu << 20))

#define X2APIC_MSR_FIRST 0x800u
#define X2APIC_MSR_LAST 0x8ffu

/* ---- The model ---- */
struct avic_pcpu {
    uint32_t host_apic_id;
    unsigned index;

    /* Touched by other pCPUs' threads: __atomic only. */
    uint8_t in_guest;  /* between a successful VMRUN and the #VMEXIT */
    uint8_t rescan;    /* a doorbell arrived in guest mode: re-read the IRR */
    uint64_t doorbells_in_guest, doorbells_in_host, doorbells_unrouted;
    uint64_t vmruns, vmexits;

    /* Private to the thread driving this pCPU (loaded at VMRUN). */
    struct avic_vmcb_ctl *vmcb;
    bool avic, x2avic;
    uint64_t bp_spa;
    uint8_t *bp;            /* the running vCPU's backing page */
    uint32_t *ltable;       /* NULL in x2AVIC mode */
    uint64_t *ptable;
    uint32_t max_index;
    /* IRR bits the pCPU has noticed (VMRUN, doorbell, own IPIs): a bit set
     * in the backing page by anyone without a doorbell is not seen until
     * the next VMRUN, as on the hardware. */
    uint32_t seen[8];
    const char *last_invalid;
};

struct avic_hw {
    struct avic_hw_features f;
    struct avic_hw_mem mem;
    unsigned npcpus;
    struct avic_pcpu cpu[AVIC_HW_MAX_PCPUS];
};

/* avic_hw.c */
void avic_model_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *avic_map(struct avic_hw *hw, uint64_t spa, uint64_t len);
struct avic_pcpu *avic_guest_pcpu(struct avic_hw *hw, unsigned pcpu, const char *what,
                                  struct avic_hw_result *r);
uint32_t bp_read(const uint8_t *bp, uint32_t off);
void bp_write(uint8_t *bp, uint32_t off, uint32_t v);
void bp_irr_set(uint8_t *bp, unsigned vec);
void avic_notice(struct avic_pcpu *c, unsigned vec);
void avic_update_ppr(struct avic_pcpu *c);
int avic_highest_isr(const struct avic_pcpu *c);
void avic_exit(struct avic_pcpu *c, struct avic_hw_result *r, uint64_t code, uint64_t info1,
               uint64_t info2);
void avic_doorbell_to(struct avic_hw *hw, struct avic_pcpu *from, uint32_t host_id);

/* avic_hw_ipi.c */
void avic_ipi_send(struct avic_hw *hw, struct avic_pcpu *c, uint32_t icr_lo, uint32_t dest,
                   struct avic_hw_result *r);

#endif /* KEEL_TESTS_MODEL_AVIC_HW_INT_H */
