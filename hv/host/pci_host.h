/* SPDX-License-Identifier: MIT */
/*
 * The host's PCI functions, as Keel finds them at boot: configuration
 * mechanism #1 (PCI Local Bus Specification 3.0, 3.2.2.3.2: CONFIG_ADDRESS
 * at 0xCF8, CONFIG_DATA at 0xCFC), segment 0, every bus scanned.  Device
 * assignment (hv/passthru.c) looks functions up here and reaches their
 * configuration space through pci_host_read/pci_host_write.
 *
 * Mechanism #1 reaches the first 256 bytes of each function; the PCIe
 * extended space (ECAM from the MCFG) is not used: nothing Keel mediates
 * lives there (the capabilities it needs, MSI and the PCIe capability's
 * FLR bit, are in the first 256 bytes).
 *
 * Locking: pci_host_lock serialises the address/data pairs of every CPU.
 */
#ifndef KEEL_HV_HOST_PCI_HOST_H
#define KEEL_HV_HOST_PCI_HOST_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_HOST_MAX_FNS 256

/* Configuration header offsets and bits (PCI 3.0 6.1, 6.2, 6.8; PCIe 3.0 7.8). */
#define PCI_CFG_VENDOR        0x00
#define PCI_CFG_COMMAND       0x04
#define PCI_CFG_STATUS        0x06
#define PCI_CFG_CLASS_REV     0x08
#define PCI_CFG_HEADER        0x0e
#define PCI_CFG_BAR0          0x10
#define PCI_CFG_CAP_PTR       0x34
#define PCI_CMD_IO            (1u << 0)
#define PCI_CMD_MEM           (1u << 1)
#define PCI_CMD_MASTER        (1u << 2)
#define PCI_CMD_INTX_DISABLE  (1u << 10)
#define PCI_STATUS_CAP_LIST   (1u << 4)
#define PCI_HEADER_TYPE_MASK  0x7fu
#define PCI_HEADER_MULTI_FN   0x80u
#define PCI_CAP_ID_MSI        0x05
#define PCI_CAP_ID_MSIX       0x11 /* PCI 3.0 6.8.2 */
#define PCI_CAP_ID_PCIE       0x10
#define PCI_PCIE_DEVCAP       0x04   /* in the PCIe capability */
#define PCI_PCIE_DEVCTL       0x08
#define PCI_PCIE_DEVCAP_FLR   (1u << 28)
#define PCI_PCIE_DEVCTL_FLR   (1u << 15)

struct pci_host_fn {
    uint16_t bdf;               /* bus << 8 | device << 3 | function */
    uint16_t vendor, device;
    uint32_t class_rev;         /* class 31:8, revision 7:0 */
    uint8_t header;             /* header type without the multi-function bit */
    uint8_t msi_cap;            /* offset of the MSI capability, 0 if none */
    uint8_t msix_cap;           /* offset of the MSI-X capability, 0 if none */
    uint8_t pcie_cap;           /* offset of the PCIe capability, 0 if none */
    bool flr;                   /* PCIe DEVCAP: function-level reset */
    int assigned_vm;            /* -1, or the VM it was given to */
};

extern struct pci_host_fn pci_host_fns[PCI_HOST_MAX_FNS];
extern unsigned pci_host_nfns;

/* Scans every bus once (boot, one CPU); logs the count. */
void pci_host_enumerate(void);
/* The function at bdf, or NULL when the scan did not find it. */
struct pci_host_fn *pci_host_find(uint16_t bdf);
/* Configuration accesses of size 1, 2 or 4 at off (aligned to size, < 256). */
uint32_t pci_host_read(uint16_t bdf, unsigned off, unsigned size);
void pci_host_write(uint16_t bdf, unsigned off, unsigned size, uint32_t val);

#endif /* KEEL_HV_HOST_PCI_HOST_H */
