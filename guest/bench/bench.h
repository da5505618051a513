/* SPDX-License-Identifier: MIT */
#ifndef KEEL_GUEST_BENCH_H
#define KEEL_GUEST_BENCH_H

#include <stdbool.h>
#include <stdint.h>

/* IPI figures per APIC mode (bench/ipi.c). */
void bench_ipi(uint64_t iterations, uint64_t tsc_khz);
/* The exit-path rows of issue 14 (bench/rows.c): iterations per row; which
 * is a comma-separated list of row names, or NULL for all. */
void bench_rows(uint64_t iterations, const char *which);
/* Cross-vCPU IPI round trips (bench/rtt.c), also without Keel. */
void bench_rtt(uint64_t iterations);
/* True when the comma-separated list holds name (bench/bench.c). */
bool bench_list_has(const char *list, const char *name);

#endif /* KEEL_GUEST_BENCH_H */
