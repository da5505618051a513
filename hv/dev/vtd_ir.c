/* SPDX-License-Identifier: MIT */
/*
 * The guest's virtual VT-d interrupt-remapping unit (see vtd_ir.h for what
 * it is and its references).  Every value here comes from the guest: each
 * is range-checked, and a bad table, index or descriptor ends as a fault
 * record or FSTS.IQE, never as an access outside the guest's RAM.
 */
#include "hv/dev/vtd_ir.h"

#include <string.h>

#define QI_DESC_SIZE      16u        /* 128-bit descriptors (IQA.DW = 0) */
#define QI_PAGE_DESCS     256u       /* 4 KiB / 16 */
#define IRTE_SIZE         16u
#define DLM_RSVD3         3u
#define DLM_RSVD6         6u

/* ---------------------------------------------------------------- decoding */

uint32_t vtd_ir_rte_index(uint64_t rte)
{
    uint32_t idx = (uint32_t)(rte >> VTD_IR_RTE_INDEX_SHIFT) & 0x7fffu;

    return idx | ((rte & VTD_IR_RTE_INDEX15) ? 0x8000u : 0u);
}

/* 5.1.2.2: interrupt_index = handle (+ subhandle when SHV). */
bool vtd_ir_msi_index(uint64_t addr, uint32_t data, uint32_t *index)
{
    uint32_t a = (uint32_t)addr, handle;

    if (!(a & VTD_MSI_ADDR_IF))
        return false;
    handle = (a >> VTD_MSI_ADDR_HANDLE_SHIFT) & VTD_IR_MSI_HANDLE_MASK;
    if (a & VTD_MSI_ADDR_HANDLE15)
        handle |= 0x8000u;
    if (a & VTD_IR_MSI_SHV)
        handle = (handle + (data & 0xffffu)) & 0xffffu;
    *index = handle;
    return true;
}

/* 5.1.4, 9.10: SVT 1 compares SID under the SQ mask of function bits,
 * SVT 2 wants the requester's bus in [SID 15:8, SID 7:0], SVT 3 is
 * reserved (checked by the caller as a reserved field). */
bool vtd_ir_sid_ok(uint64_t hi, uint16_t sid)
{
    static const uint16_t sq_mask[4] = { 0xffffu, 0xfffbu, 0xfff9u, 0xfff8u };
    unsigned svt = (unsigned)(hi >> VTD_IRTE_SVT_SHIFT) & 3u;
    unsigned sq = (unsigned)(hi >> VTD_IRTE_SQ_SHIFT) & 3u;
    uint16_t want = (uint16_t)(hi & VTD_IR_IRTE_SID_MASK);
    unsigned bus = sid >> 8;

    switch (svt) {
    case VTD_SVT_NONE:
        return true;
    case VTD_SVT_RID:
        return ((sid ^ want) & sq_mask[sq]) == 0;
    case VTD_SVT_BUS:
        return bus >= (unsigned)(want >> 8) && bus <= (unsigned)(want & 0xffu);
    default:
        return false;
    }
}

/* Reserved fields of a present remapped-format IRTE (9.10): lo 14:12 and
 * 31:24, hi 63:20, SVT 3, a posted entry (IM: CAP.PI is 0), delivery modes
 * 3 and 6, and with EIME clear every destination bit but 15:8. */
static bool irte_reserved(uint64_t lo, uint64_t hi, bool eime)
{
    unsigned dlm = (unsigned)(lo >> VTD_IRTE_DLM_SHIFT) & 7u;

    if ((lo & VTD_IR_IRTE_LO_RSVD) || (hi & VTD_IR_IRTE_HI_RSVD) || (lo & VTD_IRTE_IM))
        return true;
    if (((hi >> VTD_IRTE_SVT_SHIFT) & 3u) == 3u || dlm == DLM_RSVD3 || dlm == DLM_RSVD6)
        return true;
    return !eime && (lo & ~VTD_IR_IRTE_XAPIC_DST) >> VTD_IRTE_DST_SHIFT != 0;
}

