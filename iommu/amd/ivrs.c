/* SPDX-License-Identifier: MIT */
/*
 * The AMD I/O Virtualization Reporting Structure (IVRS, AMD IOMMU
 * Specification #48882 rev 3.x, section 5.2) into the neutral description.
 *
 * An IVRS is a header with IVinfo, then I/O virtualization definition
 * blocks: IVHD (types 10h, 11h, 40h: one IOMMU and the devices it
 * translates for) and IVMD (types 20h, 21h, 22h: memory devices keep
 * using).  Firmware usually lists each IOMMU several times, once per IVHD
 * type, so that older software finds the type it knows (5.2.2.1): Keel
 * takes the highest type it knows for each IOMMU (the same segment and
 * device ID) and counts the others as superseded.
 *
 * Structural errors (a block or entry running past its container, a range
 * start without its end, a table too long for the arrays) refuse the whole
 * table: a half-read IVRS could leave a device outside every unit.
 * Unknown block and entry types are skipped and counted (5.2.2.2: their
 * length follows from the type).
 */
#include "iommu/iommu_parse.h"

/* #48882 5.2.1, the IVRS header after the ACPI header. */
#define IVRS_IVINFO          36
#define IVRS_BLOCKS          48
#define IVINFO_PASIZE(v)     (((v) >> 8) & 0x7fu) /* IVinfo[14:8] */

/* 5.2.2.1: IVHD, common to the three types. */
#define IVHD_FLAGS           1
#define IVHD_LENGTH          2
#define IVHD_DEVID           4
#define IVHD_CAP_OFFSET      6
#define IVHD_BASE            8
#define IVHD_SEGMENT         16
#define IVHD_INFO            18
#define IVHD10_FEATURES      20 /* type 10h: IOMMU Feature Reporting */
#define IVHD11_EFR           24 /* types 11h/40h: the EFR register image */
#define IVHD10_HEADER_LEN    24
#define IVHD11_HEADER_LEN    40
/* The type 10h feature field: XTSup [0], GASup [6]. */
#define IVHD10_F_XTSUP       (1u << 0)
#define IVHD10_F_GASUP       (1u << 6)
/* The Extended Feature Register (3.4.1 MMIO offset 0030h): XTSup [2], GASup [7]. */
#define EFR_XTSUP            (1ull << 2)
#define EFR_GASUP            (1ull << 7)

/* 5.2.2.2: IVHD device entry types. */
#define DEV_PAD              0x00
#define DEV_ALL              0x01
#define DEV_SELECT           0x02
#define DEV_RANGE_START      0x03
#define DEV_RANGE_END        0x04
#define DEV_ALIAS_SELECT     0x42
#define DEV_ALIAS_RANGE      0x43
#define DEV_EXT_SELECT       0x46
#define DEV_EXT_RANGE        0x47
#define DEV_SPECIAL          0x48
#define DEV_ACPI_HID         0xf0
#define DEV_ACPI_HID_MIN     22 /* the fixed part; the UID length is at byte 21 */
#define SPECIAL_IOAPIC       1
#define SPECIAL_HPET         2

/* 5.2.2.3: IVMD. */
#define IVMD_ALL             0x20
#define IVMD_ONE             0x21
#define IVMD_RANGE           0x22
#define IVMD_DEVID           4
#define IVMD_AUX             6
#define IVMD_START           16
#define IVMD_BLOCK_LEN       24
#define IVMD_LEN             32
#define IVMD_F_UNITY         (1u << 0)
#define IVMD_F_IR            (1u << 1)
#define IVMD_F_IW            (1u << 2)
#define IVMD_F_EXCL          (1u << 3)

static bool is_ivhd(uint8_t type) { return type == 0x10 || type == 0x11 || type == 0x40; }

static uint32_t ivhd_header_len(uint8_t type)
{
    return type == 0x10 ? IVHD10_HEADER_LEN : IVHD11_HEADER_LEN;
}

/* The length of the device entry at off: types 00h-3Fh 4 bytes, 40h-7Fh 8,
 * 80h-BFh 16, C0h-FFh 32, except F0h (22 bytes + the UID).  0 when the
 * entry does not fit before end. */
