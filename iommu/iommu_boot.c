/* SPDX-License-Identifier: MIT */
/*
 * The IOMMUs at boot (iommu/iommu_boot.h): the firmware's IVRS or DMAR
 * through boot/acpi.c's table lookup, parsed by the pure parsers, then each
 * unit's queue brought up by its vendor's driver.  Hardware glue.
 */
#include <string.h>

#include "boot/acpi.h"
#include "hv/host/console.h"
#include "hv/host/pci_host.h"
#include "hv/host/time.h"
#include "hv/x86.h"
#include "iommu/iommu_boot.h"
#include "iommu/iommu_domain.h"

struct iommu_desc iommu_host;
bool iommu_queue_ready[IOMMU_MAX_UNITS];

bool iommu_poll32(const volatile uint32_t *p, uint32_t want, uint64_t timeout_us,
                  uint64_t *waited_us)
{
    uint64_t t0 = rdtsc(), limit = tsc_hz / 1000000 * timeout_us;
    bool done;

    while (!(done = *p == want) && rdtsc() - t0 < limit)
        cpu_relax();
    *waited_us = tsc_to_us(rdtsc() - t0);
    return done;
}

static const void *identity(void *ctx, uint64_t pa, size_t len)
{
    return (const void *)(uintptr_t)pa;
}

/* The table of this signature, or 0; *why is set when it is not there or
 * not sound. */
static uint64_t find(uint64_t rsdp_pa, const char sig[4], const char **why)
{
    return acpi_find_table(rsdp_pa, sig, identity, NULL, why);
}

/* acpi_find_table's reasons (boot/acpi.c) for a table that is not there (as opposed to
 * one that is there but broken). */
static bool absent(const char *why)
{
    return strcmp(why, "table not present") == 0 || strcmp(why, "no RSDP") == 0;
}

/* Finds and parses the IVRS or the DMAR; false (and one line) without. */
static uint8_t cfg8(void *ctx, uint16_t bdf, unsigned off)
{
    (void)ctx;
    return (uint8_t)pci_host_read(bdf, off, 1);
}

/* DMAR scopes with paths through bridges, from the bridges' secondary bus
 * numbers as the firmware programmed them (iommu_dmar_resolve_paths). */
static void resolve_paths(const uint8_t *t, uint32_t len)
{
    unsigned left = 0, n = iommu_dmar_resolve_paths(&iommu_host, t, len, cfg8, NULL);

    for (unsigned i = 0; i < iommu_host.nscopes; i++)
        left += (iommu_host.scope[i].flags & IOMMU_SF_UNRESOLVED) != 0;
    for (unsigned i = 0; i < iommu_host.nscopes; i++) {
        const struct iommu_scope *s = &iommu_host.scope[i];
        if (s->sub_bus)
            log_info("iommu: DMAR: bridge %02x:%02x.%x covers buses %02x..%02x", s->first >> 8,
                     (s->first >> 3) & 0x1f, s->first & 7, s->sec_bus, s->sub_bus);
    }
    if (n || left)
        log_info("iommu: DMAR: %u device scope%s through bridges resolved from configuration "
                 "space, %u not (no bridge, no function or an unnumbered bus on the path)",
                 n, n == 1 ? "" : "s", left);
}

static bool discover(uint64_t rsdp_pa)
{
    const char *why_ivrs = "", *why_dmar = "";
    uint64_t ivrs = find(rsdp_pa, "IVRS", &why_ivrs), dmar = find(rsdp_pa, "DMAR", &why_dmar);
    bool ivrs_absent = !ivrs && absent(why_ivrs), dmar_absent = !dmar && absent(why_dmar);

    if (!rsdp_pa || (ivrs_absent && dmar_absent)) {
        log_info("iommu: none (no %s): Keel runs without an IOMMU",
                 rsdp_pa ? "IVRS or DMAR table" : "ACPI tables");
        return false;
    }
    if (!ivrs && !dmar) {
        log_warn("iommu: %s refused (%s): Keel runs without an IOMMU", ivrs_absent ? "DMAR" : "IVRS",
                 ivrs_absent ? why_dmar : why_ivrs);
        return false;
    }
    if (ivrs && dmar)
        log_warn("iommu: both an IVRS and a DMAR: using the IVRS");
    uint64_t pa = ivrs ? ivrs : dmar;
    const uint8_t *t = (const uint8_t *)(uintptr_t)pa;
    uint32_t len;
    memcpy(&len, t + 4, 4); /* acpi_find_table checked the header and the checksum */
    if (iommu_parse_table(t, len, &iommu_host)) {
        log_warn("iommu: %s refused: %s: Keel runs without an IOMMU", ivrs ? "IVRS" : "DMAR",
                 iommu_host.why);
        return false;
    }
    if (!ivrs)
        resolve_paths(t, len);
    return true;
}