enum vtd_ir_fault vtd_ir_irte_decode(uint64_t lo, uint64_t hi, bool eime, struct apic_msg *m)
{
    unsigned dlm = (unsigned)(lo >> VTD_IRTE_DLM_SHIFT) & 7u;
    uint32_t dst = (uint32_t)(lo >> VTD_IRTE_DST_SHIFT);

    if (!(lo & VTD_IRTE_P))
        return VTD_IR_FR_NOT_PRESENT;
    if (irte_reserved(lo, hi, eime))
        return VTD_IR_FR_IRTE_RSVD;
    memset(m, 0, sizeof(*m));
    m->vector = (uint8_t)(lo >> VTD_IRTE_V_SHIFT);
    m->logical = (lo & VTD_IRTE_DM) != 0;
    m->level = (lo & VTD_IRTE_TM) != 0 && (dlm == APIC_DM_FIXED || dlm == APIC_DM_LOWEST);
    m->assert = true;
    m->shorthand = APIC_SH_NONE;
    m->source = -1;
    m->x2apic = eime;
    m->dest = eime ? dst : (dst >> 8) & 0xffu;
    /* RH with a logical destination sends a fixed interrupt to one of the
     * processors named, the one with the lowest priority (SDM 11.11.1). */
    m->dm = (uint8_t)((lo & VTD_IRTE_RH) && m->logical && dlm == APIC_DM_FIXED ? APIC_DM_LOWEST
                                                                                : dlm);
    return VTD_IR_OK;
}

/* SDM 11.11.1/11.11.2: address FEEx_xxxx, 19:12 destination, 3 RH, 2 DM;
 * data 7:0 vector, 10:8 delivery mode (011 and 110 reserved), 15 trigger. */
bool vtd_ir_compat_msi(uint64_t addr, uint32_t data, struct apic_msg *m)
{
    unsigned dm = (data >> 8) & 7u;

    memset(m, 0, sizeof(*m));
    m->dest = ((uint32_t)addr >> VTD_IR_MSI_DEST_SHIFT) & 0xffu;
    m->vector = (uint8_t)data;
    m->dm = (uint8_t)dm;
    m->logical = (addr & VTD_IR_MSI_DM_LOGICAL) != 0;
    m->level = (data & (1u << 15)) != 0 && (dm == APIC_DM_FIXED || dm == APIC_DM_LOWEST);
    m->assert = true;
    m->shorthand = APIC_SH_NONE;
    m->source = -1;
    return dm != DLM_RSVD3 && dm != DLM_RSVD6;
}

/* ------------------------------------------------------------ fault events */

/* Chapter 7 (fault events): a fault event interrupt when FECTL.IM is clear, else IP is set and
 * the interrupt waits for the mask to be cleared. */
static void event(struct vtd_ir *u, uint32_t *ctl, uint32_t addr, uint32_t data)
{
    struct apic_msg m;

    if (*ctl & VTD_IR_ECTL_IM) {
        *ctl |= VTD_IR_ECTL_IP;
        return;
    }
    *ctl &= ~VTD_IR_ECTL_IP;
    if ((addr & VTD_IR_MSI_ADDR_MASK) != VTD_MSI_ADDR_BASE)
        return; /* not an interrupt address: the write goes nowhere */
    if (vtd_ir_compat_msi(addr, data, &m))
        u->ops->deliver(u->ctx, &m);
}

static void fault_event(struct vtd_ir *u)
{
    event(u, &u->fectl, u->feaddr, u->fedata);
}

static void report(struct vtd_ir *u, const char *what, unsigned reason, uint32_t idx,
                   uint16_t sid)
{
    if (u->ops->report)
        u->ops->report(u->ctx, what, reason, idx, sid);
}

/* Chapter 7 (primary fault logging): into the one recording register; with it
 * still holding an unread fault, PFO instead. FI[63:48] is the interrupt
 * index, T = 0 (interrupt requests are writes). */
