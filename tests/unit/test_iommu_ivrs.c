/* SPDX-License-Identifier: MIT */
/*
 * iommu/amd/ivrs.c against hand-built IVRS tables (#48882 5.2): a valid
 * table with one IOMMU listed as IVHD 10h and 11h and every device entry
 * type, then truncated tables, bad lengths, a bad checksum, unknown types,
 * broken ranges and overlapping scopes of two IOMMUs.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "iommu/iommu.h"
#include "iommu_tables.h"

static struct tbl t;
static struct iommu_desc d;

#define BASE 0xfed80000ull

/* The IOMMU at 00:00.2 (10h and 11h), its devices, and one IVMD. */
static void build_valid(void)
{
    ivrs_begin(&t);
    uint32_t h = ivhd_begin(&t, 0x10, 0xb0, 0x0002, BASE, 0, 1u << 0);
    ivhd_dev4(&t, 0x01, 0, 0);
    tb_close16(&t, h);
    h = ivhd_begin(&t, 0x11, 0xb0, 0x0002, BASE, 0, (1u << 2) | (1u << 7));
    ivhd_dev4(&t, 0x02, 0x0010, 0x00);            /* select 00:02.0 */
    ivhd_dev4(&t, 0x03, 0x0100, 0x01);            /* range 01:00.0 ... */
    ivhd_dev4(&t, 0x04, 0x01ff, 0x00);            /* ... 01:1f.7 */
    ivhd_dev8(&t, 0x42, 0x0200, 0, 0x030000u);    /* alias select 02:00.0 -> 03:00.0 */
    ivhd_dev8(&t, 0x46, 0x0210, 0, 0x80000000u);  /* extended select, ATS disabled */
    ivhd_special(&t, 0x21, 0x00a0, 1);            /* IOAPIC 0x21 at 00:14.0 */
    ivhd_special(&t, 0x00, 0x00a0, 2);            /* HPET 0 */
    ivhd_special(&t, 0x05, 0x00a1, 9);            /* unknown variety: skipped */
    ivhd_dev4(&t, 0x05, 0x1234, 0);               /* unknown 4-byte type: skipped */
    ivhd_dev4(&t, 0x00, 0, 0);                    /* padding */
    ivhd_dev8(&t, 0x85, 0x1234, 0, 0);            /* unknown 16-byte type: skipped */
    tb_add(&t, 0, 8);
    uint32_t hid = tb_add(&t, 0xf0, 1);           /* ACPI HID device, UID "AB" */
    tb_add(&t, 0x00a5, 2);
    tb_add(&t, 0, 1);
    memcpy(t.b + t.len, "AMDI0020", 8), t.len += 8;
    tb_add(&t, 0, 8);
    tb_add(&t, 2, 1);
    tb_add(&t, 2, 1);
    memcpy(t.b + t.len, "AB", 2), t.len += 2;
    tb_close16(&t, h);
    (void)hid;
    ivmd(&t, 0x21, 0x07, 0x0010, 0, 0x7f000000, 0x100000); /* unity, read, write */
    uint32_t u = tb_add(&t, 0x30, 1);                        /* unknown block type */
    tb_add(&t, 0, 1);
    tb_add(&t, 8, 2);
    tb_add(&t, 0, 4);
    (void)u;
    tb_finish(&t);
}

