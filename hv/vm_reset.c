/* SPDX-License-Identifier: MIT */
/* VM restart: the request and the vCPUs' rendezvous (hv/vm_reset.h). */
#include "hv/vm_reset.h"

#include <string.h>

#include "apic/vlapic.h"
#include "hv/abi.h"
#include "hv/dev/vplatform.h"
#include "hv/host/console.h"
#include "hv/host/fpu.h"
#include "hv/mm/mem.h"
#include "hv/vapic.h"
#include "hv/host/hosttimer.h"
#include "hv/host/time.h"
#include "hv/x86.h"
#include "hv/vendor.h"
#include "hv/emul/nmi.h"
#include "hv/vm_create.h"

static const char *const cause_names[VM_RESTART_CAUSE_COUNT] = {
    [VM_RESTART_NONE] = "none",
    [VM_RESTART_CF9] = "reset control register 0xCF9",
    [VM_RESTART_CF9_SOFT] = "reset control register 0xCF9, soft reset",
    [VM_RESTART_KBC] = "8042 reset line",
    [VM_RESTART_TRIPLE] = "triple fault",
    [VM_RESTART_SHELL] = "from the shell",
};

const char *vm_restart_cause_name(enum vm_restart_cause c)
{
    return (unsigned)c < VM_RESTART_CAUSE_COUNT ? cause_names[c] : "?";
}

