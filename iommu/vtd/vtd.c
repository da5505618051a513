/* SPDX-License-Identifier: MIT */
/*
 * VT-d bring-up at boot: the invalidation queue (VT-d 6.5.2) and one
 * invalidation wait descriptor with a status write, waited for with a
 * bound.  Only queued invalidation is enabled: DMA remapping (GCMD.TE) and
 * interrupt remapping (GCMD.IRE) stay as the firmware left them (off on
 * QEMU), so the firmware's devices are untouched.  Hardware glue over
 * vtd_enc.c.
 */
#include <string.h>

#include "hv/host/console.h"
#include "hv/host/time.h"
#include "iommu/iommu_boot.h"
#include "iommu/iommu_mmio.h"
#include "iommu/vtd/vtd_hw.h"

#define QUEUE_PAGES 1      /* 256 descriptors of 128 bits (IQA.QS 0) */
#define WAIT_US     100000
#define WAIT_DATA   0x4b45454cu /* "KEEL" */

struct vtd_unit {
    uint64_t base;
    struct vtd_inv_desc *queue;
    volatile uint32_t *status;
    uint32_t tail;
};

static struct vtd_unit units[IOMMU_MAX_UNITS];

static void fail(unsigned index, const struct vtd_unit *vu, const char *caller, const char *what)
{
    log_warn("iommu: unit %u (VT-d at %#llx): %s (GSTS %#x, FSTS %#x, IQH %#llx, IQT %#llx, "
             "ICS %#x) in %s: no queue",
             index, (unsigned long long)vu->base, what, iommu_rd32_mmio(vu->base, VTD_REG_GSTS),
             iommu_rd32_mmio(vu->base, VTD_REG_FSTS),
             (unsigned long long)iommu_rd64_mmio(vu->base, VTD_REG_IQH),
             (unsigned long long)iommu_rd64_mmio(vu->base, VTD_REG_IQT),
             iommu_rd32_mmio(vu->base, VTD_REG_ICS), caller);
}

/* 11.4.4: a GCMD write carries the persistent enables from GSTS and sets
 * one more; the unit confirms in GSTS. */
static bool gcmd_set(struct vtd_unit *vu, uint32_t cmd, uint32_t sts)
{
    uint32_t g = iommu_rd32_mmio(vu->base, VTD_REG_GSTS) & VTD_GSTS_PERSISTENT;

    iommu_wr32_mmio(vu->base, VTD_REG_GCMD, g | cmd);
    for (unsigned i = 0; i < 1000; i++) {
        if (iommu_rd32_mmio(vu->base, VTD_REG_GSTS) & sts)
            return true;
        udelay(100);
    }
    return false;
}

static int queue_enable(unsigned index, struct vtd_unit *vu, iommu_alloc_fn alloc)
{
    uint64_t pa = alloc(QUEUE_PAGES + 1);

    if (!pa) {
        fail(index, vu, __func__, "no memory below 4 GiB for the invalidation queue");
        return -1;
    }
    memset((void *)(uintptr_t)pa, 0, (QUEUE_PAGES + 1) * 4096);
    vu->queue = (struct vtd_inv_desc *)(uintptr_t)pa;
    vu->status = (volatile uint32_t *)(uintptr_t)(pa + QUEUE_PAGES * 4096);
    vu->tail = 0;
    /* 6.5.2: the tail at 0 before QIE; IQA: base, DW 0 (128-bit), QS 0. */
    iommu_wr64_mmio(vu->base, VTD_REG_IQT, 0);
    iommu_wr64_mmio(vu->base, VTD_REG_IQA, pa);
    if (!gcmd_set(vu, VTD_GCMD_QIE, VTD_GSTS_QIES)) {
        fail(index, vu, __func__, "GSTS.QIES stays 0 after GCMD.QIE");
        return -1;
    }
    return 0;
}

/* 11.4.14: CAP.NFR + 1 fault recording registers at CAP.FRO * 16; a set F
 * bit is a fault the unit recorded (from before Keel, or from the firmware's
 * devices).  Each is reported and cleared (F is write-1-to-clear). */
static unsigned report_faults(unsigned index, struct vtd_unit *vu, uint64_t cap)
{
    uint32_t fro = (uint32_t)((cap >> VTD_CAP_FRO_SHIFT) & VTD_CAP_FRO_MASK) * 16;
    uint32_t nfr = (uint32_t)((cap >> VTD_CAP_NFR_SHIFT) & VTD_CAP_NFR_MASK) + 1;
    unsigned n = 0;
    char line[200];

    if (fro < 0x100 || fro + nfr * 16 > VTD_REG_SIZE) {
        log_warn("iommu: unit %u: fault recording registers at %#x (CAP.FRO), %u of them "
                 "(CAP.NFR): outside the 4 KiB window Keel reads, not checked",
                 index, fro, nfr);
        return 0;
    }
    for (uint32_t i = 0; i < nfr; i++) {
        struct iommu_fault f;
        uint32_t off = fro + i * 16;
        if (vtd_fault_decode(iommu_rd64_mmio(vu->base, off), iommu_rd64_mmio(vu->base, off + 8), &f))
            continue;
        iommu_fault_format(&f, line, sizeof(line));
        log_warn("iommu: unit %u: recorded fault: %s", index, line);
        iommu_wr32_mmio(vu->base, off + 12, (uint32_t)(VTD_FRCD_F >> 32));
        n++;
    }
    return n;
}

int vtd_unit_init(unsigned index, const struct iommu_unit *u, iommu_alloc_fn alloc)
{
    struct vtd_unit *vu = &units[index];
    struct vtd_inv_desc d;
    uint64_t waited;

    vu->base = u->base;
    uint64_t cap = iommu_rd64_mmio(u->base, VTD_REG_CAP), ecap = iommu_rd64_mmio(u->base, VTD_REG_ECAP);
    uint32_t ver = iommu_rd32_mmio(u->base, VTD_REG_VER);
    if (!(ecap & VTD_ECAP_QI)) {
        fail(index, vu, __func__, "ECAP.QI is 0: no queued invalidation");
        return -1;
    }
    if (iommu_rd32_mmio(u->base, VTD_REG_GSTS) & VTD_GSTS_QIES) {
        fail(index, vu, __func__, "queued invalidation already enabled by the firmware: left as it is");
        return -1;
    }
    if (queue_enable(index, vu, alloc))
        return -1;
    if (vtd_inv_wait(&d, (uint64_t)(uintptr_t)vu->status, WAIT_DATA, false, false)) {
        fail(index, vu, __func__, "bad status address");
        return -1;
    }
    vu->queue[0] = d;
    vu->tail = sizeof(d);
    __asm__ volatile("sfence" ::: "memory"); /* the descriptor before the tail move */
    iommu_wr64_mmio(vu->base, VTD_REG_IQT, vu->tail);
    if (!iommu_poll32(vu->status, WAIT_DATA, WAIT_US, &waited)) {
        fail(index, vu, __func__, "invalidation wait did not write its status within 100 ms");
        return -1;
    }
    unsigned faults = report_faults(index, vu, cap);
    log_info("iommu: unit %u: VT-d %u.%u invalidation queue up, wait descriptor done in %llu us; "
             "IR %s, EIM %s, posting %s, %u fault%s recorded",
             index, (ver >> 4) & 0xf, ver & 0xf, (unsigned long long)waited,
             ecap & VTD_ECAP_IR ? "yes" : "no", ecap & VTD_ECAP_EIM ? "yes" : "no",
             cap & VTD_CAP_PI ? "yes" : "no", faults, faults == 1 ? "" : "s");
    return 0;
}
