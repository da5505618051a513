/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/vtd_ir.c: the guest programs its virtual VT-d interrupt-remapping
 * unit and writes its queue and table in its own memory.  The input is a
 * program of operations, one byte each followed by its arguments:
 *   0 register write: offset u16 (within the page), size (4 or 8 by bit 0
 *     of a byte), value u64
 *   1 register read: offset u16, size byte
 *   2 guest memory write: offset u16 (scaled by 8 into the fake RAM), u64
 *   3 an I/O APIC RTE fires: rte u64, source-id u16
 *   4 an MSI: address low u32 (made FEExxxxx), data u32, source-id u16
 *   5 set up what Linux sets up (table, EIME, IRE, the queue), so the
 *     fuzzer reaches remapping with few bytes
 * Invariants, after every operation:
 *   - every guest memory access the model asks for is one the ops allow
 *     (status writes of 4 bytes, 4-byte aligned; reads of 16 bytes);
 *   - GSTS holds only QIES, IRES, IRTPS, CFIS, RTPS (never TES); FSTS only
 *     its defined bits, PPF exactly while the fault record holds a fault;
 *   - IQH is 16-byte aligned inside the queue, IQT within its mask;
 *   - the table size latched is 0 or 2^(S+1);
 *   - a request the unit delivers in remappable format used a present
 *     IRTE inside the table, and the message is vtd_ir_irte_decode() of
 *     that entry as it is in memory; an x2APIC-less message has an 8-bit
 *     destination; delivery modes 3 and 6 are never sent.
 */
#include "fuzz.h"
#include "hv/dev/vtd_ir.h"

#define MAX_OPS  2000
#define RAM_BASE 0x10000ull
#define RAM_SIZE 0x80000ull          /* 512 KiB: 2^15 entries at most */

static uint8_t ram[RAM_SIZE];
static struct vtd_ir u;
static unsigned events;

static bool in_ram(uint64_t gpa, size_t len)
{
    return gpa >= RAM_BASE && gpa - RAM_BASE <= RAM_SIZE && len <= RAM_SIZE - (gpa - RAM_BASE);
}

static int f_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    (void)ctx;
    FUZZ_ASSERT(len == 16);
    if (!in_ram(gpa, len))
        return -1;
    memcpy(buf, ram + (gpa - RAM_BASE), len);
    return 0;
}

static int f_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    (void)ctx;
    FUZZ_ASSERT(len == 4 && (gpa & 3) == 0);
    if (!in_ram(gpa, len))
        return -1;
    memcpy(ram + (gpa - RAM_BASE), buf, len);
    return 0;
}

static void f_deliver(void *ctx, const struct apic_msg *m)
{
    (void)ctx;
    FUZZ_ASSERT(m->dest <= 0xff && !m->x2apic); /* events are compatibility format */
    events++;
}

static const struct vtd_ir_ops ops = { .read = f_read, .write = f_write, .deliver = f_deliver };

static void check_state(void)
{
    const uint32_t gsts_ok = VTD_GSTS_QIES | VTD_GSTS_IRES | VTD_GSTS_IRTPS | VTD_GSTS_CFIS |
                             VTD_GSTS_RTPS;
    const uint32_t fsts_ok = VTD_FSTS_PFO | VTD_FSTS_PPF | VTD_FSTS_IQE | VTD_FSTS_ITE;
    uint32_t gsts = (uint32_t)vtd_ir_read(&u, VTD_REG_GSTS, 4);
    uint32_t fsts = (uint32_t)vtd_ir_read(&u, VTD_REG_FSTS, 4);
    uint64_t qsize = (256ull << (u.iqa & VTD_IR_IQA_QS_MASK)) * 16;

    FUZZ_ASSERT((gsts & ~gsts_ok) == 0);
    FUZZ_ASSERT((fsts & ~fsts_ok) == 0);
    FUZZ_ASSERT(((fsts & VTD_FSTS_PPF) != 0) == ((u.frcd_hi & VTD_FRCD_F) != 0));
    FUZZ_ASSERT((u.iqh & 15) == 0 && u.iqh < qsize);
    FUZZ_ASSERT((u.iqt & ~VTD_IQ_PTR_MASK) == 0);
    FUZZ_ASSERT(u.irt_entries == 0 || (u.irt_entries >= 2 && u.irt_entries <= 65536 &&
                                       (u.irt_entries & (u.irt_entries - 1)) == 0));
    FUZZ_ASSERT(vtd_ir_read(&u, VTD_REG_GCMD, 4) == 0);
    FUZZ_ASSERT(vtd_ir_read(&u, VTD_REG_VER, 4) == VTD_IR_VER);
}

