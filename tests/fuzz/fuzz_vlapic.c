/* SPDX-License-Identifier: MIT */
/*
 * apic/vlapic*.c: every register of a guest's local APIC is the guest's to
 * write.  The input configures one vLAPIC (ID, BSP, x2APIC and TSC-deadline
 * offered, bus clock, AMD or Intel ICR rules, start TSC), then is a program
 * of operations: xAPIC MMIO reads and writes of any size and offset, MSR
 * reads and writes (x2APIC range, IA32_APIC_BASE, IA32_TSC_DEADLINE), ICR
 * writes, interrupts from outside (accept, any message, LINT0/1, LVT
 * events), the core's side (take the highest pending vector, EOI by
 * register or by the CPU, TPR/CR8, NMI/INIT/SIPI/ExtINT), INIT and RESET,
 * and time (TSC jumps forward, the host timer firing when due or early).
 * Messages the vLAPIC sends to itself (self shorthands, its own physical
 * ID) come back to it, as the router would deliver them.
 *
 * Invariants, after every operation:
 *   - no vector below 16 is ever in IRR or ISR, and none is offered to the
 *     core; the offered vector is in IRR and above PPR's class;
 *   - PPR is TPR or ISRV's class, as SDM 11.8.3.1 says; ISR holds at most
 *     one vector per priority class (a vector is taken only above PPR);
 *   - EOI clears the highest ISR vector, and reports a level-triggered one
 *     (TMR) to the I/O APICs unless EOI broadcast is suppressed;
 *   - the mode is the one IA32_APIC_BASE's EN/EXTD select; in x2APIC mode
 *     the ID is the initial one and the LDR is derived from it;
 *   - the timer: a count never exceeds the initial count; a due expiry
 *     sets the timer vector in IRR when it can, and leaves the timer
 *     disarmed or due strictly later (periodic); TSC-deadline reads back.
 * Time: the clock the count modes run on (ops->clock, the host TSC in
 * Keel) only goes forward, modulo 2^64; the guest TSC goes forward with it
 * and the guest may also write it anywhere, backwards or up to the wrap.
 */
#include "apic/vlapic.h"
#include "fuzz.h"

#define MAX_OPS  1000

struct world {
    struct vlapic vl;
    uint32_t page[1024];
    uint64_t tsc;     /* the guest TSC (ops->now) */
    uint64_t clock;   /* ops->clock: forward only */
    unsigned neoi;
    uint8_t last_eoi;
};

static struct world w;

static uint64_t w_now(void *ctx)
{
    return ((struct world *)ctx)->tsc;
}

/* The router, for the one APIC there is: self shorthands and its own
 * physical ID come back. */
static void w_send(void *ctx, const struct apic_msg *m)
{
    struct world *x = ctx;
    bool self = m->shorthand == APIC_SH_SELF || m->shorthand == APIC_SH_ALL ||
                (m->shorthand == APIC_SH_NONE && !m->logical &&
                 m->dest == vlapic_get_id(&x->vl));

    if (self)
        vlapic_deliver(&x->vl, m);
}

static void w_eoi(void *ctx, uint8_t vector)
{
    struct world *x = ctx;

    x->neoi++;
    x->last_eoi = vector;
}

static uint64_t w_clock(void *ctx)
{
    return ((struct world *)ctx)->clock;
}

static const struct vlapic_ops w_ops = {
    .now = w_now, .clock = w_clock, .send = w_send, .eoi_level = w_eoi,
};

static bool vec(uint32_t base, unsigned v)
{
    return (w.page[(base + (v >> 5) * 16) / 4] >> (v & 31)) & 1u;
}

static void check_vectors(void)
{
    struct vlapic *vl = &w.vl;
    int hp = vlapic_highest_pending(vl), isr = vlapic_highest_isr(vl);
    unsigned tpr = w.page[APIC_TPR / 4] & 0xffu, classes = 0;
    uint8_t ppr = vlapic_get_ppr(vl);

    FUZZ_ASSERT((w.page[APIC_IRR / 4] & 0xffffu) == 0 && (w.page[APIC_ISR / 4] & 0xffffu) == 0);
    FUZZ_ASSERT(hp == -1 || (hp >= 16 && vec(APIC_IRR, (unsigned)hp) && (hp >> 4) > (ppr >> 4)));
    FUZZ_ASSERT(isr == -1 || vec(APIC_ISR, (unsigned)isr));
    FUZZ_ASSERT(ppr == ((tpr & 0xf0u) >= (isr < 0 ? 0u : (unsigned)isr & 0xf0u)
                            ? tpr : (unsigned)isr & 0xf0u));
    for (unsigned v = 16; v < 256; v++) {
        if (!vec(APIC_ISR, v))
            continue;
        FUZZ_ASSERT(!(classes & (1u << (v >> 4))));
        classes |= 1u << (v >> 4);
    }
}

