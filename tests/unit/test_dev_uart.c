/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/dev/dev_uart.c: the 16550A register set (PC16550D
 * datasheet), interrupt priorities, FIFO and overrun, loopback, the THRE
 * interrupt rules, and Linux 8250 probing (drivers/tty/serial/8250/
 * 8250_port.c autoconfig(), autoconfig_16550a(), size_fifo() and the
 * start-up THRE tests), replayed register by register.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "hv/dev/dev_uart.h"

static struct uart u;
static uint8_t txbuf[1024];
static unsigned ntx, nirq;
static bool irq_level, irq_ok = true;
static unsigned ncases;

static void fake_tx(void *ctx, uint8_t b)
{
    (void)ctx;
    if (ntx < sizeof(txbuf))
        txbuf[ntx] = b;
    ntx++;
}

static void fake_irq(void *ctx, bool level)
{
    (void)ctx;
    if (level == irq_level)
        irq_ok = false; /* changes only */
    irq_level = level;
    nirq++;
}

static const struct uart_ops ops = { .tx = fake_tx, .irq = fake_irq };

#define RUN(t) (ncases++, t())

static void reset(void)
{
    ntx = nirq = 0;
    irq_level = false;
    irq_ok = true;
    uart_init(&u, &ops, NULL);
}

static void out(uint16_t off, uint8_t v)
{
    CHECK(uart_io_write(&u, off, v));
}

static uint8_t in(uint16_t off)
{
    uint8_t v = 0x5A;

    CHECK(uart_io_read(&u, off, &v));
    return v;
}

static void rx(const char *s)
{
    uart_rx(&u, (const uint8_t *)s, strlen(s));
}

/* ---------------------------------------------------------------- registers */

static void test_reset_values(void)
{
    reset();
    CHECK_EQ(in(UART_IER), 0);
    CHECK_EQ(in(UART_IIR), 0x01);
    CHECK_EQ(in(UART_LCR), 0);
    CHECK_EQ(in(UART_MCR), 0);
    CHECK_EQ(in(UART_LSR), 0x60);
    CHECK_EQ(in(UART_MSR), 0xB0); /* CTS, DSR, DCD */
    CHECK_EQ(in(UART_SCR), 0);
    CHECK_EQ(nirq, 0);
}

static void test_scratch(void)
{
    reset();
    for (unsigned v = 0; v < 256; v += 0x55) {
        out(UART_SCR, (uint8_t)v);
        CHECK_EQ(in(UART_SCR), v);
    }
}

static void test_ier_masks_high_bits(void)
{
    reset();
    out(UART_IER, 0xFF);
    CHECK_EQ(in(UART_IER), 0x0F);
    out(UART_IER, 0xF0);
    CHECK_EQ(in(UART_IER), 0x00);
}

static void test_dlab(void)
{
    reset();
    out(UART_IER, 0x05);
    out(UART_LCR, 0x83);
    out(UART_DLL, 0x0C);
    out(UART_DLM, 0x01);
    CHECK_EQ(in(UART_DLL), 0x0C);
    CHECK_EQ(in(UART_DLM), 0x01);
    CHECK_EQ(ntx, 0);                       /* DLL writes do not transmit */
    out(UART_LCR, 0x03);
    CHECK_EQ(in(UART_LCR), 0x03);
    CHECK_EQ(in(UART_IER), 0x05);
    out(UART_LCR, 0x80);
    CHECK_EQ(in(UART_DLL), 0x0C);           /* kept */
}

static void test_lcr_mcr_readback(void)
{
    reset();
    out(UART_LCR, 0x5B);
    CHECK_EQ(in(UART_LCR), 0x5B);
    out(UART_MCR, 0xEF);
    CHECK_EQ(in(UART_MCR), 0x0F);           /* bits 7:5 read 0, not loopback */
    out(UART_MCR, 0x0B);
    CHECK_EQ(in(UART_MCR), 0x0B);
}

static void test_not_our_offsets(void)
{
    uint8_t v = 0x33;

    reset();
    CHECK(!uart_io_read(&u, 8, &v));
    CHECK(!uart_io_write(&u, 9, 0));
    CHECK_EQ(v, 0x33);
}

