/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU interrupt-posting models (tests/model/irq_post_*.c) against
 * scenarios worked out by hand from the specifications: every expected
 * value below is a hex constant computed on paper from #48882 or the VT-d
 * specification (the section is named next to it), never with the model's
 * code.  docs/irq-post-model.md says what the models do.
 */
#include <string.h>

#include "check.h"
#include "tests/model/irq_post_model.h"

/* ---- Simulated physical memory: [MEM_BASE, MEM_BASE + MEM_SIZE) ---- */

#define MEM_BASE 0x100000ull
#define MEM_SIZE 0x40000u

static uint8_t ram[MEM_SIZE];

static int ram_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa - MEM_BASE))
        return -1;
    memcpy(buf, ram + (pa - MEM_BASE), len);
    return 0;
}

static int ram_write(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    (void)ctx;
    if (pa < MEM_BASE || pa - MEM_BASE > MEM_SIZE || len > MEM_SIZE - (pa - MEM_BASE))
        return -1;
    memcpy(ram + (pa - MEM_BASE), buf, len);
    return 0;
}

static const struct irqpm_mem mem = { NULL, ram_read, ram_write };

static void put64(uint64_t pa, uint64_t v) { memcpy(ram + (pa - MEM_BASE), &v, 8); }
static void put32(uint64_t pa, uint32_t v) { memcpy(ram + (pa - MEM_BASE), &v, 4); }
static uint64_t get64(uint64_t pa) { uint64_t v; memcpy(&v, ram + (pa - MEM_BASE), 8); return v; }
static uint32_t get32(uint64_t pa) { uint32_t v; memcpy(&v, ram + (pa - MEM_BASE), 4); return v; }
static uint8_t get8(uint64_t pa) { return ram[pa - MEM_BASE]; }

/* ================= AMD-Vi ================= */

/* Layout: IRT at 0x101000 (16 entries), backing page 0x110000, GA log
 * 0x120000 (256 entries), GA log tail copy at 0x121000. */
#define A_IRT 0x101000ull
#define A_BP 0x110000ull
#define A_LOG 0x120000ull
#define A_TAILCOPY 0x121000ull
#define A_DEVID 0x0012u

/* DTE bits 191:128: IntCtl=10b (bits 61:60), root 0x101000, IntTabLen=4
 * (bits 4:1 = 8h), IV (bit 0). */
#define A_DTE_Q2 0x2000000000101009ull
/* Control: GAEn (17), GAMEn=001b (25), GALogEn (28), GAIntEn (29). */
#define A_CTL 0x0000000032020000ull
/* GA log base: 0x120000, GALogLen=1000b (bits 59:56) = 256 entries. */
#define A_LOG_BASE 0x0800000000120000ull

static struct irqpm_amdvi amd;
static uint64_t dte[4];

static void amd_setup(void)
{
    memset(ram, 0, sizeof(ram));
    irqpm_amdvi_reset(&amd);
    amd.control = A_CTL;
    amd.ga_log_base = A_LOG_BASE;
    amd.ga_log_tail_addr = A_TAILCOPY;
    dte[0] = 3; /* V, TV: translation valid, no bearing on interrupts */
    dte[1] = 0;
    dte[2] = A_DTE_Q2;
    dte[3] = 0;
}

static void amd_irte(unsigned index, uint64_t lo, uint64_t hi)
{
    put64(A_IRT + index * 16u, lo);
    put64(A_IRT + index * 16u + 8u, hi);
}

static struct irqpm_outcome amd_msi(uint64_t addr, uint32_t data)
{
    struct irqpm_outcome o;

    irqpm_amdvi_msi(&amd, &mem, A_DEVID, dte, addr, data, &o);
    return o;
}

