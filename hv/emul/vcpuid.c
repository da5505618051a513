/* SPDX-License-Identifier: MIT */
#include "hv/emul/vcpuid.h"

#include <string.h>

#include "hv/abi.h"
#include "hv/emul/xsave.h"

enum { EAX, EBX, ECX, EDX };

/* Hidden from CPUID.1: features that would let a guest reach host state
 * (VMX, SMX, MONITOR), or whose MSRs would #GP (MCE/MCA banks, thermal,
 * debug store).  MTRRs are offered: hv/emul/vmsr.c keeps them.  APIC, x2APIC and TSC-deadline are then set from
 * the virtual LAPIC's state and the VM's configuration; XSAVE, OSXSAVE and
 * the AVX family from what Keel switches (ctx->xcr0_offered) and the
 * guest's CR4 (xsave_bits). */
#define CPUID1_ECX_HIDE (CPUID1_ECX_MONITOR | CPUID1_ECX_VMX | CPUID1_ECX_SMX | CPUID1_ECX_EST \
    | CPUID1_ECX_TM2 | CPUID1_ECX_PDCM | CPUID1_ECX_DTES64 | CPUID1_ECX_DSCPL \
    | CPUID1_ECX_X2APIC | CPUID1_ECX_TSC_DEADLINE | CPUID1_ECX_XSAVE | CPUID1_ECX_OSXSAVE \
    | CPUID1_ECX_AVX | CPUID1_ECX_FMA | CPUID1_ECX_F16C)
/* Instructions on YMM registers: usable only with AVX state enabled. */
#define CPUID1_ECX_AVX_FAMILY (CPUID1_ECX_AVX | CPUID1_ECX_FMA | CPUID1_ECX_F16C)
#define CPUID1_EDX_HIDE (CPUID1_EDX_MCE | CPUID1_EDX_APIC | CPUID1_EDX_MCA \
    | CPUID1_EDX_DS | CPUID1_EDX_ACPI | CPUID1_EDX_TM | CPUID1_EDX_PBE)
#define CPUIDX1_ECX_HIDE (CPUIDX1_ECX_SVM | CPUIDX1_ECX_EXTAPIC | CPUIDX1_ECX_SKINIT \
    | CPUIDX1_ECX_WDT | CPUIDX1_ECX_LWP | CPUIDX1_ECX_PERFCTR_CORE | CPUIDX1_ECX_PERFCTR_NB \
    | CPUIDX1_ECX_PERFCTR_LLC | CPUIDX1_ECX_MONITORX)
#define CPUIDX1_EDX_HIDE (CPUIDX1_EDX_RDTSCP)
/* CPUID 0x80000008 EBX (APM vol. 3, E.4.7): the speculation controls, whose
 * MSRs (SPEC_CTRL, PRED_CMD, VIRT_SPEC_CTRL) Keel does not switch, and the
 * instructions-retired MSR; their MSRs #GP (docs/msrs.md). */
#define CPUIDX8_EBX_HIDE ((1u << 1) /* InstRetCntMsr */ | (1u << 4) /* RDPRU */ \
    | (1u << 12) /* IBPB */ | (1u << 14) /* IBRS */ | (1u << 15) /* STIBP */ \
    | (1u << 16) /* IbrsAlwaysOn */ | (1u << 17) /* StibpAlwaysOn */ | (1u << 18) /* IbrsPreferred */ \
    | (1u << 19) /* IbrsSameMode */ | (1u << 24) /* SSBD */ | (1u << 25) /* VIRT_SSBD */ \
    | (1u << 26) /* SsbdNotRequired */)
/* CPUID 80000007H EDX[8]: the TSC runs at a constant rate in every
 * P-, C- and T-state (SDM vol. 3B 18.17.1; APM vol. 3 E.4.6). */
#define CPUIDX7_EDX_TSC_INVARIANT (1u << 8)
/* AMD's XOP and FMA4 work on YMM registers (APM vol. 3, E.4.2). */
#define CPUIDX1_ECX_AVX_FAMILY ((1u << 11) /* XOP */ | (1u << 16) /* FMA4 */)

/* CPUID.7.0 (SDM table 3-8): keep the plain instruction-set extensions
 * that need no OS-managed XSAVE state and no MSRs. */
#define CPUID7_EBX_KEEP ((1u << 0) /* FSGSBASE */ | (1u << 3) /* BMI1 */ | (1u << 7) /* SMEP */ \
    | (1u << 8) /* BMI2 */ | (1u << 9) /* ERMS */ | (1u << 18) /* RDSEED */ \
    | (1u << 19) /* ADX */ | (1u << 20) /* SMAP */ | (1u << 23) /* CLFLUSHOPT */ \
    | (1u << 24) /* CLWB */ | (1u << 29) /* SHA */)
/* ... and those whose state is AVX (offered with XCR0.AVX) or AVX-512
 * (offered with XCR0's AVX-512 components), SDM table 3-8 leaf 07H. */