static void test_lsr_msr_writes_ignored(void)
{
    reset();
    out(UART_LSR, 0xFF);
    out(UART_MSR, 0xFF);
    CHECK_EQ(in(UART_LSR), 0x60);
    CHECK_EQ(in(UART_MSR), 0xB0);
}

/* ---------------------------------------------------------------- transmit */

static void test_tx_immediate(void)
{
    reset();
    out(UART_THR, 'h');
    out(UART_THR, 'i');
    CHECK_EQ(ntx, 2);
    CHECK_EQ(txbuf[0], 'h');
    CHECK_EQ(txbuf[1], 'i');
    CHECK_EQ(in(UART_LSR) & 0x60, 0x60);    /* THRE and TEMT */
}

static void test_thre_on_enable(void)
{
    reset();
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ETBEI);
    CHECK(irq_level);
    CHECK_EQ(in(UART_IIR), 0x02);           /* reading it clears THRE */
    CHECK(!irq_level);
    CHECK_EQ(in(UART_IIR), 0x01);
    CHECK(irq_ok);
}

static void test_thre_after_write(void)
{
    reset();
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ETBEI);
    CHECK_EQ(in(UART_IIR), 0x02);
    out(UART_THR, 'x');                     /* sent at once: THR empty again */
    CHECK(irq_level);
    CHECK_EQ(in(UART_IIR), 0x02);
    CHECK_EQ(in(UART_IIR), 0x01);
}

static void test_thre_not_rearmed_by_ier_rewrite(void)
{
    reset();
    out(UART_IER, UART_IER_ETBEI);
    CHECK_EQ(in(UART_IIR), 0x02);
    out(UART_IER, UART_IER_ETBEI | UART_IER_ERBFI); /* ETBEI stays on */
    CHECK_EQ(in(UART_IIR), 0x01);
}

static void test_thre_masked_then_enabled(void)
{
    reset();
    out(UART_THR, 'a');                     /* no ETBEI: nothing reported */
    CHECK_EQ(in(UART_IIR), 0x01);
    out(UART_IER, UART_IER_ETBEI);
    CHECK_EQ(in(UART_IIR), 0x02);
}

/* serial8250_do_startup(): the UART_BUG_THRE and UART_BUG_TXEN tests. */
static void test_linux_startup_thre_tests(void)
{
    uint8_t iir1, iir, lsr;

    reset();
    out(UART_IER, UART_IER_ETBEI);
    iir1 = in(UART_IIR);
    out(UART_IER, 0);
    out(UART_IER, UART_IER_ETBEI);
    iir = in(UART_IIR);
    out(UART_IER, 0);
    CHECK(!(!(iir1 & UART_IIR_NO_INT) && (iir & UART_IIR_NO_INT))); /* no BUG_THRE */
    out(UART_IER, UART_IER_ETBEI);
    lsr = in(UART_LSR);
    iir = in(UART_IIR);
    out(UART_IER, 0);
    CHECK(!((lsr & UART_LSR_TEMT) && (iir & UART_IIR_NO_INT))); /* no BUG_TXEN */
}

/* ---------------------------------------------------------------- receive */

static void test_rx_basic(void)
{
    reset();
    CHECK_EQ(in(UART_LSR) & UART_LSR_DR, 0);
    rx("A");
    CHECK_EQ(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    CHECK_EQ(in(UART_RBR), 'A');
    CHECK_EQ(in(UART_LSR) & UART_LSR_DR, 0);
    CHECK_EQ(in(UART_RBR), 0);              /* empty */
}

static void test_rx_interrupt_16450(void)
{
    reset();
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ERBFI);
    CHECK(!irq_level);
    rx("z");
    CHECK(irq_level);
    CHECK_EQ(in(UART_IIR), 0x04);
    CHECK_EQ(in(UART_RBR), 'z');
    CHECK(!irq_level);
    CHECK_EQ(in(UART_IIR), 0x01);
}

