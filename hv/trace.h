/* SPDX-License-Identifier: MIT */
/*
 * The shell's exit trace (`trace on|off|dump [N]`, docs/shell.md): per
 * vCPU, a ring of its last VCPU_TRACE_SIZE VM exits (time, neutral reason,
 * RIP, two qualifiers) and event injections (type, vector), written by the
 * vCPU's own CPU from the run loop (hv/run.c): the exit right after it is
 * decoded, the injection right before the entry that delivers it (the
 * event the vendor holds queued then: hv/emul/inject.c's interrupts and
 * NMIs, exceptions from the emulators, re-injections alike).
 *
 * Off by default; off, the run loop pays one load and one predictable
 * branch per exit.  No allocation in the exit path: the rings are
 * allocated with the vCPU (hv/vm_create.c).  The shell reads a ring while
 * its CPU may write it: `head` counts entries ever written and is
 * published after the entry (release); a reader copies, then drops what
 * the writer may have overwritten meanwhile.
 */
#ifndef KEEL_HV_TRACE_H
#define KEEL_HV_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/emul/exit.h"

struct vcpu;

#define VCPU_TRACE_SIZE  256u        /* entries per vCPU, a power of two */
#define VCPU_TRACE_PAGES 3u          /* struct vcpu_trace's allocation */

enum trace_kind { TRACE_EXIT = 1, TRACE_INJECT = 2 };

struct trace_entry {
    uint64_t tsc;         /* host TSC */
    uint64_t rip;         /* guest RIP at the exit / of the entry */
    uint64_t q1, q2;      /* exit qualifiers by reason (trace_format) */
    uint8_t kind;         /* enum trace_kind */
    uint8_t reason;       /* TRACE_EXIT: enum exit_reason; TRACE_INJECT: event type */
    uint8_t vector;       /* TRACE_INJECT */
    uint8_t pad[5];
};
_Static_assert(sizeof(struct trace_entry) == 40, "trace_entry layout");

struct vcpu_trace {
    volatile uint64_t head;   /* entries ever written; entry i is at e[i % SIZE] */
    struct trace_entry e[VCPU_TRACE_SIZE];
};
_Static_assert(sizeof(struct vcpu_trace) <= VCPU_TRACE_PAGES * 4096, "vcpu_trace fits its pages");
_Static_assert((VCPU_TRACE_SIZE & (VCPU_TRACE_SIZE - 1)) == 0, "ring size a power of two");

extern volatile bool trace_on;
extern uint64_t trace_since_tsc;   /* when tracing was last turned on */

static inline bool trace_enabled(void)
{
    return __builtin_expect(__atomic_load_n(&trace_on, __ATOMIC_RELAXED), 0);
}

/* Turning it on empties every ring (a dump shows only what came since). */
void trace_set(bool on);
/* Record an exit / the event queued for the coming entry (vCPU's CPU). */
void trace_exit(struct vcpu *v, const struct exit_record *e);
void trace_entry_event(struct vcpu *v);
/* An interrupt the CPU delivered by itself (vops->set_virq), found at
 * exit @e: recorded as an injection, before that exit. */
void trace_virq(struct vcpu *v, const struct exit_record *e);
/* The last @max (at most VCPU_TRACE_SIZE) entries of @v, oldest first,
 * into @out; returns how many (entries overwritten while copying dropped). */
unsigned trace_copy(const struct vcpu *v, struct trace_entry *out, unsigned max);
/* One entry in words, relative to @since_tsc (microseconds) into @buf. */
void trace_format(const struct trace_entry *t, uint64_t since_tsc, uint64_t tsc_per_us, char *buf,
                  unsigned size);
/* The qualifiers an exit is traced with (pure; host-tested). */
void trace_qualifiers(const struct exit_record *e, uint64_t rax, uint64_t *q1, uint64_t *q2);

#endif /* KEEL_HV_TRACE_H */
