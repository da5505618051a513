/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/dev/dev_pit.c against the Intel 8254 datasheet, with a
 * fake clock.  Times are CLK edges counted from B0 (tests do not start at
 * guest time 0); at(k) puts the clock exactly on edge B0 + k, computed here
 * independently (128-bit arithmetic).  A count written at edge w loads on
 * edge w + 1 and decrements from w + 2: mode 0 OUT rises N + 1 CLKs after
 * the write.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "hv/dev/dev_pit.h"

#define B0 1000000000ull /* ~838 s of guest time */

static struct pit pit;
static uint64_t now;
static unsigned rises, irq_calls;
static bool line, line_ok = true;
static unsigned ncases;

static uint64_t fake_now(void *ctx)
{
    (void)ctx;
    return now;
}

static void fake_irq0(void *ctx, bool level)
{
    (void)ctx;
    if (level == line)
        line_ok = false; /* the model reports changes only */
    if (level && !line)
        rises++;
    line = level;
    irq_calls++;
}

static const struct pit_ops ops = { .now_ns = fake_now, .irq0 = fake_irq0 };

/* The first nanosecond at which `tick` CLK edges have happened. */
static uint64_t ns_of(uint64_t tick)
{
    unsigned __int128 x = (unsigned __int128)tick * 1000000000u;

    return (uint64_t)((x + PIT_HZ - 1) / PIT_HZ);
}

static void at(uint64_t k)
{
    now = ns_of(B0 + k);
}

#define RUN(t) (ncases++, t())

static void reset(enum pit_policy pol)
{
    rises = irq_calls = 0;
    line = false;
    line_ok = true;
    at(0);
    pit_init(&pit, pol, &ops, NULL);
}

static void outb(uint16_t port, uint8_t v)
{
    CHECK(pit_io_write(&pit, port, v));
}

static uint8_t inb(uint16_t port)
{
    uint8_t v = 0x5A;

    CHECK(pit_io_read(&pit, port, &v));
    return v;
}

static void cw(uint8_t v)
{
    outb(PIT_PORT_CTRL, v);
}

/* Two-byte count (the counter programmed LSB then MSB). */
static void count16(unsigned ch, uint16_t n)
{
    outb((uint16_t)(PIT_PORT_CH0 + ch), (uint8_t)n);
    outb((uint16_t)(PIT_PORT_CH0 + ch), (uint8_t)(n >> 8));
}

/* Control word LSB-then-MSB for mode m, then count n (written at now). */
static void program(unsigned ch, unsigned mode, uint16_t n)
{
    cw((uint8_t)(ch << 6 | 0x30 | mode << 1));
    count16(ch, n);
}

/* Two reads of a counter port: LSB, then MSB. */
static uint16_t rd16(uint16_t port)
{
    uint8_t lo = inb(port);

    return (uint16_t)(lo | inb(port) << 8);
}

/* Counter latch command, then LSB and MSB. */
static uint16_t latched(unsigned ch)
{
    uint8_t lo, hi;

    cw((uint8_t)(ch << 6));
    lo = inb((uint16_t)(PIT_PORT_CH0 + ch));
    hi = inb((uint16_t)(PIT_PORT_CH0 + ch));
    return (uint16_t)(lo | hi << 8);
}

static uint16_t count_at(unsigned ch, uint64_t k)
{
    at(k);
    return latched(ch);
}

/* Read-back of the status byte alone. */
static uint8_t status(unsigned ch)
{
    cw((uint8_t)(0xC0 | PIT_RB_NOT_COUNT | PIT_RB_CNT(ch)));
    return inb((uint16_t)(PIT_PORT_CH0 + ch));
}

static bool out_at(unsigned ch, uint64_t k)
{
    at(k);
    return (status(ch) & PIT_ST_OUTPUT) != 0;
}

static bool out2_at(uint64_t k)
{
    at(k);
    return (inb(PIT_PORT_SYSB) & PIT_SYSB_OUT2) != 0;
}

static void gate2(bool on)
{
    uint8_t v = inb(PIT_PORT_SYSB) & PIT_SYSB_STORED;

    outb(PIT_PORT_SYSB, (uint8_t)(on ? v | PIT_SYSB_GATE2 : v & ~PIT_SYSB_GATE2));
}

static void advance(uint64_t k)
{
    at(k);
    pit_advance(&pit, now);
}

/* ---------------------------------------------------------------- basics */

static void test_init_state(void)
{
    reset(PIT_REINJECT);
    CHECK_EQ(pit_next_event_ns(&pit), 0);
    CHECK(out2_at(5));                       /* mode 3, no count: OUT high */
    CHECK_EQ(inb(PIT_PORT_SYSB) & PIT_SYSB_GATE2, 0); /* gate 2 low */
    CHECK_EQ(status(0), PIT_ST_OUTPUT | PIT_ST_NULL_COUNT | 0x36); /* LSB/MSB mode 3 */
    advance(1000000);
    CHECK_EQ(rises, 0);
    CHECK_EQ(pit_pending_ticks(&pit), 0);
}

