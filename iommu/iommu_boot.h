/* SPDX-License-Identifier: MIT */
/*
 * The platform's IOMMUs at boot: find the IVRS or DMAR, log one line per
 * unit, and bring up each unit's queue (AMD-Vi command buffer and event
 * log, VT-d invalidation queue) checked with a completion wait.  Nothing
 * here remaps the host's DMA or interrupts: an AMD-Vi unit runs with an
 * all-zero device table (every device passes through untranslated, #48882
 * 2.2.2.1: V=0), a VT-d unit with translation and interrupt remapping off.
 * See docs/iommu.md.
 */
#ifndef KEEL_IOMMU_IOMMU_BOOT_H
#define KEEL_IOMMU_IOMMU_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/iommu.h"

/* Pages for the units' tables and queues: npages contiguous 4 KiB pages,
 * 4 KiB aligned, below 4 GiB, that Keel keeps for good; 0 when none. */
typedef uint64_t (*iommu_alloc_fn)(uint64_t npages);

/* What the platform has: iommu_host.vendor IOMMU_NONE when Keel runs
 * without an IOMMU (no table, or a table refused). */
extern struct iommu_desc iommu_host;
/* Unit i's queue answered a completion wait at boot. */
extern bool iommu_queue_ready[IOMMU_MAX_UNITS];

/* Called once before any VM exists, with boot services still up.  Never
 * fails Keel: every problem is one log line and Keel goes on without the
 * IOMMU (or without that unit's queue). */
void iommu_boot(uint64_t rsdp_pa, iommu_alloc_fn alloc);

/* Polls *p until it reads want, at most timeout_us microseconds (TSC).
 * true when it did; *waited_us says how long it took. */
bool iommu_poll32(const volatile uint32_t *p, uint32_t want, uint64_t timeout_us,
                  uint64_t *waited_us);

/* The vendors' bring-up (iommu/amd/amdvi.c, iommu/vtd/vtd.c): 0, or -1
 * after logging what failed (register, field, caller). */
int amdvi_unit_init(unsigned index, const struct iommu_unit *u, iommu_alloc_fn alloc);
int vtd_unit_init(unsigned index, const struct iommu_unit *u, iommu_alloc_fn alloc);

#endif /* KEEL_IOMMU_IOMMU_BOOT_H */
