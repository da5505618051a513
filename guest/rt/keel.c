/* SPDX-License-Identifier: MIT */
/*
 * Finding Keel (CPUID 0x40000000) and calling it: VMMCALL on AMD, VMCALL
 * on Intel, chosen once from the CPUID vendor.
 */
#include <string.h>

#include "hv/abi.h"
#include "rt_internal.h"
#include "x86.h"

_Static_assert(RT_KEEL_AP_MAGIC == KEEL_AP_MAGIC, "rt_layout.h and hv/abi.h disagree");
_Static_assert(RT_KEEL_CPUID_INFO == KEEL_CPUID_INFO, "rt_layout.h and hv/abi.h disagree");

/* Written once by vCPU 0 before any AP starts; read-only afterwards. */
static struct {
    bool keel;          /* Keel's signature is present */
    bool vmcall;        /* Intel: VMCALL; otherwise VMMCALL */
    unsigned vcpus;     /* CPUID 0x40000001 ECX, clamped to RT_MAX_VCPUS */
    unsigned vm;        /* CPUID 0x40000001 EDX */
} rt_env = {.vcpus = 1};

void rt_keel_detect(void)
{
    struct rt_cpuid vendor = rt_cpuid(0, 0);
    struct rt_cpuid base;

    /* "GenuineIntel" (and other VMX vendors) in EBX, EDX, ECX. */
    rt_env.vmcall = !(vendor.ebx == 0x68747541 /* "Auth" */ ||
                      vendor.ebx == 0x6f677948 /* "Hygo" */);
    if (!(rt_cpuid(1, 0).ecx & CPUID_1_ECX_HYPERVISOR))
        return;
    base = rt_cpuid(KEEL_CPUID_BASE, 0);
    if (base.ebx != KEEL_CPUID_SIG_EBX || base.ecx != KEEL_CPUID_SIG_ECX ||
        base.edx != KEEL_CPUID_SIG_EDX || base.eax < KEEL_CPUID_INFO)
        return;
    rt_env.keel = true;
    struct rt_cpuid info = rt_cpuid(KEEL_CPUID_INFO, 0);
    rt_env.vcpus = info.ecx == 0 ? 1 : info.ecx > RT_MAX_VCPUS ? RT_MAX_VCPUS : info.ecx;
    rt_env.vm = info.edx;
}

bool rt_under_keel(void)
{
    return rt_env.keel;
}

unsigned rt_vcpu_count(void)
{
    return rt_env.vcpus;
}

void rt_set_vcpu_count(unsigned n)
{
    rt_env.vcpus = n == 0 ? 1 : n > RT_MAX_VCPUS ? RT_MAX_VCPUS : n;
}

unsigned rt_vm_index(void)
{
    return rt_env.vm;
}

unsigned rt_vcpu_index(void)
{
    uintptr_t sp;

    __asm__("mov %%rsp, %0" : "=r"(sp));
    return (unsigned)((sp - (uintptr_t)rt_stacks) >> RT_STACK_SHIFT);
}

long rt_hypercall(unsigned long nr, unsigned long a0, unsigned long a1, unsigned long a2)
{
    long ret;

    if (!rt_env.keel)
        return KEEL_ENOSYS;
    if (rt_env.vmcall)
        __asm__ volatile("vmcall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
                         : "memory");
    else
        __asm__ volatile("vmmcall"
                         : "=a"(ret)
                         : "a"(nr), "D"(a0), "S"(a1), "d"(a2)
                         : "memory");
    return ret;
}
