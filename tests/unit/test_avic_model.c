/* SPDX-License-Identifier: MIT */
/*
 * Self-test of the AVIC hardware model (tests/model/avic_hw*.c).  The VMCBs,
 * backing pages and APIC ID tables are built by hand (test_avic_model_world.h)
 * with the test's own constants, taken from the AMD64 APM vol. 2 (appendix B
 * table B-1; the AVIC section's table formats and exit encodings;
 * appendix C), not from the model's headers: a layout the model misreads
 * shows as a failure.
 * Each expected value is worked out from the manual's rules in the comment
 * next to it.
 */
#include <pthread.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "tests/model/avic_hw.h"
#include "test_avic_model_world.h"

/* ---- VMRUN ---- */

static void expect_invalid(unsigned v, const char *what)
{
    int rc = run(v);

    CHECK_EQ(rc, -1);
    CHECK_EQ(vget(v, V_EXITCODE), EXIT_INVALID);
    CHECK(!avic_hw_in_guest(hw, v));
    if (rc != -1)
        fprintf(stderr, "  (VMRUN should fail: %s)\n", what);
    if (rc == 0)
        avic_hw_vmexit(hw, v);
}

static void test_vmrun_checks(void)
{
    world(false, 1, 7, &f_avic);
    CHECK_EQ(run(0), 0);
    CHECK(avic_hw_in_guest(hw, 0));
    CHECK_EQ(run(0), -2);                          /* already in guest mode */
    avic_hw_vmexit(hw, 0);
    CHECK_EQ(avic_hw_vmrun(hw, 0, PG_VMCB(0) + 8), -2); /* unaligned VMCB: #GP */
    CHECK_EQ(avic_hw_vmrun(hw, 0, 0x1000), -2);    /* VMCB not in memory */
    CHECK_EQ(avic_hw_vmrun(hw, 9, PG_VMCB(0)), -2); /* no such pCPU */

    vset(0, V_VINTR, X2AVIC_EN);                   /* x2AVIC needs AVIC enable */
    expect_invalid(0, "x2AVIC without AVIC");
    vset(0, V_VINTR, AVIC_EN | X2AVIC_EN);         /* the CPU has no x2AVIC */
    expect_invalid(0, "x2AVIC not supported");
    vset(0, V_VINTR, AVIC_EN);
    vset(0, V_BACKING, PG_BACKING(0) | 0x1);       /* low bits reserved */
    expect_invalid(0, "backing page low bits");
    vset(0, V_BACKING, PG_BACKING(0) | (1ull << 60)); /* above bit 51 */
    expect_invalid(0, "backing page high bits");
    vset(0, V_BACKING, 0x7000);                    /* no memory there */
    expect_invalid(0, "backing page not in memory");
    vset(0, V_BACKING, PG_BACKING(0));
    vset(0, V_LOGICAL, 0x7000);
    expect_invalid(0, "logical table not in memory");
    vset(0, V_LOGICAL, PG_LOGICAL);
    vset(0, V_PHYSICAL, PG_PHYSICAL | 0x100);      /* index 256 > 255 in xAPIC mode */
    expect_invalid(0, "max index");
    vset(0, V_PHYSICAL, (PG(MEM_PAGES - 1)) | 0xff); /* 256 entries (2 KiB) in the last page */
    CHECK_EQ(run(0), 0);
    avic_hw_vmexit(hw, 0);
    vset(0, V_PHYSICAL, 0x7000 | 7);
    expect_invalid(0, "physical table not in memory");
    vset(0, V_PHYSICAL, PG_PHYSICAL | 7 | (1ull << 55));
    expect_invalid(0, "physical table high bits");
    vset(0, V_PHYSICAL, PG_PHYSICAL | 7);
    vset(0, V_APIC_BAR, 1ull << 52);
    expect_invalid(0, "APIC BAR high bits");
    vset(0, V_APIC_BAR, 0xfee00000ull);
    CHECK_EQ(run(0), 0);
    avic_hw_vmexit(hw, 0);
    /* 13 VMRUNs executed (the -2 calls never ran one): 10 failed with
     * VMEXIT_INVALID, 3 ran and left through avic_hw_vmexit. */
    CHECK_EQ(stats(0).vmruns, 13);
    CHECK_EQ(stats(0).vmexits, 13);

    world(false, 1, 7, &(struct avic_hw_features){ 0 });
    expect_invalid(0, "AVIC not supported");
}

static void test_vmrun_x2_limits(void)
{
    world(true, 1, 511, &f_x2);
    vset(0, V_LOGICAL, 0x7000);                    /* x2AVIC does not read it */
    CHECK_EQ(run(0), 0);
    avic_hw_vmexit(hw, 0);
    vset(0, V_PHYSICAL, PG_PHYSICAL | 512);        /* 512 > 511 without the extension */
    expect_invalid(0, "x2AVIC max index");
    world(true, 1, 4095, &f_x2_4k);                /* 4096 entries = 32 KiB, pages 17..24 */
    CHECK_EQ(run(0), 0);
    avic_hw_vmexit(hw, 0);
    world(true, 1, 4095, &f_x2_4k);
    vset(0, V_PHYSICAL, PG(MEM_PAGES - 2) | 4095); /* 32 KiB from page 62 runs out */
    expect_invalid(0, "physical table past memory");
    /* The AVIC enable bit clear: no AVIC, nothing checked. */
    world(false, 1, 7, &f_avic);
    vset(0, V_VINTR, 0);
    vset(0, V_BACKING, 0x7000);
    CHECK_EQ(run(0), 0);
    CHECK_EQ(avic_hw_doorbell(hw, 1, host_ids[0]), 0); /* arrives, nothing to re-read */
    CHECK_EQ(stats(0).doorbells_in_guest, 1);
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), -1);
    CHECK(avic_hw_mmio_read(hw, 0, 0x20, NULL).bad_call); /* AVIC off: not the model's */
    avic_hw_vmexit(hw, 0);
}

