/* SPDX-License-Identifier: MIT */
/*
 * VT-d bring-up at boot: the invalidation queue (VT-d 6.5.2) and one
 * invalidation wait descriptor with a status write, waited for with a
 * bound.  Only queued invalidation is enabled: DMA remapping (GCMD.TE) and
 * interrupt remapping (GCMD.IRE) stay as the firmware left them (off on
 * QEMU), so the firmware's devices are untouched.  Hardware glue over
 * vtd_enc.c.
 */
#include <stdio.h>
#include <string.h>

#include "hv/host/console.h"
#include "hv/host/spinlock.h"
#include "hv/mm/mem.h"
#include "hv/host/time.h"
#include "iommu/iommu_boot.h"
#include "iommu/iommu_mmio.h"
#include "iommu/iommu_domain.h"
#include "iommu/vtd/vtd_hw.h"

#define QUEUE_PAGES 1      /* 256 descriptors of 128 bits (IQA.QS 0) */
#define WAIT_US     100000
#define WAIT_DATA   0x4b45454cu /* "KEEL" */
#define VTD_IRT_ENTRIES 256    /* IRTA.S 7: one 4 KiB page of 128-bit IRTEs */

struct vtd_unit {
    uint64_t base;
    struct vtd_inv_desc *queue;
    volatile uint32_t *status;
    uint32_t tail;
    uint64_t cap, ecap;
    bool eime;                   /* IRTA.EIME: 32-bit destinations (iommu_wants_x2) */
    bool fault_irq;              /* fault events unmasked (vtd_fault_irq_setup) */
    struct vtd_root_entry *root; /* allocated at the first attach */
    struct vtd_irte *irt;        /* interrupt remapping table, at the first MSI remapped */
    unsigned nirte;              /* its entries handed out (one per assigned device) */
    uint16_t irte_bdf[VTD_IRT_ENTRIES];
    uint8_t irte_vec[VTD_IRT_ENTRIES];   /* which of the device's IRTEs (MSI 0, MSI-X i) */
    struct spinlock lock;        /* queue, tail, status, root and context tables, FRCDs */
    uint32_t wait_seq;
};

static struct vtd_unit units[IOMMU_MAX_UNITS];

static void fail(unsigned index, const struct vtd_unit *vu, const char *caller, const char *what)
{
    log_warn("iommu: unit %u (VT-d at %#llx): %s (GSTS %#x, FSTS %#x, IQH %#llx, IQT %#llx, "
             "ICS %#x) in %s: no queue",
             index, (unsigned long long)vu->base, what, iommu_rd32_mmio(vu->base, VTD_REG_GSTS),
             iommu_rd32_mmio(vu->base, VTD_REG_FSTS),
             (unsigned long long)iommu_rd64_mmio(vu->base, VTD_REG_IQH),
             (unsigned long long)iommu_rd64_mmio(vu->base, VTD_REG_IQT),
             iommu_rd32_mmio(vu->base, VTD_REG_ICS), caller);
}

/* 11.4.4: a GCMD write carries the persistent enables from GSTS and sets
 * one more; the unit confirms in GSTS. */
static bool gcmd_set(struct vtd_unit *vu, uint32_t cmd, uint32_t sts)
{
    uint32_t g = iommu_rd32_mmio(vu->base, VTD_REG_GSTS) & VTD_GSTS_PERSISTENT;

    iommu_wr32_mmio(vu->base, VTD_REG_GCMD, g | cmd);
    for (unsigned i = 0; i < 1000; i++) {
        if (iommu_rd32_mmio(vu->base, VTD_REG_GSTS) & sts)
            return true;
        udelay(100);
    }
    return false;
}

