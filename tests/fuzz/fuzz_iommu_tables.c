/* SPDX-License-Identifier: MIT */
/*
 * iommu/amd/ivrs.c and iommu/vtd/dmar.c: the firmware's IVRS and DMAR are
 * read before Keel owns the machine, and a broken firmware must not break
 * Keel.  Input: byte 0 chooses the table (bit 0: IVRS or DMAR) and whether
 * the harness fixes its signature, length and checksum (bit 1, so that the
 * fuzzer reaches the structures); the rest is the table, given to the
 * parser as an exact-size heap copy (reading past it is an ASan report).
 * Invariants: a refusal says why in one line and describes nothing; an
 * accepted table has 1..16 units, each with a non-zero 4 KiB aligned base,
 * and every unit, region, ATS entry and scope comes from bytes inside the
 * table (a scope inside its owner's structure); scopes are grouped by
 * owner with first <= last; the lookup answers with a unit that lists the
 * device or includes all (and iommu_assignable agrees, or says why not),
 * and parsing is deterministic.
 */
#include "fuzz.h"
#include "iommu/iommu.h"

static struct iommu_desc d, d2;

static void check_refused(void)
{
    FUZZ_ASSERT(d.why[0] != '\0');
    FUZZ_ASSERT(memchr(d.why, '\n', sizeof(d.why)) == NULL);
    FUZZ_ASSERT(d.vendor == IOMMU_NONE && d.nunits == 0 && d.nscopes == 0 && d.nregions == 0 &&
                d.nats == 0);
}

static void check_span(uint32_t off, uint32_t len, uint32_t in_off, uint32_t in_len)
{
    FUZZ_ASSERT(len > 0 && off >= in_off && off - in_off <= in_len && len <= in_len - (off - in_off));
}

/* Scopes first..first+n all belong to (kind, owner) and lie inside its bytes. */
static void check_scopes(uint16_t first, uint16_t n, uint8_t kind, unsigned owner,
                         uint32_t off, uint32_t len)
{
    FUZZ_ASSERT((unsigned)first + n <= d.nscopes);
    for (unsigned i = first; i < (unsigned)first + n; i++) {
        const struct iommu_scope *s = &d.scope[i];
        FUZZ_ASSERT(s->owner_kind == kind && s->owner == owner);
        FUZZ_ASSERT(s->first <= s->last);
        FUZZ_ASSERT(s->kind >= IOMMU_SCOPE_DEVICE && s->kind <= IOMMU_SCOPE_ACPI);
        check_span(s->src_off, s->src_len, off, len);
    }
}

static void check_lookup(uint16_t seg, uint16_t bdf)
{
    int u = iommu_unit_for(&d, seg, bdf);

    FUZZ_ASSERT(u == IOMMU_LOOKUP_NONE || u == IOMMU_LOOKUP_AMBIGUOUS ||
                (u >= 0 && (unsigned)u < d.nunits));
    char why[160] = "";
    int a = iommu_assignable(&d, seg, bdf, why, sizeof(why));
    FUZZ_ASSERT(a == (u >= 0 ? u : -1) && (a >= 0 || why[0] != '\0'));
    if (u < 0)
        return;
    bool listed = (d.unit[u].features & IOMMU_F_INCLUDE_ALL) && d.unit[u].segment == seg;
    for (unsigned i = d.unit[u].first_scope; i < d.unit[u].first_scope + d.unit[u].nscopes; i++)
        listed |= d.scope[i].segment == seg && d.scope[i].first <= bdf && bdf <= d.scope[i].last;
    FUZZ_ASSERT(listed);
}

