/* SPDX-License-Identifier: MIT */
/*
 * The virtual local APIC of one vCPU: xAPIC (MMIO) and x2APIC (MSR) register
 * interfaces, IA32_APIC_BASE, interrupt acceptance and priority, EOI, the
 * LVT sources (timer, LINT0/1, error, thermal, performance, CMCI) and IPIs.
 * Intel SDM vol. 3A ch. 11 "Advanced Programmable Interrupt Controller
 * (APIC)", 11.12 "Extended XAPIC (x2APIC)"; AMD APM vol. 2 ch. 16.
 *
 * Register state lives in a caller-provided 4 KiB "APIC page" laid out like
 * the architectural register page (SDM table 11-1): the 32-bit register at
 * MMIO offset X is page[X / 4].  The same page can serve as the Intel
 * virtual-APIC page or the AMD AVIC backing page.  In x2APIC mode the ICR is
 * one 64-bit register at offset 0x300 (low half 0x300, high half 0x304, as
 * Intel's virtual-APIC page holds it); in xAPIC mode ICR2 is at 0x310.
 * What is not in the page (IA32_APIC_BASE, the mode, timer bookkeeping, the
 * not-yet-latched error bits, pending NMI/INIT/SIPI/ExtINT) is in
 * struct vlapic.  Behaviour where the architecture leaves room:
 * docs/vlapic.md.
 *
 * Pure: no allocation, no locks, no I/O; the platform is reached through
 * struct vlapic_ops.  Locking: none inside.  The caller serialises every call
 * on one struct vlapic (vCPU-local calls and deliveries from other vCPUs or
 * devices alike); ops callbacks run inside the caller's critical section and
 * must not call back into the same vlapic, except ops->send, which may call
 * vlapic_deliver() on this vlapic for self-IPIs.
 */
#ifndef KEEL_APIC_VLAPIC_H
#define KEEL_APIC_VLAPIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "apic/apic_defs.h"
#include "apic/apic_dest.h"

/* Results of the register-access functions. */
#define VLAPIC_OK          0
#define VLAPIC_GP         (-1)  /* the guest access raises #GP(0) */
#define VLAPIC_NOT_XAPIC  (-2)  /* MMIO access while not in xAPIC mode: not ours */
#define VLAPIC_BAD_ACCESS (-3)  /* MMIO size not 1/2/4, or beyond the 4 KiB page */
#define VLAPIC_DISABLED   (-4)  /* ICR write while the APIC is globally disabled */

/* What this vLAPIC implements (docs/vlapic.md). */
#define VLAPIC_VERSION     0x14u  /* integrated APIC (SDM 11.4.8: 10H-15H) */
#define VLAPIC_NUM_LVT     7u     /* CMCI, timer, thermal, perf, LINT0, LINT1, error */
#define VLAPIC_LVR_EOI_SUPPRESS (1u << 24) /* SVR bit 12 supported (SDM 11.8.5) */
#define VLAPIC_LVR ((uint32_t)VLAPIC_VERSION | ((VLAPIC_NUM_LVT - 1u) << 16) | \
                    VLAPIC_LVR_EOI_SUPPRESS)

#define MSR_IA32_APIC_BASE    0x1bu
#define MSR_IA32_TSC_DEADLINE 0x6e0u
#define VLAPIC_PAGE_SIZE      4096u
#define VLAPIC_DEFAULT_MAXPHYADDR 48u

/* IA32_APIC_BASE EN/EXTD state (SDM 11.12.5, figure 11-27). */
enum vlapic_mode {
    VLAPIC_MODE_DISABLED = 0,   /* EN=0, EXTD=0 */
    VLAPIC_MODE_XAPIC = 1,      /* EN=1, EXTD=0 */
    VLAPIC_MODE_X2APIC = 2,     /* EN=1, EXTD=1 */
};

