/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/pic.c: the guest programs both 8259s through ports.  The input is
 * a program: byte writes and reads of any port (the six the model claims
 * most of the time: commands, data, ELCR), IRQ line levels, and the CPU's
 * interrupt-acknowledge cycle.  Invariants, after every operation:
 *   - the INT output is reported on every change and only then;
 *   - a port the model does not claim is refused and left alone;
 *   - an acknowledge with INT low gives the master's spurious vector (IRQ7)
 *     and changes no ISR; with INT high it gives a vector of one of the
 *     two chips, and a master input it names is in service unless in
 *     automatic EOI;
 *   - each chip is operating or in the middle of ICW2..ICW4.
 */
#include "fuzz.h"
#include "hv/dev/pic.h"

#define MAX_OPS 1000

static struct pic_pair pp;
static bool reported;

static void changed(void *ctx, bool asserted)
{
    FUZZ_ASSERT(asserted != reported);
    reported = asserted;
}

static const struct pic_ops ops = { changed };

static uint16_t pick_port(struct fuzz_in *in)
{
    static const uint16_t ports[] = { PIC_MASTER_CMD, PIC_MASTER_DATA, PIC_SLAVE_CMD,
                                      PIC_SLAVE_DATA, PIC_ELCR_MASTER, PIC_ELCR_SLAVE };
    uint8_t b = fuzz_u8(in);

    return b < 0xf0u ? ports[b % 6] : fuzz_u16(in);
}

static bool claimed(uint16_t port)
{
    return port == PIC_MASTER_CMD || port == PIC_MASTER_DATA || port == PIC_SLAVE_CMD ||
           port == PIC_SLAVE_DATA || port == PIC_ELCR_MASTER || port == PIC_ELCR_SLAVE;
}

static void op_ack(void)
{
    uint8_t misr = pp.chip[0].isr, sisr = pp.chip[1].isr;
    uint8_t mbase = pp.chip[0].vector_base & 0xf8u, sbase = pp.chip[1].vector_base & 0xf8u;
    bool out = pic_output(&pp);
    int v = pic_ack(&pp);

    FUZZ_ASSERT(v >= 0 && v < 256);
    if (!out) {
        FUZZ_ASSERT(v == (mbase | 7) && pp.chip[0].isr == misr && pp.chip[1].isr == sisr);
        return;
    }
    FUZZ_ASSERT((v & 0xf8) == mbase || (v & 0xf8) == sbase);
    /* (Both chips may share a base: then the vector does not say which.) */
    if (mbase != sbase && (v & 0xf8) == mbase && !(pp.chip[0].icw4 & PIC_ICW4_AEOI) &&
        !(pp.chip[0].icw3 & (1u << (v & 7))))
        FUZZ_ASSERT(pp.chip[0].isr & (1u << (v & 7)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    reported = false;
    pic_init(&pp, &ops, NULL);
    FUZZ_ASSERT(pic_output(&pp) == reported);
    for (unsigned n = 0; n < MAX_OPS && fuzz_more(&in); n++) {
        uint8_t op = fuzz_u8(&in) % 4, val = 0x5a, b;
        uint16_t port;

        switch (op) {
        case 0:
            port = pick_port(&in);
            FUZZ_ASSERT(pic_io_write(&pp, port, fuzz_u8(&in)) == claimed(port));
            break;
        case 1:
            port = pick_port(&in);
            FUZZ_ASSERT(pic_io_read(&pp, port, &val) == claimed(port));
            FUZZ_ASSERT(claimed(port) || val == 0x5a);
            break;
        case 2: b = fuzz_u8(&in); pic_set_irq(&pp, b & 0x1fu, b & 0x80u); break;
        default: op_ack(); break;
        }
        FUZZ_ASSERT(pic_output(&pp) == reported);
        for (unsigned c = 0; c < 2; c++)
            FUZZ_ASSERT(pp.chip[c].init_step == 0 ||
                        (pp.chip[c].init_step >= 2 && pp.chip[c].init_step <= 4));
    }
    return 0;
}
