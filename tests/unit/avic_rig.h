/* SPDX-License-Identifier: MIT */
/*
 * A test rig that runs Keel's AVIC driver against the model of the AVIC
 * hardware (tests/model/avic_hw.h).
 *
 * What runs for real: the pure driver (svm/avic.c: table entries, the
 * logical table, the VMCB fields, the x2AVIC MSR map, the exit decoders),
 * the vLAPIC (apic/), the acceleration predicate and the inhibit machine
 * (apic/apic_accel.c, apic_inhibit.c), the destination logic
 * (apic/apic_dest.c).  What the rig stands in for: the hardware-facing glue
 * of svm/svm_avic.c and hv/vapic*.c (locks, kicks, the run loop), written
 * here to do the same steps in the same order; each step names the
 * function it mirrors.
 *
 * Memory: system physical addresses are host pointers (the model's
 * spa_to_ptr is the identity).  Guest physical APIC IDs are the vCPU
 * indices; pCPU i runs vCPU i and has host APIC ID RIG_HOST_ID(i), on
 * purpose different from the guest IDs.
 */
#ifndef KEEL_TESTS_AVIC_RIG_H
#define KEEL_TESTS_AVIC_RIG_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_accel.h"
#include "apic/vlapic.h"
#include "svm/vmcb.h"
#include "tests/model/avic_hw.h"

#define RIG_MAX 8
#define RIG_HOST_ID(i) (0x20u + 3u * (i))
#define RIG_DEFER 32

struct rig;

struct rig_vcpu {
    struct rig *rig;
    unsigned idx;
    struct vlapic vl;
    uint32_t *page;                 /* the vLAPIC page = the AVIC backing page */
    struct vmcb *vmcb;
    pthread_mutex_t lock;           /* the APIC lock (hv: vcpu.apic.lock) */
    struct apic_msg defer[RIG_DEFER];
    unsigned ndefer;
    uint32_t trap_shadow[0x400 / 16];   /* registers as last committed (xAPIC traps) */
    bool dest_changed;
    struct apic_accel accel;        /* the decision applied at the last entry (owner) */
    bool accel_on;                  /* accel.on, for other threads (atomic) */
    bool in_guest;
    bool halted;                    /* blocked in HLT (IsRunning clear) */
    bool kicked;                    /* a host IPI is pending for its pCPU */
    unsigned wakes;                 /* kicks that found it halted */
    unsigned anomalies;
};

struct rig {
    struct avic_hw *hw;
    unsigned n;
    bool x2avic, erratum;
    struct rig_vcpu v[RIG_MAX];
    uint64_t *phys;
    uint32_t *logical;
    uint8_t *msrpm, *msrpm_x2avic;
    unsigned max_index;
    struct apic_accel_caps caps;
    struct apic_inhibit_vm inhibit;
    pthread_mutex_t inhibit_lock;
    pthread_mutex_t map_lock;
    struct apic_dest_view views[RIG_MAX];
    unsigned eoi_level;             /* level EOIs the vLAPIC broadcast */
    unsigned unexpected;            /* exits the rig did not expect */
    unsigned ipi_exits, noaccel_exits; /* AVIC exits taken (acceleration missed) */
    uint64_t tsc;
};

void rig_init(struct rig *r, unsigned n, bool x2avic, bool erratum);
void rig_fini(struct rig *r);

/* hv/run.c vcpu_step: decide, apply (svm_avic_apply), VMRUN.  false if
 * the model refused the VMRUN (the reason is printed). */
bool rig_enter(struct rig_vcpu *v);
void rig_exit(struct rig_vcpu *v);

/* The guest's accesses, with every exit handled as Keel would. */
uint32_t rig_mmio_read(struct rig_vcpu *v, uint32_t off);
void rig_mmio_write(struct rig_vcpu *v, uint32_t off, uint32_t val);
uint64_t rig_rdmsr(struct rig_vcpu *v, uint32_t msr);
bool rig_wrmsr(struct rig_vcpu *v, uint32_t msr, uint64_t val);  /* false: #GP */

/* The CPU (model) or, emulated, Keel's injection delivers the highest
 * interrupt the vCPU can take now; -1 if none. */
int rig_take(struct rig_vcpu *v);
/* The guest's EOI in its current mode. */
void rig_eoi(struct rig_vcpu *v);
/* Keel delivering a message (I/O APIC, an emulated IPI): hv/vapic.c
 * deliver_one with svm_avic_post. */
void rig_route(struct rig *r, const struct apic_msg *m, unsigned host_pcpu);
/* The HLT wait around (svm_avic_block_prepare / _block_end); block
 * returns false when something is pending (do not sleep). */
bool rig_block(struct rig_vcpu *v);
void rig_unblock(struct rig_vcpu *v);
/* Set or clear VM inhibit reasons (hv: vapic_inhibit). */
void rig_inhibit(struct rig *r, uint32_t reasons, bool set);

#endif /* KEEL_TESTS_AVIC_RIG_H */
