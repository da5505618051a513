/* SPDX-License-Identifier: MIT */
/*
 * xsave: in-guest tests of the XSAVE feature set Keel offers (xsave.c:
 * CPUID.1 XSAVE/OSXSAVE, XSETBV/XGETBV, the #GP/#UD cases, leaf 0xD
 * against what XSAVE writes, AVX state across exits and vCPUs) and of the
 * MSRs of docs/msrs.md (msr.c).
 *
 * Command line: test=<name> runs only that test.
 */
#include "rt.h"
#include "test.h"

int main(void)
{
    rt_run_tests();
}
