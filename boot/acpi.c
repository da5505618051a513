/* SPDX-License-Identifier: MIT */
/* ACPI table walking (ACPI 6.5, 5.2.5 RSDP, 5.2.8 XSDT, 5.2.12 MADT). */
#include "boot/acpi.h"

#include <string.h>

#define SDT_HEADER_LEN 36
#define RSDP_V1_LEN    20
#define RSDP_V2_LEN    36
#define MADT_ENTRIES   44 /* after the header, LAPIC address and flags */
#define MADT_LAPIC     0
#define MADT_IOAPIC    1
#define MADT_OVERRIDE  2
#define MADT_X2APIC    9
#define MADT_LAPIC_ENABLED        (1u << 0)
#define MADT_LAPIC_ONLINE_CAPABLE (1u << 1)

static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

bool acpi_checksum_ok(const void *table, size_t len)
{
    const uint8_t *p = table;
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return sum == 0;
}

/* Maps a whole SDT after checking its header; NULL with *why. */
static const uint8_t *map_sdt(uint64_t pa, acpi_map_fn map, void *ctx, const char **why)
{
    const uint8_t *h = map(ctx, pa, SDT_HEADER_LEN);
    if (!h) {
        *why = "table address outside memory";
        return NULL;
    }
    uint32_t len = rd32(h + 4);
    if (len < SDT_HEADER_LEN || len > (1u << 20)) {
        *why = "table length is implausible";
        return NULL;
    }
    const uint8_t *t = map(ctx, pa, len);
    if (!t || !acpi_checksum_ok(t, len)) {
        *why = "table checksum is wrong";
        return NULL;
    }
    return t;
}

uint64_t acpi_find_table(uint64_t rsdp_pa, const char sig[4], acpi_map_fn map, void *ctx,
                         const char **why)
{
    const uint8_t *rsdp = rsdp_pa ? map(ctx, rsdp_pa, RSDP_V1_LEN) : NULL;
    if (!rsdp || memcmp(rsdp, "RSD PTR ", 8) != 0) {
        *why = "no RSDP";
        return 0;
    }
    if (!acpi_checksum_ok(rsdp, RSDP_V1_LEN)) {
        *why = "RSDP checksum is wrong";
        return 0;
    }
    bool xsdt = false;
    uint64_t root = rd32(rsdp + 16);
    if (rsdp[15] >= 2) {
        const uint8_t *r2 = map(ctx, rsdp_pa, RSDP_V2_LEN);
        /* ACPI 2.0+: the extended checksum covers the whole structure. */
        uint32_t len = r2 ? rd32(r2 + 20) : 0;
        const uint8_t *full = len >= RSDP_V2_LEN && len <= 4096 ? map(ctx, rsdp_pa, len) : NULL;
        if (full && acpi_checksum_ok(full, len) && rd64(full + 24)) {
            root = rd64(full + 24);
            xsdt = true;
        }
    }
    const uint8_t *rt = map_sdt(root, map, ctx, why);
    if (!rt)
        return 0;
    if (memcmp(rt, xsdt ? "XSDT" : "RSDT", 4) != 0) {
        *why = "root table has the wrong signature";
        return 0;
    }
    size_t esz = xsdt ? 8 : 4, n = (rd32(rt + 4) - SDT_HEADER_LEN) / esz;
    for (size_t i = 0; i < n; i++) {
        const uint8_t *e = rt + SDT_HEADER_LEN + i * esz;
        uint64_t pa = xsdt ? rd64(e) : rd32(e);
        const uint8_t *h = pa ? map(ctx, pa, SDT_HEADER_LEN) : NULL;
        if (h && memcmp(h, sig, 4) == 0)
            return map_sdt(pa, map, ctx, why) ? pa : 0;
    }
    *why = "table not present";
    return 0;
}

static void madt_add_cpu(struct madt_info *m, uint32_t id, uint32_t flags)
{
    if (!(flags & (MADT_LAPIC_ENABLED | MADT_LAPIC_ONLINE_CAPABLE)))
        return;
    for (unsigned i = 0; i < m->ncpus; i++)
        if (m->apic_id[i] == id)
            return; /* the same CPU listed as both LAPIC and x2APIC */
    if (m->ncpus == ACPI_MAX_CPUS) {
        m->ncpus_ignored++;
        return;
    }
    m->apic_id[m->ncpus++] = id;
}

static void madt_entry(struct madt_info *m, const uint8_t *e)
{
    switch (e[0]) {
    case MADT_LAPIC:
        if (e[1] >= 8)
            madt_add_cpu(m, e[3], rd32(e + 4));
        break;
    case MADT_X2APIC:
        if (e[1] >= 16)
            madt_add_cpu(m, rd32(e + 4), rd32(e + 8));
        break;
    case MADT_IOAPIC:
        if (e[1] >= 12 && m->nioapics < ACPI_MAX_IOAPICS) {
            m->ioapic[m->nioapics].id = e[2];
            m->ioapic[m->nioapics].addr = rd32(e + 4);
            m->ioapic[m->nioapics].gsi_base = rd32(e + 8);
            m->nioapics++;
        }
        break;
    case MADT_OVERRIDE:
        if (e[1] >= 10 && m->noverrides < ACPI_MAX_OVERRIDES) {
            m->override[m->noverrides].irq = e[3];
            m->override[m->noverrides].gsi = rd32(e + 4);
            m->override[m->noverrides].flags = (uint16_t)(e[8] | (e[9] << 8));
            m->noverrides++;
        }
        break;
    default:
        break;
    }
}

