/* SPDX-License-Identifier: MIT */
/*
 * rt_main: the 64-bit start of every vCPU, and vCPU 0's view of the
 * multiboot information (command line, modules, memory map), copied early
 * so the heap may reuse the loader's memory.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "multiboot.h"
#include "rt_internal.h"
#include "x86.h"

#define RT_CMDLINE_MAX  1024
#define RT_WORDS_MAX    128
#define RT_MODULES_MAX  16
#define RT_MODSTR_MAX   128
#define RT_RAM_MAX      32
#define RT_PAGE         4096ull
#define RT_MAP_END      ((uint64_t)RT_MAP_GIB << 30)

struct rt_mem_range {
    uint64_t start, end;
};

/* Written by vCPU 0 before main(); read-only afterwards. */
static struct {
    char cmdline[RT_CMDLINE_MAX];
    char words_buf[RT_CMDLINE_MAX];     /* cmdline, NUL after each word */
    const char *words[RT_WORDS_MAX];
    unsigned word_count;
    struct rt_module modules[RT_MODULES_MAX];
    char module_strings[RT_MODULES_MAX][RT_MODSTR_MAX];
    unsigned module_count;
    struct rt_mem_range ram[RT_RAM_MAX];   /* available regions */
    unsigned ram_count;
    uint64_t mem_bytes, ram_top;
} rt_boot;

struct rt_percpu rt_percpu_area[RT_MAX_VCPUS];

static uint64_t page_up(uint64_t a)
{
    return (a + RT_PAGE - 1) & ~(RT_PAGE - 1);
}

static void copy_string(char *dst, size_t size, uint32_t src_addr)
{
    const char *src = (const char *)(uintptr_t)src_addr;
    size_t i = 0;

    if (src_addr)
        for (; i + 1 < size && src[i]; i++)
            dst[i] = src[i];
    dst[i] = 0;
}

static void split_words(void)
{
    char *p = rt_boot.words_buf;

    memcpy(rt_boot.words_buf, rt_boot.cmdline, sizeof(rt_boot.words_buf));
    while (*p && rt_boot.word_count < RT_WORDS_MAX) {
        while (*p == ' ' || *p == '\t')
            *p++ = 0;
        if (!*p)
            break;
        rt_boot.words[rt_boot.word_count++] = p;
        while (*p && *p != ' ' && *p != '\t')
            p++;
    }
}

static void add_ram(uint64_t start, uint64_t end)
{
    if (end <= start || rt_boot.ram_count == RT_RAM_MAX)
        return;
    rt_boot.ram[rt_boot.ram_count++] = (struct rt_mem_range){start, end};
    rt_boot.mem_bytes += end - start;
    if (end > rt_boot.ram_top)
        rt_boot.ram_top = end;
}

static void read_memory_map(const struct mb_info *mbi)
{
    if (mbi->flags & MB_INFO_MMAP) {
        uintptr_t p = mbi->mmap_addr, end = p + mbi->mmap_length;
        while (p + sizeof(struct mb_mmap_entry) <= end) {
            const struct mb_mmap_entry *e = (const void *)p;
            if (e->type == MB_MMAP_AVAILABLE)
                add_ram(e->base_addr, e->base_addr + e->length);
            p += e->size + sizeof(e->size);
        }
    } else if (mbi->flags & MB_INFO_MEMORY) {
        add_ram(0, (uint64_t)mbi->mem_lower << 10);
        add_ram(1ull << 20, (1ull << 20) + ((uint64_t)mbi->mem_upper << 10));
    }
}

