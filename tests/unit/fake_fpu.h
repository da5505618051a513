/* SPDX-License-Identifier: MIT */
/* A fake hv/host/fpu.c for the exit-path tests: what XSAVE the "host"
 * offers and the guest's XCR0, with no register behind them. */
#ifndef KEEL_TEST_FAKE_FPU_H
#define KEEL_TEST_FAKE_FPU_H

#include <stdint.h>

#include "hv/emul/xsave.h"

struct fake_fpu {
    uint64_t offered;           /* fpu_xcr0_offered() */
    struct xsave_layout layout; /* fpu_xsave_layout() (NULL when offered is 0) */
    uint64_t xcr0;              /* the guest's XCR0 */
    unsigned set_calls;         /* fpu_set_guest_xcr0() calls */
};
extern struct fake_fpu ffpu;

/* A Skylake-X-like layout: x87, SSE, AVX at 576, AVX-512 at 1088/1152/1664. */
void fake_fpu_skylake(struct xsave_layout *l);

#endif /* KEEL_TEST_FAKE_FPU_H */
