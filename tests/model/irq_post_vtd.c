/* SPDX-License-Identifier: MIT */
/*
 * A model of what a VT-d remapping unit does with a device's MSI: the
 * compatibility and remappable formats, the interrupt remapping table
 * (remapped and posted IRTEs), source-id validation, the posted-interrupt
 * descriptor update and the notification event, the interrupt entry cache.
 *
 * Written from Intel Virtualization Technology for Directed I/O, 5.1
 * (interrupt remapping), 5.2 (interrupt posting), 9.10/9.11 (IRTE formats),
 * 9.12 (posted-interrupt descriptor), 6.5.2.7 (interrupt entry cache
 * invalidation), 7.1.3 (interrupt remapping fault reasons) and 10.4 (IRTA,
 * GSTS, CAP, ECAP), without reading Keel's driver or another hypervisor's
 * IOMMU code.  docs/irq-post-model.md lists each behaviour with its section
 * and every point where the model chose the reading that makes a doubtful
 * driver fail.
 */
#include <string.h>

#include "tests/model/irq_post_model.h"

/* ---- Registers (10.4) ---- */
#define GSTS_CFIS (1u << 23)   /* compatibility format interrupts pass */
#define GSTS_IRTPS (1u << 24)  /* the table pointer was latched (SIRTP done) */
#define GSTS_IRES (1u << 25)   /* interrupt remapping enabled */
#define IRTA_ADDR_MASK 0xfffffffffffff000ull
#define IRTA_EIME (1ull << 11) /* x2APIC mode: 32-bit destinations */
#define IRTA_S_MASK 0xfull     /* 2^(S+1) entries */
#define CAP_CM (1ull << 7)     /* caching mode: not-present entries cached too */
#define CAP_PI (1ull << 59)    /* posted interrupts */
#define ECAP_IR (1ull << 3)
#define ECAP_EIM (1ull << 4)

/* ---- MSI (5.1.2: compatibility and remappable formats) ---- */
#define MSI_ADDR_BASE 0xfee00000ull
#define MSI_ADDR_OFFSET_MASK 0xfffffull
#define MSI_ADDR_DM (1u << 2)
#define MSI_ADDR_HANDLE15 (1u << 2)   /* remappable: handle[15] */
#define MSI_ADDR_SHV (1u << 3)
#define MSI_ADDR_REMAPPABLE (1u << 4) /* interrupt format */
#define MSI_ADDR_HANDLE_SHIFT 5       /* remappable: handle[14:0] in 19:5 */
#define MSI_DATA_TM (1u << 15)
#define MSI_DATA_RSVD_REMAPPABLE 0xffff0000u

/* ---- IRTE low quadword, both formats (9.10, 9.11) ---- */
#define IRTE_P (1ull << 0)
#define IRTE_FPD (1ull << 1)
#define IRTE_IM (1ull << 15)          /* 1: posted format */
#define IRTE_VECTOR_SHIFT 16
/* Remapped format. */
#define IRTE_DM (1ull << 2)
#define IRTE_TM (1ull << 4)
#define IRTE_DLM_SHIFT 5              /* bits 7:5 */
#define IRTE_REMAP_RSVD_LO 0x00000000ff007000ull /* 14:12, 31:24 */
#define IRTE_DST_SHIFT 32
#define IRTE_DST_XAPIC_RSVD 0xffff00ff00000000ull /* EIME=0: DST 7:0, 31:16 */
#define IRTE_REMAP_RSVD_HI 0xfffffffffff00000ull  /* 127:84 */
/* Posted format. */
#define IRTE_URG (1ull << 14)
#define IRTE_POSTED_RSVD_LO 0x0000003fff0030fcull /* 7:2, 13:12, 37:24 */
#define IRTE_PDA_LO_SHIFT 38          /* PDA[31:6] in 63:38 */
#define IRTE_POSTED_RSVD_HI 0x00000000fff00000ull /* 95:84 */
/* High quadword: source validation, both formats. */
#define IRTE_SQ_SHIFT 16
#define IRTE_SVT_SHIFT 18
enum { SVT_NONE = 0, SVT_SID = 1, SVT_BUS = 2 };

