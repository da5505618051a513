/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for vmx/vmx_pi.c against the CPU model in pi_model.c:
 * the descriptor layout, posting to running, preempted and blocked vCPUs,
 * ON coalescing, the SN and pre-entry sync protocol, the block/unblock
 * notification-vector switch and its race, the IPIv decision for every ICR
 * field and the PID-pointer table, and posting from several threads at
 * once.  The "hv_" helpers below are what Keel's run loop does around the
 * model CPU.
 */
#define _POSIX_C_SOURCE 200809L

#include "check.h"
#include "pi_model.h"
#include "vmx/vmx_pi.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define NV       0xf2u   /* posted-interrupt notification vector */
#define WAKEUP   0xf1u   /* wake-up vector of blocked vCPUs */
#define EXIT_HLT 12u
#define NTABLE   16u

static struct pim m;
static struct vmx_pi_desc desc[PIM_MAX_VCPU];
static uint64_t pid_table[NTABLE];

static uint64_t desc_pa(unsigned vc)
{
    return 0x100000ull + 0x40ull * vc;
}

/* vCPU i has virtual APIC ID i; its descriptor is mapped, its PID-pointer
 * table entry valid. */
static void setup(unsigned nlp, unsigned nvcpu, bool host_x2apic)
{
    pim_init(&m, nlp, nvcpu, host_x2apic, NV);
    memset(pid_table, 0, sizeof(pid_table));
    for (unsigned i = 0; i < nvcpu; i++) {
        vmx_pi_desc_init(&desc[i]);
        pim_map(&m, desc_pa(i), &desc[i]);
        vmx_pid_table_set(pid_table, NTABLE, i, desc_pa(i));
        m.vcpu[i].pid_pa = desc_pa(i);
        m.vcpu[i].ipiv = true;
        m.vcpu[i].pid_table = pid_table;
    }
    for (unsigned i = 0; i < nvcpu; i++)
        m.vcpu[i].last_pid_index = vmx_pid_last_index(pid_table, NTABLE);
}

static uint32_t ndst_of(unsigned lp)
{
    return vmx_pi_ndst(m.lp[lp].apic_id, m.host_x2apic);
}

/* Pre-entry, host IF = 0: notify this LP from now on, collect what was
 * posted meanwhile, enter. */
static void hv_enter(unsigned lp, unsigned vc)
{
    struct pim_vcpu *v = &m.vcpu[vc];

    CHECK(!m.lp[lp].host_if);
    vmx_pi_set_notify(&desc[vc], NV, ndst_of(lp));
    if (vmx_pi_clear_sn(&desc[vc])) {
        uint16_t st = (uint16_t)(v->rvi | (v->svi << 8));
        st = vmx_pi_merge_rvi(st, vmx_pi_sync_to_virr(&desc[vc], v->vapic));
        v->rvi = (uint8_t)st;
    }
    pim_vmentry(&m, lp, vc);
}

/* Post @vector to vCPU @vc and send the notification if told to. */
static bool hv_post(unsigned vc, uint8_t vector, struct vmx_pi_notify *sent)
{
    struct vmx_pi_notify n = { 0, 0 };

    if (!vmx_pi_post(&desc[vc], vector, &n))
        return false;
    pim_send_ipi(&m, n.ndst, n.nv);
    if (sent)
        *sent = n;
    return true;
}

/* The vCPU on @lp exits and is preempted: posts stop notifying. */
static void hv_preempt(unsigned lp)
{
    unsigned vc = (unsigned)m.lp[lp].vcpu;

    pim_vmexit(&m, lp, 0, 0);
    vmx_pi_set_sn(&desc[vc]);
}

static bool pir_empty(const struct vmx_pi_desc *d)
{
    return !(d->pir[0] | d->pir[1] | d->pir[2] | d->pir[3]);
}

static bool pir_test(const struct vmx_pi_desc *d, uint8_t v)
{
    return d->pir[v / 64u] & (1ull << (v % 64u));
}

static unsigned nv_of(const struct vmx_pi_desc *d)
{
    return (unsigned)((vmx_pi_control(d) & VMX_PI_CTL_NV_MASK) >> VMX_PI_CTL_NV_SHIFT);
}

/* ---- layout --------------------------------------------------------------- */