static int queue_enable(unsigned index, struct vtd_unit *vu, iommu_alloc_fn alloc)
{
    uint64_t pa = alloc(QUEUE_PAGES + 1);

    if (!pa) {
        fail(index, vu, __func__, "no memory below 4 GiB for the invalidation queue");
        return -1;
    }
    memset((void *)(uintptr_t)pa, 0, (QUEUE_PAGES + 1) * 4096);
    vu->queue = (struct vtd_inv_desc *)(uintptr_t)pa;
    vu->status = (volatile uint32_t *)(uintptr_t)(pa + QUEUE_PAGES * 4096);
    vu->tail = 0;
    /* 6.5.2: the tail at 0 before QIE; IQA: base, DW 0 (128-bit), QS 0. */
    iommu_wr64_mmio(vu->base, VTD_REG_IQT, 0);
    iommu_wr64_mmio(vu->base, VTD_REG_IQA, pa);
    if (!gcmd_set(vu, VTD_GCMD_QIE, VTD_GSTS_QIES)) {
        fail(index, vu, __func__, "GSTS.QIES stays 0 after GCMD.QIE");
        return -1;
    }
    return 0;
}

/* 11.4.14: CAP.NFR + 1 fault recording registers at CAP.FRO * 16; a set F
 * bit is a fault the unit recorded (from before Keel, or from the firmware's
 * devices).  Each is reported and cleared (F is write-1-to-clear). */
static unsigned report_faults(unsigned index, struct vtd_unit *vu, uint64_t cap)
{
    uint32_t fro = (uint32_t)((cap >> VTD_CAP_FRO_SHIFT) & VTD_CAP_FRO_MASK) * 16;
    uint32_t nfr = (uint32_t)((cap >> VTD_CAP_NFR_SHIFT) & VTD_CAP_NFR_MASK) + 1;
    unsigned n = 0;
    char line[200];

    if (fro < 0x100 || fro + nfr * 16 > VTD_REG_SIZE) {
        log_warn("iommu: unit %u: fault recording registers at %#x (CAP.FRO), %u of them "
                 "(CAP.NFR): outside the 4 KiB window Keel reads, not checked",
                 index, fro, nfr);
        return 0;
    }
    for (uint32_t i = 0; i < nfr; i++) {
        struct iommu_fault f;
        uint32_t off = fro + i * 16;
        if (vtd_fault_decode(iommu_rd64_mmio(vu->base, off), iommu_rd64_mmio(vu->base, off + 8), &f))
            continue;
        iommu_fault_format(&f, line, sizeof(line));
        log_warn("iommu: unit %u: recorded fault: %s", index, line);
        iommu_wr32_mmio(vu->base, off + 12, (uint32_t)(VTD_FRCD_F >> 32));
        n++;
    }
    return n;
}

int vtd_unit_init(unsigned index, const struct iommu_unit *u, iommu_alloc_fn alloc)
{
    struct vtd_unit *vu = &units[index];
    struct vtd_inv_desc d;
    uint64_t waited;

    vu->base = u->base;
    uint64_t cap = iommu_rd64_mmio(u->base, VTD_REG_CAP), ecap = iommu_rd64_mmio(u->base, VTD_REG_ECAP);
    uint32_t ver = iommu_rd32_mmio(u->base, VTD_REG_VER);
    vu->cap = cap;
    vu->ecap = ecap;
    vu->eime = (ecap & VTD_ECAP_IR) && iommu_wants_x2(ecap & VTD_ECAP_EIM, iommu_host_max_apic_id);
    if (!(ecap & VTD_ECAP_QI)) {
        fail(index, vu, __func__, "ECAP.QI is 0: no queued invalidation");
        return -1;
    }
    if (iommu_rd32_mmio(u->base, VTD_REG_GSTS) & VTD_GSTS_QIES) {
        fail(index, vu, __func__, "queued invalidation already enabled by the firmware: left as it is");
        return -1;
    }
    if (queue_enable(index, vu, alloc))
        return -1;
    if (vtd_inv_wait(&d, (uint64_t)(uintptr_t)vu->status, WAIT_DATA, false, false)) {
        fail(index, vu, __func__, "bad status address");
        return -1;
    }
    vu->queue[0] = d;
    vu->tail = sizeof(d);
    __asm__ volatile("sfence" ::: "memory"); /* the descriptor before the tail move */
    iommu_wr64_mmio(vu->base, VTD_REG_IQT, vu->tail);
    if (!iommu_poll32(vu->status, WAIT_DATA, WAIT_US, &waited)) {
        fail(index, vu, __func__, "invalidation wait did not write its status within 100 ms");
        return -1;
    }
    unsigned faults = report_faults(index, vu, cap);
    log_info("iommu: unit %u: VT-d %u.%u invalidation queue up, wait descriptor done in %llu us; "
             "IR %s, EIM %s, posting %s, %u fault%s recorded",
             index, (ver >> 4) & 0xf, ver & 0xf, (unsigned long long)waited,
             ecap & VTD_ECAP_IR ? "yes" : "no", ecap & VTD_ECAP_EIM ? "yes" : "no",
             cap & VTD_CAP_PI ? "yes" : "no", faults, faults == 1 ? "" : "s");
    if (vu->eime)
        log_info("iommu: unit %u: IRTA.EIME on: 32-bit interrupt destinations (host APIC ID %u); "
                 "compatibility-format interrupts blocked (VT-d 5.1.4)", index,
                 iommu_host_max_apic_id);
    return 0;
}

