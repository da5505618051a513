/* SPDX-License-Identifier: MIT */
/*
 * Keel's AVIC driver against the model of the hardware (tests/unit/
 * avic_rig.h, tests/model/avic_hw.h): the tables and VMCB fields the
 * driver writes must be what the model, read from the APM separately,
 * accepts and acts on; every exit the model takes must leave the vLAPIC
 * exactly where an emulated APIC would be.
 */
#include <stdio.h>
#include <string.h>

#include "apic/apic_defs.h"
#include "avic_rig.h"
#include "check.h"
#include "svm/avic.h"

static struct rig R;

#define ICR_FIXED(vec, dest) ((uint64_t)(dest) << 56 | (vec))
#define ICR_LOGICAL (1u << 11)
#define ICR_LEVEL_ASSERT (1u << 14)

static void enter_all(void)
{
    for (unsigned i = 0; i < R.n; i++)
        CHECK(rig_enter(&R.v[i]));
}

static void exit_all(void)
{
    for (unsigned i = 0; i < R.n; i++)
        rig_exit(&R.v[i]);
}

static int irr(unsigned i) { return vlapic_highest_irr(&R.v[i].vl); }
static int isr(unsigned i) { return vlapic_highest_isr(&R.v[i].vl); }

/* xAPIC: send by writing ICR high then low, as a guest does. */
static void send_xapic(unsigned from, uint64_t icr)
{
    rig_mmio_write(&R.v[from], APIC_ICR + 0x10, (uint32_t)(icr >> 32));
    rig_mmio_write(&R.v[from], APIC_ICR, (uint32_t)icr);
}

/* Take what is pending and EOI it; returns the vector. */
static int take_eoi(unsigned i)
{
    int vec = rig_take(&R.v[i]);
    if (vec >= 0)
        rig_eoi(&R.v[i]);
    return vec;
}

static void test_vmrun_accepts_tables(void)
{
    rig_init(&R, 4, true, false);
    enter_all();
    for (unsigned i = 0; i < R.n; i++) {
        CHECK(R.v[i].accel.on);
        CHECK_EQ(R.v[i].accel.regs, APIC_ACCEL_REGS_XAPIC);
    }
    /* Registers read from the backing page without an exit: ID, version. */
    CHECK_EQ(rig_mmio_read(&R.v[2], APIC_ID) >> 24, 2);
    CHECK_EQ(rig_mmio_read(&R.v[2], APIC_LVR), R.v[2].page[APIC_LVR >> 2]);
    CHECK_EQ(R.unexpected, 0);
}

static void test_physical_ipi_running(void)
{
    unsigned exits = R.ipi_exits;
    struct avic_hw_pcpu_stats st0, st1;
    avic_hw_stats(R.hw, 2, &st0);
    send_xapic(0, ICR_FIXED(0x41, 2));
    CHECK_EQ(irr(2), 0x41);                 /* the CPU set it in the vLAPIC's own page */
    avic_hw_stats(R.hw, 2, &st1);
    CHECK(st1.doorbells_in_guest > st0.doorbells_in_guest);
    CHECK_EQ(take_eoi(2), 0x41);
    CHECK_EQ(R.ipi_exits, exits);           /* accelerated: no Keel involved */
    CHECK_EQ(isr(2), -1);
    CHECK_EQ(irr(2), -1);
    CHECK_EQ(R.v[0].anomalies + R.unexpected, 0);
}

static void test_target_not_running(void)
{
    CHECK(rig_block(&R.v[3]));              /* vCPU 3 halts: IsRunning clear */
    unsigned wakes = R.v[3].wakes;
    send_xapic(1, ICR_FIXED(0x52, 3));
    CHECK_EQ(irr(3), 0x52);                 /* set once, by the CPU */
    CHECK_EQ(R.v[3].wakes, wakes + 1);      /* and the exit woke it */
    rig_unblock(&R.v[3]);
    CHECK(rig_enter(&R.v[3]));
    CHECK_EQ(take_eoi(3), 0x52);
    CHECK_EQ(rig_take(&R.v[3]), -1);        /* not delivered twice */
}

