/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for vmx/vmcs.h: every field encoding against the width
 * and type of the appendix-B section it is listed under, the access-type
 * rules, the layout macros, and the width-typed accessors over a fake
 * VMREAD/VMWRITE.  Built with -DVMCS_BUILD_FAIL=n it instead holds one
 * accessor misuse that must not compile (tests/unit/vmcs_fields.cmake).
 */
#include "check.h"
#include "vmx/vmcs.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#ifdef VMCS_BUILD_FAIL
uint64_t vmcs_read_raw(uint32_t field) { return field; }
int vmcs_write_raw(uint32_t field, uint64_t value, const char *caller)
{
    return (int)(field + value + (caller != NULL));
}
int main(void);
int main(void)
{
#if VMCS_BUILD_FAIL == 1
    return (int)vmcs_read32(VMCS_GUEST_RIP);            /* natural-width field */
#elif VMCS_BUILD_FAIL == 2
    return vmcs_write32(VMCS_EXIT_REASON, 0);           /* read-only field */
#elif VMCS_BUILD_FAIL == 3
    return (int)vmcs_read64(VMCS_HIGH(VMCS_TSC_OFFSET)); /* high access */
#else
    return (int)vmcs_read16(VMCS_GUEST_CR0);            /* natural as 16-bit */
#endif
}
#else /* !VMCS_BUILD_FAIL */

struct field {
    uint32_t enc;
    unsigned width;  /* the section of appendix B the header lists it under */
    unsigned type;
    const char *name;
};

