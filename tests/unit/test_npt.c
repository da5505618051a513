/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/mm/npt.c, on a fake physical memory: table pages come
 * from an array of aligned 4K pages that pretends to live at FAKE_BASE.
 */
#include "check.h"
#include "hv/mm/npt.h"

#include <stdbool.h>
#include <string.h>

#define KiB 1024ull
#define MiB (1024 * KiB)
#define GiB (1024 * MiB)
#define PG  (4 * KiB)

/* ------------------------------------------------------- fake memory */

#include "npt_fake.h"

static struct npt npt;


static void setup(const struct npt_format *fmt, unsigned max_level)
{
    fake_reset();
    CHECK_EQ(npt_init(&npt, fmt, &env, max_level), 0);
}

static void teardown(void)
{
    npt_destroy(&npt);
    CHECK_EQ(fake_in_use, 0);
    CHECK_EQ(fake_bad_frees, 0);
}

/* The raw entry for gpa at level (walking tables only), or ~0 if absent. */
static uint64_t raw_entry(uint64_t gpa, unsigned level)
{
    const struct npt_format *f = npt.fmt;
    uint64_t *t = fake_map(NULL, npt.root);

    for (unsigned lv = NPT_LEVELS; lv > level; lv--) {
        uint64_t e = t[(gpa >> NPT_LEVEL_SHIFT(lv)) & 511];

        if (!f->present(e) || f->large(e, lv))
            return ~0ull;
        t = fake_map(NULL, e & 0x000ffffffffff000ull);
    }
    return t[(gpa >> NPT_LEVEL_SHIFT(level)) & 511];
}

/* True when [gpa, gpa + size) translates 4K by 4K to hpa with perm/level. */
static bool maps(uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm, unsigned level)
{
    for (uint64_t off = 0; off < size; off += PG) {
        uint64_t h;
        unsigned p, l;

        if (npt_lookup(&npt, gpa + off, &h, &p, &l) != 0 || h != hpa + off || p != perm ||
            l != level)
            return false;
    }
    return true;
}

static bool unmapped(uint64_t gpa, uint64_t size)
{
    for (uint64_t off = 0; off < size; off += PG)
        if (npt_lookup(&npt, gpa + off, NULL, NULL, NULL) != NPT_ENOENT)
            return false;
    return true;
}

static unsigned level_at(uint64_t gpa)
{
    unsigned l = 0;

    npt_lookup(&npt, gpa, NULL, NULL, &l);
    return l;
}

/* ------------------------------------------------------------ init */

static void test_init(void)
{
    setup(&npt_format_amd, 3);
    CHECK(npt.root != 0);
    CHECK_EQ(fake_in_use, 1);
    CHECK(!npt.flush_needed);
    CHECK(unmapped(0, 16 * PG));
    teardown();
}

static void test_init_bad_level(void)
{
    fake_reset();
    CHECK_EQ(npt_init(&npt, &npt_format_amd, &env, 0), NPT_EINVAL);
    CHECK_EQ(npt_init(&npt, &npt_format_ept, &env, 4), NPT_EINVAL);
    CHECK_EQ(npt_init(&npt, NULL, &env, 2), NPT_EINVAL);
    CHECK_EQ(fake_in_use, 0);
    /* Operations on an uninitialised npt fail cleanly. */
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_unmap(&npt, 0, PG), NPT_EINVAL);
    CHECK_EQ(npt_lookup(&npt, 0, NULL, NULL, NULL), NPT_EINVAL);
}

static void test_init_nomem(void)
{
    fake_reset();
    fake_budget = 0;
    CHECK_EQ(npt_init(&npt, &npt_format_ept, &env, 2), NPT_ENOMEM);
    CHECK_EQ(npt.root, 0);
}

/* ----------------------------------------------------- page sizes */

static void test_map_4k(void)
{
    uint64_t h = 0;
    unsigned p = 0, l = 0;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0x1000, 0x200000, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_lookup(&npt, 0x1000, &h, &p, &l), 0);
    CHECK_EQ(h, 0x200000);
    CHECK_EQ(p, NPT_RWX);
    CHECK_EQ(l, 1);
    CHECK_EQ(fake_in_use, 4); /* PML4, PDPT, PD, PT */
    CHECK(unmapped(0, PG));
    CHECK(unmapped(0x2000, PG));
    teardown();
}

static void test_map_2m(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 6 * MiB, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK(maps(2 * MiB, 6 * MiB, 2 * MiB, NPT_RWX, 2));
    CHECK_EQ(fake_in_use, 3);
    CHECK(unmapped(0, 2 * MiB));
    CHECK(unmapped(4 * MiB, PG));
    teardown();
}

static void test_map_1g(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, GiB, 3 * GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(level_at(GiB), 3);
    CHECK_EQ(level_at(2 * GiB - PG), 3);
    CHECK_EQ(fake_in_use, 2);
    CHECK(unmapped(2 * GiB, PG));
    CHECK(unmapped(GiB - PG, PG));
    teardown();
}

