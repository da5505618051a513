/* SPDX-License-Identifier: MIT */
/*
 * The physical page allocator: a sorted list of free ranges of 4 KiB pages
 * in a fixed-size array (no allocation of its own, so it can run before
 * anything else exists).
 *
 * Boot feeds it from the UEFI memory map after ExitBootServices: every usable
 * range is added with page_alloc_add(), then the ranges Keel must not hand
 * out (its own image, the memory map, ...) are taken back out with
 * page_alloc_reserve().  Blocks come from the highest-addressed range that
 * fits, so low memory stays free for what needs it (the AP trampoline below
 * 1 MiB, 32-bit-addressable tables).
 *
 * Physical page 0 is never handed out: page_alloc_add() drops it, and
 * page_alloc_get() uses 0 to mean failure.
 *
 * Locking: none inside.  The caller serialises every call on one
 * struct page_alloc (the hypervisor wraps it in a spinlock).
 */
#ifndef KEEL_HV_PAGE_ALLOC_H
#define KEEL_HV_PAGE_ALLOC_H

#include <stddef.h>
#include <stdint.h>

#define PAGE_ALLOC_PAGE_SHIFT   12
#define PAGE_ALLOC_PAGE_SIZE    4096ull
/* Free ranges the array holds; a UEFI map has well under a hundred. */
#define PAGE_ALLOC_MAX_RANGES   256
/* Physical addresses are at most 52 bits wide (CPUID 0x80000008 EAX[7:0];
 * SDM vol. 3A "Paging", APM vol. 2 "Page Translation and Protection").
 * Ranges beyond are refused. */
#define PAGE_ALLOC_ADDR_LIMIT   (1ull << 52)

/* Errors (negative, errno-valued). */
#define PAGE_ALLOC_EINVAL   (-22) /* unaligned, empty, overflowing, page 0 */
#define PAGE_ALLOC_EEXIST   (-17) /* overlaps pages that are already free */
#define PAGE_ALLOC_ENOSPC   (-28) /* the range array is full */

/* One free range: [base, end), both page-aligned, end > base. */
struct page_range {
    uint64_t base;
    uint64_t end;
};

/* 4 KiB: keep it in static storage, not on the stack. */
struct page_alloc {
    size_t nranges;                                 /* used entries of range[] */
    struct page_range range[PAGE_ALLOC_MAX_RANGES]; /* sorted by base, disjoint,
                                                       never adjacent (merged) */
};

/* Makes *pa empty. */
void page_alloc_init(struct page_alloc *pa);

/*
 * Adds npages free pages at base (page-aligned), merging with adjacent
 * ranges.  Page 0 is silently left out.  Returns 0, or PAGE_ALLOC_EINVAL
 * (unaligned, npages == 0, past PAGE_ALLOC_ADDR_LIMIT), PAGE_ALLOC_EEXIST
 * (overlaps a free range) or PAGE_ALLOC_ENOSPC (needs a new entry and the
 * array is full); on error nothing changes.
 */
int page_alloc_add(struct page_alloc *pa, uint64_t base, uint64_t npages);

/*
 * Removes whatever part of [base, base + npages pages) is free, splitting a
 * range when the reservation falls inside it.  The reservation is always
 * carried out.  Returns 0, PAGE_ALLOC_EINVAL (bad arguments; nothing
 * changes), or PAGE_ALLOC_ENOSPC: a split needed a new entry and the array
 * was full, so the smaller of the two remaining pieces was dropped (those
 * free pages are lost, never handed out wrongly).
 */
int page_alloc_reserve(struct page_alloc *pa, uint64_t base, uint64_t npages);

/*
 * Takes npages contiguous pages whose address is a multiple of align_pages
 * pages (a power of two; 0 means 1) and whose last byte lies below limit
 * (0 = no limit), from the highest-addressed range where they fit, at the
 * highest address there.  Returns the physical address, or 0 when no block
 * fits (or the arguments are bad).  When the array is full, a block that
 * would split a range is placed at the range's base instead if that
 * satisfies the constraints, otherwise that range is skipped.
 */
uint64_t page_alloc_get(struct page_alloc *pa, uint64_t npages, uint64_t align_pages,
                        uint64_t limit);

/*
 * Gives back npages pages at base.  Returns 0, PAGE_ALLOC_EINVAL (bad
 * arguments, base 0), PAGE_ALLOC_EEXIST (some page is already free: a
 * double put) or PAGE_ALLOC_ENOSPC (array full); on error nothing changes.
 */
int page_alloc_put(struct page_alloc *pa, uint64_t base, uint64_t npages);

/* Total free pages. */
uint64_t page_alloc_free_pages(const struct page_alloc *pa);

/*
 * Writes the free ranges, one per line
 * ("  0x0000000000100000-0x000000000019ffff  160 pages\n"), then a total line
 * ("  1234 free pages in 3 ranges\n"), into buf, truncating like snprintf
 * (buf is always NUL-terminated when len > 0).  Returns the length of the
 * whole text, excluding the NUL.
 */
size_t page_alloc_dump(const struct page_alloc *pa, char *buf, size_t len);

#endif /* KEEL_HV_PAGE_ALLOC_H */
