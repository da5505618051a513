/* SPDX-License-Identifier: MIT */
/*
 * The AVIC model: a guest's accesses to its local APIC, through the xAPIC
 * MMIO page at the AVIC APIC BAR and (x2AVIC) through the x2APIC MSRs.
 * Each register access is accelerated (completed from the backing page),
 * a trap (completed, then #VMEXIT AVIC_NOACCEL) or a fault (#VMEXIT
 * AVIC_NOACCEL before the access), as the AVIC section's table of guest
 * APIC register accesses gives it (APM vol. 2, "Virtual APIC Register
 * Accesses").
 */
#include "tests/model/avic_hw_int.h"

enum avic_acc { ACC_FAULT = 0, ACC_ACCEL, ACC_TRAP };

struct avic_reg_rule {
    uint16_t off;  /* first register */
    uint8_t count; /* consecutive 16-byte registers */
    uint8_t read, write;
};

/* The APM's table of xAPIC register accesses under AVIC, as the model reads
 * it.  Offsets not listed (reserved) fault both ways.  Special writes,
 * accelerated here but with rules of their own: TPR (PPR follows), EOI
 * (trap when the vector is level-triggered), ICR low (sends the IPI).
 * APM unclear: the reads of APR, RRD and the AMD extended registers; the
 * model lets them read the backing page. */
static const struct avic_reg_rule xapic_rules[] = {
    { APIC_ID, 1, ACC_ACCEL, ACC_TRAP },
    { APIC_VER, 1, ACC_ACCEL, ACC_FAULT },
    { APIC_TPR, 1, ACC_ACCEL, ACC_ACCEL },
    { APIC_APR, 1, ACC_ACCEL, ACC_FAULT },
    { APIC_PPR, 1, ACC_ACCEL, ACC_FAULT },
    { APIC_EOI, 1, ACC_FAULT, ACC_ACCEL },
    { APIC_RRD, 1, ACC_ACCEL, ACC_FAULT },
    { APIC_LDR, 1, ACC_ACCEL, ACC_TRAP },
    { APIC_DFR, 1, ACC_ACCEL, ACC_TRAP },
    { APIC_SVR, 1, ACC_ACCEL, ACC_TRAP },
    { APIC_ISR, 8, ACC_ACCEL, ACC_FAULT },
    { APIC_TMR, 8, ACC_ACCEL, ACC_FAULT },
    { APIC_IRR, 8, ACC_ACCEL, ACC_FAULT },
    { APIC_ESR, 1, ACC_ACCEL, ACC_TRAP },
    { APIC_ICR_LO, 1, ACC_ACCEL, ACC_ACCEL },
    { APIC_ICR_HI, 1, ACC_ACCEL, ACC_ACCEL },
    { APIC_LVT_TIMER, 6, ACC_ACCEL, ACC_TRAP }, /* timer, thermal, perf, LINT0, LINT1, error */
    { APIC_TMICT, 1, ACC_ACCEL, ACC_TRAP },
    { APIC_TMCCT, 1, ACC_FAULT, ACC_FAULT }, /* the count runs: only the VMM knows it */
    { APIC_TDCR, 1, ACC_ACCEL, ACC_TRAP },
    { APIC_EFR, 1, ACC_ACCEL, ACC_FAULT },
    { APIC_ECR, 1, ACC_ACCEL, ACC_TRAP },
    { APIC_SEOI, 1, ACC_FAULT, ACC_TRAP },
    { APIC_IER, 8, ACC_ACCEL, ACC_TRAP },
    { APIC_EILVT, 4, ACC_ACCEL, ACC_TRAP },
};

static const struct avic_reg_rule *xapic_rule(uint32_t off)
{
    for (unsigned i = 0; i < sizeof(xapic_rules) / sizeof(xapic_rules[0]); i++) {
        const struct avic_reg_rule *r = &xapic_rules[i];
        if (off >= r->off && off < r->off + r->count * 16u)
            return r;
    }
    return NULL;
}

/* The x2APIC registers (APM 16.x "x2APIC" register list): which exist and
 * how x2AVIC treats them.  Not in x2APIC mode: APR, RRD, DFR, ICR high (the
 * ICR is one 64-bit MSR).  APM unclear: the AMD extended registers
 * (MSR 840h..853h) under x2AVIC; the model faults them so the VMM decides. */
