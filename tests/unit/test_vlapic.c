/* SPDX-License-Identifier: MIT */
/* Host unit tests for the vLAPIC register interfaces and IA32_APIC_BASE
 * (apic/vlapic.c).  Interrupt flow: test_vlapic_intr.c; timer:
 * test_vlapic_timer.c. */
#include "check.h"
#include "test_vlapic_fake.h"

#define GP VLAPIC_GP
#define LVR_VALUE 0x01060014u   /* version 14H, 7 LVT entries, EOI suppression */

/* ---- reset values ------------------------------------------------------------- */

struct reg_val {
    uint32_t off, val;
};

static const struct reg_val reset_values[] = {
    { APIC_ID, 0x03000000 }, { APIC_LVR, LVR_VALUE }, { APIC_TPR, 0 }, { APIC_APR, 0 },
    { APIC_PPR, 0 }, { APIC_EOI, 0 }, { APIC_RRD, 0 }, { APIC_LDR, 0 },
    { APIC_DFR, 0xffffffff }, { APIC_SVR, 0xff }, { APIC_ESR, 0 },
    { APIC_LVT_CMCI, 0x10000 }, { APIC_ICR, 0 }, { APIC_ICR2, 0 },
    { APIC_LVT_TIMER, 0x10000 }, { APIC_LVT_THERMAL, 0x10000 }, { APIC_LVT_PERF, 0x10000 },
    { APIC_LVT_LINT0, 0x10000 }, { APIC_LVT_LINT1, 0x10000 }, { APIC_LVT_ERROR, 0x10000 },
    { APIC_TMICT, 0 }, { APIC_TMCCT, 0 }, { APIC_TDCR, 0 },
};

static void check_reset_values(uint32_t id_reg)
{
    size_t i;
    uint32_t off;

    for (i = 0; i < sizeof(reset_values) / sizeof(reset_values[0]); i++)
        CHECK_EQ(rd(reset_values[i].off),
                 reset_values[i].off == APIC_ID ? id_reg : reset_values[i].val);
    for (off = APIC_ISR; off < APIC_IRR + 0x80; off += 0x10)
        CHECK_EQ(rd(off), 0);
}

static void test_power_on(void)
{
    struct vlapic_config c = default_cfg();

    setup();
    CHECK_EQ(vlapic_get_apic_base(&vl), 0xfee00900);
    CHECK_EQ(vlapic_get_mode(&vl), VLAPIC_MODE_XAPIC);
    CHECK(!vlapic_sw_enabled(&vl));
    CHECK_EQ(fk.nmode + fk.timer_changes + fk.dest_changes + fk.nsent, 0);
    check_reset_values(0x03000000);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(vlapic_events(&vl), 0);
    c.bsp = false;
    c.apic_id = 0x1ab;                  /* xAPIC shows bits 7:0 */
    setup_cfg(&c);
    CHECK_EQ(vlapic_get_apic_base(&vl), 0xfee00800);
    CHECK_EQ(rd(APIC_ID), 0xab000000);
    CHECK_EQ(vlapic_get_id(&vl), 0xab);
}

/* ---- xAPIC MMIO ------------------------------------------------------------------ */

