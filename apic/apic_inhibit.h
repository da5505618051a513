/* SPDX-License-Identifier: MIT */
/*
 * The inhibit machine: why a VM's local APICs run emulated instead of
 * accelerated by the CPU (Intel APICv, AMD AVIC), and when that changes.
 *
 * Two things are kept apart, as the KVM review in ../shared/seeds/004
 * argues they must be:
 *   - the reason mask: every VM-scope reason currently true (an ExtINT
 *     waiting for an interrupt window, a modified APIC ID, ...), whether or
 *     not this CPU cares about it;
 *   - the activation: accelerated or not.  It depends only on the reasons
 *     the vendor honours (struct apic_inhibit_vm.honoured) and toggles only
 *     when their intersection with the mask goes empty <-> non-empty.  A
 *     reason set while another honoured one already holds changes the mask
 *     and the history, not the activation: no vCPU is disturbed.
 * Every toggle bumps `generation`; each vCPU compares it with the one it
 * applied and switches at its next entry (the caller kicks every vCPU).
 *
 * The IRQ-window count (seed 004): vCPUs waiting for a window to inject an
 * ExtINT.  Each vCPU counts itself at most once (its own flag); only the
 * count's 0 <-> 1 transitions touch the reason, so the hot path (the count
 * moving between 1 and 2, or a vCPU re-requesting a window) is one atomic
 * add and no lock.
 *
 * Locking: readers (apic_inhibit_active/generation/reasons) need none.
 * Writers (apic_inhibit_update, apic_inhibit_irq_window_sync) run under
 * the caller's lock for the VM (hv: vm.inhibit_lock), which orders the
 * history and keeps the activation consistent with the mask.  Pure: no
 * allocation; compiled for the host and unit-tested.
 */
#ifndef KEEL_APIC_APIC_INHIBIT_H
#define KEEL_APIC_APIC_INHIBIT_H

#include <stdbool.h>
#include <stdint.h>

/* Reasons to run the APIC emulated.  VM scope: bits 0..7, kept in the
 * machine; vCPU scope: derived from the vCPU's APIC mode at each decision
 * (apic/apic_accel.c).  docs/apic-accel.md describes each. */
enum apic_inhibit {
    APIC_INHIBIT_CONFIG       = 1u << 0,  /* VM: keel.cfg apic_accel = no (or avic = off) */
    APIC_INHIBIT_NO_HW        = 1u << 1,  /* VM: the CPU lacks the controls */
    APIC_INHIBIT_ID_MODIFIED  = 1u << 2,  /* VM: an APIC ID differs from its initial one */
    APIC_INHIBIT_ID_ALIASED   = 1u << 3,  /* VM: two APICs answer one physical or logical ID */
    APIC_INHIBIT_BASE_MOVED   = 1u << 4,  /* VM: an xAPIC page is not at FEE00000H */
    APIC_INHIBIT_IRQ_WINDOW   = 1u << 5,  /* VM: an ExtINT waits for an interrupt window */
    APIC_INHIBIT_PIT_REINJECT = 1u << 6,  /* VM: PIT ticks reinjected on EOI */
    APIC_INHIBIT_ID_TOO_BIG   = 1u << 7,  /* VM: an APIC ID beyond the CPU's ID table */
    APIC_INHIBIT_X2APIC_NO_HW = 1u << 8,  /* vCPU: x2APIC mode, CPU virtualizes xAPIC only */
    APIC_INHIBIT_DISABLED     = 1u << 9,  /* vCPU: APIC globally disabled */
    APIC_INHIBIT_COUNT_       = 10
};
#define APIC_INHIBIT_VM_MASK 0xffu

#define APIC_INHIBIT_HISTORY 32u

/* One change of the mask (time on the caller's clock, the host TSC in hv). */
struct apic_inhibit_event {
    uint64_t time;
    int32_t vcpu;            /* the vCPU whose action changed it, -1: none */
    uint32_t reason;         /* one APIC_INHIBIT_* bit */
    bool set;                /* set (true) or cleared */
    bool active_before, active_after;
    uint32_t reasons_after;  /* the whole mask after the change */
};

struct apic_inhibit_vm {
    uint32_t reasons;        /* VM-scope mask; written under the lock, read atomically */
    uint32_t honoured;       /* reasons that deactivate on this CPU (fixed at init) */
    uint32_t active;         /* 1: accelerated (atomic) */
    uint32_t generation;     /* bumped by every toggle of `active` (atomic) */
    int32_t irq_window;      /* vCPUs waiting for an interrupt window (atomic) */
    uint64_t nevents;        /* events ever recorded; the ring holds the last ones */
    struct apic_inhibit_event hist[APIC_INHIBIT_HISTORY];
};

/* What an update did, for the caller: nothing, the mask only, or the
 * activation too (then every vCPU must be kicked to apply it). */
enum apic_inhibit_change { APIC_INHIBIT_UNCHANGED = 0, APIC_INHIBIT_MASK, APIC_INHIBIT_TOGGLED };

void apic_inhibit_init(struct apic_inhibit_vm *m, uint32_t honoured, uint32_t initial);

/* Set (@set) or clear VM-scope @reasons (one or more bits).  Under the
 * VM's lock.  One history event per bit that changed. */
enum apic_inhibit_change apic_inhibit_update(struct apic_inhibit_vm *m, uint32_t reasons, bool set,
                                             int vcpu, uint64_t now);

/* Lock-free readers (inline: the run loop asks before every full pass). */
static inline bool apic_inhibit_active(const struct apic_inhibit_vm *m)
{
    return __atomic_load_n(&m->active, __ATOMIC_ACQUIRE) != 0;
}

static inline uint32_t apic_inhibit_generation(const struct apic_inhibit_vm *m)
{
    return __atomic_load_n(&m->generation, __ATOMIC_ACQUIRE);
}

static inline uint32_t apic_inhibit_reasons(const struct apic_inhibit_vm *m)
{
    return __atomic_load_n(&m->reasons, __ATOMIC_ACQUIRE);
}

/* The IRQ-window count.  A vCPU calls _inc when it starts waiting for an
 * interrupt window for an ExtINT and _dec when it stops (its own flag makes
 * the calls pair up).  Lock-free; true when the count made a 0 <-> 1
 * transition: then the caller takes the VM's lock and calls _sync, which
 * sets or clears APIC_INHIBIT_IRQ_WINDOW from the count as it is then
 * (so racing transitions settle on the right value whatever their order). */
bool apic_inhibit_irq_window_inc(struct apic_inhibit_vm *m);
bool apic_inhibit_irq_window_dec(struct apic_inhibit_vm *m);
enum apic_inhibit_change apic_inhibit_irq_window_sync(struct apic_inhibit_vm *m, int vcpu,
                                                      uint64_t now);

/* The last events, oldest first, into @out (at most @max); returns how many.
 * Under the VM's lock (a consistent copy). */
unsigned apic_inhibit_history(const struct apic_inhibit_vm *m, struct apic_inhibit_event *out,
                              unsigned max);

/* Name of one reason bit ("irq-window"), and a "config,x2apic-no-hw" list
 * ("none" for 0) of @reasons into @buf. */
const char *apic_inhibit_name(uint32_t reason);
/* "irq-window,id-modified" (VM-scope names, comma-separated, no spaces;
 * "none" for 0) into *@mask; false for an unknown or vCPU-scope name. */
bool apic_inhibit_parse(const char *s, unsigned n, uint32_t *mask);
void apic_inhibit_describe(uint32_t reasons, char *buf, unsigned size);

#endif /* KEEL_APIC_APIC_INHIBIT_H */
