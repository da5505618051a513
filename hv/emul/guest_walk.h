/* SPDX-License-Identifier: MIT */
/*
 * Guest page-table walker: guest-virtual (linear) to guest-physical, with
 * the guest's own paging mode and access rights, and reads/writes of guest
 * memory by virtual address built on it.  Used to fetch the instruction
 * bytes at guest RIP and to copy string-I/O buffers.  Guest-physical memory
 * is reached only through callbacks, so the host unit test can fake it.
 *
 * Intel SDM vol. 3 ch. 4 (paging), AMD APM vol. 2 ch. 5.  Modes: paging off,
 * 32-bit (4 KiB, 4 MiB with CR4.PSE, PSE-36 high bits), PAE, 4-level and
 * 5-level (CR4.LA57) with 2 MiB and 1 GiB pages.  Checks P, reserved bits
 * (RSVD), R/W with CR0.WP, U/S, NX (EFER.NXE), SMEP and SMAP, and the
 * canonical form of 4/5-level addresses.
 *
 * Deliberate simplifications (documented divergences from hardware):
 *   - PAE PDPTEs: a CPU loads them when CR3 is loaded (SDM 4.4.1) and later
 *     edits of the PDPT are not seen until the next load.  Pass the four
 *     PDPTE registers in guest_paging_regs.pdptes (VMX guest-state fields)
 *     to get that behaviour; with NULL the walker reads them from memory at
 *     CR3[31:5] on every walk (which is what AMD nested paging does), and a
 *     PDPTE with reserved bits set gives a RSVD #PF instead of the #GP the
 *     CR3 load would have raised.
 *   - SMAP: EFLAGS.AC is not known here.  By default SMAP applies to every
 *     supervisor data access (as if AC = 0); pass GW_ACCESS_SMAP_AC for an
 *     explicit supervisor access made with EFLAGS.AC = 1.
 *   - Not checked: protection keys (CR4.PKE/PKS), CET shadow stacks, the
 *     AMD-only "bit 8 of a PML4E/PML5E is reserved" rule, and whether the
 *     guest's CPUID offers 1 GiB pages (PS in a PDPTE is always honoured).
 *   - Accessed/dirty bits are set only when the whole walk succeeds (a CPU
 *     may also set A bits on a walk that faults later; both are allowed).
 */
#ifndef KEEL_HV_GUEST_WALK_H
#define KEEL_HV_GUEST_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Return codes. */
#define GW_OK            0
#define GW_FAULT         (-1) /* inject #PF: error code in pf_error, CR2 = fault_addr */
#define GW_NONCANONICAL  (-2) /* inject #GP(0) (#SS(0) for stack accesses) */
#define GW_EMEM          (-3) /* a guest-physical read/write failed: stop the VM */

/* Access types, OR-ed together. */
#define GW_ACCESS_WRITE   (1u << 0) /* data write */
#define GW_ACCESS_USER    (1u << 1) /* CPL 3 */
#define GW_ACCESS_FETCH   (1u << 2) /* instruction fetch */
#define GW_ACCESS_NO_AD   (1u << 3) /* do not set accessed/dirty bits (debug peeks) */
#define GW_ACCESS_SMAP_AC (1u << 4) /* supervisor data access with EFLAGS.AC = 1 */

/* #PF error code bits (SDM 4.7, figure 4-12). */
#define GW_PFEC_P    (1u << 0) /* 0: not present; 1: protection violation */
#define GW_PFEC_W    (1u << 1) /* the access was a write */
#define GW_PFEC_U    (1u << 2) /* the access was a user-mode access */
#define GW_PFEC_RSVD (1u << 3) /* a reserved bit was set in an entry */
#define GW_PFEC_I    (1u << 4) /* instruction fetch (only with SMEP, or PAE+NXE) */

