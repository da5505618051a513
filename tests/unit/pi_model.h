/* SPDX-License-Identifier: MIT */
/*
 * A host-side model of the CPU behaviour behind posted interrupts and IPI
 * virtualization, written from the Intel SDM vol. 3C chapter "APIC
 * Virtualization and Virtual Interrupts" (29.x in the 2016-2022 editions,
 * 30.x later; IPIv only in the later ones) so that vmx/vmx_pi.c can be
 * tested where no CPU has the features (Bochs 2.7 has neither).
 *
 * What is modelled:
 *   - N logical processors (LPs), each with a physical APIC ID, a local
 *     APIC IRR of interrupts not yet accepted, and a state: in the host
 *     (with the host's RFLAGS.IF), in VMX non-root operation running one
 *     vCPU, or blocked (host HLT with IF = 1);
 *   - vCPUs: the VMCS fields that matter (posted-interrupt notification
 *     vector, descriptor address, IPIv table and last index, EOI-exit
 *     bitmap, interrupt-window exiting, RVI/SVI) plus the virtual-APIC page,
 *     the guest's RFLAGS.IF and APIC mode;
 *   - physical fixed IPIs to an APIC ID (NDST decoded in the host's mode);
 *   - an external interrupt in non-root operation: posted-interrupt
 *     processing when it is the VMCS's notification vector (29.6), else a VM
 *     exit ("external-interrupt exiting" and "acknowledge interrupt on exit"
 *     are taken as 1, as Keel requires them for posted interrupts);
 *   - in the host: the interrupt is taken by the host handler when IF = 1
 *     (recorded per vector), kept pending while IF = 0, and wakes a blocked LP;
 *   - evaluation and delivery of virtual interrupts (29.2.1, 29.2.2), PPR
 *     and EOI virtualization (29.1.3, 29.1.4), the evaluation at VM entry;
 *   - a guest ICR write: x2APIC reserved-bit #GP, xAPIC self-IPI
 *     virtualization (29.1.5), IPI virtualization with the PID-pointer table
 *     walk (30.1.6), or an APIC-write VM exit (qualification 300H).
 * Not modelled: NMIs, interrupt blocking by STI/MOV SS, the physical APIC's
 * own priority and ISR in the host, TPR-threshold and APIC-access exits,
 * x2APIC MSR intercepts other than the ICR, memory types, timing.
 *
 * The descriptor accesses use __atomic builtins like the hypervisor's, but
 * the model itself is single-threaded: one test drives it.
 */
#ifndef KEEL_TESTS_PI_MODEL_H
#define KEEL_TESTS_PI_MODEL_H

#include <stdbool.h>
#include <stdint.h>

#include "vmx/vmx_pi.h"

#define PIM_MAX_LP     4
#define PIM_MAX_VCPU   8
#define PIM_MAX_MEM    16
#define PIM_MAX_EXITS  64

/* Exit reasons the model produces (SDM appendix C numbers). */
#define PIM_EXIT_EXTINT      1u
#define PIM_EXIT_VIRT_EOI    45u
#define PIM_EXIT_APIC_WRITE  56u

/* Virtual-APIC page offsets (SDM 29.1.1) as uint32_t indices. */
#define PIM_VTPR   (0x080u / 4)
#define PIM_VPPR   (0x0a0u / 4)
#define PIM_VEOI   (0x0b0u / 4)
#define PIM_VISR   (0x100u / 4)
#define PIM_VIRR   (0x200u / 4)
#define PIM_VICR_LO (0x300u / 4)
#define PIM_VICR_HI (0x310u / 4)   /* xAPIC ICR2; x2APIC keeps bits 63:32 at 0x304 */

enum pim_lp_state { PIM_IN_HOST, PIM_IN_GUEST, PIM_BLOCKED };

struct pim_exit {
    unsigned lp, vcpu;
    unsigned reason;
    uint32_t qual;           /* APIC write: page offset; virtualized EOI: vector */
    uint8_t vector;          /* external interrupt: the acknowledged vector */
};

struct pim_lp {
    uint32_t apic_id;        /* physical (x2)APIC ID, what NDST names */
    enum pim_lp_state state;
    int vcpu;                /* in guest: the vCPU it runs; else -1 */
    bool host_if;            /* host RFLAGS.IF (meaningful in the host) */
    uint64_t irr[4];         /* physical interrupts pending at this LAPIC */
    unsigned host_intr[256]; /* taken by the host handler, per vector */
    unsigned nhost_intr;
};

