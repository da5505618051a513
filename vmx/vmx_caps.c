/* SPDX-License-Identifier: MIT */
/*
 * VMX capability negotiation (docs/style.md item 8) and the names of basic exit
 * reasons and VM-instruction errors.  Pure: the caller reads the capability
 * MSRs; nothing here touches hardware or globals.
 *
 * The capability MSRs (SDM vol. 3D A.3-A.5): for a 32-bit control group the
 * low half gives the allowed-0 settings (bit X set: control X must be 1)
 * and the high half the allowed-1 settings (bit 32+X clear: control X must
 * be 0).  The "default1" controls of the first VMX processors are always
 * reported must-be-1 by the plain MSRs; when IA32_VMX_BASIC bit 55 is set
 * the TRUE_* MSRs tell which of them may be 0, and only those are consulted.
 *
 * Each control group below has one commented block saying, per control,
 * whether Keel requires it (negotiation fails naming it), takes it when the
 * CPU and the policy allow (optional), or only checks that the run loop can
 * turn it on per vCPU later (available).  Everything else stays at its
 * allowed-0 setting.
 */
#include "vmx/vmx_caps.h"

#include <stdio.h>
#include <string.h>

#include "hv/x86.h"
#include "vmx/vmcs.h"
#include "vmx/vmx_exit_reasons.h"

struct ctl_group {
    const char *what;  /* the group as errors name it */
    const char *msr;   /* the capability MSR consulted */
    uint32_t must1;    /* allowed-0 settings (MSR bits 31:0): 1 = must be 1 */
    uint32_t may1;     /* allowed-1 settings (MSR bits 63:32): 1 = may be 1 */
    uint32_t val;      /* chosen so far; starts as must1 */
};

struct nego {
    struct ctl_group pin, proc, proc2, exit, entry;
    uint64_t proc3, proc3_may1;  /* tertiary: allowed-1 settings only (A.3.4) */
    uint64_t ept_vpid;
    const struct vmx_policy *pol;
    struct vmx_features *f;
    char *err;
    size_t errlen;
};

static void group_init(struct ctl_group *g, const char *what, const char *msr, uint64_t cap)
{
    g->what = what;
    g->msr = msr;
    g->must1 = (uint32_t)cap;
    g->may1 = (uint32_t)(cap >> 32);
    g->val = g->must1;
}

static bool may_set(const struct ctl_group *g, uint32_t ctl)
{
    return (g->may1 & ctl) == ctl;
}

static bool is_set(const struct ctl_group *g, uint32_t ctl)
{
    return (g->val & ctl) == ctl;
}

static int fail_control(struct nego *n, const struct ctl_group *g, uint32_t ctl,
                        const char *name)
{
    if (n->err && n->errlen)
        snprintf(n->err, n->errlen,
                 "VMX lacks required control: %s '%s' (%s bit %u allowed-1 = 0)",
                 g->what, name, g->msr, (unsigned)__builtin_ctz(ctl));
    return -1;
}

static int fail_cap(struct nego *n, const char *name, const char *bits)
{
    if (n->err && n->errlen)
        snprintf(n->err, n->errlen,
                 "VMX lacks required EPT capability: %s (IA32_VMX_EPT_VPID_CAP %s = 0)",
                 name, bits);
    return -1;
}

/* A control Keel cannot run without: set it, or fail naming it. */
static int require(struct nego *n, struct ctl_group *g, uint32_t ctl, const char *name)
{
    if (!may_set(g, ctl))
        return fail_control(n, g, ctl, name);
    g->val |= ctl;
    return 0;
}

/* A control the run loop sets per vCPU when needed: it must be allowed;
 * it starts clear. */
static int require_available(struct nego *n, struct ctl_group *g, uint32_t ctl,
                             const char *name)
{
    return may_set(g, ctl) ? 0 : fail_control(n, g, ctl, name);
}

/* An optional control: set when wanted and allowed.  True when it ends up
 * set (also when the CPU forces it to 1). */
static bool offer(struct ctl_group *g, uint32_t ctl, bool want)
{
    if (want && may_set(g, ctl))
        g->val |= ctl;
    return is_set(g, ctl);
}

/*
 * IA32_VMX_BASIC (SDM A.1).
 *   VMCS region size        1..4096 bytes (Keel gives each region a page)
 *   VMCS memory type        REQUIRED write-back: Keel maps all RAM WB
 *   32-bit address limit    REQUIRED clear (always, on 64-bit processors)
 *   TRUE_* MSRs (bit 55)    used when present
 */
