/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/emul/xsave.c: XCR0 validation as the XSETBV
 * reference lists its #GP/#UD cases (SDM vol. 2C "XSETBV", vol. 1 13.3),
 * the components offered for a host, and CPUID leaf 0xD.  Expected sizes
 * were worked out by hand from the Skylake-X layout in fake_fpu.c.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "fake_fpu.h"
#include "hv/emul/xsave.h"

enum { EAX, EBX, ECX, EDX };

#define X87 1ull
#define SSE 2ull
#define AVX 4ull
#define K 0x20ull
#define ZH 0x40ull
#define Z16 0x80ull
#define FULL (X87 | SSE | AVX | K | ZH | Z16)

static void test_xcr0_valid(void)
{
    CHECK(xcr0_valid(X87, FULL));
    CHECK(xcr0_valid(X87 | SSE, FULL));
    CHECK(xcr0_valid(X87 | SSE | AVX, FULL));
    CHECK(xcr0_valid(FULL, FULL));
    CHECK(!xcr0_valid(0, FULL));                    /* bit 0 clear */
    CHECK(!xcr0_valid(SSE | AVX, FULL));            /* bit 0 clear */
    CHECK(!xcr0_valid(X87 | AVX, FULL));            /* AVX without SSE: XCR0[2:1] = 10b */
    CHECK(!xcr0_valid(X87 | SSE | K, FULL));        /* AVX-512 without AVX */
    CHECK(!xcr0_valid(X87 | SSE | AVX | K, FULL));  /* AVX-512 parts inconsistent */
    CHECK(!xcr0_valid(X87 | SSE | AVX | K | ZH, FULL));
    CHECK(!xcr0_valid(X87 | SSE | AVX | Z16, FULL));
    CHECK(!xcr0_valid(X87 | SSE | K | ZH | Z16, FULL));
    CHECK(!xcr0_valid(X87 | SSE | AVX, X87 | SSE)); /* not offered */
    CHECK(!xcr0_valid(FULL, X87 | SSE | AVX));
    CHECK(!xcr0_valid(X87 | (1ull << 9), FULL));   /* PKRU: never offered */
    CHECK(!xcr0_valid(X87 | (1ull << 3) | (1ull << 4), FULL)); /* MPX: never offered */
    CHECK(!xcr0_valid(X87 | (1ull << 63), FULL));   /* reserved */
    CHECK(!xcr0_valid(X87 | (1ull << 8), FULL));
    /* Pairs, if they were ever offered. */
    uint64_t all = FULL | (3ull << 3) | (3ull << 17);
    CHECK(xcr0_valid(X87 | (3ull << 3), all));
    CHECK(!xcr0_valid(X87 | (1ull << 3), all));
    CHECK(!xcr0_valid(X87 | (1ull << 18), all));
}

static void test_xsetbv_check(void)
{
    CHECK_EQ(xsetbv_check(true, 0, 0, X87 | SSE | AVX, FULL), XSETBV_OK);
    CHECK_EQ(xsetbv_check(false, 0, 0, X87 | SSE | AVX, FULL), XSETBV_UD); /* CR4.OSXSAVE = 0 */
    CHECK_EQ(xsetbv_check(true, 0, 0, X87, 0), XSETBV_UD);                  /* XSAVE hidden */
    CHECK_EQ(xsetbv_check(false, 3, 0, 0, FULL), XSETBV_UD);  /* #UD before #GP */
    CHECK_EQ(xsetbv_check(true, 3, 0, X87, FULL), XSETBV_GP); /* CPL > 0 */
    CHECK_EQ(xsetbv_check(true, 1, 0, X87, FULL), XSETBV_GP);
    CHECK_EQ(xsetbv_check(true, 0, 1, X87, FULL), XSETBV_GP); /* XCR1 is read-only */
    CHECK_EQ(xsetbv_check(true, 0, 2, X87, FULL), XSETBV_GP);
    CHECK_EQ(xsetbv_check(true, 0, 0, 0, FULL), XSETBV_GP);
    CHECK_EQ(xsetbv_check(true, 0, 0, X87 | AVX, FULL), XSETBV_GP);
}

static void test_offered(void)
{
    struct xsave_layout l;
    fake_fpu_skylake(&l);
    CHECK_EQ(xsave_offered(&l, true, true), FULL);  /* PKRU and MPX not offered */
    CHECK_EQ(xsave_offered(&l, true, false), X87 | SSE | AVX);
    CHECK_EQ(xsave_offered(&l, false, true), X87 | SSE);
    l.host_xcr0_bits = X87 | SSE | AVX | K | ZH;    /* one AVX-512 part missing */
    CHECK_EQ(xsave_offered(&l, true, true), X87 | SSE | AVX);
    l.host_xcr0_bits = X87;
    CHECK_EQ(xsave_offered(&l, true, true), 0);
}

