/* SPDX-License-Identifier: MIT */
/*
 * Decoding a VM exit into the neutral exit record (table-driven, like
 * svm_exit.c), and the VMCS dump.  Every exit goes to hv/ through the run
 * loop; nothing is handled here.
 */
#include <string.h>

#include "hv/host/console.h"
#include "hv/host/panic.h"
#include "hv/vapic.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"
#include "vmx/vmx_exit_reasons.h"

static const enum exit_reason vmx_exit_map[] = {
    [VMX_EXIT_EXT_INTR] = EXIT_INTR,        [VMX_EXIT_TRIPLE_FAULT] = EXIT_SHUTDOWN,
    [VMX_EXIT_INIT] = EXIT_INTR,            [VMX_EXIT_SIPI] = EXIT_INTR,
    [VMX_EXIT_INTR_WINDOW] = EXIT_INTR_WINDOW, [VMX_EXIT_NMI_WINDOW] = EXIT_NMI_WINDOW,
    [VMX_EXIT_CPUID] = EXIT_CPUID,          [VMX_EXIT_HLT] = EXIT_HLT,
    [VMX_EXIT_VMCALL] = EXIT_HYPERCALL,     [VMX_EXIT_VMCLEAR] = EXIT_VIRT_INSN,
    [VMX_EXIT_VMLAUNCH] = EXIT_VIRT_INSN,   [VMX_EXIT_VMPTRLD] = EXIT_VIRT_INSN,
    [VMX_EXIT_VMPTRST] = EXIT_VIRT_INSN,    [VMX_EXIT_VMREAD] = EXIT_VIRT_INSN,
    [VMX_EXIT_VMRESUME] = EXIT_VIRT_INSN,   [VMX_EXIT_VMWRITE] = EXIT_VIRT_INSN,
    [VMX_EXIT_VMXOFF] = EXIT_VIRT_INSN,     [VMX_EXIT_VMXON] = EXIT_VIRT_INSN,
    [VMX_EXIT_IO] = EXIT_IO,                [VMX_EXIT_RDMSR] = EXIT_MSR_READ,
    [VMX_EXIT_WRMSR] = EXIT_MSR_WRITE,      [VMX_EXIT_INVALID_GUEST_STATE] = EXIT_INVALID_STATE,
    [VMX_EXIT_MSR_LOADING] = EXIT_INVALID_STATE, [VMX_EXIT_MACHINE_CHECK] = EXIT_INVALID_STATE,
    [VMX_EXIT_TPR_BELOW_THRESHOLD] = EXIT_TPR_BELOW, [VMX_EXIT_EPT_VIOLATION] = EXIT_NPF,
    [VMX_EXIT_INVEPT] = EXIT_VIRT_INSN,     [VMX_EXIT_INVVPID] = EXIT_VIRT_INSN,
    [VMX_EXIT_RDPMC] = EXIT_RDPMC,
    [VMX_EXIT_XSETBV] = EXIT_XSETBV,        [VMX_EXIT_GETSEC] = EXIT_VIRT_INSN,
    [VMX_EXIT_APIC_ACCESS] = EXIT_NPF,      [VMX_EXIT_VIRTUALIZED_EOI] = EXIT_APIC_EOI,
    [VMX_EXIT_APIC_WRITE] = EXIT_APIC_WRITE, [VMX_EXIT_CR_ACCESS] = EXIT_CR_ACCESS,
    [VMX_EXIT_PREEMPTION_TIMER] = EXIT_INTR, /* vmx.c: the backstop for entries with IF = 0 */
};

static enum exit_reason vmx_reason(uint32_t basic)
{
    if (basic == VMX_EXIT_EXCEPTION_NMI)
        return EXIT_EXCEPTION;
    if (basic < sizeof(vmx_exit_map) / sizeof(vmx_exit_map[0]) && vmx_exit_map[basic])
        return vmx_exit_map[basic];
    return EXIT_UNKNOWN;
}

static void decode_io(struct exit_record *e)
{
    uint64_t q = e->info1;
    e->io.port = (uint16_t)((q & VMX_QUAL_IO_PORT_MASK) >> VMX_QUAL_IO_PORT_SHIFT);
    e->io.size = (uint8_t)((q & VMX_QUAL_IO_SIZE_MASK) + 1);
    e->io.in = (q & VMX_QUAL_IO_IN) != 0;
    e->io.string = (q & VMX_QUAL_IO_STRING) != 0;
    e->io.rep = (q & VMX_QUAL_IO_REP) != 0;
}

