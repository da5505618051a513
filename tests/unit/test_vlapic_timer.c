/* SPDX-License-Identifier: MIT */
/* Host unit tests for the vLAPIC timer (apic/vlapic_timer.c, SDM 11.5.4). */
#include "check.h"
#include "test_vlapic_fake.h"

#define T0 1000ull
#define VEC 0xd0u
#define ONESHOT  (VEC)
#define PERIODIC (VEC | 0x20000u)
#define DEADLINE (VEC | 0x40000u)

static void fresh_r(uint64_t tsc_per_tick)
{
    struct vlapic_config c = default_cfg();

    c.tsc_per_bus_tick = tsc_per_tick;
    setup_cfg(&c);
    sw_enable();
    clear_records();
    fk.tsc = T0;
}

static uint32_t count(void)
{
    CHECK_EQ(rd(APIC_TMCCT), vlapic_timer_current_count(&vl));
    return vlapic_timer_current_count(&vl);
}

static bool fired(void)
{
    bool f = vec_bit(APIC_IRR, VEC);

    if (f) {
        vlapic_ack(&vl, VEC);
        vlapic_eoi(&vl);
    }
    return f;
}

static const struct {
    uint32_t tdcr, div;
} divs[] = {
    { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 }, { 0x8, 32 }, { 0x9, 64 },
    { 0xa, 128 }, { 0xb, 1 }, { 0x4, 2 }, { 0xf, 1 },  /* bit 2 is not part of it */
};

static void test_oneshot_divides(void)
{
    static const uint64_t ticks[] = { 1, 3, 25 };
    size_t i, k;

    for (k = 0; k < 3; k++)
        for (i = 0; i < sizeof(divs) / sizeof(divs[0]); i++) {
            uint64_t t = divs[i].div * ticks[k], dl = T0 + 1000 * t;

            fresh_r(ticks[k]);
            wr(APIC_TDCR, divs[i].tdcr);
            wr(APIC_LVT_TIMER, ONESHOT);
            wr(APIC_TMICT, 1000);
            CHECK_EQ(vlapic_timer_deadline(&vl), dl);
            CHECK_EQ(fk.timer_changes, 1);
            CHECK_EQ(count(), 1000);
            fk.tsc = T0 + 250 * t + (t - 1);   /* within the 251st tick */
            CHECK_EQ(count(), 750);
            fk.tsc = dl - 1;
            CHECK_EQ(count(), 1);
            vlapic_timer_expire(&vl);           /* early: nothing */
            CHECK(!fired());
            fk.tsc = dl;
            CHECK_EQ(count(), 0);               /* due, before the host noticed */
            vlapic_timer_expire(&vl);
            CHECK(fired());
            CHECK_EQ(vlapic_timer_deadline(&vl), 0);
            CHECK_EQ(fk.timer_changes, 2);
            fk.tsc = dl + 12345;
            CHECK_EQ(count(), 0);
            vlapic_timer_expire(&vl);
            CHECK(!fired());
            CHECK_EQ(rd(APIC_TMICT), 1000);
        }
}

/* The count never goes up, steps once per tick and is 0 exactly at expiry. */
static void test_oneshot_sweep(void)
{
    uint64_t t = 2 * 3, dl, now;
    uint32_t prev = 37;

    fresh_r(3);
    wr(APIC_LVT_TIMER, ONESHOT);
    wr(APIC_TMICT, 37);
    dl = vlapic_timer_deadline(&vl);
    CHECK_EQ(dl, T0 + 37 * t);
    for (now = T0; now < dl + 5; now++) {
        uint32_t c;

        fk.tsc = now;
        c = vlapic_timer_current_count(&vl);
        CHECK(c <= prev);
        CHECK_EQ(c, now >= dl ? 0 : (uint32_t)((dl - now + t - 1) / t));
        prev = c;
    }
}

static void test_periodic(void)
{
    uint64_t now;
    uint32_t prev = 100;

    fresh_r(1);
    wr(APIC_TDCR, 0xb);
    wr(APIC_LVT_TIMER, PERIODIC);
    wr(APIC_TMICT, 100);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 100);
    /* Without the host's expiry the count still wraps consistently. */
    for (now = T0; now < T0 + 350; now++) {
        uint32_t c;

        fk.tsc = now;
        c = count();
        CHECK(c >= 1 && c <= 100);
        CHECK_EQ(c, 100 - (uint32_t)((now - T0) % 100));
        CHECK(c < prev || (now - T0) % 100 == 0);
        prev = c;
    }
    /* Late expiry: one interrupt, next deadline keeps the phase. */
    fk.tsc = T0 + 350;
    vlapic_timer_expire(&vl);
    CHECK(fired());
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 400);
    CHECK_EQ(count(), 50);
    fk.tsc = T0 + 400;
    vlapic_timer_expire(&vl);
    CHECK(fired());
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 500);
    CHECK_EQ(count(), 100);
    fk.tsc = T0 + 499;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    CHECK_EQ(count(), 1);
}

