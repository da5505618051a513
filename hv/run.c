/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU run loop: each physical CPU runs the one vCPU pinned to it
 * (or idles), entering the guest, recording the exit and dispatching it.
 */
#include <stdio.h>

#include "hv/host/console.h"
#include "hv/host/desc.h"
#include "hv/host/hosttimer.h"
#include "hv/emul/inject.h"
#include "hv/emul/nmi.h"
#include "hv/host/time.h"
#include "hv/vapic.h"
#include "hv/passthru.h"
#include "hv/dev/vplatform.h"
#include "hv/host/percpu.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/vm_reset.h"
#include "hv/trace.h"
#include "hv/x86.h"
#include "hv/shell/conin.h"
#include "hv/shell/snap.h"

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
    for (;;) {
        if (pc->con_poller) {
            conin_poll();
            host_timer_arm(conin_deadline());
        }
        pcpu_wait(pc);
    }
}

/* The vendor decodes each exit straight into the next slot of the
 * vCPU's ring of last exits (vcpu_dump shows them), and the handler reads
 * it there: no copy on an exit's path.  The slot is kept once counted. */
static void vcpu_record_exit(struct vcpu *v, const struct exit_record *e)
{
    _Static_assert((VCPU_LAST_EXITS & (VCPU_LAST_EXITS - 1)) == 0, "a power of two");
    v->last_next = (v->last_next + 1) & (VCPU_LAST_EXITS - 1);
    if ((unsigned)e->reason < EXIT_REASON_COUNT)
        v->exit_count[e->reason]++;
}

static void vcpu_start(struct vcpu *v)
{
    /* An AP started by KEEL_HC_VCPU_START: load its entry state here, on
     * the CPU that owns its VMCB. */
    vcpu_start_multiboot(v, v->start_eip, v->start_eax, v->start_ebx);
    log_debug("vm%u vCPU %u starts at %#x", v->vm->index, v->index, v->start_eip);
}

void vcpu_log_counters(const struct vcpu *v)
{
    char line[200];
    size_t off = 0;
    for (unsigned r = 1; r < EXIT_REASON_COUNT && off < sizeof(line) - 32; r++)
        if (v->exit_count[r])
            off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%lu",
                                    exit_reason_name((enum exit_reason)r),
                                    (unsigned long)v->exit_count[r]);
    line[off] = 0;
    log_debug("vm%u vCPU %u (state %u, rip %#lx) exits:%s; fast re-entries %lu", v->vm->index,
              v->index, v->state, (unsigned long)v->rip, off ? line : " none",
              (unsigned long)v->fast_entries);
}

/* How soon to force an exit when an interrupt shadow hides the window
 * (one guest instruction is enough). */
#define SHORT_EXIT_US 5

/* Entries in a row that may skip the full pre-entry pass (vcpu_fast_entry). */
#define FAST_ENTRY_MAX 64

/* The earliest host-TSC time this CPU must look at the vCPU again. */
static uint64_t vcpu_next_deadline(struct vcpu *v, bool short_exit)
{
    uint64_t d = vapic_timer_deadline(v);
    uint64_t p = v->index == 0 ? vplatform_timer_deadline(v->vm->plat) : 0;
    if (p && (!d || p < d))
        d = p;
    if (v->pcpu->con_poller && (!d || conin_deadline() < d))
        d = conin_deadline();
    if (short_exit) {
        uint64_t s = rdtsc() + tsc_hz / 1000000 * SHORT_EXIT_US;
        if (!d || s < d)
            d = s;
    }
    return d;
}

static void vcpu_timers(struct vcpu *v)
{
    vapic_timer_check(v);
    if (v->index == 0)
        vplatform_timer_check(v->vm->plat);
    vplatform_uart_input(v->vm->plat); /* console input, when some waits */
    if (v->index == 0)
        passthru_poll(v->vm); /* assigned devices' MSIs and IOMMU faults */
}

static void vcpu_place(struct vcpu *v, bool running)
{
    uint64_t p = VCPU_PLACE_VALID | (v->pcpu->apic_id & VCPU_PLACE_HOST_ID_MASK)
                 | (running ? VCPU_PLACE_RUNNING : 0);
    if (__atomic_load_n(&v->placement, __ATOMIC_RELAXED) != p) {
        __atomic_store_n(&v->placement, p, __ATOMIC_RELEASE);
        passthru_placement(v); /* IOMMU posting follows (AMD-Vi IsRun, Destination) */
    }
}

