/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for boot/acpi.c: RSDP (v1 and v2), RSDT/XSDT and MADTs
 * built with correct checksums in a fake physical memory (a byte array and a
 * map callback that returns NULL outside it), then corrupted one field at a
 * time.  Layouts follow ACPI 6.5 sections 5.2.5 (RSDP), 5.2.6 (SDT header),
 * 5.2.7/5.2.8 (RSDT/XSDT) and 5.2.12 (MADT).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "boot/acpi.h"
#include "acpi_fake.h"
#include "check.h"

/* Where the builders put things. */
#define RSDP_PA 0x1000u
#define RSDT_PA 0x2000u
#define XSDT_PA 0x3000u
#define MADT_PA 0x4000u
#define FACP_PA 0x8000u
#define HPET_PA 0x9000u
#define MADT2_PA 0xa000u /* a second MADT, listed only in the XSDT */

/* MADT entry types and LAPIC flags (ACPI 6.5 tables 5.21, 5.23). */
#define T_LAPIC    0
#define T_IOAPIC   1
#define T_OVERRIDE 2
#define T_NMI_SRC  3
#define T_LAPIC_NMI 4
#define T_X2APIC   9
#define F_ENABLED  1u
#define F_ONLINE_CAPABLE 2u

static unsigned ncases;

/* A MADT under construction: entries are appended, madt_put() writes it. */
static struct {
    uint8_t b[0x3000];
    uint32_t len;
} madt;

static void madt_begin(uint32_t lapic_base, uint32_t flags)
{
    memset(&madt, 0, sizeof(madt));
    put32(madt.b + 36, lapic_base);
    put32(madt.b + 40, flags);
    madt.len = 44;
}

static uint8_t *madt_entry(uint8_t type, uint8_t len)
{
    uint8_t *e = madt.b + madt.len;

    e[0] = type;
    e[1] = len;
    madt.len += len;
    return e;
}

static void add_lapic(uint8_t uid, uint8_t id, uint32_t flags)
{
    uint8_t *e = madt_entry(T_LAPIC, 8);

    e[2] = uid;
    e[3] = id;
    put32(e + 4, flags);
}

static void add_x2apic(uint32_t id, uint32_t flags, uint32_t uid)
{
    uint8_t *e = madt_entry(T_X2APIC, 16);

    put32(e + 4, id);
    put32(e + 8, flags);
    put32(e + 12, uid);
}

static void add_ioapic(uint8_t id, uint32_t addr, uint32_t gsi_base)
{
    uint8_t *e = madt_entry(T_IOAPIC, 12);

    e[2] = id;
    put32(e + 4, addr);
    put32(e + 8, gsi_base);
}

static void add_override(uint8_t irq, uint32_t gsi, uint16_t flags)
{
    uint8_t *e = madt_entry(T_OVERRIDE, 10);

    e[2] = 0; /* bus: ISA */
    e[3] = irq;
    put32(e + 4, gsi);
    put16(e + 8, flags);
}

static void add_lapic_nmi(uint8_t uid, uint16_t flags, uint8_t lint)
{
    uint8_t *e = madt_entry(T_LAPIC_NMI, 6);

    e[2] = uid;
    put16(e + 3, flags);
    e[5] = lint;
}

static void add_raw(const uint8_t *bytes, uint8_t n)
{
    memcpy(madt.b + madt.len, bytes, n);
    madt.len += n;
}

static void madt_put(uint32_t pa)
{
    memcpy(fm.b + pa, madt.b, madt.len);
    put_sdt(pa, "APIC", madt.len);
}

/* A QEMU-like machine: 4 CPUs, one I/O APIC, two overrides. */
static void build_qemu_madt(void)
{
    madt_begin(0xfee00000, 1);
    for (uint8_t i = 0; i < 4; i++)
        add_lapic(i, i, F_ENABLED);
    add_ioapic(0, 0xfec00000, 0);
    add_override(0, 2, 0);
    add_override(9, 9, 0x000d); /* active high, level */
    add_lapic_nmi(0xff, 0x0005, 1);
}

/* v1 RSDP -> RSDT [FACP, APIC, HPET]; v2 adds XSDT [FACP, HPET, APIC at
 * MADT2_PA]: a v2-aware walker returns MADT2_PA. */
