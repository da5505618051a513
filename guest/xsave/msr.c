/* SPDX-License-Identifier: MIT */
/*
 * The MSRs of docs/msrs.md, from inside: each one a CPU of the offered
 * model (the host's vendor) has behaves as the table says, and the ones
 * whose CPUID feature is hidden #GP(0).
 */
#include <stdio.h>

#include "rt.h"
#include "test.h"
#include "x86.h"

#define VENDOR_INTEL 0x756e6547u  /* "Genu" */

static bool is_intel(void)
{
    return rt_cpuid(0, 0).ebx == VENDOR_INTEL;
}

static void expect_gp_rw(uint32_t msr)
{
    uint64_t v = 0;
    if (!EXPECT_EQ(rt_rdmsr_safe(msr, &v), X86_GP))
        printf("  rdmsr %#x did not #GP\n", msr);
    if (!EXPECT_EQ(rt_wrmsr_safe(msr, 0), X86_GP))
        printf("  wrmsr %#x did not #GP\n", msr);
}

static uint64_t rd(uint32_t msr)
{
    uint64_t v = 0xdead;
    if (!EXPECT_EQ(rt_rdmsr_safe(msr, &v), RT_NO_FAULT))
        printf("  rdmsr %#x faulted\n", msr);
    return v;
}

/* MTRRs (SDM vol. 3A 12.11): 8 variable ranges, fixed ranges, WC; Keel
 * leaves them as firmware would (enabled, default WB). */
KEEL_TEST(msr_mtrr)
{
    REQUIRE_KEEL();
    EXPECT(rt_cpuid(1, 0).edx & (1u << 12));
    EXPECT_EQ(rd(0xfe), 0x508);
    EXPECT_EQ(rt_wrmsr_safe(0xfe, 0x508), X86_GP);
    uint64_t def = rd(0x2ff);
    EXPECT_EQ(def, 0x806);
    EXPECT_EQ(rt_wrmsr_safe(0x2ff, 0xc06), RT_NO_FAULT);
    EXPECT_EQ(rd(0x2ff), 0xc06);
    EXPECT_EQ(rt_wrmsr_safe(0x2ff, 0x802), X86_GP);       /* type 2 is reserved */
    EXPECT_EQ(rt_wrmsr_safe(0x2ff, 0x1806), X86_GP);      /* bit 12 reserved */
    EXPECT_EQ(rt_wrmsr_safe(0x2ff, def), RT_NO_FAULT);
    EXPECT_EQ(rt_wrmsr_safe(0x20e, 0x80000000ull | 1), RT_NO_FAULT);   /* PHYSBASE7 */
    EXPECT_EQ(rd(0x20e), 0x80000001ull);
    EXPECT_EQ(rt_wrmsr_safe(0x20f, 0x400), X86_GP);       /* PHYSMASK7 bits 10:0 */
    EXPECT_EQ(rt_wrmsr_safe(0x20e, 0), RT_NO_FAULT);
    uint64_t v;
    EXPECT_EQ(rt_rdmsr_safe(0x210, &v), X86_GP);          /* no 9th range */
    EXPECT_EQ(rt_wrmsr_safe(0x250, 0x0606060606060606ull), RT_NO_FAULT);
    EXPECT_EQ(rd(0x250), 0x0606060606060606ull);
    EXPECT_EQ(rt_wrmsr_safe(0x26f, 0x0303), X86_GP);      /* type 3 */
    EXPECT_EQ(rt_rdmsr_safe(0x25a, &v), X86_GP);          /* not a fixed MTRR */
}

/* Microcode signature: Intel IA32_BIOS_SIGN_ID, AMD PATCH_LEVEL, same
 * index; revision 1. */
KEEL_TEST(msr_microcode_revision)
{
    REQUIRE_KEEL();
    EXPECT_EQ(rd(0x8b) >> 32, 1);
    if (is_intel()) {
        EXPECT_EQ(rt_wrmsr_safe(0x8b, 0), RT_NO_FAULT);
        EXPECT_EQ(rd(0x8b) >> 32, 1);
    } else {
        EXPECT_EQ(rt_wrmsr_safe(0x8b, 0), X86_GP);        /* read-only */
    }
}

