/* SPDX-License-Identifier: MIT */
/*
 * Shared by the libFuzzer harnesses (tests/fuzz/fuzz_*.c): the entry point's
 * prototype, an invariant check that stops the run with a message (libFuzzer
 * then saves the input as a crash), and a reader that turns the fuzzer's
 * bytes into a stream of operations and arguments.  Running out of bytes
 * yields zeros, so every input is a complete program.
 */
#ifndef KEEL_TESTS_FUZZ_H
#define KEEL_TESTS_FUZZ_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* An invariant of the model under test: abort() (a crash for libFuzzer,
 * which writes the reproducer) with the condition and where it failed. */
#define FUZZ_ASSERT(cond) \
    do { \
        if (!(cond)) { \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort(); \
        } \
    } while (0)

struct fuzz_in {
    const uint8_t *p;
    size_t n;
};

static inline bool fuzz_more(const struct fuzz_in *in)
{
    return in->n > 0;
}

/* The next @bytes bytes as a little-endian number (missing bytes are 0). */
static inline uint64_t fuzz_take(struct fuzz_in *in, unsigned bytes)
{
    uint64_t v = 0;

    for (unsigned i = 0; i < bytes && in->n > 0; i++, in->p++, in->n--)
        v |= (uint64_t)in->p[0] << (8 * i);
    return v;
}

static inline uint8_t fuzz_u8(struct fuzz_in *in) { return (uint8_t)fuzz_take(in, 1); }
static inline uint16_t fuzz_u16(struct fuzz_in *in) { return (uint16_t)fuzz_take(in, 2); }
static inline uint32_t fuzz_u32(struct fuzz_in *in) { return (uint32_t)fuzz_take(in, 4); }
static inline uint64_t fuzz_u64(struct fuzz_in *in) { return fuzz_take(in, 8); }
static inline bool fuzz_bool(struct fuzz_in *in) { return fuzz_u8(in) & 1u; }

#endif /* KEEL_TESTS_FUZZ_H */
