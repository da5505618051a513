/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/rtc.c's interrupts (MC146818A data sheet,
 * "Interrupts", registers A to C): the periodic, update-ended and alarm
 * flags, IRQF and the line, register C's read-to-clear, the next event the
 * caller's timer waits for. */
#include "check.h"
#include "hv/dev/rtc.h"

#define NS  1000000000ull
#define MS  1000000ull
#define T0  (1796565007ull * NS) /* 2026-12-06 13:50:07 UTC */

static uint8_t rd(struct rtc *r, unsigned reg, uint64_t ns)
{
    rtc_io_write(r, RTC_INDEX_PORT, (uint8_t)reg, ns);
    return rtc_io_read(r, RTC_DATA_PORT, ns);
}

static void wr(struct rtc *r, unsigned reg, uint8_t val, uint64_t ns)
{
    rtc_io_write(r, RTC_INDEX_PORT, (uint8_t)reg, ns);
    rtc_io_write(r, RTC_DATA_PORT, val, ns);
}

/* Flags are set whether or not enabled; only an enabled one raises IRQF. */
static void test_update_flag(void)
{
    struct rtc r;
    rtc_init(&r);
    wr(&r, RTC_REG_A, RTC_A_DV_NORMAL, T0);   /* RS 0: no periodic flag in the way */
    rtc_advance(&r, T0 + 100 * MS);        /* the first look starts the clock */
    CHECK_EQ(rtc_next_event_ns(&r, T0 + 100 * MS), 0);   /* nothing enabled */
    rtc_advance(&r, T0 + 900 * MS);
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 900 * MS), 0);       /* no second boundary yet */
    rtc_advance(&r, T0 + 1100 * MS);
    CHECK(!rtc_irq(&r));
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 1100 * MS), RTC_C_UF);
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 1100 * MS), 0);      /* reading cleared it */
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE, T0 + 1200 * MS);
    CHECK_EQ(rtc_next_event_ns(&r, T0 + 1200 * MS), T0 + 2 * NS);
    rtc_advance(&r, T0 + 2 * NS);
    CHECK(rtc_irq(&r));
    CHECK_EQ(rtc_next_event_ns(&r, T0 + 2 * NS), 0);     /* the line is up until C is read */
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 2 * NS + 1), RTC_C_IRQF | RTC_C_UF);
    CHECK(!rtc_irq(&r));
    CHECK_EQ(rtc_next_event_ns(&r, T0 + 2 * NS + 1), T0 + 3 * NS);
    /* SET stops updates and clears UIE (data sheet, register B) */
    wr(&r, RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE, T0 + 2500 * MS);
    CHECK_EQ(rd(&r, RTC_REG_B, T0 + 2500 * MS), RTC_B_SET | RTC_B_24H);
    rtc_advance(&r, T0 + 5 * NS);
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 5 * NS), 0);
}

/* Enabling a flag that is already set raises the line at once. */
static void test_enable_after_flag(void)
{
    struct rtc r;
    rtc_init(&r);
    wr(&r, RTC_REG_A, RTC_A_DV_NORMAL, T0);
    rtc_advance(&r, T0 + 1500 * MS);
    CHECK(!rtc_irq(&r));
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_UIE, T0 + 1600 * MS);
    CHECK(rtc_irq(&r));
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 1600 * MS), RTC_C_IRQF | RTC_C_UF);
}

/* Periodic: RS 6 is 1024 Hz, RS 15 2 Hz, RS 1 256 Hz; RS 0 and a divider
 * held in reset (DV 11x) give none. */
