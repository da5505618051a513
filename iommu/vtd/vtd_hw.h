/* SPDX-License-Identifier: MIT */
/*
 * Intel VT-d hardware layouts (Intel Virtualization Technology for
 * Directed I/O, Architecture Specification rev 4.x): the registers Keel
 * uses (chapter 11), root and context entries (legacy mode, 9.1 and 9.3),
 * second-level page table entries (9.8), invalidation descriptors (6.5.2),
 * fault recording registers (11.4.14), and interrupt remapping table
 * entries in the remapped and posted formats (9.10, 9.11).  Named masks
 * over 64-bit words (docs/style.md item 6); the encoders and the fault
 * decoder (vtd_enc.c) are pure and host-tested.
 */
#ifndef KEEL_IOMMU_VTD_VTD_HW_H
#define KEEL_IOMMU_VTD_VTD_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/iommu_fault.h"

#define VTD_PAGE_MASK            0xfffffffffffff000ull

/* ---- Registers (11.4) ---- */
#define VTD_REG_VER              0x000  /* 32: version */
#define VTD_REG_CAP              0x008  /* 64: capabilities */
#define VTD_REG_ECAP             0x010  /* 64: extended capabilities */
#define VTD_REG_GCMD             0x018  /* 32: global command */
#define VTD_REG_GSTS             0x01c  /* 32: global status */
#define VTD_REG_RTADDR           0x020  /* 64: root table address */
#define VTD_REG_FSTS             0x034  /* 32: fault status */
#define VTD_REG_FECTL            0x038  /* 32: fault event control (10.4.10) */
#define VTD_REG_FEDATA           0x03c  /* 32: fault event data: the vector */
#define VTD_REG_FEADDR           0x040  /* 32: fault event address: 0xFEE, the APIC ID at 19:12 */
#define VTD_REG_FEUADDR          0x044  /* 32: fault event upper address: x2APIC ID 31:8 */
#define VTD_FECTL_IM             (1u << 31)     /* interrupt mask */
#define VTD_FECTL_IP             (1u << 30)     /* interrupt pending (RO) */
#define VTD_REG_IQH              0x080  /* 64: invalidation queue head, 18:4 */
#define VTD_REG_IQT              0x088  /* 64: invalidation queue tail, 18:4 */
#define VTD_REG_IQA              0x090  /* 64: queue base 63:12, DW 11, QS 2:0 */
#define VTD_REG_ICS              0x09c  /* 32: invalidation completion status */
#define VTD_REG_IRTA             0x0b8  /* 64: interrupt remapping table address */
#define VTD_REG_SIZE             0x1000 /* the register window Keel maps */

#define VTD_CAP_ND_MASK          0x7ull         /* 2:0 number of domains: 2^(4 + 2*ND) */
#define VTD_CAP_SAGAW_SHIFT      8              /* 12:8: bit 1 3-level, 2 4-level, 3 5-level */
#define VTD_CAP_FRO_SHIFT        24             /* 33:24 fault recording offset / 16 */
#define VTD_CAP_FRO_MASK         0x3ffull
#define VTD_CAP_NFR_SHIFT        40             /* 47:40 number of fault recording regs - 1 */
#define VTD_CAP_NFR_MASK         0xffull
#define VTD_CAP_PI               (1ull << 59)   /* posted interrupts */
#define VTD_CAP_SLLPS_SHIFT      34             /* 37:34 second-level large pages */
#define VTD_ECAP_C               (1ull << 0)    /* page-walk coherency (snooped walks) */
#define VTD_ECAP_QI              (1ull << 1)    /* queued invalidation */
#define VTD_ECAP_IR              (1ull << 3)    /* interrupt remapping */
#define VTD_ECAP_EIM             (1ull << 4)    /* extended interrupt mode (x2APIC) */
#define VTD_ECAP_SC              (1ull << 7)    /* snoop control */

