/* SPDX-License-Identifier: MIT */
/*
 * The AVIC test rig (tests/unit/avic_rig.h): Keel's pure AVIC driver and
 * vLAPIC over the model of the hardware, with the hypervisor's glue
 * mirrored step by step.
 */
#include "avic_rig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apic/apic_defs.h"
#include "apic/apic_dest.h"
#include "svm/avic.h"
#include "svm/svm.h"

#define MSR_EXIT_CODE 0x7cu   /* VMEXIT_MSR */

static uint64_t pa(const void *p) { return (uint64_t)(uintptr_t)p; }

static void *spa_to_ptr(void *ctx, uint64_t spa, uint64_t len)
{
    (void)ctx;
    (void)len;
    return spa ? (void *)(uintptr_t)spa : NULL;
}

static void *page_alloc(size_t pages)
{
    void *p = aligned_alloc(4096, pages * 4096);
    if (!p)
        abort();
    memset(p, 0, pages * 4096);
    return p;
}

/* ---- vLAPIC callbacks (hv/vapic.c) ---------------------------------------- */

static uint64_t cb_now(void *ctx)
{
    struct rig_vcpu *v = ctx;
    return __atomic_load_n(&v->rig->tsc, __ATOMIC_RELAXED);
}

static void cb_send(void *ctx, const struct apic_msg *m)
{
    struct rig_vcpu *v = ctx;
    if (v->ndefer < RIG_DEFER)
        v->defer[v->ndefer++] = *m;
    else
        v->anomalies++;
}

static void cb_eoi_level(void *ctx, uint8_t vector)
{
    struct rig_vcpu *v = ctx;
    (void)vector;
    __atomic_add_fetch(&v->rig->eoi_level, 1, __ATOMIC_RELAXED);
}

static void cb_dest_changed(void *ctx) { ((struct rig_vcpu *)ctx)->dest_changed = true; }

static void cb_mode_changed(void *ctx, enum vlapic_mode o, enum vlapic_mode n)
{
    (void)o;
    (void)n;
    ((struct rig_vcpu *)ctx)->dest_changed = true;
}

static const struct vlapic_ops rig_vlapic_ops = {
    .now = cb_now, .send = cb_send, .eoi_level = cb_eoi_level,
    .mode_changed = cb_mode_changed, .dest_changed = cb_dest_changed,
};

/* ---- locking and deferred work (hv/vapic.c vapic_unlock, publish_view) ---- */

static void vlock(struct rig_vcpu *v) { pthread_mutex_lock(&v->lock); }

static void publish_view(struct rig_vcpu *v, const struct apic_dest_view *view)
{
    struct rig *r = v->rig;
    pthread_mutex_lock(&r->map_lock);
    r->views[v->idx] = *view;
    /* svm_avic_logical_update under map_lock; the reasons as publish_view */
    (void)avic_logical_build(r->logical, r->views, r->n);
    uint32_t why = apic_accel_view_reasons(r->views, r->n);
    pthread_mutex_unlock(&r->map_lock);
    const uint32_t mask = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED;
    if (why & mask)
        rig_inhibit(r, why & mask, true);
    if (~why & mask)
        rig_inhibit(r, ~why & mask, false);
}

static void vunlock(struct rig_vcpu *v)
{
    struct apic_msg d[RIG_DEFER];
    unsigned nd = v->ndefer;
    memcpy(d, v->defer, nd * sizeof(d[0]));
    v->ndefer = 0;
    bool dest = v->dest_changed;
    struct apic_dest_view view;
    if (dest)
        vlapic_dest_view(&v->vl, &view);
    v->dest_changed = false;
    pthread_mutex_unlock(&v->lock);
    if (dest)
        publish_view(v, &view);
    for (unsigned i = 0; i < nd; i++)
        rig_route(v->rig, &d[i], v->idx);
}

/* ---- set-up ----------------------------------------------------------------- */

