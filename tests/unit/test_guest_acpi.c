/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/dev/guest_acpi.c.  The tables are built into a fake
 * guest memory (the BIOS area 0xE0000-0xFFFFF) and read back two ways: with
 * Keel's own firmware-table parser (boot/acpi.c), and byte by byte at the
 * offsets of ACPI 6.5 chapter 5.2, independently of the builder's structs.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "boot/acpi.h"
#include "check.h"
#include "hv/dev/guest_acpi.h"
#include "iommu/iommu.h"

#define MEM_BASE 0xE0000ull
#define MEM_SIZE 0x20000u /* up to 0xFFFFF */

static uint8_t mem[MEM_SIZE];
static unsigned ncases;

#define RUN(t) (ncases++, t())

static const void *map(void *ctx, uint64_t pa, size_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa - MEM_BASE))
        return NULL;
    return mem + (pa - MEM_BASE);
}

static const uint8_t *at(uint64_t gpa)
{
    return map(NULL, gpa, 1);
}

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint8_t sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;

    while (n--)
        s = (uint8_t)(s + *p++);
    return s;
}

static struct guest_acpi_params params(unsigned n, bool x2)
{
    struct guest_acpi_params p = { .nvcpus = n, .x2apic = x2, .ioapic_id = (uint8_t)n,
                                   .have_pic = true };

    return p;
}

/* Builds at gpa into the fake memory (0xCC elsewhere); returns the RSDP. */
static uint64_t build_at(const struct guest_acpi_params *p, uint64_t gpa, int *len)
{
    uint64_t rsdp = 0;

    memset(mem, 0xCC, sizeof(mem));
    *len = guest_acpi_build(p, mem + (gpa - MEM_BASE), MEM_SIZE - (gpa - MEM_BASE), gpa, &rsdp);
    return rsdp;
}

static uint64_t build(const struct guest_acpi_params *p, int *len)
{
    return build_at(p, MEM_BASE, len);
}

static uint64_t find(uint64_t rsdp, const char *sig)
{
    const char *why = NULL;

    return acpi_find_table(rsdp, sig, map, NULL, &why);
}

/* Checks a whole SDT by hand: checksum, signature, OEM fields. */
static bool sdt_ok(uint64_t gpa, const char *sig, uint8_t rev)
{
    const uint8_t *t = at(gpa);
    uint32_t len;

    if (!t)
        return false;
    len = rd32(t + 4);
    return map(NULL, gpa, len) && sum(t, len) == 0 && memcmp(t, sig, 4) == 0 && t[8] == rev &&
           memcmp(t + 10, "KEEL  ", 6) == 0 && memcmp(t + 16, "KEELVM  ", 8) == 0;
}

/* Keel's parser on a build for n vCPUs: CPUs, IDs, I/O APIC, overrides. */
static void check_parsed(unsigned n, bool x2)
{
    struct guest_acpi_params p = params(n, x2);
    struct madt_info mi;
    const char *why = NULL;
    uint64_t rsdp, madt;
    int len;

    rsdp = build(&p, &len);
    CHECK(len > 0);
    CHECK_EQ(rsdp, MEM_BASE);
    madt = find(rsdp, "APIC");
    CHECK(madt != 0);
    CHECK(find(rsdp, "FACP") != 0);
    CHECK_EQ(acpi_parse_madt(madt, map, NULL, &mi, &why), 0);
    CHECK_EQ(mi.lapic_base, 0xFEE00000u);
    CHECK(mi.pcat_compat);
    CHECK_EQ(mi.ncpus, n);
    CHECK_EQ(mi.ncpus_ignored, 0);
    for (unsigned i = 0; i < n && i < ACPI_MAX_CPUS; i++)
        CHECK_EQ(mi.apic_id[i], i);
    CHECK_EQ(mi.nioapics, 1);
    CHECK_EQ(mi.ioapic[0].id, n);
    CHECK_EQ(mi.ioapic[0].addr, 0xFEC00000u);
    CHECK_EQ(mi.ioapic[0].gsi_base, 0);
    CHECK_EQ(mi.noverrides, 2);
    CHECK_EQ(mi.override[0].irq, 0);
    CHECK_EQ(mi.override[0].gsi, 2);
    CHECK_EQ(mi.override[0].flags, 0x0004);  /* edge, polarity conforming */
    CHECK_EQ(mi.override[1].irq, 9);
    CHECK_EQ(mi.override[1].gsi, 9);
    CHECK_EQ(mi.override[1].flags, 0x000D);  /* level, active high */
}

static void test_parse_1_xapic(void)   { check_parsed(1, false); }
static void test_parse_4_xapic(void)   { check_parsed(4, false); }
static void test_parse_64_xapic(void)  { check_parsed(64, false); }
static void test_parse_1_x2apic(void)  { check_parsed(1, true); }
static void test_parse_4_x2apic(void)  { check_parsed(4, true); }
static void test_parse_64_x2apic(void) { check_parsed(64, true); }

static void test_all_checksums(void)
{
    for (unsigned m = 0; m < 6; m++) {
        struct guest_acpi_params p = params(m % 3 == 0 ? 1 : m % 3 == 1 ? 4 : 64, m >= 3);
        const uint8_t *r, *x, *f;
        uint64_t rsdp;
        int len;

        rsdp = build(&p, &len);
        r = at(rsdp);
        CHECK_EQ(sum(r, 20), 0);
        CHECK_EQ(sum(r, 36), 0);
        x = at(rd64(r + 24));
        CHECK(sdt_ok(rd64(r + 24), "XSDT", 1));
        CHECK(sdt_ok(rd32(r + 16), "RSDT", 1));
        CHECK(sdt_ok(rd64(x + 36), "FACP", 6));
        CHECK(sdt_ok(rd64(x + 44), "APIC", 6));
        f = at(rd64(x + 36));
        CHECK(sdt_ok(rd64(f + 140), "DSDT", 2));
    }
}

