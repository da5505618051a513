/* SPDX-License-Identifier: MIT */
/*
 * The VMCS as software sees it: field encodings (Intel SDM vol. 3D appendix B),
 * width-typed accessors checked against those encodings at compile time, and
 * the named bits of the control, interruption, interruptibility, exit-
 * qualification and access-rights formats (SDM vol. 3C chapters 24 and 27).
 * Section and table numbers follow the 2016-2022 editions, where the VMCS is
 * chapter 24; later editions moved it to chapter 25.
 *
 * The VMCS region itself has an implementation-specific layout: software
 * reaches every field through VMREAD/VMWRITE with the field's 32-bit encoding
 * (SDM 24.11.2):
 *
 *   bit  0      access type: 0 full, 1 high 32 bits of a 64-bit field
 *   bits 9:1    index
 *   bits 11:10  type: 0 control, 1 VM-exit information (read-only),
 *               2 guest state, 3 host state
 *   bit  12     reserved, 0
 *   bits 14:13  width: 0 16-bit, 1 64-bit, 2 32-bit, 3 natural width
 *   bits 31:15  reserved, 0
 */
#ifndef KEEL_VMX_VMCS_H
#define KEEL_VMX_VMCS_H

#include <stdint.h>

/* ------------------------------------------------------------------------
 * Encoding format (SDM 24.11.2, A.9)
 */
#define VMCS_ACCESS_HIGH_BIT   0x0001u    /* bit 0 */
#define VMCS_INDEX_MASK        0x03feu    /* bits 9:1 */
#define VMCS_TYPE_SHIFT        10
#define VMCS_TYPE_MASK         0x0c00u    /* bits 11:10 */
#define VMCS_WIDTH_SHIFT       13
#define VMCS_WIDTH_MASK        0x6000u    /* bits 14:13 */
/* Every bit that is neither index, type nor width: reserved bits 31:15
 * and 12, and the access type. */
#define VMCS_NON_FIELD_BITS    (~(VMCS_INDEX_MASK | VMCS_TYPE_MASK | VMCS_WIDTH_MASK))

#define VMCS_W16               0u
#define VMCS_W64               1u
#define VMCS_W32               2u
#define VMCS_WNAT              3u

#define VMCS_T_CONTROL         0u
#define VMCS_T_EXIT_INFO       1u         /* "VM-exit information": read-only */
#define VMCS_T_GUEST           2u
#define VMCS_T_HOST            3u

#define VMCS_WIDTH(enc)        (((enc) >> VMCS_WIDTH_SHIFT) & 3u)
#define VMCS_TYPE(enc)         (((enc) >> VMCS_TYPE_SHIFT) & 3u)
#define VMCS_INDEX(enc)        (((enc) & VMCS_INDEX_MASK) >> 1)
#define VMCS_IS_HIGH(enc)      ((enc) & VMCS_ACCESS_HIGH_BIT)
/* The high-access encoding of a 64-bit field: its upper 32 bits alone. */
#define VMCS_HIGH(enc)         ((enc) | VMCS_ACCESS_HIGH_BIT)

/* BEGIN VMCS FIELD ENCODINGS (tests/unit/test_vmcs_fields.c reads this block) */

/* 16-bit control fields (SDM B.1.1, table B-1) */
#define VMCS_VPID                       0x0000u
#define VMCS_POSTED_INTR_NV             0x0002u  /* posted-interrupt notification vector */
#define VMCS_EPTP_INDEX                 0x0004u
#define VMCS_HLAT_PREFIX_SIZE           0x0006u
#define VMCS_LAST_PID_POINTER_INDEX     0x0008u  /* IPI virtualization */

/* 16-bit guest-state fields (B.1.2, table B-2) */
#define VMCS_GUEST_ES_SEL               0x0800u
#define VMCS_GUEST_CS_SEL               0x0802u
#define VMCS_GUEST_SS_SEL               0x0804u
#define VMCS_GUEST_DS_SEL               0x0806u
#define VMCS_GUEST_FS_SEL               0x0808u
#define VMCS_GUEST_GS_SEL               0x080au
#define VMCS_GUEST_LDTR_SEL             0x080cu
#define VMCS_GUEST_TR_SEL               0x080eu
#define VMCS_GUEST_INTR_STATUS          0x0810u  /* RVI [7:0], SVI [15:8] */
#define VMCS_PML_INDEX                  0x0812u
#define VMCS_GUEST_UINV                 0x0814u  /* user-interrupt notification vector */

/* 16-bit host-state fields (B.1.3, table B-3) */
#define VMCS_HOST_ES_SEL                0x0c00u
#define VMCS_HOST_CS_SEL                0x0c02u
#define VMCS_HOST_SS_SEL                0x0c04u
#define VMCS_HOST_DS_SEL                0x0c06u
#define VMCS_HOST_FS_SEL                0x0c08u
#define VMCS_HOST_GS_SEL                0x0c0au
#define VMCS_HOST_TR_SEL                0x0c0cu

