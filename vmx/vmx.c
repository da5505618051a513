/* SPDX-License-Identifier: MIT */
/*
 * Intel VMX: feature detection, VMXON per CPU, VMCS set-up, the run path
 * and event injection.  Exit decoding is in vmx_exit.c.  A VMCS can only be
 * written on the CPU where it is current, so state the vendor-neutral code
 * sets from elsewhere (a VM's first vCPU is built on the boot CPU) waits in
 * `pending` until the owning CPU's first entry.
 */
#include "vmx/vmx.h"

#include <stdio.h>
#include <string.h>

#include "hv/host/console.h"
#include "hv/host/desc.h"
#include "hv/host/fpu.h"
#include "hv/mm/mem.h"
#include "hv/host/percpu.h"
#include "hv/host/time.h"
#include "hv/vcpu_state.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_exit_reasons.h"

struct vmx_controls vmx_ctl;

#define FEATURE_CONTROL_LOCK        (1ull << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE (1ull << 2)
#define CPUID1_ECX_VMX_BIT          (1u << 5)


static void read_caps(struct vmx_cap_msrs *c)
{
    memset(c, 0, sizeof(*c));
    c->basic = rdmsr(MSR_IA32_VMX_BASIC);
    c->pinbased = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
    c->procbased = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
    c->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
    c->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
    c->misc = rdmsr(MSR_IA32_VMX_MISC);
    c->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
    c->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
    c->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
    c->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
    if ((c->procbased >> 32) & VMX_PROC_SECONDARY_CONTROLS) {
        c->procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
        /* IA32_VMX_EPT_VPID_CAP exists only if EPT or VPID may be 1
         * (SDM A.10); reading it otherwise is #GP (Bochs core2_penryn). */
        if ((c->procbased2 >> 32) & (VMX_PROC2_EPT | VMX_PROC2_VPID))
            c->ept_vpid = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
    }
    if (c->basic & VMX_BASIC_TRUE_CTLS) {
        c->true_pinbased = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
        c->true_procbased = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
        c->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
        c->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
    }
}

static int vmx_probe(void)
{
    uint32_t r[4];
    cpuid_count(1, 0, r);
    if (!(r[2] & CPUID1_ECX_VMX_BIT)) {
        log_err("this CPU lacks VMX (CPUID.1:ECX[5] = 0)");
        return -1;
    }
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE)) {
        log_err("VMX is disabled by the firmware (IA32_FEATURE_CONTROL locked without "
                "VMX outside SMX): enable it in the setup");
        return -1;
    }
    struct vmx_cap_msrs caps;
    struct vmx_policy pol = { .want_apicv = true, .want_posted_intr = true, .want_ipiv = true };
    char err[200], line[300];
    read_caps(&caps);
    if (vmx_negotiate(&caps, &pol, &vmx_ctl, err, sizeof(err))) {
        log_err("%s", err);
        return -1;
    }
    if (!vmx_ctl.f.virtual_nmis) {
        log_err("VMX lacks virtual NMIs (pin-based control bit 5); Keel needs them");
        return -1;
    }
    vmx_controls_describe(&vmx_ctl, line, sizeof(line));
    log_info("%s", line);
    vmx_apicv_probe();
    return 0;
}

static int vmx_cpu_enable(struct percpu *pc)
{
    uint64_t fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
    if (!(fc & FEATURE_CONTROL_LOCK))
        wrmsr(MSR_IA32_FEATURE_CONTROL, fc | FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE);
    write_cr0((read_cr0() | vmx_ctl.cr0_fixed0) & (vmx_ctl.cr0_fixed1 | ~0xffffffffull));
    write_cr4((read_cr4() | vmx_ctl.cr4_fixed0 | CR4_VMXE) & (vmx_ctl.cr4_fixed1 | ~0xffffffffull));
    uint32_t *region = mem_alloc_pages(1, "VMXON region");
    region[0] = vmx_ctl.revision;
    pc->vendor = region; /* the VMXON region is all VMX keeps per CPU */
    return vmx_on(virt_to_phys(region));
}

