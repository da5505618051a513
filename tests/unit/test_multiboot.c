/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/multiboot.c: synthetic ELF32, ELF64 and a.out-kludge
 * images built in memory are loaded into a byte array standing for guest RAM,
 * then the copied bytes, the bss, the entry point and the multiboot
 * information structure (Multiboot 0.6.96, section 3.3) are checked.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "check.h"
#include "hv/multiboot.h"

#define KiB 1024ull
#define MiB (1024ull * KiB)
#define GiB (1024ull * MiB)

#define RAM_SIZE (8 * MiB)
#define IMG_CAP  (64 * KiB)
#define FILL     0xa5 /* guest RAM before each load: shows what the loader wrote */

/* Multiboot header flags (spec 3.1.2), written out independently of the loader. */
#define HDR_PAGE_ALIGN  (1u << 0)
#define HDR_MEMINFO     (1u << 1)
#define HDR_VIDEO       (1u << 2)
#define HDR_AOUT_KLUDGE (1u << 16)

/* Multiboot information offsets (spec 3.3). */
#define MBI_FLAGS       0
#define MBI_MEM_LOWER   4
#define MBI_MEM_UPPER   8
#define MBI_CMDLINE     16
#define MBI_MODS_COUNT  20
#define MBI_MODS_ADDR   24
#define MBI_MMAP_LENGTH 44
#define MBI_MMAP_ADDR   48
#define MBI_LOADER_NAME 64

/* ELF values (System V gABI). */
#define ET_REL     1
#define ET_EXEC    2
#define ET_DYN     3
#define EM_386     3
#define EM_ARM     40
#define EM_X86_64  62
#define PT_LOAD    1
#define PT_NOTE    4
#define PHOFF      0x40u  /* where the builders put the program headers */
#define HDR_OFF    0x400u /* where the builders put the multiboot header of an ELF */

static uint8_t *ram;
static uint8_t img[IMG_CAP];
static size_t img_len;
static char err[256];
static struct mb_load_result res;
static unsigned ncases;

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static uint64_t page_up(uint64_t x)
{
    return (x + 0xfff) & ~0xfffull;
}

/* The image byte at file offset i: never 0 nor FILL, and differs between
 * neighbouring offsets. */
static uint8_t pat(size_t i)
{
    return (uint8_t)(0x10 + (i * 13) % 0x80);
}

static void img_reset(void)
{
    memset(img, 0, sizeof(img));
    img_len = 0;
}

static void img_grow(size_t end)
{
    if (end > img_len)
        img_len = end;
}

static void fill_pattern(size_t off, size_t n)
{
    for (size_t i = 0; i < n; i++)
        img[off + i] = pat(off + i);
    img_grow(off + n);
}

/* magic, flags, checksum: the three words sum to zero. */
static void put_mb_header(size_t off, uint32_t flags)
{
    put32(img + off, MB_MAGIC_HEADER);
    put32(img + off + 4, flags);
    put32(img + off + 8, 0u - MB_MAGIC_HEADER - flags);
    img_grow(off + 12);
}

static void put_aout_addrs(size_t off, uint32_t header_addr, uint32_t load_addr,
                           uint32_t load_end_addr, uint32_t bss_end_addr, uint32_t entry_addr)
{
    put32(img + off + 12, header_addr);
    put32(img + off + 16, load_addr);
    put32(img + off + 20, load_end_addr);
    put32(img + off + 24, bss_end_addr);
    put32(img + off + 28, entry_addr);
    img_grow(off + 32);
}

struct phdr {
    uint32_t type;
    uint64_t off, vaddr, paddr, filesz, memsz;
};

/* An ELF executable (class 32 or 64) with its program headers at PHOFF and
 * the file bytes of every segment filled with the pattern.  No multiboot
 * header: the callers add one. */
static void put_elf(int cls, uint16_t machine, uint16_t type, uint64_t entry,
                    const struct phdr *ph, unsigned n)
{
    bool is64 = cls == 64;
    unsigned phentsize = is64 ? 56 : 32;

    memcpy(img, "\177ELF", 4);
    img[4] = is64 ? 2 : 1; /* EI_CLASS */
    img[5] = 1;            /* EI_DATA: little endian */
    img[6] = 1;            /* EI_VERSION */
    put16(img + 16, type);
    put16(img + 18, machine);
    put32(img + 20, 1);
    if (is64) {
        put64(img + 24, entry);
        put64(img + 32, PHOFF);
        put16(img + 52, 64);
        put16(img + 54, (uint16_t)phentsize);
        put16(img + 56, (uint16_t)n);
    } else {
        put32(img + 24, (uint32_t)entry);
        put32(img + 28, PHOFF);
        put16(img + 40, 52);
        put16(img + 42, (uint16_t)phentsize);
        put16(img + 44, (uint16_t)n);
    }
    img_grow(is64 ? 64 : 52);
    for (unsigned i = 0; i < n; i++) {
        uint8_t *p = img + PHOFF + i * phentsize;
        put32(p, ph[i].type);
        if (is64) {
            put32(p + 4, 5); /* PF_R | PF_X */
            put64(p + 8, ph[i].off);
            put64(p + 16, ph[i].vaddr);
            put64(p + 24, ph[i].paddr);
            put64(p + 32, ph[i].filesz);
            put64(p + 40, ph[i].memsz);
            put64(p + 48, 0x1000);
        } else {
            put32(p + 4, (uint32_t)ph[i].off);
            put32(p + 8, (uint32_t)ph[i].vaddr);
            put32(p + 12, (uint32_t)ph[i].paddr);
            put32(p + 16, (uint32_t)ph[i].filesz);
            put32(p + 20, (uint32_t)ph[i].memsz);
            put32(p + 24, 5);
            put32(p + 28, 0x1000);
        }
        if (ph[i].off + ph[i].filesz <= IMG_CAP)
            fill_pattern(ph[i].off, ph[i].filesz);
    }
    img_grow(PHOFF + n * phentsize);
}