/*
 * The platform.  now is required; every other callback may be NULL.
 * send: an IPI from this APIC (ICR, x2APIC SELF IPI): the caller routes it
 *   (apic_dest_plan) and calls vlapic_deliver() on each target, this one
 *   included for self-IPIs.
 * eoi_level: EOI of a level-triggered vector (TMR set), to broadcast to the
 *   I/O APICs; not called when SVR bit 12 (EOI-broadcast suppression) is set.
 * timer_changed: vlapic_timer_deadline() changed: re-arm the host timer.
 * mode_changed: after IA32_APIC_BASE changed the mode or moved the base
 *   address (old == new for a move); also after a RESET that changed either.
 * dest_changed: the ID, LDR, DFR or mode changed (a cached destination map,
 *   apic_dest_map, is stale).  Software enable and priority are not reported.
 */
struct vlapic_ops {
    uint64_t (*now)(void *ctx);                         /* current guest TSC */
    /* A clock at the TSC's rate that guest writes to the TSC do not move
     * (the host TSC): the one-shot and periodic modes count on it, as the
     * APIC timer counts bus clocks whatever the TSC reads (SDM 11.5.4).
     * NULL: the guest TSC itself. */
    uint64_t (*clock)(void *ctx);
    void (*send)(void *ctx, const struct apic_msg *m);
    void (*eoi_level)(void *ctx, uint8_t vector);
    void (*timer_changed)(void *ctx);
    void (*mode_changed)(void *ctx, enum vlapic_mode old_mode, enum vlapic_mode new_mode);
    void (*dest_changed)(void *ctx);
};

/* Fixed at creation. */
struct vlapic_config {
    uint32_t apic_id;           /* initial (x2)APIC ID; xAPIC mode shows bits 7:0 */
    int vcpu_index;             /* apic_msg.source of this APIC's IPIs (>= 0) */
    bool bsp;                   /* IA32_APIC_BASE.BSP after RESET */
    bool x2apic_allowed;        /* CPUID.1:ECX[21]: EXTD is writable */
    bool tsc_deadline_allowed;  /* CPUID.1:ECX[24]: LVT timer mode 10b, IA32_TSC_DEADLINE */
    uint8_t maxphyaddr;         /* 0: VLAPIC_DEFAULT_MAXPHYADDR */
    /* Guest TSC cycles per APIC timer input tick ("bus clock"), before the
     * TDCR divider; 0 means 1.  Clamped to 1 << 20.  docs/vlapic.md. */
    uint64_t tsc_per_bus_tick;
    /* x2APIC ICR bit 12 set: #GP (AMD) rather than ignored (Intel). */
    bool icr_bit12_gp;
};

/* Pending core events (vlapic_events()). */
#define VLAPIC_EV_NMI    (1u << 0)
/* NMIs in service or pending at once, at most (see nmi_pending). */
#define VLAPIC_NMI_LATCH 2u
#define VLAPIC_EV_INIT   (1u << 1)
#define VLAPIC_EV_SIPI   (1u << 2)
#define VLAPIC_EV_EXTINT (1u << 3)

struct vlapic {
    uint32_t *page;             /* the 4 KiB APIC page, 4-byte aligned */
    const struct vlapic_ops *ops;
    void *ctx;

    /* Configuration (vlapic_init). */
    uint32_t initial_id;
    int source;
    bool bsp;
    bool x2apic_allowed;
    bool tsc_deadline_allowed;
    uint8_t maxphyaddr;
    uint64_t tsc_per_bus_tick;
    bool icr_bit12_gp;

    /* IA32_APIC_BASE and the mode it selects. */
    uint64_t apic_base;
    enum vlapic_mode mode;

    /* ESR (SDM 11.5.3): errors since the last ESR write, latched into the
     * page's ESR by the next write; the error LVT fires once per write. */
    uint32_t esr_pending;
    bool esr_armed;

    /* Timer (SDM 11.5.4).  Count modes: the counter reaches 0 at
     * timer_deadline and a period is timer_period TSC cycles.  TSC-deadline
     * mode: timer_deadline is IA32_TSC_DEADLINE. */
    bool timer_armed;
    uint64_t timer_deadline;
    uint64_t timer_period;

    /* Electrical level of LINT0/LINT1 as last reported (vlapic_lint). */
    bool lint_level[2];

