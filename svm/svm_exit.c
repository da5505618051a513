/* SPDX-License-Identifier: MIT */
/*
 * Decoding a #VMEXIT into the neutral exit record, and the VMCB dump.
 * The decode is table-driven: exit codes Keel knows map to a neutral
 * reason; anything else becomes EXIT_UNKNOWN and stops the VM.
 */
#include <stddef.h>
#include <string.h>

#include "hv/host/console.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "svm/svm.h"
#include "svm/avic.h"

/* A switch, not a table searched in order: it is on every exit's path. */
static enum exit_reason svm_reason(uint32_t code)
{
    if (code >= SVM_EXIT_EXCP_BASE && code < SVM_EXIT_EXCP_BASE + 32)
        return EXIT_EXCEPTION;
    if (code == (uint32_t)SVM_EXIT_INVALID)
        return EXIT_INVALID_STATE;
    if (code <= SVM_EXIT_CR_WRITE(15))
        return EXIT_CR_ACCESS;
    switch (code) {
    case SVM_EXIT_IOIO: return EXIT_IO;
    case SVM_EXIT_CPUID: return EXIT_CPUID;
    case SVM_EXIT_NPF: return EXIT_NPF;
    case SVM_EXIT_INTR: return EXIT_INTR;
    case SVM_EXIT_NMI: return EXIT_NMI;
    case SVM_EXIT_SMI: return EXIT_INTR;
    case SVM_EXIT_INIT: return EXIT_INTR;
    case SVM_EXIT_HLT: return EXIT_HLT;
    case SVM_EXIT_SHUTDOWN: return EXIT_SHUTDOWN;
    case SVM_EXIT_VMMCALL: return EXIT_HYPERCALL;
    case SVM_EXIT_VMRUN: case SVM_EXIT_VMLOAD: case SVM_EXIT_VMSAVE: case SVM_EXIT_STGI:
    case SVM_EXIT_CLGI: case SVM_EXIT_SKINIT: case SVM_EXIT_INVLPGA: case SVM_EXIT_RDTSCP:
    case SVM_EXIT_INVD:
        return EXIT_VIRT_INSN;
    case SVM_EXIT_XSETBV: return EXIT_XSETBV;
    case SVM_EXIT_VINTR: return EXIT_INTR_WINDOW;
    case SVM_EXIT_IRET: return EXIT_IRET;
    case SVM_EXIT_RDPMC: return EXIT_RDPMC;
    default: return EXIT_UNKNOWN;
    }
}

static void svm_decode_io(struct exit_record *e)
{
    uint64_t i1 = e->info1;
    e->io.port = (uint16_t)(i1 >> SVM_IOIO_PORT_SHIFT);
    e->io.in = (i1 & SVM_IOIO_TYPE_IN) != 0;
    e->io.string = (i1 & SVM_IOIO_STR) != 0;
    e->io.rep = (i1 & SVM_IOIO_REP) != 0;
    e->io.size = (i1 & SVM_IOIO_SZ32) ? 4 : (i1 & SVM_IOIO_SZ16) ? 2 : 1;
    e->io.addr_size = (i1 & SVM_IOIO_A64) ? 8 : (i1 & SVM_IOIO_A32) ? 4 : 2;
    e->io.seg = (uint8_t)((i1 >> SVM_IOIO_SEG_SHIFT) & SVM_IOIO_SEG_MASK);
    /* EXITINFO2 holds the next RIP for IOIO intercepts (APM 15.10.2),
     * with or without nRIP support. */
    e->insn_len = (uint8_t)(e->info2 - e->rip);
}

/* CR read/write intercepts (APM 15.8.1).  With decode assists EXITINFO1
 * names the GPR of a MOV; otherwise (QEMU) hv/ decodes the instruction. */
static void svm_decode_cr(struct exit_record *e, uint32_t code, bool decode_assists)
{
    e->cr.cr = (uint8_t)(code & 0xfu);
    e->cr.op = code >= SVM_EXIT_CR_WRITE(0) ? EXIT_CR_MOV_TO : EXIT_CR_MOV_FROM;
    if (decode_assists && (e->info1 & SVM_CR_INFO_MOV)) {
        e->cr.gpr = (uint8_t)(e->info1 & SVM_CR_INFO_GPR_MASK);
        e->cr.gpr_known = true;
    }
}

