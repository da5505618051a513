/* SPDX-License-Identifier: MIT */
/*
 * The APIC acceleration predicate and the VM's inhibit reasons
 * (apic/apic_accel.h, docs/apic-accel.md).
 */
#include "apic/apic_accel.h"

#include <stddef.h>

uint32_t apic_accel_honoured(const struct apic_accel_caps *caps)
{
    uint32_t h = caps->inhibits_all | APIC_INHIBIT_CONFIG | APIC_INHIBIT_NO_HW;
    return h & APIC_INHIBIT_VM_MASK;
}

/* Reasons of the vCPU itself.  A globally disabled APIC takes no
 * interrupts and has no registers (SDM 11.4.3): nothing to accelerate.
 * x2APIC mode needs the CPU to virtualize the MSR interface as well, or
 * the hybrid mode (the MSRs emulated, the rest accelerated). */
static uint32_t vcpu_reasons(const struct apic_accel_caps *caps, const struct apic_accel_input *in)
{
    if (in->mode == VLAPIC_MODE_DISABLED)
        return APIC_INHIBIT_DISABLED;
    if (in->mode == VLAPIC_MODE_X2APIC && !caps->x2apic
        && !(caps->x2apic_hybrid && in->x2apic_hybrid))
        return APIC_INHIBIT_X2APIC_NO_HW;
    return 0;
}

struct apic_accel apic_accel_decide(const struct apic_accel_caps *caps,
                                    const struct apic_accel_input *in)
{
    struct apic_accel r = { .on = false, .regs = APIC_ACCEL_REGS_NONE };
    uint32_t why = vcpu_reasons(caps, in);
    uint32_t honoured = in->vm_honoured ? in->vm_honoured : apic_accel_honoured(caps);
    if (!in->vm_active || !caps->xapic)
        why |= in->vm_reasons & honoured;
    if (!caps->xapic)
        why |= APIC_INHIBIT_NO_HW;
    r.why_not = why;
    /* Inactive with no honoured reason left: the mask was just cleared and
     * the activation follows under the same lock; this entry stays off. */
    if (why || !in->vm_active)
        return r;
    r.on = true;
    if (in->mode == VLAPIC_MODE_X2APIC)
        r.regs = caps->x2apic ? APIC_ACCEL_REGS_X2APIC : APIC_ACCEL_REGS_NONE;
    else
        r.regs = APIC_ACCEL_REGS_XAPIC;
    if (r.regs == APIC_ACCEL_REGS_NONE)
        r.why_not = APIC_INHIBIT_X2APIC_NO_HW;  /* on, but the MSRs exit: say why */
    r.posted = caps->posted;
    uint32_t ipi_why = in->vm_reasons & caps->inhibits_ipi;
    r.ipi = caps->ipi && caps->posted && !ipi_why;
    if (caps->ipi && ipi_why)
        r.why_not |= ipi_why;    /* on, but IPIs still exit: say why */
    return r;
}

bool apic_accel_page_mapped(const struct apic_accel_caps *caps, bool vm_active,
                            const enum vlapic_mode *modes, const uint64_t *bases,
                            unsigned nvcpus)
{
    if (!caps->xapic || !vm_active || nvcpus == 0)
        return false;
    for (unsigned i = 0; i < nvcpus; i++)
        if (modes[i] != VLAPIC_MODE_XAPIC || bases[i] != APIC_DEFAULT_BASE)
            return false;
    return true;
}

/* Two enabled APICs in the same mode whose logical IDs overlap: in xAPIC
 * flat mode any common bit, in cluster mode the same cluster and a common
 * bit; in x2APIC mode the same cluster (bits 31:16) and a common bit. */
static bool logical_overlap(const struct apic_dest_view *a, const struct apic_dest_view *b)
{
    if (a->mode == APIC_DEST_X2APIC)
        return (a->ldr >> 16) == (b->ldr >> 16) && (a->ldr & b->ldr & 0xffffu);
    if (a->dfr != b->dfr)
        return false;           /* mixed models: undefined (SDM 11.6.2.2), not aliasing */
    if (a->dfr == APIC_DFR_FLAT)
        return (a->ldr & b->ldr) != 0;
    return (a->ldr >> 4) == (b->ldr >> 4) && (a->ldr & b->ldr & 0xfu);
}

uint32_t apic_accel_view_reasons(const struct apic_dest_view *views, unsigned n)
{
    uint32_t r = 0;
    for (unsigned i = 0; i < n; i++) {
        const struct apic_dest_view *a = &views[i];
        if (a->mode == APIC_DEST_DISABLED)
            continue;
        if (a->id != i)
            r |= APIC_INHIBIT_ID_MODIFIED;
        for (unsigned j = i + 1; j < n; j++) {
            const struct apic_dest_view *b = &views[j];
            if (b->mode != a->mode)
                continue;
            if (a->id == b->id || logical_overlap(a, b))
                r |= APIC_INHIBIT_ID_ALIASED;
        }
    }
    return r;
}
