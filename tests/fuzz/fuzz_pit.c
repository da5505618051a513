/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/dev_pit.c: the guest programs the 8254 through ports 0x40-0x43
 * and 0x61.  Input: the lost-tick policy (byte 0), then a program of port
 * writes and reads (any port now and then), time going forward (small steps
 * and jumps of up to days), the host timer firing when the model asked for
 * it, and the interrupt controller acknowledging ticks.  Invariants:
 *   - IRQ0 only changes level (each raise one tick) and the model's line
 *     is the one last reported;
 *   - a port the model does not claim is refused and left alone;
 *   - the next event, when there is one, is after the last access or
 *     advance (the time the model was brought up to);
 *   - DISCARD keeps no backlog; REINJECT keeps at most PIT_BACKLOG_MAX
 *     ticks, and only behind a tick in flight.
 */
#include "fuzz.h"
#include "hv/dev/dev_pit.h"

#define MAX_OPS  1000
#define TIME_CAP (1ull << 62)

static struct pit pit;
static uint64_t now, synced;   /* synced: time of the last access or advance */
static bool line;

static uint64_t now_ns(void *ctx)
{
    return now;
}

static void irq0(void *ctx, bool level)
{
    FUZZ_ASSERT(level != line);
    line = level;
}

static const struct pit_ops ops = { now_ns, irq0 };

static uint16_t pick_port(struct fuzz_in *in)
{
    static const uint16_t ports[] = { 0x40, 0x41, 0x42, 0x43, 0x61, 0x43, 0x40, 0x42 };
    uint8_t b = fuzz_u8(in);

    return b < 0xf8u ? ports[b & 7u] : fuzz_u16(in);
}

static bool claimed(uint16_t port)
{
    return (port >= 0x40 && port <= 0x43) || port == 0x61;
}

static void op_time(struct fuzz_in *in)
{
    uint8_t k = fuzz_u8(in);
    uint64_t d = (uint64_t)fuzz_u16(in) << (k % 48);

    if (d < TIME_CAP - now)
        now += d;
    if (k & 0x80u) {
        pit_advance(&pit, now);
        synced = now;
    }
}

/* The host timer: at the time the model asked for, if that has come. */
static void op_host_timer(void)
{
    uint64_t next = pit_next_event_ns(&pit);

    if (next != 0 && next <= now) {
        pit_advance(&pit, now);
        synced = now;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    enum pit_policy policy = fuzz_u8(&in) & 1u ? PIT_DISCARD : PIT_REINJECT;

    now = synced = fuzz_u32(&in);
    line = false;
    pit_init(&pit, policy, &ops, NULL);
    for (unsigned n = 0; n < MAX_OPS && fuzz_more(&in); n++) {
        uint8_t op = fuzz_u8(&in) % 6, val = 0x5a;
        uint16_t port;
        uint64_t next;

        switch (op) {
        case 0:
            port = pick_port(&in);
            FUZZ_ASSERT(pit_io_write(&pit, port, fuzz_u8(&in)) == claimed(port));
            synced = claimed(port) ? now : synced;
            break;
        case 1:
            port = pick_port(&in);
            FUZZ_ASSERT(pit_io_read(&pit, port, &val) == claimed(port));
            FUZZ_ASSERT(claimed(port) || val == 0x5a);
            synced = claimed(port) ? now : synced;
            break;
        case 2: op_time(&in); break;
        case 3: op_host_timer(); break;
        case 4: FUZZ_ASSERT(!pit_ack_tick(&pit) || policy == PIT_REINJECT); break;
        default:
            next = pit_next_event_ns(&pit);
            FUZZ_ASSERT(next == 0 || next > synced);
            break;
        }
        FUZZ_ASSERT(pit.line == line);
        FUZZ_ASSERT(pit_pending_ticks(&pit) <= PIT_BACKLOG_MAX);
        FUZZ_ASSERT(policy == PIT_REINJECT || pit_pending_ticks(&pit) == 0);
        FUZZ_ASSERT(pit_pending_ticks(&pit) == 0 || pit.inflight);
    }
    return 0;
}
