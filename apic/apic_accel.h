/* SPDX-License-Identifier: MIT */
/*
 * Whether a vCPU's local APIC runs accelerated by the CPU (Intel APICv,
 * AMD AVIC) or fully emulated, decided in one vendor-neutral place.
 *
 * The decision is a pure function of
 *   - what the CPU can do (struct apic_accel_caps, filled once by the
 *     vendor code from its capability negotiation), including which
 *     inhibit reasons matter on that hardware;
 *   - the VM's inhibit reasons (APIC_INHIBIT_* with scope VM), kept in
 *     struct apic_accel_vm and changed by the hypervisor as the guest acts;
 *   - the vCPU's own APIC mode (xAPIC, x2APIC, disabled).
 * The vendor code asks apic_accel_decide() before each entry and applies
 * the answer (VMCS controls, MSR bitmap, ...); hv/ asks
 * apic_accel_page_mapped() whether the shared APIC-access page belongs in
 * the VM's nested page tables.  docs/apic-accel.md describes each reason.
 *
 * Pure: no locks, no allocation; compiled for the host and unit-tested.
 */
#ifndef KEEL_APIC_APIC_ACCEL_H
#define KEEL_APIC_APIC_ACCEL_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_dest.h"
#include "apic/vlapic.h"

/* Reasons to run the APIC emulated ("inhibits").  VM-scope reasons are
 * kept in struct apic_accel_vm; vCPU-scope ones are derived from the
 * vCPU's APIC mode by apic_accel_decide(). */
enum apic_inhibit {
    APIC_INHIBIT_CONFIG       = 1u << 0,  /* VM: keel.cfg apic_accel = no */
    APIC_INHIBIT_NO_HW        = 1u << 1,  /* VM: the CPU lacks the controls */
    APIC_INHIBIT_ID_MODIFIED  = 1u << 2,  /* VM: an APIC ID differs from its initial one */
    APIC_INHIBIT_ID_ALIASED   = 1u << 3,  /* VM: two APICs answer one physical or logical ID */
    APIC_INHIBIT_BASE_MOVED   = 1u << 4,  /* VM: an xAPIC page is not at FEE00000H */
    APIC_INHIBIT_IRQ_WINDOW   = 1u << 5,  /* VM: an ExtINT waits for an interrupt window */
    APIC_INHIBIT_PIT_REINJECT = 1u << 6,  /* VM: PIT ticks reinjected on EOI */
    APIC_INHIBIT_X2APIC_NO_HW = 1u << 7,  /* vCPU: x2APIC mode, CPU virtualizes xAPIC only */
    APIC_INHIBIT_DISABLED     = 1u << 8,  /* vCPU: APIC globally disabled */
    APIC_INHIBIT_COUNT_       = 9
};
#define APIC_INHIBIT_VM_MASK 0x7fu

/* What the hardware offers, and which reasons stop which part of it. */
struct apic_accel_caps {
    bool xapic;              /* xAPIC page: register virtualization + interrupt delivery */
    bool x2apic;             /* x2APIC MSRs virtualized too (virtualize x2APIC mode, x2AVIC) */
    bool ipi;                /* IPIs sent without exits (IPIv, AVIC doorbell) */
    bool posted;             /* interrupts posted to a running vCPU without an exit */
    uint32_t inhibits_all;   /* reasons that stop all acceleration */
    uint32_t inhibits_ipi;   /* reasons that stop only IPI virtualization */
};

/* Per-VM inhibit state.  `reasons` is read at every entry without a lock
 * (atomics); set/clear return whether the effective state changed. */
struct apic_accel_vm {
    uint32_t reasons;
    uint32_t generation;     /* bumped on every change */
};

/* The answer for one vCPU. */
enum apic_accel_regs {
    APIC_ACCEL_REGS_NONE = 0,  /* every register access exits */
    APIC_ACCEL_REGS_XAPIC,     /* the xAPIC page (Intel: virtualize APIC accesses) */
    APIC_ACCEL_REGS_X2APIC,    /* the x2APIC MSRs (Intel: virtualize x2APIC mode) */
};

struct apic_accel {
    bool on;                   /* the CPU delivers the vLAPIC's interrupts itself */
    enum apic_accel_regs regs;
    bool ipi;                  /* IPI virtualization */
    bool posted;               /* posted interrupts */
    uint32_t why_not;          /* the inhibit reasons in effect (0 when fully on) */
};

void apic_accel_vm_init(struct apic_accel_vm *a, uint32_t initial_reasons);
bool apic_accel_vm_set(struct apic_accel_vm *a, uint32_t reason);
bool apic_accel_vm_clear(struct apic_accel_vm *a, uint32_t reason);
uint32_t apic_accel_vm_reasons(const struct apic_accel_vm *a);

/* The single predicate: how @mode's APIC of a VM with @vm_reasons runs. */
struct apic_accel apic_accel_decide(const struct apic_accel_caps *caps, uint32_t vm_reasons,
                                    enum vlapic_mode mode);

/* The shared APIC-access page is mapped in the VM's nested page tables
 * only while every vCPU's APIC is in xAPIC mode at the default base and
 * acceleration is allowed: a vCPU in x2APIC mode or with its APIC disabled
 * must see no APIC at FEE00000H (SDM 11.12.2), and one whose APIC moved
 * must see what is really there.  @modes/@bases: each vCPU's mode and APIC
 * base address. */
bool apic_accel_page_mapped(const struct apic_accel_caps *caps, uint32_t vm_reasons,
                            const enum vlapic_mode *modes, const uint64_t *bases,
                            unsigned nvcpus);

/* VM-scope reasons that follow from the vCPUs' published destination
 * views: ID_MODIFIED (an ID other than the vCPU's index, which is its
 * initial ID) and ID_ALIASED (two enabled APICs with the same physical
 * ID, or overlapping logical IDs in the same model).  Returned as a mask
 * of those two bits only. */
uint32_t apic_accel_view_reasons(const struct apic_dest_view *views, unsigned n);

/* Name of one reason bit, for logs and the debug shell. */
const char *apic_inhibit_name(uint32_t reason);
/* "config,x2apic-no-hw" style list of @reasons into @buf. */
void apic_inhibit_describe(uint32_t reasons, char *buf, unsigned size);

#define APIC_DEFAULT_BASE 0xfee00000ull

#endif /* KEEL_APIC_APIC_ACCEL_H */
