/* SPDX-License-Identifier: MIT */
#include "hv/emul/xsave.h"

#include <string.h>

enum { EAX, EBX, ECX, EDX };

void xsave_layout_read(struct xsave_layout *l,
                       void (*cpuid)(uint32_t leaf, uint32_t sub, uint32_t r[4]))
{
    uint32_t r[4];
    memset(l, 0, sizeof(*l));
    cpuid(0xd, 0, r);
    l->host_xcr0_bits = ((uint64_t)r[EDX] << 32) | r[EAX];
    cpuid(0xd, 1, r);
    l->sub1_eax = r[EAX];
    /* Components 0 and 1 live in the legacy region at fixed places. */
    l->size[0] = 160;
    l->size[1] = 256;
    l->offset[0] = 0;
    l->offset[1] = 160;
    for (uint32_t i = 2; i < XSAVE_NCOMP; i++) {
        if (!(l->host_xcr0_bits & (1ull << i)))
            continue;
        cpuid(0xd, i, r);
        l->size[i] = r[EAX];
        l->offset[i] = r[EBX];
        l->ecx[i] = r[ECX];
    }
}

uint64_t xsave_offered(const struct xsave_layout *l, bool host_avx, bool host_avx512f)
{
    uint64_t host = l->host_xcr0_bits;
    if ((host & (XCR0_X87 | XCR0_SSE)) != (XCR0_X87 | XCR0_SSE))
        return 0;
    uint64_t m = XCR0_X87 | XCR0_SSE;
    if (host_avx && (host & XCR0_AVX) && l->size[2]) {
        m |= XCR0_AVX;
        if (host_avx512f && (host & XCR0_AVX512) == XCR0_AVX512)
            m |= XCR0_AVX512;
    }
    return m;
}

bool xcr0_valid(uint64_t val, uint64_t offered)
{
    if (!(val & XCR0_X87) || (val & ~offered))
        return false;
    if ((val & XCR0_AVX) && !(val & XCR0_SSE))
        return false;
    uint64_t avx512 = val & XCR0_AVX512;
    if (avx512 && (avx512 != XCR0_AVX512 || !(val & XCR0_AVX)))
        return false;
    /* MPX and AMX come in pairs (never offered today; kept for when they are). */
    if (!(val & XCR0_BNDREGS) != !(val & XCR0_BNDCSR))
        return false;
    if (!(val & XCR0_TILECFG) != !(val & XCR0_TILEDATA))
        return false;
    return true;
}

enum xsetbv_result xsetbv_check(bool cr4_osxsave, unsigned cpl, uint32_t xcr, uint64_t val,
                                uint64_t offered)
{
    if (!offered || !cr4_osxsave)
        return XSETBV_UD;
    if (cpl > 0 || xcr != 0 || !xcr0_valid(val, offered))
        return XSETBV_GP;
    return XSETBV_OK;
}

uint32_t xsave_size_standard(const struct xsave_layout *l, uint64_t mask)
{
    uint32_t end = XSAVE_LEGACY_HDR_SIZE;
    for (uint32_t i = 2; i < XSAVE_NCOMP; i++) {
        if ((mask & (1ull << i)) && l->offset[i] + l->size[i] > end)
            end = l->offset[i] + l->size[i];
    }
    return end;
}

uint32_t xsave_size_compacted(const struct xsave_layout *l, uint64_t mask)
{
    uint32_t end = XSAVE_LEGACY_HDR_SIZE;
    for (uint32_t i = 2; i < XSAVE_NCOMP; i++) {
        if (!(mask & (1ull << i)))
            continue;
        if (l->ecx[i] & CPUIDD_ECX_ALIGN64)
            end = (end + 63u) & ~63u;
        end += l->size[i];
    }
    return end;
}

void xsave_cpuid_leaf_d(uint32_t sub, uint32_t r[4], const struct xsave_layout *l,
                        uint64_t offered, uint64_t xcr0)
{
    memset(r, 0, 4 * sizeof(r[0]));
    if (!offered)
        return;             /* XSAVE hidden: the leaf reads as reserved */
    if (sub == 0) {
        r[EAX] = (uint32_t)offered;
        r[EDX] = (uint32_t)(offered >> 32);
        r[EBX] = xsave_size_standard(l, xcr0 & offered);  /* follows XCR0 (SDM 13.2) */
        r[ECX] = xsave_size_standard(l, offered);
    } else if (sub == 1) {
        r[EAX] = l->sub1_eax & CPUIDD1_EAX_KEEP;
        /* XCR0 | IA32_XSS in the compacted format; no XSS bits offered. */
        if (r[EAX] & CPUIDD1_EAX_XSAVEC)
            r[EBX] = xsave_size_compacted(l, xcr0 & offered);
    } else if (sub < XSAVE_NCOMP && (offered & (1ull << sub))) {
        r[EAX] = l->size[sub];
        r[EBX] = l->offset[sub];
        r[ECX] = l->ecx[sub] & CPUIDD_ECX_ALIGN64;  /* bit 0 (supervisor) clear: user state */
    }
}
