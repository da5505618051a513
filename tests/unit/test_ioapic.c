/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/ioapic.c. */
#include "check.h"
#include "hv/dev/ioapic.h"

#include <stdbool.h>
#include <string.h>

#define MAX_LOG 64

/* The fake local APICs: a log of the messages the I/O APIC sent. */
static struct {
    unsigned n;
    struct apic_msg log[MAX_LOG];
    unsigned eoi_on_deliver;     /* EOI this many deliveries from inside */
} lapic;

static struct ioapic io;

static void fake_deliver(void *ctx, const struct apic_msg *m)
{
    struct ioapic *self = ctx;

    if (lapic.n < MAX_LOG)
        lapic.log[lapic.n] = *m;
    lapic.n++;
    if (lapic.eoi_on_deliver) {
        lapic.eoi_on_deliver--;
        ioapic_eoi(self, m->vector);
    }
}

static const struct ioapic_ops ops = { .deliver = fake_deliver };

static void reset(void)
{
    memset(&lapic, 0, sizeof(lapic));
    ioapic_init(&io, 1, &ops, &io);
}

static const struct apic_msg *last(void)
{
    return &lapic.log[(lapic.n ? lapic.n - 1 : 0) % MAX_LOG];
}

static uint32_t rd(uint32_t reg)
{
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, reg);
    return ioapic_mmio_read(&io, IOAPIC_IOWIN);
}

static void wr(uint32_t reg, uint32_t val)
{
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, reg);
    ioapic_mmio_write(&io, IOAPIC_IOWIN, val);
}

static uint32_t lo_reg(unsigned pin)
{
    return IOAPIC_REG_RTE_BASE + 2 * pin;
}

/* Programs an entry the way OSes do: high half first, then low. */
static void set_rte(unsigned pin, uint32_t lo, uint32_t hi)
{
    wr(lo_reg(pin) + 1, hi);
    wr(lo_reg(pin), lo);
}

static uint64_t rte(unsigned pin)
{
    return ((uint64_t)rd(lo_reg(pin) + 1) << 32) | rd(lo_reg(pin));
}

#define LEVEL  ((uint32_t)IOAPIC_RTE_LEVEL)
#define MASKED ((uint32_t)IOAPIC_RTE_MASKED)
#define RIRR   ((uint32_t)IOAPIC_RTE_REMOTE_IRR)
#define DM(x)  ((uint32_t)(x) << IOAPIC_RTE_DM_SHIFT)
#define DEST(x) ((uint32_t)(x) << (IOAPIC_RTE_DEST_SHIFT - 32))

/* ---- registers ---- */

static void test_init_id(void)
{
    reset();
    CHECK_EQ(rd(IOAPIC_REG_ID), 1u << 24);
    CHECK_EQ(io.id, 1);
}

static void test_init_id_4_bits(void)
{
    reset();
    ioapic_init(&io, 0x35, &ops, &io);
    CHECK_EQ(rd(IOAPIC_REG_ID), 5u << 24);
}

static void test_init_rtes_masked(void)
{
    unsigned pin;
    bool ok = true;

    reset();
    for (pin = 0; pin < IOAPIC_NUM_PINS; pin++)
        if (rd(lo_reg(pin)) != MASKED || rd(lo_reg(pin) + 1) != 0)
            ok = false;
    CHECK(ok);
    CHECK_EQ(io.irr, 0);
    CHECK_EQ(lapic.n, 0);
}

static void test_ver(void)
{
    reset();
    CHECK_EQ(rd(IOAPIC_REG_VER), 0x00170020u);
    CHECK_EQ((rd(IOAPIC_REG_VER) >> 16) & 0xff, 23);
}

static void test_ver_read_only(void)
{
    reset();
    wr(IOAPIC_REG_VER, 0xffffffffu);
    CHECK_EQ(rd(IOAPIC_REG_VER), 0x00170020u);
}

static void test_arb_follows_id_at_init(void)
{
    reset();
    CHECK_EQ(rd(IOAPIC_REG_ARB), 1u << 24);
}

static void test_id_write_updates_arb(void)
{
    reset();
    wr(IOAPIC_REG_ID, 9u << 24);
    CHECK_EQ(rd(IOAPIC_REG_ID), 9u << 24);
    CHECK_EQ(rd(IOAPIC_REG_ARB), 9u << 24);
}

static void test_id_write_masks(void)
{
    reset();
    wr(IOAPIC_REG_ID, 0xffffffffu);
    CHECK_EQ(rd(IOAPIC_REG_ID), 0x0f000000u);
}