/* ---- xAPIC MMIO: accelerated, trap, fault ---- */

static void test_xapic_reads(void)
{
    /* (PPR, 0A0h, is the hardware's: read in test_tpr_ppr.) */
    static const uint32_t accel[] = { 0x020, 0x030, 0x080, 0x0d0, 0x0e0, 0x0f0, 0x100,
                                      0x170, 0x180, 0x200, 0x270, 0x280, 0x300, 0x310, 0x320,
                                      0x370, 0x380, 0x3e0 };
    static const uint32_t fault[] = { 0x000, 0x040, 0x0b0, 0x390, 0x3f0, 0x420, 0x600, 0xff0,
                                      0x024, 0x082 };
    struct avic_hw_result r;
    uint32_t val;

    world(false, 1, 7, &f_avic);
    for (unsigned i = 0; i < sizeof(accel) / sizeof(accel[0]); i++) {
        bset(0, accel[i], 0xa5000000u | accel[i]);
        CHECK_EQ(run(0), 0);
        val = 0;
        r = avic_hw_mmio_read(hw, 0, accel[i], &val);
        check_done(r);
        CHECK_EQ(val, 0xa5000000u | accel[i]);
        avic_hw_vmexit(hw, 0);
    }
    /* A fault: #VMEXIT(AVIC_NOACCEL) before the access, EXITINFO1 = the
     * register offset (bits 11:4), write bit clear. */
    for (unsigned i = 0; i < sizeof(fault) / sizeof(fault[0]); i++) {
        CHECK_EQ(run(0), 0);
        r = avic_hw_mmio_read(hw, 0, fault[i], &val);
        check_exit(0, r, EXIT_NOACCEL, fault[i] & 0xff0u, 0);
        CHECK(!r.completed);
    }
    r = avic_hw_mmio_read(hw, 0, 0x20, &val);     /* not in guest mode */
    CHECK(r.bad_call && !r.exited);
    CHECK_EQ(run(0), 0);
    r = avic_hw_mmio_read(hw, 0, 0x1000, &val);   /* past the page */
    CHECK(r.bad_call && !r.exited);
    avic_hw_vmexit(hw, 0);
}

static void test_xapic_writes(void)
{
    /* Trap: the value lands in the backing page, then AVIC_NOACCEL with
     * the write bit; the instruction has completed. */
    static const uint32_t trap[] = { 0x020, 0x0d0, 0x0e0, 0x0f0, 0x280, 0x320, 0x330, 0x340,
                                     0x350, 0x360, 0x370, 0x380, 0x3e0 };
    /* Fault: nothing written. */
    static const uint32_t fault[] = { 0x030, 0x0a0, 0x100, 0x180, 0x200, 0x390, 0x040, 0x3f0,
                                      0x304 };
    struct avic_hw_result r;

    world(false, 1, 7, &f_avic);
    for (unsigned i = 0; i < sizeof(trap) / sizeof(trap[0]); i++) {
        CHECK_EQ(run(0), 0);
        r = wr(0, trap[i], 0x00010000u | trap[i]);
        check_exit(0, r, EXIT_NOACCEL, trap[i] | NOACCEL_WRITE, 0);
        CHECK(r.completed);
        CHECK_EQ(bget(0, trap[i]), 0x00010000u | trap[i]);
    }
    for (unsigned i = 0; i < sizeof(fault) / sizeof(fault[0]); i++) {
        uint32_t reg = fault[i] & 0xff0u;
        CHECK_EQ(run(0), 0);
        bset(0, reg, 0x1234u);
        r = wr(0, fault[i], 0xdead0000u);
        check_exit(0, r, EXIT_NOACCEL, reg | NOACCEL_WRITE, 0);
        CHECK(!r.completed);
        CHECK_EQ(bget(0, reg), 0x1234u);
    }
    /* ICR high: accelerated, stored. */
    CHECK_EQ(run(0), 0);
    check_done(wr(0, 0x310, 0x03000000u));
    CHECK_EQ(bget(0, 0x310), 0x03000000u);
    avic_hw_vmexit(hw, 0);
}

/* ---- TPR, PPR, interrupt delivery, EOI ---- */

