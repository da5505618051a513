/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/pic.c. */
#include "check.h"
#include "hv/dev/pic.h"

#include <stdbool.h>
#include <string.h>

static struct pic_pair pic;

/* The fake CPU side: INT changes seen through ops->intr_changed. */
static struct {
    unsigned changes;
    bool level;
    bool ack_on_assert;          /* run the INTA from inside the callback */
    int acked;
} cpu;

static void fake_intr(void *ctx, bool asserted)
{
    struct pic_pair *p = ctx;

    cpu.changes++;
    cpu.level = asserted;
    if (asserted && cpu.ack_on_assert) {
        cpu.ack_on_assert = false;
        cpu.acked = pic_ack(p);
    }
}

static const struct pic_ops ops = { .intr_changed = fake_intr };

static void out(uint16_t port, uint8_t v)
{
    CHECK(pic_io_write(&pic, port, v));
}

static uint8_t in(uint16_t port)
{
    uint8_t v = 0x5a;

    CHECK(pic_io_read(&pic, port, &v));
    return v;
}

static void power_on(void)
{
    memset(&cpu, 0, sizeof(cpu));
    pic_init(&pic, &ops, &pic);
}

/* The PC initialisation (as BIOSes and Linux do it), bases 0x20 / 0x28,
 * icw4 for both chips, everything unmasked. */
static void init_icw4(uint8_t icw4)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    out(PIC_MASTER_DATA, 0x20);
    out(PIC_MASTER_DATA, 1u << PIC_CASCADE_IRQ);
    out(PIC_MASTER_DATA, icw4);
    out(PIC_SLAVE_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    out(PIC_SLAVE_DATA, 0x28);
    out(PIC_SLAVE_DATA, PIC_CASCADE_IRQ);
    out(PIC_SLAVE_DATA, icw4);
    out(PIC_MASTER_DATA, 0x00);
    out(PIC_SLAVE_DATA, 0x00);
}

static void init(void)
{
    init_icw4(PIC_ICW4_UPM);
}

static void pulse(unsigned irq)
{
    pic_set_irq(&pic, irq, true);
    pic_set_irq(&pic, irq, false);
}

static void eoi_master(void)
{
    out(PIC_MASTER_CMD, PIC_OCW2_NS_EOI);
}

static void eoi_slave(void)
{
    out(PIC_SLAVE_CMD, PIC_OCW2_NS_EOI);
}

static uint8_t master_isr(void)
{
    uint8_t v;

    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_RR | PIC_OCW3_RIS);
    v = in(PIC_MASTER_CMD);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_RR);
    return v;
}

static uint8_t slave_isr(void)
{
    uint8_t v;

    out(PIC_SLAVE_CMD, PIC_OCW3_SEL | PIC_OCW3_RR | PIC_OCW3_RIS);
    v = in(PIC_SLAVE_CMD);
    out(PIC_SLAVE_CMD, PIC_OCW3_SEL | PIC_OCW3_RR);
    return v;
}

/* ---- power-on and initialisation ---- */

static void test_poweron_masked(void)
{
    power_on();
    CHECK_EQ(in(PIC_MASTER_DATA), 0xff);
    CHECK_EQ(in(PIC_SLAVE_DATA), 0xff);
    CHECK(!pic_output(&pic));
}

static void test_poweron_irq_no_int(void)
{
    power_on();
    pic_set_irq(&pic, 0, true);
    pic_set_irq(&pic, 9, true);
    CHECK(!pic_output(&pic));
    CHECK_EQ(in(PIC_MASTER_CMD), 0x01);   /* IRR still latches */
    CHECK_EQ(cpu.changes, 0);
}

static void test_poweron_unmask_cascaded(void)
{
    power_on();
    out(PIC_MASTER_DATA, 0xfb);
    out(PIC_SLAVE_DATA, 0xfe);
    pic_set_irq(&pic, 8, true);
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x00);        /* vector base 0, slave IR0 */
}

static void test_poweron_elcr(void)
{
    power_on();
    CHECK_EQ(in(PIC_ELCR_MASTER), 0);
    CHECK_EQ(in(PIC_ELCR_SLAVE), 0);
}

static void test_ports_not_ours(void)
{
    static const uint16_t ports[] = { 0x22, 0x60, 0xa2, 0x4d2, 0x1f, 0x9f, 0x4cf };
    unsigned i;
    uint8_t v;
    bool ok = true;

    power_on();
    for (i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        v = 0x5a;
        if (pic_io_read(&pic, ports[i], &v) || v != 0x5a)
            ok = false;
        if (pic_io_write(&pic, ports[i], 0x11))
            ok = false;
    }
    CHECK(ok);
    CHECK_EQ(in(PIC_MASTER_DATA), 0xff);
}

