/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for large nested pages (hv/mm/npt.c) as Keel builds a
 * VM's memory (hv/vm_create.c over hv/mm/guest_ram.h): 1 GiB and 2 MiB
 * pages picked from host and guest alignment, the per-size counts the boot
 * log prints (npt_count_leaves), and 4 KiB traps placed inside a large page
 * later (an APIC page moved into RAM, hv/vapic.c) splitting it with every
 * other translation kept.  Both entry formats.  test_npt.c covers the
 * builder's operations one by one.
 */
#include "check.h"
#include "hv/mm/guest_ram.h"
#include "hv/mm/npt.h"

#include <stdbool.h>
#include <string.h>

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)
#define PG  4096ull

#define FAKE_PAGES 64
#include "npt_fake.h"

static const struct npt_format *const formats[] = { &npt_format_amd, &npt_format_ept };

/* A 6 GiB VM as the boot code could get it: the low 2 GiB in one 1 GiB
 * aligned chunk, the 4 GiB above 4 GiB in a 1 GiB aligned chunk of 3 GiB
 * and a chunk of 1 GiB that is only 2 MiB aligned. */
static void six_gib(struct guest_ram *g)
{
    gram_init(g, 6 * GiB);
    CHECK_EQ(gram_add(g, 0, 0x40000000ull * 8, 2 * GiB), 0);
    CHECK_EQ(gram_add(g, 4 * GiB, 0x40000000ull * 16, 3 * GiB), 0);
    CHECK_EQ(gram_add(g, 7 * GiB, 0x40000000ull * 24 + 2 * MiB, GiB), 0);
    CHECK(gram_complete(g));
}

static void map_ram(struct npt *n, const struct guest_ram *g)
{
    for (unsigned i = 0; i < g->nslots; i++)
        CHECK_EQ(npt_map(n, g->slot[i].gpa, g->slot[i].hpa, g->slot[i].size, NPT_RWX,
                         NPT_MT_WB), 0);
}

static void counts(const struct npt *n, uint64_t g1, uint64_t m2, uint64_t k4)
{
    uint64_t c[NPT_LEVELS];

    npt_count_leaves(n, c);
    CHECK_EQ(c[0], 0);
    CHECK_EQ(c[3], g1);
    CHECK_EQ(c[2], m2);
    CHECK_EQ(c[1], k4);
}

/* Every probe address of the layout translates to its chunk, at level. */
static bool translates(const struct npt *n, const struct guest_ram *g, uint64_t gpa, unsigned level)
{
    uint64_t want, hpa;
    unsigned perm, lv;

    if (gram_hpa(g, gpa, 1, &want) != 0)
        return false;
    return npt_lookup(n, gpa, &hpa, &perm, &lv) == 0 && hpa == want && perm == NPT_RWX &&
           lv == level;
}

static void test_page_sizes_from_alignment(void)
{
    for (unsigned f = 0; f < 2; f++) {
        struct guest_ram g;
        struct npt n;

        six_gib(&g);
        CHECK_EQ(npt_init(&n, formats[f], &env, 3), 0);
        map_ram(&n, &g);
        /* 2 + 3 GiB in 1G pages; the last GiB, host-misaligned for 1G, in 2M pages */
        counts(&n, 5, 512, 0);
        CHECK(translates(&n, &g, 0x12345, 3));
        CHECK(translates(&n, &g, 2 * GiB - 1, 3));
        CHECK(translates(&n, &g, 4 * GiB, 3));
        CHECK(translates(&n, &g, 7 * GiB - 1, 3));
        CHECK(translates(&n, &g, 7 * GiB, 2));
        CHECK(translates(&n, &g, 8 * GiB - 1, 2));
        /* the hole and past the end: nothing */
        CHECK_EQ(npt_lookup(&n, 2 * GiB, NULL, NULL, NULL), NPT_ENOENT);
        CHECK_EQ(npt_lookup(&n, GRAM_ECAM_BASE, NULL, NULL, NULL), NPT_ENOENT);
        CHECK_EQ(npt_lookup(&n, 0xfee00000ull, NULL, NULL, NULL), NPT_ENOENT);
        CHECK_EQ(npt_lookup(&n, 8 * GiB, NULL, NULL, NULL), NPT_ENOENT);
        npt_destroy(&n);
        CHECK_EQ(fake_in_use, 0);
    }
}

/* Without 1 GiB pages (max_level 2: EPT without bit 17, or an AMD CPU
 * without Page1GB) the same RAM takes 2 MiB pages only. */
