/* SPDX-License-Identifier: MIT */
/*
 * The x2APIC MSR interface (SDM vol. 3A 11.12.1-11.12.1.3, table 11-6;
 * APM vol. 2 16.11): which MSRs of 0x800-0x8FF exist and how they may be
 * accessed, reserved bits, and the xAPIC page while in x2APIC mode; and in
 * xAPIC mode, that the MSRs are not there.
 */
#include <stdio.h>

#include "suite.h"

enum msr_kind {
    MSR_RESERVED,       /* RDMSR and WRMSR #GP */
    MSR_READ_ONLY,      /* WRMSR #GP */
    MSR_WRITE_ONLY,     /* RDMSR #GP */
    MSR_READ_WRITE,
    MSR_OPTIONAL,       /* implementation-specific: not checked */
};

static enum msr_kind x2apic_msr_kind(uint32_t msr)
{
    unsigned r = msr - MSR_X2APIC_BASE;
    bool amd_ext = (rt_cpuid(0x80000001, 0).ecx & CPUID_80000001_ECX_EXTAPIC) != 0;

    if (r >= 0x10 && r <= 0x27)         /* ISR, TMR, IRR */
        return MSR_READ_ONLY;
    switch (r) {
    case 0x02: case 0x03: case 0x0a: case 0x0d: case 0x39:
        return MSR_READ_ONLY;           /* ID, version, PPR, LDR, current count */
    case 0x0b: case 0x3f:
        return MSR_WRITE_ONLY;          /* EOI, SELF IPI */
    case 0x08: case 0x0f: case 0x28: case 0x30: case 0x32: case 0x35: case 0x36:
    case 0x37: case 0x38: case 0x3e:
        return MSR_READ_WRITE;          /* TPR, SVR, ESR, ICR, LVTs, counts */
    case 0x2f: case 0x33: case 0x34:
        return MSR_OPTIONAL;            /* CMCI, thermal, PMC: per model */
    }
    /* AMD's extended APIC registers (APM 16.11) sit above 0x83F. */
    if (r >= 0x40 && amd_ext)
        return MSR_OPTIONAL;
    return MSR_RESERVED;
}

APIC_TEST(x2apic_msr_access_rules)
{
    REQUIRE_X2APIC();
    unsigned bad = 0;

    for (uint32_t msr = 0x800; msr <= 0x8ff; msr++) {
        enum msr_kind kind = x2apic_msr_kind(msr);
        uint64_t v = 0;
        int rd, wr = RT_NO_FAULT;
        if (kind == MSR_OPTIONAL)
            continue;
        rd = rt_rdmsr_safe(msr, &v);
        if (kind == MSR_RESERVED)
            wr = rt_wrmsr_safe(msr, 0);
        else if (kind == MSR_READ_ONLY)
            wr = rt_wrmsr_safe(msr, v);     /* even the same value */
        bool rd_ok = (kind == MSR_RESERVED || kind == MSR_WRITE_ONLY) ? rd == X86_GP
                                                                       : rd == RT_NO_FAULT;
        bool wr_ok = (kind == MSR_RESERVED || kind == MSR_READ_ONLY) ? wr == X86_GP
                                                                      : wr == RT_NO_FAULT;
        if (!EXPECT(rd_ok && wr_ok) && bad++ < 16)
            printf("  MSR %#x (kind %d): RDMSR -> %d, WRMSR -> %d\n", msr, kind, rd, wr);
    }
}

/* Writes value to a register MSR expecting #GP and no change. */
static void expect_reserved_gp(unsigned reg, uint64_t value, const char *what)
{
    uint64_t before = rt_rdmsr(APIC_MSR(reg));
    int r = rt_wrmsr_safe(APIC_MSR(reg), value);
    uint64_t after = rt_rdmsr(APIC_MSR(reg));

    if (!EXPECT_EQ(r, X86_GP) || !EXPECT_EQ(after, before))
        printf("  %s: WRMSR %#x <- %#llx gave %d, %#llx -> %#llx\n", what, APIC_MSR(reg),
               (unsigned long long)value, r, (unsigned long long)before,
               (unsigned long long)after);
}

static void expect_write_only_gp(unsigned reg, uint64_t value, const char *what)
{
    int r = rt_wrmsr_safe(APIC_MSR(reg), value);

    if (!EXPECT_EQ(r, X86_GP))
        printf("  %s: WRMSR %#x <- %#llx did not #GP\n", what, APIC_MSR(reg),
               (unsigned long long)value);
}