static void build_world(unsigned rev)
{
    static const uint32_t rsdt[3] = { FACP_PA, MADT_PA, HPET_PA };
    static const uint64_t xsdt[3] = { FACP_PA, HPET_PA, MADT2_PA };

    mem_reset();
    put_sdt(FACP_PA, "FACP", 276);
    put_sdt(HPET_PA, "HPET", 56);
    build_qemu_madt();
    madt_put(MADT_PA);
    madt_put(MADT2_PA);
    put_rsdt(RSDT_PA, rsdt, 3);
    put_xsdt(XSDT_PA, xsdt, 3);
    put_rsdp(RSDP_PA, rev, RSDT_PA, XSDT_PA);
}

static uint64_t find(const char *sig, const char **why)
{
    *why = NULL;
    return acpi_find_table(RSDP_PA, sig, fm_map, &fm, why);
}

/* Finding fails with a reason containing msg. */
static bool find_fails(const char *sig, const char *msg)
{
    const char *why;
    uint64_t pa = find(sig, &why);

    if (pa != 0 || !why || !strstr(why, msg)) {
        fprintf(stderr, "  find %.4s: pa %#llx why \"%s\", want \"%s\"\n", sig,
                (unsigned long long)pa, why ? why : "(null)", msg);
        return false;
    }
    return true;
}

static struct madt_info mi;

static int parse(uint64_t pa, const char **why)
{
    *why = NULL;
    memset(&mi, 0xcc, sizeof(mi));
    return acpi_parse_madt(pa, fm_map, &fm, &mi, why);
}

/* Clears the memory and writes the MADT under construction at MADT_PA. */
static void put_built(void)
{
    mem_reset();
    madt_put(MADT_PA);
}

static int parse_built(const char **why)
{
    put_built();
    return parse(MADT_PA, why);
}

/* Parsing the table at pa fails with a reason containing msg. */
static bool parse_fails_at(uint64_t pa, const char *msg)
{
    const char *why;
    int r = parse(pa, &why);

    if (r != -1 || !why || !strstr(why, msg)) {
        fprintf(stderr, "  parse %#llx: %d why \"%s\", want \"%s\"\n", (unsigned long long)pa, r,
                why ? why : "(null)", msg);
        return false;
    }
    return true;
}

static bool parse_fails(const char *msg)
{
    return parse_fails_at(MADT_PA, msg);
}

static bool ids_are(unsigned n, const uint32_t *ids)
{
    if (mi.ncpus != n)
        return false;
    for (unsigned i = 0; i < n; i++)
        if (mi.apic_id[i] != ids[i])
            return false;
    return true;
}

/* --- checksums ------------------------------------------------------------ */

static void test_checksum(void)
{
    uint8_t t[8] = { 1, 2, 3, 4, 5, 6, 7, 0 };

    ncases++;
    CHECK(acpi_checksum_ok(t, 0));
    CHECK(!acpi_checksum_ok(t, 7));
    t[7] = (uint8_t)(0 - 28);
    CHECK(acpi_checksum_ok(t, 8));
    t[3] ^= 0x10;
    CHECK(!acpi_checksum_ok(t, 8));
}

/* --- acpi_find_table ------------------------------------------------------ */

static void test_find_v1_rsdt(void)
{
    const char *why;

    ncases++;
    build_world(0);
    CHECK_EQ(find("APIC", &why), MADT_PA);
    CHECK_EQ(find("FACP", &why), FACP_PA);
    CHECK_EQ(find("HPET", &why), HPET_PA);
}

static void test_find_v2_xsdt(void)
{
    const char *why;

    ncases++;
    build_world(2);
    CHECK_EQ(find("APIC", &why), MADT2_PA);
    CHECK_EQ(find("HPET", &why), HPET_PA);
}

static void test_find_v2_xsdt_high_entry_skipped(void)
{
    /* An XSDT entry beyond the fake memory is skipped, not fatal. */
    static const uint64_t xsdt[3] = { 0x100000000ull, 0, MADT2_PA };
    const char *why;

    ncases++;
    build_world(2);
    put_xsdt(XSDT_PA, xsdt, 3);
    CHECK_EQ(find("APIC", &why), MADT2_PA);
}

static void test_find_v2_bad_ext_checksum_uses_rsdt(void)
{
    const char *why;

    ncases++;
    build_world(2);
    fm.b[RSDP_PA + 32] ^= 0xff; /* the first 20 bytes stay valid */
    CHECK(acpi_checksum_ok(fm.b + RSDP_PA, 20));
    CHECK_EQ(find("APIC", &why), MADT_PA);
}

