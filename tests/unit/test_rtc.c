/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/rtc.c: the CMOS RTC (MC146818A) over ports
 * 0x70/0x71. */
#include "check.h"
#include "hv/dev/rtc.h"

#define NOW 1796565007ull /* 2026-12-06 13:50:07 UTC, a Sunday */

#define NS 1000000000ull

/* rd, wr: at @now seconds since 1970 */
static uint8_t rd(struct rtc *r, unsigned reg, uint64_t now)
{
    rtc_io_write(r, RTC_INDEX_PORT, (uint8_t)reg, now * NS);
    return rtc_io_read(r, RTC_DATA_PORT, now * NS);
}

static void wr(struct rtc *r, unsigned reg, uint8_t val, uint64_t now)
{
    rtc_io_write(r, RTC_INDEX_PORT, (uint8_t)reg, now * NS);
    rtc_io_write(r, RTC_DATA_PORT, val, now * NS);
}

static void test_epoch(void)
{
    CHECK_EQ(rtc_epoch_seconds(1970, 1, 1, 0, 0, 0), 0);
    CHECK_EQ(rtc_epoch_seconds(2026, 12, 6, 13, 50, 7), NOW);
    CHECK_EQ(rtc_epoch_seconds(2000, 2, 29, 23, 59, 59), 951868799ull);
}

static void test_read_bcd(void)
{
    struct rtc r;
    rtc_init(&r);
    CHECK_EQ(rd(&r, RTC_SECONDS, NOW), 0x07);
    CHECK_EQ(rd(&r, RTC_MINUTES, NOW), 0x50);
    CHECK_EQ(rd(&r, RTC_HOURS, NOW), 0x13);
    CHECK_EQ(rd(&r, RTC_DAY_OF_WEEK, NOW), 1); /* Sunday */
    CHECK_EQ(rd(&r, RTC_DAY, NOW), 0x06);
    CHECK_EQ(rd(&r, RTC_MONTH, NOW), 0x12);
    CHECK_EQ(rd(&r, RTC_YEAR, NOW), 0x26);
    CHECK_EQ(rd(&r, RTC_CENTURY, NOW), 0x20);
    CHECK_EQ(rd(&r, RTC_SECONDS, NOW + 61), 0x08); /* time goes on */
    CHECK_EQ(rd(&r, RTC_REG_A, NOW), RTC_A_DEFAULT);
    CHECK_EQ(rd(&r, RTC_REG_B, NOW), RTC_B_24H);
    CHECK_EQ(rd(&r, RTC_REG_C, NOW), 0);
    CHECK_EQ(rd(&r, RTC_REG_D, NOW), RTC_D_VRT);
    /* the NMI mask bit of the index port selects no register */
    rtc_io_write(&r, RTC_INDEX_PORT, RTC_NMI_DISABLE | RTC_MONTH, NOW * NS);
    CHECK_EQ(rtc_io_read(&r, RTC_DATA_PORT, NOW * NS), 0x12);
    CHECK_EQ(rtc_io_read(&r, RTC_INDEX_PORT, NOW * NS), 0xff);
}

static void test_formats(void)
{
    struct rtc r;
    rtc_init(&r);
    wr(&r, RTC_REG_B, RTC_B_24H | RTC_B_DM_BINARY, NOW);
    CHECK_EQ(rd(&r, RTC_MINUTES, NOW), 50);
    CHECK_EQ(rd(&r, RTC_YEAR, NOW), 26);
    wr(&r, RTC_REG_B, RTC_B_DM_BINARY, NOW); /* 12-hour */
    CHECK_EQ(rd(&r, RTC_HOURS, NOW), RTC_HOUR_PM | 1);
    CHECK_EQ(rd(&r, RTC_HOURS, NOW - 13 * 3600), 12); /* 00:50 is 12 AM */
    wr(&r, RTC_REG_B, 0, NOW); /* BCD, 12-hour */
    CHECK_EQ(rd(&r, RTC_HOURS, NOW - 3600), RTC_HOUR_PM | 0x12);
}