/* ---- Domains (iommu/iommu_domain.h) ---- */

#define QUEUE_BYTES (QUEUE_PAGES * 4096u)

const struct iopt_format *vtd_table_format(unsigned unit, unsigned *levels, bool *coherent)
{
    const struct vtd_unit *vu = &units[unit];
    unsigned sagaw = (unsigned)(vu->cap >> VTD_CAP_SAGAW_SHIFT) & 0x1f;

    /* CAP.SAGAW (11.4.2): bit 1 3-level (39-bit), bit 2 4-level (48-bit);
     * 3 levels reach far beyond the largest guest RAM. */
    if (sagaw & 2)
        *levels = 3;
    else if (sagaw & 4)
        *levels = 4;
    else
        return NULL;
    *coherent = vu->ecap & VTD_ECAP_C;
    return vu->ecap & VTD_ECAP_SC ? &iopt_format_vtd_snoop : &iopt_format_vtd;
}

static void cmd_fail(unsigned unit, const struct vtd_unit *vu, const char *what, uint16_t bdf,
                     const char *caller)
{
    log_warn("iommu: unit %u (VT-d at %#llx): %s for %02x:%02x.%x (GSTS %#x, FSTS %#x, IQH %#llx, "
             "IQT %#llx, ICS %#x) in %s",
             unit, (unsigned long long)vu->base, what, bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7,
             iommu_rd32_mmio(vu->base, VTD_REG_GSTS), iommu_rd32_mmio(vu->base, VTD_REG_FSTS),
             (unsigned long long)iommu_rd64_mmio(vu->base, VTD_REG_IQH),
             (unsigned long long)iommu_rd64_mmio(vu->base, VTD_REG_IQT),
             iommu_rd32_mmio(vu->base, VTD_REG_ICS), caller);
}

/* Queues n descriptors and a wait descriptor with a status write (6.5.2.8),
 * then waits for the status.  An invalidation queue error or time-out
 * (FSTS.IQE, ITE) is reported with the registers.  Lock held. */
static int qi_run(unsigned unit, struct vtd_unit *vu, const struct vtd_inv_desc *d, unsigned n,
                  const char *what, uint16_t bdf, const char *caller)
{
    struct vtd_inv_desc w;
    uint64_t waited;
    uint32_t seq = ++vu->wait_seq ? vu->wait_seq : ++vu->wait_seq;

    *vu->status = 0;
    if (vtd_inv_wait(&w, (uint64_t)(uintptr_t)vu->status, seq, false, true)) {
        cmd_fail(unit, vu, "wait descriptor refused by the encoder", bdf, caller);
        return -1;
    }
    for (unsigned i = 0; i <= n; i++) {
        vu->queue[vu->tail / sizeof(w)] = i < n ? d[i] : w;
        vu->tail = (vu->tail + (uint32_t)sizeof(w)) % QUEUE_BYTES;
    }
    __asm__ volatile("sfence" ::: "memory"); /* the descriptors before the tail move */
    iommu_wr64_mmio(vu->base, VTD_REG_IQT, vu->tail);
    if (!iommu_poll32(vu->status, seq, WAIT_US, &waited) ||
        (iommu_rd32_mmio(vu->base, VTD_REG_FSTS) & (VTD_FSTS_IQE | VTD_FSTS_ITE))) {
        char line[96];
        snprintf(line, sizeof(line), "%s + wait descriptor did not complete within 100 ms", what);
        cmd_fail(unit, vu, line, bdf, caller);
        return -1;
    }
    return 0;
}

