/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for hv/emul/guest_walk.c: a fake guest-physical memory (a byte
 * array) with page tables built per scenario for each paging mode.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hv/emul/guest_walk.h"

#define MEM_SIZE   (16u << 20)
#define TABLE_BASE 0x100000ull /* page tables are allocated from here up */

/* Architectural bits, written out here independently of the walker. */
#define CR0_PE   (1ull << 0)
#define CR0_WP   (1ull << 16)
#define CR0_PG   (1ull << 31)
#define CR4_PSE  (1ull << 4)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_SMEP (1ull << 20)
#define CR4_SMAP (1ull << 21)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define EFER_NXE (1ull << 11)

#define P  (1ull << 0)
#define RW (1ull << 1)
#define US (1ull << 2)
#define A  (1ull << 5)
#define D  (1ull << 6)
#define PS (1ull << 7)
#define XD (1ull << 63)
#define TF (P | RW | US) /* flags of tables created by the builders */

#define PF_P    1u
#define PF_W    2u
#define PF_U    4u
#define PF_RSVD 8u
#define PF_I    16u

struct fake_mem {
    uint8_t *bytes;
    unsigned writes;      /* write callback calls */
    unsigned cmpxchgs;    /* cmpxchg callback calls */
    unsigned races;       /* make this many cmpxchg calls report a change */
};

static struct fake_mem fm;
static struct guest_mem_ops ops;
static uint64_t next_table;
static unsigned scenarios;

static int fm_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    struct fake_mem *m = ctx;

    if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
        return -1;
    memcpy(buf, m->bytes + gpa, len);
    return 0;
}

static int fm_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    struct fake_mem *m = ctx;

    if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
        return -1;
    memcpy(m->bytes + gpa, buf, len);
    m->writes++;
    return 0;
}

static uint64_t get(uint64_t gpa, unsigned size)
{
    uint64_t v = 0;

    memcpy(&v, fm.bytes + gpa, size); /* the host is little-endian like the guest */
    return v;
}

static void set(uint64_t gpa, uint64_t v, unsigned size)
{
    memcpy(fm.bytes + gpa, &v, size);
}

static int fm_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val, unsigned size)
{
    struct fake_mem *m = ctx;

    m->cmpxchgs++;
    if (gpa >= MEM_SIZE)
        return -1;
    if (m->races) {
        m->races--;
        return 1;
    }
    if (get(gpa, size) != old)
        return 1;
    set(gpa, new_val, size);
    return 0;
}

/* The second round reads paging entries in place (guest_mem_ops.map, as
 * Keel's exit path does) instead of through fm_read: same results. */
static bool use_map;

static const void *fm_map(void *ctx, uint64_t gpa, size_t len)
{
    struct fake_mem *m = ctx;
    return gpa < MEM_SIZE && len <= MEM_SIZE - gpa ? m->bytes + gpa : NULL;
}

/* Start a scenario: empty memory, one root table at TABLE_BASE. */
static void begin(void)
{
    memset(fm.bytes, 0, MEM_SIZE);
    fm.writes = fm.cmpxchgs = fm.races = 0;
    ops = (struct guest_mem_ops){ .read = fm_read, .write = fm_write, .cmpxchg = NULL,
                                  .map = use_map ? fm_map : NULL, .ctx = &fm };
    next_table = TABLE_BASE + 0x1000;
    scenarios++;
}

static uint64_t alloc_table(void)
{
    uint64_t t = next_table;

    next_table += 0x1000;
    return t;
}

/* 8-byte-entry tables (PAE below the PDPT, 4/5-level): gpa of the entry for
 * gva at `level`, creating missing tables above it. */
static uint64_t entry8(uint64_t root, unsigned top, uint64_t gva, unsigned level)
{
    uint64_t table = root;

    for (unsigned l = top; l > level; l--) {
        uint64_t egpa = table + ((gva >> (12 + 9 * (l - 1))) & 511) * 8;
        uint64_t e = get(egpa, 8);

        if (!(e & P)) {
            e = alloc_table() | TF;
            set(egpa, e, 8);
        }
        table = e & 0x000ffffffffff000ull;
    }
    return table + ((gva >> (12 + 9 * (level - 1))) & 511) * 8;
}

static uint64_t map8(uint64_t root, unsigned top, uint64_t gva, unsigned level, uint64_t leaf)
{
    uint64_t egpa = entry8(root, top, gva, level);

    set(egpa, leaf, 8);
    return egpa;
}

/* 32-bit paging: gpa of the PDE (level 2) or PTE (level 1) for gva. */
static uint64_t entry4(uint64_t root, uint64_t gva, unsigned level)
{
    uint64_t pde = root + ((gva >> 22) & 1023) * 4;
    uint64_t e;

    if (level == 2)
        return pde;
    e = get(pde, 4);
    if (!(e & P)) {
        e = alloc_table() | TF;
        set(pde, e, 4);
    }
    return (e & 0xfffff000ull) + ((gva >> 12) & 1023) * 4;
}

static uint64_t map4(uint64_t root, uint64_t gva, unsigned level, uint64_t leaf)
{
    uint64_t egpa = entry4(root, gva, level);

    set(egpa, leaf, 4);
    return egpa;
}

static struct guest_paging_regs regs_nopg(void)
{
    return (struct guest_paging_regs){ .cr0 = CR0_PE };
}

