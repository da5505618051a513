/* SPDX-License-Identifier: MIT */
/*
 * Device assignment (keel.cfg `pci = BB:DD.F`, docs/iommu.md): a host PCI
 * function given to one VM.  At VM creation each function is checked
 * (an IOMMU, a unit that covers it, the function exists, a plain device,
 * not given to another VM), the VM's I/O page tables are built over its
 * RAM (GPA -> HPA, everything else unmapped, so DMA outside the VM faults),
 * the device is attached to them in its IOMMU unit with the VM's domain
 * ID, and it appears on the VM's virtual PCI bus (hv/dev/pci_pt.c).
 *
 * Interrupts: the guest's MSI address and data stay virtual; the device's
 * physical MSI goes to a Keel host vector on the CPU of the VM's vCPU 0,
 * through a remapping IRTE where the unit remaps interrupts (AMD-Vi: the
 * device's interrupt table; VT-d: the unit's), direct otherwise, and the
 * run loop injects the guest's message through the vLAPICs (passthru_poll).
 *
 * Faults: the IOMMU units' event log / fault recording registers are
 * polled from vCPU 0's run loop (at most every millisecond) and when the
 * VM stops; each record is one line naming the VM and the device, and
 * `on_dma_fault = stop` ends the VM.
 *
 * Locking: the registry of assigned devices is written once, at VM
 * creation on the boot CPU; a device's pending-interrupt flag is atomic;
 * its mediated configuration space is under vplatform.lock.
 */
#ifndef KEEL_HV_PASSTHRU_H
#define KEEL_HV_PASSTHRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;

#define HOST_VEC_PASSTHRU   0xd0 /* host vectors of assigned devices' MSIs */
#define HOST_VEC_PASSTHRU_N 16

struct passthru_cfg {
    unsigned npci;
    uint16_t pci[4];
    bool dma_fault_continue;
};

/* Assigns the functions cfg names to vm (after its platform exists).  0, or
 * -1 after one line saying which function and why. */
int passthru_vm_init(struct vm *vm, const struct passthru_cfg *cfg);
/* From vCPU 0's run loop: the devices' interrupts injected, the IOMMU
 * faults reported (rate-limited). */
void passthru_poll(struct vm *vm);
/* The VM ended: faults reported one last time, then each device's bus
 * mastering and decoding off, MSI off, FLR where it has it, and its IOMMU
 * entry made to block everything. */
void passthru_vm_stop(struct vm *vm);
/* A host vector in [HOST_VEC_PASSTHRU, + _N) arrived (interrupt context). */
void passthru_host_irq(unsigned vector);
/* The shell's `iommu`: the VM's i-th assigned function in one line (host
 * and guest address, unit, domain, MSI path, DMA faults so far), or -1
 * past the last; and the faults of devices no VM owns. */
int passthru_describe(const struct vm *vm, unsigned i, char *buf, size_t n);
uint64_t passthru_unowned_faults(void);

#endif /* KEEL_HV_PASSTHRU_H */
