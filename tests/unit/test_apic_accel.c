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
    .xapic = true, .x2apic = false, .ipi = true, .posted = true, .x2apic_hybrid = true,
    .inhibits_all = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED | APIC_INHIBIT_BASE_MOVED |
                    APIC_INHIBIT_IRQ_WINDOW | APIC_INHIBIT_PIT_REINJECT | APIC_INHIBIT_ID_TOO_BIG,
};
static const struct apic_accel_caps none = { 0 };

/* One decision, with the activation the inhibit machine would have. */
static struct apic_accel decide(const struct apic_accel_caps *c, uint32_t vmr,
                                enum vlapic_mode mode, bool hybrid)
{
    struct apic_inhibit_vm m;
    apic_inhibit_init(&m, apic_accel_honoured(c), vmr);
    struct apic_accel_input in = { .vm_active = apic_inhibit_active(&m),
                                   .vm_reasons = apic_inhibit_reasons(&m), .mode = mode,
                                   .x2apic_hybrid = hybrid };
    return apic_accel_decide(c, &in);
}

/* The rule, restated independently of the implementation. */
static void expect(const struct apic_accel_caps *c, uint32_t vmr, enum vlapic_mode mode,
                   bool hybrid)
{
    struct apic_accel a = decide(c, vmr, mode, hybrid);
    bool x2_emulated = mode == VLAPIC_MODE_X2APIC && !c->x2apic;
    bool hybrid_on = x2_emulated && c->x2apic_hybrid && hybrid;
    bool blocked = !c->xapic || (vmr & (APIC_INHIBIT_CONFIG | APIC_INHIBIT_NO_HW)) ||
                   (vmr & c->inhibits_all) || mode == VLAPIC_MODE_DISABLED ||
                   (x2_emulated && !hybrid_on);
    CHECK_EQ(a.on, !blocked);
    if (blocked) {
        CHECK_EQ(a.regs, APIC_ACCEL_REGS_NONE);
        CHECK(!a.ipi && !a.posted);
        CHECK(a.why_not != 0);
        if (mode == VLAPIC_MODE_DISABLED)
            CHECK(a.why_not & APIC_INHIBIT_DISABLED);
        if (x2_emulated && !hybrid_on)
            CHECK(a.why_not & APIC_INHIBIT_X2APIC_NO_HW);
        if (vmr & APIC_INHIBIT_CONFIG)
            CHECK(a.why_not & APIC_INHIBIT_CONFIG);
        return;
    }
    CHECK_EQ(a.regs, mode == VLAPIC_MODE_XAPIC ? APIC_ACCEL_REGS_XAPIC
                     : hybrid_on               ? APIC_ACCEL_REGS_NONE
                                               : APIC_ACCEL_REGS_X2APIC);
    CHECK_EQ(a.posted, c->posted);
    CHECK_EQ(a.ipi, c->ipi && c->posted && !(vmr & c->inhibits_ipi));
    CHECK_EQ(a.why_not, (c->ipi ? (vmr & c->inhibits_ipi) : 0u) |
                            (hybrid_on ? APIC_INHIBIT_X2APIC_NO_HW : 0u));
}

static void test_decide_exhaustive(void)
{
    const struct apic_accel_caps *caps[] = { &vmx_bochs, &vmx_full, &avic, &none };
    for (unsigned c = 0; c < 4; c++)
        for (uint32_t r = 0; r <= APIC_INHIBIT_VM_MASK; r++)
            for (int m = VLAPIC_MODE_DISABLED; m <= VLAPIC_MODE_X2APIC; m++)
                for (int h = 0; h < 2; h++)
                    expect(caps[c], r, (enum vlapic_mode)m, h);
}

