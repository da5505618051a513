/* SPDX-License-Identifier: MIT */
/*
 * The per-CPU hypervisor timer: the physical local APIC timer, armed for
 * the earliest guest deadline (virtual LAPIC timer, PIT) of the vCPU
 * pinned to this CPU.  Its interrupt makes the guest exit (INTR intercept)
 * or wakes a halted vCPU; the run loop then looks at the guest's timers.
 */
#ifndef KEEL_HV_HOSTTIMER_H
#define KEEL_HV_HOSTTIMER_H

#include <stdint.h>

#define HOST_VEC_TIMER 0xef

/* Boot CPU, after ExitBootServices: measure the LAPIC timer against the
 * TSC (or choose TSC-deadline mode when the CPU has it). */
void host_timer_calibrate(void);
/* This CPU: program the LVT timer (vector, masked until armed). */
void host_timer_cpu_init(void);
/* Fire at host TSC `deadline` (0 = disarm).  Re-arming replaces. */
void host_timer_arm(uint64_t deadline);

#endif /* KEEL_HV_HOSTTIMER_H */
