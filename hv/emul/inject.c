/* SPDX-License-Identifier: MIT */
/*
 * Delivering NMIs and interrupts to a vCPU, the way the CPU would: NMIs
 * first, blocked from delivery until the handler's IRET (SDM 6.7.1); then
 * the local APIC's highest interrupt above PPR or an 8259 ExtINT, only with
 * RFLAGS.IF set and outside an STI / MOV SS shadow (SDM 6.8.3).  When the
 * guest cannot take it yet, the vendor's interrupt-window exit says when.
 *
 * Never inject inside a shadow: QEMU 7.2 ignores VMCB INT_STATE on VMRUN
 * (docs/platforms.md), and real CPUs would take the event one instruction late
 * anyway.  A HLT in a shadow completes first (hv/emul/exit.c), which is what the
 * CPU does too.
 */
#include "hv/emul/inject.h"

#include "hv/emul/nmi.h"
#include "hv/vapic.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

void vcpu_handle_init_sipi(struct vcpu *v)
{
    if (vapic_take_init(v)) {
        /* INIT: the vCPU and its APIC go to their INIT state and wait for
         * a SIPI (SDM 9.4.4.1; an INIT to the BSP also waits: Keel has no
         * firmware at the reset vector). */
        vcpu_reset_init(v);
        vapic_init_reset(v);
        vcpu_nmi_reset(v);
        __atomic_store_n(&v->state, VCPU_WAIT_START, __ATOMIC_RELEASE);
    }
    int vec = vapic_take_sipi(v);
    /* A SIPI reaches only a vCPU waiting for one; otherwise it is dropped
     * (SDM 9.4.4.1: "ignored ... if not in wait-for-SIPI"). */
    if (vec != VAPIC_NONE && __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_WAIT_START) {
        vcpu_start_sipi(v, (uint8_t)vec);
        v->started = true;
        __atomic_store_n(&v->state, VCPU_RUNNABLE, __ATOMIC_RELEASE);
    }
}

bool vcpu_wake_pending(struct vcpu *v)
{
    if (vapic_nmi_pending(v) && !v->nmi_masked)
        return true;
    return (v->rflags & RFLAGS_IF) && vapic_pending_intr(v, NULL) != VAPIC_NONE;
}

/* The interrupt window, and the VM's count of vCPUs that wait for one to
 * inject an ExtINT: AVIC ignores the virtual interrupt request while it is
 * on, so such a wait inhibits it (APIC_INHIBIT_IRQ_WINDOW, seed 004). */
static void intr_window(struct vcpu *v, bool on, bool extint)
{
    vapic_irq_window(v, on && extint);
    vops->set_intr_window(v, on);
}

/* Interrupt @p waits for RFLAGS.IF.  Where the vendor can, the CPU
 * delivers the vector itself when IF allows, with no exit in between; the
 * next exit acknowledges it (vcpu_virq_taken).  Not an ExtINT: the 8259 is
 * acknowledged when the CPU takes it, and its answer may change meanwhile:
 * the window's exit, then the injection. */
static void wait_for_if(struct vcpu *v, int p)
{
    if (vops->set_virq && p != VAPIC_EXTINT) {
        vapic_irq_window(v, false);
        vops->set_virq(v, (uint8_t)p);
        return;
    }
    intr_window(v, true, p == VAPIC_EXTINT);
}

/* Where the CPU compares the vector's class with the guest's TPR itself
 * (vcpu_ops.virq_tpr_gated), a vector only TPR holds back is handed over
 * too: the CPU delivers it once the guest lowers TPR below its class and
 * IF allows, with no CR8 exit in between.  Not into a shadow (QEMU 7.2
 * ignores VMCB INT_STATE, above).  Whether it was. */
static bool hand_over_held(struct vcpu *v, int vector)
{
    if (!vops->set_virq || !vops->virq_tpr_gated || !vops->virq_tpr_gated()
        || vops->in_shadow(v))
        return false;
    vops->set_tpr_threshold(v, -1);
    wait_for_if(v, vector); /* the same hand-over, V_IRQ watching TPR too */
    return true;
}

