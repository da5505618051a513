/* SPDX-License-Identifier: MIT */
/*
 * Intercepted RDMSR/WRMSR.  Keel emulates the MSRs its virtual CPU has
 * that are not kept in the VMCB/VMCS: EFER, PAT, the TSC, the counters
 * here, the rest in hv/emul/vmsr.c; every other MSR gets #GP, as on a CPU
 * that does not implement it (SDM vol. 4 intro; RDMSR and WRMSR #GP(0) "if
 * ECX specifies a reserved or unimplemented MSR").  docs/msrs.md lists
 * each MSR and the choice made for it.
 */
#include "hv/host/console.h"
#include "hv/emul/handlers.h"
#include "hv/emul/vmsr.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

/* EFER bits a guest may set: those whose feature the virtual CPUID shows
 * (SCE: 0x80000001 EDX[11], LME: EDX[29], NXE: EDX[20], FFXSR: EDX[25]). */
#define EFER_FFXSR (1ull << 14)
#define EFER_GUEST_WRITABLE (EFER_SCE | EFER_LME | EFER_NXE | EFER_FFXSR)

static bool pat_valid(uint64_t pat)
{
    /* Each byte must be a defined memory type: 0, 1, 4, 5, 6 or 7 (SDM
     * 12.12.2); anything else #GPs. */
    for (unsigned i = 0; i < 8; i++) {
        uint8_t t = (uint8_t)(pat >> (8 * i));
        if (t == 2 || t == 3 || t > 7)
            return false;
    }
    return true;
}

/* IA32_MISC_ENABLE as Keel's virtual Intel CPU has it: fast strings on,
 * BTS and PEBS unavailable (bits 0, 11, 12), XD not disabled, CPUID not
 * limited.  Fixed: a write that changes it is #GP (Linux writes it only to
 * clear a bit that reads 1, which none of the others does). */
#define MISC_ENABLE_VALUE ((1ull << 0) | (1ull << 11) | (1ull << 12))

/* The always-present counter MSRs (vendor ops): stored, never counting. */
static uint64_t *perf_msr(struct vcpu *v, uint32_t msr)
{
    uint32_t i = msr - vops->arch_perf_msr_base;
    if (msr < vops->arch_perf_msr_base || i >= vops->arch_perf_msr_count || i >= 8)
        return NULL;
    return &v->perf_msr[i];
}

#define CPUID_VENDOR_GENU 0x756e6547u  /* "Genu" of GenuineIntel */
#define CPUID1_EDX_MTRR_BIT (1u << 12)
#define CPUIDX1_ECX_OSVW (1u << 9)
#define GIB4 (1ull << 32)

/* What hv/emul/vmsr.c needs to know of this vCPU's CPU and VM.  Guest RAM
 * is GPA 0 .. 2 GiB at most, the rest from 4 GiB (hv/mm/guest_ram.h). */
static void vmsr_model_of(struct vcpu *v, struct vmsr_model *m)
{
    uint32_t r[4];
    vcpu_cpuid(v, 0, 0, r);
    m->intel = r[1] == CPUID_VENDOR_GENU;
    vcpu_cpuid(v, 1, 0, r);
    m->mtrr = r[3] & CPUID1_EDX_MTRR_BIT;
    vcpu_cpuid(v, 0x80000001u, 0, r);
    m->osvw = !m->intel && (r[2] & CPUIDX1_ECX_OSVW);
    vcpu_cpuid(v, 0x80000008u, 0, r);
    m->maxphyaddr = (uint8_t)r[0];
    uint64_t top = gram_top(v->vm->mem_size); /* hv/mm/guest_ram.h: the hole is not RAM */
    m->ram_below_4g = gram_low_size(v->vm->mem_size);
    m->ram_above_4g = top > GIB4 ? top : 0;
}

static int vmsr_access(struct vcpu *v, uint32_t msr, uint64_t *val, bool write)
{
    struct vmsr_model m;
    vmsr_model_of(v, &m);
    enum vmsr_result r = write ? vmsr_write(&m, &v->msrs, msr, *val)
                               : vmsr_read(&m, &v->msrs, msr, val);
    return r == VMSR_OK ? 0 : -1;
}

static int msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    uint64_t *p = perf_msr(v, msr);
    if (p) {
        *val = *p;
        return 0;
    }
    switch (msr) {
    case MSR_EFER:
        *val = vops->get_efer(v);
        return 0;
    case MSR_IA32_MISC_ENABLE:
        *val = MISC_ENABLE_VALUE;
        return vops->has_misc_enable ? 0 : -1;
    case MSR_IA32_PAT:
        *val = vops->get_pat(v);
        return 0;
    case MSR_IA32_TSC:
        *val = rdtsc() + v->tsc_offset;
        return 0;
    case MSR_IA32_TSC_ADJUST:
        *val = v->tsc_adjust;
        return 0;
    default:
        return vmsr_access(v, msr, val, false);
    }
}