static void record_fault(struct vtd_ir *u, enum vtd_ir_fault fr, uint32_t idx, uint16_t sid)
{
    u->faults++;
    report(u, "interrupt blocked", (unsigned)fr, idx, sid);
    if (u->frcd_hi & VTD_FRCD_F) {
        u->fsts |= VTD_FSTS_PFO;
        return;
    }
    u->frcd_lo = (uint64_t)(idx & 0xffffu) << 48;
    u->frcd_hi = VTD_FRCD_F | ((uint64_t)fr << VTD_FRCD_FR_SHIFT) | sid;
    u->fsts |= VTD_FSTS_PPF;
    fault_event(u);
}

/* ---------------------------------------------------------- translation */

/* Reads and checks IRTE idx (5.1.4; chapter 7's fault conditions), the
 * faults in their order. */
static enum vtd_ir_result remap(struct vtd_ir *u, uint32_t idx, uint16_t sid, struct apic_msg *m)
{
    uint64_t e[2];
    enum vtd_ir_fault fr;

    if (!(u->gsts & VTD_GSTS_IRES)) {
        report(u, "remappable interrupt while IRE is clear: dropped", 0, idx, sid);
        return VTD_IR_BLOCKED;
    }
    if (idx >= u->irt_entries) {
        record_fault(u, VTD_IR_FR_INDEX, idx, sid);
        return VTD_IR_BLOCKED;
    }
    if (u->ops->read(u->ctx, u->irt_base + (uint64_t)idx * IRTE_SIZE, e, sizeof(e))) {
        record_fault(u, VTD_IR_FR_TABLE, idx, sid);
        return VTD_IR_BLOCKED;
    }
    fr = vtd_ir_irte_decode(e[0], e[1], u->eime, m);
    if (fr == VTD_IR_OK && !vtd_ir_sid_ok(e[1], sid))
        fr = VTD_IR_FR_SID;
    if (fr == VTD_IR_OK)
        return VTD_IR_DELIVER;
    /* FPD suppresses the record of a present entry's faults (9.10). */
    if (!((e[0] & VTD_IRTE_P) && (e[0] & VTD_IRTE_FPD)))
        record_fault(u, fr, idx, sid);
    else
        u->faults++;
    return VTD_IR_BLOCKED;
}

/* 5.1.2.1: compatibility format passes with IRE clear, or with CFIS set
 * while EIME is clear; otherwise it is blocked and recorded. */
static enum vtd_ir_result compat(struct vtd_ir *u, uint16_t sid)
{
    if (!(u->gsts & VTD_GSTS_IRES))
        return VTD_IR_DELIVER;
    if ((u->gsts & VTD_GSTS_CFIS) && !u->eime)
        return VTD_IR_DELIVER;
    record_fault(u, VTD_IR_FR_COMPAT, 0, sid);
    return VTD_IR_BLOCKED;
}

enum vtd_ir_result vtd_ir_ioapic(struct vtd_ir *u, uint64_t rte, uint16_t sid,
                                 struct apic_msg *m)
{
    if (!(rte & VTD_IR_RTE_FORMAT))
        return compat(u, sid);
    return remap(u, vtd_ir_rte_index(rte), sid, m);
}

enum vtd_ir_result vtd_ir_msi(struct vtd_ir *u, uint64_t addr, uint32_t data, uint16_t sid,
                              struct apic_msg *m)
{
    uint32_t idx;

    if (!vtd_ir_msi_index(addr, data, &idx)) {
        if (!vtd_ir_compat_msi(addr, data, m))
            return VTD_IR_BLOCKED;
        return compat(u, sid);
    }
    return remap(u, idx, sid, m);
}

/* --------------------------------------------------- invalidation queue */

static uint32_t iq_entries(const struct vtd_ir *u)
{
    return QI_PAGE_DESCS << (u->iqa & VTD_IR_IQA_QS_MASK);
}

