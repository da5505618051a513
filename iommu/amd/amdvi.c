/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi bring-up at boot: a device table, the command buffer and the
 * event log (#48882 3.3 "Initialization"), then one COMPLETION_WAIT with a
 * store, waited for with a bound, and whatever the event log holds
 * reported.  The device table is all zeroes: V=0 in every entry lets each
 * device's DMA and interrupts through untranslated (2.2.2.1), so enabling
 * the unit changes nothing for the firmware's devices.  A unit the firmware
 * already enabled is left alone.  Hardware glue over amdvi_enc.c.
 */
#include <stdio.h>
#include <string.h>

#include "hv/host/console.h"
#include "hv/host/pci_host.h"
#include "hv/host/spinlock.h"
#include "hv/host/time.h"
#include "hv/mm/mem.h"
#include "hv/x86.h"
#include "iommu/amd/amdvi_hw.h"
#include "iommu/iommu_boot.h"
#include "iommu/iommu_mmio.h"
#include "iommu/iommu_domain.h"

#define DEV_TABLE_PAGES  512    /* 65536 entries of 32 bytes: every requester ID */
#define RING_PAGES       1      /* 256 entries of 16 bytes */
#define WAIT_US          100000 /* the completion wait's bound */
#define CW_DATA          0x4b45454cu /* "KEEL" */

struct amdvi_unit {
    uint64_t base;
    struct amdvi_cmd *cmd;
    struct amdvi_event *events;
    volatile uint32_t *store; /* COMPLETION_WAIT's target */
    uint32_t cmd_tail;
    struct amdvi_dte *dt;     /* the device table (65536 entries) */
    struct spinlock lock;     /* cmd, cmd_tail, store, dt, the event log's head */
    uint32_t cw_seq;          /* the last COMPLETION_WAIT's data */
    bool ga;                  /* CONTROL.GAEn: 128-bit IRTEs (EFR.GASup) */
    bool xt;                  /* CONTROL.XTEn: 32-bit destinations (iommu_wants_x2) */
    bool posts;               /* GAMEn vAPIC with the GA log running: guest-mode IRTEs post */
    uint64_t *ga_log;         /* the GA log (AMDVI_GA_LOG_ENTRIES), ga_busy's holder */
    volatile uint64_t *ga_tail; /* where the unit stores its GA log tail */
    uint32_t ga_busy;         /* atomic: one consumer of the GA log at a time */
    bool ga_irq;              /* its MSI programmed, GAIntEn set */
    bool event_irq;           /* its MSI programmed, EventIntEn set */
    unsigned nirts;           /* lock: the assigned devices' interrupt remapping tables */
    struct { uint16_t bdf; struct amdvi_irte *irt; } irts[IOMMU_MAX_UNITS];
};

static struct amdvi_unit units[IOMMU_MAX_UNITS];

static void *alloc_zeroed(iommu_alloc_fn alloc, uint64_t npages)
{
    uint64_t pa = alloc(npages);

    if (pa)
        memset((void *)(uintptr_t)pa, 0, npages * 4096);
    return (void *)(uintptr_t)pa;
}

static void fail(unsigned index, const struct amdvi_unit *au, const char *caller, const char *what)
{
    log_warn("iommu: unit %u (AMD-Vi at %#llx): %s (CONTROL %#llx, STATUS %#llx, CMD_HEAD %#llx, "
             "CMD_TAIL %#llx) in %s: no queue",
             index, (unsigned long long)au->base, what,
             (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_CONTROL),
             (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_STATUS),
             (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_CMD_HEAD),
             (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_CMD_TAIL), caller);
}

/* Queues one command (3.3.1: write it at the tail, then move the tail). */
static void submit(struct amdvi_unit *au, const struct amdvi_cmd *c)
{
    au->cmd[au->cmd_tail / sizeof(*c)] = *c;
    au->cmd_tail = (au->cmd_tail + (uint32_t)sizeof(*c)) % (RING_PAGES * 4096);
    __asm__ volatile("sfence" ::: "memory"); /* the entry before the tail move */
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CMD_TAIL, au->cmd_tail);
}

