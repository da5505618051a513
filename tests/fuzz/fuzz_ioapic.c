/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/ioapic.c: the guest programs its I/O APIC through MMIO.  The input
 * is a program: MMIO reads and writes (IOREGSEL, IOWIN, the EOI register,
 * anything else), pin levels, and EOIs from the local APICs (of a vector a
 * level entry sent, or any).  Invariants, after every operation:
 *   - IOREGSEL keeps bits 7:0 only, the pin levels 24 bits, and an entry
 *     only its writable bits plus delivery status and Remote IRR;
 *   - an entry reads back through IOWIN; ID and version read as specified;
 *   - every message sent is ioapic_rte_to_msg() of an unmasked entry whose
 *     pin is asserted (level) or was just raised (edge): at most one per
 *     pin change, one per entry an EOI re-arms;
 *   - a level entry that sent has Remote IRR set until its EOI;
 *   - ioapic_level_vectors() is exactly the unmasked level entries' vectors.
 */
#include "fuzz.h"
#include "hv/dev/ioapic.h"

#define MAX_OPS 1000

static struct ioapic io;
static unsigned nsent;
static uint8_t last_level_vec;

static void deliver(void *ctx, const struct apic_msg *m)
{
    bool found = false;

    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        struct apic_msg e;

        ioapic_rte_to_msg(io.rte[pin], &e);
        if (!(io.rte[pin] & IOAPIC_RTE_MASKED) && memcmp(&e, m, sizeof(e)) == 0 &&
            ((io.irr >> pin) & 1u))
            found = true;
    }
    FUZZ_ASSERT(found);
    if (m->level)
        last_level_vec = m->vector;
    nsent++;
}

static const struct ioapic_ops ops = { .deliver = deliver };

static void check_state(void)
{
    uint64_t lv[4] = { 0 }, want[4] = { 0 };

    FUZZ_ASSERT((io.ioregsel & ~IOAPIC_IOREGSEL_MASK) == 0 && io.irr >> IOAPIC_NUM_PINS == 0);
    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        uint64_t r = io.rte[pin];

        FUZZ_ASSERT((r & ~(IOAPIC_RTE_WRITABLE | IOAPIC_RTE_DELIVS | IOAPIC_RTE_REMOTE_IRR)) == 0);
        if (!(r & IOAPIC_RTE_MASKED) && ioapic_rte_is_level(r))
            want[(r & 0xffu) / 64] |= 1ull << (r & 63u);
    }
    ioapic_level_vectors(&io, lv);
    FUZZ_ASSERT(memcmp(lv, want, sizeof(lv)) == 0);
}

static void check_readback(uint8_t reg)
{
    uint32_t saved = io.ioregsel, v;

    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, reg);
    v = ioapic_mmio_read(&io, IOAPIC_IOWIN);
    if (reg == IOAPIC_REG_ID)
        FUZZ_ASSERT(v == (uint32_t)io.id << IOAPIC_ID_SHIFT);
    else if (reg == IOAPIC_REG_VER)
        FUZZ_ASSERT(v == IOAPIC_VER_VALUE);
    else if (reg >= IOAPIC_REG_RTE_BASE && reg <= IOAPIC_REG_RTE_LAST)
        FUZZ_ASSERT(v == (uint32_t)(io.rte[(reg - IOAPIC_REG_RTE_BASE) / 2] >>
                                    (reg & 1u ? 32 : 0)));
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, saved);
}

static void op_pin(struct fuzz_in *in)
{
    uint8_t b = fuzz_u8(in);
    unsigned pin = b % 26, before = nsent;
    bool was = pin < IOAPIC_NUM_PINS && ((io.irr >> pin) & 1u), level = b & 0x80u;
    uint64_t r = pin < IOAPIC_NUM_PINS ? io.rte[pin] : 0;
    unsigned dm = (r & IOAPIC_RTE_DM_MASK) >> IOAPIC_RTE_DM_SHIFT;

    ioapic_set_irq(&io, pin, level);
    FUZZ_ASSERT(nsent <= before + 1);
    if (pin >= IOAPIC_NUM_PINS || (r & IOAPIC_RTE_MASKED))
        FUZZ_ASSERT(nsent == before);
    else if (!ioapic_rte_is_level(r) && dm != 3 && dm != 6)   /* 011b, 110b reserved */
        FUZZ_ASSERT(nsent == before + (level && !was));
    if (nsent > before && ioapic_rte_is_level(r))
        FUZZ_ASSERT(io.rte[pin] & IOAPIC_RTE_REMOTE_IRR);
}

static void op_eoi(struct fuzz_in *in)
{
    uint8_t b = fuzz_u8(in), v = b & 1u ? last_level_vec : fuzz_u8(in);
    unsigned before = nsent, same = 0;

    for (unsigned pin = 0; pin < IOAPIC_NUM_PINS; pin++)
        same += (io.rte[pin] & 0xffu) == v;
    if (b & 2u)
        ioapic_mmio_write(&io, IOAPIC_EOI, v);
    else
        ioapic_eoi(&io, v);
    FUZZ_ASSERT(nsent <= before + same);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    ioapic_init(&io, fuzz_u8(&in), &ops, NULL);
    nsent = 0;
    last_level_vec = 0;
    for (unsigned n = 0; n < MAX_OPS && fuzz_more(&in); n++) {
        uint8_t op = fuzz_u8(&in) % 6, reg;
        uint32_t off;

        switch (op) {
        case 0: reg = fuzz_u8(&in); ioapic_mmio_write(&io, IOAPIC_IOREGSEL, reg); break;
        case 1: ioapic_mmio_write(&io, IOAPIC_IOWIN, fuzz_u32(&in)); break;
        case 2:
            off = fuzz_u16(&in) & 0xfffu;
            ioapic_mmio_write(&io, off, fuzz_u32(&in));
            (void)ioapic_mmio_read(&io, off);
            break;
        case 3: op_pin(&in); break;
        case 4: op_eoi(&in); break;
        default: check_readback(fuzz_u8(&in)); break;
        }
        check_state();
    }
    return 0;
}