static void amd_remapped(void)
{
    amd_setup();
    /* 128-bit, GuestMode 0: RemapEn, IntType fixed, physical, dest 5;
     * vector 41h in bits 71:64. */
    amd_irte(3, 0x0000000000000501ull, 0x41);
    struct irqpm_outcome o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.fault, IRQPM_FAULT_NONE);
    CHECK_EQ(o.msg.dest, 5);
    CHECK_EQ(o.msg.vector, 0x41);
    CHECK(!o.msg.logical);
    CHECK_EQ(o.msg.delivery_mode, 0);

    /* XTEn: Destination 12345678h = bits 31:8 (345678h) + bits 127:120 (12h). */
    amd.control = A_CTL | (1ull << 50);
    amd_irte(7, 0x0000000034567841ull, 0x1200000000000042ull); /* DM, fixed */
    o = amd_msi(0xfee00000, 7);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.msg.dest, 0x12345678);
    CHECK(o.msg.logical);
    CHECK_EQ(o.msg.delivery_mode, 0);
    CHECK_EQ(o.msg.vector, 0x42);

    /* The same entry without XTEn: destination bits above 7 are reserved. */
    amd.control = A_CTL;
    irqpm_amdvi_inv_interrupt_table(&amd, A_DEVID);
    o = amd_msi(0xfee00000, 7);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_RESERVED);

    /* Legacy 32-bit IRTEs (GAEn clear): entry 2 at root + 8 = 0x101008:
     * RemapEn, DM, dest 7, vector 61h. */
    amd.control = 0;
    put32(A_IRT + 8, 0x00610741u);
    o = amd_msi(0xfee00000, 2);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.msg.dest, 7);
    CHECK(o.msg.logical);
    CHECK_EQ(o.msg.vector, 0x61);
}

static void amd_guest_running(void)
{
    amd_setup();
    /* GuestMode, IsRun, RemapEn, dest 2, GATag CAFE0001h; vector 51h,
     * root 0x110000 in 115:76. */
    amd_irte(4, 0xcafe0001000002c1ull, 0x0000000000110051ull);
    struct irqpm_outcome o = amd_msi(0xfee00000, 4);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK_EQ(o.posted_vector, 0x51);
    CHECK(o.notified);
    CHECK_EQ(o.msg.dest, 2);
    CHECK(!o.ga_logged);
    /* Vector 51h = 81: IRR word 2 at 200h + 20h, bit 17. */
    CHECK_EQ(get32(A_BP + 0x220), 0x00020000);
    CHECK_EQ(amd.ga_log_tail, 0);
}

static void amd_guest_not_running(void)
{
    amd_setup();
    /* GuestMode, GALogIntr, RemapEn, IsRun clear, GATag 777h; vector 30h. */
    amd_irte(5, 0x0000077700000085ull, 0x0000000000110030ull);
    put32(A_BP + 0x210, 0x00000001u); /* vector 20h already pending: kept */
    struct irqpm_outcome o = amd_msi(0xfee00000, 5);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(!o.notified);
    CHECK(o.ga_logged);
    /* Vector 30h = 48: word 1 at 210h, bit 16, OR-ed with what was there. */
    CHECK_EQ(get32(A_BP + 0x210), 0x00010001);
    /* GA_GUEST_NR: type 1 in 63:60, device ID 12h in 47:32, GATag. */
    CHECK_EQ(get64(A_LOG), 0x1000001200000777ull);
    CHECK_EQ(amd.ga_log_tail, 8);
    CHECK_EQ(get64(A_TAILCOPY), 8);
    CHECK_EQ(amd.status, 0x500); /* GAInt | GALogRun */
    CHECK_EQ(amd.ga_interrupts, 1);

    /* A second entry while GAInt is still set: logged, no new interrupt. */
    o = amd_msi(0xfee00000, 5);
    CHECK(o.ga_logged);
    CHECK_EQ(get64(A_LOG + 8), 0x1000001200000777ull);
    CHECK_EQ(amd.ga_log_tail, 0x10);
    CHECK_EQ(amd.ga_interrupts, 1);
    /* Software clears GAInt (RW1C): the next entry interrupts again. */
    amd.status &= ~0x400ull;
    o = amd_msi(0xfee00000, 5);
    CHECK_EQ(amd.ga_interrupts, 2);

    /* Neither IsRun nor GALogIntr: only the IRR bit. */
    amd_irte(6, 0x0000000000000081ull, 0x0000000000110031ull);
    o = amd_msi(0xfee00000, 6);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(!o.notified && !o.ga_logged);
    CHECK_EQ(get32(A_BP + 0x210), 0x00030001);
    CHECK_EQ(amd.ga_log_tail, 0x18);
}

