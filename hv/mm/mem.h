/* SPDX-License-Identifier: MIT */
/*
 * hv/mm/: memory.  The physical page allocator (page_alloc.c, pure and
 * host-tested) behind the locked hypervisor interface of this header
 * (mem.c), and the nested page tables in both formats, AMD NPT and Intel
 * EPT (npt.c, pure and host-tested: it builds tables in memory the caller
 * gives; the vendors load the root and flush).
 */
/*
 * Physical memory for the hypervisor after ExitBootServices: the page
 * allocator (hv/mm/page_alloc.c) behind one lock.  Keel identity-maps all of
 * physical memory, so a physical address is also a usable pointer.
 */
#ifndef KEEL_HV_MEM_H
#define KEEL_HV_MEM_H

#include <stddef.h>
#include <stdint.h>

#include "hv/mm/page_alloc.h"

#define PAGE_SIZE 4096ull

void mem_init(void);
int mem_add_range(uint64_t base, uint64_t npages);
void mem_reserve_range(uint64_t base, uint64_t npages);
/* Zeroed pages; NULL when memory is short. */
void *mem_try_alloc(uint64_t npages, uint64_t align_pages, uint64_t limit);
/* Zeroed pages for the hypervisor's own use; panics naming `what` on failure. */
void *mem_alloc_pages(uint64_t npages, const char *what);
void mem_free_pages(void *p, uint64_t npages);
uint64_t mem_free_total(void);

static inline uint64_t virt_to_phys(const void *p) { return (uint64_t)(uintptr_t)p; }
static inline void *phys_to_virt(uint64_t pa) { return (void *)(uintptr_t)pa; }

#endif /* KEEL_HV_MEM_H */
