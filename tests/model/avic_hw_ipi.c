/* SPDX-License-Identifier: MIT */
/*
 * The AVIC model: IPIs the hardware sends from a guest's ICR write (APM
 * vol. 2, AVIC section, "Interprocessor Interrupts" with the physical and
 * logical APIC ID tables and the AVIC_INCOMPLETE_IPI #VMEXIT).
 *
 * What the hardware handles itself: Fixed delivery, edge-triggered, in
 * physical or logical destination mode, with or without a shorthand
 * (self, all including self, all excluding self) and the broadcast
 * destination.  For each target it sets the vector in the target's backing
 * page IRR (an atomic update) and then rings the doorbell of the host APIC
 * ID in the target's physical table entry if IsRunning is set; a target not
 * running ends the write in AVIC_INCOMPLETE_IPI so the VMM can wake it.
 * Anything else exits with the cause in EXITINFO2[63:32].
 */
#include "tests/model/avic_hw_int.h"

struct ipi_run {
    struct avic_hw *hw;
    struct avic_pcpu *c;
    unsigned vec;
    bool err, not_running;
    uint32_t err_cause, err_index, nr_index;
};

/* APM unclear on several targets failing in one IPI: the model delivers to
 * every good target and reports the first error (invalid target or backing
 * page) in target order, else the first target not running. */
static void ipi_error(struct ipi_run *x, uint32_t cause, uint32_t index)
{
    if (!x->err) {
        x->err = true;
        x->err_cause = cause;
        x->err_index = index;
    }
}

static uint32_t host_id_mask(const struct avic_hw *hw)
{
    return hw->f.x2avic ? (uint32_t)AVIC_PHYS_HOST_ID_MASK_X2 : (uint32_t)AVIC_PHYS_HOST_ID_MASK;
}

/* The own vCPU: the vector goes into its IRR and the CPU notices it without
 * a doorbell.  APM unclear whether the hardware checks the sender's own
 * IsRunning bit for an IPI addressed to itself; the model treats the
 * sender's own backing page as running (the vCPU runs). */
static void ipi_self(struct ipi_run *x)
{
    bp_irr_set(x->c->bp, x->vec);
    avic_notice(x->c, x->vec);
}

/* One target by guest physical APIC ID (= index into the physical table).
 * @quiet: part of a broadcast, where an invalid entry is an absent vCPU
 * and is skipped. */
static void ipi_to_phys(struct ipi_run *x, uint32_t id, bool quiet)
{
    struct avic_pcpu *c = x->c;
    uint64_t e, spa;
    uint8_t *bp;

    if (id > c->max_index) {
        if (!quiet)
            ipi_error(x, AVIC_IPI_INVALID_TARGET, id);
        return;
    }
    e = __atomic_load_n(&c->ptable[id], __ATOMIC_ACQUIRE);
    if (!(e & AVIC_PHYS_VALID)) {
        if (!quiet)
            ipi_error(x, AVIC_IPI_INVALID_TARGET, id);
        return;
    }
    spa = e & AVIC_PHYS_BACKING_MASK;
    if (spa == c->bp_spa) {
        ipi_self(x);
        return;
    }
    bp = avic_map(x->hw, spa, APIC_PAGE_SIZE);
    if (!bp) {
        ipi_error(x, AVIC_IPI_INVALID_BACKING_PAGE, id);
        return;
    }
    bp_irr_set(bp, x->vec);
    if (e & AVIC_PHYS_IS_RUNNING) {
        avic_doorbell_to(x->hw, c, (uint32_t)e & host_id_mask(x->hw));
    } else if (!x->not_running) {
        x->not_running = true;
        x->nr_index = id;
    }
}

static uint32_t own_id(const struct ipi_run *x)
{
    uint32_t id = bp_read(x->c->bp, APIC_ID);

    return x->c->x2avic ? id : id >> APIC_XAPIC_ID_SHIFT;
}

/* All valid entries of the physical table, 0 .. max index.  "Excluding
 * self" compares with the sender's own APIC ID register in its backing
 * page (the VMM must keep it equal to the sender's table index). */
static void ipi_broadcast(struct ipi_run *x, bool exclude_self)
{
    uint32_t self = own_id(x);

    for (uint32_t id = 0; id <= x->c->max_index; id++) {
        if (!(exclude_self && id == self))
            ipi_to_phys(x, id, true);
    }
}

/* xAPIC logical destination: the logical table entry (flat: index = bit
 * of the MDA; cluster: cluster * 4 + bit) names the guest physical APIC
 * ID.  The broadcast MDA FFh (and cluster 15 in the cluster model) skips
 * invalid entries. */
static void ipi_via_ltable(struct ipi_run *x, uint32_t lidx, bool quiet)
{
    uint32_t e = __atomic_load_n(&x->c->ltable[lidx], __ATOMIC_ACQUIRE);

    if (!(e & AVIC_LOG_VALID)) {
        if (!quiet)
            ipi_error(x, AVIC_IPI_INVALID_TARGET, lidx);
        return;
    }
    ipi_to_phys(x, e & AVIC_LOG_GUEST_PHYS_ID_MASK, false);
}