static void test_map_1g_max_level_2(void)
{
    setup(&npt_format_ept, 2);
    CHECK_EQ(npt_map(&npt, GiB, 3 * GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK(maps(GiB, 3 * GiB, GiB, NPT_RWX, 2));
    CHECK_EQ(fake_in_use, 3);
    teardown();
}

static void test_map_1g_max_level_1(void)
{
    setup(&npt_format_amd, 1);
    CHECK_EQ(npt_map(&npt, 0, 3 * GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK(maps(0, 3 * GiB, GiB, NPT_RWX, 1));
    CHECK_EQ(fake_in_use, 3 + 512);
    teardown();
}

static void test_mixed_alignment_all_4k(void)
{
    /* gpa 2M-aligned, hpa only 4K-aligned: 4K pages throughout. */
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 0x301000, 4 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK(maps(2 * MiB, 0x301000, 4 * MiB, NPT_RWX, 1));
    CHECK_EQ(fake_in_use, 3 + 2);
    teardown();
}

static void test_mixed_head_body_tail(void)
{
    /* 1M..7M with equal offsets: 4K for 1M..2M, 2M for 2M..6M, 4K for 6M..7M. */
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, MiB, 65 * MiB, 6 * MiB, NPT_R | NPT_W, NPT_MT_WB), 0);
    CHECK(maps(MiB, 65 * MiB, MiB, NPT_R | NPT_W, 1));
    CHECK(maps(2 * MiB, 66 * MiB, 4 * MiB, NPT_R | NPT_W, 2));
    CHECK(maps(6 * MiB, 70 * MiB, MiB, NPT_R | NPT_W, 1));
    CHECK_EQ(fake_in_use, 3 + 2);
    teardown();
}

static void test_mixed_1g_span(void)
{
    /* [1G - 2M - 4K, 2G + 2M + 4K): 4K, 2M, 1G, 2M, 4K. */
    uint64_t g = GiB - 2 * MiB - PG, size = GiB + 4 * MiB + 2 * PG;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, g, g + 4 * GiB, size, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(level_at(g), 1);
    CHECK_EQ(level_at(GiB - 2 * MiB), 2);
    CHECK_EQ(level_at(GiB), 3);
    CHECK_EQ(level_at(2 * GiB), 2);
    CHECK_EQ(level_at(2 * GiB + 2 * MiB), 1);
    CHECK(unmapped(2 * GiB + 2 * MiB + PG, PG));
    CHECK(unmapped(g - PG, PG));
    CHECK(maps(g, g + 4 * GiB, PG, NPT_RWX, 1));
    CHECK(maps(2 * GiB + 2 * MiB, 6 * GiB + 2 * MiB, PG, NPT_RWX, 1));
    teardown();
}

static void test_hpa_limits_page_size(void)
{
    /* gpa 1G-aligned but hpa only 2M-aligned: 2M pages. */
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, GiB, 0x40200000ull, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(level_at(GiB), 2);
    CHECK(maps(GiB, 0x40200000ull, 4 * MiB, NPT_RWX, 2));
    teardown();
}

static void test_lookup_offsets(void)
{
    uint64_t h = 0;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 8 * MiB, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 0x1000, 0x5000, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_lookup(&npt, 2 * MiB + 0x12345, &h, NULL, NULL), 0);
    CHECK_EQ(h, 8 * MiB + 0x12345);
    CHECK_EQ(npt_lookup(&npt, 0x1fff, &h, NULL, NULL), 0);
    CHECK_EQ(h, 0x5fff);
    teardown();
}

static void test_lookup_unmapped(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_lookup(&npt, 0, NULL, NULL, NULL), NPT_ENOENT);
    CHECK_EQ(npt_lookup(&npt, NPT_GPA_LIMIT - 1, NULL, NULL, NULL), NPT_ENOENT);
    CHECK_EQ(npt_lookup(&npt, NPT_GPA_LIMIT, NULL, NULL, NULL), NPT_EINVAL);
    CHECK_EQ(npt_lookup(&npt, ~0ull, NULL, NULL, NULL), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0x3000, 0x3000, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_lookup(&npt, 0x2fff, NULL, NULL, NULL), NPT_ENOENT);
    CHECK_EQ(npt_lookup(&npt, 0x4000, NULL, NULL, NULL), NPT_ENOENT);
    CHECK_EQ(npt_lookup(&npt, 0x3000 + 512 * GiB, NULL, NULL, NULL), NPT_ENOENT);
    CHECK_EQ(fake_in_use, 4); /* lookups allocate nothing */
    teardown();
}

static void test_top_of_gpa_space(void)
{
    uint64_t top = NPT_GPA_LIMIT;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, top - 2 * MiB, 2 * MiB, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, top - 2 * MiB, 2 * MiB, 4 * MiB, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK(maps(top - PG, 4 * MiB - PG, PG, NPT_RWX, 2));
    CHECK_EQ(npt_unmap(&npt, top - PG, PG), 0);
    CHECK(unmapped(top - PG, PG));
    CHECK_EQ(level_at(top - 2 * PG), 1);
    teardown();
}

/* ---------------------------------------------------------- errors */