static void test_rsdp_fields(void)
{
    struct guest_acpi_params p = params(4, false);
    const uint8_t *r;
    uint64_t rsdp;
    int len;

    rsdp = build(&p, &len);
    r = at(rsdp);
    CHECK_EQ(rsdp % 16, 0);
    CHECK(memcmp(r, "RSD PTR ", 8) == 0);
    CHECK(memcmp(r + 9, "KEEL  ", 6) == 0);
    CHECK_EQ(r[15], 2);
    CHECK_EQ(rd32(r + 20), 36);
    CHECK(rd64(r + 24) != 0);
    CHECK(rd32(r + 16) != 0);
    CHECK_EQ(r[33] | r[34] | r[35], 0);
}

static void test_rsdp_aligned_when_buffer_is_not(void)
{
    struct guest_acpi_params p = params(4, false);
    const char *why = NULL;
    struct madt_info mi;
    uint64_t rsdp;
    int len;

    for (uint64_t off = 1; off < 16; off += 5) {
        rsdp = build_at(&p, MEM_BASE + off, &len);
        CHECK_EQ(rsdp % 16, 0);
        CHECK(rsdp >= MEM_BASE + off);
        CHECK_EQ((size_t)len, guest_acpi_size(&p, MEM_BASE + off));
        CHECK_EQ(acpi_parse_madt(find(rsdp, "APIC"), map, NULL, &mi, &why), 0);
        CHECK_EQ(mi.ncpus, 4);
    }
}

/* The legacy way in: scan 0xE0000-0xFFFFF on 16-byte boundaries. */
static void test_legacy_scan_finds_rsdp(void)
{
    struct guest_acpi_params p = params(2, false);
    uint64_t rsdp, found = 0;
    int len;

    rsdp = build_at(&p, MEM_BASE + 0x1230, &len);
    for (uint64_t a = MEM_BASE; a < MEM_BASE + MEM_SIZE; a += 16) {
        const uint8_t *r = at(a);

        if (memcmp(r, "RSD PTR ", 8) == 0 && sum(r, 20) == 0) {
            found = a;
            break;
        }
    }
    CHECK_EQ(found, rsdp);
}

static void test_roots_list_fadt_and_madt(void)
{
    struct guest_acpi_params p = params(4, true);
    const uint8_t *r, *x, *rs;
    uint64_t rsdp;
    int len;

    rsdp = build(&p, &len);
    r = at(rsdp);
    x = at(rd64(r + 24));
    rs = at(rd32(r + 16));
    CHECK_EQ(rd32(x + 4), 36 + 2 * 8);
    CHECK_EQ(rd32(rs + 4), 36 + 2 * 4);
    CHECK(memcmp(at(rd64(x + 36)), "FACP", 4) == 0);
    CHECK(memcmp(at(rd64(x + 44)), "APIC", 4) == 0);
    CHECK_EQ(rd32(rs + 36), rd64(x + 36));
    CHECK_EQ(rd32(rs + 40), rd64(x + 44));
}

/* A revision-0 copy of the RSDP makes Keel's parser take the RSDT path. */
static void test_parse_through_rsdt(void)
{
    struct guest_acpi_params p = params(4, false);
    struct madt_info mi;
    const char *why = NULL;
    uint64_t rsdp, copy = MEM_BASE + MEM_SIZE - 64;
    uint8_t *c = mem + (copy - MEM_BASE);
    int len;

    rsdp = build(&p, &len);
    memcpy(c, at(rsdp), 20);
    c[15] = 0;
    c[8] = 0;
    c[8] = (uint8_t)(0u - sum(c, 20));
    CHECK_EQ(acpi_parse_madt(find(copy, "APIC"), map, NULL, &mi, &why), 0);
    CHECK_EQ(mi.ncpus, 4);
}

static void test_fadt_fields(void)
{
    struct guest_acpi_params p = params(4, false);
    const uint8_t *f;
    uint64_t rsdp, fadt;
    int len;

    rsdp = build(&p, &len);
    fadt = find(rsdp, "FACP");
    f = at(fadt);
    CHECK_EQ(rd32(f + 4), 276);
    CHECK_EQ(f[8], 6);                      /* FADT major version */
    CHECK_EQ(f[131], 5);                    /* minor: ACPI 6.5 */
    CHECK_EQ(rd16(f + 46), 9);              /* SCI_INT */
    CHECK_EQ(rd32(f + 48), 0);              /* no SMI_CMD */
    CHECK_EQ(rd32(f + 76), 0);              /* no PM timer */
    CHECK_EQ(f[91], 0);
    CHECK_EQ(rd64(f + 208 + 4), 0);         /* X_PM_TMR_BLK */
    CHECK_EQ(rd32(f + 112) & (1u << 20), 0); /* not HW-reduced */
    CHECK_EQ(rd32(f + 112) & 1u, 1u);       /* WBINVD */
    CHECK_EQ(rd16(f + 109) & 0x2u, 0);      /* no 8042 */
    CHECK_EQ(rd16(f + 109) & 0x1u, 1u);     /* legacy devices (COM1) */
    CHECK_EQ(rd16(f + 109) & 0x20u, 0x20u); /* no CMOS RTC by default */
    CHECK_EQ(rd32(f + 40), rd64(f + 140));  /* DSDT == X_DSDT */
    CHECK_EQ(rd32(f + 36), rd64(f + 132));  /* FIRMWARE_CTRL == X_ */
}

