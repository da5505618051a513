/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the IOMMU interrupt-posting models
 * (tests/model/irq_post_*.c): random DTEs, IRTEs, descriptors, registers
 * and MSIs, with invalidations and memory changes in between.
 *
 * Invariants: the models never crash; they write only where the unit may
 * (AMD-Vi: the backing page's IRR, the GA log, the GA log tail copy; VT-d:
 * the posted-interrupt descriptor), never the tables; an IRR or PIR write
 * adds exactly the posted vector's bit; ON only goes from 0 to 1 and only
 * with a notification; a GA log entry lands at the old tail, the tail moves
 * one entry (with wrap) and the entry names the device; a blocked MSI
 * carries a fault, a posted one the vector in its entry.
 *
 * Input: byte 0 picks the unit; then a program of operations.
 */
#include "fuzz.h"
#include "tests/model/irq_post_model.h"

/* The simulated machine: a table region, a backing page / descriptor page,
 * a GA log (up to 32768 entries would be 256 KiB: the region holds 4096
 * entries, longer logs run off it and must fail cleanly), a tail copy. */
#define T_BASE 0x100000ull
#define T_SIZE 0x8000u        /* 2048 AMD entries of 16 bytes */
#define P_BASE 0x200000ull    /* backing page / PID page */
#define P_SIZE 0x1000u
#define L_BASE 0x300000ull
#define L_SIZE 0x8000u
#define C_BASE 0x400000ull    /* GA log tail copy */
#define C_SIZE 8u
#define BAD_PA 0x7000000ull   /* no memory there */

struct region {
    uint64_t base;
    uint32_t size;
    bool writable;
    uint8_t *buf;
};

struct world {
    bool amd;
    struct region r[4];
    /* Writes the last MSI made, to check them against its outcome. */
    unsigned writes;
    uint64_t last_write_pa;
    size_t last_write_len;
};

static uint8_t t_mem[T_SIZE], p_mem[P_SIZE], l_mem[L_SIZE], c_mem[C_SIZE];

static struct region *find(struct world *w, uint64_t pa, size_t len)
{
    for (int i = 0; i < 4; i++) {
        struct region *r = &w->r[i];
        if (pa >= r->base && pa - r->base <= r->size && len <= r->size - (pa - r->base))
            return r;
    }
    return NULL;
}

static int w_read(void *ctx, uint64_t pa, void *buf, size_t len)
{
    struct region *r = find(ctx, pa, len);

    if (!r)
        return -1;
    memcpy(buf, r->buf + (pa - r->base), len);
    return 0;
}

static int w_write(void *ctx, uint64_t pa, const void *buf, size_t len)
{
    struct world *w = ctx;
    struct region *r = find(w, pa, len);

    if (!r)
        return -1;
    FUZZ_ASSERT(r->writable); /* never the tables */
    if (w->amd && r->base == P_BASE) /* only the IRR (200h..27Fh), one register */
        FUZZ_ASSERT(pa - P_BASE >= 0x200 && pa - P_BASE < 0x280 && len == 4 && pa % 16 == 0);
    w->writes++;
    w->last_write_pa = pa;
    w->last_write_len = len;
    memcpy(r->buf + (pa - r->base), buf, len);
    return 0;
}

static void world_init(struct world *w, bool amd)
{
    memset(w, 0, sizeof(*w));
    w->amd = amd;
    w->r[0] = (struct region){ T_BASE, T_SIZE, false, t_mem };
    w->r[1] = (struct region){ P_BASE, P_SIZE, true, p_mem };
    w->r[2] = (struct region){ L_BASE, L_SIZE, amd, l_mem };
    w->r[3] = (struct region){ C_BASE, C_SIZE, amd, c_mem };
    memset(t_mem, 0, sizeof(t_mem));
    memset(p_mem, 0, sizeof(p_mem));
    memset(l_mem, 0, sizeof(l_mem));
    memset(c_mem, 0, sizeof(c_mem));
}

static uint64_t pick_pa(struct fuzz_in *in, uint64_t good)
{
    return (fuzz_u8(in) & 7u) == 0 ? BAD_PA : good;
}

static void fill_table(struct fuzz_in *in)
{
    unsigned n = fuzz_u8(in);

    for (unsigned i = 0; i < n && fuzz_more(in); i++) {
        unsigned off = (fuzz_u16(in) % (T_SIZE / 8u)) * 8u;
        uint64_t v = fuzz_u64(in);
        memcpy(t_mem + off, &v, 8);
    }
}

/* ---- AMD-Vi ---- */

/* Points every guest-mode 128-bit IRTE's GA root pointer (bits 115:76) at
 * the page or at nothing, so that the only writable IRR is P's. */