static void test_map_bad_args(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0x800, 0, PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0x800, PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0, 0x800, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0, 0, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, NPT_GPA_LIMIT, 0, PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, NPT_GPA_LIMIT - PG, 0, 2 * PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, ~0ull - PG + 1, 0, PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, PG, 0, ~0ull - PG + 1, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, NPT_HPA_LIMIT, PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, NPT_HPA_LIMIT - PG, 2 * PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(fake_in_use, 1); /* nothing was built */
    teardown();
}

static void test_map_bad_perm_memtype(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, 0, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_W, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_X, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_RWX | 8, NPT_MT_WB), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_R, (enum npt_memtype)2), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_R, (enum npt_memtype)3), NPT_EINVAL);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_R, (enum npt_memtype)7), NPT_EINVAL);
    CHECK_EQ(fake_in_use, 1);
    teardown();
}

static void test_unmap_bad_args(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_unmap(&npt, 0x800, PG), NPT_EINVAL);
    CHECK_EQ(npt_unmap(&npt, 0, 0), NPT_EINVAL);
    CHECK_EQ(npt_unmap(&npt, 0, 0x1800), NPT_EINVAL);
    CHECK_EQ(npt_unmap(&npt, NPT_GPA_LIMIT - PG, 2 * PG), NPT_EINVAL);
    CHECK_EQ(npt_unmap(&npt, PG, ~0ull - PG + 1), NPT_EINVAL);
    teardown();
}

/* ---------------------------------------------------------- flushes */

static void test_flush_fresh_map(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, 8 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, GiB, GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK(!npt_take_flush(&npt));
    teardown();
}

static void test_flush_remap(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK(!npt.flush_needed);
    CHECK_EQ(npt_map(&npt, 0, 0, 2 * MiB, NPT_R, NPT_MT_WB), 0);
    CHECK(npt.flush_needed);
    CHECK(npt_take_flush(&npt));
    CHECK(!npt_take_flush(&npt));
    CHECK(maps(0, 0, 2 * MiB, NPT_R, 2));
    teardown();
}

static void test_flush_unmap(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_unmap(&npt, 0, GiB), 0); /* nothing there */
    CHECK(!npt_take_flush(&npt));
    CHECK_EQ(fake_in_use, 1);
    CHECK_EQ(npt_map(&npt, 4 * MiB, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_unmap(&npt, 0, 4 * MiB), 0); /* a neighbour only */
    CHECK(!npt_take_flush(&npt));
    CHECK_EQ(npt_unmap(&npt, 4 * MiB, PG), 0);
    CHECK(npt_take_flush(&npt));
    teardown();
}

static void test_flush_map_next_to_present(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, PG, PG, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK(!npt_take_flush(&npt));
    teardown();
}

/* ------------------------------------------------- splits, remaps */

static void test_remap_splits_1g(void)
{
    const uint64_t g = GiB, h = 4 * GiB, cut = GiB + 300 * MiB + 5 * PG;
    uint64_t off;
    bool ok = true;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, g, h, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, cut, 0x9000, PG, NPT_R, NPT_MT_WB), 0);
    CHECK(npt_take_flush(&npt));
    CHECK_EQ(fake_in_use, 2 + 2); /* + PD, PT */
    for (off = 0; off < GiB; off += PG) {
        uint64_t hh;
        unsigned p, l;
        bool in_pt = (g + off) / (2 * MiB) == cut / (2 * MiB);

        if (npt_lookup(&npt, g + off, &hh, &p, &l) != 0) {
            ok = false;
        } else if (g + off == cut) {
            ok &= hh == 0x9000 && p == NPT_R && l == 1;
        } else {
            ok &= hh == h + off && p == NPT_RWX && l == (in_pt ? 1u : 2u);
        }
    }
    CHECK(ok);
    teardown();
}

static void test_remap_splits_2m(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 4 * MiB, 10 * MiB, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 4 * MiB + 8 * PG, 0x77000, 3 * PG, NPT_R | NPT_X, NPT_MT_UC), 0);
    CHECK(npt_take_flush(&npt));
    CHECK(maps(4 * MiB, 10 * MiB, 8 * PG, NPT_RWX, 1));
    CHECK(maps(4 * MiB + 8 * PG, 0x77000, 3 * PG, NPT_R | NPT_X, 1));
    CHECK(maps(4 * MiB + 11 * PG, 10 * MiB + 11 * PG, 2 * MiB - 11 * PG, NPT_RWX, 1));
    CHECK_EQ(raw_entry(4 * MiB + 8 * PG, 1), 0x77000 | 0x05);             /* UC, R+X */
    CHECK_EQ(raw_entry(4 * MiB, 1), (10 * MiB) | 0x37);                    /* WB kept */
    teardown();
}

static void test_remap_2m_in_1g(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 6 * MiB, 2 * GiB, 2 * MiB, NPT_R, NPT_MT_WB), 0);
    CHECK_EQ(fake_in_use, 3); /* a PD, no PT */
    CHECK(maps(6 * MiB, 2 * GiB, 2 * MiB, NPT_R, 2));
    CHECK(maps(4 * MiB, 4 * MiB, 2 * MiB, NPT_RWX, 2));
    CHECK(maps(8 * MiB, 8 * MiB, 2 * MiB, NPT_RWX, 2));
    CHECK_EQ(level_at(GiB - PG), 2);
    teardown();
}

