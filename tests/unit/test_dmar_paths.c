/* SPDX-License-Identifier: MIT */
/*
 * iommu_dmar_resolve_paths (iommu/vtd/dmar.c): DMAR device scopes whose
 * path crosses PCI-to-PCI bridges (VT-d 8.3.1), resolved hop by hop from
 * the bridges' secondary bus numbers (config 19h) in a fake configuration
 * space: two and three hops, and the paths that must stay unresolved (a
 * hop that is no bridge, an absent function, a bridge on bus 0).
 */
#include <string.h>

#include "check.h"
#include "iommu/iommu.h"
#include "iommu_tables.h"

static struct tbl t;
static struct iommu_desc d;
static unsigned reads;

#define BDF(b, dv, f) ((uint16_t)((b) << 8 | (dv) << 3 | (f)))

/* 00:1c.0 bridge to bus 3; 00:1c.4 bridge to 5, 05:00.0 bridge to 6;
 * 00:1d.0 an endpoint; 00:1e.0 absent; 00:1f.0 a bridge left at bus 0. */
static uint8_t fake_cfg(void *ctx, uint16_t bdf, unsigned off)
{
    uint8_t hdr = 0, sec = 0, subo = 0;
    (void)ctx;
    reads++;
    switch (bdf) {
    case BDF(0, 0x1c, 0): hdr = 0x81; sec = 3; break; /* multi-function bit set: ignored */
    case BDF(0, 0x1c, 4): hdr = 0x01; sec = 5; subo = 6; break;
    case BDF(5, 0, 0):    hdr = 0x01; sec = 6; subo = 6; break;
    case BDF(0, 0x1d, 0): hdr = 0x00; break;
    case BDF(0, 0x1f, 0): hdr = 0x01; sec = 0; break;
    default: return 0xff;                              /* no function: all ones */
    }
    switch (off) {
    case 0x00: return 0x86;
    case 0x01: return 0x80;
    case 0x0e: return hdr;
    case 0x19: return sec;
    case 0x1a: return subo;
    default: return 0;
    }
}

/* A three-hop endpoint scope: bus 0, 1c.4, then 00.0, then 02.1. */
static void scope3(void)
{
    tb_add(&t, 1, 1);
    tb_add(&t, 12, 1);
    tb_add(&t, 0, 2);
    tb_add(&t, 0, 1);
    tb_add(&t, 0, 1);
    tb_add(&t, 0x1c, 1); tb_add(&t, 4, 1);
    tb_add(&t, 0x00, 1); tb_add(&t, 0, 1);
    tb_add(&t, 0x02, 1); tb_add(&t, 1, 1);
}

static void build(void)
{
    dmar_begin(&t, 39, 0x01);
    uint32_t s = drhd_begin(&t, 0, 0, 0xfed90000);
    dscope(&t, 1, 0, 0, 0x1c, 0, 0x00, 0);   /* 00:1c.0 -> 03:00.0 */
    scope3();                                /* -> 06:02.1 */
    dscope(&t, 1, 0, 0, 0x1d, 0, 0x00, 0);   /* through an endpoint: stays */
    dscope(&t, 1, 0, 0, 0x1e, 0, 0x00, 0);   /* through nothing: stays */
    dscope(&t, 1, 0, 0, 0x1f, 0, 0x00, 0);   /* through an unnumbered bridge: stays */
    dscope(&t, 1, 0, 0, 0x02, 0, 0xff, 0);   /* one hop: untouched */
    dscope(&t, 2, 0, 0, 0x1c, 4, 0xff, 0);   /* bridge 00:1c.4: it and buses 5..6 */
    dscope(&t, 2, 0, 0, 0x1d, 0, 0xff, 0);   /* a "bridge" that is an endpoint: itself only */
    tb_close16(&t, s);
    s = drhd_begin(&t, 1, 0, 0xfed91000);    /* INCLUDE_PCI_ALL */
    tb_close16(&t, s);
    tb_finish(&t);
}

static void test_resolve(void)
{
    build();
    CHECK_EQ(iommu_parse_table(t.b, t.len, &d), 0);
    CHECK_EQ(d.nscopes, 8u);
    CHECK_EQ(iommu_unit_for(&d, 0, BDF(5, 3, 0)), 1);
    CHECK_EQ(iommu_unit_for(&d, 0, BDF(3, 0, 0)), 1);   /* before: only INCLUDE_PCI_ALL has it */
    CHECK_EQ(iommu_dmar_resolve_paths(&d, t.b, t.len, fake_cfg, NULL), 2u);
    const struct iommu_scope *s = &d.scope[d.unit[0].first_scope];
    CHECK_EQ(s[0].flags & IOMMU_SF_UNRESOLVED, 0u);
    CHECK_EQ(s[0].first, BDF(3, 0, 0));
    CHECK_EQ(s[0].last, BDF(3, 0, 0));
    CHECK_EQ(s[1].flags & IOMMU_SF_UNRESOLVED, 0u);
    CHECK_EQ(s[1].first, BDF(6, 2, 1));
    CHECK_EQ(s[1].path_len, 3u);
    for (unsigned i = 2; i < 5; i++)
        CHECK_EQ(s[i].flags & IOMMU_SF_UNRESOLVED, IOMMU_SF_UNRESOLVED);
    CHECK_EQ(s[2].first, BDF(0, 0x1d, 0));               /* left as parsed */
    CHECK_EQ(s[5].first, BDF(0, 2, 0));
    CHECK_EQ(iommu_unit_for(&d, 0, BDF(3, 0, 0)), 0);   /* after: unit 0 lists it */
    CHECK_EQ(iommu_unit_for(&d, 0, BDF(6, 2, 1)), 0);
    CHECK_EQ(iommu_unit_for(&d, 0, BDF(0, 0x1d, 0)), 0);   /* the second bridge scope itself */
    CHECK_EQ(s[6].sec_bus, 5u);
    CHECK_EQ(s[6].sub_bus, 6u);
    CHECK_EQ(s[7].sub_bus, 0u);
    CHECK_EQ(iommu_unit_for(&d, 0, BDF(5, 3, 0)), 0);   /* below 00:1c.4 */
    CHECK_EQ(iommu_unit_for(&d, 0, BDF(0, 0x1c, 4)), 0);
    CHECK_EQ(iommu_unit_for(&d, 0, BDF(7, 0, 0)), 1);   /* past its subordinate bus */
    unsigned before = reads;                             /* again: nothing left to do but retry */
    CHECK_EQ(iommu_dmar_resolve_paths(&d, t.b, t.len, fake_cfg, NULL), 0u);
    CHECK(reads > before);
    CHECK_EQ(iommu_dmar_resolve_paths(&d, t.b, 10, fake_cfg, NULL), 0u); /* short table: nothing */
}

static void test_ivrs_untouched(void)
{
    struct iommu_desc a;
    memset(&a, 0, sizeof(a));
    a.vendor = IOMMU_AMD_VI;
    reads = 0;
    CHECK_EQ(iommu_dmar_resolve_paths(&a, t.b, t.len, fake_cfg, NULL), 0u);
    CHECK_EQ(reads, 0u);
}

int main(void)
{
    test_resolve();
    test_ivrs_untouched();
    return check_report("test_dmar_paths");
}
