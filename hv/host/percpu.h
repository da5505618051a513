/* SPDX-License-Identifier: MIT */
/*
 * hv/host/: the host's own plumbing, none of it seen by a guest.  Per-CPU
 * state (this header), descriptor tables and the exception entry
 * (desc.c, entry.S), the physical local APIC and the hypervisor timer
 * (lapic_host.c, hosttimer.c), the lazy guest FPU save (fpu.c), the
 * console and log (console.c), panic (panic.c), spinlocks and the TSC
 * clock (spinlock.h, time.c).  Touches hardware: nothing here runs on the
 * host in tests/unit.
 */
/*
 * Per-physical-CPU state, reached through GS base (offset 0 holds a pointer
 * to the struct itself).  Keel pins one vCPU to each physical CPU.
 *
 * Fields in the "shared" block may be read or written by other CPUs and are
 * accessed with atomics; everything else belongs to the owning CPU alone.
 */
#ifndef KEEL_HV_PERCPU_H
#define KEEL_HV_PERCPU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEEL_MAX_CPUS 64
#define HOST_STACK_SIZE (32u * 1024u)
#define HOST_IST_SIZE   (8u * 1024u)

struct vcpu;

/* 64-bit TSS (SDM 8.7, figure 8-11). */
struct __attribute__((packed)) tss64 {
    uint32_t reserved0;
    uint64_t rsp[3];
    uint64_t reserved1;
    uint64_t ist[7];
    uint64_t reserved2;
    uint16_t reserved3;
    uint16_t iomap_base;
};
_Static_assert(sizeof(struct tss64) == 104, "64-bit TSS is 104 bytes");
_Static_assert(offsetof(struct tss64, ist) == 36, "IST1 at offset 0x24");

enum percpu_state { PCPU_ABSENT = 0, PCPU_STARTING, PCPU_ONLINE, PCPU_FAILED };

/* Host GDT selectors (hv/host/desc.c builds the table). */
#define HOST_CS 0x08
#define HOST_DS 0x10
#define HOST_TR 0x18
#define HOST_GDT_ENTRIES 5

struct percpu {
    struct percpu *self;              /* must stay at offset 0: %gs:0 */
    unsigned index;                   /* 0 = the boot CPU */
    uint32_t apic_id;

    /* shared: written by other CPUs */
    volatile uint32_t state;          /* enum percpu_state */
    volatile uint32_t kicked;         /* a kick IPI is pending for this CPU */
    volatile uint32_t timer_fired;    /* the hypervisor timer went off (own CPU only) */
    volatile uint32_t irq_seen;       /* a host interrupt was taken since the last full
                                       * pre-entry pass (hv/run.c vcpu_fast_entry) */
    uint64_t timer_armed_for;         /* host TSC the timer is armed for, 0 = none */

    /* private */
    struct vcpu *vcpu;                /* the vCPU pinned here, or NULL */
    uintptr_t stack_top;
    void *vendor;                     /* the vendor's per-CPU state (svm_cpu, vmx_cpu) */
    uint64_t gdt[HOST_GDT_ENTRIES];
    struct tss64 tss;
    bool fpu_guest_saved;             /* hv/host/fpu.c: guest FPU state is in vcpu */
    bool con_poller;                  /* polls the serial console (hv/shell/conin.h) */
};

extern struct percpu *cpus[KEEL_MAX_CPUS];
extern unsigned ncpus_online;
extern bool percpu_ready;

static inline struct percpu *this_cpu(void)
{
    struct percpu *p;
    __asm__ volatile("mov %%gs:0, %0" : "=r"(p));
    return p;
}

static inline struct percpu *this_cpu_or_null(void)
{
    return percpu_ready ? this_cpu() : NULL;
}

/* Set up GS base, GDT, TSS and IDT for the calling CPU (hv/host/desc.c). */
void percpu_install(struct percpu *pc);

#endif /* KEEL_HV_PERCPU_H */