static void test_tpr_ppr(void)
{
    world(false, 1, 7, &f_avic);
    CHECK_EQ(run(0), 0);
    check_done(wr(0, 0x080, 0x55));
    CHECK_EQ(bget(0, 0x080), 0x55);
    CHECK_EQ(bget(0, 0x0a0), 0x55);                /* PPR = TPR, nothing in service */
    avic_hw_vmexit(hw, 0);

    vec_set(0, 0x100, 0x81);                       /* 81h in service */
    CHECK_EQ(run(0), 0);
    check_done(wr(0, 0x080, 0x55));
    CHECK_EQ(bget(0, 0x0a0), 0x80);                /* ISR class 8 beats TPR class 5 */
    check_done(wr(0, 0x080, 0x95));
    CHECK_EQ(bget(0, 0x0a0), 0x95);                /* TPR class 9 beats it */
    check_done(wr(0, 0x080, 0x85));
    CHECK_EQ(bget(0, 0x0a0), 0x85);                /* equal classes: TPR */
    uint32_t ppr = 0;
    check_done(avic_hw_mmio_read(hw, 0, 0x0a0, &ppr)); /* PPR reads are accelerated */
    CHECK_EQ(ppr, 0x85);
    avic_hw_vmexit(hw, 0);
}

static void test_delivery(void)
{
    world(false, 1, 7, &f_avic);
    vec_set(0, 0x200, 0x71);
    vec_set(0, 0x200, 0x35);
    bset(0, 0x080, 0x70);
    CHECK_EQ(run(0), 0);
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), -1);   /* class 7 not above PPR class 7 */
    check_done(wr(0, 0x080, 0x60));
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), 0x71);
    CHECK(!irr(0, 0x71) && isr(0, 0x71));
    CHECK_EQ(bget(0, 0x0a0), 0x70);                /* PPR follows the new ISR */
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), -1);   /* 35h below PPR */
    check_done(wr(0, 0x0b0, 0));                   /* EOI 71h */
    CHECK(!isr(0, 0x71));
    CHECK_EQ(bget(0, 0x0a0), 0x60);
    check_done(wr(0, 0x080, 0));
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), 0x35);
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), -1);
    avic_hw_vmexit(hw, 0);
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), -1);   /* host mode: a bad call */
}

static void test_eoi(void)
{
    struct avic_hw_result r;

    world(false, 1, 7, &f_avic);
    vec_set(0, 0x100, 0x40);
    vec_set(0, 0x100, 0x81);
    CHECK_EQ(run(0), 0);
    check_done(wr(0, 0x0b0, 0));                   /* the highest, 81h, goes */
    CHECK(!isr(0, 0x81) && isr(0, 0x40));
    CHECK_EQ(bget(0, 0x0a0), 0x40);
    check_done(wr(0, 0x0b0, 0));
    CHECK(!isr(0, 0x40));
    CHECK_EQ(bget(0, 0x0a0), 0);
    check_done(wr(0, 0x0b0, 0));                   /* nothing in service: nothing */
    avic_hw_vmexit(hw, 0);

    /* Level-triggered (TMR set): the VMM must see it: trap with the
     * vector in EXITINFO2, ISR left for the VMM's EOI. */
    vec_set(0, 0x100, 0x40);
    vec_set(0, 0x100, 0x92);
    vec_set(0, 0x180, 0x92);
    CHECK_EQ(run(0), 0);
    r = wr(0, 0x0b0, 0);
    check_exit(0, r, EXIT_NOACCEL, 0x0b0 | NOACCEL_WRITE, 0x92);
    CHECK(r.completed);
    CHECK(isr(0, 0x92) && isr(0, 0x40));
}

/* ---- IPIs ---- */

/* Four vCPUs on pCPUs 0..3, all running. */
static void world4(bool x2, const struct avic_hw_features *f)
{
    world(x2, 4, 7, f);
    for (unsigned v = 0; v < 4; v++)
        CHECK_EQ(run(v), 0);
}

static void leave_all(void)
{
    for (unsigned v = 0; v < NPCPU; v++) {
        if (avic_hw_in_guest(hw, v))
            avic_hw_vmexit(hw, v);
    }
}

static void test_self_ipi(void)
{
    world4(false, &f_avic);
    check_done(send(0, 0, ICR_SELF | 0x50));       /* shorthand self */
    CHECK(irr(0, 0x50));
    CHECK_EQ(bget(0, 0x300), ICR_SELF | 0x50);
    check_done(send(0, 0, 0x51));                  /* physical destination = own ID 0 */
    CHECK(irr(0, 0x51));
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), 0x51);
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), -1);   /* 50h is below PPR 50h's class */
    check_done(wr(0, 0x0b0, 0));
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), 0x50);
    for (unsigned p = 0; p < NPCPU; p++)
        CHECK_EQ(stats(p).doorbells_in_guest + stats(p).doorbells_in_host, 0); /* no doorbell */
    leave_all();
}

static void test_physical_ipi(void)
{
    struct avic_hw_result r;

    world4(false, &f_avic);
    check_done(send(0, 1, 0x61));                  /* vCPU 1 running on pCPU 1 */
    CHECK(irr(1, 0x61));
    CHECK_EQ(stats(1).doorbells_in_guest, 1);
    CHECK_EQ(avic_hw_take_interrupt(hw, 1), 0x61);
    /* vCPU 2 not running: IRR set all the same, then AVIC_INCOMPLETE_IPI
     * "target not running" with its physical ID; EXITINFO1 = ICR. */
    avic_hw_vmexit(hw, 2);
    pt_set(2, pt_entry(2, 2, false));
    r = send(0, 2, 0x62);
    check_exit(0, r, EXIT_INCOMPLETE_IPI, (2ull << 56) | 0x62, CAUSE(C_NOT_RUNNING) | 2);
    CHECK(r.completed);
    CHECK(irr(2, 0x62));
    CHECK_EQ(stats(2).doorbells_in_guest + stats(2).doorbells_in_host, 0);
    /* The VMM runs vCPU 2 again: VMRUN finds the vector. */
    pt_set(2, pt_entry(2, 2, true));
    CHECK_EQ(run(2), 0);
    CHECK_EQ(avic_hw_take_interrupt(hw, 2), 0x62);
    /* IsRunning set but the pCPU named is in host mode (the VMM's entry is
     * stale): the doorbell lands in host mode. */
    CHECK_EQ(run(0), 0);
    avic_hw_vmexit(hw, 3);
    check_done(send(0, 3, 0x63));
    CHECK_EQ(stats(3).doorbells_in_host, 1);
    CHECK(irr(3, 0x63));
    /* A host ID nobody has: the doorbell is lost, and counted. */
    pt_set(3, (pt_entry(3, 3, true) & ~0xffull) | 0x7e);
    check_done(send(0, 3, 0x64));
    CHECK_EQ(stats(0).doorbells_unrouted, 1);
    leave_all();
}

