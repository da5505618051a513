/* SPDX-License-Identifier: MIT */
/*
 * The virtual 8259A pair (see pic.h for the model and its references).
 */
#include "hv/dev/pic.h"

#include <stddef.h>
#include <string.h>

#define MASTER 0
#define SLAVE  1

static uint8_t bit8(unsigned ir)
{
    return (uint8_t)(1u << ir);
}

/* Inputs of chip c that are level-triggered. */
static uint8_t level_inputs(const struct pic_chip *c)
{
    return (c->icw1 & PIC_ICW1_LTIM) ? 0xffu : c->elcr;
}

/* Priority rank of input ir: 0 is the highest (the one after lowest). */
static unsigned rank(const struct pic_chip *c, unsigned ir)
{
    return (ir - c->lowest - 1u) & 7u;
}

/* The highest-priority input set in mask, or -1. */
static int highest(const struct pic_chip *c, uint8_t mask)
{
    unsigned i, ir;

    for (i = 0; i < 8; i++) {
        ir = (c->lowest + 1u + i) & 7u;
        if (mask & bit8(ir))
            return (int)ir;
    }
    return -1;
}

/* True when input ir of the master is the slave's (cascade) input. */
static bool is_cascade(const struct pic_pair *p, unsigned ir)
{
    const struct pic_chip *m = &p->chip[MASTER];

    return ir == PIC_CASCADE_IRQ && !(m->icw1 & PIC_ICW1_SNGL) &&
           (m->icw3 & bit8(PIC_CASCADE_IRQ));
}

/*
 * The input chip idx would raise INT for, or -1: the highest unmasked
 * request, if it beats every in-service level (8259A "Priority Resolver";
 * special mask mode drops masked in-service bits; in special fully nested
 * mode the slave's own in-service bit does not block the slave).
 */
static int pending(const struct pic_pair *p, unsigned idx)
{
    const struct pic_chip *c = &p->chip[idx];
    uint8_t isr = c->isr;
    int ir, cur;

    if (c->init_step)
        return -1;
    ir = highest(c, c->irr & (uint8_t)~c->imr);
    if (ir < 0)
        return -1;
    if (c->special_mask)
        isr &= (uint8_t)~c->imr;
    if (idx == MASTER && (c->icw4 & PIC_ICW4_SFNM) && is_cascade(p, (unsigned)ir))
        isr &= (uint8_t)~bit8((unsigned)ir);
    cur = highest(c, isr);
    if (cur >= 0 && rank(c, (unsigned)cur) <= rank(c, (unsigned)ir))
        return -1;
    return ir;
}

/* Level inputs: IRR follows the line. */
static void sync_levels(struct pic_chip *c)
{
    uint8_t lvl = level_inputs(c);

    c->irr = (uint8_t)((c->irr & ~lvl) | (c->lines & lvl));
}

/* Recomputes both INT outputs, feeds the slave's into master input 2 and
 * reports a change of the master's. */
static void update(struct pic_pair *p)
{
    struct pic_chip *m = &p->chip[MASTER], *s = &p->chip[SLAVE];
    uint8_t cas = bit8(PIC_CASCADE_IRQ);
    bool out;

    sync_levels(s);
    if (pending(p, SLAVE) >= 0)
        m->lines |= cas;
    else
        m->lines &= (uint8_t)~cas;
    sync_levels(m);
    if (m->lines & cas)
        m->irr |= cas;                  /* latched until acknowledged */
    out = pending(p, MASTER) >= 0;
    if (out == p->out)
        return;
    p->out = out;
    if (p->ops && p->ops->intr_changed)
        p->ops->intr_changed(p->ctx, out);
}

/* Moves request ir of c into service (edge IRR cleared; level IRR keeps
 * following the line); aeoi: the automatic EOI at the end of INTA. */
static void take(struct pic_chip *c, unsigned ir, bool aeoi)
{
    c->irr &= (uint8_t)~bit8(ir);
    sync_levels(c);
    if (!aeoi) {
        c->isr |= bit8(ir);
        return;
    }
    if (c->rotate_aeoi)
        c->lowest = (uint8_t)ir;
}