static void test_find_v2_zero_xsdt_uses_rsdt(void)
{
    const char *why;

    ncases++;
    build_world(2);
    put_rsdp(RSDP_PA, 2, RSDT_PA, 0);
    CHECK_EQ(find("APIC", &why), MADT_PA);
}

static void test_find_v2_bad_length_uses_rsdt(void)
{
    const char *why;

    ncases++;
    build_world(2);
    put32(fm.b + RSDP_PA + 20, 20); /* shorter than a v2 RSDP */
    fix_sum(fm.b + RSDP_PA, 36, 32);
    CHECK_EQ(find("APIC", &why), MADT_PA);

    ncases++;
    put32(fm.b + RSDP_PA + 20, 0x10000); /* implausibly long */
    fix_sum(fm.b + RSDP_PA, 36, 32);
    CHECK_EQ(find("APIC", &why), MADT_PA);
}

static void test_find_v2_rsdp_at_end_of_memory(void)
{
    /* A v2 RSDP whose extended part would lie outside memory: RSDT. */
    static const uint32_t rsdt[1] = { MADT_PA };
    const char *why;
    uint32_t at = MEM_SIZE - 20;

    ncases++;
    mem_reset();
    build_qemu_madt();
    madt_put(MADT_PA);
    put_rsdt(RSDT_PA, rsdt, 1);
    memcpy(fm.b + at, "RSD PTR ", 8);
    fm.b[at + 15] = 2;
    put32(fm.b + at + 16, RSDT_PA);
    fix_sum(fm.b + at, 20, 8);
    CHECK_EQ(acpi_find_table(at, "APIC", fm_map, &fm, &why), MADT_PA);
}

static void test_find_missing_table(void)
{
    ncases++;
    build_world(0);
    CHECK(find_fails("SRAT", "table not present"));
    ncases++;
    build_world(2);
    CHECK(find_fails("DMAR", "table not present"));
}

static void test_find_empty_root(void)
{
    const char *why;

    ncases++;
    build_world(0);
    put_rsdt(RSDT_PA, NULL, 0);
    CHECK_EQ(find("APIC", &why), 0);
    CHECK(why && strstr(why, "table not present"));
}

static void test_find_no_rsdp(void)
{
    const char *why = NULL;

    ncases++;
    build_world(0);
    CHECK_EQ(acpi_find_table(0, "APIC", fm_map, &fm, &why), 0);
    CHECK(why && strstr(why, "no RSDP"));

    ncases++;
    why = NULL;
    CHECK_EQ(acpi_find_table(MEM_SIZE - 8, "APIC", fm_map, &fm, &why), 0);
    CHECK(why && strstr(why, "no RSDP"));

    ncases++;
    why = NULL;
    CHECK_EQ(acpi_find_table(0x1ull << 40, "APIC", fm_map, &fm, &why), 0);
    CHECK(why && strstr(why, "no RSDP"));

    ncases++;
    fm.b[RSDP_PA + 4] = 'X';
    fix_sum(fm.b + RSDP_PA, 20, 8);
    CHECK(find_fails("APIC", "no RSDP"));
}

static void test_find_bad_rsdp_checksum(void)
{
    ncases++;
    build_world(0);
    fm.b[RSDP_PA + 8]++;
    CHECK(find_fails("APIC", "RSDP checksum is wrong"));
    ncases++;
    build_world(2);
    fm.b[RSDP_PA + 17]++; /* inside both checksums */
    CHECK(find_fails("APIC", "RSDP checksum is wrong"));
}

static void test_find_bad_root_checksum(void)
{
    ncases++;
    build_world(0);
    fm.b[RSDT_PA + 36]++;
    CHECK(find_fails("APIC", "table checksum is wrong"));
    /* A corrupt XSDT is an error, not a reason to fall back. */
    ncases++;
    build_world(2);
    fm.b[XSDT_PA + 9]++;
    CHECK(find_fails("APIC", "table checksum is wrong"));
}

static void test_find_bad_target_checksum(void)
{
    ncases++;
    build_world(0);
    fm.b[MADT_PA + 50]++;
    CHECK(find_fails("APIC", "table checksum is wrong"));
    /* Other tables are unaffected. */
    const char *why;
    CHECK_EQ(find("HPET", &why), HPET_PA);
}

