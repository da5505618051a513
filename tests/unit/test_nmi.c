/* SPDX-License-Identifier: MIT */
/* Host unit tests for the NMI machine (hv/emul/nmi.c) over the fake
 * vcpu_ops of tests/unit/fake_hv.c: injection and blocking, the IRET
 * single-step of SVM without vNMI (done, reflected to a guest that was
 * stepping itself, faulting), the NMI window (VMX) and vNMI. */
#include <string.h>

#include "check.h"
#include "fake_hv.h"
#include "hv/emul/exit.h"
#include "hv/emul/inject.h"
#include "hv/emul/nmi.h"
#include "hv/x86.h"

#define IRET_RIP 0x2000ull
#define BACK_RIP 0x3000ull

static struct exit_record exc(uint8_t vector, uint32_t error, uint64_t cr2)
{
    struct exit_record e;
    memset(&e, 0, sizeof(e));
    e.reason = EXIT_EXCEPTION;
    e.exc.vector = vector;
    e.exc.error = error;
    e.exc.cr2 = cr2;
    return e;
}

/* An NMI injected, its handler at its IRET, the IRET intercepted. */
static struct vcpu *at_iret(bool guest_tf)
{
    struct vcpu *v = fake_reset();
    fk.nmi_pending = true;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 1);
    CHECK_EQ(fk.ev[0].type, EVENT_NMI);
    CHECK(v->nmi_masked && fk.iret_exit);
    fk.event_queued = false;
    v->rip = IRET_RIP;
    v->rflags = RFLAGS_FIXED | (guest_tf ? RFLAGS_TF : 0);
    fk.dr6 = 0xffff0ff0ull;
    fk.dr7 = 0x400ull;
    struct exit_record e = { .reason = EXIT_IRET };
    CHECK(exit_dispatch(v, &e));
    return v;
}

static void test_step_iret(void)
{
    struct vcpu *v = at_iret(false);
    CHECK(v->nmi_stepping && v->nmi_masked);
    CHECK(v->rflags & RFLAGS_TF);
    CHECK(!fk.iret_exit);
    CHECK_EQ(fk.exc_exits, NMI_STEP_EXCEPTIONS);
    /* Nothing goes in while the IRET is stepped, an NMI neither. */
    fk.nmi_pending = true;
    fk.pending = 0x40;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 1);
    /* The #DB trap after it: the IRET loaded RFLAGS (no TF), RIP moved. */
    v->rip = BACK_RIP;
    v->rflags = RFLAGS_FIXED | RFLAGS_IF;
    fk.dr6 |= DR6_BS;
    fk.dr7 = 0;
    struct exit_record e = exc(X86_DB, 0, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK(!v->nmi_stepping && !v->nmi_masked);
    CHECK_EQ(fk.exc_exits, 0);
    CHECK_EQ(fk.dr6, 0xffff0ff0ull);    /* the guest's own again */
    CHECK_EQ(fk.dr7, 0x400ull);
    CHECK_EQ(fk.nev, 1);                /* no #DB for the guest */
    CHECK_EQ(fk.nmi_held, 0);
    /* The pending NMI goes in right here, at the IRET's target. */
    fk.pending = VAPIC_NONE;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 2);
    CHECK_EQ(fk.ev[1].type, EVENT_NMI);
    CHECK(v->nmi_masked && fk.iret_exit);
}

