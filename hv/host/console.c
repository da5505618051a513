/* SPDX-License-Identifier: MIT */
#include "hv/host/console.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/host/percpu.h"
#include "hv/host/spinlock.h"
#include "hv/x86.h"

/* 16550 registers (offsets from the base port) and bits, per the
 * PC16550D data sheet. */
#define UART_THR 0 /* transmit holding (DLAB=0) */
#define UART_DLL 0 /* divisor latch low (DLAB=1) */
#define UART_IER 1
#define UART_DLM 1
#define UART_FCR 2
#define UART_LCR 3
#define UART_MCR 4
#define UART_LSR 5
#define UART_SCR 7
#define LCR_8N1  0x03
#define LCR_DLAB 0x80
#define FCR_ENABLE_CLEAR 0x07
#define MCR_DTR_RTS 0x03
#define UART_RBR 0 /* receive buffer (DLAB=0) */
#define LSR_DR   0x01
#define LSR_OE   0x02
#define LSR_THRE 0x20
#define LSR_TEMT 0x40
#define UART_CLOCK_DIV 115200u

static struct spinlock con_lock = SPINLOCK_INIT;
static uint16_t uart_port;
static con_efi_writer efi_writer;
static enum log_level_hv con_lvl = KLOG_INFO;
static bool con_holding;      /* con_lock: the shell owns the line */
/* con_lock: the source whose input the serial line carries (NULL: the
 * shell's, or nobody's), and the source whose line is open on the wire:
 * its prefix and part of its line went out, no newline yet. */
static struct con_linebuf *con_focus, *con_open;
static const char *con_open_prefix;
static uint64_t rx_overruns;  /* the polling CPU's */

void con_set_efi_writer(con_efi_writer w) { efi_writer = w; }
void con_set_level(enum log_level_hv lvl) { con_lvl = lvl; }
enum log_level_hv con_level(void) { return con_lvl; }

int con_init_serial(uint16_t port, uint32_t baud)
{
    uart_port = 0;
    if (!port)
        return 0;
    /* Probe through the scratch register: no UART, no console. */
    outb(port + UART_SCR, 0x5a);
    if (inb(port + UART_SCR) != 0x5a)
        return -1;
    uint16_t div = (uint16_t)(UART_CLOCK_DIV / (baud ? baud : UART_CLOCK_DIV));
    outb(port + UART_IER, 0);
    outb(port + UART_LCR, LCR_DLAB);
    outb(port + UART_DLL, (uint8_t)div);
    outb(port + UART_DLM, (uint8_t)(div >> 8));
    outb(port + UART_LCR, LCR_8N1);
    outb(port + UART_FCR, FCR_ENABLE_CLEAR);
    outb(port + UART_MCR, MCR_DTR_RTS);
    uart_port = port;
    return 0;
}

static void uart_putc(char c)
{
    /* Bounded wait: a wedged UART must not hang the hypervisor. */
    for (unsigned i = 0; i < 100000; i++) {
        if (inb(uart_port + UART_LSR) & LSR_THRE)
            break;
        cpu_relax();
    }
    outb(uart_port + UART_THR, (uint8_t)c);
}

void con_drain(void)
{
    for (unsigned i = 0; uart_port && i < 1000000; i++) {
        if (inb(uart_port + UART_LSR) & LSR_TEMT)
            return;
        cpu_relax();
    }
}

static void con_write_locked(const char *s, size_t n)
{
    if (uart_port) {
        for (size_t i = 0; i < n; i++) {
            if (s[i] == '\n')
                uart_putc('\r');
            uart_putc(s[i]);
        }
    }
    if (efi_writer)
        efi_writer(s, n);
}

/* Another writer needs the wire: end the open line (its source goes on
 * under a new prefix with its next byte). */
static void con_break_locked(void)
{
    if (con_open) {
        con_write_locked("\n", 1);
        con_open = NULL;
    }
}

void con_write(const char *s, size_t n)
{
    spin_lock(&con_lock);
    con_break_locked();
    con_write_locked(s, n);
    spin_unlock(&con_lock);
}

void klog(enum log_level_hv lvl, const char *fmt, ...)
{
    if (lvl > con_lvl)
        return;
    char line[256];
    int off = 0;
    struct percpu *pc = this_cpu_or_null();
    if (pc)
        off = snprintf(line, sizeof(line), "[cpu%u] ", pc->index);
    off += snprintf(line + off, sizeof(line) - (size_t)off, "keel: ");
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line + off, sizeof(line) - (size_t)off, fmt, ap);
    va_end(ap);
    size_t len = (size_t)off + (n < 0 ? 0 : (size_t)n);
    if (len > sizeof(line) - 2)
        len = sizeof(line) - 2;
    if (len == 0 || line[len - 1] != '\n')
        line[len++] = '\n';
    con_write(line, len);
}

/* The oldest held line of @lb out, after a line saying what its ring
 * dropped, if anything.  Called with con_lock held. */
