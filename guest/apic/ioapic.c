/* SPDX-License-Identifier: MIT */
/*
 * The I/O APIC (Intel 82093AA datasheet; SDM vol. 3A 11.8.4-11.8.5 for the
 * EOI it receives), driven through pc-testdev's interrupt lines: register
 * layout, edge and level delivery, Remote IRR until the local APIC's EOI,
 * redelivery of a level still asserted, masked entries, another CPU as the
 * destination.
 */
#include <stdio.h>

#include "chipset.h"
#include "suite.h"

static uint64_t rte_to(uint32_t apic_id_, uint64_t flags)
{
    return ((uint64_t)apic_id_ << IOAPIC_RTE_DEST_SHIFT) | flags | VEC_IOAPIC;
}

APIC_TEST(ioapic_registers)
{
    uint32_t ver = ioapic_read(IOAPIC_REG_VER), id = ioapic_read(IOAPIC_REG_ID);
    unsigned pin = ioapic_isa_pin(LINE_IOAPIC_LEVEL);

    /* 11H: 82093AA; 20H: the ICH/PCH I/O APIC (with an EOI register). */
    if (!EXPECT(IOAPIC_VER_VERSION(ver) >= 0x11 && IOAPIC_VER_VERSION(ver) <= 0x20) ||
        !EXPECT(IOAPIC_VER_MAX_RTE(ver) >= 15)) {
        printf("  I/O APIC version register %#x\n", ver);
        return;
    }
    ioapic_write(IOAPIC_REG_ID, 0x0au << 24);
    EXPECT_EQ(ioapic_read(IOAPIC_REG_ID) & IOAPIC_ID_MASK, 0x0au << 24);
    ioapic_write(IOAPIC_REG_ID, id);

    static const uint64_t patterns[] = {
        IOAPIC_RTE_MASKED | 0x5a,
        IOAPIC_RTE_MASKED | IOAPIC_RTE_DM_LOWEST | IOAPIC_RTE_DEST_LOGICAL | 0xa5 |
            (0xa5ull << IOAPIC_RTE_DEST_SHIFT),
        IOAPIC_RTE_MASKED | IOAPIC_RTE_POLARITY_LOW | IOAPIC_RTE_LEVEL | 0x33 |
            (0x5aull << IOAPIC_RTE_DEST_SHIFT),
        IOAPIC_RTE_MASKED | IOAPIC_RTE_DM_NMI,
    };
    for (unsigned i = 0; i < sizeof(patterns) / sizeof(patterns[0]); i++) {
        ioapic_rte_write(pin, patterns[i]);
        uint64_t got = ioapic_rte_read(pin);
        if (!EXPECT_EQ(got, patterns[i]))
            printf("  pin %u: wrote %#llx, read %#llx\n", pin,
                   (unsigned long long)patterns[i], (unsigned long long)got);
    }
    /* Delivery status and Remote IRR are read-only. */
    ioapic_rte_write(pin, IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | IOAPIC_RTE_DELIVERY_STATUS |
                              IOAPIC_RTE_REMOTE_IRR | 0x5a);
    EXPECT_EQ(ioapic_rte_read(pin), IOAPIC_RTE_MASKED | IOAPIC_RTE_LEVEL | 0x5a);
    ioapic_rte_write(pin, IOAPIC_RTE_MASKED);
}

APIC_TEST(ioapic_edge)
{
    unsigned pin = ioapic_isa_pin(LINE_IOAPIC_EDGE);
    uint32_t n = suite_count(0, VEC_IOAPIC);

    ioapic_rte_write(pin, rte_to(suite.apic_id[0], IOAPIC_RTE_DM_FIXED));
    for (unsigned round = 1; round <= 2; round++) {
        rt_testdev_set_irq(LINE_IOAPIC_EDGE, 1);
        if (!EXPECT(rt_irq_wait(VEC_IOAPIC, n + round, rt_ms_to_tsc(WAIT_MS))))
            printf("  no interrupt for edge %u on pin %u\n", round, pin);
        EXPECT_EQ(ioapic_rte_read(pin) & IOAPIC_RTE_REMOTE_IRR, 0);
        rt_testdev_set_irq(LINE_IOAPIC_EDGE, 0);
    }
    rt_irq_wait(VEC_IOAPIC, UINT32_MAX, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_IOAPIC), n + 2);
    EXPECT_EQ(apic_vector_bit(APIC_TMR, VEC_IOAPIC), 0);
    ioapic_rte_write(pin, IOAPIC_RTE_MASKED);
}

/* The level test's handler leaves the EOI to the test. */
static uint32_t level_tmr, level_isr;

static void level_handler(unsigned vector)
{
    level_tmr = apic_vector_bit(APIC_TMR, vector);
    level_isr = apic_vector_bit(APIC_ISR, vector);
}

static bool remote_irr(unsigned pin)
{
    return (ioapic_rte_read(pin) & IOAPIC_RTE_REMOTE_IRR) != 0;
}