static bool slot_exists(uint32_t off)
{
    static const uint32_t regs[] = {
        APIC_ID, APIC_LVR, APIC_TPR, APIC_APR, APIC_PPR, APIC_EOI, APIC_RRD, APIC_LDR,
        APIC_DFR, APIC_SVR, APIC_ESR, APIC_LVT_CMCI, APIC_ICR, APIC_ICR2, APIC_LVT_TIMER,
        APIC_LVT_THERMAL, APIC_LVT_PERF, APIC_LVT_LINT0, APIC_LVT_LINT1, APIC_LVT_ERROR,
        APIC_TMICT, APIC_TMCCT, APIC_TDCR,
    };
    size_t i;

    if (off >= APIC_ISR && off < APIC_IRR + 0x80)
        return true;
    for (i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        if (regs[i] == off)
            return true;
    return false;
}

/* Every 16-byte slot of the page: reserved ones read 0 and set ESR bit 7. */
static void test_mmio_read_all_slots(void)
{
    uint32_t off, v;

    setup();
    sw_enable();
    for (off = 0; off < 0x1000; off += 0x10) {
        v = 0x12345678;
        CHECK_EQ(vlapic_mmio_read(&vl, off, 4, &v), VLAPIC_OK);
        if (!slot_exists(off))
            CHECK_EQ(v, 0);
        CHECK_EQ(esr(), slot_exists(off) ? 0 : APIC_ESR_ILLEGAL_REG);
    }
}

/* Writes to reserved slots are dropped and set ESR bit 7; the page stays 0. */
static void test_mmio_write_reserved_slots(void)
{
    uint32_t off;

    setup();
    sw_enable();
    for (off = 0; off < 0x1000; off += 0x10) {
        if (slot_exists(off))
            continue;
        wr(off, 0xffffffff);
        CHECK_EQ(page[off / 4], 0);
        CHECK_EQ(esr(), APIC_ESR_ILLEGAL_REG);
    }
}

struct wr_case {
    uint32_t off, val, expect;
};

/* One 32-bit write on a fresh, software-enabled APIC, then a read back. */
static const struct wr_case xapic_writes[] = {
    { APIC_ID, 0xffffffff, 0xff000000 },
    { APIC_ID, 0x0000ffff, 0 },
    { APIC_LVR, 0, LVR_VALUE },
    { APIC_TPR, 0xffffffff, 0xff },
    { APIC_TPR, 0x12345620, 0x20 },
    { APIC_APR, 0x55, 0 },
    { APIC_PPR, 0x55, 0 },
    { APIC_EOI, 0xffffffff, 0 },
    { APIC_RRD, 0xffffffff, 0 },
    { APIC_LDR, 0xffffffff, 0xff000000 },
    { APIC_LDR, 0x01ffffff, 0x01000000 },
    { APIC_DFR, 0, 0x0fffffff },
    { APIC_DFR, 0x5abcdef0, 0x5fffffff },
    { APIC_SVR, 0xffffffff, 0x13ff },
    { APIC_SVR, 0x000001ef, 0x1ef },
    { APIC_ISR, 0xffffffff, 0 },
    { APIC_ISR + 0x70, 0xffffffff, 0 },
    { APIC_TMR, 0xffffffff, 0 },
    { APIC_IRR, 0xffffffff, 0 },
    { APIC_IRR + 0x70, 0xffffffff, 0 },
    { APIC_ESR, 0xffffffff, 0 },
    { APIC_LVT_CMCI, 0xffffffff, 0x107ff },
    { APIC_LVT_CMCI, 0x000002f0, 0x2f0 },
    { APIC_LVT_TIMER, 0xffffffff, 0x100ff },  /* mode 11b reserved: kept */
    { APIC_LVT_TIMER, 0x000200ef, 0x200ef },
    { APIC_LVT_TIMER, 0x000400ef, 0x400ef },
    { APIC_LVT_TIMER, 0x0000ffef, 0xef },
    { APIC_LVT_THERMAL, 0xffffffff, 0x107ff },
    { APIC_LVT_PERF, 0xffffffff, 0x107ff },
    { APIC_LVT_PERF, 0x00000400, 0x400 },
    { APIC_LVT_LINT0, 0xffffffff, 0x1a7ff },
    { APIC_LVT_LINT0, 0x00000700, 0x700 },
    { APIC_LVT_LINT1, 0xffffffff, 0x1a7ff },
    { APIC_LVT_LINT1, 0x00002400, 0x2400 },
    { APIC_LVT_ERROR, 0xffffffff, 0x100ff },
    { APIC_LVT_ERROR, 0x000000fe, 0xfe },
    { APIC_ICR2, 0xffffffff, 0xff000000 },
    { APIC_ICR2, 0x12345678, 0x12000000 },
    { APIC_TMICT, 0x12345678, 0x12345678 },
    { APIC_TMCCT, 0x12345678, 0 },
    { APIC_TDCR, 0xffffffff, 0xb },
    { APIC_TDCR, 0x00000004, 0 },
    { APIC_ICR, 0xffffffff, 0x000ccfff },    /* busy bit 12 never reads 1 */
    { APIC_ICR, 0x000040fd, 0x40fd },
};

static void test_mmio_writes(void)
{
    size_t i;

    for (i = 0; i < sizeof(xapic_writes) / sizeof(xapic_writes[0]); i++) {
        const struct wr_case *c = &xapic_writes[i];

        setup();
        sw_enable();
        CHECK_EQ(vlapic_mmio_write(&vl, c->off, 4, c->val), VLAPIC_OK);
        CHECK_EQ(rd(c->off), c->expect);
        CHECK_EQ(esr(), 0);
    }
}

/* TSC-deadline mode bit is reserved when the CPU does not offer it. */
static void test_mmio_timer_no_deadline(void)
{
    struct vlapic_config c = default_cfg();

    c.tsc_deadline_allowed = false;
    setup_cfg(&c);
    sw_enable();
    wr(APIC_LVT_TIMER, 0x000400ef);
    CHECK_EQ(rd(APIC_LVT_TIMER), 0xef);
    wr(APIC_LVT_TIMER, 0x000600ef);
    CHECK_EQ(rd(APIC_LVT_TIMER), 0x200ef);
}

static uint32_t rdn(uint32_t off, unsigned size)
{
    uint32_t v = 0xdeadbeef;

    CHECK_EQ(vlapic_mmio_read(&vl, off, size, &v), VLAPIC_OK);
    return v;
}

static void test_mmio_partial(void)
{
    setup();
    sw_enable();
    CHECK_EQ(rdn(0x30, 1), 0x14);
    CHECK_EQ(rdn(0x31, 1), 0x00);
    CHECK_EQ(rdn(0x32, 1), 0x06);
    CHECK_EQ(rdn(0x33, 1), 0x01);
    CHECK_EQ(rdn(0x34, 1), 0);
    CHECK_EQ(rdn(0x3f, 1), 0);
    CHECK_EQ(rdn(0x32, 2), 0x0106);
    CHECK_EQ(rdn(0x30, 2), 0x0014);
    CHECK_EQ(rdn(0x31, 4), 0x00010600);
    CHECK_EQ(rdn(0x2e, 4), 0x00140000);  /* spans the ID and LVR slots */
    CHECK_EQ(esr(), 0);
    CHECK_EQ(rdn(0x3e, 4), 0);           /* spans LVR and reserved 0x40 */
    CHECK_EQ(esr(), APIC_ESR_ILLEGAL_REG);
    CHECK_EQ(rdn(0x23, 1), 0x03);
    /* Partial and unaligned writes are ignored, without an error. */
    CHECK_EQ(vlapic_mmio_write(&vl, APIC_TPR, 1, 0x80), VLAPIC_OK);
    CHECK_EQ(vlapic_mmio_write(&vl, APIC_TPR, 2, 0x80), VLAPIC_OK);
    CHECK_EQ(vlapic_mmio_write(&vl, APIC_TPR + 1, 1, 0x80), VLAPIC_OK);
    CHECK_EQ(vlapic_mmio_write(&vl, APIC_TPR + 4, 4, 0x80), VLAPIC_OK);
    CHECK_EQ(vlapic_mmio_write(&vl, APIC_TPR + 12, 4, 0x80), VLAPIC_OK);
    CHECK_EQ(rd(APIC_TPR), 0);
    CHECK_EQ(page[(APIC_TPR + 4) / 4], 0);
    CHECK_EQ(esr(), 0);
    /* ... but touching a reserved slot is still an illegal register access. */
    CHECK_EQ(vlapic_mmio_write(&vl, 0x40, 1, 0x80), VLAPIC_OK);
    CHECK_EQ(esr(), APIC_ESR_ILLEGAL_REG);
    CHECK_EQ(vlapic_mmio_write(&vl, 0x3e, 4, 0x80), VLAPIC_OK);
    CHECK_EQ(esr(), APIC_ESR_ILLEGAL_REG);
}

static void test_mmio_bad_access(void)
{
    static const unsigned bad_sizes[] = { 0, 3, 5, 8, 16 };
    uint32_t v = 0;
    size_t i;

    setup();
    for (i = 0; i < sizeof(bad_sizes) / sizeof(bad_sizes[0]); i++) {
        CHECK_EQ(vlapic_mmio_read(&vl, APIC_TPR, bad_sizes[i], &v), VLAPIC_BAD_ACCESS);
        CHECK_EQ(vlapic_mmio_write(&vl, APIC_TPR, bad_sizes[i], 0), VLAPIC_BAD_ACCESS);
    }
    CHECK_EQ(vlapic_mmio_read(&vl, 0x1000, 4, &v), VLAPIC_BAD_ACCESS);
    CHECK_EQ(vlapic_mmio_read(&vl, 0xffe, 4, &v), VLAPIC_BAD_ACCESS);
    CHECK_EQ(vlapic_mmio_write(&vl, 0xfff, 2, 0), VLAPIC_BAD_ACCESS);
    CHECK_EQ(vlapic_mmio_read(&vl, 0xffc, 4, &v), VLAPIC_OK);
    CHECK_EQ(vlapic_mmio_read(&vl, 0xfff, 1, &v), VLAPIC_OK);
    /* Not in xAPIC mode: refused. */
    go_x2apic();
    CHECK_EQ(vlapic_mmio_read(&vl, APIC_TPR, 4, &v), VLAPIC_NOT_XAPIC);
    CHECK_EQ(vlapic_mmio_write(&vl, APIC_TPR, 4, 0x20), VLAPIC_NOT_XAPIC);
    CHECK_EQ(vlapic_get_tpr(&vl), 0);
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK_EQ(vlapic_mmio_read(&vl, APIC_TPR, 4, &v), VLAPIC_NOT_XAPIC);
    CHECK_EQ(vlapic_mmio_write(&vl, APIC_TPR, 4, 0x20), VLAPIC_NOT_XAPIC);
}

/* ---- x2APIC MSRs (SDM table 11-6) ------------------------------------------------ */

enum { RO = 1, RW = 2, WO = 3, ICR64 = 4 };

struct msr_case {
    uint32_t msr;
    int kind;
    uint64_t reset;            /* read value on a fresh, enabled x2APIC (RO/RW) */
    uint64_t good, readback;   /* an allowed write and what reads back (RW/WO) */
    uint64_t bad;              /* a write with a reserved bit (RW/WO) */
};

static const struct msr_case msr_cases[] = {
    { 0x802, RO, 3, 0, 0, 0 },
    { 0x803, RO, LVR_VALUE, 0, 0, 0 },
    { 0x808, RW, 0, 0x40, 0x40, 0x100 },
    { 0x80a, RO, 0, 0, 0, 0 },
    { 0x80b, WO, 0, 0, 0, 1 },
    { 0x80d, RO, 0x8, 0, 0, 0 },
    { 0x80f, RW, 0x1ff, 0x13ff, 0x13ff, 0x400 },
    { 0x828, RW, 0, 0, 0, 1 },
    { 0x830, ICR64, 0, 0xfedcba98000040f0ull, 0xfedcba98000040f0ull, 1u << 13 },
    { 0x82f, RW, 0x10000, 0x10200, 0x10200, 0x800 },
    { 0x832, RW, 0x10000, 0x200f0, 0x200f0, 0x60000 },
    { 0x833, RW, 0x10000, 0x4f0, 0x4f0, 0x20000 },
    { 0x834, RW, 0x10000, 0x104f0, 0x104f0, 0x800 },
    { 0x835, RW, 0x10000, 0xa7f0, 0xa7f0, 0x800 },
    { 0x836, RW, 0x10000, 0x12400, 0x12400, 0x20000 },
    { 0x837, RW, 0x10000, 0xf3, 0xf3, 0x400 },
    { 0x838, RW, 0, 0x100, 0x100, 1ull << 32 },
    { 0x839, RO, 0, 0, 0, 0 },
    { 0x83e, RW, 0, 0xb, 0xb, 0x4 },
    { 0x83f, WO, 0, 0x40, 0, 0x100 },
};

static const struct msr_case *find_msr(uint32_t msr)
{
    size_t i;

    for (i = 0; i < sizeof(msr_cases) / sizeof(msr_cases[0]); i++)
        if (msr_cases[i].msr == msr)
            return &msr_cases[i];
    if (msr >= 0x810 && msr <= 0x827) {
        static struct msr_case vec;

        vec.msr = msr;
        vec.kind = RO;
        return &vec;
    }
    return NULL;
}

static void fresh_x2apic(void)
{
    setup();
    go_x2apic();
    sw_enable();
    clear_records();
}

static void check_msr(uint32_t msr)
{
    const struct msr_case *c = find_msr(msr);
    uint64_t v;

    fresh_x2apic();
    if (!c) {                           /* reserved: #GP both ways */
        CHECK_EQ(vlapic_msr_read(&vl, msr, &v), GP);
        CHECK_EQ(vlapic_msr_write(&vl, msr, 0), GP);
        CHECK_EQ(vlapic_msr_write(&vl, msr, 1), GP);
        return;
    }
    if (c->kind == WO) {
        CHECK_EQ(vlapic_msr_read(&vl, msr, &v), GP);
    } else {
        CHECK_EQ(vlapic_msr_read(&vl, msr, &v), VLAPIC_OK);
        CHECK_EQ(v, c->reset);
    }
    if (c->kind == RO) {
        CHECK_EQ(vlapic_msr_write(&vl, msr, 0), GP);
        CHECK_EQ(vlapic_msr_write(&vl, msr, c->reset), GP);
        return;
    }
    CHECK_EQ(vlapic_msr_write(&vl, msr, c->bad), GP);
    if (c->kind != ICR64)
        CHECK_EQ(vlapic_msr_write(&vl, msr, c->good | (1ull << 40)), GP);  /* 63:32 */
    if (c->kind != WO)
        CHECK_EQ(rdmsr(msr), c->reset);
    CHECK_EQ(vlapic_msr_write(&vl, msr, c->good), VLAPIC_OK);
    if (c->kind != WO)
        CHECK_EQ(rdmsr(msr), c->readback);
}

static void test_msr_all(void)
{
    uint32_t msr;
    uint64_t v;

    for (msr = 0x800; msr <= 0x8ff; msr++)
        check_msr(msr);
    fresh_x2apic();
    CHECK_EQ(vlapic_msr_read(&vl, 0x7ff, &v), GP);
    CHECK_EQ(vlapic_msr_read(&vl, 0x900, &v), GP);
    CHECK_EQ(vlapic_msr_write(&vl, 0xbff, 0), GP);
    /* Not in x2APIC mode (SDM 11.12.2): every MSR is #GP. */
    setup();
    sw_enable();
    CHECK_EQ(vlapic_msr_read(&vl, 0x802, &v), GP);
    CHECK_EQ(vlapic_msr_write(&vl, 0x808, 0), GP);
    CHECK_EQ(vlapic_msr_write(&vl, 0x830, 0x4040), GP);
    CHECK_EQ(fk.nsent, 0);
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK_EQ(vlapic_msr_read(&vl, 0x803, &v), GP);
}

/* Side effects through the MSR interface. */
static void test_msr_side_effects(void)
{
    uint64_t v;

    fresh_x2apic();
    CHECK(vlapic_accept(&vl, 0x50, true));
    vlapic_ack(&vl, 0x50);
    CHECK_EQ(rdmsr(0x80a), 0x50);                   /* PPR */
    CHECK_EQ(rdmsr(0x810 + 2), 1u << 16);           /* ISR bits 95:64 */
    CHECK_EQ(rdmsr(0x818 + 2), 1u << 16);           /* TMR */
    CHECK_EQ(vlapic_msr_write(&vl, 0x80b, 0), VLAPIC_OK);
    CHECK_EQ(rdmsr(0x810 + 2), 0);
    CHECK_EQ(fk.neoi, 1);
    CHECK_EQ(fk.eoi[0], 0x50);
    /* TMCCT counts; TDCR reads back. */
    CHECK_EQ(vlapic_msr_write(&vl, 0x838, 1000), VLAPIC_OK);
    fk.tsc += 2 * 300;
    CHECK_EQ(rdmsr(0x839), 700);
    /* x2APIC ID is read-only and 32 bits wide. */
    CHECK_EQ(vlapic_msr_write(&vl, 0x802, 7), GP);
    CHECK_EQ(vlapic_msr_read(&vl, 0x802, &v), VLAPIC_OK);
    CHECK_EQ(v, 3);
    /* LVT read-only bits (delivery status, remote IRR) are ignored. */
    CHECK_EQ(vlapic_msr_write(&vl, 0x835, 0x150f0 | APIC_LVT_PENDING), VLAPIC_OK);
    CHECK_EQ(rdmsr(0x835), 0x100f0);
}

/* ---- IA32_APIC_BASE ------------------------------------------------------------- */

static const uint64_t bits_of[4] = { 0, APIC_BASE_EN, APIC_BASE_EXTD,
                                     APIC_BASE_EN | APIC_BASE_EXTD };

struct base_case {
    enum vlapic_mode from;
    unsigned target;            /* index into bits_of */
    bool allowed;
    int rc;
    enum vlapic_mode to;
};

#define D VLAPIC_MODE_DISABLED
#define X VLAPIC_MODE_XAPIC
#define X2 VLAPIC_MODE_X2APIC
static const struct base_case base_cases[] = {
    { D, 0, true, 0, D },  { D, 1, true, 0, X },  { D, 2, true, GP, D },  { D, 3, true, GP, D },
    { X, 0, true, 0, D },  { X, 1, true, 0, X },  { X, 2, true, GP, X },  { X, 3, true, 0, X2 },
    { X2, 0, true, 0, D }, { X2, 1, true, GP, X2 }, { X2, 2, true, GP, X2 }, { X2, 3, true, 0, X2 },
    { D, 0, false, 0, D }, { D, 1, false, 0, X }, { D, 2, false, GP, D }, { D, 3, false, GP, D },
    { X, 0, false, 0, D }, { X, 1, false, 0, X }, { X, 2, false, GP, X }, { X, 3, false, GP, X },
};

static void enter_mode(enum vlapic_mode m)
{
    if (m == D)
        CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    else if (m == X2)
        CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE | APIC_BASE_EN | APIC_BASE_EXTD),
                 VLAPIC_OK);
    CHECK_EQ(vlapic_get_mode(&vl), m);
}