/* AVIC's own exits (APM "AVIC #VMEXITs"), into neutral records: an
 * incomplete IPI says what is left to do; an unaccelerated access is a
 * trap (the CPU stored the write: replay it like an APIC-write exit) or a
 * fault (nothing happened: emulate it as an MMIO access to the APIC). */
static void svm_decode_avic(struct vcpu *v, struct exit_record *e, uint32_t code)
{
    if (code == SVM_EXIT_AVIC_INCOMPLETE_IPI) {
        static const enum exit_ipi_left left[] = {
            [AVIC_IPI_DELIVER] = EXIT_IPI_SEND, [AVIC_IPI_WAKE] = EXIT_IPI_WAKE,
            [AVIC_IPI_ANOMALY] = EXIT_IPI_ANOMALY,
        };
        e->reason = EXIT_IPI_INCOMPLETE;
        e->ipi.icr = e->info1;
        e->ipi.left = left[avic_ipi_action(e->info2)];
        e->ipi.cause = (uint32_t)(e->info2 >> AVIC_IPI_INFO2_CAUSE_SHIFT);
        return;
    }
    struct avic_noaccel d = avic_noaccel_decode(e->info1);
    if (d.trap) {
        e->reason = EXIT_APIC_WRITE;
        e->info1 = d.offset;
        return;
    }
    e->reason = EXIT_NPF;
    e->npf.gpa = vlapic_base_address(&v->apic.vl) + d.offset;
    e->npf.write = d.write;
    e->npf.present = true;
}

/* The length of the exiting instruction from nRIP (APM 15.7.1), 0 when
 * the CPU gives none (QEMU): hv/ decodes it then. */
static uint8_t svm_nrip_len(const struct vmcb_control *c, uint64_t rip)
{
    if ((svm_caps.features & SVM_FEAT_NRIPS) && c->next_rip > rip && c->next_rip - rip <= 15)
        return (uint8_t)(c->next_rip - rip);
    return 0;
}

/* Everything but IOIO and MSR, which svm_decode_exit completes itself. */
static void svm_decode_other(struct vcpu *v, struct exit_record *e, uint32_t code)
{
    memset(&e->io, 0, sizeof(*e) - offsetof(struct exit_record, io));
    e->reason = svm_reason(code);
    switch (e->reason) {
    case EXIT_CR_ACCESS:
        svm_decode_cr(e, code, (svm_caps.features & SVM_FEAT_DECODE) != 0);
        break;
    case EXIT_NPF:
        e->npf.gpa = e->info2;
        e->npf.write = (e->info1 & SVM_NPF_RW) != 0;
        e->npf.fetch = (e->info1 & SVM_NPF_ID) != 0;
        e->npf.present = (e->info1 & SVM_NPF_P) != 0;
        e->npf.walk = (e->info1 & SVM_NPF_GUEST_WALK) != 0;
        break;
    case EXIT_EXCEPTION:
        e->exc.vector = (uint8_t)(code - SVM_EXIT_EXCP_BASE);
        e->exc.error = (uint32_t)e->info1;
        e->exc.cr2 = e->info2;
        break;
    default:
        break;
    }
    if (code == SVM_EXIT_AVIC_INCOMPLETE_IPI || code == SVM_EXIT_AVIC_UNACCELERATED_ACCESS)
        svm_decode_avic(v, e, code);
}

/* Fills the record only as far as its reason needs (hv/emul/exit.h): the
 * union member of the reason, nothing else of it.  Port I/O and MSR
 * accesses, the commonest exits, are decoded first and alone. */
