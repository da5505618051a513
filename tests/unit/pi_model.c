/* SPDX-License-Identifier: MIT */
/*
 * The CPU model behind tests/unit/test_vmx_pi.c (what is and is not
 * modelled: pi_model.h).  Each function names the SDM section it follows.
 * The model shares only the descriptor layout and vmx_ipiv_check_icr() with
 * vmx/vmx_pi.c; posting, PIR processing and the PID-pointer table walk are
 * written again here from the SDM so that the tests compare two readings.
 */
#include "pi_model.h"

#include <string.h>

#define VREG_STRIDE   4u      /* 16 bytes between 32-bit registers, in uint32_t */
#define APIC_WRITE_ICR_QUAL 0x300u

/* ---- 256-bit registers of the virtual-APIC page (SDM 29.1.1) ---------- */

static uint32_t *vreg(uint32_t *page, unsigned base, uint8_t vector)
{
    return &page[base + VREG_STRIDE * (vector / 32u)];
}

static void vreg_set(uint32_t *page, unsigned base, uint8_t vector)
{
    *vreg(page, base, vector) |= 1u << (vector % 32u);
}

static void vreg_clear(uint32_t *page, unsigned base, uint8_t vector)
{
    *vreg(page, base, vector) &= ~(1u << (vector % 32u));
}

static bool vreg_test(const uint32_t *page, unsigned base, uint8_t vector)
{
    return page[base + VREG_STRIDE * (vector / 32u)] & (1u << (vector % 32u));
}

/* Highest set vector, or -1. */
static int vreg_highest(const uint32_t *page, unsigned base)
{
    for (int r = 7; r >= 0; r--) {
        uint32_t w = page[base + VREG_STRIDE * (unsigned)r];
        if (w)
            return r * 32 + 31 - __builtin_clz(w);
    }
    return -1;
}

bool pim_virr(const struct pim_vcpu *v, uint8_t vector)
{
    return vreg_test(v->vapic, PIM_VIRR, vector);
}

bool pim_visr(const struct pim_vcpu *v, uint8_t vector)
{
    return vreg_test(v->vapic, PIM_VISR, vector);
}

/* ---- set-up ------------------------------------------------------------- */

void pim_init(struct pim *m, unsigned nlp, unsigned nvcpu, bool host_x2apic, uint8_t nv)
{
    memset(m, 0, sizeof(*m));
    m->nlp = nlp < PIM_MAX_LP ? nlp : PIM_MAX_LP;
    m->nvcpu = nvcpu < PIM_MAX_VCPU ? nvcpu : PIM_MAX_VCPU;
    m->host_x2apic = host_x2apic;
    m->maxphyaddr = 46;
    for (unsigned i = 0; i < m->nlp; i++) {
        m->lp[i].apic_id = 2u * i + 2u;
        m->lp[i].state = PIM_IN_HOST;
        m->lp[i].vcpu = -1;
    }
    for (unsigned i = 0; i < m->nvcpu; i++) {
        m->vcpu[i].posted = true;
        m->vcpu[i].nv = nv;
        m->vcpu[i].guest_if = true;
        m->vcpu[i].auto_eoi = true;
        m->vcpu[i].lp = -1;
    }
}

int pim_map(struct pim *m, uint64_t pa, struct vmx_pi_desc *d)
{
    if (m->nmem >= PIM_MAX_MEM || (pa & 63u))
        return -1;
    m->mem[m->nmem].pa = pa;
    m->mem[m->nmem].desc = d;
    m->nmem++;
    return 0;
}

struct vmx_pi_desc *pim_desc_at(struct pim *m, uint64_t pa)
{
    for (unsigned i = 0; i < m->nmem; i++)
        if (m->mem[i].pa == pa)
            return m->mem[i].desc;
    return NULL;
}

const struct pim_exit *pim_last_exit(const struct pim *m)
{
    return m->nexits ? &m->exits[(m->nexits - 1) % PIM_MAX_EXITS] : NULL;
}

/* ---- virtual interrupts (SDM 29.1.3, 29.1.4, 29.2) ---------------------- */

/* 29.2.1: recognize a virtual interrupt when RVI's class beats VPPR's. */
static void evaluate(struct pim_vcpu *v)
{
    uint32_t vppr = v->vapic[PIM_VPPR] & 0xffu;

    v->recognized = !v->intr_window_exiting && (v->rvi >> 4) > (vppr >> 4);
}

