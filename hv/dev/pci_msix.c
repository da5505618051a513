/* SPDX-License-Identifier: MIT */
/* An assigned function's MSI-X table, mediated (hv/dev/pci_msix.h).  Pure. */
#include "hv/dev/pci_msix.h"

#include <string.h>

#define BAR_COUNT 6

int pci_msix_cap_parse(uint16_t ctl, uint32_t table, uint32_t pba, const uint64_t bar_size[6],
                       struct pci_msix_cap *c)
{
    memset(c, 0, sizeof(*c));
    c->host_n = (ctl & PCI_MSIX_CTL_SIZE) + 1u;
    c->table_bir = (uint8_t)(table & PCI_MSIX_BIR);
    c->pba_bir = (uint8_t)(pba & PCI_MSIX_BIR);
    c->table_off = table & PCI_MSIX_OFF_MASK;
    c->pba_off = pba & PCI_MSIX_OFF_MASK;
    /* 6.8.2.4: BIR values 6 and 7 are reserved; the table must lie in
     * a memory BAR Keel offers. */
    if (c->table_bir >= BAR_COUNT || c->pba_bir >= BAR_COUNT)
        return -1;
    uint64_t end = (uint64_t)c->table_off + (uint64_t)c->host_n * PCI_MSIX_ENTRY_SIZE;
    uint64_t size = bar_size[c->table_bir];
    if (!size || end > size)
        return -1;
    return 0;
}

void pci_msix_hole(const struct pci_msix_cap *c, uint64_t *off, uint64_t *len)
{
    uint64_t start = c->table_off & ~(uint64_t)(PCI_MSIX_PAGE - 1);
    uint64_t end = (uint64_t)c->table_off + (uint64_t)c->host_n * PCI_MSIX_ENTRY_SIZE;
    end = (end + PCI_MSIX_PAGE - 1) & ~(uint64_t)(PCI_MSIX_PAGE - 1);
    *off = start;
    *len = end - start;
}

static uint64_t entry_addr(const struct pci_msix_entry *e)
{
    return (uint64_t)e->addr_hi << 32 | e->addr_lo;
}

/* ops->entry when the entry's state as the host must hold it changed. */
static void evaluate(struct pci_msix *m, unsigned i)
{
    struct pci_msix_entry *e = &m->e[i];
    bool on = m->enable && !(e->vctl & PCI_MSIX_VCTL_MASK);

    if (on == e->on && (!on || (e->on_addr == entry_addr(e) && e->on_data == e->data)))
        return;
    e->on = on;
    e->on_addr = on ? entry_addr(e) : 0;
    e->on_data = on ? e->data : 0;
    m->ops->entry(m->ctx, i, on, entry_addr(e), e->data);
}

void pci_msix_init(struct pci_msix *m, const struct pci_msix_ops *ops, void *ctx,
                   const struct pci_msix_cap *cap, unsigned nvec)
{
    memset(m, 0, sizeof(*m));
    m->ops = ops;
    m->ctx = ctx;
    m->cap = *cap;
    if (nvec > PCI_MSIX_MAX_VEC)
        nvec = PCI_MSIX_MAX_VEC;
    m->n = nvec < cap->host_n ? nvec : cap->host_n;
    if (!m->n)
        m->n = 1;
    /* 6.8.2.9: the mask bit resets to 1; the host's entries are masked
     * (again) so that none fires with whatever it held before. */
    for (unsigned i = 0; i < PCI_MSIX_MAX_VEC; i++)
        m->e[i].vctl = PCI_MSIX_VCTL_MASK;
    for (unsigned i = 0; i < cap->host_n; i++)
        ops->bar_write(ctx, cap->table_off + (uint64_t)i * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VCTL,
                       4, PCI_MSIX_VCTL_MASK);
    ops->ctl(ctx, false, false);
}

uint16_t pci_msix_ctl_read(const struct pci_msix *m, uint16_t host)
{
    uint16_t v = host & (uint16_t)~(PCI_MSIX_CTL_SIZE | PCI_MSIX_CTL_FMASK | PCI_MSIX_CTL_ENABLE);
    return v | (uint16_t)(m->n - 1) | (m->fmask ? PCI_MSIX_CTL_FMASK : 0) |
           (m->enable ? PCI_MSIX_CTL_ENABLE : 0);
}

/* Enabling: the entries first, so that the host's vectors hold Keel's
 * messages before the device may send; disabling: the device first. */
void pci_msix_ctl_write(struct pci_msix *m, uint16_t val)
{
    bool enable = val & PCI_MSIX_CTL_ENABLE, fmask = val & PCI_MSIX_CTL_FMASK;

    if (enable == m->enable && fmask == m->fmask)
        return;
    m->enable = enable;
    m->fmask = fmask;
    if (!enable)
        m->ops->ctl(m->ctx, false, fmask);
    for (unsigned i = 0; i < m->n; i++)
        evaluate(m, i);
    if (enable)
        m->ops->ctl(m->ctx, true, fmask);
}

