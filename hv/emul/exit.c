/* SPDX-License-Identifier: MIT */
/*
 * Exit dispatch: a const table indexed by the neutral exit reason.  An
 * exit with no handler stops its VM with a dump; the hypervisor and the
 * other VMs go on.
 */
#include "hv/emul/exit.h"

#include "hv/host/console.h"
#include "hv/emul/handlers.h"
#include "hv/emul/inject.h"
#include "hv/emul/nmi.h"
#include "hv/host/time.h"
#include "hv/vapic.h"
#include "hv/emul/vcpuid.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/vm_reset.h"
#include "hv/x86.h"
#include "hv/emul/x86_decode.h"

static const char *const exit_names[EXIT_REASON_COUNT] = {
    [EXIT_NONE] = "none",          [EXIT_CPUID] = "cpuid",
    [EXIT_MSR_READ] = "rdmsr",     [EXIT_MSR_WRITE] = "wrmsr",
    [EXIT_IO] = "io",              [EXIT_NPF] = "npf",
    [EXIT_HLT] = "hlt",            [EXIT_HYPERCALL] = "hypercall",
    [EXIT_INTR] = "intr",          [EXIT_NMI] = "nmi",
    [EXIT_SHUTDOWN] = "shutdown",  [EXIT_EXCEPTION] = "exception",
    [EXIT_VIRT_INSN] = "virt-insn", [EXIT_XSETBV] = "xsetbv", [EXIT_RDPMC] = "rdpmc",
    [EXIT_INTR_WINDOW] = "intr-window", [EXIT_IRET] = "iret", [EXIT_CR_ACCESS] = "cr-access",
    [EXIT_NMI_WINDOW] = "nmi-window", [EXIT_TPR_BELOW] = "tpr-below",
    [EXIT_APIC_WRITE] = "apic-write", [EXIT_APIC_EOI] = "apic-eoi",
    [EXIT_IPI_INCOMPLETE] = "ipi-incomplete", [EXIT_INVALID_STATE] = "invalid", [EXIT_UNKNOWN] = "unknown",
};

const char *exit_reason_name(enum exit_reason r)
{
    return (unsigned)r < EXIT_REASON_COUNT && exit_names[r] ? exit_names[r] : "?";
}

void vcpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    cpuid_count(leaf, sub, r);
    const struct vapic_vm_opts *o = vapic_vm_opts(v->vm);
    struct vcpuid_ctx ctx = {
        .vcpu_index = v->index,
        .nvcpus = v->vm->nvcpus,
        .vm_index = v->vm->index,
        .tsc_khz = (uint32_t)(tsc_hz / 1000),
        .apic_enabled = vapic_enabled(v),
        .x2apic = o->x2apic,
        .tsc_deadline = o->tsc_deadline,
        .xcr0_offered = fpu_xcr0_offered(),
        .xsave = fpu_xsave_layout(),
    };
    /* The guest's CR4 and XCR0, only for the leaves that report them. */
    if (leaf == 1)
        ctx.osxsave = vops->get_cr(v, 4) & CR4_OSXSAVE;
    if (leaf == 0xd)
        ctx.xcr0 = fpu_guest_xcr0(v);
    vcpuid_filter(leaf, sub, r, &ctx);
    if (__builtin_expect(vcpuid_time_leaf(leaf), 0)) {
        uint32_t l0[4];
        cpuid_count(0, 0, l0);
        struct vcpuid_time t = { .tsc_hz = tsc_hz, .max_basic = l0[0],
                                 .tsc_per_bus_tick = (uint32_t)v->apic.vl.tsc_per_bus_tick,
                                 .invariant_tsc = v->vm->invariant_tsc };
        vcpuid_time(leaf, r, &t);
    }
}

uint64_t vcpu_cr4_allowed(struct vcpu *v)
{
    if (v->cr4_allowed)
        return v->cr4_allowed;
    uint32_t l0[4], l1[4], l7[4] = { 0, 0, 0, 0 };
    vcpu_cpuid(v, 0, 0, l0);
    vcpu_cpuid(v, 1, 0, l1);
    if (l0[0] >= 7)
        vcpu_cpuid(v, 7, 0, l7);
    v->cr4_allowed = vcpuid_cr4_allowed(l1, l7);
    return v->cr4_allowed;
}

