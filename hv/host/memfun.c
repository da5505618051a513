/* SPDX-License-Identifier: MIT */
/*
 * memset, memcpy and memmove for keel.efi.
 *
 * Why Keel has its own: the ones it linked before were gnu-efi's (libefi's
 * init.o, which InitializeLib pulls in), a byte at a time, and newlib's
 * never got linked.  On the exit path that was about 2600 of the ~6000
 * instructions of a CPUID exit (docs/exit-path.md).  The build links a copy
 * of libefi.a with those two symbols made weak (boot/CMakeLists.txt), so
 * these win.
 *
 * General registers only: keel.efi is built -mgeneral-regs-only because
 * the guest's FPU/SSE state may be live in the registers (hv/host/fpu.c
 * switches it lazily).  Large blocks use REP STOSQ / REP MOVSQ (fast
 * strings, SDM vol. 1 7.3.9.3; fine from the first bytes on CPUs with ERMS,
 * which both vendors' server parts of the last decade have); small ones
 * (the exit path's structs, 8 to 128 bytes) a plain loop of 8-byte moves,
 * which beats the string instructions' start-up cost.  The loops are
 * written so the compiler cannot turn them back into calls to these very
 * functions (no -ftree-loop-distribute-patterns here).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define MEMFUN __attribute__((optimize("no-tree-loop-distribute-patterns")))

/* Below this, a loop; above it, the string instructions. */
#define SMALL_BLOCK 128

MEMFUN void *memset(void *dst, int c, size_t n)
{
    unsigned char *d = dst;
    uint64_t v = (uint8_t)c * 0x0101010101010101ull;
    if (n >= SMALL_BLOCK) {
        size_t q = n / 8;
        __asm__ volatile("rep stosq" : "+D"(d), "+c"(q) : "a"(v) : "memory");
        n &= 7;
    } else {
        for (; n >= 8; n -= 8, d += 8)
            __builtin_memcpy(d, &v, 8); /* one unaligned 8-byte store */
    }
    for (; n; n--)
        *d++ = (unsigned char)c;
    return dst;
}

MEMFUN void *memcpy(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    if (n >= SMALL_BLOCK) {
        size_t q = n / 8;
        __asm__ volatile("rep movsq" : "+D"(d), "+S"(s), "+c"(q) : : "memory");
        n &= 7;
    } else {
        for (; n >= 8; n -= 8, d += 8, s += 8) {
            uint64_t t;
            __builtin_memcpy(&t, s, 8);
            __builtin_memcpy(d, &t, 8);
        }
    }
    for (; n; n--)
        *d++ = *s++;
    return dst;
}

/* Overlapping blocks: forwards when the destination is below the source
 * (every byte is read before it is overwritten), else backwards. */
MEMFUN void *memmove(void *dst, const void *src, size_t n)
{
    unsigned char *d = dst;
    const unsigned char *s = src;
    /* memcpy copies forwards and reads each 8-byte group before it writes
     * it (no restrict, so the compiler may not reorder that): safe unless
     * the destination starts inside the source. */
    if ((uintptr_t)d - (uintptr_t)s >= n)
        return memcpy(dst, src, n);
    d += n;
    s += n;
    for (; n >= 8; n -= 8) {
        uint64_t t;
        d -= 8;
        s -= 8;
        __builtin_memcpy(&t, s, 8);
        __builtin_memcpy(d, &t, 8);
    }
    while (n--)
        *--d = *--s;
    return dst;
}
