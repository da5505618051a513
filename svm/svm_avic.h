/* SPDX-License-Identifier: MIT */
/* AVIC on a real CPU (svm/svm_avic.c); the pure half is svm/avic.h. */
#ifndef KEEL_SVM_SVM_AVIC_H
#define KEEL_SVM_SVM_AVIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_dest.h"

struct svm_vcpu;
struct svm_vm;
struct vcpu;
struct vm;

extern struct apic_accel_caps svm_accel_caps;

/* After svm_caps is read: AVIC/x2AVIC and whether the CPU family has
 * erratum #1235 (each VM's keel.cfg decides the workaround). */
void svm_avic_probe(void);
bool svm_avic_present(void);
int svm_avic_vm_init(struct vm *vm, struct svm_vm *s);
int svm_avic_vcpu_init(struct vcpu *v);
/* Before each entry: the VMCB's AVIC fields and MSR map follow
 * v->apic.accel when it changed. */
void svm_avic_apply(struct vcpu *v, struct svm_vcpu *sv);
void svm_avic_logical_update(struct vm *vm, const struct apic_dest_view *views, unsigned n);
bool svm_avic_post(struct vcpu *t, uint8_t vector);
bool svm_avic_block_prepare(struct vcpu *v);
void svm_avic_block_end(struct vcpu *v);

#endif /* KEEL_SVM_SVM_AVIC_H */
