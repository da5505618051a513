/* SPDX-License-Identifier: MIT */
/*
 * Keel's guest-facing ABI: the hypercall numbers and the CPUID leaves a guest
 * uses to find Keel.  Shared by the hypervisor and the guest runtime, so it
 * includes nothing but <stdint.h>.
 *
 * Calling convention (both vendors): the guest executes VMMCALL (AMD) or
 * VMCALL (Intel) at CPL 0 with
 *   RAX = call number, RDI/RSI/RDX = arguments,
 * and gets the result in RAX (>= 0 success, < 0 a negative KEEL_E* code).
 * All other registers are preserved.  A hypercall from CPL > 0 gets #UD, as
 * the instruction would without a hypervisor.
 */
#ifndef KEEL_HV_ABI_H
#define KEEL_HV_ABI_H

#include <stdint.h>

/* CPUID 0x40000000: EAX = highest Keel leaf (KEEL_CPUID_TSC), EBX:ECX:EDX = "KeelKeelKeel". */
#define KEEL_CPUID_BASE         0x40000000u
#define KEEL_CPUID_SIG_EBX      0x6c65654bu /* "Keel" */
#define KEEL_CPUID_SIG_ECX      0x6c65654bu
#define KEEL_CPUID_SIG_EDX      0x6c65654bu
/* CPUID 0x40000001: EAX = ABI version, EBX = this vCPU's index in its VM,
 * ECX = number of vCPUs in the VM, EDX = VM index. */
#define KEEL_CPUID_INFO         0x40000001u
#define KEEL_ABI_VERSION        1u
/* CPUID 0x40000002: EAX = TSC frequency in kHz as Keel measured it at boot
 * (under QEMU -icount, the TSC counts virtual time: a benchmark divides by
 * this to turn TSC ticks into nanoseconds, i.e. instructions). */
#define KEEL_CPUID_TSC          0x40000002u

enum keel_hypercall {
    /* RDI = guest-physical address of the bytes, RSI = length (<= 4096).
     * Returns the number of bytes written. */
    KEEL_HC_CONSOLE_WRITE = 1,
    /* RDI = passed, RSI = failed: the guest's test report. Keel prints it
     * as "vmN: N passed, N failed" and keeps it for the VM's summary. */
    KEEL_HC_TEST_RESULT   = 2,
    /* RDI = status (0..127).  Ends the whole VM; does not return. */
    KEEL_HC_EXIT          = 3,
    /* RDI = vCPU index, RSI = 32-bit entry point (guest-physical),
     * RDX = value for EBX at entry.  Starts a vCPU of the caller's VM that
     * has not run yet, in 32-bit protected mode like the multiboot BSP
     * (flat segments, paging off, EAX = KEEL_AP_MAGIC).  The paravirtual
     * stand-in until guests bring APs up through the vLAPIC (INIT-SIPI). */
    KEEL_HC_VCPU_START    = 4,
    /* RDI = vCPU index.  Returns how many VM exits that vCPU of the
     * caller's VM has taken so far (for benchmarks: exits per operation). */
    KEEL_HC_EXIT_COUNT    = 5,
    /* No arguments; returns 0.  For tests of Keel's FPU switching: the host
     * does what its first FPU use does (saves the caller's x87/SSE/AVX/
     * AVX-512 state and XCR0, hv/host/fpu.c), then puts every register of
     * those components in its initial state; only Keel's restore before
     * the next entry brings the caller's values back. */
    KEEL_HC_FPU_CLOBBER   = 6,
};

#define KEEL_AP_MAGIC           0x4b45454cu /* "KEEL" */

/* The power-off status port: a byte V (0..127) written here is the status
 * the VM ends with when it next powers off (ACPI S5); reads give it back;
 * 0 until written.  For an OS whose programs cannot make hypercalls (CPL 3)
 * but can reach a port: Linux's /init writes its shell's exit status here
 * through /dev/port before `poweroff`.  Writing it ends nothing. */
#define KEEL_STATUS_PORT        0x0ef0u

/* Negative results. */
#define KEEL_EINVAL             (-22)
#define KEEL_ENOSYS             (-38)
#define KEEL_EBUSY              (-16)
#define KEEL_EFAULT             (-14)

/* Exit statuses Keel itself gives a VM (a guest's own are 0..127). */
#define KEEL_STATUS_GUEST_FAULT 112 /* triple fault, unhandled exit, ... */
#define KEEL_STATUS_BOOT_FAILURE 113 /* Keel could not start the VM */
#define KEEL_STATUS_REBOOT      114 /* the guest reset its machine; keel.cfg on_reboot = stop */

#endif /* KEEL_HV_ABI_H */