/* A STATUS bit reaching 1, bounded like every wait (WAIT_US). */
static bool poll_status(const struct amdvi_unit *au, uint64_t bit, uint64_t *waited_us)
{
    uint64_t t0 = rdtsc(), limit = tsc_hz / 1000000 * WAIT_US;
    bool done;

    while (!(done = iommu_rd64_mmio(au->base, AMDVI_MMIO_STATUS) & bit) && rdtsc() - t0 < limit)
        cpu_relax();
    *waited_us = tsc_to_us(rdtsc() - t0);
    return done;
}

/* Reports and consumes whatever the event log holds (2.5, 3.4.11). */
static unsigned drain_events(unsigned index, struct amdvi_unit *au)
{
    uint64_t head = iommu_rd64_mmio(au->base, AMDVI_MMIO_EVENT_HEAD) & AMDVI_RING_PTR_MASK;
    uint64_t tail = iommu_rd64_mmio(au->base, AMDVI_MMIO_EVENT_TAIL) & AMDVI_RING_PTR_MASK;
    unsigned n = 0;
    char line[200];

    while (head != tail && head < RING_PAGES * 4096 && n < 256) {
        struct iommu_fault f;
        struct amdvi_event *ev = &au->events[head / sizeof(*ev)];
        if (amdvi_event_decode(ev, &f) == 0) {
            iommu_fault_format(&f, line, sizeof(line));
            log_warn("iommu: unit %u: %s", index, line);
        }
        memset(ev, 0, sizeof(*ev));
        head = (head + sizeof(*ev)) % (RING_PAGES * 4096);
        n++;
    }
    iommu_wr64_mmio(au->base, AMDVI_MMIO_EVENT_HEAD, head);
    return n;
}

/* The tables and rings in memory, their registers, then the enables. */
static int setup(unsigned index, struct amdvi_unit *au, iommu_alloc_fn alloc)
{
    void *dt = alloc_zeroed(alloc, DEV_TABLE_PAGES);
    au->dt = dt;
    au->cmd = alloc_zeroed(alloc, RING_PAGES);
    au->events = alloc_zeroed(alloc, RING_PAGES + 1);
    if (!dt || !au->cmd || !au->events) {
        fail(index, au, __func__, "no memory below 4 GiB for the device table and rings");
        return -1;
    }
    au->store = (volatile uint32_t *)(au->events + RING_PAGES * 4096 / sizeof(*au->events));
    /* 3.4.1-3.4.3: bases with their sizes; 3.4.11: empty rings. */
    iommu_wr64_mmio(au->base, AMDVI_MMIO_DEV_TABLE, (uint64_t)(uintptr_t)dt | (DEV_TABLE_PAGES - 1));
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CMD_BUF,
                    (uint64_t)(uintptr_t)au->cmd | (uint64_t)AMDVI_RING_MIN_LOG2 << AMDVI_LEN_SHIFT);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_EVENT_LOG,
                    (uint64_t)(uintptr_t)au->events |
                        (uint64_t)AMDVI_RING_MIN_LOG2 << AMDVI_LEN_SHIFT);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CMD_HEAD, 0);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CMD_TAIL, 0);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_EVENT_HEAD, 0);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_EVENT_TAIL, 0);
    au->cmd_tail = 0;
    uint64_t ctl = iommu_rd64_mmio(au->base, AMDVI_MMIO_CONTROL);
    /* GAEn (3.4.4) selects the 128-bit IRTE format Keel's encoders write;
     * with every DTE at V=0 no table is read yet. */
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CONTROL,
                    ctl | AMDVI_CTL_CMD_BUF_EN | AMDVI_CTL_EVENT_LOG_EN | AMDVI_CTL_IOMMU_EN |
                        (au->ga ? AMDVI_CTL_GA_EN : 0) | (au->xt ? AMDVI_CTL_XT_EN : 0));
    if (!(iommu_rd64_mmio(au->base, AMDVI_MMIO_STATUS) & AMDVI_STS_CMD_BUF_RUN)) {
        fail(index, au, __func__, "STATUS.CmdBufRun stays 0 after CONTROL.CmdBufEn");
        return -1;
    }
    return 0;
}

