/* SPDX-License-Identifier: MIT */
/*
 * hostile: control registers and XCR0.  Each action makes one write the
 * SDM and the APM both fault (checked: #GP, or #UD for XSETBV without
 * CR4.OSXSAVE) or a legal change (checked: no fault, and it reads back),
 * then restores the register.  The faulting writes (SDM vol. 3 2.5, MOV
 * CR / XSETBV in vol. 2; APM vol. 2 3.1 and vol. 3 MOV CRn):
 *   CR0: a bit of 63:32; PG with PE clear; NW with CD clear;
 *   CR3: a bit of 60:52 (reserved on every CPU, above any MAXPHYADDR);
 *   CR4: a bit of 63:32; PAE cleared in long mode; VMXE, PCIDE, OSXSAVE,
 *        SMEP, SMAP, PKE where CPUID does not offer them;
 *   CR8: a bit of 63:4;
 *   XSETBV: ECX other than 0 and 1; XCR0 bit 0 clear; AVX without SSE;
 *        a bit CPUID leaf 0Dh does not offer; AVX-512 bits 7:5 not all
 *        equal; any XSETBV with CR4.OSXSAVE clear (#UD).
 * Legal: CR0.WP / AM / CD toggled, CR4.TSD / DE / PCE toggled, CR3
 * reloaded, CR8 0..15 (reads back), XCR0 = x87 | SSE (reads back).
 */
#include "hostile.h"

#define CR0_AM          RT_BIT(18)
#define CR4_TSD         RT_BIT(2)
#define CR4_DE          RT_BIT(3)
#define CR4_PCE         RT_BIT(8)
#define CR4_VMXE        RT_BIT(13)
#define CR4_PCIDE       RT_BIT(17)
#define CR4_OSXSAVE     RT_BIT(18)
#define CR4_SMEP        RT_BIT(20)
#define CR4_SMAP        RT_BIT(21)
#define CR4_PKE         RT_BIT(22)
#define XCR0_X87        RT_BIT(0)
#define XCR0_SSE        RT_BIT(1)
#define XCR0_AVX        RT_BIT(2)
#define XCR0_AVX512     (7ull << 5)     /* opmask, ZMM_Hi256, Hi16_ZMM */

/* MOV to CRn / XSETBV that return the vector or RT_NO_FAULT. */
static int h_write_cr0_safe(uint64_t v)
{
    uint64_t r = 0;
    __asm__ volatile("1: mov %1, %%cr0\n\tmov $-1, %0\n2:\n" RT_EXTABLE(1b, 2b)
                     : "+a"(r) : "r"(v) : "memory");
    return (int)r;
}

static int h_write_cr3_safe(uint64_t v)
{
    uint64_t r = 0;
    __asm__ volatile("1: mov %1, %%cr3\n\tmov $-1, %0\n2:\n" RT_EXTABLE(1b, 2b)
                     : "+a"(r) : "r"(v) : "memory");
    return (int)r;
}

static int h_write_cr4_safe(uint64_t v)
{
    uint64_t r = 0;
    __asm__ volatile("1: mov %1, %%cr4\n\tmov $-1, %0\n2:\n" RT_EXTABLE(1b, 2b)
                     : "+a"(r) : "r"(v) : "memory");
    return (int)r;
}

static int h_write_cr8_safe(uint64_t v)
{
    uint64_t r = 0;
    __asm__ volatile("1: mov %1, %%cr8\n\tmov $-1, %0\n2:\n" RT_EXTABLE(1b, 2b)
                     : "+a"(r) : "r"(v) : "memory");
    return (int)r;
}

static int h_xsetbv_safe(uint32_t xcr, uint64_t v)
{
    uint64_t r = (uint32_t)v;
    __asm__ volatile("1: xsetbv\n\tmov $-1, %0\n2:\n" RT_EXTABLE(1b, 2b)
                     : "+a"(r) : "c"(xcr), "d"((uint32_t)(v >> 32)) : "memory");
    return (int)r;
}

static uint64_t h_xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return (uint64_t)hi << 32 | lo;
}