static void test_arb_read_only(void)
{
    reset();
    wr(IOAPIC_REG_ARB, 0x0c000000u);
    CHECK_EQ(rd(IOAPIC_REG_ARB), 1u << 24);
    CHECK_EQ(rd(IOAPIC_REG_ID), 1u << 24);
}

static void test_ioregsel_readback(void)
{
    reset();
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 0x13);
    CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOREGSEL), 0x13);
}

static void test_ioregsel_8_bits(void)
{
    reset();
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 0xabcd0112u);
    CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOREGSEL), 0x12);
}

static void test_ioregsel_persists(void)
{
    reset();
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, IOAPIC_REG_VER);
    CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOWIN), 0x00170020u);
    CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOWIN), 0x00170020u);
    CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOREGSEL), IOAPIC_REG_VER);
}

static void test_unimplemented_regs_read_0(void)
{
    reset();
    CHECK_EQ(rd(0x03), 0);
    CHECK_EQ(rd(0x0f), 0);
    CHECK_EQ(rd(0x40), 0);
    CHECK_EQ(rd(0xff), 0);
}

static void test_unimplemented_regs_write_ignored(void)
{
    struct ioapic before;

    reset();
    before = io;
    wr(0x05, 0xffffffffu);
    wr(0x40, 0xffffffffu);
    wr(0xff, 0xffffffffu);
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, 0);
    CHECK(memcmp(before.rte, io.rte, sizeof(io.rte)) == 0);
    CHECK_EQ(io.id, before.id);
    CHECK_EQ(io.arb, before.arb);
    CHECK_EQ(io.irr, before.irr);
    CHECK_EQ(lapic.n, 0);
}

static void test_other_offsets_read_0(void)
{
    reset();
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, IOAPIC_REG_VER);
    CHECK_EQ(ioapic_mmio_read(&io, 0x04), 0);
    CHECK_EQ(ioapic_mmio_read(&io, 0x14), 0);
    CHECK_EQ(ioapic_mmio_read(&io, 0x20), 0);
    CHECK_EQ(ioapic_mmio_read(&io, 0xff0), 0);
}

static void test_other_offsets_write_ignored(void)
{
    reset();
    ioapic_mmio_write(&io, IOAPIC_IOREGSEL, IOAPIC_REG_ID);
    ioapic_mmio_write(&io, 0x04, 0x22);
    ioapic_mmio_write(&io, 0x14, 0x0f000000u);
    ioapic_mmio_write(&io, 0x30, 0x0f000000u);
    CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_IOREGSEL), IOAPIC_REG_ID);
    CHECK_EQ(rd(IOAPIC_REG_ID), 1u << 24);
}

static void test_eoi_register_reads_0(void)
{
    reset();
    ioapic_mmio_write(&io, IOAPIC_EOI, 0x30);
    CHECK_EQ(ioapic_mmio_read(&io, IOAPIC_EOI), 0);
}

/* ---- redirection table ---- */

static void test_rte_low_readback(void)
{
    uint32_t v = 0x31 | DM(APIC_DM_LOWEST) | (uint32_t)IOAPIC_RTE_DEST_LOGICAL |
                 (uint32_t)IOAPIC_RTE_POLARITY_LOW | LEVEL | MASKED;

    reset();
    wr(lo_reg(3), v);
    CHECK_EQ(rd(lo_reg(3)), v);
}

static void test_rte_high_readback(void)
{
    reset();
    wr(lo_reg(3) + 1, 0xffffffffu);
    CHECK_EQ(rd(lo_reg(3) + 1), 0xffff0000u);   /* 63:56 dest, 55:48 EDID */
    wr(lo_reg(3) + 1, 0x12000000u);
    CHECK_EQ(rd(lo_reg(3) + 1), 0x12000000u);
}

static void test_rte_reserved_low_bits(void)
{
    reset();
    wr(lo_reg(0), 0xfffe0000u | MASKED);
    CHECK_EQ(rd(lo_reg(0)), MASKED);
}

static void test_rte_delivs_read_only(void)
{
    reset();
    wr(lo_reg(1), (uint32_t)IOAPIC_RTE_DELIVS | MASKED | 0x40);
    CHECK_EQ(rd(lo_reg(1)), MASKED | 0x40);
}