/* Guest virtual APIC posting (#48882 2.2.5.2, 2.7): where EFR.GAMSup
 * says guest vAPIC mode, the GA log (one page, its tail store beside it),
 * GAMEn = vAPIC and GALogEn; STATUS.GALogRun must follow.  Without it the
 * unit only remaps (posts stays false), as on QEMU 7.2 (GAMSup 0). */
static void ga_log_setup(unsigned index, struct amdvi_unit *au, uint64_t efr, iommu_alloc_fn alloc)
{
    uint64_t base_reg, tail_reg;

    if (!au->ga || ((efr & AMDVI_EFR_GAM_MASK) >> AMDVI_EFR_GAM_SHIFT) != AMDVI_GAM_VAPIC)
        return;
    au->ga_log = alloc_zeroed(alloc, 2);
    if (!au->ga_log) {
        log_warn("iommu: unit %u: no memory for the GA log: interrupts remapped, not posted", index);
        return;
    }
    au->ga_tail = (volatile uint64_t *)(au->ga_log + AMDVI_GA_LOG_ENTRIES);
    if (amdvi_ga_log_regs((uint64_t)(uintptr_t)au->ga_log, (uint64_t)(uintptr_t)au->ga_tail,
                          &base_reg, &tail_reg)) {
        log_warn("iommu: unit %u: GA log out of the unit's reach: interrupts not posted", index);
        return;
    }
    iommu_wr64_mmio(au->base, AMDVI_MMIO_GA_LOG_BASE, base_reg);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_GA_LOG_TAIL_ADDR, tail_reg);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_GA_LOG_HEAD, 0);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_GA_LOG_TAIL, 0);
    uint64_t ctl = iommu_rd64_mmio(au->base, AMDVI_MMIO_CONTROL);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CONTROL, ctl | AMDVI_CTL_GAM_VAPIC | AMDVI_CTL_GA_LOG_EN);
    uint64_t waited;
    if (!poll_status(au, AMDVI_STS_GA_LOG_RUN, &waited)) {
        log_warn("iommu: unit %u: STATUS.GALogRun stays 0 after CONTROL.GALogEn (STATUS %#llx): "
                 "interrupts remapped, not posted", index,
                 (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_STATUS));
        iommu_wr64_mmio(au->base, AMDVI_MMIO_CONTROL, ctl);
        return;
    }
    au->posts = true;
    log_info("iommu: unit %u: guest virtual APIC posting on (GA log of %u entries running)", index,
             AMDVI_GA_LOG_ENTRIES);
}

int amdvi_unit_init(unsigned index, const struct iommu_unit *u, iommu_alloc_fn alloc)
{
    struct amdvi_unit *au = &units[index];
    struct amdvi_cmd c;
    uint64_t waited;

    au->base = u->base;
    uint64_t efr = iommu_rd64_mmio(u->base, AMDVI_MMIO_EFR);
    if (iommu_rd64_mmio(u->base, AMDVI_MMIO_CONTROL) & AMDVI_CTL_IOMMU_EN) {
        fail(index, au, __func__, "already enabled by the firmware: left as it is");
        return -1;
    }
    au->ga = efr & AMDVI_EFR_GA;
    /* XTEn (3.4.4) with 128-bit IRTEs only: Destination[31:8] lives in
     * their upper half (2.2.5.2). */
    au->xt = au->ga && iommu_wants_x2(efr & AMDVI_EFR_XT, iommu_host_max_apic_id);
    if (setup(index, au, alloc))
        return -1;
    if (amdvi_cmd_completion_wait(&c, (uint64_t)(uintptr_t)au->store, CW_DATA, false)) {
        fail(index, au, __func__, "store address out of the IOMMU's reach");
        return -1;
    }
    submit(au, &c);
    if (!iommu_poll32(au->store, CW_DATA, WAIT_US, &waited)) {
        fail(index, au, __func__, "COMPLETION_WAIT did not store within 100 ms");
        drain_events(index, au);
        return -1;
    }
    unsigned events = drain_events(index, au);
    ga_log_setup(index, au, efr, alloc);
    log_info("iommu: unit %u: AMD-Vi command buffer and event log up, COMPLETION_WAIT stored "
             "in %llu us, %u event%s; EFR %#llx (XT %s, GA %s)",
             index, (unsigned long long)waited, events, events == 1 ? "" : "s",
             (unsigned long long)efr, efr & AMDVI_EFR_XT ? "yes" : "no",
             efr & AMDVI_EFR_GA ? "yes" : "no");
    if (au->xt)
        log_info("iommu: unit %u: XTEn on: 32-bit interrupt destinations (host APIC ID %u)",
                 index, iommu_host_max_apic_id);
    return 0;
}