static void test_split_keeps_memtype(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 0x40000000, 2 * MiB, NPT_R | NPT_W, NPT_MT_WC), 0);
    CHECK_EQ(raw_entry(0, 2), 0x40000000ull | 0x1000 | 0x87 | (1ull << 63));
    CHECK_EQ(npt_map(&npt, PG, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    /* 4K WC: PAT is bit 7 in a PTE. */
    CHECK_EQ(raw_entry(0, 1), 0x40000000ull | 0x80 | 0x07 | (1ull << 63));
    CHECK_EQ(raw_entry(2 * PG, 1), (0x40000000ull + 2 * PG) | 0x87 | (1ull << 63));
    teardown();
}

static void test_map_2m_over_4k(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 0, 16 * PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(fake_in_use, 4);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 2 * MiB, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(fake_in_use, 3); /* the PT was freed */
    CHECK(npt_take_flush(&npt));
    CHECK(maps(2 * MiB, 2 * MiB, 2 * MiB, NPT_RWX, 2));
    teardown();
}

static void test_map_1g_over_mixed(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, GiB + PG, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, GiB + 10 * MiB, 0, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, GiB + 100 * MiB + PG, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(fake_in_use, 5);
    CHECK(!npt_take_flush(&npt));
    CHECK_EQ(npt_map(&npt, GiB, 8 * GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(fake_in_use, 2);
    CHECK(npt_take_flush(&npt));
    CHECK(maps(GiB, 8 * GiB, 4 * PG, NPT_RWX, 3));
    CHECK_EQ(fake_bad_frees, 0);
    teardown();
}

static void test_remap_perm_only(void)
{
    unsigned p = 0;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, 4 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 2 * MiB, 2 * MiB, NPT_R | NPT_X, NPT_MT_WB), 0);
    CHECK_EQ(npt_lookup(&npt, 3 * MiB, NULL, &p, NULL), 0);
    CHECK_EQ(p, NPT_R | NPT_X);
    CHECK_EQ(npt_lookup(&npt, MiB, NULL, &p, NULL), 0);
    CHECK_EQ(p, NPT_RWX);
    CHECK(npt_take_flush(&npt));
    teardown();
}

/* ----------------------------------------------------------- unmap */

static void test_unmap_4k_in_2m(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 4 * MiB, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_unmap(&npt, 2 * MiB + 7 * PG, PG), 0);
    CHECK(npt_take_flush(&npt));
    CHECK(unmapped(2 * MiB + 7 * PG, PG));
    CHECK(maps(2 * MiB, 4 * MiB, 7 * PG, NPT_RWX, 1));
    CHECK(maps(2 * MiB + 8 * PG, 4 * MiB + 8 * PG, 2 * MiB - 8 * PG, NPT_RWX, 1));
    teardown();
}

static void test_unmap_2m_in_1g(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_unmap(&npt, 510 * MiB, 2 * MiB), 0);
    CHECK(npt_take_flush(&npt));
    CHECK(unmapped(510 * MiB, 2 * MiB));
    CHECK_EQ(level_at(508 * MiB), 2);
    CHECK_EQ(level_at(512 * MiB), 2);
    CHECK_EQ(raw_entry(510 * MiB, 2), 0);
    CHECK_EQ(fake_in_use, 3);
    teardown();
}

static void test_unmap_cuts_1g_to_4k(void)
{
    const uint64_t lo = 3 * GiB + 5 * MiB + 3 * PG, hi = 3 * GiB + 9 * MiB + 5 * PG;
    bool ok = true;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 3 * GiB, GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_unmap(&npt, lo, hi - lo), 0);
    for (uint64_t g = 3 * GiB; g < 4 * GiB; g += PG) {
        uint64_t h;
        unsigned l, want_level = 2;

        if (g >= lo && g < hi) {
            ok &= npt_lookup(&npt, g, NULL, NULL, NULL) == NPT_ENOENT;
            continue;
        }
        if ((g >> 21) == (lo >> 21) || (g >> 21) == (hi >> 21))
            want_level = 1;
        ok &= npt_lookup(&npt, g, &h, NULL, &l) == 0 && h == g - 2 * GiB && l == want_level;
    }
    CHECK(ok);
    CHECK_EQ(fake_in_use, 2 + 1 + 2); /* PD + two PTs */
    teardown();
}

static void test_unmap_frees_tables(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 600 * GiB, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(fake_in_use, 1 + 2 + 2 + 3);
    CHECK_EQ(npt_unmap(&npt, 0, PG), 0);
    CHECK_EQ(fake_in_use, 7); /* one PT */
    CHECK_EQ(npt_unmap(&npt, 600 * GiB, PG), 0);
    CHECK_EQ(fake_in_use, 4); /* PT, PD, PDPT of the far one */
    CHECK_EQ(npt_unmap(&npt, 2 * MiB, PG), 0);
    CHECK_EQ(fake_in_use, 1); /* the root stays */
    CHECK_EQ(raw_entry(0, 4), 0);
    CHECK_EQ(fake_bad_frees, 0);
    teardown();
}

