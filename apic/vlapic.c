/* SPDX-License-Identifier: MIT */
/*
 * vLAPIC core: life cycle, IA32_APIC_BASE and the two register interfaces,
 * xAPIC MMIO (SDM 11.4.1, table 11-1) and x2APIC MSRs (SDM 11.12.1,
 * table 11-6).  Interrupt flow and IPIs: vlapic_intr.c; timer:
 * vlapic_timer.c.  Model choices: docs/vlapic.md.
 */
#include <string.h>

#include "apic/vlapic_internal.h"

_Static_assert((int)VLAPIC_MODE_DISABLED == (int)APIC_DEST_DISABLED, "mode encodings");
_Static_assert((int)VLAPIC_MODE_XAPIC == (int)APIC_DEST_XAPIC, "mode encodings");
_Static_assert((int)VLAPIC_MODE_X2APIC == (int)APIC_DEST_X2APIC, "mode encodings");

/* SVR bits software may set (SDM 11.9): vector, APIC enable, focus processor
 * checking (kept, not interpreted), EOI-broadcast suppression (LVR bit 24). */
#define SVR_WRITABLE (APIC_SVR_VECTOR | APIC_SVR_ENABLE | APIC_SVR_FOCUS_OFF | APIC_SVR_EOI_SUPPRESS)
#define XAPIC_ID_BITS   0xff000000u   /* ID[31:24] (SDM 11.4.6) */
#define XAPIC_LDR_BITS  0xff000000u   /* LDR[31:24] (SDM 11.6.2.2) */
#define XAPIC_DFR_MODEL 0xf0000000u   /* DFR[31:28]; 27:0 read as 1s */
#define TDCR_BITS       0x0bu         /* TDCR bits 0, 1, 3 (SDM figure 11-10) */
#define ICR_HIGH_OFF    (APIC_ICR + 4u) /* x2APIC: ICR[63:32] in the page */
#define X2APIC_MAX_MSR  X2APIC_MSR_LAST

static const uint32_t lvt_offsets[VLAPIC_NUM_LVT] = {
    APIC_LVT_CMCI, APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERF,
    APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR,
};

static bool is_lvt(uint32_t off)
{
    return off == APIC_LVT_CMCI || (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR);
}

static void notify_dest(struct vlapic *vl)
{
    if (vl->ops->dest_changed)
        vl->ops->dest_changed(vl->ctx);
}

/* ---- life cycle ------------------------------------------------------------ */

/*
 * Every register at its power-on value (SDM 11.4.7.1; 11.12.5.1 for x2APIC):
 * IRR, ISR, TMR, ICR, LDR, TPR, TDCR, timer counts 0; DFR all 1s; SVR FFH;
 * LVTs masked; the ID register is @id_reg.  In x2APIC mode the LDR is the
 * one derived from the x2APIC ID (SDM 11.12.10.2).
 */
static void regs_reset(struct vlapic *vl, uint32_t id_reg)
{
    unsigned i;

    vlapic_timer_stop(vl);
    memset(vl->page, 0, VLAPIC_PAGE_SIZE);
    vlapic_set_reg(vl, APIC_ID, id_reg);
    vlapic_set_reg(vl, APIC_LVR, VLAPIC_LVR);
    vlapic_set_reg(vl, APIC_DFR, APIC_DFR_FLAT);
    vlapic_set_reg(vl, APIC_SVR, APIC_SVR_VECTOR);
    for (i = 0; i < VLAPIC_NUM_LVT; i++)
        vlapic_set_reg(vl, lvt_offsets[i], APIC_LVT_MASKED);
    if (vl->mode == VLAPIC_MODE_X2APIC)
        vlapic_set_reg(vl, APIC_LDR, vlapic_x2apic_ldr(id_reg));
    vl->esr_pending = 0;
    vl->esr_armed = true;
    vl->extint_pending = false;
}

static uint64_t reset_apic_base(const struct vlapic *vl)
{
    return APIC_DEFAULT_BASE | APIC_BASE_EN | (vl->bsp ? APIC_BASE_BSP : 0);
}