#define F(name, w, t) { name, w, t, #name }
static const struct field fields[] = {
    /* 16-bit control fields */
    F(VMCS_VPID, VMCS_W16, VMCS_T_CONTROL),
    F(VMCS_POSTED_INTR_NV, VMCS_W16, VMCS_T_CONTROL),
    F(VMCS_EPTP_INDEX, VMCS_W16, VMCS_T_CONTROL),
    F(VMCS_HLAT_PREFIX_SIZE, VMCS_W16, VMCS_T_CONTROL),
    F(VMCS_LAST_PID_POINTER_INDEX, VMCS_W16, VMCS_T_CONTROL),
    /* 16-bit guest-state fields */
    F(VMCS_GUEST_ES_SEL, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_CS_SEL, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_SS_SEL, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_DS_SEL, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_FS_SEL, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_GS_SEL, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_LDTR_SEL, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_TR_SEL, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_INTR_STATUS, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_PML_INDEX, VMCS_W16, VMCS_T_GUEST),
    F(VMCS_GUEST_UINV, VMCS_W16, VMCS_T_GUEST),
    /* 16-bit host-state fields */
    F(VMCS_HOST_ES_SEL, VMCS_W16, VMCS_T_HOST),
    F(VMCS_HOST_CS_SEL, VMCS_W16, VMCS_T_HOST),
    F(VMCS_HOST_SS_SEL, VMCS_W16, VMCS_T_HOST),
    F(VMCS_HOST_DS_SEL, VMCS_W16, VMCS_T_HOST),
    F(VMCS_HOST_FS_SEL, VMCS_W16, VMCS_T_HOST),
    F(VMCS_HOST_GS_SEL, VMCS_W16, VMCS_T_HOST),
    F(VMCS_HOST_TR_SEL, VMCS_W16, VMCS_T_HOST),
    /* 64-bit control fields */
    F(VMCS_IO_BITMAP_A, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_IO_BITMAP_B, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_MSR_BITMAP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EXIT_MSR_STORE_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EXIT_MSR_LOAD_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_ENTRY_MSR_LOAD_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EXECUTIVE_VMCS_PTR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_PML_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_TSC_OFFSET, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_VIRTUAL_APIC_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_APIC_ACCESS_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_POSTED_INTR_DESC_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_VMFUNC_CONTROLS, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EPTP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EOI_EXIT_BITMAP0, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EOI_EXIT_BITMAP1, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EOI_EXIT_BITMAP2, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EOI_EXIT_BITMAP3, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EPTP_LIST_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_VMREAD_BITMAP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_VMWRITE_BITMAP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_VE_INFO_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_XSS_EXITING_BITMAP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_ENCLS_EXITING_BITMAP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_SPP_TABLE_PTR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_TSC_MULTIPLIER, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_PROC3_CONTROLS, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_ENCLV_EXITING_BITMAP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_LOW_PASID_DIR_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_HIGH_PASID_DIR_ADDR, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_SHARED_EPTP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_PCONFIG_EXITING_BITMAP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_HLATP, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_PID_POINTER_TABLE, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_EXIT_CONTROLS2, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_SPEC_CTRL_MASK, VMCS_W64, VMCS_T_CONTROL),
    F(VMCS_SPEC_CTRL_SHADOW, VMCS_W64, VMCS_T_CONTROL),
    /* 64-bit read-only data field */
    F(VMCS_GUEST_PHYS_ADDR, VMCS_W64, VMCS_T_EXIT_INFO),
    /* 64-bit guest-state fields */
    F(VMCS_LINK_POINTER, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_DEBUGCTL, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_PAT, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_EFER, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_PERF_GLOBAL_CTRL, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_PDPTE0, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_PDPTE1, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_PDPTE2, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_PDPTE3, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_BNDCFGS, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_RTIT_CTL, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_LBR_CTL, VMCS_W64, VMCS_T_GUEST),
    F(VMCS_GUEST_PKRS, VMCS_W64, VMCS_T_GUEST),
    /* 64-bit host-state fields */
    F(VMCS_HOST_PAT, VMCS_W64, VMCS_T_HOST),
    F(VMCS_HOST_EFER, VMCS_W64, VMCS_T_HOST),
    F(VMCS_HOST_PERF_GLOBAL_CTRL, VMCS_W64, VMCS_T_HOST),
    F(VMCS_HOST_PKRS, VMCS_W64, VMCS_T_HOST),
    /* 32-bit control fields */
    F(VMCS_PIN_CONTROLS, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_PROC_CONTROLS, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_EXCEPTION_BITMAP, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_PF_ERROR_MASK, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_PF_ERROR_MATCH, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_CR3_TARGET_COUNT, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_EXIT_CONTROLS, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_EXIT_MSR_STORE_COUNT, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_EXIT_MSR_LOAD_COUNT, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_ENTRY_CONTROLS, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_ENTRY_MSR_LOAD_COUNT, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_ENTRY_INTR_INFO, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_ENTRY_EXCEPTION_ERROR, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_ENTRY_INSTR_LEN, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_TPR_THRESHOLD, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_PROC2_CONTROLS, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_PLE_GAP, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_PLE_WINDOW, VMCS_W32, VMCS_T_CONTROL),
    F(VMCS_NOTIFY_WINDOW, VMCS_W32, VMCS_T_CONTROL),
    /* 32-bit read-only data fields */
    F(VMCS_INSTR_ERROR, VMCS_W32, VMCS_T_EXIT_INFO),
    F(VMCS_EXIT_REASON, VMCS_W32, VMCS_T_EXIT_INFO),
    F(VMCS_EXIT_INTR_INFO, VMCS_W32, VMCS_T_EXIT_INFO),
    F(VMCS_EXIT_INTR_ERROR, VMCS_W32, VMCS_T_EXIT_INFO),
    F(VMCS_IDT_VECTORING_INFO, VMCS_W32, VMCS_T_EXIT_INFO),
    F(VMCS_IDT_VECTORING_ERROR, VMCS_W32, VMCS_T_EXIT_INFO),
    F(VMCS_EXIT_INSTR_LEN, VMCS_W32, VMCS_T_EXIT_INFO),
    F(VMCS_EXIT_INSTR_INFO, VMCS_W32, VMCS_T_EXIT_INFO),
    /* 32-bit guest-state fields */
    F(VMCS_GUEST_ES_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_CS_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_SS_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_DS_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_FS_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_GS_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_LDTR_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_TR_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_GDTR_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_IDTR_LIMIT, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_ES_AR, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_CS_AR, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_SS_AR, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_DS_AR, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_FS_AR, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_GS_AR, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_LDTR_AR, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_TR_AR, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_INTERRUPTIBILITY, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_ACTIVITY_STATE, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_SMBASE, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_GUEST_SYSENTER_CS, VMCS_W32, VMCS_T_GUEST),
    F(VMCS_PREEMPTION_TIMER, VMCS_W32, VMCS_T_GUEST),
    /* 32-bit host-state field */
    F(VMCS_HOST_SYSENTER_CS, VMCS_W32, VMCS_T_HOST),
    /* Natural-width control fields */
    F(VMCS_CR0_GUEST_HOST_MASK, VMCS_WNAT, VMCS_T_CONTROL),
    F(VMCS_CR4_GUEST_HOST_MASK, VMCS_WNAT, VMCS_T_CONTROL),
    F(VMCS_CR0_READ_SHADOW, VMCS_WNAT, VMCS_T_CONTROL),
    F(VMCS_CR4_READ_SHADOW, VMCS_WNAT, VMCS_T_CONTROL),
    F(VMCS_CR3_TARGET0, VMCS_WNAT, VMCS_T_CONTROL),
    F(VMCS_CR3_TARGET1, VMCS_WNAT, VMCS_T_CONTROL),
    F(VMCS_CR3_TARGET2, VMCS_WNAT, VMCS_T_CONTROL),
    F(VMCS_CR3_TARGET3, VMCS_WNAT, VMCS_T_CONTROL),
    /* Natural-width read-only data fields */
    F(VMCS_EXIT_QUALIFICATION, VMCS_WNAT, VMCS_T_EXIT_INFO),
    F(VMCS_IO_RCX, VMCS_WNAT, VMCS_T_EXIT_INFO),
    F(VMCS_IO_RSI, VMCS_WNAT, VMCS_T_EXIT_INFO),
    F(VMCS_IO_RDI, VMCS_WNAT, VMCS_T_EXIT_INFO),
    F(VMCS_IO_RIP, VMCS_WNAT, VMCS_T_EXIT_INFO),
    F(VMCS_GUEST_LINEAR_ADDR, VMCS_WNAT, VMCS_T_EXIT_INFO),
    /* Natural-width guest-state fields */
    F(VMCS_GUEST_CR0, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_CR3, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_CR4, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_ES_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_CS_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_SS_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_DS_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_FS_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_GS_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_LDTR_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_TR_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_GDTR_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_IDTR_BASE, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_DR7, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_RSP, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_RIP, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_RFLAGS, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_PENDING_DBG, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_SYSENTER_ESP, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_SYSENTER_EIP, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_S_CET, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_SSP, VMCS_WNAT, VMCS_T_GUEST),
    F(VMCS_GUEST_INTR_SSP_TABLE, VMCS_WNAT, VMCS_T_GUEST),
    /* Natural-width host-state fields */
    F(VMCS_HOST_CR0, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_CR3, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_CR4, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_FS_BASE, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_GS_BASE, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_TR_BASE, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_GDTR_BASE, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_IDTR_BASE, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_SYSENTER_ESP, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_SYSENTER_EIP, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_RSP, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_RIP, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_S_CET, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_SSP, VMCS_WNAT, VMCS_T_HOST),
    F(VMCS_HOST_INTR_SSP_TABLE, VMCS_WNAT, VMCS_T_HOST),
};
#undef F
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* ------------------------------------------------------------------------
 * A fake current VMCS: every field of the table exists; VMWRITE truncates
 * to the field's width like the CPU; read-only and unknown fields fail with
 * the VM-instruction error the CPU would report.
 */