static void test_find_wrong_root_signature(void)
{
    static const uint32_t rsdt[1] = { MADT_PA };
    static const uint64_t xsdt[1] = { MADT_PA };

    /* v1 RSDP pointing at a table signed XSDT. */
    ncases++;
    build_world(0);
    put_sdt(RSDT_PA, "XSDT", 40);
    CHECK(find_fails("APIC", "root table has the wrong signature"));

    /* v2 RSDP whose XSDT address leads to an RSDT. */
    ncases++;
    build_world(2);
    put_rsdt(XSDT_PA, rsdt, 1);
    CHECK(find_fails("APIC", "root table has the wrong signature"));

    /* v1 RSDP whose RSDT address leads to an XSDT. */
    ncases++;
    build_world(0);
    put_xsdt(RSDT_PA, xsdt, 1);
    CHECK(find_fails("APIC", "root table has the wrong signature"));
}

static void test_find_root_implausible(void)
{
    ncases++;
    build_world(0);
    put32(fm.b + RSDT_PA + 4, 35);
    CHECK(find_fails("APIC", "table length is implausible"));
    ncases++;
    put32(fm.b + RSDT_PA + 4, (1u << 20) + 1);
    CHECK(find_fails("APIC", "table length is implausible"));
}

static void test_find_root_outside_memory(void)
{
    ncases++;
    build_world(0);
    put_rsdp(RSDP_PA, 0, MEM_SIZE - 8, 0);
    CHECK(find_fails("APIC", "table address outside memory"));
    /* The header fits, the table its length claims does not. */
    ncases++;
    build_world(0);
    put_rsdp(RSDP_PA, 0, MEM_SIZE - 64, 0);
    put_sdt(MEM_SIZE - 64, "RSDT", 36);
    put32(fm.b + MEM_SIZE - 64 + 4, 128);
    CHECK(find_fails("APIC", "table checksum is wrong"));
}

static void test_find_skips_bad_entries(void)
{
    /* Entries that are zero or outside memory are skipped. */
    static const uint32_t rsdt[4] = { 0, MEM_SIZE, MEM_SIZE - 4, MADT_PA };
    const char *why;

    ncases++;
    build_world(0);
    put_rsdt(RSDT_PA, rsdt, 4);
    CHECK_EQ(find("APIC", &why), MADT_PA);
}

static void test_find_root_odd_length(void)
{
    /* An RSDT length that is not header + 4n: the partial entry is ignored. */
    static const uint32_t rsdt[2] = { FACP_PA, MADT_PA };
    const char *why;

    ncases++;
    build_world(0);
    put_rsdt(RSDT_PA, rsdt, 2);
    put_sdt(RSDT_PA, "RSDT", 36 + 4 + 3);
    CHECK_EQ(find("FACP", &why), FACP_PA);
    CHECK(find_fails("APIC", "table not present"));
}

/* --- acpi_parse_madt ------------------------------------------------------ */

static void test_madt_qemu(void)
{
    static const uint32_t want[4] = { 0, 1, 2, 3 };
    const char *why;

    ncases++;
    build_world(0);
    CHECK_EQ(parse(MADT_PA, &why), 0);
    CHECK_EQ(mi.lapic_base, 0xfee00000);
    CHECK(mi.pcat_compat);
    CHECK(ids_are(4, want));
    CHECK_EQ(mi.ncpus_ignored, 0);
    CHECK_EQ(mi.nioapics, 1);
    CHECK_EQ(mi.ioapic[0].id, 0);
    CHECK_EQ(mi.ioapic[0].addr, 0xfec00000);
    CHECK_EQ(mi.ioapic[0].gsi_base, 0);
    CHECK_EQ(mi.noverrides, 2);
    CHECK_EQ(mi.override[0].irq, 0);
    CHECK_EQ(mi.override[0].gsi, 2);
    CHECK_EQ(mi.override[0].flags, 0);
    CHECK_EQ(mi.override[1].irq, 9);
    CHECK_EQ(mi.override[1].gsi, 9);
    CHECK_EQ(mi.override[1].flags, 0x000d);
}

static void test_madt_find_then_parse(void)
{
    const char *why;
    uint64_t pa;

    ncases++;
    build_world(2);
    pa = find("APIC", &why);
    CHECK_EQ(pa, MADT2_PA);
    CHECK_EQ(parse((uint32_t)pa, &why), 0);
    CHECK_EQ(mi.ncpus, 4);
}

