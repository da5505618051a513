/* SPDX-License-Identifier: MIT */
/* Event delivery to a vCPU before each entry (hv/emul/inject.c). */
#ifndef KEEL_HV_INJECT_H
#define KEEL_HV_INJECT_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

/* INIT and SIPI change the run state (wait-for-SIPI, running). */
void vcpu_handle_init_sipi(struct vcpu *v);
/* Something would end a HLT: an NMI, INIT/SIPI, or an interrupt the guest
 * accepts (RFLAGS.IF set). */
bool vcpu_wake_pending(struct vcpu *v);
/* Queue the next NMI or interrupt, or ask for an exit when the guest can
 * take it.  Returns true when the caller must force an exit soon by other
 * means (an interrupt shadow hides the window; SVM cannot exit on it). */
bool vcpu_inject_events(struct vcpu *v);
/* After an exit: the CPU delivered @vector, handed to it by
 * vcpu_inject_events through vops->set_virq; acknowledge it. */
void vcpu_virq_taken(struct vcpu *v, uint8_t vector);
/* NMIs: hv/emul/nmi.h. */

#endif /* KEEL_HV_INJECT_H */