void vlapic_init(struct vlapic *vl, uint32_t *page, const struct vlapic_config *cfg,
                 const struct vlapic_ops *ops, void *ctx)
{
    memset(vl, 0, sizeof(*vl));
    vl->page = page;
    vl->ops = ops;
    vl->ctx = ctx;
    vl->initial_id = cfg->apic_id;
    vl->source = cfg->vcpu_index;
    vl->bsp = cfg->bsp;
    vl->x2apic_allowed = cfg->x2apic_allowed;
    vl->tsc_deadline_allowed = cfg->tsc_deadline_allowed;
    vl->maxphyaddr = cfg->maxphyaddr ? cfg->maxphyaddr : VLAPIC_DEFAULT_MAXPHYADDR;
    if (vl->maxphyaddr > 52)
        vl->maxphyaddr = 52;
    vl->tsc_per_bus_tick = cfg->tsc_per_bus_tick ? cfg->tsc_per_bus_tick : 1;
    vl->icr_bit12_gp = cfg->icr_bit12_gp;
    if (vl->tsc_per_bus_tick > (1ull << 20))
        vl->tsc_per_bus_tick = 1ull << 20;
    vl->apic_base = reset_apic_base(vl);
    vl->mode = VLAPIC_MODE_XAPIC;
    regs_reset(vl, vl->initial_id << 24);
}

/* Report a mode change or a base-address move (SDM 11.4.4). */
static void notify_base(struct vlapic *vl, enum vlapic_mode old, uint64_t old_base)
{
    bool moved = (old_base & APIC_BASE_ADDR_MASK) != (vl->apic_base & APIC_BASE_ADDR_MASK);

    if ((old != vl->mode || moved) && vl->ops->mode_changed)
        vl->ops->mode_changed(vl->ctx, old, vl->mode);
}

void vlapic_reset(struct vlapic *vl, bool init_only)
{
    enum vlapic_mode old = vl->mode;
    uint64_t old_base = vl->apic_base;

    if (init_only) {
        /* SDM 11.4.7.3, 11.12.5.1: INIT keeps IA32_APIC_BASE and the ID. */
        regs_reset(vl, vlapic_reg(vl, APIC_ID));
        notify_dest(vl);
        return;
    }
    vl->apic_base = reset_apic_base(vl);
    vl->mode = VLAPIC_MODE_XAPIC;
    regs_reset(vl, vl->initial_id << 24);
    vl->nmi_pending = 0;
    vl->nmi_held = 0;
    vl->init_pending = false;
    vl->sipi_pending = false;
    vl->sipi_vector = 0;
    vl->smi_count = 0;
    notify_base(vl, old, old_base);
    notify_dest(vl);
}

/* ---- IA32_APIC_BASE ---------------------------------------------------------- */

uint64_t vlapic_get_apic_base(const struct vlapic *vl)
{
    return vl->apic_base;
}

uint64_t vlapic_base_address(const struct vlapic *vl)
{
    return vl->apic_base & APIC_BASE_ADDR_MASK;
}

/* Bits 7:0, 9 and MAXPHYADDR..63 are reserved (SDM figure 11-5, 11-26);
 * EXTD too when the virtual CPU has no x2APIC. */
static uint64_t apic_base_reserved(const struct vlapic *vl)
{
    uint64_t rsvd = 0xffull | (1ull << 9) | ~((1ull << vl->maxphyaddr) - 1);

    if (!vl->x2apic_allowed)
        rsvd |= APIC_BASE_EXTD;
    return rsvd;
}

/* xAPIC -> x2APIC (SDM 11.12.5.1): the ID register becomes the 32-bit
 * x2APIC ID, the LDR the derived logical ID; the ICR becomes one 64-bit
 * register at 0x300 (destination 0).  Other registers keep their values. */