/* Periodic expiries on time for a long run do not drift. */
static void test_periodic_no_drift(void)
{
    unsigned i, n = 0;

    fresh_r(3);
    wr(APIC_TDCR, 0x1);                         /* / 4: period 12 * 1000 */
    wr(APIC_LVT_TIMER, PERIODIC);
    wr(APIC_TMICT, 1000);
    for (i = 1; i <= 200; i++) {
        fk.tsc = T0 + i * 12000ull + (i % 7);   /* the host is a bit late */
        vlapic_timer_expire(&vl);
        n += fired();
        CHECK_EQ(vlapic_timer_deadline(&vl), T0 + (i + 1) * 12000ull);
    }
    CHECK_EQ(n, 200);
}

static void test_masked_expiry(void)
{
    fresh_r(1);
    wr(APIC_TDCR, 0xb);
    wr(APIC_LVT_TIMER, PERIODIC | APIC_LVT_MASKED);
    wr(APIC_TMICT, 10);
    fk.tsc = T0 + 10;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 20);   /* still reloads */
    wr(APIC_LVT_TIMER, PERIODIC);                     /* unmask: same mode */
    fk.tsc = T0 + 20;
    vlapic_timer_expire(&vl);
    CHECK(fired());
    fresh_r(1);
    wr(APIC_LVT_TIMER, ONESHOT | APIC_LVT_MASKED);
    wr(APIC_TMICT, 10);
    fk.tsc = T0 + 20;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(count(), 0);
    /* Software disabled: LVT masked, the timer still runs. */
    fresh_r(1);
    wr(APIC_LVT_TIMER, ONESHOT);
    wr(APIC_TMICT, 10);
    wr(APIC_SVR, 0xff);
    fk.tsc = T0 + 19;
    CHECK_EQ(count(), 1);
    fk.tsc = T0 + 20;
    vlapic_timer_expire(&vl);
    CHECK(!vec_bit(APIC_IRR, VEC));
}

static void test_stop_restart(void)
{
    fresh_r(1);
    wr(APIC_LVT_TIMER, ONESHOT);
    wr(APIC_TMICT, 100);
    fk.tsc = T0 + 50;
    CHECK_EQ(count(), 75);
    wr(APIC_TMICT, 0);                          /* stops */
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(count(), 0);
    CHECK_EQ(fk.timer_changes, 2);
    wr(APIC_TMICT, 0);
    CHECK_EQ(fk.timer_changes, 2);              /* was not armed */
    wr(APIC_TMICT, 200);                        /* restarts from now */
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 50 + 400);
    CHECK_EQ(count(), 200);
    fk.tsc = T0 + 100;
    wr(APIC_TMICT, 10);                         /* rewrite restarts */
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 120);
    CHECK_EQ(count(), 10);
}

/* An expiry due before a register write is delivered first. */
static void test_catch_up(void)
{
    fresh_r(1);
    wr(APIC_TDCR, 0xb);
    wr(APIC_LVT_TIMER, PERIODIC);
    wr(APIC_TMICT, 100);
    fk.tsc = T0 + 150;
    wr(APIC_TMICT, 100);
    CHECK(fired());
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 250);
    fk.tsc = T0 + 260;
    wr(APIC_LVT_TIMER, PERIODIC | APIC_LVT_MASKED);   /* due before the mask */
    CHECK(fired());
    fk.tsc = T0 + 360;
    wr(APIC_TDCR, 0xb);
    CHECK(!fired());                            /* masked */
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 450);
}