static int negotiate_basic(struct nego *n, const struct vmx_cap_msrs *caps,
                           struct vmx_controls *out)
{
    uint64_t b = caps->basic;
    unsigned memtype = (unsigned)((b >> VMX_BASIC_MEMTYPE_SHIFT) & VMX_BASIC_MEMTYPE_MASK);
    const char *why = NULL;

    out->revision = (uint32_t)(b & VMX_BASIC_REVISION_MASK);
    out->vmcs_size = (uint32_t)((b >> VMX_BASIC_VMCS_SIZE_SHIFT) & VMX_BASIC_VMCS_SIZE_MASK);
    if (out->vmcs_size == 0 || out->vmcs_size > 4096)
        why = "VMCS region size (bits 44:32) is not 1..4096 bytes";
    else if (memtype != VMX_BASIC_MEMTYPE_WB)
        why = "VMCS memory type (bits 53:50) is not write-back (6)";
    else if (b & VMX_BASIC_PHYS_ADDR_32)
        why = "VMXON/VMCS addresses are limited to 32 bits (bit 48)";
    if (why) {
        if (n->err && n->errlen)
            snprintf(n->err, n->errlen, "VMX unusable: IA32_VMX_BASIC 0x%016llx: %s",
                     (unsigned long long)b, why);
        return -1;
    }
    n->f->true_controls = (b & VMX_BASIC_TRUE_CTLS) != 0;
    return 0;
}

/* Pick the MSR of each group (the TRUE_* ones when bit 55 says they exist)
 * and refuse a CPU that reports a control as must-be-1 but not may-be-1. */
static int groups_init(struct nego *n, const struct vmx_cap_msrs *c)
{
    bool t = n->f->true_controls;
    struct ctl_group *all[] = { &n->pin, &n->proc, &n->proc2, &n->exit, &n->entry };
    size_t i;

    group_init(&n->pin, "pin-based",
               t ? "IA32_VMX_TRUE_PINBASED_CTLS" : "IA32_VMX_PINBASED_CTLS",
               t ? c->true_pinbased : c->pinbased);
    group_init(&n->proc, "primary",
               t ? "IA32_VMX_TRUE_PROCBASED_CTLS" : "IA32_VMX_PROCBASED_CTLS",
               t ? c->true_procbased : c->procbased);
    group_init(&n->proc2, "secondary", "IA32_VMX_PROCBASED_CTLS2", c->procbased2);
    group_init(&n->exit, "VM-exit", t ? "IA32_VMX_TRUE_EXIT_CTLS" : "IA32_VMX_EXIT_CTLS",
               t ? c->true_exit : c->exit);
    group_init(&n->entry, "VM-entry", t ? "IA32_VMX_TRUE_ENTRY_CTLS" : "IA32_VMX_ENTRY_CTLS",
               t ? c->true_entry : c->entry);
    n->proc3_may1 = c->procbased3;
    n->ept_vpid = c->ept_vpid;
    for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
        uint32_t bad = all[i]->must1 & ~all[i]->may1;

        if (bad) {
            if (n->err && n->errlen)
                snprintf(n->err, n->errlen,
                         "VMX capability MSR inconsistent: %s controls 0x%08x must be 1 "
                         "but may not be 1 (%s)", all[i]->what, (unsigned)bad, all[i]->msr);
            return -1;
        }
    }
    return 0;
}

/*
 * Pin-based VM-execution controls (SDM 24.6.1, table 24-5).
 *   external-interrupt exiting  REQUIRED  host interrupts leave the guest (SVM: INTR intercept)
 *   NMI exiting                 REQUIRED  host NMIs likewise (SVM: NMI intercept)
 *   virtual NMIs                optional  guest NMI blocking tracked by the CPU; needs NMI
 *                                         exiting; makes NMI-window exiting possible
 *   activate preemption timer   available the run loop arms it per entry (a set control
 *                                         with a zero timer would exit at once)
 *   process posted interrupts   optional  decided with APIC virtualization below
 */
static int negotiate_pin(struct nego *n)
{
    struct ctl_group *g = &n->pin;

    if (require(n, g, VMX_PIN_EXT_INTR_EXITING, "external-interrupt exiting") < 0
        || require(n, g, VMX_PIN_NMI_EXITING, "NMI exiting") < 0)
        return -1;
    n->f->virtual_nmis = offer(g, VMX_PIN_VIRTUAL_NMIS, true);
    n->f->preemption_timer = may_set(g, VMX_PIN_PREEMPTION_TIMER);
    return 0;
}

