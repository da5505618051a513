/* SPDX-License-Identifier: MIT */
/* An assigned PCI function's configuration space, mediated (hv/dev/pci_pt.h).  Pure. */
#include "hv/dev/pci_pt.h"

#include <string.h>

#include "apic/apic_defs.h"

#define CFG_COMMAND      0x04
#define CFG_HEADER       0x0c
#define CFG_BAR0         0x10
#define CFG_BAR5_END     0x28
#define CFG_CARDBUS      0x28
#define CFG_SUBSYS       0x2c
#define CFG_ROM          0x30
#define CFG_CAP_PTR      0x34
#define CFG_RESERVED     0x38
#define CFG_INTR         0x3c
#define CMD_MEM          0x0002u
#define CMD_INTX_DISABLE 0x0400u
#define BAR_IO           0x1u
#define BAR_MEM_TYPE64   0x4u
#define BAR_FLAGS_MEM    0xfu
/* MSI capability (PCI 3.0 6.8.1): control at +2, address at +4, upper
 * address at +8 when 64-bit, data at +8 or +12. */
#define MSI_CTL_ENABLE   0x0001u
#define MSI_CTL_MME      0x0070u /* multiple message enable: the guest's */
#define MSI_CTL_64       0x0080u
/* MSI-X capability (6.8.2): message control at +2. */
#define MSIX_CTL_SIZE    0x07ffu
#define MSIX_CTL_GUEST   0xc000u /* enable, function mask: the guest's */

void pci_pt_init(struct pci_pt *p, const struct pci_pt_ops *ops, void *ctx,
                 const uint64_t size[PCI_PT_BARS], const uint32_t flags[PCI_PT_BARS],
                 uint8_t msi_cap)
{
    memset(p, 0, sizeof(*p));
    p->ops = ops;
    p->ctx = ctx;
    for (unsigned i = 0; i < PCI_PT_BARS; i++) {
        bool io = flags[i] & BAR_IO;
        /* Only memory BARs of at least a page can be mapped into the VM;
         * the rest read 0 (not implemented, 6.2.5.1). */
        p->bar[i].size = io || size[i] < 4096 || (size[i] & (size[i] - 1)) ? 0 : size[i];
        p->bar[i].flags = flags[i] & BAR_FLAGS_MEM;
        p->bar[i].mem64 = !io && (flags[i] & BAR_MEM_TYPE64) && i + 1 < PCI_PT_BARS;
        p->bar[i].mapped = PCI_PT_UNMAPPED;
        if (p->bar[i].mem64 && i + 1 < PCI_PT_BARS)
            i++; /* the upper half: size 0, read through its lower half */
    }
    p->msi_cap = msi_cap >= 0x40 && msi_cap <= 0xf0 ? msi_cap : 0;
    if (p->msi_cap)
        p->msi_64 = (ops->phys_read(ctx, p->msi_cap + 2u, 2) & MSI_CTL_64) != 0;
}

/* Slot i is the upper half of a 64-bit BAR. */
static bool bar_upper(const struct pci_pt *p, unsigned i)
{
    return i > 0 && p->bar[i - 1].mem64 && p->bar[i - 1].size;
}

static uint32_t bar_read(const struct pci_pt *p, unsigned i)
{
    if (bar_upper(p, i))
        return p->bar[i].reg & (uint32_t)(~(p->bar[i - 1].size - 1) >> 32);
    if (!p->bar[i].size)
        return 0;
    return (p->bar[i].reg & (uint32_t)~(p->bar[i].size - 1) & ~BAR_FLAGS_MEM) | p->bar[i].flags;
}

static uint64_t bar_addr(const struct pci_pt *p, unsigned i)
{
    uint64_t a = bar_read(p, i) & ~(uint64_t)BAR_FLAGS_MEM;
    if (p->bar[i].mem64)
        a |= (uint64_t)bar_read(p, i + 1) << 32;
    return a;
}