static enum avic_acc x2_read_class(uint32_t off)
{
    switch (off) {
    case APIC_ID:
    case APIC_VER:
    case APIC_TPR:
    case APIC_PPR:
    case APIC_LDR:
    case APIC_SVR:
    case APIC_ESR:
    case APIC_ICR_LO:
    case APIC_TMICT:
    case APIC_TDCR:
        return ACC_ACCEL;
    default:
        break;
    }
    if (off >= APIC_ISR && off < APIC_ESR) /* ISR, TMR, IRR */
        return ACC_ACCEL;
    if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
        return ACC_ACCEL;
    return ACC_FAULT; /* TMCCT, write-only EOI / SELF IPI, reserved */
}

/* Writes: TPR, EOI, ICR and SELF IPI accelerated; the writable registers
 * the VMM must see trap; the read-only ones (ID, version, LDR, PPR, ISR,
 * TMR, IRR, current count) fault.  APM unclear whether x2AVIC raises the
 * #GP for a write to a read-only x2APIC register itself; the model faults
 * so the VMM injects it. */
static enum avic_acc x2_write_class(uint32_t off)
{
    switch (off) {
    case APIC_TPR:
    case APIC_EOI:
    case APIC_ICR_LO:
    case APIC_SELF_IPI:
        return ACC_ACCEL;
    case APIC_SVR:
    case APIC_ESR:
    case APIC_TMICT:
    case APIC_TDCR:
        return ACC_TRAP;
    default:
        break;
    }
    if (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR)
        return ACC_TRAP;
    return ACC_FAULT;
}

static void noaccel(struct avic_pcpu *c, struct avic_hw_result *r, uint32_t off, bool write,
                    uint64_t info2)
{
    avic_exit(c, r, AVIC_VMEXIT_AVIC_NOACCEL,
              (off & AVIC_NOACCEL_INFO1_OFFSET) | (write ? AVIC_NOACCEL_INFO1_WRITE : 0), info2);
}

/* ---- The accelerated writes with rules of their own ---- */

/* TPR write: the backing page's TPR, then PPR (APM 16.6). */
static void write_tpr(struct avic_pcpu *c, uint32_t v)
{
    bp_write(c->bp, APIC_TPR, v & 0xffu);
    avic_update_ppr(c);
}

/* EOI write: the highest in-service vector is done.  When its TMR bit says
 * level-triggered the VMM must see the EOI (to pass it to the I/O APIC):
 * the write traps and the hardware leaves ISR alone, the VMM's EOI
 * emulation clears it.  APM unclear: whether the hardware clears the ISR
 * bit before the trap; the model does not (the VMM would otherwise clear a
 * second one), and gives the vector in EXITINFO2.  An EOI with nothing in
 * service does nothing. */
static void write_eoi(struct avic_pcpu *c, struct avic_hw_result *r)
{
    int vec = avic_highest_isr(c);
    uint32_t bit, tmr;

    if (vec < 0)
        return;
    bit = 1u << (vec % 32);
    tmr = bp_read(c->bp, APIC_TMR + (uint32_t)(vec / 32) * 16u);
    if (tmr & bit) {
        noaccel(c, r, APIC_EOI, true, (uint64_t)vec);
        return;
    }
    __atomic_fetch_and((uint32_t *)(c->bp + APIC_ISR + (uint32_t)(vec / 32) * 16u), ~bit,
                       __ATOMIC_SEQ_CST);
    avic_update_ppr(c);
}

/* ---- xAPIC MMIO ---- */

static bool mmio_precheck(struct avic_pcpu *c, uint32_t offset, struct avic_hw_result *r,
                          const char *what)
{
    if (offset >= APIC_PAGE_SIZE) {
        avic_model_error("%s: offset %#x is past the 4 KiB APIC page", what, offset);
        r->bad_call = true;
        return false;
    }
    if (!c->avic) {
        avic_model_error("%s: AVIC is off in this VMCB: the access goes through nested paging, "
                         "outside the model",
                         what);
        r->bad_call = true;
        return false;
    }
    return true;
}

/* Accesses the hardware does not accelerate whatever the register:
 * x2AVIC mode (the guest's APIC is in x2APIC mode, its MMIO page is not
 * the APIC; APM unclear whether this is an AVIC_NOACCEL fault or left to
 * nested paging; the model faults), and accesses that are not an aligned
 * dword at a register's start. */
static bool mmio_always_faults(const struct avic_pcpu *c, uint32_t offset)
{
    return c->x2avic || (offset & 0xfu) != 0;
}

