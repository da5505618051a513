/* SPDX-License-Identifier: MIT */
/*
 * The Keel guest runtime: what a guest's main() and its tests can use.
 * See docs/guest-runtime.md.
 *
 * The runtime enters 64-bit long mode with an identity map of the first
 * RT_MAP_GIB GiB, installs an IDT, sets up newlib (printf, malloc) and calls
 * the guest's main() on vCPU 0.  main's return value is the VM's exit
 * status; a guest without main() runs its KEEL_TESTs (test.h).
 */
#ifndef KEEL_GUEST_RT_H
#define KEEL_GUEST_RT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rt_layout.h"
#include "x86.h"

/* ------------------------------------------------------------ environment */

/* True when CPUID 0x40000000 carries Keel's signature; otherwise the guest
 * runs on bare metal or another hypervisor (plain QEMU): the console is
 * COM1 and rt_exit() uses QEMU's isa-debug-exit device. */
bool rt_under_keel(void);
/* This vCPU's index (0 = the boot vCPU), from the stack it runs on. */
unsigned rt_vcpu_index(void);
/* vCPUs in this VM (CPUID 0x40000001 ECX, at most RT_MAX_VCPUS); 1 when
 * not under Keel. */
unsigned rt_vcpu_count(void);
/* The VM's index (CPUID 0x40000001 EDX); 0 when not under Keel. */
unsigned rt_vm_index(void);
/* Bytes of available RAM in the multiboot memory map, and the end of the
 * highest available region. */
uint64_t rt_mem_bytes(void);
uint64_t rt_ram_top(void);

/* ----------------------------------------------------------- command line */

/* The multiboot command line ("" when there is none). */
const char *rt_cmdline(void);
/* True when a whitespace-separated word of the command line equals word. */
bool rt_cmdline_has(const char *word);
/* The value of the first "key=value" word, or NULL. */
const char *rt_cmdline_value(const char *key);

struct rt_module {
    uint64_t start;         /* physical address of the first byte */
    uint64_t end;           /* physical address after the last byte */
    const char *cmdline;    /* the module's string ("" when none) */
};
/* The multiboot modules (at most 16); *count gets their number. */
const struct rt_module *rt_modules(unsigned *count);

/* ------------------------------------------------------ console and exit */

/* Writes bytes to the console: through KEEL_HC_CONSOLE_WRITE under Keel,
 * COM1 otherwise.  Output is buffered per vCPU up to each newline, so lines
 * of different vCPUs never interleave.  printf/vprintf/puts are safe on
 * every vCPU; other stdio calls (putchar, fprintf, ...) only on vCPU 0. */
void rt_console_write(const char *s, size_t n);
/* Emits this vCPU's partial line. */
void rt_console_flush(void);
/* Ends the VM with status (0..127): KEEL_HC_EXIT, or isa-debug-exit
 * (QEMU exits with 2 * status + 1) when not under Keel.  Does not run
 * atexit handlers; exit() does, then calls this. */
_Noreturn void rt_exit(int status);
/* A raw Keel hypercall (hv/abi.h); KEEL_ENOSYS when not under Keel. */
long rt_hypercall(unsigned long nr, unsigned long a0, unsigned long a1,
                  unsigned long a2);

/* ------------------------------------------------------------------- SMP */

/* Runs fn(vcpu) on every vCPU but the caller (vCPU 0): the first call
 * starts each AP with KEEL_HC_VCPU_START, later calls hand the function to
 * the APs idling since.  Waits for all of them (a few seconds at most) and
 * returns how many finished.  vCPU 0 only. */
unsigned rt_start_aps(void (*fn)(unsigned vcpu));
/* Like rt_start_aps, but vCPU 0 also runs fn(0) while the APs run; returns
 * the number of vCPUs (including 0) that finished. */
unsigned rt_run_on_all(void (*fn)(unsigned vcpu));

/* A spinlock the same vCPU may take again (recursively). */
struct rt_lock {
    uint32_t owner;         /* vCPU index + 1; 0 = free */
    uint32_t depth;         /* times the owner holds it */
};
void rt_lock(struct rt_lock *lock);
void rt_unlock(struct rt_lock *lock);

/* ----------------------------------------------------------------- faults */

/* Returned by the *_safe functions and rt_try when nothing faulted;
 * otherwise they return the exception vector (X86_GP, ...). */
#define RT_NO_FAULT (-1)

/* The last exception this vCPU took and recovered from. */
struct rt_fault {
    int vector;
    uint64_t error_code;    /* 0 for vectors without one */
    uint64_t rip;
    uint64_t cr2;           /* at the time of the fault */
};
const struct rt_fault *rt_last_fault(void);

/* RDMSR/WRMSR that return the vector instead of dying on a fault. */
int rt_rdmsr_safe(uint32_t msr, uint64_t *value);
int rt_wrmsr_safe(uint32_t msr, uint64_t value);
/* Calls fn(arg); if an exception occurs before it returns, abandons fn at
 * that point and returns the vector, else RT_NO_FAULT.  May nest. */
int rt_try(void (*fn)(void *arg), void *arg);
/* rt_try() that expects exactly the given vector; prints what happened
 * instead when it is not. */
bool rt_expect_fault(int vector, void (*fn)(void *arg), void *arg);
/* Loads an empty IDT and executes int3: #BP -> #GP -> #DF -> shutdown. */
_Noreturn void rt_triple_fault(void);

/* An exception-table entry for inline assembly: if the instruction at
 * label `from` faults, execution continues at label `to` with RAX = vector.
 * Example: asm("1: rdmsr\n2:\n" RT_EXTABLE(1b, 2b) ...). */
#define RT_EXTABLE(from, to) \
    ".pushsection rt_extable, \"a\"\n\t.balign 8\n\t.quad " #from ", " #to \
    "\n\t.popsection\n\t"

#endif /* KEEL_GUEST_RT_H */
