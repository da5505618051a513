/* SPDX-License-Identifier: MIT */
/*
 * The DMA Remapping Reporting structure (DMAR, Intel VT-d specification
 * rev 4.x, chapter 8) into the neutral description.
 *
 * A DMAR is a header (host address width, flags) and remapping structures:
 * DRHD (8.3: one remapping unit, its register base and device scopes),
 * RMRR (8.4: memory devices keep using), ATSR (8.5: root ports whose
 * devices may use ATS); RHSA, ANDD and SATC (8.6-8.8) say nothing Keel uses
 * yet and are skipped, as are unknown types (8.1: each structure carries
 * its length).
 *
 * A device scope (8.3.1) names a device by a start bus and a path of
 * (device, function) hops through bridges.  A one-hop path is the device
 * itself; a longer one needs the secondary bus numbers of the bridges on
 * the way, which only PCI config reads give: such scopes are kept but
 * marked IOMMU_SF_UNRESOLVED (the lookup ignores them).
 */
#include "iommu/iommu_parse.h"

/* 8.1: the DMAR header after the ACPI header. */
#define DMAR_HAW          36
#define DMAR_FLAGS        37
#define DMAR_STRUCTS      48
#define DMAR_F_INTR_REMAP     (1u << 0)
#define DMAR_F_X2APIC_OPT_OUT (1u << 1)
#define DMAR_F_DMA_OPT_IN     (1u << 2)

/* 8.2: remapping structure types. */
#define DMAR_DRHD         0
#define DMAR_RMRR         1
#define DMAR_ATSR         2

/* 8.3: DRHD. */
#define DRHD_FLAGS        4
#define DRHD_SEGMENT      6
#define DRHD_BASE         8
#define DRHD_SCOPES       16
#define DRHD_F_INCLUDE_PCI_ALL (1u << 0)
/* 8.4: RMRR. */
#define RMRR_SEGMENT      6
#define RMRR_BASE         8
#define RMRR_LIMIT        16
#define RMRR_SCOPES       24
/* 8.5: ATSR. */
#define ATSR_FLAGS        4
#define ATSR_SEGMENT      6
#define ATSR_SCOPES       8
#define ATSR_F_ALL_PORTS  (1u << 0)

/* 8.3.1: device scope. */
#define SCOPE_LEN         1
#define SCOPE_ENUM_ID     4
#define SCOPE_BUS         5
#define SCOPE_PATH        6
#define SCOPE_ENDPOINT    1
#define SCOPE_BRIDGE      2
#define SCOPE_IOAPIC      3
#define SCOPE_HPET        4
#define SCOPE_ACPI        5

static uint8_t scope_kind(uint8_t type)
{
    switch (type) {
    case SCOPE_ENDPOINT: return IOMMU_SCOPE_DEVICE;
    case SCOPE_BRIDGE:   return IOMMU_SCOPE_BRIDGE;
    case SCOPE_IOAPIC:   return IOMMU_SCOPE_IOAPIC;
    case SCOPE_HPET:     return IOMMU_SCOPE_HPET;
    case SCOPE_ACPI:     return IOMMU_SCOPE_ACPI;
    default:             return 0;
    }
}

/* One device scope entry at off, of len bytes (checked by the caller). */
static int scope_entry(struct iommu_desc *d, uint8_t owner_kind, uint16_t owner, uint16_t seg,
                       const uint8_t *t, uint32_t off, uint32_t len)
{
    const uint8_t *e = t + off;
    uint8_t kind = scope_kind(e[0]);

    if (!kind) {
        d->skipped++;
        return 0;
    }
    struct iommu_scope *s = iommu_add_scope(d, owner_kind, owner, kind, seg, off, len);
    if (!s)
        return -1;
    uint8_t dev = e[SCOPE_PATH], fn = e[SCOPE_PATH + 1];
    if (dev > 31 || fn > 7)
        return iommu_fail(d, "DMAR: device scope at offset %#x names device %u function %u", off,
                          dev, fn);
    s->enum_id = e[SCOPE_ENUM_ID];
    s->path_len = (uint8_t)((len - SCOPE_PATH) / 2);
    s->first = s->last = s->alias = (uint16_t)(e[SCOPE_BUS] << 8 | dev << 3 | fn);
    if (s->path_len > 1)
        s->flags |= IOMMU_SF_UNRESOLVED;
    return 0;
}

/* The device scopes from off to end; returns how many were added, or -1. */
static int scopes(struct iommu_desc *d, uint8_t owner_kind, uint16_t owner, uint16_t seg,
                  const uint8_t *t, uint32_t off, uint32_t end)
{
    unsigned before = d->nscopes;

    while (off < end) {
        uint32_t len = off + 2 <= end ? t[off + SCOPE_LEN] : 0;
        /* 8.3.1: 6 bytes and one 2-byte hop at least, whole hops. */
        if (len < SCOPE_PATH + 2 || (len - SCOPE_PATH) % 2 || len > end - off)
            return iommu_fail(d, "DMAR: device scope at offset %#x has length %u (%u bytes left)",
                              off, len, end - off);
        if (scope_entry(d, owner_kind, owner, seg, t, off, len))
            return -1;
        off += len;
    }
    return (int)(d->nscopes - before);
}

