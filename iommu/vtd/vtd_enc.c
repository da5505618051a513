/* SPDX-License-Identifier: MIT */
/*
 * VT-d encoders and the fault record decoder (layouts in vtd_hw.h, the
 * sections of the VT-d specification cited there).  Pure.
 */
#include <string.h>

#include "iommu/vtd/vtd_hw.h"
#include "iommu/iopt.h"

/* Addresses the second-level tables can hold: bits 51:12 (9.8 caps them
 * at the host address width, at most 52 bits). */
static bool page_ok(uint64_t pa)
{
    return !(pa & 0xfff) && !(pa >> 52);
}

int vtd_root_entry(struct vtd_root_entry *e, uint64_t context_table_pa)
{
    memset(e, 0, sizeof(*e));
    if (!page_ok(context_table_pa) || !context_table_pa)
        return -1;
    e->lo = VTD_ROOT_P | context_table_pa;
    return 0;
}

int vtd_context_entry(struct vtd_context_entry *e, uint64_t slpt_pa, unsigned levels,
                      uint16_t domain, unsigned tt, bool fpd)
{
    memset(e, 0, sizeof(*e));
    /* 9.3: AW is 1, 2, 3 for 3-, 4-, 5-level tables; TT 01b (device TLB)
     * and 11b are not offered here. */
    if (levels < 3 || levels > 5 || (tt != VTD_CTX_TT_UNTRANSLATED && tt != VTD_CTX_TT_PASSTHROUGH))
        return -1;
    if (tt == VTD_CTX_TT_UNTRANSLATED && (!page_ok(slpt_pa) || !slpt_pa))
        return -1;
    e->lo = VTD_CTX_P | (fpd ? VTD_CTX_FPD : 0) | (uint64_t)tt << VTD_CTX_TT_SHIFT |
            (tt == VTD_CTX_TT_UNTRANSLATED ? slpt_pa : 0);
    e->hi = (uint64_t)(levels - 2) | (uint64_t)domain << VTD_CTX_DID_SHIFT;
    return 0;
}

int vtd_sl_pte(uint64_t *pte, uint64_t pa, bool read, bool write, bool large, bool snoop)
{
    *pte = 0;
    if (!page_ok(pa) || (large && (pa & 0x1fffff)))
        return -1;
    *pte = pa | (read ? VTD_SL_R : 0) | (write ? VTD_SL_W : 0) | (large ? VTD_SL_PS : 0) |
           (snoop ? VTD_SL_SNP : 0);
    return 0;
}

void vtd_inv_context_global(struct vtd_inv_desc *d)
{
    d->lo = VTD_INV_CONTEXT | (uint64_t)VTD_INV_G_GLOBAL << VTD_INV_G_SHIFT;
    d->hi = 0;
}

void vtd_inv_context_device(struct vtd_inv_desc *d, uint16_t domain, uint16_t sid, uint8_t fm)
{
    d->lo = VTD_INV_CONTEXT | (uint64_t)VTD_INV_G_DEVICE_OR_PAGE << VTD_INV_G_SHIFT |
            (uint64_t)domain << VTD_INV_DID_SHIFT | (uint64_t)sid << VTD_INV_CC_SID_SHIFT |
            (uint64_t)(fm & 3) << VTD_INV_CC_FM_SHIFT;
    d->hi = 0;
}

void vtd_inv_iotlb_domain(struct vtd_inv_desc *d, uint16_t domain, bool drain)
{
    d->lo = VTD_INV_IOTLB | (uint64_t)VTD_INV_G_DOMAIN << VTD_INV_G_SHIFT |
            (uint64_t)domain << VTD_INV_DID_SHIFT |
            (drain ? VTD_INV_IOTLB_DR | VTD_INV_IOTLB_DW : 0);
    d->hi = 0;
}

void vtd_inv_iotlb_global(struct vtd_inv_desc *d)
{
    d->lo = VTD_INV_IOTLB | (uint64_t)VTD_INV_G_GLOBAL << VTD_INV_G_SHIFT;
    d->hi = 0;
}

int vtd_inv_iotlb_pages(struct vtd_inv_desc *d, uint16_t domain, uint64_t addr, unsigned am,
                        bool ih, bool drain)
{
    /* 6.5.2.3: the address is aligned to the 2^AM pages it names. */
    if (am > VTD_INV_IOTLB_AM_MASK || am > 52 || (addr & ((4096ull << am) - 1))) {
        memset(d, 0, sizeof(*d));
        return -1;
    }
    d->lo = VTD_INV_IOTLB | (uint64_t)VTD_INV_G_DEVICE_OR_PAGE << VTD_INV_G_SHIFT |
            (uint64_t)domain << VTD_INV_DID_SHIFT |
            (drain ? VTD_INV_IOTLB_DR | VTD_INV_IOTLB_DW : 0);
    d->hi = addr | am | (ih ? VTD_INV_IOTLB_IH : 0);
    return 0;
}

