/* SPDX-License-Identifier: MIT */
/*
 * Architectural AP start-up: INIT-SIPI-SIPI from vCPU 0's local APIC
 * (SDM vol. 3A 9.4.4.1 "Typical BSP Initialization Sequence", APM vol. 2
 * 15.27.8), through the real-mode trampoline of sipi.S.
 *
 * An AP finds its vCPU index in entry.S: rt_sipi_slot[initial APIC ID]
 * holds index + 1, and an AP arriving for the first time takes
 * rt_sipi_next_index.  Here the AP counts its arrival and, the first time,
 * marks the work published so far as seen (smp.c), then idles in
 * rt_ap_main like any AP.
 */
#include <stdio.h>
#include <string.h>

#include "lapic.h"
#include "rt_internal.h"
#include "x86.h"

#define SIPI_INIT_DELAY_US      10000   /* INIT -> first SIPI */
#define SIPI_SIPI_DELAY_US      200     /* first -> second SIPI */
#define SIPI_ARRIVAL_US         1000000 /* per AP, after the second SIPI */
#define SIPI_BROADCAST_US       200000  /* all APs, count unknown */

/* entry.S: written by each AP for its own initial APIC ID (and by vCPU 0
 * for its own, before any AP starts). */
uint8_t rt_sipi_slot[RT_SIPI_MAX_APIC_ID];
/* entry.S: the next free vCPU index (vCPU 0 is 0); atomic. */
uint32_t rt_sipi_next_index = 1;

extern char rt_sipi_tramp_start[], rt_sipi_tramp_end[];

/* rt_sipi_apic_ids[N]: vCPU N's initial APIC ID (written by vCPU N on its
 * first arrival, by vCPU 0 for itself). */
static uint32_t rt_sipi_apic_ids[RT_MAX_VCPUS];
/* Arrivals through the trampoline, all APs together (atomic). */
static uint32_t rt_sipi_total;
/* vCPU 0 only. */
static bool rt_sipi_started;

void rt_sipi_ap_arrived(uint32_t index)
{
    struct rt_percpu *pc = rt_percpu();

    if (!pc->sipi_seen) {
        rt_ap_skip_published_work();
        rt_sipi_apic_ids[index] = apic_cpuid_initial_id();
        pc->sipi_seen = true;
    }
    __atomic_add_fetch(&pc->sipi_entries, 1, __ATOMIC_RELEASE);
    __atomic_add_fetch(&rt_sipi_total, 1, __ATOMIC_RELEASE);
}

uint32_t rt_vcpu_apic_id(unsigned vcpu)
{
    return vcpu < RT_MAX_VCPUS ? rt_sipi_apic_ids[vcpu] : 0;
}

uint32_t rt_sipi_entries(unsigned vcpu)
{
    if (vcpu >= RT_MAX_VCPUS)
        return 0;
    return __atomic_load_n(&rt_percpu_area[vcpu].sipi_entries, __ATOMIC_ACQUIRE);
}

void rt_sipi_send_init(uint32_t apic_id)
{
    apic_icr_write(apic_icr_dest(apic_id) | APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT);
}

void rt_sipi_send_startup(uint32_t apic_id)
{
    apic_icr_write(apic_icr_dest(apic_id) | APIC_ICR_DM_STARTUP | RT_SIPI_VECTOR);
}

static bool wait_arrivals(uint32_t target, uint64_t us)
{
    uint64_t deadline = rt_rdtsc() + rt_us_to_tsc(us);

    while (__atomic_load_n(&rt_sipi_total, __ATOMIC_ACQUIRE) < target) {
        if (rt_rdtsc() >= deadline)
            return false;
        rt_pause();
    }
    return true;
}

/* INIT, 10 ms, SIPI, 200 us, SIPI to one AP; waits for its arrival. */
static void start_one(uint32_t apic_id)
{
    uint32_t before = __atomic_load_n(&rt_sipi_total, __ATOMIC_ACQUIRE);

    if (apic_id >= RT_SIPI_MAX_APIC_ID) {
        printf("vCPU 0: not starting APIC ID %u (above %u)\n", apic_id,
               RT_SIPI_MAX_APIC_ID - 1);
        return;
    }
    rt_sipi_send_init(apic_id);
    rt_delay_us(SIPI_INIT_DELAY_US);
    rt_sipi_send_startup(apic_id);
    rt_delay_us(SIPI_SIPI_DELAY_US);
    rt_sipi_send_startup(apic_id);
    if (!wait_arrivals(before + 1, SIPI_ARRIVAL_US))
        printf("vCPU 0: the CPU with APIC ID %u did not start\n", apic_id);
}

/* The same as a broadcast to all but self; waits for the APs Keel says
 * exist, or a fixed time when the number is unknown. */
static void start_broadcast(void)
{
    apic_icr_write(APIC_ICR_DEST_ALL_BUT_SELF | APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT);
    rt_delay_us(SIPI_INIT_DELAY_US);
    apic_icr_write(APIC_ICR_DEST_ALL_BUT_SELF | APIC_ICR_DM_STARTUP | RT_SIPI_VECTOR);
    rt_delay_us(SIPI_SIPI_DELAY_US);
    apic_icr_write(APIC_ICR_DEST_ALL_BUT_SELF | APIC_ICR_DM_STARTUP | RT_SIPI_VECTOR);
    if (rt_under_keel())
        wait_arrivals(rt_vcpu_count() - 1, SIPI_ARRIVAL_US);
    else
        rt_delay_us(SIPI_BROADCAST_US);
}

static void sipi_bring_up(void)
{
    const struct rt_madt *madt = rt_madt();
    uint32_t self = apic_cpuid_initial_id();

    rt_tsc_khz();   /* calibrate before any AP could want it */
    if (self < RT_SIPI_MAX_APIC_ID)
        rt_sipi_slot[self] = 1;
    rt_sipi_apic_ids[0] = self;
    memcpy((void *)(uintptr_t)RT_SIPI_TRAMPOLINE, rt_sipi_tramp_start,
           (size_t)(rt_sipi_tramp_end - rt_sipi_tramp_start));
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
    if (madt->found && madt->cpu_count > 0) {
        for (unsigned i = 0; i < madt->cpu_count; i++)
            if (madt->apic_ids[i] != self)
                start_one(madt->apic_ids[i]);
    } else {
        start_broadcast();
    }
    unsigned n = __atomic_load_n(&rt_sipi_next_index, __ATOMIC_ACQUIRE);
    if (n > RT_MAX_VCPUS)
        n = RT_MAX_VCPUS;
    /* An AP that took an index may still be on its way to rt_main.  Every
     * index counts as started: never KEEL_HC_VCPU_START in this mode (an AP
     * that got stuck shows up as "did not finish" in rt_start_aps). */
    wait_arrivals(n - 1, SIPI_ARRIVAL_US);
    for (unsigned i = 1; i < n; i++)
        rt_percpu_area[i].ap_started = true;
    if (rt_under_keel() && n != rt_vcpu_count())
        printf("vCPU 0: %u CPUs came up through INIT-SIPI, Keel says %u\n", n,
               rt_vcpu_count());
    rt_set_vcpu_count(n);
    rt_sipi_started = true;
}

unsigned rt_start_aps_sipi(void (*fn)(unsigned vcpu))
{
    if (rt_vcpu_index() != 0) {
        printf("vCPU %u: rt_start_aps_sipi is for vCPU 0 only\n", rt_vcpu_index());
        return 0;
    }
    if (!rt_sipi_started)
        sipi_bring_up();
    return rt_start_aps(fn);
}