static void decode_ept(struct exit_record *e)
{
    uint64_t q = e->info1;
    e->npf.gpa = vmcs_read64(VMCS_GUEST_PHYS_ADDR);
    e->npf.write = (q & VMX_QUAL_EPT_WRITE) != 0;
    e->npf.fetch = (q & VMX_QUAL_EPT_FETCH) != 0;
    e->npf.present = (q & (VMX_QUAL_EPT_READABLE | VMX_QUAL_EPT_WRITABLE
                           | VMX_QUAL_EPT_EXECUTABLE)) != 0;
    /* Bit 8 clear with a valid linear address: the access was to a guest
     * paging structure (SDM table 27-7). */
    e->npf.walk = (q & VMX_QUAL_EPT_GLA_VALID) && !(q & VMX_QUAL_EPT_GLA_TRANSLATED);
}

/* An APIC-access exit (SDM 28.2.1, table 28-6) is the fault an emulated
 * access to the xAPIC page would have taken: an access the CPU does not
 * virtualize (PPR, TMCCT, a narrow or unaligned access, a read-only
 * register's write).  Loads and stores go to the MMIO path with the
 * address in the vCPU's APIC page; fetches and accesses during event
 * delivery stop the VM there as they would on an unmapped page. */
static void decode_apic_access(struct vcpu *v, struct exit_record *e)
{
    unsigned type = (unsigned)((e->info1 & VMX_QUAL_APIC_TYPE_MASK) >> VMX_QUAL_APIC_TYPE_SHIFT);
    e->npf.gpa = vlapic_base_address(&v->apic.vl) + (e->info1 & VMX_QUAL_APIC_OFFSET_MASK);
    e->npf.write = type == VMX_QUAL_APIC_LINEAR_WRITE;
    e->npf.fetch = type == VMX_QUAL_APIC_LINEAR_FETCH || type == VMX_QUAL_APIC_GPA_INSN;
    e->npf.walk = type != VMX_QUAL_APIC_LINEAR_READ && type != VMX_QUAL_APIC_LINEAR_WRITE
                  && !e->npf.fetch;
    e->npf.present = false;
}

/* Control-register accesses (SDM 28.2.1, table 28-3): MOV to CR0/CR4 that
 * touched a bit Keel owns (the guest/host masks), CR8 without a TPR
 * shadow, CLTS and LMSW; the CPU names the GPR and LMSW's source. */
static void decode_cr(struct exit_record *e)
{
    uint64_t q = e->info1;
    unsigned type = (unsigned)((q & VMX_QUAL_CR_TYPE_MASK) >> VMX_QUAL_CR_TYPE_SHIFT);
    static const uint8_t ops[4] = {
        [VMX_QUAL_CR_TYPE_MOV_TO] = EXIT_CR_MOV_TO, [VMX_QUAL_CR_TYPE_MOV_FROM] = EXIT_CR_MOV_FROM,
        [VMX_QUAL_CR_TYPE_CLTS] = EXIT_CR_CLTS,     [VMX_QUAL_CR_TYPE_LMSW] = EXIT_CR_LMSW,
    };
    e->cr.cr = (uint8_t)(q & VMX_QUAL_CR_NUM_MASK);
    e->cr.op = ops[type & 3u];
    e->cr.gpr = (uint8_t)((q & VMX_QUAL_CR_GPR_MASK) >> VMX_QUAL_CR_GPR_SHIFT);
    e->cr.gpr_known = true;
    e->cr.lmsw_src = (uint16_t)((q & VMX_QUAL_CR_LMSW_DATA_MASK) >> VMX_QUAL_CR_LMSW_DATA_SHIFT);
}

static void decode_exception(struct exit_record *e)
{
    uint32_t info = vmcs_read32(VMCS_EXIT_INTR_INFO);
    if (VMX_INTR_INFO_TYPE(info) == VMX_INTR_TYPE_NMI) {
        /* NMI exiting: the NMI was meant for the host (a panic stops
         * every CPU with one). */
        if (panic_in_progress())
            panic_park_cpu();
        e->reason = EXIT_NMI;
        return;
    }
    e->exc.vector = (uint8_t)(info & VMX_INTR_INFO_VECTOR_MASK);
    e->exc.has_error = (info & VMX_INTR_INFO_ERROR_VALID) != 0;
    e->exc.error = vmcs_read32(VMCS_EXIT_INTR_ERROR);
}

