/* SPDX-License-Identifier: MIT */
/*
 * basic: integration tests of Keel's foundation (CPUID, port I/O, MSRs,
 * open bus, SMP).  The tests live in the other files of this directory.
 *
 * Command line:
 *   fault=triple      vCPU 0 triple-faults after "about to triple fault"
 *   fault=ap-triple   vCPU 1 does; vCPU 0 waits for Keel to stop the VM
 *                     and exits with status 4 if it does not
 *   fault=ud2         vCPU 0 executes UD2 unprotected: the runtime reports
 *                     the exception and exits with status 3
 *   test=<name>       run only that test
 */
#include <stdio.h>
#include <string.h>

#include "rt.h"
#include "test.h"

/* Exit status when the VM survived a triple fault on vCPU 1. */
#define BASIC_STATUS_NOT_CONTAINED 4

static void triple_fault_on_vcpu1(unsigned vcpu)
{
    if (vcpu != 1)
        return;
    printf("about to triple fault (vCPU 1)\n");
    rt_triple_fault();
}

int main(void)
{
    const char *fault = rt_cmdline_value("fault");

    if (fault && strcmp(fault, "triple") == 0) {
        printf("about to triple fault\n");
        rt_triple_fault();
    }
    if (fault && strcmp(fault, "ap-triple") == 0) {
        if (rt_vcpu_count() < 2) {
            printf("fault=ap-triple needs at least 2 vCPUs\n");
            return BASIC_STATUS_NOT_CONTAINED;
        }
        rt_start_aps(triple_fault_on_vcpu1);
        printf("vCPU 1 triple-faulted but the VM still runs\n");
        return BASIC_STATUS_NOT_CONTAINED;
    }
    if (fault && strcmp(fault, "ud2") == 0) {
        printf("about to execute ud2\n");
        __asm__ volatile("ud2");
    }
    if (fault) {
        printf("unknown fault=%s\n", fault);
        return 2;
    }
    rt_run_tests();
}