#define CPUID7_EBX_AVX    (1u << 5) /* AVX2 */
#define CPUID7_EBX_TSC_ADJUST (1u << 1) /* IA32_TSC_ADJUST MSR (SDM 17.17.3) */
#define CPUID7_EBX_AVX512 ((1u << 16) /* F */ | (1u << 17) /* DQ */ | (1u << 21) /* IFMA */ \
    | (1u << 26) /* PF */ | (1u << 27) /* ER */ | (1u << 28) /* CD */ | (1u << 30) /* BW */ \
    | (1u << 31) /* VL */)
#define CPUID7_ECX_AVX    ((1u << 9) /* VAES */ | (1u << 10) /* VPCLMULQDQ */)
#define CPUID7_ECX_AVX512 ((1u << 1) /* VBMI */ | (1u << 6) /* VBMI2 */ | (1u << 11) /* VNNI */ \
    | (1u << 12) /* BITALG */ | (1u << 14) /* VPOPCNTDQ */)

/* CPUID.1:ECX's XSAVE, OSXSAVE and AVX family from the host's @host_ecx:
 * XSAVE when Keel switches XCR0 for the guest, OSXSAVE as the guest's
 * CR4.OSXSAVE (what a CPU reports, SDM table 3-10), AVX, FMA, F16C with
 * XCR0.AVX offered. */
static uint32_t xsave_bits(uint32_t host_ecx, const struct vcpuid_ctx *c)
{
    uint32_t ecx = 0;
    if (!c->xcr0_offered)
        return 0;
    ecx |= CPUID1_ECX_XSAVE;
    if (c->osxsave)
        ecx |= CPUID1_ECX_OSXSAVE;
    if (c->xcr0_offered & XCR0_AVX)
        ecx |= host_ecx & CPUID1_ECX_AVX_FAMILY;
    return ecx;
}

static void leaf1(uint32_t r[4], const struct vcpuid_ctx *c)
{
    /* EBX[31:24] initial APIC ID, [23:16] logical processors per package. */
    r[EBX] = (r[EBX] & 0x0000ffffu) | (c->vcpu_index << 24) | ((c->nvcpus & 0xffu) << 16);
    r[ECX] = (r[ECX] & ~CPUID1_ECX_HIDE) | CPUID1_ECX_HYPERVISOR | xsave_bits(r[ECX], c);
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

static void leaf7(uint32_t sub, uint32_t r[4], const struct vcpuid_ctx *c)
{
    if (sub != 0) {
        memset(r, 0, 4 * sizeof(r[0]));
        return;
    }
    uint32_t ebx = CPUID7_EBX_KEEP, ecx = 0;
    if (c->xcr0_offered & XCR0_AVX) {
        ebx |= CPUID7_EBX_AVX;
        ecx |= CPUID7_ECX_AVX;
    }
    if ((c->xcr0_offered & XCR0_AVX512) == XCR0_AVX512) {
        ebx |= CPUID7_EBX_AVX512;
        ecx |= CPUID7_ECX_AVX512;
    }
    r[EAX] = 0;
    /* IA32_TSC_ADJUST is Keel's own (hv/emul/emul_msr.c): offered whatever
     * the host has, as every CPU of both vendors since about 2013 has it
     * and Linux checks TSC synchronisation with it. */
    r[EBX] = (r[EBX] & ebx) | CPUID7_EBX_TSC_ADJUST;
    r[ECX] &= ecx; /* PKU, WAITPKG, RDPID (TSC_AUX), ...: not virtualized */
    r[EDX] = 0;
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
    case 0xb:  /* x2APIC topology: with x2APIC only */
        if (c->x2apic)
            leaf_b(sub, r, c);
        else
            memset(r, 0, 4 * sizeof(r[0]));
        break;
    case 0x80000008u:
        r[EBX] &= ~CPUIDX8_EBX_HIDE;
        break;
    case 5:    /* MONITOR/MWAIT: hidden */
    case 6:    /* thermal and power: MSR-based */
    case 0xa:  /* architectural performance monitoring: not virtualized */
    case 0xf: case 0x10: case 0x12: case 0x14: case 0x1f:
    case 0x8000000au: /* SVM: not nested */
    case 0x8000001eu: /* AMD extended APIC ID / topology */
        memset(r, 0, 4 * sizeof(r[0]));
        break;
    case 7:
        leaf7(sub, r, c);
        break;
    case 0xd:  /* XSAVE state components (hv/emul/xsave.c) */
        xsave_cpuid_leaf_d(sub, r, c->xsave, c->xsave ? c->xcr0_offered : 0, c->xcr0);
        break;
    case 0x80000001u:
        r[ECX] &= ~CPUIDX1_ECX_HIDE;
        if (!(c->xcr0_offered & XCR0_AVX))
            r[ECX] &= ~CPUIDX1_ECX_AVX_FAMILY;
        /* AMD mirrors some CPUID.1 EDX bits here (APM vol. 3, E.4.2). */
        r[EDX] &= ~(CPUIDX1_EDX_HIDE | CPUID1_EDX_MCE | CPUID1_EDX_APIC | CPUID1_EDX_MCA);
        if (c->apic_enabled)
            r[EDX] |= CPUID1_EDX_APIC;
        break;
    default:
        break;
    }
}

