/* SPDX-License-Identifier: MIT */
/* Host unit tests for the vLAPIC interrupt flow (apic/vlapic_intr.c):
 * acceptance, priorities, EOI, ESR, LVT sources, LINT pins and IPIs. */
#include "check.h"
#include "test_vlapic_fake.h"

#define GP VLAPIC_GP

static void fresh(void)
{
    setup();
    sw_enable();
    clear_records();
}

static void fresh_x2(void)
{
    setup();
    go_x2apic();
    sw_enable();
    clear_records();
}

/* ---- acceptance ------------------------------------------------------------------ */

static void test_accept_vectors(void)
{
    unsigned v;

    fresh();
    for (v = 0; v < 16; v++) {
        CHECK(!vlapic_accept(&vl, (uint8_t)v, false));
        CHECK(!vec_bit(APIC_IRR, v));
        CHECK_EQ(esr(), APIC_ESR_RECV_ILLEGAL_VECTOR);
    }
    for (v = 16; v < 256; v++) {
        CHECK(vlapic_accept(&vl, (uint8_t)v, (v & 1) != 0));
        CHECK(vec_bit(APIC_IRR, v));
        CHECK_EQ(vec_bit(APIC_TMR, v), (v & 1) != 0);
        CHECK(!vlapic_accept(&vl, (uint8_t)v, false));   /* collapses */
    }
    CHECK_EQ(esr(), 0);
    CHECK_EQ(rd(APIC_IRR), 0xffff0000);
    CHECK_EQ(rd(APIC_IRR + 0x70), 0xffffffff);
}

static void test_accept_disabled(void)
{
    setup();                            /* software disabled */
    CHECK(!vlapic_accept(&vl, 0x40, false));
    CHECK(!vlapic_accept(&vl, 0x05, false));
    CHECK_EQ(esr(), 0);                 /* not received at all: no error */
    CHECK_EQ(rd(APIC_IRR + 0x20), 0);
    sw_enable();
    CHECK(vlapic_accept(&vl, 0x40, false));
    wr(APIC_SVR, 0xff);
    CHECK_EQ(vlapic_highest_pending(&vl), 0x40);   /* held IRR still pending */
    CHECK(!vlapic_accept(&vl, 0x41, false));
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK(!vlapic_accept(&vl, 0x42, false));
    CHECK_EQ(vlapic_highest_pending(&vl), -1);
}

static void test_tmr_follows_trigger(void)
{
    fresh();
    CHECK(vlapic_accept(&vl, 0x70, true));
    vlapic_ack(&vl, 0x70);
    CHECK(vec_bit(APIC_TMR, 0x70));
    vlapic_eoi(&vl);
    CHECK(vlapic_accept(&vl, 0x70, false));
    CHECK(!vec_bit(APIC_TMR, 0x70));
}

/* ---- deliver ---------------------------------------------------------------------- */

static struct apic_msg msg(uint8_t dm, uint8_t vector)
{
    struct apic_msg m;

    memset(&m, 0, sizeof(m));
    m.dm = dm;
    m.vector = vector;
    m.assert = true;
    m.source = -1;
    return m;
}

struct deliver_case {
    uint8_t dm;
    bool sw_enabled;
    bool irr;                  /* vector 0x66 pending afterwards */
    unsigned events;
    unsigned smi;
};

static const struct deliver_case deliver_cases[] = {
    { APIC_DM_FIXED, true, true, 0, 0 },
    { APIC_DM_LOWEST, true, true, 0, 0 },
    { APIC_DM_SMI, true, false, 0, 1 },
    { 3, true, false, 0, 0 },
    { APIC_DM_NMI, true, false, VLAPIC_EV_NMI, 0 },
    { APIC_DM_INIT, true, false, VLAPIC_EV_INIT, 0 },
    { APIC_DM_STARTUP, true, false, VLAPIC_EV_SIPI, 0 },
    { APIC_DM_EXTINT, true, false, VLAPIC_EV_EXTINT, 0 },
    { APIC_DM_FIXED, false, false, 0, 0 },
    { APIC_DM_LOWEST, false, false, 0, 0 },
    { APIC_DM_SMI, false, false, 0, 1 },
    { 3, false, false, 0, 0 },
    { APIC_DM_NMI, false, false, VLAPIC_EV_NMI, 0 },
    { APIC_DM_INIT, false, false, VLAPIC_EV_INIT, 0 },
    { APIC_DM_STARTUP, false, false, VLAPIC_EV_SIPI, 0 },
    { APIC_DM_EXTINT, false, false, 0, 0 },
};

static void test_deliver_modes(void)
{
    size_t i;
    uint8_t sv = 0;

    for (i = 0; i < sizeof(deliver_cases) / sizeof(deliver_cases[0]); i++) {
        const struct deliver_case *c = &deliver_cases[i];
        struct apic_msg m = msg(c->dm, 0x66);

        setup();
        if (c->sw_enabled)
            sw_enable();
        vlapic_deliver(&vl, &m);
        CHECK_EQ(vec_bit(APIC_IRR, 0x66), c->irr);
        CHECK_EQ(vlapic_events(&vl), c->events);
        CHECK_EQ(vl.smi_count, c->smi);
        /* Globally disabled: nothing at all. */
        CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
        vl.nmi_pending = vl.init_pending = vl.sipi_pending = vl.extint_pending = false;
        vlapic_deliver(&vl, &m);
        CHECK_EQ(vlapic_events(&vl), 0);
    }
    fresh();
    {
        struct apic_msg m = msg(APIC_DM_STARTUP, 0x9a);

        vlapic_deliver(&vl, &m);
    }
    CHECK(vlapic_take_sipi(&vl, &sv));
    CHECK_EQ(sv, 0x9a);
    CHECK(!vlapic_take_sipi(&vl, &sv));
}