static void test_dsdt_valid(void)
{
    struct guest_acpi_params p = params(1, false);
    const uint8_t *f, *d;
    uint64_t rsdp;
    int len;

    rsdp = build(&p, &len);
    f = at(find(rsdp, "FACP"));
    d = at(rd64(f + 140));
    CHECK(d != NULL);
    CHECK(memcmp(d, "DSDT", 4) == 0);
    CHECK_EQ(rd32(d + 4), 36);              /* header + empty AML body */
    CHECK_EQ(sum(d, 36), 0);
    CHECK(memcmp(d + 28, "KEEL", 4) == 0);
    CHECK_EQ(rd64(f + 140) % 8, 0);
}

/* With a PM block: PM1a event/control and the PM timer in the FADT (32-bit
 * fields and X_ generic addresses in system I/O), and \_S5 in the DSDT. */
static void test_pm_blocks(void)
{
    static const uint8_t s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                  0x0a, 5, 0x0a, 5, 0x00, 0x00 };
    struct guest_acpi_params p = params(2, false);
    const uint8_t *f, *d;
    uint64_t rsdp;
    int len;

    p.pm_base = 0x600;
    rsdp = build(&p, &len);
    f = at(find(rsdp, "FACP"));
    CHECK(f != NULL);
    if (!f)
        return;
    CHECK_EQ(rd32(f + 56), 0x600);          /* PM1a_EVT_BLK */
    CHECK_EQ(f[88], 4);                     /* PM1_EVT_LEN */
    CHECK_EQ(rd32(f + 64), 0x604);          /* PM1a_CNT_BLK */
    CHECK_EQ(f[89], 2);                     /* PM1_CNT_LEN */
    CHECK_EQ(rd32(f + 76), 0x608);          /* PM_TMR_BLK */
    CHECK_EQ(f[91], 4);                     /* PM_TMR_LEN */
    CHECK_EQ(rd32(f + 60), 0);              /* no PM1b */
    CHECK_EQ(f[148], 1);                    /* X_PM1a_EVT_BLK: system I/O */
    CHECK_EQ(f[149], 32);
    CHECK_EQ(rd64(f + 148 + 4), 0x600);
    CHECK_EQ(f[172], 1);                    /* X_PM1a_CNT_BLK */
    CHECK_EQ(f[173], 16);
    CHECK_EQ(rd64(f + 172 + 4), 0x604);
    CHECK_EQ(f[208], 1);                    /* X_PM_TMR_BLK */
    CHECK_EQ(f[209], 32);
    CHECK_EQ(rd64(f + 208 + 4), 0x608);
    CHECK_EQ(sum(f, 276), 0);
    d = at(rd64(f + 140));
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ(rd32(d + 4), 36 + sizeof(s5));
    CHECK(memcmp(d + 36, s5, sizeof(s5)) == 0);
    CHECK_EQ(sum(d, 36 + sizeof(s5)), 0);
    /* the MADT still parses after the longer DSDT */
    CHECK(find(rsdp, "APIC") != 0);
    CHECK_EQ((size_t)len, guest_acpi_size(&p, MEM_BASE));
    /* The host's PM timer in place of Keel's (keel.cfg pm_timer): read back
     * by the host-side FADT reader, width flag and all; the PM1 blocks stay. */
    struct fadt_pm_timer t;
    const char *why;
    CHECK_EQ(acpi_parse_fadt_pm_timer(find(rsdp, "FACP"), map, NULL, &t, &why), 0);
    CHECK(t.port == 0x608 && !t.ext32);
    p.pm_tmr_port = 0x808;
    p.pm_tmr_ext32 = true;
    rsdp = build(&p, &len);
    CHECK_EQ(acpi_parse_fadt_pm_timer(find(rsdp, "FACP"), map, NULL, &t, &why), 0);
    CHECK(t.port == 0x808 && t.ext32);
    f = at(find(rsdp, "FACP"));
    CHECK(f && rd32(f + 56) == 0x600 && rd32(f + 64) == 0x604 && rd32(f + 76) == 0x808);
}

/* With the PCI host bridge: \_SB.PCI0 (PNP0A03) after \_S5 in the DSDT. */
static void test_pci_root_bridge(void)
{
    static const uint8_t pci0[] = { 0x10, 0x1d, '\\', '_', 'S', 'B', '_', 0x5b, 0x82, 0x15,
                                    'P', 'C', 'I', '0', 0x08, '_', 'H', 'I', 'D', 0x0c,
                                    0x41, 0xd0, 0x0a, 0x03, 0x08, '_', 'U', 'I', 'D', 0x00 };
    struct guest_acpi_params p = params(1, false);
    const uint8_t *f, *d;
    uint64_t rsdp;
    int len;

    p.pm_base = 0x600;
    p.pci_host = true;
    rsdp = build(&p, &len);
    f = at(find(rsdp, "FACP"));
    d = f ? at(rd64(f + 140)) : NULL;
    CHECK(d != NULL);
    if (!d)
        return;
    CHECK_EQ(rd32(d + 4), 36 + 14 + sizeof(pci0));
    CHECK_EQ(d[36], 0x08);                          /* \_S5 first */
    CHECK(memcmp(d + 36 + 14, pci0, sizeof(pci0)) == 0);
    CHECK_EQ(sum(d, rd32(d + 4)), 0);
    CHECK(find(rsdp, "APIC") != 0);
    /* PCI alone */
    p.pm_base = 0;
    rsdp = build(&p, &len);
    d = at(rd64(at(find(rsdp, "FACP")) + 140));
    CHECK_EQ(rd32(d + 4), 36 + sizeof(pci0));
    CHECK(memcmp(d + 36, pci0, sizeof(pci0)) == 0);
}

static void test_facs(void)
{
    struct guest_acpi_params p = params(1, false);
    const uint8_t *f, *s;
    uint64_t rsdp, facs;
    int len;

    rsdp = build(&p, &len);
    f = at(find(rsdp, "FACP"));
    facs = rd64(f + 132);
    s = at(facs);
    CHECK_EQ(facs % 64, 0);
    CHECK(memcmp(s, "FACS", 4) == 0);
    CHECK_EQ(rd32(s + 4), 64);
    CHECK_EQ(s[32], 2);
    CHECK_EQ(rd32(s + 16), 0);              /* global lock free */
    CHECK_EQ(rd32(s + 12), 0);              /* no waking vector */
}