static int drhd(struct iommu_desc *d, const uint8_t *t, uint32_t off, uint32_t len)
{
    const uint8_t *b = t + off;

    if (len < DRHD_SCOPES)
        return iommu_fail(d, "DMAR: DRHD at offset %#x is too short (%u bytes)", off, len);
    if (d->nunits == IOMMU_MAX_UNITS)
        return iommu_fail(d, "DMAR: more than %u DRHDs (at offset %#x)", IOMMU_MAX_UNITS, off);
    struct iommu_unit *u = &d->unit[d->nunits];
    *u = (struct iommu_unit){ .vendor = IOMMU_VTD, .addr_width = d->haw,
                              .segment = iommu_rd16(b + DRHD_SEGMENT), .bdf = IOMMU_NO_BDF,
                              .base = iommu_rd64(b + DRHD_BASE),
                              .first_scope = (uint16_t)d->nscopes, .src_off = off,
                              .src_len = len };
    if (!u->base || (u->base & 0xfff))
        return iommu_fail(d, "DMAR: DRHD at offset %#x gives register base %#llx", off,
                          (unsigned long long)u->base);
    /* The DMAR flags are the platform's, stated once for every unit. */
    u->features = (d->table_flags & DMAR_F_INTR_REMAP ? IOMMU_F_IR : 0) |
                  (d->table_flags & DMAR_F_X2APIC_OPT_OUT ? IOMMU_F_X2APIC_OPT_OUT : 0) |
                  (d->table_flags & DMAR_F_DMA_OPT_IN ? IOMMU_F_DMA_OPT_IN : 0) |
                  (b[DRHD_FLAGS] & DRHD_F_INCLUDE_PCI_ALL ? IOMMU_F_INCLUDE_ALL : 0);
    int n = scopes(d, IOMMU_OWNER_UNIT, (uint16_t)d->nunits, u->segment, t, off + DRHD_SCOPES,
                   off + len);
    if (n < 0)
        return -1;
    u->nscopes = (uint16_t)n;
    d->nunits++;
    return 0;
}

static int rmrr(struct iommu_desc *d, const uint8_t *t, uint32_t off, uint32_t len)
{
    const uint8_t *b = t + off;

    if (len < RMRR_SCOPES)
        return iommu_fail(d, "DMAR: RMRR at offset %#x is too short (%u bytes)", off, len);
    if (d->nregions == IOMMU_MAX_REGIONS)
        return iommu_fail(d, "DMAR: more than %u RMRRs (at offset %#x)", IOMMU_MAX_REGIONS, off);
    uint64_t base = iommu_rd64(b + RMRR_BASE), limit = iommu_rd64(b + RMRR_LIMIT);
    /* 8.4: the limit is the last byte; the region is 4 KiB granular. */
    if (limit < base || (base & 0xfff) || (~limit & 0xfff))
        return iommu_fail(d, "DMAR: RMRR at offset %#x is %#llx..%#llx, not whole 4 KiB pages",
                          off, (unsigned long long)base, (unsigned long long)limit);
    struct iommu_region *r = &d->region[d->nregions];
    *r = (struct iommu_region){ .base = base, .length = limit - base + 1,
                                .flags = IOMMU_RF_UNITY | IOMMU_RF_READ | IOMMU_RF_WRITE,
                                .type = DMAR_RMRR, .segment = iommu_rd16(b + RMRR_SEGMENT),
                                .first_scope = (uint16_t)d->nscopes, .src_off = off,
                                .src_len = len };
    int n = scopes(d, IOMMU_OWNER_REGION, (uint16_t)d->nregions, r->segment, t, off + RMRR_SCOPES,
                   off + len);
    if (n < 0)
        return -1;
    r->nscopes = (uint16_t)n;
    d->nregions++;
    return 0;
}

static int atsr(struct iommu_desc *d, const uint8_t *t, uint32_t off, uint32_t len)
{
    const uint8_t *b = t + off;

    if (len < ATSR_SCOPES)
        return iommu_fail(d, "DMAR: ATSR at offset %#x is too short (%u bytes)", off, len);
    if (d->nats == IOMMU_MAX_ATS)
        return iommu_fail(d, "DMAR: more than %u ATSRs (at offset %#x)", IOMMU_MAX_ATS, off);
    struct iommu_ats *a = &d->ats[d->nats];
    *a = (struct iommu_ats){ .segment = iommu_rd16(b + ATSR_SEGMENT),
                             .all_ports = (b[ATSR_FLAGS] & ATSR_F_ALL_PORTS) != 0,
                             .first_scope = (uint16_t)d->nscopes, .src_off = off, .src_len = len };
    int n = scopes(d, IOMMU_OWNER_ATS, (uint16_t)d->nats, a->segment, t, off + ATSR_SCOPES,
                   off + len);
    if (n < 0)
        return -1;
    a->nscopes = (uint16_t)n;
    d->nats++;
    return 0;
}