struct pim_vcpu {
    /* VMCS */
    bool posted;             /* pin-based "process posted interrupts" */
    uint8_t nv;              /* posted-interrupt notification vector */
    uint64_t pid_pa;         /* posted-interrupt descriptor address */
    bool ipiv;               /* tertiary "IPI virtualization" */
    const uint64_t *pid_table;  /* PID-pointer table (model memory) */
    uint16_t last_pid_index;
    uint64_t eoi_exit[4];    /* EOI-exit bitmap */
    bool intr_window_exiting;
    uint8_t rvi, svi;        /* guest interrupt status */
    /* guest */
    bool guest_if;           /* RFLAGS.IF */
    bool x2apic;             /* the guest's APIC mode (ICR format) */
    bool auto_eoi;           /* the model guest's handler EOIs at once */
    uint32_t vapic[1024];    /* virtual-APIC page */
    /* model state and observations */
    int lp;                  /* LP running it, or -1 */
    bool recognized;         /* a virtual interrupt is recognized (29.2.1) */
    unsigned delivered[256]; /* virtual interrupts delivered through the IDT */
    unsigned ndelivered;
    unsigned pi_processed;   /* posted-interrupt processing runs */
    unsigned gp;             /* #GP raised to the guest */
};

struct pim {
    struct pim_lp lp[PIM_MAX_LP];
    unsigned nlp;
    struct pim_vcpu vcpu[PIM_MAX_VCPU];
    unsigned nvcpu;
    struct { uint64_t pa; struct vmx_pi_desc *desc; } mem[PIM_MAX_MEM];
    unsigned nmem;
    bool host_x2apic;        /* physical APICs in x2APIC mode: NDST format */
    unsigned maxphyaddr;
    bool defer_ipis;         /* latch IPIs in the target IRR until pim_run() */
    struct pim_exit exits[PIM_MAX_EXITS];  /* the last ones, a ring */
    unsigned nexits;         /* VM exits so far; exit i is exits[i % PIM_MAX_EXITS] */
    unsigned ipis_sent;      /* physical IPIs (notifications) sent */
    unsigned errors;         /* model misuse: unknown PA or APIC ID, ... */
};

/* @nlp LPs with APIC IDs 2, 4, 6, ... in the host with IF = 0; @nvcpu vCPUs
 * not running, posted interrupts on with notification vector @nv, guest IF
 * = 1, auto EOI, xAPIC guests; MAXPHYADDR 46. */
void pim_init(struct pim *m, unsigned nlp, unsigned nvcpu, bool host_x2apic, uint8_t nv);

/* Make descriptor @d reachable at model physical address @pa (64-byte
 * aligned).  Returns 0 or -1 (table full). */
int pim_map(struct pim *m, uint64_t pa, struct vmx_pi_desc *d);
struct vmx_pi_desc *pim_desc_at(struct pim *m, uint64_t pa);

/* A physical fixed, edge IPI with @vector to the LP that NDST @ndst names.
 * Delivered at once unless defer_ipis is set. */
void pim_send_ipi(struct pim *m, uint32_t ndst, uint8_t vector);

/* Let every LP take its pending interrupts. */
void pim_run(struct pim *m);

/* VM entry of @vcpu on @lp (in the host).  Evaluates pending virtual
 * interrupts (SDM 26.3.2.5 with virtual-interrupt delivery), then takes
 * physical interrupts left pending with IF = 0 (now in non-root
 * operation), then delivers what the guest can take. */
void pim_vmentry(struct pim *m, unsigned lp, unsigned vcpu);

/* A VM exit for a reason the test chooses (HLT, preemption, ...): the LP
 * is in the host with IF = 0. */
void pim_vmexit(struct pim *m, unsigned lp, unsigned reason, uint32_t qual);

/* Host RFLAGS.IF on @lp; setting it takes pending interrupts. */
void pim_host_set_if(struct pim *m, unsigned lp, bool on);

/* The host on @lp halts with IF = 1 until an interrupt arrives. */
void pim_block(struct pim *m, unsigned lp);

/* The guest on @lp changes RFLAGS.IF (STI/CLI); setting it lets pending
 * virtual interrupts be delivered. */
void pim_guest_set_if(struct pim *m, unsigned lp, bool on);

/* The guest on @lp writes its ICR (x2APIC: WRMSR 830H with @icr; xAPIC:
 * ICR2 then ICR, @icr = ICR2 << 32 | ICR).  Returns what the CPU did:
 * VMX_IPIV_VIRTUALIZED or VMX_IPIV_SELF_IPI without an exit, VMX_IPIV_GP
 * with a #GP to the guest, anything else with an APIC-write VM exit. */
enum vmx_ipiv_verdict pim_guest_write_icr(struct pim *m, unsigned lp, uint64_t icr);

/* The guest on the vCPU's LP writes VEOI (EOI virtualization, 29.1.4);
 * only needed when auto_eoi is off. */
void pim_guest_eoi(struct pim *m, unsigned vcpu);

/* Virtual-APIC page bit tests (VISR, VIRR) and the last exit. */
bool pim_virr(const struct pim_vcpu *v, uint8_t vector);
bool pim_visr(const struct pim_vcpu *v, uint8_t vector);
const struct pim_exit *pim_last_exit(const struct pim *m);

#endif /* KEEL_TESTS_PI_MODEL_H */
