/* SPDX-License-Identifier: MIT */
/*
 * XSAVE-managed state for guests: which state components Keel offers,
 * whether an XCR0 value is one XSETBV accepts, and CPUID leaf 0xD as the
 * guest must see it.  Pure functions over a description of the host's XSAVE
 * layout (CPUID 0xD, read once at boot by hv/host/fpu.c); unit-tested on
 * the host (tests/unit/test_xsave.c).
 */
#ifndef KEEL_HV_XSAVE_H
#define KEEL_HV_XSAVE_H

#include <stdbool.h>
#include <stdint.h>

/* XCR0 state-component bits (SDM vol. 1, 13.1 and 13.3). */
#define XCR0_X87        (1ull << 0)
#define XCR0_SSE        (1ull << 1)
#define XCR0_AVX        (1ull << 2)   /* upper halves of YMM0-15 */
#define XCR0_BNDREGS    (1ull << 3)   /* MPX */
#define XCR0_BNDCSR     (1ull << 4)   /* MPX */
#define XCR0_OPMASK     (1ull << 5)   /* AVX-512 k0-k7 */
#define XCR0_ZMM_HI256  (1ull << 6)   /* AVX-512 upper halves of ZMM0-15 */
#define XCR0_HI16_ZMM   (1ull << 7)   /* AVX-512 ZMM16-31 */
#define XCR0_PKRU       (1ull << 9)
#define XCR0_TILECFG    (1ull << 17)  /* AMX */
#define XCR0_TILEDATA   (1ull << 18)  /* AMX */
#define XCR0_AVX512     (XCR0_OPMASK | XCR0_ZMM_HI256 | XCR0_HI16_ZMM)
/* The components Keel saves and restores for a guest (hv/host/fpu.c) and
 * so may offer: x87, SSE, AVX and AVX-512.  MPX, PKRU and AMX are never
 * offered (their CPUID feature bits are hidden too). */
#define XCR0_KEEL_MAX   (XCR0_X87 | XCR0_SSE | XCR0_AVX | XCR0_AVX512)

/* Components 0..XSAVE_NCOMP-1 are described; Keel offers none above 7. */
#define XSAVE_NCOMP 8
/* The legacy region (512 bytes) plus the XSAVE header (64 bytes): the
 * standard-format area's size with only x87 and SSE (SDM 13.4). */
#define XSAVE_LEGACY_HDR_SIZE 576
/* XSAVE header: XSTATE_BV at byte 512, XCOMP_BV at 520 (SDM 13.4.2). */
#define XSAVE_HDR_XSTATE_BV 512
#define XSAVE_HDR_XCOMP_BV  520

/* CPUID.(0xD,1).EAX (SDM vol. 2A, table 3-8, leaf 0DH). */
#define CPUIDD1_EAX_XSAVEOPT (1u << 0)
#define CPUIDD1_EAX_XSAVEC   (1u << 1)
#define CPUIDD1_EAX_XGETBV1  (1u << 2)
#define CPUIDD1_EAX_XSAVES   (1u << 3)
#define CPUIDD1_EAX_XFD      (1u << 4)
/* Offered: the user-state instructions that need nothing but XCR0.
 * XSAVES/XRSTORS (IA32_XSS, supervisor state) and XFD (IA32_XFD) are not. */
#define CPUIDD1_EAX_KEEP (CPUIDD1_EAX_XSAVEOPT | CPUIDD1_EAX_XSAVEC | CPUIDD1_EAX_XGETBV1)
/* CPUID.(0xD,i).ECX for a component (SDM table 3-8): bit 1 = 64-byte
 * aligned in the compacted format. */
#define CPUIDD_ECX_ALIGN64   (1u << 1)

/* The host's XSAVE layout, from CPUID 0xD. */
struct xsave_layout {
    uint64_t host_xcr0_bits;            /* (0xD,0) EDX:EAX: components the CPU supports */
    uint32_t sub1_eax;                  /* (0xD,1) EAX: XSAVEOPT, XSAVEC, XGETBV1, ... */
    uint32_t size[XSAVE_NCOMP];         /* (0xD,i) EAX, i >= 2 */
    uint32_t offset[XSAVE_NCOMP];       /* (0xD,i) EBX: standard-format offset */
    uint32_t ecx[XSAVE_NCOMP];          /* (0xD,i) ECX: alignment */
};

/* Fill @l from CPUID through @cpuid (the host's, or a test's fake). */
void xsave_layout_read(struct xsave_layout *l,
                       void (*cpuid)(uint32_t leaf, uint32_t sub, uint32_t r[4]));

/* The XCR0 bits Keel offers on this host: x87 and SSE; AVX when the CPU
 * has it (CPUID.1:ECX.AVX and the component); the three AVX-512
 * components together when AVX is offered and the CPU has AVX512F and all
 * three.  0 when the host has no usable XSAVE. */
uint64_t xsave_offered(const struct xsave_layout *l, bool host_avx, bool host_avx512f);

/* Whether XSETBV may load @val into XCR0 on a virtual CPU offering
 * @offered (SDM vol. 2C "XSETBV" and vol. 1 13.3): bit 0 set; no bit
 * outside @offered; AVX only with SSE; AVX-512's three bits all clear or
 * all set, and set only with SSE and AVX; MPX's and AMX's two bits
 * together. */
bool xcr0_valid(uint64_t val, uint64_t offered);

enum xsetbv_result { XSETBV_OK = 0, XSETBV_UD, XSETBV_GP };
/* The fault, if any, XSETBV ECX=@xcr, EDX:EAX=@val raises (SDM "XSETBV",
 * exceptions): #UD if CR4.OSXSAVE=0 (or XSAVE is not offered at all);
 * #GP(0) at CPL>0, for any XCR but 0 (XCR1 is read-only), or for an
 * invalid XCR0 value. */
enum xsetbv_result xsetbv_check(bool cr4_osxsave, unsigned cpl, uint32_t xcr, uint64_t val,
                                uint64_t offered);

/* Bytes XSAVE writes in the standard format for the components of @mask
 * (the end of the highest one, at least 576). */
uint32_t xsave_size_standard(const struct xsave_layout *l, uint64_t mask);
/* Bytes XSAVEC writes for @mask in the compacted format (SDM 13.4.3). */
uint32_t xsave_size_compacted(const struct xsave_layout *l, uint64_t mask);

/* CPUID.(0xD, @sub) for a guest offered @offered with XCR0 = @xcr0
 * (SDM vol. 2A table 3-8 and vol. 1 13.2): @r = {EAX, EBX, ECX, EDX}. */
void xsave_cpuid_leaf_d(uint32_t sub, uint32_t r[4], const struct xsave_layout *l,
                        uint64_t offered, uint64_t xcr0);

#endif /* KEEL_HV_XSAVE_H */
