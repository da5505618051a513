/* SPDX-License-Identifier: MIT */
/*
 * hostile: a guest that does, at random but replayably (seed=N), what a
 * broken or malicious kernel might do to its hypervisor: port I/O of every
 * width, MSRs, MMIO at the APIC, the I/O APIC and unbacked addresses, IPI
 * storms, APIC mode switches, CR/EFER/XCR0 writes with reserved bits, and
 * INIT/SIPI to its other vCPU.  Keel must survive it and keep the other VMs
 * running (tests/integration/hostile.sh).  Where the SDM/APM leave no doubt
 * about the answer (a reserved bit set must #GP, a legal write must not),
 * the guest checks it and prints the miss as a failure.  docs/testing.md.
 */
#ifndef KEEL_GUEST_HOSTILE_H
#define KEEL_GUEST_HOSTILE_H

#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

/* The kinds of action; a round does one of them. */
enum h_kind {
    H_PORT,     /* IN/OUT/INS/OUTS, widths 1 2 4 */
    H_MSR,      /* RDMSR/WRMSR of random and interesting MSRs */
    H_MMIO,     /* APIC page, I/O APIC, unbacked pages; widths 1 2 4 8 */
    H_IPI,      /* ICR writes: every delivery mode, shorthand, dest mode */
    H_APICMODE, /* IA32_APIC_BASE transitions, legal and illegal */
    H_CR,       /* MOV CR0/CR3/CR4/CR8, reserved bits */
    H_XCR,      /* XSETBV, bad values */
    H_KINDS
};

/* One vCPU's state: its random stream and what it did. */
struct h_cpu {
    unsigned vcpu;
    uint64_t rng;
    uint32_t count[H_KINDS];     /* actions done */
    uint32_t faults[H_KINDS];    /* exceptions taken (expected or not) */
    uint32_t failures;           /* architecturally wrong answers seen */
    uint32_t nmis;               /* NMIs received (vector 2 handler) */
};

/* What every vCPU may read, set once by vCPU 0 before the rounds. */
struct h_config {
    uint64_t seed;
    uint32_t rounds;             /* per vCPU */
    uint64_t deadline_tsc;       /* rounds stop early after this much time */
    uint32_t kinds;              /* bit per enum h_kind: enabled */
    uint16_t pm1a_cnt, pm1b_cnt; /* ACPI PM1 control ports (0 = none) */
    uint16_t reset_port;         /* FADT reset register (I/O), 0 = none */
    bool x2apic;                 /* CPUID.1:ECX.x2APIC */
    bool xsave;                  /* CPUID.1:ECX.XSAVE */
    bool svm, vmx;               /* CPUID: SVM / VMX offered to the guest */
    uint8_t maxphyaddr;          /* CPUID 0x80000008 EAX[7:0] */
    uint64_t xcr0_mask;          /* CPUID 0xD.0 EDX:EAX: XCR0 bits supported */
};
extern struct h_config h_cfg;

/* ------------------------------------------------------------------ rng */
uint64_t h_rand(struct h_cpu *c);
/* Uniform in [0, n) (n > 0). */
static inline uint32_t h_below(struct h_cpu *c, uint32_t n)
{
    return (uint32_t)(h_rand(c) % n);
}
static inline bool h_chance(struct h_cpu *c, unsigned percent)
{
    return h_below(c, 100) < percent;
}

/* ------------------------------------------------------- faults, checks */
/* Runs fn(arg) under rt_try and counts a fault against kind. */
int h_try(struct h_cpu *c, enum h_kind kind, void (*fn)(void *), void *arg);
/* Records an architecturally wrong answer: prints it (the first few) with
 * the seed and counts it. */
void h_fail(struct h_cpu *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Checks that got (a vector or RT_NO_FAULT) is want; h_fail otherwise. */
void h_expect(struct h_cpu *c, int want, int got, const char *what, uint64_t value);

/* -------------------------------------------------------------- actions */
void h_port(struct h_cpu *c);
void h_msr(struct h_cpu *c);
void h_mmio(struct h_cpu *c);
void h_ipi(struct h_cpu *c);
void h_apicmode(struct h_cpu *c);
void h_cr(struct h_cpu *c);
void h_xcr(struct h_cpu *c);

/* Set-up and clean-up around the rounds. */
void h_mmio_init(void);          /* maps the unbacked pages above 4 GiB */
void h_apic_sane(void);          /* this vCPU's APIC back to enabled xAPIC */
/* vCPU 0, after the rounds: INIT/SIPI and IPIs at vCPU `target`; the AP
 * ends in a halt loop, lost to the runtime. */
void h_init_sipi_storm(struct h_cpu *c, unsigned target);

/* Each vCPU's APIC ID after its rounds (for the INIT/SIPI storm). */
extern uint32_t h_ap_apic_id[RT_MAX_VCPUS];

/* True when the probe NAME is listed in skip=a,b,... (probes an emulator
 * gets wrong in a way that takes the VM down: docs/testing.md). */
bool h_skipped(const char *name);

/* Ports that end or reset the VM (skipped by the random rounds). */
bool h_port_ends_vm(uint16_t port, unsigned width);

#endif /* KEEL_GUEST_HOSTILE_H */
