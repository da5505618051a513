/* SPDX-License-Identifier: MIT */
/* NMI delivery and blocking for a vCPU (hv/emul/nmi.c, docs/nmi.md). */
#ifndef KEEL_HV_NMI_H
#define KEEL_HV_NMI_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/emul/exit.h"

struct vcpu;

/* What vcpu_inject_nmi did with the vCPU's pending NMIs. */
enum nmi_inject {
    NMI_INJ_IDLE,       /* none pending, or handed to the CPU (vNMI): go on with interrupts */
    NMI_INJ_QUEUED,     /* one injected: nothing else may be this entry */
    NMI_INJ_WAIT,       /* one waits; an exit is armed for when it can go */
    NMI_INJ_WAIT_SHORT, /* one waits; no exit says when: force one soon */
};

/* The exceptions intercepted while an IRET is single-stepped: the step's
 * own #DB, and every fault an IRET can raise in any mode (SDM vol. 2
 * "IRET": #GP, #SS, #NP, #PF, #AC). */
#define NMI_STEP_EXCEPTIONS                                                                  \
    ((1u << 1) | (1u << 11) | (1u << 12) | (1u << 13) | (1u << 14) | (1u << 17))

/* The exceptions intercepted while the instruction an STI / MOV SS shadow
 * covers is single-stepped: the step's own #DB and every fault an
 * instruction can raise (SDM 6.15; #DF, #MC and the traps of INT3/INTO
 * excepted), so that none is delivered with Keel's TF in its frame. */
#define NMI_SHADOW_STEP_EXCEPTIONS                                                           \
    (NMI_STEP_EXCEPTIONS | (1u << 0) | (1u << 5) | (1u << 6) | (1u << 7) | (1u << 10)        \
     | (1u << 16) | (1u << 19))

/* Before each entry: inject a pending NMI if the vCPU can take it.
 * @event_queued: an event (a re-injection, an exception) goes first. */
enum nmi_inject vcpu_inject_nmi(struct vcpu *v, bool event_queued);
/* After each exit: follow the CPU's own NMI state (vNMI). */
void vcpu_nmi_track(struct vcpu *v);
/* INIT: nothing in service, no step in progress (SDM 9.1.1: NMIs are
 * unblocked by INIT). */
void vcpu_nmi_reset(struct vcpu *v);
/* The exits of the NMI machine. */
int vcpu_nmi_iret(struct vcpu *v, const struct exit_record *e);
int vcpu_nmi_window(struct vcpu *v, const struct exit_record *e);
/* An intercepted exception: true when it belongs to an IRET step (then
 * handled: the NMI unblocked, or the IRET's fault reflected). */
bool vcpu_nmi_step_exception(struct vcpu *v, const struct exit_record *e);
/* Keel completed the instruction a shadow step was stepping (emulated it,
 * or queued an event before it): the step ends without its #DB. */
void vcpu_nmi_step_cancel(struct vcpu *v);

#endif /* KEEL_HV_NMI_H */