static void test_invalid_type_nmi(void)
{
    /* An NMI IPI: the CPU sends nothing, Keel sends it. */
    send_xapic(0, ((uint64_t)1 << 56) | APIC_DM_NMI << 8);
    CHECK(vlapic_events(&R.v[1].vl) & VLAPIC_EV_NMI);
    CHECK(vlapic_take_nmi(&R.v[1].vl));
    CHECK_EQ(irr(1), -1);
}

static void test_logical_flat(void)
{
    /* Flat model: vCPU i gets logical bit i. */
    for (unsigned i = 0; i < R.n; i++)
        rig_mmio_write(&R.v[i], APIC_LDR, (1u << i) << 24);
    unsigned exits = R.ipi_exits;
    send_xapic(0, ((uint64_t)0x06 << 56) | ICR_LOGICAL | 0x61);
    CHECK_EQ(R.ipi_exits, exits);           /* the logical table led the CPU there */
    CHECK_EQ(irr(1), 0x61);
    CHECK_EQ(irr(2), 0x61);
    CHECK_EQ(irr(3), -1);
    CHECK_EQ(irr(0), -1);
    CHECK_EQ(take_eoi(1), 0x61);
    CHECK_EQ(take_eoi(2), 0x61);
}

static void test_logical_cluster(void)
{
    /* Cluster model: vCPUs 0,1 in cluster 1 (bits 0,1), 2,3 in cluster 2. */
    for (unsigned i = 0; i < R.n; i++) {
        rig_mmio_write(&R.v[i], APIC_DFR, 0x0fffffff);
        uint32_t ldr = ((i < 2 ? 1u : 2u) << 4 | (1u << (i & 1))) << 24;
        rig_mmio_write(&R.v[i], APIC_LDR, ldr);
    }
    CHECK_EQ(R.v[3].page[APIC_DFR >> 2] >> 28, 0);  /* the vLAPIC committed cluster */
    unsigned exits = R.ipi_exits;
    send_xapic(0, ((uint64_t)0x22 << 56) | ICR_LOGICAL | 0x62);  /* cluster 2, bit 1: vCPU 3 */
    CHECK_EQ(R.ipi_exits, exits);
    CHECK_EQ(irr(3), 0x62);
    CHECK_EQ(irr(2), -1);
    CHECK_EQ(take_eoi(3), 0x62);
    send_xapic(3, ((uint64_t)0x13 << 56) | ICR_LOGICAL | 0x63);  /* cluster 1, bits 0+1 */
    CHECK_EQ(irr(0), 0x63);
    CHECK_EQ(irr(1), 0x63);
    CHECK_EQ(take_eoi(0), 0x63);
    CHECK_EQ(take_eoi(1), 0x63);
    CHECK_EQ(R.ipi_exits, exits);
    CHECK(apic_inhibit_active(&R.inhibit));           /* no aliasing so far */
}

static void test_broadcast_and_self(void)
{
    /* All excluding self, fixed. */
    send_xapic(2, (3u << 18) | 0x70);
    for (unsigned i = 0; i < R.n; i++)
        CHECK_EQ(irr(i), i == 2 ? -1 : 0x70);
    for (unsigned i = 0; i < R.n; i++)
        if (i != 2)
            CHECK_EQ(take_eoi(i), 0x70);
    /* Self. */
    send_xapic(1, (1u << 18) | 0x71);
    CHECK_EQ(irr(1), 0x71);
    CHECK_EQ(take_eoi(1), 0x71);
}

static void test_tpr_and_timer_count(void)
{
    /* TPR blocks delivery of a lower class until lowered. */
    rig_mmio_write(&R.v[0], APIC_TPR, 0x80);
    send_xapic(1, ICR_FIXED(0x45, 0));
    CHECK_EQ(irr(0), 0x45);
    CHECK_EQ(rig_take(&R.v[0]), -1);
    rig_mmio_write(&R.v[0], APIC_TPR, 0x00);
    CHECK_EQ(vlapic_get_tpr(&R.v[0].vl), 0);
    CHECK_EQ(take_eoi(0), 0x45);
    /* TMCCT is the vLAPIC's count, whatever the page holds. */
    R.tsc = 1000;
    rig_mmio_write(&R.v[0], APIC_TDCR, 0xb);            /* divide by 1 */
    rig_mmio_write(&R.v[0], APIC_TMICT, 100000);
    CHECK_EQ(vlapic_timer_armed(&R.v[0].vl), 1);        /* the trap reached the vLAPIC */
    R.tsc += 400;
    uint32_t cur = rig_mmio_read(&R.v[0], APIC_TMCCT);
    CHECK(cur > 0 && cur < 100000);
    CHECK_EQ(cur, vlapic_timer_current_count(&R.v[0].vl));
    rig_mmio_write(&R.v[0], APIC_TMICT, 0);
}

