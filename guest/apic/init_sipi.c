/* SPDX-License-Identifier: MIT */
/*
 * INIT and start-up IPIs (SDM vol. 3A 9.4.4, 11.6.1; APM vol. 2 16.5):
 * every CPU came up through INIT-SIPI-SIPI with its own APIC ID; an AP
 * that got INIT stops and waits for a SIPI; a SIPI to a CPU that is not
 * waiting for one is ignored; INIT resets the local APIC but keeps its ID
 * and mode (SDM 11.12.5.1).
 */
#include <stdio.h>

#include "hv/abi.h"
#include "suite.h"

#define INIT_SETTLE_US      10000
#define SIPI_ARRIVAL_MS     1000
#define SIPI_IGNORED_MS     50

APIC_TEST(sipi_all_cpus_up)
{
    const struct rt_madt *madt = rt_madt();

    if (rt_under_keel())
        EXPECT_EQ(suite.ncpus, rt_cpuid(KEEL_CPUID_INFO, 0).ecx);
    else if (madt->found)
        EXPECT_EQ(suite.ncpus, madt->cpu_count);
    for (unsigned i = 0; i < suite.ncpus; i++) {
        if (i > 0 && !EXPECT_EQ(rt_sipi_entries(i), 1))
            printf("  vCPU %u came through the trampoline %u times\n", i, rt_sipi_entries(i));
        if (!EXPECT_EQ(suite.apic_id[i], rt_vcpu_apic_id(i)))
            printf("  vCPU %u: APIC ID register %#x, CPUID initial APIC ID %#x\n", i,
                   suite.apic_id[i], rt_vcpu_apic_id(i));
        for (unsigned j = 0; j < i; j++)
            if (!EXPECT(suite.apic_id[i] != suite.apic_id[j]))
                printf("  vCPUs %u and %u share APIC ID %#x\n", j, i, suite.apic_id[i]);
    }
}

/* The AP under test counts here until INIT stops it (or, should INIT not
 * work, until beat_stop is set). */
static uint32_t heartbeat, beat_stop;
static unsigned init_target;

static void beat(unsigned vcpu)
{
    if (vcpu != init_target)
        return;
    while (!__atomic_load_n(&beat_stop, __ATOMIC_ACQUIRE)) {
        __atomic_add_fetch(&heartbeat, 1, __ATOMIC_RELEASE);
        rt_pause();
    }
}

/* What INIT left in the AP's local APIC. */
static struct {
    uint64_t base;
    uint32_t id, svr, lvt_timer, lvt_lint0, tpr, initial_count;
} after_init;

static void read_after_init(unsigned vcpu)
{
    apic_refresh();
    after_init.base = apic_base();
    after_init.id = apic_id();
    after_init.svr = apic_read(APIC_SVR);
    after_init.lvt_timer = apic_read(APIC_LVT_TIMER);
    after_init.lvt_lint0 = apic_read(APIC_LVT_LINT0);
    after_init.tpr = apic_read(APIC_TPR);
    after_init.initial_count = apic_read(APIC_TMICT);
}

/* Leaves some state in the AP's APIC for INIT to reset. */
static void dirty_apic(unsigned vcpu)
{
    apic_write(APIC_TPR, 0x20);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED | 0x33);
}

static void check_apic_after_init(unsigned k, uint64_t base_before)
{
    suite_run_on(k, read_after_init);
    EXPECT_EQ(after_init.base, base_before);       /* mode and address kept */
    EXPECT_EQ(after_init.id, suite.apic_id[k]);
    EXPECT_EQ(after_init.svr, 0xffu);              /* software-disabled */
    EXPECT_EQ(after_init.lvt_timer, APIC_LVT_RESET_VALUE);
    EXPECT_EQ(after_init.lvt_lint0, APIC_LVT_RESET_VALUE);
    EXPECT_EQ(after_init.tpr, 0);
    EXPECT_EQ(after_init.initial_count, 0);
}

static uint64_t base_of_target;

static void read_base(unsigned vcpu)
{
    apic_refresh();
    base_of_target = apic_base();
}

APIC_TEST(init_waits_for_sipi)
{
    REQUIRE_CPUS(2);
    unsigned k = suite.ncpus - 1;
    uint32_t id = suite.apic_id[k], entries = rt_sipi_entries(k);

    suite_run_on(k, read_base);
    suite_run_on(k, dirty_apic);
    init_target = k;
    __atomic_store_n(&heartbeat, 0, __ATOMIC_RELEASE);
    __atomic_store_n(&beat_stop, 0, __ATOMIC_RELEASE);
    uint32_t ticket = suite_start_on(k, beat);  /* joined only if INIT fails */
    if (!EXPECT(suite_wait_flag(&heartbeat, 1, WAIT_MS)))
        return;

    rt_sipi_send_init(id);
    rt_delay_us(INIT_SETTLE_US);
    uint32_t h1 = __atomic_load_n(&heartbeat, __ATOMIC_ACQUIRE);
    rt_delay_us(INIT_SETTLE_US);
    if (!EXPECT_EQ(__atomic_load_n(&heartbeat, __ATOMIC_ACQUIRE), h1)) {
        printf("  vCPU %u kept running after INIT\n", k);
        __atomic_store_n(&beat_stop, 1, __ATOMIC_RELEASE);
        suite_join(ticket);
        return;
    }
    EXPECT_EQ(rt_sipi_entries(k), entries);     /* waits for SIPI */

    rt_sipi_send_startup(id);
    uint64_t deadline = rt_rdtsc() + rt_ms_to_tsc(SIPI_ARRIVAL_MS);
    while (rt_sipi_entries(k) == entries && rt_rdtsc() < deadline)
        rt_pause();
    if (!EXPECT_EQ(rt_sipi_entries(k), entries + 1))
        return;

    /* Running again: a second SIPI must not restart it. */
    rt_sipi_send_startup(id);
    rt_delay_us(SIPI_IGNORED_MS * 1000);
    EXPECT_EQ(rt_sipi_entries(k), entries + 1);
    EXPECT_EQ(__atomic_load_n(&heartbeat, __ATOMIC_ACQUIRE), h1);
    check_apic_after_init(k, base_of_target);
}
