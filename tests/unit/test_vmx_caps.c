/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for vmx/vmx_caps.c: vmx_negotiate() over fake capability
 * MSR sets, checking every resulting control word in full, the features,
 * the errors that name a missing required control, and the boot-log line.
 */
#include "check.h"
#include "vmx/vmx_caps.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_exit_reasons.h"

#include <stdbool.h>
#include <string.h>

/* A control-capability MSR: allowed-0 settings low, allowed-1 high. */
static uint64_t ctl(uint32_t must1, uint32_t may1)
{
    return ((uint64_t)(may1 | must1) << 32) | must1;
}

/* TRUE_* allowed-0 settings as Skylake reports them: the default1 bits
 * that may be 0 (CR3 exiting, debug-control save/load) are clear. */
#define TRUE_PIN_MUST1   VMX_PIN_DEFAULT1
#define TRUE_PROC_MUST1  (VMX_PROC_DEFAULT1 & ~(VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING))
#define TRUE_EXIT_MUST1  (VMX_EXIT_CTL_DEFAULT1 & ~VMX_EXIT_CTL_SAVE_DEBUG_CTLS)
#define TRUE_ENTRY_MUST1 (VMX_ENTRY_CTL_DEFAULT1 & ~VMX_ENTRY_CTL_LOAD_DEBUG_CTLS)

#define SKX_PIN_MAY1   0x0000007fu  /* no posted interrupts */
#define SKX_PROC_MAY1  0xfff9fffeu  /* no tertiary controls */
#define SKX_PROC2_MAY1 (0x0003ffffu | VMX_PROC2_XSAVES | VMX_PROC2_TSC_SCALING)
#define SKX_EXIT_MAY1  0x01ffffffu
#define SKX_ENTRY_MAY1 0x0003ffffu
#define SKX_EPT_VPID   0x00000f0106734141ull
#define SKX_BASIC      (0x4ull | (0x1000ull << VMX_BASIC_VMCS_SIZE_SHIFT) \
                        | ((uint64_t)VMX_BASIC_MEMTYPE_WB << VMX_BASIC_MEMTYPE_SHIFT) \
                        | VMX_BASIC_INS_OUTS_INFO | VMX_BASIC_TRUE_CTLS)

static const struct vmx_policy all_on = { true, true, true };
static struct vmx_cap_msrs caps;
static struct vmx_controls out;
static char err[256];

/* (a) A Bochs corei7_skylake_x-like CPU: EPT 2M/1G/AD, VPID, unrestricted
 * guest, TPR shadow and the APICv controls, no posted interrupts, no
 * tertiary controls. */
static void skx(void)
{
    memset(&caps, 0, sizeof(caps));
    caps.basic = SKX_BASIC;
    caps.pinbased = ctl(VMX_PIN_DEFAULT1, SKX_PIN_MAY1);
    caps.procbased = ctl(VMX_PROC_DEFAULT1, SKX_PROC_MAY1);
    caps.exit = ctl(VMX_EXIT_CTL_DEFAULT1, SKX_EXIT_MAY1);
    caps.entry = ctl(VMX_ENTRY_CTL_DEFAULT1, SKX_ENTRY_MAY1);
    caps.true_pinbased = ctl(TRUE_PIN_MUST1, SKX_PIN_MAY1);
    caps.true_procbased = ctl(TRUE_PROC_MUST1, SKX_PROC_MAY1);
    caps.true_exit = ctl(TRUE_EXIT_MUST1, SKX_EXIT_MAY1);
    caps.true_entry = ctl(TRUE_ENTRY_MUST1, SKX_ENTRY_MAY1);
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1);
    caps.misc = 0x7004c1e7ull;  /* timer shift 7, HLT/shutdown/wait-for-SIPI */
    caps.ept_vpid = SKX_EPT_VPID;
    caps.cr0_fixed0 = 0x80000021ull;
    caps.cr0_fixed1 = 0xffffffffull;
    caps.cr4_fixed0 = 0x2000ull;
    caps.cr4_fixed1 = 0x3727ffull;
    memset(&out, 0xa5, sizeof(out));
    memset(err, 'x', sizeof(err));
}

/* (b) A Sapphire Rapids-like CPU: (a) plus posted interrupts, tertiary
 * controls with IPI virtualization among others. */
static void spr(void)
{
    skx();
    caps.true_pinbased = ctl(TRUE_PIN_MUST1, 0xffu);
    caps.pinbased = ctl(VMX_PIN_DEFAULT1, 0xffu);
    caps.true_procbased = ctl(TRUE_PROC_MUST1, 0xfffbfffeu);
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1 | VMX_PROC2_USER_WAIT_PAUSE
                                 | VMX_PROC2_BUS_LOCK_DETECTION | VMX_PROC2_INSTRUCTION_TIMEOUT);
    caps.procbased3 = VMX_PROC3_LOADIWKEY_EXITING | VMX_PROC3_HLAT | VMX_PROC3_EPT_PAGING_WRITE
        | VMX_PROC3_GUEST_PAGING_VERIFY | VMX_PROC3_IPI_VIRT | VMX_PROC3_VIRT_SPEC_CTRL;
}