static void test_not_our_ports(void)
{
    uint8_t v = 0x77;

    reset(PIT_REINJECT);
    CHECK(!pit_io_read(&pit, 0x44, &v));
    CHECK(!pit_io_read(&pit, 0x3F, &v));
    CHECK(!pit_io_read(&pit, 0x60, &v));
    CHECK(!pit_io_write(&pit, 0x62, 0));
    CHECK_EQ(v, 0x77);
    CHECK_EQ(inb(PIT_PORT_CTRL), 0xFF); /* write-only: floats */
}

/* ---------------------------------------------------------------- mode 0 */

static void test_mode0_out_low_after_cw(void)
{
    reset(PIT_REINJECT);
    cw(0x30); /* counter 0, LSB/MSB, mode 0 */
    CHECK_EQ(status(0), 0x40 | 0x30); /* OUT low, null count */
    CHECK_EQ(pit_next_event_ns(&pit), 0);
}

static void test_mode0_count_and_out(void)
{
    reset(PIT_REINJECT);
    program(0, 0, 1000);                    /* written at edge 0 */
    CHECK_EQ(status(0) & 0xC0, 0x40);       /* not loaded yet: null count */
    CHECK_EQ(count_at(0, 1), 1000);         /* loaded on edge 1 */
    CHECK_EQ(status(0) & 0xC0, 0x00);
    CHECK_EQ(count_at(0, 2), 999);
    CHECK_EQ(count_at(0, 101), 900);
    CHECK_EQ(count_at(0, 1000), 1);
    CHECK(!out_at(0, 1000));
    CHECK_EQ(count_at(0, 1001), 0);         /* N + 1 CLKs after the write */
    CHECK(out_at(0, 1001));
}

static void test_mode0_irq_once(void)
{
    reset(PIT_DISCARD);
    program(0, 0, 500);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 501));
    advance(500);
    CHECK_EQ(rises, 0);
    now = ns_of(B0 + 501) - 1;
    pit_advance(&pit, now);
    CHECK_EQ(rises, 0);
    advance(501);
    CHECK_EQ(rises, 1);
    CHECK(line);
    CHECK_EQ(pit_next_event_ns(&pit), 0); /* one-shot: nothing more */
    advance(200000);
    CHECK_EQ(rises, 1);
    CHECK(line_ok);
}

static void test_mode0_wraps_after_terminal(void)
{
    reset(PIT_REINJECT);
    program(0, 0, 10);
    CHECK_EQ(count_at(0, 11), 0);
    CHECK_EQ(count_at(0, 12), 0xFFFF);      /* keeps counting, OUT stays high */
    CHECK_EQ(count_at(0, 11 + 0x10000), 0);
    CHECK(out_at(0, 11 + 0x10000 + 5));
}

static void test_mode0_rewrite_restarts(void)
{
    reset(PIT_REINJECT);
    program(0, 0, 100);
    advance(101);
    CHECK_EQ(rises, 1);
    at(150);
    count16(0, 40);                         /* new count: OUT low, restart */
    CHECK(!line);
    CHECK(!out_at(0, 150));
    CHECK_EQ(count_at(0, 151), 40);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 191));
    CHECK(!out_at(0, 190));
    CHECK(out_at(0, 191));
    pit_ack_tick(&pit);
    advance(191);
    CHECK_EQ(rises, 2);
}

static void test_mode0_first_byte_stops(void)
{
    reset(PIT_REINJECT);
    program(0, 0, 1000);
    at(301);
    outb(PIT_PORT_CH0, 0x10);               /* LSB only so far */
    CHECK(!out_at(0, 301));
    CHECK_EQ(count_at(0, 400), 700);        /* counting stopped at 700 */
    CHECK_EQ(pit_next_event_ns(&pit), 0);
    at(400);
    outb(PIT_PORT_CH0, 0x00);               /* MSB: count 0x0010 */
    CHECK_EQ(count_at(0, 401), 16);
    CHECK(!out_at(0, 416));
    CHECK(out_at(0, 417));
}

static void test_mode0_gate_pauses(void)
{
    reset(PIT_REINJECT);
    at(0);
    gate2(true);
    program(2, 0, 100);
    CHECK_EQ(count_at(2, 21), 80);
    gate2(false);                           /* at 21 */
    CHECK_EQ(count_at(2, 50), 80);
    CHECK(!out2_at(50));
    gate2(true);                            /* at 50: 80 more CLKs */
    CHECK_EQ(count_at(2, 60), 70);
    CHECK(!out2_at(129));
    CHECK(out2_at(130));
}

