/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for hv/linux_boot.c: hand-made bzImage headers (Linux
 * Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header") are
 * checked and loaded into a byte array standing for guest RAM; the kernel
 * and initrd bytes, the zero page, the e820 map, the command line, the GDT
 * and the page tables are checked, and each bad header is refused with a
 * message saying why.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "hv/linux_boot.h"

#define MiB (1024ull * 1024)
#define RAM_SIZE (64 * MiB)
#define FILL 0xa5

/* Test image: 4 setup sectors + the boot sector, then KERNEL_LEN bytes. */
#define SETUP_SECTS 4
#define KERNEL_OFF ((SETUP_SECTS + 1) * 512)
#define KERNEL_LEN (64 * 1024)
#define IMG_LEN (KERNEL_OFF + KERNEL_LEN)

static uint8_t img[IMG_LEN + 4096];

static void put16(uint8_t *p, uint16_t v) { memcpy(p, &v, 2); }
static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }
static uint16_t get16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/* A 2.15 header like Debian's 6.1 kernel: relocatable, 64-bit entry,
 * preferred at 16 MiB, 2 MiB alignment, init_size 4 MiB. */
static void make_image(void)
{
    memset(img, 0, sizeof(img));
    img[0x1f1] = SETUP_SECTS;
    put32(img + 0x1f4, KERNEL_LEN / 16);
    put16(img + 0x1fe, 0xaa55);
    img[0x200] = 0xeb;
    img[0x201] = 0x6a;             /* header ends at 0x26c */
    memcpy(img + 0x202, "HdrS", 4);
    put16(img + 0x206, 0x020f);
    img[0x211] = 0x01;             /* LOADED_HIGH */
    put32(img + 0x22c, 0x7fffffff); /* initrd_addr_max */
    put32(img + 0x230, 2 * MiB);   /* kernel_alignment */
    img[0x234] = 1;                /* relocatable */
    put16(img + 0x236, 0x0001);    /* XLF_KERNEL_64 */
    put32(img + 0x238, 2047);      /* cmdline_size */
    put64(img + 0x258, 16 * MiB);  /* pref_address */
    put32(img + 0x260, 4 * MiB);   /* init_size */
    for (unsigned i = 0; i < KERNEL_LEN; i++)
        img[KERNEL_OFF + i] = (uint8_t)(i * 7 + 3);
}

static const struct lb_platform plat = {
    .acpi_gpa = 0xe0000, .acpi_size = 0x10000, .rsdp_gpa = 0xe0000,
    .ioapic_gpa = 0xfec00000, .ioapic_size = 0x1000,
    .lapic_gpa = 0xfee00000, .lapic_size = 0x1000,
};

static uint8_t *ram;

static int load(size_t len, uint64_t mem, const char *cmdline, const uint8_t *initrd,
                size_t initrd_len, struct lb_load_result *res, char *err)
{
    memset(ram, FILL, RAM_SIZE);
    return lb_load(img, len, cmdline, initrd, initrd_len, &plat, ram, mem, res, err, 200);
}

/* lb_check and lb_load both refuse, with a message containing @what. */
static void expect_refused(size_t len, uint64_t mem, const char *cmdline, size_t initrd_len,
                           const char *what)
{
    static uint8_t initrd[1];
    char err[200] = "", err2[200] = "";
    struct lb_load_result res;
    CHECK(lb_check(img, len, mem, cmdline, initrd_len, NULL, err, sizeof(err)) == -1);
    CHECK(strstr(err, what) != NULL);
    if (!strstr(err, what))
        fprintf(stderr, "  message was: %s\n", err);
    /* lb_load gets a 1-byte initrd buffer: a refusal must come before any copy */
    CHECK(load(len, mem, cmdline, initrd, initrd_len, &res, err2) == -1);
    CHECK(strcmp(err, err2) == 0);
}

static void test_recognise(void)
{
    make_image();
    CHECK(lb_is_bzimage(img, IMG_LEN));
    CHECK(!lb_is_bzimage(img, 0x205));
    CHECK(!lb_is_bzimage(NULL, 0));
    img[0x202] = 'h';
    CHECK(!lb_is_bzimage(img, IMG_LEN));
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "not a Linux kernel");
    make_image();
    put16(img + 0x1fe, 0x55aa);
    CHECK(!lb_is_bzimage(img, IMG_LEN));
}

