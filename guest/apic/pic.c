/* SPDX-License-Identifier: MIT */
/*
 * The 8259A PICs behind LINT0 in ExtINT mode, the "virtual wire" of the
 * MP specification (SDM vol. 3A 11.5.1; 8259A datasheet): the CPU takes
 * the vector the PIC supplies, outside the local APIC's IRR/ISR and
 * priority, and the handler EOIs the PIC.  A masked PIC input is held in
 * the IRR and delivered once unmasked.
 */
#include <stdio.h>

#include "chipset.h"
#include "suite.h"

#define PIC_VEC(irq)    (VEC_PIC_BASE + (irq))

/* What the PIC handler saw, per IRQ. */
static struct {
    uint32_t apic_isr;      /* the vector in the local APIC's ISR */
    uint16_t pic_isr;       /* the PICs' in-service bits */
} seen[16];

static void pic_handler(unsigned vector)
{
    unsigned irq = vector - VEC_PIC_BASE;

    seen[irq].apic_isr = apic_vector_bit(APIC_ISR, vector);
    seen[irq].pic_isr = pic_isr();
    /* Lower the line first: the chipset may have the input level-triggered
     * (ELCR), and then a high line interrupts again after the EOI. */
    rt_testdev_set_irq(irq, 0);
    pic_eoi(irq);
}

static void pic_begin(void)
{
    pic_init(VEC_PIC_BASE, VEC_PIC_BASE + 8);
    rt_irq_register(PIC_VEC(LINE_PIC_MASTER), pic_handler);
    rt_irq_register(PIC_VEC(LINE_PIC_SLAVE), pic_handler);
    apic_write(APIC_LVT_LINT0, APIC_LVT_DM_EXTINT);
}

static void pic_end(void)
{
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    pic_set_mask(0xffff);
    rt_testdev_set_irq(LINE_PIC_MASTER, 0);
    rt_testdev_set_irq(LINE_PIC_SLAVE, 0);
    rt_irq_register(PIC_VEC(LINE_PIC_MASTER), suite_eoi_handler);
    rt_irq_register(PIC_VEC(LINE_PIC_SLAVE), suite_eoi_handler);
}

static void expect_pic_irq(unsigned irq)
{
    uint32_t n = suite_count(0, PIC_VEC(irq));
    uint16_t in_service = (uint16_t)(RT_BIT(irq) | (irq >= 8 ? RT_BIT(PIC_CASCADE_IRQ) : 0));

    seen[irq].pic_isr = 0;
    rt_testdev_set_irq(irq, 1);
    if (!EXPECT(rt_irq_wait(PIC_VEC(irq), n + 1, rt_ms_to_tsc(WAIT_MS)))) {
        printf("  IRQ %u: no vector %#x from the PIC (PIC IRR %#x)\n", irq, PIC_VEC(irq),
               pic_irr());
        return;
    }
    EXPECT_EQ(seen[irq].apic_isr, 0);                   /* not the APIC's */
    if (!EXPECT_EQ(seen[irq].pic_isr & in_service, in_service))
        printf("  IRQ %u: PIC ISR %#x in the handler\n", irq, seen[irq].pic_isr);
    EXPECT_EQ(pic_isr(), 0);                            /* EOIed */
    rt_irq_wait(PIC_VEC(irq), n + 2, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, PIC_VEC(irq)), n + 1);
}

APIC_TEST(pic_extint_virtual_wire)
{
    pic_begin();
    pic_set_mask((uint16_t)~(RT_BIT(LINE_PIC_MASTER) | RT_BIT(PIC_CASCADE_IRQ) |
                             RT_BIT(LINE_PIC_SLAVE)));
    expect_pic_irq(LINE_PIC_MASTER);
    /* ExtINT ignores the task priority (SDM 11.8.3: only fixed and
     * lowest-priority interrupts go through the IRR). */
    apic_write(APIC_TPR, 0xf0);
    expect_pic_irq(LINE_PIC_SLAVE);
    apic_write(APIC_TPR, 0);
    EXPECT_EQ(apic_highest_vector(APIC_IRR), -1);
    pic_end();
}

APIC_TEST(pic_masked_input_held)
{
    uint32_t n = suite_count(0, PIC_VEC(LINE_PIC_MASTER));

    pic_begin();
    pic_set_mask(0xffff);
    rt_testdev_set_irq(LINE_PIC_MASTER, 1);
    rt_irq_wait(PIC_VEC(LINE_PIC_MASTER), n + 1, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, PIC_VEC(LINE_PIC_MASTER)), n);
    /* The request waits in the IRR; the IMR only keeps it from the CPU. */
    EXPECT(pic_irr() & RT_BIT(LINE_PIC_MASTER));
    pic_set_mask((uint16_t)~RT_BIT(LINE_PIC_MASTER));
    EXPECT(rt_irq_wait(PIC_VEC(LINE_PIC_MASTER), n + 1, rt_ms_to_tsc(WAIT_MS)));
    /* LINT0 masked: the PIC's output no longer reaches the CPU. */
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    rt_testdev_set_irq(LINE_PIC_MASTER, 1);
    rt_irq_wait(PIC_VEC(LINE_PIC_MASTER), n + 2, rt_ms_to_tsc(QUIET_MS));
    EXPECT_EQ(suite_count(0, PIC_VEC(LINE_PIC_MASTER)), n + 1);
    rt_testdev_set_irq(LINE_PIC_MASTER, 0);
    pic_end();
    pic_init(VEC_PIC_BASE, VEC_PIC_BASE + 8);   /* drop the pending request */
}
