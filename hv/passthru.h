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
 * physical MSI goes through the unit's IRTE for it (AMD-Vi: the device's
 * interrupt table; VT-d: the unit's), whose form hv/irq_post.c chooses:
 * posted straight into one vCPU's APIC state where the message, the unit,
 * the VM's acceleration and the vCPU allow it; else remapped to a Keel host
 * vector on the CPU of the VM's vCPU 0, and the run loop injects the
 * guest's message through the vLAPICs (passthru_poll).  Direct (no IRTE)
 * where the unit does not remap.  The route is decided again when the
 * guest reprograms its MSI, when the VM's APIC acceleration changes
 * (passthru_accel_changed, then vCPU 0's run loop) and, AMD-Vi, when the
 * target's placement changes (passthru_placement: IsRun, Destination,
 * GALogIntr).  docs/iommu.md, "The life of a device interrupt".
 *
 * Faults: the IOMMU units' event log / fault recording registers are
 * polled from vCPU 0's run loop (at most every millisecond) and when the
 * VM stops; each record is one line naming the VM and the device, and
 * `on_dma_fault = stop` ends the VM.
 *
 * Locking: the registry of assigned devices is written once, at VM
 * creation on the boot CPU; a device's pending-interrupt flag is atomic;
 * its mediated configuration space is under vplatform.lock; its route
 * (the guest's MSI as last programmed, the IRTE's form and contents) under
 * its route_lock, taken after vplatform.lock; a vapic_vm map_lock (the
 * views snapshot) and the IOMMU unit's lock nest inside it, one at a time.
 */
#ifndef KEEL_HV_PASSTHRU_H
#define KEEL_HV_PASSTHRU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;

#define HOST_VEC_PASSTHRU   0xd0 /* host vectors of assigned devices' MSIs */
#define HOST_VEC_PASSTHRU_N 16
#define HOST_VEC_IOMMU      0xee /* the IOMMU units' own interrupt (AMD-Vi GA log) */

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
/* HOST_VEC_IOMMU arrived (interrupt context): the GA logs read, each
 * entry's vCPU woken. */
void passthru_iommu_irq(void);
/* The run loop published a new placement for v (hv/run.c vcpu_place):
 * guest-mode IRTEs posting to it follow, before the caller goes on (a vCPU
 * about to sleep has IsRun = 0 and GALogIntr = 1 in force). */
void passthru_placement(struct vcpu *v);
/* The VM's APIC acceleration toggled (hv/vapic_accel.c): its devices'
 * routes are decided again by vCPU 0's run loop, which this kicks. */
void passthru_accel_changed(struct vm *vm);
/* The shell's `iommu`: the VM's i-th assigned function in one line (host
 * and guest address, unit, domain, MSI path, DMA faults so far), or -1
 * past the last; and the faults of devices no VM owns. */
int passthru_describe(const struct vm *vm, unsigned i, char *buf, size_t n);
uint64_t passthru_unowned_faults(void);
/* The emulated MSI-X table pages of vm's assigned devices at gpa
 * (hv/emul/emul_mmio.c through vcpu_find_mmio), or NULL.  Lock-free; the
 * range's handlers check the address again under vplatform.lock. */
struct bus_range;
const struct bus_range *passthru_find_mmio(const struct vm *vm, uint64_t gpa);

#endif /* KEEL_HV_PASSTHRU_H */
