/* SPDX-License-Identifier: MIT */
/*
 * The APIC test suite's shared state and helpers (main.c).
 *
 * The suite runs in xAPIC mode, or in x2APIC mode with "x2apic" on the
 * command line: main() switches every CPU before the tests run.  Every test
 * is an APIC_TEST: it is skipped when the whole suite cannot run (no APIC,
 * or no x2APIC when asked for), and afterwards every CPU's local APIC, the
 * I/O APIC, the PICs and the test IRQ lines are put back to the suite's
 * resting state, and interrupts nobody expected fail the test.
 */
#ifndef KEEL_GUEST_APIC_SUITE_H
#define KEEL_GUEST_APIC_SUITE_H

#include <stdbool.h>
#include <stdint.h>

#include "lapic.h"
#include "rt.h"
#include "test.h"

/* Vectors.  Every vector from SUITE_VEC_FIRST to SUITE_VEC_LAST has the
 * default handler (suite_eoi_handler: EOI) unless a test installs its own;
 * the runtime counts deliveries per vCPU (rt_irq_count). */
#define VEC_SPURIOUS        0xff    /* SVR vector: counted, no EOI */
#define VEC_WATCHDOG        0xef    /* LAPIC timer that ends a halt on time */
#define SUITE_VEC_FIRST     0x30
#define SUITE_VEC_LAST      0xef
#define VEC_IPI             0x41    /* IPI tests */
#define VEC_IPI2            0x42
#define VEC_TIMER           0x51    /* LAPIC timer tests */
#define VEC_IOAPIC          0x61    /* I/O APIC tests */
#define VEC_PIT             0x62
#define VEC_PIC_BASE        0x70    /* PIC master 0x70-0x77, slave 0x78-0x7f */

/* Interrupt lines of pc-testdev / Keel's irq_ports the tests use: ISA IRQs
 * no q35 device drives. */
#define LINE_IOAPIC_LEVEL   5
#define LINE_IOAPIC_EDGE    6
#define LINE_IOAPIC_MASKED  14
#define LINE_PIC_MASTER     3
#define LINE_PIC_SLAVE      15

/* Waits: for something that must happen, and for proof that something
 * does not. */
#define WAIT_MS             500
#define QUIET_MS            20

struct suite {
    bool x2apic;                /* the suite runs in x2APIC mode */
    const char *skip_all;       /* why every test is skipped, or NULL */
    unsigned ncpus;             /* CPUs up (vCPU 0 + APs from INIT-SIPI) */
    uint32_t apic_id[RT_MAX_VCPUS];  /* each vCPU's APIC ID at setup */
    unsigned max_lvt;           /* LVR max LVT entry of vCPU 0 */
    uint32_t ioapic_base;       /* I/O APIC MMIO base */
};
extern struct suite suite;

/* One test: KEEL_TEST plus the suite's skip check and clean-up. */
bool suite_test_begin(void);
void suite_test_end(void);
#define APIC_TEST(name)                                                      \
    static void apic_test_##name(void);                                      \
    KEEL_TEST(name)                                                          \
    {                                                                        \
        if (suite_test_begin()) {                                            \
            apic_test_##name();                                              \
            suite_test_end();                                                \
        }                                                                    \
    }                                                                        \
    static void apic_test_##name(void)

#define REQUIRE_CPUS(n)                                                      \
    do {                                                                     \
        if (suite.ncpus < (n))                                               \
            SKIP("needs at least " #n " CPUs");                              \
    } while (0)
#define REQUIRE_XAPIC()                                                      \
    do {                                                                     \
        if (suite.x2apic)                                                    \
            SKIP("xAPIC mode only (this run is in x2APIC mode)");            \
    } while (0)
#define REQUIRE_X2APIC()                                                     \
    do {                                                                     \
        if (!suite.x2apic)                                                   \
            SKIP("x2APIC mode only (run with 'x2apic')");                    \
    } while (0)

/* The default handler of the suite's vectors: EOI to the local APIC. */
void suite_eoi_handler(unsigned vector);
/* Puts this CPU's local APIC in the suite's resting state: enabled (mode
 * as the suite runs), SVR = VEC_SPURIOUS, TPR 0, every LVT masked, timer
 * stopped, ESR clear, ISR drained; in xAPIC mode flat DFR and LDR 0.
 * APs also enable interrupts (they idle with IF = 1). */
void suite_cpu_reset(unsigned vcpu);
/* Runs fn on one CPU and waits (fn(0) directly on vCPU 0). */
void suite_run_on(unsigned vcpu, void (*fn)(unsigned vcpu));
/* Runs fn on one AP without waiting; suite_join waits for it. */
uint32_t suite_start_on(unsigned vcpu, void (*fn)(unsigned vcpu));
unsigned suite_join(uint32_t ticket);

/* Deliveries of vector on vcpu; waits until `target` are counted there. */
uint32_t suite_count(unsigned vcpu, unsigned vector);
bool suite_wait_count(unsigned vcpu, unsigned vector, uint32_t target, unsigned ms);
/* Polls *flag (with PAUSE) until it is at least value; false on timeout. */
bool suite_wait_flag(const uint32_t *flag, uint32_t value, unsigned ms);

/* ESR after the write that latches it (SDM 11.5.3). */
uint32_t suite_esr(void);
/* Arms this CPU's LAPIC timer one-shot on VEC_WATCHDOG (ms from the
 * calibration, at least a few) so a halt ends even if what it waits for
 * never comes; suite_watchdog_stop disarms it. */
void suite_watchdog_start(unsigned ms);
void suite_watchdog_stop(void);
/* LAPIC timer ticks (divide by 1) per millisecond, measured against the
 * TSC on vCPU 0 at start-up (0 if it could not be measured). */
uint64_t suite_apic_ticks_per_ms(void);
/* Measures this CPU's timer ticks per millisecond (of TSC time) with the
 * divide configuration tdcr; leaves the timer stopped and masked. */
uint64_t suite_timer_ticks_per_ms(uint32_t tdcr);

/* Under plain QEMU, where Keel's exact behaviour is not expected: the text
 * for skips that name a QEMU deviation from the manuals. */
#define QEMU_DIFFERS(what)  "QEMU behaviour differs from the architecture: " what

#endif /* KEEL_GUEST_APIC_SUITE_H */