/*
 * Primary processor-based VM-execution controls (SDM 24.6.2, table 24-6).
 *   interrupt-window exiting    REQUIRED  available, set per vCPU (vops->set_intr_window)
 *   use TSC offsetting          REQUIRED  vops->set_tsc_offset
 *   HLT exiting                 REQUIRED  an idle vCPU gives the CPU back
 *   RDPMC exiting               REQUIRED  the guest reads its own (emulated) counters, not
 *                                         the host's (hv/emul/emul_msr.c handle_rdpmc)
 *   use I/O bitmaps             REQUIRED  per-VM port intercepts
 *   use MSR bitmaps             REQUIRED  per-VM MSR intercepts
 *   activate secondary controls REQUIRED  EPT and unrestricted guest live there
 *   use TPR shadow              optional  guest CR8 without exits (vops->get_vtpr); taken
 *                                         whatever the APICv policy, like SVM's V_TPR
 *   CR8-load/-store exiting     REQUIRED without TPR shadow (the guest must never write
 *                                         the real TPR), clear with it
 *   NMI-window exiting          available with virtual NMIs (vops->set_iret_exit)
 *   CR3-load/-store exiting     clear (EPT); a CPU without TRUE MSRs forces them to 1
 *   activate tertiary controls  decided with IPI virtualization below
 */
static int negotiate_proc(struct nego *n)
{
    struct ctl_group *g = &n->proc;

    if (require_available(n, g, VMX_PROC_INTR_WINDOW_EXITING, "interrupt-window exiting") < 0
        || require(n, g, VMX_PROC_TSC_OFFSETTING, "use TSC offsetting") < 0
        || require(n, g, VMX_PROC_HLT_EXITING, "HLT exiting") < 0
        || require(n, g, VMX_PROC_RDPMC_EXITING, "RDPMC exiting") < 0
        || require(n, g, VMX_PROC_IO_BITMAPS, "use I/O bitmaps") < 0
        || require(n, g, VMX_PROC_MSR_BITMAPS, "use MSR bitmaps") < 0
        || require(n, g, VMX_PROC_SECONDARY_CONTROLS, "activate secondary controls") < 0)
        return -1;
    n->f->tpr_shadow = offer(g, VMX_PROC_TPR_SHADOW, true);
    if (!n->f->tpr_shadow
        && (require(n, g, VMX_PROC_CR8_LOAD_EXITING, "CR8-load exiting (no TPR shadow)") < 0
            || require(n, g, VMX_PROC_CR8_STORE_EXITING, "CR8-store exiting (no TPR shadow)") < 0))
        return -1;
    n->f->nmi_window = n->f->virtual_nmis && may_set(g, VMX_PROC_NMI_WINDOW_EXITING);
    return 0;
}

/*
 * Secondary processor-based VM-execution controls (SDM 24.6.2, table 24-7).
 *   enable EPT                  REQUIRED  guest memory is mapped through EPT
 *   unrestricted guest          REQUIRED  guests and APs start in real mode / with paging
 *                                         off (INIT-SIPI); needs EPT
 *   enable VPID                 optional  decided with the INVVPID capabilities below
 *   enable INVPCID              optional  without it the guest's INVPCID #UDs: the CPUID
 *                                         policy must hide INVPCID when f.invpcid is false
 *   enable XSAVES/XRSTORS       optional  likewise for XSAVES (the XSS-exiting bitmap must
 *                                         then be written)
 *   enable RDTSCP               clear     Keel hides RDTSCP from guests (hv/emul/vcpuid.c); it
 *                                         #UDs, as SVM's RDTSCP intercept makes it
 *   APIC virtualization         optional  decided below
 */
static int negotiate_proc2(struct nego *n)
{
    struct ctl_group *g = &n->proc2;

    if (require(n, g, VMX_PROC2_EPT, "enable EPT") < 0
        || require(n, g, VMX_PROC2_UNRESTRICTED_GUEST, "unrestricted guest") < 0)
        return -1;
    n->f->ept = true;
    n->f->unrestricted_guest = true;
    n->f->invpcid = offer(g, VMX_PROC2_INVPCID, true);
    n->f->xsaves = offer(g, VMX_PROC2_XSAVES, true);
    return 0;
}

/*
 * EPT and VPID capabilities (SDM A.10, IA32_VMX_EPT_VPID_CAP).
 *   page-walk length 4          REQUIRED  Keel builds 4-level EPT
 *   WB paging structures        REQUIRED  Keel's tables live in WB memory
 *   INVEPT, single or all ctx   REQUIRED  vops->flush_guest_tlb after EPT changes
 *   2M / 1G pages, A/D flags    optional  reported to the EPT builder
 *   enable VPID                 optional  only with INVVPID single- or all-context; without
 *                                         VPID every VM entry and exit flushes the linear
 *                                         and combined mappings of VPID 0 (SDM 28.3.3.1):
 *                                         slower, still correct
 */
