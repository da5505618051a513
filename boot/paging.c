/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor's own page tables: an identity map of all physical memory
 * (and everything below 4 GiB, where the APICs and other MMIO live) with
 * 2 MiB pages, built before ExitBootServices in pages the firmware will not
 * reuse.  Caching comes from the MTRRs the firmware set (MMIO ranges are
 * UC there; SDM 12.11.4.1: UC in an MTRR wins over a WB PAT entry).
 */
#include <efi.h>
#include <efilib.h>

#include "boot/boot.h"
#include "boot/efi_util.h"
#include "hv/host/console.h"

#define PTE_P  (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define GIB (1ull << 30)
#define MAX_MAP (512ull * GIB) /* one PDPT */

static uint64_t top_of_memory(void)
{
    UINTN n, key, dsize;
    UINT32 dver;
    EFI_MEMORY_DESCRIPTOR *map = LibMemoryMap(&n, &key, &dsize, &dver);
    uint64_t top = 4 * GIB;
    if (!map)
        return top;
    for (UINTN i = 0; i < n; i++) {
        EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)((uint8_t *)map + i * dsize);
        uint64_t end = d->PhysicalStart + d->NumberOfPages * 4096;
        if (end > top)
            top = end;
    }
    FreePool(map);
    return top;
}

int host_paging_build(void)
{
    uint64_t limit = (top_of_memory() + GIB - 1) & ~(GIB - 1);
    if (limit > MAX_MAP) {
        log_warn("memory above 512 GiB is not mapped (Keel maps the first 512 GiB)");
        limit = MAX_MAP;
    }
    uint64_t npd = limit / GIB;
    uint64_t pages = 2 + npd;
    uint64_t pa = efi_alloc_pages_below(pages, 0xffffffffull);
    if (!pa) {
        log_err("error: no memory below 4 GiB for the hypervisor's page tables");
        return -1;
    }
    uint64_t *pml4 = (uint64_t *)(uintptr_t)pa, *pdpt = pml4 + 512, *pd = pdpt + 512;
    for (uint64_t i = 0; i < pages * 512; i++)
        pml4[i] = 0;
    pml4[0] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_RW;
    for (uint64_t g = 0; g < npd; g++) {
        pdpt[g] = (uint64_t)(uintptr_t)(pd + 512 * g) | PTE_P | PTE_RW;
        for (uint64_t m = 0; m < 512; m++)
            pd[512 * g + m] = (g * GIB + m * (2ull << 20)) | PTE_P | PTE_RW | PTE_PS;
    }
    boot.pml4_pa = pa;
    boot.map_limit = limit;
    log_debug("host page tables at %#lx map %lu GiB", (unsigned long)pa, (unsigned long)npd);
    return 0;
}
