/* SPDX-License-Identifier: MIT */
/*
 * A model of the AMD AVIC / x2AVIC hardware: the machine, VMRUN and #VMEXIT,
 * the doorbell, virtual interrupt delivery from the backing page.  Guest
 * APIC accesses are in avic_hw_access.c, IPIs in avic_hw_ipi.c.
 *
 * Written from the AMD64 APM vol. 2, section "Advanced Virtual Interrupt
 * Controller" (15.29 in recent editions) and chapter 16, without reading
 * Keel's driver or another hypervisor's AVIC code: see docs/avic-model.md
 * for what it covers and every point where the manual left a choice.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/model/avic_hw_int.h"

void avic_model_error(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fputs("avic_hw: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

void *avic_map(struct avic_hw *hw, uint64_t spa, uint64_t len)
{
    return hw->mem.spa_to_ptr(hw->mem.ctx, spa, len);
}

static void stat_inc(uint64_t *p)
{
    __atomic_fetch_add(p, 1, __ATOMIC_RELAXED);
}

/* ---- Backing page (APM "Virtual APIC Backing Page"): same layout as the
 * APIC register page; 32-bit registers at 16-byte offsets.  Every access is
 * atomic, since other pCPUs set IRR bits in it at any time. ---- */

uint32_t bp_read(const uint8_t *bp, uint32_t off)
{
    return __atomic_load_n((const uint32_t *)(bp + off), __ATOMIC_ACQUIRE);
}

void bp_write(uint8_t *bp, uint32_t off, uint32_t v)
{
    __atomic_store_n((uint32_t *)(bp + off), v, __ATOMIC_RELEASE);
}

static uint32_t *bp_vec_word(uint8_t *bp, uint32_t base, unsigned vec)
{
    return (uint32_t *)(bp + base + (vec / 32u) * 16u);
}

/* The IRR update another pCPU's IPI makes: an atomic read-modify-write, as
 * the APM requires of the hardware (and of software) for the backing page. */
void bp_irr_set(uint8_t *bp, unsigned vec)
{
    __atomic_fetch_or(bp_vec_word(bp, APIC_IRR, vec), 1u << (vec % 32u), __ATOMIC_SEQ_CST);
}

static int highest_bit_in(const uint8_t *bp, uint32_t base, const uint32_t *mask)
{
    for (int w = 7; w >= 0; w--) {
        uint32_t v = bp_read(bp, base + (uint32_t)w * 16u);
        if (mask)
            v &= mask[w];
        if (v)
            return w * 32 + (31 - __builtin_clz(v));
    }
    return -1;
}

int avic_highest_isr(const struct avic_pcpu *c)
{
    return highest_bit_in(c->bp, APIC_ISR, NULL);
}

/* PPR (APM 16.6 "Interrupt Priority"): TPR if its class is at least the
 * highest in-service class, else that class with subclass 0.  The hardware
 * keeps the backing page's PPR current. */
void avic_update_ppr(struct avic_pcpu *c)
{
    uint32_t tpr = bp_read(c->bp, APIC_TPR) & 0xffu;
    int isrv = avic_highest_isr(c);
    uint32_t isr_class = isrv < 0 ? 0 : ((uint32_t)isrv & 0xf0u);
    uint32_t ppr = (tpr & 0xf0u) >= isr_class ? tpr : isr_class;

    bp_write(c->bp, APIC_PPR, ppr);
}

/* The pCPU notices IRR bits: all of them (VMRUN, doorbell) or one it set
 * itself (a self-IPI). */
static void avic_rescan(struct avic_pcpu *c)
{
    for (unsigned w = 0; w < 8; w++)
        c->seen[w] |= bp_read(c->bp, APIC_IRR + w * 16u);
}

void avic_notice(struct avic_pcpu *c, unsigned vec)
{
    c->seen[vec / 32u] |= 1u << (vec % 32u);
}

/* Without AVIC (enable bit clear in the VMCB) a doorbell has nothing to
 * re-read. */
static void avic_consume_doorbell(struct avic_pcpu *c)
{
    if (__atomic_exchange_n(&c->rescan, 0, __ATOMIC_SEQ_CST) && c->avic)
        avic_rescan(c);
}

