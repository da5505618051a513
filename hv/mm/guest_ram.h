/* SPDX-License-Identifier: MIT */
/*
 * A VM's guest-physical address map and where its RAM lives in the host.
 *
 * The layout is the one PC chipsets give (and QEMU's q35 with more than
 * 2.75 GiB): RAM from 0 up to GRAM_LOW_END (2 GiB), a hole for PCI and the
 * platform from there to 4 GiB, and the rest of the RAM from 4 GiB.  In the
 * hole (GRAM_* below):
 *   8000_0000 .. AFFF_FFFF  PCI MMIO window (768 MiB)
 *   B000_0000 .. BFFF_FFFF  PCI Express ECAM, buses 0-255 (PCIe Base 6.0
 *                           7.2.2; the MCFG and hv/dev/pci.c)
 *   C000_0000 .. FEBF_FFFF  PCI MMIO window
 *   FEC0_0000               I/O APIC; FEE0_0000 local APIC
 * and a 64-bit PCI MMIO window above the RAM (GRAM_MMIO64_*).
 *
 * The RAM is backed by one or more host chunks ("slots"), each contiguous
 * in both spaces; the low range is always one chunk (the guest loaders
 * write into it as one array).  A slot never crosses the hole.
 *
 * Pure: host-tested (tests/unit/test_guest_ram.c).  No locking: filled once
 * at boot, read-only afterwards.
 */
#ifndef KEEL_HV_GUEST_RAM_H
#define KEEL_HV_GUEST_RAM_H

#include <stdbool.h>
#include <stdint.h>

#define GRAM_LOW_END       0x80000000ull   /* RAM below 4 GiB ends here */
#define GRAM_HIGH_BASE     0x100000000ull  /* the rest starts at 4 GiB */
#define GRAM_MMIO32_A_BASE 0x80000000ull   /* PCI MMIO window below the ECAM */
#define GRAM_MMIO32_A_END  0xB0000000ull
#define GRAM_ECAM_BASE     0xB0000000ull   /* ECAM: 1 MiB per bus */
#define GRAM_ECAM_BUSES    256u
#define GRAM_ECAM_SIZE     ((uint64_t)GRAM_ECAM_BUSES << 20)
#define GRAM_MMIO32_B_BASE 0xC0000000ull   /* PCI MMIO window above the ECAM */
#define GRAM_MMIO32_B_END  0xFEC00000ull   /* up to the I/O APIC */
#define GRAM_MMIO64_ALIGN  (1ull << 30)    /* the 64-bit window starts 1 GiB aligned */
#define GRAM_MMIO64_SIZE   (16ull << 30)   /* ... above the RAM, 16 GiB long */
#define GRAM_MAX_SLOTS     16u

/* Errors (negative, errno-valued). */
#define GRAM_EINVAL (-22) /* unaligned, outside the layout, overlapping, out of order */
#define GRAM_ENOSPC (-28) /* GRAM_MAX_SLOTS slots already */

struct gram_slot {
    uint64_t gpa, size, hpa; /* 2 MiB aligned; gpa..gpa+size inside one RAM range */
};

struct guest_ram {
    uint64_t size;           /* bytes of RAM, all ranges */
    unsigned nslots;
    struct gram_slot slot[GRAM_MAX_SLOTS]; /* in ascending GPA order */
};

/* The RAM ranges of a VM with size bytes: [0, low) and, when size exceeds
 * GRAM_LOW_END, [4 GiB, 4 GiB + size - low).  Stores the bases and lengths
 * (up to 2) and returns how many there are. */
unsigned gram_ranges(uint64_t size, uint64_t base[2], uint64_t len[2]);
/* RAM below 4 GiB, and the end of the highest RAM range. */
uint64_t gram_low_size(uint64_t size);
uint64_t gram_top(uint64_t size);
/* The 64-bit PCI window of a VM with size bytes of RAM. */
uint64_t gram_mmio64_base(uint64_t size);

/* An empty map for size bytes of RAM. */
void gram_init(struct guest_ram *g, uint64_t size);
/* Adds the next chunk: gpa must continue the RAM mapped so far (the first
 * at 0; at 4 GiB after the low range is complete), everything 2 MiB
 * aligned, inside the layout.  0, GRAM_EINVAL or GRAM_ENOSPC. */
int gram_add(struct guest_ram *g, uint64_t gpa, uint64_t hpa, uint64_t size);
/* Every byte of the layout has a slot. */
bool gram_complete(const struct guest_ram *g);

/* [gpa, gpa + len) is all RAM (it may span slots, never the hole). */
bool gram_is_ram(const struct guest_ram *g, uint64_t gpa, uint64_t len);
/* The host address of gpa when [gpa, gpa + len) lies in one slot (so it is
 * contiguous in the host too): 0 and *hpa; -1 otherwise.  len 0 counts
 * as 1. */
int gram_hpa(const struct guest_ram *g, uint64_t gpa, uint64_t len, uint64_t *hpa);
/* How many bytes from gpa stay in gpa's slot (0 when gpa is not RAM). */
uint64_t gram_run(const struct guest_ram *g, uint64_t gpa);

/* Some byte of [gpa, gpa + len) is RAM in the layout of size bytes. */
bool gram_overlaps_ram(uint64_t size, uint64_t gpa, uint64_t len);
/* [gpa, gpa + len) touches the RAM or the ECAM window (or wraps): a
 * device BAR must not go there (the caller checks its platform's pages). */
bool gram_bar_conflict(const struct guest_ram *g, uint64_t gpa, uint64_t len);

#endif /* KEEL_HV_GUEST_RAM_H */