static void report(const struct iommu_desc *d)
{
    char line[200];
    unsigned a, b;

    log_info("iommu: %s: %u unit%s, %u device scope%s, %u reserved region%s (%u entries of "
             "unknown types skipped, %u IVHDs superseded)",
             d->vendor == IOMMU_AMD_VI ? "IVRS" : "DMAR", d->nunits, d->nunits == 1 ? "" : "s",
             d->nscopes, d->nscopes == 1 ? "" : "s", d->nregions, d->nregions == 1 ? "" : "s",
             d->skipped, d->superseded);
    for (unsigned i = 0; i < d->nunits; i++) {
        iommu_describe_unit(d, i, line, sizeof(line));
        log_info("iommu: %s", line);
    }
    for (unsigned i = 0; i < d->nscopes; i++)
        log_debug("iommu: scope %u of %s %u: kind %u, %02x:%02x.%x..%02x:%02x.%x, flags %#x, "
                  "id %u, table offset %#x",
                  i, d->scope[i].owner_kind == IOMMU_OWNER_UNIT     ? "unit"
                     : d->scope[i].owner_kind == IOMMU_OWNER_REGION ? "region" : "ATS entry",
                  d->scope[i].owner, d->scope[i].kind, d->scope[i].first >> 8, (d->scope[i].first >> 3) & 0x1f,
                  d->scope[i].first & 7, d->scope[i].last >> 8, (d->scope[i].last >> 3) & 0x1f,
                  d->scope[i].last & 7, d->scope[i].flags, d->scope[i].enum_id,
                  d->scope[i].src_off);
    for (unsigned i = 0; i < d->nregions; i++)
        log_info("iommu: reserved region %u: %#llx..%#llx for %u device scope%s", i,
                 (unsigned long long)d->region[i].base,
                 (unsigned long long)(d->region[i].base + d->region[i].length - 1),
                 d->region[i].nscopes, d->region[i].nscopes == 1 ? "" : "s");
    if (iommu_find_overlap(d, &a, &b))
        log_warn("iommu: units %u and %u both list device %02x:%02x.%x (table offsets %#x, %#x): "
                 "such devices cannot be assigned",
                 d->scope[a].owner, d->scope[b].owner, d->scope[b].first >> 8,
                 (d->scope[b].first >> 3) & 0x1f, d->scope[b].first & 7, d->scope[a].src_off,
                 d->scope[b].src_off);
}

void iommu_boot(uint64_t rsdp_pa, iommu_alloc_fn alloc)
{
    memset(&iommu_host, 0, sizeof(iommu_host));
    if (!discover(rsdp_pa)) {
        memset(&iommu_host, 0, sizeof(iommu_host));
        return;
    }
    report(&iommu_host);
    for (unsigned i = 0; i < iommu_host.nunits; i++) {
        const struct iommu_unit *u = &iommu_host.unit[i];
        int r = u->vendor == IOMMU_AMD_VI ? amdvi_unit_init(i, u, alloc) : vtd_unit_init(i, u, alloc);
        iommu_queue_ready[i] = r == 0;
    }
}

/* ---- Domains (iommu/iommu_domain.h): the vendor chosen per unit ---- */

static bool usable(unsigned unit)
{
    return unit < iommu_host.nunits && iommu_queue_ready[unit];
}

