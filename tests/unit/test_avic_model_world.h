/* SPDX-License-Identifier: MIT */
/*
 * The machine unit.avic_model runs the AVIC model on: fake system-physical
 * memory, 4 pCPUs, VMCBs, backing pages and APIC ID tables written by hand
 * with this file's own constants from the AMD64 APM vol. 2 (appendix B
 * table B-1; the AVIC section's table formats and exit encodings;
 * appendix C), not from the model's headers.  Included by
 * tests/unit/test_avic_model.c only (check.h's counters are per file).
 */
#ifndef KEEL_TESTS_TEST_AVIC_MODEL_WORLD_H
#define KEEL_TESTS_TEST_AVIC_MODEL_WORLD_H

#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "tests/model/avic_hw.h"

/* ---- The manual's numbers, written out again for the test ---- */
#define V_MISC1 0x00c        /* intercept vector 3: MSR_PROT bit 28 */
#define V_MSRPM 0x048
#define V_VINTR 0x060        /* AVIC enable bit 31, x2AVIC enable bit 30 */
#define V_EXITCODE 0x070
#define V_EXITINFO1 0x078
#define V_EXITINFO2 0x080
#define V_APIC_BAR 0x098
#define V_BACKING 0x0e0
#define V_LOGICAL 0x0f0
#define V_PHYSICAL 0x0f8

#define MSR_PROT (1u << 28)
#define AVIC_EN (1ull << 31)
#define X2AVIC_EN (1ull << 30)

#define EXIT_MSR 0x7cull
#define EXIT_INCOMPLETE_IPI 0x401ull
#define EXIT_NOACCEL 0x402ull
#define EXIT_INVALID 0xffffffffffffffffull
#define NOACCEL_WRITE (1ull << 32)
#define CAUSE(c) ((uint64_t)(c) << 32)
#define C_INT_TYPE 0
#define C_NOT_RUNNING 1
#define C_BAD_TARGET 2
#define C_BAD_BACKING 3
#define C_BAD_VECTOR 4

#define PE_VALID (1ull << 63)
#define PE_RUNNING (1ull << 62)
#define LE_VALID (1u << 31)

/* ICR low fields (APM 16.5) */
#define ICR_LOGICAL (1u << 11)
#define ICR_LEVEL_TRIG (1u << 15)
#define ICR_ASSERT (1u << 14)
#define ICR_DM_NMI (4u << 8)
#define ICR_DM_LOWEST (1u << 8)
#define ICR_SELF (1u << 18)
#define ICR_ALL_INCL (2u << 18)
#define ICR_ALL_EXCL (3u << 18)

/* ---- A machine: 4 pCPUs, fake system-physical memory ---- */
#define MEM_BASE 0x80000000ull
#define MEM_PAGES 64u
#define PG(n) (MEM_BASE + (uint64_t)(n) * 4096u)
#define PG_VMCB(i) PG(i)            /* 0..7 */
#define PG_BACKING(i) PG(8 + (i))   /* 8..15 */
#define PG_LOGICAL PG(16)
#define PG_PHYSICAL PG(17)          /* 17..24: up to 4096 entries */
#define PG_MSRPM PG(32)             /* 32..33 */
#define NPCPU 4

static uint8_t *mem;
static const uint32_t host_ids[NPCPU] = { 0x10, 0x11, 0x12, 0x13 };
static struct avic_hw *hw;

static void *spa_to_ptr(void *ctx, uint64_t spa, uint64_t len)
{
    uint64_t end = MEM_BASE + (uint64_t)MEM_PAGES * 4096u;

    (void)ctx;
    if (spa < MEM_BASE || len > end - spa || spa + len > end)
        return NULL;
    return mem + (spa - MEM_BASE);
}

static uint8_t *ptr(uint64_t spa)
{
    return mem + (spa - MEM_BASE);
}

static void put64(uint64_t spa, uint64_t v)
{
    memcpy(ptr(spa), &v, 8);
}

static uint64_t get64(uint64_t spa)
{
    uint64_t v;

    memcpy(&v, ptr(spa), 8);
    return v;
}

static void put32(uint64_t spa, uint32_t v)
{
    __atomic_store_n((uint32_t *)ptr(spa), v, __ATOMIC_SEQ_CST);
}

static uint32_t get32(uint64_t spa)
{
    return __atomic_load_n((uint32_t *)ptr(spa), __ATOMIC_SEQ_CST);
}

static void vset(unsigned v, unsigned off, uint64_t val)
{
    put64(PG_VMCB(v) + off, val);
}

static uint64_t vget(unsigned v, unsigned off)
{
    return get64(PG_VMCB(v) + off);
}