static void test_icw1_clears_imr(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    CHECK_EQ(in(PIC_MASTER_DATA), 0x00);
    CHECK_EQ(in(PIC_SLAVE_DATA), 0xff);
}

static void test_init_vector_base(void)
{
    init();
    pulse(0);
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x20);
    eoi_master();
    pulse(6);
    CHECK_EQ(pic_ack(&pic), 0x26);
}

static void test_icw2_low_bits_ignored(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_SNGL | PIC_ICW1_IC4);
    out(PIC_MASTER_DATA, 0x47);
    out(PIC_MASTER_DATA, PIC_ICW4_UPM);
    pulse(1);
    CHECK_EQ(pic_ack(&pic), 0x41);
}

static void test_icw_single_skips_icw3(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_SNGL | PIC_ICW1_IC4);
    out(PIC_MASTER_DATA, 0x50);
    out(PIC_MASTER_DATA, PIC_ICW4_UPM | PIC_ICW4_AEOI);  /* ICW4, not ICW3 */
    CHECK_EQ(pic.chip[0].icw4, PIC_ICW4_UPM | PIC_ICW4_AEOI);
    out(PIC_MASTER_DATA, 0xf0);                          /* now OCW1 */
    CHECK_EQ(in(PIC_MASTER_DATA), 0xf0);
}

static void test_icw_no_icw4(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT);
    out(PIC_MASTER_DATA, 0x60);
    out(PIC_MASTER_DATA, 0x04);                          /* ICW3 */
    out(PIC_MASTER_DATA, 0xee);                          /* OCW1 */
    CHECK_EQ(in(PIC_MASTER_DATA), 0xee);
    CHECK_EQ(pic.chip[0].icw4, 0);
    CHECK_EQ(pic.chip[0].icw3, 0x04);
}

static void test_icw_single_no_icw4(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_SNGL);
    out(PIC_MASTER_DATA, 0x68);
    out(PIC_MASTER_DATA, 0x7f);                          /* OCW1 */
    CHECK_EQ(in(PIC_MASTER_DATA), 0x7f);
    pulse(7);
    CHECK_EQ(pic_ack(&pic), 0x6f);
}

static void test_icw3_stored(void)
{
    init();
    CHECK_EQ(pic.chip[0].icw3, 0x04);
    CHECK_EQ(pic.chip[1].icw3, 0x02);
}

static void test_int_held_during_init(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_SNGL | PIC_ICW1_IC4);
    pulse(3);
    CHECK(!pic_output(&pic));
    out(PIC_MASTER_DATA, 0x30);
    CHECK(!pic_output(&pic));
    out(PIC_MASTER_DATA, PIC_ICW4_UPM);
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x33);
}

static void test_icw1_clears_irr_isr(void)
{
    init();
    pulse(3);
    pulse(4);
    CHECK_EQ(pic_ack(&pic), 0x23);
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    CHECK_EQ(in(PIC_MASTER_CMD), 0);
    CHECK_EQ(pic.chip[0].isr, 0);
}

static void test_icw1_edge_sense_reset(void)
{
    init();
    pic_set_irq(&pic, 5, true);
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    out(PIC_MASTER_DATA, 0x20);
    out(PIC_MASTER_DATA, 0x04);
    out(PIC_MASTER_DATA, PIC_ICW4_UPM);
    CHECK(!pic_output(&pic));             /* still high: no new edge */
    pic_set_irq(&pic, 5, false);
    pic_set_irq(&pic, 5, true);
    CHECK(pic_output(&pic));
}

static void test_icw1_resets_read_select(void)
{
    init();
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_RR | PIC_OCW3_RIS);
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    CHECK(!pic.chip[0].read_isr);
}

static void test_icw1_resets_priority(void)
{
    init();
    out(PIC_MASTER_CMD, PIC_OCW2_SET_PRIO | 3);
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    CHECK_EQ(pic.chip[0].lowest, 7);
}

static void test_icw1_clears_special_mask(void)
{
    init();
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_ESMM | PIC_OCW3_SMM);
    CHECK(pic.chip[0].special_mask);
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    CHECK(!pic.chip[0].special_mask);
}

