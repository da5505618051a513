/* SPDX-License-Identifier: MIT */
/*
 * hv/emul/guest_walk.c: the guest writes its own page tables.  Input: the
 * paging mode (byte 0: off, 32-bit, 32-bit + PSE, PAE, 4-level, 5-level),
 * flags (byte 1: CR0.WP, EFER.NXE, CR4.SMEP, CR4.SMAP, A/D by cmpxchg or
 * by write, PDPTE registers, entries read in place by map), MAXPHYADDR (byte 2), the access (byte 3),
 * the address (8 bytes), a length (byte 12, 0..63), CR3 (2 bytes), then
 * guest-physical memory from 0 (at most 16 KiB; reads beyond fail).
 * Invariants:
 *   - a translation keeps the offset within its page, has a known page
 *     size and level, and is below MAXPHYADDR;
 *   - a walk that sets no A/D bits changes nothing; the real walk agrees
 *     with it unless its A/D update changed memory; an access that
 *     succeeded still succeeds without the write (and, without SMAP, as
 *     supervisor for data);
 *   - a #PF error code says what the access was (W, U, I) and RSVD comes
 *     with P; CR2 is the address; non-canonical only in long mode;
 *   - guest_write_virt over a range that faults leaves memory unchanged;
 *     a walk changes nothing but A/D bits.
 */
#include "fuzz.h"
#include "hv/emul/guest_walk.h"

#define MEM_SIZE 0x4000u

#define CR0_PG   (1ull << 31)
#define CR0_WP   (1ull << 16)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

static uint8_t mem[MEM_SIZE], before[MEM_SIZE];

static int fm_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    if (gpa > MEM_SIZE || len > MEM_SIZE - gpa)
        return -1;
    memcpy(buf, mem + gpa, len);
    return 0;
}

static int fm_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    if (gpa > MEM_SIZE || len > MEM_SIZE - gpa)
        return -1;
    memcpy(mem + gpa, buf, len);
    return 0;
}

/* Paging entries read in place (guest_mem_ops.map), on flag bit 64. */
static const void *fm_map(void *ctx, uint64_t gpa, size_t len)
{
    return gpa <= MEM_SIZE && len <= MEM_SIZE - gpa ? mem + gpa : NULL;
}

static int fm_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val, unsigned size)
{
    uint64_t cur = 0;

    FUZZ_ASSERT(size == 4 || size == 8);
    if (gpa > MEM_SIZE || size > MEM_SIZE - gpa)
        return -1;
    memcpy(&cur, mem + gpa, size);
    if (cur != old)
        return 1;
    memcpy(mem + gpa, &new_val, size);
    return 0;
}

/* Memory differs from `before` in A/D bits (5 and 6 of an entry's low
 * byte) only. */
static bool only_ad_changed(void)
{
    if (memcmp(mem, before, MEM_SIZE) == 0)
        return true;
    for (unsigned i = 0; i < MEM_SIZE; i++)
        if (mem[i] != before[i] && (i % 4 != 0 || ((mem[i] ^ before[i]) & ~0x60u) != 0))
            return false;
    return true;
}

static void regs_from(struct fuzz_in *in, struct guest_paging_regs *r, uint64_t pdptes[4],
                      unsigned *flags)
{
    static const uint64_t cr4_of[] = { 0, 0, CR4_PSE, CR4_PAE, CR4_PAE, CR4_PAE | CR4_LA57 };
    unsigned mode = fuzz_u8(in) % 6;

    *flags = fuzz_u8(in);
    memset(r, 0, sizeof(*r));
    r->cr0 = (mode ? CR0_PG : 0) | 1u | ((*flags & 1u) ? CR0_WP : 0);
    r->cr4 = cr4_of[mode] | ((*flags & 4u) ? CR4_SMEP : 0) | ((*flags & 8u) ? CR4_SMAP : 0);
    r->efer = (mode >= 4 ? EFER_LME | EFER_LMA : 0) | ((*flags & 2u) ? EFER_NXE : 0);
    r->maxphyaddr = fuzz_u8(in);
    if (mode == 3 && (*flags & 32u)) {
        for (unsigned i = 0; i < 4; i++)
            pdptes[i] = (uint64_t)(i + 1) << 12 | 1u;
        r->pdptes = pdptes;
    }
}

static void check_fault(const struct guest_walk_result *res, uint64_t gva, unsigned access)
{
    FUZZ_ASSERT(res->fault_addr == gva);
    FUZZ_ASSERT(!(res->pf_error & GW_PFEC_W) == !(access & GW_ACCESS_WRITE));
    FUZZ_ASSERT(!(res->pf_error & GW_PFEC_U) == !(access & GW_ACCESS_USER));
    FUZZ_ASSERT(!(res->pf_error & GW_PFEC_I) || (access & GW_ACCESS_FETCH));
    FUZZ_ASSERT(!(res->pf_error & GW_PFEC_RSVD) || (res->pf_error & GW_PFEC_P));
}

/* The same tables translate @gva the same for a weaker access: without
 * the write, and (data, no SMAP) as supervisor. */
