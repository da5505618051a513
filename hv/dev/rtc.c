/* SPDX-License-Identifier: MIT */
/* The CMOS real-time clock (hv/dev/rtc.h). */
#include "hv/dev/rtc.h"

#include <stdbool.h>
#include <string.h>

struct rtc_time {
    int64_t year;
    unsigned month, day, hour, min, sec, wday; /* month 1-12, day 1-31, wday 0 = Sunday */
};

/* Days since 1970-01-01 of a proleptic Gregorian date: count in 400-year
 * eras from 0000-03-01 so that the leap day ends each year. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;                                   /* 0..399 */
    int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* 0..365 */
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;           /* 0..146096 */
    return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, struct rtc_time *t)
{
    z += 719468;
    int64_t era = (z >= 0 ? z : z - 146096) / 146097;
    int64_t doe = z - era * 146097;
    int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    int64_t mp = (5 * doy + 2) / 153;
    t->day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
    t->month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
    t->year = yoe + era * 400 + (t->month <= 2);
}

uint64_t rtc_epoch_seconds(unsigned year, unsigned month, unsigned day, unsigned hour,
                           unsigned min, unsigned sec)
{
    return (uint64_t)days_from_civil(year, month, day) * 86400 + hour * 3600u + min * 60u + sec;
}

static void split(int64_t secs, struct rtc_time *t)
{
    int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
    int64_t rem = secs - days * 86400;
    civil_from_days(days, t);
    t->hour = (unsigned)(rem / 3600);
    t->min = (unsigned)(rem / 60 % 60);
    t->sec = (unsigned)(rem % 60);
    t->wday = (unsigned)((days % 7 + 7 + 4) % 7); /* 1970-01-01 was a Thursday */
}

static int64_t join(const struct rtc_time *t)
{
    return days_from_civil(t->year, t->month, t->day) * 86400 + t->hour * 3600 + t->min * 60 +
           t->sec;
}

static bool binary(const struct rtc *r)
{
    return r->ram[RTC_REG_B] & RTC_B_DM_BINARY;
}

static uint8_t to_reg(const struct rtc *r, unsigned v)
{
    return binary(r) ? (uint8_t)v : (uint8_t)((v / 10) << 4 | v % 10);
}

static unsigned from_reg(const struct rtc *r, uint8_t v)
{
    return binary(r) ? v : (unsigned)(v >> 4) * 10 + (v & 0xf);
}

static uint8_t hour_reg(const struct rtc *r, unsigned h)
{
    if (r->ram[RTC_REG_B] & RTC_B_24H)
        return to_reg(r, h);
    unsigned h12 = h % 12 ? h % 12 : 12;
    return (uint8_t)(to_reg(r, h12) | (h >= 12 ? RTC_HOUR_PM : 0));
}

static unsigned hour_from_reg(const struct rtc *r, uint8_t v)
{
    if (r->ram[RTC_REG_B] & RTC_B_24H)
        return from_reg(r, v);
    unsigned h = from_reg(r, v & 0x7f) % 12;
    return (v & RTC_HOUR_PM) ? h + 12 : h;
}

#define NS_PER_S 1000000000ull

void rtc_init(struct rtc *r)
{
    memset(r, 0, sizeof(*r));
    r->ram[RTC_REG_A] = RTC_A_DEFAULT;
    r->ram[RTC_REG_B] = RTC_B_DEFAULT;
    r->ram[RTC_REG_D] = RTC_D_VRT;
}

/* The two-digit fields of a year, also for a clock the guest set before
 * year 0 (a day-0 write can step back over it): floor division, so -1 is
 * year 99 of century 99, never a negative field. */
static unsigned year_lo(int64_t y)
{
    int64_t m = y % 100;
    return (unsigned)(m < 0 ? m + 100 : m);
}

static unsigned year_century(int64_t y)
{
    return year_lo(y >= 0 ? y / 100 : (y - 99) / 100);
}