/* ---- The machine ---- */

static bool features_ok(const struct avic_hw_features *f)
{
    if (f->x2avic && !f->avic) {
        avic_model_error("create: x2AVIC without AVIC");
        return false;
    }
    if (f->x2avic_4k && !f->x2avic) {
        avic_model_error("create: the 4K-ID extension without x2AVIC");
        return false;
    }
    return true;
}

static bool host_ids_ok(const struct avic_hw_features *f, unsigned n, const uint32_t *ids)
{
    uint32_t limit =
        f->x2avic ? (uint32_t)AVIC_PHYS_HOST_ID_MASK_X2 : (uint32_t)AVIC_PHYS_HOST_ID_MASK;

    for (unsigned i = 0; i < n; i++) {
        if (ids[i] > limit) {
            avic_model_error("create: host APIC ID %#x of pCPU %u does not fit the physical "
                             "table's host ID field (max %#x)",
                             ids[i], i, limit);
            return false;
        }
        for (unsigned j = 0; j < i; j++) {
            if (ids[j] == ids[i]) {
                avic_model_error("create: pCPUs %u and %u share host APIC ID %#x", j, i, ids[i]);
                return false;
            }
        }
    }
    return true;
}

struct avic_hw *avic_hw_create(const struct avic_hw_features *f, unsigned npcpus,
                               const uint32_t *host_apic_ids, const struct avic_hw_mem *mem)
{
    struct avic_hw *hw;

    if (!f || !host_apic_ids || !mem || !mem->spa_to_ptr) {
        avic_model_error("create: NULL argument");
        return NULL;
    }
    if (npcpus == 0 || npcpus > AVIC_HW_MAX_PCPUS) {
        avic_model_error("create: %u pCPUs (1..%u)", npcpus, AVIC_HW_MAX_PCPUS);
        return NULL;
    }
    if (!features_ok(f) || !host_ids_ok(f, npcpus, host_apic_ids))
        return NULL;
    hw = calloc(1, sizeof(*hw));
    if (!hw)
        return NULL;
    hw->f = *f;
    hw->mem = *mem;
    hw->npcpus = npcpus;
    for (unsigned i = 0; i < npcpus; i++) {
        hw->cpu[i].host_apic_id = host_apic_ids[i];
        hw->cpu[i].index = i;
    }
    return hw;
}

void avic_hw_destroy(struct avic_hw *hw)
{
    free(hw);
}

static struct avic_pcpu *pcpu_get(struct avic_hw *hw, unsigned pcpu, const char *what)
{
    if (!hw) {
        avic_model_error("%s: NULL model", what);
        return NULL;
    }
    if (pcpu >= hw->npcpus) {
        avic_model_error("%s: pCPU %u out of range (%u pCPUs)", what, pcpu, hw->npcpus);
        return NULL;
    }
    return &hw->cpu[pcpu];
}

bool avic_hw_in_guest(struct avic_hw *hw, unsigned pcpu)
{
    struct avic_pcpu *c = pcpu_get(hw, pcpu, "in_guest");

    return c && __atomic_load_n(&c->in_guest, __ATOMIC_ACQUIRE);
}

/* For the guest-action entry points: the pCPU, if it is in guest mode;
 * else NULL with r->bad_call set and the reason on stderr. */
struct avic_pcpu *avic_guest_pcpu(struct avic_hw *hw, unsigned pcpu, const char *what,
                                  struct avic_hw_result *r)
{
    struct avic_pcpu *c = pcpu_get(hw, pcpu, what);

    memset(r, 0, sizeof(*r));
    if (c && !__atomic_load_n(&c->in_guest, __ATOMIC_ACQUIRE)) {
        avic_model_error("%s: pCPU %u is not in guest mode", what, pcpu);
        c = NULL;
    }
    if (!c)
        r->bad_call = true;
    else
        avic_consume_doorbell(c);
    return c;
}

/* A #VMEXIT the model causes: the CPU writes EXITCODE/EXITINFO1/EXITINFO2
 * (EXITINTINFO: no event was being delivered) and returns to host mode. */