static bool restart_claim(struct vm *vm, enum vm_restart_cause cause, uint32_t value)
{
    uint32_t none = VM_RESTART_NONE;
    if (vm_ended(vm) || !__atomic_compare_exchange_n(&vm->restart_cause, &none, (uint32_t)cause,
                                                     false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        return false; /* ended, or a restart is already under way */
    vm->restart_value = value;
    log_debug("vm%u: restart requested (%s)", vm->index, vm_restart_cause_name(cause));
    for (unsigned i = 0; i < vm->nvcpus; i++)
        vcpu_kick(vm->vcpus[i]); /* out of the guest, or out of a HLT wait */
    return true;
}

void vm_request_restart(struct vm *vm, enum vm_restart_cause cause, uint32_t value)
{
    if (vm->on_reboot_stop) {
        vm_end(vm, KEEL_STATUS_REBOOT, "rebooted (%s, value %#x); on_reboot = stop: status %d",
               vm_restart_cause_name(cause), (unsigned)value, KEEL_STATUS_REBOOT);
        return;
    }
    restart_claim(vm, cause, value);
}

bool vm_restart_from_shell(struct vm *vm)
{
    return restart_claim(vm, VM_RESTART_SHELL, 0) || (!vm_ended(vm) && vm_restart_pending(vm));
}

/* Spin until *@word reaches @want (or differs from it, @differ), or the
 * VM ends; false in the latter case.  The waits are short: every vCPU is
 * kicked, and the longest step is clearing guest RAM.  @by (the waiting
 * vCPU) kicks the others again every millisecond while they have not
 * arrived: one kick is all a vCPU spinning in the guest without exits gets,
 * and it must not be lost. */
static bool wait_for(struct vm *vm, volatile uint32_t *word, uint32_t want, bool differ,
                     const struct vcpu *by)
{
    uint64_t next = rdtsc() + tsc_hz / 1000;
    for (;;) {
        uint32_t cur = __atomic_load_n(word, __ATOMIC_ACQUIRE);
        if (differ ? cur != want : cur == want)
            return true;
        if (vm_ended(vm))
            return false;
        if (by && rdtsc() >= next) {
            for (unsigned i = 0; i < vm->nvcpus; i++)
                if (vm->vcpus[i] != by)
                    vcpu_kick(vm->vcpus[i]);
            next = rdtsc() + tsc_hz / 1000;
        }
        __asm__ volatile("pause" ::: "memory");
    }
}

/* This vCPU's own state back to RESET (SDM 9.1.1 table 9-1): on its CPU,
 * where its VMCB/VMCS, FPU and APIC page belong. */
static void vcpu_power_reset(struct vcpu *v)
{
    vapic_irq_window(v, false); /* leaves the VM's IRQ-window count (inhibit) */
    vops->set_intr_window(v, false);
    vops->set_iret_exit(v, false);
    vops->set_tpr_threshold(v, -1);
    vapic_lock(v);
    vlapic_reset(&v->apic.vl, false); /* IA32_APIC_BASE, ID, every register */
    vapic_unlock(v);
    vapic_firmware_handover(v);       /* keel.cfg apic_mode, as at the first boot */
    vcpu_nmi_reset(v);
    vcpu_firmware_defaults(v);        /* XCR0, the MTRRs */
    memset(v->perf_msr, 0, sizeof(v->perf_msr));
    fpu_init_state(v->fpu);
    v->pcpu->fpu_guest_saved = true; /* the next entry loads the reset state */
    vcpu_reset_init(v);              /* registers, queued event and shadow dropped */
    vops->flush_guest_tlb(v);        /* a reset empties the TLBs; the ASID/VPID stays */
    v->start_eip = v->start_eax = v->start_ebx = 0;
    v->started = false;
    __atomic_store_n(&v->state, VCPU_WAIT_START, __ATOMIC_RELEASE);
}

/* vCPU 0, with every vCPU parked: RAM, the devices, the image. */
static void vm_platform_restart(struct vm *vm)
{
    uint32_t n = ++vm->restarts;
    spin_lock(&vm->lock);
    con_prefixed_flush(&vm->con, vm->con_prefix); /* the old boot's last partial line */
    vm->tests_reported = false;
    vm->tests_passed = vm->tests_failed = 0;
    spin_unlock(&vm->lock);
    log_info("vm%u (%s) restart %u: %s (value %#x)", vm->index, vm->name, n,
             vm_restart_cause_name((enum vm_restart_cause)vm->restart_cause),
             (unsigned)vm->restart_value);
    for (unsigned i = 0; i < vm->ram.nslots; i++)
        memset(phys_to_virt(vm->ram.slot[i].hpa), 0, vm->ram.slot[i].size);
    vplatform_reset(vm->plat);
    if (vm_reload_guest(vm))
        vm_end(vm, KEEL_STATUS_BOOT_FAILURE, "stopped: restart %u: cannot load the guest again", n);
}

void vm_restart_rendezvous(struct vcpu *v)
{
    struct vm *vm = v->vm;
    uint32_t gen = __atomic_load_n(&vm->restart_gen, __ATOMIC_ACQUIRE);
    host_timer_arm(0);
    __atomic_add_fetch(&vm->restart_arrived, 1, __ATOMIC_ACQ_REL);
    if (!wait_for(vm, &vm->restart_arrived, vm->nvcpus, false, v))
        return;
    /* Every vCPU of the VM is out of the guest and here. */
    log_debug("vm%u vCPU %u: parked for the restart", vm->index, v->index);
    vcpu_power_reset(v);
    log_debug("vm%u vCPU %u: reset", vm->index, v->index);
    if (v->index == 0) {
        vm_platform_restart(vm); /* vCPU 0's entry state and RUNNABLE */
        __atomic_store_n(&vm->restart_platform_done, 1, __ATOMIC_RELEASE);
    } else if (!wait_for(vm, &vm->restart_platform_done, 1, false, NULL)) {
        return;
    }
    if (__atomic_add_fetch(&vm->restart_departed, 1, __ATOMIC_ACQ_REL) == vm->nvcpus) {
        vapic_accel_update_page(vm); /* every APIC back at FEE00000H in xAPIC mode */
        vm->restart_arrived = vm->restart_platform_done = vm->restart_departed = 0;
        __atomic_store_n(&vm->restart_cause, VM_RESTART_NONE, __ATOMIC_RELEASE);
        __atomic_add_fetch(&vm->restart_gen, 1, __ATOMIC_ACQ_REL);
        return;
    }
    wait_for(vm, &vm->restart_gen, gen, true, NULL);
}
