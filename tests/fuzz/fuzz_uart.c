/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/dev_uart.c: the guest console's 16550A.  The input is a program
 * of register writes and reads (offsets 0-7, now and then beyond) and
 * console input.  Invariants, after every operation:
 *   - the IRQ line is reported on every change and only then, and it is
 *     what IIR, MCR.OUT2 and loopback say it should be;
 *   - the receiver holds at most 16 bytes (1 without the FIFO); LSR always
 *     has THRE and TEMT, and DR exactly when a byte is waiting; IIR has
 *     bits 5:4 clear and bits 7:6 set exactly with the FIFO on;
 *   - console input takes as many bytes as uart_rx_space() promised (none
 *     in loopback); a THR write outside loopback is sent once;
 *   - with the FIFO on and no loopback, bytes come out of RBR in the order
 *     they went in.
 */
#include "fuzz.h"
#include "hv/dev/dev_uart.h"

#define MAX_OPS 1000

static struct uart u;
static bool reported;
static unsigned ntx;
static uint8_t last_tx;
/* The bytes the receiver should hold, oldest first, while `known`. */
static uint8_t queue[UART_FIFO_SIZE];
static unsigned qlen;
static bool known;

static void tx(void *ctx, uint8_t byte)
{
    ntx++;
    last_tx = byte;
}

static void irq(void *ctx, bool level)
{
    FUZZ_ASSERT(level != reported);
    reported = level;
}

static void quiet_tx(void *ctx, uint8_t byte) {}
static void quiet_irq(void *ctx, bool level) {}

static const struct uart_ops ops = { tx, irq };
static const struct uart_ops quiet = { quiet_tx, quiet_irq };

static bool fifo_on(void)
{
    return (u.fcr & UART_FCR_ENABLE) != 0;
}

static bool loop(void)
{
    return (u.mcr & UART_MCR_LOOP) != 0;
}

/* IIR as the guest would read it now, read from a copy: reading has side
 * effects (it consumes a THR-empty indication). */
static uint8_t peek_iir(void)
{
    struct uart copy = u;
    uint8_t v = 0;

    copy.ops = &quiet;
    FUZZ_ASSERT(uart_io_read(&copy, UART_IIR, &v));
    return v;
}

static void check_state(void)
{
    uint8_t iir = peek_iir(), lsr = 0;
    struct uart copy = u;

    FUZZ_ASSERT(u.rx_count <= (fifo_on() ? UART_FIFO_SIZE : 1) && u.rx_head < UART_FIFO_SIZE);
    FUZZ_ASSERT((iir & 0x30u) == 0 && ((iir & UART_IIR_FIFO_ON) == UART_IIR_FIFO_ON) == fifo_on());
    FUZZ_ASSERT((iir & UART_IIR_FIFO_ON) == 0 || (iir & UART_IIR_FIFO_ON) == UART_IIR_FIFO_ON);
    FUZZ_ASSERT(reported == u.irq_level);
    FUZZ_ASSERT(u.irq_level == (!(iir & UART_IIR_NO_INT) && (u.mcr & UART_MCR_OUT2) && !loop()));
    copy.ops = &quiet;
    FUZZ_ASSERT(uart_io_read(&copy, UART_LSR, &lsr));
    FUZZ_ASSERT((lsr & (UART_LSR_THRE | UART_LSR_TEMT)) == (UART_LSR_THRE | UART_LSR_TEMT));
    FUZZ_ASSERT(!(lsr & UART_LSR_DR) == (u.rx_count == 0));
    if (!known && u.rx_count == 0 && fifo_on() && !loop()) {
        known = true;
        qlen = 0;
    }
    if (known)
        FUZZ_ASSERT(qlen == u.rx_count);
}

static void op_rx(struct fuzz_in *in)
{
    size_t n = fuzz_u8(in) % 24, space = uart_rx_space(&u), taken;
    uint8_t buf[24];

    for (size_t i = 0; i < n; i++)
        buf[i] = fuzz_u8(in);
    taken = uart_rx(&u, buf, n);
    FUZZ_ASSERT(taken == (n < space ? n : space) && (!loop() || taken == 0));
    for (size_t i = 0; known && i < taken; i++)
        queue[qlen++] = buf[i];
}

static void op_read(uint16_t off)
{
    bool rbr = off == UART_RBR && !(u.lcr & UART_LCR_DLAB);
    bool had = u.rx_count > 0;
    uint8_t v = 0;

    FUZZ_ASSERT(uart_io_read(&u, off, &v) == (off < 8));
    if (rbr && known && had) {
        FUZZ_ASSERT(v == queue[0]);
        memmove(queue, queue + 1, --qlen);
    }
}

static void op_write(uint16_t off, uint8_t v)
{
    bool thr = off == UART_THR && !(u.lcr & UART_LCR_DLAB), lp = loop();
    unsigned before = ntx;

    /* A FIFO reset, mode change or loopback byte: stop predicting until
     * the receiver is empty again. */
    if (off == UART_FCR || off == UART_MCR || (thr && lp))
        known = false;
    FUZZ_ASSERT(uart_io_write(&u, off, v) == (off < 8));
    if (thr)
        FUZZ_ASSERT(ntx == before + !lp && (lp || last_tx == v));
    else
        FUZZ_ASSERT(ntx == before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    reported = false;
    known = false;
    ntx = 0;
    uart_init(&u, &ops, NULL);
    check_state();
    for (unsigned n = 0; n < MAX_OPS && fuzz_more(&in); n++) {
        uint8_t op = fuzz_u8(&in), off = op & 0x80u ? fuzz_u8(&in) % 10 : (op >> 2) & 7u;

        switch (op & 3u) {
        case 0: op_write(off, fuzz_u8(&in)); break;
        case 1: op_read(off); break;
        default: op_rx(&in); break;
        }
        check_state();
    }
    return 0;
}