static void test_mode0_loaded_while_gate_low(void)
{
    reset(PIT_REINJECT);
    program(2, 0, 100);                     /* gate 2 is low */
    CHECK_EQ(count_at(2, 1), 100);          /* loaded regardless of GATE */
    CHECK_EQ(count_at(2, 50), 100);
    CHECK_EQ(status(2) & 0xC0, 0);          /* OUT low, count loaded */
    gate2(true);                            /* at 50: OUT high N CLKs later */
    CHECK(!out2_at(149));
    CHECK(out2_at(150));
}

/* ---------------------------------------------------------------- mode 1 */

static void test_mode1_waits_for_trigger(void)
{
    reset(PIT_REINJECT);
    program(2, 1, 50);
    CHECK(out2_at(10));
    CHECK_EQ(status(2) & PIT_ST_NULL_COUNT, PIT_ST_NULL_COUNT);
    at(10);
    gate2(true);                            /* trigger: load on edge 11 */
    CHECK(out2_at(10));
    CHECK(!out2_at(11));
    CHECK_EQ(status(2) & PIT_ST_NULL_COUNT, 0);
    CHECK_EQ(count_at(2, 11), 50);
    CHECK_EQ(count_at(2, 31), 30);
    CHECK(!out2_at(60));
    CHECK(out2_at(61));
}

static void test_mode1_retrigger(void)
{
    reset(PIT_REINJECT);
    program(2, 1, 50);
    at(10);
    gate2(true);
    at(30);
    gate2(false);                           /* GATE low: counting goes on */
    CHECK_EQ(count_at(2, 40), 21);
    gate2(true);                            /* retrigger at 40 */
    CHECK_EQ(count_at(2, 41), 50);
    CHECK(!out2_at(61));
    CHECK(!out2_at(90));
    CHECK(out2_at(91));
}

static void test_mode1_counter0_never_triggers(void)
{
    reset(PIT_DISCARD);
    program(0, 1, 10);
    CHECK_EQ(pit_next_event_ns(&pit), 0);
    advance(100000);
    CHECK_EQ(rises, 0);
    CHECK(out_at(0, 100001));
}

/* ---------------------------------------------------------------- mode 2 */

static void test_mode2_waveform(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 10);                      /* load at 1; low at 10, 20, ... */
    CHECK(out_at(0, 1));
    CHECK(out_at(0, 9));
    CHECK(!out_at(0, 10));
    CHECK(out_at(0, 11));
    CHECK(!out_at(0, 20));
    CHECK(out_at(0, 21));
    CHECK(!out_at(0, 10 + 10 * 12345));
}

static void test_mode2_count_readback(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 1000);
    CHECK_EQ(count_at(0, 1), 1000);
    CHECK_EQ(count_at(0, 2), 999);
    CHECK_EQ(count_at(0, 1000), 1);
    CHECK_EQ(count_at(0, 1001), 1000);      /* reload */
    CHECK_EQ(count_at(0, 1001 + 1000 * 7 + 250), 750);
}

static void test_mode2_irq_periodic(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 1000);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 1001));
    for (unsigned i = 1; i <= 5; i++) {
        advance(1 + 1000 * i);
        CHECK_EQ(rises, i);
        CHECK(line);
        CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 1 + 1000 * (i + 1)));
        pit_ack_tick(&pit);
    }
    CHECK_EQ(pit_pending_ticks(&pit), 0);
    CHECK(line_ok);
}

static void test_mode2_new_count_at_reload(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 100);                     /* reloads at 101, 201, ... */
    at(31);
    count16(0, 50);
    CHECK_EQ(status(0) & PIT_ST_NULL_COUNT, PIT_ST_NULL_COUNT);
    CHECK_EQ(count_at(0, 60), 41);          /* the current period goes on */
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 101));
    CHECK_EQ(count_at(0, 101), 50);         /* the new count from the reload */
    CHECK_EQ(status(0) & PIT_ST_NULL_COUNT, 0);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 151));
    CHECK(!out_at(0, 150));
    CHECK(out_at(0, 151));
}

static void test_mode2_gate(void)
{
    reset(PIT_REINJECT);
    gate2(true);
    program(2, 2, 10);
    CHECK(!out2_at(10));
    gate2(false);                           /* OUT high at once, stopped */
    CHECK(out2_at(10));
    CHECK_EQ(count_at(2, 14), 1);
    CHECK(out2_at(20));
    at(25);
    gate2(true);                            /* reload on edge 26 */
    CHECK_EQ(count_at(2, 26), 10);
    CHECK(out2_at(34));
    CHECK(!out2_at(35));
    CHECK(out2_at(36));
}

static void test_mode2_count0_is_65536(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 0);
    CHECK_EQ(count_at(0, 1), 0);
    CHECK_EQ(count_at(0, 2), 0xFFFF);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 1 + 65536));
}

static void test_mode2_count1_runs_as_2(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 1); /* illegal in mode 2 (datasheet); Keel runs it as 2 */
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 3));
}

