/* SPDX-License-Identifier: MIT */
/*
 * The guest's virtual Intel VT-d unit, for interrupt remapping only.
 *
 * A chipset with x2APIC CPUs has an interrupt-remapping unit that the OS
 * finds in the DMAR ACPI table; Linux keeps x2APIC mode only when it can
 * enable remapping in x2APIC mode (extended interrupt mode, EIM), or under a
 * hypervisor it knows.  This model is that unit, per VM (keel.cfg
 * `irq_remap`, docs/linux.md "x2APIC").  It is NOT the host's IOMMU: the
 * host units are driven by iommu/ (docs/iommu.md); this one exists only in
 * the guest's physical address space, and only the register layouts are
 * shared (iommu/vtd/vtd_hw.h).
 *
 * References: Intel Virtualization Technology for Directed I/O Architecture
 * Specification (VT-d), chapter 5 (interrupt remapping: 5.1.2 request
 * formats, 5.1.4 IRTE, 5.1.5.1 I/O xAPIC RTE), 6.5.2 (queued invalidation),
 * 7 (the interrupt-remapping fault conditions), 8 (DMAR), 9.10 (IRTE layout),
 * 11 (registers, rev 4.x numbering as in iommu/vtd/vtd_hw.h).
 *
 * What the unit is:
 *  - Interrupt remapping (ECAP.IR), extended interrupt mode (ECAP.EIM),
 *    queued invalidation (ECAP.QI); no DMA translation: the DRHD lists only
 *    the I/O APIC, so an OS has no device to translate (Linux marks the
 *    unit "ignored" for DMA).  CAP still states a 4-level/48-bit SAGAW and
 *    256 domains, because Linux refuses a unit without a valid AGAW even
 *    when it only remaps interrupts; GCMD.TE is ignored (GSTS.TES stays 0).
 *  - No interrupt entry cache: every interrupt reads its IRTE from guest
 *    memory, so an invalidation descriptor has nothing to drop (the spec
 *    lets hardware cache less than software invalidates).
 *  - The invalidation queue is processed when IQT is written, to the end,
 *    before the write returns (and again when FSTS.IQE is cleared).
 *  - One fault recording register (CAP.NFR = 0) at VTD_IR_FRO; the fault
 *    event is an MSI through FEADDR/FEDATA when FECTL.IM is clear.
 *
 * Locking: none inside; the caller (hv/dev/vplatform.c) holds the platform
 * lock across every call, ops included.
 */
#ifndef KEEL_HV_DEV_VTD_IR_H
#define KEEL_HV_DEV_VTD_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apic/apic_defs.h"
#include "iommu/vtd/vtd_hw.h"

/* Where the unit lives in every VM's guest-physical map (in the hole
 * between the I/O APIC and the local APIC, where Q35 has its VT-d unit;
 * hv/mm/guest_ram.h) and the source-id the I/O APIC's requests carry,
 * which the DRHD's I/O APIC device scope states (bus F0h, device 1Fh,
 * function 0: a bus no PCI function of the VM uses). */
#define VTD_IR_BASE             0xfed90000ull
#define VTD_IR_SIZE             0x1000ull
#define VTD_IR_IOAPIC_SID       0xf0f8u

/* Registers this model adds to vtd_hw.h's (VT-d chapter 11). */
#define VTD_IR_REG_CCMD         0x028  /* 64: context command */
#define VTD_IR_REG_FECTL        0x038  /* 32: fault event control */
#define VTD_IR_REG_FEDATA       0x03c  /* 32: fault event data */
#define VTD_IR_REG_FEADDR       0x040  /* 32: fault event address */
#define VTD_IR_REG_FEUADDR      0x044  /* 32: fault event upper address */
#define VTD_IR_REG_IECTL        0x0a0  /* 32: invalidation event control */
#define VTD_IR_REG_IEDATA       0x0a4
#define VTD_IR_REG_IEADDR       0x0a8
#define VTD_IR_REG_IEUADDR      0x0ac
#define VTD_IR_FRO              0x400  /* fault recording register (CAP.FRO * 16) */
#define VTD_IR_IRO              0x500  /* IOTLB registers (ECAP.IRO * 16) */

/* VER (11.4.1): major 1, minor 0. */
#define VTD_IR_VER              0x10u
/* CAP (11.4.2): ND 2 (256 domains), SAGAW 39- and 48-bit, MGAW 47 (48
 * bits), FRO, NFR 0 (one register); no caching mode, no PI, no ESIRTPS
 * (software invalidates the entry cache after SIRTP). */
