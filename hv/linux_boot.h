/* SPDX-License-Identifier: MIT */
/*
 * The Linux x86 boot protocol loader (Documentation/arch/x86/boot.rst in the
 * Linux sources): recognises a bzImage by its setup header, checks it,
 * places the protected-mode kernel and the initrd in guest RAM, builds the
 * zero page (struct boot_params) with an e820 map of the VM, and lays out
 * what the 64-bit boot protocol needs at entry: identity-mapped page
 * tables and a GDT with __BOOT_CS and __BOOT_DS.
 *
 * Pure logic over a byte array standing for guest RAM (GPA 0 .. mem_size):
 * host-tested (tests/unit/test_linux_boot.c) and fuzzed
 * (tests/fuzz/fuzz_linux_boot.c).  lb_load() refuses whatever lb_check()
 * refuses and writes only inside guest RAM.
 */
#ifndef KEEL_HV_LINUX_BOOT_H
#define KEEL_HV_LINUX_BOOT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Setup header fields, as offsets into the image file (boot.rst "The Real-Mode
 * Kernel Header"; the zero page holds the header at the same offsets). */
#define LB_HDR_START          0x1f1u
#define LB_OFF_SETUP_SECTS    0x1f1u /* u8: 512-byte setup sectors, 0 means 4 */
#define LB_OFF_SYSSIZE        0x1f4u /* u32: protected-mode code in 16-byte units (2.04+) */
#define LB_OFF_BOOT_FLAG      0x1feu /* u16: 0xAA55 */
#define LB_OFF_JUMP           0x200u /* u16: a short jump; its second byte + 0x202 = header end */
#define LB_OFF_HEADER         0x202u /* u32: "HdrS" */
#define LB_OFF_VERSION        0x206u /* u16: protocol version, major << 8 | minor */
#define LB_OFF_TYPE_OF_LOADER 0x210u /* u8 (write) */
#define LB_OFF_LOADFLAGS      0x211u /* u8 */
#define LB_OFF_CODE32_START   0x214u /* u32 (write): where the kernel was put */
#define LB_OFF_RAMDISK_IMAGE  0x218u /* u32 (write) */
#define LB_OFF_RAMDISK_SIZE   0x21cu /* u32 (write) */
#define LB_OFF_CMD_LINE_PTR   0x228u /* u32 (write, 2.02+) */
#define LB_OFF_INITRD_MAX     0x22cu /* u32: highest address of the initrd's last byte (2.03+) */
#define LB_OFF_KERNEL_ALIGN   0x230u /* u32: alignment of a relocatable kernel (2.05+) */
#define LB_OFF_RELOCATABLE    0x234u /* u8 (2.05+) */
#define LB_OFF_XLOADFLAGS     0x236u /* u16 (2.12+) */
#define LB_OFF_CMDLINE_SIZE   0x238u /* u32: command line bytes without the NUL (2.06+) */
#define LB_OFF_PREF_ADDRESS   0x258u /* u64: preferred load address (2.10+) */
#define LB_OFF_INIT_SIZE      0x260u /* u32: bytes from the load address the kernel needs (2.10+) */
#define LB_HDR_MAX_END        0x290u /* the zero page's header area ends here */

#define LB_BOOT_FLAG          0xaa55u
#define LB_HEADER_MAGIC       0x53726448u /* "HdrS" little-endian */
/* 2.12 is the first version with xloadflags, which is where a kernel says
 * it has the 64-bit entry point (XLF_KERNEL_64); 2.10 brought pref_address
 * and init_size, which placement needs.  Older kernels (before 3.8) are
 * refused rather than entered blind. */
#define LB_MIN_VERSION        0x020cu

#define LB_LOADFLAG_LOADED_HIGH (1u << 0) /* protected-mode code at 0x100000 or above */
#define LB_XLF_KERNEL_64        (1u << 0) /* 64-bit entry at load address + 0x200 */
#define LB_ENTRY64_OFFSET       0x200u
#define LB_TYPE_OF_LOADER_UNDEF 0xffu     /* boot.rst: "undefined" boot loader ID */

/* Zero page (arch/x86/include/uapi/asm/bootparam.h, struct boot_params). */
#define LB_BP_SIZE            4096u
#define LB_BP_ACPI_RSDP       0x070u /* u64 (2.14+) */
#define LB_BP_EXT_RAMDISK_IMG 0x0c0u /* u32: bits 63:32 of ramdisk_image */
#define LB_BP_EXT_RAMDISK_SZ  0x0c4u
#define LB_BP_EXT_CMD_LINE    0x0c8u
#define LB_BP_E820_ENTRIES    0x1e8u /* u8 */
#define LB_BP_E820_TABLE      0x2d0u /* 128 entries of 20 bytes */
#define LB_E820_MAX           128u

