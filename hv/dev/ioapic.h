/* SPDX-License-Identifier: MIT */
/*
 * The virtual I/O APIC: one Intel 82093AA-style I/O APIC with 24 pins, at
 * version 0x20 (the I/O xAPIC of the ICH family, which adds the EOI register
 * at offset 0x40).  References: Intel 82093AA I/O APIC datasheet (order
 * 290566) section 3; Intel ICH I/O xAPIC register descriptions ("EOI
 * Register"); Intel SDM vol. 3A 11.11 (message fields shared with MSI).
 *
 * Guest view: a 4 KiB MMIO window (IOAPIC_DEFAULT_BASE by convention) with
 *   base + 0x00  IOREGSEL  index of the register IOWIN reaches (bits 7:0)
 *   base + 0x10  IOWIN     the selected 32-bit register
 *   base + 0x40  EOI       write: clear Remote IRR of entries with vector
 * and behind IOWIN: 0x00 ID, 0x01 VER, 0x02 ARB, 0x10 + 2n / 0x11 + 2n the
 * low / high half of redirection table entry (RTE) n.
 *
 * Device side: ioapic_set_irq() gives the level of an input pin; interrupts
 * leave as struct apic_msg through ops->deliver; the local APICs report an
 * EOI of a level-triggered vector with ioapic_eoi().
 *
 * Model choices (where the datasheets leave room, or a VM differs):
 *  - Delivery is immediate: ops->deliver is called before the triggering
 *    call returns, so the Delivery Status bit (RTE bit 12) always reads 0.
 *  - Pin levels passed to ioapic_set_irq() are logical (true = the device
 *    requests an interrupt).  The Polarity bit (13) is stored and read back
 *    but not applied: device models speak in asserted / deasserted.
 *  - Edges on a masked pin are lost (82093AA 3.2.4, "Interrupt Mask"); a
 *    level pin is sampled again whenever its entry is written, so unmasking
 *    (or switching to level) while the line is asserted delivers at once.
 *  - Remote IRR (bit 14) is set when a level-triggered interrupt is sent and
 *    cleared by an EOI for its vector; writing the entry keeps it, except
 *    that an entry which stops acting as level-triggered (trigger bit
 *    cleared, or an edge-only delivery mode) loses it: the mask / edge /
 *    level EOI workaround of OSes for version 0x11 parts relies on that.
 *  - SMI, NMI, INIT and ExtINT are edge-only (82093AA 3.2.4, "Delivery
 *    Mode"): with those modes the trigger bit is kept but the entry acts as
 *    edge, never sets Remote IRR, and the message says edge.  The reserved
 *    modes 3 and 6 send nothing.
 *  - Destination is the 8-bit field 63:56 (xAPIC; the 82093AA used 59:56
 *    for physical mode).  Bits 55:48 (the extended destination ID of the
 *    I/O xAPIC) are kept and read back but not interpreted; 47:17 read 0.
 *  - The ID register holds 4 bits (27:24); ARB is loaded with the same value
 *    whenever ID is written (82093AA 3.2.1).
 *  - Only 32-bit accesses at exactly 0x00, 0x10 and 0x40 mean anything: the
 *    caller narrows wider/narrower accesses; every other offset reads 0 and
 *    ignores writes, as do unimplemented register indices behind IOWIN.
 *
 * Locking: none inside.  The caller holds the VM's device lock across every
 * call on one struct ioapic; ops->deliver runs with that lock held, so it
 * must not take it again.  It may call ioapic_eoi() directly: the entry's
 * Remote IRR is already set when deliver runs.
 */
#ifndef KEEL_APIC_IOAPIC_H
#define KEEL_APIC_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_defs.h"

#define IOAPIC_DEFAULT_BASE   0xfec00000ull
#define IOAPIC_MMIO_SIZE      0x1000u
#define IOAPIC_NUM_PINS       24u

/* MMIO offsets (82093AA 3.1; EOI: I/O xAPIC version 0x20). */
#define IOAPIC_IOREGSEL       0x00u
#define IOAPIC_IOWIN          0x10u
#define IOAPIC_EOI            0x40u
#define IOAPIC_IOREGSEL_MASK  0xffu    /* bits 31:8 reserved */
#define IOAPIC_EOI_VECTOR     0xffu

/* Register indices behind IOWIN (82093AA table 2). */
#define IOAPIC_REG_ID         0x00u
#define IOAPIC_REG_VER        0x01u
#define IOAPIC_REG_ARB        0x02u
#define IOAPIC_REG_RTE_BASE   0x10u    /* RTE n: 0x10 + 2n (low), 0x11 + 2n */
#define IOAPIC_REG_RTE_LAST   (IOAPIC_REG_RTE_BASE + 2u * IOAPIC_NUM_PINS - 1u)

/* ID and ARB registers: bits 27:24 (82093AA 3.2.1, 3.2.3). */
#define IOAPIC_ID_SHIFT       24
#define IOAPIC_ID_MASK        (0xfu << IOAPIC_ID_SHIFT)

/* VER register (82093AA 3.2.2): bits 7:0 version, 23:16 maximum
 * redirection entry, bit 15 pin assertion register supported (0 here). */
