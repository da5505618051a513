/* SPDX-License-Identifier: MIT */
/*
 * The vCPU side of APIC acceleration (Intel APICv today): asking the one
 * predicate in apic/apic_accel.c, keeping the shared APIC-access page in
 * the nested page tables exactly while every vCPU may see it, what the CPU
 * needs before an accelerated entry (RVI, SVI, VPPR, the EOI-exit bitmap),
 * and the trap-like exits an accelerated APIC still takes.  The vendor
 * code applies the decision; nothing here knows the vendor.
 * docs/apic-accel.md.
 */
#include <stdio.h>
#include <string.h>

#include "apic/apic_accel.h"
#include "apic/vlapic.h"
#include "hv/host/console.h"
#include "hv/mm/mem.h"
#include "hv/passthru.h"
#include "hv/vapic.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "hv/dev/vplatform.h"
#include "hv/emul/exit.h"

static const struct apic_accel_caps no_caps;

static const struct apic_accel_caps *caps(void)
{
    return vops->apic_accel_caps ? vops->apic_accel_caps : &no_caps;
}

bool vapic_accel_decide(struct vcpu *v, struct apic_accel *out)
{
    /* Only the vCPU itself changes its APIC mode: no lock needed. */
    const struct apic_inhibit_vm *m = &v->vm->inhibit;
    struct apic_accel_input in = {
        .vm_active = apic_inhibit_active(m),
        .vm_reasons = apic_inhibit_reasons(m),
        .vm_honoured = m->honoured,
        .mode = vlapic_get_mode(&v->apic.vl),
        .x2apic_hybrid = v->vm->x2apic_hybrid,
    };
    /* Decided again only when an input moved: this runs before every
     * entry, and the inputs change a few times in a VM's life. */
    if (v->apic.accel_decided && apic_accel_input_eq(&in, &v->apic.accel_in))
        return false;
    v->apic.accel_in = in;
    *out = apic_accel_decide(caps(), &in);
    return true;
}

void vapic_inhibit_init(struct vm *vm, uint32_t initial, uint32_t extra_honoured)
{
    vm->inhibit_lock = (struct spinlock)SPINLOCK_INIT;
    apic_inhibit_init(&vm->inhibit, apic_accel_honoured(caps()) | extra_honoured, initial);
    if (extra_honoured) {
        char buf[96];
        apic_inhibit_describe(extra_honoured, buf, sizeof(buf));
        log_info("vm%u: inhibit_test: %s also turn APIC acceleration off", vm->index, buf);
    }
}

/* ---- the inhibit machine's transitions ----------------------------------- */

/* After a change: the log line (info when the activation toggled or a
 * reason other than the IRQ window moved, which can come and go with every
 * 8259 interrupt), and on a toggle the page and every vCPU. */
static void inhibit_changed(struct vm *vm, enum apic_inhibit_change c, uint32_t reasons,
                            bool set, struct vcpu *by, bool page)
{
    if (c == APIC_INHIBIT_UNCHANGED)
        return;
    char what[96], now[96], who[16] = "";
    apic_inhibit_describe(reasons, what, sizeof(what));
    apic_inhibit_describe(apic_inhibit_reasons(&vm->inhibit), now, sizeof(now));
    if (by)
        snprintf(who, sizeof(who), " (vCPU %u)", by->index);
    bool quiet = c == APIC_INHIBIT_MASK && reasons == APIC_INHIBIT_IRQ_WINDOW;
    klog(quiet ? KLOG_DEBUG : KLOG_INFO, "vm%u: inhibit %s %s%s: %s (inhibits: %s)", vm->index,
         what, set ? "set" : "cleared", who,
         c == APIC_INHIBIT_TOGGLED ? (apic_inhibit_active(&vm->inhibit) ? "APIC acceleration on"
                                                                         : "APIC acceleration off")
                                   : "acceleration unchanged",
         now);
    if (c != APIC_INHIBIT_TOGGLED)
        return;
    if (page)
        vapic_accel_update_page(vm);
    passthru_accel_changed(vm); /* assigned devices: posted <-> remapped */
    for (unsigned i = 0; i < vm->nvcpus; i++)
        vcpu_kick(vm->vcpus[i]);
}