static void check_mode(void)
{
    struct vlapic *vl = &w.vl;
    uint64_t base = vlapic_get_apic_base(vl);
    enum vlapic_mode m = vlapic_get_mode(vl);

    if (!(base & APIC_BASE_EN))
        FUZZ_ASSERT(m == VLAPIC_MODE_DISABLED && !(base & APIC_BASE_EXTD));
    else
        FUZZ_ASSERT(m == ((base & APIC_BASE_EXTD) ? VLAPIC_MODE_X2APIC : VLAPIC_MODE_XAPIC));
    if (m == VLAPIC_MODE_X2APIC) {
        FUZZ_ASSERT(vl->x2apic_allowed);
        FUZZ_ASSERT(vlapic_get_id(vl) == vl->initial_id);
        FUZZ_ASSERT(vlapic_get_ldr(vl) == vlapic_x2apic_ldr(vl->initial_id));
    }
}

static void check_timer(void)
{
    struct vlapic *vl = &w.vl;
    uint32_t mode = (w.page[APIC_LVT_TIMER / 4] >> APIC_LVT_TIMER_MODE_SHIFT) & 3u;
    uint64_t dl = 0;

    FUZZ_ASSERT(vl->timer_armed || vlapic_timer_deadline(vl) == 0);
    if (mode == APIC_TIMER_TSC_DEADLINE) {
        FUZZ_ASSERT(vlapic_timer_current_count(vl) == 0);
        if (vl->tsc_deadline_allowed && vlapic_get_tsc_deadline(vl, &dl) == VLAPIC_OK)
            FUZZ_ASSERT(dl == (vl->timer_armed ? vl->timer_deadline : 0));
        /* On the clock: as far ahead of it as the deadline is of the TSC,
         * or the clock itself when it has come. */
        if (vl->timer_armed)
            FUZZ_ASSERT(vlapic_timer_deadline(vl) ==
                        (w.tsc >= vl->timer_deadline ? w.clock
                                                     : w.clock + (vl->timer_deadline - w.tsc)));
    } else if (vl->timer_armed) {
        FUZZ_ASSERT(vlapic_timer_deadline(vl) == vl->timer_deadline);
        FUZZ_ASSERT(vlapic_timer_current_count(vl) <= w.page[APIC_TMICT / 4]);
    }
}

static void check_all(void)
{
    check_vectors();
    check_mode();
    check_timer();
}

/* The host timer fires: only when due, as hv/host/hosttimer.c arranges. */
static void host_timer(void)
{
    struct vlapic *vl = &w.vl;
    uint32_t lvt = w.page[APIC_LVT_TIMER / 4];
    uint8_t v = lvt & 0xffu;
    bool periodic = ((lvt >> APIC_LVT_TIMER_MODE_SHIFT) & 3u) == APIC_TIMER_PERIODIC;
    bool can_raise = !(lvt & APIC_LVT_MASKED) && v >= 16 && vlapic_sw_enabled(vl);

    if (!vlapic_timer_due(vl))
        return;
    vlapic_timer_expire(vl);
    FUZZ_ASSERT(!can_raise || vec(APIC_IRR, v));
    if (periodic)
        FUZZ_ASSERT(vl->timer_armed && !vlapic_timer_due(vl));   /* strictly later */
    else
        FUZZ_ASSERT(!vl->timer_armed);
}

