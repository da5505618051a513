/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/dev/vtd_ir.c, the guest's virtual VT-d
 * interrupt-remapping unit.  Expected values are worked out by hand from
 * the VT-d specification: register reset values and one-shot commands
 * (chapter 11), the invalidation queue (6.5.2), remappable I/O APIC RTEs and MSIs
 * (5.1.2, 5.1.5.1), IRTEs (5.1.4, 9.10) and the fault conditions (chapter 7).
 */
#include "check.h"
#include "hv/dev/vtd_ir.h"

#include <stdbool.h>
#include <string.h>

/* Fake guest RAM: GPA RAM_BASE .. RAM_BASE + RAM_SIZE. */
#define RAM_BASE   0x100000ull
#define RAM_SIZE   0x40000ull
#define IQ_GPA     (RAM_BASE + 0x1000)
#define IRT_GPA    (RAM_BASE + 0x10000)
#define STATUS_GPA (RAM_BASE + 0x3000)
#define MAX_LOG    16

static uint8_t ram[RAM_SIZE];
static struct vtd_ir u;
static struct {
    unsigned n;
    struct apic_msg m[MAX_LOG];
} sent;
static unsigned reports;

static int fake_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    (void)ctx;
    if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
        return -1;
    memcpy(buf, ram + (gpa - RAM_BASE), len);
    return 0;
}

static int fake_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    (void)ctx;
    if (gpa < RAM_BASE || gpa - RAM_BASE > RAM_SIZE || len > RAM_SIZE - (gpa - RAM_BASE))
        return -1;
    memcpy(ram + (gpa - RAM_BASE), buf, len);
    return 0;
}

static void fake_deliver(void *ctx, const struct apic_msg *m)
{
    (void)ctx;
    if (sent.n < MAX_LOG)
        sent.m[sent.n] = *m;
    sent.n++;
}

static void fake_report(void *ctx, const char *what, unsigned reason, uint32_t index, uint16_t sid)
{
    (void)ctx;
    (void)what;
    (void)reason;
    (void)index;
    (void)sid;
    reports++;
}

static const struct vtd_ir_ops ops = { .read = fake_read, .write = fake_write,
                                       .deliver = fake_deliver, .report = fake_report };

static void reset(void)
{
    memset(ram, 0, sizeof(ram));
    memset(&sent, 0, sizeof(sent));
    reports = 0;
    vtd_ir_init(&u, &ops, NULL);
}

static void put64(uint64_t gpa, uint64_t v)
{
    memcpy(ram + (gpa - RAM_BASE), &v, 8);
}

static uint32_t get32(uint64_t gpa)
{
    uint32_t v;
    memcpy(&v, ram + (gpa - RAM_BASE), 4);
    return v;
}

static void put_irte(unsigned idx, uint64_t lo, uint64_t hi)
{
    put64(IRT_GPA + 16ull * idx, lo);
    put64(IRT_GPA + 16ull * idx + 8, hi);
}

static void w32(uint32_t off, uint32_t v)
{
    vtd_ir_write(&u, off, 4, v);
}

static uint32_t r32(uint32_t off)
{
    return (uint32_t)vtd_ir_read(&u, off, 4);
}

/* As Linux does: IRTA, then GCMD.SIRTP; IRE with or without EIME. */
static void enable_ir(bool eime, unsigned s)
{
    vtd_ir_write(&u, VTD_REG_IRTA, 8, IRT_GPA | (eime ? VTD_IR_IRTA_EIME : 0) | s);
    w32(VTD_REG_GCMD, VTD_GCMD_SIRTP);
    w32(VTD_REG_GCMD, VTD_GCMD_IRE);
}

static void enable_qi(unsigned qs)
{
    w32(VTD_REG_IQT, 0);
    vtd_ir_write(&u, VTD_REG_IQA, 8, IQ_GPA | qs);
    w32(VTD_REG_GCMD, VTD_GCMD_QIE | (r32(VTD_REG_GSTS) & VTD_GSTS_IRES));
}

/* ---- registers (chapter 11) ---- */