static void test_apic_base_transitions(void)
{
    size_t i;

    for (i = 0; i < sizeof(base_cases) / sizeof(base_cases[0]); i++) {
        const struct base_case *c = &base_cases[i];
        struct vlapic_config cfg = default_cfg();
        uint64_t before, v = APIC_DEFAULT_BASE | bits_of[c->target];

        cfg.x2apic_allowed = c->allowed;
        setup_cfg(&cfg);
        enter_mode(c->from);
        before = vlapic_get_apic_base(&vl);
        clear_records();
        CHECK_EQ(vlapic_set_apic_base(&vl, v), c->rc);
        CHECK_EQ(vlapic_get_mode(&vl), c->to);
        CHECK_EQ(vlapic_get_apic_base(&vl), c->rc ? before : v | APIC_BASE_BSP);
        CHECK_EQ(fk.nmode, c->to != c->from ? 1 : 0);
        if (c->to != c->from) {
            CHECK_EQ(fk.mode_old[0], c->from);
            CHECK_EQ(fk.mode_new[0], c->to);
            CHECK(fk.dest_changes > 0);
        }
    }
}

/* Each IA32_APIC_BASE bit set alone on top of EN (xAPIC, MAXPHYADDR 48). */
static void test_apic_base_bits(void)
{
    unsigned bit;

    for (bit = 0; bit < 64; bit++) {
        uint64_t v = APIC_DEFAULT_BASE | APIC_BASE_EN | (1ull << bit);
        bool rsvd = bit <= 7 || bit == 9 || bit >= 48;

        setup();
        CHECK_EQ(vlapic_set_apic_base(&vl, v), rsvd ? GP : VLAPIC_OK);
        if (rsvd)
            CHECK_EQ(vlapic_get_apic_base(&vl), 0xfee00900);
        else
            CHECK_EQ(vlapic_get_apic_base(&vl), v | APIC_BASE_BSP);
    }
}