/* 6.5.2.8: the status write and the interrupt of a wait descriptor. */
static int inv_wait(struct vtd_ir *u, uint64_t lo, uint64_t hi)
{
    if (lo & VTD_INV_WAIT_SW) {
        uint32_t data = (uint32_t)(lo >> VTD_INV_WAIT_DATA_SHIFT);

        if (u->ops->write(u->ctx, hi & VTD_IR_WAIT_ADDR_MASK, &data, sizeof(data)))
            return -1;
    }
    if (lo & VTD_INV_WAIT_IF) {
        u->ics |= VTD_ICS_IWC;
        event(u, &u->iectl, u->ieaddr, u->iedata);
    }
    return 0;
}

/* One descriptor: 0, or -1 for an invalid one (IQE).  Without an entry
 * cache or translation caches the invalidations have nothing to drop; the
 * fence bit needs nothing either, as every earlier descriptor is done. */
static int inv_desc(struct vtd_ir *u, uint64_t lo, uint64_t hi)
{
    if (lo & VTD_IR_INV_TYPE_HI_MASK)
        return -1; /* descriptor types above 0xf (scalable mode) */
    switch (lo & VTD_IR_INV_TYPE_MASK) {
    case VTD_INV_CONTEXT:
    case VTD_INV_IOTLB:
    case 0x3: /* device-TLB */
        return 0;
    case VTD_INV_IEC:
        /* 6.5.2.7: global, or index-selective with IIDX and IM. */
        return (lo & ~(0x1full | (0x1full << VTD_INV_IEC_IM_SHIFT) |
                       (0xffffull << VTD_INV_IEC_IIDX_SHIFT))) || hi ? -1 : 0;
    case VTD_INV_WAIT:
        return inv_wait(u, lo, hi);
    default:
        return -1;
    }
}

/* 6.5.2: fetch from IQH up to IQT; an invalid descriptor or an address
 * outside RAM sets FSTS.IQE with IQH left at it, and processing stops
 * until software clears IQE. */
static void iq_run(struct vtd_ir *u)
{
    uint32_t n = iq_entries(u);

    if (!(u->gsts & VTD_GSTS_QIES) || (u->fsts & VTD_FSTS_IQE))
        return;
    if ((u->iqt >> 4) >= n) {
        u->fsts |= VTD_FSTS_IQE;
        report(u, "IQT beyond the queue: IQE", 0, (uint32_t)(u->iqt >> 4), 0);
        fault_event(u);
        return;
    }
    while (u->iqh != u->iqt) {
        uint64_t d[2] = { 0, 0 }, at = (u->iqa & VTD_IR_IQA_BASE_MASK) + u->iqh;

        if (u->ops->read(u->ctx, at, d, sizeof(d)) || inv_desc(u, d[0], d[1])) {
            u->fsts |= VTD_FSTS_IQE;
            report(u, "invalid invalidation descriptor: IQE", (unsigned)(d[0] & 0xffu),
                   (uint32_t)(u->iqh >> 4), 0);
            fault_event(u);
            return;
        }
        u->iqh = (u->iqh + QI_DESC_SIZE) % ((uint64_t)n * QI_DESC_SIZE);
    }
}

/* ------------------------------------------------------------- registers */

void vtd_ir_init(struct vtd_ir *u, const struct vtd_ir_ops *ops, void *ctx)
{
    memset(u, 0, sizeof(*u));
    u->fectl = VTD_IR_ECTL_IM;
    u->iectl = VTD_IR_ECTL_IM;
    u->ops = ops;
    u->ctx = ctx;
}

/* 11.4.4: TE, QIE, IRE and CFI are states the written value sets; SRTP and
 * SIRTP are one-shot commands acted on whenever written as 1.  TE is not
 * offered for real: TES stays 0. */
