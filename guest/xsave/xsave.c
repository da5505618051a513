/* SPDX-License-Identifier: MIT */
/*
 * XSAVE as Keel offers it (SDM vol. 1 ch. 13; vol. 2C XSETBV, XGETBV,
 * XSAVE, XSAVEC, XRSTOR).  Every check here needs Keel's XSETBV handling or
 * its CPUID; on a virtual CPU without XSAVE (Keel hides it when the host
 * lacks it) the tests say so and skip.
 */
#include <stdio.h>
#include <string.h>

#include "rt.h"
#include "test.h"
#include "x86.h"
#include "xsave.h"

#define CPUID1_ECX_XSAVE   (1u << 26)
#define CPUID1_ECX_OSXSAVE (1u << 27)
#define CPUID1_ECX_AVX     (1u << 28)
#define EXIT_ROUNDS 300

struct xcr_op {
    uint32_t xcr;
    uint64_t val;
};

static void do_xsetbv(void *arg)
{
    const struct xcr_op *o = arg;
    __asm__ volatile("xsetbv" :: "c"(o->xcr), "a"((uint32_t)o->val), "d"((uint32_t)(o->val >> 32))
                     : "memory");
}

static void do_xgetbv(void *arg)
{
    struct xcr_op *o = arg;
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(o->xcr));
    o->val = ((uint64_t)hi << 32) | lo;
}

static uint64_t xgetbv0(void)
{
    struct xcr_op o = { 0, 0 };
    do_xgetbv(&o);
    return o.val;
}

static int try_xsetbv(uint32_t xcr, uint64_t val)
{
    struct xcr_op o = { xcr, val };
    return rt_try(do_xsetbv, &o);
}

bool xs_offered(void)
{
    return (rt_cpuid(1, 0).ecx & CPUID1_ECX_XSAVE) != 0;
}

uint64_t xs_supported(void)
{
    struct rt_cpuid d = rt_cpuid(0xd, 0);
    return ((uint64_t)d.edx << 32) | d.eax;
}

void xs_enable(uint64_t xcr0)
{
    rt_write_cr4(rt_read_cr4() | CR4_OSXSAVE_BIT);
    EXPECT_EQ(try_xsetbv(0, xcr0), RT_NO_FAULT);
}

#define REQUIRE_XSAVE()                                                  \
    do {                                                                 \
        REQUIRE_KEEL();                                                  \
        if (!xs_offered())                                               \
            SKIP("no XSAVE in CPUID (the host CPU lacks it)");           \
    } while (0)

/* CPUID.1:ECX.OSXSAVE reports CR4.OSXSAVE (SDM table 3-10); without it
 * XSETBV and XGETBV are #UD. */
KEEL_TEST(xsave_cpuid_osxsave)
{
    REQUIRE_XSAVE();
    uint64_t cr4 = rt_read_cr4();
    rt_write_cr4(cr4 & ~CR4_OSXSAVE_BIT);
    EXPECT_EQ(rt_cpuid(1, 0).ecx & CPUID1_ECX_OSXSAVE, 0);
    EXPECT_EQ(try_xsetbv(0, XCR0_X87), X86_UD);
    struct xcr_op o = { 0, 0 };
    EXPECT_EQ(rt_try(do_xgetbv, &o), X86_UD);
    rt_write_cr4(cr4 | CR4_OSXSAVE_BIT);
    EXPECT(rt_cpuid(1, 0).ecx & CPUID1_ECX_OSXSAVE);
    EXPECT_EQ(xgetbv0(), XCR0_X87);          /* XCR0 after RESET */
    uint64_t sup = xs_supported();
    EXPECT_EQ(sup & 3, 3);
    EXPECT_EQ((sup & XCR0_AVX) != 0, (rt_cpuid(1, 0).ecx & CPUID1_ECX_AVX) != 0);
    EXPECT_EQ(sup & ~(0xe7ull), 0);          /* only x87, SSE, AVX, AVX-512 */
}

