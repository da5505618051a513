/* SPDX-License-Identifier: MIT */
/* ACPI PM1a event/control blocks and the PM timer (hv/dev/acpi_pm.h). */
#include "hv/dev/acpi_pm.h"

void acpi_pm_init(struct acpi_pm *pm)
{
    pm->sts = 0;
    pm->en = 0;
    pm->cnt = ACPI_PM1_SCI_EN;
}

/* The 12-byte block as the guest sees it, little-endian; the timer is 24
 * bits wide (FADT TMR_VAL_EXT clear), its top byte reads 0. */
static uint8_t reg_byte(const struct acpi_pm *pm, unsigned off, uint64_t ticks)
{
    uint32_t tmr = (uint32_t)(ticks & 0xffffffu);
    switch (off) {
    case 0: return (uint8_t)pm->sts;
    case 1: return (uint8_t)(pm->sts >> 8);
    case 2: return (uint8_t)pm->en;
    case 3: return (uint8_t)(pm->en >> 8);
    case 4: return (uint8_t)pm->cnt;
    case 5: return (uint8_t)(pm->cnt >> 8);
    case 8: return (uint8_t)tmr;
    case 9: return (uint8_t)(tmr >> 8);
    case 10: return (uint8_t)(tmr >> 16);
    case 11: return 0;
    default: return 0xff;
    }
}

uint32_t acpi_pm_read(const struct acpi_pm *pm, unsigned off, unsigned size, uint64_t ticks)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size && i < 4; i++)
        v |= (uint32_t)(off + i < ACPI_PM_PORTS ? reg_byte(pm, off + i, ticks) : 0xff) << (8 * i);
    return v;
}

static enum acpi_pm_action write_byte(struct acpi_pm *pm, unsigned off, uint8_t b)
{
    switch (off) {
    case 0: /* status bits are write-1-to-clear (4.8.3.1) */
    case 1:
        pm->sts &= (uint16_t)~((unsigned)b << (8 * off));
        break;
    case 2:
    case 3:
        pm->en = (uint16_t)((pm->en & ~(0xffu << (8 * (off - 2)))) | ((unsigned)b << (8 * (off - 2))));
        pm->en &= ACPI_PM1_EN_MASK;
        break;
    case 4:
    case 5: {
        uint16_t v = (uint16_t)((pm->cnt & ~(0xffu << (8 * (off - 4)))) | ((unsigned)b << (8 * (off - 4))));
        /* SCI_EN belongs to the platform in a system without SMI_CMD:
         * it stays set whatever the OS writes. */
        pm->cnt = (uint16_t)((v & ACPI_PM1_CNT_MASK) | ACPI_PM1_SCI_EN);
        if ((v & ACPI_PM1_SLP_EN) &&
            ((v & ACPI_PM1_SLP_TYP_MASK) >> ACPI_PM1_SLP_TYP_SHIFT) == ACPI_SLP_TYP_S5)
            return ACPI_PM_POWER_OFF;
        break;
    }
    default: /* the timer is read-only; bytes 6, 7 decode nothing */
        break;
    }
    return ACPI_PM_NONE;
}

enum acpi_pm_action acpi_pm_write(struct acpi_pm *pm, unsigned off, unsigned size, uint32_t val)
{
    enum acpi_pm_action a = ACPI_PM_NONE;
    for (unsigned i = 0; i < size && i < 4 && off + i < ACPI_PM_PORTS; i++)
        if (write_byte(pm, off + i, (uint8_t)(val >> (8 * i))) == ACPI_PM_POWER_OFF)
            a = ACPI_PM_POWER_OFF;
    return a;
}
