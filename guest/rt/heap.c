/* SPDX-License-Identifier: MIT */
/*
 * The heap behind newlib's malloc: sbrk hands out [start, end) as boot.c
 * chose it (RAM after the image, avoiding the modules), and malloc is
 * serialized with a recursive spinlock.
 */
#include <errno.h>
#include <malloc.h>
#include <unistd.h>

#include "rt_internal.h"

/* Taken by newlib around malloc/free; sbrk runs under it. */
static struct rt_lock rt_malloc_lock;
/* Protected by rt_malloc_lock (after rt_heap_init). */
static uintptr_t rt_heap_start, rt_heap_cur, rt_heap_end;

void rt_heap_init(uint64_t start, uint64_t end)
{
    rt_heap_start = rt_heap_cur = (uintptr_t)start;
    rt_heap_end = (uintptr_t)(end > start ? end : start);
}

void *sbrk(ptrdiff_t incr)
{
    uintptr_t old = rt_heap_cur;

    if (incr >= 0 ? (uintptr_t)incr > rt_heap_end - rt_heap_cur
                  : (uintptr_t)-incr > rt_heap_cur - rt_heap_start) {
        errno = ENOMEM;
        return (void *)-1;
    }
    rt_heap_cur += (uintptr_t)incr;
    return (void *)old;
}

void __malloc_lock(struct _reent *reent)
{
    rt_lock(&rt_malloc_lock);
}

void __malloc_unlock(struct _reent *reent)
{
    rt_unlock(&rt_malloc_lock);
}