#define VTD_IR_CAP_ND           2ull
#define VTD_IR_CAP_SAGAW        (0x6ull << VTD_CAP_SAGAW_SHIFT)
#define VTD_IR_CAP_MGAW         (47ull << 16)
#define VTD_IR_CAP              (VTD_IR_CAP_ND | VTD_IR_CAP_SAGAW | VTD_IR_CAP_MGAW | \
                                 ((uint64_t)(VTD_IR_FRO / 16) << VTD_CAP_FRO_SHIFT))
/* ECAP (11.4.3): coherent, QI, IR, EIM, IRO. */
#define VTD_IR_ECAP_IRO_SHIFT   8
#define VTD_IR_ECAP             (VTD_ECAP_C | VTD_ECAP_QI | VTD_ECAP_IR | VTD_ECAP_EIM | \
                                 ((uint64_t)(VTD_IR_IRO / 16) << VTD_IR_ECAP_IRO_SHIFT))

/* GSTS (11.4.5) bits not in vtd_hw.h. */
#define VTD_IR_GSTS_RTPS        VTD_GSTS_RTPS
/* FSTS (chapter 11): fault record index 15:8. */
#define VTD_IR_FSTS_FRI_SHIFT   8
#define VTD_IR_FSTS_RW1C        (VTD_FSTS_PFO | VTD_FSTS_IQE | (1u << 5) | VTD_FSTS_ITE)
/* FECTL / IECTL (chapter 11): interrupt mask 31, pending 30. */
#define VTD_IR_ECTL_IM          (1u << 31)
#define VTD_IR_ECTL_IP          (1u << 30)
/* IQA (chapter 11): base 63:12, DW 11, QS 2:0 (2^QS pages). */
#define VTD_IR_IQA_BASE_MASK    0x000ffffffffff000ull
#define VTD_IR_IQA_QS_MASK      0x7ull
/* IRTA (chapter 11): base 63:12, EIME 11, S 3:0 (2^(S+1) entries). */
#define VTD_IR_IRTA_BASE_MASK   0x000ffffffffff000ull
#define VTD_IR_IRTA_EIME        (1ull << 11)
#define VTD_IR_IRTA_MASK        (VTD_IR_IRTA_BASE_MASK | VTD_IR_IRTA_EIME | VTD_IRTA_S_MASK)
/* Context command (11.4.7): ICC 63, cleared when done. */
#define VTD_IR_CCMD_ICC         (1ull << 63)
/* Invalidation wait descriptor (6.5.2.8): status address 63:2 of qw1. */
#define VTD_IR_WAIT_ADDR_MASK   0xfffffffffffffffcull
#define VTD_IR_INV_TYPE_MASK    0xfull
#define VTD_IR_INV_TYPE_HI_MASK (0x7ull << 9)   /* type 6:4 in bits 11:9 */

/* Remappable I/O xAPIC RTE (5.1.5.1): format 48, index[14:0] 63:49,
 * index[15] 11, bits 10:8 and 47:17 reserved zero. */
#define VTD_IR_RTE_FORMAT       (1ull << 48)
#define VTD_IR_RTE_INDEX_SHIFT  49
#define VTD_IR_RTE_INDEX15      (1ull << 11)
/* Remappable MSI (5.1.2.2): address bit 4 format, 3 SHV, 2 handle[15],
 * 19:5 handle[14:0]; data 15:0 subhandle when SHV. */
#define VTD_IR_MSI_SHV          (1u << 3)
#define VTD_IR_MSI_HANDLE_MASK  0x7fffu
/* Compatibility-format MSI (SDM 11.11): address 19:12 destination, bit 2
 * destination mode, bit 3 redirection hint; data 7:0 vector, 10:8 delivery
 * mode, 15 trigger. */
#define VTD_IR_MSI_ADDR_MASK    0xfff00000u
#define VTD_IR_MSI_DEST_SHIFT   12
#define VTD_IR_MSI_DM_LOGICAL   (1u << 2)

/* IRTE remapped format (9.10): reserved bits that must be zero. */
#define VTD_IR_IRTE_LO_RSVD     ((0x7ull << 12) | (0xffull << 24))
#define VTD_IR_IRTE_HI_RSVD     0xfffffffffff00000ull
#define VTD_IR_IRTE_XAPIC_DST   (0xffull << 40)  /* EIME = 0: destination 15:8 only */
#define VTD_IR_IRTE_SID_MASK    0xffffull

/* Interrupt-remapping fault reasons (chapter 7, table "Interrupt Remapping Fault
 * Conditions"). */
