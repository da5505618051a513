/* SPDX-License-Identifier: MIT */
/*
 * Fake platform for the vLAPIC host tests: a settable guest TSC and records
 * of sent messages, EOI broadcasts, timer re-arms and mode changes.  With
 * loopback set, messages to self (shorthand self/all, or the own physical
 * ID) are delivered back to the vLAPIC, as the router would.
 */
#ifndef KEEL_TESTS_TEST_VLAPIC_FAKE_H
#define KEEL_TESTS_TEST_VLAPIC_FAKE_H

#include <string.h>

#include "apic/vlapic.h"

#define FAKE_MAX 64

struct fake {
    uint64_t tsc;
    uint64_t clock_skew;   /* clock = tsc + clock_skew: a guest TSC write moves tsc only */
    struct apic_msg sent[FAKE_MAX];
    unsigned nsent;
    uint8_t eoi[FAKE_MAX];
    unsigned neoi;
    unsigned timer_changes;
    enum vlapic_mode mode_old[FAKE_MAX], mode_new[FAKE_MAX];
    unsigned nmode;
    unsigned dest_changes;
    struct vlapic *loopback;
};

static struct fake fk;
static struct vlapic vl;
static uint32_t page[1024] __attribute__((aligned(4096)));

static inline uint64_t fake_now(void *ctx)
{
    return ((struct fake *)ctx)->tsc;
}

static inline uint64_t fake_clock(void *ctx)
{
    return ((struct fake *)ctx)->tsc + ((struct fake *)ctx)->clock_skew;
}

/* The guest writes its TSC: the guest TSC jumps by @delta, the clock the
 * APIC timer counts on does not. */
static inline void fake_guest_tsc_write(uint64_t delta)
{
    fk.tsc += delta;
    fk.clock_skew -= delta;
}

static inline void fake_send(void *ctx, const struct apic_msg *m)
{
    struct fake *f = ctx;

    if (f->nsent < FAKE_MAX)
        f->sent[f->nsent] = *m;
    f->nsent++;
    if (f->loopback && (m->shorthand == APIC_SH_SELF || m->shorthand == APIC_SH_ALL))
        vlapic_deliver(f->loopback, m);
}

static inline void fake_eoi(void *ctx, uint8_t vector)
{
    struct fake *f = ctx;

    if (f->neoi < FAKE_MAX)
        f->eoi[f->neoi] = vector;
    f->neoi++;
}

static inline void fake_timer_changed(void *ctx)
{
    ((struct fake *)ctx)->timer_changes++;
}

static inline void fake_mode_changed(void *ctx, enum vlapic_mode o, enum vlapic_mode n)
{
    struct fake *f = ctx;

    if (f->nmode < FAKE_MAX) {
        f->mode_old[f->nmode] = o;
        f->mode_new[f->nmode] = n;
    }
    f->nmode++;
}

static inline void fake_dest_changed(void *ctx)
{
    ((struct fake *)ctx)->dest_changes++;
}

static const struct vlapic_ops fake_ops = {
    .now = fake_now,
    .clock = fake_clock,
    .send = fake_send,
    .eoi_level = fake_eoi,
    .timer_changed = fake_timer_changed,
    .mode_changed = fake_mode_changed,
    .dest_changed = fake_dest_changed,
};

static inline struct vlapic_config default_cfg(void)
{
    struct vlapic_config c;

    memset(&c, 0, sizeof(c));
    c.apic_id = 3;
    c.vcpu_index = 2;
    c.bsp = true;
    c.x2apic_allowed = true;
    c.tsc_deadline_allowed = true;
    c.tsc_per_bus_tick = 1;
    return c;
}

static inline void setup_cfg(const struct vlapic_config *c)
{
    memset(&fk, 0, sizeof(fk));
    memset(page, 0xa5, sizeof(page));   /* init must not rely on a zeroed page */
    fk.tsc = 1000;
    vlapic_init(&vl, page, c, &fake_ops, &fk);
}

static inline void setup(void)
{
    struct vlapic_config c = default_cfg();

    setup_cfg(&c);
}

static inline void clear_records(void)
{
    fk.nsent = 0;
    fk.neoi = 0;
    fk.timer_changes = 0;
    fk.nmode = 0;
    fk.dest_changes = 0;
}

static inline uint32_t rd(uint32_t off)
{
    uint32_t v = 0xdeadbeef;

    if (vlapic_mmio_read(&vl, off, 4, &v) != VLAPIC_OK)
        return 0xdeadbeef;
    return v;
}

static inline void wr(uint32_t off, uint32_t v)
{
    (void)vlapic_mmio_write(&vl, off, 4, v);
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint64_t v = 0xdeadbeefdeadbeefull;

    if (vlapic_msr_read(&vl, msr, &v) != VLAPIC_OK)
        return 0xdeadbeefdeadbeefull;
    return v;
}

/* Software-enable the APIC (SVR bit 8) with spurious vector 0xff. */
static inline void sw_enable(void)
{
    if (vlapic_get_mode(&vl) == VLAPIC_MODE_X2APIC)
        (void)vlapic_msr_write(&vl, X2APIC_MSR(APIC_SVR), 0x1ff);
    else
        wr(APIC_SVR, 0x1ff);
}

static inline void go_x2apic(void)
{
    (void)vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE | APIC_BASE_EN | APIC_BASE_EXTD);
}

/* Latch and return the ESR (write-before-read, SDM 11.5.3). */
static inline uint32_t esr(void)
{
    if (vlapic_get_mode(&vl) == VLAPIC_MODE_X2APIC) {
        (void)vlapic_msr_write(&vl, X2APIC_MSR(APIC_ESR), 0);
        return (uint32_t)rdmsr(X2APIC_MSR(APIC_ESR));
    }
    wr(APIC_ESR, 0);
    return rd(APIC_ESR);
}

static inline bool vec_bit(uint32_t base, unsigned v)
{
    return (page[(base + (v >> 5) * 16) / 4] >> (v & 31)) & 1;
}

#endif /* KEEL_TESTS_TEST_VLAPIC_FAKE_H */