static void test_periodic(void)
{
    struct rtc r;
    rtc_init(&r);                           /* register A 26H: 1024 Hz */
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_PIE, T0);
    uint64_t next = rtc_next_event_ns(&r, T0);
    CHECK(next > T0 && next <= T0 + 976563);  /* within one 1/1024 s period */
    rtc_advance(&r, next - 1);
    CHECK(!rtc_irq(&r));
    rtc_advance(&r, next);
    CHECK(rtc_irq(&r));
    CHECK_EQ(rd(&r, RTC_REG_C, next), RTC_C_IRQF | RTC_C_PF);
    uint64_t n2 = rtc_next_event_ns(&r, next);
    CHECK(n2 >= next + 976562 && n2 <= next + 976563);
    CHECK(!rtc_irq(&r));
    wr(&r, RTC_REG_A, RTC_A_DV_NORMAL | 15, n2);                /* 2 Hz */
    CHECK(rtc_irq(&r));                /* the 1024 Hz event at n2 came first */
    CHECK_EQ(rd(&r, RTC_REG_C, n2), RTC_C_IRQF | RTC_C_PF);
    CHECK_EQ(rtc_next_event_ns(&r, n2), (n2 / (NS / 2) + 1) * (NS / 2));
    wr(&r, RTC_REG_A, RTC_A_DV_NORMAL | 1, n2);                 /* 256 Hz */
    CHECK_EQ(rtc_next_event_ns(&r, n2), (n2 / 3906250 + 1) * 3906250);
    wr(&r, RTC_REG_A, RTC_A_DV_NORMAL, n2);                     /* RS 0: none */
    CHECK_EQ(rtc_next_event_ns(&r, n2), 0);
    rtc_advance(&r, n2 + NS);
    CHECK_EQ(rd(&r, RTC_REG_C, n2 + NS) & RTC_C_PF, 0);
    CHECK_EQ(rd(&r, RTC_REG_C, n2 + NS), 0);
    wr(&r, RTC_REG_A, 0x70 | 6, n2 + NS);                       /* divider reset */
    rtc_advance(&r, n2 + 3 * NS);
    CHECK_EQ(rd(&r, RTC_REG_C, n2 + 3 * NS), 0);                 /* no PF, no UF */
    CHECK_EQ(rtc_next_event_ns(&r, n2 + 3 * NS), 0);
}

/* Alarm: the time after an update against the alarm registers, each
 * "don't care" with bits 7:6 set; BCD as register B says. */
static void test_alarm(void)
{
    struct rtc r;
    rtc_init(&r);
    wr(&r, RTC_REG_A, RTC_A_DV_NORMAL, T0);
    wr(&r, RTC_SECONDS_ALARM, 0x10, T0);     /* 13:50:10 */
    wr(&r, RTC_MINUTES_ALARM, 0x50, T0);
    wr(&r, RTC_HOURS_ALARM, 0x13, T0);
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_AIE, T0);
    CHECK_EQ(rtc_next_event_ns(&r, T0), T0 + NS);   /* looked at every second */
    rtc_advance(&r, T0 + 2 * NS);                   /* 13:50:09 */
    CHECK(!rtc_irq(&r));
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 2 * NS), RTC_C_UF);
    rtc_advance(&r, T0 + 3 * NS);                   /* 13:50:10 */
    CHECK(rtc_irq(&r));
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 3 * NS), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
    wr(&r, RTC_HOURS_ALARM, RTC_ALARM_ANY, T0 + 3 * NS);   /* any hour */
    wr(&r, RTC_MINUTES_ALARM, 0xff, T0 + 3 * NS);          /* any minute */
    rtc_advance(&r, T0 + 62 * NS);                         /* 13:51:09 */
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 62 * NS), RTC_C_UF);   /* passed 13:51:10? not yet */
    rtc_advance(&r, T0 + 63 * NS);                         /* 13:51:10 */
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 63 * NS), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
    /* a jump over the matching second within the last four boundaries */
    rtc_advance(&r, T0 + 125 * NS);                        /* 13:52:12 */
    CHECK_EQ(rd(&r, RTC_REG_C, T0 + 125 * NS), RTC_C_IRQF | RTC_C_AF | RTC_C_UF);
}

int main(void)
{
    test_update_flag();
    test_enable_after_flag();
    test_periodic();
    test_alarm();
    return check_report("test_rtc_irq");
}
