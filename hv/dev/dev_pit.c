/* SPDX-License-Identifier: MIT */
/*
 * The virtual 8254 PIT (Intel 8254 datasheet: "Modes", "Read-Back Command",
 * "Counter Latch Command"; PC port 0x61 as on the IBM AT).
 *
 * The model.  A counter is either idle (OUT = out_idle, count = ce_idle) or
 * running from CLK edge `base`, the edge its counting element (CE) was loaded
 * on; before base (the load is pending on the next edge) it still shows the
 * idle values.  While running, OUT and the count are closed-form functions
 * of the edge number t:
 *   modes 0, 4 (software one-shots): CE = ce_base - (t - base), wrapping
 *       modulo 2^16 (10^4 in BCD) and frozen while GATE is low (rebased at
 *       each GATE change).  The terminal count is base + ce_base (0 = the
 *       modulus); mode 0 raises OUT there, mode 4 strobes it low for one CLK.
 *   modes 1, 5: the same, counting regardless of GATE, started by a GATE
 *       rising edge (which loads the count on the next CLK).
 *   modes 2, 3 (periodic): the position in the period is
 *       pos = (t - base + off) mod n; a reload (rising OUT) happens at pos 0.
 *       Mode 2 drives OUT low at pos n - 1; mode 3 is high for the first
 *       (n + 1) / 2 CLKs and low for the rest, its CE stepping by two.  GATE
 *       low stops the counter with OUT high; GATE rising reloads it.  A count
 *       written while running is taken at the next reload (mode 2) or half
 *       period end (mode 3), where the segment is rebased.
 * ch_sync() moves a counter's state from edge `synced` to a later edge,
 * applying at most that one pending rebase, and returns the rising OUT edges
 * in between: O(1) however long the guest was away.
 */
#include "hv/dev/dev_pit.h"

#include <string.h>

#define NS_PER_S        1000000000ull
#define BIN_MODULUS     0x10000u
#define BCD_MODULUS     10000u

/* CLK edges that have happened by time ns: floor(ns * PIT_HZ / 1e9),
 * computed without overflowing 64 bits. */
static uint64_t ns_to_ticks(uint64_t ns)
{
    return ns / NS_PER_S * PIT_HZ + ns % NS_PER_S * PIT_HZ / NS_PER_S;
}