/* ---- Domains (iommu/iommu_domain.h) ---- */

/* IVHD flags bit 5, Coherent (#48882 5.2.2.1): the unit's table reads
 * snoop the CPU caches.  Without it every written DTE and page table
 * entry is flushed before the invalidation that makes the unit read it. */
#define IVHD_FLAG_COHERENT 0x20u
/* Levels of the host page tables Keel builds: 3 (39-bit addresses, more
 * than the largest guest RAM, 3 GiB), DTE Mode 3 (#48882 2.2.2.1). */
#define AMDVI_IOPT_LEVELS 3

static bool unit_coherent(unsigned unit)
{
    return iommu_host.unit[unit].ivhd_flags & IVHD_FLAG_COHERENT;
}

const struct iopt_format *amdvi_table_format(unsigned unit, unsigned *levels, bool *coherent)
{
    *levels = AMDVI_IOPT_LEVELS;
    *coherent = unit_coherent(unit);
    return &iopt_format_amdvi;
}

static void cmd_fail(unsigned unit, const struct amdvi_unit *au, const char *cmd, uint16_t bdf,
                     const char *caller, const char *what)
{
    log_warn("iommu: unit %u (AMD-Vi at %#llx): %s for %02x:%02x.%x %s (CONTROL %#llx, STATUS "
             "%#llx, CMD_HEAD %#llx, CMD_TAIL %#llx) in %s",
             unit, (unsigned long long)au->base, cmd, bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7, what,
             (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_CONTROL),
             (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_STATUS),
             (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_CMD_HEAD),
             (unsigned long long)iommu_rd64_mmio(au->base, AMDVI_MMIO_CMD_TAIL), caller);
}

/* COMPLETION_WAIT (#48882 2.4.1: it completes once every earlier command
 * has), waited for with a bound; what names the commands it waits for.
 * Lock held. */
static int completion_wait(unsigned unit, struct amdvi_unit *au, uint16_t bdf, const char *what,
                           const char *caller)
{
    struct amdvi_cmd c;
    uint64_t waited;
    uint32_t seq = ++au->cw_seq ? au->cw_seq : ++au->cw_seq; /* never 0, the cleared value */
    *au->store = 0;
    if (amdvi_cmd_completion_wait(&c, (uint64_t)(uintptr_t)au->store, seq, false)) {
        cmd_fail(unit, au, "COMPLETION_WAIT", bdf, caller, "could not be encoded");
        return -1;
    }
    submit(au, &c);
    if (!iommu_poll32(au->store, seq, WAIT_US, &waited)) {
        char line[96];
        snprintf(line, sizeof(line), "%s + COMPLETION_WAIT", what);
        cmd_fail(unit, au, line, bdf, caller, "did not complete within 100 ms");
        return -1;
    }
    return 0;
}

/* INVALIDATE_DEVTAB_ENTRY and INVALIDATE_IOMMU_PAGES (all of the domain),
 * then the wait.  Lock held. */
static int invalidate(unsigned unit, struct amdvi_unit *au, uint16_t bdf, uint16_t domain,
                      const char *caller)
{
    struct amdvi_cmd c;

    amdvi_cmd_inv_devtab_entry(&c, bdf);
    submit(au, &c);
    if (amdvi_cmd_inv_iommu_pages(&c, domain, 0, true)) {
        cmd_fail(unit, au, "INVALIDATE_IOMMU_PAGES", bdf, caller, "could not be encoded");
        return -1;
    }
    submit(au, &c);
    return completion_wait(unit, au, bdf, "INVALIDATE_DEVTAB_ENTRY + INVALIDATE_IOMMU_PAGES",
                           caller);
}