static uint8_t time_reg(const struct rtc *r, unsigned reg, uint64_t now)
{
    struct rtc_time t;
    split((int64_t)now + r->offset, &t);
    switch (reg) {
    case RTC_SECONDS: return to_reg(r, t.sec);
    case RTC_MINUTES: return to_reg(r, t.min);
    case RTC_HOURS: return hour_reg(r, t.hour);
    case RTC_DAY_OF_WEEK: return to_reg(r, t.wday + 1);
    case RTC_DAY: return to_reg(r, t.day);
    case RTC_MONTH: return to_reg(r, t.month);
    case RTC_YEAR: return to_reg(r, year_lo(t.year));
    default: return to_reg(r, year_century(t.year)); /* RTC_CENTURY */
    }
}

static bool is_time_reg(unsigned reg)
{
    return (reg <= RTC_YEAR && reg % 2 == 0 && reg != RTC_DAY_OF_WEEK) || reg == RTC_DAY ||
           reg == RTC_YEAR || reg == RTC_CENTURY;
}

/* ---- interrupts ---- */

static bool running(const struct rtc *r)
{
    return (r->ram[RTC_REG_A] & RTC_A_DV) == RTC_A_DV_NORMAL;
}

/* The periodic rate (data sheet, "Periodic interrupt rate and square-wave
 * output frequency", 32.768 kHz time base): 32768 >> (RS - 1) Hz for RS 3
 * to 15; RS 1 and 2 give what RS 8 and 9 do; RS 0 none. */
static uint64_t periodic_hz(const struct rtc *r)
{
    unsigned rs = r->ram[RTC_REG_A] & RTC_A_RS;
    if (rs == 0)
        return 0;
    if (rs < 3)
        rs += 7;
    return 32768u >> (rs - 1);
}

/* Periods of @hz completed at @ns (phase 0 at the epoch). */
static uint64_t periods(uint64_t ns, uint64_t hz)
{
    return (uint64_t)((unsigned __int128)ns * hz / NS_PER_S);
}

/* The alarm registers against the time after the update at second @sec. */
static bool alarm_matches(const struct rtc *r, uint64_t sec)
{
    static const uint8_t pairs[3][2] = { { RTC_SECONDS_ALARM, RTC_SECONDS },
                                         { RTC_MINUTES_ALARM, RTC_MINUTES },
                                         { RTC_HOURS_ALARM, RTC_HOURS } };
    for (unsigned i = 0; i < 3; i++) {
        uint8_t a = r->ram[pairs[i][0]];
        if ((a & RTC_ALARM_ANY) != RTC_ALARM_ANY && a != time_reg(r, pairs[i][1], sec))
            return false;
    }
    return true;
}

void rtc_advance(struct rtc *r, uint64_t now_ns)
{
    uint64_t last = r->last_ns;
    if (now_ns <= last)
        return;
    r->last_ns = now_ns;
    if (last == 0 || !running(r))
        return; /* the first look only starts the clock */
    uint64_t hz = periodic_hz(r);
    if (hz && periods(now_ns, hz) > periods(last, hz))
        r->ram[RTC_REG_C] |= RTC_C_PF;
    uint64_t s0 = last / NS_PER_S, s1 = now_ns / NS_PER_S;
    if (s1 == s0 || (r->ram[RTC_REG_B] & RTC_B_SET))
        return;
    r->ram[RTC_REG_C] |= RTC_C_UF;
    for (uint64_t k = s1 - s0 > 4 ? s1 - 3 : s0 + 1; k <= s1; k++) {
        if (alarm_matches(r, k)) {
            r->ram[RTC_REG_C] |= RTC_C_AF;
            break;
        }
    }
}

/* PF, AF, UF sit at the bit positions of PIE, AIE, UIE in register B. */
bool rtc_irq(const struct rtc *r)
{
    return r->ram[RTC_REG_C] & r->ram[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);
}

