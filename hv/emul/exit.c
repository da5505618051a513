/* SPDX-License-Identifier: MIT */
/*
 * Exit dispatch: a const table indexed by the neutral exit reason.  An
 * exit with no handler stops its VM with a dump; the hypervisor and the
 * other VMs go on.
 */
#include "hv/emul/exit.h"

#include "hv/host/console.h"
#include "hv/emul/handlers.h"
#include "hv/host/time.h"
#include "hv/vapic.h"
#include "hv/emul/vcpuid.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "hv/emul/x86_decode.h"

static const char *const exit_names[EXIT_REASON_COUNT] = {
    [EXIT_NONE] = "none",          [EXIT_CPUID] = "cpuid",
    [EXIT_MSR_READ] = "rdmsr",     [EXIT_MSR_WRITE] = "wrmsr",
    [EXIT_IO] = "io",              [EXIT_NPF] = "npf",
    [EXIT_HLT] = "hlt",            [EXIT_HYPERCALL] = "hypercall",
    [EXIT_INTR] = "intr",          [EXIT_NMI] = "nmi",
    [EXIT_SHUTDOWN] = "shutdown",  [EXIT_EXCEPTION] = "exception",
    [EXIT_VIRT_INSN] = "virt-insn", [EXIT_XSETBV] = "xsetbv",
    [EXIT_INTR_WINDOW] = "intr-window", [EXIT_IRET] = "iret", [EXIT_CR8_WRITE] = "cr8-write",
    [EXIT_NMI_WINDOW] = "nmi-window", [EXIT_TPR_BELOW] = "tpr-below",
    [EXIT_APIC_WRITE] = "apic-write", [EXIT_APIC_EOI] = "apic-eoi",
    [EXIT_INVALID_STATE] = "invalid", [EXIT_UNKNOWN] = "unknown",
};

const char *exit_reason_name(enum exit_reason r)
{
    return (unsigned)r < EXIT_REASON_COUNT && exit_names[r] ? exit_names[r] : "?";
}

static int handle_cpuid(struct vcpu *v, const struct exit_record *e)
{
    uint32_t leaf = (uint32_t)v->gpr[GPR_RAX], sub = (uint32_t)v->gpr[GPR_RCX];
    uint32_t r[4];
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
    };
    vcpuid_filter(leaf, sub, r, &ctx);
    v->gpr[GPR_RAX] = r[0];
    v->gpr[GPR_RBX] = r[1];
    v->gpr[GPR_RCX] = r[2];
    v->gpr[GPR_RDX] = r[3];
    return vcpu_skip_insn(v, e);
}

static int handle_hlt(struct vcpu *v, const struct exit_record *e)
{
    if (vcpu_skip_insn(v, e))
        return -1;
    /* The HLT has executed: an STI shadow before it is over, and the vCPU
     * sleeps until an interrupt, NMI, INIT or SIPI (the run loop). */
    vops->clear_shadow(v);
    __atomic_store_n(&v->state, VCPU_HALTED, __ATOMIC_RELEASE);
    return 0;
}

static int handle_intr_window(struct vcpu *v, const struct exit_record *e)
{
    vops->set_intr_window(v, false); /* the run loop injects before the next entry */
    return 0;
}

/* MOV to CR8 (0F 22 /r with REX.R, or AMD's LOCK MOV CR0 alias): no decode
 * assists under QEMU, so the instruction is decoded for its source GPR.
 * Bits 63:4 set is #GP (SDM 2.5, "CR8"). */
static int handle_cr8_write(struct vcpu *v, const struct exit_record *e)
{
    struct x86_insn in;
    if (vcpu_decode_at_rip(v, &in))
        return 0;
    if (in.opcode_map != X86_MAP_0F || in.opcode != 0x22 || !in.has_modrm)
        return vm_stop_fault(v, "CR8-write exit on an instruction that is not MOV to CR");
    unsigned src = (in.modrm & 7u) | ((in.rex & X86_REX_B) ? 8u : 0u);
    uint64_t val = v->gpr[src];
    if (val >> 4) {
        vcpu_inject_gp(v);
        return 0;
    }
    vapic_set_cr8(v, (uint8_t)val);
    if (vops->set_vtpr)
        vops->set_vtpr(v, (uint8_t)val);
    v->rip += in.len;
    return 0;
}

static int handle_nmi_window(struct vcpu *v, const struct exit_record *e)
{
    /* The CPU tracked the NMI handler's IRET itself (virtual NMIs). */
    vops->set_iret_exit(v, false);
    v->nmi_masked = false;
    v->nmi_unmask_at_next_exit = false;
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

static int handle_iret(struct vcpu *v, const struct exit_record *e)
{
    /* The IRET intercept comes before the IRET executes (APM 15.9): NMIs
     * stay blocked until RIP has moved past it. */
    vops->set_iret_exit(v, false);
    v->nmi_unmask_at_next_exit = true;
    v->nmi_iret_rip = v->rip;
    return 0;
}

static int handle_physical_event(struct vcpu *v, const struct exit_record *e)
{
    /* The interrupt or NMI itself is taken by the host IDT after STGI. */
    return 0;
}

static int handle_shutdown(struct vcpu *v, const struct exit_record *e)
{
    return vm_stop_fault(v, "triple fault");
}

static int handle_virt_insn(struct vcpu *v, const struct exit_record *e)
{
    /* SVM/VMX instructions, RDTSCP and XSETBV are not offered to guests
     * (CPUID hides them): they #UD as on a CPU without them. */
    vcpu_inject_ud(v);
    return 0;
}

static int handle_exception(struct vcpu *v, const struct exit_record *e)
{
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
    [EXIT_XSETBV] = handle_virt_insn,
    [EXIT_INTR_WINDOW] = handle_intr_window,
    [EXIT_IRET] = handle_iret,
    [EXIT_CR8_WRITE] = handle_cr8_write,
    [EXIT_NMI_WINDOW] = handle_nmi_window,
    [EXIT_TPR_BELOW] = handle_tpr_below,
    [EXIT_APIC_WRITE] = handle_apic_write,
    [EXIT_APIC_EOI] = handle_apic_eoi,
    [EXIT_INVALID_STATE] = handle_invalid,
};

int exit_dispatch(struct vcpu *v, const struct exit_record *e)
{
    if ((unsigned)e->reason >= EXIT_REASON_COUNT || !exit_handlers[e->reason])
        return vm_stop_fault(v, "unhandled exit %s (code %#lx)", exit_reason_name(e->reason),
                             (unsigned long)e->raw);
    return exit_handlers[e->reason](v, e);
}