static void test_rx_overrun_16450(void)
{
    reset();
    CHECK_EQ(uart_rx_space(&u), 1);
    CHECK_EQ(uart_rx(&u, (const uint8_t *)"ab", 2), 1);
    CHECK_EQ(in(UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR);
    CHECK_EQ(in(UART_RBR), 'b');            /* the new byte replaced the old */
    CHECK_EQ(in(UART_LSR) & UART_LSR_OE, 0); /* cleared by the LSR read */
}

static void test_fifo_16_then_overrun(void)
{
    uint8_t b[20];

    reset();
    out(UART_FCR, UART_FCR_ENABLE);
    for (unsigned i = 0; i < 20; i++)
        b[i] = (uint8_t)('a' + i);
    CHECK_EQ(uart_rx_space(&u), 16);
    CHECK_EQ(uart_rx(&u, b, 20), 16);
    CHECK_EQ(uart_rx_space(&u), 0);
    CHECK_EQ(in(UART_LSR) & UART_LSR_OE, UART_LSR_OE);
    CHECK_EQ(in(UART_LSR) & UART_LSR_OE, 0);
    for (unsigned i = 0; i < 16; i++)
        CHECK_EQ(in(UART_RBR), 'a' + i);   /* the first 16, in order */
    CHECK_EQ(in(UART_LSR) & UART_LSR_DR, 0);
}

static void test_fifo_wraparound_order(void)
{
    reset();
    out(UART_FCR, UART_FCR_ENABLE);
    for (unsigned round = 0; round < 5; round++) {
        rx("0123456789");
        for (unsigned i = 0; i < 10; i++)
            CHECK_EQ(in(UART_RBR), '0' + i);
    }
    CHECK_EQ(in(UART_LSR) & (UART_LSR_DR | UART_LSR_OE), 0);
}

static void test_fifo_clear_rx(void)
{
    reset();
    out(UART_FCR, UART_FCR_ENABLE);
    rx("abc");
    out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX);
    CHECK_EQ(in(UART_LSR) & UART_LSR_DR, 0);
    CHECK_EQ(in(UART_IIR), 0xC1);           /* still enabled */
    rx("d");
    out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_TX);
    CHECK_EQ(in(UART_RBR), 'd');            /* TX reset leaves RX alone */
}

static void test_fifo_disable_clears(void)
{
    reset();
    out(UART_FCR, UART_FCR_ENABLE);
    rx("abc");
    out(UART_FCR, 0);
    CHECK_EQ(in(UART_LSR) & UART_LSR_DR, 0);
    CHECK_EQ(in(UART_IIR), 0x01);           /* bits 7:6 clear */
    CHECK_EQ(uart_rx_space(&u), 1);
}

static void test_iir_fifo_bits(void)
{
    reset();
    CHECK_EQ(in(UART_IIR) & 0xC0, 0);
    out(UART_FCR, UART_FCR_ENABLE);
    CHECK_EQ(in(UART_IIR), 0xC1);
    out(UART_FCR, 0x21);                    /* 64-byte bit: no 16750 here */
    CHECK_EQ(in(UART_IIR), 0xC1);
}

static void test_trigger_levels(void)
{
    static const unsigned level[4] = { 1, 4, 8, 14 };

    for (unsigned t = 0; t < 4; t++) {
        reset();
        out(UART_FCR, (uint8_t)(UART_FCR_ENABLE | t << 6));
        out(UART_IER, UART_IER_ERBFI);
        for (unsigned i = 1; i <= level[t]; i++) {
            rx("x");
            CHECK_EQ(in(UART_IIR) & 0x0F, i < level[t] ? UART_IIR_CTI : UART_IIR_RDI);
        }
    }
}

static void test_char_timeout(void)
{
    reset();
    out(UART_FCR, 0x41);                    /* trigger 4 */
    out(UART_IER, UART_IER_ERBFI);
    rx("ab");
    CHECK_EQ(in(UART_IIR), 0xCC);           /* below the trigger: timeout */
    rx("cd");
    CHECK_EQ(in(UART_IIR), 0xC4);
    (void)in(UART_RBR);
    CHECK_EQ(in(UART_IIR), 0xCC);
    (void)in(UART_RBR);
    (void)in(UART_RBR);
    (void)in(UART_RBR);
    CHECK_EQ(in(UART_IIR), 0xC1);
}