bool vcpu_inject_events(struct vcpu *v)
{
    v->entry_quiet = false; /* true only when nothing waits at all (below) */
    if (v->nmi_stepping && v->nmi_step_shadow && vops->event_queued(v))
        vcpu_nmi_step_cancel(v); /* a fault of the stepped instruction: its delivery ends the shadow */
    if (v->nmi_stepping) {
        /* Single-stepping an NMI handler's IRET (hv/emul/nmi.c): its #DB
         * exit comes after that one instruction; nothing goes in before,
         * or its frame would hold Keel's TF. */
        intr_window(v, false, false);
        return false;
    }
    bool queued = vops->event_queued(v);
    enum nmi_inject n = vcpu_inject_nmi(v, queued);
    if (v->nmi_stepping) {
        intr_window(v, false, false); /* the NMI waits for the shadow step (hv/emul/nmi.c) */
        return false;
    }
    bool need_exit = n == NMI_INJ_WAIT_SHORT;
    if (queued) {
        /* A re-injected event goes first; whatever else waits needs an exit. */
        intr_window(v, false, false);
        return need_exit || vapic_pending_intr(v, NULL) != VAPIC_NONE;
    }
    if (n == NMI_INJ_QUEUED) {
        intr_window(v, false, false);
        return false;
    }
    int held;
    int p = vapic_pending_intr(v, &held);
    if (v->apic.accel.on && p != VAPIC_EXTINT) {
        /* Virtual-interrupt delivery: the CPU takes the vLAPIC's vectors
         * from RVI itself, when IF and PPR allow (the vendor loads RVI);
         * only NMIs and the 8259's ExtINT are injected. */
        p = VAPIC_NONE;
        held = -1;
    }
    if (p == VAPIC_NONE) {
        if (held >= 0 && hand_over_held(v, held)) {
            v->entry_quiet = n == NMI_INJ_IDLE; /* as a hand-over below */
            return need_exit;
        }
        /* An interrupt only TPR holds back becomes deliverable when the
         * guest lowers its TPR, which it may do without an exit: catch that. */
        vops->set_tpr_threshold(v, held >= 0 ? held >> 4 : -1);
        intr_window(v, false, false);
        /* Nothing to inject and nothing held back: an exit that changes
         * none of this may re-enter without this pass (hv/run.c). */
        v->entry_quiet = n == NMI_INJ_IDLE && held < 0;
        return need_exit;
    }
    vops->set_tpr_threshold(v, -1);
    if (vops->in_shadow(v)) {
        intr_window(v, false, false);
        return true;
    }
    /* IF = 1: injected, except where the vendor says its injection of an
     * external interrupt may be delivered twice (virq_with_if): QEMU 7.2's
     * TCG delivers an EVENTINJ of type INTR from VMRUN directly but leaves
     * it as the pending exception too (cs->exception_index), and an exit
     * request to its main loop (a timer, I/O) before anything replaces it
     * delivers the vector a second time, a handler run Keel never
     * acknowledged (docs/platforms.md; issue 14's duplicate).  There it is
     * handed over as with IF = 0 and the CPU takes it before the first
     * guest instruction.  An ExtINT still goes in by EVENTINJ: the 8259
     * is acknowledged at the injection. */
    bool hand_over = vops->set_virq && vops->virq_with_if && vops->virq_with_if();
    if ((v->rflags & RFLAGS_IF) && (p == VAPIC_EXTINT || !hand_over)) {
        uint8_t vec = vapic_ack_intr(v, p);
        vops->inject_event(v, EVENT_EXTINT, vec, false, 0);
        intr_window(v, false, false);
        /* Quiet too when that was the last one: the CPU delivers it (or
         * the vendor re-injects it after an exit that interrupted it). */
        v->entry_quiet = n == NMI_INJ_IDLE && p != VAPIC_EXTINT && vapic_nothing_pending(v);
        return need_exit;
    }
    wait_for_if(v, p);
    /* Armed for when IF allows: that exit (or delivery) comes by itself,
     * and a pass before it would arm the same again. */
    v->entry_quiet = n == NMI_INJ_IDLE;
    return need_exit;
}

void vcpu_virq_taken(struct vcpu *v, uint8_t vector)
{
    /* The guest is in its handler already: IRR -> ISR as at an injection
     * (SDM 11.8.4), before the exit that followed is handled, so that
     * exit sees the APIC as the guest does.  The vector was IRR's highest
     * above ISRV's class when handed over, and nothing this vCPU did could
     * change IRR or ISR without an exit that took it back first; TPR it
     * may have changed, but then either every CR8 write exited (the
     * vector was above it) or the CPU compared the two (virq_tpr_gated). */
    vapic_ack_intr(v, vector);
    /* entry_quiet stays as the pass that handed it over left it: an
     * acknowledge only raises PPR, so whatever else IRR holds is held back
     * by ISR now, which that pass would call quiet too (held < 0 above),
     * and it becomes deliverable only through this vector's EOI, an exit
     * that looks (vapic_eoi_done). */
}