static void test_rte_remote_irr_not_settable(void)
{
    reset();
    wr(lo_reg(1), RIRR | LEVEL | MASKED | 0x40);
    CHECK_EQ(rd(lo_reg(1)), LEVEL | MASKED | 0x40);
}

/* Deliver a level interrupt so that pin has Remote IRR set. */
static void make_rirr(unsigned pin, uint8_t vec)
{
    set_rte(pin, vec | LEVEL, DEST(0));
    ioapic_set_irq(&io, pin, true);
}

static void test_rte_low_write_keeps_rirr(void)
{
    reset();
    make_rirr(4, 0x50);
    CHECK(rd(lo_reg(4)) & RIRR);
    wr(lo_reg(4), 0x50 | LEVEL);                /* writes RIRR = 0 */
    CHECK(rd(lo_reg(4)) & RIRR);
    wr(lo_reg(4), 0x50 | LEVEL | MASKED);
    CHECK(rd(lo_reg(4)) & RIRR);
    CHECK_EQ(lapic.n, 1);
}

static void test_rte_high_write_keeps_rirr(void)
{
    reset();
    make_rirr(4, 0x50);
    wr(lo_reg(4) + 1, DEST(3));
    CHECK(rd(lo_reg(4)) & RIRR);
    CHECK_EQ(rte(4) >> 56, 3);
}

static void test_rte_last_entry(void)
{
    reset();
    wr(0x3e, 0x77 | MASKED);
    wr(0x3f, DEST(0x42));
    CHECK_EQ(rte(23), ((uint64_t)0x42 << 56) | 0x77 | MASKED);
}

static void test_rte_beyond_last(void)
{
    reset();
    wr(0x40, 0x77);
    wr(0x41, 0x77);
    CHECK_EQ(rd(0x40), 0);
    CHECK_EQ(rd(0x41), 0);
    CHECK_EQ(rte(23), MASKED);
}

static void test_rte_independent(void)
{
    unsigned pin;
    bool ok = true;

    reset();
    for (pin = 0; pin < IOAPIC_NUM_PINS; pin++)
        set_rte(pin, (0x20 + pin) | MASKED, DEST(pin));
    for (pin = 0; pin < IOAPIC_NUM_PINS; pin++)
        if (rte(pin) != (((uint64_t)pin << 56) | (0x20 + pin) | MASKED))
            ok = false;
    CHECK(ok);
}

static void test_polarity_stored_not_applied(void)
{
    reset();
    set_rte(5, 0x35 | (uint32_t)IOAPIC_RTE_POLARITY_LOW, DEST(0));
    CHECK(rd(lo_reg(5)) & IOAPIC_RTE_POLARITY_LOW);
    ioapic_set_irq(&io, 5, true);               /* logical "asserted" */
    CHECK_EQ(lapic.n, 1);
}

static void test_reinit_resets(void)
{
    reset();
    make_rirr(2, 0x40);
    wr(IOAPIC_REG_ID, 7u << 24);
    ioapic_init(&io, 2, &ops, &io);
    CHECK_EQ(rte(2), MASKED);
    CHECK_EQ(io.irr, 0);
    CHECK_EQ(rd(IOAPIC_REG_ID), 2u << 24);
}

/* ---- edge ---- */

static void test_edge_rising_delivers(void)
{
    reset();
    set_rte(1, 0x31, DEST(0));
    CHECK_EQ(lapic.n, 0);
    ioapic_set_irq(&io, 1, true);
    CHECK_EQ(lapic.n, 1);
    CHECK_EQ(last()->vector, 0x31);
    CHECK(!last()->level);
}

static void test_edge_no_redeliver_while_high(void)
{
    reset();
    set_rte(1, 0x31, DEST(0));
    ioapic_set_irq(&io, 1, true);
    ioapic_set_irq(&io, 1, true);
    CHECK_EQ(lapic.n, 1);
}

static void test_edge_pulse_twice(void)
{
    reset();
    set_rte(1, 0x31, DEST(0));
    ioapic_set_irq(&io, 1, true);
    ioapic_set_irq(&io, 1, false);
    ioapic_set_irq(&io, 1, true);
    ioapic_set_irq(&io, 1, false);
    CHECK_EQ(lapic.n, 2);
}

static void test_edge_falling_nothing(void)
{
    reset();
    set_rte(1, 0x31, DEST(0));
    ioapic_set_irq(&io, 1, true);
    ioapic_set_irq(&io, 1, false);
    CHECK_EQ(lapic.n, 1);
    CHECK_EQ(io.irr, 0);
}