static void test_step_guest_tf(void)
{
    /* The guest single-steps its own handler: the #DB is its too. */
    struct vcpu *v = at_iret(true);
    v->rip = BACK_RIP;
    v->rflags = RFLAGS_FIXED;
    fk.dr6 |= DR6_BS;
    struct exit_record e = exc(X86_DB, 0, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK(!v->nmi_masked);
    CHECK_EQ(fk.nev, 2);
    CHECK_EQ(fk.ev[1].type, EVENT_EXCEPTION);
    CHECK_EQ(fk.ev[1].vector, X86_DB);
    CHECK(fk.dr6 & DR6_BS);
    /* A breakpoint of the guest's that matched during the IRET. */
    v = at_iret(false);
    v->rip = BACK_RIP;
    fk.dr6 |= DR6_BS | 0x2;
    e = exc(X86_DB, 0, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 2);
    CHECK_EQ(fk.dr6 & (DR6_BS | DR6_B0_B3), 0x2);
}

static void test_step_fault(void)
{
    /* The IRET faults (#GP): NMIs stay blocked, the guest's frame holds
     * its own RFLAGS, the next IRET is watched again. */
    struct vcpu *v = at_iret(false);
    struct exit_record e = exc(X86_GP, 0x18, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK(v->nmi_masked && !v->nmi_stepping);
    CHECK(!(v->rflags & RFLAGS_TF));
    CHECK(fk.iret_exit);
    CHECK_EQ(fk.exc_exits, 0);
    CHECK_EQ(fk.nev, 2);
    CHECK_EQ(fk.ev[1].type, EVENT_EXCEPTION);
    CHECK_EQ(fk.ev[1].vector, X86_GP);
    CHECK(fk.ev[1].has_error);
    CHECK_EQ(fk.ev[1].error, 0x18);
    /* A #PF with its address; the guest's own TF kept. */
    v = at_iret(true);
    e = exc(X86_PF, 0x2, 0xdead000ull);
    CHECK(exit_dispatch(v, &e));
    CHECK(v->rflags & RFLAGS_TF);
    CHECK_EQ(fk.cr2, 0xdead000ull);
    CHECK_EQ(fk.ev[1].vector, X86_PF);
    /* An instruction breakpoint on the IRET itself (fault-class #DB,
     * RIP not moved, no BS): reflected, NMIs still blocked. */
    v = at_iret(false);
    fk.dr6 |= 0x1;
    e = exc(X86_DB, 0, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK(v->nmi_masked && fk.iret_exit);
    CHECK_EQ(fk.ev[1].vector, X86_DB);
    /* Not stepping: an intercepted exception still stops the VM. */
    v = fake_reset();
    e = exc(X86_GP, 0, 0);
    (void)exit_dispatch(v, &e);
    CHECK_EQ(fk.stops, 1);
}

static void test_shadow_and_window(void)
{
    /* SVM: in a shadow the NMI waits while the covered instruction is
     * stepped (no timer: the step's #DB says when). */
    struct vcpu *v = fake_reset();
    fk.nmi_pending = true;
    fk.shadow = true;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 0);
    CHECK(v->nmi_stepping && v->nmi_step_shadow && !v->nmi_masked);
    CHECK(v->rflags & RFLAGS_TF);
    CHECK_EQ(fk.exc_exits, NMI_SHADOW_STEP_EXCEPTIONS);
    /* An emulated instruction completes the shadow: the step ends, the
     * NMI goes in right after it. */
    vcpu_advance_rip(v, 3);
    CHECK(!fk.shadow && !v->nmi_stepping);
    CHECK(!(v->rflags & RFLAGS_TF));
    CHECK_EQ(fk.exc_exits, 0);
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 1);
    /* VMX: the NMI window ends the shadow exactly. */
    struct vcpu_ops vmx_like = *vops;
    const struct vcpu_ops *saved = vops;
    vmx_like.nmi_window_exits = true;
    vops = &vmx_like;
    v = fake_reset();
    fk.nmi_pending = true;
    fk.shadow = true;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 0);
    CHECK(fk.iret_exit);
    struct exit_record e = { .reason = EXIT_NMI_WINDOW };
    CHECK(exit_dispatch(v, &e));
    fk.shadow = false;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 1);
    CHECK(v->nmi_masked && fk.iret_exit);
    /* ... and a queued event: the window opens after its delivery. */
    v = fake_reset();
    fk.nmi_pending = true;
    fk.event_queued = true;
    CHECK(!vcpu_inject_events(v));
    CHECK(fk.iret_exit);
    CHECK_EQ(fk.nev, 0);
    vops = saved;
}