static void amd_ga_log_wrap_overflow(void)
{
    amd_setup();
    amd_irte(5, 0x0000077700000085ull, 0x0000000000110030ull);
    /* Wrap: head = tail = last entry (255 * 8 = 7F8h): written there, the
     * tail goes back to 0. */
    amd.ga_log_head = amd.ga_log_tail = 0x7f8;
    struct irqpm_outcome o = amd_msi(0xfee00000, 5);
    CHECK(o.ga_logged);
    CHECK_EQ(get64(A_LOG + 0x7f8), 0x1000001200000777ull);
    CHECK_EQ(amd.ga_log_tail, 0);
    CHECK_EQ(get64(A_TAILCOPY), 0);

    /* Full: tail 8, head 10h: the next tail would be the head. */
    amd.status = 0;
    amd.ga_interrupts = 0;
    amd.ga_log_head = 0x10;
    amd.ga_log_tail = 0x8;
    put64(A_LOG + 8, 0x5a5a5a5a5a5a5a5aull);
    o = amd_msi(0xfee00000, 5);
    CHECK_EQ(o.result, IRQPM_POSTED); /* the IRR bit is still set */
    CHECK(!o.ga_logged);
    CHECK(o.ga_log_overflow);
    CHECK_EQ(amd.status & 0x600, 0x200); /* GALogOverflow, no GAInt */
    CHECK_EQ(amd.ga_interrupts, 0);
    CHECK_EQ(amd.ga_log_tail, 8);
    CHECK_EQ(get64(A_LOG + 8), 0x5a5a5a5a5a5a5a5aull);
    /* Room again, but the overflow is not cleared: still lost. */
    amd.ga_log_head = 0x8;
    o = amd_msi(0xfee00000, 5);
    CHECK(!o.ga_logged && o.ga_log_overflow);
    /* Cleared: logged at 8. */
    amd.status &= ~0x200ull;
    o = amd_msi(0xfee00000, 5);
    CHECK(o.ga_logged);
    CHECK_EQ(get64(A_LOG + 8), 0x1000001200000777ull);
    CHECK_EQ(amd.ga_log_tail, 0x10);

    /* GALogEn clear: nothing logged, no overflow. */
    amd.control = A_CTL & ~(1ull << 28);
    o = amd_msi(0xfee00000, 5);
    CHECK(!o.ga_logged && !o.ga_log_overflow);
    CHECK_EQ(amd.ga_log_tail, 0x10);
}

