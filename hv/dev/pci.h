/* SPDX-License-Identifier: MIT */
/*
 * PCI configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2
 * "Software Generation of Configuration Transactions"): CONFIG_ADDRESS at
 * I/O port 0xCF8 (dword accesses only), CONFIG_DATA at 0xCFC-0xCFF, with one
 * function behind it: a host bridge at bus 0, device 0, function 0 (class
 * 06h/00h, no BARs), so an OS that scans bus 0 finds a sane bus.  Every
 * other function reads all ones (no device: master abort) and ignores
 * writes.  A non-dword access to 0xCF8-0xCFB is not CONFIG_ADDRESS (the
 * spec passes it through as ordinary I/O): it reads all ones here.
 *
 * The host bridge uses the ID of the generic PCIe host bridge that virtual
 * platforms present (1B36h:0008h): a real chipset's ID would invite the
 * guest's chipset quirks for hardware that is not there.
 *
 * Pure; the caller's lock (vplatform.lock) protects the state.
 */
#ifndef KEEL_HV_PCI_H
#define KEEL_HV_PCI_H

#include <stdint.h>

#include "hv/dev/pci_pt.h"

#define VPCI_CONFIG_ADDRESS   0xcf8u
#define VPCI_CONFIG_DATA      0xcfcu
#define VPCI_CONFIG_PORTS     8u        /* 0xCF8 - 0xCFF */
#define VPCI_ADDR_ENABLE      (1u << 31)
#define VPCI_ADDR_BUS_SHIFT   16
#define VPCI_ADDR_DEV_SHIFT   11
#define VPCI_ADDR_FN_SHIFT    8
#define VPCI_ADDR_REG_MASK    0xfcu
#define VPCI_ADDR_MASK        0x80fffffcu /* bits 30:24 reserved (read 0), 1:0 read 0 */

/* Type 0 header offsets (PCI 3.0 6.1). */
#define VPCI_VENDOR_ID        0x00
#define VPCI_DEVICE_ID        0x02
#define VPCI_COMMAND          0x04
#define VPCI_STATUS           0x06
#define VPCI_REVISION         0x08
#define VPCI_CLASS_PROG       0x09
#define VPCI_CLASS_SUB        0x0a
#define VPCI_CLASS_BASE       0x0b
#define VPCI_HEADER_TYPE      0x0e

#define VPCI_HB_VENDOR        0x1b36u
#define VPCI_HB_DEVICE        0x0008u
#define VPCI_CLASS_BRIDGE     0x06u
#define VPCI_SUBCLASS_HOST    0x00u
/* Command bits the host bridge keeps (I/O, memory, bus master): PCI 3.0
 * 6.2.2; the rest read 0. */
#define VPCI_COMMAND_HB_MASK  0x0007u

/* Assigned host functions (hv/passthru.c) appear as function 0 of
 * devices 1 .. VPCI_MAX_PT on bus 0, their configuration space mediated by
 * hv/dev/pci_pt.c. */
#define VPCI_MAX_PT 4

struct pci_host {
    uint32_t addr;     /* CONFIG_ADDRESS */
    uint16_t hb_cmd;   /* the host bridge's command register */
    unsigned npt;
    struct pci_pt *pt[VPCI_MAX_PT]; /* device npt + 1 on bus 0 */
};

void pci_init(struct pci_host *h);
/* Port accesses of @size (1, 2 or 4) bytes at @port in 0xCF8 .. 0xCFF. */
uint32_t pci_io_read(struct pci_host *h, uint16_t port, unsigned size);
void pci_io_write(struct pci_host *h, uint16_t port, unsigned size, uint32_t val);
/* Puts an assigned function on the bus: its device number (1 ..
 * VPCI_MAX_PT), or -1 when the bus is full. */
int pci_attach(struct pci_host *h, struct pci_pt *pt);

#endif /* KEEL_HV_PCI_H */
