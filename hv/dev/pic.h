/* SPDX-License-Identifier: MIT */
/*
 * The virtual legacy PIC: two cascaded Intel 8259A programmable interrupt
 * controllers as every PC chipset wires them (master at 0x20/0x21 with
 * IRQ 0-7, slave at 0xa0/0xa1 with IRQ 8-15, the slave's INT on master
 * input 2), plus the chipset's edge/level control registers (ELCR) at
 * 0x4d0/0x4d1.  References: Intel 8259A datasheet (order 231468),
 * "Programming the 8259A" (ICW1-ICW4, OCW1-OCW3, priority, EOI, poll);
 * Intel ICH datasheets, "8259 Interrupt Controllers" (ELCR, ICW1 effects).
 *
 * The master's INT output goes to the CPU: in a VM to local APIC LINT0
 * programmed as ExtINT (virtual wire mode A) or to I/O APIC pin 0 as an
 * ExtINT entry (virtual wire mode B).  ops->intr_changed reports each
 * change of INT; when the local APIC takes the ExtINT interrupt it runs the
 * interrupt-acknowledge cycle with pic_ack(), which returns the vector to
 * inject (an ExtINT vector needs no local APIC EOI).
 *
 * Model choices (where the datasheets leave room, or a VM differs):
 *  - Power-on: the 8259A has no reset pin and the ICH leaves ICW/OCW values
 *    undefined; here both chips start initialised in 8086 mode, cascaded
 *    (master ICW3 = 0x04, slave ID 2), vector base 0, every input masked
 *    (IMR 0xff), IR0 highest priority, ELCR 0 (all edge).
 *  - ICW1 does what the datasheet lists (IMR cleared, edge sense reset,
 *    IR7 lowest priority, slave address 7, special mask mode off, read IRR,
 *    ICW4 functions zero when IC4 = 0) and also clears ISR, IRR, rotate in
 *    auto-EOI mode and a pending poll.  INT stays low until the sequence's
 *    last ICW, since no vector base is known before.
 *  - Always 8086 mode: ICW4 uPM = 0 (MCS-80/85), ICW1 ADI and A7-A5 are
 *    stored but vectors are always ICW2[7:3] | IR.  BUF and M/S are ignored.
 *  - Cascade: only master input 2 has a slave.  The master asks the slave
 *    for the vector when ICW1 SNGL = 0 and ICW3 bit 2 is set, else it
 *    answers IR2 with its own vector.  The slave's ID (its ICW3) is stored
 *    and not checked.  Special fully nested mode (ICW4 SFNM, master) is
 *    supported: a request from the slave is not blocked by the master's
 *    in-service IR2.
 *  - Edge inputs latch IRR on a deasserted-to-asserted change and keep it
 *    until the acknowledge (device models pulse lines); level inputs (ELCR
 *    bit, or ICW1 LTIM for the whole chip) have IRR follow the line.
 *    ELCR bits for IRQ 0, 1, 2, 8 and 13 are fixed 0 (edge), as on the ICH.
 *  - Master input 2 latches whenever the slave's INT is high and is cleared
 *    by the master's acknowledge of IR2: a slave request that vanishes after
 *    that gives the spurious IRQ15 (slave vector base + 7, master ISR bit 2
 *    set, slave ISR untouched); a master request that vanishes gives the
 *    spurious IRQ7 (master base + 7, no ISR bit set).
 *  - Special mask mode: in-service bits that are masked neither block lower
 *    priorities nor are cleared by a non-specific EOI.
 *  - Poll (OCW3 P): the next read of either port of that chip returns
 *    0x80 | level and sets the in-service bit like an acknowledge (no
 *    auto-EOI: there is no INTA pulse), or 0x00 when nothing is requested.
 *  - Only ports 0x20, 0x21, 0xa0, 0xa1, 0x4d0, 0x4d1 are claimed (not the
 *    ISA aliases 0x22-0x3f, 0xa2-0xbf).
 *
 * Locking: none inside.  The caller holds the VM's device lock across every
 * call on one struct pic_pair; ops->intr_changed runs with that lock held,
 * so it must not take it again.  It may call pic_ack() / pic_output()
 * directly (the new INT level is recorded before it is reported).
 */
#ifndef KEEL_APIC_PIC_H
#define KEEL_APIC_PIC_H

#include <stdbool.h>
#include <stdint.h>

/* I/O ports. */
#define PIC_MASTER_CMD    0x20u
#define PIC_MASTER_DATA   0x21u
#define PIC_SLAVE_CMD     0xa0u
#define PIC_SLAVE_DATA    0xa1u
#define PIC_ELCR_MASTER   0x4d0u
#define PIC_ELCR_SLAVE    0x4d1u

#define PIC_NUM_IRQS      16u
#define PIC_CASCADE_IRQ   2u     /* master input wired to the slave's INT */
#define PIC_SPURIOUS_IR   7u     /* level in the vector of a spurious INTA */

/* ELCR bits that can be set (ICH: IRQ 0, 1, 2, 8, 13 are edge only). */
#define PIC_ELCR_MASTER_MASK 0xf8u
#define PIC_ELCR_SLAVE_MASK  0xdeu

