/* SPDX-License-Identifier: MIT */
#ifndef KEEL_GUEST_BENCH_H
#define KEEL_GUEST_BENCH_H

#include <stdint.h>

/* IPI figures per APIC mode (bench/ipi.c). */
void bench_ipi(uint64_t iterations, uint64_t tsc_khz);

#endif /* KEEL_GUEST_BENCH_H */
