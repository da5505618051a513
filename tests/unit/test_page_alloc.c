/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/mm/page_alloc.c. */
#include "check.h"
#include "hv/mm/page_alloc.h"

#include <stdbool.h>
#include <string.h>

#define PG 4096ull
#define MiB (1024ull * 1024)
#define GiB (1024ull * MiB)

static struct page_alloc pa;

static void reset(void)
{
    page_alloc_init(&pa);
}

/* True when the free list is exactly the given (base, end) pairs. */
static bool ranges_are(size_t n, const uint64_t *pairs)
{
    size_t i;

    if (pa.nranges != n)
        return false;
    for (i = 0; i < n; i++)
        if (pa.range[i].base != pairs[2 * i] || pa.range[i].end != pairs[2 * i + 1])
            return false;
    return true;
}

static void test_init_empty(void)
{
    reset();
    CHECK_EQ(pa.nranges, 0);
    CHECK_EQ(page_alloc_free_pages(&pa), 0);
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 0), 0);
}

static void test_add_single(void)
{
    static const uint64_t want[] = { 0x100000, 0x200000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK(ranges_are(1, want));
    CHECK_EQ(page_alloc_free_pages(&pa), 256);
}

static void test_add_sorted_out_of_order(void)
{
    static const uint64_t want[] = { 0x10000, 0x20000, 0x100000, 0x110000, 0x400000, 0x401000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x400000, 1), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x10000, 16), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 16), 0);
    CHECK(ranges_are(3, want));
}

static void test_add_merge_left(void)
{
    static const uint64_t want[] = { 0x100000, 0x300000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x200000, 256), 0);
    CHECK(ranges_are(1, want));
}

static void test_add_merge_right(void)
{
    static const uint64_t want[] = { 0x100000, 0x300000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x200000, 256), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK(ranges_are(1, want));
}

static void test_add_merge_both(void)
{
    static const uint64_t want[] = { 0x100000, 0x400000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x300000, 256), 0);
    CHECK_EQ(pa.nranges, 2);
    CHECK_EQ(page_alloc_add(&pa, 0x200000, 256), 0);
    CHECK(ranges_are(1, want));
    CHECK_EQ(page_alloc_free_pages(&pa), 768);
}

static void test_add_overlap_rejected(void)
{
    static const uint64_t want[] = { 0x100000, 0x200000, 0x300000, 0x400000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x300000, 256), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x1ff000, 2), PAGE_ALLOC_EEXIST);   /* tail overlap */
    CHECK_EQ(page_alloc_add(&pa, 0x0ff000, 2), PAGE_ALLOC_EEXIST);   /* head overlap */
    CHECK_EQ(page_alloc_add(&pa, 0x180000, 1), PAGE_ALLOC_EEXIST);   /* inside */
    CHECK_EQ(page_alloc_add(&pa, 0x000000, 2048), PAGE_ALLOC_EEXIST); /* covers all */
    CHECK_EQ(page_alloc_add(&pa, 0x200000, 257), PAGE_ALLOC_EEXIST); /* adjacent + into next */
    CHECK(ranges_are(2, want));
}

static void test_add_bad_args(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100800, 1), PAGE_ALLOC_EINVAL);
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 0), PAGE_ALLOC_EINVAL);
    CHECK_EQ(page_alloc_add(&pa, PAGE_ALLOC_ADDR_LIMIT, 1), PAGE_ALLOC_EINVAL);
    CHECK_EQ(page_alloc_add(&pa, PAGE_ALLOC_ADDR_LIMIT - PG, 2), PAGE_ALLOC_EINVAL);
    CHECK_EQ(page_alloc_add(&pa, 0x1000, UINT64_MAX), PAGE_ALLOC_EINVAL);
    CHECK_EQ(pa.nranges, 0);
    CHECK_EQ(page_alloc_add(&pa, PAGE_ALLOC_ADDR_LIMIT - PG, 1), 0);
}