static void test_valid(void)
{
    build_valid();
    CHECK_EQ(iommu_parse_table(t.b, t.len, &d), 0);
    CHECK_EQ(d.vendor, IOMMU_AMD_VI);
    CHECK_EQ(d.haw, 48);
    CHECK_EQ(d.nunits, 1);
    CHECK_EQ(d.superseded, 1);  /* the 10h beside the 11h */
    CHECK_EQ(d.skipped, 5);     /* variety 9, type 05h, padding, type 85h, block 30h */
    const struct iommu_unit *un = &d.unit[0];
    CHECK_EQ(un->ivhd_type, 0x11);
    CHECK_EQ(un->base, BASE);
    CHECK_EQ(un->bdf, 0x0002);
    CHECK_EQ(un->cap_offset, 0x40);
    CHECK_EQ(un->info, 0x0100);
    CHECK_EQ(un->ivhd_flags, 0xb0);
    CHECK_EQ(un->efr, 0x84);
    CHECK_EQ(un->features, IOMMU_F_IR | IOMMU_F_X2APIC | IOMMU_F_GA | IOMMU_F_EFR);
    CHECK_EQ(un->nscopes, 7);
    const struct iommu_scope *s = &d.scope[un->first_scope];
    CHECK_EQ(s[0].kind, IOMMU_SCOPE_DEVICE);
    CHECK_EQ(s[0].first, 0x10);
    CHECK_EQ(s[1].kind, IOMMU_SCOPE_RANGE);
    CHECK_EQ(s[1].first, 0x100);
    CHECK_EQ(s[1].last, 0x1ff);
    CHECK_EQ(s[1].dte, 0x01);
    CHECK_EQ(s[1].src_len, 8); /* start and end entries */
    CHECK_EQ(s[2].flags, IOMMU_SF_ALIAS);
    CHECK_EQ(s[2].first, 0x200);
    CHECK_EQ(s[2].alias, 0x300);
    CHECK_EQ(s[3].ext, 0x80000000u);
    CHECK_EQ(s[4].kind, IOMMU_SCOPE_IOAPIC);
    CHECK_EQ(s[4].enum_id, 0x21);
    CHECK_EQ(s[4].first, 0xa0);
    CHECK_EQ(s[5].kind, IOMMU_SCOPE_HPET);
    CHECK_EQ(s[6].kind, IOMMU_SCOPE_ACPI);
    CHECK_EQ(s[6].first, 0xa5);
    CHECK_EQ(s[6].src_len, 24);
    CHECK_EQ(d.nregions, 1);
    CHECK_EQ(d.region[0].base, 0x7f000000);
    CHECK_EQ(d.region[0].length, 0x100000);
    CHECK_EQ(d.region[0].flags, IOMMU_RF_UNITY | IOMMU_RF_READ | IOMMU_RF_WRITE);
    CHECK_EQ(d.scope[d.region[0].first_scope].first, 0x10);
    CHECK_EQ(d.scope[d.region[0].first_scope].owner_kind, IOMMU_OWNER_REGION);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x10), 0);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x180), 0);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x0a0), IOMMU_LOOKUP_NONE); /* IOAPIC: interrupts only */
    CHECK_EQ(iommu_unit_for(&d, 0, 0x400), IOMMU_LOOKUP_NONE);
    CHECK_EQ(iommu_unit_for(&d, 1, 0x10), IOMMU_LOOKUP_NONE);
    char line[160];
    iommu_describe_unit(&d, 0, line, sizeof(line));
    CHECK(strcmp(line, "unit 0: AMD-Vi at 0xfed80000, segment 0 00:00.2, 7 scopes, "
                       "features: IR x2APIC GA EFR") == 0);
}

/* Only IVHD 10h: its feature field gives XTSup (bit 0) and GASup (bit 6). */
static void test_type10_only(void)
{
    ivrs_begin(&t);
    uint32_t h = ivhd_begin(&t, 0x10, 0, 0x0002, BASE, 0, 1u << 6);
    ivhd_dev4(&t, 0x01, 0, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    CHECK_EQ(iommu_parse_ivrs(t.b, t.len, &d), 0);
    CHECK_EQ(d.unit[0].ivhd_type, 0x10);
    CHECK_EQ(d.unit[0].features, IOMMU_F_IR | IOMMU_F_GA);
    CHECK_EQ(d.superseded, 0);
    CHECK_EQ(iommu_unit_for(&d, 0, 0xffff), 0); /* "all" */
}

/* 10h, 40h, 11h for one IOMMU: the 40h is used, the others superseded. */
static void test_highest_type(void)
{
    ivrs_begin(&t);
    uint32_t h = ivhd_begin(&t, 0x10, 0, 0x0002, BASE, 0, 0);
    ivhd_dev4(&t, 0x02, 0x0010, 0);
    tb_close16(&t, h);
    h = ivhd_begin(&t, 0x40, 0, 0x0002, BASE, 0, 1u << 2);
    ivhd_dev4(&t, 0x02, 0x0020, 0);
    tb_close16(&t, h);
    h = ivhd_begin(&t, 0x11, 0, 0x0002, BASE, 0, 0);
    ivhd_dev4(&t, 0x02, 0x0030, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    CHECK_EQ(iommu_parse_ivrs(t.b, t.len, &d), 0);
    CHECK_EQ(d.nunits, 1);
    CHECK_EQ(d.unit[0].ivhd_type, 0x40);
    CHECK_EQ(d.unit[0].features, IOMMU_F_IR | IOMMU_F_X2APIC | IOMMU_F_EFR);
    CHECK_EQ(d.superseded, 2);
    CHECK_EQ(d.nscopes, 1);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x20), 0);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x10), IOMMU_LOOKUP_NONE);
}