static void test_mode6_is_mode2(void)
{
    reset(PIT_REINJECT);
    cw(0x3C);                               /* mode 6 */
    count16(0, 10);
    CHECK_EQ(status(0) & 0x3F, 0x3C);       /* status echoes the bits written */
    CHECK(!out_at(0, 10));
    CHECK(out_at(0, 11));
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 21));
}

/* ---------------------------------------------------------------- mode 3 */

static void test_mode3_even(void)
{
    static const uint16_t want[10] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2 };

    reset(PIT_REINJECT);
    program(0, 3, 10);
    for (unsigned k = 0; k < 20; k++) {
        CHECK_EQ(count_at(0, 1 + k), want[k % 10]);
        CHECK_EQ(out_at(0, 1 + k), k % 10 < 5);
    }
}

static void test_mode3_odd(void)
{
    static const uint16_t want[5] = { 5, 4, 2, 5, 2 };

    reset(PIT_REINJECT);
    program(0, 3, 5); /* high (N+1)/2 = 3 CLKs, low (N-1)/2 = 2 */
    for (unsigned k = 0; k < 15; k++) {
        CHECK_EQ(count_at(0, 1 + k), want[k % 5]);
        CHECK_EQ(out_at(0, 1 + k), k % 5 < 3);
    }
}

static void test_mode3_irq_and_line(void)
{
    reset(PIT_DISCARD);
    program(0, 3, 100);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 101));
    advance(51);                            /* second half: the line goes low */
    CHECK_EQ(rises, 0);
    CHECK(!line);
    advance(101);
    CHECK_EQ(rises, 1);
    CHECK(line);
    advance(160);
    CHECK(!line);
    advance(201);
    CHECK_EQ(rises, 2);
    CHECK(line_ok);
}

static void test_mode3_new_count_at_half(void)
{
    reset(PIT_REINJECT);
    program(0, 3, 100);                     /* high 1..50, low 51..100 */
    at(21);
    count16(0, 60);                         /* taken at the half, edge 51 */
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 81));
    CHECK(out_at(0, 50));
    CHECK(!out_at(0, 51));
    CHECK_EQ(count_at(0, 51), 60);          /* low half of the new count */
    CHECK(!out_at(0, 80));
    CHECK(out_at(0, 81));
    CHECK(!out_at(0, 111));
    CHECK(out_at(0, 141));
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 201));
}

static void test_mode3_new_count_in_second_half(void)
{
    reset(PIT_REINJECT);
    program(0, 3, 100);
    at(70);
    count16(0, 20);                         /* taken at the reload, edge 101 */
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 101));
    CHECK_EQ(count_at(0, 101), 20);
    CHECK(!out_at(0, 111));
    CHECK(out_at(0, 121));
}

static void test_mode7_is_mode3(void)
{
    reset(PIT_REINJECT);
    cw(0x3E);
    count16(0, 4);
    CHECK(out_at(0, 2));
    CHECK(!out_at(0, 3));
    CHECK(out_at(0, 5));
}

static void test_mode3_gate(void)
{
    reset(PIT_REINJECT);
    gate2(true);
    program(2, 3, 10);
    CHECK(!out2_at(7));
    gate2(false);                           /* OUT forced high */
    CHECK(out2_at(7));
    CHECK(out2_at(30));
    gate2(true);                            /* at 30: reload on 31 */
    CHECK(out2_at(35));
    CHECK(!out2_at(36));
}

/* ---------------------------------------------------------------- mode 4, 5 */

static void test_mode4_strobe(void)
{
    reset(PIT_REINJECT);
    program(0, 4, 100);
    CHECK(out_at(0, 0));
    CHECK(out_at(0, 100));
    CHECK(!out_at(0, 101));                 /* one CLK low at terminal count */
    CHECK(out_at(0, 102));
    CHECK_EQ(count_at(0, 103), 0xFFFE);
}

static void test_mode4_irq(void)
{
    reset(PIT_REINJECT);
    program(0, 4, 100);                     /* Linux one-shot clockevent mode */
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 102));
    advance(101);
    CHECK_EQ(rises, 0);
    CHECK(!line);
    advance(102);
    CHECK_EQ(rises, 1);
    CHECK_EQ(pit_next_event_ns(&pit), 0);
    at(500);
    count16(0, 20);                         /* re-arm: counting from the new count */
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 522));
}

static void test_mode4_gate_pauses(void)
{
    reset(PIT_REINJECT);
    gate2(true);
    program(2, 4, 50);
    at(11);
    gate2(false);                           /* count 40 held */
    CHECK_EQ(count_at(2, 30), 40);
    gate2(true);
    CHECK(out2_at(69));
    CHECK(!out2_at(70));
    CHECK(out2_at(71));
}

