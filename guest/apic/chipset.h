/* SPDX-License-Identifier: MIT */
/*
 * The PC chipset devices the APIC suite drives: the I/O APIC (Intel 82093AA
 * datasheet), the 8259A PICs, the 8254 PIT and the 16550 UART at COM1.
 */
#ifndef KEEL_GUEST_APIC_CHIPSET_H
#define KEEL_GUEST_APIC_CHIPSET_H

#include <stdint.h>

#include "x86_bits.h"

/* ------------------------------------------------------------- I/O APIC */

#define IOAPIC_DEFAULT_BASE     0xfec00000u
#define IOAPIC_REGSEL           0x00    /* index register (MMIO offset) */
#define IOAPIC_WINDOW           0x10    /* data register (MMIO offset) */
#define IOAPIC_REG_ID           0x00    /* bits 27:24 = I/O APIC ID */
#define IOAPIC_REG_VER          0x01    /* version, max redirection entry */
#define IOAPIC_REG_ARB          0x02    /* arbitration ID */
#define IOAPIC_REG_RTE(pin)     (0x10 + 2 * (pin))  /* low; high at + 1 */
#define IOAPIC_ID_MASK          (0xfu << 24)
#define IOAPIC_VER_VERSION(v)   ((v) & 0xffu)
#define IOAPIC_VER_MAX_RTE(v)   (((v) >> 16) & 0xffu)

/* Redirection table entry (64 bits). */
#define IOAPIC_RTE_VECTOR_MASK  0xffu
#define IOAPIC_RTE_DM_FIXED     (0u << 8)
#define IOAPIC_RTE_DM_LOWEST    (1u << 8)
#define IOAPIC_RTE_DM_NMI       (4u << 8)
#define IOAPIC_RTE_DM_EXTINT    (7u << 8)
#define IOAPIC_RTE_DM_MASK      (7u << 8)
#define IOAPIC_RTE_DEST_LOGICAL RT_BIT(11)
#define IOAPIC_RTE_DELIVERY_STATUS RT_BIT(12)  /* read-only */
#define IOAPIC_RTE_POLARITY_LOW RT_BIT(13)
#define IOAPIC_RTE_REMOTE_IRR   RT_BIT(14)  /* read-only */
#define IOAPIC_RTE_LEVEL        RT_BIT(15)
#define IOAPIC_RTE_MASKED       RT_BIT(16)
#define IOAPIC_RTE_DEST_SHIFT   56

uint32_t ioapic_read(unsigned reg);
void ioapic_write(unsigned reg, uint32_t value);
uint64_t ioapic_rte_read(unsigned pin);
/* Writes the high half (destination) first, then the low half. */
void ioapic_rte_write(unsigned pin, uint64_t rte);
unsigned ioapic_pins(void);
void ioapic_mask_all(void);
/* The I/O APIC pin of ISA IRQ `irq`: by the MADT's overrides (identity
 * where none), or without a MADT identity but IRQ 0 on pin 2. */
unsigned ioapic_isa_pin(unsigned irq);

/* ----------------------------------------------------------- 8259A PICs */

#define PIC1_CMD                0x20
#define PIC1_DATA               0x21
#define PIC2_CMD                0xa0
#define PIC2_DATA               0xa1
#define PIC_ICW1_INIT           0x10    /* with A0 = 0: ICW1 */
#define PIC_ICW1_ICW4           0x01    /* ICW4 follows */
#define PIC_ICW3_MASTER_SLAVE_IR2 0x04  /* master: a slave on IR2 */
#define PIC_ICW3_SLAVE_ID2      0x02    /* slave: cascade identity 2 */
#define PIC_ICW4_8086           0x01    /* 8086/88 mode */
#define PIC_OCW2_EOI            0x20    /* non-specific EOI */
#define PIC_OCW3_READ_IRR       0x0a
#define PIC_OCW3_READ_ISR       0x0b
#define PIC_CASCADE_IRQ         2

/* ICW1-ICW4 on both PICs: vectors base1.., base2.., every IRQ masked. */
void pic_init(uint8_t base1, uint8_t base2);
/* IMR of both (bit N = IRQ N masked). */
void pic_set_mask(uint16_t mask);
uint16_t pic_irr(void);
uint16_t pic_isr(void);
/* Non-specific EOI for irq (to the slave too for IRQ 8-15). */
void pic_eoi(unsigned irq);

/* ------------------------------------------------------------ 8254 PIT */

#define PIT_HZ                  1193182u
#define PIT_CH0                 0x40
#define PIT_CH2                 0x42
#define PIT_CMD                 0x43
#define PIT_SEL(ch)             ((unsigned)(ch) << 6)
#define PIT_LATCH               (0u << 4)   /* counter latch command */
#define PIT_RW_LOHI             (3u << 4)
#define PIT_MODE(m)             ((unsigned)(m) << 1)
#define PORT61                  0x61
#define PORT61_GATE2            RT_BIT(0)   /* counter 2 gate */
#define PORT61_SPEAKER          RT_BIT(1)   /* speaker data enable */
#define PORT61_OUT2             RT_BIT(5)   /* counter 2 output (read-only) */

/* Programs a counter: control word, then the count low and high byte. */
void pit_program(unsigned channel, unsigned mode, uint16_t count);
/* Latches and reads a counter's current count. */
uint16_t pit_read_count(unsigned channel);

/* ---------------------------------------------------------- 16550 UART */

#define COM1_BASE               0x3f8
#define UART_RBR                0   /* receive buffer (read, DLAB 0) */
#define UART_THR                0   /* transmit holding (write, DLAB 0) */
#define UART_IER                1
#define UART_FCR                2
#define UART_LCR                3
#define UART_MCR                4
#define UART_LSR                5
#define UART_MSR                6
#define UART_SCR                7   /* scratch */
#define UART_MCR_DTR            RT_BIT(0)
#define UART_MCR_RTS            RT_BIT(1)
#define UART_MCR_OUT1           RT_BIT(2)
#define UART_MCR_OUT2           RT_BIT(3)
#define UART_MCR_LOOP           RT_BIT(4)
#define UART_LSR_DR             RT_BIT(0)   /* data ready */
#define UART_LSR_THRE           RT_BIT(5)
#define UART_LSR_TEMT           RT_BIT(6)
#define UART_MSR_CTS            RT_BIT(4)
#define UART_MSR_DSR            RT_BIT(5)
#define UART_MSR_RI             RT_BIT(6)
#define UART_MSR_DCD            RT_BIT(7)

#endif /* KEEL_GUEST_APIC_CHIPSET_H */