/* A halted or waiting vCPU: sleep until a kick or its next timer. */
static void vcpu_block(struct percpu *pc, struct vcpu *v)
{
    vcpu_place(v, false);
    /* With posted interrupts a post to this vCPU must wake this CPU (the
     * vendor switches the notification to its wake-up vector); a post
     * that came before the switch means: do not sleep. */
    if (vops->block_prepare && !vops->block_prepare(v)) {
        vops->block_end(v);
        vcpu_place(v, v->started);
        return;
    }
    host_timer_arm(vcpu_next_deadline(v, false));
    pcpu_wait(pc);
    host_timer_arm(0);
    if (vops->block_end)
        vops->block_end(v);
    vcpu_place(v, v->started);
}

/* The one acceleration predicate, asked before each entry; the vendor's
 * vcpu_run applies the answer.  Changes are logged with their reasons. */
static void vcpu_update_accel(struct vcpu *v)
{
    struct apic_accel a;
    if (!vapic_accel_decide(v, &a))
        return; /* nothing it depends on moved */
    if (!v->apic.accel_decided || a.on != v->apic.accel.on || a.regs != v->apic.accel.regs
        || a.ipi != v->apic.accel.ipi) {
        char why[96];
        apic_inhibit_describe(a.why_not, why, sizeof(why));
        log_info("vm%u vCPU %u: APIC %s%s (inhibits: %s)", v->vm->index, v->index,
                  a.on ? "accelerated" : "emulated",
                  !a.on                              ? ""
                  : a.regs == APIC_ACCEL_REGS_X2APIC ? ", x2APIC MSRs"
                  : a.regs == APIC_ACCEL_REGS_XAPIC  ? ", xAPIC page"
                                                     : ", x2APIC MSRs emulated (hybrid)",
                  why);
    }
    v->apic.accel = a;
    v->apic.accel_decided = true;
}

/* The full pre-entry pass: console and shell requests, timers, INIT/SIPI,
 * sleep while halted, the acceleration decision, event injection, the
 * host timer.  False when the vCPU slept instead (the caller loops). */
static bool vcpu_prepare_entry(struct percpu *pc, struct vcpu *v)
{
    if (pc->con_poller)
        conin_poll();
    snap_serve(pc, v); /* the shell asked for this vCPU's state */
    vcpu_timers(v);
    if (vops->posted_sync)
        vops->posted_sync(v); /* posted interrupts into IRR, where the wake check looks */
    if (vlapic_events(&v->apic.vl) & (VLAPIC_EV_INIT | VLAPIC_EV_SIPI))
        vcpu_handle_init_sipi(v); /* an unlocked peek: set under the lock, taken under it */
    uint32_t st = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
    if (st == VCPU_HALTED && vcpu_wake_pending(v))
        __atomic_store_n(&v->state, st = VCPU_RUNNABLE, __ATOMIC_RELEASE);
    if (st == VCPU_WAIT_START || st == VCPU_HALTED) {
        vcpu_block(pc, v);
        return false;
    }
    if (!v->started) {
        vcpu_start(v);
        v->started = true;
        vcpu_place(v, true);
    }
    uint32_t gen = apic_inhibit_generation(&v->vm->inhibit);
    vcpu_update_accel(v);
    bool short_exit = vcpu_inject_events(v);
    if (apic_inhibit_generation(&v->vm->inhibit) != gen) {
        /* The activation toggled meanwhile, maybe by this very injection
         * (a wait for an ExtINT window inhibits AVIC): apply it now. */
        vcpu_update_accel(v);
        short_exit |= vcpu_inject_events(v);
    }
    host_timer_arm(vcpu_next_deadline(v, short_exit));
    __atomic_store_n(&pc->kicked, 0, __ATOMIC_RELEASE);
    pc->irq_seen = 0; /* one from here on is held until the entry, which it ends */
    v->entry_quiet &= !short_exit && !trace_enabled();
    v->fast_left = FAST_ENTRY_MAX;
    return true;
}

