/* SPDX-License-Identifier: MIT */
/*
 * IA32_APIC_BASE (SDM vol. 3A 11.4.4, 11.12.5; APM vol. 2 16.3.1): the BSP
 * flag, reserved bits, invalid mode transitions, and relocating the xAPIC
 * MMIO page.  Disabling the APIC is in base_disable.c, last in the suite.
 */
#include <stdio.h>

#include "suite.h"

/* A page above RAM for relocation: nothing of q35 or Keel's guests there. */
#define RELOCATED_BASE      0xfef00000u

static uint64_t base_of[RT_MAX_VCPUS];
static uint32_t cpuid_apic_of[RT_MAX_VCPUS];

static void read_base_and_cpuid(unsigned vcpu)
{
    apic_refresh();
    base_of[vcpu] = apic_base();
    cpuid_apic_of[vcpu] = (rt_cpuid(1, 0).edx & CPUID_1_EDX_APIC) != 0;
}

APIC_TEST(apic_base_bsp_flag)
{
    rt_run_on_all(read_base_and_cpuid);
    for (unsigned i = 0; i < suite.ncpus; i++) {
        uint64_t want = APIC_DEFAULT_BASE | APIC_BASE_EN | (suite.x2apic ? APIC_BASE_EXTD : 0) |
                        (i == 0 ? APIC_BASE_BSP : 0);
        if (!EXPECT_EQ(base_of[i], want))
            printf("  vCPU %u: IA32_APIC_BASE %#llx\n", i, (unsigned long long)base_of[i]);
        EXPECT_EQ(cpuid_apic_of[i], 1);
    }
    if (rt_madt()->found)
        EXPECT_EQ(rt_madt()->lapic_addr, APIC_DEFAULT_BASE);
}

static unsigned max_phys_addr(void)
{
    if (rt_cpuid(0x80000000, 0).eax >= 0x80000008)
        return rt_cpuid(0x80000008, 0).eax & 0xff;
    return 36;
}

/* Writes value expecting #GP with IA32_APIC_BASE unchanged; returns
 * whether it faulted. */
static bool expect_base_gp(uint64_t value, const char *what)
{
    uint64_t before = rt_rdmsr(MSR_APIC_BASE);
    int r = apic_base_write_safe(value);
    uint64_t after = rt_rdmsr(MSR_APIC_BASE);

    if (!EXPECT_EQ(r, X86_GP) || !EXPECT_EQ(after, before))
        printf("  %s: wrote %#llx over %#llx, now %#llx\n", what, (unsigned long long)value,
               (unsigned long long)before, (unsigned long long)after);
    if (after != before)
        apic_base_write_safe(before);
    return r == X86_GP;
}

/* Bits 0-7, 9 and MAXPHYADDR-63 are reserved, and EXTD without x2APIC. */
static unsigned reserved_base_bits(unsigned *bits)
{
    unsigned n = 0, maxphys = max_phys_addr();

    for (unsigned b = 0; b < 8; b++)
        bits[n++] = b;
    bits[n++] = 9;
    if (!(rt_cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC))
        bits[n++] = 10;
    /* Above the physical address width: its first bits, 52 and 63. */
    for (unsigned b = maxphys; b < 64; b++)
        if (b < maxphys + 2 || b == 52 || b == 63)
            bits[n++] = b;
    return n;
}

/* Whether IA32_APIC_BASE writes with a reserved bit fault here: a harmless
 * probe (bit 0, EN kept). */
static bool base_checks_reserved_bits(void)
{
    uint64_t cur = rt_rdmsr(MSR_APIC_BASE);
    int r = apic_base_write_safe(cur | RT_BIT(0));

    if (r != X86_GP)
        apic_base_write_safe(cur);
    return r == X86_GP;
}

#define QEMU_BASE_RESERVED \
    QEMU_DIFFERS("WRMSR IA32_APIC_BASE with reserved bits set does not #GP " \
                 "(SDM 11.4.4 and WRMSR: bits 0-7, 9, MAXPHYADDR-63 are reserved)")

APIC_TEST(apic_base_reserved_bits_gp)
{
    unsigned bits[16], n = reserved_base_bits(bits);
    uint64_t cur = rt_rdmsr(MSR_APIC_BASE);

    if (!rt_under_keel() && !base_checks_reserved_bits())
        SKIP(QEMU_BASE_RESERVED);
    for (unsigned i = 0; i < n; i++)
        if (!expect_base_gp(cur | RT_BIT(bits[i]), "reserved bit"))
            printf("  (bit %u)\n", bits[i]);
    EXPECT_EQ(apic_id(), suite.apic_id[0]);
}

