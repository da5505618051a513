/* SPDX-License-Identifier: MIT */
/*
 * hv/multiboot.c: a guest image and its modules are files on the ESP or
 * the TFTP server, anyone's to write.  Input: guest RAM size (byte 0:
 * 1 MiB + (b + 1) * 8 KiB, so images overflow it easily), the module count
 * (byte 1, 0..9: 9 is one too many), per module a 2-byte offset and length
 * into the image (modules are slices of it), then the image.
 * mb_check then mb_load into guest RAM that ends where its heap buffer
 * ends, so a write past guest RAM is an ASan report.  Invariants:
 *   - mb_load refuses whatever mb_check refuses; an accepted image has its
 *     entry inside [load_lo, load_hi), which lies in [1 MiB, RAM size);
 *   - the information structure at MB_INFO_GPA says what was loaded: flags,
 *     memory sizes, the command line, each module's bytes at a page-aligned
 *     address above the image and inside RAM, the memory map; every
 *     pointer in it is below MB_INFO_LIMIT.
 */
#include "fuzz.h"
#include "hv/multiboot.h"

#define CMDLINE "console=ttyS0 fuzz"
#define MEM_MAX (MB_HIGHMEM + 256 * 0x2000ull)

static uint32_t get32(const uint8_t *ram, uint64_t gpa)
{
    uint32_t v;

    memcpy(&v, ram + gpa, 4);
    return v;
}

static void check_modules(const uint8_t *ram, uint64_t mem, const struct mb_module *mods,
                          unsigned nmods, const struct mb_image_info *info,
                          const struct mb_load_result *res)
{
    uint32_t list = get32(ram, MB_INFO_GPA + 24);
    uint64_t prev_end = info->load_hi;

    FUZZ_ASSERT(get32(ram, MB_INFO_GPA + 20) == nmods);
    FUZZ_ASSERT(list >= MB_INFO_GPA && list + 16ull * nmods <= MB_INFO_LIMIT);
    for (unsigned i = 0; i < nmods; i++) {
        uint32_t start = get32(ram, list + 16 * i), end = get32(ram, list + 16 * i + 4);
        uint32_t str = get32(ram, list + 16 * i + 8);

        FUZZ_ASSERT(start % 4096 == 0 && start >= prev_end && end - start == mods[i].len);
        FUZZ_ASSERT(end <= mem && end <= res->modules_end);
        FUZZ_ASSERT(memcmp(ram + start, mods[i].data, mods[i].len) == 0);
        FUZZ_ASSERT(str >= MB_INFO_GPA && str < MB_INFO_LIMIT &&
                    strcmp((const char *)ram + str, mods[i].cmdline) == 0);
        prev_end = end;
    }
}

static void check_info(const uint8_t *ram, uint64_t mem, const struct mb_module *mods,
                       unsigned nmods, const struct mb_image_info *info,
                       const struct mb_load_result *res)
{
    const uint32_t flags = MBI_FLAG_MEM | MBI_FLAG_CMDLINE | MBI_FLAG_MODS | MBI_FLAG_MMAP |
                           MBI_FLAG_LOADER;
    uint32_t cmd = get32(ram, MB_INFO_GPA + 16), mmap = get32(ram, MB_INFO_GPA + 48);

    FUZZ_ASSERT(res->entry == info->entry && res->info_gpa == MB_INFO_GPA);
    FUZZ_ASSERT(get32(ram, MB_INFO_GPA) == flags);
    FUZZ_ASSERT(get32(ram, MB_INFO_GPA + 4) == MB_LOWMEM_END / 1024);
    FUZZ_ASSERT(get32(ram, MB_INFO_GPA + 8) == (mem - MB_HIGHMEM) / 1024);
    FUZZ_ASSERT(cmd >= MB_INFO_GPA && cmd < MB_INFO_LIMIT &&
                strcmp((const char *)ram + cmd, CMDLINE) == 0);
    FUZZ_ASSERT(get32(ram, MB_INFO_GPA + 44) == 72 && mmap >= MB_INFO_GPA &&
                mmap + 72 <= MB_INFO_LIMIT);
    FUZZ_ASSERT(get32(ram, mmap + 48 + 4) == MB_HIGHMEM &&
                get32(ram, mmap + 48 + 12) == mem - MB_HIGHMEM);
    check_modules(ram, mem, mods, nmods, info, res);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char *const names[] = { "m0", "m1 a", "m2 b c", "", "m4", "m5", "m6", "m7",
                                         "m8" };
    struct fuzz_in in = { data, size };
    uint64_t mem = MB_HIGHMEM + ((uint64_t)fuzz_u8(&in) + 1) * 0x2000;
    unsigned nmods = fuzz_u8(&in) % 10;
    struct mb_module mods[9];
    struct mb_image_info info;
    struct mb_load_result res;
    char err[160];
    uint8_t *ram;
    int checked, loaded;

    for (unsigned i = 0; i < nmods; i++) {
        uint16_t off = fuzz_u16(&in), len = fuzz_u16(&in);

        mods[i].cmdline = names[i];
        mods[i].data = in.p;
        mods[i].len = 0;
        if (off <= in.n) {
            mods[i].data = in.p + off;
            mods[i].len = len <= in.n - off ? len : in.n - off;
        }
    }
    checked = mb_check(in.p, in.n, mem, &info, err, sizeof(err));
    FUZZ_ASSERT(checked == 0 || checked == -1);
    if (checked == 0) {
        FUZZ_ASSERT(info.load_lo >= MB_HIGHMEM && info.load_lo < info.load_hi &&
                    info.load_hi <= mem);
        FUZZ_ASSERT(info.entry >= info.load_lo && info.entry < info.load_hi);
        FUZZ_ASSERT(info.is_aout_kludge ? info.elf_class == 0
                                        : info.elf_class == 32 || info.elf_class == 64);
    }
    /* One buffer for every run (a fresh multi-MiB allocation per run costs
     * more than the loader); guest RAM is its last mem bytes. */
    static uint8_t *buf;
    if (!buf)
        buf = malloc(MEM_MAX);
    ram = buf + (MEM_MAX - mem);
    loaded = mb_load(in.p, in.n, CMDLINE, mods, nmods, ram, mem, 0, &res, err, sizeof(err));
    FUZZ_ASSERT(loaded == 0 || (loaded == -1 && strnlen(err, sizeof(err)) > 0));
    FUZZ_ASSERT(checked == 0 || loaded != 0);
    if (loaded == 0) {
        FUZZ_ASSERT(checked == 0 && nmods <= MB_MAX_MODULES);
        check_info(ram, mem, mods, nmods, &info, &res);
    }
    return 0;
}
