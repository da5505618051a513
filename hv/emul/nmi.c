/* SPDX-License-Identifier: MIT */
/*
 * NMIs, as exactly as the CPU would deliver them (SDM 6.7.1 "Handling
 * Multiple NMIs", SDM 26.6.1 / 27.2 "virtual-NMI blocking", APM 15.20
 * "Event Injection", APM 15.21.10 "NMI Virtualization").
 *
 * A delivered NMI blocks further NMIs until its handler's IRET completes;
 * one more NMI may be latched pending meanwhile (the vLAPIC's latch,
 * apic/vlapic.h) and is delivered right after that IRET, at the
 * instruction boundary the IRET returned to.  Who knows when the IRET
 * completed decides how exactly Keel can do that:
 *
 *  - the CPU itself: VMX virtual NMIs with NMI-window exiting (an exit as
 *    soon as neither virtual-NMI blocking nor a shadow holds an NMI back),
 *    AMD vNMI (the CPU holds the pending NMI in V_NMI and its blocking in
 *    V_NMI_MASK, and delivers without Keel);
 *  - nobody (SVM without vNMI, QEMU's TCG): the IRET intercept comes
 *    *before* the IRET executes.  Keel then single-steps it: RFLAGS.TF set
 *    before an instruction raises a #DB trap after it (SDM 18.3.1.4), even
 *    for an IRET that loads a clear TF, and that #DB is intercepted.  Its
 *    exit is the exact point where NMIs unblock.  The guest's own TF, DR6
 *    and DR7 are restored, and a #DB that is also the guest's (it was
 *    single-stepping itself, or a breakpoint of its own hit) is reflected
 *    to it.  An IRET that faults did not complete: NMIs stay blocked, the
 *    fault is reflected with the guest's own TF in its frame, and the
 *    IRET intercept is armed again for the retry.
 *
 * The same step waits out an STI / MOV SS shadow on SVM without vNMI:
 * the exit's INT_STATE says the next instruction is covered, and the NMI
 * goes in after the step's #DB (or after Keel completed the instruction
 * itself), not on a timer.  A timer would not do on QEMU 7.2, which drops
 * INT_STATE at VMRUN: an exit before the covered instruction ran then
 * reports no shadow at that very RIP (docs/nmi.md, docs/platforms.md).
 */
#include "hv/emul/nmi.h"

#include "hv/vapic.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

static unsigned nmi_hw(struct vcpu *v)
{
    return vops->nmi_hw ? vops->nmi_hw(v) : 0;
}

/* Tell the vLAPIC's latch how many NMIs are in service or held by the
 * CPU, when that changed: its room for more follows (apic/vlapic.h). */
static void nmi_set_held(struct vcpu *v, unsigned held)
{
    if (v->nmi_held == held)
        return;
    v->nmi_held = (uint8_t)held;
    vapic_set_nmi_held(v, held);
}

static void nmi_unmask(struct vcpu *v)
{
    v->nmi_masked = false;
    nmi_set_held(v, 0);
}

static void nmi_take(struct vcpu *v)
{
    vapic_take_nmi(v); /* the vLAPIC counts it held itself */
    if (v->nmi_held < 2)
        v->nmi_held++;
    vops->inject_event(v, EVENT_NMI, X86_NMI, false, 0);
}

/* Single-step the next instruction: RFLAGS.TF set before it raises a #DB
 * trap right after it (SDM 18.3.1.4), intercepted with @exceptions. */
static void nmi_step_begin(struct vcpu *v, bool shadow, uint32_t exceptions)
{
    v->nmi_stepping = true;
    v->nmi_step_shadow = shadow;
    v->nmi_step_tf = (v->rflags & RFLAGS_TF) != 0;
    v->nmi_step_rip = v->rip;
    v->nmi_step_dr6 = vops->get_dr(v, 6);
    v->nmi_step_dr7 = vops->get_dr(v, 7);
    v->rflags |= RFLAGS_TF;
    vops->set_exc_exits(v, exceptions);
}

/* RFLAGS.TF back to the guest's own. */
static void nmi_step_own_tf(struct vcpu *v)
{
    v->rflags = (v->rflags & ~RFLAGS_TF) | (v->nmi_step_tf ? RFLAGS_TF : 0);
}

void vcpu_nmi_step_cancel(struct vcpu *v)
{
    if (!v->nmi_stepping || !v->nmi_step_shadow)
        return;
    v->nmi_stepping = false;
    vops->set_exc_exits(v, 0);
    nmi_step_own_tf(v);
}

void vcpu_nmi_reset(struct vcpu *v)
{
    if (v->nmi_stepping)
        vops->set_exc_exits(v, 0);
    v->nmi_stepping = false;
    v->nmi_step_shadow = false;
    v->nmi_masked = false;
    v->nmi_held = 0;
    vapic_set_nmi_held(v, 0);
}

void vcpu_nmi_track(struct vcpu *v)
{
    unsigned hw = nmi_hw(v);
    if (!(hw & NMI_HW_ON))
        return;
    v->nmi_masked = (hw & NMI_HW_BLOCKED) != 0;
    nmi_set_held(v, ((hw & NMI_HW_PENDING) ? 1u : 0u) + ((hw & NMI_HW_BLOCKED) ? 1u : 0u));
}

/* AMD vNMI: the CPU holds one NMI (V_NMI) and delivers it when V_NMI_MASK
 * and the shadows allow; a second one waits here until the CPU took the
 * first (no exit says when: poll with a short exit). */
static enum nmi_inject nmi_inject_hw(struct vcpu *v, unsigned hw)
{
    if (!(hw & NMI_HW_PENDING))
        nmi_take(v);
    return vapic_nmi_pending(v) ? NMI_INJ_WAIT_SHORT : NMI_INJ_IDLE;
}