static void test_reset_values(void)
{
    reset();
    CHECK_EQ(r32(VTD_REG_VER), 0x10);
    /* ND 2, SAGAW 39/48-bit (bits 9, 10), MGAW 47, FRO 0x40: Linux prints "cap 402f0602". */
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_CAP, 8), 0x402f0602ull);
    /* C, QI, IR, EIM and IRO 0x50: "ecap 501b". */
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_ECAP, 8), 0x501bull);
    CHECK_EQ(r32(VTD_REG_GSTS), 0);
    CHECK_EQ(r32(VTD_REG_FSTS), 0);
    CHECK_EQ(r32(VTD_IR_REG_FECTL), 0x80000000u);
    CHECK_EQ(r32(VTD_IR_REG_IECTL), 0x80000000u);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IRTA, 8), 0);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IQH, 8), 0);
    /* The fault recording and IOTLB registers lie in the page Linux maps. */
    CHECK((VTD_IR_CAP >> VTD_CAP_FRO_SHIFT & VTD_CAP_FRO_MASK) * 16 + 16 <= VTD_IR_SIZE);
    CHECK(((VTD_IR_ECAP >> 8) & 0x3ff) * 16 + 16 <= VTD_IR_SIZE);
}

static void test_access_sizes(void)
{
    reset();
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_VER, 2), ~0ull);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_CAP + 4, 8), ~0ull);   /* misaligned 8 */
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_CAP + 2, 4), ~0ull);   /* misaligned 4 */
    CHECK_EQ(vtd_ir_read(&u, VTD_IR_SIZE, 4), ~0ull);
    CHECK_EQ(r32(VTD_REG_CAP + 4), 0);                      /* upper half of CAP */
    CHECK_EQ(r32(VTD_REG_CAP), 0x402f0602u);
    CHECK_EQ(r32(0x200), 0);                                /* reserved reads 0 */
    vtd_ir_write(&u, VTD_REG_IRTA, 2, 0xffff);              /* dropped */
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IRTA, 8), 0);
    w32(VTD_REG_VER, 0x1234);                               /* read-only */
    CHECK_EQ(r32(VTD_REG_VER), 0x10);
}

static void test_gcmd_one_shots(void)
{
    reset();
    vtd_ir_write(&u, VTD_REG_IRTA, 8, 0xfff0000123456fffull);
    /* IRTA, chapter 11: base 63:12 (within 52 bits here), EIME, S 3:0; 10:4 reserved. */
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IRTA, 8), 0x000000012345680full);
    CHECK_EQ(u.irt_entries, 0);                 /* nothing latched before SIRTP */
    w32(VTD_REG_GCMD, VTD_GCMD_SIRTP);
    CHECK_EQ(r32(VTD_REG_GSTS), VTD_GSTS_IRTPS);
    CHECK_EQ(u.irt_base, 0x0000000123456000ull);
    CHECK_EQ(u.irt_entries, 65536);             /* 2^(15+1) */
    CHECK(u.eime);
    CHECK_EQ(r32(VTD_REG_GCMD), 0);             /* GCMD reads 0 */
    /* IRTA written again: the latched table stays until the next SIRTP. */
    vtd_ir_write(&u, VTD_REG_IRTA, 8, IRT_GPA | 3);
    CHECK_EQ(u.irt_entries, 65536);
    w32(VTD_REG_GCMD, VTD_GCMD_SIRTP);
    CHECK_EQ(u.irt_entries, 16);                /* 2^(3+1) */
    CHECK(!u.eime);
    /* State bits follow the written value; TE is not taken. */
    w32(VTD_REG_GCMD, VTD_GCMD_IRE | VTD_GCMD_CFI | VTD_GCMD_TE);
    CHECK_EQ(r32(VTD_REG_GSTS), VTD_GSTS_IRTPS | VTD_GSTS_IRES | VTD_GSTS_CFIS);
    w32(VTD_REG_GCMD, VTD_GCMD_IRE);
    CHECK_EQ(r32(VTD_REG_GSTS), VTD_GSTS_IRTPS | VTD_GSTS_IRES);
    w32(VTD_REG_GCMD, VTD_GCMD_SRTP);
    CHECK_EQ(r32(VTD_REG_GSTS), VTD_GSTS_IRTPS | VTD_GSTS_RTPS);
}