static void write_gcmd(struct vtd_ir *u, uint32_t v)
{
    uint32_t s = u->gsts;

    if (v & VTD_GCMD_SRTP)
        s |= VTD_GSTS_RTPS;
    if (v & VTD_GCMD_SIRTP) {
        u->irt_base = u->irta & VTD_IR_IRTA_BASE_MASK;
        u->irt_entries = 2u << (u->irta & VTD_IRTA_S_MASK);
        u->eime = (u->irta & VTD_IR_IRTA_EIME) != 0;
        s |= VTD_GSTS_IRTPS;
    }
    if ((v & VTD_GCMD_QIE) && !(s & VTD_GSTS_QIES))
        u->iqh = 0; /* IQH, chapter 11: the queue starts at its base */
    s = (v & VTD_GCMD_QIE) ? s | VTD_GSTS_QIES : s & ~VTD_GSTS_QIES;
    s = (v & VTD_GCMD_IRE) ? s | VTD_GSTS_IRES : s & ~VTD_GSTS_IRES;
    s = (v & VTD_GCMD_CFI) ? s | VTD_GSTS_CFIS : s & ~VTD_GSTS_CFIS;
    u->gsts = s;
}

/* FSTS (chapter 11): PFO, IQE, ICE, ITE are write-1-to-clear; clearing IQE lets the
 * queue go on (6.5.2.10). */
static void write_fsts(struct vtd_ir *u, uint32_t v)
{
    bool iqe = (u->fsts & VTD_FSTS_IQE) && (v & VTD_FSTS_IQE);

    u->fsts &= ~(v & VTD_IR_FSTS_RW1C);
    if (iqe)
        iq_run(u);
}

/* FECTL/IECTL: only IM is writable; clearing it sends a pending event. */
static void write_ectl(struct vtd_ir *u, uint32_t *ctl, uint32_t v, uint32_t addr, uint32_t data)
{
    bool pending = (*ctl & VTD_IR_ECTL_IP) != 0;

    *ctl = (*ctl & ~VTD_IR_ECTL_IM) | (v & VTD_IR_ECTL_IM);
    if (pending && !(v & VTD_IR_ECTL_IM))
        event(u, ctl, addr, data);
}

/* Writing 1 to F (bit 127) clears the record (11.4.14). */
static void write_frcd_hi(struct vtd_ir *u, uint32_t v)
{
    if (v & (1u << 31))
        u->frcd_hi = 0;
    if (!(u->frcd_hi & VTD_FRCD_F))
        u->fsts &= ~VTD_FSTS_PPF;
}

static uint64_t set_lo(uint64_t r, uint32_t v)
{
    return (r & ~0xffffffffull) | v;
}

static uint64_t set_hi(uint64_t r, uint32_t v)
{
    return (r & 0xffffffffull) | ((uint64_t)v << 32);
}

/* The 64-bit registers, written a dword at a time (hi = the upper half). */
static bool write_reg64(struct vtd_ir *u, uint32_t off, bool hi, uint32_t v)
{
    uint64_t *r;

    switch (off) {
    case VTD_REG_RTADDR: r = &u->rtaddr; break;
    case VTD_IR_REG_CCMD: r = &u->ccmd; break;
    case VTD_REG_IQA: r = &u->iqa; break;
    case VTD_REG_IQT: r = &u->iqt; break;
    case VTD_REG_IRTA: r = &u->irta; break;
    default: return false;
    }
    if (off == VTD_REG_IQA && (u->gsts & VTD_GSTS_QIES))
        return true; /* IQA, chapter 11: not while the queue is enabled */
    *r = hi ? set_hi(*r, v) : set_lo(*r, v);
    if (off == VTD_IR_REG_CCMD)
        u->ccmd &= ~VTD_IR_CCMD_ICC; /* done at once */
    else if (off == VTD_REG_IQA)
        u->iqa &= VTD_IR_IQA_BASE_MASK | VTD_IR_IQA_QS_MASK;
    else if (off == VTD_REG_IQT) {
        u->iqt &= VTD_IQ_PTR_MASK;
        if (!hi)
            iq_run(u);
    } else if (off == VTD_REG_IRTA)
        u->irta &= VTD_IR_IRTA_MASK;
    return true;
}

