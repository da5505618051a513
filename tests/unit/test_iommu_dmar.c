/* SPDX-License-Identifier: MIT */
/*
 * iommu/vtd/dmar.c against hand-built DMAR tables (VT-d chapter 8): a valid
 * table with two DRHDs (one INCLUDE_PCI_ALL), an RMRR, an ATSR and
 * structures Keel skips, then truncated tables, bad lengths, a bad
 * checksum, bad scopes and overlapping scopes.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "iommu/iommu.h"
#include "iommu_tables.h"

static struct tbl t;
static struct iommu_desc d;

/* Unit 0 at fed90000 for 00:02.0 (graphics) with a path through a bridge;
 * unit 1 at fed91000 for everything else, with the I/O APIC and HPET. */
static void build_valid(uint8_t flags)
{
    dmar_begin(&t, 39, flags);
    uint32_t s = drhd_begin(&t, 0, 0, 0xfed90000);
    dscope(&t, 1, 0, 0, 2, 0, 0xff, 0);            /* endpoint 00:02.0 */
    dscope(&t, 1, 0, 0, 0x1c, 0, 0, 0);            /* behind 00:1c.0: unresolved */
    dscope(&t, 2, 0, 0, 0x1d, 0, 0xff, 0);         /* bridge 00:1d.0 */
    tb_close16(&t, s);
    s = drhd_begin(&t, 1, 0, 0xfed91000);
    dscope(&t, 3, 8, 0xf0, 0x1f, 0, 0xff, 0);      /* IOAPIC 8 at f0:1f.0 */
    dscope(&t, 4, 0, 0, 0x0f, 0, 0xff, 0);         /* HPET 0 at 00:0f.0 */
    dscope(&t, 9, 0, 0, 0x01, 0, 0xff, 0);         /* unknown scope type: skipped */
    tb_close16(&t, s);
    s = rmrr_begin(&t, 0, 0x7c000000, 0x7c7fffff);
    dscope(&t, 1, 0, 0, 0x14, 0, 0xff, 0);         /* USB controller */
    dscope(&t, 1, 0, 0, 0x1a, 0, 0xff, 0);
    tb_close16(&t, s);
    s = atsr_begin(&t, 0, 0);
    dscope(&t, 2, 0, 0, 0x1c, 0, 0xff, 0);
    tb_close16(&t, s);
    s = tb_add(&t, 3, 2); /* RHSA: known, skipped */
    tb_add(&t, 20 - 2, 2);
    tb_put(&t, s + 2, 20, 2);
    tb_add(&t, 0, 16);
    s = tb_add(&t, 0x77, 2); /* unknown */
    tb_add(&t, 8, 2);
    tb_add(&t, 0, 4);
    tb_finish(&t);
}