/* ---- the invalidation queue (6.5.2) ---- */

static void put_desc(unsigned slot, uint64_t lo, uint64_t hi)
{
    put64(IQ_GPA + 16ull * slot, lo);
    put64(IQ_GPA + 16ull * slot + 8, hi);
}

static uint64_t wait_desc(uint32_t data, bool sw, bool intr)
{
    return VTD_INV_WAIT | (sw ? VTD_INV_WAIT_SW : 0) | (intr ? VTD_INV_WAIT_IF : 0) |
           VTD_INV_WAIT_FN | ((uint64_t)data << 32);
}

static void test_qi_wait_status(void)
{
    reset();
    enable_qi(0);
    CHECK_EQ(r32(VTD_REG_GSTS), VTD_GSTS_QIES);
    put_desc(0, VTD_INV_IEC, 0);                                   /* global IEC */
    put_desc(1, VTD_INV_IEC | VTD_INV_IEC_INDEX | (2ull << 27) | (40ull << 32), 0); /* index */
    put_desc(2, wait_desc(0x1234, true, false), STATUS_GPA);
    w32(VTD_REG_IQT, 3 << 4);
    CHECK_EQ(get32(STATUS_GPA), 0x1234);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IQH, 8), 3 << 4);
    CHECK_EQ(r32(VTD_REG_FSTS), 0);
    CHECK_EQ(r32(VTD_REG_ICS), 0);
    /* IF: ICS.IWC, and with IECTL masked the event waits as IP. */
    put_desc(3, wait_desc(0, false, true), 0);
    w32(VTD_REG_IQT, 4 << 4);
    CHECK_EQ(r32(VTD_REG_ICS), VTD_ICS_IWC);
    CHECK_EQ(r32(VTD_IR_REG_IECTL), VTD_IR_ECTL_IM | VTD_IR_ECTL_IP);
    CHECK_EQ(sent.n, 0);
    w32(VTD_IR_REG_IEDATA, 0x66);
    w32(VTD_IR_REG_IEADDR, 0xfee01000u);
    w32(VTD_IR_REG_IECTL, 0);                                      /* unmask: sent */
    CHECK_EQ(sent.n, 1);
    CHECK_EQ(sent.m[0].vector, 0x66);
    CHECK_EQ(sent.m[0].dest, 1);
    CHECK_EQ(r32(VTD_IR_REG_IECTL), 0);
    w32(VTD_REG_ICS, VTD_ICS_IWC);                                 /* RW1C */
    CHECK_EQ(r32(VTD_REG_ICS), 0);
}

static void test_qi_64bit_tail_and_wrap(void)
{
    reset();
    enable_qi(0);                                  /* 256 descriptors */
    w32(VTD_REG_GCMD, 0);                          /* disable: IQA may change */
    vtd_ir_write(&u, VTD_REG_IQA, 8, IQ_GPA);
    w32(VTD_REG_GCMD, VTD_GCMD_QIE);
    put_desc(0, wait_desc(1, true, false), STATUS_GPA);
    vtd_ir_write(&u, VTD_REG_IQT, 8, 1 << 4);      /* one 64-bit write: processed once */
    CHECK_EQ(get32(STATUS_GPA), 1);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IQH, 8), 1 << 4);
    /* Up to the last slot, then around to 0. */
    put_desc(255, wait_desc(2, true, false), STATUS_GPA);
    put_desc(0, wait_desc(3, true, false), STATUS_GPA + 4);
    u.iqh = 255 << 4;  /* as if the queue had been used up to there */
    u.iqt = 255 << 4;
    w32(VTD_REG_IQT, 1 << 4);
    CHECK_EQ(get32(STATUS_GPA), 2);
    CHECK_EQ(get32(STATUS_GPA + 4), 3);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IQH, 8), 1 << 4);
    /* IQA is not written while the queue runs (chapter 11). */
    vtd_ir_write(&u, VTD_REG_IQA, 8, RAM_BASE);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IQA, 8), IQ_GPA);
}

