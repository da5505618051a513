/* SPDX-License-Identifier: MIT */
/*
 * Intercepted control-register accesses, handled once for both vendors.
 * svm/ and vmx/ decode which register, which operation and (when the CPU
 * says) which GPR into `struct exit_cr`; this file applies the
 * architectural rules of MOV to/from CR, CLTS and LMSW (SDM vol. 2 "MOV
 * -- Move to/from Control Registers", "CLTS", "LMSW"; SDM 2.5 "Control
 * Registers") and gives the vendor the guest-visible result to install
 * (vops->set_cr).
 *
 * Which accesses exit at all is the vendor's business: SVM intercepts CR8
 * writes only while TPR alone holds an interrupt back; VMX exits on CR0/CR4
 * bits Keel owns (the guest/host masks) and on CR8 without a TPR shadow.
 */
#include "hv/emul/handlers.h"
#include "hv/vapic.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "hv/emul/x86_decode.h"

/* Where the instruction's GPR operand is, and how long the instruction is
 * (0: not known, vcpu_skip_insn decodes).  Without decode assists the
 * instruction is fetched and decoded: MOV to/from CRn is 0F 22 / 0F 20
 * with the GPR in ModRM.rm (REX.B extends it); AMD's LOCK MOV CR0 alias
 * for CR8 (APM vol. 3, "MOV CRn") decodes the same way. */
static int cr_operand(struct vcpu *v, const struct exit_record *e, unsigned *gpr, unsigned *len)
{
    if (e->cr.gpr_known) {
        *gpr = e->cr.gpr & 15u;
        *len = e->insn_len;
        return 0;
    }
    struct x86_insn in;
    if (vcpu_decode_at_rip(v, &in))
        return -1;
    if (in.opcode_map != X86_MAP_0F || (in.opcode != 0x20 && in.opcode != 0x22) || !in.has_modrm)
        return vm_stop_fault(v, "CR-access exit on an instruction that is not MOV to/from CR");
    *gpr = (in.modrm & 7u) | ((in.rex & X86_REX_B) ? 8u : 0u);
    *len = in.len;
    return 0;
}

static int cr_complete(struct vcpu *v, const struct exit_record *e, unsigned len)
{
    if (!len)
        return vcpu_skip_insn(v, e);
    vcpu_advance_rip(v, len);
    return 0;
}

/* MOV to CR0: #GP(0) for bits 63:32, PG without PE, NW without CD,
 * clearing PG in 64-bit mode, and setting PG with EFER.LME but without
 * CR4.PAE (SDM vol. 2, MOV CRn "Protected Mode Exceptions"). */
static bool cr0_write_faults(struct vcpu *v, uint64_t val)
{
    uint64_t old = vops->get_cr(v, 0);
    if ((val >> 32) || ((val & CR0_PG) && !(val & CR0_PE)) || ((val & CR0_NW) && !(val & CR0_CD)))
        return true;
    if ((old & CR0_PG) && !(val & CR0_PG) && vops->cpu_mode(v) == X86_MODE_LONG64)
        return true;
    if (!(old & CR0_PG) && (val & CR0_PG) && (vops->get_efer(v) & EFER_LME)
        && !(vops->get_cr(v, 4) & CR4_PAE))
        return true;
    return false;
}

/* A CR4 bit the vCPU's CPUID does not report is reserved and setting it
 * is #GP(0) (SDM vol. 3A 2.5; APM vol. 2 3.1.3): VMXE (Keel offers no
 * VMX), OSXSAVE when XSAVE is hidden (a host without it, hv/host/fpu.c),
 * and whatever the host has that the virtual CPUID filters out.  Bits 63:32 are reserved everywhere. */
static bool cr4_write_faults(struct vcpu *v, uint64_t val)
{
    if ((val >> 32) || (val & ~vcpu_cr4_allowed(v)))
        return true;
    /* While IA-32e mode is active (EFER.LMA), clearing PAE or changing LA57
     * is #GP(0) too (SDM vol. 2 MOV CRn, "64-Bit Mode Exceptions"; APM
     * vol. 2 14.6.1): the CPU would refuse the state it leaves (found by
     * the hostile guest: VMRUN failed with "invalid guest state"). */
    return (vops->get_efer(v) & EFER_LMA) &&
           (!(val & CR4_PAE) || ((vops->get_cr(v, 4) ^ val) & CR4_LA57));
}

/* CR8 is TPR[7:4]; bits 63:4 set is #GP (SDM 2.5, "CR8"). */
static int cr8_write(struct vcpu *v, uint64_t val)
{
    if (val >> 4)
        return -1;
    vapic_set_cr8(v, (uint8_t)val);
    if (vops->set_vtpr)
        vops->set_vtpr(v, (uint8_t)val);
    return 0;
}

static int cr_mov_to(struct vcpu *v, unsigned cr, uint64_t val)
{
    switch (cr) {
    case 0:
        if (cr0_write_faults(v, val))
            return -1;
        vops->set_cr(v, 0, val);
        return 0;
    case 4:
        if (cr4_write_faults(v, val))
            return -1;
        /* MOV to CR4 flushes the TLB when PGE, PCIDE, PAE, PSE, SMEP,
         * SMAP or LA57 change (SDM 4.10.4.1); done here since the CPU did
         * not run the write. */
        if ((vops->get_cr(v, 4) ^ val) & (CR4_PGE | CR4_PAE | CR4_PSE | CR4_PCIDE | CR4_SMEP
                                          | CR4_SMAP | CR4_LA57))
            vops->flush_guest_tlb(v);
        vops->set_cr(v, 4, val);
        return 0;
    case 8:
        return cr8_write(v, val);
    default:
        return 1;
    }
}

static int cr_mov(struct vcpu *v, const struct exit_record *e)
{
    unsigned gpr = 0, len = 0;
    if (cr_operand(v, e, &gpr, &len))
        return -1;
    if (e->cr.op == EXIT_CR_MOV_FROM) {
        if (e->cr.cr != 8)
            return vm_stop_fault(v, "unexpected MOV from CR%u exit", e->cr.cr);
        v->gpr[gpr] = vapic_get_cr8(v);
        return cr_complete(v, e, len);
    }
    int r = cr_mov_to(v, e->cr.cr, v->gpr[gpr]);
    if (r > 0)
        return vm_stop_fault(v, "unexpected MOV to CR%u exit", e->cr.cr);
    if (r < 0) {
        vcpu_inject_gp(v);
        return 0;
    }
    return cr_complete(v, e, len);
}

int handle_cr_access(struct vcpu *v, const struct exit_record *e)
{
    uint64_t cr0;
    switch (e->cr.op) {
    case EXIT_CR_MOV_TO:
    case EXIT_CR_MOV_FROM:
        return cr_mov(v, e);
    case EXIT_CR_CLTS:
        vops->set_cr(v, 0, vops->get_cr(v, 0) & ~CR0_TS);
        return cr_complete(v, e, e->insn_len);
    case EXIT_CR_LMSW:
        /* LMSW loads CR0[3:0] (PE MP EM TS) and cannot clear PE. */
        cr0 = vops->get_cr(v, 0);
        cr0 = (cr0 & ~0xfull) | (e->cr.lmsw_src & 0xfu) | (cr0 & CR0_PE);
        vops->set_cr(v, 0, cr0);
        return cr_complete(v, e, e->insn_len);
    default:
        return vm_stop_fault(v, "unknown CR-access operation %u", e->cr.op);
    }
}
