/* SPDX-License-Identifier: MIT */
/* The console input router and buffers (hv/shell/router.c, conbuf.c). */
#include <string.h>

#include "check.h"
#include "hv/shell/conbuf.h"
#include "hv/shell/router.h"

/* Feeds a string; appends what reached the owner to @got (with the owner
 * as a digit before each byte) and counts switches. */
static unsigned feed(struct router *r, const char *s, char *got)
{
    unsigned switches = 0;
    size_t g = strlen(got);
    for (; *s; s++) {
        struct router_out o;
        unsigned before = r->owner;
        router_feed(r, (uint8_t)*s, &o);
        for (unsigned i = 0; i < o.n; i++) {
            got[g++] = (char)('0' + before);
            got[g++] = (char)o.bytes[i];
        }
        switches += o.switched;
    }
    got[g] = 0;
    return switches;
}

static void test_router_cycle(void)
{
    struct router r;
    char got[256] = "";
    router_init(&r, 2);
    CHECK_EQ(r.owner, 0);
    CHECK(!router_shell_owns(&r));
    CHECK_EQ(feed(&r, "a\1\1\1b\1\1\1c\1\1\1d\1\1\1e", got), 4);
    /* vm0, vm1, the shell (2), back to vm0, then vm1 */
    CHECK(strcmp(got, "0a1b2c0d1e") == 0);
    CHECK_EQ(r.owner, 1);
}

static void test_router_partial_escape(void)
{
    struct router r;
    char got[256] = "";
    router_init(&r, 1);
    /* one or two Ctrl-As then another key: passed on, in order */
    CHECK_EQ(feed(&r, "\1x\1\1y", got), 0);
    CHECK(strcmp(got, "0\1" "0x0\1" "0\1" "0y") == 0);
    /* four Ctrl-As: a switch, then one held */
    got[0] = 0;
    CHECK_EQ(feed(&r, "\1\1\1\1z", got), 1);
    CHECK(router_shell_owns(&r));
    CHECK(strcmp(got, "1\1" "1z") == 0);
}

static void test_router_no_vm(void)
{
    struct router r;
    char got[64] = "";
    router_init(&r, 0);
    CHECK(router_shell_owns(&r));
    CHECK_EQ(feed(&r, "\1\1\1q", got), 1);
    CHECK(router_shell_owns(&r));
    CHECK(strcmp(got, "0q") == 0);
}

static void test_byteq(void)
{
    static struct byteq q;
    uint8_t out[BYTEQ_SIZE + 8];
    memset(&q, 0, sizeof(q));
    CHECK_EQ(byteq_count(&q), 0);
    for (unsigned i = 0; i < BYTEQ_SIZE + 5; i++)
        byteq_push(&q, (uint8_t)i);
    CHECK_EQ(byteq_count(&q), BYTEQ_SIZE);
    CHECK_EQ(q.dropped, 5);
    CHECK_EQ(byteq_peek(&q, out, 10), 10);
    CHECK_EQ(out[9], 9);
    byteq_pop(&q, 10);
    CHECK_EQ(byteq_count(&q), BYTEQ_SIZE - 10);
    /* wrap around: order kept across the end of the buffer */
    for (unsigned i = 0; i < 10; i++)
        CHECK(byteq_push(&q, (uint8_t)(200 + i)));
    CHECK(!byteq_push(&q, 1));
    size_t n = byteq_peek(&q, out, sizeof(out));
    CHECK_EQ(n, BYTEQ_SIZE);
    CHECK_EQ(out[0], 10);
    CHECK_EQ(out[BYTEQ_SIZE - 11], (uint8_t)(BYTEQ_SIZE - 1));
    CHECK_EQ(out[BYTEQ_SIZE - 10], 200);
    CHECK_EQ(out[BYTEQ_SIZE - 1], 209);
    byteq_pop(&q, BYTEQ_SIZE + 100); /* more than held: takes what is there */
    CHECK_EQ(byteq_count(&q), 0);
    /* the free-running indices wrap at 2^32 */
    q.head = q.tail = 0xfffffffeu;
    for (unsigned i = 0; i < 4; i++)
        CHECK(byteq_push(&q, (uint8_t)(i + 1)));
    CHECK_EQ(byteq_count(&q), 4);
    CHECK_EQ(byteq_peek(&q, out, 4), 4);
    CHECK_EQ(out[3], 4);
}

static void test_lineq(void)
{
    static struct lineq r;
    char line[LINEQ_LINE_MAX + 16], big[LINEQ_LINE_MAX + 50];
    uint64_t dl, db;
    lineq_init(&r);
    CHECK(lineq_empty(&r));
    CHECK_EQ(lineq_get(&r, line, sizeof(line)), -1);
    lineq_put(&r, "one", 3);
    lineq_put(&r, "", 0);
    lineq_put(&r, "a\nb", 3);
    CHECK_EQ(lineq_get(&r, line, sizeof(line)), 3);
    CHECK(memcmp(line, "one", 3) == 0);
    CHECK_EQ(lineq_get(&r, line, sizeof(line)), 0);
    CHECK_EQ(lineq_get(&r, line, sizeof(line)), 3);
    CHECK(memcmp(line, "a b", 3) == 0);
    CHECK(lineq_empty(&r));
    /* a line longer than LINEQ_LINE_MAX is cut */
    memset(big, 'x', sizeof(big));
    lineq_put(&r, big, sizeof(big));
    CHECK_EQ(lineq_get(&r, line, sizeof(line)), LINEQ_LINE_MAX);
    /* overflow drops the oldest lines, keeps the newest, in order */
    unsigned total = 0;
    for (unsigned i = 0; i < 5000; i++) {
        int n = snprintf(line, sizeof(line), "line %u", i);
        lineq_put(&r, line, (size_t)n);
        total += (unsigned)n;
    }
    lineq_take_dropped(&r, &dl, &db);
    CHECK(dl > 0);
    unsigned first = (unsigned)dl, kept = 0, kept_bytes = 0;
    int n;
    while ((n = lineq_get(&r, line, sizeof(line))) >= 0) {
        char want[32];
        int m = snprintf(want, sizeof(want), "line %u", first + kept);
        CHECK_EQ(n, m);
        CHECK(memcmp(line, want, (size_t)m) == 0);
        kept++;
        kept_bytes += (unsigned)n;
    }
    CHECK_EQ(first + kept, 5000);
    CHECK_EQ(db + kept_bytes, total);
    lineq_take_dropped(&r, &dl, &db);
    CHECK_EQ(dl, 0);
    /* cut to the caller's buffer: the rest of the line is consumed */
    lineq_put(&r, "abcdef", 6);
    lineq_put(&r, "g", 1);
    CHECK_EQ(lineq_get(&r, line, 2), 2);
    CHECK_EQ(lineq_get(&r, line, 2), 1);
    CHECK_EQ(line[0], 'g');
}

int main(void)
{
    test_router_cycle();
    test_router_partial_escape();
    test_router_no_vm();
    test_byteq();
    test_lineq();
    return check_report("test_conin");
}
