/* SPDX-License-Identifier: MIT */
#include "hv/emul/vmsr.h"


/* Memory types an MTRR may hold: UC, WC, WT, WP, WB (SDM 12.11.1, table
 * 12-8); 2, 3 and 7 and above are reserved and #GP on WRMSR (12.11.2). */
static bool mtrr_type_ok(uint64_t t)
{
    return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;
}

static uint64_t phys_reserved(const struct vmsr_model *m)
{
    unsigned bits = m->maxphyaddr ? m->maxphyaddr : 36;
    return bits >= 64 ? 0 : ~0ull << bits;
}

/* Where MTRR @msr lives in struct vmsr_state, as an index into the
 * sequence mtrr_def_type, mtrr_var[], mtrr_fixed[]; -1 when @msr is no
 * MTRR of this CPU. */
#define MTRR_IDX_VAR   1
#define MTRR_IDX_FIXED (MTRR_IDX_VAR + 2 * VMSR_MTRR_VCNT)
static int mtrr_index(const struct vmsr_model *m, uint32_t msr)
{
    if (!m->mtrr)
        return -1;
    if (msr == MSR_IA32_MTRR_DEF_TYPE)
        return 0;
    if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_PHYSBASE0 + 2 * VMSR_MTRR_VCNT)
        return MTRR_IDX_VAR + (int)(msr - MSR_IA32_MTRR_PHYSBASE0);
    if (msr == MSR_IA32_MTRR_FIX64K)
        return MTRR_IDX_FIXED;
    if (msr == MSR_IA32_MTRR_FIX16K_8 || msr == MSR_IA32_MTRR_FIX16K_A)
        return MTRR_IDX_FIXED + 1 + (int)(msr - MSR_IA32_MTRR_FIX16K_8);
    if (msr >= MSR_IA32_MTRR_FIX4K_C0 && msr < MSR_IA32_MTRR_FIX4K_C0 + 8)
        return MTRR_IDX_FIXED + 3 + (int)(msr - MSR_IA32_MTRR_FIX4K_C0);
    return -1;
}

static uint64_t mtrr_get(const struct vmsr_state *s, int i)
{
    if (i == 0)
        return s->mtrr_def_type;
    return i < MTRR_IDX_FIXED ? s->mtrr_var[i - MTRR_IDX_VAR] : s->mtrr_fixed[i - MTRR_IDX_FIXED];
}

static void mtrr_set(struct vmsr_state *s, int i, uint64_t val)
{
    if (i == 0)
        s->mtrr_def_type = val;
    else if (i < MTRR_IDX_FIXED)
        s->mtrr_var[i - MTRR_IDX_VAR] = val;
    else
        s->mtrr_fixed[i - MTRR_IDX_FIXED] = val;
}

/* Whether @val is a value WRMSR accepts for MTRR @msr (SDM 12.11.2.1-3). */
static bool mtrr_value_ok(const struct vmsr_model *m, uint32_t msr, uint64_t val)
{
    if (msr == MSR_IA32_MTRR_DEF_TYPE)
        return !(val & ~(MTRR_DEF_TYPE_MASK | MTRR_DEF_FE | MTRR_DEF_E))
               && mtrr_type_ok(val & MTRR_DEF_TYPE_MASK);
    if (msr >= MSR_IA32_MTRR_PHYSBASE0 && msr < MSR_IA32_MTRR_FIX64K) {
        if ((msr - MSR_IA32_MTRR_PHYSBASE0) & 1)     /* PHYSMASK: bits 10:0 reserved */
            return !(val & (phys_reserved(m) | 0x7ffull));
        return !(val & (phys_reserved(m) | 0xf00ull)) && mtrr_type_ok(val & 0xff);
    }
    for (unsigned i = 0; i < 8; i++)                 /* fixed: one type per byte */
        if (!mtrr_type_ok((val >> (8 * i)) & 0xff))
            return false;
    return true;
}

static enum vmsr_result read_common(const struct vmsr_model *m, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_IA32_BIOS_SIGN_ID:
        *val = VMSR_MICROCODE_REV << 32;
        return VMSR_OK;
    case MSR_IA32_MTRRCAP:
        *val = VMSR_MTRR_VCNT | MTRRCAP_FIX | MTRRCAP_WC;
        return m->mtrr ? VMSR_OK : VMSR_GP;
    case MSR_IA32_DEBUGCTL:
        *val = 0;
        return VMSR_OK;
    default:
        return VMSR_NOT_HANDLED;
    }
}

