/* SPDX-License-Identifier: MIT */
/*
 * Device assignment's own state, shared by hv/passthru.c (assignment,
 * routes, faults) and hv/passthru_msix.c (the MSI-X table): not for other
 * files.  Locking as hv/passthru.h says.
 */
#ifndef KEEL_HV_PASSTHRU_INT_H
#define KEEL_HV_PASSTHRU_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_dest.h"
#include "hv/dev/iobus.h"
#include "hv/dev/pci_msix.h"
#include "hv/dev/pci_pt.h"
#include "hv/host/percpu.h"
#include "hv/host/spinlock.h"
#include "hv/irq_post.h"
#include "hv/vm.h"
#include "iommu/iopt.h"

#define PT_MAX_DEVS   4

struct pt_dev;

/* One routed vector of a device: its MSI (index 0), or its MSI-X entry
 * index; each has a host vector and an IRTE (number index) of its own. */
struct pt_vec {
    struct pt_dev *dev;
    unsigned index;
    uint8_t vector;                /* the host vector */
    volatile uint32_t irq_pending; /* atomics: set by the host vector */
    /* The route (hv/irq_post.h), under the device's route_lock. */
    bool g_enabled;                /* the guest's message as last programmed */
    uint64_t g_addr;
    uint32_t g_data;
    struct irq_post_route route;   /* what the IRTE holds now */
    uint64_t switches;             /* route changes after the first (posted <-> remapped) */
};

struct pt_dev {
    struct vm *vm;
    struct pci_host_fn *hf;
    unsigned unit;
    unsigned slot;                 /* device number on the VM's bus 0 */
    uint64_t bar_hpa[PCI_PT_BARS];
    uint64_t bar_size[PCI_PT_BARS];
    struct pci_pt pt;              /* vplatform.lock */
    unsigned nvec;                 /* routed vectors: 1 (MSI), or the MSI-X entries offered */
    struct pt_vec vec[PCI_MSIX_MAX_VEC];
    /* MSI-X (hv/dev/pci_msix.h), under vplatform.lock; hole: the table's
     * pages, out of the BAR's nested mapping, emulated (passthru_find_mmio). */
    bool msix;
    struct pci_msix mx;
    uint64_t hole_off, hole_len;   /* in the table's BAR */
    struct bus_range hole;         /* base: where the guest's BAR puts it (len 0: not decoded) */
    bool bad_logged;
    uint64_t faults;               /* DMA faults reported (atomic adds) */
    struct spinlock route_lock;
    struct apic_dest_view views[KEEL_MAX_CPUS]; /* route_apply's inputs (too big for a stack) */
    struct irq_post_vcpu vc[KEEL_MAX_CPUS];
};

struct pt_vm {
    struct iopt iopt;
    const struct iopt_format *fmt;
    bool coherent;
    uint16_t domain;
    bool fault_continue;
    unsigned ndev;
    struct pt_dev dev[PT_MAX_DEVS];
    uint64_t next_poll;            /* host TSC; vCPU 0's CPU only */
    bool stopped;
    volatile uint32_t reroute;     /* atomic: the acceleration toggled, decide again */
    uint64_t accel_sig;            /* vCPU 0's CPU: the acceleration the routes saw */
    volatile uint32_t faults_now;  /* atomic: an IOMMU fault interrupt came, poll at once */
    bool fault_irq_seen;           /* vCPU 0's CPU: the first one was logged */
};

extern struct pt_vm pt_vms[VM_MAX];

#define BDF_ARGS(b) (b) >> 8, ((b) >> 3) & 0x1f, (b) & 7

/* hv/passthru.c: the guest's message for vector v is now enabled/addr/
 * data; the route decided and its IRTE written.  0 with the device's
 * message in *maddr and *mdata when it is to be on, -1 when it stays off.
 * Under vplatform.lock. */
int pt_vec_program(struct pt_vec *v, bool enabled, uint64_t addr, uint32_t data,
                   uint64_t *maddr, uint32_t *mdata, struct irq_post_route *now);
/* One line: what (MSI, MSI-X entry i) as the guest programmed it, and its route. */
void pt_vec_logged(struct pt_vec *v, const char *what, uint64_t addr, uint32_t data,
                   const struct irq_post_route *now, uint64_t maddr, uint32_t mdata);
/* hv/passthru_msix.c: the host's MSI-X capability offered with at most
 * room entries (d->nvec set: 1 without MSI-X). */
void pt_msix_setup(struct pt_dev *d, unsigned room);

#endif /* KEEL_HV_PASSTHRU_INT_H */