static void test_mode_switch_disarms(void)
{
    fresh_r(1);
    wr(APIC_LVT_TIMER, ONESHOT);
    wr(APIC_TMICT, 100);
    wr(APIC_LVT_TIMER, ONESHOT | APIC_LVT_MASKED);    /* same mode: keeps going */
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 200);
    wr(APIC_LVT_TIMER, ONESHOT | 0x11);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 200);
    CHECK_EQ(fk.timer_changes, 1);
    wr(APIC_LVT_TIMER, PERIODIC);               /* mode change disarms */
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(count(), 0);
    CHECK_EQ(rd(APIC_TMICT), 100);
    CHECK_EQ(fk.timer_changes, 2);
    wr(APIC_TMICT, 100);
    wr(APIC_LVT_TIMER, DEADLINE);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, T0 + 10), VLAPIC_OK);
    wr(APIC_LVT_TIMER, ONESHOT);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    fk.tsc = T0 + 20;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    /* Reserved mode 11b in xAPIC keeps the mode, and the timer. */
    wr(APIC_TMICT, 100);
    wr(APIC_LVT_TIMER, VEC | 0x60000);
    CHECK_EQ(rd(APIC_LVT_TIMER), ONESHOT);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 20 + 200);
}

/* The guest may set its TSC anywhere (WRMSR IA32_TSC).  The count modes
 * count bus clocks whatever the TSC's value, so a count that spans the
 * wrap of the 64-bit TSC takes exactly as long as any other. */
static void test_oneshot_across_wrap(void)
{
    const uint64_t start = UINT64_MAX - 499;   /* 500 before the wrap */

    fresh_r(1);
    fk.tsc = start;
    wr(APIC_TDCR, 0xb);                         /* divide by 1 */
    wr(APIC_LVT_TIMER, ONESHOT);
    wr(APIC_TMICT, 1000);
    CHECK(vlapic_timer_armed(&vl));
    CHECK_EQ(vlapic_timer_deadline(&vl), 500);  /* start + 1000, wrapped */
    CHECK_EQ(count(), 1000);
    fk.tsc = UINT64_MAX;                        /* 499 ticks gone */
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    CHECK_EQ(count(), 501);
    fk.tsc = 0;                                 /* the TSC wrapped */
    CHECK(!vlapic_timer_due(&vl));
    CHECK_EQ(count(), 500);
    fk.tsc = 499;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    CHECK_EQ(count(), 1);
    fk.tsc = 500;
    CHECK(vlapic_timer_due(&vl));
    vlapic_timer_expire(&vl);
    CHECK(fired());
    CHECK_EQ(count(), 0);
}

/* A deadline that wraps to exactly 0 is a deadline, not "not armed". */
static void test_oneshot_deadline_zero(void)
{
    fresh_r(1);
    fk.tsc = (uint64_t)0 - 1000;
    wr(APIC_TDCR, 0xb);
    wr(APIC_LVT_TIMER, ONESHOT);
    wr(APIC_TMICT, 1000);
    CHECK(vlapic_timer_armed(&vl));
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    fk.tsc = UINT64_MAX;
    CHECK(!vlapic_timer_due(&vl));
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    CHECK_EQ(count(), 1);
    fk.tsc = 0;
    CHECK(vlapic_timer_due(&vl));
    vlapic_timer_expire(&vl);
    CHECK(fired());
    CHECK(!vlapic_timer_armed(&vl));
}

/* Periodic across the wrap: one interrupt per period, no drift. */
static void test_periodic_across_wrap(void)
{
    const uint64_t period = 300;
    uint64_t now = UINT64_MAX - 1000, next = now + period;
    unsigned n = 0;

    fresh_r(1);
    fk.tsc = now;
    wr(APIC_TDCR, 0xb);
    wr(APIC_LVT_TIMER, PERIODIC);
    wr(APIC_TMICT, (uint32_t)period);
    for (unsigned i = 0; i < 3000; i++) {
        fk.tsc = ++now;
        vlapic_timer_expire(&vl);
        bool f = fired();
        CHECK_EQ(f, now == next);
        if (f) {
            n++;
            next += period;
            CHECK_EQ(vlapic_timer_deadline(&vl), next);
        }
    }
    CHECK_EQ(n, 10);
}

/* TSC-deadline mode is an unsigned comparison with the TSC (11.5.4.1):
 * near the top of the TSC, a deadline that is numerically smaller is in
 * the past and fires at once; a larger one waits. */
static void test_tsc_deadline_near_wrap(void)
{
    fresh_r(1);
    fk.tsc = UINT64_MAX - 100;
    wr(APIC_LVT_TIMER, DEADLINE);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, 50), VLAPIC_OK);
    CHECK(fired());
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, UINT64_MAX - 40), VLAPIC_OK);
    CHECK(!fired());
    fk.tsc = UINT64_MAX - 41;
    CHECK(!vlapic_timer_due(&vl));
    fk.tsc = UINT64_MAX - 40;
    vlapic_timer_expire(&vl);
    CHECK(fired());
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, UINT64_MAX), VLAPIC_OK);
    fk.tsc = UINT64_MAX;
    vlapic_timer_expire(&vl);
    CHECK(fired());
}