static void test_have_rtc(void)
{
    struct guest_acpi_params p = params(1, false);
    uint64_t rsdp;
    int len;

    p.have_rtc = true;
    rsdp = build(&p, &len);
    CHECK_EQ(rd16(at(find(rsdp, "FACP")) + 109) & 0x20u, 0);
}

/* RESET_REG (ACPI 6.5 table 5.9, offset 116, a generic address) and
 * RESET_VALUE (128), flagged by RESET_REG_SUP (flags bit 10). */
static void test_reset_reg(void)
{
    struct guest_acpi_params p = params(1, false);
    const uint8_t *f;
    uint64_t rsdp;
    int len;

    rsdp = build(&p, &len);
    f = at(find(rsdp, "FACP"));
    CHECK_EQ(rd32(f + 112) & (1u << 10), 0); /* none unless asked */
    CHECK_EQ(rd64(f + 116 + 4), 0);
    p.reset_port = 0xcf9;
    p.reset_value = 0x06;
    p.have_8042 = true;
    rsdp = build(&p, &len);
    f = at(find(rsdp, "FACP"));
    CHECK_EQ(rd32(f + 112) & (1u << 10), 1u << 10);
    CHECK_EQ(f[116], 1);                     /* system I/O */
    CHECK_EQ(f[117], 8);                     /* bit width */
    CHECK_EQ(f[118], 0);                     /* bit offset */
    CHECK_EQ(f[119], 1);                     /* byte access */
    CHECK_EQ(rd64(f + 120), 0xcf9);
    CHECK_EQ(f[128], 0x06);
    CHECK_EQ(rd16(f + 109) & 0x2u, 0x2u);    /* 8042 */
}

static void test_no_pic(void)
{
    struct guest_acpi_params p = params(2, false);
    const char *why = NULL;
    struct madt_info mi;
    uint64_t rsdp;
    int len;

    p.have_pic = false;
    rsdp = build(&p, &len);
    CHECK_EQ(acpi_parse_madt(find(rsdp, "APIC"), map, NULL, &mi, &why), 0);
    CHECK(!mi.pcat_compat);
    CHECK_EQ(mi.noverrides, 2);             /* ISA IRQ routing still holds */
}

static void test_ioapic_id(void)
{
    struct guest_acpi_params p = params(2, false);
    const char *why = NULL;
    struct madt_info mi;
    uint64_t rsdp;
    int len;

    p.ioapic_id = 0xAB;
    rsdp = build(&p, &len);
    CHECK_EQ(acpi_parse_madt(find(rsdp, "APIC"), map, NULL, &mi, &why), 0);
    CHECK_EQ(mi.ioapic[0].id, 0xAB);
}

/* Counts of each MADT entry type, walking it by hand. */
static void madt_walk(uint64_t madt, unsigned count[16], const uint8_t **nmi)
{
    const uint8_t *t = at(madt);
    uint32_t len = rd32(t + 4);

    memset(count, 0, 16 * sizeof(count[0]));
    for (uint32_t off = 44; off < len; off += t[off + 1]) {
        if (t[off] < 16)
            count[t[off]]++;
        if (t[off] == 4 || t[off] == 10)
            *nmi = t + off;
        if (t[off + 1] == 0)
            break;
    }
}

static void test_madt_entries_xapic(void)
{
    struct guest_acpi_params p = params(4, false);
    const uint8_t *nmi = NULL, *t;
    unsigned count[16];
    uint64_t rsdp, madt;
    int len;

    rsdp = build(&p, &len);
    madt = find(rsdp, "APIC");
    madt_walk(madt, count, &nmi);
    CHECK_EQ(count[0], 4);
    CHECK_EQ(count[1], 1);
    CHECK_EQ(count[2], 2);
    CHECK_EQ(count[4], 1);
    CHECK_EQ(count[9] + count[10], 0);
    t = at(madt);
    CHECK_EQ(rd32(t + 4), 44 + 4 * 8 + 12 + 2 * 10 + 6);
    for (unsigned i = 0; i < 4; i++) {
        const uint8_t *e = t + 44 + 8 * i;

        CHECK_EQ(e[1], 8);
        CHECK_EQ(e[2], i);                  /* ACPI processor UID */
        CHECK_EQ(e[3], i);                  /* APIC ID */
        CHECK_EQ(rd32(e + 4), 1);           /* enabled */
    }
    CHECK(nmi != NULL);
    CHECK_EQ(nmi[1], 6);
    CHECK_EQ(nmi[2], 0xFF);                 /* all processors */
    CHECK_EQ(rd16(nmi + 3), 0x0005);        /* edge, active high */
    CHECK_EQ(nmi[5], 1);                    /* LINT1 */
}

static void test_madt_entries_x2apic(void)
{
    struct guest_acpi_params p = params(64, true);
    const uint8_t *nmi = NULL, *t;
    unsigned count[16];
    uint64_t rsdp, madt;
    int len;

    rsdp = build(&p, &len);
    madt = find(rsdp, "APIC");
    madt_walk(madt, count, &nmi);
    CHECK_EQ(count[9], 64);
    CHECK_EQ(count[0] + count[4], 0);
    CHECK_EQ(count[10], 1);
    t = at(madt);
    CHECK_EQ(rd32(t + 4), 44 + 64 * 16 + 12 + 2 * 10 + 12);
    for (unsigned i = 0; i < 64; i++) {
        const uint8_t *e = t + 44 + 16 * i;

        CHECK_EQ(e[0], 9);
        CHECK_EQ(e[1], 16);
        CHECK_EQ(rd16(e + 2), 0);
        CHECK_EQ(rd32(e + 4), i);           /* x2APIC ID */
        CHECK_EQ(rd32(e + 8), 1);
        CHECK_EQ(rd32(e + 12), i);          /* UID */
    }
    CHECK(nmi != NULL);
    CHECK_EQ(nmi[1], 12);
    CHECK_EQ(rd16(nmi + 2), 0x0005);
    CHECK_EQ(rd32(nmi + 4), 0xFFFFFFFFu);
    CHECK_EQ(nmi[8], 1);
    CHECK_EQ(nmi[9] | nmi[10] | nmi[11], 0);
}

