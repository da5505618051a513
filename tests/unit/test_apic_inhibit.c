/* SPDX-License-Identifier: MIT */
/* Host tests of apic/apic_inhibit.c, the inhibit machine: the activation
 * toggles only when the honoured part of the mask goes empty <-> non-empty,
 * the history, the IRQ-window count's 0 <-> 1 rule, and (inhibit_stress)
 * many threads moving reasons and the count at once. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "apic/apic_inhibit.h"
#include "check.h"

/* AVIC-like: honours everything VM-scope but the PIT (Keel's does not
 * wait for EOIs) ; VMX-like: config and no-hw only. */
#define HON_AVIC (APIC_INHIBIT_VM_MASK & ~APIC_INHIBIT_PIT_REINJECT)
#define HON_VMX (APIC_INHIBIT_CONFIG | APIC_INHIBIT_NO_HW)

static void test_activation(void)
{
    struct apic_inhibit_vm m;
    apic_inhibit_init(&m, HON_AVIC, 0);
    CHECK(apic_inhibit_active(&m));
    CHECK_EQ(apic_inhibit_generation(&m), 0);
    /* First honoured reason: toggles. */
    CHECK_EQ(apic_inhibit_update(&m, APIC_INHIBIT_ID_MODIFIED, true, 1, 100), APIC_INHIBIT_TOGGLED);
    CHECK(!apic_inhibit_active(&m));
    CHECK_EQ(apic_inhibit_generation(&m), 1);
    /* A second one while inhibited: the mask only. */
    CHECK_EQ(apic_inhibit_update(&m, APIC_INHIBIT_IRQ_WINDOW, true, 0, 101), APIC_INHIBIT_MASK);
    CHECK_EQ(apic_inhibit_generation(&m), 1);
    /* Setting what is set: nothing, not even history. */
    CHECK_EQ(apic_inhibit_update(&m, APIC_INHIBIT_IRQ_WINDOW, true, 0, 102), APIC_INHIBIT_UNCHANGED);
    CHECK_EQ(m.nevents, 2);
    /* A reason not honoured: the mask only, never the activation. */
    CHECK_EQ(apic_inhibit_update(&m, APIC_INHIBIT_PIT_REINJECT, true, -1, 103), APIC_INHIBIT_MASK);
    CHECK_EQ(apic_inhibit_update(&m, APIC_INHIBIT_ID_MODIFIED, false, 1, 104), APIC_INHIBIT_MASK);
    CHECK(!apic_inhibit_active(&m));
    /* The last honoured reason goes: toggles back on with PIT still set. */
    CHECK_EQ(apic_inhibit_update(&m, APIC_INHIBIT_IRQ_WINDOW, false, 0, 105), APIC_INHIBIT_TOGGLED);
    CHECK(apic_inhibit_active(&m));
    CHECK_EQ(apic_inhibit_reasons(&m), APIC_INHIBIT_PIT_REINJECT);
    CHECK_EQ(apic_inhibit_generation(&m), 2);
    /* vCPU-scope bits are not the machine's. */
    CHECK_EQ(apic_inhibit_update(&m, APIC_INHIBIT_X2APIC_NO_HW, true, 0, 106),
             APIC_INHIBIT_UNCHANGED);
    /* Several bits at once: one event each, the toggle on the last. */
    CHECK_EQ(apic_inhibit_update(&m, APIC_INHIBIT_ID_ALIASED | APIC_INHIBIT_ID_MODIFIED, true, 2,
                                 107),
             APIC_INHIBIT_TOGGLED);
    struct apic_inhibit_event ev[APIC_INHIBIT_HISTORY];
    unsigned n = apic_inhibit_history(&m, ev, APIC_INHIBIT_HISTORY);
    CHECK_EQ(n, 7);
    CHECK_EQ(ev[0].reason, APIC_INHIBIT_ID_MODIFIED);
    CHECK(ev[0].set && ev[0].active_before && !ev[0].active_after && ev[0].vcpu == 1);
    CHECK_EQ(ev[0].time, 100);
    CHECK_EQ(ev[1].reason, APIC_INHIBIT_IRQ_WINDOW);
    CHECK(!ev[1].active_before && !ev[1].active_after);
    CHECK_EQ(ev[4].reason, APIC_INHIBIT_IRQ_WINDOW);
    CHECK(!ev[4].set && !ev[4].active_before && ev[4].active_after);
    CHECK_EQ(ev[4].reasons_after, APIC_INHIBIT_PIT_REINJECT);
    CHECK_EQ(ev[5].reason, APIC_INHIBIT_ID_MODIFIED);
    CHECK(ev[5].active_before && ev[5].active_after);    /* not yet: the next bit toggles */
    CHECK_EQ(ev[6].reason, APIC_INHIBIT_ID_ALIASED);
    CHECK(ev[6].active_before && !ev[6].active_after);
    CHECK_EQ(ev[6].reasons_after,
             APIC_INHIBIT_PIT_REINJECT | APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED);
}