/* A guest writing its TSC does not move a count that is under way: the
 * APIC timer counts bus clocks (ops->clock), not TSC values.  It does move
 * a TSC-deadline, which compares with the TSC itself. */
static void test_guest_tsc_write(void)
{
    fresh_r(1);
    wr(APIC_TDCR, 0xb);
    wr(APIC_LVT_TIMER, ONESHOT);
    wr(APIC_TMICT, 1000);
    fk.tsc += 400;
    CHECK_EQ(count(), 600);
    fake_guest_tsc_write((uint64_t)0 - 100000);    /* backwards */
    CHECK_EQ(count(), 600);
    CHECK(count() <= rd(APIC_TMICT));
    fake_guest_tsc_write(1ull << 40);              /* far forwards */
    CHECK_EQ(count(), 600);
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    fk.tsc += 600;
    vlapic_timer_expire(&vl);
    CHECK(fired());

    fresh_r(1);
    wr(APIC_LVT_TIMER, DEADLINE);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, T0 + 500), VLAPIC_OK);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 500);  /* clock = TSC so far */
    fake_guest_tsc_write((uint64_t)0 - 300);       /* TSC back by 300 */
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 800);  /* on the clock: later */
    fk.tsc += 500;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    fk.tsc += 300;
    CHECK(vlapic_timer_due(&vl));
    vlapic_timer_expire(&vl);
    CHECK(fired());
}

static void test_tsc_deadline(void)
{
    uint64_t v;

    fresh_r(1);
    wr(APIC_LVT_TIMER, DEADLINE);
    CHECK_EQ(vlapic_get_tsc_deadline(&vl, &v), VLAPIC_OK);
    CHECK_EQ(v, 0);
    wr(APIC_TMICT, 100);                        /* ignored in this mode */
    CHECK_EQ(rd(APIC_TMICT), 0);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, T0 + 500), VLAPIC_OK);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 500);
    CHECK_EQ(fk.timer_changes, 1);
    CHECK_EQ(vlapic_get_tsc_deadline(&vl, &v), VLAPIC_OK);
    CHECK_EQ(v, T0 + 500);
    CHECK_EQ(count(), 0);                       /* reads 0 in this mode */
    fk.tsc = T0 + 499;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    fk.tsc = T0 + 500;
    vlapic_timer_expire(&vl);
    CHECK(fired());
    CHECK_EQ(vlapic_get_tsc_deadline(&vl, &v), VLAPIC_OK);
    CHECK_EQ(v, 0);                             /* cleared when it fires */
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    vlapic_timer_expire(&vl);                   /* at most one interrupt */
    CHECK(!fired());
    /* In the past: fires at once. */
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, 1), VLAPIC_OK);
    CHECK(fired());
    CHECK_EQ(vlapic_get_tsc_deadline(&vl, &v), VLAPIC_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, fk.tsc), VLAPIC_OK);
    CHECK(fired());
    /* 0 disarms. */
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, fk.tsc + 100), VLAPIC_OK);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, 0), VLAPIC_OK);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    fk.tsc += 200;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    /* Re-arming moves the deadline. */
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, fk.tsc + 100), VLAPIC_OK);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, fk.tsc + 300), VLAPIC_OK);
    fk.tsc += 100;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    fk.tsc += 200;
    vlapic_timer_expire(&vl);
    CHECK(fired());
    /* Masked: disarms and clears, no interrupt. */
    wr(APIC_LVT_TIMER, DEADLINE | APIC_LVT_MASKED);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, fk.tsc + 1), VLAPIC_OK);
    fk.tsc += 1;
    vlapic_timer_expire(&vl);
    CHECK(!fired());
    CHECK_EQ(vlapic_get_tsc_deadline(&vl, &v), VLAPIC_OK);
    CHECK_EQ(v, 0);
}

