/* SPDX-License-Identifier: MIT */
/* Host tests of apic/apic_accel.c: the acceleration predicate over every
 * combination of hardware, inhibit reasons and APIC mode, the APIC-access
 * page rule, and the reasons derived from destination views. */
#include <stdio.h>
#include <string.h>

#include "apic/apic_accel.h"
#include "check.h"

/* Intel APICv as Bochs has it: xAPIC and x2APIC virtualization, no posted
 * interrupts; IPIv needs unmodified, unaliased IDs (PID table by APIC ID). */
static const struct apic_accel_caps vmx_bochs = {
    .xapic = true, .x2apic = true, .inhibits_ipi = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED,
};
static const struct apic_accel_caps vmx_full = {
    .xapic = true, .x2apic = true, .ipi = true, .posted = true,
    .inhibits_ipi = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED,
};
/* AVIC without x2AVIC: the reasons KVM's AVIC honours. */
static const struct apic_accel_caps avic = {
    .xapic = true, .x2apic = false, .ipi = true, .posted = true,
    .inhibits_all = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED | APIC_INHIBIT_BASE_MOVED |
                    APIC_INHIBIT_IRQ_WINDOW | APIC_INHIBIT_PIT_REINJECT,
};
static const struct apic_accel_caps none = { 0 };

/* The rule, restated independently of the implementation. */
static void expect(const struct apic_accel_caps *c, uint32_t vmr, enum vlapic_mode mode)
{
    struct apic_accel a = apic_accel_decide(c, vmr, mode);
    bool blocked = !c->xapic || (vmr & (APIC_INHIBIT_CONFIG | APIC_INHIBIT_NO_HW)) ||
                   (vmr & c->inhibits_all) || mode == VLAPIC_MODE_DISABLED ||
                   (mode == VLAPIC_MODE_X2APIC && !c->x2apic);
    CHECK_EQ(a.on, !blocked);
    if (blocked) {
        CHECK_EQ(a.regs, APIC_ACCEL_REGS_NONE);
        CHECK(!a.ipi && !a.posted);
        CHECK(a.why_not != 0);
        if (mode == VLAPIC_MODE_DISABLED)
            CHECK(a.why_not & APIC_INHIBIT_DISABLED);
        if (mode == VLAPIC_MODE_X2APIC && !c->x2apic)
            CHECK(a.why_not & APIC_INHIBIT_X2APIC_NO_HW);
        if (vmr & APIC_INHIBIT_CONFIG)
            CHECK(a.why_not & APIC_INHIBIT_CONFIG);
        return;
    }
    CHECK_EQ(a.regs, mode == VLAPIC_MODE_X2APIC ? APIC_ACCEL_REGS_X2APIC : APIC_ACCEL_REGS_XAPIC);
    CHECK_EQ(a.posted, c->posted);
    CHECK_EQ(a.ipi, c->ipi && c->posted && !(vmr & c->inhibits_ipi));
    CHECK_EQ(a.why_not, c->ipi ? (vmr & c->inhibits_ipi) : 0u);
}

static void test_decide_exhaustive(void)
{
    const struct apic_accel_caps *caps[] = { &vmx_bochs, &vmx_full, &avic, &none };
    for (unsigned c = 0; c < 4; c++)
        for (uint32_t r = 0; r <= APIC_INHIBIT_VM_MASK; r++)
            for (int m = VLAPIC_MODE_DISABLED; m <= VLAPIC_MODE_X2APIC; m++)
                expect(caps[c], r, (enum vlapic_mode)m);
}