/* Context cache for the device and the domain's IOTLB (6.5.2.1, 6.5.2.2). */
static int invalidate(unsigned unit, struct vtd_unit *vu, uint16_t bdf, uint16_t domain,
                      const char *caller)
{
    struct vtd_inv_desc d[2];

    vtd_inv_context_device(&d[0], domain, bdf, 0);
    vtd_inv_iotlb_domain(&d[1], domain, false);
    return qi_run(unit, vu, d, 2, "context-cache and IOTLB invalidation", bdf, caller);
}

/* The root table at the first attach: RTADDR, GCMD.SRTP, then the global
 * context-cache and IOTLB invalidations 11.4.4 asks for after it.  Lock held. */
static int root_install(unsigned unit, struct vtd_unit *vu, uint16_t bdf, const char *caller)
{
    struct vtd_inv_desc d[2];

    vu->root = mem_try_alloc(1, 1, 0);
    if (!vu->root) {
        cmd_fail(unit, vu, "no memory for the root table", bdf, caller);
        return -1;
    }
    if (!(vu->ecap & VTD_ECAP_C))
        iommu_sync(vu->root, 4096);
    iommu_wr64_mmio(vu->base, VTD_REG_RTADDR, (uint64_t)(uintptr_t)vu->root);
    if (!gcmd_set(vu, VTD_GCMD_SRTP, VTD_GSTS_RTPS)) {
        cmd_fail(unit, vu, "GSTS.RTPS stays 0 after GCMD.SRTP", bdf, caller);
        return -1;
    }
    vtd_inv_context_global(&d[0]);
    vtd_inv_iotlb_global(&d[1]);
    return qi_run(unit, vu, d, 2, "global context-cache and IOTLB invalidation", bdf, caller);
}

/* The context entry slot of bdf, its context table created on the way. */
static struct vtd_context_entry *context_slot(unsigned unit, struct vtd_unit *vu, uint16_t bdf,
                                              const char *caller)
{
    struct vtd_root_entry *re = &vu->root[bdf >> 8];

    if (!(re->lo & VTD_ROOT_P)) {
        void *ct = mem_try_alloc(1, 1, 0);
        struct vtd_root_entry e;
        if (!ct || vtd_root_entry(&e, (uint64_t)(uintptr_t)ct)) {
            cmd_fail(unit, vu, "no memory for a context table", bdf, caller);
            return NULL;
        }
        if (!(vu->ecap & VTD_ECAP_C))
            iommu_sync(ct, 4096);
        re->hi = 0;
        __atomic_store_n(&re->lo, e.lo, __ATOMIC_RELEASE);
        if (!(vu->ecap & VTD_ECAP_C))
            iommu_sync(re, sizeof(*re));
    }
    struct vtd_context_entry *ct = (void *)(uintptr_t)(re->lo & VTD_ROOT_CTP_MASK);
    return &ct[bdf & 0xff];
}

/* hi first, then lo with P: the unit never sees a present entry with a
 * stale domain or width (9.3). */
static void context_store(struct vtd_unit *vu, struct vtd_context_entry *slot,
                          const struct vtd_context_entry *e)
{
    __atomic_store_n(&slot->lo, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->hi, e->hi, __ATOMIC_RELEASE);
    __atomic_store_n(&slot->lo, e->lo, __ATOMIC_RELEASE);
    if (!(vu->ecap & VTD_ECAP_C))
        iommu_sync(slot, sizeof(*slot));
}