static void amd_stale_cache(void)
{
    amd_setup();
    amd_irte(3, 0x0000000000000501ull, 0x41);
    struct irqpm_outcome o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.msg.vector, 0x41);
    /* The driver changes the vector and moves the vCPU: cached until the
     * INVALIDATE_INTERRUPT_TABLE for this device. */
    amd_irte(3, 0x0000000000000601ull, 0x42);
    o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.msg.vector, 0x41);
    CHECK_EQ(o.msg.dest, 5);
    irqpm_amdvi_inv_interrupt_table(&amd, A_DEVID + 1); /* another device */
    o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.msg.vector, 0x41);
    irqpm_amdvi_inv_interrupt_table(&amd, A_DEVID);
    o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.msg.vector, 0x42);
    CHECK_EQ(o.msg.dest, 6);

    /* Guest mode (rev 3.08, 2.2.5.2): IsRun and Destination are read from
     * the table every time, every other field comes from the cache. */
    amd_irte(4, 0xcafe0001000002c1ull, 0x0000000000110051ull); /* running on APIC 2 */
    o = amd_msi(0xfee00000, 4);
    CHECK(o.notified);
    CHECK_EQ(o.msg.dest, 2);
    amd_irte(4, 0xcafe0001000009c1ull, 0x0000000000110051ull); /* moved to APIC 9 */
    o = amd_msi(0xfee00000, 4);
    CHECK(o.notified);
    CHECK_EQ(o.msg.dest, 9);
    /* Stopped, GALogIntr set, vector 52h, no invalidation: IsRun is seen
     * clear, but GALogIntr and the vector are still the cached ones (clear,
     * 51h), so nothing is logged and 51h is posted. */
    amd_irte(4, 0xcafe000100000285ull, 0x0000000000110052ull);
    o = amd_msi(0xfee00000, 4);
    CHECK(!o.notified && !o.ga_logged);
    CHECK_EQ(o.posted_vector, 0x51);
    irqpm_amdvi_inv_interrupt_table(&amd, A_DEVID);
    o = amd_msi(0xfee00000, 4);
    CHECK(!o.notified && o.ga_logged);
    CHECK_EQ(o.posted_vector, 0x52);
    CHECK_EQ(get64(A_LOG), 0x10000012cafe0001ull);
    /* A unit older than rev 3.08 may cache IsRun and Destination too. */
    amd.caches_run_fields = true;
    amd_irte(4, 0xcafe0001000002c1ull, 0x0000000000110051ull);
    irqpm_amdvi_inv_interrupt_table(&amd, A_DEVID);
    o = amd_msi(0xfee00000, 4);
    CHECK(o.notified);
    amd_irte(4, 0xcafe000100000385ull, 0x0000000000110051ull); /* stopped, dest 3 */
    o = amd_msi(0xfee00000, 4);
    CHECK(o.notified && !o.ga_logged);
    CHECK_EQ(o.msg.dest, 2);
    irqpm_amdvi_inv_interrupt_table(&amd, A_DEVID);
    o = amd_msi(0xfee00000, 4);
    CHECK(!o.notified && o.ga_logged);
    amd.caches_run_fields = false;

    /* A not-present entry is not cached (NpCache clear)... */
    amd_irte(9, 0, 0x44);
    o = amd_msi(0xfee00000, 9);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_NOT_PRESENT);
    amd_irte(9, 0x0000000000000501ull, 0x44);
    o = amd_msi(0xfee00000, 9);
    CHECK_EQ(o.msg.vector, 0x44);
    /* ...unless the unit says NpCache. */
    amd.np_cache = true;
    amd_irte(10, 0, 0x45);
    o = amd_msi(0xfee00000, 10);
    amd_irte(10, 0x0000000000000501ull, 0x45);
    o = amd_msi(0xfee00000, 10);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_NOT_PRESENT);
}

static void amd_dte_routes(void)
{
    amd_setup();
    /* IV clear: passed through as sent (dest 3, logical, vector 31h). */
    dte[2] = 0;
    struct irqpm_outcome o = amd_msi(0xfee03004, 0x4031);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.fault, IRQPM_FAULT_NOT_REMAPPED);
    CHECK_EQ(o.msg.dest, 3);
    CHECK(o.msg.logical);
    CHECK_EQ(o.msg.vector, 0x31);
    /* IntCtl 00b: fixed interrupts aborted; 01b forwarded; 11b illegal. */
    dte[2] = A_DTE_Q2 & ~(3ull << 60);
    o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.fault, IRQPM_FAULT_DTE_BLOCKED);
    dte[2] = (A_DTE_Q2 & ~(3ull << 60)) | (1ull << 60);
    o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.fault, IRQPM_FAULT_NOT_REMAPPED);
    dte[2] = A_DTE_Q2 | (3ull << 60);
    o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.fault, IRQPM_FAULT_TABLE_INVALID);
    /* NMI (data 10:8 = 100b): NMIPass (bit 186 = q2 bit 58). */
    dte[2] = A_DTE_Q2;
    o = amd_msi(0xfee00000, 0x0400);
    CHECK_EQ(o.fault, IRQPM_FAULT_DTE_BLOCKED);
    dte[2] = A_DTE_Q2 | (1ull << 58);
    o = amd_msi(0xfee00000, 0x0400);
    CHECK_EQ(o.fault, IRQPM_FAULT_NOT_REMAPPED);
    CHECK_EQ(o.msg.delivery_mode, 4);
    /* Not in FEE0_0000h..FEEF_FFFFh: not an interrupt. */
    o = amd_msi(0xfed00000, 3);
    CHECK_EQ(o.fault, IRQPM_FAULT_FORMAT);
}

