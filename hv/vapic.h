/* SPDX-License-Identifier: MIT */
/*
 * The virtual local APIC of each vCPU, as the rest of the hypervisor sees
 * it: creation, the xAPIC page and x2APIC MSRs, interrupt routing between
 * vCPUs, and what the run loop asks before each entry (is an NMI, INIT,
 * SIPI or interrupt pending; when does the APIC timer fire).  The
 * architectural state machine itself is apic/vlapic.c; destination matching
 * is apic/apic_dest.c.
 *
 * Locking (the lock table is at the top of hv/vm.h): each vCPU's APIC
 * state is changed only under that vCPU's `apic.lock`.  Messages to other
 * vCPUs and level EOIs to the I/O APIC are queued while it is held and sent
 * after vapic_unlock() has dropped it, so no path holds two APIC locks, and
 * an APIC lock is never held while the platform lock is taken.  The other
 * way round does nest: a device model delivering an interrupt (the I/O
 * APIC's vapic_route, the 8259's vapic_lint) runs under the platform lock
 * and takes one target's APIC lock at a time.
 */
#ifndef KEEL_HV_VAPIC_H
#define KEEL_HV_VAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_accel.h"
#include "apic/apic_defs.h"
#include "apic/vlapic.h"
#include "hv/dev/iobus.h"
#include "hv/host/spinlock.h"

struct vcpu;
struct vm;

/* What the APIC state machine asked for while its lock was held, done
 * after the lock is dropped. */
#define VAPIC_DEFER_MSGS 4
#define VAPIC_DEFER_EOIS 4
struct vapic_defer {
    struct apic_msg msg[VAPIC_DEFER_MSGS];
    unsigned nmsgs;
    uint8_t eoi[VAPIC_DEFER_EOIS];
    unsigned neoi;
    bool dest_changed;
    bool base_changed;
    unsigned dropped;
};

/* xAPIC registers whose writes the CPU stores in the APIC page and then
 * reports (Intel APIC-write exits): their committed values are kept aside
 * (hv/vapic_accel.c). */
#define VAPIC_TRAP_REGS 15

/* A vCPU's local APIC as hv/vapic.c keeps it (`struct vcpu` member
 * `apic`).  `lock` protects vl (with the register page), defer and mmio;
 * the acceleration fields belong to the vCPU's own CPU (decided by the run
 * loop before each entry, applied by the vendor code). */
struct vcpu_apic {
    struct spinlock lock;
    struct vlapic vl;
    uint32_t *page;               /* the register page (APICv virtual-APIC page) */
    struct vapic_defer defer;     /* work queued under lock, done by vapic_unlock */
    struct bus_range mmio;        /* this vCPU's xAPIC page (len 0: not decoded) */
    struct apic_accel accel;      /* hv/vapic_accel.c: the decision for the next entry */
    bool accel_decided;           /* accel holds a decision (logged once at least) */
    struct apic_accel_input accel_in; /* what accel was decided from (vapic_accel_decide) */
    uint32_t trap_shadow[VAPIC_TRAP_REGS]; /* registers as last committed */
    uint64_t plat_level_vec[4];   /* the I/O APIC's level vectors as last read */
    uint32_t plat_level_gen;
    unsigned anomalies;           /* unexpected APIC-write exits reported */
    bool irq_window_counted;      /* counted in the VM's IRQ-window count */
};

#define VAPIC_NONE   (-1)
#define VAPIC_EXTINT 0x100   /* vapic_pending_intr(): an 8259 interrupt (ExtINT) */