static void test_set_time(void)
{
    struct rtc r;
    rtc_init(&r);
    wr(&r, RTC_MINUTES, 0x05, NOW); /* 13:05:07: 45 minutes back */
    CHECK_EQ(r.offset, -45 * 60);
    CHECK_EQ(rd(&r, RTC_MINUTES, NOW + 60), 0x06);
    wr(&r, RTC_YEAR, 0x99, NOW);
    CHECK_EQ(rd(&r, RTC_YEAR, NOW), 0x99);
    CHECK_EQ(rd(&r, RTC_CENTURY, NOW), 0x20);
    wr(&r, RTC_CENTURY, 0x19, NOW);
    CHECK_EQ(rd(&r, RTC_CENTURY, NOW), 0x19);
    CHECK_EQ(rd(&r, RTC_YEAR, NOW), 0x99);
    CHECK_EQ(rd(&r, RTC_MONTH, NOW), 0x12);
    /* a new VM's clock is the host's again */
    rtc_init(&r);
    CHECK_EQ(rd(&r, RTC_YEAR, NOW), 0x26);
    /* day of week and register D are read-only; UIP never sticks */
    wr(&r, RTC_DAY_OF_WEEK, 5, NOW);
    CHECK_EQ(rd(&r, RTC_DAY_OF_WEEK, NOW), 1);
    wr(&r, RTC_REG_D, 0, NOW);
    CHECK_EQ(rd(&r, RTC_REG_D, NOW), RTC_D_VRT);
    wr(&r, RTC_REG_A, 0xa6, NOW);
    CHECK_EQ(rd(&r, RTC_REG_A, NOW), 0x26);
}

static void test_ram(void)
{
    struct rtc r;
    rtc_init(&r);
    for (unsigned i = 0x0e; i < 128; i++)
        if (i != RTC_CENTURY)
            wr(&r, i, (uint8_t)(i ^ 0x5a), NOW);
    unsigned bad = 0;
    for (unsigned i = 0x0e; i < 128; i++)
        if (i != RTC_CENTURY && rd(&r, i, NOW) != (uint8_t)(i ^ 0x5a))
            bad++;
    CHECK_EQ(bad, 0);
    wr(&r, 1, 0x30, NOW); /* alarm seconds: RAM */
    CHECK_EQ(rd(&r, 1, NOW), 0x30);
}

/* A guest can set its clock before year 0 (century 00, year 00, January,
 * then day 0 steps back a day): the fields stay two valid digits, 99/99,
 * as the calendar's floor division gives (fuzz.rtc found the negative
 * field). */
static void test_before_year_0(void)
{
    struct rtc r;
    rtc_init(&r);
    wr(&r, RTC_CENTURY, 0x00, NOW);
    wr(&r, RTC_YEAR, 0x00, NOW);
    wr(&r, RTC_MONTH, 0x01, NOW);
    wr(&r, RTC_DAY, 0x01, NOW);
    CHECK_EQ(rd(&r, RTC_CENTURY, NOW), 0x00);
    CHECK_EQ(rd(&r, RTC_YEAR, NOW), 0x00);
    wr(&r, RTC_DAY, 0x00, NOW); /* 0000-01-00 is -0001-12-31 */
    CHECK_EQ(rd(&r, RTC_YEAR, NOW), 0x99);
    CHECK_EQ(rd(&r, RTC_CENTURY, NOW), 0x99);
    CHECK_EQ(rd(&r, RTC_MONTH, NOW), 0x12);
    CHECK_EQ(rd(&r, RTC_DAY, NOW), 0x31);
}

int main(void)
{
    test_before_year_0();
    test_epoch();
    test_read_bcd();
    test_formats();
    test_set_time();
    test_ram();
    return check_report("test_rtc");
}