static int negotiate(const struct vmx_policy *pol)
{
    return vmx_negotiate(&caps, pol, &out, err, sizeof(err));
}

/* The control words Keel always asks for (TRUE path, Skylake must-1s). */
#define PIN_BASE   (TRUE_PIN_MUST1 | VMX_PIN_EXT_INTR_EXITING | VMX_PIN_NMI_EXITING)
#define PROC_BASE  (TRUE_PROC_MUST1 | VMX_PROC_TSC_OFFSETTING | VMX_PROC_HLT_EXITING \
                    | VMX_PROC_RDPMC_EXITING | VMX_PROC_IO_BITMAPS | VMX_PROC_MSR_BITMAPS \
                    | VMX_PROC_SECONDARY_CONTROLS)
#define PROC2_BASE (VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED_GUEST)
#define EXIT_BASE  (TRUE_EXIT_MUST1 | VMX_EXIT_CTL_HOST_ADDR_SPACE | VMX_EXIT_CTL_SAVE_EFER \
                    | VMX_EXIT_CTL_LOAD_EFER | VMX_EXIT_CTL_SAVE_PAT | VMX_EXIT_CTL_LOAD_PAT)
#define ENTRY_BASE (TRUE_ENTRY_MUST1 | VMX_ENTRY_CTL_LOAD_EFER | VMX_ENTRY_CTL_LOAD_PAT)
/* What (a) adds on top with every optional feature wanted. */
#define SKX_PIN    (PIN_BASE | VMX_PIN_VIRTUAL_NMIS)
#define SKX_PROC   (PROC_BASE | VMX_PROC_TPR_SHADOW)
#define SKX_PROC2_NOAPICV (PROC2_BASE | VMX_PROC2_VPID | VMX_PROC2_INVPCID | VMX_PROC2_XSAVES)
#define SKX_PROC2  (SKX_PROC2_NOAPICV | VMX_PROC2_VIRT_APIC_ACCESSES \
                    | VMX_PROC2_APIC_REG_VIRT | VMX_PROC2_VIRT_INTR_DELIVERY)
#define SKX_EXIT   (EXIT_BASE | VMX_EXIT_CTL_ACK_INTR | VMX_EXIT_CTL_SAVE_DEBUG_CTLS)
#define SKX_ENTRY  (ENTRY_BASE | VMX_ENTRY_CTL_LOAD_DEBUG_CTLS)

static bool err_has(const char *s)
{
    return strstr(err, s) != NULL;
}

/* ---------------------------------------------------------------- (a) */

static void test_skx_succeeds(void)
{
    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(err[0], '\0');
}

static void test_skx_control_words(void)
{
    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.pin, SKX_PIN);
    CHECK_EQ(out.proc, SKX_PROC);
    CHECK_EQ(out.proc2, SKX_PROC2);
    CHECK_EQ(out.exit, SKX_EXIT);
    CHECK_EQ(out.entry, SKX_ENTRY);
    CHECK_EQ(out.proc3, 0);
}

static void test_skx_leaves_runtime_controls_clear(void)
{
    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc & (VMX_PROC_INTR_WINDOW_EXITING | VMX_PROC_NMI_WINDOW_EXITING
                         | VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING
                         | VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING
                         | VMX_PROC_TERTIARY_CONTROLS | VMX_PROC_UNCOND_IO_EXITING), 0);
    CHECK_EQ(out.pin & (VMX_PIN_PREEMPTION_TIMER | VMX_PIN_POSTED_INTR), 0);
    CHECK_EQ(out.proc2 & (VMX_PROC2_VIRT_X2APIC | VMX_PROC2_RDTSCP), 0);
    CHECK_EQ(out.entry & VMX_ENTRY_CTL_IA32E_GUEST, 0);
}

static void test_skx_ept_vpid_features(void)
{
    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK(out.f.ept && out.f.ept_2m && out.f.ept_1g && out.f.ept_ad && out.f.ept_exec_only);
    CHECK(out.f.invept_single && out.f.invept_all);
    CHECK(out.f.vpid && out.f.invvpid_addr && out.f.invvpid_single && out.f.invvpid_all);
    CHECK(out.f.unrestricted_guest);
}

static void test_skx_apic_features(void)
{
    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK(out.f.tpr_shadow && out.f.virt_apic_access && out.f.virt_x2apic);
    CHECK(out.f.apic_reg_virt && out.f.virt_intr_delivery);
    CHECK(!out.f.posted_intr);
    CHECK(!out.f.ipi_virt);
}

