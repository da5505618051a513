/* SPDX-License-Identifier: MIT */
/*
 * The vCPU side of the virtual local APIC: locking, deferral of what the
 * APIC state machine asks for (IPIs, level EOIs, destination changes), the
 * xAPIC page on the vCPU's MMIO path, the APIC MSRs, and routing messages
 * to the APICs they address.
 */
#include "hv/vapic.h"

#include <string.h>

#include "apic/apic_dest.h"
#include "apic/vlapic.h"
#include "hv/host/console.h"
#include "hv/host/panic.h"
#include "hv/mm/mem.h"
#include "hv/host/time.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/dev/vplatform.h"
#include "hv/x86.h"

/* Per-VM APIC state: the destination views every vCPU publishes and the
 * fast map built from them.  map_lock protects all of it. */
struct vapic_vm {
    struct spinlock map_lock;
    struct vapic_vm_opts opts;
    struct apic_dest_policy pol;
    unsigned rr_cursor;
    struct apic_dest_view view[KEEL_MAX_CPUS];
    struct apic_dest_map map;
};

static void vapic_mmio_range(struct vcpu *v);

/* ---- callbacks from apic/vlapic.c (called with v->apic.lock held) ---- */

static uint64_t cb_now(void *ctx)
{
    struct vcpu *v = ctx;
    return rdtsc() + v->tsc_offset;
}

/* The clock the APIC timer's count modes run on: the host TSC, which the
 * guest's writes to its own TSC (tsc_offset) do not move. */
static uint64_t cb_clock(void *ctx)
{
    (void)ctx;
    return rdtsc();
}

static void cb_send(void *ctx, const struct apic_msg *m)
{
    struct vcpu *v = ctx;
    KASSERT(spin_held(&v->apic.lock));
    /* A fixed IPI to self (shorthand self, SDM 11.6.1; the x2APIC SELF IPI
     * register, 11.12.11) of an emulated APIC reaches no one else: into
     * this APIC's IRR at once, under the lock held already, as the route
     * would put it after the unlock (vlapic_accept makes the same checks:
     * software enabled, a valid vector).  Accelerated, the CPU's posting
     * path is the route's to choose. */
    if (m->shorthand == APIC_SH_SELF && m->dm == APIC_DM_FIXED && !v->apic.accel.on) {
        vlapic_deliver(&v->apic.vl, m);
        return;
    }
    if (v->apic.defer.nmsgs < VAPIC_DEFER_MSGS)
        v->apic.defer.msg[v->apic.defer.nmsgs++] = *m;
    else
        v->apic.defer.dropped++;
}

static void cb_eoi_level(void *ctx, uint8_t vector)
{
    struct vcpu *v = ctx;
    KASSERT(spin_held(&v->apic.lock));
    if (v->apic.defer.neoi < VAPIC_DEFER_EOIS)
        v->apic.defer.eoi[v->apic.defer.neoi++] = vector;
    else
        v->apic.defer.dropped++;
}

static void cb_timer_changed(void *ctx)
{
    /* The run loop re-reads the deadline before every entry and wait. */
}

static void cb_mode_changed(void *ctx, enum vlapic_mode old_mode, enum vlapic_mode new_mode)
{
    struct vcpu *v = ctx;
    vapic_mmio_range(v);
    v->apic.defer.dest_changed = true;
    v->apic.defer.base_changed = true;
}

static void cb_dest_changed(void *ctx)
{
    struct vcpu *v = ctx;
    v->apic.defer.dest_changed = true;
}

static const struct vlapic_ops vlapic_ops_hv = {
    .now = cb_now,
    .clock = cb_clock,
    .send = cb_send,
    .eoi_level = cb_eoi_level,
    .timer_changed = cb_timer_changed,
    .mode_changed = cb_mode_changed,
    .dest_changed = cb_dest_changed,
};

/* ---- an xAPIC page over guest RAM ----------------------------------------
 *
 * A guest may move its xAPIC page (IA32_APIC_BASE) onto an address where
 * RAM is.  Nested paging maps RAM for every vCPU alike, so the RAM page is
 * unmapped while any vCPU's APIC sits there: that vCPU's accesses then reach
 * its APIC through the nested page fault, and the other vCPUs' accesses are
 * emulated against the RAM underneath (hv/emul/emul_mmio.c).  The page is mapped
 * again, and every vCPU's TLB flushed, once no APIC is left on it. */

