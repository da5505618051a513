/* SPDX-License-Identifier: MIT */
/*
 * The virtual I/O APIC (see ioapic.h for the model and its references).
 */
#include "hv/dev/ioapic.h"

#include <stddef.h>
#include <string.h>

/* Delivery modes an RTE can send (82093AA 3.2.4: 011 and 110 reserved). */
static bool dm_valid(unsigned dm)
{
    return dm != 3u && dm != (unsigned)APIC_DM_STARTUP;
}

static unsigned rte_dm(uint64_t rte)
{
    return (unsigned)((rte & IOAPIC_RTE_DM_MASK) >> IOAPIC_RTE_DM_SHIFT);
}

bool ioapic_rte_is_level(uint64_t rte)
{
    unsigned dm = rte_dm(rte);

    return (rte & IOAPIC_RTE_LEVEL) &&
           (dm == (unsigned)APIC_DM_FIXED || dm == (unsigned)APIC_DM_LOWEST);
}

void ioapic_level_vectors(const struct ioapic *io, uint64_t out[4])
{
    unsigned pin;

    out[0] = out[1] = out[2] = out[3] = 0;
    for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t rte = io->rte[pin];

        if (ioapic_rte_is_level(rte) && !(rte & IOAPIC_RTE_MASKED))
            out[(rte & IOAPIC_RTE_VECTOR) >> 6] |= 1ull << (rte & 63u);
    }
}

void ioapic_rte_to_msg(uint64_t rte, struct apic_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->dest = (uint32_t)((rte & IOAPIC_RTE_DEST_MASK) >> IOAPIC_RTE_DEST_SHIFT);
    m->vector = (uint8_t)(rte & IOAPIC_RTE_VECTOR);
    m->dm = (uint8_t)rte_dm(rte);
    m->shorthand = APIC_SH_NONE;
    m->logical = (rte & IOAPIC_RTE_DEST_LOGICAL) != 0;
    m->level = ioapic_rte_is_level(rte);
    m->assert = true;
    m->x2apic = false;
    m->source = -1;
}

void ioapic_init(struct ioapic *io, uint8_t id, const struct ioapic_ops *ops, void *ctx)
{
    unsigned i;

    memset(io, 0, sizeof(*io));
    io->id = id & 0xfu;
    io->arb = io->id;
    for (i = 0; i < IOAPIC_NUM_PINS; i++)
        io->rte[i] = IOAPIC_RTE_RESET;
    io->ops = ops;
    io->ctx = ctx;
}

/* Sends the interrupt of pin; a level entry gets Remote IRR first, so a
 * deliver callback that EOIs at once sees a consistent entry. */
static void send(struct ioapic *io, unsigned pin)
{
    struct apic_msg m;
    uint64_t rte = io->rte[pin];

    if (!dm_valid(rte_dm(rte)))
        return;
    if (ioapic_rte_is_level(rte))
        io->rte[pin] = rte | IOAPIC_RTE_REMOTE_IRR;
    ioapic_rte_to_msg(rte, &m);
    if (io->ops->deliver_rte)
        io->ops->deliver_rte(io->ctx, rte, &m);
    else
        io->ops->deliver(io->ctx, &m);
}

/* A level entry sends while its pin is asserted, it is unmasked and Remote
 * IRR is clear (82093AA 3.2.4, "Trigger Mode", "Remote IRR"). */
static void sample_level(struct ioapic *io, unsigned pin)
{
    uint64_t rte = io->rte[pin];

    if (!ioapic_rte_is_level(rte) || !(io->irr & (1u << pin)))
        return;
    if (rte & (IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR))
        return;
    send(io, pin);
}

