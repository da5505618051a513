/* SPDX-License-Identifier: MIT */
/*
 * In-guest tests.  A test is a function registered with KEEL_TEST:
 *
 *     KEEL_TEST(pat_default) {
 *         EXPECT_EQ(rt_rdmsr(MSR_PAT), PAT_RESET_VALUE);
 *     }
 *
 * rt_run_tests() runs every registered test on vCPU 0 in source order (by
 * file in link order, then by line), prints "ok - name" or "FAIL - name"
 * per test and "N passed, N failed", reports KEEL_HC_TEST_RESULT and exits
 * with 0 when nothing failed, else 1.  "test=name" on the command line runs
 * only that test.  EXPECT* may be used on any vCPU while a test runs (e.g.
 * in a function given to rt_run_on_all).
 */
#ifndef KEEL_GUEST_TEST_H
#define KEEL_GUEST_TEST_H

#include <stdbool.h>
#include <stdint.h>

#include "rt.h"

struct rt_test {
    const char *name;
    void (*fn)(void);
    const char *file;
    int line;
};

/* The linker section "rt_tests" holds one pointer per test. */
#define KEEL_TEST(name)                                                      \
    static void keel_test_##name(void);                                      \
    static const struct rt_test keel_test_desc_##name = {                    \
        #name, keel_test_##name, __FILE__, __LINE__};                        \
    static const struct rt_test *const keel_test_ptr_##name                  \
        __attribute__((used, section("rt_tests"), aligned(8))) =             \
            &keel_test_desc_##name;                                          \
    static void keel_test_##name(void)

void rt_expect_failed(const char *file, int line, const char *expr);
void rt_expect_eq_failed(const char *file, int line, const char *a_expr,
                         const char *b_expr, uint64_t a, uint64_t b);

/* Each evaluates its arguments once and yields whether the check held. */
#define EXPECT(cond)                                                         \
    ({                                                                       \
        bool rt_expect_ok_ = !!(cond);                                       \
        if (!rt_expect_ok_)                                                  \
            rt_expect_failed(__FILE__, __LINE__, #cond);                     \
        rt_expect_ok_;                                                       \
    })

/* Compares as uint64_t: write unsigned constants for unsigned values
 * narrower than 64 bits (0xffffffffu, not -1). */
#define EXPECT_EQ(a, b)                                                      \
    ({                                                                       \
        uint64_t rt_expect_a_ = (uint64_t)(a);                               \
        uint64_t rt_expect_b_ = (uint64_t)(b);                               \
        bool rt_expect_ok_ = rt_expect_a_ == rt_expect_b_;                   \
        if (!rt_expect_ok_)                                                  \
            rt_expect_eq_failed(__FILE__, __LINE__, #a, #b, rt_expect_a_,    \
                                rt_expect_b_);                               \
        rt_expect_ok_;                                                       \
    })

/* Ends the current test as skipped (neither passed nor failed). */
void rt_test_skip(const char *reason);
#define SKIP(reason)                                                         \
    do {                                                                     \
        rt_test_skip(reason);                                                \
        return;                                                              \
    } while (0)
/* Skips the test when not running under Keel (e.g. under plain QEMU). */
#define REQUIRE_KEEL()                                                       \
    do {                                                                     \
        if (!rt_under_keel())                                                \
            SKIP("not running under Keel");                                  \
    } while (0)

/* Runs the tests as described above; does not return. */
_Noreturn void rt_run_tests(void);

#endif /* KEEL_GUEST_TEST_H */