/* 64-bit control fields (B.2.1, table B-4); VMCS_HIGH() names the upper half */
#define VMCS_IO_BITMAP_A                0x2000u
#define VMCS_IO_BITMAP_B                0x2002u
#define VMCS_MSR_BITMAP                 0x2004u
#define VMCS_EXIT_MSR_STORE_ADDR        0x2006u
#define VMCS_EXIT_MSR_LOAD_ADDR         0x2008u
#define VMCS_ENTRY_MSR_LOAD_ADDR        0x200au
#define VMCS_EXECUTIVE_VMCS_PTR         0x200cu
#define VMCS_PML_ADDR                   0x200eu
#define VMCS_TSC_OFFSET                 0x2010u
#define VMCS_VIRTUAL_APIC_ADDR          0x2012u
#define VMCS_APIC_ACCESS_ADDR           0x2014u
#define VMCS_POSTED_INTR_DESC_ADDR      0x2016u
#define VMCS_VMFUNC_CONTROLS            0x2018u
#define VMCS_EPTP                       0x201au
#define VMCS_EOI_EXIT_BITMAP0           0x201cu  /* vectors 0..63 */
#define VMCS_EOI_EXIT_BITMAP1           0x201eu  /* 64..127 */
#define VMCS_EOI_EXIT_BITMAP2           0x2020u  /* 128..191 */
#define VMCS_EOI_EXIT_BITMAP3           0x2022u  /* 192..255 */
#define VMCS_EPTP_LIST_ADDR             0x2024u
#define VMCS_VMREAD_BITMAP              0x2026u
#define VMCS_VMWRITE_BITMAP             0x2028u
#define VMCS_VE_INFO_ADDR               0x202au  /* virtualization-exception information */
#define VMCS_XSS_EXITING_BITMAP         0x202cu
#define VMCS_ENCLS_EXITING_BITMAP       0x202eu
#define VMCS_SPP_TABLE_PTR              0x2030u  /* sub-page-permission-table pointer */
#define VMCS_TSC_MULTIPLIER             0x2032u
#define VMCS_PROC3_CONTROLS             0x2034u  /* tertiary processor-based controls */
#define VMCS_ENCLV_EXITING_BITMAP       0x2036u
#define VMCS_LOW_PASID_DIR_ADDR         0x2038u
#define VMCS_HIGH_PASID_DIR_ADDR        0x203au
#define VMCS_SHARED_EPTP                0x203cu
#define VMCS_PCONFIG_EXITING_BITMAP     0x203eu
#define VMCS_HLATP                      0x2040u  /* hypervisor-managed linear-address translation */
#define VMCS_PID_POINTER_TABLE          0x2042u  /* IPI virtualization */
#define VMCS_EXIT_CONTROLS2             0x2044u  /* secondary VM-exit controls */
#define VMCS_SPEC_CTRL_MASK             0x204au
#define VMCS_SPEC_CTRL_SHADOW           0x204cu

/* 64-bit read-only data field (B.2.2, table B-5) */
#define VMCS_GUEST_PHYS_ADDR            0x2400u  /* EPT violation / misconfiguration */

/* 64-bit guest-state fields (B.2.3, table B-6) */
#define VMCS_LINK_POINTER               0x2800u  /* ~0 unless VMCS shadowing */
#define VMCS_GUEST_DEBUGCTL             0x2802u
#define VMCS_GUEST_PAT                  0x2804u
#define VMCS_GUEST_EFER                 0x2806u
#define VMCS_GUEST_PERF_GLOBAL_CTRL     0x2808u
#define VMCS_GUEST_PDPTE0               0x280au
#define VMCS_GUEST_PDPTE1               0x280cu
#define VMCS_GUEST_PDPTE2               0x280eu
#define VMCS_GUEST_PDPTE3               0x2810u
#define VMCS_GUEST_BNDCFGS              0x2812u
#define VMCS_GUEST_RTIT_CTL             0x2814u
#define VMCS_GUEST_LBR_CTL              0x2816u
#define VMCS_GUEST_PKRS                 0x2818u

/* 64-bit host-state fields (B.2.4, table B-7) */
#define VMCS_HOST_PAT                   0x2c00u
#define VMCS_HOST_EFER                  0x2c02u
#define VMCS_HOST_PERF_GLOBAL_CTRL      0x2c04u
#define VMCS_HOST_PKRS                  0x2c06u

/* 32-bit control fields (B.3.1, table B-8) */
#define VMCS_PIN_CONTROLS               0x4000u
#define VMCS_PROC_CONTROLS              0x4002u  /* primary processor-based */
#define VMCS_EXCEPTION_BITMAP           0x4004u
#define VMCS_PF_ERROR_MASK              0x4006u
#define VMCS_PF_ERROR_MATCH             0x4008u
#define VMCS_CR3_TARGET_COUNT           0x400au
#define VMCS_EXIT_CONTROLS              0x400cu
#define VMCS_EXIT_MSR_STORE_COUNT       0x400eu
#define VMCS_EXIT_MSR_LOAD_COUNT        0x4010u
#define VMCS_ENTRY_CONTROLS             0x4012u
#define VMCS_ENTRY_MSR_LOAD_COUNT       0x4014u
#define VMCS_ENTRY_INTR_INFO            0x4016u
#define VMCS_ENTRY_EXCEPTION_ERROR      0x4018u
#define VMCS_ENTRY_INSTR_LEN            0x401au
#define VMCS_TPR_THRESHOLD              0x401cu
#define VMCS_PROC2_CONTROLS             0x401eu  /* secondary processor-based */
#define VMCS_PLE_GAP                    0x4020u
#define VMCS_PLE_WINDOW                 0x4022u
#define VMCS_NOTIFY_WINDOW              0x4024u  /* instruction-timeout control */