/* 29.1.3 PPR virtualization. */
static void ppr_virtualize(struct pim_vcpu *v)
{
    uint32_t vtpr = v->vapic[PIM_VTPR] & 0xffu;

    v->vapic[PIM_VPPR] = (vtpr >> 4) >= (v->svi >> 4u) ? vtpr : (v->svi & 0xf0u);
}

static void record_exit(struct pim *m, unsigned lpi, unsigned reason, uint32_t qual,
                        uint8_t vector)
{
    struct pim_lp *lp = &m->lp[lpi];
    struct pim_exit *e = &m->exits[m->nexits++ % PIM_MAX_EXITS];

    e->lp = lpi;
    e->vcpu = (unsigned)lp->vcpu;
    e->reason = reason;
    e->qual = qual;
    e->vector = vector;
    if (lp->vcpu >= 0)
        m->vcpu[lp->vcpu].lp = -1;
    lp->vcpu = -1;
    lp->state = PIM_IN_HOST;
    lp->host_if = false;          /* VM exit loads host RFLAGS = 2 */
}

/* 29.1.4 EOI virtualization. */
static void eoi_virtualize(struct pim *m, struct pim_vcpu *v)
{
    uint8_t vector = v->svi;
    int next;

    v->vapic[PIM_VEOI] = 0;
    vreg_clear(v->vapic, PIM_VISR, vector);
    next = vreg_highest(v->vapic, PIM_VISR);
    v->svi = next < 0 ? 0 : (uint8_t)next;
    ppr_virtualize(v);
    if (v->eoi_exit[vector / 64u] & (1ull << (vector % 64u)))
        record_exit(m, (unsigned)v->lp, PIM_EXIT_VIRT_EOI, vector, 0);
    else
        evaluate(v);
}

/* 29.2.2 virtual-interrupt delivery, one interrupt. */
static bool deliver_one(struct pim *m, struct pim_vcpu *v)
{
    uint8_t vector = v->rvi;
    int next;

    if (!v->recognized || !v->guest_if || v->intr_window_exiting)
        return false;
    vreg_set(v->vapic, PIM_VISR, vector);
    v->svi = vector;
    v->vapic[PIM_VPPR] = vector & 0xf0u;
    vreg_clear(v->vapic, PIM_VIRR, vector);
    next = vreg_highest(v->vapic, PIM_VIRR);
    v->rvi = next < 0 ? 0 : (uint8_t)next;
    v->recognized = false;        /* "cease recognition" */
    v->delivered[vector]++;
    v->ndelivered++;
    if (v->auto_eoi)
        eoi_virtualize(m, v);
    return true;
}

static void deliver_all(struct pim *m, unsigned lpi)
{
    for (unsigned n = 0; n < 512 && m->lp[lpi].state == PIM_IN_GUEST; n++)
        if (!deliver_one(m, &m->vcpu[m->lp[lpi].vcpu]))
            break;
}

/* 29.6 steps 3-7, after the LAPIC was acknowledged (step 1), the vector
 * matched (step 2) and the EOI dismissed it (step 4: the IRR bit is gone). */
static void posted_interrupt_processing(struct pim *m, struct pim_vcpu *v)
{
    struct vmx_pi_desc *d = pim_desc_at(m, v->pid_pa);
    int highest = -1;

    if (!d) {
        m->errors++;
        return;
    }
    __atomic_fetch_and(&d->control, ~VMX_PI_CTL_ON, __ATOMIC_SEQ_CST);       /* 3 */
    for (unsigned w = 0; w < VMX_PI_PIR_WORDS; w++) {                        /* 5 */
        uint64_t bits = __atomic_exchange_n(&d->pir[w], 0, __ATOMIC_SEQ_CST);
        for (unsigned b = 0; b < 64; b++) {
            if (bits & (1ull << b)) {
                vreg_set(v->vapic, PIM_VIRR, (uint8_t)(64u * w + b));
                highest = (int)(64u * w + b);
            }
        }
    }
    if (highest > v->rvi)                                                    /* 6 */
        v->rvi = (uint8_t)highest;
    v->pi_processed++;
    evaluate(v);                                                             /* 7 */
}

/* ---- physical interrupts ----------------------------------------------- */

static int irr_highest(const struct pim_lp *lp)
{
    for (int w = 3; w >= 0; w--)
        if (lp->irr[w])
            return w * 64 + 63 - __builtin_clzll(lp->irr[w]);
    return -1;
}

