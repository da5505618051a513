/* SPDX-License-Identifier: MIT */
/*
 * vLAPIC timer (SDM 11.5.4): one-shot and periodic count-down at the APIC
 * timer input rate (TSC rate / tsc_per_bus_tick) divided by TDCR, and
 * TSC-deadline mode (SDM 11.5.4.1).  No state ticks: the current count is
 * computed from the time and the next expiry, so it is exact whenever read.
 *
 * Two time bases.  The count modes count bus clocks: their deadlines are on
 * ops->clock (the host TSC in Keel), which the guest cannot move, modulo
 * 2^64.  TSC-deadline mode compares the guest's own TSC with
 * IA32_TSC_DEADLINE, unsigned: its deadline is on ops->now.  A mode change
 * disarms the timer, so the two never mix.
 */
#include "apic/vlapic_internal.h"

uint32_t vlapic_timer_mode(const struct vlapic *vl)
{
    return (vlapic_reg(vl, APIC_LVT_TIMER) & APIC_LVT_TIMER_MODE_MASK) >>
           APIC_LVT_TIMER_MODE_SHIFT;
}

/* TDCR bits 3,1,0 (SDM figure 11-10): 000b divides by 2 ... 110b by 128,
 * 111b by 1. */
static uint64_t tick(const struct vlapic *vl)
{
    uint32_t d = vlapic_reg(vl, APIC_TDCR);
    uint32_t code = ((d >> 1) & 4u) | (d & 3u);

    return (code == 7 ? 1u : 2u << code) * vl->tsc_per_bus_tick;
}

static void timer_changed(struct vlapic *vl)
{
    if (vl->ops->timer_changed)
        vl->ops->timer_changed(vl->ctx);
}

void vlapic_timer_stop(struct vlapic *vl)
{
    bool was = vl->timer_armed;

    vl->timer_armed = false;
    vl->timer_deadline = 0;
    vl->timer_period = 0;
    if (was)
        timer_changed(vl);
}

bool vlapic_timer_armed(const struct vlapic *vl)
{
    return vl->timer_armed;
}

static bool tsc_deadline_mode(const struct vlapic *vl)
{
    return vlapic_timer_mode(vl) == APIC_TIMER_TSC_DEADLINE;
}

/* Count modes: the deadline is now + period modulo 2^64, and periods are
 * far below 2^63 (at most 2^32 ticks of 128 x tsc_per_bus_tick), so "at or
 * past" is the sign of the difference. */
static bool count_due(uint64_t now, uint64_t deadline)
{
    return (int64_t)(now - deadline) >= 0;
}

bool vlapic_timer_due(const struct vlapic *vl)
{
    if (!vl->timer_armed)
        return false;
    if (tsc_deadline_mode(vl))
        return vlapic_now(vl) >= vl->timer_deadline;
    return count_due(vlapic_clock(vl), vl->timer_deadline);
}

uint64_t vlapic_timer_deadline(const struct vlapic *vl)
{
    if (!vl->timer_armed)
        return 0;
    if (!tsc_deadline_mode(vl))
        return vl->timer_deadline;
    uint64_t clock = vlapic_clock(vl), now = vlapic_now(vl);
    return now >= vl->timer_deadline ? clock : clock + (vl->timer_deadline - now);
}

/* The current count at clock @now (count modes, armed): the ticks left
 * until the next expiry, rounded up; a periodic timer past its deadline has
 * already reloaded. */
static uint32_t count_at(const struct vlapic *vl, uint64_t now)
{
    uint64_t dl = vl->timer_deadline, t = tick(vl);

    if (count_due(now, dl)) {
        if (vlapic_timer_mode(vl) != APIC_TIMER_PERIODIC)
            return 0;                   /* one-shot: stays at 0 (11.5.4) */
        dl += ((now - dl) / vl->timer_period + 1) * vl->timer_period;
    }
    return (uint32_t)((dl - now + t - 1) / t);
}

uint32_t vlapic_timer_current_count(const struct vlapic *vl)
{
    if (!vl->timer_armed || tsc_deadline_mode(vl))
        return 0;                       /* TSC-deadline: reads 0 (11.5.4.1) */
    return count_at(vl, vlapic_clock(vl));
}

