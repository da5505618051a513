/* SPDX-License-Identifier: MIT */
/*
 * The fake host memory of the nested-page-table tests (test_npt.c,
 * test_npt_large.c): FAKE_PAGES table pages at FAKE_BASE, handed out by
 * fake_alloc (an optional budget makes it fail), checked on every free and
 * map (fake_bad_frees), poisoned when freed.  The including test may set
 * FAKE_PAGES first; it uses env as its npt_env.
 */
#ifndef KEEL_TESTS_UNIT_NPT_FAKE_H
#define KEEL_TESTS_UNIT_NPT_FAKE_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "hv/mm/npt.h"

#ifndef FAKE_PAGES
#define FAKE_PAGES 1100
#endif
#define FAKE_BASE     0x7000000000ull /* host-physical address of page 0 */
#define FAKE_PAGE_SIZE 4096ull

static uint64_t fake_mem[FAKE_PAGES][512] __attribute__((aligned(4096)));
static bool fake_used[FAKE_PAGES];
static unsigned fake_in_use, fake_allocs, fake_frees, fake_bad_frees;
static int fake_budget = -1; /* allocations left before failing; -1 = no limit */

static uint64_t fake_alloc(void *ctx)
{
    (void)ctx;
    if (fake_budget == 0)
        return 0;
    for (unsigned i = 0; i < FAKE_PAGES; i++) {
        if (!fake_used[i]) {
            fake_used[i] = true;
            memset(fake_mem[i], 0, sizeof(fake_mem[i]));
            fake_in_use++;
            fake_allocs++;
            if (fake_budget > 0)
                fake_budget--;
            return FAKE_BASE + i * FAKE_PAGE_SIZE;
        }
    }
    return 0;
}

static unsigned fake_index(uint64_t hpa)
{
    if (hpa < FAKE_BASE || (hpa & (FAKE_PAGE_SIZE - 1)) != 0 || (hpa - FAKE_BASE) / FAKE_PAGE_SIZE >= FAKE_PAGES)
        return FAKE_PAGES;
    return (unsigned)((hpa - FAKE_BASE) / FAKE_PAGE_SIZE);
}

static void fake_free(void *ctx, uint64_t hpa)
{
    unsigned i = fake_index(hpa);

    (void)ctx;
    if (i >= FAKE_PAGES || !fake_used[i]) {
        fake_bad_frees++;
        return;
    }
    fake_used[i] = false;
    memset(fake_mem[i], 0xab, sizeof(fake_mem[i])); /* poison: catch use after free */
    fake_in_use--;
    fake_frees++;
}

static void *fake_map(void *ctx, uint64_t hpa)
{
    unsigned i = fake_index(hpa);

    (void)ctx;
    if (i >= FAKE_PAGES || !fake_used[i]) {
        fake_bad_frees++; /* counted as a memory error too */
        return fake_mem[0];
    }
    return fake_mem[i];
}

static const struct npt_env env = {
    .ctx = NULL,
    .alloc_table = fake_alloc,
    .free_table = fake_free,
    .map = fake_map,
};

static inline void fake_reset(void)
{
    memset(fake_used, 0, sizeof(fake_used));
    fake_in_use = fake_allocs = fake_frees = fake_bad_frees = 0;
    fake_budget = -1;
}

#endif /* KEEL_TESTS_UNIT_NPT_FAKE_H */
