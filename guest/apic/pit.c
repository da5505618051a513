/* SPDX-License-Identifier: MIT */
/*
 * The 8254 PIT (8254 datasheet; PC wiring): counter 2 with its gate and
 * output on port 0x61, as TSC calibration loops use it, and counter 0 as
 * the periodic IRQ 0 through the I/O APIC (GSI 2 on PCs, by the MADT's
 * interrupt source override).
 */
#include <stdio.h>

#include "chipset.h"
#include "suite.h"

#define PIT_MODE_TERMINAL_COUNT 0   /* mode 0: OUT high at terminal count */
#define PIT_MODE_RATE           2   /* mode 2: rate generator */
#define GATE_LOW_MS             10
#define GATE_TEST_COUNT         0x1000
#define OUT2_TIMEOUT_MS         200
#define RATE_COUNT              1193    /* ~1 ms */
#define RATE_TICKS              5
#define BIOS_CH0_COUNT          0       /* 65536: 18.2 Hz, as firmware leaves it */

static uint8_t port61_gate(bool on)
{
    uint8_t v = rt_inb(PORT61) & (uint8_t)~(PORT61_GATE2 | PORT61_SPEAKER);

    rt_outb(PORT61, v | (on ? PORT61_GATE2 : 0));
    return v;
}

/* TSC cycles from raising the gate to OUT2 going high, or 0. */
static uint64_t out2_cycles_once(uint16_t count)
{
    port61_gate(false);
    pit_program(2, PIT_MODE_TERMINAL_COUNT, count);
    uint64_t t0 = rt_rdtsc(), limit = rt_ms_to_tsc(OUT2_TIMEOUT_MS);
    port61_gate(true);
    while (!(rt_inb(PORT61) & PORT61_OUT2))
        if (rt_rdtsc() - t0 > limit)
            return 0;
    return rt_rdtsc() - t0;
}

/* Twice the count takes about twice as long: 1.2x to 3x. */
static bool calibration_ratio_ok(uint64_t t10, uint64_t t20)
{
    return t10 > 0 && t20 * 10 >= t10 * 12 && t20 * 10 <= t10 * 30;
}

/* 10 ms and 20 ms of counter 2, each the shortest of up to CAL_ROUNDS
 * interleaved tries: a vCPU descheduled by a busy host only ever makes a
 * try longer, so on a loaded machine more tries find the true values, and
 * the rounds stop as soon as the two agree.  A counter running at the
 * wrong rate never does. */
#define CAL_ROUNDS 8
static void out2_calibrate(uint64_t *t10, uint64_t *t20)
{
    *t10 = *t20 = 0;
    for (unsigned i = 0; i < CAL_ROUNDS; i++) {
        uint64_t a = out2_cycles_once(11932), b = out2_cycles_once(23864);
        if (a && (*t10 == 0 || a < *t10))
            *t10 = a;
        if (b && (*t20 == 0 || b < *t20))
            *t20 = b;
        if (i >= 2 && calibration_ratio_ok(*t10, *t20))
            break;
    }
}

APIC_TEST(pit_channel2_gate_holds_count)
{
    uint8_t saved = rt_inb(PORT61);

    /* Mode 0: OUT low once programmed; "GATE = 0 disables counting". */
    port61_gate(false);
    pit_program(2, PIT_MODE_TERMINAL_COUNT, GATE_TEST_COUNT);
    uint8_t out_programmed = rt_inb(PORT61) & PORT61_OUT2;
    rt_delay_us(GATE_LOW_MS * 1000);
    uint8_t out_gate_low = rt_inb(PORT61) & PORT61_OUT2;
    uint16_t count_gate_low = pit_read_count(2);
    port61_gate(true);
    uint64_t deadline = rt_rdtsc() + rt_ms_to_tsc(OUT2_TIMEOUT_MS);
    while (!(rt_inb(PORT61) & PORT61_OUT2) && rt_rdtsc() < deadline)
        rt_pause();
    uint8_t out_end = rt_inb(PORT61) & PORT61_OUT2;
    rt_outb(PORT61, saved);
    EXPECT_EQ(out_programmed, 0);
    if (!rt_under_keel() && out_gate_low)
        SKIP(QEMU_DIFFERS("counter 2 counts in mode 0 with GATE low (8254 datasheet, "
                          "mode 0: GATE = 0 disables counting)"));
    EXPECT_EQ(out_gate_low, 0);
    if (!EXPECT(count_gate_low >= GATE_TEST_COUNT - 1))
        printf("  counter 2 at %#x after %u ms with GATE low\n", count_gate_low, GATE_LOW_MS);
    EXPECT(out_end);
}

APIC_TEST(pit_channel2_calibration_loop)
{
    uint8_t saved = rt_inb(PORT61);

    /* Gate high: it counts down, and OUT goes high at the end. */
    port61_gate(false);
    pit_program(2, PIT_MODE_TERMINAL_COUNT, 0x8000);
    port61_gate(true);
    uint16_t c1 = pit_read_count(2);
    rt_delay_us(500);
    uint16_t c2 = pit_read_count(2);
    uint64_t deadline = rt_rdtsc() + rt_ms_to_tsc(OUT2_TIMEOUT_MS);
    while (!(rt_inb(PORT61) & PORT61_OUT2) && rt_rdtsc() < deadline)
        rt_pause();
    uint8_t out_end = rt_inb(PORT61) & PORT61_OUT2;
    /* The calibration loop: twice the count takes longer, about twice as
     * long (loosely: a vCPU that was not running when OUT rose sees it
     * late, by up to a host time slice). */
    uint64_t t10, t20;
    out2_calibrate(&t10, &t20);
    rt_outb(PORT61, saved);
    if (!EXPECT(c2 < c1 && c1 <= 0x8000))
        printf("  counter 2 read %#x then %#x\n", c1, c2);
    EXPECT(out_end);
    if (!EXPECT(calibration_ratio_ok(t10, t20)))
        printf("  10 ms of counter 2: %llu TSC cycles, 20 ms: %llu\n",
               (unsigned long long)t10, (unsigned long long)t20);
    if (!rt_under_keel())
        EXPECT(rt_tsc_measured());
}

APIC_TEST(pit_channel0_irq0_ioapic)
{
    unsigned pin = ioapic_isa_pin(0);
    uint32_t n = suite_count(0, VEC_PIT);

    ioapic_rte_write(pin, ((uint64_t)suite.apic_id[0] << IOAPIC_RTE_DEST_SHIFT) | VEC_PIT);
    uint64_t t0 = rt_rdtsc();
    pit_program(0, PIT_MODE_RATE, RATE_COUNT);
    bool got = rt_irq_wait(VEC_PIT, n + RATE_TICKS, rt_ms_to_tsc(WAIT_MS));
    uint64_t elapsed = rt_rdtsc() - t0;
    ioapic_rte_write(pin, IOAPIC_RTE_MASKED);
    pit_program(0, PIT_MODE_RATE, BIOS_CH0_COUNT);
    if (!EXPECT(got))
        printf("  %u IRQ 0 interrupts on I/O APIC pin %u in %u ms\n",
               suite_count(0, VEC_PIT) - n, pin, WAIT_MS);
    /* At most one period may have been under way: RATE_TICKS - 1 full ones. */
    if (got && !EXPECT(elapsed >= rt_us_to_tsc((RATE_TICKS - 1) * 1000 * 8 / 10)))
        printf("  %u periods of ~1 ms in %llu us\n", RATE_TICKS,
               (unsigned long long)(elapsed * 1000 / rt_tsc_khz()));
}