static void test_madt_no_pcat(void)
{
    const char *why;

    ncases++;
    madt_begin(0xfee00000, 0);
    add_lapic(0, 0, F_ENABLED);
    CHECK_EQ(parse_built(&why), 0);
    CHECK(!mi.pcat_compat);
    CHECK_EQ(mi.nioapics, 0);
    CHECK_EQ(mi.noverrides, 0);
}

static void test_madt_lapic_flags(void)
{
    /* Disabled (0) is left out; online-capable (bit 1) is counted; other
     * flag bits do not matter. */
    static const uint32_t want[3] = { 0, 4, 6 };
    const char *why;

    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    add_lapic(1, 2, 0);
    add_lapic(2, 4, F_ONLINE_CAPABLE);
    add_lapic(3, 5, 0xfffffffcu);
    add_lapic(4, 6, F_ENABLED | F_ONLINE_CAPABLE);
    CHECK_EQ(parse_built(&why), 0);
    CHECK(ids_are(3, want));
}

static void test_madt_x2apic(void)
{
    static const uint32_t want[4] = { 0, 0x100, 0xffffffffu, 0x12345 };
    const char *why;

    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    add_x2apic(0x100, F_ENABLED, 1);
    add_x2apic(0x200, 0, 2);
    add_x2apic(0xffffffffu, F_ENABLED, 3);
    add_x2apic(0x12345, F_ONLINE_CAPABLE, 4);
    CHECK_EQ(parse_built(&why), 0);
    CHECK(ids_are(4, want));
}

static void test_madt_duplicates(void)
{
    /* Some firmware lists a CPU both as LAPIC and x2APIC, or twice: once. */
    static const uint32_t want[3] = { 0, 1, 3 };
    const char *why;

    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    add_lapic(1, 1, F_ENABLED);
    add_x2apic(1, F_ENABLED, 1);
    add_x2apic(0, F_ENABLED, 0);
    add_lapic(0, 0, F_ENABLED);
    add_lapic(3, 3, 0);         /* disabled as LAPIC ... */
    add_x2apic(3, F_ENABLED, 3); /* ... enabled as x2APIC: counted once */
    add_lapic(3, 3, F_ENABLED);
    CHECK_EQ(parse_built(&why), 0);
    CHECK(ids_are(3, want));
}

static void test_madt_too_many_cpus(void)
{
    const char *why;
    bool ok = true;

    ncases++;
    madt_begin(0xfee00000, 1);
    for (unsigned i = 0; i < 200; i++)
        add_lapic((uint8_t)i, (uint8_t)i, F_ENABLED);
    for (unsigned i = 0; i < 10; i++)
        add_x2apic(0x1000 + i, F_ENABLED, 300 + i);
    add_lapic(0, 0, F_ENABLED); /* a duplicate of a kept CPU: not ignored, just dropped */
    CHECK_EQ(parse_built(&why), 0);
    CHECK_EQ(mi.ncpus, ACPI_MAX_CPUS);
    CHECK_EQ(mi.ncpus_ignored, 200 + 10 - ACPI_MAX_CPUS);
    for (unsigned i = 0; i < ACPI_MAX_CPUS; i++)
        ok &= mi.apic_id[i] == i;
    CHECK(ok);
}

static void test_madt_exactly_max_cpus(void)
{
    const char *why;

    ncases++;
    madt_begin(0xfee00000, 1);
    for (unsigned i = 0; i < ACPI_MAX_CPUS; i++)
        add_x2apic(i * 2, F_ENABLED, i);
    CHECK_EQ(parse_built(&why), 0);
    CHECK_EQ(mi.ncpus, ACPI_MAX_CPUS);
    CHECK_EQ(mi.ncpus_ignored, 0);
    CHECK_EQ(mi.apic_id[ACPI_MAX_CPUS - 1], 2 * (ACPI_MAX_CPUS - 1));
}

static void test_madt_ioapics_and_overrides(void)
{
    const char *why;
    bool ok = true;

    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    for (unsigned i = 0; i < ACPI_MAX_IOAPICS + 2; i++)
        add_ioapic((uint8_t)(8 + i), 0xfec00000u + i * 0x1000, i * 24);
    for (unsigned i = 0; i < ACPI_MAX_OVERRIDES + 3; i++)
        add_override((uint8_t)i, 100 + i, (uint16_t)(0x100 + i));
    CHECK_EQ(parse_built(&why), 0);
    CHECK_EQ(mi.nioapics, ACPI_MAX_IOAPICS);
    for (unsigned i = 0; i < ACPI_MAX_IOAPICS; i++)
        ok &= mi.ioapic[i].id == 8 + i && mi.ioapic[i].addr == 0xfec00000u + i * 0x1000
              && mi.ioapic[i].gsi_base == i * 24;
    CHECK(ok);
    CHECK_EQ(mi.noverrides, ACPI_MAX_OVERRIDES);
    ok = true;
    for (unsigned i = 0; i < ACPI_MAX_OVERRIDES; i++)
        ok &= mi.override[i].irq == i && mi.override[i].gsi == 100 + i
              && mi.override[i].flags == 0x100 + i;
    CHECK(ok);
}

