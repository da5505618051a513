/* SPDX-License-Identifier: MIT */
/* Exit handlers, one per neutral exit reason (dispatched by hv/emul/exit.c). */
#ifndef KEEL_HV_HANDLERS_H
#define KEEL_HV_HANDLERS_H

#include "hv/emul/exit.h"

struct vcpu;

int handle_msr_read(struct vcpu *v, const struct exit_record *e);   /* hv/emul/emul_msr.c */
int handle_msr_write(struct vcpu *v, const struct exit_record *e);
int handle_rdpmc(struct vcpu *v, const struct exit_record *e);
int handle_xsetbv(struct vcpu *v, const struct exit_record *e);    /* hv/emul/emul_xcr.c */
int handle_io(struct vcpu *v, const struct exit_record *e);         /* hv/emul/emul_io.c */
int handle_npf(struct vcpu *v, const struct exit_record *e);        /* hv/emul/emul_mmio.c */
int handle_hypercall(struct vcpu *v, const struct exit_record *e);  /* hv/emul/hypercall.c */
int handle_cr_access(struct vcpu *v, const struct exit_record *e);  /* hv/emul/emul_cr.c */

#endif /* KEEL_HV_HANDLERS_H */
