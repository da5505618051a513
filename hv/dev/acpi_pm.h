/* SPDX-License-Identifier: MIT */
/*
 * The ACPI fixed hardware a guest's OS needs to time and to power off
 * (ACPI 6.5 chapter 4.8 "ACPI Hardware Model"): the PM1a event block (PM1
 * status and enable, 4.8.3.1), the PM1a control block (SCI_EN, SLP_TYP,
 * SLP_EN; 4.8.3.2) and the power-management timer (a 24-bit counter at
 * 3.579545 MHz, 4.8.3.3), at consecutive I/O ports from a base the FADT
 * names (hv/dev/guest_acpi.c).  Writing SLP_EN with SLP_TYP 5 (the value
 * the DSDT's \_S5 object gives) asks for soft-off: the caller ends the VM.
 *
 * Pure: time comes in as the guest's clock in PM-timer ticks, computed by
 * the caller.  The caller's lock (vplatform.lock) protects the state.
 */
#ifndef KEEL_HV_ACPI_PM_H
#define KEEL_HV_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#define ACPI_PM_TIMER_HZ   3579545u  /* ACPI 6.5 4.8.3.3 */
#define ACPI_PM_EVT_OFF    0u        /* PM1a_EVT_BLK: status (2 bytes), enable (2 bytes) */
#define ACPI_PM_EVT_LEN    4u
#define ACPI_PM_CNT_OFF    4u        /* PM1a_CNT_BLK */
#define ACPI_PM_CNT_LEN    2u
#define ACPI_PM_TMR_OFF    8u        /* PM_TMR_BLK */
#define ACPI_PM_TMR_LEN    4u
#define ACPI_PM_PORTS      12u

/* PM1 status / enable bits (tables 4.16, 4.17). */
#define ACPI_PM1_TMR_STS     (1u << 0)  /* and TMR_EN */
#define ACPI_PM1_GBL_STS     (1u << 5)  /* and GBL_EN: the global lock's event */
#define ACPI_PM1_PWRBTN_STS  (1u << 8)  /* and PWRBTN_EN */
#define ACPI_PM1_SLPBTN_STS  (1u << 9)  /* and SLPBTN_EN */
#define ACPI_PM1_RTC_STS     (1u << 10) /* and RTC_EN */
#define ACPI_PM1_WAK_STS     (1u << 15)
/* The enable bits an OS sets (ACPICA checks that each sticks); nothing
 * here raises their events: no SCI is ever asserted. */
#define ACPI_PM1_EN_MASK     (ACPI_PM1_TMR_STS | ACPI_PM1_GBL_STS | ACPI_PM1_PWRBTN_STS \
                              | ACPI_PM1_SLPBTN_STS | ACPI_PM1_RTC_STS)
/* PM1 control bits (table 4.18). */
#define ACPI_PM1_SCI_EN      (1u << 0)
#define ACPI_PM1_BM_RLD      (1u << 1)
#define ACPI_PM1_SLP_TYP_SHIFT 10
#define ACPI_PM1_SLP_TYP_MASK  (7u << ACPI_PM1_SLP_TYP_SHIFT)
#define ACPI_PM1_SLP_EN      (1u << 13) /* write-only, reads 0 */
#define ACPI_PM1_CNT_MASK    (ACPI_PM1_SCI_EN | ACPI_PM1_BM_RLD | ACPI_PM1_SLP_TYP_MASK)

#define ACPI_SLP_TYP_S5      5u /* what \_S5 in Keel's DSDT says */

struct acpi_pm {
    uint16_t sts;
    uint16_t en;
    uint16_t cnt;
};

enum acpi_pm_action { ACPI_PM_NONE, ACPI_PM_POWER_OFF };

/* Power-on state: SCI_EN set (no SMI command port: always in ACPI mode,
 * ACPI 6.5 4.8.3.2.1 and 5.2.9 "SMI_CMD ... zero"). */
void acpi_pm_init(struct acpi_pm *pm);

/* Reads @size (1, 2 or 4) bytes at offset @off (0..ACPI_PM_PORTS-1) of the
 * block; @ticks is the guest clock in PM-timer ticks.  Bytes outside the
 * registers read as all ones. */
uint32_t acpi_pm_read(const struct acpi_pm *pm, unsigned off, unsigned size, uint64_t ticks);

/* Writes; returns ACPI_PM_POWER_OFF when the guest asked for soft-off
 * (SLP_EN with SLP_TYP S5).  Other sleep states are not offered (the DSDT
 * has only \_S5): SLP_EN with another type is ignored. */
enum acpi_pm_action acpi_pm_write(struct acpi_pm *pm, unsigned off, unsigned size, uint32_t val);

#endif /* KEEL_HV_ACPI_PM_H */
