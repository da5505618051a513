/* SPDX-License-Identifier: MIT */
/*
 * Lazy guest FPU/SSE state.  Neither VMRUN nor #VMEXIT switches x87/SSE
 * state, so whatever the guest left in the registers is still there when
 * the hypervisor runs.  Keel is built without SSE, but newlib may use it;
 * so the host runs with CR0.TS set: the first FPU/SSE instruction the host
 * executes raises #NM, and the handler saves the guest state first.  The
 * state goes back before the next guest entry.
 */
#ifndef KEEL_HV_FPU_H
#define KEEL_HV_FPU_H

#include <stdint.h>

/* FXSAVE area (SDM vol. 1, 10.5.1): 512 bytes, 16-byte aligned. */
struct fxsave_area {
    uint8_t bytes[512];
} __attribute__((aligned(16)));

int fpu_handle_nm(void);
/* Before VMRUN/VMRESUME: put the guest state back if the host saved it,
 * then set CR0.TS so the host traps on its next FPU use. */
void fpu_prepare_guest_entry(struct fxsave_area *guest);
/* A fresh vCPU's FPU state as after RESET (SDM vol. 1, table 9-1 / 10.1). */
void fpu_init_state(struct fxsave_area *a);

#endif /* KEEL_HV_FPU_H */