static void test_rx_n_zero(void)
{
    reset();
    CHECK_EQ(uart_rx(&u, NULL, 0), 0);
    CHECK_EQ(in(UART_LSR), 0x60);
}

/* ---------------------------------------------------------------- priorities */

static void test_priority_rls_over_rda(void)
{
    reset();
    out(UART_IER, UART_IER_MASK);
    rx("ab");                               /* 16450 mode: overrun */
    CHECK_EQ(in(UART_IIR), 0x06);
    (void)in(UART_LSR);                     /* clears the line status */
    CHECK_EQ(in(UART_IIR), 0x04);
}

static void test_priority_rda_over_thre(void)
{
    reset();
    out(UART_IER, UART_IER_ERBFI | UART_IER_ETBEI);
    rx("a");
    CHECK_EQ(in(UART_IIR), 0x04);           /* THRE waits */
    (void)in(UART_RBR);
    CHECK_EQ(in(UART_IIR), 0x02);
    CHECK_EQ(in(UART_IIR), 0x01);
}

static void test_priority_thre_over_msi(void)
{
    reset();
    out(UART_MCR, UART_MCR_LOOP);           /* DSR, CTS, DCD drop: deltas */
    out(UART_IER, UART_IER_ETBEI | UART_IER_EDSSI);
    CHECK_EQ(in(UART_IIR), 0x02);
    CHECK_EQ(in(UART_IIR), 0x00);           /* modem status */
    CHECK_EQ(in(UART_MSR) & 0x0F, UART_MSR_DCTS | UART_MSR_DDSR | UART_MSR_DDCD);
    CHECK_EQ(in(UART_IIR), 0x01);
}

static void test_disabled_sources_silent(void)
{
    reset();
    out(UART_MCR, UART_MCR_OUT2);
    rx("ab");
    out(UART_THR, 'x');
    CHECK_EQ(in(UART_IIR), 0x01);           /* nothing enabled */
    CHECK_EQ(nirq, 0);
}

/* ---------------------------------------------------------------- loopback */

static void test_loopback_tx_to_rx(void)
{
    reset();
    out(UART_MCR, UART_MCR_LOOP);
    out(UART_THR, 'Q');
    CHECK_EQ(ntx, 0);                       /* nothing leaves the chip */
    CHECK_EQ(in(UART_LSR) & UART_LSR_DR, UART_LSR_DR);
    CHECK_EQ(in(UART_RBR), 'Q');
    out(UART_MCR, 0);
    out(UART_THR, 'R');
    CHECK_EQ(ntx, 1);
}

static void test_loopback_modem_mapping(void)
{
    reset();
    out(UART_MCR, UART_MCR_LOOP);
    CHECK_EQ(in(UART_MSR) & 0xF0, 0x00);
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
    CHECK_EQ(in(UART_MSR) & 0xF0, UART_MSR_DSR);
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
    CHECK_EQ(in(UART_MSR) & 0xF0, UART_MSR_CTS);
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
    CHECK_EQ(in(UART_MSR) & 0xF0, UART_MSR_RI);
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    CHECK_EQ(in(UART_MSR) & 0xF0, UART_MSR_DCD);
    out(UART_MCR, 0);
    CHECK_EQ(in(UART_MSR) & 0xF0, 0xB0);
}

static void test_loopback_deltas_and_teri(void)
{
    reset();
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
    (void)in(UART_MSR);
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2); /* DTR off */
    CHECK_EQ(in(UART_MSR), UART_MSR_CTS | UART_MSR_DCD | UART_MSR_DDSR);
    CHECK_EQ(in(UART_MSR) & 0x0F, 0);       /* deltas cleared by the read */
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1); /* RI rises: no TERI */
    CHECK_EQ(in(UART_MSR) & (UART_MSR_RI | UART_MSR_TERI), UART_MSR_RI);
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1 | UART_MCR_DTR);
    CHECK_EQ(in(UART_MSR) & UART_MSR_TERI, 0); /* RI stays: no trailing edge */
    out(UART_MCR, UART_MCR_LOOP);            /* RI falls */
    CHECK_EQ(in(UART_MSR) & UART_MSR_TERI, UART_MSR_TERI);
}

