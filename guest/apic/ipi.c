/* SPDX-License-Identifier: MIT */
/*
 * Inter-processor interrupts (SDM vol. 3A 11.6, 11.12.9-11.12.10; APM
 * vol. 2 16.5-16.6): every destination form, lowest priority, NMI, waking
 * a halted AP, and a physical destination shared by two APICs.
 */
#include <stdio.h>

#include "suite.h"

#define HALT_SETTLE_US      5000    /* for the AP to reach HLT */
#define WATCHDOG_MS         2000

/* Sends icr (fixed, vector VEC_IPI) and checks that exactly the CPUs in
 * `expect` (bit N = vCPU N) take it once. */
static void ipi_expect(uint64_t icr, uint64_t expect, const char *what)
{
    uint32_t before[RT_MAX_VCPUS];

    for (unsigned i = 0; i < suite.ncpus; i++)
        before[i] = suite_count(i, VEC_IPI);
    apic_icr_write(icr);
    for (unsigned i = 0; i < suite.ncpus; i++)
        if (expect & RT_BIT(i))
            suite_wait_count(i, VEC_IPI, before[i] + 1, WAIT_MS);
    /* Time for duplicates and strays to show up (vCPU 0 with IF = 1). */
    rt_irq_wait(VEC_IPI, UINT32_MAX, rt_ms_to_tsc(QUIET_MS));
    for (unsigned i = 0; i < suite.ncpus; i++) {
        uint32_t got = suite_count(i, VEC_IPI) - before[i];
        if (!EXPECT_EQ(got, (expect >> i) & 1))
            printf("  %s (ICR %#llx): vCPU %u took it %u times\n", what,
                   (unsigned long long)icr, i, got);
    }
}

static uint64_t all_cpus(void)
{
    return suite.ncpus >= 64 ? ~0ull : RT_BIT(suite.ncpus) - 1;
}

APIC_TEST(ipi_self_shorthand)
{
    uint32_t n = suite_count(0, VEC_IPI);

    apic_self_ipi(VEC_IPI);         /* interrupts off: it waits in the IRR */
    EXPECT_EQ(apic_vector_bit(APIC_IRR, VEC_IPI), 1);
    EXPECT(rt_irq_wait(VEC_IPI, n + 1, rt_ms_to_tsc(WAIT_MS)));
    EXPECT_EQ(apic_vector_bit(APIC_IRR, VEC_IPI), 0);
    ipi_expect(APIC_ICR_DEST_SELF | VEC_IPI, RT_BIT(0), "self shorthand");
}

APIC_TEST(ipi_self_ipi_msr)
{
    REQUIRE_X2APIC();
    uint32_t n = suite_count(0, VEC_IPI);

    /* Completion of the WRMSR means the vector is in the IRR (SDM 11.12.11). */
    rt_wrmsr(APIC_MSR(APIC_SELF_IPI), VEC_IPI);
    EXPECT_EQ(apic_vector_bit(APIC_IRR, VEC_IPI), 1);
    EXPECT(rt_irq_wait(VEC_IPI, n + 1, rt_ms_to_tsc(WAIT_MS)));
    rt_irq_wait(VEC_IPI, UINT32_MAX, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_IPI), n + 1);
}

APIC_TEST(ipi_physical_each_cpu)
{
    char what[48];

    for (unsigned t = 0; t < suite.ncpus; t++) {
        snprintf(what, sizeof(what), "physical to vCPU %u", t);
        ipi_expect(apic_icr_dest(suite.apic_id[t]) | VEC_IPI, RT_BIT(t), what);
    }
}

APIC_TEST(ipi_broadcast)
{
    uint32_t bcast = suite.x2apic ? APIC_X2APIC_BROADCAST : APIC_XAPIC_BROADCAST;

    ipi_expect(apic_icr_dest(bcast) | VEC_IPI, all_cpus(), "physical broadcast");
    ipi_expect(APIC_ICR_DEST_ALL | VEC_IPI, all_cpus(), "all including self");
    ipi_expect(APIC_ICR_DEST_ALL_BUT_SELF | VEC_IPI, all_cpus() & ~1ull, "all excluding self");
}