/* The standard two-segment kernel: text at 1 MiB (0x2000 bytes of file, 0x1000
 * of bss) and data at 2 MiB (0x800 bytes of file, 0x1000 of bss). */
static const struct phdr std_ph[2] = {
    { PT_LOAD, 0x1000, 0x100000, 0x100000, 0x2000, 0x3000 },
    { PT_LOAD, 0x3000, 0x200000, 0x200000, 0x800, 0x1800 },
};
#define STD_ENTRY   0x100010u
#define STD_LOAD_HI 0x201800u

static void build_elf(int cls)
{
    img_reset();
    put_elf(cls, cls == 64 ? EM_X86_64 : EM_386, ET_EXEC, STD_ENTRY, std_ph, 2);
    put_mb_header(HDR_OFF, HDR_PAGE_ALIGN | HDR_MEMINFO);
}

/* The standard a.out-kludge kernel: the file starts at the load address,
 * header at file offset 0x40, 0x1800 bytes loaded, bss to 0x103000. */
#define AOUT_HOFF 0x40u
static void build_aout(void)
{
    img_reset();
    fill_pattern(0, 0x1800);
    put_mb_header(AOUT_HOFF, HDR_PAGE_ALIGN | HDR_MEMINFO | HDR_AOUT_KLUDGE);
    put_aout_addrs(AOUT_HOFF, 0x100000 + AOUT_HOFF, 0x100000, 0x101800, 0x103000, 0x100100);
}

/* --- helpers for loading and checking ----------------------------------- */

static int load_into(uint8_t *mem, uint64_t mem_size, const char *cmdline,
                     const struct mb_module *mods, unsigned nmods)
{
    memset(err, 0, sizeof(err));
    memset(&res, 0, sizeof(res));
    return mb_load(img, img_len, cmdline, mods, nmods, mem, mem_size, 0, &res, err, sizeof(err));
}

static int load(const char *cmdline, const struct mb_module *mods, unsigned nmods)
{
    memset(ram, FILL, RAM_SIZE);
    return load_into(ram, RAM_SIZE, cmdline, mods, nmods);
}

static bool ram_is_image(uint64_t gpa, size_t file_off, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (ram[gpa + i] != pat(file_off + i))
            return false;
    return true;
}

static bool ram_is(uint64_t gpa, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (ram[gpa + i] != v)
            return false;
    return true;
}

static bool ram_untouched(void)
{
    return ram_is(0, RAM_SIZE, FILL);
}

static uint32_t mbi(unsigned off)
{
    return get32(ram + res.info_gpa + off);
}

/* True when the NUL-terminated string at gpa lies below 640 KiB and equals s. */
static bool guest_str_is(uint32_t gpa, const char *s)
{
    size_t n = strlen(s) + 1;

    if (gpa < MB_INFO_GPA || gpa + n > MB_LOWMEM_END)
        return false;
    return memcmp(ram + gpa, s, n) == 0;
}

/* The info structure, mmap, command line and loader name of a load into
 * RAM_SIZE bytes; modules are checked by the callers. */
static void check_info(const char *cmdline, unsigned nmods)
{
    uint32_t want_flags = MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP
                          | MBI_FLAG_LOADER;
    static const uint64_t want_mmap[3][3] = {
        { 0, 0xa0000, 1 },
        { 0xa0000, 0x60000, 2 },
        { 0x100000, RAM_SIZE - 0x100000, 1 },
    };

    CHECK(res.info_gpa >= MB_INFO_GPA && res.info_gpa + 128 <= MB_INFO_LIMIT);
    CHECK_EQ(res.info_gpa % 4, 0);
    CHECK_EQ(mbi(MBI_FLAGS), want_flags);
    CHECK_EQ(mbi(MBI_MEM_LOWER), 640);
    CHECK_EQ(mbi(MBI_MEM_UPPER), (RAM_SIZE - MiB) / 1024);
    CHECK(guest_str_is(mbi(MBI_CMDLINE), cmdline ? cmdline : ""));
    CHECK(guest_str_is(mbi(MBI_LOADER_NAME), "Keel"));
    CHECK_EQ(mbi(MBI_MODS_COUNT), nmods);
    CHECK(mbi(MBI_MODS_ADDR) >= MB_INFO_GPA && mbi(MBI_MODS_ADDR) + 16 * nmods <= MB_LOWMEM_END);

    /* Each mmap entry: size (20, not counting itself), base_addr, length, type. */
    CHECK_EQ(mbi(MBI_MMAP_LENGTH), 3 * 24);
    uint32_t mm = mbi(MBI_MMAP_ADDR);
    CHECK(mm >= MB_INFO_GPA && mm + 3 * 24 <= MB_LOWMEM_END);
    for (unsigned i = 0; i < 3; i++) {
        const uint8_t *e = ram + mm + 24 * i;
        CHECK_EQ(get32(e), 20);
        CHECK_EQ(get64(e + 4), want_mmap[i][0]);
        CHECK_EQ(get64(e + 12), want_mmap[i][1]);
        CHECK_EQ(get32(e + 20), want_mmap[i][2]);
    }
}