static int attach_locked(unsigned unit, struct vtd_unit *vu, uint16_t bdf, uint16_t domain,
                         uint64_t root, unsigned levels, const char *caller)
{
    struct vtd_context_entry e;

    if (domain >> (4 + 2 * (vu->cap & VTD_CAP_ND_MASK))) {
        cmd_fail(unit, vu, "domain ID beyond CAP.ND", bdf, caller);
        return -1;
    }
    if (vtd_context_entry(&e, root, levels, domain, VTD_CTX_TT_UNTRANSLATED, false)) {
        cmd_fail(unit, vu, "context entry refused by the encoder", bdf, caller);
        return -1;
    }
    if (!vu->root && root_install(unit, vu, bdf, caller))
        return -1;
    struct vtd_context_entry *slot = context_slot(unit, vu, bdf, caller);
    if (!slot)
        return -1;
    context_store(vu, slot, &e);
    if (invalidate(unit, vu, bdf, domain, caller))
        return -1;
    /* 11.4.4: TE last, once the tables are in place: every function
     * without a context entry is blocked from then on. */
    if (!(iommu_rd32_mmio(vu->base, VTD_REG_GSTS) & VTD_GSTS_TES) &&
        !gcmd_set(vu, VTD_GCMD_TE, VTD_GSTS_TES)) {
        cmd_fail(unit, vu, "GSTS.TES stays 0 after GCMD.TE", bdf, caller);
        return -1;
    }
    return 0;
}

int vtd_attach(unsigned unit, uint16_t bdf, uint16_t domain, uint64_t root, unsigned levels,
               const char *caller)
{
    struct vtd_unit *vu = &units[unit];

    spin_lock(&vu->lock);
    int r = attach_locked(unit, vu, bdf, domain, root, levels, caller);
    spin_unlock(&vu->lock);
    return r;
}

int vtd_detach(unsigned unit, uint16_t bdf, uint16_t domain, const char *caller)
{
    struct vtd_unit *vu = &units[unit];
    const struct vtd_context_entry none = { 0, 0 };
    int r = 0;

    spin_lock(&vu->lock);
    if (vu->root && (vu->root[bdf >> 8].lo & VTD_ROOT_P)) {
        /* Not present: the device's DMA faults (9.3). */
        context_store(vu, context_slot(unit, vu, bdf, caller), &none);
        r = invalidate(unit, vu, bdf, domain, caller);
    }
    spin_unlock(&vu->lock);
    return r;
}

unsigned vtd_poll_faults(unsigned unit, iommu_fault_fn fn, void *ctx)
{
    struct vtd_unit *vu = &units[unit];
    uint32_t fro = (uint32_t)((vu->cap >> VTD_CAP_FRO_SHIFT) & VTD_CAP_FRO_MASK) * 16;
    uint32_t nfr = (uint32_t)((vu->cap >> VTD_CAP_NFR_SHIFT) & VTD_CAP_NFR_MASK) + 1;
    unsigned n = 0;

    if (fro < 0x100 || fro + nfr * 16 > VTD_REG_SIZE)
        return 0;
    spin_lock(&vu->lock);
    uint32_t fsts = iommu_rd32_mmio(vu->base, VTD_REG_FSTS);
    for (uint32_t i = 0; i < nfr && (fsts & VTD_FSTS_PPF); i++) {
        struct iommu_fault f;
        uint32_t off = fro + i * 16;
        if (vtd_fault_decode(iommu_rd64_mmio(vu->base, off), iommu_rd64_mmio(vu->base, off + 8), &f))
            continue;
        iommu_wr32_mmio(vu->base, off + 12, (uint32_t)(VTD_FRCD_F >> 32)); /* RW1C (11.4.14) */
        spin_unlock(&vu->lock);
        fn(ctx, unit, &f);
        spin_lock(&vu->lock);
        n++;
    }
    if (fsts & VTD_FSTS_PFO) {
        iommu_wr32_mmio(vu->base, VTD_REG_FSTS, VTD_FSTS_PFO);
        log_warn("iommu: unit %u: fault recording overflowed (FSTS.PFO): faults were lost", unit);
    }
    spin_unlock(&vu->lock);
    return n;
}

/* ---- Interrupt remapping of assigned devices' MSIs (VT-d 5.1) ---- */

bool vtd_msi_remaps(unsigned unit)
{
    return units[unit].ecap & VTD_ECAP_IR;
}

