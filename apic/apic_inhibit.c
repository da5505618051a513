/* SPDX-License-Identifier: MIT */
/*
 * The inhibit machine (apic/apic_inhibit.h, docs/apic-accel.md).
 */
#include "apic/apic_inhibit.h"

#include <stddef.h>

void apic_inhibit_init(struct apic_inhibit_vm *m, uint32_t honoured, uint32_t initial)
{
    m->honoured = honoured & APIC_INHIBIT_VM_MASK;
    m->reasons = initial & APIC_INHIBIT_VM_MASK;
    m->active = (m->reasons & m->honoured) == 0;
    m->generation = 0;
    m->irq_window = 0;
    m->nevents = 0;
}

static void record(struct apic_inhibit_vm *m, uint32_t reason, bool set, int vcpu, uint64_t now,
                   bool before, bool after)
{
    struct apic_inhibit_event *e = &m->hist[m->nevents % APIC_INHIBIT_HISTORY];
    e->time = now;
    e->vcpu = vcpu;
    e->reason = reason;
    e->set = set;
    e->active_before = before;
    e->active_after = after;
    e->reasons_after = m->reasons;
    m->nevents++;
}

/* Under the VM's lock.  The mask is published before the activation so a
 * reader that sees the new activation also sees the reason for it. */
enum apic_inhibit_change apic_inhibit_update(struct apic_inhibit_vm *m, uint32_t reasons, bool set,
                                             int vcpu, uint64_t now)
{
    uint32_t old = m->reasons;
    uint32_t nw = (set ? old | reasons : old & ~reasons) & APIC_INHIBIT_VM_MASK;
    if (nw == old)
        return APIC_INHIBIT_UNCHANGED;
    bool was = m->active != 0;
    bool will = (nw & m->honoured) == 0;
    /* One event per bit, the activation attributed to the last of them. */
    uint32_t changed = nw ^ old, mask = old;
    for (uint32_t bit = 1; bit & APIC_INHIBIT_VM_MASK; bit <<= 1) {
        if (!(changed & bit))
            continue;
        mask ^= bit;
        __atomic_store_n(&m->reasons, mask, __ATOMIC_RELEASE);
        bool last = (changed & ~(bit | (bit - 1))) == 0;
        record(m, bit, set, vcpu, now, was, last ? will : was);
    }
    if (was == will)
        return APIC_INHIBIT_MASK;
    __atomic_store_n(&m->active, will ? 1u : 0u, __ATOMIC_RELEASE);
    __atomic_add_fetch(&m->generation, 1, __ATOMIC_ACQ_REL);
    return APIC_INHIBIT_TOGGLED;
}

bool apic_inhibit_irq_window_inc(struct apic_inhibit_vm *m)
{
    return __atomic_fetch_add(&m->irq_window, 1, __ATOMIC_ACQ_REL) == 0;
}

bool apic_inhibit_irq_window_dec(struct apic_inhibit_vm *m)
{
    return __atomic_sub_fetch(&m->irq_window, 1, __ATOMIC_ACQ_REL) == 0;
}

/* The count is read under the lock, after the transition that sent the
 * caller here: of two racing transitions (0->1 by one vCPU, 1->0 by
 * another), whichever syncs last sees the final count, so the reason ends
 * as the count says even if the syncs run in the other order. */
enum apic_inhibit_change apic_inhibit_irq_window_sync(struct apic_inhibit_vm *m, int vcpu,
                                                      uint64_t now)
{
    bool waiting = __atomic_load_n(&m->irq_window, __ATOMIC_ACQUIRE) > 0;
    return apic_inhibit_update(m, APIC_INHIBIT_IRQ_WINDOW, waiting, vcpu, now);
}

unsigned apic_inhibit_history(const struct apic_inhibit_vm *m, struct apic_inhibit_event *out,
                              unsigned max)
{
    uint64_t n = m->nevents < APIC_INHIBIT_HISTORY ? m->nevents : APIC_INHIBIT_HISTORY;
    if (n > max)
        n = max;
    for (uint64_t i = 0; i < n; i++)
        out[i] = m->hist[(m->nevents - n + i) % APIC_INHIBIT_HISTORY];
    return (unsigned)n;
}

static const char *const inhibit_names[APIC_INHIBIT_COUNT_] = {
    "config", "no-hw", "id-modified", "id-aliased", "base-moved",
    "irq-window", "pit-reinject", "id-too-big", "x2apic-no-hw", "apic-disabled",
};

const char *apic_inhibit_name(uint32_t reason)
{
    for (unsigned i = 0; i < APIC_INHIBIT_COUNT_; i++)
        if (reason == (1u << i))
            return inhibit_names[i];
    return "?";
}

bool apic_inhibit_parse(const char *s, unsigned n, uint32_t *mask)
{
    *mask = 0;
    if (n == 4 && s[0] == 'n' && s[1] == 'o' && s[2] == 'n' && s[3] == 'e')
        return true;
    unsigned start = 0;
    for (unsigned i = 0; i <= n; i++) {
        if (i < n && s[i] != ',')
            continue;
        bool found = false;
        for (unsigned b = 0; b < APIC_INHIBIT_COUNT_ && !found; b++) {
            const char *w = inhibit_names[b];
            unsigned k = 0;
            while (start + k < i && w[k] && w[k] == s[start + k])
                k++;
            if (start + k == i && !w[k] && (1u << b) & APIC_INHIBIT_VM_MASK) {
                *mask |= 1u << b;
                found = true;
            }
        }
        if (!found)
            return false;
        start = i + 1;
    }
    return true;
}

void apic_inhibit_describe(uint32_t reasons, char *buf, unsigned size)
{
    unsigned len = 0;
    if (!size)
        return;
    buf[0] = '\0';
    for (unsigned i = 0; i < APIC_INHIBIT_COUNT_; i++) {
        if (!(reasons & (1u << i)))
            continue;
        const char *s = inhibit_names[i];
        if (len && len + 1 < size)
            buf[len++] = ',';
        while (*s && len + 1 < size)
            buf[len++] = *s++;
        buf[len] = '\0';
    }
    if (!len && size > 4) {
        buf[0] = 'n'; buf[1] = 'o'; buf[2] = 'n'; buf[3] = 'e'; buf[4] = '\0';
    }
}