static int negotiate_ept_vpid(struct nego *n)
{
    uint64_t c = n->ept_vpid;
    struct vmx_features *f = n->f;
    bool invvpid = (c & VMX_VPID_CAP_INVVPID) != 0;

    if (!(c & VMX_EPT_CAP_WALK_4))
        return fail_cap(n, "page-walk length 4", "bit 6");
    if (!(c & VMX_EPT_CAP_MT_WB))
        return fail_cap(n, "write-back EPT paging structures", "bit 14");
    if (!(c & VMX_EPT_CAP_INVEPT))
        return fail_cap(n, "INVEPT", "bit 20");
    f->invept_single = (c & VMX_EPT_CAP_INVEPT_SINGLE) != 0;
    f->invept_all = (c & VMX_EPT_CAP_INVEPT_ALL) != 0;
    if (!f->invept_single && !f->invept_all)
        return fail_cap(n, "single- or all-context INVEPT", "bits 25 and 26");
    f->ept_2m = (c & VMX_EPT_CAP_2M) != 0;
    f->ept_1g = (c & VMX_EPT_CAP_1G) != 0;
    f->ept_ad = (c & VMX_EPT_CAP_AD) != 0;
    f->ept_exec_only = (c & VMX_EPT_CAP_EXEC_ONLY) != 0;
    f->invvpid_single = invvpid && (c & VMX_VPID_CAP_INVVPID_SINGLE);
    f->invvpid_all = invvpid && (c & VMX_VPID_CAP_INVVPID_ALL);
    f->vpid = offer(&n->proc2, VMX_PROC2_VPID, f->invvpid_single || f->invvpid_all);
    if (f->vpid)
        f->invvpid_addr = invvpid && (c & VMX_VPID_CAP_INVVPID_ADDR);
    else
        f->invvpid_single = f->invvpid_all = false;
    return 0;
}

/*
 * VM-exit controls (SDM 24.7.1).
 *   host address-space size     REQUIRED  Keel is a 64-bit host
 *   save / load IA32_EFER       REQUIRED  guest and host EFER differ
 *   save / load IA32_PAT        REQUIRED  guests program their own PAT
 *   acknowledge interrupt       optional, taken when allowed: the exit's interruption
 *     on exit                             info carries the vector and the host dispatches
 *                                         it; without it the host takes the interrupt by
 *                                         enabling interrupts, as after an SVM exit.
 *                                         Posted interrupts need it.
 *   save debug controls         optional  with "load debug controls" (below)
 *   PERF_GLOBAL_CTRL, CET, PKRS clear     Keel does not give guests these
 */
static int negotiate_exit(struct nego *n)
{
    struct ctl_group *g = &n->exit;

    if (require(n, g, VMX_EXIT_CTL_HOST_ADDR_SPACE, "host address-space size") < 0
        || require(n, g, VMX_EXIT_CTL_SAVE_EFER, "save IA32_EFER") < 0
        || require(n, g, VMX_EXIT_CTL_LOAD_EFER, "load IA32_EFER") < 0
        || require(n, g, VMX_EXIT_CTL_SAVE_PAT, "save IA32_PAT") < 0
        || require(n, g, VMX_EXIT_CTL_LOAD_PAT, "load IA32_PAT") < 0)
        return -1;
    n->f->ack_intr_on_exit = offer(g, VMX_EXIT_CTL_ACK_INTR, true);
    return 0;
}

/*
 * VM-entry controls (SDM 24.8.1).
 *   load IA32_EFER              REQUIRED
 *   load IA32_PAT               REQUIRED
 *   load debug controls         optional, with "save debug controls" on exit: both or
 *                                         neither (DR7 and IA32_DEBUGCTL follow the guest)
 *   IA-32e mode guest           never set here: it follows the guest's EFER.LMA per entry
 */
static int negotiate_entry(struct nego *n)
{
    struct ctl_group *g = &n->entry;
    bool dbg;

    if (require(n, g, VMX_ENTRY_CTL_LOAD_EFER, "load IA32_EFER") < 0
        || require(n, g, VMX_ENTRY_CTL_LOAD_PAT, "load IA32_PAT") < 0)
        return -1;
    dbg = may_set(&n->exit, VMX_EXIT_CTL_SAVE_DEBUG_CTLS)
        && may_set(g, VMX_ENTRY_CTL_LOAD_DEBUG_CTLS);
    offer(&n->exit, VMX_EXIT_CTL_SAVE_DEBUG_CTLS, dbg);
    offer(g, VMX_ENTRY_CTL_LOAD_DEBUG_CTLS, dbg);
    n->f->debug_ctls = is_set(&n->exit, VMX_EXIT_CTL_SAVE_DEBUG_CTLS)
        && is_set(g, VMX_ENTRY_CTL_LOAD_DEBUG_CTLS);
    return 0;
}