static void test_loopback_ignores_line_input(void)
{
    reset();
    out(UART_MCR, UART_MCR_LOOP);
    CHECK_EQ(uart_rx_space(&u), 0);
    CHECK_EQ(uart_rx(&u, (const uint8_t *)"x", 1), 0);
    CHECK_EQ(in(UART_LSR) & (UART_LSR_DR | UART_LSR_OE), 0);
}

static void test_loopback_fifo_overrun(void)
{
    reset();
    out(UART_FCR, UART_FCR_ENABLE);
    out(UART_MCR, UART_MCR_LOOP);
    for (unsigned i = 0; i < 20; i++)
        out(UART_THR, (uint8_t)i);
    CHECK_EQ(in(UART_LSR) & UART_LSR_OE, UART_LSR_OE);
    for (unsigned i = 0; i < 16; i++)
        CHECK_EQ(in(UART_RBR), i);
    CHECK_EQ(in(UART_LSR) & UART_LSR_DR, 0);
}

/* ---------------------------------------------------------------- IRQ line */

static void test_irq_needs_out2(void)
{
    reset();
    out(UART_IER, UART_IER_ERBFI);
    rx("a");
    CHECK(!irq_level);                      /* pending, but OUT2 gates INTR */
    CHECK_EQ(in(UART_IIR), 0x04);
    out(UART_MCR, UART_MCR_OUT2);
    CHECK(irq_level);
    out(UART_MCR, 0);
    CHECK(!irq_level);
    CHECK(irq_ok);
}

static void test_irq_low_in_loopback(void)
{
    reset();
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ERBFI);
    rx("a");
    CHECK(irq_level);
    out(UART_MCR, UART_MCR_OUT2 | UART_MCR_LOOP); /* OUT2 pin forced inactive */
    CHECK(!irq_level);
    CHECK_EQ(in(UART_IIR), 0x04);           /* still identified */
    out(UART_MCR, UART_MCR_OUT2);
    CHECK(irq_level);
}

static void test_irq_follows_conditions(void)
{
    reset();
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
    rx("ab");                               /* data + overrun */
    CHECK(irq_level);
    (void)in(UART_LSR);
    CHECK(irq_level);                       /* data still there */
    (void)in(UART_RBR);
    CHECK(!irq_level);
    CHECK_EQ(nirq, 2);                      /* one raise, one drop */
    CHECK(irq_ok);
}

static void test_irq_ier_disable_drops(void)
{
    reset();
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ERBFI);
    rx("a");
    CHECK(irq_level);
    out(UART_IER, 0);
    CHECK(!irq_level);
    out(UART_IER, UART_IER_ERBFI);
    CHECK(irq_level);
}

/* ---------------------------------------------------------------- Linux */

/* autoconfig(): the IER test, loopback test, FIFO type and the 16550A
 * variant checks.  Returns true when every step gives the 16550A answer. */