static void amd_faults(void)
{
    amd_setup();
    /* IntTabLen 1100b: reserved. */
    dte[2] = (A_DTE_Q2 & ~0x1eull) | (12u << 1);
    struct irqpm_outcome o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.fault, IRQPM_FAULT_TABLE_INVALID);
    /* 16 entries: index 16 is beyond. */
    dte[2] = A_DTE_Q2;
    o = amd_msi(0xfee00000, 16);
    CHECK_EQ(o.result, IRQPM_BLOCKED);
    CHECK_EQ(o.fault, IRQPM_FAULT_INDEX);
    /* RemapEn clear: IO_PAGE_FAULT, logged unless SupIOPF. */
    unsigned before = amd.faults_logged;
    amd_irte(1, 0, 0);
    o = amd_msi(0xfee00000, 1);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_NOT_PRESENT);
    CHECK_EQ(amd.faults_logged, before + 1);
    amd_irte(1, 0x2, 0);
    o = amd_msi(0xfee00000, 1);
    CHECK_EQ(amd.faults_logged, before + 1);
    /* DTE.IG (bit 133 = q2 bit 5): unmapped interrupts are not logged. */
    amd_irte(1, 0, 0);
    dte[2] = A_DTE_Q2 | 0x20;
    o = amd_msi(0xfee00000, 1);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_NOT_PRESENT);
    o = amd_msi(0xfee00000, 16);
    CHECK_EQ(o.fault, IRQPM_FAULT_INDEX);
    CHECK_EQ(amd.faults_logged, before + 1);
    dte[2] = A_DTE_Q2;
    /* IntType 011b reserved. */
    amd_irte(8, 0x000000000000050dull, 0x41);
    o = amd_msi(0xfee00000, 8);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_RESERVED);
    /* GuestMode while GAMEn is not 001b. */
    amd.control = A_CTL & ~(7ull << 25);
    amd_irte(4, 0xcafe0001000002c1ull, 0x0000000000110051ull);
    o = amd_msi(0xfee00000, 4);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_RESERVED);
    /* Guest form with a reserved bit (75:72). */
    amd.control = A_CTL;
    amd_irte(11, 0x00000000000002c1ull, 0x0000000000110151ull);
    o = amd_msi(0xfee00000, 11);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_RESERVED);
    /* Backing page outside memory: nothing posted. */
    amd_irte(12, 0x00000000000002c1ull, 0x0000000099000051ull);
    o = amd_msi(0xfee00000, 12);
    CHECK_EQ(o.result, IRQPM_BLOCKED);
    CHECK_EQ(o.fault, IRQPM_FAULT_MEM);
    /* Table outside memory. */
    dte[2] = (A_DTE_Q2 & ~0x000fffffffffffc0ull) | 0x9000000ull;
    o = amd_msi(0xfee00000, 3);
    CHECK_EQ(o.fault, IRQPM_FAULT_MEM);
}

/* ================= VT-d ================= */

/* IRT at 0x130000 with S=7 (256 entries); PID at 0x131000. */
#define V_IRT 0x130000ull
#define V_PID 0x131000ull
#define V_IRTA 0x0000000000130007ull
#define V_GSTS 0x03000000u             /* IRES | IRTPS */
#define V_CAP 0x0800000000000000ull    /* PI (59) */
#define V_ECAP 0x18ull                 /* IR (3) | EIM (4) */
#define V_SID 0x0010u                  /* 00:02.0 */

static struct irqpm_vtd vtd;

static void vtd_setup(void)
{
    memset(ram, 0, sizeof(ram));
    irqpm_vtd_reset(&vtd);
    vtd.irta = V_IRTA;
    vtd.gsts = V_GSTS;
    vtd.cap = V_CAP;
    vtd.ecap = V_ECAP;
}

static void vtd_irte(unsigned index, uint64_t lo, uint64_t hi)
{
    put64(V_IRT + index * 16u, lo);
    put64(V_IRT + index * 16u + 8u, hi);
}

static struct irqpm_outcome vtd_msi(uint16_t sid, uint64_t addr, uint32_t data)
{
    struct irqpm_outcome o;

    irqpm_vtd_msi(&vtd, &mem, sid, addr, data, &o);
    return o;
}

/* Remappable address for handle h (5.1.2.2): FEEh, handle[14:0] in 19:5,
 * format bit 4, SHV bit 3, handle[15] bit 2, written out per test. */

