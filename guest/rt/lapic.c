/* SPDX-License-Identifier: MIT */
/*
 * The local APIC accessor layer (lapic.h): MMIO in xAPIC mode, MSRs in
 * x2APIC mode, chosen per access from this vCPU's cached IA32_APIC_BASE.
 *
 * The MMIO page lies above RAM, where boot.c maps everything uncacheable;
 * a relocated base must be above RAM too (the tests choose it so).
 */
#include "lapic.h"
#include "rt_internal.h"
#include "x86.h"

/* Bounded wait for the xAPIC ICR delivery status (TSC cycles). */
#define APIC_ICR_BUSY_TIMEOUT_TSC (1ull << 30)

/* Per vCPU, touched only by its own vCPU. */
static struct {
    bool valid;
    uint64_t base;          /* IA32_APIC_BASE */
} apic_cpu[RT_MAX_VCPUS];

void apic_refresh(void)
{
    unsigned me = rt_vcpu_index();

    apic_cpu[me].base = rt_rdmsr(MSR_APIC_BASE);
    apic_cpu[me].valid = true;
}

uint64_t apic_base(void)
{
    unsigned me = rt_vcpu_index();

    if (!apic_cpu[me].valid)
        apic_refresh();
    return apic_cpu[me].base;
}

bool apic_x2apic_mode(void)
{
    uint64_t base = apic_base();

    return (base & (APIC_BASE_EN | APIC_BASE_EXTD)) == (APIC_BASE_EN | APIC_BASE_EXTD);
}

int apic_base_write_safe(uint64_t value)
{
    int r = rt_wrmsr_safe(MSR_APIC_BASE, value);

    apic_refresh();
    return r;
}

int apic_enable_x2apic(void)
{
    return apic_base_write_safe(apic_base() | APIC_BASE_EN | APIC_BASE_EXTD);
}

static volatile uint32_t *apic_mmio(unsigned reg)
{
    return (volatile uint32_t *)(uintptr_t)((apic_base() & APIC_BASE_ADDR_MASK) + reg);
}

uint32_t apic_read(unsigned reg)
{
    if (apic_x2apic_mode())
        return (uint32_t)rt_rdmsr(APIC_MSR(reg));
    return *apic_mmio(reg);
}

void apic_write(unsigned reg, uint32_t value)
{
    if (apic_x2apic_mode())
        rt_wrmsr(APIC_MSR(reg), value);
    else
        *apic_mmio(reg) = value;
}

uint32_t apic_id(void)
{
    uint32_t id = apic_read(APIC_ID);

    return apic_x2apic_mode() ? id : id >> 24;
}

uint64_t apic_icr_read(void)
{
    if (apic_x2apic_mode())
        return rt_rdmsr(APIC_MSR(APIC_ICR));
    return ((uint64_t)*apic_mmio(APIC_ICR2) << 32) | *apic_mmio(APIC_ICR);
}

void apic_icr_write(uint64_t icr)
{
    if (apic_x2apic_mode()) {
        rt_wrmsr(APIC_MSR(APIC_ICR), icr);
        return;
    }
    uint64_t deadline = rt_rdtsc() + APIC_ICR_BUSY_TIMEOUT_TSC;
    *apic_mmio(APIC_ICR2) = (uint32_t)(icr >> 32);
    *apic_mmio(APIC_ICR) = (uint32_t)icr;
    while ((*apic_mmio(APIC_ICR) & APIC_ICR_BUSY) && rt_rdtsc() < deadline)
        rt_pause();
}

uint64_t apic_icr_dest(uint32_t id)
{
    if (apic_x2apic_mode())
        return (uint64_t)id << APIC_ICR_X2APIC_DEST_SHIFT;
    return (uint64_t)(id & 0xffu) << APIC_ICR_XAPIC_DEST_SHIFT;
}

void apic_send_ipi(uint32_t id, uint8_t vector)
{
    apic_icr_write(apic_icr_dest(id) | APIC_ICR_DM_FIXED | vector);
}

void apic_self_ipi(uint8_t vector)
{
    apic_icr_write(APIC_ICR_DEST_SELF | APIC_ICR_DM_FIXED | vector);
}

void apic_eoi(void)
{
    apic_write(APIC_EOI, 0);
}

void apic_spurious_handler(unsigned vector)
{
}

bool apic_vector_bit(unsigned base, unsigned vector)
{
    return (apic_read(base + (vector / 32) * 0x10) >> (vector % 32)) & 1;
}

int apic_highest_vector(unsigned base)
{
    for (int word = 7; word >= 0; word--) {
        uint32_t bits = apic_read(base + (unsigned)word * 0x10);
        if (bits)
            return word * 32 + 31 - __builtin_clz(bits);
    }
    return -1;
}

uint32_t apic_cpuid_initial_id(void)
{
    if (rt_cpuid(0, 0).eax >= 0xb) {
        struct rt_cpuid topo = rt_cpuid(0xb, 0);
        if (topo.ebx & 0xffff)
            return topo.edx;
    }
    return rt_cpuid(1, 0).ebx >> 24;
}
