/* SPDX-License-Identifier: MIT */
#include "hv/mm/mem.h"

#include <string.h>

#include "hv/host/panic.h"
#include "hv/host/spinlock.h"

static struct page_alloc mem_pa;       /* protected by mem_lock */
static struct spinlock mem_lock = SPINLOCK_INIT;

void mem_init(void)
{
    page_alloc_init(&mem_pa);
}

int mem_add_range(uint64_t base, uint64_t npages)
{
    spin_lock(&mem_lock);
    int r = page_alloc_add(&mem_pa, base, npages);
    spin_unlock(&mem_lock);
    return r;
}

void mem_reserve_range(uint64_t base, uint64_t npages)
{
    spin_lock(&mem_lock);
    page_alloc_reserve(&mem_pa, base, npages);
    spin_unlock(&mem_lock);
}

void *mem_try_alloc(uint64_t npages, uint64_t align_pages, uint64_t limit)
{
    spin_lock(&mem_lock);
    uint64_t pa = page_alloc_get(&mem_pa, npages, align_pages ? align_pages : 1, limit);
    spin_unlock(&mem_lock);
    if (!pa)
        return NULL;
    void *p = phys_to_virt(pa);
    memset(p, 0, npages * PAGE_SIZE);
    return p;
}

void *mem_alloc_pages(uint64_t npages, const char *what)
{
    void *p = mem_try_alloc(npages, 1, 0);
    if (!p)
        panic("out of memory allocating %s (%lu pages, %lu free)", what,
              (unsigned long)npages, (unsigned long)mem_free_total());
    return p;
}

void mem_free_pages(void *p, uint64_t npages)
{
    spin_lock(&mem_lock);
    page_alloc_put(&mem_pa, virt_to_phys(p), npages);
    spin_unlock(&mem_lock);
}

uint64_t mem_free_total(void)
{
    spin_lock(&mem_lock);
    uint64_t n = page_alloc_free_pages(&mem_pa);
    spin_unlock(&mem_lock);
    return n;
}