/* The first time at which edge `tick` has happened (inverse of the above). */
static uint64_t ticks_to_ns(uint64_t tick)
{
    uint64_t rem = tick % PIT_HZ;

    return tick / PIT_HZ * NS_PER_S + (rem * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

static uint32_t bcd_to_bin(uint16_t v)
{
    return ((v >> 12) & 0xFu) * 1000u + ((v >> 8) & 0xFu) * 100u + ((v >> 4) & 0xFu) * 10u +
           (v & 0xFu);
}

static uint16_t bin_to_bcd(uint32_t v)
{
    return (uint16_t)((v / 1000u % 10u) << 12 | (v / 100u % 10u) << 8 | (v / 10u % 10u) << 4 |
                      v % 10u);
}

static uint32_t modulus(const struct pit_channel *c)
{
    return c->bcd ? BCD_MODULUS : BIN_MODULUS;
}

/* The count register as a number of CLKs: 1 .. modulus (0 is the modulus;
 * invalid BCD digits are taken at face value, modulo 10^4). */
static uint32_t initial_count(const struct pit_channel *c)
{
    uint32_t v = c->bcd ? bcd_to_bin(c->cr) % BCD_MODULUS : c->cr;

    return v ? v : modulus(c);
}

/* Modes 2 and 3: the period; 1 (illegal in mode 2) runs as 2. */
static uint32_t period_of(const struct pit_channel *c)
{
    uint32_t n = initial_count(c);

    return n < 2 ? 2 : n;
}

static uint16_t encode(const struct pit_channel *c, uint32_t v)
{
    return c->bcd ? bin_to_bcd(v) : (uint16_t)v;
}

static bool is_periodic(const struct pit_channel *c)
{
    return c->mode == 2 || c->mode == 3;
}

/* Modes 0, 1, 4, 5: whether the CE decrements now (0 and 4 obey GATE). */
static bool decrementing(const struct pit_channel *c)
{
    return (c->mode != 0 && c->mode != 4) || c->gate;
}

/* Modes 0, 1, 4, 5: the edge on which the CE reaches zero. */
static uint64_t term_tick(const struct pit_channel *c)
{
    return c->base + (c->ce_base ? c->ce_base : modulus(c));
}

static uint32_t pos_at(const struct pit_channel *c, uint64_t t)
{
    return (uint32_t)((t - c->base + c->off) % c->n);
}

/* Mode 3 count at position pos of period n: even n steps n, n-2, ..., 2 in
 * each half; odd n shows n, n-1, n-3, ... while high and n, n-3, n-5, ...
 * while low (datasheet, mode 3 "odd counts"). */
static uint32_t square_count(uint32_t n, uint32_t pos)
{
    uint32_t h = (n + 1) / 2;
    uint32_t k = pos < h ? pos : pos - h;

    if (!(n & 1))
        return n - 2 * k;
    if (k == 0)
        return n;
    return pos < h ? n + 1 - 2 * k : n - 1 - 2 * k;
}

/* The counting element at edge c->synced (binary). */
static uint32_t ce_now(const struct pit_channel *c)
{
    uint64_t t = c->synced, el;
    uint32_t m = modulus(c);

    if (!c->running || t < c->base)
        return c->ce_idle;
    if (c->mode == 2)
        return (c->n - pos_at(c, t)) % m;
    if (c->mode == 3)
        return square_count(c->n, pos_at(c, t)) % m;
    el = decrementing(c) ? t - c->base : 0;
    return (uint32_t)((c->ce_base + m - el % m) % m);
}

/* OUT at edge c->synced. */
static bool out_now(const struct pit_channel *c)
{
    uint64_t t = c->synced;

    if (!c->running || t < c->base)
        return c->out_idle;
    switch (c->mode) {
    case 0:
    case 1:
        return !c->armed;
    case 2:
        return pos_at(c, t) != c->n - 1;
    case 3:
        return pos_at(c, t) < (c->n + 1) / 2;
    default: /* 4, 5: low for the one CLK at the terminal count */
        return !(c->armed && decrementing(c) && t == term_tick(c));
    }
}

/* Modes 2, 3: rising OUT edges (reloads) in (from, to], never counting the
 * load at base itself (OUT is already high then). */
static uint64_t periodic_edges(const struct pit_channel *c, uint64_t from, uint64_t to)
{
    if (from < c->base)
        from = c->base;
    if (to <= from)
        return 0;
    return (to - c->base + c->off) / c->n - (from - c->base + c->off) / c->n;
}

/* Modes 2, 3 with a new count waiting (synced >= base): the edge where it is
 * taken, and whether OUT rises there (reload) or falls (mode 3 half). */
static uint64_t next_boundary(const struct pit_channel *c, bool *rising)
{
    uint32_t pos = pos_at(c, c->synced), h = (c->n + 1) / 2;

    *rising = !(c->mode == 3 && pos < h);
    return c->synced + (*rising ? c->n - pos : h - pos);
}

static void take_new_count(struct pit_channel *c, uint64_t at, bool rising)
{
    c->n = period_of(c);
    c->base = at;
    c->off = rising ? 0 : (c->n + 1) / 2;
    c->new_count = false;
    c->null_count = false;
}

static uint64_t sync_periodic(struct pit_channel *c, uint64_t t)
{
    uint64_t b, edges;
    bool rising;

    if (!c->new_count)
        return periodic_edges(c, c->synced, t);
    b = next_boundary(c, &rising);
    if (b > t)
        return periodic_edges(c, c->synced, t);
    edges = periodic_edges(c, c->synced, b);
    take_new_count(c, b, rising);
    return edges + periodic_edges(c, b, t);
}

static uint64_t sync_oneshot(struct pit_channel *c, uint64_t t)
{
    uint64_t rise;

    if (!c->armed || !decrementing(c))
        return 0;
    rise = term_tick(c) + (c->mode >= 4 ? 1 : 0);
    if (rise > t)
        return 0;
    c->armed = false;
    return 1;
}

/* Brings c up to edge t; returns the rising OUT edges on the way. */
static uint64_t ch_sync(struct pit_channel *c, uint64_t t)
{
    uint64_t edges = 0;

    if (t <= c->synced)
        return 0;
    if (c->running)
        edges = is_periodic(c) ? sync_periodic(c, t) : sync_oneshot(c, t);
    c->synced = t;
    return edges;
}

/* Modes 2, 3: the first rising OUT edge after synced. */
static uint64_t next_periodic_rise(const struct pit_channel *c)
{
    uint64_t from = c->synced < c->base ? c->base : c->synced, k;
    uint32_t n;
    bool rising;

    if (c->new_count) {
        uint64_t b = next_boundary(c, &rising);

        if (rising)
            return b;
        n = period_of(c);
        return b + (n - (n + 1) / 2);
    }
    k = (from - c->base + c->off) / c->n + 1;
    return c->base + (k * c->n - c->off);
}

/* The next rising OUT edge after synced, or 0. */
static uint64_t next_rise(const struct pit_channel *c)
{
    if (!c->running)
        return 0;
    if (is_periodic(c))
        return next_periodic_rise(c);
    if (!c->armed || !decrementing(c))
        return 0;
    return term_tick(c) + (c->mode >= 4 ? 1 : 0);
}

/* The CE takes the count register on the next CLK edge. */
static void ch_load_next(struct pit_channel *c)
{
    c->ce_idle = ce_now(c);
    c->out_idle = out_now(c);
    c->running = true;
    c->base = c->synced + 1;
    c->null_count = false;
    c->new_count = false;
    c->armed = true;
    if (is_periodic(c)) {
        c->n = period_of(c);
        c->off = 0;
    } else {
        c->ce_base = initial_count(c) % modulus(c);
    }
}

/* Counting stops; OUT and the count keep their present values. */
static void ch_stop(struct pit_channel *c, bool out)
{
    c->ce_idle = ce_now(c);
    c->out_idle = out;
    c->running = false;
    c->new_count = false;
}

/* A whole count has been written to the count register. */
static void ch_count_written(struct pit_channel *c)
{
    c->have_count = true;
    c->null_count = true;
    switch (c->mode) {
    case 0:
        ch_load_next(c);
        c->out_idle = false; /* OUT low from the write on */
        break;
    case 4:
        ch_load_next(c);
        break;
    case 2:
    case 3:
        if (c->running && c->synced < c->base) {
            c->n = period_of(c); /* the pending load takes this count */
            c->null_count = false;
        } else if (c->running) {
            c->new_count = true;
        } else if (c->gate) {
            ch_load_next(c);
        }
        break;
    default: /* 1, 5: taken at the next GATE trigger */
        break;
    }
}

static void ch_write_count(struct pit_channel *c, uint8_t val)
{
    switch (c->rw) {
    case PIT_RW_LSB:
        c->cr = val;
        break;
    case PIT_RW_MSB:
        c->cr = (uint16_t)(val << 8);
        break;
    default:
        if (!c->wr_msb) {
            c->wr_lsb = val;
            c->wr_msb = true;
            if (c->mode == 0)
                ch_stop(c, false); /* first byte: counting stops, OUT low */
            return;
        }
        c->cr = (uint16_t)(val << 8 | c->wr_lsb);
        c->wr_msb = false;
        break;
    }
    ch_count_written(c);
}

static void ch_control(struct pit_channel *c, uint8_t cw)
{
    uint8_t mode = (cw & PIT_CW_MODE_MASK) >> PIT_CW_MODE_SHIFT;

    ch_stop(c, true);
    c->ctrl = cw & PIT_CW_STATUS_MASK;
    c->rw = (cw & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT;
    c->mode = mode > 5 ? mode & 3 : mode;
    c->bcd = (cw & PIT_CW_BCD) != 0;
    c->out_idle = c->mode != 0; /* mode 0: OUT low after the control word */
    c->have_count = false;
    c->null_count = true;
    c->wr_msb = false;
    c->rd_msb = false;
    c->count_latched = false;
    c->status_latched = false;
}

static void ch_latch_count(struct pit_channel *c)
{
    if (c->count_latched)
        return; /* a second latch before the read is ignored */
    c->latch = encode(c, ce_now(c));
    c->count_latched = true;
}

static void ch_latch_status(struct pit_channel *c)
{
    bool null = c->null_count || (c->running && c->synced < c->base);

    if (c->status_latched)
        return;
    c->status = (uint8_t)((out_now(c) ? PIT_ST_OUTPUT : 0) | (null ? PIT_ST_NULL_COUNT : 0) |
                          c->ctrl);
    c->status_latched = true;
}

static uint8_t ch_read(struct pit_channel *c)
{
    uint16_t v;
    uint8_t b;

    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    v = c->count_latched ? c->latch : encode(c, ce_now(c));
    switch (c->rw) {
    case PIT_RW_LSB:
        b = (uint8_t)v;
        c->count_latched = false;
        break;
    case PIT_RW_MSB:
        b = (uint8_t)(v >> 8);
        c->count_latched = false;
        break;
    default:
        b = c->rd_msb ? (uint8_t)(v >> 8) : (uint8_t)v;
        if (c->rd_msb)
            c->count_latched = false;
        c->rd_msb = !c->rd_msb;
        break;
    }
    return b;
}

/* Counter 2's GATE (port 0x61 bit 0) changes; c is synced. */
static void ch_set_gate(struct pit_channel *c, bool gate)
{
    if (gate == c->gate)
        return;
    switch (c->mode) {
    case 0:
    case 4:
        if (c->running && c->synced >= c->base) {
            if (!gate && c->mode == 4 && c->armed && c->synced == term_tick(c))
                c->armed = false; /* the strobe ends with the gate */
            c->ce_base = ce_now(c);
            c->base = c->synced;
        }
        break;
    case 2:
    case 3:
        if (!gate)
            ch_stop(c, true); /* OUT goes high at once */
        else if (c->have_count)
            ch_load_next(c);
        break;
    default: /* 1, 5: a rising edge (re)triggers */
        if (gate && c->have_count)
            ch_load_next(c);
        break;
    }
    c->gate = gate;
}

static void set_line(struct pit *p, bool level)
{
    if (level == p->line)
        return;
    p->line = level;
    p->ops->irq0(p->ctx, level);
}

/* One tick: a rising edge on IRQ0, then the line follows OUT0 down. */
static void raise_tick(struct pit *p)
{
    set_line(p, false);
    set_line(p, true);
}

static void deliver(struct pit *p, uint64_t edges)
{
    if (p->policy == PIT_DISCARD) {
        if (edges)
            raise_tick(p);
    } else {
        uint64_t b = p->backlog + edges;

        if (!p->inflight && b) {
            b--;
            p->inflight = true;
            raise_tick(p);
        }
        p->backlog = b > PIT_BACKLOG_MAX ? PIT_BACKLOG_MAX : (unsigned)b;
    }
    if (!out_now(&p->ch[0]))
        set_line(p, false);
}

static void advance_ticks(struct pit *p, uint64_t t)
{
    uint64_t edges = ch_sync(&p->ch[0], t);

    ch_sync(&p->ch[1], t);
    ch_sync(&p->ch[2], t);
    deliver(p, edges);
}

void pit_init(struct pit *p, enum pit_policy policy, const struct pit_ops *ops, void *ctx)
{
    memset(p, 0, sizeof(*p));
    p->ops = ops;
    p->ctx = ctx;
    p->policy = policy;
    for (unsigned i = 0; i < 3; i++) {
        struct pit_channel *c = &p->ch[i];

        c->gate = i != 2;
        ch_control(c, PIT_RW_LSB_MSB << PIT_CW_RW_SHIFT | 3u << PIT_CW_MODE_SHIFT);
    }
}

void pit_advance(struct pit *p, uint64_t now_ns)
{
    advance_ticks(p, ns_to_ticks(now_ns));
}

uint64_t pit_next_event_ns(const struct pit *p)
{
    uint64_t tick = next_rise(&p->ch[0]);

    return tick ? ticks_to_ns(tick) : 0;
}

bool pit_ack_tick(struct pit *p)
{
    if (p->policy != PIT_REINJECT)
        return false;
    p->inflight = false;
    if (!p->backlog)
        return false;
    p->backlog--;
    p->inflight = true;
    raise_tick(p);
    if (!out_now(&p->ch[0]))
        set_line(p, false);
    return true;
}

unsigned pit_pending_ticks(const struct pit *p)
{
    return p->backlog;
}

static void write_control(struct pit *p, uint8_t val)
{
    unsigned sc = val >> PIT_CW_SC_SHIFT;

    if (sc == PIT_CW_SC_READBACK) {
        for (unsigned i = 0; i < 3; i++) {
            if (!(val & PIT_RB_CNT(i)))
                continue;
            if (!(val & PIT_RB_NOT_STATUS))
                ch_latch_status(&p->ch[i]);
            if (!(val & PIT_RB_NOT_COUNT))
                ch_latch_count(&p->ch[i]);
        }
        return;
    }
    if (((val & PIT_CW_RW_MASK) >> PIT_CW_RW_SHIFT) == PIT_RW_LATCH) {
        ch_latch_count(&p->ch[sc]);
        return;
    }
    ch_control(&p->ch[sc], val);
    if (sc == 0) {
        p->backlog = 0;
        p->inflight = false;
        if (!out_now(&p->ch[0]))
            set_line(p, false);
    }
}

static bool is_pit_port(uint16_t port)
{
    return (port >= PIT_PORT_CH0 && port <= PIT_PORT_CTRL) || port == PIT_PORT_SYSB;
}

bool pit_io_read(struct pit *p, uint16_t port, uint8_t *val)
{
    uint64_t t;

    if (!is_pit_port(port))
        return false;
    t = ns_to_ticks(p->ops->now_ns(p->ctx));
    advance_ticks(p, t);
    if (port == PIT_PORT_SYSB) {
        t = p->ch[2].synced;
        *val = (uint8_t)((p->sysb & PIT_SYSB_STORED) |
                         ((t / PIT_REFRESH_TICKS) & 1 ? PIT_SYSB_REFRESH : 0) |
                         (out_now(&p->ch[2]) ? PIT_SYSB_OUT2 : 0));
    } else if (port == PIT_PORT_CTRL) {
        *val = 0xFF; /* the control register cannot be read: the bus floats */
    } else {
        *val = ch_read(&p->ch[port - PIT_PORT_CH0]);
    }
    return true;
}

bool pit_io_write(struct pit *p, uint16_t port, uint8_t val)
{
    if (!is_pit_port(port))
        return false;
    advance_ticks(p, ns_to_ticks(p->ops->now_ns(p->ctx)));
    if (port == PIT_PORT_SYSB) {
        p->sysb = val & PIT_SYSB_STORED;
        ch_set_gate(&p->ch[2], (val & PIT_SYSB_GATE2) != 0);
    } else if (port == PIT_PORT_CTRL) {
        write_control(p, val);
    } else {
        ch_write_count(&p->ch[port - PIT_PORT_CH0], val);
        if (port == PIT_PORT_CH0 && !out_now(&p->ch[0]))
            set_line(p, false);
    }
    return true;
}