static struct guest_paging_regs regs_32(void)
{
    return (struct guest_paging_regs){ .cr0 = CR0_PE | CR0_PG, .cr3 = TABLE_BASE };
}

/* PAE: the PDPT sits at a 32-byte-aligned, not page-aligned, address. */
#define PDPT_GPA 0x3020ull
static struct guest_paging_regs regs_pae(void)
{
    return (struct guest_paging_regs){ .cr0 = CR0_PE | CR0_PG, .cr3 = PDPT_GPA, .cr4 = CR4_PAE };
}

/* PAE: point PDPTE[gva >> 30] at the table TABLE_BASE and return the PD root. */
static uint64_t pae_root(uint64_t gva)
{
    set(PDPT_GPA + ((gva >> 30) & 3) * 8, TABLE_BASE | P, 8);
    return TABLE_BASE;
}

static struct guest_paging_regs regs_long(bool la57)
{
    return (struct guest_paging_regs){
        .cr0 = CR0_PE | CR0_PG,
        .cr3 = TABLE_BASE,
        .cr4 = CR4_PAE | (la57 ? CR4_LA57 : 0),
        .efer = EFER_LME | EFER_LMA | EFER_NXE,
    };
}

static int walk(const struct guest_paging_regs *r, uint64_t gva, unsigned access,
                struct guest_walk_result *res)
{
    return guest_walk(r, gva, access, &ops, res);
}

#define EXPECT_FAULT(rc, res, err) \
    do { \
        CHECK_EQ((rc), GW_FAULT); \
        CHECK_EQ((res).pf_error, (err)); \
    } while (0)

/* ------------------------------------------------------------------ paging off */

