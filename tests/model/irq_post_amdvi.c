/* SPDX-License-Identifier: MIT */
/*
 * A model of what an AMD-Vi IOMMU does with a device's MSI: the device table
 * entry's interrupt controls, the interrupt remapping table (32-bit legacy
 * and 128-bit IRTEs, the remapped and the guest virtual APIC forms), the
 * backing page's IRR, the doorbell and the GA log.
 *
 * Written from the AMD I/O Virtualization Technology (IOMMU) Specification
 * #48882 (2.2.2 device table entry, 2.2.5 interrupt remapping, 2.2.6/3.4 the
 * GA log and its registers) and the APM vol. 2 (15.29, the AVIC backing
 * page), without reading Keel's driver or another hypervisor's IOMMU code.
 * docs/irq-post-model.md lists each behaviour with its section and every
 * point where the model chose the reading that makes a doubtful driver fail.
 */
#include <string.h>

#include "tests/model/irq_post_model.h"

/* ---- MMIO 0018h IOMMU Control (#48882 3.4.3) ---- */
#define CTL_GA_EN (1ull << 17)          /* 128-bit IRTE format */
#define CTL_GAM_EN_SHIFT 25             /* GAMEn, bits 27:25 */
#define CTL_GAM_EN_MASK (7ull << CTL_GAM_EN_SHIFT)
#define CTL_GAM_EN_VAPIC (1ull << CTL_GAM_EN_SHIFT) /* 001b: guest virtual APIC mode */
#define CTL_GA_LOG_EN (1ull << 28)
#define CTL_GA_INT_EN (1ull << 29)
#define CTL_XT_EN (1ull << 50)          /* 32-bit interrupt destinations */

/* ---- MMIO 2020h IOMMU Status ---- */
#define STS_GA_LOG_RUN (1ull << 8)
#define STS_GA_LOG_OVERFLOW (1ull << 9)
#define STS_GA_INT (1ull << 10)

/* ---- MMIO 00E0h GA Log Base Address ---- */
#define GALOG_BASE_MASK 0x000ffffffffff000ull /* bits 51:12 */
#define GALOG_LEN_SHIFT 56                    /* GALogLen, bits 59:56 */
#define GALOG_LEN_MIN 8u                      /* 1000b = 256 entries; below: reserved */
#define GALOG_TAIL_ADDR_MASK 0x000ffffffffffff8ull /* 00E8h bits 51:3 */
#define GALOG_ENTRY_SIZE 8u

/* ---- Device table entry, third quadword (bits 191:128, 2.2.2.1) ---- */
#define DTE_IV (1ull << 0)                 /* bit 128 */
#define DTE_INT_TAB_LEN_SHIFT 1            /* bits 132:129 */
#define DTE_INT_TAB_LEN_MASK 0xfull
#define DTE_INT_TAB_LEN_MAX 11u            /* 1011b = 2048 entries; above: reserved */
#define DTE_IG (1ull << 5)                 /* bit 133: no IO_PAGE_FAULT for unmapped interrupts */
#define DTE_INT_ROOT_MASK 0x000fffffffffffc0ull /* bits 179:134: address 51:6 */
#define DTE_INIT_PASS (1ull << 56)         /* bit 184 */
#define DTE_EINT_PASS (1ull << 57)         /* bit 185 */
#define DTE_NMI_PASS (1ull << 58)          /* bit 186 */
#define DTE_INT_CTL_SHIFT 60               /* bits 189:188 */
#define DTE_INT_CTL_ABORT 0u
#define DTE_INT_CTL_FORWARD 1u
#define DTE_INT_CTL_REMAP 2u

/* ---- MSI (2.2.5: the interrupt address range and message types) ---- */
#define MSI_ADDR_BASE 0xfee00000ull
#define MSI_ADDR_OFFSET_MASK 0xfffffull  /* FEE0_0000h..FEEF_FFFFh, nothing above bit 31 */
#define MSI_ADDR_DM (1u << 2)
#define MSI_DATA_MT_SHIFT 8
#define MSI_DATA_INDEX_MASK 0x7ffu         /* data 10:0 index the table */
#define MSI_DATA_TM (1u << 15)
enum { MT_FIXED = 0, MT_ARBITRATED = 1, MT_SMI = 2, MT_NMI = 4, MT_INIT = 5, MT_EXTINT = 7 };

