/* SPDX-License-Identifier: MIT */
#include "fake_fpu.h"

#include <string.h>

#include "hv/host/fpu.h"

struct fake_fpu ffpu = { .xcr0 = XCR0_X87 };

void fake_fpu_skylake(struct xsave_layout *l)
{
    memset(l, 0, sizeof(*l));
    l->host_xcr0_bits = 0x2ff;  /* x87..Hi16_ZMM and PKRU */
    l->sub1_eax = 0xf;          /* XSAVEOPT, XSAVEC, XGETBV1, XSAVES */
    l->size[0] = 160;
    l->size[1] = 256;
    l->offset[1] = 160;
    l->size[2] = 256; l->offset[2] = 576;
    l->size[3] = 64;  l->offset[3] = 960;
    l->size[4] = 64;  l->offset[4] = 1024;
    l->size[5] = 64;  l->offset[5] = 1088;
    l->size[6] = 512; l->offset[6] = 1152;
    l->size[7] = 1024; l->offset[7] = 1664;
}

uint64_t fpu_xcr0_offered(void) { return ffpu.offered; }
const struct xsave_layout *fpu_xsave_layout(void) { return ffpu.offered ? &ffpu.layout : NULL; }
uint64_t fpu_guest_xcr0(struct vcpu *v) { return ffpu.xcr0; }

void fpu_set_guest_xcr0(struct vcpu *v, uint64_t xcr0)
{
    ffpu.xcr0 = xcr0;
    ffpu.set_calls++;
}