void vapic_flush_all_tlbs(struct vm *vm)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        vops->flush_guest_tlb(vm->vcpus[i]);
        vcpu_kick(vm->vcpus[i]);
    }
}

static bool page_listed(const uint64_t *pages, unsigned n, uint64_t page)
{
    for (unsigned i = 0; i < n; i++)
        if (pages[i] == page)
            return true;
    return false;
}

/* The RAM page at gpa mapped again (4 KiB: the large page it came from is
 * not rebuilt).  Under npt_lock.  True when it is mapped. */
static bool vapic_remap_ram_page(struct vm *vm, uint64_t gpa)
{
    uint64_t hpa;
    return gram_hpa(&vm->ram, gpa, PAGE_SIZE, &hpa) == 0 &&
           npt_map(&vm->npt, gpa, hpa, PAGE_SIZE, NPT_RWX, NPT_MT_WB) == 0;
}

static void vapic_update_ram_holes(struct vm *vm)
{
    uint64_t want[KEEL_MAX_CPUS];
    unsigned n = 0;
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        const struct bus_range *r = &vm->vcpus[i]->apic.mmio;
        if (r->len && vm_gpa_is_ram(vm, r->base, r->len) && !page_listed(want, n, r->base))
            want[n++] = r->base;
    }
    spin_lock(&vm->npt_lock);
    bool changed = false;
    for (unsigned i = 0; i < n; i++)
        if (!page_listed(vm->apic_holes, vm->napic_holes, want[i]))
            changed |= npt_unmap(&vm->npt, want[i], PAGE_SIZE) == 0;
    for (unsigned i = 0; i < vm->napic_holes; i++)
        if (!page_listed(want, n, vm->apic_holes[i]))
            changed |= vapic_remap_ram_page(vm, vm->apic_holes[i]);
    memcpy(vm->apic_holes, want, n * sizeof(want[0]));
    vm->napic_holes = n;
    bool flush = npt_take_flush(&vm->npt) || changed;
    spin_unlock(&vm->npt_lock);
    if (flush)
        vapic_flush_all_tlbs(vm);
}

/* ---- locking and deferred work ---------------------------------------- */

void vapic_lock(struct vcpu *v)
{
    spin_lock(&v->apic.lock);
}

/* Publish this APIC's destination view; the fast map is rebuilt only when
 * what it is built from (mode, ID) changed.  Software enable and the
 * arbitration priority are read from the view on every delivery. */
static void publish_view(struct vcpu *v)
{
    struct vapic_vm *a = v->vm->apic;
    struct apic_dest_view view;
    vapic_lock(v);
    vlapic_dest_view(&v->apic.vl, &view);
    spin_unlock(&v->apic.lock);
    spin_lock(&a->map_lock);
    struct apic_dest_view *old = &a->view[v->index];
    bool remap = old->mode != view.mode || old->id != view.id || !a->map.valid;
    bool ids = remap || old->ldr != view.ldr || old->dfr != view.dfr;
    *old = view;
    if (remap)
        apic_dest_map_build(&a->map, a->view, v->vm->nvcpus);
    uint32_t why = ids ? apic_accel_view_reasons(a->view, v->vm->nvcpus) : 0;
    if (ids && vops->apic_views_changed)
        vops->apic_views_changed(v->vm, a->view, v->vm->nvcpus);
    spin_unlock(&a->map_lock);
    /* IDs that changed or alias stop what indexes by APIC ID (IPI
     * virtualization's PID table, AVIC's physical ID table). */
    if (ids) {
        const uint32_t mask = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED;
        if (why & mask)
            vapic_inhibit(v->vm, why & mask, true, v);
        if (~why & mask)
            vapic_inhibit(v->vm, ~why & mask, false, v);
    }
}

/* Registers whose writes change the destination view (SDM 11.6.2: ID, LDR,
 * DFR; SVR's software enable; TPR for lowest-priority arbitration). */
static bool view_register(uint32_t off)
{
    return off == APIC_ID || off == APIC_LDR || off == APIC_DFR || off == APIC_SVR
           || off == APIC_TPR;
}

/* vapic_unlock with work queued: apart, so that the common case does not
 * pay this one's stack frame (a copy of the queue) on every unlock. */