static void test_no_1g_pages(void)
{
    for (unsigned f = 0; f < 2; f++) {
        struct guest_ram g;
        struct npt n;

        six_gib(&g);
        CHECK_EQ(npt_init(&n, formats[f], &env, 2), 0);
        map_ram(&n, &g);
        counts(&n, 0, 3072, 0);
        CHECK(translates(&n, &g, 5 * GiB + 3 * MiB + 5, 2));
        npt_destroy(&n);
        CHECK_EQ(fake_in_use, 0);
    }
}

/* A 4 KiB trap placed inside a 1 GiB page (hv/vapic.c unmaps the RAM page
 * an APIC was moved to): the 1 GiB page becomes 511 2M pages and 511 4K
 * pages around the hole, every other byte translating as before; mapping
 * the page back leaves it 4K. */
static void test_trap_splits_1g(void)
{
    const uint64_t hole = GiB + 5 * MiB + 0x3000;

    for (unsigned f = 0; f < 2; f++) {
        struct guest_ram g;
        struct npt n;
        uint64_t hpa;

        six_gib(&g);
        CHECK_EQ(npt_init(&n, formats[f], &env, 3), 0);
        map_ram(&n, &g);
        CHECK_EQ(npt_unmap(&n, hole, PG), 0);
        CHECK(npt_take_flush(&n));          /* a present translation went away */
        counts(&n, 4, 512 + 511, 511);
        CHECK_EQ(npt_lookup(&n, hole, NULL, NULL, NULL), NPT_ENOENT);
        CHECK(translates(&n, &g, hole - 1, 1));
        CHECK(translates(&n, &g, hole + PG, 1));
        CHECK(translates(&n, &g, GiB, 2));
        CHECK(translates(&n, &g, 2 * GiB - 1, 2));
        CHECK(translates(&n, &g, GiB - 1, 3)); /* the neighbour 1G page is untouched */
        CHECK_EQ(gram_hpa(&g, hole, PG, &hpa), 0);
        CHECK_EQ(npt_map(&n, hole, hpa, PG, NPT_RWX, NPT_MT_WB), 0);
        CHECK(translates(&n, &g, hole, 1));
        counts(&n, 4, 512 + 511, 512);
        npt_destroy(&n);
        CHECK_EQ(fake_in_use, 0);
    }
}

/* A device BAR mapped in the hole (hv/passthru.c, uncached) takes 4 KiB
 * or 2 MiB pages by its own alignment and leaves the RAM's pages alone;
 * unmapping it frees the tables it needed. */
static void test_bar_in_hole(void)
{
    for (unsigned f = 0; f < 2; f++) {
        struct guest_ram g;
        struct npt n;
        unsigned before;
        unsigned lv;

        six_gib(&g);
        CHECK_EQ(npt_init(&n, formats[f], &env, 3), 0);
        map_ram(&n, &g);
        before = fake_in_use;
        CHECK(!gram_bar_conflict(&g, 0xe0000000ull, 2 * MiB + 16 * PG));
        CHECK_EQ(npt_map(&n, 0xe0000000ull, 0xfd000000ull, 2 * MiB + 16 * PG, NPT_R | NPT_W,
                         NPT_MT_UC), 0);
        counts(&n, 5, 512 + 1, 16);
        CHECK_EQ(npt_lookup(&n, 0xe0200000ull + 5 * PG, NULL, NULL, &lv), 0);
        CHECK_EQ(lv, 1);
        CHECK_EQ(npt_unmap(&n, 0xe0000000ull, 2 * MiB + 16 * PG), 0);
        counts(&n, 5, 512, 0);
        CHECK_EQ(fake_in_use, before);
        npt_destroy(&n);
        CHECK_EQ(fake_in_use, 0);
    }
}

/* A VM below 2 GiB whose host chunk is only 2 MiB aligned: no 1G page even
 * where the CPU has them. */
static void test_small_vm(void)
{
    struct guest_ram g;
    struct npt n;

    gram_init(&g, 1536 * MiB);
    CHECK_EQ(gram_add(&g, 0, 0x7fe00000ull, 1536 * MiB), 0);
    CHECK_EQ(npt_init(&n, &npt_format_amd, &env, 3), 0);
    map_ram(&n, &g);
    counts(&n, 0, 768, 0);
    npt_destroy(&n);
    CHECK_EQ(fake_in_use, 0);
}

int main(void)
{
    test_page_sizes_from_alignment();
    test_no_1g_pages();
    test_trap_splits_1g();
    test_bar_in_hole();
    test_small_vm();
    CHECK_EQ(fake_bad_frees, 0);
    return check_report("test_npt_large");
}