static uint64_t fake_val[0x8000];
static bool fake_exists[0x8000];
static unsigned fake_error;
static const char *fake_caller;
static unsigned fake_reads, fake_writes;

static void fake_reset(void)
{
    size_t i;

    memset(fake_val, 0, sizeof(fake_val));
    memset(fake_exists, 0, sizeof(fake_exists));
    for (i = 0; i < NFIELDS; i++)
        fake_exists[fields[i].enc] = true;
    fake_error = 0;
    fake_caller = NULL;
    fake_reads = fake_writes = 0;
}

static uint64_t width_mask(uint32_t enc)
{
    switch (VMCS_WIDTH(enc)) {
    case VMCS_W16: return 0xffffull;
    case VMCS_W32: return 0xffffffffull;
    default: return ~0ull;
    }
}

/* The full encoding behind enc, or ~0u when the CPU would refuse it. */
static uint32_t fake_lookup(uint32_t enc)
{
    uint32_t full = enc & ~VMCS_ACCESS_HIGH_BIT;

    if (enc >= 0x8000 || !fake_exists[full])
        return ~0u;
    if (VMCS_IS_HIGH(enc) && VMCS_WIDTH(enc) != VMCS_W64)
        return ~0u;
    return full;
}

uint64_t vmcs_read_raw(uint32_t field)
{
    uint32_t full = fake_lookup(field);

    fake_reads++;
    if (full == ~0u) {
        fake_error = VMX_ERR_UNSUPPORTED_FIELD;
        return 0;
    }
    return VMCS_IS_HIGH(field) ? fake_val[full] >> 32 : fake_val[full];
}