/* The table, then IRTA + SIRTP, a global interrupt entry cache
 * invalidation, CFI (the host's own compatibility-format interrupts, its
 * I/O APIC and HPET, keep passing unremapped, 5.1.2.1) and IRE.  Lock held. */
static int ir_enable(unsigned unit, struct vtd_unit *vu, uint16_t bdf, const char *caller)
{
    struct vtd_inv_desc d;

    vu->irt = mem_try_alloc(1, 1, 0);
    if (!vu->irt) {
        cmd_fail(unit, vu, "no memory for the interrupt remapping table", bdf, caller);
        return -1;
    }
    if (!(vu->ecap & VTD_ECAP_C))
        iommu_sync(vu->irt, 4096);
    uint64_t irta;
    if (vtd_irta(&irta, (uint64_t)(uintptr_t)vu->irt, 7, vu->eime)) { /* S = 7: 256 entries */
        cmd_fail(unit, vu, "IRTA refused by the encoder (table address)", bdf, caller);
        return -1;
    }
    iommu_wr64_mmio(vu->base, VTD_REG_IRTA, irta);
    if (!gcmd_set(vu, VTD_GCMD_SIRTP, VTD_GSTS_IRTPS)) {
        cmd_fail(unit, vu, "GSTS.IRTPS stays 0 after GCMD.SIRTP", bdf, caller);
        return -1;
    }
    vtd_inv_iec_global(&d);
    if (qi_run(unit, vu, &d, 1, "global interrupt entry cache invalidation", bdf, caller))
        return -1;
    /* Keel takes no interrupt of its own from an I/O APIC or HPET; a unit
     * that does not acknowledge CFI (QEMU 7.2's passes compatibility-format
     * interrupts anyway) is reported and IR goes on. */
    if (!gcmd_set(vu, VTD_GCMD_CFI, VTD_GSTS_CFIS))
        log_warn("iommu: unit %u: GSTS.CFIS remains 0 after GCMD.CFI: compatibility-format "
                 "interrupts may be blocked once interrupt remapping is on", unit);
    if (!gcmd_set(vu, VTD_GCMD_IRE, VTD_GSTS_IRES)) {
        cmd_fail(unit, vu, "GSTS.IRES stays 0 after GCMD.IRE", bdf, caller);
        return -1;
    }
    return 0;
}

/* The device's IRTE number n (one per requester ID and vector, kept
 * across its MSI changes). */
static int irte_index(struct vtd_unit *vu, uint16_t bdf, unsigned n)
{
    for (unsigned i = 0; i < vu->nirte; i++)
        if (vu->irte_bdf[i] == bdf && vu->irte_vec[i] == n)
            return (int)i;
    if (vu->nirte >= VTD_IRT_ENTRIES || n >= IOMMU_DEV_IRTES)
        return -1;
    vu->irte_bdf[vu->nirte] = bdf;
    vu->irte_vec[vu->nirte] = (uint8_t)n;
    return (int)vu->nirte++;
}

/* Replaces the device's IRTE with lo/hi (remapped or posted form, built
 * by hv/irq_post.c or the remap encoder) in one 128-bit store (9.11: a
 * present posted IRTE is updated with a 128-bit atomic operation, so no
 * MSI finds it half written or not present), then an index-selective
 * interrupt entry cache invalidation with a wait (6.5.2.7): once it
 * completes the unit no longer uses the old entry.  Lock held. */
static int irte_locked(unsigned unit, struct vtd_unit *vu, uint16_t bdf, unsigned n, uint64_t lo,
                       uint64_t hi, const char *caller, uint32_t *index)
{
    struct vtd_inv_desc d;

    if (!vu->irt && ir_enable(unit, vu, bdf, caller))
        return -1;
    int i = irte_index(vu, bdf, n);
    if (i < 0 || vtd_inv_iec_index(&d, (uint16_t)i, 0)) {
        cmd_fail(unit, vu, "IRTE refused (table full or index)", bdf, caller);
        return -1;
    }
    iommu_store128(&vu->irt[i].lo, lo, hi);
    if (!(vu->ecap & VTD_ECAP_C))
        iommu_sync(&vu->irt[i], sizeof(vu->irt[i]));
    *index = (uint32_t)i;
    return qi_run(unit, vu, &d, 1, "interrupt entry cache invalidation", bdf, caller);
}

