/* SPDX-License-Identifier: MIT */
/*
 * The guest's PCI bus 0, reached two ways that lead to one configuration
 * space model:
 *  - configuration mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2
 *    "Software Generation of Configuration Transactions"): CONFIG_ADDRESS at
 *    I/O port 0xCF8 (dword accesses only), CONFIG_DATA at 0xCFC-0xCFF.  A
 *    non-dword access to 0xCF8-0xCFB is not CONFIG_ADDRESS (the spec passes
 *    it through as ordinary I/O): it reads all ones here;
 *  - the enhanced configuration access mechanism, ECAM (PCI Express Base
 *    6.0, 7.2.2): a memory window (the MCFG's, hv/mm/guest_ram.h) with
 *    offset bits 27:20 the bus, 19:15 the device, 14:12 the function and
 *    11:0 the register.  Accesses of 1, 2 or 4 bytes within one dword are
 *    configuration accesses; an aligned 8-byte access is split into two
 *    dword accesses, low dword first, as x86 chipsets do (PCIe Base 7.2.2.2
 *    leaves wider accesses to the root complex); any other access (crossing
 *    a dword) reads all ones and its write is dropped.
 * On bus 0:
 *   00:00.0  host bridge (class 06h/00h, no BARs);
 *   00:01.0 .. 00:04.0  assigned host functions (hv/dev/pci_pt.c);
 *   00:1F.0  ISA/LPC bridge (class 06h/01h, no BARs), where a PC chipset
 *            has it: the legacy devices (PIT, 8259s, RTC, COM1) sit behind it.
 * Every other function reads all ones (no device: master abort) and ignores
 * writes.  Registers from 100h (extended configuration space, ECAM only) of
 * the emulated functions read 0: no extended capabilities (PCIe Base 7.6.3).
 *
 * The host bridge uses the ID of the generic PCIe host bridge that virtual
 * platforms present (1B36h:0008h): a real chipset's ID would invite the
 * guest's chipset quirks for hardware that is not there.  The ISA bridge is
 * Intel's PIIX4 function 0 (8086h:7110h, "82371AB PIIX4 ISA"): Linux has
 * no driver for it and applies no quirk to it alone (its PIIX4 errata and
 * ACPI fix-ups key on functions 1 and 3, 7111h and 7113h, which are not
 * here; its PIRQ router is used only without ACPI), whereas the ICH9 LPC
 * (8086h:2918h) of QEMU's q35 binds lpc_ich and iTCO_wdt, which would look
 * for the ACPI and GPIO blocks behind its PMBASE registers.
 *
 * Pure; the caller's lock (vplatform.lock) protects the state.
 */
#ifndef KEEL_HV_PCI_H
#define KEEL_HV_PCI_H

#include <stdbool.h>
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

/* The ISA/LPC bridge (see above). */
#define VPCI_LPC_DEV          0x1fu
#define VPCI_LPC_VENDOR       0x8086u
#define VPCI_LPC_DEVICE       0x7110u
#define VPCI_SUBCLASS_ISA     0x01u
#define VPCI_COMMAND_LPC      0x0007u /* I/O, memory, bus master: always decoding */

/* ECAM offsets (PCIe Base 6.0 7.2.2, table 7-1). */
#define VPCI_ECAM_BUS_SHIFT   20
#define VPCI_ECAM_DEV_SHIFT   15
#define VPCI_ECAM_FN_SHIFT    12
#define VPCI_ECAM_REG_MASK    0xfffu
#define VPCI_CFG_SIZE         4096u   /* a function's configuration space */

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

/* One configuration access's target: a function and a register offset. */
struct pci_cfg_addr {
    uint8_t bus, dev, fn;
    uint16_t reg;      /* 0 .. 0xFFF */
};

void pci_init(struct pci_host *h);
/* Port accesses of @size (1, 2 or 4) bytes at @port in 0xCF8 .. 0xCFF. */
uint32_t pci_io_read(struct pci_host *h, uint16_t port, unsigned size);
void pci_io_write(struct pci_host *h, uint16_t port, unsigned size, uint32_t val);

/* An ECAM access of size bytes at off (from the window's base, below
 * buses << 20) as a configuration access: true and *a when size is 1, 2
 * or 4 and the access stays within one dword, false otherwise. */
bool pci_ecam_decode(uint64_t off, unsigned size, unsigned buses, struct pci_cfg_addr *a);
/* ECAM window accesses of size 1, 2, 4 or 8 at off (see above for what
 * each does); buses is the window's bus count (1 .. 256). */
uint64_t pci_ecam_read(struct pci_host *h, uint64_t off, unsigned size, unsigned buses);
void pci_ecam_write(struct pci_host *h, uint64_t off, unsigned size, unsigned buses, uint64_t val);
/* A configuration access (size 1, 2 or 4 within one dword) to a. */
uint32_t pci_cfg_read(struct pci_host *h, const struct pci_cfg_addr *a, unsigned size);
void pci_cfg_write(struct pci_host *h, const struct pci_cfg_addr *a, unsigned size, uint32_t val);
/* Puts an assigned function on the bus: its device number (1 ..
 * VPCI_MAX_PT), or -1 when the bus is full. */
int pci_attach(struct pci_host *h, struct pci_pt *pt);

#endif /* KEEL_HV_PCI_H */