/* 32-bit read-only data fields (B.3.2, table B-9) */
#define VMCS_INSTR_ERROR                0x4400u  /* VM-instruction error */
#define VMCS_EXIT_REASON                0x4402u
#define VMCS_EXIT_INTR_INFO             0x4404u
#define VMCS_EXIT_INTR_ERROR            0x4406u
#define VMCS_IDT_VECTORING_INFO         0x4408u
#define VMCS_IDT_VECTORING_ERROR        0x440au
#define VMCS_EXIT_INSTR_LEN             0x440cu
#define VMCS_EXIT_INSTR_INFO            0x440eu

/* 32-bit guest-state fields (B.3.3, table B-10) */
#define VMCS_GUEST_ES_LIMIT             0x4800u
#define VMCS_GUEST_CS_LIMIT             0x4802u
#define VMCS_GUEST_SS_LIMIT             0x4804u
#define VMCS_GUEST_DS_LIMIT             0x4806u
#define VMCS_GUEST_FS_LIMIT             0x4808u
#define VMCS_GUEST_GS_LIMIT             0x480au
#define VMCS_GUEST_LDTR_LIMIT           0x480cu
#define VMCS_GUEST_TR_LIMIT             0x480eu
#define VMCS_GUEST_GDTR_LIMIT           0x4810u
#define VMCS_GUEST_IDTR_LIMIT           0x4812u
#define VMCS_GUEST_ES_AR                0x4814u  /* access rights: VMX_AR_* */
#define VMCS_GUEST_CS_AR                0x4816u
#define VMCS_GUEST_SS_AR                0x4818u
#define VMCS_GUEST_DS_AR                0x481au
#define VMCS_GUEST_FS_AR                0x481cu
#define VMCS_GUEST_GS_AR                0x481eu
#define VMCS_GUEST_LDTR_AR              0x4820u
#define VMCS_GUEST_TR_AR                0x4822u
#define VMCS_GUEST_INTERRUPTIBILITY     0x4824u  /* VMX_INTERRUPTIBILITY_* */
#define VMCS_GUEST_ACTIVITY_STATE       0x4826u  /* VMX_ACTIVITY_* */
#define VMCS_GUEST_SMBASE               0x4828u
#define VMCS_GUEST_SYSENTER_CS          0x482au
#define VMCS_PREEMPTION_TIMER           0x482eu  /* VMX-preemption timer value */

/* 32-bit host-state field (B.3.4, table B-11) */
#define VMCS_HOST_SYSENTER_CS           0x4c00u

/* Natural-width control fields (B.4.1, table B-12) */
#define VMCS_CR0_GUEST_HOST_MASK        0x6000u
#define VMCS_CR4_GUEST_HOST_MASK        0x6002u
#define VMCS_CR0_READ_SHADOW            0x6004u
#define VMCS_CR4_READ_SHADOW            0x6006u
#define VMCS_CR3_TARGET0                0x6008u
#define VMCS_CR3_TARGET1                0x600au
#define VMCS_CR3_TARGET2                0x600cu
#define VMCS_CR3_TARGET3                0x600eu

/* Natural-width read-only data fields (B.4.2, table B-13) */
#define VMCS_EXIT_QUALIFICATION         0x6400u
#define VMCS_IO_RCX                     0x6402u
#define VMCS_IO_RSI                     0x6404u
#define VMCS_IO_RDI                     0x6406u
#define VMCS_IO_RIP                     0x6408u
#define VMCS_GUEST_LINEAR_ADDR          0x640au

/* Natural-width guest-state fields (B.4.3, table B-14) */
#define VMCS_GUEST_CR0                  0x6800u
#define VMCS_GUEST_CR3                  0x6802u
#define VMCS_GUEST_CR4                  0x6804u
#define VMCS_GUEST_ES_BASE              0x6806u
#define VMCS_GUEST_CS_BASE              0x6808u
#define VMCS_GUEST_SS_BASE              0x680au
#define VMCS_GUEST_DS_BASE              0x680cu
#define VMCS_GUEST_FS_BASE              0x680eu
#define VMCS_GUEST_GS_BASE              0x6810u
#define VMCS_GUEST_LDTR_BASE            0x6812u
#define VMCS_GUEST_TR_BASE              0x6814u
#define VMCS_GUEST_GDTR_BASE            0x6816u
#define VMCS_GUEST_IDTR_BASE            0x6818u
#define VMCS_GUEST_DR7                  0x681au
#define VMCS_GUEST_RSP                  0x681cu
#define VMCS_GUEST_RIP                  0x681eu
#define VMCS_GUEST_RFLAGS               0x6820u
#define VMCS_GUEST_PENDING_DBG          0x6822u  /* pending debug exceptions */
#define VMCS_GUEST_SYSENTER_ESP         0x6824u
#define VMCS_GUEST_SYSENTER_EIP         0x6826u
#define VMCS_GUEST_S_CET                0x6828u
#define VMCS_GUEST_SSP                  0x682au
#define VMCS_GUEST_INTR_SSP_TABLE       0x682cu

