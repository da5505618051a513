/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/rtc.c: ports 0x70/0x71 are the guest's.  Input: a program of
 * steps (op byte: bit 0 write, bit 1 data port, bit 2 advance the model as
 * the platform's timer does, bits 7:3 how many 1/8 s pass first; then a
 * value byte).  Invariants: the index port reads all ones; UIP reads 0,
 * register C's low four bits 0 and its IRQF set exactly when an enabled
 * flag is, the line (rtc_irq) with it, the next event after the last
 * advance, register D VRT; in BCD mode every time
 * register holds valid BCD digits; the fields are in range (seconds < 60,
 * minutes < 60, hours per register B's 12/24-hour form, day 1..31, month
 * 1..12, day of week 1..7); CMOS RAM reads back what was written.
 */
#include "fuzz.h"
#include "hv/dev/rtc.h"

static unsigned val(uint8_t v, bool bin)
{
    if (!bin) {
        FUZZ_ASSERT((v & 0xf) < 10 && (v >> 4) < 10);
        return (unsigned)(v >> 4) * 10 + (v & 0xf);
    }
    return v;
}

static uint8_t rd(struct rtc *r, unsigned reg, uint64_t now)
{
    uint8_t saved = r->index;
    rtc_io_write(r, RTC_INDEX_PORT, (uint8_t)reg, now);
    uint8_t v = rtc_io_read(r, RTC_DATA_PORT, now);
    r->index = saved;
    return v;
}

static void check(struct rtc *r, uint64_t now)
{
    uint8_t b = r->ram[RTC_REG_B];
    bool bin = b & RTC_B_DM_BINARY;
    FUZZ_ASSERT(rtc_io_read(r, RTC_INDEX_PORT, now) == 0xff);
    FUZZ_ASSERT(!(rd(r, RTC_REG_A, now) & RTC_A_UIP));
    uint64_t next = rtc_next_event_ns(r, now);
    FUZZ_ASSERT(next == 0 || next > r->last_ns);
    bool line = rtc_irq(r);
    uint8_t c = rd(r, RTC_REG_C, now);
    FUZZ_ASSERT((c & 0x0f) == 0);
    FUZZ_ASSERT(!(c & RTC_C_IRQF) == !(c & b & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE)));
    FUZZ_ASSERT(!line || (c & RTC_C_IRQF));
    FUZZ_ASSERT(!rtc_irq(r) && rd(r, RTC_REG_D, now) == RTC_D_VRT);
    FUZZ_ASSERT(val(rd(r, RTC_SECONDS, now), bin) < 60);
    FUZZ_ASSERT(val(rd(r, RTC_MINUTES, now), bin) < 60);
    uint8_t h = rd(r, RTC_HOURS, now);
    if (b & RTC_B_24H)
        FUZZ_ASSERT(val(h, bin) < 24);
    else
        FUZZ_ASSERT(val(h & 0x7f, bin) >= 1 && val(h & 0x7f, bin) <= 12);
    unsigned d = val(rd(r, RTC_DAY, now), bin), m = val(rd(r, RTC_MONTH, now), bin);
    unsigned w = val(rd(r, RTC_DAY_OF_WEEK, now), bin);
    FUZZ_ASSERT(d >= 1 && d <= 31 && m >= 1 && m <= 12 && w >= 1 && w <= 7);
    FUZZ_ASSERT(val(rd(r, RTC_YEAR, now), bin) < 100 && val(rd(r, RTC_CENTURY, now), bin) < 100);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct rtc r;
    uint64_t now = 1796565007ull * 1000000000ull;
    uint8_t ram_shadow[128] = { 0 };
    bool ram_written[128] = { false };
    rtc_init(&r);
    while (fuzz_more(&in)) {
        uint8_t op = fuzz_u8(&in), v = fuzz_u8(&in);
        now += (uint64_t)(op >> 3) * 125000000ull;
        if (op & 4)
            rtc_advance(&r, now);
        uint16_t port = (op & 2) ? RTC_DATA_PORT : RTC_INDEX_PORT;
        if (!(op & 1)) {
            rtc_io_read(&r, port, now);
            continue;
        }
        rtc_io_write(&r, port, v, now);
        if (port == RTC_DATA_PORT && r.index >= 0x0e && r.index != RTC_CENTURY) {
            ram_shadow[r.index] = v;
            ram_written[r.index] = true;
        }
    }
    check(&r, now);
    for (unsigned i = 0x0e; i < 128; i++)
        if (ram_written[i])
            FUZZ_ASSERT(rd(&r, i, now) == ram_shadow[i]);
    return 0;
}