#define VTD_GCMD_QIE             (1u << 26)     /* queued invalidation enable */
#define VTD_GCMD_TE              (1u << 31)     /* translation enable */
#define VTD_GCMD_SRTP            (1u << 30)     /* set root table pointer (one-shot) */
#define VTD_GSTS_RTPS            (1u << 30)
#define VTD_GCMD_IRE             (1u << 25)     /* interrupt remapping enable */
#define VTD_GCMD_SIRTP           (1u << 24)     /* set interrupt remap table pointer (one-shot) */
#define VTD_GCMD_CFI             (1u << 23)     /* compatibility format interrupts pass */
#define VTD_GSTS_IRTPS           (1u << 24)
#define VTD_GSTS_CFIS            (1u << 23)
#define VTD_IRTA_S_MASK          0xfull         /* 3:0: 2^(S+1) entries */
#define VTD_IRTA_EIME            (1ull << 11)   /* extended interrupt mode: 32-bit destinations */
#define VTD_IRTA_ADDR_MASK       0x000ffffffffff000ull /* 63:12 (bits above the HAW: 0) */
/* The remappable MSI address (5.1.2.2): FEEh 31:20, handle 15 at bit 2,
 * SHV bit 3, interrupt format bit 4, handle 14:0 at 19:5. */
#define VTD_MSI_ADDR_BASE        0xfee00000u
#define VTD_MSI_ADDR_IF          (1u << 4)
#define VTD_MSI_ADDR_HANDLE_SHIFT 5
#define VTD_MSI_ADDR_HANDLE15    (1u << 2)
#define VTD_GSTS_QIES            (1u << 26)
#define VTD_GSTS_IRES            (1u << 25)
#define VTD_GSTS_TES             (1u << 31)
/* One-shot commands in GCMD must not re-issue the others; keep only
 * the persistent enables when writing it (11.4.4). */
#define VTD_GSTS_PERSISTENT      0x96ffffffu

#define VTD_FSTS_PFO             (1u << 0)      /* primary fault overflow (RW1C) */
#define VTD_FSTS_PPF             (1u << 1)      /* primary pending fault (RO) */
#define VTD_FSTS_IQE             (1u << 4)      /* invalidation queue error */
#define VTD_FSTS_ITE             (1u << 6)      /* invalidation time-out */
#define VTD_ICS_IWC              (1u << 0)      /* an invalidation wait with IF completed */
#define VTD_IQ_PTR_MASK          0x7fff0ull     /* 128-bit descriptors: bits 18:4 */

/* ---- Root entry (9.1, legacy mode) ---- */
struct vtd_root_entry {
    uint64_t lo, hi;
};
_Static_assert(sizeof(struct vtd_root_entry) == 16, "root entries are 128 bits (VT-d 9.1)");
#define VTD_ROOT_P               (1ull << 0)
#define VTD_ROOT_CTP_MASK        VTD_PAGE_MASK  /* 63:12 context table pointer */

/* ---- Context entry (9.3, legacy mode) ---- */
struct vtd_context_entry {
    uint64_t lo, hi;
};
_Static_assert(sizeof(struct vtd_context_entry) == 16, "context entries are 128 bits (VT-d 9.3)");
_Static_assert(offsetof(struct vtd_context_entry, hi) == 8, "context entry bits 127:64");
#define VTD_CTX_P                (1ull << 0)
#define VTD_CTX_FPD              (1ull << 1)    /* fault processing disable */
#define VTD_CTX_TT_SHIFT         2              /* 3:2 translation type */
#define VTD_CTX_TT_UNTRANSLATED  0              /* second-level tables, no device TLB */
#define VTD_CTX_TT_PASSTHROUGH   2
#define VTD_CTX_SLPTPTR_MASK     VTD_PAGE_MASK  /* 63:12 */
#define VTD_CTX_AW_MASK          0x7ull         /* hi 2:0: 1 39-bit, 2 48-bit, 3 57-bit */
#define VTD_CTX_DID_SHIFT        8              /* hi 23:8 domain identifier */

/* ---- Second-level paging entries (9.8) ---- */
#define VTD_SL_R                 (1ull << 0)
#define VTD_SL_W                 (1ull << 1)
#define VTD_SL_PS                (1ull << 7)    /* a 2 MiB or 1 GiB page (PDE, PDPE) */
#define VTD_SL_SNP               (1ull << 11)   /* snoop (with ECAP.SC) */
#define VTD_SL_ADDR_MASK         0x000ffffffffff000ull /* 51:12 (HAW-1:12) */