static void vtd_remapped(void)
{
    vtd_setup();
    /* Entry 10: P, fixed, physical, vector 45h, DST 0300h (xAPIC ID 3). */
    vtd_irte(10, 0x0000030000450001ull, 0);
    struct irqpm_outcome o = vtd_msi(V_SID, 0xfee00150, 0); /* handle 10 */
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.fault, IRQPM_FAULT_NONE);
    CHECK_EQ(o.msg.dest, 3);
    CHECK_EQ(o.msg.vector, 0x45);
    CHECK(!o.msg.logical && !o.msg.level);

    /* SHV: handle 8 (addr 0xfee00118) + subhandle 4 = entry 12. */
    vtd_irte(12, 0x0000050000490001ull, 0);
    o = vtd_msi(V_SID, 0xfee00118, 4);
    CHECK_EQ(o.msg.vector, 0x49);
    CHECK_EQ(o.msg.dest, 5);

    /* EIME: entry 11 DST 00012345h, DM, TM, lowest priority, vector 46h. */
    vtd.irta = V_IRTA | 0x800;
    vtd_irte(11, 0x0001234500460035ull, 0);
    o = vtd_msi(V_SID, 0xfee00170, 0);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.msg.dest, 0x12345);
    CHECK(o.msg.logical && o.msg.level);
    CHECK_EQ(o.msg.delivery_mode, 1);
    /* The same entry in xAPIC mode: DST 7:0 and 31:16 are reserved. */
    vtd.irta = V_IRTA;
    irqpm_vtd_inv_iec(&vtd, true, 0, 0);
    o = vtd_msi(V_SID, 0xfee00170, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_RESERVED);
    CHECK_EQ(vtd.last_fault_reason, 0x24);
}

static void vtd_pid(uint32_t ndst, uint8_t nv, bool on, bool sn)
{
    memset(ram + (V_PID - MEM_BASE), 0, 64);
    put64(V_PID + 32, ((uint64_t)ndst << 32) | ((uint64_t)nv << 16) | (sn ? 2u : 0u) | (on ? 1u : 0u));
}

/* Entry 20: P, IM, VV 55h, PDA 0x131000 (PDA[31:6] in 63:38: 0x131000 << 32). */
#define V_POSTED_LO 0x0013100000558001ull

static void vtd_posted(void)
{
    vtd_setup();
    vtd_irte(20, V_POSTED_LO, 0);
    vtd_pid(0x0400, 0xf2, false, false); /* xAPIC ID 4 in NDST 15:8 */
    struct irqpm_outcome o = vtd_msi(V_SID, 0xfee00290, 0); /* handle 20 */
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK_EQ(o.posted_vector, 0x55);
    /* PIR bit 85: byte 10, bit 5. */
    CHECK_EQ(get8(V_PID + 10), 0x20);
    CHECK_EQ(get64(V_PID + 32), 0x0000040000f20001ull); /* ON set */
    CHECK(o.notified);
    CHECK_EQ(o.msg.dest, 4);
    CHECK_EQ(o.msg.vector, 0xf2);
    CHECK(!o.msg.logical);

    /* ON already set: recorded, no second notification. */
    o = vtd_msi(V_SID, 0xfee00290, 0);
    CHECK_EQ(o.result, IRQPM_POSTED);
    CHECK(!o.notified);

    /* SN set, not urgent: PIR only, ON stays clear. */
    vtd_pid(0x0400, 0xf2, false, true);
    o = vtd_msi(V_SID, 0xfee00290, 0);
    CHECK(!o.notified);
    CHECK_EQ(get8(V_PID + 10), 0x20);
    CHECK_EQ(get64(V_PID + 32), 0x0000040000f20002ull);

    /* SN set, URG (bit 14): notified, ON set. */
    vtd_irte(21, V_POSTED_LO | 0x4000, 0);
    o = vtd_msi(V_SID, 0xfee002b0, 0); /* handle 21 */
    CHECK(o.notified);
    CHECK_EQ(get64(V_PID + 32), 0x0000040000f20003ull);
    /* ON and SN set, URG: nothing more. */
    o = vtd_msi(V_SID, 0xfee002b0, 0);
    CHECK(!o.notified);

    /* NDST forms: with EIME the x2APIC ID is the whole field... */
    vtd.irta = V_IRTA | 0x800;
    vtd_pid(0x00000104, 0xf3, false, false);
    o = vtd_msi(V_SID, 0xfee00290, 0);
    CHECK_EQ(o.msg.dest, 0x104);
    /* ...without it, bits 15:8: an x2APIC-style 4 names APIC 0. */
    vtd.irta = V_IRTA;
    vtd_pid(0x00000004, 0xf3, false, false);
    o = vtd_msi(V_SID, 0xfee00290, 0);
    CHECK_EQ(o.msg.dest, 0);
    CHECK_EQ(o.msg.vector, 0xf3);

    /* Posted entry on a unit without CAP.PI: reserved. */
    vtd.cap = 0;
    irqpm_vtd_inv_iec(&vtd, true, 0, 0);
    o = vtd_msi(V_SID, 0xfee00290, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_RESERVED);
    CHECK_EQ(vtd.last_fault_reason, 0x24);
    /* PID outside memory: 27h. */
    vtd.cap = V_CAP;
    vtd_irte(22, 0x0900000000558001ull, 0); /* PDA 0x9000000 */
    o = vtd_msi(V_SID, 0xfee002d0, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_MEM);
    CHECK_EQ(vtd.last_fault_reason, 0x27);
}

