/* SPDX-License-Identifier: MIT */
/*
 * Guest page-table walker.  See guest_walk.h for the modes covered and the
 * documented simplifications.  References: Intel SDM vol. 3 ch. 4 (4.3
 * 32-bit paging, 4.4 PAE, 4.5 4/5-level, 4.6 access rights, 4.7 #PF error
 * code, 4.8 accessed/dirty flags); AMD APM vol. 2 ch. 5.
 */
#include "hv/emul/guest_walk.h"

#include <string.h>

/* CR0 (SDM 2.5) */
#define GW_CR0_WP (1ull << 16) /* write protect for supervisor writes */
#define GW_CR0_PG (1ull << 31) /* paging */
/* CR4 (SDM 2.5) */
#define GW_CR4_PSE  (1ull << 4)  /* 4 MiB pages in 32-bit paging */
#define GW_CR4_PAE  (1ull << 5)  /* PAE / 4-level / 5-level */
#define GW_CR4_LA57 (1ull << 12) /* 5-level paging */
#define GW_CR4_SMEP (1ull << 20) /* supervisor-mode execution prevention */
#define GW_CR4_SMAP (1ull << 21) /* supervisor-mode access prevention */
/* IA32_EFER (SDM 2.2.1, APM 3.1.7) */
#define GW_EFER_LMA (1ull << 10) /* IA-32e mode active */
#define GW_EFER_NXE (1ull << 11) /* execute-disable bit enabled */

/* Paging-structure entry bits (SDM tables 4-4..4-6, 4-8..4-11, 4-14..4-20). */
#define PTE_P  (1ull << 0)  /* present */
#define PTE_RW (1ull << 1)  /* writable */
#define PTE_US (1ull << 2)  /* user */
#define PTE_A  (1ull << 5)  /* accessed */
#define PTE_D  (1ull << 6)  /* dirty (leaf) */
#define PTE_PS (1ull << 7)  /* page size (PDE, PDPTE) */
#define PTE_XD (1ull << 63) /* execute-disable (EFER.NXE = 1) */

/* 32-bit paging (SDM 4.3): 4-byte entries, 10 index bits per level. */
#define PG32_ADDR_4K   0xfffff000ull /* PDE/PTE bits 31:12 */
#define PG32_ADDR_4M   0xffc00000ull /* 4 MiB PDE bits 31:22 */
#define PG32_PSE36_LSB 13            /* 4 MiB PDE bits 20:13 = address bits 39:32 */
/* PAE (SDM 4.4.1): PDPTE bits 2:1 and 8:5 are reserved; CR3[31:5] = PDPT. */
#define PAE_PDPTE_RSVD 0x1e6ull
#define PAE_CR3_PDPT   0xffffffe0ull

#define PAGE_SHIFT 12
#define PAGE_4K    (1ull << 12)
#define MAX_LEVELS 5
#define AD_RETRIES 8
/* Internal: an A/D update lost a race, walk again. */
#define GW_RETRY   1

/* Bits hi:lo set; 0 when hi < lo.  lo <= 63. */
static uint64_t bit_range(unsigned hi, unsigned lo)
{
    uint64_t upper = hi >= 63 ? ~0ull : (1ull << (hi + 1)) - 1;

    return upper & ~((1ull << lo) - 1);
}

/* State of one walk. */
struct walk {
    const struct guest_paging_regs *regs;
    const struct guest_mem_ops *mem;
    unsigned access;
    unsigned maxphy;     /* guest MAXPHYADDR, 32..52 */
    uint64_t phys_rsvd;  /* reserved physical-address bits of 8-byte entries */
    bool nxe;
    /* Rights accumulated over the levels (SDM 4.6). */
    bool user, writable, executable;
    /* Entries to update: gpa, value as read, and whether it is the leaf. */
    unsigned nent, ent_size;
    uint64_t ent_gpa[MAX_LEVELS];
    uint64_t ent_val[MAX_LEVELS];
};

