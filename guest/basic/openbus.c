/* SPDX-License-Identifier: MIT */
/*
 * Open bus: guest-physical addresses outside RAM read all-ones with every
 * load width and extension, and ignore stores.  (Keel's contract; under
 * plain QEMU these addresses are whatever the machine has there.)
 */
#include "rt.h"
#include "test.h"

#define OPEN_BUS_ADDR   0xC0000000ull
#define PATTERN         0x1122334455667788ull

struct loads {
    uintptr_t addr;
    uint64_t b, w, l, q;        /* MOV into a register holding PATTERN */
    uint64_t zbl, zwl, zbq, zwq; /* MOVZX */
    uint64_t sbq, swl;          /* MOVSX */
};

static void do_loads(void *arg)
{
    struct loads *o = arg;
    const volatile void *p = (const volatile void *)o->addr;
    uint64_t v;

    v = PATTERN;
    __asm__ volatile("movb (%1), %b0" : "+r"(v) : "r"(p) : "memory");
    o->b = v;
    v = PATTERN;
    __asm__ volatile("movw (%1), %w0" : "+r"(v) : "r"(p) : "memory");
    o->w = v;
    v = PATTERN;
    __asm__ volatile("movl (%1), %k0" : "+r"(v) : "r"(p) : "memory");
    o->l = v;
    __asm__ volatile("movq (%1), %0" : "=r"(v) : "r"(p) : "memory");
    o->q = v;
    v = PATTERN;
    __asm__ volatile("movzbl (%1), %k0" : "+r"(v) : "r"(p) : "memory");
    o->zbl = v;
    v = PATTERN;
    __asm__ volatile("movzwl (%1), %k0" : "+r"(v) : "r"(p) : "memory");
    o->zwl = v;
    __asm__ volatile("movzbq (%1), %0" : "=r"(v) : "r"(p) : "memory");
    o->zbq = v;
    __asm__ volatile("movzwq (%1), %0" : "=r"(v) : "r"(p) : "memory");
    o->zwq = v;
    __asm__ volatile("movsbq (%1), %0" : "=r"(v) : "r"(p) : "memory");
    o->sbq = v;
    v = PATTERN;
    __asm__ volatile("movswl (%1), %k0" : "+r"(v) : "r"(p) : "memory");
    o->swl = v;
}

static void check_loads(uintptr_t addr)
{
    struct loads o = {.addr = addr};

    if (!EXPECT_EQ(rt_try(do_loads, &o), RT_NO_FAULT))
        return;
    EXPECT_EQ(o.b, (PATTERN & ~0xffull) | 0xff);
    EXPECT_EQ(o.w, (PATTERN & ~0xffffull) | 0xffff);
    EXPECT_EQ(o.l, 0xffffffffull);          /* 32-bit writes zero-extend */
    EXPECT_EQ(o.q, ~0ull);
    EXPECT_EQ(o.zbl, 0xff);
    EXPECT_EQ(o.zwl, 0xffff);
    EXPECT_EQ(o.zbq, 0xff);
    EXPECT_EQ(o.zwq, 0xffff);
    EXPECT_EQ(o.sbq, ~0ull);
    EXPECT_EQ(o.swl, 0xffffffffull);
}

KEEL_TEST(open_bus_loads)
{
    REQUIRE_KEEL();
    check_loads(OPEN_BUS_ADDR);
    check_loads(OPEN_BUS_ADDR + 0x1003);    /* unaligned */
}

KEEL_TEST(open_bus_above_ram)
{
    REQUIRE_KEEL();
    uint64_t top = (rt_ram_top() + 0xfff) & ~0xfffull;

    if (top + 0x1000 > (uint64_t)RT_MAP_GIB << 30)
        SKIP("RAM fills the identity map");
    check_loads(top + 0x40);
}

static void do_stores(void *arg)
{
    volatile uint8_t *p = arg;

    *(volatile uint8_t *)(p + 0) = 0x11;
    *(volatile uint16_t *)(p + 2) = 0x2222;
    *(volatile uint32_t *)(p + 4) = 0x33333333;
    *(volatile uint64_t *)(p + 8) = 0x4444444444444444ull;
    __asm__ volatile("movl $0x55555555, (%0)" : : "r"(p + 16) : "memory");
    __asm__ volatile("movb $0x66, (%0)" : : "r"(p + 20) : "memory");
}

KEEL_TEST(open_bus_stores_dropped)
{
    REQUIRE_KEEL();
    uint8_t *p = (uint8_t *)(uintptr_t)(OPEN_BUS_ADDR + 0x2000);

    EXPECT_EQ(rt_try(do_stores, p), RT_NO_FAULT);
    check_loads((uintptr_t)p);
    check_loads((uintptr_t)p + 8);
    check_loads((uintptr_t)p + 16);
}