static void test_ioapic_entry_raw(void)
{
    struct guest_acpi_params p = params(1, false);
    const uint8_t *t, *e;
    uint64_t rsdp;
    int len;

    p.ioapic_id = 3;
    rsdp = build(&p, &len);
    t = at(find(rsdp, "APIC"));
    e = t + 44 + 8;
    CHECK_EQ(e[0], 1);
    CHECK_EQ(e[1], 12);
    CHECK_EQ(e[2], 3);
    CHECK_EQ(e[3], 0);
    CHECK_EQ(rd32(e + 4), 0xFEC00000u);
    CHECK_EQ(rd32(e + 8), 0);
    CHECK_EQ(e[12 + 2], 0);                 /* first override: ISA bus */
}

static void test_buffer_too_small(void)
{
    struct guest_acpi_params p = params(64, true);
    uint64_t rsdp = 0x1234;
    size_t need = guest_acpi_size(&p, MEM_BASE);

    memset(mem, 0xCC, sizeof(mem));
    CHECK_EQ(guest_acpi_build(&p, mem, need - 1, MEM_BASE, &rsdp), GUEST_ACPI_ENOSPC);
    CHECK_EQ(guest_acpi_build(&p, mem, 0, MEM_BASE, &rsdp), GUEST_ACPI_ENOSPC);
    CHECK_EQ(rsdp, 0x1234);
    CHECK_EQ(mem[0], 0xCC);                 /* untouched */
    CHECK_EQ(mem[need - 2], 0xCC);
    CHECK_EQ(guest_acpi_build(&p, mem, need, MEM_BASE, &rsdp), (int)need);
    CHECK_EQ(mem[need], 0xCC);              /* nothing past the end */
}

static void test_bad_params(void)
{
    struct guest_acpi_params p = params(0, false);
    uint64_t rsdp;

    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
    p.nvcpus = 65;
    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
    CHECK_EQ(guest_acpi_size(&p, MEM_BASE), 0);
    p.nvcpus = 1;
    CHECK_EQ(guest_acpi_build(NULL, mem, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
    CHECK_EQ(guest_acpi_build(&p, NULL, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, MEM_BASE, NULL), GUEST_ACPI_EINVAL);
}

static void test_below_4g_only(void)
{
    struct guest_acpi_params p = params(1, false);
    uint64_t rsdp;

    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, 1ull << 32, &rsdp), GUEST_ACPI_EINVAL);
    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, (1ull << 32) - 256, &rsdp), GUEST_ACPI_EINVAL);
    CHECK(guest_acpi_build(&p, mem, MEM_SIZE, (1ull << 32) - 0x1000, &rsdp) > 0);
}

static void test_size_matches(void)
{
    for (unsigned n = 1; n <= 64; n++) {
        struct guest_acpi_params p = params(n, n & 1);
        int len;

        build(&p, &len);
        CHECK_EQ((size_t)len, guest_acpi_size(&p, MEM_BASE));
        CHECK(len < 2048);
    }
}

/* The seven tables' addresses and lengths: RSDP, RSDT, XSDT, FADT, MADT,
 * DSDT, FACS. */
static void tables(uint64_t rsdp, uint64_t a[7], uint64_t l[7])
{
    const uint8_t *x = at(rd64(at(rsdp) + 24));
    const uint8_t *f = at(rd64(x + 36));

    a[0] = rsdp;
    l[0] = 36;
    a[1] = rd32(at(rsdp) + 16);
    a[2] = rd64(at(rsdp) + 24);
    a[3] = rd64(x + 36);
    a[4] = rd64(x + 44);
    a[5] = rd64(f + 140);
    a[6] = rd64(f + 132);
    for (unsigned i = 1; i < 7; i++)
        l[i] = rd32(at(a[i]) + 4);
}

/* Every table lies inside [buf, buf + len) and none overlaps another. */
static void test_layout_disjoint(void)
{
    struct guest_acpi_params p = params(64, false);
    uint64_t a[7], l[7];
    int len;

    tables(build(&p, &len), a, l);
    for (unsigned i = 0; i < 7; i++) {
        CHECK(a[i] >= MEM_BASE && a[i] + l[i] <= MEM_BASE + (uint64_t)len);
        for (unsigned j = 0; j < i; j++)
            CHECK(a[i] + l[i] <= a[j] || a[j] + l[j] <= a[i]);
    }
}

/* Padding between tables is written as zeros, not left as it was. */
static void test_gaps_zeroed(void)
{
    struct guest_acpi_params p = params(3, false);
    uint64_t a[7], l[7];
    unsigned gaps = 0;
    int len;

    tables(build_at(&p, MEM_BASE + 4, &len), a, l);
    for (int i = 0; i < len; i++) {
        uint64_t g = MEM_BASE + 4 + (uint64_t)i;
        bool in_table = false;

        for (unsigned t = 0; t < 7; t++)
            in_table |= g >= a[t] && g < a[t] + l[t];
        if (!in_table) {
            gaps++;
            CHECK_EQ(mem[4 + i], 0);
        }
    }
    CHECK(gaps > 0);                        /* the RSDP alignment pad at least */
    CHECK_EQ(mem[4 + len], 0xCC);
}