/*
 * APIC virtualization and posted interrupts (SDM ch. 29; the entry checks of
 * 26.2.1.1 give the dependencies).
 *   virtualize APIC accesses    optional, want_apicv: set, guests start in xAPIC mode
 *   virtualize x2APIC mode      available with want_apicv and TPR shadow; never set
 *                                         together with the former (26.2.1.1): the run
 *                                         loop swaps them when a vCPU enters x2APIC mode
 *   APIC-register virt.         optional, want_apicv, needs TPR shadow
 *   virtual-interrupt delivery  optional, want_apicv, needs TPR shadow and
 *                                         external-interrupt exiting
 *   process posted interrupts   optional, want_posted_intr, needs virtual-interrupt
 *                                         delivery and acknowledge interrupt on exit
 */
static void negotiate_apicv(struct nego *n)
{
    struct vmx_features *f = n->f;
    bool want = n->pol->want_apicv;
    bool apicv = want && f->tpr_shadow;

    f->virt_apic_access = offer(&n->proc2, VMX_PROC2_VIRT_APIC_ACCESSES, want);
    f->virt_x2apic = apicv && may_set(&n->proc2, VMX_PROC2_VIRT_X2APIC);
    f->apic_reg_virt = offer(&n->proc2, VMX_PROC2_APIC_REG_VIRT, apicv);
    f->virt_intr_delivery = offer(&n->proc2, VMX_PROC2_VIRT_INTR_DELIVERY,
                                  apicv && is_set(&n->pin, VMX_PIN_EXT_INTR_EXITING));
    f->posted_intr = offer(&n->pin, VMX_PIN_POSTED_INTR,
                           n->pol->want_posted_intr && f->virt_intr_delivery
                               && f->ack_intr_on_exit);
}

/*
 * Tertiary processor-based controls (SDM 24.6.2, table 24-8).
 * IA32_VMX_PROCBASED_CTLS3 holds allowed-1 settings only: each may be 0.
 *   IPI virtualization          optional, want_ipiv, needs posted interrupts (the CPU
 *                                         posts IPIs into the targets' descriptors) and
 *                                         virtual-interrupt delivery
 *   activate tertiary controls  set only when IPI virtualization is
 *   the others (HLAT, LOADIWKEY exiting, ...) clear
 */
static void negotiate_ipiv(struct nego *n)
{
    bool ipiv = n->pol->want_ipiv && n->f->posted_intr && n->f->virt_intr_delivery
        && may_set(&n->proc, VMX_PROC_TERTIARY_CONTROLS)
        && (n->proc3_may1 & VMX_PROC3_IPI_VIRT);

    if (ipiv) {
        n->proc.val |= VMX_PROC_TERTIARY_CONTROLS;
        n->proc3 |= VMX_PROC3_IPI_VIRT;
    }
    n->f->ipi_virt = ipiv;
}

/* IA32_VMX_MISC (A.6) and the fixed CR bits (A.7, A.8). */
static void fill_out(const struct nego *n, const struct vmx_cap_msrs *c,
                     struct vmx_controls *out)
{
    struct vmx_features *f = &out->f;

    out->pin = n->pin.val;
    out->proc = n->proc.val;
    out->proc2 = n->proc2.val;
    out->exit = n->exit.val;
    out->entry = n->entry.val;
    out->proc3 = n->proc3;
    out->cr0_fixed0 = c->cr0_fixed0;
    out->cr0_fixed1 = c->cr0_fixed1;
    out->cr4_fixed0 = c->cr4_fixed0;
    out->cr4_fixed1 = c->cr4_fixed1;
    out->guest_cr0_fixed0 = c->cr0_fixed0 & ~(CR0_PE | CR0_PG);
    if (f->preemption_timer)
        f->preemption_timer_shift = (uint8_t)(c->misc & VMX_MISC_PREEMPT_SHIFT_MASK);
    f->act_hlt = (c->misc & VMX_MISC_ACT_HLT) != 0;
    f->act_shutdown = (c->misc & VMX_MISC_ACT_SHUTDOWN) != 0;
    f->act_wait_sipi = (c->misc & VMX_MISC_ACT_WAIT_SIPI) != 0;
}

