/* SPDX-License-Identifier: MIT */
/*
 * hv/irq_post.c (the route of an assigned device's MSI and its IRTE) and
 * the AMD-Vi GA log consumer (iommu/amd/amdvi_enc.c), checked against the
 * IOMMU posting models (tests/model/irq_post_model.h, written from the
 * specifications by someone else): the entries are encoded with Keel's code
 * and stored, invalidated and switched the way the hardware glue
 * (iommu/amd/amdvi.c, iommu/vtd/vtd.c, hv/passthru.c) does it; then an MSI
 * goes through the model and the test checks what reached the vCPU or the
 * host.  Scenarios: running (doorbell / notification to the right CPU),
 * blocked (GA log -> the consumer wakes the right vCPU / wake-up vector),
 * moved, inhibit on and off with interrupts in flight (nothing lost or
 * doubled), the guest moving its MSI to another vCPU, and the messages that
 * must stay remapped.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hv/irq_post.h"
#include "iommu/amd/amdvi_hw.h"
#include "iommu/vtd/vtd_hw.h"
#include "tests/model/irq_post_model.h"
#include "vmx/vmx_pi.h"

/* ---- Simulated physical memory: [MEM_BASE, MEM_BASE + MEM_SIZE) ---- */

#define MEM_BASE 0x100000ull
#define MEM_SIZE 0x20000ull
static _Alignas(4096) uint8_t mem[MEM_SIZE];

static int mem_rd(void *ctx, uint64_t pa, void *buf, size_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa - MEM_BASE))
        return -1;
    memcpy(buf, mem + (pa - MEM_BASE), len);
    return 0;
}

static int mem_wr(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa - MEM_BASE))
        return -1;
    memcpy(mem + (pa - MEM_BASE), buf, len);
    return 0;
}

static const struct irqpm_mem sim = { NULL, mem_rd, mem_wr };

static void *at(uint64_t pa)
{
    return mem + (pa - MEM_BASE);
}

/* Layout. */
#define IRT_PA      0x100000ull           /* AMD: the device's table; VT-d: the unit's */
#define PAGE_PA(i)  (0x101000ull + 0x1000ull * (i)) /* vCPU i: backing page / vAPIC page */
#define DESC_PA(i)  (0x105000ull + 0x40ull * (i))   /* vCPU i: VT-d PI descriptor */
#define GA_LOG_PA   0x106000ull
#define GA_TAIL_PA  0x107000ull
#define PT_ROOT_PA  0x108000ull

#define NV          0xf2                  /* Keel's HOST_VEC_POSTED / _PI_WAKEUP */
#define WAKEUP      0xf1
#define HOST_VEC    0xd0                  /* the device's Keel vector */
#define HOST_DEST   3                     /* vCPU 0's CPU */
#define DEVID       0x0028                /* 00:05.0 */
#define TAG_BASE    0x10000u              /* VM 0 (hv/passthru.c GA_TAG_VM_SHIFT) */
#define NVCPU       4

static const uint32_t host_id[NVCPU] = { 3, 5, 6, 7 };

/* ---- The VM as the route sees it ---- */

struct world {
    struct apic_dest_view views[NVCPU];
    struct irq_post_vcpu vc[NVCPU];
    struct irq_post_in in;
    struct irq_post_route route;
};

static void world_init(struct world *w, uint8_t vendor, bool posts)
{
    memset(w, 0, sizeof(*w));
    memset(mem, 0, sizeof(mem));
    for (unsigned i = 0; i < NVCPU; i++) {
        /* xAPIC, IDs = index, flat logical IDs 1 << i */
        w->views[i] = (struct apic_dest_view){ .mode = APIC_DEST_XAPIC, .sw_enabled = true,
                                               .id = i, .ldr = 1u << i, .dfr = 0xffffffffu };
        w->vc[i] = (struct irq_post_vcpu){ .accel = true, .placed = true, .running = true,
                                           .host_apic_id = host_id[i], .backing_pa = PAGE_PA(i),
                                           .pi_desc_pa = DESC_PA(i) };
    }
    w->in = (struct irq_post_in){ .msi_enabled = true, .views = w->views, .nvcpus = NVCPU,
                                  .vcpus = w->vc, .vm_accel = true,
                                  .unit = { .vendor = vendor, .remaps = true, .posts = posts },
                                  .host_vector = HOST_VEC, .host_dest = HOST_DEST, .sid = DEVID,
                                  .ga_tag = TAG_BASE };
}

static void guest_msi(struct world *w, uint8_t dest, bool logical, uint8_t dm, uint8_t vector,
                      bool level)
{
    w->in.msi_addr = 0xfee00000ull | (uint64_t)dest << 12 | (logical ? 4u : 0u);
    w->in.msi_data = (uint16_t)(vector | dm << 8 | (level ? 0x8000u : 0u));
}

static bool irr_has(unsigned vcpu, uint8_t v)
{
    const uint32_t *page = at(PAGE_PA(vcpu));
    return page[(0x200u + (v >> 5) * 0x10u) / 4] & (1u << (v & 31));
}