/* MADT order: the processors first (the first is the boot processor). */
static void test_madt_bsp_first(void)
{
    struct guest_acpi_params p = params(8, false);
    const uint8_t *t;
    uint64_t rsdp;
    int len;

    rsdp = build(&p, &len);
    t = at(find(rsdp, "APIC"));
    CHECK_EQ(t[44], 0);
    CHECK_EQ(t[44 + 3], 0);                 /* APIC ID 0 first */
    CHECK_EQ(t[44 + 8 * 8], 1);             /* then the I/O APIC */
}

static void test_at_bios_gpa(void)
{
    struct guest_acpi_params p = params(2, false);
    uint64_t rsdp;
    int len;

    rsdp = build_at(&p, GUEST_ACPI_BIOS_GPA, &len);
    CHECK_EQ(rsdp, 0xE0000);
    CHECK(find(rsdp, "APIC") < 0x100000);
}

static void test_fadt_flags_exact(void)
{
    struct guest_acpi_params p = params(1, false);
    const uint8_t *f;
    uint64_t rsdp;
    int len;

    p.have_rtc = true;
    rsdp = build(&p, &len);
    f = at(find(rsdp, "FACP"));
    CHECK_EQ(rd32(f + 112), 0x75);          /* WBINVD PROC_C1 PWR SLP FIX_RTC */
    CHECK_EQ(rd16(f + 109), 0x05);          /* LEGACY_DEVICES, VGA not present */
    CHECK_EQ(rd16(f + 96), 101);            /* no C2 */
    CHECK_EQ(rd16(f + 98), 1001);           /* no C3 */
    CHECK_EQ(rd32(f + 56) | rd32(f + 64) | rd32(f + 80), 0);
    CHECK_EQ(f[116], 0);                    /* no RESET_REG */
    CHECK(memcmp(f + 268, "KEELVM  ", 8) == 0);
}

static void test_deterministic(void)
{
    struct guest_acpi_params p = params(7, true);
    static uint8_t first[MEM_SIZE];
    int len1, len2;

    build(&p, &len1);
    memcpy(first, mem, (size_t)len1);
    build(&p, &len2);
    CHECK_EQ(len1, len2);
    CHECK(memcmp(first, mem, (size_t)len1) == 0);
}

static void test_dsdt_not_in_xsdt(void)
{
    struct guest_acpi_params p = params(1, false);
    uint64_t rsdp;
    int len;

    rsdp = build(&p, &len);
    CHECK_EQ(find(rsdp, "DSDT"), 0);        /* reached through the FADT only */
    CHECK_EQ(find(rsdp, "FACS"), 0);
    CHECK_EQ(find(rsdp, "HPET"), 0);
}

/* The PCI platform of hv/dev/vplatform.c: PCI0 with _CRS, the ECAM window
 * in an MCFG and as a PNP0C02 motherboard resource. */
static struct guest_acpi_params pci_params(void)
{
    struct guest_acpi_params p = params(2, false);

    p.pm_base = 0x600;
    p.pci_host = true;
    p.pci_crs = true;
    p.pci_end_bus = 0xff;
    p.nwindows = 3;
    p.window[0].base = 0x80000000ull;
    p.window[0].size = 0x30000000ull;
    p.window[1].base = 0xc0000000ull;
    p.window[1].size = 0x3ec00000ull;
    p.window[2].base = 0x200000000ull;
    p.window[2].size = 0x400000000ull;
    p.ecam_base = 0xb0000000ull;
    return p;
}

/* The first occurrence of needle in [h, h + n), or NULL. */
static const uint8_t *search(const uint8_t *h, size_t n, const void *needle, size_t len)
{
    for (size_t i = 0; i + len <= n; i++)
        if (memcmp(h + i, needle, len) == 0)
            return h + i;
    return NULL;
}

/* A PkgLength at p (ACPI 6.5 20.2.4): its value, and its size in *k. */
static size_t pkglen_at(const uint8_t *p, size_t *k)
{
    size_t n = (p[0] >> 6) + 1, v = n == 1 ? p[0] & 0x3f : p[0] & 0x0f;

    for (size_t i = 1; i < n; i++)
        v |= (size_t)p[i] << (4 + 8 * (i - 1));
    *k = n;
    return v;
}

static void test_mcfg(void)
{
    struct guest_acpi_params p = pci_params();
    uint64_t rsdp, mcfg;
    const uint8_t *m;
    int len;

    rsdp = build(&p, &len);
    CHECK(len > 0);
    mcfg = find(rsdp, "MCFG");
    CHECK(mcfg != 0);
    if (!mcfg)
        return;
    CHECK(sdt_ok(mcfg, "MCFG", 1));
    m = at(mcfg);
    CHECK_EQ(rd32(m + 4), 44 + 16);
    CHECK_EQ(rd64(m + 44), 0xb0000000ull);  /* base */
    CHECK_EQ(rd16(m + 52), 0);              /* segment */
    CHECK_EQ(m[54], 0);                     /* start bus */
    CHECK_EQ(m[55], 0xff);                  /* end bus */
    CHECK(find(rsdp, "APIC") != 0);
    CHECK(find(rsdp, "FACP") != 0);
    CHECK_EQ((size_t)len, guest_acpi_size(&p, MEM_BASE));
    /* and through the RSDT: 3 entries */
    CHECK_EQ(rd32(at(rd32(at(rsdp) + 16)) + 4), 36 + 3 * 4);
    /* no ECAM: no MCFG, two root entries as before */
    p.ecam_base = 0;
    rsdp = build(&p, &len);
    CHECK_EQ(find(rsdp, "MCFG"), 0);
    CHECK_EQ(rd32(at(rd32(at(rsdp) + 16)) + 4), 36 + 2 * 4);
    /* an ECAM base not 1 MiB aligned is refused */
    p.ecam_base = 0xb0080000ull;
    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
}

