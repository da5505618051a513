/* SPDX-License-Identifier: MIT */
/*
 * hv/irq_post.c: the guest programs its device's MSI address and data and
 * its APICs' IDs, LDRs, DFRs and modes; Keel turns them into an IRTE.
 * Input: the unit (vendor, remaps, posts, x2), the VM's activation, up to 8
 * vCPUs (APIC view, acceleration, placement, backing page, descriptor), the
 * MSI address and data; then a placement move of the posted entry; then a
 * GA log ring with head and tail for the consumer (iommu/amd/amdvi_enc.c).
 * Invariants: a posted route names one vCPU the message selects, for a
 * fixed or lowest-priority edge message, on a unit that posts, in an active
 * VM, with the vCPU accelerated; its IRTE is in the posting form with the
 * guest's vector (AMD: guest mode, the backing page, the GATag; VT-d: IM
 * with the descriptor); a remapped route's IRTE carries Keel's vector and
 * never the posting form; a refused or programless route has no IRTE; a
 * placement move changes only Destination, IsRun and GALogIntr; the GA log
 * consumer stays inside the ring and reports at most one tag per entry.
 */
#include <string.h>

#include "fuzz.h"
#include "hv/irq_post.h"
#include "iommu/amd/amdvi_hw.h"
#include "iommu/vtd/vtd_hw.h"

#define NV 8

static unsigned tags;

static void count_tag(void *ctx, uint32_t tag, uint16_t devid)
{
    (void)ctx;
    (void)tag;
    (void)devid;
    tags++;
}

static void read_vm(struct fuzz_in *f, struct irq_post_in *in, struct apic_dest_view *views,
                    struct irq_post_vcpu *vc)
{
    in->unit.vendor = fuzz_bool(f) ? IRQ_POST_AMDVI : IRQ_POST_VTD;
    in->unit.remaps = fuzz_bool(f);
    in->unit.posts = fuzz_bool(f);
    in->unit.x2 = fuzz_bool(f);
    in->vm_accel = fuzz_bool(f);
    in->msi_enabled = fuzz_bool(f);
    in->nvcpus = fuzz_u8(f) % (NV + 1);
    for (unsigned i = 0; i < NV; i++) {
        views[i] = (struct apic_dest_view){ .mode = fuzz_u8(f) % 3, .sw_enabled = fuzz_bool(f),
                                            .arb_priority = fuzz_u8(f), .id = fuzz_u8(f),
                                            .ldr = fuzz_u8(f), .dfr = fuzz_bool(f) ? 0xffffffffu
                                                                                   : 0x0fffffffu };
        vc[i] = (struct irq_post_vcpu){ .accel = fuzz_bool(f), .placed = fuzz_bool(f),
                                        .running = fuzz_bool(f), .host_apic_id = fuzz_u32(f),
                                        .backing_pa = fuzz_u64(f) & ~0xfffull & 0xffffffffffull,
                                        .pi_desc_pa = fuzz_u64(f) & ~0x3full & 0xffffffffffull };
    }
    in->views = views;
    in->vcpus = vc;
    in->msi_addr = 0xfee00000ull | (fuzz_u32(f) & 0xfffffu);
    if (fuzz_bool(f))
        in->msi_addr = fuzz_u64(f);
    in->msi_data = fuzz_u16(f);
    in->host_vector = 0xd0;
    in->host_dest = fuzz_u8(f);
    in->sid = fuzz_u16(f);
    in->ga_tag = 0x10000;
}

static void check_posted(const struct irq_post_in *in, const struct irq_post_route *r)
{
    uint8_t dm = (in->msi_data >> 8) & 7;
    FUZZ_ASSERT(in->unit.remaps && in->unit.posts && in->vm_accel);
    FUZZ_ASSERT(r->target >= 0 && (unsigned)r->target < in->nvcpus);
    FUZZ_ASSERT(in->vcpus[r->target].accel);
    FUZZ_ASSERT(dm == 0 || dm == 1);
    FUZZ_ASSERT(!(in->msi_data & 0x8000));
    FUZZ_ASSERT(r->vector == (uint8_t)in->msi_data);
    FUZZ_ASSERT(in->views[r->target].mode != 0 && in->views[r->target].sw_enabled);
    if (in->unit.vendor == IRQ_POST_AMDVI) {
        FUZZ_ASSERT(r->irte_lo & AMDVI_IRTE_GUEST_MODE);
        FUZZ_ASSERT((r->irte_hi & AMDVI_IRTE_VECTOR_MASK) == r->vector);
        FUZZ_ASSERT((r->irte_hi & AMDVI_IRTE_GA_ROOT_MASK) == in->vcpus[r->target].backing_pa);
        FUZZ_ASSERT((uint32_t)(r->irte_lo >> 32) == (in->ga_tag | (uint32_t)r->target));
        FUZZ_ASSERT(!(r->irte_lo & AMDVI_IRTE_IS_RUN) != !(r->irte_lo & AMDVI_IRTE_GA_LOG_INTR));
    } else {
        FUZZ_ASSERT(r->irte_lo & VTD_IRTE_IM);
        FUZZ_ASSERT(((r->irte_lo >> VTD_IRTE_V_SHIFT) & 0xff) == r->vector);
    }
}

