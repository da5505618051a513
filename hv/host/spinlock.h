/* SPDX-License-Identifier: MIT */
/*
 * A ticket spinlock: fair, so a CPU spinning on the console cannot starve.
 *
 * Debug builds (no NDEBUG) also record which CPU holds a lock, so that a
 * function whose contract says "called with L held" can check it with
 * KASSERT(spin_held(L)) (hv/host/panic.h); release builds compile both away.
 */
#ifndef KEEL_HV_SPINLOCK_H
#define KEEL_HV_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct spinlock {
    volatile uint32_t next;
    volatile uint32_t owner;
#ifndef NDEBUG
    volatile uint32_t holder;   /* spin_self() of the CPU holding it, 0 = free */
#endif
};

#ifdef NDEBUG
#define SPINLOCK_INIT { 0, 0 }
static inline bool spin_held(const struct spinlock *l) { (void)l; return true; }
#else
#define SPINLOCK_INIT { 0, 0, 0 }
/* A non-zero number for the calling CPU: its index + 1, or a value of its
 * own before the per-CPU state exists (hv/host/desc.c). */
uint32_t spin_self(void);
static inline bool spin_held(const struct spinlock *l)
{
    return __atomic_load_n(&l->holder, __ATOMIC_RELAXED) == spin_self();
}
#endif

static inline void spin_lock(struct spinlock *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        __asm__ volatile("pause" ::: "memory");
#ifndef NDEBUG
    __atomic_store_n(&l->holder, spin_self(), __ATOMIC_RELAXED);
#endif
}

static inline void spin_unlock(struct spinlock *l)
{
#ifndef NDEBUG
    __atomic_store_n(&l->holder, 0, __ATOMIC_RELAXED);
#endif
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#endif /* KEEL_HV_SPINLOCK_H */