int vmx_negotiate(const struct vmx_cap_msrs *caps, const struct vmx_policy *pol,
                  struct vmx_controls *out, char *err, size_t errlen)
{
    static const struct vmx_policy nothing_optional;
    struct nego n;

    memset(out, 0, sizeof(*out));
    memset(&n, 0, sizeof(n));
    if (err && errlen)
        err[0] = '\0';
    n.pol = pol ? pol : &nothing_optional;
    n.f = &out->f;
    n.err = err;
    n.errlen = errlen;
    if (negotiate_basic(&n, caps, out) < 0 || groups_init(&n, caps) < 0
        || negotiate_pin(&n) < 0 || negotiate_proc(&n) < 0 || negotiate_proc2(&n) < 0
        || negotiate_ept_vpid(&n) < 0 || negotiate_exit(&n) < 0
        || negotiate_entry(&n) < 0) {
        memset(out, 0, sizeof(*out));
        return -1;
    }
    negotiate_apicv(&n);
    negotiate_ipiv(&n);
    fill_out(&n, caps, out);
    return 0;
}

/* ------------------------------------------------------------------------
 * Boot-log line
 */
struct flag_name {
    bool on;
    const char *name;
};

/* Append s to buf (len > 0), truncating; *off stays the string length. */
static void append(char *buf, size_t len, size_t *off, const char *s)
{
    size_t n = strlen(s);

    if (*off + 1 >= len)
        return;
    if (n > len - 1 - *off)
        n = len - 1 - *off;
    memcpy(buf + *off, s, n);
    *off += n;
    buf[*off] = '\0';
}

/* " label(a,b)" for the flags that are on, nothing when none is; with an
 * empty label each flag that is on is appended as " name". */
static void append_flags(char *buf, size_t len, size_t *off, const char *label,
                         const struct flag_name *fl, size_t count)
{
    bool first = true;
    size_t i;

    for (i = 0; i < count; i++) {
        if (!fl[i].on)
            continue;
        if (!*label)
            append(buf, len, off, " ");
        else
            append(buf, len, off, first ? label : ",");
        append(buf, len, off, fl[i].name);
        first = false;
    }
    if (*label && !first)
        append(buf, len, off, ")");
}

size_t vmx_controls_describe(const struct vmx_controls *c, char *buf, size_t len)
{
    const struct vmx_features *f = &c->f;
    const struct flag_name ept[] = {
        { f->ept, "4k" }, { f->ept_2m, "2m" }, { f->ept_1g, "1g" }, { f->ept_ad, "ad" },
    };
    const struct flag_name mid[] = {
        { f->vpid, "vpid" }, { !f->vpid, "no-vpid" },
        { f->unrestricted_guest, "unrestricted" }, { f->tpr_shadow, "tpr-shadow" },
    };
    const struct flag_name apicv[] = {
        { f->virt_apic_access, "access" }, { f->virt_x2apic, "x2apic" },
        { f->apic_reg_virt, "reg" }, { f->virt_intr_delivery, "vid" },
    };
    const struct flag_name tail[] = {
        { f->posted_intr, "posted-intr" }, { f->ipi_virt, "ipiv" },
        { f->virtual_nmis, "vnmi" }, { f->nmi_window, "nmi-window" },
        { f->preemption_timer, "preempt-timer" }, { f->ack_intr_on_exit, "ack-intr" },
        { f->debug_ctls, "debug-ctls" }, { f->invpcid, "invpcid" }, { f->xsaves, "xsaves" },
        { f->true_controls, "true-ctls" },
    };
    char head[48];
    size_t off = 0;

    if (len == 0)
        return 0;
    buf[0] = '\0';
    snprintf(head, sizeof(head), "vmx: rev 0x%x vmcs %u", (unsigned)c->revision,
             (unsigned)c->vmcs_size);
    append(buf, len, &off, head);
    append_flags(buf, len, &off, " ept(", ept, sizeof(ept) / sizeof(ept[0]));
    append_flags(buf, len, &off, "", mid, sizeof(mid) / sizeof(mid[0]));
    append_flags(buf, len, &off, " apicv(", apicv, sizeof(apicv) / sizeof(apicv[0]));
    append_flags(buf, len, &off, "", tail, sizeof(tail) / sizeof(tail[0]));
    return off;
}

/* ------------------------------------------------------------------------
 * Names
 */