static void test_decide_examples(void)
{
    /* Bochs-like APICv: an ID change costs nothing (no IPIv to lose). */
    struct apic_accel a = apic_accel_decide(&vmx_bochs, APIC_INHIBIT_ID_MODIFIED, VLAPIC_MODE_XAPIC);
    CHECK(a.on && a.regs == APIC_ACCEL_REGS_XAPIC && !a.ipi && a.why_not == 0);
    /* Full APICv: the same change keeps APICv but stops IPIv. */
    a = apic_accel_decide(&vmx_full, APIC_INHIBIT_ID_MODIFIED, VLAPIC_MODE_X2APIC);
    CHECK(a.on && a.regs == APIC_ACCEL_REGS_X2APIC && a.posted && !a.ipi);
    CHECK_EQ(a.why_not, (uint32_t)APIC_INHIBIT_ID_MODIFIED);
    /* AVIC: x2APIC mode without x2AVIC falls back to emulation. */
    a = apic_accel_decide(&avic, 0, VLAPIC_MODE_X2APIC);
    CHECK(!a.on && a.why_not == APIC_INHIBIT_X2APIC_NO_HW);
    a = apic_accel_decide(&avic, APIC_INHIBIT_IRQ_WINDOW, VLAPIC_MODE_XAPIC);
    CHECK(!a.on && a.why_not == APIC_INHIBIT_IRQ_WINDOW);
    a = apic_accel_decide(&vmx_full, APIC_INHIBIT_IRQ_WINDOW, VLAPIC_MODE_XAPIC);
    CHECK(a.on && a.ipi);       /* VMX injects ExtINT beside virtual-interrupt delivery */
    a = apic_accel_decide(&vmx_full, APIC_INHIBIT_CONFIG, VLAPIC_MODE_XAPIC);
    CHECK(!a.on && a.why_not == APIC_INHIBIT_CONFIG);
}

static void test_vm_reasons(void)
{
    struct apic_accel_vm v;
    apic_accel_vm_init(&v, APIC_INHIBIT_CONFIG | APIC_INHIBIT_DISABLED);
    CHECK_EQ(apic_accel_vm_reasons(&v), (uint32_t)APIC_INHIBIT_CONFIG); /* vCPU scope dropped */
    CHECK(!apic_accel_vm_set(&v, APIC_INHIBIT_CONFIG));                 /* no change */
    CHECK_EQ(v.generation, 0u);
    CHECK(apic_accel_vm_set(&v, APIC_INHIBIT_ID_MODIFIED));
    CHECK_EQ(v.generation, 1u);
    CHECK(apic_accel_vm_clear(&v, APIC_INHIBIT_CONFIG));
    CHECK(!apic_accel_vm_clear(&v, APIC_INHIBIT_CONFIG));
    CHECK_EQ(apic_accel_vm_reasons(&v), (uint32_t)APIC_INHIBIT_ID_MODIFIED);
    CHECK_EQ(v.generation, 2u);
    CHECK(!apic_accel_vm_set(&v, APIC_INHIBIT_X2APIC_NO_HW));           /* not VM scope */
}

static void test_page_rule(void)
{
    enum vlapic_mode m[4] = { VLAPIC_MODE_XAPIC, VLAPIC_MODE_XAPIC, VLAPIC_MODE_XAPIC,
                              VLAPIC_MODE_XAPIC };
    uint64_t b[4] = { APIC_DEFAULT_BASE, APIC_DEFAULT_BASE, APIC_DEFAULT_BASE,
                      APIC_DEFAULT_BASE };
    CHECK(apic_accel_page_mapped(&vmx_bochs, 0, m, b, 4));
    CHECK(!apic_accel_page_mapped(&vmx_bochs, APIC_INHIBIT_CONFIG, m, b, 4));
    CHECK(!apic_accel_page_mapped(&none, 0, m, b, 4));
    CHECK(!apic_accel_page_mapped(&vmx_bochs, 0, m, b, 0));
    CHECK(apic_accel_page_mapped(&vmx_bochs, APIC_INHIBIT_ID_MODIFIED, m, b, 4));
    CHECK(!apic_accel_page_mapped(&avic, APIC_INHIBIT_ID_MODIFIED, m, b, 4));
    for (unsigned i = 0; i < 4; i++) {
        /* One vCPU entering x2APIC mode, disabling its APIC or moving it
         * takes the page away from all (it would see a virtual APIC). */
        m[i] = VLAPIC_MODE_X2APIC;
        CHECK(!apic_accel_page_mapped(&vmx_bochs, 0, m, b, 4));
        m[i] = VLAPIC_MODE_DISABLED;
        CHECK(!apic_accel_page_mapped(&vmx_bochs, 0, m, b, 4));
        m[i] = VLAPIC_MODE_XAPIC;
        b[i] = 0xfec00000ull;
        CHECK(!apic_accel_page_mapped(&vmx_bochs, 0, m, b, 4));
        b[i] = APIC_DEFAULT_BASE;
        CHECK(apic_accel_page_mapped(&vmx_bochs, 0, m, b, 4));
    }
}

