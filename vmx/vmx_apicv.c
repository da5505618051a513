/* SPDX-License-Identifier: MIT */
/*
 * Intel APIC virtualization (SDM vol. 3C ch. 30): the APIC-access page,
 * APIC-register virtualization, virtual-interrupt delivery and x2APIC
 * virtualization, applied per entry as the vendor-neutral predicate
 * (apic/apic_accel.c, asked by the run loop into v->apic.accel) says.
 *
 * Per vCPU, by its APIC mode when accelerated:
 *   xAPIC   virtualize APIC accesses + register virtualization + VID; the
 *           VM's MSR bitmap traps every x2APIC MSR (they #GP in xAPIC mode)
 *   x2APIC  virtualize x2APIC mode + register virtualization + VID; the
 *           x2APIC bitmap lets reads through (not TMCCT) and TPR, EOI and
 *           SELF IPI writes (SDM 30.5); "virtualize APIC accesses" is off
 *           (SDM 26.2.1.1 forbids both) and hv/ unmaps the APIC-access page
 *   emulated TPR shadow only, as before APICv.
 * The virtual-APIC page is the vLAPIC's own register page, so what the CPU
 * virtualizes and what Keel emulates are the same state.
 */
#include <string.h>

#include "hv/host/console.h"
#include "hv/mm/mem.h"
#include "hv/vapic.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_vid_quirk.h"

struct apic_accel_caps vmx_accel_caps;

/*
 * Bochs 2.7 delivers a pending virtual interrupt whenever it takes a host
 * interrupt for an external-interrupt exit, even to a guest with
 * RFLAGS.IF = 0 (HandleExtInterrupt, bochs/cpu/event.cc; docs/platforms.md):
 * Linux's IPI and timer handlers ran inside its interrupts-off sections.
 * So no virtual interrupt may be pending while the guest cannot take it.
 * Inside the guest, EOI and self-IPI virtualization would make one
 * pending (SDM 30.1.4, 30.1.5, 30.2.1): every EOI exits (all of the
 * EOI-exit bitmap, SDM 30.1.4) and x2APIC SELF IPI writes exit.  At VM
 * entry, one the guest cannot take yet waits behind interrupt-window
 * exiting instead (vid_held_back).  Chosen when the CPU has
 * virtual-interrupt delivery but no posted interrupts: no Intel CPU ships
 * one without the other, Bochs does.
 */
static bool vid_at_entry_only;

#define PROC2_APICV (VMX_PROC2_VIRT_APIC_ACCESSES | VMX_PROC2_VIRT_X2APIC \
                     | VMX_PROC2_APIC_REG_VIRT | VMX_PROC2_VIRT_INTR_DELIVERY)

/* What the negotiated controls allow.  Keel accelerates an APIC only with
 * register virtualization and virtual-interrupt delivery together: with
 * either alone most accesses would still exit, for the same complexity. */
void vmx_apicv_probe(void)
{
    const struct vmx_features *f = &vmx_ctl.f;
    struct apic_accel_caps *c = &vmx_accel_caps;
    memset(c, 0, sizeof(*c));
    c->xapic = f->tpr_shadow && f->virt_apic_access && f->apic_reg_virt && f->virt_intr_delivery;
    c->x2apic = c->xapic && f->virt_x2apic;
    c->posted = c->xapic && f->posted_intr;
    c->ipi = c->posted && f->ipi_virt;
    /* The PID-pointer table is indexed by APIC ID (SDM 30.1.6): an ID the
     * guest changed or shares would send IPIs to the wrong descriptor. */
    c->inhibits_ipi = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED;
    vid_at_entry_only = c->xapic && vmx_vid_quirk(f->virt_intr_delivery, f->posted_intr);
    if (vid_at_entry_only)
        log_info("vmx: virtual-interrupt delivery without posted interrupts (an emulator: "
                 "Bochs): EOIs and x2APIC self-IPIs exit, interrupts held for IF wait for "
                 "a window (docs/platforms.md)");
    if (!c->xapic)
        log_info("vmx: APIC virtualization unavailable (needs TPR shadow, virtualize APIC "
                 "accesses, APIC-register virtualization and virtual-interrupt delivery): "
                 "every APIC access is emulated");
    else
        log_info("vmx: APICv for xAPIC%s%s%s", c->x2apic ? " and x2APIC" : " (x2APIC emulated)",
                 c->posted ? ", posted interrupts" : "", c->ipi ? ", IPI virtualization" : "");
}