static void __attribute__((noinline)) vapic_unlock_work(struct vcpu *v)
{
    struct vapic_defer d = v->apic.defer;
    memset(&v->apic.defer, 0, sizeof(v->apic.defer));
    spin_unlock(&v->apic.lock);
    if (d.dest_changed)
        publish_view(v);
    if (d.base_changed) {
        vapic_update_ram_holes(v->vm);
        vapic_accel_update_page(v->vm);
    }
    for (unsigned i = 0; i < d.nmsgs; i++)
        vapic_route(v->vm, &d.msg[i]);
    for (unsigned i = 0; i < d.neoi; i++)
        vplatform_eoi(v->vm->plat, d.eoi[i]);
    if (d.dropped)
        log_warn("vm%u vCPU %u: %u APIC messages lost (deferral queue full)", v->vm->index,
                 v->index, d.dropped);
}

/* Drop the APIC lock, then do what the state machine asked for. */
void vapic_unlock(struct vcpu *v)
{
    KASSERT(spin_held(&v->apic.lock));
    const struct vapic_defer *q = &v->apic.defer;
    if (q->nmsgs || q->neoi || q->dest_changed || q->base_changed || q->dropped) {
        vapic_unlock_work(v);
        return;
    }
    /* Nothing asked for: the common case on every entry, where copying and
     * clearing the whole queue cost more than the rest of the
     * pending-interrupt check (docs/exit-path.md). */
    spin_unlock(&v->apic.lock);
}

void vapic_mark_dest_changed(struct vcpu *v, uint32_t off)
{
    KASSERT(spin_held(&v->apic.lock));
    if (view_register(off & ~0xfu))
        v->apic.defer.dest_changed = true;
}

/* ---- routing ------------------------------------------------------------ */

/* A fixed, edge-triggered interrupt with a valid vector for an APIC that
 * takes it: what posted interrupts can carry (the CPU sets IRR only;
 * TMR, ESR and the drop rules stay with the vLAPIC). */
static bool postable(struct vcpu *t, const struct apic_msg *m)
{
    return (m->dm == APIC_DM_FIXED || m->dm == APIC_DM_LOWEST) && !m->level
           && m->vector >= 16 && vlapic_get_mode(&t->apic.vl) != VLAPIC_MODE_DISABLED
           && vlapic_sw_enabled(&t->apic.vl);
}

static void deliver_one(struct vcpu *t, const struct apic_msg *m)
{
    if (vops->post_intr && postable(t, m) && vops->post_intr(t, m->vector))
        return;
    if (m->dm == APIC_DM_SMI && t->apic.vl.smi_count == 0)
        log_info("vm%u vCPU %u: SMI dropped (Keel emulates no SMM; logged once)", t->vm->index,
                 t->index);
    vapic_lock(t);
    vlapic_deliver(&t->apic.vl, m);
    vapic_unlock(t);
    vcpu_kick(t);
}

void vapic_route(struct vm *vm, const struct apic_msg *m)
{
    struct vapic_vm *a = vm->apic;
    uint64_t targets;
    spin_lock(&a->map_lock);
    if (apic_dest_map_lookup(&a->map, m, &targets))
        targets = apic_dest_accepting(a->view, vm->nvcpus, m->dm, targets);
    else
        targets = apic_dest_plan(a->view, vm->nvcpus, m, &a->pol, &a->rr_cursor);
    spin_unlock(&a->map_lock);
    for (unsigned i = 0; targets && i < vm->nvcpus; i++, targets >>= 1)
        if (targets & 1)
            deliver_one(vm->vcpus[i], m);
}

unsigned vapic_views_snapshot(struct vm *vm, struct apic_dest_view *out)
{
    struct vapic_vm *a = vm->apic;
    spin_lock(&a->map_lock);
    memcpy(out, a->view, vm->nvcpus * sizeof(*out));
    spin_unlock(&a->map_lock);
    return vm->nvcpus;
}

void vapic_kick_icr_targets(struct vcpu *v, uint64_t icr)
{
    struct vapic_vm *a = v->vm->apic;
    struct apic_msg m;
    vapic_lock(v);
    vlapic_icr_msg(&v->apic.vl, icr, &m);
    vapic_unlock(v);
    spin_lock(&a->map_lock);
    uint64_t targets = apic_dest_match(a->view, v->vm->nvcpus, &m, &a->pol);
    spin_unlock(&a->map_lock);
    for (unsigned i = 0; targets && i < v->vm->nvcpus; i++, targets >>= 1)
        if ((targets & 1) && i != v->index)
            vcpu_kick(v->vm->vcpus[i]);
}