static void test_deliver_level(void)
{
    struct apic_msg m = msg(APIC_DM_FIXED, 0x67);

    fresh();
    m.level = true;                     /* I/O APIC level-triggered */
    vlapic_deliver(&vl, &m);
    CHECK(vec_bit(APIC_IRR, 0x67));
    CHECK(vec_bit(APIC_TMR, 0x67));
    /* Level de-asserts (INIT level de-assert) are ignored. */
    m = msg(APIC_DM_INIT, 0);
    m.level = true;
    m.assert = false;
    vlapic_deliver(&vl, &m);
    CHECK_EQ(vlapic_events(&vl), 0);
    m = msg(APIC_DM_FIXED, 0x68);
    m.level = true;
    m.assert = false;
    vlapic_deliver(&vl, &m);
    CHECK(!vec_bit(APIC_IRR, 0x68));
    /* Illegal vector from outside: ESR receive-illegal. */
    m = msg(APIC_DM_FIXED, 0x0f);
    vlapic_deliver(&vl, &m);
    CHECK_EQ(esr(), APIC_ESR_RECV_ILLEGAL_VECTOR);
}

static void test_take_events(void)
{
    struct apic_msg m;

    fresh();
    m = msg(APIC_DM_NMI, 0);
    vlapic_deliver(&vl, &m);
    vlapic_deliver(&vl, &m);            /* none in service: two are kept */
    vlapic_deliver(&vl, &m);            /* the third collapses */
    m = msg(APIC_DM_INIT, 0);
    vlapic_deliver(&vl, &m);
    m = msg(APIC_DM_EXTINT, 0);
    vlapic_deliver(&vl, &m);
    CHECK_EQ(vlapic_events(&vl), VLAPIC_EV_NMI | VLAPIC_EV_INIT | VLAPIC_EV_EXTINT);
    CHECK(vlapic_take_nmi(&vl));
    CHECK(vlapic_take_nmi(&vl));
    CHECK(!vlapic_take_nmi(&vl));
    CHECK(vlapic_take_init(&vl));
    CHECK(!vlapic_take_init(&vl));
    CHECK(vlapic_take_extint(&vl));
    CHECK(!vlapic_take_extint(&vl));
    CHECK_EQ(vlapic_events(&vl), 0);
    CHECK(!vlapic_take_sipi(&vl, NULL));
}

/* The NMI latch (SDM 6.7.1): one in service and one pending at most. */
static void test_nmi_latch(void)
{
    struct apic_msg m = msg(APIC_DM_NMI, 0);

    fresh();
    vlapic_deliver(&vl, &m);
    CHECK(vlapic_take_nmi(&vl));        /* delivered: in service */
    CHECK_EQ(vl.nmi_held, 1);
    for (unsigned i = 0; i < 10; i++)   /* ten while the handler runs */
        vlapic_deliver(&vl, &m);
    CHECK_EQ(vl.nmi_pending, 1);
    CHECK(vlapic_take_nmi(&vl) == true && vl.nmi_held == 2);
    CHECK(!vlapic_take_nmi(&vl));
    vlapic_deliver(&vl, &m);            /* in service and one held: no room */
    CHECK_EQ(vl.nmi_pending, 0);
    vlapic_set_nmi_held(&vl, 0);        /* both IRETs done */
    vlapic_deliver(&vl, &m);
    vlapic_deliver(&vl, &m);
    vlapic_deliver(&vl, &m);
    CHECK_EQ(vl.nmi_pending, 2);
    vlapic_set_nmi_held(&vl, 7);        /* clamped */
    CHECK_EQ(vl.nmi_held, VLAPIC_NMI_LATCH);
    vlapic_reset(&vl, false);
    CHECK_EQ(vl.nmi_pending, 0);
    CHECK_EQ(vl.nmi_held, 0);
}

/* ---- priorities --------------------------------------------------------------------- */

struct ppr_case {
    uint8_t tpr;
    uint8_t isr[2];            /* 0: none */
    uint8_t ppr;
};

static const struct ppr_case ppr_cases[] = {
    { 0x00, { 0, 0 }, 0x00 },    { 0x35, { 0, 0 }, 0x35 },    { 0x35, { 0x31, 0 }, 0x35 },
    { 0x35, { 0x41, 0 }, 0x40 }, { 0x4f, { 0x41, 0 }, 0x4f }, { 0x00, { 0xef, 0 }, 0xe0 },
    { 0xff, { 0xef, 0 }, 0xff }, { 0x10, { 0x20, 0x80 }, 0x80 }, { 0x9c, { 0x20, 0x80 }, 0x9c },
    { 0x0f, { 0x10, 0 }, 0x10 }, { 0x1f, { 0x10, 0 }, 0x1f },
};

static void test_ppr(void)
{
    size_t i;

    for (i = 0; i < sizeof(ppr_cases) / sizeof(ppr_cases[0]); i++) {
        const struct ppr_case *c = &ppr_cases[i];
        unsigned k;

        fresh();
        for (k = 0; k < 2; k++)
            if (c->isr[k]) {
                CHECK(vlapic_accept(&vl, c->isr[k], false));
                vlapic_ack(&vl, c->isr[k]);
            }
        wr(APIC_TPR, c->tpr);
        CHECK_EQ(rd(APIC_PPR), c->ppr);
        CHECK_EQ(vlapic_get_ppr(&vl), c->ppr);
        CHECK_EQ(page[APIC_PPR / 4], c->ppr);
        CHECK_EQ(vlapic_get_tpr(&vl), c->tpr);
    }
}