static enum apic_inhibit_change inhibit_locked(struct vm *vm, uint32_t reasons, bool set,
                                               struct vcpu *by)
{
    spin_lock(&vm->inhibit_lock);
    enum apic_inhibit_change c =
        apic_inhibit_update(&vm->inhibit, reasons, set, by ? (int)by->index : -1, rdtsc());
    spin_unlock(&vm->inhibit_lock);
    return c;
}

void vapic_inhibit_at_creation(struct vm *vm, uint32_t reasons)
{
    (void)inhibit_locked(vm, reasons, true, NULL);
}

void vapic_inhibit(struct vm *vm, uint32_t reasons, bool set, struct vcpu *by)
{
    /* Lock-free early out: most calls change nothing. */
    uint32_t cur = apic_inhibit_reasons(&vm->inhibit);
    if (set ? (cur & reasons) == reasons : (cur & reasons) == 0)
        return;
    inhibit_changed(vm, inhibit_locked(vm, reasons, set, by), reasons, set, by, true);
}

void vapic_irq_window(struct vcpu *v, bool waiting)
{
    struct vm *vm = v->vm;
    if (waiting == v->apic.irq_window_counted)
        return;
    v->apic.irq_window_counted = waiting;
    bool edge = waiting ? apic_inhibit_irq_window_inc(&vm->inhibit)
                        : apic_inhibit_irq_window_dec(&vm->inhibit);
    if (!edge)
        return;
    spin_lock(&vm->inhibit_lock);
    enum apic_inhibit_change c = apic_inhibit_irq_window_sync(&vm->inhibit, (int)v->index, rdtsc());
    spin_unlock(&vm->inhibit_lock);
    inhibit_changed(vm, c, APIC_INHIBIT_IRQ_WINDOW, waiting, v, true);
}

/* ---- the shared APIC-access page ---------------------------------------- */

/* Decided under npt_lock, so two vCPUs changing mode at once cannot leave
 * the page mapped on a stale view: each sees the other's mode once it has
 * the lock (the mode is written before its owner's update takes it). */
void vapic_accel_update_page(struct vm *vm)
{
    enum vlapic_mode modes[KEEL_MAX_CPUS];
    uint64_t bases[KEEL_MAX_CPUS];
    bool moved = false, changed = false;
    if (!vm->apic_access_hpa)
        return;
    spin_lock(&vm->npt_lock);
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        const struct vlapic *vl = &vm->vcpus[i]->apic.vl;
        modes[i] = __atomic_load_n(&vl->mode, __ATOMIC_ACQUIRE);
        bases[i] = vlapic_base_address(vl);
        moved |= modes[i] == VLAPIC_MODE_XAPIC && bases[i] != APIC_DEFAULT_BASE;
    }
    /* The reason changes under npt_lock (inhibit_lock nests inside it), so
     * the page decision below sees the activation it caused. */
    enum apic_inhibit_change c = inhibit_locked(vm, APIC_INHIBIT_BASE_MOVED, moved, NULL);
    bool want = apic_accel_page_mapped(caps(), apic_inhibit_active(&vm->inhibit), modes, bases,
                                       vm->nvcpus);
    if (want != vm->apic_page_mapped) {
        int r = want ? npt_map(&vm->npt, APIC_DEFAULT_BASE, vm->apic_access_hpa, PAGE_SIZE,
                               NPT_R | NPT_W, NPT_MT_WB)
                     : npt_unmap(&vm->npt, APIC_DEFAULT_BASE, PAGE_SIZE);
        if (r == 0) {
            vm->apic_page_mapped = want;
            changed = true;
        } else {
            log_err("vm%u: cannot %s the APIC-access page at %#llx (%d)", vm->index,
                    want ? "map" : "unmap", APIC_DEFAULT_BASE, r);
        }
    }
    bool flush = npt_take_flush(&vm->npt) || changed;
    spin_unlock(&vm->npt_lock);
    inhibit_changed(vm, c, APIC_INHIBIT_BASE_MOVED, moved, NULL, false);
    if (!flush)
        return;
    log_debug("vm%u: APIC-access page %s", vm->index, want ? "mapped" : "unmapped");
    /* A vCPU that left xAPIC mode must not reach the page through a cached
     * translation: every vCPU flushes before its next entry. */
    vapic_flush_all_tlbs(vm);
}