/* ---- Invalidation descriptors (6.5.2, 128-bit) ---- */
struct vtd_inv_desc {
    uint64_t lo, hi;
};
_Static_assert(sizeof(struct vtd_inv_desc) == 16, "legacy descriptors are 128 bits (VT-d 6.5.2)");
#define VTD_INV_CONTEXT          0x1
#define VTD_INV_IOTLB            0x2
#define VTD_INV_IEC              0x4
#define VTD_INV_WAIT             0x5
#define VTD_INV_G_SHIFT          4              /* 5:4 granularity (context, IOTLB) */
#define VTD_INV_G_GLOBAL         1
#define VTD_INV_G_DOMAIN         2
#define VTD_INV_G_DEVICE_OR_PAGE 3              /* context: device; IOTLB: page */
#define VTD_INV_DID_SHIFT        16             /* 31:16 */
#define VTD_INV_CC_SID_SHIFT     32             /* context: 47:32 source ID */
#define VTD_INV_CC_FM_SHIFT      48             /* context: 49:48 function mask */
#define VTD_INV_IOTLB_DW         (1ull << 6)    /* drain writes (CAP.DWD) */
#define VTD_INV_IOTLB_DR         (1ull << 7)    /* drain reads (CAP.DRD) */
#define VTD_INV_IOTLB_IH         (1ull << 6)    /* hi: leaf entries only */
#define VTD_INV_IOTLB_AM_MASK    0x3full        /* hi 5:0: 2^AM pages */
#define VTD_INV_IEC_INDEX        (1ull << 4)    /* index-selective (else global) */
#define VTD_INV_IEC_IM_SHIFT     27             /* 31:27 index mask */
#define VTD_INV_IEC_IIDX_SHIFT   32             /* 47:32 interrupt index */
#define VTD_INV_WAIT_IF          (1ull << 4)    /* interrupt on completion */
#define VTD_INV_WAIT_SW          (1ull << 5)    /* status write */
#define VTD_INV_WAIT_FN          (1ull << 6)    /* fence */
#define VTD_INV_WAIT_DATA_SHIFT  32             /* 63:32 status data */

/* ---- Fault recording register (11.4.14, 128-bit) ---- */
#define VTD_FRCD_FI_MASK         VTD_PAGE_MASK  /* lo 63:12 faulting page */
#define VTD_FRCD_SID_MASK        0xffffull      /* hi 15:0 (bits 79:64) */
#define VTD_FRCD_PP              (1ull << 31)   /* hi: PASID present (bit 95) */
#define VTD_FRCD_FR_SHIFT        32             /* hi 39:32 fault reason (103:96) */
#define VTD_FRCD_PV_SHIFT        40             /* hi 59:40 PASID (123:104) */
#define VTD_FRCD_T               (1ull << 62)   /* hi: 1 read, 0 write (bit 126) */
#define VTD_FRCD_F               (1ull << 63)   /* hi: a fault is recorded (bit 127) */

/* ---- Interrupt remapping table entry (9.10 remapped, 9.11 posted) ---- */
struct vtd_irte {
    uint64_t lo, hi;
};
_Static_assert(sizeof(struct vtd_irte) == 16, "IRTEs are 128 bits (VT-d 9.10)");
#define VTD_IRTE_P               (1ull << 0)
#define VTD_IRTE_FPD             (1ull << 1)
#define VTD_IRTE_DM              (1ull << 2)    /* remapped: logical destination */
#define VTD_IRTE_RH              (1ull << 3)    /* remapped: redirection hint */
#define VTD_IRTE_TM              (1ull << 4)    /* remapped: level-triggered */
#define VTD_IRTE_DLM_SHIFT       5              /* remapped 7:5 delivery mode */
#define VTD_IRTE_URG             (1ull << 14)   /* posted: urgent */
#define VTD_IRTE_IM              (1ull << 15)   /* 1: posted format */
#define VTD_IRTE_V_SHIFT         16             /* 23:16 vector */
#define VTD_IRTE_DST_SHIFT       32             /* remapped 63:32 destination */
#define VTD_IRTE_PDA_LO_MASK     0xffffffc000000000ull /* posted 63:38: descriptor 31:6 */
#define VTD_IRTE_SVT_SHIFT       18             /* hi 19:18 source validation type */
#define VTD_IRTE_SQ_SHIFT        16             /* hi 17:16 source-id qualifier */
#define VTD_IRTE_PDA_HI_SHIFT    32             /* posted hi 63:32: descriptor 63:32 */
#define VTD_SVT_NONE             0
#define VTD_SVT_RID              1              /* SID and SQ must match the requester */
#define VTD_SVT_BUS              2              /* the requester's bus in SID's range */
#define VTD_DLM_FIXED            0
#define VTD_DLM_LOWEST           1

