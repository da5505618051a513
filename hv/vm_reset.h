/* SPDX-License-Identifier: MIT */
/*
 * Restarting a VM, as a PC resets when its software asks: the reset
 * control register at 0xCF9 (also the ACPI FADT's reset register, which
 * points there), the 8042's reset line, a triple fault when keel.cfg says
 * on_triple_fault = reset, and the shell's `vm restart N`.
 *
 * The request only records the cause and kicks the VM's vCPUs; each vCPU,
 * on its own physical CPU, joins a rendezvous from its run loop (hv/run.c)
 * once out of guest mode: when all are parked, vCPU 0 clears guest RAM,
 * resets the platform's devices (hv/dev/vplatform.c: the CMOS RTC keeps
 * its time and RAM, as a battery-backed one does) and loads the guest
 * image again from the copy read at boot; then each vCPU resets its own
 * state (registers to the INIT state, the local APIC to its power-on
 * state, FPU, NMI and interrupt-window bookkeeping, guest TLB); the last
 * one out releases them all.  vCPU 0 then starts at the guest's entry as
 * at first boot; the others wait for INIT/SIPI (or KEEL_HC_VCPU_START).
 * The nested page tables are kept (guest RAM does not move).  Nothing of
 * another VM is touched.
 */
#ifndef KEEL_HV_VM_RESET_H
#define KEEL_HV_VM_RESET_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/vm.h"

enum vm_restart_cause {
    VM_RESTART_NONE = 0,
    VM_RESTART_CF9,        /* RST_CNT hard or full reset (also the FADT's RESET_REG) */
    VM_RESTART_CF9_SOFT,   /* RST_CNT soft reset (INIT#): restarts too, no firmware to resume */
    VM_RESTART_KBC,        /* the 8042's reset line */
    VM_RESTART_TRIPLE,     /* a triple fault, with on_triple_fault = reset */
    VM_RESTART_SHELL,      /* `vm restart N` */
    VM_RESTART_CAUSE_COUNT
};

/* What caused it, in words ("reset control register 0xCF9"). */
const char *vm_restart_cause_name(enum vm_restart_cause c);

/* The guest reset its machine (@value: the byte written, for the log).
 * With keel.cfg on_reboot = stop the VM ends with KEEL_STATUS_REBOOT;
 * otherwise a restart is requested (a second request before it is done
 * is the same restart).  Any CPU; the caller holds no lock. */
void vm_request_restart(struct vm *vm, enum vm_restart_cause cause, uint32_t value);
/* The shell's restart: whatever on_reboot says.  False (nothing done) when
 * the VM has ended. */
bool vm_restart_from_shell(struct vm *vm);

/* The rendezvous; on the vCPU's own CPU, from the run loop, outside the
 * guest.  Returns when the VM restarted (or ended meanwhile). */
void vm_restart_rendezvous(struct vcpu *v);

/* A restart waits for this vCPU (one load: the run loop's test). */
static inline bool vm_restart_pending(const struct vm *vm)
{
    return __atomic_load_n(&vm->restart_cause, __ATOMIC_ACQUIRE) != VM_RESTART_NONE;
}

#endif /* KEEL_HV_VM_RESET_H */
