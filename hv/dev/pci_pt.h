/* SPDX-License-Identifier: MIT */
/*
 * An assigned host PCI function as the guest sees it on its virtual bus:
 * the configuration space mediated (PCI Local Bus Specification 3.0,
 * chapter 6).  Pure: the host's configuration space and every side effect
 * (mapping a BAR into the VM, programming the physical MSI, the command
 * register) go through struct pci_pt_ops, so the model is host-tested and
 * fuzzed with a fake function behind it.
 *
 *   0x00 vendor, device; 0x08 revision, class; 0x2c subsystem IDs;
 *   0x34 capability pointer, and the capabilities' bytes: the host's
 *   0x04 command: I/O, memory, bus master and INTx-disable are the guest's
 *        and are passed to the device (INTx is always disabled on the
 *        device: Keel routes only MSIs); status is the host's
 *   0x0c header type: 0, single function
 *   0x10-0x24 BARs: virtual (the guest's address, the host's size and
 *        flags); a memory BAR whose decoding the guest enabled is mapped
 *        at the guest's address by ops->map_bar; I/O BARs read 0
 *   0x30 expansion ROM: none (0); 0x3c interrupt line the guest's, pin 0
 *   MSI capability (6.8.1): control, address and data are virtual; the
 *        guest's enable, address or data changing calls ops->msi_changed
 *   MSI-X capability (6.8.2, after pci_pt_msix_init): message control's
 *        enable and function mask are the guest's (msix_changed on a
 *        change), its table size reads as the entries Keel routes; the
 *        table and PBA offset/BIR are the host's (the BAR layout is the
 *        host's); the table itself is hv/dev/pci_msix.c
 *   anything else reads as the host has it and ignores writes.
 *
 * Locking: the caller's (vplatform.lock).
 */
#ifndef KEEL_HV_PCI_PT_H
#define KEEL_HV_PCI_PT_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_PT_BARS 6

struct pci_pt_ops {
    uint32_t (*phys_read)(void *ctx, unsigned off, unsigned size);
    void (*phys_write)(void *ctx, unsigned off, unsigned size, uint32_t val);
    /* BAR i now decodes at gpa (mapped true), or no longer does. */
    void (*map_bar)(void *ctx, unsigned i, uint64_t gpa, bool mapped);
    /* The guest's MSI: enabled or not, its address and data. */
    void (*msi_changed)(void *ctx, bool enabled, uint64_t addr, uint16_t data);
};

/* The guest's MSI-X message control (enable, function mask) changed. */
typedef void (*pci_pt_msix_ctl_fn)(void *ctx, uint16_t ctl);

struct pci_pt_bar {
    uint64_t size;      /* 0: not implemented (or an I/O BAR: not offered) */
    uint32_t flags;     /* the low bits of the host's BAR (type, prefetchable) */
    bool mem64;         /* a 64-bit memory BAR: the next slot is its upper half */
    uint32_t reg;       /* the guest's last write to the register */
    uint64_t mapped;    /* where ops->map_bar last mapped it, or ~0 */
};

struct pci_pt {
    const struct pci_pt_ops *ops;
    void *ctx;
    struct pci_pt_bar bar[PCI_PT_BARS];
    uint16_t cmd;        /* the guest's command register */
    uint8_t irq_line;    /* 0x3c, the guest's */
    uint8_t msi_cap;     /* offset of the host's MSI capability, 0 if none */
    bool msi_64;         /* 64-bit address (control bit 7) */
    uint16_t msi_ctl;    /* the guest's control: enable, multiple message enable */
    uint64_t msi_addr;
    uint16_t msi_data;
    uint8_t msix_cap;    /* offset of the host's MSI-X capability, 0 if not offered */
    uint16_t msix_n;     /* table size the guest sees (1..2048) */
    uint16_t msix_ctl;   /* the guest's enable and function mask */
    pci_pt_msix_ctl_fn msix_changed;
};

#define PCI_PT_CMD_MASK   0x0407u /* I/O, memory, bus master, INTx disable */
#define PCI_PT_UNMAPPED   (~0ull)

struct apic_msg;
/* The guest's MSI as the message it is on the APIC bus (xAPIC MSI address
 * and data format, SDM 11.11.1, 11.11.2): false when the address is not in
 * the FEExxxxxh window (no APIC takes it). */
bool pci_pt_msi_message(uint64_t addr, uint16_t data, struct apic_msg *m);

/* bars[i]: the host BAR's size (0 if none) and low flag bits, found by the
 * caller by sizing (PCI 3.0 6.2.5.1); msi_cap the host capability's offset. */
void pci_pt_init(struct pci_pt *p, const struct pci_pt_ops *ops, void *ctx,
                 const uint64_t size[PCI_PT_BARS], const uint32_t flags[PCI_PT_BARS],
                 uint8_t msi_cap);
/* Offers the host's MSI-X capability at cap with n entries (the rest of
 * the host's table is Keel's), fn told of the guest's message control;
 * without this call it is not offered (its registers read as the host's,
 * writes dropped). */
void pci_pt_msix_init(struct pci_pt *p, uint8_t cap, unsigned n, pci_pt_msix_ctl_fn fn);
/* Configuration accesses of size 1, 2 or 4 at off (< 256, within a dword). */
uint32_t pci_pt_read(struct pci_pt *p, unsigned off, unsigned size);
void pci_pt_write(struct pci_pt *p, unsigned off, unsigned size, uint32_t val);

#endif /* KEEL_HV_PCI_PT_H */