static void test_layout(void)
{
    static struct vmx_pi_desc d;
    const unsigned char *b = (const unsigned char *)&d;
    struct vmx_pi_notify n = { 0, 0 };

    CHECK_EQ(sizeof(struct vmx_pi_desc), 64);
    CHECK_EQ(_Alignof(struct vmx_pi_desc), 64);
    CHECK_EQ(offsetof(struct vmx_pi_desc, control), 32);
    CHECK_EQ((uintptr_t)&desc[1] - (uintptr_t)&desc[0], 64);
    CHECK_EQ((uintptr_t)&desc[0] & 63u, 0);

    memset(&d, 0xa5, sizeof(d));
    vmx_pi_desc_init(&d);
    CHECK(pir_empty(&d));
    CHECK_EQ(vmx_pi_control(&d), VMX_PI_CTL_SN);
    CHECK_EQ(d.rsvd[0] | d.rsvd[1] | d.rsvd[2], 0);
    CHECK_EQ(b[32], 0x02);                         /* SN is bit 257 */

    /* NV in bits 279:272 (byte 34), NDST in 319:288 (bytes 36-39) */
    vmx_pi_set_notify(&d, 0xf2, vmx_pi_ndst(0x12345678u, true));
    CHECK_EQ(b[34], 0xf2);
    CHECK(b[36] == 0x78 && b[37] == 0x56 && b[38] == 0x34 && b[39] == 0x12);
    CHECK_EQ(b[32], 0x02);                         /* SN kept */
    CHECK_EQ(vmx_pi_control(&d) & VMX_PI_CTL_RSVD_MASK, 0);

    /* xAPIC NDST: the 8-bit ID in bits 15:8 */
    CHECK_EQ(vmx_pi_ndst(0x17, false), 0x1700);
    CHECK_EQ(vmx_pi_ndst(0x117, false), 0x1700);
    CHECK_EQ(vmx_pi_ndst_apic_id(0x1700, false), 0x17);
    CHECK_EQ(vmx_pi_ndst_apic_id(0x12345678u, true), 0x12345678u);
    vmx_pi_set_notify(&d, 0x20, vmx_pi_ndst(0xfe, false));
    CHECK(b[34] == 0x20 && b[36] == 0x00 && b[37] == 0xfe && b[38] == 0 && b[39] == 0);

    /* PIR bit v is bit v of bytes 0-31; ON is bit 256 */
    vmx_pi_clear_sn(&d);
    CHECK(vmx_pi_post(&d, 0, &n));
    CHECK_EQ(b[0], 0x01);
    CHECK_EQ(b[32], 0x01);                         /* ON */
    CHECK(n.nv == 0x20 && n.ndst == 0xfe00);
    CHECK(!vmx_pi_post(&d, 255, &n));
    CHECK_EQ(b[31], 0x80);
    CHECK(!vmx_pi_post(&d, 67, &n));
    CHECK_EQ(d.pir[1], 1ull << 3);
    vmx_pi_set_notify(&d, 0x30, 0x40);             /* ON kept */
    CHECK_EQ(vmx_pi_control(&d), VMX_PI_CTL_ON | (0x30ull << 16) | (0x40ull << 32));
}

/* ---- posting -------------------------------------------------------------- */

/* A running vCPU: one notification, handled by the CPU in non-root
 * operation, no VM exit, for both host APIC modes. */
static void test_post_running(void)
{
    for (int x2 = 0; x2 <= 1; x2++) {
        struct pim_vcpu *v;
        struct vmx_pi_notify n = { 0, 0 };

        setup(2, 2, x2);
        if (x2)
            m.lp[1].apic_id = 0x12345u;            /* needs all 32 NDST bits */
        v = &m.vcpu[1];
        hv_enter(1, 1);
        CHECK(hv_post(1, 0x41, &n));
        CHECK_EQ(n.nv, NV);
        CHECK_EQ(n.ndst, x2 ? 0x12345u : (4u << 8));
        CHECK_EQ(m.ipis_sent, 1);
        CHECK_EQ(v->delivered[0x41], 1);
        CHECK_EQ(v->pi_processed, 1);
        CHECK_EQ(m.nexits, 0);
        CHECK_EQ(m.lp[1].nhost_intr, 0);
        CHECK(!(vmx_pi_control(&desc[1]) & VMX_PI_CTL_ON));
        CHECK(pir_empty(&desc[1]));
        CHECK(!pim_virr(v, 0x41) && !pim_visr(v, 0x41));
        CHECK(v->rvi == 0 && v->svi == 0);
        CHECK_EQ(m.errors, 0);
    }
}

/* Posts before the notification is taken: one IPI, ON coalesces them, one
 * posted-interrupt processing delivers all. */
static void test_coalesce(void)
{
    struct pim_vcpu *v;
    unsigned notified = 0;

    setup(2, 2, false);
    v = &m.vcpu[1];
    hv_enter(1, 1);
    m.defer_ipis = true;
    for (uint8_t vec = 0x30; vec < 0x3a; vec++)
        notified += hv_post(1, vec, NULL);
    notified += hv_post(1, 0x35, NULL);            /* same vector again */
    CHECK_EQ(notified, 1);
    CHECK_EQ(m.ipis_sent, 1);
    CHECK(vmx_pi_control(&desc[1]) & VMX_PI_CTL_ON);
    CHECK_EQ(desc[1].pir[0], 0x03ffull << 48);
    CHECK_EQ(v->ndelivered, 0);

    pim_run(&m);
    CHECK_EQ(v->pi_processed, 1);
    CHECK_EQ(v->ndelivered, 10);
    for (uint8_t vec = 0x30; vec < 0x3a; vec++)
        CHECK_EQ(v->delivered[vec], 1);
    CHECK_EQ(m.nexits, 0);

    /* ON was cleared by the CPU: the next post notifies again */
    CHECK(hv_post(1, 0x50, NULL));
    pim_run(&m);
    CHECK_EQ(v->delivered[0x50], 1);
    CHECK_EQ(m.ipis_sent, 2);
    CHECK_EQ(m.errors, 0);
}

/* SN: no notification, the vector waits in PIR; the pre-entry sync moves it
 * into VIRR and RVI becomes the larger of old RVI and the highest moved. */
