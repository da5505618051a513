/* SPDX-License-Identifier: MIT */
/*
 * Thin inline wrappers for the x86 instructions guests use: CPUID, port
 * I/O, MSRs, control registers, the TSC.  None of them catches a fault; use
 * rt_rdmsr_safe()/rt_wrmsr_safe()/rt_try() (rt.h) for instructions that may
 * fault on purpose.
 */
#ifndef KEEL_GUEST_X86_H
#define KEEL_GUEST_X86_H

#include <stdint.h>

#include "x86_bits.h"

struct rt_cpuid {
    uint32_t eax, ebx, ecx, edx;
};

static inline struct rt_cpuid rt_cpuid(uint32_t leaf, uint32_t subleaf)
{
    struct rt_cpuid r;
    __asm__ volatile("cpuid"
                     : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
                     : "a"(leaf), "c"(subleaf));
    return r;
}

static inline uint8_t rt_inb(uint16_t port)
{
    uint8_t v;
    __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint16_t rt_inw(uint16_t port)
{
    uint16_t v;
    __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline uint32_t rt_inl(uint16_t port)
{
    uint32_t v;
    __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
    return v;
}

static inline void rt_outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void rt_outw(uint16_t port, uint16_t v)
{
    __asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline void rt_outl(uint16_t port, uint32_t v)
{
    __asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint64_t rt_rdmsr(uint32_t msr)
{
    uint32_t lo, hi;
    __asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
    return ((uint64_t)hi << 32) | lo;
}

static inline void rt_wrmsr(uint32_t msr, uint64_t v)
{
    __asm__ volatile("wrmsr" : : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
                     : "memory");
}

static inline uint64_t rt_rdtsc(void)
{
    uint32_t lo, hi;
    __asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
    return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rt_read_cr0(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr0, %0" : "=r"(v));
    return v;
}

static inline uint64_t rt_read_cr2(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr2, %0" : "=r"(v));
    return v;
}

static inline uint64_t rt_read_cr3(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr3, %0" : "=r"(v));
    return v;
}

static inline void rt_write_cr3(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr3" : : "r"(v) : "memory");
}

static inline uint64_t rt_read_cr4(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr4, %0" : "=r"(v));
    return v;
}

static inline void rt_write_cr4(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr4" : : "r"(v) : "memory");
}

/* CR8: the task-priority class (TPR[7:4] of the local APIC), 64-bit mode. */
static inline uint64_t rt_read_cr8(void)
{
    uint64_t v;
    __asm__ volatile("mov %%cr8, %0" : "=r"(v));
    return v;
}

static inline void rt_write_cr8(uint64_t v)
{
    __asm__ volatile("mov %0, %%cr8" : : "r"(v) : "memory");
}

static inline uint64_t rt_read_rflags(void)
{
    uint64_t v;
    __asm__ volatile("pushfq\n\tpopq %0" : "=r"(v) : : "memory");
    return v;
}

/* Interrupt flag.  rt_irq_save() disables interrupts and returns the old
 * RFLAGS for rt_irq_restore(). */
static inline void rt_irq_enable(void)
{
    __asm__ volatile("sti" ::: "memory");
}

static inline void rt_irq_disable(void)
{
    __asm__ volatile("cli" ::: "memory");
}

static inline uint64_t rt_irq_save(void)
{
    uint64_t flags = rt_read_rflags();
    rt_irq_disable();
    return flags;
}

static inline void rt_irq_restore(uint64_t flags)
{
    if (flags & RFLAGS_IF)
        rt_irq_enable();
}

/* STI; HLT back to back: STI's one-instruction interrupt shadow makes an
 * interrupt pending at the STI wake the HLT instead of slipping in before
 * it.  Call with interrupts disabled after checking the wake-up condition;
 * returns with interrupts enabled, after an interrupt (or NMI) arrived. */
static inline void rt_safe_halt(void)
{
    __asm__ volatile("sti\n\thlt" ::: "memory");
}

static inline void rt_pause(void)
{
    __asm__ volatile("pause" ::: "memory");
}

#endif /* KEEL_GUEST_X86_H */