int vmcs_write_raw(uint32_t field, uint64_t value, const char *caller)
{
    uint32_t full = fake_lookup(field);

    fake_writes++;
    fake_caller = caller;
    if (full == ~0u) {
        fake_error = VMX_ERR_UNSUPPORTED_FIELD;
        return -1;
    }
    if (VMCS_TYPE(full) == VMCS_T_EXIT_INFO) {
        fake_error = VMX_ERR_WRITE_READ_ONLY;
        return -1;
    }
    if (VMCS_IS_HIGH(field))
        fake_val[full] = (fake_val[full] & 0xffffffffull) | ((uint64_t)(uint32_t)value << 32);
    else
        fake_val[full] = value & width_mask(full);
    return 0;
}

static const struct field *find(const char *name)
{
    size_t i;

    for (i = 0; i < NFIELDS; i++)
        if (strcmp(fields[i].name, name) == 0)
            return &fields[i];
    return NULL;
}

/* ------------------------------------------------------------------------
 * Encodings
 */
static void test_width_bits_match_section(void)
{
    size_t i;

    for (i = 0; i < NFIELDS; i++) {
        if (VMCS_WIDTH(fields[i].enc) != fields[i].width)
            fprintf(stderr, "width: %s 0x%04x\n", fields[i].name, (unsigned)fields[i].enc);
        CHECK_EQ(VMCS_WIDTH(fields[i].enc), fields[i].width);
    }
}

static void test_type_bits_match_section(void)
{
    size_t i;

    for (i = 0; i < NFIELDS; i++) {
        if (VMCS_TYPE(fields[i].enc) != fields[i].type)
            fprintf(stderr, "type: %s 0x%04x\n", fields[i].name, (unsigned)fields[i].enc);
        CHECK_EQ(VMCS_TYPE(fields[i].enc), fields[i].type);
    }
}

/* Every listed encoding is a full-access one: bit 0 clear, reserved bits
 * 31:15 and 12 clear (SDM 24.11.2). */
static void test_full_access_no_reserved_bits(void)
{
    size_t i;

    for (i = 0; i < NFIELDS; i++) {
        CHECK_EQ(fields[i].enc & VMCS_NON_FIELD_BITS, 0);
        CHECK_EQ(VMCS_IS_HIGH(fields[i].enc), 0);
        CHECK(VMCS_ENCODING_IS(fields[i].enc, fields[i].width));
    }
}

static void test_encodings_unique(void)
{
    size_t i, j;
    unsigned dup = 0;

    for (i = 0; i < NFIELDS; i++)
        for (j = i + 1; j < NFIELDS; j++)
            if (fields[i].enc == fields[j].enc) {
                fprintf(stderr, "duplicate: %s %s\n", fields[i].name, fields[j].name);
                dup++;
            }
    CHECK_EQ(dup, 0);
}

/* Only 64-bit fields have a high encoding (full | 1); it never collides
 * with another field. 16-bit, 32-bit and natural fields have none. */
static void test_high_access_rules(void)
{
    size_t i;

    fake_reset();
    for (i = 0; i < NFIELDS; i++) {
        uint32_t hi = VMCS_HIGH(fields[i].enc);

        CHECK_EQ(hi, fields[i].enc + 1);
        CHECK_EQ(VMCS_WIDTH(hi), VMCS_WIDTH(fields[i].enc));
        CHECK(!VMCS_ENCODING_IS(hi, fields[i].width));
        fake_error = 0;
        (void)vmcs_read_raw(hi);
        CHECK_EQ(fake_error, fields[i].width == VMCS_W64 ? 0 : VMX_ERR_UNSUPPORTED_FIELD);
    }
}

