/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the two exit decoders: svm/svm_exit.c against a fake
 * VMCB in memory, vmx/vmx_exit.c against a fake current VMCS behind
 * vmcs_read_raw (the one accessor vmx/vmcs.h's typed reads go through).
 * Each case checks the neutral record hv/ acts on.
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fake_hv.h"
#include "hv/emul/exit.h"
#include "hv/host/panic.h"
#include "hv/x86.h"
#include "svm/avic.h"
#include "svm/svm.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_exit_reasons.h"

/* ---- what the decoders link against ----------------------------------------- */

struct svm_caps svm_caps;
bool panic_in_progress(void) { return false; }
void panic_park_cpu(void) { abort(); }
uint64_t vlapic_base_address(const struct vlapic *vl) { return 0xfee00000ull; }

/* A fake current VMCS: a few fields by encoding, everything else 0. */
#define FAKE_VMCS_FIELDS 16
static struct { uint32_t enc; uint64_t val; } vmcs[FAKE_VMCS_FIELDS];
static unsigned nvmcs;

uint64_t vmcs_read_raw(uint32_t field)
{
    for (unsigned i = 0; i < nvmcs; i++)
        if (vmcs[i].enc == field)
            return vmcs[i].val;
    return 0;
}

int vmcs_write_raw(uint32_t field, uint64_t value, const char *caller) { return 0; }

static void vmcs_set(uint32_t enc, uint64_t val)
{
    for (unsigned i = 0; i < nvmcs; i++)
        if (vmcs[i].enc == enc) {
            vmcs[i].val = val;
            return;
        }
    vmcs[nvmcs].enc = enc;
    vmcs[nvmcs++].val = val;
}

static void vmx_exit(uint32_t reason, uint64_t qual, uint32_t len)
{
    nvmcs = 0;
    vmcs_set(VMCS_EXIT_REASON, reason);
    vmcs_set(VMCS_EXIT_QUALIFICATION, qual);
    vmcs_set(VMCS_EXIT_INSTR_LEN, len);
}

/* ---- SVM ----------------------------------------------------------------- */

static struct vmcb vmcb;
static struct svm_vcpu svm_v = { .vmcb = &vmcb };

static struct vcpu *svm_exit(uint64_t code, uint64_t info1, uint64_t info2)
{
    struct vcpu *v = fake_reset();
    memset(&vmcb, 0, sizeof(vmcb));
    v->vendor = &svm_v;
    vmcb.ctl.exit_code = code;
    vmcb.ctl.exit_info1 = info1;
    vmcb.ctl.exit_info2 = info2;
    svm_caps.features = 0;
    return v;
}

static void test_svm(void)
{
    struct exit_record e;
    /* IOIO (APM 15.10.2): OUT DX, AL to 0x3f8; EXITINFO2 = next RIP. */
    struct vcpu *v = svm_exit(SVM_EXIT_IOIO, (0x3f8ull << SVM_IOIO_PORT_SHIFT) | SVM_IOIO_SZ8
                              | SVM_IOIO_A64, 0x1001);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_IO);
    CHECK_EQ(e.io.port, 0x3f8);
    CHECK_EQ(e.io.size, 1);
    CHECK(!e.io.in);
    CHECK_EQ(e.io.addr_size, 8);
    CHECK_EQ(e.insn_len, 1);
    CHECK_EQ(e.rip, 0x1000);

    v = svm_exit(SVM_EXIT_IOIO, (0x71ull << SVM_IOIO_PORT_SHIFT) | SVM_IOIO_TYPE_IN | SVM_IOIO_SZ32
                 | SVM_IOIO_STR | SVM_IOIO_REP | SVM_IOIO_A32 | (3ull << SVM_IOIO_SEG_SHIFT), 0x1002);
    svm_decode_exit(v, &e);
    CHECK(e.io.in && e.io.string && e.io.rep);
    CHECK_EQ(e.io.size, 4);
    CHECK_EQ(e.io.addr_size, 4);
    CHECK_EQ(e.io.seg, 3);

    /* MSR: EXITINFO1 says read (0) or write (1); ECX names the MSR. */
    v = svm_exit(SVM_EXIT_MSR, 1, 0);
    v->gpr[GPR_RCX] = MSR_EFER;
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_MSR_WRITE);
    CHECK_EQ(e.msr, MSR_EFER);
    v = svm_exit(SVM_EXIT_MSR, 0, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_MSR_READ);

    /* NPF: a #PF-style error code and the GPA (APM 15.25.6). */
    v = svm_exit(SVM_EXIT_NPF, SVM_NPF_P | SVM_NPF_RW | SVM_NPF_GUEST_WALK, 0xfec00010ull);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_NPF);
    CHECK_EQ(e.npf.gpa, 0xfec00010ull);
    CHECK(e.npf.write && e.npf.present && e.npf.walk && !e.npf.fetch);
}

