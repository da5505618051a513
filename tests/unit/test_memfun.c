/* SPDX-License-Identifier: MIT */
/*
 * hv/host/memfun.c: keel.efi's memset, memcpy and memmove, checked against
 * a byte-at-a-time reference for every length up to past the switch to the
 * string instructions, every alignment of source and destination, both
 * directions of overlap, and that nothing outside the range is touched.
 * The file is compiled here under other names so the test binary's own
 * (and ASan's) functions stay in place.
 */
#include <stdint.h>
#include <string.h>

#define memset keel_memset
#define memcpy keel_memcpy
#define memmove keel_memmove
void *keel_memset(void *dst, int c, size_t n);
void *keel_memcpy(void *dst, const void *src, size_t n);
void *keel_memmove(void *dst, const void *src, size_t n);
#include "hv/host/memfun.c"
#undef memset
#undef memcpy
#undef memmove

#include "tests/unit/check.h"

#define BUF 400
#define MAXLEN 300

static uint8_t a[BUF], b[BUF], ref[BUF];

static void fill(uint8_t *p, unsigned seed)
{
    for (unsigned i = 0; i < BUF; i++)
        p[i] = (uint8_t)(i * 131u + seed * 7u + 1u);
}

static unsigned bad_set, bad_cpy, bad_move, bad_ret;

static void check_set(unsigned off, size_t n, int c)
{
    fill(a, 1);
    fill(ref, 1);
    for (size_t i = 0; i < n; i++)
        ref[off + i] = (uint8_t)c;
    if (keel_memset(a + off, c, n) != a + off)
        bad_ret++;
    for (unsigned i = 0; i < BUF; i++)
        if (a[i] != ref[i]) {
            bad_set++;
            break;
        }
}

static void check_cpy(unsigned doff, unsigned soff, size_t n)
{
    fill(a, 2);
    fill(b, 3);
    fill(ref, 2);
    for (size_t i = 0; i < n; i++)
        ref[doff + i] = b[soff + i];
    if (keel_memcpy(a + doff, b + soff, n) != a + doff)
        bad_ret++;
    for (unsigned i = 0; i < BUF; i++)
        if (a[i] != ref[i]) {
            bad_cpy++;
            break;
        }
}

/* dst and src inside the same buffer, any overlap. */
static void check_move(unsigned doff, unsigned soff, size_t n)
{
    uint8_t tmp[BUF];
    fill(a, 4);
    fill(ref, 4);
    for (size_t i = 0; i < n; i++)
        tmp[i] = ref[soff + i];
    for (size_t i = 0; i < n; i++)
        ref[doff + i] = tmp[i];
    if (keel_memmove(a + doff, a + soff, n) != a + doff)
        bad_ret++;
    for (unsigned i = 0; i < BUF; i++)
        if (a[i] != ref[i]) {
            bad_move++;
            break;
        }
}

int main(void)
{
    for (size_t n = 0; n <= MAXLEN; n++)
        for (unsigned off = 0; off < 8; off++) {
            check_set(off, n, 0);
            check_set(off, n, 0xa5);
            check_set(off, n, -1); /* only the low byte counts */
            for (unsigned soff = 0; soff < 8; soff++)
                check_cpy(off, soff, n);
        }
    /* memmove: destinations before, on and after the source, overlapping
     * by every amount. */
    for (size_t n = 0; n <= MAXLEN - 40; n += (n < 40 ? 1 : 7))
        for (unsigned soff = 16; soff < 24; soff++)
            for (unsigned doff = soff - 16; doff <= soff + 16; doff++)
                check_move(doff, soff, n);
    CHECK_EQ(bad_set, 0);
    CHECK_EQ(bad_cpy, 0);
    CHECK_EQ(bad_move, 0);
    CHECK_EQ(bad_ret, 0);
    return check_report("test_memfun");
}