void rig_init(struct rig *r, unsigned n, bool x2avic, bool erratum)
{
    memset(r, 0, sizeof(*r));
    r->n = n;
    r->x2avic = x2avic;
    r->erratum = erratum;
    pthread_mutex_init(&r->inhibit_lock, NULL);
    pthread_mutex_init(&r->map_lock, NULL);
    /* svm_avic_probe */
    r->caps.xapic = true;
    r->caps.x2apic = x2avic;
    r->caps.posted = true;
    r->caps.ipi = !erratum;
    r->caps.x2apic_hybrid = true;
    r->caps.inhibits_all = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED
                           | APIC_INHIBIT_BASE_MOVED | APIC_INHIBIT_IRQ_WINDOW
                           | APIC_INHIBIT_PIT_REINJECT | APIC_INHIBIT_ID_TOO_BIG;
    apic_inhibit_init(&r->inhibit, apic_accel_honoured(&r->caps), 0);
    /* svm_vm_init, svm_avic_vm_init */
    r->phys = page_alloc(1);
    r->logical = page_alloc(1);
    r->msrpm = page_alloc(2);
    memset(r->msrpm, 0xff, 8192);
    r->msrpm_x2avic = page_alloc(2);
    memcpy(r->msrpm_x2avic, r->msrpm, 8192);
    avic_x2avic_msrpm(r->msrpm_x2avic);
    uint32_t host_ids[RIG_MAX];
    for (unsigned i = 0; i < n; i++) {
        struct rig_vcpu *v = &r->v[i];
        v->rig = r;
        v->idx = i;
        pthread_mutex_init(&v->lock, NULL);
        v->page = page_alloc(1);
        v->vmcb = page_alloc(1);
        struct vlapic_config cfg = { .apic_id = i, .vcpu_index = (int)i, .bsp = i == 0,
                                     .x2apic_allowed = true, .tsc_deadline_allowed = true,
                                     .icr_bit12_gp = true };
        vlapic_init(&v->vl, v->page, &cfg, &rig_vlapic_ops, v);
        vlapic_reset(&v->vl, false);
        /* The guest software-enables its APIC (SVR bit 8, vector FF). */
        vlapic_mmio_write(&v->vl, APIC_SVR, 4, 0x1ff);
        vlapic_dest_view(&v->vl, &r->views[i]);
        /* svm_avic_vcpu_init: every entry valid from the start */
        r->phys[i] = avic_phys_entry(pa(v->page), RIG_HOST_ID(i), false);
        host_ids[i] = RIG_HOST_ID(i);
        r->max_index = i;
    }
    avic_logical_build(r->logical, r->views, n);
    struct avic_hw_features f = { .avic = true, .x2avic = x2avic };
    struct avic_hw_mem mem = { .spa_to_ptr = spa_to_ptr };
    r->hw = avic_hw_create(&f, n, host_ids, &mem);
    if (!r->hw)
        abort();
}

void rig_fini(struct rig *r)
{
    avic_hw_destroy(r->hw);
    for (unsigned i = 0; i < r->n; i++) {
        free(r->v[i].page);
        free(r->v[i].vmcb);
    }
    free(r->phys);
    free(r->logical);
    free(r->msrpm);
    free(r->msrpm_x2avic);
}

static void kick(struct rig_vcpu *t);

/* vapic_inhibit: a toggle kicks every vCPU, which re-decides at entry. */
void rig_inhibit(struct rig *r, uint32_t reasons, bool set)
{
    pthread_mutex_lock(&r->inhibit_lock);
    enum apic_inhibit_change c = apic_inhibit_update(&r->inhibit, reasons, set, -1, 0);
    pthread_mutex_unlock(&r->inhibit_lock);
    if (c == APIC_INHIBIT_TOGGLED)
        for (unsigned i = 0; i < r->n; i++)
            kick(&r->v[i]);
}

/* ---- entry and exit (hv/run.c, svm_avic_apply) -------------------------------- */

static void set_running(struct rig_vcpu *v, bool running)
{
    uint64_t *e = &v->rig->phys[v->idx];
    uint64_t old = __atomic_load_n(e, __ATOMIC_ACQUIRE);
    __atomic_store_n(e, avic_phys_running(old, running && !v->rig->erratum), __ATOMIC_SEQ_CST);
}

static const uint16_t trap_regs[] = {
    APIC_ID, APIC_LDR, APIC_DFR, APIC_SVR, APIC_ESR, APIC_ICR, APIC_LVT_TIMER, APIC_LVT_THERMAL,
    APIC_LVT_PERF, APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR, APIC_TMICT, APIC_TDCR,
    APIC_LVT_CMCI,
};