APIC_TEST(ioapic_level_remote_irr)
{
    unsigned pin = ioapic_isa_pin(LINE_IOAPIC_LEVEL);
    uint32_t n = suite_count(0, VEC_IOAPIC);

    rt_irq_register(VEC_IOAPIC, level_handler);
    ioapic_rte_write(pin, rte_to(suite.apic_id[0], IOAPIC_RTE_LEVEL));
    rt_testdev_set_irq(LINE_IOAPIC_LEVEL, 1);
    if (!EXPECT(rt_irq_wait(VEC_IOAPIC, n + 1, rt_ms_to_tsc(WAIT_MS))))
        goto out;
    /* Accepted, not yet EOIed: Remote IRR set, TMR marks level. */
    EXPECT(remote_irr(pin));
    EXPECT_EQ(level_tmr, 1);
    EXPECT_EQ(level_isr, 1);
    rt_irq_wait(VEC_IOAPIC, n + 2, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_IOAPIC), n + 1);
    rt_testdev_set_irq(LINE_IOAPIC_LEVEL, 0);
    EXPECT(remote_irr(pin));            /* only the EOI clears it */
    apic_eoi();                         /* broadcast to the I/O APIC */
    EXPECT(!remote_irr(pin));
    EXPECT_EQ(apic_vector_bit(APIC_ISR, VEC_IOAPIC), 0);

    /* EOI while still asserted: delivered again. */
    rt_testdev_set_irq(LINE_IOAPIC_LEVEL, 1);
    EXPECT(rt_irq_wait(VEC_IOAPIC, n + 2, rt_ms_to_tsc(WAIT_MS)));
    apic_eoi();
    if (!EXPECT(rt_irq_wait(VEC_IOAPIC, n + 3, rt_ms_to_tsc(WAIT_MS))))
        printf("  no redelivery after EOI with the line still high\n");
    rt_testdev_set_irq(LINE_IOAPIC_LEVEL, 0);
    apic_eoi();
    EXPECT(!remote_irr(pin));
    rt_irq_wait(VEC_IOAPIC, UINT32_MAX, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_IOAPIC), n + 3);
out:
    rt_testdev_set_irq(LINE_IOAPIC_LEVEL, 0);
    ioapic_rte_write(pin, IOAPIC_RTE_MASKED);
    while (apic_vector_bit(APIC_ISR, VEC_IOAPIC))
        apic_eoi();
    rt_irq_register(VEC_IOAPIC, suite_eoi_handler);
}

APIC_TEST(ioapic_masked_entry)
{
    unsigned pin = ioapic_isa_pin(LINE_IOAPIC_MASKED);
    uint32_t n = suite_count(0, VEC_IOAPIC);

    /* Level, masked: asserting does nothing (82093AA 3.2.4, bit 16). */
    ioapic_rte_write(pin, rte_to(suite.apic_id[0], IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED));
    rt_testdev_set_irq(LINE_IOAPIC_MASKED, 1);
    rt_irq_wait(VEC_IOAPIC, n + 1, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_IOAPIC), n);
    EXPECT(!remote_irr(pin));
    rt_testdev_set_irq(LINE_IOAPIC_MASKED, 0);
    /* Edge, masked: the edge is ignored, not held for the unmask. */
    ioapic_rte_write(pin, rte_to(suite.apic_id[0], IOAPIC_RTE_MASKED));
    rt_testdev_set_irq(LINE_IOAPIC_MASKED, 1);
    rt_testdev_set_irq(LINE_IOAPIC_MASKED, 0);
    ioapic_rte_write(pin, rte_to(suite.apic_id[0], 0));
    rt_irq_wait(VEC_IOAPIC, n + 1, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, VEC_IOAPIC), n);
    /* Unmasked, it works. */
    rt_testdev_set_irq(LINE_IOAPIC_MASKED, 1);
    EXPECT(rt_irq_wait(VEC_IOAPIC, n + 1, rt_ms_to_tsc(WAIT_MS)));
    rt_testdev_set_irq(LINE_IOAPIC_MASKED, 0);
    ioapic_rte_write(pin, IOAPIC_RTE_MASKED);
}

APIC_TEST(ioapic_to_another_cpu)
{
    REQUIRE_CPUS(2);
    unsigned k = suite.ncpus - 1, pin = ioapic_isa_pin(LINE_IOAPIC_EDGE);
    uint32_t nk = suite_count(k, VEC_IOAPIC), n0 = suite_count(0, VEC_IOAPIC);

    ioapic_rte_write(pin, rte_to(suite.apic_id[k], IOAPIC_RTE_DM_FIXED));
    rt_testdev_set_irq(LINE_IOAPIC_EDGE, 1);
    if (!EXPECT(suite_wait_count(k, VEC_IOAPIC, nk + 1, WAIT_MS)))
        printf("  vCPU %u took nothing from pin %u\n", k, pin);
    rt_testdev_set_irq(LINE_IOAPIC_EDGE, 0);
    rt_irq_wait(VEC_IOAPIC, UINT32_MAX, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(k, VEC_IOAPIC), nk + 1);
    EXPECT_EQ(suite_count(0, VEC_IOAPIC), n0);
    ioapic_rte_write(pin, IOAPIC_RTE_MASKED);
}