static void test_skx_other_features(void)
{
    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK(out.f.virtual_nmis && out.f.nmi_window && out.f.ack_intr_on_exit);
    CHECK(out.f.preemption_timer);
    CHECK_EQ(out.f.preemption_timer_shift, 7);
    CHECK(out.f.debug_ctls && out.f.invpcid && out.f.xsaves && out.f.true_controls);
    CHECK(out.f.act_hlt && out.f.act_shutdown && out.f.act_wait_sipi);
}

static void test_skx_basic_and_fixed_bits(void)
{
    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.revision, 4);
    CHECK_EQ(out.vmcs_size, 4096);
    CHECK_EQ(out.cr0_fixed0, 0x80000021ull);
    CHECK_EQ(out.cr0_fixed1, 0xffffffffull);
    CHECK_EQ(out.cr4_fixed0, 0x2000ull);
    CHECK_EQ(out.cr4_fixed1, 0x3727ffull);
    CHECK_EQ(out.guest_cr0_fixed0, 0x20ull);  /* NE stays; PE and PG may be 0 */
}

/* ---------------------------------------------------------------- (b) */

static void test_spr_posted_and_ipiv(void)
{
    spr();
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.pin, SKX_PIN | VMX_PIN_POSTED_INTR);
    CHECK_EQ(out.proc, SKX_PROC | VMX_PROC_TERTIARY_CONTROLS);
    CHECK_EQ(out.proc2, SKX_PROC2);
    CHECK_EQ(out.exit, SKX_EXIT);
    CHECK_EQ(out.entry, SKX_ENTRY);
    CHECK_EQ(out.proc3, VMX_PROC3_IPI_VIRT);  /* no HLAT, LOADIWKEY, ... */
    CHECK(out.f.posted_intr && out.f.ipi_virt);
}

static void test_spr_ipiv_policy_off(void)
{
    const struct vmx_policy pol = { true, true, false };

    spr();
    CHECK_EQ(negotiate(&pol), 0);
    CHECK_EQ(out.pin, SKX_PIN | VMX_PIN_POSTED_INTR);
    CHECK_EQ(out.proc, SKX_PROC);
    CHECK_EQ(out.proc3, 0);
    CHECK(out.f.posted_intr && !out.f.ipi_virt);
}

/* IPIv without posted interrupts is never taken, whatever the policy. */
static void test_spr_posted_policy_off(void)
{
    const struct vmx_policy pol = { true, false, true };

    spr();
    CHECK_EQ(negotiate(&pol), 0);
    CHECK_EQ(out.pin, SKX_PIN);
    CHECK_EQ(out.proc, SKX_PROC);
    CHECK_EQ(out.proc2, SKX_PROC2);
    CHECK_EQ(out.proc3, 0);
    CHECK(!out.f.posted_intr && !out.f.ipi_virt && out.f.virt_intr_delivery);
}

/* CTLS3 reports IPIv but the primary controls cannot activate them. */
static void test_ipiv_needs_tertiary_activation(void)
{
    spr();
    caps.true_procbased = ctl(TRUE_PROC_MUST1, SKX_PROC_MAY1);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc, SKX_PROC);
    CHECK_EQ(out.proc3, 0);
    CHECK(out.f.posted_intr && !out.f.ipi_virt);
}

static void test_ipiv_absent_from_ctls3(void)
{
    spr();
    caps.procbased3 = VMX_PROC3_HLAT | VMX_PROC3_LOADIWKEY_EXITING;
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc, SKX_PROC);
    CHECK_EQ(out.proc3, 0);
    CHECK(!out.f.ipi_virt);
}

/* ---------------------------------------------------------------- (c), (d) */

static void test_no_unrestricted_guest_named(void)
{
    skx();
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1 & ~VMX_PROC2_UNRESTRICTED_GUEST);
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(strcmp(err, "VMX lacks required control: secondary 'unrestricted guest' "
                      "(IA32_VMX_PROCBASED_CTLS2 bit 7 allowed-1 = 0)") == 0);
}

static void test_failure_clears_output(void)
{
    skx();
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1 & ~VMX_PROC2_UNRESTRICTED_GUEST);
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK_EQ(out.pin | out.proc | out.proc2 | out.exit | out.entry, 0);
    CHECK_EQ(out.revision, 0);
    CHECK(!out.f.ept && !out.f.vpid);
}

static void test_no_ept_named(void)
{
    skx();
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1 & ~(VMX_PROC2_EPT | VMX_PROC2_UNRESTRICTED_GUEST));
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(strcmp(err, "VMX lacks required control: secondary 'enable EPT' "
                      "(IA32_VMX_PROCBASED_CTLS2 bit 1 allowed-1 = 0)") == 0);
}

static void test_ept_without_4_level_walk(void)
{
    skx();
    caps.ept_vpid &= ~VMX_EPT_CAP_WALK_4;
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(err_has("page-walk length 4") && err_has("IA32_VMX_EPT_VPID_CAP bit 6 = 0"));
}