/* Entries are little-endian, as is every host Keel and its tests run on
 * (x86-64): read straight into the integer, no byte assembly (this runs 4
 * times per decoded instruction on the exit path, docs/exit-path.md). */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "guest page tables are little-endian");

static int read_entry(const struct walk *w, uint64_t gpa, unsigned size, uint64_t *val)
{
    const void *p = w->mem->map ? w->mem->map(w->mem->ctx, gpa, size) : NULL;
    if (p && !(gpa & (size - 1))) {
        /* One load, as the CPU reads an entry (a concurrent writer on
         * another vCPU is seen whole or not at all). */
        *val = size == 8 ? __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED)
                         : __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED);
        return GW_OK;
    }
    if (size == 8)
        return w->mem->read(w->mem->ctx, gpa, val, 8) < 0 ? GW_EMEM : GW_OK;
    uint32_t v;
    if (w->mem->read(w->mem->ctx, gpa, &v, 4) < 0)
        return GW_EMEM;
    *val = v;
    return GW_OK;
}

int guest_walk_set_ad(const struct guest_mem_ops *mem, uint64_t gpa, uint64_t old,
                      uint64_t bits, unsigned size)
{
    uint64_t new_val = old | bits;
    uint8_t b[8];
    int rc;

    if (mem->cmpxchg) {
        rc = mem->cmpxchg(mem->ctx, gpa, old, new_val, size);
        return rc < 0 ? GW_EMEM : rc ? GW_RETRY : GW_OK;
    }
    if (!mem->write)
        return GW_OK; /* read-only view: leave A/D alone */
    for (unsigned i = 0; i < size; i++)
        b[i] = (uint8_t)(new_val >> (8 * i));
    return mem->write(mem->ctx, gpa, b, size) < 0 ? GW_EMEM : GW_OK;
}

/* #PF error code for this access plus `bits` (SDM 4.7). */
static int fault(const struct walk *w, uint32_t bits, struct guest_walk_result *res)
{
    const struct guest_paging_regs *r = w->regs;
    uint32_t e = bits;

    if (w->access & GW_ACCESS_WRITE)
        e |= GW_PFEC_W;
    if (w->access & GW_ACCESS_USER)
        e |= GW_PFEC_U;
    /* I/D is reported only when execute protection exists: SMEP, or
     * PAE-format tables with NXE. */
    if ((w->access & GW_ACCESS_FETCH) &&
        ((r->cr4 & GW_CR4_SMEP) || ((r->cr4 & GW_CR4_PAE) && w->nxe)))
        e |= GW_PFEC_I;
    res->pf_error = e;
    return GW_FAULT;
}

/* Note a present, valid entry: accumulate rights, remember it for A/D. */
static void use_entry(struct walk *w, uint64_t gpa, uint64_t e, bool has_rights)
{
    if (has_rights) {
        w->user = w->user && (e & PTE_US);
        w->writable = w->writable && (e & PTE_RW);
        if (w->nxe && (e & PTE_XD))
            w->executable = false;
    }
    w->ent_gpa[w->nent] = gpa;
    w->ent_val[w->nent] = e;
    w->nent++;
}

/* Access rights of the final translation (SDM 4.6.1). */
static bool access_allowed(const struct walk *w)
{
    const struct guest_paging_regs *r = w->regs;
    unsigned a = w->access;
    bool write = (a & GW_ACCESS_WRITE) != 0;

    if (a & GW_ACCESS_USER) {
        if (!w->user)
            return false;
        if (a & GW_ACCESS_FETCH)
            return w->executable;
        return !write || w->writable;
    }
    if (a & GW_ACCESS_FETCH)
        return w->executable && !(w->user && (r->cr4 & GW_CR4_SMEP));
    if (w->user && (r->cr4 & GW_CR4_SMAP) && !(a & GW_ACCESS_SMAP_AC))
        return false;
    return !write || w->writable || !(r->cr0 & GW_CR0_WP);
}