/* MSR bitmap (SDM 24.6.9): read-low 0x000, read-high 0x400, write-low
 * 0x800, write-high 0xc00; a clear bit lets the access through. */
static void msr_passthrough(uint8_t *map, uint32_t msr)
{
    unsigned base = msr >= 0xc0000000u ? 0x400 : 0;
    unsigned idx = msr & 0x1fff;
    vmx_bitmap_clear(map + base, idx);
    vmx_bitmap_clear(map + base + 0x800, idx);
}

/* The guest copies live in the VMCS or in the CPU (hv/x86.h says why). */
static const uint32_t vmx_passthrough_msrs[] = { X86_PASSTHROUGH_MSRS };

static int vmx_vm_init(struct vm *vm)
{
    struct vmx_vm *x = mem_try_alloc(1, 1, 0);
    if (!x)
        return -1;
    x->msr_bitmap = mem_try_alloc(1, 1, 0);
    x->io_bitmap_a = mem_try_alloc(1, 1, 0);
    x->io_bitmap_b = mem_try_alloc(1, 1, 0);
    if (!x->msr_bitmap || !x->io_bitmap_a || !x->io_bitmap_b)
        return -1;
    memset(x->msr_bitmap, 0xff, PAGE_SIZE);
    memset(x->io_bitmap_a, 0xff, PAGE_SIZE);
    memset(x->io_bitmap_b, 0xff, PAGE_SIZE);
    for (size_t i = 0; i < sizeof(vmx_passthrough_msrs) / sizeof(vmx_passthrough_msrs[0]); i++)
        msr_passthrough(x->msr_bitmap, vmx_passthrough_msrs[i]);
    x->eptp = vm->npt.root | VMX_EPTP_WALK_4 | VMX_EPTP_MT_WB;
    vm->vendor = x;
    return vmx_apicv_vm_init(vm, x);
}

static int vmx_vcpu_init(struct vcpu *v)
{
    struct vmx_vcpu *x = mem_try_alloc(1, 1, 0);
    if (!x)
        return -1;
    x->vmcs = mem_try_alloc(1, 1, 0);
    if (!x->vmcs)
        return -1;
    *(uint32_t *)x->vmcs = vmx_ctl.revision;
    x->vmcs_pa = virt_to_phys(x->vmcs);
    x->vpid = vmx_ctl.f.vpid ? (uint16_t)(v->vm->index + 1) : 0;
    v->vendor = x;
    return vmx_posted_vcpu_init(v, x);
}

static void pending_seg(struct vmx_seg_init *d, const struct seg_state *s)
{
    d->sel = s->sel;
    d->ar = vmx_ar_from_attrib(s->attrib);
    d->limit = s->limit;
    d->base = s->base;
}

/* An architectural entry state (hv/vcpu_state.c), loaded into the VMCS at
 * the next entry on the owning CPU (vmx_apply_pending).  CR0/CR4: the guest
 * sees its own value through the read shadows; bits the CPU needs in VMX
 * operation (NE, PE/PG unless unrestricted, CR4.VMXE) stay set underneath
 * (SDM 24.6.6, 26.3.1.1). */
static void vmx_load_state(struct vcpu *v, const struct vcpu_entry_state *e)
{
    struct vmx_pending_state *p = &vmx_of(v)->pending;
    memset(p, 0, sizeof(*p));
    for (unsigned i = 0; i < SREG_COUNT; i++)
        pending_seg(&p->seg[i], &e->seg[i]);
    pending_seg(&p->ldtr, &e->ldtr);
    pending_seg(&p->tr, &e->tr);
    p->gdtr_base = e->gdtr.base;
    p->gdtr_limit = e->gdtr.limit;
    p->idtr_base = e->idtr.base;
    p->idtr_limit = e->idtr.limit;
    p->cr0_shadow = e->cr0;
    p->cr0 = e->cr0 | vmx_ctl.guest_cr0_fixed0;
    p->cr4_shadow = e->cr4;
    p->cr4 = e->cr4 | vmx_ctl.cr4_fixed0 | CR4_VMXE;
    p->cr3 = e->cr3;
    p->efer = e->efer;
    p->dr7 = e->dr7;
    p->pat = e->pat;
    p->valid = true;
}