/* The index is bits 9:1: consecutive fields of a section step by 2. */
static void test_index_extraction(void)
{
    CHECK_EQ(VMCS_INDEX(VMCS_VPID), 0);
    CHECK_EQ(VMCS_INDEX(VMCS_GUEST_TR_SEL), 7);
    CHECK_EQ(VMCS_INDEX(VMCS_PROC2_CONTROLS), 15);
    CHECK_EQ(VMCS_INDEX(VMCS_PID_POINTER_TABLE), 0x21);
    CHECK_EQ(VMCS_INDEX(VMCS_HOST_RIP), 11);
    CHECK_EQ(VMCS_TYPE(VMCS_EXIT_QUALIFICATION), VMCS_T_EXIT_INFO);
    CHECK_EQ(VMCS_WIDTH(VMCS_EXIT_QUALIFICATION), VMCS_WNAT);
}

/* The segment-indexed macros land on the named fields, x86 order. */
static void test_segment_macros(void)
{
    static const uint32_t sel[] = { VMCS_GUEST_ES_SEL, VMCS_GUEST_CS_SEL, VMCS_GUEST_SS_SEL,
        VMCS_GUEST_DS_SEL, VMCS_GUEST_FS_SEL, VMCS_GUEST_GS_SEL, VMCS_GUEST_LDTR_SEL,
        VMCS_GUEST_TR_SEL };
    static const uint32_t lim[] = { VMCS_GUEST_ES_LIMIT, VMCS_GUEST_CS_LIMIT,
        VMCS_GUEST_SS_LIMIT, VMCS_GUEST_DS_LIMIT, VMCS_GUEST_FS_LIMIT, VMCS_GUEST_GS_LIMIT,
        VMCS_GUEST_LDTR_LIMIT, VMCS_GUEST_TR_LIMIT, VMCS_GUEST_GDTR_LIMIT,
        VMCS_GUEST_IDTR_LIMIT };
    static const uint32_t ar[] = { VMCS_GUEST_ES_AR, VMCS_GUEST_CS_AR, VMCS_GUEST_SS_AR,
        VMCS_GUEST_DS_AR, VMCS_GUEST_FS_AR, VMCS_GUEST_GS_AR, VMCS_GUEST_LDTR_AR,
        VMCS_GUEST_TR_AR };
    static const uint32_t base[] = { VMCS_GUEST_ES_BASE, VMCS_GUEST_CS_BASE,
        VMCS_GUEST_SS_BASE, VMCS_GUEST_DS_BASE, VMCS_GUEST_FS_BASE, VMCS_GUEST_GS_BASE,
        VMCS_GUEST_LDTR_BASE, VMCS_GUEST_TR_BASE, VMCS_GUEST_GDTR_BASE,
        VMCS_GUEST_IDTR_BASE };
    unsigned s;

    for (s = 0; s < 8; s++) {
        CHECK_EQ(VMCS_GUEST_SEL(s), sel[s]);
        CHECK_EQ(VMCS_GUEST_AR(s), ar[s]);
    }
    for (s = 0; s < 10; s++) {
        CHECK_EQ(VMCS_GUEST_LIMIT(s), lim[s]);
        CHECK_EQ(VMCS_GUEST_BASE(s), base[s]);
    }
}

/* Every "#define VMCS_<name> 0x<hex>u" between the header's BEGIN/END
 * markers is in the table above with the same value, and nothing else is:
 * a field added to vmcs.h without a table row fails here. */
static void test_table_covers_header(void)
{
    char line[256], name[128];
    unsigned value, seen = 0, missing = 0;
    bool in = false;
    FILE *h = fopen(KEEL_SOURCE_DIR "/vmx/vmcs.h", "r");

    CHECK(h != NULL);
    if (!h)
        return;
    while (fgets(line, sizeof(line), h)) {
        const struct field *f;

        if (strstr(line, "BEGIN VMCS FIELD ENCODINGS"))
            in = true;
        else if (strstr(line, "END VMCS FIELD ENCODINGS"))
            in = false;
        if (!in || sscanf(line, "#define %127s 0x%xu", name, &value) != 2)
            continue;
        seen++;
        f = find(name);
        if (!f || f->enc != value) {
            fprintf(stderr, "not in the table: %s 0x%04x\n", name, value);
            missing++;
        }
    }
    fclose(h);
    CHECK_EQ(missing, 0);
    CHECK_EQ(seen, NFIELDS);
}

/* The fields the brief lists by name are all defined (spot checks of the
 * SDM numbers Keel depends on most). */
