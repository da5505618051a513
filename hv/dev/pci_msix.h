/* SPDX-License-Identifier: MIT */
/*
 * An assigned function's MSI-X table as the guest sees it (PCI Local Bus
 * 3.0 6.8.2, PCIe Base 4.0 7.7.2): a shadow of the guest's entries, the
 * host's entries programmed by Keel.  Pure: the host table, the host's
 * message control and the log go through struct pci_msix_ops, so the
 * model is host-tested and fuzzed.
 *
 * The capability (config space, hv/dev/pci_pt.c): message control at +2
 * (10:0 table size N-1, 14 function mask, 15 enable), table offset/BIR at
 * +4, PBA offset/BIR at +8 (2:0 BIR, 31:3 offset, 6.8.2.4, 6.8.2.5).
 * Table entries are 16 bytes: +0 message address (1:0 zero), +4 upper
 * address, +8 data, +12 vector control (bit 0 mask, 31:1 reserved).
 *
 * What Keel does:
 * - the guest sees at most `nvec` entries (Table Size = nvec - 1): every
 *   entry it sees has a host vector and an IRTE of its own in Keel;
 * - the page(s) holding the host's whole table are kept out of the BAR's
 *   nested mapping and every guest access there comes here
 *   (pci_msix_read/write with the offset in the BAR): inside the guest's
 *   table, the shadow; inside the host's table past the guest's entries,
 *   reads 0 (vector control: 1, masked) and writes are dropped; elsewhere
 *   on those pages (other registers, a PBA sharing the page), the host's
 *   BAR as it is;
 * - an entry is *on* when the guest's MSI-X enable is set and its vector
 *   mask is clear; ops->entry is called when it turns on or off, and when
 *   its address or data change while on (the spec leaves that undefined,
 *   Keel applies it at once, as for MSI); the host entry is masked while
 *   off and holds Keel's message (remapped or posted) while on;
 * - enable and function mask are passed to the host's message control
 *   (ops->ctl): the device itself then holds a masked vector's interrupt
 *   in its PBA and sends it on unmasking (6.8.2.8), and the PBA stays
 *   the device's (mapped directly unless it shares the table's page);
 * - accesses to the table other than an aligned DWORD or aligned QWORD
 *   (6.8.2: "undefined"): reads return all ones, writes are dropped, and
 *   ops->bad is told (the glue logs it once per device); so are accesses
 *   that cross the end of the emulated pages (they would reach past them
 *   on the host).
 *
 * Locking: the caller's (vplatform.lock).
 */
#ifndef KEEL_HV_PCI_MSIX_H
#define KEEL_HV_PCI_MSIX_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CAP_ID_MSIX          0x11
#define PCI_MSIX_CTL             2           /* message control, in the capability */
#define PCI_MSIX_CTL_SIZE        0x07ffu     /* table size N - 1 */
#define PCI_MSIX_CTL_FMASK       0x4000u     /* function mask */
#define PCI_MSIX_CTL_ENABLE      0x8000u
#define PCI_MSIX_TABLE           4           /* table offset / BIR */
#define PCI_MSIX_PBA             8           /* PBA offset / BIR */
#define PCI_MSIX_BIR             0x7u
#define PCI_MSIX_OFF_MASK        0xfffffff8u
#define PCI_MSIX_ENTRY_SIZE      16
#define PCI_MSIX_ENTRY_ADDR      0
#define PCI_MSIX_ENTRY_UADDR     4
#define PCI_MSIX_ENTRY_DATA      8
#define PCI_MSIX_ENTRY_VCTL      12
#define PCI_MSIX_VCTL_MASK       0x1u
#define PCI_MSIX_MAX_HOST        2048u       /* 11-bit table size */
#define PCI_MSIX_MAX_VEC         8u          /* entries Keel routes per function */
#define PCI_MSIX_PAGE            4096u

/* The capability as the host has it, decoded. */
struct pci_msix_cap {
    unsigned host_n;       /* the host's table size (1..2048) */
    uint8_t table_bir, pba_bir;
    uint32_t table_off, pba_off;
};

/* Decodes the capability's message control, table and PBA registers (as
 * read from the host): 0, or -1 when a BIR names no BAR (6 and 7 are
 * reserved), the table is not 8-byte aligned or runs past bar_size[bir]
 * (a BAR size of 0: not implemented or not offered). */
int pci_msix_cap_parse(uint16_t ctl, uint32_t table, uint32_t pba, const uint64_t bar_size[6],
                       struct pci_msix_cap *c);

/* The BAR range to emulate: the whole pages holding the host's table. */
void pci_msix_hole(const struct pci_msix_cap *c, uint64_t *off, uint64_t *len);

struct pci_msix_entry {
    uint32_t addr_lo, addr_hi, data, vctl; /* the guest's */
    bool on;                               /* as last told to ops->entry */
    uint64_t on_addr;
    uint32_t on_data;
};

struct pci_msix_ops {
    /* Entry i turned on (with the guest's address and data) or off. */
    void (*entry)(void *ctx, unsigned i, bool on, uint64_t addr, uint32_t data);
    /* The host's message control: enable and function mask. */
    void (*ctl)(void *ctx, bool enable, bool fmask);
    /* The host BAR (the table's) outside the table, off within the BAR. */
    uint64_t (*bar_read)(void *ctx, uint64_t off, unsigned size);
    void (*bar_write)(void *ctx, uint64_t off, unsigned size, uint64_t val);
    /* An access the model refused (size or alignment). */
    void (*bad)(void *ctx, uint64_t off, unsigned size, bool write);
};

struct pci_msix {
    const struct pci_msix_ops *ops;
    void *ctx;
    struct pci_msix_cap cap;
    unsigned n;               /* entries the guest sees */
    bool enable, fmask;       /* the guest's message control */
    struct pci_msix_entry e[PCI_MSIX_MAX_VEC];
};

/* nvec: how many entries Keel routes (1..PCI_MSIX_MAX_VEC); the guest sees
 * min(nvec, the host's size).  Every entry starts masked, off. */
void pci_msix_init(struct pci_msix *m, const struct pci_msix_ops *ops, void *ctx,
                   const struct pci_msix_cap *cap, unsigned nvec);
/* The message control as the guest reads it, over the host's value. */
uint16_t pci_msix_ctl_read(const struct pci_msix *m, uint16_t host);
/* The guest wrote message control: enable and function mask. */
void pci_msix_ctl_write(struct pci_msix *m, uint16_t val);
/* Guest accesses at off in the table's BAR, inside pci_msix_hole() (one
 * that is not, or crosses its end: refused); size 1, 2, 4 or 8. */
uint64_t pci_msix_read(struct pci_msix *m, uint64_t off, unsigned size);
void pci_msix_write(struct pci_msix *m, uint64_t off, unsigned size, uint64_t val);

#endif /* KEEL_HV_PCI_MSIX_H */