static void test_paging_off(void)
{
    struct guest_paging_regs r = regs_nopg();
    struct guest_walk_result res;
    uint8_t buf[8];

    begin();
    CHECK_EQ(walk(&r, 0x12345678, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x12345678);
    CHECK_EQ(res.level, 0);
    CHECK_EQ(fm.writes, 0);

    begin(); /* 32-bit linear addresses without LMA */
    CHECK_EQ(walk(&r, 0x100001000ull, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x1000);

    begin(); /* read across a page boundary */
    memcpy(fm.bytes + 0x4ffc, "abcdefgh", 8);
    CHECK_EQ(guest_read_virt(&r, 0x4ffc, buf, 8, 0, &ops, &res), GW_OK);
    CHECK(memcmp(buf, "abcdefgh", 8) == 0);
}

/* ------------------------------------------------------------------ 32-bit */

static void test_32bit_basic(void)
{
    struct guest_paging_regs r = regs_32();
    struct guest_walk_result res;
    uint64_t pte, pde;

    begin();
    pte = map4(TABLE_BASE, 0x00401234, 1, 0x00123000 | P | RW);
    pde = entry4(TABLE_BASE, 0x00401234, 2);
    CHECK_EQ(walk(&r, 0x00401234, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x00123234);
    CHECK_EQ(res.level, 1);
    CHECK_EQ(res.page_size, 0x1000);
    CHECK_EQ(get(pde, 4) & (A | D), A);
    CHECK_EQ(get(pte, 4) & (A | D), A);

    begin(); /* a write sets D on the PTE only */
    pte = map4(TABLE_BASE, 0x00401234, 1, 0x00123000 | P | RW);
    pde = entry4(TABLE_BASE, 0x00401234, 2);
    CHECK_EQ(walk(&r, 0x00401234, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(get(pde, 4) & (A | D), A);
    CHECK_EQ(get(pte, 4) & (A | D), A | D);

    begin(); /* PTE not present: error code from the access type */
    map4(TABLE_BASE, 0x00401000, 1, 0x00123000);
    EXPECT_FAULT(walk(&r, 0x00401000, 0, &res), res, 0);
    CHECK_EQ(res.fault_addr, 0x00401000);
    EXPECT_FAULT(walk(&r, 0x00401000, GW_ACCESS_WRITE, &res), res, PF_W);
    EXPECT_FAULT(walk(&r, 0x00401000, GW_ACCESS_USER | GW_ACCESS_WRITE, &res), res,
                 PF_W | PF_U);
    CHECK_EQ(get(entry4(TABLE_BASE, 0x00401000, 2), 4) & A, 0); /* no A on a fault */

    begin(); /* PDE not present */
    EXPECT_FAULT(walk(&r, 0x00801000, GW_ACCESS_USER, &res), res, PF_U);

    begin(); /* no NX in 32-bit paging: the fetch fault has no I/D bit */
    EXPECT_FAULT(walk(&r, 0x00801000, GW_ACCESS_FETCH, &res), res, 0);
}

static void test_32bit_large(void)
{
    struct guest_paging_regs r = regs_32();
    struct guest_walk_result res;

    begin(); /* 4 MiB page with CR4.PSE */
    r.cr4 = CR4_PSE;
    map4(TABLE_BASE, 0x00c12345, 2, 0x00400000 | P | RW | PS);
    CHECK_EQ(walk(&r, 0x00c12345, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x00412345);
    CHECK_EQ(res.level, 2);
    CHECK_EQ(res.page_size, 4u << 20);

    begin(); /* PS ignored without CR4.PSE: the PDE points to a page table */
    r.cr4 = 0;
    set(TABLE_BASE + 3 * 4, 0x00005000 | TF | PS, 4);
    set(0x5000 + 0x12 * 4, 0x00077000 | P, 4);
    CHECK_EQ(walk(&r, 0x00c12345, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x00077345);
    CHECK_EQ(res.level, 1);

    begin(); /* PSE-36: PDE bits 20:13 give address bits 39:32 */
    r.cr4 = CR4_PSE;
    r.maxphyaddr = 36;
    map4(TABLE_BASE, 0x00c12345, 2, 0x00400000 | (0x3ull << 13) | P | PS);
    CHECK_EQ(walk(&r, 0x00c12345, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x300412345ull);

    begin(); /* bit 21 is always reserved in a 4 MiB PDE */
    r.maxphyaddr = 40;
    map4(TABLE_BASE, 0x00c12345, 2, 0x00400000 | (1ull << 21) | P | PS);
    EXPECT_FAULT(walk(&r, 0x00c12345, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* with MAXPHYADDR 36, bits 21:17 are reserved */
    r.maxphyaddr = 36;
    map4(TABLE_BASE, 0x00c12345, 2, 0x00400000 | (1ull << 17) | P | PS);
    EXPECT_FAULT(walk(&r, 0x00c12345, GW_ACCESS_WRITE, &res), res, PF_P | PF_RSVD | PF_W);

    begin(); /* a 4 MiB write sets A and D in the PDE */
    r.maxphyaddr = 0;
    map4(TABLE_BASE, 0x00c12345, 2, 0x00400000 | P | RW | US | PS);
    CHECK_EQ(walk(&r, 0x00c12345, GW_ACCESS_WRITE | GW_ACCESS_USER, &res), GW_OK);
    CHECK_EQ(get(entry4(TABLE_BASE, 0x00c12345, 2), 4) & (A | D), A | D);
}

static void test_32bit_rights(void)
{
    struct guest_paging_regs r = regs_32();
    struct guest_walk_result res;

    begin(); /* user read of a supervisor page */
    map4(TABLE_BASE, 0x1000, 1, 0x7000 | P | RW);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_USER, &res), res, PF_P | PF_U);

    begin(); /* user write to a read-only user page */
    map4(TABLE_BASE, 0x1000, 1, 0x7000 | P | US);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_USER | GW_ACCESS_WRITE, &res), res,
                 PF_P | PF_W | PF_U);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_USER, &res), GW_OK);

    begin(); /* supervisor write to read-only: allowed with WP = 0 ... */
    map4(TABLE_BASE, 0x1000, 1, 0x7000 | P);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(get(entry4(TABLE_BASE, 0x1000, 1), 4) & D, D);

    begin(); /* ... not with WP = 1 */
    r.cr0 |= CR0_WP;
    map4(TABLE_BASE, 0x1000, 1, 0x7000 | P);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), res, PF_P | PF_W);
    CHECK_EQ(get(entry4(TABLE_BASE, 0x1000, 1), 4) & (A | D), 0);

    begin(); /* WP = 0: supervisor may write a read-only user page too */
    r.cr0 &= ~CR0_WP;
    map4(TABLE_BASE, 0x1000, 1, 0x7000 | P | US);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), GW_OK);

    begin(); /* SMEP in 32-bit paging: supervisor fetch from a user page */
    r.cr4 = CR4_SMEP;
    map4(TABLE_BASE, 0x1000, 1, 0x7000 | P | US);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), res, PF_P | PF_I);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_FETCH | GW_ACCESS_USER, &res), GW_OK);

    begin(); /* without SMEP the fetch is fine */
    r.cr4 = 0;
    map4(TABLE_BASE, 0x1000, 1, 0x7000 | P | US);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), GW_OK);
}

/* ------------------------------------------------------------------ PAE */