static void test_doorbell(void)
{
    world4(false, &f_avic);
    /* Someone sets an IRR bit without a doorbell: the running pCPU does
     * not see it... */
    vec_set(1, 0x200, 0x70);
    CHECK_EQ(avic_hw_take_interrupt(hw, 1), -1);
    /* ...until a doorbell (from pCPU 3, in host mode) reaches it. */
    avic_hw_vmexit(hw, 3);
    CHECK_EQ(avic_hw_doorbell(hw, 3, host_ids[1]), 0);
    CHECK_EQ(stats(1).doorbells_in_guest, 1);
    CHECK_EQ(avic_hw_take_interrupt(hw, 1), 0x70);
    /* A doorbell to a pCPU in host mode: counted, nothing else. */
    CHECK_EQ(avic_hw_doorbell(hw, 3, host_ids[3]), 0);
    CHECK_EQ(stats(3).doorbells_in_host, 1);
    /* #GP cases: reserved bits, no such APIC ID, and a pCPU in guest mode
     * cannot execute the hypervisor's WRMSR. */
    CHECK_EQ(avic_hw_doorbell(hw, 3, 0x100 | host_ids[1]), -1);
    CHECK_EQ(avic_hw_doorbell(hw, 3, 0x55), -1);
    CHECK_EQ(avic_hw_doorbell(hw, 0, host_ids[1]), -1);
    CHECK_EQ(stats(1).doorbells_in_guest, 1);
    /* A VMRUN notices what was set while the pCPU was out. */
    avic_hw_vmexit(hw, 2);
    vec_set(2, 0x200, 0x90);
    CHECK_EQ(run(2), 0);
    CHECK_EQ(avic_hw_take_interrupt(hw, 2), 0x90);
    leave_all();
}

static void test_logical_flat(void)
{
    world4(false, &f_avic);
    /* Flat (DFR 1111b): MDA bit i selects logical table entry i. */
    check_done(send(0, 0x06, ICR_LOGICAL | 0x41));
    CHECK(irr(1, 0x41) && irr(2, 0x41) && !irr(0, 0x41) && !irr(3, 0x41));
    CHECK_EQ(stats(1).doorbells_in_guest, 1);
    CHECK_EQ(stats(2).doorbells_in_guest, 1);
    /* The entry names the guest physical ID, which the physical table
     * turns into a backing page: entry 3 pointing at vCPU 0. */
    lt_set(3, LE_VALID | 0);
    check_done(send(1, 0x08, ICR_LOGICAL | 0x42));
    CHECK(irr(0, 0x42) && !irr(3, 0x42));
    /* Broadcast MDA FFh: every valid entry (4..7 are not), self included. */
    lt_set(3, LE_VALID | 3);
    check_done(send(0, 0xff, ICR_LOGICAL | 0x43));
    for (unsigned v = 0; v < 4; v++)
        CHECK(irr(v, 0x43));
    leave_all();
}

static void test_logical_cluster(void)
{
    world(false, 4, 7, &f_avic);
    /* Cluster model (DFR 0000b) from the sender's DFR; logical table index
     * = cluster * 4 + bit: vCPU 1 = cluster 0 bit 1, vCPU 2 = cluster 1
     * bit 0 (index 4), vCPU 3 = cluster 2 bit 3 (index 11). */
    for (unsigned v = 0; v < 4; v++)
        bset(v, 0x0e0, 0x0fffffffu);
    lt_set(1, LE_VALID | 1);
    lt_set(2, 0);
    lt_set(3, 0);
    lt_set(4, LE_VALID | 2);
    lt_set(11, LE_VALID | 3);
    for (unsigned v = 0; v < 4; v++)
        CHECK_EQ(run(v), 0);
    check_done(send(0, 0x11, ICR_LOGICAL | 0x44)); /* cluster 1, bit 0 */
    CHECK(irr(2, 0x44) && !irr(1, 0x44));
    check_done(send(0, 0x28, ICR_LOGICAL | 0x45)); /* cluster 2, bit 3 */
    CHECK(irr(3, 0x45));
    /* Cluster 15 with bit 0: member 0 of every cluster: entries 0 and 4
     * (vCPUs 0 and 2); invalid ones skipped. */
    check_done(send(1, 0xf1, ICR_LOGICAL | 0x46));
    CHECK(irr(0, 0x46) && irr(2, 0x46) && !irr(1, 0x46) && !irr(3, 0x46));
    /* The same MDA in the flat model would be entries 0 and 4..7. */
    leave_all();
}