static void test_unmap_everything_after_splits(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, 2 * GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_unmap(&npt, 5 * PG, PG), 0);
    CHECK_EQ(npt_unmap(&npt, GiB + 3 * MiB, PG), 0);
    CHECK(fake_in_use > 3);
    CHECK_EQ(npt_unmap(&npt, 0, 2 * GiB), 0);
    CHECK_EQ(fake_in_use, 1);
    CHECK(unmapped(0, 4 * MiB));
    teardown();
}

static void test_unmap_many_4k_tables(void)
{
    setup(&npt_format_amd, 1);
    CHECK_EQ(npt_map(&npt, GiB, 0, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(fake_in_use, 3 + 512);
    CHECK_EQ(npt_unmap(&npt, GiB + 2 * MiB, GiB - 4 * MiB), 0);
    CHECK_EQ(fake_in_use, 3 + 2);
    CHECK(maps(GiB, 0, 2 * MiB, NPT_RWX, 1));
    CHECK(maps(2 * GiB - 2 * MiB, GiB - 2 * MiB, 2 * MiB, NPT_RWX, 1));
    CHECK(unmapped(GiB + 2 * MiB, 4 * PG));
    teardown();
}

static void test_unmap_with_holes(void)
{
    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 0, 4 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 3 * GiB, 0, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 513 * GiB, 0, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_unmap(&npt, MiB, 513 * GiB), 0);
    CHECK(maps(0, 0, MiB, NPT_RWX, 1));
    CHECK(unmapped(MiB, PG));
    CHECK(unmapped(3 * GiB, PG));
    CHECK(maps(513 * GiB + MiB, MiB, MiB, NPT_RWX, 1));
    CHECK(unmapped(513 * GiB, PG));
    CHECK_EQ(fake_bad_frees, 0);
    teardown();
}

/* ------------------------------------------------ allocation failure */

static void test_map_nomem_midway(void)
{
    setup(&npt_format_amd, 3);
    /* 0..2M+4K: the first 2M needs PDPT + PD, the last 4K a PT. */
    fake_budget = 2;
    CHECK_EQ(npt_map(&npt, 0, 0, 2 * MiB + PG, NPT_RWX, NPT_MT_WB), NPT_ENOMEM);
    CHECK(maps(0, 0, 2 * MiB, NPT_RWX, 2));
    CHECK(unmapped(2 * MiB, PG));
    CHECK_EQ(fake_in_use, 3);
    CHECK(!npt.flush_needed); /* nothing freed, nothing replaced */
    fake_budget = -1;
    CHECK_EQ(npt_map(&npt, 0, 0, 2 * MiB + PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK(maps(2 * MiB, 2 * MiB, PG, NPT_RWX, 1));
    teardown();
}

static void test_map_nomem_frees_new_tables(void)
{
    setup(&npt_format_ept, 3);
    /* A 4K page far away needs PDPT, PD, PT: the third allocation fails. */
    fake_budget = 2;
    CHECK_EQ(npt_map(&npt, 700 * GiB, 0, PG, NPT_RWX, NPT_MT_WB), NPT_ENOMEM);
    CHECK_EQ(fake_in_use, 1); /* PDPT and PD freed again */
    CHECK_EQ(raw_entry(700 * GiB, 4), 0);
    CHECK(npt_take_flush(&npt)); /* tables were published, then freed */
    CHECK_EQ(fake_bad_frees, 0);
    teardown();
}

static void test_map_nomem_in_split(void)
{
    bool ok = true;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 2 * GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    fake_budget = 1; /* 1G -> PD works, 2M -> PT fails */
    CHECK_EQ(npt_map(&npt, 5 * PG, 0, PG, NPT_R, NPT_MT_WB), NPT_ENOMEM);
    for (uint64_t g = 0; g < GiB; g += PG) {
        uint64_t h;

        ok &= npt_lookup(&npt, g, &h, NULL, NULL) == 0 && h == 2 * GiB + g;
    }
    CHECK(ok);
    CHECK_EQ(level_at(0), 2);
    teardown();
}

static void test_unmap_nomem_in_split(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 0, 4 * MiB, NPT_RWX, NPT_MT_WB), 0);
    fake_budget = 0;
    /* The first 2M goes whole; the cut in the second needs a PT. */
    CHECK_EQ(npt_unmap(&npt, 2 * MiB, 2 * MiB + PG), NPT_ENOMEM);
    CHECK(unmapped(2 * MiB, 2 * MiB));
    CHECK(maps(4 * MiB, 2 * MiB, 2 * MiB, NPT_RWX, 2));
    CHECK(npt_take_flush(&npt));
    teardown();
}

/* ------------------------------------------------- exact entry bits */

static void test_amd_bits_4k(void)
{
    const uint64_t nx = 1ull << 63, h = 0x123456000ull;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0x0000, h, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 0x1000, h, PG, NPT_R, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 0x2000, h, PG, NPT_R | NPT_X, NPT_MT_UC), 0);
    CHECK_EQ(npt_map(&npt, 0x3000, h, PG, NPT_R | NPT_W, NPT_MT_WT), 0);
    CHECK_EQ(npt_map(&npt, 0x4000, h, PG, NPT_RWX, NPT_MT_WC), 0);
    CHECK_EQ(npt_map(&npt, 0x5000, h, PG, NPT_RWX, NPT_MT_WP), 0);
    CHECK_EQ(raw_entry(0x0000, 1), h | 0x07);             /* P RW US */
    CHECK_EQ(raw_entry(0x1000, 1), h | 0x05 | nx);        /* P US NX */
    CHECK_EQ(raw_entry(0x2000, 1), h | 0x05 | 0x18);      /* PCD PWT: PA3 = UC */
    CHECK_EQ(raw_entry(0x3000, 1), h | 0x07 | 0x08 | nx); /* PWT: PA1 = WT */
    CHECK_EQ(raw_entry(0x4000, 1), h | 0x07 | 0x80);      /* PAT: PA4 = WC */
    CHECK_EQ(raw_entry(0x5000, 1), h | 0x07 | 0x88);      /* PAT PWT: PA5 = WP */
    /* Table entries: P RW US on every level. */
    CHECK_EQ(raw_entry(0, 4) & 0xfff, 0x07);
    CHECK_EQ(raw_entry(0, 3) & 0xfff, 0x07);
    CHECK_EQ(raw_entry(0, 2) & 0xfff, 0x07);
    CHECK_EQ(raw_entry(0, 2) >> 63, 0);
    teardown();
}

