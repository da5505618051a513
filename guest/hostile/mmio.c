/* SPDX-License-Identifier: MIT */
/*
 * hostile: MMIO.  Reads and writes of 1, 2, 4 and 8 bytes, aligned and not
 * (page-crossing too), at the local APIC page, the I/O APIC and unbacked
 * guest-physical addresses: holes below 4 GiB and two pages above it (4
 * GiB, and the last 2 MiB below MAXPHYADDR), which h_mmio_init maps.
 *
 * Writes that would hand the guest's CPUs to an interrupt source are
 * tamed, not dropped: an LVT entry or an I/O APIC redirection entry is
 * always written masked (an unmasked INIT or ExtINT entry and a PIT tick
 * would reset or confuse a vCPU of this guest, which is not what is being
 * tested); ICR writes are ipi.c's.  Narrow or unaligned writes over those
 * registers are skipped.
 *
 * Checked: an unbacked address reads all ones and never faults (Keel's
 * contract, docs/guest-runtime.md).  The APIC and I/O APIC answers to odd
 * widths are model-specific (SDM vol. 3 10.4.1): only survived.
 */
#include "hostile.h"
#include "lapic.h"

#define H_IOAPIC_BASE   0xfec00000u
#define IOAPIC_REGSEL   0x00u
#define IOAPIC_WIN      0x10u
#define IOAPIC_RTE_LO(i) (0x10u + 2u * (i))
#define IOAPIC_RTE_MASK RT_BIT(16)
#define H_PAGE          4096u

/* Two 2 MiB pages above 4 GiB: PDPT entry 4 -> h_high_pd. */
#define H_HIGH_VA       0x100000000ull
#define H_PTE_FLAGS     (PTE_P | PTE_W | PTE_PCD | PTE_PWT | PTE_PS)
extern uint64_t rt_pdpt[];
static uint64_t h_high_pd[512] __attribute__((aligned(4096)));

/* Not 0xFEB00000: apic.c relocates local APICs there. */
static const uint64_t h_unbacked[] = {
    0xc0000000u, 0xe0000000u, 0xfed00000u, 0xffe00000u,
    H_HIGH_VA, H_HIGH_VA + PTE_LARGE_SIZE,
};

static struct rt_lock h_ioapic_lock;

void h_mmio_init(void)
{
    uint64_t top = (1ull << h_cfg.maxphyaddr) - PTE_LARGE_SIZE;

    h_high_pd[0] = H_HIGH_VA | H_PTE_FLAGS;
    h_high_pd[1] = top | H_PTE_FLAGS;
    rt_pdpt[4] = (uint64_t)(uintptr_t)h_high_pd | PTE_P | PTE_W;
    rt_write_cr3(rt_read_cr3());
}

struct h_access {
    uint64_t addr;
    unsigned width;
    bool write;
    uint64_t value;
};

static void h_access_do(void *arg)
{
    struct h_access *a = arg;
    void *p = (void *)(uintptr_t)a->addr;

    if (a->write) {
        switch (a->width) {
        case 1: __asm__ volatile("movb %b1, (%0)" : : "r"(p), "q"(a->value) : "memory"); break;
        case 2: __asm__ volatile("movw %w1, (%0)" : : "r"(p), "r"(a->value) : "memory"); break;
        case 4: __asm__ volatile("movl %k1, (%0)" : : "r"(p), "r"(a->value) : "memory"); break;
        default: __asm__ volatile("movq %1, (%0)" : : "r"(p), "r"(a->value) : "memory"); break;
        }
        return;
    }
    switch (a->width) {
    case 1: __asm__ volatile("movzbq (%1), %0" : "=r"(a->value) : "r"(p) : "memory"); break;
    case 2: __asm__ volatile("movzwq (%1), %0" : "=r"(a->value) : "r"(p) : "memory"); break;
    case 4: __asm__ volatile("movl (%1), %k0" : "=r"(a->value) : "r"(p) : "memory"); break;
    default: __asm__ volatile("movq (%1), %0" : "=r"(a->value) : "r"(p) : "memory"); break;
    }
}