/* Reserved bits of an 8-byte PAE / 4-level / 5-level entry (SDM 4.4, 4.5). */
static uint64_t rsvd_mask(const struct walk *w, unsigned level, uint64_t e)
{
    uint64_t m = w->phys_rsvd;

    if (!w->nxe)
        m |= PTE_XD;
    if (level >= 4)
        m |= PTE_PS;                                     /* PML4E, PML5E */
    else if (level >= 2 && (e & PTE_PS))
        m |= bit_range(PAGE_SHIFT + 9 * (level - 1) - 1, 13); /* 2M: 20:13, 1G: 29:13 */
    return m;
}

/* Walk 8-byte tables from `table` at `top` down to the leaf. */
static int walk_levels(struct walk *w, uint64_t table, unsigned top, uint64_t gva,
                       struct guest_walk_result *res)
{
    uint64_t addr_mask = bit_range(w->maxphy - 1, PAGE_SHIFT);

    for (unsigned level = top; level >= 1; level--) {
        unsigned shift = PAGE_SHIFT + 9 * (level - 1);
        uint64_t gpa = table + ((gva >> shift) & 511) * 8;
        uint64_t e;

        if (read_entry(w, gpa, 8, &e) != GW_OK)
            return GW_EMEM;
        if (!(e & PTE_P))
            return fault(w, 0, res);
        if (e & rsvd_mask(w, level, e))
            return fault(w, GW_PFEC_P | GW_PFEC_RSVD, res);
        use_entry(w, gpa, e, true);
        if (level == 1 || (level <= 3 && (e & PTE_PS))) {
            res->page_size = 1ull << shift;
            res->gpa = (e & addr_mask & ~(res->page_size - 1)) | (gva & (res->page_size - 1));
            res->pte = e;
            res->level = (uint8_t)level;
            return GW_OK;
        }
        table = e & addr_mask;
    }
    return GW_EMEM; /* not reached: level 1 is always a leaf */
}

/* 32-bit paging (SDM 4.3). */
static int walk_32bit(struct walk *w, uint64_t gva, struct guest_walk_result *res)
{
    const struct guest_paging_regs *r = w->regs;
    uint64_t pde_gpa = (r->cr3 & PG32_ADDR_4K) + ((gva >> 22) & 1023) * 4;
    uint64_t pte_gpa, pde, pte;

    if (read_entry(w, pde_gpa, 4, &pde) != GW_OK)
        return GW_EMEM;
    if (!(pde & PTE_P))
        return fault(w, 0, res);
    if ((r->cr4 & GW_CR4_PSE) && (pde & PTE_PS)) {
        /* 4 MiB page; PSE-36: bits (M-20):13 hold address bits (M-1):32,
         * bits 21:(M-19) are reserved, M = min(MAXPHYADDR, 40). */
        unsigned m = w->maxphy > 40 ? 40 : w->maxphy;
        uint64_t high = (pde >> PG32_PSE36_LSB) & ((1ull << (m - 32)) - 1);

        if (pde & bit_range(21, m - 19))
            return fault(w, GW_PFEC_P | GW_PFEC_RSVD, res);
        use_entry(w, pde_gpa, pde, true);
        res->page_size = 4ull << 20;
        res->gpa = (pde & PG32_ADDR_4M) | (high << 32) | (gva & (res->page_size - 1));
        res->pte = pde;
        res->level = 2;
        return GW_OK;
    }
    use_entry(w, pde_gpa, pde, true);
    pte_gpa = (pde & PG32_ADDR_4K) + ((gva >> PAGE_SHIFT) & 1023) * 4;
    if (read_entry(w, pte_gpa, 4, &pte) != GW_OK)
        return GW_EMEM;
    if (!(pte & PTE_P))
        return fault(w, 0, res);
    use_entry(w, pte_gpa, pte, true);
    res->page_size = PAGE_4K;
    res->gpa = (pte & PG32_ADDR_4K) | (gva & (PAGE_4K - 1));
    res->pte = pte;
    res->level = 1;
    return GW_OK;
}