static void test_ept_without_wb(void)
{
    skx();
    caps.ept_vpid &= ~VMX_EPT_CAP_MT_WB;
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(err_has("write-back EPT paging structures") && err_has("bit 14"));
}

static void test_no_invept(void)
{
    skx();
    caps.ept_vpid &= ~VMX_EPT_CAP_INVEPT;
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(err_has("INVEPT (IA32_VMX_EPT_VPID_CAP bit 20 = 0)"));
}

static void test_invept_without_types(void)
{
    skx();
    caps.ept_vpid &= ~(VMX_EPT_CAP_INVEPT_SINGLE | VMX_EPT_CAP_INVEPT_ALL);
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(err_has("single- or all-context INVEPT"));
}

static void test_invept_all_context_only(void)
{
    skx();
    caps.ept_vpid &= ~(VMX_EPT_CAP_INVEPT_SINGLE | VMX_EPT_CAP_2M | VMX_EPT_CAP_1G
                       | VMX_EPT_CAP_AD | VMX_EPT_CAP_EXEC_ONLY);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK(!out.f.invept_single && out.f.invept_all);
    CHECK(!out.f.ept_2m && !out.f.ept_1g && !out.f.ept_ad && !out.f.ept_exec_only);
    CHECK_EQ(out.proc2, SKX_PROC2);
}

/* ---------------------------------------------------------------- (e), (f) */

/* Without bit 55 the plain MSRs rule, whatever the TRUE ones say. */
static void test_non_true_path(void)
{
    skx();
    caps.basic &= ~VMX_BASIC_TRUE_CTLS;
    caps.true_pinbased = caps.true_procbased = caps.true_exit = caps.true_entry = 0;
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK(!out.f.true_controls);
    CHECK_EQ(out.pin, SKX_PIN);
    CHECK_EQ(out.proc, SKX_PROC | VMX_PROC_CR3_LOAD_EXITING | VMX_PROC_CR3_STORE_EXITING);
    CHECK_EQ(out.proc2, SKX_PROC2);
    CHECK_EQ(out.exit, SKX_EXIT);
    CHECK_EQ(out.entry, SKX_ENTRY);
}

static void test_non_true_error_names_plain_msr(void)
{
    skx();
    caps.basic &= ~VMX_BASIC_TRUE_CTLS;
    caps.procbased = ctl(VMX_PROC_DEFAULT1, SKX_PROC_MAY1 & ~VMX_PROC_HLT_EXITING);
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(strcmp(err, "VMX lacks required control: primary 'HLT exiting' "
                      "(IA32_VMX_PROCBASED_CTLS bit 7 allowed-1 = 0)") == 0);
}

/* A CPU that cannot exit on RDPMC is refused: the guest would read the
 * host's counters. */
static void test_rdpmc_exiting_required(void)
{
    skx();
    caps.true_procbased = ctl(TRUE_PROC_MUST1, SKX_PROC_MAY1 & ~VMX_PROC_RDPMC_EXITING);
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(strstr(err, "'RDPMC exiting'") != NULL);
}

/* With bit 55 the plain MSRs are not consulted at all. */
static void test_true_path_ignores_plain_msrs(void)
{
    skx();
    caps.pinbased = caps.procbased = caps.exit = caps.entry = 0;
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.pin, SKX_PIN);
    CHECK_EQ(out.proc, SKX_PROC);
}

/* (f) default1 bits forced: the old-style MSRs report them must-be-1 and
 * they are set even where Keel would rather not (CR3 exiting). */
static void test_default1_forced(void)
{
    skx();
    caps.basic &= ~VMX_BASIC_TRUE_CTLS;
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.pin & VMX_PIN_DEFAULT1, VMX_PIN_DEFAULT1);
    CHECK_EQ(out.proc & VMX_PROC_DEFAULT1, VMX_PROC_DEFAULT1);
    CHECK_EQ(out.exit & VMX_EXIT_CTL_DEFAULT1, VMX_EXIT_CTL_DEFAULT1);
    CHECK_EQ(out.entry & VMX_ENTRY_CTL_DEFAULT1, VMX_ENTRY_CTL_DEFAULT1);
    CHECK(out.f.debug_ctls);
}

/* A must-be-1 bit in a TRUE MSR (here MOV-DR exiting) is honoured. */
static void test_true_must1_honoured(void)
{
    skx();
    caps.true_procbased = ctl(TRUE_PROC_MUST1 | VMX_PROC_MOV_DR_EXITING, SKX_PROC_MAY1);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc, SKX_PROC | VMX_PROC_MOV_DR_EXITING);
}

static void test_inconsistent_msr_rejected(void)
{
    skx();
    caps.true_exit = ((uint64_t)(SKX_EXIT_MAY1 & ~(1u << 0)) << 32) | TRUE_EXIT_MUST1;
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(strcmp(err, "VMX capability MSR inconsistent: VM-exit controls 0x00000001 must be 1 "
                      "but may not be 1 (IA32_VMX_TRUE_EXIT_CTLS)") == 0);
}

