/* SPDX-License-Identifier: MIT */
/*
 * Interrupt destinations (see apic_dest.h and docs/apic-destinations.md).
 *
 * Every receiver decides on its own whether a message is for it, from its
 * own mode, ID, LDR and DFR, as each local APIC on the bus does (SDM
 * 11.6.2).  The fast map only caches physical IDs that select exactly one
 * vCPU; everything else goes through the scan.
 */
#include "apic/apic_dest.h"

#include <stddef.h>
#include <string.h>

#define XAPIC_ID_MASK         0xffu
#define X2APIC_CLUSTER_SHIFT  16       /* LDR[31:16]: cluster (SDM 11.12.10.1) */
#define X2APIC_LOGICAL_MASK   0xffffu  /* LDR[15:0]: bit within the cluster */
#define XAPIC_CLUSTER_SHIFT   4        /* MDA[7:4]: cluster (SDM 11.6.2.2) */
#define XAPIC_CLUSTER_MASK    0x0fu    /* MDA[3:0]: bit within the cluster */
#define XAPIC_CLUSTER_ALL     0x0fu    /* MDA cluster 1111b: every cluster */
#define DFR_MODEL_SHIFT       28       /* DFR[31:28]: model (SDM figure 11-14) */
#define DFR_MODEL_FLAT        0xfu
#define DFR_MODEL_CLUSTER     0x0u

static unsigned clamp_n(unsigned n)
{
    return n > APIC_DEST_MAX_VCPUS ? APIC_DEST_MAX_VCPUS : n;
}

/* Bitmap of vCPU indices 0..n-1 (n <= 64). */
static uint64_t all_below(unsigned n)
{
    return n >= APIC_DEST_MAX_VCPUS ? ~0ull : (1ull << n) - 1;
}

static bool apic_present(const struct apic_dest_view *a)
{
    return a->mode == APIC_DEST_XAPIC || a->mode == APIC_DEST_X2APIC;
}

/*
 * Logical xAPIC match of an 8-bit MDA against an 8-bit logical ID, by the
 * receiver's own DFR model (SDM 11.6.2.2).  Flat: any common bit.  Cluster:
 * MDA[7:4] names the cluster (1111b: all clusters), MDA[3:0] the members.
 * Other DFR models are undefined; such a receiver accepts no logical message.
 */
static bool xapic_logical_match(uint32_t mda, uint32_t lid, uint32_t dfr)
{
    uint32_t cluster = mda >> XAPIC_CLUSTER_SHIFT;

    switch (dfr >> DFR_MODEL_SHIFT) {
    case DFR_MODEL_FLAT:
        return (mda & lid) != 0;
    case DFR_MODEL_CLUSTER:
        if (cluster != XAPIC_CLUSTER_ALL && cluster != lid >> XAPIC_CLUSTER_SHIFT)
            return false;
        return (mda & lid & XAPIC_CLUSTER_MASK) != 0;
    default:
        return false;
    }
}

/*
 * An xAPIC-mode receiver sees an 8-bit destination (SDM 11.6.1: ICR[63:56]).
 * Of an x2APIC-format destination it compares the low 8 bits, as hardware
 * does (so 0x123 reaches xAPIC ID 0x23), unless the policy deviation says
 * destinations above 0xFF never reach it.  0xFFFFFFFF is a broadcast in both
 * destination modes (SDM 11.12.9) and reaches it either way.
 */
static bool xapic_receiver_match(const struct apic_dest_view *a, const struct apic_msg *m,
                                 bool x2apic_ids_exact)
{
    uint32_t mda = m->dest & XAPIC_ID_MASK;

    if (m->x2apic) {
        if (m->dest == APIC_BROADCAST_X2APIC)
            return true;
        if (x2apic_ids_exact && m->dest > XAPIC_ID_MASK)
            return false;
    }
    if (!m->logical)    /* SDM 11.6.2.1: FFH is the broadcast */
        return mda == APIC_BROADCAST_XAPIC || mda == (a->id & XAPIC_ID_MASK);
    return xapic_logical_match(mda, a->ldr & XAPIC_ID_MASK, a->dfr);
}

/*
 * The destination as an x2APIC-mode receiver sees it.  An 8-bit (xAPIC
 * format) destination is zero-extended, except that the xAPIC broadcast FFH
 * stays a broadcast (the SDM does not define mixed modes: see the doc).
 */
static uint32_t dest_for_x2apic(const struct apic_msg *m)
{
    uint32_t mda;

    if (m->x2apic)
        return m->dest;
    mda = m->dest & XAPIC_ID_MASK;
    return mda == APIC_BROADCAST_XAPIC ? APIC_BROADCAST_X2APIC : mda;
}

/*
 * x2APIC-mode receiver (SDM 11.12.10): physical compares the 32-bit x2APIC
 * ID; logical is cluster only: dest[31:16] must equal LDR[31:16] and
 * dest[15:0] share a bit with LDR[15:0].  FFFFFFFFH is a broadcast in both.
 */