struct avic_hw_result avic_hw_mmio_read(struct avic_hw *hw, unsigned pcpu, uint32_t offset,
                                        uint32_t *value)
{
    struct avic_hw_result r;
    struct avic_pcpu *c = avic_guest_pcpu(hw, pcpu, "mmio_read", &r);
    const struct avic_reg_rule *rule;

    if (!c || !mmio_precheck(c, offset, &r, "mmio_read"))
        return r;
    rule = xapic_rule(offset);
    if (mmio_always_faults(c, offset) || !rule || rule->read != ACC_ACCEL) {
        noaccel(c, &r, offset, false, 0);
        return r;
    }
    if (value)
        *value = bp_read(c->bp, offset);
    r.completed = true;
    return r;
}

/* Every accelerated or trapped write lands in the backing page, except the
 * EOI (an action, not a register). */
static void accel_write(struct avic_hw *hw, struct avic_pcpu *c, uint32_t off, uint32_t v,
                        struct avic_hw_result *r)
{
    switch (off) {
    case APIC_TPR:
        write_tpr(c, v);
        break;
    case APIC_EOI:
        write_eoi(c, r);
        break;
    case APIC_ICR_LO:
        /* Delivery status (bit 12) reads 0: AVIC sends at once. */
        bp_write(c->bp, APIC_ICR_LO, v & ~ICR_DELIV_STATUS);
        avic_ipi_send(hw, c, v & ~ICR_DELIV_STATUS,
                      bp_read(c->bp, APIC_ICR_HI) >> APIC_XAPIC_DEST_SHIFT, r);
        break;
    default:
        bp_write(c->bp, off, v);
        break;
    }
}

struct avic_hw_result avic_hw_mmio_write(struct avic_hw *hw, unsigned pcpu, uint32_t offset,
                                         uint32_t value)
{
    struct avic_hw_result r;
    struct avic_pcpu *c = avic_guest_pcpu(hw, pcpu, "mmio_write", &r);
    const struct avic_reg_rule *rule;

    if (!c || !mmio_precheck(c, offset, &r, "mmio_write"))
        return r;
    rule = xapic_rule(offset);
    if (mmio_always_faults(c, offset) || !rule || rule->write == ACC_FAULT) {
        noaccel(c, &r, offset, true, 0);
        return r;
    }
    r.completed = true;
    if (rule->write == ACC_TRAP) {
        bp_write(c->bp, offset, value);
        noaccel(c, &r, offset, true, 0);
        return r;
    }
    accel_write(hw, c, offset, value, &r);
    return r;
}

/* ---- MSRs: the permission map first (APM 15.11 "MSR Intercepts"), then
 * x2AVIC for 800h..8FFh ---- */

/* MSRPM: 8 KiB, two bits per MSR (even: read, odd: write) for three ranges
 * of 8K MSRs at byte offsets 0, 800h and 1000h; MSRs outside them are
 * always intercepted.  Memory that is not there reads as all-ones, so a
 * map outside memory intercepts everything. */
static bool msr_intercepted(struct avic_hw *hw, const struct avic_pcpu *c, uint32_t msr, bool write)
{
    const uint8_t *map;
    uint32_t base, bit;

    if (!(c->vmcb->intercept_misc1 & VMCB_ICPT_MSR_PROT))
        return false;
    if (msr <= 0x1fffu)
        base = 0;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        base = 0x800u;
    else if (msr >= 0xc0010000u && msr <= 0xc0011fffu)
        base = 0x1000u;
    else
        return true;
    map = avic_map(hw, c->vmcb->msrpm_base_pa & AVIC_ADDR_MASK, AVIC_MSRPM_SIZE);
    if (!map)
        return true;
    bit = (msr & 0x1fffu) * 2u + (write ? 1u : 0u);
    return (map[base + bit / 8u] >> (bit % 8u)) & 1u;
}

static bool is_x2apic_msr(uint32_t msr)
{
    return msr >= X2APIC_MSR_FIRST && msr <= X2APIC_MSR_LAST;
}

/* Not intercepted and not x2AVIC's: the real MSR, which the model lacks. */
static void msr_passthrough(const struct avic_pcpu *c, uint32_t msr, struct avic_hw_result *r)
{
    if (is_x2apic_msr(msr))
        avic_model_error("x2APIC MSR %#x not intercepted with x2AVIC off: the guest reaches "
                         "the host's APIC",
                         msr);
    r->passthrough = true;
    r->completed = true;
}

static uint32_t msr_offset(uint32_t msr)
{
    return (msr - X2APIC_MSR_FIRST) << 4;
}

