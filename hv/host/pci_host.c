/* SPDX-License-Identifier: MIT */
/* The host's PCI functions through configuration mechanism #1 (hv/host/pci_host.h). */
#include "hv/host/pci_host.h"

#include "hv/host/console.h"
#include "hv/host/spinlock.h"
#include "hv/x86.h"

#define CONFIG_ADDRESS 0xcf8
#define CONFIG_DATA    0xcfc
#define CONFIG_ENABLE  (1u << 31)

struct pci_host_fn pci_host_fns[PCI_HOST_MAX_FNS];
unsigned pci_host_nfns;
static struct spinlock pci_host_lock = SPINLOCK_INIT;

static inline uint16_t inw_port(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t inl_port(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

uint32_t pci_host_read(uint16_t bdf, unsigned off, unsigned size)
{
    uint32_t v;

    spin_lock(&pci_host_lock);
    outl(CONFIG_ADDRESS, CONFIG_ENABLE | (uint32_t)bdf << 8 | (off & 0xfc));
    uint16_t port = (uint16_t)(CONFIG_DATA + (off & 3));
    v = size == 1 ? inb(port) : size == 2 ? inw_port(port) : inl_port(port);
    spin_unlock(&pci_host_lock);
    return v;
}

void pci_host_write(uint16_t bdf, unsigned off, unsigned size, uint32_t val)
{
    spin_lock(&pci_host_lock);
    outl(CONFIG_ADDRESS, CONFIG_ENABLE | (uint32_t)bdf << 8 | (off & 0xfc));
    uint16_t port = (uint16_t)(CONFIG_DATA + (off & 3));
    if (size == 1)
        outb(port, (uint8_t)val);
    else if (size == 2)
        outw(port, (uint16_t)val);
    else
        outl(port, val);
    spin_unlock(&pci_host_lock);
}

/* Walks the capability list (PCI 3.0 6.7) for id; 0 if absent.  Bounded:
 * a looping list ends after 48 entries (256 bytes / 4-byte minimum). */
static uint8_t find_cap(uint16_t bdf, uint8_t id)
{
    if (!(pci_host_read(bdf, PCI_CFG_STATUS, 2) & PCI_STATUS_CAP_LIST))
        return 0;
    uint8_t p = (uint8_t)(pci_host_read(bdf, PCI_CFG_CAP_PTR, 1) & 0xfc);
    for (unsigned n = 0; p >= 0x40 && n < 48; n++) {
        if (pci_host_read(bdf, p, 1) == id)
            return p;
        p = (uint8_t)(pci_host_read(bdf, p + 1u, 1) & 0xfc);
    }
    return 0;
}

static void add_fn(uint16_t bdf, uint32_t id)
{
    if (pci_host_nfns >= PCI_HOST_MAX_FNS) {
        log_warn("pci: more than %u functions: %02x:%02x.%x and later ones are not listed",
                 PCI_HOST_MAX_FNS, bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7);
        return;
    }
    struct pci_host_fn *f = &pci_host_fns[pci_host_nfns++];
    f->bdf = bdf;
    f->vendor = (uint16_t)id;
    f->device = (uint16_t)(id >> 16);
    f->class_rev = pci_host_read(bdf, PCI_CFG_CLASS_REV, 4);
    f->header = (uint8_t)(pci_host_read(bdf, PCI_CFG_HEADER, 1) & PCI_HEADER_TYPE_MASK);
    f->msi_cap = find_cap(bdf, PCI_CAP_ID_MSI);
    f->msix_cap = find_cap(bdf, PCI_CAP_ID_MSIX);
    f->pcie_cap = find_cap(bdf, PCI_CAP_ID_PCIE);
    f->flr = f->pcie_cap &&
             (pci_host_read(bdf, f->pcie_cap + PCI_PCIE_DEVCAP, 4) & PCI_PCIE_DEVCAP_FLR);
    f->assigned_vm = -1;
    log_debug("pci: %02x:%02x.%x [%04x:%04x] class %06x header %u%s%s", bdf >> 8, (bdf >> 3) & 0x1f,
              bdf & 7, f->vendor, f->device, f->class_rev >> 8, f->header, f->msi_cap ? " MSI" : "",
              f->flr ? " FLR" : "");
}

void pci_host_enumerate(void)
{
    pci_host_nfns = 0;
    for (unsigned bus = 0; bus < 256; bus++) {
        for (unsigned dev = 0; dev < 32; dev++) {
            for (unsigned fn = 0; fn < 8; fn++) {
                uint16_t bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
                uint32_t id = pci_host_read(bdf, PCI_CFG_VENDOR, 4);
                if ((id & 0xffff) == 0xffff || (id & 0xffff) == 0) {
                    if (fn == 0)
                        break; /* no function 0: no device (PCI 3.0 6.2.1) */
                    continue;
                }
                add_fn(bdf, id);
                if (fn == 0 && !(pci_host_read(bdf, PCI_CFG_HEADER, 1) & PCI_HEADER_MULTI_FN))
                    break;
            }
        }
    }
    log_info("pci: %u function%s on the host (configuration mechanism #1, segment 0)",
             pci_host_nfns, pci_host_nfns == 1 ? "" : "s");
}

struct pci_host_fn *pci_host_find(uint16_t bdf)
{
    for (unsigned i = 0; i < pci_host_nfns; i++)
        if (pci_host_fns[i].bdf == bdf)
            return &pci_host_fns[i];
    return NULL;
}
