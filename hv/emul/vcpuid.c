/* SPDX-License-Identifier: MIT */
#include "hv/emul/vcpuid.h"

#include <string.h>

#include "hv/abi.h"

enum { EAX, EBX, ECX, EDX };

/* Hidden from CPUID.1: features Keel does not virtualize yet (the local
 * XSAVE would need XCR0 switching), that would let a guest reach host
 * state (VMX, SMX, MONITOR), or whose MSRs would #GP (MCE/MCA banks, MTRRs,
 * thermal, debug store).  APIC, x2APIC and TSC-deadline are then set from
 * the virtual LAPIC's state and the VM's configuration. */
#define CPUID1_ECX_HIDE (CPUID1_ECX_MONITOR | CPUID1_ECX_VMX | CPUID1_ECX_SMX | CPUID1_ECX_EST \
    | CPUID1_ECX_TM2 | CPUID1_ECX_PDCM | CPUID1_ECX_DTES64 | CPUID1_ECX_DSCPL \
    | CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE | CPUID1_ECX_XSAVE | CPUID1_ECX_OSXSAVE \
    | CPUID1_ECX_AVX)
#define CPUID1_EDX_HIDE (CPUID1_EDX_MCE | CPUID1_EDX_APIC | CPUID1_EDX_MTRR | CPUID1_EDX_MCA \
    | CPUID1_EDX_DS | CPUID1_EDX_ACPI | CPUID1_EDX_TM | CPUID1_EDX_PBE)
#define CPUIDX1_ECX_HIDE (CPUIDX1_ECX_SVM | CPUIDX1_ECX_EXTAPIC | CPUIDX1_ECX_SKINIT \
    | CPUIDX1_ECX_WDT | CPUIDX1_ECX_LWP | CPUIDX1_ECX_PERFCTR_CORE | CPUIDX1_ECX_PERFCTR_NB \
    | CPUIDX1_ECX_PERFCTR_LLC | CPUIDX1_ECX_MONITORX)
#define CPUIDX1_EDX_HIDE (CPUIDX1_EDX_RDTSCP)

/* CPUID.7.0 (SDM table 3-8): keep the plain instruction-set extensions
 * that need no OS-managed XSAVE state and no MSRs. */
#define CPUID7_EBX_KEEP ((1u << 0) /* FSGSBASE */ | (1u << 3) /* BMI1 */ | (1u << 7) /* SMEP */ \
    | (1u << 8) /* BMI2 */ | (1u << 9) /* ERMS */ | (1u << 18) /* RDSEED */ \
    | (1u << 19) /* ADX */ | (1u << 20) /* SMAP */ | (1u << 23) /* CLFLUSHOPT */ \
    | (1u << 24) /* CLWB */ | (1u << 29) /* SHA */)

static void leaf1(uint32_t r[4], const struct vcpuid_ctx *c)
{
    /* EBX[31:24] initial APIC ID, [23:16] logical processors per package. */
    r[EBX] = (r[EBX] & 0x0000ffffu) | (c->vcpu_index << 24) | ((c->nvcpus & 0xffu) << 16);
    r[ECX] = (r[ECX] & ~CPUID1_ECX_HIDE) | CPUID1_ECX_HYPERVISOR;
    r[EDX] &= ~CPUID1_EDX_HIDE;
    if (c->apic_enabled)
        r[EDX] |= CPUID1_EDX_APIC;
    if (c->x2apic)
        r[ECX] |= CPUID1_ECX_X2APIC;
    if (c->tsc_deadline)
        r[ECX] |= CPUID1_ECX_TSC_DEADLINE;
    if (c->nvcpus > 1)
        r[EDX] |= CPUID1_EDX_HTT;
    else
        r[EDX] &= ~CPUID1_EDX_HTT;
}

static void keel_leaves(uint32_t leaf, uint32_t r[4], const struct vcpuid_ctx *c)
{
    memset(r, 0, 4 * sizeof(r[0]));
    if (leaf == KEEL_CPUID_BASE) {
        r[EAX] = KEEL_CPUID_TSC;
        r[EBX] = KEEL_CPUID_SIG_EBX;
        r[ECX] = KEEL_CPUID_SIG_ECX;
        r[EDX] = KEEL_CPUID_SIG_EDX;
    } else if (leaf == KEEL_CPUID_INFO) {
        r[EAX] = KEEL_ABI_VERSION;
        r[EBX] = c->vcpu_index;
        r[ECX] = c->nvcpus;
        r[EDX] = c->vm_index;
    } else if (leaf == KEEL_CPUID_TSC) {
        r[EAX] = c->tsc_khz;
    }
}

/* CPUID 0xB (SDM vol. 2A, "Extended Topology Enumeration"), offered with
 * x2APIC: one thread per core, every vCPU a core of one package, x2APIC ID
 * = vCPU index. */
static void leaf_b(uint32_t sub, uint32_t r[4], const struct vcpuid_ctx *c)
{
    unsigned shift = 0;
    while ((1u << shift) < c->nvcpus)
        shift++;
    memset(r, 0, 4 * sizeof(r[0]));
    r[ECX] = sub & 0xff;
    r[EDX] = c->vcpu_index;
    if (sub == 0) {           /* SMT level */
        r[EAX] = 0;
        r[EBX] = 1;
        r[ECX] |= 1u << 8;
    } else if (sub == 1) {    /* core level */
        r[EAX] = shift;
        r[EBX] = c->nvcpus;
        r[ECX] |= 2u << 8;
    }
}

void vcpuid_filter(uint32_t leaf, uint32_t sub, uint32_t r[4], const struct vcpuid_ctx *c)
{
    (void)sub;
    if ((leaf & 0xffffff00u) == 0x40000000u) {
        keel_leaves(leaf, r, c);
        return;
    }
    switch (leaf) {
    case 1:
        leaf1(r, c);
        break;
    case 5:    /* MONITOR/MWAIT: hidden */
    case 6:    /* thermal and power: MSR-based */
    case 0xb:  /* x2APIC topology: with x2APIC only */
        if (c->x2apic)
            leaf_b(sub, r, c);
        else
            memset(r, 0, 4 * sizeof(r[0]));
        break;
    case 0xa:  /* architectural performance monitoring: not virtualized */
    case 0xd:  /* XSAVE state components: XSAVE hidden */
    case 0xf: case 0x10: case 0x12: case 0x14: case 0x1f:
    case 0x8000000au: /* SVM: not nested */
    case 0x8000001eu: /* AMD extended APIC ID / topology */
        memset(r, 0, 4 * sizeof(r[0]));
        break;
    case 7:
        if (sub == 0) {
            r[EAX] = 0;
            r[EBX] &= CPUID7_EBX_KEEP;
            r[ECX] = 0; /* PKU, WAITPKG, RDPID (TSC_AUX), ...: not virtualized */
            r[EDX] = 0;
        } else {
            memset(r, 0, 4 * sizeof(r[0]));
        }
        break;
    case 0x80000001u:
        r[ECX] &= ~CPUIDX1_ECX_HIDE;
        /* AMD mirrors some CPUID.1 EDX bits here (APM vol. 3, E.4.2). */
        r[EDX] &= ~(CPUIDX1_EDX_HIDE | CPUID1_EDX_MCE | CPUID1_EDX_APIC | CPUID1_EDX_MTRR
                    | CPUID1_EDX_MCA);
        if (c->apic_enabled)
            r[EDX] |= CPUID1_EDX_APIC;
        break;
    default:
        break;
    }
}