static int efer_write(struct vcpu *v, uint64_t val)
{
    uint64_t old = vops->get_efer(v);
    if (val & ~(EFER_GUEST_WRITABLE | EFER_LMA))
        return -1;
    struct guest_paging_regs p;
    vops->get_paging(v, &p);
    /* Changing LME with paging on is #GP (SDM 9.8.5, APM 14.6.1). */
    if ((p.cr0 & CR0_PG) && ((val ^ old) & EFER_LME))
        return -1;
    vops->set_efer(v, val);
    return 0;
}

/* A write to IA32_TSC or IA32_TSC_ADJUST moves the guest's TSC by delta,
 * and TSC_ADJUST with it (SDM 17.17.3: a WRMSR that adds X to the TSC adds
 * X to TSC_ADJUST; a write of TSC_ADJUST adds the change to the TSC).
 * Modulo 2^64, as the counter wraps. */
static void tsc_move(struct vcpu *v, uint64_t delta)
{
    v->tsc_offset += delta;
    v->tsc_adjust += delta;
    vops->set_tsc_offset(v, v->tsc_offset);
}

static int msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    uint64_t *p = perf_msr(v, msr);
    if (p) {
        *p = val;
        return 0;
    }
    switch (msr) {
    case MSR_EFER:
        return efer_write(v, val);
    case MSR_IA32_MISC_ENABLE:
        return vops->has_misc_enable && val == MISC_ENABLE_VALUE ? 0 : -1;
    case MSR_IA32_PAT:
        if (!pat_valid(val))
            return -1;
        vops->set_pat(v, val);
        return 0;
    case MSR_IA32_TSC:
        tsc_move(v, val - rdtsc() - v->tsc_offset);
        return 0;
    case MSR_IA32_TSC_ADJUST:
        tsc_move(v, val - v->tsc_adjust);
        return 0;
    default:
        return vmsr_access(v, msr, &val, true);
    }
}

int handle_msr_read(struct vcpu *v, const struct exit_record *e)
{
    uint64_t val;
    int r = vapic_msr_read(v, e->msr, &val);
    if (r == 1)
        r = msr_read(v, e->msr, &val);
    if (r) {
        log_debug("vm%u vCPU %u: rdmsr %#x: #GP", v->vm->index, v->index, e->msr);
        vcpu_inject_gp(v);
        return 0;
    }
    v->gpr[GPR_RAX] = (uint32_t)val;
    v->gpr[GPR_RDX] = val >> 32;
    return vcpu_skip_insn(v, e);
}

int handle_msr_write(struct vcpu *v, const struct exit_record *e)
{
    uint64_t val = (v->gpr[GPR_RDX] << 32) | (uint32_t)v->gpr[GPR_RAX];
    int r = vapic_msr_write(v, e->msr, val);
    if (r == 1)
        r = msr_write(v, e->msr, val);
    if (r) {
        log_debug("vm%u vCPU %u: wrmsr %#x <- %#lx: #GP", v->vm->index, v->index, e->msr,
                  (unsigned long)val);
        vcpu_inject_gp(v);
        return 0;
    }
    return vcpu_skip_insn(v, e); /* exit_pure as the MSR said (an EOI); dropped if this fails */
}

/* RDPMC (APM vol. 3 and SDM vol. 2B "RDPMC"): ECX selects a counter; #GP
 * for one the CPU does not have, and outside ring 0 unless CR4.PCE.  The
 * counters are the emulated counter MSRs above (they never count), 48 bits
 * wide as AMD's are. */
int handle_rdpmc(struct vcpu *v, const struct exit_record *e)
{
    uint32_t idx = (uint32_t)v->gpr[GPR_RCX];
    uint64_t *p = idx < vops->arch_pmc_count ? perf_msr(v, vops->arch_pmc_msr_base + idx) : NULL;
    if (!p || (vops->cpl(v) > 0 && !(vops->get_cr(v, 4) & CR4_PCE))) {
        vcpu_inject_gp(v);
        return 0;
    }
    uint64_t val = *p & ((1ull << 48) - 1);
    v->gpr[GPR_RAX] = (uint32_t)val;
    v->gpr[GPR_RDX] = val >> 32;
    return vcpu_skip_insn(v, e);
}