static unsigned irr_count(unsigned vcpu)
{
    unsigned n = 0;
    for (unsigned v = 16; v < 256; v++)
        n += irr_has(vcpu, (uint8_t)v);
    return n;
}

static void irr_clear(unsigned vcpu, uint8_t v)
{
    uint32_t *page = at(PAGE_PA(vcpu));
    page[(0x200u + (v >> 5) * 0x10u) / 4] &= ~(1u << (v & 31));
}

/* ==== AMD-Vi ==== */

struct amd {
    struct irqpm_amdvi u;
    uint64_t dte[4];
};

/* Every AMD-Vi scenario runs twice: on a unit of #48882 rev 3.08 and
 * later (IsRun and Destination read from the table for every interrupt)
 * and on an older one that may cache them too: Keel's invalidation after
 * each placement change must serve both. */
static bool older_unit;

static void amd_init(struct amd *a, bool xt)
{
    struct amdvi_dte dte;
    const struct amdvi_dte_cfg c = { .translate = true, .levels = 3, .pt_root = PT_ROOT_PA,
                                     .domain = 1, .read = true, .write = true,
                                     .remap_ints = true, .irt = IRT_PA, .irt_log2 = 0 };
    irqpm_amdvi_reset(&a->u);
    a->u.caches_run_fields = older_unit;
    CHECK_EQ(amdvi_dte_encode(&c, &dte), 0);
    memcpy(a->dte, dte.q, sizeof(a->dte));
    /* As amdvi_unit_init + ga_log_setup + amdvi_ga_irq_setup program them. */
    a->u.control = AMDVI_CTL_IOMMU_EN | AMDVI_CTL_CMD_BUF_EN | AMDVI_CTL_EVENT_LOG_EN |
                   AMDVI_CTL_GA_EN | AMDVI_CTL_GAM_VAPIC | AMDVI_CTL_GA_LOG_EN |
                   AMDVI_CTL_GA_INT_EN | (xt ? AMDVI_CTL_XT_EN : 0);
    CHECK_EQ(amdvi_ga_log_regs(GA_LOG_PA, GA_TAIL_PA, &a->u.ga_log_base, &a->u.ga_log_tail_addr), 0);
    a->u.status = AMDVI_STS_GA_LOG_RUN;
}

/* amdvi_irte_set: one 128-bit store, INVALIDATE_INTERRUPT_TABLE, wait. */
static void amd_store(struct amd *a, uint64_t lo, uint64_t hi)
{
    uint64_t *e = at(IRT_PA);
    e[0] = lo;
    e[1] = hi;
    irqpm_amdvi_inv_interrupt_table(&a->u, DEVID);
}

/* hv/passthru.c route_apply on AMD: decide, store if changed. */
static void amd_route(struct amd *a, struct world *w)
{
    struct irq_post_route old = w->route;
    CHECK_EQ(irq_post_decide(&w->in, &w->route), 0);
    if ((w->route.kind == IRQ_POST_REMAP || w->route.kind == IRQ_POST_POSTED) &&
        (old.irte_lo != w->route.irte_lo || old.irte_hi != w->route.irte_hi))
        amd_store(a, w->route.irte_lo, w->route.irte_hi);
}

/* hv/passthru.c passthru_placement on AMD; returns the store width. */
static int amd_place(struct amd *a, struct world *w, unsigned vcpu, uint32_t host, bool running)
{
    bool changed;
    w->vc[vcpu].host_apic_id = host;
    w->vc[vcpu].running = running;
    int wide = irq_post_amd_place(&w->route.irte_lo, &w->route.irte_hi, host, running, &changed);
    if (wide < 0 || !changed)
        return wide;
    uint64_t *e = at(IRT_PA);
    e[0] = w->route.irte_lo;
    if (wide)
        e[1] = w->route.irte_hi;
    irqpm_amdvi_inv_interrupt_table(&a->u, DEVID);
    return wide;
}

static void report_blocked(const char *unit, const struct irqpm_outcome *o)
{
    if (o->result == IRQPM_BLOCKED)
        fprintf(stderr, "%s model blocked the MSI: %s\n", unit, irqpm_fault_name(o->fault));
}

static void amd_msi(struct amd *a, struct irqpm_outcome *o)
{
    irqpm_amdvi_msi(&a->u, &sim, DEVID, a->dte, 0xfee00000ull, 0, o); /* data = IRTE index 0 */
    report_blocked("AMD-Vi", o);
}

/* The GA log consumer (amdvi_ga_poll over amdvi_ga_log_consume): the tags
 * it hands to hv/passthru.c ga_wake, which kicks that vCPU. */
struct woken {
    unsigned n;
    uint32_t tag[8];
    uint16_t devid[8];
};

static void ga_fn(void *ctx, uint32_t tag, uint16_t devid)
{
    struct woken *wk = ctx;
    if (wk->n < 8) {
        wk->tag[wk->n] = tag;
        wk->devid[wk->n] = devid;
    }
    wk->n++;
}