/* The guest's view of a capability dword: MSI fields virtual. */
static uint32_t msi_read(const struct pci_pt *p, unsigned rel, uint32_t phys)
{
    unsigned data_at = p->msi_64 ? 12 : 8;

    if (rel == 0)
        return (phys & ~((uint32_t)(MSI_CTL_ENABLE | MSI_CTL_MME) << 16)) | (uint32_t)p->msi_ctl << 16;
    if (rel == 4)
        return (uint32_t)p->msi_addr;
    if (rel == 8 && p->msi_64)
        return (uint32_t)(p->msi_addr >> 32);
    if (rel == data_at)
        return p->msi_data;
    return phys; /* mask and pending bits (per-vector masking): the host's */
}

static bool in_msi(const struct pci_pt *p, unsigned off)
{
    return p->msi_cap && off >= p->msi_cap && off < p->msi_cap + (p->msi_64 ? 16u : 12u);
}

void pci_pt_msix_init(struct pci_pt *p, uint8_t cap, unsigned n, pci_pt_msix_ctl_fn fn)
{
    if (cap < 0x40 || cap > 0xf4 || !n || n > MSIX_CTL_SIZE + 1u || !fn)
        return;
    p->msix_changed = fn;
    p->msix_cap = cap;
    p->msix_n = (uint16_t)n;
    p->msix_ctl = 0;
}

/* The first dword of the MSI-X capability: ID, next, message control with
 * the guest's bits and Keel's table size. */
static uint32_t msix_read(const struct pci_pt *p, uint32_t phys)
{
    uint32_t ctl = (phys >> 16) & ~(uint32_t)(MSIX_CTL_SIZE | MSIX_CTL_GUEST);
    ctl |= (p->msix_n - 1u) | p->msix_ctl;
    return (phys & 0xffffu) | ctl << 16;
}

static uint32_t dword_read(struct pci_pt *p, unsigned off)
{
    if (off >= CFG_BAR0 && off < CFG_BAR5_END)
        return bar_read(p, (off - CFG_BAR0) / 4);
    switch (off) {
    case CFG_COMMAND:
        return (p->ops->phys_read(p->ctx, off, 4) & 0xffff0000u) | p->cmd;
    case CFG_HEADER:
        return p->ops->phys_read(p->ctx, off, 4) & 0x0000ffffu; /* type 0, one function, no BIST */
    case CFG_CARDBUS: case CFG_ROM: case CFG_RESERVED:
        return 0;
    case CFG_CAP_PTR:
        return p->ops->phys_read(p->ctx, off, 4) & 0xfcu;
    case CFG_INTR:
        return (p->ops->phys_read(p->ctx, off, 4) & 0xffff0000u) | p->irq_line; /* pin 0: no INTx */
    }
    uint32_t phys = p->ops->phys_read(p->ctx, off, 4);
    if (p->msix_cap && off == p->msix_cap)
        return msix_read(p, phys);
    return in_msi(p, off) ? msi_read(p, off - p->msi_cap, phys) : phys;
}

uint32_t pci_pt_read(struct pci_pt *p, unsigned off, unsigned size)
{
    if ((size != 1 && size != 2 && size != 4) || off >= 256 || (off & 3) + size > 4)
        return 0xffffffffu;
    uint32_t v = dword_read(p, off & ~3u) >> (8 * (off & 3));
    return size == 4 ? v : v & ((1u << (8 * size)) - 1);
}

/* Every memory BAR decodes where the guest put it while memory decoding
 * is on; ops->map_bar is told of each change. */