/* x2APIC registers whose RDMSR the CPU answers from the virtual-APIC page
 * (SDM 30.5.1).  Not TMCCT, which counts; not the write-only or reserved
 * ones, which must #GP through the emulation. */
static const uint16_t x2apic_read_regs[] = {
    APIC_ID, APIC_LVR, APIC_TPR, APIC_PPR, APIC_LDR, APIC_SVR, APIC_ESR, APIC_LVT_CMCI,
    APIC_ICR, APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERF, APIC_LVT_LINT0,
    APIC_LVT_LINT1, APIC_LVT_ERROR, APIC_TMICT, APIC_TDCR,
};

/* WRMSRs the CPU completes itself with virtual-interrupt delivery: TPR
 * virtualization, EOI virtualization, self-IPI virtualization (SDM 30.5.2). */
static const uint16_t x2apic_write_regs[] = { APIC_TPR, APIC_EOI, APIC_SELF_IPI };

static void x2apic_bitmap(uint8_t *map)
{
    for (size_t i = 0; i < sizeof(x2apic_read_regs) / sizeof(x2apic_read_regs[0]); i++)
        vmx_bitmap_clear(map, X2APIC_MSR(x2apic_read_regs[i]));
    for (unsigned r = 0; r < 8; r++) {  /* ISR, TMR, IRR */
        vmx_bitmap_clear(map, X2APIC_MSR(APIC_ISR) + r);
        vmx_bitmap_clear(map, X2APIC_MSR(APIC_TMR) + r);
        vmx_bitmap_clear(map, X2APIC_MSR(APIC_IRR) + r);
    }
    for (size_t i = 0; i < sizeof(x2apic_write_regs) / sizeof(x2apic_write_regs[0]); i++)
        if (!vid_at_entry_only || x2apic_write_regs[i] != APIC_SELF_IPI)
            vmx_bitmap_clear(map + 0x800, X2APIC_MSR(x2apic_write_regs[i]));
}

int vmx_apicv_vm_init(struct vm *vm, struct vmx_vm *xv)
{
    if (!vmx_accel_caps.xapic)
        return 0;
    /* The APIC-access page: its contents are never used (accesses through
     * it go to each vCPU's virtual-APIC page or exit), only its address. */
    void *page = mem_try_alloc(1, 1, 0);
    if (!page)
        return -1;
    vm->apic_access_hpa = virt_to_phys(page);
    if (!vmx_accel_caps.x2apic)
        return 0;
    xv->msr_bitmap_x2apic = mem_try_alloc(1, 1, 0);
    if (!xv->msr_bitmap_x2apic)
        return -1;
    memcpy(xv->msr_bitmap_x2apic, xv->msr_bitmap, PAGE_SIZE);
    x2apic_bitmap(xv->msr_bitmap_x2apic);
    if (!vmx_accel_caps.ipi)
        return vmx_posted_vm_init(vm, xv);
    /* With IPI virtualization the CPU takes ICR writes itself (SDM
     * 30.5.2: a WRMSR 830H it cannot virtualize becomes an APIC-write
     * exit, handled through the vLAPIC's 64-bit ICR helper). */
    xv->msr_bitmap_x2apic_ipiv = mem_try_alloc(1, 1, 0);
    if (!xv->msr_bitmap_x2apic_ipiv)
        return -1;
    memcpy(xv->msr_bitmap_x2apic_ipiv, xv->msr_bitmap_x2apic, PAGE_SIZE);
    vmx_bitmap_clear(xv->msr_bitmap_x2apic_ipiv + 0x800, X2APIC_MSR(APIC_ICR));
    return vmx_posted_vm_init(vm, xv);
}