/* ---- IRTE, first quadword (legacy 32-bit format in bits 31:0) ---- */
#define IRTE_REMAP_EN (1ull << 0)
#define IRTE_SUP_IOPF (1ull << 1)
#define IRTE_INT_TYPE_SHIFT 2              /* bits 4:2, remapped form */
#define IRTE_DM (1ull << 6)                /* remapped form */
#define IRTE_GA_LOG_INTR (1ull << 2)       /* guest form */
#define IRTE_IS_RUN (1ull << 6)            /* guest form */
#define IRTE_GUEST_MODE (1ull << 7)        /* 128-bit only */
#define IRTE_DEST_LO_SHIFT 8               /* 128-bit: Destination[23:0] in 31:8 */
#define IRTE_GA_TAG_SHIFT 32
/* Legacy 32-bit: destination 15:8, vector 23:16; bits 7 and 31:24 reserved. */
#define IRTE32_RSVD 0xff000080ull
/* 128-bit remapped form: 63:32 reserved; high quadword: vector 71:64,
 * 119:72 reserved, Destination[31:24] in 127:120. */
#define IRTE128_REMAP_RSVD_LO 0xffffffff00000000ull
#define IRTE128_REMAP_RSVD_HI 0x00ffffffffffff00ull
/* 128-bit guest form: bits 5:3 reserved (later revisions name bit 5;
 * the model does not implement it, so a driver must leave it 0);
 * high quadword: 75:72 and 119:116 reserved, GA root pointer in 115:76. */
#define IRTE128_GUEST_RSVD_LO 0x38ull
#define IRTE128_GUEST_RSVD_HI 0x00f0000000000f00ull
#define IRTE_HI_ROOT_MASK 0x000ffffffffff000ull /* bits 115:76 = address 51:12 */
#define IRTE_HI_DEST_HI_SHIFT 56
/* Destination bits that exist only with XTEn (32-bit destinations). */
#define IRTE_DEST_XT_ONLY_LO 0xffff0000ull

/* ---- AVIC backing page (APM vol. 2 15.29): IRR at 200h, one 32-bit
 * register per 16 bytes. ---- */
#define BP_IRR 0x200u

static void out_init(struct irqpm_outcome *out)
{
    memset(out, 0, sizeof(*out));
}

static void block(struct irqpm_outcome *out, enum irqpm_fault f)
{
    out->result = IRQPM_BLOCKED;
    out->fault = f;
}

/* The MSI as it would reach the APICs untranslated (compatibility form). */
static void pass_through(uint64_t addr, uint32_t data, struct irqpm_outcome *out)
{
    out->result = IRQPM_REMAPPED;
    out->fault = IRQPM_FAULT_NOT_REMAPPED;
    out->msg.dest = (uint32_t)(addr >> 12) & 0xffu;
    out->msg.logical = (addr & MSI_ADDR_DM) != 0;
    out->msg.vector = (uint8_t)data;
    out->msg.delivery_mode = (uint8_t)((data >> MSI_DATA_MT_SHIFT) & 7u);
    out->msg.level = (data & MSI_DATA_TM) != 0;
}

void irqpm_amdvi_reset(struct irqpm_amdvi *u)
{
    memset(u, 0, sizeof(*u));
}

/* ---- Interrupt remapping cache ---- */

static int cache_find(const struct irqpm_amdvi *u, uint16_t devid, uint16_t index)
{
    for (int i = 0; i < 8; i++)
        if (u->cache[i].valid && u->cache[i].devid == devid && u->cache[i].index == index)
            return i;
    return -1;
}

static void cache_fill(struct irqpm_amdvi *u, uint16_t devid, uint16_t index, const uint64_t irte[2])
{
    int slot = -1;

    for (int i = 0; i < 8 && slot < 0; i++)
        if (!u->cache[i].valid)
            slot = i;
    if (slot < 0)
        slot = (int)((devid * 31u + index) & 7u); /* full: a fixed victim */
    u->cache[slot].valid = true;
    u->cache[slot].devid = devid;
    u->cache[slot].index = index;
    u->cache[slot].irte[0] = irte[0];
    u->cache[slot].irte[1] = irte[1];
}

void irqpm_amdvi_inv_interrupt_table(struct irqpm_amdvi *u, uint16_t devid)
{
    for (int i = 0; i < 8; i++)
        if (u->cache[i].devid == devid)
            u->cache[i].valid = false;
}

/* ---- The DTE's decision (2.2.5: interrupt handling by message type) ---- */

enum dte_route { ROUTE_REMAP, ROUTE_FORWARD, ROUTE_ABORT, ROUTE_ILLEGAL };