static void test_tsc_deadline_other_modes(void)
{
    struct vlapic_config c = default_cfg();
    uint64_t v = 1;

    fresh_r(1);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, T0 + 10), VLAPIC_OK);   /* one-shot: ignored */
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(vlapic_get_tsc_deadline(&vl, &v), VLAPIC_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(fk.timer_changes, 0);
    wr(APIC_LVT_TIMER, PERIODIC);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, 5), VLAPIC_OK);
    CHECK(!fired());
    /* Globally disabled: ignored too. */
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, 5), VLAPIC_OK);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    /* Not offered by the virtual CPU: #GP. */
    c.tsc_deadline_allowed = false;
    setup_cfg(&c);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, 5), VLAPIC_GP);
    CHECK_EQ(vlapic_get_tsc_deadline(&vl, &v), VLAPIC_GP);
    /* x2APIC: deadline mode through the MSR interface. */
    fresh_r(1);
    go_x2apic();
    CHECK_EQ(vlapic_msr_write(&vl, 0x832, DEADLINE), VLAPIC_OK);
    CHECK_EQ(vlapic_set_tsc_deadline(&vl, fk.tsc + 7), VLAPIC_OK);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 7);
    CHECK_EQ(rdmsr(0x839), 0);
}

static void test_divide_change(void)
{
    fresh_r(1);
    wr(APIC_LVT_TIMER, ONESHOT);
    wr(APIC_TMICT, 1000);                       /* / 2 */
    fk.tsc = T0 + 400;
    CHECK_EQ(count(), 800);
    wr(APIC_TDCR, 0x2);                         /* / 8 */
    CHECK_EQ(count(), 800);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 400 + 800 * 8);
    fk.tsc += 8;
    CHECK_EQ(count(), 799);
    CHECK_EQ(fk.timer_changes, 2);
    /* Periodic: the next period is TMICT ticks at the new rate. */
    fresh_r(1);
    wr(APIC_TDCR, 0xb);
    wr(APIC_LVT_TIMER, PERIODIC);
    wr(APIC_TMICT, 100);
    fk.tsc = T0 + 30;
    wr(APIC_TDCR, 0x0);                         /* / 2 */
    CHECK_EQ(count(), 70);
    fk.tsc = T0 + 30 + 140;
    vlapic_timer_expire(&vl);
    CHECK(fired());
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 170 + 200);
    CHECK_EQ(count(), 100);
    /* Not running: just stored. */
    fresh_r(1);
    wr(APIC_TDCR, 0x3);
    CHECK_EQ(rd(APIC_TDCR), 3);
    CHECK_EQ(fk.timer_changes, 0);
}

static void test_timer_illegal_vector_and_x2apic(void)
{
    fresh_r(1);
    wr(APIC_LVT_TIMER, 0x07);
    wr(APIC_TMICT, 1);
    fk.tsc = T0 + 2;
    vlapic_timer_expire(&vl);
    CHECK_EQ(esr(), APIC_ESR_RECV_ILLEGAL_VECTOR);
    CHECK_EQ(rd(APIC_IRR), 0);
    /* x2APIC: the same timer through MSRs. */
    fresh_r(1);
    go_x2apic();
    sw_enable();
    CHECK_EQ(vlapic_msr_write(&vl, 0x83e, 0xb), VLAPIC_OK);
    CHECK_EQ(vlapic_msr_write(&vl, 0x832, PERIODIC), VLAPIC_OK);
    CHECK_EQ(vlapic_msr_write(&vl, 0x838, 50), VLAPIC_OK);
    fk.tsc = T0 + 20;
    CHECK_EQ(rdmsr(0x839), 30);
    CHECK_EQ(rdmsr(0x838), 50);
    fk.tsc = T0 + 50;
    vlapic_timer_expire(&vl);
    CHECK(fired());
    /* Leaving x2APIC (disable) stops the timer. */
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
}

static void test_tick_config(void)
{
    fresh_r(0);                                 /* 0 means 1 */
    wr(APIC_TDCR, 0xb);
    wr(APIC_TMICT, 10);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 10);
    fresh_r(1ull << 40);                        /* clamped to 2^20 */
    wr(APIC_TDCR, 0xa);                         /* / 128 */
    wr(APIC_TMICT, 0xffffffff);
    CHECK_EQ(vlapic_timer_deadline(&vl), T0 + 0xffffffffull * 128 * (1ull << 20));
    CHECK_EQ(count(), 0xffffffff);
}

int main(void)
{
    test_oneshot_divides();
    test_oneshot_sweep();
    test_periodic();
    test_periodic_no_drift();
    test_masked_expiry();
    test_stop_restart();
    test_catch_up();
    test_mode_switch_disarms();
    test_tsc_deadline();
    test_tsc_deadline_other_modes();
    test_divide_change();
    test_timer_illegal_vector_and_x2apic();
    test_tick_config();
    test_oneshot_across_wrap();
    test_oneshot_deadline_zero();
    test_periodic_across_wrap();
    test_tsc_deadline_near_wrap();
    test_guest_tsc_write();
    return check_report("test_vlapic_timer");
}
