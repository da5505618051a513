/* SPDX-License-Identifier: MIT */
/*
 * The CMOS real-time clock of a PC (Motorola MC146818A data sheet; ports
 * 0x70 index, bit 7 the NMI mask, and 0x71 data): the time of day in
 * registers 0-9 and the century at 0x32 (the FADT's CENTURY field), in BCD
 * or binary and 12- or 24-hour form as register B says; registers A-D; the
 * rest of the 128 bytes is CMOS RAM.
 *
 * Time: the guest's clock is the caller's `now_ns` (nanoseconds since 1970,
 * UTC: the host RTC read at boot plus elapsed TSC time) plus a whole number
 * of seconds that the guest's writes to the time registers set, so setting
 * the clock never touches the host's.  An update is instantaneous: UIP
 * (register A bit 7) always reads 0.
 *
 * Interrupts (data sheet, "Interrupts", registers B and C): the periodic
 * flag PF at the rate register A's RS bits select, the update-ended flag UF
 * at every second (not while register B's SET is on), the alarm flag AF at
 * a second whose time matches the alarm registers (a value with bits 7:6
 * both set matches any); each is set whether or not its enable bit (PIE,
 * AIE, UIE) is, and IRQF with the line (ISA IRQ 8) while a set flag is
 * enabled, until the guest reads register C, which clears them all.  They
 * run with the divider at its normal 32.768 kHz setting (register A DV =
 * 010) only.  The caller advances the model (rtc_advance) at the time
 * rtc_next_event_ns names and follows rtc_irq; reads and writes advance it
 * first.  Alarms are looked for at the last 4 second boundaries of an
 * advance: with AIE on, the caller's timer advances it every second.
 *
 * Pure; the caller's lock (vplatform.lock) protects the state.
 */
#ifndef KEEL_HV_RTC_H
#define KEEL_HV_RTC_H

#include <stdbool.h>
#include <stdint.h>

#define RTC_INDEX_PORT   0x70u
#define RTC_DATA_PORT    0x71u
#define RTC_NMI_DISABLE  0x80u   /* index port bit 7: not a register bit */

#define RTC_SECONDS      0x00
#define RTC_MINUTES      0x02
#define RTC_HOURS        0x04
#define RTC_DAY_OF_WEEK  0x06    /* 1 = Sunday */
#define RTC_DAY          0x07
#define RTC_MONTH        0x08
#define RTC_YEAR         0x09
#define RTC_REG_A        0x0a
#define RTC_REG_B        0x0b
#define RTC_REG_C        0x0c
#define RTC_REG_D        0x0d
#define RTC_CENTURY      0x32

#define RTC_A_UIP        0x80u
#define RTC_A_DEFAULT    0x26u   /* 32.768 kHz time base, 1024 Hz rate */
#define RTC_A_RS         0x0fu   /* rate select: periodic interrupt rate */
#define RTC_A_DV         0x70u   /* divider: 010 = 32.768 kHz time base running */
#define RTC_A_DV_NORMAL  0x20u
#define RTC_B_SET        0x80u
#define RTC_B_PIE        0x40u
#define RTC_B_AIE        0x20u
#define RTC_B_UIE        0x10u
#define RTC_C_IRQF       0x80u
#define RTC_C_PF         0x40u
#define RTC_C_AF         0x20u
#define RTC_C_UF         0x10u
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS_ALARM  0x05
#define RTC_ALARM_ANY    0xc0u   /* bits 7:6 of an alarm register: "don't care" */
#define RTC_B_DM_BINARY  0x04u
#define RTC_B_24H        0x02u
#define RTC_B_DEFAULT    RTC_B_24H /* BCD, 24-hour, as PC firmware leaves it */
#define RTC_D_VRT        0x80u   /* valid RAM and time: the battery is good */
#define RTC_HOUR_PM      0x80u   /* 12-hour mode */

struct rtc {
    uint8_t index;
    uint8_t ram[128];    /* register C holds PF, AF, UF; IRQF is computed */
    int64_t offset;      /* guest time - now, seconds */
    uint64_t last_ns;    /* the caller's time of the last advance; 0 before the first */
};

void rtc_init(struct rtc *r);
uint8_t rtc_io_read(struct rtc *r, uint16_t port, uint64_t now_ns);
void rtc_io_write(struct rtc *r, uint16_t port, uint8_t val, uint64_t now_ns);

/* Sets the flags of the events in (last advance, now_ns]. */
void rtc_advance(struct rtc *r, uint64_t now_ns);
/* Whether any of the interrupts is enabled (PIE, AIE, UIE): the caller's
 * timer need look at the model only then. */
static inline bool rtc_interrupts_on(const struct rtc *r)
{
    return r->ram[RTC_REG_B] & (RTC_B_PIE | RTC_B_AIE | RTC_B_UIE);
}

/* The IRQ 8 line: IRQF. */
bool rtc_irq(const struct rtc *r);
/* When the next enabled event after the last advance can raise the line
 * (in the past if one passed unseen: advance now), 0 if none can (nothing
 * enabled, or the line already up until register C is read). */
uint64_t rtc_next_event_ns(const struct rtc *r, uint64_t now_ns);

/* Seconds since 1970 of a UTC date (year 1970..9999), for the caller that
 * reads the host's clock. */
uint64_t rtc_epoch_seconds(unsigned year, unsigned month, unsigned day, unsigned hour,
                           unsigned min, unsigned sec);

#endif /* KEEL_HV_RTC_H */
