/* SPDX-License-Identifier: MIT */
/*
 * AVIC / x2AVIC: the pure half of the driver (svm/avic.h).  Compiled into
 * keel.efi and, unchanged, into the host tests that run it against a model
 * of the hardware (tests/unit/test_avic.c, tests/model/).
 */
#include "svm/avic.h"

#include "apic/apic_defs.h"
#include "svm/svm.h"

_Static_assert(AVIC_PHYS_ENTRIES * sizeof(uint64_t) == 4096, "physical table is one page");
_Static_assert(AVIC_LOG_ENTRIES * sizeof(uint32_t) == 4096, "logical table is one page");
_Static_assert(AVIC_MAX_ID_X2AVIC < AVIC_PHYS_ENTRIES, "x2AVIC IDs fit one page");
_Static_assert(AVIC_LOG_CLUSTER_ENTRIES <= AVIC_LOG_USED && AVIC_LOG_FLAT_ENTRIES <= AVIC_LOG_USED
               && AVIC_LOG_USED <= AVIC_LOG_ENTRIES, "logical entries in use fit");

enum avic_ipi_action avic_ipi_action(uint64_t exitinfo2)
{
    switch ((uint32_t)(exitinfo2 >> AVIC_IPI_INFO2_CAUSE_SHIFT)) {
    case AVIC_IPI_INVALID_INT_TYPE:
    case AVIC_IPI_INVALID_TARGET:
    case AVIC_IPI_INVALID_VECTOR:
        /* The CPU sent nothing (it handles only fixed, edge IPIs to valid
         * entries): the ICR is delivered as the architecture says,
         * including the illegal-vector error for vectors below 16. */
        return AVIC_IPI_DELIVER;
    case AVIC_IPI_TARGET_NOT_RUNNING:
        /* IRR bits are set already; delivering again could deliver twice
         * (a target may have taken the first one meanwhile). */
        return AVIC_IPI_WAKE;
    default:
        return AVIC_IPI_ANOMALY;
    }
}

/* Writes whose effect needs the hypervisor after the CPU stored them in
 * the backing page (APM: "AVIC_NOACCEL" trap-class registers). */
static bool trap_write(uint32_t off)
{
    switch (off) {
    case APIC_ID: case APIC_EOI: case APIC_LDR: case APIC_DFR: case APIC_SVR:
    case APIC_ESR: case APIC_ICR: case APIC_LVT_CMCI: case APIC_LVT_TIMER:
    case APIC_LVT_THERMAL: case APIC_LVT_PERF: case APIC_LVT_LINT0: case APIC_LVT_LINT1:
    case APIC_LVT_ERROR: case APIC_TMICT: case APIC_TDCR:
        return true;
    default:
        return false;
    }
}

struct avic_noaccel avic_noaccel_decode(uint64_t exitinfo1)
{
    struct avic_noaccel r;
    r.offset = (uint32_t)(exitinfo1 & AVIC_NOACCEL_OFFSET_MASK);
    r.write = (exitinfo1 & AVIC_NOACCEL_WRITE) != 0;
    r.trap = r.write && trap_write(r.offset);
    return r;
}

unsigned avic_max_guest_id(bool x2avic, bool x2avic_4k)
{
    /* 4096 IDs would need eight pages of table; Keel allocates one, so
     * the extension is used up to what one page holds. */
    (void)x2avic_4k;
    return x2avic ? AVIC_MAX_ID_X2AVIC : AVIC_MAX_ID_XAPIC;
}

uint64_t avic_phys_running(uint64_t entry, bool running)
{
    if (!(entry & AVIC_PHYS_VALID))
        return entry;
    return running ? entry | AVIC_PHYS_IS_RUNNING : entry & ~AVIC_PHYS_IS_RUNNING;
}

void avic_x2avic_msrpm(uint8_t *msrpm)
{
    for (uint32_t msr = X2APIC_MSR_BASE; msr < X2APIC_MSR_BASE + 0x40; msr++)
        svm_msrpm_set(msrpm, msr, !avic_x2apic_msr_read_passthrough(msr),
                      !avic_x2apic_msr_write_passthrough(msr));
}

uint64_t avic_phys_entry(uint64_t backing_pa, uint32_t host_id, bool running)
{
    return AVIC_PHYS_VALID | (backing_pa & AVIC_PHYS_BACKING_MASK)
           | (host_id & AVIC_PHYS_HOST_ID_MASK) | (running ? AVIC_PHYS_IS_RUNNING : 0);
}

