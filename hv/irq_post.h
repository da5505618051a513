/* SPDX-License-Identifier: MIT */
/*
 * Where an assigned device's MSI goes (docs/iommu.md, "The life of a
 * device interrupt"): posted by the IOMMU straight into one vCPU's APIC
 * state, or remapped to a Keel host vector and injected through the
 * vLAPIC.  Pure decision and encoding, host-tested against models of the
 * hardware (tests/unit/test_irq_post.c, tests/model/irq_post_model.h).
 *
 * Posted where all of these hold, remapped otherwise:
 *   - the message: an MSI to FEExxxxx, fixed or lowest-priority delivery,
 *     edge-triggered, selecting exactly one accepting vCPU (lowest priority
 *     with one candidate: that one; several candidates or several fixed
 *     targets need the vLAPIC's arbitration or a multicast);
 *   - the unit: it remaps and can post (AMD-Vi: EFR.GASup with GAMSup
 *     guest virtual APIC and the GA log up; VT-d: CAP.PI), and the target's
 *     host APIC ID fits its destination format;
 *   - the VM: its APIC acceleration is active (no honoured inhibit);
 *   - the vCPU: its APIC runs accelerated with posting, and it has the
 *     state the unit writes (AMD: the backing page; VT-d: a PI descriptor).
 * AMD-Vi: the guest-virtual-APIC IRTE carries the vCPU's placement:
 * Destination = its host APIC ID, IsRun while it runs, GALogIntr while it
 * does not (#48882 2.2.5.2); irq_post_amd_place() moves those three alone.
 * VT-d: the posted IRTE names the descriptor (VT-d 9.11); its NV and NDST
 * follow the vCPU in the descriptor, not in the IRTE.
 */
#ifndef KEEL_HV_IRQ_POST_H
#define KEEL_HV_IRQ_POST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apic/apic_dest.h"

enum irq_post_vendor { IRQ_POST_AMDVI = 1, IRQ_POST_VTD };

enum irq_post_kind {
    IRQ_POST_OFF = 0,   /* nothing to program: the guest's MSI is off or unusable */
    IRQ_POST_DIRECT,    /* the unit does not remap: a direct MSI to Keel's vector */
    IRQ_POST_REMAP,     /* IRTE to Keel's host vector, injected through the vLAPIC */
    IRQ_POST_POSTED,    /* IRTE posting to one vCPU */
};

enum irq_post_why {
    IRQ_WHY_POSTED = 0,        /* fixed, one target */
    IRQ_WHY_POSTED_LOWEST,     /* lowest priority, one candidate */
    IRQ_WHY_MSI_OFF,           /* the guest's MSI is disabled */
    IRQ_WHY_NOT_MSI,           /* the address is not FEExxxxx */
    IRQ_WHY_NO_REMAP,          /* the unit does not remap interrupts */
    IRQ_WHY_DELIVERY_MODE,     /* SMI, NMI, INIT, ExtINT, reserved */
    IRQ_WHY_LEVEL,             /* level-triggered */
    IRQ_WHY_NO_TARGET,         /* no accepting APIC */
    IRQ_WHY_MULTI,             /* several fixed targets */
    IRQ_WHY_LOWEST_MULTI,      /* lowest priority among several */
    IRQ_WHY_UNIT_NO_POST,      /* AMD: no GAMSup / GA log; VT-d: no CAP.PI */
    IRQ_WHY_VM_INHIBITED,      /* the VM's APIC runs emulated */
    IRQ_WHY_VCPU_EMULATED,     /* the target vCPU's APIC runs emulated */
    IRQ_WHY_NO_VCPU_STATE,     /* no backing page / PI descriptor for the target */
    IRQ_WHY_HOST_DEST,         /* the target's host APIC ID does not fit the unit */
    IRQ_WHY_GUEST_REMAP,       /* the guest's MSI is in its virtual VT-d unit's remappable
                                * format (hv/dev/vtd_ir.h): Keel translates it, never posts */
    IRQ_WHY_COUNT
};

