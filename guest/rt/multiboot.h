/* SPDX-License-Identifier: MIT */
/*
 * Multiboot 0.6.96 boot information, as the loader (Keel, QEMU, GRUB)
 * leaves it for the kernel.  All addresses are 32-bit physical.
 */
#ifndef KEEL_GUEST_MULTIBOOT_H
#define KEEL_GUEST_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

/* multiboot_info.flags: which fields are valid. */
#define MB_INFO_MEMORY      (1u << 0)   /* mem_lower, mem_upper */
#define MB_INFO_CMDLINE     (1u << 2)   /* cmdline */
#define MB_INFO_MODS        (1u << 3)   /* mods_count, mods_addr */
#define MB_INFO_MMAP        (1u << 6)   /* mmap_length, mmap_addr */

/* mb_mmap_entry.type */
#define MB_MMAP_AVAILABLE   1

struct mb_info {
    uint32_t flags;         /* 0 */
    uint32_t mem_lower;     /* 4: KiB below 1 MiB */
    uint32_t mem_upper;     /* 8: KiB from 1 MiB to the first hole */
    uint32_t boot_device;   /* 12 */
    uint32_t cmdline;       /* 16: NUL-terminated string */
    uint32_t mods_count;    /* 20 */
    uint32_t mods_addr;     /* 24: array of struct mb_module */
    uint32_t syms[4];       /* 28: a.out or ELF symbols, unused */
    uint32_t mmap_length;   /* 44: bytes */
    uint32_t mmap_addr;     /* 48: first struct mb_mmap_entry */
} __attribute__((packed));
_Static_assert(offsetof(struct mb_info, cmdline) == 16, "mb_info.cmdline");
_Static_assert(offsetof(struct mb_info, mods_addr) == 24, "mb_info.mods_addr");
_Static_assert(offsetof(struct mb_info, mmap_length) == 44, "mb_info.mmap_length");
_Static_assert(offsetof(struct mb_info, mmap_addr) == 48, "mb_info.mmap_addr");

struct mb_module {
    uint32_t mod_start;     /* 0 */
    uint32_t mod_end;       /* 4: first byte after the module */
    uint32_t string;        /* 8: the module's command line */
    uint32_t reserved;      /* 12 */
} __attribute__((packed));
_Static_assert(sizeof(struct mb_module) == 16, "mb_module size");

/* The size field does not count itself: the next entry is at
 * (char *)entry + entry->size + 4. */
struct mb_mmap_entry {
    uint32_t size;          /* 0 */
    uint64_t base_addr;     /* 4 */
    uint64_t length;        /* 12 */
    uint32_t type;          /* 20 */
} __attribute__((packed));
_Static_assert(offsetof(struct mb_mmap_entry, base_addr) == 4, "mmap base_addr");
_Static_assert(offsetof(struct mb_mmap_entry, type) == 20, "mmap type");

#endif /* KEEL_GUEST_MULTIBOOT_H */