/* Natural-width host-state fields (B.4.4, table B-15) */
#define VMCS_HOST_CR0                   0x6c00u
#define VMCS_HOST_CR3                   0x6c02u
#define VMCS_HOST_CR4                   0x6c04u
#define VMCS_HOST_FS_BASE               0x6c06u
#define VMCS_HOST_GS_BASE               0x6c08u
#define VMCS_HOST_TR_BASE               0x6c0au
#define VMCS_HOST_GDTR_BASE             0x6c0cu
#define VMCS_HOST_IDTR_BASE             0x6c0eu
#define VMCS_HOST_SYSENTER_ESP          0x6c10u
#define VMCS_HOST_SYSENTER_EIP          0x6c12u
#define VMCS_HOST_RSP                   0x6c14u
#define VMCS_HOST_RIP                   0x6c16u
#define VMCS_HOST_S_CET                 0x6c18u
#define VMCS_HOST_SSP                   0x6c1au
#define VMCS_HOST_INTR_SSP_TABLE        0x6c1cu

/* END VMCS FIELD ENCODINGS */

/* Guest segment fields by segment number, x86 order (ES=0 CS SS DS FS GS,
 * LDTR=6, TR=7): each group's indices run in that order. */
#define VMCS_GUEST_SEL(seg)    (VMCS_GUEST_ES_SEL + 2u * (uint32_t)(seg))
#define VMCS_GUEST_LIMIT(seg)  (VMCS_GUEST_ES_LIMIT + 2u * (uint32_t)(seg))
#define VMCS_GUEST_AR(seg)     (VMCS_GUEST_ES_AR + 2u * (uint32_t)(seg))
#define VMCS_GUEST_BASE(seg)   (VMCS_GUEST_ES_BASE + 2u * (uint32_t)(seg))

/* ------------------------------------------------------------------------
 * Accessors (docs/style.md item 4)
 *
 * The primitives are VMREAD/VMWRITE on the current VMCS, in vmx/vmx_ops.c
 * (host unit tests link a fake).  vmcs_write_raw() checks VMfailInvalid /
 * VMfailValid, reads the VM-instruction error and reports the field and the
 * caller (docs/style.md item 5); it returns 0 or a negative value.
 * vmcs_read_raw() reports a failed VMREAD the same way and returns 0.
 */
uint64_t vmcs_read_raw(uint32_t field);
int vmcs_write_raw(uint32_t field, uint64_t value, const char *caller);

/*
 * The width-typed wrappers check, at compile time whenever the field is a
 * constant the compiler can see (every VMCS_* name above):
 *   - the width bits 14:13 match the accessor (vmcs_read32 on a natural-width
 *     field does not build);
 *   - the encoding is a full-access one with no reserved bit set (the high
 *     half of a 64-bit field is read with vmcs_read_raw(VMCS_HIGH(f)));
 *   - writes do not target a read-only VM-exit information field.
 * A field computed at run time (VMCS_GUEST_SEL(seg) with a variable seg, a
 * dump table) is checked by the CPU alone: the stand-in encoding keeps the
 * assertion true and VMREAD/VMWRITE fail on a bad encoding.
 */
#define VMCS_CONST_OR(f, standin) \
    __builtin_choose_expr(__builtin_constant_p(f), (f), (standin))
/* True for a full-access encoding of width w (no reserved bits). */
#define VMCS_ENCODING_IS(enc, w) \
    ((((enc) & VMCS_NON_FIELD_BITS) == 0) && VMCS_WIDTH(enc) == (w))

#define VMCS_CHECK_READ(f, w) \
    ((void)sizeof(struct { \
        _Static_assert(VMCS_ENCODING_IS(VMCS_CONST_OR(f, (w) << VMCS_WIDTH_SHIFT), (w)), \
                       "VMCS accessor width does not match the field encoding (bits 14:13)"); \
        char vmcs_ok_; \
    }), (uint32_t)(f))

#define VMCS_CHECK_WRITE(f, w) \
    ((void)sizeof(struct { \
        _Static_assert(VMCS_TYPE(VMCS_CONST_OR(f, 0u)) != VMCS_T_EXIT_INFO, \
                       "VMCS write to a read-only VM-exit information field (type bits 11:10 = 1)"); \
        char vmcs_ok_; \
    }), VMCS_CHECK_READ(f, w))

#define vmcs_read16(f)  ((uint16_t)vmcs_read_raw(VMCS_CHECK_READ(f, VMCS_W16)))
#define vmcs_read32(f)  ((uint32_t)vmcs_read_raw(VMCS_CHECK_READ(f, VMCS_W32)))
#define vmcs_read64(f)  ((uint64_t)vmcs_read_raw(VMCS_CHECK_READ(f, VMCS_W64)))
#define vmcs_readnat(f) ((uint64_t)vmcs_read_raw(VMCS_CHECK_READ(f, VMCS_WNAT)))

#define vmcs_write16(f, v) \
    vmcs_write_raw(VMCS_CHECK_WRITE(f, VMCS_W16), (uint16_t)(v), __func__)
#define vmcs_write32(f, v) \
    vmcs_write_raw(VMCS_CHECK_WRITE(f, VMCS_W32), (uint32_t)(v), __func__)
