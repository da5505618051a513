/* SPDX-License-Identifier: MIT */
/*
 * Disabling the local APIC through IA32_APIC_BASE.EN and enabling it again
 * (SDM vol. 3A 11.4.3, 11.12.5.1; APM vol. 2 16.3.1): CPUID.1:EDX.APIC
 * follows EN, disabled -> x2APIC directly is #GP, and the APIC comes back
 * in its power-up state with its initial APIC ID.
 *
 * Linked last: where the APIC cannot be enabled again (QEMU), vCPU 0 is
 * left without one, so nothing may run after this.
 */
#include <stdio.h>

#include "suite.h"

static bool cpuid_apic(void)
{
    return (rt_cpuid(1, 0).edx & CPUID_1_EDX_APIC) != 0;
}

/* Leaves non-reset values around for the re-enable to clear. */
static void dirty_apic(void)
{
    if (!suite.x2apic) {
        apic_write(APIC_ID, (rt_vcpu_apic_id(0) ^ 0x10u) << 24);   /* if writable */
        apic_write(APIC_LDR, 0x80000000u);
        apic_write(APIC_DFR, APIC_DFR_CLUSTER);
    }
    apic_write(APIC_TPR, 0x30);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED | 0x55);
    apic_write(APIC_TDCR, APIC_TDCR_DIV_16);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
    apic_write(APIC_TMICT, 0x7fffffffu);
}

/* SDM 11.4.7.1: the state after power-up or reset. */
static void expect_power_up_state(void)
{
    EXPECT_EQ(apic_id(), rt_vcpu_apic_id(0));
    EXPECT_EQ(apic_read(APIC_SVR), 0xffu);
    EXPECT_EQ(apic_read(APIC_TPR), 0);
    EXPECT_EQ(apic_read(APIC_LVT_TIMER), APIC_LVT_RESET_VALUE);
    EXPECT_EQ(apic_read(APIC_LVT_LINT0), APIC_LVT_RESET_VALUE);
    EXPECT_EQ(apic_read(APIC_LVT_ERROR), APIC_LVT_RESET_VALUE);
    EXPECT_EQ(apic_read(APIC_TMICT), 0);
    EXPECT_EQ(apic_read(APIC_TMCCT), 0);
    EXPECT_EQ(apic_read(APIC_TDCR), 0);
    EXPECT_EQ(apic_highest_vector(APIC_IRR), -1);
    EXPECT_EQ(apic_highest_vector(APIC_ISR), -1);
    if (!apic_x2apic_mode()) {
        EXPECT_EQ(apic_read(APIC_LDR), 0);
        EXPECT_EQ(apic_read(APIC_DFR), APIC_DFR_FLAT);
    }
}

APIC_TEST(apic_base_disable_reenable)
{
    uint64_t cur = rt_rdmsr(MSR_APIC_BASE);
    uint64_t off = cur & ~(APIC_BASE_EN | APIC_BASE_EXTD);
    bool has_x2apic = (rt_cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC) != 0;

    dirty_apic();
    /* x2APIC -> disabled and xAPIC -> disabled are both legal. */
    if (!EXPECT_EQ(apic_base_write_safe(off), RT_NO_FAULT))
        return;
    EXPECT_EQ(rt_rdmsr(MSR_APIC_BASE), off);
    EXPECT(!cpuid_apic());
    if (has_x2apic) {   /* disabled -> x2APIC directly */
        EXPECT_EQ(apic_base_write_safe(off | APIC_BASE_EN | APIC_BASE_EXTD), X86_GP);
        EXPECT_EQ(rt_rdmsr(MSR_APIC_BASE), off);
    }
    EXPECT_EQ(apic_base_write_safe(off | APIC_BASE_EN), RT_NO_FAULT);
    uint64_t now = rt_rdmsr(MSR_APIC_BASE);
    if (!rt_under_keel() && !(now & APIC_BASE_EN))
        SKIP(QEMU_DIFFERS("an APIC disabled through IA32_APIC_BASE cannot be enabled "
                          "again (SDM 11.4.3 allows it on system-bus APICs)"));
    EXPECT_EQ(now, off | APIC_BASE_EN);
    EXPECT(cpuid_apic());
    expect_power_up_state();
    if (suite.x2apic) {
        EXPECT_EQ(apic_enable_x2apic(), RT_NO_FAULT);
        EXPECT_EQ(rt_rdmsr(MSR_APIC_BASE), cur);
        expect_power_up_state();
    }
}