static void host_takes(struct pim_lp *lp, uint8_t vector)
{
    lp->host_intr[vector]++;
    lp->nhost_intr++;
}

/* Offer @lp its pending interrupts, highest first. */
static void lp_service(struct pim *m, unsigned lpi)
{
    struct pim_lp *lp = &m->lp[lpi];
    int vec;

    while ((vec = irr_highest(lp)) >= 0) {
        uint8_t vector = (uint8_t)vec;
        if (lp->state == PIM_IN_HOST && !lp->host_if)
            return;                          /* stays pending in the IRR */
        lp->irr[vector / 64u] &= ~(1ull << (vector % 64u));   /* acknowledged */
        if (lp->state == PIM_IN_GUEST) {
            struct pim_vcpu *v = &m->vcpu[lp->vcpu];
            /* Non-root, external-interrupt exiting = 1: RFLAGS.IF does not
             * block it.  29.6 step 2 picks processing or a VM exit. */
            if (v->posted && vector == v->nv) {
                posted_interrupt_processing(m, v);
                continue;
            }
            record_exit(m, lpi, PIM_EXIT_EXTINT, 0, vector);
            host_takes(lp, vector);          /* dispatched from the exit info */
            continue;
        }
        if (lp->state == PIM_BLOCKED) {
            lp->state = PIM_IN_HOST;         /* HLT ends; IF stays 1 */
            lp->host_if = true;
        }
        host_takes(lp, vector);
    }
    if (lp->state == PIM_IN_GUEST)
        deliver_all(m, lpi);
}

void pim_send_ipi(struct pim *m, uint32_t ndst, uint8_t vector)
{
    uint32_t id = vmx_pi_ndst_apic_id(ndst, m->host_x2apic);

    m->ipis_sent++;
    for (unsigned i = 0; i < m->nlp; i++) {
        if (m->lp[i].apic_id != id)
            continue;
        m->lp[i].irr[vector / 64u] |= 1ull << (vector % 64u);
        if (!m->defer_ipis)
            lp_service(m, i);
        return;
    }
    m->errors++;                             /* no such APIC */
}

void pim_run(struct pim *m)
{
    for (unsigned i = 0; i < m->nlp; i++)
        lp_service(m, i);
}

/* ---- transitions ---------------------------------------------------------- */

void pim_vmentry(struct pim *m, unsigned lpi, unsigned vcpu)
{
    struct pim_lp *lp = &m->lp[lpi];
    struct pim_vcpu *v = &m->vcpu[vcpu];

    if (lp->state != PIM_IN_HOST || v->lp >= 0) {
        m->errors++;
        return;
    }
    lp->state = PIM_IN_GUEST;
    lp->vcpu = (int)vcpu;
    v->lp = (int)lpi;
    evaluate(v);                  /* VM entry with virtual-interrupt delivery */
    lp_service(m, lpi);           /* also delivers */
}

void pim_vmexit(struct pim *m, unsigned lpi, unsigned reason, uint32_t qual)
{
    if (m->lp[lpi].state != PIM_IN_GUEST) {
        m->errors++;
        return;
    }
    record_exit(m, lpi, reason, qual, 0);
}

void pim_host_set_if(struct pim *m, unsigned lpi, bool on)
{
    if (m->lp[lpi].state != PIM_IN_HOST) {
        m->errors++;
        return;
    }
    m->lp[lpi].host_if = on;
    if (on)
        lp_service(m, lpi);
}

void pim_block(struct pim *m, unsigned lpi)
{
    if (m->lp[lpi].state != PIM_IN_HOST) {
        m->errors++;
        return;
    }
    m->lp[lpi].state = PIM_BLOCKED;
    m->lp[lpi].host_if = true;
    lp_service(m, lpi);
}

void pim_guest_set_if(struct pim *m, unsigned lpi, bool on)
{
    if (m->lp[lpi].state != PIM_IN_GUEST) {
        m->errors++;
        return;
    }
    m->vcpu[m->lp[lpi].vcpu].guest_if = on;
    if (on)
        deliver_all(m, lpi);
}

void pim_guest_eoi(struct pim *m, unsigned vcpu)
{
    struct pim_vcpu *v = &m->vcpu[vcpu];

    if (v->lp < 0) {
        m->errors++;
        return;
    }
    eoi_virtualize(m, v);
    if (v->lp >= 0)
        deliver_all(m, (unsigned)v->lp);
}

