/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi hardware layouts (AMD I/O Virtualization Technology (IOMMU)
 * Specification #48882 rev 3.x): the MMIO registers Keel uses, the device
 * table entry, the command buffer and event log entries, the 128-bit
 * interrupt remapping table entry (remapped and guest virtual APIC forms)
 * and the I/O page table entry.  Each layout is an array of little-endian
 * words with named masks (docs/style.md item 6: no bitfields); the
 * encoders and the event decoder (amdvi_enc.c) are pure and host-tested.
 */
#ifndef KEEL_IOMMU_AMD_AMDVI_HW_H
#define KEEL_IOMMU_AMD_AMDVI_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "iommu/iommu_fault.h"

/* Physical address bits 51:12 (the IOMMU's address fields stop at bit 51). */
#define AMDVI_ADDR_MASK          0x000ffffffffff000ull

/* ---- MMIO registers (3.4) ---- */
#define AMDVI_MMIO_DEV_TABLE     0x0000 /* 3.4.1: base 51:12, Size 8:0 (4 KiB pages - 1) */
#define AMDVI_MMIO_CMD_BUF       0x0008 /* 3.4.2: base 51:12, ComLen 59:56 (log2 entries) */
#define AMDVI_MMIO_EVENT_LOG     0x0010 /* 3.4.3: base 51:12, EventLen 59:56 */
#define AMDVI_MMIO_CONTROL       0x0018 /* 3.4.4 */
#define AMDVI_MMIO_EFR           0x0030 /* 3.4.6: Extended Feature Register */
#define AMDVI_MMIO_CMD_HEAD      0x2000 /* 3.4.11: byte offset 18:4 */
#define AMDVI_MMIO_CMD_TAIL      0x2008
#define AMDVI_MMIO_EVENT_HEAD    0x2010
#define AMDVI_MMIO_EVENT_TAIL    0x2018
#define AMDVI_MMIO_STATUS        0x2020 /* 3.4.12 */
#define AMDVI_MMIO_GA_LOG_BASE   0x00e0 /* guest virtual APIC log: base 51:12, GALogLen 59:56 */
#define AMDVI_MMIO_GA_LOG_TAIL_ADDR 0x00e8 /* where the unit also stores its tail pointer, 51:3 */
#define AMDVI_MMIO_GA_LOG_HEAD   0x2040 /* byte offset 18:3 (the driver moves it) */
#define AMDVI_MMIO_GA_LOG_TAIL   0x2048 /* byte offset 18:3 (the unit moves it) */
#define AMDVI_MMIO_SIZE          0x4000 /* the register window Keel maps (16 KiB) */

#define AMDVI_LEN_SHIFT          56     /* ComLen / EventLen */
#define AMDVI_RING_PTR_MASK      0x7fff0ull /* head/tail: 16-byte entries, bits 18:4 */
#define AMDVI_RING_MIN_LOG2      8      /* 256 entries = 4 KiB, the smallest ring */
#define AMDVI_RING_MAX_LOG2      15     /* 32768 entries = 512 KiB */

/* Control register bits (3.4.4). */
#define AMDVI_CTL_IOMMU_EN       (1ull << 0)
#define AMDVI_CTL_EVENT_LOG_EN   (1ull << 2)
#define AMDVI_CTL_EVENT_INT_EN   (1ull << 3)
#define AMDVI_CTL_COMWAIT_INT_EN (1ull << 4)
#define AMDVI_CTL_CMD_BUF_EN     (1ull << 12)
#define AMDVI_CTL_GA_EN          (1ull << 17) /* 128-bit IRTEs, guest virtual APIC */
#define AMDVI_CTL_GAM_VAPIC      (1ull << 25) /* GAMEn 27:25 = 001b: guest-mode IRTEs post */
#define AMDVI_CTL_GA_LOG_EN      (1ull << 28)
#define AMDVI_CTL_GA_INT_EN      (1ull << 29)
#define AMDVI_CTL_XT_EN          (1ull << 50) /* 32-bit destinations */

/* Status register bits (3.4.12). */
#define AMDVI_STS_EVENT_OVERFLOW (1ull << 0)
#define AMDVI_STS_EVENT_LOG_INT  (1ull << 1)
#define AMDVI_STS_COMWAIT_INT    (1ull << 2)
#define AMDVI_STS_EVENT_LOG_RUN  (1ull << 3)
#define AMDVI_STS_CMD_BUF_RUN    (1ull << 4)
#define AMDVI_STS_GA_LOG_RUN     (1ull << 8)
#define AMDVI_STS_GA_LOG_OVERFLOW (1ull << 9) /* RW1C: the log was full, an entry was lost */
#define AMDVI_STS_GA_INT         (1ull << 10) /* RW1C: a GA log entry was written */

/* EFR bits (3.4.6). */
#define AMDVI_EFR_XT             (1ull << 2)
#define AMDVI_EFR_GA             (1ull << 7)
#define AMDVI_EFR_GAM_SHIFT      21           /* 23:21 GAMSup: guest virtual APIC modes */
#define AMDVI_EFR_GAM_MASK       (7ull << 21)
#define AMDVI_GAM_VAPIC          1            /* GAMSup 001b: guest virtual APIC supported */

/* ---- Device table entry (2.2.2.1, 256 bits) ---- */
struct amdvi_dte {
    uint64_t q[4];
};
_Static_assert(sizeof(struct amdvi_dte) == 32, "DTE is 256 bits (#48882 2.2.2.1)");

/* q[0]: bits 63:0 */
#define AMDVI_DTE0_V             (1ull << 0)  /* entry valid */
#define AMDVI_DTE0_TV            (1ull << 1)  /* translation fields valid */
#define AMDVI_DTE0_MODE_SHIFT    9            /* 11:9 paging mode: 0 none, 1..6 levels */
#define AMDVI_DTE0_MODE_MASK     (7ull << 9)
#define AMDVI_DTE0_PT_ROOT_MASK  AMDVI_ADDR_MASK /* 51:12 host page table root */
#define AMDVI_DTE0_IR            (1ull << 61) /* DMA reads allowed */
#define AMDVI_DTE0_IW            (1ull << 62) /* DMA writes allowed */
/* q[1]: bits 127:64 */
#define AMDVI_DTE1_DOMAIN_MASK   0xffffull    /* 79:64 DomainID */
#define AMDVI_DTE1_I             (1ull << 32) /* 96: IOTLB enable */
#define AMDVI_DTE1_SE            (1ull << 33) /* 97: suppress events */
#define AMDVI_DTE1_SA            (1ull << 34) /* 98: suppress all events */
#define AMDVI_DTE1_EX            (1ull << 39) /* 103: exclusion range applies */
/* q[2]: bits 191:128 */
#define AMDVI_DTE2_IV            (1ull << 0)  /* 128: interrupt fields valid */
#define AMDVI_DTE2_INTTABLEN_SHIFT 1          /* 132:129: 2^n IRTEs */
#define AMDVI_DTE2_IG            (1ull << 5)  /* 133: ignore unmapped interrupts */
#define AMDVI_DTE2_IRT_MASK      0x000fffffffffffc0ull /* 179:134: table root, 64-byte aligned */
#define AMDVI_DTE2_INIT_PASS     (1ull << 56) /* 184 */
#define AMDVI_DTE2_EINT_PASS     (1ull << 57) /* 185 */
#define AMDVI_DTE2_NMI_PASS      (1ull << 58) /* 186 */
#define AMDVI_DTE2_INTCTL_SHIFT  60           /* 189:188: 0 abort, 1 pass, 2 remap */
#define AMDVI_DTE2_LINT0_PASS    (1ull << 62) /* 190 */
#define AMDVI_DTE2_LINT1_PASS    (1ull << 63) /* 191 */
#define AMDVI_INTCTL_ABORT       0
#define AMDVI_INTCTL_PASS        1
#define AMDVI_INTCTL_REMAP       2
#define AMDVI_IRT_MAX_LOG2       11           /* IntTabLen 1011b: 2048 entries; above reserved */

struct amdvi_dte_cfg {
    bool translate;      /* TV with mode/root: DMA translated through pt_root */
    uint8_t levels;      /* 0: no translation (DMA passes untranslated when IR/IW); 1..6 */
    uint64_t pt_root;    /* 4 KiB aligned, below 2^52 */
    uint16_t domain;
    bool read, write;    /* IR, IW */
    bool suppress_events;
    bool remap_ints;     /* IV with the table: interrupts remapped through irt */
    uint64_t irt;        /* 64-byte aligned */
    uint8_t irt_log2;    /* the table holds 2^irt_log2 IRTEs */
    uint8_t pass;        /* the IVHD DTE setting bits: INITPass [0], EIntPass [1], NMIPass [2],
                          * Lint0Pass [6], Lint1Pass [7] (#48882 5.2.2.2) */
};

/* ---- Commands (2.4, 128 bits) ---- */
struct amdvi_cmd {
    uint32_t d[4];
};
_Static_assert(sizeof(struct amdvi_cmd) == 16, "commands are 128 bits (#48882 2.4)");

#define AMDVI_CMD_OPCODE_SHIFT   28           /* in d[1] */
#define AMDVI_CMD_COMPLETION_WAIT 0x1
#define AMDVI_CMD_INV_DEVTAB_ENTRY 0x2
#define AMDVI_CMD_INV_IOMMU_PAGES 0x3
#define AMDVI_CMD_INV_INTERRUPT_TABLE 0x5
#define AMDVI_CMD_INV_IOMMU_ALL  0x8
/* COMPLETION_WAIT (2.4.1) d[0]. */
#define AMDVI_CW_S               (1u << 0)    /* store the data at the address */
#define AMDVI_CW_I               (1u << 1)    /* raise the completion interrupt */
#define AMDVI_CW_F               (1u << 2)    /* flush: wait for earlier commands' completions */
/* INVALIDATE_IOMMU_PAGES (2.4.3) d[2]. */
#define AMDVI_INVP_S             (1u << 0)    /* size: the address encodes a range */
#define AMDVI_INVP_PDE           (1u << 1)    /* also the cached page directory entries */
#define AMDVI_INVP_ALL_ADDRESS   0x7ffffffffffff000ull /* with S: every page of the domain */

/* ---- Event log entries (2.5, 128 bits) ---- */
struct amdvi_event {
    uint32_t d[4];
};
_Static_assert(sizeof(struct amdvi_event) == 16, "event log entries are 128 bits (#48882 2.5)");

#define AMDVI_EV_CODE_SHIFT      28           /* d[1] 31:28 EventCode */
#define AMDVI_EV_FLAGS_SHIFT     16           /* d[1] 27:16 */
#define AMDVI_EV_ILLEGAL_DEV_TABLE_ENTRY 0x1
#define AMDVI_EV_IO_PAGE_FAULT   0x2
#define AMDVI_EV_DEV_TAB_HW_ERROR 0x3
#define AMDVI_EV_PAGE_TAB_HW_ERROR 0x4
#define AMDVI_EV_ILLEGAL_COMMAND 0x5
#define AMDVI_EV_COMMAND_HW_ERROR 0x6
#define AMDVI_EV_IOTLB_INV_TIMEOUT 0x7
#define AMDVI_EV_INVALID_DEVICE_REQUEST 0x8
/* IO_PAGE_FAULT flags (2.5.3), as bits of d[1]. */
#define AMDVI_EVF_GN             (1u << 16)   /* the PASID field is valid */
#define AMDVI_EVF_NX             (1u << 17)   /* an instruction fetch */
#define AMDVI_EVF_I              (1u << 19)   /* an interrupt request */
#define AMDVI_EVF_PR             (1u << 20)   /* the translation was present */
#define AMDVI_EVF_RW             (1u << 21)   /* a write */

/* ---- Interrupt remapping table entry, 128-bit (2.2.5.2; GA mode) ---- */
struct amdvi_irte {
    uint64_t lo, hi;
};
_Static_assert(sizeof(struct amdvi_irte) == 16, "GA-mode IRTEs are 128 bits (#48882 2.2.5.2)");
_Static_assert(offsetof(struct amdvi_irte, hi) == 8, "IRTE bits 127:64");

/* lo, both forms */
#define AMDVI_IRTE_REMAP_EN      (1ull << 0)
#define AMDVI_IRTE_SUP_IOPF      (1ull << 1)
#define AMDVI_IRTE_GUEST_MODE    (1ull << 7)
#define AMDVI_IRTE_DEST_LO_SHIFT 8            /* 31:8 Destination[23:0] */
/* lo, remapped form (GuestMode 0) */
#define AMDVI_IRTE_INT_TYPE_SHIFT 2           /* 4:2: 0 fixed, 1 arbitrated, ... */
#define AMDVI_IRTE_RQ_EOI        (1ull << 5)
#define AMDVI_IRTE_DM            (1ull << 6)  /* logical destination */
/* lo, guest virtual APIC form (GuestMode 1) */
#define AMDVI_IRTE_GA_LOG_INTR   (1ull << 2)  /* log to the GA log while not running */
#define AMDVI_IRTE_IS_RUN        (1ull << 6)  /* the vCPU runs: doorbell to Destination */
#define AMDVI_IRTE_GA_TAG_SHIFT  32           /* 63:32 GATag */
/* hi */
#define AMDVI_IRTE_VECTOR_MASK   0xffull      /* 71:64 (the guest's vector in GA form) */
#define AMDVI_IRTE_GA_ROOT_MASK  AMDVI_ADDR_MASK /* 115:76: the vAPIC backing page, 51:12 */
#define AMDVI_IRTE_DEST_HI_SHIFT 56           /* 127:120 Destination[31:24] */
#define AMDVI_INT_FIXED          0
#define AMDVI_INT_ARBITRATED     1

/* ---- Guest virtual APIC log (#48882 2.7, "Guest Virtual APIC Log"; registers 3.4) ----
 * A ring of 64-bit entries the unit appends when it posts an interrupt
 * to a guest-mode IRTE whose IsRun is 0 and whose GALogIntr is 1: the
 * IRTE's GATag, the requester, the entry type.  Head and tail are byte
 * offsets.  GALogLen (base register 59:56) 1000b is 512 entries (4 KiB);
 * each step doubles it. */
#define AMDVI_GA_LOG_LEN_SHIFT   56
#define AMDVI_GA_LOG_LEN_512     8u
#define AMDVI_GA_LOG_ENTRIES     512u
#define AMDVI_GA_PTR_MASK        0x7fff8ull   /* head/tail: 8-byte entries, bits 18:3 */
#define AMDVI_GA_TAIL_ADDR_MASK  0x000ffffffffffff8ull
#define AMDVI_GA_ENT_TAG_MASK    0xffffffffull /* 31:0 GATag */
#define AMDVI_GA_ENT_DEVID_SHIFT 32           /* 47:32 DeviceID */
#define AMDVI_GA_ENT_TYPE_SHIFT  60           /* 63:60 entry type */
#define AMDVI_GA_ENT_GUEST_NR    1u           /* an interrupt for a guest not running */

/* The GA log base and tail-address register values for a 4 KiB log (512
 * entries) at log_pa and an 8-byte tail store at tail_pa.  0, or -1. */
int amdvi_ga_log_regs(uint64_t log_pa, uint64_t tail_pa, uint64_t *base_reg, uint64_t *tail_reg);
/* One GA log entry: 0 with its tag and device for a GUEST_NR entry, 1 for
 * an entry of another (unknown) type, -1 for an all-zero (unwritten) one. */
int amdvi_ga_log_decode(uint64_t entry, uint32_t *ga_tag, uint16_t *devid);
/* Consumes the ring log[] (AMDVI_GA_LOG_ENTRIES) from byte offset head up
 * to tail: fn for each GUEST_NR entry, every consumed entry zeroed.
 * Returns the new head (what the driver writes to the head register);
 * *n counts the entries consumed. */
typedef void (*amdvi_ga_fn)(void *ctx, uint32_t ga_tag, uint16_t devid);
uint64_t amdvi_ga_log_consume(uint64_t *log, uint64_t head, uint64_t tail, amdvi_ga_fn fn,
                              void *ctx, unsigned *n);

/* ---- I/O page table entry (2.2.3) ---- */
#define AMDVI_PTE_PR             (1ull << 0)
#define AMDVI_PTE_NEXT_SHIFT     9            /* 11:9 NextLevel: 0 leaf, 7 non-default size */
#define AMDVI_PTE_FC             (1ull << 60) /* force coherent */
#define AMDVI_PTE_IR             (1ull << 61)
#define AMDVI_PTE_IW             (1ull << 62)

/* Encoders: 0, or -1 for an input the hardware cannot take (an address not
 * aligned or above bit 51, a field out of range); *out is then zero. */
int amdvi_dte_encode(const struct amdvi_dte_cfg *c, struct amdvi_dte *out);
int amdvi_cmd_completion_wait(struct amdvi_cmd *c, uint64_t store_pa, uint64_t data, bool intr);
void amdvi_cmd_inv_devtab_entry(struct amdvi_cmd *c, uint16_t devid);
/* Pages of a domain: with all, every page (S, PDE, the all-pages address);
 * else the 4 KiB page at addr. */
int amdvi_cmd_inv_iommu_pages(struct amdvi_cmd *c, uint16_t domain, uint64_t addr, bool all);
void amdvi_cmd_inv_interrupt_table(struct amdvi_cmd *c, uint16_t devid);
/* The remapped form: an interrupt to physical or logical dest; dest above
 * 0xff needs XT (xt true). */
int amdvi_irte_remapped(struct amdvi_irte *e, uint8_t vector, uint32_t dest, bool logical,
                        uint8_t int_type, bool xt);
/* The guest virtual APIC form: the vCPU's backing page, its vector, the
 * host APIC ID it runs on (dest) and whether it runs, the tag the GA log
 * reports, and whether to log while it does not run. */
int amdvi_irte_guest(struct amdvi_irte *e, uint64_t backing_pa, uint8_t vector, uint32_t dest,
                     bool is_run, uint32_t ga_tag, bool ga_log);
/* Moves a guest-mode IRTE's vCPU (the placement the AVIC driver publishes:
 * the host APIC ID it runs on, whether it runs): Destination and IsRun,
 * nothing else.  1 when the upper half changed too (Destination[31:24]:
 * the caller must then replace the entry with one 128-bit store), 0 when
 * only lo did (one 64-bit store), -1 for an entry not in guest mode. */
int amdvi_irte_ga_place(struct amdvi_irte *e, uint32_t dest, bool is_run);
/* An I/O page table entry: a table (next_level 1..6) or a page (0, or 7
 * for a non-default size) at pa with read/write permission. */
int amdvi_pte(uint64_t *pte, uint64_t pa, unsigned next_level, bool read, bool write);
/* Decodes an event log entry; 0, or -1 for an all-zero (not yet written) entry. */
int amdvi_event_decode(const struct amdvi_event *ev, struct iommu_fault *f);

#endif /* KEEL_IOMMU_AMD_AMDVI_HW_H */
