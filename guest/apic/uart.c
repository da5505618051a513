/* SPDX-License-Identifier: MIT */
/*
 * The 16550 UART at COM1 (NS16550A datasheet): the scratch register keeps
 * what is written, and in loopback mode transmitted bytes come back and
 * the modem outputs show up as the modem status inputs.
 *
 * Under plain QEMU COM1 is the console: nothing is printed while the UART
 * is in loopback (the checks run after it is restored).
 */
#include <stdio.h>

#include "chipset.h"
#include "suite.h"

#define UART_WAIT_MS    100

static uint8_t uart_in(unsigned reg)
{
    return rt_inb((uint16_t)(COM1_BASE + reg));
}

static void uart_out(unsigned reg, uint8_t v)
{
    rt_outb((uint16_t)(COM1_BASE + reg), v);
}

static bool uart_wait_lsr(uint8_t bit)
{
    uint64_t deadline = rt_rdtsc() + rt_ms_to_tsc(UART_WAIT_MS);

    while (!(uart_in(UART_LSR) & bit))
        if (rt_rdtsc() >= deadline)
            return false;
    return true;
}

APIC_TEST(uart_scratch_register)
{
    static const uint8_t patterns[] = {0x55, 0xaa, 0x00, 0xff, 0x5a};
    uint8_t saved = uart_in(UART_SCR);

    for (unsigned i = 0; i < sizeof(patterns); i++) {
        uart_out(UART_SCR, patterns[i]);
        EXPECT_EQ(uart_in(UART_SCR), patterns[i]);
    }
    uart_out(UART_SCR, saved);
}

/* MCR outputs and the MSR input each one loops back to. */
static const struct {
    uint8_t mcr, msr;
} modem_loop[] = {
    {UART_MCR_DTR, UART_MSR_DSR},
    {UART_MCR_RTS, UART_MSR_CTS},
    {UART_MCR_OUT1, UART_MSR_RI},
    {UART_MCR_OUT2, UART_MSR_DCD},
};

#define LOOP_BYTES 3

APIC_TEST(uart_loopback)
{
    static const uint8_t bytes[LOOP_BYTES] = {0x5a, 0xa5, 0x0d};
    uint8_t msr[4], got[LOOP_BYTES] = {0}, ready[LOOP_BYTES] = {0};

    rt_console_flush();
    uart_wait_lsr(UART_LSR_TEMT);       /* the console's last byte is out */
    uint8_t mcr = uart_in(UART_MCR), ier = uart_in(UART_IER);
    uart_out(UART_IER, 0);
    while (uart_in(UART_LSR) & UART_LSR_DR)
        (void)uart_in(UART_RBR);
    for (unsigned i = 0; i < 4; i++) {
        uart_out(UART_MCR, UART_MCR_LOOP | modem_loop[i].mcr);
        msr[i] = uart_in(UART_MSR) & 0xf0;
    }
    uart_out(UART_MCR, UART_MCR_LOOP);
    for (unsigned i = 0; i < LOOP_BYTES; i++) {
        uart_out(UART_THR, bytes[i]);
        ready[i] = uart_wait_lsr(UART_LSR_DR);
        got[i] = uart_in(UART_RBR);
    }
    uint8_t left = uart_in(UART_LSR) & UART_LSR_DR;
    uart_out(UART_MCR, mcr);
    uart_out(UART_IER, ier);

    for (unsigned i = 0; i < 4; i++)
        if (!EXPECT_EQ(msr[i], modem_loop[i].msr))
            printf("  MCR %#x in loopback: MSR %#x\n", modem_loop[i].mcr, msr[i]);
    for (unsigned i = 0; i < LOOP_BYTES; i++) {
        EXPECT(ready[i]);
        EXPECT_EQ(got[i], bytes[i]);
    }
    EXPECT_EQ(left, 0);
}