static void test_add_drops_page0(void)
{
    static const uint64_t want[] = { 0x1000, 0xa0000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0, 1), 0);
    CHECK_EQ(pa.nranges, 0);
    CHECK_EQ(page_alloc_add(&pa, 0, 0xa0), 0);
    CHECK(ranges_are(1, want));
    CHECK_EQ(page_alloc_free_pages(&pa), 0x9f);
}

static void test_put_page0_rejected(void)
{
    reset();
    CHECK_EQ(page_alloc_put(&pa, 0, 1), PAGE_ALLOC_EINVAL);
    CHECK_EQ(page_alloc_put(&pa, 0x1001, 1), PAGE_ALLOC_EINVAL);
    CHECK_EQ(page_alloc_put(&pa, 0x1000, 0), PAGE_ALLOC_EINVAL);
}

static void test_get_page0_never(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0, 16), 0);
    for (int i = 0; i < 15; i++) {
        uint64_t p = page_alloc_get(&pa, 1, 1, 0);

        CHECK(p != 0);
    }
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 0), 0);
    CHECK_EQ(page_alloc_free_pages(&pa), 0);
}

static void test_reserve_whole(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_reserve(&pa, 0x100000, 256), 0);
    CHECK_EQ(pa.nranges, 0);
}

static void test_reserve_split(void)
{
    static const uint64_t want[] = { 0x100000, 0x180000, 0x181000, 0x200000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_reserve(&pa, 0x180000, 1), 0);
    CHECK(ranges_are(2, want));
    CHECK_EQ(page_alloc_free_pages(&pa), 255);
}

static void test_reserve_head_tail(void)
{
    static const uint64_t want[] = { 0x110000, 0x1f0000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_reserve(&pa, 0xf0000, 32), 0);  /* starts below */
    CHECK_EQ(page_alloc_reserve(&pa, 0x1f0000, 64), 0); /* ends above */
    CHECK(ranges_are(1, want));
}

static void test_reserve_spanning_several(void)
{
    static const uint64_t want[] = { 0x1000, 0x3000, 0x40000, 0x50000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x1000, 4), 0);     /* 0x1000-0x5000 */
    CHECK_EQ(page_alloc_add(&pa, 0x10000, 16), 0);   /* removed whole */
    CHECK_EQ(page_alloc_add(&pa, 0x30000, 32), 0);   /* 0x30000-0x50000 */
    CHECK_EQ(page_alloc_reserve(&pa, 0x3000, 0x3d), 0); /* 0x3000-0x40000 */
    CHECK(ranges_are(2, want));
}

static void test_reserve_nothing_free(void)
{
    static const uint64_t want[] = { 0x100000, 0x200000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_reserve(&pa, 0x300000, 16), 0);
    CHECK_EQ(page_alloc_reserve(&pa, 0x1000, 16), 0);
    CHECK_EQ(page_alloc_reserve(&pa, 0x200000, 1), 0); /* adjacent, not inside */
    CHECK(ranges_are(1, want));
    CHECK_EQ(page_alloc_reserve(&pa, 0x100800, 1), PAGE_ALLOC_EINVAL);
    CHECK_EQ(page_alloc_reserve(&pa, 0x100000, 0), PAGE_ALLOC_EINVAL);
}

static void test_get_highest_first(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x10000, 16), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 0), 0x1ff000);
    CHECK_EQ(page_alloc_get(&pa, 2, 1, 0), 0x1fd000);
    CHECK_EQ(page_alloc_free_pages(&pa), 16 + 253);
}

static void test_get_skips_too_small(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x400000, 4), 0);
    CHECK_EQ(page_alloc_get(&pa, 8, 1, 0), 0x1f8000);
    CHECK_EQ(page_alloc_get(&pa, 4, 1, 0), 0x400000);
}

