/* SPDX-License-Identifier: MIT */
/* A ticket spinlock: fair, so a CPU spinning on the console cannot starve. */
#ifndef KEEL_HV_SPINLOCK_H
#define KEEL_HV_SPINLOCK_H

#include <stdint.h>

struct spinlock {
    volatile uint32_t next;
    volatile uint32_t owner;
};

#define SPINLOCK_INIT { 0, 0 }

static inline void spin_lock(struct spinlock *l)
{
    uint32_t me = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);
    while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != me)
        __asm__ volatile("pause" ::: "memory");
}

static inline void spin_unlock(struct spinlock *l)
{
    __atomic_store_n(&l->owner, l->owner + 1, __ATOMIC_RELEASE);
}

#endif /* KEEL_HV_SPINLOCK_H */