bool rig_enter(struct rig_vcpu *v)
{
    struct rig *r = v->rig;
    struct apic_accel_input in = { .vm_active = apic_inhibit_active(&r->inhibit),
                                   .vm_reasons = apic_inhibit_reasons(&r->inhibit),
                                   .vm_honoured = r->inhibit.honoured,
                                   .mode = vlapic_get_mode(&v->vl), .x2apic_hybrid = true };
    struct apic_accel a = apic_accel_decide(&r->caps, &in);
    bool x2 = a.on && a.regs == APIC_ACCEL_REGS_X2APIC;
    struct avic_vmcb_cfg cfg = { .enable = a.on, .x2apic_mode = x2,
                                 .apic_bar = vlapic_base_address(&v->vl),
                                 .backing_pa = pa(v->page), .logical_pa = pa(r->logical),
                                 .physical_pa = pa(r->phys), .max_index = r->max_index };
    avic_vmcb_apply(&v->vmcb->ctl, &cfg);
    v->vmcb->ctl.msrpm_base_pa = pa(x2 ? r->msrpm_x2avic : r->msrpm);
    v->vmcb->ctl.int_ctl |= SVM_INT_CTL_V_INTR_MASKING;
    /* svm_init_intercepts: what Keel intercepts (the MSR map needs MSR_PROT). */
    v->vmcb->ctl.intercept_misc1 = SVM_INTERCEPT_INTR | SVM_INTERCEPT_NMI | SVM_INTERCEPT_CPUID
                                   | SVM_INTERCEPT_HLT | SVM_INTERCEPT_IOIO | SVM_INTERCEPT_MSR
                                   | SVM_INTERCEPT_SHUTDOWN;
    v->vmcb->ctl.intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL;
    v->vmcb->ctl.np_control = SVM_NP_ENABLE;
    v->vmcb->ctl.guest_asid = 1;
    v->accel = a;
    __atomic_store_n(&v->accel_on, a.on, __ATOMIC_RELEASE);  /* what senders look at */
    /* svm_avic_apply: IsRunning only while AVIC is on for the vCPU; an
     * emulated vCPU must make AVIC senders exit (and kick it), since a
     * doorbell would not reach its emulated APIC. */
    set_running(v, a.on && !__atomic_load_n(&v->halted, __ATOMIC_ACQUIRE));
    /* vapic_accel_prepare: the committed values the trap replay restores */
    vlock(v);
    for (unsigned i = 0; i < sizeof(trap_regs) / sizeof(trap_regs[0]); i++)
        v->trap_shadow[trap_regs[i] >> 4] = v->page[trap_regs[i] >> 2];
    pthread_mutex_unlock(&v->lock);
    if (!a.on) {
        v->in_guest = true;      /* emulated: the rig plays the CPU */
        return true;
    }
    if (avic_hw_vmrun(r->hw, v->idx, pa(v->vmcb)) != 0) {
        const char *why = avic_hw_last_invalid(r->hw, v->idx);
        fprintf(stderr, "rig: VMRUN of vCPU %u refused: %s\n", v->idx, why ? why : "?");
        return false;
    }
    v->in_guest = true;
    return true;
}

void rig_exit(struct rig_vcpu *v)
{
    if (v->in_guest && v->accel.on && avic_hw_in_guest(v->rig->hw, v->idx))
        avic_hw_vmexit(v->rig->hw, v->idx);
    v->in_guest = false;
}

/* ---- exits (svm_decode_avic, hv/emul, hv/vapic_accel.c) ----------------------- */

/* vcpu_kick: an IPI to the target's pCPU.  It wakes a halted vCPU, and
 * makes one in guest mode exit; the owner thread acts on it (rig_take). */
static void kick(struct rig_vcpu *t)
{
    __atomic_store_n(&t->kicked, true, __ATOMIC_SEQ_CST);
    if (__atomic_exchange_n(&t->halted, false, __ATOMIC_SEQ_CST))
        __atomic_add_fetch(&t->wakes, 1, __ATOMIC_RELAXED);
}

static void take_kick(struct rig_vcpu *v)
{
    if (__atomic_exchange_n(&v->kicked, false, __ATOMIC_SEQ_CST) && v->in_guest
        && !__atomic_load_n(&v->halted, __ATOMIC_ACQUIRE)) {
        rig_exit(v);
        rig_enter(v);
    }
}

/* xapic_trapped_write / vapic_apic_write */
static void trapped_write(struct rig_vcpu *v, uint32_t off)
{
    vlock(v);
    if (vlapic_get_mode(&v->vl) == VLAPIC_MODE_X2APIC) {
        if (off == APIC_ICR)
            (void)vlapic_write_icr(&v->vl, vlapic_read_icr(&v->vl));
        else if (off == APIC_EOI)
            (void)vlapic_msr_write(&v->vl, X2APIC_MSR_BASE + (APIC_EOI >> 4), 0);
        else
            v->anomalies++;
    } else if (off == APIC_EOI) {
        vlapic_mmio_write(&v->vl, APIC_EOI, 4, 0);
    } else {
        uint32_t val = v->page[off >> 2];
        v->page[off >> 2] = v->trap_shadow[off >> 4];
        vlapic_mmio_write(&v->vl, off, 4, val);
        v->trap_shadow[off >> 4] = v->page[off >> 2];
    }
    vunlock(v);
}