/* XSETBV/XGETBV round trip; CPUID.(0xD,0).EBX follows XCR0. */
KEEL_TEST(xsave_xsetbv_roundtrip)
{
    REQUIRE_XSAVE();
    uint64_t sup = xs_supported();
    xs_enable(XCR0_X87 | XCR0_SSE);
    EXPECT_EQ(xgetbv0(), XCR0_X87 | XCR0_SSE);
    EXPECT_EQ(rt_cpuid(0xd, 0).ebx, 576);
    EXPECT_EQ(try_xsetbv(0, sup), RT_NO_FAULT);
    EXPECT_EQ(xgetbv0(), sup);
    struct rt_cpuid d0 = rt_cpuid(0xd, 0);
    EXPECT_EQ(d0.ebx, d0.ecx);
    if (sup & XCR0_AVX) {
        struct rt_cpuid d2 = rt_cpuid(0xd, 2);
        EXPECT_EQ(d2.eax, 256);
        EXPECT(d2.ebx >= 576);
        EXPECT_EQ(try_xsetbv(0, 7), RT_NO_FAULT);
        EXPECT_EQ(rt_cpuid(0xd, 0).ebx, d2.ebx + d2.eax);
    }
    EXPECT_EQ(try_xsetbv(0, XCR0_X87), RT_NO_FAULT);
    EXPECT_EQ(xgetbv0(), XCR0_X87);
}

/* The XSETBV #GP(0) cases (SDM vol. 2C "XSETBV"); XCR0 stays as it was. */
KEEL_TEST(xsave_xsetbv_gp)
{
    REQUIRE_XSAVE();
    uint64_t sup = xs_supported();
    xs_enable(XCR0_X87 | XCR0_SSE);
    static const uint64_t bad[] = {
        0,                       /* bit 0 clear */
        XCR0_SSE,                /* bit 0 clear */
        XCR0_X87 | XCR0_AVX,     /* AVX without SSE: XCR0[2:1] = 10b */
        XCR0_X87 | (1ull << 9),  /* PKRU: not offered */
        XCR0_X87 | (3ull << 3),  /* MPX: not offered */
        XCR0_X87 | (1ull << 63), /* reserved */
        XCR0_X87 | XCR0_SSE | 0x20, /* AVX-512 without AVX, and partial */
        7 | 0x60,                /* AVX-512 parts inconsistent */
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (!EXPECT_EQ(try_xsetbv(0, bad[i]), X86_GP))
            printf("  xcr0 %#llx accepted\n", (unsigned long long)bad[i]);
        else
            EXPECT_EQ(rt_last_fault()->error_code, 0);
        EXPECT_EQ(xgetbv0(), XCR0_X87 | XCR0_SSE);
    }
    if (!(sup & XCR0_AVX))
        EXPECT_EQ(try_xsetbv(0, 7), X86_GP);  /* AVX: not offered */
    EXPECT_EQ(try_xsetbv(1, XCR0_X87), X86_GP);  /* XCR1 is read-only */
    EXPECT_EQ(xgetbv0(), XCR0_X87 | XCR0_SSE);
}

static uint8_t area[4096] __attribute__((aligned(64)));
static const uint8_t pattern[32] = {
    0x01, 0x12, 0x23, 0x34, 0x45, 0x56, 0x67, 0x78, 0x89, 0x9a, 0xab, 0xbc, 0xcd, 0xde, 0xef, 0xf0,
    0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78, 0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0,
};

static bool untouched_from(uint32_t off)
{
    for (uint32_t i = off; i < sizeof(area); i++)
        if (area[i] != 0xa5) {
            printf("  byte %u written (expected the area to end at %u)\n", i, off);
            return false;
        }
    return true;
}

/* XSAVE writes what leaf 0xD says: the end at (0xD,0).EBX, AVX at
 * (0xD,2).EBX; XSAVEC's size is (0xD,1).EBX; XRSTOR brings it back. */
KEEL_TEST(xsave_area_matches_leaf_d)
{
    REQUIRE_XSAVE();
    uint64_t xcr0 = xs_supported();
    xs_enable(xcr0);
    struct rt_cpuid d0 = rt_cpuid(0xd, 0), d1 = rt_cpuid(0xd, 1), d2 = rt_cpuid(0xd, 2);
    uint8_t back[32];
    memset(area, 0xa5, sizeof(area));
    memset(area + 512, 0, 64);      /* the header must be valid for XRSTOR */
    if (xcr0 & XCR0_AVX)
        __asm__ volatile("vmovdqu %0, %%ymm3" :: "m"(pattern));
    __asm__ volatile("xsave64 %0" : "+m"(area) : "a"(~0u), "d"(~0u) : "memory");
    uint64_t bv;
    memcpy(&bv, area + 512, 8);
    EXPECT_EQ(bv & ~xcr0, 0);
    EXPECT(untouched_from(d0.ebx));
    if (xcr0 & XCR0_AVX) {
        EXPECT_EQ(memcmp(area + d2.ebx + 3 * 16, pattern + 16, 16), 0);
        __asm__ volatile("vzeroall" ::: "memory");
        __asm__ volatile("xrstor64 %0" :: "m"(area), "a"(~0u), "d"(~0u) : "memory");
        __asm__ volatile("vmovdqu %%ymm3, %0" : "=m"(back));
        EXPECT_EQ(memcmp(back, pattern, 32), 0);
    }
    if (d1.eax & 2) {               /* XSAVEC */
        memset(area, 0xa5, sizeof(area));
        __asm__ volatile("xsavec64 %0" : "+m"(area) : "a"(~0u), "d"(~0u) : "memory");
        uint64_t comp;
        memcpy(&comp, area + 520, 8);
        EXPECT_EQ(comp, (1ull << 63) | xcr0);
        EXPECT(untouched_from(d1.ebx));
    }
    EXPECT_EQ(d1.eax & (1u << 3), 0);   /* XSAVES: not offered */
}