struct pending_case {
    uint8_t tpr, isr;
    uint8_t irr[3];            /* 0: none */
    int expect;
};

static const struct pending_case pending_cases[] = {
    { 0x00, 0, { 0x30 }, 0x30 },         { 0x30, 0, { 0x30 }, -1 },
    { 0x2f, 0, { 0x30 }, 0x30 },         { 0x30, 0, { 0x3f, 0x41 }, 0x41 },
    { 0x00, 0x50, { 0x45 }, -1 },        { 0x00, 0x50, { 0x60 }, 0x60 },
    { 0x00, 0x50, { 0x5f }, -1 },        { 0x00, 0, { 0 }, -1 },
    { 0xf0, 0, { 0xff }, -1 },           { 0x00, 0, { 0x10, 0xff }, 0xff },
    { 0xef, 0, { 0xff, 0x20 }, 0xff },   { 0x00, 0xf0, { 0xff }, -1 },
    { 0x10, 0, { 0x1f, 0x20, 0x21 }, 0x21 },
    { 0x70, 0x50, { 0x60 }, -1 },        { 0x60, 0x60, { 0x65 }, -1 },
};

static void test_highest_pending(void)
{
    size_t i;

    for (i = 0; i < sizeof(pending_cases) / sizeof(pending_cases[0]); i++) {
        const struct pending_case *c = &pending_cases[i];
        unsigned k;

        fresh();
        if (c->isr) {
            CHECK(vlapic_accept(&vl, c->isr, false));
            vlapic_ack(&vl, c->isr);
        }
        for (k = 0; k < 3; k++)
            if (c->irr[k])
                CHECK(vlapic_accept(&vl, c->irr[k], false));
        vlapic_set_tpr(&vl, c->tpr);
        CHECK_EQ(vlapic_highest_pending(&vl), c->expect);
        /* The one-scan variant agrees, and names the vector TPR alone
         * holds back: IRR's highest, class above ISRV's, not above TPR's. */
        int held, irr = vlapic_highest_irr(&vl);
        CHECK_EQ(vlapic_pending_held(&vl, &held), c->expect);
        bool tpr_only = c->expect < 0 && irr >= 0 && (!c->isr || (irr >> 4) > (c->isr >> 4))
                        && (irr >> 4) <= (c->tpr >> 4);
        CHECK_EQ(held, tpr_only ? irr : -1);
    }
}

struct apr_case {
    uint8_t tpr, isr, irr, apr;
};

static const struct apr_case apr_cases[] = {
    { 0x35, 0, 0, 0x35 },   { 0x35, 0, 0x45, 0x40 }, { 0x35, 0x31, 0, 0x30 },
    { 0x55, 0x31, 0x41, 0x55 }, { 0x00, 0x61, 0x41, 0x60 }, { 0x00, 0, 0x20, 0x20 },
    { 0x2a, 0, 0x2b, 0x2a },
};

static void test_apr(void)
{
    size_t i;

    for (i = 0; i < sizeof(apr_cases) / sizeof(apr_cases[0]); i++) {
        const struct apr_case *c = &apr_cases[i];

        fresh();
        if (c->isr) {
            CHECK(vlapic_accept(&vl, c->isr, false));
            vlapic_ack(&vl, c->isr);
        }
        if (c->irr)
            CHECK(vlapic_accept(&vl, c->irr, false));
        wr(APIC_TPR, c->tpr);
        CHECK_EQ(rd(APIC_APR), c->apr);
    }
}

static void test_cr8(void)
{
    fresh();
    vlapic_set_cr8(&vl, 5);
    CHECK_EQ(rd(APIC_TPR), 0x50);
    CHECK_EQ(vlapic_get_cr8(&vl), 5);
    vlapic_set_tpr(&vl, 0x7a);
    CHECK_EQ(vlapic_get_cr8(&vl), 7);
    CHECK_EQ(rd(APIC_PPR), 0x7a);
    vlapic_set_cr8(&vl, 0x1f);
    CHECK_EQ(rd(APIC_TPR), 0xf0);
    vlapic_set_cr8(&vl, 0);
    CHECK_EQ(rd(APIC_TPR), 0);
}

/* ---- ack / EOI ---------------------------------------------------------------------- */

static void test_ack_eoi(void)
{
    fresh();
    CHECK(vlapic_accept(&vl, 0x40, false));
    CHECK(vlapic_accept(&vl, 0x80, true));
    CHECK_EQ(vlapic_highest_pending(&vl), 0x80);
    vlapic_ack(&vl, 0x80);
    CHECK(vec_bit(APIC_ISR, 0x80));
    CHECK(!vec_bit(APIC_IRR, 0x80));
    CHECK_EQ(rd(APIC_PPR), 0x80);
    CHECK_EQ(vlapic_highest_pending(&vl), -1);     /* 0x40 is below PPR */
    CHECK(vlapic_accept(&vl, 0x90, false));
    CHECK_EQ(vlapic_highest_pending(&vl), 0x90);   /* nests */
    vlapic_ack(&vl, 0x90);
    wr(APIC_EOI, 0x12345678);                      /* any value */
    CHECK(!vec_bit(APIC_ISR, 0x90));
    CHECK(vec_bit(APIC_ISR, 0x80));
    CHECK_EQ(fk.neoi, 0);                          /* 0x90 was edge */
    vlapic_eoi(&vl);
    CHECK_EQ(fk.neoi, 1);
    CHECK_EQ(fk.eoi[0], 0x80);
    CHECK_EQ(rd(APIC_PPR), 0);
    CHECK_EQ(vlapic_highest_pending(&vl), 0x40);
    vlapic_ack(&vl, 0x40);
    vlapic_eoi(&vl);
    CHECK_EQ(fk.neoi, 1);
    vlapic_eoi(&vl);                               /* ISR empty: nothing */
    CHECK_EQ(fk.neoi, 1);
    vlapic_ack(&vl, 0x41);                         /* not pending: nothing */
    CHECK(!vec_bit(APIC_ISR, 0x41));
}

