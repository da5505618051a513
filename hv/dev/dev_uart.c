/* SPDX-License-Identifier: MIT */
/* The virtual 16550A UART (National PC16550D datasheet). */
#include "hv/dev/dev_uart.h"

#include <string.h>

static bool fifo_on(const struct uart *u)
{
    return (u->fcr & UART_FCR_ENABLE) != 0;
}

static bool loopback(const struct uart *u)
{
    return (u->mcr & UART_MCR_LOOP) != 0;
}

static unsigned rx_capacity(const struct uart *u)
{
    return fifo_on(u) ? UART_FIFO_SIZE : 1;
}

/* FCR bits 7:6: receiver FIFO trigger level. */
static unsigned rx_trigger(const struct uart *u)
{
    static const uint8_t level[4] = { 1, 4, 8, 14 };

    return level[(u->fcr & UART_FCR_TRIG_MASK) >> UART_FCR_TRIG_SHIFT];
}

/* The pending interrupt of highest priority (IIR bits 3:0). */
static uint8_t iir_id(const struct uart *u)
{
    if ((u->ier & UART_IER_ELSI) && (u->lsr_err & UART_LSR_ERRORS))
        return UART_IIR_RLSI;
    if ((u->ier & UART_IER_ERBFI) && u->rx_count) {
        if (!fifo_on(u) || u->rx_count >= rx_trigger(u))
            return UART_IIR_RDI;
        return UART_IIR_CTI; /* below the trigger: timeout deemed expired */
    }
    if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
        return UART_IIR_THRI;
    if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTAS))
        return UART_IIR_MSI;
    return UART_IIR_NO_INT;
}

static void update_irq(struct uart *u)
{
    bool level = iir_id(u) != UART_IIR_NO_INT && (u->mcr & UART_MCR_OUT2) && !loopback(u);

    if (level == u->irq_level)
        return;
    u->irq_level = level;
    u->ops->irq(u->ctx, level);
}

/* Modem status inputs (MSR bits 7:4) for an MCR value. */
static uint8_t modem_inputs(uint8_t mcr)
{
    uint8_t in = 0;

    if (!(mcr & UART_MCR_LOOP))
        return UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD;
    if (mcr & UART_MCR_RTS)
        in |= UART_MSR_CTS;
    if (mcr & UART_MCR_DTR)
        in |= UART_MSR_DSR;
    if (mcr & UART_MCR_OUT1)
        in |= UART_MSR_RI;
    if (mcr & UART_MCR_OUT2)
        in |= UART_MSR_DCD;
    return in;
}

/* New modem inputs: set the delta bits for what changed. */
static void set_modem_inputs(struct uart *u, uint8_t in)
{
    uint8_t old = u->msr, chg = (uint8_t)(old ^ in), d = 0;

    if (chg & UART_MSR_CTS)
        d |= UART_MSR_DCTS;
    if (chg & UART_MSR_DSR)
        d |= UART_MSR_DDSR;
    if (chg & UART_MSR_DCD)
        d |= UART_MSR_DDCD;
    if ((old & UART_MSR_RI) && !(in & UART_MSR_RI))
        d |= UART_MSR_TERI; /* trailing edge of RI */
    u->msr = (uint8_t)(in | (old & UART_MSR_DELTAS) | d);
}

static void rx_clear(struct uart *u)
{
    u->rx_head = 0;
    u->rx_count = 0;
}

/* One received byte; false on an overrun. */
static bool rx_push(struct uart *u, uint8_t b)
{
    if (u->rx_count < rx_capacity(u)) {
        u->rx[(u->rx_head + u->rx_count) % UART_FIFO_SIZE] = b;
        u->rx_count++;
        return true;
    }
    u->lsr_err |= UART_LSR_OE;
    if (!fifo_on(u))
        u->rx[u->rx_head] = b; /* 16450: the new byte replaces the unread one */
    return false;
}

static uint8_t rx_pop(struct uart *u)
{
    uint8_t b;

    if (!u->rx_count)
        return 0;
    b = u->rx[u->rx_head];
    u->rx_head = (uint8_t)((u->rx_head + 1) % UART_FIFO_SIZE);
    u->rx_count--;
    return b;
}