/* A shadow step on SVM (QEMU 7.2 drops INT_STATE at VMRUN: an exit
 * before the covered instruction ran shows no shadow, docs/nmi.md). */
static struct vcpu *shadow_step(bool guest_tf)
{
    struct vcpu *v = fake_reset();
    v->rflags = RFLAGS_FIXED | (guest_tf ? RFLAGS_TF : 0);
    fk.nmi_pending = true;
    fk.shadow = true;
    fk.dr6 = 0xffff0ff0ull;
    fk.dr7 = 0x400ull;
    CHECK(!vcpu_inject_events(v));
    CHECK(v->nmi_stepping && v->nmi_step_shadow);
    return v;
}

static void test_shadow_step(void)
{
    /* An exit before the instruction ran (a host interrupt), reported
     * without the shadow: still nothing goes in, and no timer is asked. */
    struct vcpu *v = shadow_step(false);
    fk.shadow = false;
    fk.pending = 0x40;
    v->rflags |= RFLAGS_IF;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 0);
    CHECK(!fk.intr_window);
    /* The step's #DB after it: the guest's TF and DR6 back, the NMI goes
     * in at the next instruction. */
    v->rip += 2;
    fk.dr6 |= DR6_BS;
    struct exit_record e = exc(X86_DB, 0, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK(!v->nmi_stepping && !(v->rflags & RFLAGS_TF));
    CHECK_EQ(fk.exc_exits, 0);
    CHECK_EQ(fk.dr6, 0xffff0ff0ull);
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 1);
    CHECK_EQ(fk.ev[0].type, EVENT_NMI);
    /* A guest stepping itself gets its own #DB too. */
    v = shadow_step(true);
    v->rip += 2;
    fk.dr6 |= DR6_BS;
    e = exc(X86_DB, 0, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK(v->rflags & RFLAGS_TF);
    CHECK_EQ(fk.nev, 1);
    CHECK_EQ(fk.ev[0].vector, X86_DB);
    /* The covered instruction faults (UD2): #UD without an error code,
     * the guest's own TF in its frame; the NMI waits for its delivery. */
    v = shadow_step(false);
    e = exc(X86_UD, 0, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK(!v->nmi_stepping && !(v->rflags & RFLAGS_TF));
    CHECK(!fk.iret_exit);
    CHECK_EQ(fk.nev, 1);
    CHECK_EQ(fk.ev[0].vector, X86_UD);
    CHECK(!fk.ev[0].has_error);
    /* Keel queues a fault for the covered instruction itself (an
     * emulated access that #GPs): the step ends before that entry. */
    v = shadow_step(false);
    fk.event_queued = true;
    CHECK(vcpu_inject_events(v));
    CHECK(!v->nmi_stepping && !(v->rflags & RFLAGS_TF));
    CHECK_EQ(fk.exc_exits, 0);
    CHECK_EQ(fk.nev, 0);
}

static void test_vnmi(void)
{
    /* The CPU holds the NMI (V_NMI) and tracks blocking itself. */
    struct vcpu *v = fake_reset();
    fk.nmi_hw = NMI_HW_ON;
    fk.nmi_pending = true;
    fk.pending = 0x41;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 2);                /* the NMI handed over, the interrupt too */
    CHECK_EQ(fk.ev[0].type, EVENT_NMI);
    CHECK(!fk.iret_exit);
    /* One held by the CPU already: the next waits, polled. */
    v = fake_reset();
    fk.nmi_hw = NMI_HW_ON | NMI_HW_PENDING | NMI_HW_BLOCKED;
    fk.nmi_pending = true;
    CHECK(vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 0);
    vcpu_nmi_track(v);
    CHECK(v->nmi_masked);
    CHECK_EQ(fk.nmi_held, 2);
    fk.nmi_hw = NMI_HW_ON;
    vcpu_nmi_track(v);
    CHECK(!v->nmi_masked);
    CHECK_EQ(fk.nmi_held, 0);
}