static void test_key_encodings(void)
{
    CHECK_EQ(VMCS_VPID, 0x0000);
    CHECK_EQ(VMCS_POSTED_INTR_NV, 0x0002);
    CHECK_EQ(VMCS_GUEST_INTR_STATUS, 0x0810);
    CHECK_EQ(VMCS_PML_INDEX, 0x0812);
    CHECK_EQ(VMCS_MSR_BITMAP, 0x2004);
    CHECK_EQ(VMCS_EPTP, 0x201a);
    CHECK_EQ(VMCS_PROC3_CONTROLS, 0x2034);
    CHECK_EQ(VMCS_PID_POINTER_TABLE, 0x2042);
    CHECK_EQ(VMCS_GUEST_PHYS_ADDR, 0x2400);
    CHECK_EQ(VMCS_LINK_POINTER, 0x2800);
    CHECK_EQ(VMCS_HOST_EFER, 0x2c02);
    CHECK_EQ(VMCS_PROC2_CONTROLS, 0x401e);
    CHECK_EQ(VMCS_EXIT_REASON, 0x4402);
    CHECK_EQ(VMCS_PREEMPTION_TIMER, 0x482e);
    CHECK_EQ(VMCS_HOST_SYSENTER_CS, 0x4c00);
    CHECK_EQ(VMCS_EXIT_QUALIFICATION, 0x6400);
    CHECK_EQ(VMCS_GUEST_RIP, 0x681e);
    CHECK_EQ(VMCS_HOST_RIP, 0x6c16);
}

/* ------------------------------------------------------------------------
 * Accessors over the fake
 */
static void test_accessors_round_trip_constant_fields(void)
{
    fake_reset();
    CHECK_EQ(vmcs_write16(VMCS_GUEST_CS_SEL, 0x0008), 0);
    CHECK_EQ(vmcs_read16(VMCS_GUEST_CS_SEL), 0x0008);
    CHECK_EQ(vmcs_write32(VMCS_PROC_CONTROLS, 0x84006172u), 0);
    CHECK_EQ(vmcs_read32(VMCS_PROC_CONTROLS), 0x84006172u);
    CHECK_EQ(vmcs_write64(VMCS_TSC_OFFSET, 0xfedcba9876543210ull), 0);
    CHECK_EQ(vmcs_read64(VMCS_TSC_OFFSET), 0xfedcba9876543210ull);
    CHECK_EQ(vmcs_writenat(VMCS_GUEST_RIP, 0xffffffff81000000ull), 0);
    CHECK_EQ(vmcs_readnat(VMCS_GUEST_RIP), 0xffffffff81000000ull);
    CHECK_EQ(fake_error, 0);
    CHECK_EQ(fake_writes, 4);
    CHECK_EQ(fake_reads, 4);
}

static void test_accessor_reports_caller(void)
{
    fake_reset();
    CHECK_EQ(vmcs_write32(VMCS_EXCEPTION_BITMAP, 1u << 18), 0);
    CHECK(fake_caller != NULL && strcmp(fake_caller, __func__) == 0);
}

/* The typed writes hand the primitive only the accessor's width. */
static void test_accessor_truncates_to_width(void)
{
    fake_reset();
    CHECK_EQ(vmcs_write16(VMCS_GUEST_TR_SEL, 0x12345678u), 0);
    CHECK_EQ(fake_val[VMCS_GUEST_TR_SEL], 0x5678);
    CHECK_EQ(vmcs_write32(VMCS_GUEST_CS_LIMIT, 0x1ffffffffull), 0);
    CHECK_EQ(fake_val[VMCS_GUEST_CS_LIMIT], 0xffffffffu);
    CHECK_EQ(vmcs_read16(VMCS_GUEST_TR_SEL), 0x5678);
}

/* Every writable field round-trips through the raw primitive with its
 * width's worth of bits; read-only fields refuse writes (error 13). */
static void test_every_field_round_trips(void)
{
    size_t i;

    fake_reset();
    for (i = 0; i < NFIELDS; i++) {
        uint32_t f = fields[i].enc;
        uint64_t v = 0xa5a5a5a5a5a5a5a5ull ^ f;
        int rc;

        fake_error = 0;
        rc = vmcs_write_raw(f, v, "test");
        if (fields[i].type == VMCS_T_EXIT_INFO) {
            CHECK_EQ(rc, -1);
            CHECK_EQ(fake_error, VMX_ERR_WRITE_READ_ONLY);
            continue;
        }
        CHECK_EQ(rc, 0);
        CHECK_EQ(vmcs_read_raw(f), v & width_mask(f));
    }
}

