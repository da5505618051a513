/* SPDX-License-Identifier: MIT */
/*
 * The model-specific registers of Keel's virtual CPU that are neither in
 * the VMCB/VMCS nor the local APIC's: MTRRs, microcode signature, feature
 * control, and the AMD configuration MSRs Linux and Windows read at boot.
 * Each one's behaviour, and each MSR that deliberately #GPs, is listed in
 * docs/msrs.md.  Pure functions over the vCPU's MSR state; unit-tested on
 * the host (tests/unit/test_vmsr.c).
 */
#ifndef KEEL_HV_VMSR_H
#define KEEL_HV_VMSR_H

#include <stdbool.h>
#include <stdint.h>

/* MSR indices (SDM vol. 4 table 2-2; APM vol. 2 appendix A). */
#define MSR_IA32_PLATFORM_ID     0x017u
#define MSR_IA32_FEAT_CTL        0x03au
#define MSR_IA32_BIOS_UPDT_TRIG  0x079u
#define MSR_IA32_BIOS_SIGN_ID    0x08bu  /* AMD: PATCH_LEVEL */
#define MSR_IA32_MTRRCAP         0x0feu
#define MSR_IA32_MTRR_PHYSBASE0  0x200u  /* PHYSBASEn = 200H + 2n, PHYSMASKn = 201H + 2n */
#define MSR_IA32_MTRR_FIX64K     0x250u
#define MSR_IA32_MTRR_FIX16K_8   0x258u
#define MSR_IA32_MTRR_FIX16K_A   0x259u
#define MSR_IA32_MTRR_FIX4K_C0   0x268u  /* ... 26FH: FIX4K_F8000 */
#define MSR_IA32_MTRR_DEF_TYPE   0x2ffu
#define MSR_IA32_DEBUGCTL        0x1d9u
#define MSR_AMD_SYSCFG           0xc0010010u
#define MSR_AMD_HWCR             0xc0010015u
#define MSR_AMD_TOP_MEM          0xc001001au
#define MSR_AMD_TOP_MEM2         0xc001001du
#define MSR_AMD_NB_CFG           0xc001001fu
#define MSR_AMD_PATCH_LOADER     0xc0010020u
#define MSR_AMD_OSVW_ID_LENGTH   0xc0010140u
#define MSR_AMD_OSVW_STATUS      0xc0010141u
#define MSR_AMD_DE_CFG           0xc0011029u

/* The virtual MTRRs (SDM vol. 3A 12.11): 8 variable ranges, the fixed
 * ranges, write-combining; no SMRR. */
#define VMSR_MTRR_VCNT    8
#define VMSR_MTRR_NFIXED  11
#define MTRRCAP_FIX       (1ull << 8)
#define MTRRCAP_WC        (1ull << 10)
#define MTRR_DEF_TYPE_MASK 0xffull
#define MTRR_DEF_FE       (1ull << 10)
#define MTRR_DEF_E        (1ull << 11)
#define MTRR_PHYSMASK_V   (1ull << 11)

/* Fixed values Keel's virtual CPU reports. */
#define VMSR_MICROCODE_REV   1ull            /* BIOS_SIGN_ID[63:32] / PATCH_LEVEL */
#define VMSR_FEAT_CTL_VALUE  1ull            /* locked, VMX/SMX/SGX not enabled */
#define HWCR_TSC_FREQ_SEL    (1ull << 24)    /* TSC counts at the P0 frequency */
#define VMSR_HWCR_VALUE      HWCR_TSC_FREQ_SEL
#define DE_CFG_LFENCE_SERIALIZE (1ull << 1)
#define TOP_MEM_GRANULE      (1ull << 23)    /* TOP_MEM[39:23] */

/* What the MSRs depend on: the virtual CPU's CPUID and the VM's RAM. */
struct vmsr_model {
    bool intel;             /* CPUID vendor GenuineIntel; else AuthenticAMD */
    bool mtrr;              /* CPUID.1:EDX.MTRR offered */
    bool osvw;              /* CPUID 0x80000001:ECX.OSVW offered (AMD) */
    uint8_t maxphyaddr;     /* CPUID 0x80000008:EAX[7:0] */
    uint64_t ram_below_4g;  /* end of guest RAM below 4 GiB (TOP_MEM) */
    uint64_t ram_above_4g;  /* end of guest RAM above 4 GiB, 0 if none (TOP_MEM2) */
};

/* A vCPU's MSR values (zero at RESET: MTRRs disabled, SDM 12.11.5). */
struct vmsr_state {
    uint64_t mtrr_def_type;
    uint64_t mtrr_var[2 * VMSR_MTRR_VCNT];   /* PHYSBASE0, PHYSMASK0, PHYSBASE1, ... */
    uint64_t mtrr_fixed[VMSR_MTRR_NFIXED];
};

enum vmsr_result { VMSR_OK = 0, VMSR_GP = -1, VMSR_NOT_HANDLED = 1 };

/* RDMSR/WRMSR of @msr: VMSR_OK (done), VMSR_GP (#GP(0), as on the CPU
 * modelled) or VMSR_NOT_HANDLED (not one of these MSRs). */
enum vmsr_result vmsr_read(const struct vmsr_model *m, const struct vmsr_state *s, uint32_t msr,
                           uint64_t *val);
enum vmsr_result vmsr_write(const struct vmsr_model *m, struct vmsr_state *s, uint32_t msr,
                            uint64_t val);

#endif /* KEEL_HV_VMSR_H */