#define vmcs_write64(f, v) \
    vmcs_write_raw(VMCS_CHECK_WRITE(f, VMCS_W64), (uint64_t)(v), __func__)
#define vmcs_writenat(f, v) \
    vmcs_write_raw(VMCS_CHECK_WRITE(f, VMCS_WNAT), (uint64_t)(v), __func__)

/* ------------------------------------------------------------------------
 * Pin-based VM-execution controls (SDM 24.6.1, table 24-5)
 */
#define VMX_PIN_EXT_INTR_EXITING        (1u << 0)
#define VMX_PIN_NMI_EXITING             (1u << 3)
#define VMX_PIN_VIRTUAL_NMIS            (1u << 5)
#define VMX_PIN_PREEMPTION_TIMER        (1u << 6)  /* activate VMX-preemption timer */
#define VMX_PIN_POSTED_INTR             (1u << 7)  /* process posted interrupts */
/* The default1 class: reported must-be-1 by IA32_VMX_PINBASED_CTLS (A.3.1). */
#define VMX_PIN_DEFAULT1                0x00000016u  /* bits 1, 2, 4 */

/* Primary processor-based VM-execution controls (24.6.2, table 24-6) */
#define VMX_PROC_INTR_WINDOW_EXITING    (1u << 2)
#define VMX_PROC_TSC_OFFSETTING         (1u << 3)
#define VMX_PROC_HLT_EXITING            (1u << 7)
#define VMX_PROC_INVLPG_EXITING         (1u << 9)
#define VMX_PROC_MWAIT_EXITING          (1u << 10)
#define VMX_PROC_RDPMC_EXITING          (1u << 11)
#define VMX_PROC_RDTSC_EXITING          (1u << 12)
#define VMX_PROC_CR3_LOAD_EXITING       (1u << 15)
#define VMX_PROC_CR3_STORE_EXITING      (1u << 16)
#define VMX_PROC_TERTIARY_CONTROLS      (1u << 17)  /* activate tertiary controls */
#define VMX_PROC_CR8_LOAD_EXITING       (1u << 19)
#define VMX_PROC_CR8_STORE_EXITING      (1u << 20)
#define VMX_PROC_TPR_SHADOW             (1u << 21)  /* use TPR shadow */
#define VMX_PROC_NMI_WINDOW_EXITING     (1u << 22)
#define VMX_PROC_MOV_DR_EXITING         (1u << 23)
#define VMX_PROC_UNCOND_IO_EXITING      (1u << 24)
#define VMX_PROC_IO_BITMAPS             (1u << 25)  /* use I/O bitmaps */
#define VMX_PROC_MONITOR_TRAP_FLAG      (1u << 27)
#define VMX_PROC_MSR_BITMAPS            (1u << 28)  /* use MSR bitmaps */
#define VMX_PROC_MONITOR_EXITING        (1u << 29)
#define VMX_PROC_PAUSE_EXITING          (1u << 30)
#define VMX_PROC_SECONDARY_CONTROLS     (1u << 31)  /* activate secondary controls */
/* default1 class (A.3.2): bits 1, 4-6, 8, 13-16, 26 */
#define VMX_PROC_DEFAULT1               0x0401e172u

/* Secondary processor-based VM-execution controls (24.6.2, table 24-7) */
#define VMX_PROC2_VIRT_APIC_ACCESSES    (1u << 0)
#define VMX_PROC2_EPT                   (1u << 1)
#define VMX_PROC2_DESC_TABLE_EXITING    (1u << 2)
#define VMX_PROC2_RDTSCP                (1u << 3)
#define VMX_PROC2_VIRT_X2APIC           (1u << 4)  /* virtualize x2APIC mode */
#define VMX_PROC2_VPID                  (1u << 5)
#define VMX_PROC2_WBINVD_EXITING        (1u << 6)
#define VMX_PROC2_UNRESTRICTED_GUEST    (1u << 7)
#define VMX_PROC2_APIC_REG_VIRT         (1u << 8)  /* APIC-register virtualization */
#define VMX_PROC2_VIRT_INTR_DELIVERY    (1u << 9)
#define VMX_PROC2_PAUSE_LOOP_EXITING    (1u << 10)
#define VMX_PROC2_RDRAND_EXITING        (1u << 11)
#define VMX_PROC2_INVPCID               (1u << 12)
#define VMX_PROC2_VMFUNC                (1u << 13)
#define VMX_PROC2_VMCS_SHADOWING        (1u << 14)
#define VMX_PROC2_ENCLS_EXITING         (1u << 15)
#define VMX_PROC2_RDSEED_EXITING        (1u << 16)
#define VMX_PROC2_PML                   (1u << 17)
#define VMX_PROC2_EPT_VE                (1u << 18)  /* EPT-violation #VE */
#define VMX_PROC2_CONCEAL_VMX_FROM_PT   (1u << 19)
#define VMX_PROC2_XSAVES                (1u << 20)  /* enable XSAVES/XRSTORS */
#define VMX_PROC2_PASID_TRANSLATION     (1u << 21)
#define VMX_PROC2_MODE_BASED_EPT_EXEC   (1u << 22)
#define VMX_PROC2_EPT_SPP               (1u << 23)  /* sub-page write permissions */
#define VMX_PROC2_PT_GUEST_PHYS         (1u << 24)
#define VMX_PROC2_TSC_SCALING           (1u << 25)
#define VMX_PROC2_USER_WAIT_PAUSE       (1u << 26)
#define VMX_PROC2_PCONFIG               (1u << 27)
#define VMX_PROC2_ENCLV_EXITING         (1u << 28)
#define VMX_PROC2_BUS_LOCK_DETECTION    (1u << 30)
#define VMX_PROC2_INSTRUCTION_TIMEOUT   (1u << 31)