static void vmx_stop_entry_failure(struct vcpu *v, struct exit_record *e, int r)
{
    memset(e, 0, sizeof(*e));
    e->reason = EXIT_INVALID_STATE;
    e->raw = (uint64_t)r;
    e->rip = v->rip;
}

/* An event whose delivery the exit interrupted goes in again at the next
 * entry (SDM 27.2.4, 28.6.1.1) unless a handler queues something else. */
static void vmx_requeue_idt_vectoring(void)
{
    uint32_t info = vmcs_read32(VMCS_IDT_VECTORING_INFO);
    if (!(info & VMX_INTR_INFO_VALID)) {
        vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
        return;
    }
    vmcs_write32(VMCS_ENTRY_INTR_INFO, info & ~VMX_INTR_INFO_NMI_UNBLOCK_IRET);
    if (info & VMX_INTR_INFO_ERROR_VALID)
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR, vmcs_read32(VMCS_IDT_VECTORING_ERROR));
    vmcs_write32(VMCS_ENTRY_INSTR_LEN, vmcs_read32(VMCS_EXIT_INSTR_LEN));
}

/* An IRET that unblocked virtual NMIs and then faulted, or met an EPT
 * violation, before it completed: the guest will execute it again, so
 * NMIs stay blocked until it does (SDM 27.2.3, "NMI unblocking due to
 * IRET", bit 12 of the exit interruption information and of the EPT
 * violation qualification; only without an event being delivered).  Keel
 * never emulates an IRET, so blocking goes back in. */
static void vmx_nmi_iret_refault(uint32_t raw)
{
    uint32_t basic = VMX_EXIT_REASON_BASIC(raw);
    bool unblocked = false;
    if (vmcs_read32(VMCS_IDT_VECTORING_INFO) & VMX_INTR_INFO_VALID)
        return;
    if (basic == VMX_EXIT_EPT_VIOLATION)
        unblocked = (vmcs_readnat(VMCS_EXIT_QUALIFICATION) & VMX_QUAL_EPT_NMI_UNBLOCK_IRET) != 0;
    else if (basic == VMX_EXIT_EXCEPTION_NMI)
        unblocked = (vmcs_read32(VMCS_EXIT_INTR_INFO) & VMX_INTR_INFO_NMI_UNBLOCK_IRET) != 0;
    if (unblocked)
        vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY,
                     vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) | VMX_INTERRUPTIBILITY_NMI);
}

extern const uint8_t vmx_host_int_table[];

static void vmx_dispatch_acked_intr(void)
{
    if (VMX_EXIT_REASON_BASIC(vmcs_read32(VMCS_EXIT_REASON)) != VMX_EXIT_EXT_INTR)
        return;
    uint32_t info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    unsigned vec = info & VMX_INTR_INFO_VECTOR_MASK;
    if (!(info & VMX_INTR_INFO_VALID) || vec < 32)
        return;
    ((void (*)(void))(uintptr_t)(vmx_host_int_table + 4 * vec))();
}

/* How long a guest entered with RFLAGS.IF = 0 runs at most before an exit
 * (the VMX-preemption timer, SDM 25.5.1), in microseconds. */
#define VMX_IF0_BACKSTOP_US 1000

/*
 * A kick must reach a vCPU that runs with interrupts off, and with
 * external-interrupt exiting the guest's RFLAGS.IF does not block host
 * interrupts (SDM 25.2).  Bochs 2.7 gets this wrong: it re-evaluates its
 * interrupt masking only when IF changes (handleInterruptMaskChange,
 * bochs/cpu/flag_ctrl_pro.cc), and VM entry loads the guest's RFLAGS (setEFlags,
 * bochs/cpu/vmx.cc) before it sets in_vmx_guest.  Entered with IF = 0 from a
 * host with IF = 0, the guest keeps the host's masking: a host interrupt
 * (a kick, the timer) makes no exit until the guest itself sets or clears
 * IF, and a loop with interrupts off runs on (docs/platforms.md).  The
 * VMX-preemption timer is not masked that way: armed for entries with
 * IF = 0, it bounds how long a kick waits.  On a CPU that delivers the
 * kick the timer costs at most one exit per VMX_IF0_BACKSTOP_US.
 */