struct avic_hw_result avic_hw_rdmsr(struct avic_hw *hw, unsigned pcpu, uint32_t msr,
                                    uint64_t *value)
{
    struct avic_hw_result r;
    struct avic_pcpu *c = avic_guest_pcpu(hw, pcpu, "rdmsr", &r);
    uint32_t off;
    uint64_t v;

    if (!c)
        return r;
    if (value)
        *value = 0;
    if (msr_intercepted(hw, c, msr, false)) {
        avic_exit(c, &r, AVIC_VMEXIT_MSR, 0, 0);
        return r;
    }
    if (!is_x2apic_msr(msr) || !c->x2avic) {
        msr_passthrough(c, msr, &r);
        return r;
    }
    off = msr_offset(msr);
    if (x2_read_class(off) != ACC_ACCEL) {
        noaccel(c, &r, off, false, 0);
        return r;
    }
    v = bp_read(c->bp, off);
    if (off == APIC_ICR_LO)
        v |= (uint64_t)bp_read(c->bp, APIC_ICR_HI) << 32;
    if (value)
        *value = v;
    r.completed = true;
    return r;
}

/* The reserved-bit checks of the x2APIC architecture (APM 16.x "x2APIC"),
 * which the CPU makes itself before the access: the result is #GP in the
 * guest, no exit.  A trapped write must be checked here: the trap's
 * EXITINFO1 carries no value, so bits the backing page cannot hold would
 * be lost.  APM unclear; the model raises #GP for bits 63:32 of every
 * 32-bit register. */
static bool x2_write_gp(uint32_t off, uint64_t v)
{
    switch (off) {
    case APIC_TPR:
    case APIC_SELF_IPI:
        return (v & ~0xffull) != 0;
    case APIC_EOI:
        return v != 0;
    case APIC_ICR_LO:
        return ((uint32_t)v & X2APIC_ICR_RSVD) != 0;
    default:
        return (v >> 32) != 0;
    }
}

/* SELF IPI (MSR 83Fh): a fixed, edge, self-shorthand IPI without touching
 * the ICR.  APM unclear for a vector below 16; the model traps it so the
 * VMM applies the illegal-vector rule (ESR). */
static void x2_self_ipi(struct avic_pcpu *c, uint32_t vec, struct avic_hw_result *r)
{
    if (vec < 16) {
        noaccel(c, r, APIC_SELF_IPI, true, 0);
        return;
    }
    bp_irr_set(c->bp, vec);
    avic_notice(c, vec);
}

static void x2_accel_write(struct avic_hw *hw, struct avic_pcpu *c, uint32_t off, uint64_t v,
                           struct avic_hw_result *r)
{
    switch (off) {
    case APIC_TPR:
        write_tpr(c, (uint32_t)v);
        break;
    case APIC_EOI:
        write_eoi(c, r);
        break;
    case APIC_SELF_IPI:
        x2_self_ipi(c, (uint32_t)v & ICR_VECTOR_MASK, r);
        break;
    default: /* ICR: one 64-bit write, destination in 63:32 */
        bp_write(c->bp, APIC_ICR_HI, (uint32_t)(v >> 32));
        bp_write(c->bp, APIC_ICR_LO, (uint32_t)v);
        avic_ipi_send(hw, c, (uint32_t)v, (uint32_t)(v >> 32), r);
        break;
    }
}

struct avic_hw_result avic_hw_wrmsr(struct avic_hw *hw, unsigned pcpu, uint32_t msr, uint64_t value)
{
    struct avic_hw_result r;
    struct avic_pcpu *c = avic_guest_pcpu(hw, pcpu, "wrmsr", &r);
    uint32_t off;
    enum avic_acc cls;

    if (!c)
        return r;
    if (msr_intercepted(hw, c, msr, true)) {
        avic_exit(c, &r, AVIC_VMEXIT_MSR, 1, 0);
        return r;
    }
    if (!is_x2apic_msr(msr) || !c->x2avic) {
        msr_passthrough(c, msr, &r);
        return r;
    }
    off = msr_offset(msr);
    cls = x2_write_class(off);
    if (cls == ACC_FAULT) {
        noaccel(c, &r, off, true, 0);
        return r;
    }
    if (x2_write_gp(off, value)) {
        r.gp = true;
        return r;
    }
    r.completed = true;
    if (cls == ACC_TRAP) {
        bp_write(c->bp, off, (uint32_t)value);
        noaccel(c, &r, off, true, 0);
        return r;
    }
    x2_accel_write(hw, c, off, value, &r);
    return r;
}