static void test_amd_bits_large(void)
{
    const uint64_t nx = 1ull << 63;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 0x80000000ull, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 0x80200000ull, 2 * MiB, NPT_R, NPT_MT_WC), 0);
    CHECK_EQ(npt_map(&npt, 4 * MiB, 0x80400000ull, 2 * MiB, NPT_RWX, NPT_MT_UC), 0);
    CHECK_EQ(npt_map(&npt, GiB, 5 * GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 2 * GiB, 6 * GiB, GiB, NPT_R | NPT_W, NPT_MT_WP), 0);
    CHECK_EQ(raw_entry(0, 2), 0x80000000ull | 0x87);                  /* 2M WB RWX */
    CHECK_EQ(raw_entry(2 * MiB, 2), 0x80200000ull | 0x1085 | nx);     /* PAT bit 12 */
    CHECK_EQ(raw_entry(4 * MiB, 2), 0x80400000ull | 0x9f);            /* PCD PWT */
    CHECK_EQ(raw_entry(GiB, 3), 5 * GiB | 0x87);                       /* 1G WB RWX */
    CHECK_EQ(raw_entry(2 * GiB, 3), 6 * GiB | 0x1000 | 0x8f | nx);     /* WP */
    teardown();
}

static void test_ept_bits_4k(void)
{
    const uint64_t h = 0xabcdef000ull;

    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 0x0000, h, PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 0x1000, h, PG, NPT_R, NPT_MT_UC), 0);
    CHECK_EQ(npt_map(&npt, 0x2000, h, PG, NPT_R | NPT_W, NPT_MT_WC), 0);
    CHECK_EQ(npt_map(&npt, 0x3000, h, PG, NPT_R | NPT_X, NPT_MT_WT), 0);
    CHECK_EQ(npt_map(&npt, 0x4000, h, PG, NPT_R, NPT_MT_WP), 0);
    CHECK_EQ(raw_entry(0x0000, 1), h | 0x37); /* RWX, WB (6) << 3 */
    CHECK_EQ(raw_entry(0x1000, 1), h | 0x01);
    CHECK_EQ(raw_entry(0x2000, 1), h | 0x0b); /* RW, WC (1) << 3 */
    CHECK_EQ(raw_entry(0x3000, 1), h | 0x25); /* RX, WT (4) << 3 */
    CHECK_EQ(raw_entry(0x4000, 1), h | 0x29); /* R, WP (5) << 3 */
    /* Non-leaf: RWX, bits 7:3 zero. */
    CHECK_EQ(raw_entry(0, 4) & 0xfff, 0x07);
    CHECK_EQ(raw_entry(0, 3) & 0xfff, 0x07);
    CHECK_EQ(raw_entry(0, 2) & 0xfff, 0x07);
    teardown();
}

