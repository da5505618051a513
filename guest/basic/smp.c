/* SPDX-License-Identifier: MIT */
/*
 * Every vCPU runs: all APs start, see their own index in CPUID and the
 * same filtered CPUID as vCPU 0, and share memory coherently.
 */
#include <stdio.h>

#include "hv/abi.h"
#include "rt.h"
#include "test.h"
#include "basic.h"

#define LOCK_ROUNDS 20000

/* ran[N] = N + 1 once vCPU N ran. */
static uint32_t ran[RT_MAX_VCPUS];

static void check_vcpu(unsigned vcpu)
{
    __atomic_store_n(&ran[vcpu], vcpu + 1, __ATOMIC_RELEASE);
    EXPECT_EQ(rt_vcpu_index(), vcpu);
    if (rt_under_keel()) {
        struct rt_cpuid info = rt_cpuid(KEEL_CPUID_INFO, 0);
        EXPECT_EQ(info.eax, KEEL_ABI_VERSION);
        EXPECT_EQ(info.ebx, vcpu);
        EXPECT_EQ(info.ecx, rt_vcpu_count());
        EXPECT_EQ(info.edx, rt_vm_index());
        basic_check_hidden_cpuid();
    }
    EXPECT_EQ(rt_rdmsr(MSR_EFER) & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
}

KEEL_TEST(smp_every_vcpu_runs)
{
    unsigned n = rt_vcpu_count();

    EXPECT_EQ(rt_run_on_all(check_vcpu), n);
    for (unsigned i = 0; i < n; i++)
        if (!EXPECT_EQ(__atomic_load_n(&ran[i], __ATOMIC_ACQUIRE), i + 1))
            printf("  vCPU %u did not run\n", i);
}

/* Protected by counter_lock. */
static struct rt_lock counter_lock;
static uint64_t counter;

static void count_under_lock(unsigned vcpu)
{
    for (unsigned i = 0; i < LOCK_ROUNDS; i++) {
        rt_lock(&counter_lock);
        counter++;
        rt_unlock(&counter_lock);
    }
}

KEEL_TEST(smp_lock_and_redispatch)
{
    /* The APs are running already: this reuses them. */
    counter = 0;
    EXPECT_EQ(rt_run_on_all(count_under_lock), rt_vcpu_count());
    EXPECT_EQ(counter, (uint64_t)LOCK_ROUNDS * rt_vcpu_count());
}