void vapic_lint(struct vm *vm, unsigned pin, bool level)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        struct vcpu *t = vm->vcpus[i];
        vapic_lock(t);
        vlapic_lint(&t->apic.vl, pin, level);
        bool ev = vlapic_events(&t->apic.vl) != 0;
        vapic_unlock(t);
        if (ev)
            vcpu_kick(t);
    }
}

/* ---- the xAPIC page on the MMIO path --------------------------------- */

static uint64_t apic_mmio_read(void *dev, struct vcpu *v, uint64_t addr, unsigned size)
{
    uint32_t val = 0;
    vapic_lock(v);
    int r = vlapic_mmio_read(&v->apic.vl, (uint32_t)(addr - v->apic.mmio.base), size, &val);
    vapic_unlock(v);
    return r == VLAPIC_OK ? val : ~0ull;
}

/* After an EOI, once the lock's deferred work (a level EOI's broadcast) is
 * done: with no vector left in IRR and no core event, the EOI changed
 * nothing the run loop's pre-entry pass reads (the ISR bit only fed PPR,
 * and PPR now holds nothing back), so the next entry may skip the pass
 * (hv/run.c vcpu_fast_entry).  Racy peeks are fine: whoever sets IRR
 * afterwards kicks this CPU. */
static void vapic_eoi_done(struct vcpu *v)
{
    if (!v->apic.accel.on && vapic_nothing_pending(v))
        v->exit_pure = true;
}

bool vapic_nothing_pending(struct vcpu *v)
{
    return !vlapic_events(&v->apic.vl) && vlapic_highest_irr(&v->apic.vl) < 0;
}

static void apic_mmio_write(void *dev, struct vcpu *v, uint64_t addr, unsigned size, uint64_t val)
{
    uint32_t off = (uint32_t)(addr - v->apic.mmio.base);
    vapic_lock(v);
    vlapic_mmio_write(&v->apic.vl, off, size, (uint32_t)val);
    vapic_mark_dest_changed(v, off);
    vapic_unlock(v);
    if (off == APIC_EOI)
        vapic_eoi_done(v);
}

/* In xAPIC mode the APIC page decodes at the APIC base for this vCPU only;
 * disabled or in x2APIC mode, the address is whatever else is there. */
static void vapic_mmio_range(struct vcpu *v)
{
    struct bus_range *r = &v->apic.mmio;
    r->read = apic_mmio_read;
    r->write = apic_mmio_write;
    r->dev = v;
    r->name = "local APIC";
    r->base = vlapic_base_address(&v->apic.vl);
    r->len = vlapic_get_mode(&v->apic.vl) == VLAPIC_MODE_XAPIC ? VLAPIC_PAGE_SIZE : 0;
}

/* ---- MSRs ---------------------------------------------------------------- */

int vapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val)
{
    int r;
    vapic_lock(v);
    if (msr == MSR_IA32_APIC_BASE) {
        *val = vlapic_get_apic_base(&v->apic.vl);
        r = VLAPIC_OK;
    } else if (msr == MSR_IA32_TSC_DEADLINE) {
        r = v->vm->apic->opts.tsc_deadline ? vlapic_get_tsc_deadline(&v->apic.vl, val) : VLAPIC_GP;
    } else if (msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_LAST) {
        r = vlapic_msr_read(&v->apic.vl, msr, val);
    } else {
        vapic_unlock(v);
        return 1;
    }
    vapic_unlock(v);
    return r == VLAPIC_OK ? 0 : -1;
}

int vapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val)
{
    int r;
    vapic_lock(v);
    if (msr == MSR_IA32_APIC_BASE) {
        r = vlapic_set_apic_base(&v->apic.vl, val);
    } else if (msr == MSR_IA32_TSC_DEADLINE) {
        r = v->vm->apic->opts.tsc_deadline ? vlapic_set_tsc_deadline(&v->apic.vl, val) : VLAPIC_GP;
    } else if (msr >= X2APIC_MSR_BASE && msr <= X2APIC_MSR_LAST) {
        r = vlapic_msr_write(&v->apic.vl, msr, val);
        vapic_mark_dest_changed(v, (msr - X2APIC_MSR_BASE) << 4);
    } else {
        vapic_unlock(v);
        return 1;
    }
    vapic_unlock(v);
    if (r == VLAPIC_OK && msr == X2APIC_MSR(APIC_EOI))
        vapic_eoi_done(v);
    return r == VLAPIC_OK ? 0 : -1;
}

