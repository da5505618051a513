/* SPDX-License-Identifier: MIT */
/*
 * Keel remembers each exiting instruction's fetch and decode (hv/vm.c
 * decode_rip: the exit sites, the walk memo, the decode memo) to find its
 * length without a software walk and decode every time (no nRIP under
 * QEMU).  What it remembers must never outlive the guest's code or its
 * mapping: here a CPUID exits again and again from one linear address,
 * then the bytes there change (self-modifying code), then the page table
 * maps another page there.  Each time the instruction that exits has
 * another length, and a stale length would resume the guest in the middle
 * of the next instruction, which would then return something else.
 */
#include <string.h>

#include "rt.h"
#include "test.h"
#include "x86.h"
#include "x86_bits.h"

extern uint64_t rt_pdpt[];

/* 5 GiB: a PDPT slot the runtime's identity map (4 GiB) leaves free. */
#define SITE_PDPT_SLOT 5
#define SITE_VA        ((uint64_t)SITE_PDPT_SLOT << 30)

static uint64_t site_pd[512] __attribute__((aligned(4096)));
static uint64_t site_pt[512] __attribute__((aligned(4096)));
static uint8_t site_page_a[4096] __attribute__((aligned(4096)));
static uint8_t site_page_b[4096] __attribute__((aligned(4096)));

/* CS and DS prefixes, CPUID (4 bytes), RET: returns CPUID.0:EAX. */
static const uint8_t code_long[] = { 0x2e, 0x3e, 0x0f, 0xa2, 0xc3 };
/* CPUID (2 bytes), XOR EAX, EAX, RET: returns 0.  Resumed 4 bytes in (the
 * long form's length), it would return CPUID.0:EAX instead. */
static const uint8_t code_short[] = { 0x0f, 0xa2, 0x31, 0xc0, 0xc3 };

static uint32_t call_site(void)
{
    uint32_t eax;
    __asm__ volatile("xor %%eax, %%eax\n\tcall *%1"
                     : "=&a"(eax) : "r"(SITE_VA) : "rbx", "rcx", "rdx", "memory");
    return eax;
}

static void map_site(const uint8_t *page)
{
    site_pt[0] = (uint64_t)(uintptr_t)page | PTE_P | PTE_W;
    __asm__ volatile("invlpg (%0)" : : "r"(SITE_VA) : "memory");
}

KEEL_TEST(exit_site_follows_code_and_mapping)
{
    uint32_t max_leaf = rt_cpuid(0, 0).eax;
    if (!EXPECT(max_leaf != 0))
        return;
    site_pd[0] = (uint64_t)(uintptr_t)site_pt | PTE_P | PTE_W;
    rt_pdpt[SITE_PDPT_SLOT] = (uint64_t)(uintptr_t)site_pd | PTE_P | PTE_W;
    memcpy(site_page_a, code_long, sizeof(code_long));
    memcpy(site_page_b, code_short, sizeof(code_short));
    map_site(site_page_a);
    rt_write_cr3(rt_read_cr3());
    for (int i = 0; i < 4; i++)
        EXPECT_EQ(call_site(), max_leaf);
    /* The bytes change under the same mapping. */
    memcpy(site_page_a, code_short, sizeof(code_short));
    for (int i = 0; i < 2; i++)
        EXPECT_EQ(call_site(), 0u);
    memcpy(site_page_a, code_long, sizeof(code_long));
    for (int i = 0; i < 2; i++)
        EXPECT_EQ(call_site(), max_leaf);
    /* The mapping changes; the old page still holds the long form. */
    map_site(site_page_b);
    for (int i = 0; i < 2; i++)
        EXPECT_EQ(call_site(), 0u);
    map_site(site_page_a);
    EXPECT_EQ(call_site(), max_leaf);
    rt_pdpt[SITE_PDPT_SLOT] = 0;
    rt_write_cr3(rt_read_cr3());
}