/* The guest's paging state (its values, not the host's). */
struct guest_paging_regs {
    uint64_t cr0, cr3, cr4, efer;
    /* Guest MAXPHYADDR (CPUID 80000008h EAX[7:0]); 0 means 52. */
    uint8_t maxphyaddr;
    /* Optional: the 4 PDPTE registers for PAE paging; NULL: read at walk. */
    const uint64_t *pdptes;
};

/* Read/write `len` bytes of guest-physical memory: 0, or negative. */
typedef int (*guest_phys_read_fn)(void *ctx, uint64_t gpa, void *buf, size_t len);
typedef int (*guest_phys_write_fn)(void *ctx, uint64_t gpa, const void *buf, size_t len);
/*
 * Atomically replace the `size`-byte (4 or 8) paging entry at gpa if it
 * still holds `old`: 0 done, 1 the entry changed (the walk restarts),
 * negative on error.  In the hypervisor: a locked CMPXCHG on the host
 * mapping of the guest page, as the CPU updates A/D bits atomically
 * (SDM 4.8).
 */
typedef int (*guest_entry_cmpxchg_fn)(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
                                      unsigned size);
/* Optional: a host pointer to [gpa, gpa + len) when it is ordinary memory
 * readable in place, else NULL.  Paging entries are then read with one
 * load each, as the CPU's walker reads them, instead of through read (the
 * exit path walks the guest's tables for every decoded instruction). */
typedef const void *(*guest_phys_map_fn)(void *ctx, uint64_t gpa, size_t len);
/* (A pointer map gives stays valid while the guest's memory exists: the
 * walk memo below keeps the pointers to the entries it reloads.) */

struct guest_mem_ops {
    guest_phys_read_fn read;       /* required */
    guest_phys_write_fn write;     /* NULL: guest memory is read-only here */
    guest_entry_cmpxchg_fn cmpxchg; /* NULL: A/D bits are written with write
                                       (not atomic), or not at all if write
                                       is NULL too */
    guest_phys_map_fn map;         /* NULL: entries are read with read */
    void *ctx;
};

struct guest_walk_result {
    uint64_t gpa;        /* the translation (on success) */
    uint64_t fault_addr; /* the linear address that faulted (CR2) */
    uint64_t pte;        /* the leaf entry as read (0 with paging off) */
    uint64_t page_size;  /* 4 KiB, 2 MiB, 4 MiB or 1 GiB (4 KiB with paging off) */
    uint32_t pf_error;   /* #PF error code (GW_FAULT) */
    uint8_t level;       /* level of the leaf entry: 1 = PTE ... 5; 0 = paging off */
};

/*
 * Translate gva for an access of type `access` (GW_ACCESS_*).  In 32-bit
 * and PAE modes and with paging off (without EFER.LMA) gva is truncated to
 * 32 bits.  Returns GW_OK, GW_FAULT, GW_NONCANONICAL or GW_EMEM.
 * Preconditions: regs, mem, mem->read and res are non-NULL.
 */
int guest_walk(const struct guest_paging_regs *regs, uint64_t gva, unsigned access,
               const struct guest_mem_ops *mem, struct guest_walk_result *res);

/*
 * A memo of one successful 4- or 5-level walk, for the exit path, which
 * translates the same RIP again and again (docs/exit-path.md).  A walk is a
 * function of CR0, CR3, CR4, EFER, MAXPHYADDR, the access, the page of gva
 * and the entries it reads; the memo keeps all of them, the entries as
 * (address, value).  guest_walk_memo() reloads each entry (one load apiece)
 * and, when all still hold the values the walk read, gives the walk's
 * result without doing it; anything else is a full guest_walk(), whose
 * success is memorised when it found every A (and D) bit it needs set
 * already (so a hit never owes the guest an A/D update).  Sound whatever
 * the guest does to its tables: a changed entry is seen as changed.
 */