static void test_broadcast(void)
{
    world4(false, &f_avic);
    pt_set(5, 0);                                  /* a hole: skipped */
    check_done(send(1, 0xff, 0x47));               /* physical broadcast, self included */
    for (unsigned v = 0; v < 4; v++)
        CHECK(irr(v, 0x47));
    check_done(send(1, 0, ICR_ALL_EXCL | 0x48));
    CHECK(!irr(1, 0x48) && irr(0, 0x48) && irr(2, 0x48) && irr(3, 0x48));
    check_done(send(1, 0, ICR_ALL_INCL | 0x49));
    for (unsigned v = 0; v < 4; v++)
        CHECK(irr(v, 0x49));
    /* 3 other vCPUs x 3 IPIs: one doorbell each. */
    CHECK_EQ(stats(0).doorbells_in_guest, 3);
    CHECK_EQ(stats(1).doorbells_in_guest, 0);
    /* A target not running inside a broadcast: the others get it, then
     * the exit names it. */
    avic_hw_vmexit(hw, 3);
    pt_set(3, pt_entry(3, 3, false));
    struct avic_hw_result r = send(1, 0, ICR_ALL_EXCL | 0x4a);
    check_exit(1, r, EXIT_INCOMPLETE_IPI, ICR_ALL_EXCL | 0x4a, CAUSE(C_NOT_RUNNING) | 3);
    CHECK(irr(0, 0x4a) && irr(2, 0x4a) && irr(3, 0x4a) && !irr(1, 0x4a));
    leave_all();
}

/* ---- AVIC_INCOMPLETE_IPI causes ---- */

static void expect_ipi_exit(unsigned v, uint32_t dest, uint32_t lo, uint64_t info2)
{
    struct avic_hw_result r = send(v, dest, lo);

    check_exit(v, r, EXIT_INCOMPLETE_IPI, ((uint64_t)dest << 56) | lo, info2);
    CHECK(r.completed);
    CHECK_EQ(bget(v, 0x300), lo);                  /* the ICR write itself happened */
    CHECK_EQ(run(v), 0);
}

static void test_ipi_causes(void)
{
    world4(false, &f_avic);
    /* Only fixed edge IPIs are the hardware's. */
    expect_ipi_exit(0, 1, ICR_DM_NMI | ICR_ASSERT, CAUSE(C_INT_TYPE));
    expect_ipi_exit(0, 1, ICR_LEVEL_TRIG | ICR_ASSERT | 0x50, CAUSE(C_INT_TYPE));
    expect_ipi_exit(0, 1, ICR_DM_LOWEST | 0x50, CAUSE(C_INT_TYPE));
    expect_ipi_exit(0, 1, (5u << 8) | ICR_ASSERT, CAUSE(C_INT_TYPE));     /* INIT */
    expect_ipi_exit(0, 1, (6u << 8) | 0x9a, CAUSE(C_INT_TYPE));          /* SIPI */
    CHECK(!irr(1, 0x50));
    /* Vectors 0..15 are illegal. */
    expect_ipi_exit(0, 1, 0x0f, CAUSE(C_BAD_VECTOR));
    CHECK(!irr(1, 0x0f));
    /* Destination above the max index (7), and an invalid entry. */
    expect_ipi_exit(0, 9, 0x51, CAUSE(C_BAD_TARGET) | 9);
    pt_set(5, 0);
    expect_ipi_exit(0, 5, 0x51, CAUSE(C_BAD_TARGET) | 5);
    /* Logical: an invalid logical entry (index 6 for MDA bit 6 in flat),
     * then a valid one pointing at an invalid physical entry. */
    lt_set(6, 0);
    expect_ipi_exit(0, 0x40, ICR_LOGICAL | 0x52, CAUSE(C_BAD_TARGET) | 6);
    lt_set(6, LE_VALID | 5);
    expect_ipi_exit(0, 0x40, ICR_LOGICAL | 0x52, CAUSE(C_BAD_TARGET) | 5);
    /* Flat multicast with one bad member: the good one still gets it. */
    lt_set(6, 0);
    expect_ipi_exit(0, 0x42, ICR_LOGICAL | 0x53, CAUSE(C_BAD_TARGET) | 6);
    CHECK(irr(1, 0x53));
    /* A backing page pointer with no memory behind it. */
    pt_set(4, PE_VALID | PE_RUNNING | 0x7000 | host_ids[3]);
    expect_ipi_exit(0, 4, 0x54, CAUSE(C_BAD_BACKING) | 4);
    /* An error wins over "not running" in the same IPI. */
    avic_hw_vmexit(hw, 2);
    pt_set(2, pt_entry(2, 2, false));
    lt_set(4, LE_VALID | 4);
    expect_ipi_exit(0, 0x14, ICR_LOGICAL | 0x55, CAUSE(C_BAD_BACKING) | 4);
    CHECK(irr(2, 0x55));
    leave_all();
}

/* ---- x2AVIC ---- */

/* MSRPM: MSR m (0..1FFFh) read intercept at bit 2m, write at bit 2m+1. */
static void msrpm_set(uint32_t msr, bool write)
{
    uint32_t bit = msr * 2 + (write ? 1 : 0);

    ptr(PG_MSRPM)[bit / 8] |= (uint8_t)(1u << (bit % 8));
}