struct vapic_vm_opts {
    bool x2apic;             /* CPUID offers x2APIC */
    bool x2apic_at_entry;    /* keel.cfg apic_mode = x2apic: firmware left x2APIC on */
    bool tsc_deadline;       /* CPUID offers the TSC-deadline timer */
    bool x2apic_exact_ids;   /* the documented deviation (apic_dest_policy) */
    bool accel;              /* keel.cfg apic_accel: hardware APIC virtualization allowed */
    /* keel.cfg avic, avic_erratum_1235 (-1 auto, 1 on, 0 off) and
     * x2apic_no_x2avic: passed to the vendor, which alone knows them. */
    int8_t avic, avic_erratum_1235;
    bool x2apic_hybrid;
    uint32_t inhibit_test;   /* keel.cfg inhibit_test: reasons honoured on top of the CPU's */
};

int vapic_vm_init(struct vm *vm, const struct vapic_vm_opts *opts);
const struct vapic_vm_opts *vapic_vm_opts(const struct vm *vm);
int vapic_create(struct vcpu *v);
/* keel.cfg apic_mode: the local APIC's mode as firmware leaves it, after
 * creation and after every RESET of the vCPU. */
void vapic_firmware_handover(struct vcpu *v);

/* Kick every other vCPU the IPI @icr from @v addresses (the CPU already
 * set their IRR: AVIC's target-not-running exit).  A running target exits
 * and its next entry evaluates IRR; a sleeping one wakes. */
void vapic_kick_icr_targets(struct vcpu *v, uint64_t icr);
/* Route a message (IPI, I/O APIC, MSI) to the local APICs it addresses. */
void vapic_route(struct vm *vm, const struct apic_msg *m);
/* A copy of the VM's APIC destination views (by vCPU index), taken under
 * the map lock: who an interrupt message would select.  Returns nvcpus. */
unsigned vapic_views_snapshot(struct vm *vm, struct apic_dest_view *out);
/* LINT0/LINT1 of every local APIC in the VM (virtual wire). */
void vapic_lint(struct vm *vm, unsigned pin, bool level);

/* MSR intercepts: 0 handled, 1 not an APIC MSR, -1 #GP for the guest. */
int vapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val);
int vapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val);
/* CPUID.1:EDX.APIC follows IA32_APIC_BASE.EN (SDM 11.4.3). */
bool vapic_enabled(struct vcpu *v);
uint32_t vapic_initial_id(const struct vcpu *v);

/* Before entry.  Each "take" consumes the event. */
bool vapic_take_init(struct vcpu *v);
int vapic_take_sipi(struct vcpu *v);          /* vector, or VAPIC_NONE */
bool vapic_nmi_pending(struct vcpu *v);
void vapic_take_nmi(struct vcpu *v);
/* The NMIs the vCPU took that are still in service or held by the CPU
 * (apic/vlapic.h nmi_held): the latch's room for more follows. */
void vapic_set_nmi_held(struct vcpu *v, unsigned held);
/* Highest interrupt the APIC would deliver now (IRR above PPR), or
 * VAPIC_EXTINT, or VAPIC_NONE; with none, *tpr_blocked (if not NULL) gets
 * the vector of a requested interrupt only TPR holds back, else -1. */
int vapic_pending_intr(struct vcpu *v, int *tpr_blocked);
/* No vector in IRR and no NMI, INIT, SIPI or ExtINT pending (an unlocked
 * peek: whoever adds one afterwards kicks the vCPU's CPU). */
bool vapic_nothing_pending(struct vcpu *v);
/* Acknowledge what vapic_pending_intr() returned: the vector to inject
 * (IRR -> ISR, or the 8259's acknowledge cycle). */
uint8_t vapic_ack_intr(struct vcpu *v, int pending);
/* The APIC timer: host-TSC deadline (0 = none); expire it when due. */
uint64_t vapic_timer_deadline(struct vcpu *v);
void vapic_timer_check(struct vcpu *v);
/* CR8/V_TPR: the guest's task priority in CR8 form (TPR[7:4]). */
uint8_t vapic_get_cr8(struct vcpu *v);
void vapic_set_cr8(struct vcpu *v, uint8_t cr8);
/* INIT reset of the APIC itself (the vCPU reset is the caller's). */
void vapic_init_reset(struct vcpu *v);

