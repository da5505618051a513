/* SPDX-License-Identifier: MIT */
/*
 * The Linux x86 boot protocol loader (hv/linux_boot.h).  Section names in
 * the comments are those of Linux's Documentation/arch/x86/boot.rst.
 */
#include "hv/linux_boot.h"

#include <stdio.h>
#include <string.h>

#define SECTOR           512u
#define PAGE             4096ull
#define MiB              (1ull << 20)

/* Page-table entry bits (SDM vol. 3 4.5, tables 4-15 .. 4-18). */
#define PTE_P            (1ull << 0)
#define PTE_RW           (1ull << 1)
#define PTE_PS           (1ull << 7)
#define PDE_2M_SIZE      (2ull << 20)

/* GDT descriptors (SDM vol. 3 3.4.5): base 0, limit 0xFFFFF, G = 1; code
 * executable/readable with L = 1 (64-bit mode), data read/write with D/B. */
#define GDT_CODE64       0x00af9b000000ffffull
#define GDT_DATA         0x00cf93000000ffffull

static uint16_t rd16(const uint8_t *p) { uint16_t v; memcpy(&v, p, 2); return v; }
static uint32_t rd32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static uint64_t rd64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }
static void wr8(uint8_t *p, uint8_t v) { *p = v; }
static void wr32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void wr64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

bool lb_is_bzimage(const uint8_t *image, size_t len)
{
    return image && len >= LB_OFF_HEADER + 4 && rd16(image + LB_OFF_BOOT_FLAG) == LB_BOOT_FLAG &&
           rd32(image + LB_OFF_HEADER) == LB_HEADER_MAGIC;
}

/* The header's own idea of its end: 0x202 plus the jump's displacement byte
 * ("the end of the setup header can be calculated as follows: 0x0202 +
 * byte value at offset 0x0201"). */
static size_t header_end(const uint8_t *image)
{
    return LB_OFF_HEADER + image[LB_OFF_JUMP + 1];
}

static int check_header(const uint8_t *img, size_t len, struct lb_info *info, char *err,
                        size_t errlen)
{
    if (!lb_is_bzimage(img, len)) {
        snprintf(err, errlen, "not a Linux kernel (no boot flag 0xAA55 and \"HdrS\" setup header)");
        return -1;
    }
    if (len < LB_OFF_VERSION + 2) { /* "HdrS" may be the file's last bytes */
        snprintf(err, errlen, "the setup header is truncated (the file has %zu bytes)", len);
        return -1;
    }
    info->version = rd16(img + LB_OFF_VERSION);
    if (info->version < LB_MIN_VERSION) {
        snprintf(err, errlen, "Linux boot protocol %u.%02u is too old: Keel needs 2.12 or later "
                 "(the 64-bit entry point, Linux 3.8 and later)", info->version >> 8,
                 info->version & 0xff);
        return -1;
    }
    size_t end = header_end(img);
    if (end < LB_OFF_INIT_SIZE + 4 || end > LB_HDR_MAX_END || end > len) {
        snprintf(err, errlen, "the setup header is truncated or malformed (it ends at %#zx, "
                 "the file has %zu bytes)", end, len);
        return -1;
    }
    if (!(img[LB_OFF_LOADFLAGS] & LB_LOADFLAG_LOADED_HIGH)) {
        snprintf(err, errlen, "not a bzImage (a zImage loaded below 1 MiB)");
        return -1;
    }
    if (!(rd16(img + LB_OFF_XLOADFLAGS) & LB_XLF_KERNEL_64)) {
        snprintf(err, errlen, "the kernel has no 64-bit entry point (xloadflags "
                 "XLF_KERNEL_64 clear): a 32-bit kernel");
        return -1;
    }
    unsigned sects = img[LB_OFF_SETUP_SECTS] ? img[LB_OFF_SETUP_SECTS] : 4u;
    info->kernel_off = (uint64_t)(sects + 1) * SECTOR;
    info->kernel_len = (uint64_t)rd32(img + LB_OFF_SYSSIZE) * 16;
    if (info->kernel_len == 0 || info->kernel_off > len || info->kernel_len > len - info->kernel_off) {
        snprintf(err, errlen, "the image is truncated: setup and kernel need %llu bytes, the "
                 "file has %zu", (unsigned long long)(info->kernel_off + info->kernel_len), len);
        return -1;
    }
    info->init_size = rd32(img + LB_OFF_INIT_SIZE);
    if (info->init_size < info->kernel_len) {
        snprintf(err, errlen, "init_size %#llx is smaller than the kernel (%#llx bytes)",
                 (unsigned long long)info->init_size, (unsigned long long)info->kernel_len);
        return -1;
    }
    info->cmdline_size = rd32(img + LB_OFF_CMDLINE_SIZE);
    info->relocatable = img[LB_OFF_RELOCATABLE] != 0;
    return 0;
}