static bool x2apic_receiver_match(const struct apic_dest_view *a, const struct apic_msg *m)
{
    uint32_t d = dest_for_x2apic(m);

    if (d == APIC_BROADCAST_X2APIC)
        return true;
    if (!m->logical)
        return a->id == d;
    if (d >> X2APIC_CLUSTER_SHIFT != a->ldr >> X2APIC_CLUSTER_SHIFT)
        return false;
    return (d & a->ldr & X2APIC_LOGICAL_MASK) != 0;
}

static uint64_t match_destination(const struct apic_dest_view *apics, unsigned n,
                                  const struct apic_msg *m, bool x2apic_ids_exact)
{
    uint64_t set = 0;
    unsigned i;

    for (i = 0; i < n; i++) {
        const struct apic_dest_view *a = &apics[i];
        bool hit;

        if (a->mode == APIC_DEST_XAPIC)
            hit = xapic_receiver_match(a, m, x2apic_ids_exact);
        else if (a->mode == APIC_DEST_X2APIC)
            hit = x2apic_receiver_match(a, m);
        else
            hit = false;    /* EN=0: the APIC takes part in nothing */
        if (hit)
            set |= 1ull << i;
    }
    return set;
}

static uint64_t present_set(const struct apic_dest_view *apics, unsigned n)
{
    uint64_t set = 0;
    unsigned i;

    for (i = 0; i < n; i++)
        if (apic_present(&apics[i]))
            set |= 1ull << i;
    return set;
}

/* Bit of the sender, or 0 when there is none among the n APICs. */
static uint64_t source_bit(const struct apic_msg *m, unsigned n)
{
    if (m->source < 0 || (unsigned)m->source >= n)
        return 0;
    return 1ull << m->source;
}

/* Destination shorthands (SDM 11.6.1, ICR[19:18]) ignore the destination
 * field; a disabled sender or receiver still takes part in nothing. */
uint64_t apic_dest_match(const struct apic_dest_view *apics, unsigned n,
                         const struct apic_msg *m, const struct apic_dest_policy *pol)
{
    bool exact = pol != NULL && pol->x2apic_ids_exact_for_xapic;
    uint64_t present;

    n = clamp_n(n);
    present = present_set(apics, n);
    switch (m->shorthand) {
    case APIC_SH_NONE:
        return match_destination(apics, n, m, exact);
    case APIC_SH_SELF:
        return present & source_bit(m, n);
    case APIC_SH_ALL:
        return present;
    case APIC_SH_ALL_BUT_SELF:
        return present & ~source_bit(m, n);
    default:
        return 0;
    }
}

/*
 * SDM table 11-3 (valid ICR combinations, Pentium 4 and later): with a
 * shorthand, "self" and "all including self" are valid only for fixed;
 * "all excluding self" for fixed, lowest priority, NMI, INIT, SMI and SIPI.
 * Level trigger is not a reason to drop: the xAPIC sends those as edge
 * (note 2).  Delivery mode 011b is reserved everywhere and 111b in the ICR
 * (figures 11-12, 11-28); ExtINT exists only for I/O APIC and MSI sources.
 */
static bool shorthand_dm_valid(uint8_t shorthand, uint8_t dm)
{
    switch (shorthand) {
    case APIC_SH_NONE:
        return true;
    case APIC_SH_SELF:
    case APIC_SH_ALL:
        return dm == APIC_DM_FIXED;
    case APIC_SH_ALL_BUT_SELF:
        return dm != APIC_DM_EXTINT;
    default:
        return false;
    }
}

bool apic_dest_msg_valid(const struct apic_msg *m)
{
    switch (m->dm) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
    case APIC_DM_SMI:
    case APIC_DM_NMI:
    case APIC_DM_STARTUP:
        break;
    case APIC_DM_INIT:
        /* INIT level de-assert (trigger level, level 0): only P6 and older
         * support it and it only resynchronises arbitration IDs (11.6.1). */
        if (m->level && !m->assert)
            return false;
        break;
    case APIC_DM_EXTINT:
        if (m->source >= 0)     /* 111b is reserved in the ICR */
            return false;
        break;
    default:
        return false;           /* 011b reserved; no other encodings */
    }
    /* Shorthands exist only in the ICR: they need a sender. */
    if (m->shorthand != APIC_SH_NONE && m->source < 0)
        return false;
    return shorthand_dm_valid(m->shorthand, m->dm);
}

/* SDM 11.4.7.2: a software-disabled local APIC "will respond normally to
 * INIT, NMI, SMI, and SIPI messages"; it accepts nothing else. */
static bool accepted_while_sw_disabled(uint8_t dm)
{
    return dm == APIC_DM_INIT || dm == APIC_DM_NMI || dm == APIC_DM_SMI ||
           dm == APIC_DM_STARTUP;
}