static void enter_x2apic(struct vlapic *vl)
{
    vlapic_set_reg(vl, APIC_ID, vl->initial_id);
    vlapic_set_reg(vl, APIC_LDR, vlapic_x2apic_ldr(vl->initial_id));
    vlapic_set_reg(vl, ICR_HIGH_OFF, 0);
    vlapic_set_reg(vl, APIC_ICR2, 0);
}

int vlapic_set_apic_base(struct vlapic *vl, uint64_t v)
{
    enum vlapic_mode old = vl->mode, new_mode;
    uint64_t old_base = vl->apic_base;

    if (v & apic_base_reserved(vl))
        return VLAPIC_GP;
    if ((v & APIC_BASE_EXTD) && !(v & APIC_BASE_EN))
        return VLAPIC_GP;               /* EN=0, EXTD=1 is invalid (11.12.5) */
    new_mode = !(v & APIC_BASE_EN) ? VLAPIC_MODE_DISABLED :
               (v & APIC_BASE_EXTD) ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC;
    if (old == VLAPIC_MODE_X2APIC && new_mode == VLAPIC_MODE_XAPIC)
        return VLAPIC_GP;               /* must go through disabled */
    if (old == VLAPIC_MODE_DISABLED && new_mode == VLAPIC_MODE_X2APIC)
        return VLAPIC_GP;               /* must go through xAPIC */

    vl->apic_base = (v & ~APIC_BASE_BSP) | (old_base & APIC_BASE_BSP);
    vl->mode = new_mode;
    if (new_mode != old) {
        if (new_mode == VLAPIC_MODE_X2APIC)
            enter_x2apic(vl);
        else
            regs_reset(vl, vl->initial_id << 24); /* to or from disabled */
        if (new_mode == VLAPIC_MODE_DISABLED)
            vl->extint_pending = vl->lint_level[0];  /* LINT0 is INTR (11.4.3) */
    }
    notify_base(vl, old, old_base);
    if (new_mode != old)
        notify_dest(vl);
    return VLAPIC_OK;
}

/* ---- state for the destination logic ---------------------------------------- */

enum vlapic_mode vlapic_get_mode(const struct vlapic *vl)
{
    return vl->mode;
}

bool vlapic_sw_enabled(const struct vlapic *vl)
{
    return vl->mode != VLAPIC_MODE_DISABLED && (vlapic_reg(vl, APIC_SVR) & APIC_SVR_ENABLE);
}

uint32_t vlapic_get_id(const struct vlapic *vl)
{
    switch (vl->mode) {
    case VLAPIC_MODE_X2APIC:
        return vlapic_reg(vl, APIC_ID);
    case VLAPIC_MODE_XAPIC:
        return vlapic_reg(vl, APIC_ID) >> 24;
    default:
        return vl->initial_id;
    }
}

uint32_t vlapic_get_ldr(const struct vlapic *vl)
{
    switch (vl->mode) {
    case VLAPIC_MODE_X2APIC:
        return vlapic_reg(vl, APIC_LDR);
    case VLAPIC_MODE_XAPIC:
        return vlapic_reg(vl, APIC_LDR) >> 24;
    default:
        return 0;
    }
}

uint32_t vlapic_get_dfr(const struct vlapic *vl)
{
    return vlapic_reg(vl, APIC_DFR);
}

/* Lowest-priority arbitration uses PPR (docs/vlapic.md). */
uint8_t vlapic_arb_priority(const struct vlapic *vl)
{
    return vlapic_get_ppr(vl);
}

void vlapic_dest_view(const struct vlapic *vl, struct apic_dest_view *view)
{
    view->mode = (uint8_t)vl->mode;
    view->sw_enabled = vlapic_sw_enabled(vl);
    view->arb_priority = vlapic_arb_priority(vl);
    view->id = vlapic_get_id(vl);
    view->ldr = vlapic_get_ldr(vl);
    view->dfr = vlapic_get_dfr(vl);
}

/* ---- register semantics shared by both interfaces ---------------------------- */