/* vapic_ipi_incomplete */
static void incomplete_ipi(struct rig_vcpu *v, uint64_t icr, uint64_t info2)
{
    switch (avic_ipi_action(info2)) {
    case AVIC_IPI_DELIVER:
        vlock(v);
        (void)vlapic_write_icr(&v->vl, icr);
        vunlock(v);
        break;
    case AVIC_IPI_WAKE: {
        /* vapic_kick_icr_targets */
        struct apic_msg m;
        vlock(v);
        vlapic_icr_msg(&v->vl, icr, &m);
        pthread_mutex_unlock(&v->lock);
        pthread_mutex_lock(&v->rig->map_lock);
        uint64_t targets = apic_dest_match(v->rig->views, v->rig->n, &m, NULL);
        pthread_mutex_unlock(&v->rig->map_lock);
        for (unsigned i = 0; i < v->rig->n; i++)
            if ((targets & (1ull << i)) && i != v->idx)
                kick(&v->rig->v[i]);
        break;
    }
    default:
        v->anomalies++;
        break;
    }
}

/* One #VMEXIT; the CPU is in host mode after it, the run loop re-enters.
 * A fault-class access is emulated here (*val for reads); the rest of
 * the exits complete what the CPU began. */
static bool handle_exit(struct rig_vcpu *v, const struct avic_hw_result *res, bool write,
                        uint32_t msr_or_off, uint64_t *val)
{
    v->in_guest = false;
    bool ok = true;
    if (res->exitcode == SVM_EXIT_AVIC_INCOMPLETE_IPI) {
        __atomic_add_fetch(&v->rig->ipi_exits, 1, __ATOMIC_RELAXED);
        if (getenv("RIG_DEBUG"))
            fprintf(stderr, "rig: vCPU %u incomplete IPI icr %#llx info2 %#llx\n", v->idx, (unsigned long long)res->exitinfo1, (unsigned long long)res->exitinfo2);
        incomplete_ipi(v, res->exitinfo1, res->exitinfo2);
    } else if (res->exitcode == SVM_EXIT_AVIC_UNACCELERATED_ACCESS) {
        __atomic_add_fetch(&v->rig->noaccel_exits, 1, __ATOMIC_RELAXED);
        struct avic_noaccel d = avic_noaccel_decode(res->exitinfo1);
        if (d.trap) {
            trapped_write(v, d.offset);
        } else {
            uint32_t r32 = 0;
            vlock(v);
            if (d.write)
                vlapic_mmio_write(&v->vl, msr_or_off & 0xffc, 4, (uint32_t)*val);
            else
                vlapic_mmio_read(&v->vl, msr_or_off & 0xffc, 4, &r32);
            vunlock(v);
            if (!d.write)
                *val = r32;
        }
    } else if (res->exitcode == MSR_EXIT_CODE) {
        vlock(v);
        int rc = write ? vlapic_msr_write(&v->vl, msr_or_off, *val)
                       : vlapic_msr_read(&v->vl, msr_or_off, val);
        vunlock(v);
        ok = rc == 0;
    } else {
        fprintf(stderr, "rig: vCPU %u: unexpected exit %#llx (%#llx, %#llx)\n", v->idx,
                (unsigned long long)res->exitcode, (unsigned long long)res->exitinfo1,
                (unsigned long long)res->exitinfo2);
        v->rig->unexpected++;
    }
    rig_enter(v);
    return ok;
}

uint32_t rig_mmio_read(struct rig_vcpu *v, uint32_t off)
{
    uint64_t val = 0;
    if (!v->accel.on) {
        uint32_t r32 = 0;
        vlock(v);
        vlapic_mmio_read(&v->vl, off, 4, &r32);
        vunlock(v);
        return r32;
    }
    uint32_t r32 = 0;
    struct avic_hw_result res = avic_hw_mmio_read(v->rig->hw, v->idx, off, &r32);
    if (!res.exited)
        return r32;
    handle_exit(v, &res, false, off, &val);
    return (uint32_t)val;
}

void rig_mmio_write(struct rig_vcpu *v, uint32_t off, uint32_t val)
{
    if (!v->accel.on) {
        vlock(v);
        vlapic_mmio_write(&v->vl, off, 4, val);
        vunlock(v);
        return;
    }
    uint64_t v64 = val;
    struct avic_hw_result res = avic_hw_mmio_write(v->rig->hw, v->idx, off, val);
    if (res.exited)
        handle_exit(v, &res, true, off, &v64);
}