void vtd_inv_iec_global(struct vtd_inv_desc *d)
{
    d->lo = VTD_INV_IEC;
    d->hi = 0;
}

int vtd_inv_iec_index(struct vtd_inv_desc *d, uint16_t index, unsigned im)
{
    if (im > 16 || (im < 16 && (index & ((1u << im) - 1))) || (im == 16 && index)) {
        memset(d, 0, sizeof(*d));
        return -1;
    }
    d->lo = VTD_INV_IEC | VTD_INV_IEC_INDEX | (uint64_t)(im & 0x1f) << VTD_INV_IEC_IM_SHIFT |
            (uint64_t)index << VTD_INV_IEC_IIDX_SHIFT;
    d->hi = 0;
    return 0;
}

int vtd_inv_wait(struct vtd_inv_desc *d, uint64_t status_pa, uint32_t data, bool intr, bool fence)
{
    /* 6.5.2.8: the status address is 4-byte aligned (hi 63:2). */
    if ((status_pa & 3) || !status_pa) {
        memset(d, 0, sizeof(*d));
        return -1;
    }
    d->lo = VTD_INV_WAIT | VTD_INV_WAIT_SW | (intr ? VTD_INV_WAIT_IF : 0) |
            (fence ? VTD_INV_WAIT_FN : 0) | (uint64_t)data << VTD_INV_WAIT_DATA_SHIFT;
    d->hi = status_pa;
    return 0;
}

static uint64_t irte_source(const struct vtd_irte_source *src)
{
    if (!src)
        return 0;
    return src->sid | (uint64_t)(src->sq & 3) << VTD_IRTE_SQ_SHIFT |
           (uint64_t)(src->svt & 3) << VTD_IRTE_SVT_SHIFT;
}

int vtd_irta(uint64_t *irta, uint64_t pa, unsigned s, bool eime)
{
    *irta = 0;
    if ((pa & ~VTD_IRTA_ADDR_MASK) || s > VTD_IRTA_S_MASK)
        return -1;
    *irta = pa | (eime ? VTD_IRTA_EIME : 0) | s;
    return 0;
}

int vtd_irte_remapped(struct vtd_irte *e, uint8_t vector, uint32_t dest, bool eim, bool logical,
                      unsigned dlm, bool level, const struct vtd_irte_source *src)
{
    memset(e, 0, sizeof(*e));
    /* 9.10: in xAPIC mode the 8-bit APIC ID sits in DST 15:8 (bits 47:40),
     * the rest reserved; with EIM DST is the 32-bit x2APIC ID. */
    if ((!eim && dest > 0xff) || dlm > 7 || (src && src->svt > VTD_SVT_BUS))
        return -1;
    e->lo = VTD_IRTE_P | (logical ? VTD_IRTE_DM : 0) | (level ? VTD_IRTE_TM : 0) |
            (uint64_t)dlm << VTD_IRTE_DLM_SHIFT | (uint64_t)vector << VTD_IRTE_V_SHIFT |
            (uint64_t)(eim ? dest : dest << 8) << VTD_IRTE_DST_SHIFT;
    e->hi = irte_source(src);
    return 0;
}

int vtd_irte_posted(struct vtd_irte *e, uint8_t vector, uint64_t pd_pa, bool urgent,
                    const struct vtd_irte_source *src)
{
    memset(e, 0, sizeof(*e));
    /* 9.11: the posted-interrupt descriptor is 64-byte aligned; its
     * address is split: bits 31:6 in lo 63:38, bits 63:32 in hi 63:32. */
    if ((pd_pa & 63) || !pd_pa || (src && src->svt > VTD_SVT_BUS))
        return -1;
    e->lo = VTD_IRTE_P | VTD_IRTE_IM | (urgent ? VTD_IRTE_URG : 0) |
            (uint64_t)vector << VTD_IRTE_V_SHIFT | ((pd_pa & 0xffffffc0ull) << 32);
    e->hi = irte_source(src) | (pd_pa >> 32) << VTD_IRTE_PDA_HI_SHIFT;
    return 0;
}