static void test_edge_masked_lost(void)
{
    reset();
    set_rte(1, 0x31 | MASKED, DEST(0));
    ioapic_set_irq(&io, 1, true);
    CHECK_EQ(io.irr, 1u << 1);
    set_rte(1, 0x31, DEST(0));
    CHECK_EQ(lapic.n, 0);
    ioapic_set_irq(&io, 1, false);
    ioapic_set_irq(&io, 1, true);
    CHECK_EQ(lapic.n, 1);
}

static void test_edge_no_remote_irr(void)
{
    reset();
    set_rte(1, 0x31, DEST(0));
    ioapic_set_irq(&io, 1, true);
    CHECK(!(rd(lo_reg(1)) & RIRR));
}

static void test_edge_ignores_eoi(void)
{
    reset();
    set_rte(1, 0x31, DEST(0));
    ioapic_set_irq(&io, 1, true);
    ioapic_eoi(&io, 0x31);
    ioapic_mmio_write(&io, IOAPIC_EOI, 0x31);
    CHECK_EQ(lapic.n, 1);
}

static void test_edge_delivs_zero(void)
{
    reset();
    set_rte(1, 0x31, DEST(0));
    ioapic_set_irq(&io, 1, true);
    CHECK(!(rd(lo_reg(1)) & IOAPIC_RTE_DELIVS));
}

/* ---- level ---- */

static void test_level_delivers_sets_rirr(void)
{
    reset();
    make_rirr(9, 0x59);
    CHECK_EQ(lapic.n, 1);
    CHECK(last()->level);
    CHECK_EQ(last()->vector, 0x59);
    CHECK(rd(lo_reg(9)) & RIRR);
}

static void test_level_no_redeliver_while_rirr(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_set_irq(&io, 9, true);
    ioapic_set_irq(&io, 9, false);
    ioapic_set_irq(&io, 9, true);
    CHECK_EQ(lapic.n, 1);
}

static void test_level_eoi_clears_rirr(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_set_irq(&io, 9, false);
    ioapic_eoi(&io, 0x59);
    CHECK(!(rd(lo_reg(9)) & RIRR));
    CHECK_EQ(lapic.n, 1);
}

static void test_level_eoi_redelivers(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_eoi(&io, 0x59);
    CHECK_EQ(lapic.n, 2);
    CHECK(rd(lo_reg(9)) & RIRR);
}

static void test_level_eoi_wrong_vector(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_eoi(&io, 0x58);
    CHECK(rd(lo_reg(9)) & RIRR);
    CHECK_EQ(lapic.n, 1);
}

static void test_level_eoi_register(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_set_irq(&io, 9, false);
    ioapic_mmio_write(&io, IOAPIC_EOI, 0x59);
    CHECK(!(rd(lo_reg(9)) & RIRR));
}

static void test_level_eoi_register_redelivers(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_mmio_write(&io, IOAPIC_EOI, 0x59);
    CHECK_EQ(lapic.n, 2);
}

static void test_eoi_register_low_byte(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_set_irq(&io, 9, false);
    ioapic_mmio_write(&io, IOAPIC_EOI, 0xabcd1259u);
    CHECK(!(rd(lo_reg(9)) & RIRR));
}

static void test_eoi_multiple_entries(void)
{
    reset();
    make_rirr(3, 0x60);
    make_rirr(4, 0x60);
    make_rirr(5, 0x61);
    ioapic_set_irq(&io, 3, false);
    ioapic_set_irq(&io, 4, false);
    ioapic_eoi(&io, 0x60);
    CHECK(!(rd(lo_reg(3)) & RIRR));
    CHECK(!(rd(lo_reg(4)) & RIRR));
    CHECK(rd(lo_reg(5)) & RIRR);
}

static void test_eoi_no_match(void)
{
    reset();
    ioapic_eoi(&io, 0x33);
    CHECK_EQ(lapic.n, 0);
}

static void test_level_deassert_keeps_rirr(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_set_irq(&io, 9, false);
    CHECK(rd(lo_reg(9)) & RIRR);
    CHECK_EQ(io.irr, 0);
}

static void test_level_same_level_twice(void)
{
    reset();
    make_rirr(9, 0x59);
    ioapic_eoi(&io, 0x59);
    ioapic_set_irq(&io, 9, true);
    CHECK_EQ(lapic.n, 2);
}