static void test_apic_base_maxphyaddr_bsp(void)
{
    struct vlapic_config c = default_cfg();

    c.maxphyaddr = 36;
    setup_cfg(&c);
    CHECK_EQ(vlapic_set_apic_base(&vl, (1ull << 36) | APIC_BASE_EN), GP);
    CHECK_EQ(vlapic_set_apic_base(&vl, (1ull << 35) | APIC_BASE_EN), VLAPIC_OK);
    CHECK_EQ(vlapic_base_address(&vl), 1ull << 35);
    /* BSP is read-only: clearing it is ignored, and so is setting it. */
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE | APIC_BASE_EN), VLAPIC_OK);
    CHECK_EQ(vlapic_get_apic_base(&vl), 0xfee00900);
    c.bsp = false;
    setup_cfg(&c);
    CHECK_EQ(vlapic_set_apic_base(&vl, 0xfee00900), VLAPIC_OK);
    CHECK_EQ(vlapic_get_apic_base(&vl), 0xfee00800);
}

static void test_apic_base_move(void)
{
    setup();
    CHECK_EQ(vlapic_set_apic_base(&vl, 0xfed00000 | APIC_BASE_EN), VLAPIC_OK);
    CHECK_EQ(fk.nmode, 1);
    CHECK_EQ(fk.mode_old[0], X);
    CHECK_EQ(fk.mode_new[0], X);
    CHECK_EQ(vlapic_base_address(&vl), 0xfed00000);
    CHECK_EQ(vlapic_set_apic_base(&vl, 0xfed00000 | APIC_BASE_EN), VLAPIC_OK);
    CHECK_EQ(fk.nmode, 1);              /* no change, no report */
    CHECK_EQ(vlapic_set_apic_base(&vl, 0xfed00000 | APIC_BASE_EN | APIC_BASE_EXTD), 0);
    CHECK_EQ(vlapic_set_apic_base(&vl, 0xfec00000 | APIC_BASE_EN | APIC_BASE_EXTD), 0);
    CHECK_EQ(fk.nmode, 3);
    CHECK_EQ(fk.mode_old[2], X2);
    CHECK_EQ(fk.mode_new[2], X2);
}