static void test_icw1_no_ic4_clears_aeoi(void)
{
    init_icw4(PIC_ICW4_UPM | PIC_ICW4_AEOI);
    out(PIC_MASTER_CMD, PIC_ICW1_INIT);
    out(PIC_MASTER_DATA, 0x20);
    out(PIC_MASTER_DATA, 0x04);
    pulse(1);
    CHECK_EQ(pic_ack(&pic), 0x21);
    CHECK_EQ(master_isr(), 0x02);         /* no automatic EOI any more */
}

/* ---- masks and requests ---- */

static void test_ocw1_readback(void)
{
    init();
    out(PIC_MASTER_DATA, 0xa5);
    out(PIC_SLAVE_DATA, 0x3c);
    CHECK_EQ(in(PIC_MASTER_DATA), 0xa5);
    CHECK_EQ(in(PIC_SLAVE_DATA), 0x3c);
}

static void test_masked_request_latched(void)
{
    init();
    out(PIC_MASTER_DATA, 0x10);
    pulse(4);
    CHECK(!pic_output(&pic));
    CHECK_EQ(in(PIC_MASTER_CMD), 0x10);
    out(PIC_MASTER_DATA, 0x00);
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x24);
}

static void test_mask_drops_int(void)
{
    init();
    pulse(4);
    CHECK(pic_output(&pic));
    out(PIC_MASTER_DATA, 0x10);
    CHECK(!pic_output(&pic));
}

static void test_ack_sets_isr_clears_irr(void)
{
    init();
    pulse(3);
    CHECK_EQ(pic_ack(&pic), 0x23);
    CHECK_EQ(master_isr(), 0x08);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x00);   /* IRR */
    CHECK(!pic_output(&pic));
}

static void test_edge_pulse_latched(void)
{
    init();
    out(PIC_MASTER_DATA, 0xff);
    pulse(5);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x20);
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x25);
}

static void test_edge_no_retrigger_while_high(void)
{
    init();
    pic_set_irq(&pic, 5, true);
    CHECK_EQ(pic_ack(&pic), 0x25);
    eoi_master();
    pic_set_irq(&pic, 5, true);
    CHECK(!pic_output(&pic));
    CHECK_EQ(in(PIC_MASTER_CMD), 0x00);
}

static void test_irq2_ignored(void)
{
    init();
    pic_set_irq(&pic, 2, true);
    CHECK(!pic_output(&pic));
    CHECK_EQ(in(PIC_MASTER_CMD), 0x00);
}

static void test_irq_out_of_range(void)
{
    init();
    pic_set_irq(&pic, 16, true);
    pic_set_irq(&pic, 100, true);
    CHECK(!pic_output(&pic));
}

/* ---- priority ---- */

static void test_priority_simultaneous(void)
{
    init();
    out(PIC_MASTER_DATA, 0xff);
    pulse(1);
    pulse(0);
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x20);
}

static void test_priority_full_order(void)
{
    static const uint8_t want[] = { 0x20, 0x21, 0x23, 0x24, 0x25, 0x26, 0x27 };
    unsigned i, ir;
    bool ok = true;

    init();
    out(PIC_MASTER_DATA, 0xff);
    for (ir = 7; ir < 8; ir--)
        if (ir != 2)
            pulse(ir);
    out(PIC_MASTER_DATA, 0x00);
    for (i = 0; i < sizeof(want); i++) {
        if (pic_ack(&pic) != want[i])
            ok = false;
        eoi_master();
    }
    CHECK(ok);
    CHECK(!pic_output(&pic));
}

static void test_isr_blocks_lower(void)
{
    init();
    pulse(3);
    pic_ack(&pic);
    pulse(5);
    CHECK(!pic_output(&pic));
    eoi_master();
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x25);
}

static void test_higher_preempts(void)
{
    init();
    pulse(5);
    pic_ack(&pic);
    pulse(3);
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x23);
    CHECK_EQ(master_isr(), 0x28);
}

static void test_equal_blocked(void)
{
    init();
    pulse(4);
    pic_ack(&pic);
    pulse(4);
    CHECK(!pic_output(&pic));
    eoi_master();
    CHECK_EQ(pic_ack(&pic), 0x24);
}

/* ---- EOI ---- */

static void test_nonspecific_eoi_highest(void)
{
    init();
    pulse(5);
    pic_ack(&pic);
    pulse(3);
    pic_ack(&pic);
    eoi_master();
    CHECK_EQ(master_isr(), 0x20);
    eoi_master();
    CHECK_EQ(master_isr(), 0x00);
}