uint64_t apic_dest_accepting(const struct apic_dest_view *apics, unsigned n, uint8_t dm,
                             uint64_t set)
{
    bool any_sw_state = accepted_while_sw_disabled(dm);
    uint64_t out = 0, rest;
    unsigned i;

    n = clamp_n(n);
    rest = set & all_below(n);
    while (rest != 0) {
        i = (unsigned)__builtin_ctzll(rest);
        rest &= rest - 1;
        if (apic_present(&apics[i]) && (any_sw_state || apics[i].sw_enabled))
            out |= 1ull << i;
    }
    return out;
}

/* First member of @set at or after bit @start, wrapping; @set non-empty. */
static unsigned first_from(uint64_t set, unsigned start)
{
    uint64_t upper = start < 64 ? set & (~0ull << start) : 0;

    return (unsigned)__builtin_ctzll(upper != 0 ? upper : set);
}

/*
 * SDM 11.6.2.4: the processor with the lowest priority accepts.  How a tie
 * is broken is the chipset's choice (model specific); the focus processor
 * of P6 is not supported on Xeon processors and not implemented here.
 */
int apic_dest_lowest(const struct apic_dest_view *apics, unsigned n, uint64_t candidates,
                     unsigned *rr_cursor)
{
    uint64_t rest, tied = 0;
    unsigned i, best = 0x100, win;

    n = clamp_n(n);
    rest = candidates & all_below(n);
    while (rest != 0) {
        i = (unsigned)__builtin_ctzll(rest);
        rest &= rest - 1;
        if (apics[i].arb_priority < best) {
            best = apics[i].arb_priority;
            tied = 0;
        }
        if (apics[i].arb_priority == best)
            tied |= 1ull << i;
    }
    if (tied == 0)
        return -1;
    if (rr_cursor == NULL)
        return __builtin_ctzll(tied);
    win = first_from(tied, *rr_cursor % APIC_DEST_MAX_VCPUS);
    *rr_cursor = (win + 1) % APIC_DEST_MAX_VCPUS;
    return (int)win;
}

uint64_t apic_dest_plan(const struct apic_dest_view *apics, unsigned n,
                        const struct apic_msg *m, const struct apic_dest_policy *pol,
                        unsigned *rr_cursor)
{
    bool rr = pol != NULL && pol->lowest_priority_round_robin;
    uint64_t set;
    int win;

    if (!apic_dest_msg_valid(m))
        return 0;
    set = apic_dest_match(apics, n, m, pol);
    set = apic_dest_accepting(apics, n, m->dm, set);
    if (m->dm != APIC_DM_LOWEST)
        return set;
    /* Arbitrate among those that can accept: the SDM leaves a disabled
     * member of a lowest-priority set undefined (11.6.2.1, 11.6.2.2). */
    win = apic_dest_lowest(apics, n, set, rr ? rr_cursor : NULL);
    return win < 0 ? 0 : 1ull << win;
}

/*
 * The physical destination 0x00..0xFE that selects this APIC, or -1.
 * Those destinations select the same APICs in both message formats: an
 * xAPIC receiver compares its 8-bit ID, an x2APIC receiver its 32-bit ID.
 */
static int map_key(const struct apic_dest_view *a)
{
    uint32_t id;

    if (a->mode == APIC_DEST_XAPIC)
        id = a->id & XAPIC_ID_MASK;
    else if (a->mode == APIC_DEST_X2APIC)
        id = a->id;
    else
        return -1;
    return id < APIC_BROADCAST_XAPIC ? (int)id : -1;
}

void apic_dest_map_build(struct apic_dest_map *map, const struct apic_dest_view *apics,
                         unsigned n)
{
    unsigned i;
    int key;

    memset(map->phys_to_vcpu, APIC_DEST_MAP_NONE, sizeof(map->phys_to_vcpu));
    map->generation++;
    map->valid = apics != NULL && n <= APIC_DEST_MAX_VCPUS;
    if (!map->valid)
        return;
    for (i = 0; i < n; i++) {
        key = map_key(&apics[i]);
        if (key < 0)
            continue;
        /* Aliased IDs: every APIC with the ID must receive (SDM 11.6.2.1
         * compares IDs per receiver), so the entry goes to the slow path. */
        if (map->phys_to_vcpu[key] == APIC_DEST_MAP_NONE)
            map->phys_to_vcpu[key] = (uint8_t)i;
        else
            map->phys_to_vcpu[key] = APIC_DEST_MAP_ALIASED;
    }
}

bool apic_dest_map_lookup(const struct apic_dest_map *map, const struct apic_msg *m,
                          uint64_t *targets)
{
    uint32_t dest;
    uint8_t v;

    if (!map->valid || m->shorthand != APIC_SH_NONE || m->logical)
        return false;
    if (m->dm != APIC_DM_FIXED && m->dm != APIC_DM_NMI)
        return false;
    dest = m->x2apic ? m->dest : m->dest & XAPIC_ID_MASK;
    if (dest >= APIC_BROADCAST_XAPIC)
        return false;
    v = map->phys_to_vcpu[dest];
    if (v == APIC_DEST_MAP_ALIASED)
        return false;
    *targets = v == APIC_DEST_MAP_NONE ? 0 : 1ull << v;
    return true;
}