static void vmx_if0_backstop(struct vcpu *v, struct vmx_vcpu *x)
{
    if (!vmx_ctl.f.preemption_timer)
        return;
    bool on = !(v->rflags & RFLAGS_IF);
    uint32_t pin = on ? x->pin | VMX_PIN_PREEMPTION_TIMER : x->pin & ~VMX_PIN_PREEMPTION_TIMER;
    if (pin != x->pin) {
        vmcs_write32(VMCS_PIN_CONTROLS, pin);
        x->pin = pin;
    }
    if (on) {
        uint64_t ticks = (tsc_hz / 1000000 * VMX_IF0_BACKSTOP_US) >> vmx_ctl.f.preemption_timer_shift;
        vmcs_write32(VMCS_PREEMPTION_TIMER, ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks);
    }
}

static int vmx_vcpu_load(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    return x->ready ? 0 : vmx_vmcs_setup(v, x);
}

static void vmx_set_proc(struct vmx_vcpu *x, uint32_t bit, bool on);

static void vmx_vcpu_run(struct vcpu *v, struct exit_record *e)
{
    struct vmx_vcpu *x = vmx_of(v);
    if (!x->ready) {
        vmx_stop_entry_failure(v, e, -1);
        return;
    }
    if (x->pending.valid && vmx_apply_pending(v, x)) {
        vmx_stop_entry_failure(v, e, -2);
        return;
    }
    if (x->flush_pending) {
        const struct vmx_vm *xv = v->vm->vendor;
        if (vmx_ctl.f.invept_single)
            vmx_invept_single(xv->eptp);
        else
            vmx_invept_all();
        x->flush_pending = false;
    }
    vmcs_writenat(VMCS_GUEST_RSP, v->gpr[GPR_RSP]);
    vmcs_writenat(VMCS_GUEST_RIP, v->rip);
    vmcs_writenat(VMCS_GUEST_RFLAGS, v->rflags);
    vmx_apicv_before_entry(v, x);
    /* The run loop's interrupt window, or one that holds a virtual
     * interrupt back from a guest with IF = 0 (Bochs, vmx/vmx_apicv.c). */
    vmx_set_proc(x, VMX_PROC_INTR_WINDOW_EXITING, x->window_hv || x->window_vid);
    vmx_if0_backstop(v, x);
    if (vmx_ctl.f.tpr_shadow && !(x->proc2 & VMX_PROC2_VIRT_INTR_DELIVERY)) {
        /* Without virtual-interrupt delivery the TPR threshold may not
         * exceed VTPR[7:4] at entry (SDM 26.2.1.1); the guest may have
         * lowered its TPR through the APIC page since it was set. */
        uint32_t vtpr = v->apic.page[0x80 / 4] >> 4;
        if (vmcs_read32(VMCS_TPR_THRESHOLD) > vtpr)
            vmcs_write32(VMCS_TPR_THRESHOLD, vtpr);
    }
    fpu_prepare_guest_entry(v->fpu);
    vmcs_writenat(VMCS_HOST_CR0, read_cr0()); /* CR0.TS changes with the lazy FPU */
    write_cr2(x->cr2);
    int r = vmx_enter(v->gpr, x->launched);
    x->cr2 = read_cr2();
    /* The host interrupt that made the guest exit: acknowledged by the
     * exit (posted interrupts need that) and run through the host IDT now,
     * or still pending in the LAPIC and taken at the STI, as STGI does on
     * SVM.  Either way the IDT handles kicks and the timer. */
    if (r == 0 && vmx_ctl.f.ack_intr_on_exit)
        vmx_dispatch_acked_intr();
    __asm__ volatile("sti; nop; cli" ::: "memory");
    if (r) {
        vmx_stop_entry_failure(v, e, r);
        return;
    }
    x->launched = true;
    v->gpr[GPR_RSP] = vmcs_readnat(VMCS_GUEST_RSP);
    v->rip = vmcs_readnat(VMCS_GUEST_RIP);
    v->rflags = vmcs_readnat(VMCS_GUEST_RFLAGS);
    vmx_decode_exit(v, e);
    if (!(e->raw & VMX_EXIT_REASON_ENTRY_FAILURE))
        vmx_nmi_iret_refault((uint32_t)e->raw);
    vmx_requeue_idt_vectoring();
}

