/* SPDX-License-Identifier: MIT */
/*
 * hostile: MSRs.  RDMSR of random MSR numbers (anywhere, and in the
 * architectural, AMD, hypervisor and x2APIC ranges) and WRMSR of random
 * values to them and to a list of interesting MSRs; #GP is expected often
 * and only counted.  What is checked (SDM vol. 3 10.12.1.2 for the x2APIC
 * MSRs; vol. 4 / APM vol. 2 for EFER):
 *   - any x2APIC MSR (800h-8FFh) outside x2APIC mode: #GP;
 *   - in x2APIC mode: RDMSR of EOI or SELF IPI, WRMSR to a read-only
 *     register (ID, version, PPR, current count), a non-zero EOI, any
 *     access to a reserved register (801h): #GP;
 *   - WRMSR EFER with a bit of 63:32 set, with LME cleared while paging,
 *     or with SVME where CPUID offers no SVM: #GP; toggling SCE: no fault.
 * Not written at random: IA32_APIC_BASE (apic.c does it with checks), EFER
 * (here, with checks) and the x2APIC ICR and LVTs, whose INIT and ExtINT
 * delivery modes would take the guest's own CPUs away.
 */
#include "hostile.h"
#include "lapic.h"

#define MSR_X2APIC_FIRST 0x800u
#define MSR_X2APIC_LAST  0x8ffu

static const uint32_t h_msrs[] = {
    0x10, 0x17, 0x1b, 0x3a, 0x3b, 0x48, 0x49, 0x79, 0x8b, 0x9e, 0xc1, 0xe7, 0xe8, 0xfe,
    0x10a, 0x174, 0x175, 0x176, 0x179, 0x17a, 0x186, 0x1a0, 0x1d9, 0x277, 0x2ff, 0x38d,
    0x38f, 0x400, 0x401, 0x402, 0x403, 0x480, 0x481, 0x48d, 0x491, 0x6a0, 0x6a2, 0x6e0,
    0x6e1, 0xda0, 0xc0000080, 0xc0000081, 0xc0000082, 0xc0000083, 0xc0000084,
    0xc0000100, 0xc0000101, 0xc0000102, 0xc0000103, 0xc0010000, 0xc0010004, 0xc0010010,
    0xc0010015, 0xc001001a, 0xc001001d, 0xc0010111, 0xc0010113, 0xc0010114, 0xc0010117,
    0xc0010140, 0x40000000, 0x40000001, 0x40000002, 0x40000003, 0x40000010,
    0x4b564d00, 0x4b564d01, 0x802, 0x803, 0x808, 0x80a, 0x80b, 0x80d, 0x80f, 0x828,
    0x838, 0x839, 0x83e, 0x83f,
};

static uint32_t h_msr_number(struct h_cpu *c)
{
    switch (h_below(c, 6)) {
    case 0: return h_msrs[h_below(c, sizeof(h_msrs) / sizeof(h_msrs[0]))];
    case 1: return h_below(c, 0x2000);
    case 2: return 0xc0000000u + h_below(c, 0x2000);
    case 3: return 0xc0010000u + h_below(c, 0x2000);
    case 4: return MSR_X2APIC_FIRST + h_below(c, 0x100);
    default: return (uint32_t)h_rand(c);
    }
}

static bool h_msr_no_random_write(uint32_t msr)
{
    return msr == MSR_APIC_BASE || msr == MSR_EFER ||
           msr == APIC_MSR(APIC_ICR) || msr == APIC_MSR(APIC_LVT_CMCI) ||
           (msr >= APIC_MSR(APIC_LVT_TIMER) && msr <= APIC_MSR(APIC_LVT_ERROR));
}

static uint64_t h_msr_value(struct h_cpu *c)
{
    switch (h_below(c, 4)) {
    case 0: return 0;
    case 1: return h_rand(c) & 0xffffffffu;
    case 2: return 1ull << h_below(c, 64);
    default: return h_rand(c);
    }
}

/* The x2APIC MSR answers the SDM fixes; reg is the xAPIC offset. */
static void h_x2apic_checks(struct h_cpu *c, uint32_t msr)
{
    uint64_t v;
    unsigned reg = (msr - MSR_X2APIC_FIRST) << 4;
    int rd = rt_rdmsr_safe(msr, &v);

    if (!apic_x2apic_mode()) {
        h_expect(c, X86_GP, rd, "RDMSR of an x2APIC MSR outside x2APIC mode", msr);
        h_expect(c, X86_GP, rt_wrmsr_safe(msr, 0), "WRMSR of an x2APIC MSR outside x2APIC mode",
                 msr);
        return;
    }
    if (reg == APIC_EOI || reg == APIC_SELF_IPI || reg == 0x010)
        h_expect(c, X86_GP, rd, "RDMSR of a write-only/reserved x2APIC MSR", msr);
    if (reg == APIC_ID || reg == APIC_LVR || reg == APIC_PPR || reg == APIC_TMCCT ||
        reg == 0x010)
        h_expect(c, X86_GP, rt_wrmsr_safe(msr, v), "WRMSR to a read-only/reserved x2APIC MSR",
                 msr);
    if (reg == APIC_EOI)
        h_expect(c, X86_GP, rt_wrmsr_safe(msr, 1 + h_below(c, 255)),
                 "WRMSR of a non-zero value to x2APIC EOI", msr);
}

static void h_efer_checks(struct h_cpu *c)
{
    uint64_t efer = rt_rdmsr(MSR_EFER), bad;

    bad = efer | 1ull << (32 + h_below(c, 32));
    h_expect(c, X86_GP, rt_wrmsr_safe(MSR_EFER, bad), "WRMSR EFER, reserved bit", bad);
    bad = efer & ~EFER_LME;
    h_expect(c, X86_GP, rt_wrmsr_safe(MSR_EFER, bad), "WRMSR EFER, LME cleared with paging",
             bad);
    if (!h_cfg.svm) {
        bad = efer | EFER_SVME;
        h_expect(c, X86_GP, rt_wrmsr_safe(MSR_EFER, bad), "WRMSR EFER.SVME without SVM", bad);
    }
    h_expect(c, RT_NO_FAULT, rt_wrmsr_safe(MSR_EFER, efer ^ EFER_SCE), "WRMSR EFER, SCE toggled",
             efer ^ EFER_SCE);
    h_expect(c, RT_NO_FAULT, rt_wrmsr_safe(MSR_EFER, efer), "WRMSR EFER, restored", efer);
    if (rt_rdmsr(MSR_EFER) != efer)
        h_fail(c, "EFER reads %#llx after restoring %#llx",
               (unsigned long long)rt_rdmsr(MSR_EFER), (unsigned long long)efer);
}

void h_msr(struct h_cpu *c)
{
    uint32_t msr = h_msr_number(c);
    uint64_t v;

    if (h_chance(c, 10)) {
        h_efer_checks(c);
        return;
    }
    if (msr >= MSR_X2APIC_FIRST && msr <= MSR_X2APIC_LAST && h_chance(c, 50)) {
        h_x2apic_checks(c, msr);
        return;
    }
    if (rt_rdmsr_safe(msr, &v) != RT_NO_FAULT)
        c->faults[H_MSR]++;
    if (h_msr_no_random_write(msr) || h_chance(c, 30))
        return;
    if (rt_wrmsr_safe(msr, h_msr_value(c)) != RT_NO_FAULT)
        c->faults[H_MSR]++;
}