static void test_madt_unknown_entries_skipped(void)
{
    /* NMI source (8 bytes), LAPIC NMI, LAPIC address override (12),
     * x2APIC NMI (12), GIC CPU interface (type 0xb, 80), a reserved type. */
    static const uint8_t nmi_src[8] = { T_NMI_SRC, 8, 0, 0, 2, 0, 0, 0 };
    static const uint8_t lapic_ovr[12] = { 5, 12, 0, 0, 0, 0, 0xe0, 0xfe, 0, 0, 0, 0 };
    static const uint8_t x2_nmi[12] = { 0xa, 12, 0, 0, 0xff, 0xff, 0xff, 0xff, 1, 0, 0, 0 };
    static const uint8_t reserved[4] = { 0x7f, 4, 0xff, 0xff };
    static const uint8_t gicc[80] = { 0xb, 80 };
    static const uint32_t want[2] = { 7, 9 };
    const char *why;

    ncases++;
    madt_begin(0xfee00000, 1);
    add_raw(nmi_src, 8);
    add_lapic(0, 7, F_ENABLED);
    add_lapic_nmi(0xff, 0, 1);
    add_raw(lapic_ovr, 12);
    add_raw(x2_nmi, 12);
    add_raw(gicc, 80);
    add_raw(reserved, 4);
    add_lapic(1, 9, F_ENABLED);
    CHECK_EQ(parse_built(&why), 0);
    CHECK(ids_are(2, want));
    CHECK_EQ(mi.nioapics, 0);
    CHECK_EQ(mi.noverrides, 0);
}

static void test_madt_short_entries_ignored(void)
{
    /* Entries shorter than their type needs, but inside the table: skipped. */
    static const uint8_t short_lapic[6] = { T_LAPIC, 6, 0, 5, 1, 0 };
    static const uint8_t short_x2apic[12] = { T_X2APIC, 12, 0, 0, 6, 0, 0, 0, 1, 0, 0, 0 };
    static const uint8_t short_ioapic[8] = { T_IOAPIC, 8, 1, 0, 0, 0, 0xc0, 0xfe };
    static const uint8_t short_ovr[8] = { T_OVERRIDE, 8, 0, 0, 2, 0, 0, 0 };
    static const uint32_t want[1] = { 1 };
    const char *why;

    ncases++;
    madt_begin(0xfee00000, 1);
    add_raw(short_lapic, 6);
    add_raw(short_x2apic, 12);
    add_raw(short_ioapic, 8);
    add_raw(short_ovr, 8);
    add_lapic(0, 1, F_ENABLED);
    CHECK_EQ(parse_built(&why), 0);
    CHECK(ids_are(1, want));
    CHECK_EQ(mi.nioapics, 0);
    CHECK_EQ(mi.noverrides, 0);
}

static void test_madt_trailing_byte(void)
{
    /* One stray byte after the last entry: too short for an entry header. */
    static const uint8_t stray[1] = { 0 };
    const char *why;

    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    add_raw(stray, 1);
    CHECK_EQ(parse_built(&why), 0);
    CHECK_EQ(mi.ncpus, 1);
}

static void test_madt_truncated_entry(void)
{
    /* The last entry claims more bytes than the table has left. */
    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    add_x2apic(1, F_ENABLED, 1);
    madt.len -= 4;
    put_built();
    CHECK(parse_fails("MADT entry runs past the table"));

    /* A LAPIC entry whose length runs one past the end. */
    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    add_lapic(1, 1, F_ENABLED);
    madt.b[madt.len - 8 + 1] = 9;
    put_built();
    CHECK(parse_fails("MADT entry runs past the table"));
}

