/* SPDX-License-Identifier: MIT */
/*
 * External interrupts (vectors 32-255) and NMIs: a handler table shared by
 * every vCPU, per-vCPU delivery counts, and race-free waits.
 *
 * rt_exception (trap.c) sends every vector >= 32, and a vector below 32
 * (NMI, ...) when a handler is registered for it, to rt_irq_dispatch.  The runtime never sends an
 * EOI: it does not know which controller delivered the vector, so handlers
 * do (spurious-interrupt handlers must not).
 */
#include "rt_internal.h"
#include "x86.h"

/* Written by vCPU 0 (release); read by every vCPU's dispatch (acquire). */
static rt_irq_handler rt_irq_handlers[256];
/* rt_irq_counts[N][v]: deliveries of vector v on vCPU N, counted after the
 * handler returned.  Written by vCPU N only (atomically), read by anyone. */
static uint32_t rt_irq_counts[RT_MAX_VCPUS][256];
/* Deliveries of vectors without a handler, per vCPU, and the last one. */
static uint32_t rt_irq_unhandled[RT_MAX_VCPUS];
static uint8_t rt_irq_last_unhandled[RT_MAX_VCPUS];
/* rt_irq_tolerate_unregistered(); vCPU 0 sets it, everyone reads it. */
static bool rt_irq_tolerant;

void rt_irq_register(unsigned vector, rt_irq_handler fn)
{
    if (vector < 256)
        __atomic_store_n(&rt_irq_handlers[vector], fn, __ATOMIC_RELEASE);
}

bool rt_irq_has_handler(unsigned vector)
{
    return vector < 256 && __atomic_load_n(&rt_irq_handlers[vector], __ATOMIC_ACQUIRE);
}

void rt_irq_tolerate_unregistered(bool on)
{
    __atomic_store_n(&rt_irq_tolerant, on, __ATOMIC_RELEASE);
}

bool rt_irq_dispatch(unsigned vector)
{
    unsigned me = rt_vcpu_index();
    rt_irq_handler fn = __atomic_load_n(&rt_irq_handlers[vector & 0xff], __ATOMIC_ACQUIRE);

    if (fn) {
        fn(vector);
    } else if (vector >= 32 && __atomic_load_n(&rt_irq_tolerant, __ATOMIC_ACQUIRE)) {
        rt_irq_last_unhandled[me] = (uint8_t)vector;
        __atomic_add_fetch(&rt_irq_unhandled[me], 1, __ATOMIC_RELEASE);
    } else {
        return false;
    }
    __atomic_add_fetch(&rt_irq_counts[me][vector & 0xff], 1, __ATOMIC_RELEASE);
    return true;
}

uint32_t rt_irq_count(unsigned vcpu, unsigned vector)
{
    if (vcpu >= RT_MAX_VCPUS || vector >= 256)
        return 0;
    return __atomic_load_n(&rt_irq_counts[vcpu][vector], __ATOMIC_ACQUIRE);
}

uint32_t rt_irq_unhandled_count(unsigned vcpu, unsigned *last_vector)
{
    if (vcpu >= RT_MAX_VCPUS)
        return 0;
    if (last_vector)
        *last_vector = rt_irq_last_unhandled[vcpu];
    return __atomic_load_n(&rt_irq_unhandled[vcpu], __ATOMIC_ACQUIRE);
}

bool rt_irq_wait(unsigned vector, uint32_t target, uint64_t timeout_tsc)
{
    unsigned me = rt_vcpu_index();
    uint64_t flags = rt_irq_save();
    uint64_t deadline = rt_rdtsc() + timeout_tsc;
    bool reached;

    rt_irq_enable();
    while (!(reached = rt_irq_count(me, vector) >= target) && rt_rdtsc() < deadline)
        rt_pause();
    rt_irq_disable();
    rt_irq_restore(flags);
    return reached;
}

bool rt_irq_wait_halt(unsigned vector, uint32_t target, uint64_t timeout_tsc)
{
    unsigned me = rt_vcpu_index();
    uint64_t flags = rt_irq_save();
    uint64_t deadline = rt_rdtsc() + timeout_tsc;
    bool reached;

    /* Check with interrupts off, then STI;HLT: an interrupt arriving after
     * the check still ends the HLT (rt_safe_halt). */
    while (!(reached = rt_irq_count(me, vector) >= target) && rt_rdtsc() < deadline) {
        rt_safe_halt();
        rt_irq_disable();
    }
    rt_irq_restore(flags);
    return reached;
}