    /* Events for the core, consumed by the vCPU (vlapic_take_*).
     * NMIs are a latch, not a flag (SDM 6.7.1, "NMI handling"): a CPU has
     * at most one NMI in service (its handler runs, NMIs blocked until its
     * IRET) and one more pending; further ones collapse into the pending
     * one.  nmi_held counts the NMIs the vCPU took that are in service or
     * that the CPU itself holds pending (AMD vNMI's V_NMI); nmi_pending
     * those not taken yet.  Together at most VLAPIC_NMI_LATCH: a second
     * NMI sent before the vCPU took the first (Keel injects at its next
     * entry) is still the pending one beside the one in service, as on a
     * CPU that would have delivered the first at once. */
    uint8_t nmi_pending;
    uint8_t nmi_held;
    bool init_pending;
    bool sipi_pending;
    bool extint_pending;
    uint8_t sipi_vector;
    uint32_t smi_count;         /* SMIs received: Keel has no SMM, they are dropped */
};

/* ---- life cycle ---------------------------------------------------------- */

/* Set up @vl over @page (4 KiB, zeroed or not) in the power-on RESET state.
 * No callbacks are made. */
void vlapic_init(struct vlapic *vl, uint32_t *page, const struct vlapic_config *cfg,
                 const struct vlapic_ops *ops, void *ctx);

/*
 * RESET (init_only false): IA32_APIC_BASE = FEE00000H | EN | BSP?, xAPIC
 * mode, ID = initial ID << 24, every register at its power-on value (SDM
 * 11.4.7.1, 11.12.5.1), pending events dropped.
 * INIT (init_only true, SDM 11.4.7.3, 11.12.5.1): the same except that
 * IA32_APIC_BASE (hence the mode) and the ID register are kept (x2APIC:
 * the LDR is derived again); pending NMI/INIT/SIPI are left to the vCPU.
 */
void vlapic_reset(struct vlapic *vl, bool init_only);

/* ---- IA32_APIC_BASE (SDM 11.4.4, 11.12.1, 11.12.5) ---------------------- */

uint64_t vlapic_get_apic_base(const struct vlapic *vl);
/* VLAPIC_OK or VLAPIC_GP (reserved bits, EXTD without x2APIC, EXTD without
 * EN, x2APIC->xAPIC, disabled->x2APIC).  BSP writes are ignored. */
int vlapic_set_apic_base(struct vlapic *vl, uint64_t v);
uint64_t vlapic_base_address(const struct vlapic *vl);   /* bits 51:12 */

/* ---- register interfaces -------------------------------------------------- */

/*
 * xAPIC MMIO at page offset @off, @size 1, 2 or 4 bytes (SDM 11.4.1).
 * Reads return the addressed bytes of the 32-bit register in the 16-byte
 * slot (bytes 4-15 of a slot read 0); writes other than 4 bytes at a slot's
 * start are ignored.  Touching a reserved slot sets ESR bit 7.  Returns
 * VLAPIC_OK, VLAPIC_NOT_XAPIC (mode is not xAPIC) or VLAPIC_BAD_ACCESS.
 */
int vlapic_mmio_read(struct vlapic *vl, uint32_t off, unsigned size, uint32_t *val);
int vlapic_mmio_write(struct vlapic *vl, uint32_t off, unsigned size, uint32_t val);

/* x2APIC RDMSR/WRMSR of @msr (SDM 11.12.1.2, table 11-6): VLAPIC_OK or
 * VLAPIC_GP (not x2APIC mode, outside 800H-8FFH, reserved or write-only
 * register read, read-only register write, reserved bits set). */
int vlapic_msr_read(struct vlapic *vl, uint32_t msr, uint64_t *val);
int vlapic_msr_write(struct vlapic *vl, uint32_t msr, uint64_t val);

/*
 * The one ICR path (xAPIC MMIO write of ICR low, x2APIC WRMSR 830H, an
 * APIC-write VM exit on the ICR): @icr is (ICR2 << 32) | ICR in xAPIC mode
 * (destination = bits 63:56) and the 64-bit ICR in x2APIC mode
 * (destination = bits 63:32).  Stores it in the page, validates it and sends
 * the IPI through ops->send.  VLAPIC_GP for reserved bits in x2APIC mode
 * (31:20, 17:16, 13; bit 12 is ignored), VLAPIC_DISABLED when disabled.
 */