static void check_route(const struct irq_post_in *in, const struct irq_post_route *r, int rc)
{
    if (rc) {
        FUZZ_ASSERT(r->kind == IRQ_POST_OFF && !r->irte_lo && !r->irte_hi && r->target == -1);
        return;
    }
    FUZZ_ASSERT(r->why < IRQ_WHY_COUNT);
    switch (r->kind) {
    case IRQ_POST_POSTED:
        check_posted(in, r);
        break;
    case IRQ_POST_REMAP:
        FUZZ_ASSERT(in->unit.remaps && r->target == -1);
        if (in->unit.vendor == IRQ_POST_AMDVI)
            FUZZ_ASSERT(!(r->irte_lo & AMDVI_IRTE_GUEST_MODE) &&
                        (r->irte_hi & AMDVI_IRTE_VECTOR_MASK) == 0xd0);
        else
            FUZZ_ASSERT(!(r->irte_lo & VTD_IRTE_IM) &&
                        ((r->irte_lo >> VTD_IRTE_V_SHIFT) & 0xff) == 0xd0);
        break;
    default:
        FUZZ_ASSERT(!r->irte_lo && !r->irte_hi && r->target == -1);
        FUZZ_ASSERT(r->kind == IRQ_POST_OFF || (r->kind == IRQ_POST_DIRECT && !in->unit.remaps));
    }
}

static void check_place(struct fuzz_in *f, struct irq_post_route *r)
{
    const uint64_t keep_lo = ~(AMDVI_IRTE_IS_RUN | AMDVI_IRTE_GA_LOG_INTR |
                               0xffffffull << AMDVI_IRTE_DEST_LO_SHIFT);
    const uint64_t keep_hi = ~(0xffull << AMDVI_IRTE_DEST_HI_SHIFT);
    uint64_t lo = r->irte_lo, hi = r->irte_hi;
    bool changed, running = fuzz_bool(f);
    int wide = irq_post_amd_place(&lo, &hi, fuzz_u32(f), running, &changed);
    if (wide < 0) {
        FUZZ_ASSERT(!(r->irte_lo & AMDVI_IRTE_GUEST_MODE) && !changed);
        return;
    }
    FUZZ_ASSERT((lo & keep_lo) == (r->irte_lo & keep_lo) && (hi & keep_hi) == (r->irte_hi & keep_hi));
    FUZZ_ASSERT(wide == (hi != r->irte_hi));
    FUZZ_ASSERT(!(lo & AMDVI_IRTE_IS_RUN) == !running && !(lo & AMDVI_IRTE_GA_LOG_INTR) == running);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in f = { data, size };
    struct apic_dest_view views[NV];
    struct irq_post_vcpu vc[NV];
    struct irq_post_in in;
    struct irq_post_route r;
    static uint64_t log[AMDVI_GA_LOG_ENTRIES];

    memset(&in, 0, sizeof(in));
    read_vm(&f, &in, views, vc);
    int rc = irq_post_decide(&in, &r);
    check_route(&in, &r, rc);
    if (r.kind == IRQ_POST_POSTED && in.unit.vendor == IRQ_POST_AMDVI)
        check_place(&f, &r);
    char buf[128];
    FUZZ_ASSERT(irq_post_describe(&r, buf, sizeof(buf)) > 0);
    /* The GA log consumer over whatever a unit could have left there. */
    for (unsigned i = 0; i < AMDVI_GA_LOG_ENTRIES && fuzz_more(&f); i++)
        log[i] = fuzz_u64(&f);
    unsigned n;
    uint64_t head = fuzz_u64(&f), tail = fuzz_u64(&f);
    tags = 0;
    uint64_t nh = amdvi_ga_log_consume(log, head, tail, count_tag, NULL, &n);
    FUZZ_ASSERT(nh < AMDVI_GA_LOG_ENTRIES * 8 && !(nh & 7));
    FUZZ_ASSERT(tags <= n && n <= AMDVI_GA_LOG_ENTRIES);
    memset(log, 0, sizeof(log));
    return 0;
}
