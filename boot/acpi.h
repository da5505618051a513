/* SPDX-License-Identifier: MIT */
/*
 * Reading the firmware's ACPI tables: RSDP -> XSDT (or RSDT) -> MADT, for
 * the CPUs (local APIC / x2APIC entries) and the I/O APICs; SPCR, for the
 * serial console.  Pure logic
 * over a memory accessor so it is unit-tested with synthetic tables; a
 * missing or corrupt table is an ordinary outcome (Bochs+OVMF has none).
 */
#ifndef KEEL_BOOT_ACPI_H
#define KEEL_BOOT_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define ACPI_MAX_CPUS    64
#define ACPI_MAX_IOAPICS 8
#define ACPI_MAX_OVERRIDES 16

struct madt_info {
    uint32_t lapic_base;
    bool pcat_compat;                  /* MADT flags bit 0: 8259s present */
    unsigned ncpus;                    /* enabled (or online-capable) CPUs */
    uint32_t apic_id[ACPI_MAX_CPUS];
    unsigned ncpus_ignored;            /* beyond ACPI_MAX_CPUS */
    unsigned nioapics;
    struct { uint8_t id; uint32_t addr; uint32_t gsi_base; } ioapic[ACPI_MAX_IOAPICS];
    unsigned noverrides;
    struct { uint8_t irq; uint32_t gsi; uint16_t flags; } override[ACPI_MAX_OVERRIDES];
};

/* Reads len bytes of physical memory at pa (the caller supplies identity
 * mapping in keel.efi, a fake memory in tests); NULL when out of range. */
typedef const void *(*acpi_map_fn)(void *ctx, uint64_t pa, size_t len);

bool acpi_checksum_ok(const void *table, size_t len);

/* Finds the table with this signature through the RSDP at rsdp_pa.
 * Returns its physical address, or 0; *why says why not (for the log). */
uint64_t acpi_find_table(uint64_t rsdp_pa, const char sig[4], acpi_map_fn map, void *ctx,
                         const char **why);

/* Parses a MADT.  0, or -1 with *why. */
int acpi_parse_madt(uint64_t madt_pa, acpi_map_fn map, void *ctx, struct madt_info *out,
                    const char **why);

/* The console UART of the SPCR table (Microsoft "Serial Port Console
 * Redirection Table", revisions 1 to 4; ACPI 6.5 table 5.6 reserves the
 * signature).  Keel drives 16550-compatible UARTs in I/O space; others are
 * reported as such (io false). */
struct spcr_info {
    uint8_t interface_type;  /* 0 16550, 1 16450, 0x12 16550 with GAS parameters, ... */
    bool io;                 /* the base address is in system I/O space */
    bool uart_16550;         /* an interface type Keel can drive */
    uint64_t address;        /* the base address (port or MMIO) */
    uint32_t baud;           /* 0: "as is", the firmware's rate */
};

/* Parses an SPCR.  0, or -1 with *why. */
int acpi_parse_spcr(uint64_t spcr_pa, acpi_map_fn map, void *ctx, struct spcr_info *out,
                    const char **why);

/* The ACPI PM timer of the FADT (ACPI 6.5 5.2.9, 4.8.3.3): a free-running
 * 3.579545 MHz counter, 24 bits or, with the FADT's TMR_VAL_EXT flag, 32. */
struct fadt_pm_timer {
    uint16_t port;           /* in system I/O space */
    bool ext32;              /* TMR_VAL_EXT: 32-bit counter */
};

/* The PM timer of a FADT: X_PM_TMR_BLK where the table has it and names an
 * address, else PM_TMR_BLK with PM_TMR_LEN 4.  0, or -1 with *why (none,
 * not in I/O space, a hardware-reduced platform, a bad table). */
int acpi_parse_fadt_pm_timer(uint64_t fadt_pa, acpi_map_fn map, void *ctx,
                             struct fadt_pm_timer *out, const char **why);

#endif /* KEEL_BOOT_ACPI_H */
