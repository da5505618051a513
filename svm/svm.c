/* SPDX-License-Identifier: MIT */
/*
 * AMD SVM: feature detection, per-CPU enable, VMCB set-up, the run path and
 * event injection.  Exit decoding is in svm_exit.c.
 */
#include "svm/svm.h"

#include <stdio.h>
#include <string.h>

#include "hv/host/console.h"
#include "hv/host/fpu.h"
#include "hv/mm/mem.h"
#include "hv/host/percpu.h"
#include "hv/vapic.h"
#include "hv/vcpu_state.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "svm/svm_avic.h"

struct svm_caps svm_caps;

#define MSRPM_PAGES 2
#define IOPM_PAGES 3

static struct svm_vcpu *svm_of(struct vcpu *v) { return v->vendor; }

static const struct { uint32_t bit; const char *name; } svm_feature_names[] = {
    { SVM_FEAT_NP, "np" }, { SVM_FEAT_LBRV, "lbrv" }, { SVM_FEAT_SVML, "svml" },
    { SVM_FEAT_NRIPS, "nrips" }, { SVM_FEAT_TSC_RATE, "tsc-rate" },
    { SVM_FEAT_VMCB_CLEAN, "vmcb-clean" }, { SVM_FEAT_FLUSH_ASID, "flush-by-asid" },
    { SVM_FEAT_DECODE, "decode-assists" }, { SVM_FEAT_PAUSE_FILTER, "pause-filter" },
    { SVM_FEAT_PF_THRESHOLD, "pause-filter-threshold" }, { SVM_FEAT_AVIC, "avic" },
    { SVM_FEAT_VMSAVE_VIRT, "vmsave-virt" }, { SVM_FEAT_VGIF, "vgif" },
    { SVM_FEAT_GMET, "gmet" }, { SVM_FEAT_X2AVIC, "x2avic" }, { SVM_FEAT_VNMI, "vnmi" },
};

static int svm_probe(void)
{
    uint32_t r[4];
    cpuid_count(0x80000000u, 0, r);
    if (r[0] < 0x8000000au) {
        log_err("this CPU lacks SVM: CPUID leaf 0x8000000A is missing");
        return -1;
    }
    cpuid_count(0x80000001u, 0, r);
    if (!(r[2] & (1u << 2))) {
        log_err("this CPU lacks SVM (CPUID 0x80000001 ECX[2] = 0)");
        return -1;
    }
    if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
        log_err("SVM is disabled by the firmware (VM_CR.SVMDIS = 1): enable it in the setup");
        return -1;
    }
    cpuid_count(0x8000000au, 0, r);
    svm_caps.revision = r[0] & 0xff;
    svm_caps.nasids = r[1];
    svm_caps.features = r[3];
    char line[200];
    size_t off = 0;
    for (size_t i = 0; i < sizeof(svm_feature_names) / sizeof(svm_feature_names[0]); i++)
        if (svm_caps.features & svm_feature_names[i].bit)
            off += (size_t)snprintf(line + off, sizeof(line) - off, " %s", svm_feature_names[i].name);
    line[off] = 0;
    log_info("svm: revision %u, %u ASIDs, features:%s", svm_caps.revision, svm_caps.nasids,
             off ? line : " (none)");
    if (!(svm_caps.features & SVM_FEAT_NP)) {
        log_err("this CPU lacks nested paging (CPUID 0x8000000A EDX[0] NP); Keel needs it");
        return -1;
    }
    if (!(svm_caps.features & SVM_FEAT_NRIPS))
        log_info("svm: no nRIP: instruction lengths are decoded in software");
    svm_avic_probe();
    return 0;
}

/* 2 MiB nested pages are part of long-mode paging (APM vol. 2 5.3.4);
 * 1 GiB ones only with CPUID 8000_0001h EDX[26] Page1GB (APM vol. 2
 * 5.3.5, "1-Gbyte Page Translation"), which nested walks honour as the
 * guest's own do (15.25.5). */
#define CPUIDX1_EDX_PAGE1GB (1u << 26)