static void op_eoi(struct fuzz_in *in)
{
    struct vlapic *vl = &w.vl;
    int v = vlapic_highest_isr(vl);
    unsigned before = w.neoi;
    bool level = v >= 0 && vec(APIC_TMR, (unsigned)v);
    bool suppress = (w.page[APIC_SVR / 4] & APIC_SVR_EOI_SUPPRESS) != 0;

    switch (fuzz_u8(in) % 3) {
    case 0: vlapic_eoi(vl); break;
    case 1: if (v >= 0) vlapic_eoi_completed(vl, (uint8_t)v); break;
    default:
        if (vlapic_get_mode(vl) == VLAPIC_MODE_X2APIC)
            (void)vlapic_msr_write(vl, X2APIC_MSR(APIC_EOI), 0);
        else
            (void)vlapic_mmio_write(vl, APIC_EOI, 4, 0);
        if (vlapic_get_mode(vl) == VLAPIC_MODE_DISABLED)
            return;
        break;
    }
    if (v < 0)
        return;
    FUZZ_ASSERT(!vec(APIC_ISR, (unsigned)v));
    if (level && !suppress)
        FUZZ_ASSERT(w.neoi == before + 1 && w.last_eoi == v);
    else
        FUZZ_ASSERT(w.neoi == before);
}

static uint32_t pick_msr(struct fuzz_in *in)
{
    uint8_t b = fuzz_u8(in);

    if (b == 0xfe)
        return MSR_IA32_APIC_BASE;
    if (b == 0xff)
        return MSR_IA32_TSC_DEADLINE;
    return X2APIC_MSR_BASE + (b & 0x3fu);
}

static uint32_t pick_off(struct fuzz_in *in)
{
    uint16_t r = fuzz_u16(in);

    return (r & 0x8000u) ? r & 0xfffu : (r & 0x3fu) << 4;   /* any byte, or a register */
}

static uint64_t pick_base(struct fuzz_in *in)
{
    static const uint64_t bases[] = {
        APIC_DEFAULT_BASE | APIC_BASE_EN, APIC_DEFAULT_BASE | APIC_BASE_EN | APIC_BASE_EXTD,
        APIC_DEFAULT_BASE, 0, 0xfec00000ull | APIC_BASE_EN, APIC_DEFAULT_BASE | APIC_BASE_EXTD,
    };
    uint8_t b = fuzz_u8(in);

    return b < 6 ? bases[b] : fuzz_u64(in);
}

static void op_msg(struct fuzz_in *in)
{
    struct apic_msg m;
    uint8_t f = fuzz_u8(in);

    memset(&m, 0, sizeof(m));
    m.vector = fuzz_u8(in);
    m.dm = f & 7u;
    m.level = (f >> 3) & 1u;
    m.assert = !((f >> 4) & 1u);
    m.source = -1;
    vlapic_deliver(&w.vl, &m);
}

static void op_time(struct fuzz_in *in)
{
    uint8_t k = fuzz_u8(in);
    uint64_t d = (uint64_t)fuzz_u16(in) << (k % 40);

    /* The guest writes IA32_TSC: anywhere, backwards or up to the wrap. */
    if ((k & 0x7fu) == 0x7fu) {
        w.tsc = fuzz_u64(in);
    } else {
        w.tsc += d;
        w.clock += d;
    }
    if (k & 0x80u)
        host_timer();
}

/* Register interfaces: MMIO, MSRs, the ICR, IA32_APIC_BASE. */
static void op_register(struct fuzz_in *in, unsigned op)
{
    static const unsigned sizes[] = { 4, 4, 1, 2, 8, 3, 0, 4 };
    struct vlapic *vl = &w.vl;
    uint32_t v32, off;
    uint64_t v64;

    switch (op) {
    case 0:
        off = pick_off(in);
        (void)vlapic_mmio_read(vl, off, sizes[fuzz_u8(in) & 7u], &v32);
        break;
    case 1:
        off = pick_off(in);
        (void)vlapic_mmio_write(vl, off, sizes[fuzz_u8(in) & 7u], fuzz_u32(in));
        break;
    case 2: (void)vlapic_msr_read(vl, pick_msr(in), &v64); break;
    case 3: off = pick_msr(in); (void)vlapic_msr_write(vl, off, fuzz_u64(in)); break;
    case 4: (void)vlapic_write_icr(vl, fuzz_u64(in)); break;
    default: (void)vlapic_set_apic_base(vl, pick_base(in)); break;
    }
}

/* Interrupts from outside the APIC. */
static void op_input(struct fuzz_in *in, unsigned op)
{
    static const uint32_t lvts[] = { APIC_LVT_THERMAL, APIC_LVT_PERF, APIC_LVT_CMCI };
    struct vlapic *vl = &w.vl;
    uint8_t b;

    switch (op) {
    case 6: b = fuzz_u8(in); (void)vlapic_accept(vl, fuzz_u8(in), b & 1u); break;
    case 7: op_msg(in); break;
    case 8: b = fuzz_u8(in); vlapic_lint(vl, b & 1u, (b >> 1) & 1u); break;
    default: vlapic_fire_lvt(vl, lvts[fuzz_u8(in) % 3]); break;
    }
}