static uint8_t vector(const struct pic_chip *c, unsigned ir)
{
    return (uint8_t)((c->vector_base & PIC_ICW2_BASE) | ir);
}

int pic_ack(struct pic_pair *p)
{
    struct pic_chip *m = &p->chip[MASTER], *s = &p->chip[SLAVE];
    int ir = pending(p, MASTER), sir;
    uint8_t vec;

    if (ir < 0)
        return vector(m, PIC_SPURIOUS_IR);
    take(m, (unsigned)ir, (m->icw4 & PIC_ICW4_AEOI) != 0);
    if (!is_cascade(p, (unsigned)ir)) {
        vec = vector(m, (unsigned)ir);
    } else {
        sir = pending(p, SLAVE);
        if (sir < 0) {
            vec = vector(s, PIC_SPURIOUS_IR);
        } else {
            take(s, (unsigned)sir, (s->icw4 & PIC_ICW4_AEOI) != 0);
            vec = vector(s, (unsigned)sir);
        }
    }
    update(p);
    return vec;
}

bool pic_output(const struct pic_pair *p)
{
    return p->out;
}

static void chip_reset(struct pic_chip *c, uint8_t icw3)
{
    memset(c, 0, sizeof(*c));
    c->icw1 = PIC_ICW1_INIT | PIC_ICW1_IC4;
    c->icw3 = icw3;
    c->icw4 = PIC_ICW4_UPM;
    c->imr = 0xff;
    c->lowest = 7;
}

void pic_init(struct pic_pair *p, const struct pic_ops *ops, void *ctx)
{
    memset(p, 0, sizeof(*p));
    chip_reset(&p->chip[MASTER], bit8(PIC_CASCADE_IRQ));
    chip_reset(&p->chip[SLAVE], PIC_CASCADE_IRQ);
    p->ops = ops;
    p->ctx = ctx;
}

void pic_set_irq(struct pic_pair *p, unsigned irq, bool level)
{
    struct pic_chip *c;
    uint8_t b;

    if (irq >= PIC_NUM_IRQS || irq == PIC_CASCADE_IRQ)
        return;
    c = &p->chip[irq >> 3];
    b = bit8(irq & 7u);
    if (level && !(c->lines & b) && !(level_inputs(c) & b))
        c->irr |= b;                    /* rising edge */
    if (level)
        c->lines |= b;
    else
        c->lines &= (uint8_t)~b;
    update(p);
}

/* ICW1 (8259A "Initialization Command Words"; see pic.h for extras). */
static void write_icw1(struct pic_chip *c, uint8_t val)
{
    c->icw1 = val;
    c->init_step = 2;
    c->imr = 0;
    c->irr = 0;
    c->isr = 0;
    c->lowest = 7;
    c->icw3 = 7;
    c->icw4 = 0;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_aeoi = false;
}

/* ICW2-ICW4 on the data port, in the order ICW1's SNGL and IC4 ask for. */
static void write_icw(struct pic_chip *c, uint8_t val)
{
    switch (c->init_step) {
    case 2:
        c->vector_base = val & PIC_ICW2_BASE;
        c->init_step = !(c->icw1 & PIC_ICW1_SNGL) ? 3 : (c->icw1 & PIC_ICW1_IC4) ? 4 : 0;
        break;
    case 3:
        c->icw3 = val;
        c->init_step = (c->icw1 & PIC_ICW1_IC4) ? 4 : 0;
        break;
    default:
        c->icw4 = val;
        c->init_step = 0;
        break;
    }
}

/* Non-specific EOI: the highest-priority in-service level (in special mask
 * mode, the highest one not masked). */
static void eoi_nonspecific(struct pic_chip *c, bool rotate)
{
    uint8_t isr = c->isr;
    int ir;

    if (c->special_mask)
        isr &= (uint8_t)~c->imr;
    ir = highest(c, isr);
    if (ir < 0)
        return;
    c->isr &= (uint8_t)~bit8((unsigned)ir);
    if (rotate)
        c->lowest = (uint8_t)ir;
}