/* Writable bits of an LVT entry (SDM figure 11-8). */
static uint32_t lvt_writable(const struct vlapic *vl, uint32_t off)
{
    switch (off) {
    case APIC_LVT_TIMER:
        return VLAPIC_LVT_VEC_BITS | (1u << APIC_LVT_TIMER_MODE_SHIFT) |
               (vl->tsc_deadline_allowed ? 2u << APIC_LVT_TIMER_MODE_SHIFT : 0);
    case APIC_LVT_ERROR:
        return VLAPIC_LVT_VEC_BITS;
    case APIC_LVT_LINT0:
    case APIC_LVT_LINT1:
        return VLAPIC_LVT_LINT_BITS;
    default:                            /* CMCI, thermal, performance */
        return VLAPIC_LVT_DM_BITS;
    }
}

/*
 * An LVT write of writable bits @v: while the APIC is software disabled the
 * mask bit stays set (SDM 11.4.7.2); read-only bits (delivery status, remote
 * IRR) keep their value.
 */
static void write_lvt(struct vlapic *vl, uint32_t off, uint32_t v)
{
    uint32_t old = vlapic_reg(vl, off);
    unsigned pin = off == APIC_LVT_LINT1;

    if (!(vlapic_reg(vl, APIC_SVR) & APIC_SVR_ENABLE))
        v |= APIC_LVT_MASKED;
    v |= old & VLAPIC_LVT_RO_BITS;
    if (off == APIC_LVT_TIMER) {
        vlapic_timer_write_lvt(vl, v);
        return;
    }
    vlapic_set_reg(vl, off, v);
    if (off == APIC_LVT_LINT0 || off == APIC_LVT_LINT1) {
        if ((old & APIC_LVT_DM_MASK) == ((uint32_t)APIC_DM_EXTINT << APIC_LVT_DM_SHIFT))
            vl->extint_pending = false;
        vlapic_lint_sample(vl, pin, false);
    }
}

/* SVR (SDM 11.9); clearing bit 8 masks every LVT (SDM 11.4.7.2). */
static void write_svr(struct vlapic *vl, uint32_t v)
{
    unsigned i;

    vlapic_set_reg(vl, APIC_SVR, v);
    if (v & APIC_SVR_ENABLE)
        return;
    for (i = 0; i < VLAPIC_NUM_LVT; i++)
        vl->page[lvt_offsets[i] >> 2] |= APIC_LVT_MASKED;
    if ((vlapic_reg(vl, APIC_LVT_LINT0) & APIC_LVT_DM_MASK) ==
        ((uint32_t)APIC_DM_EXTINT << APIC_LVT_DM_SHIFT))
        vl->extint_pending = false;
}

/* Value of the register at @off as software reads it. */
static uint32_t reg_read(const struct vlapic *vl, uint32_t off)
{
    switch (off) {
    case APIC_APR:
        return vlapic_apr(vl);
    case APIC_PPR:
        return vlapic_get_ppr(vl);
    case APIC_EOI:
    case APIC_RRD:
    case APIC_SELF_IPI:
        return 0;
    case APIC_TMCCT:
        return vlapic_timer_current_count(vl);
    default:
        return vlapic_reg(vl, off);
    }
}

/* ---- xAPIC MMIO ----------------------------------------------------------------- */

/* Register slots of table 11-1; every other 16-byte slot is reserved. */
static bool xapic_reg_exists(uint32_t off)
{
    switch (off) {
    case APIC_ID: case APIC_LVR: case APIC_TPR: case APIC_APR: case APIC_PPR:
    case APIC_EOI: case APIC_RRD: case APIC_LDR: case APIC_DFR: case APIC_SVR:
    case APIC_ESR: case APIC_ICR: case APIC_ICR2: case APIC_TMICT: case APIC_TMCCT:
    case APIC_TDCR:
        return true;
    default:
        return (off >= APIC_ISR && off < APIC_IRR + 0x80u) || is_lvt(off);
    }
}

static bool mmio_args_ok(uint32_t off, unsigned size)
{
    return (size == 1 || size == 2 || size == 4) && off < VLAPIC_PAGE_SIZE &&
           off + size <= VLAPIC_PAGE_SIZE;
}

