/* SPDX-License-Identifier: MIT */
/*
 * Interrupt priority (SDM vol. 3A 11.8.3; APM vol. 2 16.6.3-16.6.4): the
 * TPR holds back vectors whose class (bits 7:4) is not above it until it
 * drops; PPR follows the highest class in service; a higher class nests.
 */
#include <stdio.h>

#include "suite.h"

#define VEC_CLASS4  0x45
#define VEC_CLASS5  0x5f
#define VEC_CLASS6  0x65
#define VEC_CLASS8  0x85

static bool delivered(unsigned vector, uint32_t before)
{
    return suite_count(0, vector) > before;
}

APIC_TEST(tpr_holds_back_lower_classes)
{
    uint32_t n4 = suite_count(0, VEC_CLASS4), n5 = suite_count(0, VEC_CLASS5);
    uint32_t n6 = suite_count(0, VEC_CLASS6);

    apic_write(APIC_TPR, 0x50);
    apic_self_ipi(VEC_CLASS4);
    apic_self_ipi(VEC_CLASS5);
    apic_self_ipi(VEC_CLASS6);
    EXPECT(rt_irq_wait(VEC_CLASS6, n6 + 1, rt_ms_to_tsc(WAIT_MS)));
    rt_irq_wait(VEC_CLASS5, n5 + 1, rt_ms_to_tsc(QUIET_MS));
    /* Class 4 and 5 are not above TPR class 5: requested, not delivered. */
    EXPECT(!delivered(VEC_CLASS4, n4));
    EXPECT(!delivered(VEC_CLASS5, n5));
    EXPECT_EQ(apic_vector_bit(APIC_IRR, VEC_CLASS4), 1);
    EXPECT_EQ(apic_vector_bit(APIC_IRR, VEC_CLASS5), 1);

    apic_write(APIC_TPR, 0x4f);
    EXPECT(rt_irq_wait(VEC_CLASS5, n5 + 1, rt_ms_to_tsc(WAIT_MS)));
    rt_irq_wait(VEC_CLASS4, n4 + 1, rt_ms_to_tsc(QUIET_MS));
    EXPECT(!delivered(VEC_CLASS4, n4));

    rt_write_cr8(0);    /* through CR8 this time */
    EXPECT(rt_irq_wait(VEC_CLASS4, n4 + 1, rt_ms_to_tsc(WAIT_MS)));
    EXPECT_EQ(apic_highest_vector(APIC_IRR), -1);
}

static struct {
    uint32_t ppr_tpr_low, ppr_tpr_high, ppr_tpr_back;
    uint32_t nested_high, nested_low;
} in6;

/* Runs as vector 0x65 with TPR 0x20. */
static void class6_handler(unsigned vector)
{
    uint32_t n8 = suite_count(0, VEC_CLASS8), n5 = suite_count(0, VEC_CLASS5);

    in6.ppr_tpr_low = apic_read(APIC_PPR);      /* ISR class wins */
    apic_write(APIC_TPR, 0x7a);
    in6.ppr_tpr_high = apic_read(APIC_PPR);     /* TPR wins, all 8 bits */
    apic_write(APIC_TPR, 0x20);
    in6.ppr_tpr_back = apic_read(APIC_PPR);
    apic_self_ipi(VEC_CLASS5);
    apic_self_ipi(VEC_CLASS8);
    rt_irq_wait(VEC_CLASS8, n8 + 1, rt_ms_to_tsc(WAIT_MS));     /* nests */
    rt_irq_wait(VEC_CLASS5, n5 + 1, rt_ms_to_tsc(QUIET_MS));    /* must not */
    in6.nested_high = suite_count(0, VEC_CLASS8) - n8;
    in6.nested_low = suite_count(0, VEC_CLASS5) - n5;
    apic_eoi();
}

APIC_TEST(ppr_follows_isr)
{
    uint32_t n5 = suite_count(0, VEC_CLASS5), n6 = suite_count(0, VEC_CLASS6);

    in6 = (typeof(in6)){0};
    apic_write(APIC_TPR, 0x20);
    rt_irq_register(VEC_CLASS6, class6_handler);
    apic_self_ipi(VEC_CLASS6);
    EXPECT(rt_irq_wait(VEC_CLASS6, n6 + 1, rt_ms_to_tsc(WAIT_MS)));
    rt_irq_register(VEC_CLASS6, suite_eoi_handler);
    EXPECT_EQ(in6.ppr_tpr_low, 0x60);
    EXPECT_EQ(in6.ppr_tpr_high, 0x7a);
    EXPECT_EQ(in6.ppr_tpr_back, 0x60);
    if (!EXPECT_EQ(in6.nested_high, 1) || !EXPECT_EQ(in6.nested_low, 0))
        printf("  inside vector %#x: %u of %#x nested, %u of %#x\n", VEC_CLASS6,
               in6.nested_high, VEC_CLASS8, in6.nested_low, VEC_CLASS5);
    /* Once 0x65 was EOIed, 0x5f went through. */
    EXPECT(rt_irq_wait(VEC_CLASS5, n5 + 1, rt_ms_to_tsc(WAIT_MS)));
    EXPECT_EQ(apic_read(APIC_PPR), 0x20);
    apic_write(APIC_TPR, 0);
}