static int handle_cpuid(struct vcpu *v, const struct exit_record *e)
{
    uint32_t leaf = (uint32_t)v->gpr[GPR_RAX], sub = (uint32_t)v->gpr[GPR_RCX];
    uint32_t r[4];
    vcpu_cpuid(v, leaf, sub, r);
    v->gpr[GPR_RAX] = r[0];
    v->gpr[GPR_RBX] = r[1];
    v->gpr[GPR_RCX] = r[2];
    v->gpr[GPR_RDX] = r[3];
    v->exit_pure = true; /* registers only: the next entry may skip the pass (hv/run.c) */
    return vcpu_skip_insn(v, e);
}

static int handle_hlt(struct vcpu *v, const struct exit_record *e)
{
    if (vcpu_skip_insn(v, e))
        return -1;
    /* The HLT has executed: an STI shadow before it is over, and the vCPU
     * sleeps until an interrupt, NMI, INIT or SIPI (the run loop). */
    vops->clear_shadow(v);
    if (vcpu_wake_pending(v)) {
        /* What would wake it is there already (an STI; HLT with an
         * interrupt waiting): the pass would wake it at once
         * (hv/run.c vcpu_prepare_entry).  It does not sleep, and this
         * exit moved no more than a CPUID's (RIP, the shadow): the next
         * entry may skip the pass, and the CPU delivers what the last one
         * handed over (docs/exit-path.md). */
        v->exit_pure = true;
        return 0;
    }
    __atomic_store_n(&v->state, VCPU_HALTED, __ATOMIC_RELEASE);
    return 0;
}

static int handle_intr_window(struct vcpu *v, const struct exit_record *e)
{
    vapic_irq_window(v, false);
    vops->set_intr_window(v, false); /* the run loop injects before the next entry */
    return 0;
}

static int handle_tpr_below(struct vcpu *v, const struct exit_record *e)
{
    /* The TPR already changed in the APIC page; the run loop re-evaluates. */
    return 0;
}

/* An accelerated APIC's write the CPU stored but cannot complete alone
 * (SDM 30.4.3.3); trap-like: RIP is already past the instruction. */
static int handle_apic_write(struct vcpu *v, const struct exit_record *e)
{
    return vapic_apic_write(v, (uint32_t)e->info1);
}

/* The CPU completed the EOI of a vector in the EOI-exit bitmap (ISR
 * cleared already, SDM 30.1.4); the I/O APIC still needs to hear of it. */
static int handle_apic_eoi(struct vcpu *v, const struct exit_record *e)
{
    vapic_eoi_exit(v, (uint8_t)e->info1);
    return 0;
}

/* An IPI the CPU's acceleration left unfinished (AMD
 * AVIC_INCOMPLETE_IPI); trap-like.  The vLAPIC decides what is left. */
static int handle_ipi_incomplete(struct vcpu *v, const struct exit_record *e)
{
    return vapic_ipi_incomplete(v, &e->ipi);
}

static int handle_physical_event(struct vcpu *v, const struct exit_record *e)
{
    /* The interrupt or NMI itself is taken by the host IDT after STGI. */
    return 0;
}

/* A triple fault: the CPU enters shutdown, which a PC's chipset turns into
 * a reset (SDM 6.15 "#DF"; APM 15.13 "Shutdown").  Keel stops the VM with a
 * dump by default; keel.cfg on_triple_fault = reset makes it a reset like
 * the chipset's (hv/vm_reset.c, then on_reboot decides). */
static int handle_shutdown(struct vcpu *v, const struct exit_record *e)
{
    if (!v->vm->triple_fault_reset)
        return vm_stop_fault(v, "triple fault");
    vm_request_restart(v->vm, VM_RESTART_TRIPLE, 0);
    return 0;
}