static bool fits(uint64_t at, uint64_t size, uint64_t lo, uint64_t hi)
{
    return at >= lo && at <= hi && size <= hi - at;
}

/* "Loading The Rest of The Kernel": at pref_address.  A non-relocatable
 * kernel runs only there; a relocatable one could be loaded elsewhere, but
 * its decompressor never works below LOAD_PHYSICAL_ADDR, which pref_address
 * is (arch/x86/boot/compressed/head_64.S), so [pref_address, + init_size)
 * must be RAM either way.  A relocatable kernel whose pref_address is below
 * 1 MiB goes at the first kernel_alignment multiple above it. */
static int place_kernel(const uint8_t *img, uint64_t mem_size, struct lb_info *info, char *err,
                        size_t errlen)
{
    uint64_t at = rd64(img + LB_OFF_PREF_ADDRESS);
    uint64_t align = rd32(img + LB_OFF_KERNEL_ALIGN);
    uint64_t top = mem_size < LB_IDENTITY_MAP_END ? mem_size : LB_IDENTITY_MAP_END;
    if (!info->relocatable) {
        if (!fits(at, info->init_size, LB_HIGHMEM, top)) {
            snprintf(err, errlen, "the kernel is not relocatable and needs [%#llx, %#llx), "
                     "outside guest RAM [1 MiB, %llu MiB)", (unsigned long long)at,
                     (unsigned long long)(at + info->init_size),
                     (unsigned long long)(top / MiB));
            return -1;
        }
        info->load_addr = at;
        return 0;
    }
    if (align < PAGE || (align & (align - 1)) || align > (1ull << 30)) {
        snprintf(err, errlen, "kernel_alignment %#llx is not a power of two from 4 KiB to 1 GiB",
                 (unsigned long long)align);
        return -1;
    }
    if (at < LB_HIGHMEM || at % align)
        at = at < LB_HIGHMEM ? (LB_HIGHMEM + align - 1) & ~(align - 1)
                             : (at + align - 1) & ~(align - 1);
    if (!fits(at, info->init_size, LB_HIGHMEM, top)) {
        snprintf(err, errlen, "guest RAM (%llu MiB) is too small for the kernel: it needs "
                 "%llu MiB from %#llx (give the VM more memory)",
                 (unsigned long long)(mem_size / MiB),
                 (unsigned long long)((info->init_size + MiB - 1) / MiB), (unsigned long long)at);
        return -1;
    }
    info->load_addr = at;
    return 0;
}

/* "initrd_addr_max": the initrd's last byte at or below it, and below the
 * end of RAM; Keel puts it as high as it can (as boot loaders do), page
 * aligned, and above the kernel's init_size area. */
static int place_initrd(const uint8_t *img, uint64_t mem_size, size_t initrd_len,
                        struct lb_info *info, char *err, size_t errlen)
{
    info->initrd_addr = 0;
    if (!initrd_len)
        return 0;
    uint64_t top = (uint64_t)rd32(img + LB_OFF_INITRD_MAX) + 1;
    if (top > mem_size)
        top = mem_size;
    uint64_t floor = info->load_addr + info->init_size;
    uint64_t at = initrd_len <= top ? (top - initrd_len) & ~(PAGE - 1) : 0;
    if (initrd_len > top || at < floor) {
        snprintf(err, errlen, "the initrd (%zu bytes) does not fit in guest RAM between the "
                 "kernel's end %#llx and %#llx (initrd_addr_max, RAM end): give the VM more memory",
                 initrd_len, (unsigned long long)floor, (unsigned long long)top);
        return -1;
    }
    info->initrd_addr = at;
    return 0;
}