/* ---- Posted-interrupt descriptor (9.12), 64 bytes ---- */
#define PID_SIZE 64u
#define PID_CTL 32u                   /* byte of bits 256.. */
#define PID_ON (1ull << 0)            /* bit 256 */
#define PID_SN (1ull << 1)            /* bit 257 */
#define PID_NV_SHIFT 16               /* bits 279:272 */
#define PID_NDST_SHIFT 32             /* bits 319:288 */

/* ---- Fault reasons (7.1.3) ---- */
enum {
    FR_IR_REQ_RSVD = 0x20,  /* reserved field set in a remappable request */
    FR_IR_INDEX = 0x21,     /* index beyond the table size */
    FR_IR_NOT_PRESENT = 0x22,
    FR_IR_IRTE_ACCESS = 0x23,
    FR_IR_IRTE_RSVD = 0x24,
    FR_IR_COMPAT_BLOCKED = 0x25,
    FR_IR_SID = 0x26,
    FR_IR_PID_ACCESS = 0x27,
};

static void block(struct irqpm_outcome *out, enum irqpm_fault f)
{
    out->result = IRQPM_BLOCKED;
    out->fault = f;
}

/* A fault with its reason; fpd (from a present-or-not IRTE that was read)
 * suppresses the recording of the qualified ones. */
static void fault(struct irqpm_vtd *u, struct irqpm_outcome *out, enum irqpm_fault f,
                  uint8_t reason, bool fpd)
{
    block(out, f);
    u->last_fault_reason = reason;
    if (!fpd)
        u->faults_recorded++;
}

static void pass_through(uint64_t addr, uint32_t data, struct irqpm_outcome *out)
{
    out->result = IRQPM_REMAPPED;
    out->fault = IRQPM_FAULT_NOT_REMAPPED;
    out->msg.dest = (uint32_t)(addr >> 12) & 0xffu;
    out->msg.logical = (addr & MSI_ADDR_DM) != 0;
    out->msg.vector = (uint8_t)data;
    out->msg.delivery_mode = (uint8_t)((data >> 8) & 7u);
    out->msg.level = (data & MSI_DATA_TM) != 0;
}

void irqpm_vtd_reset(struct irqpm_vtd *u)
{
    memset(u, 0, sizeof(*u));
}

/* ---- Interrupt entry cache (6.5.2.7) ---- */

void irqpm_vtd_inv_iec(struct irqpm_vtd *u, bool global, uint16_t index, unsigned im)
{
    for (int i = 0; i < 8; i++) {
        /* Index-selective: the entries whose index matches IIDX in bits
         * 15:IM, i.e. the naturally aligned block of 2^IM holding IIDX. */
        bool match = global || im >= 16u || (u->cache[i].index >> im) == (index >> im);
        if (match)
            u->cache[i].valid = false;
    }
}

static int iec_fetch(struct irqpm_vtd *u, const struct irqpm_mem *m, uint32_t index, uint64_t irte[2])
{
    uint8_t b[16];
    int slot = -1;

    for (int i = 0; i < 8; i++) {
        if (u->cache[i].valid && u->cache[i].index == index) {
            irte[0] = u->cache[i].irte[0];
            irte[1] = u->cache[i].irte[1];
            return 0;
        }
    }
    if (m->read(m->ctx, (u->irta & IRTA_ADDR_MASK) + (uint64_t)index * 16u, b, sizeof(b)) != 0)
        return -1;
    memcpy(&irte[0], b, 8);
    memcpy(&irte[1], b + 8, 8);
    /* CM=0 hardware caches only present entries; CM=1 caches them all. */
    if (!(irte[0] & IRTE_P) && !(u->cap & CAP_CM))
        return 0;
    for (int i = 0; i < 8 && slot < 0; i++)
        if (!u->cache[i].valid)
            slot = i;
    if (slot < 0)
        slot = (int)(index & 7u); /* full: a fixed victim */
    u->cache[slot].valid = true;
    u->cache[slot].index = (uint16_t)index;
    u->cache[slot].irte[0] = irte[0];
    u->cache[slot].irte[1] = irte[1];
    return 0;
}

/* ---- Checks of a present IRTE ---- */

