/* SPDX-License-Identifier: MIT */
/*
 * MSR accesses Keel intercepts: unknown MSRs, EFER, PAT and the TSC.
 */
#include <stdio.h>

#include "rt.h"
#include "test.h"

/* Indices no CPU implements. */
static const uint32_t unknown_msrs[] = {0x0badc0de, 0x00002fff, 0xc0002fff};

/* Plain QEMU (TCG) reads unknown MSRs and the TSC MSR as 0 and accepts any
 * EFER.SVME and PAT value, so those checks need Keel. */
KEEL_TEST(msr_unknown_gp)
{
    REQUIRE_KEEL();
    for (unsigned i = 0; i < sizeof(unknown_msrs) / sizeof(unknown_msrs[0]); i++) {
        uint64_t v = 0x1234;
        EXPECT_EQ(rt_rdmsr_safe(unknown_msrs[i], &v), X86_GP);
        EXPECT_EQ(rt_last_fault()->error_code, 0);
        EXPECT_EQ(v, 0x1234);
        EXPECT_EQ(rt_wrmsr_safe(unknown_msrs[i], 0), X86_GP);
        EXPECT_EQ(rt_last_fault()->error_code, 0);
    }
}

/* AMD's legacy performance counters (PERF_CTL0-3, PERF_CTR0-3) exist on
 * every AMD CPU without a CPUID bit (APM 13.2.1): they never #GP. */
KEEL_TEST(msr_amd_legacy_perf_counters)
{
    REQUIRE_KEEL();
    struct rt_cpuid v0 = rt_cpuid(0, 0);
    if (v0.ebx != 0x68747541u) /* "Auth" */
        SKIP("not an AMD CPU");
    for (uint32_t msr = 0xc0010000u; msr < 0xc0010008u; msr++) {
        uint64_t v = 0;
        EXPECT_EQ(rt_wrmsr_safe(msr, 0x1234), RT_NO_FAULT);
        EXPECT_EQ(rt_rdmsr_safe(msr, &v), RT_NO_FAULT);
        EXPECT_EQ(v, 0x1234);
        rt_wrmsr_safe(msr, 0);
    }
}

KEEL_TEST(msr_efer)
{
    uint64_t efer = rt_rdmsr(MSR_EFER);

    EXPECT_EQ(efer & (EFER_LME | EFER_LMA), EFER_LME | EFER_LMA);
    EXPECT_EQ(rt_wrmsr_safe(MSR_EFER, efer), RT_NO_FAULT);
    EXPECT_EQ(rt_rdmsr(MSR_EFER), efer);
}

KEEL_TEST(msr_efer_svme_hidden)
{
    REQUIRE_KEEL();
    uint64_t efer = rt_rdmsr(MSR_EFER);

    EXPECT_EQ(efer & EFER_SVME, 0);
    if (!EXPECT_EQ(rt_wrmsr_safe(MSR_EFER, efer | EFER_SVME), X86_GP))
        rt_wrmsr(MSR_EFER, efer);
    EXPECT_EQ(rt_rdmsr(MSR_EFER), efer);
}

KEEL_TEST(msr_pat_default)
{
    EXPECT_EQ(rt_rdmsr(MSR_PAT), PAT_RESET_VALUE);
}

KEEL_TEST(msr_pat_roundtrip)
{
    /* Entry 1 WT -> WC: no page the runtime maps uses PAT entry 1. */
    const uint64_t wc = 0x0007040600070106ull;

    EXPECT_EQ(rt_wrmsr_safe(MSR_PAT, wc), RT_NO_FAULT);
    EXPECT_EQ(rt_rdmsr(MSR_PAT), wc);
    EXPECT_EQ(rt_wrmsr_safe(MSR_PAT, PAT_RESET_VALUE), RT_NO_FAULT);
    EXPECT_EQ(rt_rdmsr(MSR_PAT), PAT_RESET_VALUE);
}

KEEL_TEST(msr_pat_invalid_gp)
{
    REQUIRE_KEEL();
    /* Memory types 2, 3 and >= 8 are reserved, in any of the 8 entries. */
    static const uint64_t bad[] = {
        0x0007040600070206ull, 0x0007040600070306ull, 0x0007040600070408ull,
        0xff07040600070406ull, 0x0007040200070406ull,
    };

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        EXPECT_EQ(rt_wrmsr_safe(MSR_PAT, bad[i]), X86_GP);
        EXPECT_EQ(rt_rdmsr(MSR_PAT), PAT_RESET_VALUE);
        rt_wrmsr_safe(MSR_PAT, PAT_RESET_VALUE);
    }
}

KEEL_TEST(msr_tsc_increases)
{
    REQUIRE_KEEL();
    uint64_t a = rt_rdmsr(MSR_TSC);
    uint64_t b = rt_rdtsc();
    uint64_t c = rt_rdmsr(MSR_TSC);

    bool ok = EXPECT(a < c);
    /* RDTSC and the MSR show the same (offset) counter. */
    ok &= EXPECT(a <= b);
    ok &= EXPECT(b <= c);
    if (!ok)
        printf("  MSR %llu, RDTSC %llu, MSR %llu\n", (unsigned long long)a,
               (unsigned long long)b, (unsigned long long)c);
}