static void test_specific_eoi(void)
{
    init();
    pulse(5);
    pic_ack(&pic);
    pulse(3);
    pic_ack(&pic);
    out(PIC_MASTER_CMD, PIC_OCW2_SPEC_EOI | 5);
    CHECK_EQ(master_isr(), 0x08);
}

static void test_specific_eoi_not_in_service(void)
{
    init();
    pulse(5);
    pic_ack(&pic);
    out(PIC_MASTER_CMD, PIC_OCW2_SPEC_EOI | 6);
    CHECK_EQ(master_isr(), 0x20);
}

static void test_eoi_empty_isr(void)
{
    init();
    eoi_master();
    CHECK_EQ(master_isr(), 0);
    CHECK(!pic_output(&pic));
}

static void test_eoi_releases_lower(void)
{
    init();
    pulse(1);
    pic_ack(&pic);
    pulse(6);
    pulse(4);
    CHECK(!pic_output(&pic));
    eoi_master();
    CHECK_EQ(pic_ack(&pic), 0x24);
}

static void test_rotate_nonspecific_eoi(void)
{
    init();
    pulse(0);
    pic_ack(&pic);
    out(PIC_MASTER_CMD, PIC_OCW2_ROT_NS_EOI);
    CHECK_EQ(pic.chip[0].lowest, 0);
    out(PIC_MASTER_DATA, 0xff);
    pulse(0);
    pulse(1);
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x21);        /* IR1 is now the highest */
}

static void test_rotate_specific_eoi(void)
{
    init();
    pulse(4);
    pic_ack(&pic);
    out(PIC_MASTER_CMD, PIC_OCW2_ROT_SPEC_EOI | 4);
    CHECK_EQ(master_isr(), 0);
    out(PIC_MASTER_DATA, 0xff);
    pulse(3);
    pulse(5);
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x25);        /* 5 highest, 4 lowest */
}

static void test_set_priority(void)
{
    init();
    out(PIC_MASTER_CMD, PIC_OCW2_SET_PRIO | 5);
    out(PIC_MASTER_DATA, 0xff);
    pulse(0);
    pulse(6);
    pulse(5);
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x26);        /* order 6 7 0 1 2 3 4 5 */
    CHECK(!pic_output(&pic));             /* 0 ranks below 6 in service */
    eoi_master();
    CHECK_EQ(pic_ack(&pic), 0x20);        /* 0 beats 5 (the lowest) */
}

static void test_rotated_isr_blocking(void)
{
    init();
    out(PIC_MASTER_CMD, PIC_OCW2_SET_PRIO | 3);   /* order 4 5 6 7 0 1 2 3 */
    pulse(6);
    pic_ack(&pic);
    pulse(1);
    CHECK(!pic_output(&pic));             /* 1 ranks below 6 now */
    pulse(5);
    CHECK_EQ(pic_ack(&pic), 0x25);
}

static void test_ocw2_nop(void)
{
    init();
    pulse(5);
    pic_ack(&pic);
    out(PIC_MASTER_CMD, PIC_OCW2_NOP | 5);
    CHECK_EQ(master_isr(), 0x20);
    CHECK_EQ(pic.chip[0].lowest, 7);
}

/* ---- auto-EOI ---- */

static void test_aeoi_no_isr(void)
{
    init_icw4(PIC_ICW4_UPM | PIC_ICW4_AEOI);
    pulse(3);
    CHECK_EQ(pic_ack(&pic), 0x23);
    CHECK_EQ(master_isr(), 0);
    pulse(4);
    CHECK(pic_output(&pic));              /* nothing in service blocks */
}

static void test_aeoi_rotate(void)
{
    init_icw4(PIC_ICW4_UPM | PIC_ICW4_AEOI);
    out(PIC_MASTER_CMD, PIC_OCW2_ROT_AEOI_SET);
    pulse(0);
    CHECK_EQ(pic_ack(&pic), 0x20);
    CHECK_EQ(pic.chip[0].lowest, 0);
    out(PIC_MASTER_DATA, 0xff);
    pulse(0);
    pulse(3);
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x23);
}

static void test_aeoi_rotate_clear(void)
{
    init_icw4(PIC_ICW4_UPM | PIC_ICW4_AEOI);
    out(PIC_MASTER_CMD, PIC_OCW2_ROT_AEOI_SET);
    out(PIC_MASTER_CMD, PIC_OCW2_ROT_AEOI_CLR);
    pulse(4);
    pic_ack(&pic);
    CHECK_EQ(pic.chip[0].lowest, 7);
}

