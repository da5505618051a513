/* SPDX-License-Identifier: MIT */
/*
 * The nested-page-table builder: maps guest-physical to host-physical
 * memory in 4-level tables, for AMD nested paging (NPT) and Intel EPT.  The
 * walk is the same for both (48-bit GPA, 512 entries per level, 4K/2M/1G
 * pages); only the entry encoding differs, and that lives in a
 * const struct npt_format chosen once per VM.
 *
 * Levels are numbered as page sizes: 1 = 4 KiB page table, 2 = 2 MiB page
 * directory, 3 = 1 GiB PDPT, 4 = the root (PML4).  Table memory comes from
 * the caller through struct npt_env, so the builder runs both in the
 * hypervisor (page_alloc) and in host unit tests (a fake memory array).
 *
 * Locking: none inside.  The caller serialises every call on one struct npt.
 * Other CPUs may be running the guest on these tables; entries are written
 * with single 64-bit stores, and a changed or removed translation is only
 * safe once the caller has flushed (npt_take_flush()).  Tables that become
 * unused are handed to env->free_table() at once: when the VM runs on other
 * CPUs, free_table must not let the page be reused before that flush.
 */
#ifndef KEEL_HV_NPT_H
#define KEEL_HV_NPT_H

#include <stdbool.h>
#include <stdint.h>

/* Permissions (both formats need R; AMD cannot express W or X without it,
 * and EPT forbids W without R: SDM vol. 3C "EPT Misconfigurations"). */
#define NPT_R 1u
#define NPT_W 2u
#define NPT_X 4u
#define NPT_RWX (NPT_R | NPT_W | NPT_X)

/* Memory types, numbered as EPT and the PAT encode them (SDM vol. 3A
 * "IA32_PAT MSR", vol. 3C "EPT and Memory Typing"). */
enum npt_memtype {
    NPT_MT_UC = 0,
    NPT_MT_WC = 1,
    NPT_MT_WT = 4,
    NPT_MT_WP = 5,
    NPT_MT_WB = 6,
};

#define NPT_LEVELS       4
#define NPT_ENTRIES      512u
#define NPT_PAGE_SIZE    4096ull
#define NPT_GPA_LIMIT    (1ull << 48) /* 4-level walk: 48-bit guest-physical */
#define NPT_HPA_LIMIT    (1ull << 52) /* architectural maximum physical width */
#define NPT_LEVEL_SHIFT(level) (12u + 9u * ((level) - 1u))
#define NPT_LEVEL_SIZE(level)  (1ull << NPT_LEVEL_SHIFT(level))

/* Errors (negative, errno-valued). */
#define NPT_EINVAL  (-22) /* unaligned, empty, out of range, bad permission */
#define NPT_ENOMEM  (-12) /* env->alloc_table() failed */
#define NPT_ENOENT  (-2)  /* npt_lookup(): not mapped */

/*
 * A nested page table entry format.  Levels as above; "leaf" entries map a
 * page (level 1, or level 2/3 with the page-size bit), "table" entries
 * point to the next level.
 */
struct npt_format {
    const char *name;
    /* Entry pointing to a table at table_hpa, granting everything (the
     * leaves decide). */
    uint64_t (*table_entry)(uint64_t table_hpa);
    /* Entry mapping the page at hpa (aligned to the level's size). */
    uint64_t (*leaf_entry)(uint64_t hpa, unsigned level, unsigned perm, enum npt_memtype mt);
    bool (*present)(uint64_t e);
    /* A leaf at level 2 or 3 (the page-size bit). */
    bool (*large)(uint64_t e, unsigned level);
    /* The table's address for a table entry; the page's for a leaf at level. */
    uint64_t (*addr)(uint64_t e, unsigned level);
    /* NPT_R/W/X of a present leaf. */
    unsigned (*perm)(uint64_t e);
    /* Memory type of a present leaf at level. */
    enum npt_memtype (*memtype)(uint64_t e, unsigned level);
};

/*
 * AMD nested paging (APM vol. 2 15.25 "Nested Paging"): long-mode entries
 * (APM vol. 2 5.4 "Long-Mode Page Translation"), P, R/W and U/S set on
 * every level (nested walks are user accesses, APM 15.25.5 "Nested Table Walk"), NX (bit 63) on
 * leaves without NPT_X: the host must run with EFER.NXE = 1 when such
 * leaves exist, or bit 63 is reserved.  The memory type is a PAT index
 * (PAT, PCD, PWT) looked up in the host's PAT MSR, which Keel must load
 * with NPT_AMD_HOST_PAT before VMRUN.
 */
extern const struct npt_format npt_format_amd;

