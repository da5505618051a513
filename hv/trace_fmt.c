/* SPDX-License-Identifier: MIT */
/* The exit trace's pure half: qualifiers and formatting (hv/trace.h). */
#include <stdio.h>

#include "hv/trace.h"

#define IO_IN     (1u << 8)   /* q2 of an I/O exit: size | these */
#define IO_STRING (1u << 9)
#define IO_REP    (1u << 10)
#define NPF_WRITE (1u << 0)   /* q2 of a nested page fault */
#define NPF_FETCH (1u << 1)
#define NPF_PRESENT (1u << 2)

void trace_qualifiers(const struct exit_record *e, uint64_t rax, uint64_t *q1, uint64_t *q2)
{
    *q1 = e->info1;
    *q2 = e->info2;
    switch (e->reason) {
    case EXIT_IO:
        *q1 = e->io.port;
        *q2 = e->io.size | (e->io.in ? IO_IN : 0) | (e->io.string ? IO_STRING : 0)
              | (e->io.rep ? IO_REP : 0);
        break;
    case EXIT_NPF:
        *q1 = e->npf.gpa;
        *q2 = (e->npf.write ? NPF_WRITE : 0) | (e->npf.fetch ? NPF_FETCH : 0)
              | (e->npf.present ? NPF_PRESENT : 0);
        break;
    case EXIT_MSR_READ:
    case EXIT_MSR_WRITE:
        *q1 = e->msr;
        *q2 = 0;
        break;
    case EXIT_EXCEPTION:
        *q1 = e->exc.vector;
        *q2 = e->exc.error;
        break;
    case EXIT_CR_ACCESS:
        *q1 = e->cr.cr;
        *q2 = e->cr.op;
        break;
    case EXIT_CPUID:
    case EXIT_HYPERCALL:
        *q1 = rax; /* the leaf, the call number */
        *q2 = 0;
        break;
    default:
        break;
    }
}

static const char *event_type_name(unsigned t)
{
    /* enum event_type (hv/vendor.h): the VMCB EVENTINJ / VMCS types */
    static const char *const names[8] = { "extint", "type1", "nmi", "exception", "softint",
                                          "priv-softexc", "softexc", "other" };
    return names[t & 7];
}

static void format_exit(const struct trace_entry *t, char *buf, unsigned size)
{
    const char *name = exit_reason_name((enum exit_reason)t->reason);
    unsigned long q1 = (unsigned long)t->q1, q2 = (unsigned long)t->q2;
    switch (t->reason) {
    case EXIT_IO:
        snprintf(buf, size, "exit %-12s port %#lx %s %lu%s%s", name, q1, q2 & IO_IN ? "in" : "out",
                 q2 & 0xff, q2 & IO_STRING ? " string" : "", q2 & IO_REP ? " rep" : "");
        break;
    case EXIT_NPF:
        snprintf(buf, size, "exit %-12s gpa %#lx %s%s", name, q1,
                 q2 & NPF_FETCH ? "fetch" : q2 & NPF_WRITE ? "write" : "read",
                 q2 & NPF_PRESENT ? " present" : "");
        break;
    case EXIT_MSR_READ:
    case EXIT_MSR_WRITE: snprintf(buf, size, "exit %-12s msr %#lx", name, q1); break;
    case EXIT_EXCEPTION: snprintf(buf, size, "exit %-12s vector %lu error %#lx", name, q1, q2); break;
    case EXIT_CR_ACCESS: snprintf(buf, size, "exit %-12s cr%lu op %lu", name, q1, q2); break;
    case EXIT_CPUID: snprintf(buf, size, "exit %-12s leaf %#lx", name, q1); break;
    case EXIT_HYPERCALL: snprintf(buf, size, "exit %-12s call %lu", name, q1); break;
    default: snprintf(buf, size, "exit %-12s info1 %#lx info2 %#lx", name, q1, q2); break;
    }
}

void trace_format(const struct trace_entry *t, uint64_t since_tsc, uint64_t tsc_per_us, char *buf,
                  unsigned size)
{
    char what[120];
    uint64_t us = t->tsc >= since_tsc ? (t->tsc - since_tsc) / (tsc_per_us ? tsc_per_us : 1) : 0;
    if (t->kind == TRACE_INJECT)
        snprintf(what, sizeof(what), "inject %-10s vector %#x", event_type_name(t->reason), t->vector);
    else
        format_exit(t, what, sizeof(what));
    snprintf(buf, size, "%10lu us rip %016lx %s", (unsigned long)us, (unsigned long)t->rip, what);
}
