/* SPDX-License-Identifier: MIT */
/*
 * bench: the cost of one VM exit round trip, measured with a CPUID loop
 * (CPUID always exits to Keel).
 *
 * Under QEMU's -icount shift=0 every emulated instruction takes one
 * nanosecond of virtual time and the TSC counts virtual time, so TSC ticks
 * turn into an exact instruction count for the whole round trip (guest
 * CPUID, #VMEXIT, Keel's handler, VMRUN) with no noise from the host.
 * Without -icount the same numbers are wall-clock exits per second.
 *
 * Output (one line each, parsed by tools/keel bench):
 *   bench: cpuid iterations N
 *   bench: exits/s E
 *   bench: instructions/exit I     (meaningful with -icount only)
 * then the IPI figures of bench/ipi.c.  The command line takes
 * iterations=N (default 200000) and only=cpuid or only=ipi.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "hv/abi.h"
#include "rt.h"
#include "x86.h"

#define DEFAULT_ITERATIONS 200000ull
#define WARMUP_ITERATIONS 1000ull

static void bench_cpuid(uint64_t n, uint64_t tsc_khz);

static uint64_t cpuid_loop(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++)
        (void)rt_cpuid(0, 0);
    return rt_rdtsc() - t0;
}

int main(void)
{
    const char *arg = rt_cmdline_value("iterations");
    uint64_t n = arg ? strtoull(arg, NULL, 0) : DEFAULT_ITERATIONS;
    if (!rt_under_keel()) {
        printf("bench: not running under Keel\n");
        rt_exit(2);
    }
    uint64_t tsc_khz = rt_cpuid(KEEL_CPUID_TSC, 0).eax;
    if (n == 0 || tsc_khz == 0) {
        printf("bench: bad iterations (%llu) or TSC frequency (%llu kHz)\n",
               (unsigned long long)n, (unsigned long long)tsc_khz);
        rt_exit(2);
    }
    const char *only = rt_cmdline_value("only");
    if (!only || strcmp(only, "cpuid") == 0)
        bench_cpuid(n, tsc_khz);
    if (!only || strcmp(only, "ipi") == 0)
        bench_ipi(n / 20 ? n / 20 : 1, tsc_khz);
    rt_exit(0);
}

static void bench_cpuid(uint64_t n, uint64_t tsc_khz)
{
    cpuid_loop(WARMUP_ITERATIONS);
    uint64_t ticks = cpuid_loop(n);
    /* ns = ticks * 1e6 / tsc_khz; keep it in integers (no float in the
     * guest's hot path, and exact for the figures printed). */
    uint64_t ns = ticks * 1000000ull / tsc_khz;
    uint64_t ns_per_exit_x100 = ns * 100 / n;
    printf("bench: cpuid iterations %llu\n", (unsigned long long)n);
    printf("bench: exits/s %llu\n", (unsigned long long)(ns ? n * 1000000000ull / ns : 0));
    printf("bench: instructions/exit %llu.%02llu\n",
           (unsigned long long)(ns_per_exit_x100 / 100),
           (unsigned long long)(ns_per_exit_x100 % 100));
}