/* Tertiary processor-based VM-execution controls, 64 bits (24.6.2, table 24-8) */
#define VMX_PROC3_LOADIWKEY_EXITING     (1ull << 0)
#define VMX_PROC3_HLAT                  (1ull << 1)
#define VMX_PROC3_EPT_PAGING_WRITE      (1ull << 2)
#define VMX_PROC3_GUEST_PAGING_VERIFY   (1ull << 3)
#define VMX_PROC3_IPI_VIRT              (1ull << 4)
#define VMX_PROC3_VIRT_SPEC_CTRL        (1ull << 7)

/* Primary VM-exit controls (24.7.1; table 24-10/24-13 by SDM edition) */
#define VMX_EXIT_CTL_SAVE_DEBUG_CTLS    (1u << 2)
#define VMX_EXIT_CTL_HOST_ADDR_SPACE    (1u << 9)   /* host address-space size (64-bit host) */
#define VMX_EXIT_CTL_LOAD_PERF_GLOBAL   (1u << 12)
#define VMX_EXIT_CTL_ACK_INTR           (1u << 15)  /* acknowledge interrupt on exit */
#define VMX_EXIT_CTL_SAVE_PAT           (1u << 18)
#define VMX_EXIT_CTL_LOAD_PAT           (1u << 19)
#define VMX_EXIT_CTL_SAVE_EFER          (1u << 20)
#define VMX_EXIT_CTL_LOAD_EFER          (1u << 21)
#define VMX_EXIT_CTL_SAVE_PREEMPT_TIMER (1u << 22)
#define VMX_EXIT_CTL_CLEAR_BNDCFGS      (1u << 23)
#define VMX_EXIT_CTL_CONCEAL_VMX_FROM_PT (1u << 24)
#define VMX_EXIT_CTL_CLEAR_RTIT_CTL     (1u << 25)
#define VMX_EXIT_CTL_CLEAR_LBR_CTL      (1u << 26)
#define VMX_EXIT_CTL_CLEAR_UINV         (1u << 27)
#define VMX_EXIT_CTL_LOAD_CET           (1u << 28)
#define VMX_EXIT_CTL_LOAD_PKRS          (1u << 29)
#define VMX_EXIT_CTL_SAVE_PERF_GLOBAL   (1u << 30)
#define VMX_EXIT_CTL_SECONDARY_CONTROLS (1u << 31)
/* default1 class (A.4): bits 0-8, 10, 11, 13, 14, 16, 17 */
#define VMX_EXIT_CTL_DEFAULT1           0x00036dffu

/* VM-entry controls (24.8.1; table 24-12/24-15 by SDM edition) */
#define VMX_ENTRY_CTL_LOAD_DEBUG_CTLS   (1u << 2)
#define VMX_ENTRY_CTL_IA32E_GUEST       (1u << 9)   /* IA-32e mode guest: per guest state */
#define VMX_ENTRY_CTL_ENTRY_TO_SMM      (1u << 10)
#define VMX_ENTRY_CTL_DEACT_DUAL_MONITOR (1u << 11)
#define VMX_ENTRY_CTL_LOAD_PERF_GLOBAL  (1u << 13)
#define VMX_ENTRY_CTL_LOAD_PAT          (1u << 14)
#define VMX_ENTRY_CTL_LOAD_EFER         (1u << 15)
#define VMX_ENTRY_CTL_LOAD_BNDCFGS      (1u << 16)
#define VMX_ENTRY_CTL_CONCEAL_VMX_FROM_PT (1u << 17)
#define VMX_ENTRY_CTL_LOAD_RTIT_CTL     (1u << 18)
#define VMX_ENTRY_CTL_LOAD_UINV         (1u << 19)
#define VMX_ENTRY_CTL_LOAD_CET          (1u << 20)
#define VMX_ENTRY_CTL_LOAD_LBR_CTL      (1u << 21)
#define VMX_ENTRY_CTL_LOAD_PKRS         (1u << 22)
/* default1 class (A.5): bits 0-8, 12 */
#define VMX_ENTRY_CTL_DEFAULT1          0x000011ffu

/* ------------------------------------------------------------------------
 * Interruption information: the VM-entry (SDM 24.8.3), VM-exit (24.9.2) and
 * IDT-vectoring (24.9.3) fields share one format.
 */
#define VMX_INTR_INFO_VECTOR_MASK       0x000000ffu
#define VMX_INTR_INFO_TYPE_SHIFT        8
#define VMX_INTR_INFO_TYPE_MASK         0x00000700u
#define VMX_INTR_INFO_ERROR_VALID       (1u << 11)  /* deliver / has an error code */
#define VMX_INTR_INFO_NMI_UNBLOCK_IRET  (1u << 12)  /* exit info only */
#define VMX_INTR_INFO_VALID             (1u << 31)