/* PAE paging (SDM 4.4): a PDPTE, then 8-byte PDE/PTE levels. */
static int walk_pae(struct walk *w, uint64_t gva, struct guest_walk_result *res)
{
    const struct guest_paging_regs *r = w->regs;
    unsigned idx = (unsigned)(gva >> 30) & 3;
    uint64_t pdpte;

    if (r->pdptes) {
        pdpte = r->pdptes[idx];
    } else if (read_entry(w, (r->cr3 & PAE_CR3_PDPT) + idx * 8, 8, &pdpte) != GW_OK) {
        return GW_EMEM;
    }
    if (!(pdpte & PTE_P))
        return fault(w, 0, res);
    /* PDPTEs have no R/W, U/S, XD or A bits: bits 63:M are reserved. */
    if (pdpte & (PAE_PDPTE_RSVD | bit_range(63, w->maxphy)))
        return fault(w, GW_PFEC_P | GW_PFEC_RSVD, res);
    return walk_levels(w, pdpte & bit_range(w->maxphy - 1, PAGE_SHIFT), 2, gva, res);
}

/* Set A on every entry used and D on the leaf of a write (SDM 4.8). */
static int update_ad(const struct walk *w)
{
    if (w->access & GW_ACCESS_NO_AD)
        return GW_OK;
    for (unsigned i = 0; i < w->nent; i++) {
        bool leaf = i + 1 == w->nent;
        uint64_t bits = PTE_A;
        int rc;

        if (leaf && (w->access & GW_ACCESS_WRITE))
            bits |= PTE_D;
        if ((w->ent_val[i] & bits) == bits)
            continue;
        rc = guest_walk_set_ad(w->mem, w->ent_gpa[i], w->ent_val[i], bits, w->ent_size);
        if (rc != GW_OK)
            return rc;
    }
    return GW_OK;
}

static void walk_init(struct walk *w, const struct guest_paging_regs *regs, unsigned access,
                      const struct guest_mem_ops *mem)
{
    unsigned m = regs->maxphyaddr ? regs->maxphyaddr : 52;

    memset(w, 0, sizeof(*w));
    w->regs = regs;
    w->mem = mem;
    w->access = access;
    w->maxphy = m < 32 ? 32 : m > 52 ? 52 : m;
    w->nxe = (regs->efer & GW_EFER_NXE) != 0;
    w->user = w->writable = w->executable = true;
    w->ent_size = (regs->cr4 & GW_CR4_PAE) ? 8 : 4;
    /* 4/5-level: bits 51:M reserved (62:52 ignored); PAE: bits 62:M.
     * bit_range() is empty when M = 52 in 4/5-level paging. */
    w->phys_rsvd = bit_range((regs->efer & GW_EFER_LMA) ? 51 : 62, w->maxphy);
}

/* One walk with paging on into w; GW_RETRY if an A/D update raced. */
static int walk_once_into(struct walk *wp, const struct guest_paging_regs *regs, uint64_t gva,
                          unsigned access, const struct guest_mem_ops *mem,
                          struct guest_walk_result *res)
{
    struct walk w;
    int rc;

    walk_init(&w, regs, access, mem);
    if (regs->efer & GW_EFER_LMA) {
        unsigned top = (regs->cr4 & GW_CR4_LA57) ? 5 : 4;
        rc = walk_levels(&w, regs->cr3 & bit_range(w.maxphy - 1, PAGE_SHIFT), top, gva, res);
    } else if (regs->cr4 & GW_CR4_PAE) {
        rc = walk_pae(&w, gva, res);
    } else {
        w.ent_size = 4;
        rc = walk_32bit(&w, gva, res);
    }
    if (rc != GW_OK)
        return rc;
    if (!access_allowed(&w))
        return fault(&w, GW_PFEC_P, res);
    if (wp)
        *wp = w;
    return update_ad(&w);
}