/* ---- before an accelerated entry ----------------------------------------- */

/* The xAPIC registers whose guest writes land in the page before an
 * APIC-write exit reports them (SDM 30.4.3.2: everything the CPU
 * virtualizes but TPR, EOI and ICR high, which it completes itself). */
static const uint16_t trap_regs[VAPIC_TRAP_REGS] = {
    APIC_ID, APIC_LDR, APIC_DFR, APIC_SVR, APIC_ESR, APIC_ICR,
    APIC_LVT_TIMER, APIC_LVT_THERMAL, APIC_LVT_PERF, APIC_LVT_LINT0, APIC_LVT_LINT1,
    APIC_LVT_ERROR, APIC_TMICT, APIC_TDCR, APIC_LVT_CMCI,
};

static int trap_slot(uint32_t off)
{
    for (unsigned i = 0; i < VAPIC_TRAP_REGS; i++)
        if (trap_regs[i] == off)
            return (int)i;
    return -1;
}

/* The committed values of the registers the CPU stores before a trap-like
 * exit reports the write (xapic_trapped_write puts them back).  Under the
 * APIC lock. */
static void save_trap_shadow(struct vcpu *v)
{
    for (unsigned i = 0; i < VAPIC_TRAP_REGS; i++)
        v->apic.trap_shadow[i] = v->apic.page[trap_regs[i] >> 2];
}

void vapic_accel_prepare(struct vcpu *v, struct vapic_hw_state *s)
{
    uint64_t lv[4];
    vplatform_level_vectors(v->vm->plat, v->apic.plat_level_vec, &v->apic.plat_level_gen);
    vapic_lock(v);
    uint32_t *page = v->apic.page;
    int irr = vlapic_highest_irr(&v->apic.vl), isr = vlapic_highest_isr(&v->apic.vl);
    /* VPPR: the CPU evaluates RVI against it at entry and does not compute
     * it itself then (SDM 30.2.1). */
    page[APIC_PPR >> 2] = vlapic_get_ppr(&v->apic.vl);
    s->rvi = irr > 0 ? (uint8_t)irr : 0;
    s->svi = isr > 0 ? (uint8_t)isr : 0;
    /* EOIs that must exit: level-triggered vectors this APIC holds (TMR,
     * LINT) and every level route of the I/O APIC, since another CPU may
     * put such a vector in this page while the guest runs. */
    vlapic_level_vectors(&v->apic.vl, lv);
    for (unsigned i = 0; i < 4; i++)
        s->eoi_exit[i] = lv[i] | v->apic.plat_level_vec[i];
    /* Only the xAPIC page traps writes that need the old value. */
    if (v->apic.accel.regs == APIC_ACCEL_REGS_XAPIC)
        save_trap_shadow(v);
    vapic_unlock(v);
}

void vapic_accel_save_traps(struct vcpu *v)
{
    vapic_lock(v);
    save_trap_shadow(v);
    vapic_unlock(v);
}

/* ---- trap-like exits ------------------------------------------------------- */

static void report_anomaly(struct vcpu *v, uint32_t off, const char *mode)
{
    if (v->apic.anomalies++ < 8)
        log_warn("vm%u vCPU %u: APIC-write exit at offset %#x in %s mode, where the CPU "
                 "should not trap a write: ignored (anomaly %u)", v->vm->index, v->index, off,
                 mode, v->apic.anomalies);
}

