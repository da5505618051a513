/* SPDX-License-Identifier: MIT */
/* The shell's trace command over the per-vCPU exit rings (hv/trace.h). */
#include <stdio.h>

#include "hv/host/time.h"
#include "hv/shell/shell_cmds.h"
#include "hv/shell/shell_parse.h"
#include "hv/trace.h"
#include "hv/vm.h"
#include "hv/x86.h"

/* One vCPU's copy; the shell runs on one CPU at a time. */
static struct trace_entry trace_buf[VCPU_TRACE_SIZE];

static void trace_dump_vcpu(const struct vcpu *v, unsigned n)
{
    uint64_t per_us = tsc_hz / 1000000 ? tsc_hz / 1000000 : 1;
    unsigned got = trace_copy(v, trace_buf, n);
    sh_printf("vm%u.%u: last %u entr%s (oldest first; us since trace on)", v->vm->index, v->index,
              got, got == 1 ? "y" : "ies");
    for (unsigned i = 0; i < got; i++) {
        char line[180];
        trace_format(&trace_buf[i], trace_since_tsc, per_us, line, sizeof(line));
        sh_printf("  %s", line);
    }
}

void shell_cmd_trace(unsigned op, unsigned n)
{
    _Static_assert(SHELL_TRACE_MAX == VCPU_TRACE_SIZE, "the parser's bound is the ring's size");
    if (op == SHELL_TRACE_ON || op == SHELL_TRACE_OFF) {
        trace_set(op == SHELL_TRACE_ON);
        sh_printf("trace: %s (%u entries per vCPU)", op == SHELL_TRACE_ON ? "on" : "off",
                  VCPU_TRACE_SIZE);
        return;
    }
    uint64_t ms = (rdtsc() - trace_since_tsc) / (tsc_hz / 1000 ? tsc_hz / 1000 : 1);
    if (!trace_since_tsc) {
        sh_printf("trace: never turned on ('trace on' starts it)");
        return;
    }
    sh_printf("trace: %s, started %lu ms ago", trace_on ? "on" : "off", (unsigned long)ms);
    for (unsigned i = 0; i < nvms; i++)
        for (unsigned j = 0; j < vms[i]->nvcpus; j++)
            trace_dump_vcpu(vms[i]->vcpus[j], n);
}