bool vapic_enabled(struct vcpu *v)
{
    return vlapic_get_mode(&v->apic.vl) != VLAPIC_MODE_DISABLED;
}

uint32_t vapic_initial_id(const struct vcpu *v)
{
    return v->apic.vl.initial_id;
}

/* ---- what the run loop asks ------------------------------------------- */

bool vapic_take_init(struct vcpu *v)
{
    if (!(vlapic_events(&v->apic.vl) & VLAPIC_EV_INIT))
        return false; /* unlocked peek; set under the lock, taken under it */
    vapic_lock(v);
    bool r = vlapic_take_init(&v->apic.vl);
    vapic_unlock(v);
    return r;
}

int vapic_take_sipi(struct vcpu *v)
{
    uint8_t vec;
    if (!(vlapic_events(&v->apic.vl) & VLAPIC_EV_SIPI))
        return VAPIC_NONE;
    vapic_lock(v);
    bool r = vlapic_take_sipi(&v->apic.vl, &vec);
    vapic_unlock(v);
    return r ? vec : VAPIC_NONE;
}

bool vapic_nmi_pending(struct vcpu *v)
{
    return (vlapic_events(&v->apic.vl) & VLAPIC_EV_NMI) != 0;
}

void vapic_take_nmi(struct vcpu *v)
{
    vapic_lock(v);
    vlapic_take_nmi(&v->apic.vl);
    vapic_unlock(v);
}

void vapic_set_nmi_held(struct vcpu *v, unsigned held)
{
    vapic_lock(v);
    vlapic_set_nmi_held(&v->apic.vl, held);
    vapic_unlock(v);
}

int vapic_pending_intr(struct vcpu *v, int *tpr_blocked)
{
    /* Nothing requested, the usual answer before an entry: one look at IRR
     * and the event flags, without the lock (docs/exit-path.md).  A sender
     * that sets IRR just after this look also kicks this CPU, and the
     * kick's physical interrupt makes the coming entry exit at once, as it
     * would had the sender come just after a locked look. */
    if (!(vlapic_events(&v->apic.vl) & VLAPIC_EV_EXTINT) && vlapic_highest_irr(&v->apic.vl) < 0) {
        if (tpr_blocked)
            *tpr_blocked = -1;
        return VAPIC_NONE;
    }
    vapic_lock(v);
    bool extint = (vlapic_events(&v->apic.vl) & VLAPIC_EV_EXTINT) != 0;
    int held = -1;
    int r = extint ? VAPIC_EXTINT : vlapic_pending_held(&v->apic.vl, &held);
    if (tpr_blocked)
        *tpr_blocked = held;
    vapic_unlock(v);
    return r < 0 ? VAPIC_NONE : r;
}

uint8_t vapic_ack_intr(struct vcpu *v, int pending)
{
    if (pending == VAPIC_EXTINT) {
        vapic_lock(v);
        vlapic_take_extint(&v->apic.vl);
        vapic_unlock(v);
        uint8_t vec = vplatform_pic_ack(v->vm->plat);
        /* The 8259's INT is a level: still asserted means another request
         * is waiting behind this one. */
        if (vplatform_pic_output(v->vm->plat)) {
            vapic_lock(v);
            vlapic_lint(&v->apic.vl, 0, false);
            vlapic_lint(&v->apic.vl, 0, true);
            vapic_unlock(v);
        }
        return vec;
    }
    vapic_lock(v);
    vlapic_ack(&v->apic.vl, (uint8_t)pending);
    vapic_unlock(v);
    return (uint8_t)pending;
}

/* The host TSC of the timer's next expiry, 0 for none: the vLAPIC gives
 * it on its clock, which is the host TSC (cb_clock), a TSC-deadline that
 * has come as the clock's present, so an expiry due already is in the host
 * timer's past and fires at once.  A host deadline of exactly 0 (long past)
 * becomes 1, as 0 means none. */
uint64_t vapic_timer_deadline(struct vcpu *v)
{
    if (!v->apic.vl.timer_armed)
        return 0;
    vapic_lock(v);
    bool armed = vlapic_timer_armed(&v->apic.vl);
    uint64_t d = vlapic_timer_deadline(&v->apic.vl);
    vapic_unlock(v);
    if (!armed)
        return 0;
    return d ? d : 1;
}