/* AVIC's exits (APM "AVIC #VMEXITs"), worked out from the manual's
 * encodings: EXITINFO1 = ICR, EXITINFO2[63:32] = cause; unaccelerated
 * access: EXITINFO1[11:4] offset, [32] write. */
static void test_svm_avic(void)
{
    struct exit_record e;
    /* Invalid type (an NMI IPI): the ICR is sent by software. */
    struct vcpu *v = svm_exit(SVM_EXIT_AVIC_INCOMPLETE_IPI, (2ull << 32) | 0x4400, 0ull << 32);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_IPI_INCOMPLETE);
    CHECK_EQ(e.ipi.icr, (2ull << 32) | 0x4400);
    CHECK_EQ(e.ipi.left, EXIT_IPI_SEND);
    v = svm_exit(SVM_EXIT_AVIC_INCOMPLETE_IPI, 0x40, (1ull << 32) | 3);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.ipi.left, EXIT_IPI_WAKE);           /* target not running */
    v = svm_exit(SVM_EXIT_AVIC_INCOMPLETE_IPI, 0x40, 2ull << 32);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.ipi.left, EXIT_IPI_SEND);           /* invalid target */
    v = svm_exit(SVM_EXIT_AVIC_INCOMPLETE_IPI, 0x40, 3ull << 32);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.ipi.left, EXIT_IPI_ANOMALY);        /* invalid backing page */
    CHECK_EQ(e.ipi.cause, 3);
    v = svm_exit(SVM_EXIT_AVIC_INCOMPLETE_IPI, 0x08, 4ull << 32);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.ipi.left, EXIT_IPI_SEND);           /* vector < 16: the vLAPIC's ESR */
    /* A trapped LDR write: replayed like an APIC-write exit. */
    v = svm_exit(SVM_EXIT_AVIC_UNACCELERATED_ACCESS, (1ull << 32) | 0xd0, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_APIC_WRITE);
    CHECK_EQ(e.info1, 0xd0);
    /* A faulting TMCCT read: emulated as MMIO at the APIC base. */
    v = svm_exit(SVM_EXIT_AVIC_UNACCELERATED_ACCESS, 0x390, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_NPF);
    CHECK_EQ(e.npf.gpa, 0xfee00390ull);
    CHECK(!e.npf.write && e.npf.present);
    /* A write to a register that is not trap-class (e.g. reserved): fault. */
    v = svm_exit(SVM_EXIT_AVIC_UNACCELERATED_ACCESS, (1ull << 32) | 0x3f0, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_NPF);
    CHECK(e.npf.write);
}