int iommu_parse_dmar(const void *table, size_t avail, struct iommu_desc *d)
{
    const uint8_t *t = table;
    uint32_t len = iommu_table_begin(d, t, avail, "DMAR", DMAR_STRUCTS);

    if (!len)
        return iommu_refuse(d);
    d->vendor = IOMMU_VTD;
    d->haw = (uint8_t)(t[DMAR_HAW] + 1); /* 8.1: the width minus one */
    d->table_flags = t[DMAR_FLAGS];
    for (uint32_t off = DMAR_STRUCTS; off < len;) {
        uint32_t slen = off + 4 <= len ? iommu_rd16(t + off + 2) : 0;
        if (slen < 4 || slen > len - off) {
            iommu_fail(d, "DMAR: structure at offset %#x has length %u, past the table's %u",
                       off, slen, len);
            return iommu_refuse(d);
        }
        int r = 0;
        switch (iommu_rd16(t + off)) {
        case DMAR_DRHD: r = drhd(d, t, off, slen); break;
        case DMAR_RMRR: r = rmrr(d, t, off, slen); break;
        case DMAR_ATSR: r = atsr(d, t, off, slen); break;
        default: d->skipped++; break;
        }
        if (r)
            return iommu_refuse(d);
        off += slen;
    }
    if (!d->nunits) {
        iommu_fail(d, "DMAR: lists no remapping unit (no DRHD)");
        return iommu_refuse(d);
    }
    return 0;
}

/* ---- Paths through bridges, resolved from configuration space ---- */

#define CFG_VENDOR       0x00
#define CFG_HEADER       0x0e
#define CFG_SECONDARY    0x19
#define CFG_SUBORDINATE  0x1a
#define HEADER_TYPE_MASK 0x7f
#define HEADER_BRIDGE    1

/* The requester ID the path of scope s names, or -1. */
static int walk_path(const struct iommu_scope *s, const uint8_t *e, iommu_cfg8_fn rd, void *ctx)
{
    unsigned bus = e[SCOPE_BUS];

    for (unsigned hop = 0; hop < s->path_len; hop++) {
        unsigned dev = e[SCOPE_PATH + 2 * hop], fn = e[SCOPE_PATH + 2 * hop + 1];
        if (dev > 31 || fn > 7)
            return -1;
        uint16_t bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
        if (hop + 1 == s->path_len)
            return bdf;
        if (rd(ctx, bdf, CFG_VENDOR) == 0xff && rd(ctx, bdf, CFG_VENDOR + 1) == 0xff)
            return -1; /* no function there */
        if ((rd(ctx, bdf, CFG_HEADER) & HEADER_TYPE_MASK) != HEADER_BRIDGE)
            return -1;
        bus = rd(ctx, bdf, CFG_SECONDARY);
        if (!bus)
            return -1; /* a bridge the firmware did not number */
    }
    return -1;
}

/* A resolved bridge scope: the buses below the bridge, if it is one and
 * the firmware numbered them. */
static void bridge_buses(struct iommu_scope *s, iommu_cfg8_fn rd, void *ctx)
{
    if (s->kind != IOMMU_SCOPE_BRIDGE || (s->flags & IOMMU_SF_UNRESOLVED) || s->segment != 0 ||
        (rd(ctx, s->first, CFG_HEADER) & HEADER_TYPE_MASK) != HEADER_BRIDGE)
        return;
    uint8_t sec = rd(ctx, s->first, CFG_SECONDARY), sub = rd(ctx, s->first, CFG_SUBORDINATE);
    if (sec && sub >= sec) {
        s->sec_bus = sec;
        s->sub_bus = sub;
    }
}

unsigned iommu_dmar_resolve_paths(struct iommu_desc *d, const void *table, size_t len,
                                  iommu_cfg8_fn rd, void *ctx)
{
    unsigned n = 0;

    if (d->vendor != IOMMU_VTD)
        return 0;
    for (unsigned i = 0; i < d->nscopes; i++) {
        struct iommu_scope *s = &d->scope[i];
        if (!(s->flags & IOMMU_SF_UNRESOLVED) || s->segment != 0 ||
            (size_t)s->src_off + s->src_len > len || s->src_len < SCOPE_PATH + 2u * s->path_len)
            continue;
        int bdf = walk_path(s, (const uint8_t *)table + s->src_off, rd, ctx);
        if (bdf < 0)
            continue;
        s->first = s->last = s->alias = (uint16_t)bdf;
        s->flags &= (uint8_t)~IOMMU_SF_UNRESOLVED;
        n++;
    }
    for (unsigned i = 0; i < d->nscopes; i++)
        bridge_buses(&d->scope[i], rd, ctx);
    return n;
}