void vmx_decode_exit(struct vcpu *v, struct exit_record *e)
{
    uint32_t raw = vmcs_read32(VMCS_EXIT_REASON);
    uint32_t basic = VMX_EXIT_REASON_BASIC(raw);
    memset(e, 0, sizeof(*e));
    e->raw = raw;
    e->rip = v->rip;
    e->info1 = vmcs_readnat(VMCS_EXIT_QUALIFICATION);
    e->reason = (raw & VMX_EXIT_REASON_ENTRY_FAILURE) ? EXIT_INVALID_STATE : vmx_reason(basic);
    e->insn_len = (uint8_t)vmcs_read32(VMCS_EXIT_INSTR_LEN);
    switch (e->reason) {
    case EXIT_IO:
        decode_io(e);
        break;
    case EXIT_NPF:
        if (basic == VMX_EXIT_APIC_ACCESS)
            decode_apic_access(v, e);
        else
            decode_ept(e);
        break;
    case EXIT_APIC_WRITE:   /* offset in bits 11:0 (SDM 28.2.1, table 28-1) */
        e->info1 &= VMX_QUAL_APIC_OFFSET_MASK;
        break;
    case EXIT_APIC_EOI:     /* the vector in bits 7:0 */
        e->info1 &= 0xffu;
        break;
    case EXIT_EXCEPTION:
        decode_exception(e);
        break;
    case EXIT_CR_ACCESS:
        decode_cr(e);
        break;
    case EXIT_MSR_READ:
    case EXIT_MSR_WRITE:
        e->msr = (uint32_t)v->gpr[GPR_RCX];
        break;
    default:
        break;
    }
    /* Only instruction exits have a meaningful length (SDM 27.2.5). */
    if (e->reason == EXIT_NPF || e->reason == EXIT_INTR || e->reason == EXIT_EXCEPTION
        || e->reason == EXIT_NMI || e->reason == EXIT_INTR_WINDOW || e->reason == EXIT_APIC_WRITE
        || e->reason == EXIT_APIC_EOI)
        e->insn_len = 0;
}

void vmx_dump(struct vcpu *v)
{
    log_err("  exit reason %#x (%s) qual %#lx intr info %#x idt info %#x instr err %u",
            vmcs_read32(VMCS_EXIT_REASON),
            vmx_exit_reason_name(VMX_EXIT_REASON_BASIC(vmcs_read32(VMCS_EXIT_REASON))),
            (unsigned long)vmcs_readnat(VMCS_EXIT_QUALIFICATION), vmcs_read32(VMCS_EXIT_INTR_INFO),
            vmcs_read32(VMCS_IDT_VECTORING_INFO), vmcs_read32(VMCS_INSTR_ERROR));
    log_err("  cr0 %016lx (shadow %016lx) cr3 %016lx cr4 %016lx efer %016lx",
            (unsigned long)vmcs_readnat(VMCS_GUEST_CR0),
            (unsigned long)vmcs_readnat(VMCS_CR0_READ_SHADOW),
            (unsigned long)vmcs_readnat(VMCS_GUEST_CR3), (unsigned long)vmcs_readnat(VMCS_GUEST_CR4),
            (unsigned long)vmcs_read64(VMCS_GUEST_EFER));
    log_err("  cs sel %04x ar %05x base %016lx  ss ar %05x  interruptibility %#x activity %u",
            vmcs_read16(VMCS_GUEST_CS_SEL), vmcs_read32(VMCS_GUEST_CS_AR),
            (unsigned long)vmcs_readnat(VMCS_GUEST_CS_BASE), vmcs_read32(VMCS_GUEST_SS_AR),
            vmcs_read32(VMCS_GUEST_INTERRUPTIBILITY), vmcs_read32(VMCS_GUEST_ACTIVITY_STATE));
    log_err("  proc %#x proc2 %#x entry %#x", vmcs_read32(VMCS_PROC_CONTROLS),
            vmcs_read32(VMCS_PROC2_CONTROLS), vmcs_read32(VMCS_ENTRY_CONTROLS));
}
