/* SPDX-License-Identifier: MIT */
/*
 * reboot: resets its VM the ways a PC's software does, one per boot, and
 * counts its boots in CMOS RAM, which a reset keeps (RAM does not):
 *
 *   cf9     the reset control register: 02h then 06h to port 0xCF9
 *   fadt    the ACPI FADT's RESET_REG and RESET_VALUE (RESET_REG_SUP set)
 *   kbd     the 8042's reset line: command FEh to port 64h
 *   triple  a triple fault (needs keel.cfg on_triple_fault = reset)
 *
 * The command line's `paths=cf9,fadt,kbd` (the default) says which, in
 * order; the boot after the last one reports its checks and exits 0.  Each
 * boot also checks that RAM came back cleared and the image reloaded (a
 * static variable has its initial value, a marker left high in RAM is
 * gone) and that the 8042 answers sanely; the counts of passed and
 * failed checks go on in CMOS RAM too, and the last boot reports them all.
 */
#include <stdio.h>
#include <string.h>

#include "hv/abi.h"
#include "rt.h"

#define CMOS_INDEX      0x70
#define CMOS_DATA       0x71
#define CMOS_MAGIC_REG  0x5a   /* CMOS RAM bytes (MC146818A 0Eh-7Fh), not clock registers */
#define CMOS_COUNT_REG  0x5b
#define CMOS_PASSED_REG 0x5c   /* the checks of every boot so far */
#define CMOS_FAILED_REG 0x5d
#define CMOS_MAGIC      0xb7   /* "the count is ours" */
#define RST_CNT_PORT    0xcf9
#define KBC_DATA        0x60
#define KBC_STATUS      0x64
#define KBC_STS_OBF     0x01
#define KBC_STS_IBF     0x02
#define KBC_SELF_TEST   0xaa
#define KBC_RESET       0xfe
#define RAM_MARKER_GPA  0x1000000ull /* 16 MiB: above the image, inside 64 MiB */
#define RAM_MARKER      0x6b65656c72656274ull
#define MAX_PATHS       8
#define FADT_FLAGS      112    /* ACPI 6.5 table 5.9 offsets */
#define FADT_RESET_REG  116
#define FADT_RESET_VAL  128
#define FADT_RESET_SUP  (1u << 10)
#define GAS_SYSTEM_IO   1

static unsigned passed, failed;
static volatile uint32_t data_marker = 0x600d1dea; /* back to this after each reload */

static uint8_t cmos_read(uint8_t reg)
{
    rt_outb(CMOS_INDEX, reg);
    return rt_inb(CMOS_DATA);
}

static void cmos_write(uint8_t reg, uint8_t val)
{
    rt_outb(CMOS_INDEX, reg);
    rt_outb(CMOS_DATA, val);
}

static void check(bool ok, const char *what)
{
    printf("reboot: %s: %s\n", ok ? "ok" : "FAILED", what);
    if (ok)
        passed++;
    else
        failed++;
    cmos_write(CMOS_PASSED_REG, (uint8_t)passed);
    cmos_write(CMOS_FAILED_REG, (uint8_t)failed);
}

static unsigned split_paths(const char *s, char out[MAX_PATHS][8])
{
    unsigned n = 0;
    while (*s && n < MAX_PATHS) {
        size_t len = strcspn(s, ",");
        snprintf(out[n++], 8, "%.*s", (int)(len < 7 ? len : 7), s);
        s += len + (s[len] == ',');
    }
    return n;
}

static void reset_cf9(void)
{
    rt_outb(RST_CNT_PORT, 0x02); /* SYS_RST: a hard reset, RST_CPU still 0 */
    rt_outb(RST_CNT_PORT, 0x06); /* RST_CPU 0 -> 1 starts it */
}

static void reset_fadt(void)
{
    const uint8_t *f = rt_acpi_table("FACP");
    uint32_t len = 0, flags = 0;
    uint64_t addr = 0;
    if (f) {
        memcpy(&len, f + 4, 4);
        memcpy(&flags, f + FADT_FLAGS, 4);
        memcpy(&addr, f + FADT_RESET_REG + 4, 8);
    }
    check(f && len > FADT_RESET_VAL, "the FADT is there, long enough for RESET_REG");
    if (!f || len <= FADT_RESET_VAL)
        return;
    check(flags & FADT_RESET_SUP, "the FADT says RESET_REG_SUP");
    check(f[FADT_RESET_REG] == GAS_SYSTEM_IO && f[FADT_RESET_REG + 1] == 8,
          "RESET_REG is an 8-bit system I/O register");
    printf("reboot: FADT RESET_REG port %#lx, RESET_VALUE %#x\n", (unsigned long)addr,
           f[FADT_RESET_VAL]);
    if (flags & FADT_RESET_SUP && f[FADT_RESET_REG] == GAS_SYSTEM_IO)
        rt_outb((uint16_t)addr, f[FADT_RESET_VAL]); /* written once, as ACPI 4.8.3.6 says */
}