static unsigned svm_npt_max_level(void)
{
    uint32_t r[4];
    cpuid_count(0x80000001u, 0, r);
    return (r[3] & CPUIDX1_EDX_PAGE1GB) ? 3 : 2;
}

static int svm_cpu_enable(struct percpu *pc)
{
    struct svm_cpu *c = mem_alloc_pages(1, "SVM per-CPU state");
    void *hsave = mem_alloc_pages(1, "SVM host save area");
    c->host_vmcb = mem_alloc_pages(1, "host VMCB");
    c->hsave_pa = virt_to_phys(hsave);
    c->host_vmcb_pa = virt_to_phys(c->host_vmcb);
    pc->vendor = c;
    wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME);
    wrmsr(MSR_VM_HSAVE_PA, c->hsave_pa);
    /* Capture this CPU's FS/GS/TR/LDTR and syscall MSRs once; svm_vmrun
     * reloads them after every exit. */
    __asm__ volatile("vmsave %0" :: "a"(c->host_vmcb_pa) : "memory");
    /* Once, on the boot CPU (the APs are the same model): every CPU of a
     * machine compares priorities alike. */
    if (pc->index == 0)
        svm_caps.virq_tpr_gate = svm_probe_virq_tpr(c);
    return 0;
}

/* The guest copies live in the VMCB (hv/x86.h says why that is safe). */
static const uint32_t svm_passthrough_msrs[] = { X86_PASSTHROUGH_MSRS };

static int svm_vm_init(struct vm *vm)
{
    struct svm_vm *s = mem_try_alloc(1, 1, 0);
    if (!s)
        return -1;
    s->msrpm = mem_try_alloc(MSRPM_PAGES, 1, 0);
    s->iopm = mem_try_alloc(IOPM_PAGES, 1, 0);
    if (!s->msrpm || !s->iopm)
        return -1;
    memset(s->msrpm, 0xff, MSRPM_PAGES * PAGE_SIZE);
    memset(s->iopm, 0xff, IOPM_PAGES * PAGE_SIZE);
    for (size_t i = 0; i < sizeof(svm_passthrough_msrs) / sizeof(svm_passthrough_msrs[0]); i++)
        svm_msrpm_set(s->msrpm, svm_passthrough_msrs[i], false, false);
    vm->vendor = s;
    if (svm_avic_present()) {
        /* AVIC needs the APIC BAR mapped in the nested page tables (the
         * CPU checks the translation, then uses the backing page): the
         * same shared-page rule as APICv's APIC-access page decides when. */
        void *page = mem_try_alloc(1, 1, 0);
        if (!page)
            return -1;
        vm->apic_access_hpa = virt_to_phys(page);
    }
    return svm_avic_vm_init(vm, s);
}

static void svm_init_intercepts(struct vmcb *vmcb, const struct svm_vm *s)
{
    /* CR4 writes: the vCPU's CPUID decides which bits exist (SVM itself
     * checks only the host's reserved bits, at VMRUN: a guest setting a
     * hidden one would make the entry fail).  hv/emul/emul_cr.c. */
    vmcb->ctl.intercept_cr = SVM_INTERCEPT_CR_WRITE(4);
    vmcb->ctl.intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_SMI
        | SVM_INTERCEPT_INIT | SVM_INTERCEPT_CPUID | SVM_INTERCEPT_INVD | SVM_INTERCEPT_HLT
        | SVM_INTERCEPT_INVLPGA | SVM_INTERCEPT_IOIO | SVM_INTERCEPT_MSR
        | SVM_INTERCEPT_SHUTDOWN
        /* RDPMC would read the host's counters (or #UD under QEMU's TCG):
         * the guest gets its own, emulated ones (hv/emul/emul_msr.c). */
        | SVM_INTERCEPT_RDPMC;
    vmcb->ctl.intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL
        | SVM_INTERCEPT_VMLOAD | SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI
        | SVM_INTERCEPT_CLGI | SVM_INTERCEPT_SKINIT | SVM_INTERCEPT_RDTSCP
        | SVM_INTERCEPT_XSETBV;
    /* #MC stays with the host (APM 15.12: intercepting it lets the
     * hypervisor see machine checks taken in the guest). */
    vmcb->ctl.intercept_exceptions = SVM_INTERCEPT_EXC(X86_MC);
    vmcb->ctl.iopm_base_pa = virt_to_phys(s->iopm);
    vmcb->ctl.msrpm_base_pa = virt_to_phys(s->msrpm);
}

