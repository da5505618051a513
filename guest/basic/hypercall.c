/* SPDX-License-Identifier: MIT */
/*
 * Hypercalls Keel must refuse (hv/abi.h): they return a negative KEEL_E*
 * code and change nothing.
 */
#include "hv/abi.h"
#include "rt.h"
#include "test.h"

KEEL_TEST(hypercall_errors)
{
    REQUIRE_KEEL();
    EXPECT(rt_hypercall(0xdead, 0, 0, 0) < 0);              /* unknown call */
    EXPECT(rt_hypercall(KEEL_HC_VCPU_START, rt_vcpu_count(),   /* no such vCPU */
                        (uintptr_t)RT_LOAD_ADDR, 0) < 0);
    EXPECT(rt_hypercall(KEEL_HC_VCPU_START, 0,              /* already running */
                        (uintptr_t)RT_LOAD_ADDR, 0) < 0);
}

KEEL_TEST(hypercall_console_write)
{
    REQUIRE_KEEL();
    static const char msg[] = "  (console write hypercall)\n";
    EXPECT_EQ(rt_hypercall(KEEL_HC_CONSOLE_WRITE, (uintptr_t)msg, sizeof(msg) - 1, 0),
              sizeof(msg) - 1);
}