static void test_qi_errors(void)
{
    reset();
    w32(VTD_IR_REG_FEDATA, 0x77);
    w32(VTD_IR_REG_FEADDR, 0xfee00000u);
    w32(VTD_IR_REG_FECTL, 0);
    enable_qi(0);
    put_desc(0, VTD_INV_IEC, 0);
    put_desc(1, 0xf, 0);                           /* no such descriptor type */
    put_desc(2, wait_desc(9, true, false), STATUS_GPA);
    w32(VTD_REG_IQT, 3 << 4);
    CHECK_EQ(r32(VTD_REG_FSTS), VTD_FSTS_IQE);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IQH, 8), 1 << 4);   /* at the bad one */
    CHECK_EQ(get32(STATUS_GPA), 0);
    CHECK_EQ(sent.n, 1);                                  /* the fault event */
    CHECK_EQ(sent.m[0].vector, 0x77);
    /* Stopped while IQE is set, even for new tails. */
    w32(VTD_REG_IQT, 3 << 4);
    CHECK_EQ(get32(STATUS_GPA), 0);
    /* Software fixes the descriptor and clears IQE: the queue goes on. */
    put_desc(1, wait_desc(8, true, false), STATUS_GPA + 4);
    w32(VTD_REG_FSTS, VTD_FSTS_IQE);
    CHECK_EQ(r32(VTD_REG_FSTS), 0);
    CHECK_EQ(get32(STATUS_GPA + 4), 8);
    CHECK_EQ(get32(STATUS_GPA), 9);
    CHECK_EQ(vtd_ir_read(&u, VTD_REG_IQH, 8), 3 << 4);
    /* An IEC descriptor with a reserved bit, a status address outside RAM,
     * scalable-mode types (11:9) and a tail beyond the queue: IQE each. */
    static const uint64_t bad[][2] = {
        { VTD_INV_IEC | (1ull << 5), 0 },
        { VTD_INV_IEC, 1 },
        { VTD_INV_WAIT | VTD_INV_WAIT_SW, 0x10 },
        { VTD_INV_IEC | (1ull << 9), 0 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        reset();
        enable_qi(0);
        put_desc(0, bad[i][0], bad[i][1]);
        w32(VTD_REG_IQT, 1 << 4);
        CHECK_EQ(r32(VTD_REG_FSTS), VTD_FSTS_IQE);
        CHECK_EQ(vtd_ir_read(&u, VTD_REG_IQH, 8), 0);
    }
    reset();
    enable_qi(0);
    vtd_ir_write(&u, VTD_REG_IQT, 8, 256 << 4);          /* 256 descriptors: 0..255 */
    CHECK_EQ(r32(VTD_REG_FSTS), VTD_FSTS_IQE);
    /* The queue itself outside RAM. */
    reset();
    w32(VTD_REG_IQT, 0);
    vtd_ir_write(&u, VTD_REG_IQA, 8, 0x7fff0000ull);
    w32(VTD_REG_GCMD, VTD_GCMD_QIE);
    w32(VTD_REG_IQT, 1 << 4);
    CHECK_EQ(r32(VTD_REG_FSTS), VTD_FSTS_IQE);
}

/* ---- decoding (5.1.2.2, 5.1.4, 5.1.5.1, 9.10) ---- */

static void test_rte_and_msi_index(void)
{
    uint32_t idx = 0;

    /* RTE: format bit 48, index[14:0] in 63:49, index[15] in bit 11. */
    CHECK_EQ(vtd_ir_rte_index((1ull << 48) | (5ull << 49)), 5);
    CHECK_EQ(vtd_ir_rte_index((1ull << 48) | (0x7fffull << 49) | (1ull << 11)), 0xffff);
    CHECK_EQ(vtd_ir_rte_index((1ull << 48) | (1ull << 11)), 0x8000);
    /* MSI: address FEE0_0000 | handle[14:0] << 5 | format (bit 4). */
    CHECK(vtd_ir_msi_index(0xfee00010u | (5u << 5), 0, &idx));
    CHECK_EQ(idx, 5);
    CHECK(vtd_ir_msi_index(0xfee00010u | (5u << 5) | 4u, 0x1234, &idx)); /* handle[15] */
    CHECK_EQ(idx, 0x8005);
    CHECK(vtd_ir_msi_index(0xfee00018u | (5u << 5), 2, &idx));            /* SHV + subhandle */
    CHECK_EQ(idx, 7);
    CHECK(vtd_ir_msi_index(0xfee00018u | (0x7fffu << 5) | 4u, 1, &idx));  /* wraps in 16 bits */
    CHECK_EQ(idx, 0);
    CHECK(!vtd_ir_msi_index(0xfee01000u, 0x41, &idx));                    /* compatibility */
}

