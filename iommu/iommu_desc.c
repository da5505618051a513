/* SPDX-License-Identifier: MIT */
/*
 * The neutral IOMMU description: the pieces both table parsers share, the
 * device -> unit lookup and the one-line unit report.  Pure.
 */
#include <stdarg.h>
#include <stdio.h>

#include "iommu/iommu_parse.h"

int iommu_fail(struct iommu_desc *d, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(d->why, sizeof(d->why), fmt, ap);
    va_end(ap);
    return -1;
}

int iommu_refuse(struct iommu_desc *d)
{
    d->vendor = IOMMU_NONE;
    d->nunits = d->nscopes = d->nregions = d->nats = 0;
    return -1;
}

static uint8_t sum8(const uint8_t *p, uint32_t n)
{
    uint8_t s = 0;

    for (uint32_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

uint32_t iommu_table_begin(struct iommu_desc *d, const uint8_t *t, size_t avail, const char sig[4],
                           uint32_t min_len)
{
    memset(d, 0, sizeof(*d));
    if (!t || avail < ACPI_SDT_HEADER_LEN) {
        iommu_fail(d, "%.4s: table header cut short (%zu bytes)", sig, t ? avail : 0);
        return 0;
    }
    if (memcmp(t, sig, 4) != 0) {
        iommu_fail(d, "%.4s: wrong signature", sig);
        return 0;
    }
    uint32_t len = iommu_rd32(t + 4);
    if (len < min_len || len > avail) {
        iommu_fail(d, "%.4s: bad length %u (at least %u, at most the %zu bytes mapped)", sig, len,
                   min_len, avail);
        return 0;
    }
    /* ACPI 6.5 5.2.6: the whole table sums to zero. */
    if (sum8(t, len) != 0) {
        iommu_fail(d, "%.4s: checksum is wrong", sig);
        return 0;
    }
    d->table_len = len;
    return len;
}

struct iommu_scope *iommu_add_scope(struct iommu_desc *d, uint8_t owner_kind, uint16_t owner,
                                    uint8_t kind, uint16_t segment, uint32_t src_off,
                                    uint32_t src_len)
{
    if (d->nscopes == IOMMU_MAX_SCOPES) {
        iommu_fail(d, "more than %u device scope entries (at offset %#x)", IOMMU_MAX_SCOPES,
                   (unsigned)src_off);
        return NULL;
    }
    struct iommu_scope *s = &d->scope[d->nscopes++];
    memset(s, 0, sizeof(*s));
    s->owner_kind = owner_kind;
    s->owner = owner;
    s->kind = kind;
    s->segment = segment;
    s->src_off = src_off;
    s->src_len = src_len;
    return s;
}

/* Scopes that name requester IDs a unit translates for (not I/O APICs,
 * HPETs or ACPI devices, whose IDs are for interrupt remapping only, and
 * not paths the parser could not resolve). */
static bool scope_covers_ids(const struct iommu_scope *s)
{
    if (s->flags & IOMMU_SF_UNRESOLVED)
        return false;
    return s->kind == IOMMU_SCOPE_DEVICE || s->kind == IOMMU_SCOPE_RANGE ||
           s->kind == IOMMU_SCOPE_BRIDGE;
}

/* Whether s names bdf: its first..last, or for a VT-d bridge scope whose
 * buses were read (iommu_dmar_resolve_paths) any device on them. */
static bool scope_lists(const struct iommu_scope *s, uint16_t segment, uint16_t bdf)
{
    bool below = s->kind == IOMMU_SCOPE_BRIDGE && s->sub_bus && (bdf >> 8) >= s->sec_bus &&
                 (bdf >> 8) <= s->sub_bus;
    return scope_covers_ids(s) && s->segment == segment &&
           ((bdf >= s->first && bdf <= s->last) || below);
}

int iommu_unit_for(const struct iommu_desc *d, uint16_t segment, uint16_t bdf)
{
    int found = IOMMU_LOOKUP_NONE;

    for (unsigned u = 0; u < d->nunits; u++) {
        const struct iommu_unit *un = &d->unit[u];
        for (unsigned i = un->first_scope; i < un->first_scope + un->nscopes; i++) {
            const struct iommu_scope *s = &d->scope[i];
            if (!scope_lists(s, segment, bdf))
                continue;
            if (found >= 0 && found != (int)u)
                return IOMMU_LOOKUP_AMBIGUOUS;
            found = (int)u;
        }
    }
    if (found >= 0)
        return found;
    /* VT-d 8.3: an INCLUDE_PCI_ALL unit takes every device no other unit
     * of its segment lists. */
    for (unsigned u = 0; u < d->nunits; u++)
        if ((d->unit[u].features & IOMMU_F_INCLUDE_ALL) && d->unit[u].segment == segment)
            return (int)u;
    return IOMMU_LOOKUP_NONE;
}

unsigned iommu_regions_for(const struct iommu_desc *d, uint16_t segment, uint16_t bdf,
                           unsigned *idx, unsigned max)
{
    unsigned n = 0;

    for (unsigned r = 0; r < d->nregions; r++) {
        const struct iommu_region *rg = &d->region[r];
        for (unsigned i = rg->first_scope; i < rg->first_scope + rg->nscopes && i < d->nscopes; i++) {
            const struct iommu_scope *s = &d->scope[i];
            if (!scope_lists(s, segment, bdf))
                continue;
            if (n < max)
                idx[n] = r;
            n++;
            break;
        }
    }
    return n;
}

int iommu_assignable(const struct iommu_desc *d, uint16_t segment, uint16_t bdf, char *why,
                     size_t n)
{
    char dev[24];
    int u = d->nunits ? iommu_unit_for(d, segment, bdf) : IOMMU_LOOKUP_NONE;

    snprintf(dev, sizeof(dev), "%04x:%02x:%02x.%x", segment, bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7);
    if (!d->nunits)
        snprintf(why, n, "device %s: no IOMMU on this machine: its DMA could not be confined", dev);
    else if (u == IOMMU_LOOKUP_AMBIGUOUS)
        snprintf(why, n, "device %s: two IOMMU units list it (a firmware error)", dev);
    else if (u < 0)
        snprintf(why, n, "device %s: no IOMMU unit lists it (or it sits behind a bridge path "
                 "not resolved yet)", dev);
    return u >= 0 ? u : -1;
}

bool iommu_find_overlap(const struct iommu_desc *d, unsigned *a, unsigned *b)
{
    for (unsigned i = 0; i < d->nscopes; i++) {
        const struct iommu_scope *s = &d->scope[i];
        if (s->owner_kind != IOMMU_OWNER_UNIT || !scope_covers_ids(s))
            continue;
        for (unsigned j = i + 1; j < d->nscopes; j++) {
            const struct iommu_scope *t = &d->scope[j];
            if (t->owner_kind != IOMMU_OWNER_UNIT || !scope_covers_ids(t) || t->owner == s->owner)
                continue;
            if (t->segment == s->segment && t->first <= s->last && s->first <= t->last) {
                *a = i;
                *b = j;
                return true;
            }
        }
    }
    return false;
}

static const char *const feature_names[] = { "IR", "x2APIC", "x2APIC-opt-out", "GA",
                                             "include-all", "EFR", "DMA-opt-in" };

int iommu_describe_unit(const struct iommu_desc *d, unsigned i, char *buf, size_t n)
{
    const struct iommu_unit *u = &d->unit[i];
    char where[32] = "", feat[96] = "";
    size_t f = 0;

    if (u->bdf != IOMMU_NO_BDF)
        snprintf(where, sizeof(where), " %02x:%02x.%x", u->bdf >> 8, (u->bdf >> 3) & 0x1f,
                 u->bdf & 7);
    for (unsigned b = 0; b < sizeof(feature_names) / sizeof(feature_names[0]); b++)
        if ((u->features & (1u << b)) && f < sizeof(feat))
            f += (size_t)snprintf(feat + f, sizeof(feat) - f, "%s%s", f ? " " : "",
                                  feature_names[b]);
    return snprintf(buf, n, "unit %u: %s at %#llx, segment %u%s, %u scope%s, features: %s", i,
                    u->vendor == IOMMU_AMD_VI ? "AMD-Vi" : "VT-d", (unsigned long long)u->base,
                    u->segment, where, u->nscopes, u->nscopes == 1 ? "" : "s",
                    f ? feat : "none stated");
}

int iommu_parse_table(const void *table, size_t avail, struct iommu_desc *d)
{
    const uint8_t *t = table;

    if (t && avail >= 4 && memcmp(t, "IVRS", 4) == 0)
        return iommu_parse_ivrs(table, avail, d);
    if (t && avail >= 4 && memcmp(t, "DMAR", 4) == 0)
        return iommu_parse_dmar(table, avail, d);
    memset(d, 0, sizeof(*d));
    return iommu_fail(d, "not an IVRS or DMAR table");
}

uint32_t iommu_host_max_apic_id;

bool iommu_wants_x2(bool offered, uint32_t max_apic_id)
{
    return offered && max_apic_id > 0xff;
}