/* ---------------------------------------------------------------- (g) */

static void test_policy_no_apicv(void)
{
    const struct vmx_policy pol = { false, true, true };

    spr();
    CHECK_EQ(negotiate(&pol), 0);
    CHECK_EQ(out.pin, SKX_PIN);
    CHECK_EQ(out.proc, SKX_PROC);  /* TPR shadow stays: it is not APICv */
    CHECK_EQ(out.proc2, SKX_PROC2_NOAPICV);
    CHECK_EQ(out.proc3, 0);
    CHECK(out.f.tpr_shadow);
    CHECK(!out.f.virt_apic_access && !out.f.virt_x2apic && !out.f.apic_reg_virt);
    CHECK(!out.f.virt_intr_delivery && !out.f.posted_intr && !out.f.ipi_virt);
}

static void test_null_policy_wants_nothing_optional(void)
{
    spr();
    CHECK_EQ(vmx_negotiate(&caps, NULL, &out, err, sizeof(err)), 0);
    CHECK_EQ(out.pin, SKX_PIN);
    CHECK_EQ(out.proc2, SKX_PROC2_NOAPICV);
    CHECK_EQ(out.proc3, 0);
}

/* ---------------------------------------------------------------- (h) */

static void test_posted_without_ack_on_exit(void)
{
    spr();
    caps.true_exit = ctl(TRUE_EXIT_MUST1, SKX_EXIT_MAY1 & ~VMX_EXIT_CTL_ACK_INTR);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.pin, SKX_PIN);
    CHECK_EQ(out.proc, SKX_PROC);
    CHECK_EQ(out.proc2, SKX_PROC2);
    CHECK_EQ(out.exit, SKX_EXIT & ~VMX_EXIT_CTL_ACK_INTR);
    CHECK_EQ(out.proc3, 0);
    CHECK(!out.f.ack_intr_on_exit && !out.f.posted_intr && !out.f.ipi_virt);
    CHECK(out.f.virt_intr_delivery);
}

/* ---------------------------------------------------------------- optional features */

static void test_no_tpr_shadow_means_cr8_exiting(void)
{
    skx();
    caps.true_procbased = ctl(TRUE_PROC_MUST1, SKX_PROC_MAY1 & ~VMX_PROC_TPR_SHADOW);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc, PROC_BASE | VMX_PROC_CR8_LOAD_EXITING | VMX_PROC_CR8_STORE_EXITING);
    /* APIC-access virtualization alone survives; the rest needs TPR shadow. */
    CHECK_EQ(out.proc2, SKX_PROC2_NOAPICV | VMX_PROC2_VIRT_APIC_ACCESSES);
    CHECK(!out.f.tpr_shadow && !out.f.virt_x2apic && !out.f.apic_reg_virt);
    CHECK(!out.f.virt_intr_delivery);
}

static void test_no_tpr_shadow_no_cr8_exiting_fails(void)
{
    skx();
    caps.true_procbased = ctl(TRUE_PROC_MUST1, SKX_PROC_MAY1 & ~(VMX_PROC_TPR_SHADOW
                                                                 | VMX_PROC_CR8_STORE_EXITING));
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(err_has("primary 'CR8-store exiting (no TPR shadow)'") && err_has("bit 20"));
}

static void test_vpid_absent_is_fine(void)
{
    skx();
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1 & ~VMX_PROC2_VPID);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc2, SKX_PROC2 & ~VMX_PROC2_VPID);
    CHECK(!out.f.vpid && !out.f.invvpid_single && !out.f.invvpid_all && !out.f.invvpid_addr);
}

static void test_vpid_without_invvpid_stays_off(void)
{
    skx();
    caps.ept_vpid &= ~VMX_VPID_CAP_INVVPID;
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc2, SKX_PROC2 & ~VMX_PROC2_VPID);
    CHECK(!out.f.vpid);
}

static void test_vpid_invvpid_address_only_stays_off(void)
{
    skx();
    caps.ept_vpid &= ~(VMX_VPID_CAP_INVVPID_SINGLE | VMX_VPID_CAP_INVVPID_ALL
                       | VMX_VPID_CAP_INVVPID_SINGLE_NG);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc2 & VMX_PROC2_VPID, 0);
    CHECK(!out.f.vpid && !out.f.invvpid_addr);
}

static void test_vpid_single_context_only(void)
{
    skx();
    caps.ept_vpid &= ~(VMX_VPID_CAP_INVVPID_ALL | VMX_VPID_CAP_INVVPID_ADDR);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK(out.f.vpid && out.f.invvpid_single && !out.f.invvpid_all && !out.f.invvpid_addr);
}