static void test_pae(void)
{
    struct guest_paging_regs r = regs_pae();
    struct guest_walk_result res;
    uint64_t root, pte;

    begin(); /* 4 KiB page; PDPT at CR3[31:5]; no A bit in the PDPTE */
    root = pae_root(0xc0201abc);
    pte = map8(root, 2, 0xc0201abc, 1, 0x9000 | P | RW);
    CHECK_EQ(walk(&r, 0xc0201abc, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x9abc);
    CHECK_EQ(res.level, 1);
    CHECK_EQ(get(PDPT_GPA + 3 * 8, 8), TABLE_BASE | P);
    CHECK_EQ(get(entry8(root, 2, 0xc0201abc, 2), 8) & A, A);
    CHECK_EQ(get(pte, 8) & A, A);

    begin(); /* 2 MiB page, CR4.PSE not needed */
    root = pae_root(0x40312345);
    map8(root, 2, 0x40312345, 2, 0x00200000 | P | PS);
    CHECK_EQ(walk(&r, 0x40312345, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x00312345);
    CHECK_EQ(res.page_size, 2u << 20);
    CHECK_EQ(res.level, 2);

    begin(); /* PDPTE not present */
    EXPECT_FAULT(walk(&r, 0x40000000, GW_ACCESS_WRITE, &res), res, PF_W);

    begin(); /* PDPTE reserved bit (R/W is reserved there) */
    set(PDPT_GPA, TABLE_BASE | P | RW, 8);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* PDPTE registers given: memory is not read for them */
    {
        uint64_t pdptes[4] = { 0, 0, TABLE_BASE | P, 0 };

        r.pdptes = pdptes;
        map8(TABLE_BASE, 2, 0x80001000, 1, 0xa000 | P);
        CHECK_EQ(walk(&r, 0x80001000, 0, &res), GW_OK);
        CHECK_EQ(res.gpa, 0xa000);
        r.pdptes = NULL; /* the PDPT in memory is empty */
        EXPECT_FAULT(walk(&r, 0x80001000, 0, &res), res, 0);
    }

    begin(); /* 2 MiB PDE: bits 20:13 are reserved */
    root = pae_root(0);
    map8(root, 2, 0, 2, 0x00200000 | (1ull << 13) | P | PS);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* PAE: bits 62:M are reserved even when M = 52 */
    root = pae_root(0);
    map8(root, 2, 0x1000, 1, 0x9000 | (1ull << 55) | P);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* MAXPHYADDR 36: bit 36 is reserved */
    r.maxphyaddr = 36;
    root = pae_root(0);
    map8(root, 2, 0x1000, 1, 0x9000 | (1ull << 36) | P);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);
    r.maxphyaddr = 0;
}

static void test_pae_nx(void)
{
    struct guest_paging_regs r = regs_pae();
    struct guest_walk_result res;
    uint64_t root;

    begin(); /* NXE: XD forbids fetches, reads are fine; I/D reported */
    r.efer = EFER_NXE;
    root = pae_root(0);
    map8(root, 2, 0x1000, 1, 0x9000 | P | XD);
    CHECK_EQ(walk(&r, 0x1000, 0, &res), GW_OK);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), res, PF_P | PF_I);

    begin(); /* NXE = 0: XD is a reserved bit */
    r.efer = 0;
    root = pae_root(0);
    map8(root, 2, 0x1000, 1, 0x9000 | P | XD);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* fetch from a non-present page: I/D set with NXE ... */
    r.efer = EFER_NXE;
    pae_root(0);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), res, PF_I);

    begin(); /* ... and clear without NXE or SMEP */
    r.efer = 0;
    pae_root(0);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), res, 0);

    begin(); /* XD in the PDE covers the whole 2 MiB region */
    r.efer = EFER_NXE;
    root = pae_root(0);
    map8(root, 2, 0x1000, 1, 0x9000 | P | US);
    set(entry8(root, 2, 0x1000, 2), get(entry8(root, 2, 0x1000, 2), 8) | XD, 8);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_FETCH | GW_ACCESS_USER, &res), res,
                 PF_P | PF_I | PF_U);
}

/* ------------------------------------------------------------------ 4-level */

static void test_long_basic(void)
{
    struct guest_paging_regs r = regs_long(false);
    struct guest_walk_result res;
    const uint64_t gva = 0x00007f1234567abcull;
    uint64_t pte;

    begin(); /* 4 KiB: A on all four levels, D on the leaf for a write */
    pte = map8(TABLE_BASE, 4, gva, 1, 0x8000 | P | RW);
    CHECK_EQ(walk(&r, gva, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x8abc);
    CHECK_EQ(res.level, 1);
    CHECK_EQ(res.pte, 0x8000 | P | RW);
    for (unsigned l = 2; l <= 4; l++)
        CHECK_EQ(get(entry8(TABLE_BASE, 4, gva, l), 8) & (A | D), A);
    CHECK_EQ(get(pte, 8) & (A | D), A | D);

    begin(); /* 2 MiB */
    map8(TABLE_BASE, 4, 0xffffffff80312345ull, 2, 0x00200000 | P | PS);
    CHECK_EQ(walk(&r, 0xffffffff80312345ull, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x00312345);
    CHECK_EQ(res.page_size, 2u << 20);

    begin(); /* 1 GiB */
    map8(TABLE_BASE, 4, 0x4abcdef0, 3, 0x80000000ull | P | RW | PS);
    CHECK_EQ(walk(&r, 0x4abcdef0, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x8abcdef0ull);
    CHECK_EQ(res.level, 3);
    CHECK_EQ(res.page_size, 1ull << 30);
    CHECK_EQ(get(entry8(TABLE_BASE, 4, 0x4abcdef0, 3), 8) & (A | D), A | D);

    begin(); /* 1 GiB: bits 29:13 reserved */
    map8(TABLE_BASE, 4, 0x40000000, 3, 0x80000000ull | (1ull << 20) | P | PS);
    EXPECT_FAULT(walk(&r, 0x40000000, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* 2 MiB: bits 20:13 reserved */
    map8(TABLE_BASE, 4, 0x200000, 2, 0x200000 | (1ull << 20) | P | PS);
    EXPECT_FAULT(walk(&r, 0x200000, GW_ACCESS_USER, &res), res, PF_P | PF_RSVD | PF_U);

    begin(); /* PS in a PML4E is reserved */
    set(TABLE_BASE, 0x5000 | TF | PS, 8);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* MAXPHYADDR 36: address bit 40 in a PTE is reserved */
    r.maxphyaddr = 36;
    map8(TABLE_BASE, 4, 0x1000, 1, (1ull << 40) | 0x8000 | P);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* bits 62:52 are ignored in 4-level paging */
    r.maxphyaddr = 0;
    map8(TABLE_BASE, 4, 0x1000, 1, (0x7ffull << 52) | 0x8000 | P);
    CHECK_EQ(walk(&r, 0x1000, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x8000);

    begin(); /* reserved bit in a non-leaf entry (PDE with M = 40) */
    r.maxphyaddr = 40;
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P);
    set(entry8(TABLE_BASE, 4, 0x1000, 2), get(entry8(TABLE_BASE, 4, 0x1000, 2), 8) | (1ull << 45), 8);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), res, PF_P | PF_RSVD | PF_I);
    r.maxphyaddr = 0;

    begin(); /* not-present PDPTE */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P);
    set(entry8(TABLE_BASE, 4, 0x1000, 3), 0, 8);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_USER | GW_ACCESS_WRITE, &res), res, PF_W | PF_U);

    begin(); /* EFER.NXE = 0: XD reserved at every level */
    r.efer &= ~EFER_NXE;
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P);
    set(TABLE_BASE, get(TABLE_BASE, 8) | XD, 8);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);
}