static void test_get_alignment(void)
{
    uint64_t p;

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x101000, 0x3ff), 0); /* 0x101000-0x500000 */
    p = page_alloc_get(&pa, 512, 512, 0);              /* 2 MiB aligned */
    CHECK_EQ(p, 0x200000);
    CHECK_EQ(page_alloc_free_pages(&pa), 0x3ff - 512);
    CHECK_EQ(page_alloc_get(&pa, 512, 512, 0), 0);      /* no other 2M slot */
    CHECK_EQ(page_alloc_get(&pa, 1, 16, 0), 0x4f0000);
    CHECK_EQ(pa.nranges, 3);
}

static void test_get_alignment_splits(void)
{
    static const uint64_t want[] = { 0x100000, 0x180000, 0x190000, 0x1a0000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 0xa0), 0); /* 0x100000-0x1a0000 */
    CHECK_EQ(page_alloc_get(&pa, 16, 128, 0), 0x180000);
    CHECK(ranges_are(2, want));
}

static void test_get_bad_align(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_get(&pa, 1, 3, 0), 0);
    CHECK_EQ(page_alloc_get(&pa, 1, 12, 0), 0);
    CHECK_EQ(page_alloc_get(&pa, 1, 1ull << 63, 0), 0);
    CHECK_EQ(page_alloc_get(&pa, 0, 1, 0), 0);
    CHECK_EQ(page_alloc_get(&pa, UINT64_MAX, 1, 0), 0);
    CHECK_EQ(page_alloc_free_pages(&pa), 256);
    CHECK_EQ(page_alloc_get(&pa, 1, 0, 0), 0x1ff000); /* align 0 means 1 */
}

static void test_get_limit(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x1000, 0x9f), 0);        /* below 640K */
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 0x3ff00), 0);   /* 1M..1G */
    CHECK_EQ(page_alloc_add(&pa, 4 * GiB, 0x40000), 0);     /* 4G..5G */
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 0), 5 * GiB - PG);
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 4 * GiB), GiB - PG);
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 0x100000), 0x9f000);  /* trampoline */
    CHECK_EQ(page_alloc_get(&pa, 2, 1, 0x9f000), 0x9d000);
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 0x1000), 0);          /* nothing below 4K */
}

static void test_get_limit_inside_range(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_get(&pa, 4, 1, 0x150000), 0x14c000);
    CHECK_EQ(page_alloc_get(&pa, 4, 1, 0x150800), 0x148000); /* unaligned limit */
    CHECK_EQ(page_alloc_get(&pa, 0x50, 1, 0x150000), 0);     /* 0x48 pages left below */
    CHECK_EQ(page_alloc_get(&pa, 0x48, 1, 0x150000), 0x100000);
}

static void test_get_limit_with_align(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 0x400), 0); /* 1M..5M */
    CHECK_EQ(page_alloc_get(&pa, 1, 512, 0x3ff000), 0x200000);
    CHECK_EQ(page_alloc_get(&pa, 1, 512, 0x200000), 0);
}

static void test_exhaustion(void)
{
    int n = 0;

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 64), 0);
    while (page_alloc_get(&pa, 1, 1, 0) != 0)
        n++;
    CHECK_EQ(n, 64);
    CHECK_EQ(pa.nranges, 0);
    CHECK_EQ(page_alloc_free_pages(&pa), 0);
}

static void test_exhaustion_big_block(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 64), 0);
    CHECK_EQ(page_alloc_get(&pa, 65, 1, 0), 0);
    CHECK_EQ(page_alloc_get(&pa, 64, 1, 0), 0x100000);
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 0), 0);
}

static void test_put_round_trip(void)
{
    static const uint64_t want[] = { 0x100000, 0x200000 };
    uint64_t a, b, c;

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    a = page_alloc_get(&pa, 4, 1, 0);
    b = page_alloc_get(&pa, 16, 16, 0);
    c = page_alloc_get(&pa, 1, 1, 0);
    CHECK(a && b && c);
    CHECK_EQ(page_alloc_free_pages(&pa), 256 - 21);
    CHECK_EQ(page_alloc_put(&pa, b, 16), 0);
    CHECK_EQ(page_alloc_put(&pa, a, 4), 0);
    CHECK_EQ(page_alloc_put(&pa, c, 1), 0);
    CHECK(ranges_are(1, want));
}