static void world_x2(void)
{
    world(true, 4, 7, &f_x2);
    for (unsigned v = 0; v < 4; v++) {
        vset(v, V_MISC1, MSR_PROT);
        vset(v, V_MSRPM, PG_MSRPM);
        CHECK_EQ(run(v), 0);
    }
}

static void test_x2_msrpm(void)
{
    struct avic_hw_result r;
    uint64_t val = 0;

    world_x2();
    r = avic_hw_rdmsr(hw, 0, 0x802, &val);         /* ID: accelerated */
    check_done(r);
    CHECK_EQ(val, 0);
    r = avic_hw_rdmsr(hw, 1, 0x80d, &val);         /* LDR */
    check_done(r);
    CHECK_EQ(val, 2);
    msrpm_set(0x802, false);
    r = avic_hw_rdmsr(hw, 0, 0x802, &val);         /* now intercepted */
    check_exit(0, r, EXIT_MSR, 0, 0);
    CHECK_EQ(run(0), 0);
    msrpm_set(0x808, true);
    r = avic_hw_wrmsr(hw, 0, 0x808, 0x20);         /* TPR write intercepted */
    check_exit(0, r, EXIT_MSR, 1, 0);
    CHECK_EQ(bget(0, 0x080), 0);
    CHECK_EQ(run(0), 0);
    check_done(avic_hw_rdmsr(hw, 0, 0x808, &val)); /* its read is not */
    /* Outside the three MSRPM ranges: always intercepted. */
    r = avic_hw_rdmsr(hw, 0, 0x40000000u, &val);
    check_exit(0, r, EXIT_MSR, 0, 0);
    CHECK_EQ(run(0), 0);
    /* In a range, not intercepted, not x2APIC: the real MSR. */
    r = avic_hw_rdmsr(hw, 0, 0xc0000080u, &val);
    CHECK(r.passthrough && !r.exited);
    /* MSR_PROT clear: nothing intercepted, even with the bit set. */
    avic_hw_vmexit(hw, 0);
    vset(0, V_MISC1, 0);
    CHECK_EQ(run(0), 0);
    check_done(avic_hw_wrmsr(hw, 0, 0x808, 0x20));
    CHECK_EQ(bget(0, 0x080), 0x20);
    /* A map outside memory reads as all-ones: everything intercepted. */
    avic_hw_vmexit(hw, 0);
    vset(0, V_MISC1, MSR_PROT);
    vset(0, V_MSRPM, 0x7000);
    CHECK_EQ(run(0), 0);
    r = avic_hw_rdmsr(hw, 0, 0x80d, &val);
    check_exit(0, r, EXIT_MSR, 0, 0);
    leave_all();
}

static void test_x2_access(void)
{
    struct avic_hw_result r;
    uint64_t val = 0;

    world_x2();
    /* TPR: accelerated, PPR follows; reserved bits #GP in the guest. */
    check_done(avic_hw_wrmsr(hw, 0, 0x808, 0x30));
    CHECK_EQ(bget(0, 0x0a0), 0x30);
    r = avic_hw_wrmsr(hw, 0, 0x808, 0x130);
    CHECK(r.gp && !r.exited && !r.completed);
    CHECK_EQ(bget(0, 0x080), 0x30);
    /* EOI: a non-zero value #GPs, zero is accelerated. */
    vec_set(0, 0x100, 0x60);
    CHECK(avic_hw_wrmsr(hw, 0, 0x80b, 1).gp);
    CHECK(isr(0, 0x60));
    check_done(avic_hw_wrmsr(hw, 0, 0x80b, 0));
    CHECK(!isr(0, 0x60));
    /* Read-only ID and LDR, and writes to non-registers: fault. */
    r = avic_hw_wrmsr(hw, 0, 0x802, 5);
    check_exit(0, r, EXIT_NOACCEL, 0x020 | NOACCEL_WRITE, 0);
    CHECK_EQ(run(0), 0);
    r = avic_hw_wrmsr(hw, 0, 0x80d, 5);
    check_exit(0, r, EXIT_NOACCEL, 0x0d0 | NOACCEL_WRITE, 0);
    CHECK_EQ(run(0), 0);
    r = avic_hw_wrmsr(hw, 0, 0x80e, 0);            /* DFR: not in x2APIC mode */
    check_exit(0, r, EXIT_NOACCEL, 0x0e0 | NOACCEL_WRITE, 0);
    CHECK_EQ(run(0), 0);
    /* Reads: current count, EOI, SELF IPI, reserved 801h: fault. */
    static const uint32_t rd_fault[] = { 0x839, 0x80b, 0x83f, 0x801, 0x831 };
    for (unsigned i = 0; i < sizeof(rd_fault) / sizeof(rd_fault[0]); i++) {
        r = avic_hw_rdmsr(hw, 0, rd_fault[i], &val);
        check_exit(0, r, EXIT_NOACCEL, (rd_fault[i] - 0x800u) << 4, 0);
        CHECK_EQ(run(0), 0);
    }
    /* LVT timer: trap after the write; bits 63:32 #GP first. */
    r = avic_hw_wrmsr(hw, 0, 0x832, 0x000200ef);
    check_exit(0, r, EXIT_NOACCEL, 0x320 | NOACCEL_WRITE, 0);
    CHECK(r.completed);
    CHECK_EQ(bget(0, 0x320), 0x000200ef);
    CHECK_EQ(run(0), 0);
    CHECK(avic_hw_wrmsr(hw, 0, 0x832, 1ull << 32).gp);
    /* SELF IPI: accelerated, vector in IRR; bits 63:8 #GP. */
    check_done(avic_hw_wrmsr(hw, 0, 0x83f, 0x77));
    CHECK(irr(0, 0x77));
    CHECK(avic_hw_wrmsr(hw, 0, 0x83f, 0x177).gp);
    CHECK_EQ(avic_hw_take_interrupt(hw, 0), 0x77);
    /* xAPIC MMIO in x2AVIC mode: not accelerated. */
    uint32_t v32;
    r = avic_hw_mmio_read(hw, 0, 0x020, &v32);
    check_exit(0, r, EXIT_NOACCEL, 0x020, 0);
    leave_all();
}