static void test_mode4_gate_low_in_strobe(void)
{
    reset(PIT_REINJECT);
    gate2(true);
    program(2, 4, 20);
    CHECK(!out2_at(21));                    /* strobing */
    gate2(false);                           /* ends the strobe (documented) */
    CHECK(out2_at(21));
    at(30);
    gate2(true);
    CHECK(out2_at(30 + 0x10000));           /* no second strobe */
}

static void test_mode5_trigger_strobe(void)
{
    reset(PIT_REINJECT);
    program(2, 5, 50);
    CHECK(out2_at(5));
    at(10);
    gate2(true);
    CHECK_EQ(count_at(2, 11), 50);
    CHECK(out2_at(60));
    CHECK(!out2_at(61));
    CHECK(out2_at(62));
}

/* ---------------------------------------------------------------- latch */

static void test_latch_holds_value(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 1000);
    at(101);
    cw(0x00);                               /* latch counter 0: 900 */
    at(500);
    CHECK_EQ(inb(PIT_PORT_CH0), 900 & 0xFF);
    CHECK_EQ(inb(PIT_PORT_CH0), 900 >> 8);
    CHECK_EQ(count_at(0, 500), 501);        /* live again */
}

static void test_latch_twice_ignored(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 1000);
    at(101);
    cw(0x00);
    at(301);
    cw(0x00);                               /* ignored: not read yet */
    CHECK_EQ(rd16(PIT_PORT_CH0), 900);
    CHECK_EQ(count_at(0, 301), 700);
}

static void test_latch_lsb_only(void)
{
    reset(PIT_REINJECT);
    cw(0x14);                               /* counter 0, LSB only, mode 2 */
    outb(PIT_PORT_CH0, 200);
    at(51);
    cw(0x00);
    at(61);
    CHECK_EQ(inb(PIT_PORT_CH0), 150);       /* one read empties the latch */
    CHECK_EQ(inb(PIT_PORT_CH0), 140);
}

static void test_latch_msb_only(void)
{
    reset(PIT_REINJECT);
    cw(0x24);                               /* counter 0, MSB only, mode 2 */
    outb(PIT_PORT_CH0, 0x10);               /* count 0x1000 */
    at(0x101);
    cw(0x00);
    CHECK_EQ(inb(PIT_PORT_CH0), 0x0F);
}

/* ---------------------------------------------------------------- read-back */

static void test_readback_status_format(void)
{
    reset(PIT_REINJECT);
    cw(0x35);                               /* LSB/MSB, mode 2, BCD */
    CHECK_EQ(status(0), PIT_ST_OUTPUT | PIT_ST_NULL_COUNT | 0x35);
    cw(0x52);                               /* counter 1: LSB, mode 1 */
    CHECK_EQ(status(1), PIT_ST_OUTPUT | PIT_ST_NULL_COUNT | 0x12);
    cw(0xB0);                               /* counter 2: mode 0 */
    CHECK_EQ(status(2), PIT_ST_NULL_COUNT | 0x30);
}

static void test_readback_status_then_count(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 1000);
    at(101);
    cw(0xC0 | PIT_RB_CNT(0));               /* status and count */
    at(400);
    CHECK_EQ(inb(PIT_PORT_CH0), PIT_ST_OUTPUT | 0x34);
    CHECK_EQ(inb(PIT_PORT_CH0), 900 & 0xFF);
    CHECK_EQ(inb(PIT_PORT_CH0), 900 >> 8);
    CHECK_EQ(inb(PIT_PORT_CH0), 601 & 0xFF); /* live again */
}

static void test_readback_several_counters(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 1000);
    program(1, 2, 2000);
    gate2(true);
    program(2, 2, 3000);
    at(11);
    cw(0xC0 | PIT_RB_NOT_STATUS | PIT_RB_CNT(0) | PIT_RB_CNT(1) | PIT_RB_CNT(2));
    at(500);
    CHECK_EQ(rd16(PIT_PORT_CH0), 990);
    CHECK_EQ(rd16(PIT_PORT_CH1), 1990);
    CHECK_EQ(rd16(PIT_PORT_CH2), 2990);
}

static void test_readback_latches_not_overwritten(void)
{
    reset(PIT_REINJECT);
    program(0, 0, 100);
    at(50);
    cw(0xC0 | PIT_RB_CNT(0));               /* status (OUT low) + count 51 */
    at(200);
    cw(0xC0 | PIT_RB_CNT(0));               /* both already latched: ignored */
    CHECK_EQ(inb(PIT_PORT_CH0), 0x30);
    CHECK_EQ(inb(PIT_PORT_CH0), 51);
    CHECK_EQ(inb(PIT_PORT_CH0), 0);
    cw(0xC0 | PIT_RB_NOT_COUNT | PIT_RB_CNT(0));
    CHECK_EQ(inb(PIT_PORT_CH0), PIT_ST_OUTPUT | 0x30);
}

