/* SPDX-License-Identifier: MIT */
/* vCPU snapshots for the shell (hv/shell/snap.h). */
#include "hv/shell/snap.h"

#include <string.h>

#include "apic/apic_defs.h"
#include "hv/host/time.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

volatile uint32_t snap_req[KEEL_MAX_CPUS];
static struct vcpu_snap snaps[KEEL_MAX_CPUS];

static uint32_t apic_reg(const struct vcpu *v, unsigned off)
{
    return v->apic.page[off / 4];
}

/* The vLAPIC part, under the vCPU's own APIC lock (on its own CPU). */
static void snap_fill_apic(struct vcpu *v, struct vcpu_snap *s)
{
    vapic_lock(v);
    const struct vlapic *vl = &v->apic.vl;
    s->apic_mode = vlapic_get_mode(vl);
    s->apic_base = vlapic_get_apic_base(vl);
    s->id = apic_reg(v, APIC_ID);
    s->ldr = apic_reg(v, APIC_LDR);
    s->dfr = apic_reg(v, APIC_DFR);
    s->tpr = vlapic_get_tpr(vl);
    s->ppr = vlapic_get_ppr(vl);
    for (unsigned i = 0; i < 8; i++) {
        s->irr[i] = apic_reg(v, APIC_IRR + 0x10 * i);
        s->isr[i] = apic_reg(v, APIC_ISR + 0x10 * i);
        s->tmr[i] = apic_reg(v, APIC_TMR + 0x10 * i);
    }
    s->irr_top = vlapic_highest_irr(vl);
    s->isr_top = vlapic_highest_isr(vl);
    s->lapic_events = vlapic_events(vl);
    vapic_unlock(v);
}

/* Everything, on the vCPU's own CPU, between two entries. */
static void snap_fill(struct vcpu *v, struct vcpu_snap *s)
{
    struct guest_paging_regs pg;
    s->tsc = rdtsc();
    s->state = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
    s->rip = v->rip;
    s->rflags = v->rflags;
    memcpy(s->gpr, v->gpr, sizeof(s->gpr));
    s->full = v->started;
    s->nmi_masked = v->nmi_masked;
    s->accel = v->apic.accel;
    s->accel_decided = v->apic.accel_decided;
    if (!v->started)
        return; /* no state loaded in the VMCB/VMCS yet */
    vops->get_paging(v, &pg);
    s->cr0 = pg.cr0;
    s->cr3 = pg.cr3;
    s->cr4 = pg.cr4;
    s->efer = vops->get_efer(v);
    s->event_queued = vops->event_queued(v);
    s->in_shadow = vops->in_shadow(v);
    snap_fill_apic(v, s);
}

void snap_serve_slow(struct percpu *pc, struct vcpu *v)
{
    struct vcpu_snap *s = &snaps[pc->index];
    uint32_t seq = s->seq;
    snap_fill(v, s);
    __atomic_store_n(&s->seq, seq + 1, __ATOMIC_RELEASE);
    __atomic_store_n(&snap_req[pc->index], 0, __ATOMIC_RELEASE);
}

/* A stopped vCPU no longer writes its saved registers: read them. */
static void snap_stopped(struct vcpu *v, struct vcpu_snap *out)
{
    memset(out, 0, sizeof(*out));
    out->state = __atomic_load_n(&v->state, __ATOMIC_ACQUIRE);
    out->rip = v->rip;
    out->rflags = v->rflags;
    memcpy(out->gpr, v->gpr, sizeof(out->gpr));
    out->tsc = rdtsc();
}

int snap_take(struct vcpu *v, struct vcpu_snap *out)
{
    unsigned cpu = v->pcpu->index;
    if (v->pcpu == this_cpu()) {
        memset(out, 0, sizeof(*out));
        snap_fill(v, out);
        return 0;
    }
    if (__atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_STOPPED) {
        snap_stopped(v, out);
        return -1;
    }
    uint32_t seq = __atomic_load_n(&snaps[cpu].seq, __ATOMIC_ACQUIRE);
    __atomic_store_n(&snap_req[cpu], 1, __ATOMIC_RELEASE);
    vcpu_kick(v);
    uint64_t end = rdtsc() + tsc_hz / 1000 * SNAP_WAIT_MS;
    while (__atomic_load_n(&snaps[cpu].seq, __ATOMIC_ACQUIRE) == seq) {
        if (rdtsc() > end || __atomic_load_n(&v->state, __ATOMIC_ACQUIRE) == VCPU_STOPPED) {
            snap_stopped(v, out);
            return -1;
        }
        cpu_relax();
    }
    /* Only the shell asks, one request at a time, so nothing rewrites the
     * slot until the next request; but an answer to an earlier request
     * that timed out may land while we copy: copy until the sequence
     * number holds still across the copy. */
    for (unsigned tries = 0; tries < 4; tries++) {
        seq = __atomic_load_n(&snaps[cpu].seq, __ATOMIC_ACQUIRE);
        memcpy(out, &snaps[cpu], sizeof(*out));
        if (__atomic_load_n(&snaps[cpu].seq, __ATOMIC_ACQUIRE) == seq)
            break;
    }
    return 0;
}