static void check_zero_page(const struct lb_load_result *res, size_t initrd_len)
{
    const uint8_t *bp = ram + res->boot_params;
    CHECK(memcmp(bp + 0x202, "HdrS", 4) == 0);
    CHECK_EQ(get16(bp + 0x206), 0x020f);
    CHECK_EQ(bp[0x210], 0xff);                      /* type_of_loader: undefined */
    CHECK_EQ(bp[0x211] & 1, 1);                     /* LOADED_HIGH kept */
    CHECK_EQ(get32(bp + 0x214), 16 * MiB);          /* code32_start */
    CHECK_EQ(get32(bp + 0x228), LB_CMDLINE_GPA);
    CHECK_EQ(get32(bp + 0x21c), initrd_len);
    CHECK_EQ(get32(bp + 0xc8), 0);                  /* ext_cmd_line_ptr */
    CHECK_EQ(get64(bp + 0x70), 0xe0000);            /* acpi_rsdp_addr */
    CHECK_EQ(bp[0x1ef], 0);                         /* sentinel */
    CHECK_EQ(bp[0x26c], 0);                         /* past the header: zeroed */
    CHECK_EQ(bp[0x1e8], 7);                         /* e820_entries */
    const uint8_t *e = bp + 0x2d0;
    /* RAM 1 MiB .. end: the fifth entry */
    CHECK_EQ(get64(e + 4 * 20), MiB);
    CHECK_EQ(get64(e + 4 * 20 + 8), RAM_SIZE - MiB);
    CHECK_EQ(get32(e + 4 * 20 + 16), 1);
}

static void test_load_valid(void)
{
    static uint8_t initrd[100000];
    struct lb_load_result res;
    char err[200] = "";
    struct lb_info info;
    make_image();
    for (unsigned i = 0; i < sizeof(initrd); i++)
        initrd[i] = (uint8_t)(i ^ 0x5a);
    CHECK(lb_check(img, IMG_LEN, RAM_SIZE, "console=ttyS0", sizeof(initrd), &info, err, 200) == 0);
    CHECK_EQ(info.load_addr, 16 * MiB);
    CHECK_EQ(info.kernel_off, KERNEL_OFF);
    CHECK_EQ(info.kernel_len, KERNEL_LEN);
    /* as high as possible below the end of RAM, page aligned */
    CHECK_EQ(info.initrd_addr, (RAM_SIZE - sizeof(initrd)) & ~0xfffull);
    CHECK(load(IMG_LEN, RAM_SIZE, "console=ttyS0", initrd, sizeof(initrd), &res, err) == 0);
    CHECK_EQ(res.entry, 16 * MiB + 0x200);
    CHECK(memcmp(ram + 16 * MiB, img + KERNEL_OFF, KERNEL_LEN) == 0);
    CHECK(memcmp(ram + info.initrd_addr, initrd, sizeof(initrd)) == 0);
    CHECK(strcmp((const char *)ram + LB_CMDLINE_GPA, "console=ttyS0") == 0);
    CHECK_EQ(get32(ram + res.boot_params + 0x218), info.initrd_addr);
    check_zero_page(&res, sizeof(initrd));
    /* nothing written in the BIOS area (Keel's ACPI tables live there) */
    CHECK_EQ(ram[0xe0000], FILL);
    CHECK_EQ(ram[0xfffff], FILL);
}

static void test_paging_and_gdt(void)
{
    struct lb_load_result res;
    char err[200];
    make_image();
    CHECK(load(IMG_LEN, RAM_SIZE, "", NULL, 0, &res, err) == 0);
    CHECK_EQ(res.cr3, LB_PML4_GPA);
    uint64_t pml4e = get64(ram + res.cr3);
    CHECK_EQ(pml4e & 3, 3);
    uint64_t pdpt = pml4e & ~0xfffull;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pdpte = get64(ram + pdpt + 8 * i);
        CHECK_EQ(pdpte & 0x83, 3);
        uint64_t pd = pdpte & ~0xfffull;
        /* each 2 MiB page maps itself: check a few */
        CHECK_EQ(get64(ram + pd), ((uint64_t)i << 30) | 0x83);
        CHECK_EQ(get64(ram + pd + 8 * 511), ((uint64_t)i << 30) + 511 * 2 * MiB + 0x83);
    }
    CHECK_EQ(get64(ram + pdpt + 8 * 4), 0);
    CHECK_EQ(res.gdt_limit, 0x1f);
    /* __BOOT_CS: present, DPL 0, code exec/read, L = 1, D = 0; __BOOT_DS: data r/w */
    uint64_t cs = get64(ram + res.gdt_base + 0x10), ds = get64(ram + res.gdt_base + 0x18);
    CHECK_EQ((cs >> 40) & 0xff, 0x9b);
    CHECK_EQ((cs >> 53) & 3, 1);
    CHECK_EQ((ds >> 40) & 0xff, 0x93);
    CHECK_EQ(get64(ram + res.gdt_base), 0);
    CHECK_EQ(get32(ram + res.boot_params + 0x21c), 0); /* no initrd */
    CHECK_EQ(get32(ram + res.boot_params + 0x218), 0);
}

