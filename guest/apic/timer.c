/* SPDX-License-Identifier: MIT */
/*
 * The local APIC timer (SDM vol. 3A 11.5.4; APM vol. 2 16.4.4): one-shot,
 * periodic, a masked LVT entry, the divide configuration, and TSC-deadline
 * mode (SDM 11.5.4.1).
 */
#include <stdio.h>

#include "suite.h"

#define DEADLINE_MS         20  /* far enough to read the MSR back first */

static uint32_t ticks_for_ms(unsigned ms)
{
    uint64_t t = suite_apic_ticks_per_ms() * ms;

    return t == 0 ? 1000000u : t > 0xffffffffu ? 0xffffffffu : (uint32_t)t;
}

static void timer_stop(void)
{
    apic_write(APIC_TMICT, 0);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
}

APIC_TEST(timer_one_shot)
{
    /* Long enough that two reads land before expiry even when the emulator
     * deschedules this vCPU for a few milliseconds (4 vCPUs, 2 host cores). */
    uint32_t n = suite_count(0, VEC_TIMER), initial = ticks_for_ms(50);

    if (!EXPECT(suite_apic_ticks_per_ms() > 0))
        printf("  the timer did not count during calibration\n");
    apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
    apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
    apic_write(APIC_TMICT, initial);
    uint32_t c1 = apic_read(APIC_TMCCT), c2 = apic_read(APIC_TMCCT);
    if (!EXPECT(c1 <= initial && c2 < c1))
        printf("  initial %u, current count %u then %u\n", initial, c1, c2);
    EXPECT(rt_irq_wait(VEC_TIMER, n + 1, rt_ms_to_tsc(WAIT_MS)));
    EXPECT_EQ(apic_read(APIC_TMCCT), 0);
    EXPECT_EQ(apic_read(APIC_TMICT), initial);      /* kept */
    rt_irq_wait(VEC_TIMER, n + 2, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_TIMER), n + 1);    /* once */
    timer_stop();
}

/* A TMICT write while a count is under way restarts it from the new
 * initial count (SDM 11.5.4): the current count is reloaded, whatever it
 * was.  TMCCT is not a register the CPU can virtualize: under APICv the
 * read must come from the timer model. */
APIC_TEST(timer_one_shot_rearm)
{
    uint32_t first = ticks_for_ms(50), second = ticks_for_ms(100);

    apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
    apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | APIC_LVT_MASKED | VEC_TIMER);
    apic_write(APIC_TMICT, first);
    uint32_t c1 = apic_read(APIC_TMCCT);
    apic_write(APIC_TMICT, second);
    uint32_t c2 = apic_read(APIC_TMCCT);
    if (!EXPECT(c1 > 0 && c1 <= first && c2 > first && c2 <= second))
        printf("  armed %u: read %u; re-armed %u: read %u\n", first, c1, second, c2);
    EXPECT_EQ(apic_read(APIC_TMICT), second);
    timer_stop();
}

APIC_TEST(timer_periodic)
{
    uint32_t n = suite_count(0, VEC_TIMER), initial = ticks_for_ms(1);

    apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
    apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_PERIODIC | VEC_TIMER);
    apic_write(APIC_TMICT, initial);
    if (!EXPECT(rt_irq_wait(VEC_TIMER, n + 3, rt_ms_to_tsc(WAIT_MS))))
        printf("  %u periods in %u ms\n", suite_count(0, VEC_TIMER) - n, WAIT_MS);
    uint32_t cur = apic_read(APIC_TMCCT);
    if (!EXPECT(cur > 0 && cur <= initial))     /* reloaded */
        printf("  current count %u after a period of %u\n", cur, initial);
    apic_write(APIC_TMICT, 0);                  /* stops it */
    /* A period that ended before the stop may still be requested. */
    rt_irq_wait(VEC_TIMER, UINT32_MAX, rt_ms_to_tsc(1));
    uint32_t stopped = suite_count(0, VEC_TIMER);
    rt_irq_wait(VEC_TIMER, stopped + 1, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_TIMER), stopped);
    EXPECT_EQ(apic_read(APIC_TMCCT), 0);
    timer_stop();
}

