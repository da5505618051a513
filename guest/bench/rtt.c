/* SPDX-License-Identifier: MIT */
/*
 * Cross-vCPU IPI round trips in one APIC mode (main runs xAPIC first, then
 * x2APIC where the CPU offers it): vCPU 0 sends a fixed IPI (PING) to vCPU 1, which waits in
 * STI;HLT; vCPU 1's handler sends its EOI and a fixed IPI (PONG) back to
 * vCPU 0, which waits spinning with interrupts on until it arrives.  One
 * round trip = PING sent to PONG handled.
 *
 * Meant to run without -icount (QEMU 7.2's -icount can live-lock two
 * vCPUs that wait on each other), so the time is wall clock: round trips
 * per second from TSC ticks and the TSC frequency (Keel's CPUID
 * 0x40000002, else measured against the PIT).  Under Keel the exits of
 * each vCPU per round trip come from KEEL_HC_EXIT_COUNT; the same guest
 * also runs on QEMU alone (no Keel: APs through INIT-SIPI, no exit
 * counts), the figure to compare with.
 *
 * Output:
 *   bench: rtt mode MODE roundtrips/s R exits/rtt vcpu0 A vcpu1 B iterations N
 * (without the exits part when not under Keel), plus " MISMATCH got G
 * want W" when vCPU 1 took more or fewer PINGs than were sent.
 */
#include <stdio.h>

#include "bench.h"
#include "hv/abi.h"
#include "lapic.h"
#include "rt.h"
#include "x86.h"

#define VEC_PING    0x61
#define VEC_PONG    0x62
#define VEC_SPUR    0xff
#define GIVE_UP_MS  1000u
#define PIC_MASTER_DATA 0x21    /* 8259 interrupt mask registers (OCW1) */
#define PIC_SLAVE_DATA  0xa1

static volatile bool rtt_stop;
static volatile bool rtt_ready;     /* vCPU 1 has set its APIC up */
static bool rtt_x2apic;
static uint32_t rtt_dest[2];        /* APIC IDs of vCPUs 0 and 1 */

static void ping_handler(unsigned vector)
{
    apic_eoi();
    apic_send_ipi(rtt_dest[0], VEC_PONG);
}

static void pong_handler(unsigned vector)
{
    apic_eoi();
}

static bool rtt_apic_setup(bool x2)
{
    apic_refresh();
    if (x2 && !apic_x2apic_mode() && apic_enable_x2apic() != RT_NO_FAULT)
        return false;
    apic_refresh();
    apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPUR);
    apic_write(APIC_TPR, 0);
    return apic_x2apic_mode() == x2;
}

static void rtt_receiver(unsigned vcpu)
{
    if (vcpu != 1)
        return;
    if (!rtt_apic_setup(rtt_x2apic))
        printf("bench: rtt: vCPU 1 cannot switch its APIC mode\n");
    __atomic_store_n(&rtt_ready, true, __ATOMIC_RELEASE);
    while (!rtt_stop)
        rt_irq_wait_halt(VEC_PING, rt_irq_count(1, VEC_PING) + 1, 1ull << 34);
}

static uint64_t exits_of(unsigned vcpu)
{
    return (uint64_t)rt_hypercall(KEEL_HC_EXIT_COUNT, vcpu, 0, 0);
}

static bool wait_pong(uint32_t want)
{
    uint64_t limit = rt_rdtsc() + rt_ms_to_tsc(GIVE_UP_MS);
    while (rt_irq_count(0, VEC_PONG) < want) {
        if (rt_rdtsc() > limit)
            return false;
        rt_pause();
    }
    return true;
}

static bool wait_ready(void)
{
    uint64_t limit = rt_rdtsc() + rt_ms_to_tsc(GIVE_UP_MS);
    while (!__atomic_load_n(&rtt_ready, __ATOMIC_ACQUIRE)) {
        if (rt_rdtsc() > limit)
            return false;
        rt_pause();
    }
    rt_delay_us(2000); /* let vCPU 1 reach its HLT */
    return true;
}

/* n round trips with interrupts on; returns the TSC ticks, 0 when a PONG
 * did not come back in time. */
