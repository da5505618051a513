/* SPDX-License-Identifier: MIT */
/*
 * Putting a device behind a VM's I/O page tables, vendor-neutral: what
 * hv/passthru.c asks of the IOMMU drivers (iommu/amd/amdvi.c,
 * iommu/vtd/vtd.c), chosen by the unit's vendor here, once per call.
 *
 * Every command the drivers queue (AMD-Vi INVALIDATE_DEVTAB_ENTRY,
 * INVALIDATE_IOMMU_PAGES, COMPLETION_WAIT; VT-d context-cache and IOTLB
 * invalidations with a wait descriptor) is waited for with a bound, and a
 * failure is logged with the command, the registers and the caller.
 * Locking: one lock per unit inside the drivers (its queue, its tables).
 */
#ifndef KEEL_IOMMU_IOMMU_DOMAIN_H
#define KEEL_IOMMU_IOMMU_DOMAIN_H

#include <stdbool.h>
#include <stdint.h>

#include "iommu/iommu_fault.h"
#include "iommu/iopt.h"

/* How unit walks I/O page tables: the entry format, the number of levels
 * to build (3 or 4, from what the unit supports), and whether its walks
 * snoop the CPU caches (else written tables must be flushed).  NULL when
 * the unit has no usable queue (nothing can be attached to it). */
const struct iopt_format *iommu_table_format(unsigned unit, unsigned *levels, bool *coherent);

/* Writes back the cache lines of [p, p + len) (CLFLUSH, then MFENCE):
 * for units whose table walks do not snoop. */
void iommu_sync(const void *p, unsigned len);

/* Device bdf of unit translates through the table at root (levels) as
 * domain: its device-table or context entry written, the caches
 * invalidated and waited for.  0, or -1 after logging why (caller named). */
int iommu_attach(unsigned unit, uint16_t bdf, uint16_t domain, uint64_t root, unsigned levels,
                 const char *caller);
/* The device's entry blocks everything again (AMD: V=1, TV=0 with no
 * permission; VT-d: not present), caches invalidated.  0 or -1 (logged). */
int iommu_detach(unsigned unit, uint16_t bdf, uint16_t domain, const char *caller);

/* Whether unit remaps assigned devices' MSIs (AMD-Vi with 128-bit IRTEs:
 * EFR.GASup; VT-d with ECAP.IR). */
bool iommu_msi_remaps(unsigned unit);
/* Points the device's MSI at host vector on the physical APIC dest through
 * the unit's remapping table: 0 with the MSI address and data the device
 * must be given; 1 when the unit does not remap (the caller programs a
 * direct MSI); -1 after logging why. */
int iommu_msi_remap(unsigned unit, uint16_t bdf, uint8_t vector, uint32_t dest, const char *caller,
                    uint64_t *addr, uint32_t *data);

/* Interrupt posting (hv/irq_post.h, docs/iommu.md): whether unit posts
 * (AMD-Vi: GAMEn vAPIC with the GA log running; VT-d: IR with CAP.PI),
 * and whether its destinations are 32-bit (*x2). */
bool iommu_msi_posts(unsigned unit, bool *x2);
/* Replaces the device's IRTE number index (its MSI: 0; its MSI-X entry
 * i: i, below IOMMU_DEV_IRTES) with lo/hi (the unit's vendor format, any
 * form) in one 128-bit store, then invalidates it and waits: 0 with the
 * MSI address and data the device must be given (the same for every form:
 * switching forms needs no change on the device); 1 when the unit does not
 * remap; -1 after logging why. */
#define IOMMU_DEV_IRTES 8 /* IRTEs per device: AMD-Vi IntTabLen 3 */
int iommu_irte_set(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                   const char *caller, uint64_t *addr, uint32_t *data);
/* AMD-Vi: a guest-mode IRTE's placement fields rewritten (wide: a 128-bit
 * store, else 64-bit, as irq_post_amd_place said), then invalidated and
 * waited for.  0, or -1 (logged; VT-d: -1, its placement is in the PI
 * descriptor). */