static void test_aeoi_slave_back_to_back(void)
{
    init_icw4(PIC_ICW4_UPM | PIC_ICW4_AEOI);
    out(PIC_MASTER_DATA, 0xff);
    pulse(9);
    pulse(12);
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x29);
    CHECK(pic_output(&pic));              /* the slave still requests */
    CHECK_EQ(pic_ack(&pic), 0x2c);
    CHECK(!pic_output(&pic));
}

/* ---- OCW3 reads, poll, special mask ---- */

static void test_read_irr_default(void)
{
    init();
    out(PIC_MASTER_DATA, 0xff);
    pulse(6);
    pulse(1);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x42);
}

static void test_read_isr(void)
{
    init();
    pulse(6);
    pic_ack(&pic);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_RR | PIC_OCW3_RIS);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x40);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x40);   /* selection sticks */
}

static void test_ocw3_rr0_keeps_selection(void)
{
    init();
    pulse(6);
    pic_ack(&pic);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_RR | PIC_OCW3_RIS);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_RIS);     /* RR = 0 */
    CHECK_EQ(in(PIC_MASTER_CMD), 0x40);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_RR);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x00);
}

static void test_data_port_reads_imr(void)
{
    init();
    out(PIC_MASTER_DATA, 0x81);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_RR | PIC_OCW3_RIS);
    CHECK_EQ(in(PIC_MASTER_DATA), 0x81);
}

static void test_poll(void)
{
    init();
    out(PIC_MASTER_DATA, 0xff);
    pulse(6);
    pulse(4);
    out(PIC_MASTER_DATA, 0x00);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_P);
    CHECK_EQ(in(PIC_MASTER_CMD), PIC_POLL_INT | 4);
    CHECK_EQ(master_isr(), 0x10);
    CHECK(!pic_output(&pic));             /* 6 is below 4 in service */
}

static void test_poll_nothing(void)
{
    init();
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_P);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x00);
    CHECK_EQ(master_isr(), 0);
}

static void test_poll_one_shot(void)
{
    init();
    pulse(4);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_P);
    CHECK_EQ(in(PIC_MASTER_CMD), PIC_POLL_INT | 4);
    pulse(3);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x08);   /* back to reading IRR */
}

static void test_poll_data_port(void)
{
    init();
    pulse(7);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_P);
    CHECK_EQ(in(PIC_MASTER_DATA), PIC_POLL_INT | 7);
    CHECK_EQ(in(PIC_MASTER_DATA), 0x00);  /* IMR again */
}

static void test_poll_overrides_rr(void)
{
    init();
    pulse(5);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_P | PIC_OCW3_RR | PIC_OCW3_RIS);
    CHECK_EQ(in(PIC_MASTER_CMD), PIC_POLL_INT | 5);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x20);   /* then the RR selection: ISR */
}

static void test_poll_no_aeoi(void)
{
    init_icw4(PIC_ICW4_UPM | PIC_ICW4_AEOI);
    pulse(5);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_P);
    CHECK_EQ(in(PIC_MASTER_CMD), PIC_POLL_INT | 5);
    CHECK_EQ(master_isr(), 0x20);
}

static void test_poll_slave(void)
{
    init();
    out(PIC_MASTER_DATA, 0xff);
    pulse(13);
    out(PIC_SLAVE_CMD, PIC_OCW3_SEL | PIC_OCW3_P);
    CHECK_EQ(in(PIC_SLAVE_CMD), PIC_POLL_INT | 5);
    CHECK_EQ(slave_isr(), 0x20);
}

static void test_special_mask_allows_lower(void)
{
    init();
    pulse(3);
    pic_ack(&pic);
    out(PIC_MASTER_DATA, 0x08);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_ESMM | PIC_OCW3_SMM);
    pulse(5);
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x25);
}

static void test_no_special_mask_blocks(void)
{
    init();
    pulse(3);
    pic_ack(&pic);
    out(PIC_MASTER_DATA, 0x08);
    pulse(5);
    CHECK(!pic_output(&pic));
}

static void test_special_mask_unmasked_isr_blocks(void)
{
    init();
    pulse(3);
    pic_ack(&pic);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_ESMM | PIC_OCW3_SMM);
    pulse(5);
    CHECK(!pic_output(&pic));
}

static void test_special_mask_eoi_skips_masked(void)
{
    init();
    pulse(5);
    pic_ack(&pic);
    pulse(3);
    pic_ack(&pic);                        /* ISR 3 and 5 */
    out(PIC_MASTER_DATA, 0x08);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_ESMM | PIC_OCW3_SMM);
    eoi_master();
    CHECK_EQ(master_isr(), 0x08);         /* 5 cleared, masked 3 kept */
}