/* EOI virtualization cleared ISR itself: the completion does the rest,
 * exactly once, and honours SVR bit 12; the level-vector set follows TMR
 * and level-triggered fixed LINT entries. */
static void test_eoi_completed(void)
{
    uint64_t lv[4];

    fresh();
    CHECK(vlapic_accept(&vl, 0x80, true));
    CHECK(vlapic_accept(&vl, 0x91, false));
    vlapic_level_vectors(&vl, lv);
    CHECK_EQ(lv[2], 1ull << 0);
    CHECK(!lv[0] && !lv[1] && !lv[3]);
    vlapic_ack(&vl, 0x91);
    vlapic_ack(&vl, 0x80);                         /* nested under nothing: both in ISR */
    vl.page[(APIC_ISR + 0x40) >> 2] &= ~1u;        /* the CPU cleared ISR[0x80] */
    vlapic_eoi_completed(&vl, 0x80);
    CHECK_EQ(fk.neoi, 1);
    CHECK_EQ(fk.eoi[0], 0x80);
    CHECK(vec_bit(APIC_ISR, 0x91));                /* the other one stays */
    CHECK_EQ(rd(APIC_PPR), 0x90);
    vlapic_eoi_completed(&vl, 0x91);               /* edge: no broadcast */
    CHECK_EQ(fk.neoi, 1);
    CHECK(!vec_bit(APIC_ISR, 0x91));
    CHECK_EQ(rd(APIC_PPR), 0);
    wr(APIC_SVR, rd(APIC_SVR) | APIC_SVR_EOI_SUPPRESS);
    CHECK(vlapic_accept(&vl, 0x80, true));
    vlapic_ack(&vl, 0x80);
    vlapic_eoi_completed(&vl, 0x80);
    CHECK_EQ(fk.neoi, 1);                          /* suppressed */
    wr(APIC_LVT_LINT1, 0x7e | APIC_LVT_LEVEL);     /* fixed, level */
    wr(APIC_LVT_LINT0, 0x7d | APIC_LVT_LEVEL | (APIC_DM_EXTINT << 8)); /* not fixed */
    vlapic_level_vectors(&vl, lv);
    CHECK_EQ(lv[1], 1ull << (0x7e - 64));
    CHECK_EQ(lv[2], 1ull << 0);                    /* TMR[0x80] still set */
}

static void test_eoi_suppression(void)
{
    fresh();
    wr(APIC_SVR, 0x11ff);
    CHECK(vlapic_accept(&vl, 0x80, true));
    vlapic_ack(&vl, 0x80);
    vlapic_eoi(&vl);
    CHECK_EQ(fk.neoi, 0);
    CHECK(!vec_bit(APIC_ISR, 0x80));
    wr(APIC_SVR, 0x1ff);
    CHECK(vlapic_accept(&vl, 0x80, true));
    vlapic_ack(&vl, 0x80);
    vlapic_eoi(&vl);
    CHECK_EQ(fk.neoi, 1);
    /* x2APIC: EOI through the MSR, suppression too. */
    fresh_x2();
    CHECK(vlapic_accept(&vl, 0x81, true));
    vlapic_ack(&vl, 0x81);
    CHECK_EQ(vlapic_msr_write(&vl, 0x80b, 0), VLAPIC_OK);
    CHECK_EQ(fk.neoi, 1);
    CHECK_EQ(vlapic_msr_write(&vl, 0x80f, 0x11ff), VLAPIC_OK);
    CHECK(vlapic_accept(&vl, 0x81, true));
    vlapic_ack(&vl, 0x81);
    CHECK_EQ(vlapic_msr_write(&vl, 0x80b, 0), VLAPIC_OK);
    CHECK_EQ(fk.neoi, 1);
}

/* ---- ESR --------------------------------------------------------------------------- */