static enum dte_route dte_route(uint64_t q2, unsigned mt)
{
    if (!(q2 & DTE_IV))
        return ROUTE_FORWARD; /* bits 255:128 not valid: interrupts pass unmapped */
    switch (mt) {
    case MT_FIXED:
    case MT_ARBITRATED:
        switch ((q2 >> DTE_INT_CTL_SHIFT) & 3u) {
        case DTE_INT_CTL_ABORT: return ROUTE_ABORT;
        case DTE_INT_CTL_FORWARD: return ROUTE_FORWARD;
        case DTE_INT_CTL_REMAP: return ROUTE_REMAP;
        default: return ROUTE_ILLEGAL; /* IntCtl 11b reserved */
        }
    case MT_NMI: return (q2 & DTE_NMI_PASS) ? ROUTE_FORWARD : ROUTE_ABORT;
    case MT_INIT: return (q2 & DTE_INIT_PASS) ? ROUTE_FORWARD : ROUTE_ABORT;
    case MT_EXTINT: return (q2 & DTE_EINT_PASS) ? ROUTE_FORWARD : ROUTE_ABORT;
    default:
        /* SMI has no pass bit among the interrupt fields, 011b and 110b are
         * reserved: the model aborts them (docs/irq-post-model.md). */
        return ROUTE_ABORT;
    }
}

static int read128(const struct irqpm_mem *m, uint64_t pa, uint64_t irte[2])
{
    uint8_t b[16];

    if (m->read(m->ctx, pa, b, sizeof(b)) != 0)
        return -1;
    memcpy(&irte[0], b, 8);
    memcpy(&irte[1], b + 8, 8);
    return 0;
}

/* #48882 rev 3.08, 2.2.5.2: in a guest virtual APIC IRTE, IsRun and
 * Destination are not cached: the unit reads them from the table for every
 * interrupt, so that software may move or stop a vCPU without an
 * INVALIDATE_INTERRUPT_TABLE.  Every other field (GALogIntr included) is
 * used from the cache. */
static int refresh_run_fields(const struct irqpm_amdvi *u, const struct irqpm_mem *m, uint64_t pa,
                              uint64_t irte[2])
{
    const uint64_t lo_mask = IRTE_IS_RUN | (0xffffffull << IRTE_DEST_LO_SHIFT);
    const uint64_t hi_mask = 0xffull << IRTE_HI_DEST_HI_SHIFT;
    uint64_t now[2];

    if (u->caches_run_fields || !(irte[0] & IRTE_GUEST_MODE))
        return 0;
    if (read128(m, pa, now) != 0)
        return -1;
    irte[0] = (irte[0] & ~lo_mask) | (now[0] & lo_mask);
    irte[1] = (irte[1] & ~hi_mask) | (now[1] & hi_mask);
    return 0;
}

/* Reads the IRTE for (devid, index) from the cache or from memory. */
static int irte_fetch(struct irqpm_amdvi *u, const struct irqpm_mem *m, uint16_t devid,
                      uint64_t root, uint16_t index, uint64_t irte[2])
{
    bool wide = (u->control & CTL_GA_EN) != 0;
    int c = cache_find(u, devid, index);

    if (c >= 0) {
        irte[0] = u->cache[c].irte[0];
        irte[1] = u->cache[c].irte[1];
        return wide ? refresh_run_fields(u, m, root + (uint64_t)index * 16u, irte) : 0;
    }
    irte[0] = irte[1] = 0;
    if (wide) {
        if (read128(m, root + (uint64_t)index * 16u, irte) != 0)
            return -1;
    } else {
        uint32_t v;
        if (m->read(m->ctx, root + (uint64_t)index * 4u, &v, sizeof(v)) != 0)
            return -1;
        irte[0] = v;
    }
    if ((irte[0] & IRTE_REMAP_EN) || u->np_cache)
        cache_fill(u, devid, index, irte);
    return 0;
}

static bool int_type_reserved(unsigned t)
{
    return t == 3u || t == 6u;
}

/* An interrupt fault found in the IRTE: IO_PAGE_FAULT unless SupIOPF. */
static void irte_fault(struct irqpm_amdvi *u, uint64_t lo, enum irqpm_fault f,
                       struct irqpm_outcome *out)
{
    if (!(lo & IRTE_SUP_IOPF))
        u->faults_logged++;
    block(out, f);
}