KEEL_TEST(msr_intel_model)
{
    REQUIRE_KEEL();
    if (!is_intel()) {
        expect_gp_rw(0x17);      /* IA32_PLATFORM_ID */
        expect_gp_rw(0x3a);      /* IA32_FEATURE_CONTROL */
        expect_gp_rw(0x1a0);     /* IA32_MISC_ENABLE */
        return;
    }
    EXPECT_EQ(rd(0x17), 0);
    EXPECT_EQ(rt_wrmsr_safe(0x17, 0), X86_GP);
    EXPECT_EQ(rd(0x3a), 1);      /* locked, VMX not enabled */
    EXPECT_EQ(rt_wrmsr_safe(0x3a, 5), X86_GP);
    EXPECT(rd(0x1a0) & 1);       /* fast strings */
    EXPECT_EQ(rt_wrmsr_safe(0x79, 0), RT_NO_FAULT);
}

KEEL_TEST(msr_amd_model)
{
    REQUIRE_KEEL();
    if (is_intel()) {
        expect_gp_rw(0xc0010015u);
        expect_gp_rw(0xc001001fu);
        return;
    }
    EXPECT_EQ(rd(0xc0010015u), 1ull << 24);               /* HWCR.TscFreqSel */
    EXPECT_EQ(rt_wrmsr_safe(0xc0010015u, 1ull << 24), RT_NO_FAULT);
    EXPECT_EQ(rd(0xc001001fu), 0);                        /* NB_CFG */
    EXPECT_EQ(rt_wrmsr_safe(0xc001001fu, 1ull << 46), RT_NO_FAULT);
    EXPECT_EQ(rd(0xc0010010u), 0);                        /* SYSCFG */
    uint64_t top = rd(0xc001001au);
    EXPECT(top > 0 && top <= (1ull << 32));
    EXPECT_EQ(rd(0xc0011029u) & 2, 2);                    /* DE_CFG: LFENCE serializing */
    bool osvw = rt_cpuid(0x80000001u, 0).ecx & (1u << 9);
    uint64_t v;
    EXPECT_EQ(rt_rdmsr_safe(0xc0010140u, &v), osvw ? RT_NO_FAULT : X86_GP);
}

static void do_rdpmc0(void *arg)
{
    uint32_t lo, hi;
    __asm__ volatile("rdpmc" : "=a"(lo), "=d"(hi) : "c"(0));
}

/* MSRs whose CPUID bit Keel hides #GP, as on a CPU without the feature. */
KEEL_TEST(msr_gp_follows_cpuid)
{
    REQUIRE_KEEL();
    struct rt_cpuid l7 = rt_cpuid(7, 0), x1 = rt_cpuid(0x80000001u, 0);
    struct rt_cpuid x8 = rt_cpuid(0x80000008u, 0), la = rt_cpuid(0xa, 0);
    bool ibrs = (l7.edx & (1u << 26)) || (x8.ebx & (1u << 14));
    bool ibpb = (l7.edx & (1u << 26)) || (x8.ebx & (1u << 12));
    uint64_t v;
    EXPECT_EQ(rt_rdmsr_safe(0x48, &v), ibrs ? RT_NO_FAULT : X86_GP);        /* SPEC_CTRL */
    EXPECT_EQ(rt_wrmsr_safe(0x49, 1), ibpb ? RT_NO_FAULT : X86_GP);         /* PRED_CMD */
    EXPECT_EQ(rt_rdmsr_safe(0x10a, &v), (l7.edx & (1u << 29)) ? RT_NO_FAULT : X86_GP);
    bool tsc_aux = (x1.edx & (1u << 27)) || (l7.ecx & (1u << 22));          /* RDTSCP, RDPID */
    EXPECT_EQ(rt_rdmsr_safe(0xc0000103u, &v), tsc_aux ? RT_NO_FAULT : X86_GP);
    EXPECT_EQ(rd(0x1d9), 0);                                                /* DEBUGCTL */
    EXPECT_EQ(rt_wrmsr_safe(0x1d9, 0), RT_NO_FAULT);
    if (is_intel()) {
        /* Architectural PMU version 0 (CPUID.0AH): no counters, RDPMC #GP. */
        EXPECT_EQ(la.eax & 0xff, 0);
        expect_gp_rw(0xc1);      /* IA32_PMC0 */
        expect_gp_rw(0x186);     /* IA32_PERFEVTSEL0 */
        expect_gp_rw(0x38f);     /* IA32_PERF_GLOBAL_CTRL */
        EXPECT_EQ(rt_try(do_rdpmc0, NULL), X86_GP);
    } else {
        EXPECT_EQ(rt_try(do_rdpmc0, NULL), RT_NO_FAULT);  /* legacy PERF_CTR0 */
    }
}