/* Disabling and enabling again gives the power-on state with the initial ID. */
static void test_reenable_resets(void)
{
    setup();
    sw_enable();
    wr(APIC_ID, 0x7f000000);
    wr(APIC_TPR, 0x30);
    wr(APIC_LDR, 0x01000000);
    wr(APIC_DFR, 0x0fffffff);
    wr(APIC_LVT_LINT0, 0x700);
    wr(APIC_TDCR, 0xb);
    wr(APIC_TMICT, 1000);
    CHECK(vlapic_accept(&vl, 0x40, false));
    CHECK_EQ(vlapic_get_id(&vl), 0x7f);
    CHECK(vlapic_timer_deadline(&vl) != 0);
    clear_records();
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(fk.timer_changes, 1);
    CHECK_EQ(vlapic_highest_pending(&vl), -1);
    CHECK(!vlapic_accept(&vl, 0x41, false));
    CHECK_EQ(vlapic_get_id(&vl), 3);
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE | APIC_BASE_EN), VLAPIC_OK);
    check_reset_values(0x03000000);
    CHECK(!vlapic_sw_enabled(&vl));
    CHECK_EQ(fk.nmode, 2);
}

static const struct {
    uint32_t id, ldr;
} ldr_cases[] = {
    { 0, 0x00000001 },   { 1, 0x00000002 },   { 0xf, 0x00008000 },  { 0x10, 0x00010001 },
    { 0x1f, 0x00018000 }, { 0x12345, 0x12340020 }, { 0xfffffffe, 0xffff4000 },
    { 0x1234, 0x01230010 },
};