static void test_level_masked_no_delivery(void)
{
    reset();
    set_rte(6, 0x66 | LEVEL | MASKED, DEST(0));
    ioapic_set_irq(&io, 6, true);
    CHECK_EQ(lapic.n, 0);
    CHECK(!(rd(lo_reg(6)) & RIRR));
}

static void test_level_unmask_asserted_delivers(void)
{
    reset();
    set_rte(6, 0x66 | LEVEL | MASKED, DEST(0));
    ioapic_set_irq(&io, 6, true);
    wr(lo_reg(6), 0x66 | LEVEL);
    CHECK_EQ(lapic.n, 1);
    CHECK(rd(lo_reg(6)) & RIRR);
}

static void test_level_unmask_deasserted_nothing(void)
{
    reset();
    set_rte(6, 0x66 | LEVEL | MASKED, DEST(0));
    ioapic_set_irq(&io, 6, true);
    ioapic_set_irq(&io, 6, false);
    wr(lo_reg(6), 0x66 | LEVEL);
    CHECK_EQ(lapic.n, 0);
}

static void test_level_masked_eoi_waits_for_unmask(void)
{
    reset();
    make_rirr(6, 0x66);
    wr(lo_reg(6), 0x66 | LEVEL | MASKED);
    ioapic_eoi(&io, 0x66);
    CHECK(!(rd(lo_reg(6)) & RIRR));
    CHECK_EQ(lapic.n, 1);
    wr(lo_reg(6), 0x66 | LEVEL);
    CHECK_EQ(lapic.n, 2);
}

static void test_level_to_edge_clears_rirr(void)
{
    reset();
    make_rirr(7, 0x77);
    wr(lo_reg(7), 0x77 | MASKED);
    CHECK(!(rd(lo_reg(7)) & RIRR));
}

static void test_edge_level_toggle_workaround(void)
{
    /* mask, edge, level, unmask with the line still asserted: one new
     * interrupt, as the version-0x11 EOI workaround expects. */
    reset();
    make_rirr(7, 0x77);
    wr(lo_reg(7), 0x77 | LEVEL | MASKED);
    wr(lo_reg(7), 0x77 | MASKED);
    wr(lo_reg(7), 0x77 | LEVEL | MASKED);
    CHECK_EQ(lapic.n, 1);
    wr(lo_reg(7), 0x77 | LEVEL);
    CHECK_EQ(lapic.n, 2);
    CHECK(rd(lo_reg(7)) & RIRR);
}

static void test_edge_to_level_asserted_delivers(void)
{
    reset();
    set_rte(8, 0x88, DEST(0));
    ioapic_set_irq(&io, 8, true);
    CHECK_EQ(lapic.n, 1);
    wr(lo_reg(8), 0x88 | LEVEL);
    CHECK_EQ(lapic.n, 2);
    CHECK(last()->level);
}

static void test_vector_change_while_rirr(void)
{
    reset();
    make_rirr(7, 0x77);
    ioapic_set_irq(&io, 7, false);
    wr(lo_reg(7), 0x78 | LEVEL);
    ioapic_eoi(&io, 0x77);
    CHECK(rd(lo_reg(7)) & RIRR);                /* compared with the new vector */
    ioapic_eoi(&io, 0x78);
    CHECK(!(rd(lo_reg(7)) & RIRR));
}

static void test_pins_independent(void)
{
    reset();
    set_rte(10, 0xa0 | LEVEL, DEST(0));
    set_rte(11, 0xb0, DEST(1));
    ioapic_set_irq(&io, 10, true);
    ioapic_set_irq(&io, 11, true);
    CHECK_EQ(lapic.n, 2);
    CHECK_EQ(lapic.log[0].vector, 0xa0);
    CHECK_EQ(lapic.log[1].vector, 0xb0);
    CHECK_EQ(io.irr, (1u << 10) | (1u << 11));
}

static void test_pin_out_of_range(void)
{
    reset();
    ioapic_set_irq(&io, 24, true);
    ioapic_set_irq(&io, 1000, true);
    CHECK_EQ(io.irr, 0);
    CHECK_EQ(lapic.n, 0);
}

static void test_reentrant_eoi_from_deliver(void)
{
    reset();
    lapic.eoi_on_deliver = 1;
    make_rirr(12, 0xc0);
    CHECK_EQ(lapic.n, 2);                       /* EOI'd once, sent again */
    CHECK(rd(lo_reg(12)) & RIRR);
}