static bool con_replay_locked(struct con_linebuf *lb, const char *prefix)
{
    uint64_t lines, bytes;
    char text[LINEQ_LINE_MAX];
    lineq_take_dropped(lb->hold, &lines, &bytes);
    if (lines) {
        char msg[128];
        size_t plen = strcspn(prefix, "|");
        int n = snprintf(msg, sizeof(msg),
                         "keel: %.*s: %lu lines (%lu bytes) of output dropped while the shell had the console\n",
                         (int)plen, prefix, (unsigned long)lines, (unsigned long)bytes);
        con_write_locked(msg, n < 0 ? 0 : (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
    }
    int n = lineq_get(lb->hold, text, sizeof(text));
    if (n >= 0) {
        con_break_locked();
        con_write_locked(prefix, strlen(prefix));
        con_write_locked(text, (size_t)n);
        con_write_locked("\n", 1);
    }
    return !lineq_empty(lb->hold);
}

/* A whole line of @lb (without its newline).  Called with con_lock held. */
static void con_emit_locked(struct con_linebuf *lb, const char *prefix, const char *s, size_t n)
{
    if (lb->hold && (con_holding || !lineq_empty(lb->hold))) {
        /* Held, or older held lines still wait: queue behind them, and
         * while the shell is gone send the oldest, so the ring drains at
         * least as fast as the source adds to it. */
        lineq_put(lb->hold, s, n);
        if (!con_holding)
            con_replay_locked(lb, prefix);
    } else {
        con_break_locked();
        con_write_locked(prefix, strlen(prefix));
        con_write_locked(s, n);
        con_write_locked("\n", 1);
    }
}

void con_hold(bool on)
{
    spin_lock(&con_lock);
    if (on)
        con_break_locked();
    con_holding = on;
    spin_unlock(&con_lock);
}

void con_set_focus(struct con_linebuf *lb)
{
    spin_lock(&con_lock);
    con_focus = lb;
    spin_unlock(&con_lock);
}

/* The source with the input goes out byte by byte, so that a prompt (no
 * newline) and the echo of what is typed show at once; every other source
 * goes out in whole lines, so that sources never interleave inside a line.
 * Not while the shell holds the line, nor before the source's held lines. */
static bool con_direct_locked(const struct con_linebuf *lb)
{
    return lb == con_focus && !con_holding && (!lb->hold || lineq_empty(lb->hold));
}

/* Open @lb's line on the wire: its prefix and what it had buffered. */
static void con_open_locked(struct con_linebuf *lb, const char *prefix)
{
    if (con_open == lb)
        return;
    con_break_locked();
    con_write_locked(prefix, strlen(prefix));
    con_write_locked(lb->text, lb->len);
    lb->len = 0;
    con_open = lb;
    con_open_prefix = prefix;
}

static void con_put_locked(struct con_linebuf *lb, const char *prefix, char c)
{
    if (con_direct_locked(lb)) {
        con_open_locked(lb, prefix);
        if (c == '\n')
            con_open = NULL; /* con_write_locked sends CR LF */
        con_write_locked(&c, 1);
        return;
    }
    if (c == '\r')
        return;
    if (c == '\n' || lb->len == sizeof(lb->text)) {
        con_emit_locked(lb, prefix, lb->text, lb->len);
        lb->len = 0;
        if (c == '\n')
            return;
    }
    lb->text[lb->len++] = c;
}

void con_flush_partial(struct con_linebuf *lb, const char *prefix)
{
    spin_lock(&con_lock);
    if (lb->len && con_direct_locked(lb))
        con_open_locked(lb, prefix);
    spin_unlock(&con_lock);
}

bool con_replay_one(struct con_linebuf *lb, const char *prefix)
{
    bool more = false;
    spin_lock(&con_lock);
    if (lb->hold && !con_holding)
        more = con_replay_locked(lb, prefix);
    spin_unlock(&con_lock);
    return more;
}

void con_replay_all(struct con_linebuf *lb, const char *prefix, bool force)
{
    for (bool more = true; more && lb->hold;) {
        spin_lock(&con_lock);
        more = (force || !con_holding) && con_replay_locked(lb, prefix);
        spin_unlock(&con_lock);
    }
}

int con_getc(void)
{
    if (!uart_port)
        return -1;
    uint8_t lsr = inb(uart_port + UART_LSR);
    if (lsr & LSR_OE)
        rx_overruns++; /* reading LSR cleared it (PC16550D, LSR bit 1) */
    if (!(lsr & LSR_DR))
        return -1;
    return inb(uart_port + UART_RBR);
}

bool con_has_serial(void)
{
    return uart_port != 0;
}

uint64_t con_rx_overruns(void)
{
    return rx_overruns;
}

void con_prefixed(struct con_linebuf *lb, const char *prefix, const char *s, size_t n)
{
    spin_lock(&con_lock);
    for (size_t i = 0; i < n; i++)
        con_put_locked(lb, prefix, s[i]);
    spin_unlock(&con_lock);
}

void con_prefixed_flush(struct con_linebuf *lb, const char *prefix)
{
    spin_lock(&con_lock);
    if (con_open == lb)
        con_break_locked();
    if (lb->len) {
        con_emit_locked(lb, prefix, lb->text, lb->len);
        lb->len = 0;
    }
    spin_unlock(&con_lock);
}
