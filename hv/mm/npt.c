/* SPDX-License-Identifier: MIT */
/*
 * The nested-page-table builder (see npt.h): the two entry formats, then the
 * format-independent walk.
 *
 * Invariants kept by every operation:
 *  - an entry is either 0 or a complete valid entry (written with one store);
 *  - no table below the root is empty: tables emptied by npt_unmap() (or
 *    created by an npt_map() that then failed) are freed;
 *  - recursion (free_subtree) is bounded by the 4 levels.
 */
#include "hv/mm/npt.h"

#include <stddef.h>

/* Bits 51:12: the address in a table entry or a 4K leaf. */
#define ADDR_MASK 0x000ffffffffff000ull

/* ------------------------------------------------------------- AMD NPT */
/* Long-mode paging entries, APM vol. 2 5.4.1 "Field Definitions". */
#define AMD_P        (1ull << 0)  /* Present */
#define AMD_RW       (1ull << 1)  /* Read/Write */
#define AMD_US       (1ull << 2)  /* User/Supervisor: must be 1 (APM 15.25.5) */
#define AMD_PWT      (1ull << 3)  /* Page-level writethrough (PAT index bit 0) */
#define AMD_PCD      (1ull << 4)  /* Page-level cache disable (PAT index bit 1) */
#define AMD_PS       (1ull << 7)  /* Page size, in PDEs and PDPEs */
#define AMD_PAT_4K   (1ull << 7)  /* PAT index bit 2, in 4K PTEs */
#define AMD_PAT_BIG  (1ull << 12) /* PAT index bit 2, in 2M/1G leaves */
#define AMD_NX       (1ull << 63) /* No execute (host EFER.NXE = 1) */

/* PAT index (PAT:PCD:PWT) of each type in NPT_AMD_HOST_PAT. */
static unsigned amd_pat_index(enum npt_memtype mt)
{
    switch (mt) {
    case NPT_MT_WB: return 0;
    case NPT_MT_WT: return 1;
    case NPT_MT_UC: return 3;
    case NPT_MT_WC: return 4;
    case NPT_MT_WP: return 5;
    }
    return 3;
}

static uint64_t amd_table_entry(uint64_t table_hpa)
{
    return (table_hpa & ADDR_MASK) | AMD_P | AMD_RW | AMD_US;
}

static uint64_t amd_leaf_entry(uint64_t hpa, unsigned level, unsigned perm,
                               enum npt_memtype mt)
{
    unsigned pat = amd_pat_index(mt);
    uint64_t e = (hpa & ADDR_MASK) | AMD_P | AMD_US;

    if (perm & NPT_W)
        e |= AMD_RW;
    if (!(perm & NPT_X))
        e |= AMD_NX;
    if (level > 1)
        e |= AMD_PS;
    if (pat & 1)
        e |= AMD_PWT;
    if (pat & 2)
        e |= AMD_PCD;
    if (pat & 4)
        e |= level > 1 ? AMD_PAT_BIG : AMD_PAT_4K;
    return e;
}

static bool amd_present(uint64_t e)
{
    return (e & AMD_P) != 0;
}

static bool amd_large(uint64_t e, unsigned level)
{
    return (level == 2 || level == 3) && (e & AMD_PS) != 0;
}

static uint64_t amd_addr(uint64_t e, unsigned level)
{
    if (amd_large(e, level))
        return e & ADDR_MASK & ~(NPT_LEVEL_SIZE(level) - 1);
    return e & ADDR_MASK;
}

static unsigned amd_perm(uint64_t e)
{
    unsigned perm = NPT_R;

    if (e & AMD_RW)
        perm |= NPT_W;
    if (!(e & AMD_NX))
        perm |= NPT_X;
    return perm;
}

static enum npt_memtype amd_memtype(uint64_t e, unsigned level)
{
    /* NPT_AMD_HOST_PAT, index by index; UC- (PA2, PA6) reads back as UC. */
    static const enum npt_memtype type[8] = {
        NPT_MT_WB, NPT_MT_WT, NPT_MT_UC, NPT_MT_UC,
        NPT_MT_WC, NPT_MT_WP, NPT_MT_UC, NPT_MT_UC,
    };
    unsigned idx = 0;

    if (e & AMD_PWT)
        idx |= 1;
    if (e & AMD_PCD)
        idx |= 2;
    if (e & (level > 1 ? AMD_PAT_BIG : AMD_PAT_4K))
        idx |= 4;
    return type[idx];
}

const struct npt_format npt_format_amd = {
    .name = "amd-npt",
    .table_entry = amd_table_entry,
    .leaf_entry = amd_leaf_entry,
    .present = amd_present,
    .large = amd_large,
    .addr = amd_addr,
    .perm = amd_perm,
    .memtype = amd_memtype,
};

