/* SPDX-License-Identifier: MIT */
/* The exit trace's recording and reading (hv/trace.h). */
#include "hv/trace.h"

#include <string.h>

#include "hv/host/time.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

volatile bool trace_on;
uint64_t trace_since_tsc;

void trace_set(bool on)
{
    if (on && !trace_on) {
        /* Emptied by moving nothing: readers only look at entries written
         * after trace_since_tsc. */
        trace_since_tsc = rdtsc();
    }
    __atomic_store_n(&trace_on, on, __ATOMIC_RELEASE);
}

static struct trace_entry *trace_next(struct vcpu *v)
{
    struct vcpu_trace *t = v->trace;
    return &t->e[t->head & (VCPU_TRACE_SIZE - 1)];
}

static void trace_publish(struct vcpu *v)
{
    __atomic_store_n(&v->trace->head, v->trace->head + 1, __ATOMIC_RELEASE);
}

void trace_exit(struct vcpu *v, const struct exit_record *e)
{
    struct trace_entry *t = trace_next(v);
    t->tsc = e->tsc;
    t->rip = e->rip;
    trace_qualifiers(e, v->gpr[GPR_RAX], &t->q1, &t->q2);
    t->kind = TRACE_EXIT;
    t->reason = (uint8_t)e->reason;
    t->vector = 0;
    trace_publish(v);
}

void trace_entry_event(struct vcpu *v)
{
    uint8_t type, vector;
    if (!vops->queued_event || !vops->queued_event(v, &type, &vector))
        return;
    struct trace_entry *t = trace_next(v);
    t->tsc = rdtsc();
    t->rip = v->rip;
    t->q1 = t->q2 = 0;
    t->kind = TRACE_INJECT;
    t->reason = type;
    t->vector = vector;
    trace_publish(v);
}

void trace_virq(struct vcpu *v, const struct exit_record *e)
{
    struct trace_entry *t = trace_next(v);
    t->tsc = e->tsc;
    t->rip = e->rip; /* where the guest was at the exit; it took the vector before */
    t->q1 = t->q2 = 0;
    t->kind = TRACE_INJECT;
    t->reason = EVENT_EXTINT;
    t->vector = e->virq_vector;
    trace_publish(v);
}

unsigned trace_copy(const struct vcpu *v, struct trace_entry *out, unsigned max)
{
    const struct vcpu_trace *t = v->trace;
    if (max > VCPU_TRACE_SIZE)
        max = VCPU_TRACE_SIZE;
    uint64_t head = __atomic_load_n(&t->head, __ATOMIC_ACQUIRE);
    uint64_t first = head > max ? head - max : 0;
    for (uint64_t i = first; i < head; i++)
        out[i - first] = t->e[i & (VCPU_TRACE_SIZE - 1)];
    /* The writer went on meanwhile: entries below its new head - SIZE (+1
     * for the one it may be writing) were overwritten while copied. */
    uint64_t now = __atomic_load_n(&t->head, __ATOMIC_ACQUIRE);
    uint64_t safe = now + 1 > VCPU_TRACE_SIZE ? now + 1 - VCPU_TRACE_SIZE : 0;
    unsigned skip = safe > first ? (unsigned)(safe - first) : 0;
    unsigned n = (unsigned)(head - first);
    if (skip >= n)
        return 0;
    memmove(out, out + skip, (n - skip) * sizeof(*out));
    n -= skip;
    /* Only what came since tracing was last turned on. */
    unsigned k = 0;
    while (k < n && out[k].tsc < trace_since_tsc)
        k++;
    memmove(out, out + k, (n - k) * sizeof(*out));
    return n - k;
}
