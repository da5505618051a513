/* SPDX-License-Identifier: MIT */
/*
 * What Keel asks of UEFI before it leaves boot services: console output,
 * configuration tables, CPU enumeration through the
 * PI MP services protocol, pages.
 */
#ifndef KEEL_BOOT_EFI_UTIL_H
#define KEEL_BOOT_EFI_UTIL_H

#include <efi.h>
#include <stddef.h>
#include <stdint.h>

/* Console writer for hv/host/console.c: UTF-8/ASCII to ConOut. */
void efi_con_write(const char *s, size_t n);
/* Does the firmware's ConOut already reach a serial port (a UART node in
 * the ConOut variable's device paths)?  Then Keel does not write the UART
 * itself before ExitBootServices, or every line would show twice. */
BOOLEAN efi_conout_is_serial(void);

/* Physical address of the ACPI RSDP from the configuration table, or 0. */
uint64_t efi_find_rsdp(void);

/* APIC IDs of the enabled processors from EFI_MP_SERVICES_PROTOCOL (PI
 * spec vol. 2, 13.4), BSP first.  Returns the count, 0 if unavailable. */
unsigned efi_mp_apic_ids(uint32_t *ids, unsigned max);

/* Pages: 2 MiB-aligned, or below a limit.  0 on failure. */
uint64_t efi_alloc_pages_aligned(uint64_t npages, uint64_t align);
uint64_t efi_alloc_pages_below(uint64_t npages, uint64_t max_addr);
/* npages at an align-aligned address inside one free range of the
 * firmware's memory map, highest range first (no slack allocated around
 * it, so a chunk as large as the free range can still be aligned).  0 when
 * no free range holds it. */
uint64_t efi_alloc_pages_fit(uint64_t npages, uint64_t align);

#endif /* KEEL_BOOT_EFI_UTIL_H */