/* Interruption types (bits 10:8) */
#define VMX_INTR_TYPE_EXT_INTR          0u
#define VMX_INTR_TYPE_NMI               2u
#define VMX_INTR_TYPE_HW_EXCEPTION      3u
#define VMX_INTR_TYPE_SOFT_INTR         4u
#define VMX_INTR_TYPE_PRIV_SOFT_EXC     5u  /* INT1 */
#define VMX_INTR_TYPE_SOFT_EXC          6u  /* INT3, INTO */
#define VMX_INTR_TYPE_OTHER             7u  /* MTF injection */

#define VMX_INTR_INFO_TYPE(info) \
    (((info) & VMX_INTR_INFO_TYPE_MASK) >> VMX_INTR_INFO_TYPE_SHIFT)
#define VMX_INTR_INFO(vector, type, has_error) \
    (VMX_INTR_INFO_VALID | ((uint32_t)(type) << VMX_INTR_INFO_TYPE_SHIFT) \
     | ((uint32_t)(vector) & VMX_INTR_INFO_VECTOR_MASK) \
     | ((has_error) ? VMX_INTR_INFO_ERROR_VALID : 0u))

/* Guest interruptibility state (24.4.2, table 24-3) */
#define VMX_INTERRUPTIBILITY_STI        (1u << 0)  /* blocking by STI */
#define VMX_INTERRUPTIBILITY_MOV_SS     (1u << 1)  /* blocking by MOV SS / POP SS */
#define VMX_INTERRUPTIBILITY_SMI        (1u << 2)
#define VMX_INTERRUPTIBILITY_NMI        (1u << 3)
#define VMX_INTERRUPTIBILITY_ENCLAVE    (1u << 4)
#define VMX_INTERRUPTIBILITY_SHADOW \
    (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS)

/* Guest activity state (24.4.2) */
#define VMX_ACTIVITY_ACTIVE             0u
#define VMX_ACTIVITY_HLT                1u
#define VMX_ACTIVITY_SHUTDOWN           2u
#define VMX_ACTIVITY_WAIT_SIPI          3u

/* Segment access rights (24.4.1, table 24-2): the descriptor's attribute
 * bits at the positions they have in the descriptor's second dword >> 8. */
#define VMX_AR_TYPE_MASK                0x0000000fu
#define VMX_AR_S                        (1u << 4)   /* code/data (not system) */
#define VMX_AR_DPL_SHIFT                5
#define VMX_AR_DPL_MASK                 0x00000060u
#define VMX_AR_P                        (1u << 7)
#define VMX_AR_AVL                      (1u << 12)
#define VMX_AR_L                        (1u << 13)  /* 64-bit code segment */
#define VMX_AR_DB                       (1u << 14)
#define VMX_AR_G                        (1u << 15)
#define VMX_AR_UNUSABLE                 (1u << 16)  /* segment unusable (null selector loaded) */

/* The 12-bit packed form (type..P in 7:0, AVL L DB G in 11:8, as the VMCB
 * keeps it) to and from VMX access rights; the unusable bit is not in it. */
static inline uint32_t vmx_ar_from_attrib(uint16_t attrib)
{
    return (uint32_t)(attrib & 0xffu) | ((uint32_t)(attrib & 0xf00u) << 4);
}

static inline uint16_t vmx_ar_to_attrib(uint32_t ar)
{
    return (uint16_t)((ar & 0xffu) | ((ar >> 4) & 0xf00u));
}

/* ------------------------------------------------------------------------
 * Exit qualifications (SDM 27.2.1)
 */
/* Control-register accesses (table 27-3) */
#define VMX_QUAL_CR_NUM_MASK            0x0000000full
#define VMX_QUAL_CR_TYPE_SHIFT          4
#define VMX_QUAL_CR_TYPE_MASK           0x00000030ull
#define VMX_QUAL_CR_TYPE_MOV_TO         0u
#define VMX_QUAL_CR_TYPE_MOV_FROM       1u
#define VMX_QUAL_CR_TYPE_CLTS           2u
#define VMX_QUAL_CR_TYPE_LMSW           3u
#define VMX_QUAL_CR_LMSW_MEM            (1ull << 6)  /* LMSW operand in memory */
#define VMX_QUAL_CR_GPR_SHIFT           8
#define VMX_QUAL_CR_GPR_MASK            0x00000f00ull  /* 0 RAX .. 15 R15 */
#define VMX_QUAL_CR_LMSW_DATA_SHIFT     16
#define VMX_QUAL_CR_LMSW_DATA_MASK      0xffff0000ull

/* I/O instructions (table 27-5) */
#define VMX_QUAL_IO_SIZE_MASK           0x00000007ull  /* size - 1: 0, 1 or 3 */
#define VMX_QUAL_IO_IN                  (1ull << 3)
#define VMX_QUAL_IO_STRING              (1ull << 4)
#define VMX_QUAL_IO_REP                 (1ull << 5)
#define VMX_QUAL_IO_IMM                 (1ull << 6)  /* port operand was an immediate */
#define VMX_QUAL_IO_PORT_SHIFT          16
#define VMX_QUAL_IO_PORT_MASK           0xffff0000ull