static void test_special_mask_reset(void)
{
    init();
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_ESMM | PIC_OCW3_SMM);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_SMM);    /* ESMM = 0: no change */
    CHECK(pic.chip[0].special_mask);
    out(PIC_MASTER_CMD, PIC_OCW3_SEL | PIC_OCW3_ESMM);
    CHECK(!pic.chip[0].special_mask);
}

/* ---- cascade ---- */

static void test_cascade_vector(void)
{
    init();
    pulse(10);
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x2a);
    CHECK_EQ(master_isr(), 0x04);
    CHECK_EQ(slave_isr(), 0x04);
    CHECK(!pic_output(&pic));
}

static void test_cascade_priority(void)
{
    init();
    out(PIC_MASTER_DATA, 0xff);
    pulse(3);
    pulse(8);
    pulse(1);
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x21);
    eoi_master();
    CHECK_EQ(pic_ack(&pic), 0x28);
    eoi_slave();
    eoi_master();
    CHECK_EQ(pic_ack(&pic), 0x23);
}

static void test_cascade_eoi_both(void)
{
    init();
    pulse(14);
    pic_ack(&pic);
    pulse(15);
    eoi_slave();
    CHECK(!pic_output(&pic));             /* master IR2 still in service */
    eoi_master();
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x2f);
}

static void test_cascade_master_mask(void)
{
    init();
    out(PIC_MASTER_DATA, 0x04);
    pulse(12);
    CHECK(!pic_output(&pic));
    out(PIC_MASTER_DATA, 0x00);
    CHECK_EQ(pic_ack(&pic), 0x2c);
}

static void test_slave_isr_blocks_slave_lower(void)
{
    init();
    pulse(9);
    pic_ack(&pic);
    eoi_master();                         /* master free, slave 9 in service */
    pulse(11);
    CHECK(!pic_output(&pic));
    eoi_slave();
    CHECK_EQ(pic_ack(&pic), 0x2b);
}

static void test_slave_higher_waits_for_master(void)
{
    init();
    pulse(11);
    pic_ack(&pic);
    pulse(9);                             /* above 11 on the slave */
    CHECK(!pic_output(&pic));             /* master IR2 in service */
    eoi_master();
    CHECK_EQ(pic_ack(&pic), 0x29);
    CHECK_EQ(slave_isr(), 0x0a);
}

static void test_sfnm_nested_slave(void)
{
    init_icw4(PIC_ICW4_UPM | PIC_ICW4_SFNM);
    pulse(11);
    pic_ack(&pic);
    pulse(9);
    CHECK(pic_output(&pic));              /* the slave is not locked out */
    CHECK_EQ(pic_ack(&pic), 0x29);
    pulse(12);
    CHECK(!pic_output(&pic));             /* below 9 on the slave */
}

static void test_sfnm_keeps_master_nesting(void)
{
    init_icw4(PIC_ICW4_UPM | PIC_ICW4_SFNM);
    pulse(11);
    pic_ack(&pic);
    pulse(4);
    CHECK(!pic_output(&pic));             /* IR2 in service still blocks 4 */
}

static void test_single_master_ir2_own_vector(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_SNGL | PIC_ICW1_IC4);
    out(PIC_MASTER_DATA, 0x20);
    out(PIC_MASTER_DATA, PIC_ICW4_UPM);
    out(PIC_SLAVE_DATA, 0x00);
    pulse(8);
    CHECK(pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x22);
    CHECK_EQ(pic.chip[1].isr, 0);
}

static void test_master_icw3_without_ir2(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    out(PIC_MASTER_DATA, 0x20);
    out(PIC_MASTER_DATA, 0x08);
    out(PIC_MASTER_DATA, PIC_ICW4_UPM);
    out(PIC_SLAVE_DATA, 0x00);
    pulse(8);
    CHECK_EQ(pic_ack(&pic), 0x22);
}

/* ---- spurious ---- */

static void test_spurious_nothing(void)
{
    init();
    CHECK_EQ(pic_ack(&pic), 0x27);
    CHECK_EQ(master_isr(), 0);
}

static void test_spurious_irq7_level_vanished(void)
{
    init();
    out(PIC_ELCR_MASTER, 0x20);
    pic_set_irq(&pic, 5, true);
    CHECK(pic_output(&pic));
    pic_set_irq(&pic, 5, false);
    CHECK(!pic_output(&pic));
    CHECK_EQ(pic_ack(&pic), 0x27);
    CHECK_EQ(master_isr(), 0);
}

