/* SPDX-License-Identifier: MIT */
/*
 * iommu/amd/amdvi_enc.c: every expected value below is worked out by hand
 * from #48882 (DTE 2.2.2.1, IRTE 2.2.5.2, I/O PTE 2.2.3, commands 2.4,
 * event log 2.5), not from the encoder.
 */
#include <string.h>

#include "check.h"
#include "iommu/amd/amdvi_hw.h"

static void test_dte(void)
{
    struct amdvi_dte e;
    struct amdvi_dte_cfg c = { .translate = true, .levels = 4, .pt_root = 0x12345000,
                               .domain = 0x42, .read = true, .write = true, .remap_ints = true,
                               .irt = 0x9abc0, .irt_log2 = 9, .pass = 0xc7 };

    CHECK_EQ(amdvi_dte_encode(&c, &e), 0);
    /* V 0, TV 1, Mode 4 at 11:9, root 51:12, IR 61, IW 62 */
    CHECK_EQ(e.q[0], 0x6000000012345803ull);
    CHECK_EQ(e.q[1], 0x42);
    /* IV 128, IntTabLen 9 at 132:129, root 179:134, Init/EInt/NMI pass 184-186,
     * IntCtl 2 at 189:188, Lint0/Lint1 pass 190-191 */
    CHECK_EQ(e.q[2], 0xe70000000009abd3ull);
    CHECK_EQ(e.q[3], 0);

    struct amdvi_dte_cfg blocked = { .translate = true, .domain = 1 };
    CHECK_EQ(amdvi_dte_encode(&blocked, &e), 0);
    CHECK_EQ(e.q[0], 0x3); /* V, TV, mode 0, no IR/IW: every DMA refused */
    CHECK_EQ(e.q[2], 0);
    c.suppress_events = true;
    CHECK_EQ(amdvi_dte_encode(&c, &e), 0);
    CHECK_EQ(e.q[1], 0x200000042ull);

    struct amdvi_dte_cfg bad = c;
    bad.levels = 7;
    CHECK_EQ(amdvi_dte_encode(&bad, &e), -1);
    CHECK_EQ(e.q[0] | e.q[1] | e.q[2] | e.q[3], 0);
    bad = c, bad.pt_root = 0x12345800;
    CHECK_EQ(amdvi_dte_encode(&bad, &e), -1);
    bad = c, bad.pt_root = 1ull << 52;
    CHECK_EQ(amdvi_dte_encode(&bad, &e), -1);
    bad = c, bad.irt = 0x9abc8;
    CHECK_EQ(amdvi_dte_encode(&bad, &e), -1);
    bad = c, bad.irt_log2 = 12;
    CHECK_EQ(amdvi_dte_encode(&bad, &e), -1);
    bad = c, bad.levels = 3, bad.pt_root = 0;
    CHECK_EQ(amdvi_dte_encode(&bad, &e), -1);
}

static void test_commands(void)
{
    struct amdvi_cmd c;

    CHECK_EQ(amdvi_cmd_completion_wait(&c, 0x123456788ull, 0xdeadbeefcafef00dull, false), 0);
    CHECK_EQ(c.d[0], 0x23456789u); /* address 31:3, S */
    CHECK_EQ(c.d[1], 0x10000001u); /* opcode 1, address 51:32 */
    CHECK_EQ(c.d[2], 0xcafef00du);
    CHECK_EQ(c.d[3], 0xdeadbeefu);
    CHECK_EQ(amdvi_cmd_completion_wait(&c, 0x1000, 1, true), 0);
    CHECK_EQ(c.d[0], 0x1003u); /* S and I */
    CHECK_EQ(amdvi_cmd_completion_wait(&c, 0x1004, 1, false), -1);
    CHECK_EQ(c.d[0] | c.d[1] | c.d[2] | c.d[3], 0);
    CHECK_EQ(amdvi_cmd_completion_wait(&c, 1ull << 52, 1, false), -1);
    CHECK_EQ(amdvi_cmd_completion_wait(&c, 0, 1, false), -1);

    amdvi_cmd_inv_devtab_entry(&c, 0x0110);
    CHECK_EQ(c.d[0], 0x110);
    CHECK_EQ(c.d[1], 0x20000000u);
    CHECK_EQ(c.d[2] | c.d[3], 0);

    CHECK_EQ(amdvi_cmd_inv_iommu_pages(&c, 5, 0, true), 0);
    CHECK_EQ(c.d[0], 0);
    CHECK_EQ(c.d[1], 0x30000005u);
    CHECK_EQ(c.d[2], 0xfffff003u); /* S, PDE, address 31:12 all ones */
    CHECK_EQ(c.d[3], 0x7fffffffu);
    CHECK_EQ(amdvi_cmd_inv_iommu_pages(&c, 7, 0x123456000ull, false), 0);
    CHECK_EQ(c.d[1], 0x30000007u);
    CHECK_EQ(c.d[2], 0x23456000u);
    CHECK_EQ(c.d[3], 1);
    CHECK_EQ(amdvi_cmd_inv_iommu_pages(&c, 7, 0x123456800ull, false), -1);

    amdvi_cmd_inv_interrupt_table(&c, 0x00a0);
    CHECK_EQ(c.d[0], 0xa0);
    CHECK_EQ(c.d[1], 0x50000000u);
}