/* Module list entries: page-aligned starts from page_up(image_end) on,
 * mod_end = start + len, the bytes and the string; res.modules_end after
 * the last one. */
static void check_modules(const struct mb_module *mods, unsigned nmods, uint64_t image_end)
{
    uint32_t list = mbi(MBI_MODS_ADDR);
    uint64_t at = page_up(image_end);

    for (unsigned i = 0; i < nmods; i++) {
        const uint8_t *e = ram + list + 16 * i;
        uint32_t start = get32(e), end = get32(e + 4);
        CHECK_EQ(start, at);
        CHECK_EQ(start % 4096, 0);
        CHECK_EQ(end, start + mods[i].len);
        CHECK(memcmp(ram + start, mods[i].data, mods[i].len) == 0);
        CHECK(guest_str_is(get32(e + 8), mods[i].cmdline ? mods[i].cmdline : ""));
        CHECK_EQ(get32(e + 12), 0);
        at = page_up(end);
    }
    CHECK_EQ(res.modules_end, at);
}

/* The image bytes and bss of std_ph, and RAM around them left alone. */
static void check_std_segments(void)
{
    CHECK(ram_is(0x100000 - 0x1000, 0x1000, FILL));
    CHECK(ram_is_image(0x100000, 0x1000, 0x2000));
    CHECK(ram_is(0x102000, 0x1000, 0));
    CHECK(ram_is(0x103000, 0x1000, FILL));
    CHECK(ram_is_image(0x200000, 0x3000, 0x800));
    CHECK(ram_is(0x200800, 0x1000, 0));
    CHECK(ram_is(0x201800, 0x800, FILL));
}

static bool contains(const char *s, const char *sub)
{
    return strstr(s, sub) != NULL;
}

/* --- images that load ---------------------------------------------------- */

static void test_elf32_no_modules(void)
{
    ncases++;
    build_elf(32);
    CHECK_EQ(load("console=ttyS0 debug", NULL, 0), 0);
    CHECK_EQ(res.entry, STD_ENTRY);
    check_std_segments();
    check_info("console=ttyS0 debug", 0);
    check_modules(NULL, 0, STD_LOAD_HI);
    CHECK_EQ(res.modules_end, page_up(STD_LOAD_HI));
}

static void test_elf64_no_modules(void)
{
    ncases++;
    build_elf(64);
    CHECK_EQ(load("x", NULL, 0), 0);
    CHECK_EQ(res.entry, STD_ENTRY);
    check_std_segments();
    check_info("x", 0);
}

/* RAM above 4 GiB (hv/mm/guest_ram.h) is a fourth mmap entry; mem_upper
 * still counts the RAM from 1 MiB below 4 GiB only. */
static void test_mmap_high_ram(void)
{
    ncases++;
    build_elf(64);
    memset(ram, FILL, RAM_SIZE);
    memset(err, 0, sizeof(err));
    CHECK_EQ(mb_load(img, img_len, "x", NULL, 0, ram, RAM_SIZE, 3 * GiB, &res, err, sizeof(err)),
             0);
    CHECK_EQ(mbi(MBI_MEM_UPPER), (RAM_SIZE - MiB) / 1024);
    CHECK_EQ(mbi(MBI_MMAP_LENGTH), 4 * 24);
    const uint8_t *e = ram + mbi(MBI_MMAP_ADDR) + 3 * 24;
    CHECK_EQ(get32(e), 20);
    CHECK_EQ(get64(e + 4), 0x100000000ull);
    CHECK_EQ(get64(e + 12), 3 * GiB);
    CHECK_EQ(get32(e + 20), 1);
    CHECK_EQ(get64(ram + mbi(MBI_MMAP_ADDR) + 2 * 24 + 4), MiB); /* the others as before */
}

static void test_mb_check_elf_info(void)
{
    struct mb_image_info info;

    for (int cls = 32; cls <= 64; cls += 32) {
        ncases++;
        build_elf(cls);
        memset(&info, 0xcc, sizeof(info));
        CHECK_EQ(mb_check(img, img_len, RAM_SIZE, &info, err, sizeof(err)), 0);
        CHECK_EQ(info.entry, STD_ENTRY);
        CHECK_EQ(info.load_lo, 0x100000);
        CHECK_EQ(info.load_hi, STD_LOAD_HI);
        CHECK_EQ(info.is_aout_kludge, 0);
        CHECK_EQ(info.elf_class, cls);
    }
    ncases++;
    CHECK_EQ(mb_check(img, img_len, RAM_SIZE, NULL, err, sizeof(err)), 0);
}

static void test_null_cmdline_is_empty(void)
{
    ncases++;
    build_elf(32);
    CHECK_EQ(load(NULL, NULL, 0), 0);
    check_info("", 0);
}

static void test_one_module(void)
{
    static uint8_t data[5000];
    struct mb_module mod = { data, sizeof(data), "initrd root=/dev/ram0" };

    ncases++;
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i ^ 0x5a);
    build_elf(32);
    CHECK_EQ(load("kernel", &mod, 1), 0);
    check_std_segments();
    check_info("kernel", 1);
    check_modules(&mod, 1, STD_LOAD_HI);
    CHECK_EQ(get32(ram + mbi(MBI_MODS_ADDR)), 0x202000);
    CHECK_EQ(res.modules_end, 0x202000 + 0x2000);
    /* The tail of the last module's page is not the loader's business, but
     * nothing is written past mod_end. */
    CHECK(ram_is(0x202000 + sizeof(data), 0x2000 - sizeof(data), FILL));
}