static void test_x2_ipi(void)
{
    struct avic_hw_result r;
    uint64_t val = 0;

    world_x2();
    /* One 64-bit ICR write: destination in 63:32. */
    check_done(avic_hw_wrmsr(hw, 0, 0x830, (2ull << 32) | 0x61));
    CHECK(irr(2, 0x61));
    CHECK_EQ(stats(2).doorbells_in_guest, 1);
    check_done(avic_hw_rdmsr(hw, 0, 0x830, &val));
    CHECK_EQ(val, (2ull << 32) | 0x61);
    /* Reserved ICR bits (31:20 here) #GP, nothing sent. */
    CHECK(avic_hw_wrmsr(hw, 0, 0x830, (3ull << 32) | (1u << 20) | 0x62).gp);
    CHECK(!irr(3, 0x62));
    /* Logical: cluster 0, bits 1 and 3 = x2APIC IDs 1 and 3. */
    check_done(avic_hw_wrmsr(hw, 0, 0x830, (0x000aull << 32) | ICR_LOGICAL | 0x63));
    CHECK(irr(1, 0x63) && irr(3, 0x63) && !irr(2, 0x63));
    /* Cluster 1 bit 0 = ID 16 > max index 7. */
    r = avic_hw_wrmsr(hw, 0, 0x830, (0x10001ull << 32) | ICR_LOGICAL | 0x64);
    check_exit(0, r, EXIT_INCOMPLETE_IPI, (0x10001ull << 32) | ICR_LOGICAL | 0x64,
               CAUSE(C_BAD_TARGET) | 16);
    CHECK_EQ(run(0), 0);
    /* Broadcast FFFFFFFFh. */
    check_done(avic_hw_wrmsr(hw, 1, 0x830, (0xffffffffull << 32) | 0x65));
    for (unsigned v = 0; v < 4; v++)
        CHECK(irr(v, 0x65));
    leave_all();

    /* IDs above 255: vCPU 1 as x2APIC ID 300 with max index 300. */
    world(true, 2, 300, &f_x2);
    pt_set(1, 0);
    pt_set(300, pt_entry(1, 1, true));
    bset(1, 0x020, 300);
    CHECK_EQ(run(0), 0);
    CHECK_EQ(run(1), 0);
    check_done(avic_hw_wrmsr(hw, 0, 0x830, (300ull << 32) | 0x66));
    CHECK(irr(1, 0x66));
    r = avic_hw_wrmsr(hw, 0, 0x830, (301ull << 32) | 0x66);
    check_exit(0, r, EXIT_INCOMPLETE_IPI, (301ull << 32) | 0x66, CAUSE(C_BAD_TARGET) | 301);
    leave_all();

    /* The 4K-ID extension: x2APIC ID 4000 in a 32 KiB table. */
    world(true, 2, 4095, &f_x2_4k);
    pt_set(1, 0);
    pt_set(4000, pt_entry(1, 1, true));
    bset(1, 0x020, 4000);
    CHECK_EQ(run(0), 0);
    CHECK_EQ(run(1), 0);
    check_done(avic_hw_wrmsr(hw, 0, 0x830, (4000ull << 32) | 0x67));
    CHECK(irr(1, 0x67));
    CHECK_EQ(avic_hw_take_interrupt(hw, 1), 0x67);
    leave_all();
}

static void test_x2_off(void)
{
    struct avic_hw_result r;
    uint64_t val;

    /* AVIC in xAPIC mode with the x2APIC MSRs not intercepted: on the CPU
     * the guest would reach the host's APIC: the model says so. */
    world(false, 1, 7, &f_x2);
    CHECK_EQ(run(0), 0);
    r = avic_hw_rdmsr(hw, 0, 0x802, &val);
    CHECK(r.passthrough && !r.exited);
    leave_all();
}

/* ---- An IPI storm: 4 pCPUs, one thread each, every vCPU sending to every
 * other through x2AVIC (physical and logical destinations alternating).
 * A sender sends its next IPI to a target only once the target has taken
 * the previous one, so no two IPIs of a pair can merge in the IRR: each
 * must be taken exactly once.  Receivers leave and re-enter guest mode now
 * and then, so doorbells also land in host mode. ---- */
#define STORM_N 2000u
#define STORM_SECONDS 20

struct storm {
    unsigned acked[NPCPU][NPCPU];    /* [sender][target], written by the target */
    unsigned sent[NPCPU][NPCPU];     /* written by the sender */
    unsigned received[NPCPU][NPCPU]; /* written by the target */
    unsigned errors;                 /* __atomic */
    time_t deadline;
};