static int plan(const uint8_t *img, size_t len, uint64_t mem_size, const char *cmdline,
                size_t initrd_len, struct lb_info *info, char *err, size_t errlen)
{
    memset(info, 0, sizeof(*info));
    if (check_header(img, len, info, err, errlen) || place_kernel(img, mem_size, info, err, errlen)
        || place_initrd(img, mem_size, initrd_len, info, err, errlen))
        return -1;
    size_t n = strlen(cmdline ? cmdline : "");
    if (n > info->cmdline_size || n >= LB_CMDLINE_LIMIT - LB_CMDLINE_GPA) {
        snprintf(err, errlen, "the command line has %zu characters, the kernel takes at most %u",
                 n, info->cmdline_size);
        return -1;
    }
    return 0;
}

int lb_check(const uint8_t *image, size_t len, uint64_t mem_size, const char *cmdline,
             size_t initrd_len, struct lb_info *info, char *err, size_t errlen)
{
    struct lb_info local;
    return plan(image, len, mem_size, cmdline, initrd_len, info ? info : &local, err, errlen);
}

static void add_range(struct lb_e820 *out, unsigned *n, unsigned max, uint64_t addr,
                      uint64_t end, uint32_t type)
{
    if (end <= addr || *n >= max)
        return;
    unsigned i = (*n)++;
    while (i > 0 && out[i - 1].addr > addr) { /* keep address order */
        out[i] = out[i - 1];
        i--;
    }
    out[i] = (struct lb_e820){ .addr = addr, .size = end - addr, .type = type };
}

/* RAM below 640 KiB, from 1 MiB to mem_size and, with high_ram_size, from
 * 4 GiB (the hole between for PCI: hv/mm/guest_ram.h); the legacy hole between
 * (VGA, option ROMs, BIOS: what a PC's firmware reserves) reserved, with
 * the ACPI tables in it as ACPI (ACPI 6.5 15.1: "AddressRangeACPI"); the
 * I/O APIC and local APIC pages reserved so nothing is allocated there. */
unsigned lb_build_e820(const struct lb_platform *plat, uint64_t mem_size, struct lb_e820 *out,
                       unsigned max)
{
    unsigned n = 0;
    uint64_t low_end = mem_size < LB_LOWMEM_END ? mem_size : LB_LOWMEM_END;
    uint64_t acpi_lo = plat->acpi_gpa, acpi_hi = plat->acpi_gpa + plat->acpi_size;
    add_range(out, &n, max, 0, low_end, LB_E820_RAM);
    if (plat->acpi_size && acpi_lo >= LB_LOWMEM_END && acpi_hi <= LB_HIGHMEM) {
        add_range(out, &n, max, LB_LOWMEM_END, acpi_lo, LB_E820_RESERVED);
        add_range(out, &n, max, acpi_lo, acpi_hi, LB_E820_ACPI);
        add_range(out, &n, max, acpi_hi, LB_HIGHMEM, LB_E820_RESERVED);
    } else {
        add_range(out, &n, max, LB_LOWMEM_END, LB_HIGHMEM, LB_E820_RESERVED);
    }
    add_range(out, &n, max, LB_HIGHMEM, mem_size, LB_E820_RAM);
    if (plat->ioapic_size && plat->ioapic_gpa >= mem_size)
        add_range(out, &n, max, plat->ioapic_gpa, plat->ioapic_gpa + plat->ioapic_size,
                  LB_E820_RESERVED);
    if (plat->lapic_size && plat->lapic_gpa >= mem_size)
        add_range(out, &n, max, plat->lapic_gpa, plat->lapic_gpa + plat->lapic_size,
                  LB_E820_RESERVED);
    /* Linux takes an MCFG window only if it is reserved, in the e820 map
     * or as a motherboard resource (arch/x86/pci/mmconfig-shared.c):
     * "PCI: MMCONFIG at [mem ...] reserved as E820 entry". */
    if (plat->ecam_size && plat->ecam_gpa >= mem_size)
        add_range(out, &n, max, plat->ecam_gpa, plat->ecam_gpa + plat->ecam_size,
                  LB_E820_RESERVED);
    if (plat->high_ram_size && mem_size <= LB_HIGH_RAM_BASE)
        add_range(out, &n, max, LB_HIGH_RAM_BASE, LB_HIGH_RAM_BASE + plat->high_ram_size,
                  LB_E820_RAM);
    return n;
}

/* Identity map of the first 4 GiB with 2 MiB pages: covers the kernel's
 * init_size area, the zero page and the command line, as "64-bit Boot
 * Protocol" requires (the kernel builds its own tables soon after). */
