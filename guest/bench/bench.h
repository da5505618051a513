/* SPDX-License-Identifier: MIT */
#ifndef KEEL_GUEST_BENCH_H
#define KEEL_GUEST_BENCH_H

#include <stdbool.h>
#include <stdint.h>

/* Each part runs in one APIC mode, x2 = x2APIC (after xAPIC: the switch
 * to x2APIC mode is one-way, so main runs every part in xAPIC first). */
/* IPI figures (bench/ipi.c). */
void bench_ipi(uint64_t iterations, uint64_t tsc_khz, bool x2);
/* The exit-path rows of issue 14 (bench/rows.c): iterations per row; which
 * is a comma-separated list of row names, or NULL for all. */
void bench_rows(uint64_t iterations, const char *which, bool x2);
/* Cross-vCPU IPI round trips (bench/rtt.c), also without Keel. */
void bench_rtt(uint64_t iterations, bool x2);
/* True when the comma-separated list holds name (bench/bench.c). */
bool bench_list_has(const char *list, const char *name);

#endif /* KEEL_GUEST_BENCH_H */
