/* SPDX-License-Identifier: MIT */
/*
 * State carried from the UEFI phase (efi_main.c) into the take-over
 * (takeover.c, smp.c).  Everything here is filled before ExitBootServices.
 */
#ifndef KEEL_BOOT_BOOT_H
#define KEEL_BOOT_BOOT_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/acpi.h"
#include "boot/config.h"
#include "hv/host/percpu.h"
#include "hv/vm_create.h"

#define BOOT_MAX_MMAP_BYTES (64u * 1024u)

struct boot_state {
    uint64_t entry_tsc;              /* the TSC when efi_main began */
    struct keel_config cfg;
    unsigned ncpus;
    uint32_t apic_id[KEEL_MAX_CPUS];       /* [0] is the boot CPU */
    bool have_madt;
    struct madt_info madt;
    bool have_pm_timer;                    /* the firmware's FADT names an I/O-port PM timer */
    struct fadt_pm_timer pm_timer;
    struct vm_spec vm[KEEL_MAX_VMS];
    unsigned nvms;
    uint64_t trampoline_pa;                /* one page below 1 MiB */
    uint64_t rtc_epoch, rtc_tsc;           /* host time of day at boot and the TSC then */
    uint64_t pml4_pa;                      /* host page tables, below 4 GiB */
    uint64_t map_limit;                    /* identity map covers [0, map_limit) */
    bool conout_serial;
    /* The final UEFI memory map, copied at ExitBootServices. */
    uint8_t *mmap;
    uint64_t mmap_size, mmap_desc_size;
};

extern struct boot_state boot;

/* takeover.c: leave boot services and take the machine; never returns. */
void boot_takeover(void *image_handle) __attribute__((noreturn));
/* smp.c: start every AP listed in boot.apic_id; returns how many came up. */
unsigned smp_start_aps(void);
void smp_release_aps(void);
/* The per-CPU struct and host stack of CPU index (smp.c). */
struct percpu *percpu_alloc(unsigned index, uint32_t apic_id);
/* Per-CPU set-up every CPU runs (BSP and APs). */
void cpu_setup_common(struct percpu *pc);
/* finish.c */
void keel_shutdown(int status) __attribute__((noreturn));
/* host paging (paging.c) */
int host_paging_build(void);

/* The default guest linked into keel.efi (default_guest.S). */
extern const uint8_t keel_builtin_guest[];
extern const uint8_t keel_builtin_guest_end[];

#endif /* KEEL_BOOT_BOOT_H */