/* Source-id validation (9.10, SVT/SQ/SID): -1 reserved SVT, 0 fail, 1 pass. */
static int sid_check(uint64_t hi, uint16_t sid)
{
    uint16_t want = (uint16_t)hi;
    unsigned sq = (unsigned)(hi >> IRTE_SQ_SHIFT) & 3u;
    static const uint16_t sq_mask[4] = { 0xffff, 0xfffb, 0xfff9, 0xfff8 }; /* ignore fn bits */

    switch ((hi >> IRTE_SVT_SHIFT) & 3u) {
    case SVT_NONE:
        return 1;
    case SVT_SID:
        return (sid & sq_mask[sq]) == (want & sq_mask[sq]);
    case SVT_BUS: /* SID[15:8] starting bus, SID[7:0] ending bus */
        return (sid >> 8) >= (want >> 8) && (sid >> 8) <= (want & 0xffu);
    default:
        return -1;
    }
}

static bool remapped_reserved(const struct irqpm_vtd *u, const uint64_t irte[2])
{
    unsigned dlm = (unsigned)(irte[0] >> IRTE_DLM_SHIFT) & 7u;

    if ((irte[0] & IRTE_REMAP_RSVD_LO) || (irte[1] & IRTE_REMAP_RSVD_HI))
        return true;
    if (dlm == 3u || dlm == 6u)
        return true;
    return !(u->irta & IRTA_EIME) && (irte[0] & IRTE_DST_XAPIC_RSVD);
}

static bool posted_reserved(const struct irqpm_vtd *u, const uint64_t irte[2])
{
    if (!(u->cap & CAP_PI))
        return true; /* IM=1 without posting support is a reserved setting */
    return (irte[0] & IRTE_POSTED_RSVD_LO) || (irte[1] & IRTE_POSTED_RSVD_HI);
}

static void deliver_remapped(const struct irqpm_vtd *u, uint64_t lo, struct irqpm_outcome *out)
{
    uint32_t dst = (uint32_t)(lo >> IRTE_DST_SHIFT);

    out->result = IRQPM_REMAPPED;
    out->msg.dest = (u->irta & IRTA_EIME) ? dst : (dst >> 8) & 0xffu;
    out->msg.logical = (lo & IRTE_DM) != 0;
    out->msg.vector = (uint8_t)(lo >> IRTE_VECTOR_SHIFT);
    out->msg.delivery_mode = (uint8_t)((lo >> IRTE_DLM_SHIFT) & 7u);
    out->msg.level = (lo & IRTE_TM) != 0;
}

/* 5.2.3: one atomic read-modify-write of the descriptor sets PIR[vv] and,
 * when no notification is outstanding (ON clear) and the entry is urgent or
 * notifications are not suppressed (SN clear), sets ON; after it, the
 * notification event (NV to NDST, physical, fixed, edge) if ON was set. */
static void deliver_posted(struct irqpm_vtd *u, const struct irqpm_mem *m, const uint64_t irte[2],
                           struct irqpm_outcome *out)
{
    uint64_t pda = ((irte[0] >> IRTE_PDA_LO_SHIFT) << 6) | (irte[1] & 0xffffffff00000000ull);
    uint8_t vv = (uint8_t)(irte[0] >> IRTE_VECTOR_SHIFT);
    bool fpd = (irte[0] & IRTE_FPD) != 0;
    uint8_t pid[PID_SIZE];
    uint64_t ctl;
    bool notify;

    if (m->read(m->ctx, pda, pid, sizeof(pid)) != 0) {
        fault(u, out, IRQPM_FAULT_MEM, FR_IR_PID_ACCESS, fpd);
        return;
    }
    pid[vv / 8u] |= (uint8_t)(1u << (vv % 8u));
    memcpy(&ctl, pid + PID_CTL, sizeof(ctl));
    notify = !(ctl & PID_ON) && ((irte[0] & IRTE_URG) || !(ctl & PID_SN));
    if (notify)
        ctl |= PID_ON;
    memcpy(pid + PID_CTL, &ctl, sizeof(ctl));
    if (m->write(m->ctx, pda, pid, sizeof(pid)) != 0) {
        fault(u, out, IRQPM_FAULT_MEM, FR_IR_PID_ACCESS, fpd);
        return;
    }
    out->result = IRQPM_POSTED;
    out->posted_vector = vv;
    if (!notify)
        return;
    uint32_t ndst = (uint32_t)(ctl >> PID_NDST_SHIFT);
    out->notified = true;
    /* NDST: x2APIC form (32 bits) with IRTA.EIME, else the xAPIC ID in 15:8. */
    out->msg.dest = (u->irta & IRTA_EIME) ? ndst : (ndst >> 8) & 0xffu;
    out->msg.vector = (uint8_t)(ctl >> PID_NV_SHIFT);
}

