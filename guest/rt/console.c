/* SPDX-License-Identifier: MIT */
/*
 * Console output and exit: KEEL_HC_CONSOLE_WRITE / KEEL_HC_EXIT under Keel,
 * COM1 and QEMU's isa-debug-exit device otherwise.  Also the SMP-safe
 * printf, vprintf and puts that replace newlib's (newlib's stdio is not
 * thread-safe in this configuration).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "hv/abi.h"
#include "rt_internal.h"
#include "x86.h"

/* 16550 UART at COM1. */
#define COM1            0x3f8
#define UART_THR        0       /* transmit holding (DLAB = 0) */
#define UART_DLL        0       /* divisor latch low (DLAB = 1) */
#define UART_IER        1       /* interrupt enable (DLAB = 0) */
#define UART_DLM        1       /* divisor latch high (DLAB = 1) */
#define UART_FCR        2       /* FIFO control */
#define UART_LCR        3       /* line control */
#define UART_MCR        4       /* modem control */
#define UART_LSR        5       /* line status */
#define UART_LCR_8N1    0x03
#define UART_LCR_DLAB   0x80
#define UART_FCR_ENABLE_CLEAR 0x07
#define UART_MCR_DTR_RTS_OUT2 0x0b
#define UART_LSR_THRE   0x20    /* transmit holding register empty */
#define UART_DIVISOR_115200 1

/* QEMU's isa-debug-exit device (-device isa-debug-exit,iobase=0xf4,
 * iosize=4): writing V exits QEMU with status 2 * V + 1. */
#define QEMU_DEBUG_EXIT_PORT RT_DEBUG_EXIT_PORT
/* Without that device: ACPI PM1a control of QEMU's PC machines as SeaBIOS
 * sets them up; SLP_EN with sleep type 0 powers off (exit status lost). */
#define QEMU_ACPI_PM1A_CNT  0x604
#define ACPI_PM1_CNT_SLP_EN 0x2000

#define HC_CONSOLE_MAX  4096    /* KEEL_HC_CONSOLE_WRITE's length limit */

struct rt_lock rt_console_lock;

void rt_console_init(void)
{
    if (!rt_under_keel()) {
        rt_outb(COM1 + UART_IER, 0);
        rt_outb(COM1 + UART_LCR, UART_LCR_DLAB);
        rt_outb(COM1 + UART_DLL, UART_DIVISOR_115200 & 0xff);
        rt_outb(COM1 + UART_DLM, UART_DIVISOR_115200 >> 8);
        rt_outb(COM1 + UART_LCR, UART_LCR_8N1);
        rt_outb(COM1 + UART_FCR, UART_FCR_ENABLE_CLEAR);
        rt_outb(COM1 + UART_MCR, UART_MCR_DTR_RTS_OUT2);
    }
    /* Unbuffered: newlib's stdout goes straight to _write, whose per-vCPU
     * line buffer does the buffering. */
    setvbuf(stdout, NULL, _IONBF, 0);
}

static void com1_putc(char c)
{
    /* Bounded wait: without a UART the LSR reads all-ones (THRE set). */
    for (unsigned i = 0; i < 100000 && !(rt_inb(COM1 + UART_LSR) & UART_LSR_THRE); i++)
        rt_pause();
    rt_outb(COM1 + UART_THR, (uint8_t)c);
}

/* Emits bytes to the device; the caller holds rt_console_lock. */
static void rt_console_emit(const char *s, size_t n)
{
    if (!rt_under_keel()) {
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '\n')
                com1_putc('\r');
            com1_putc(s[i]);
        }
        return;
    }
    while (n > 0) {
        size_t chunk = n < HC_CONSOLE_MAX ? n : HC_CONSOLE_MAX;
        long done = rt_hypercall(KEEL_HC_CONSOLE_WRITE, (uintptr_t)s, chunk, 0);
        if (done <= 0 || (size_t)done > chunk)
            return;
        s += done;
        n -= (size_t)done;
    }
}

void rt_console_flush(void)
{
    struct rt_percpu *pc = rt_percpu();

    if (pc->line_len == 0)
        return;
    rt_lock(&rt_console_lock);
    rt_console_emit(pc->line, pc->line_len);
    pc->line_len = 0;
    rt_unlock(&rt_console_lock);
}

void rt_console_write(const char *s, size_t n)
{
    struct rt_percpu *pc = rt_percpu();

    for (size_t i = 0; i < n; i++) {
        pc->line[pc->line_len++] = s[i];
        if (s[i] == '\n' || pc->line_len == sizeof(pc->line))
            rt_console_flush();
    }
}

_Noreturn void rt_exit(int status)
{
    rt_console_flush();
    /* exit=port on the command line: leave through the isa-debug-exit port
     * even under Keel (its per-VM exit_port option emulates it). */
    if (rt_under_keel() && !rt_cmdline_has("exit=port")) {
        rt_hypercall(KEEL_HC_EXIT, (unsigned long)status & 127, 0, 0);
    } else {
        rt_outl(QEMU_DEBUG_EXIT_PORT, (uint32_t)status & 127);
        rt_outw(QEMU_ACPI_PM1A_CNT, ACPI_PM1_CNT_SLP_EN);
    }
    for (;;)
        __asm__ volatile("cli\n\thlt");
}

/* newlib replacements: format under rt_console_lock (newlib's formatting
 * state is global), then hand the bytes to the per-vCPU line buffer. */
int vprintf(const char *fmt, va_list ap)
{
    va_list again;
    int n;

    rt_lock(&rt_console_lock);
    struct rt_percpu *pc = rt_percpu();
    va_copy(again, ap);
    n = vsnprintf(pc->fmt, sizeof(pc->fmt), fmt, ap);
    if (n >= 0 && (size_t)n < sizeof(pc->fmt)) {
        rt_console_write(pc->fmt, (size_t)n);
    } else if (n >= 0) {
        char *big = malloc((size_t)n + 1);
        if (big) {
            vsnprintf(big, (size_t)n + 1, fmt, again);
            rt_console_write(big, (size_t)n);
            free(big);
        } else {
            rt_console_write(pc->fmt, sizeof(pc->fmt) - 1);
        }
    }
    va_end(again);
    rt_unlock(&rt_console_lock);
    return n;
}

int printf(const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vprintf(fmt, ap);
    va_end(ap);
    return n;
}

int puts(const char *s)
{
    size_t n = 0;

    while (s[n])
        n++;
    rt_console_write(s, n);
    rt_console_write("\n", 1);
    return 1;
}