static void test_irte_decode(void)
{
    struct apic_msg m;

    /* x2APIC cluster destination (cluster 1, CPU bit 1), logical, RH, fixed,
     * vector 0x41: what Linux writes in cluster x2APIC mode. */
    uint64_t lo = VTD_IRTE_P | VTD_IRTE_DM | VTD_IRTE_RH | (0x41ull << 16) | (0x00010002ull << 32);
    CHECK_EQ(vtd_ir_irte_decode(lo, 0, true, &m), VTD_IR_OK);
    CHECK_EQ(m.vector, 0x41);
    CHECK_EQ(m.dest, 0x00010002);
    CHECK(m.logical && m.x2apic && !m.level && m.assert);
    CHECK_EQ(m.dm, APIC_DM_LOWEST);        /* RH + logical: one of them */
    CHECK_EQ(m.source, -1);
    /* Physical, no RH, level fixed, x2APIC ID 0x12345. */
    lo = VTD_IRTE_P | VTD_IRTE_TM | (0x30ull << 16) | (0x12345ull << 32);
    CHECK_EQ(vtd_ir_irte_decode(lo, 0, true, &m), VTD_IR_OK);
    CHECK(!m.logical && m.level);
    CHECK_EQ(m.dm, APIC_DM_FIXED);
    CHECK_EQ(m.dest, 0x12345);
    /* xAPIC mode: destination in bits 47:40; NMI is never level. */
    lo = VTD_IRTE_P | VTD_IRTE_TM | (4ull << 5) | (0x02ull << 16) | (0x03ull << 40);
    CHECK_EQ(vtd_ir_irte_decode(lo, 0, false, &m), VTD_IR_OK);
    CHECK_EQ(m.dest, 3);
    CHECK_EQ(m.dm, APIC_DM_NMI);
    CHECK(!m.x2apic && !m.level);
    /* The available bits 11:8 are software's. */
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | (0xfull << 8), 0, false, &m), VTD_IR_OK);
    /* Not present; reserved fields of a present entry. */
    CHECK_EQ(vtd_ir_irte_decode(0, 0, true, &m), VTD_IR_FR_NOT_PRESENT);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_FPD, 0, true, &m), VTD_IR_FR_NOT_PRESENT);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | (1ull << 12), 0, true, &m), VTD_IR_FR_IRTE_RSVD);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | (1ull << 24), 0, true, &m), VTD_IR_FR_IRTE_RSVD);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | VTD_IRTE_IM, 0, true, &m), VTD_IR_FR_IRTE_RSVD);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | (3ull << 5), 0, true, &m), VTD_IR_FR_IRTE_RSVD);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | (6ull << 5), 0, true, &m), VTD_IR_FR_IRTE_RSVD);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P, 1ull << 20, true, &m), VTD_IR_FR_IRTE_RSVD);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P, 3ull << 18, true, &m), VTD_IR_FR_IRTE_RSVD);
    /* EIME clear: destination bits other than 15:8 are reserved. */
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | (1ull << 32), 0, false, &m), VTD_IR_FR_IRTE_RSVD);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | (1ull << 48), 0, false, &m), VTD_IR_FR_IRTE_RSVD);
    CHECK_EQ(vtd_ir_irte_decode(VTD_IRTE_P | (1ull << 48), 0, true, &m), VTD_IR_OK);
}