static void test_irte(void)
{
    struct amdvi_irte e;

    CHECK_EQ(amdvi_irte_remapped(&e, 0x31, 0x05, false, AMDVI_INT_FIXED, false), 0);
    CHECK_EQ(e.lo, 0x501);
    CHECK_EQ(e.hi, 0x31);
    /* Arbitrated (1) at 4:2, DM 6, Destination[23:0] at 31:8, [31:24] at 127:120. */
    CHECK_EQ(amdvi_irte_remapped(&e, 0x40, 0x01234567, true, AMDVI_INT_ARBITRATED, true), 0);
    CHECK_EQ(e.lo, 0x23456745ull);
    CHECK_EQ(e.hi, 0x0100000000000040ull);
    CHECK_EQ(amdvi_irte_remapped(&e, 0x40, 0x100, false, AMDVI_INT_FIXED, false), -1);
    CHECK_EQ(e.lo | e.hi, 0);
    CHECK_EQ(amdvi_irte_remapped(&e, 0x40, 1, false, 8, false), -1);

    /* GuestMode 7, IsRun 6, Destination 31:8, GATag 63:32; vector 71:64,
     * the backing page 115:76. */
    CHECK_EQ(amdvi_irte_guest(&e, 0x76543000, 0x80, 0x03, true, 0xabcd0001u, false), 0);
    CHECK_EQ(e.lo, 0xabcd0001000003c1ull);
    CHECK_EQ(e.hi, 0x76543080ull);
    CHECK_EQ(amdvi_irte_guest(&e, 0x76543000, 0x80, 0x01020304, false, 0xabcd0001u, true), 0);
    CHECK_EQ(e.lo, 0xabcd000102030485ull); /* GALogIntr 2, no IsRun */
    CHECK_EQ(e.hi, 0x0100000076543080ull);
    /* Placement moves: only IsRun and Destination change. */
    CHECK_EQ(amdvi_irte_guest(&e, 0x76543000, 0x80, 0x03, true, 0xabcd0001u, false), 0);
    CHECK_EQ(amdvi_irte_ga_place(&e, 0x07, false), 0);
    CHECK_EQ(e.lo, 0xabcd000100000781ull);
    CHECK_EQ(e.hi, 0x76543080ull);
    CHECK_EQ(amdvi_irte_ga_place(&e, 0x02000005, true), 1); /* Destination[31:24] moves */
    CHECK_EQ(e.lo, 0xabcd0001000005c1ull);
    CHECK_EQ(e.hi, 0x0200000076543080ull);
    CHECK_EQ(amdvi_irte_ga_place(&e, 0x02000006, true), 0);
    CHECK_EQ(e.lo, 0xabcd0001000006c1ull);
    struct amdvi_irte rm;
    amdvi_irte_remapped(&rm, 0x31, 5, false, AMDVI_INT_FIXED, false);
    CHECK_EQ(amdvi_irte_ga_place(&rm, 7, true), -1);
    CHECK_EQ(rm.lo, 0x501);
    CHECK_EQ(amdvi_irte_guest(&e, 0x76543800, 0x80, 1, true, 0, false), -1);
    CHECK_EQ(amdvi_irte_guest(&e, 0, 0x80, 1, true, 0, false), -1);
}