/* On the owning CPU at VMCS set-up (the fields exist only with the
 * controls, so they are written only then). */
int vmx_apicv_vmcs_setup(struct vcpu *v, struct vmx_vcpu *x)
{
    int r = 0;
    if (!vmx_accel_caps.xapic)
        return 0;
    r |= vmx_posted_vmcs_setup(v, x);
    r |= vmcs_write64(VMCS_APIC_ACCESS_ADDR, v->vm->apic_access_hpa);
    for (unsigned i = 0; i < 4; i++)
        r |= vmcs_write64(VMCS_EOI_EXIT_BITMAP0 + 2 * i, 0);
    r |= vmcs_write16(VMCS_GUEST_INTR_STATUS, 0);
    memset(x->eoi_exit, 0, sizeof(x->eoi_exit));
    return r;
}

/* A virtual interrupt the guest cannot take at this entry waits behind
 * interrupt-window exiting (vmx_vid_held_back); the window's exit comes
 * once the guest can take it, and the next entry lets the CPU deliver it. */
static bool vid_held_back(struct vcpu *v, uint8_t rvi)
{
    bool shadow = (vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY) & VMX_INTERRUPTIBILITY_SHADOW) != 0;
    return vmx_vid_held_back(rvi, v->apic.page[APIC_PPR >> 2], (v->rflags & RFLAGS_IF) != 0,
                             shadow);
}

static uint32_t proc2_for(const struct apic_accel *a, uint32_t proc2)
{
    proc2 &= ~PROC2_APICV;
    if (!a->on)
        return proc2;
    proc2 |= VMX_PROC2_APIC_REG_VIRT | VMX_PROC2_VIRT_INTR_DELIVERY;
    proc2 |= a->regs == APIC_ACCEL_REGS_X2APIC ? VMX_PROC2_VIRT_X2APIC
                                               : VMX_PROC2_VIRT_APIC_ACCESSES;
    return proc2;
}

/* Controls and the MSR bitmap follow v->apic.accel; with virtual-interrupt
 * delivery on, RVI/SVI, VPPR and the EOI-exit bitmap follow the vLAPIC. */
void vmx_apicv_before_entry(struct vcpu *v, struct vmx_vcpu *x)
{
    const struct vmx_vm *xv = v->vm->vendor;
    uint32_t p2 = proc2_for(&v->apic.accel, x->proc2);
    bool ipiv = v->apic.accel.ipi && xv->msr_bitmap_x2apic_ipiv;
    if (p2 != x->proc2 || ipiv != x->msr_ipiv) {
        bool x2 = (p2 & VMX_PROC2_VIRT_X2APIC) != 0;
        const uint8_t *map = !x2 ? xv->msr_bitmap : ipiv ? xv->msr_bitmap_x2apic_ipiv
                                                         : xv->msr_bitmap_x2apic;
        vmcs_write32(VMCS_PROC2_CONTROLS, p2);
        vmcs_write64(VMCS_MSR_BITMAP, virt_to_phys(map));
        x->proc2 = p2;
        x->msr_ipiv = ipiv;
    }
    vmx_posted_before_entry(v, x);
    x->window_vid = false;
    if (!v->apic.accel.on)
        return;
    struct vapic_hw_state s;
    vapic_accel_prepare(v, &s);
    if (vid_at_entry_only)
        x->window_vid = vid_held_back(v, s.rvi);
    /* RVI is the highest requested vector, SVI the highest in service
     * (SDM 30.1.1, 30.2): the CPU evaluates them at entry (SDM 27.3.2.5). */
    vmcs_write16(VMCS_GUEST_INTR_STATUS, (uint16_t)(s.rvi | (uint16_t)s.svi << 8));
    for (unsigned i = 0; i < 4; i++) {
        if (vid_at_entry_only)
            s.eoi_exit[i] = ~0ull;
        if (s.eoi_exit[i] != x->eoi_exit[i]) {
            vmcs_write64(VMCS_EOI_EXIT_BITMAP0 + 2 * i, s.eoi_exit[i]);
            x->eoi_exit[i] = s.eoi_exit[i];
        }
    }
}