void vlapic_timer_expire(struct vlapic *vl)
{
    if (!vlapic_timer_due(vl))
        return;
    if (vlapic_timer_mode(vl) == APIC_TIMER_PERIODIC) {
        uint64_t now = vlapic_clock(vl);
        /* Reload without drift; periods already missed coalesce. */
        vl->timer_deadline += ((now - vl->timer_deadline) / vl->timer_period + 1) *
                              vl->timer_period;
    } else {
        /* One-shot stops at 0; TSC-deadline disarms and IA32_TSC_DEADLINE
         * reads 0 again (11.5.4.1). */
        vl->timer_armed = false;
        vl->timer_deadline = 0;
    }
    vlapic_lvt_deliver(vl, APIC_LVT_TIMER);   /* masked: counts, no interrupt */
    timer_changed(vl);
}

/* An expiry due by now happened before the register write that follows. */
static void catch_up(struct vlapic *vl)
{
    if (vlapic_timer_due(vl))
        vlapic_timer_expire(vl);
}

/* LVT timer write (@val already restricted to writable bits).  Mode 11b is
 * reserved: xAPIC keeps the old mode.  A mode change disarms (11.5.4.1). */
void vlapic_timer_write_lvt(struct vlapic *vl, uint32_t val)
{
    uint32_t old_mode = vlapic_timer_mode(vl);
    uint32_t new_mode = (val & APIC_LVT_TIMER_MODE_MASK) >> APIC_LVT_TIMER_MODE_SHIFT;

    if (new_mode == 3) {
        new_mode = old_mode;
        val = (val & ~APIC_LVT_TIMER_MODE_MASK) | (old_mode << APIC_LVT_TIMER_MODE_SHIFT);
    }
    catch_up(vl);
    vlapic_set_reg(vl, APIC_LVT_TIMER, val);
    if (new_mode != old_mode)
        vlapic_timer_stop(vl);
}

/* TMICT write: (re)starts counting from @val; 0 stops the timer; ignored in
 * TSC-deadline mode (11.5.4, 11.5.4.1). */
void vlapic_timer_write_tmict(struct vlapic *vl, uint32_t val)
{
    if (vlapic_timer_mode(vl) == APIC_TIMER_TSC_DEADLINE)
        return;
    catch_up(vl);
    vlapic_set_reg(vl, APIC_TMICT, val);
    if (val == 0) {
        vlapic_timer_stop(vl);
        return;
    }
    vl->timer_period = (uint64_t)val * tick(vl);
    vl->timer_deadline = vlapic_clock(vl) + vl->timer_period;
    vl->timer_armed = true;
    timer_changed(vl);
}

/* TDCR write: a running count keeps its current value and continues at
 * the new rate; the period becomes TMICT ticks at the new rate. */
void vlapic_timer_write_tdcr(struct vlapic *vl, uint32_t val)
{
    uint64_t now;
    uint32_t cur;

    catch_up(vl);
    if (!vl->timer_armed || vlapic_timer_mode(vl) == APIC_TIMER_TSC_DEADLINE) {
        vlapic_set_reg(vl, APIC_TDCR, val);
        return;
    }
    now = vlapic_clock(vl);
    cur = count_at(vl, now);
    vlapic_set_reg(vl, APIC_TDCR, val);
    vl->timer_period = (uint64_t)vlapic_reg(vl, APIC_TMICT) * tick(vl);
    vl->timer_deadline = now + (uint64_t)cur * tick(vl);
    timer_changed(vl);
}

int vlapic_set_tsc_deadline(struct vlapic *vl, uint64_t deadline)
{
    if (!vl->tsc_deadline_allowed)
        return VLAPIC_GP;
    if (vl->mode == VLAPIC_MODE_DISABLED ||
        vlapic_timer_mode(vl) != APIC_TIMER_TSC_DEADLINE)
        return VLAPIC_OK;               /* other modes: ignored */
    if (deadline == 0) {
        vlapic_timer_stop(vl);          /* writing 0 disarms */
        return VLAPIC_OK;
    }
    vl->timer_deadline = deadline;
    vl->timer_period = 0;
    vl->timer_armed = true;
    if (vlapic_timer_due(vl))
        vlapic_timer_expire(vl);        /* in the past: fires now */
    else
        timer_changed(vl);
    return VLAPIC_OK;
}

int vlapic_get_tsc_deadline(const struct vlapic *vl, uint64_t *deadline)
{
    if (!vl->tsc_deadline_allowed)
        return VLAPIC_GP;
    *deadline = vl->timer_armed && vlapic_timer_mode(vl) == APIC_TIMER_TSC_DEADLINE ?
                vl->timer_deadline : 0;
    return VLAPIC_OK;
}