static bool linux_autoconfig_16550a(void)
{
    uint8_t save_ier, s2, s3, save_mcr, save_lcr, st1, st2, ier;
    bool ok = true;

    save_ier = in(UART_IER);
    out(UART_IER, 0);
    s2 = in(UART_IER) & 0x0F;
    out(UART_IER, 0x0F);
    s3 = in(UART_IER) & 0x0F;
    out(UART_IER, save_ier);
    ok &= s2 == 0 && s3 == 0x0F;
    save_mcr = in(UART_MCR);
    save_lcr = in(UART_LCR);
    out(UART_MCR, UART_MCR_LOOP | 0x0A);
    st1 = in(UART_MSR) & 0xF0;
    out(UART_MCR, save_mcr);
    ok &= st1 == 0x90;
    out(UART_LCR, 0xBF);                    /* EFR would be at offset 2 */
    out(2, 0);
    out(UART_LCR, 0);
    out(UART_FCR, UART_FCR_ENABLE);
    ok &= (in(UART_IIR) >> 6) == 3;         /* -> autoconfig_16550a() */
    out(UART_LCR, 0x80);
    ok &= in(2) != 0;                       /* no EFR behind DLAB */
    out(UART_LCR, 0xBF);
    ok &= in(2) != 0;                       /* no EFRv2 */
    out(UART_LCR, 0);                       /* National SuperIO check */
    st1 = in(UART_MCR);
    out(UART_LCR, 0xE0);
    st2 = in(2);
    if (!((st2 ^ st1) & UART_MCR_LOOP)) {
        out(UART_LCR, 0);
        out(UART_MCR, st1 ^ UART_MCR_LOOP);
        out(UART_LCR, 0xE0);
        st2 = in(2);
        out(UART_LCR, 0);
        out(UART_MCR, st1);
        ok &= !((st2 ^ st1) & UART_MCR_LOOP);
    }
    out(UART_LCR, 0);                       /* TI16750 check */
    out(UART_FCR, UART_FCR_ENABLE | 0x20);
    st1 = in(UART_IIR) & 0xE0;
    out(UART_FCR, UART_FCR_ENABLE);
    out(UART_LCR, 0x80);
    out(UART_FCR, UART_FCR_ENABLE | 0x20);
    st2 = in(UART_IIR) & 0xE0;
    out(UART_LCR, 0);
    ok &= !(st1 == 0xC0 && st2 == 0xE0);
    ier = in(UART_IER);                     /* XScale UUE bit */
    out(UART_IER, ier & ~0x40);
    if (!(in(UART_IER) & 0x40)) {
        out(UART_IER, ier | 0x40);
        ok &= !(in(UART_IER) & 0x40);
    }
    out(UART_IER, ier);
    out(UART_LCR, save_lcr);
    return ok;
}

