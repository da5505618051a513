/* SPDX-License-Identifier: MIT */
#include "hv/host/fpu.h"

#include <string.h>

#include "hv/host/percpu.h"
#include "hv/vm.h"
#include "hv/x86.h"

/* FXSAVE image offsets (SDM vol. 1, table 10-2). */
#define FX_FCW    0
#define FX_MXCSR  24
#define FCW_RESET 0x037f   /* FNINIT value */
#define MXCSR_RESET 0x1f80

int fpu_handle_nm(void)
{
    struct percpu *pc = this_cpu_or_null();
    clts();
    if (!pc || !pc->vcpu || pc->fpu_guest_saved)
        return 0;
    __asm__ volatile("fxsave64 %0" : "=m"(*pc->vcpu->fpu));
    pc->fpu_guest_saved = true;
    return 0;
}

void fpu_prepare_guest_entry(struct fxsave_area *guest)
{
    struct percpu *pc = this_cpu();
    if (pc->fpu_guest_saved) {
        clts();
        __asm__ volatile("fxrstor64 %0" :: "m"(*guest));
        pc->fpu_guest_saved = false;
    }
    write_cr0(read_cr0() | CR0_TS);
}

void fpu_init_state(struct fxsave_area *a)
{
    memset(a, 0, sizeof(*a));
    uint16_t fcw = FCW_RESET;
    uint32_t mxcsr = MXCSR_RESET;
    memcpy(&a->bytes[FX_FCW], &fcw, sizeof(fcw));
    memcpy(&a->bytes[FX_MXCSR], &mxcsr, sizeof(mxcsr));
}