static int svm_vcpu_init(struct vcpu *v)
{
    struct svm_vcpu *s = mem_try_alloc(1, 1, 0);
    if (!s)
        return -1;
    s->vmcb = mem_try_alloc(1, 1, 0);
    if (!s->vmcb)
        return -1;
    s->vmcb_pa = virt_to_phys(s->vmcb);
    struct vmcb *vmcb = s->vmcb;
    svm_init_intercepts(vmcb, v->vm->vendor);
    vmcb->ctl.guest_asid = v->vm->asid;
    vmcb->ctl.tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
    vmcb->ctl.int_ctl = SVM_INT_CTL_V_INTR_MASKING;
    if (svm_caps.features & SVM_FEAT_VNMI)
        vmcb->ctl.int_ctl |= SVM_INT_CTL_V_NMI_ENABLE; /* hv/emul/nmi.c: the CPU tracks NMIs */
    vmcb->ctl.np_control = SVM_NP_ENABLE;
    vmcb->ctl.n_cr3 = v->vm->npt.root;
    v->vendor = s;
    return 0;
}

static void load_seg(struct vmcb_seg *d, const struct seg_state *s)
{
    d->selector = s->sel;
    d->attrib = s->attrib;
    d->limit = s->limit;
    d->base = s->base;
}

/* An architectural entry state (hv/vcpu_state.c) into the VMCB; a reset
 * also drops what was queued for injection and the interrupt shadow. */
static void svm_load_state(struct vcpu *v, const struct vcpu_entry_state *e)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb_save *st = &s->vmcb->save;
    struct vmcb_seg *segs[SREG_COUNT] = { &st->es, &st->cs, &st->ss, &st->ds, &st->fs, &st->gs };
    for (unsigned i = 0; i < SREG_COUNT; i++)
        load_seg(segs[i], &e->seg[i]);
    load_seg(&st->ldtr, &e->ldtr);
    load_seg(&st->tr, &e->tr);
    load_seg(&st->gdtr, &e->gdtr);
    load_seg(&st->idtr, &e->idtr);
    st->cpl = 0;
    st->cr0 = e->cr0;
    st->cr3 = e->cr3;
    st->cr4 = e->cr4;
    s->guest_efer = e->efer;
    st->efer = e->efer | EFER_SVME; /* VMRUN requires it (APM 15.5.1); hidden from the guest */
    st->dr6 = e->dr6;
    st->dr7 = e->dr7;
    st->g_pat = e->pat;
    s->vmcb->ctl.event_inj = 0;
    s->vmcb->ctl.int_state = 0;
    s->vmcb->ctl.int_ctl &= ~(SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_TPR_MASK | SVM_INT_CTL_V_NMI
                              | SVM_INT_CTL_V_NMI_MASK);
    s->vmcb->ctl.intercept_misc1 &= ~(SVM_INTERCEPT_VINTR | SVM_INTERCEPT_IRET);
    s->vmcb->ctl.intercept_exceptions = SVM_INTERCEPT_EXC(X86_MC);
    s->virq_armed = false;
}

static bool svm_event_queued(struct vcpu *v)
{
    return (svm_of(v)->vmcb->ctl.event_inj & SVM_EVTINJ_VALID) != 0;
}

static bool svm_queued_event(struct vcpu *v, uint8_t *type, uint8_t *vector)
{
    uint64_t ev = svm_of(v)->vmcb->ctl.event_inj;
    *type = (uint8_t)((ev >> SVM_EVTINJ_TYPE_SHIFT) & SVM_EVTINJ_TYPE_BITS); /* APM 15.20 */
    *vector = (uint8_t)(ev & SVM_EVTINJ_VECTOR_MASK);
    return (ev & SVM_EVTINJ_VALID) != 0;
}

static bool svm_in_shadow(struct vcpu *v)
{
    return (svm_of(v)->vmcb->ctl.int_state & SVM_INT_STATE_SHADOW) != 0;
}

