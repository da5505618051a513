/* SPDX-License-Identifier: MIT */
/*
 * Register access for the IOMMU drivers: the units' register windows are
 * identity-mapped (below 4 GiB by the firmware's page tables, then by
 * Keel's, boot/paging.c) and uncached through the MTRRs.  Internal to
 * iommu/.
 */
#ifndef KEEL_IOMMU_IOMMU_MMIO_H
#define KEEL_IOMMU_IOMMU_MMIO_H

#include <stdbool.h>
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

/* Replaces a 128-bit table entry (an IRTE) in one locked CMPXCHG16B, so
 * the unit never reads half an old and half a new entry: AMD-Vi guest-mode
 * and VT-d posted IRTEs change while the device may be signalling (VT-d
 * 9.11 asks for a 128-bit atomic update of a present posted IRTE; AMD-Vi
 * 2.2.5.2 leaves no safe two-store order between the forms).  p is
 * 16-byte aligned (every IRTE is). */
static inline void iommu_store128(volatile uint64_t *p, uint64_t lo, uint64_t hi)
{
    uint64_t old_lo = p[0], old_hi = p[1];
    bool done;

    do {
        __asm__ volatile("lock cmpxchg16b %1"
                         : "=@ccz"(done), "+m"(*(volatile unsigned __int128 *)p),
                           "+a"(old_lo), "+d"(old_hi)
                         : "b"(lo), "c"(hi)
                         : "memory");
    } while (!done);
}

#endif /* KEEL_IOMMU_IOMMU_MMIO_H */
