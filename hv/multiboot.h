/* SPDX-License-Identifier: MIT */
/*
 * The Multiboot (0.6.96) loader: checks a guest image, copies it into guest
 * RAM with its modules, and builds the multiboot information structure.
 * Pure logic over a byte array standing for guest RAM (GPA 0 .. size), so
 * it is unit-tested on the host.
 */
#ifndef KEEL_HV_MULTIBOOT_H
#define KEEL_HV_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#define MB_MAGIC_HEADER     0x1badb002u
#define MB_MAGIC_BOOTLOADER 0x2badb002u
#define MB_SEARCH_LIMIT     8192u
#define MB_MAX_MODULES      8

/* Where Keel puts the information structure and the strings it points to:
 * below 640 KiB, away from where kernels load (1 MiB and up). */
#define MB_INFO_GPA   0x8000u
#define MB_INFO_LIMIT 0x9f000u
#define MB_LOWMEM_END 0xa0000u
#define MB_HIGHMEM    0x100000u
#define MB_HIGH_RAM_BASE 0x100000000ull /* RAM past the PCI hole (hv/mm/guest_ram.h) */

/* Multiboot information flags (spec 3.3). */
#define MBI_FLAG_MEM      (1u << 0)
#define MBI_FLAG_CMDLINE  (1u << 2)
#define MBI_FLAG_MODS     (1u << 3)
#define MBI_FLAG_MMAP     (1u << 6)
#define MBI_FLAG_LOADER   (1u << 9)

struct mb_module {
    const uint8_t *data;
    size_t len;
    const char *cmdline;
};

struct mb_image_info {
    uint32_t entry;
    uint64_t load_lo, load_hi;  /* [lo, hi): what the image occupies incl. bss */
    int is_aout_kludge;
    int elf_class;              /* 32 or 64; 0 for a.out kludge */
};

/* Check an image against a guest of mem_size bytes.  0, or -1 with a
 * one-line reason in err. */
int mb_check(const uint8_t *image, size_t len, uint64_t mem_size, struct mb_image_info *info,
             char *err, size_t errlen);

struct mb_load_result {
    uint32_t entry;
    uint32_t info_gpa;
    uint64_t modules_end;
};

/* Loads into ram (GPA 0 .. mem_size, RAM below 4 GiB); high_size bytes of
 * RAM from 4 GiB (hv/mm/guest_ram.h) join the memory map, 0 for none. */
int mb_load(const uint8_t *image, size_t len, const char *cmdline, const struct mb_module *mods,
            unsigned nmods, uint8_t *ram, uint64_t mem_size, uint64_t high_size,
            struct mb_load_result *res, char *err, size_t errlen);

#endif /* KEEL_HV_MULTIBOOT_H */