static void test_x2apic_ids(void)
{
    size_t i;

    for (i = 0; i < sizeof(ldr_cases) / sizeof(ldr_cases[0]); i++) {
        struct vlapic_config c = default_cfg();

        CHECK_EQ(vlapic_x2apic_ldr(ldr_cases[i].id), ldr_cases[i].ldr);
        c.apic_id = ldr_cases[i].id;
        setup_cfg(&c);
        CHECK_EQ(rd(APIC_ID), ldr_cases[i].id << 24);
        go_x2apic();
        CHECK_EQ(rdmsr(0x802), ldr_cases[i].id);
        CHECK_EQ(rdmsr(0x80d), ldr_cases[i].ldr);
        CHECK_EQ(vlapic_get_id(&vl), ldr_cases[i].id);
        CHECK_EQ(vlapic_get_ldr(&vl), ldr_cases[i].ldr);
        /* Out via disabled: the xAPIC ID is the low 8 bits again. */
        CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
        CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE | APIC_BASE_EN), VLAPIC_OK);
        CHECK_EQ(rd(APIC_ID), ldr_cases[i].id << 24);
        CHECK_EQ(vlapic_get_id(&vl), ldr_cases[i].id & 0xff);
    }
}

/* xAPIC -> x2APIC keeps the programmable registers; the ID and LDR change. */
static void test_xapic_to_x2apic_keeps(void)
{
    setup();
    sw_enable();
    wr(APIC_ID, 0x55000000);
    wr(APIC_TPR, 0x20);
    wr(APIC_LVT_LINT1, 0x400);
    wr(APIC_ICR2, 0x7f000000);
    CHECK(vlapic_accept(&vl, 0x99, false));
    go_x2apic();
    CHECK_EQ(rdmsr(0x802), 3);
    CHECK_EQ(rdmsr(0x80d), 0x8);
    CHECK_EQ(rdmsr(0x808), 0x20);
    CHECK_EQ(rdmsr(0x836), 0x400);
    CHECK_EQ(rdmsr(0x80f), 0x1ff);
    CHECK_EQ(vlapic_highest_pending(&vl), 0x99);
    CHECK_EQ(rdmsr(0x830) >> 32, 0);
}