static void test_esr_write_before_read(void)
{
    fresh();
    CHECK_EQ(esr(), 0);
    CHECK(!vlapic_accept(&vl, 5, false));
    CHECK_EQ(rd(APIC_ESR), 0);                     /* not latched yet */
    wr(APIC_ESR, 0xffffffff);                      /* any value latches */
    CHECK_EQ(rd(APIC_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR);
    CHECK_EQ(rd(APIC_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR);
    wr(APIC_ESR, 0);
    CHECK_EQ(rd(APIC_ESR), 0);
    /* Errors accumulate between writes. */
    CHECK(!vlapic_accept(&vl, 3, false));
    wr(APIC_ICR, 0x00004002);                      /* fixed, vector 2: illegal */
    (void)rd(0x40);                                /* reserved register */
    CHECK_EQ(rd(APIC_ESR), 0);
    wr(APIC_ESR, 0);
    CHECK_EQ(rd(APIC_ESR), APIC_ESR_RECV_ILLEGAL_VECTOR | APIC_ESR_SEND_ILLEGAL_VECTOR |
                           APIC_ESR_ILLEGAL_REG);
    CHECK_EQ(fk.nsent, 0);
    /* x2APIC: only 0 may be written. */
    fresh_x2();
    CHECK(!vlapic_accept(&vl, 7, false));
    CHECK_EQ(vlapic_msr_write(&vl, 0x828, 0x40), GP);
    CHECK_EQ(rdmsr(0x828), 0);
    CHECK_EQ(vlapic_msr_write(&vl, 0x828, 0), VLAPIC_OK);
    CHECK_EQ(rdmsr(0x828), APIC_ESR_RECV_ILLEGAL_VECTOR);
}

static void test_esr_interrupt(void)
{
    fresh();
    wr(APIC_LVT_ERROR, 0xe0);
    CHECK(!vlapic_accept(&vl, 1, false));
    CHECK(vec_bit(APIC_IRR, 0xe0));                /* error interrupt */
    vlapic_ack(&vl, 0xe0);
    vlapic_eoi(&vl);
    CHECK(!vlapic_accept(&vl, 2, false));
    CHECK(!vec_bit(APIC_IRR, 0xe0));               /* not re-armed yet */
    wr(APIC_ESR, 0);
    CHECK(!vlapic_accept(&vl, 3, false));
    CHECK(vec_bit(APIC_IRR, 0xe0));                /* re-armed by the write */
    vlapic_ack(&vl, 0xe0);
    vlapic_eoi(&vl);
    /* Masked: no interrupt, and the next error after unmasking fires. */
    wr(APIC_ESR, 0);
    wr(APIC_LVT_ERROR, 0x100e0);
    CHECK(!vlapic_accept(&vl, 4, false));
    CHECK(!vec_bit(APIC_IRR, 0xe0));
    wr(APIC_LVT_ERROR, 0xe0);
    CHECK(!vlapic_accept(&vl, 4, false));
    CHECK(vec_bit(APIC_IRR, 0xe0));
    /* An illegal error vector reports itself once, no loop. */
    fresh();
    wr(APIC_LVT_ERROR, 0x05);
    wr(APIC_ICR, 0x00004001);
    CHECK_EQ(esr(), APIC_ESR_SEND_ILLEGAL_VECTOR | APIC_ESR_RECV_ILLEGAL_VECTOR);
    CHECK_EQ(rd(APIC_IRR), 0);
}

/* ---- LVT sources -------------------------------------------------------------------- */

static void test_fire_lvt(void)
{
    fresh();
    wr(APIC_LVT_THERMAL, 0x400);                   /* NMI */
    vlapic_fire_lvt(&vl, APIC_LVT_THERMAL);
    CHECK(vlapic_take_nmi(&vl));
    wr(APIC_LVT_PERF, 0x60);
    vlapic_fire_lvt(&vl, APIC_LVT_PERF);
    CHECK(vec_bit(APIC_IRR, 0x60));
    CHECK_EQ(rd(APIC_LVT_PERF), 0x10060);          /* masks itself */
    vlapic_ack(&vl, 0x60);
    vlapic_fire_lvt(&vl, APIC_LVT_PERF);
    CHECK(!vec_bit(APIC_IRR, 0x60));
    wr(APIC_LVT_CMCI, 0x61);
    vlapic_fire_lvt(&vl, APIC_LVT_CMCI);
    CHECK(vec_bit(APIC_IRR, 0x61));
    CHECK_EQ(rd(APIC_LVT_CMCI), 0x61);
    wr(APIC_LVT_CMCI, 0x200);                      /* SMI */
    vlapic_fire_lvt(&vl, APIC_LVT_CMCI);
    CHECK_EQ(vl.smi_count, 1);
    wr(APIC_LVT_CMCI, 0x500);                      /* INIT: not for CMCI */
    vlapic_fire_lvt(&vl, APIC_LVT_CMCI);
    wr(APIC_LVT_CMCI, 0x700);                      /* ExtINT: not for CMCI */
    vlapic_fire_lvt(&vl, APIC_LVT_CMCI);
    CHECK_EQ(vlapic_events(&vl), 0);
    wr(APIC_LVT_THERMAL, 0x10062);                 /* masked */
    vlapic_fire_lvt(&vl, APIC_LVT_THERMAL);
    CHECK(!vec_bit(APIC_IRR, 0x62));
    wr(APIC_LVT_THERMAL, 0x0e);                    /* illegal vector */
    vlapic_fire_lvt(&vl, APIC_LVT_THERMAL);
    CHECK_EQ(esr(), APIC_ESR_RECV_ILLEGAL_VECTOR);
    wr(APIC_LVT_TIMER, 0x63);                      /* not through this call */
    vlapic_fire_lvt(&vl, APIC_LVT_TIMER);
    vlapic_fire_lvt(&vl, APIC_LVT_LINT0);
    CHECK(!vec_bit(APIC_IRR, 0x63));
}

static void test_lint_extint_nmi(void)
{
    fresh();
    wr(APIC_LVT_LINT0, 0x700);
    vlapic_lint(&vl, 0, true);
    CHECK_EQ(vlapic_events(&vl), VLAPIC_EV_EXTINT);
    vlapic_lint(&vl, 0, false);
    CHECK_EQ(vlapic_events(&vl), 0);
    vlapic_lint(&vl, 0, true);
    CHECK(vlapic_take_extint(&vl));
    vlapic_lint(&vl, 0, true);                     /* still high: level */
    CHECK(vlapic_take_extint(&vl));
    wr(APIC_LVT_LINT0, 0x10700);                   /* masking drops it */
    CHECK_EQ(vlapic_events(&vl), 0);
    wr(APIC_LVT_LINT0, 0x700);                     /* unmask: line still high */
    CHECK_EQ(vlapic_events(&vl), VLAPIC_EV_EXTINT);
    wr(APIC_SVR, 0xff);                            /* software disable masks */
    CHECK_EQ(vlapic_events(&vl), 0);
    /* LINT1 NMI: edge. */
    fresh();
    wr(APIC_LVT_LINT1, 0x400);
    vlapic_lint(&vl, 1, true);
    CHECK(vlapic_take_nmi(&vl));
    vlapic_lint(&vl, 1, true);
    CHECK(!vlapic_take_nmi(&vl));
    vlapic_lint(&vl, 1, false);
    CHECK(!vlapic_take_nmi(&vl));
    vlapic_set_nmi_held(&vl, 0);                   /* its handler's IRET */
    vlapic_lint(&vl, 1, true);
    CHECK(vlapic_take_nmi(&vl));
    vlapic_set_nmi_held(&vl, 0);
    /* Active low. */
    vlapic_lint(&vl, 1, false);
    wr(APIC_LVT_LINT1, 0x2400);
    vlapic_lint(&vl, 1, true);
    CHECK(!vlapic_take_nmi(&vl));
    vlapic_lint(&vl, 1, false);
    CHECK(vlapic_take_nmi(&vl));
    vlapic_lint(&vl, 2, true);                     /* no such pin */
    CHECK_EQ(vlapic_events(&vl), 0);
}

static void test_lint_fixed(void)
{
    fresh();
    wr(APIC_LVT_LINT0, 0x50);                      /* fixed, edge */
    vlapic_lint(&vl, 0, true);
    CHECK(vec_bit(APIC_IRR, 0x50));
    CHECK(!vec_bit(APIC_TMR, 0x50));
    vlapic_ack(&vl, 0x50);
    vlapic_eoi(&vl);
    vlapic_lint(&vl, 0, true);
    CHECK(!vec_bit(APIC_IRR, 0x50));
    vlapic_lint(&vl, 0, false);
    vlapic_lint(&vl, 0, true);
    CHECK(vec_bit(APIC_IRR, 0x50));
    /* Fixed, level-triggered: remote IRR until EOI; re-delivered while high. */
    fresh();
    wr(APIC_LVT_LINT0, 0x8051);
    vlapic_lint(&vl, 0, true);
    CHECK(vec_bit(APIC_IRR, 0x51));
    CHECK(vec_bit(APIC_TMR, 0x51));
    CHECK_EQ(rd(APIC_LVT_LINT0), 0xc051);
    vlapic_ack(&vl, 0x51);
    vlapic_lint(&vl, 0, true);
    CHECK(!vec_bit(APIC_IRR, 0x51));               /* remote IRR holds it */
    vlapic_eoi(&vl);
    CHECK_EQ(fk.neoi, 1);
    CHECK(vec_bit(APIC_IRR, 0x51));                /* still asserted */
    CHECK_EQ(rd(APIC_LVT_LINT0), 0xc051);
    vlapic_lint(&vl, 0, false);
    vlapic_ack(&vl, 0x51);
    vlapic_eoi(&vl);
    CHECK_EQ(rd(APIC_LVT_LINT0), 0x8051);
    CHECK(!vec_bit(APIC_IRR, 0x51));
    /* Writing the entry keeps remote IRR (read-only). */
    vlapic_lint(&vl, 0, true);
    wr(APIC_LVT_LINT0, 0x8052);
    CHECK_EQ(rd(APIC_LVT_LINT0), 0xc052);
    /* LINT1 has no level mode: edge, no remote IRR. */
    fresh();
    wr(APIC_LVT_LINT1, 0x8053);
    vlapic_lint(&vl, 1, true);
    CHECK(vec_bit(APIC_IRR, 0x53));
    CHECK_EQ(rd(APIC_LVT_LINT1), 0x8053);
    /* A masked level line delivers once unmasked. */
    fresh();
    wr(APIC_LVT_LINT0, 0x18054);
    vlapic_lint(&vl, 0, true);
    CHECK(!vec_bit(APIC_IRR, 0x54));
    wr(APIC_LVT_LINT0, 0x8054);
    CHECK(vec_bit(APIC_IRR, 0x54));
}

static void test_lint_other_modes(void)
{
    fresh();
    wr(APIC_LVT_LINT0, 0x500);                     /* INIT */
    vlapic_lint(&vl, 0, true);
    CHECK(vlapic_take_init(&vl));
    wr(APIC_LVT_LINT1, 0x200);                     /* SMI */
    vlapic_lint(&vl, 1, true);
    CHECK_EQ(vl.smi_count, 1);
    wr(APIC_LVT_LINT1, 0x300);                     /* reserved mode */
    vlapic_lint(&vl, 1, false);
    vlapic_lint(&vl, 1, true);
    CHECK_EQ(vlapic_events(&vl), 0);
    /* Globally disabled: LINT0 is INTR and LINT1 is NMI (SDM 11.4.3). */
    fresh();
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    vlapic_lint(&vl, 0, true);
    CHECK(vlapic_events(&vl) & VLAPIC_EV_EXTINT);
    vlapic_lint(&vl, 0, false);
    CHECK(!(vlapic_events(&vl) & VLAPIC_EV_EXTINT));
    vlapic_lint(&vl, 1, true);
    CHECK(vlapic_take_nmi(&vl));
    vlapic_lint(&vl, 0, true);
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE | APIC_BASE_EN), VLAPIC_OK);
    CHECK_EQ(vlapic_events(&vl), 0);               /* LINT0 masked after enable */
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK_EQ(vlapic_events(&vl), VLAPIC_EV_EXTINT);
}