static void test_no_virtual_nmis(void)
{
    skx();
    caps.true_pinbased = ctl(TRUE_PIN_MUST1, SKX_PIN_MAY1 & ~VMX_PIN_VIRTUAL_NMIS);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.pin, PIN_BASE);
    CHECK(!out.f.virtual_nmis && !out.f.nmi_window);
}

static void test_no_preemption_timer(void)
{
    skx();
    caps.true_pinbased = ctl(TRUE_PIN_MUST1, SKX_PIN_MAY1 & ~VMX_PIN_PREEMPTION_TIMER);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.pin, SKX_PIN);
    CHECK(!out.f.preemption_timer);
    CHECK_EQ(out.f.preemption_timer_shift, 0);
}

static void test_no_invpcid_no_xsaves(void)
{
    skx();
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1 & ~(VMX_PROC2_INVPCID | VMX_PROC2_XSAVES));
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.proc2, SKX_PROC2 & ~(VMX_PROC2_INVPCID | VMX_PROC2_XSAVES));
    CHECK(!out.f.invpcid && !out.f.xsaves);
}

/* Save and load of the debug controls go together or not at all. */
static void test_debug_controls_both_or_neither(void)
{
    skx();
    caps.true_entry = ctl(TRUE_ENTRY_MUST1, SKX_ENTRY_MAY1 & ~VMX_ENTRY_CTL_LOAD_DEBUG_CTLS);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK_EQ(out.exit, SKX_EXIT & ~VMX_EXIT_CTL_SAVE_DEBUG_CTLS);
    CHECK_EQ(out.entry, ENTRY_BASE);
    CHECK(!out.f.debug_ctls);
}

static void test_x2apic_virt_needs_apicv_policy(void)
{
    const struct vmx_policy pol = { false, false, false };

    skx();
    CHECK_EQ(negotiate(&pol), 0);
    CHECK(!out.f.virt_x2apic);
    skx();
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1 & ~VMX_PROC2_VIRT_X2APIC);
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK(!out.f.virt_x2apic && out.f.virt_apic_access);
    CHECK_EQ(out.proc2, SKX_PROC2);
}

static void test_activity_states_from_misc(void)
{
    skx();
    caps.misc = VMX_MISC_ACT_HLT | 5;
    CHECK_EQ(negotiate(&all_on), 0);
    CHECK(out.f.act_hlt && !out.f.act_shutdown && !out.f.act_wait_sipi);
    CHECK_EQ(out.f.preemption_timer_shift, 5);
}

/* ---------------------------------------------------------------- required controls */

struct missing {
    uint64_t *msr;
    uint32_t must1, may1, drop;
    const char *text;
};

/* Drop one required control from one MSR: negotiation fails naming it. */
static void test_each_required_control_named(void)
{
    const struct missing m[] = {
        { &caps.true_pinbased, TRUE_PIN_MUST1, SKX_PIN_MAY1, VMX_PIN_EXT_INTR_EXITING,
          "pin-based 'external-interrupt exiting' (IA32_VMX_TRUE_PINBASED_CTLS bit 0" },
        { &caps.true_pinbased, TRUE_PIN_MUST1, SKX_PIN_MAY1, VMX_PIN_NMI_EXITING,
          "pin-based 'NMI exiting' (IA32_VMX_TRUE_PINBASED_CTLS bit 3" },
        { &caps.true_procbased, TRUE_PROC_MUST1, SKX_PROC_MAY1, VMX_PROC_INTR_WINDOW_EXITING,
          "primary 'interrupt-window exiting' (IA32_VMX_TRUE_PROCBASED_CTLS bit 2" },
        { &caps.true_procbased, TRUE_PROC_MUST1, SKX_PROC_MAY1, VMX_PROC_TSC_OFFSETTING,
          "primary 'use TSC offsetting' (IA32_VMX_TRUE_PROCBASED_CTLS bit 3" },
        { &caps.true_procbased, TRUE_PROC_MUST1, SKX_PROC_MAY1, VMX_PROC_IO_BITMAPS,
          "primary 'use I/O bitmaps' (IA32_VMX_TRUE_PROCBASED_CTLS bit 25" },
        { &caps.true_procbased, TRUE_PROC_MUST1, SKX_PROC_MAY1, VMX_PROC_MSR_BITMAPS,
          "primary 'use MSR bitmaps' (IA32_VMX_TRUE_PROCBASED_CTLS bit 28" },
        { &caps.true_procbased, TRUE_PROC_MUST1, SKX_PROC_MAY1, VMX_PROC_SECONDARY_CONTROLS,
          "primary 'activate secondary controls' (IA32_VMX_TRUE_PROCBASED_CTLS bit 31" },
        { &caps.true_exit, TRUE_EXIT_MUST1, SKX_EXIT_MAY1, VMX_EXIT_CTL_HOST_ADDR_SPACE,
          "VM-exit 'host address-space size' (IA32_VMX_TRUE_EXIT_CTLS bit 9" },
        { &caps.true_exit, TRUE_EXIT_MUST1, SKX_EXIT_MAY1, VMX_EXIT_CTL_SAVE_EFER,
          "VM-exit 'save IA32_EFER' (IA32_VMX_TRUE_EXIT_CTLS bit 20" },
        { &caps.true_exit, TRUE_EXIT_MUST1, SKX_EXIT_MAY1, VMX_EXIT_CTL_LOAD_EFER,
          "VM-exit 'load IA32_EFER' (IA32_VMX_TRUE_EXIT_CTLS bit 21" },
        { &caps.true_exit, TRUE_EXIT_MUST1, SKX_EXIT_MAY1, VMX_EXIT_CTL_SAVE_PAT,
          "VM-exit 'save IA32_PAT' (IA32_VMX_TRUE_EXIT_CTLS bit 18" },
        { &caps.true_exit, TRUE_EXIT_MUST1, SKX_EXIT_MAY1, VMX_EXIT_CTL_LOAD_PAT,
          "VM-exit 'load IA32_PAT' (IA32_VMX_TRUE_EXIT_CTLS bit 19" },
        { &caps.true_entry, TRUE_ENTRY_MUST1, SKX_ENTRY_MAY1, VMX_ENTRY_CTL_LOAD_EFER,
          "VM-entry 'load IA32_EFER' (IA32_VMX_TRUE_ENTRY_CTLS bit 15" },
        { &caps.true_entry, TRUE_ENTRY_MUST1, SKX_ENTRY_MAY1, VMX_ENTRY_CTL_LOAD_PAT,
          "VM-entry 'load IA32_PAT' (IA32_VMX_TRUE_ENTRY_CTLS bit 14" },
    };
    size_t i;

    for (i = 0; i < sizeof(m) / sizeof(m[0]); i++) {
        skx();
        *m[i].msr = ctl(m[i].must1, m[i].may1 & ~m[i].drop);
        CHECK_EQ(negotiate(&all_on), -1);
        CHECK(strncmp(err, "VMX lacks required control: ", 28) == 0);
        CHECK(err_has(m[i].text));
    }
}

