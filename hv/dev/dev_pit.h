/* SPDX-License-Identifier: MIT */
/*
 * The virtual 8254 programmable interval timer (Intel 8254 datasheet,
 * 231164) as wired on a PC: ports 0x40-0x42 (counters 0-2), 0x43 (control
 * word, write-only), and the PIT bits of system control port B (0x61).
 * Counter 0 drives IRQ0, counter 1 is the old DRAM-refresh counter (modelled,
 * output unconnected), counter 2's GATE is port 0x61 bit 0 and its OUT reads
 * back as port 0x61 bit 5 (the TSC-calibration path of every x86 OS).
 *
 * Time: a counter is a closed-form function of the 1.193182 MHz input clock,
 * computed from ops->now_ns() (the hypervisor's TSC-derived nanoseconds) on
 * each access; nothing ticks in between.  A count written at clock edge w is
 * loaded into the counting element on edge w + 1 and decrements from edge
 * w + 2 on, as the datasheet specifies, so count readback and OUT are exact
 * to one input clock (838 ns).
 *
 * IRQ0: only rising edges of OUT0 interrupt (the PIC/IOAPIC pin is edge
 * triggered).  ops->irq0(ctx, false) then (ctx, true) is one tick; the line
 * is lowered when OUT0 is seen low but raised only for a tick delivered under
 * the lost-tick policy, so each raise is exactly one interrupt:
 *   PIT_DISCARD:  one edge per pit_advance() that saw any number of periods.
 *   PIT_REINJECT: every period is counted.  One edge is raised and is "in
 *       flight" until pit_ack_tick(); meanwhile further periods wait in a
 *       backlog (at most PIT_BACKLOG_MAX), each released by one ack.  The
 *       hypervisor calls pit_ack_tick() when the guest EOIs the IRQ0 vector
 *       (8259 IRQ0 or IOAPIC pin 2), and also when it drops the edge (pin
 *       masked), or the backlog stalls.  A control word for counter 0 empties
 *       the backlog and forgets the edge in flight.
 *
 * Modes: 0-5 (6 and 7 are 2 and 3).  BCD counting is implemented (count 0 is
 * 10000, readback in BCD).  Documented simplifications: a count of 1 in
 * modes 2 and 3 (illegal in mode 2) runs as 2; in mode 4, taking GATE low
 * during the one-clock strobe ends the strobe.
 *
 * Locking: none inside.  The caller holds the VM's device lock around every
 * call; the callbacks run under it.
 */
#ifndef KEEL_HV_DEV_PIT_H
#define KEEL_HV_DEV_PIT_H

#include <stdbool.h>
#include <stdint.h>

#define PIT_PORT_CH0    0x40
#define PIT_PORT_CH1    0x41
#define PIT_PORT_CH2    0x42
#define PIT_PORT_CTRL   0x43    /* control word (write); reads float: 0xFF */
#define PIT_PORT_SYSB   0x61    /* PC system control port B */

#define PIT_HZ          1193182u    /* input clock (CLK) */
#define PIT_REFRESH_TICKS 18u       /* port 0x61 bit 4 toggles every 18 CLKs (15.08 us) */
#define PIT_BACKLOG_MAX 1000u       /* REINJECT: periods kept beyond the one in flight */

/* Control word (datasheet "Control Word Format"). */
#define PIT_CW_SC_SHIFT     6           /* select counter 0-2, 3 = read-back */
#define PIT_CW_SC_READBACK  3u
#define PIT_CW_RW_SHIFT     4           /* read/write: */
#define PIT_CW_RW_MASK      0x30u
#define PIT_RW_LATCH        0u          /*   counter latch command */
#define PIT_RW_LSB          1u          /*   least significant byte only */
#define PIT_RW_MSB          2u          /*   most significant byte only */
#define PIT_RW_LSB_MSB      3u          /*   LSB first, then MSB */
#define PIT_CW_MODE_SHIFT   1
#define PIT_CW_MODE_MASK    0x0Eu
#define PIT_CW_BCD          0x01u
#define PIT_CW_STATUS_MASK  0x3Fu       /* RW, mode and BCD: echoed in the status */

/* Read-back command (SC = 3). */
#define PIT_RB_NOT_COUNT    0x20u       /* 0: latch the count of each selected counter */
#define PIT_RB_NOT_STATUS   0x10u       /* 0: latch the status of each selected counter */
#define PIT_RB_CNT(n)       (0x02u << (n))