/* The destination model is the sender's DFR (APM 16.x "Logical Destination
 * Mode"): 1111b flat, 0000b cluster.  APM unclear for other DFR values; the
 * model takes them as cluster. */
static void ipi_logical_xapic(struct ipi_run *x, uint32_t mda)
{
    bool flat = (bp_read(x->c->bp, APIC_DFR) >> APIC_DFR_MODEL_SHIFT) == APIC_DFR_MODEL_FLAT;
    bool bcast = mda == 0xffu;
    uint32_t cluster = mda >> 4, bits = mda & 0xfu;

    if (flat) {
        for (uint32_t b = 0; b < 8; b++) {
            if (mda & (1u << b))
                ipi_via_ltable(x, b, bcast);
        }
        return;
    }
    /* Cluster 15 is the broadcast cluster: the selected members of every
     * cluster 0..14. */
    for (uint32_t cl = 0; cl < 15; cl++) {
        if (cluster != 0xfu && cl != cluster)
            continue;
        for (uint32_t b = 0; b < 4; b++) {
            if (bits & (1u << b))
                ipi_via_ltable(x, cl * 4u + b, cluster == 0xfu);
        }
    }
}

/* x2APIC logical destination (APM 16.x "x2APIC" logical ID): cluster in
 * 31:16, member bitmap in 15:0, and the x2APIC ID of member b of cluster n
 * is n * 16 + b.  x2AVIC uses that to find the physical table entry; APM
 * unclear whether it reads the logical table at all in x2APIC mode, the
 * model does not. */
static void ipi_logical_x2(struct ipi_run *x, uint32_t dest)
{
    uint32_t cluster = dest >> 16;

    for (uint32_t b = 0; b < 16; b++) {
        if (dest & (1u << b))
            ipi_to_phys(x, cluster * 16u + b, false);
    }
}

static void ipi_dest(struct ipi_run *x, uint32_t icr_lo, uint32_t dest)
{
    bool x2 = x->c->x2avic;
    uint32_t bcast = x2 ? 0xffffffffu : 0xffu;

    switch ((icr_lo >> ICR_SH_SHIFT) & ICR_SH_MASK) {
    case ICR_SH_SELF:
        ipi_self(x);
        return;
    case ICR_SH_ALL_INCL:
        ipi_broadcast(x, false);
        return;
    case ICR_SH_ALL_EXCL:
        ipi_broadcast(x, true);
        return;
    default:
        break;
    }
    if (dest == bcast)
        ipi_broadcast(x, false);
    else if (!(icr_lo & ICR_DEST_LOGICAL))
        ipi_to_phys(x, dest, false);
    else if (x2)
        ipi_logical_x2(x, dest);
    else
        ipi_logical_xapic(x, dest);
}

/* @dest: ICR high's destination (bits 31:24 of ICR high in xAPIC mode, all
 * 32 bits in x2APIC mode).  EXITINFO1 is the ICR as the guest wrote it. */
void avic_ipi_send(struct avic_hw *hw, struct avic_pcpu *c, uint32_t icr_lo, uint32_t dest,
                   struct avic_hw_result *r)
{
    struct ipi_run x = { .hw = hw, .c = c, .vec = icr_lo & ICR_VECTOR_MASK };
    uint64_t info1 = ((uint64_t)bp_read(c->bp, APIC_ICR_HI) << 32) | icr_lo;
    uint32_t dm = (icr_lo >> ICR_DM_SHIFT) & ICR_DM_MASK;

    /* Only fixed, edge-triggered IPIs are the hardware's.  APM unclear on
     * lowest priority; the model counts it with SMI, NMI, INIT, SIPI and
     * ExtINT as an invalid type for the VMM to emulate. */
    if (dm != ICR_DM_FIXED || (icr_lo & ICR_TRIGGER_LEVEL)) {
        avic_exit(c, r, AVIC_VMEXIT_AVIC_INCOMPLETE_IPI, info1,
                  (uint64_t)AVIC_IPI_INVALID_INT_TYPE << AVIC_IPI_INFO2_CAUSE_SHIFT);
        return;
    }
    /* Vectors 0..15 are illegal (APM 16.x, "send illegal vector" in ESR):
     * the hardware leaves them to the VMM. */
    if (x.vec < 16) {
        avic_exit(c, r, AVIC_VMEXIT_AVIC_INCOMPLETE_IPI, info1,
                  (uint64_t)AVIC_IPI_INVALID_VECTOR << AVIC_IPI_INFO2_CAUSE_SHIFT);
        return;
    }
    ipi_dest(&x, icr_lo, dest);
    if (x.err)
        avic_exit(c, r, AVIC_VMEXIT_AVIC_INCOMPLETE_IPI, info1,
                  ((uint64_t)x.err_cause << AVIC_IPI_INFO2_CAUSE_SHIFT) | x.err_index);
    else if (x.not_running)
        avic_exit(c, r, AVIC_VMEXIT_AVIC_INCOMPLETE_IPI, info1,
                  ((uint64_t)AVIC_IPI_TARGET_NOT_RUNNING << AVIC_IPI_INFO2_CAUSE_SHIFT)
                      | x.nr_index);
}