static void test_put_double_free(void)
{
    uint64_t a;

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    a = page_alloc_get(&pa, 4, 1, 0);
    CHECK_EQ(page_alloc_put(&pa, a, 4), 0);
    CHECK_EQ(page_alloc_put(&pa, a, 4), PAGE_ALLOC_EEXIST);
    CHECK_EQ(page_alloc_put(&pa, a + PG, 1), PAGE_ALLOC_EEXIST);
    CHECK_EQ(page_alloc_free_pages(&pa), 256);
}

static void test_put_partial_double_free(void)
{
    uint64_t a;

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    a = page_alloc_get(&pa, 4, 1, 0); /* 0x1fc000 */
    CHECK_EQ(page_alloc_put(&pa, a - PG, 2), PAGE_ALLOC_EEXIST); /* first page free */
    CHECK_EQ(page_alloc_put(&pa, a + 3 * PG, 1), 0);
    CHECK_EQ(page_alloc_put(&pa, a, 4), PAGE_ALLOC_EEXIST);      /* last page free */
    CHECK_EQ(page_alloc_free_pages(&pa), 253);
    CHECK_EQ(page_alloc_put(&pa, a, 3), 0);
    CHECK_EQ(page_alloc_free_pages(&pa), 256);
    CHECK_EQ(pa.nranges, 1);
}

static void test_put_new_memory(void)
{
    static const uint64_t want[] = { 0x100000, 0x200000, 0x800000, 0x801000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 256), 0);
    CHECK_EQ(page_alloc_put(&pa, 0x800000, 1), 0);
    CHECK(ranges_are(2, want));
}

/* Fills the array with isolated single pages: range i = page 2i + 1. */
static void fill_array(void)
{
    reset();
    for (uint64_t i = 0; i < PAGE_ALLOC_MAX_RANGES; i++)
        CHECK_EQ(page_alloc_add(&pa, (2 * i + 1) * PG, 1), 0);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES);
}

static void test_full_add(void)
{
    fill_array();
    /* A new isolated range has no room... */
    CHECK_EQ(page_alloc_add(&pa, 0x10000000, 1), PAGE_ALLOC_ENOSPC);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES);
    CHECK_EQ(page_alloc_free_pages(&pa), PAGE_ALLOC_MAX_RANGES);
    /* ...but one that merges does. */
    CHECK_EQ(page_alloc_add(&pa, 2 * PG, 1), 0);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES - 1);
    CHECK_EQ(page_alloc_add(&pa, 2 * PAGE_ALLOC_MAX_RANGES * PG, 1), 0); /* extends the last */
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES - 1);
}

static void test_full_put(void)
{
    fill_array();
    CHECK_EQ(page_alloc_put(&pa, 0x10000000, 1), PAGE_ALLOC_ENOSPC);
    CHECK_EQ(page_alloc_free_pages(&pa), PAGE_ALLOC_MAX_RANGES);
}

static void test_full_reserve_drops_smaller(void)
{
    uint64_t last_base;

    fill_array();
    /* Make the last range 0x1ff000..+16 pages, then split it 4 | 1 | 11. */
    last_base = pa.range[PAGE_ALLOC_MAX_RANGES - 1].base;
    CHECK_EQ(page_alloc_add(&pa, last_base + PG, 15), 0);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES);
    CHECK_EQ(page_alloc_reserve(&pa, last_base + 4 * PG, 1), PAGE_ALLOC_ENOSPC);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES);
    CHECK_EQ(pa.range[PAGE_ALLOC_MAX_RANGES - 1].base, last_base + 5 * PG);
    CHECK_EQ(pa.range[PAGE_ALLOC_MAX_RANGES - 1].end, last_base + 16 * PG);
    CHECK_EQ(page_alloc_free_pages(&pa), PAGE_ALLOC_MAX_RANGES - 1 + 11);
}