bool vtd_msi_posts(unsigned unit, bool *x2)
{
    *x2 = units[unit].eime; /* IRTA.EIME (iommu_wants_x2): 32-bit destinations */
    return (units[unit].ecap & VTD_ECAP_IR) && (units[unit].cap & VTD_CAP_PI);
}

int vtd_irte_set(unsigned unit, uint16_t bdf, unsigned n, uint64_t lo, uint64_t hi,
                 const char *caller, uint64_t *addr, uint32_t *data)
{
    struct vtd_unit *vu = &units[unit];
    uint32_t index = 0;
    bool x2;

    if (!vtd_msi_remaps(unit))
        return 1;
    if ((lo & VTD_IRTE_IM) && !vtd_msi_posts(unit, &x2)) {
        cmd_fail(unit, vu, "posted IRTE on a unit without CAP.PI", bdf, caller);
        return -1;
    }
    spin_lock(&vu->lock);
    int r = irte_locked(unit, vu, bdf, n, lo, hi, caller, &index);
    spin_unlock(&vu->lock);
    /* 5.1.2.2: remappable format, the handle in the address, SHV 0, data 0. */
    *addr = VTD_MSI_ADDR_BASE | VTD_MSI_ADDR_IF | (index & 0x7fff) << VTD_MSI_ADDR_HANDLE_SHIFT |
            (index & 0x8000 ? VTD_MSI_ADDR_HANDLE15 : 0);
    *data = 0;
    return r;
}

int vtd_msi_remap(unsigned unit, uint16_t bdf, uint8_t vector, uint32_t dest, const char *caller,
                  uint64_t *addr, uint32_t *data)
{
    /* Source validation (9.10): only this requester ID may use the entry. */
    const struct vtd_irte_source src = { .sid = bdf, .sq = 0, .svt = VTD_SVT_RID };
    struct vtd_irte e;

    if (!vtd_msi_remaps(unit))
        return 1;
    if (vtd_irte_remapped(&e, vector, dest, units[unit].eime, false, VTD_DLM_FIXED, false, &src)) {
        cmd_fail(unit, &units[unit], "IRTE refused by the encoder (destination)", bdf, caller);
        return -1;
    }
    return vtd_irte_set(unit, bdf, 0, e.lo, e.hi, caller, addr, data);
}

/* ---- The fault event interrupt (7.4.1, 10.4.10-10.4.13) ---- */

/* The message: FEDATA the vector, FEADDR 0xFEE with the destination at
 * 19:12 (FEUADDR its bits 31:8 where EIME is on); then FECTL.IM cleared.
 * The unit signals when a fault is recorded (FSTS.PPF) and again after
 * the recording registers were cleared, which the poll does. */
int vtd_fault_irq_setup(unsigned unit, uint8_t vector, uint32_t dest)
{
    struct vtd_unit *vu = &units[unit];

    if (vu->fault_irq)
        return 0;
    if (dest > 0xff && !vu->eime) {
        log_warn("iommu: unit %u: fault events cannot reach APIC ID %u (8-bit FEADDR): faults "
                 "are polled", unit, dest);
        return -1;
    }
    spin_lock(&vu->lock);
    iommu_wr32_mmio(vu->base, VTD_REG_FECTL, VTD_FECTL_IM);
    iommu_wr32_mmio(vu->base, VTD_REG_FEDATA, vector);
    iommu_wr32_mmio(vu->base, VTD_REG_FEADDR, 0xfee00000u | (dest & 0xff) << 12);
    iommu_wr32_mmio(vu->base, VTD_REG_FEUADDR, vu->eime ? dest & 0xffffff00u : 0);
    iommu_wr32_mmio(vu->base, VTD_REG_FECTL, 0);
    vu->fault_irq = true;
    spin_unlock(&vu->lock);
    log_info("iommu: unit %u: fault events to vector %#x on APIC %u (FECTL %#x)", unit, vector,
             dest, iommu_rd32_mmio(vu->base, VTD_REG_FECTL));
    return 0;
}