/* SDM appendix C, table C-1 */
static const char *const exit_reason_names[VMX_EXIT_REASON_COUNT] = {
    [VMX_EXIT_EXCEPTION_NMI] = "exception or NMI",
    [VMX_EXIT_EXT_INTR] = "external interrupt",
    [VMX_EXIT_TRIPLE_FAULT] = "triple fault",
    [VMX_EXIT_INIT] = "INIT signal",
    [VMX_EXIT_SIPI] = "start-up IPI",
    [VMX_EXIT_IO_SMI] = "I/O SMI",
    [VMX_EXIT_OTHER_SMI] = "other SMI",
    [VMX_EXIT_INTR_WINDOW] = "interrupt window",
    [VMX_EXIT_NMI_WINDOW] = "NMI window",
    [VMX_EXIT_TASK_SWITCH] = "task switch",
    [VMX_EXIT_CPUID] = "CPUID",
    [VMX_EXIT_GETSEC] = "GETSEC",
    [VMX_EXIT_HLT] = "HLT",
    [VMX_EXIT_INVD] = "INVD",
    [VMX_EXIT_INVLPG] = "INVLPG",
    [VMX_EXIT_RDPMC] = "RDPMC",
    [VMX_EXIT_RDTSC] = "RDTSC",
    [VMX_EXIT_RSM] = "RSM",
    [VMX_EXIT_VMCALL] = "VMCALL",
    [VMX_EXIT_VMCLEAR] = "VMCLEAR",
    [VMX_EXIT_VMLAUNCH] = "VMLAUNCH",
    [VMX_EXIT_VMPTRLD] = "VMPTRLD",
    [VMX_EXIT_VMPTRST] = "VMPTRST",
    [VMX_EXIT_VMREAD] = "VMREAD",
    [VMX_EXIT_VMRESUME] = "VMRESUME",
    [VMX_EXIT_VMWRITE] = "VMWRITE",
    [VMX_EXIT_VMXOFF] = "VMXOFF",
    [VMX_EXIT_VMXON] = "VMXON",
    [VMX_EXIT_CR_ACCESS] = "control-register access",
    [VMX_EXIT_MOV_DR] = "MOV DR",
    [VMX_EXIT_IO] = "I/O instruction",
    [VMX_EXIT_RDMSR] = "RDMSR",
    [VMX_EXIT_WRMSR] = "WRMSR",
    [VMX_EXIT_INVALID_GUEST_STATE] = "VM-entry failure: invalid guest state",
    [VMX_EXIT_MSR_LOADING] = "VM-entry failure: MSR loading",
    [VMX_EXIT_MWAIT] = "MWAIT",
    [VMX_EXIT_MONITOR_TRAP_FLAG] = "monitor trap flag",
    [VMX_EXIT_MONITOR] = "MONITOR",
    [VMX_EXIT_PAUSE] = "PAUSE",
    [VMX_EXIT_MACHINE_CHECK] = "VM-entry failure: machine-check event",
    [VMX_EXIT_TPR_BELOW_THRESHOLD] = "TPR below threshold",
    [VMX_EXIT_APIC_ACCESS] = "APIC access",
    [VMX_EXIT_VIRTUALIZED_EOI] = "virtualized EOI",
    [VMX_EXIT_GDTR_IDTR] = "access to GDTR or IDTR",
    [VMX_EXIT_LDTR_TR] = "access to LDTR or TR",
    [VMX_EXIT_EPT_VIOLATION] = "EPT violation",
    [VMX_EXIT_EPT_MISCONFIG] = "EPT misconfiguration",
    [VMX_EXIT_INVEPT] = "INVEPT",
    [VMX_EXIT_RDTSCP] = "RDTSCP",
    [VMX_EXIT_PREEMPTION_TIMER] = "VMX-preemption timer expired",
    [VMX_EXIT_INVVPID] = "INVVPID",
    [VMX_EXIT_WBINVD] = "WBINVD or WBNOINVD",
    [VMX_EXIT_XSETBV] = "XSETBV",
    [VMX_EXIT_APIC_WRITE] = "APIC write",
    [VMX_EXIT_RDRAND] = "RDRAND",
    [VMX_EXIT_INVPCID] = "INVPCID",
    [VMX_EXIT_VMFUNC] = "VMFUNC",
    [VMX_EXIT_ENCLS] = "ENCLS",
    [VMX_EXIT_RDSEED] = "RDSEED",
    [VMX_EXIT_PML_FULL] = "page-modification log full",
    [VMX_EXIT_XSAVES] = "XSAVES",
    [VMX_EXIT_XRSTORS] = "XRSTORS",
    [VMX_EXIT_PCONFIG] = "PCONFIG",
    [VMX_EXIT_SPP_EVENT] = "SPP-related event",
    [VMX_EXIT_UMWAIT] = "UMWAIT",
    [VMX_EXIT_TPAUSE] = "TPAUSE",
    [VMX_EXIT_LOADIWKEY] = "LOADIWKEY",
    [VMX_EXIT_ENCLV] = "ENCLV",
    [VMX_EXIT_ENQCMD_PASID_FAIL] = "ENQCMD PASID translation failure",
    [VMX_EXIT_ENQCMDS_PASID_FAIL] = "ENQCMDS PASID translation failure",
    [VMX_EXIT_BUS_LOCK] = "bus lock",
    [VMX_EXIT_INSTRUCTION_TIMEOUT] = "instruction timeout",
    [VMX_EXIT_SEAMCALL] = "SEAMCALL",
    [VMX_EXIT_TDCALL] = "TDCALL",
    [VMX_EXIT_RDMSRLIST] = "RDMSRLIST",
    [VMX_EXIT_WRMSRLIST] = "WRMSRLIST",
};