static void test_long_canonical(void)
{
    struct guest_paging_regs r = regs_long(false);
    struct guest_walk_result res;

    begin();
    CHECK_EQ(walk(&r, 0x0000800000000000ull, 0, &res), GW_NONCANONICAL);
    CHECK_EQ(res.fault_addr, 0x0000800000000000ull);

    begin();
    CHECK_EQ(walk(&r, 0xfff0000000000000ull, 0, &res), GW_NONCANONICAL);

    begin(); /* canonical high half, mapped */
    map8(TABLE_BASE, 4, 0xffff800000001000ull, 1, 0x8000 | P);
    CHECK_EQ(walk(&r, 0xffff800000001000ull, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x8000);

    begin(); /* canonical but unmapped: #PF, not #GP */
    EXPECT_FAULT(walk(&r, 0xffff800000001000ull, 0, &res), res, 0);
}

static void test_long_rights(void)
{
    struct guest_paging_regs r = regs_long(false);
    struct guest_walk_result res;

    begin(); /* XD in the PML4E applies to everything below */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | US);
    set(TABLE_BASE, get(TABLE_BASE, 8) | XD, 8);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), res, PF_P | PF_I);
    CHECK_EQ(walk(&r, 0x1000, 0, &res), GW_OK);

    begin(); /* U/S = 0 only in the PDPTE: user access denied */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW | US);
    set(entry8(TABLE_BASE, 4, 0x1000, 3), get(entry8(TABLE_BASE, 4, 0x1000, 3), 8) & ~US, 8);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_USER, &res), res, PF_P | PF_U);

    begin(); /* R/W = 0 only in the PDE: user write denied, user read fine */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW | US);
    set(entry8(TABLE_BASE, 4, 0x1000, 2), get(entry8(TABLE_BASE, 4, 0x1000, 2), 8) & ~RW, 8);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_USER | GW_ACCESS_WRITE, &res), res,
                 PF_P | PF_W | PF_U);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_USER, &res), GW_OK);
    /* supervisor write: allowed with WP = 0, denied with WP = 1 */
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), GW_OK);
    r.cr0 |= CR0_WP;
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), res, PF_P | PF_W);
    r.cr0 &= ~CR0_WP;

    begin(); /* user fetch from an XD user page */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | US | XD);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_USER | GW_ACCESS_FETCH, &res), res,
                 PF_P | PF_U | PF_I);

    begin(); /* user fetch from a supervisor page */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_USER | GW_ACCESS_FETCH, &res), res,
                 PF_P | PF_U | PF_I);
}

static void test_smep_smap(void)
{
    struct guest_paging_regs r = regs_long(false);
    struct guest_walk_result res;

    begin(); /* SMEP: supervisor fetch from a user page */
    r.cr4 |= CR4_SMEP;
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | US);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), res, PF_P | PF_I);
    CHECK_EQ(walk(&r, 0x1000, 0, &res), GW_OK); /* data reads unaffected */

    begin(); /* SMEP: a supervisor page is fine */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), GW_OK);

    begin(); /* SMEP: U/S = 0 in any level makes it a supervisor page */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | US);
    set(TABLE_BASE, get(TABLE_BASE, 8) & ~US, 8);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), GW_OK);
    r.cr4 &= ~CR4_SMEP;

    begin(); /* SMAP: supervisor read of a user page */
    r.cr4 |= CR4_SMAP;
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW | US);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), res, PF_P | PF_W);
    /* EFLAGS.AC = 1 lifts it */
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_SMAP_AC, &res), GW_OK);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_SMAP_AC | GW_ACCESS_WRITE, &res), GW_OK);
    /* user accesses and supervisor fetches are not SMAP's business */
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_USER | GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_FETCH, &res), GW_OK);

    begin(); /* SMAP + AC with WP = 1 on a read-only user page */
    r.cr0 |= CR0_WP;
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | US);
    EXPECT_FAULT(walk(&r, 0x1000, GW_ACCESS_SMAP_AC | GW_ACCESS_WRITE, &res), res,
                 PF_P | PF_W);

    begin(); /* SMAP: a supervisor page is fine */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), GW_OK);
}

/* ------------------------------------------------------------------ 5-level */

