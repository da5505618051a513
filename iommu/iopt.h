/* SPDX-License-Identifier: MIT */
/*
 * The I/O page table builder: a device's DMA addresses (the VM's
 * guest-physical addresses) to host-physical memory, in the radix tables
 * both IOMMUs walk: AMD-Vi host page tables (#48882 2.2.3, "I/O Page
 * Tables for Host Translations") and VT-d second-level tables (VT-d 3.7,
 * 9.8).  Both have 512 8-byte entries per 4 KiB table and 9 address bits
 * per level; only the entry encoding differs, and that is a const struct
 * iopt_format each vendor provides (iommu/amd/amdvi_enc.c,
 * iommu/vtd/vtd_enc.c) over its encoders.
 *
 * Levels are numbered as page sizes: 1 maps 4 KiB pages, 2 covers 2 MiB,
 * 3 covers 1 GiB; the root is at level `levels` (3: 39-bit addresses,
 * 4: 48-bit).  Leaves are 4 KiB pages.  Anything not mapped faults in the
 * IOMMU: that is how DMA outside the VM's RAM is blocked.
 *
 * Pure: table memory comes from struct iopt_env, so the builder runs in
 * Keel (page allocator) and in host unit tests (a fake memory).  Where the
 * unit's table walks do not snoop the CPU caches (VT-d ECAP.C = 0, AMD
 * IVHD without Coherent), env->sync writes each changed entry back to
 * memory (CLFLUSH) before the caller invalidates.  No locking: the caller
 * serialises calls on one struct iopt.
 */
#ifndef KEEL_IOMMU_IOPT_H
#define KEEL_IOMMU_IOPT_H

#include <stdbool.h>
#include <stdint.h>

#define IOPT_ENTRIES     512u
#define IOPT_PAGE        4096ull
#define IOPT_R           1u
#define IOPT_W           2u
#define IOPT_EINVAL      (-22)
#define IOPT_ENOMEM      (-12)
#define IOPT_ENOENT      (-2)

struct iopt_format {
    const char *name;
    /* An entry at level (2..levels) pointing to the table at pa (level - 1). */
    int (*table)(uint64_t *e, uint64_t pa, unsigned level);
    /* A level-1 entry mapping the 4 KiB page at pa with IOPT_R/W. */
    int (*leaf)(uint64_t *e, uint64_t pa, unsigned perm);
    bool (*present)(uint64_t e);
    uint64_t (*addr)(uint64_t e);      /* the table's or the page's address */
    unsigned (*perm)(uint64_t e);      /* IOPT_R/W of an entry */
    /* What an unmapped slot holds in a new table: 0, or a not-present
     * entry with a software bit set (see iopt_format_amdvi). */
    uint64_t absent;
};

extern const struct iopt_format iopt_format_amdvi;
extern const struct iopt_format iopt_format_vtd;
extern const struct iopt_format iopt_format_vtd_snoop; /* leaves with SNP (ECAP.SC) */

struct iopt_env {
    void *ctx;
    uint64_t (*alloc_table)(void *ctx);          /* a zeroed 4 KiB page, 0 when short */
    void (*free_table)(void *ctx, uint64_t pa);
    void *(*map)(void *ctx, uint64_t pa);
    void (*sync)(void *ctx, const void *p, unsigned len); /* NULL: coherent walks */
};

struct iopt {
    const struct iopt_format *fmt;
    const struct iopt_env *env;
    uint64_t root;
    unsigned levels;   /* 3 or 4 */
};

/* An empty root.  0, IOPT_EINVAL (levels not 3 or 4) or IOPT_ENOMEM. */
int iopt_init(struct iopt *t, const struct iopt_format *fmt, const struct iopt_env *env,
              unsigned levels);
/* Maps [iova, iova + size) to [pa, pa + size) with perm (IOPT_R and/or
 * IOPT_W, not 0).  4 KiB aligned, size > 0, within the levels' reach and
 * below 2^52.  0, IOPT_EINVAL, or IOPT_ENOMEM (the part before is mapped). */
int iopt_map(struct iopt *t, uint64_t iova, uint64_t pa, uint64_t size, unsigned perm);
/* The host address of the byte at iova and its permission; IOPT_ENOENT
 * when not mapped, IOPT_EINVAL beyond the reach. */
int iopt_lookup(const struct iopt *t, uint64_t iova, uint64_t *pa, unsigned *perm);
/* Frees every table; t->root becomes 0. */
void iopt_destroy(struct iopt *t);

#endif /* KEEL_IOMMU_IOPT_H */