/* OCW2 (8259A "Operation Command Words", table of R SL EOI codes). */
static void write_ocw2(struct pic_chip *c, uint8_t val)
{
    unsigned ir = val & PIC_OCW2_LEVEL;

    switch (val & PIC_OCW2_CMD) {
    case PIC_OCW2_NS_EOI:
        eoi_nonspecific(c, false);
        break;
    case PIC_OCW2_ROT_NS_EOI:
        eoi_nonspecific(c, true);
        break;
    case PIC_OCW2_SPEC_EOI:
        c->isr &= (uint8_t)~bit8(ir);
        break;
    case PIC_OCW2_ROT_SPEC_EOI:
        c->isr &= (uint8_t)~bit8(ir);
        c->lowest = (uint8_t)ir;
        break;
    case PIC_OCW2_SET_PRIO:
        c->lowest = (uint8_t)ir;
        break;
    case PIC_OCW2_ROT_AEOI_SET:
        c->rotate_aeoi = true;
        break;
    case PIC_OCW2_ROT_AEOI_CLR:
        c->rotate_aeoi = false;
        break;
    default:                            /* PIC_OCW2_NOP */
        break;
    }
}

static void write_ocw3(struct pic_chip *c, uint8_t val)
{
    if (val & PIC_OCW3_P)
        c->poll = true;
    if (val & PIC_OCW3_RR)
        c->read_isr = (val & PIC_OCW3_RIS) != 0;
    if (val & PIC_OCW3_ESMM)
        c->special_mask = (val & PIC_OCW3_SMM) != 0;
}

/* The poll read: an acknowledge without INTA (so no automatic EOI). */
static uint8_t poll_read(struct pic_pair *p, unsigned idx)
{
    struct pic_chip *c = &p->chip[idx];
    int ir = pending(p, idx);

    c->poll = false;
    if (ir < 0)
        return 0;
    take(c, (unsigned)ir, false);
    return (uint8_t)(PIC_POLL_INT | (unsigned)ir);
}

static uint8_t chip_read(struct pic_pair *p, unsigned idx, bool data)
{
    struct pic_chip *c = &p->chip[idx];

    if (c->poll)
        return poll_read(p, idx);
    if (data)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void chip_write(struct pic_chip *c, bool data, uint8_t val)
{
    if (data) {
        if (c->init_step)
            write_icw(c, val);
        else
            c->imr = val;               /* OCW1 */
    } else if (val & PIC_ICW1_INIT) {
        write_icw1(c, val);
    } else if (val & PIC_OCW3_SEL) {
        write_ocw3(c, val);
    } else {
        write_ocw2(c, val);
    }
}

bool pic_io_read(struct pic_pair *p, uint16_t port, uint8_t *val)
{
    switch (port) {
    case PIC_MASTER_CMD:
    case PIC_MASTER_DATA:
        *val = chip_read(p, MASTER, port == PIC_MASTER_DATA);
        break;
    case PIC_SLAVE_CMD:
    case PIC_SLAVE_DATA:
        *val = chip_read(p, SLAVE, port == PIC_SLAVE_DATA);
        break;
    case PIC_ELCR_MASTER:
        *val = p->chip[MASTER].elcr;
        return true;
    case PIC_ELCR_SLAVE:
        *val = p->chip[SLAVE].elcr;
        return true;
    default:
        return false;
    }
    update(p);                          /* a poll read acknowledges */
    return true;
}

bool pic_io_write(struct pic_pair *p, uint16_t port, uint8_t val)
{
    switch (port) {
    case PIC_MASTER_CMD:
    case PIC_MASTER_DATA:
        chip_write(&p->chip[MASTER], port == PIC_MASTER_DATA, val);
        break;
    case PIC_SLAVE_CMD:
    case PIC_SLAVE_DATA:
        chip_write(&p->chip[SLAVE], port == PIC_SLAVE_DATA, val);
        break;
    case PIC_ELCR_MASTER:
        p->chip[MASTER].elcr = val & PIC_ELCR_MASTER_MASK;
        break;
    case PIC_ELCR_SLAVE:
        p->chip[SLAVE].elcr = val & PIC_ELCR_SLAVE_MASK;
        break;
    default:
        return false;
    }
    update(p);
    return true;
}