static void test_svm_cr_exc(void)
{
    struct exit_record e;
    struct vcpu *v;

    /* CR8 write without decode assists: hv/ decodes the instruction. */
    v = svm_exit(SVM_EXIT_CR8_WRITE, 0, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_CR_ACCESS);
    CHECK_EQ(e.cr.cr, 8);
    CHECK_EQ(e.cr.op, EXIT_CR_MOV_TO);
    CHECK(!e.cr.gpr_known);
    /* With decode assists EXITINFO1[63] and [3:0] name the GPR. */
    v = svm_exit(SVM_EXIT_CR8_WRITE, SVM_CR_INFO_MOV | 11, 0);
    svm_caps.features = SVM_FEAT_DECODE;
    svm_decode_exit(v, &e);
    CHECK(e.cr.gpr_known);
    CHECK_EQ(e.cr.gpr, 11);
    v = svm_exit(SVM_EXIT_CR_READ(0), 0, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_CR_ACCESS);
    CHECK_EQ(e.cr.cr, 0);
    CHECK_EQ(e.cr.op, EXIT_CR_MOV_FROM);

    /* Exceptions: vector from the code, error code and CR2 from EXITINFO. */
    v = svm_exit(SVM_EXIT_EXCP_BASE + X86_PF, 6, 0xdead000ull);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_EXCEPTION);
    CHECK_EQ(e.exc.vector, X86_PF);
    CHECK_EQ(e.exc.error, 6);
    CHECK_EQ(e.exc.cr2, 0xdead000ull);

    /* VMEXIT_INVALID as the APM gives it and as QEMU does (low 32 bits). */
    v = svm_exit(~0ull, 0, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_INVALID_STATE);
    v = svm_exit(0xffffffffull, 0, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_INVALID_STATE);

    v = svm_exit(0x07e /* FERR_FREEZE */, 0, 0);
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_UNKNOWN);
    CHECK_EQ(e.raw, 0x07e);

    /* nRIP gives the length only where the CPU has it. */
    v = svm_exit(SVM_EXIT_CPUID, 0, 0);
    vmcb.ctl.next_rip = 0x1002;
    svm_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_CPUID);
    CHECK_EQ(e.insn_len, 0);
    svm_caps.features = SVM_FEAT_NRIPS;
    svm_decode_exit(v, &e);
    CHECK_EQ(e.insn_len, 2);
}

/* ---- VMX ----------------------------------------------------------------- */

static void test_vmx(void)
{
    struct exit_record e;
    struct vcpu *v = fake_reset();

    /* CR access (SDM table 28-3): MOV to CR4 from RCX. */
    vmx_exit(VMX_EXIT_CR_ACCESS, 4 | (VMX_QUAL_CR_TYPE_MOV_TO << VMX_QUAL_CR_TYPE_SHIFT)
             | (1ull << VMX_QUAL_CR_GPR_SHIFT), 3);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_CR_ACCESS);
    CHECK_EQ(e.cr.cr, 4);
    CHECK_EQ(e.cr.op, EXIT_CR_MOV_TO);
    CHECK(e.cr.gpr_known);
    CHECK_EQ(e.cr.gpr, GPR_RCX);
    CHECK_EQ(e.insn_len, 3);
    vmx_exit(VMX_EXIT_CR_ACCESS, 8 | (VMX_QUAL_CR_TYPE_MOV_FROM << VMX_QUAL_CR_TYPE_SHIFT)
             | (15ull << VMX_QUAL_CR_GPR_SHIFT), 4);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.cr.cr, 8);
    CHECK_EQ(e.cr.op, EXIT_CR_MOV_FROM);
    CHECK_EQ(e.cr.gpr, GPR_R15);
    vmx_exit(VMX_EXIT_CR_ACCESS, (VMX_QUAL_CR_TYPE_LMSW << VMX_QUAL_CR_TYPE_SHIFT)
             | (0xbeefull << VMX_QUAL_CR_LMSW_DATA_SHIFT), 3);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.cr.op, EXIT_CR_LMSW);
    CHECK_EQ(e.cr.lmsw_src, 0xbeef);
    vmx_exit(VMX_EXIT_CR_ACCESS, VMX_QUAL_CR_TYPE_CLTS << VMX_QUAL_CR_TYPE_SHIFT, 2);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.cr.op, EXIT_CR_CLTS);
}