void svm_decode_exit(struct vcpu *v, struct exit_record *e)
{
    struct svm_vcpu *s = v->vendor;
    const struct vmcb_control *c = &s->vmcb->ctl;
    /* QEMU reports VMEXIT_INVALID as 0x00000000ffffffff: compare the low
     * 32 bits only (docs/platforms.md). */
    uint32_t code = (uint32_t)c->exit_code;
    e->raw = c->exit_code;
    e->info1 = c->exit_info1;
    e->info2 = c->exit_info2;
    e->rip = v->rip;
    if (code == SVM_EXIT_IOIO) {
        e->reason = EXIT_IO;
        svm_decode_io(e); /* every exit_io field, and the length */
        return;
    }
    e->insn_len = svm_nrip_len(c, v->rip);
    if (code == SVM_EXIT_MSR) {
        /* EXITINFO1: 0 RDMSR, 1 WRMSR (APM 15.11); ECX names the MSR. */
        e->reason = e->info1 ? EXIT_MSR_WRITE : EXIT_MSR_READ;
        e->msr = (uint32_t)v->gpr[GPR_RCX];
        return;
    }
    svm_decode_other(v, e, code);
}

static void dump_seg(const char *n, const struct vmcb_seg *s)
{
    log_err("  %-4s sel %04x attr %04x limit %08x base %016lx", n, s->selector, s->attrib,
            s->limit, (unsigned long)s->base);
}

void svm_dump(struct vcpu *v)
{
    struct svm_vcpu *s = v->vendor;
    const struct vmcb *vm = s->vmcb;
    log_err("  exitcode %#lx info1 %#lx info2 %#lx intinfo %#lx", (unsigned long)vm->ctl.exit_code,
            (unsigned long)vm->ctl.exit_info1, (unsigned long)vm->ctl.exit_info2,
            (unsigned long)vm->ctl.exit_int_info);
    log_err("  cr0 %016lx cr2 %016lx cr3 %016lx cr4 %016lx", (unsigned long)vm->save.cr0,
            (unsigned long)vm->save.cr2, (unsigned long)vm->save.cr3, (unsigned long)vm->save.cr4);
    log_err("  efer %016lx (guest sees %016lx) cpl %u int_state %lx event_inj %lx",
            (unsigned long)vm->save.efer, (unsigned long)s->guest_efer, vm->save.cpl,
            (unsigned long)vm->ctl.int_state, (unsigned long)vm->ctl.event_inj);
    dump_seg("cs", &vm->save.cs);
    dump_seg("ss", &vm->save.ss);
    dump_seg("ds", &vm->save.ds);
    dump_seg("tr", &vm->save.tr);
    dump_seg("gdtr", &vm->save.gdtr);
    dump_seg("idtr", &vm->save.idtr);
}

/* After an exit: whether the CPU delivered the V_IRQ handed to it (it
 * clears V_IRQ when it takes it); hv/ acknowledges it in the vLAPIC.  A
 * delivery the exit interrupted is in EXITINTINFO and goes in again as
 * any event does (APM 15.7.2). */
void svm_virq_result(struct svm_vcpu *s, struct exit_record *e)
{
    struct vmcb_control *c = &s->vmcb->ctl;
    uint64_t ii = c->exit_int_info;
    /* The exit interrupted the delivery of that very vector (an INTR in
     * EXITINTINFO while it was handed over: nothing else injects one
     * meanwhile): taken, whether or not this CPU cleared V_IRQ yet, so
     * that the re-injection above is its one delivery. */
    if (s->virq_armed && (ii & SVM_EVTINJ_VALID)
        && ((ii >> SVM_EVTINJ_TYPE_SHIFT) & SVM_EVTINJ_TYPE_BITS) == SVM_EVTINJ_TYPE_INTR
        && (uint8_t)(ii & SVM_EVTINJ_VECTOR_MASK) == s->virq_vector)
        c->int_ctl &= ~SVM_INT_CTL_V_IRQ;
    e->virq_taken = s->virq_armed && !(c->int_ctl & SVM_INT_CTL_V_IRQ);
    e->virq_vector = s->virq_vector;
    s->virq_armed &= !e->virq_taken;
    /* Taken: nothing is handed over any more, so CR8 writes need not exit
     * for it (svm_set_virq).  A pass that handed a vector over left no TPR
     * threshold (hv/emul/inject.c), and an entry without a pass would
     * otherwise keep the intercept: the guest's next MOV to CR8 exiting
     * for nothing. */
    if (e->virq_taken && !svm_caps.virq_tpr_gate)
        c->intercept_cr &= ~SVM_INTERCEPT_CR_WRITE(8);
}
