/* SPDX-License-Identifier: MIT */
/*
 * A fake physical memory for the ACPI parser's host tests (test_acpi.c,
 * test_acpi_spcr.c): a byte array with a map callback that returns NULL
 * outside it, and builders that write ACPI 6.5 structures into it with
 * correct checksums: RSDP (5.2.5), SDT headers (5.2.6), RSDT/XSDT
 * (5.2.7/5.2.8).
 */
#ifndef KEEL_TESTS_ACPI_FAKE_H
#define KEEL_TESTS_ACPI_FAKE_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MEM_SIZE 0x20000u

struct fake_mem {
    uint8_t b[MEM_SIZE];
    unsigned maps;
};

static struct fake_mem fm;

static inline const void *fm_map(void *ctx, uint64_t pa, size_t len)
{
    struct fake_mem *m = ctx;

    m->maps++;
    if (pa > MEM_SIZE || len > MEM_SIZE - pa)
        return NULL;
    return m->b + pa;
}

static inline void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static inline void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static inline void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static inline uint8_t sum8(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* Sets the checksum byte at p[at] so that p[0..n) sums to zero. */
static inline void fix_sum(uint8_t *p, size_t n, size_t at)
{
    p[at] = 0;
    p[at] = (uint8_t)(0 - sum8(p, n));
}

static inline void mem_reset(void)
{
    memset(fm.b, 0, sizeof(fm.b));
    fm.maps = 0;
}

/* RSDP: revision 0 (20 bytes) or 2 (36 bytes, with the XSDT address and the
 * extended checksum). */
static inline void put_rsdp(uint32_t pa, unsigned rev, uint32_t rsdt, uint64_t xsdt)
{
    uint8_t *r = fm.b + pa;

    memcpy(r, "RSD PTR ", 8);
    memcpy(r + 9, "KEELTS", 6);
    r[15] = (uint8_t)rev;
    put32(r + 16, rsdt);
    if (rev >= 2) {
        put32(r + 20, 36);
        put64(r + 24, xsdt);
    }
    fix_sum(r, 20, 8);
    if (rev >= 2)
        fix_sum(r, 36, 32); /* covers the first checksum too: last */
}

/* An SDT header of len bytes (the body is whatever is already there). */
static inline void put_sdt(uint32_t pa, const char sig[4], uint32_t len)
{
    uint8_t *t = fm.b + pa;

    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = 1;
    memcpy(t + 10, "KEELTS", 6);
    memcpy(t + 16, "TESTTABL", 8);
    put32(t + 24, 1);
    memcpy(t + 28, "KEEL", 4);
    put32(t + 32, 1);
    fix_sum(t, len, 9);
}

static inline void put_rsdt(uint32_t pa, const uint32_t *tables, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put32(fm.b + pa + 36 + 4 * i, tables[i]);
    put_sdt(pa, "RSDT", 36 + 4 * n);
}

static inline void put_xsdt(uint32_t pa, const uint64_t *tables, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        put64(fm.b + pa + 36 + 8 * i, tables[i]);
    put_sdt(pa, "XSDT", 36 + 8 * n);
}

#endif /* KEEL_TESTS_ACPI_FAKE_H */
