/* SPDX-License-Identifier: MIT */
/*
 * Register access for the IOMMU drivers: the units' register windows are
 * identity-mapped (below 4 GiB by the firmware's page tables, then by
 * Keel's, boot/paging.c) and uncached through the MTRRs.  Internal to
 * iommu/.
 */
#ifndef KEEL_IOMMU_IOMMU_MMIO_H
#define KEEL_IOMMU_IOMMU_MMIO_H

#include <stdint.h>

static inline uint32_t iommu_rd32_mmio(uint64_t base, uint32_t off)
{
    return *(volatile uint32_t *)(uintptr_t)(base + off);
}

static inline uint64_t iommu_rd64_mmio(uint64_t base, uint32_t off)
{
    return *(volatile uint64_t *)(uintptr_t)(base + off);
}

static inline void iommu_wr32_mmio(uint64_t base, uint32_t off, uint32_t v)
{
    *(volatile uint32_t *)(uintptr_t)(base + off) = v;
}

static inline void iommu_wr64_mmio(uint64_t base, uint32_t off, uint64_t v)
{
    *(volatile uint64_t *)(uintptr_t)(base + off) = v;
}

#endif /* KEEL_IOMMU_IOMMU_MMIO_H */