/* Status byte (read-back). */
#define PIT_ST_OUTPUT       0x80u
#define PIT_ST_NULL_COUNT   0x40u

/* Port 0x61 bits. */
#define PIT_SYSB_GATE2      0x01u       /* counter 2 GATE (r/w) */
#define PIT_SYSB_SPKR       0x02u       /* speaker data enable (r/w, stored) */
#define PIT_SYSB_STORED     0x0Fu       /* bits 3-0 read back as written */
#define PIT_SYSB_REFRESH    0x10u       /* refresh request toggle (ro) */
#define PIT_SYSB_OUT2       0x20u       /* counter 2 OUT (ro) */

enum pit_policy { PIT_REINJECT, PIT_DISCARD };

struct pit_ops {
    uint64_t (*now_ns)(void *ctx);          /* monotonic guest time */
    void (*irq0)(void *ctx, bool level);    /* IRQ0 line level */
};

/* One counter.  Times are absolute CLK edge numbers (ns * PIT_HZ / 1e9). */
struct pit_channel {
    /* Programming. */
    uint8_t ctrl;           /* control word bits 5-0 as written (status) */
    uint8_t mode;           /* 0-5 */
    uint8_t rw;             /* PIT_RW_LSB, _MSB or _LSB_MSB */
    bool bcd;
    uint16_t cr;            /* count register, as written */
    bool have_count;        /* a whole count written since the control word */
    bool wr_msb;            /* write flip-flop: the next byte is the MSB */
    uint8_t wr_lsb;         /* the LSB waiting for its MSB */
    bool rd_msb;            /* read flip-flop: the next byte read is the MSB */
    bool count_latched;
    uint16_t latch;         /* output latch, encoded (BCD when bcd) */
    bool status_latched;
    uint8_t status;
    bool gate;
    /* Counting element (see dev_pit.c for the model). */
    bool running;           /* false: OUT and count are out_idle, ce_idle */
    bool null_count;        /* count register not yet taken (status bit 6) */
    bool new_count;         /* modes 2, 3: take cr at the next reload */
    bool armed;             /* modes 0, 1, 4, 5: terminal count still ahead */
    bool out_idle;          /* OUT while idle or before base */
    uint32_t ce_idle;       /* count while idle or before base */
    uint32_t ce_base;       /* modes 0, 1, 4, 5: count at edge base */
    uint32_t n;             /* modes 2, 3: period in CLKs */
    uint32_t off;           /* modes 2, 3: position in the period at base */
    uint64_t base;          /* edge the count was loaded (or rebased) at */
    uint64_t synced;        /* edge the state was brought up to */
};

struct pit {
    const struct pit_ops *ops;
    void *ctx;
    enum pit_policy policy;
    struct pit_channel ch[3];
    uint8_t sysb;           /* port 0x61 bits 3-0 */
    bool line;              /* IRQ0 level last reported */
    bool inflight;          /* REINJECT: a tick raised and not yet acknowledged */
    unsigned backlog;       /* REINJECT: ticks waiting for an acknowledgement */
};

/* Resets *p: every counter as after control word "LSB then MSB, mode 3,
 * binary" with no count written (OUT high, not counting, no IRQ0 until the
 * guest programs counter 0); counter 2's gate low.  ops must outlive p. */
void pit_init(struct pit *p, enum pit_policy policy, const struct pit_ops *ops, void *ctx);

/* Guest port access (one byte).  Ports 0x40-0x43 and 0x61; false: not ours
 * (*val untouched).  Both first bring the counters up to ops->now_ns(). */
bool pit_io_read(struct pit *p, uint16_t port, uint8_t *val);
bool pit_io_write(struct pit *p, uint16_t port, uint8_t val);

/* When the host timer should next call pit_advance(): the time of the next
 * rising edge of OUT0 after the last advance or access, or 0 for none. */
uint64_t pit_next_event_ns(const struct pit *p);

/* Brings the counters up to now_ns and raises the IRQ0 edges that happened
 * since the last call, under the policy.  A now_ns in the past is ignored. */
void pit_advance(struct pit *p, uint64_t now_ns);

/* REINJECT: the guest has consumed the tick in flight (EOI of the IRQ0
 * vector, or the edge was dropped); raises the next one from the backlog.
 * Returns true when it raised one.  DISCARD: does nothing, returns false. */
bool pit_ack_tick(struct pit *p);

/* REINJECT backlog: ticks counted but not yet raised. */
unsigned pit_pending_ticks(const struct pit *p);

#endif /* KEEL_HV_DEV_PIT_H */
