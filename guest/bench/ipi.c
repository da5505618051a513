/* SPDX-License-Identifier: MIT */
/*
 * IPI benchmarks in one APIC mode (main runs xAPIC first: the switch to
 * x2APIC is one-way):
 *  - with 2+ vCPUs: vCPU 0 sends fixed IPIs to vCPU 1, which waits halted;
 *    the exits each side takes per IPI come from Keel's own counters
 *    (KEEL_HC_EXIT_COUNT), so they are exact with or without -icount, and
 *    on any platform (Bochs too);
 *  - with 1 vCPU (meant for -icount): self-IPIs by physical destination,
 *    taken with interrupts on; TSC ticks per IPI = instructions per IPI
 *    delivered (send, exit, injection, handler, EOI and back).
 * Reading the counters is itself a hypercall, a VM exit: the exits the
 * reads add to a measured window are counted once in an empty window
 * (the same reads, no IPI) and taken off, so the exits per IPI are the
 * IPIs' own whatever the number of iterations (tools/keel bench runs few
 * under Bochs, many under QEMU).
 */
#include <stdio.h>

#include "bench.h"
#include "hv/abi.h"
#include "lapic.h"
#include "rt.h"
#include "x86.h"

#define VEC_BENCH 0x60
#define WAIT_TSC  (1ull << 34)
/* How long vCPU 1 may take to set its APIC up, and an IPI to arrive, before
 * the benchmark gives up with a message and status 1 (a lost IPI is a bug
 * of Keel's; better a clear end than a run that hangs until its timeout). */
#define GIVE_UP_MS 1000u

static volatile uint32_t stop_gen;
static volatile bool ap_ready; /* vCPU 1 has set its APIC up */

static void bench_handler(unsigned vector)
{
    apic_eoi();
}

/* This vCPU's APIC: software-enabled, in the mode asked for. */
static int apic_setup(bool x2apic)
{
    apic_refresh();
    if (x2apic && !apic_x2apic_mode()) {
        int r = apic_enable_x2apic();
        if (r != RT_NO_FAULT) {
            printf("bench: vCPU %u: IA32_APIC_BASE %#llx: switching to x2APIC failed (%d)\n",
                   rt_vcpu_index(), (unsigned long long)apic_base(), r);
            return -1;
        }
    }
    apic_refresh();
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    return 0;
}

static uint64_t exits_of(unsigned vcpu)
{
    return (uint64_t)rt_hypercall(KEEL_HC_EXIT_COUNT, vcpu, 0, 0);
}

/* Exits counted in a window minus the counting's own (never below 0). */
static uint64_t net_exits(uint64_t window, uint64_t overhead)
{
    return window > overhead ? window - overhead : 0;
}

/* Waits until VCPU has taken WANT interrupts of VEC_BENCH; false when none
 * came for GIVE_UP_MS. */
static bool wait_delivered(unsigned vcpu, uint32_t want)
{
    if (rt_irq_count(vcpu, VEC_BENCH) >= want)
        return true;
    uint64_t limit = rt_rdtsc() + rt_ms_to_tsc(GIVE_UP_MS);
    while (rt_irq_count(vcpu, VEC_BENCH) < want) {
        if (rt_rdtsc() > limit)
            return false;
        rt_pause();
    }
    return true;
}

static void lost_ipi(const char *mode, unsigned vcpu, uint64_t i, uint64_t n)
{
    printf("bench: ipi %s: IPI %llu of %llu did not reach vCPU %u within %u ms\n", mode,
           (unsigned long long)i + 1, (unsigned long long)n, vcpu, GIVE_UP_MS);
    rt_exit(1);
}

/* vCPU 1: set the APIC up, say so, then take IPIs halted until vCPU 0
 * moves stop_gen on. */
static bool ap_x2apic;
static void receiver(unsigned vcpu)
{
    if (vcpu != 1)
        return;
    uint32_t gen = stop_gen;
    apic_setup(ap_x2apic);
    __atomic_store_n(&ap_ready, true, __ATOMIC_RELEASE);
    while (stop_gen == gen)
        rt_irq_wait_halt(VEC_BENCH, rt_irq_count(1, VEC_BENCH) + 1, WAIT_TSC);
}