uint64_t rig_rdmsr(struct rig_vcpu *v, uint32_t msr)
{
    uint64_t val = 0;
    if (!v->accel.on) {
        vlock(v);
        vlapic_msr_read(&v->vl, msr, &val);
        vunlock(v);
        return val;
    }
    struct avic_hw_result res = avic_hw_rdmsr(v->rig->hw, v->idx, msr, &val);
    if (res.exited)
        handle_exit(v, &res, false, msr, &val);
    else if (res.passthrough)
        v->rig->unexpected++;    /* would reach the host's own MSR */
    return val;
}

bool rig_wrmsr(struct rig_vcpu *v, uint32_t msr, uint64_t val)
{
    if (!v->accel.on) {
        vlock(v);
        int rc = vlapic_msr_write(&v->vl, msr, val);
        vunlock(v);
        return rc == 0;
    }
    struct avic_hw_result res = avic_hw_wrmsr(v->rig->hw, v->idx, msr, val);
    if (res.gp)
        return false;
    if (res.passthrough)
        v->rig->unexpected++;
    if (res.exited)
        return handle_exit(v, &res, true, msr, &val);
    return true;
}

/* ---- delivery (hv/vapic.c deliver_one, svm_avic_post) --------------------------- */

static bool postable(struct rig_vcpu *t, const struct apic_msg *m)
{
    return (m->dm == APIC_DM_FIXED || m->dm == APIC_DM_LOWEST) && !m->level && m->vector >= 16
           && vlapic_get_mode(&t->vl) != VLAPIC_MODE_DISABLED && vlapic_sw_enabled(&t->vl);
}

static void deliver_one(struct rig *r, struct rig_vcpu *t, const struct apic_msg *m,
                        unsigned host_pcpu)
{
    if (postable(t, m) && __atomic_load_n(&t->accel_on, __ATOMIC_ACQUIRE)) {
        uint32_t *irr = &t->page[(0x200u + (m->vector >> 5) * 0x10u) >> 2];
        __atomic_fetch_or(irr, 1u << (m->vector & 31), __ATOMIC_SEQ_CST);
        uint64_t e = __atomic_load_n(&r->phys[t->idx], __ATOMIC_SEQ_CST);
        if (t->idx != host_pcpu && (e & AVIC_PHYS_IS_RUNNING)
            && !avic_hw_in_guest(r->hw, host_pcpu))
            (void)avic_hw_doorbell(r->hw, host_pcpu, RIG_HOST_ID(t->idx));
        else
            kick(t);
        return;
    }
    vlock(t);
    vlapic_deliver(&t->vl, m);
    vunlock(t);
    kick(t);
}

void rig_route(struct rig *r, const struct apic_msg *m, unsigned host_pcpu)
{
    pthread_mutex_lock(&r->map_lock);
    uint64_t targets = apic_dest_plan(r->views, r->n, m, NULL, NULL);
    pthread_mutex_unlock(&r->map_lock);
    for (unsigned i = 0; i < r->n; i++)
        if (targets & (1ull << i))
            deliver_one(r, &r->v[i], m, host_pcpu);
}

/* ---- taking interrupts, EOI, HLT -------------------------------------------------- */

int rig_take(struct rig_vcpu *v)
{
    take_kick(v);
    if (v->accel.on)
        return avic_hw_take_interrupt(v->rig->hw, v->idx);
    vlock(v);
    int p = vlapic_highest_pending(&v->vl);
    if (p >= 0)
        vlapic_ack(&v->vl, (uint8_t)p);
    vunlock(v);
    return p;
}

void rig_eoi(struct rig_vcpu *v)
{
    if (vlapic_get_mode(&v->vl) == VLAPIC_MODE_X2APIC)
        rig_wrmsr(v, X2APIC_MSR_BASE + (APIC_EOI >> 4), 0);
    else
        rig_mmio_write(v, APIC_EOI, 0);
}

bool rig_block(struct rig_vcpu *v)
{
    rig_exit(v);
    __atomic_store_n(&v->halted, true, __ATOMIC_SEQ_CST);
    set_running(v, false);
    vlock(v);
    bool pending = vlapic_highest_pending(&v->vl) >= 0;
    pthread_mutex_unlock(&v->lock);
    if (pending)
        __atomic_store_n(&v->halted, false, __ATOMIC_SEQ_CST);
    return !pending;
}

void rig_unblock(struct rig_vcpu *v)
{
    __atomic_store_n(&v->halted, false, __ATOMIC_SEQ_CST);
}
