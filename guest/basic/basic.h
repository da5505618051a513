/* SPDX-License-Identifier: MIT */
/* Helpers shared by the basic guest's test files. */
#ifndef KEEL_GUEST_BASIC_H
#define KEEL_GUEST_BASIC_H

/* EXPECTs that CPUID hides what Keel hides; callable on any vCPU. */
void basic_check_hidden_cpuid(void);

#endif /* KEEL_GUEST_BASIC_H */
