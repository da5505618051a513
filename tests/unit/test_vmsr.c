/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/emul/vmsr.c against docs/msrs.md: each MSR's
 * value and write rule on the Intel and the AMD model, the MTRR reserved
 * bits (SDM vol. 3A 12.11.2), and the MSRs that must stay #GP.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "hv/emul/vmsr.h"

static const struct vmsr_model intel = { .intel = true, .mtrr = true, .maxphyaddr = 39,
                                         .ram_below_4g = 256ull << 20 };
static const struct vmsr_model amd = { .intel = false, .mtrr = true, .osvw = true,
                                       .maxphyaddr = 48, .ram_below_4g = 0x1f000000ull };

static int rd(const struct vmsr_model *m, const struct vmsr_state *s, uint32_t msr, uint64_t *v)
{
    *v = 0xdeadull;
    return vmsr_read(m, s, msr, v);
}

static void test_mtrr(void)
{
    struct vmsr_state s;
    uint64_t v;
    memset(&s, 0, sizeof(s));
    CHECK_EQ(rd(&intel, &s, MSR_IA32_MTRRCAP, &v), VMSR_OK);
    CHECK_EQ(v, 8 | (1u << 8) | (1u << 10));
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_MTRRCAP, v), VMSR_GP);
    /* DEF_TYPE: type, FE, E; reserved bits and reserved types #GP. */
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_MTRR_DEF_TYPE, 0xc06), VMSR_OK);
    CHECK_EQ(rd(&intel, &s, MSR_IA32_MTRR_DEF_TYPE, &v), VMSR_OK);
    CHECK_EQ(v, 0xc06);
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_MTRR_DEF_TYPE, 0x802), VMSR_GP);  /* type 2 */
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_MTRR_DEF_TYPE, 0x807), VMSR_GP);  /* type 7 */
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_MTRR_DEF_TYPE, 0x1806), VMSR_GP); /* bit 12 */
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_MTRR_DEF_TYPE, 0x906), VMSR_GP);  /* bit 8 */
    CHECK_EQ(s.mtrr_def_type, 0xc06);
    /* Variable ranges: PHYSBASE7/PHYSMASK7 exist, an 9th pair does not. */
    CHECK_EQ(vmsr_write(&intel, &s, 0x20e, 0x80000006ull), VMSR_OK);
    CHECK_EQ(vmsr_write(&intel, &s, 0x20f, 0x7ff0000800ull), VMSR_OK);
    CHECK_EQ(rd(&intel, &s, 0x20f, &v), VMSR_OK);
    CHECK_EQ(v, 0x7ff0000800ull);
    CHECK_EQ(rd(&intel, &s, 0x210, &v), VMSR_NOT_HANDLED);
    CHECK_EQ(vmsr_write(&intel, &s, 0x200, 0x100ull), VMSR_GP);          /* base bits 11:8 */
    CHECK_EQ(vmsr_write(&intel, &s, 0x200, (1ull << 39) | 6), VMSR_GP);  /* above MAXPHYADDR */
    CHECK_EQ(vmsr_write(&amd, &s, 0x200, (1ull << 39) | 6), VMSR_OK);     /* 48 bits on AMD */
    CHECK_EQ(vmsr_write(&intel, &s, 0x201, 0x400ull), VMSR_GP);          /* mask bits 10:0 */
    CHECK_EQ(vmsr_write(&intel, &s, 0x200, 3), VMSR_GP);                 /* type 3 */
    /* Fixed ranges: every byte a valid type. */
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_MTRR_FIX64K, 0x0606060606060606ull), VMSR_OK);
    CHECK_EQ(vmsr_write(&intel, &s, 0x26f, 0x0505050505050500ull), VMSR_OK);
    CHECK_EQ(rd(&intel, &s, 0x26f, &v), VMSR_OK);
    CHECK_EQ(v, 0x0505050505050500ull);
    CHECK_EQ(s.mtrr_fixed[10], 0x0505050505050500ull);
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_MTRR_FIX16K_A, 0x0206ull), VMSR_GP);
    CHECK_EQ(rd(&intel, &s, 0x25a, &v), VMSR_NOT_HANDLED);   /* no such fixed MTRR */
    /* Without CPUID.MTRR, none of them exists. */
    struct vmsr_model nomtrr = intel;
    nomtrr.mtrr = false;
    CHECK_EQ(rd(&nomtrr, &s, MSR_IA32_MTRRCAP, &v), VMSR_GP);
    CHECK_EQ(rd(&nomtrr, &s, MSR_IA32_MTRR_DEF_TYPE, &v), VMSR_NOT_HANDLED);
}