/* Variable fields go through the same macros (checked by the CPU only). */
static void test_accessors_with_variable_field(void)
{
    unsigned seg;

    fake_reset();
    for (seg = 0; seg < 8; seg++) {
        CHECK_EQ(vmcs_write16(VMCS_GUEST_SEL(seg), 0x10 + 8 * seg), 0);
        CHECK_EQ(vmcs_write32(VMCS_GUEST_AR(seg), VMX_AR_UNUSABLE), 0);
        CHECK_EQ(vmcs_writenat(VMCS_GUEST_BASE(seg), 0x1000ull * seg), 0);
    }
    for (seg = 0; seg < 8; seg++) {
        CHECK_EQ(vmcs_read16(VMCS_GUEST_SEL(seg)), 0x10 + 8 * seg);
        CHECK_EQ(vmcs_read32(VMCS_GUEST_AR(seg)), VMX_AR_UNUSABLE);
        CHECK_EQ(vmcs_readnat(VMCS_GUEST_BASE(seg)), 0x1000ull * seg);
    }
}

static void test_high_half_access(void)
{
    fake_reset();
    CHECK_EQ(vmcs_write64(VMCS_GUEST_EFER, 0x0000000100000d01ull), 0);
    CHECK_EQ(vmcs_read_raw(VMCS_HIGH(VMCS_GUEST_EFER)), 1);
    CHECK_EQ(vmcs_write_raw(VMCS_HIGH(VMCS_GUEST_EFER), 0xabcd, "test"), 0);
    CHECK_EQ(vmcs_read64(VMCS_GUEST_EFER), 0x0000abcd00000d01ull);
}

static void test_unknown_field_fails(void)
{
    fake_reset();
    CHECK_EQ(vmcs_write_raw(0x0016, 1, "test"), -1);  /* 16-bit control index 11: none */
    CHECK_EQ(fake_error, VMX_ERR_UNSUPPORTED_FIELD);
    fake_error = 0;
    CHECK_EQ(vmcs_read_raw(0x482c), 0);                /* the gap before the timer */
    CHECK_EQ(fake_error, VMX_ERR_UNSUPPORTED_FIELD);
}

/* ------------------------------------------------------------------------
 * Named bits
 */
static void test_default1_masks(void)
{
    CHECK_EQ(VMX_PIN_DEFAULT1, (1u << 1) | (1u << 2) | (1u << 4));
    CHECK_EQ(VMX_PROC_DEFAULT1, (1u << 1) | (7u << 4) | (1u << 8) | (0xfu << 13) | (1u << 26));
    CHECK_EQ(VMX_EXIT_CTL_DEFAULT1, 0x1ffu | (3u << 10) | (3u << 13) | (3u << 16));
    CHECK_EQ(VMX_ENTRY_CTL_DEFAULT1, 0x1ffu | (1u << 12));
    /* The default1 classes hold no control Keel names, except CR3 exiting
     * and the debug-control save/load. */
    CHECK_EQ(VMX_PROC_DEFAULT1 & (VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING),
             VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING);
    CHECK(VMX_EXIT_CTL_DEFAULT1 & VMX_EXIT_CTL_SAVE_DEBUG_CTLS);
    CHECK(VMX_ENTRY_CTL_DEFAULT1 & VMX_ENTRY_CTL_LOAD_DEBUG_CTLS);
}

static void test_interruption_info(void)
{
    uint32_t pf = VMX_INTR_INFO(14, VMX_INTR_TYPE_HW_EXCEPTION, true);
    uint32_t nmi = VMX_INTR_INFO(2, VMX_INTR_TYPE_NMI, false);

    CHECK_EQ(pf, 0x80000b0eu);
    CHECK_EQ(nmi, 0x80000202u);
    CHECK_EQ(VMX_INTR_INFO_TYPE(pf), VMX_INTR_TYPE_HW_EXCEPTION);
    CHECK_EQ(pf & VMX_INTR_INFO_VECTOR_MASK, 14);
    CHECK_EQ(VMX_INTR_INFO(0x30, VMX_INTR_TYPE_EXT_INTR, 0), 0x80000030u);
    CHECK_EQ(VMX_INTERRUPTIBILITY_SHADOW, 3);
}