static void test_eight_modules(void)
{
    static const size_t lens[MB_MAX_MODULES] = { 1, 4095, 4096, 4097, 0x3000, 17, 2, 0x1801 };
    static const char *const names[MB_MAX_MODULES] = {
        "m0", "m1 a=b", NULL, "", "m4 with a longer command line", "m5", "m6", "m7 last",
    };
    static uint8_t data[MB_MAX_MODULES][0x3000];
    struct mb_module mods[MB_MAX_MODULES];

    ncases++;
    for (unsigned m = 0; m < MB_MAX_MODULES; m++) {
        for (size_t i = 0; i < lens[m]; i++)
            data[m][i] = (uint8_t)(m * 31 + i * 7 + 1);
        mods[m] = (struct mb_module){ data[m], lens[m], names[m] };
    }
    build_elf(64);
    CHECK_EQ(load("k", mods, MB_MAX_MODULES), 0);
    check_std_segments();
    check_info("k", MB_MAX_MODULES);
    check_modules(mods, MB_MAX_MODULES, STD_LOAD_HI);
}

static void test_module_fills_ram_exactly(void)
{
    uint64_t start = page_up(STD_LOAD_HI);
    size_t len = (size_t)(RAM_SIZE - start);
    uint8_t *data = malloc(len);
    struct mb_module mod = { data, len, "big" };

    ncases++;
    CHECK(data != NULL);
    if (!data)
        return;
    memset(data, 0x3c, len);
    build_elf(32);
    CHECK_EQ(load("k", &mod, 1), 0);
    check_modules(&mod, 1, STD_LOAD_HI);
    CHECK_EQ(res.modules_end, RAM_SIZE);
    free(data);
}

static void test_zero_length_module(void)
{
    static const uint8_t one = 0;
    struct mb_module mods[2] = { { &one, 0, "empty" }, { (const uint8_t *)"abc", 3, "abc" } };

    ncases++;
    build_elf(32);
    CHECK_EQ(load("k", mods, 2), 0);
    check_modules(mods, 2, STD_LOAD_HI);
}

static void test_elf_vaddr_differs_from_paddr(void)
{
    /* A higher-half kernel: linked at 3 GiB, loaded at its physical addresses. */
    static const struct phdr ph[1] = { { PT_LOAD, 0x1000, 0xc0100000, 0x100000, 0x1000, 0x1000 } };

    ncases++;
    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, ph, 1);
    put_mb_header(HDR_OFF, 0);
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK(ram_is_image(0x100000, 0x1000, 0x1000));
    CHECK_EQ(res.entry, 0x100000);
}

static void test_elf_ignores_other_headers(void)
{
    /* PT_NOTE and an empty PT_LOAD (memsz 0, even at a bad address) are skipped. */
    static const struct phdr ph[3] = {
        { PT_NOTE, 0x1000, 0, 0x10, 0x20, 0x20 },
        { PT_LOAD, 0x1000, 0x300000, 0x300000, 0x800, 0x1000 },
        { PT_LOAD, 0, 0x10, 0x10, 0, 0 },
    };
    struct mb_image_info info;

    ncases++;
    img_reset();
    put_elf(64, EM_X86_64, ET_EXEC, 0x300000, ph, 3);
    put_mb_header(HDR_OFF, HDR_PAGE_ALIGN);
    CHECK_EQ(mb_check(img, img_len, RAM_SIZE, &info, err, sizeof(err)), 0);
    CHECK_EQ(info.load_lo, 0x300000);
    CHECK_EQ(info.load_hi, 0x301000);
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK(ram_is_image(0x300000, 0x1000, 0x800));
    CHECK(ram_is(0x300800, 0x800, 0));
    CHECK(ram_is(0, 0x100, FILL));
}

static void test_segment_ends_at_ram_end(void)
{
    static const struct phdr ph[1] = {
        { PT_LOAD, 0x1000, RAM_SIZE - 0x2000, RAM_SIZE - 0x2000, 0x1000, 0x2000 },
    };

    ncases++;
    img_reset();
    put_elf(32, EM_386, ET_EXEC, RAM_SIZE - 0x2000, ph, 1);
    put_mb_header(HDR_OFF, 0);
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK(ram_is(RAM_SIZE - 0x1000, 0x1000, 0));
    CHECK_EQ(res.modules_end, RAM_SIZE);
}

static void test_entry_at_image_bounds(void)
{
    struct mb_image_info info;

    /* The first byte is a valid entry; the byte after the bss is not. */
    ncases++;
    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
    CHECK_EQ(mb_check(img, img_len, RAM_SIZE, &info, err, sizeof(err)), 0);
    ncases++;
    img_reset();
    put_elf(32, EM_386, ET_EXEC, STD_LOAD_HI - 1, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
    CHECK_EQ(mb_check(img, img_len, RAM_SIZE, &info, err, sizeof(err)), 0);
}

static void test_header_at_last_position(void)
{
    /* 8180 + 12 = 8192: the header ends exactly at the search limit. */
    static const struct phdr ph[1] = { { PT_LOAD, 0x2000, 0x100000, 0x100000, 0x1000, 0x1000 } };

    ncases++;
    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, ph, 1);
    put_mb_header(MB_SEARCH_LIMIT - 12, 0);
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK(ram_is_image(0x100000, 0x2000, 0x1000));
}