static void bset(unsigned v, unsigned off, uint32_t val)
{
    put32(PG_BACKING(v) + off, val);
}

static uint32_t bget(unsigned v, unsigned off)
{
    return get32(PG_BACKING(v) + off);
}

/* IRR at 200h, ISR at 100h, TMR at 180h: vector v in dword v/32 at
 * 16-byte stride, bit v%32. */
static bool vec_bit(unsigned v, unsigned base, unsigned vec)
{
    return (bget(v, base + (vec / 32) * 16) >> (vec % 32)) & 1u;
}

static void vec_set(unsigned v, unsigned base, unsigned vec)
{
    bset(v, base + (vec / 32) * 16, bget(v, base + (vec / 32) * 16) | (1u << (vec % 32)));
}

static bool irr(unsigned v, unsigned vec) { return vec_bit(v, 0x200, vec); }
static bool isr(unsigned v, unsigned vec) { return vec_bit(v, 0x100, vec); }

static void pt_set(unsigned id, uint64_t e)
{
    put64(PG_PHYSICAL + id * 8ull, e);
}

static uint64_t pt_entry(unsigned v, unsigned pcpu, bool running)
{
    return PE_VALID | (running ? PE_RUNNING : 0) | PG_BACKING(v) | host_ids[pcpu];
}

static void lt_set(unsigned idx, uint32_t e)
{
    put32(PG_LOGICAL + idx * 4ull, e);
}

/* A fresh machine with @nv vCPUs: vCPU v has APIC ID v, runs on pCPU v,
 * physical max index @max; xAPIC flat logical IDs 1 << v. */
static void world(bool x2, unsigned nv, unsigned max, const struct avic_hw_features *f)
{
    struct avic_hw_mem m = { spa_to_ptr, NULL };

    if (hw)
        avic_hw_destroy(hw);
    memset(mem, 0, MEM_PAGES * 4096u);
    hw = avic_hw_create(f, NPCPU, host_ids, &m);
    for (unsigned v = 0; v < nv; v++) {
        vset(v, V_VINTR, AVIC_EN | (x2 ? X2AVIC_EN : 0));
        vset(v, V_APIC_BAR, 0xfee00000ull);
        vset(v, V_BACKING, PG_BACKING(v));
        vset(v, V_LOGICAL, PG_LOGICAL);
        vset(v, V_PHYSICAL, PG_PHYSICAL | max);
        bset(v, 0x020, x2 ? v : v << 24);
        bset(v, 0x0d0, x2 ? (1u << v) : (1u << v) << 24);
        bset(v, 0x0e0, 0xffffffffu); /* DFR: flat */
        pt_set(v, pt_entry(v, v, true));
        lt_set(v, LE_VALID | v);
    }
}

static const struct avic_hw_features f_avic = { .avic = true };
static const struct avic_hw_features f_x2 = { .avic = true, .x2avic = true };
static const struct avic_hw_features f_x2_4k = { .avic = true, .x2avic = true, .x2avic_4k = true };

static int run(unsigned v)
{
    return avic_hw_vmrun(hw, v, PG_VMCB(v));
}

static struct avic_hw_pcpu_stats stats(unsigned p)
{
    struct avic_hw_pcpu_stats s;

    avic_hw_stats(hw, p, &s);
    return s;
}

/* An exit the model caused: the result and the VMCB agree, and the pCPU
 * is back in host mode. */
static void check_exit(unsigned v, struct avic_hw_result r, uint64_t code, uint64_t i1, uint64_t i2)
{
    CHECK(r.exited);
    CHECK(!r.gp);
    CHECK_EQ(r.exitcode, code);
    CHECK_EQ(r.exitinfo1, i1);
    CHECK_EQ(r.exitinfo2, i2);
    CHECK_EQ(vget(v, V_EXITCODE), code);
    CHECK_EQ(vget(v, V_EXITINFO1), i1);
    CHECK_EQ(vget(v, V_EXITINFO2), i2);
    CHECK(!avic_hw_in_guest(hw, v));
}

static void check_done(struct avic_hw_result r)
{
    CHECK(!r.exited);
    CHECK(!r.gp);
    CHECK(r.completed);
    CHECK(!r.bad_call);
}

static struct avic_hw_result wr(unsigned v, uint32_t off, uint32_t val)
{
    return avic_hw_mmio_write(hw, v, off, val);
}

/* xAPIC ICR: destination in ICR high bits 31:24, then the low dword. */
static struct avic_hw_result send(unsigned v, uint32_t dest, uint32_t lo)
{
    struct avic_hw_result r = wr(v, 0x310, dest << 24);

    check_done(r);
    return wr(v, 0x300, lo);
}

#endif /* KEEL_TESTS_TEST_AVIC_MODEL_WORLD_H */
