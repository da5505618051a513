/* SPDX-License-Identifier: MIT */
/*
 * CPUID as Keel filters it (the guest contract in docs/guest-runtime.md).
 */
#include "hv/abi.h"
#include "rt.h"
#include "x86.h"
#include "test.h"
#include "basic.h"

KEEL_TEST(cpuid_hypervisor_bit)
{
    EXPECT(rt_cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR);
}

KEEL_TEST(cpuid_keel_signature)
{
    REQUIRE_KEEL();
    struct rt_cpuid base = rt_cpuid(KEEL_CPUID_BASE, 0);
    EXPECT(base.eax >= KEEL_CPUID_INFO);
    EXPECT_EQ(base.ebx, KEEL_CPUID_SIG_EBX);
    EXPECT_EQ(base.ecx, KEEL_CPUID_SIG_ECX);
    EXPECT_EQ(base.edx, KEEL_CPUID_SIG_EDX);
}

KEEL_TEST(cpuid_keel_info)
{
    REQUIRE_KEEL();
    struct rt_cpuid info = rt_cpuid(KEEL_CPUID_INFO, 0);
    EXPECT_EQ(info.eax, KEEL_ABI_VERSION);
    EXPECT_EQ(info.ebx, 0);                 /* the tests run on vCPU 0 */
    EXPECT(info.ecx >= 1 && info.ecx <= RT_MAX_VCPUS);
    EXPECT_EQ(info.ecx, rt_vcpu_count());
    EXPECT_EQ(info.edx, rt_vm_index());
}

/* The bits Keel hides or sets; also run on every AP by smp.c.  The local
 * APIC is there (enabled after reset, so CPUID.1:EDX.APIC is set, SDM
 * 11.4.3) and x2APIC is offered with Keel's default configuration. */
void basic_check_hidden_cpuid(void)
{
    struct rt_cpuid l1 = rt_cpuid(1, 0);
    struct rt_cpuid ext = rt_cpuid(0x80000001, 0);
    bool apic_on = (rt_rdmsr(0x1b) & (1u << 11)) != 0;

    EXPECT_EQ(l1.ecx & CPUID_1_ECX_VMX, 0);
    EXPECT(l1.ecx & CPUID_1_ECX_X2APIC);
    /* XSAVE is offered when the host has it (guest/xsave tests it);
     * OSXSAVE reports CR4.OSXSAVE; AVX needs XSAVE. */
    EXPECT_EQ((l1.ecx & CPUID_1_ECX_OSXSAVE) != 0, (rt_read_cr4() & (1ull << 18)) != 0);
    if (!(l1.ecx & CPUID_1_ECX_XSAVE))
        EXPECT_EQ(l1.ecx & CPUID_1_ECX_AVX, 0);
    EXPECT(l1.ecx & CPUID_1_ECX_HYPERVISOR);
    EXPECT_EQ((l1.edx & CPUID_1_EDX_APIC) != 0, apic_on);
    EXPECT(l1.edx & CPUID_1_EDX_MTRR);      /* MTRRs are kept (docs/msrs.md) */
    EXPECT_EQ(ext.ecx & CPUID_80000001_ECX_SVM, 0);
    EXPECT_EQ(ext.edx & CPUID_80000001_EDX_RDTSCP, 0);
}

KEEL_TEST(cpuid_hidden_features)
{
    REQUIRE_KEEL();
    basic_check_hidden_cpuid();
}
