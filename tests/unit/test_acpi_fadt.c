/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for boot/acpi.c's FADT PM-timer reader (ACPI 6.5 5.2.9,
 * table 5.9; 4.8.3.3): the FADTs of ACPI 1.0 (116 bytes, 32-bit fields
 * only) and 6.x (X_PM_TMR_BLK), the 32-bit counter flag, and the tables a
 * host may give that name no usable timer, built in acpi_fake.h's memory.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "boot/acpi.h"
#include "acpi_fake.h"
#include "check.h"

static unsigned ncases;

#define FADT_PA 0xc000u

/* A FADT of len bytes: PM_TMR_BLK with PM_TMR_LEN, flags, and (len >= 220)
 * X_PM_TMR_BLK as address space and address. */
static void put_fadt(uint32_t len, uint32_t blk, uint8_t blk_len, uint32_t flags, uint8_t x_space,
                     uint64_t x_addr)
{
    uint8_t *t = fm.b + FADT_PA;

    memset(t, 0, 276);
    put32(t + 76, blk);
    t[91] = blk_len;
    put32(t + 112, flags);
    if (len >= 220) {
        t[208] = x_space;
        t[209] = 32;
        put64(t + 212, x_addr);
    }
    put_sdt(FADT_PA, "FACP", len);
}

static struct fadt_pm_timer pt;

static int fadt(const char **why)
{
    *why = NULL;
    return acpi_parse_fadt_pm_timer(FADT_PA, fm_map, &fm, &pt, why);
}

/* QEMU's q35 (ICH9: PMBASE 0x600, the timer at +8, 24 bits) and a 32-bit
 * timer; ACPI 1.0's short table has only the 32-bit field. */
static void test_fadt_io_timers(void)
{
    const char *why;
    mem_reset();
    put_fadt(276, 0x608, 4, 0, 1, 0x608);
    CHECK_EQ(fadt(&why), 0);
    CHECK_EQ(pt.port, 0x608);
    CHECK(!pt.ext32);
    put_fadt(276, 0x808, 4, 1u << 8, 1, 0x808);
    CHECK_EQ(fadt(&why), 0);
    CHECK_EQ(pt.port, 0x808);
    CHECK(pt.ext32);
    put_fadt(116, 0x408, 4, 0, 0, 0);
    CHECK_EQ(fadt(&why), 0);
    CHECK_EQ(pt.port, 0x408);
    ncases += 3;
}

/* A non-zero X_PM_TMR_BLK wins over PM_TMR_BLK; a zero one leaves it. */
static void test_fadt_x_field(void)
{
    const char *why;
    mem_reset();
    put_fadt(276, 0x408, 4, 0, 1, 0x1808);
    CHECK_EQ(fadt(&why), 0);
    CHECK_EQ(pt.port, 0x1808);
    put_fadt(276, 0x408, 4, 0, 1, 0);
    CHECK_EQ(fadt(&why), 0);
    CHECK_EQ(pt.port, 0x408);
    put_fadt(276, 0x408, 4, 0, 0, 0xfed00f00ull);   /* the X_ timer in memory space */
    CHECK_EQ(fadt(&why), -1);
    CHECK(why && strstr(why, "system I/O"));
    ncases += 3;
}

static void test_fadt_no_timer(void)
{
    const char *why;
    mem_reset();
    put_fadt(276, 0, 0, 0, 0, 0);
    CHECK_EQ(fadt(&why), -1);
    CHECK(why && strstr(why, "names no PM timer"));
    put_fadt(276, 0x608, 4, 1u << 20, 1, 0x608);    /* HW_REDUCED_ACPI */
    CHECK_EQ(fadt(&why), -1);
    CHECK(why && strstr(why, "hardware-reduced"));
    put_fadt(276, 0x608, 2, 0, 0, 0);               /* PM_TMR_LEN must be 4 */
    CHECK_EQ(fadt(&why), -1);
    put_fadt(276, 0xfffe, 4, 0, 0, 0);              /* runs past port 0xFFFF */
    CHECK_EQ(fadt(&why), -1);
    ncases += 4;
}

static void test_fadt_bad_tables(void)
{
    const char *why;
    mem_reset();
    put_fadt(100, 0x608, 4, 0, 0, 0);               /* shorter than ACPI 1.0's */
    CHECK_EQ(fadt(&why), -1);
    CHECK(why && strstr(why, "not a FADT"));
    put_fadt(276, 0x608, 4, 0, 1, 0x608);
    memcpy(fm.b + FADT_PA, "APIC", 4);
    fix_sum(fm.b + FADT_PA, 276, 9);
    CHECK_EQ(fadt(&why), -1);
    CHECK(why && strstr(why, "not a FADT"));
    put_fadt(276, 0x608, 4, 0, 1, 0x608);
    fm.b[FADT_PA + 77] ^= 1;                        /* checksum broken */
    CHECK_EQ(fadt(&why), -1);
    CHECK_EQ(acpi_parse_fadt_pm_timer(MEM_SIZE + 0x1000, fm_map, &fm, &pt, &why), -1);
    ncases += 4;
}

int main(void)
{
    test_fadt_io_timers();
    test_fadt_x_field();
    test_fadt_no_timer();
    test_fadt_bad_tables();
    printf("test_acpi_fadt: %u cases\n", ncases);
    return check_report("test_acpi_fadt");
}