static void test_full_reserve_drops_smaller_high(void)
{
    uint64_t last_base;

    fill_array();
    last_base = pa.range[PAGE_ALLOC_MAX_RANGES - 1].base;
    CHECK_EQ(page_alloc_add(&pa, last_base + PG, 15), 0);
    CHECK_EQ(page_alloc_reserve(&pa, last_base + 12 * PG, 2), PAGE_ALLOC_ENOSPC);
    CHECK_EQ(pa.range[PAGE_ALLOC_MAX_RANGES - 1].base, last_base);
    CHECK_EQ(pa.range[PAGE_ALLOC_MAX_RANGES - 1].end, last_base + 12 * PG);
}

static void test_full_reserve_no_split_ok(void)
{
    fill_array();
    CHECK_EQ(page_alloc_reserve(&pa, PG, 1), 0); /* whole range */
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES - 1);
}

static void test_full_get_avoids_split(void)
{
    uint64_t last_base, p;

    fill_array();
    last_base = pa.range[PAGE_ALLOC_MAX_RANGES - 1].base; /* 0x1ff000 */
    /* Grow the last range to 0x1ff000..0x400000 (0x201 pages). */
    CHECK_EQ(page_alloc_add(&pa, last_base + PG, 0x200), 0);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES);
    /* The highest 2M-aligned slot (0x200000) would split the range: no room,
     * and the base is not aligned, so the range is skipped (the others are
     * single odd pages). */
    CHECK_EQ(page_alloc_get(&pa, 1, 512, 0), 0);
    CHECK_EQ(page_alloc_free_pages(&pa), PAGE_ALLOC_MAX_RANGES + 0x200);
    /* A block at the top of the range does not split it. */
    p = page_alloc_get(&pa, 1, 1, 0);
    CHECK_EQ(p, 0x3ff000);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES);
}

static void test_full_get_uses_base(void)
{
    uint64_t p;

    fill_array();
    /* Make room by reserving the first single page, then add a separate
     * range 0x400000..0x500000 to fill the array again. */
    CHECK_EQ(page_alloc_reserve(&pa, PG, 1), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x400000, 256), 0);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES);
    /* 16 aligned pages under limit 0x480800 would go at 0x470000 (a split);
     * the base 0x400000 is aligned and fits, so the block goes there. */
    p = page_alloc_get(&pa, 16, 16, 0x480800);
    CHECK_EQ(p, 0x400000);
    CHECK_EQ(pa.range[PAGE_ALLOC_MAX_RANGES - 1].base, 0x410000);
    CHECK_EQ(pa.nranges, PAGE_ALLOC_MAX_RANGES);
}

static void test_get_whole_range_removes(void)
{
    static const uint64_t want[] = { 0x10000, 0x20000 };

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x10000, 16), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 16), 0);
    CHECK_EQ(page_alloc_get(&pa, 16, 1, 0), 0x100000);
    CHECK(ranges_are(1, want));
}

static void test_high_addresses(void)
{
    uint64_t top = PAGE_ALLOC_ADDR_LIMIT;

    reset();
    CHECK_EQ(page_alloc_add(&pa, top - 2 * MiB, 512), 0);
    CHECK_EQ(page_alloc_get(&pa, 512, 512, 0), top - 2 * MiB);
    CHECK_EQ(page_alloc_put(&pa, top - 2 * MiB, 512), 0);
    CHECK_EQ(page_alloc_get(&pa, 1, 1, 0), top - PG);
}

