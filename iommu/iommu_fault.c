/* SPDX-License-Identifier: MIT */
/* One-line reports of IOMMU faults (iommu/iommu_fault.h).  Pure. */
#include <stdio.h>

#include "iommu/iommu_fault.h"

static const char *const kind_names[] = {
    [IOMMU_FAULT_OTHER] = "event", [IOMMU_FAULT_DMA] = "DMA blocked",
    [IOMMU_FAULT_DEVICE_ENTRY] = "bad device entry", [IOMMU_FAULT_INTERRUPT] = "interrupt blocked",
    [IOMMU_FAULT_COMMAND] = "command refused", [IOMMU_FAULT_HARDWARE] = "hardware error",
};

int iommu_fault_format(const struct iommu_fault *f, char *buf, size_t n)
{
    size_t at = 0;
    int r;
    const char *kind = f->kind < sizeof(kind_names) / sizeof(kind_names[0]) ? kind_names[f->kind]
                                                                            : "event";

#define ADD(...) \
    do { \
        r = snprintf(buf + at, at < n ? n - at : 0, __VA_ARGS__); \
        at += r > 0 ? (size_t)r : 0; \
    } while (0)
    if (!n)
        return 0;
    buf[0] = '\0';
    ADD("%s (%s, code %#x)", kind, f->name ? f->name : "unknown", f->code);
    if (f->flags & IOMMU_FA_HAS_DEVICE)
        ADD(": device %02x:%02x.%x", f->bdf >> 8, (f->bdf >> 3) & 0x1f, f->bdf & 7);
    if (f->flags & IOMMU_FA_HAS_INDEX)
        ADD(", IRTE index %u", f->index);
    if (f->flags & IOMMU_FA_HAS_ADDR)
        ADD(", address %#llx", (unsigned long long)f->addr);
    if (f->kind == IOMMU_FAULT_DMA)
        ADD(", %s%s", f->flags & IOMMU_FA_EXEC ? "execute" : f->flags & IOMMU_FA_WRITE ? "write" : "read",
            f->flags & IOMMU_FA_PRESENT ? " (permission)" : " (not mapped)");
    if (f->flags & IOMMU_FA_HAS_DOMAIN)
        ADD(", domain %u", f->domain);
    if (f->flags & IOMMU_FA_HAS_PASID)
        ADD(", PASID %#x", f->pasid);
#undef ADD
    return (int)(at < n ? at : n - 1);
}