static void test_vmx_io_ept_apic(void)
{
    struct exit_record e;
    struct vcpu *v = fake_reset();

    /* I/O: IN AX, DX from 0x71 (size - 1 in bits 2:0). */
    vmx_exit(VMX_EXIT_IO, (0x71ull << VMX_QUAL_IO_PORT_SHIFT) | 1 | VMX_QUAL_IO_IN, 1);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_IO);
    CHECK_EQ(e.io.port, 0x71);
    CHECK_EQ(e.io.size, 2);
    CHECK(e.io.in && !e.io.string);
    CHECK_EQ(e.insn_len, 1);

    /* EPT violation: a write where the entry allowed reads; GLA valid but
     * not the translated access: a guest page-table access. */
    vmx_exit(VMX_EXIT_EPT_VIOLATION, VMX_QUAL_EPT_WRITE | VMX_QUAL_EPT_READABLE
             | VMX_QUAL_EPT_GLA_VALID, 5);
    vmcs_set(VMCS_GUEST_PHYS_ADDR, 0xfec00020ull);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_NPF);
    CHECK_EQ(e.npf.gpa, 0xfec00020ull);
    CHECK(e.npf.write && e.npf.present && e.npf.walk && !e.npf.fetch);
    CHECK_EQ(e.insn_len, 0);  /* not an instruction exit: no length */

    /* APIC access (table 28-6): a linear write at offset 0x300 becomes an
     * MMIO fault at the vCPU's APIC base. */
    vmx_exit(VMX_EXIT_APIC_ACCESS, 0x300 | ((uint64_t)VMX_QUAL_APIC_LINEAR_WRITE
                                            << VMX_QUAL_APIC_TYPE_SHIFT), 6);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_NPF);
    CHECK_EQ(e.npf.gpa, 0xfee00300ull);
    CHECK(e.npf.write && !e.npf.walk && !e.npf.fetch);

    /* APIC-write and virtualized-EOI exits: the offset / vector only. */
    vmx_exit(VMX_EXIT_APIC_WRITE, 0xabc0380, 0);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_APIC_WRITE);
    CHECK_EQ(e.info1, 0x380);
    vmx_exit(VMX_EXIT_VIRTUALIZED_EOI, 0x1231, 0);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_APIC_EOI);
    CHECK_EQ(e.info1, 0x31);
}

static void test_vmx_misc(void)
{
    struct exit_record e;
    struct vcpu *v = fake_reset();

    /* Exceptions and NMIs share a basic reason; the type tells them apart. */
    vmx_exit(VMX_EXIT_EXCEPTION_NMI, 0, 0);
    vmcs_set(VMCS_EXIT_INTR_INFO, VMX_INTR_INFO(X86_GP, VMX_INTR_TYPE_HW_EXCEPTION, true));
    vmcs_set(VMCS_EXIT_INTR_ERROR, 0x18);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_EXCEPTION);
    CHECK_EQ(e.exc.vector, X86_GP);
    CHECK(e.exc.has_error);
    CHECK_EQ(e.exc.error, 0x18);
    vmcs_set(VMCS_EXIT_INTR_INFO, VMX_INTR_INFO(X86_NMI, VMX_INTR_TYPE_NMI, false));
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_NMI);

    /* MSRs: ECX names the MSR; the instruction length is kept. */
    vmx_exit(VMX_EXIT_RDMSR, 0, 2);
    v->gpr[GPR_RCX] = MSR_IA32_PAT;
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_MSR_READ);
    CHECK_EQ(e.msr, MSR_IA32_PAT);
    CHECK_EQ(e.insn_len, 2);

    /* An external interrupt has no instruction length. */
    vmx_exit(VMX_EXIT_EXT_INTR, 0, 7);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_INTR);
    CHECK_EQ(e.insn_len, 0);
    /* The VMX-preemption timer (the backstop for entries with IF = 0,
     * vmx/vmx.c): a physical event, nothing to emulate. */
    vmx_exit(VMX_EXIT_PREEMPTION_TIMER, 0, 0);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_INTR);

    /* Entry failures and reasons Keel does not handle. */
    vmx_exit(VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_INVALID_GUEST_STATE, 0, 0);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_INVALID_STATE);
    vmx_exit(VMX_EXIT_WBINVD, 0, 2);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_UNKNOWN);
    CHECK_EQ(e.raw, VMX_EXIT_WBINVD);
    vmx_exit(VMX_EXIT_VMCALL, 0, 3);
    vmx_decode_exit(v, &e);
    CHECK_EQ(e.reason, EXIT_HYPERCALL);
    CHECK_EQ(e.insn_len, 3);
}