int vlapic_mmio_read(struct vlapic *vl, uint32_t off, unsigned size, uint32_t *val)
{
    uint32_t first, last, r[2], out = 0;
    bool illegal;
    unsigned i;

    if (vl->mode != VLAPIC_MODE_XAPIC)
        return VLAPIC_NOT_XAPIC;
    if (!mmio_args_ok(off, size))
        return VLAPIC_BAD_ACCESS;
    first = off & ~0xfu;
    last = (off + size - 1) & ~0xfu;
    illegal = !xapic_reg_exists(first) || !xapic_reg_exists(last);
    r[0] = xapic_reg_exists(first) ? reg_read(vl, first) : 0;
    r[1] = last == first ? r[0] : xapic_reg_exists(last) ? reg_read(vl, last) : 0;
    for (i = 0; i < size; i++) {
        uint32_t b = off + i, in_slot = b & 0xfu;
        uint32_t reg = r[(b & ~0xfu) != first];

        if (in_slot < 4)            /* bytes 4-15 of a slot read 0 */
            out |= ((reg >> (8 * in_slot)) & 0xffu) << (8 * i);
    }
    *val = out;
    if (illegal)
        vlapic_error(vl, APIC_ESR_ILLEGAL_REG);
    return VLAPIC_OK;
}

/* A 32-bit write of an existing register in xAPIC mode: reserved bits are
 * dropped, read-only registers ignore it. */
static void xapic_write(struct vlapic *vl, uint32_t off, uint32_t v)
{
    switch (off) {
    case APIC_ID:
        vlapic_set_reg(vl, APIC_ID, v & XAPIC_ID_BITS);
        notify_dest(vl);
        break;
    case APIC_TPR:
        vlapic_set_tpr(vl, (uint8_t)v);
        break;
    case APIC_EOI:
        vlapic_eoi(vl);
        break;
    case APIC_LDR:
        vlapic_set_reg(vl, APIC_LDR, v & XAPIC_LDR_BITS);
        notify_dest(vl);
        break;
    case APIC_DFR:
        vlapic_set_reg(vl, APIC_DFR, (v & XAPIC_DFR_MODEL) | ~XAPIC_DFR_MODEL);
        notify_dest(vl);
        break;
    case APIC_SVR:
        write_svr(vl, v & SVR_WRITABLE);
        break;
    case APIC_ESR:
        vlapic_esr_write(vl);           /* any value (SDM 11.5.3) */
        break;
    case APIC_ICR:
        (void)vlapic_write_icr(vl, ((uint64_t)vlapic_reg(vl, APIC_ICR2) << 32) | v);
        break;
    case APIC_ICR2:
        vlapic_set_reg(vl, APIC_ICR2, v & XAPIC_ID_BITS);
        break;
    case APIC_TMICT:
        vlapic_timer_write_tmict(vl, v);
        break;
    case APIC_TDCR:
        vlapic_timer_write_tdcr(vl, v & TDCR_BITS);
        break;
    default:
        if (is_lvt(off))
            write_lvt(vl, off, v & lvt_writable(vl, off));
        break;                          /* read-only: ignored */
    }
}

int vlapic_mmio_write(struct vlapic *vl, uint32_t off, unsigned size, uint32_t val)
{
    uint32_t first, last;

    if (vl->mode != VLAPIC_MODE_XAPIC)
        return VLAPIC_NOT_XAPIC;
    if (!mmio_args_ok(off, size))
        return VLAPIC_BAD_ACCESS;
    first = off & ~0xfu;
    last = (off + size - 1) & ~0xfu;
    if (!xapic_reg_exists(first) || !xapic_reg_exists(last)) {
        vlapic_error(vl, APIC_ESR_ILLEGAL_REG);
        return VLAPIC_OK;
    }
    if (size == 4 && (off & 0xfu) == 0)
        xapic_write(vl, off, val);
    return VLAPIC_OK;                   /* other sizes/offsets: ignored */
}

/* ---- x2APIC MSRs ------------------------------------------------------------------ */