static enum vmsr_result read_intel(uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_IA32_PLATFORM_ID:
        *val = 0;           /* platform 0 (bits 52:50) */
        return VMSR_OK;
    case MSR_IA32_FEAT_CTL:
        *val = VMSR_FEAT_CTL_VALUE;
        return VMSR_OK;
    default:
        return VMSR_NOT_HANDLED;
    }
}

static enum vmsr_result read_amd(const struct vmsr_model *m, uint32_t msr, uint64_t *val)
{
    switch (msr) {
    case MSR_AMD_HWCR:
        *val = VMSR_HWCR_VALUE;
        return VMSR_OK;
    case MSR_AMD_SYSCFG:
    case MSR_AMD_NB_CFG:
        *val = 0;
        return VMSR_OK;
    case MSR_AMD_TOP_MEM:
        *val = m->ram_below_4g & ~(TOP_MEM_GRANULE - 1);
        return VMSR_OK;
    case MSR_AMD_TOP_MEM2:
        *val = m->ram_above_4g & ~(TOP_MEM_GRANULE - 1);
        return VMSR_OK;
    case MSR_AMD_OSVW_ID_LENGTH:
    case MSR_AMD_OSVW_STATUS:
        *val = 0;           /* no OS-visible workarounds known */
        return m->osvw ? VMSR_OK : VMSR_GP;
    case MSR_AMD_DE_CFG:
        *val = DE_CFG_LFENCE_SERIALIZE;
        return VMSR_OK;
    default:
        return VMSR_NOT_HANDLED;
    }
}

enum vmsr_result vmsr_read(const struct vmsr_model *m, const struct vmsr_state *s, uint32_t msr,
                           uint64_t *val)
{
    int i = mtrr_index(m, msr);
    if (i >= 0) {
        *val = mtrr_get(s, i);
        return VMSR_OK;
    }
    enum vmsr_result r = read_common(m, msr, val);
    if (r != VMSR_NOT_HANDLED)
        return r;
    return m->intel ? read_intel(msr, val) : read_amd(m, msr, val);
}

/* Writes the CPU takes without effect Keel must model (see docs/msrs.md). */
static enum vmsr_result write_ignored(const struct vmsr_model *m, uint32_t msr, uint64_t val)
{
    switch (msr) {
    case MSR_IA32_DEBUGCTL:
        return VMSR_OK;         /* LBR/BTF not virtualized: reads stay 0 */
    case MSR_IA32_BIOS_SIGN_ID:
        return m->intel ? VMSR_OK : VMSR_GP;   /* AMD PATCH_LEVEL is read-only */
    case MSR_IA32_BIOS_UPDT_TRIG:
        return m->intel ? VMSR_OK : VMSR_NOT_HANDLED;  /* no update is loaded */
    case MSR_AMD_PATCH_LOADER:
    case MSR_AMD_HWCR:
    case MSR_AMD_SYSCFG:
    case MSR_AMD_NB_CFG:
    case MSR_AMD_TOP_MEM:
    case MSR_AMD_TOP_MEM2:
    case MSR_AMD_DE_CFG:
        return m->intel ? VMSR_NOT_HANDLED : VMSR_OK;
    case MSR_AMD_OSVW_ID_LENGTH:
    case MSR_AMD_OSVW_STATUS:
        return m->intel ? VMSR_NOT_HANDLED : m->osvw ? VMSR_OK : VMSR_GP;
    default:
        return VMSR_NOT_HANDLED;
    }
}

enum vmsr_result vmsr_write(const struct vmsr_model *m, struct vmsr_state *s, uint32_t msr,
                            uint64_t val)
{
    int i = mtrr_index(m, msr);
    if (i >= 0) {
        if (!mtrr_value_ok(m, msr, val))
            return VMSR_GP;
        mtrr_set(s, i, val);
        return VMSR_OK;
    }
    switch (msr) {
    case MSR_IA32_MTRRCAP:          /* read-only */
        return VMSR_GP;
    case MSR_IA32_PLATFORM_ID:      /* read-only */
    case MSR_IA32_FEAT_CTL:         /* locked: writes #GP (SDM vol. 4 table 2-2) */
        return m->intel ? VMSR_GP : VMSR_NOT_HANDLED;
    default:
        return write_ignored(m, msr, val);
    }
}
