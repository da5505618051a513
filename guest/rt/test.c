/* SPDX-License-Identifier: MIT */
/*
 * The in-guest test runner (test.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/abi.h"
#include "rt_internal.h"
#include "test.h"

#define RT_TESTS_MAX 512

/* From guest.ld: the "rt_tests" section. */
extern const struct rt_test *const rt_tests_start[], *const rt_tests_end[];

/* The running test's state.  failures: incremented by any vCPU. */
static uint32_t rt_test_failures;
static const char *rt_test_skip_reason;

static const char *vcpu_suffix(char *buf, size_t size)
{
    unsigned me = rt_vcpu_index();

    if (me == 0)
        return "";
    snprintf(buf, size, " (vCPU %u)", me);
    return buf;
}

void rt_expect_failed(const char *file, int line, const char *expr)
{
    char who[24];

    __atomic_add_fetch(&rt_test_failures, 1, __ATOMIC_RELAXED);
    printf("  %s:%d: EXPECT(%s) failed%s\n", file, line, expr, vcpu_suffix(who, sizeof(who)));
}

void rt_expect_eq_failed(const char *file, int line, const char *a_expr, const char *b_expr,
                         uint64_t a, uint64_t b)
{
    char who[24];

    __atomic_add_fetch(&rt_test_failures, 1, __ATOMIC_RELAXED);
    printf("  %s:%d: EXPECT_EQ(%s, %s) failed%s: %#llx (%lld) != %#llx (%lld)\n", file, line,
           a_expr, b_expr, vcpu_suffix(who, sizeof(who)), (unsigned long long)a, (long long)a,
           (unsigned long long)b, (long long)b);
}

void rt_test_skip(const char *reason)
{
    rt_test_skip_reason = reason;
}

/* Sorts by (first position of the test's file in the section, line): the
 * compiler may emit one file's tests in any order. */
static unsigned sort_tests(const struct rt_test **order)
{
    unsigned n = 0, rank[RT_TESTS_MAX];

    for (const struct rt_test *const *t = rt_tests_start; t < rt_tests_end && n < RT_TESTS_MAX;
         t++, n++) {
        order[n] = *t;
        rank[n] = n;
        for (unsigned j = 0; j < n; j++)
            if (strcmp(order[j]->file, order[n]->file) == 0) {
                rank[n] = rank[j];
                break;
            }
    }
    for (unsigned i = 1; i < n; i++)
        for (unsigned j = i; j > 0 && (rank[j - 1] > rank[j] ||
                                       (rank[j - 1] == rank[j] &&
                                        order[j - 1]->line > order[j]->line));
             j--) {
            const struct rt_test *t = order[j];
            unsigned r = rank[j];
            order[j] = order[j - 1];
            rank[j] = rank[j - 1];
            order[j - 1] = t;
            rank[j - 1] = r;
        }
    return n;
}

_Noreturn void rt_run_tests(void)
{
    static const struct rt_test *order[RT_TESTS_MAX];
    const char *only = rt_cmdline_value("test");
    const char *skip = rt_cmdline_value("skip"); /* one test left out, by name */
    unsigned n = sort_tests(order), passed = 0, failed = 0, skipped = 0;

    for (unsigned i = 0; i < n; i++) {
        const struct rt_test *t = order[i];
        if (only && strcmp(only, t->name) != 0)
            continue;
        if (skip && strcmp(skip, t->name) == 0) {
            printf("skip - %s (skip= on the command line)\n", t->name);
            skipped++;
            continue;
        }
        __atomic_store_n(&rt_test_failures, 0, __ATOMIC_RELAXED);
        rt_test_skip_reason = NULL;
        t->fn();
        if (__atomic_load_n(&rt_test_failures, __ATOMIC_RELAXED)) {
            printf("FAIL - %s\n", t->name);
            failed++;
        } else if (rt_test_skip_reason) {
            printf("skip - %s (%s)\n", t->name, rt_test_skip_reason);
            skipped++;
        } else {
            printf("ok - %s\n", t->name);
            passed++;
        }
    }
    if (only && passed + failed + skipped == 0) {
        printf("no test named '%s'\n", only);
        failed++;
    }
    if (skipped)
        printf("%u skipped\n", skipped);
    printf("%u passed, %u failed\n", passed, failed);
    rt_hypercall(KEEL_HC_TEST_RESULT, passed, failed, 0);
    exit(failed ? 1 : 0);
}

/* A guest without main() just runs its tests. */
__attribute__((weak)) int main(void)
{
    rt_run_tests();
}