/* Logical xAPIC IDs: flat model bit N for vCPU N (< 8); cluster model
 * cluster 1 + (N & 1), member bit N >> 1 (N < 8). */
static void set_flat_ldr(unsigned vcpu)
{
    apic_write(APIC_DFR, APIC_DFR_FLAT);
    apic_write(APIC_LDR, vcpu < 8 ? (1u << vcpu) << 24 : 0);
}

static uint32_t cluster_id(unsigned vcpu)
{
    return ((1 + (vcpu & 1)) << 4) | (1u << (vcpu >> 1));
}

static void set_cluster_ldr(unsigned vcpu)
{
    apic_write(APIC_DFR, APIC_DFR_CLUSTER);
    apic_write(APIC_LDR, vcpu < 8 ? cluster_id(vcpu) << 24 : 0);
}

static uint64_t logical(uint32_t mda)
{
    return APIC_ICR_DEST_LOGICAL | ((uint64_t)mda << APIC_ICR_XAPIC_DEST_SHIFT) | VEC_IPI;
}

APIC_TEST(ipi_logical_flat)
{
    REQUIRE_XAPIC();
    unsigned n = suite.ncpus < 8 ? suite.ncpus : 8;
    char what[48];

    rt_run_on_all(set_flat_ldr);
    for (unsigned t = 0; t < n; t++) {
        snprintf(what, sizeof(what), "logical flat to vCPU %u", t);
        ipi_expect(logical(1u << t), RT_BIT(t), what);
    }
    ipi_expect(logical(0xaa), all_cpus() & 0xaa, "logical flat 0xaa");
    ipi_expect(logical(0xff), all_cpus() & 0xff, "logical flat 0xff");
}

APIC_TEST(ipi_logical_cluster)
{
    REQUIRE_XAPIC();
    unsigned n = suite.ncpus < 8 ? suite.ncpus : 8;
    char what[48];
    uint64_t c1 = 0, c2 = 0;

    rt_run_on_all(set_cluster_ldr);
    for (unsigned t = 0; t < n; t++) {
        snprintf(what, sizeof(what), "logical cluster to vCPU %u", t);
        ipi_expect(logical(cluster_id(t)), RT_BIT(t), what);
        if (t & 1)
            c2 |= RT_BIT(t);
        else
            c1 |= RT_BIT(t);
    }
    ipi_expect(logical(0x1f), c1, "logical cluster 1, all members");
    ipi_expect(logical(0x2f), c2, "logical cluster 2, all members");
    ipi_expect(logical(0x31), 0, "logical cluster 3 (empty)");
}

static uint32_t ldr_of[RT_MAX_VCPUS];

static void read_ldr(unsigned vcpu)
{
    ldr_of[vcpu] = apic_read(APIC_LDR);
}

APIC_TEST(ipi_x2apic_cluster)
{
    REQUIRE_X2APIC();
    char what[48];

    rt_run_on_all(read_ldr);
    for (unsigned t = 0; t < suite.ncpus; t++) {
        snprintf(what, sizeof(what), "x2APIC cluster to vCPU %u", t);
        ipi_expect(APIC_ICR_DEST_LOGICAL | apic_icr_dest(ldr_of[t]) | VEC_IPI, RT_BIT(t), what);
    }
    /* Every CPU of vCPU 0's cluster at once. */
    uint32_t cluster = ldr_of[0] & 0xffff0000u, members = 0;
    uint64_t expect = 0;
    for (unsigned t = 0; t < suite.ncpus; t++)
        if ((ldr_of[t] & 0xffff0000u) == cluster) {
            members |= ldr_of[t] & 0xffffu;
            expect |= RT_BIT(t);
        }
    ipi_expect(APIC_ICR_DEST_LOGICAL | apic_icr_dest(cluster | members) | VEC_IPI, expect,
               "x2APIC cluster, all members");
}

