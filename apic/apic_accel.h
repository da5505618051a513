/* SPDX-License-Identifier: MIT */
/*
 * Whether a vCPU's local APIC runs accelerated by the CPU (Intel APICv,
 * AMD AVIC) or fully emulated, decided in one vendor-neutral place.
 *
 * The decision is a pure function of
 *   - what the CPU can do (struct apic_accel_caps, filled once by the
 *     vendor code from its capability negotiation), including which
 *     inhibit reasons matter on that hardware;
 *   - the VM's activation and inhibit reasons, kept by the inhibit machine
 *     (apic/apic_inhibit.h) and changed by the hypervisor as the guest acts;
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
#include "apic/apic_inhibit.h"
#include "apic/vlapic.h"

/* What the hardware offers, and which reasons stop which part of it. */
struct apic_accel_caps {
    bool xapic;              /* xAPIC page: register virtualization + interrupt delivery */
    bool x2apic;             /* x2APIC MSRs virtualized too (virtualize x2APIC mode, x2AVIC) */
    bool ipi;                /* IPIs sent without exits (IPIv, AVIC doorbell) */
    bool posted;             /* interrupts posted to a running vCPU without an exit */
    /* In x2APIC mode without x2APIC virtualization, the CPU can still keep
     * the rest (interrupt delivery from the page, doorbells, posting) while
     * Keel emulates the x2APIC MSRs: AVIC's "hybrid" mode (seed 000). */
    bool x2apic_hybrid;
    uint32_t inhibits_all;   /* VM reasons that stop all acceleration (the machine's
                              * honoured set, with config and no-hw always) */
    uint32_t inhibits_ipi;   /* reasons that stop only IPI virtualization */
};

/* The answer for one vCPU. */
enum apic_accel_regs {
    APIC_ACCEL_REGS_NONE = 0,  /* every register access exits (with on: AVIC hybrid) */
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

/* What one decision looks at: the VM's activation and reason mask (read
 * from its struct apic_inhibit_vm), the vCPU's APIC mode, and the VM's
 * policy for x2APIC without x2APIC virtualization (keel.cfg
 * x2apic_no_x2avic: hybrid, or inhibit that vCPU). */
struct apic_accel_input {
    bool vm_active;
    uint32_t vm_reasons;
    uint32_t vm_honoured;    /* the machine's honoured set (0: the CPU's, apic_accel_honoured) */
    enum vlapic_mode mode;
    bool x2apic_hybrid;
};

/* Whether two inputs are the same (field by field: no padding compared). */
static inline bool apic_accel_input_eq(const struct apic_accel_input *a,
                                       const struct apic_accel_input *b)
{
    return a->vm_active == b->vm_active && a->vm_reasons == b->vm_reasons
           && a->vm_honoured == b->vm_honoured && a->mode == b->mode
           && a->x2apic_hybrid == b->x2apic_hybrid;
}

/* The reasons the inhibit machine of a VM honours on this CPU. */
uint32_t apic_accel_honoured(const struct apic_accel_caps *caps);

/* The single predicate: how one vCPU's APIC runs. */
struct apic_accel apic_accel_decide(const struct apic_accel_caps *caps,
                                    const struct apic_accel_input *in);

/* The shared APIC-access page is mapped in the VM's nested page tables
 * only while every vCPU's APIC is in xAPIC mode at the default base and
 * acceleration is allowed: a vCPU in x2APIC mode or with its APIC disabled
 * must see no APIC at FEE00000H (SDM 11.12.2), and one whose APIC moved
 * must see what is really there.  @modes/@bases: each vCPU's mode and APIC
 * base address. */
bool apic_accel_page_mapped(const struct apic_accel_caps *caps, bool vm_active,
                            const enum vlapic_mode *modes, const uint64_t *bases,
                            unsigned nvcpus);

/* VM-scope reasons that follow from the vCPUs' published destination
 * views: ID_MODIFIED (an ID other than the vCPU's index, which is its
 * initial ID) and ID_ALIASED (two enabled APICs with the same physical
 * ID, or overlapping logical IDs in the same model).  Returned as a mask
 * of those two bits only. */
uint32_t apic_accel_view_reasons(const struct apic_dest_view *views, unsigned n);

#define APIC_DEFAULT_BASE 0xfee00000ull

#endif /* KEEL_APIC_APIC_ACCEL_H */
