/* SPDX-License-Identifier: MIT */
/* Time from the TSC, calibrated against the firmware's Stall() at boot. */
#ifndef KEEL_HV_TIME_H
#define KEEL_HV_TIME_H

#include <stdint.h>

extern uint64_t tsc_hz;
void udelay(uint64_t us);
uint64_t tsc_to_us(uint64_t ticks);

#endif /* KEEL_HV_TIME_H */
