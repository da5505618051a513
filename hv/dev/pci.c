/* SPDX-License-Identifier: MIT */
/* The guest's PCI bus 0: mechanism #1, ECAM, the host and ISA bridges (hv/dev/pci.h). */
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

static uint32_t ones(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

/* The assigned function at a (bus 0, device 1.., function 0), or NULL. */
static struct pci_pt *pt_at(const struct pci_host *h, const struct pci_cfg_addr *a)
{
    if (a->bus || a->fn || a->dev == 0 || a->dev > h->npt)
        return NULL;
    return h->pt[a->dev - 1];
}

static bool is_host_bridge(const struct pci_cfg_addr *a)
{
    return a->bus == 0 && a->dev == 0 && a->fn == 0;
}

static bool is_lpc(const struct pci_cfg_addr *a)
{
    return a->bus == 0 && a->dev == VPCI_LPC_DEV && a->fn == 0;
}

/* One byte of the host bridge's (lpc false) or the ISA bridge's
 * configuration header. */
static uint8_t bridge_byte(const struct pci_host *h, bool lpc, unsigned off)
{
    uint16_t vendor = lpc ? VPCI_LPC_VENDOR : VPCI_HB_VENDOR;
    uint16_t device = lpc ? VPCI_LPC_DEVICE : VPCI_HB_DEVICE;
    uint16_t cmd = lpc ? VPCI_COMMAND_LPC : h->hb_cmd;

    switch (off) {
    case VPCI_VENDOR_ID: return (uint8_t)vendor;
    case VPCI_VENDOR_ID + 1: return (uint8_t)(vendor >> 8);
    case VPCI_DEVICE_ID: return (uint8_t)device;
    case VPCI_DEVICE_ID + 1: return (uint8_t)(device >> 8);
    case VPCI_COMMAND: return (uint8_t)cmd;
    case VPCI_COMMAND + 1: return (uint8_t)(cmd >> 8);
    case VPCI_CLASS_SUB: return lpc ? VPCI_SUBCLASS_ISA : VPCI_SUBCLASS_HOST;
    case VPCI_CLASS_BASE: return VPCI_CLASS_BRIDGE;
    default: return 0; /* revision 0, prog-if 0, header type 0, no BARs, ... */
    }
}

uint32_t pci_cfg_read(struct pci_host *h, const struct pci_cfg_addr *a, unsigned size)
{
    struct pci_pt *pt = pt_at(h, a);
    bool lpc = is_lpc(a);
    uint32_t v = 0;

    if ((size != 1 && size != 2 && size != 4) || (a->reg & 3) + size > 4 ||
        a->reg >= VPCI_CFG_SIZE)
        return ones(size);
    if (pt)
        return a->reg < 256 ? pci_pt_read(pt, a->reg, size) : 0;
    if (!lpc && !is_host_bridge(a))
        return ones(size);
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)(a->reg + i < 256 ? bridge_byte(h, lpc, a->reg + i) : 0) << (8 * i);
    return v;
}

void pci_cfg_write(struct pci_host *h, const struct pci_cfg_addr *a, unsigned size, uint32_t val)
{
    struct pci_pt *pt = pt_at(h, a);

    if ((size != 1 && size != 2 && size != 4) || (a->reg & 3) + size > 4 ||
        a->reg >= VPCI_CFG_SIZE)
        return;
    if (pt) {
        if (a->reg < 256)
            pci_pt_write(pt, a->reg, size, val);
        return;
    }
    if (!is_host_bridge(a))
        return; /* the ISA bridge has nothing writable */
    for (unsigned i = 0; i < size; i++, val >>= 8) {
        if (a->reg + i == VPCI_COMMAND)
            h->hb_cmd = (uint16_t)((h->hb_cmd & 0xff00u) | (val & 0xffu & VPCI_COMMAND_HB_MASK));
        else if (a->reg + i == VPCI_COMMAND + 1)
            h->hb_cmd = (uint16_t)(h->hb_cmd & 0x00ffu); /* high byte: nothing writable */
    }
}

/* ---- Mechanism #1 ---- */

/* The function and register CONFIG_ADDRESS and the CONFIG_DATA port name;
 * false when its enable bit is clear. */
static bool cf8_target(const struct pci_host *h, uint16_t port, struct pci_cfg_addr *a)
{
    uint32_t r = h->addr;

    a->bus = (uint8_t)(r >> VPCI_ADDR_BUS_SHIFT);
    a->dev = (uint8_t)((r >> VPCI_ADDR_DEV_SHIFT) & 0x1f);
    a->fn = (uint8_t)((r >> VPCI_ADDR_FN_SHIFT) & 7);
    a->reg = (uint16_t)((r & VPCI_ADDR_REG_MASK) + (port - VPCI_CONFIG_DATA));
    return (r & VPCI_ADDR_ENABLE) != 0;
}

uint32_t pci_io_read(struct pci_host *h, uint16_t port, unsigned size)
{
    struct pci_cfg_addr a;

    if (size != 1 && size != 2 && size != 4)
        return 0xffffffffu;
    if (port < VPCI_CONFIG_DATA)
        return port == VPCI_CONFIG_ADDRESS && size == 4 ? h->addr : ones(size);
    return cf8_target(h, port, &a) ? pci_cfg_read(h, &a, size) : ones(size);
}

void pci_io_write(struct pci_host *h, uint16_t port, unsigned size, uint32_t val)
{
    struct pci_cfg_addr a;

    if (port < VPCI_CONFIG_DATA) {
        if (port == VPCI_CONFIG_ADDRESS && size == 4)
            h->addr = val & VPCI_ADDR_MASK;
        return;
    }
    if (cf8_target(h, port, &a))
        pci_cfg_write(h, &a, size, val);
}

/* ---- ECAM ---- */

bool pci_ecam_decode(uint64_t off, unsigned size, unsigned buses, struct pci_cfg_addr *a)
{
    if ((size != 1 && size != 2 && size != 4) || (off & 3) + size > 4 ||
        off >= ((uint64_t)buses << VPCI_ECAM_BUS_SHIFT))
        return false;
    a->bus = (uint8_t)(off >> VPCI_ECAM_BUS_SHIFT);
    a->dev = (uint8_t)((off >> VPCI_ECAM_DEV_SHIFT) & 0x1f);
    a->fn = (uint8_t)((off >> VPCI_ECAM_FN_SHIFT) & 7);
    a->reg = (uint16_t)(off & VPCI_ECAM_REG_MASK);
    return true;
}

uint64_t pci_ecam_read(struct pci_host *h, uint64_t off, unsigned size, unsigned buses)
{
    struct pci_cfg_addr a;

    if (size == 8 && (off & 7) == 0)
        return pci_ecam_read(h, off, 4, buses) | (pci_ecam_read(h, off + 4, 4, buses) << 32);
    if (!pci_ecam_decode(off, size, buses, &a))
        return size >= 8 ? ~0ull : ones(size);
    return pci_cfg_read(h, &a, size);
}

void pci_ecam_write(struct pci_host *h, uint64_t off, unsigned size, unsigned buses, uint64_t val)
{
    struct pci_cfg_addr a;

    if (size == 8 && (off & 7) == 0) {
        pci_ecam_write(h, off, 4, buses, val & 0xffffffffu);
        pci_ecam_write(h, off + 4, 4, buses, val >> 32);
        return;
    }
    if (pci_ecam_decode(off, size, buses, &a))
        pci_cfg_write(h, &a, size, (uint32_t)val);
}