APIC_TEST(ipi_lowest_priority)
{
    uint32_t before[RT_MAX_VCPUS], mda, total = 0;

    if (suite.x2apic) {
        rt_run_on_all(read_ldr);
        mda = ldr_of[0] & 0xffff0000u;
        for (unsigned t = 0; t < suite.ncpus; t++)
            if ((ldr_of[t] & 0xffff0000u) == mda)
                mda |= ldr_of[t] & 0xffffu;
    } else {
        rt_run_on_all(set_flat_ldr);
        mda = (uint32_t)(all_cpus() & 0xff);
    }
    for (unsigned i = 0; i < suite.ncpus; i++)
        before[i] = suite_count(i, VEC_IPI);
    suite_esr();
    apic_icr_write(APIC_ICR_DEST_LOGICAL | APIC_ICR_DM_LOWEST | apic_icr_dest(mda) | VEC_IPI);
    uint64_t deadline = rt_rdtsc() + rt_ms_to_tsc(WAIT_MS);
    do {
        rt_irq_wait(VEC_IPI, before[0] + 1, rt_ms_to_tsc(1));
        total = 0;
        for (unsigned i = 0; i < suite.ncpus; i++)
            total += suite_count(i, VEC_IPI) - before[i];
    } while (total == 0 && rt_rdtsc() < deadline);
    rt_irq_wait(VEC_IPI, UINT32_MAX, rt_ms_to_tsc(QUIET_MS));
    total = 0;
    for (unsigned i = 0; i < suite.ncpus; i++)
        total += suite_count(i, VEC_IPI) - before[i];
    /* Some processors refuse to send it (ESR "redirectable IPI", SDM
     * 11.5.3); Keel's vCPUs send it. */
    if (!rt_under_keel() && total == 0 && (suite_esr() & APIC_ESR_REDIRECTABLE_IPI))
        SKIP("this processor does not send lowest-priority IPIs");
    if (!EXPECT_EQ(total, 1))
        printf("  lowest priority to MDA %#x: taken %u times in all\n", mda, total);
}

/* ----------------------------------------------------------------- NMI */

static uint32_t nmi_depth[RT_MAX_VCPUS], nmi_max_depth[RT_MAX_VCPUS];
static uint32_t nmi_send_again;     /* vCPU 0's handler sends one more NMI */

static void send_nmi(uint32_t apic_id_)
{
    apic_icr_write(apic_icr_dest(apic_id_) | APIC_ICR_DM_NMI | APIC_ICR_LEVEL_ASSERT);
}

static void nmi_handler(unsigned vector)
{
    unsigned me = rt_vcpu_index();
    uint32_t depth = ++nmi_depth[me];

    if (depth > nmi_max_depth[me])
        nmi_max_depth[me] = depth;
    if (me == 0 && __atomic_exchange_n(&nmi_send_again, 0, __ATOMIC_ACQ_REL)) {
        /* NMIs are blocked until IRET: this one must wait (SDM 6.7.1). */
        send_nmi(apic_id());
        rt_delay_us(2000);
    }
    nmi_depth[me]--;
}

APIC_TEST(ipi_nmi)
{
    uint32_t n0 = suite_count(0, X86_NMI);

    nmi_max_depth[0] = 0;
    rt_irq_register(X86_NMI, nmi_handler);
    send_nmi(apic_id());
    EXPECT(suite_wait_count(0, X86_NMI, n0 + 1, WAIT_MS));
    /* A second NMI sent from inside the handler arrives after the IRET. */
    __atomic_store_n(&nmi_send_again, 1, __ATOMIC_RELEASE);
    send_nmi(apic_id());
    EXPECT(suite_wait_count(0, X86_NMI, n0 + 3, WAIT_MS));
    rt_delay_us(QUIET_MS * 1000);
    EXPECT_EQ(suite_count(0, X86_NMI), n0 + 3);
    if (!EXPECT_EQ(nmi_max_depth[0], 1))
        printf("  NMI handler nested %u deep\n", nmi_max_depth[0]);
    for (unsigned t = 1; t < suite.ncpus; t++) {
        uint32_t n = suite_count(t, X86_NMI);
        send_nmi(suite.apic_id[t]);
        if (!EXPECT(suite_wait_count(t, X86_NMI, n + 1, WAIT_MS)))
            printf("  vCPU %u took no NMI\n", t);
    }
    rt_irq_register(X86_NMI, NULL);
}

