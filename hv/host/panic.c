/* SPDX-License-Identifier: MIT */
#include "hv/host/panic.h"

#include <stdarg.h>
#include <stdio.h>

#include "hv/host/console.h"
#include "hv/host/desc.h"
#include "hv/host/lapic_host.h"
#include "hv/host/percpu.h"
#include "hv/vm.h"
#include "hv/x86.h"

static volatile int panicking;

bool panic_in_progress(void)
{
    return panicking != 0;
}

void panic_park_cpu(void)
{
    for (;;) {
        irq_disable();
        cpu_halt();
    }
}

/* First CPU in wins; a second panicking CPU (or a nested panic) parks. */
static void panic_enter(void)
{
    irq_disable();
    if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
        panic_park_cpu();
    if (percpu_ready)
        lapic_host_send_all_but_self(ICR_DM_NMI | ICR_LEVEL_ASSERT);
}

static void panic_finish(void) __attribute__((noreturn));
static void panic_finish(void)
{
    struct percpu *pc = this_cpu_or_null();
    if (pc && pc->vcpu)
        vcpu_dump(pc->vcpu, "panic");
    log_err("PANIC: the hypervisor stopped; all CPUs halted");
    panic_park_cpu();
}

void panic(const char *fmt, ...)
{
    panic_enter();
    char msg[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    log_err("PANIC: %s (called from %p)", msg, __builtin_return_address(0));
    panic_finish();
}

static const char *const exc_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM", "#DF", "coproc", "#TS", "#NP",
    "#SS", "#GP", "#PF", "res15", "#MF", "#AC", "#MC", "#XM", "#VE", "#CP",
};

void panic_frame(const struct host_frame *f)
{
    panic_enter();
    const char *name = f->vector < 32 && exc_names[f->vector] ? exc_names[f->vector] : "interrupt";
    log_err("PANIC: host exception %s (vector %lu) error %#lx", name,
            (unsigned long)f->vector, (unsigned long)f->error);
    log_err("  rip %016lx cs %04lx rflags %016lx rsp %016lx cr2 %016lx", (unsigned long)f->rip,
            (unsigned long)f->cs, (unsigned long)f->rflags, (unsigned long)f->rsp,
            (unsigned long)read_cr2());
    log_err("  rax %016lx rbx %016lx rcx %016lx rdx %016lx", (unsigned long)f->rax,
            (unsigned long)f->rbx, (unsigned long)f->rcx, (unsigned long)f->rdx);
    log_err("  rsi %016lx rdi %016lx rbp %016lx r8  %016lx", (unsigned long)f->rsi,
            (unsigned long)f->rdi, (unsigned long)f->rbp, (unsigned long)f->r8);
    log_err("  r9  %016lx r10 %016lx r11 %016lx r12 %016lx", (unsigned long)f->r9,
            (unsigned long)f->r10, (unsigned long)f->r11, (unsigned long)f->r12);
    log_err("  r13 %016lx r14 %016lx r15 %016lx cr0 %016lx", (unsigned long)f->r13,
            (unsigned long)f->r14, (unsigned long)f->r15, (unsigned long)read_cr0());
    panic_finish();
}