int acpi_parse_madt(uint64_t madt_pa, acpi_map_fn map, void *ctx, struct madt_info *out,
                    const char **why)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *t = map_sdt(madt_pa, map, ctx, why);
    if (!t)
        return -1;
    uint32_t len = rd32(t + 4);
    if (memcmp(t, "APIC", 4) != 0 || len < MADT_ENTRIES) {
        *why = "not a MADT";
        return -1;
    }
    out->lapic_base = rd32(t + 36);
    out->pcat_compat = (rd32(t + 40) & 1u) != 0;
    for (uint32_t off = MADT_ENTRIES; off + 2 <= len;) {
        const uint8_t *e = t + off;
        if (e[1] < 2 || off + e[1] > len) {
            *why = "MADT entry runs past the table";
            return -1;
        }
        madt_entry(out, e);
        off += e[1];
    }
    if (!out->ncpus) {
        *why = "MADT lists no enabled CPU";
        return -1;
    }
    return 0;
}

/* SPCR offsets: interface type at 36, the base address as a generic address
 * structure at 40 (address space at 40, address at 44; ACPI 6.5 5.2.3.2),
 * the configured baud rate code at 58.  Revision 1 tables are 80 bytes. */
#define SPCR_IFTYPE   36
#define SPCR_BASE_AS  40
#define SPCR_BASE     44
#define SPCR_BAUD     58
#define SPCR_MIN_LEN  80
#define GAS_SYSTEM_IO 1

/* The baud rate codes of the SPCR: 3 9600, 4 19200, 6 57600, 7 115200;
 * 0 (and anything else) leaves the rate as the firmware set it. */
static uint32_t spcr_baud(uint8_t code)
{
    switch (code) {
    case 3: return 9600;
    case 4: return 19200;
    case 6: return 57600;
    case 7: return 115200;
    default: return 0;
    }
}

int acpi_parse_spcr(uint64_t spcr_pa, acpi_map_fn map, void *ctx, struct spcr_info *out,
                    const char **why)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *t = map_sdt(spcr_pa, map, ctx, why);
    if (!t)
        return -1;
    if (memcmp(t, "SPCR", 4) != 0 || rd32(t + 4) < SPCR_MIN_LEN) {
        *why = "not an SPCR";
        return -1;
    }
    out->interface_type = t[SPCR_IFTYPE];
    out->uart_16550 = out->interface_type == 0 || out->interface_type == 1 ||
                      out->interface_type == 0x12;
    out->io = t[SPCR_BASE_AS] == GAS_SYSTEM_IO;
    out->address = rd64(t + SPCR_BASE);
    out->baud = spcr_baud(t[SPCR_BAUD]);
    if (!out->address) {
        *why = "SPCR names no UART (base address 0)";
        return -1;
    }
    return 0;
}

/* FADT fields (ACPI 6.5 table 5.9). */
#define FADT_PM_TMR_BLK   76
#define FADT_PM_TMR_LEN   91
#define FADT_FLAGS        112
#define FADT_X_PM_TMR_BLK 208      /* a 12-byte generic address (5.2.3.2) */
#define FADT_MIN_LEN      116      /* through the flags (ACPI 1.0's table) */
#define FADT_TMR_VAL_EXT  (1u << 8)
#define FADT_HW_REDUCED   (1u << 20)
#define GAS_LEN           12

int acpi_parse_fadt_pm_timer(uint64_t fadt_pa, acpi_map_fn map, void *ctx,
                             struct fadt_pm_timer *out, const char **why)
{
    memset(out, 0, sizeof(*out));
    const uint8_t *t = map_sdt(fadt_pa, map, ctx, why);
    if (!t)
        return -1;
    uint32_t len = rd32(t + 4);
    if (memcmp(t, "FACP", 4) != 0 || len < FADT_MIN_LEN) {
        *why = "not a FADT";
        return -1;
    }
    uint32_t flags = rd32(t + FADT_FLAGS);
    if (flags & FADT_HW_REDUCED) {
        *why = "a hardware-reduced ACPI platform has no PM timer";
        return -1;
    }
    /* An X_ address, where present and non-zero, supersedes the 32-bit
     * field (5.2.9: "If ... non-zero, OSPM must use it"). */
    uint64_t port = rd32(t + FADT_PM_TMR_BLK);
    bool io = port != 0 && t[FADT_PM_TMR_LEN] == 4;
    if (len >= FADT_X_PM_TMR_BLK + GAS_LEN && rd64(t + FADT_X_PM_TMR_BLK + 4)) {
        port = rd64(t + FADT_X_PM_TMR_BLK + 4);
        io = t[FADT_X_PM_TMR_BLK] == GAS_SYSTEM_IO;
    }
    if (!port) {
        *why = "the FADT names no PM timer";
        return -1;
    }
    if (!io || port > 0xfffc) {
        *why = "the PM timer is not four ports in system I/O space";
        return -1;
    }
    out->port = (uint16_t)port;
    out->ext32 = flags & FADT_TMR_VAL_EXT;
    return 0;
}