/* ---- IPIs: xAPIC ICR ------------------------------------------------------------------ */

static void check_msg(const struct apic_msg *m, uint32_t dest, uint8_t vec, uint8_t dm,
                      uint8_t sh, bool logical, bool x2)
{
    CHECK_EQ(m->dest, dest);
    CHECK_EQ(m->vector, vec);
    CHECK_EQ(m->dm, dm);
    CHECK_EQ(m->shorthand, sh);
    CHECK_EQ(m->logical, logical);
    CHECK(!m->level);
    CHECK(m->assert);
    CHECK_EQ(m->x2apic, x2);
    CHECK_EQ(m->source, 2);
}

static void test_icr_xapic_matrix(void)
{
    unsigned dm, sh, lg;

    for (dm = 0; dm < 8; dm++)
        for (sh = 0; sh < 4; sh++)
            for (lg = 0; lg < 2; lg++) {
                uint32_t lo = 0x41 | dm << 8 | lg << 11 | APIC_ICR_LEVEL_ASSERT | sh << 18;

                fresh();
                wr(APIC_ICR2, 0x5a000000);
                wr(APIC_ICR, lo);
                CHECK_EQ(fk.nsent, 1);
                check_msg(&fk.sent[0], 0x5a, 0x41, (uint8_t)dm, (uint8_t)sh, lg, false);
                CHECK_EQ(rd(APIC_ICR), lo);        /* delivery status reads 0 */
                CHECK_EQ(rd(APIC_ICR2), 0x5a000000);
                CHECK_EQ(vlapic_read_icr(&vl), 0x5a00000000000000ull | lo);
            }
}

