/* SPDX-License-Identifier: MIT */
/*
 * hv/linux_boot.c: a Linux kernel and its initrd are files on the ESP or
 * the TFTP server, anyone's to write.  Input: guest RAM size (byte 0:
 * 1 MiB + (b + 1) * 64 KiB, so kernels overflow it easily), the initrd
 * length (2 bytes, a slice of the input after the image), the command line
 * length (byte 3, a slice of a fixed string), then the image.  lb_check then
 * lb_load into guest RAM that ends where its heap buffer ends, so a write
 * past guest RAM is an ASan report.  Invariants:
 *   - lb_load refuses whatever lb_check refuses, with a message;
 *   - an accepted kernel lies in [1 MiB, RAM end) and below the identity
 *     map's end, its entry is load address + 0x200; an initrd lies above the
 *     kernel, below RAM's end and initrd_addr_max, page aligned;
 *   - what was loaded is there: the kernel's bytes, the initrd's bytes, the
 *     command line, and a zero page whose header says where they are, with
 *     an e820 map in address order whose RAM covers the kernel;
 *   - nothing in the BIOS area (Keel's ACPI tables) is touched.
 */
#include "fuzz.h"
#include "hv/linux_boot.h"

#define STEP    0x10000ull
#define MEM_MAX (LB_HIGHMEM + 256 * STEP)
#define FILL    0x5a

static const char cmdtext[] = "console=ttyS0 keel.check=1 loglevel=8 earlyprintk=serial,ttyS0 "
                              "nokaslr panic=-1 init=/init rdinit=/init quiet";

static const struct lb_platform plat = {
    .acpi_gpa = 0xe0000, .acpi_size = 0x10000, .rsdp_gpa = 0xe0000,
    .ioapic_gpa = 0xfec00000, .ioapic_size = 0x1000,
    .lapic_gpa = 0xfee00000, .lapic_size = 0x1000,
};

static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t get64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

static void check_e820(const uint8_t *bp, const struct lb_info *info, uint64_t mem)
{
    unsigned n = bp[LB_BP_E820_ENTRIES];
    bool kernel_in_ram = false;
    FUZZ_ASSERT(n >= 1 && n <= LB_E820_MAX);
    for (unsigned i = 0; i < n; i++) {
        const uint8_t *e = bp + LB_BP_E820_TABLE + 20 * i;
        uint64_t a = get64(e), sz = get64(e + 8);
        FUZZ_ASSERT(sz > 0);
        if (i)
            FUZZ_ASSERT(get64(e - 20) + get64(e - 12) <= a);
        if (get32(e + 16) == LB_E820_RAM) {
            FUZZ_ASSERT(a + sz <= mem);
            if (a <= info->load_addr && info->load_addr + info->init_size <= a + sz)
                kernel_in_ram = true;
        }
    }
    FUZZ_ASSERT(kernel_in_ram);
}

static void check_loaded(const uint8_t *img, const uint8_t *ram, uint64_t mem, const char *cmd,
                         const uint8_t *initrd, size_t initrd_len, const struct lb_info *info,
                         const struct lb_load_result *res)
{
    const uint8_t *bp = ram + res->boot_params;
    FUZZ_ASSERT(res->entry == info->load_addr + LB_ENTRY64_OFFSET);
    FUZZ_ASSERT(memcmp(&res->info, info, sizeof(*info)) == 0);
    FUZZ_ASSERT(memcmp(ram + info->load_addr, img + info->kernel_off, info->kernel_len) == 0);
    FUZZ_ASSERT(memcmp(bp + LB_OFF_HEADER, "HdrS", 4) == 0);
    FUZZ_ASSERT(get32(bp + LB_OFF_CMD_LINE_PTR) == LB_CMDLINE_GPA);
    FUZZ_ASSERT(strcmp((const char *)ram + LB_CMDLINE_GPA, cmd) == 0);
    FUZZ_ASSERT(get32(bp + LB_OFF_RAMDISK_SIZE) == initrd_len);
    FUZZ_ASSERT(get32(bp + LB_OFF_RAMDISK_IMAGE) == info->initrd_addr);
    if (initrd_len)
        FUZZ_ASSERT(memcmp(ram + info->initrd_addr, initrd, initrd_len) == 0);
    for (uint64_t a = LB_LOWMEM_END; a < LB_HIGHMEM; a += 0x1000)
        FUZZ_ASSERT(ram[a] == FILL);
    check_e820(bp, info, mem);
}

static void check_info(const uint8_t *img, uint64_t mem, size_t initrd_len,
                       const struct lb_info *info)
{
    FUZZ_ASSERT(info->load_addr >= LB_HIGHMEM && info->load_addr + info->init_size <= mem);
    FUZZ_ASSERT(info->load_addr + info->init_size <= LB_IDENTITY_MAP_END);
    FUZZ_ASSERT(info->kernel_len <= info->init_size);
    if (!initrd_len)
        return;
    uint64_t max = get32(img + LB_OFF_INITRD_MAX);
    FUZZ_ASSERT(info->initrd_addr % 4096 == 0);
    FUZZ_ASSERT(info->initrd_addr >= info->load_addr + info->init_size);
    FUZZ_ASSERT(info->initrd_addr + initrd_len <= mem && info->initrd_addr + initrd_len - 1 <= max);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    uint64_t mem = LB_HIGHMEM + ((uint64_t)fuzz_u8(&in) + 1) * STEP;
    size_t initrd_len = fuzz_u16(&in);
    size_t cmdlen = fuzz_u8(&in) % sizeof(cmdtext);
    char cmd[sizeof(cmdtext)];
    memcpy(cmd, cmdtext, cmdlen);
    cmd[cmdlen] = 0;
    /* the initrd is the input's tail, when there is enough of it */
    if (initrd_len > in.n)
        initrd_len = in.n;
    const uint8_t *img = in.p, *initrd = in.p + (in.n - initrd_len);
    size_t len = in.n;
    struct lb_info info;
    struct lb_load_result res;
    char err[200] = "";
    int checked = lb_check(img, len, mem, cmd, initrd_len, &info, err, sizeof(err));
    FUZZ_ASSERT(checked == 0 || (checked == -1 && err[0]));
    if (checked == 0)
        check_info(img, mem, initrd_len, &info);
    static uint8_t *buf;
    if (!buf)
        buf = malloc(MEM_MAX);
    uint8_t *ram = buf + (MEM_MAX - mem);
    memset(ram + LB_LOWMEM_END, FILL, LB_HIGHMEM - LB_LOWMEM_END);
    err[0] = 0;
    int loaded = lb_load(img, len, cmd, initrd, initrd_len, &plat, ram, mem, &res, err,
                         sizeof(err));
    FUZZ_ASSERT(loaded == checked);
    FUZZ_ASSERT(loaded == 0 || err[0]);
    if (loaded == 0)
        check_loaded(img, ram, mem, cmd, initrd, initrd_len, &info, &res);
    return 0;
}
