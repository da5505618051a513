/* SPDX-License-Identifier: MIT */
/*
 * The APIC acceleration predicate and the VM's inhibit reasons
 * (apic/apic_accel.h, docs/apic-accel.md).
 */
#include "apic/apic_accel.h"

#include <stddef.h>

void apic_accel_vm_init(struct apic_accel_vm *a, uint32_t initial_reasons)
{
    a->reasons = initial_reasons & APIC_INHIBIT_VM_MASK;
    a->generation = 0;
}

static bool vm_update(struct apic_accel_vm *a, uint32_t set, uint32_t clear)
{
    uint32_t old = __atomic_load_n(&a->reasons, __ATOMIC_ACQUIRE), nw;
    do {
        nw = (old | set) & ~clear & APIC_INHIBIT_VM_MASK;
        if (nw == old)
            return false;
    } while (!__atomic_compare_exchange_n(&a->reasons, &old, nw, false, __ATOMIC_ACQ_REL,
                                          __ATOMIC_ACQUIRE));
    __atomic_add_fetch(&a->generation, 1, __ATOMIC_RELEASE);
    return true;
}

bool apic_accel_vm_set(struct apic_accel_vm *a, uint32_t reason)
{
    return vm_update(a, reason, 0);
}

bool apic_accel_vm_clear(struct apic_accel_vm *a, uint32_t reason)
{
    return vm_update(a, 0, reason);
}

uint32_t apic_accel_vm_reasons(const struct apic_accel_vm *a)
{
    return __atomic_load_n(&a->reasons, __ATOMIC_ACQUIRE);
}

/* Reasons of the vCPU itself.  A globally disabled APIC takes no
 * interrupts and has no registers (SDM 11.4.3): nothing to accelerate.
 * x2APIC mode needs the CPU to virtualize the MSR interface as well. */
static uint32_t vcpu_reasons(const struct apic_accel_caps *caps, enum vlapic_mode mode)
{
    if (mode == VLAPIC_MODE_DISABLED)
        return APIC_INHIBIT_DISABLED;
    if (mode == VLAPIC_MODE_X2APIC && !caps->x2apic)
        return APIC_INHIBIT_X2APIC_NO_HW;
    return 0;
}

struct apic_accel apic_accel_decide(const struct apic_accel_caps *caps, uint32_t vm_reasons,
                                    enum vlapic_mode mode)
{
    struct apic_accel r = { .on = false, .regs = APIC_ACCEL_REGS_NONE };
    uint32_t all = caps->inhibits_all | APIC_INHIBIT_CONFIG | APIC_INHIBIT_NO_HW;
    uint32_t why = (vm_reasons & all) | vcpu_reasons(caps, mode);
    if (!caps->xapic)
        why |= APIC_INHIBIT_NO_HW;
    r.why_not = why;
    if (why)
        return r;
    r.on = true;
    r.regs = mode == VLAPIC_MODE_X2APIC ? APIC_ACCEL_REGS_X2APIC : APIC_ACCEL_REGS_XAPIC;
    r.posted = caps->posted;
    uint32_t ipi_why = vm_reasons & caps->inhibits_ipi;
    r.ipi = caps->ipi && caps->posted && !ipi_why;
    if (caps->ipi && ipi_why)
        r.why_not = ipi_why;    /* on, but IPIs still exit: say why */
    return r;
}

bool apic_accel_page_mapped(const struct apic_accel_caps *caps, uint32_t vm_reasons,
                            const enum vlapic_mode *modes, const uint64_t *bases,
                            unsigned nvcpus)
{
    uint32_t all = caps->inhibits_all | APIC_INHIBIT_CONFIG | APIC_INHIBIT_NO_HW;
    if (!caps->xapic || (vm_reasons & all) || nvcpus == 0)
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

static const char *const inhibit_names[APIC_INHIBIT_COUNT_] = {
    "config", "no-hw", "id-modified", "id-aliased", "base-moved",
    "irq-window", "pit-reinject", "x2apic-no-hw", "apic-disabled",
};

const char *apic_inhibit_name(uint32_t reason)
{
    for (unsigned i = 0; i < APIC_INHIBIT_COUNT_; i++)
        if (reason == (1u << i))
            return inhibit_names[i];
    return "?";
}

void apic_inhibit_describe(uint32_t reasons, char *buf, unsigned size)
{
    unsigned len = 0;
    if (!size)
        return;
    buf[0] = '\0';
    for (unsigned i = 0; i < APIC_INHIBIT_COUNT_; i++) {
        if (!(reasons & (1u << i)))
            continue;
        const char *s = inhibit_names[i];
        if (len && len + 1 < size)
            buf[len++] = ',';
        while (*s && len + 1 < size)
            buf[len++] = *s++;
        buf[len] = '\0';
    }
    if (!len && size > 4) {
        buf[0] = 'n'; buf[1] = 'o'; buf[2] = 'n'; buf[3] = 'e'; buf[4] = '\0';
    }
}