struct irq_post_unit {
    uint8_t vendor;            /* enum irq_post_vendor */
    bool remaps;               /* AMD: 128-bit IRTEs (GAEn); VT-d: ECAP.IR */
    bool posts;                /* AMD: GAMSup vAPIC and the GA log; VT-d: CAP.PI */
    bool x2;                   /* 32-bit host destinations (AMD XTEn, VT-d IRTA.EIME) */
};

/* One vCPU, as the run loop and the vendor publish it. */
struct irq_post_vcpu {
    bool accel;                /* its APIC runs accelerated with posting */
    bool placed;               /* its placement was published at least once */
    bool running;              /* on its CPU, not blocked in HLT */
    uint32_t host_apic_id;     /* the physical CPU it runs on */
    uint64_t backing_pa;       /* AMD: its vAPIC backing page (= the vLAPIC page) */
    uint64_t pi_desc_pa;       /* VT-d: its posted-interrupt descriptor, 0 if none */
};

struct irq_post_in {
    bool msi_enabled;
    uint64_t msi_addr;         /* as the guest programmed them */
    uint16_t msi_data;
    const struct apic_dest_view *views; /* the VM's APICs, by vCPU index */
    unsigned nvcpus;
    const struct irq_post_vcpu *vcpus;  /* by vCPU index */
    bool vm_accel;             /* the VM's inhibit machine is active */
    struct irq_post_unit unit;
    uint8_t host_vector;       /* the remapped form: Keel's vector ... */
    uint32_t host_dest;        /* ... on this host APIC (physical) */
    uint16_t sid;              /* requester ID: VT-d source validation */
    uint32_t ga_tag;           /* AMD: the GATag the GA log reports: this, ORed with the
                                * target's vCPU index (bits the caller leaves 0) */
    bool guest_remappable;     /* msi_addr is the remappable format of the VM's virtual
                                * VT-d unit (bit 4): its fields are an IRTE handle, not a
                                * destination, so the route is remapped to Keel */
};

struct irq_post_route {
    uint8_t kind;              /* enum irq_post_kind */
    uint8_t why;               /* enum irq_post_why */
    int target;                /* POSTED: the vCPU index; else -1 */
    uint8_t vector;            /* POSTED: the guest's vector */
    uint64_t irte_lo, irte_hi; /* REMAP, POSTED: the entry, vendor format */
};

/* The route for in.  0, or -1 when the encoder refused an entry (the
 * route then says OFF with the reason it wanted, nothing half-built). */
int irq_post_decide(const struct irq_post_in *in, struct irq_post_route *out);

/* What must follow a change of route, once the new IRTE is in place and
 * its invalidation has completed (the unit then uses only the new entry,
 * so each MSI was taken either by the unit or by Keel, once):
 *  - kick: the vCPU the old entry posted to (-1: none), when it no longer
 *    does: what the unit already posted sits in its APIC state (AMD-Vi:
 *    the backing page, which is the vLAPIC's IRR; VT-d: PIR, which its
 *    pre-entry sync moves into IRR) and it must look at it now;
 *  - drain: Keel's pending interrupt for the device (taken through the
 *    remapped entry, not injected yet) must be injected: the old entry
 *    could remap. */
struct irq_post_switch {
    int kick;
    bool drain;
};
void irq_post_switched(const struct irq_post_route *old, const struct irq_post_route *now,
                       struct irq_post_switch *out);

/* AMD-Vi: a guest-mode IRTE moved to a placement: Destination, IsRun and
 * GALogIntr (set exactly while the vCPU does not run, so the unit logs a
 * post the doorbell would not deliver).  1 when bits 127:64 changed too
 * (one 128-bit store), 0 when only bits 63:0 did (one 64-bit store), -1
 * for an entry not in guest mode.  *changed says whether anything did. */
int irq_post_amd_place(uint64_t *lo, uint64_t *hi, uint32_t host_apic_id, bool running,
                       bool *changed);

/* "posted to vCPU 1 (fixed, one target)", "remapped: the VM's APIC runs
 * emulated", ... */
const char *irq_post_why_text(unsigned why);
const char *irq_post_kind_name(unsigned kind);
int irq_post_describe(const struct irq_post_route *r, char *buf, size_t n);

#endif /* KEEL_HV_IRQ_POST_H */