static void check_weaker(const struct guest_paging_regs *r, uint64_t gva, unsigned access,
                         const struct guest_mem_ops *ops, const struct guest_walk_result *res)
{
    struct guest_walk_result again;
    unsigned peek = access | GW_ACCESS_NO_AD;

    FUZZ_ASSERT(guest_walk(r, gva, peek & ~GW_ACCESS_WRITE, ops, &again) == GW_OK &&
                again.gpa == res->gpa);
    if (!(r->cr4 & CR4_SMAP) && !(access & GW_ACCESS_FETCH))
        FUZZ_ASSERT(guest_walk(r, gva, peek & ~GW_ACCESS_USER, ops, &again) == GW_OK &&
                    again.gpa == res->gpa);
}

/*
 * A walk without A/D updates (a pure function of memory), then the real
 * one.  They agree unless the A/D update changed memory: a guest whose
 * tables alias each other can turn its own A bit into a reserved bit of
 * another level, as on hardware.
 */
static void check_walk(const struct guest_paging_regs *r, uint64_t gva, unsigned access,
                       const struct guest_mem_ops *ops)
{
    struct guest_walk_result res, real;
    bool lma = (r->efer & EFER_LMA) != 0;
    int rc = guest_walk(r, gva, access | GW_ACCESS_NO_AD, ops, &res), rc_real;

    FUZZ_ASSERT(memcmp(mem, before, MEM_SIZE) == 0);
    if (!lma)
        gva &= 0xffffffffu;
    FUZZ_ASSERT(rc != GW_NONCANONICAL || lma);
    if (rc == GW_FAULT)
        check_fault(&res, gva, access);
    if (rc == GW_OK) {
        FUZZ_ASSERT(res.page_size == 1u << 12 || res.page_size == 1u << 21 ||
                    res.page_size == 1u << 22 || res.page_size == 1u << 30);
        FUZZ_ASSERT(((res.gpa ^ gva) & (res.page_size - 1)) == 0);
        FUZZ_ASSERT(res.level <= 5 && (res.level == 0) == !(r->cr0 & CR0_PG));
        FUZZ_ASSERT(!(r->cr0 & CR0_PG) || r->maxphyaddr < 32 || r->maxphyaddr > 52 ||
                    res.gpa >> r->maxphyaddr == 0);
        check_weaker(r, gva, access, ops, &res);
    }
    rc_real = guest_walk(r, gva, access, ops, &real);
    FUZZ_ASSERT(only_ad_changed());
    if (memcmp(mem, before, MEM_SIZE) == 0)
        FUZZ_ASSERT(rc_real == rc && (rc != GW_OK || real.gpa == res.gpa));
    memcpy(before, mem, MEM_SIZE);
}

/* Every page of [gva, gva + len) translates for @access (no A/D update). */
static bool range_ok(const struct guest_paging_regs *r, uint64_t gva, size_t len,
                     unsigned access, const struct guest_mem_ops *ops)
{
    while (len > 0) {
        struct guest_walk_result res;
        uint64_t left;

        if (guest_walk(r, gva, access | GW_ACCESS_NO_AD, ops, &res) != GW_OK)
            return false;
        left = res.page_size - (gva & (res.page_size - 1));
        left = left < len ? left : len;
        gva += left;
        len -= left;
    }
    return true;
}

/* Reads change nothing but A/D bits; a write that some page of the range
 * refuses changes nothing at all. */
static void check_virt(const struct guest_paging_regs *r, uint64_t gva, size_t len,
                       unsigned access, const struct guest_mem_ops *ops)
{
    static const uint8_t buf[64] = { 0xcc, 0xcc, 0xcc, 0xcc };
    unsigned wacc = (access | GW_ACCESS_WRITE) & ~GW_ACCESS_FETCH;
    struct guest_walk_result res;
    uint8_t rbuf[64];
    bool ok;

    memcpy(before, mem, MEM_SIZE);
    (void)guest_read_virt(r, gva, rbuf, len, access & ~GW_ACCESS_WRITE, ops, &res);
    FUZZ_ASSERT(only_ad_changed());
    memcpy(before, mem, MEM_SIZE);
    ok = range_ok(r, gva, len, wacc, ops);
    FUZZ_ASSERT(memcmp(mem, before, MEM_SIZE) == 0);
    if (guest_write_virt(r, gva, buf, len, access, ops, &res) == GW_OK)
        FUZZ_ASSERT(ok);
    if (!ok)
        FUZZ_ASSERT(memcmp(mem, before, MEM_SIZE) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct guest_paging_regs regs;
    struct guest_mem_ops ops = { fm_read, fm_write, NULL, NULL, NULL };
    uint64_t pdptes[4], gva;
    unsigned flags, access;
    size_t len;

    regs_from(&in, &regs, pdptes, &flags);
    access = fuzz_u8(&in) & 0x1fu;
    gva = fuzz_u64(&in);
    len = fuzz_u8(&in) % 64;
    regs.cr3 = (uint64_t)fuzz_u16(&in) & (MEM_SIZE - 1) & ~0x1full;
    if (flags & 16u)
        ops.cmpxchg = fm_cmpxchg;
    if (flags & 64u)
        ops.map = fm_map;
    memset(mem, 0, MEM_SIZE);
    memcpy(mem, in.p, in.n < MEM_SIZE ? in.n : MEM_SIZE);
    memcpy(before, mem, MEM_SIZE);
    check_walk(&regs, gva, access, &ops);
    check_virt(&regs, gva, len, access, &ops);
    return 0;
}
