/* SPDX-License-Identifier: MIT */
/* PCI configuration mechanism #1 and the host bridge (hv/dev/pci.h). */
#include "hv/dev/pci.h"

#include <stdbool.h>
#include <stddef.h>

void pci_init(struct pci_host *h)
{
    h->addr = 0;
    h->hb_cmd = 0;
    h->npt = 0;
}

int pci_attach(struct pci_host *h, struct pci_pt *pt)
{
    if (h->npt >= VPCI_MAX_PT)
        return -1;
    h->pt[h->npt++] = pt;
    return (int)h->npt;
}

/* The assigned function CONFIG_ADDRESS names (bus 0, device 1.., function 0), or NULL. */
static struct pci_pt *selected_pt(const struct pci_host *h)
{
    uint32_t a = h->addr;
    unsigned bus = (a >> VPCI_ADDR_BUS_SHIFT) & 0xff, dev = (a >> VPCI_ADDR_DEV_SHIFT) & 0x1f;

    if (!(a & VPCI_ADDR_ENABLE) || bus || ((a >> VPCI_ADDR_FN_SHIFT) & 7) || dev == 0 || dev > h->npt)
        return NULL;
    return h->pt[dev - 1];
}

static uint32_t ones(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* CONFIG_ADDRESS names the host bridge (bus 0, device 0, function 0). */
static bool selects_host_bridge(uint32_t addr)
{
    return (addr & VPCI_ADDR_ENABLE) && ((addr >> VPCI_ADDR_FN_SHIFT) & 0xffffu) == 0;
}

/* One byte of the host bridge's configuration space. */
static uint8_t hb_byte(const struct pci_host *h, unsigned off)
{
    switch (off) {
    case VPCI_VENDOR_ID: return (uint8_t)VPCI_HB_VENDOR;
    case VPCI_VENDOR_ID + 1: return (uint8_t)(VPCI_HB_VENDOR >> 8);
    case VPCI_DEVICE_ID: return (uint8_t)VPCI_HB_DEVICE;
    case VPCI_DEVICE_ID + 1: return (uint8_t)(VPCI_HB_DEVICE >> 8);
    case VPCI_COMMAND: return (uint8_t)h->hb_cmd;
    case VPCI_COMMAND + 1: return (uint8_t)(h->hb_cmd >> 8);
    case VPCI_CLASS_SUB: return VPCI_SUBCLASS_HOST;
    case VPCI_CLASS_BASE: return VPCI_CLASS_BRIDGE;
    default: return 0; /* revision 0, prog-if 0, header type 0, no BARs, ... */
    }
}

uint32_t pci_io_read(struct pci_host *h, uint16_t port, unsigned size)
{
    if (size != 1 && size != 2 && size != 4)
        return 0xffffffffu;
    if (port < VPCI_CONFIG_DATA)
        return port == VPCI_CONFIG_ADDRESS && size == 4 ? h->addr : ones(size);
    struct pci_pt *pt = selected_pt(h);
    if (pt) {
        unsigned off = (h->addr & VPCI_ADDR_REG_MASK) + (port - VPCI_CONFIG_DATA);
        return (off & 3) + size > 4 ? ones(size) : pci_pt_read(pt, off, size);
    }
    if (!selects_host_bridge(h->addr))
        return ones(size);
    unsigned off = (h->addr & VPCI_ADDR_REG_MASK) + (port - VPCI_CONFIG_DATA);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)(off + i < 256 ? hb_byte(h, off + i) : 0xff) << (8 * i);
    return v;
}

void pci_io_write(struct pci_host *h, uint16_t port, unsigned size, uint32_t val)
{
    if (port < VPCI_CONFIG_DATA) {
        if (port == VPCI_CONFIG_ADDRESS && size == 4)
            h->addr = val & VPCI_ADDR_MASK;
        return;
    }
    if (size != 1 && size != 2 && size != 4)
        return;
    struct pci_pt *pt = selected_pt(h);
    if (pt) {
        unsigned off = (h->addr & VPCI_ADDR_REG_MASK) + (port - VPCI_CONFIG_DATA);
        if ((off & 3) + size <= 4)
            pci_pt_write(pt, off, size, val);
        return;
    }
    if (!selects_host_bridge(h->addr))
        return;
    unsigned off = (h->addr & VPCI_ADDR_REG_MASK) + (port - VPCI_CONFIG_DATA);
    for (unsigned i = 0; i < size; i++, val >>= 8) {
        if (off + i == VPCI_COMMAND)
            h->hb_cmd = (uint16_t)((h->hb_cmd & 0xff00u) | (val & 0xffu & VPCI_COMMAND_HB_MASK));
        else if (off + i == VPCI_COMMAND + 1)
            h->hb_cmd = (uint16_t)(h->hb_cmd & 0x00ffu); /* high byte: nothing writable */
    }
}