#define IOAPIC_VER_VERSION    0x20u
#define IOAPIC_VER_MRE_SHIFT  16
#define IOAPIC_VER_VALUE      (((IOAPIC_NUM_PINS - 1u) << IOAPIC_VER_MRE_SHIFT) | \
                               IOAPIC_VER_VERSION)     /* 0x00170020 */

/* Redirection table entry (82093AA 3.2.4). */
#define IOAPIC_RTE_VECTOR       0xffull
#define IOAPIC_RTE_DM_SHIFT     8
#define IOAPIC_RTE_DM_MASK      (7ull << 8)            /* enum apic_dm */
#define IOAPIC_RTE_DEST_LOGICAL (1ull << 11)
#define IOAPIC_RTE_DELIVS       (1ull << 12)           /* delivery status, RO */
#define IOAPIC_RTE_POLARITY_LOW (1ull << 13)
#define IOAPIC_RTE_REMOTE_IRR   (1ull << 14)           /* RO */
#define IOAPIC_RTE_LEVEL        (1ull << 15)           /* trigger mode */
#define IOAPIC_RTE_MASKED       (1ull << 16)
#define IOAPIC_RTE_EDID_SHIFT   48                     /* ext. destination ID */
#define IOAPIC_RTE_EDID_MASK    (0xffull << 48)
#define IOAPIC_RTE_DEST_SHIFT   56
#define IOAPIC_RTE_DEST_MASK    (0xffull << 56)
/* Bits the guest can write: everything above except bits 12 and 14. */
#define IOAPIC_RTE_WRITABLE     (IOAPIC_RTE_VECTOR | IOAPIC_RTE_DM_MASK | \
                                 IOAPIC_RTE_DEST_LOGICAL | IOAPIC_RTE_POLARITY_LOW | \
                                 IOAPIC_RTE_LEVEL | IOAPIC_RTE_MASKED | \
                                 IOAPIC_RTE_EDID_MASK | IOAPIC_RTE_DEST_MASK)
/* Reset value of every entry: masked, everything else 0. */
#define IOAPIC_RTE_RESET        IOAPIC_RTE_MASKED

struct ioapic_ops {
    /* Sends one interrupt message to the local APICs (destination logic,
     * lowest-priority arbitration and vector acceptance are the callee's). */
    void (*deliver)(void *ctx, const struct apic_msg *m);
    /* Optional: an interrupt-remapping unit between the I/O APIC and the
     * local APICs (VT-d 5.1.5.1).  When set it is called instead of
     * deliver, with the entry as it fires (its remappable format, index
     * and all) and its compatibility-format message. */
    void (*deliver_rte)(void *ctx, uint64_t rte, const struct apic_msg *m);
};

struct ioapic {
    uint8_t id;                       /* ID register bits 27:24 (4 bits) */
    uint8_t arb;                      /* ARB register bits 27:24, = id */
    uint32_t ioregsel;                /* IOREGSEL bits 7:0 */
    uint32_t irr;                     /* pin n asserted: bit n */
    uint64_t rte[IOAPIC_NUM_PINS];    /* redirection table */
    const struct ioapic_ops *ops;
    void *ctx;
};

/* Power-on reset: ID = id & 0xf, all entries IOAPIC_RTE_RESET, all pins
 * deasserted.  ops and ops->deliver must not be NULL. */
void ioapic_init(struct ioapic *io, uint8_t id, const struct ioapic_ops *ops, void *ctx);

/* A 32-bit guest read / write at offset off in the MMIO window (see the
 * header comment for which offsets count). */
uint32_t ioapic_mmio_read(struct ioapic *io, uint32_t off);
void ioapic_mmio_write(struct ioapic *io, uint32_t off, uint32_t val);

/* Sets the level of input pin (logical: true = asserted).  Edge entries
 * send on a deasserted-to-asserted change; level entries send while the pin
 * is asserted, the entry unmasked and Remote IRR clear.  Pins >= 24 are
 * ignored. */
void ioapic_set_irq(struct ioapic *io, unsigned pin, bool level);

/* EOI for vector: from a local APIC EOI broadcast (level vector) or the EOI
 * register.  Clears Remote IRR of every entry with that vector, then sends
 * again from those whose pin is still asserted and that are unmasked. */
void ioapic_eoi(struct ioapic *io, uint8_t vector);

/* The message an entry sends (pure): dest bits 63:56, logical bit 11,
 * vector, delivery mode, trigger (level only for fixed / lowest priority),
 * assert set, shorthand none, xAPIC destination, source -1. */
void ioapic_rte_to_msg(uint64_t rte, struct apic_msg *m);

/* True when the entry behaves as level-triggered: trigger bit set and a
 * fixed or lowest-priority delivery mode (the other modes are edge-only).
 * Those are the vectors whose local APIC EOI must reach ioapic_eoi(). */
bool ioapic_rte_is_level(uint64_t rte);

/* The vectors of the unmasked level-triggered entries (fixed or lowest
 * priority): the ones whose EOI must reach this I/O APIC, for a CPU that
 * completes EOIs itself unless told (Intel EOI-exit bitmap, SDM 30.1.4).
 * @out: 256 bits, vector v at out[v / 64] bit v % 64. */
void ioapic_level_vectors(const struct ioapic *io, uint64_t out[4]);

#endif /* KEEL_APIC_IOAPIC_H */