static void test_basic_memtype_not_wb(void)
{
    skx();
    caps.basic &= ~(VMX_BASIC_MEMTYPE_MASK << VMX_BASIC_MEMTYPE_SHIFT);
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(err_has("IA32_VMX_BASIC") && err_has("not write-back"));
}

static void test_basic_bad_vmcs_size(void)
{
    skx();
    caps.basic = (caps.basic & ~(VMX_BASIC_VMCS_SIZE_MASK << VMX_BASIC_VMCS_SIZE_SHIFT))
        | (0x1001ull << VMX_BASIC_VMCS_SIZE_SHIFT);
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(err_has("region size"));
    skx();
    caps.basic &= ~(VMX_BASIC_VMCS_SIZE_MASK << VMX_BASIC_VMCS_SIZE_SHIFT);
    CHECK_EQ(negotiate(&all_on), -1);
}

static void test_basic_32bit_addresses(void)
{
    skx();
    caps.basic |= VMX_BASIC_PHYS_ADDR_32;
    CHECK_EQ(negotiate(&all_on), -1);
    CHECK(err_has("32 bits (bit 48)"));
}

/* ---------------------------------------------------------------- error buffer */

static void test_error_truncated_and_optional(void)
{
    char small[16];

    skx();
    caps.procbased2 = 0;
    memset(small, 'x', sizeof(small));
    CHECK_EQ(vmx_negotiate(&caps, &all_on, &out, small, sizeof(small)), -1);
    CHECK_EQ(strlen(small), sizeof(small) - 1);
    CHECK(strncmp(small, "VMX lacks requi", 15) == 0);
    CHECK_EQ(vmx_negotiate(&caps, &all_on, &out, NULL, 0), -1);
    CHECK_EQ(vmx_negotiate(&caps, &all_on, &out, small, 0), -1);
    skx();
    CHECK_EQ(vmx_negotiate(&caps, &all_on, &out, NULL, 0), 0);
}

/* ---------------------------------------------------------------- describe, names */

static void test_describe_skx(void)
{
    char line[256];
    size_t n;

    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    n = vmx_controls_describe(&out, line, sizeof(line));
    CHECK_EQ(n, strlen(line));
    CHECK(strcmp(line, "vmx: rev 0x4 vmcs 4096 ept(4k,2m,1g,ad) vpid unrestricted tpr-shadow "
                       "apicv(access,x2apic,reg,vid) vnmi nmi-window preempt-timer ack-intr "
                       "debug-ctls invpcid xsaves true-ctls") == 0);
}