/* ------------------------------------------------------------ HLT wake */

static struct {
    uint32_t ready, woke, by_ipi, watchdog;
} halted;

static void halt_for_ipi(unsigned vcpu)
{
    uint32_t ipi = suite_count(vcpu, VEC_IPI2), dog = suite_count(vcpu, VEC_WATCHDOG);

    suite_watchdog_start(WATCHDOG_MS);
    __atomic_store_n(&halted.ready, 1, __ATOMIC_RELEASE);
    bool got = rt_irq_wait_halt(VEC_IPI2, ipi + 1, rt_ms_to_tsc(WATCHDOG_MS));
    suite_watchdog_stop();
    halted.by_ipi = got;
    halted.watchdog = suite_count(vcpu, VEC_WATCHDOG) - dog;
    __atomic_store_n(&halted.woke, 1, __ATOMIC_RELEASE);
}

APIC_TEST(ipi_wakes_halted_ap)
{
    REQUIRE_CPUS(2);
    unsigned k = suite.ncpus - 1;

    halted.ready = halted.woke = 0;
    uint32_t ticket = suite_start_on(k, halt_for_ipi);
    if (!EXPECT(suite_wait_flag(&halted.ready, 1, WAIT_MS)))
        return;
    rt_delay_us(HALT_SETTLE_US);
    apic_send_ipi(suite.apic_id[k], VEC_IPI2);
    EXPECT(suite_wait_flag(&halted.woke, 1, WAIT_MS));
    suite_join(ticket);
    EXPECT_EQ(halted.by_ipi, 1);
    if (!EXPECT_EQ(halted.watchdog, 0))
        printf("  vCPU %u woke by its watchdog, not the IPI\n", k);
}

/* ---------------------------------------------------------- aliased IDs */

static uint32_t alias_new_id, alias_read_back;

static void write_own_id(unsigned vcpu)
{
    apic_write(APIC_ID, alias_new_id << 24);
    alias_read_back = apic_read(APIC_ID) >> 24;
}

APIC_TEST(ipi_aliased_xapic_ids)
{
    REQUIRE_XAPIC();
    REQUIRE_CPUS(2);
    unsigned a = suite.ncpus - 1, b = suite.ncpus > 2 ? 1 : 0;

    /* SDM 11.4.6: some processors let software change the xAPIC ID (AMD:
     * APIC_ID is read-write, APM 16.3.3). */
    alias_new_id = suite.apic_id[b];
    suite_run_on(a, write_own_id);
    bool stuck = alias_read_back == suite.apic_id[b];
    uint32_t na = suite_count(a, VEC_IPI), nb = suite_count(b, VEC_IPI);
    if (stuck) {
        apic_send_ipi(suite.apic_id[b], VEC_IPI);
        suite_wait_count(a, VEC_IPI, na + 1, WAIT_MS);
        suite_wait_count(b, VEC_IPI, nb + 1, WAIT_MS);
        rt_irq_wait(VEC_IPI, UINT32_MAX, rt_ms_to_tsc(QUIET_MS));
    }
    alias_new_id = suite.apic_id[a];
    suite_run_on(a, write_own_id);
    EXPECT_EQ(alias_read_back, suite.apic_id[a]);
    if (!stuck)
        SKIP("the xAPIC ID register is read-only on this CPU");
    uint32_t got_a = suite_count(a, VEC_IPI) - na, got_b = suite_count(b, VEC_IPI) - nb;
    /* Each local APIC accepts a physical-mode message addressed to its own
     * ID (SDM 11.6.2.1, APM 16.6.1). */
    if (!rt_under_keel() && got_a == 0 && got_b == 1)
        SKIP(QEMU_DIFFERS("a physical IPI reaches only the first APIC with a matching ID"));
    if (!EXPECT_EQ(got_a, 1) || !EXPECT_EQ(got_b, 1))
        printf("  IPI to shared ID %#x: vCPU %u took %u, vCPU %u took %u\n",
               suite.apic_id[b], a, got_a, b, got_b);
}