static bool h_overlap(uint32_t off, unsigned w, uint32_t lo, uint32_t hi)
{
    return off < hi && lo < off + w;
}

static bool h_is_lvt(uint32_t off)
{
    return off == APIC_LVT_CMCI || (off >= APIC_LVT_TIMER && off <= APIC_LVT_ERROR &&
                                    (off & 0xf) == 0);
}

/* An APIC page write: false to skip it; LVT entries forced masked. */
static bool h_apic_write_ok(struct h_access *a, uint32_t off)
{
    if (h_overlap(off, a->width, APIC_ICR, APIC_ICR2 + 4))
        return false;
    if (!h_overlap(off, a->width, APIC_LVT_CMCI, APIC_LVT_CMCI + 4) &&
        !h_overlap(off, a->width, APIC_LVT_TIMER, APIC_LVT_ERROR + 4))
        return true;
    if (a->width < 4 || !h_is_lvt(off))
        return false;
    a->value |= APIC_LVT_MASKED;
    return true;
}

static void h_mmio_apic(struct h_cpu *c, struct h_access *a, uint32_t off)
{
    a->addr = APIC_DEFAULT_BASE + off;
    if (a->write && !h_apic_write_ok(a, off))
        return;
    h_try(c, H_MMIO, h_access_do, a);
}

/* The I/O APIC, under a lock: another vCPU must not move IOREGSEL between
 * the select and the write of a redirection entry. */
static void h_mmio_ioapic(struct h_cpu *c, struct h_access *a, uint32_t off)
{
    struct h_access sel = {H_IOAPIC_BASE + IOAPIC_REGSEL, 4, true, h_below(c, 0x48)};

    a->addr = H_IOAPIC_BASE + off;
    rt_lock(&h_ioapic_lock);
    if (a->write && h_overlap(off, a->width, IOAPIC_WIN, IOAPIC_WIN + 4)) {
        if (off != IOAPIC_WIN || a->width < 4)
            goto out;
        h_try(c, H_MMIO, h_access_do, &sel);
        if (sel.value >= IOAPIC_RTE_LO(0) && (sel.value & 1) == 0)
            a->value |= IOAPIC_RTE_MASK;
    }
    h_try(c, H_MMIO, h_access_do, a);
out:
    rt_unlock(&h_ioapic_lock);
}

static void h_mmio_unbacked(struct h_cpu *c, struct h_access *a, uint32_t off)
{
    uint64_t ones = a->width == 8 ? ~0ull : (1ull << (8 * a->width)) - 1;
    uint64_t base = h_unbacked[h_below(c, sizeof(h_unbacked) / sizeof(h_unbacked[0]))];
    int v;

    a->addr = base + off;
    v = h_try(c, H_MMIO, h_access_do, a);
    h_expect(c, RT_NO_FAULT, v, a->write ? "write to an unbacked address"
                                         : "read of an unbacked address", a->addr);
    if (v == RT_NO_FAULT && !a->write && a->value != ones)
        h_fail(c, "read of %u bytes at unbacked %#llx gave %#llx, not all ones", a->width,
               (unsigned long long)a->addr, (unsigned long long)a->value);
}

void h_mmio(struct h_cpu *c)
{
    static const unsigned widths[4] = {1, 2, 4, 8};
    struct h_access a = {0};
    uint32_t off;
    unsigned where = h_below(c, 100);

    a.width = widths[h_below(c, 4)];
    a.write = h_chance(c, 50);
    a.value = h_rand(c);
    /* Mostly aligned register offsets; sometimes anywhere, across the
     * page's end too. */
    if (h_chance(c, 70))
        off = h_below(c, H_PAGE / 16) * 16 + (h_chance(c, 80) ? 0 : h_below(c, 16) & ~(a.width - 1));
    else
        off = h_below(c, H_PAGE);
    if (where < 45)
        h_mmio_apic(c, &a, off);
    else if (where < 65)
        h_mmio_ioapic(c, &a, off & 0xff);
    else
        h_mmio_unbacked(c, &a, off);
}