void avic_exit(struct avic_pcpu *c, struct avic_hw_result *r, uint64_t code, uint64_t info1,
               uint64_t info2)
{
    c->vmcb->exitcode = code;
    c->vmcb->exitinfo1 = info1;
    c->vmcb->exitinfo2 = info2;
    c->vmcb->exitintinfo = 0;
    r->exited = true;
    r->exitcode = code;
    r->exitinfo1 = info1;
    r->exitinfo2 = info2;
    __atomic_store_n(&c->in_guest, 0, __ATOMIC_RELEASE);
    stat_inc(&c->vmexits);
}

/* ---- VMRUN (APM 15.5 "VMRUN Instruction", its consistency checks, and the
 * AVIC section's "VMRUN" rules for the AVIC fields) ---- */

/* The AVIC pointer fields hold bits 51:12.  APM unclear: it does not say
 * whether set bits outside 51:12 fail VMRUN or are ignored; the model fails
 * VMRUN on bits 63:52 (beyond any MAXPHYADDR) and on bits 11:0 of the
 * backing page and logical table pointers (their low bits are reserved),
 * so that a driver writing a flag into them is caught. */
static const char *check_ptr(struct avic_hw *hw, uint64_t v, uint64_t len, void **out,
                             const char *rsvd_msg, const char *mem_msg)
{
    if (v & ~AVIC_ADDR_MASK)
        return rsvd_msg;
    *out = avic_map(hw, v, len);
    return *out ? NULL : mem_msg;
}

static uint32_t max_index_limit(const struct avic_hw *hw, bool x2)
{
    if (!x2)
        return AVIC_MAX_INDEX_XAPIC;
    return hw->f.x2avic_4k ? AVIC_MAX_INDEX_X2AVIC_4K : AVIC_MAX_INDEX_X2AVIC;
}

static const char *check_enables(struct avic_hw *hw, uint64_t vintr)
{
    bool avic = vintr & VMCB_VINTR_AVIC_ENABLE, x2 = vintr & VMCB_VINTR_X2AVIC_ENABLE;

    /* APM unclear: whether a set AVIC enable on a CPU without AVIC is
     * ignored or fails VMRUN.  The model fails it (strict). */
    if (avic && !hw->f.avic)
        return "AVIC enable (VMCB 060h bit 31) set on a CPU without AVIC";
    /* x2AVIC mode is AVIC in x2APIC mode: both enables are needed. */
    if (x2 && !avic)
        return "x2AVIC enable (VMCB 060h bit 30) without AVIC enable (bit 31)";
    if (x2 && !hw->f.x2avic)
        return "x2AVIC enable (VMCB 060h bit 30) on a CPU without x2AVIC";
    return NULL;
}

static const char *check_tables(struct avic_hw *hw, struct avic_pcpu *c,
                                const struct avic_vmcb_ctl *v)
{
    uint64_t pt = v->avic_physical_table;
    uint32_t max = (uint32_t)(pt & AVIC_PHYS_MAX_INDEX_MASK);
    void *p;
    const char *why;

    if (v->avic_apic_bar & AVIC_ADDR_HIGH_RSVD)
        return "AVIC APIC BAR (VMCB 098h) has bits 63:52 set";
    why = check_ptr(hw, v->avic_backing_page, APIC_PAGE_SIZE, &p,
                    "backing page pointer (VMCB 0E0h) has bits outside 51:12 set",
                    "backing page (VMCB 0E0h) is not in memory");
    if (why)
        return why;
    c->bp_spa = v->avic_backing_page;
    c->bp = p;
    c->ltable = NULL;
    /* x2AVIC derives logical destinations from the x2APIC ID (see
     * avic_hw_ipi.c); only xAPIC mode reads the logical table. */
    if (!c->x2avic) {
        why = check_ptr(hw, v->avic_logical_table, APIC_PAGE_SIZE, &p,
                        "logical APIC ID table pointer (VMCB 0F0h) has bits outside 51:12 set",
                        "logical APIC ID table (VMCB 0F0h) is not in memory");
        if (why)
            return why;
        c->ltable = p;
    }
    if (pt & AVIC_ADDR_HIGH_RSVD)
        return "physical APIC ID table pointer (VMCB 0F8h) has bits 63:52 set";
    if (max > max_index_limit(hw, c->x2avic))
        return "AVIC_PHYSICAL_MAX_INDEX (VMCB 0F8h) above the mode's limit";
    p = avic_map(hw, pt & AVIC_ADDR_MASK, ((uint64_t)max + 1) * 8u);
    if (!p)
        return "physical APIC ID table (VMCB 0F8h) is not in memory";
    c->ptable = p;
    c->max_index = max;
    return NULL;
}

