/* SPDX-License-Identifier: MIT */
/* The console's input queue and held-output ring (hv/shell/conbuf.h). */
#include "hv/shell/conbuf.h"

#include <string.h>

_Static_assert((BYTEQ_SIZE & (BYTEQ_SIZE - 1)) == 0, "BYTEQ_SIZE is a power of two");
_Static_assert(LINEQ_LINE_MAX + 1 <= LINEQ_SIZE, "a line fits the ring");

/* Indices run freely and wrap at 2^32; tail - head is the count.  The
 * producer publishes a byte with a release store of tail, the consumer
 * frees slots with a release store of head: each side reads the other's
 * index with acquire. */
bool byteq_push(struct byteq *q, uint8_t b)
{
    uint32_t tail = q->tail;
    uint32_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
    if (tail - head >= BYTEQ_SIZE) {
        q->dropped++;
        return false;
    }
    q->buf[tail % BYTEQ_SIZE] = b;
    __atomic_store_n(&q->tail, tail + 1, __ATOMIC_RELEASE);
    return true;
}

size_t byteq_count(const struct byteq *q)
{
    uint32_t tail = __atomic_load_n(&q->tail, __ATOMIC_ACQUIRE);
    uint32_t head = __atomic_load_n(&q->head, __ATOMIC_ACQUIRE);
    return (size_t)(tail - head);
}

size_t byteq_peek(const struct byteq *q, uint8_t *out, size_t max)
{
    size_t n = byteq_count(q);
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++)
        out[i] = q->buf[(q->head + i) % BYTEQ_SIZE];
    return n;
}

void byteq_pop(struct byteq *q, size_t n)
{
    size_t have = byteq_count(q);
    if (n > have)
        n = have;
    __atomic_store_n(&q->head, q->head + (uint32_t)n, __ATOMIC_RELEASE);
}

void lineq_init(struct lineq *r)
{
    r->head = r->len = 0;
    r->dropped_lines = r->dropped_bytes = 0;
}

bool lineq_empty(const struct lineq *r)
{
    return r->len == 0;
}

static char lineq_at(const struct lineq *r, size_t i)
{
    return r->buf[(r->head + i) % LINEQ_SIZE];
}

/* Length of the oldest line with its newline. */
static size_t lineq_first_len(const struct lineq *r)
{
    size_t i = 0;
    while (i < r->len && lineq_at(r, i) != '\n')
        i++;
    return i < r->len ? i + 1 : r->len;
}

static void lineq_drop_first(struct lineq *r)
{
    size_t n = lineq_first_len(r);
    r->head = (r->head + n) % LINEQ_SIZE;
    r->len -= n;
    r->dropped_lines++;
    r->dropped_bytes += n - 1;
}

void lineq_put(struct lineq *r, const char *s, size_t n)
{
    if (n > LINEQ_LINE_MAX)
        n = LINEQ_LINE_MAX;
    while (r->len + n + 1 > LINEQ_SIZE)
        lineq_drop_first(r);
    for (size_t i = 0; i < n; i++) {
        char c = s[i] == '\n' ? ' ' : s[i]; /* a newline inside would split the line */
        r->buf[(r->head + r->len++) % LINEQ_SIZE] = c;
    }
    r->buf[(r->head + r->len++) % LINEQ_SIZE] = '\n';
}

int lineq_get(struct lineq *r, char *out, size_t max)
{
    if (!r->len)
        return -1;
    size_t n = lineq_first_len(r) - 1, copy = n < max ? n : max;
    for (size_t i = 0; i < copy; i++)
        out[i] = lineq_at(r, i);
    r->head = (r->head + n + 1) % LINEQ_SIZE;
    r->len -= n + 1;
    return (int)copy;
}

void lineq_take_dropped(struct lineq *r, uint64_t *lines, uint64_t *bytes)
{
    *lines = r->dropped_lines;
    *bytes = r->dropped_bytes;
    r->dropped_lines = r->dropped_bytes = 0;
}
