/* SPDX-License-Identifier: MIT */
/*
 * Port I/O to ports nothing backs: reads give all-ones, writes vanish,
 * string I/O (INS/OUTS, REP or not, either direction) moves RDI/RSI and
 * RCX exactly as the hardware would.
 */
#include <stdio.h>
#include <string.h>

#include "rt.h"
#include "test.h"

#define UNBACKED_PORT       0x1234
#define UNBACKED_PORT_IMM   0x26    /* for the imm8 forms (plain QEMU backs
                                       part of 0x26-0x29) */
#define FILL                0x5a

/* Two pages, so string I/O can cross a page boundary. */
static uint8_t io_buf[2 * 4096] __attribute__((aligned(4096)));

KEEL_TEST(io_in_unbacked)
{
    EXPECT_EQ(rt_inb(UNBACKED_PORT), 0xff);
    EXPECT_EQ(rt_inw(UNBACKED_PORT), 0xffff);
    EXPECT_EQ(rt_inl(UNBACKED_PORT), 0xffffffffu);
    if (!rt_under_keel())
        return;
    EXPECT_EQ(rt_inb(UNBACKED_PORT_IMM), 0xff);
    EXPECT_EQ(rt_inw(UNBACKED_PORT_IMM), 0xffff);
    EXPECT_EQ(rt_inl(UNBACKED_PORT_IMM), 0xffffffffu);
}

static void out_unbacked(void *arg)
{
    rt_outb(UNBACKED_PORT, 0x12);
    rt_outw(UNBACKED_PORT, 0x1234);
    rt_outl(UNBACKED_PORT, 0x12345678);
    rt_outb(UNBACKED_PORT_IMM, 0x12);
    rt_outw(UNBACKED_PORT_IMM, 0x1234);
    rt_outl(UNBACKED_PORT_IMM, 0x12345678);
}

KEEL_TEST(io_out_unbacked)
{
    EXPECT_EQ(rt_try(out_unbacked, NULL), RT_NO_FAULT);
    EXPECT_EQ(rt_inl(UNBACKED_PORT), 0xffffffffu);
}

/* One string I/O instruction; ptr and count are RDI/RSI and RCX before
 * and after. */
struct string_io {
    unsigned size;      /* 1, 2 or 4 */
    bool out;           /* OUTS (else INS) */
    bool rep;
    bool down;          /* DF = 1 */
    uint64_t ptr;
    uint64_t count;
};

#define STRING_IO(insn, reg, op)                                             \
    __asm__ volatile(insn : "+" reg((op)->ptr), "+c"((op)->count)            \
                     : "d"((uint16_t)UNBACKED_PORT) : "memory", "cc")

static void string_io_up(struct string_io *op)
{
    switch (op->size * 4 + op->out * 2 + op->rep) {
    case 4: STRING_IO("insb", "D", op); break;
    case 5: STRING_IO("rep insb", "D", op); break;
    case 6: STRING_IO("outsb", "S", op); break;
    case 7: STRING_IO("rep outsb", "S", op); break;
    case 8: STRING_IO("insw", "D", op); break;
    case 9: STRING_IO("rep insw", "D", op); break;
    case 10: STRING_IO("outsw", "S", op); break;
    case 11: STRING_IO("rep outsw", "S", op); break;
    case 16: STRING_IO("insl", "D", op); break;
    case 17: STRING_IO("rep insl", "D", op); break;
    case 18: STRING_IO("outsl", "S", op); break;
    case 19: STRING_IO("rep outsl", "S", op); break;
    }
}

static void string_io_down(struct string_io *op)
{
    switch (op->size * 4 + op->out * 2 + op->rep) {
    case 5: STRING_IO("std; rep insb; cld", "D", op); break;
    case 7: STRING_IO("std; rep outsb; cld", "S", op); break;
    case 9: STRING_IO("std; rep insw; cld", "D", op); break;
    case 11: STRING_IO("std; rep outsw; cld", "S", op); break;
    case 17: STRING_IO("std; rep insl; cld", "D", op); break;
    case 19: STRING_IO("std; rep outsl; cld", "S", op); break;
    }
}

static void do_string_io(void *arg)
{
    struct string_io *op = arg;

    if (op->down)
        string_io_down(op);
    else
        string_io_up(op);
}

/* Runs one string I/O at io_buf + offset and checks the registers after
 * it, and for INS that exactly the elements it stored read all-ones. */
static void check_string_io(unsigned size, bool out, bool rep, bool down, size_t offset,
                            uint64_t count)
{
    uint64_t start = (uintptr_t)io_buf + offset;
    uint64_t elements = rep ? count : 1;
    struct string_io op = {size, out, rep, down, start, count};
    size_t lo, hi, bad = 0, first_bad = 0;
    bool ok = true;

    memset(io_buf, FILL, sizeof(io_buf));
    ok &= EXPECT_EQ(rt_try(do_string_io, &op), RT_NO_FAULT);
    ok &= EXPECT_EQ(op.ptr, down ? start - elements * size : start + elements * size);
    ok &= EXPECT_EQ(op.count, rep ? 0 : count);
    if (down) {
        lo = offset - (elements ? (elements - 1) * size : 0);
        hi = elements ? offset + size : offset;
    } else {
        lo = offset;
        hi = offset + elements * size;
    }
    for (size_t i = 0; i < sizeof(io_buf); i++) {
        uint8_t want = (!out && i >= lo && i < hi) ? 0xff : FILL;
        if (io_buf[i] != want && bad++ == 0)
            first_bad = i;
    }
    if (!EXPECT_EQ(bad, 0)) {
        printf("  first wrong byte at +%#zx: %#x\n", first_bad, io_buf[first_bad]);
        ok = false;
    }
    if (!ok)
        printf("  in: %s%s%c, RCX %llu, buffer +%#zx%s\n", rep ? "rep " : "",
               out ? "outs" : "ins", size == 1 ? 'b' : size == 2 ? 'w' : 'l',
               (unsigned long long)count, offset, down ? ", DF=1" : "");
}

KEEL_TEST(io_ins)
{
    check_string_io(1, false, false, false, 100, 5);        /* no REP */
    check_string_io(2, false, false, false, 4095, 5);
    check_string_io(4, false, false, false, 4094, 5);
    check_string_io(1, false, true, false, 4096 - 20, 37);  /* crosses the page */
    check_string_io(2, false, true, false, 4096 - 7, 19);
    check_string_io(4, false, true, false, 4096 - 8, 11);
    check_string_io(4, false, true, false, 64, 0);          /* RCX = 0: nothing */
    check_string_io(1, false, true, true, 4096 + 3, 9);     /* backwards */
    check_string_io(2, false, true, true, 4096 + 6, 9);
    check_string_io(4, false, true, true, 4096 + 4, 9);
}

KEEL_TEST(io_outs)
{
    check_string_io(1, true, false, false, 100, 5);
    check_string_io(2, true, true, false, 4096 - 7, 19);
    check_string_io(4, true, true, false, 4096 - 8, 11);
    check_string_io(1, true, true, false, 64, 0);
    check_string_io(2, true, true, true, 4096 + 6, 9);
}
