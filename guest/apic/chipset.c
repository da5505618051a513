/* SPDX-License-Identifier: MIT */
/*
 * Accessors for the I/O APIC, the 8259A PICs and the 8254 PIT (chipset.h).
 */
#include "chipset.h"
#include "rt.h"
#include "suite.h"

/* The I/O APIC's index/data pair is shared: callers are single-threaded
 * (vCPU 0 runs the tests). */
static volatile uint32_t *ioapic_reg(unsigned offset)
{
    return (volatile uint32_t *)(uintptr_t)(suite.ioapic_base + offset);
}

uint32_t ioapic_read(unsigned reg)
{
    *ioapic_reg(IOAPIC_REGSEL) = reg;
    return *ioapic_reg(IOAPIC_WINDOW);
}

void ioapic_write(unsigned reg, uint32_t value)
{
    *ioapic_reg(IOAPIC_REGSEL) = reg;
    *ioapic_reg(IOAPIC_WINDOW) = value;
}

uint64_t ioapic_rte_read(unsigned pin)
{
    uint32_t lo = ioapic_read(IOAPIC_REG_RTE(pin));
    uint32_t hi = ioapic_read(IOAPIC_REG_RTE(pin) + 1);

    return ((uint64_t)hi << 32) | lo;
}

void ioapic_rte_write(unsigned pin, uint64_t rte)
{
    ioapic_write(IOAPIC_REG_RTE(pin) + 1, (uint32_t)(rte >> 32));
    ioapic_write(IOAPIC_REG_RTE(pin), (uint32_t)rte);
}

unsigned ioapic_pins(void)
{
    return IOAPIC_VER_MAX_RTE(ioapic_read(IOAPIC_REG_VER)) + 1;
}

void ioapic_mask_all(void)
{
    unsigned n = ioapic_pins();

    if (n > 240)
        return;     /* nothing there (reads all-ones) */
    for (unsigned pin = 0; pin < n; pin++)
        ioapic_rte_write(pin, IOAPIC_RTE_MASKED);
}

unsigned ioapic_isa_pin(unsigned irq)
{
    const struct rt_madt *madt = rt_madt();

    /* Without a MADT, assume the usual PC wiring: the PIT on pin 2. */
    if (!madt->found)
        return irq == 0 ? 2 : irq;
    return irq < 16 ? madt->isa_gsi[irq] - madt->ioapic_gsi_base : irq;
}

void pic_init(uint8_t base1, uint8_t base2)
{
    rt_outb(PIC1_CMD, PIC_ICW1_INIT | PIC_ICW1_ICW4);
    rt_outb(PIC2_CMD, PIC_ICW1_INIT | PIC_ICW1_ICW4);
    rt_outb(PIC1_DATA, base1);
    rt_outb(PIC2_DATA, base2);
    rt_outb(PIC1_DATA, PIC_ICW3_MASTER_SLAVE_IR2);
    rt_outb(PIC2_DATA, PIC_ICW3_SLAVE_ID2);
    rt_outb(PIC1_DATA, PIC_ICW4_8086);
    rt_outb(PIC2_DATA, PIC_ICW4_8086);
    pic_set_mask(0xffff);
}

void pic_set_mask(uint16_t mask)
{
    rt_outb(PIC1_DATA, (uint8_t)mask);
    rt_outb(PIC2_DATA, (uint8_t)(mask >> 8));
}

static uint16_t pic_read_ocw3(uint8_t ocw3)
{
    rt_outb(PIC1_CMD, ocw3);
    rt_outb(PIC2_CMD, ocw3);
    return (uint16_t)(rt_inb(PIC1_CMD) | (rt_inb(PIC2_CMD) << 8));
}

uint16_t pic_irr(void)
{
    return pic_read_ocw3(PIC_OCW3_READ_IRR);
}

uint16_t pic_isr(void)
{
    return pic_read_ocw3(PIC_OCW3_READ_ISR);
}

void pic_eoi(unsigned irq)
{
    if (irq >= 8)
        rt_outb(PIC2_CMD, PIC_OCW2_EOI);
    rt_outb(PIC1_CMD, PIC_OCW2_EOI);
}

void pit_program(unsigned channel, unsigned mode, uint16_t count)
{
    rt_outb(PIT_CMD, (uint8_t)(PIT_SEL(channel) | PIT_RW_LOHI | PIT_MODE(mode)));
    rt_outb((uint16_t)(PIT_CH0 + channel), (uint8_t)count);
    rt_outb((uint16_t)(PIT_CH0 + channel), (uint8_t)(count >> 8));
}

uint16_t pit_read_count(unsigned channel)
{
    rt_outb(PIT_CMD, (uint8_t)(PIT_SEL(channel) | PIT_LATCH));
    uint8_t lo = rt_inb((uint16_t)(PIT_CH0 + channel));
    uint8_t hi = rt_inb((uint16_t)(PIT_CH0 + channel));
    return (uint16_t)(lo | (hi << 8));
}