static void test_nmi_level_acts_edge(void)
{
    reset();
    set_rte(13, DM(APIC_DM_NMI) | LEVEL, DEST(0));
    ioapic_set_irq(&io, 13, true);
    CHECK_EQ(lapic.n, 1);
    CHECK(!(rd(lo_reg(13)) & RIRR));
    CHECK(!last()->level);
    ioapic_set_irq(&io, 13, true);
    CHECK_EQ(lapic.n, 1);
    ioapic_set_irq(&io, 13, false);
    ioapic_set_irq(&io, 13, true);
    CHECK_EQ(lapic.n, 2);
}

static void test_level_to_nmi_clears_rirr(void)
{
    reset();
    make_rirr(13, 0x3d);
    wr(lo_reg(13), 0x3d | DM(APIC_DM_NMI) | LEVEL);
    CHECK(!(rd(lo_reg(13)) & RIRR));
}

/* ---- messages ---- */

static void deliver_one(uint32_t lo, uint32_t hi)
{
    reset();
    set_rte(2, lo, hi);
    ioapic_set_irq(&io, 2, true);
}

static void test_msg_fixed_physical(void)
{
    deliver_one(0x41 | DM(APIC_DM_FIXED), DEST(0x03));
    CHECK_EQ(lapic.n, 1);
    CHECK_EQ(last()->dest, 3);
    CHECK_EQ(last()->vector, 0x41);
    CHECK_EQ(last()->dm, APIC_DM_FIXED);
    CHECK(!last()->logical);
    CHECK(!last()->level);
}

static void test_msg_common_fields(void)
{
    deliver_one(0x41, DEST(0x03));
    CHECK(last()->assert);
    CHECK(!last()->x2apic);
    CHECK_EQ(last()->shorthand, APIC_SH_NONE);
    CHECK_EQ(last()->source, -1);
}

static void test_msg_logical(void)
{
    deliver_one(0x42 | (uint32_t)IOAPIC_RTE_DEST_LOGICAL, DEST(0x0f));
    CHECK(last()->logical);
    CHECK_EQ(last()->dest, 0x0f);
}

static void test_msg_lowest(void)
{
    deliver_one(0x43 | DM(APIC_DM_LOWEST) | (uint32_t)IOAPIC_RTE_DEST_LOGICAL, DEST(0xff));
    CHECK_EQ(last()->dm, APIC_DM_LOWEST);
    CHECK_EQ(last()->dest, 0xff);
}

static void test_msg_lowest_level(void)
{
    deliver_one(0x43 | DM(APIC_DM_LOWEST) | LEVEL, DEST(1));
    CHECK(last()->level);
    CHECK(rd(lo_reg(2)) & RIRR);
}

static void test_msg_fixed_level(void)
{
    deliver_one(0x44 | LEVEL, DEST(2));
    CHECK(last()->level);
    CHECK_EQ(last()->dm, APIC_DM_FIXED);
}

static void test_msg_smi(void)
{
    deliver_one(DM(APIC_DM_SMI) | LEVEL, DEST(0));
    CHECK_EQ(lapic.n, 1);
    CHECK_EQ(last()->dm, APIC_DM_SMI);
    CHECK(!last()->level);
}

static void test_msg_nmi(void)
{
    deliver_one(DM(APIC_DM_NMI), DEST(5));
    CHECK_EQ(last()->dm, APIC_DM_NMI);
    CHECK_EQ(last()->dest, 5);
}

static void test_msg_init(void)
{
    deliver_one(DM(APIC_DM_INIT), DEST(6));
    CHECK_EQ(last()->dm, APIC_DM_INIT);
    CHECK(last()->assert);
    CHECK(!last()->level);
}

static void test_msg_extint(void)
{
    deliver_one(DM(APIC_DM_EXTINT), DEST(0));
    CHECK_EQ(lapic.n, 1);
    CHECK_EQ(last()->dm, APIC_DM_EXTINT);
    CHECK(!last()->level);
}

static void test_msg_reserved_modes(void)
{
    deliver_one(0x45 | DM(3), DEST(0));
    CHECK_EQ(lapic.n, 0);
    deliver_one(0x45 | DM(6), DEST(0));
    CHECK_EQ(lapic.n, 0);
    deliver_one(0x45 | DM(6) | LEVEL, DEST(0));
    CHECK_EQ(lapic.n, 0);
    CHECK(!(rd(lo_reg(2)) & RIRR));
}

static void test_msg_edid_ignored(void)
{
    deliver_one(0x46, DEST(0x12) | 0x00ab0000u);
    CHECK_EQ(last()->dest, 0x12);
}