const char *vmx_exit_reason_name(unsigned basic)
{
    if (basic < VMX_EXIT_REASON_COUNT && exit_reason_names[basic])
        return exit_reason_names[basic];
    return "unknown exit reason";
}

/* SDM 30.4, table 30-1 */
static const char *const instruction_error_names[VMX_ERR_MAX + 1] = {
    [VMX_ERR_VMCALL_IN_ROOT] = "VMCALL executed in VMX root operation",
    [VMX_ERR_VMCLEAR_BAD_ADDR] = "VMCLEAR with invalid physical address",
    [VMX_ERR_VMCLEAR_VMXON_PTR] = "VMCLEAR with VMXON pointer",
    [VMX_ERR_VMLAUNCH_NOT_CLEAR] = "VMLAUNCH with non-clear VMCS",
    [VMX_ERR_VMRESUME_NOT_LAUNCHED] = "VMRESUME with non-launched VMCS",
    [VMX_ERR_VMRESUME_AFTER_VMXOFF] = "VMRESUME after VMXOFF",
    [VMX_ERR_ENTRY_BAD_CONTROLS] = "VM entry with invalid control field(s)",
    [VMX_ERR_ENTRY_BAD_HOST_STATE] = "VM entry with invalid host-state field(s)",
    [VMX_ERR_VMPTRLD_BAD_ADDR] = "VMPTRLD with invalid physical address",
    [VMX_ERR_VMPTRLD_VMXON_PTR] = "VMPTRLD with VMXON pointer",
    [VMX_ERR_VMPTRLD_BAD_REVISION] = "VMPTRLD with incorrect VMCS revision identifier",
    [VMX_ERR_UNSUPPORTED_FIELD] = "VMREAD/VMWRITE from/to unsupported VMCS component",
    [VMX_ERR_WRITE_READ_ONLY] = "VMWRITE to read-only VMCS component",
    [VMX_ERR_VMXON_IN_ROOT] = "VMXON executed in VMX root operation",
    [VMX_ERR_ENTRY_BAD_EXEC_PTR] = "VM entry with invalid executive-VMCS pointer",
    [VMX_ERR_ENTRY_EXEC_NOT_LAUNCHED] = "VM entry with non-launched executive VMCS",
    [VMX_ERR_ENTRY_EXEC_NOT_VMXON] = "VM entry with executive-VMCS pointer not VMXON pointer",
    [VMX_ERR_VMCALL_NOT_CLEAR] = "VMCALL with non-clear VMCS",
    [VMX_ERR_VMCALL_BAD_EXIT_CONTROLS] = "VMCALL with invalid VM-exit control fields",
    [VMX_ERR_VMCALL_BAD_MSEG_REVISION] = "VMCALL with incorrect MSEG revision identifier",
    [VMX_ERR_VMXOFF_DUAL_MONITOR] = "VMXOFF under dual-monitor treatment of SMIs and SMM",
    [VMX_ERR_VMCALL_BAD_SMM_FEATURES] = "VMCALL with invalid SMM-monitor features",
    [VMX_ERR_ENTRY_BAD_EXEC_CONTROLS] =
        "VM entry with invalid VM-execution control fields in executive VMCS",
    [VMX_ERR_ENTRY_MOV_SS_BLOCKING] = "VM entry with events blocked by MOV SS",
    [VMX_ERR_INVEPT_INVVPID_OPERAND] = "invalid operand to INVEPT/INVVPID",
};

const char *vmx_instruction_error_name(unsigned err)
{
    if (err <= VMX_ERR_MAX && instruction_error_names[err])
        return instruction_error_names[err];
    return "unknown VM-instruction error";
}