static void test_sizes(void)
{
    struct xsave_layout l;
    fake_fpu_skylake(&l);
    CHECK_EQ(xsave_size_standard(&l, X87), 576);
    CHECK_EQ(xsave_size_standard(&l, X87 | SSE), 576);
    CHECK_EQ(xsave_size_standard(&l, X87 | SSE | AVX), 832);
    CHECK_EQ(xsave_size_standard(&l, FULL), 2688);
    CHECK_EQ(xsave_size_compacted(&l, X87 | SSE | AVX), 832);
    CHECK_EQ(xsave_size_compacted(&l, FULL), 576 + 256 + 64 + 512 + 1024);
    l.size[2] = 200;                        /* AVX ends at 776 ... */
    CHECK_EQ(xsave_size_compacted(&l, X87 | SSE | AVX | K), 776 + 64);
    l.ecx[5] = CPUIDD_ECX_ALIGN64;          /* ... and opmask starts at 832 */
    CHECK_EQ(xsave_size_compacted(&l, X87 | SSE | AVX | K), 832 + 64);
}

static void test_leaf_d(void)
{
    struct xsave_layout l;
    uint32_t r[4];
    fake_fpu_skylake(&l);
    /* Sub-leaf 0: EAX offered, EBX follows XCR0, ECX all offered. */
    xsave_cpuid_leaf_d(0, r, &l, FULL, X87);
    CHECK_EQ(r[EAX], FULL);
    CHECK_EQ(r[EBX], 576);
    CHECK_EQ(r[ECX], 2688);
    CHECK_EQ(r[EDX], 0);
    xsave_cpuid_leaf_d(0, r, &l, FULL, X87 | SSE | AVX);
    CHECK_EQ(r[EBX], 832);
    xsave_cpuid_leaf_d(0, r, &l, X87 | SSE | AVX, X87 | SSE | AVX);
    CHECK_EQ(r[EAX], X87 | SSE | AVX);
    CHECK_EQ(r[ECX], 832);
    /* Sub-leaf 1: XSAVES hidden, EBX the compacted size for XCR0. */
    xsave_cpuid_leaf_d(1, r, &l, FULL, X87 | SSE | AVX);
    CHECK_EQ(r[EAX], 7);
    CHECK_EQ(r[EBX], 832);
    CHECK_EQ(r[ECX], 0);
    CHECK_EQ(r[EDX], 0);
    /* Component sub-leaves: offered ones as the host has them, others 0. */
    xsave_cpuid_leaf_d(2, r, &l, FULL, X87);
    CHECK_EQ(r[EAX], 256);
    CHECK_EQ(r[EBX], 576);
    CHECK_EQ(r[ECX], 0);
    xsave_cpuid_leaf_d(7, r, &l, FULL, X87);
    CHECK_EQ(r[EAX], 1024);
    CHECK_EQ(r[EBX], 1664);
    xsave_cpuid_leaf_d(7, r, &l, X87 | SSE | AVX, X87);
    CHECK_EQ(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
    xsave_cpuid_leaf_d(3, r, &l, FULL, X87);        /* MPX: not offered */
    CHECK_EQ(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
    xsave_cpuid_leaf_d(9, r, &l, FULL, X87);        /* PKRU: not offered */
    CHECK_EQ(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
    xsave_cpuid_leaf_d(63, r, &l, FULL, X87);
    CHECK_EQ(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
    /* XSAVE hidden: the whole leaf is zero. */
    xsave_cpuid_leaf_d(0, r, &l, 0, X87);
    CHECK_EQ(r[EAX] | r[EBX] | r[ECX] | r[EDX], 0);
}

static uint32_t fake_regs[64][4];
static void fake_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    CHECK_EQ(leaf, 0xd);
    memcpy(r, fake_regs[sub & 63], sizeof(fake_regs[0]));
}

static void test_layout_read(void)
{
    struct xsave_layout l;
    memset(fake_regs, 0, sizeof(fake_regs));
    fake_regs[0][EAX] = 7;
    fake_regs[1][EAX] = 3;
    fake_regs[2][EAX] = 256;
    fake_regs[2][EBX] = 576;
    fake_regs[5][EAX] = 64;     /* not supported: must not be read */
    xsave_layout_read(&l, fake_cpuid);
    CHECK_EQ(l.host_xcr0_bits, 7);
    CHECK_EQ(l.sub1_eax, 3);
    CHECK_EQ(l.size[2], 256);
    CHECK_EQ(l.offset[2], 576);
    CHECK_EQ(l.size[5], 0);
    CHECK_EQ(l.offset[1], 160);
}

int main(void)
{
    test_xcr0_valid();
    test_xsetbv_check();
    test_offered();
    test_sizes();
    test_leaf_d();
    test_layout_read();
    return check_report("test_xsave");
}