/* ICW1: written to the command port with bit 4 set. */
#define PIC_ICW1_IC4      0x01u  /* ICW4 follows */
#define PIC_ICW1_SNGL     0x02u  /* single: no ICW3 */
#define PIC_ICW1_ADI      0x04u  /* call address interval 4 (MCS-80/85) */
#define PIC_ICW1_LTIM     0x08u  /* level-triggered inputs */
#define PIC_ICW1_INIT     0x10u  /* identifies ICW1 */

/* ICW2: vector base, bits 7:3 in 8086 mode. */
#define PIC_ICW2_BASE     0xf8u

/* ICW4. */
#define PIC_ICW4_UPM      0x01u  /* 8086/8088 mode */
#define PIC_ICW4_AEOI     0x02u  /* automatic EOI */
#define PIC_ICW4_MS       0x04u  /* buffered master */
#define PIC_ICW4_BUF      0x08u  /* buffered mode */
#define PIC_ICW4_SFNM     0x10u  /* special fully nested mode */

/* OCW2 (command port, bits 4:3 = 00): R SL EOI in bits 7:5, level in 2:0. */
#define PIC_OCW2_LEVEL        0x07u
#define PIC_OCW2_CMD          0xe0u
#define PIC_OCW2_ROT_AEOI_CLR 0x00u
#define PIC_OCW2_NS_EOI       0x20u
#define PIC_OCW2_NOP          0x40u
#define PIC_OCW2_SPEC_EOI     0x60u
#define PIC_OCW2_ROT_AEOI_SET 0x80u
#define PIC_OCW2_ROT_NS_EOI   0xa0u
#define PIC_OCW2_SET_PRIO     0xc0u
#define PIC_OCW2_ROT_SPEC_EOI 0xe0u

/* OCW3 (command port, bits 4:3 = 01). */
#define PIC_OCW3_SEL      0x08u
#define PIC_OCW3_RIS      0x01u  /* with RR: read ISR, else IRR */
#define PIC_OCW3_RR       0x02u  /* read register command */
#define PIC_OCW3_P        0x04u  /* poll command */
#define PIC_OCW3_SMM      0x20u  /* special mask mode (with ESMM) */
#define PIC_OCW3_ESMM     0x40u

/* Poll word: bit 7 = a request was pending, bits 2:0 its level. */
#define PIC_POLL_INT      0x80u

struct pic_ops {
    /* The master's INT output changed (to LAPIC LINT0 / I/O APIC pin 0).
     * May be NULL when the caller polls pic_output(). */
    void (*intr_changed)(void *ctx, bool asserted);
};

/* One 8259A. */
struct pic_chip {
    uint8_t irr;          /* interrupt request register */
    uint8_t isr;          /* in-service register */
    uint8_t imr;          /* interrupt mask register (OCW1) */
    uint8_t lines;        /* input levels (master bit 2: the slave's INT) */
    uint8_t elcr;         /* level-triggered inputs (ELCR) */
    uint8_t icw1;         /* last ICW1 (IC4, SNGL, ADI, LTIM) */
    uint8_t vector_base;  /* ICW2 bits 7:3 */
    uint8_t icw3;         /* master: inputs with a slave; slave: its ID */
    uint8_t icw4;         /* last ICW4; 0 after an ICW1 without IC4 */
    uint8_t init_step;    /* 0: operating; 2, 3, 4: the ICW expected next */
    uint8_t lowest;       /* input with the lowest priority (rotation) */
    bool rotate_aeoi;     /* rotate in automatic EOI mode (OCW2) */
    bool special_mask;    /* special mask mode (OCW3) */
    bool read_isr;        /* command port reads ISR, else IRR (OCW3) */
    bool poll;            /* the next read is a poll (OCW3 P) */
};

struct pic_pair {
    struct pic_chip chip[2];    /* [0] master, [1] slave */
    bool out;                   /* master INT, as last reported */
    const struct pic_ops *ops;
    void *ctx;
};

/* Power-on state (see the header comment).  ops may be NULL. */
void pic_init(struct pic_pair *p, const struct pic_ops *ops, void *ctx);

/* A guest byte access to port.  Returns false, touching nothing, when the
 * port is not one of the six this model claims. */
bool pic_io_read(struct pic_pair *p, uint16_t port, uint8_t *val);
bool pic_io_write(struct pic_pair *p, uint16_t port, uint8_t val);

/* Sets the level of ISA IRQ line irq (0-15; true = asserted).  IRQ 2 is the
 * cascade input and is ignored, as are numbers above 15. */
void pic_set_irq(struct pic_pair *p, unsigned irq, bool level);

/*
 * The interrupt-acknowledge cycle: returns the vector the pair puts on the
 * bus and updates IRR/ISR (auto-EOI and its rotation honoured).  Never
 * negative: with nothing requested it returns the spurious IRQ7 vector
 * (master base + 7), as the hardware does, without touching ISR.
 */
int pic_ack(struct pic_pair *p);

/* The master's INT output. */
bool pic_output(const struct pic_pair *p);

#endif /* KEEL_APIC_PIC_H */