static struct storm storm;

static unsigned storm_vec(unsigned from, unsigned to)
{
    return 0x40u + (from * NPCPU + to) * 8u;
}

static void storm_error(const char *what, unsigned a, unsigned b)
{
    if (__atomic_fetch_add(&storm.errors, 1, __ATOMIC_SEQ_CST) < 10)
        fprintf(stderr, "storm: %s (%u, %u)\n", what, a, b);
}

static bool storm_send(unsigned me, unsigned to)
{
    unsigned n = storm.sent[me][to];
    uint64_t dest = (n & 1) ? (1ull << to) : to;   /* odd: cluster 0 logical */
    uint64_t icr = (dest << 32) | ((n & 1) ? ICR_LOGICAL : 0) | storm_vec(me, to);
    struct avic_hw_result r;

    if (n >= STORM_N || __atomic_load_n(&storm.acked[me][to], __ATOMIC_ACQUIRE) != n)
        return false;
    if (irr(to, storm_vec(me, to)))
        storm_error("IRR bit already set before the send", me, to);
    r = avic_hw_wrmsr(hw, me, 0x830, icr);
    if (r.exited || r.gp || !r.completed)
        storm_error("IPI did not complete in the guest", me, to);
    storm.sent[me][to] = n + 1;
    return true;
}

static bool storm_receive(unsigned me)
{
    int vec = avic_hw_take_interrupt(hw, me);
    unsigned from;

    if (vec < 0)
        return false;
    from = ((unsigned)vec - 0x40u) / 8u / NPCPU;
    if (vec < 0x40 || from >= NPCPU || storm_vec(from, me) != (unsigned)vec) {
        storm_error("unexpected vector", me, (unsigned)vec);
        return false;
    }
    if (!avic_hw_wrmsr(hw, me, 0x80b, 0).completed)
        storm_error("EOI", me, (unsigned)vec);
    storm.received[from][me]++;
    __atomic_store_n(&storm.acked[from][me], storm.received[from][me], __ATOMIC_RELEASE);
    if (storm.received[from][me] % 97 == 0) {
        avic_hw_vmexit(hw, me);                    /* a while in host mode */
        sched_yield();
        if (avic_hw_vmrun(hw, me, PG_VMCB(me)) != 0)
            storm_error("VMRUN", me, 0);
    }
    return true;
}

static bool storm_finished(unsigned me)
{
    for (unsigned o = 0; o < NPCPU; o++) {
        if (o == me)
            continue;
        if (__atomic_load_n(&storm.acked[me][o], __ATOMIC_ACQUIRE) != STORM_N ||
            storm.received[o][me] != STORM_N)
            return false;
    }
    return true;
}

static void *storm_thread(void *arg)
{
    unsigned me = (unsigned)(uintptr_t)arg;

    while (!storm_finished(me)) {
        bool busy = false;
        for (unsigned to = 0; to < NPCPU; to++)
            busy |= to != me && storm_send(me, to);
        while (storm_receive(me))
            busy = true;
        if (!busy) {
            if (time(NULL) > storm.deadline) {
                storm_error("deadline: an IPI was lost", me, 0);
                break;
            }
            sched_yield();
        }
    }
    return NULL;
}

static void test_storm(void)
{
    pthread_t t[NPCPU];
    uint64_t doorbells = 0;

    world_x2();
    memset(&storm, 0, sizeof(storm));
    storm.deadline = time(NULL) + STORM_SECONDS;
    for (unsigned i = 0; i < NPCPU; i++)
        CHECK_EQ(pthread_create(&t[i], NULL, storm_thread, (void *)(uintptr_t)i), 0);
    for (unsigned i = 0; i < NPCPU; i++)
        pthread_join(t[i], NULL);
    CHECK_EQ(storm.errors, 0);
    for (unsigned a = 0; a < NPCPU; a++) {
        for (unsigned b = 0; b < NPCPU; b++)
            CHECK_EQ(storm.received[a][b], a == b ? 0 : STORM_N);
        for (unsigned w = 0; w < 8; w++) {
            CHECK_EQ(bget(a, 0x200 + w * 16), 0);  /* nothing left in IRR */
            CHECK_EQ(bget(a, 0x100 + w * 16), 0);  /* nor in ISR */
        }
        doorbells += stats(a).doorbells_in_guest + stats(a).doorbells_in_host;
        CHECK_EQ(stats(a).doorbells_unrouted, 0);
    }
    /* One doorbell per IPI: every target's entry says IsRunning. */
    CHECK_EQ(doorbells, (uint64_t)NPCPU * (NPCPU - 1) * STORM_N);
    leave_all();
}

int main(void)
{
    mem = aligned_alloc(4096, MEM_PAGES * 4096u);
    if (!mem)
        return 2;
    test_vmrun_checks();
    test_vmrun_x2_limits();
    test_xapic_reads();
    test_xapic_writes();
    test_tpr_ppr();
    test_delivery();
    test_eoi();
    test_self_ipi();
    test_physical_ipi();
    test_doorbell();
    test_logical_flat();
    test_logical_cluster();
    test_broadcast();
    test_ipi_causes();
    test_x2_msrpm();
    test_x2_access();
    test_x2_ipi();
    test_x2_off();
    test_storm();
    avic_hw_destroy(hw);
    free(mem);
    return check_report("avic_model");
}