static void test_vmx_like(void)
{
    struct apic_inhibit_vm m;
    apic_inhibit_init(&m, HON_VMX, APIC_INHIBIT_CONFIG | APIC_INHIBIT_DISABLED);
    CHECK(!apic_inhibit_active(&m));
    CHECK_EQ(apic_inhibit_reasons(&m), APIC_INHIBIT_CONFIG);   /* vCPU scope dropped */
    apic_inhibit_init(&m, HON_VMX, 0);
    /* VMX injects ExtINTs beside virtual-interrupt delivery: the IRQ window
     * is recorded but never deactivates. */
    CHECK(apic_inhibit_irq_window_inc(&m));
    CHECK_EQ(apic_inhibit_irq_window_sync(&m, 0, 1), APIC_INHIBIT_MASK);
    CHECK(apic_inhibit_active(&m));
    CHECK_EQ(apic_inhibit_generation(&m), 0);
}

static void test_history_ring(void)
{
    struct apic_inhibit_vm m;
    apic_inhibit_init(&m, HON_AVIC, 0);
    for (unsigned i = 0; i < 3 * APIC_INHIBIT_HISTORY + 5; i++)
        apic_inhibit_update(&m, APIC_INHIBIT_BASE_MOVED, (i & 1) == 0, (int)(i % 4), i);
    struct apic_inhibit_event ev[APIC_INHIBIT_HISTORY + 4];
    unsigned n = apic_inhibit_history(&m, ev, APIC_INHIBIT_HISTORY + 4);
    CHECK_EQ(n, APIC_INHIBIT_HISTORY);
    /* Oldest first, the newest last, consecutive. */
    for (unsigned i = 0; i < n; i++)
        CHECK_EQ(ev[i].time, 3 * APIC_INHIBIT_HISTORY + 5 - APIC_INHIBIT_HISTORY + i);
    CHECK_EQ(apic_inhibit_history(&m, ev, 3), 3);
    CHECK_EQ(ev[2].time, 3 * APIC_INHIBIT_HISTORY + 4);
    CHECK_EQ(apic_inhibit_generation(&m), 3 * APIC_INHIBIT_HISTORY + 5);
}

/* The count's rule: only 0 <-> 1 transitions ask for the lock. */
static void test_irq_window_count(void)
{
    struct apic_inhibit_vm m;
    apic_inhibit_init(&m, HON_AVIC, 0);
    CHECK(apic_inhibit_irq_window_inc(&m));        /* 0 -> 1 */
    CHECK(!apic_inhibit_irq_window_inc(&m));       /* 1 -> 2 */
    CHECK(!apic_inhibit_irq_window_inc(&m));       /* 2 -> 3 */
    CHECK_EQ(apic_inhibit_irq_window_sync(&m, 0, 1), APIC_INHIBIT_TOGGLED);
    CHECK(!apic_inhibit_irq_window_dec(&m));       /* 3 -> 2 */
    CHECK(!apic_inhibit_irq_window_dec(&m));       /* 2 -> 1 */
    CHECK(!apic_inhibit_active(&m));
    CHECK(apic_inhibit_irq_window_dec(&m));        /* 1 -> 0 */
    CHECK_EQ(apic_inhibit_irq_window_sync(&m, 2, 2), APIC_INHIBIT_TOGGLED);
    CHECK(apic_inhibit_active(&m));
    /* Syncs that run late settle on the count as it is when they run. */
    CHECK(apic_inhibit_irq_window_inc(&m));        /* 0 -> 1, sync delayed */
    CHECK(apic_inhibit_irq_window_dec(&m));        /* 1 -> 0, sync delayed */
    CHECK_EQ(apic_inhibit_irq_window_sync(&m, 0, 3), APIC_INHIBIT_UNCHANGED);
    CHECK_EQ(apic_inhibit_irq_window_sync(&m, 0, 4), APIC_INHIBIT_UNCHANGED);
    CHECK(apic_inhibit_active(&m));
    CHECK_EQ(m.nevents, 2);
}

