/* SPDX-License-Identifier: MIT */
/*
 * hv/shell/: the serial console's input side and the debug shell.  The
 * input router (router.c) and these buffers (conbuf.c) and the shell's
 * line editor and command parser (shell_line.c, shell_parse.c) are pure and
 * host-tested; conin.c (polling the physical UART, feeding the VMs) and
 * shell.c (the commands) are the glue.  docs/shell.md is the user's view.
 */
/*
 * The console's two bounded buffers.
 *
 * struct byteq: a single-producer single-consumer byte queue, the input
 * waiting for a VM's virtual UART.  The producer is the CPU that polls the
 * physical UART (hv/shell/conin.c), the consumer the CPU of the VM's
 * vCPU 0, which moves bytes into the 16550 as its receiver makes room; the
 * indices are atomics, so neither side takes a lock.  A byte that finds
 * the queue full is dropped and counted: the only way input is lost.
 *
 * struct lineq: the output of one VM held while the shell owns the line:
 * whole lines, oldest first.  When a new line does not fit, the oldest
 * lines are dropped (and counted) to make room: what is kept is the most
 * recent output.  No locking inside: hv/host/console.c uses it under
 * con_lock.
 */
#ifndef KEEL_HV_SHELL_CONBUF_H
#define KEEL_HV_SHELL_CONBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BYTEQ_SIZE 256u      /* a power of two */
#define LINEQ_SIZE 16384u    /* bytes of held output per VM */
#define LINEQ_LINE_MAX 256u  /* a longer line is cut (con_linebuf holds 160) */

struct byteq {
    uint8_t buf[BYTEQ_SIZE];
    uint32_t head;           /* consumer's: next byte to take (free-running) */
    uint32_t tail;           /* producer's: next free slot (free-running) */
    uint64_t dropped;        /* producer's: bytes that found the queue full */
};

/* Producer: false (and dropped counted) when full. */
bool byteq_push(struct byteq *q, uint8_t b);
/* Consumer: copies up to @max waiting bytes into @out without taking them. */
size_t byteq_peek(const struct byteq *q, uint8_t *out, size_t max);
/* Consumer: takes @n bytes (at most what byteq_peek saw). */
void byteq_pop(struct byteq *q, size_t n);
size_t byteq_count(const struct byteq *q);

struct lineq {
    char buf[LINEQ_SIZE];
    size_t head;             /* offset of the oldest byte */
    size_t len;              /* bytes held: lines, each ending in '\n' */
    uint64_t dropped_lines;  /* since the last lineq_take_dropped */
    uint64_t dropped_bytes;
};

void lineq_init(struct lineq *r);
bool lineq_empty(const struct lineq *r);
/* Holds one line of @n bytes (without its newline; cut at LINEQ_LINE_MAX),
 * dropping the oldest lines if needed. */
void lineq_put(struct lineq *r, const char *s, size_t n);
/* Takes the oldest line into @out (no newline, not NUL-terminated, cut at
 * @max); returns its length, or -1 when empty. */
int lineq_get(struct lineq *r, char *out, size_t max);
/* What was dropped since the last call (lines, bytes); resets the counts. */
void lineq_take_dropped(struct lineq *r, uint64_t *lines, uint64_t *bytes);

#endif /* KEEL_HV_SHELL_CONBUF_H */