static void test_init_resets(void)
{
    struct vcpu *v = at_iret(false);
    fk.init_pending = true;
    vcpu_handle_init_sipi(v);
    CHECK(!v->nmi_masked && !v->nmi_stepping);
    CHECK_EQ(fk.exc_exits, 0);
}

/* The pass's verdict for the run loop's fast re-entry (hv/run.c): quiet
 * only when nothing waits and nothing is held back. */
static void test_entry_quiet(void)
{
    struct vcpu *v = fake_reset();
    v->rflags = RFLAGS_FIXED | RFLAGS_IF;
    CHECK(!vcpu_inject_events(v));
    CHECK(v->entry_quiet);
    /* One interrupt, deliverable: injected, and then nothing waits. */
    fk.pending = 0x40;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 1);
    CHECK(v->entry_quiet);
    /* Injected while a second one stays in IRR: the next exit must look. */
    fk.event_queued = false;
    fk.pending = 0x50;
    fk.nmi_pending = false;
    v->entry_quiet = true;
    fk.init_pending = true; /* stands for "more pending" in the fake */
    CHECK(!vcpu_inject_events(v));
    CHECK(!v->entry_quiet);
    fk.init_pending = false;
    /* Held by TPR: the guest may lower it without an exit. */
    fk.event_queued = false;
    fk.pending = VAPIC_NONE;
    fk.tpr_blocked = 0x35;
    CHECK(!vcpu_inject_events(v));
    CHECK(!v->entry_quiet);
    fk.tpr_blocked = -1;
    /* Waiting for IF: the window is armed and its exit will come by
     * itself; nothing else for the pass to do until then. */
    v->rflags = RFLAGS_FIXED;
    fk.pending = 0x40;
    CHECK(!vcpu_inject_events(v));
    CHECK(v->entry_quiet && fk.intr_window);
    /* An NMI pending (injected now): the pass must run again after it. */
    v->rflags = RFLAGS_FIXED | RFLAGS_IF;
    fk.pending = VAPIC_NONE;
    fk.nmi_pending = true;
    fk.event_queued = false;
    CHECK(!vcpu_inject_events(v));
    CHECK(!v->entry_quiet);
}

/* A vendor that delivers the waiting vector itself (SVM V_IRQ without the
 * VINTR intercept): handed over instead of the window, only a vLAPIC
 * vector, never an ExtINT or into a shadow; acknowledged when taken. */
static int virq_vector = -1;
static void f_set_virq(struct vcpu *v, uint8_t vector) { virq_vector = vector; }
static bool f_true(void) { return true; }