/* The DMAR of the virtual VT-d unit (VT-d 8.1, 8.3, 8.3.1), by hand and
 * through Keel's own DMAR parser (iommu/vtd/dmar.c). */
static void test_dmar(void)
{
    struct guest_acpi_params p = pci_params();
    struct iommu_desc d;
    uint64_t rsdp, dmar;
    const uint8_t *t;
    int len;

    p.dmar_base = 0xfed90000ull;
    p.dmar_ioapic_sid = 0xf0f8;  /* F0:1F.0 */
    p.ioapic_id = 0;
    rsdp = build(&p, &len);
    CHECK(len > 0);
    CHECK_EQ((size_t)len, guest_acpi_size(&p, MEM_BASE));
    dmar = find(rsdp, "DMAR");
    CHECK(dmar != 0);
    if (!dmar)
        return;
    CHECK(sdt_ok(dmar, "DMAR", 1));
    t = at(dmar);
    CHECK_EQ(rd32(t + 4), 48 + 16 + 8);
    CHECK_EQ(t[36], 47);                    /* host address width 48 */
    CHECK_EQ(t[37], 0x01);                  /* INTR_REMAP, not X2APIC_OPT_OUT */
    CHECK_EQ(rd16(t + 48), 0);              /* DRHD */
    CHECK_EQ(rd16(t + 50), 24);             /* its length, scope included */
    CHECK_EQ(t[52], 0);                     /* INCLUDE_PCI_ALL clear */
    CHECK_EQ(t[53], 0);                     /* one 4 KiB page of registers */
    CHECK_EQ(rd16(t + 54), 0);              /* segment 0 */
    CHECK_EQ(rd64(t + 56), 0xfed90000ull);
    CHECK_EQ(t[64], 3);                     /* scope type I/O APIC */
    CHECK_EQ(t[65], 8);                     /* length: one hop */
    CHECK_EQ(t[68], 0);                     /* enumeration ID = the I/O APIC's ID */
    CHECK_EQ(t[69], 0xf0);                  /* start bus */
    CHECK_EQ(t[70], 0x1f);                  /* device */
    CHECK_EQ(t[71], 0);                     /* function */
    /* through the RSDT and XSDT: FADT, MADT, MCFG, DMAR */
    CHECK_EQ(rd32(at(rd32(at(rsdp) + 16)) + 4), 36 + 4 * 4);
    CHECK(find(rsdp, "MCFG") != 0);
    CHECK_EQ(iommu_parse_dmar(t, rd32(t + 4), &d), 0);
    CHECK_EQ(d.nunits, 1);
    CHECK_EQ(d.haw, 48);
    CHECK_EQ(d.unit[0].base, 0xfed90000ull);
    CHECK(d.unit[0].features & IOMMU_F_IR);
    CHECK(!(d.unit[0].features & (IOMMU_F_X2APIC_OPT_OUT | IOMMU_F_INCLUDE_ALL)));
    CHECK_EQ(d.nscopes, 1);
    CHECK_EQ(d.scope[0].kind, IOMMU_SCOPE_IOAPIC);
    CHECK_EQ(d.scope[0].enum_id, 0);
    CHECK_EQ(d.scope[0].first, 0xf0f8);
    /* without the ECAM: FADT, MADT, DMAR */
    p.ecam_base = 0;
    rsdp = build(&p, &len);
    CHECK(find(rsdp, "DMAR") != 0);
    CHECK_EQ(find(rsdp, "MCFG"), 0);
    CHECK_EQ(rd32(at(rd32(at(rsdp) + 16)) + 4), 36 + 3 * 4);
    /* a register base that is not page aligned is refused */
    p.dmar_base = 0xfed90800ull;
    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
    /* none asked: none built */
    p.dmar_base = 0;
    rsdp = build(&p, &len);
    CHECK_EQ(find(rsdp, "DMAR"), 0);
}

