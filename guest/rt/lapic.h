/* SPDX-License-Identifier: MIT */
/*
 * The local APIC as a guest sees it, in xAPIC mode (a 4 KiB MMIO page at
 * IA32_APIC_BASE) and in x2APIC mode (MSRs 0x800-0x8FF), behind one small
 * accessor layer.  Names follow Intel SDM vol. 3A ch. 11 ("Advanced
 * Programmable Interrupt Controller") and AMD APM vol. 2 ch. 16.
 *
 * Registers are named by their xAPIC MMIO offset; in x2APIC mode register
 * R is MSR 0x800 + (R >> 4).  Each vCPU caches its IA32_APIC_BASE (mode and
 * MMIO address): change it only through apic_base_write_safe().
 */
#ifndef KEEL_GUEST_LAPIC_H
#define KEEL_GUEST_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "x86_bits.h"

/* IA32_APIC_BASE (MSR 0x1B). */
#define APIC_BASE_BSP           RT_BIT(8)   /* this is the bootstrap processor */
#define APIC_BASE_EXTD          RT_BIT(10)  /* x2APIC mode (with EN) */
#define APIC_BASE_EN            RT_BIT(11)  /* APIC global enable */
#define APIC_BASE_ADDR_MASK     0x000ffffffffff000ull  /* bits 51:12, cut to MAXPHYADDR */
#define APIC_DEFAULT_BASE       0xfee00000u

/* Register offsets (xAPIC MMIO; x2APIC MSR = 0x800 + offset / 16). */
#define APIC_ID                 0x020   /* local APIC ID */
#define APIC_LVR                0x030   /* version */
#define APIC_TPR                0x080   /* task priority */
#define APIC_APR                0x090   /* arbitration priority (xAPIC, not all CPUs) */
#define APIC_PPR                0x0a0   /* processor priority */
#define APIC_EOI                0x0b0   /* end of interrupt (write-only) */
#define APIC_RRD                0x0c0   /* remote read (xAPIC, not all CPUs) */
#define APIC_LDR                0x0d0   /* logical destination */
#define APIC_DFR                0x0e0   /* destination format (xAPIC only) */
#define APIC_SVR                0x0f0   /* spurious interrupt vector */
#define APIC_ISR                0x100   /* in-service, 8 x 32 bits, 0x10 apart */
#define APIC_TMR                0x180   /* trigger mode, 8 x 32 bits */
#define APIC_IRR                0x200   /* interrupt request, 8 x 32 bits */
#define APIC_ESR                0x280   /* error status */
#define APIC_LVT_CMCI           0x2f0   /* corrected machine check (Intel) */
#define APIC_ICR                0x300   /* interrupt command, bits 31:0 */
#define APIC_ICR2               0x310   /* interrupt command, bits 63:32 (xAPIC) */
#define APIC_LVT_TIMER          0x320
#define APIC_LVT_THERMAL        0x330
#define APIC_LVT_PMC            0x340   /* performance monitoring counters */
#define APIC_LVT_LINT0          0x350
#define APIC_LVT_LINT1          0x360
#define APIC_LVT_ERROR          0x370
#define APIC_TMICT              0x380   /* timer initial count */
#define APIC_TMCCT              0x390   /* timer current count (read-only) */
#define APIC_TDCR               0x3e0   /* timer divide configuration */
#define APIC_SELF_IPI           0x3f0   /* x2APIC mode only (write-only) */

#define APIC_MSR(reg)           (MSR_X2APIC_BASE + ((reg) >> 4))

/* Version register. */
#define APIC_LVR_VERSION(v)     ((v) & 0xffu)
#define APIC_LVR_MAX_LVT(v)     (((v) >> 16) & 0xffu)  /* number of LVT entries - 1 */
#define APIC_LVR_EOI_SUPPRESS   RT_BIT(24)  /* SVR bit 12 is implemented */

/* Spurious interrupt vector register. */
#define APIC_SVR_VECTOR_MASK    0xffu
#define APIC_SVR_ENABLE         RT_BIT(8)   /* APIC software enable */
#define APIC_SVR_FOCUS_DISABLE  RT_BIT(9)
#define APIC_SVR_EOI_SUPPRESS   RT_BIT(12)  /* suppress EOI broadcast */

/* LVT entries. */
#define APIC_LVT_VECTOR_MASK    0xffu
#define APIC_LVT_DM_MASK        (7u << 8)   /* delivery mode */
#define APIC_LVT_DM_FIXED       (0u << 8)
#define APIC_LVT_DM_SMI         (2u << 8)
#define APIC_LVT_DM_NMI         (4u << 8)
#define APIC_LVT_DM_INIT        (5u << 8)
#define APIC_LVT_DM_EXTINT      (7u << 8)
#define APIC_LVT_DELIVERY_STATUS RT_BIT(12) /* send pending (read-only) */
#define APIC_LVT_POLARITY_LOW   RT_BIT(13)  /* LINT0/1: active low */
#define APIC_LVT_REMOTE_IRR     RT_BIT(14)  /* LINT0/1 level: read-only */
#define APIC_LVT_LEVEL          RT_BIT(15)  /* LINT0/1: level-triggered */
#define APIC_LVT_MASKED         RT_BIT(16)
#define APIC_LVT_TIMER_MODE_MASK (3u << 17)
#define APIC_LVT_TIMER_ONESHOT  (0u << 17)
#define APIC_LVT_TIMER_PERIODIC (1u << 17)
#define APIC_LVT_TIMER_TSC_DEADLINE (2u << 17)
#define APIC_LVT_RESET_VALUE    APIC_LVT_MASKED