static void remap_legacy(struct irqpm_amdvi *u, uint64_t lo, uint32_t data, struct irqpm_outcome *out)
{
    unsigned type = (unsigned)(lo >> IRTE_INT_TYPE_SHIFT) & 7u;

    if ((lo & IRTE32_RSVD) || int_type_reserved(type)) {
        irte_fault(u, lo, IRQPM_FAULT_ENTRY_RESERVED, out);
        return;
    }
    out->result = IRQPM_REMAPPED;
    out->msg.dest = (uint32_t)(lo >> 8) & 0xffu;
    out->msg.logical = (lo & IRTE_DM) != 0;
    out->msg.vector = (uint8_t)(lo >> 16);
    out->msg.delivery_mode = (uint8_t)type;
    out->msg.level = (data & MSI_DATA_TM) != 0;
}

/* The 128-bit IRTE's destination: 8 bits, or 32 with XTEn (Destination[23:0]
 * in bits 31:8, Destination[31:24] in bits 127:120).  Without XTEn the other
 * destination bits are taken as reserved (-1). */
static int64_t irte128_dest(const struct irqpm_amdvi *u, const uint64_t irte[2])
{
    uint32_t lo24 = (uint32_t)(irte[0] >> IRTE_DEST_LO_SHIFT) & 0xffffffu;
    uint32_t hi8 = (uint32_t)(irte[1] >> IRTE_HI_DEST_HI_SHIFT);

    if (u->control & CTL_XT_EN)
        return (int64_t)(lo24 | (hi8 << 24));
    if ((irte[0] & IRTE_DEST_XT_ONLY_LO) || hi8)
        return -1;
    return lo24;
}

static void remap_128(struct irqpm_amdvi *u, const uint64_t irte[2], uint32_t data,
                      struct irqpm_outcome *out)
{
    unsigned type = (unsigned)(irte[0] >> IRTE_INT_TYPE_SHIFT) & 7u;
    int64_t dest = irte128_dest(u, irte);

    if ((irte[0] & IRTE128_REMAP_RSVD_LO) || (irte[1] & IRTE128_REMAP_RSVD_HI) ||
        int_type_reserved(type) || dest < 0) {
        irte_fault(u, irte[0], IRQPM_FAULT_ENTRY_RESERVED, out);
        return;
    }
    out->result = IRQPM_REMAPPED;
    out->msg.dest = (uint32_t)dest;
    out->msg.logical = (irte[0] & IRTE_DM) != 0;
    out->msg.vector = (uint8_t)irte[1];
    out->msg.delivery_mode = (uint8_t)type;
    out->msg.level = (data & MSI_DATA_TM) != 0;
}

/* Sets the vector's IRR bit in the backing page: one 32-bit read-modify-
 * write, which the hardware does as a locked (atomic) operation. */
static int irr_set(const struct irqpm_mem *m, uint64_t page, uint8_t vector)
{
    uint64_t pa = page + BP_IRR + (uint64_t)(vector / 32u) * 16u;
    uint32_t v;

    if (m->read(m->ctx, pa, &v, sizeof(v)) != 0)
        return -1;
    v |= 1u << (vector % 32u);
    return m->write(m->ctx, pa, &v, sizeof(v));
}

/* Appends a GA_GUEST_NR entry to the GA log (2.2.6 / 3.4): at the tail,
 * unless the log is full (the next tail would equal the head; head == tail
 * is empty) or an earlier overflow has not been cleared. */
static void ga_log_append(struct irqpm_amdvi *u, const struct irqpm_mem *m, uint16_t devid,
                          uint32_t tag, struct irqpm_outcome *out)
{
    unsigned len = (unsigned)(u->ga_log_base >> GALOG_LEN_SHIFT) & 0xfu;
    uint64_t size, head, tail, next, entry;

    if (!(u->control & CTL_GA_LOG_EN) || len < GALOG_LEN_MIN)
        return; /* the log is not running: nothing is written */
    u->status |= STS_GA_LOG_RUN;
    if (u->status & STS_GA_LOG_OVERFLOW) {
        out->ga_log_overflow = true; /* no new entries until software clears it */
        return;
    }
    size = (1ull << len) * GALOG_ENTRY_SIZE;
    head = u->ga_log_head & (size - 1u) & ~7ull;
    tail = u->ga_log_tail & (size - 1u) & ~7ull;
    next = (tail + GALOG_ENTRY_SIZE) & (size - 1u);
    if (next == head) {
        /* Full: the event is discarded; GALogOverflow raises no interrupt. */
        u->status |= STS_GA_LOG_OVERFLOW;
        out->ga_log_overflow = true;
        return;
    }
    entry = (uint64_t)tag | ((uint64_t)devid << 32) | ((uint64_t)IRQPM_GA_LOG_TYPE_GUEST_NR << 60);
    if (m->write(m->ctx, (u->ga_log_base & GALOG_BASE_MASK) + tail, &entry, sizeof(entry)) != 0) {
        u->mem_errors++;
        return;
    }
    u->ga_log_tail = next;
    out->ga_logged = true;
    if (m->write(m->ctx, u->ga_log_tail_addr & GALOG_TAIL_ADDR_MASK, &u->ga_log_tail,
                 sizeof(u->ga_log_tail)) != 0)
        u->mem_errors++;
    /* GAInt: the interrupt is raised when GAInt goes from 0 to 1. */
    if (!(u->status & STS_GA_INT) && (u->control & CTL_GA_INT_EN))
        u->ga_interrupts++;
    u->status |= STS_GA_INT;
}