static void expect_refused(const char *what, const char *why_part)
{
    int r = iommu_parse_table(t.b, t.len, &d);
    CHECK_EQ(r, -1);
    CHECK_EQ(d.nunits, 0);
    CHECK_EQ(d.vendor, IOMMU_NONE);
    if (!strstr(d.why, why_part)) {
        fprintf(stderr, "%s: why '%s' lacks '%s'\n", what, d.why, why_part);
        CHECK(0);
    }
}

static void test_truncated_and_lengths(void)
{
    build_valid();
    CHECK_EQ(iommu_parse_ivrs(t.b, t.len - 1, &d), -1); /* mapped bytes end early */
    CHECK(strstr(d.why, "bad length") != NULL);
    CHECK_EQ(iommu_parse_ivrs(t.b, 20, &d), -1);
    CHECK(strstr(d.why, "cut short") != NULL);
    CHECK_EQ(iommu_parse_ivrs(NULL, 0, &d), -1);

    build_valid();
    t.b[20] ^= 1; /* checksum */
    expect_refused("checksum", "checksum");

    build_valid();
    tb_put(&t, 48 + 2, 0xffff, 2); /* first IVHD runs past the table */
    tb_finish(&t);
    expect_refused("block length", "past the table");

    build_valid();
    tb_put(&t, 48 + 2, 2, 2); /* block shorter than its own header */
    tb_finish(&t);
    expect_refused("block length 2", "has length 2");

    build_valid();
    t.len -= 3; /* the last block cut: its header runs out */
    tb_finish(&t);
    expect_refused("cut block", "past the table");

    /* A device entry that runs past its IVHD (an 8-byte type in the last 4 bytes). */
    ivrs_begin(&t);
    uint32_t h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    ivhd_dev4(&t, 0x42, 0x10, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("entry past IVHD", "runs past its IVHD");

    /* An IVHD 11h shorter than its 40-byte header. */
    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    t.b[h] = 0x11;
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("short 11h", "too short");

    /* An IVHD whose length ends inside its own header, last in the table
     * (found by fuzzing: the unit's segment was read past the table). */
    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    tb_put(&t, h + 2, 8, 2);
    t.len = h + 8;
    tb_finish(&t);
    CHECK_EQ(iommu_parse_ivrs(t.b, t.len, &d), -1);
    CHECK(strstr(d.why, "too short (8 bytes)") != NULL);

    /* An ACPI HID entry whose UID runs past the IVHD. */
    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x40, 0, 2, BASE, 0, 0);
    tb_add(&t, 0xf0, 1);
    tb_add(&t, 0, 20);
    tb_add(&t, 40, 1);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("HID UID", "runs past its IVHD");
}