static void test_rte_to_msg_pure(void)
{
    struct apic_msg m;
    uint64_t e = ((uint64_t)0x5a << 56) | IOAPIC_RTE_DEST_LOGICAL | IOAPIC_RTE_LEVEL |
                 IOAPIC_RTE_MASKED | IOAPIC_RTE_REMOTE_IRR | ((uint64_t)APIC_DM_LOWEST << 8) | 0x9e;

    memset(&m, 0xa5, sizeof(m));
    ioapic_rte_to_msg(e, &m);
    CHECK_EQ(m.dest, 0x5a);
    CHECK_EQ(m.vector, 0x9e);
    CHECK_EQ(m.dm, APIC_DM_LOWEST);
    CHECK(m.logical);
    CHECK(m.level);
    CHECK(m.assert);
    CHECK_EQ(m.shorthand, 0);
    CHECK_EQ(m.source, -1);
}

static void test_rte_is_level(void)
{
    CHECK(ioapic_rte_is_level(IOAPIC_RTE_LEVEL));
    CHECK(ioapic_rte_is_level(IOAPIC_RTE_LEVEL | ((uint64_t)APIC_DM_LOWEST << 8)));
    CHECK(!ioapic_rte_is_level(0));
    CHECK(!ioapic_rte_is_level(IOAPIC_RTE_LEVEL | ((uint64_t)APIC_DM_SMI << 8)));
    CHECK(!ioapic_rte_is_level(IOAPIC_RTE_LEVEL | ((uint64_t)APIC_DM_NMI << 8)));
    CHECK(!ioapic_rte_is_level(IOAPIC_RTE_LEVEL | ((uint64_t)APIC_DM_INIT << 8)));
    CHECK(!ioapic_rte_is_level(IOAPIC_RTE_LEVEL | ((uint64_t)APIC_DM_EXTINT << 8)));
    CHECK(ioapic_rte_is_level(IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED));
}

static void test_msg_every_dest_bit(void)
{
    unsigned b;
    bool ok = true;

    for (b = 0; b < 8; b++) {
        deliver_one(0x50, DEST(1u << b));
        if (last()->dest != (1u << b))
            ok = false;
    }
    CHECK(ok);
}

/* The EOI-exit set: unmasked level entries with fixed or lowest-priority
 * delivery, nothing else. */
static void test_level_vectors(void)
{
    uint64_t v[4];

    ioapic_level_vectors(&io, v);
    CHECK(!v[0] && !v[1] && !v[2] && !v[3]);            /* all masked at reset */
    set_rte(1, 0x31 | LEVEL, 0);
    set_rte(2, 0x72 | LEVEL | DM(APIC_DM_LOWEST), 0);
    set_rte(3, 0xc3, 0);                                /* edge */
    set_rte(4, 0xf4 | LEVEL | MASKED, 0);               /* masked */
    set_rte(5, 0xf5 | LEVEL | DM(APIC_DM_NMI), 0);      /* not a vector delivery */
    set_rte(6, 0xff | LEVEL, 0);
    ioapic_level_vectors(&io, v);
    CHECK_EQ(v[0], 1ull << 0x31);
    CHECK_EQ(v[1], 1ull << (0x72 - 64));
    CHECK_EQ(v[2], 0ull);
    CHECK_EQ(v[3], 1ull << 63);
    set_rte(1, 0x31 | LEVEL | MASKED, 0);
    ioapic_level_vectors(&io, v);
    CHECK_EQ(v[0], 0ull);
    for (unsigned pin = 1; pin <= 6; pin++)
        set_rte(pin, MASKED, 0);
}

/* With a remapping unit behind it (VT-d 5.1.5.1): a remappable entry as
 * Linux writes it (format bit 48, index 63:49 and 11, the pin number in the
 * vector field, level) reaches deliver_rte whole; Remote IRR follows the
 * RTE's trigger, and the EOI register with the RTE's vector (the pin)
 * clears it, so a still-asserted pin sends again. */
static uint64_t rte_seen[MAX_LOG];
static unsigned rte_n;

static void fake_deliver_rte(void *ctx, uint64_t r, const struct apic_msg *m)
{
    (void)ctx;
    (void)m;
    if (rte_n < MAX_LOG)
        rte_seen[rte_n] = r;
    rte_n++;
}

static const struct ioapic_ops ir_ops = { .deliver = fake_deliver, .deliver_rte = fake_deliver_rte };

