/* SPDX-License-Identifier: MIT */
/*
 * Posted interrupts and IPI virtualization on the VMX run path.  The
 * descriptor protocol itself is pure (vmx/vmx_pi.c, tested against a host
 * model of the CPU in tests/unit); this file wires it to the vCPUs:
 * one descriptor per vCPU, notification vector HOST_VEC_POSTED while the
 * vCPU runs or handles an exit on its CPU, HOST_VEC_PI_WAKEUP while it
 * waits in HLT, the pre-entry sync of PIR into the APIC page, and the
 * VM's PID-pointer table for IPI virtualization (APIC ID = vCPU index).
 *
 * Used only where the CPU reports the controls (vmx_ctl.f.posted_intr,
 * .ipi_virt) and the predicate allows them for the vCPU (v->apic.accel.posted,
 * .ipi).  No emulator here has either: docs/posted-interrupts.md.
 */
#include <string.h>

#include "hv/host/desc.h"
#include "hv/host/lapic_host.h"
#include "hv/mm/mem.h"
#include "hv/host/percpu.h"
#include "hv/vapic.h"
#include "hv/vm.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_pi.h"

/* Entries of the PID-pointer table: APIC IDs 0..KEEL_MAX_CPUS-1, never
 * FFH (an xAPIC broadcast must not become an IPI to one vCPU). */
#define PID_TABLE_ENTRIES (PAGE_SIZE / sizeof(uint64_t))
_Static_assert(KEEL_MAX_CPUS <= 0xff, "PID-pointer entry FFH stays invalid");

static uint32_t ndst_of(const struct vcpu *v)
{
    return vmx_pi_ndst(v->pcpu->apic_id, lapic_host_x2apic());
}

int vmx_posted_vm_init(struct vm *vm, struct vmx_vm *xv)
{
    if (!vmx_ctl.f.ipi_virt)
        return 0;
    xv->pid_table = mem_try_alloc(1, 1, 0);
    return xv->pid_table ? 0 : -1;
}

int vmx_posted_vcpu_init(struct vcpu *v, struct vmx_vcpu *x)
{
    if (!vmx_ctl.f.posted_intr)
        return 0;
    x->pi = mem_try_alloc(1, 1, 0);   /* a page: 64-byte aligned and alone */
    if (!x->pi)
        return -1;
    vmx_pi_desc_init(x->pi);
    x->pi_pa = virt_to_phys(x->pi);
    const struct vmx_vm *xv = v->vm->vendor;
    if (xv->pid_table && vmx_pid_table_set(xv->pid_table, PID_TABLE_ENTRIES, v->index, x->pi_pa))
        return -1;
    return 0;
}

/* On the owning CPU: the VMCS fields, and the descriptor pointed at this
 * CPU with notifications allowed (a pinned vCPU is never preempted, so SN
 * stays clear from here on). */
int vmx_posted_vmcs_setup(struct vcpu *v, struct vmx_vcpu *x)
{
    const struct vmx_vm *xv = v->vm->vendor;
    int r = 0;
    if (x->pi) {
        r |= vmcs_write16(VMCS_POSTED_INTR_NV, HOST_VEC_POSTED);
        r |= vmcs_write64(VMCS_POSTED_INTR_DESC_ADDR, x->pi_pa);
        vmx_pi_set_notify(x->pi, HOST_VEC_POSTED, ndst_of(v));
        vmx_pi_clear_sn(x->pi);
    }
    if (xv->pid_table) {
        r |= vmcs_write64(VMCS_PID_POINTER_TABLE, virt_to_phys(xv->pid_table));
        r |= vmcs_write16(VMCS_LAST_PID_POINTER_INDEX,
                          vmx_pid_last_index(xv->pid_table, PID_TABLE_ENTRIES));
        r |= vmcs_write64(VMCS_PROC3_CONTROLS, 0);
    }
    x->proc3 = 0;
    return r;
}

/* Controls per entry: posting needs virtual-interrupt delivery, so it is
 * on exactly while the predicate says so; IPIv likewise. */
void vmx_posted_before_entry(struct vcpu *v, struct vmx_vcpu *x)
{
    uint32_t pin = x->pin & ~VMX_PIN_POSTED_INTR;
    if (x->pi && v->apic.accel.posted)
        pin |= VMX_PIN_POSTED_INTR;
    if (pin != x->pin) {
        vmcs_write32(VMCS_PIN_CONTROLS, pin);
        x->pin = pin;
    }
    uint64_t proc3 = v->apic.accel.ipi && v->apic.accel.posted ? VMX_PROC3_IPI_VIRT : 0;
    if (vmx_ctl.f.ipi_virt && proc3 != x->proc3) {
        vmcs_write64(VMCS_PROC3_CONTROLS, proc3);
        x->proc3 = proc3;
    }
}

/* From any CPU (hv/vapic.c, deliveries). */
bool vmx_post_intr(struct vcpu *t, uint8_t vector)
{
    struct vmx_vcpu *x = vmx_of(t);
    struct vmx_pi_notify n;
    if (!x->pi || !__atomic_load_n(&t->apic.accel.posted, __ATOMIC_ACQUIRE))
        return false;
    if (vmx_pi_post(x->pi, vector, &n))
        lapic_host_send(vmx_pi_ndst_apic_id(n.ndst, lapic_host_x2apic()),
                        ICR_DM_FIXED | ICR_LEVEL_ASSERT | n.nv);
    return true;
}

/* On the vCPU's CPU, interrupts off: PIR into the APIC page's IRR, where
 * the vLAPIC (and RVI, computed from IRR before entry) sees it.  A post
 * after this notifies this CPU; the interrupt stays pending and the CPU
 * processes it after the entry (SDM 30.6). */
void vmx_posted_sync(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    if (!x->pi || !vmx_pi_pending(x->pi))
        return;
    vapic_lock(v);
    vmx_pi_sync_to_virr(x->pi, v->apic.page);
    vapic_unlock(v);
}

bool vmx_block_prepare(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    return !x->pi || vmx_pi_block_prepare(x->pi, HOST_VEC_PI_WAKEUP, ndst_of(v));
}

void vmx_block_end(struct vcpu *v)
{
    struct vmx_vcpu *x = vmx_of(v);
    if (x->pi)
        vmx_pi_unblock(x->pi, HOST_VEC_POSTED, ndst_of(v));
}

/* The descriptor a VT-d posted IRTE names (hv/passthru.c): the same one
 * the CPU's own posting uses, so NV and NDST already follow the vCPU
 * (HOST_VEC_POSTED while it runs, HOST_VEC_PI_WAKEUP to its CPU while it
 * waits in HLT) and the pre-entry sync moves what the IOMMU posted. */
uint64_t vmx_posted_desc_pa(struct vcpu *v)
{
    const struct vmx_vcpu *x = vmx_of(v);
    return x->pi ? x->pi_pa : 0;
}