static void test_sn_and_sync(void)
{
    static uint32_t page[1024];
    struct pim_vcpu *v;

    setup(2, 2, false);
    v = &m.vcpu[1];
    hv_enter(1, 1);
    hv_preempt(1);
    CHECK(vmx_pi_control(&desc[1]) & VMX_PI_CTL_SN);
    CHECK(!hv_post(1, 0x45, NULL));
    CHECK(!hv_post(1, 0x62, NULL));
    CHECK_EQ(m.ipis_sent, 0);
    CHECK(!(vmx_pi_control(&desc[1]) & VMX_PI_CTL_ON));
    CHECK(pir_test(&desc[1], 0x45) && pir_test(&desc[1], 0x62));
    CHECK_EQ(m.lp[1].irr[0] | m.lp[1].irr[1] | m.lp[1].irr[2] | m.lp[1].irr[3], 0);

    /* An interrupt the emulated path left pending before: VIRR 0x50, RVI 0x50 */
    v->vapic[PIM_VIRR + 4 * (0x50 / 32)] |= 1u << (0x50 % 32);
    v->rvi = 0x50;
    CHECK(vmx_pi_clear_sn(&desc[1]));
    CHECK_EQ(vmx_pi_sync_to_virr(&desc[1], v->vapic), 0x62);
    CHECK_EQ(vmx_pi_merge_rvi(v->rvi, 0x62), 0x62);
    v->rvi = 0x62;
    CHECK(pim_virr(v, 0x45) && pim_virr(v, 0x50) && pim_virr(v, 0x62));
    CHECK(pir_empty(&desc[1]));
    CHECK(!vmx_pi_pending(&desc[1]));
    pim_vmentry(&m, 1, 1);
    CHECK(v->delivered[0x45] == 1 && v->delivered[0x50] == 1 && v->delivered[0x62] == 1);
    CHECK_EQ(v->ndelivered, 3);

    /* The sync itself: VIRR register i at 0x200 + 0x10 * i, other bits kept */
    memset(page, 0, sizeof(page));
    page[0x200 / 4 + 4 * 7] = 1u << 3;             /* vector 0xe3 already pending */
    vmx_pi_desc_init(&desc[0]);
    vmx_pi_clear_sn(&desc[0]);
    CHECK_EQ(vmx_pi_sync_to_virr(&desc[0], page), -1);
    CHECK_EQ(page[0x200 / 4 + 4 * 7], 1u << 3);
    desc[0].pir[0] = 1ull << 32 | 1ull << 16;      /* vectors 0x20, 0x10 */
    desc[0].pir[3] = 1ull << 35;                   /* vector 0xe3 */
    desc[0].control |= VMX_PI_CTL_ON;
    CHECK_EQ(vmx_pi_sync_to_virr(&desc[0], page), 0xe3);
    CHECK_EQ(page[0x200 / 4], 1u << 16);
    CHECK_EQ(page[0x210 / 4], 1u << 0);
    CHECK_EQ(page[0x270 / 4], 1u << 3);
    CHECK(!vmx_pi_pending(&desc[0]));
    for (unsigned i = 0; i < 1024; i++)
        if (i != 0x200 / 4 && i != 0x210 / 4 && i != 0x270 / 4 && page[i])
            CHECK_EQ(i, 0);

    /* RVI merge: the larger wins, SVI is kept, -1 changes nothing */
    CHECK_EQ(vmx_pi_merge_rvi(0x0070, 0x62), 0x0070);
    CHECK_EQ(vmx_pi_merge_rvi(0x3010, 0x62), 0x3062);
    CHECK_EQ(vmx_pi_merge_rvi(0x3010, -1), 0x3010);
    CHECK_EQ(m.errors, 0);
}

/* A blocked vCPU: NV switched to the wake-up vector, so a post interrupts
 * the host with WAKEUP, not NV. */
static void test_blocked_wakeup(void)
{
    struct pim_vcpu *v;
    struct vmx_pi_notify n = { 0, 0 };

    setup(2, 2, true);
    v = &m.vcpu[1];
    hv_enter(1, 1);
    pim_vmexit(&m, 1, EXIT_HLT, 0);
    CHECK(vmx_pi_block_prepare(&desc[1], WAKEUP, ndst_of(1)));
    CHECK_EQ(nv_of(&desc[1]), WAKEUP);
    CHECK(!(vmx_pi_control(&desc[1]) & VMX_PI_CTL_SN));
    pim_block(&m, 1);
    CHECK_EQ(m.lp[1].state, PIM_BLOCKED);

    CHECK(hv_post(1, 0x41, &n));
    CHECK_EQ(n.nv, WAKEUP);
    CHECK_EQ(m.lp[1].host_intr[WAKEUP], 1);
    CHECK_EQ(m.lp[1].host_intr[NV], 0);
    CHECK_EQ(m.lp[1].state, PIM_IN_HOST);          /* woken */
    CHECK_EQ(v->ndelivered, 0);

    CHECK(vmx_pi_unblock(&desc[1], NV, ndst_of(1)));
    CHECK_EQ(nv_of(&desc[1]), NV);
    pim_host_set_if(&m, 1, false);
    hv_enter(1, 1);
    CHECK_EQ(v->delivered[0x41], 1);
    CHECK_EQ(v->pi_processed, 0);                  /* the hypervisor synced it */
    CHECK_EQ(m.nexits, 1);                         /* the HLT only */
    CHECK_EQ(m.errors, 0);
}

/* Block/unblock: a post between the switch and the re-check, or before the
 * switch, is seen by the re-check and delivered; without the re-check it
 * would have been lost. */
