/* SPDX-License-Identifier: MIT */
/* Helpers shared by the xsave guest's files. */
#ifndef KEEL_GUEST_XSAVE_H
#define KEEL_GUEST_XSAVE_H

#include <stdbool.h>
#include <stdint.h>

#define CR4_OSXSAVE_BIT (1ull << 18)
#define XCR0_X87 1ull
#define XCR0_SSE 2ull
#define XCR0_AVX 4ull
#define XCR0_AVX512 0xe0ull

/* XSAVE offered in CPUID.1:ECX. */
bool xs_offered(void);
/* CR4.OSXSAVE on this vCPU, then XCR0 = @xcr0 (must be valid). */
void xs_enable(uint64_t xcr0);
/* CPUID.(0xD,0) EDX:EAX: the XCR0 bits the virtual CPU supports. */
uint64_t xs_supported(void);

#endif /* KEEL_GUEST_XSAVE_H */
