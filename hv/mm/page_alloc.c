/* SPDX-License-Identifier: MIT */
/*
 * The physical page allocator (see page_alloc.h).  The free list is an
 * array of [base, end) ranges kept sorted by address, disjoint, and merged
 * (no two ranges touch), so it is at most as long as the number of holes.
 * Every operation is a linear scan: the array is small and allocations are
 * rare (VM creation, page tables).
 */
#include "hv/mm/page_alloc.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define PAGE_MASK (PAGE_ALLOC_PAGE_SIZE - 1)

void page_alloc_init(struct page_alloc *pa)
{
    pa->nranges = 0;
    memset(pa->range, 0, sizeof(pa->range));
}

/* Checks (base, npages) and computes the end address.  True when valid. */
static bool range_args(uint64_t base, uint64_t npages, uint64_t *end)
{
    if ((base & PAGE_MASK) != 0 || npages == 0 || base >= PAGE_ALLOC_ADDR_LIMIT)
        return false;
    if (npages > (PAGE_ALLOC_ADDR_LIMIT - base) >> PAGE_ALLOC_PAGE_SHIFT)
        return false;
    *end = base + (npages << PAGE_ALLOC_PAGE_SHIFT);
    return true;
}

static void insert_at(struct page_alloc *pa, size_t i, uint64_t base, uint64_t end)
{
    memmove(&pa->range[i + 1], &pa->range[i], (pa->nranges - i) * sizeof(pa->range[0]));
    pa->range[i].base = base;
    pa->range[i].end = end;
    pa->nranges++;
}

static void remove_at(struct page_alloc *pa, size_t i)
{
    memmove(&pa->range[i], &pa->range[i + 1], (pa->nranges - i - 1) * sizeof(pa->range[0]));
    pa->nranges--;
    pa->range[pa->nranges].base = 0;
    pa->range[pa->nranges].end = 0;
}

static bool full(const struct page_alloc *pa)
{
    return pa->nranges >= PAGE_ALLOC_MAX_RANGES;
}

/* Inserts [base, end), merging with neighbours; fails if it overlaps. */
static int insert_free(struct page_alloc *pa, uint64_t base, uint64_t end)
{
    struct page_range *r = pa->range;
    size_t n = pa->nranges, i = 0, j;
    bool left, right;

    while (i < n && r[i].end < base)
        i++;
    /* r[i] is the first range that ends at or after base. */
    left = i < n && r[i].end == base;
    j = left ? i + 1 : i;
    /* r[j] is the first range that ends after base: it must start at or
     * after end, or the new range overlaps it. */
    if (j < n && r[j].base < end)
        return PAGE_ALLOC_EEXIST;
    right = j < n && r[j].base == end;
    if (left && right) {
        r[i].end = r[j].end;
        remove_at(pa, j);
    } else if (left) {
        r[i].end = end;
    } else if (right) {
        r[j].base = base;
    } else {
        if (full(pa))
            return PAGE_ALLOC_ENOSPC;
        insert_at(pa, i, base, end);
    }
    return 0;
}

int page_alloc_add(struct page_alloc *pa, uint64_t base, uint64_t npages)
{
    uint64_t end;

    if (!range_args(base, npages, &end))
        return PAGE_ALLOC_EINVAL;
    if (base == 0) {
        /* Page 0 is never free: 0 is page_alloc_get()'s failure value. */
        base = PAGE_ALLOC_PAGE_SIZE;
        if (base == end)
            return 0;
    }
    return insert_free(pa, base, end);
}

int page_alloc_put(struct page_alloc *pa, uint64_t base, uint64_t npages)
{
    uint64_t end;

    if (base == 0 || !range_args(base, npages, &end))
        return PAGE_ALLOC_EINVAL;
    return insert_free(pa, base, end);
}

/*
 * Removes [s, e) from range i, which contains it.  Returns 0, or
 * PAGE_ALLOC_ENOSPC when a split was needed with a full array: then the
 * smaller remaining piece is dropped.
 */
static int carve(struct page_alloc *pa, size_t i, uint64_t s, uint64_t e)
{
    struct page_range *r = &pa->range[i];
    uint64_t old_end = r->end;

    if (s == r->base && e == r->end) {
        remove_at(pa, i);
    } else if (s == r->base) {
        r->base = e;
    } else if (e == r->end) {
        r->end = s;
    } else if (!full(pa)) {
        r->end = s;
        insert_at(pa, i + 1, e, old_end);
    } else {
        if (s - r->base >= old_end - e)
            r->end = s;
        else
            r->base = e;
        return PAGE_ALLOC_ENOSPC;
    }
    return 0;
}