enum nmi_inject vcpu_inject_nmi(struct vcpu *v, bool event_queued)
{
    if (!vapic_nmi_pending(v))
        return NMI_INJ_IDLE;
    unsigned hw = nmi_hw(v);
    if (hw & NMI_HW_ON)
        return nmi_inject_hw(v, hw);
    if (v->nmi_masked)
        return NMI_INJ_WAIT; /* the IRET intercept, its step or the NMI window is armed */
    if (event_queued || vops->in_shadow(v)) {
        /* An NMI waits for an STI / MOV SS shadow to end (SDM 6.8.3; the
         * VM entry checks of SDM 26.3.1.5 forbid injecting it into a MOV SS
         * shadow) and for an event already being delivered. */
        if (vops->nmi_window_exits) {
            vops->set_iret_exit(v, true);
            return NMI_INJ_WAIT;
        }
        if (event_queued)
            return NMI_INJ_WAIT_SHORT;
        /* No NMI window on SVM: step the covered instruction; its #DB is
         * the exact end of the shadow (APM 15.20: EVENTINJ ignores it). */
        nmi_step_begin(v, true, NMI_SHADOW_STEP_EXCEPTIONS);
        return NMI_INJ_WAIT;
    }
    nmi_take(v);
    v->nmi_masked = true;
    vops->set_iret_exit(v, true);
    return NMI_INJ_QUEUED;
}

/* VMX: the CPU's NMI window opened (virtual-NMI blocking ended with the
 * handler's IRET, no shadow holds an NMI back; SDM 26.7.6). */
int vcpu_nmi_window(struct vcpu *v, const struct exit_record *e)
{
    vops->set_iret_exit(v, false);
    nmi_unmask(v);
    return 0;
}

/* SVM: the IRET intercept, taken before the IRET executes (APM 15.9):
 * single-step it so that the #DB right after it says when it completed. */
int vcpu_nmi_iret(struct vcpu *v, const struct exit_record *e)
{
    vops->set_iret_exit(v, false);
    if (!v->nmi_masked || v->nmi_stepping)
        return 0;
    nmi_step_begin(v, false, NMI_STEP_EXCEPTIONS);
    return 0;
}

/* The IRET (or the shadowed instruction) completed (the step's #DB
 * trap): NMIs unblock here, or the shadow is over.  The #DB
 * is the guest's too when it was single-stepping itself or one of its own
 * breakpoints matched: it gets the #DB with DR6 as the CPU would have
 * left it; otherwise DR6 and DR7 go back to what they were. */
static void nmi_step_done(struct vcpu *v, uint64_t dr6)
{
    uint64_t own = (v->nmi_step_tf ? DR6_BS : 0) | (dr6 & DR6_B0_B3);
    if (v->nmi_step_shadow)
        nmi_step_own_tf(v); /* the stepped instruction left Keel's TF */
    else
        nmi_unmask(v);      /* RFLAGS is what the IRET popped */
    if (!own) {
        vops->set_dr(v, 6, v->nmi_step_dr6);
        vops->set_dr(v, 7, v->nmi_step_dr7);
        return;
    }
    vops->set_dr(v, 6, v->nmi_step_dr6 | own);
    vops->inject_event(v, EVENT_EXCEPTION, X86_DB, false, 0);
}

/* The exceptions that push an error code (SDM 6.15, "Error Code"). */
static bool exc_has_error(uint8_t vector)
{
    return vector == X86_DF || (vector >= X86_TS && vector <= X86_PF) || vector == X86_AC
           || vector == 21 || vector == 29 || vector == 30;
}

/* The IRET raised an exception instead of completing (or a breakpoint of
 * the guest's on the IRET itself): the handler goes on with NMIs blocked,
 * sees its own TF in the exception frame, and its next IRET is watched.
 * A stepped shadowed instruction that faults: the exception goes to the
 * guest with its own TF, and its delivery ends the shadow. */
static void nmi_step_fault(struct vcpu *v, const struct exit_record *e, uint64_t dr6)
{
    nmi_step_own_tf(v);
    if (!v->nmi_step_shadow)
        vops->set_iret_exit(v, true);
    if (e->exc.vector == X86_DB) {
        vops->set_dr(v, 6, v->nmi_step_dr6 | (dr6 & DR6_B0_B3));
        vops->inject_event(v, EVENT_EXCEPTION, X86_DB, false, 0);
        return;
    }
    if (e->exc.vector == X86_PF)
        vops->set_cr2(v, e->exc.cr2);
    vops->inject_event(v, EVENT_EXCEPTION, e->exc.vector, exc_has_error(e->exc.vector),
                       e->exc.error);
}

bool vcpu_nmi_step_exception(struct vcpu *v, const struct exit_record *e)
{
    uint32_t mask = v->nmi_step_shadow ? NMI_SHADOW_STEP_EXCEPTIONS : NMI_STEP_EXCEPTIONS;
    if (!v->nmi_stepping || e->exc.vector >= 32 || !(mask & (1u << e->exc.vector)))
        return false;
    v->nmi_stepping = false;
    vops->set_exc_exits(v, 0);
    uint64_t dr6 = vops->get_dr(v, 6);
    /* Completed: the trap came after the IRET (RIP moved, or the CPU
     * reported the single step in DR6); a #DB with neither is a fault-class
     * breakpoint of the guest's on the IRET itself. */
    bool stepped = (dr6 & ~v->nmi_step_dr6 & DR6_BS) || v->rip != v->nmi_step_rip;
    if (e->exc.vector == X86_DB && stepped)
        nmi_step_done(v, dr6);
    else
        nmi_step_fault(v, e, dr6);
    return true;
}