static void test_remappable_rte_to_unit(void)
{
    /* index 0x8009: bits 63:49 = 9, bit 11 = index[15]; format bit 48 */
    const uint32_t hi = (9u << 17) | (1u << 16), lo = LEVEL | (1u << 11) | 9u;

    memset(&lapic, 0, sizeof(lapic));
    rte_n = 0;
    ioapic_init(&io, 0, &ir_ops, &io);
    set_rte(9, lo, hi);
    CHECK_EQ(rte(9), ((uint64_t)hi << 32) | lo);   /* every remappable bit kept */
    ioapic_set_irq(&io, 9, true);
    CHECK_EQ(rte_n, 1);
    CHECK_EQ(lapic.n, 0);                          /* not the plain path */
    CHECK_EQ(rte_seen[0], ((uint64_t)hi << 32) | lo);
    CHECK(rte(9) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_mmio_write(&io, IOAPIC_EOI, 0x31);      /* another vector: no effect */
    CHECK(rte(9) & IOAPIC_RTE_REMOTE_IRR);
    ioapic_mmio_write(&io, IOAPIC_EOI, 9);         /* the RTE's vector field */
    CHECK_EQ(rte_n, 2);                            /* still asserted: sent again */
    ioapic_set_irq(&io, 9, false);
    ioapic_mmio_write(&io, IOAPIC_EOI, 9);
    CHECK(!(rte(9) & IOAPIC_RTE_REMOTE_IRR));
    CHECK_EQ(rte_n, 2);
}

int main(void)
{
    test_level_vectors();
    test_init_id();
    test_init_id_4_bits();
    test_init_rtes_masked();
    test_ver();
    test_ver_read_only();
    test_arb_follows_id_at_init();
    test_id_write_updates_arb();
    test_id_write_masks();
    test_arb_read_only();
    test_ioregsel_readback();
    test_ioregsel_8_bits();
    test_ioregsel_persists();
    test_unimplemented_regs_read_0();
    test_unimplemented_regs_write_ignored();
    test_other_offsets_read_0();
    test_other_offsets_write_ignored();
    test_eoi_register_reads_0();
    test_rte_low_readback();
    test_rte_high_readback();
    test_rte_reserved_low_bits();
    test_rte_delivs_read_only();
    test_rte_remote_irr_not_settable();
    test_rte_low_write_keeps_rirr();
    test_rte_high_write_keeps_rirr();
    test_rte_last_entry();
    test_rte_beyond_last();
    test_rte_independent();
    test_polarity_stored_not_applied();
    test_reinit_resets();
    test_edge_rising_delivers();
    test_edge_no_redeliver_while_high();
    test_edge_pulse_twice();
    test_edge_falling_nothing();
    test_edge_masked_lost();
    test_edge_no_remote_irr();
    test_edge_ignores_eoi();
    test_edge_delivs_zero();
    test_level_delivers_sets_rirr();
    test_level_no_redeliver_while_rirr();
    test_level_eoi_clears_rirr();
    test_level_eoi_redelivers();
    test_level_eoi_wrong_vector();
    test_level_eoi_register();
    test_level_eoi_register_redelivers();
    test_eoi_register_low_byte();
    test_eoi_multiple_entries();
    test_eoi_no_match();
    test_level_deassert_keeps_rirr();
    test_level_same_level_twice();
    test_level_masked_no_delivery();
    test_level_unmask_asserted_delivers();
    test_level_unmask_deasserted_nothing();
    test_level_masked_eoi_waits_for_unmask();
    test_level_to_edge_clears_rirr();
    test_edge_level_toggle_workaround();
    test_edge_to_level_asserted_delivers();
    test_vector_change_while_rirr();
    test_pins_independent();
    test_pin_out_of_range();
    test_reentrant_eoi_from_deliver();
    test_nmi_level_acts_edge();
    test_level_to_nmi_clears_rirr();
    test_msg_fixed_physical();
    test_msg_common_fields();
    test_msg_logical();
    test_msg_lowest();
    test_msg_lowest_level();
    test_msg_fixed_level();
    test_msg_smi();
    test_msg_nmi();
    test_msg_init();
    test_msg_extint();
    test_msg_reserved_modes();
    test_msg_edid_ignored();
    test_rte_to_msg_pure();
    test_rte_is_level();
    test_msg_every_dest_bit();
    test_remappable_rte_to_unit();
    return check_report("test_ioapic");
}
