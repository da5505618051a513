/* SPDX-License-Identifier: MIT */
/* Device assignment: an assigned function's MSI-X table (hv/dev/pci_msix.h)
 * against the host's: its entries, its message control, the table's pages
 * emulated in the guest's BAR (docs/iommu.md, "MSI-X"). */
#include <stdio.h>

#include "hv/dev/vplatform.h"
#include "hv/host/console.h"
#include "hv/host/pci_host.h"
#include "hv/mm/mem.h"
#include "hv/passthru.h"
#include "hv/passthru_int.h"

/* ---- MSI-X (hv/dev/pci_msix.h): the host's table and control ---- */

static volatile void *host_bar(const struct pt_dev *d, uint64_t off)
{
    return phys_to_virt(d->bar_hpa[d->mx.cap.table_bir] + off);
}

static uint64_t msix_bar_read(void *ctx, uint64_t off, unsigned size)
{
    volatile void *p = host_bar(ctx, off);
    switch (size) {
    case 1: return *(volatile uint8_t *)p;
    case 2: return *(volatile uint16_t *)p;
    case 4: return *(volatile uint32_t *)p;
    default: return *(volatile uint64_t *)p;
    }
}

static void msix_bar_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    volatile void *p = host_bar(ctx, off);
    switch (size) {
    case 1: *(volatile uint8_t *)p = (uint8_t)val; break;
    case 2: *(volatile uint16_t *)p = (uint16_t)val; break;
    case 4: *(volatile uint32_t *)p = (uint32_t)val; break;
    default: *(volatile uint64_t *)p = val; break;
    }
}

/* The host's entry i: masked first, then Keel's message, then unmasked
 * (6.8.2.9: an entry is changed only while masked).  Under vplatform.lock. */
static void msix_entry(void *ctx, unsigned i, bool on, uint64_t addr, uint32_t data)
{
    struct pt_dev *d = ctx;
    uint64_t e = d->mx.cap.table_off + (uint64_t)i * PCI_MSIX_ENTRY_SIZE, maddr;
    uint32_t mdata;
    struct irq_post_route now;
    char what[24];

    msix_bar_write(d, e + PCI_MSIX_ENTRY_VCTL, 4, PCI_MSIX_VCTL_MASK);
    if (i >= d->nvec || pt_vec_program(&d->vec[i], on, addr, data, &maddr, &mdata, &now) < 0)
        return; /* masked, or logged: the entry stays masked */
    msix_bar_write(d, e + PCI_MSIX_ENTRY_ADDR, 4, (uint32_t)maddr);
    msix_bar_write(d, e + PCI_MSIX_ENTRY_UADDR, 4, (uint32_t)(maddr >> 32));
    msix_bar_write(d, e + PCI_MSIX_ENTRY_DATA, 4, mdata);
    msix_bar_write(d, e + PCI_MSIX_ENTRY_VCTL, 4, 0);
    snprintf(what, sizeof(what), "MSI-X entry %u", i);
    pt_vec_logged(&d->vec[i], what, addr, data, &now, maddr, mdata);
}

/* The host's message control: the guest's enable and function mask. */
static void msix_ctl(void *ctx, bool enable, bool fmask)
{
    struct pt_dev *d = ctx;
    unsigned off = d->hf->msix_cap + PCI_MSIX_CTL;
    uint16_t ctl = (uint16_t)pci_host_read(d->hf->bdf, off, 2);

    ctl &= (uint16_t)~(PCI_MSIX_CTL_ENABLE | PCI_MSIX_CTL_FMASK);
    ctl |= (enable ? PCI_MSIX_CTL_ENABLE : 0) | (fmask ? PCI_MSIX_CTL_FMASK : 0);
    pci_host_write(d->hf->bdf, off, 2, ctl);
}

static void msix_bad(void *ctx, uint64_t off, unsigned size, bool write)
{
    struct pt_dev *d = ctx;

    if (d->bad_logged)
        return;
    d->bad_logged = true;
    log_warn("vm%u (%s): %02x:%02x.%x: %s of %u bytes at MSI-X table offset %#llx: only aligned "
             "DWORD and QWORD accesses are defined (PCI 3.0 6.8.2): %s (logged once)",
             d->vm->index, d->vm->name, BDF_ARGS(d->hf->bdf), write ? "write" : "read", size,
             (unsigned long long)(off - d->mx.cap.table_off),
             write ? "dropped" : "reads all ones");
}