APIC_TEST(apic_base_invalid_transitions_gp)
{
    uint64_t cur = rt_rdmsr(MSR_APIC_BASE);
    uint64_t addr = cur & ~(APIC_BASE_EN | APIC_BASE_EXTD);

    /* Probing EN = 0 where the write is not checked would disable the
     * APIC (for good, under QEMU). */
    if (!rt_under_keel() && !base_checks_reserved_bits())
        SKIP(QEMU_BASE_RESERVED);
    /* EXTD without EN: the invalid state (SDM 11.12.5.1). */
    expect_base_gp(addr | APIC_BASE_EXTD, "EXTD=1 EN=0");
    if (suite.x2apic)   /* x2APIC -> xAPIC directly */
        expect_base_gp(addr | APIC_BASE_EN, "x2APIC to xAPIC");
    EXPECT_EQ(rt_rdmsr(MSR_APIC_BASE), cur);
    EXPECT_EQ(apic_id(), suite.apic_id[0]);
    EXPECT_EQ(apic_read(APIC_SVR), APIC_SVR_ENABLE | VEC_SPURIOUS);
}

/* The xAPIC page moved onto RAM (SDM 11.4.5 allows any address): this CPU
 * then reaches its APIC there, and the RAM underneath is left alone. */
static uint8_t ram_under_apic[4096] __attribute__((aligned(4096)));

APIC_TEST(apic_base_relocation_over_ram)
{
    REQUIRE_XAPIC();
    uint64_t cur = rt_rdmsr(MSR_APIC_BASE);
    uint64_t page = (uintptr_t)ram_under_apic;
    uint32_t lvr = apic_read(APIC_LVR);

    for (unsigned i = 0; i < sizeof(ram_under_apic); i++)
        ram_under_apic[i] = (uint8_t)(i * 7 + 1);
    if (!EXPECT_EQ(apic_base_write_safe((cur & ~APIC_BASE_ADDR_MASK) | page), RT_NO_FAULT))
        return;
    uint32_t lvr_new = apic_read(APIC_LVR);
    apic_write(APIC_TPR, 0x30);
    uint32_t tpr_new = apic_read(APIC_TPR);
    apic_write(APIC_TPR, 0);
    apic_base_write_safe(cur);
    EXPECT_EQ(rt_rdmsr(MSR_APIC_BASE), cur);
    if (!rt_under_keel() && lvr_new != lvr)
        SKIP(QEMU_DIFFERS("the xAPIC registers do not move with IA32_APIC_BASE "
                          "(SDM 11.4.5: the page can be relocated)"));
    EXPECT_EQ(lvr_new, lvr);
    EXPECT_EQ(tpr_new, 0x30);
    unsigned bad = 0;
    for (unsigned i = 0; i < sizeof(ram_under_apic); i++)
        bad += ram_under_apic[i] != (uint8_t)(i * 7 + 1);
    if (!EXPECT_EQ(bad, 0))
        printf("  %u bytes of the RAM under the APIC page changed\n", bad);
}

APIC_TEST(apic_base_relocation)
{
    REQUIRE_XAPIC();
    uint64_t cur = rt_rdmsr(MSR_APIC_BASE);
    uint32_t lvr = apic_read(APIC_LVR);

    if (rt_ram_top() > RELOCATED_BASE)
        SKIP("RAM reaches the relocation page");
    if (!EXPECT_EQ(apic_base_write_safe((cur & ~APIC_BASE_ADDR_MASK) | RELOCATED_BASE),
                   RT_NO_FAULT))
        return;
    EXPECT_EQ(rt_rdmsr(MSR_APIC_BASE) & APIC_BASE_ADDR_MASK, RELOCATED_BASE);
    /* apic_read/apic_write now use the new page (the old one is not
     * checked: it is whatever lies there once the APIC has left). */
    uint32_t lvr_new = apic_read(APIC_LVR);
    apic_write(APIC_TPR, 0x40);
    uint32_t tpr_new = apic_read(APIC_TPR);
    uint32_t id_new = apic_read(APIC_ID) >> 24;
    apic_write(APIC_TPR, 0);
    apic_base_write_safe(cur);
    EXPECT_EQ(rt_rdmsr(MSR_APIC_BASE), cur);
    EXPECT_EQ(apic_read(APIC_LVR), lvr);
    if (!rt_under_keel() && lvr_new != lvr && tpr_new != 0x40)
        SKIP(QEMU_DIFFERS("the xAPIC registers do not move with IA32_APIC_BASE "
                          "(SDM 11.4.5: the page can be relocated)"));
    EXPECT_EQ(lvr_new, lvr);
    EXPECT_EQ(tpr_new, 0x40);
    EXPECT_EQ(id_new, suite.apic_id[0]);
}