static void test_block_race(void)
{
    struct pim_vcpu *v;
    struct vmx_pi_notify n = { 0, 0 };

    /* (a) between the switch and the re-check */
    setup(2, 2, false);
    v = &m.vcpu[1];
    hv_enter(1, 1);
    pim_vmexit(&m, 1, EXIT_HLT, 0);
    vmx_pi_switch_to_wakeup(&desc[1], WAKEUP, ndst_of(1));
    CHECK(hv_post(1, 0x41, &n));
    CHECK_EQ(n.nv, WAKEUP);
    CHECK_EQ(m.lp[1].nhost_intr, 0);               /* IF = 0: pending */
    CHECK(vmx_pi_pending(&desc[1]));               /* re-check: do not sleep */
    CHECK(vmx_pi_unblock(&desc[1], NV, ndst_of(1)));
    pim_host_set_if(&m, 1, true);                  /* the run loop's interrupt window */
    CHECK_EQ(m.lp[1].host_intr[WAKEUP], 1);
    pim_host_set_if(&m, 1, false);
    hv_enter(1, 1);
    CHECK_EQ(v->delivered[0x41], 1);
    CHECK_EQ(m.nexits, 1);

    /* (b) before the switch: NV reaches the host as an ordinary interrupt,
     * ON stays set, PIR keeps the vector */
    pim_vmexit(&m, 1, EXIT_HLT, 0);
    CHECK(hv_post(1, 0x42, &n));
    CHECK_EQ(n.nv, NV);
    CHECK(!vmx_pi_block_prepare(&desc[1], WAKEUP, ndst_of(1)));
    pim_host_set_if(&m, 1, true);
    CHECK_EQ(m.lp[1].host_intr[NV], 1);
    CHECK(vmx_pi_control(&desc[1]) & VMX_PI_CTL_ON);
    CHECK(pir_test(&desc[1], 0x42));
    CHECK_EQ(v->pi_processed, 0);

    /* (c) why the re-check: with ON set nobody sends the wake-up vector */
    CHECK(!hv_post(1, 0x43, NULL));
    CHECK_EQ(m.lp[1].host_intr[WAKEUP], 1);        /* unchanged */

    CHECK(vmx_pi_unblock(&desc[1], NV, ndst_of(1)));
    pim_host_set_if(&m, 1, false);
    hv_enter(1, 1);
    CHECK(v->delivered[0x42] == 1 && v->delivered[0x43] == 1);

    /* (d) nothing pending: may sleep */
    pim_vmexit(&m, 1, EXIT_HLT, 0);
    CHECK(vmx_pi_block_prepare(&desc[1], WAKEUP, ndst_of(1)));
    CHECK(vmx_pi_unblock(&desc[1], NV, ndst_of(1)) == false);
    CHECK_EQ(m.errors, 0);
}

/* ---- race windows, played deterministically ------------------------------- */

/* The hook in vmx_pi.c runs hook_act once, the (hook_skip + 1)-th time the
 * code reaches hook_at: another CPU's access at exactly that point. */
static int hook_at = -1;
static unsigned hook_skip;
static void (*hook_act)(void);
static bool hook_result;

static void hook(struct vmx_pi_desc *d, enum vmx_pi_test_point at)
{
    void (*act)(void) = hook_act;

    (void)d;
    if ((int)at != hook_at || !act)
        return;
    if (hook_skip) {
        hook_skip--;
        return;
    }
    hook_at = -1;                 /* once; the act may re-enter vmx_pi.c */
    act();
}

static void arm(enum vmx_pi_test_point at, unsigned skip, void (*act)(void))
{
    hook_at = (int)at;
    hook_skip = skip;
    hook_act = act;
    hook_result = false;
}

static void act_post_21(void) { hook_result = hv_post(1, 0x21, NULL); }
static void act_post_e0(void) { hook_result = hv_post(1, 0xe0, NULL); }
static void act_post_41(void) { hook_result = hv_post(1, 0x41, NULL); }
static void act_cpu_runs(void) { pim_run(&m); }

/* vCPU 1 exited on LP 1 (host IF = 0), @vector posted meanwhile. */
static void race_setup(uint8_t vector)
{
    setup(2, 2, false);
    vmx_pi_test_hook = hook;
    hv_enter(1, 1);
    pim_vmexit(&m, 1, EXIT_HLT, 0);
    if (vector)
        CHECK(hv_post(1, vector, NULL));           /* NV pending at LP 1 */
}

/* The pre-entry sync (steps: clear ON, take each PIR word). */
static int race_sync(void)
{
    struct pim_vcpu *v = &m.vcpu[1];
    int h = vmx_pi_sync_to_virr(&desc[1], v->vapic);

    v->rvi = (uint8_t)vmx_pi_merge_rvi(v->rvi, h);
    return h;
}

static void test_race_windows(void)
{
    struct pim_vcpu *v;

    /* A post into a PIR word the sync has already taken: ON was cleared
     * first, so that post notifies, and the CPU takes the vector right
     * after VM entry. */
    race_setup(0x30);
    v = &m.vcpu[1];
    arm(VMX_PI_AT_SYNC_WORD_TAKEN, 0, act_post_21);
    CHECK_EQ(race_sync(), 0x30);
    CHECK(hook_result);
    CHECK(pir_test(&desc[1], 0x21) && (vmx_pi_control(&desc[1]) & VMX_PI_CTL_ON));
    pim_vmentry(&m, 1, 1);
    CHECK(v->delivered[0x21] == 1 && v->delivered[0x30] == 1);
    CHECK_EQ(v->pi_processed, 1);   /* the two NV IPIs met in LP 1's IRR as one */
    CHECK(!vmx_pi_pending(&desc[1]));

    /* A post between the ON clear and the PIR words: the same sync takes
     * it; its notification finds PIR empty and changes nothing. */
    race_setup(0);
    v = &m.vcpu[1];
    arm(VMX_PI_AT_SYNC_ON_CLEARED, 0, act_post_e0);
    CHECK_EQ(race_sync(), 0xe0);
    CHECK(hook_result);
    pim_vmentry(&m, 1, 1);
    CHECK_EQ(v->delivered[0xe0], 1);
    CHECK_EQ(v->pi_processed, 1);
    CHECK_EQ(v->ndelivered, 1);

    /* The CPU processes the outstanding notification between a post's PIR
     * write and its ON test: the post then finds ON clear and notifies
     * again (an empty notification), the vector arrives once. */
    setup(2, 2, false);
    vmx_pi_test_hook = hook;
    v = &m.vcpu[1];
    hv_enter(1, 1);
    m.defer_ipis = true;
    CHECK(hv_post(1, 0x40, NULL));
    arm(VMX_PI_AT_POST_PIR_SET, 0, act_cpu_runs);
    CHECK(hv_post(1, 0x41, NULL));
    CHECK(v->delivered[0x40] == 1 && v->delivered[0x41] == 1);
    pim_run(&m);
    CHECK_EQ(v->pi_processed, 2);
    CHECK_EQ(v->ndelivered, 2);
    CHECK_EQ(m.ipis_sent, 2);

    /* A post between an NV switch's read and its CAS: the CAS fails, the
     * retry keeps ON, the re-check sees it. */
    race_setup(0);
    arm(VMX_PI_AT_NOTIFY_READ, 0, act_post_41);
    CHECK(!vmx_pi_block_prepare(&desc[1], WAKEUP, ndst_of(1)));
    CHECK(hook_result);
    CHECK(vmx_pi_control(&desc[1]) & VMX_PI_CTL_ON);
    CHECK_EQ(nv_of(&desc[1]), WAKEUP);

    vmx_pi_test_hook = NULL;
    CHECK_EQ(m.errors, 0);
}