/* ---- inhibit_stress: threads as vCPUs ------------------------------------ */

#define STRESS_THREADS 6
#define STRESS_ITERS 200000

static struct apic_inhibit_vm sm;
static pthread_mutex_t slock = PTHREAD_MUTEX_INITIALIZER;
static unsigned lock_takes[STRESS_THREADS];

static void sync_window(int id)
{
    pthread_mutex_lock(&slock);
    apic_inhibit_irq_window_sync(&sm, id, 0);
    /* Under the lock the activation always agrees with the mask. */
    if (apic_inhibit_active(&sm) != ((apic_inhibit_reasons(&sm) & sm.honoured) == 0))
        abort();
    pthread_mutex_unlock(&slock);
    lock_takes[id]++;
}

static void *stress_thread(void *arg)
{
    int id = (int)(long)arg;
    unsigned seed = 0x9e3779b9u * (unsigned)(id + 1);
    bool waiting = false;
    for (unsigned i = 0; i < STRESS_ITERS; i++) {
        seed = seed * 1103515245u + 12345u;
        unsigned op = (seed >> 16) % 16;
        if (op < 12) {
            /* The hot path: start or stop waiting for an ExtINT window. */
            bool w = !waiting;
            bool edge = w ? apic_inhibit_irq_window_inc(&sm) : apic_inhibit_irq_window_dec(&sm);
            waiting = w;
            if (edge)
                sync_window(id);
        } else {
            uint32_t r = op & 1 ? APIC_INHIBIT_ID_MODIFIED : APIC_INHIBIT_BASE_MOVED;
            pthread_mutex_lock(&slock);
            apic_inhibit_update(&sm, r, (op & 2) != 0, id, i);
            pthread_mutex_unlock(&slock);
        }
    }
    if (waiting && apic_inhibit_irq_window_dec(&sm))
        sync_window(id);
    return NULL;
}

static void test_stress(void)
{
    apic_inhibit_init(&sm, HON_AVIC, 0);
    pthread_t t[STRESS_THREADS];
    for (long i = 0; i < STRESS_THREADS; i++)
        pthread_create(&t[i], NULL, stress_thread, (void *)i);
    for (int i = 0; i < STRESS_THREADS; i++)
        pthread_join(t[i], NULL);
    /* Everyone stopped waiting: the count is 0 and the reason is gone. */
    CHECK_EQ(sm.irq_window, 0);
    CHECK(!(apic_inhibit_reasons(&sm) & APIC_INHIBIT_IRQ_WINDOW));
    /* Clearing the rest activates again; the generation's parity says so. */
    apic_inhibit_update(&sm, APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_BASE_MOVED, false, -1, 0);
    CHECK(apic_inhibit_active(&sm));
    CHECK_EQ(apic_inhibit_generation(&sm) % 2, 0);
    /* The hot path mostly stayed off the lock (1 <-> 2 <-> ... moves). */
    unsigned takes = 0;
    for (int i = 0; i < STRESS_THREADS; i++)
        takes += lock_takes[i];
    printf("inhibit_stress: %u lock takes for %u window changes\n", takes,
           STRESS_THREADS * STRESS_ITERS * 3 / 4);
    CHECK(takes < STRESS_THREADS * STRESS_ITERS * 3 / 4);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "stress") == 0) {
        test_stress();
        return check_report("inhibit_stress");
    }
    test_activation();
    test_vmx_like();
    test_history_ring();
    test_irq_window_count();
    return check_report("inhibit_machine");
}