/* Level EOI: the vLAPIC does the whole EOI once; a lower vector nested
 * under it stays in ISR. */
static void test_level_eoi(void)
{
    unsigned eois = R.eoi_level;
    send_xapic(1, ICR_FIXED(0x35, 0));
    CHECK_EQ(rig_take(&R.v[0]), 0x35);                 /* in service, no EOI yet */
    struct apic_msg m = { .dest = 0, .vector = 0x95, .dm = APIC_DM_FIXED, .level = true,
                          .assert = true, .source = -1 };
    rig_route(&R, &m, 3);                               /* the I/O APIC, level */
    CHECK_EQ(irr(0), 0x95);
    CHECK_EQ(rig_take(&R.v[0]), 0x95);
    rig_eoi(&R.v[0]);
    CHECK_EQ(R.eoi_level, eois + 1);                    /* the I/O APIC heard it once */
    CHECK_EQ(isr(0), 0x35);                             /* only the level vector left */
    rig_eoi(&R.v[0]);
    CHECK_EQ(isr(0), -1);
    CHECK_EQ(R.eoi_level, eois + 1);
}

static void test_x2avic(void)
{
    /* vCPU 0 and 1 switch to x2APIC mode: the MSR map and the VMCB follow. */
    for (unsigned i = 0; i < 2; i++) {
        struct rig_vcpu *v = &R.v[i];
        uint64_t base = vlapic_get_apic_base(&v->vl);
        pthread_mutex_lock(&v->lock);
        CHECK_EQ(vlapic_set_apic_base(&v->vl, base | (1u << 10)), 0);
        pthread_mutex_unlock(&v->lock);
        rig_exit(v);
        CHECK(rig_enter(v));
        CHECK_EQ(v->accel.regs, APIC_ACCEL_REGS_X2APIC);
    }
    /* A 64-bit ICR write, physical destination 1, without a Keel exit. */
    unsigned exits = R.ipi_exits + R.noaccel_exits;
    CHECK(rig_wrmsr(&R.v[0], 0x830, ((uint64_t)1 << 32) | 0x66));
    CHECK_EQ(R.ipi_exits + R.noaccel_exits, exits);
    CHECK_EQ(irr(1), 0x66);
    CHECK_EQ(rig_take(&R.v[1]), 0x66);
    CHECK(rig_wrmsr(&R.v[1], 0x80b, 0));                /* EOI */
    CHECK_EQ(isr(1), -1);
    /* Reads: ID from the page; TMCCT through the vLAPIC (intercepted). */
    CHECK_EQ(rig_rdmsr(&R.v[1], 0x802), 1);
    CHECK_EQ((uint32_t)rig_rdmsr(&R.v[1], 0x839), vlapic_timer_current_count(&R.v[1].vl));
    /* Reserved and read-only registers keep the vLAPIC's #GP. */
    CHECK(!rig_wrmsr(&R.v[1], 0x802, 5));               /* ID is read-only */
    CHECK(!rig_wrmsr(&R.v[1], 0x830, ((uint64_t)1 << 32) | (1u << 12) | 0x66)); /* ICR bit 12 */
    /* SELF IPI. */
    CHECK(rig_wrmsr(&R.v[1], 0x83f, 0x67));
    CHECK_EQ(take_eoi(1), 0x67);
    CHECK_EQ(R.unexpected, 0);
}

/* The erratum workaround: IsRunning never set, every IPI to another vCPU
 * exits, and is still delivered exactly once. */