static void test_valid(void)
{
    build_valid(0x01 | 0x02);
    CHECK_EQ(iommu_parse_table(t.b, t.len, &d), 0);
    CHECK_EQ(d.vendor, IOMMU_VTD);
    CHECK_EQ(d.haw, 39);
    CHECK_EQ(d.table_flags, 3);
    CHECK_EQ(d.nunits, 2);
    CHECK_EQ(d.skipped, 3); /* scope type 9, RHSA, type 77h */
    CHECK_EQ(d.unit[0].base, 0xfed90000);
    CHECK_EQ(d.unit[0].bdf, IOMMU_NO_BDF);
    CHECK_EQ(d.unit[0].addr_width, 39);
    CHECK_EQ(d.unit[0].features, IOMMU_F_IR | IOMMU_F_X2APIC_OPT_OUT);
    CHECK_EQ(d.unit[0].nscopes, 3);
    CHECK_EQ(d.unit[1].features, IOMMU_F_IR | IOMMU_F_X2APIC_OPT_OUT | IOMMU_F_INCLUDE_ALL);
    CHECK_EQ(d.unit[1].nscopes, 2);
    const struct iommu_scope *s = &d.scope[d.unit[0].first_scope];
    CHECK_EQ(s[0].kind, IOMMU_SCOPE_DEVICE);
    CHECK_EQ(s[0].first, 0x0010);
    CHECK_EQ(s[0].path_len, 1);
    CHECK_EQ(s[1].flags, IOMMU_SF_UNRESOLVED);
    CHECK_EQ(s[1].path_len, 2);
    CHECK_EQ(s[1].first, 0x00e0);
    CHECK_EQ(s[2].kind, IOMMU_SCOPE_BRIDGE);
    CHECK_EQ(s[2].first, 0x00e8);
    s = &d.scope[d.unit[1].first_scope];
    CHECK_EQ(s[0].kind, IOMMU_SCOPE_IOAPIC);
    CHECK_EQ(s[0].enum_id, 8);
    CHECK_EQ(s[0].first, 0xf0f8);
    CHECK_EQ(s[1].kind, IOMMU_SCOPE_HPET);
    CHECK_EQ(d.nregions, 1);
    CHECK_EQ(d.region[0].base, 0x7c000000);
    CHECK_EQ(d.region[0].length, 0x800000);
    CHECK_EQ(d.region[0].nscopes, 2);
    CHECK_EQ(d.scope[d.region[0].first_scope + 1].first, 0x00d0);
    CHECK_EQ(d.nats, 1);
    CHECK_EQ(d.ats[0].all_ports, 0);
    CHECK_EQ(d.ats[0].nscopes, 1);
    /* 00:02.0 is unit 0's; the bridge 00:1d.0 too; every other device
     * falls to the INCLUDE_PCI_ALL unit; the unresolved path does not
     * claim 00:1c.0 for unit 0. */
    CHECK_EQ(iommu_unit_for(&d, 0, 0x0010), 0);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x00e8), 0);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x00e0), 1);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x0300), 1);
    CHECK_EQ(iommu_unit_for(&d, 1, 0x0300), IOMMU_LOOKUP_NONE);
    char line[160];
    iommu_describe_unit(&d, 1, line, sizeof(line));
    CHECK(strcmp(line, "unit 1: VT-d at 0xfed91000, segment 0, 2 scopes, "
                       "features: IR x2APIC-opt-out include-all") == 0);
    build_valid(0);
    CHECK_EQ(iommu_parse_dmar(t.b, t.len, &d), 0);
    CHECK_EQ(d.unit[0].features, 0);
    iommu_describe_unit(&d, 0, line, sizeof(line));
    CHECK(strstr(line, "features: none stated") != NULL);
}

static void expect_refused(const char *what, const char *why_part)
{
    CHECK_EQ(iommu_parse_table(t.b, t.len, &d), -1);
    CHECK_EQ(d.nunits, 0);
    CHECK_EQ(d.nregions, 0);
    if (!strstr(d.why, why_part)) {
        fprintf(stderr, "%s: why '%s' lacks '%s'\n", what, d.why, why_part);
        CHECK(0);
    }
}

static void test_truncated_and_lengths(void)
{
    build_valid(1);
    CHECK_EQ(iommu_parse_dmar(t.b, t.len - 1, &d), -1);
    CHECK(strstr(d.why, "bad length") != NULL);
    CHECK_EQ(iommu_parse_dmar(t.b, 35, &d), -1);

    build_valid(1);
    t.b[40] ^= 0x80;
    expect_refused("checksum", "checksum is wrong");

    build_valid(1);
    tb_put(&t, 48 + 2, 0x4000, 2); /* the first DRHD runs past the table */
    tb_finish(&t);
    expect_refused("DRHD length", "past the table");

    build_valid(1);
    tb_put(&t, 48 + 2, 3, 2);
    tb_finish(&t);
    expect_refused("DRHD length 3", "has length 3");

    build_valid(1);
    t.b[48 + 16 + 1] = 0x40; /* the first scope runs past its DRHD */
    tb_finish(&t);
    expect_refused("scope length", "device scope at offset 0x40");

    build_valid(1);
    t.b[48 + 16 + 1] = 7; /* half a hop */
    tb_finish(&t);
    expect_refused("odd scope", "has length 7");

    build_valid(1);
    t.b[48 + 16 + 6] = 32; /* device 32 */
    tb_finish(&t);
    expect_refused("device 32", "names device 32");

    dmar_begin(&t, 39, 1);
    uint32_t s = drhd_begin(&t, 1, 0, 0);
    tb_close16(&t, s);
    tb_finish(&t);
    expect_refused("base 0", "register base 0");

    dmar_begin(&t, 39, 1);
    s = drhd_begin(&t, 1, 0, 0xfed90000);
    t.len -= 4; /* a DRHD shorter than its fixed part */
    tb_close16(&t, s);
    tb_finish(&t);
    expect_refused("short DRHD", "too short");

    dmar_begin(&t, 39, 1);
    s = rmrr_begin(&t, 0, 0x1000, 0x1fff);
    tb_close16(&t, s);
    tb_finish(&t);
    expect_refused("no DRHD", "no DRHD");

    dmar_begin(&t, 39, 1);
    s = drhd_begin(&t, 1, 0, 0xfed90000);
    tb_close16(&t, s);
    s = rmrr_begin(&t, 0, 0x2000, 0x1fff);
    tb_close16(&t, s);
    tb_finish(&t);
    expect_refused("RMRR reversed", "not whole 4 KiB pages");

    dmar_begin(&t, 39, 1);
    s = drhd_begin(&t, 1, 0, 0xfed90000);
    tb_close16(&t, s);
    tb_add(&t, 0, 2); /* 2 bytes: not even a structure header */
    tb_finish(&t);
    expect_refused("trailing bytes", "past the table");
}

