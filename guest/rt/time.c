/* SPDX-License-Identifier: MIT */
/*
 * The TSC frequency, for timeouts and delays: Keel's CPUID 0x40000002, or
 * a measurement against the 8254 PIT's channel 2 (gate and OUT through
 * port 0x61, as on every PC), or an assumed 4 GHz.
 */
#include "hv/abi.h"
#include "rt_internal.h"
#include "x86.h"

#define PIT_HZ              1193182u    /* 8254 input clock */
#define PIT_CH2_PORT        0x42
#define PIT_CMD_PORT        0x43
#define PIT_CMD_CH2         (2u << 6)   /* select counter 2 */
#define PIT_CMD_LOHI        (3u << 4)   /* low byte, then high byte */
#define PIT_CMD_MODE0       (0u << 1)   /* interrupt on terminal count */
#define PORT61              0x61        /* NMI status and control */
#define PORT61_GATE2        RT_BIT(0)   /* counter 2 gate */
#define PORT61_SPEAKER      RT_BIT(1)   /* speaker data enable */
#define PORT61_OUT2         RT_BIT(5)   /* counter 2 output (read-only) */

#define CAL_COUNT           11932u      /* 10 ms of PIT clock */
#define CAL_ROUNDS          3
#define CAL_GIVE_UP_TSC     (1ull << 34)
#define ASSUMED_TSC_KHZ     4000000u

/* Written once by vCPU 0; read-only afterwards (APs only read it after
 * vCPU 0 has, through the SMP handshake). */
static uint64_t rt_tsc_khz_value;
static bool rt_tsc_khz_measured;

/* TSC cycles for the PIT to count `count` clocks in mode 0, or 0 when the
 * PIT does not answer (OUT2 already high after programming, or never). */
static uint64_t pit_ch2_cycles(uint16_t count)
{
    uint8_t saved = rt_inb(PORT61);
    uint64_t t0, t1;

    rt_outb(PORT61, saved & (uint8_t)~(PORT61_GATE2 | PORT61_SPEAKER));
    rt_outb(PIT_CMD_PORT, PIT_CMD_CH2 | PIT_CMD_LOHI | PIT_CMD_MODE0);
    rt_outb(PIT_CH2_PORT, (uint8_t)count);
    rt_outb(PIT_CH2_PORT, (uint8_t)(count >> 8));
    if (rt_inb(PORT61) & PORT61_OUT2) {
        rt_outb(PORT61, saved);
        return 0;
    }
    t0 = rt_rdtsc();
    rt_outb(PORT61, (saved & (uint8_t)~PORT61_SPEAKER) | PORT61_GATE2);
    while (!(rt_inb(PORT61) & PORT61_OUT2))
        if (rt_rdtsc() - t0 > CAL_GIVE_UP_TSC) {
            rt_outb(PORT61, saved);
            return 0;
        }
    t1 = rt_rdtsc();
    rt_outb(PORT61, saved);
    return t1 - t0;
}

static uint64_t measure_tsc_khz(void)
{
    uint64_t c[CAL_ROUNDS];

    for (unsigned i = 0; i < CAL_ROUNDS; i++)
        if ((c[i] = pit_ch2_cycles(CAL_COUNT)) == 0)
            return 0;
    /* The median of three. */
    uint64_t lo = c[0] < c[1] ? c[0] : c[1], hi = c[0] < c[1] ? c[1] : c[0];
    uint64_t mid = c[2] < lo ? lo : c[2] > hi ? hi : c[2];
    return mid * PIT_HZ / CAL_COUNT / 1000;
}

uint64_t rt_tsc_khz(void)
{
    if (rt_tsc_khz_value)
        return rt_tsc_khz_value;
    uint64_t khz = 0;
    if (rt_under_keel())
        khz = rt_cpuid(KEEL_CPUID_TSC, 0).eax;
    if (khz == 0)
        khz = measure_tsc_khz();
    rt_tsc_khz_measured = khz != 0;
    rt_tsc_khz_value = khz ? khz : ASSUMED_TSC_KHZ;
    return rt_tsc_khz_value;
}

bool rt_tsc_measured(void)
{
    rt_tsc_khz();
    return rt_tsc_khz_measured;
}

uint64_t rt_us_to_tsc(uint64_t us)
{
    return us * rt_tsc_khz() / 1000;
}

uint64_t rt_ms_to_tsc(uint64_t ms)
{
    return ms * rt_tsc_khz();
}

void rt_delay_us(uint64_t us)
{
    uint64_t end = rt_rdtsc() + rt_us_to_tsc(us);

    while (rt_rdtsc() < end)
        rt_pause();
}