static void test_virq(void)
{
    const struct vcpu_ops *saved = vops;
    struct vcpu_ops ops = *saved;
    ops.set_virq = f_set_virq;
    vops = &ops;
    struct vcpu *v = fake_reset();
    /* IF = 0, 0x40 pending: handed over, no window, quiet as the window. */
    v->rflags = RFLAGS_FIXED;
    fk.pending = 0x40;
    virq_vector = -1;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(virq_vector, 0x40);
    CHECK(!fk.intr_window);
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(fk.acks, 0);
    CHECK(v->entry_quiet);
    /* Taken: IRR -> ISR at the next exit; nothing else waits: still quiet. */
    vcpu_virq_taken(v, 0x40);
    CHECK_EQ(fk.acks, 1);
    CHECK(v->entry_quiet);
    /* Taken while a lower vector stays in IRR: held back by ISR now, as
     * quiet as the pass found it; an NMI waiting makes the pass say so. */
    fk.pending = 0x50;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(virq_vector, 0x50);
    vcpu_virq_taken(v, 0x50);
    CHECK(v->entry_quiet);
    fk.pending = 0x50;
    fk.nmi_pending = true;
    fk.event_queued = false;
    CHECK(!vcpu_inject_events(v));
    CHECK(!v->entry_quiet);
    fk.nmi_pending = false;
    fk.nev = 0;
    fk.event_queued = false;
    /* An ExtINT waits for the window's exit: the 8259 answers then. */
    virq_vector = -1;
    fk.pending = VAPIC_EXTINT;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(virq_vector, -1);
    CHECK(fk.intr_window && fk.irq_window_extint);
    /* In a shadow: neither (a short exit instead). */
    fk.pending = 0x40;
    fk.shadow = true;
    CHECK(vcpu_inject_events(v));
    CHECK_EQ(virq_vector, -1);
    CHECK(!fk.intr_window);
    /* IF = 1: injected as before, the hand-over taken back. */
    fk.shadow = false;
    v->rflags = RFLAGS_FIXED | RFLAGS_IF;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 1);
    CHECK_EQ(fk.ev[0].vector, 0x40);
    CHECK(!fk.intr_window);
    /* IF = 1 where the vendor's injection of an external interrupt may be
     * delivered twice (virq_with_if: QEMU 7.2, issue 14's duplicate):
     * handed over too, no EVENTINJ; not acknowledged until taken; quiet
     * as the hand-over with IF = 0. */
    ops.virq_with_if = f_true;
    fk.pending = 0x40;
    fk.event_queued = false;
    fk.nev = 0;
    fk.acks = 0;
    virq_vector = -1;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(virq_vector, 0x40);
    CHECK_EQ(fk.acks, 0);
    CHECK(!fk.intr_window);
    CHECK(v->entry_quiet);
    vcpu_virq_taken(v, 0x40);
    CHECK_EQ(fk.acks, 1);
    /* An ExtINT with IF = 1: injected (the 8259 answers at the injection). */
    fk.pending = VAPIC_EXTINT;
    fk.event_queued = false;
    virq_vector = -1;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 1);
    CHECK_EQ(virq_vector, -1);
    CHECK(!fk.intr_window);
    vops = saved;
}

/* A vendor whose CPU also compares the handed vector with TPR: a vector
 * only TPR holds back is handed over too, with no CR8 exit asked for;
 * not into a shadow, and never by a vendor that cannot compare. */
static bool gated;
static bool f_gated(void) { return gated; }

static void test_virq_tpr_gated(void)
{
    const struct vcpu_ops *saved = vops;
    struct vcpu_ops ops = *saved;
    ops.set_virq = f_set_virq;
    ops.virq_tpr_gated = f_gated;
    vops = &ops;
    struct vcpu *v = fake_reset();
    v->rflags = RFLAGS_FIXED | RFLAGS_IF;
    fk.pending = VAPIC_NONE;
    fk.tpr_blocked = 0x61;
    /* Gated: handed over, the threshold off, quiet as any hand-over. */
    gated = true;
    virq_vector = -1;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(virq_vector, 0x61);
    CHECK_EQ(fk.tpr_threshold, -1);
    CHECK(!fk.intr_window);
    CHECK_EQ(fk.nev, 0);
    CHECK(v->entry_quiet);
    /* In a shadow: the CR8 exit instead. */
    fk.shadow = true;
    virq_vector = -1;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(virq_vector, -1);
    CHECK_EQ(fk.tpr_threshold, 6);
    CHECK(!v->entry_quiet);
    fk.shadow = false;
    /* Not gated: the CR8 exit, nothing handed over. */
    gated = false;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(virq_vector, -1);
    CHECK_EQ(fk.tpr_threshold, 6);
    /* Deliverable but IF = 0, gated: handed over, no CR8 exit either. */
    gated = true;
    v->rflags = RFLAGS_FIXED;
    fk.tpr_blocked = -1;
    fk.pending = 0x70;
    CHECK(!vcpu_inject_events(v));
    CHECK_EQ(virq_vector, 0x70);
    CHECK_EQ(fk.tpr_threshold, -1);
    vops = saved;
}

int main(void)
{
    test_entry_quiet();
    test_virq();
    test_virq_tpr_gated();
    test_step_iret();
    test_step_guest_tf();
    test_step_fault();
    test_shadow_and_window();
    test_shadow_step();
    test_vnmi();
    test_init_resets();
    return check_report("test_nmi");
}