/* ---- IPI virtualization --------------------------------------------------- */

static uint64_t icr_to(uint32_t dest, uint32_t lo, bool x2apic)
{
    return (x2apic ? (uint64_t)dest << 32 : (uint64_t)(dest & 0xffu) << 56) | lo;
}

struct icr_case {
    uint32_t set;                 /* bits added to a good ICR low word */
    enum vmx_ipiv_verdict xapic, x2apic;
};

static const struct icr_case icr_cases[] = {
    { 1u << 11, VMX_IPIV_LOGICAL, VMX_IPIV_LOGICAL },
    { 1u << 15, VMX_IPIV_LEVEL, VMX_IPIV_LEVEL },
    { 1u << 15 | 1u << 14, VMX_IPIV_LEVEL, VMX_IPIV_LEVEL },
    { 1u << 8, VMX_IPIV_DELIVERY_MODE, VMX_IPIV_DELIVERY_MODE },     /* lowest priority */
    { 2u << 8, VMX_IPIV_DELIVERY_MODE, VMX_IPIV_DELIVERY_MODE },     /* SMI */
    { 3u << 8, VMX_IPIV_DELIVERY_MODE, VMX_IPIV_DELIVERY_MODE },
    { 4u << 8, VMX_IPIV_DELIVERY_MODE, VMX_IPIV_DELIVERY_MODE },     /* NMI */
    { 5u << 8, VMX_IPIV_DELIVERY_MODE, VMX_IPIV_DELIVERY_MODE },     /* INIT */
    { 6u << 8, VMX_IPIV_DELIVERY_MODE, VMX_IPIV_DELIVERY_MODE },     /* SIPI */
    { 7u << 8, VMX_IPIV_DELIVERY_MODE, VMX_IPIV_DELIVERY_MODE },     /* ExtINT */
    { 1u << 18, VMX_IPIV_SELF_IPI, VMX_IPIV_SHORTHAND },
    { 2u << 18, VMX_IPIV_SHORTHAND, VMX_IPIV_SHORTHAND },
    { 3u << 18, VMX_IPIV_SHORTHAND, VMX_IPIV_SHORTHAND },
    { 1u << 12, VMX_IPIV_RESERVED, VMX_IPIV_RESERVED },              /* delivery status */
};

/* Good base: fixed, physical, edge, no shorthand, vector 0x55, to vCPU 1. */
#define GOOD_LO 0x55u

static void expect_icr(uint64_t icr, bool x2, enum vmx_ipiv_verdict want)
{
    struct pim_vcpu *src = &m.vcpu[0], *dst = &m.vcpu[1];
    unsigned exits = m.nexits, got = dst->ndelivered, self = src->ndelivered, gp = src->gp;
    enum vmx_ipiv_verdict r = pim_guest_write_icr(&m, 0, icr);
    bool exit_expected = want != VMX_IPIV_VIRTUALIZED && want != VMX_IPIV_SELF_IPI
        && want != VMX_IPIV_GP;

    CHECK_EQ(r, want);
    CHECK_EQ(vmx_ipiv_explain(icr, x2, pid_table, src->last_pid_index, m.maxphyaddr), want);
    CHECK_EQ(m.nexits, exits + exit_expected);
    CHECK_EQ(src->gp, gp + (want == VMX_IPIV_GP));
    CHECK_EQ(dst->ndelivered, got + (want == VMX_IPIV_VIRTUALIZED));
    CHECK_EQ(src->ndelivered, self + (want == VMX_IPIV_SELF_IPI));
    if (exit_expected) {
        const struct pim_exit *e = pim_last_exit(&m);
        CHECK(e && e->reason == PIM_EXIT_APIC_WRITE && e->qual == 0x300 && e->lp == 0);
        CHECK_EQ(src->vapic[PIM_VICR_LO], (uint32_t)icr);
        CHECK_EQ(x2 ? src->vapic[PIM_VICR_LO + 1] : src->vapic[PIM_VICR_HI],
                 (uint32_t)(icr >> 32) & (x2 ? 0xffffffffu : 0xff000000u));
        hv_enter(0, 0);
    }
}

/* Every field that disqualifies an ICR write makes it exit (or #GP), the
 * good value does not. */