static struct apic_dest_view xv(uint32_t id, uint32_t ldr, uint32_t dfr)
{
    struct apic_dest_view v = { .mode = APIC_DEST_XAPIC, .sw_enabled = true, .id = id,
                                .ldr = ldr, .dfr = dfr };
    return v;
}

static void test_view_reasons(void)
{
    struct apic_dest_view v[3] = { xv(0, 0, APIC_DFR_FLAT), xv(1, 0, APIC_DFR_FLAT),
                                   xv(2, 0, APIC_DFR_FLAT) };
    CHECK_EQ(apic_accel_view_reasons(v, 3), 0u);
    v[0].ldr = 1; v[1].ldr = 2; v[2].ldr = 4;
    CHECK_EQ(apic_accel_view_reasons(v, 3), 0u);
    v[2].ldr = 6;                                       /* flat: shares bit 1 with vCPU 1 */
    CHECK_EQ(apic_accel_view_reasons(v, 3), (uint32_t)APIC_INHIBIT_ID_ALIASED);
    v[2].ldr = 4;
    v[1].id = 5;                                        /* changed, unique */
    CHECK_EQ(apic_accel_view_reasons(v, 3), (uint32_t)APIC_INHIBIT_ID_MODIFIED);
    v[1].id = 2;                                        /* changed and equal to vCPU 2's */
    CHECK_EQ(apic_accel_view_reasons(v, 3),
             (uint32_t)(APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED));
    v[1].mode = APIC_DEST_DISABLED;                     /* a disabled APIC answers nothing */
    CHECK_EQ(apic_accel_view_reasons(v, 3), 0u);
    v[1] = xv(1, 0x12, APIC_DFR_CLUSTER);               /* cluster 1, bit 1 */
    v[2] = xv(2, 0x22, APIC_DFR_CLUSTER);               /* cluster 2, bit 1: distinct */
    v[0] = xv(0, 0x21, APIC_DFR_CLUSTER);
    CHECK_EQ(apic_accel_view_reasons(v, 3), 0u);
    v[0].ldr = 0x23;                                    /* cluster 2, bits 0,1: overlaps vCPU 2 */
    CHECK_EQ(apic_accel_view_reasons(v, 3), (uint32_t)APIC_INHIBIT_ID_ALIASED);
    for (unsigned i = 0; i < 3; i++) {                  /* x2APIC: derived LDRs never alias */
        v[i].mode = APIC_DEST_X2APIC;
        v[i].id = i;
        v[i].ldr = vlapic_x2apic_ldr(i);
    }
    CHECK_EQ(apic_accel_view_reasons(v, 3), 0u);
    v[2].id = 0;
    v[2].ldr = vlapic_x2apic_ldr(0);
    CHECK_EQ(apic_accel_view_reasons(v, 3),
             (uint32_t)(APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED));
}

static void test_names(void)
{
    char buf[128];
    apic_inhibit_describe(APIC_INHIBIT_CONFIG | APIC_INHIBIT_X2APIC_NO_HW, buf, sizeof(buf));
    CHECK(strcmp(buf, "config,x2apic-no-hw") == 0);
    apic_inhibit_describe(0, buf, sizeof(buf));
    CHECK(strcmp(buf, "none") == 0);
    apic_inhibit_describe(~0u, buf, 12);
    CHECK(strlen(buf) == 11);
    CHECK(strcmp(apic_inhibit_name(APIC_INHIBIT_BASE_MOVED), "base-moved") == 0);
    CHECK(strcmp(apic_inhibit_name(3), "?") == 0);
}

int main(void)
{
    test_decide_exhaustive();
    test_decide_examples();
    test_vm_reasons();
    test_page_rule();
    test_view_reasons();
    test_names();
    return check_report("test_apic_accel");
}