/* Counts a fault and checks it against the expectation. */
static void h_cr_check(struct h_cpu *c, int want, int got, const char *what, uint64_t v)
{
    if (got != RT_NO_FAULT)
        c->faults[H_CR]++;
    h_expect(c, want, got, what, v);
}

static void h_cr0(struct h_cpu *c)
{
    static const uint64_t legal[3] = {CR0_WP, CR0_AM, CR0_CD};
    uint64_t cr0 = rt_read_cr0(), v;

    switch (h_below(c, 4)) {
    case 0:
        if (h_skipped("cr0-high"))
            return;
        v = cr0 | 1ull << (32 + h_below(c, 32));
        break;
    case 1:
        if (h_skipped("pg-without-pe"))
            return;
        v = cr0 & ~CR0_PE;
        break;
    case 2:
        if (h_skipped("nw-without-cd"))
            return;
        v = (cr0 & ~CR0_CD) | CR0_NW;
        break;
    default:
        v = cr0 ^ legal[h_below(c, 3)];
        h_cr_check(c, RT_NO_FAULT, h_write_cr0_safe(v), "MOV CR0 (legal)", v);
        h_cr_check(c, RT_NO_FAULT, h_write_cr0_safe(cr0), "MOV CR0 (restore)", cr0);
        return;
    }
    h_cr_check(c, X86_GP, h_write_cr0_safe(v), "MOV CR0", v);
    if (rt_read_cr0() != cr0)
        h_write_cr0_safe(cr0);
}

/* A CR4 bit CPUID does not offer (0 when every one of them is offered). */
static uint64_t h_cr4_unoffered(struct h_cpu *c)
{
    struct rt_cpuid l1 = rt_cpuid(1, 0), l7 = {0};

    if (rt_cpuid(0, 0).eax >= 7)
        l7 = rt_cpuid(7, 0);
    const uint64_t cand[6] = {
        h_cfg.vmx ? 0 : CR4_VMXE, (l1.ecx & RT_BIT(17)) ? 0 : CR4_PCIDE,
        h_cfg.xsave ? 0 : CR4_OSXSAVE, (l7.ebx & RT_BIT(7)) ? 0 : CR4_SMEP,
        (l7.ebx & RT_BIT(20)) ? 0 : CR4_SMAP, (l7.ecx & RT_BIT(3)) ? 0 : CR4_PKE,
    };

    return cand[h_below(c, 6)];
}

static void h_cr4(struct h_cpu *c)
{
    static const uint64_t legal[3] = {CR4_TSD, CR4_DE, CR4_PCE};
    uint64_t cr4 = rt_read_cr4(), v, bit;

    switch (h_below(c, 4)) {
    case 0: v = cr4 | 1ull << (32 + h_below(c, 32)); break;
    case 1: v = cr4 & ~CR4_PAE; break;
    case 2:
        if ((bit = h_cr4_unoffered(c)) == 0 || (cr4 & bit))
            return;
        v = cr4 | bit;
        break;
    default:
        v = cr4 ^ legal[h_below(c, 3)];
        h_cr_check(c, RT_NO_FAULT, h_write_cr4_safe(v), "MOV CR4 (legal)", v);
        h_cr_check(c, RT_NO_FAULT, h_write_cr4_safe(cr4), "MOV CR4 (restore)", cr4);
        return;
    }
    h_cr_check(c, X86_GP, h_write_cr4_safe(v), "MOV CR4", v);
    if (rt_read_cr4() != cr4)
        h_write_cr4_safe(cr4);
}