static void test_decide_examples(void)
{
    /* Bochs-like APICv: an ID change costs nothing (no IPIv to lose). */
    struct apic_accel a = decide(&vmx_bochs, APIC_INHIBIT_ID_MODIFIED, VLAPIC_MODE_XAPIC, false);
    CHECK(a.on && a.regs == APIC_ACCEL_REGS_XAPIC && !a.ipi && a.why_not == 0);
    /* Full APICv: the same change keeps APICv but stops IPIv. */
    a = decide(&vmx_full, APIC_INHIBIT_ID_MODIFIED, VLAPIC_MODE_X2APIC, false);
    CHECK(a.on && a.regs == APIC_ACCEL_REGS_X2APIC && a.posted && !a.ipi);
    CHECK_EQ(a.why_not, (uint32_t)APIC_INHIBIT_ID_MODIFIED);
    /* AVIC: x2APIC mode without x2AVIC: emulated (policy inhibit), or the
     * MSRs emulated with the rest accelerated (policy hybrid, seed 000). */
    a = decide(&avic, 0, VLAPIC_MODE_X2APIC, false);
    CHECK(!a.on && a.why_not == APIC_INHIBIT_X2APIC_NO_HW);
    a = decide(&avic, 0, VLAPIC_MODE_X2APIC, true);
    CHECK(a.on && a.regs == APIC_ACCEL_REGS_NONE && a.posted && a.ipi);
    a = decide(&avic, APIC_INHIBIT_IRQ_WINDOW, VLAPIC_MODE_XAPIC, true);
    CHECK(!a.on && a.why_not == APIC_INHIBIT_IRQ_WINDOW);
    a = decide(&avic, APIC_INHIBIT_ID_TOO_BIG, VLAPIC_MODE_XAPIC, true);
    CHECK(!a.on && a.why_not == APIC_INHIBIT_ID_TOO_BIG);
    a = decide(&vmx_full, APIC_INHIBIT_IRQ_WINDOW, VLAPIC_MODE_XAPIC, false);
    CHECK(a.on && a.ipi);       /* VMX injects ExtINT beside virtual-interrupt delivery */
    a = decide(&vmx_full, APIC_INHIBIT_CONFIG, VLAPIC_MODE_XAPIC, false);
    CHECK(!a.on && a.why_not == APIC_INHIBIT_CONFIG);
    /* The activation, not the mask, is the authority: an inactive VM whose
     * mask was just cleared stays off until the toggle is applied. */
    struct apic_accel_input in = { .vm_active = false, .vm_reasons = 0,
                                   .mode = VLAPIC_MODE_XAPIC };
    a = apic_accel_decide(&avic, &in);
    CHECK(!a.on);
}

static void test_page_rule(void)
{
    enum vlapic_mode m[4] = { VLAPIC_MODE_XAPIC, VLAPIC_MODE_XAPIC, VLAPIC_MODE_XAPIC,
                              VLAPIC_MODE_XAPIC };
    uint64_t b[4] = { APIC_DEFAULT_BASE, APIC_DEFAULT_BASE, APIC_DEFAULT_BASE,
                      APIC_DEFAULT_BASE };
    CHECK(apic_accel_page_mapped(&vmx_bochs, true, m, b, 4));
    CHECK(!apic_accel_page_mapped(&vmx_bochs, false, m, b, 4));
    CHECK(!apic_accel_page_mapped(&none, true, m, b, 4));
    CHECK(!apic_accel_page_mapped(&vmx_bochs, true, m, b, 0));
    for (unsigned i = 0; i < 4; i++) {
        /* One vCPU entering x2APIC mode, disabling its APIC or moving it
         * takes the page away from all (it would see a virtual APIC). */
        m[i] = VLAPIC_MODE_X2APIC;
        CHECK(!apic_accel_page_mapped(&vmx_bochs, true, m, b, 4));
        m[i] = VLAPIC_MODE_DISABLED;
        CHECK(!apic_accel_page_mapped(&vmx_bochs, true, m, b, 4));
        m[i] = VLAPIC_MODE_XAPIC;
        b[i] = 0xfec00000ull;
        CHECK(!apic_accel_page_mapped(&vmx_bochs, true, m, b, 4));
        b[i] = APIC_DEFAULT_BASE;
        CHECK(apic_accel_page_mapped(&vmx_bochs, true, m, b, 4));
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
    test_page_rule();
    test_view_reasons();
    test_names();
    return check_report("test_apic_accel");
}
