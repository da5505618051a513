/* SPDX-License-Identifier: MIT */
/*
 * hello: the default guest.  Prints a banner, says hello from every vCPU
 * and checks a few things about its environment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/abi.h"
#include "rt.h"
#include "test.h"

/* vCPU N sets said_hello[N]. */
static bool said_hello[RT_MAX_VCPUS];

static void hello_from(unsigned vcpu)
{
    printf("hello from vCPU %u of %u\n", vcpu, rt_vcpu_count());
    __atomic_store_n(&said_hello[vcpu], true, __ATOMIC_RELEASE);
}

KEEL_TEST(keel_signature)
{
    REQUIRE_KEEL();
    struct rt_cpuid base = rt_cpuid(KEEL_CPUID_BASE, 0);
    EXPECT_EQ(base.ebx, KEEL_CPUID_SIG_EBX);
    EXPECT_EQ(base.ecx, KEEL_CPUID_SIG_ECX);
    EXPECT_EQ(base.edx, KEEL_CPUID_SIG_EDX);
    EXPECT_EQ(rt_cpuid(KEEL_CPUID_INFO, 0).eax, KEEL_ABI_VERSION);
}

KEEL_TEST(every_vcpu_said_hello)
{
    for (unsigned i = 0; i < rt_vcpu_count(); i++)
        if (!EXPECT(__atomic_load_n(&said_hello[i], __ATOMIC_ACQUIRE)))
            printf("  vCPU %u did not say hello\n", i);
}

KEEL_TEST(heap_works)
{
    char *p = malloc(1 << 20);
    if (!EXPECT(p != NULL))
        return;
    memset(p, 0xa5, 1 << 20);
    EXPECT_EQ((uint8_t)p[(1 << 20) - 1], 0xa5);
    free(p);
}

int main(void)
{
    const char *cmdline = rt_cmdline();

    printf("Keel hello guest: VM %u, %u vCPU%s, %llu MiB RAM, command line \"%s\"\n",
           rt_vm_index(), rt_vcpu_count(), rt_vcpu_count() == 1 ? "" : "s",
           (unsigned long long)(rt_mem_bytes() >> 20), cmdline);
    if (!rt_under_keel())
        printf("(not running under Keel: console on COM1)\n");
    rt_run_on_all(hello_from);
    rt_run_tests();
}