void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level)
{
    uint32_t bit;
    bool was;

    if (pin >= IOAPIC_NUM_PINS)
        return;
    bit = 1u << pin;
    was = (io->irr & bit) != 0;
    if (level)
        io->irr |= bit;
    else
        io->irr &= ~bit;
    if (!level)
        return;
    if (ioapic_rte_is_level(io->rte[pin])) {
        sample_level(io, pin);
        return;
    }
    /* Edge: the deasserted-to-asserted change; lost while masked. */
    if (!was && !(io->rte[pin] & IOAPIC_RTE_MASKED))
        send(io, pin);
}

void ioapic_eoi(struct ioapic *io, uint8_t vector)
{
    unsigned pin;

    for (pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t rte = io->rte[pin];

        if ((rte & IOAPIC_RTE_VECTOR) != vector || !(rte & IOAPIC_RTE_REMOTE_IRR))
            continue;
        io->rte[pin] = rte & ~IOAPIC_RTE_REMOTE_IRR;
        sample_level(io, pin);
    }
}

/* A write to half of an RTE: read-only bits stay, Remote IRR is dropped
 * when the entry stops acting as level-triggered (trigger bit cleared, or an
 * edge-only delivery mode), then a level pin is resampled. */
static void write_rte(struct ioapic *io, unsigned pin, bool high, uint32_t val)
{
    uint64_t old = io->rte[pin], v;

    if (high)
        v = (old & 0xffffffffull) | ((uint64_t)val << 32);
    else
        v = (old & ~0xffffffffull) | val;
    v = (v & IOAPIC_RTE_WRITABLE) | (old & IOAPIC_RTE_REMOTE_IRR);
    if (!ioapic_rte_is_level(v))
        v &= ~IOAPIC_RTE_REMOTE_IRR;
    io->rte[pin] = v;
    sample_level(io, pin);
}

static uint32_t read_reg(const struct ioapic *io, uint32_t reg)
{
    uint64_t rte;

    switch (reg) {
    case IOAPIC_REG_ID:
        return (uint32_t)io->id << IOAPIC_ID_SHIFT;
    case IOAPIC_REG_VER:
        return IOAPIC_VER_VALUE;
    case IOAPIC_REG_ARB:
        return (uint32_t)io->arb << IOAPIC_ID_SHIFT;
    default:
        break;
    }
    if (reg < IOAPIC_REG_RTE_BASE || reg > IOAPIC_REG_RTE_LAST)
        return 0;
    rte = io->rte[(reg - IOAPIC_REG_RTE_BASE) / 2u];
    return (reg & 1u) ? (uint32_t)(rte >> 32) : (uint32_t)rte;
}

static void write_reg(struct ioapic *io, uint32_t reg, uint32_t val)
{
    if (reg == IOAPIC_REG_ID) {
        io->id = (uint8_t)((val & IOAPIC_ID_MASK) >> IOAPIC_ID_SHIFT);
        io->arb = io->id;
        return;
    }
    if (reg < IOAPIC_REG_RTE_BASE || reg > IOAPIC_REG_RTE_LAST)
        return;                 /* VER, ARB read-only; the rest unimplemented */
    write_rte(io, (reg - IOAPIC_REG_RTE_BASE) / 2u, (reg & 1u) != 0, val);
}

uint32_t ioapic_mmio_read(struct ioapic *io, uint32_t off)
{
    switch (off) {
    case IOAPIC_IOREGSEL:
        return io->ioregsel;
    case IOAPIC_IOWIN:
        return read_reg(io, io->ioregsel);
    default:
        return 0;               /* EOI is write-only; the rest is empty */
    }
}

void ioapic_mmio_write(struct ioapic *io, uint32_t off, uint32_t val)
{
    switch (off) {
    case IOAPIC_IOREGSEL:
        io->ioregsel = val & IOAPIC_IOREGSEL_MASK;
        break;
    case IOAPIC_IOWIN:
        write_reg(io, io->ioregsel, val);
        break;
    case IOAPIC_EOI:
        ioapic_eoi(io, (uint8_t)(val & IOAPIC_EOI_VECTOR));
        break;
    default:
        break;
    }
}