/* Canonical in 4-level (bits 63:47 equal) or 5-level (63:56) paging. */
static bool is_canonical(uint64_t gva, bool la57)
{
    unsigned bits = la57 ? 57 : 48;
    uint64_t top = gva >> (bits - 1);

    return top == 0 || top == (~0ull >> (bits - 1));
}

/* guest_walk(), and into *w (when not NULL) the walk that succeeded with
 * paging on: the path the memo keeps. */
static int walk_into(struct walk *w, const struct guest_paging_regs *regs, uint64_t gva,
                     unsigned access, const struct guest_mem_ops *mem,
                     struct guest_walk_result *res)
{
    bool lma = (regs->efer & GW_EFER_LMA) != 0;
    int rc = GW_EMEM;

    memset(res, 0, sizeof(*res));
    if (!lma)
        gva &= 0xffffffffull; /* 32-bit linear addresses */
    res->fault_addr = gva;
    if (!(regs->cr0 & GW_CR0_PG)) {
        res->gpa = gva;
        res->page_size = PAGE_4K;
        return GW_OK;
    }
    if (lma && !is_canonical(gva, (regs->cr4 & GW_CR4_LA57) != 0))
        return GW_NONCANONICAL;
    for (unsigned i = 0; i < AD_RETRIES; i++) {
        rc = walk_once_into(w, regs, gva, access, mem, res);
        if (rc != GW_RETRY)
            return rc;
    }
    return GW_EMEM; /* the guest keeps rewriting the entry */
}

int guest_walk(const struct guest_paging_regs *regs, uint64_t gva, unsigned access,
               const struct guest_mem_ops *mem, struct guest_walk_result *res)
{
    return walk_into(NULL, regs, gva, access, mem, res);
}

/* ---- the walk memo (guest_walk.h) ---- */

static bool memo_entries_hold(const struct guest_walk_memo *m, const struct guest_mem_ops *mem)
{
    for (unsigned i = 0; i < m->n; i++) {
        uint64_t v;
        if (m->ent_ptr[i])
            v = __atomic_load_n(m->ent_ptr[i], __ATOMIC_RELAXED);
        else if (mem->read(mem->ctx, m->ent_gpa[i], &v, 8) < 0)
            return false;
        if (v != m->ent_val[i])
            return false;
    }
    return true;
}

/* Whether the walk in w found every A/D bit it sets already set. */
static bool walk_needed_no_ad(const struct walk *w)
{
    for (unsigned i = 0; i < w->nent; i++) {
        uint64_t bits = PTE_A;
        if (i + 1 == w->nent && (w->access & GW_ACCESS_WRITE))
            bits |= PTE_D;
        if ((w->ent_val[i] & bits) != bits)
            return false;
    }
    return true;
}

int guest_walk_memo(const struct guest_paging_regs *regs, uint64_t gva, unsigned access,
                    const struct guest_mem_ops *mem, struct guest_walk_memo *m,
                    struct guest_walk_result *res)
{
    bool long_mode = (regs->efer & GW_EFER_LMA) && (regs->cr0 & GW_CR0_PG);
    if (long_mode && guest_walk_memo_inputs_match(m, regs, gva, access) && memo_entries_hold(m, mem)) {
        *res = m->res;
        res->gpa = (m->res.gpa & ~(res->page_size - 1)) | (gva & (res->page_size - 1));
        res->fault_addr = gva;
        return GW_OK;
    }
    m->valid = false;
    if (!long_mode || (access & GW_ACCESS_NO_AD))
        return guest_walk(regs, gva, access, mem, res);
    struct walk w;
    int rc = walk_into(&w, regs, gva, access, mem, res);
    if (rc != GW_OK || !walk_needed_no_ad(&w) || w.nent > GW_MEMO_LEVELS || w.ent_size != 8)
        return rc;
    m->n = (uint8_t)w.nent;
    for (unsigned i = 0; i < w.nent; i++) {
        m->ent_gpa[i] = w.ent_gpa[i];
        m->ent_val[i] = w.ent_val[i];
        m->ent_ptr[i] = NULL;
        if (mem->map && !(w.ent_gpa[i] & 7))
            m->ent_ptr[i] = mem->map(mem->ctx, w.ent_gpa[i], 8);
    }
    m->cr0 = regs->cr0;
    m->cr3 = regs->cr3;
    m->cr4 = regs->cr4;
    m->efer = regs->efer;
    m->maxphy = regs->maxphyaddr;
    m->access = access;
    m->page = gva >> PAGE_SHIFT;
    m->res = *res;
    m->valid = true;
    return GW_OK;
}