/* xAPIC: the guest's value is in the page already.  Put the committed value
 * back and replay the write through the vLAPIC, which then sees exactly
 * what an emulated MMIO write would show it (old value included). */
static void xapic_trapped_write(struct vcpu *v, uint32_t off)
{
    if (off == APIC_EOI) {
        /* AVIC traps the EOI of a level-triggered vector without touching
         * ISR: the vLAPIC does the whole EOI (and tells the I/O APIC). */
        vlapic_mmio_write(&v->apic.vl, APIC_EOI, 4, 0);
        return;
    }
    int slot = trap_slot(off);
    if (slot < 0) {
        report_anomaly(v, off, "xAPIC");
        return;
    }
    uint32_t val = v->apic.page[off >> 2];
    v->apic.page[off >> 2] = v->apic.trap_shadow[slot];
    vlapic_mmio_write(&v->apic.vl, off, 4, val);
    v->apic.trap_shadow[slot] = v->apic.page[off >> 2];
    vapic_mark_dest_changed(v, off);
}

int vapic_apic_write(struct vcpu *v, uint32_t off)
{
    off &= 0xff0u;
    vapic_lock(v);
    switch (vlapic_get_mode(&v->apic.vl)) {
    case VLAPIC_MODE_XAPIC:
        xapic_trapped_write(v, off);
        break;
    case VLAPIC_MODE_X2APIC:
        /* With the MSR bitmap Keel sets, only the ICR (a 64-bit vICR write
         * IPI virtualization declined) and SELF IPI (a vector the CPU would
         * not virtualize) reach here. */
        if (off == APIC_ICR)
            (void)vlapic_write_icr(&v->apic.vl, vlapic_read_icr(&v->apic.vl));
        else if (off == APIC_EOI)
            (void)vlapic_msr_write(&v->apic.vl, X2APIC_MSR_BASE + (APIC_EOI >> 4), 0);
        else if (off == APIC_SELF_IPI)
            (void)vlapic_msr_write(&v->apic.vl, X2APIC_MSR_BASE + (APIC_SELF_IPI >> 4),
                                   v->apic.page[APIC_SELF_IPI >> 2]);
        else
            report_anomaly(v, off, "x2APIC");
        break;
    default:
        report_anomaly(v, off, "disabled");
        break;
    }
    vapic_unlock(v);
    return 0;
}

void vapic_eoi_exit(struct vcpu *v, uint8_t vector)
{
    vapic_lock(v);
    vlapic_eoi_completed(&v->apic.vl, vector);
    vapic_unlock(v);
}

/* ---- incomplete IPIs (AVIC) ------------------------------------------------ */

int vapic_ipi_incomplete(struct vcpu *v, const struct exit_ipi *ipi)
{
    switch (ipi->left) {
    case EXIT_IPI_SEND:
        /* The CPU sent nothing: the vLAPIC delivers the ICR as written,
         * through the one ICR helper (errors such as an illegal vector
         * included), as an emulated write would. */
        vapic_lock(v);
        (void)vlapic_write_icr(&v->apic.vl, ipi->icr);
        vapic_unlock(v);
        return 0;
    case EXIT_IPI_WAKE:
        /* IRR is set in every target's page already; delivering again
         * could deliver twice.  Every target is kicked, running or not:
         * under the erratum #1235 workaround IsRunning is never set, so a
         * target in guest mode got no doorbell either (the model test
         * avic_driver found a running target left waiting). */
        vapic_kick_icr_targets(v, ipi->icr);
        return 0;
    default:
        if (v->apic.anomalies++ < 8)
            log_warn("vm%u vCPU %u: incomplete IPI with cause %u (ICR %#llx), which Keel's "
                     "tables cannot cause: ignored (anomaly %u)", v->vm->index, v->index,
                     ipi->cause, (unsigned long long)ipi->icr, v->apic.anomalies);
        return 0;
    }
}