static void test_spurious_irq7_masked(void)
{
    init();
    pulse(3);
    out(PIC_MASTER_DATA, 0x08);
    CHECK_EQ(pic_ack(&pic), 0x27);
    CHECK_EQ(master_isr(), 0);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x08);   /* the request waits */
}

static void test_real_irq7(void)
{
    init();
    pulse(7);
    CHECK_EQ(pic_ack(&pic), 0x27);
    CHECK_EQ(master_isr(), 0x80);
}

static void test_spurious_irq15(void)
{
    init();
    pulse(9);
    CHECK(pic_output(&pic));
    out(PIC_SLAVE_DATA, 0x02);            /* the slave request vanishes */
    CHECK(pic_output(&pic));              /* master IR2 is latched */
    CHECK_EQ(pic_ack(&pic), 0x2f);
    CHECK_EQ(master_isr(), 0x04);
    CHECK_EQ(slave_isr(), 0x00);
    eoi_master();
    CHECK(!pic_output(&pic));
}

static void test_spurious_irq15_level(void)
{
    init();
    out(PIC_ELCR_SLAVE, 0x08);
    pic_set_irq(&pic, 11, true);
    pic_set_irq(&pic, 11, false);
    CHECK_EQ(pic_ack(&pic), 0x2f);
    CHECK_EQ(slave_isr(), 0);
}

/* ---- ELCR / level ---- */

static void test_elcr_masks(void)
{
    power_on();
    out(PIC_ELCR_MASTER, 0xff);
    out(PIC_ELCR_SLAVE, 0xff);
    CHECK_EQ(in(PIC_ELCR_MASTER), 0xf8);
    CHECK_EQ(in(PIC_ELCR_SLAVE), 0xde);
}

static void test_elcr_survives_icw1(void)
{
    power_on();
    out(PIC_ELCR_SLAVE, 0x0c);
    init_icw4(PIC_ICW4_UPM);              /* power_on() inside resets it */
    out(PIC_ELCR_SLAVE, 0x0c);
    out(PIC_SLAVE_CMD, PIC_ICW1_INIT | PIC_ICW1_IC4);
    CHECK_EQ(in(PIC_ELCR_SLAVE), 0x0c);
}

static void test_level_irr_follows_line(void)
{
    init();
    out(PIC_ELCR_MASTER, 0x08);
    out(PIC_MASTER_DATA, 0xff);
    pic_set_irq(&pic, 3, true);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x08);
    pic_set_irq(&pic, 3, false);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x00);
}

static void test_level_reinterrupts(void)
{
    init();
    out(PIC_ELCR_SLAVE, 0x08);
    pic_set_irq(&pic, 11, true);
    CHECK_EQ(pic_ack(&pic), 0x2b);
    CHECK(!pic_output(&pic));
    eoi_slave();
    eoi_master();
    CHECK(pic_output(&pic));              /* still asserted */
    CHECK_EQ(pic_ack(&pic), 0x2b);
}

static void test_level_no_reinterrupt_after_deassert(void)
{
    init();
    out(PIC_ELCR_SLAVE, 0x08);
    pic_set_irq(&pic, 11, true);
    pic_ack(&pic);
    pic_set_irq(&pic, 11, false);
    eoi_slave();
    eoi_master();
    CHECK(!pic_output(&pic));
}

static void test_level_irr_after_ack(void)
{
    init();
    out(PIC_ELCR_MASTER, 0x10);
    pic_set_irq(&pic, 4, true);
    pic_ack(&pic);
    CHECK_EQ(in(PIC_MASTER_CMD), 0x10);   /* line still high */
}

static void test_elcr_ignored_bits_edge(void)
{
    init();
    out(PIC_ELCR_MASTER, 0x07);           /* IRQ0-2 cannot be level */
    pulse(0);
    CHECK_EQ(pic_ack(&pic), 0x20);
}

static void test_ltim_whole_chip_level(void)
{
    power_on();
    out(PIC_MASTER_CMD, PIC_ICW1_INIT | PIC_ICW1_SNGL | PIC_ICW1_LTIM | PIC_ICW1_IC4);
    out(PIC_MASTER_DATA, 0x20);
    out(PIC_MASTER_DATA, PIC_ICW4_UPM);
    pulse(1);
    CHECK(!pic_output(&pic));             /* a pulse is gone in level mode */
    pic_set_irq(&pic, 1, true);
    CHECK_EQ(pic_ack(&pic), 0x21);
}

/* ---- INT line ---- */