static void test_erratum(void)
{
    rig_fini(&R);
    rig_init(&R, 3, false, true);
    enter_all();
    for (unsigned i = 0; i < R.n; i++)
        CHECK(!(R.phys[i] & AVIC_PHYS_IS_RUNNING));
    unsigned wakes = R.v[2].wakes;
    CHECK(rig_block(&R.v[2]));
    send_xapic(0, ICR_FIXED(0x58, 2));
    CHECK_EQ(irr(2), 0x58);
    CHECK_EQ(R.v[2].wakes, wakes + 1);
    rig_unblock(&R.v[2]);
    CHECK(rig_enter(&R.v[2]));
    CHECK_EQ(take_eoi(2), 0x58);
    CHECK_EQ(rig_take(&R.v[2]), -1);
    /* A running target too: the exit, not a doorbell, brings it. */
    send_xapic(0, ICR_FIXED(0x59, 1));
    CHECK_EQ(take_eoi(1), 0x59);
    exit_all();
}

/* Hybrid: AVIC without x2AVIC, a vCPU in x2APIC mode keeps the rest. */
static void test_hybrid(void)
{
    rig_fini(&R);
    rig_init(&R, 2, false, false);
    enter_all();
    struct rig_vcpu *v = &R.v[1];
    pthread_mutex_lock(&v->lock);
    CHECK_EQ(vlapic_set_apic_base(&v->vl, vlapic_get_apic_base(&v->vl) | (1u << 10)), 0);
    pthread_mutex_unlock(&v->lock);
    rig_exit(v);
    CHECK(rig_enter(v));
    CHECK(v->accel.on);
    CHECK_EQ(v->accel.regs, APIC_ACCEL_REGS_NONE);
    /* Its MSRs exit and are emulated... */
    CHECK_EQ(rig_rdmsr(v, 0x802), 1);
    /* ...but an accelerated sender's IPI reaches it without Keel. */
    send_xapic(0, ICR_FIXED(0x77, 1));
    CHECK_EQ(irr(1), 0x77);
    CHECK_EQ(rig_take(v), 0x77);
    CHECK(rig_wrmsr(v, 0x80b, 0));
    CHECK_EQ(isr(1), -1);
    /* And its own IPIs, emulated, are posted to the xAPIC vCPU. */
    CHECK(rig_wrmsr(v, 0x830, 0x78));
    CHECK_EQ(irr(0), 0x78);
    CHECK_EQ(take_eoi(0), 0x78);
    CHECK_EQ(R.unexpected, 0);
    exit_all();
}

/* An inhibit toggles AVIC off and on; interrupts pending across the
 * switch are delivered once. */
static void test_inhibit_switch(void)
{
    rig_fini(&R);
    rig_init(&R, 2, true, false);
    enter_all();
    send_xapic(0, ICR_FIXED(0x81, 1));
    CHECK_EQ(irr(1), 0x81);
    rig_inhibit(&R, APIC_INHIBIT_IRQ_WINDOW, true);
    exit_all();
    enter_all();
    CHECK(!R.v[1].accel.on);
    CHECK_EQ(rig_take(&R.v[1]), 0x81);          /* Keel injects what the CPU left in IRR */
    send_xapic(0, ICR_FIXED(0x92, 1));          /* emulated send, emulated delivery */
    rig_inhibit(&R, APIC_INHIBIT_IRQ_WINDOW, false);
    exit_all();
    enter_all();
    CHECK(R.v[1].accel.on);
    CHECK_EQ(rig_take(&R.v[1]), 0x92);          /* the CPU delivers what Keel left */
    rig_eoi(&R.v[1]);
    CHECK_EQ(isr(1), 0x81);                     /* EOI under AVIC cleared the right one */
    rig_eoi(&R.v[1]);
    CHECK_EQ(isr(1), -1);
    CHECK_EQ(rig_take(&R.v[1]), -1);
    exit_all();
}

int main(void)
{
    test_vmrun_accepts_tables();
    test_physical_ipi_running();
    test_target_not_running();
    test_invalid_type_nmi();
    test_logical_flat();
    test_logical_cluster();
    test_broadcast_and_self();
    test_tpr_and_timer_count();
    test_level_eoi();
    test_x2avic();
    exit_all();
    test_erratum();
    test_hybrid();
    test_inhibit_switch();
    rig_fini(&R);
    return check_report("avic_driver");
}