/* Bytes from gva to the end of its page (r from a successful walk). */
static size_t page_chunk(uint64_t gva, const struct guest_walk_result *r, size_t len)
{
    uint64_t left = r->page_size - (gva & (r->page_size - 1));

    return left < len ? (size_t)left : len;
}

/* Translate (and optionally copy) every page of [gva, gva + len). */
static int virt_pass(const struct guest_paging_regs *regs, uint64_t gva, uint8_t *rbuf,
                     const uint8_t *wbuf, size_t len, unsigned access,
                     const struct guest_mem_ops *mem, struct guest_walk_result *fault_res)
{
    while (len > 0) {
        struct guest_walk_result r;
        size_t n;
        int rc = guest_walk(regs, gva, access, mem, &r);

        if (rc != GW_OK) {
            *fault_res = r;
            return rc;
        }
        n = page_chunk(gva, &r, len);
        if (rbuf) {
            if (mem->read(mem->ctx, r.gpa, rbuf, n) < 0)
                return GW_EMEM;
            rbuf += n;
        } else if (wbuf) {
            if (mem->write(mem->ctx, r.gpa, wbuf, n) < 0)
                return GW_EMEM;
            wbuf += n;
        }
        gva += n;
        len -= n;
    }
    return GW_OK;
}

/* Whether [gva, gva + len) lies in one 4 KiB page.  Then one walk
 * translates it all, and the pass that first checks every page without
 * touching A/D bits (so a fault on a later page leaves none set, as the
 * CPU leaves none) has nothing to protect: skip it. */
static bool in_one_page(uint64_t gva, size_t len, const struct guest_paging_regs *regs)
{
    if (!(regs->efer & GW_EFER_LMA))
        gva &= 0xffffffffull; /* 32-bit linear addresses wrap */
    return len <= PAGE_4K && (gva & (PAGE_4K - 1)) + len <= PAGE_4K;
}

int guest_read_virt(const struct guest_paging_regs *regs, uint64_t gva, void *buf, size_t len,
                    unsigned access, const struct guest_mem_ops *mem,
                    struct guest_walk_result *fault_res)
{
    int rc;

    memset(fault_res, 0, sizeof(*fault_res));
    access &= ~GW_ACCESS_WRITE;
    if (!in_one_page(gva, len, regs)) {
        rc = virt_pass(regs, gva, NULL, NULL, len, access | GW_ACCESS_NO_AD, mem, fault_res);
        if (rc != GW_OK)
            return rc;
    }
    return virt_pass(regs, gva, buf, NULL, len, access, mem, fault_res);
}

int guest_write_virt(const struct guest_paging_regs *regs, uint64_t gva, const void *buf,
                     size_t len, unsigned access, const struct guest_mem_ops *mem,
                     struct guest_walk_result *fault_res)
{
    int rc;

    memset(fault_res, 0, sizeof(*fault_res));
    if (!mem->write)
        return GW_EMEM;
    access = (access | GW_ACCESS_WRITE) & ~GW_ACCESS_FETCH;
    if (!in_one_page(gva, len, regs)) {
        rc = virt_pass(regs, gva, NULL, NULL, len, access | GW_ACCESS_NO_AD, mem, fault_res);
        if (rc != GW_OK)
            return rc;
    }
    return virt_pass(regs, gva, NULL, buf, len, access, mem, fault_res);
}
