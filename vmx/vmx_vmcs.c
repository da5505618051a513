/* SPDX-License-Identifier: MIT */
/*
 * Writing a VMCS on the CPU that owns it: the controls negotiated at boot,
 * the host state of this CPU, and guest state waiting in `pending`.
 */
#include <string.h>

#include "hv/mm/mem.h"
#include "hv/host/percpu.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

static int vmcs_controls(struct vcpu *v, struct vmx_vcpu *x)
{
    const struct vmx_vm *xv = v->vm->vendor;
    int r = 0;
    x->proc = vmx_ctl.proc & ~VMX_PROC_INTR_WINDOW_EXITING;
    x->proc2 = vmx_ctl.proc2 & ~(VMX_PROC2_VIRT_APIC_ACCESSES | VMX_PROC2_VIRT_X2APIC
                                 | VMX_PROC2_APIC_REG_VIRT | VMX_PROC2_VIRT_INTR_DELIVERY);
    if (!vmx_ctl.f.vpid)
        x->proc2 &= ~VMX_PROC2_VPID;
    /* Posted interrupts follow the APIC predicate (vmx_posted.c). */
    x->pin = vmx_ctl.pin & ~VMX_PIN_POSTED_INTR;
    r |= vmcs_write32(VMCS_PIN_CONTROLS, x->pin);
    r |= vmcs_write32(VMCS_PROC_CONTROLS, x->proc);
    r |= vmcs_write32(VMCS_PROC2_CONTROLS, x->proc2);
    /* Acknowledge-on-exit where the CPU has it (posted interrupts need
     * it): vmx_vcpu_run hands the vector to the host IDT. */
    r |= vmcs_write32(VMCS_EXIT_CONTROLS, vmx_ctl.f.ack_intr_on_exit
                                              ? vmx_ctl.exit | VMX_EXIT_CTL_ACK_INTR
                                              : vmx_ctl.exit & ~VMX_EXIT_CTL_ACK_INTR);
    r |= vmcs_write32(VMCS_ENTRY_CONTROLS, vmx_ctl.entry & ~VMX_ENTRY_CTL_IA32E_GUEST);
    r |= vmcs_write32(VMCS_EXCEPTION_BITMAP, 1u << X86_MC);
    r |= vmcs_write64(VMCS_IO_BITMAP_A, virt_to_phys(xv->io_bitmap_a));
    r |= vmcs_write64(VMCS_IO_BITMAP_B, virt_to_phys(xv->io_bitmap_b));
    r |= vmcs_write64(VMCS_MSR_BITMAP, virt_to_phys(xv->msr_bitmap));
    r |= vmcs_write64(VMCS_EPTP, xv->eptp);
    r |= vmcs_write64(VMCS_LINK_POINTER, ~0ull);
    r |= vmcs_write64(VMCS_TSC_OFFSET, v->tsc_offset);
    if (vmx_ctl.f.vpid)
        r |= vmcs_write16(VMCS_VPID, x->vpid);
    if (vmx_ctl.f.tpr_shadow) {
        /* The vLAPIC's own page is the virtual-APIC page: the guest's CR8
         * reads and writes land in its TPR (SDM 29.3). */
        r |= vmcs_write64(VMCS_VIRTUAL_APIC_ADDR, virt_to_phys(v->apic.page));
        r |= vmcs_write32(VMCS_TPR_THRESHOLD, 0);
    }
    r |= vmcs_writenat(VMCS_CR0_GUEST_HOST_MASK, vmx_ctl.guest_cr0_fixed0 | CR0_CD | CR0_NW);
    /* Host-owned: the bits VMX fixes, and every bit the vCPU's CPUID does
     * not report (a guest write that sets one exits and gets its #GP,
     * hv/emul/emul_cr.c, even where this CPU would take it). */
    r |= vmcs_writenat(VMCS_CR4_GUEST_HOST_MASK,
                       vmx_ctl.cr4_fixed0 | CR4_VMXE | ~vcpu_cr4_allowed(v));
    return r;
}

static uint64_t gdt_base(void)
{
    struct x86_dtr d;
    __asm__ volatile("sgdt %0" : "=m"(d));
    return d.base;
}

static uint64_t idt_base(void)
{
    struct x86_dtr d;
    __asm__ volatile("sidt %0" : "=m"(d));
    return d.base;
}