/* What the vCPU does: take interrupts and events, EOI, TPR. */
static void op_core(struct fuzz_in *in, unsigned op)
{
    struct vlapic *vl = &w.vl;
    uint8_t sipi;
    int v;

    switch (op) {
    case 10:
        v = vlapic_highest_pending(vl);
        if (v >= 0) {
            vlapic_ack(vl, (uint8_t)v);
            FUZZ_ASSERT(vec(APIC_ISR, (unsigned)v) && !vec(APIC_IRR, (unsigned)v));
        }
        break;
    case 11: op_eoi(in); break;
    case 12: vlapic_set_tpr(vl, fuzz_u8(in)); break;
    case 13:
        vlapic_set_cr8(vl, fuzz_u8(in) & 0xfu);
        FUZZ_ASSERT(vlapic_get_cr8(vl) == (vlapic_get_tpr(vl) >> 4));
        break;
    default:
        /* The NMI latch: in service or held plus pending, two at most
         * (SDM 6.7.1); taking drains it, the handlers' IRETs empty it. */
        FUZZ_ASSERT((unsigned)vl->nmi_pending + vl->nmi_held <= VLAPIC_NMI_LATCH);
        while (vlapic_take_nmi(vl))
            FUZZ_ASSERT(vl->nmi_held <= VLAPIC_NMI_LATCH);
        vlapic_set_nmi_held(vl, 0);
        (void)vlapic_take_init(vl);
        if (vlapic_take_sipi(vl, &sipi))
            FUZZ_ASSERT(!(vlapic_events(vl) & VLAPIC_EV_SIPI));
        (void)vlapic_take_extint(vl);
        FUZZ_ASSERT(vlapic_events(vl) == 0);
        break;
    }
}

static void op_misc(struct fuzz_in *in, unsigned op)
{
    struct vlapic *vl = &w.vl;
    struct apic_dest_view view;
    uint64_t v64, lv[4];

    switch (op) {
    case 15: vlapic_reset(vl, fuzz_bool(in)); break;
    case 16: op_time(in); break;
    case 17: host_timer(); break;
    case 18: vlapic_timer_expire(vl); break;   /* early or spurious: harmless */
    case 19:
        v64 = fuzz_u8(in) & 1u ? w.tsc + fuzz_u16(in) : fuzz_u64(in);
        (void)vlapic_set_tsc_deadline(vl, v64);
        break;
    default:
        vlapic_level_vectors(vl, lv);
        vlapic_dest_view(vl, &view);
        (void)vlapic_read_icr(vl);
        (void)vlapic_arb_priority(vl);
        FUZZ_ASSERT(vlapic_highest_irr(vl) < 0 || vlapic_highest_irr(vl) >= 16);
        break;
    }
}

static void setup(struct fuzz_in *in)
{
    struct vlapic_config c;
    uint8_t f = fuzz_u8(in);

    memset(&c, 0, sizeof(c));
    c.apic_id = (f & 0x80u) ? fuzz_u32(in) : fuzz_u8(in);
    c.vcpu_index = 0;
    c.bsp = f & 1u;
    c.x2apic_allowed = (f >> 1) & 1u;
    c.tsc_deadline_allowed = (f >> 2) & 1u;
    c.icr_bit12_gp = (f >> 3) & 1u;
    c.maxphyaddr = (f & 0x10u) ? fuzz_u8(in) : 0;
    c.tsc_per_bus_tick = (f & 0x20u) ? fuzz_u32(in) : fuzz_u8(in);
    memset(&w, 0, sizeof(w));
    memset(w.page, 0xa5, sizeof(w.page));
    w.tsc = fuzz_u64(in);
    w.clock = fuzz_u64(in);
    vlapic_init(&w.vl, w.page, &c, &w_ops, &w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    setup(&in);
    check_all();
    for (unsigned n = 0; n < MAX_OPS && fuzz_more(&in); n++) {
        unsigned op = fuzz_u8(&in) % 21;

        if (op < 6)
            op_register(&in, op);
        else if (op < 10)
            op_input(&in, op);
        else if (op < 15)
            op_core(&in, op);
        else
            op_misc(&in, op);
        check_all();
    }
    return 0;
}
