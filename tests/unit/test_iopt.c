/* SPDX-License-Identifier: MIT */
/* Host unit tests for iommu/iopt.c: the I/O page tables in the AMD-Vi
 * (#48882 2.2.3) and VT-d second-level (9.8) formats, on a fake memory. */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "iommu/amd/amdvi_hw.h"
#include "iommu/iommu.h"
#include "iommu/iopt.h"
#include "iommu/vtd/vtd_hw.h"

#define FAKE_PAGES 64
#define FAKE_BASE  0x100000ull

static uint8_t mem[FAKE_PAGES][4096] __attribute__((aligned(4096)));
static bool used[FAKE_PAGES];
static unsigned nalloc, nfree, nsync, limit = FAKE_PAGES;

static uint64_t fake_alloc(void *ctx)
{
    for (unsigned i = 0; i < FAKE_PAGES && nalloc - nfree < limit; i++)
        if (!used[i]) {
            used[i] = true;
            memset(mem[i], 0, 4096);
            nalloc++;
            return FAKE_BASE + i * 4096ull;
        }
    return 0;
}

static void fake_free(void *ctx, uint64_t pa)
{
    unsigned i = (unsigned)((pa - FAKE_BASE) / 4096);
    CHECK(i < FAKE_PAGES && used[i]);
    used[i] = false;
    nfree++;
}

static void *fake_map(void *ctx, uint64_t pa)
{
    unsigned i = (unsigned)((pa - FAKE_BASE) / 4096);
    CHECK(pa >= FAKE_BASE && i < FAKE_PAGES && used[i]);
    return mem[i];
}

static void fake_sync(void *ctx, const void *p, unsigned len)
{
    nsync++;
}

static const struct iopt_env env = { NULL, fake_alloc, fake_free, fake_map, NULL };
static const struct iopt_env env_sync = { NULL, fake_alloc, fake_free, fake_map, fake_sync };

static void reset(void)
{
    memset(used, 0, sizeof(used));
    nalloc = nfree = nsync = 0;
    limit = FAKE_PAGES;
}

/* 64 MiB of a VM at 0x40000000: exactly what is mapped translates, the
 * rest faults, in 3 and 4 levels, then every table is freed. */
static void test_map_ram(const struct iopt_format *fmt, unsigned levels)
{
    struct iopt t;
    uint64_t pa;
    unsigned perm;

    reset();
    CHECK_EQ(iopt_init(&t, fmt, &env, levels), 0);
    CHECK_EQ(iopt_map(&t, 0, 0x40000000ull, 64ull << 20, IOPT_R | IOPT_W), 0);
    /* root + one table per level above 1 + 32 leaf tables */
    CHECK_EQ(nalloc, 1 + (levels - 2) + 32);
    CHECK_EQ(iopt_lookup(&t, 0, &pa, &perm), 0);
    CHECK_EQ(pa, 0x40000000ull);
    CHECK_EQ(perm, IOPT_R | IOPT_W);
    CHECK_EQ(iopt_lookup(&t, 0x1234567, &pa, NULL), 0);
    CHECK_EQ(pa, 0x41234567ull);
    CHECK_EQ(iopt_lookup(&t, (64ull << 20) - 1, &pa, NULL), 0);
    CHECK_EQ(pa, 0x43ffffffull);
    CHECK_EQ(iopt_lookup(&t, 64ull << 20, &pa, NULL), IOPT_ENOENT);
    CHECK_EQ(iopt_lookup(&t, 0x8000000, &pa, NULL), IOPT_ENOENT);
    CHECK_EQ(iopt_lookup(&t, 1ull << (12 + 9 * levels), &pa, NULL), IOPT_EINVAL);
    iopt_destroy(&t);
    CHECK_EQ(nfree, nalloc);
    CHECK_EQ(t.root, 0);
}

/* The entries the walk finds are the vendors' encodings. */
static void test_encodings(void)
{
    struct iopt t;

    reset();
    CHECK_EQ(iopt_init(&t, &iopt_format_amdvi, &env, 3), 0);
    CHECK_EQ(iopt_map(&t, 0x200000, 0x7000, 4096, IOPT_R), 0);
    const uint64_t *root = fake_map(NULL, t.root);
    /* level 3 entry -> level 2 table: NextLevel 2, present, IR IW */
    CHECK_EQ(root[0] & 0xe01ull, 0x401ull);
    CHECK(root[0] & AMDVI_PTE_IR && root[0] & AMDVI_PTE_IW);
    const uint64_t *l2 = fake_map(NULL, root[0] & AMDVI_ADDR_MASK);
    CHECK_EQ(l2[1] & 0xe01ull, 0x201ull);                 /* NextLevel 1 */
    const uint64_t *l1 = fake_map(NULL, l2[1] & AMDVI_ADDR_MASK);
    CHECK_EQ(l1[0], AMDVI_PTE_PR | 0x7000 | AMDVI_PTE_IR); /* NextLevel 0, read only */
    CHECK_EQ(l1[1], 0x200ull);                           /* unmapped: PR=0, NextLevel 1 */
    CHECK_EQ(root[511], 0x200ull);
    CHECK_EQ(iopt_lookup(&t, 0x201000, NULL, NULL), IOPT_ENOENT);
    iopt_destroy(&t);

    reset();
    CHECK_EQ(iopt_init(&t, &iopt_format_vtd_snoop, &env_sync, 3), 0);
    CHECK_EQ(iopt_map(&t, 0x200000, 0x7000, 4096, IOPT_W | IOPT_R), 0);
    root = fake_map(NULL, t.root);
    CHECK_EQ(root[0] & 0xfff, VTD_SL_R | VTD_SL_W);       /* no PS, no SNP in tables */
    l2 = fake_map(NULL, root[0] & VTD_SL_ADDR_MASK);
    l1 = fake_map(NULL, l2[1] & VTD_SL_ADDR_MASK);
    CHECK_EQ(l1[0], 0x7000 | VTD_SL_R | VTD_SL_W | VTD_SL_SNP);
    CHECK_EQ(nsync, 3);                                  /* every entry written is flushed */
    iopt_destroy(&t);
}

