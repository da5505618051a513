/* SPDX-License-Identifier: MIT */
/* Where an assigned device's MSI goes: the decision and its IRTE (hv/irq_post.h). */
#include "hv/irq_post.h"

#include <stdio.h>
#include <string.h>

#include "iommu/amd/amdvi_hw.h"
#include "iommu/vtd/vtd_hw.h"

/* The guest's MSI as an APIC message (PCI 3.0 6.8.1.3/6.8.1.4, SDM
 * 11.11.1): destination in address 19:12, DM in bit 2; vector, delivery
 * mode and trigger in the data.  Same decoding as the vLAPIC path's
 * (pci_pt_msi_message), so both modes deliver the same message. */
static bool msi_message(uint64_t addr, uint16_t data, struct apic_msg *m)
{
    memset(m, 0, sizeof(*m));
    if ((addr >> 20) != 0xfee)
        return false;
    m->dest = (uint32_t)(addr >> 12) & 0xff;
    m->logical = addr & (1u << 2);
    m->vector = (uint8_t)data;
    m->dm = (uint8_t)((data >> 8) & 7);
    m->level = data & (1u << 15);
    m->assert = true;
    m->source = -1;
    return true;
}

static unsigned popcount64(uint64_t x)
{
    unsigned n = 0;
    for (; x; x &= x - 1)
        n++;
    return n;
}

static int lowest_bit(uint64_t x)
{
    for (int i = 0; i < 64; i++)
        if (x & (1ull << i))
            return i;
    return -1;
}

/* The message's shape: OK (-1) with its one target in *target, or why it
 * must go through the vLAPIC. */
static int shape(const struct irq_post_in *in, const struct apic_msg *m, int *target)
{
    if (m->dm != APIC_DM_FIXED && m->dm != APIC_DM_LOWEST)
        return IRQ_WHY_DELIVERY_MODE;
    if (m->level)
        return IRQ_WHY_LEVEL;
    unsigned n = in->nvcpus < APIC_DEST_MAX_VCPUS ? in->nvcpus : APIC_DEST_MAX_VCPUS;
    uint64_t set = apic_dest_match(in->views, n, m, NULL);
    set = apic_dest_accepting(in->views, n, m->dm, set);
    unsigned count = popcount64(set);
    if (count == 0)
        return IRQ_WHY_NO_TARGET;
    if (count > 1)
        return m->dm == APIC_DM_LOWEST ? IRQ_WHY_LOWEST_MULTI : IRQ_WHY_MULTI;
    *target = lowest_bit(set);
    return -1;
}

/* Whether the unit, the VM and the vCPU can take a post: -1, or why not. */
static int can_post(const struct irq_post_in *in, const struct irq_post_vcpu *t)
{
    if (!in->unit.posts)
        return IRQ_WHY_UNIT_NO_POST;
    if (!in->vm_accel)
        return IRQ_WHY_VM_INHIBITED;
    if (!t->accel)
        return IRQ_WHY_VCPU_EMULATED;
    if (in->unit.vendor == IRQ_POST_AMDVI ? !t->backing_pa : !t->pi_desc_pa)
        return IRQ_WHY_NO_VCPU_STATE;
    /* AMD: Destination[7:0] only without XT (#48882 2.2.5.2); VT-d keeps
     * NDST in the descriptor, which the vCPU's own code fills. */
    if (in->unit.vendor == IRQ_POST_AMDVI && !in->unit.x2 && t->host_apic_id > 0xff)
        return IRQ_WHY_HOST_DEST;
    return -1;
}

static int encode_remap(const struct irq_post_in *in, struct irq_post_route *r)
{
    if (in->unit.vendor == IRQ_POST_AMDVI) {
        struct amdvi_irte e;
        int rc = amdvi_irte_remapped(&e, in->host_vector, in->host_dest, false, AMDVI_INT_FIXED,
                                     in->unit.x2);
        r->irte_lo = e.lo;
        r->irte_hi = e.hi;
        return rc;
    }
    /* Source validation (VT-d 9.10): only the device's requester ID. */
    const struct vtd_irte_source src = { .sid = in->sid, .sq = 0, .svt = VTD_SVT_RID };
    struct vtd_irte e;
    int rc = vtd_irte_remapped(&e, in->host_vector, in->host_dest, in->unit.x2, false,
                               VTD_DLM_FIXED, false, &src);
    r->irte_lo = e.lo;
    r->irte_hi = e.hi;
    return rc;
}

static int encode_post(const struct irq_post_in *in, const struct irq_post_vcpu *t,
                       struct irq_post_route *r)
{
    if (in->unit.vendor == IRQ_POST_AMDVI) {
        struct amdvi_irte e;
        bool run = t->placed && t->running;
        int rc = amdvi_irte_guest(&e, t->backing_pa, r->vector, t->placed ? t->host_apic_id : 0,
                                  run, in->ga_tag | (uint32_t)r->target, !run);
        r->irte_lo = e.lo;
        r->irte_hi = e.hi;
        return rc;
    }
    const struct vtd_irte_source src = { .sid = in->sid, .sq = 0, .svt = VTD_SVT_RID };
    struct vtd_irte e;
    int rc = vtd_irte_posted(&e, r->vector, t->pi_desc_pa, false, &src);
    r->irte_lo = e.lo;
    r->irte_hi = e.hi;
    return rc;
}

