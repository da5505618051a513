/* SPDX-License-Identifier: MIT */
/*
 * triple: triple-faults on purpose, for Keel's fault-containment tests.
 */
#include <stdio.h>

#include "rt.h"

int main(void)
{
    printf("triple: about to triple fault\n");
    rt_triple_fault();
}