static void test_bad_headers(void)
{
    make_image();
    put16(img + 0x206, 0x0206);
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "2.06 is too old");
    make_image();
    put16(img + 0x206, 0x020b);
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "2.11 is too old");
    make_image();
    expect_refused(IMG_LEN - 1, RAM_SIZE, "", 0, "truncated");
    expect_refused(KERNEL_OFF - 1, RAM_SIZE, "", 0, "truncated");
    expect_refused(0x260, RAM_SIZE, "", 0, "setup header is truncated");
    img[0x201] = 0x10; /* header ends before init_size */
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "setup header is truncated");
    make_image();
    img[0x201] = 0xff; /* past the zero page's header area */
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "setup header is truncated");
    make_image();
    put16(img + 0x236, 0);
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "no 64-bit entry point");
    make_image();
    img[0x211] = 0;
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "not a bzImage");
    make_image();
    put32(img + 0x1f4, 0);
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "truncated");
    make_image();
    put32(img + 0x260, KERNEL_LEN - 16);
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "init_size");
}

static void test_placement(void)
{
    struct lb_info info;
    char err[200];
    make_image();
    img[0x234] = 0; /* not relocatable */
    put64(img + 0x258, 62 * MiB); /* 62 + 4 MiB > 64 MiB */
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "not relocatable");
    put64(img + 0x258, 0x90000);  /* below 1 MiB */
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "not relocatable");
    put64(img + 0x258, 2 * MiB);
    CHECK(lb_check(img, IMG_LEN, RAM_SIZE, "", 0, &info, err, 200) == 0);
    CHECK_EQ(info.load_addr, 2 * MiB);
    /* relocatable: still needs pref_address .. + init_size (its decompressor
     * never runs below it) */
    make_image();
    expect_refused(IMG_LEN, 16 * MiB, "", 0, "too small for the kernel");
    CHECK(lb_check(img, IMG_LEN, 20 * MiB, "", 0, &info, err, 200) == 0);
    CHECK_EQ(info.load_addr, 16 * MiB);
    /* pref_address below 1 MiB or unaligned: the next aligned place */
    put64(img + 0x258, 0);
    CHECK(lb_check(img, IMG_LEN, 16 * MiB, "", 0, &info, err, 200) == 0);
    CHECK_EQ(info.load_addr, 2 * MiB);
    expect_refused(IMG_LEN, 5 * MiB, "", 0, "too small for the kernel");
    put64(img + 0x258, 3 * MiB);
    CHECK(lb_check(img, IMG_LEN, 16 * MiB, "", 0, &info, err, 200) == 0);
    CHECK_EQ(info.load_addr, 4 * MiB);
    put64(img + 0x258, ~0ull);
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "too small for the kernel");
    put32(img + 0x230, 3 * MiB);
    expect_refused(IMG_LEN, RAM_SIZE, "", 0, "kernel_alignment");
}

static void test_initrd_and_cmdline(void)
{
    struct lb_info info;
    char err[200], cmd[2100];
    make_image();
    /* kernel ends at 20 MiB: 44 MiB left below 64 MiB */
    expect_refused(IMG_LEN, RAM_SIZE, "", 44 * MiB + 1, "initrd");
    CHECK(lb_check(img, IMG_LEN, RAM_SIZE, "", 44 * MiB, &info, err, 200) == 0);
    CHECK_EQ(info.initrd_addr, 20 * MiB);
    put32(img + 0x22c, 32 * MiB - 1); /* initrd_addr_max */
    CHECK(lb_check(img, IMG_LEN, RAM_SIZE, "", 4096, &info, err, 200) == 0);
    CHECK_EQ(info.initrd_addr, 32 * MiB - 4096);
    expect_refused(IMG_LEN, RAM_SIZE, "", 12 * MiB + 1, "initrd");
    make_image();
    memset(cmd, 'x', sizeof(cmd));
    cmd[2047] = 0;
    CHECK(lb_check(img, IMG_LEN, RAM_SIZE, cmd, 0, NULL, err, 200) == 0);
    cmd[2047] = 'x';
    cmd[2048] = 0;
    expect_refused(IMG_LEN, RAM_SIZE, cmd, 0, "command line has 2048 characters");
    put32(img + 0x238, 255);
    cmd[256] = 0;
    expect_refused(IMG_LEN, RAM_SIZE, cmd, 0, "at most 255");
}