static uint64_t round_trips(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++) {
        uint32_t want = rt_irq_count(0, VEC_PONG) + 1;
        apic_send_ipi(rtt_dest[1], VEC_PING);
        if (!wait_pong(want)) {
            printf("bench: rtt: round trip %llu of %llu did not come back within %u ms\n",
                   (unsigned long long)i + 1, (unsigned long long)n, GIVE_UP_MS);
            return 0;
        }
    }
    return rt_rdtsc() - t0;
}

static void print_x100(uint64_t total, uint64_t n)
{
    uint64_t x100 = total * 100 / n;
    printf("%llu.%02llu", (unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100));
}

static uint64_t net(uint64_t window, uint64_t overhead)
{
    return window > overhead ? window - overhead : 0;
}

static void rtt_mode(bool x2, uint64_t n)
{
    const char *mode = x2 ? "x2apic" : "xapic";
    rtt_x2apic = x2;
    rtt_stop = false;
    __atomic_store_n(&rtt_ready, false, __ATOMIC_RELEASE);
    uint32_t ticket = rt_start_aps_nowait(rtt_receiver);
    if (!rtt_apic_setup(x2) || !wait_ready()) {
        printf("bench: rtt %s: vCPU 0 or 1 could not set its APIC up\n", mode);
        rt_exit(1);
    }
    bool keel = rt_under_keel();
    uint64_t c0 = exits_of(0), d0 = exits_of(1), c1 = exits_of(0), d1 = exits_of(1);
    rt_irq_enable();
    round_trips(n < 10 ? n : 10); /* warm-up */
    uint32_t pings1 = rt_irq_count(1, VEC_PING);
    uint64_t s0 = exits_of(0), r0 = exits_of(1);
    uint64_t ticks = round_trips(n);
    uint64_t s1 = exits_of(0), r1 = exits_of(1);
    rt_irq_disable();
    rt_delay_us(1000); /* a late duplicate PING would land now */
    uint32_t got = rt_irq_count(1, VEC_PING) - pings1;
    rtt_stop = true;
    apic_send_ipi(rtt_dest[1], VEC_PING);
    rt_wait_aps(ticket);
    if (!ticks)
        rt_exit(1);
    printf("bench: rtt mode %s roundtrips/s %llu", mode,
           (unsigned long long)(n * rt_tsc_khz() * 1000ull / ticks));
    if (keel) {
        printf(" exits/rtt vcpu0 ");
        print_x100(net(s1 - s0, c1 - c0), n);
        printf(" vcpu1 ");
        print_x100(net(r1 - r0, d1 - d0), n);
    }
    printf(" iterations %llu", (unsigned long long)n);
    if (got != n)
        printf(" MISMATCH got %u want %llu", got, (unsigned long long)n);
    printf("\n");
}

void bench_rtt(uint64_t n, bool x2)
{
    /* Mask both 8259s: on QEMU alone SeaBIOS leaves the PIT's IRQ0 running
     * at vector 8, which would reach vCPU 0 (virtual wire) as soon as it
     * enables interrupts, and look like a #DF to the runtime. */
    rt_outb(PIC_MASTER_DATA, 0xff);
    rt_outb(PIC_SLAVE_DATA, 0xff);
    if (rt_vcpu_count() < 2 && !rt_under_keel()) {
        /* QEMU alone: the APs through INIT-SIPI, from an enabled APIC. */
        rtt_apic_setup(false);
        rt_start_aps_sipi(NULL);
    }
    if (rt_vcpu_count() < 2) {
        printf("bench: rtt skipped: needs 2 vCPUs\n");
        return;
    }
    bool sipi = !rt_under_keel();
    for (unsigned i = 0; i < 2; i++)
        rtt_dest[i] = sipi ? rt_vcpu_apic_id(i) : i; /* Keel: APIC ID = vCPU index */
    rt_irq_register(VEC_PING, ping_handler);
    rt_irq_register(VEC_PONG, pong_handler);
    rt_irq_register(VEC_SPUR, apic_spurious_handler);
    rtt_mode(x2, n);
}