static void test_icr_xapic_vectors(void)
{
    unsigned v;

    for (v = 0; v < 16; v++) {
        fresh();
        wr(APIC_ICR, v);                           /* fixed */
        wr(APIC_ICR, v | 0x100);                   /* lowest priority */
        CHECK_EQ(fk.nsent, 0);
        CHECK_EQ(esr(), APIC_ESR_SEND_ILLEGAL_VECTOR);
        wr(APIC_ICR, v | 0x400);                   /* NMI: vector ignored */
        wr(APIC_ICR, v | 0x500);                   /* INIT */
        wr(APIC_ICR, v | 0x600);                   /* SIPI: any vector */
        wr(APIC_ICR, v | 0x200);                   /* SMI */
        CHECK_EQ(fk.nsent, 4);
        CHECK_EQ(esr(), 0);
    }
}

struct trig_case {
    uint32_t bits;
    bool level, assert_;
};

static const struct trig_case trig_cases[] = {
    { 0, false, true },
    { APIC_ICR_LEVEL_ASSERT, false, true },
    { APIC_ICR_TRIGGER_LEVEL | APIC_ICR_LEVEL_ASSERT, false, true },
    { APIC_ICR_TRIGGER_LEVEL, true, false },       /* INIT level de-assert form */
};

static void test_icr_trigger(void)
{
    size_t i;

    for (i = 0; i < 4; i++) {
        fresh();
        wr(APIC_ICR, 0x500 | trig_cases[i].bits | (2u << 18));
        CHECK_EQ(fk.nsent, 1);
        CHECK_EQ(fk.sent[0].level, trig_cases[i].level);
        CHECK_EQ(fk.sent[0].assert, trig_cases[i].assert_);
        fresh_x2();
        CHECK_EQ(vlapic_msr_write(&vl, 0x830, 0x30 | trig_cases[i].bits), VLAPIC_OK);
        CHECK_EQ(fk.sent[0].level, trig_cases[i].level);
        CHECK_EQ(fk.sent[0].assert, trig_cases[i].assert_);
    }
}

static void test_icr_xapic_direct(void)
{
    fresh();
    /* The APIC-write path: (ICR2 << 32) | ICR, destination in 63:56. */
    CHECK_EQ(vlapic_write_icr(&vl, 0xfe123456000040a0ull), VLAPIC_OK);
    CHECK_EQ(fk.sent[0].dest, 0xfe);
    CHECK_EQ(rd(APIC_ICR2), 0xfe000000);
    CHECK_EQ(rd(APIC_ICR), 0x40a0);
    wr(APIC_ICR2, 0xffffffff);
    CHECK_EQ(rd(APIC_ICR2), 0xff000000);
    wr(APIC_ICR, 0x40a1);
    CHECK_EQ(fk.sent[1].dest, 0xff);
    /* Disabled APIC: no ICR. */
    CHECK_EQ(vlapic_set_apic_base(&vl, APIC_DEFAULT_BASE), VLAPIC_OK);
    CHECK_EQ(vlapic_write_icr(&vl, 0x40a2), VLAPIC_DISABLED);
    CHECK_EQ(fk.nsent, 2);
    CHECK_EQ(vlapic_read_icr(&vl), 0);
}

/* Self-IPIs come back through the router (loopback in the fake). */
static void test_icr_self_loopback(void)
{
    fresh();
    fk.loopback = &vl;
    wr(APIC_ICR, 0x40b0 | (1u << 18));
    CHECK(vec_bit(APIC_IRR, 0xb0));
    wr(APIC_ICR, 0x40b1 | (2u << 18));
    CHECK(vec_bit(APIC_IRR, 0xb1));
    fk.loopback = NULL;
}

/* ---- IPIs: x2APIC ICR and SELF IPI ------------------------------------------------------ */