/* The device's interrupt remapping table, or NULL.  Lock held. */
#define IRT_LOG2 3 /* 2^3 = IOMMU_DEV_IRTES entries (#48882 2.2.2.1 IntTabLen) */
_Static_assert(1u << IRT_LOG2 == IOMMU_DEV_IRTES, "one IRTE per routed vector");

static struct amdvi_irte *irt_of(const struct amdvi_unit *au, uint16_t bdf)
{
    for (unsigned i = 0; i < au->nirts; i++)
        if (au->irts[i].bdf == bdf)
            return au->irts[i].irt;
    return NULL;
}

/* The device's table of IOMMU_DEV_IRTES entries (IntTabLen 3: its MSI
 * uses entry 0, its MSI-X entry i entry i), none valid (RemapEn 0: the
 * device's interrupts abort until the guest enables its MSI or unmasks an
 * MSI-X entry and iommu_irte_set() fills it).  Lock held. */
static struct amdvi_irte *irt_for(struct amdvi_unit *au, uint16_t bdf)
{
    struct amdvi_irte *irt = irt_of(au, bdf);

    if (irt || au->nirts >= IOMMU_MAX_UNITS)
        return irt;
    irt = mem_try_alloc(1, 1, 0);
    if (irt) {
        au->irts[au->nirts].bdf = bdf;
        au->irts[au->nirts++].irt = irt;
    }
    return irt;
}

/* Writes a DTE: the upper words first and V with the translation last, so
 * the unit never reads a valid entry with stale fields (it reads the DTE
 * again only after the invalidation, but a walk may be in flight). */
static void dte_store(unsigned unit, struct amdvi_dte *slot, const struct amdvi_dte *e)
{
    for (int i = 3; i >= 0; i--)
        __atomic_store_n(&slot->q[i], e->q[i], __ATOMIC_RELEASE);
    if (!unit_coherent(unit))
        iommu_sync(slot, sizeof(*slot));
}

int amdvi_attach(unsigned unit, uint16_t bdf, uint16_t domain, uint64_t root, unsigned levels,
                 const char *caller)
{
    struct amdvi_unit *au = &units[unit];
    struct amdvi_dte e;

    spin_lock(&au->lock);
    struct amdvi_irte *irt = au->ga ? irt_for(au, bdf) : NULL;
    /* V, TV, Mode = levels, the root, the domain, IR and IW (the page
     * table decides), events reported; IV with IntCtl = remap through the
     * device's table (2.2.5) where the unit has 128-bit IRTEs, else IV 0:
     * interrupts pass unremapped. */
    const struct amdvi_dte_cfg c = { .translate = true, .levels = (uint8_t)levels,
                                     .pt_root = root, .domain = domain, .read = true,
                                     .write = true, .remap_ints = irt != NULL,
                                     .irt = (uint64_t)(uintptr_t)irt, .irt_log2 = IRT_LOG2 };
    if (irt && !unit_coherent(unit))
        iommu_sync(irt, 4096);
    if (amdvi_dte_encode(&c, &e)) {
        spin_unlock(&au->lock);
        cmd_fail(unit, au, "DTE", bdf, caller, "refused by the encoder (root, levels or table)");
        return -1;
    }
    dte_store(unit, &au->dt[bdf], &e);
    int r = invalidate(unit, au, bdf, domain, caller);
    spin_unlock(&au->lock);
    return r;
}

int amdvi_detach(unsigned unit, uint16_t bdf, uint16_t domain, const char *caller)
{
    struct amdvi_unit *au = &units[unit];
    /* V=1 with TV=1, Mode 0 and IR=IW=0: every DMA of the device is
     * refused (#48882 2.2.2.1 table "DTE fields"), unlike V=0 which would
     * let it through untranslated; IV=1 with IntCtl 0 aborts its
     * interrupts (2.2.5). */
    const struct amdvi_dte e = { { AMDVI_DTE0_V | AMDVI_DTE0_TV, domain, AMDVI_DTE2_IV, 0 } };

    spin_lock(&au->lock);
    dte_store(unit, &au->dt[bdf], &e);
    int r = invalidate(unit, au, bdf, domain, caller);
    spin_unlock(&au->lock);
    return r;
}