/* Readable in x2APIC mode (table 11-6): no APR, EOI, RRD, DFR, ICR2; SELF IPI
 * is write-only. */
static bool x2apic_readable(uint32_t off)
{
    if (off == APIC_APR || off == APIC_EOI || off == APIC_RRD || off == APIC_DFR ||
        off == APIC_ICR2)
        return false;
    return xapic_reg_exists(off);
}

static bool msr_to_off(const struct vlapic *vl, uint32_t msr, uint32_t *off)
{
    if (vl->mode != VLAPIC_MODE_X2APIC || msr < X2APIC_MSR_BASE || msr > X2APIC_MAX_MSR)
        return false;                   /* SDM 11.12.2: #GP */
    *off = (msr - X2APIC_MSR_BASE) << 4;
    return true;
}

int vlapic_msr_read(struct vlapic *vl, uint32_t msr, uint64_t *val)
{
    uint32_t off;

    if (!msr_to_off(vl, msr, &off) || !x2apic_readable(off))
        return VLAPIC_GP;
    *val = off == APIC_ICR ? vlapic_read_icr(vl) : reg_read(vl, off);
    return VLAPIC_OK;
}

/* Whether WRMSR of @v to @off is allowed: writable register and no reserved
 * bit set (SDM 11.12.1.3: RsvdZ, non-zero writes #GP). */
static bool x2apic_write_ok(const struct vlapic *vl, uint32_t off, uint32_t v)
{
    switch (off) {
    case APIC_TPR:
    case APIC_SELF_IPI:
        return (v & ~0xffu) == 0;
    case APIC_EOI:
    case APIC_ESR:
        return v == 0;                  /* table 11-6: non-zero #GP */
    case APIC_SVR:
        return (v & ~SVR_WRITABLE) == 0;
    case APIC_TMICT:
        return true;
    case APIC_TDCR:
        return (v & ~TDCR_BITS) == 0;
    default:
        if (!is_lvt(off) || (v & ~(lvt_writable(vl, off) | VLAPIC_LVT_RO_BITS)))
            return false;               /* read-only, reserved, reserved bits */
        return off != APIC_LVT_TIMER ||
               (v & APIC_LVT_TIMER_MODE_MASK) != APIC_LVT_TIMER_MODE_MASK;
    }
}

int vlapic_msr_write(struct vlapic *vl, uint32_t msr, uint64_t val)
{
    uint32_t off, v = (uint32_t)val;

    if (!msr_to_off(vl, msr, &off))
        return VLAPIC_GP;
    if (off == APIC_ICR)
        return vlapic_write_icr(vl, val);
    if ((val >> 32) || !x2apic_write_ok(vl, off, v))
        return VLAPIC_GP;
    switch (off) {
    case APIC_TPR:
        vlapic_set_tpr(vl, (uint8_t)v);
        break;
    case APIC_EOI:
        vlapic_eoi(vl);
        break;
    case APIC_SVR:
        write_svr(vl, v);
        break;
    case APIC_ESR:
        vlapic_esr_write(vl);
        break;
    case APIC_TMICT:
        vlapic_timer_write_tmict(vl, v);
        break;
    case APIC_TDCR:
        vlapic_timer_write_tdcr(vl, v);
        break;
    case APIC_SELF_IPI:
        vlapic_self_ipi(vl, (uint8_t)v);
        break;
    default:
        write_lvt(vl, off, v & lvt_writable(vl, off));
        break;
    }
    return VLAPIC_OK;
}

uint64_t vlapic_read_icr(const struct vlapic *vl)
{
    switch (vl->mode) {
    case VLAPIC_MODE_X2APIC:
        return ((uint64_t)vlapic_reg(vl, ICR_HIGH_OFF) << 32) | vlapic_reg(vl, APIC_ICR);
    case VLAPIC_MODE_XAPIC:
        return ((uint64_t)vlapic_reg(vl, APIC_ICR2) << 32) | vlapic_reg(vl, APIC_ICR);
    default:
        return 0;
    }
}