static void update_bars(struct pci_pt *p)
{
    for (unsigned i = 0; i < PCI_PT_BARS; i++) {
        if (!p->bar[i].size || bar_upper(p, i))
            continue;
        uint64_t a = bar_addr(p, i);
        uint64_t want = (p->cmd & CMD_MEM) && a ? a : PCI_PT_UNMAPPED;
        if (want == p->bar[i].mapped)
            continue;
        if (p->bar[i].mapped != PCI_PT_UNMAPPED)
            p->ops->map_bar(p->ctx, i, p->bar[i].mapped, false);
        p->bar[i].mapped = want;
        if (want != PCI_PT_UNMAPPED)
            p->ops->map_bar(p->ctx, i, want, true);
    }
}

static void msi_write(struct pci_pt *p, unsigned rel, uint32_t v, uint32_t bytes)
{
    unsigned data_at = p->msi_64 ? 12 : 8;

    if (rel == 0 && (bytes & 0xc)) /* control (the upper half) */
        p->msi_ctl = (uint16_t)((v >> 16) & (MSI_CTL_ENABLE | MSI_CTL_MME));
    else if (rel == 4)
        p->msi_addr = (p->msi_addr & ~0xffffffffull) | (v & ~3u);
    else if (rel == 8 && p->msi_64)
        p->msi_addr = (p->msi_addr & 0xffffffffull) | (uint64_t)v << 32;
    else if (rel == data_at)
        p->msi_data = (uint16_t)v;
    else
        return;
    p->ops->msi_changed(p->ctx, p->msi_ctl & MSI_CTL_ENABLE, p->msi_addr, p->msi_data);
}

/* A whole new dword (bytes: which of its bytes the access wrote). */
static void dword_write(struct pci_pt *p, unsigned off, uint32_t v, uint32_t bytes)
{
    if (off >= CFG_BAR0 && off < CFG_BAR5_END) {
        p->bar[(off - CFG_BAR0) / 4].reg = v;
        update_bars(p);
    } else if (off == CFG_COMMAND && (bytes & 3)) {
        p->cmd = (uint16_t)(v & PCI_PT_CMD_MASK);
        /* INTx stays disabled on the device whatever the guest says:
         * nothing routes its pin. */
        p->ops->phys_write(p->ctx, CFG_COMMAND, 2, p->cmd | CMD_INTX_DISABLE);
        update_bars(p);
    } else if (off == CFG_INTR && (bytes & 1)) {
        p->irq_line = (uint8_t)v;
    } else if (in_msi(p, off)) {
        msi_write(p, off - p->msi_cap, v, bytes);
    } else if (p->msix_cap && off == p->msix_cap && (bytes & 0xc)) {
        uint16_t ctl = (uint16_t)((v >> 16) & MSIX_CTL_GUEST);
        if (ctl != p->msix_ctl) {
            p->msix_ctl = ctl;
            p->msix_changed(p->ctx, ctl);
        }
    }
}

void pci_pt_write(struct pci_pt *p, unsigned off, unsigned size, uint32_t val)
{
    if ((size != 1 && size != 2 && size != 4) || off >= 256 || (off & 3) + size > 4)
        return;
    unsigned shift = 8 * (off & 3);
    uint32_t mask = (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1) << shift;
    uint32_t old = dword_read(p, off & ~3u);
    uint32_t bytes = ((1u << size) - 1) << (off & 3);
    dword_write(p, off & ~3u, (old & ~mask) | ((val << shift) & mask), bytes);
}

bool pci_pt_msi_message(uint64_t addr, uint16_t data, struct apic_msg *m)
{
    memset(m, 0, sizeof(*m));
    if ((addr >> 20) != 0xfee)
        return false;
    m->dest = (uint32_t)(addr >> 12) & 0xff;   /* address 19:12 */
    m->logical = addr & (1u << 2);             /* DM */
    m->vector = (uint8_t)data;                 /* data 7:0 */
    m->dm = (uint8_t)((data >> 8) & 7);        /* data 10:8 delivery mode */
    m->level = data & (1u << 15);              /* data 15 trigger mode */
    m->assert = true;                          /* an MSI is a message: always asserted */
    m->source = -1;
    return true;
}
