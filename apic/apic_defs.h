/* SPDX-License-Identifier: MIT */
/*
 * Local APIC architecture shared by the virtual LAPIC (vlapic.c), the
 * destination logic (apic_dest.c), the I/O APIC and the vendor code:
 * register offsets, field masks and the neutral IPI/interrupt message.
 * Intel SDM vol. 3A ch. 11 "Advanced Programmable Interrupt Controller
 * (APIC)"; AMD APM vol. 2 ch. 16 "Advanced Programmable Interrupt
 * Controller (APIC)".
 */
#ifndef KEEL_APIC_APIC_DEFS_H
#define KEEL_APIC_APIC_DEFS_H

#include <stdbool.h>
#include <stdint.h>

/* IA32_APIC_BASE (SDM 11.4.4, 11.12.1). */
#define APIC_BASE_BSP        (1ull << 8)
#define APIC_BASE_EXTD       (1ull << 10)  /* x2APIC mode */
#define APIC_BASE_EN         (1ull << 11)  /* xAPIC global enable */
#define APIC_BASE_ADDR_MASK  0x000ffffffffff000ull
#define APIC_DEFAULT_BASE    0xfee00000ull

/* Register offsets in the 4 KiB APIC page (SDM table 11-1); the x2APIC MSR
 * of a register is 0x800 + offset / 16 (SDM table 11-6). */
#define APIC_ID      0x020
#define APIC_LVR     0x030
#define APIC_TPR     0x080
#define APIC_APR     0x090
#define APIC_PPR     0x0a0
#define APIC_EOI     0x0b0
#define APIC_RRD     0x0c0
#define APIC_LDR     0x0d0
#define APIC_DFR     0x0e0
#define APIC_SVR     0x0f0
#define APIC_ISR     0x100  /* 8 registers, 0x100..0x170 */
#define APIC_TMR     0x180  /* 8 registers, 0x180..0x1f0 */
#define APIC_IRR     0x200  /* 8 registers, 0x200..0x270 */
#define APIC_ESR     0x280
#define APIC_LVT_CMCI 0x2f0
#define APIC_ICR     0x300
#define APIC_ICR2    0x310
#define APIC_LVT_TIMER 0x320
#define APIC_LVT_THERMAL 0x330
#define APIC_LVT_PERF  0x340
#define APIC_LVT_LINT0 0x350
#define APIC_LVT_LINT1 0x360
#define APIC_LVT_ERROR 0x370
#define APIC_TMICT   0x380  /* timer initial count */
#define APIC_TMCCT   0x390  /* timer current count */
#define APIC_TDCR    0x3e0  /* timer divide configuration */
#define APIC_SELF_IPI 0x3f0 /* x2APIC only */

#define X2APIC_MSR_BASE  0x800u
#define X2APIC_MSR_LAST  0x8ffu
#define X2APIC_MSR(off)  (X2APIC_MSR_BASE + ((off) >> 4))

/* SVR (SDM 11.9). */
#define APIC_SVR_VECTOR      0xffu
#define APIC_SVR_ENABLE      (1u << 8)
#define APIC_SVR_FOCUS_OFF   (1u << 9)
#define APIC_SVR_EOI_SUPPRESS (1u << 12)

/* LVT entries (SDM 11.5.1, figure 11-8). */
#define APIC_LVT_VECTOR      0xffu
#define APIC_LVT_DM_SHIFT    8
#define APIC_LVT_DM_MASK     (7u << 8)
#define APIC_LVT_PENDING     (1u << 12)
#define APIC_LVT_POLARITY    (1u << 13)
#define APIC_LVT_REMOTE_IRR  (1u << 14)
#define APIC_LVT_LEVEL       (1u << 15)
#define APIC_LVT_MASKED      (1u << 16)
#define APIC_LVT_TIMER_MODE_SHIFT 17
#define APIC_LVT_TIMER_MODE_MASK  (3u << 17)
#define APIC_TIMER_ONESHOT   0u
#define APIC_TIMER_PERIODIC  1u
#define APIC_TIMER_TSC_DEADLINE 2u

/* ESR bits (SDM 11.5.3). */
#define APIC_ESR_SEND_CS     (1u << 0)
#define APIC_ESR_RECV_CS     (1u << 1)
#define APIC_ESR_SEND_ACCEPT (1u << 2)
#define APIC_ESR_RECV_ACCEPT (1u << 3)
#define APIC_ESR_REDIR_IPI   (1u << 4)
#define APIC_ESR_SEND_ILLEGAL_VECTOR (1u << 5)
#define APIC_ESR_RECV_ILLEGAL_VECTOR (1u << 6)
#define APIC_ESR_ILLEGAL_REG (1u << 7)

/* ICR low word (SDM 11.6.1, figure 11-12). */
#define APIC_ICR_VECTOR      0xffu
#define APIC_ICR_DM_SHIFT    8
#define APIC_ICR_DM_MASK     (7u << 8)
#define APIC_ICR_DEST_LOGICAL (1u << 11)
#define APIC_ICR_BUSY        (1u << 12)   /* delivery status, xAPIC only */
#define APIC_ICR_LEVEL_ASSERT (1u << 14)
#define APIC_ICR_TRIGGER_LEVEL (1u << 15)
#define APIC_ICR_SH_SHIFT    18
#define APIC_ICR_SH_MASK     (3u << 18)

/* Delivery modes (ICR, LVT, I/O APIC RTE, MSI). */
enum apic_dm {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,
    APIC_DM_EXTINT = 7,
};

/* Destination shorthands (ICR[19:18]). */
enum apic_shorthand {
    APIC_SH_NONE = 0,
    APIC_SH_SELF = 1,
    APIC_SH_ALL = 2,          /* all including self */
    APIC_SH_ALL_BUT_SELF = 3,
};

/* DFR models (SDM 11.6.2.2). */
#define APIC_DFR_FLAT     0xffffffffu
#define APIC_DFR_CLUSTER  0x0fffffffu

/* Broadcast destinations. */
#define APIC_BROADCAST_XAPIC  0xffu
#define APIC_BROADCAST_X2APIC 0xffffffffu

/* An interrupt message on its way to local APICs: from an ICR write, an
 * I/O APIC redirection entry or an MSI.  One struct for all sources so the
 * destination logic has one input. */
struct apic_msg {
    uint32_t dest;            /* 8-bit xAPIC form or 32-bit x2APIC form */
    uint8_t vector;
    uint8_t dm;               /* enum apic_dm */
    uint8_t shorthand;        /* enum apic_shorthand (ICR only) */
    bool logical;             /* destination mode */
    bool level;               /* trigger mode: level */
    bool assert;              /* level: assert (INIT de-assert has it clear) */
    bool x2apic;              /* dest is in the 32-bit x2APIC ID space */
    int source;               /* sending vCPU index, or -1 (I/O APIC, MSI) */
};

#endif /* KEEL_APIC_APIC_DEFS_H */