static void check_accepted(uint8_t vendor, uint32_t len)
{
    unsigned counted = 0;
    char line[256];

    FUZZ_ASSERT(d.vendor == vendor && d.table_len == len);
    FUZZ_ASSERT(d.nunits >= 1 && d.nunits <= IOMMU_MAX_UNITS && d.nscopes <= IOMMU_MAX_SCOPES &&
                d.nregions <= IOMMU_MAX_REGIONS && d.nats <= IOMMU_MAX_ATS);
    for (unsigned u = 0; u < d.nunits; u++) {
        const struct iommu_unit *un = &d.unit[u];
        FUZZ_ASSERT(un->vendor == vendor && un->base && !(un->base & 0xfff));
        check_span(un->src_off, un->src_len, 48, len - 48);
        check_scopes(un->first_scope, un->nscopes, IOMMU_OWNER_UNIT, u, un->src_off, un->src_len);
        counted += un->nscopes;
        int n = iommu_describe_unit(&d, u, line, sizeof(line));
        FUZZ_ASSERT(n > 0 && (size_t)n < sizeof(line) && strlen(line) == (size_t)n);
    }
    for (unsigned r = 0; r < d.nregions; r++) {
        const struct iommu_region *rg = &d.region[r];
        FUZZ_ASSERT(rg->length && rg->base + rg->length - 1 >= rg->base);
        check_span(rg->src_off, rg->src_len, 48, len - 48);
        check_scopes(rg->first_scope, rg->nscopes, IOMMU_OWNER_REGION, r, rg->src_off, rg->src_len);
        counted += rg->nscopes;
    }
    for (unsigned a = 0; a < d.nats; a++) {
        const struct iommu_ats *at = &d.ats[a];
        check_span(at->src_off, at->src_len, 48, len - 48);
        check_scopes(at->first_scope, at->nscopes, IOMMU_OWNER_ATS, a, at->src_off, at->src_len);
        counted += at->nscopes;
    }
    FUZZ_ASSERT(counted == d.nscopes); /* every scope has exactly one owner */
    for (unsigned i = 0; i < d.nscopes && i < 32; i++) {
        check_lookup(d.scope[i].segment, d.scope[i].first);
        check_lookup(d.scope[i].segment, d.scope[i].last);
    }
    check_lookup(0, 0);
    unsigned a, b;
    if (iommu_find_overlap(&d, &a, &b))
        FUZZ_ASSERT(a < b && b < d.nscopes && d.scope[a].owner != d.scope[b].owner);
}

/* The second parse of the same bytes (d2) says what the first (d) said. */
static void check_same(void)
{
    FUZZ_ASSERT(d2.nunits == d.nunits && d2.nscopes == d.nscopes && d2.nregions == d.nregions &&
                d2.skipped == d.skipped && strcmp(d2.why, d.why) == 0);
    for (unsigned u = 0; u < d.nunits; u++)
        FUZZ_ASSERT(d2.unit[u].base == d.unit[u].base && d2.unit[u].features == d.unit[u].features &&
                    d2.unit[u].nscopes == d.unit[u].nscopes);
    for (unsigned i = 0; i < d.nscopes; i++)
        FUZZ_ASSERT(d2.scope[i].kind == d.scope[i].kind && d2.scope[i].first == d.scope[i].first &&
                    d2.scope[i].last == d.scope[i].last && d2.scope[i].src_off == d.scope[i].src_off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1 || size > 1 << 14)
        return 0;
    uint8_t mode = data[0];
    size_t n = size - 1;
    uint8_t *t = malloc(n ? n : 1);
    memcpy(t, data + 1, n);
    const char *sig = mode & 1 ? "DMAR" : "IVRS";
    if ((mode & 2) && n >= 36) {
        uint32_t len = (uint32_t)n;
        uint8_t sum = 0;
        memcpy(t, sig, 4);
        memcpy(t + 4, &len, 4);
        t[9] = 0;
        for (size_t i = 0; i < n; i++)
            sum = (uint8_t)(sum + t[i]);
        t[9] = (uint8_t)(0 - sum);
    }
    int r = mode & 1 ? iommu_parse_dmar(t, n, &d) : iommu_parse_ivrs(t, n, &d);
    if (r < 0) {
        check_refused();
    } else {
        FUZZ_ASSERT(r == 0);
        uint32_t len;
        memcpy(&len, t + 4, 4);
        check_accepted(mode & 1 ? IOMMU_VTD : IOMMU_AMD_VI, len);
    }
    if (n >= 4 && memcmp(t, sig, 4) == 0)
        FUZZ_ASSERT(iommu_parse_table(t, n, &d2) == r);
    FUZZ_ASSERT((mode & 1 ? iommu_parse_dmar(t, n, &d2) : iommu_parse_ivrs(t, n, &d2)) == r);
    check_same();
    free(t);
    return 0;
}