/* Two DRHDs that both list 00:03.0: ambiguous, reported as an overlap. */
static void test_overlap(void)
{
    dmar_begin(&t, 48, 1);
    uint32_t s = drhd_begin(&t, 0, 0, 0xfed90000);
    dscope(&t, 1, 0, 0, 3, 0, 0xff, 0);
    tb_close16(&t, s);
    s = drhd_begin(&t, 0, 0, 0xfed91000);
    dscope(&t, 1, 0, 0, 4, 0, 0xff, 0);
    dscope(&t, 1, 0, 0, 3, 0, 0xff, 0);
    tb_close16(&t, s);
    tb_finish(&t);
    CHECK_EQ(iommu_parse_dmar(t.b, t.len, &d), 0);
    unsigned a = 0, b = 0;
    CHECK(iommu_find_overlap(&d, &a, &b));
    CHECK_EQ(a, 0);
    CHECK_EQ(b, 2);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x18), IOMMU_LOOKUP_AMBIGUOUS);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x20), 1);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x28), IOMMU_LOOKUP_NONE);

    char why[160] = "";
    CHECK_EQ(iommu_assignable(&d, 0, 0x20, why, sizeof(why)), 1);
    CHECK_EQ(iommu_assignable(&d, 0, 0x18, why, sizeof(why)), -1);
    CHECK(strcmp(why, "device 0000:00:03.0: two IOMMU units list it (a firmware error)") == 0);
    CHECK_EQ(iommu_assignable(&d, 0, 0x28, why, sizeof(why)), -1);
    CHECK(strstr(why, "device 0000:00:05.0: no IOMMU unit lists it") == why);
    struct iommu_desc none;
    memset(&none, 0, sizeof(none));
    CHECK_EQ(iommu_assignable(&none, 0, 0x28, why, sizeof(why)), -1);
    CHECK(strstr(why, "no IOMMU on this machine") != NULL);
}

static void test_too_many(void)
{
    dmar_begin(&t, 48, 1);
    for (unsigned i = 0; i <= IOMMU_MAX_UNITS; i++) {
        uint32_t s = drhd_begin(&t, 0, 0, 0xfed90000 + i * 0x1000);
        tb_close16(&t, s);
    }
    tb_finish(&t);
    expect_refused("units", "more than 16 DRHDs");

    dmar_begin(&t, 48, 1);
    for (unsigned i = 0; i <= IOMMU_MAX_ATS; i++) {
        uint32_t s = atsr_begin(&t, 1, 0);
        tb_close16(&t, s);
    }
    tb_finish(&t);
    expect_refused("ATSRs", "more than 8 ATSRs");
}

int main(void)
{
    test_valid();
    test_truncated_and_lengths();
    test_overlap();
    test_too_many();
    return check_report("test_iommu_dmar");
}
