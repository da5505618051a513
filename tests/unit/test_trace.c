/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/trace_fmt.c: what the shell's trace records of an
 * exit and how a dump line reads. */
#include <string.h>

#include "check.h"
#include "hv/trace.h"

static void test_qualifiers(void)
{
    struct exit_record e;
    uint64_t q1, q2;

    memset(&e, 0, sizeof(e));
    e.reason = EXIT_IO;
    e.io.port = 0xcf9;
    e.io.size = 1;
    trace_qualifiers(&e, 0, &q1, &q2);
    CHECK_EQ(q1, 0xcf9);
    CHECK_EQ(q2 & 0xff, 1);

    memset(&e, 0, sizeof(e));
    e.reason = EXIT_MSR_WRITE;
    e.msr = 0x1b;
    e.info1 = 77;
    trace_qualifiers(&e, 0, &q1, &q2);
    CHECK(q1 == 0x1b && q2 == 0);

    memset(&e, 0, sizeof(e));
    e.reason = EXIT_HYPERCALL;
    trace_qualifiers(&e, 3, &q1, &q2);
    CHECK_EQ(q1, 3); /* the call number, from RAX */

    memset(&e, 0, sizeof(e));
    e.reason = EXIT_HLT;
    e.info1 = 5;
    e.info2 = 6;
    trace_qualifiers(&e, 9, &q1, &q2);
    CHECK(q1 == 5 && q2 == 6);
}

static void test_format(void)
{
    struct exit_record e;
    struct trace_entry t;
    char line[180];

    memset(&e, 0, sizeof(e));
    memset(&t, 0, sizeof(t));
    e.reason = EXIT_IO;
    e.io.port = 0x64;
    e.io.size = 1;
    e.io.in = true;
    trace_qualifiers(&e, 0, &t.q1, &t.q2);
    t.kind = TRACE_EXIT;
    t.reason = EXIT_IO;
    t.tsc = 1000 + 2500;
    t.rip = 0x102a1c;
    trace_format(&t, 1000, 10, line, sizeof(line));
    CHECK(strstr(line, "250 us rip 0000000000102a1c exit io") != NULL);
    CHECK(strstr(line, "port 0x64 in 1") != NULL);

    memset(&t, 0, sizeof(t));
    t.kind = TRACE_INJECT;
    t.reason = 2; /* NMI */
    t.vector = 2;
    trace_format(&t, 0, 1, line, sizeof(line));
    CHECK(strstr(line, "inject nmi") != NULL && strstr(line, "vector 0x2") != NULL);

    /* An entry older than the start reads as time 0, never wraps. */
    t.tsc = 5;
    trace_format(&t, 100, 1, line, sizeof(line));
    CHECK(strncmp(line, "         0 us", 13) == 0);

    /* Bounded by the caller's buffer. */
    char tiny[8];
    trace_format(&t, 0, 1, tiny, sizeof(tiny));
    CHECK_EQ(strlen(tiny), 7);
}

int main(void)
{
    test_qualifiers();
    test_format();
    return check_report("test_trace");
}
