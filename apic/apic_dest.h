/* SPDX-License-Identifier: MIT */
/*
 * Interrupt destinations: given the local APICs of one VM and one interrupt
 * message (an ICR write, an I/O APIC redirection entry, an MSI), which vCPUs
 * receive it.  Pure functions over a snapshot of the APICs; no locking, no
 * allocation.  Rules and the one deviation option: docs/apic-destinations.md.
 *
 * Intel SDM vol. 3A 11.6.2 "Determining IPI Destination" (physical, logical
 * flat, logical cluster, shorthands), 11.6.2.4 lowest-priority delivery,
 * 11.4.7.2 (software-disabled APIC), 11.12.9/11.12.10 (x2APIC destinations);
 * AMD APM vol. 2 16.6 as a cross-check.
 *
 * Result sets are bitmaps of vCPU indices: bit i is apics[i].  A VM has at
 * most APIC_DEST_MAX_VCPUS vCPUs; entries past that are ignored.
 */
#ifndef KEEL_APIC_APIC_DEST_H
#define KEEL_APIC_APIC_DEST_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_defs.h"

#define APIC_DEST_MAX_VCPUS 64u

/* The receiving APIC's mode (IA32_APIC_BASE EN/EXTD, SDM 11.12.5). */
enum apic_dest_state {
    APIC_DEST_DISABLED = 0,   /* EN=0: takes part in nothing (SDM 11.4.3) */
    APIC_DEST_XAPIC = 1,      /* EN=1, EXTD=0 */
    APIC_DEST_X2APIC = 2,     /* EN=1, EXTD=1 */
};

/* What destination matching needs from one local APIC; the vLAPIC fills it
 * from its registers.  Values are the fields, already shifted down. */
struct apic_dest_view {
    uint8_t mode;             /* enum apic_dest_state */
    bool sw_enabled;          /* SVR bit 8 (SDM 11.4.7.2) */
    uint8_t arb_priority;     /* lowest-priority arbitration: PPR or TPR (SDM 11.6.2.4) */
    uint32_t id;              /* xAPIC: ID[31:24] (0..255); x2APIC: 32-bit x2APIC ID */
    uint32_t ldr;             /* xAPIC: LDR[31:24] (0..255); x2APIC: the 32-bit LDR */
    uint32_t dfr;             /* xAPIC: DFR (APIC_DFR_FLAT/APIC_DFR_CLUSTER); x2APIC: unused */
};

/* Policy of the VM.  All false is the architectural behaviour. */
struct apic_dest_policy {
    /* Deviation, off by default: an x2APIC-format destination above 0xFF
     * (other than the 0xFFFFFFFF broadcast) never reaches an xAPIC-mode
     * APIC.  Off, such an APIC compares the low 8 bits, as hardware does. */
    bool x2apic_ids_exact_for_xapic;
    /* Lowest priority: break ties round robin instead of lowest index. */
    bool lowest_priority_round_robin;
};

/*
 * The destination set: every APIC (not EN=0) that the destination of @m
 * selects (SDM 11.6.2, 11.12.10), or the shorthand of @m selects (ICR
 * bits 19:18).  Ignores the delivery mode and whether the APIC is software
 * enabled.  @pol NULL means the default policy.  @n is clamped to 64.
 */
uint64_t apic_dest_match(const struct apic_dest_view *apics, unsigned n,
                         const struct apic_msg *m, const struct apic_dest_policy *pol);

/*
 * Whether @m is a message the architecture delivers at all: false for
 * reserved delivery modes, for shorthand/delivery-mode combinations that
 * SDM table 11-3 lists as invalid, for ExtINT from an ICR, for INIT level
 * de-assert and for self/all-but-self without a sender.
 */
bool apic_dest_msg_valid(const struct apic_msg *m);

/*
 * The members of @set that accept delivery mode @dm: a software-disabled
 * APIC accepts only INIT, NMI, SMI and SIPI (SDM 11.4.7.2).
 */
uint64_t apic_dest_accepting(const struct apic_dest_view *apics, unsigned n, uint8_t dm,
                             uint64_t set);

/*
 * Lowest-priority arbitration (SDM 11.6.2.4): the candidate with the lowest
 * arb_priority.  Ties go to the lowest vCPU index when @rr_cursor is NULL,
 * else to the first tied candidate at or after *rr_cursor (wrapping), and
 * *rr_cursor moves past the winner.  No focus processor.  Returns the vCPU
 * index, or -1 when no candidate below @n.
 */
int apic_dest_lowest(const struct apic_dest_view *apics, unsigned n, uint64_t candidates,
                     unsigned *rr_cursor);

/*
 * The delivery plan: nothing for an invalid message (apic_dest_msg_valid),
 * else the destination set less the APICs that do not accept the delivery
 * mode; for APIC_DM_LOWEST, the one winner of arbitration among those.
 * @rr_cursor is used only with pol->lowest_priority_round_robin (may be NULL).
 */
uint64_t apic_dest_plan(const struct apic_dest_view *apics, unsigned n,
                        const struct apic_msg *m, const struct apic_dest_policy *pol,
                        unsigned *rr_cursor);

/* Fast map entries: no APIC has the ID / more than one has (use the slow path). */
#define APIC_DEST_MAP_NONE    0xffu
#define APIC_DEST_MAP_ALIASED 0xfeu

/*
 * The fast map: physical destinations 0x00..0xFE to the one vCPU with that
 * ID, kept only where the mapping is 1:1.  Rebuild it (under whatever lock
 * serialises APIC ID, LDR, DFR and mode changes) whenever one of those
 * changes; software enable and priority are not in it.
 */
struct apic_dest_map {
    bool valid;                   /* false: use the slow path for everything */
    uint8_t phys_to_vcpu[256];    /* index: destination; value: vCPU or NONE/ALIASED */
    unsigned generation;          /* incremented by every build; zero the map once */
};

void apic_dest_map_build(struct apic_dest_map *map, const struct apic_dest_view *apics,
                         unsigned n);

/*
 * Answers apic_dest_match() for a fixed or NMI message with physical
 * destination 0x00..0xFE and no shorthand (either format: both select the
 * same APICs there), if the destination is not aliased.  Returns false when
 * the caller must use the slow path.  The caller still applies
 * apic_dest_accepting() (software enable) to *targets.
 */
bool apic_dest_map_lookup(const struct apic_dest_map *map, const struct apic_msg *m,
                          uint64_t *targets);

#endif /* KEEL_APIC_APIC_DEST_H */