static void test_pte(void)
{
    uint64_t p;

    CHECK_EQ(amdvi_pte(&p, 0x40000000, 0, true, true), 0);
    CHECK_EQ(p, 0x6000000040000001ull);
    CHECK_EQ(amdvi_pte(&p, 0x5000, 3, true, false), 0);
    CHECK_EQ(p, 0x2000000000005601ull);
    CHECK_EQ(amdvi_pte(&p, 0x5800, 3, true, false), -1);
    CHECK_EQ(p, 0);
    CHECK_EQ(amdvi_pte(&p, 0x5000, 8, true, false), -1);
}

static void test_events(void)
{
    struct iommu_fault f;
    char line[200];
    struct amdvi_event pf = { { 0x0100, 0x20300005u, 0x2000, 1 } };

    CHECK_EQ(amdvi_event_decode(&pf, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_DMA);
    CHECK_EQ(f.bdf, 0x100);
    CHECK_EQ(f.domain, 5);
    CHECK_EQ(f.addr, 0x100002000ull);
    CHECK_EQ(f.flags, IOMMU_FA_HAS_ADDR | IOMMU_FA_HAS_DEVICE | IOMMU_FA_HAS_DOMAIN |
                          IOMMU_FA_WRITE | IOMMU_FA_PRESENT);
    iommu_fault_format(&f, line, sizeof(line));
    CHECK(strcmp(line, "DMA blocked (IO_PAGE_FAULT, code 0x2): device 01:00.0, address "
                       "0x100002000, write (permission), domain 5") == 0);

    struct amdvi_event rd = { { 0x00f8, 0x20000003u, 0x7000, 0 } };
    CHECK_EQ(amdvi_event_decode(&rd, &f), 0);
    iommu_fault_format(&f, line, sizeof(line));
    CHECK(strcmp(line, "DMA blocked (IO_PAGE_FAULT, code 0x2): device 00:1f.0, address 0x7000, "
                       "read (not mapped), domain 3") == 0);

    struct amdvi_event irq = { { 0x0100, 0x20080005u, 0xfee00000u, 0 } };
    CHECK_EQ(amdvi_event_decode(&irq, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_INTERRUPT);

    struct amdvi_event gn = { { 0x30100, 0x20011234u, 0, 0 } };
    CHECK_EQ(amdvi_event_decode(&gn, &f), 0);
    CHECK_EQ(f.pasid, 0x31234);
    CHECK_EQ(f.bdf, 0x100);
    CHECK(!(f.flags & IOMMU_FA_HAS_DOMAIN) && (f.flags & IOMMU_FA_HAS_PASID));

    struct amdvi_event cmd = { { 0, 0x50000000u, 0x70000010u, 0 } };
    CHECK_EQ(amdvi_event_decode(&cmd, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_COMMAND);
    iommu_fault_format(&f, line, sizeof(line));
    CHECK(strcmp(line, "command refused (ILLEGAL_COMMAND_ERROR, code 0x5), address 0x70000010") == 0);

    struct amdvi_event dte = { { 0x0208, 0x10000000u, 0x1000, 0 } };
    CHECK_EQ(amdvi_event_decode(&dte, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_DEVICE_ENTRY);
    CHECK_EQ(f.bdf, 0x208);

    struct amdvi_event unk = { { 1, 0xf0000000u, 0, 0 } };
    CHECK_EQ(amdvi_event_decode(&unk, &f), 0);
    CHECK_EQ(f.kind, IOMMU_FAULT_OTHER);
    CHECK(strcmp(f.name, "unknown event code") == 0);

    struct amdvi_event zero = { { 0, 0, 0, 0 } };
    CHECK_EQ(amdvi_event_decode(&zero, &f), -1);

    /* A report cut by a small buffer stays a terminated string. */
    amdvi_event_decode(&pf, &f);
    CHECK_EQ(iommu_fault_format(&f, line, 10), 9);
    CHECK_EQ(strlen(line), 9);
}

int main(void)
{
    test_dte();
    test_commands();
    test_irte();
    test_pte();
    test_events();
    return check_report("test_amdvi_enc");
}
