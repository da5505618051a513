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

/* rt_start_aps without waiting: hands fn to the APs (starting them as
 * rt_start_aps does) and returns a ticket for rt_wait_aps, which waits like
 * rt_start_aps and returns how many APs finished.  vCPU 0 only. */
uint32_t rt_start_aps_nowait(void (*fn)(unsigned vcpu));
unsigned rt_wait_aps(uint32_t ticket);

/* Like rt_start_aps, but the first call starts the APs architecturally:
 * INIT-SIPI-SIPI from vCPU 0's local APIC (enabled, xAPIC or x2APIC mode)
 * to each CPU in the ACPI MADT, or as a broadcast to all but self without
 * a MADT, through a real-mode trampoline at RT_SIPI_TRAMPOLINE.  An AP
 * takes the next free vCPU index on its first arrival (by initial APIC ID)
 * and the same one on later arrivals.  Afterwards rt_vcpu_count() is the
 * number of CPUs that arrived, plus vCPU 0.  For guests that do not use
 * KEEL_HC_VCPU_START at all; vCPU 0 only. */
unsigned rt_start_aps_sipi(void (*fn)(unsigned vcpu));
/* INIT-SIPI bookkeeping: the initial APIC ID of a vCPU started so (and of
 * vCPU 0), and how many times it came through the trampoline. */
uint32_t rt_vcpu_apic_id(unsigned vcpu);
uint32_t rt_sipi_entries(unsigned vcpu);
/* An INIT (level assert) or a start-up IPI with vector RT_SIPI_VECTOR to
 * one APIC ID (physical destination), for tests of INIT/SIPI themselves.
 * A SIPI reaches the trampoline only after rt_start_aps_sipi ran once. */
void rt_sipi_send_init(uint32_t apic_id);
void rt_sipi_send_startup(uint32_t apic_id);

/* A spinlock the same vCPU may take again (recursively). */
struct rt_lock {
    uint32_t owner;         /* vCPU index + 1; 0 = free */
    uint32_t depth;         /* times the owner holds it */
};
void rt_lock(struct rt_lock *lock);
void rt_unlock(struct rt_lock *lock);

/* ------------------------------------------------------------- interrupts */

/* Vectors 32-255, and any vector below 32 with a registered handler (NMI,
 * or an interrupt a test provokes on an exception vector), go to handlers
 * shared by every vCPU; a registered vector below 32 bypasses rt_try and
 * the exception table.  A handler runs with interrupts disabled (it may
 * enable them to allow nesting) and must send its own EOI: the runtime
 * does not know which controller delivered the vector.  After the handler
 * returns, the runtime counts the delivery for this vCPU (rt_irq_count).
 * A vector without a handler is an unexpected exception (the runtime
 * reports it and exits with status 3), unless the guest called
 * rt_irq_tolerate_unregistered(true): then vectors >= 32 without a handler
 * are only counted, also in rt_irq_unhandled_count. */
typedef void (*rt_irq_handler)(unsigned vector);
/* Sets (or with NULL clears) the handler of vector. */
void rt_irq_register(unsigned vector, rt_irq_handler fn);
bool rt_irq_has_handler(unsigned vector);
void rt_irq_tolerate_unregistered(bool on);
/* Deliveries of vector on vcpu since boot. */
uint32_t rt_irq_count(unsigned vcpu, unsigned vector);
/* Deliveries without a handler on vcpu; *last_vector (if not NULL) gets
 * the last such vector. */
uint32_t rt_irq_unhandled_count(unsigned vcpu, unsigned *last_vector);
/* Enables interrupts and waits until this vCPU's count of vector reaches
 * target or timeout_tsc TSC cycles pass; restores the interrupt flag and
 * returns whether the count was reached.  rt_irq_wait spins (PAUSE);
 * rt_irq_wait_halt halts between checks with STI;HLT, so it notices the
 * timeout only when some interrupt wakes it. */
bool rt_irq_wait(unsigned vector, uint32_t target, uint64_t timeout_tsc);
bool rt_irq_wait_halt(unsigned vector, uint32_t target, uint64_t timeout_tsc);

/* ------------------------------------------------------------ time, ports */

/* TSC frequency in kHz: Keel's CPUID 0x40000002, else measured once
 * against PIT channel 2 (ports 0x42/0x43/0x61), else 4 GHz (so that delays
 * err on the long side).  rt_tsc_measured() says whether it was measured
 * or given rather than assumed. */
uint64_t rt_tsc_khz(void);
bool rt_tsc_measured(void);
/* TSC cycles in us microseconds / ms milliseconds. */
uint64_t rt_us_to_tsc(uint64_t us);
uint64_t rt_ms_to_tsc(uint64_t ms);
/* Busy-waits (interrupts as they are). */
void rt_delay_us(uint64_t us);

/* QEMU's pc-testdev (and Keel's irq_ports): writing a byte to port
 * 0x2000 + line sets ISA / I/O APIC interrupt line `line` to that level. */
#define RT_TESTDEV_IRQ_PORT 0x2000
static inline void rt_testdev_set_irq(unsigned line, unsigned level)
{
    rt_outb((uint16_t)(RT_TESTDEV_IRQ_PORT + line), (uint8_t)level);
}

/* QEMU's isa-debug-exit device (and Keel's exit_port): rt_exit uses it
 * when not running under Keel. */
#define RT_DEBUG_EXIT_PORT  0xf4

/* ------------------------------------------------------------------- ACPI */

/* What the ACPI MADT says (found = false when there is no MADT; then the
 * other fields are empty, isa_gsi[] the identity).  vCPU 0 reads it once. */
struct rt_madt {
    bool found;
    uint32_t lapic_addr;                /* MADT local APIC address */
    unsigned cpu_count;                 /* enabled CPUs listed */
    uint32_t apic_ids[RT_MAX_VCPUS];    /* their (x2)APIC IDs, MADT order */
    uint32_t ioapic_addr;               /* the first I/O APIC (0: none) */
    uint32_t ioapic_gsi_base;
    uint32_t isa_gsi[16];               /* ISA IRQ -> GSI (overrides) */
    uint16_t isa_flags[16];             /* MPS INTI flags of overrides */
};
const struct rt_madt *rt_madt(void);
/* An ACPI table listed in the RSDT/XSDT (found through the RSDP as the MADT
 * is) whose signature and checksum are good, or NULL: its header starts
 * with the 4-byte signature and the 32-bit length. */
const void *rt_acpi_table(const char *sig);

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
