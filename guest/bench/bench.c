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
 * then the IPI figures of bench/ipi.c, the exit-path rows of bench/rows.c
 * and the cross-vCPU round trips of bench/rtt.c.  The command line takes
 * iterations=N (default 200000: CPUID loop; N/20 IPIs a mode),
 * rows=N (iterations per row, default 5000), row=A,B,... (only those rows),
 * rtt=N (round trips a mode, default 2000) and only=LIST, a comma-separated
 * choice of cpuid, ipi, rows and rtt (default: all of them).  Without Keel
 * (QEMU alone) only rtt runs: the rest needs Keel's hypercalls.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "hv/abi.h"
#include "rt.h"
#include "x86.h"

#define DEFAULT_ITERATIONS 200000ull
#define DEFAULT_ROW_ITERATIONS 5000ull
#define DEFAULT_RTT_ITERATIONS 2000ull
#define WARMUP_ITERATIONS 1000ull

static void bench_cpuid(uint64_t n, uint64_t tsc_khz);

static uint64_t cpuid_loop(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++)
        (void)rt_cpuid(0, 0);
    return rt_rdtsc() - t0;
}

bool bench_list_has(const char *list, const char *name)
{
    size_t len = strlen(name);
    for (const char *p = list; *p;) {
        const char *end = strchr(p, ',');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n == len && strncmp(p, name, len) == 0)
            return true;
        p += n + (end ? 1 : 0);
    }
    return false;
}

static uint64_t count_arg(const char *key, uint64_t dflt)
{
    const char *arg = rt_cmdline_value(key);
    uint64_t n = arg ? strtoull(arg, NULL, 0) : dflt;
    if (n == 0) {
        printf("bench: bad %s=%s\n", key, arg);
        rt_exit(2);
    }
    return n;
}

static bool want(const char *only, const char *part)
{
    return !only || bench_list_has(only, part);
}

/* The parts that depend on the APIC mode, in one mode. */
static void bench_mode(const char *only, uint64_t n, uint64_t tsc_khz, bool x2)
{
    if (want(only, "ipi"))
        bench_ipi(n / 20 ? n / 20 : 1, tsc_khz, x2);
    if (want(only, "rows"))
        bench_rows(count_arg("rows", DEFAULT_ROW_ITERATIONS), rt_cmdline_value("row"), x2);
    if (want(only, "rtt"))
        bench_rtt(count_arg("rtt", DEFAULT_RTT_ITERATIONS), x2);
}

int main(void)
{
    uint64_t n = count_arg("iterations", DEFAULT_ITERATIONS);
    const char *only = rt_cmdline_value("only");
    bool keel = rt_under_keel();
    uint64_t tsc_khz = keel ? rt_cpuid(KEEL_CPUID_TSC, 0).eax : rt_tsc_khz();
    if (tsc_khz == 0) {
        printf("bench: Keel gives no TSC frequency\n");
        rt_exit(2);
    }
    if (!keel) {
        /* QEMU alone: only the round trips, the comparison figure; the
         * other parts need Keel's hypercalls. */
        if (!want(only, "rtt")) {
            printf("bench: not running under Keel (only rtt runs without it)\n");
            rt_exit(0);
        }
        only = "rtt";
    }
    if (want(only, "cpuid"))
        bench_cpuid(n, tsc_khz);
    for (int x2 = 0; x2 < 2; x2++) {
        if (x2 && !(rt_cpuid(1, 0).ecx & CPUID_1_ECX_X2APIC)) {
            printf("bench: x2apic skipped: the CPU offers no x2APIC\n");
            break;
        }
        bench_mode(only, n, tsc_khz, x2);
    }
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