/* vlapic_timer_expire() does nothing unless the expiry is due. */
void vapic_timer_check(struct vcpu *v)
{
    /* Only this vCPU arms its own timer, so both looks are stable here;
     * the lock only when the timer is due. */
    if (!v->apic.vl.timer_armed || !vlapic_timer_due(&v->apic.vl))
        return;
    vapic_lock(v);
    vlapic_timer_expire(&v->apic.vl);
    vapic_unlock(v);
}

uint8_t vapic_get_cr8(struct vcpu *v)
{
    return (uint8_t)vlapic_get_cr8(&v->apic.vl);
}

void vapic_set_cr8(struct vcpu *v, uint8_t cr8)
{
    vapic_lock(v);
    vlapic_set_cr8(&v->apic.vl, cr8);
    vapic_unlock(v);
}

void vapic_init_reset(struct vcpu *v)
{
    vapic_lock(v);
    vlapic_reset(&v->apic.vl, true);
    vapic_unlock(v);
}

/* ---- creation ------------------------------------------------------------ */

const struct vapic_vm_opts *vapic_vm_opts(const struct vm *vm)
{
    return &vm->apic->opts;
}

int vapic_vm_init(struct vm *vm, const struct vapic_vm_opts *opts)
{
    _Static_assert(sizeof(struct vapic_vm) <= 2 * PAGE_SIZE, "vapic_vm fits its pages");
    struct vapic_vm *a = mem_try_alloc(2, 1, 0);
    if (!a)
        return -1;
    a->map_lock = (struct spinlock)SPINLOCK_INIT;
    a->opts = *opts;
    a->pol.x2apic_ids_exact_for_xapic = opts->x2apic_exact_ids;
    vm->apic = a;
    vapic_inhibit_init(vm, opts->accel ? 0 : APIC_INHIBIT_CONFIG, opts->inhibit_test);
    vm->x2apic_hybrid = opts->x2apic_hybrid;
    return 0;
}

/* The guest's MAXPHYADDR: CPUID 0x80000008 EAX[7:0] passes through the
 * virtual CPUID unchanged, so IA32_APIC_BASE reserves the same bits. */
static uint8_t guest_maxphyaddr(void)
{
    uint32_t r[4];
    cpuid_count(0x80000000u, 0, r);
    if (r[0] < 0x80000008u)
        return 36;
    cpuid_count(0x80000008u, 0, r);
    return (uint8_t)(r[0] & 0xff);
}

/* What firmware does before it hands a CPU to an OS: with keel.cfg
 * apic_mode = x2apic every local APIC is switched to x2APIC mode (SDM
 * 11.12.5: EN then EN|EXTD), as UEFI firmware does on machines with APIC IDs
 * above 254 or when its setup says so.  INIT keeps the mode (SDM 11.12.5.1),
 * so the APs the guest starts are in x2APIC mode too. */
void vapic_firmware_handover(struct vcpu *v)
{
    if (!v->vm->apic->opts.x2apic_at_entry)
        return;
    struct vlapic *vl = &v->apic.vl;
    if (vlapic_set_apic_base(vl, vlapic_get_apic_base(vl) | APIC_BASE_EXTD) != VLAPIC_OK)
        klog(KLOG_WARN, "vm%u.%u: could not hand the local APIC over in x2APIC mode",
             v->vm->index, v->index);
}

int vapic_create(struct vcpu *v)
{
    uint32_t *page = mem_try_alloc(1, 1, 0);
    if (!page)
        return -1;
    const struct vapic_vm_opts *o = &v->vm->apic->opts;
    struct vlapic_config cfg = {
        .apic_id = v->index,
        .vcpu_index = (int)v->index,
        .bsp = v->index == 0,
        .x2apic_allowed = o->x2apic,
        .tsc_deadline_allowed = o->tsc_deadline,
        .maxphyaddr = guest_maxphyaddr(),
        /* The virtual CPU has the host's vendor and its x2APIC ICR rule. */
        .icr_bit12_gp = vops->x2apic_icr_bit12_gp,
        /* A 1 GHz "bus clock" where the TSC allows; guests calibrate. */
        .tsc_per_bus_tick = tsc_hz >= 1000000000ull ? tsc_hz / 1000000000ull : 1,
    };
    v->apic.lock = (struct spinlock)SPINLOCK_INIT;
    v->apic.page = page;
    vlapic_init(&v->apic.vl, page, &cfg, &vlapic_ops_hv, v);
    vapic_firmware_handover(v);
    vapic_mmio_range(v);
    publish_view(v);
    return 0;
}