static void test_ipiv_fields(void)
{
    for (int x2 = 0; x2 <= 1; x2++) {
        setup(2, 2, false);
        m.vcpu[0].x2apic = m.vcpu[1].x2apic = x2;
        hv_enter(0, 0);
        hv_enter(1, 1);
        expect_icr(icr_to(1, GOOD_LO, x2), x2, VMX_IPIV_VIRTUALIZED);
        /* bit 14 (level) is not examined */
        expect_icr(icr_to(1, GOOD_LO | 1u << 14, x2), x2, VMX_IPIV_VIRTUALIZED);
        for (size_t i = 0; i < sizeof(icr_cases) / sizeof(icr_cases[0]); i++)
            expect_icr(icr_to(1, GOOD_LO | icr_cases[i].set, x2), x2,
                       x2 ? icr_cases[i].x2apic : icr_cases[i].xapic);
        /* reserved bits 13, 17:16, 31:20: an exit in xAPIC mode, #GP in x2APIC */
        for (unsigned bit = 13; bit < 32; bit++) {
            if (bit == 14 || bit == 15 || bit == 18 || bit == 19)
                continue;
            expect_icr(icr_to(1, GOOD_LO | 1u << bit, x2), x2,
                       x2 ? VMX_IPIV_GP : VMX_IPIV_RESERVED);
        }
        /* illegal vectors */
        for (unsigned vec = 0; vec < 16; vec += 5)
            expect_icr(icr_to(1, vec, x2), x2, VMX_IPIV_ILLEGAL_VECTOR);
        expect_icr(icr_to(1, 16, x2), x2, VMX_IPIV_VIRTUALIZED);
        CHECK_EQ(m.errors, 0);
    }
    /* xAPIC: ICR2 bits 55:32 do not matter, only 63:56 */
    setup(2, 2, false);
    hv_enter(0, 0);
    hv_enter(1, 1);
    expect_icr(icr_to(1, GOOD_LO, false) | 0x00ffffff00000000ull, false, VMX_IPIV_VIRTUALIZED);
    CHECK_EQ(vmx_ipiv_dest(0x01ffffff000000ffull, false), 1);
    CHECK_EQ(vmx_ipiv_dest(0x1234567800000000ull, true), 0x12345678u);
}

/* The PID-pointer table: above the last index, invalid, misaligned or
 * beyond MAXPHYADDR entries exit; the helpers. */
static void test_ipiv_table(void)
{
    uint64_t t[8] = { 0 };

    setup(2, 4, false);
    m.vcpu[0].x2apic = m.vcpu[1].x2apic = true;
    m.vcpu[0].last_pid_index = 2;                  /* vCPU 3 is beyond it */
    hv_enter(0, 0);
    hv_enter(1, 1);
    expect_icr(icr_to(1, GOOD_LO, true), true, VMX_IPIV_VIRTUALIZED);
    expect_icr(icr_to(3, GOOD_LO, true), true, VMX_IPIV_DEST_RANGE);
    expect_icr(icr_to(0xffffffffu, GOOD_LO, true), true, VMX_IPIV_DEST_RANGE);  /* broadcast */
    m.vcpu[0].last_pid_index = NTABLE - 1;
    expect_icr(icr_to(9, GOOD_LO, true), true, VMX_IPIV_PID_INVALID);   /* never set */
    vmx_pid_table_clear(pid_table, NTABLE, 1);
    expect_icr(icr_to(1, GOOD_LO, true), true, VMX_IPIV_PID_INVALID);
    pid_table[1] = desc_pa(1) | 0x21u;             /* valid but bit 5 set */
    expect_icr(icr_to(1, GOOD_LO, true), true, VMX_IPIV_PID_INVALID);
    pid_table[1] = desc_pa(1);                     /* valid bit clear */
    expect_icr(icr_to(1, GOOD_LO, true), true, VMX_IPIV_PID_INVALID);
    pid_table[1] = desc_pa(1) | 1ull << 46 | 1u;   /* beyond MAXPHYADDR 46 */
    expect_icr(icr_to(1, GOOD_LO, true), true, VMX_IPIV_PID_INVALID);
    CHECK_EQ(vmx_pid_table_set(pid_table, NTABLE, 1, desc_pa(1)), 0);
    expect_icr(icr_to(1, GOOD_LO, true), true, VMX_IPIV_VIRTUALIZED);

    CHECK_EQ(vmx_ipiv_check_pid_entry(0x1011, 52), VMX_IPIV_PID_INVALID);
    CHECK_EQ(vmx_ipiv_check_pid_entry(0x1041, 52), VMX_IPIV_VIRTUALIZED);
    CHECK_EQ(vmx_ipiv_check_pid_entry(1ull << 51 | 0x41, 52), VMX_IPIV_VIRTUALIZED);
    CHECK_EQ(vmx_ipiv_check_pid_entry(1ull << 52 | 0x41, 52), VMX_IPIV_PID_INVALID);

    CHECK_EQ(vmx_pid_last_index(t, 8), 0);
    CHECK_EQ(vmx_pid_table_set(t, 8, 8, 0x1000), -1);          /* beyond the table */
    CHECK_EQ(vmx_pid_table_set(t, 8, 5, 0x1020), -1);          /* not 64-byte aligned */
    CHECK_EQ(vmx_pid_table_set(t, 8, 5, 0x1040), 0);
    CHECK_EQ(t[5], 0x1041);
    CHECK_EQ(vmx_pid_table_set(t, 8, 2, 0x2000), 0);
    CHECK_EQ(vmx_pid_last_index(t, 8), 5);
    CHECK_EQ(vmx_pid_last_index(t, 4), 2);                     /* never past the table */
    CHECK_EQ(vmx_pid_table_clear(t, 8, 5), 0);
    CHECK_EQ(vmx_pid_table_clear(t, 8, 8), -1);
    CHECK_EQ(t[5], 0);
    CHECK_EQ(vmx_pid_last_index(t, 8), 2);
    CHECK(vmx_ipiv_verdict_name(VMX_IPIV_LOGICAL)[0] == 'l');
    CHECK(vmx_ipiv_verdict_name((enum vmx_ipiv_verdict)99)[0] == '?');
    CHECK_EQ(m.errors, 0);
}

