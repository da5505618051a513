/* SPDX-License-Identifier: MIT */
/*
 * The guest runtime's private interfaces: per-vCPU state and the init
 * steps rt_main() runs.  Not for guests.
 */
#ifndef KEEL_GUEST_RT_INTERNAL_H
#define KEEL_GUEST_RT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt.h"

#define RT_LINE_MAX 256     /* console bytes buffered per vCPU */
#define RT_FMT_MAX  512     /* printf output formatted in one go */

/* Per-vCPU state, indexed by vCPU.  Only the owning vCPU touches a field
 * unless the field says otherwise. */
struct rt_percpu {
    /* rt_try(): the stack pointer to resume at after a fault (0 = none). */
    uint64_t try_rsp;
    /* The last recovered fault (rt_last_fault). */
    struct rt_fault fault;
    /* Set while printing a fatal exception: a fault in there stops dead. */
    bool in_fatal;
    /* Console bytes not yet emitted (no newline yet). */
    size_t line_len;
    char line[RT_LINE_MAX];
    /* printf's formatting buffer; used under rt_console_lock. */
    char fmt[RT_FMT_MAX];
    /* SMP (smp.c): the last work generation this AP has seen (private),
     * and the last one it finished (written by the AP, read by vCPU 0). */
    uint32_t ap_seen_gen;
    uint32_t ap_done_gen;
    /* vCPU 0 only: KEEL_HC_VCPU_START succeeded for this vCPU, or it
     * arrived through INIT-SIPI (sipi.c). */
    bool ap_started;
    /* sipi.c: this AP came through the INIT-SIPI trampoline at least once
     * (written by the AP), and how often (read by vCPU 0). */
    bool sipi_seen;
    uint32_t sipi_entries;
};

extern struct rt_percpu rt_percpu_area[RT_MAX_VCPUS];

static inline struct rt_percpu *rt_percpu(void)
{
    return &rt_percpu_area[rt_vcpu_index()];
}

/* Serializes console output and newlib's formatting (which keeps state in
 * the single global struct _reent). */
extern struct rt_lock rt_console_lock;

/* Memory and symbols from entry.S and guest.ld. */
extern char rt_stacks[];
extern uint64_t rt_pd[];                /* RT_MAP_GIB page directories */
extern char _start[], __image_start[], _end[];

/* Init steps, in the order rt_main() calls them. */
void rt_keel_detect(void);              /* keel.c: signature, vendor, counts */
void rt_trap_init(void);                /* trap.c: build the IDT (vCPU 0) */
void rt_trap_load(void);                /* trap.c: LIDT (every vCPU) */
void rt_boot_info_init(uint32_t mbi);   /* boot.c: copy cmdline, mods, mmap */
void rt_heap_init(uint64_t start, uint64_t end); /* heap.c */
void rt_console_init(void);             /* console.c: COM1 when not under Keel */

/* Entered on each AP after its LIDT (smp.c); does not return. */
_Noreturn void rt_ap_main(uint32_t arg);
/* smp.c: an AP's first arrival through INIT-SIPI: it has seen every work
 * generation published so far (it must not run a stale one). */
void rt_ap_skip_published_work(void);
/* sipi.c: an AP's arrival through the INIT-SIPI trampoline (every time). */
void rt_sipi_ap_arrived(uint32_t index);
/* keel.c: the vCPU count once INIT-SIPI found the APs. */
void rt_set_vcpu_count(unsigned n);
/* irq.c: runs the handler of an interrupt or NMI (from rt_exception);
 * false when nothing takes the vector (then it is unexpected). */
bool rt_irq_dispatch(unsigned vector);

/* The guest's (test.c has a weak one that runs the tests). */
int main(void);

/* Called from entry.S. */
_Noreturn void rt_main(uint32_t magic, uint32_t arg);

/* trap.c/isr.S: rt_try's bookkeeping. */
uint64_t rt_try_swap(uint64_t rsp);
extern char rt_try_landing[];

#endif /* KEEL_GUEST_RT_INTERNAL_H */
