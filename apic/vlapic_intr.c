/* SPDX-License-Identifier: MIT */
/*
 * vLAPIC interrupt flow: acceptance (SDM 11.5.5, 11.8.4), priorities (TPR,
 * PPR, APR: SDM 11.8.3, 11.6.2.4), EOI (11.8.5), errors (11.5.3), local
 * sources through the LVT (11.5.1) and IPIs from the ICR (11.6.1, 11.12.9)
 * and the x2APIC SELF IPI register (11.12.11).
 */
#include <string.h>

#include "apic/vlapic_internal.h"

/* x2APIC ICR bits that must be 0 (SDM figure 11-28: 13, 17:16, 31:20); the
 * delivery status bit (12) is ignored, as Intel processors do. */
#define X2APIC_ICR_RESERVED 0xfff32000u
/* xAPIC ICR low bits software writes (SDM figure 11-12). */
#define XAPIC_ICR_WRITABLE (APIC_ICR_VECTOR | APIC_ICR_DM_MASK | APIC_ICR_DEST_LOGICAL | \
                            APIC_ICR_LEVEL_ASSERT | APIC_ICR_TRIGGER_LEVEL | APIC_ICR_SH_MASK)
#define XAPIC_ICR2_DEST     0xff000000u
#define ICR_HIGH_OFF        (APIC_ICR + 4u)

/* ---- priorities ---------------------------------------------------------------- */

/* The highest vector of registers @top..0 only (the caller knows the
 * ones above are empty), -1 for none. */
static int highest_vec_from(const struct vlapic *vl, uint32_t base, unsigned top)
{
    for (unsigned i = top + 1; i-- > 0;) {
        uint32_t w = vlapic_reg(vl, base + (i << 4));

        if (w)
            return (int)(i * 32u + 31u - (unsigned)__builtin_clz(w));
    }
    return -1;
}

