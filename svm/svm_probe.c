/* SPDX-License-Identifier: MIT */
/*
 * How this CPU compares a virtual interrupt's priority with the guest's
 * TPR, found out once at boot by running it.
 *
 * APM vol. 2 15.21.4 ("Injecting Virtual (INTR) Interrupts"): the CPU
 * takes the virtual interrupt in V_IRQ when its V_INTR_PRIO is greater
 * than V_TPR (unless V_IGN_TPR), which is the APIC's own rule for a
 * vector's class against TPR's (SDM 11.8.3.1).  With it, Keel can hand a
 * vector that only TPR holds back to the CPU and let the guest's MOV to
 * CR8 run without an exit (hv/emul/inject.c hand_over_held).
 *
 * Which rule this CPU follows is measured rather than assumed: a guest
 * that runs Keel's own address space (nested paging off, the host's CR3)
 * sets RFLAGS.IF just before a HLT, a virtual interrupt of priority 2
 * pending, the VINTR and HLT intercepts on.  A VINTR exit says the CPU
 * would take it, a HLT exit that it holds it back.  V_TPR 1 must take it
 * and V_TPR 3 hold it (or nothing is concluded); V_TPR 2 must hold it
 * too.  The held case must also leave V_IRQ set in the VMCB after the
 * exit (the CPU clears it only when it takes the interrupt, which is how
 * Keel learns a delivery happened: svm/svm_exit.c svm_virq_result).
 *
 * QEMU's TCG (7.2) takes it at equality too (target/i386 ctl_has_irq
 * compares with >=), and worse, a guest MOV to CR8 that makes a pending
 * virtual interrupt deliverable aborts QEMU (helper_write_crN raises
 * CPU_INTERRUPT_VIRQ without the iothread lock: "tcg_handle_interrupt:
 * assertion failed", seen here).  So a CPU that takes it at equality is
 * not trusted with it at all.
 *
 * Anything else (an exception, a failed VMRUN, an interrupt at every try)
 * leaves the rule unknown: Keel then makes CR8 writes exit while it hands
 * a vector over, as before.
 */
#include <string.h>

#include "hv/host/console.h"
#include "hv/mm/mem.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "svm/svm.h"

/* The probe guest: STI, a few NOPs, then a HLT (intercepted before it
 * runs).  It enters with RFLAGS.IF clear and sets it itself: Bochs 2.7
 * weighs a pending virtual interrupt when IF or CR8 changes (and at
 * VMRUN against the VMCB it ran before), and STI's shadow ends at the
 * first NOP, so on every CPU the interrupt is due before the HLT. */
__asm__(".pushsection .text\n"
        ".globl svm_probe_guest\n"
        "svm_probe_guest:\n"
        "    sti\n"
        "    nop\n"
        "    nop\n"
        "    nop\n"
        "    hlt\n"
        "    jmp svm_probe_guest\n"
        ".popsection\n");
extern const uint8_t svm_probe_guest[];

#define PROBE_PRIO   2u
#define PROBE_VECTOR 0x30u
#define PROBE_TRIES  16
/* VMCB segment attributes (APM 15.5.1): present, S, DPL 0; code
 * execute/read accessed with L (64-bit); data read/write accessed. */
#define PROBE_ATTR_CODE64 0x029bu
#define PROBE_ATTR_DATA   0x0093u

static uint16_t read_sel(int which)
{
    uint16_t s;
    if (which == 0)
        __asm__ volatile("mov %%cs, %0" : "=r"(s));
    else
        __asm__ volatile("mov %%ss, %0" : "=r"(s));
    return s;
}

/* A guest that is this CPU's own context at svm_probe_guest, with a
 * virtual interrupt of priority PROBE_PRIO pending and V_TPR @tpr. */