static void test_1g_aligned(void)
{
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, (3 * GiB - 0x100000) / PG), 0);
    CHECK_EQ(page_alloc_get(&pa, GiB / PG, GiB / PG, 0), 2 * GiB);
    CHECK_EQ(page_alloc_get(&pa, GiB / PG, GiB / PG, 0), GiB);
    CHECK_EQ(page_alloc_get(&pa, GiB / PG, GiB / PG, 0), 0); /* 1M..1G is left */
    CHECK_EQ(page_alloc_free_pages(&pa), (GiB - 0x100000) / PG);
}

static void test_dump(void)
{
    char buf[512];
    size_t n;

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x1000, 0x9f), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 0x100), 0);
    n = page_alloc_dump(&pa, buf, sizeof(buf));
    CHECK(strcmp(buf, "  0x0000000000001000-0x000000000009ffff  159 pages\n"
                      "  0x0000000000100000-0x00000000001fffff  256 pages\n"
                      "  415 free pages in 2 ranges\n") == 0);
    CHECK_EQ(n, strlen(buf));
}

static void test_dump_truncates(void)
{
    char buf[20];
    size_t full_len, n;

    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 0x100), 0);
    full_len = page_alloc_dump(&pa, NULL, 0);
    n = page_alloc_dump(&pa, buf, sizeof(buf));
    CHECK_EQ(n, full_len);
    CHECK_EQ(strlen(buf), sizeof(buf) - 1);
    CHECK(strncmp(buf, "  0x000000000010000", 19) == 0);
    CHECK_EQ(page_alloc_dump(&pa, buf, 1), full_len);
    CHECK_EQ(buf[0], '\0');
}

static void test_dump_empty(void)
{
    char buf[64];

    reset();
    page_alloc_dump(&pa, buf, sizeof(buf));
    CHECK(strcmp(buf, "  0 free pages in 0 ranges\n") == 0);
}

static void test_uefi_like_boot(void)
{
    /* Conventional memory from a typical OVMF map, then Keel's image and a
     * buffer reserved back out. */
    reset();
    CHECK_EQ(page_alloc_add(&pa, 0x0, 0xa0), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x100000, 0x700), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x808000, 0x8), 0);
    CHECK_EQ(page_alloc_add(&pa, 0x810000, 0x7d6f0), 0);
    CHECK_EQ(pa.nranges, 3);                                 /* the last two merged */
    CHECK_EQ(page_alloc_reserve(&pa, 0x7d000000, 0x400), 0); /* keel.efi */
    CHECK_EQ(page_alloc_reserve(&pa, 0x9f000, 1), 0);        /* EBDA-ish */
    CHECK_EQ(page_alloc_free_pages(&pa), 0x9e + 0x700 + 0x8 + 0x7d6f0 - 0x400);
    CHECK_EQ(pa.nranges, 4);
    CHECK_EQ(pa.range[3].base, 0x7d400000);
    CHECK_EQ(pa.range[3].end, 0x7df00000);
}

/* ---------------------------------------------------------------- model */

#define MODEL_PAGES 400
static bool model[MODEL_PAGES]; /* model[p]: page p is free */
static uint32_t rng_state = 12345;
static unsigned model_gets_ok, model_gets_failed;

static uint32_t rnd(uint32_t n)
{
    rng_state = rng_state * 1103515245u + 12345u;
    return (rng_state >> 8) % n;
}

static bool model_all(uint64_t p, uint64_t n, bool v)
{
    for (uint64_t i = p; i < p + n; i++)
        if (model[i] != v)
            return false;
    return true;
}

static void model_set(uint64_t p, uint64_t n, bool v)
{
    for (uint64_t i = p; i < p + n; i++)
        model[i] = v;
}

/* The block the allocator must return: the highest aligned fit. */
static uint64_t model_get(uint64_t n, uint64_t align, uint64_t limit_page)
{
    uint64_t top = limit_page && limit_page < MODEL_PAGES ? limit_page : MODEL_PAGES;

    if (n > top)
        return 0;
    for (uint64_t s = (top - n) & ~(align - 1);; s -= align) {
        if (s != 0 && model_all(s, n, true))
            return s;
        if (s < align)
            return 0;
    }
}