static bool is_intel(void)
{
    return rt_cpuid(0, 0).ebx == 0x756e6547u;   /* "Genu": VMX, VMCALL */
}

/* The body of one asm block (no compiler code can touch the registers in
 * between): N rounds of a CPUID exit and a KEEL_HC_FPU_CLOBBER hypercall,
 * after which the host has saved the guest's state and zeroed the
 * registers (VMCALL if VMCALL_REG is nonzero, else VMMCALL). */
#define EXIT_LOOP(label, n, vmcall_reg)                                       \
    label ": mov $1, %%eax\n\t xor %%ecx, %%ecx\n\t cpuid\n\t"                \
    "mov $6, %%eax\n\t test " vmcall_reg ", " vmcall_reg "\n\t jz 8f\n\t"     \
    "vmcall\n\t jmp 9f\n\t 8: vmmcall\n\t 9:\n\t"                            \
    "dec " n "\n\t jnz " label "b\n\t"

/* YMM0-15 survive VM exits and the host's use of the FPU: loaded,
 * EXIT_ROUNDS rounds of EXIT_LOOP, stored, compared. */
static bool ymm_survive_exits(uint8_t seed)
{
    static uint8_t in[RT_MAX_VCPUS][16][32] __attribute__((aligned(32)));
    static uint8_t out[RT_MAX_VCPUS][16][32] __attribute__((aligned(32)));
    unsigned me = rt_vcpu_index();
    for (unsigned r = 0; r < 16; r++)
        for (unsigned b = 0; b < 32; b++)
            in[me][r][b] = (uint8_t)(seed + r * 32 + b);
    memset(out[me], 0, sizeof(out[me]));
#define YMM_ALL(op, m) \
    op " 0*32(%" m "), %%ymm0\n\t" op " 1*32(%" m "), %%ymm1\n\t" op " 2*32(%" m "), %%ymm2\n\t" \
    op " 3*32(%" m "), %%ymm3\n\t" op " 4*32(%" m "), %%ymm4\n\t" op " 5*32(%" m "), %%ymm5\n\t" \
    op " 6*32(%" m "), %%ymm6\n\t" op " 7*32(%" m "), %%ymm7\n\t" op " 8*32(%" m "), %%ymm8\n\t" \
    op " 9*32(%" m "), %%ymm9\n\t" op " 10*32(%" m "), %%ymm10\n\t" op " 11*32(%" m "), %%ymm11\n\t" \
    op " 12*32(%" m "), %%ymm12\n\t" op " 13*32(%" m "), %%ymm13\n\t" \
    op " 14*32(%" m "), %%ymm14\n\t" op " 15*32(%" m "), %%ymm15\n\t"
    uint64_t n = EXIT_ROUNDS, vmcall = is_intel();
    __asm__ volatile(YMM_ALL("vmovdqu", "2")
                     EXIT_LOOP("1", "%1", "%5")
                     "vmovdqu %%ymm0, 0*32(%3)\n\t vmovdqu %%ymm1, 1*32(%3)\n\t"
                     "vmovdqu %%ymm2, 2*32(%3)\n\t vmovdqu %%ymm3, 3*32(%3)\n\t"
                     "vmovdqu %%ymm4, 4*32(%3)\n\t vmovdqu %%ymm5, 5*32(%3)\n\t"
                     "vmovdqu %%ymm6, 6*32(%3)\n\t vmovdqu %%ymm7, 7*32(%3)\n\t"
                     "vmovdqu %%ymm8, 8*32(%3)\n\t vmovdqu %%ymm9, 9*32(%3)\n\t"
                     "vmovdqu %%ymm10, 10*32(%3)\n\t vmovdqu %%ymm11, 11*32(%3)\n\t"
                     "vmovdqu %%ymm12, 12*32(%3)\n\t vmovdqu %%ymm13, 13*32(%3)\n\t"
                     "vmovdqu %%ymm14, 14*32(%3)\n\t vmovdqu %%ymm15, 15*32(%3)\n\t"
                     : "=m"(out[me]), "+r"(n)
                     : "r"(in[me]), "r"(out[me]), "m"(in[me]), "r"(vmcall)
                     : "rax", "rbx", "rcx", "rdx", "rdi", "rsi", "memory");
#undef YMM_ALL
    return memcmp(in[me], out[me], sizeof(in[me])) == 0;
}