static void svm_clear_shadow(struct vcpu *v)
{
    svm_of(v)->vmcb->ctl.int_state &= ~SVM_INT_STATE_SHADOW;
}

/* A virtual interrupt the guest will "take" as soon as RFLAGS.IF allows and
 * no shadow is in effect; the VINTR intercept turns that moment into an
 * exit, and Keel then injects the real vector (APM 15.21.4). */
static void svm_set_intr_window(struct vcpu *v, bool on)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb_control *c = &s->vmcb->ctl;
    c->int_ctl &= ~(SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_IGN_TPR | (0xfull << SVM_INT_CTL_V_INTR_PRIO_SHIFT));
    s->virq_armed = false;
    if (on) {
        c->int_ctl |= SVM_INT_CTL_V_IRQ | SVM_INT_CTL_V_IGN_TPR | (0xfull << SVM_INT_CTL_V_INTR_PRIO_SHIFT);
        c->intercept_misc1 |= SVM_INTERCEPT_VINTR;
    } else {
        c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
    }
}

/* The same virtual interrupt without the VINTR intercept: the CPU takes
 * it through the guest's IDT at V_INTR_VECTOR when RFLAGS.IF = 1 and no
 * shadow blocks it, and clears V_IRQ (APM 15.21.4 "Injecting Virtual
 * (INTR) Interrupts"); physical interrupts still exit first.  hv/ chose
 * the vector above ISRV's class.  Where the probe found that this CPU
 * compares V_INTR_PRIO with V_TPR as the APM says, the CPU holds it back
 * while the guest's TPR does (priority: the vector's class); otherwise
 * V_IGN_TPR, and the CR8-write intercept makes a TPR change
 * exit before the CPU could deliver under it. */
static void svm_set_virq(struct vcpu *v, uint8_t vector)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb_control *c = &s->vmcb->ctl;
    uint64_t prio = vector >> 4, ign = 0;
    if (!svm_caps.virq_tpr_gate) {
        prio = 0xf;
        ign = SVM_INT_CTL_V_IGN_TPR;
        c->intercept_cr |= SVM_INTERCEPT_CR_WRITE(8);
    }
    c->int_ctl = (c->int_ctl & ~(SVM_INT_CTL_V_INTR_VECTOR_MASK | SVM_INT_CTL_V_IGN_TPR
                                 | (0xfull << SVM_INT_CTL_V_INTR_PRIO_SHIFT)))
                 | SVM_INT_CTL_V_IRQ | ign | (prio << SVM_INT_CTL_V_INTR_PRIO_SHIFT)
                 | ((uint64_t)vector << SVM_INT_CTL_V_INTR_VECTOR_SHIFT);
    c->intercept_misc1 &= ~SVM_INTERCEPT_VINTR;
    s->virq_armed = true;
    s->virq_vector = vector;
}

static bool svm_virq_tpr_gated(void)
{
    return svm_caps.virq_tpr_gate;
}

static bool svm_virq_with_if(void)
{
    return svm_caps.virq_with_if;
}

/* With V_INTR_MASKING the guest's MOV to/from CR8 uses V_TPR without an
 * exit (APM 15.21.1): Keel mirrors it to and from the vLAPIC's TPR. */
static uint8_t svm_get_vtpr(struct vcpu *v)
{
    return (uint8_t)(svm_of(v)->vmcb->ctl.int_ctl & 0xf);
}

static void svm_set_vtpr(struct vcpu *v, uint8_t cr8)
{
    struct vmcb_control *c = &svm_of(v)->vmcb->ctl;
    c->int_ctl = (c->int_ctl & ~SVM_INT_CTL_V_TPR_MASK) | (cr8 & 0xf);
}


static void svm_set_tpr_threshold(struct vcpu *v, int cls)
{
    struct vmcb_control *c = &svm_of(v)->vmcb->ctl;
    if (cls >= 0)
        c->intercept_cr |= SVM_INTERCEPT_CR_WRITE(8);
    else
        c->intercept_cr &= ~SVM_INTERCEPT_CR_WRITE(8);
}