static void test_describe_spr_minimal(void)
{
    char line[256];
    const struct vmx_policy none = { false, false, false };

    spr();
    CHECK_EQ(negotiate(&all_on), 0);
    vmx_controls_describe(&out, line, sizeof(line));
    CHECK(strstr(line, " posted-intr ipiv ") != NULL);
    skx();
    caps.procbased2 = ctl(0, SKX_PROC2_MAY1 & ~VMX_PROC2_VPID);
    CHECK_EQ(negotiate(&none), 0);
    vmx_controls_describe(&out, line, sizeof(line));
    CHECK(strstr(line, " no-vpid ") != NULL);
    CHECK(strstr(line, "apicv") == NULL);
}

static void test_describe_truncates(void)
{
    char line[12];

    skx();
    CHECK_EQ(negotiate(&all_on), 0);
    memset(line, 'x', sizeof(line));
    CHECK_EQ(vmx_controls_describe(&out, line, sizeof(line)), 11);
    CHECK(strcmp(line, "vmx: rev 0x") == 0);
    CHECK_EQ(vmx_controls_describe(&out, line, 1), 0);
    CHECK_EQ(line[0], '\0');
    CHECK_EQ(vmx_controls_describe(&out, NULL, 0), 0);
}

static void test_exit_reason_names(void)
{
    CHECK(strcmp(vmx_exit_reason_name(VMX_EXIT_EPT_VIOLATION), "EPT violation") == 0);
    CHECK(strcmp(vmx_exit_reason_name(VMX_EXIT_HLT), "HLT") == 0);
    CHECK(strcmp(vmx_exit_reason_name(0), "exception or NMI") == 0);
    CHECK(strcmp(vmx_exit_reason_name(33), "VM-entry failure: invalid guest state") == 0);
    CHECK(strcmp(vmx_exit_reason_name(35), "unknown exit reason") == 0);
    CHECK(strcmp(vmx_exit_reason_name(71), "unknown exit reason") == 0);
    CHECK(strcmp(vmx_exit_reason_name(VMX_EXIT_REASON_COUNT), "unknown exit reason") == 0);
    CHECK(strcmp(vmx_exit_reason_name(0xffffffffu), "unknown exit reason") == 0);
}

/* Every basic exit reason the enum names has a name; the gaps have none. */
static void test_exit_reason_table_complete(void)
{
    unsigned r, named = 0;

    for (r = 0; r < VMX_EXIT_REASON_COUNT; r++)
        if (strcmp(vmx_exit_reason_name(r), "unknown exit reason") != 0)
            named++;
    CHECK_EQ(named, VMX_EXIT_REASON_COUNT - 4);  /* 35, 38, 42, 71 */
    CHECK_EQ(VMX_EXIT_REASON_BASIC(VMX_EXIT_REASON_ENTRY_FAILURE | VMX_EXIT_INVALID_GUEST_STATE),
             VMX_EXIT_INVALID_GUEST_STATE);
}

int main(void)
{
    test_skx_succeeds();
    test_skx_control_words();
    test_skx_leaves_runtime_controls_clear();
    test_skx_ept_vpid_features();
    test_skx_apic_features();
    test_skx_other_features();
    test_skx_basic_and_fixed_bits();
    test_spr_posted_and_ipiv();
    test_spr_ipiv_policy_off();
    test_spr_posted_policy_off();
    test_ipiv_needs_tertiary_activation();
    test_ipiv_absent_from_ctls3();
    test_no_unrestricted_guest_named();
    test_failure_clears_output();
    test_no_ept_named();
    test_ept_without_4_level_walk();
    test_ept_without_wb();
    test_no_invept();
    test_invept_without_types();
    test_invept_all_context_only();
    test_non_true_path();
    test_non_true_error_names_plain_msr();
    test_rdpmc_exiting_required();
    test_true_path_ignores_plain_msrs();
    test_default1_forced();
    test_true_must1_honoured();
    test_inconsistent_msr_rejected();
    test_policy_no_apicv();
    test_null_policy_wants_nothing_optional();
    test_posted_without_ack_on_exit();
    test_no_tpr_shadow_means_cr8_exiting();
    test_no_tpr_shadow_no_cr8_exiting_fails();
    test_vpid_absent_is_fine();
    test_vpid_without_invvpid_stays_off();
    test_vpid_invvpid_address_only_stays_off();
    test_vpid_single_context_only();
    test_no_virtual_nmis();
    test_no_preemption_timer();
    test_no_invpcid_no_xsaves();
    test_debug_controls_both_or_neither();
    test_x2apic_virt_needs_apicv_policy();
    test_activity_states_from_misc();
    test_each_required_control_named();
    test_basic_memtype_not_wb();
    test_basic_bad_vmcs_size();
    test_basic_32bit_addresses();
    test_error_truncated_and_optional();
    test_describe_skx();
    test_describe_spr_minimal();
    test_describe_truncates();
    test_exit_reason_names();
    test_exit_reason_table_complete();
    return check_report("test_vmx_caps");
}
