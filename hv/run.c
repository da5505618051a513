/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU run loop: each physical CPU runs the one vCPU pinned to it
 * (or idles), entering the guest, recording the exit and dispatching it.
 */
#include <stdio.h>

#include "hv/console.h"
#include "hv/desc.h"
#include "hv/percpu.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

/* Sleep until an interrupt (a kick) arrives.  STI's one-instruction
 * shadow makes "sti; hlt" atomic: a kick sent after the caller checked its
 * condition wakes the HLT rather than being taken before it. */
static void pcpu_wait(struct percpu *pc)
{
    if (__atomic_exchange_n(&pc->kicked, 0, __ATOMIC_ACQ_REL))
        return;
    __asm__ volatile("sti; hlt; cli" ::: "memory");
    __atomic_store_n(&pc->kicked, 0, __ATOMIC_RELEASE);
}

static void pcpu_idle(struct percpu *pc) __attribute__((noreturn));
static void pcpu_idle(struct percpu *pc)
{
    for (;;)
        pcpu_wait(pc);
}

static void vcpu_record_exit(struct vcpu *v, const struct exit_record *e)
{
    v->last[v->last_next] = *e;
    v->last_next = (v->last_next + 1) % VCPU_LAST_EXITS;
    if ((unsigned)e->reason < EXIT_REASON_COUNT)
        v->exit_count[e->reason]++;
}

static void vcpu_start(struct vcpu *v)
{
    /* An AP started by KEEL_HC_VCPU_START: load its entry state here, on
     * the CPU that owns its VMCB. */
    vops->vcpu_reset_entry32(v, v->start_eip, v->start_eax, v->start_ebx);
    log_debug("vm%u vCPU %u starts at %#x", v->vm->index, v->index, v->start_eip);
}

static void vcpu_log_counters(const struct vcpu *v)
{
    char line[200];
    size_t off = 0;
    for (unsigned r = 1; r < EXIT_REASON_COUNT && off < sizeof(line) - 32; r++)
        if (v->exit_count[r])
            off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%lu",
                                    exit_reason_name((enum exit_reason)r),
                                    (unsigned long)v->exit_count[r]);
    line[off] = 0;
    log_debug("vm%u vCPU %u exits:%s", v->vm->index, v->index, off ? line : " none");
}

void pcpu_run_loop(struct percpu *pc)
{
    struct vcpu *v = pc->vcpu;
    if (!v)
        pcpu_idle(pc);
    bool started = v->index == 0;
    struct exit_record e;
    for (;;) {
        if (vm_ended(v->vm)) {
            __atomic_store_n(&v->state, VCPU_STOPPED, __ATOMIC_RELEASE);
            vcpu_log_counters(v);
            pcpu_idle(pc);
        }
        uint32_t st = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
        if (st == VCPU_WAIT_START || st == VCPU_HALTED) {
            pcpu_wait(pc);
            continue;
        }
        if (!started) {
            vcpu_start(v);
            started = true;
        }
        vops->vcpu_run(v, &e);
        e.tsc = rdtsc();
        vcpu_record_exit(v, &e);
        exit_dispatch(v, &e);
    }
}
