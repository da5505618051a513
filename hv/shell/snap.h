/* SPDX-License-Identifier: MIT */
/*
 * A vCPU's state as the shell sees it: a snapshot the vCPU takes itself.
 *
 * Registers and the local APIC belong to the CPU a vCPU is pinned to (a
 * VMCS can only be read there; the APIC changes under its own lock, which
 * the input path must never take).  So the shell asks: it raises the
 * vCPU's request flag and kicks it; the vCPU, at the top of its next run
 * loop pass (right after an exit, or woken from HLT), copies its state
 * here and bumps the sequence number.  The shell waits for that a bounded
 * time (SNAP_WAIT_MS) and never blocks the vCPU.  When the vCPU is on the
 * shell's own CPU the shell takes the snapshot directly.
 *
 * What may be stale: everything is as of the vCPU's last exit (the guest
 * runs on after it); a vCPU whose VM ended answers no more, and its
 * registers as last saved (GPRs, RIP, RFLAGS) are read directly (they
 * no longer change), without CRs or APIC.  Exit counters are read
 * directly: each is a 64-bit word one CPU increments, a few exits stale.
 */
#ifndef KEEL_HV_SHELL_SNAP_H
#define KEEL_HV_SHELL_SNAP_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_accel.h"
#include "hv/host/percpu.h"

#define SNAP_WAIT_MS 200u

struct vcpu;

struct vcpu_snap {
    uint32_t seq;                /* bumped by the vCPU when filled */
    uint64_t tsc;                /* host TSC when taken */
    bool full;                   /* CRs and APIC valid (false: GPRs only) */
    uint32_t state;              /* enum vcpu_state */
    uint64_t rip, rflags, gpr[16];
    uint64_t cr0, cr3, cr4, efer;
    bool nmi_masked, event_queued, in_shadow;
    int irr_top, isr_top;        /* highest vector, -1: none */
    unsigned lapic_events;       /* vlapic_events(): NMI/INIT/SIPI/ExtINT */
    /* the local APIC */
    uint32_t apic_mode;          /* enum vlapic_mode */
    uint64_t apic_base;
    uint32_t id, ldr, dfr, tpr, ppr;
    uint32_t irr[8], isr[8], tmr[8];
    struct apic_accel accel;     /* the decision for its last entry */
    bool accel_decided;
};

extern volatile uint32_t snap_req[KEEL_MAX_CPUS];

void snap_serve_slow(struct percpu *pc, struct vcpu *v);

/* The vCPU's side, at the top of each run-loop pass: one load. */
static inline void snap_serve(struct percpu *pc, struct vcpu *v)
{
    if (__atomic_load_n(&snap_req[pc->index], __ATOMIC_ACQUIRE))
        snap_serve_slow(pc, v);
}

/* The shell's side: 0 with a fresh snapshot; -1 when the vCPU did not
 * answer in time or has stopped (then *out holds the GPRs, RIP and RFLAGS
 * as last saved, full = false). */
int snap_take(struct vcpu *v, struct vcpu_snap *out);

#endif /* KEEL_HV_SHELL_SNAP_H */