static void test_access_rights(void)
{
    /* 64-bit code: P DPL0 S type 0xb, L, G; VMCB attrib 0xa9b */
    CHECK_EQ(vmx_ar_from_attrib(0xa9b), 0xa09bu);
    CHECK_EQ(vmx_ar_to_attrib(0xa09b), 0xa9b);
    /* 32-bit flat data: DB G, type 3 */
    CHECK_EQ(vmx_ar_from_attrib(0xc93), 0xc093u);
    CHECK_EQ(vmx_ar_to_attrib(0xc093 | VMX_AR_UNUSABLE), 0xc93);
    CHECK_EQ(VMX_AR_P | VMX_AR_S | 0xb | VMX_AR_L | VMX_AR_G, 0xa09bu);
}

static void test_exit_qualifications(void)
{
    uint64_t io = (0x3f8ull << VMX_QUAL_IO_PORT_SHIFT) | VMX_QUAL_IO_IN | 0;  /* IN AL, DX */
    uint64_t cr = 0x0000000000000300ull | 4;  /* MOV CR4, RBX */
    uint64_t apic = (VMX_QUAL_APIC_LINEAR_WRITE << VMX_QUAL_APIC_TYPE_SHIFT) | 0x0b0;

    CHECK_EQ((io & VMX_QUAL_IO_PORT_MASK) >> VMX_QUAL_IO_PORT_SHIFT, 0x3f8);
    CHECK_EQ((io & VMX_QUAL_IO_SIZE_MASK) + 1, 1);
    CHECK_EQ(cr & VMX_QUAL_CR_NUM_MASK, 4);
    CHECK_EQ((cr & VMX_QUAL_CR_GPR_MASK) >> VMX_QUAL_CR_GPR_SHIFT, 3);
    CHECK_EQ((cr & VMX_QUAL_CR_TYPE_MASK) >> VMX_QUAL_CR_TYPE_SHIFT, VMX_QUAL_CR_TYPE_MOV_TO);
    CHECK_EQ((apic & VMX_QUAL_APIC_TYPE_MASK) >> VMX_QUAL_APIC_TYPE_SHIFT,
             VMX_QUAL_APIC_LINEAR_WRITE);
    CHECK_EQ(apic & VMX_QUAL_APIC_OFFSET_MASK, 0x0b0);
    CHECK_EQ(VMX_QUAL_EPT_PERMS_MASK, 0x38);
    CHECK_EQ(VMX_EPTP_WALK_4 | VMX_EPTP_MT_WB, 0x1e);
}

static void test_instruction_error_names(void)
{
    CHECK(strcmp(vmx_instruction_error_name(VMX_ERR_ENTRY_BAD_CONTROLS),
                 "VM entry with invalid control field(s)") == 0);
    CHECK(strcmp(vmx_instruction_error_name(12),
                 "VMREAD/VMWRITE from/to unsupported VMCS component") == 0);
    CHECK(strcmp(vmx_instruction_error_name(28), "invalid operand to INVEPT/INVVPID") == 0);
    CHECK(strcmp(vmx_instruction_error_name(0), "unknown VM-instruction error") == 0);
    CHECK(strcmp(vmx_instruction_error_name(14), "unknown VM-instruction error") == 0);
    CHECK(strcmp(vmx_instruction_error_name(29), "unknown VM-instruction error") == 0);
    CHECK(strcmp(vmx_instruction_error_name(~0u), "unknown VM-instruction error") == 0);
}

int main(void)
{
    test_width_bits_match_section();
    test_type_bits_match_section();
    test_full_access_no_reserved_bits();
    test_encodings_unique();
    test_high_access_rules();
    test_index_extraction();
    test_segment_macros();
    test_table_covers_header();
    test_key_encodings();
    test_accessors_round_trip_constant_fields();
    test_accessor_reports_caller();
    test_accessor_truncates_to_width();
    test_every_field_round_trips();
    test_accessors_with_variable_field();
    test_high_half_access();
    test_unknown_field_fails();
    test_default1_masks();
    test_interruption_info();
    test_access_rights();
    test_exit_qualifications();
    test_instruction_error_names();
    return check_report("test_vmcs_fields");
}
#endif /* VMCS_BUILD_FAIL */