static void build_page_tables(uint8_t *ram)
{
    memset(ram + LB_PML4_GPA, 0, PAGE * 6);
    wr64(ram + LB_PML4_GPA, LB_PDPT_GPA | PTE_P | PTE_RW);
    for (unsigned i = 0; i < 4; i++) {
        uint64_t pd = LB_PD_GPA + i * PAGE;
        wr64(ram + LB_PDPT_GPA + 8 * i, pd | PTE_P | PTE_RW);
        for (unsigned j = 0; j < 512; j++) {
            uint64_t pa = ((uint64_t)i * 512 + j) * PDE_2M_SIZE;
            wr64(ram + pd + 8 * j, pa | PTE_P | PTE_RW | PTE_PS);
        }
    }
}

static void build_gdt(uint8_t *ram)
{
    memset(ram + LB_GDT_GPA, 0, PAGE);
    wr64(ram + LB_GDT_GPA + LB_BOOT_CS, GDT_CODE64);
    wr64(ram + LB_GDT_GPA + LB_BOOT_DS, GDT_DATA);
}

/* "Details of Header Fields" marked (write) / (modify), for a 64-bit boot:
 * the header copied from the image, then what the boot loader fills in. */
static void build_zero_page(const uint8_t *img, const struct lb_info *info, size_t initrd_len,
                            const struct lb_platform *plat, uint8_t *ram, uint64_t mem_size)
{
    uint8_t *bp = ram + LB_BOOT_PARAMS_GPA;
    memset(bp, 0, LB_BP_SIZE);
    memcpy(bp + LB_HDR_START, img + LB_HDR_START, header_end(img) - LB_HDR_START);
    wr8(bp + LB_OFF_TYPE_OF_LOADER, LB_TYPE_OF_LOADER_UNDEF);
    wr32(bp + LB_OFF_CODE32_START, (uint32_t)info->load_addr);
    wr32(bp + LB_OFF_CMD_LINE_PTR, LB_CMDLINE_GPA);
    wr32(bp + LB_OFF_RAMDISK_IMAGE, (uint32_t)info->initrd_addr);
    wr32(bp + LB_BP_EXT_RAMDISK_IMG, (uint32_t)(info->initrd_addr >> 32));
    wr32(bp + LB_OFF_RAMDISK_SIZE, (uint32_t)initrd_len);
    wr32(bp + LB_BP_EXT_RAMDISK_SZ, (uint32_t)((uint64_t)initrd_len >> 32));
    if (info->version >= 0x020e) /* acpi_rsdp_addr: protocol 2.14 */
        wr64(bp + LB_BP_ACPI_RSDP, plat->rsdp_gpa);
    /* struct lb_e820 is packed: any address will do */
    unsigned n = lb_build_e820(plat, mem_size, (struct lb_e820 *)(bp + LB_BP_E820_TABLE),
                               LB_E820_MAX);
    wr8(bp + LB_BP_E820_ENTRIES, (uint8_t)n);
}

int lb_load(const uint8_t *image, size_t len, const char *cmdline, const uint8_t *initrd,
            size_t initrd_len, const struct lb_platform *plat, uint8_t *ram, uint64_t mem_size,
            struct lb_load_result *res, char *err, size_t errlen)
{
    struct lb_info info;
    if (plan(image, len, mem_size, cmdline, initrd_len, &info, err, errlen))
        return -1;
    const char *cl = cmdline ? cmdline : "";
    memcpy(ram + info.load_addr, image + info.kernel_off, info.kernel_len);
    if (initrd_len)
        memcpy(ram + info.initrd_addr, initrd, initrd_len);
    memset(ram + LB_CMDLINE_GPA, 0, LB_CMDLINE_LIMIT - LB_CMDLINE_GPA);
    memcpy(ram + LB_CMDLINE_GPA, cl, strlen(cl));
    build_page_tables(ram);
    build_gdt(ram);
    build_zero_page(image, &info, initrd_len, plat, ram, mem_size);
    res->entry = info.load_addr + LB_ENTRY64_OFFSET;
    res->boot_params = LB_BOOT_PARAMS_GPA;
    res->cr3 = LB_PML4_GPA;
    res->gdt_base = LB_GDT_GPA;
    res->gdt_limit = LB_GDT_LIMIT;
    res->info = info;
    return 0;
}
