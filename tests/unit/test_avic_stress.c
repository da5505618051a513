/* SPDX-License-Identifier: MIT */
/*
 * avic_stress: threads as physical CPUs, each running one vCPU of the rig
 * (tests/unit/avic_rig.h) over the AVIC model, sending IPIs in physical,
 * logical and self destination modes while the inhibit machine turns AVIC
 * off and on (the IRQ-window and ID reasons), vCPUs halt and wake, and
 * interrupts are taken and EOIed.
 *
 * Invariant: every interrupt sent is delivered exactly once, and nothing
 * is left in ISR or IRR at the end, with the erratum #1235 workaround off
 * and on.  Each (sender, target) pair has a vector of its own and at most
 * one interrupt in flight (a token returned on receipt), so a lost or
 * duplicated delivery is seen as such rather than merged in IRR.
 *
 * Each thread's choices come from the seed (printed; KEEL_SEED=N to
 * repeat them); the interleaving of the threads is the OS scheduler's.
 */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "apic/apic_defs.h"
#include "avic_rig.h"
#include "check.h"

#define NV 4
#define ITERS 10000 /* per thread: about 40 s under ASan on 2 busy cores (suite budget) */

static struct rig R;
static unsigned seed0;
static unsigned sent[NV][NV], received[NV][NV];
static int token[NV][NV];
static int stop;

static uint8_t vec_of(unsigned s, unsigned t) { return (uint8_t)(0x40 + s * 0x20 + t * 4); }

static bool pair_of(int vec, unsigned *s, unsigned *t)
{
    if (vec < 0x40 || ((vec - 0x40) & 3))
        return false;
    *s = (unsigned)(vec - 0x40) / 0x20;
    *t = ((unsigned)(vec - 0x40) % 0x20) / 4;
    return *s < NV && *t < NV;
}

static unsigned rnd(unsigned *st)
{
    *st = *st * 1103515245u + 12345u;
    return *st >> 16;
}

static void send(struct rig_vcpu *v, unsigned t, unsigned how)
{
    uint8_t vec = vec_of(v->idx, t);
    uint64_t icr;
    if (t == v->idx)
        icr = (1u << 18) | vec;                                   /* self shorthand */
    else if ((how & 1) || t == 1 || t == 2)
        /* Logical, flat.  vCPUs 1 and 2 only so: vCPU 1 changes its ID to
         * 2 and back, and a physical IPI to ID 2 then reaches both
         * (architecturally), which the one-token-per-pair count forbids. */
        icr = ((uint64_t)(1u << t) << 56) | (1u << 11) | vec;
    else
        icr = ((uint64_t)t << 56) | vec;                          /* physical */
    rig_mmio_write(v, APIC_ICR + 0x10, (uint32_t)(icr >> 32));
    rig_mmio_write(v, APIC_ICR, (uint32_t)icr);
}

static void take_all(struct rig_vcpu *v)
{
    for (int vec; (vec = rig_take(v)) >= 0;) {
        unsigned s, t;
        if (!pair_of(vec, &s, &t) || t != v->idx) {
            fprintf(stderr, "avic_stress: vCPU %u took unexpected vector %#x\n", v->idx, vec);
            __atomic_add_fetch(&R.unexpected, 1, __ATOMIC_RELAXED);
        } else {
            __atomic_add_fetch(&received[s][t], 1, __ATOMIC_RELAXED);
            __atomic_store_n(&token[s][t], 0, __ATOMIC_RELEASE);
        }
        rig_eoi(v);
    }
}

static void *vcpu_thread(void *arg)
{
    struct rig_vcpu *v = arg;
    unsigned st = seed0 * 2654435761u + v->idx * 40503u + 1;
    rig_enter(v);
    for (unsigned i = 0; i < ITERS; i++) {
        unsigned op = rnd(&st) % 100;
        if (op < 45) {
            unsigned t = rnd(&st) % NV;
            if (__atomic_load_n(&token[v->idx][t], __ATOMIC_ACQUIRE) == 0) {
                __atomic_store_n(&token[v->idx][t], 1, __ATOMIC_RELEASE);
                __atomic_add_fetch(&sent[v->idx][t], 1, __ATOMIC_RELAXED);
                send(v, t, rnd(&st));
            }
        } else if (op < 85) {
            take_all(v);
        } else if (op < 93) {
            /* HLT: sleep until kicked (bounded: the tokens may all be out). */
            if (rig_block(v))
                for (unsigned w = 0; w < 2000 && __atomic_load_n(&v->halted, __ATOMIC_ACQUIRE); w++)
                    sched_yield();
            rig_unblock(v);
            rig_enter(v);
        } else if (op < 97 && v->idx == 0) {
            /* An ExtINT waiting for a window inhibits AVIC, VM-wide. */
            rig_inhibit(&R, APIC_INHIBIT_IRQ_WINDOW, rnd(&st) & 1);
        } else if (v->idx == 1 && op < 97) {
            /* An ID made to alias another (seed 002) and restored. */
            uint32_t id = rnd(&st) & 1 ? 2u : 1u;
            rig_mmio_write(v, APIC_ID, id << 24);
        }
    }
    /* Drain: keep taking until every thread stopped sending and every
     * token addressed here is back.  A token that never comes back is a
     * lost interrupt: give up 20 s after the others stopped (a bound on
     * progress, not on the machine's speed: nothing is sent any more). */
    __atomic_add_fetch(&stop, 1, __ATOMIC_ACQ_REL);
    time_t quiet = 0;
    for (;;) {
        take_all(v);
        if (__atomic_load_n(&stop, __ATOMIC_ACQUIRE) == NV) {
            bool out = false;
            for (unsigned s = 0; s < NV; s++)
                out |= __atomic_load_n(&token[s][v->idx], __ATOMIC_ACQUIRE) != 0;
            if (!out)
                break;
            if (!quiet)
                quiet = time(NULL);
            else if (time(NULL) - quiet > 20)
                break;
        }
        sched_yield();
    }
    rig_exit(v);
    return NULL;
}

