/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/mm/guest_ram.c: the layout and its host chunks. */
#include "check.h"
#include "hv/mm/guest_ram.h"

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

static void test_ranges(void)
{
    uint64_t base[2], len[2];

    CHECK_EQ(gram_ranges(64 * MiB, base, len), 1);
    CHECK_EQ(base[0], 0);
    CHECK_EQ(len[0], 64 * MiB);
    CHECK_EQ(gram_ranges(2 * GiB, base, len), 1);
    CHECK_EQ(len[0], 2 * GiB);
    CHECK_EQ(gram_ranges(2 * GiB + 2 * MiB, base, len), 2);
    CHECK_EQ(len[0], 2 * GiB);
    CHECK_EQ(base[1], 4 * GiB);
    CHECK_EQ(len[1], 2 * MiB);
    CHECK_EQ(gram_low_size(6 * GiB), 2 * GiB);
    CHECK_EQ(gram_top(6 * GiB), 8 * GiB);
    CHECK_EQ(gram_top(256 * MiB), 256 * MiB);
    CHECK_EQ(gram_mmio64_base(256 * MiB), 4 * GiB);
    CHECK_EQ(gram_mmio64_base(6 * GiB), 8 * GiB);
    CHECK_EQ(gram_mmio64_base(6 * GiB + 2 * MiB), 9 * GiB);
}

static void test_add_rules(void)
{
    struct guest_ram g;

    gram_init(&g, 6 * GiB);
    CHECK(!gram_complete(&g));
    CHECK_EQ(gram_add(&g, 2 * MiB, 0x100000000ull, 2 * MiB), GRAM_EINVAL); /* must start at 0 */
    CHECK_EQ(gram_add(&g, 0, 0x100001000ull, 2 * MiB), GRAM_EINVAL);      /* hpa 2M aligned */
    CHECK_EQ(gram_add(&g, 0, 0x100000000ull, 3 * GiB), GRAM_EINVAL);      /* crosses the hole */
    CHECK_EQ(gram_add(&g, 0, 0x100000000ull, GiB), 0);
    CHECK_EQ(gram_add(&g, 4 * GiB, 0x200000000ull, GiB), GRAM_EINVAL);   /* low part not done */
    CHECK_EQ(gram_add(&g, GiB, 0x300000000ull, GiB), 0);
    CHECK_EQ(gram_add(&g, 2 * GiB, 0x400000000ull, GiB), GRAM_EINVAL);   /* the hole */
    CHECK_EQ(gram_add(&g, 4 * GiB, 0x400000000ull, 5 * GiB), GRAM_EINVAL); /* past the end */
    CHECK_EQ(gram_add(&g, 4 * GiB, 0x400000000ull, 4 * GiB), 0);
    CHECK(gram_complete(&g));
    CHECK_EQ(gram_add(&g, 8 * GiB, 0x500000000ull, 2 * MiB), GRAM_EINVAL);
    CHECK_EQ(g.nslots, 3);
}

static void test_slot_limit(void)
{
    struct guest_ram g;

    gram_init(&g, 64 * MiB);
    for (unsigned i = 0; i < GRAM_MAX_SLOTS; i++)
        CHECK_EQ(gram_add(&g, i * 2 * MiB, 0x100000000ull + i * 4 * MiB, 2 * MiB), 0);
    CHECK_EQ(gram_add(&g, GRAM_MAX_SLOTS * 2 * MiB, 0x200000000ull, 2 * MiB), GRAM_ENOSPC);
    CHECK(!gram_complete(&g));
}

static void test_lookups(void)
{
    struct guest_ram g;
    uint64_t hpa = 0;

    gram_init(&g, 6 * GiB);
    CHECK_EQ(gram_add(&g, 0, 0x200000000ull, 2 * GiB), 0);
    CHECK_EQ(gram_add(&g, 4 * GiB, 0x400000000ull, 3 * GiB), 0);
    CHECK_EQ(gram_add(&g, 7 * GiB, 0x900000000ull, GiB), 0);
    CHECK(gram_is_ram(&g, 0, 1));
    CHECK(gram_is_ram(&g, 2 * GiB - 8, 8));
    CHECK(!gram_is_ram(&g, 2 * GiB - 8, 9));          /* into the hole */
    CHECK(!gram_is_ram(&g, 3 * GiB, 4));
    CHECK(gram_is_ram(&g, 7 * GiB - 4, 8));           /* across two chunks: still RAM */
    CHECK(!gram_is_ram(&g, 8 * GiB - 4, 8));
    CHECK(!gram_is_ram(&g, ~0ull - 2, 8));            /* wraps */
    CHECK_EQ(gram_hpa(&g, 0x1234, 4, &hpa), 0);
    CHECK_EQ(hpa, 0x200001234ull);
    CHECK_EQ(gram_hpa(&g, 5 * GiB, 4, &hpa), 0);
    CHECK_EQ(hpa, 0x440000000ull);
    CHECK_EQ(gram_hpa(&g, 7 * GiB - 4, 8, &hpa), -1); /* not contiguous in the host */
    CHECK_EQ(gram_hpa(&g, 7 * GiB, 8, &hpa), 0);
    CHECK_EQ(hpa, 0x900000000ull);
    CHECK_EQ(gram_run(&g, 7 * GiB - 4), 4);
    CHECK_EQ(gram_run(&g, 3 * GiB), 0);
}

static void test_bar_conflicts(void)
{
    struct guest_ram g;

    gram_init(&g, 6 * GiB);
    CHECK(gram_bar_conflict(&g, 2 * GiB - 4096, 8192));      /* overlaps low RAM */
    CHECK(!gram_bar_conflict(&g, 2 * GiB, 1 * MiB));
    CHECK(!gram_bar_conflict(&g, 0xe0000000ull, 1 * MiB));
    CHECK(gram_bar_conflict(&g, GRAM_ECAM_BASE + 5 * MiB, 4096)); /* the ECAM window */
    CHECK(gram_bar_conflict(&g, 5 * GiB, 4096));              /* high RAM */
    CHECK(!gram_bar_conflict(&g, gram_mmio64_base(6 * GiB), GiB));
    CHECK(gram_bar_conflict(&g, ~0ull - 4095, 8192));         /* wraps */
    CHECK(gram_bar_conflict(&g, 3 * GiB, 0));
    CHECK(gram_overlaps_ram(256 * MiB, 255 * MiB, 2 * MiB));
    CHECK(!gram_overlaps_ram(256 * MiB, 256 * MiB, 2 * MiB));
}

int main(void)
{
    test_ranges();
    test_add_rules();
    test_slot_limit();
    test_lookups();
    test_bar_conflicts();
    return check_report("test_guest_ram");
}
