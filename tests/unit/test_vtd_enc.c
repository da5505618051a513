/* SPDX-License-Identifier: MIT */
/*
 * iommu/vtd/vtd_enc.c: expected values worked out by hand from the VT-d
 * specification (root/context entries 9.1/9.3, second-level entries 9.8,
 * invalidation descriptors 6.5.2, fault recording registers 11.4.14,
 * IRTEs 9.10/9.11), not from the encoder.
 */
#include <string.h>

#include "check.h"
#include "iommu/vtd/vtd_hw.h"

static void test_tables(void)
{
    struct vtd_root_entry r;
    struct vtd_context_entry c;
    uint64_t p;

    CHECK_EQ(vtd_root_entry(&r, 0x1234000), 0);
    CHECK_EQ(r.lo, 0x1234001);
    CHECK_EQ(r.hi, 0);
    CHECK_EQ(vtd_root_entry(&r, 0x1234800), -1);
    CHECK_EQ(r.lo, 0);

    CHECK_EQ(vtd_context_entry(&c, 0x5000, 4, 0x2a, VTD_CTX_TT_UNTRANSLATED, false), 0);
    CHECK_EQ(c.lo, 0x5001);
    CHECK_EQ(c.hi, 0x2a02); /* DID 23:8, AW 2 (48-bit, 4 levels) */
    CHECK_EQ(vtd_context_entry(&c, 0x5000, 3, 0xffff, VTD_CTX_TT_UNTRANSLATED, true), 0);
    CHECK_EQ(c.lo, 0x5003);
    CHECK_EQ(c.hi, 0xffff01);
    CHECK_EQ(vtd_context_entry(&c, 0, 4, 1, VTD_CTX_TT_PASSTHROUGH, false), 0);
    CHECK_EQ(c.lo, 0x9); /* TT 10b at 3:2 */
    CHECK_EQ(c.hi, 0x102);
    CHECK_EQ(vtd_context_entry(&c, 0x5000, 6, 1, VTD_CTX_TT_UNTRANSLATED, false), -1);
    CHECK_EQ(vtd_context_entry(&c, 0x5000, 4, 1, 1, false), -1);
    CHECK_EQ(vtd_context_entry(&c, 0, 4, 1, VTD_CTX_TT_UNTRANSLATED, false), -1);
    CHECK_EQ(c.lo | c.hi, 0);

    CHECK_EQ(vtd_sl_pte(&p, 0x40000000, true, true, true, true), 0);
    CHECK_EQ(p, 0x40000883);
    CHECK_EQ(vtd_sl_pte(&p, 0x3000, true, false, false, false), 0);
    CHECK_EQ(p, 0x3001);
    CHECK_EQ(vtd_sl_pte(&p, 0x40001000, true, true, true, false), -1);
    CHECK_EQ(vtd_sl_pte(&p, 1ull << 52, true, true, false, false), -1);
    CHECK_EQ(p, 0);
}

static void test_invalidation(void)
{
    struct vtd_inv_desc d;

    vtd_inv_context_global(&d);
    CHECK_EQ(d.lo, 0x11);
    CHECK_EQ(d.hi, 0);
    vtd_inv_context_device(&d, 5, 0x0010, 0);
    CHECK_EQ(d.lo, 0x0000001000050031ull);
    vtd_inv_iotlb_domain(&d, 7, true);
    CHECK_EQ(d.lo, 0x700e2);
    vtd_inv_iotlb_domain(&d, 7, false);
    CHECK_EQ(d.lo, 0x70022);
    CHECK_EQ(vtd_inv_iotlb_pages(&d, 7, 0x12345000, 0, true, false), 0);
    CHECK_EQ(d.lo, 0x70032);
    CHECK_EQ(d.hi, 0x12345040);
    CHECK_EQ(vtd_inv_iotlb_pages(&d, 7, 0x12344000, 2, false, false), 0);
    CHECK_EQ(d.hi, 0x12344002);
    CHECK_EQ(vtd_inv_iotlb_pages(&d, 7, 0x12345000, 2, false, false), -1);
    CHECK_EQ(d.lo | d.hi, 0);
    vtd_inv_iec_global(&d);
    CHECK_EQ(d.lo, 0x4);
    CHECK_EQ(vtd_inv_iec_index(&d, 0x20, 4), 0);
    CHECK_EQ(d.lo, 0x0000002020000014ull);
    CHECK_EQ(vtd_inv_iec_index(&d, 0x21, 1), -1);
    CHECK_EQ(vtd_inv_wait(&d, 0x7f000004, 0x1234, false, true), 0);
    CHECK_EQ(d.lo, 0x0000123400000065ull);
    CHECK_EQ(d.hi, 0x7f000004);
    CHECK_EQ(vtd_inv_wait(&d, 0x7f000004, 1, true, false), 0);
    CHECK_EQ(d.lo, 0x0000000100000035ull);
    CHECK_EQ(vtd_inv_wait(&d, 0x7f000002, 1, false, false), -1);
}