APIC_TEST(x2apic_reserved_bits_gp)
{
    REQUIRE_X2APIC();
    uint32_t svr = APIC_SVR_ENABLE | VEC_SPURIOUS;
    bool deadline = (rt_cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE) != 0;

    /* SDM 11.12.1.3: non-zero writes to reserved bits #GP. */
    expect_reserved_gp(APIC_TPR, 0x100, "TPR bit 8");
    expect_reserved_gp(APIC_TPR, 1ull << 32, "TPR bit 32");
    expect_reserved_gp(APIC_SVR, svr | RT_BIT(10), "SVR bit 10");
    expect_reserved_gp(APIC_SVR, svr | RT_BIT(31), "SVR bit 31");
    if (!(apic_read(APIC_LVR) & APIC_LVR_EOI_SUPPRESS))
        expect_reserved_gp(APIC_SVR, svr | APIC_SVR_EOI_SUPPRESS, "SVR bit 12");
    expect_reserved_gp(APIC_LVT_TIMER, APIC_LVT_MASKED | RT_BIT(8), "timer LVT bit 8");
    expect_reserved_gp(APIC_LVT_TIMER, APIC_LVT_MASKED | RT_BIT(19), "timer LVT bit 19");
    if (!deadline)
        expect_reserved_gp(APIC_LVT_TIMER, APIC_LVT_MASKED | RT_BIT(18), "timer LVT bit 18");
    expect_reserved_gp(APIC_LVT_LINT0, APIC_LVT_MASKED | RT_BIT(11), "LINT0 bit 11");
    expect_reserved_gp(APIC_LVT_LINT0, APIC_LVT_MASKED | RT_BIT(17), "LINT0 bit 17");
    expect_reserved_gp(APIC_LVT_ERROR, APIC_LVT_MASKED | RT_BIT(8), "error LVT bit 8");
    expect_reserved_gp(APIC_LVT_ERROR, APIC_LVT_MASKED | RT_BIT(15), "error LVT bit 15");
    expect_reserved_gp(APIC_TDCR, RT_BIT(2), "divide bit 2");
    expect_reserved_gp(APIC_TDCR, RT_BIT(4), "divide bit 4");
    expect_reserved_gp(APIC_ESR, 1, "ESR non-zero");
    /* ICR: bits 12-13, 16-17 and 20-31 are reserved in x2APIC mode (to
     * self, so an IPI that slipped through would be harmless).  Bit 12, the
     * xAPIC delivery status, differs by vendor: AMD raises #GP for it, Intel
     * CPUs ignore it (and deliver the IPI). */
    static const unsigned icr_bits[] = {12, 13, 16, 17, 20, 31};
    uint64_t self = apic_icr_dest(apic_id()) | VEC_IPI;
    bool amd = rt_cpuid(0, 0).ebx == 0x68747541u; /* "Auth"enticAMD */
    for (unsigned i = 0; i < sizeof(icr_bits) / sizeof(icr_bits[0]); i++) {
        int r = rt_wrmsr_safe(APIC_MSR(APIC_ICR), self | RT_BIT(icr_bits[i]));
        int want = icr_bits[i] == 12 && !amd ? RT_NO_FAULT : X86_GP;
        if (!EXPECT_EQ(r, want))
            printf("  ICR bit %u: %s\n", icr_bits[i], r == X86_GP ? "#GP" : "accepted");
    }
    expect_write_only_gp(APIC_EOI, 1, "EOI non-zero");
    expect_write_only_gp(APIC_SELF_IPI, RT_BIT(8) | VEC_IPI, "SELF IPI bit 8");
    rt_irq_wait(VEC_IPI, UINT32_MAX, rt_ms_to_tsc(QUIET_MS));   /* strays */
}

APIC_TEST(x2apic_mmio_page_unreachable)
{
    REQUIRE_X2APIC();
    /* SDM 11.12.1.2: in x2APIC mode the MMIO interface is gone.  What the
     * page then shows is the platform's; Keel: all-ones, writes dropped. */
    if (!rt_under_keel())
        SKIP("not under Keel: the xAPIC page in x2APIC mode is platform-defined");
    volatile uint32_t *page = (volatile uint32_t *)(uintptr_t)APIC_DEFAULT_BASE;

    EXPECT_EQ(page[APIC_ID / 4], 0xffffffffu);
    EXPECT_EQ(page[APIC_LVR / 4], 0xffffffffu);
    page[APIC_TPR / 4] = 0x70;
    EXPECT_EQ(apic_read(APIC_TPR), 0);
    EXPECT_EQ(page[APIC_TPR / 4], 0xffffffffu);
}

APIC_TEST(x2apic_msrs_absent_in_xapic_mode)
{
    REQUIRE_XAPIC();
    uint64_t v;

    /* SDM 11.12.1.2: without x2APIC mode the MSRs 0x800-0x8FF #GP. */
    int id = rt_rdmsr_safe(APIC_MSR(APIC_ID), &v);
    int lvr = rt_rdmsr_safe(APIC_MSR(APIC_LVR), &v);
    if (!rt_under_keel() && id == RT_NO_FAULT && !(rt_cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC))
        SKIP(QEMU_DIFFERS("RDMSR of an x2APIC MSR does not #GP without x2APIC "
                          "(QEMU TCG reads unknown MSRs as 0; SDM 11.12.1.2)"));
    EXPECT_EQ(id, X86_GP);
    EXPECT_EQ(lvr, X86_GP);
    EXPECT_EQ(rt_wrmsr_safe(APIC_MSR(APIC_TPR), 0x10), X86_GP);
    EXPECT_EQ(rt_wrmsr_safe(APIC_MSR(APIC_EOI), 0), X86_GP);
    EXPECT_EQ(apic_read(APIC_TPR), 0);
}