/* EPT violations (table 27-7) */
#define VMX_QUAL_EPT_READ               (1ull << 0)
#define VMX_QUAL_EPT_WRITE              (1ull << 1)
#define VMX_QUAL_EPT_FETCH              (1ull << 2)
#define VMX_QUAL_EPT_READABLE           (1ull << 3)  /* the EPT entry allowed reads */
#define VMX_QUAL_EPT_WRITABLE           (1ull << 4)
#define VMX_QUAL_EPT_EXECUTABLE         (1ull << 5)
#define VMX_QUAL_EPT_USER_EXECUTABLE    (1ull << 6)  /* mode-based execute control */
#define VMX_QUAL_EPT_GLA_VALID          (1ull << 7)  /* guest linear address field valid */
#define VMX_QUAL_EPT_GLA_TRANSLATED     (1ull << 8)  /* access to the translated address,
                                                        not to a guest paging structure */
#define VMX_QUAL_EPT_NMI_UNBLOCK_IRET   (1ull << 12)
#define VMX_QUAL_EPT_PERMS_MASK \
    (VMX_QUAL_EPT_READABLE | VMX_QUAL_EPT_WRITABLE | VMX_QUAL_EPT_EXECUTABLE)

/* APIC-access VM exits (table 27-6) */
#define VMX_QUAL_APIC_OFFSET_MASK       0x00000fffull  /* for linear accesses */
#define VMX_QUAL_APIC_TYPE_SHIFT        12
#define VMX_QUAL_APIC_TYPE_MASK         0x0000f000ull
#define VMX_QUAL_APIC_LINEAR_READ       0u
#define VMX_QUAL_APIC_LINEAR_WRITE      1u
#define VMX_QUAL_APIC_LINEAR_FETCH      2u
#define VMX_QUAL_APIC_LINEAR_EVENT      3u   /* during event delivery */
#define VMX_QUAL_APIC_GPA_EVENT         10u  /* guest-physical, during event delivery */
#define VMX_QUAL_APIC_GPA_INSN          15u  /* guest-physical, fetch or instruction */
#define VMX_QUAL_APIC_ASYNC             (1ull << 16)

/* ------------------------------------------------------------------------
 * EPT pointer (SDM 24.6.11)
 */
#define VMX_EPTP_MT_UC                  0ull
#define VMX_EPTP_MT_WB                  6ull
#define VMX_EPTP_MT_MASK                0x7ull
#define VMX_EPTP_WALK_SHIFT             3            /* walk length - 1 */
#define VMX_EPTP_WALK_4                 (3ull << VMX_EPTP_WALK_SHIFT)
#define VMX_EPTP_AD                     (1ull << 6)  /* enable accessed/dirty flags */

/* ------------------------------------------------------------------------
 * VM-instruction error numbers (SDM 30.4, table 30-1), read from
 * VMCS_INSTR_ERROR after VMfailValid.
 */
enum vmx_instruction_error {
    VMX_ERR_VMCALL_IN_ROOT = 1,
    VMX_ERR_VMCLEAR_BAD_ADDR = 2,
    VMX_ERR_VMCLEAR_VMXON_PTR = 3,
    VMX_ERR_VMLAUNCH_NOT_CLEAR = 4,
    VMX_ERR_VMRESUME_NOT_LAUNCHED = 5,
    VMX_ERR_VMRESUME_AFTER_VMXOFF = 6,
    VMX_ERR_ENTRY_BAD_CONTROLS = 7,
    VMX_ERR_ENTRY_BAD_HOST_STATE = 8,
    VMX_ERR_VMPTRLD_BAD_ADDR = 9,
    VMX_ERR_VMPTRLD_VMXON_PTR = 10,
    VMX_ERR_VMPTRLD_BAD_REVISION = 11,
    VMX_ERR_UNSUPPORTED_FIELD = 12,
    VMX_ERR_WRITE_READ_ONLY = 13,
    VMX_ERR_VMXON_IN_ROOT = 15,
    VMX_ERR_ENTRY_BAD_EXEC_PTR = 16,
    VMX_ERR_ENTRY_EXEC_NOT_LAUNCHED = 17,
    VMX_ERR_ENTRY_EXEC_NOT_VMXON = 18,
    VMX_ERR_VMCALL_NOT_CLEAR = 19,
    VMX_ERR_VMCALL_BAD_EXIT_CONTROLS = 20,
    VMX_ERR_VMCALL_BAD_MSEG_REVISION = 22,
    VMX_ERR_VMXOFF_DUAL_MONITOR = 23,
    VMX_ERR_VMCALL_BAD_SMM_FEATURES = 24,
    VMX_ERR_ENTRY_BAD_EXEC_CONTROLS = 25,
    VMX_ERR_ENTRY_MOV_SS_BLOCKING = 26,
    VMX_ERR_INVEPT_INVVPID_OPERAND = 28,
    VMX_ERR_MAX = 28
};

/* The SDM's description of a VM-instruction error; "unknown VM-instruction
 * error" for numbers the table does not list.  (vmx/vmx_caps.c) */
const char *vmx_instruction_error_name(unsigned err);

#endif /* KEEL_VMX_VMCS_H */