/* ---------------------------------------------------------------- EPT */
/* SDM vol. 3C 29.3.2, tables 29-1 to 29-6 (EPT paging-structure entries). */
#define EPT_R        (1ull << 0)  /* Read access */
#define EPT_W        (1ull << 1)  /* Write access */
#define EPT_X        (1ull << 2)  /* Execute access (supervisor, with MBEC) */
#define EPT_RWX      (EPT_R | EPT_W | EPT_X)
#define EPT_MT_SHIFT 3            /* Bits 5:3: EPT memory type (leaves) */
#define EPT_MT_MASK  (7ull << EPT_MT_SHIFT)
#define EPT_IPAT     (1ull << 6)  /* Ignore PAT memory type (leaves): kept 0 */
#define EPT_PS       (1ull << 7)  /* Page size: 1 in 2M PDEs / 1G PDPTEs */

static uint64_t ept_table_entry(uint64_t table_hpa)
{
    /* Bits 7:3 of a non-leaf entry are reserved (must be 0). */
    return (table_hpa & ADDR_MASK) | EPT_RWX;
}

static uint64_t ept_leaf_entry(uint64_t hpa, unsigned level, unsigned perm,
                               enum npt_memtype mt)
{
    uint64_t e = (hpa & ADDR_MASK) | ((uint64_t)mt << EPT_MT_SHIFT);

    if (perm & NPT_R)
        e |= EPT_R;
    if (perm & NPT_W)
        e |= EPT_W;
    if (perm & NPT_X)
        e |= EPT_X;
    if (level > 1)
        e |= EPT_PS;
    return e;
}

static bool ept_present(uint64_t e)
{
    return (e & EPT_RWX) != 0;
}

static bool ept_large(uint64_t e, unsigned level)
{
    return (level == 2 || level == 3) && (e & EPT_PS) != 0;
}

static uint64_t ept_addr(uint64_t e, unsigned level)
{
    if (ept_large(e, level))
        return e & ADDR_MASK & ~(NPT_LEVEL_SIZE(level) - 1);
    return e & ADDR_MASK;
}

static unsigned ept_perm(uint64_t e)
{
    unsigned perm = 0;

    if (e & EPT_R)
        perm |= NPT_R;
    if (e & EPT_W)
        perm |= NPT_W;
    if (e & EPT_X)
        perm |= NPT_X;
    return perm;
}

static enum npt_memtype ept_memtype(uint64_t e, unsigned level)
{
    (void)level; /* bits 5:3 at every level */
    return (enum npt_memtype)((e & EPT_MT_MASK) >> EPT_MT_SHIFT);
}

const struct npt_format npt_format_ept = {
    .name = "intel-ept",
    .table_entry = ept_table_entry,
    .leaf_entry = ept_leaf_entry,
    .present = ept_present,
    .large = ept_large,
    .addr = ept_addr,
    .perm = ept_perm,
    .memtype = ept_memtype,
};

/* ------------------------------------------------------------- helpers */

static uint64_t *table_at(const struct npt *n, uint64_t hpa)
{
    return n->env->map(n->env->ctx, hpa);
}

/* Entries may be read by the CPU's walker (and get A/D bits set) while we
 * work: read and write each one whole. */
static uint64_t entry_load(const uint64_t *e)
{
    return __atomic_load_n(e, __ATOMIC_RELAXED);
}

static void entry_store(uint64_t *e, uint64_t v)
{
    __atomic_store_n(e, v, __ATOMIC_RELEASE);
}

static unsigned index_of(uint64_t gpa, unsigned level)
{
    return (unsigned)(gpa >> NPT_LEVEL_SHIFT(level)) & (NPT_ENTRIES - 1);
}

static bool is_leaf(const struct npt *n, uint64_t e, unsigned level)
{
    return level == 1 || n->fmt->large(e, level);
}

static bool table_empty(const struct npt *n, const uint64_t *t)
{
    unsigned i;

    for (i = 0; i < NPT_ENTRIES; i++)
        if (n->fmt->present(entry_load(&t[i])))
            return false;
    return true;
}

/* Frees the table at hpa, whose entries are at level, and every table below. */
static void free_subtree(struct npt *n, uint64_t hpa, unsigned level)
{
    uint64_t *t = table_at(n, hpa);
    unsigned i;

    for (i = 0; level > 1 && i < NPT_ENTRIES; i++) {
        uint64_t e = entry_load(&t[i]);

        if (n->fmt->present(e) && !is_leaf(n, e, level))
            free_subtree(n, n->fmt->addr(e, level), level - 1);
    }
    n->env->free_table(n->env->ctx, hpa);
}

/*
 * Replaces the large leaf *e at level (2 or 3) by a table of 512 leaves one
 * level down with the same translation, permissions and memory type.  The
 * translation is unchanged, but a TLB may now hold the large page and small
 * pages for the same address: flush anyway, before that can matter.
 */
