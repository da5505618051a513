/* SPDX-License-Identifier: MIT */
/*
 * Decoding a VM exit into the neutral exit record (table-driven, like
 * svm_exit.c), the exits VMX handles itself, and the VMCS dump.
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
    [VMX_EXIT_XSETBV] = EXIT_XSETBV,        [VMX_EXIT_GETSEC] = EXIT_VIRT_INSN,
    [VMX_EXIT_APIC_ACCESS] = EXIT_NPF,      [VMX_EXIT_VIRTUALIZED_EOI] = EXIT_APIC_EOI,
    [VMX_EXIT_APIC_WRITE] = EXIT_APIC_WRITE,
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
    e->npf.gpa = vlapic_base_address(&v->vl) + (e->info1 & VMX_QUAL_APIC_OFFSET_MASK);
    e->npf.write = type == VMX_QUAL_APIC_LINEAR_WRITE;
    e->npf.fetch = type == VMX_QUAL_APIC_LINEAR_FETCH || type == VMX_QUAL_APIC_GPA_INSN;
    e->npf.walk = type != VMX_QUAL_APIC_LINEAR_READ && type != VMX_QUAL_APIC_LINEAR_WRITE
                  && !e->npf.fetch;
    e->npf.present = false;
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

/* MOV to CR0/CR4 that touched a bit Keel owns (the guest/host masks), or
 * CR8 without a TPR shadow: emulated here (SDM 27.1.3, table 27-3). */
static bool vmx_cr_access(struct vcpu *v, const struct exit_record *e)
{
    unsigned cr = (unsigned)(e->info1 & VMX_QUAL_CR_NUM_MASK);
    unsigned type = (unsigned)((e->info1 & VMX_QUAL_CR_TYPE_MASK) >> VMX_QUAL_CR_TYPE_SHIFT);
    unsigned gpr = (unsigned)((e->info1 & VMX_QUAL_CR_GPR_MASK) >> VMX_QUAL_CR_GPR_SHIFT);
    uint64_t val = v->gpr[gpr];
    if (cr == 8 && type == VMX_QUAL_CR_TYPE_MOV_FROM) {
        v->gpr[gpr] = vapic_get_cr8(v);
    } else if (cr == 8 && type == VMX_QUAL_CR_TYPE_MOV_TO) {
        if (val >> 4) {
            vcpu_inject_gp(v);
            return true;
        }
        vapic_set_cr8(v, (uint8_t)val);
    } else if (cr == 0 && type == VMX_QUAL_CR_TYPE_MOV_TO) {
        uint64_t old = vmcs_readnat(VMCS_CR0_READ_SHADOW);
        uint64_t efer = vmcs_read64(VMCS_GUEST_EFER);
        vmcs_writenat(VMCS_CR0_READ_SHADOW, val);
        vmcs_writenat(VMCS_GUEST_CR0, val | vmx_ctl.guest_cr0_fixed0);
        /* Paging turned on or off here, not by the CPU: IA-32e mode
         * follows it (SDM 9.8.5), through EFER.LMA and the entry control. */
        if ((val ^ old) & CR0_PG) {
            bool lma = (val & CR0_PG) && (efer & EFER_LME);
            uint32_t entry = vmcs_read32(VMCS_ENTRY_CONTROLS);
            vmcs_write64(VMCS_GUEST_EFER, lma ? efer | EFER_LMA : efer & ~EFER_LMA);
            vmcs_write32(VMCS_ENTRY_CONTROLS, lma ? entry | VMX_ENTRY_CTL_IA32E_GUEST
                                                  : entry & ~VMX_ENTRY_CTL_IA32E_GUEST);
        }
    } else if (cr == 4 && type == VMX_QUAL_CR_TYPE_MOV_TO) {
        if (val & CR4_VMXE) { /* VMX is not offered (CPUID.1:ECX[5] = 0) */
            vcpu_inject_gp(v);
            return true;
        }
        vmcs_writenat(VMCS_CR4_READ_SHADOW, val);
        vmcs_writenat(VMCS_GUEST_CR4, val | vmx_ctl.cr4_fixed0 | CR4_VMXE);
    } else {
        return false;
    }
    v->rip += e->insn_len;
    return true;
}

bool vmx_handle_internal(struct vcpu *v, struct exit_record *e)
{
    if (VMX_EXIT_REASON_BASIC((uint32_t)e->raw) == VMX_EXIT_CR_ACCESS)
        return vmx_cr_access(v, e);
    return false;
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