static void test_source_validation(void)
{
    uint64_t sid = VTD_IR_IOAPIC_SID;

    CHECK(vtd_ir_sid_ok(0, 0x1234));                                       /* SVT 0 */
    CHECK(vtd_ir_sid_ok((1ull << 18) | sid, 0xf0f8));                      /* SVT 1, SQ 0 */
    CHECK(!vtd_ir_sid_ok((1ull << 18) | sid, 0xf0f9));
    CHECK(vtd_ir_sid_ok((1ull << 18) | (1ull << 16) | sid, 0xf0fc));       /* SQ 1: bit 2 */
    CHECK(!vtd_ir_sid_ok((1ull << 18) | (1ull << 16) | sid, 0xf0fa));
    CHECK(vtd_ir_sid_ok((1ull << 18) | (2ull << 16) | sid, 0xf0fe));       /* SQ 2: bits 2:1 */
    CHECK(!vtd_ir_sid_ok((1ull << 18) | (2ull << 16) | sid, 0xf0f9));
    CHECK(vtd_ir_sid_ok((1ull << 18) | (3ull << 16) | sid, 0xf0ff));       /* SQ 3: 2:0 */
    CHECK(!vtd_ir_sid_ok((1ull << 18) | (3ull << 16) | sid, 0xf100));
    CHECK(vtd_ir_sid_ok((2ull << 18) | 0x1020, 0x1508));                   /* SVT 2: bus range */
    CHECK(vtd_ir_sid_ok((2ull << 18) | 0x1020, 0x2000));
    CHECK(!vtd_ir_sid_ok((2ull << 18) | 0x1020, 0x2100));
    CHECK(!vtd_ir_sid_ok((2ull << 18) | 0x1020, 0x0f00));
    CHECK(!vtd_ir_sid_ok(3ull << 18, 0));                                  /* SVT 3 */
}

/* ---- interrupts through the unit ---- */

static const uint64_t RTE5 = (1ull << 48) | (5ull << 49) | 0x05; /* vector field = the pin */

static void test_ioapic_remapped(void)
{
    struct apic_msg m;

    reset();
    enable_ir(true, 7); /* 256 entries */
    put_irte(5, VTD_IRTE_P | (0x31ull << 16) | (2ull << 32),
             (1ull << 18) | VTD_IR_IOAPIC_SID);
    memset(&m, 0xee, sizeof(m));
    CHECK_EQ(vtd_ir_ioapic(&u, RTE5, VTD_IR_IOAPIC_SID, &m), VTD_IR_DELIVER);
    CHECK_EQ(m.vector, 0x31);
    CHECK_EQ(m.dest, 2);
    CHECK(m.x2apic && !m.logical && !m.level);
    CHECK_EQ(reports, 0);
    /* Another requester: source validation fails (26h). */
    CHECK_EQ(vtd_ir_ioapic(&u, RTE5, 0x0008, &m), VTD_IR_BLOCKED);
    CHECK_EQ(u.frcd_hi >> VTD_FRCD_FR_SHIFT & 0xff, VTD_IR_FR_SID);
    CHECK_EQ(u.frcd_hi & 0xffff, 0x0008);
    CHECK_EQ(u.frcd_lo, 5ull << 48);
    CHECK_EQ(r32(VTD_REG_FSTS), VTD_FSTS_PPF);
    CHECK_EQ(r32(VTD_IR_REG_FECTL), VTD_IR_ECTL_IM | VTD_IR_ECTL_IP);
    /* A second fault while the record is unread: overflow. */
    CHECK_EQ(vtd_ir_ioapic(&u, RTE5 | (300ull << 49), VTD_IR_IOAPIC_SID, &m), VTD_IR_BLOCKED);
    CHECK_EQ(r32(VTD_REG_FSTS), VTD_FSTS_PPF | VTD_FSTS_PFO);
    /* Software reads and clears the record (F is RW1C), then PFO. */
    CHECK_EQ(r32(VTD_IR_FRO + 12) >> 31, 1);
    w32(VTD_IR_FRO + 12, 1u << 31);
    w32(VTD_REG_FSTS, VTD_FSTS_PFO);
    CHECK_EQ(r32(VTD_REG_FSTS), 0);
    CHECK_EQ(vtd_ir_read(&u, VTD_IR_FRO + 8, 8), 0);
}