static void test_irte(void)
{
    struct vtd_irte e;
    struct vtd_irte_source rid = { .sid = 0x00f8, .sq = 0, .svt = VTD_SVT_RID };

    CHECK_EQ(vtd_irte_remapped(&e, 0x41, 3, false, false, VTD_DLM_FIXED, false, &rid), 0);
    CHECK_EQ(e.lo, 0x0000030000410001ull); /* xAPIC: APIC ID in DST 15:8 */
    CHECK_EQ(e.hi, 0x400f8);
    CHECK_EQ(vtd_irte_remapped(&e, 0x41, 0x12345, true, true, VTD_DLM_LOWEST, true, NULL), 0);
    CHECK_EQ(e.lo, 0x0001234500410035ull); /* EIM: the 32-bit x2APIC ID */
    CHECK_EQ(e.hi, 0);
    CHECK_EQ(vtd_irte_remapped(&e, 0x41, 0x100, false, false, VTD_DLM_FIXED, false, NULL), -1);
    CHECK_EQ(e.lo | e.hi, 0);
    rid.svt = 3;
    CHECK_EQ(vtd_irte_remapped(&e, 0x41, 1, false, false, VTD_DLM_FIXED, false, &rid), -1);

    struct vtd_irte_source dev = { .sid = 0x0100, .sq = 0, .svt = VTD_SVT_RID };
    CHECK_EQ(vtd_irte_posted(&e, 0x55, 0x123456780ull, true, &dev), 0);
    /* IM 15, URG 14, vector 23:16, descriptor 31:6 in 63:38 and 63:32 in hi 63:32 */
    CHECK_EQ(e.lo, 0x234567800055c001ull);
    CHECK_EQ(e.hi, 0x0000000100040100ull);
    CHECK_EQ(vtd_irte_posted(&e, 0x55, 0x123456790ull, false, &dev), -1);
    CHECK_EQ(vtd_irte_posted(&e, 0x55, 0, false, &dev), -1);
}

static void test_faults(void)
{
    struct iommu_fault f;
    char line[200];

    CHECK_EQ(vtd_fault_decode(0x12345000, 0x8000000500000100ull, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_DMA);
    CHECK_EQ(f.bdf, 0x100);
    CHECK_EQ(f.addr, 0x12345000);
    CHECK_EQ(f.flags, IOMMU_FA_HAS_DEVICE | IOMMU_FA_HAS_ADDR | IOMMU_FA_WRITE | IOMMU_FA_PRESENT);
    iommu_fault_format(&f, line, sizeof(line));
    CHECK(strcmp(line, "DMA blocked (write not permitted, code 0x5): device 01:00.0, address "
                       "0x12345000, write (permission)") == 0);

    CHECK_EQ(vtd_fault_decode(0xfff000, 0xc000000400000010ull, &f), 0);
    iommu_fault_format(&f, line, sizeof(line));
    CHECK(strcmp(line, "DMA blocked (address beyond the guest address width, code 0x4): "
                       "device 00:02.0, address 0xfff000, read (not mapped)") == 0);

    CHECK_EQ(vtd_fault_decode(0x0005000000000000ull, 0x80000022000000f8ull, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_INTERRUPT);
    iommu_fault_format(&f, line, sizeof(line));
    CHECK(strcmp(line, "interrupt blocked (IRTE not present, code 0x22): device 00:1f.0, "
                       "IRTE index 5") == 0);

    CHECK_EQ(vtd_fault_decode(0x1000, 0x8000000200000008ull, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_DEVICE_ENTRY);
    CHECK_EQ(vtd_fault_decode(0x1000, 0x8000000700000008ull, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_HARDWARE);

    CHECK_EQ(vtd_fault_decode(0x1000, 0x8123450680000100ull, &f), 0);
    CHECK_EQ(f.pasid, 0x12345);
    CHECK(f.flags & IOMMU_FA_HAS_PASID);

    CHECK_EQ(vtd_fault_decode(0x12345000, 0x0000000500000100ull, &f), -1);
}

int main(void)
{
    test_tables();
    test_invalidation();
    test_irte();
    test_faults();
    return check_report("test_vtd_enc");
}