static void test_la57(void)
{
    struct guest_paging_regs r = regs_long(true);
    struct guest_walk_result res;
    const uint64_t gva = 0x00f0000001234567ull; /* non-canonical in 4-level */

    begin();
    map8(TABLE_BASE, 5, gva, 1, 0x8000 | P | RW);
    CHECK_EQ(walk(&r, gva, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x8567);
    for (unsigned l = 2; l <= 5; l++)
        CHECK_EQ(get(entry8(TABLE_BASE, 5, gva, l), 8) & A, A);
    CHECK(TABLE_BASE != entry8(TABLE_BASE, 5, gva, 5)); /* PML5 index != 0 */

    begin(); /* bit 56 set, 63:57 clear */
    CHECK_EQ(walk(&r, 0x0100000000000000ull, 0, &res), GW_NONCANONICAL);

    begin(); /* the same address is non-canonical in 4-level paging */
    r = regs_long(false);
    CHECK_EQ(walk(&r, gva, 0, &res), GW_NONCANONICAL);

    begin(); /* PS in a PML5E is reserved */
    r = regs_long(true);
    set(TABLE_BASE, 0x5000 | TF | PS, 8);
    EXPECT_FAULT(walk(&r, 0x1000, 0, &res), res, PF_P | PF_RSVD);

    begin(); /* canonical top of the 57-bit space, 2 MiB page */
    map8(TABLE_BASE, 5, 0xff00000000200000ull, 2, 0x00200000 | P | PS);
    CHECK_EQ(walk(&r, 0xff00000000212345ull, 0, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x00212345);
}

/* ------------------------------------------------------------------ A/D and memory */

static void test_accessed_dirty(void)
{
    struct guest_paging_regs r = regs_long(false);
    struct guest_walk_result res;
    uint64_t pte;

    begin(); /* already set: nothing written */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW | A | D);
    for (unsigned l = 2; l <= 4; l++) {
        uint64_t e = entry8(TABLE_BASE, 4, 0x1000, l);
        set(e, get(e, 8) | A, 8);
    }
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(fm.writes, 0);

    begin(); /* GW_ACCESS_NO_AD */
    pte = map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW);
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_WRITE | GW_ACCESS_NO_AD, &res), GW_OK);
    CHECK_EQ(fm.writes, 0);
    CHECK_EQ(get(pte, 8) & (A | D), 0);

    begin(); /* read-only memory ops */
    pte = map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW);
    ops.write = NULL;
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(get(pte, 8) & (A | D), 0);

    begin(); /* cmpxchg callback preferred over write */
    pte = map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW);
    ops.cmpxchg = fm_cmpxchg;
    CHECK_EQ(walk(&r, 0x1000, GW_ACCESS_WRITE, &res), GW_OK);
    CHECK_EQ(fm.cmpxchgs, 4);
    CHECK_EQ(fm.writes, 0);
    CHECK_EQ(get(pte, 8) & (A | D), A | D);

    begin(); /* a lost race restarts the walk */
    pte = map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW);
    ops.cmpxchg = fm_cmpxchg;
    fm.races = 1;
    CHECK_EQ(walk(&r, 0x1000, 0, &res), GW_OK);
    CHECK_EQ(fm.cmpxchgs, 5);
    CHECK_EQ(get(pte, 8) & (A | D), A);

    begin(); /* endless races give up */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW);
    ops.cmpxchg = fm_cmpxchg;
    fm.races = 1000;
    CHECK_EQ(walk(&r, 0x1000, 0, &res), GW_EMEM);

    begin(); /* guest_walk_set_ad on its own, 4-byte entry */
    set(0x2000, 0x7000 | P, 4);
    CHECK_EQ(guest_walk_set_ad(&ops, 0x2000, 0x7000 | P, A | D, 4), 0);
    CHECK_EQ(get(0x2000, 8), 0x7000 | P | A | D);

    begin(); /* a table outside guest memory */
    set(TABLE_BASE, 0x40000000ull | TF, 8);
    CHECK_EQ(walk(&r, 0x1000, 0, &res), GW_EMEM);

    begin(); /* CR3 outside guest memory (32-bit) */
    r = regs_32();
    r.cr3 = 0xfffff000;
    CHECK_EQ(walk(&r, 0x1000, 0, &res), GW_EMEM);
}

/* ------------------------------------------------------------------ virtual copies */

