/* SPDX-License-Identifier: MIT */
/*
 * A minimal expectation helper for host unit tests.  CHECK() records a
 * failure with file:line and keeps going; check_report() prints the totals
 * as "N passed, N failed" and gives the exit status for main().
 */
#ifndef KEEL_TESTS_CHECK_H
#define KEEL_TESTS_CHECK_H

#include <inttypes.h>
#include <stdio.h>

static unsigned check_passed, check_failed;

#define CHECK(cond) \
    do { \
        if (cond) { \
            check_passed++; \
        } else { \
            check_failed++; \
            fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
        } \
    } while (0)

#define CHECK_EQ(a, b) \
    do { \
        uint64_t check_a_ = (uint64_t)(a), check_b_ = (uint64_t)(b); \
        if (check_a_ == check_b_) { \
            check_passed++; \
        } else { \
            check_failed++; \
            fprintf(stderr, "%s:%d: CHECK_EQ(%s, %s): 0x%" PRIx64 " != 0x%" PRIx64 "\n", \
                    __FILE__, __LINE__, #a, #b, check_a_, check_b_); \
        } \
    } while (0)

static inline int check_report(const char *name)
{
    printf("%s: %u passed, %u failed\n", name, check_passed, check_failed);
    return check_failed ? 1 : 0;
}

#endif /* KEEL_TESTS_CHECK_H */