static void test_readback_null_count_mode2_pending(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 100);
    CHECK_EQ(status(0) & PIT_ST_NULL_COUNT, PIT_ST_NULL_COUNT);
    at(1);
    CHECK_EQ(status(0) & PIT_ST_NULL_COUNT, 0);
    outb(PIT_PORT_CH0, 5);
    CHECK_EQ(status(0) & PIT_ST_NULL_COUNT, 0); /* set by the second byte */
    outb(PIT_PORT_CH0, 0);
    CHECK_EQ(status(0) & PIT_ST_NULL_COUNT, PIT_ST_NULL_COUNT); /* until reload */
    at(101);
    CHECK_EQ(status(0) & PIT_ST_NULL_COUNT, 0);
}

/* ---------------------------------------------------------------- flip-flops */

static void test_read_flipflop_live(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 0x1234);
    at(1 + 0x34);
    CHECK_EQ(inb(PIT_PORT_CH0), 0x00);      /* LSB of 0x1200 */
    at(1 + 0x34 + 0x100);
    CHECK_EQ(inb(PIT_PORT_CH0), 0x11);      /* MSB of 0x1100 */
    CHECK_EQ(inb(PIT_PORT_CH0), 0x00);      /* LSB again */
}

static void test_interleaved_read_write(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 0x1234);                  /* datasheet: reads and writes interleave */
    at(1 + 0x34);
    CHECK_EQ(inb(PIT_PORT_CH0), 0x00);      /* read LSB */
    outb(PIT_PORT_CH0, 0x78);               /* write new LSB */
    CHECK_EQ(inb(PIT_PORT_CH0), 0x12);      /* read MSB */
    outb(PIT_PORT_CH0, 0x05);               /* write new MSB: 0x0578 */
    CHECK_EQ(count_at(0, 1 + 0x1234), 0x578); /* taken at the reload */
}

static void test_control_word_resets_flipflops(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 0x1234);
    at(2);
    CHECK_EQ(inb(PIT_PORT_CH0), 0x33);      /* LSB read, MSB next */
    outb(PIT_PORT_CH0, 0x99);               /* LSB written, MSB next */
    cw(0x34);
    count16(0, 0x0203);
    CHECK_EQ(count_at(0, 3), 0x0203);
}

/* ---------------------------------------------------------------- BCD */

static void test_bcd_counting(void)
{
    reset(PIT_REINJECT);
    cw(0x35);                               /* mode 2, BCD */
    count16(0, 0x1234);                     /* 1234 decimal */
    CHECK_EQ(count_at(0, 1), 0x1234);
    CHECK_EQ(count_at(0, 35), 0x1200);
    CHECK_EQ(count_at(0, 1 + 1233), 0x0001);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 1 + 1234));
}

static void test_bcd_zero_is_10000(void)
{
    reset(PIT_REINJECT);
    cw(0x31);                               /* mode 0, BCD */
    count16(0, 0);
    CHECK_EQ(count_at(0, 1), 0x0000);
    CHECK_EQ(count_at(0, 2), 0x9999);
    CHECK(!out_at(0, 10000));
    CHECK(out_at(0, 10001));
    CHECK_EQ(count_at(0, 10002), 0x9999);   /* wraps modulo 10^4 */
}

/* ---------------------------------------------------------------- port 0x61 */

static void test_sysb_bits(void)
{
    reset(PIT_REINJECT);
    outb(PIT_PORT_SYSB, 0xFF);
    CHECK_EQ(inb(PIT_PORT_SYSB) & 0xCF, 0x0F); /* bits 7, 6 read 0 */
    outb(PIT_PORT_SYSB, 0x02);              /* speaker on, gate off */
    CHECK_EQ(inb(PIT_PORT_SYSB) & 0x0F, 0x02);
}

static void test_sysb_refresh_toggles(void)
{
    unsigned flips = 0;
    bool prev;

    reset(PIT_REINJECT);
    at(0);
    prev = inb(PIT_PORT_SYSB) & PIT_SYSB_REFRESH;
    for (uint64_t k = 1; k <= 18 * 10; k++) {
        bool b;

        at(k);
        b = inb(PIT_PORT_SYSB) & PIT_SYSB_REFRESH;
        CHECK_EQ(b, ((B0 + k) / 18) & 1);
        flips += b != prev;
        prev = b;
    }
    CHECK_EQ(flips, 10);                    /* every 15.08 us */
    at(18 * 10);
    CHECK_EQ(inb(PIT_PORT_SYSB) & PIT_SYSB_REFRESH, prev ? PIT_SYSB_REFRESH : 0);
}

/* Linux pit_calibrate_tsc(): gate on, speaker off, counter 2 mode 0 with
 * 11931 (10 ms), then poll port 0x61 bit 5. */
