/* SPDX-License-Identifier: MIT */
/*
 * The MSR permission map (APM 15.11): pure, shared by svm.c, the AVIC
 * driver's x2AVIC map and the host tests.
 */
#include "svm/svm.h"

void svm_msrpm_set(uint8_t *msrpm, uint32_t msr, bool rd, bool wr)
{
    /* APM 15.11: three 2 KiB blocks of 2 bits per MSR (read, write). */
    uint32_t base;
    if (msr <= 0x1fffu)
        base = 0;
    else if (msr >= 0xc0000000u && msr <= 0xc0001fffu)
        base = 0x800, msr -= 0xc0000000u;
    else if (msr >= 0xc0010000u && msr <= 0xc0011fffu)
        base = 0x1000, msr -= 0xc0010000u;
    else
        return; /* outside the map: always intercepted */
    uint32_t bit = msr * 2;
    uint8_t *p = &msrpm[base + bit / 8];
    unsigned sh = bit % 8;
    *p = (uint8_t)((*p & ~(3u << sh)) | ((rd ? 1u : 0u) << sh) | ((wr ? 2u : 0u) << sh));
}