static uint32_t dev_entry_len(const uint8_t *t, uint32_t off, uint32_t end)
{
    uint8_t type = t[off];
    uint32_t len;

    if (type == DEV_ACPI_HID)
        len = off + DEV_ACPI_HID_MIN <= end ? DEV_ACPI_HID_MIN + t[off + 21] : DEV_ACPI_HID_MIN;
    else
        len = 4u << (type >> 6);
    return off + len <= end ? len : 0;
}

/* An open "start of range" entry (03h, 43h, 47h), waiting for its 04h. */
struct range_open {
    bool open;
    uint8_t type, dte;
    uint16_t first, alias;
    uint32_t ext, off;
};

static struct iommu_scope *unit_scope(struct iommu_desc *d, unsigned u, uint8_t kind,
                                      uint32_t off, uint32_t len)
{
    struct iommu_scope *s = iommu_add_scope(d, IOMMU_OWNER_UNIT, (uint16_t)u, kind,
                                            d->unit[u].segment, off, len);
    if (s)
        d->unit[u].nscopes++;
    return s;
}

static int range_end(struct iommu_desc *d, unsigned u, struct range_open *r, const uint8_t *t,
                     uint32_t off)
{
    uint16_t last = iommu_rd16(t + off + 1);

    if (!r->open)
        return iommu_fail(d, "IVRS: range end at offset %#x without a range start", off);
    if (last < r->first)
        return iommu_fail(d, "IVRS: range at offset %#x ends (%#x) before it starts (%#x)",
                          r->off, last, r->first);
    struct iommu_scope *s = unit_scope(d, u, IOMMU_SCOPE_RANGE, r->off, off + 4 - r->off);
    if (!s)
        return -1;
    s->first = r->first;
    s->last = last;
    s->dte = r->dte;
    s->ext = r->ext;
    s->alias = r->type == DEV_ALIAS_RANGE ? r->alias : r->first;
    s->flags = r->type == DEV_ALIAS_RANGE ? IOMMU_SF_ALIAS : 0;
    r->open = false;
    return 0;
}

/* One device entry of known length len at off. */
static int dev_entry(struct iommu_desc *d, unsigned u, struct range_open *r, const uint8_t *t,
                     uint32_t off, uint32_t len)
{
    const uint8_t *e = t + off;
    uint8_t type = e[0], kind = IOMMU_SCOPE_DEVICE;
    uint16_t id = iommu_rd16(e + 1);

    switch (type) {
    case DEV_RANGE_START:
    case DEV_ALIAS_RANGE:
    case DEV_EXT_RANGE:
        *r = (struct range_open){ true, type, e[3], id, 0, 0, off };
        if (type == DEV_ALIAS_RANGE)
            r->alias = iommu_rd16(e + 5);
        if (type == DEV_EXT_RANGE)
            r->ext = iommu_rd32(e + 4);
        return 0;
    case DEV_RANGE_END:
        return range_end(d, u, r, t, off);
    case DEV_ALL:
        kind = IOMMU_SCOPE_RANGE;
        break;
    case DEV_SELECT:
    case DEV_ALIAS_SELECT:
    case DEV_EXT_SELECT:
        break;
    case DEV_SPECIAL:
        if (e[7] != SPECIAL_IOAPIC && e[7] != SPECIAL_HPET) {
            d->skipped++;
            return 0;
        }
        kind = e[7] == SPECIAL_IOAPIC ? IOMMU_SCOPE_IOAPIC : IOMMU_SCOPE_HPET;
        id = iommu_rd16(e + 5); /* the requester ID the device's interrupts carry */
        break;
    case DEV_ACPI_HID:
        kind = IOMMU_SCOPE_ACPI;
        break;
    default:
        d->skipped++; /* 00h padding, and types Keel does not know */
        return 0;
    }
    struct iommu_scope *s = unit_scope(d, u, kind, off, len);
    if (!s)
        return -1;
    s->first = s->last = s->alias = id;
    if (type == DEV_ALL)
        s->first = 0, s->last = 0xffff, s->alias = 0;
    s->dte = e[3];
    if (type == DEV_SPECIAL)
        s->enum_id = e[4];
    if (type == DEV_ALIAS_SELECT)
        s->alias = iommu_rd16(e + 5), s->flags = IOMMU_SF_ALIAS;
    if (type == DEV_EXT_SELECT)
        s->ext = iommu_rd32(e + 4);
    return 0;
}