void uart_init(struct uart *u, const struct uart_ops *ops, void *ctx)
{
    memset(u, 0, sizeof(*u));
    u->ops = ops;
    u->ctx = ctx;
    u->dll = 1;
    u->msr = modem_inputs(0);
}

static uint8_t read_reg(struct uart *u, uint16_t off)
{
    uint8_t v, id;

    switch (off) {
    case UART_RBR:
        return (u->lcr & UART_LCR_DLAB) ? u->dll : rx_pop(u);
    case UART_IER:
        return (u->lcr & UART_LCR_DLAB) ? u->dlm : u->ier;
    case UART_IIR:
        id = iir_id(u);
        if (id == UART_IIR_THRI)
            u->thre_pending = false; /* reading the IIR that reports it */
        return (uint8_t)(id | (fifo_on(u) ? UART_IIR_FIFO_ON : 0));
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        v = (uint8_t)(u->lsr_err | UART_LSR_THRE | UART_LSR_TEMT | (u->rx_count ? UART_LSR_DR : 0));
        u->lsr_err = 0;
        return v;
    case UART_MSR:
        v = u->msr;
        u->msr &= (uint8_t)~UART_MSR_DELTAS;
        return v;
    default:
        return u->scr;
    }
}

static void write_thr(struct uart *u, uint8_t val)
{
    u->thre_pending = false;
    if (loopback(u))
        rx_push(u, val);
    else
        u->ops->tx(u->ctx, val);
    u->thre_pending = true; /* sent at once: the THR is empty again */
}

static void write_fcr(struct uart *u, uint8_t val)
{
    bool on = (val & UART_FCR_ENABLE) != 0;

    if (on != fifo_on(u))
        rx_clear(u); /* changing FCR0 empties both FIFOs */
    if (!on) {
        u->fcr &= (uint8_t)~UART_FCR_ENABLE; /* other bits need FCR0 = 1 */
        return;
    }
    u->fcr = val & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIG_MASK);
    if (val & UART_FCR_CLEAR_RX)
        rx_clear(u);
    /* UART_FCR_CLEAR_TX: the transmitter is always empty. */
}

static void write_reg(struct uart *u, uint16_t off, uint8_t val)
{
    switch (off) {
    case UART_THR:
        if (u->lcr & UART_LCR_DLAB)
            u->dll = val;
        else
            write_thr(u, val);
        break;
    case UART_IER:
        if (u->lcr & UART_LCR_DLAB) {
            u->dlm = val;
        } else {
            if ((val & UART_IER_ETBEI) && !(u->ier & UART_IER_ETBEI))
                u->thre_pending = true;
            u->ier = val & UART_IER_MASK;
        }
        break;
    case UART_FCR:
        write_fcr(u, val);
        break;
    case UART_LCR:
        u->lcr = val;
        break;
    case UART_MCR:
        u->mcr = val & UART_MCR_MASK;
        set_modem_inputs(u, modem_inputs(u->mcr));
        break;
    case UART_SCR:
        u->scr = val;
        break;
    default: /* LSR, MSR: factory test writes, ignored */
        break;
    }
}

bool uart_io_read(struct uart *u, uint16_t port_offset, uint8_t *val)
{
    if (port_offset > UART_SCR)
        return false;
    *val = read_reg(u, port_offset);
    update_irq(u);
    return true;
}

bool uart_io_write(struct uart *u, uint16_t port_offset, uint8_t val)
{
    if (port_offset > UART_SCR)
        return false;
    write_reg(u, port_offset, val);
    update_irq(u);
    return true;
}

size_t uart_rx(struct uart *u, const uint8_t *buf, size_t n)
{
    size_t taken = 0;

    if (loopback(u))
        return 0;
    for (size_t i = 0; i < n; i++)
        taken += rx_push(u, buf[i]);
    update_irq(u);
    return taken;
}

size_t uart_rx_space(const struct uart *u)
{
    return loopback(u) ? 0 : rx_capacity(u) - u->rx_count;
}