static void h_cr3_cr8(struct h_cpu *c)
{
    uint64_t cr3 = rt_read_cr3(), cr8 = rt_read_cr8(), v;

    if (h_chance(c, 50)) {
        if (h_skipped("cr3-high"))
            return;
        v = cr3 | 1ull << (52 + h_below(c, 9));
        h_cr_check(c, X86_GP, h_write_cr3_safe(v), "MOV CR3", v);
        h_cr_check(c, RT_NO_FAULT, h_write_cr3_safe(cr3), "MOV CR3 (reload)", cr3);
        return;
    }
    v = cr8 | 1ull << (4 + h_below(c, 60));
    if (!h_skipped("cr8-high"))
        h_cr_check(c, X86_GP, h_write_cr8_safe(v), "MOV CR8", v);
    v = h_below(c, 16);
    h_cr_check(c, RT_NO_FAULT, h_write_cr8_safe(v), "MOV CR8 (legal)", v);
    /* CR8 is the APIC's TPR[7:4] (SDM 10.8.6.1): checked while enabled. */
    if ((rt_rdmsr(MSR_APIC_BASE) & RT_BIT(11)) && rt_read_cr8() != v)
        h_fail(c, "CR8 reads %llu after writing %llu", (unsigned long long)rt_read_cr8(),
               (unsigned long long)v);
    h_write_cr8_safe(0);
}

void h_cr(struct h_cpu *c)
{
    switch (h_below(c, 3)) {
    case 0: h_cr0(c); break;
    case 1: h_cr4(c); break;
    default: h_cr3_cr8(c); break;
    }
}

/* A bad XCR0 value for this CPU's leaf 0Dh. */
static uint64_t h_xcr0_bad(struct h_cpu *c)
{
    uint64_t ok = h_cfg.xcr0_mask, bit = 1ull << h_below(c, 64);

    switch (h_below(c, 4)) {
    case 0: return (ok & ~XCR0_X87) & h_rand(c);
    case 1: return (ok & XCR0_AVX) ? XCR0_X87 | XCR0_AVX : XCR0_X87 | bit | 1ull << 63;
    case 2: return (ok & bit) ? XCR0_X87 | 1ull << 63 : XCR0_X87 | XCR0_SSE | bit;
    default:
        if ((ok & XCR0_AVX512) == XCR0_AVX512)
            return XCR0_X87 | XCR0_SSE | XCR0_AVX | RT_BIT(5);
        return XCR0_X87 | XCR0_SSE | 1ull << 62;
    }
}

void h_xcr(struct h_cpu *c)
{
    uint64_t cr4 = rt_read_cr4(), xcr0, v;
    int got;

    if (!h_cfg.xsave) {
        got = h_xsetbv_safe(0, XCR0_X87 | XCR0_SSE);
        c->faults[H_XCR] += got != RT_NO_FAULT;
        h_expect(c, X86_UD, got, "XSETBV without XSAVE", 0);
        return;
    }
    if (!(cr4 & CR4_OSXSAVE) || h_chance(c, 10)) {
        /* With CR4.OSXSAVE clear, XSETBV is #UD; then turn it on. */
        h_write_cr4_safe(cr4 & ~CR4_OSXSAVE);
        got = h_xsetbv_safe(0, XCR0_X87 | XCR0_SSE);
        c->faults[H_XCR] += got != RT_NO_FAULT;
        h_expect(c, X86_UD, got, "XSETBV with CR4.OSXSAVE clear", 0);
        h_expect(c, RT_NO_FAULT, h_write_cr4_safe(cr4 | CR4_OSXSAVE), "MOV CR4, OSXSAVE set",
                 cr4 | CR4_OSXSAVE);
    }
    xcr0 = h_xgetbv0();
    if (h_chance(c, 30)) {
        uint32_t xcr = 2 + (uint32_t)h_rand(c) % 0xfffffffeu;

        got = h_xsetbv_safe(xcr, xcr0);
        c->faults[H_XCR] += got != RT_NO_FAULT;
        h_expect(c, X86_GP, got, "XSETBV of XCR", xcr);
        return;
    }
    v = h_xcr0_bad(c);
    got = h_xsetbv_safe(0, v);
    c->faults[H_XCR] += got != RT_NO_FAULT;
    h_expect(c, X86_GP, got, "XSETBV XCR0", v);
    v = XCR0_X87 | XCR0_SSE;
    h_expect(c, RT_NO_FAULT, h_xsetbv_safe(0, v), "XSETBV XCR0 (legal)", v);
    if (h_xgetbv0() != v)
        h_fail(c, "XCR0 reads %#llx after XSETBV %#llx", (unsigned long long)h_xgetbv0(),
               (unsigned long long)v);
    h_xsetbv_safe(0, xcr0);
}