static const char *vmrun_load(struct avic_hw *hw, struct avic_pcpu *c, struct avic_vmcb_ctl *v)
{
    const char *why = check_enables(hw, v->vintr);

    if (why)
        return why;
    c->avic = v->vintr & VMCB_VINTR_AVIC_ENABLE;
    c->x2avic = v->vintr & VMCB_VINTR_X2AVIC_ENABLE;
    c->bp = NULL;
    c->ltable = NULL;
    c->ptable = NULL;
    if (!c->avic)
        return NULL;
    return check_tables(hw, c, v);
}

int avic_hw_vmrun(struct avic_hw *hw, unsigned pcpu, uint64_t vmcb_spa)
{
    struct avic_pcpu *c = pcpu_get(hw, pcpu, "vmrun");
    struct avic_vmcb_ctl *v;
    const char *why;

    if (!c)
        return -2;
    if (__atomic_load_n(&c->in_guest, __ATOMIC_ACQUIRE)) {
        avic_model_error("vmrun: pCPU %u is already in guest mode", pcpu);
        return -2;
    }
    v = (vmcb_spa & 0xfffu) ? NULL : avic_map(hw, vmcb_spa, AVIC_VMCB_SIZE);
    if (!v) {
        avic_model_error("vmrun: VMCB at %#llx is not 4 KiB aligned or not in memory (#GP)",
                         (unsigned long long)vmcb_spa);
        return -2;
    }
    stat_inc(&c->vmruns);
    c->vmcb = v;
    why = vmrun_load(hw, c, v);
    c->last_invalid = why;
    if (why) {
        v->exitcode = AVIC_VMEXIT_INVALID;
        v->exitinfo1 = 0;
        v->exitinfo2 = 0;
        c->avic = false;
        stat_inc(&c->vmexits);
        return -1;
    }
    memset(c->seen, 0, sizeof(c->seen));
    __atomic_store_n(&c->rescan, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&c->in_guest, 1, __ATOMIC_SEQ_CST);
    if (c->avic) {
        /* Entry evaluates the backing page: everything in IRR now is
         * pending.  APM unclear whether VMRUN rewrites PPR from TPR/ISR;
         * the model does, so a PPR read after entry is consistent. */
        avic_rescan(c);
        avic_update_ppr(c);
    }
    return 0;
}

const char *avic_hw_last_invalid(struct avic_hw *hw, unsigned pcpu)
{
    struct avic_pcpu *c = pcpu_get(hw, pcpu, "last_invalid");

    return c ? c->last_invalid : NULL;
}

/* The backing page is memory: nothing AVIC holds is written back at
 * #VMEXIT.  The model only leaves guest mode. */
void avic_hw_vmexit(struct avic_hw *hw, unsigned pcpu)
{
    struct avic_pcpu *c = pcpu_get(hw, pcpu, "vmexit");

    if (!c)
        return;
    if (!__atomic_load_n(&c->in_guest, __ATOMIC_ACQUIRE)) {
        avic_model_error("vmexit: pCPU %u is not in guest mode", pcpu);
        return;
    }
    __atomic_store_n(&c->in_guest, 0, __ATOMIC_RELEASE);
    stat_inc(&c->vmexits);
}

/* ---- Interrupt delivery (APM "Interrupt Delivery" in the AVIC section,
 * 16.6 for priorities): the highest noticed IRR vector whose class is above
 * PPR's is taken: IRR -> ISR, PPR follows. ---- */
