/* SPDX-License-Identifier: MIT */
#include "hv/host/hosttimer.h"

#include "hv/host/console.h"
#include "hv/host/lapic_host.h"
#include "hv/host/percpu.h"
#include "hv/host/time.h"
#include "hv/x86.h"

/* LAPIC timer registers (SDM 11.5.4) and the TSC-deadline MSR. */
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_TMICT     0x380
#define LAPIC_TMCCT     0x390
#define LAPIC_TDCR      0x3e0
#define TDCR_DIVIDE_1   0xb
#define LVT_MASKED      (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define MSR_TSC_DEADLINE 0x6e0u
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CALIBRATE_US    10000u

static bool use_deadline;
static uint64_t lapic_per_tsc_32; /* LAPIC timer ticks per TSC tick, 32.32 fixed point */


void host_timer_calibrate(void)
{
    uint32_t r[4];
    cpuid_count(1, 0, r);
    use_deadline = (r[2] & CPUID1_ECX_TSC_DEADLINE) != 0;
    if (use_deadline) {
        log_info("host timer: TSC-deadline mode");
        return;
    }
    lapic_host_write(LAPIC_TDCR, TDCR_DIVIDE_1);
    lapic_host_write(LAPIC_LVT_TIMER, LVT_MASKED);
    lapic_host_write(LAPIC_TMICT, 0xffffffffu);
    uint64_t t0 = rdtsc();
    udelay(CALIBRATE_US);
    uint32_t left = lapic_host_read(LAPIC_TMCCT);
    uint64_t dt = rdtsc() - t0;
    lapic_host_write(LAPIC_TMICT, 0);
    uint64_t ticks = 0xffffffffull - left;
    lapic_per_tsc_32 = dt ? (ticks << 32) / dt : 0;
    log_info("host timer: LAPIC one-shot, %lu kHz", (unsigned long)(ticks * 1000 / CALIBRATE_US));
}

void host_timer_cpu_init(void)
{
    lapic_host_write(LAPIC_TDCR, TDCR_DIVIDE_1);
    lapic_host_write(LAPIC_LVT_TIMER, HOST_VEC_TIMER | (use_deadline ? LVT_TSC_DEADLINE : 0));
    lapic_host_write(LAPIC_TMICT, 0);
}

void host_timer_arm(uint64_t deadline)
{
    struct percpu *pc = this_cpu();
    if (deadline == pc->timer_armed_for && !pc->timer_fired)
        return; /* already armed for exactly this (the common case) */
    pc->timer_armed_for = deadline;
    pc->timer_fired = 0;
    if (use_deadline) {
        wrmsr(MSR_TSC_DEADLINE, deadline);
        return;
    }
    if (!deadline) {
        lapic_host_write(LAPIC_TMICT, 0);
        return;
    }
    uint64_t now = rdtsc();
    uint64_t delta = deadline > now ? deadline - now : 0;
    unsigned __int128 t = (unsigned __int128)delta * lapic_per_tsc_32;
    uint64_t ticks = (uint64_t)(t >> 32);
    if (ticks == 0)
        ticks = 1;
    if (ticks > 0xffffffffull)
        ticks = 0xffffffffull; /* fires early; the run loop re-arms */
    lapic_host_write(LAPIC_TMICT, (uint32_t)ticks);
}