static void probe_vmcb(struct vmcb *vmcb, unsigned tpr)
{
    memset(vmcb, 0, sizeof(*vmcb));
    struct vmcb_control *c = &vmcb->ctl;
    struct vmcb_save *st = &vmcb->save;
    c->intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_SMI
                         | SVM_INTERCEPT_INIT | SVM_INTERCEPT_VINTR | SVM_INTERCEPT_HLT
                         | SVM_INTERCEPT_SHUTDOWN;
    c->intercept_misc2 = SVM_INTERCEPT_VMRUN; /* VMRUN requires it (APM 15.5.1) */
    c->intercept_exceptions = 0xffffffffu;
    c->guest_asid = 1;
    c->tlb_control = SVM_TLB_CONTROL_FLUSH_ALL;
    c->int_ctl = SVM_INT_CTL_V_INTR_MASKING | SVM_INT_CTL_V_IRQ
                 | ((uint64_t)PROBE_PRIO << SVM_INT_CTL_V_INTR_PRIO_SHIFT) | (tpr & 0xf)
                 | ((uint64_t)PROBE_VECTOR << SVM_INT_CTL_V_INTR_VECTOR_SHIFT);
    st->cs = (struct vmcb_seg){ .selector = read_sel(0), .attrib = PROBE_ATTR_CODE64,
                                .limit = 0xffffffffu };
    st->ss = (struct vmcb_seg){ .selector = read_sel(1), .attrib = PROBE_ATTR_DATA,
                                .limit = 0xffffffffu };
    st->ds = st->es = st->ss;
    st->efer = rdmsr(MSR_EFER); /* LME, LMA, SVME (VMRUN wants it), NXE */
    st->cr0 = read_cr0();
    st->cr3 = read_cr3();
    st->cr4 = read_cr4();
    st->dr6 = 0xffff0ff0u;
    st->dr7 = 0x400u;
    st->rflags = RFLAGS_FIXED; /* the guest's STI sets IF */
    st->rip = (uint64_t)(uintptr_t)svm_probe_guest;
    st->g_pat = rdmsr(MSR_IA32_PAT);
}

/* One run to the first exit that is not a host interrupt: its exit code
 * (or ~0 after PROBE_TRIES interrupts); *v_irq: V_IRQ after it. */
static uint64_t probe_run(struct svm_cpu *cpu, struct vmcb *vmcb, unsigned tpr, bool *v_irq)
{
    uint64_t gpr[GPR_COUNT] = { 0 };
    for (int i = 0; i < PROBE_TRIES; i++) {
        probe_vmcb(vmcb, tpr);
        svm_vmrun(virt_to_phys(vmcb), gpr, cpu->host_vmcb_pa);
        uint64_t code = vmcb->ctl.exit_code;
        *v_irq = (vmcb->ctl.int_ctl & SVM_INT_CTL_V_IRQ) != 0;
        if (code != SVM_EXIT_INTR && code != SVM_EXIT_NMI && code != SVM_EXIT_SMI)
            return code;
    }
    return ~0ull;
}

bool svm_probe_virq_tpr(struct svm_cpu *cpu)
{
    struct vmcb *vmcb = mem_try_alloc(1, 1, 0);
    if (!vmcb) {
        log_warn("svm: no page for the virtual-interrupt priority probe: CR8 writes exit");
        return false;
    }
    bool below_irq, above_irq, equal_irq;
    uint64_t below = probe_run(cpu, vmcb, PROBE_PRIO - 1, &below_irq);
    uint64_t above = probe_run(cpu, vmcb, PROBE_PRIO + 1, &above_irq);
    uint64_t equal = probe_run(cpu, vmcb, PROBE_PRIO, &equal_irq);
    mem_free_pages(vmcb, 1);
    if (below != SVM_EXIT_VINTR || above != SVM_EXIT_HLT || !above_irq
        || (equal != SVM_EXIT_VINTR && equal != SVM_EXIT_HLT)) {
        log_warn("svm: virtual-interrupt priority probe inconclusive (exits %#lx %#lx %#lx, "
                 "V_IRQ kept %d): CR8 writes exit while an interrupt is handed over",
                 (unsigned long)below, (unsigned long)above, (unsigned long)equal, above_irq);
        return false;
    }
    if (equal == SVM_EXIT_VINTR) {
        svm_caps.virq_with_if = true; /* QEMU's TCG: see svm_caps */
        log_info("svm: a virtual interrupt is taken when V_INTR_PRIO >= V_TPR, not > as APM "
                 "15.21.4 says (an emulator): CR8 writes exit while an interrupt is handed over");
        return false;
    }
    log_info("svm: a virtual interrupt waits for V_TPR (V_INTR_PRIO > V_TPR, APM 15.21.4): "
             "guest CR8 writes run without an exit");
    return true;
}