static void vmx_inject_event(struct vcpu *v, enum event_type type, uint8_t vector,
                             bool has_error, uint32_t error)
{
    unsigned t = type == EVENT_NMI ? VMX_INTR_TYPE_NMI
                 : type == EVENT_EXCEPTION ? VMX_INTR_TYPE_HW_EXCEPTION
                 : type == EVENT_SOFTINT ? VMX_INTR_TYPE_SOFT_INTR : VMX_INTR_TYPE_EXT_INTR;
    vmcs_write32(VMCS_ENTRY_INTR_INFO, VMX_INTR_INFO(vector, t, has_error));
    if (has_error)
        vmcs_write32(VMCS_ENTRY_EXCEPTION_ERROR, error);
}

static bool vmx_event_queued(struct vcpu *v)
{
    return (vmcs_read32(VMCS_ENTRY_INTR_INFO) & VMX_INTR_INFO_VALID) != 0;
}

static bool vmx_queued_event(struct vcpu *v, uint8_t *type, uint8_t *vector)
{
    uint32_t info = vmcs_read32(VMCS_ENTRY_INTR_INFO);
    *type = (uint8_t)VMX_INTR_INFO_TYPE(info);
    *vector = (uint8_t)(info & VMX_INTR_INFO_VECTOR_MASK);
    return (info & VMX_INTR_INFO_VALID) != 0;
}

static bool vmx_in_shadow(struct vcpu *v)
{
    return (vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & VMX_INTERRUPTIBILITY_SHADOW) != 0;
}

static void vmx_clear_shadow(struct vcpu *v)
{
    uint32_t i = vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY);
    vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, i & ~VMX_INTERRUPTIBILITY_SHADOW);
}

static void vmx_set_proc(struct vmx_vcpu *x, uint32_t bit, bool on)
{
    uint32_t p = on ? (x->proc | bit) : (x->proc & ~bit);
    if (p != x->proc) {
        x->proc = p;
        vmcs_write32(VMCS_PROC_CONTROLS, p);
    }
}

static void vmx_set_intr_window(struct vcpu *v, bool on)
{
    struct vmx_vcpu *x = vmx_of(v);
    x->window_hv = on;
    vmx_set_proc(x, VMX_PROC_INTR_WINDOW_EXITING, on || x->window_vid);
}

/* With virtual NMIs the CPU blocks NMIs until the handler's IRET itself;
 * NMI-window exiting says when that happened (SDM 25.3, 26.7.6). */
static void vmx_set_iret_exit(struct vcpu *v, bool on)
{
    vmx_set_proc(vmx_of(v), VMX_PROC_NMI_WINDOW_EXITING, on);
}

static void vmx_set_tpr_threshold(struct vcpu *v, int cls)
{
    if (vmx_ctl.f.tpr_shadow)
        vmcs_write32(VMCS_TPR_THRESHOLD, cls >= 0 ? (uint32_t)cls : 0);
    else
        vmx_set_proc(vmx_of(v), VMX_PROC_CR8_LOAD_EXITING, true);
}

static void vmx_get_paging(struct vcpu *v, struct guest_paging_regs *p)
{
    memset(p, 0, sizeof(*p));
    p->cr0 = vmcs_readnat(VMCS_GUEST_CR0);
    p->cr3 = vmcs_readnat(VMCS_GUEST_CR3);
    p->cr4 = vmcs_readnat(VMCS_GUEST_CR4);
    p->efer = vmcs_read64(VMCS_GUEST_EFER);
}