const struct iopt_format *iommu_table_format(unsigned unit, unsigned *levels, bool *coherent)
{
    if (!usable(unit))
        return NULL;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI ? amdvi_table_format(unit, levels, coherent)
                                                        : vtd_table_format(unit, levels, coherent);
}

void iommu_sync(const void *p, unsigned len)
{
    uintptr_t a = (uintptr_t)p & ~(uintptr_t)63, end = (uintptr_t)p + len;

    for (; a < end; a += 64)
        __asm__ volatile("clflush (%0)" ::"r"(a) : "memory");
    __asm__ volatile("mfence" ::: "memory");
}

int iommu_attach(unsigned unit, uint16_t bdf, uint16_t domain, uint64_t root, unsigned levels,
                 const char *caller)
{
    if (!usable(unit))
        return -1;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI
               ? amdvi_attach(unit, bdf, domain, root, levels, caller)
               : vtd_attach(unit, bdf, domain, root, levels, caller);
}

int iommu_detach(unsigned unit, uint16_t bdf, uint16_t domain, const char *caller)
{
    if (!usable(unit))
        return -1;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI ? amdvi_detach(unit, bdf, domain, caller)
                                                        : vtd_detach(unit, bdf, domain, caller);
}

unsigned iommu_poll_faults(unsigned unit, iommu_fault_fn fn, void *ctx)
{
    if (!usable(unit))
        return 0;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI ? amdvi_poll_faults(unit, fn, ctx)
                                                        : vtd_poll_faults(unit, fn, ctx);
}

bool iommu_msi_remaps(unsigned unit)
{
    if (!usable(unit))
        return false;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI ? amdvi_msi_remaps(unit) : vtd_msi_remaps(unit);
}

int iommu_msi_remap(unsigned unit, uint16_t bdf, uint8_t vector, uint32_t dest, const char *caller,
                    uint64_t *addr, uint32_t *data)
{
    if (!iommu_msi_remaps(unit))
        return 1;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI
               ? amdvi_msi_remap(unit, bdf, vector, dest, caller, addr, data)
               : vtd_msi_remap(unit, bdf, vector, dest, caller, addr, data);
}

bool iommu_msi_posts(unsigned unit, bool *x2)
{
    *x2 = false;
    if (!iommu_msi_remaps(unit))
        return false;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI ? amdvi_msi_posts(unit, x2)
                                                        : vtd_msi_posts(unit, x2);
}

int iommu_irte_set(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                   const char *caller, uint64_t *addr, uint32_t *data)
{
    if (!iommu_msi_remaps(unit))
        return 1;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI
               ? amdvi_irte_set(unit, bdf, index, lo, hi, caller, addr, data)
               : vtd_irte_set(unit, bdf, index, lo, hi, caller, addr, data);
}

int iommu_irte_place(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                     bool wide, const char *caller)
{
    if (!usable(unit) || iommu_host.unit[unit].vendor != IOMMU_AMD_VI)
        return -1;
    return amdvi_irte_place(unit, bdf, index, lo, hi, wide, caller);
}

int iommu_fault_irq_setup(unsigned unit, uint8_t vector, uint32_t dest)
{
    if (!usable(unit))
        return -1;
    return iommu_host.unit[unit].vendor == IOMMU_AMD_VI ? amdvi_fault_irq_setup(unit, vector, dest)
                                                        : vtd_fault_irq_setup(unit, vector, dest);
}

int iommu_ga_poll(unsigned unit, bool in_irq, iommu_ga_fn fn, void *ctx)
{
    if (!usable(unit) || iommu_host.unit[unit].vendor != IOMMU_AMD_VI)
        return 0;
    return amdvi_ga_poll(unit, in_irq, fn, ctx);
}

int iommu_ga_irq_setup(unsigned unit, uint8_t vector, uint32_t dest)
{
    if (!usable(unit) || iommu_host.unit[unit].vendor != IOMMU_AMD_VI)
        return 0;
    return amdvi_ga_irq_setup(unit, vector, dest);
}