/* A remappable-format interrupt with the unit's remapping on. */
static void remappable(struct irqpm_vtd *u, const struct irqpm_mem *m, uint16_t sid, uint64_t addr,
                       uint32_t data, struct irqpm_outcome *out)
{
    uint32_t handle = (uint32_t)((addr >> MSI_ADDR_HANDLE_SHIFT) & 0x7fffu) |
                      ((addr & MSI_ADDR_HANDLE15) ? 0x8000u : 0u);
    uint32_t index = handle + ((addr & MSI_ADDR_SHV) ? (data & 0xffffu) : 0u);
    uint64_t entries = 1ull << ((u->irta & IRTA_S_MASK) + 1u), irte[2];
    bool fpd;
    int sid_ok;

    if (data & MSI_DATA_RSVD_REMAPPABLE) {
        fault(u, out, IRQPM_FAULT_FORMAT, FR_IR_REQ_RSVD, false);
        return;
    }
    if (index >= entries) {
        fault(u, out, IRQPM_FAULT_INDEX, FR_IR_INDEX, false);
        return;
    }
    if (iec_fetch(u, m, index, irte) != 0) {
        fault(u, out, IRQPM_FAULT_MEM, FR_IR_IRTE_ACCESS, false);
        return;
    }
    fpd = (irte[0] & IRTE_FPD) != 0;
    if (!(irte[0] & IRTE_P)) {
        fault(u, out, IRQPM_FAULT_ENTRY_NOT_PRESENT, FR_IR_NOT_PRESENT, fpd);
        return;
    }
    bool posted = (irte[0] & IRTE_IM) != 0;
    sid_ok = sid_check(irte[1], sid);
    if (sid_ok < 0 || (posted ? posted_reserved(u, irte) : remapped_reserved(u, irte))) {
        fault(u, out, IRQPM_FAULT_ENTRY_RESERVED, FR_IR_IRTE_RSVD, fpd);
        return;
    }
    if (!sid_ok) {
        fault(u, out, IRQPM_FAULT_SOURCE, FR_IR_SID, fpd);
        return;
    }
    if (posted)
        deliver_posted(u, m, irte, out);
    else
        deliver_remapped(u, irte[0], out);
}

void irqpm_vtd_msi(struct irqpm_vtd *u, const struct irqpm_mem *m, uint16_t sid,
                   uint64_t msi_addr, uint32_t msi_data, struct irqpm_outcome *out)
{
    bool ir_on = (u->gsts & GSTS_IRES) && (u->ecap & ECAP_IR);
    bool eime = (u->irta & IRTA_EIME) != 0;

    memset(out, 0, sizeof(*out));
    if ((msi_addr & ~MSI_ADDR_OFFSET_MASK) != MSI_ADDR_BASE) {
        block(out, IRQPM_FAULT_FORMAT); /* not an interrupt request at all */
        return;
    }
    if (!ir_on) {
        pass_through(msi_addr, msi_data, out);
        return;
    }
    if (!(u->gsts & GSTS_IRTPS) || (eime && !(u->ecap & ECAP_EIM))) {
        block(out, IRQPM_FAULT_TABLE_INVALID);
        return;
    }
    if (!(msi_addr & MSI_ADDR_REMAPPABLE)) {
        /* 5.1.2.1: compatibility format passes only with CFIS and EIME=0. */
        if (!eime && (u->gsts & GSTS_CFIS))
            pass_through(msi_addr, msi_data, out);
        else
            fault(u, out, IRQPM_FAULT_FORMAT, FR_IR_COMPAT_BLOCKED, false);
        return;
    }
    remappable(u, m, sid, msi_addr, msi_data, out);
}