static const struct pci_msix_ops msix_ops = { msix_entry, msix_ctl, msix_bar_read, msix_bar_write,
                                              msix_bad };

static void msix_cfg(void *ctx, uint16_t ctl)
{
    struct pt_dev *d = ctx;
    pci_msix_ctl_write(&d->mx, ctl);
}

/* Guest accesses to the table's pages (hv/emul/emul_mmio.c through
 * passthru_find_mmio): checked again under the lock, since the BAR may
 * have moved since the lookup (then: the open bus). */
static bool hole_off(const struct pt_dev *d, uint64_t gpa, uint64_t *off)
{
    if (!d->hole.len || gpa < d->hole.base || gpa - d->hole.base >= d->hole.len)
        return false;
    *off = d->hole_off + (gpa - d->hole.base);
    return true;
}

static uint64_t hole_read(void *dev, struct vcpu *vc, uint64_t gpa, unsigned size)
{
    struct pt_dev *d = dev;
    uint64_t off, v = ~0ull;
    (void)vc;
    spin_lock(&d->vm->plat->lock);
    if (hole_off(d, gpa, &off))
        v = pci_msix_read(&d->mx, off, size);
    spin_unlock(&d->vm->plat->lock);
    return v;
}

static void hole_write(void *dev, struct vcpu *vc, uint64_t gpa, unsigned size, uint64_t val)
{
    struct pt_dev *d = dev;
    uint64_t off;
    (void)vc;
    spin_lock(&d->vm->plat->lock);
    if (hole_off(d, gpa, &off))
        pci_msix_write(&d->mx, off, size, val);
    spin_unlock(&d->vm->plat->lock);
}

/* The host's MSI-X capability offered with as many entries as Keel has
 * host vectors and IRTEs for (at most PCI_MSIX_MAX_VEC, and the host
 * vectors still free); the host's table masked.  A capability Keel cannot
 * use (its table in no BAR offered) is not offered: the device keeps MSI. */
void pt_msix_setup(struct pt_dev *d, unsigned room)
{
    uint16_t bdf = d->hf->bdf;
    unsigned cap = d->hf->msix_cap;
    struct pci_msix_cap c;

    d->nvec = 1;
    if (!cap)
        return;
    if (pci_msix_cap_parse((uint16_t)pci_host_read(bdf, cap + PCI_MSIX_CTL, 2),
                           pci_host_read(bdf, cap + PCI_MSIX_TABLE, 4),
                           pci_host_read(bdf, cap + PCI_MSIX_PBA, 4), d->bar_size, &c)) {
        log_warn("vm%u (%s): %02x:%02x.%x: its MSI-X table is not in a memory BAR Keel offers: "
                 "MSI-X not offered", d->vm->index, d->vm->name, BDF_ARGS(bdf));
        return;
    }
    d->msix = true;
    pci_msix_init(&d->mx, &msix_ops, d, &c, room < PCI_MSIX_MAX_VEC ? room : PCI_MSIX_MAX_VEC);
    pci_msix_hole(&c, &d->hole_off, &d->hole_len);
    d->nvec = d->mx.n;
    d->hole = (struct bus_range){ .read = hole_read, .write = hole_write, .dev = d,
                                  .name = "an assigned device's MSI-X table" };
    pci_pt_msix_init(&d->pt, (uint8_t)cap, d->mx.n, msix_cfg);
    log_info("vm%u (%s): %02x:%02x.%x MSI-X: %u of its %u entries offered (table in BAR%u at "
             "%#x, PBA in BAR%u at %#x), the table's %llu KiB emulated", d->vm->index, d->vm->name,
             BDF_ARGS(bdf), d->mx.n, c.host_n, c.table_bir, c.table_off, c.pba_bir, c.pba_off,
             (unsigned long long)(d->hole_len >> 10));
}

const struct bus_range *passthru_find_mmio(const struct vm *vm, uint64_t gpa)
{
    const struct pt_vm *pv = &pt_vms[vm->index];

    for (unsigned i = 0; i < pv->ndev; i++) {
        const struct bus_range *h = &pv->dev[i].hole;
        uint64_t len = __atomic_load_n(&h->len, __ATOMIC_ACQUIRE);
        uint64_t base = __atomic_load_n(&h->base, __ATOMIC_ACQUIRE);
        if (len && gpa >= base && gpa - base < len)
            return h;
    }
    return NULL;
}