static void test_icr_x2apic_matrix(void)
{
    unsigned dm, sh, lg;

    for (dm = 0; dm < 8; dm++)
        for (sh = 0; sh < 4; sh++)
            for (lg = 0; lg < 2; lg++) {
                uint64_t icr = 0xfedcba9800000000ull | 0x42 | dm << 8 | lg << 11 |
                               APIC_ICR_LEVEL_ASSERT | sh << 18;

                fresh_x2();
                CHECK_EQ(vlapic_msr_write(&vl, 0x830, icr), VLAPIC_OK);
                CHECK_EQ(fk.nsent, 1);
                check_msg(&fk.sent[0], 0xfedcba98, 0x42, (uint8_t)dm, (uint8_t)sh, lg, true);
                CHECK_EQ(rdmsr(0x830), icr);
            }
}

static void test_icr_x2apic_bits(void)
{
    unsigned bit;

    for (bit = 0; bit < 32; bit++) {
        bool rsvd = bit == 13 || bit == 16 || bit == 17 || bit >= 20;
        uint64_t icr = 0x0000000100000060ull | (1ull << bit);

        fresh_x2();
        CHECK_EQ(vlapic_msr_write(&vl, 0x830, icr), rsvd ? GP : VLAPIC_OK);
        CHECK_EQ(fk.nsent, rsvd ? 0 : 1);
        if (rsvd)
            CHECK_EQ(rdmsr(0x830), 0);
        else
            CHECK_EQ(rdmsr(0x830), icr & ~(uint64_t)APIC_ICR_BUSY);
    }
    /* AMD semantics (icr_bit12_gp): bit 12 is #GP and nothing is sent. */
    fresh_x2();
    vl.icr_bit12_gp = true;
    CHECK_EQ(vlapic_msr_write(&vl, 0x830, 0x0000000100001060ull), GP);
    CHECK_EQ(fk.nsent, 0);
    CHECK_EQ(vlapic_msr_write(&vl, 0x830, 0x0000000100000060ull), VLAPIC_OK);
    CHECK_EQ(fk.nsent, 1);
    /* The 64-bit write lands as one register at 0x300 (0x304 high), no ICR2. */
    fresh_x2();
    CHECK_EQ(vlapic_write_icr(&vl, 0x12345678000040fdull), VLAPIC_OK);
    CHECK_EQ(page[0x300 / 4], 0x40fd);
    CHECK_EQ(page[0x304 / 4], 0x12345678);
    CHECK_EQ(page[0x310 / 4], 0);
    CHECK_EQ(fk.sent[0].dest, 0x12345678);
    CHECK_EQ(vlapic_read_icr(&vl), 0x12345678000040fdull);
    /* ICR2 does not exist in x2APIC mode. */
    CHECK_EQ(vlapic_msr_write(&vl, 0x831, 0), GP);
    /* Illegal vector: no IPI, send-illegal error. */
    CHECK_EQ(vlapic_msr_write(&vl, 0x830, 0x0000000500000009ull), VLAPIC_OK);
    CHECK_EQ(fk.nsent, 1);
    CHECK_EQ(esr(), APIC_ESR_SEND_ILLEGAL_VECTOR);
}

static void test_self_ipi(void)
{
    uint64_t v;

    fresh_x2();
    CHECK_EQ(vlapic_msr_write(&vl, 0x83f, 0x55), VLAPIC_OK);
    CHECK_EQ(fk.nsent, 1);
    check_msg(&fk.sent[0], 3, 0x55, APIC_DM_FIXED, APIC_SH_SELF, false, true);
    CHECK_EQ(vlapic_msr_read(&vl, 0x83f, &v), GP);
    CHECK_EQ(vlapic_msr_write(&vl, 0x83f, 0x155), GP);
    CHECK_EQ(vlapic_msr_write(&vl, 0x83f, 0x0f), VLAPIC_OK);
    CHECK_EQ(fk.nsent, 1);
    CHECK_EQ(esr(), APIC_ESR_SEND_ILLEGAL_VECTOR);
    fk.loopback = &vl;
    CHECK_EQ(vlapic_msr_write(&vl, 0x83f, 0xc3), VLAPIC_OK);
    CHECK(vec_bit(APIC_IRR, 0xc3));
    CHECK(!vec_bit(APIC_TMR, 0xc3));
    CHECK_EQ(vlapic_highest_pending(&vl), 0xc3);
    fk.loopback = NULL;
    /* No SELF IPI register in xAPIC mode. */
    fresh();
    wr(APIC_SELF_IPI, 0x55);
    CHECK_EQ(fk.nsent, 0);
    CHECK_EQ(esr(), APIC_ESR_ILLEGAL_REG);
}

int main(void)
{
    test_accept_vectors();
    test_eoi_completed();
    test_accept_disabled();
    test_tmr_follows_trigger();
    test_deliver_modes();
    test_deliver_level();
    test_take_events();
    test_nmi_latch();
    test_ppr();
    test_highest_pending();
    test_apr();
    test_cr8();
    test_ack_eoi();
    test_eoi_suppression();
    test_esr_write_before_read();
    test_esr_interrupt();
    test_fire_lvt();
    test_lint_extint_nmi();
    test_lint_fixed();
    test_lint_other_modes();
    test_icr_xapic_matrix();
    test_icr_xapic_vectors();
    test_icr_trigger();
    test_icr_xapic_direct();
    test_icr_self_loopback();
    test_icr_x2apic_matrix();
    test_icr_x2apic_bits();
    test_self_ipi();
    return check_report("test_vlapic_intr");
}