static void test_ept_bits_large(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 0, 0x80000000ull, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 0x80200000ull, 2 * MiB, NPT_R, NPT_MT_UC), 0);
    CHECK_EQ(npt_map(&npt, GiB, 5 * GiB, GiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(raw_entry(0, 2), 0x80000000ull | 0xb7);  /* PS, WB, RWX */
    CHECK_EQ(raw_entry(2 * MiB, 2), 0x80200000ull | 0x81);
    CHECK_EQ(raw_entry(GiB, 3), 5 * GiB | 0xb7);
    teardown();
}

static void test_format_decoders(void)
{
    const struct npt_format *f[2] = { &npt_format_amd, &npt_format_ept };
    static const unsigned perms[] = { NPT_R, NPT_R | NPT_W, NPT_R | NPT_X, NPT_RWX };
    static const enum npt_memtype mts[] = { NPT_MT_UC, NPT_MT_WC, NPT_MT_WT, NPT_MT_WP,
                                            NPT_MT_WB };
    bool ok = true;

    for (int i = 0; i < 2; i++)
        for (unsigned lv = 1; lv <= 3; lv++)
            for (int p = 0; p < 4; p++)
                for (int m = 0; m < 5; m++) {
                    uint64_t hpa = NPT_LEVEL_SIZE(lv) * 3;
                    uint64_t e = f[i]->leaf_entry(hpa, lv, perms[p], mts[m]);

                    ok &= f[i]->present(e);
                    ok &= f[i]->large(e, lv) == (lv > 1);
                    ok &= f[i]->addr(e, lv) == hpa;
                    ok &= f[i]->perm(e) == perms[p];
                    ok &= f[i]->memtype(e, lv) == mts[m];
                }
    CHECK(ok);
    for (int i = 0; i < 2; i++) {
        uint64_t t = f[i]->table_entry(0x55555000ull);

        CHECK(f[i]->present(t));
        CHECK(!f[i]->large(t, 2));
        CHECK(!f[i]->large(t, 3));
        CHECK_EQ(f[i]->addr(t, 2), 0x55555000ull);
        CHECK(!f[i]->present(0));
    }
    CHECK(npt_format_ept.present(2)); /* any of R/W/X */
    CHECK(!npt_format_amd.present(2)); /* needs P */
}

static void test_amd_ad_bits_ignored(void)
{
    uint64_t *pd;

    setup(&npt_format_amd, 3);
    CHECK_EQ(npt_map(&npt, 0, 0x40000000ull, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    /* The CPU sets Accessed/Dirty (bits 5, 6) as the guest runs. */
    pd = fake_map(NULL, raw_entry(0, 3) & 0x000ffffffffff000ull);
    pd[0] |= 0x60;
    CHECK(maps(0, 0x40000000ull, 2 * MiB, NPT_RWX, 2));
    CHECK_EQ(npt_unmap(&npt, 4 * PG, PG), 0);
    CHECK(maps(0, 0x40000000ull, 4 * PG, NPT_RWX, 1));
    CHECK_EQ(raw_entry(0, 1), 0x40000000ull | 0x07);
    teardown();
}

static void test_destroy_frees_all(void)
{
    setup(&npt_format_ept, 2);
    CHECK_EQ(npt_map(&npt, 0, 0, 64 * MiB + 12 * PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 300 * GiB + 7 * PG, 0, 9 * PG, NPT_RWX, NPT_MT_WB), 0);
    CHECK(fake_in_use > 5);
    npt_destroy(&npt);
    CHECK_EQ(npt.root, 0);
    CHECK_EQ(fake_in_use, 0);
    CHECK_EQ(fake_allocs, fake_frees);
    CHECK_EQ(fake_bad_frees, 0);
    CHECK_EQ(npt_map(&npt, 0, 0, PG, NPT_RWX, NPT_MT_WB), NPT_EINVAL);
    npt_destroy(&npt); /* twice is harmless */
    CHECK_EQ(fake_frees, fake_allocs);
}

static void test_unmap_exact_large_needs_no_memory(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 0, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK_EQ(npt_map(&npt, 2 * GiB, 0, GiB, NPT_RWX, NPT_MT_WB), 0);
    fake_budget = 0;
    CHECK_EQ(npt_unmap(&npt, 2 * MiB, 2 * MiB), 0);
    CHECK_EQ(npt_unmap(&npt, 2 * GiB, GiB), 0);
    CHECK(unmapped(2 * MiB, PG));
    CHECK(unmapped(2 * GiB, PG));
    CHECK_EQ(fake_in_use, 1);
    teardown();
}

static void test_ept_split_1g_keeps_attributes(void)
{
    setup(&npt_format_ept, 3);
    CHECK_EQ(npt_map(&npt, 0, 4 * GiB, GiB, NPT_R | NPT_X, NPT_MT_UC), 0);
    CHECK_EQ(raw_entry(0, 3), 4 * GiB | 0x85);
    CHECK_EQ(npt_unmap(&npt, 0, PG), 0);
    CHECK_EQ(raw_entry(2 * MiB, 2), (4 * GiB + 2 * MiB) | 0x85);
    CHECK_EQ(raw_entry(PG, 1), (4 * GiB + PG) | 0x05);
    CHECK_EQ(raw_entry(0, 1), 0);
    teardown();
}

static void test_max_level_1_never_large(void)
{
    setup(&npt_format_ept, 1);
    CHECK_EQ(npt_map(&npt, 2 * MiB, 2 * MiB, 2 * MiB, NPT_RWX, NPT_MT_WB), 0);
    CHECK(maps(2 * MiB, 2 * MiB, 2 * MiB, NPT_RWX, 1));
    CHECK_EQ(raw_entry(2 * MiB, 1), 2 * MiB | 0x37);
    teardown();
}

static void test_map_then_unmap_round_trip(void)
{
    setup(&npt_format_amd, 3);
    for (int i = 0; i < 3; i++) {
        CHECK_EQ(npt_map(&npt, GiB - 6 * PG, 4 * GiB - 6 * PG, 2 * GiB + 12 * PG, NPT_RWX,
                         NPT_MT_WB), 0);
        CHECK_EQ(level_at(GiB), 3);
        CHECK_EQ(npt_unmap(&npt, GiB - 6 * PG, 2 * GiB + 12 * PG), 0);
        CHECK_EQ(fake_in_use, 1);
    }
    CHECK_EQ(fake_bad_frees, 0);
    teardown();
}

/* ------------------------------------------ randomized against a model */

#define RWIN_BASE  (GiB - 4 * MiB)
#define RWIN_PAGES 2048 /* 8 MiB across a 1G boundary */
static struct { uint64_t hpa; unsigned perm; } rmodel[RWIN_PAGES];
static uint32_t rng = 4242;

static uint32_t rnd(uint32_t n)
{
    rng = rng * 1103515245u + 12345u;
    return (rng >> 8) % n;
}

/* A random aligned piece of the window: mostly small, sometimes 2M. */
static void rnd_piece(uint64_t *first, uint64_t *count)
{
    if (rnd(4) == 0) {
        *first = rnd(RWIN_PAGES / 512) * 512;
        *count = 512 * (1 + rnd(2));
    } else {
        *first = rnd(RWIN_PAGES);
        *count = 1 + rnd(700);
    }
    if (*first + *count > RWIN_PAGES)
        *count = RWIN_PAGES - *first;
}

static bool rmodel_matches(void)
{
    for (unsigned i = 0; i < RWIN_PAGES; i++) {
        uint64_t h;
        unsigned p;
        int r = npt_lookup(&npt, RWIN_BASE + i * PG, &h, &p, NULL);

        if (rmodel[i].perm == 0 ? r != NPT_ENOENT
                                : (r != 0 || h != rmodel[i].hpa || p != rmodel[i].perm))
            return false;
    }
    return true;
}

static void test_random_against_model(void)
{
    unsigned bad = 0, large = 0;

    setup(&npt_format_amd, 2);
    memset(rmodel, 0, sizeof(rmodel));
    for (int step = 0; step < 600; step++) {
        uint64_t first, count;

        rnd_piece(&first, &count);
        if (rnd(3) == 0) {
            CHECK_EQ(npt_unmap(&npt, RWIN_BASE + first * PG, count * PG), 0);
            for (uint64_t i = first; i < first + count; i++)
                rmodel[i].perm = 0;
        } else {
            uint64_t h = (uint64_t)rnd(1024) * 2 * MiB + (rnd(2) ? 0 : first * PG);
            unsigned p = NPT_R | (rnd(2) ? NPT_W : 0) | (rnd(2) ? NPT_X : 0);

            CHECK_EQ(npt_map(&npt, RWIN_BASE + first * PG, h, count * PG, p, NPT_MT_WB), 0);
            large += level_at(RWIN_BASE + first * PG) == 2;
            for (uint64_t i = 0; i < count; i++) {
                rmodel[first + i].hpa = h + i * PG;
                rmodel[first + i].perm = p;
            }
        }
        if (!rmodel_matches())
            bad++;
    }
    CHECK_EQ(bad, 0);
    CHECK(large > 20); /* 2M pages were made (and cut) along the way */
    CHECK_EQ(npt_unmap(&npt, RWIN_BASE, RWIN_PAGES * PG), 0);
    CHECK_EQ(fake_in_use, 1);
    teardown();
}

int main(void)
{
    test_init();
    test_init_bad_level();
    test_init_nomem();
    test_map_4k();
    test_map_2m();
    test_map_1g();
    test_map_1g_max_level_2();
    test_map_1g_max_level_1();
    test_mixed_alignment_all_4k();
    test_mixed_head_body_tail();
    test_mixed_1g_span();
    test_hpa_limits_page_size();
    test_lookup_offsets();
    test_lookup_unmapped();
    test_top_of_gpa_space();
    test_map_bad_args();
    test_map_bad_perm_memtype();
    test_unmap_bad_args();
    test_flush_fresh_map();
    test_flush_remap();
    test_flush_unmap();
    test_flush_map_next_to_present();
    test_remap_splits_1g();
    test_remap_splits_2m();
    test_remap_2m_in_1g();
    test_split_keeps_memtype();
    test_map_2m_over_4k();
    test_map_1g_over_mixed();
    test_remap_perm_only();
    test_unmap_4k_in_2m();
    test_unmap_2m_in_1g();
    test_unmap_cuts_1g_to_4k();
    test_unmap_frees_tables();
    test_unmap_everything_after_splits();
    test_unmap_many_4k_tables();
    test_unmap_with_holes();
    test_map_nomem_midway();
    test_map_nomem_frees_new_tables();
    test_map_nomem_in_split();
    test_unmap_nomem_in_split();
    test_amd_bits_4k();
    test_amd_bits_large();
    test_ept_bits_4k();
    test_ept_bits_large();
    test_format_decoders();
    test_amd_ad_bits_ignored();
    test_destroy_frees_all();
    test_unmap_exact_large_needs_no_memory();
    test_ept_split_1g_keeps_attributes();
    test_max_level_1_never_large();
    test_map_then_unmap_round_trip();
    test_random_against_model();
    return check_report("test_npt");
}
