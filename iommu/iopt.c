/* SPDX-License-Identifier: MIT */
/* The I/O page table builder (iommu/iopt.h).  Pure. */
#include "iommu/iopt.h"

#include <stddef.h>

static unsigned index_at(uint64_t iova, unsigned level)
{
    return (unsigned)(iova >> (12 + 9 * (level - 1))) & (IOPT_ENTRIES - 1);
}

static uint64_t reach(unsigned levels)
{
    return 1ull << (12 + 9 * levels);
}

/* A new table: every slot the format's not-present value. */
static uint64_t new_table(const struct iopt *t)
{
    uint64_t pa = t->env->alloc_table(t->env->ctx);

    if (pa && t->fmt->absent) {
        uint64_t *e = t->env->map(t->env->ctx, pa);
        for (unsigned i = 0; i < IOPT_ENTRIES; i++)
            e[i] = t->fmt->absent;
        if (t->env->sync)
            t->env->sync(t->env->ctx, e, IOPT_PAGE);
    }
    return pa;
}

int iopt_init(struct iopt *t, const struct iopt_format *fmt, const struct iopt_env *env,
              unsigned levels)
{
    t->fmt = fmt;
    t->env = env;
    t->root = 0;
    t->levels = levels;
    if (levels != 3 && levels != 4)
        return IOPT_EINVAL;
    t->root = new_table(t);
    return t->root ? 0 : IOPT_ENOMEM;
}

static void store(const struct iopt *t, uint64_t *slot, uint64_t e)
{
    __atomic_store_n(slot, e, __ATOMIC_RELEASE); /* one 64-bit store: never half an entry */
    if (t->env->sync)
        t->env->sync(t->env->ctx, slot, sizeof(*slot));
}

/* The level-1 table for iova, created on the way down. */
static uint64_t *leaf_table(struct iopt *t, uint64_t iova)
{
    uint64_t *table = t->env->map(t->env->ctx, t->root);

    for (unsigned level = t->levels; level > 1; level--) {
        uint64_t *slot = &table[index_at(iova, level)];
        if (!t->fmt->present(*slot)) {
            uint64_t pa = new_table(t);
            uint64_t e;
            if (!pa)
                return NULL;
            if (t->fmt->table(&e, pa, level)) {
                t->env->free_table(t->env->ctx, pa);
                return NULL;
            }
            store(t, slot, e);
        }
        table = t->env->map(t->env->ctx, t->fmt->addr(*slot));
    }
    return table;
}

int iopt_map(struct iopt *t, uint64_t iova, uint64_t pa, uint64_t size, unsigned perm)
{
    if (!t->root || ((iova | pa | size) & (IOPT_PAGE - 1)) || !size || !perm ||
        (perm & ~(IOPT_R | IOPT_W)) || iova >= reach(t->levels) ||
        size > reach(t->levels) - iova || pa >= (1ull << 52) || size > (1ull << 52) - pa)
        return IOPT_EINVAL;
    for (uint64_t off = 0; off < size; off += IOPT_PAGE) {
        uint64_t *table = leaf_table(t, iova + off);
        uint64_t e;
        if (!table)
            return IOPT_ENOMEM;
        if (t->fmt->leaf(&e, pa + off, perm))
            return IOPT_EINVAL;
        store(t, &table[index_at(iova + off, 1)], e);
    }
    return 0;
}

int iopt_lookup(const struct iopt *t, uint64_t iova, uint64_t *pa, unsigned *perm)
{
    if (!t->root || iova >= reach(t->levels))
        return IOPT_EINVAL;
    const uint64_t *table = t->env->map(t->env->ctx, t->root);
    for (unsigned level = t->levels;; level--) {
        uint64_t e = table[index_at(iova, level)];
        if (!t->fmt->present(e))
            return IOPT_ENOENT;
        if (level == 1) {
            if (pa)
                *pa = t->fmt->addr(e) | (iova & (IOPT_PAGE - 1));
            if (perm)
                *perm = t->fmt->perm(e);
            return 0;
        }
        table = t->env->map(t->env->ctx, t->fmt->addr(e));
    }
}

static void free_level(struct iopt *t, uint64_t table_pa, unsigned level)
{
    if (level > 1) {
        const uint64_t *table = t->env->map(t->env->ctx, table_pa);
        for (unsigned i = 0; i < IOPT_ENTRIES; i++)
            if (t->fmt->present(table[i]))
                free_level(t, t->fmt->addr(table[i]), level - 1);
    }
    t->env->free_table(t->env->ctx, table_pa);
}

void iopt_destroy(struct iopt *t)
{
    if (t->root)
        free_level(t, t->root, t->levels);
    t->root = 0;
}