static int split(struct npt *n, uint64_t *e, unsigned level)
{
    const struct npt_format *f = n->fmt;
    uint64_t old = entry_load(e), base = f->addr(old, level);
    uint64_t step = NPT_LEVEL_SIZE(level - 1), hpa;
    unsigned perm = f->perm(old), i;
    enum npt_memtype mt = f->memtype(old, level);
    uint64_t *t;

    hpa = n->env->alloc_table(n->env->ctx);
    if (hpa == 0)
        return NPT_ENOMEM;
    t = table_at(n, hpa);
    for (i = 0; i < NPT_ENTRIES; i++)
        entry_store(&t[i], f->leaf_entry(base + i * step, level - 1, perm, mt));
    entry_store(e, f->table_entry(hpa));
    n->flush_needed = true;
    return 0;
}

/*
 * Frees the tables on gpa's path that are empty, deepest first (never the
 * root).  Freed tables may still be in paging-structure caches: flush.
 */
static void prune(struct npt *n, uint64_t gpa)
{
    uint64_t *t[NPT_LEVELS + 1], hpa[NPT_LEVELS + 1];
    unsigned lv;

    t[NPT_LEVELS] = table_at(n, n->root);
    for (lv = NPT_LEVELS; lv > 1; lv--) {
        uint64_t e = entry_load(&t[lv][index_of(gpa, lv)]);

        if (!n->fmt->present(e) || is_leaf(n, e, lv))
            break;
        hpa[lv - 1] = n->fmt->addr(e, lv);
        t[lv - 1] = table_at(n, hpa[lv - 1]);
    }
    /* t[lv] is the deepest table on the path. */
    for (; lv < NPT_LEVELS && table_empty(n, t[lv]); lv++) {
        entry_store(&t[lv + 1][index_of(gpa, lv + 1)], 0);
        n->env->free_table(n->env->ctx, hpa[lv]);
        n->flush_needed = true;
    }
}

/* ---------------------------------------------------------------- API */

int npt_init(struct npt *n, const struct npt_format *fmt, const struct npt_env *env,
             unsigned max_level)
{
    n->fmt = fmt;
    n->env = env;
    n->root = 0;
    n->max_level = max_level;
    n->flush_needed = false;
    if (fmt == NULL || env == NULL || max_level < 1 || max_level > 3)
        return NPT_EINVAL;
    n->root = env->alloc_table(env->ctx);
    return n->root != 0 ? 0 : NPT_ENOMEM;
}

static bool range_ok(uint64_t addr, uint64_t size, uint64_t limit)
{
    return ((addr | size) & (NPT_PAGE_SIZE - 1)) == 0 && size != 0 && addr < limit &&
           size <= limit - addr;
}

static bool memtype_ok(enum npt_memtype mt)
{
    return mt == NPT_MT_UC || mt == NPT_MT_WC || mt == NPT_MT_WT || mt == NPT_MT_WP ||
           mt == NPT_MT_WB;
}

/* The largest page level that gpa's and hpa's alignment and size allow. */
static unsigned pick_level(const struct npt *n, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    unsigned lv;

    for (lv = n->max_level; lv > 1; lv--) {
        uint64_t s = NPT_LEVEL_SIZE(lv);

        if (((gpa | hpa) & (s - 1)) == 0 && size >= s)
            break;
    }
    return lv;
}

/*
 * The entry for gpa at level, creating the tables above it and splitting
 * large pages on the way.  NULL on allocation failure.
 */
static uint64_t *walk_create(struct npt *n, uint64_t gpa, unsigned level)
{
    const struct npt_format *f = n->fmt;
    uint64_t *t = table_at(n, n->root);
    unsigned lv;

    for (lv = NPT_LEVELS; lv > level; lv--) {
        uint64_t *e = &t[index_of(gpa, lv)];
        uint64_t v = entry_load(e);

        if (!f->present(v)) {
            uint64_t hpa = n->env->alloc_table(n->env->ctx);

            if (hpa == 0)
                return NULL;
            entry_store(e, f->table_entry(hpa));
        } else if (f->large(v, lv) && split(n, e, lv) < 0) {
            return NULL;
        }
        t = table_at(n, f->addr(entry_load(e), lv));
    }
    return &t[index_of(gpa, level)];
}

int npt_map(struct npt *n, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm,
            enum npt_memtype mt)
{
    const struct npt_format *f = n->fmt;