static unsigned amd_ga_consume(struct amd *a, struct woken *wk)
{
    unsigned n;
    memset(wk, 0, sizeof(*wk));
    a->u.status &= ~AMDVI_STS_GA_INT; /* W1C first, as amdvi_ga_poll */
    a->u.ga_log_head = amdvi_ga_log_consume(at(GA_LOG_PA), a->u.ga_log_head, a->u.ga_log_tail,
                                            ga_fn, wk, &n);
    return n;
}

static void test_amd_running_blocked_moved(void)
{
    struct world w;
    struct amd a;
    struct irqpm_outcome o;
    struct woken wk;

    world_init(&w, IRQ_POST_AMDVI, true);
    amd_init(&a, false);
    guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
    amd_route(&a, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_POSTED);
    CHECK_EQ(w.route.why, IRQ_WHY_POSTED);
    CHECK_EQ(w.route.target, 1);

    /* Running: the vector in vCPU 1's backing page, the doorbell to its CPU. */
    amd_msi(&a, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK_EQ(o.posted_vector, 0x41);
    CHECK(o.notified);
    CHECK_EQ(o.msg.dest, host_id[1]);
    CHECK(!o.ga_logged);
    CHECK(irr_has(1, 0x41));
    CHECK_EQ(irr_count(0) + irr_count(2) + irr_count(3), 0);
    irr_clear(1, 0x41); /* the guest took it */

    /* Blocked: IsRun 0 and GALogIntr 1 with one 64-bit store; the post is
     * logged, no doorbell; the consumer names vCPU 1 of VM 0. */
    CHECK_EQ(amd_place(&a, &w, 1, host_id[1], false), 0);
    amd_msi(&a, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(!o.notified);
    CHECK(o.ga_logged);
    CHECK(!o.ga_log_overflow);
    CHECK(irr_has(1, 0x41));
    CHECK(a.u.ga_interrupts >= 1);
    CHECK_EQ(amd_ga_consume(&a, &wk), 1);
    CHECK_EQ(wk.n, 1);
    CHECK_EQ(wk.tag[0], TAG_BASE | 1);
    CHECK_EQ(wk.devid[0], DEVID);
    CHECK_EQ(amd_ga_consume(&a, &wk), 0); /* consumed, head = tail */
    irr_clear(1, 0x41);

    /* Woken, running again: doorbell, nothing logged. */
    CHECK_EQ(amd_place(&a, &w, 1, host_id[1], true), 0);
    amd_msi(&a, &o);
    CHECK(o.notified && !o.ga_logged);
    irr_clear(1, 0x41);

    /* Moved to another CPU (an 8-bit ID: only bits 63:0 change). */
    CHECK_EQ(amd_place(&a, &w, 1, 9, true), 0);
    amd_msi(&a, &o);
    CHECK(o.notified);
    CHECK_EQ(o.msg.dest, 9);
    irr_clear(1, 0x41);
}

/* With XTEn a move to an x2APIC ID above 2^24 changes Destination[31:24]
 * (bits 127:120): the place update asks for the 128-bit store. */
static void test_amd_wide_move(void)
{
    struct world w;
    struct amd a;
    struct irqpm_outcome o;

    world_init(&w, IRQ_POST_AMDVI, true);
    w.in.unit.x2 = true;
    amd_init(&a, true);
    guest_msi(&w, 2, false, APIC_DM_FIXED, 0x52, false);
    amd_route(&a, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_POSTED);
    CHECK_EQ(amd_place(&a, &w, 2, 0x01000007u, true), 1);
    amd_msi(&a, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(o.notified);
    CHECK_EQ(o.msg.dest, 0x01000007u);
    CHECK(irr_has(2, 0x52));
    /* And back: Destination[31:24] changes again. */
    CHECK_EQ(amd_place(&a, &w, 2, 6, true), 1);
    /* A remapped entry is not moved by placement. */
    uint64_t lo = 1, hi = 0;
    bool changed;
    CHECK_EQ(irq_post_amd_place(&lo, &hi, 5, true, &changed), -1);
    CHECK(!changed);
}

/* Inhibit on with a post in flight, interrupts while remapped, inhibit
 * off again: every MSI reaches the guest exactly once. */
static void test_amd_inhibit_switch(void)
{
    struct world w;
    struct amd a;
    struct irqpm_outcome o;
    unsigned remapped = 0;

    world_init(&w, IRQ_POST_AMDVI, true);
    amd_init(&a, false);
    guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
    amd_route(&a, &w);
    amd_msi(&a, &o); /* posted before the switch: in the backing page */
    CHECK_EQ(o.result, IRQPM_POSTED);

    /* Inhibit: remapped to Keel's vector, invalidated; what the unit posted
     * is already in the vLAPIC's IRR (the backing page is its page). */
    w.in.vm_accel = false;
    amd_route(&a, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_REMAP);
    CHECK_EQ(w.route.why, IRQ_WHY_VM_INHIBITED);
    CHECK(irr_has(1, 0x41));
    CHECK_EQ(irr_count(1), 1);
    for (int i = 0; i < 3; i++) {
        amd_msi(&a, &o);
        CHECK_EQ(o.result, IRQPM_REMAPPED);
        CHECK_EQ(o.msg.vector, HOST_VEC);
        CHECK_EQ(o.msg.dest, HOST_DEST);
        CHECK(!o.msg.logical);
        remapped += o.result == IRQPM_REMAPPED;
    }
    CHECK_EQ(irr_count(1), 1); /* nothing posted behind Keel's back */
    CHECK_EQ(remapped, 3);

    /* Inhibit off: posted again, same placement. */
    w.in.vm_accel = true;
    irr_clear(1, 0x41);
    amd_route(&a, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_POSTED);
    amd_msi(&a, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(o.notified);
    CHECK_EQ(irr_count(1), 1);

    /* The target vCPU's own APIC emulated (x2APIC without x2AVIC, ...). */
    w.vc[1].accel = false;
    amd_route(&a, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_REMAP);
    CHECK_EQ(w.route.why, IRQ_WHY_VCPU_EMULATED);
    amd_msi(&a, &o);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
}

/* Keel's side of the switch (hv/passthru.c route_switched over
 * irq_post_switched), with the models for the unit: a run of MSIs, each
 * with a different vector, while the route goes remapped <-> posted and the
 * target moves and blocks; Keel takes remapped ones into a pending flag and
 * injects it (the guest's message as programmed) when the run loop or a
 * drain says so, and before the guest's reprogramming takes effect.  At the end each vector reached the guest
 * exactly once: no MSI blocked, none missing, none in two places. */
struct keel_side {
    bool pending;
    unsigned injected, posted;
};

static void keel_msi_outcome(struct keel_side *k, const struct irqpm_outcome *o)
{
    CHECK(o->result != IRQPM_BLOCKED);
    if (o->result == IRQPM_REMAPPED) {
        CHECK_EQ(o->msg.vector, HOST_VEC);
        k->pending = true; /* passthru_host_irq */
    } else if (o->result == IRQPM_POSTED) {
        k->posted++;
    }
}

static void keel_inject(struct keel_side *k, const struct world *w)
{
    if (!k->pending)
        return;
    k->pending = false; /* passthru_poll: the guest's message into its target's IRR */
    unsigned t = (unsigned)(w->in.msi_addr >> 12) & 0xff;
    uint32_t *page = at(PAGE_PA(t));
    uint8_t v = (uint8_t)w->in.msi_data;
    page[(0x200u + (v >> 5) * 0x10u) / 4] |= 1u << (v & 31);
    k->injected++;
}

static void amd_switch(struct amd *a, struct world *w, struct keel_side *k, bool *kicked)
{
    struct irq_post_route old = w->route;
    struct irq_post_switch sw;
    amd_route(a, w);
    irq_post_switched(&old, &w->route, &sw);
    if (sw.kick >= 0)
        kicked[sw.kick] = true;
    if (sw.drain)
        keel_inject(k, w);
}

static void test_amd_switch_accounting(void)
{
    struct world w;
    struct amd a;
    struct irqpm_outcome o;
    struct keel_side k = { 0 };
    bool kicked[NVCPU] = { false };
    unsigned sent = 0;

    world_init(&w, IRQ_POST_AMDVI, true);
    amd_init(&a, false);
    for (unsigned step = 0; step < 24; step++) {
        uint8_t vec = (uint8_t)(0x40 + step);
        unsigned target = 1 + step / 8;          /* vCPU 1, 2, then 3 */
        /* The guest reprograms (a new vector every step, a new vCPU every
         * eighth): msi_changed first injects what Keel holds as it was
         * sent, under the old programming. */
        if (step)
            keel_inject(&k, &w);
        guest_msi(&w, (uint8_t)target, false, APIC_DM_FIXED, vec, false);
        w.in.vm_accel = (step % 3) != 1;          /* inhibit on every third step */
        w.vc[target].running = (step % 4) != 3;   /* and blocked every fourth */
        amd_switch(&a, &w, &k, kicked);
        if (w.route.kind == IRQ_POST_POSTED)
            amd_place(&a, &w, target, host_id[target], w.vc[target].running);
        amd_msi(&a, &o);
        sent++;
        keel_msi_outcome(&k, &o);
        if (o.result == IRQPM_POSTED)
            CHECK(o.notified == w.vc[target].running && o.ga_logged == !w.vc[target].running);
        /* A remapped MSI waits in Keel until the next pass or a drain:
         * half of them are still pending when the route changes. */
        if (step % 2)
            keel_inject(&k, &w);
    }
    keel_inject(&k, &w);
    CHECK_EQ(k.posted + k.injected, sent);
    unsigned in_irr = 0;
    for (unsigned t = 0; t < NVCPU; t++)
        in_irr += irr_count(t);
    CHECK_EQ(in_irr, sent); /* 24 distinct vectors, each in exactly one IRR */
    CHECK(kicked[1] && kicked[2]); /* the old targets looked at what was posted */
}

/* The switch actions alone. */
static void test_switch_actions(void)
{
    struct irq_post_route off = { .kind = IRQ_POST_OFF, .target = -1 };
    struct irq_post_route rem = { .kind = IRQ_POST_REMAP, .target = -1 };
    struct irq_post_route p1 = { .kind = IRQ_POST_POSTED, .target = 1 };
    struct irq_post_route p2 = { .kind = IRQ_POST_POSTED, .target = 2 };
    struct irq_post_switch sw;

    irq_post_switched(&p1, &rem, &sw);
    CHECK(sw.kick == 1 && !sw.drain);
    irq_post_switched(&rem, &p1, &sw);
    CHECK(sw.kick == -1 && sw.drain);
    irq_post_switched(&p1, &p2, &sw);
    CHECK(sw.kick == 1 && !sw.drain);
    irq_post_switched(&p1, &p1, &sw); /* a placement change, same target */
    CHECK(sw.kick == -1 && !sw.drain);
    irq_post_switched(&p2, &off, &sw);
    CHECK(sw.kick == 2 && !sw.drain);
    irq_post_switched(&off, &rem, &sw);
    CHECK(sw.kick == -1 && sw.drain);
}

/* The guest moves its MSI to another vCPU: that vCPU's page, not the old. */
static void test_amd_reprogram(void)
{
    struct world w;
    struct amd a;
    struct irqpm_outcome o;

    world_init(&w, IRQ_POST_AMDVI, true);
    amd_init(&a, false);
    guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
    amd_route(&a, &w);
    guest_msi(&w, 2, false, APIC_DM_FIXED, 0x61, false);
    amd_route(&a, &w);
    CHECK_EQ(w.route.target, 2);
    amd_msi(&a, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK_EQ(o.msg.dest, host_id[2]);
    CHECK(irr_has(2, 0x61));
    CHECK_EQ(irr_count(1), 0);
    /* Lowest priority with one candidate (logical, one bit): posted. */
    guest_msi(&w, 1u << 3, true, APIC_DM_LOWEST, 0x71, false);
    amd_route(&a, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_POSTED);
    CHECK_EQ(w.route.why, IRQ_WHY_POSTED_LOWEST);
    CHECK_EQ(w.route.target, 3);
    amd_msi(&a, &o);
    CHECK(irr_has(3, 0x71));
}

/* ==== VT-d ==== */

struct vtd {
    struct irqpm_vtd u;
};

static void vtd_init(struct vtd *t)
{
    irqpm_vtd_reset(&t->u);
    t->u.irta = IRT_PA | 7; /* 256 entries, EIME 0: as vtd.c ir_enable */
    t->u.gsts = VTD_GSTS_IRES | VTD_GSTS_IRTPS; /* SIRTP then IRE, as ir_enable */
    t->u.cap = VTD_CAP_PI;
    t->u.ecap = VTD_ECAP_IR | VTD_ECAP_QI;
    for (unsigned i = 0; i < NVCPU; i++) { /* vmx_posted.c: one descriptor per vCPU */
        struct vmx_pi_desc *d = at(DESC_PA(i));
        vmx_pi_desc_init(d);
        vmx_pi_set_notify(d, NV, vmx_pi_ndst(host_id[i], false));
        vmx_pi_clear_sn(d);
    }
}

/* vtd_irte_set: one 128-bit store into entry 0, IEC index invalidation. */
static void vtd_route(struct vtd *t, struct world *w)
{
    struct irq_post_route old = w->route;
    CHECK_EQ(irq_post_decide(&w->in, &w->route), 0);
    if ((w->route.kind == IRQ_POST_REMAP || w->route.kind == IRQ_POST_POSTED) &&
        (old.irte_lo != w->route.irte_lo || old.irte_hi != w->route.irte_hi)) {
        uint64_t *e = at(IRT_PA);
        e[0] = w->route.irte_lo;
        e[1] = w->route.irte_hi;
        irqpm_vtd_inv_iec(&t->u, false, 0, 0);
    }
}

static void vtd_msi(struct vtd *t, struct irqpm_outcome *o)
{
    /* Remappable format, handle 0, data 0 (vtd_irte_set's answer). */
    irqpm_vtd_msi(&t->u, &sim, DEVID, VTD_MSI_ADDR_BASE | VTD_MSI_ADDR_IF, 0, o);
    report_blocked("VT-d", o);
}

static bool pir_has(unsigned vcpu, uint8_t v)
{
    const struct vmx_pi_desc *d = at(DESC_PA(vcpu));
    return d->pir[v / 64] & (1ull << (v % 64));
}

static void test_vtd_running_blocked(void)
{
    struct world w;
    struct vtd t;
    struct irqpm_outcome o;
    uint32_t vapic[1024] = { 0 };

    world_init(&w, IRQ_POST_VTD, true);
    vtd_init(&t);
    guest_msi(&w, 2, false, APIC_DM_FIXED, 0x45, false);
    vtd_route(&t, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_POSTED);

    /* Running: PIR and ON, the notification NV to vCPU 2's CPU. */
    vtd_msi(&t, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK_EQ(o.posted_vector, 0x45);
    CHECK(o.notified);
    CHECK_EQ(o.msg.vector, NV);
    CHECK_EQ(o.msg.dest, host_id[2]);
    CHECK(pir_has(2, 0x45));
    CHECK(vmx_pi_pending(at(DESC_PA(2))));
    /* The CPU (or the pre-entry sync) consumes it. */
    CHECK_EQ(vmx_pi_sync_to_virr(at(DESC_PA(2)), vapic), 0x45);
    CHECK(!pir_has(2, 0x45));

    /* Blocked (vmx_block_prepare): the wake-up vector to its own CPU. */
    CHECK(vmx_pi_block_prepare(at(DESC_PA(2)), WAKEUP, vmx_pi_ndst(host_id[2], false)));
    vtd_msi(&t, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(o.notified);
    CHECK_EQ(o.msg.vector, WAKEUP);
    CHECK_EQ(o.msg.dest, host_id[2]);
    /* Woken: back to NV; the sync moves the vector. */
    vmx_pi_unblock(at(DESC_PA(2)), NV, vmx_pi_ndst(host_id[2], false));
    CHECK_EQ(vmx_pi_sync_to_virr(at(DESC_PA(2)), vapic), 0x45);

    /* Moved to another CPU: NDST follows in the descriptor; the IRTE is
     * untouched (no invalidation needed) and the notification goes there. */
    uint64_t lo = ((uint64_t *)at(IRT_PA))[0];
    vmx_pi_set_notify(at(DESC_PA(2)), NV, vmx_pi_ndst(9, false));
    vtd_msi(&t, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(o.notified);
    CHECK_EQ(o.msg.dest, 9);
    CHECK_EQ(((uint64_t *)at(IRT_PA))[0], lo);
    CHECK_EQ(vmx_pi_sync_to_virr(at(DESC_PA(2)), vapic), 0x45);
}

/* Inhibit on with a post in flight (ON set, notification sent to a host
 * that did not process it), remapped meanwhile, inhibit off. */
static void test_vtd_inhibit_switch(void)
{
    struct world w;
    struct vtd t;
    struct irqpm_outcome o;
    uint32_t vapic[1024] = { 0 };

    world_init(&w, IRQ_POST_VTD, true);
    vtd_init(&t);
    guest_msi(&w, 1, false, APIC_DM_FIXED, 0x33, false);
    vtd_route(&t, &w);
    vtd_msi(&t, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);

    w.in.vm_accel = false;
    vtd_route(&t, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_REMAP);
    vtd_msi(&t, &o);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.msg.vector, HOST_VEC);
    CHECK_EQ(o.msg.dest, HOST_DEST);
    CHECK(!o.msg.level);
    /* The kick after the switch: the pre-entry sync moves what was posted,
     * once; the remapped one comes through Keel's vector (counted above). */
    CHECK_EQ(vmx_pi_sync_to_virr(at(DESC_PA(1)), vapic), 0x33);
    CHECK_EQ(vmx_pi_sync_to_virr(at(DESC_PA(1)), vapic), -1);
    CHECK(vapic[(0x200u + (0x33 >> 5) * 0x10u) / 4] & (1u << (0x33 & 31)));

    w.in.vm_accel = true;
    vtd_route(&t, &w);
    CHECK_EQ(w.route.kind, IRQ_POST_POSTED);
    vtd_msi(&t, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(pir_has(1, 0x33));

    /* The guest moves it to vCPU 3. */
    guest_msi(&w, 3, false, APIC_DM_FIXED, 0x34, false);
    vtd_route(&t, &w);
    vtd_msi(&t, &o);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(pir_has(3, 0x34));
    CHECK(!pir_has(1, 0x34));
}

/* ==== Messages that stay remapped (both vendors) ==== */

static void check_remapped(struct world *w, unsigned why)
{
    struct amd a;
    struct vtd t;
    struct irqpm_outcome o;

    CHECK_EQ(irq_post_decide(&w->in, &w->route), 0);
    CHECK_EQ(w->route.kind, IRQ_POST_REMAP);
    CHECK_EQ(w->route.why, why);
    CHECK_EQ(w->route.target, -1);
    if (w->in.unit.vendor == IRQ_POST_AMDVI) {
        amd_init(&a, false);
        amd_store(&a, w->route.irte_lo, w->route.irte_hi);
        amd_msi(&a, &o);
    } else {
        vtd_init(&t);
        uint64_t *e = at(IRT_PA);
        e[0] = w->route.irte_lo;
        e[1] = w->route.irte_hi;
        irqpm_vtd_inv_iec(&t.u, false, 0, 0);
        vtd_msi(&t, &o);
    }
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.msg.vector, HOST_VEC);
    CHECK_EQ(o.msg.dest, HOST_DEST);
    CHECK_EQ(o.msg.delivery_mode, 0);
}

static void test_stay_remapped(void)
{
    struct world w;

    for (uint8_t vendor = IRQ_POST_AMDVI; vendor <= IRQ_POST_VTD; vendor++) {
        world_init(&w, vendor, true);
        guest_msi(&w, 0x3, true, APIC_DM_FIXED, 0x41, false); /* logical, two targets */
        check_remapped(&w, IRQ_WHY_MULTI);
        guest_msi(&w, 0x6, true, APIC_DM_LOWEST, 0x41, false); /* two candidates */
        check_remapped(&w, IRQ_WHY_LOWEST_MULTI);
        guest_msi(&w, 0xff, false, APIC_DM_FIXED, 0x41, false); /* broadcast */
        check_remapped(&w, IRQ_WHY_MULTI);
        guest_msi(&w, 1, false, APIC_DM_NMI, 0, false);
        check_remapped(&w, IRQ_WHY_DELIVERY_MODE);
        guest_msi(&w, 1, false, APIC_DM_EXTINT, 0, false);
        check_remapped(&w, IRQ_WHY_DELIVERY_MODE);
        guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, true);
        check_remapped(&w, IRQ_WHY_LEVEL);
        guest_msi(&w, 9, false, APIC_DM_FIXED, 0x41, false); /* no such APIC */
        check_remapped(&w, IRQ_WHY_NO_TARGET);
        w.views[1].sw_enabled = false; /* a software-disabled APIC takes no fixed one */
        guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
        check_remapped(&w, IRQ_WHY_NO_TARGET);
        w.views[1].sw_enabled = true;
        w.vc[1].backing_pa = w.vc[1].pi_desc_pa = 0;
        check_remapped(&w, IRQ_WHY_NO_VCPU_STATE);
        world_init(&w, vendor, false); /* QEMU: the unit remaps, does not post */
        guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
        check_remapped(&w, IRQ_WHY_UNIT_NO_POST);
    }
    /* A guest MSI in its virtual VT-d unit's remappable format (address
     * bit 4: the fields are a handle, not a destination) is never posted,
     * whatever the handle's bits would read as. */
    world_init(&w, IRQ_POST_VTD, true);
    guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
    w.in.msi_addr |= 1u << 4;
    w.in.guest_remappable = true;
    check_remapped(&w, IRQ_WHY_GUEST_REMAP);
    /* AMD without XT: a host APIC ID above 255 cannot be a Destination. */
    world_init(&w, IRQ_POST_AMDVI, true);
    w.vc[1].host_apic_id = 300;
    guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
    check_remapped(&w, IRQ_WHY_HOST_DEST);
}

/* Routes that program no IRTE, and refusals. */
static void test_decide_edges(void)
{
    struct world w;
    char buf[128];

    world_init(&w, IRQ_POST_AMDVI, true);
    w.in.msi_enabled = false;
    CHECK_EQ(irq_post_decide(&w.in, &w.route), 0);
    CHECK_EQ(w.route.kind, IRQ_POST_OFF);
    CHECK_EQ(w.route.why, IRQ_WHY_MSI_OFF);
    w.in.msi_enabled = true;
    w.in.msi_addr = 0xfed00000;
    CHECK_EQ(irq_post_decide(&w.in, &w.route), 0);
    CHECK_EQ(w.route.why, IRQ_WHY_NOT_MSI);
    guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
    w.in.unit.remaps = false;
    CHECK_EQ(irq_post_decide(&w.in, &w.route), 0);
    CHECK_EQ(w.route.kind, IRQ_POST_DIRECT);
    /* A remapped entry to a host APIC above 255 without XT: refused,
     * nothing half-built. */
    w.in.unit.remaps = true;
    w.in.vm_accel = false;
    w.in.host_dest = 0x100;
    CHECK_EQ(irq_post_decide(&w.in, &w.route), -1);
    CHECK_EQ(w.route.kind, IRQ_POST_OFF);
    CHECK_EQ(w.route.irte_lo | w.route.irte_hi, 0);
    /* A backing page not page-aligned: refused. */
    w.in.host_dest = HOST_DEST;
    w.in.vm_accel = true;
    w.vc[1].backing_pa = PAGE_PA(1) + 8;
    CHECK_EQ(irq_post_decide(&w.in, &w.route), -1);
    CHECK_EQ(w.route.kind, IRQ_POST_OFF);
    /* Never placed: posted with IsRun 0 and GALogIntr, so the GA log wakes it. */
    w.vc[1].backing_pa = PAGE_PA(1);
    w.vc[1].placed = false;
    CHECK_EQ(irq_post_decide(&w.in, &w.route), 0);
    CHECK_EQ(w.route.kind, IRQ_POST_POSTED);
    CHECK(!(w.route.irte_lo & AMDVI_IRTE_IS_RUN));
    CHECK(w.route.irte_lo & AMDVI_IRTE_GA_LOG_INTR);
    CHECK_EQ((uint32_t)(w.route.irte_lo >> AMDVI_IRTE_GA_TAG_SHIFT), TAG_BASE | 1);
    irq_post_describe(&w.route, buf, sizeof(buf));
    CHECK(strcmp(buf, "posted to vCPU 1, vector 0x41 (fixed, one target)") == 0);
    w.route.kind = IRQ_POST_REMAP;
    w.route.why = IRQ_WHY_VM_INHIBITED;
    irq_post_describe(&w.route, buf, sizeof(buf));
    CHECK(strcmp(buf, "remapped (the VM's APIC runs emulated (inhibited))") == 0);
    for (unsigned i = 0; i < IRQ_WHY_COUNT; i++)
        CHECK(strcmp(irq_post_why_text(i), "?") != 0);
    CHECK(strcmp(irq_post_why_text(IRQ_WHY_COUNT), "?") == 0);
}

/* The GA log: a wrap, an unknown type skipped, pointers out of range. */
static void test_ga_log_consume(void)
{
    uint64_t *log = calloc(AMDVI_GA_LOG_ENTRIES, sizeof(uint64_t));
    struct woken wk = { 0 };
    unsigned n;
    uint64_t last = (AMDVI_GA_LOG_ENTRIES - 1) * 8ull;

    log[AMDVI_GA_LOG_ENTRIES - 1] = 1ull << 60 | (uint64_t)DEVID << 32 | (TAG_BASE | 2);
    log[0] = 7ull << 60 | 0x1234;                      /* another type: consumed, not reported */
    log[1] = 1ull << 60 | (uint64_t)DEVID << 32 | (TAG_BASE | 3);
    uint64_t head = amdvi_ga_log_consume(log, last, 16, ga_fn, &wk, &n);
    CHECK_EQ(head, 16);
    CHECK_EQ(n, 3);
    CHECK_EQ(wk.n, 2);
    CHECK_EQ(wk.tag[0], TAG_BASE | 2);
    CHECK_EQ(wk.tag[1], TAG_BASE | 3);
    CHECK_EQ(log[0] | log[1] | log[AMDVI_GA_LOG_ENTRIES - 1], 0);
    CHECK_EQ(amdvi_ga_log_consume(log, 16, 0x10000, ga_fn, &wk, &n), 16); /* tail beyond */
    CHECK_EQ(n, 0);
    uint32_t tag;
    uint16_t devid;
    CHECK_EQ(amdvi_ga_log_decode(0, &tag, &devid), -1);
    CHECK_EQ(amdvi_ga_log_decode(1ull << 60 | 5ull << 32 | 9, &tag, &devid), 0);
    CHECK_EQ(tag, 9);
    CHECK_EQ(devid, 5);
    uint64_t b, t;
    CHECK_EQ(amdvi_ga_log_regs(GA_LOG_PA + 8, GA_TAIL_PA, &b, &t), -1);
    CHECK_EQ(amdvi_ga_log_regs(GA_LOG_PA, GA_TAIL_PA + 4, &b, &t), -1);
    CHECK_EQ(b | t, 0);
    free(log);
}

/* A full log: the model reports the overflow; the consumer still drains
 * what is there (the driver then restarts the log, 2.7.4, and wakes every
 * posted target). */
static void test_amd_ga_overflow(void)
{
    struct world w;
    struct amd a;
    struct irqpm_outcome o = { 0 };
    struct woken wk;
    unsigned logged = 0;

    world_init(&w, IRQ_POST_AMDVI, true);
    amd_init(&a, false);
    guest_msi(&w, 1, false, APIC_DM_FIXED, 0x41, false);
    w.vc[1].running = false;
    amd_route(&a, &w);
    for (unsigned i = 0; i < AMDVI_GA_LOG_ENTRIES + 2 && !o.ga_log_overflow; i++) {
        amd_msi(&a, &o);
        logged += o.ga_logged;
    }
    CHECK(o.ga_log_overflow);
    CHECK(a.u.status & AMDVI_STS_GA_LOG_OVERFLOW);
    CHECK_EQ(amd_ga_consume(&a, &wk), logged);
    CHECK_EQ(wk.tag[0], TAG_BASE | 1);
    CHECK(irr_has(1, 0x41)); /* the interrupt itself was posted */
}

int main(void)
{
    for (int old = 0; old < 2; old++) {
        older_unit = old;
        test_amd_running_blocked_moved();
        test_amd_wide_move();
        test_amd_inhibit_switch();
        test_amd_reprogram();
        test_amd_ga_overflow();
        test_amd_switch_accounting();
    }
    test_switch_actions();
    test_vtd_running_blocked();
    test_vtd_inhibit_switch();
    test_stay_remapped();
    test_decide_edges();
    test_ga_log_consume();
    return check_report("test_irq_post");
}