/* size_fifo(): bytes a loopback burst leaves in the receiver. */
static unsigned linux_size_fifo(void)
{
    uint8_t old_lcr, old_fcr, old_mcr, dll, dlm;
    unsigned count;

    old_lcr = in(UART_LCR);
    out(UART_LCR, 0);
    old_fcr = in(UART_FCR);
    old_mcr = in(UART_MCR);
    out(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
    out(UART_MCR, UART_MCR_LOOP);
    out(UART_LCR, 0x80);
    dll = in(UART_DLL);
    dlm = in(UART_DLM);
    out(UART_DLL, 1);
    out(UART_DLM, 0);
    out(UART_LCR, 0x03);
    for (count = 0; count < 256; count++)
        out(UART_THR, (uint8_t)count);
    for (count = 0; (in(UART_LSR) & UART_LSR_DR) && count < 256; count++)
        (void)in(UART_RBR);
    out(UART_FCR, old_fcr);
    out(UART_MCR, old_mcr);
    out(UART_LCR, 0x80);
    out(UART_DLL, dll);
    out(UART_DLM, dlm);
    out(UART_LCR, old_lcr);
    return count;
}

static void test_linux_autoconfig(void)
{
    reset();
    out(UART_LCR, 0x03);
    out(UART_MCR, 0x0B);
    CHECK(linux_autoconfig_16550a());
    CHECK_EQ(in(UART_LCR), 0x03);
    CHECK_EQ(in(UART_MCR), 0x0B);
    CHECK_EQ(ntx, 0);
}

static void test_linux_size_fifo(void)
{
    reset();
    CHECK(linux_autoconfig_16550a());
    CHECK_EQ(linux_size_fifo(), 16);        /* 16550A, not U6 (64) */
    CHECK_EQ(in(UART_MCR), 0);
    CHECK_EQ(ntx, 0);
}

/* The 8250 interrupt handler's loop, after a console burst. */
static void test_linux_isr_drain(void)
{
    char got[40];
    unsigned n = 0;

    reset();
    out(UART_FCR, 0xC7);                    /* FIFO on, trigger 14 */
    out(UART_MCR, 0x0B);
    out(UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
    rx("hello world");
    CHECK(irq_level);
    while (!(in(UART_IIR) & UART_IIR_NO_INT)) {
        while ((in(UART_LSR) & UART_LSR_DR) && n < sizeof(got))
            got[n++] = (char)in(UART_RBR);
    }
    CHECK_EQ(n, 11);
    CHECK(memcmp(got, "hello world", 11) == 0);
    CHECK(!irq_level);
}

static void test_iir_readable_with_dlab(void)
{
    reset();
    out(UART_FCR, UART_FCR_ENABLE);
    out(UART_IER, UART_IER_ETBEI);
    out(UART_LCR, UART_LCR_DLAB);
    CHECK_EQ(in(UART_IIR), 0xC2);           /* offset 2 ignores DLAB */
    out(UART_FCR, 0);                       /* and so does FCR */
    CHECK_EQ(in(UART_IIR), 0x01);
}

static void test_etbei_off_hides_thre(void)
{
    reset();
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ETBEI);
    CHECK(irq_level);
    out(UART_IER, 0);
    CHECK(!irq_level);
    CHECK_EQ(in(UART_IIR), 0x01);
}

static void test_break_bit_stored(void)
{
    reset();
    out(UART_LCR, UART_LCR_SBC | 0x03);
    out(UART_THR, 'b');
    CHECK_EQ(in(UART_LCR), 0x43);
    CHECK_EQ(ntx, 1);
    CHECK_EQ(in(UART_LSR) & UART_LSR_BI, 0); /* break is not modelled */
}

static void test_rx_space_partial(void)
{
    reset();
    out(UART_FCR, UART_FCR_ENABLE);
    rx("12345");
    CHECK_EQ(uart_rx_space(&u), 11);
    (void)in(UART_RBR);
    CHECK_EQ(uart_rx_space(&u), 12);
    CHECK_EQ(uart_rx(&u, (const uint8_t *)"abcdefghijkl", 12), 12);
    CHECK_EQ(in(UART_LSR) & UART_LSR_OE, 0);
}

int main(void)
{
    RUN(test_reset_values);
    RUN(test_scratch);
    RUN(test_ier_masks_high_bits);
    RUN(test_dlab);
    RUN(test_lcr_mcr_readback);
    RUN(test_not_our_offsets);
    RUN(test_lsr_msr_writes_ignored);
    RUN(test_tx_immediate);
    RUN(test_thre_on_enable);
    RUN(test_thre_after_write);
    RUN(test_thre_not_rearmed_by_ier_rewrite);
    RUN(test_thre_masked_then_enabled);
    RUN(test_linux_startup_thre_tests);
    RUN(test_rx_basic);
    RUN(test_rx_interrupt_16450);
    RUN(test_rx_overrun_16450);
    RUN(test_fifo_16_then_overrun);
    RUN(test_fifo_wraparound_order);
    RUN(test_fifo_clear_rx);
    RUN(test_fifo_disable_clears);
    RUN(test_iir_fifo_bits);
    RUN(test_trigger_levels);
    RUN(test_char_timeout);
    RUN(test_rx_n_zero);
    RUN(test_priority_rls_over_rda);
    RUN(test_priority_rda_over_thre);
    RUN(test_priority_thre_over_msi);
    RUN(test_disabled_sources_silent);
    RUN(test_loopback_tx_to_rx);
    RUN(test_loopback_modem_mapping);
    RUN(test_loopback_deltas_and_teri);
    RUN(test_loopback_ignores_line_input);
    RUN(test_loopback_fifo_overrun);
    RUN(test_irq_needs_out2);
    RUN(test_irq_low_in_loopback);
    RUN(test_irq_follows_conditions);
    RUN(test_irq_ier_disable_drops);
    RUN(test_linux_autoconfig);
    RUN(test_linux_size_fifo);
    RUN(test_linux_isr_drain);
    RUN(test_iir_readable_with_dlab);
    RUN(test_etbei_off_hides_thre);
    RUN(test_break_bit_stored);
    RUN(test_rx_space_partial);
    printf("test_dev_uart: %u cases\n", ncases);
    return check_report("test_dev_uart");
}