/* Virtualized IPIs reach a running target without any exit, a preempted
 * one through the pre-entry sync, a blocked one through the wake-up vector. */
static void test_ipiv_delivery(void)
{
    struct pim_vcpu *src, *dst;

    setup(3, 3, true);
    src = &m.vcpu[0];
    dst = &m.vcpu[1];
    src->x2apic = true;
    hv_enter(0, 0);
    hv_enter(1, 1);
    CHECK_EQ(pim_guest_write_icr(&m, 0, icr_to(1, 0x66, true)), VMX_IPIV_VIRTUALIZED);
    CHECK_EQ(dst->delivered[0x66], 1);
    CHECK_EQ(dst->pi_processed, 1);
    CHECK_EQ(m.nexits, 0);
    CHECK_EQ(m.ipis_sent, 1);
    CHECK_EQ(m.lp[0].nhost_intr + m.lp[1].nhost_intr, 0);

    /* to itself, by physical ID */
    CHECK_EQ(pim_guest_write_icr(&m, 0, icr_to(0, 0x67, true)), VMX_IPIV_VIRTUALIZED);
    CHECK_EQ(src->delivered[0x67], 1);
    CHECK_EQ(m.nexits, 0);

    /* a target in the host, not preempted: NV is an ordinary host interrupt */
    hv_enter(2, 2);
    pim_vmexit(&m, 2, 0, 0);
    CHECK_EQ(pim_guest_write_icr(&m, 0, icr_to(2, 0x68, true)), VMX_IPIV_VIRTUALIZED);
    pim_host_set_if(&m, 2, true);
    CHECK_EQ(m.lp[2].host_intr[NV], 1);
    CHECK_EQ(m.vcpu[2].ndelivered, 0);
    pim_host_set_if(&m, 2, false);
    hv_enter(2, 2);
    CHECK_EQ(m.vcpu[2].delivered[0x68], 1);

    /* preempted (SN): no IPI at all, delivered at the next entry */
    hv_preempt(2);
    CHECK_EQ(pim_guest_write_icr(&m, 0, icr_to(2, 0x69, true)), VMX_IPIV_VIRTUALIZED);
    CHECK_EQ(m.ipis_sent, 3);
    hv_enter(2, 2);
    CHECK_EQ(m.vcpu[2].delivered[0x69], 1);

    /* blocked: the host of its LP gets the wake-up vector */
    pim_vmexit(&m, 1, EXIT_HLT, 0);
    CHECK(vmx_pi_block_prepare(&desc[1], WAKEUP, ndst_of(1)));
    pim_block(&m, 1);
    CHECK_EQ(pim_guest_write_icr(&m, 0, icr_to(1, 0x6a, true)), VMX_IPIV_VIRTUALIZED);
    CHECK_EQ(m.lp[1].host_intr[WAKEUP], 1);
    CHECK_EQ(m.lp[1].host_intr[NV], 0);
    CHECK(vmx_pi_unblock(&desc[1], NV, ndst_of(1)));
    pim_host_set_if(&m, 1, false);
    hv_enter(1, 1);
    CHECK_EQ(dst->delivered[0x6a], 1);
    CHECK_EQ(m.nexits, 3);                         /* all on LPs 1 and 2 */
    for (unsigned i = 0; i < m.nexits; i++)
        CHECK(m.exits[i].lp != 0);
    CHECK_EQ(m.errors, 0);
}

/* Model and vmx_ipiv_explain() agree on pseudo-random ICRs and tables. */
static void test_ipiv_random(void)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull;
    unsigned mismatches = 0, virtualized = 0;

    setup(2, 4, true);
    hv_enter(0, 0);
    hv_enter(1, 1);
    for (unsigned i = 0; i < 3000; i++) {
        bool x2;
        uint64_t icr;
        enum vmx_ipiv_verdict want, got;

        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        x2 = (seed >> 63) & 1;
        /* mostly-good low words so that the table is reached often */
        icr = (seed >> 20) & ((seed & 3) ? 0x0000c8ffull : 0xffffffffull);
        icr |= x2 ? ((seed >> 8) & 7) << 32 : ((seed >> 8) & 7) << 56;
        if ((seed & 0xf0) == 0)
            pid_table[(seed >> 40) & 3] ^= 1;      /* flip a valid bit now and then */
        m.vcpu[0].x2apic = x2;
        m.vcpu[0].last_pid_index = (uint16_t)((seed >> 44) & 7);
        want = vmx_ipiv_explain(icr, x2, pid_table, m.vcpu[0].last_pid_index, m.maxphyaddr);
        got = pim_guest_write_icr(&m, 0, icr);
        mismatches += got != want;
        virtualized += got == VMX_IPIV_VIRTUALIZED;
        if (m.lp[0].state != PIM_IN_GUEST)
            hv_enter(0, 0);
    }
    CHECK_EQ(mismatches, 0);
    CHECK(virtualized > 100);
    CHECK_EQ(m.errors, 0);
}

/* ---- concurrency ---------------------------------------------------------- */