static void amd_fix_roots(struct fuzz_in *in)
{
    uint64_t pa = pick_pa(in, P_BASE);

    for (unsigned off = 8; off < T_SIZE; off += 16) {
        uint64_t hi;
        if (!(t_mem[off - 8] & 0x80)) /* GuestMode clear: bits are reserved there */
            continue;
        memcpy(&hi, t_mem + off, 8);
        hi = (hi & ~0x000ffffffffff000ull) | pa;
        memcpy(t_mem + off, &hi, 8);
    }
}

static void amd_check(struct irqpm_amdvi *u, const struct irqpm_outcome *o,
                      const uint8_t irr_before[0x80], uint64_t tail_before)
{
    if (o->result == IRQPM_BLOCKED)
        FUZZ_ASSERT(o->fault != IRQPM_FAULT_NONE && o->fault != IRQPM_FAULT_NOT_REMAPPED);
    if (o->result != IRQPM_POSTED) {
        FUZZ_ASSERT(!o->ga_logged && !o->notified);
        FUZZ_ASSERT(memcmp(irr_before, p_mem + 0x200, 0x80) == 0);
        FUZZ_ASSERT(u->ga_log_tail == tail_before);
        return;
    }
    /* Exactly the posted vector's IRR bit was added. */
    for (unsigned v = 0; v < 256; v++) {
        unsigned byte = 0x200 + (v / 32u) * 16u + (v % 32u) / 8u, bit = v % 8u;
        bool was = (irr_before[byte - 0x200] >> bit) & 1u, now = (p_mem[byte] >> bit) & 1u;
        FUZZ_ASSERT(v == o->posted_vector ? now : was == now);
    }
    FUZZ_ASSERT(!(o->notified && o->ga_logged));
    if (o->ga_logged) {
        unsigned len = (unsigned)(u->ga_log_base >> 56) & 0xfu;
        uint64_t size = (1ull << len) * 8u, entry;
        FUZZ_ASSERT(u->ga_log_tail == ((tail_before & (size - 1) & ~7ull) + 8u) % size);
        memcpy(&entry, l_mem + (tail_before & (size - 1) & ~7ull), 8);
        FUZZ_ASSERT(irqpm_ga_log_decode(entry).type == IRQPM_GA_LOG_TYPE_GUEST_NR);
    } else {
        FUZZ_ASSERT(u->ga_log_tail == tail_before);
    }
}

static void amd_msi(struct world *w, struct irqpm_amdvi *u, struct fuzz_in *in)
{
    const struct irqpm_mem m = { w, w_read, w_write };
    uint64_t dte[4] = { fuzz_u64(in), fuzz_u64(in), fuzz_u64(in), fuzz_u64(in) };
    uint64_t addr = (fuzz_u8(in) & 7u) ? 0xfee00000ull | (fuzz_u32(in) & 0xfffffu) : fuzz_u64(in);
    uint32_t data = fuzz_u32(in);
    uint8_t irr_before[0x80];
    uint64_t tail_before = u->ga_log_tail;
    struct irqpm_outcome o;

    /* The table root: the table region or nothing (bits 179:134). */
    dte[2] = (dte[2] & ~0x000fffffffffffc0ull) | pick_pa(in, T_BASE);
    memcpy(irr_before, p_mem + 0x200, sizeof(irr_before));
    irqpm_amdvi_msi(u, &m, fuzz_u16(in), dte, addr, data, &o);
    amd_check(u, &o, irr_before, tail_before);
}

static void amd_regs(struct irqpm_amdvi *u, struct fuzz_in *in)
{
    u->control = fuzz_u64(in);
    /* The log: at L (its length fuzzed, 1000b..1111b run off L's end
     * beyond 4096 entries) or nowhere; the tail copy at C or nowhere. */
    u->ga_log_base = (fuzz_u64(in) & 0xff00000000000000ull) | L_BASE;
    if ((fuzz_u8(in) & 7u) == 0)
        u->ga_log_base = (u->ga_log_base & ~0x000ffffffffff000ull) | BAD_PA;
    u->ga_log_tail_addr = (fuzz_u8(in) & 7u) ? C_BASE : BAD_PA;
    u->ga_log_head = fuzz_u32(in) & 0x3fff8u;
    u->ga_log_tail = fuzz_u32(in) & 0x7ff8u;
    u->status = fuzz_u16(in);
    u->np_cache = fuzz_bool(in);
}

static void run_amd(struct fuzz_in *in)
{
    static struct world w;
    static struct irqpm_amdvi u;

    world_init(&w, true);
    irqpm_amdvi_reset(&u);
    amd_regs(&u, in);
    fill_table(in);
    amd_fix_roots(in);
    for (int steps = 0; steps < 64 && fuzz_more(in); steps++) {
        switch (fuzz_u8(in) % 5u) {
        case 0: case 1: amd_msi(&w, &u, in); break;
        case 2: irqpm_amdvi_inv_interrupt_table(&u, fuzz_u16(in)); break;
        case 3: fill_table(in); amd_fix_roots(in); break;
        default: amd_regs(&u, in); break;
        }
    }
}

