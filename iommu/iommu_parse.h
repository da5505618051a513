/* SPDX-License-Identifier: MIT */
/*
 * What the two table parsers (iommu/amd/ivrs.c, iommu/vtd/dmar.c) share:
 * little-endian reads from a table already known to hold the bytes, the
 * ACPI header check, and bounded appends to the description.  Internal to
 * iommu/.
 */
#ifndef KEEL_IOMMU_IOMMU_PARSE_H
#define KEEL_IOMMU_IOMMU_PARSE_H

#include <stdint.h>
#include <string.h>

#include "iommu/iommu.h"

/* ACPI 6.5 5.2.6: the system description table header. */
#define ACPI_SDT_HEADER_LEN 36

static inline uint16_t iommu_rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static inline uint32_t iommu_rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t iommu_rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* Sets d->why (printf-style) and returns -1. */
int iommu_fail(struct iommu_desc *d, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears d, then checks the header of the table at t: the signature, a
 * length of at least min_len that fits in avail, the checksum.  The
 * table's length, or 0 with d->why set. */
uint32_t iommu_table_begin(struct iommu_desc *d, const uint8_t *t, size_t avail, const char sig[4],
                           uint32_t min_len);

/* Appends a scope of owner (an enum iommu_owner and its index) with the
 * given kind and source; the other fields zero.  NULL with d->why when the
 * array is full. */
struct iommu_scope *iommu_add_scope(struct iommu_desc *d, uint8_t owner_kind, uint16_t owner,
                                    uint8_t kind, uint16_t segment, uint32_t src_off,
                                    uint32_t src_len);

/* Marks a refused table: no units, regions, scopes or ATS entries. */
int iommu_refuse(struct iommu_desc *d);

#endif /* KEEL_IOMMU_IOMMU_PARSE_H */