void rt_boot_info_init(uint32_t mbi_addr)
{
    const struct mb_info *mbi = (const void *)(uintptr_t)mbi_addr;

    if (mbi->flags & MB_INFO_CMDLINE)
        copy_string(rt_boot.cmdline, sizeof(rt_boot.cmdline), mbi->cmdline);
    split_words();
    if (mbi->flags & MB_INFO_MODS) {
        const struct mb_module *m = (const void *)(uintptr_t)mbi->mods_addr;
        for (uint32_t i = 0; i < mbi->mods_count && i < RT_MODULES_MAX; i++) {
            copy_string(rt_boot.module_strings[i], RT_MODSTR_MAX, m[i].string);
            rt_boot.modules[i] = (struct rt_module){
                m[i].mod_start, m[i].mod_end, rt_boot.module_strings[i]};
            rt_boot.module_count++;
        }
    }
    read_memory_map(mbi);
}

/* The heap: the rest of the RAM region holding the image's end, minus the
 * modules (keeping the larger side of each module it overlaps). */
static void choose_heap(void)
{
    uint64_t start = page_up((uintptr_t)_end), end = start;

    for (unsigned i = 0; i < rt_boot.ram_count; i++)
        if (rt_boot.ram[i].start <= start && start < rt_boot.ram[i].end)
            end = rt_boot.ram[i].end & ~(RT_PAGE - 1);
    if (end > RT_MAP_END)
        end = RT_MAP_END;
    for (unsigned i = 0; i < rt_boot.module_count; i++) {
        uint64_t ms = rt_boot.modules[i].start, me = page_up(rt_boot.modules[i].end);
        if (ms >= end || me <= start)
            continue;
        uint64_t below = ms > start ? ms - start : 0, above = end > me ? end - me : 0;
        if (above >= below)
            start = me > start ? me : start;
        else
            end = ms & ~(RT_PAGE - 1);
    }
    rt_heap_init(start, end);
}

/* Pages above RAM are MMIO-like (open bus under Keel): map them UC (PAT
 * entry 3 with the reset PAT) so accesses are not cached or speculated. */
static void map_above_ram_uncached(void)
{
    uint64_t first = (rt_boot.ram_top + PTE_LARGE_SIZE - 1) / PTE_LARGE_SIZE;

    if (rt_boot.ram_top == 0)
        return;     /* no memory information: leave everything cached */
    for (uint64_t i = first; i < RT_MAP_GIB * 512ull; i++)
        rt_pd[i] |= PTE_PCD | PTE_PWT;
    rt_write_cr3(rt_read_cr3());
}

_Noreturn void rt_main(uint32_t magic, uint32_t arg)
{
    if (magic == RT_KEEL_AP_MAGIC) {
        rt_trap_load();
        rt_ap_main(arg);
    }
    if (magic == RT_SIPI_AP_MAGIC) {
        rt_trap_load();
        rt_sipi_ap_arrived(arg);
        rt_ap_main(arg);
    }
    rt_trap_init();
    rt_trap_load();
    rt_keel_detect();
    rt_boot_info_init(arg);
    choose_heap();
    map_above_ram_uncached();
    rt_console_init();
    if (rt_under_keel() && rt_cpuid(RT_KEEL_CPUID_INFO, 0).ebx != 0)
        printf("warning: the multiboot vCPU is not vCPU 0\n");
    exit(main());
}

const char *rt_cmdline(void)
{
    return rt_boot.cmdline;
}

bool rt_cmdline_has(const char *word)
{
    for (unsigned i = 0; i < rt_boot.word_count; i++)
        if (strcmp(rt_boot.words[i], word) == 0)
            return true;
    return false;
}

const char *rt_cmdline_value(const char *key)
{
    size_t n = strlen(key);

    for (unsigned i = 0; i < rt_boot.word_count; i++)
        if (strncmp(rt_boot.words[i], key, n) == 0 && rt_boot.words[i][n] == '=')
            return rt_boot.words[i] + n + 1;
    return NULL;
}

const struct rt_module *rt_modules(unsigned *count)
{
    *count = rt_boot.module_count;
    return rt_boot.modules;
}

uint64_t rt_mem_bytes(void)
{
    return rt_boot.mem_bytes;
}

uint64_t rt_ram_top(void)
{
    return rt_boot.ram_top;
}