static void test_madt_zero_length_entry(void)
{
    /* Length 0 (and 1) would never advance: an error, not a hang. */
    static const uint8_t zero[2] = { T_LAPIC, 0 };
    static const uint8_t one[2] = { T_IOAPIC, 1 };

    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    add_raw(zero, 2);
    add_lapic(1, 1, F_ENABLED);
    put_built();
    CHECK(parse_fails("MADT entry runs past the table"));

    ncases++;
    madt_begin(0xfee00000, 1);
    add_raw(one, 2);
    add_lapic(1, 1, F_ENABLED);
    put_built();
    CHECK(parse_fails("MADT entry runs past the table"));
}

static void test_madt_bad_checksum(void)
{
    ncases++;
    build_world(0);
    fm.b[MADT_PA + 44 + 3]++; /* the first CPU's APIC ID */
    CHECK(parse_fails("table checksum is wrong"));
    CHECK_EQ(mi.ncpus, 0); /* the output is cleared on failure */
}

static void test_madt_wrong_signature(void)
{
    ncases++;
    build_world(0);
    CHECK(parse_fails_at(FACP_PA, "not a MADT"));
}

static void test_madt_too_short(void)
{
    /* A MADT of 40 bytes has no room for its flags. */
    ncases++;
    mem_reset();
    put_sdt(MADT_PA, "APIC", 40);
    CHECK(parse_fails("not a MADT"));
    /* 44 bytes: a header with no entries, so no CPU. */
    ncases++;
    mem_reset();
    put32(fm.b + MADT_PA + 36, 0xfee00000);
    put_sdt(MADT_PA, "APIC", 44);
    CHECK(parse_fails("MADT lists no enabled CPU"));
}

static void test_madt_no_enabled_cpu(void)
{
    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, 0);
    add_x2apic(1, 0, 1);
    add_ioapic(0, 0xfec00000, 0);
    put_built();
    CHECK(parse_fails("MADT lists no enabled CPU"));
}

static void test_madt_outside_memory(void)
{
    const char *why;

    ncases++;
    mem_reset();
    CHECK(parse_fails_at(MEM_SIZE - 16, "table address outside memory"));
    ncases++;
    CHECK(parse_fails_at(0x1ull << 40, "table address outside memory"));
    /* A MADT ending at the last byte of memory parses; one whose length
     * runs past the end does not. */
    ncases++;
    madt_begin(0xfee00000, 1);
    add_lapic(0, 0, F_ENABLED);
    memcpy(fm.b + MEM_SIZE - madt.len, madt.b, madt.len);
    put_sdt(MEM_SIZE - madt.len, "APIC", madt.len);
    CHECK_EQ(parse(MEM_SIZE - madt.len, &why), 0);
    CHECK_EQ(mi.ncpus, 1);
    ncases++;
    put32(fm.b + MEM_SIZE - madt.len + 4, madt.len + 1);
    CHECK(parse_fails_at(MEM_SIZE - madt.len, "table checksum is wrong"));
}

int main(void)
{
    test_checksum();
    test_find_v1_rsdt();
    test_find_v2_xsdt();
    test_find_v2_xsdt_high_entry_skipped();
    test_find_v2_bad_ext_checksum_uses_rsdt();
    test_find_v2_zero_xsdt_uses_rsdt();
    test_find_v2_bad_length_uses_rsdt();
    test_find_v2_rsdp_at_end_of_memory();
    test_find_missing_table();
    test_find_empty_root();
    test_find_no_rsdp();
    test_find_bad_rsdp_checksum();
    test_find_bad_root_checksum();
    test_find_bad_target_checksum();
    test_find_wrong_root_signature();
    test_find_root_implausible();
    test_find_root_outside_memory();
    test_find_skips_bad_entries();
    test_find_root_odd_length();
    test_madt_qemu();
    test_madt_find_then_parse();
    test_madt_no_pcat();
    test_madt_lapic_flags();
    test_madt_x2apic();
    test_madt_duplicates();
    test_madt_too_many_cpus();
    test_madt_exactly_max_cpus();
    test_madt_ioapics_and_overrides();
    test_madt_unknown_entries_skipped();
    test_madt_short_entries_ignored();
    test_madt_trailing_byte();
    test_madt_truncated_entry();
    test_madt_zero_length_entry();
    test_madt_bad_checksum();
    test_madt_wrong_signature();
    test_madt_too_short();
    test_madt_no_enabled_cpu();
    test_madt_outside_memory();
    printf("test_acpi: %u cases\n", ncases);
    return check_report("test_acpi");
}