/* ---- hardware acceleration (hv/vapic_accel.c) ---- */

/* What the vendor code loads before an accelerated entry. */
struct vapic_hw_state {
    uint8_t rvi, svi;            /* highest IRR / ISR vector, 0 if none */
    uint64_t eoi_exit[4];        /* vectors whose EOI must exit (level-triggered) */
};

/* The single predicate (apic_accel_decide) for this vCPU now, into *out;
 * false (and *out untouched) when its inputs are those of the decision
 * already in v->apic.accel. */
bool vapic_accel_decide(struct vcpu *v, struct apic_accel *out);
/* Set or clear VM-scope inhibit @reasons (apic/apic_inhibit.h) because of
 * what @by (NULL: no vCPU) did: logged, recorded in the VM's history, and,
 * when the activation toggles, every vCPU kicked to apply it at its next
 * entry and the APIC-access page remapped.  Not under npt_lock (see
 * vapic_accel_update_page). */
void vapic_inhibit(struct vm *vm, uint32_t reasons, bool set, struct vcpu *by);
/* @v starts (true) or stops waiting for an interrupt window to inject an
 * ExtINT: the VM's IRQ-window count (APIC_INHIBIT_IRQ_WINDOW on its
 * 0 <-> 1 transitions only; lock-free otherwise). */
void vapic_irq_window(struct vcpu *v, bool waiting);
/* AVIC_INCOMPLETE_IPI (hv/emul/exit.h struct exit_ipi): send the ICR
 * through the vLAPIC, or only wake the targets the CPU already set IRR
 * in.  0, or -1 after stopping the VM. */
struct exit_ipi;
int vapic_ipi_incomplete(struct vcpu *v, const struct exit_ipi *ipi);
/* The VM's machine at creation (vapic_vm_init): the reasons the CPU
 * honours, @initial set. */
void vapic_inhibit_init(struct vm *vm, uint32_t initial, uint32_t extra_honoured);
/* While the VM is built (no vCPU runs yet): set @reasons, recorded in the
 * history, nobody to kick. */
void vapic_inhibit_at_creation(struct vm *vm, uint32_t reasons);
/* Before an accelerated entry, on the vCPU's own CPU. */
void vapic_accel_prepare(struct vcpu *v, struct vapic_hw_state *s);
/* Only the trap-replay part of it, for a CPU that needs none of the rest
 * (AVIC evaluates the page itself at VMRUN: no RVI, SVI or EOI-exit map). */
void vapic_accel_save_traps(struct vcpu *v);
/* Map or unmap the shared APIC-access page as apic_accel_page_mapped()
 * says now (after a mode or base change, and at VM start). */
void vapic_accel_update_page(struct vm *vm);
/* Trap-like exits of an accelerated APIC: a write the CPU stored in the
 * page at @off (APIC-write exit), and a virtualized EOI of a vector in the
 * EOI-exit bitmap.  0, or -1 after stopping the VM. */
int vapic_apic_write(struct vcpu *v, uint32_t off);
void vapic_eoi_exit(struct vcpu *v, uint8_t vector);

/* hv/vapic.c internals shared with hv/vapic_accel.c and the vendors.
 * vapic_lock() takes v->apic.lock; vapic_unlock() (lock held) drops it,
 * then does what the APIC asked for meanwhile (IPIs, level EOIs,
 * destination and base changes).  vapic_mark_dest_changed(): lock held,
 * a register at @off was written.  "Lock held" is asserted in debug
 * builds (KASSERT(spin_held(...))). */
void vapic_lock(struct vcpu *v);
void vapic_unlock(struct vcpu *v);
void vapic_mark_dest_changed(struct vcpu *v, uint32_t off);
/* The VM's nested page tables changed: every vCPU flushes before its next
 * entry (and is kicked out of the guest to do so). */
void vapic_flush_all_tlbs(struct vm *vm);

#endif /* KEEL_HV_VAPIC_H */