KEEL_TEST(xsave_avx_survives_exits)
{
    REQUIRE_XSAVE();
    if (!(xs_supported() & XCR0_AVX))
        SKIP("no AVX offered (the host CPU lacks it)");
    xs_enable(7);
    EXPECT(ymm_survive_exits(0x10));
    printf("  (a line printed between rounds)\n");
    EXPECT(ymm_survive_exits(0x20));
}

/* Each vCPU its own XCR0 and AVX state at the same time: vCPU N uses
 * XCR0 = x87|SSE|AVX and a pattern of its own; odd vCPUs change XCR0 to
 * x87|SSE and back between rounds. */
static void isolation_on_vcpu(unsigned vcpu)
{
    xs_enable(7);
    for (unsigned round = 0; round < 3; round++) {
        EXPECT(ymm_survive_exits((uint8_t)(0x40 * vcpu + round)));
        EXPECT_EQ(xgetbv0(), 7);
        if (vcpu & 1) {
            EXPECT_EQ(try_xsetbv(0, 3), RT_NO_FAULT);
            EXPECT_EQ(rt_cpuid(0xd, 0).ebx, 576);
            EXPECT_EQ(try_xsetbv(0, 7), RT_NO_FAULT);
        }
    }
}

KEEL_TEST(xsave_state_isolated_between_vcpus)
{
    REQUIRE_XSAVE();
    if (!(xs_supported() & XCR0_AVX))
        SKIP("no AVX offered (the host CPU lacks it)");
    if (rt_vcpu_count() < 2)
        SKIP("one vCPU");
    EXPECT_EQ(rt_run_on_all(isolation_on_vcpu), rt_vcpu_count());
}

/* AVX-512 (opmask, ZMM_Hi256, Hi16_ZMM) across exits: k1, the upper half
 * of zmm1 and zmm17/zmm31 keep their values through EXIT_LOOP. */
__attribute__((target("avx512f")))
static bool zmm_survive_exits(void)
{
    static uint8_t in[3][64] __attribute__((aligned(64)));
    static uint8_t out[3][64] __attribute__((aligned(64)));
    uint64_t kin = 0xa5c3, kout = 0, n = EXIT_ROUNDS, vmcall = is_intel();
    for (unsigned r = 0; r < 3; r++)
        for (unsigned b = 0; b < 64; b++)
            in[r][b] = (uint8_t)(0x5a ^ (r * 64 + b));
    memset(out, 0, sizeof(out));
    __asm__ volatile("kmovw %k4, %%k1\n\t"
                     "vmovdqu64 0(%2), %%zmm1\n\t vmovdqu64 64(%2), %%zmm17\n\t"
                     "vmovdqu64 128(%2), %%zmm31\n\t"
                     EXIT_LOOP("1", "%1", "%6")
                     "vmovdqu64 %%zmm1, 0(%3)\n\t vmovdqu64 %%zmm17, 64(%3)\n\t"
                     "vmovdqu64 %%zmm31, 128(%3)\n\t kmovw %%k1, %k0\n\t"
                     : "=r"(kout), "+r"(n)
                     : "r"(in), "r"(out), "r"(kin), "m"(in), "r"(vmcall)
                     : "rax", "rbx", "rcx", "rdx", "rdi", "rsi", "memory");
    return memcmp(in, out, sizeof(in)) == 0 && (kout & 0xffff) == kin;
}

KEEL_TEST(xsave_avx512_survives_exits)
{
    REQUIRE_XSAVE();
    if ((xs_supported() & XCR0_AVX512) != XCR0_AVX512)
        SKIP("no AVX-512 offered (the host CPU lacks it)");
    xs_enable(XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512);
    EXPECT(zmm_survive_exits());
    struct rt_cpuid d0 = rt_cpuid(0xd, 0);
    EXPECT_EQ(d0.ebx, d0.ecx);
    EXPECT(rt_cpuid(7, 0).ebx & (1u << 16));     /* AVX512F */
}