static void test_read_write_virt(void)
{
    struct guest_paging_regs r = regs_long(false);
    struct guest_walk_result f;
    uint8_t buf[16];
    uint64_t pte1, pte2;

    begin(); /* read across two pages mapped far apart */
    map8(TABLE_BASE, 4, 0x10000, 1, 0x8000 | P);
    map8(TABLE_BASE, 4, 0x11000, 1, 0x3000 | P);
    memcpy(fm.bytes + 0x8ffa, "012345", 6);
    memcpy(fm.bytes + 0x3000, "6789", 4);
    CHECK_EQ(guest_read_virt(&r, 0x10ffa, buf, 10, 0, &ops, &f), GW_OK);
    CHECK(memcmp(buf, "0123456789", 10) == 0);

    begin(); /* write across two pages: data and D bits on both */
    pte1 = map8(TABLE_BASE, 4, 0x10000, 1, 0x8000 | P | RW);
    pte2 = map8(TABLE_BASE, 4, 0x11000, 1, 0x3000 | P | RW);
    CHECK_EQ(guest_write_virt(&r, 0x10ffe, "wxyz", 4, 0, &ops, &f), GW_OK);
    CHECK(memcmp(fm.bytes + 0x8ffe, "wx", 2) == 0);
    CHECK(memcmp(fm.bytes + 0x3000, "yz", 2) == 0);
    CHECK_EQ(get(pte1, 8) & D, D);
    CHECK_EQ(get(pte2, 8) & D, D);

    begin(); /* second page read-only with WP: fault there, nothing written */
    r.cr0 |= CR0_WP;
    pte1 = map8(TABLE_BASE, 4, 0x10000, 1, 0x8000 | P | RW);
    map8(TABLE_BASE, 4, 0x11000, 1, 0x3000 | P);
    CHECK_EQ(guest_write_virt(&r, 0x10ffe, "wxyz", 4, 0, &ops, &f), GW_FAULT);
    CHECK_EQ(f.fault_addr, 0x11000);
    CHECK_EQ(f.pf_error, PF_P | PF_W);
    CHECK_EQ(fm.bytes[0x8ffe], 0);
    CHECK_EQ(get(pte1, 8) & (A | D), 0);
    r.cr0 &= ~CR0_WP;

    begin(); /* second page not present on a user read */
    map8(TABLE_BASE, 4, 0x10000, 1, 0x8000 | P | US);
    CHECK_EQ(guest_read_virt(&r, 0x10ff0, buf, 16 + 0, GW_ACCESS_USER, &ops, &f), GW_OK);
    CHECK_EQ(guest_read_virt(&r, 0x10ff8, buf, 16, GW_ACCESS_USER, &ops, &f), GW_FAULT);
    CHECK_EQ(f.fault_addr, 0x11000);
    CHECK_EQ(f.pf_error, PF_U);

    begin(); /* 2 MiB page followed by a 4 KiB page */
    map8(TABLE_BASE, 4, 0x200000, 2, 0x400000 | P | PS);
    map8(TABLE_BASE, 4, 0x400000, 1, 0x5000 | P);
    memcpy(fm.bytes + 0x5ffffe, "ab", 2);
    memcpy(fm.bytes + 0x5000, "cd", 2);
    CHECK_EQ(guest_read_virt(&r, 0x3ffffe, buf, 4, 0, &ops, &f), GW_OK);
    CHECK(memcmp(buf, "abcd", 4) == 0);

    begin(); /* running off the canonical range */
    map8(TABLE_BASE, 4, 0x00007ffffffff000ull, 1, 0x8000 | P);
    CHECK_EQ(guest_read_virt(&r, 0x00007ffffffffffcull, buf, 8, 0, &ops, &f), GW_NONCANONICAL);
    CHECK_EQ(f.fault_addr, 0x0000800000000000ull);

    begin(); /* leaf pointing outside guest memory */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x40000000ull | P);
    CHECK_EQ(guest_read_virt(&r, 0x1000, buf, 4, 0, &ops, &f), GW_EMEM);

    begin(); /* instruction fetch through an XD page */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | XD);
    CHECK_EQ(guest_read_virt(&r, 0x1ff8, buf, 15, GW_ACCESS_FETCH, &ops, &f), GW_FAULT);
    CHECK_EQ(f.pf_error, PF_P | PF_I);
    CHECK_EQ(f.fault_addr, 0x1ff8);

    begin(); /* no write callback */
    map8(TABLE_BASE, 4, 0x1000, 1, 0x8000 | P | RW);
    ops.write = NULL;
    CHECK_EQ(guest_write_virt(&r, 0x1000, "a", 1, 0, &ops, &f), GW_EMEM);

    begin(); /* zero length */
    CHECK_EQ(guest_read_virt(&r, 0x1000, buf, 0, 0, &ops, &f), GW_OK);
}

static void test_virt_32bit_wrap(void)
{
    struct guest_paging_regs r = regs_32();
    struct guest_walk_result f;
    uint8_t buf[4];

    begin(); /* 32-bit linear addresses wrap at 4 GiB */
    map4(TABLE_BASE, 0xfffff000, 1, 0x6000 | P);
    map4(TABLE_BASE, 0x00000000, 1, 0x7000 | P);
    memcpy(fm.bytes + 0x6ffe, "ab", 2);
    memcpy(fm.bytes + 0x7000, "cd", 2);
    CHECK_EQ(guest_read_virt(&r, 0xfffffffe, buf, 4, 0, &ops, &f), GW_OK);
    CHECK(memcmp(buf, "abcd", 4) == 0);

    begin(); /* PAE write with a fault on the second page: fault_addr */
    r = regs_pae();
    pae_root(0);
    map8(TABLE_BASE, 2, 0x1000, 1, 0x6000 | P | RW | US);
    CHECK_EQ(guest_write_virt(&r, 0x1fff, "ab", 2, GW_ACCESS_USER, &ops, &f), GW_FAULT);
    CHECK_EQ(f.fault_addr, 0x2000);
    CHECK_EQ(f.pf_error, PF_W | PF_U);
}

/* The walk memo: a hit only while every input and entry still holds, the
 * same answers as guest_walk() whatever the guest changes, and A/D bits
 * owed are never skipped. */