void avic_vmcb_apply(struct vmcb_control *c, const struct avic_vmcb_cfg *cfg)
{
    c->int_ctl &= ~(AVIC_INT_CTL_ENABLE | AVIC_INT_CTL_X2APIC_MODE);
    if (!cfg->enable)
        return;
    c->int_ctl |= AVIC_INT_CTL_ENABLE | (cfg->x2apic_mode ? AVIC_INT_CTL_X2APIC_MODE : 0);
    c->avic_apic_bar = cfg->apic_bar & AVIC_ADDR_MASK;
    c->avic_backing_page = cfg->backing_pa & AVIC_ADDR_MASK;
    c->avic_logical_table = cfg->logical_pa & AVIC_ADDR_MASK;
    c->avic_physical_table = (cfg->physical_pa & AVIC_ADDR_MASK)
                             | (cfg->max_index & AVIC_PHYS_MAX_INDEX_MASK);
}

/* Index of logical (cluster, bit) in the table, -1 if not expressible. */
static int logical_index(uint32_t dfr, unsigned cluster, unsigned bit)
{
    if (dfr == APIC_DFR_FLAT)
        return (int)bit;
    if (cluster >= AVIC_LOG_CLUSTER_ENTRIES / 4 || bit >= 4)
        return -1;
    return (int)(cluster * 4 + bit);
}

bool avic_logical_build(uint32_t *table, const struct apic_dest_view *views, unsigned n)
{
    /* Built aside, then only changed entries stored, each whole: the CPU
     * reads the table while guests send IPIs, and an entry must never be
     * seen half-written or invalid in between (it would cost an exit). */
    uint32_t nw[AVIC_LOG_USED] = { 0 };
    bool conflict = false;
    for (unsigned i = 0; i < n; i++) {
        const struct apic_dest_view *v = &views[i];
        if (v->mode != APIC_DEST_XAPIC || i > AVIC_LOG_GUEST_ID_MASK)
            continue;
        uint32_t ldr = v->ldr & 0xffu;  /* the view holds LDR[31:24] already */
        bool flat = v->dfr == APIC_DFR_FLAT;
        unsigned bits = flat ? ldr : ldr & 0xfu, cluster = flat ? 0 : ldr >> 4;
        for (unsigned b = 0; b < (flat ? 8u : 4u); b++) {
            if (!(bits & (1u << b)))
                continue;
            int idx = logical_index(v->dfr, cluster, b);
            if (idx < 0)
                continue;
            if (nw[idx] & AVIC_LOG_VALID) {
                conflict = true;
                continue;
            }
            /* The physical table slot of vCPU i, not its current ID: the
             * physical table stays indexed by initial IDs (a changed ID
             * inhibits AVIC), and while that inhibit reaches every vCPU a
             * logical IPI must still land on the APIC whose LDR matched
             * (avic_stress caught one landing on the vCPU with its ID). */
            nw[idx] = AVIC_LOG_VALID | (i & AVIC_LOG_GUEST_ID_MASK);
        }
    }
    for (unsigned i = 0; i < AVIC_LOG_USED; i++)
        if (__atomic_load_n(&table[i], __ATOMIC_RELAXED) != nw[i])
            __atomic_store_n(&table[i], nw[i], __ATOMIC_RELEASE);
    return !conflict;
}

bool avic_erratum_1235(bool hygon, unsigned family)
{
    return hygon ? family == 0x18 : family == 0x17;
}

bool avic_x2apic_msr_read_passthrough(uint32_t msr)
{
    if (msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_BASE + 0x3f)
        return false;
    uint32_t off = (msr - X2APIC_MSR_BASE) << 4;
    if (off >= APIC_ISR && off < APIC_IRR + 0x80)
        return true;           /* ISR, TMR, IRR */
    switch (off) {
    case APIC_ID: case APIC_LVR: case APIC_TPR: case APIC_PPR: case APIC_LDR: case APIC_SVR:
    case APIC_ESR: case APIC_LVT_CMCI: case APIC_ICR: case APIC_LVT_TIMER:
    case APIC_LVT_THERMAL: case APIC_LVT_PERF: case APIC_LVT_LINT0: case APIC_LVT_LINT1:
    case APIC_LVT_ERROR: case APIC_TMICT: case APIC_TDCR:
        return true;           /* not TMCCT: it counts, only the vLAPIC knows it */
    default:
        return false;          /* write-only and reserved: the vLAPIC's #GP */
    }
}

bool avic_x2apic_msr_write_passthrough(uint32_t msr)
{
    if (msr < X2APIC_MSR_BASE || msr > X2APIC_MSR_BASE + 0x3f)
        return false;
    uint32_t off = (msr - X2APIC_MSR_BASE) << 4;
    return off == APIC_TPR || off == APIC_EOI || off == APIC_SELF_IPI || off == APIC_ICR;
}