static void svm_set_iret_exit(struct vcpu *v, bool on)
{
    struct vmcb_control *c = &svm_of(v)->vmcb->ctl;
    if (on)
        c->intercept_misc1 |= SVM_INTERCEPT_IRET;
    else
        c->intercept_misc1 &= ~SVM_INTERCEPT_IRET;
}

/* The exceptions Keel intercepts while it single-steps an IRET
 * (hv/emul/nmi.c), besides #MC, which always stays with the host. */
static void svm_set_exc_exits(struct vcpu *v, uint32_t mask)
{
    svm_of(v)->vmcb->ctl.intercept_exceptions = SVM_INTERCEPT_EXC(X86_MC) | mask;
}

static uint64_t svm_get_dr(struct vcpu *v, unsigned dr)
{
    const struct vmcb_save *st = &svm_of(v)->vmcb->save;
    return dr == 6 ? st->dr6 : dr == 7 ? st->dr7 : 0;
}

static void svm_set_dr(struct vcpu *v, unsigned dr, uint64_t val)
{
    struct vmcb_save *st = &svm_of(v)->vmcb->save;
    if (dr == 6)
        st->dr6 = val;
    else if (dr == 7)
        st->dr7 = val;
}

/* vNMI: the guest's NMI state as the CPU keeps it (APM 15.21.10). */
static unsigned svm_nmi_hw(struct vcpu *v)
{
    uint64_t c = svm_of(v)->vmcb->ctl.int_ctl;
    if (!(c & SVM_INT_CTL_V_NMI_ENABLE))
        return 0;
    return NMI_HW_ON | ((c & SVM_INT_CTL_V_NMI) ? NMI_HW_PENDING : 0)
           | ((c & SVM_INT_CTL_V_NMI_MASK) ? NMI_HW_BLOCKED : 0);
}

static void svm_vcpu_run(struct vcpu *v, struct exit_record *e)
{
    struct svm_vcpu *s = svm_of(v);
    struct vmcb *vmcb = s->vmcb;
    vmcb->save.rax = v->gpr[GPR_RAX];
    vmcb->save.rsp = v->gpr[GPR_RSP];
    vmcb->save.rip = v->rip;
    vmcb->save.rflags = v->rflags;
    /* The VMCB's AVIC state follows the decision only when it changed;
     * without AVIC both stay off and nothing is called. */
    const struct apic_accel *a = &v->apic.accel;
    if (a->on != s->avic_on || (a->on && (a->regs == APIC_ACCEL_REGS_X2APIC) != s->avic_x2))
        svm_avic_apply(v, s);
    if (a->on && a->regs == APIC_ACCEL_REGS_XAPIC)
        vapic_accel_save_traps(v); /* what an AVIC trap replays against */
    if (s->flush_pending) {
        vmcb->ctl.tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
        s->flush_pending = false;
    }
    fpu_prepare_guest_entry(v->fpu);
    const struct svm_cpu *c = v->pcpu->vendor;
    svm_vmrun(s->vmcb_pa, v->gpr, c->host_vmcb_pa);
    vmcb->ctl.tlb_control = SVM_TLB_CONTROL_NONE;
    v->gpr[GPR_RAX] = vmcb->save.rax;
    v->gpr[GPR_RSP] = vmcb->save.rsp;
    v->rip = vmcb->save.rip;
    v->rflags = vmcb->save.rflags;
    /* An event whose delivery the exit interrupted goes in again on the
     * next entry unless a handler queues something else (APM 15.7.2). */
    vmcb->ctl.event_inj = (vmcb->ctl.exit_int_info & SVM_EVTINJ_VALID) ? vmcb->ctl.exit_int_info : 0;
    svm_decode_exit(v, e);
    if (s->virq_armed)
        svm_virq_result(s, e);
    else
        e->virq_taken = false; /* nothing handed over: the usual case, inline */
}