#define GW_MEMO_LEVELS 5
struct guest_walk_memo {
    bool valid;
    uint8_t n;                   /* entries on the path, root first */
    uint8_t maxphy;
    unsigned access;
    uint64_t cr0, cr3, cr4, efer;
    uint64_t page;               /* gva >> 12 */
    uint64_t ent_gpa[GW_MEMO_LEVELS], ent_val[GW_MEMO_LEVELS];
    const uint64_t *ent_ptr[GW_MEMO_LEVELS]; /* in place (mem->map), or NULL: read */
    struct guest_walk_result res;
};

/* guest_walk() through the memo m (zeroed before first use; any contents
 * are safe).  Same results and side effects as guest_walk(). */
int guest_walk_memo(const struct guest_paging_regs *regs, uint64_t gva, unsigned access,
                    const struct guest_mem_ops *mem, struct guest_walk_memo *m,
                    struct guest_walk_result *res);

/* Whether m was filled for these inputs (gva's page, access, paging
 * registers); its entries still holding is the other half of a hit. */
static inline bool guest_walk_memo_inputs_match(const struct guest_walk_memo *m,
                                                const struct guest_paging_regs *r, uint64_t gva,
                                                unsigned access)
{
    return m->valid && m->page == gva >> 12 && m->access == access && m->cr3 == r->cr3
           && m->cr0 == r->cr0 && m->cr4 == r->cr4 && m->efer == r->efer
           && m->maxphy == r->maxphyaddr;
}

/* guest_walk_memo's hit, inline, for the exit path's instruction fetch
 * (hv/vm.c): when m still holds for gva (the same inputs, every entry on
 * the path as memorised and readable in place), the guest-physical address
 * and true; false when guest_walk_memo must look (a miss, or an entry only
 * readable through mem->read).  A hit owes no A/D update (m is only filled
 * by walks that owed none), so nothing else differs from guest_walk_memo. */
static inline bool guest_walk_memo_peek(const struct guest_walk_memo *m,
                                        const struct guest_paging_regs *r, uint64_t gva,
                                        unsigned access, uint64_t *gpa)
{
    if (!guest_walk_memo_inputs_match(m, r, gva, access))
        return false;
    for (unsigned i = 0; i < m->n; i++)
        if (!m->ent_ptr[i] || __atomic_load_n(m->ent_ptr[i], __ATOMIC_RELAXED) != m->ent_val[i])
            return false;
    uint64_t off = m->res.page_size - 1;
    *gpa = (m->res.gpa & ~off) | (gva & off);
    return true;
}

/*
 * Copy len bytes between buf and guest-virtual memory at gva, crossing
 * page boundaries.  Every page is translated (and checked) before any byte
 * is copied, so a fault leaves guest memory unchanged (a read may have
 * filled part of buf).  On GW_FAULT/GW_NONCANONICAL, fault->fault_addr is
 * the first failing linear address and fault->pf_error the error code.
 * `access` must not include GW_ACCESS_WRITE for reads; writes add it.
 */
int guest_read_virt(const struct guest_paging_regs *regs, uint64_t gva, void *buf, size_t len,
                    unsigned access, const struct guest_mem_ops *mem,
                    struct guest_walk_result *fault);
int guest_write_virt(const struct guest_paging_regs *regs, uint64_t gva, const void *buf,
                     size_t len, unsigned access, const struct guest_mem_ops *mem,
                     struct guest_walk_result *fault);

/*
 * Set `bits` (accessed/dirty) in the `size`-byte entry at gpa whose value
 * was `old`.  Returns 0, 1 if the entry changed under us, or GW_EMEM.
 * Uses mem->cmpxchg when given, else a plain write.  Exposed so the
 * hypervisor can see (and test) the one place that writes guest tables.
 */
int guest_walk_set_ad(const struct guest_mem_ops *mem, uint64_t gpa, uint64_t old,
                      uint64_t bits, unsigned size);

#endif /* KEEL_HV_GUEST_WALK_H */