/* Who may use an IRTE (hi): the source validation fields. */
struct vtd_irte_source {
    uint16_t sid;
    uint8_t sq, svt;
};

/* Encoders: 0, or -1 for an input the hardware cannot take (*out zero). */
int vtd_root_entry(struct vtd_root_entry *e, uint64_t context_table_pa);
/* levels 3, 4 or 5 (AW 1, 2, 3); tt VTD_CTX_TT_*; slpt is ignored for
 * pass-through. */
int vtd_context_entry(struct vtd_context_entry *e, uint64_t slpt_pa, unsigned levels,
                      uint16_t domain, unsigned tt, bool fpd);
int vtd_sl_pte(uint64_t *pte, uint64_t pa, bool read, bool write, bool large, bool snoop);
void vtd_inv_context_global(struct vtd_inv_desc *d);
void vtd_inv_context_device(struct vtd_inv_desc *d, uint16_t domain, uint16_t sid, uint8_t fm);
void vtd_inv_iotlb_domain(struct vtd_inv_desc *d, uint16_t domain, bool drain);
void vtd_inv_iotlb_global(struct vtd_inv_desc *d);
/* 2^am pages at addr (aligned to them) within domain; ih: leaves only. */
int vtd_inv_iotlb_pages(struct vtd_inv_desc *d, uint16_t domain, uint64_t addr, unsigned am,
                        bool ih, bool drain);
void vtd_inv_iec_global(struct vtd_inv_desc *d);
/* 2^im entries from index (aligned to them). */
int vtd_inv_iec_index(struct vtd_inv_desc *d, uint16_t index, unsigned im);
/* Writes data at status_pa (4-byte aligned) when every earlier descriptor
 * completed; fence holds later ones back. */
int vtd_inv_wait(struct vtd_inv_desc *d, uint64_t status_pa, uint32_t data, bool intr, bool fence);
/* IRTA (10.4.29): the table at pa (4 KiB aligned, below 2^52) of
 * 2^(s+1) entries (s <= 15), EIME when eime (x2APIC mode: 32-bit
 * destinations in every IRTE; compatibility-format interrupts are then
 * blocked whatever GCMD.CFI says, 5.1.4). */
int vtd_irta(uint64_t *irta, uint64_t pa, unsigned s, bool eime);
/* The remapped format: dest is an 8-bit APIC ID unless eim (x2APIC mode,
 * IRTA.EIME): then the full 32-bit x2APIC ID. */
int vtd_irte_remapped(struct vtd_irte *e, uint8_t vector, uint32_t dest, bool eim, bool logical,
                      unsigned dlm, bool level, const struct vtd_irte_source *src);
/* The posted format: the vCPU's vector and its posted-interrupt
 * descriptor (64-byte aligned), split into bits 31:6 and 63:32. */
int vtd_irte_posted(struct vtd_irte *e, uint8_t vector, uint64_t pd_pa, bool urgent,
                    const struct vtd_irte_source *src);
/* One fault recording register (lo = bits 63:0, hi = bits 127:64): 0 with
 * *f filled, -1 when its F bit is clear (nothing recorded). */
int vtd_fault_decode(uint64_t lo, uint64_t hi, struct iommu_fault *f);

#endif /* KEEL_IOMMU_VTD_VTD_HW_H */