int avic_hw_take_interrupt(struct avic_hw *hw, unsigned pcpu)
{
    struct avic_hw_result r;
    struct avic_pcpu *c = avic_guest_pcpu(hw, pcpu, "take_interrupt", &r);
    int vec;
    uint32_t ppr, bit;

    if (!c || !c->avic)
        return -1;
    avic_update_ppr(c);
    ppr = bp_read(c->bp, APIC_PPR);
    vec = highest_bit_in(c->bp, APIC_IRR, c->seen);
    if (vec < 0 || ((uint32_t)vec & 0xf0u) <= (ppr & 0xf0u))
        return -1;
    bit = 1u << (vec % 32);
    __atomic_fetch_and(bp_vec_word(c->bp, APIC_IRR, (unsigned)vec), ~bit, __ATOMIC_SEQ_CST);
    c->seen[vec / 32] &= ~bit;
    __atomic_fetch_or(bp_vec_word(c->bp, APIC_ISR, (unsigned)vec), bit, __ATOMIC_SEQ_CST);
    avic_update_ppr(c);
    return vec;
}

/* ---- Doorbell (APM "AVIC Doorbell", MSR C001_011Bh) ---- */

/* A doorbell reaches the pCPU with @host_id.  In guest mode it makes the
 * CPU re-read its backing page's IRR; in host mode it does nothing (the
 * next VMRUN reads the IRR anyway).  One with no pCPU behind it is lost. */
void avic_doorbell_to(struct avic_hw *hw, struct avic_pcpu *from, uint32_t host_id)
{
    for (unsigned i = 0; i < hw->npcpus; i++) {
        struct avic_pcpu *t = &hw->cpu[i];

        if (t->host_apic_id != host_id)
            continue;
        if (__atomic_load_n(&t->in_guest, __ATOMIC_SEQ_CST)) {
            __atomic_store_n(&t->rescan, 1, __ATOMIC_SEQ_CST);
            stat_inc(&t->doorbells_in_guest);
        } else {
            stat_inc(&t->doorbells_in_host);
        }
        return;
    }
    stat_inc(&from->doorbells_unrouted);
}

/* WRMSR C001_011Bh by the hypervisor.  APM unclear on the field width: it
 * gives the host physical APIC ID in bits 7:0 with the rest reserved; with
 * x2AVIC (hosts in x2APIC mode) the model takes bits 31:0. */
int avic_hw_doorbell(struct avic_hw *hw, unsigned pcpu, uint64_t value)
{
    struct avic_pcpu *c = pcpu_get(hw, pcpu, "doorbell");
    uint64_t id_mask = hw && hw->f.x2avic ? 0xffffffffull : 0xffull;

    if (!c)
        return -1;
    if (!hw->f.avic) {
        avic_model_error("doorbell: no AVIC: MSR C001_011Bh does not exist (#GP)");
        return -1;
    }
    if (__atomic_load_n(&c->in_guest, __ATOMIC_ACQUIRE)) {
        avic_model_error("doorbell: pCPU %u is in guest mode, the hypervisor cannot run there",
                         pcpu);
        return -1;
    }
    if (value & ~id_mask) {
        avic_model_error("doorbell: reserved bits set in %#llx (#GP)", (unsigned long long)value);
        return -1;
    }
    for (unsigned i = 0; i < hw->npcpus; i++) {
        if (hw->cpu[i].host_apic_id == (uint32_t)value) {
            avic_doorbell_to(hw, c, (uint32_t)value);
            return 0;
        }
    }
    avic_model_error("doorbell: no pCPU has host APIC ID %#x", (unsigned)value);
    return -1;
}

void avic_hw_stats(struct avic_hw *hw, unsigned pcpu, struct avic_hw_pcpu_stats *out)
{
    struct avic_pcpu *c = pcpu_get(hw, pcpu, "stats");

    memset(out, 0, sizeof(*out));
    if (!c)
        return;
    out->doorbells_in_guest = __atomic_load_n(&c->doorbells_in_guest, __ATOMIC_RELAXED);
    out->doorbells_in_host = __atomic_load_n(&c->doorbells_in_host, __ATOMIC_RELAXED);
    out->doorbells_unrouted = __atomic_load_n(&c->doorbells_unrouted, __ATOMIC_RELAXED);
    out->vmruns = __atomic_load_n(&c->vmruns, __ATOMIC_RELAXED);
    out->vmexits = __atomic_load_n(&c->vmexits, __ATOMIC_RELAXED);
}