int page_alloc_reserve(struct page_alloc *pa, uint64_t base, uint64_t npages)
{
    uint64_t end;
    size_t i = 0;
    int ret = 0;

    if (!range_args(base, npages, &end))
        return PAGE_ALLOC_EINVAL;
    while (i < pa->nranges && pa->range[i].base < end) {
        struct page_range *r = &pa->range[i];
        uint64_t s = r->base > base ? r->base : base;
        uint64_t e = r->end < end ? r->end : end;
        size_t before = pa->nranges;

        if (s >= e) {
            i++;
            continue;
        }
        if (carve(pa, i, s, e) < 0)
            ret = PAGE_ALLOC_ENOSPC;
        /* A removed range shifts the next one into slot i. */
        if (pa->nranges >= before)
            i++;
    }
    return ret;
}

/*
 * Where a block of size bytes aligned to align bytes goes in range r below
 * top (the range's end or the limit): the highest fitting address, or, with
 * a full array and a block that would split the range, the range's base if
 * that fits.  Returns 0 when it does not fit.
 */
static uint64_t place(const struct page_alloc *pa, const struct page_range *r, uint64_t size,
                      uint64_t align, uint64_t top)
{
    uint64_t start;

    if (top <= r->base || top - r->base < size)
        return 0;
    start = (top - size) & ~(align - 1);
    if (start < r->base)
        return 0;
    if (start == r->base || start + size == r->end || !full(pa))
        return start;
    /* A split with a full array: try the range's base instead. */
    if ((r->base & (align - 1)) == 0)
        return r->base;
    return 0;
}

uint64_t page_alloc_get(struct page_alloc *pa, uint64_t npages, uint64_t align_pages,
                        uint64_t limit)
{
    const uint64_t max_pages = PAGE_ALLOC_ADDR_LIMIT >> PAGE_ALLOC_PAGE_SHIFT;
    uint64_t size, align;
    size_t i;

    if (align_pages == 0)
        align_pages = 1;
    if (npages == 0 || npages > max_pages || align_pages > max_pages ||
        (align_pages & (align_pages - 1)) != 0)
        return 0;
    size = npages << PAGE_ALLOC_PAGE_SHIFT;
    align = align_pages << PAGE_ALLOC_PAGE_SHIFT;
    for (i = pa->nranges; i-- > 0;) {
        const struct page_range *r = &pa->range[i];
        uint64_t top = (limit != 0 && limit < r->end) ? limit : r->end;
        uint64_t start = place(pa, r, size, align, top);

        /* start == 0 cannot fit: page 0 is never in the free list. */
        if (start != 0 && carve(pa, i, start, start + size) == 0)
            return start;
    }
    return 0;
}

uint64_t page_alloc_free_pages(const struct page_alloc *pa)
{
    uint64_t pages = 0;
    size_t i;

    for (i = 0; i < pa->nranges; i++)
        pages += (pa->range[i].end - pa->range[i].base) >> PAGE_ALLOC_PAGE_SHIFT;
    return pages;
}

/* Appends s at buf + *pos (truncating), keeping *pos the whole text's length. */
static void append(char *buf, size_t len, size_t *pos, const char *s)
{
    size_t n = strlen(s);

    if (*pos + 1 < len) {
        size_t room = len - 1 - *pos;
        size_t copy = n < room ? n : room;

        memcpy(buf + *pos, s, copy);
        buf[*pos + copy] = '\0';
    }
    *pos += n;
}

size_t page_alloc_dump(const struct page_alloc *pa, char *buf, size_t len)
{
    char line[96];
    size_t pos = 0, i;

    if (buf == NULL)
        len = 0;
    if (len > 0)
        buf[0] = '\0';
    for (i = 0; i < pa->nranges; i++) {
        const struct page_range *r = &pa->range[i];

        snprintf(line, sizeof(line), "  0x%016llx-0x%016llx  %llu pages\n",
                 (unsigned long long)r->base, (unsigned long long)(r->end - 1),
                 (unsigned long long)((r->end - r->base) >> PAGE_ALLOC_PAGE_SHIFT));
        append(buf, len, &pos, line);
    }
    snprintf(line, sizeof(line), "  %llu free pages in %llu ranges\n",
             (unsigned long long)page_alloc_free_pages(pa), (unsigned long long)pa->nranges);
    append(buf, len, &pos, line);
    return pos;
}