static void test_tsc_calibration_mode0(void)
{
    uint16_t latch = 11931;
    uint64_t expect = ns_of(B0 + 1000 + 1 + latch);

    reset(PIT_REINJECT);
    at(997);
    outb(PIT_PORT_SYSB, (uint8_t)((inb(PIT_PORT_SYSB) & ~0x02) | 0x01));
    outb(PIT_PORT_CTRL, 0xB0);
    outb(PIT_PORT_CH2, latch & 0xFF);
    at(1000);
    outb(PIT_PORT_CH2, latch >> 8);         /* the count is complete at 1000 */
    now = expect - 1;
    CHECK_EQ(inb(PIT_PORT_SYSB) & PIT_SYSB_OUT2, 0);
    now = expect;
    CHECK_EQ(inb(PIT_PORT_SYSB) & PIT_SYSB_OUT2, PIT_SYSB_OUT2);
    CHECK_EQ(latched(2), 0);
}

/* Linux quick_pit_calibrate(): mode 0 with 0xFFFF, reading the MSB. */
static void test_tsc_calibration_msb(void)
{
    reset(PIT_REINJECT);
    outb(PIT_PORT_SYSB, 0x01);
    outb(PIT_PORT_CTRL, 0xB0);
    outb(PIT_PORT_CH2, 0xFF);
    outb(PIT_PORT_CH2, 0xFF);               /* at 0: loads on 1 */
    for (unsigned i = 1; i < 200; i++) {
        uint64_t k = 1 + 256ull * i;
        uint8_t lsb, msb;

        now = ns_of(B0 + k) - 1;            /* just before the MSB steps */
        lsb = inb(PIT_PORT_CH2);
        msb = inb(PIT_PORT_CH2);
        CHECK_EQ(msb, 0xFF - i + 1);
        CHECK_EQ(lsb, 0x00);
        at(k);
        (void)inb(PIT_PORT_CH2);
        CHECK_EQ(inb(PIT_PORT_CH2), 0xFF - i);
    }
}

/* Counter 2 in mode 2 as a calibration reference, read with latches. */
static void test_tsc_calibration_mode2(void)
{
    reset(PIT_REINJECT);
    outb(PIT_PORT_SYSB, 0x01);
    program(2, 2, 0);                       /* free-running, period 65536 */
    for (uint64_t k = 1; k < 3 * 65536; k += 4099)
        CHECK_EQ(count_at(2, k), (65536 - (k - 1) % 65536) & 0xFFFF);
    CHECK(out2_at(3 * 65536 - 1));
    CHECK(!out2_at(3 * 65536));             /* low for the CLK at count 1 */
    CHECK(out2_at(3 * 65536 + 1));
}

/* ---------------------------------------------------------------- lost ticks */

static void test_discard_one_edge(void)
{
    reset(PIT_DISCARD);
    program(0, 2, 1000);
    advance(1 + 1000 * 50);                 /* 50 periods late */
    CHECK_EQ(rises, 1);
    CHECK_EQ(pit_pending_ticks(&pit), 0);
    CHECK(!pit_ack_tick(&pit));
    CHECK_EQ(rises, 1);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(B0 + 1 + 1000 * 51));
    advance(1 + 1000 * 51);
    CHECK_EQ(rises, 2);
    CHECK(line_ok);
}

static void test_reinject_backlog(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 1000);
    advance(1 + 1000 * 5 + 300);            /* 5 periods at once */
    CHECK_EQ(rises, 1);
    CHECK_EQ(pit_pending_ticks(&pit), 4);
    advance(1 + 1000 * 6);                  /* one more, still in flight */
    CHECK_EQ(rises, 1);
    CHECK_EQ(pit_pending_ticks(&pit), 5);
    for (unsigned i = 0; i < 5; i++) {
        CHECK(pit_ack_tick(&pit));
        CHECK_EQ(rises, 2 + i);
    }
    CHECK_EQ(pit_pending_ticks(&pit), 0);
    CHECK(!pit_ack_tick(&pit));             /* the last one acknowledged */
    CHECK_EQ(rises, 6);
    advance(1 + 1000 * 7);
    CHECK_EQ(rises, 7);
    CHECK(line_ok);
}

static void test_reinject_in_flight_no_merge(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 100);
    advance(101);
    CHECK_EQ(rises, 1);
    advance(201);                           /* not acknowledged yet */
    CHECK_EQ(rises, 1);
    CHECK_EQ(pit_pending_ticks(&pit), 1);
    CHECK(pit_ack_tick(&pit));
    CHECK_EQ(rises, 2);
    CHECK(!pit_ack_tick(&pit));
    advance(301);
    CHECK_EQ(rises, 3);
}

static void test_reinject_cap(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 2);
    advance(1 + 2ull * 10000000);           /* 10^7 periods in one go */
    CHECK_EQ(rises, 1);
    CHECK_EQ(pit_pending_ticks(&pit), PIT_BACKLOG_MAX);
}