int vlapic_write_icr(struct vlapic *vl, uint64_t icr);
uint64_t vlapic_read_icr(const struct vlapic *vl);        /* same format */
/* The message @icr (same format) sends from this APIC, without sending it
 * (an IPI the CPU sent itself, whose targets Keel must still wake). */
void vlapic_icr_msg(const struct vlapic *vl, uint64_t icr, struct apic_msg *m);

/* IA32_TSC_DEADLINE (SDM 11.5.4.1): VLAPIC_GP when the virtual CPU does not
 * offer it; outside TSC-deadline mode writes are ignored and reads give 0.
 * A deadline at or before now fires at once (inside the call). */
int vlapic_set_tsc_deadline(struct vlapic *vl, uint64_t deadline);
int vlapic_get_tsc_deadline(const struct vlapic *vl, uint64_t *deadline);

/* ---- interrupts in ---------------------------------------------------------- */

/*
 * Accept a fixed or lowest-priority interrupt (SDM 11.5.5, 11.8.4): IRR set,
 * TMR = @level.  Vectors 0-15 set ESR bit 6 and are dropped; a globally or
 * software-disabled APIC drops it (SDM 11.4.7.2).  True if the IRR bit was
 * clear and is now set.
 */
bool vlapic_accept(struct vlapic *vl, uint8_t vector, bool level);

/*
 * A message the destination logic selected for this APIC: fixed/lowest ->
 * vlapic_accept; NMI, INIT (assert), SIPI and ExtINT -> pending events; SMI
 * counted and dropped.  Level-triggered de-asserts (INIT level de-assert)
 * and reserved delivery modes are ignored.  A globally disabled APIC takes
 * nothing; a software-disabled one takes only NMI, SMI, INIT and SIPI.
 */
void vlapic_deliver(struct vlapic *vl, const struct apic_msg *m);

/* LINT0/LINT1 (@pin 0 or 1) electrical level (SDM 11.5.1): handled per the
 * LVT (polarity, trigger, delivery mode, mask, remote IRR).  While the APIC
 * is globally disabled LINT0 is INTR (ExtINT) and LINT1 is NMI (SDM 11.4.3). */
void vlapic_lint(struct vlapic *vl, unsigned pin, bool level);

/* A thermal, performance-counter or CMCI event (@lvt: APIC_LVT_THERMAL,
 * APIC_LVT_PERF or APIC_LVT_CMCI): delivered per its LVT; the performance
 * LVT masks itself when it fires (SDM figure 11-8 note). */
void vlapic_fire_lvt(struct vlapic *vl, uint32_t lvt);

/* ---- interrupts out (injection) -------------------------------------------- */

/* The highest IRR vector whose priority class is above PPR's (SDM 11.8.3.1),
 * or -1.  -1 while globally disabled. */
int vlapic_highest_pending(const struct vlapic *vl);
/* vlapic_highest_pending(), with one scan of IRR and of ISR; when it finds
 * none, *tpr_held gets the vector only TPR holds back (IRR's highest: its
 * class above ISRV's, not above TPR's), else -1. */
int vlapic_pending_held(const struct vlapic *vl, int *tpr_held);
/* Highest vector set in IRR / ISR, -1 when none (for interrupt windows). */
int vlapic_highest_irr(const struct vlapic *vl);
int vlapic_highest_isr(const struct vlapic *vl);
/* The core takes @vector: IRR -> ISR, PPR updated (SDM 11.8.4). */
void vlapic_ack(struct vlapic *vl, uint8_t vector);
/* An EOI write (SDM 11.8.5). */
void vlapic_eoi(struct vlapic *vl);
/* The CPU virtualized the EOI of @vector and already cleared its ISR bit
 * (Intel EOI-induced exit): the level-triggered side effects, as
 * vlapic_eoi() would have done them.  Clearing ISR again is harmless. */
void vlapic_eoi_completed(struct vlapic *vl, uint8_t vector);
/* Vectors whose EOI has effects outside the APIC: TMR bits and the vector
 * of a level-triggered fixed LINT entry.  @out: 256 bits, vector v at
 * out[v / 64] bit v % 64. */