static void test_faults(void)
{
    static const struct {
        uint64_t rte, lo, hi;
        unsigned fr;
    } c[] = {
        { (1ull << 48) | (256ull << 49), 0, 0, VTD_IR_FR_INDEX },          /* beyond 2^(7+1) */
        { RTE5, 0, 0, VTD_IR_FR_NOT_PRESENT },
        { RTE5, VTD_IRTE_P | VTD_IRTE_IM, 0, VTD_IR_FR_IRTE_RSVD },
        { 0x30, 0, 0, VTD_IR_FR_COMPAT },                                   /* EIME: blocked */
    };
    struct apic_msg m;

    for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
        reset();
        enable_ir(true, 7);
        w32(VTD_IR_REG_FEDATA, 0x55);
        w32(VTD_IR_REG_FEADDR, 0xfee03000u);
        w32(VTD_IR_REG_FECTL, 0);
        put_irte(5, c[i].lo, c[i].hi);
        CHECK_EQ(vtd_ir_ioapic(&u, c[i].rte, VTD_IR_IOAPIC_SID, &m), VTD_IR_BLOCKED);
        CHECK_EQ(u.frcd_hi >> VTD_FRCD_FR_SHIFT & 0xff, c[i].fr);
        CHECK(u.frcd_hi & VTD_FRCD_F);
        CHECK_EQ(sent.n, 1);                           /* the fault event MSI */
        CHECK_EQ(sent.m[0].vector, 0x55);
        CHECK_EQ(sent.m[0].dest, 3);
        CHECK_EQ(reports, 1);
    }
    /* FPD in a present entry: blocked, nothing recorded. */
    reset();
    enable_ir(true, 7);
    put_irte(5, VTD_IRTE_P | VTD_IRTE_FPD | (1ull << 12), 0);
    CHECK_EQ(vtd_ir_ioapic(&u, RTE5, VTD_IR_IOAPIC_SID, &m), VTD_IR_BLOCKED);
    CHECK_EQ(u.frcd_hi, 0);
    CHECK_EQ(r32(VTD_REG_FSTS), 0);
    /* The table outside the guest's RAM (23h). */
    reset();
    vtd_ir_write(&u, VTD_REG_IRTA, 8, 0x7ff00000ull | 7);
    w32(VTD_REG_GCMD, VTD_GCMD_SIRTP);
    w32(VTD_REG_GCMD, VTD_GCMD_IRE);
    CHECK_EQ(vtd_ir_ioapic(&u, RTE5, VTD_IR_IOAPIC_SID, &m), VTD_IR_BLOCKED);
    CHECK_EQ(u.frcd_hi >> VTD_FRCD_FR_SHIFT & 0xff, VTD_IR_FR_TABLE);
    /* Remappable while IRE is clear: dropped, reported, not recorded. */
    reset();
    CHECK_EQ(vtd_ir_ioapic(&u, RTE5, VTD_IR_IOAPIC_SID, &m), VTD_IR_BLOCKED);
    CHECK_EQ(u.frcd_hi, 0);
    CHECK_EQ(reports, 1);
}

static void test_compat_format(void)
{
    struct apic_msg m;

    reset();
    /* IRE clear: compatibility format passes untouched. */
    memset(&m, 0, sizeof(m));
    m.vector = 0x30;
    CHECK_EQ(vtd_ir_ioapic(&u, 0x30, VTD_IR_IOAPIC_SID, &m), VTD_IR_DELIVER);
    CHECK_EQ(m.vector, 0x30);
    /* IRE with CFI and EIME clear: passes. */
    enable_ir(false, 7);
    w32(VTD_REG_GCMD, VTD_GCMD_IRE | VTD_GCMD_CFI);
    CHECK_EQ(vtd_ir_ioapic(&u, 0x30, VTD_IR_IOAPIC_SID, &m), VTD_IR_DELIVER);
    /* CFI cleared (as Linux does): blocked (25h). */
    w32(VTD_REG_GCMD, VTD_GCMD_IRE);
    CHECK_EQ(vtd_ir_ioapic(&u, 0x30, VTD_IR_IOAPIC_SID, &m), VTD_IR_BLOCKED);
    CHECK_EQ(u.frcd_hi >> VTD_FRCD_FR_SHIFT & 0xff, VTD_IR_FR_COMPAT);
    /* MSI in compatibility format: decoded as the SDM says. */
    reset();
    CHECK_EQ(vtd_ir_msi(&u, 0xfee0500cu, 0x80c1u, 0x0008, &m), VTD_IR_DELIVER);
    CHECK_EQ(m.dest, 5);
    CHECK(m.logical && m.level);
    CHECK_EQ(m.vector, 0xc1);
    CHECK_EQ(m.dm, APIC_DM_FIXED);
}