static void print_x100(const char *what, const char *mode, uint64_t total, uint64_t n)
{
    uint64_t x100 = total * 100 / n;
    printf("bench: ipi %s %s %llu.%02llu\n", mode, what, (unsigned long long)(x100 / 100),
           (unsigned long long)(x100 % 100));
}

static void ipi_pair(bool x2apic, uint64_t n)
{
    const char *mode = x2apic ? "x2apic" : "xapic";
    ap_x2apic = x2apic;
    __atomic_store_n(&ap_ready, false, __ATOMIC_RELAXED);
    uint32_t ticket = rt_start_aps_nowait(receiver);
    if (apic_setup(x2apic)) {
        printf("bench: ipi %s: cannot switch the APIC mode\n", mode);
        rt_exit(1);
    }
    /* The receiver sets its APIC up first: an IPI sent before can be lost
     * (its APIC is still software-disabled).  How long that takes varies
     * (Bochs: more than 2 ms of TSC time), so it says when it is done. */
    uint64_t limit = rt_rdtsc() + rt_ms_to_tsc(GIVE_UP_MS);
    while (!__atomic_load_n(&ap_ready, __ATOMIC_ACQUIRE)) {
        if (rt_rdtsc() > limit) {
            printf("bench: ipi %s: vCPU 1 did not set its APIC up within %u ms\n", mode,
                   GIVE_UP_MS);
            rt_exit(1);
        }
        rt_pause();
    }
    uint32_t dest = 1; /* Keel: initial APIC ID = vCPU index */
    uint64_t settle = rt_rdtsc() + rt_ms_to_tsc(2); /* the receiver halts */
    while (rt_rdtsc() < settle)
        rt_pause();
    /* The empty window: the reads below with no IPI in between. */
    uint64_t cs0 = exits_of(0), cr0 = exits_of(1);
    uint64_t cs1 = exits_of(0), cr1 = exits_of(1);
    uint64_t s0 = exits_of(0), r0 = exits_of(1);
    for (uint64_t i = 0; i < n; i++) {
        uint32_t want = rt_irq_count(1, VEC_BENCH) + 1;
        apic_send_ipi(dest, VEC_BENCH);
        if (!wait_delivered(1, want))
            lost_ipi(mode, 1, i, n);
    }
    uint64_t s1 = exits_of(0), r1 = exits_of(1);
    stop_gen++;
    apic_send_ipi(dest, VEC_BENCH);
    rt_wait_aps(ticket);
    print_x100("sender exits/ipi", mode, net_exits(s1 - s0, cs1 - cs0), n);
    print_x100("receiver exits/ipi", mode, net_exits(r1 - r0, cr1 - cr0), n);
}

static void ipi_self(bool x2apic, uint64_t n, uint64_t tsc_khz)
{
    const char *mode = x2apic ? "x2apic" : "xapic";
    if (apic_setup(x2apic)) {
        printf("bench: ipi %s: cannot switch the APIC mode\n", mode);
        return;
    }
    uint32_t me = apic_id();
    uint64_t c0 = exits_of(0), c1 = exits_of(0); /* the empty window */
    uint64_t e0 = exits_of(0);
    __asm__ volatile("sti" ::: "memory");
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++) {
        uint32_t want = rt_irq_count(0, VEC_BENCH) + 1;
        apic_send_ipi(me, VEC_BENCH);
        /* No give-up check here: this loop is the instructions-per-IPI
         * figure, kept as it was (a self-IPI lands before the next
         * instruction anyway; the run's --timeout bounds a hang). */
        while (rt_irq_count(0, VEC_BENCH) < want)
            rt_pause();
    }
    uint64_t ticks = rt_rdtsc() - t0;
    __asm__ volatile("cli" ::: "memory");
    uint64_t e1 = exits_of(0);
    print_x100("self exits/ipi", mode, net_exits(e1 - e0, c1 - c0), n);
    print_x100("self instructions/ipi", mode, ticks * 1000000ull / tsc_khz, n);
}

void bench_ipi(uint64_t n, uint64_t tsc_khz, bool x2)
{
    rt_irq_register(VEC_BENCH, bench_handler);
    rt_irq_register(0xff, apic_spurious_handler);
    if (rt_vcpu_count() >= 2)
        ipi_pair(x2, n);
    else
        ipi_self(x2, n, tsc_khz);
}