int iommu_irte_place(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                     bool wide, const char *caller);
/* AMD-Vi GA log: each entry's GATag and device to fn; the unit's own MSI
 * to vector on the physical APIC dest.  Poll: entries consumed, or -1 when
 * the log had overflowed (entries lost, then restarted unless in_irq).
 * VT-d: nothing (0). */
typedef void (*iommu_ga_fn)(void *ctx, uint32_t ga_tag, uint16_t devid);
int iommu_ga_poll(unsigned unit, bool in_irq, iommu_ga_fn fn, void *ctx);
int iommu_ga_irq_setup(unsigned unit, uint8_t vector, uint32_t dest);

/* Reads and consumes what the unit recorded since the last call (AMD-Vi
 * event log, VT-d fault recording registers), calling fn for each record.
 * Returns how many. */
typedef void (*iommu_fault_fn)(void *ctx, unsigned unit, const struct iommu_fault *f);
/* The unit's fault interrupt (VT-d fault event: FEDATA/FEADDR, FECTL.IM
 * cleared, 7.4.1; AMD-Vi: CONTROL.EventIntEn with the unit's MSI, 2.5)
 * to vector on the physical APIC dest (8 bits; VT-d with EIME: 32): 0, or
 * -1 after logging why (faults are still polled).  Once per unit. */
int iommu_fault_irq_setup(unsigned unit, uint8_t vector, uint32_t dest);
int amdvi_fault_irq_setup(unsigned unit, uint8_t vector, uint32_t dest);
int vtd_fault_irq_setup(unsigned unit, uint8_t vector, uint32_t dest);
unsigned iommu_poll_faults(unsigned unit, iommu_fault_fn fn, void *ctx);

/* The vendor halves. */
const struct iopt_format *amdvi_table_format(unsigned unit, unsigned *levels, bool *coherent);
int amdvi_attach(unsigned unit, uint16_t bdf, uint16_t domain, uint64_t root, unsigned levels,
                 const char *caller);
int amdvi_detach(unsigned unit, uint16_t bdf, uint16_t domain, const char *caller);
unsigned amdvi_poll_faults(unsigned unit, iommu_fault_fn fn, void *ctx);
bool amdvi_msi_remaps(unsigned unit);
int amdvi_msi_remap(unsigned unit, uint16_t bdf, uint8_t vector, uint32_t dest, const char *caller,
                    uint64_t *addr, uint32_t *data);
bool amdvi_msi_posts(unsigned unit, bool *x2);
int amdvi_irte_set(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                   const char *caller, uint64_t *addr, uint32_t *data);
int amdvi_irte_place(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                     bool wide, const char *caller);
int amdvi_ga_poll(unsigned unit, bool in_irq, iommu_ga_fn fn, void *ctx);
int amdvi_ga_irq_setup(unsigned unit, uint8_t vector, uint32_t dest);
bool vtd_msi_posts(unsigned unit, bool *x2);
int vtd_irte_set(unsigned unit, uint16_t bdf, unsigned index, uint64_t lo, uint64_t hi,
                 const char *caller, uint64_t *addr, uint32_t *data);
bool vtd_msi_remaps(unsigned unit);
int vtd_msi_remap(unsigned unit, uint16_t bdf, uint8_t vector, uint32_t dest, const char *caller,
                  uint64_t *addr, uint32_t *data);
const struct iopt_format *vtd_table_format(unsigned unit, unsigned *levels, bool *coherent);
int vtd_attach(unsigned unit, uint16_t bdf, uint16_t domain, uint64_t root, unsigned levels,
               const char *caller);
int vtd_detach(unsigned unit, uint16_t bdf, uint16_t domain, const char *caller);
unsigned vtd_poll_faults(unsigned unit, iommu_fault_fn fn, void *ctx);

#endif /* KEEL_IOMMU_IOMMU_DOMAIN_H */