static void svm_inject_event(struct vcpu *v, enum event_type type, uint8_t vector,
                             bool has_error, uint32_t error)
{
    struct vmcb_control *c = &svm_of(v)->vmcb->ctl;
    if (type == EVENT_NMI && (c->int_ctl & SVM_INT_CTL_V_NMI_ENABLE)) {
        /* vNMI: the CPU delivers it when V_NMI_MASK and shadows allow and
         * sets V_NMI_MASK itself (APM 15.21.10); EVENTINJ would not. */
        c->int_ctl |= SVM_INT_CTL_V_NMI;
        return;
    }
    uint64_t ev = vector | ((uint64_t)type << SVM_EVTINJ_TYPE_SHIFT) | SVM_EVTINJ_VALID;
    if (has_error)
        ev |= SVM_EVTINJ_EV | ((uint64_t)error << SVM_EVTINJ_ERR_SHIFT);
    c->event_inj = ev;
}

static void svm_get_paging(struct vcpu *v, struct guest_paging_regs *p)
{
    const struct vmcb_save *st = &svm_of(v)->vmcb->save;
    memset(p, 0, sizeof(*p)); /* maxphyaddr 0 = 52 bits; PDPTEs read at walk time */
    p->cr0 = st->cr0;
    p->cr3 = st->cr3;
    p->cr4 = st->cr4;
    p->efer = st->efer;
}

static enum x86_mode svm_cpu_mode(struct vcpu *v)
{
    const struct vmcb_save *st = &svm_of(v)->vmcb->save;
    if (!(st->cr0 & CR0_PE) || (v->rflags & RFLAGS_VM))
        return X86_MODE_REAL16;
    if ((st->efer & EFER_LMA) && (st->cs.attrib & SEG_ATTR_L))
        return X86_MODE_LONG64;
    return (st->cs.attrib & SEG_ATTR_DB) ? X86_MODE_PROT32 : X86_MODE_PROT16;
}

static unsigned svm_cpl(struct vcpu *v) { return svm_of(v)->vmcb->save.cpl; }

static void svm_get_fetch(struct vcpu *v, struct guest_fetch_regs *f)
{
    const struct vmcb_save *st = &svm_of(v)->vmcb->save;
    f->paging = (struct guest_paging_regs){ .cr0 = st->cr0, .cr3 = st->cr3, .cr4 = st->cr4,
                                            .efer = st->efer };
    f->mode = svm_cpu_mode(v);
    f->cs_base = st->cs.base;
    f->cpl = st->cpl;
}

static uint64_t svm_seg_base(struct vcpu *v, unsigned seg)
{
    const struct vmcb_save *st = &svm_of(v)->vmcb->save;
    const struct vmcb_seg *segs[6] = { &st->es, &st->cs, &st->ss, &st->ds, &st->fs, &st->gs };
    return seg < 6 ? segs[seg]->base : 0;
}

static uint64_t svm_get_efer(struct vcpu *v)
{
    /* LMA is the CPU's; the rest is what the guest wrote. */
    struct svm_vcpu *s = svm_of(v);
    return (s->guest_efer & ~EFER_LMA) | (s->vmcb->save.efer & EFER_LMA);
}

static void svm_set_efer(struct vcpu *v, uint64_t efer)
{
    struct svm_vcpu *s = svm_of(v);
    s->guest_efer = efer & ~EFER_LMA;
    s->vmcb->save.efer = (efer & ~EFER_LMA) | (s->vmcb->save.efer & EFER_LMA) | EFER_SVME;
}

static uint64_t svm_get_pat(struct vcpu *v) { return svm_of(v)->vmcb->save.g_pat; }
static void svm_set_pat(struct vcpu *v, uint64_t pat) { svm_of(v)->vmcb->save.g_pat = pat; }
static void svm_set_tsc_offset(struct vcpu *v, uint64_t off) { svm_of(v)->vmcb->ctl.tsc_offset = off; }
static void svm_set_cr2(struct vcpu *v, uint64_t cr2) { svm_of(v)->vmcb->save.cr2 = cr2; }

/* APM 15.10.1: one IOPM bit per port; an access exits when any of its
 * bytes' bits is set, so clearing these lets every access inside through. */