/* ---- RESET and INIT --------------------------------------------------------------- */

static void dirty(void)
{
    sw_enable();
    wr(APIC_TPR, 0x30);
    wr(APIC_LVT_TIMER, 0x20040);
    wr(APIC_TMICT, 500);
    wr(APIC_DFR, 0x0fffffff);
    wr(APIC_LDR, 0x02000000);
    CHECK(vlapic_accept(&vl, 0x80, false));
    vlapic_ack(&vl, 0x80);
    CHECK(vlapic_accept(&vl, 0x81, false));
}

static void test_init_xapic(void)
{
    setup();
    CHECK_EQ(vlapic_set_apic_base(&vl, 0xfed00000 | APIC_BASE_EN), VLAPIC_OK);
    dirty();
    wr(APIC_ID, 0x09000000);
    clear_records();
    vlapic_reset(&vl, true);
    CHECK_EQ(vlapic_get_apic_base(&vl), 0xfed00900);
    CHECK_EQ(vlapic_get_mode(&vl), X);
    check_reset_values(0x09000000);
    CHECK_EQ(fk.nmode, 0);
    CHECK_EQ(fk.timer_changes, 1);
    CHECK_EQ(vlapic_timer_deadline(&vl), 0);
    CHECK_EQ(vlapic_highest_pending(&vl), -1);
}

static void test_init_x2apic_and_disabled(void)
{
    setup();
    go_x2apic();
    sw_enable();
    (void)vlapic_msr_write(&vl, 0x808, 0x40);
    vlapic_reset(&vl, true);
    CHECK_EQ(vlapic_get_mode(&vl), X2);
    CHECK_EQ(rdmsr(0x802), 3);
    CHECK_EQ(rdmsr(0x80d), 8);
    CHECK_EQ(rdmsr(0x808), 0);
    CHECK_EQ(rdmsr(0x80f), 0xff);
    CHECK_EQ(rdmsr(0x835), 0x10000);
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    vlapic_reset(&vl, true);
    CHECK_EQ(vlapic_get_mode(&vl), D);
    CHECK_EQ(vlapic_get_apic_base(&vl), 0xfee00100);
}

static void test_reset_from_x2apic(void)
{
    setup();
    CHECK_EQ(vlapic_set_apic_base(&vl, 0xfed00000 | APIC_BASE_EN | APIC_BASE_EXTD), 0);
    vl.nmi_pending = true;
    vl.sipi_pending = true;
    clear_records();
    vlapic_reset(&vl, false);
    CHECK_EQ(vlapic_get_mode(&vl), X);
    CHECK_EQ(vlapic_get_apic_base(&vl), 0xfee00900);
    CHECK_EQ(fk.nmode, 1);
    CHECK_EQ(fk.mode_old[0], X2);
    CHECK_EQ(fk.mode_new[0], X);
    CHECK_EQ(vlapic_events(&vl), 0);
    check_reset_values(0x03000000);
    /* From disabled too. */
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    vlapic_reset(&vl, false);
    CHECK_EQ(vlapic_get_mode(&vl), X);
}