static void post_guest(struct irqpm_amdvi *u, const struct irqpm_mem *m, uint16_t devid,
                       const uint64_t irte[2], struct irqpm_outcome *out)
{
    int64_t dest = irte128_dest(u, irte);
    uint8_t vector = (uint8_t)irte[1];

    if ((u->control & CTL_GAM_EN_MASK) != CTL_GAM_EN_VAPIC || (irte[0] & IRTE128_GUEST_RSVD_LO) ||
        (irte[1] & IRTE128_GUEST_RSVD_HI) || dest < 0) {
        irte_fault(u, irte[0], IRQPM_FAULT_ENTRY_RESERVED, out);
        return;
    }
    if (irr_set(m, irte[1] & IRTE_HI_ROOT_MASK, vector) != 0) {
        block(out, IRQPM_FAULT_MEM);
        return;
    }
    out->result = IRQPM_POSTED;
    out->posted_vector = vector;
    if (irte[0] & IRTE_IS_RUN) {
        /* The doorbell to the physical APIC running the vCPU: no vector. */
        out->notified = true;
        out->msg.dest = (uint32_t)dest;
        return;
    }
    if (irte[0] & IRTE_GA_LOG_INTR)
        ga_log_append(u, m, devid, (uint32_t)(irte[0] >> IRTE_GA_TAG_SHIFT), out);
}

void irqpm_amdvi_msi(struct irqpm_amdvi *u, const struct irqpm_mem *m, uint16_t devid,
                     const uint64_t dte[4], uint64_t msi_addr, uint32_t msi_data,
                     struct irqpm_outcome *out)
{
    uint64_t q2 = dte[2], irte[2];
    unsigned len = (unsigned)(q2 >> DTE_INT_TAB_LEN_SHIFT) & DTE_INT_TAB_LEN_MASK;
    uint16_t index = (uint16_t)(msi_data & MSI_DATA_INDEX_MASK);

    out_init(out);
    if ((msi_addr & ~MSI_ADDR_OFFSET_MASK) != MSI_ADDR_BASE) {
        block(out, IRQPM_FAULT_FORMAT); /* not a write to the interrupt range */
        return;
    }
    switch (dte_route(q2, (msi_data >> MSI_DATA_MT_SHIFT) & 7u)) {
    case ROUTE_FORWARD:
        pass_through(msi_addr, msi_data, out);
        return;
    case ROUTE_ABORT:
        block(out, IRQPM_FAULT_DTE_BLOCKED);
        return;
    case ROUTE_ILLEGAL:
        u->faults_logged++;
        block(out, IRQPM_FAULT_TABLE_INVALID);
        return;
    case ROUTE_REMAP:
        break;
    }
    if (len > DTE_INT_TAB_LEN_MAX) {
        u->faults_logged++; /* ILLEGAL_DEV_TABLE_ENTRY */
        block(out, IRQPM_FAULT_TABLE_INVALID);
        return;
    }
    if (index >= (1u << len)) {
        if (!(q2 & DTE_IG))
            u->faults_logged++; /* IO_PAGE_FAULT */
        block(out, IRQPM_FAULT_INDEX);
        return;
    }
    if (irte_fetch(u, m, devid, q2 & DTE_INT_ROOT_MASK, index, irte) != 0) {
        block(out, IRQPM_FAULT_MEM);
        return;
    }
    if (!(irte[0] & IRTE_REMAP_EN))
        irte_fault(u, irte[0] | ((q2 & DTE_IG) ? IRTE_SUP_IOPF : 0), IRQPM_FAULT_ENTRY_NOT_PRESENT, out);
    else if (!(u->control & CTL_GA_EN))
        remap_legacy(u, irte[0], msi_data, out);
    else if (irte[0] & IRTE_GUEST_MODE)
        post_guest(u, m, devid, irte, out);
    else
        remap_128(u, irte, msi_data, out);
}
