/* SPDX-License-Identifier: MIT */
/*
 * Application processors and locks.  vCPU 0 starts each AP once with
 * KEEL_HC_VCPU_START (or INIT-SIPI, sipi.c); an AP then idles in
 * rt_ap_main, spinning until vCPU 0 publishes a new work generation, runs
 * the function and reports the generation done.  Idle APs spin with PAUSE,
 * with interrupts as the last function left them.
 */
#include <stdio.h>

#include "hv/abi.h"
#include "rt_internal.h"
#include "x86.h"

/* How long vCPU 0 waits for the APs of one dispatch (TSC cycles; some
 * seconds on any host). */
#define RT_AP_TIMEOUT_TSC (1ull << 34)

/* Written by vCPU 0 (release) before it bumps rt_ap_gen; read by APs. */
static void (*rt_ap_fn)(unsigned vcpu);
/* Work generation: bumped by vCPU 0 per dispatch, polled by the APs. */
static uint32_t rt_ap_gen;

void rt_lock(struct rt_lock *lock)
{
    uint32_t me = rt_vcpu_index() + 1;
    uint32_t expected = 0;

    if (__atomic_load_n(&lock->owner, __ATOMIC_RELAXED) == me) {
        lock->depth++;
        return;
    }
    while (!__atomic_compare_exchange_n(&lock->owner, &expected, me, false, __ATOMIC_ACQUIRE,
                                        __ATOMIC_RELAXED)) {
        expected = 0;
        rt_pause();
    }
    lock->depth = 1;
}

void rt_unlock(struct rt_lock *lock)
{
    if (--lock->depth == 0)
        __atomic_store_n(&lock->owner, 0, __ATOMIC_RELEASE);
}

_Noreturn void rt_ap_main(uint32_t arg)
{
    struct rt_percpu *pc = rt_percpu();
    unsigned me = rt_vcpu_index();

    if (arg != me)
        printf("vCPU %u: started with argument %u\n", me, arg);
    for (;;) {
        uint32_t gen;
        while ((gen = __atomic_load_n(&rt_ap_gen, __ATOMIC_ACQUIRE)) == pc->ap_seen_gen)
            rt_pause();
        pc->ap_seen_gen = gen;
        void (*fn)(unsigned) = __atomic_load_n(&rt_ap_fn, __ATOMIC_RELAXED);
        if (fn)
            fn(me);
        rt_console_flush();
        __atomic_store_n(&pc->ap_done_gen, gen, __ATOMIC_RELEASE);
    }
}

void rt_ap_skip_published_work(void)
{
    struct rt_percpu *pc = rt_percpu();
    uint32_t gen = __atomic_load_n(&rt_ap_gen, __ATOMIC_ACQUIRE);

    pc->ap_seen_gen = gen;
    __atomic_store_n(&pc->ap_done_gen, gen, __ATOMIC_RELEASE);
}

/* Publishes fn as a new generation and starts APs that never ran. */
static uint32_t rt_ap_dispatch(void (*fn)(unsigned vcpu))
{
    uint32_t gen;

    __atomic_store_n(&rt_ap_fn, fn, __ATOMIC_RELAXED);
    gen = __atomic_add_fetch(&rt_ap_gen, 1, __ATOMIC_RELEASE);
    for (unsigned i = 1; i < rt_vcpu_count(); i++) {
        struct rt_percpu *pc = &rt_percpu_area[i];
        if (pc->ap_started)
            continue;
        long r = rt_hypercall(KEEL_HC_VCPU_START, i, (uintptr_t)_start, i);
        if (r < 0)
            printf("vCPU 0: starting vCPU %u failed (%ld)\n", i, r);
        else
            pc->ap_started = true;
    }
    return gen;
}

static unsigned rt_ap_wait(uint32_t gen)
{
    uint64_t deadline = rt_rdtsc() + RT_AP_TIMEOUT_TSC;
    unsigned done = 0;

    for (unsigned i = 1; i < rt_vcpu_count(); i++) {
        struct rt_percpu *pc = &rt_percpu_area[i];
        if (!pc->ap_started)
            continue;
        while (__atomic_load_n(&pc->ap_done_gen, __ATOMIC_ACQUIRE) != gen &&
               rt_rdtsc() < deadline)
            rt_pause();
        if (__atomic_load_n(&pc->ap_done_gen, __ATOMIC_ACQUIRE) == gen)
            done++;
        else
            printf("vCPU 0: vCPU %u did not finish in time\n", i);
    }
    return done;
}

unsigned rt_start_aps(void (*fn)(unsigned vcpu))
{
    if (rt_vcpu_index() != 0) {
        printf("vCPU %u: rt_start_aps is for vCPU 0 only\n", rt_vcpu_index());
        return 0;
    }
    return rt_ap_wait(rt_ap_dispatch(fn));
}

uint32_t rt_start_aps_nowait(void (*fn)(unsigned vcpu))
{
    if (rt_vcpu_index() != 0) {
        printf("vCPU %u: rt_start_aps_nowait is for vCPU 0 only\n", rt_vcpu_index());
        return 0;
    }
    return rt_ap_dispatch(fn);
}

unsigned rt_wait_aps(uint32_t ticket)
{
    return rt_ap_wait(ticket);
}

unsigned rt_run_on_all(void (*fn)(unsigned vcpu))
{
    uint32_t gen;

    if (rt_vcpu_index() != 0) {
        printf("vCPU %u: rt_run_on_all is for vCPU 0 only\n", rt_vcpu_index());
        return 0;
    }
    gen = rt_ap_dispatch(fn);
    fn(0);
    return rt_ap_wait(gen) + 1;
}
