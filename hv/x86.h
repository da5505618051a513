/* SPDX-License-Identifier: MIT */
/*
 * Thin wrappers around x86 instructions the hypervisor uses, and the
 * architectural register bits it names.  Intel SDM vol. 3 ch. 2 (system
 * registers), AMD APM vol. 2 ch. 3.
 */
#ifndef KEEL_HV_X86_H
#define KEEL_HV_X86_H

#include <stdint.h>

/* CR0 (SDM 2.5) */
#define CR0_PE  (1ull << 0)
#define CR0_MP  (1ull << 1)
#define CR0_EM  (1ull << 2)
#define CR0_TS  (1ull << 3)
#define CR0_ET  (1ull << 4)
#define CR0_NE  (1ull << 5)
#define CR0_WP  (1ull << 16)
#define CR0_AM  (1ull << 18)
#define CR0_NW  (1ull << 29)
#define CR0_CD  (1ull << 30)
#define CR0_PG  (1ull << 31)

/* CR4 (SDM 2.5) */
#define CR4_PSE        (1ull << 4)
#define CR4_PAE        (1ull << 5)
#define CR4_PGE        (1ull << 7)
#define CR4_PCE        (1ull << 8)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_LA57       (1ull << 12)
#define CR4_VMXE       (1ull << 13)
#define CR4_PCIDE      (1ull << 17)
#define CR4_OSXSAVE    (1ull << 18)
#define CR4_SMEP       (1ull << 20)
#define CR4_SMAP       (1ull << 21)

/* EFER (APM 3.1.7) */
#define MSR_IA32_MISC_ENABLE 0x1a0u /* SDM vol. 4 table 2-2 */
#define MSR_EFER      0xc0000080u
#define EFER_SCE      (1ull << 0)
#define EFER_LME      (1ull << 8)
#define EFER_LMA      (1ull << 10)
#define EFER_NXE      (1ull << 11)
#define EFER_SVME     (1ull << 12)

/* MSRs the hypervisor itself touches. */
#define MSR_IA32_TSC            0x00000010u
#define MSR_IA32_TSC_ADJUST     0x0000003bu
#define MSR_IA32_APIC_BASE      0x1bu  /* same tokens as apic/vlapic.h */
#define MSR_IA32_FEATURE_CONTROL 0x0000003au
#define MSR_IA32_PAT            0x00000277u
#define MSR_FS_BASE             0xc0000100u
#define MSR_GS_BASE             0xc0000101u
#define MSR_KERNEL_GS_BASE      0xc0000102u
/* SYSENTER (SDM 5.8.7) and SYSCALL (SDM 5.8.8; APM 6.1.1) targets. */
#define MSR_IA32_SYSENTER_CS    0x00000174u
#define MSR_IA32_SYSENTER_ESP   0x00000175u
#define MSR_IA32_SYSENTER_EIP   0x00000176u
#define MSR_STAR                0xc0000081u
#define MSR_LSTAR               0xc0000082u
#define MSR_CSTAR               0xc0000083u
#define MSR_SFMASK              0xc0000084u

/* MSRs every guest reads and writes without an exit, on both vendors (the
 * MSR permission map / MSR bitmap lets them through).  Their guest values
 * are safe in the CPU: FS/GS base and SYSENTER are switched by the VMCB
 * (VMLOAD/VMRUN, APM 15.5.2) or the VMCS guest-state area (SDM 25.4.1);
 * KERNEL_GS_BASE and the SYSCALL MSRs by VMLOAD/VMSAVE on SVM, and on VMX
 * they stay the guest's because this CPU runs no other guest and the host
 * never uses them.  Initializer for `static const uint32_t x[]`. */
#define X86_PASSTHROUGH_MSRS                                                   \
    MSR_FS_BASE, MSR_GS_BASE, MSR_KERNEL_GS_BASE, MSR_STAR, MSR_LSTAR,         \
    MSR_CSTAR, MSR_SFMASK, MSR_IA32_SYSENTER_CS, MSR_IA32_SYSENTER_ESP,        \
    MSR_IA32_SYSENTER_EIP

/* RFLAGS */
#define RFLAGS_CF   (1ull << 0)
#define RFLAGS_FIXED (1ull << 1)
#define RFLAGS_TF   (1ull << 8)
#define RFLAGS_IF   (1ull << 9)
#define RFLAGS_DF   (1ull << 10)
#define RFLAGS_VM   (1ull << 17)

/* DR6 (SDM 18.2.3): B0-B3 (a breakpoint condition met), BS (single step). */
#define DR6_B0_B3   0xfull
#define DR6_BS      (1ull << 14)

/* Exception vectors (SDM 6.15) */
enum x86_vector {
    X86_DE = 0, X86_DB = 1, X86_NMI = 2, X86_BP = 3, X86_OF = 4, X86_BR = 5,
    X86_UD = 6, X86_NM = 7, X86_DF = 8, X86_TS = 10, X86_NP = 11, X86_SS = 12,
    X86_GP = 13, X86_PF = 14, X86_MF = 16, X86_AC = 17, X86_MC = 18, X86_XM = 19,
};

static inline void cpuid_count(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    __asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
                     : "a"(leaf), "c"(sub));
}

static inline uint64_t rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" :: "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
}

static inline uint64_t rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" :: "a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" :: "a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }

#define DEFINE_CR_ACCESS(n) \
    static inline uint64_t read_cr##n(void) \
    { uint64_t v; __asm__ volatile("mov %%cr" #n ", %0" : "=r"(v)); return v; } \
    static inline void write_cr##n(uint64_t v) \
    { __asm__ volatile("mov %0, %%cr" #n :: "r"(v) : "memory"); }
DEFINE_CR_ACCESS(0)
DEFINE_CR_ACCESS(2)
DEFINE_CR_ACCESS(3)
DEFINE_CR_ACCESS(4)
#undef DEFINE_CR_ACCESS

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void irq_disable(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void irq_enable(void) { __asm__ volatile("sti" ::: "memory"); }
static inline void cpu_halt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void clts(void) { __asm__ volatile("clts" ::: "memory"); }

static inline uint64_t read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq; popq %0" : "=r"(v));
    return v;
}

/* A descriptor-table register image for LGDT/LIDT/SGDT/SIDT. */
struct __attribute__((packed)) x86_dtr {
    uint16_t limit;
    uint64_t base;
};
_Static_assert(sizeof(struct x86_dtr) == 10, "descriptor-table register image");

#endif /* KEEL_HV_X86_H */
