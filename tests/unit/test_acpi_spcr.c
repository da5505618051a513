/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for boot/acpi.c's SPCR parser (the Serial Port Console
 * Redirection table; ACPI 6.5 table 5.6 reserves the signature): SPCRs of
 * every kind Keel meets, built in the fake memory of acpi_fake.h.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "boot/acpi.h"
#include "acpi_fake.h"
#include "check.h"

static unsigned ncases;

#define SPCR_PA 0xb000u

/* An SPCR (revision 2 layout, 80 bytes): interface type, address space of
 * the base address, the address, and the baud rate code. */
static void put_spcr(uint8_t iftype, uint8_t space, uint64_t addr, uint8_t baud_code)
{
    uint8_t *t = fm.b + SPCR_PA;

    memset(t, 0, 80);
    t[36] = iftype;
    t[40] = space;
    t[41] = 8;
    t[43] = 1;
    put64(t + 44, addr);
    t[58] = baud_code;
    put_sdt(SPCR_PA, "SPCR", 80);
}

static struct spcr_info si;

static int spcr(const char **why)
{
    *why = NULL;
    return acpi_parse_spcr(SPCR_PA, fm_map, &fm, &si, why);
}

static void test_spcr_com2(void)
{
    const char *why;

    ncases++;
    mem_reset();
    put_spcr(0, 1, 0x2f8, 7);
    CHECK_EQ(spcr(&why), 0);
    CHECK(si.io && si.uart_16550);
    CHECK_EQ(si.address, 0x2f8);
    CHECK_EQ(si.baud, 115200);
}

static void test_spcr_baud_codes(void)
{
    static const struct { uint8_t code; uint32_t baud; } t[] = {
        { 0, 0 }, { 3, 9600 }, { 4, 19200 }, { 5, 0 }, { 6, 57600 }, { 7, 115200 }, { 0xff, 0 },
    };
    const char *why;

    ncases++;
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        mem_reset();
        put_spcr(0x12, 1, 0x3f8, t[i].code);
        CHECK_EQ(spcr(&why), 0);
        CHECK_EQ(si.baud, t[i].baud);
        CHECK(si.uart_16550);
    }
}

static void test_spcr_mmio_and_other_uarts(void)
{
    const char *why;

    ncases++;
    mem_reset();
    put_spcr(0, 0, 0xfedc9000ull, 7);          /* a 16550 in memory space */
    CHECK_EQ(spcr(&why), 0);
    CHECK(!si.io && si.uart_16550);
    CHECK_EQ(si.address, 0xfedc9000ull);
    mem_reset();
    put_spcr(3, 0, 0x9000000, 0);              /* an ARM PL011 */
    CHECK_EQ(spcr(&why), 0);
    CHECK(!si.uart_16550);
}

static void test_spcr_bad(void)
{
    const char *why;

    ncases++;
    mem_reset();
    put_spcr(0, 1, 0, 7);
    CHECK_EQ(spcr(&why), -1);
    CHECK(why && strstr(why, "no UART"));
    mem_reset();
    put_spcr(0, 1, 0x3f8, 7);
    put32(fm.b + SPCR_PA + 4, 60);             /* too short for an SPCR */
    fix_sum(fm.b + SPCR_PA, 60, 9);
    CHECK_EQ(spcr(&why), -1);
    CHECK(why && strstr(why, "not an SPCR"));
    mem_reset();
    put_spcr(0, 1, 0x3f8, 7);
    fm.b[SPCR_PA + 50] ^= 1;                   /* checksum broken */
    CHECK_EQ(spcr(&why), -1);
    mem_reset();
    put_sdt(SPCR_PA, "HPET", 80);
    CHECK_EQ(spcr(&why), -1);
    CHECK(why && strstr(why, "not an SPCR"));
}

int main(void)
{
    test_spcr_com2();
    test_spcr_baud_codes();
    test_spcr_mmio_and_other_uarts();
    test_spcr_bad();
    printf("test_acpi_spcr: %u cases\n", ncases);
    return check_report("test_acpi_spcr");
}