void vlapic_level_vectors(const struct vlapic *vl, uint64_t out[4]);

uint8_t vlapic_get_tpr(const struct vlapic *vl);
void vlapic_set_tpr(struct vlapic *vl, uint8_t tpr);
uint8_t vlapic_get_ppr(const struct vlapic *vl);  /* from TPR and ISR, now */
/* CR8 is TPR[7:4] (SDM 11.8.6); a CR8 write clears TPR[3:0]. */
uint64_t vlapic_get_cr8(const struct vlapic *vl);
void vlapic_set_cr8(struct vlapic *vl, uint64_t cr8);

/* Pending core events, VLAPIC_EV_* (peek). */
/* Inline: asked several times before every entry (docs/exit-path.md). */
static inline unsigned vlapic_events(const struct vlapic *vl)
{
    return (vl->nmi_pending ? VLAPIC_EV_NMI : 0) | (vl->init_pending ? VLAPIC_EV_INIT : 0) |
           (vl->sipi_pending ? VLAPIC_EV_SIPI : 0) | (vl->extint_pending ? VLAPIC_EV_EXTINT : 0);
}
/* Take one pending NMI for delivery: it counts as held (see nmi_held)
 * until the vCPU says otherwise with vlapic_set_nmi_held (its handler's
 * IRET completed, the CPU delivered what it held). */
bool vlapic_take_nmi(struct vlapic *vl);
void vlapic_set_nmi_held(struct vlapic *vl, unsigned held);
bool vlapic_take_init(struct vlapic *vl);
bool vlapic_take_sipi(struct vlapic *vl, uint8_t *vector);
bool vlapic_take_extint(struct vlapic *vl);

/* ---- timer (SDM 11.5.4) ------------------------------------------------------- */

/* Is the timer armed, and ops->clock's value at its next expiry (0 when
 * not armed; while armed, 0 is a deadline like any other).  One-shot and
 * periodic deadlines are on the clock, modulo 2^64; a TSC-deadline is on
 * the guest TSC and is turned into the clock's terms here, on each call,
 * so a guest TSC write moves it as it should. */
bool vlapic_timer_armed(const struct vlapic *vl);
uint64_t vlapic_timer_deadline(const struct vlapic *vl);
/* Has the armed timer's expiry come?  One-shot and periodic: the clock is
 * at or past the deadline counting modulo 2^64.  TSC-deadline: the
 * unsigned comparison guest TSC >= IA32_TSC_DEADLINE (SDM 11.5.4.1). */
bool vlapic_timer_due(const struct vlapic *vl);
/* Called when vlapic_timer_due(): raises the LVT timer
 * interrupt unless masked and re-arms a periodic timer at previous deadline
 * + period (missed periods coalesce).  Early or spurious calls do nothing. */
void vlapic_timer_expire(struct vlapic *vl);
/* Current-count register value now. */
uint32_t vlapic_timer_current_count(const struct vlapic *vl);

/* ---- state for the destination logic ----------------------------------------- */

enum vlapic_mode vlapic_get_mode(const struct vlapic *vl);
bool vlapic_sw_enabled(const struct vlapic *vl);            /* SVR bit 8 */
/* xAPIC: ID[31:24]; x2APIC: the 32-bit x2APIC ID; disabled: the initial ID. */
uint32_t vlapic_get_id(const struct vlapic *vl);
/* xAPIC: LDR[31:24]; x2APIC: the 32-bit LDR. */
uint32_t vlapic_get_ldr(const struct vlapic *vl);
uint32_t vlapic_get_dfr(const struct vlapic *vl);           /* xAPIC DFR register */
/* Lowest-priority arbitration priority: PPR (docs/vlapic.md). */
uint8_t vlapic_arb_priority(const struct vlapic *vl);
void vlapic_dest_view(const struct vlapic *vl, struct apic_dest_view *view);

/* The x2APIC logical ID of an x2APIC ID (SDM 11.12.10.2). */
static inline uint32_t vlapic_x2apic_ldr(uint32_t x2apic_id)
{
    return ((x2apic_id >> 4) << 16) | (1u << (x2apic_id & 0xfu));
}

#endif /* KEEL_APIC_VLAPIC_H */
