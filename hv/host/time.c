/* SPDX-License-Identifier: MIT */
#include "hv/host/time.h"

#include "hv/x86.h"

uint64_t tsc_hz = 1000000000ull; /* replaced by boot calibration */

void udelay(uint64_t us)
{
    uint64_t end = rdtsc() + tsc_hz / 1000000 * us;
    while ((int64_t)(rdtsc() - end) < 0)
        cpu_relax();
}

uint64_t tsc_to_us(uint64_t ticks)
{
    return ticks / (tsc_hz / 1000000 ? tsc_hz / 1000000 : 1);
}