/* e820 types (ACPI 6.5 table 15.1, "Address Range Types"). */
#define LB_HIGH_RAM_BASE      0x100000000ull /* RAM past the PCI hole starts here */
#define LB_E820_RAM           1u
#define LB_E820_RESERVED      2u
#define LB_E820_ACPI          3u

struct lb_e820 {
    uint64_t addr;
    uint64_t size;
    uint32_t type;
} __attribute__((packed));
_Static_assert(sizeof(struct lb_e820) == 20, "e820 entry is 20 bytes (boot_params.e820_table)");

/* Where the loader puts its things below 640 KiB (GPAs): page tables, the
 * GDT, the zero page and the command line, each in a page of its own, away
 * from the kernel (1 MiB and up) and the BIOS area (0xA0000 - 0xFFFFF). */
#define LB_PML4_GPA           0x10000u
#define LB_PDPT_GPA           0x11000u
#define LB_PD_GPA             0x12000u /* 4 pages: 4 GiB of 2 MiB pages */
#define LB_GDT_GPA            0x16000u
#define LB_BOOT_PARAMS_GPA    0x17000u
#define LB_CMDLINE_GPA        0x18000u
#define LB_CMDLINE_LIMIT      0x20000u /* the command line area ends here */
#define LB_LOWMEM_END         0xa0000u
#define LB_HIGHMEM            0x100000u
#define LB_IDENTITY_MAP_END   (4ull << 30) /* what the page tables map */
#define LB_BOOT_CS            0x10u /* __BOOT_CS (boot.rst "64-bit Boot Protocol") */
#define LB_BOOT_DS            0x18u /* __BOOT_DS */
#define LB_GDT_LIMIT          0x1fu /* 4 descriptors */

/* The VM's virtual platform, for the e820 map: what lies in the guest's
 * physical space besides RAM (hv/dev/vplatform.h gives the values). */
struct lb_platform {
    uint64_t acpi_gpa, acpi_size; /* Keel's ACPI tables, inside RAM below 1 MiB */
    uint64_t rsdp_gpa;            /* 0: let the kernel scan for it */
    uint64_t ioapic_gpa, ioapic_size;
    uint64_t lapic_gpa, lapic_size;
    uint64_t high_ram_size;       /* RAM from 4 GiB (hv/mm/guest_ram.h), 0: none */
    uint64_t ecam_gpa, ecam_size; /* the PCIe ECAM window (the MCFG's), reserved; 0: none */
};

/* What lb_check() learnt from the header and where the kernel goes. */
struct lb_info {
    uint16_t version;
    uint64_t kernel_off;   /* file offset of the protected-mode kernel */
    uint64_t kernel_len;   /* its bytes in the file */
    uint64_t load_addr;    /* GPA of the protected-mode kernel */
    uint64_t init_size;    /* [load_addr, load_addr + init_size) is the kernel's */
    uint32_t cmdline_size;
    uint64_t initrd_addr;  /* GPA of the initrd (0 when none) */
    bool relocatable;
};

/* True when the image carries a Linux setup header (boot flag and "HdrS"):
 * the image is then Linux's, whatever else the checks say. */
bool lb_is_bzimage(const uint8_t *image, size_t len);

/* Checks the image for a guest of mem_size bytes with this command line and
 * an initrd of initrd_len bytes (0: none).  0, or -1 with a one-line reason
 * in err (the caller adds the file's name). */
int lb_check(const uint8_t *image, size_t len, uint64_t mem_size, const char *cmdline,
             size_t initrd_len, struct lb_info *info, char *err, size_t errlen);

/* The e820 map of a VM with mem_size bytes of RAM from GPA 0 (and
 * plat->high_ram_size from 4 GiB) on this platform, in address order;
 * returns the number of entries (<= max). */
unsigned lb_build_e820(const struct lb_platform *plat, uint64_t mem_size, struct lb_e820 *out,
                       unsigned max);

struct lb_load_result {
    uint64_t entry;        /* 64-bit entry point: load address + 0x200 */
    uint64_t boot_params;  /* RSI at entry */
    uint64_t cr3;          /* identity-mapped page tables */
    uint64_t gdt_base;
    uint16_t gdt_limit;
    struct lb_info info;
};

/* Loads image and initrd into ram (GPA 0 .. mem_size) and builds the zero
 * page, command line, GDT and page tables.  0, or -1 with a reason. */
int lb_load(const uint8_t *image, size_t len, const char *cmdline, const uint8_t *initrd,
            size_t initrd_len, const struct lb_platform *plat, uint8_t *ram, uint64_t mem_size,
            struct lb_load_result *res, char *err, size_t errlen);

#endif /* KEEL_HV_LINUX_BOOT_H */
