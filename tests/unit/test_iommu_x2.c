/* SPDX-License-Identifier: MIT */
/* Host unit tests for x2APIC destinations in remapped interrupts: when
 * Keel turns them on (iommu_wants_x2), the VT-d IRTA value (VT-d 10.4.29:
 * address 63:12, EIME bit 11, S 3:0), and the remapped IRTEs
 * hv/irq_post.c writes for Keel's host vector on a CPU whose APIC ID needs
 * more than 8 bits (VT-d 9.10: DST 63:32 holds the 32-bit x2APIC ID with
 * EIME, the 8-bit ID at 47:40 without; AMD-Vi #48882 2.2.5.2: the 128-bit
 * IRTE's Destination[23:0] at 31:8 and [31:24] at 127:120, usable above
 * 255 only with XTEn).  Values worked out by hand from those layouts. */
#include <string.h>

#include "apic/apic_dest.h"
#include "check.h"
#include "hv/irq_post.h"
#include "iommu/iommu.h"
#include "iommu/vtd/vtd_hw.h"

static void test_wants(void)
{
    CHECK(!iommu_wants_x2(false, 0x100));  /* not offered: never */
    CHECK(!iommu_wants_x2(true, 0));
    CHECK(!iommu_wants_x2(true, 0xff));    /* every ID fits 8 bits: off (VT-d 5.1.4: EIME blocks CFI) */
    CHECK(iommu_wants_x2(true, 0x100));
    CHECK(iommu_wants_x2(true, 0xffffffffu));
}

static void test_irta(void)
{
    uint64_t v = 1;
    CHECK_EQ(vtd_irta(&v, 0x12345000, 7, false), 0);
    CHECK_EQ(v, 0x12345007ull);
    CHECK_EQ(vtd_irta(&v, 0x12345000, 7, true), 0);
    CHECK_EQ(v, 0x12345807ull);                        /* EIME: bit 11 */
    CHECK_EQ(vtd_irta(&v, 0x000ffffffffff000ull, 15, true), 0); /* bit 51 down to 12 */
    CHECK_EQ(v, 0x000ffffffffff80full);
    CHECK_EQ(vtd_irta(&v, 0x12345800, 7, true), -1);   /* not 4 KiB aligned */
    CHECK_EQ(v, 0u);
    CHECK_EQ(vtd_irta(&v, 1ull << 52, 7, false), -1);  /* above bit 51 */
    CHECK_EQ(vtd_irta(&v, 0x1000, 16, false), -1);     /* S is 4 bits */
}

/* Keel's remapped entry for host vector 0xd1 on host APIC dest. */
static int remapped(uint8_t vendor, bool x2, uint32_t dest, struct irq_post_route *r)
{
    static const struct apic_dest_view views[1] = { { .mode = APIC_DEST_XAPIC, .sw_enabled = true } };
    static const struct irq_post_vcpu vc[1] = { { .accel = false } };
    const struct irq_post_in in = {
        .msi_enabled = true, .msi_addr = 0xfee00000u, .msi_data = 0x41,
        .views = views, .nvcpus = 1, .vcpus = vc,
        .unit = { .vendor = vendor, .remaps = true, .posts = false, .x2 = x2 },
        .host_vector = 0xd1, .host_dest = dest, .sid = 0x30,
    };
    return irq_post_decide(&in, r);
}

static void test_vtd_entries(void)
{
    struct irq_post_route r;
    CHECK_EQ(remapped(IRQ_POST_VTD, true, 0x100, &r), 0);
    CHECK_EQ(r.kind, IRQ_POST_REMAP);
    CHECK_EQ(r.irte_lo, 0x0000010000d10001ull);        /* P, vector 23:16, DST 63:32 = 0x100 */
    CHECK_EQ(r.irte_hi, 0x40030ull);                   /* SVT 01b (19:18), SID 0x30 */
    CHECK_EQ(remapped(IRQ_POST_VTD, true, 5, &r), 0);
    CHECK_EQ(r.irte_lo, 0x0000000500d10001ull);        /* EIME: the ID as is */
    CHECK_EQ(remapped(IRQ_POST_VTD, false, 5, &r), 0);
    CHECK_EQ(r.irte_lo, 0x0000050000d10001ull);        /* xAPIC: ID in DST 15:8 */
    CHECK_EQ(remapped(IRQ_POST_VTD, false, 0x100, &r), -1);
    CHECK_EQ(r.kind, IRQ_POST_OFF);
    CHECK_EQ(r.irte_lo, 0u);
}

static void test_amdvi_entries(void)
{
    struct irq_post_route r;
    CHECK_EQ(remapped(IRQ_POST_AMDVI, true, 0x100, &r), 0);
    CHECK_EQ(r.kind, IRQ_POST_REMAP);
    CHECK_EQ(r.irte_lo, 0x10001ull);                   /* RemapEn, fixed, Destination[23:0] 31:8 */
    CHECK_EQ(r.irte_hi, 0xd1ull);
    CHECK_EQ(remapped(IRQ_POST_AMDVI, true, 0x02000100, &r), 0);
    CHECK_EQ(r.irte_lo, 0x10001ull);
    CHECK_EQ(r.irte_hi, 0x02000000000000d1ull);        /* Destination[31:24] at 127:120 */
    CHECK_EQ(remapped(IRQ_POST_AMDVI, false, 0x100, &r), -1);
    CHECK_EQ(r.kind, IRQ_POST_OFF);
}

int main(void)
{
    test_wants();
    test_irta();
    test_vtd_entries();
    test_amdvi_entries();
    return check_report("test_iommu_x2");
}