/* Whether this entry may skip the pre-entry pass: the last pass found
 * nothing waiting and every exit since was one whose handler changed
 * nothing that pass reads (a CPUID, a read of the PM timer, ...: the
 * handlers say so with exit_pure).  Everything else that could give the
 * pass work reaches this CPU as an exit of its own: another CPU's IPI,
 * INIT, inhibit change or stop kicks it, and timers (the vLAPIC's, the
 * platform's, console input's) fire the host timer the pass armed; both
 * are physical interrupts, so the next VMRUN exits at once and that exit
 * is not pure, or, taken between an exit and its handler, they leave
 * irq_seen set.  The kick flag is looked at too, so a kick does not rest
 * on the emulator delivering a held host interrupt at once (Bochs 2.7
 * holds one back from a guest with IF=0 until the VMX-preemption backstop,
 * docs/platforms.md).  The pass still runs at least every FAST_ENTRY_MAX entries,
 * for the polls nothing interrupts for (the shell's snapshot requests). */
static bool vcpu_fast_entry(struct percpu *pc, struct vcpu *v)
{
    bool fast = v->exit_pure && v->entry_quiet && v->fast_left && !pc->irq_seen &&
                !__atomic_load_n(&pc->kicked, __ATOMIC_ACQUIRE);
    v->exit_pure = false;
    v->fast_left -= fast;
    v->fast_entries += fast;
    return fast;
}

/* One pass: events, then either sleep or enter the guest once.  False
 * when the exit stopped the VM. */
static bool vcpu_step(struct percpu *pc, struct vcpu *v)
{
    struct exit_record *e = &v->last[v->last_next];
    uint8_t cr8 = v->entry_cr8;
    if (!vcpu_fast_entry(pc, v)) {
        if (!vcpu_prepare_entry(pc, v))
            return true;
        /* A CPU with its own copy of CR8 (SVM V_TPR) gets the APIC's TPR
         * before the entry and gives back a changed one; without get_vtpr
         * the CPU works on the TPR in the APIC page itself (VMX TPR
         * shadow).  A fast entry follows an exit that left both as they
         * were. */
        cr8 = vapic_get_cr8(v);
        if (vops->set_vtpr)
            vops->set_vtpr(v, cr8);
    }
    if (trace_enabled())
        trace_entry_event(v);
    vops->vcpu_run(v, e);
    e->tsc = rdtsc();
    if (e->virq_taken) {
        vcpu_virq_taken(v, e->virq_vector); /* before the exit is handled */
        if (trace_enabled())
            trace_virq(v, e);
    }
    if (vops->get_vtpr) {
        uint8_t now = vops->get_vtpr(v);
        if (now != cr8) {
            vapic_set_cr8(v, now); /* the guest wrote CR8 */
            v->entry_quiet = false; /* a held interrupt may be deliverable now */
        }
        cr8 = now;
    }
    v->entry_cr8 = cr8;
    if (v->nmi_hw_on)
        vcpu_nmi_track(v); /* only the CPU's own NMI state (vNMI) needs following */
    vcpu_record_exit(v, e);
    if (trace_enabled())
        trace_exit(v, e);
    return exit_dispatch(v, e);
}

/* The VM ended (this vCPU's exit stopped it, or another's did). */
static void vcpu_stopped(struct percpu *pc, struct vcpu *v) __attribute__((noreturn));
static void vcpu_stopped(struct percpu *pc, struct vcpu *v)
{
    __atomic_store_n(&v->state, VCPU_STOPPED, __ATOMIC_RELEASE);
    host_timer_arm(0);
    vcpu_log_counters(v);
    pcpu_idle(pc);
}

void pcpu_run_loop(struct percpu *pc)
{
    struct vcpu *v = pc->vcpu;
    if (!v)
        pcpu_idle(pc);
    if (vops->vcpu_load && vops->vcpu_load(v))
        vm_stop_fault(v, "cannot load the vCPU's %s state on CPU %u", vops->name, pc->index);
    for (;;) {
        if (vm_restart_pending(v->vm)) {
            v->entry_quiet = false; /* the reset changes everything the pass looks at */
            vcpu_place(v, false);
            vm_restart_rendezvous(v); /* hv/vm_reset.c: parked, reset, resumed */
            vcpu_place(v, v->started);
        }
        if (vm_ended(v->vm) || !vcpu_step(pc, v))
            vcpu_stopped(pc, v);
    }
}
