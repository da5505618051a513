/* SPDX-License-Identifier: MIT */
/*
 * Self-tests of the guest runtime (fault recovery, SSE, heap, boot
 * information); they hold with or without Keel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rt.h"
#include "test.h"

#define UNMAPPED_ADDR       ((uint64_t)RT_MAP_GIB << 30)    /* just past the map */
#define NONCANONICAL_ADDR   0x8000000000000000ull
#define PF_ERROR_PRESENT    (1u << 0)
#define PF_ERROR_WRITE      (1u << 1)

extern char _end[];     /* guest.ld: the end of the image */

static void do_ud2(void *arg)
{
    __asm__ volatile("ud2");
}

static void do_read(void *arg)
{
    (void)*(volatile uint64_t *)arg;
}

static void do_write(void *arg)
{
    *(volatile uint64_t *)arg = 1;
}

KEEL_TEST(runtime_fault_recovery)
{
    EXPECT(rt_expect_fault(X86_UD, do_ud2, NULL));
    EXPECT(rt_expect_fault(X86_GP, do_read, (void *)(uintptr_t)NONCANONICAL_ADDR));
    EXPECT(rt_expect_fault(X86_PF, do_read, (void *)(uintptr_t)UNMAPPED_ADDR));
    EXPECT_EQ(rt_last_fault()->cr2, UNMAPPED_ADDR);
    EXPECT_EQ(rt_last_fault()->error_code & (PF_ERROR_PRESENT | PF_ERROR_WRITE), 0);
    EXPECT(rt_expect_fault(X86_PF, do_write, (void *)(uintptr_t)(UNMAPPED_ADDR + 8)));
    EXPECT_EQ(rt_last_fault()->error_code & (PF_ERROR_PRESENT | PF_ERROR_WRITE),
              PF_ERROR_WRITE);
    EXPECT_EQ(rt_try(do_read, &(uint64_t){0}), RT_NO_FAULT);
}

static void nested_try(void *arg)
{
    *(int *)arg = rt_try(do_ud2, NULL);
    do_read((void *)(uintptr_t)NONCANONICAL_ADDR);
}

KEEL_TEST(runtime_nested_try)
{
    int inner = 0;

    EXPECT_EQ(rt_try(nested_try, &inner), X86_GP);
    EXPECT_EQ(inner, X86_UD);
}

KEEL_TEST(runtime_extable)
{
    uint64_t rax = 0x1234;
    uint64_t value;

    __asm__ volatile("1: ud2\n2:\n\t" RT_EXTABLE(1b, 2b) : "+a"(rax) : : "memory");
    EXPECT_EQ(rax, X86_UD);
    EXPECT_EQ(rt_rdmsr_safe(MSR_EFER, &value), RT_NO_FAULT);
    EXPECT(value & EFER_LMA);
}

KEEL_TEST(runtime_sse_and_printf)
{
    volatile double x = 2.0;
    char buf[32];

    EXPECT_EQ(rt_read_cr0() & (CR0_EM | CR0_TS), 0);
    EXPECT(rt_read_cr4() & CR4_OSFXSR);
    snprintf(buf, sizeof(buf), "%.4f|%5d|%s", x / 3.0, 42, "ok");
    if (!EXPECT(strcmp(buf, "0.6667|   42|ok") == 0))
        printf("  got \"%s\"\n", buf);
}

KEEL_TEST(runtime_heap)
{
    void *blocks[16];

    for (unsigned i = 0; i < 16; i++) {
        blocks[i] = malloc(4096u << (i % 8));
        if (!EXPECT(blocks[i] != NULL))
            return;
        memset(blocks[i], (int)i, 4096u << (i % 8));
        EXPECT((uintptr_t)blocks[i] >= (uintptr_t)_end);
        EXPECT((uint64_t)(uintptr_t)blocks[i] < rt_ram_top());
    }
    for (unsigned i = 0; i < 16; i++)
        free(blocks[i]);
}

KEEL_TEST(runtime_boot_info)
{
    unsigned count;
    const struct rt_module *mods = rt_modules(&count);

    EXPECT(rt_mem_bytes() >= (2u << 20));
    EXPECT(rt_ram_top() > (uint64_t)(uintptr_t)_end);
    EXPECT(rt_cmdline() != NULL);
    EXPECT(rt_cmdline_value("no-such-key") == NULL);
    EXPECT(!rt_cmdline_has(""));
    for (unsigned i = 0; i < count; i++)
        EXPECT(mods[i].end >= mods[i].start);
}