static bool event_written(const struct amdvi_event *ev)
{
    return __atomic_load_n(&ev->d[0], __ATOMIC_ACQUIRE) | __atomic_load_n(&ev->d[1], __ATOMIC_ACQUIRE);
}

/* The entries from the head up to the tail (3.4.11), and beyond it while
 * entries are non-zero: Keel zeroes every entry it consumed, so a written
 * entry past the tail register is one the unit logged without moving the
 * register (QEMU 7.2's model never updates EVENT_TAIL). */
unsigned amdvi_poll_faults(unsigned unit, iommu_fault_fn fn, void *ctx)
{
    struct amdvi_unit *au = &units[unit];
    unsigned n = 0;

    spin_lock(&au->lock);
    uint64_t head = iommu_rd64_mmio(au->base, AMDVI_MMIO_EVENT_HEAD) & AMDVI_RING_PTR_MASK;
    uint64_t tail = iommu_rd64_mmio(au->base, AMDVI_MMIO_EVENT_TAIL) & AMDVI_RING_PTR_MASK;
    while (head < RING_PAGES * 4096 && n < 256 &&
           (head != tail || event_written(&au->events[head / sizeof(struct amdvi_event)]))) {
        struct iommu_fault f;
        struct amdvi_event *ev = &au->events[head / sizeof(*ev)];
        if (amdvi_event_decode(ev, &f) == 0) {
            spin_unlock(&au->lock);
            fn(ctx, unit, &f);
            spin_lock(&au->lock);
        }
        memset(ev, 0, sizeof(*ev));
        head = (head + sizeof(*ev)) % (RING_PAGES * 4096);
        n++;
    }
    iommu_wr64_mmio(au->base, AMDVI_MMIO_EVENT_HEAD, head);
    /* 3.4.12: an overflowed log stops; clearing EventOverflow (write 1)
     * and re-enabling restarts it.  Reported once per overflow. */
    if (iommu_rd64_mmio(au->base, AMDVI_MMIO_STATUS) & AMDVI_STS_EVENT_OVERFLOW) {
        iommu_wr64_mmio(au->base, AMDVI_MMIO_STATUS, AMDVI_STS_EVENT_OVERFLOW);
        log_warn("iommu: unit %u: event log overflowed: events were lost", unit);
    }
    spin_unlock(&au->lock);
    return n;
}

bool amdvi_msi_remaps(unsigned unit)
{
    return units[unit].ga;
}

/* Replaces the device's IRTE index with lo/hi (either form, built by
 * hv/irq_post.c or the remap encoder) in one 128-bit store, so the unit
 * reads the old entry or the new one and never a disabled or mixed one (an
 * MSI in between is remapped or posted, not aborted), then
 * INVALIDATE_INTERRUPT_TABLE + COMPLETION_WAIT (2.4.5): once that
 * completes the unit no longer uses the old entry.  The device's MSI
 * carries the entry's index in its data (2.2.5.1).  Lock held. */
static int irte_store(unsigned unit, struct amdvi_unit *au, uint16_t bdf, unsigned index,
                      uint64_t lo, uint64_t hi, bool wide, const char *caller)
{
    struct amdvi_irte *irt = irt_of(au, bdf);
    struct amdvi_cmd c;

    if (!irt || index >= IOMMU_DEV_IRTES) {
        cmd_fail(unit, au, "IRTE", bdf, caller,
                 irt ? "index past the device's table" : "has no interrupt remapping table");
        return -1;
    }
    if (wide)
        iommu_store128(&irt[index].lo, lo, hi);
    else
        __atomic_store_n(&irt[index].lo, lo, __ATOMIC_SEQ_CST);
    if (!unit_coherent(unit))
        iommu_sync(&irt[index], sizeof(*irt));
    amdvi_cmd_inv_interrupt_table(&c, bdf);
    submit(au, &c);
    return completion_wait(unit, au, bdf, "INVALIDATE_INTERRUPT_TABLE", caller);
}

