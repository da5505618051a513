/* SPDX-License-Identifier: MIT */
/* Building a VM from its boot-time description. */
#ifndef KEEL_HV_VM_CREATE_H
#define KEEL_HV_VM_CREATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/multiboot.h"
#include "hv/mm/guest_ram.h"
#include "hv/passthru.h"
#include "hv/vapic.h"
#include "hv/dev/vplatform.h"

struct vm;

struct vm_spec {
    unsigned index;
    const char *name;
    const uint8_t *image;
    size_t image_len;
    const char *cmdline;
    bool linux_guest;        /* a bzImage (hv/linux_boot.c), else Multiboot */
    const uint8_t *initrd;   /* Linux only; NULL for none */
    size_t initrd_len;
    struct mb_module mods[MB_MAX_MODULES];
    unsigned nmods;
    uint64_t mem_size;
    uint64_t mem_hpa;        /* backing of the low range, allocated before ExitBootServices */
    struct guest_ram ram;    /* every range's host chunks (hv/mm/guest_ram.h) */
    unsigned first_cpu;      /* index into cpus[] */
    unsigned ncpus;
    struct vapic_vm_opts apic;      /* x2APIC, TSC deadline, ID policy */
    struct vplatform_opts platform; /* test ports, PIT policy, MADT form */
    struct passthru_cfg pci;        /* assigned host PCI functions (hv/passthru.h) */
    bool invariant_tsc;             /* keel.cfg invariant_tsc, resolved: CPUID 80000007H EDX[8] */

    bool on_reboot_stop;     /* keel.cfg on_reboot = stop (else restart) */
    bool triple_fault_reset; /* keel.cfg on_triple_fault = reset (else stop) */
};

/* Creates the VM, maps its memory, loads the guest and binds its vCPUs to
 * their physical CPUs.  0, or -1 after saying why. */
int vm_create(const struct vm_spec *s, struct vm **out);

/* A restart (hv/vm_reset.c): the guest image loaded again into the VM's
 * (cleared) RAM from the copy read at boot, vCPU 0 at its entry.  On vCPU
 * 0's CPU with the VM's vCPUs parked.  0, or -1 after saying why. */
int vm_reload_guest(struct vm *vm);

/* The state Keel gives a vCPU where firmware would have set it, at
 * creation and after a restart: XCR0, the MSRs Keel keeps (MTRRs). */
void vcpu_firmware_defaults(struct vcpu *v);

#endif /* KEEL_HV_VM_CREATE_H */
