/* SPDX-License-Identifier: MIT */
#include "hv/host/lapic_host.h"

#include "hv/host/desc.h"
#include "hv/x86.h"

/* Register offsets (SDM table 11-1); x2APIC MSR = 0x800 + offset / 16. */
#define LAPIC_ID      0x020
#define LAPIC_EOI     0x0b0
#define LAPIC_SVR     0x0f0
#define LAPIC_ICR_LO  0x300
#define LAPIC_ICR_HI  0x310
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_LVT_ERROR 0x370
#define LVT_MASKED    (1u << 16)
#define SVR_ENABLE    (1u << 8)
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_BASE_ADDR_MASK 0x000ffffffffff000ull
#define X2APIC_MSR(off) (0x800u + ((off) >> 4))

static volatile uint32_t *lapic_mmio(unsigned off)
{
    uint64_t base = rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_ADDR_MASK;
    return (volatile uint32_t *)(uintptr_t)(base + off);
}

bool lapic_host_x2apic(void)
{
    return (rdmsr(MSR_IA32_APIC_BASE) & APIC_BASE_EXTD) != 0;
}

uint32_t lapic_host_read(unsigned off)
{
    if (lapic_host_x2apic())
        return (uint32_t)rdmsr(X2APIC_MSR(off));
    return *lapic_mmio(off);
}

void lapic_host_write(unsigned off, uint32_t v)
{
    if (lapic_host_x2apic())
        wrmsr(X2APIC_MSR(off), v);
    else
        *lapic_mmio(off) = v;
}

void lapic_host_init(void)
{
    lapic_host_write(LAPIC_SVR, SVR_ENABLE | HOST_VEC_SPURIOUS);
}

void lapic_host_mask_lvts(void)
{
    /* The firmware's timer must not fire into Keel's IDT.  LINT1 (NMI on
     * PCs) stays as the firmware set it. */
    lapic_host_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_host_write(LAPIC_LVT_LINT0, LVT_MASKED);
    lapic_host_write(LAPIC_LVT_ERROR, LVT_MASKED);
}

uint32_t lapic_host_id(void)
{
    uint32_t id = lapic_host_read(LAPIC_ID);
    return lapic_host_x2apic() ? id : id >> 24;
}

void lapic_host_eoi(void)
{
    lapic_host_write(LAPIC_EOI, 0);
}

static int lapic_wait_idle(void)
{
    for (unsigned i = 0; i < 1000000; i++) {
        if (!(*lapic_mmio(LAPIC_ICR_LO) & ICR_DELIVERY_PENDING))
            return 0;
        cpu_relax();
    }
    return -1;
}

int lapic_host_send(uint32_t apic_id, uint32_t icr_low)
{
    if (lapic_host_x2apic()) {
        /* x2APIC: one 64-bit write, destination in the high half. */
        wrmsr(X2APIC_MSR(LAPIC_ICR_LO), ((uint64_t)apic_id << 32) | icr_low);
        return 0;
    }
    *lapic_mmio(LAPIC_ICR_HI) = apic_id << 24;
    *lapic_mmio(LAPIC_ICR_LO) = icr_low;
    return lapic_wait_idle();
}

int lapic_host_send_all_but_self(uint32_t icr_low)
{
    if (lapic_host_x2apic()) {
        wrmsr(X2APIC_MSR(LAPIC_ICR_LO), icr_low | ICR_SH_ALL_BUT_SELF);
        return 0;
    }
    *lapic_mmio(LAPIC_ICR_LO) = icr_low | ICR_SH_ALL_BUT_SELF;
    return lapic_wait_idle();
}