int irq_post_decide(const struct irq_post_in *in, struct irq_post_route *out)
{
    struct apic_msg m;
    int target = -1, why;

    memset(out, 0, sizeof(*out));
    out->target = -1;
    if (!in->msi_enabled) {
        out->why = IRQ_WHY_MSI_OFF;
        return 0;
    }
    if (!msi_message(in->msi_addr, in->msi_data, &m)) {
        out->why = IRQ_WHY_NOT_MSI;
        return 0;
    }
    if (!in->unit.remaps) {
        out->kind = IRQ_POST_DIRECT;
        out->why = IRQ_WHY_NO_REMAP;
        return 0;
    }
    why = in->guest_remappable ? IRQ_WHY_GUEST_REMAP : shape(in, &m, &target);
    if (why < 0)
        why = can_post(in, &in->vcpus[target]);
    int rc;
    if (why < 0) {
        out->kind = IRQ_POST_POSTED;
        out->why = m.dm == APIC_DM_LOWEST ? IRQ_WHY_POSTED_LOWEST : IRQ_WHY_POSTED;
        out->target = target;
        out->vector = m.vector;
        rc = encode_post(in, &in->vcpus[target], out);
    } else {
        out->kind = IRQ_POST_REMAP;
        out->why = (uint8_t)why;
        rc = encode_remap(in, out);
    }
    if (rc) {
        out->kind = IRQ_POST_OFF;
        out->target = -1;
        out->irte_lo = out->irte_hi = 0;
        return -1;
    }
    return 0;
}

void irq_post_switched(const struct irq_post_route *old, const struct irq_post_route *now,
                       struct irq_post_switch *out)
{
    bool moved = now->kind != IRQ_POST_POSTED || now->target != old->target;
    out->kick = old->kind == IRQ_POST_POSTED && moved ? old->target : -1;
    out->drain = old->kind != IRQ_POST_POSTED;
}

int irq_post_amd_place(uint64_t *lo, uint64_t *hi, uint32_t host_apic_id, bool running,
                       bool *changed)
{
    struct amdvi_irte e = { *lo, *hi };

    *changed = false;
    int wide = amdvi_irte_ga_place(&e, host_apic_id, running);
    if (wide < 0)
        return -1;
    /* GALogIntr only while the vCPU does not run: a post then goes to the
     * GA log and its interrupt wakes the vCPU (#48882 2.2.5.2, 2.7); while
     * it runs the doorbell (IsRun) reaches it. */
    e.lo = running ? e.lo & ~AMDVI_IRTE_GA_LOG_INTR : e.lo | AMDVI_IRTE_GA_LOG_INTR;
    *changed = e.lo != *lo || e.hi != *hi;
    *lo = e.lo;
    *hi = e.hi;
    return wide;
}

static const char *const why_text[IRQ_WHY_COUNT] = {
    [IRQ_WHY_POSTED] = "fixed, one target",
    [IRQ_WHY_POSTED_LOWEST] = "lowest priority, one candidate",
    [IRQ_WHY_MSI_OFF] = "the guest's MSI is off",
    [IRQ_WHY_NOT_MSI] = "the guest's MSI address is not FEExxxxx",
    [IRQ_WHY_NO_REMAP] = "the IOMMU unit does not remap interrupts",
    [IRQ_WHY_DELIVERY_MODE] = "delivery mode is not fixed or lowest priority",
    [IRQ_WHY_LEVEL] = "level-triggered",
    [IRQ_WHY_NO_TARGET] = "no APIC accepts it",
    [IRQ_WHY_MULTI] = "several targets",
    [IRQ_WHY_LOWEST_MULTI] = "lowest priority among several candidates",
    [IRQ_WHY_UNIT_NO_POST] = "the IOMMU unit does not post",
    [IRQ_WHY_VM_INHIBITED] = "the VM's APIC runs emulated (inhibited)",
    [IRQ_WHY_VCPU_EMULATED] = "the target vCPU's APIC runs emulated",
    [IRQ_WHY_NO_VCPU_STATE] = "the target vCPU has no backing page / PI descriptor",
    [IRQ_WHY_HOST_DEST] = "the target's host APIC ID needs x2APIC destinations",
    [IRQ_WHY_GUEST_REMAP] = "the guest remaps it through its virtual VT-d unit",
};

const char *irq_post_why_text(unsigned why)
{
    return why < IRQ_WHY_COUNT && why_text[why] ? why_text[why] : "?";
}

const char *irq_post_kind_name(unsigned kind)
{
    static const char *const names[] = { "off", "direct", "remapped", "posted" };
    return kind < sizeof(names) / sizeof(names[0]) ? names[kind] : "?";
}

int irq_post_describe(const struct irq_post_route *r, char *buf, size_t n)
{
    if (r->kind == IRQ_POST_POSTED)
        return snprintf(buf, n, "posted to vCPU %d, vector %#x (%s)", r->target, r->vector,
                        irq_post_why_text(r->why));
    return snprintf(buf, n, "%s (%s)", irq_post_kind_name(r->kind), irq_post_why_text(r->why));
}
