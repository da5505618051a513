/* SPDX-License-Identifier: MIT */
/*
 * Shared between the vLAPIC source files (vlapic.c, vlapic_intr.c,
 * vlapic_timer.c) only; everything else uses apic/vlapic.h.
 */
#ifndef KEEL_APIC_VLAPIC_INTERNAL_H
#define KEEL_APIC_VLAPIC_INTERNAL_H

#include "apic/vlapic.h"

/* 8 x 32-bit registers, 16 bytes apart, hold 256 bits (ISR, TMR, IRR). */
#define VLAPIC_VEC_REGS 8u

/* LVT bits software may write, per entry (SDM 11.5.1, figure 11-8). */
#define VLAPIC_LVT_DM_BITS   (APIC_LVT_VECTOR | APIC_LVT_DM_MASK | APIC_LVT_MASKED)
#define VLAPIC_LVT_LINT_BITS (VLAPIC_LVT_DM_BITS | APIC_LVT_POLARITY | APIC_LVT_LEVEL)
#define VLAPIC_LVT_VEC_BITS  (APIC_LVT_VECTOR | APIC_LVT_MASKED)
/* Read-only LVT bits: writes leave them alone (not reserved). */
#define VLAPIC_LVT_RO_BITS   (APIC_LVT_PENDING | APIC_LVT_REMOTE_IRR)

/* Relaxed atomic accesses (plain MOVs on x86): with AVIC other CPUs set
 * IRR bits in this page while the vLAPIC reads it. */
static inline uint32_t vlapic_reg(const struct vlapic *vl, uint32_t off)
{
    return __atomic_load_n(&vl->page[off >> 2], __ATOMIC_RELAXED);
}

static inline void vlapic_set_reg(struct vlapic *vl, uint32_t off, uint32_t v)
{
    __atomic_store_n(&vl->page[off >> 2], v, __ATOMIC_RELAXED);
}

static inline bool vlapic_vec_test(const struct vlapic *vl, uint32_t base, uint8_t vec)
{
    return (vlapic_reg(vl, base + ((uint32_t)(vec >> 5) << 4)) >> (vec & 31u)) & 1u;
}

/* Atomic read-modify-writes: with AVIC the CPU sets IRR bits in this page
 * from other physical CPUs while the vLAPIC works on it (a plain |= or &=
 * here could undo one of them). */
static inline void vlapic_vec_set(struct vlapic *vl, uint32_t base, uint8_t vec)
{
    __atomic_fetch_or(&vl->page[(base + ((uint32_t)(vec >> 5) << 4)) >> 2], 1u << (vec & 31u),
                      __ATOMIC_SEQ_CST);
}

static inline void vlapic_vec_clear(struct vlapic *vl, uint32_t base, uint8_t vec)
{
    __atomic_fetch_and(&vl->page[(base + ((uint32_t)(vec >> 5) << 4)) >> 2], ~(1u << (vec & 31u)),
                       __ATOMIC_SEQ_CST);
}

static inline uint64_t vlapic_now(const struct vlapic *vl)
{
    return vl->ops->now(vl->ctx);
}

/* ops->clock, or the guest TSC when there is none (struct vlapic_ops). */
static inline uint64_t vlapic_clock(const struct vlapic *vl)
{
    return vl->ops->clock ? vl->ops->clock(vl->ctx) : vl->ops->now(vl->ctx);
}

/* vlapic_intr.c */
int vlapic_highest_vec(const struct vlapic *vl, uint32_t base);   /* -1: none */
void vlapic_update_ppr(struct vlapic *vl);
void vlapic_error(struct vlapic *vl, uint32_t esr_bits);
void vlapic_esr_write(struct vlapic *vl);
void vlapic_lvt_deliver(struct vlapic *vl, uint32_t lvt_off);
void vlapic_lint_sample(struct vlapic *vl, unsigned pin, bool edge);
void vlapic_self_ipi(struct vlapic *vl, uint8_t vector);
uint32_t vlapic_apr(const struct vlapic *vl);

/* vlapic_timer.c */
void vlapic_timer_stop(struct vlapic *vl);
void vlapic_timer_write_lvt(struct vlapic *vl, uint32_t val);
void vlapic_timer_write_tmict(struct vlapic *vl, uint32_t val);
void vlapic_timer_write_tdcr(struct vlapic *vl, uint32_t val);
uint32_t vlapic_timer_mode(const struct vlapic *vl);

#endif /* KEEL_APIC_VLAPIC_INTERNAL_H */
