/* SPDX-License-Identifier: MIT */
/*
 * The shell's line editor: bytes from the serial line in, what to echo
 * and finished lines out.  Printable ASCII is inserted at the end of the
 * line (at most SHELL_LINE_MAX - 1 bytes; more is refused with a bell);
 * Backspace (BS or DEL) erases the last byte, Ctrl-U the whole line, Ctrl-C
 * abandons it; CR, LF or CR LF end it; the Up and Down arrows (VT100:
 * ESC [ A, ESC [ B, or ESC O A/B) walk the history of the last
 * SHELL_HIST_MAX non-empty lines, redrawing the line; other escape
 * sequences and control bytes are ignored.
 *
 * Pure, no locking: the console CPU alone uses it (hv/shell/shell.c).
 */
#ifndef KEEL_HV_SHELL_LINE_H
#define KEEL_HV_SHELL_LINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHELL_LINE_MAX 128u
#define SHELL_HIST_MAX 16u
#define SHELL_ECHO_MAX 256u
#define SHELL_PROMPT "keel> "

struct shell_line {
    char buf[SHELL_LINE_MAX];
    size_t len;
    char hist[SHELL_HIST_MAX][SHELL_LINE_MAX]; /* NUL-terminated, oldest at hist_first */
    unsigned hist_first, hist_count;
    unsigned browse;          /* 0: editing a new line; k: the k-th most recent entry */
    char draft[SHELL_LINE_MAX]; /* the new line, kept while browsing */
    unsigned esc;             /* escape parser: 0, 1 after ESC, 2 after ESC [ or ESC O */
    bool after_cr;            /* an LF right after a CR ends nothing */
};

/* What to send back to the terminal. */
struct shell_echo {
    char buf[SHELL_ECHO_MAX];
    size_t len;
};

void shell_line_init(struct shell_line *l);
/* One input byte.  Returns true when a line is finished: it is copied,
 * NUL-terminated, into @line (SHELL_LINE_MAX bytes; "" after Ctrl-C) and
 * entered in the history.  Echo is appended to @echo (never past its end). */
bool shell_line_feed(struct shell_line *l, uint8_t byte, struct shell_echo *echo, char *line);

#endif /* KEEL_HV_SHELL_LINE_H */