static void check_msg(const struct apic_msg *m)
{
    FUZZ_ASSERT(m->dm != 3 && m->dm != APIC_DM_STARTUP && m->dm <= 7);
    FUZZ_ASSERT(m->x2apic || m->dest <= 0xff);
    FUZZ_ASSERT(m->assert && m->source == -1 && m->shorthand == APIC_SH_NONE);
}

/* A remapped delivery: the IRTE used is inside the table, present, and
 * gives exactly this message. */
static void check_remapped(uint32_t idx, const struct apic_msg *m)
{
    uint64_t e[2];
    struct apic_msg want;

    FUZZ_ASSERT(u.gsts & VTD_GSTS_IRES);
    FUZZ_ASSERT(idx < u.irt_entries);
    FUZZ_ASSERT(f_read(NULL, u.irt_base + 16ull * idx, e, 16) == 0);
    FUZZ_ASSERT(e[0] & VTD_IRTE_P);
    FUZZ_ASSERT(vtd_ir_irte_decode(e[0], e[1], u.eime, &want) == VTD_IR_OK);
    FUZZ_ASSERT(memcmp(&want, m, sizeof(want)) == 0);
}

static void op_ioapic(struct fuzz_in *in)
{
    uint64_t rte = fuzz_u64(in);
    uint16_t sid = fuzz_u16(in);
    struct apic_msg m;

    memset(&m, 0, sizeof(m));
    m.vector = (uint8_t)rte;
    m.assert = true;
    m.source = -1;
    if (vtd_ir_ioapic(&u, rte, sid, &m) != VTD_IR_DELIVER)
        return;
    check_msg(&m);
    if (rte & VTD_IR_RTE_FORMAT)
        check_remapped(vtd_ir_rte_index(rte), &m);
}

static void op_msi(struct fuzz_in *in)
{
    uint32_t addr = 0xfee00000u | (fuzz_u32(in) & 0xfffffu);
    uint32_t data = fuzz_u32(in), idx;
    uint16_t sid = fuzz_u16(in);
    struct apic_msg m;

    if (vtd_ir_msi(&u, addr, data, sid, &m) != VTD_IR_DELIVER)
        return;
    check_msg(&m);
    if (vtd_ir_msi_index(addr, data, &idx))
        check_remapped(idx, &m);
}

static void op_linux_setup(struct fuzz_in *in)
{
    uint8_t s = fuzz_u8(in);

    vtd_ir_write(&u, VTD_REG_IQT, 4, 0);
    vtd_ir_write(&u, VTD_REG_IQA, 8, RAM_BASE);
    vtd_ir_write(&u, VTD_REG_GCMD, 4, VTD_GCMD_QIE);
    vtd_ir_write(&u, VTD_REG_IRTA, 8, (RAM_BASE + 0x1000) | (s & 0x80 ? VTD_IR_IRTA_EIME : 0) |
                                         (s & 0xf));
    vtd_ir_write(&u, VTD_REG_GCMD, 4, VTD_GCMD_QIE | VTD_GCMD_SIRTP);
    vtd_ir_write(&u, VTD_REG_GCMD, 4, VTD_GCMD_QIE | VTD_GCMD_IRE | (s & 0x40 ? VTD_GCMD_CFI : 0));
}

static void one_op(struct fuzz_in *in)
{
    uint8_t op = fuzz_u8(in);

    switch (op % 6) {
    case 0: {
        uint32_t off = fuzz_u16(in) & 0x1fffu; /* past the page too */
        unsigned size = fuzz_bool(in) ? 8 : 4;
        vtd_ir_write(&u, off, size, fuzz_u64(in));
        break;
    }
    case 1: {
        uint32_t off = fuzz_u16(in) & 0x1fffu;
        unsigned size = fuzz_u8(in) & 0xf;
        uint64_t v = vtd_ir_read(&u, off, size);
        if (off < VTD_IR_SIZE && (size == 4 || size == 8) && !(off & (size - 1)))
            FUZZ_ASSERT(size == 8 || v <= 0xffffffffull);
        else
            FUZZ_ASSERT(v == ~0ull);
        break;
    }
    case 2: {
        uint64_t at = (fuzz_u16(in) * 8ull) % RAM_SIZE;
        uint64_t v = fuzz_u64(in);
        memcpy(ram + at, &v, 8);
        break;
    }
    case 3:
        op_ioapic(in);
        break;
    case 4:
        op_msi(in);
        break;
    default:
        op_linux_setup(in);
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    memset(ram, 0, sizeof(ram));
    events = 0;
    vtd_ir_init(&u, &ops, NULL);
    check_state();
    for (unsigned i = 0; i < MAX_OPS && fuzz_more(&in); i++) {
        one_op(&in);
        check_state();
    }
    return 0;
}