uint64_t rtc_next_event_ns(const struct rtc *r, uint64_t now_ns)
{
    uint8_t en = r->ram[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);
    if (!en || rtc_irq(r) || !running(r))
        return 0;
    /* after the last advance, so an event that passed unseen is due now */
    uint64_t base = r->last_ns ? r->last_ns : now_ns;
    uint64_t next = 0, hz = periodic_hz(r);
    if ((en & RTC_B_PIE) && hz) {
        unsigned __int128 n = periods(base, hz) + 1;
        next = (uint64_t)((n * NS_PER_S + hz - 1) / hz);
    }
    if ((en & (RTC_B_AIE | RTC_B_UIE)) && !(r->ram[RTC_REG_B] & RTC_B_SET)) {
        uint64_t sec = (base / NS_PER_S + 1) * NS_PER_S;
        if (!next || sec < next)
            next = sec;
    }
    return next;
}

/* ---- ports ---- */

uint8_t rtc_io_read(struct rtc *r, uint16_t port, uint64_t now_ns)
{
    if (port != RTC_DATA_PORT)
        return 0xff; /* the index register is write-only */
    uint64_t now = now_ns / NS_PER_S;
    unsigned reg = r->index;
    if (is_time_reg(reg) || reg == RTC_DAY_OF_WEEK)
        return time_reg(r, reg, now);
    if (reg == RTC_REG_A)
        return r->ram[reg] & (uint8_t)~RTC_A_UIP;
    if (reg == RTC_REG_C) { /* the flags and IRQF; reading clears them */
        rtc_advance(r, now_ns);
        uint8_t c = (uint8_t)(r->ram[reg] | (rtc_irq(r) ? RTC_C_IRQF : 0));
        r->ram[reg] = 0;
        return c;
    }
    return r->ram[reg];
}

/* A write to a time register moves the guest's clock: the other fields
 * stay as they read now.  A value out of range is taken as written and
 * normalised by the date arithmetic, as software sees on a real RTC only
 * as garbage. */
static void set_time_reg(struct rtc *r, unsigned reg, uint8_t val, uint64_t now)
{
    struct rtc_time t;
    split((int64_t)now + r->offset, &t);
    unsigned v = reg == RTC_HOURS ? hour_from_reg(r, val) : from_reg(r, val);
    switch (reg) {
    case RTC_SECONDS: t.sec = v; break;
    case RTC_MINUTES: t.min = v; break;
    case RTC_HOURS: t.hour = v; break;
    case RTC_DAY: t.day = v; break;
    case RTC_MONTH: t.month = v >= 1 && v <= 12 ? v : t.month; break;
    case RTC_YEAR: t.year = t.year / 100 * 100 + v % 100; break;
    default: t.year = (int64_t)(v % 100) * 100 + t.year % 100; break; /* RTC_CENTURY */
    }
    r->offset = join(&t) - (int64_t)now;
}

void rtc_io_write(struct rtc *r, uint16_t port, uint8_t val, uint64_t now_ns)
{
    if (port == RTC_INDEX_PORT) {
        r->index = val & (uint8_t)~RTC_NMI_DISABLE;
        return;
    }
    /* events so far under the old settings */
    rtc_advance(r, now_ns);
    unsigned reg = r->index;
    if (is_time_reg(reg))
        set_time_reg(r, reg, val, now_ns / NS_PER_S);
    else if (reg == RTC_REG_A)
        r->ram[reg] = val & (uint8_t)~RTC_A_UIP;
    else if (reg == RTC_REG_B && (val & RTC_B_SET)) /* SET going high clears UIE */
        r->ram[reg] = val & (uint8_t)~RTC_B_UIE;
    else if (reg != RTC_REG_C && reg != RTC_REG_D && reg != RTC_DAY_OF_WEEK)
        r->ram[reg] = val;
}