/* The free list must be exactly the maximal runs of free model pages. */
static bool model_matches(void)
{
    size_t r = 0;
    uint64_t p = 0;

    while (p < MODEL_PAGES) {
        uint64_t q;

        if (!model[p]) {
            p++;
            continue;
        }
        for (q = p; q < MODEL_PAGES && model[q]; q++)
            ;
        if (r >= pa.nranges || pa.range[r].base != p * PG || pa.range[r].end != q * PG)
            return false;
        r++;
        p = q;
    }
    return r == pa.nranges;
}

static void model_step(void)
{
    uint64_t p = rnd(MODEL_PAGES), n = 1 + rnd(12), got, want;
    uint64_t align = 1ull << rnd(5), limit = rnd(3) ? 0 : rnd(MODEL_PAGES);
    int ret;

    if (p + n > MODEL_PAGES)
        n = MODEL_PAGES - p;
    switch (rnd(4)) {
    case 0: /* add / put */
        ret = p ? page_alloc_put(&pa, p * PG, n) : page_alloc_add(&pa, p * PG, n);
        if (model_all(p, n, false) || (p == 0 && model_all(1, n - 1, false))) {
            CHECK_EQ(ret, 0);
            model_set(p ? p : 1, p ? n : n - 1, true);
        } else {
            CHECK_EQ(ret, PAGE_ALLOC_EEXIST);
        }
        break;
    case 1: /* reserve */
        CHECK_EQ(page_alloc_reserve(&pa, p * PG, n), 0);
        model_set(p, n, false);
        break;
    default: /* get */
        want = model_get(n, align, limit);
        got = page_alloc_get(&pa, n, align, limit * PG);
        CHECK_EQ(got, want * PG);
        if (want)
            model_set(want, n, false);
        if (want)
            model_gets_ok++;
        else
            model_gets_failed++;
        break;
    }
}

static void test_random_against_model(void)
{
    unsigned bad = 0;
    uint64_t nfree;

    reset();
    memset(model, 0, sizeof(model));
    for (int i = 0; i < 20000; i++) {
        model_step();
        if (!model_matches())
            bad++;
    }
    CHECK_EQ(bad, 0);
    /* The run exercised both outcomes. */
    CHECK(model_gets_ok > 1000);
    CHECK(model_gets_failed > 100);
    nfree = 0;
    for (int i = 0; i < MODEL_PAGES; i++)
        nfree += model[i];
    CHECK_EQ(page_alloc_free_pages(&pa), nfree);
}

int main(void)
{
    test_init_empty();
    test_add_single();
    test_add_sorted_out_of_order();
    test_add_merge_left();
    test_add_merge_right();
    test_add_merge_both();
    test_add_overlap_rejected();
    test_add_bad_args();
    test_add_drops_page0();
    test_put_page0_rejected();
    test_get_page0_never();
    test_reserve_whole();
    test_reserve_split();
    test_reserve_head_tail();
    test_reserve_spanning_several();
    test_reserve_nothing_free();
    test_get_highest_first();
    test_get_skips_too_small();
    test_get_alignment();
    test_get_alignment_splits();
    test_get_bad_align();
    test_get_limit();
    test_get_limit_inside_range();
    test_get_limit_with_align();
    test_exhaustion();
    test_exhaustion_big_block();
    test_put_round_trip();
    test_put_double_free();
    test_put_partial_double_free();
    test_put_new_memory();
    test_full_add();
    test_full_put();
    test_full_reserve_drops_smaller();
    test_full_reserve_drops_smaller_high();
    test_full_reserve_no_split_ok();
    test_full_get_avoids_split();
    test_full_get_uses_base();
    test_get_whole_range_removes();
    test_high_addresses();
    test_1g_aligned();
    test_dump();
    test_dump_truncates();
    test_dump_empty();
    test_uefi_like_boot();
    test_random_against_model();
    return check_report("test_page_alloc");
}