static void test_first_valid_header_wins(void)
{
    /* A magic with a bad checksum is not a header; the search goes on. */
    ncases++;
    build_elf(32);
    put32(img + 0x200, MB_MAGIC_HEADER);
    put32(img + 0x204, HDR_VIDEO);
    put32(img + 0x208, 0);
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK_EQ(res.entry, STD_ENTRY);
}

static void test_optional_flags_accepted(void)
{
    /* Bits 16-31 other than the a.out kludge are optional: ignore them. */
    ncases++;
    build_elf(32);
    put_mb_header(HDR_OFF, HDR_PAGE_ALIGN | HDR_MEMINFO | (1u << 20) | (1u << 31));
    CHECK_EQ(load("", NULL, 0), 0);
}

static void test_aout_kludge(void)
{
    struct mb_image_info info;

    ncases++;
    build_aout();
    CHECK_EQ(mb_check(img, img_len, RAM_SIZE, &info, err, sizeof(err)), 0);
    CHECK_EQ(info.is_aout_kludge, 1);
    CHECK_EQ(info.elf_class, 0);
    CHECK_EQ(info.load_lo, 0x100000);
    CHECK_EQ(info.load_hi, 0x103000);
    CHECK_EQ(info.entry, 0x100100);
    CHECK_EQ(load("aout", NULL, 0), 0);
    CHECK_EQ(res.entry, 0x100100);
    CHECK(memcmp(ram + 0x100000, img, 0x1800) == 0);
    CHECK(ram_is(0x101800, 0x1800, 0));
    CHECK(ram_is(0x103000, 0x1000, FILL));
    check_info("aout", 0);
    CHECK_EQ(res.modules_end, 0x103000);
}

static void test_aout_kludge_offset_in_file(void)
{
    /* 0x1000 bytes of something before the text: the header is at file
     * offset 0x1080, 0x80 bytes into the loaded text. */
    ncases++;
    img_reset();
    fill_pattern(0, 0x3000);
    put_mb_header(0x1080, HDR_AOUT_KLUDGE);
    put_aout_addrs(0x1080, 0x400080, 0x400000, 0x401000, 0, 0x400000);
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK(ram_is_image(0x400000, 0x1000, 0x80));
    CHECK_EQ(get32(ram + 0x400080), MB_MAGIC_HEADER);
    CHECK(ram_is_image(0x4000a0, 0x10a0, 0x1000 - 0xa0));
    /* bss_end_addr 0: no bss, nothing written after load_end_addr. */
    CHECK(ram_is(0x401000, 0x1000, FILL));
}

static void test_aout_kludge_load_to_end_of_file(void)
{
    /* load_end_addr 0: the text and data run to the end of the file. */
    ncases++;
    img_reset();
    fill_pattern(0, 0x2345);
    put_mb_header(0x20, HDR_AOUT_KLUDGE);
    put_aout_addrs(0x20, 0x100020, 0x100000, 0, 0x104000, 0x100020);
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK(ram_is_image(0x100040, 0x40, 0x2345 - 0x40));
    CHECK(ram_is(0x102345, 0x104000 - 0x102345, 0));
    CHECK(ram_is(0x104000, 0x10, FILL));
}

static void test_aout_kludge_overrides_elf(void)
{
    /* Bit 16 set on an ELF file: the header's addresses win over the program headers. */
    ncases++;
    build_elf(32);
    put_mb_header(HDR_OFF, HDR_AOUT_KLUDGE);
    put_aout_addrs(HDR_OFF, 0x500000 + HDR_OFF, 0x500000, 0x501000, 0x502000, 0x500000);
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK_EQ(res.entry, 0x500000);
    CHECK(memcmp(ram + 0x500000, img, 0x1000) == 0);
    CHECK(ram_is(0x501000, 0x1000, 0));
    CHECK(ram_is(0x100000, 0x1000, FILL));
}

static void test_two_loads_independent(void)
{
    /* The loader keeps its plan in static storage: a second load must not
     * see the first one's segments. */
    ncases++;
    build_elf(32);
    CHECK_EQ(load("", NULL, 0), 0);
    build_aout();
    CHECK_EQ(load("", NULL, 0), 0);
    CHECK(ram_is(0x200000, 0x1800, FILL));
    CHECK_EQ(res.modules_end, 0x103000);
}

/* --- images that are refused ---------------------------------------------- */

static void bad_no_header(void)
{
    build_elf(32);
    memset(img + HDR_OFF, 0, 12);
}

static void bad_header_after_8k(void)
{
    static const struct phdr ph[1] = { { PT_LOAD, 0x3000, 0x100000, 0x100000, 0x1000, 0x1000 } };

    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, ph, 1);
    put_mb_header(MB_SEARCH_LIMIT, 0);
}

static void bad_header_straddles_8k(void)
{
    static const struct phdr ph[1] = { { PT_LOAD, 0x3000, 0x100000, 0x100000, 0x1000, 0x1000 } };

    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, ph, 1);
    put_mb_header(MB_SEARCH_LIMIT - 8, 0);
}

static void bad_checksum(void)
{
    build_elf(32);
    put32(img + HDR_OFF + 8, get32(img + HDR_OFF + 8) + 1);
}

static void bad_video_flag(void)
{
    build_elf(32);
    put_mb_header(HDR_OFF, HDR_PAGE_ALIGN | HDR_VIDEO);
}

static void bad_unknown_required_flag(void)
{
    build_elf(32);
    put_mb_header(HDR_OFF, 1u << 5);
}

static void bad_elf_truncated_segment(void)
{
    build_elf(32);
    img_len = 0x3000 + 0x400; /* the second segment has 0x800 bytes of file */
}

