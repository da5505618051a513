/* SPDX-License-Identifier: MIT */
/*
 * The virtual 16550A UART: the guest console (COM1, ports 0x3F8-0x3FF, ISA
 * IRQ 4).  Register set of the National PC16550D datasheet; Linux's 8250
 * autoconfig identifies it as a 16550A (scratch/IER test, loopback test,
 * IIR bits 7:6 = 11 with the FIFO on, no EFR, no 64-byte FIFO, IER bits 7:4
 * read 0).
 *
 * Transmit is instantaneous: a THR write goes to ops->tx() at once (or, in
 * loopback, into the receiver), and LSR.THRE and TEMT always read 1.  The
 * THR-empty interrupt is armed when IER.ETBEI goes from 0 to 1 and by every
 * THR write, and disarmed by a THR write (before re-arming) or an IIR read
 * that reports it.
 *
 * Receive: uart_rx() feeds a 16-byte FIFO (FIFO mode) or the one-byte
 * holding register (16450 mode); a byte that finds it full is an overrun
 * (LSR.OE).  With no time model, the character-timeout indication (IIR 0x0C)
 * is given as soon as the FIFO holds fewer bytes than the trigger level: the
 * four character times are deemed to have passed.  In loopback mode the
 * receiver hears only the transmitter (uart_rx() takes nothing).
 *
 * Interrupt output: ops->irq(ctx, level), level = an enabled condition is
 * pending (IIR bit 0 clear) AND MCR.OUT2 AND not loopback: on PC boards OUT2
 * gates the INTR line to the PIC, and loopback forces the OUT2 pin inactive.
 * Called only on changes.
 *
 * Modem: outside loopback, CTS, DSR and DCD are asserted and RI is not.  In
 * loopback, CTS = RTS, DSR = DTR, RI = OUT1, DCD = OUT2, with delta bits.
 * Not modelled: line errors (PE, FE), break, DMA mode, baud-rate timing.
 *
 * Locking: none inside.  The caller holds the VM's device lock around every
 * call; the callbacks run under it.
 */
#ifndef KEEL_HV_DEV_UART_H
#define KEEL_HV_DEV_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UART_COM1_BASE  0x3F8
#define UART_COM1_IRQ   4
#define UART_FIFO_SIZE  16

/* Register offsets. */
#define UART_RBR 0  /* receive buffer (read, DLAB = 0) */
#define UART_THR 0  /* transmit holding (write, DLAB = 0) */
#define UART_DLL 0  /* divisor latch LSB (DLAB = 1) */
#define UART_IER 1  /* interrupt enable (DLAB = 0) */
#define UART_DLM 1  /* divisor latch MSB (DLAB = 1) */
#define UART_IIR 2  /* interrupt identification (read) */
#define UART_FCR 2  /* FIFO control (write) */
#define UART_LCR 3  /* line control */
#define UART_MCR 4  /* modem control */
#define UART_LSR 5  /* line status */
#define UART_MSR 6  /* modem status */
#define UART_SCR 7  /* scratch */

/* IER */
#define UART_IER_ERBFI  0x01u   /* received data available */
#define UART_IER_ETBEI  0x02u   /* transmitter holding register empty */
#define UART_IER_ELSI   0x04u   /* receiver line status */
#define UART_IER_EDSSI  0x08u   /* modem status */
#define UART_IER_MASK   0x0Fu

/* IIR */
#define UART_IIR_NO_INT     0x01u
#define UART_IIR_ID_MASK    0x0Eu
#define UART_IIR_MSI        0x00u   /* modem status (lowest) */
#define UART_IIR_THRI       0x02u   /* THR empty */
#define UART_IIR_RDI        0x04u   /* received data available */
#define UART_IIR_RLSI       0x06u   /* receiver line status (highest) */
#define UART_IIR_CTI        0x0Cu   /* character timeout (FIFO mode) */
#define UART_IIR_FIFO_ON    0xC0u

/* FCR */
#define UART_FCR_ENABLE     0x01u
#define UART_FCR_CLEAR_RX   0x02u
#define UART_FCR_CLEAR_TX   0x04u
#define UART_FCR_DMA        0x08u
#define UART_FCR_TRIG_MASK  0xC0u   /* RX trigger: 1, 4, 8, 14 bytes */
#define UART_FCR_TRIG_SHIFT 6

/* LCR */
#define UART_LCR_DLAB       0x80u
#define UART_LCR_SBC        0x40u   /* set break (stored only) */

/* MCR */
#define UART_MCR_DTR        0x01u
#define UART_MCR_RTS        0x02u
#define UART_MCR_OUT1       0x04u
#define UART_MCR_OUT2       0x08u
#define UART_MCR_LOOP       0x10u
#define UART_MCR_MASK       0x1Fu

/* LSR */
#define UART_LSR_DR         0x01u
#define UART_LSR_OE         0x02u
#define UART_LSR_PE         0x04u
#define UART_LSR_FE         0x08u
#define UART_LSR_BI         0x10u
#define UART_LSR_THRE       0x20u
#define UART_LSR_TEMT       0x40u
#define UART_LSR_FIFOE      0x80u
#define UART_LSR_ERRORS     (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)

/* MSR */
#define UART_MSR_DCTS       0x01u
#define UART_MSR_DDSR       0x02u
#define UART_MSR_TERI       0x04u
#define UART_MSR_DDCD       0x08u
#define UART_MSR_DELTAS     0x0Fu
#define UART_MSR_CTS        0x10u
#define UART_MSR_DSR        0x20u
#define UART_MSR_RI         0x40u
#define UART_MSR_DCD        0x80u

struct uart_ops {
    void (*tx)(void *ctx, uint8_t byte);    /* a byte the guest sent */
    void (*irq)(void *ctx, bool level);     /* the IRQ line (changes only) */
};

struct uart {
    const struct uart_ops *ops;
    void *ctx;
    uint8_t ier, lcr, mcr, scr, dll, dlm;
    uint8_t fcr;            /* FIFO enable, DMA mode and trigger bits */
    uint8_t lsr_err;        /* LSR error bits (OE) until LSR is read */
    uint8_t msr;            /* modem inputs (bits 7:4) and deltas (3:0) */
    bool thre_pending;      /* THR-empty interrupt armed */
    uint8_t rx[UART_FIFO_SIZE];
    uint8_t rx_head, rx_count;
    bool irq_level;         /* last level given to ops->irq */
};

/* Resets *u (IER 0, LCR 0, MCR 0, FIFO off, divisor 1).  ops must outlive u. */
void uart_init(struct uart *u, const struct uart_ops *ops, void *ctx);

/* Guest register access at port_offset 0-7 from the base; false: not ours. */
bool uart_io_read(struct uart *u, uint16_t port_offset, uint8_t *val);
bool uart_io_write(struct uart *u, uint16_t port_offset, uint8_t val);

/* Input from the console.  Returns how many of the n bytes were taken
 * without an overrun; each other byte set LSR.OE (FIFO mode: it is dropped;
 * 16450 mode: it replaced the unread byte).  In loopback mode nothing is
 * taken and no overrun is flagged. */
size_t uart_rx(struct uart *u, const uint8_t *buf, size_t n);

/* Bytes uart_rx() can take now without an overrun (0 in loopback): a console
 * that must not lose input feeds at most this many. */
size_t uart_rx_space(const struct uart *u);

#endif /* KEEL_HV_DEV_UART_H */