/* Error status register. */
#define APIC_ESR_SEND_CHECKSUM  RT_BIT(0)
#define APIC_ESR_RECV_CHECKSUM  RT_BIT(1)
#define APIC_ESR_SEND_ACCEPT    RT_BIT(2)
#define APIC_ESR_RECV_ACCEPT    RT_BIT(3)
#define APIC_ESR_REDIRECTABLE_IPI RT_BIT(4)
#define APIC_ESR_SEND_ILLEGAL_VECTOR RT_BIT(5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR RT_BIT(6)
#define APIC_ESR_ILLEGAL_REGISTER RT_BIT(7)

/* Interrupt command register (64 bits; bits 63:32 = ICR2 in xAPIC mode). */
#define APIC_ICR_VECTOR_MASK    0xffu
#define APIC_ICR_DM_FIXED       (0u << 8)
#define APIC_ICR_DM_LOWEST      (1u << 8)
#define APIC_ICR_DM_SMI         (2u << 8)
#define APIC_ICR_DM_NMI         (4u << 8)
#define APIC_ICR_DM_INIT        (5u << 8)
#define APIC_ICR_DM_STARTUP     (6u << 8)
#define APIC_ICR_DM_MASK        (7u << 8)
#define APIC_ICR_DEST_LOGICAL   RT_BIT(11)
#define APIC_ICR_BUSY           RT_BIT(12)  /* delivery status (xAPIC only) */
#define APIC_ICR_LEVEL_ASSERT   RT_BIT(14)
#define APIC_ICR_TRIGGER_LEVEL  RT_BIT(15)
#define APIC_ICR_DEST_SELF      (1u << 18)  /* destination shorthands */
#define APIC_ICR_DEST_ALL       (2u << 18)
#define APIC_ICR_DEST_ALL_BUT_SELF (3u << 18)
#define APIC_ICR_SHORTHAND_MASK (3u << 18)
#define APIC_ICR_XAPIC_DEST_SHIFT 56        /* xAPIC: 8-bit destination */
#define APIC_ICR_X2APIC_DEST_SHIFT 32       /* x2APIC: 32-bit destination */

/* Timer divide configuration (bits 0, 1 and 3). */
#define APIC_TDCR_MASK          0xbu
#define APIC_TDCR_DIV_1         0xbu
#define APIC_TDCR_DIV_2         0x0u
#define APIC_TDCR_DIV_4         0x1u
#define APIC_TDCR_DIV_8         0x2u
#define APIC_TDCR_DIV_16        0x3u
#define APIC_TDCR_DIV_32        0x8u
#define APIC_TDCR_DIV_64        0x9u
#define APIC_TDCR_DIV_128       0xau

/* Destination format register (xAPIC). */
#define APIC_DFR_FLAT           0xffffffffu
#define APIC_DFR_CLUSTER        0x0fffffffu

/* Broadcast destinations. */
#define APIC_XAPIC_BROADCAST    0xffu
#define APIC_X2APIC_BROADCAST   0xffffffffu

/* Re-reads IA32_APIC_BASE into this vCPU's cache. */
void apic_refresh(void);
/* This vCPU's cached IA32_APIC_BASE. */
uint64_t apic_base(void);
/* True when this vCPU's APIC is in x2APIC mode (EN and EXTD). */
bool apic_x2apic_mode(void);
/* WRMSR IA32_APIC_BASE; returns RT_NO_FAULT or the vector, and refreshes
 * the cache either way. */
int apic_base_write_safe(uint64_t value);
/* Switches this vCPU's enabled APIC to x2APIC mode; returns RT_NO_FAULT
 * or the vector. */
int apic_enable_x2apic(void);

/* A 32-bit register: MMIO in xAPIC mode, RDMSR/WRMSR in x2APIC mode. */
uint32_t apic_read(unsigned reg);
void apic_write(unsigned reg, uint32_t value);
/* The APIC ID: bits 31:24 of the ID register in xAPIC mode, all 32 bits
 * in x2APIC mode. */
uint32_t apic_id(void);
/* The ICR as 64 bits (xAPIC: ICR2 << 32 | ICR). */
uint64_t apic_icr_read(void);
/* Sends an IPI: xAPIC writes ICR2 then ICR and waits (bounded) for the
 * delivery status to clear; x2APIC writes the ICR MSR. */
void apic_icr_write(uint64_t icr);
/* The destination field of the ICR for an APIC ID in this vCPU's mode. */
uint64_t apic_icr_dest(uint32_t apic_id);
/* Fixed, edge IPI of vector to apic_id (physical destination). */
void apic_send_ipi(uint32_t apic_id, uint8_t vector);
/* Fixed IPI to this vCPU with the "self" shorthand. */
void apic_self_ipi(uint8_t vector);
void apic_eoi(void);
/* A handler for the SVR's spurious vector (rt_irq_register): a spurious
 * interrupt sets no ISR bit, so it gets no EOI (SDM 11.9). */
void apic_spurious_handler(unsigned vector);

/* Bit `vector` of the 256-bit ISR, TMR or IRR (base = APIC_ISR, ...). */
bool apic_vector_bit(unsigned base, unsigned vector);
/* The highest vector set in ISR/TMR/IRR, or -1. */
int apic_highest_vector(unsigned base);

/* The initial APIC ID of the running CPU from CPUID: leaf 0xB EDX when
 * the leaf exists, else leaf 1 EBX[31:24]. */
uint32_t apic_cpuid_initial_id(void);

#endif /* KEEL_GUEST_LAPIC_H */