static void test_ranges(void)
{
    ivrs_begin(&t);
    uint32_t h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    ivhd_dev4(&t, 0x03, 0x100, 0);
    ivhd_dev4(&t, 0x02, 0x10, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("start, select", "not followed by a range end");

    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    ivhd_dev4(&t, 0x03, 0x100, 0);
    ivhd_dev4(&t, 0x02, 0x10, 0);
    ivhd_dev4(&t, 0x04, 0x1ff, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("start, select, end", "not followed by a range end");

    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    ivhd_dev8(&t, 0x47, 0x100, 0, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("start at the end", "not followed by a range end");

    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    ivhd_dev4(&t, 0x04, 0x100, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("end alone", "without a range start");

    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    ivhd_dev8(&t, 0x43, 0x200, 0, 0x050000u);
    ivhd_dev4(&t, 0x04, 0x100, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("reversed", "before it starts");

    /* An alias range keeps its alias. */
    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    ivhd_dev8(&t, 0x43, 0x100, 0, 0x050000u);
    ivhd_dev4(&t, 0x04, 0x107, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    CHECK_EQ(iommu_parse_ivrs(t.b, t.len, &d), 0);
    CHECK_EQ(d.scope[0].alias, 0x500);
    CHECK_EQ(d.scope[0].last, 0x107);
    CHECK_EQ(d.scope[0].flags, IOMMU_SF_ALIAS);
}

/* Two IOMMUs that both list 01:00.0: the lookup refuses to choose. */
static void test_overlap(void)
{
    ivrs_begin(&t);
    uint32_t h = ivhd_begin(&t, 0x10, 0, 0x0002, BASE, 0, 0);
    ivhd_dev4(&t, 0x03, 0x0100, 0);
    ivhd_dev4(&t, 0x04, 0x01ff, 0);
    ivhd_dev4(&t, 0x02, 0x0110, 0); /* inside its own range: fine */
    tb_close16(&t, h);
    h = ivhd_begin(&t, 0x10, 0, 0x4002, BASE + 0x80000, 0, 0);
    ivhd_dev4(&t, 0x02, 0x0300, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    CHECK_EQ(iommu_parse_ivrs(t.b, t.len, &d), 0);
    CHECK_EQ(d.nunits, 2);
    unsigned a = 99, b = 99;
    CHECK(!iommu_find_overlap(&d, &a, &b));
    CHECK_EQ(iommu_unit_for(&d, 0, 0x300), 1);

    tb_put(&t, t.len - 3, 0x0180, 2); /* the second unit's select moves into the first's range */
    tb_finish(&t);
    CHECK_EQ(iommu_parse_ivrs(t.b, t.len, &d), 0);
    CHECK(iommu_find_overlap(&d, &a, &b));
    CHECK_EQ(a, 0);
    CHECK_EQ(b, 2);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x180), IOMMU_LOOKUP_AMBIGUOUS);
    CHECK_EQ(iommu_unit_for(&d, 0, 0x110), 0);
}

static void test_bad_units_and_ivmd(void)
{
    ivrs_begin(&t);
    uint32_t h = ivhd_begin(&t, 0x10, 0, 2, 0, 0, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("base 0", "register base 0");

    ivrs_begin(&t);
    ivmd(&t, 0x20, 0x06, 0, 0, 0x1000, 0x1000);
    tb_finish(&t);
    expect_refused("no IVHD", "lists no IOMMU");

    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    tb_close16(&t, h);
    ivmd(&t, 0x22, 0x06, 0x200, 0x100, 0x1000, 0x1000);
    tb_finish(&t);
    expect_refused("IVMD reversed", "before it starts");

    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    tb_close16(&t, h);
    ivmd(&t, 0x20, 0x06, 0, 0, ~0ull - 0xfff, 0x2000);
    tb_finish(&t);
    expect_refused("IVMD wraps", "has length");

    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    tb_close16(&t, h);
    ivmd(&t, 0x22, 0x08, 0x100, 0x1ff, 0x1000, 0x1000);
    ivmd(&t, 0x20, 0x02, 0, 0, 0x4000, 0x1000);
    tb_finish(&t);
    CHECK_EQ(iommu_parse_ivrs(t.b, t.len, &d), 0);
    CHECK_EQ(d.nregions, 2);
    CHECK_EQ(d.region[0].flags, IOMMU_RF_EXCLUSION);
    CHECK_EQ(d.region[0].type, 0x22);
    CHECK_EQ(d.scope[d.region[0].first_scope].last, 0x1ff);
    CHECK_EQ(d.scope[d.region[1].first_scope].last, 0xffff);
    CHECK_EQ(d.region[1].flags, IOMMU_RF_READ);
    /* Region scopes are not device scopes of a unit. */
    CHECK_EQ(iommu_unit_for(&d, 0, 0x150), IOMMU_LOOKUP_NONE);

    /* Short IVMD. */
    ivrs_begin(&t);
    h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    tb_close16(&t, h);
    h = tb_add(&t, 0x21, 1);
    tb_add(&t, 0, 1);
    tb_add(&t, 0, 2);
    tb_add(&t, 0, 12);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("short IVMD", "too short");
}

static void test_too_many(void)
{
    ivrs_begin(&t);
    uint32_t h = ivhd_begin(&t, 0x10, 0, 2, BASE, 0, 0);
    for (unsigned i = 0; i <= IOMMU_MAX_SCOPES; i++)
        ivhd_dev4(&t, 0x02, (uint16_t)i, 0);
    tb_close16(&t, h);
    tb_finish(&t);
    expect_refused("scopes", "more than 256 device scope entries");

    ivrs_begin(&t);
    for (unsigned i = 0; i <= IOMMU_MAX_UNITS; i++) {
        h = ivhd_begin(&t, 0x10, 0, (uint16_t)(i * 8 + 2), BASE + i * 0x4000, 0, 0);
        tb_close16(&t, h);
    }
    tb_finish(&t);
    expect_refused("units", "more than 16 IOMMUs");
}

int main(void)
{
    test_valid();
    test_type10_only();
    test_highest_type();
    test_truncated_and_lengths();
    test_ranges();
    test_overlap();
    test_bad_units_and_ivmd();
    test_too_many();
    return check_report("test_iommu_ivrs");
}