static int ivhd_entries(struct iommu_desc *d, unsigned u, const uint8_t *t, uint32_t off,
                        uint32_t end)
{
    struct range_open r = { 0 };

    d->unit[u].first_scope = (uint16_t)d->nscopes;
    while (off < end) {
        uint32_t len = dev_entry_len(t, off, end);
        if (!len)
            return iommu_fail(d, "IVRS: device entry type %#x at offset %#x runs past its IVHD",
                              t[off], off);
        if (r.open && t[off] != DEV_RANGE_END)
            return iommu_fail(d, "IVRS: range start at offset %#x is not followed by a range end",
                              r.off);
        if (dev_entry(d, u, &r, t, off, len))
            return -1;
        off += len;
    }
    if (r.open)
        return iommu_fail(d, "IVRS: range start at offset %#x is not followed by a range end",
                          r.off);
    return 0;
}

/* The unit an IVHD describes (segment and device ID), created on first sight. */
static int unit_index(struct iommu_desc *d, const uint8_t *b, uint32_t off)
{
    uint16_t seg = iommu_rd16(b + IVHD_SEGMENT), devid = iommu_rd16(b + IVHD_DEVID);

    for (unsigned u = 0; u < d->nunits; u++)
        if (d->unit[u].segment == seg && d->unit[u].bdf == devid)
            return (int)u;
    if (d->nunits == IOMMU_MAX_UNITS)
        return iommu_fail(d, "IVRS: more than %u IOMMUs (IVHD at offset %#x)", IOMMU_MAX_UNITS,
                          off);
    struct iommu_unit *un = &d->unit[d->nunits];
    un->vendor = IOMMU_AMD_VI;
    un->segment = seg;
    un->bdf = devid;
    return (int)d->nunits++;
}

static int ivhd_header(struct iommu_desc *d, unsigned u, const uint8_t *t, uint32_t off,
                       uint32_t len)
{
    const uint8_t *b = t + off;
    struct iommu_unit *un = &d->unit[u];

    un->base = iommu_rd64(b + IVHD_BASE);
    if (!un->base || (un->base & 0xfff))
        return iommu_fail(d, "IVRS: IVHD at offset %#x gives register base %#llx", off,
                          (unsigned long long)un->base);
    un->ivhd_flags = b[IVHD_FLAGS];
    un->cap_offset = iommu_rd16(b + IVHD_CAP_OFFSET);
    un->info = iommu_rd16(b + IVHD_INFO);
    un->addr_width = d->haw;
    un->src_off = off;
    un->src_len = len;
    /* AMD-Vi always remaps interrupts (#48882 2.2.5); XT and GA are stated. */
    un->features = IOMMU_F_IR;
    if (b[0] == 0x10) {
        uint32_t f = iommu_rd32(b + IVHD10_FEATURES);
        un->efr = f;
        un->features |= (f & IVHD10_F_XTSUP ? IOMMU_F_X2APIC : 0) |
                        (f & IVHD10_F_GASUP ? IOMMU_F_GA : 0);
    } else {
        un->efr = iommu_rd64(b + IVHD11_EFR);
        un->features |= IOMMU_F_EFR | (un->efr & EFR_XTSUP ? IOMMU_F_X2APIC : 0) |
                        (un->efr & EFR_GASUP ? IOMMU_F_GA : 0);
    }
    return ivhd_entries(d, u, t, off + ivhd_header_len(b[0]), off + len);
}