/* ---- SVR, software disable ---------------------------------------------------------- */

static void test_svr_disable_masks_lvts(void)
{
    static const uint32_t lvts[] = { APIC_LVT_CMCI, APIC_LVT_TIMER, APIC_LVT_THERMAL,
                                     APIC_LVT_PERF, APIC_LVT_LINT0, APIC_LVT_LINT1,
                                     APIC_LVT_ERROR };
    size_t i;

    setup();
    /* Software disabled from reset: LVT writes cannot clear the mask. */
    for (i = 0; i < 7; i++) {
        wr(lvts[i], 0x40);
        CHECK_EQ(rd(lvts[i]), 0x10040);
    }
    sw_enable();
    for (i = 0; i < 7; i++) {
        CHECK_EQ(rd(lvts[i]), 0x10040);     /* enabling does not unmask */
        wr(lvts[i], 0x40);
        CHECK_EQ(rd(lvts[i]), 0x40);
    }
    wr(APIC_SVR, 0xff);                      /* software disable */
    CHECK(!vlapic_sw_enabled(&vl));
    for (i = 0; i < 7; i++) {
        CHECK_EQ(rd(lvts[i]), 0x10040);
        wr(lvts[i], 0x41);
        CHECK_EQ(rd(lvts[i]), 0x10041);
    }
    /* Same in x2APIC mode. */
    go_x2apic();
    CHECK_EQ(vlapic_msr_write(&vl, 0x835, 0x42), VLAPIC_OK);
    CHECK_EQ(rdmsr(0x835), 0x10042);
}

static void test_svr_bits(void)
{
    setup();
    wr(APIC_SVR, 0x11ff);
    CHECK_EQ(rd(APIC_SVR), 0x11ff);
    wr(APIC_SVR, 0x3ff);
    CHECK_EQ(rd(APIC_SVR), 0x3ff);
    wr(APIC_SVR, 0xffffecff);                /* reserved bits dropped */
    CHECK_EQ(rd(APIC_SVR), 0xff);
    go_x2apic();
    CHECK_EQ(vlapic_msr_write(&vl, 0x80f, 0x800), GP);
    CHECK_EQ(vlapic_msr_write(&vl, 0x80f, 0x2000), GP);
    CHECK_EQ(vlapic_msr_write(&vl, 0x80f, 0x13ff), VLAPIC_OK);
    CHECK_EQ(rdmsr(0x80f), 0x13ff);
}

/* ---- destination state --------------------------------------------------------------- */

static void test_dest_view(void)
{
    struct apic_dest_view v;

    setup();
    sw_enable();
    clear_records();
    wr(APIC_ID, 0x21000000);
    wr(APIC_LDR, 0x81000000);
    wr(APIC_DFR, 0x0fffffff);
    CHECK_EQ(fk.dest_changes, 3);
    wr(APIC_TPR, 0x45);
    vlapic_dest_view(&vl, &v);
    CHECK_EQ(v.mode, APIC_DEST_XAPIC);
    CHECK(v.sw_enabled);
    CHECK_EQ(v.arb_priority, 0x45);
    CHECK_EQ(v.id, 0x21);
    CHECK_EQ(v.ldr, 0x81);
    CHECK_EQ(v.dfr, APIC_DFR_CLUSTER);
    CHECK(vlapic_accept(&vl, 0x90, false));
    vlapic_ack(&vl, 0x90);
    CHECK_EQ(vlapic_arb_priority(&vl), 0x90);
    go_x2apic();
    vlapic_dest_view(&vl, &v);
    CHECK_EQ(v.mode, APIC_DEST_X2APIC);
    CHECK_EQ(v.id, 3);
    CHECK_EQ(v.ldr, 8);
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    vlapic_dest_view(&vl, &v);
    CHECK_EQ(v.mode, APIC_DEST_DISABLED);
    CHECK(!v.sw_enabled);
}

int main(void)
{
    test_power_on();
    test_mmio_read_all_slots();
    test_mmio_write_reserved_slots();
    test_mmio_writes();
    test_mmio_timer_no_deadline();
    test_mmio_partial();
    test_mmio_bad_access();
    test_msr_all();
    test_msr_side_effects();
    test_apic_base_transitions();
    test_apic_base_bits();
    test_apic_base_maxphyaddr_bsp();
    test_apic_base_move();
    test_reenable_resets();
    test_x2apic_ids();
    test_xapic_to_x2apic_keeps();
    test_init_xapic();
    test_init_x2apic_and_disabled();
    test_reset_from_x2apic();
    test_svr_disable_masks_lvts();
    test_svr_bits();
    test_dest_view();
    return check_report("test_vlapic");
}