static void vtd_cache(void)
{
    vtd_setup();
    vtd_irte(10, 0x0000030000450001ull, 0);
    struct irqpm_outcome o = vtd_msi(V_SID, 0xfee00150, 0);
    CHECK_EQ(o.msg.vector, 0x45);
    vtd_irte(10, 0x0000030000470001ull, 0);
    o = vtd_msi(V_SID, 0xfee00150, 0);
    CHECK_EQ(o.msg.vector, 0x45); /* stale until invalidated */
    irqpm_vtd_inv_iec(&vtd, false, 9, 1); /* entries 8..9 only */
    o = vtd_msi(V_SID, 0xfee00150, 0);
    CHECK_EQ(o.msg.vector, 0x45);
    irqpm_vtd_inv_iec(&vtd, false, 11, 1); /* entries 10..11 */
    o = vtd_msi(V_SID, 0xfee00150, 0);
    CHECK_EQ(o.msg.vector, 0x47);
    vtd_irte(10, 0x0000030000480001ull, 0);
    irqpm_vtd_inv_iec(&vtd, false, 10, 0);
    o = vtd_msi(V_SID, 0xfee00150, 0);
    CHECK_EQ(o.msg.vector, 0x48);

    /* The PID is never cached: NDST changes without an invalidation. */
    vtd_irte(20, V_POSTED_LO, 0);
    vtd_pid(0x0400, 0xf2, false, false);
    o = vtd_msi(V_SID, 0xfee00290, 0);
    CHECK_EQ(o.msg.dest, 4);
    vtd_pid(0x0700, 0xf2, false, false);
    o = vtd_msi(V_SID, 0xfee00290, 0);
    CHECK_EQ(o.msg.dest, 7);
}