/* Where off falls: the guest's entry and dword (0), the host's entries the
 * guest does not see (1), or outside the table (2). */
enum where { IN_GUEST, IN_HOST_ONLY, OUTSIDE };

static enum where locate(const struct pci_msix *m, uint64_t off, unsigned *entry, unsigned *dw)
{
    uint64_t start = m->cap.table_off;
    if (off < start || off - start >= (uint64_t)m->cap.host_n * PCI_MSIX_ENTRY_SIZE)
        return OUTSIDE;
    *entry = (unsigned)((off - start) / PCI_MSIX_ENTRY_SIZE);
    *dw = (unsigned)((off - start) % PCI_MSIX_ENTRY_SIZE) / 4;
    return *entry < m->n ? IN_GUEST : IN_HOST_ONLY;
}

static bool dword_or_qword(uint64_t off, unsigned size)
{
    return (size == 4 && !(off & 3)) || (size == 8 && !(off & 7));
}

static uint32_t shadow_dword(const struct pci_msix *m, unsigned i, unsigned dw)
{
    const struct pci_msix_entry *e = &m->e[i];
    const uint32_t v[4] = { e->addr_lo, e->addr_hi, e->data, e->vctl };
    return v[dw];
}

static uint32_t table_dword(const struct pci_msix *m, uint64_t off)
{
    unsigned i = 0, dw = 0;
    switch (locate(m, off, &i, &dw)) {
    case IN_GUEST:
        return shadow_dword(m, i, dw);
    case IN_HOST_ONLY:
        return dw == PCI_MSIX_ENTRY_VCTL / 4 ? PCI_MSIX_VCTL_MASK : 0;
    default:
        return 0;
    }
}

/* Whether [off, off + size) lies inside the emulated pages: an access
 * that crosses their end would reach past them on the host (another
 * register, or past the BAR). */
static bool in_hole(const struct pci_msix *m, uint64_t off, unsigned size)
{
    uint64_t h0, hlen;
    pci_msix_hole(&m->cap, &h0, &hlen);
    return off >= h0 && off - h0 <= hlen && size <= hlen - (off - h0);
}

uint64_t pci_msix_read(struct pci_msix *m, uint64_t off, unsigned size)
{
    unsigned i, dw;
    if (!in_hole(m, off, size)) {
        m->ops->bad(m->ctx, off, size, false);
        return ~0ull;
    }
    bool in_table = locate(m, off, &i, &dw) != OUTSIDE ||
                    (size > 1 && locate(m, off + size - 1, &i, &dw) != OUTSIDE);

    if (!in_table)
        return m->ops->bar_read(m->ctx, off, size);
    if (!dword_or_qword(off, size)) {
        m->ops->bad(m->ctx, off, size, false);
        return ~0ull;
    }
    uint64_t v = table_dword(m, off);
    if (size == 8)
        v |= (uint64_t)table_dword(m, off + 4) << 32;
    return v;
}

/* One dword of the guest's entry i; 6.8.2.6: address bits 1:0 read 0;
 * 6.8.2.9: vector control bits 31:1 reserved (read 0). */
static void shadow_write(struct pci_msix *m, unsigned i, unsigned dw, uint32_t v)
{
    struct pci_msix_entry *e = &m->e[i];
    switch (dw) {
    case 0: e->addr_lo = v & ~3u; break;
    case 1: e->addr_hi = v; break;
    case 2: e->data = v; break;
    default: e->vctl = v & PCI_MSIX_VCTL_MASK; break;
    }
}

/* A dword of the table: the guest's entries are shadowed (the entry
 * evaluated by the caller); the host's entries past them are dropped.
 * Returns the entry written, or -1. */
static int table_write_dword(struct pci_msix *m, uint64_t off, uint32_t v)
{
    unsigned i = 0, dw = 0;
    if (locate(m, off, &i, &dw) != IN_GUEST)
        return -1;
    shadow_write(m, i, dw, v);
    return (int)i;
}

void pci_msix_write(struct pci_msix *m, uint64_t off, unsigned size, uint64_t val)
{
    unsigned i, dw;
    if (!in_hole(m, off, size)) {
        m->ops->bad(m->ctx, off, size, true);
        return;
    }
    bool in_table = locate(m, off, &i, &dw) != OUTSIDE ||
                    (size > 1 && locate(m, off + size - 1, &i, &dw) != OUTSIDE);

    if (!in_table) {
        m->ops->bar_write(m->ctx, off, size, val);
        return;
    }
    if (!dword_or_qword(off, size)) {
        m->ops->bad(m->ctx, off, size, true);
        return;
    }
    /* A QWORD is both dwords of one entry (8-aligned: never two entries),
     * evaluated once: data and unmask together take effect together. */
    int a = table_write_dword(m, off, (uint32_t)val);
    int b = size == 8 ? table_write_dword(m, off + 4, (uint32_t)(val >> 32)) : -1;
    if (a >= 0)
        evaluate(m, (unsigned)a);
    else if (b >= 0)
        evaluate(m, (unsigned)b);
}