/* This CPU's host state (SDM 24.5): what a VM exit loads. */
static int vmcs_host_state(struct percpu *pc)
{
    int r = 0;
    r |= vmcs_writenat(VMCS_HOST_CR0, read_cr0());
    r |= vmcs_writenat(VMCS_HOST_CR3, read_cr3());
    r |= vmcs_writenat(VMCS_HOST_CR4, read_cr4());
    r |= vmcs_write16(VMCS_HOST_CS_SEL, HOST_CS);
    r |= vmcs_write16(VMCS_HOST_SS_SEL, HOST_DS);
    r |= vmcs_write16(VMCS_HOST_DS_SEL, HOST_DS);
    r |= vmcs_write16(VMCS_HOST_ES_SEL, HOST_DS);
    r |= vmcs_write16(VMCS_HOST_FS_SEL, 0);
    r |= vmcs_write16(VMCS_HOST_GS_SEL, 0);
    r |= vmcs_write16(VMCS_HOST_TR_SEL, HOST_TR);
    r |= vmcs_writenat(VMCS_HOST_FS_BASE, 0);
    r |= vmcs_writenat(VMCS_HOST_GS_BASE, (uint64_t)(uintptr_t)pc);
    r |= vmcs_writenat(VMCS_HOST_TR_BASE, (uint64_t)(uintptr_t)&pc->tss);
    r |= vmcs_writenat(VMCS_HOST_GDTR_BASE, gdt_base());
    r |= vmcs_writenat(VMCS_HOST_IDTR_BASE, idt_base());
    r |= vmcs_write32(VMCS_HOST_SYSENTER_CS, 0);
    r |= vmcs_writenat(VMCS_HOST_SYSENTER_ESP, 0);
    r |= vmcs_writenat(VMCS_HOST_SYSENTER_EIP, 0);
    r |= vmcs_write64(VMCS_HOST_EFER, rdmsr(MSR_EFER));
    r |= vmcs_write64(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
    r |= vmcs_writenat(VMCS_HOST_RIP, (uint64_t)(uintptr_t)vmx_exit_entry);
    return r;
}

static int vmcs_seg(unsigned idx, const struct vmx_seg_init *s)
{
    int r = vmcs_write16(VMCS_GUEST_SEL(idx), s->sel);
    r |= vmcs_write32(VMCS_GUEST_LIMIT(idx), s->limit);
    r |= vmcs_write32(VMCS_GUEST_AR(idx), s->ar);
    r |= vmcs_writenat(VMCS_GUEST_BASE(idx), s->base);
    return r;
}

/* Guest state from `pending` (an entry state: reset, INIT or SIPI). */
int vmx_apply_pending(struct vcpu *v, struct vmx_vcpu *x)
{
    struct vmx_pending_state *p = &x->pending;
    int r = 0;
    for (unsigned i = 0; i < 6; i++)
        r |= vmcs_seg(i, &p->seg[i]);
    r |= vmcs_seg(6, &p->ldtr);
    r |= vmcs_seg(7, &p->tr);
    r |= vmcs_write32(VMCS_GUEST_GDTR_LIMIT, p->gdtr_limit);
    r |= vmcs_writenat(VMCS_GUEST_GDTR_BASE, p->gdtr_base);
    r |= vmcs_write32(VMCS_GUEST_IDTR_LIMIT, p->idtr_limit);
    r |= vmcs_writenat(VMCS_GUEST_IDTR_BASE, p->idtr_base);
    r |= vmcs_writenat(VMCS_GUEST_CR0, p->cr0);
    r |= vmcs_writenat(VMCS_CR0_READ_SHADOW, p->cr0_shadow);
    r |= vmcs_writenat(VMCS_GUEST_CR3, p->cr3);
    r |= vmcs_writenat(VMCS_GUEST_CR4, p->cr4);
    r |= vmcs_writenat(VMCS_CR4_READ_SHADOW, p->cr4_shadow);
    r |= vmcs_writenat(VMCS_GUEST_DR7, p->dr7);
    r |= vmcs_write64(VMCS_GUEST_EFER, p->efer);
    r |= vmcs_write64(VMCS_GUEST_PAT, p->pat);
    /* "IA-32e mode guest" must equal EFER.LMA (SDM 27.3.1.1): set for a
     * state that starts in long mode (the Linux 64-bit entry). */
    r |= vmcs_write32(VMCS_ENTRY_CONTROLS, (p->efer & EFER_LMA)
                                               ? vmx_ctl.entry | VMX_ENTRY_CTL_IA32E_GUEST
                                               : vmx_ctl.entry & ~VMX_ENTRY_CTL_IA32E_GUEST);
    r |= vmcs_write32(VMCS_GUEST_INTERRUPTIBILITY, 0);
    r |= vmcs_write32(VMCS_GUEST_ACTIVITY_STATE, VMX_ACTIVITY_ACTIVE);
    r |= vmcs_writenat(VMCS_GUEST_PENDING_DBG, 0);
    r |= vmcs_write32(VMCS_ENTRY_INTR_INFO, 0);
    if (vmx_ctl.entry & VMX_ENTRY_CTL_LOAD_DEBUG_CTLS)
        r |= vmcs_write64(VMCS_GUEST_DEBUGCTL, 0);
    p->valid = false;
    return r;
}

/* First entry on the owning CPU: make the VMCS current and fill it. */
int vmx_vmcs_setup(struct vcpu *v, struct vmx_vcpu *x)
{
    if (vmx_clear(x->vmcs_pa, __func__) || vmx_ptrld(x->vmcs_pa, __func__))
        return -1;
    if (vmcs_controls(v, x) || vmcs_host_state(v->pcpu) || vmx_apicv_vmcs_setup(v, x))
        return -1;
    x->flush_pending = true;
    x->ready = true;
    return 0;
}