static void bad_elf_filesz_above_memsz(void)
{
    static const struct phdr ph[1] = { { PT_LOAD, 0x1000, 0x100000, 0x100000, 0x1000, 0x800 } };

    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, ph, 1);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf_offset_beyond_file(void)
{
    static const struct phdr ph[1] = { { PT_LOAD, 0x10000000, 0x100000, 0x100000, 1, 1 } };

    img_reset();
    put_elf(64, EM_X86_64, ET_EXEC, 0x100000, ph, 1);
    put_mb_header(HDR_OFF, 0);
}

static void bad_segment_below_1m(void)
{
    static const struct phdr ph[1] = { { PT_LOAD, 0x1000, 0xff000, 0xff000, 0x1000, 0x2000 } };

    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, ph, 1);
    put_mb_header(HDR_OFF, 0);
}

static void bad_segment_beyond_ram(void)
{
    static const struct phdr ph[1] = {
        { PT_LOAD, 0x1000, RAM_SIZE - 0x1000, RAM_SIZE - 0x1000, 0x1000, 0x1001 },
    };

    img_reset();
    put_elf(32, EM_386, ET_EXEC, RAM_SIZE - 0x1000, ph, 1);
    put_mb_header(HDR_OFF, 0);
}

static void bad_segment_wraps(void)
{
    /* paddr + memsz wraps around 2^64. */
    static const struct phdr ph[2] = {
        { PT_LOAD, 0x1000, 0x100000, 0x100000, 0x1000, 0x1000 },
        { PT_LOAD, 0x1000, 0x200000, 0x200000, 0, 0xfffffffffff00000ull },
    };

    img_reset();
    put_elf(64, EM_X86_64, ET_EXEC, 0x100000, ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_entry_outside(void)
{
    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x300000, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_entry_just_past_bss(void)
{
    img_reset();
    put_elf(32, EM_386, ET_EXEC, STD_LOAD_HI, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_entry_below_image(void)
{
    img_reset();
    put_elf(64, EM_X86_64, ET_EXEC, 0xfffff, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf64_entry_above_4g(void)
{
    img_reset();
    put_elf(64, EM_X86_64, ET_EXEC, 0x100100010ull, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf32_machine_x86_64(void)
{
    img_reset();
    put_elf(32, EM_X86_64, ET_EXEC, STD_ENTRY, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf64_machine_386(void)
{
    img_reset();
    put_elf(64, EM_386, ET_EXEC, STD_ENTRY, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf_machine_arm(void)
{
    img_reset();
    put_elf(32, EM_ARM, ET_EXEC, STD_ENTRY, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf_shared_object(void)
{
    img_reset();
    put_elf(64, EM_X86_64, ET_DYN, STD_ENTRY, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf_relocatable(void)
{
    img_reset();
    put_elf(32, EM_386, ET_REL, STD_ENTRY, std_ph, 2);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf_phoff_beyond_file(void)
{
    build_elf(32);
    put32(img + 28, (uint32_t)img_len + 4);
}

static void bad_elf_phnum_beyond_file(void)
{
    build_elf(64);
    put16(img + 56, 0xffff);
}

static void bad_elf_phentsize_too_small(void)
{
    build_elf(32);
    put16(img + 42, 20);
}

static void bad_elf_no_load_segment(void)
{
    static const struct phdr ph[1] = { { PT_NOTE, 0x1000, 0, 0, 0x10, 0x10 } };

    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, ph, 1);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf_too_many_segments(void)
{
    struct phdr ph[17];

    for (unsigned i = 0; i < 17; i++)
        ph[i] = (struct phdr){ PT_LOAD, 0x1000, 0x100000 + i * 0x1000ull,
                               0x100000 + i * 0x1000ull, 0x100, 0x1000 };
    img_reset();
    put_elf(32, EM_386, ET_EXEC, 0x100000, ph, 17);
    put_mb_header(HDR_OFF, 0);
}

static void bad_elf_class(void)
{
    build_elf(32);
    img[4] = 3;
}

static void bad_not_elf(void)
{
    build_elf(32);
    img[1] = 'X';
}

static void bad_aout_truncated(void)
{
    build_aout();
    img_len = 0x1000; /* load_end_addr says 0x1800 bytes */
}

static void bad_aout_header_below_load(void)
{
    build_aout();
    put_aout_addrs(AOUT_HOFF, 0x0ffff0, 0x100000, 0x101800, 0x103000, 0x100100);
}

static void bad_aout_header_offset_too_big(void)
{
    /* header_addr - load_addr = 0x100, but the header is only 0x40 into the file. */
    build_aout();
    put_aout_addrs(AOUT_HOFF, 0x100100, 0x100000, 0x101800, 0x103000, 0x100100);
}

static void bad_aout_load_end_below_load(void)
{
    build_aout();
    put_aout_addrs(AOUT_HOFF, 0x100040, 0x100000, 0xff000, 0x103000, 0x100100);
}

static void bad_aout_bss_below_load_end(void)
{
    build_aout();
    put_aout_addrs(AOUT_HOFF, 0x100040, 0x100000, 0x101800, 0x101000, 0x100100);
}

static void bad_aout_below_1m(void)
{
    build_aout();
    put_aout_addrs(AOUT_HOFF, 0x80040, 0x80000, 0x81800, 0x83000, 0x80100);
}

static void bad_aout_entry_outside(void)
{
    build_aout();
    put_aout_addrs(AOUT_HOFF, 0x100040, 0x100000, 0x101800, 0x103000, 0x103000);
}

static void bad_header_truncated_aout(void)
{
    /* The a.out-kludge header needs 32 bytes; the file ends after 20. */
    build_aout();
    img_len = AOUT_HOFF + 20;
}

static void bad_empty_file(void)
{
    img_reset();
}

struct bad_image {
    const char *name;
    void (*build)(void);
    const char *msg; /* expected in the error text */
};

static const struct bad_image bad[] = {
    { "no header", bad_no_header, "no multiboot header in the first 8192 bytes" },
    { "header at 8 KiB", bad_header_after_8k, "no multiboot header" },
    { "header across 8 KiB", bad_header_straddles_8k, "no multiboot header" },
    { "bad checksum", bad_checksum, "no multiboot header" },
    { "empty file", bad_empty_file, "no multiboot header" },
    { "a.out header cut", bad_header_truncated_aout, "no multiboot header" },
    { "video flag", bad_video_flag, "video mode" },
    { "unknown flag", bad_unknown_required_flag, "requires features Keel does not provide" },
    { "ELF truncated", bad_elf_truncated_segment, "truncated or inconsistent" },
    { "filesz > memsz", bad_elf_filesz_above_memsz, "truncated or inconsistent" },
    { "offset beyond file", bad_elf_offset_beyond_file, "truncated or inconsistent" },
    { "below 1 MiB", bad_segment_below_1m, "does not fit guest RAM" },
    { "beyond RAM", bad_segment_beyond_ram, "does not fit guest RAM" },
    { "wraps", bad_segment_wraps, "does not fit guest RAM" },
    { "entry outside", bad_entry_outside, "entry point 0x300000 is outside the loaded image" },
    { "entry past bss", bad_entry_just_past_bss, "outside the loaded image" },
    { "entry below", bad_entry_below_image, "outside the loaded image" },
    { "ELF64 entry > 4 GiB", bad_elf64_entry_above_4g, "above 4 GiB" },
    { "ELF32 x86-64", bad_elf32_machine_x86_64, "ELF machine 62 is not x86" },
    { "ELF64 i386", bad_elf64_machine_386, "ELF machine 3 is not x86" },
    { "ELF ARM", bad_elf_machine_arm, "ELF machine 40 is not x86" },
    { "ET_DYN", bad_elf_shared_object, "not an executable" },
    { "ET_REL", bad_elf_relocatable, "not an executable" },
    { "phoff", bad_elf_phoff_beyond_file, "program headers are outside the file" },
    { "phnum", bad_elf_phnum_beyond_file, "program headers are outside the file" },
    { "phentsize", bad_elf_phentsize_too_small, "program headers are outside the file" },
    { "no PT_LOAD", bad_elf_no_load_segment, "no loadable segment" },
    { "17 segments", bad_elf_too_many_segments, "more than 16 loadable segments" },
    { "ELF class", bad_elf_class, "unknown ELF class 3" },
    { "not ELF", bad_not_elf, "not an ELF file" },
    { "a.out truncated", bad_aout_truncated, "shorter than its multiboot header says" },
    { "a.out header < load", bad_aout_header_below_load, "addresses are inconsistent" },
    { "a.out header offset", bad_aout_header_offset_too_big, "addresses are inconsistent" },
    { "a.out load_end", bad_aout_load_end_below_load, "load_end_addr is below load_addr" },
    { "a.out bss_end", bad_aout_bss_below_load_end, "bss_end_addr is below" },
    { "a.out below 1 MiB", bad_aout_below_1m, "does not fit guest RAM" },
    { "a.out entry", bad_aout_entry_outside, "outside the loaded image" },
};

/* Every bad image: mb_check and mb_load both refuse it with the same
 * message, and mb_load writes nothing to guest RAM. */
static void test_bad_images(void)
{
    char check_err[sizeof(err)];
    struct mb_image_info info;

    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        bool ok = true;

        ncases++;
        bad[i].build();
        memset(check_err, 0, sizeof(check_err));
        ok &= mb_check(img, img_len, RAM_SIZE, &info, check_err, sizeof(check_err)) == -1;
        ok &= load("", NULL, 0) == -1;
        ok &= contains(err, bad[i].msg);
        ok &= strcmp(err, check_err) == 0;
        ok &= strchr(err, '\n') == NULL;
        ok &= ram_untouched();
        if (!ok)
            fprintf(stderr, "  bad[%u] (%s): check \"%s\", load \"%s\", want \"%s\"\n", i,
                    bad[i].name, check_err, err, bad[i].msg);
        CHECK(ok);
    }
}

static void test_error_truncated_to_errlen(void)
{
    char small[8];

    ncases++;
    bad_video_flag();
    memset(small, 'x', sizeof(small));
    CHECK_EQ(mb_check(img, img_len, RAM_SIZE, NULL, small, sizeof(small)), -1);
    CHECK_EQ(strlen(small), sizeof(small) - 1);
}

static void test_too_many_modules(void)
{
    struct mb_module mods[MB_MAX_MODULES + 1];

    ncases++;
    for (unsigned i = 0; i <= MB_MAX_MODULES; i++)
        mods[i] = (struct mb_module){ (const uint8_t *)"m", 1, "m" };
    build_elf(32);
    CHECK_EQ(load("", mods, MB_MAX_MODULES + 1), -1);
    CHECK(contains(err, "more than 8 modules"));
    CHECK(ram_untouched());
    /* mb_check knows nothing of modules: the image itself is fine. */
    CHECK_EQ(mb_check(img, img_len, RAM_SIZE, NULL, err, sizeof(err)), 0);
}

static void test_module_does_not_fit(void)
{
    uint64_t room = RAM_SIZE - page_up(STD_LOAD_HI);
    uint8_t *data = malloc(room + 1);
    struct mb_module mods[2];

    CHECK(data != NULL);
    if (!data)
        return;
    memset(data, 1, room + 1);

    /* The first module one byte too big. */
    ncases++;
    mods[0] = (struct mb_module){ data, room + 1, "big" };
    build_elf(32);
    CHECK_EQ(load("", mods, 1), -1);
    CHECK(contains(err, "module 1 ("));
    CHECK(contains(err, "does not fit in guest RAM"));
    CHECK_EQ(mb_check(img, img_len, RAM_SIZE, NULL, err, sizeof(err)), 0);

    /* The second one does not fit after the first's page. */
    ncases++;
    mods[0] = (struct mb_module){ data, 1, "small" };
    mods[1] = (struct mb_module){ data, room - 0x1000 + 1, "big" };
    CHECK_EQ(load("", mods, 2), -1);
    CHECK(contains(err, "module 2 ("));
    CHECK(contains(err, "does not fit in guest RAM"));

    /* Larger than all of RAM (the size check must not wrap). */
    ncases++;
    mods[0] = (struct mb_module){ data, (size_t)RAM_SIZE + 1, "huge" };
    CHECK_EQ(load_into(ram, RAM_SIZE, "", mods, 1), -1);
    CHECK(contains(err, "module 1 ("));
    free(data);
}

static void test_info_area_full(void)
{
    /* Strings are kept below 640 KiB with the information structure: a
     * command line of 640 KiB cannot fit. */
    size_t n = 640 * KiB;
    char *cmd = malloc(n + 1);
    struct mb_module mod;

    CHECK(cmd != NULL);
    if (!cmd)
        return;
    memset(cmd, 'a', n);
    cmd[n] = '\0';

    ncases++;
    build_elf(32);
    CHECK_EQ(load(cmd, NULL, 0), -1);
    CHECK(contains(err, "does not fit below 640 KiB"));

    ncases++;
    mod = (struct mb_module){ (const uint8_t *)"m", 1, cmd };
    CHECK_EQ(load("", &mod, 1), -1);
    CHECK(contains(err, "does not fit below 640 KiB"));
    CHECK(ram_is(MB_INFO_LIMIT, MB_LOWMEM_END - MB_INFO_LIMIT, FILL));

    /* Just under the limit still fits. */
    ncases++;
    cmd[100 * KiB] = '\0';
    CHECK_EQ(load(cmd, NULL, 0), 0);
    CHECK(guest_str_is(mbi(MBI_CMDLINE), cmd));
    free(cmd);
}

/* Guest RAM beyond 4 GiB (a sparse mapping): a 64-bit image may have a
 * segment up there, but the module list holds 32-bit addresses, so a module
 * must never be placed (or reported) at an address that does not fit. */
static void test_module_addresses_are_32_bit(void)
{
    static const struct phdr ph[2] = {
        { PT_LOAD, 0x1000, 0x100000, 0x100000, 0x1000, 0x1000 },
        { PT_LOAD, 0x2000, 4 * GiB, 4 * GiB, 0x100, 0x1000 },
    };
    const uint64_t big = 4 * GiB + 2 * MiB;
    struct mb_module mod = { (const uint8_t *)"module", 6, "m" };
    uint8_t *mem = mmap(NULL, big, PROT_READ | PROT_WRITE,
                        MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

    if (mem == MAP_FAILED) {
        printf("test_multiboot: no 4 GiB mapping, skipping the modules-above-4-GiB case\n");
        return;
    }
    ncases++;
    img_reset();
    put_elf(64, EM_X86_64, ET_EXEC, 0x100000, ph, 2);
    put_mb_header(HDR_OFF, 0);
    CHECK_EQ(mb_check(img, img_len, big, NULL, err, sizeof(err)), 0);
    int r = load_into(mem, big, "", &mod, 1);
    if (r == 0) {
        uint32_t list = get32(mem + res.info_gpa + MBI_MODS_ADDR);
        uint32_t start = get32(mem + list);
        CHECK_EQ(start, res.modules_end - 0x1000);
        CHECK(memcmp(mem + start, "module", 6) == 0);
    } else {
        CHECK(contains(err, "module 1 ("));
    }
    munmap(mem, big);
}

int main(void)
{
    ram = malloc(RAM_SIZE);
    if (!ram)
        return 2;
    test_elf32_no_modules();
    test_elf64_no_modules();
    test_mmap_high_ram();
    test_mb_check_elf_info();
    test_null_cmdline_is_empty();
    test_one_module();
    test_eight_modules();
    test_module_fills_ram_exactly();
    test_zero_length_module();
    test_elf_vaddr_differs_from_paddr();
    test_elf_ignores_other_headers();
    test_segment_ends_at_ram_end();
    test_entry_at_image_bounds();
    test_header_at_last_position();
    test_first_valid_header_wins();
    test_optional_flags_accepted();
    test_aout_kludge();
    test_aout_kludge_offset_in_file();
    test_aout_kludge_load_to_end_of_file();
    test_aout_kludge_overrides_elf();
    test_two_loads_independent();
    test_bad_images();
    test_error_truncated_to_errlen();
    test_too_many_modules();
    test_module_does_not_fit();
    test_info_area_full();
    test_module_addresses_are_32_bit();
    free(ram);
    printf("test_multiboot: %u cases\n", ncases);
    return check_report("test_multiboot");
}