static int handle_virt_insn(struct vcpu *v, const struct exit_record *e)
{
    /* SVM/VMX instructions and RDTSCP are not offered to guests (CPUID
     * hides them): they #UD as on a CPU without them. */
    vcpu_inject_ud(v);
    return 0;
}

static int handle_exception(struct vcpu *v, const struct exit_record *e)
{
    if (vcpu_nmi_step_exception(v, e))
        return 0; /* the end of an NMI handler's IRET, or its fault */
    if (e->exc.vector == X86_MC)
        return vm_stop_fault(v, "machine check while running the guest");
    return vm_stop_fault(v, "unexpected intercepted exception %u", e->exc.vector);
}

static int handle_invalid(struct vcpu *v, const struct exit_record *e)
{
    return vm_stop_fault(v, "invalid guest state: the CPU refused to enter the guest");
}

static const exit_handler_fn exit_handlers[EXIT_REASON_COUNT] = {
    [EXIT_CPUID] = handle_cpuid,
    [EXIT_MSR_READ] = handle_msr_read,
    [EXIT_MSR_WRITE] = handle_msr_write,
    [EXIT_IO] = handle_io,
    [EXIT_NPF] = handle_npf,
    [EXIT_HLT] = handle_hlt,
    [EXIT_HYPERCALL] = handle_hypercall,
    [EXIT_INTR] = handle_physical_event,
    [EXIT_NMI] = handle_physical_event,
    [EXIT_SHUTDOWN] = handle_shutdown,
    [EXIT_EXCEPTION] = handle_exception,
    [EXIT_VIRT_INSN] = handle_virt_insn,
    [EXIT_XSETBV] = handle_xsetbv,
    [EXIT_RDPMC] = handle_rdpmc,
    [EXIT_INTR_WINDOW] = handle_intr_window,
    [EXIT_IRET] = vcpu_nmi_iret,        /* hv/emul/nmi.c */
    [EXIT_CR_ACCESS] = handle_cr_access,
    [EXIT_NMI_WINDOW] = vcpu_nmi_window,
    [EXIT_TPR_BELOW] = handle_tpr_below,
    [EXIT_APIC_WRITE] = handle_apic_write,
    [EXIT_APIC_EOI] = handle_apic_eoi,
    [EXIT_IPI_INCOMPLETE] = handle_ipi_incomplete,
    [EXIT_INVALID_STATE] = handle_invalid,
};

bool exit_dispatch(struct vcpu *v, const struct exit_record *e)
{
    if ((unsigned)e->reason >= EXIT_REASON_COUNT || !exit_handlers[e->reason]) {
        vm_stop_fault(v, "unhandled exit %s (code %#lx)", exit_reason_name(e->reason),
                      (unsigned long)e->raw);
        return false;
    }
    if (exit_handlers[e->reason](v, e) == 0)
        return true; /* the run loop still checks vm_ended() before the entry */
    /* A handler that said "pure" and then failed (a fault injected while
     * decoding for the RIP advance, or a stop) leaves the pass work. */
    v->exit_pure = false;
    /* Negative: a stop or an injected fault; the VM's state tells which. */
    return !vm_ended(v->vm);
}

/* Here rather than beside vcpu_skip_insn in hv/vm.c: the emulators that
 * call it are host-tested without vm.c. */
void vcpu_advance_rip(struct vcpu *v, unsigned len)
{
    v->rip += len;
    /* Outside 64-bit mode RIP wraps at 4 GiB; below it there is nothing
     * to wrap, whatever the mode, and the mode need not be asked. */
    if ((v->rip >> 32) && vops->cpu_mode(v) != X86_MODE_LONG64)
        v->rip &= 0xffffffffu;
    /* The instruction completed: an STI / MOV SS shadow that covered it is
     * over (SDM 6.8.3), and an NMI or interrupt may go in right after it
     * (docs/nmi.md), not one instruction later. */
    vops->clear_shadow(v);
    if (v->nmi_stepping)
        vcpu_nmi_step_cancel(v); /* a step of that instruction has nothing left to see */
}