static void test_pci0_crs(void)
{
    static const uint8_t bus[16] = { 0x88, 0x0d, 0x00, 0x02, 0x0c, 0x00, 0, 0, 0, 0,
                                     0xff, 0x00, 0, 0, 0x00, 0x01 };
    static const uint8_t cfg_io[8] = { 0x47, 0x01, 0xf8, 0x0c, 0xf8, 0x0c, 0x01, 0x08 };
    static const uint8_t io_lo[16] = { 0x88, 0x0d, 0x00, 0x01, 0x0c, 0x03, 0, 0, 0, 0,
                                       0xf7, 0x0c, 0, 0, 0xf8, 0x0c };
    static const uint8_t mem_a[26] = { 0x87, 0x17, 0x00, 0x00, 0x0c, 0x01, 0, 0, 0, 0,
                                       0x00, 0x00, 0x00, 0x80, 0xff, 0xff, 0xff, 0xaf,
                                       0, 0, 0, 0, 0x00, 0x00, 0x00, 0x30 };
    static const uint8_t ecam_fixed[12] = { 0x86, 0x09, 0x00, 0x01, 0x00, 0x00, 0x00, 0xb0,
                                            0x00, 0x00, 0x00, 0x10 };
    static const uint8_t hid_pci[10] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0a, 0x03 };
    static const uint8_t hid_mb[10] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0c, 0x02 };
    struct guest_acpi_params p = pci_params();
    const uint8_t *d, *sb, *q;
    uint32_t dlen;
    size_t k, v;
    uint64_t rsdp;
    int len;

    rsdp = build(&p, &len);
    d = at(rd64(at(find(rsdp, "FACP")) + 140));
    dlen = rd32(d + 4);
    CHECK_EQ(sum(d, dlen), 0);
    sb = d + 36 + 14;                       /* after \_S5 */
    CHECK_EQ(sb[0], 0x10);                  /* ScopeOp */
    v = pkglen_at(sb + 1, &k);
    CHECK_EQ(1 + v, dlen - 36 - 14);        /* the scope runs to the end of the DSDT */
    CHECK(memcmp(sb + 1 + k, "\\_SB_", 5) == 0);
    CHECK(search(d, dlen, hid_pci, sizeof(hid_pci)) != NULL);
    CHECK(search(d, dlen, hid_mb, sizeof(hid_mb)) != NULL);
    CHECK(search(d, dlen, "PCI0", 4) != NULL);
    CHECK(search(d, dlen, "MRES", 4) != NULL);
    CHECK(search(d, dlen, bus, sizeof(bus)) != NULL);
    CHECK(search(d, dlen, cfg_io, sizeof(cfg_io)) != NULL);
    CHECK(search(d, dlen, io_lo, sizeof(io_lo)) != NULL);
    CHECK(search(d, dlen, mem_a, sizeof(mem_a)) != NULL);
    CHECK(search(d, dlen, ecam_fixed, sizeof(ecam_fixed)) != NULL);
    /* the window above 4 GiB as a QWord descriptor: _MIN 0x200000000, _LEN 16 GiB */
    q = search(d, dlen, (const uint8_t[]){ 0x8a, 0x2b, 0x00, 0x00, 0x0c, 0x01 }, 6);
    CHECK(q != NULL);
    if (q) {
        CHECK_EQ(rd64(q + 14), 0x200000000ull);
        CHECK_EQ(rd64(q + 22), 0x5ffffffffull);
        CHECK_EQ(rd64(q + 38), 0x400000000ull);
    }
    /* Name (_CRS, Buffer ...) */
    q = search(d, dlen, "_CRS", 4);
    CHECK(q != NULL && q[4] == 0x11);
    /* with the CMOS RTC: \_SB.RTC_ (PNP0B00) with ports 70H-71H and IRQ 8 */
    static const uint8_t hid_rtc[10] = { 0x08, '_', 'H', 'I', 'D', 0x0c, 0x41, 0xd0, 0x0b, 0x00 };
    static const uint8_t rtc_res[13] = { 0x47, 0x01, 0x70, 0x00, 0x70, 0x00, 0x01, 0x02,
                                         0x22, 0x00, 0x01, 0x79, 0x00 };
    CHECK_EQ(search(d, dlen, hid_rtc, sizeof(hid_rtc)), NULL);
    p.have_rtc = true;
    rsdp = build(&p, &len);
    d = at(rd64(at(find(rsdp, "FACP")) + 140));
    dlen = rd32(d + 4);
    CHECK_EQ(sum(d, dlen), 0);
    v = pkglen_at(d + 36 + 14 + 1, &k);
    CHECK_EQ(1 + v, dlen - 36 - 14);        /* still one scope to the end */
    CHECK(search(d, dlen, "RTC_", 4) != NULL);
    CHECK(search(d, dlen, hid_rtc, sizeof(hid_rtc)) != NULL);
    CHECK(search(d, dlen, rtc_res, sizeof(rtc_res)) != NULL);
    p.have_rtc = false;
    /* without _CRS and ECAM the scope is the one of before (test_pci_root_bridge) */
    p.pci_crs = false;
    p.ecam_base = 0;
    rsdp = build(&p, &len);
    d = at(rd64(at(find(rsdp, "FACP")) + 140));
    CHECK_EQ(rd32(d + 4), 36 + 14 + 30);
    CHECK_EQ(search(d, rd32(d + 4), "_CRS", 4), NULL);
}

/* Too many windows, an empty or wrapping one: refused. */
static void test_pci_bad_windows(void)
{
    struct guest_acpi_params p = pci_params();
    uint64_t rsdp;

    p.nwindows = GUEST_ACPI_MAX_WINDOWS + 1;
    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
    p = pci_params();
    p.window[1].size = 0;
    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
    p = pci_params();
    p.window[2].base = ~0ull - 0xfff;
    CHECK_EQ(guest_acpi_build(&p, mem, MEM_SIZE, MEM_BASE, &rsdp), GUEST_ACPI_EINVAL);
}

int main(void)
{
    RUN(test_mcfg);
    RUN(test_dmar);
    RUN(test_pci0_crs);
    RUN(test_pci_bad_windows);
    RUN(test_parse_1_xapic);
    RUN(test_parse_4_xapic);
    RUN(test_parse_64_xapic);
    RUN(test_parse_1_x2apic);
    RUN(test_parse_4_x2apic);
    RUN(test_parse_64_x2apic);
    RUN(test_all_checksums);
    RUN(test_rsdp_fields);
    RUN(test_rsdp_aligned_when_buffer_is_not);
    RUN(test_legacy_scan_finds_rsdp);
    RUN(test_roots_list_fadt_and_madt);
    RUN(test_parse_through_rsdt);
    RUN(test_fadt_fields);
    RUN(test_dsdt_valid);
    RUN(test_pm_blocks);
    RUN(test_pci_root_bridge);
    RUN(test_facs);
    RUN(test_have_rtc);
    RUN(test_reset_reg);
    RUN(test_no_pic);
    RUN(test_ioapic_id);
    RUN(test_madt_entries_xapic);
    RUN(test_madt_entries_x2apic);
    RUN(test_ioapic_entry_raw);
    RUN(test_buffer_too_small);
    RUN(test_bad_params);
    RUN(test_below_4g_only);
    RUN(test_size_matches);
    RUN(test_layout_disjoint);
    RUN(test_gaps_zeroed);
    RUN(test_deterministic);
    RUN(test_dsdt_not_in_xsdt);
    RUN(test_madt_bsp_first);
    RUN(test_at_bios_gpa);
    RUN(test_fadt_flags_exact);
    printf("test_guest_acpi: %u cases\n", ncases);
    return check_report("test_guest_acpi");
}