static void test_reinject_control_word_clears(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 100);
    advance(1 + 100 * 10);
    CHECK_EQ(pit_pending_ticks(&pit), 9);
    cw(0x34);
    CHECK_EQ(pit_pending_ticks(&pit), 0);
    count16(0, 100);                        /* at 1001, loads on 1002 */
    advance(1102);
    CHECK_EQ(rises, 2);                     /* raised without an ack */
}

static void test_reinject_at_io(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 100);
    at(350);
    (void)inb(PIT_PORT_CH0);                /* accesses bring IRQ0 up to date */
    CHECK_EQ(rises, 1);
    CHECK_EQ(pit_pending_ticks(&pit), 2);
}

static void test_time_backwards_ignored(void)
{
    reset(PIT_REINJECT);
    program(0, 2, 100);
    advance(1000);
    CHECK_EQ(pit_pending_ticks(&pit), 8);
    advance(500);
    CHECK_EQ(pit_pending_ticks(&pit), 8);
    CHECK_EQ(count_at(0, 500), 100 - (999 % 100)); /* the newest state stays */
    CHECK_EQ(rises, 1);
}

static void test_far_future_no_overflow(void)
{
    uint64_t far = 1ull << 62; /* ~146 years of nanoseconds */
    uint64_t t = (uint64_t)((unsigned __int128)far * PIT_HZ / 1000000000u);

    reset(PIT_DISCARD);
    now = far;
    program(0, 2, 1000);
    CHECK_EQ(pit_next_event_ns(&pit), ns_of(t + 1 + 1000));
    now = ns_of(t + 1001);
    pit_advance(&pit, now);
    CHECK_EQ(rises, 1);
    CHECK_EQ(latched(0), 1000);
}

static void test_counter1_independent(void)
{
    reset(PIT_REINJECT);
    program(1, 2, 18);                      /* the old refresh setting */
    CHECK_EQ(count_at(1, 10), 9);
    CHECK_EQ(pit_next_event_ns(&pit), 0);   /* counter 1 raises nothing */
    advance(1000);
    CHECK_EQ(rises, 0);
}

int main(void)
{
    RUN(test_init_state);
    RUN(test_not_our_ports);
    RUN(test_mode0_out_low_after_cw);
    RUN(test_mode0_count_and_out);
    RUN(test_mode0_irq_once);
    RUN(test_mode0_wraps_after_terminal);
    RUN(test_mode0_rewrite_restarts);
    RUN(test_mode0_first_byte_stops);
    RUN(test_mode0_gate_pauses);
    RUN(test_mode0_loaded_while_gate_low);
    RUN(test_mode1_waits_for_trigger);
    RUN(test_mode1_retrigger);
    RUN(test_mode1_counter0_never_triggers);
    RUN(test_mode2_waveform);
    RUN(test_mode2_count_readback);
    RUN(test_mode2_irq_periodic);
    RUN(test_mode2_new_count_at_reload);
    RUN(test_mode2_gate);
    RUN(test_mode2_count0_is_65536);
    RUN(test_mode2_count1_runs_as_2);
    RUN(test_mode6_is_mode2);
    RUN(test_mode3_even);
    RUN(test_mode3_odd);
    RUN(test_mode3_irq_and_line);
    RUN(test_mode3_new_count_at_half);
    RUN(test_mode3_new_count_in_second_half);
    RUN(test_mode7_is_mode3);
    RUN(test_mode3_gate);
    RUN(test_mode4_strobe);
    RUN(test_mode4_irq);
    RUN(test_mode4_gate_pauses);
    RUN(test_mode4_gate_low_in_strobe);
    RUN(test_mode5_trigger_strobe);
    RUN(test_latch_holds_value);
    RUN(test_latch_twice_ignored);
    RUN(test_latch_lsb_only);
    RUN(test_latch_msb_only);
    RUN(test_readback_status_format);
    RUN(test_readback_status_then_count);
    RUN(test_readback_several_counters);
    RUN(test_readback_latches_not_overwritten);
    RUN(test_readback_null_count_mode2_pending);
    RUN(test_read_flipflop_live);
    RUN(test_interleaved_read_write);
    RUN(test_control_word_resets_flipflops);
    RUN(test_bcd_counting);
    RUN(test_bcd_zero_is_10000);
    RUN(test_sysb_bits);
    RUN(test_sysb_refresh_toggles);
    RUN(test_tsc_calibration_mode0);
    RUN(test_tsc_calibration_msb);
    RUN(test_tsc_calibration_mode2);
    RUN(test_discard_one_edge);
    RUN(test_reinject_backlog);
    RUN(test_reinject_in_flight_no_merge);
    RUN(test_reinject_cap);
    RUN(test_reinject_control_word_clears);
    RUN(test_reinject_at_io);
    RUN(test_time_backwards_ignored);
    RUN(test_far_future_no_overflow);
    RUN(test_counter1_independent);
    printf("test_dev_pit: %u cases\n", ncases);
    return check_report("test_dev_pit");
}