/* ---- VT-d ---- */

/* Points every posted IRTE's (IM set) descriptor address (PDA[31:6] in
 * 63:38, PDA[63:32] in 127:96) at the PID or at nothing. */
static void vtd_fix_pdas(struct fuzz_in *in)
{
    uint64_t pa = pick_pa(in, P_BASE + (fuzz_u8(in) % (P_SIZE / 64u)) * 64u);

    for (unsigned off = 0; off < T_SIZE; off += 16) {
        uint64_t lo, hi;
        memcpy(&lo, t_mem + off, 8);
        if (!(lo & 0x8000)) /* remapped format: those bits are the destination */
            continue;
        memcpy(&hi, t_mem + off + 8, 8);
        lo = (lo & 0x3fffffffffull) | ((pa >> 6) << 38);
        hi = (hi & 0xffffffffull) | (pa & 0xffffffff00000000ull);
        memcpy(t_mem + off, &lo, 8);
        memcpy(t_mem + off + 8, &hi, 8);
    }
}

static void vtd_check(struct world *w, const struct irqpm_outcome *o, const uint8_t *page_before)
{
    if (o->result == IRQPM_BLOCKED)
        FUZZ_ASSERT(o->fault != IRQPM_FAULT_NONE && o->fault != IRQPM_FAULT_NOT_REMAPPED);
    if (o->result != IRQPM_POSTED) {
        FUZZ_ASSERT(!o->notified);
        FUZZ_ASSERT(w->writes == 0 && memcmp(page_before, p_mem, P_SIZE) == 0);
        return;
    }
    /* One 64-byte descriptor written: PIR gains the vector, ON only 0 -> 1
     * and exactly when notified, nothing else changes. */
    FUZZ_ASSERT(w->writes == 1 && w->last_write_len == 64);
    const uint8_t *before = page_before + (w->last_write_pa - P_BASE);
    const uint8_t *after = p_mem + (w->last_write_pa - P_BASE);
    for (unsigned v = 0; v < 256; v++) {
        bool was = (before[v / 8] >> (v % 8)) & 1u, now = (after[v / 8] >> (v % 8)) & 1u;
        FUZZ_ASSERT(v == o->posted_vector ? now : was == now);
    }
    bool on_was = before[32] & 1u, on_now = after[32] & 1u;
    FUZZ_ASSERT(on_now == (on_was || o->notified));
    FUZZ_ASSERT(!(on_was && o->notified));
    FUZZ_ASSERT((before[32] & 0xfe) == (after[32] & 0xfe));
    FUZZ_ASSERT(memcmp(before + 33, after + 33, 31) == 0);
}

static void vtd_msi(struct world *w, struct irqpm_vtd *u, struct fuzz_in *in)
{
    const struct irqpm_mem m = { w, w_read, w_write };
    uint16_t sid = fuzz_u16(in);
    uint64_t addr = (fuzz_u8(in) & 7u) ? 0xfee00000ull | (fuzz_u32(in) & 0xfffffu) : fuzz_u64(in);
    uint32_t data = (fuzz_u8(in) & 3u) ? fuzz_u16(in) : fuzz_u32(in);
    static uint8_t page_before[P_SIZE];
    struct irqpm_outcome o;

    memcpy(page_before, p_mem, P_SIZE);
    w->writes = 0;
    irqpm_vtd_msi(u, &m, sid, addr, data, &o);
    vtd_check(w, &o, page_before);
}

static void vtd_regs(struct irqpm_vtd *u, struct fuzz_in *in)
{
    u->irta = (fuzz_u16(in) & 0xfffu) | ((fuzz_u8(in) & 7u) ? T_BASE : BAD_PA);
    u->gsts = fuzz_u32(in);
    u->cap = fuzz_u64(in);
    u->ecap = fuzz_u64(in);
}

static void run_vtd(struct fuzz_in *in)
{
    static struct world w;
    static struct irqpm_vtd u;

    world_init(&w, false);
    irqpm_vtd_reset(&u);
    vtd_regs(&u, in);
    fill_table(in);
    vtd_fix_pdas(in);
    for (unsigned i = 0; i < P_SIZE && fuzz_more(in) && i < 128; i++)
        p_mem[i] = fuzz_u8(in);
    for (int steps = 0; steps < 64 && fuzz_more(in); steps++) {
        switch (fuzz_u8(in) % 5u) {
        case 0: case 1: vtd_msi(&w, &u, in); break;
        case 2: irqpm_vtd_inv_iec(&u, fuzz_bool(in), fuzz_u16(in), fuzz_u8(in) % 20u); break;
        case 3: fill_table(in); vtd_fix_pdas(in); break;
        default: vtd_regs(&u, in); break;
        }
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };

    if (fuzz_u8(&in) & 1u)
        run_vtd(&in);
    else
        run_amd(&in);
    return 0;
}
