/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/acpi_pm.c: the PM1a blocks and the PM timer
 * (ACPI 6.5 4.8.3). */
#include "check.h"
#include "hv/dev/acpi_pm.h"

static void test_timer(void)
{
    struct acpi_pm pm;
    acpi_pm_init(&pm);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_TMR_OFF, 4, 0x12345678ull), 0x345678);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_TMR_OFF, 4, 0xffffffull + 1), 0); /* wraps at 24 bits */
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_TMR_OFF + 1, 2, 0xabcdefull), 0xabcd);
    /* read-only */
    CHECK_EQ(acpi_pm_write(&pm, ACPI_PM_TMR_OFF, 4, 0), ACPI_PM_NONE);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_TMR_OFF, 4, 42), 42);
}

static void test_pm1(void)
{
    struct acpi_pm pm;
    acpi_pm_init(&pm);
    /* SCI_EN set from power-on and kept */
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_CNT_OFF, 2, 0), ACPI_PM1_SCI_EN);
    CHECK_EQ(acpi_pm_write(&pm, ACPI_PM_CNT_OFF, 2, 0), ACPI_PM_NONE);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_CNT_OFF, 2, 0), ACPI_PM1_SCI_EN);
    /* enable bits: only the defined ones stick */
    acpi_pm_write(&pm, ACPI_PM_EVT_OFF + 2, 2, 0xffff);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_EVT_OFF + 2, 2, 0), ACPI_PM1_EN_MASK);
    /* status: write 1 to clear */
    pm.sts = ACPI_PM1_TMR_STS | ACPI_PM1_WAK_STS;
    acpi_pm_write(&pm, ACPI_PM_EVT_OFF, 2, ACPI_PM1_TMR_STS);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_EVT_OFF, 2, 0), ACPI_PM1_WAK_STS);
    /* one 32-bit access covers status and enable */
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_EVT_OFF, 4, 0),
             ACPI_PM1_WAK_STS | ((uint32_t)ACPI_PM1_EN_MASK << 16));
    /* unclaimed bytes read as ones */
    CHECK_EQ(acpi_pm_read(&pm, 6, 2, 0), 0xffff);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_PORTS - 1, 4, 0), 0xffffff00u);
    /* GBL_EN alone sticks: ACPICA reads it back before it uses the global lock */
    acpi_pm_write(&pm, ACPI_PM_EVT_OFF + 2, 2, 0);
    acpi_pm_write(&pm, ACPI_PM_EVT_OFF + 2, 2, 1u << 5);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_EVT_OFF + 2, 2, 0), 1u << 5);
}

static void test_sleep(void)
{
    struct acpi_pm pm;
    acpi_pm_init(&pm);
    /* SLP_TYP alone does nothing; SLP_EN with S5 powers off */
    CHECK_EQ(acpi_pm_write(&pm, ACPI_PM_CNT_OFF, 2, 5u << 10), ACPI_PM_NONE);
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_CNT_OFF, 2, 0), (5u << 10) | ACPI_PM1_SCI_EN);
    CHECK_EQ(acpi_pm_write(&pm, ACPI_PM_CNT_OFF, 2, (5u << 10) | ACPI_PM1_SLP_EN), ACPI_PM_POWER_OFF);
    /* SLP_EN reads 0 */
    CHECK_EQ(acpi_pm_read(&pm, ACPI_PM_CNT_OFF, 2, 0) & ACPI_PM1_SLP_EN, 0);
    /* byte-wise, as an OS may write it: the high byte carries SLP_EN */
    CHECK_EQ(acpi_pm_write(&pm, ACPI_PM_CNT_OFF + 1, 1, (5u << 2) | (1u << 5)), ACPI_PM_POWER_OFF);
    /* another sleep type is not offered */
    CHECK_EQ(acpi_pm_write(&pm, ACPI_PM_CNT_OFF, 2, (3u << 10) | ACPI_PM1_SLP_EN), ACPI_PM_NONE);
    /* out of range offsets are ignored */
    CHECK_EQ(acpi_pm_write(&pm, ACPI_PM_PORTS, 4, 0xffffffffu), ACPI_PM_NONE);
}

int main(void)
{
    test_timer();
    test_pm1();
    test_sleep();
    return check_report("test_acpi_pm");
}