static void svm_io_passthrough(struct vm *vm, uint16_t port, unsigned count)
{
    struct svm_vm *s = vm->vendor;
    for (unsigned p = port; p < (unsigned)port + count && p <= 0xffff; p++)
        s->iopm[p / 8] &= (uint8_t)~(1u << (p % 8));
}
static void svm_flush_guest_tlb(struct vcpu *v) { svm_of(v)->flush_pending = true; }

/* The VMCB holds the guest's own CR0 and CR4 (APM 15.5.1): nothing of
 * Keel's is mixed in.  Keel intercepts no CR0/CR4 write on SVM today; an
 * emulated CR0.PG change also activates or leaves long mode (EFER.LMA =
 * LME && PG, APM 14.6.1), as the CPU's own MOV to CR0 would. */
static uint64_t svm_get_cr(struct vcpu *v, unsigned cr)
{
    const struct vmcb_save *st = &svm_of(v)->vmcb->save;
    return cr == 0 ? st->cr0 : cr == 4 ? st->cr4 : cr == 3 ? st->cr3 : 0;
}

static void svm_set_cr(struct vcpu *v, unsigned cr, uint64_t val)
{
    struct vmcb_save *st = &svm_of(v)->vmcb->save;
    if (cr == 0) {
        if ((st->cr0 ^ val) & CR0_PG)
            st->efer = ((val & CR0_PG) && (st->efer & EFER_LME)) ? st->efer | EFER_LMA
                                                                 : st->efer & ~EFER_LMA;
        st->cr0 = val;
    } else if (cr == 4)
        st->cr4 = val;
}

const struct vcpu_ops svm_ops = {
    .name = "svm",
    .npt_format = &npt_format_amd,
    .npt_max_level = svm_npt_max_level,
    .x2apic_icr_bit12_gp = true,
    .arch_perf_msr_base = 0xc0010000u, /* PERF_CTL0..3, PERF_CTR0..3 */
    .arch_perf_msr_count = 8,
    .arch_pmc_msr_base = 0xc0010004u, /* PERF_CTR0..3 */
    .arch_pmc_count = 4,
    .probe = svm_probe,
    .cpu_enable = svm_cpu_enable,
    .vm_init = svm_vm_init,
    .vcpu_init = svm_vcpu_init,
    .vcpu_load = svm_avic_vcpu_init,
    .apic_accel_caps = &svm_accel_caps,
    .post_intr = svm_avic_post,
    .block_prepare = svm_avic_block_prepare,
    .block_end = svm_avic_block_end,
    .apic_views_changed = svm_avic_logical_update,
    .load_state = svm_load_state,
    .vcpu_run = svm_vcpu_run,
    .inject_event = svm_inject_event,
    .get_paging = svm_get_paging,
    .cpu_mode = svm_cpu_mode,
    .cpl = svm_cpl,
    .seg_base = svm_seg_base,
    .get_fetch = svm_get_fetch,
    .get_efer = svm_get_efer,
    .set_efer = svm_set_efer,
    .get_pat = svm_get_pat,
    .set_pat = svm_set_pat,
    .set_tsc_offset = svm_set_tsc_offset,
    .io_passthrough = svm_io_passthrough,
    .set_cr2 = svm_set_cr2,
    .get_cr = svm_get_cr,
    .set_cr = svm_set_cr,
    .event_queued = svm_event_queued,
    .queued_event = svm_queued_event,
    .in_shadow = svm_in_shadow,
    .clear_shadow = svm_clear_shadow,
    .set_intr_window = svm_set_intr_window,
    .set_virq = svm_set_virq,
    .virq_tpr_gated = svm_virq_tpr_gated,
    .virq_with_if = svm_virq_with_if,
    .set_iret_exit = svm_set_iret_exit,
    .nmi_window_exits = false, /* the IRET intercept: Keel steps the IRET */
    .nmi_hw = svm_nmi_hw,
    .set_exc_exits = svm_set_exc_exits,
    .get_dr = svm_get_dr,
    .set_dr = svm_set_dr,
    .set_tpr_threshold = svm_set_tpr_threshold,
    .get_vtpr = svm_get_vtpr,
    .set_vtpr = svm_set_vtpr,
    .flush_guest_tlb = svm_flush_guest_tlb,
    .dump = svm_dump,
};