static void test_intr_changed_reports(void)
{
    init();
    CHECK_EQ(cpu.changes, 0);
    pulse(4);
    CHECK_EQ(cpu.changes, 1);
    CHECK(cpu.level);
    pulse(5);
    CHECK_EQ(cpu.changes, 1);             /* no duplicate */
    pic_ack(&pic);
    CHECK_EQ(cpu.changes, 2);
    CHECK(!cpu.level);
}

static void test_null_ops(void)
{
    pic_init(&pic, NULL, NULL);
    out(PIC_MASTER_DATA, 0xfe);
    pulse(0);
    CHECK(pic_output(&pic));
}

static void test_reentrant_ack(void)
{
    init();
    cpu.ack_on_assert = true;
    pulse(6);
    CHECK_EQ(cpu.acked, 0x26);
    CHECK(!pic_output(&pic));
    CHECK(!cpu.level);
    CHECK_EQ(master_isr(), 0x40);
}

static void test_virtual_wire_flow(void)
{
    unsigned i;
    bool ok = true;

    init();
    for (i = 0; i < 3; i++) {
        pulse(0);
        if (!cpu.level || pic_ack(&pic) != 0x20 || cpu.level)
            ok = false;
        eoi_master();
    }
    CHECK(ok);
    CHECK_EQ(cpu.changes, 6);
}

int main(void)
{
    test_poweron_masked();
    test_poweron_irq_no_int();
    test_poweron_unmask_cascaded();
    test_poweron_elcr();
    test_ports_not_ours();
    test_icw1_clears_imr();
    test_init_vector_base();
    test_icw2_low_bits_ignored();
    test_icw_single_skips_icw3();
    test_icw_no_icw4();
    test_icw_single_no_icw4();
    test_icw3_stored();
    test_int_held_during_init();
    test_icw1_clears_irr_isr();
    test_icw1_edge_sense_reset();
    test_icw1_resets_read_select();
    test_icw1_resets_priority();
    test_icw1_clears_special_mask();
    test_icw1_no_ic4_clears_aeoi();
    test_ocw1_readback();
    test_masked_request_latched();
    test_mask_drops_int();
    test_ack_sets_isr_clears_irr();
    test_edge_pulse_latched();
    test_edge_no_retrigger_while_high();
    test_irq2_ignored();
    test_irq_out_of_range();
    test_priority_simultaneous();
    test_priority_full_order();
    test_isr_blocks_lower();
    test_higher_preempts();
    test_equal_blocked();
    test_nonspecific_eoi_highest();
    test_specific_eoi();
    test_specific_eoi_not_in_service();
    test_eoi_empty_isr();
    test_eoi_releases_lower();
    test_rotate_nonspecific_eoi();
    test_rotate_specific_eoi();
    test_set_priority();
    test_rotated_isr_blocking();
    test_ocw2_nop();
    test_aeoi_no_isr();
    test_aeoi_rotate();
    test_aeoi_rotate_clear();
    test_aeoi_slave_back_to_back();
    test_read_irr_default();
    test_read_isr();
    test_ocw3_rr0_keeps_selection();
    test_data_port_reads_imr();
    test_poll();
    test_poll_nothing();
    test_poll_one_shot();
    test_poll_data_port();
    test_poll_overrides_rr();
    test_poll_no_aeoi();
    test_poll_slave();
    test_special_mask_allows_lower();
    test_no_special_mask_blocks();
    test_special_mask_unmasked_isr_blocks();
    test_special_mask_eoi_skips_masked();
    test_special_mask_reset();
    test_cascade_vector();
    test_cascade_priority();
    test_cascade_eoi_both();
    test_cascade_master_mask();
    test_slave_isr_blocks_slave_lower();
    test_slave_higher_waits_for_master();
    test_sfnm_nested_slave();
    test_sfnm_keeps_master_nesting();
    test_single_master_ir2_own_vector();
    test_master_icw3_without_ir2();
    test_spurious_nothing();
    test_spurious_irq7_level_vanished();
    test_spurious_irq7_masked();
    test_real_irq7();
    test_spurious_irq15();
    test_spurious_irq15_level();
    test_elcr_masks();
    test_elcr_survives_icw1();
    test_level_irr_follows_line();
    test_level_reinterrupts();
    test_level_no_reinterrupt_after_deassert();
    test_level_irr_after_ack();
    test_elcr_ignored_bits_edge();
    test_ltim_whole_chip_level();
    test_intr_changed_reports();
    test_null_ops();
    test_reentrant_ack();
    test_virtual_wire_flow();
    return check_report("test_pic");
}