static void write32(struct vtd_ir *u, uint32_t off, uint32_t v)
{
    if (write_reg64(u, off & ~7u, (off & 4u) != 0, v))
        return;
    switch (off) {
    case VTD_REG_GCMD: write_gcmd(u, v); break;
    case VTD_REG_FSTS: write_fsts(u, v); break;
    case VTD_IR_REG_FECTL: write_ectl(u, &u->fectl, v, u->feaddr, u->fedata); break;
    case VTD_IR_REG_FEDATA: u->fedata = v; break;
    case VTD_IR_REG_FEADDR: u->feaddr = v & ~3u; break;
    case VTD_IR_REG_FEUADDR: u->feuaddr = v; break;
    case VTD_REG_ICS: u->ics &= ~(v & VTD_ICS_IWC); break;
    case VTD_IR_REG_IECTL: write_ectl(u, &u->iectl, v, u->ieaddr, u->iedata); break;
    case VTD_IR_REG_IEDATA: u->iedata = v; break;
    case VTD_IR_REG_IEADDR: u->ieaddr = v & ~3u; break;
    case VTD_IR_REG_IEUADDR: u->ieuaddr = v; break;
    case VTD_IR_FRO + 12: write_frcd_hi(u, v); break;
    default: break; /* read-only or reserved */
    }
}

static uint64_t read64(const struct vtd_ir *u, uint32_t off)
{
    switch (off) {
    case VTD_REG_VER: return VTD_IR_VER;
    case VTD_REG_CAP: return VTD_IR_CAP;
    case VTD_REG_ECAP: return VTD_IR_ECAP;
    case VTD_REG_GCMD: return (uint64_t)u->gsts << 32; /* GCMD reads 0 */
    case VTD_REG_RTADDR: return u->rtaddr;
    case VTD_IR_REG_CCMD: return u->ccmd;
    case 0x30: return (uint64_t)u->fsts << 32;
    case VTD_IR_REG_FECTL: return ((uint64_t)u->fedata << 32) | u->fectl;
    case VTD_IR_REG_FEADDR: return ((uint64_t)u->feuaddr << 32) | u->feaddr;
    case VTD_REG_IQH: return u->iqh;
    case VTD_REG_IQT: return u->iqt;
    case VTD_REG_IQA: return u->iqa;
    case 0x98: return (uint64_t)u->ics << 32;
    case VTD_IR_REG_IECTL: return ((uint64_t)u->iedata << 32) | u->iectl;
    case VTD_IR_REG_IEADDR: return ((uint64_t)u->ieuaddr << 32) | u->ieaddr;
    case VTD_REG_IRTA: return u->irta;
    case VTD_IR_FRO: return u->frcd_lo;
    case VTD_IR_FRO + 8: return u->frcd_hi;
    default: return 0; /* reserved and unimplemented registers read 0 */
    }
}

uint64_t vtd_ir_read(struct vtd_ir *u, uint32_t off, unsigned size)
{
    uint64_t q;

    if (off >= VTD_IR_SIZE || (size != 4 && size != 8) || (off & (size - 1)))
        return ~0ull;
    q = read64(u, off & ~7u);
    if (size == 8)
        return q;
    return (off & 4u) ? q >> 32 : q & 0xffffffffull;
}

void vtd_ir_write(struct vtd_ir *u, uint32_t off, unsigned size, uint64_t val)
{
    if (off >= VTD_IR_SIZE || (size != 4 && size != 8) || (off & (size - 1)))
        return;
    if (size == 4) {
        write32(u, off, (uint32_t)val);
        return;
    }
    /* A 64-bit register is written whole: the upper half first, so that
     * an IQT write acts on its final value (its upper half is reserved). */
    write32(u, off + 4, (uint32_t)(val >> 32));
    write32(u, off, (uint32_t)val);
}