static void kbc_checks(void)
{
    uint8_t st = rt_inb(KBC_STATUS);
    check(st != 0xff && !(st & (KBC_STS_OBF | KBC_STS_IBF)), "8042 status: no data, ready");
    rt_outb(KBC_STATUS, KBC_SELF_TEST);
    bool full = rt_inb(KBC_STATUS) & KBC_STS_OBF;
    check(full && rt_inb(KBC_DATA) == 0x55, "8042 self-test answers 55h");
    check(!(rt_inb(KBC_STATUS) & KBC_STS_OBF), "8042 output buffer empty after the read");
}

static void reset_kbd(void)
{
    while (rt_inb(KBC_STATUS) & KBC_STS_IBF)
        ;
    rt_outb(KBC_STATUS, KBC_RESET);
}

/* RAM cleared and the image loaded again: the marker a previous boot left
 * is gone and the static variable has its initial value. */
static void reload_checks(unsigned boot)
{
    volatile uint64_t *marker = (volatile uint64_t *)(uintptr_t)RAM_MARKER_GPA;
    if (boot > 1) {
        check(*marker == 0, "RAM came back cleared");
        check(data_marker == 0x600d1dea, "the image came back reloaded");
    }
    *marker = RAM_MARKER;
    data_marker = 0xbad;
}

static volatile uint32_t aps_seen;

static void ap_hello(unsigned vcpu)
{
    __atomic_add_fetch(&aps_seen, 1, __ATOMIC_RELAXED);
}

/* The APs start again on every boot (the reset left them waiting), and
 * run the runtime's idle loop when the reset comes: the restart must take
 * them out of the guest too. */
static void ap_checks(void)
{
    unsigned want = rt_vcpu_count() - 1;
    if (!want)
        return;
    unsigned got = rt_start_aps(ap_hello);
    check(got == want && aps_seen == want, "every AP started again");
}

static void do_reset(const char *path)
{
    printf("reboot: resetting through %s\n", path);
    rt_console_flush();
    if (strcmp(path, "cf9") == 0)
        reset_cf9();
    else if (strcmp(path, "fadt") == 0)
        reset_fadt();
    else if (strcmp(path, "kbd") == 0)
        reset_kbd();
    else if (strcmp(path, "triple") == 0)
        rt_triple_fault();
    else
        printf("reboot: unknown path '%s' (cf9, fadt, kbd, triple)\n", path);
    rt_delay_us(100000); /* the reset takes the vCPU at its next exit */
    check(false, "the reset happened");
}

int main(void)
{
    char paths[MAX_PATHS][8];
    const char *p = rt_cmdline_value("paths");
    unsigned npaths = split_paths(p ? p : "cf9,fadt,kbd", paths);
    unsigned count = cmos_read(CMOS_MAGIC_REG) == CMOS_MAGIC ? cmos_read(CMOS_COUNT_REG) : 0;
    unsigned boot = count + 1;
    if (count) {
        passed = cmos_read(CMOS_PASSED_REG);
        failed = cmos_read(CMOS_FAILED_REG);
    }
    cmos_write(CMOS_MAGIC_REG, CMOS_MAGIC);
    cmos_write(CMOS_COUNT_REG, (uint8_t)boot);
    printf("reboot: boot %u of %u\n", boot, npaths + 1);
    reload_checks(boot);
    kbc_checks();
    ap_checks();
    if (boot <= npaths) {
        do_reset(paths[boot - 1]);
        rt_hypercall(KEEL_HC_TEST_RESULT, passed, failed, 0);
        return 1;
    }
    printf("reboot: every reset came back (%u boots)\n", boot);
    rt_hypercall(KEEL_HC_TEST_RESULT, passed, failed, 0);
    return failed ? 1 : 0;
}
