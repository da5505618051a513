/* SPDX-License-Identifier: MIT */
/*
 * One IOMMU fault, vendor-neutral: what an AMD-Vi event log entry
 * (iommu/amd) or a VT-d fault recording register (iommu/vtd) says, decoded
 * into the device, the address and the kind, for one-line reports.
 */
#ifndef KEEL_IOMMU_IOMMU_FAULT_H
#define KEEL_IOMMU_IOMMU_FAULT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum iommu_fault_kind {
    IOMMU_FAULT_OTHER = 0,    /* code kept in .code; the vendor name in .name */
    IOMMU_FAULT_DMA,          /* a DMA the tables do not allow (AMD IO_PAGE_FAULT, VT-d 1h-Dh) */
    IOMMU_FAULT_DEVICE_ENTRY, /* the device's table entry is missing or bad */
    IOMMU_FAULT_INTERRUPT,    /* an interrupt request refused (AMD IO_PAGE_FAULT with I, VT-d 20h-27h) */
    IOMMU_FAULT_COMMAND,      /* a command or invalidation the unit refused */
    IOMMU_FAULT_HARDWARE,     /* the unit could not read its own tables */
};

#define IOMMU_FA_WRITE       (1u << 0) /* the access was a write (else a read) */
#define IOMMU_FA_PRESENT     (1u << 1) /* the translation was present (a permission fault) */
#define IOMMU_FA_HAS_ADDR    (1u << 2)
#define IOMMU_FA_HAS_DEVICE  (1u << 3)
#define IOMMU_FA_HAS_DOMAIN  (1u << 4)
#define IOMMU_FA_EXEC        (1u << 5)
#define IOMMU_FA_HAS_PASID   (1u << 6)
#define IOMMU_FA_HAS_INDEX   (1u << 7) /* index: the interrupt's remapping table index */

struct iommu_fault {
    uint8_t kind;      /* enum iommu_fault_kind */
    uint8_t code;      /* AMD EventCode; VT-d fault reason */
    uint16_t bdf;      /* the requester */
    uint16_t domain;   /* AMD DomainID */
    uint32_t flags;    /* IOMMU_FA_* */
    uint32_t pasid;
    uint16_t index;    /* interrupt faults: the IRTE index */
    uint64_t addr;     /* the DMA address, the interrupt's address, or the command's */
    const char *name;  /* the vendor's name for the code: "IO_PAGE_FAULT", "write not permitted" */
};

/* "<name>: device BB:DD.F, address 0x..., write, ..." without a newline. */
int iommu_fault_format(const struct iommu_fault *f, char *buf, size_t n);

#endif /* KEEL_IOMMU_IOMMU_FAULT_H */