static void run(bool erratum, bool x2avic)
{
    memset(sent, 0, sizeof(sent));
    memset(received, 0, sizeof(received));
    memset(token, 0, sizeof(token));
    stop = 0;
    rig_init(&R, NV, x2avic, erratum);
    for (unsigned i = 0; i < NV; i++) {
        struct rig_vcpu *v = &R.v[i];
        pthread_mutex_lock(&v->lock);
        vlapic_mmio_write(&v->vl, APIC_LDR, 4, (1u << i) << 24);   /* flat, bit i */
        pthread_mutex_unlock(&v->lock);
        vlapic_dest_view(&v->vl, &R.views[i]);
    }
    pthread_t th[NV];
    for (unsigned i = 0; i < NV; i++)
        pthread_create(&th[i], NULL, vcpu_thread, &R.v[i]);
    for (unsigned i = 0; i < NV; i++)
        pthread_join(th[i], NULL);
    unsigned total = 0, lost = 0, dup = 0;
    for (unsigned s = 0; s < NV; s++)
        for (unsigned t = 0; t < NV; t++) {
            total += sent[s][t];
            if (received[s][t] < sent[s][t])
                lost += sent[s][t] - received[s][t];
            if (received[s][t] > sent[s][t])
                dup += received[s][t] - sent[s][t];
        }
    printf("avic_stress: erratum %s, x2avic %s: %u IPIs, %u lost, %u duplicated, "
           "activation toggles %u, %u wakes\n", erratum ? "on" : "off", x2avic ? "yes" : "no",
           total, lost, dup, apic_inhibit_generation(&R.inhibit),
           R.v[0].wakes + R.v[1].wakes + R.v[2].wakes + R.v[3].wakes);
    for (unsigned i = 0; lost && i < NV; i++) {
        struct rig_vcpu *v = &R.v[i];
        fprintf(stderr, "  vCPU %u: irr %d isr %d accel %d regs %d in_guest %d model_in_guest %d "
                "halted %d kicked %d phys %#llx ppr %#x tpr %#x\n", i,
                vlapic_highest_irr(&v->vl), vlapic_highest_isr(&v->vl), v->accel.on,
                v->accel.regs, v->in_guest, avic_hw_in_guest(R.hw, i), v->halted, v->kicked,
                (unsigned long long)R.phys[i], v->page[0xa0 / 4], v->page[0x80 / 4]);
        for (unsigned s = 0; s < NV; s++)
            if (sent[s][i] != received[s][i])
                fprintf(stderr, "    from %u: sent %u received %u token %d\n", s, sent[s][i],
                        received[s][i], token[s][i]);
    }
    CHECK(total > 1000);
    CHECK_EQ(lost, 0);
    CHECK_EQ(dup, 0);
    CHECK_EQ(R.unexpected, 0);
    CHECK(apic_inhibit_generation(&R.inhibit) > 0);
    for (unsigned i = 0; i < NV; i++) {
        CHECK_EQ(vlapic_highest_isr(&R.v[i].vl), -1);
        CHECK_EQ(vlapic_highest_irr(&R.v[i].vl), -1);
        CHECK_EQ(R.v[i].anomalies, 0);
    }
    rig_fini(&R);
}

int main(void)
{
    const char *s = getenv("KEEL_SEED");
    seed0 = s ? (unsigned)strtoul(s, NULL, 0) : (unsigned)time(NULL);
    printf("avic_stress: seed %u (KEEL_SEED=%u repeats each thread's choices)\n", seed0, seed0);
    run(false, true);
    run(true, true);
    run(false, false);
    return check_report("avic_stress");
}
