/* SPDX-License-Identifier: MIT */
/*
 * echo: a guest for the console tests.  Prints "tick N" (N = 1, 2, ...)
 * every TICK_MS and reads its COM1 16550 by polling LSR.DR: each line it
 * receives (ended by CR or LF) comes back as "echo: <line>".  "quit" ends
 * it with status 0; after MAX_TICKS it gives up with status 1, so a run
 * nobody talks to still ends.
 */
#include <stdio.h>
#include <string.h>

#include "rt.h"
#include "x86.h"

#define COM1 0x3f8
#define UART_RBR 0
#define UART_IER 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_LSR 5
#define UART_LCR_8N1 0x03
#define UART_FCR_ENABLE_CLEAR 0x07
#define UART_LSR_DR 0x01
#define UART_LSR_OE 0x02
#define TICK_MS 50
#define MAX_TICKS 6000
#define LINE_MAX 120

static char line[LINE_MAX + 1];
static unsigned len, overruns;

/* One received byte; true when "quit" arrived. */
static bool got(uint8_t c)
{
    if (c != '\r' && c != '\n') {
        if (len < LINE_MAX)
            line[len++] = (char)c;
        return false;
    }
    if (!len)
        return false; /* the LF of a CR LF, or an empty line */
    line[len] = 0;
    len = 0;
    printf("echo: %s\n", line);
    return strcmp(line, "quit") == 0;
}

static bool poll_uart(void)
{
    for (;;) {
        uint8_t lsr = rt_inb(COM1 + UART_LSR);
        if (lsr & UART_LSR_OE)
            printf("echo: overrun %u\n", ++overruns);
        if (!(lsr & UART_LSR_DR))
            return false;
        if (got(rt_inb(COM1 + UART_RBR)))
            return true;
    }
}

int main(void)
{
    rt_outb(COM1 + UART_IER, 0);
    rt_outb(COM1 + UART_LCR, UART_LCR_8N1);
    rt_outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
    printf("echo guest: ready\n");
    for (unsigned tick = 1; tick <= MAX_TICKS; tick++) {
        printf("tick %u\n", tick);
        uint64_t end = rt_rdtsc() + rt_ms_to_tsc(TICK_MS);
        while (rt_rdtsc() < end) {
            if (poll_uart()) {
                printf("echo guest: done after %u ticks\n", tick);
                return 0;
            }
            rt_delay_us(1000);
        }
    }
    printf("echo guest: nobody said quit\n");
    return 1;
}
