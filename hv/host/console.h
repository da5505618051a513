/* SPDX-License-Identifier: MIT */
/*
 * The hypervisor console: a 16550 UART driven by polling, plus (before
 * ExitBootServices) the UEFI text console.  Every line is written whole
 * under one lock, so lines from different CPUs never interleave.
 *
 * Log lines look like "[cpu2] keel: message"; the "[cpuN] " prefix appears
 * once per-CPU state exists.  The level (keel.cfg log_level, con_set_level)
 * filters what is printed; there are no categories.
 */
#ifndef KEEL_HV_CONSOLE_H
#define KEEL_HV_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/shell/conbuf.h"

enum log_level_hv { KLOG_ERROR = 0, KLOG_WARN = 1, KLOG_INFO = 2, KLOG_DEBUG = 3 };

/* Writer for the firmware console (UTF-16 conversion is the writer's job);
 * NULL once boot services are gone. */
typedef void (*con_efi_writer)(const char *s, size_t n);
void con_set_efi_writer(con_efi_writer w);

/* Program the UART; port 0 means no serial console.  Returns 0, or -1 when
 * no UART answers at that port (the scratch register does not hold a value). */
int con_init_serial(uint16_t port, uint32_t baud);
void con_set_level(enum log_level_hv lvl);
enum log_level_hv con_level(void);

/* Wait until the UART has sent everything (LSR.TEMT), bounded. */
void con_drain(void);

/* Raw output, whole under the console lock. */
void con_write(const char *s, size_t n);

/* printf-style log line; a newline is added when missing. */
void klog(enum log_level_hv lvl, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Write a line with a given prefix (e.g. "vm0| ") for each '\n'-terminated
 * piece of text; keeps an incomplete tail in *buf (per source). */
struct con_linebuf {
    char text[160];
    size_t len;
    /* Where whole lines wait while the shell holds the console (NULL: this
     * source is never held); under con_lock (hv/shell/conin.c sets it). */
    struct lineq *hold;
};
void con_prefixed(struct con_linebuf *lb, const char *prefix, const char *s, size_t n);
void con_prefixed_flush(struct con_linebuf *lb, const char *prefix);
/* The source typed input goes to (NULL: none, the shell has it): its
 * output goes out byte by byte instead of in whole lines, so a prompt and
 * the echo of keystrokes show at once; a line of another source or of
 * Keel's log breaks its open line, which goes on under a new prefix. */
void con_set_focus(struct con_linebuf *lb);
/* The focused source's buffered part line out now (the input poller calls
 * it: a prompt printed while another source had the wire). */
void con_flush_partial(struct con_linebuf *lb, const char *prefix);

/* While the shell owns the serial line, the lines of every source with a
 * hold ring wait there instead of going out.  After con_hold(false), held
 * lines go out in order, whole: one per con_replay_one() call, and one
 * more each time that source emits a line of its own (which queues behind
 * them), so a source's lines never overtake each other.  A source whose
 * ring overflowed first gets one Keel line saying how much was dropped. */
void con_hold(bool on);
/* One held line of @lb out; true while more wait. */
bool con_replay_one(struct con_linebuf *lb, const char *prefix);
/* Every held line of @lb out, one line per con_lock hold (a source that
 * ends).  @force: even while the shell holds the console (Keel ends). */
void con_replay_all(struct con_linebuf *lb, const char *prefix, bool force);

/* A byte typed on the serial console, or -1 when none is waiting.  Called
 * by the one CPU that polls the UART (hv/shell/conin.c). */
int con_getc(void);
/* A serial console exists (input can be polled). */
bool con_has_serial(void);
/* Receiver overruns seen on the physical UART (bytes the UART lost). */
uint64_t con_rx_overruns(void);

#define log_err(...)   klog(KLOG_ERROR, __VA_ARGS__)
#define log_warn(...)  klog(KLOG_WARN, __VA_ARGS__)
#define log_info(...)  klog(KLOG_INFO, __VA_ARGS__)
#define log_debug(...) klog(KLOG_DEBUG, __VA_ARGS__)

#endif /* KEEL_HV_CONSOLE_H */