/* Appendix A (non-recoverable fault reasons): the ones worth a name. */
static const char *fault_reason_name(uint8_t r)
{
    switch (r) {
    case 0x01: return "root entry not present";
    case 0x02: return "context entry not present";
    case 0x03: return "invalid context entry";
    case 0x04: return "address beyond the guest address width";
    case 0x05: return "write not permitted";
    case 0x06: return "read not permitted";
    case 0x20: return "reserved bits in interrupt request";
    case 0x21: return "interrupt index beyond the table";
    case 0x22: return "IRTE not present";
    case 0x25: return "compatibility-format interrupt blocked";
    case 0x26: return "interrupt source-id check failed";
    default: return "fault reason";
    }
}

/* Reasons 1-3, Ah, Bh: the root or context entry; 4-6, Ch, Dh: the access
 * itself; 7-9: the unit could not read its tables. */
static uint8_t fault_kind(uint8_t r)
{
    switch (r) {
    case 0x1: case 0x2: case 0x3: case 0xa: case 0xb: return IOMMU_FAULT_DEVICE_ENTRY;
    case 0x4: case 0x5: case 0x6: case 0xc: case 0xd: return IOMMU_FAULT_DMA;
    case 0x7: case 0x8: case 0x9: return IOMMU_FAULT_HARDWARE;
    default: return IOMMU_FAULT_OTHER;
    }
}

int vtd_fault_decode(uint64_t lo, uint64_t hi, struct iommu_fault *f)
{
    memset(f, 0, sizeof(*f));
    if (!(hi & VTD_FRCD_F))
        return -1;
    f->code = (uint8_t)(hi >> VTD_FRCD_FR_SHIFT);
    f->name = fault_reason_name(f->code);
    f->bdf = (uint16_t)(hi & VTD_FRCD_SID_MASK);
    f->flags = IOMMU_FA_HAS_DEVICE;
    if (f->code >= 0x20 && f->code < 0x30) {
        /* 11.4.14: for interrupt-remapping faults FI 63:48 is the index. */
        f->kind = IOMMU_FAULT_INTERRUPT;
        f->index = (uint16_t)(lo >> 48);
        f->flags |= IOMMU_FA_HAS_INDEX;
    } else {
        f->kind = fault_kind(f->code);
        f->addr = lo & VTD_FRCD_FI_MASK;
        f->flags |= IOMMU_FA_HAS_ADDR | (hi & VTD_FRCD_T ? 0 : IOMMU_FA_WRITE) |
                    (f->code == 5 || f->code == 6 ? IOMMU_FA_PRESENT : 0);
    }
    if (hi & VTD_FRCD_PP) {
        f->pasid = (uint32_t)(hi >> VTD_FRCD_PV_SHIFT) & 0xfffff;
        f->flags |= IOMMU_FA_HAS_PASID;
    }
    return 0;
}

/* ---- The I/O page table format (iommu/iopt.h): VT-d 9.8 ---- */

/* Second-level table entries grant R and W (the leaves decide, 3.7.1). */
static int iopt_vtd_table(uint64_t *e, uint64_t pa, unsigned level)
{
    (void)level;
    return vtd_sl_pte(e, pa, true, true, false, false);
}

static int iopt_vtd_leaf(uint64_t *e, uint64_t pa, unsigned perm)
{
    return vtd_sl_pte(e, pa, perm & IOPT_R, perm & IOPT_W, false, false);
}

/* SNP (9.8) forces snooped accesses where the unit offers it (ECAP.SC). */
static int iopt_vtd_leaf_snoop(uint64_t *e, uint64_t pa, unsigned perm)
{
    return vtd_sl_pte(e, pa, perm & IOPT_R, perm & IOPT_W, false, true);
}

/* 9.8: an entry with neither R nor W is not present. */
static bool iopt_vtd_present(uint64_t e)
{
    return e & (VTD_SL_R | VTD_SL_W);
}

static uint64_t iopt_vtd_addr(uint64_t e)
{
    return e & VTD_SL_ADDR_MASK;
}

static unsigned iopt_vtd_perm(uint64_t e)
{
    return (e & VTD_SL_R ? IOPT_R : 0) | (e & VTD_SL_W ? IOPT_W : 0);
}

const struct iopt_format iopt_format_vtd = {
    .name = "VT-d",
    .table = iopt_vtd_table,
    .leaf = iopt_vtd_leaf,
    .present = iopt_vtd_present,
    .addr = iopt_vtd_addr,
    .perm = iopt_vtd_perm,
};

const struct iopt_format iopt_format_vtd_snoop = {
    .name = "VT-d (snoop)",
    .table = iopt_vtd_table,
    .leaf = iopt_vtd_leaf_snoop,
    .present = iopt_vtd_present,
    .addr = iopt_vtd_addr,
    .perm = iopt_vtd_perm,
};