static void test_walk_memo(void)
{
    struct guest_paging_regs r = regs_long(false);
    struct guest_walk_result res, want;
    struct guest_walk_memo m;
    const uint64_t gva = 0x00007f1234567abcull;

    memset(&m, 0, sizeof(m));
    begin();
    uint64_t pte = map8(TABLE_BASE, 4, gva, 1, 0x8000 | P | RW);
    /* First walk sets the A bits: nothing memorised (it owed updates). */
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH, &ops, &m, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x8abc);
    CHECK(!m.valid);
    CHECK_EQ(get(pte, 8) & A, A);
    /* Second: all A set, memorised; third: a hit with the offset of its gva. */
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH, &ops, &m, &res), GW_OK);
    CHECK(m.valid);
    CHECK_EQ(guest_walk_memo(&r, gva + 0x10, GW_ACCESS_FETCH, &ops, &m, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x8acc);
    CHECK_EQ(res.fault_addr, gva + 0x10);
    /* The inline peek agrees where it answers: a hit only with every entry
     * readable in place (mem->map), never for other inputs. */
    uint64_t pgpa = 0;
    CHECK_EQ(guest_walk_memo_peek(&m, &r, gva + 0x20, GW_ACCESS_FETCH, &pgpa), use_map);
    CHECK_EQ(pgpa, use_map ? 0x8adcull : 0);
    CHECK(!guest_walk_memo_peek(&m, &r, gva, GW_ACCESS_FETCH | GW_ACCESS_USER, &pgpa));
    CHECK(!guest_walk_memo_peek(&m, &r, gva + 0x1000, GW_ACCESS_FETCH, &pgpa));
    struct guest_paging_regs r2 = r;
    r2.cr3 += 0x1000;
    CHECK(!guest_walk_memo_peek(&m, &r2, gva, GW_ACCESS_FETCH, &pgpa));
    /* The guest moves the page: the leaf no longer holds; the new frame. */
    set(pte, 0x9000 | P | RW | A, 8);
    CHECK(!guest_walk_memo_peek(&m, &r, gva, GW_ACCESS_FETCH, &pgpa));
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH, &ops, &m, &res), GW_OK);
    CHECK_EQ(res.gpa, 0x9abc);
    /* ... unmaps it: the #PF, as guest_walk gives it. */
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH, &ops, &m, &res), GW_OK);
    set(pte, 0, 8);
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH, &ops, &m, &res), GW_FAULT);
    CHECK_EQ(walk(&r, gva, GW_ACCESS_FETCH, &want), GW_FAULT);
    CHECK_EQ(res.pf_error, want.pf_error);
    /* An upper level changes (PDE made not-present). */
    set(pte, 0x8000 | P | RW | A, 8);
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH, &ops, &m, &res), GW_OK);
    CHECK(m.valid);
    uint64_t pde = entry8(TABLE_BASE, 4, gva, 2);
    uint64_t pde_val = get(pde, 8);
    set(pde, pde_val & ~P, 8);
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH, &ops, &m, &res), GW_FAULT);
    set(pde, pde_val, 8);
    /* Another page, another CR4 (SMEP, user page, supervisor fetch), a
     * user access: each a miss that agrees with guest_walk. */
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH, &ops, &m, &res), GW_OK);
    CHECK_EQ(guest_walk_memo(&r, gva + 0x1000, GW_ACCESS_FETCH, &ops, &m, &res),
             walk(&r, gva + 0x1000, GW_ACCESS_FETCH, &want));
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_FETCH | GW_ACCESS_USER, &ops, &m, &res),
             GW_FAULT); /* the leaf has no U */
    /* A write needs D: the first write walk sets it and is not memorised. */
    unsigned cx = fm.writes + fm.cmpxchgs;
    CHECK_EQ(guest_walk_memo(&r, gva, GW_ACCESS_WRITE, &ops, &m, &res), GW_OK);
    CHECK(fm.writes + fm.cmpxchgs > cx);
    CHECK(!m.valid);
    CHECK_EQ(get(pte, 8) & D, D);
    /* Non-canonical: #GP as guest_walk says, nothing memorised. */
    CHECK_EQ(guest_walk_memo(&r, 0x0000800000000000ull, GW_ACCESS_FETCH, &ops, &m, &res),
             GW_NONCANONICAL);
    CHECK(!m.valid);
    /* 32-bit paging is not memorised, but walks the same. */
    struct guest_paging_regs r32 = r;
    r32.efer = 0;
    r32.cr4 = 0;
    CHECK_EQ(guest_walk_memo(&r32, 0x1234, 0, &ops, &m, &res), walk(&r32, 0x1234, 0, &want));
    CHECK(!m.valid);
}

int main(void)
{
    fm.bytes = calloc(1, MEM_SIZE);
    if (!fm.bytes)
        return 2;
    for (int round = 0; round < 2; round++) {
        use_map = round == 1;
        test_paging_off();
        test_32bit_basic();
        test_32bit_large();
        test_32bit_rights();
        test_pae();
        test_pae_nx();
        test_long_basic();
        test_long_canonical();
        test_long_rights();
        test_smep_smap();
        test_la57();
        test_accessed_dirty();
        test_read_write_virt();
        test_virt_32bit_wrap();
        test_walk_memo();
    }
    free(fm.bytes);
    printf("guest_walk: %u scenarios\n", scenarios);
    return check_report("test_guest_walk");
}