/* Posters post distinct vectors into one descriptor while a consumer, which
 * syncs only when a notification was sent (as the CPU processes PIR only on
 * a notification), collects them.  Each round, once every poster is done
 * and every notification consumed, every vector must have arrived exactly
 * once: a post that found ON set must have been picked up by the consumer
 * of the outstanding notification.  With @flip the consumer also switches
 * NV between the notification and wake-up vectors, as blocking does,
 * concurrently with the posts (a lost ON would lose vectors). */
#define CONC_THREADS 4
#define CONC_ROUNDS  3000
#define CONC_FIRST   32u
#define CONC_COUNT   (256u - CONC_FIRST)

static struct vmx_pi_desc cdesc;
static uint32_t cpage[1024];
static pthread_barrier_t cbar;
static unsigned long notes_sent, bad_nv;
static unsigned posters_done;

static void *poster(void *arg)
{
    unsigned t = (unsigned)(uintptr_t)arg;

    for (unsigned r = 0; r < CONC_ROUNDS; r++) {
        pthread_barrier_wait(&cbar);
        /* alternate directions so that words are hit in both orders */
        for (unsigned i = 0; i < CONC_COUNT / CONC_THREADS; i++) {
            unsigned k = (r + t) & 1 ? CONC_COUNT / CONC_THREADS - 1 - i : i;
            struct vmx_pi_notify n = { 0, 0 };
            if (vmx_pi_post(&cdesc, (uint8_t)(CONC_FIRST + k * CONC_THREADS + t), &n)) {
                if (n.nv != NV && n.nv != WAKEUP)
                    __atomic_add_fetch(&bad_nv, 1, __ATOMIC_RELAXED);
                __atomic_add_fetch(&notes_sent, 1, __ATOMIC_SEQ_CST);
            }
        }
        __atomic_add_fetch(&posters_done, 1, __ATOMIC_SEQ_CST);
    }
    return NULL;
}

/* Take VIRR out of cpage, counting each vector. */
static unsigned drain(unsigned counts[256])
{
    unsigned n = 0;

    for (unsigned reg = 0; reg < 8; reg++) {
        uint32_t *w = &cpage[0x200 / 4 + 4 * reg];
        uint32_t bits = __atomic_exchange_n(w, 0, __ATOMIC_SEQ_CST);
        for (unsigned b = 0; b < 32; b++) {
            if (bits & (1u << b)) {
                counts[32 * reg + b]++;
                n++;
            }
        }
    }
    return n;
}

/* One round on the consumer side: handle notifications until the posters
 * are done and none is left; returns the vectors that arrived. */
static unsigned consume_round(bool flip, unsigned counts[256], unsigned long *handled)
{
    unsigned got = 0;

    for (;;) {
        /* posters_done first: once it reads CONC_THREADS, every post and
         * notes_sent increment of the round is visible. */
        bool done = __atomic_load_n(&posters_done, __ATOMIC_SEQ_CST) == CONC_THREADS;
        if (__atomic_load_n(&notes_sent, __ATOMIC_SEQ_CST) > *handled) {
            (*handled)++;
            vmx_pi_sync_to_virr(&cdesc, cpage);
            got += drain(counts);
        } else if (done) {
            return got;
        }
        if (flip && (*handled & 1))
            vmx_pi_switch_to_wakeup(&cdesc, WAKEUP, 0x100);
        else if (flip)
            vmx_pi_unblock(&cdesc, NV, 0x100);
    }
}

static void run_concurrency(bool flip)
{
    pthread_t th[CONC_THREADS];
    unsigned long handled = 0;
    unsigned dup = 0, missing = 0;

    vmx_pi_desc_init(&cdesc);
    vmx_pi_set_notify(&cdesc, NV, 0x100);
    vmx_pi_clear_sn(&cdesc);
    memset(cpage, 0, sizeof(cpage));
    notes_sent = bad_nv = 0;
    pthread_barrier_init(&cbar, NULL, CONC_THREADS + 1);
    for (unsigned t = 0; t < CONC_THREADS; t++)
        pthread_create(&th[t], NULL, poster, (void *)(uintptr_t)t);

    for (unsigned r = 0; r < CONC_ROUNDS; r++) {
        unsigned counts[256] = { 0 };
        __atomic_store_n(&posters_done, 0, __ATOMIC_SEQ_CST);
        pthread_barrier_wait(&cbar);
        consume_round(flip, counts, &handled);
        for (unsigned v = 0; v < 256; v++) {
            dup += counts[v] > 1 || (v < CONC_FIRST && counts[v]);
            missing += v >= CONC_FIRST && counts[v] == 0;
        }
        if (missing) {
            /* the vector is stranded in PIR: clean up for the next round */
            vmx_pi_sync_to_virr(&cdesc, cpage);
            drain(counts);
        }
    }
    for (unsigned t = 0; t < CONC_THREADS; t++)
        pthread_join(th[t], NULL);
    pthread_barrier_destroy(&cbar);

    CHECK_EQ(dup, 0);
    CHECK_EQ(missing, 0);
    CHECK_EQ(bad_nv, 0);
    CHECK_EQ(handled, notes_sent);
    CHECK(notes_sent >= CONC_ROUNDS);
    CHECK(notes_sent <= (unsigned long)CONC_ROUNDS * CONC_COUNT);
    CHECK(!vmx_pi_pending(&cdesc));
}

static void test_concurrency(void)
{
    run_concurrency(false);
    run_concurrency(true);
}

int main(void)
{
    test_layout();
    test_post_running();
    test_coalesce();
    test_sn_and_sync();
    test_blocked_wakeup();
    test_block_race();
    test_race_windows();
    test_ipiv_fields();
    test_ipiv_table();
    test_ipiv_delivery();
    test_ipiv_random();
    test_concurrency();
    return check_report("test_vmx_pi");
}