/* ---- the guest's ICR write ---------------------------------------------- */

/* 30.1.6: PID_ADDR from the table; bits 5:0 must read 000001b and no bit at
 * or above MAXPHYADDR may be set. */
static enum vmx_ipiv_verdict pid_walk(struct pim *m, const struct pim_vcpu *v, uint32_t dest,
                                      struct vmx_pi_desc **out)
{
    uint64_t entry;

    if (dest > v->last_pid_index)
        return VMX_IPIV_DEST_RANGE;
    entry = __atomic_load_n(&v->pid_table[dest], __ATOMIC_SEQ_CST);
    if ((entry & 0x3fu) != 1u || (entry >> m->maxphyaddr) != 0)
        return VMX_IPIV_PID_INVALID;
    *out = pim_desc_at(m, entry & ~0x3full);
    if (!*out) {
        m->errors++;              /* the CPU would write wherever it points */
        return VMX_IPIV_PID_INVALID;
    }
    return VMX_IPIV_VIRTUALIZED;
}

/* 30.1.6: PIR[V] = 1 under the descriptor lock, then, under the lock of the
 * notification information, ON = 1 and an IPI if ON and SN were both 0. */
static void cpu_post(struct pim *m, struct vmx_pi_desc *d, uint8_t vector)
{
    uint64_t info, updated;

    __atomic_fetch_or(&d->pir[vector >> 6], 1ull << (vector & 63u), __ATOMIC_SEQ_CST);
    info = __atomic_load_n(&d->control, __ATOMIC_SEQ_CST);
    for (;;) {
        if (info & (VMX_PI_CTL_ON | VMX_PI_CTL_SN))
            return;
        updated = info | VMX_PI_CTL_ON;
        if (__atomic_compare_exchange_n(&d->control, &info, updated, false, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            break;
    }
    pim_send_ipi(m, (uint32_t)(updated >> 32), (uint8_t)(updated >> 16));
}

/* The written value lands on the virtual-APIC page first (29.4.3.1, 30.5):
 * x2APIC, 64 bits at 300H; xAPIC, ICR at 300H and ICR2 at 310H with
 * bytes 2:0 of VICR_HI cleared (29.4.3.2). */
static void store_vicr(struct pim_vcpu *v, uint64_t icr)
{
    v->vapic[PIM_VICR_LO] = (uint32_t)icr;
    if (v->x2apic)
        v->vapic[PIM_VICR_LO + 1] = (uint32_t)(icr >> 32);
    else
        v->vapic[PIM_VICR_HI] = (uint32_t)(icr >> 32) & 0xff000000u;
}

/* 29.1.5 self-IPI virtualization. */
static void self_ipi(struct pim_vcpu *v, uint8_t vector)
{
    vreg_set(v->vapic, PIM_VIRR, vector);
    if (vector > v->rvi)
        v->rvi = vector;
    evaluate(v);
}

enum vmx_ipiv_verdict pim_guest_write_icr(struct pim *m, unsigned lpi, uint64_t icr)
{
    struct pim_lp *lp = &m->lp[lpi];
    struct pim_vcpu *v;
    struct vmx_pi_desc *d = NULL;
    enum vmx_ipiv_verdict r;

    if (lp->state != PIM_IN_GUEST) {
        m->errors++;
        return VMX_IPIV_GP;
    }
    v = &m->vcpu[lp->vcpu];
    r = vmx_ipiv_check_icr(icr, v->x2apic);
    if (r == VMX_IPIV_GP) {
        v->gp++;
        return r;
    }
    store_vicr(v, icr);
    if (r == VMX_IPIV_SELF_IPI) {
        self_ipi(v, (uint8_t)icr);
        deliver_all(m, lpi);
        return r;
    }
    if (r == VMX_IPIV_VIRTUALIZED && !v->ipiv)
        m->errors++;              /* the tests model IPIv vCPUs only */
    if (r == VMX_IPIV_VIRTUALIZED)
        r = pid_walk(m, v, vmx_ipiv_dest(icr, v->x2apic), &d);
    if (r != VMX_IPIV_VIRTUALIZED) {
        record_exit(m, lpi, PIM_EXIT_APIC_WRITE, APIC_WRITE_ICR_QUAL, 0);  /* trap-like */
        return r;
    }
    cpu_post(m, d, (uint8_t)icr);
    return r;
}