/* The V_IRQ hand-over's outcome (svm_virq_result): taken when the CPU
 * cleared V_IRQ, or when the exit interrupted that vector's delivery
 * (EXITINTINFO), whatever V_IRQ says, so that the re-injection is its one
 * delivery; taken, the CR8-write intercept of the hand-over goes. */
static void test_svm_virq(void)
{
    struct exit_record e;
    struct svm_vcpu s = { .vmcb = &vmcb };
    const uint64_t cr8w = SVM_INTERCEPT_CR_WRITE(8);
    memset(&vmcb, 0, sizeof(vmcb));
    svm_caps.virq_tpr_gate = false;
    /* Not taken: V_IRQ still set, nothing in EXITINTINFO. */
    s.virq_armed = true;
    s.virq_vector = 0x60;
    vmcb.ctl.int_ctl = SVM_INT_CTL_V_IRQ;
    vmcb.ctl.intercept_cr = cr8w;
    svm_virq_result(&s, &e);
    CHECK(!e.virq_taken);
    CHECK(s.virq_armed);
    CHECK_EQ(vmcb.ctl.intercept_cr, cr8w);
    /* Taken: V_IRQ cleared by the CPU. */
    vmcb.ctl.int_ctl = 0;
    svm_virq_result(&s, &e);
    CHECK(e.virq_taken);
    CHECK_EQ(e.virq_vector, 0x60);
    CHECK(!s.virq_armed);
    CHECK_EQ(vmcb.ctl.intercept_cr, 0);
    /* Not armed: nothing taken, whatever V_IRQ says. */
    svm_virq_result(&s, &e);
    CHECK(!e.virq_taken);
    /* The delivery interrupted, V_IRQ still set: taken, V_IRQ cleared. */
    s.virq_armed = true;
    vmcb.ctl.int_ctl = SVM_INT_CTL_V_IRQ;
    vmcb.ctl.exit_int_info = SVM_EVTINJ_VALID | 0x60;
    svm_virq_result(&s, &e);
    CHECK(e.virq_taken);
    CHECK_EQ(vmcb.ctl.int_ctl & SVM_INT_CTL_V_IRQ, 0);
    /* Another vector (or an exception) interrupted: not this one. */
    s.virq_armed = true;
    vmcb.ctl.int_ctl = SVM_INT_CTL_V_IRQ;
    vmcb.ctl.exit_int_info = SVM_EVTINJ_VALID | 0x61;
    svm_virq_result(&s, &e);
    CHECK(!e.virq_taken);
    vmcb.ctl.exit_int_info = SVM_EVTINJ_VALID | (3ull << SVM_EVTINJ_TYPE_SHIFT) | 0x60;
    svm_virq_result(&s, &e);
    CHECK(!e.virq_taken);
    /* With the CPU weighing V_TPR itself there was no CR8 intercept to drop. */
    svm_caps.virq_tpr_gate = true;
    vmcb.ctl.exit_int_info = 0;
    vmcb.ctl.int_ctl = 0;
    vmcb.ctl.intercept_cr = cr8w; /* the TPR threshold's, say */
    svm_virq_result(&s, &e);
    CHECK(e.virq_taken);
    CHECK_EQ(vmcb.ctl.intercept_cr, cr8w);
    svm_caps.virq_tpr_gate = false;
}

int main(void)
{
    test_svm();
    test_svm_virq();
    test_svm_cr_exc();
    test_vmx();
    test_vmx_io_ept_apic();
    test_svm_avic();
    test_vmx_misc();
    return check_report("test_exit_decode");
}