int vlapic_highest_vec(const struct vlapic *vl, uint32_t base)
{
    const uint32_t *r = &vl->page[base >> 2];

    /* From the top, unrolled: a load, a test and a branch a register,
     * the register's index a constant.  Empty, the usual answer before
     * every entry, is eight of those; a vector is found as soon as its
     * register comes (a loop with an ORed pre-pass cost three times as
     * much under QEMU's count, docs/exit-path.md). */
#pragma GCC unroll 8
    for (int i = (int)VLAPIC_VEC_REGS - 1; i >= 0; i--) {
        uint32_t w = __atomic_load_n(&r[i * 4], __ATOMIC_RELAXED);

        if (w)
            return i * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

static uint32_t prio_class(int vector)
{
    return vector < 0 ? 0 : (uint32_t)vector & 0xf0u;
}

/* PPR (SDM 11.8.3.1): TPR if TPR[7:4] >= ISRV[7:4], else ISRV[7:4] << 4. */
uint8_t vlapic_get_ppr(const struct vlapic *vl)
{
    uint32_t tpr = vlapic_reg(vl, APIC_TPR) & 0xffu;
    uint32_t isr_class = prio_class(vlapic_highest_vec(vl, APIC_ISR));

    return (uint8_t)((tpr & 0xf0u) >= isr_class ? tpr : isr_class);
}

void vlapic_update_ppr(struct vlapic *vl)
{
    vlapic_set_reg(vl, APIC_PPR, vlapic_get_ppr(vl));
}

/* APR (SDM 11.6.2.4, figure 11-15; P6-era, read-only): TPR when its class is
 * at least IRRV's and above ISRV's, else the highest of the three classes. */
uint32_t vlapic_apr(const struct vlapic *vl)
{
    uint32_t tpr = vlapic_reg(vl, APIC_TPR) & 0xffu, tc = tpr & 0xf0u;
    uint32_t ic = prio_class(vlapic_highest_vec(vl, APIC_ISR));
    uint32_t rc = prio_class(vlapic_highest_vec(vl, APIC_IRR));
    uint32_t m = tc;

    if (tc >= rc && tc > ic)
        return tpr;
    if (ic > m)
        m = ic;
    return rc > m ? rc : m;
}

uint8_t vlapic_get_tpr(const struct vlapic *vl)
{
    return (uint8_t)vlapic_reg(vl, APIC_TPR);
}

void vlapic_set_tpr(struct vlapic *vl, uint8_t tpr)
{
    vlapic_set_reg(vl, APIC_TPR, tpr);
    vlapic_update_ppr(vl);
}

uint64_t vlapic_get_cr8(const struct vlapic *vl)
{
    return (vlapic_reg(vl, APIC_TPR) >> 4) & 0xfu;
}

void vlapic_set_cr8(struct vlapic *vl, uint64_t cr8)
{
    vlapic_set_tpr(vl, (uint8_t)((cr8 & 0xfu) << 4));
}

int vlapic_highest_irr(const struct vlapic *vl)
{
    return vlapic_highest_vec(vl, APIC_IRR);
}

int vlapic_highest_isr(const struct vlapic *vl)
{
    return vlapic_highest_vec(vl, APIC_ISR);
}

int vlapic_highest_pending(const struct vlapic *vl)
{
    int irrv;

    if (vl->mode == VLAPIC_MODE_DISABLED)
        return -1;
    irrv = vlapic_highest_vec(vl, APIC_IRR);
    if (irrv < 0 || prio_class(irrv) <= (vlapic_get_ppr(vl) & 0xf0u))
        return -1;
    return irrv;
}

int vlapic_pending_held(const struct vlapic *vl, int *tpr_held)
{
    int irr = vlapic_highest_vec(vl, APIC_IRR);

    *tpr_held = -1;
    if (irr < 0)
        return -1;
    int isr = vlapic_highest_vec(vl, APIC_ISR);
    uint32_t rc = prio_class(irr), tc = vlapic_reg(vl, APIC_TPR) & 0xf0u;
    /* PPR's class is the higher of TPR's and ISRV's (SDM 11.8.3.1). */
    if (isr >= 0 && rc <= prio_class(isr))
        return -1;
    if (rc > tc)
        return vl->mode == VLAPIC_MODE_DISABLED ? -1 : irr;
    *tpr_held = irr;
    return -1;
}

void vlapic_ack(struct vlapic *vl, uint8_t vector)
{
    if (!vlapic_vec_test(vl, APIC_IRR, vector))
        return;
    vlapic_vec_clear(vl, APIC_IRR, vector);
    vlapic_vec_set(vl, APIC_ISR, vector);
    /* A vector acknowledged above PPR's class is above TPR's class and
     * every ISR vector's: it is ISRV now, and PPR its class (SDM
     * 11.8.3.1), without a scan of ISR.  Otherwise the full rule. */
    if (prio_class(vector) > (vlapic_reg(vl, APIC_PPR) & 0xf0u))
        vlapic_set_reg(vl, APIC_PPR, prio_class(vector));
    else
        vlapic_update_ppr(vl);
}

/* ---- acceptance ------------------------------------------------------------------ */

bool vlapic_accept(struct vlapic *vl, uint8_t vector, bool level)
{
    if (!vlapic_sw_enabled(vl))
        return false;                   /* SDM 11.4.7.2 */
    if (vector < 16) {
        vlapic_error(vl, APIC_ESR_RECV_ILLEGAL_VECTOR);   /* SDM 11.5.2 */
        return false;
    }
    if (vlapic_vec_test(vl, APIC_IRR, vector))
        return false;                   /* collapses into the pending one */
    vlapic_vec_set(vl, APIC_IRR, vector);
    if (level)
        vlapic_vec_set(vl, APIC_TMR, vector);
    else
        vlapic_vec_clear(vl, APIC_TMR, vector);
    return true;
}

/* One more NMI into the latch (see struct vlapic's nmi_pending). */
static void vlapic_latch_nmi(struct vlapic *vl)
{
    if ((unsigned)vl->nmi_pending + vl->nmi_held < VLAPIC_NMI_LATCH)
        vl->nmi_pending++;
}

void vlapic_deliver(struct vlapic *vl, const struct apic_msg *m)
{
    if (vl->mode == VLAPIC_MODE_DISABLED || (m->level && !m->assert))
        return;                         /* no APIC / a de-assert (table 11-3 note 2) */
    switch (m->dm) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        (void)vlapic_accept(vl, m->vector, m->level);
        break;
    case APIC_DM_NMI:
        vlapic_latch_nmi(vl);
        break;
    case APIC_DM_SMI:
        vl->smi_count++;
        break;
    case APIC_DM_INIT:
        vl->init_pending = true;
        break;
    case APIC_DM_STARTUP:
        vl->sipi_pending = true;
        vl->sipi_vector = m->vector;
        break;
    case APIC_DM_EXTINT:
        if (vlapic_sw_enabled(vl))
            vl->extint_pending = true;
        break;
    default:
        break;                          /* 011b: reserved */
    }
}

/* ---- EOI ---------------------------------------------------------------------------- */

/* An EOI for level-triggered @vector clears the remote IRR of a LINT entry
 * with that vector; a still-asserted line then interrupts again. */
static void lint_eoi(struct vlapic *vl, uint8_t vector)
{
    unsigned pin;

    for (pin = 0; pin < 2; pin++) {
        uint32_t off = APIC_LVT_LINT0 + (pin << 4), lvt = vlapic_reg(vl, off);

        if ((lvt & APIC_LVT_REMOTE_IRR) && (lvt & APIC_LVT_VECTOR) == vector) {
            vlapic_set_reg(vl, off, lvt & ~APIC_LVT_REMOTE_IRR);
            vlapic_lint_sample(vl, pin, false);
        }
    }
}

/* SDM 11.8.5: the highest ISR bit is cleared; for a level-triggered vector
 * (TMR set) the EOI is broadcast to the I/O APICs unless SVR bit 12
 * suppresses it (software then uses the I/O APIC's EOI register). */
void vlapic_eoi(struct vlapic *vl)
{
    int v = vlapic_highest_vec(vl, APIC_ISR);

    if (v < 0)
        return;
    vlapic_vec_clear(vl, APIC_ISR, (uint8_t)v);
    /* PPR as vlapic_update_ppr(), the new ISRV looked for only from v's
     * register down: nothing above v was in service. */
    uint32_t tpr = vlapic_reg(vl, APIC_TPR) & 0xffu;
    uint32_t isr_class = prio_class(highest_vec_from(vl, APIC_ISR, (unsigned)v >> 5));
    vlapic_set_reg(vl, APIC_PPR, (tpr & 0xf0u) >= isr_class ? tpr : isr_class);
    if (!vlapic_vec_test(vl, APIC_TMR, (uint8_t)v))
        return;
    lint_eoi(vl, (uint8_t)v);
    if (!(vlapic_reg(vl, APIC_SVR) & APIC_SVR_EOI_SUPPRESS) && vl->ops->eoi_level)
        vl->ops->eoi_level(vl->ctx, (uint8_t)v);
}

/* The CPU's EOI virtualization already cleared ISR bit @vector (Intel
 * virtual-interrupt delivery with the vector in the EOI-exit bitmap, SDM
 * 30.1.4): the rest of vlapic_eoi() for it. */
void vlapic_eoi_completed(struct vlapic *vl, uint8_t vector)
{
    vlapic_vec_clear(vl, APIC_ISR, vector);
    vlapic_update_ppr(vl);
    if (!vlapic_vec_test(vl, APIC_TMR, vector))
        return;
    lint_eoi(vl, vector);
    if (!(vlapic_reg(vl, APIC_SVR) & APIC_SVR_EOI_SUPPRESS) && vl->ops->eoi_level)
        vl->ops->eoi_level(vl->ctx, vector);
}

/* Vectors whose EOI the platform must see: TMR (accepted level-triggered)
 * and the level-triggered fixed LINT entries (their remote IRR). */
void vlapic_level_vectors(const struct vlapic *vl, uint64_t out[4])
{
    for (unsigned i = 0; i < 4; i++)
        out[i] = (uint64_t)vl->page[(APIC_TMR + 0x20u * i) >> 2] |
                 (uint64_t)vl->page[(APIC_TMR + 0x20u * i + 0x10u) >> 2] << 32;
    for (unsigned pin = 0; pin < 2; pin++) {
        uint32_t lvt = vl->page[(APIC_LVT_LINT0 + (pin << 4)) >> 2];
        if ((lvt & APIC_LVT_LEVEL) && !(lvt & APIC_LVT_DM_MASK))
            out[(lvt & APIC_LVT_VECTOR) >> 6] |= 1ull << (lvt & 63u);
    }
}

/* ---- errors ----------------------------------------------------------------------- */

/* Record errors (SDM 11.5.3); the error LVT fires once until the next ESR
 * write re-arms it. */
void vlapic_error(struct vlapic *vl, uint32_t esr_bits)
{
    vl->esr_pending |= esr_bits;
    if (!vl->esr_armed || (vlapic_reg(vl, APIC_LVT_ERROR) & APIC_LVT_MASKED))
        return;
    vl->esr_armed = false;
    vlapic_lvt_deliver(vl, APIC_LVT_ERROR);
}

/* A write to ESR latches the errors since the previous write (SDM 11.5.3). */
void vlapic_esr_write(struct vlapic *vl)
{
    vlapic_set_reg(vl, APIC_ESR, vl->esr_pending);
    vl->esr_pending = 0;
    vl->esr_armed = true;
}

/* ---- local sources (LVT) ------------------------------------------------------------- */

/* A local interrupt with delivery mode @dm (SDM 11.5.1).  INIT and ExtINT
 * exist only for LINT0/1; modes an entry does not support are dropped. */
static void deliver_local(struct vlapic *vl, uint32_t dm, uint8_t vector, bool lint)
{
    switch (dm) {
    case APIC_DM_FIXED:
        (void)vlapic_accept(vl, vector, false);
        break;
    case APIC_DM_NMI:
        vlapic_latch_nmi(vl);
        break;
    case APIC_DM_SMI:
        vl->smi_count++;
        break;
    case APIC_DM_INIT:
        if (lint)
            vl->init_pending = true;
        break;
    default:
        break;
    }
}

/* An edge event of the timer, error, thermal, performance or CMCI entry. */
void vlapic_lvt_deliver(struct vlapic *vl, uint32_t lvt_off)
{
    uint32_t lvt = vlapic_reg(vl, lvt_off);
    uint32_t dm = (lvt & APIC_LVT_DM_MASK) >> APIC_LVT_DM_SHIFT;

    if (lvt & APIC_LVT_MASKED)
        return;
    if (lvt_off == APIC_LVT_TIMER || lvt_off == APIC_LVT_ERROR)
        dm = APIC_DM_FIXED;             /* no delivery-mode field */
    if (lvt_off == APIC_LVT_PERF)
        vlapic_set_reg(vl, lvt_off, lvt | APIC_LVT_MASKED);  /* figure 11-8 note */
    deliver_local(vl, dm, (uint8_t)(lvt & APIC_LVT_VECTOR), false);
}

void vlapic_fire_lvt(struct vlapic *vl, uint32_t lvt)
{
    if (vl->mode == VLAPIC_MODE_DISABLED)
        return;
    if (lvt == APIC_LVT_THERMAL || lvt == APIC_LVT_PERF || lvt == APIC_LVT_CMCI)
        vlapic_lvt_deliver(vl, lvt);
}

/*
 * Evaluate LINT@pin (SDM 11.5.1): @edge says the line just changed.  The
 * line is active when its level differs from the polarity bit (1 = active
 * low).  ExtINT follows the line (INTR); fixed level-triggered LINT0 sets
 * remote IRR and waits for the EOI; LINT1 has no level mode; every other
 * mode is edge-triggered on the inactive-to-active transition.
 */
void vlapic_lint_sample(struct vlapic *vl, unsigned pin, bool edge)
{
    uint32_t off = APIC_LVT_LINT0 + (pin << 4), lvt = vlapic_reg(vl, off);
    uint32_t dm = (lvt & APIC_LVT_DM_MASK) >> APIC_LVT_DM_SHIFT;
    bool active = vl->lint_level[pin] != ((lvt & APIC_LVT_POLARITY) != 0);
    uint8_t vector = (uint8_t)(lvt & APIC_LVT_VECTOR);

    if (dm == APIC_DM_EXTINT) {
        vl->extint_pending = active && !(lvt & APIC_LVT_MASKED);
        return;
    }
    if ((lvt & APIC_LVT_MASKED) || !active)
        return;
    if (dm == APIC_DM_FIXED && pin == 0 && (lvt & APIC_LVT_LEVEL)) {
        if (!(lvt & APIC_LVT_REMOTE_IRR) && vlapic_accept(vl, vector, true))
            vlapic_set_reg(vl, off, lvt | APIC_LVT_REMOTE_IRR);
        return;
    }
    if (edge)
        deliver_local(vl, dm, vector, true);
}

void vlapic_lint(struct vlapic *vl, unsigned pin, bool level)
{
    bool was;

    if (pin > 1)
        return;
    was = vl->lint_level[pin];
    vl->lint_level[pin] = level;
    if (vl->mode == VLAPIC_MODE_DISABLED) {
        /* No APIC (SDM 11.4.3): LINT0 is INTR, LINT1 is NMI. */
        if (pin == 0)
            vl->extint_pending = level;
        else if (level && !was)
            vlapic_latch_nmi(vl);
        return;
    }
    vlapic_lint_sample(vl, pin, level != was);
}

/* ---- core events ---------------------------------------------------------------- */

bool vlapic_take_nmi(struct vlapic *vl)
{
    if (!vl->nmi_pending)
        return false;
    vl->nmi_pending--;
    if (vl->nmi_held < VLAPIC_NMI_LATCH)
        vl->nmi_held++;
    return true;
}

void vlapic_set_nmi_held(struct vlapic *vl, unsigned held)
{
    vl->nmi_held = (uint8_t)(held < VLAPIC_NMI_LATCH ? held : VLAPIC_NMI_LATCH);
}

bool vlapic_take_init(struct vlapic *vl)
{
    bool r = vl->init_pending;

    vl->init_pending = false;
    return r;
}

bool vlapic_take_sipi(struct vlapic *vl, uint8_t *vector)
{
    if (!vl->sipi_pending)
        return false;
    vl->sipi_pending = false;
    if (vector)
        *vector = vl->sipi_vector;
    return true;
}

bool vlapic_take_extint(struct vlapic *vl)
{
    bool r = vl->extint_pending;

    vl->extint_pending = false;
    return r;
}

/* ---- IPIs ------------------------------------------------------------------------ */

static void send_msg(struct vlapic *vl, const struct apic_msg *m)
{
    if ((m->dm == APIC_DM_FIXED || m->dm == APIC_DM_LOWEST) && m->vector < 16) {
        vlapic_error(vl, APIC_ESR_SEND_ILLEGAL_VECTOR);   /* not sent (11.5.3) */
        return;
    }
    if (vl->ops->send)
        vl->ops->send(vl->ctx, m);
}

/*
 * The message of ICR low word @lo with destination @dest.  Trigger and level
 * (SDM 11.6.1, table 11-3 note 2): an edge IPI, or a level one with level 1,
 * goes out as edge/assert; trigger level with level 0 (INIT level de-assert)
 * goes out as level/de-assert, which receivers ignore.
 */
static void icr_to_msg(const struct vlapic *vl, uint32_t lo, uint32_t dest, struct apic_msg *m)
{
    bool trig = (lo & APIC_ICR_TRIGGER_LEVEL) != 0, lvl = (lo & APIC_ICR_LEVEL_ASSERT) != 0;

    memset(m, 0, sizeof(*m));
    m->dest = dest;
    m->vector = (uint8_t)(lo & APIC_ICR_VECTOR);
    m->dm = (uint8_t)((lo & APIC_ICR_DM_MASK) >> APIC_ICR_DM_SHIFT);
    m->shorthand = (uint8_t)((lo & APIC_ICR_SH_MASK) >> APIC_ICR_SH_SHIFT);
    m->logical = (lo & APIC_ICR_DEST_LOGICAL) != 0;
    m->level = trig && !lvl;
    m->assert = !trig || lvl;
    m->x2apic = vl->mode == VLAPIC_MODE_X2APIC;
    m->source = vl->source;
}

int vlapic_write_icr(struct vlapic *vl, uint64_t icr)
{
    uint32_t lo = (uint32_t)icr, hi = (uint32_t)(icr >> 32);
    struct apic_msg m;

    if (vl->mode == VLAPIC_MODE_DISABLED)
        return VLAPIC_DISABLED;
    if (vl->mode == VLAPIC_MODE_X2APIC) {
        if (lo & X2APIC_ICR_RESERVED)
            return VLAPIC_GP;
        /* Bit 12 (delivery status in xAPIC mode) is reserved in x2APIC
         * mode: AMD raises #GP for it (APM 16.11), Intel CPUs ignore it. */
        if ((lo & APIC_ICR_BUSY) && vl->icr_bit12_gp)
            return VLAPIC_GP;
        lo &= ~APIC_ICR_BUSY;
        vlapic_set_reg(vl, APIC_ICR, lo);
        vlapic_set_reg(vl, ICR_HIGH_OFF, hi);
    } else {
        lo &= XAPIC_ICR_WRITABLE;       /* delivery status reads 0: sent at once */
        hi &= XAPIC_ICR2_DEST;
        vlapic_set_reg(vl, APIC_ICR, lo);
        vlapic_set_reg(vl, APIC_ICR2, hi);
        hi >>= 24;
    }
    icr_to_msg(vl, lo, hi, &m);
    send_msg(vl, &m);
    return VLAPIC_OK;
}

void vlapic_icr_msg(const struct vlapic *vl, uint64_t icr, struct apic_msg *m)
{
    uint32_t lo = (uint32_t)icr, hi = (uint32_t)(icr >> 32);
    if (vl->mode != VLAPIC_MODE_X2APIC)
        hi = (hi & XAPIC_ICR2_DEST) >> 24;
    icr_to_msg(vl, lo, hi, m);
}

/* x2APIC SELF IPI (SDM 11.12.11): fixed, edge, to this APIC only. */
void vlapic_self_ipi(struct vlapic *vl, uint8_t vector)
{
    struct apic_msg m;

    memset(&m, 0, sizeof(m));
    m.dest = vlapic_get_id(vl);
    m.vector = vector;
    m.dm = APIC_DM_FIXED;
    m.shorthand = APIC_SH_SELF;
    m.assert = true;
    m.x2apic = true;
    m.source = vl->source;
    send_msg(vl, &m);
}
