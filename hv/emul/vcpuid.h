/* SPDX-License-Identifier: MIT */
/*
 * The virtual CPUID: the host's values filtered down to what Keel's guests
 * may see.  A feature stays visible only if Keel virtualizes it or the
 * hardware runs it correctly for the guest without help.  Pure function,
 * unit-tested on the host.
 */
#ifndef KEEL_HV_VCPUID_H
#define KEEL_HV_VCPUID_H

#include <stdbool.h>
#include <stdint.h>

struct xsave_layout;

struct vcpuid_ctx {
    uint32_t vcpu_index;   /* also the initial APIC ID */
    uint32_t nvcpus;
    uint32_t vm_index;
    uint32_t tsc_khz;
    /* The virtual LAPIC: CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN (SDM
     * 11.4.3); x2APIC and TSC-deadline are per-VM choices (keel.cfg). */
    bool apic_enabled;
    bool x2apic;
    bool tsc_deadline;
    /* XSAVE (hv/emul/xsave.h): the XCR0 bits Keel offers on this host (0:
     * XSAVE hidden), the host's layout for leaf 0xD (NULL: hidden), the
     * guest's XCR0 (leaf 0xD EBX follows it) and its CR4.OSXSAVE
     * (CPUID.1:ECX.OSXSAVE mirrors it). */
    uint64_t xcr0_offered;
    const struct xsave_layout *xsave;
    uint64_t xcr0;
    bool osxsave;
};

/* CPUID.1 ECX/EDX bits (SDM vol. 2A, table 3-10/3-11). */
#define CPUID1_ECX_MONITOR    (1u << 3)
#define CPUID1_ECX_VMX        (1u << 5)
#define CPUID1_ECX_SMX        (1u << 6)
#define CPUID1_ECX_EST        (1u << 7)
#define CPUID1_ECX_TM2        (1u << 8)
#define CPUID1_ECX_PDCM       (1u << 15)
#define CPUID1_ECX_DTES64     (1u << 2)
#define CPUID1_ECX_DSCPL      (1u << 4)
#define CPUID1_ECX_X2APIC     (1u << 21)
#define CPUID1_ECX_FMA        (1u << 12)
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_XSAVE      (1u << 26)
#define CPUID1_ECX_OSXSAVE    (1u << 27)
#define CPUID1_ECX_AVX        (1u << 28)
#define CPUID1_ECX_F16C       (1u << 29)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_MCE        (1u << 7)
#define CPUID1_EDX_APIC       (1u << 9)
#define CPUID1_EDX_MTRR       (1u << 12)
#define CPUID1_EDX_MCA        (1u << 14)
#define CPUID1_EDX_DS         (1u << 21)
#define CPUID1_EDX_ACPI       (1u << 22)
#define CPUID1_EDX_HTT        (1u << 28)
#define CPUID1_EDX_TM         (1u << 29)
#define CPUID1_EDX_PBE        (1u << 31)
/* CPUID 0x80000001 (APM vol. 3, E.4.2). */
#define CPUIDX1_ECX_SVM       (1u << 2)
#define CPUIDX1_ECX_EXTAPIC   (1u << 3)
#define CPUIDX1_ECX_SKINIT    (1u << 12)
#define CPUIDX1_ECX_WDT       (1u << 13)
#define CPUIDX1_ECX_LWP       (1u << 15)
#define CPUIDX1_ECX_PERFCTR_CORE (1u << 23)
#define CPUIDX1_ECX_PERFCTR_NB   (1u << 24)
#define CPUIDX1_ECX_PERFCTR_LLC  (1u << 28)
#define CPUIDX1_ECX_MONITORX  (1u << 29)
#define CPUIDX1_EDX_RDTSCP    (1u << 27)

/* regs = {EAX, EBX, ECX, EDX} as the host returned them for (leaf, sub);
 * rewritten in place to what the guest sees. */
void vcpuid_filter(uint32_t leaf, uint32_t sub, uint32_t regs[4], const struct vcpuid_ctx *ctx);

/* The time leaves, after vcpuid_filter (which passes them on), only for
 * the leaves vcpuid_time_leaf() names: CPUID is a hot exit and the common
 * leaves pay nothing for these.  The host TSC's rate in Hz, the TSC ticks
 * per tick of the virtual LAPIC timer's clock (apic/vlapic.h
 * tsc_per_bus_tick), the host's highest basic leaf, and whether the guest's
 * TSC is invariant (keel.cfg invariant_tsc). */
struct vcpuid_time {
    uint64_t tsc_hz;
    uint32_t tsc_per_bus_tick;
    uint32_t max_basic;
    bool invariant_tsc;
};

static inline bool vcpuid_time_leaf(uint32_t leaf)
{
    return leaf - 0x15u < 2u || leaf == 0x80000007u;
}

void vcpuid_time(uint32_t leaf, uint32_t regs[4], const struct vcpuid_time *t);

/* The CR4 bits a CPU with this (guest) CPUID lets software set (SDM vol. 3A
 * 2.5 and 2.6, "CR4"; APM vol. 2 3.1.3): @l1 is leaf 1, @l7 leaf 7
 * subleaf 0 (all zero when the maximum basic leaf is below 7), both as
 * {EAX, EBX, ECX, EDX}.  Setting any other bit is #GP(0). */
uint64_t vcpuid_cr4_allowed(const uint32_t l1[4], const uint32_t l7[4]);

#endif /* KEEL_HV_VCPUID_H */