    if (n->root == 0 || !range_ok(gpa, size, NPT_GPA_LIMIT) ||
        !range_ok(hpa, size, NPT_HPA_LIMIT) || !(perm & NPT_R) || (perm & ~NPT_RWX) != 0 ||
        !memtype_ok(mt))
        return NPT_EINVAL;
    while (size != 0) {
        unsigned lv = pick_level(n, gpa, hpa, size);
        uint64_t step = NPT_LEVEL_SIZE(lv);
        uint64_t *e = walk_create(n, gpa, lv);
        uint64_t old;

        if (e == NULL) {
            prune(n, gpa);
            return NPT_ENOMEM;
        }
        old = entry_load(e);
        entry_store(e, f->leaf_entry(hpa, lv, perm, mt));
        if (f->present(old)) {
            n->flush_needed = true;
            if (!is_leaf(n, old, lv))
                free_subtree(n, f->addr(old, lv), lv - 1);
        }
        gpa += step;
        hpa += step;
        size -= step;
    }
    return 0;
}

/*
 * Removes the translation at gpa, up to end, at the highest level an entry
 * covers.  Returns how many bytes from gpa that took care of, or 0 when a
 * split failed.
 */
static uint64_t unmap_step(struct npt *n, uint64_t gpa, uint64_t end)
{
    const struct npt_format *f = n->fmt;
    uint64_t *t = table_at(n, n->root);
    unsigned lv;

    for (lv = NPT_LEVELS;; lv--) {
        uint64_t *e = &t[index_of(gpa, lv)];
        uint64_t v = entry_load(e), s = NPT_LEVEL_SIZE(lv);
        uint64_t next = (gpa | (s - 1)) + 1;

        if (!f->present(v))
            return (next < end ? next : end) - gpa;
        if ((gpa & (s - 1)) == 0 && end - gpa >= s) {
            entry_store(e, 0);
            n->flush_needed = true;
            if (!is_leaf(n, v, lv))
                free_subtree(n, f->addr(v, lv), lv - 1);
            return s;
        }
        /* The range cuts this entry: lv > 1, as 4K entries are covered. */
        if (is_leaf(n, v, lv) && split(n, e, lv) < 0)
            return 0;
        t = table_at(n, f->addr(entry_load(e), lv));
    }
}

int npt_unmap(struct npt *n, uint64_t gpa, uint64_t size)
{
    const uint64_t pt_span = NPT_LEVEL_SIZE(2);
    uint64_t end = gpa + size;

    if (n->root == 0 || !range_ok(gpa, size, NPT_GPA_LIMIT))
        return NPT_EINVAL;
    while (gpa < end) {
        uint64_t done = unmap_step(n, gpa, end);

        if (done == 0) {
            prune(n, gpa);
            return NPT_ENOMEM;
        }
        gpa += done;
        /* Leaving a page table (or the range): free what became empty. */
        if ((gpa & (pt_span - 1)) == 0 || gpa >= end)
            prune(n, gpa - 1);
    }
    return 0;
}

int npt_lookup(const struct npt *n, uint64_t gpa, uint64_t *hpa, unsigned *perm,
               unsigned *level)
{
    const struct npt_format *f = n->fmt;
    const uint64_t *t;
    unsigned lv;

    if (n->root == 0 || gpa >= NPT_GPA_LIMIT)
        return NPT_EINVAL;
    t = table_at(n, n->root);
    for (lv = NPT_LEVELS; lv >= 1; lv--) {
        uint64_t e = entry_load(&t[index_of(gpa, lv)]);

        if (!f->present(e))
            return NPT_ENOENT;
        if (is_leaf(n, e, lv)) {
            if (hpa != NULL)
                *hpa = f->addr(e, lv) | (gpa & (NPT_LEVEL_SIZE(lv) - 1));
            if (perm != NULL)
                *perm = f->perm(e);
            if (level != NULL)
                *level = lv;
            return 0;
        }
        t = table_at(n, f->addr(e, lv));
    }
    return NPT_ENOENT; /* not reached: level 1 entries are leaves */
}

static void count_subtree(const struct npt *n, uint64_t hpa, unsigned level,
                          uint64_t count[NPT_LEVELS])
{
    const uint64_t *t = table_at(n, hpa);

    for (unsigned i = 0; i < NPT_ENTRIES; i++) {
        uint64_t e = entry_load(&t[i]);

        if (!n->fmt->present(e))
            continue;
        if (is_leaf(n, e, level))
            count[level]++;
        else
            count_subtree(n, n->fmt->addr(e, level), level - 1, count);
    }
}

void npt_count_leaves(const struct npt *n, uint64_t count[NPT_LEVELS])
{
    for (unsigned i = 0; i < NPT_LEVELS; i++)
        count[i] = 0;
    if (n->root != 0)
        count_subtree(n, n->root, NPT_LEVELS, count);
}

void npt_destroy(struct npt *n)
{
    if (n->root != 0)
        free_subtree(n, n->root, NPT_LEVELS);
    n->root = 0;
}

bool npt_take_flush(struct npt *n)
{
    bool flush = n->flush_needed;

    n->flush_needed = false;
    return flush;
}