int amdvi_irte_set(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                   const char *caller, uint64_t *addr, uint32_t *data)
{
    struct amdvi_unit *au = &units[unit];

    if (!au->ga)
        return 1;
    if ((lo & AMDVI_IRTE_GUEST_MODE) && !au->posts) {
        cmd_fail(unit, au, "IRTE", bdf, caller, "is in guest mode on a unit that does not post");
        return -1;
    }
    spin_lock(&au->lock);
    int r = irte_store(unit, au, bdf, index, lo, hi, true, caller);
    spin_unlock(&au->lock);
    *addr = 0xfee00000ull;
    *data = index;
    return r;
}

/* Placement changes (IsRun, Destination, GALogIntr): the width the
 * encoder asked for (one 64-bit store when bits 127:64 did not change),
 * then the same invalidation.  #48882 lets the unit cache an IRTE until
 * INVALIDATE_INTERRUPT_TABLE; Keel does not rely on any field being read
 * fresh, so a vCPU that blocks has its IsRun = 0 / GALogIntr = 1 in force
 * before it looks at its IRR one last time (hv/run.c vcpu_block). */
int amdvi_irte_place(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                     bool wide, const char *caller)
{
    struct amdvi_unit *au = &units[unit];

    if (!au->posts)
        return -1;
    spin_lock(&au->lock);
    int r = irte_store(unit, au, bdf, index, lo, hi, wide, caller);
    spin_unlock(&au->lock);
    return r;
}

int amdvi_msi_remap(unsigned unit, uint16_t bdf, uint8_t vector, uint32_t dest, const char *caller,
                    uint64_t *addr, uint32_t *data)
{
    struct amdvi_irte e;

    if (!units[unit].ga)
        return 1;
    if (amdvi_irte_remapped(&e, vector, dest, false, AMDVI_INT_FIXED, units[unit].xt)) {
        cmd_fail(unit, &units[unit], "IRTE", bdf, caller, "refused by the encoder (destination)");
        return -1;
    }
    return amdvi_irte_set(unit, bdf, 0, e.lo, e.hi, caller, addr, data);
}

bool amdvi_msi_posts(unsigned unit, bool *x2)
{
    *x2 = units[unit].xt; /* CONTROL.XTEn (iommu_wants_x2): 32-bit destinations */
    return units[unit].posts;
}

/* ---- The GA log (#48882 2.7) ---- */

/* The unit's own MSI (its PCI function's MSI capability) to vector on the
 * physical APIC dest, then GAIntEn: a GA log entry raises it. */
/* The unit's own MSI (its PCI function's MSI capability, #48882 2.5: GA
 * log and event log interrupts share it) to vector on dest: 0, or -1
 * after logging why (what the interrupt was for). */
static int unit_msi(unsigned unit, uint8_t vector, uint32_t dest, const char *what)
{
    const struct pci_host_fn *hf = pci_host_find(iommu_host.unit[unit].bdf);

    if (!hf || !hf->msi_cap || dest > 0xff) {
        log_warn("iommu: unit %u: its PCI function %02x:%02x.%x has no usable MSI capability: "
                 "%s", unit, iommu_host.unit[unit].bdf >> 8, (iommu_host.unit[unit].bdf >> 3) & 0x1f,
                 iommu_host.unit[unit].bdf & 7, what);
        return -1;
    }
    uint16_t bdf = hf->bdf, cap = hf->msi_cap;
    uint16_t ctl = (uint16_t)pci_host_read(bdf, cap + 2u, 2);
    bool is64 = ctl & 0x80;
    pci_host_write(bdf, cap + 4u, 4, 0xfee00000u | dest << 12);
    if (is64)
        pci_host_write(bdf, cap + 8u, 4, 0);
    pci_host_write(bdf, cap + (is64 ? 12u : 8u), 2, vector);
    pci_host_write(bdf, cap + 2u, 2, (ctl & ~0x70u) | 1u);
    return 0;
}

static void control_set(struct amdvi_unit *au, uint64_t bits)
{
    spin_lock(&au->lock);
    uint64_t ctl_reg = iommu_rd64_mmio(au->base, AMDVI_MMIO_CONTROL);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CONTROL, ctl_reg | bits);
    spin_unlock(&au->lock);
}