static void vtd_faults(void)
{
    vtd_setup();
    /* Compatibility format (bit 4 clear): blocked (25h) without CFIS... */
    struct irqpm_outcome o = vtd_msi(V_SID, 0xfee03000, 0x31);
    CHECK_EQ(o.fault, IRQPM_FAULT_FORMAT);
    CHECK_EQ(vtd.last_fault_reason, 0x25);
    /* ...passed through with CFIS in xAPIC mode... */
    vtd.gsts = V_GSTS | 0x00800000u;
    o = vtd_msi(V_SID, 0xfee03000, 0x31);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    CHECK_EQ(o.fault, IRQPM_FAULT_NOT_REMAPPED);
    CHECK_EQ(o.msg.dest, 3);
    /* ...and blocked with EIME whatever CFIS says. */
    vtd.irta = V_IRTA | 0x800;
    o = vtd_msi(V_SID, 0xfee03000, 0x31);
    CHECK_EQ(o.fault, IRQPM_FAULT_FORMAT);
    vtd.irta = V_IRTA;
    vtd.gsts = V_GSTS;
    /* Remapping off: everything passes. */
    vtd.gsts = 0;
    o = vtd_msi(V_SID, 0xfee03000, 0x31);
    CHECK_EQ(o.fault, IRQPM_FAULT_NOT_REMAPPED);
    vtd.gsts = V_GSTS;
    /* Index 300 (handle 12Ch: addr FEE0_2590h) beyond 256 entries: 21h. */
    o = vtd_msi(V_SID, 0xfee02590, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_INDEX);
    CHECK_EQ(vtd.last_fault_reason, 0x21);
    /* Data 31:16 set in a remappable request: 20h. */
    o = vtd_msi(V_SID, 0xfee00150, 0x10000);
    CHECK_EQ(o.fault, IRQPM_FAULT_FORMAT);
    CHECK_EQ(vtd.last_fault_reason, 0x20);
    /* Not present: 22h, recorded; with FPD not recorded. */
    unsigned rec = vtd.faults_recorded;
    o = vtd_msi(V_SID, 0xfee00030, 0); /* entry 1, all zero */
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_NOT_PRESENT);
    CHECK_EQ(vtd.last_fault_reason, 0x22);
    CHECK_EQ(vtd.faults_recorded, rec + 1);
    vtd_irte(2, 0x2, 0);
    o = vtd_msi(V_SID, 0xfee00050, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_NOT_PRESENT);
    CHECK_EQ(vtd.faults_recorded, rec + 1);
    /* Delivery mode 011b: reserved. */
    vtd_irte(3, 0x0000030000450061ull, 0);
    o = vtd_msi(V_SID, 0xfee00070, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_RESERVED);
    /* SVT 11b: reserved. */
    vtd_irte(4, 0x0000030000450001ull, 0x00000000000c0010ull);
    o = vtd_msi(V_SID, 0xfee00090, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_ENTRY_RESERVED);
    /* Table outside memory: 23h. */
    vtd.irta = 0x0000000009000007ull;
    o = vtd_msi(V_SID, 0xfee00150, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_MEM);
    CHECK_EQ(vtd.last_fault_reason, 0x23);
    /* EIME on a unit without EIM: no usable table. */
    vtd.irta = V_IRTA | 0x800;
    vtd.ecap = 0x8;
    o = vtd_msi(V_SID, 0xfee00150, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_TABLE_INVALID);
}

static void vtd_source_id(void)
{
    vtd_setup();
    /* SVT 01b, SQ 00b, SID 0010h: every bit compared. */
    vtd_irte(5, 0x0000030000450001ull, 0x0000000000040010ull);
    struct irqpm_outcome o = vtd_msi(0x0010, 0xfee000b0, 0);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    o = vtd_msi(0x0011, 0xfee000b0, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_SOURCE);
    CHECK_EQ(vtd.last_fault_reason, 0x26);
    /* SQ 11b: function bits 2:0 ignored. */
    vtd_irte(6, 0x0000030000450001ull, 0x0000000000070010ull);
    o = vtd_msi(0x0017, 0xfee000d0, 0);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    o = vtd_msi(0x0018, 0xfee000d0, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_SOURCE);
    /* SVT 10b: bus in [02h, 04h] (SID 0204h). */
    vtd_irte(7, 0x0000030000450001ull, 0x0000000000080204ull);
    o = vtd_msi(0x0300, 0xfee000f0, 0);
    CHECK_EQ(o.result, IRQPM_REMAPPED);
    o = vtd_msi(0x0500, 0xfee000f0, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_SOURCE);
    o = vtd_msi(0x0100, 0xfee000f0, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_SOURCE);
    /* Posted entries are validated too. */
    vtd_irte(20, V_POSTED_LO, 0x0000000000040010ull);
    vtd_pid(0x0400, 0xf2, false, false);
    o = vtd_msi(0x0011, 0xfee00290, 0);
    CHECK_EQ(o.fault, IRQPM_FAULT_SOURCE);
    CHECK_EQ(get8(V_PID + 10), 0); /* nothing recorded */
}

int main(void)
{
    amd_remapped();
    amd_guest_running();
    amd_guest_not_running();
    amd_ga_log_wrap_overflow();
    amd_stale_cache();
    amd_dte_routes();
    amd_faults();
    vtd_remapped();
    vtd_posted();
    vtd_cache();
    vtd_faults();
    vtd_source_id();
    return check_report("irq_post_model");
}
