/* SPDX-License-Identifier: MIT */
/*
 * Lazy guest FPU/SSE/AVX state.  Neither VMRUN nor #VMEXIT switches x87,
 * SSE or AVX state, nor XCR0, so whatever the guest left in the registers
 * is still there when the hypervisor runs.  Keel is built without SSE, but
 * newlib may use it; so the host runs with CR0.TS set: the first FPU/SSE
 * instruction the host executes raises #NM, and the handler saves the guest
 * state first.  The state goes back before the next guest entry.
 *
 * With XSAVE on the host (CPUID.1:ECX.XSAVE), the saved state is the whole
 * XSAVE area of the components Keel offers (hv/emul/xsave.h), and XCR0 is
 * switched: the guest runs with its own XCR0; the host's XCR0 (every
 * offered component, a superset of any guest's) is put back before the
 * guest state is saved, so XSAVE stores everything the guest can have
 * touched, SSE included when the guest's XCR0 lacks it (SDM vol. 1 13.3:
 * XCR0 selects what XSAVE manages, not what the registers hold).
 * Invariant on each CPU: while the guest's state is live (not saved),
 * XCR0 holds the guest's value.
 */
#ifndef KEEL_HV_FPU_H
#define KEEL_HV_FPU_H

#include <stdint.h>

/* The guest's FPU save area: FXSAVE's 512 bytes, or the XSAVE area
 * (standard format, SDM vol. 1 13.4) of the offered components, which
 * fpu_cpu_init() checks fits in one page; 64-byte aligned for XSAVE. */
#define FPU_AREA_SIZE 4096
struct fxsave_area {
    uint8_t bytes[FPU_AREA_SIZE];
} __attribute__((aligned(64)));

struct vcpu;
struct xsave_layout;

/* Each CPU, before any guest runs: with XSAVE, set CR4.OSXSAVE and load
 * the host XCR0 (the offered components).  The first call reads the
 * layout and logs what guests get (or, once, that XSAVE stays hidden). */
void fpu_cpu_init(void);
int fpu_handle_nm(void);
/* Before VMRUN/VMRESUME: put the guest state (and its XCR0) back if the
 * host saved it, then set CR0.TS so the host traps on its next FPU use. */
void fpu_prepare_guest_entry(struct fxsave_area *guest);
/* A fresh vCPU's FPU state as after RESET (SDM vol. 1, table 9-1 / 10.1). */
void fpu_init_state(struct fxsave_area *a);

/* XCR0 bits offered to guests (0: XSAVE hidden) and the host's layout. */
uint64_t fpu_xcr0_offered(void);
const struct xsave_layout *fpu_xsave_layout(void);
/* The guest's XCR0: the live register while its state is live on this CPU
 * (exact even where the CPU does not intercept XSETBV), else the saved one. */
uint64_t fpu_guest_xcr0(struct vcpu *v);
/* XSETBV emulated for @v (already validated): takes effect in the register
 * now if the guest's state is live, else at the next entry. */
void fpu_set_guest_xcr0(struct vcpu *v, uint64_t xcr0);

/* KEEL_HC_FPU_CLOBBER (hv/abi.h): save @v's state as a host FPU use would,
 * then put every register Keel switches in its initial state.  @v is the
 * vCPU of this CPU, in its exit handler. */
void fpu_clobber(struct vcpu *v);

#endif /* KEEL_HV_FPU_H */