enum vtd_ir_fault {
    VTD_IR_OK = 0,
    VTD_IR_FR_REQ_RSVD = 0x20,     /* reserved field in the request */
    VTD_IR_FR_INDEX = 0x21,        /* index beyond the table size */
    VTD_IR_FR_NOT_PRESENT = 0x22,  /* IRTE P clear */
    VTD_IR_FR_TABLE = 0x23,        /* the table could not be read */
    VTD_IR_FR_IRTE_RSVD = 0x24,    /* reserved field in a present IRTE */
    VTD_IR_FR_COMPAT = 0x25,       /* compatibility format blocked */
    VTD_IR_FR_SID = 0x26,          /* source validation failed */
};

/* What became of one interrupt request. */
enum vtd_ir_result {
    VTD_IR_DELIVER,   /* *m is the message to send */
    VTD_IR_BLOCKED,   /* dropped (a fault was recorded unless FPD or IRE is off) */
};

struct vtd_ir_ops {
    /* Guest-physical memory: 0, or -1 when [gpa, gpa + len) is not RAM. */
    int (*read)(void *ctx, uint64_t gpa, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t gpa, const void *buf, size_t len);
    /* The unit's own interrupts (fault and invalidation events), already
     * decoded from their compatibility-format address/data. */
    void (*deliver)(void *ctx, const struct apic_msg *m);
    /* A fault or a refused descriptor, for the log (may be NULL). */
    void (*report)(void *ctx, const char *what, unsigned reason, uint32_t index, uint16_t sid);
};

struct vtd_ir {
    uint32_t gsts;            /* QIES, IRES, IRTPS, CFIS, RTPS */
    uint32_t fsts;            /* PFO, PPF, IQE, ITE; FRI always 0 */
    uint32_t fectl, fedata, feaddr, feuaddr;
    uint32_t iectl, iedata, ieaddr, ieuaddr;
    uint32_t ics;             /* IWC */
    uint64_t rtaddr, ccmd;
    uint64_t iqa, iqh, iqt;
    uint64_t irta;            /* as written */
    uint64_t irt_base;        /* latched by SIRTP (11.4.4) */
    uint32_t irt_entries;     /* 2^(S+1) */
    bool eime;
    uint64_t frcd_lo, frcd_hi;/* the one fault recording register */
    uint64_t faults;          /* interrupt requests blocked, for the log */
    const struct vtd_ir_ops *ops;
    void *ctx;
};

/* Power-on state (every register at its reset value). */
void vtd_ir_init(struct vtd_ir *u, const struct vtd_ir_ops *ops, void *ctx);

/* A guest access at offset off of the register page: size 4 (aligned to 4)
 * or 8 (aligned to 8); anything else reads all ones and is dropped. */
uint64_t vtd_ir_read(struct vtd_ir *u, uint32_t off, unsigned size);
void vtd_ir_write(struct vtd_ir *u, uint32_t off, unsigned size, uint64_t val);

/* An I/O APIC RTE that fires, from the I/O APIC of source-id sid: the
 * message to send, or blocked.  On entry *m holds the RTE's message in
 * compatibility format (ioapic_rte_to_msg), which passes while IRE is
 * clear, or CFIS is set without EIME (5.1.2.1, 11.4.4 "CFI"). */
enum vtd_ir_result vtd_ir_ioapic(struct vtd_ir *u, uint64_t rte, uint16_t sid,
                                 struct apic_msg *m);
/* An MSI write (address, data) from requester sid, the same way. */
enum vtd_ir_result vtd_ir_msi(struct vtd_ir *u, uint64_t addr, uint32_t data, uint16_t sid,
                              struct apic_msg *m);

/* ---- pure decoding (unit-tested with values from the spec) ---- */

/* The interrupt index of a remappable RTE. */
uint32_t vtd_ir_rte_index(uint64_t rte);
/* The interrupt index of a remappable MSI (handle, plus the subhandle in
 * data 15:0 when SHV is set); false for a compatibility-format address. */
bool vtd_ir_msi_index(uint64_t addr, uint32_t data, uint32_t *index);
/* A remapped-format IRTE (lo = bits 63:0, hi = 127:64) into the message
 * it sends, checked as chapter 7's fault conditions say; eime picks the 32-bit destination. */
enum vtd_ir_fault vtd_ir_irte_decode(uint64_t lo, uint64_t hi, bool eime, struct apic_msg *m);
/* Source validation of an IRTE's SVT/SQ/SID against requester sid. */
bool vtd_ir_sid_ok(uint64_t hi, uint16_t sid);
/* A compatibility-format MSI into its message (SDM 11.11); false for the
 * reserved delivery modes 011 and 110, which send nothing. */
bool vtd_ir_compat_msi(uint64_t addr, uint32_t data, struct apic_msg *m);

#endif /* KEEL_HV_DEV_VTD_IR_H */
