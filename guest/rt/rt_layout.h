/* SPDX-License-Identifier: MIT */
/*
 * Constants shared by the guest runtime's assembly and C: where the image
 * lives, the per-vCPU stacks, the GDT selectors and the entry magics.
 * Plain #defines only, so entry.S can include it.
 */
#ifndef KEEL_GUEST_RT_LAYOUT_H
#define KEEL_GUEST_RT_LAYOUT_H

/* Physical (= virtual) load address of every guest image. */
#define RT_LOAD_ADDR        0x100000

/* vCPUs the runtime supports; an AP with a higher index parks in entry.S. */
#define RT_MAX_VCPUS        64

/* One 16 KiB stack per vCPU, slot N for vCPU N, in rt_stacks[]. The stack
 * also identifies the vCPU: rt_vcpu_index() derives N from RSP. */
#define RT_STACK_SHIFT      14
#define RT_STACK_SIZE       (1 << RT_STACK_SHIFT)

/* GDT selectors (entry.S builds the GDT). */
#define RT_SEL_CODE64       0x08
#define RT_SEL_DATA         0x10
#define RT_SEL_CODE32       0x18

/* Entry magics in EAX: the multiboot loader's, and Keel's for an AP started
 * with KEEL_HC_VCPU_START (checked against hv/abi.h in boot.c). */
#define RT_MULTIBOOT_BOOT_MAGIC 0x2BADB002
#define RT_KEEL_AP_MAGIC        0x4b45454c
#define RT_KEEL_CPUID_INFO      0x40000001
/* EAX when an AP comes from the INIT-SIPI trampoline (sipi.S). */
#define RT_SIPI_AP_MAGIC        0x53495049      /* "SIPI" */

/* The real-mode INIT-SIPI trampoline: copied to this page below 1 MiB
 * (below Keel's multiboot information at 0x8000), which the start-up IPI
 * names by its page number (the SIPI vector). */
#define RT_SIPI_TRAMPOLINE      0x6000
#define RT_SIPI_VECTOR          (RT_SIPI_TRAMPOLINE >> 12)
/* APs started through INIT-SIPI find their vCPU index by initial APIC ID
 * in a byte table of this many entries (rt_sipi_slot in sipi.c). */
#define RT_SIPI_MAX_APIC_ID     256

/* The identity map covers this many GiB with 2 MiB pages (one page
 * directory per GiB). */
#define RT_MAP_GIB          4

#endif /* KEEL_GUEST_RT_LAYOUT_H */