APIC_TEST(timer_masked)
{
    uint32_t n = suite_count(0, VEC_TIMER), initial = ticks_for_ms(1);

    apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
    apic_write(APIC_TMICT, initial);
    rt_irq_wait(VEC_TIMER, n + 1, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_TIMER), n);
    EXPECT_EQ(apic_read(APIC_TMCCT), 0);        /* it still counted */
    /* The mask inhibits the interrupt; nothing is left pending. */
    apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_TIMER);
    rt_irq_wait(VEC_TIMER, n + 1, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_TIMER), n);
    timer_stop();
}

APIC_TEST(timer_divide)
{
    static const uint32_t tdcr[8] = {
        APIC_TDCR_DIV_1, APIC_TDCR_DIV_2, APIC_TDCR_DIV_4, APIC_TDCR_DIV_8,
        APIC_TDCR_DIV_16, APIC_TDCR_DIV_32, APIC_TDCR_DIV_64, APIC_TDCR_DIV_128};
    uint64_t base = suite_timer_ticks_per_ms(APIC_TDCR_DIV_1);

    if (!EXPECT(base >= 128 * 64))
        return;
    for (unsigned i = 1; i < 8; i++) {
        uint64_t rate = suite_timer_ticks_per_ms(tdcr[i]);
        /* Within 20% of base / 2^i: an emulator's clocks wobble. */
        if (!EXPECT((rate << i) * 10 >= base * 8 && (rate << i) * 10 <= base * 12))
            printf("  divide by %u: %llu ticks/ms, divide by 1: %llu\n", 1u << i,
                   (unsigned long long)rate, (unsigned long long)base);
    }
    apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
}

static uint64_t fired_tsc;

static void deadline_handler(unsigned vector)
{
    fired_tsc = rt_rdtsc();
    apic_eoi();
}

APIC_TEST(timer_tsc_deadline)
{
    if (!(rt_cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE))
        SKIP("TSC-deadline mode absent (CPUID.1:ECX[24] = 0)");
    uint32_t n = suite_count(0, VEC_TIMER);

    rt_irq_register(VEC_TIMER, deadline_handler);
    apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | VEC_TIMER);
    EXPECT_EQ(rt_rdmsr(MSR_TSC_DEADLINE), 0);
    /* Fires at or after the deadline, then reads 0 (disarmed). */
    uint64_t deadline = rt_rdtsc() + rt_ms_to_tsc(DEADLINE_MS);
    rt_wrmsr(MSR_TSC_DEADLINE, deadline);
    EXPECT_EQ(rt_rdmsr(MSR_TSC_DEADLINE), deadline);
    if (EXPECT(rt_irq_wait(VEC_TIMER, n + 1, rt_ms_to_tsc(WAIT_MS))))
        EXPECT(fired_tsc >= deadline);
    EXPECT_EQ(rt_rdmsr(MSR_TSC_DEADLINE), 0);
    /* Writing 0 disarms. */
    rt_wrmsr(MSR_TSC_DEADLINE, rt_rdtsc() + rt_ms_to_tsc(5));
    rt_wrmsr(MSR_TSC_DEADLINE, 0);
    rt_irq_wait(VEC_TIMER, n + 2, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_TIMER), n + 1);
    /* A deadline in the past fires at once. */
    rt_wrmsr(MSR_TSC_DEADLINE, 1);
    EXPECT(rt_irq_wait(VEC_TIMER, n + 2, rt_ms_to_tsc(WAIT_MS)));
    /* The count registers are out of play. */
    apic_write(APIC_TMICT, 12345);
    EXPECT_EQ(apic_read(APIC_TMCCT), 0);
    rt_irq_wait(VEC_TIMER, n + 3, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_TIMER), n + 2);
    rt_wrmsr(MSR_TSC_DEADLINE, 0);
    rt_irq_register(VEC_TIMER, suite_eoi_handler);
    timer_stop();
}