/* One CR4 bit and the CPUID bit that says the CPU has it. */
struct cr4_feature {
    uint8_t cr4_bit;
    uint8_t reg;         /* 0..3: leaf 1 EAX..EDX; 4..7: leaf 7.0 EAX..EDX */
    uint8_t cpuid_bit;
};

static const struct cr4_feature cr4_features[] = {
    { 0, 3, 1 },   /* VME: 1.EDX.VME */
    { 1, 3, 1 },   /* PVI: 1.EDX.VME */
    { 2, 3, 4 },   /* TSD: 1.EDX.TSC */
    { 3, 3, 2 },   /* DE: 1.EDX.DE */
    { 4, 3, 3 },   /* PSE: 1.EDX.PSE */
    { 5, 3, 6 },   /* PAE: 1.EDX.PAE */
    { 6, 3, 7 },   /* MCE: 1.EDX.MCE */
    { 7, 3, 13 },  /* PGE: 1.EDX.PGE */
    { 9, 3, 24 },  /* OSFXSR: 1.EDX.FXSR */
    { 10, 3, 25 }, /* OSXMMEXCPT: 1.EDX.SSE */
    { 11, 6, 2 },  /* UMIP: 7.ECX.UMIP */
    { 12, 6, 16 }, /* LA57: 7.ECX.LA57 */
    { 13, 2, 5 },  /* VMXE: 1.ECX.VMX */
    { 14, 2, 6 },  /* SMXE: 1.ECX.SMX */
    { 16, 5, 0 },  /* FSGSBASE: 7.EBX.FSGSBASE */
    { 17, 2, 17 }, /* PCIDE: 1.ECX.PCID */
    { 18, 2, 26 }, /* OSXSAVE: 1.ECX.XSAVE */
    { 19, 6, 23 }, /* KL: 7.ECX.KL */
    { 20, 5, 7 },  /* SMEP: 7.EBX.SMEP */
    { 21, 5, 20 }, /* SMAP: 7.EBX.SMAP */
    { 22, 6, 3 },  /* PKE: 7.ECX.PKU */
    { 23, 6, 7 },  /* CET: 7.ECX.CET_SS */
    { 24, 6, 31 }, /* PKS: 7.ECX.PKS */
};

uint64_t vcpuid_cr4_allowed(const uint32_t l1[4], const uint32_t l7[4])
{
    uint64_t ok = 1ull << 8;   /* PCE: every CPU with RDPMC */
    for (unsigned i = 0; i < sizeof(cr4_features) / sizeof(cr4_features[0]); i++) {
        const struct cr4_feature *f = &cr4_features[i];
        uint32_t reg = f->reg < 4 ? l1[f->reg] : l7[f->reg - 4];
        if (reg & (1u << f->cpuid_bit))
            ok |= 1ull << f->cr4_bit;
    }
    return ok;
}

/* Leaves 15H and 16H (SDM vol. 2A, CPUID, "Time Stamp Counter and Nominal
 * Core Crystal Clock", "Processor Frequency"), where the host has them: the
 * guest's TSC is the host's, so they say the rate Keel measured at boot, and
 * the crystal is the virtual LAPIC timer's clock (TSC / tsc_per_bus_tick),
 * which is what an OS takes the crystal for (on Intel the LAPIC timer runs
 * from it).  The host's own values need not match the TSC (Bochs' models
 * announce 3.5 GHz over a TSC counting at its instruction rate), and an OS
 * trusting them would misjudge every clock.  80000007H: TscInvariant is the
 * VM's (keel.cfg invariant_tsc), the rest of EDX passes. */
void vcpuid_time(uint32_t leaf, uint32_t r[4], const struct vcpuid_time *t)
{
    if (leaf == 0x80000007u) {
        r[EDX] = (r[EDX] & ~CPUIDX7_EDX_TSC_INVARIANT) |
                 (t->invariant_tsc ? CPUIDX7_EDX_TSC_INVARIANT : 0);
        return;
    }
    uint32_t per_tick = t->tsc_per_bus_tick ? t->tsc_per_bus_tick : 1;
    uint64_t bus_hz = t->tsc_hz / per_tick;
    memset(r, 0, 4 * sizeof(r[0]));
    if (leaf > t->max_basic || bus_hz == 0 || bus_hz > 0xffffffffull)
        return;
    if (leaf == 0x15) {
        r[EAX] = 1;                 /* TSC / crystal = EBX / EAX */
        r[EBX] = per_tick;
        r[ECX] = (uint32_t)bus_hz;  /* the crystal in Hz */
    } else if (leaf == 0x16) {
        r[EAX] = (uint32_t)(t->tsc_hz / 1000000);   /* base MHz */
        r[EBX] = r[EAX];                            /* maximum MHz */
        r[ECX] = (uint32_t)(bus_hz / 1000000);      /* bus (reference) MHz */
    }
}