static void test_intel(void)
{
    struct vmsr_state s;
    uint64_t v;
    memset(&s, 0, sizeof(s));
    CHECK_EQ(rd(&intel, &s, MSR_IA32_PLATFORM_ID, &v), VMSR_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_PLATFORM_ID, 0), VMSR_GP);
    CHECK_EQ(rd(&intel, &s, MSR_IA32_FEAT_CTL, &v), VMSR_OK);
    CHECK_EQ(v, 1);                         /* locked, nothing enabled */
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_FEAT_CTL, 5), VMSR_GP);
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_BIOS_SIGN_ID, 0), VMSR_OK);
    CHECK_EQ(rd(&intel, &s, MSR_IA32_BIOS_SIGN_ID, &v), VMSR_OK);
    CHECK_EQ(v, 1ull << 32);
    CHECK_EQ(vmsr_write(&intel, &s, MSR_IA32_BIOS_UPDT_TRIG, 0x1000), VMSR_OK);
    CHECK_EQ(rd(&intel, &s, MSR_IA32_DEBUGCTL, &v), VMSR_OK);
    CHECK_EQ(v, 0);
    /* AMD's MSRs are not on the Intel model. */
    CHECK_EQ(rd(&intel, &s, MSR_AMD_HWCR, &v), VMSR_NOT_HANDLED);
    CHECK_EQ(vmsr_write(&intel, &s, MSR_AMD_NB_CFG, 0), VMSR_NOT_HANDLED);
    CHECK_EQ(rd(&intel, &s, MSR_AMD_DE_CFG, &v), VMSR_NOT_HANDLED);
    /* Not handled here, so #GP: SPEC_CTRL, PRED_CMD, ARCH_CAPABILITIES
     * (CPUID.7.EDX hides them), the PMU (version 0), TSC_AUX (no RDTSCP). */
    static const uint32_t gp[] = { 0x48, 0x49, 0x10a, 0xc1, 0x186, 0x38f, 0x309, 0xc0000103u };
    for (unsigned i = 0; i < sizeof(gp) / sizeof(gp[0]); i++)
        CHECK_EQ(rd(&intel, &s, gp[i], &v), VMSR_NOT_HANDLED);
}

static void test_amd(void)
{
    struct vmsr_state s;
    uint64_t v;
    memset(&s, 0, sizeof(s));
    CHECK_EQ(rd(&amd, &s, MSR_AMD_HWCR, &v), VMSR_OK);
    CHECK_EQ(v, 1ull << 24);
    CHECK_EQ(vmsr_write(&amd, &s, MSR_AMD_HWCR, 0), VMSR_OK);
    CHECK_EQ(rd(&amd, &s, MSR_AMD_NB_CFG, &v), VMSR_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(vmsr_write(&amd, &s, MSR_AMD_NB_CFG, 1ull << 46), VMSR_OK);
    CHECK_EQ(rd(&amd, &s, MSR_AMD_SYSCFG, &v), VMSR_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(rd(&amd, &s, MSR_AMD_TOP_MEM, &v), VMSR_OK);
    CHECK_EQ(v, 0x1f000000ull & ~((1ull << 23) - 1));
    CHECK_EQ(rd(&amd, &s, MSR_AMD_TOP_MEM2, &v), VMSR_OK);
    CHECK_EQ(v, 0);
    CHECK_EQ(rd(&amd, &s, MSR_AMD_DE_CFG, &v), VMSR_OK);
    CHECK_EQ(v, 2);
    CHECK_EQ(rd(&amd, &s, MSR_AMD_OSVW_ID_LENGTH, &v), VMSR_OK);
    CHECK_EQ(v, 0);
    struct vmsr_model noosvw = amd;
    noosvw.osvw = false;
    CHECK_EQ(rd(&noosvw, &s, MSR_AMD_OSVW_STATUS, &v), VMSR_GP);
    CHECK_EQ(vmsr_write(&noosvw, &s, MSR_AMD_OSVW_STATUS, 0), VMSR_GP);
    CHECK_EQ(rd(&amd, &s, MSR_IA32_BIOS_SIGN_ID, &v), VMSR_OK);   /* PATCH_LEVEL */
    CHECK_EQ(v, 1ull << 32);
    CHECK_EQ(vmsr_write(&amd, &s, MSR_IA32_BIOS_SIGN_ID, 0), VMSR_GP);
    CHECK_EQ(vmsr_write(&amd, &s, MSR_AMD_PATCH_LOADER, 0x1000), VMSR_OK);
    /* Intel's MSRs are not on the AMD model. */
    CHECK_EQ(rd(&amd, &s, MSR_IA32_PLATFORM_ID, &v), VMSR_NOT_HANDLED);
    CHECK_EQ(rd(&amd, &s, MSR_IA32_FEAT_CTL, &v), VMSR_NOT_HANDLED);
    CHECK_EQ(vmsr_write(&amd, &s, MSR_IA32_BIOS_UPDT_TRIG, 0), VMSR_NOT_HANDLED);
    CHECK_EQ(rd(&amd, &s, 0x1a0, &v), VMSR_NOT_HANDLED);
}

int main(void)
{
    test_mtrr();
    test_intel();
    test_amd();
    return check_report("test_vmsr");
}