/*
 * The host PAT the AMD encoding assumes (SDM vol. 3A "Page Attribute
 * Table (PAT)", APM vol. 2 "Page-Attribute Table Mechanism"): PA0..3 are
 * the power-on values WB, WT, UC-, UC; PA4 = WC, PA5 = WP, PA6 = UC-,
 * PA7 = UC.  Each byte is one entry, PA0 lowest.
 */
#define NPT_AMD_HOST_PAT 0x0007050100070406ull

/*
 * Intel EPT (SDM vol. 3C 29.3.2 "EPT Translation Mechanism", tables 29-1 to
 * 29-6): R/W/X in bits 0-2 (present = any of them), memory type in bits 5:3
 * of leaves, ignore-PAT (bit 6) clear so the guest's PAT combines with it
 * ("EPT and Memory Typing"), page size in bit 7 of 2M/1G leaves.  1G leaves need
 * IA32_VMX_EPT_VPID_CAP bit 17: the caller picks max_level accordingly.
 */
extern const struct npt_format npt_format_ept;

/* Where table memory comes from. */
struct npt_env {
    void *ctx;
    /* Host-physical address of a zeroed, 4K-aligned page, 0 on failure. */
    uint64_t (*alloc_table)(void *ctx);
    void (*free_table)(void *ctx, uint64_t hpa);
    /* A pointer through which the table page at hpa can be read and written. */
    void *(*map)(void *ctx, uint64_t hpa);
};

struct npt {
    const struct npt_format *fmt;
    const struct npt_env *env;
    uint64_t root;      /* hpa of the level-4 table: nCR3, or the EPTP's address */
    unsigned max_level; /* largest page used: 1 (4K), 2 (2M) or 3 (1G) */
    bool flush_needed;  /* a present translation changed since the last flush */
};

/*
 * Allocates an empty root table.  max_level is 1, 2 or 3.  Returns 0,
 * NPT_EINVAL or NPT_ENOMEM.
 */
int npt_init(struct npt *n, const struct npt_format *fmt, const struct npt_env *env,
             unsigned max_level);

/*
 * Maps [gpa, gpa + size) to [hpa, hpa + size) with perm (NPT_R required,
 * only R/W/X bits) and memory type mt, with the largest pages (up to
 * max_level) that the alignment of gpa and hpa and the remaining size
 * allow.  Whatever was mapped there before is replaced, splitting large
 * pages that the range cuts; replacing a present translation or splitting a
 * large page sets flush_needed (mapping where nothing was mapped does not).
 *
 * gpa, hpa and size must be 4K-aligned, size > 0, gpa + size <= 2^48,
 * hpa + size <= 2^52.  Returns 0, NPT_EINVAL, or NPT_ENOMEM: then the part
 * of the range before the failure is mapped anew, the rest keeps its old
 * translation (every entry is valid; no half-written state; tables created
 * for the failed piece are freed again), and flush_needed is set if
 * anything present changed or a table was freed.
 */
int npt_map(struct npt *n, uint64_t gpa, uint64_t hpa, uint64_t size, unsigned perm,
            enum npt_memtype mt);

/*
 * Removes the translations of [gpa, gpa + size) (same alignment and range
 * rules as npt_map), splitting large pages the range cuts and freeing tables
 * left empty.  Sets flush_needed if anything present was removed.  Returns
 * 0, NPT_EINVAL, or NPT_ENOMEM (a split failed: the range before it is
 * unmapped, the rest is unchanged).
 */
int npt_unmap(struct npt *n, uint64_t gpa, uint64_t size);

/*
 * Translates gpa (any alignment).  On success returns 0 and stores, through
 * the pointers that are not NULL, the host-physical address of that very
 * byte, the leaf's NPT_R/W/X and its level (1, 2 or 3).  Returns NPT_ENOENT
 * when nothing is mapped there, NPT_EINVAL when gpa >= 2^48.
 */
int npt_lookup(const struct npt *n, uint64_t gpa, uint64_t *hpa, unsigned *perm,
               unsigned *level);

/*
 * Counts the present leaves by level: count[1] 4 KiB pages, count[2]
 * 2 MiB, count[3] 1 GiB (count[0] is set to 0).  For the boot log.
 */
void npt_count_leaves(const struct npt *n, uint64_t count[NPT_LEVELS]);

/* Frees every table, the root included; n->root becomes 0. */
void npt_destroy(struct npt *n);

/*
 * Returns flush_needed and clears it.  When true, the caller must flush the
 * VM's translations (new ASID / TLB_CONTROL on AMD, INVEPT on Intel) on
 * every CPU running it before the next guest entry there.
 */
bool npt_take_flush(struct npt *n);

#endif /* KEEL_HV_NPT_H */