static void test_e820(void)
{
    struct lb_e820 m[LB_E820_MAX];
    unsigned n = lb_build_e820(&plat, 128 * MiB, m, LB_E820_MAX);
    static const struct lb_e820 want[] = {
        { 0, 0xa0000, 1 }, { 0xa0000, 0x40000, 2 }, { 0xe0000, 0x10000, 3 },
        { 0xf0000, 0x10000, 2 }, { MiB, 127 * MiB, 1 }, { 0xfec00000, 0x1000, 2 },
        { 0xfee00000, 0x1000, 2 },
    };
    CHECK_EQ(n, 7);
    for (unsigned i = 0; i < n && i < 7; i++) {
        CHECK_EQ(m[i].addr, want[i].addr);
        CHECK_EQ(m[i].size, want[i].size);
        CHECK_EQ(m[i].type, want[i].type);
    }
    /* sorted and non-overlapping */
    for (unsigned i = 1; i < n; i++)
        CHECK(m[i - 1].addr + m[i - 1].size <= m[i].addr);
    /* no room: cut at max */
    CHECK_EQ(lb_build_e820(&plat, 128 * MiB, m, 3), 3);
    /* ACPI outside the legacy hole: the whole hole reserved */
    struct lb_platform p2 = plat;
    p2.acpi_gpa = 0x9000;
    n = lb_build_e820(&p2, 128 * MiB, m, LB_E820_MAX);
    CHECK_EQ(n, 5);
    CHECK_EQ(m[1].addr, 0xa0000);
    CHECK_EQ(m[1].size, 0x60000);
}

/* A 6 GiB VM (hv/mm/guest_ram.h): RAM to 2 GiB, the ECAM window reserved
 * in the hole (Linux wants its MCFG window reserved), RAM from 4 GiB. */
static void test_e820_above_4g(void)
{
    struct lb_e820 m[LB_E820_MAX];
    struct lb_platform p = plat;
    static const struct lb_e820 want[] = {
        { 0, 0xa0000, 1 }, { 0xa0000, 0x40000, 2 }, { 0xe0000, 0x10000, 3 },
        { 0xf0000, 0x10000, 2 }, { MiB, 2048 * MiB - MiB, 1 }, { 0xb0000000, 0x10000000, 2 },
        { 0xfec00000, 0x1000, 2 }, { 0xfee00000, 0x1000, 2 }, { 0x100000000ull, 4096 * MiB, 1 },
    };
    p.high_ram_size = 4096 * MiB;
    p.ecam_gpa = 0xb0000000;
    p.ecam_size = 0x10000000;
    unsigned n = lb_build_e820(&p, 2048 * MiB, m, LB_E820_MAX);
    CHECK_EQ(n, 9);
    for (unsigned i = 0; i < n && i < 9; i++) {
        CHECK_EQ(m[i].addr, want[i].addr);
        CHECK_EQ(m[i].size, want[i].size);
        CHECK_EQ(m[i].type, want[i].type);
    }
    for (unsigned i = 1; i < n; i++)
        CHECK(m[i - 1].addr + m[i - 1].size <= m[i].addr);
    /* RAM reaching the ECAM window (a bad layout): the window is not listed over it */
    n = lb_build_e820(&p, 0xc0000000ull, m, LB_E820_MAX);
    for (unsigned i = 0; i < n; i++)
        CHECK(!(m[i].addr == 0xb0000000 && m[i].type == 2));
}

int main(void)
{
    ram = malloc(RAM_SIZE);
    if (!ram)
        return 2;
    test_recognise();
    test_load_valid();
    test_paging_and_gdt();
    test_bad_headers();
    test_placement();
    test_initrd_and_cmdline();
    test_e820();
    test_e820_above_4g();
    free(ram);
    return check_report("test_linux_boot");
}