int amdvi_ga_irq_setup(unsigned unit, uint8_t vector, uint32_t dest)
{
    struct amdvi_unit *au = &units[unit];

    if (!au->posts || au->ga_irq)
        return 0;
    if (unit_msi(unit, vector, dest, "GA log interrupts off, the log is polled (a blocked vCPU "
                 "may wake up late)"))
        return -1;
    control_set(au, AMDVI_CTL_GA_INT_EN);
    au->ga_irq = true;
    return 0;
}

/* 3.4.4 EventIntEn: the unit's MSI when it writes an event log entry. */
int amdvi_fault_irq_setup(unsigned unit, uint8_t vector, uint32_t dest)
{
    struct amdvi_unit *au = &units[unit];

    if (au->event_irq)
        return 0;
    if (unit_msi(unit, vector, dest, "event log interrupts off, the log is polled"))
        return -1;
    control_set(au, AMDVI_CTL_EVENT_INT_EN);
    au->event_irq = true;
    log_info("iommu: unit %u: event log interrupts to vector %#x on APIC %u", unit, vector, dest);
    return 0;
}

/* 2.7.4: an overflowed log stops; restart it (GALogRun 0, GALogEn off,
 * empty pointers, GALogOverflow cleared, GALogEn on).  ga_busy held. */
static void ga_log_restart(unsigned unit, struct amdvi_unit *au)
{
    uint64_t t0 = rdtsc(), limit = tsc_hz / 1000000 * WAIT_US;

    while ((iommu_rd64_mmio(au->base, AMDVI_MMIO_STATUS) & AMDVI_STS_GA_LOG_RUN) &&
           rdtsc() - t0 < limit)
        cpu_relax();
    spin_lock(&au->lock);
    uint64_t ctl = iommu_rd64_mmio(au->base, AMDVI_MMIO_CONTROL);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CONTROL, ctl & ~AMDVI_CTL_GA_LOG_EN);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_GA_LOG_HEAD, 0);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_GA_LOG_TAIL, 0);
    for (unsigned i = 0; i < AMDVI_GA_LOG_ENTRIES; i++)
        au->ga_log[i] = 0;
    iommu_wr64_mmio(au->base, AMDVI_MMIO_STATUS, AMDVI_STS_GA_LOG_OVERFLOW);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_CONTROL, ctl | AMDVI_CTL_GA_LOG_EN);
    spin_unlock(&au->lock);
    (void)unit;
}

/* From the GA log interrupt and from the run loop's poll: GAInt cleared
 * first (a later entry raises it again), then every entry up to the tail
 * to fn.  One consumer at a time (ga_busy): a second caller returns at
 * once, the first sees what it would have.  Returns the entries consumed,
 * or -1 when the log had overflowed (entries lost: the caller wakes every
 * vCPU a device posts to).  In interrupt context (in_irq) no lock is
 * taken: the restart after an overflow waits for the next poll. */
int amdvi_ga_poll(unsigned unit, bool in_irq, amdvi_ga_fn fn, void *ctx)
{
    struct amdvi_unit *au = &units[unit];
    unsigned n = 0;

    if (!au->posts || __atomic_exchange_n(&au->ga_busy, 1, __ATOMIC_ACQUIRE))
        return 0;
    iommu_wr64_mmio(au->base, AMDVI_MMIO_STATUS, AMDVI_STS_GA_INT);
    uint64_t head = iommu_rd64_mmio(au->base, AMDVI_MMIO_GA_LOG_HEAD);
    uint64_t tail = iommu_rd64_mmio(au->base, AMDVI_MMIO_GA_LOG_TAIL);
    head = amdvi_ga_log_consume(au->ga_log, head, tail, fn, ctx, &n);
    iommu_wr64_mmio(au->base, AMDVI_MMIO_GA_LOG_HEAD, head);
    bool overflow = iommu_rd64_mmio(au->base, AMDVI_MMIO_STATUS) & AMDVI_STS_GA_LOG_OVERFLOW;
    if (overflow && !in_irq)
        ga_log_restart(unit, au);
    __atomic_store_n(&au->ga_busy, 0, __ATOMIC_RELEASE);
    return overflow ? -1 : (int)n;
}