static enum x86_mode vmx_cpu_mode(struct vcpu *v)
{
    uint64_t cr0 = vmcs_readnat(VMCS_GUEST_CR0);
    uint32_t ar = vmcs_read32(VMCS_GUEST_CS_AR);
    if (!(cr0 & CR0_PE) || (v->rflags & RFLAGS_VM))
        return X86_MODE_REAL16;
    if ((vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA) && (ar & VMX_AR_L))
        return X86_MODE_LONG64;
    return (ar & VMX_AR_DB) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

static unsigned vmx_cpl(struct vcpu *v)
{
    return (vmcs_read32(VMCS_GUEST_SS_AR) & VMX_AR_DPL_MASK) >> VMX_AR_DPL_SHIFT;
}

static uint64_t vmx_seg_base(struct vcpu *v, unsigned seg)
{
    return seg < 6 ? vmcs_readnat(VMCS_GUEST_BASE(seg)) : 0;
}

static void vmx_get_fetch(struct vcpu *v, struct guest_fetch_regs *f)
{
    vmx_get_paging(v, &f->paging);
    f->mode = vmx_cpu_mode(v);
    f->cs_base = vmx_seg_base(v, X86_SEG_CS);
    f->cpl = vmx_cpl(v);
}

static uint64_t vmx_get_efer(struct vcpu *v)
{
    return vmcs_read64(VMCS_GUEST_EFER);
}

static void vmx_set_efer(struct vcpu *v, uint64_t efer)
{
    uint64_t lma = vmcs_read64(VMCS_GUEST_EFER) & EFER_LMA;
    vmcs_write64(VMCS_GUEST_EFER, (efer & ~EFER_LMA) | lma);
}

static uint64_t vmx_get_pat(struct vcpu *v) { return vmcs_read64(VMCS_GUEST_PAT); }
static void vmx_set_pat(struct vcpu *v, uint64_t pat) { vmcs_write64(VMCS_GUEST_PAT, pat); }
static void vmx_set_tsc_offset(struct vcpu *v, uint64_t off) { vmcs_write64(VMCS_TSC_OFFSET, off); }
static void vmx_set_cr2(struct vcpu *v, uint64_t cr2) { vmx_of(v)->cr2 = cr2; }

/* SDM 25.6.4 / 26.1.3: I/O bitmap A covers ports 0-7FFFH, B 8000H-FFFFH,
 * one bit each; an access exits when any of its bytes' bits is set. */
static void vmx_io_passthrough(struct vm *vm, uint16_t port, unsigned count)
{
    struct vmx_vm *x = vm->vendor;
    for (unsigned p = port; p < (unsigned)port + count && p <= 0xffff; p++) {
        uint8_t *map = p < 0x8000 ? x->io_bitmap_a : x->io_bitmap_b;
        unsigned bit = p & 0x7fff;
        map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
    }
}
static void vmx_flush_guest_tlb(struct vcpu *v) { vmx_of(v)->flush_pending = true; }

/* The guest sees its own value of the bits Keel owns (the guest/host
 * mask) through the read shadow, and the CPU's for the rest (SDM 25.3). */
static uint64_t vmx_get_cr(struct vcpu *v, unsigned cr)
{
    if (cr == 0)
        return (vmcs_readnat(VMCS_GUEST_CR0) & ~vmcs_readnat(VMCS_CR0_GUEST_HOST_MASK))
               | (vmcs_readnat(VMCS_CR0_READ_SHADOW) & vmcs_readnat(VMCS_CR0_GUEST_HOST_MASK));
    if (cr == 4)
        return (vmcs_readnat(VMCS_GUEST_CR4) & ~vmcs_readnat(VMCS_CR4_GUEST_HOST_MASK))
               | (vmcs_readnat(VMCS_CR4_READ_SHADOW) & vmcs_readnat(VMCS_CR4_GUEST_HOST_MASK));
    return cr == 3 ? vmcs_readnat(VMCS_GUEST_CR3) : 0;
}

/* CR0 with paging turned on or off here rather than by the CPU: IA-32e
 * mode follows it (SDM 9.8.5), through EFER.LMA and the entry control. */
static void vmx_follow_paging(uint64_t cr0)
{
    uint64_t efer = vmcs_read64(VMCS_GUEST_EFER);
    bool lma = (cr0 & CR0_PG) && (efer & EFER_LME);
    uint32_t entry = vmcs_read32(VMCS_ENTRY_CONTROLS);
    vmcs_write64(VMCS_GUEST_EFER, lma ? efer | EFER_LMA : efer & ~EFER_LMA);
    vmcs_write32(VMCS_ENTRY_CONTROLS, lma ? entry | VMX_ENTRY_CTL_IA32E_GUEST
                                          : entry & ~VMX_ENTRY_CTL_IA32E_GUEST);
}

/* The guest's value goes in the read shadow; the bits VMX operation needs
 * (NE, PE/PG unless unrestricted; CR4.VMXE) stay set underneath (SDM
 * 24.6.6, 26.3.1.1). */
static void vmx_set_cr(struct vcpu *v, unsigned cr, uint64_t val)
{
    if (cr == 0) {
        uint64_t old = vmx_get_cr(v, 0);
        vmcs_writenat(VMCS_CR0_READ_SHADOW, val);
        vmcs_writenat(VMCS_GUEST_CR0, val | vmx_ctl.guest_cr0_fixed0);
        if ((val ^ old) & CR0_PG)
            vmx_follow_paging(val);
    } else if (cr == 4) {
        vmcs_writenat(VMCS_CR4_READ_SHADOW, val);
        vmcs_writenat(VMCS_GUEST_CR4, val | vmx_ctl.cr4_fixed0 | CR4_VMXE);
    }
}

/* EPT 2 MiB and 1 GiB pages as IA32_VMX_EPT_VPID_CAP bits 16 and 17 offer
 * them (SDM vol. 3D A.10). */
static unsigned vmx_npt_max_level(void)
{
    return vmx_ctl.f.ept_1g ? 3 : vmx_ctl.f.ept_2m ? 2 : 1;
}

const struct vcpu_ops vmx_ops = {
    .name = "vmx",
    .has_misc_enable = true,
    .npt_format = &npt_format_ept,
    .npt_max_level = vmx_npt_max_level,
    .x2apic_icr_bit12_gp = false,
    .apic_accel_caps = &vmx_accel_caps,
    .probe = vmx_probe,
    .cpu_enable = vmx_cpu_enable,
    .vm_init = vmx_vm_init,
    .vcpu_init = vmx_vcpu_init,
    .vcpu_load = vmx_vcpu_load,
    .load_state = vmx_load_state,
    .vcpu_run = vmx_vcpu_run,
    .inject_event = vmx_inject_event,
    .event_queued = vmx_event_queued,
    .queued_event = vmx_queued_event,
    .in_shadow = vmx_in_shadow,
    .clear_shadow = vmx_clear_shadow,
    .set_intr_window = vmx_set_intr_window,
    .set_tpr_threshold = vmx_set_tpr_threshold,
    .set_iret_exit = vmx_set_iret_exit,
    .nmi_window_exits = true, /* NMI-window exiting with virtual NMIs (SDM 26.7.6) */
    .get_vtpr = NULL,         /* the TPR shadow is the vLAPIC page's TPR */
    .set_vtpr = NULL,
    .get_paging = vmx_get_paging,
    .cpu_mode = vmx_cpu_mode,
    .cpl = vmx_cpl,
    .seg_base = vmx_seg_base,
    .get_fetch = vmx_get_fetch,
    .get_efer = vmx_get_efer,
    .set_efer = vmx_set_efer,
    .get_pat = vmx_get_pat,
    .set_pat = vmx_set_pat,
    .set_tsc_offset = vmx_set_tsc_offset,
    .io_passthrough = vmx_io_passthrough,
    .set_cr2 = vmx_set_cr2,
    .get_cr = vmx_get_cr,
    .set_cr = vmx_set_cr,
    .post_intr = vmx_post_intr,
    .posted_sync = vmx_posted_sync,
    .block_prepare = vmx_block_prepare,
    .block_end = vmx_block_end,
    .posted_desc_pa = vmx_posted_desc_pa,
    .flush_guest_tlb = vmx_flush_guest_tlb,
    .dump = vmx_dump,
};