static void test_refusals(void)
{
    struct iopt t;

    reset();
    CHECK_EQ(iopt_init(&t, &iopt_format_vtd, &env, 5), IOPT_EINVAL);
    CHECK_EQ(iopt_init(&t, &iopt_format_vtd, &env, 3), 0);
    CHECK_EQ(iopt_map(&t, 0x1000, 0x2000, 0, IOPT_R), IOPT_EINVAL);       /* empty */
    CHECK_EQ(iopt_map(&t, 0x1001, 0x2000, 4096, IOPT_R), IOPT_EINVAL);    /* unaligned */
    CHECK_EQ(iopt_map(&t, 0x1000, 0x2000, 4096, 0), IOPT_EINVAL);         /* no permission */
    CHECK_EQ(iopt_map(&t, 0x1000, 0x2000, 4096, 4), IOPT_EINVAL);         /* unknown bit */
    CHECK_EQ(iopt_map(&t, 1ull << 39, 0x2000, 4096, IOPT_R), IOPT_EINVAL); /* past 3 levels */
    CHECK_EQ(iopt_map(&t, (1ull << 39) - 4096, 0x2000, 8192, IOPT_R), IOPT_EINVAL);
    CHECK_EQ(iopt_map(&t, 0, 1ull << 52, 4096, IOPT_R), IOPT_EINVAL);     /* beyond 52 bits */
    CHECK_EQ(nalloc, 1);                                                  /* nothing built */
    /* out of table memory: ENOMEM, the part before stays mapped */
    limit = 3;
    CHECK_EQ(iopt_map(&t, 0x1ff000, 0x5000, 8192, IOPT_R), IOPT_ENOMEM);
    CHECK_EQ(iopt_lookup(&t, 0x1ff000, NULL, NULL), 0);
    CHECK_EQ(iopt_lookup(&t, 0x200000, NULL, NULL), IOPT_ENOENT);
    iopt_destroy(&t);
    CHECK_EQ(nfree, nalloc);
}

/* iommu_regions_for: the regions whose scopes list a device. */
static void test_regions_for(void)
{
    static struct iommu_desc d;
    unsigned idx[4];

    memset(&d, 0, sizeof(d));
    d.vendor = IOMMU_VTD;
    d.nregions = 3;
    d.nscopes = 4;
    d.region[0] = (struct iommu_region){ .base = 0x7c000000, .length = 0x800000, .first_scope = 0, .nscopes = 1 };
    d.region[1] = (struct iommu_region){ .base = 0x7d000000, .length = 0x1000, .first_scope = 1, .nscopes = 2 };
    d.region[2] = (struct iommu_region){ .base = 0x7e000000, .length = 0x1000, .first_scope = 3, .nscopes = 1 };
    d.scope[0] = (struct iommu_scope){ .kind = IOMMU_SCOPE_DEVICE, .first = 0x00a0, .last = 0x00a0 };
    d.scope[1] = (struct iommu_scope){ .kind = IOMMU_SCOPE_DEVICE, .first = 0x0010, .last = 0x0010 };
    d.scope[2] = (struct iommu_scope){ .kind = IOMMU_SCOPE_RANGE, .first = 0x0090, .last = 0x00af };
    d.scope[3] = (struct iommu_scope){ .kind = IOMMU_SCOPE_DEVICE, .flags = IOMMU_SF_UNRESOLVED,
                                       .first = 0x00a0, .last = 0x00a0 };
    CHECK_EQ(iommu_regions_for(&d, 0, 0x00a0, idx, 4), 2u);     /* 0 and 1; 2's path unresolved */
    CHECK_EQ(idx[0], 0u);
    CHECK_EQ(idx[1], 1u);
    CHECK_EQ(iommu_regions_for(&d, 0, 0x0010, idx, 4), 1u);
    CHECK_EQ(idx[0], 1u);
    CHECK_EQ(iommu_regions_for(&d, 1, 0x00a0, idx, 4), 0u);     /* another segment */
    CHECK_EQ(iommu_regions_for(&d, 0, 0x00a0, idx, 1), 2u);     /* counted past max */
    CHECK_EQ(iommu_regions_for(&d, 0, 0x0100, idx, 4), 0u);
}

int main(void)
{
    test_regions_for();
    test_map_ram(&iopt_format_amdvi, 3);
    test_map_ram(&iopt_format_amdvi, 4);
    test_map_ram(&iopt_format_vtd, 3);
    test_map_ram(&iopt_format_vtd, 4);
    test_encodings();
    test_refusals();
    return check_report("test_iopt");
}