static int ivmd(struct iommu_desc *d, const uint8_t *b, uint32_t off, uint32_t len)
{
    if (len < IVMD_LEN)
        return iommu_fail(d, "IVRS: IVMD at offset %#x is too short (%u bytes)", off, len);
    if (d->nregions == IOMMU_MAX_REGIONS)
        return iommu_fail(d, "IVRS: more than %u IVMDs (at offset %#x)", IOMMU_MAX_REGIONS, off);
    uint64_t base = iommu_rd64(b + IVMD_START), size = iommu_rd64(b + IVMD_BLOCK_LEN);
    uint16_t first = iommu_rd16(b + IVMD_DEVID), last = first;
    if (!size || base + size - 1 < base)
        return iommu_fail(d, "IVRS: IVMD at offset %#x has length %#llx at %#llx", off,
                          (unsigned long long)size, (unsigned long long)base);
    if (b[0] == IVMD_ALL)
        first = 0, last = 0xffff;
    else if (b[0] == IVMD_RANGE)
        last = iommu_rd16(b + IVMD_AUX);
    if (last < first)
        return iommu_fail(d, "IVRS: IVMD at offset %#x ends (%#x) before it starts (%#x)", off,
                          last, first);
    struct iommu_region *r = &d->region[d->nregions];
    struct iommu_scope *s = iommu_add_scope(d, IOMMU_OWNER_REGION, (uint16_t)d->nregions,
                                            first == last ? IOMMU_SCOPE_DEVICE : IOMMU_SCOPE_RANGE,
                                            0, off, len);
    if (!s)
        return -1;
    s->first = s->alias = first;
    s->last = last;
    *r = (struct iommu_region){ .base = base, .length = size, .type = b[0],
                                .first_scope = (uint16_t)(d->nscopes - 1), .nscopes = 1,
                                .src_off = off, .src_len = len };
    r->flags = (b[1] & IVMD_F_UNITY ? IOMMU_RF_UNITY : 0) | (b[1] & IVMD_F_IR ? IOMMU_RF_READ : 0) |
               (b[1] & IVMD_F_IW ? IOMMU_RF_WRITE : 0) | (b[1] & IVMD_F_EXCL ? IOMMU_RF_EXCLUSION : 0);
    d->nregions++;
    return 0;
}

/* One block of blen bytes at off.  Pass 0 finds the units and the highest
 * IVHD type of each; pass 1 parses those IVHDs and the IVMDs. */
static int block(struct iommu_desc *d, const uint8_t *t, uint32_t off, uint32_t blen, int pass)
{
    const uint8_t *b = t + off;

    if (!is_ivhd(b[0])) {
        if (pass == 0)
            return 0;
        if (b[0] >= IVMD_ALL && b[0] <= IVMD_RANGE)
            return ivmd(d, b, off, blen);
        d->skipped++;
        return 0;
    }
    /* The header holds the unit's identity: check its length first. */
    if (blen < ivhd_header_len(b[0]))
        return iommu_fail(d, "IVRS: IVHD type %#x at offset %#x is too short (%u bytes)", b[0],
                          off, blen);
    int u = unit_index(d, b, off);
    if (u < 0)
        return -1;
    struct iommu_unit *un = &d->unit[u];
    if (pass == 0) {
        if (b[0] > un->ivhd_type)
            un->ivhd_type = b[0];
        return 0;
    }
    if (b[0] != un->ivhd_type || un->src_len) {
        d->superseded++; /* a lower type, or a second block of the chosen one */
        return 0;
    }
    return ivhd_header(d, (unsigned)u, t, off, blen);
}

static int walk(struct iommu_desc *d, const uint8_t *t, uint32_t len, int pass)
{
    for (uint32_t off = IVRS_BLOCKS; off < len;) {
        uint32_t blen = off + 4 <= len ? iommu_rd16(t + off + IVHD_LENGTH) : 0;
        if (blen < 4 || blen > len - off)
            return iommu_fail(d, "IVRS: block at offset %#x has length %u, past the table's %u",
                              off, blen, len);
        if (block(d, t, off, blen, pass))
            return -1;
        off += blen;
    }
    return 0;
}

int iommu_parse_ivrs(const void *table, size_t avail, struct iommu_desc *d)
{
    const uint8_t *t = table;
    uint32_t len = iommu_table_begin(d, t, avail, "IVRS", IVRS_BLOCKS);

    if (!len)
        return iommu_refuse(d);
    d->vendor = IOMMU_AMD_VI;
    d->table_flags = iommu_rd32(t + IVRS_IVINFO);
    d->haw = (uint8_t)IVINFO_PASIZE(d->table_flags);
    if (walk(d, t, len, 0) || walk(d, t, len, 1))
        return iommu_refuse(d);
    if (!d->nunits) {
        iommu_fail(d, "IVRS: lists no IOMMU (no IVHD)");
        return iommu_refuse(d);
    }
    return 0;
}