static void test_msi_remapped(void)
{
    struct apic_msg m;

    reset();
    enable_ir(false, 3); /* 16 entries, xAPIC destinations */
    put_irte(9, VTD_IRTE_P | VTD_IRTE_DM | (1ull << 5) | (0x45ull << 16) | (0x0cull << 40),
             (1ull << 18) | 0x0108);
    CHECK_EQ(vtd_ir_msi(&u, 0xfee00018u | (7u << 5), 2, 0x0108, &m), VTD_IR_DELIVER);
    CHECK_EQ(m.vector, 0x45);
    CHECK_EQ(m.dest, 0x0c);
    CHECK(m.logical && !m.x2apic);
    CHECK_EQ(m.dm, APIC_DM_LOWEST);
    /* Without SHV the subhandle is ignored: index 7, not present. */
    CHECK_EQ(vtd_ir_msi(&u, 0xfee00010u | (7u << 5), 2, 0x0108, &m), VTD_IR_BLOCKED);
    CHECK_EQ(u.frcd_hi >> VTD_FRCD_FR_SHIFT & 0xff, VTD_IR_FR_NOT_PRESENT);
    /* Index 16 is beyond 2^(3+1) entries. */
    w32(VTD_IR_FRO + 12, 1u << 31);
    CHECK_EQ(vtd_ir_msi(&u, 0xfee00010u | (16u << 5), 0, 0x0108, &m), VTD_IR_BLOCKED);
    CHECK_EQ(u.frcd_hi >> VTD_FRCD_FR_SHIFT & 0xff, VTD_IR_FR_INDEX);
    CHECK_EQ(u.frcd_lo >> 48, 16);
}

static void test_fault_event_masked(void)
{
    struct apic_msg m;

    reset();
    enable_ir(true, 7);
    w32(VTD_IR_REG_FEDATA, 0x5a);
    w32(VTD_IR_REG_FEADDR, 0xfee00000u);
    CHECK_EQ(vtd_ir_ioapic(&u, RTE5, VTD_IR_IOAPIC_SID, &m), VTD_IR_BLOCKED);
    CHECK_EQ(sent.n, 0);
    CHECK_EQ(r32(VTD_IR_REG_FECTL), VTD_IR_ECTL_IM | VTD_IR_ECTL_IP);
    w32(VTD_IR_REG_FECTL, 0);
    CHECK_EQ(sent.n, 1);
    CHECK_EQ(sent.m[0].vector, 0x5a);
    CHECK_EQ(r32(VTD_IR_REG_FECTL), 0);
    /* A fault event address that is no interrupt address sends nothing. */
    w32(VTD_IR_FRO + 12, 1u << 31);
    w32(VTD_IR_REG_FEADDR, 0x1000u);
    CHECK_EQ(vtd_ir_ioapic(&u, RTE5, VTD_IR_IOAPIC_SID, &m), VTD_IR_BLOCKED);
    CHECK_EQ(sent.n, 1);
}

int main(void)
{
    test_reset_values();
    test_access_sizes();
    test_gcmd_one_shots();
    test_qi_wait_status();
    test_qi_64bit_tail_and_wrap();
    test_qi_errors();
    test_rte_and_msi_index();
    test_irte_decode();
    test_source_validation();
    test_ioapic_remapped();
    test_faults();
    test_compat_format();
    test_msi_remapped();
    test_fault_event_masked();
    return check_report("test_vtd_ir");
}
