/* SPDX-License-Identifier: MIT */
/* Host unit tests for apic/apic_dest.c (docs/apic-destinations.md). */
#include "check.h"
#include "apic/apic_dest.h"

#include <stdbool.h>
#include <string.h>

#define XA APIC_DEST_XAPIC
#define X2 APIC_DEST_X2APIC
#define OFF APIC_DEST_DISABLED
#define FLAT APIC_DFR_FLAT
#define CLU APIC_DFR_CLUSTER

/* x2APIC LDR derived from the x2APIC ID (SDM 11.12.10.2). */
#define X2LDR(id) ((((id) >> 4) << 16) | (1u << ((id) & 0xf)))

/* ------------------------------------------------------------ fixtures */

/* 0: eight xAPIC, flat, IDs 0..7, one logical bit each. */
static const struct apic_dest_view vm_flat[] = {
    { XA, true, 0x40, 0, 0x01, FLAT }, { XA, true, 0x30, 1, 0x02, FLAT },
    { XA, true, 0x30, 2, 0x04, FLAT }, { XA, true, 0x50, 3, 0x08, FLAT },
    { XA, true, 0x20, 4, 0x10, FLAT }, { XA, true, 0x20, 5, 0x20, FLAT },
    { XA, true, 0x60, 6, 0x40, FLAT }, { XA, true, 0x70, 7, 0x80, FLAT },
};

/* 1: eight xAPIC, cluster model: clusters 0 and 1, four members each. */
static const struct apic_dest_view vm_cluster[] = {
    { XA, true, 0x10, 0x10, 0x01, CLU }, { XA, true, 0x10, 0x11, 0x02, CLU },
    { XA, true, 0x00, 0x12, 0x04, CLU }, { XA, true, 0x10, 0x13, 0x08, CLU },
    { XA, true, 0x10, 0x14, 0x11, CLU }, { XA, true, 0x10, 0x15, 0x12, CLU },
    { XA, true, 0x10, 0x16, 0x14, CLU }, { XA, true, 0x10, 0x17, 0x18, CLU },
};

/* 2: the guest rewrote xAPIC IDs: 3 is aliased by vCPUs 0, 1 and 4. */
static const struct apic_dest_view vm_alias[] = {
    { XA, true, 0x10, 3, 0x01, FLAT }, { XA, true, 0x10, 3, 0x02, FLAT },
    { XA, true, 0x10, 4, 0x04, FLAT }, { XA, true, 0x10, 5, 0x08, FLAT },
    { XA, true, 0x10, 3, 0x10, FLAT },
};

/* 3: mixed xAPIC/x2APIC, one disabled (4), one software-disabled (5). */
static const struct apic_dest_view vm_mixed[] = {
    { X2, true, 0x10, 0x123, X2LDR(0x123), 0 },
    { XA, true, 0x10, 0x23, 0x01, FLAT },
    { X2, true, 0x10, 0x05, X2LDR(0x05), 0 },
    { XA, true, 0x10, 0x06, 0x02, FLAT },
    { OFF, true, 0x00, 0x07, 0x04, FLAT },
    { XA, false, 0x00, 0x08, 0x08, FLAT },
    { X2, true, 0x10, 0x1ff, X2LDR(0x1ff), 0 },
    { X2, true, 0x00, 0x40, X2LDR(0x40), 0 },
};

/* 4: eight x2APIC in clusters 0, 1 and 0x10. */
static const struct apic_dest_view vm_x2[] = {
    { X2, true, 0x20, 0x000, X2LDR(0x000), 0 }, { X2, true, 0x20, 0x001, X2LDR(0x001), 0 },
    { X2, true, 0x10, 0x002, X2LDR(0x002), 0 }, { X2, true, 0x10, 0x003, X2LDR(0x003), 0 },
    { X2, true, 0x30, 0x010, X2LDR(0x010), 0 }, { X2, true, 0x10, 0x011, X2LDR(0x011), 0 },
    { X2, true, 0x40, 0x100, X2LDR(0x100), 0 }, { X2, true, 0x40, 0x101, X2LDR(0x101), 0 },
};

/* 5: software-disabled 1 and 3, disabled 4. */
static const struct apic_dest_view vm_swdis[] = {
    { XA, true, 0x30, 0, 0x01, FLAT }, { XA, false, 0x00, 1, 0x02, FLAT },
    { XA, true, 0x20, 2, 0x04, FLAT }, { XA, false, 0x00, 3, 0x08, FLAT },
    { OFF, true, 0x00, 4, 0x10, FLAT },
};

/* 6: x2APIC IDs 0x001/0x101 and 0x002/0x202 in xAPIC mode truncate to the
 * same 8-bit IDs; vCPU 4 is in x2APIC mode with ID 0x101. */
static const struct apic_dest_view vm_trunc[] = {
    { XA, true, 0x10, 0x01, 0x01, FLAT }, { XA, true, 0x10, 0x01, 0x02, FLAT },
    { XA, true, 0x10, 0x02, 0x04, FLAT }, { XA, true, 0x10, 0x02, 0x08, FLAT },
    { X2, true, 0x10, 0x101, X2LDR(0x101), 0 },
};

struct vm {
    const struct apic_dest_view *apics;
    unsigned n;
};

#define VM(a) { a, sizeof(a) / sizeof((a)[0]) }
enum { FLAT8, CLUSTER8, ALIAS, MIXED, X2_8, SWDIS, TRUNC };
static const struct vm vms[] = {
    VM(vm_flat), VM(vm_cluster), VM(vm_alias), VM(vm_mixed), VM(vm_x2), VM(vm_swdis),
    VM(vm_trunc),
};

/* ---------------------------------------------------------- case table */

/* Message format flags. */
#define F_LOG   0x01u   /* logical destination mode */
#define F_X2    0x02u   /* x2APIC-format (32-bit) destination */
#define F_LVL   0x04u   /* level triggered */
#define F_DEA   0x08u   /* level de-assert (assert bit clear) */
#define F_EXACT 0x10u   /* policy: x2apic_ids_exact_for_xapic */

/* dm, shorthand, source */
#define FX APIC_DM_FIXED, APIC_SH_NONE, -1
#define LP APIC_DM_LOWEST, APIC_SH_NONE, -1
#define NM APIC_DM_NMI, APIC_SH_NONE, -1
#define IN APIC_DM_INIT, APIC_SH_NONE, -1
#define SI APIC_DM_STARTUP, APIC_SH_NONE, -1
#define SM APIC_DM_SMI, APIC_SH_NONE, -1
#define XI APIC_DM_EXTINT, APIC_SH_NONE, -1
#define SH(dm, sh, src) APIC_DM_##dm, APIC_SH_##sh, src
#define ICR(dm, src) APIC_DM_##dm, APIC_SH_NONE, src
#define RAW(dm, sh, src) dm, sh, src

struct tcase {
    int line;
    unsigned vm;
    uint32_t dest;
    unsigned flags;
    uint8_t dm, sh;
    int src;
    uint64_t match;     /* apic_dest_match */
    uint64_t plan;      /* apic_dest_plan, round robin off */
};

#define T(vm, dest, flags, msg, match, plan) { __LINE__, vm, dest, flags, msg, match, plan }

static const struct tcase cases[] = {
    /* Physical xAPIC, unique IDs (SDM 11.6.2.1). */
    T(FLAT8, 0x00, 0, FX, 0x01, 0x01),
    T(FLAT8, 0x03, 0, FX, 0x08, 0x08),
    T(FLAT8, 0x07, 0, FX, 0x80, 0x80),
    T(FLAT8, 0x08, 0, FX, 0, 0),
    T(FLAT8, 0xfe, 0, FX, 0, 0),
    T(FLAT8, 0xff, 0, FX, 0xff, 0xff),
    T(FLAT8, 0x103, 0, FX, 0x08, 0x08),          /* 8-bit message: high bits ignored */
    T(FLAT8, 0x03, F_LVL, FX, 0x08, 0x08),       /* level: sent as edge (table 11-3 n.2) */
    T(FLAT8, 0x02, 0, NM, 0x04, 0x04),
    T(FLAT8, 0x02, 0, IN, 0x04, 0x04),
    T(FLAT8, 0x02, F_LVL, IN, 0x04, 0x04),       /* INIT level assert */
    T(FLAT8, 0x02, F_LVL | F_DEA, IN, 0x04, 0),  /* INIT level de-assert: dropped */
    T(FLAT8, 0xff, F_LVL | F_DEA, IN, 0xff, 0),
    T(FLAT8, 0x02, F_DEA, IN, 0x04, 0x04),       /* edge INIT: level bit ignored */
    T(FLAT8, 0x02, 0, SI, 0x04, 0x04),
    T(FLAT8, 0x02, 0, SM, 0x04, 0x04),
    T(FLAT8, 0x01, 0, XI, 0x02, 0x02),           /* ExtINT from an I/O APIC */
    T(FLAT8, 0x01, 0, ICR(EXTINT, 0), 0x02, 0),  /* ExtINT from an ICR: reserved */
    T(FLAT8, 0x01, 0, RAW(APIC_DM_SMI + 1, APIC_SH_NONE, -1), 0x02, 0), /* dm 011b reserved */
    T(FLAT8, 0x01, 0, RAW(8, APIC_SH_NONE, -1), 0x02, 0),               /* not an encoding */
    T(FLAT8, 0x03, 0, LP, 0x08, 0x08),
    T(FLAT8, 0x50, 0, LP, 0, 0),
    T(FLAT8, 0xff, 0, LP, 0xff, 0x10),           /* lowest among all: 4 and 5 tie */
    T(FLAT8, 0xff, 0, NM, 0xff, 0xff),
    T(FLAT8, 0xff, 0, SI, 0xff, 0xff),
    /* Logical flat (SDM 11.6.2.2, DFR 1111b): any common bit. */
    T(FLAT8, 0x01, F_LOG, FX, 0x01, 0x01),
    T(FLAT8, 0x81, F_LOG, FX, 0x81, 0x81),
    T(FLAT8, 0x30, F_LOG, FX, 0x30, 0x30),
    T(FLAT8, 0xff, F_LOG, FX, 0xff, 0xff),
    T(FLAT8, 0x00, F_LOG, FX, 0, 0),
    T(FLAT8, 0x0c, F_LOG, NM, 0x0c, 0x0c),
    T(FLAT8, 0xff, F_LOG, LP, 0xff, 0x10),
    T(FLAT8, 0x0f, F_LOG, LP, 0x0f, 0x02),       /* 1 and 2 tie at 0x30: lowest index */
    T(FLAT8, 0xc0, F_LOG, LP, 0xc0, 0x40),
    T(FLAT8, 0x00, F_LOG, LP, 0, 0),
    /* x2APIC-format destinations to xAPIC receivers: low 8 bits by default. */
    T(FLAT8, 0x05, F_X2, FX, 0x20, 0x20),
    T(FLAT8, 0x05, F_X2 | F_EXACT, FX, 0x20, 0x20),
    T(FLAT8, 0x103, F_X2, FX, 0x08, 0x08),
    T(FLAT8, 0x103, F_X2 | F_EXACT, FX, 0, 0),
    T(FLAT8, 0x1ff, F_X2, FX, 0xff, 0xff),       /* truncates to the xAPIC broadcast */
    T(FLAT8, 0x1ff, F_X2 | F_EXACT, FX, 0, 0),
    T(FLAT8, 0xff, F_X2, FX, 0xff, 0xff),
    T(FLAT8, 0xff, F_X2 | F_EXACT, FX, 0xff, 0xff),
    T(FLAT8, 0xffffffff, F_X2, FX, 0xff, 0xff),
    T(FLAT8, 0xffffffff, F_X2 | F_EXACT, FX, 0xff, 0xff),
    T(FLAT8, 0xffffffff, F_X2, LP, 0xff, 0x10),
    T(FLAT8, 0x00010003, F_X2 | F_LOG, FX, 0x03, 0x03),
    T(FLAT8, 0x00010003, F_X2 | F_LOG | F_EXACT, FX, 0, 0),
    T(FLAT8, 0x00000003, F_X2 | F_LOG | F_EXACT, FX, 0x03, 0x03),
    T(FLAT8, 0xffffffff, F_X2 | F_LOG, FX, 0xff, 0xff),
    T(FLAT8, 0xffffffff, F_X2 | F_LOG | F_EXACT, FX, 0xff, 0xff),
    /* Shorthands ignore the destination (SDM 11.6.1, table 11-3). */
    T(FLAT8, 0x00, 0, SH(FIXED, SELF, 2), 0x04, 0x04),
    T(FLAT8, 0x00, F_LOG, SH(FIXED, SELF, 3), 0x08, 0x08),
    T(FLAT8, 0x00, F_LVL, SH(FIXED, SELF, 3), 0x08, 0x08),
    T(FLAT8, 0x00, 0, SH(FIXED, SELF, -1), 0, 0),
    T(FLAT8, 0x00, 0, SH(FIXED, SELF, 8), 0, 0),
    T(FLAT8, 0x00, 0, SH(NMI, SELF, 2), 0x04, 0),
    T(FLAT8, 0x00, 0, SH(LOWEST, SELF, 2), 0x04, 0),
    T(FLAT8, 0x00, 0, SH(INIT, SELF, 2), 0x04, 0),
    T(FLAT8, 0x00, 0, SH(STARTUP, SELF, 2), 0x04, 0),
    T(FLAT8, 0x00, 0, SH(SMI, SELF, 2), 0x04, 0),
    T(FLAT8, 0x00, 0, SH(EXTINT, SELF, 2), 0x04, 0),
    T(FLAT8, 0x00, 0, SH(FIXED, ALL, 2), 0xff, 0xff),
    T(FLAT8, 0x05, F_X2, SH(FIXED, ALL, 2), 0xff, 0xff),
    T(FLAT8, 0x00, 0, SH(FIXED, ALL, -1), 0xff, 0),
    T(FLAT8, 0x00, 0, SH(NMI, ALL, 2), 0xff, 0),
    T(FLAT8, 0x00, 0, SH(INIT, ALL, 2), 0xff, 0),
    T(FLAT8, 0x00, 0, SH(LOWEST, ALL, 2), 0xff, 0),
    T(FLAT8, 0x00, 0, SH(STARTUP, ALL, 2), 0xff, 0),
    T(FLAT8, 0x00, 0, SH(FIXED, ALL_BUT_SELF, 2), 0xfb, 0xfb),
    T(FLAT8, 0x00, 0, SH(NMI, ALL_BUT_SELF, 2), 0xfb, 0xfb),
    T(FLAT8, 0x00, 0, SH(INIT, ALL_BUT_SELF, 0), 0xfe, 0xfe),
    T(FLAT8, 0x00, 0, SH(STARTUP, ALL_BUT_SELF, 0), 0xfe, 0xfe),
    T(FLAT8, 0x00, 0, SH(SMI, ALL_BUT_SELF, 0), 0xfe, 0xfe),
    T(FLAT8, 0x00, 0, SH(EXTINT, ALL_BUT_SELF, 0), 0xfe, 0),
    T(FLAT8, 0x00, 0, SH(LOWEST, ALL_BUT_SELF, 4), 0xef, 0x20),
    T(FLAT8, 0x00, 0, SH(LOWEST, ALL_BUT_SELF, 5), 0xdf, 0x10),
    T(FLAT8, 0x00, 0, SH(LOWEST, ALL_BUT_SELF, 0), 0xfe, 0x10),
    T(FLAT8, 0x00, 0, SH(FIXED, ALL_BUT_SELF, -1), 0xff, 0),
    T(FLAT8, 0x00, F_LVL | F_DEA, SH(INIT, ALL_BUT_SELF, 0), 0xfe, 0),
    T(FLAT8, 0x00, 0, RAW(APIC_DM_FIXED, 4, 0), 0, 0),   /* not a shorthand encoding */

    /* Logical cluster (DFR 0000b): MDA[7:4] cluster (Fh all), MDA[3:0] members. */
    T(CLUSTER8, 0x01, F_LOG, FX, 0x01, 0x01),
    T(CLUSTER8, 0x0f, F_LOG, FX, 0x0f, 0x0f),
    T(CLUSTER8, 0x13, F_LOG, FX, 0x30, 0x30),
    T(CLUSTER8, 0x1f, F_LOG, FX, 0xf0, 0xf0),
    T(CLUSTER8, 0x18, F_LOG, FX, 0x80, 0x80),
    T(CLUSTER8, 0xf1, F_LOG, FX, 0x11, 0x11),
    T(CLUSTER8, 0xf6, F_LOG, FX, 0x66, 0x66),
    T(CLUSTER8, 0xff, F_LOG, FX, 0xff, 0xff),
    T(CLUSTER8, 0xf0, F_LOG, FX, 0, 0),
    T(CLUSTER8, 0x10, F_LOG, FX, 0, 0),
    T(CLUSTER8, 0x2f, F_LOG, FX, 0, 0),
    T(CLUSTER8, 0xef, F_LOG, FX, 0, 0),
    T(CLUSTER8, 0xff, F_LOG, LP, 0xff, 0x04),
    T(CLUSTER8, 0xf1, F_LOG, LP, 0x11, 0x01),
    T(CLUSTER8, 0x1f, F_LOG, LP, 0xf0, 0x10),
    T(CLUSTER8, 0x10, 0, FX, 0x01, 0x01),         /* physical uses the ID, not the LDR */
    T(CLUSTER8, 0x17, 0, FX, 0x80, 0x80),
    T(CLUSTER8, 0x01, 0, FX, 0, 0),
    T(CLUSTER8, 0xff, 0, FX, 0xff, 0xff),
    T(CLUSTER8, 0x00000113, F_X2 | F_LOG, FX, 0x30, 0x30),
    T(CLUSTER8, 0x00000113, F_X2 | F_LOG | F_EXACT, FX, 0, 0),
    T(CLUSTER8, 0x00000013, F_X2 | F_LOG | F_EXACT, FX, 0x30, 0x30),
    T(CLUSTER8, 0xffffffff, F_X2 | F_LOG, FX, 0xff, 0xff),

    /* Aliased xAPIC IDs: every APIC with the ID receives. */
    T(ALIAS, 0x03, 0, FX, 0x13, 0x13),
    T(ALIAS, 0x03, 0, NM, 0x13, 0x13),
    T(ALIAS, 0x03, 0, IN, 0x13, 0x13),
    T(ALIAS, 0x03, 0, LP, 0x13, 0x01),
    T(ALIAS, 0x04, 0, FX, 0x04, 0x04),
    T(ALIAS, 0x05, 0, FX, 0x08, 0x08),
    T(ALIAS, 0x06, 0, FX, 0, 0),
    T(ALIAS, 0xff, 0, FX, 0x1f, 0x1f),
    T(ALIAS, 0x203, F_X2, FX, 0x13, 0x13),
    T(ALIAS, 0x203, F_X2 | F_EXACT, FX, 0, 0),
    T(ALIAS, 0x03, F_X2 | F_EXACT, FX, 0x13, 0x13),
    T(ALIAS, 0x12, F_LOG, FX, 0x12, 0x12),

    /* Mixed xAPIC / x2APIC VM. */
    T(MIXED, 0x123, F_X2, FX, 0x03, 0x03),        /* x2APIC 0x123 and xAPIC 0x23 */
    T(MIXED, 0x123, F_X2 | F_EXACT, FX, 0x01, 0x01),
    T(MIXED, 0x23, F_X2, FX, 0x02, 0x02),
    T(MIXED, 0x23, F_X2 | F_EXACT, FX, 0x02, 0x02),
    T(MIXED, 0x05, F_X2, FX, 0x04, 0x04),
    T(MIXED, 0x06, F_X2, FX, 0x08, 0x08),
    T(MIXED, 0x07, F_X2, FX, 0, 0),               /* disabled APIC */
    T(MIXED, 0x07, F_X2, NM, 0, 0),
    T(MIXED, 0x08, F_X2, FX, 0x20, 0),            /* software disabled */
    T(MIXED, 0x08, F_X2, LP, 0x20, 0),
    T(MIXED, 0x08, F_X2, NM, 0x20, 0x20),
    T(MIXED, 0x08, F_X2, IN, 0x20, 0x20),
    T(MIXED, 0x08, F_X2, SI, 0x20, 0x20),
    T(MIXED, 0x08, F_X2, SM, 0x20, 0x20),
    T(MIXED, 0x08, 0, XI, 0x20, 0),
    T(MIXED, 0x1ff, F_X2, FX, 0x6a, 0x4a),        /* 0x1ff and, truncated, all xAPIC */
    T(MIXED, 0x1ff, F_X2 | F_EXACT, FX, 0x40, 0x40),
    T(MIXED, 0xff, F_X2, FX, 0x2a, 0x0a),         /* no x2APIC ID 0xff; xAPIC broadcast */
    T(MIXED, 0xff, F_X2 | F_EXACT, FX, 0x2a, 0x0a),
    T(MIXED, 0xffffffff, F_X2, FX, 0xef, 0xcf),
    T(MIXED, 0xffffffff, F_X2, NM, 0xef, 0xef),
    T(MIXED, 0xffffffff, F_X2, LP, 0xef, 0x80),
    T(MIXED, 0x40, F_X2, FX, 0x80, 0x80),
    T(MIXED, 0x140, F_X2, FX, 0, 0),
    T(MIXED, 0x106, F_X2, FX, 0x08, 0x08),
    T(MIXED, 0x106, F_X2 | F_EXACT, FX, 0, 0),
    T(MIXED, 0x23, 0, FX, 0x02, 0x02),            /* 8-bit from an I/O APIC or MSI */
    T(MIXED, 0x05, 0, FX, 0x04, 0x04),            /* zero-extended for x2APIC */
    T(MIXED, 0x40, 0, FX, 0x80, 0x80),
    T(MIXED, 0xff, 0, FX, 0xef, 0xcf),            /* 8-bit broadcast reaches x2APIC too */
    T(MIXED, 0xff, 0, LP, 0xef, 0x80),
    T(MIXED, 0x123, 0, FX, 0x02, 0x02),           /* 8-bit message: 0x23 */
    T(MIXED, 0x03, F_LOG, FX, 0x0a, 0x0a),
    T(MIXED, 0x20, F_LOG, FX, 0x04, 0x04),        /* x2APIC cluster 0, bit 5 */
    T(MIXED, 0x0b, F_LOG, FX, 0x2a, 0x0a),
    T(MIXED, 0x0b, F_LOG, NM, 0x2a, 0x2a),
    T(MIXED, 0xff, F_LOG, FX, 0xef, 0xcf),
    T(MIXED, 0x00120008, F_X2 | F_LOG, FX, 0x21, 0x01),
    T(MIXED, 0x00120008, F_X2 | F_LOG | F_EXACT, FX, 0x01, 0x01),
    T(MIXED, 0x00040001, F_X2 | F_LOG, FX, 0x82, 0x82),
    T(MIXED, 0x00040001, F_X2 | F_LOG | F_EXACT, FX, 0x80, 0x80),
    T(MIXED, 0x001f8000, F_X2 | F_LOG, FX, 0x40, 0x40),
    T(MIXED, 0x00000020, F_X2 | F_LOG, FX, 0x04, 0x04),
    T(MIXED, 0x00000003, F_X2 | F_LOG, FX, 0x0a, 0x0a),
    T(MIXED, 0x0012ffff, F_X2 | F_LOG, FX, 0x2b, 0x0b),
    T(MIXED, 0x0012ffff, F_X2 | F_LOG | F_EXACT, FX, 0x01, 0x01),
    T(MIXED, 0xffffffff, F_X2 | F_LOG, FX, 0xef, 0xcf),
    T(MIXED, 0xffffffff, F_X2 | F_LOG, LP, 0xef, 0x80),
    T(MIXED, 0x00, 0, SH(FIXED, ALL, 0), 0xef, 0xcf),
    T(MIXED, 0x00, 0, SH(NMI, ALL_BUT_SELF, 0), 0xee, 0xee),
    T(MIXED, 0x00, 0, SH(FIXED, ALL_BUT_SELF, 7), 0x6f, 0x4f),
    T(MIXED, 0x00, 0, SH(LOWEST, ALL_BUT_SELF, 7), 0x6f, 0x01),
    T(MIXED, 0x00, 0, SH(FIXED, SELF, 4), 0, 0),  /* disabled sender */
    T(MIXED, 0x00, 0, SH(FIXED, SELF, 5), 0x20, 0),

    /* x2APIC physical and cluster (SDM 11.12.9, 11.12.10). */
    T(X2_8, 0x000, F_X2, FX, 0x01, 0x01),
    T(X2_8, 0x003, F_X2, FX, 0x08, 0x08),
    T(X2_8, 0x010, F_X2, FX, 0x10, 0x10),
    T(X2_8, 0x011, F_X2, FX, 0x20, 0x20),
    T(X2_8, 0x100, F_X2, FX, 0x40, 0x40),
    T(X2_8, 0x101, F_X2, FX, 0x80, 0x80),
    T(X2_8, 0x102, F_X2, FX, 0, 0),
    T(X2_8, 0x001, F_X2 | F_EXACT, FX, 0x02, 0x02),
    T(X2_8, 0xff, F_X2, FX, 0, 0),                /* 0xff is an ID in x2APIC format */
    T(X2_8, 0xffffffff, F_X2, FX, 0xff, 0xff),
    T(X2_8, 0xffffffff, F_X2, LP, 0xff, 0x04),
    T(X2_8, 0xffff, F_X2, FX, 0, 0),
    T(X2_8, 0xff, 0, FX, 0xff, 0xff),             /* 8-bit broadcast */
    T(X2_8, 0x01, 0, FX, 0x02, 0x02),
    T(X2_8, 0x10, 0, FX, 0x10, 0x10),
    T(X2_8, 0x100, 0, FX, 0x01, 0x01),            /* 8-bit message: 0x00 */
    T(X2_8, 0x0000000f, F_X2 | F_LOG, FX, 0x0f, 0x0f),
    T(X2_8, 0x00010003, F_X2 | F_LOG, FX, 0x30, 0x30),
    T(X2_8, 0x00010002, F_X2 | F_LOG, FX, 0x20, 0x20),
    T(X2_8, 0x00100001, F_X2 | F_LOG, FX, 0x40, 0x40),
    T(X2_8, 0x00100003, F_X2 | F_LOG, FX, 0xc0, 0xc0),
    T(X2_8, 0x00020001, F_X2 | F_LOG, FX, 0, 0),
    T(X2_8, 0x0000ffff, F_X2 | F_LOG, FX, 0x0f, 0x0f),
    T(X2_8, 0xffff0001, F_X2 | F_LOG, FX, 0, 0),  /* no "all clusters" in x2APIC */
    T(X2_8, 0xffffffff, F_X2 | F_LOG, FX, 0xff, 0xff),
    T(X2_8, 0x00000000, F_X2 | F_LOG, FX, 0, 0),
    T(X2_8, 0x00010000, F_X2 | F_LOG, FX, 0, 0),
    T(X2_8, 0x05, F_LOG, FX, 0x05, 0x05),         /* 8-bit logical: cluster 0 */
    T(X2_8, 0xff, F_LOG, FX, 0xff, 0xff),
    T(X2_8, 0x0000000f, F_X2 | F_LOG, LP, 0x0f, 0x04),
    T(X2_8, 0x00010003, F_X2 | F_LOG, LP, 0x30, 0x20),
    T(X2_8, 0x00100003, F_X2 | F_LOG, LP, 0xc0, 0x40),
    T(X2_8, 0x00000000, 0, SH(FIXED, ALL_BUT_SELF, 6), 0xbf, 0xbf),
    T(X2_8, 0x00000000, 0, SH(FIXED, SELF, 6), 0x40, 0x40),

    /* Software-disabled receivers accept INIT, NMI, SMI, SIPI only (11.4.7.2). */
    T(SWDIS, 0xff, 0, FX, 0x0f, 0x05),
    T(SWDIS, 0xff, 0, LP, 0x0f, 0x04),
    T(SWDIS, 0xff, 0, NM, 0x0f, 0x0f),
    T(SWDIS, 0xff, 0, IN, 0x0f, 0x0f),
    T(SWDIS, 0xff, 0, SI, 0x0f, 0x0f),
    T(SWDIS, 0xff, 0, SM, 0x0f, 0x0f),
    T(SWDIS, 0xff, 0, XI, 0x0f, 0x05),
    T(SWDIS, 0x01, 0, FX, 0x02, 0),
    T(SWDIS, 0x01, 0, LP, 0x02, 0),
    T(SWDIS, 0x01, 0, NM, 0x02, 0x02),
    T(SWDIS, 0x04, 0, FX, 0, 0),                  /* disabled: nothing at all */
    T(SWDIS, 0x04, 0, NM, 0, 0),
    T(SWDIS, 0x04, 0, IN, 0, 0),
    T(SWDIS, 0x10, F_LOG, NM, 0, 0),
    T(SWDIS, 0x1f, F_LOG, FX, 0x0f, 0x05),
    T(SWDIS, 0x0a, F_LOG, LP, 0x0a, 0),
    T(SWDIS, 0x00, 0, SH(FIXED, ALL, 0), 0x0f, 0x05),
    T(SWDIS, 0x00, 0, SH(INIT, ALL_BUT_SELF, 0), 0x0e, 0x0e),
    T(SWDIS, 0x00, 0, SH(FIXED, SELF, 1), 0x02, 0),

    /* 8-bit truncation of x2APIC IDs makes xAPIC IDs alias. */
    T(TRUNC, 0x01, 0, FX, 0x03, 0x03),
    T(TRUNC, 0x02, 0, FX, 0x0c, 0x0c),
    T(TRUNC, 0x101, F_X2, FX, 0x13, 0x13),        /* x2APIC 0x101 and both xAPIC 0x01 */
    T(TRUNC, 0x101, F_X2 | F_EXACT, FX, 0x10, 0x10),
    T(TRUNC, 0x202, F_X2, FX, 0x0c, 0x0c),
    T(TRUNC, 0x202, F_X2 | F_EXACT, FX, 0, 0),
    T(TRUNC, 0x001, F_X2, FX, 0x03, 0x03),
    T(TRUNC, 0x101, F_X2, LP, 0x13, 0x01),
    T(TRUNC, 0x101, 0, FX, 0x03, 0x03),           /* 8-bit: 0x01; x2APIC 0x101 no */
};

static struct apic_msg make_msg(const struct tcase *c)
{
    struct apic_msg m;

    memset(&m, 0, sizeof(m));
    m.dest = c->dest;
    m.vector = 0x40;
    m.dm = c->dm;
    m.shorthand = c->sh;
    m.logical = (c->flags & F_LOG) != 0;
    m.x2apic = (c->flags & F_X2) != 0;
    m.level = (c->flags & F_LVL) != 0;
    m.assert = (c->flags & F_DEA) == 0;
    m.source = c->src;
    return m;
}

static unsigned table_failures;

static void check_case(const struct tcase *c)
{
    const struct vm *v = &vms[c->vm];
    struct apic_dest_policy pol = { .x2apic_ids_exact_for_xapic = (c->flags & F_EXACT) != 0 };
    struct apic_msg m = make_msg(c);
    uint64_t got_match = apic_dest_match(v->apics, v->n, &m, &pol);
    uint64_t got_plan = apic_dest_plan(v->apics, v->n, &m, &pol, NULL);
    unsigned before = check_failed;

    CHECK_EQ(got_match, c->match);
    CHECK_EQ(got_plan, c->plan);
    if (check_failed != before) {
        table_failures++;
        fprintf(stderr, "  ^ table row at line %d\n", c->line);
    }
}

static void test_table(void)
{
    size_t i;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        check_case(&cases[i]);
    printf("table: %zu cases, %u failed\n", sizeof(cases) / sizeof(cases[0]), table_failures);
}

/* ------------------------------------------------------ generated sweeps */

static struct apic_msg msg(uint32_t dest, uint8_t dm, bool logical, bool x2apic)
{
    struct apic_msg m;

    memset(&m, 0, sizeof(m));
    m.dest = dest;
    m.dm = dm;
    m.logical = logical;
    m.x2apic = x2apic;
    m.assert = true;
    m.source = -1;
    return m;
}

/* Every physical destination in the flat VM, both formats, both policies. */
static void test_physical_sweep(void)
{
    static const struct apic_dest_policy exact = { .x2apic_ids_exact_for_xapic = true };
    uint32_t d;

    for (d = 0; d < 0x100; d++) {
        uint64_t want = d == 0xff ? 0xff : d < 8 ? 1ull << d : 0;
        struct apic_msg m8 = msg(d, APIC_DM_FIXED, false, false);
        struct apic_msg m32 = msg(d, APIC_DM_FIXED, false, true);
        struct apic_msg hi = msg(0x300 | d, APIC_DM_FIXED, false, true);

        CHECK_EQ(apic_dest_match(vm_flat, 8, &m8, NULL), want);
        CHECK_EQ(apic_dest_match(vm_flat, 8, &m32, NULL), want);
        CHECK_EQ(apic_dest_match(vm_flat, 8, &m32, &exact), want);
        CHECK_EQ(apic_dest_match(vm_flat, 8, &hi, NULL), want);     /* truncated */
        CHECK_EQ(apic_dest_match(vm_flat, 8, &hi, &exact), 0);
        /* In x2APIC format 0xff is an ordinary ID: nobody in the x2 VM. */
        CHECK_EQ(apic_dest_match(vm_x2, 8, &m32, NULL),
                 d == 0 ? 0x01 : d == 1 ? 0x02 : d == 2 ? 0x04 : d == 3 ? 0x08 :
                 d == 0x10 ? 0x10 : d == 0x11 ? 0x20 : 0);
    }
}

/* Every flat MDA: the members whose bit is in it. */
static void test_logical_sweep(void)
{
    uint32_t d;

    for (d = 0; d < 0x100; d++) {
        struct apic_msg m = msg(d, APIC_DM_FIXED, true, false);
        uint64_t want_cluster = 0;
        unsigned i;

        CHECK_EQ(apic_dest_match(vm_flat, 8, &m, NULL), d);
        for (i = 0; i < 8; i++) {
            uint32_t lid = vm_cluster[i].ldr;
            bool in_cluster = (d >> 4) == 0xf || (d >> 4) == (lid >> 4);

            if (in_cluster && (d & lid & 0xf))
                want_cluster |= 1ull << i;
        }
        CHECK_EQ(apic_dest_match(vm_cluster, 8, &m, NULL), want_cluster);
    }
}

/*
 * Shorthand x delivery mode x trigger, from SDM table 11-3 written out
 * independently: valid[shorthand][dm], for a sender that exists.
 */
static void test_shorthand_matrix(void)
{
    static const bool valid[4][8] = {
        /*          FIX LP  SMI rsv NMI INIT SIPI EXT */
        [APIC_SH_NONE] = { 1, 1, 1, 0, 1, 1, 1, 0 },  /* ExtINT reserved in ICR */
        [APIC_SH_SELF] = { 1, 0, 0, 0, 0, 0, 0, 0 },
        [APIC_SH_ALL] = { 1, 0, 0, 0, 0, 0, 0, 0 },
        [APIC_SH_ALL_BUT_SELF] = { 1, 1, 1, 0, 1, 1, 1, 0 },
    };
    static const uint64_t dest_set[4] = { 0x08, 0x04, 0xff, 0xfb };
    unsigned sh, dm, trig;

    for (sh = 0; sh < 4; sh++) {
        for (dm = 0; dm < 8; dm++) {
            for (trig = 0; trig < 3; trig++) {   /* edge, level assert, level de-assert */
                struct apic_msg m = msg(0x03, (uint8_t)dm, false, false);
                bool ok = valid[sh][dm] && !(dm == APIC_DM_INIT && trig == 2);
                uint64_t want = dest_set[sh];

                m.shorthand = (uint8_t)sh;
                m.source = 2;
                m.level = trig != 0;
                m.assert = trig != 2;
                if (dm == APIC_DM_LOWEST)
                    want = sh == APIC_SH_NONE ? 0x08 : 0x10;   /* 4 wins ties */
                CHECK_EQ(apic_dest_msg_valid(&m), ok);
                CHECK_EQ(apic_dest_match(vm_flat, 8, &m, NULL), dest_set[sh]);
                CHECK_EQ(apic_dest_plan(vm_flat, 8, &m, NULL, NULL), ok ? want : 0);
                /* The same message from an I/O APIC: shorthands invalid,
                 * ExtINT valid without one. */
                m.source = -1;
                ok = sh == APIC_SH_NONE && dm != 3 && !(dm == APIC_DM_INIT && trig == 2);
                CHECK_EQ(apic_dest_msg_valid(&m), ok);
            }
        }
    }
}

/* Which delivery modes a software-disabled APIC takes (SDM 11.4.7.2). */
static void test_sw_disabled_matrix(void)
{
    static const bool takes[8] = { 0, 0, 1, 0, 1, 1, 1, 0 };
    unsigned dm;

    for (dm = 0; dm < 8; dm++) {
        uint64_t want = takes[dm] ? 0x0f : 0x05;

        CHECK_EQ(apic_dest_accepting(vm_swdis, 5, (uint8_t)dm, 0x1f), want);
        CHECK_EQ(apic_dest_accepting(vm_swdis, 5, (uint8_t)dm, 0x0a), want & 0x0a);
        CHECK_EQ(apic_dest_accepting(vm_swdis, 5, (uint8_t)dm, ~0ull), want);
    }
}

/* ------------------------------------------------------ lowest priority */

static void test_lowest_direct(void)
{
    unsigned cur = 0;

    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0, NULL), -1);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0xff00, NULL), -1);   /* beyond n */
    CHECK_EQ(apic_dest_lowest(vm_flat, 4, 0xf0, NULL), -1);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0xff, NULL), 4);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0xef, NULL), 5);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0x81, NULL), 0);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0x80, NULL), 7);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0x06, NULL), 1);
    /* Round robin among 4 and 5 (0x20). */
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0xff, &cur), 4);
    CHECK_EQ(cur, 5);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0xff, &cur), 5);
    CHECK_EQ(cur, 6);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0xff, &cur), 4);
    CHECK_EQ(cur, 5);
    cur = 63;
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0xff, &cur), 4);
    CHECK_EQ(cur, 5);
    cur = 1000;     /* any cursor value is taken modulo 64 */
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0x06, &cur), 1);
    /* A single lowest candidate wins whatever the cursor. */
    cur = 6;
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0x0f, &cur), 1);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0x0f, &cur), 2);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0x0f, &cur), 1);
    CHECK_EQ(apic_dest_lowest(vm_flat, 8, 0x09, &cur), 0);
}

static void test_lowest_round_robin_plan(void)
{
    static const struct apic_dest_policy rr = { .lowest_priority_round_robin = true };
    static const uint64_t want_rr[] = { 0x01, 0x02, 0x10, 0x01, 0x02, 0x10, 0x01 };
    struct apic_msg m = msg(0x03, APIC_DM_LOWEST, false, false);
    unsigned cur = 0, i;

    for (i = 0; i < sizeof(want_rr) / sizeof(want_rr[0]); i++)
        CHECK_EQ(apic_dest_plan(vm_alias, 5, &m, &rr, &cur), want_rr[i]);
    /* Policy off: cursor ignored and untouched. */
    cur = 2;
    for (i = 0; i < 3; i++)
        CHECK_EQ(apic_dest_plan(vm_alias, 5, &m, NULL, &cur), 0x01);
    CHECK_EQ(cur, 2);
    /* Policy on without a cursor: lowest index. */
    CHECK_EQ(apic_dest_plan(vm_alias, 5, &m, &rr, NULL), 0x01);
    /* Fixed messages never touch the cursor. */
    m.dm = APIC_DM_FIXED;
    CHECK_EQ(apic_dest_plan(vm_alias, 5, &m, &rr, &cur), 0x13);
    CHECK_EQ(cur, 2);
    /* Round robin over the whole x2APIC VM's ties at 0x10: 2, 3, 5. */
    m = msg(0xffffffff, APIC_DM_LOWEST, false, true);
    cur = 0;
    CHECK_EQ(apic_dest_plan(vm_x2, 8, &m, &rr, &cur), 0x04);
    CHECK_EQ(apic_dest_plan(vm_x2, 8, &m, &rr, &cur), 0x08);
    CHECK_EQ(apic_dest_plan(vm_x2, 8, &m, &rr, &cur), 0x20);
    CHECK_EQ(apic_dest_plan(vm_x2, 8, &m, &rr, &cur), 0x04);
}

/* ------------------------------------------------------------- n limits */

static void test_limits(void)
{
    static struct apic_dest_view big[65];
    struct apic_msg m = msg(0xff, APIC_DM_FIXED, false, false);
    struct apic_dest_map map;
    unsigned i;

    for (i = 0; i < 65; i++)
        big[i] = (struct apic_dest_view){ XA, true, 0x10, i, 0, FLAT };
    CHECK_EQ(apic_dest_match(big, 65, &m, NULL), ~0ull);
    CHECK_EQ(apic_dest_match(big, 64, &m, NULL), ~0ull);
    CHECK_EQ(apic_dest_match(big, 63, &m, NULL), ~0ull >> 1);
    CHECK_EQ(apic_dest_match(big, 0, &m, NULL), 0);
    m.dest = 64;
    CHECK_EQ(apic_dest_match(big, 65, &m, NULL), 0);        /* index 64 ignored */
    m.dest = 63;
    CHECK_EQ(apic_dest_match(big, 65, &m, NULL), 1ull << 63);
    m.shorthand = APIC_SH_ALL_BUT_SELF;
    m.source = 63;
    CHECK_EQ(apic_dest_match(big, 64, &m, NULL), ~0ull >> 1);
    m.source = 64;
    CHECK_EQ(apic_dest_match(big, 64, &m, NULL), ~0ull);
    CHECK_EQ(apic_dest_lowest(big, 64, ~0ull, NULL), 0);

    memset(&map, 0, sizeof(map));
    apic_dest_map_build(&map, big, 65);
    CHECK(!map.valid);
    apic_dest_map_build(&map, big, 64);
    CHECK(map.valid);
    CHECK_EQ(map.generation, 2);
    CHECK_EQ(map.phys_to_vcpu[63], 63);
    CHECK_EQ(map.phys_to_vcpu[64], APIC_DEST_MAP_NONE);
}

/* ------------------------------------------------------------- fast map */

static void test_map_fixtures(void)
{
    struct apic_dest_map map;
    struct apic_msg m;
    uint64_t t;

    memset(&map, 0, sizeof(map));
    apic_dest_map_build(&map, vm_flat, 8);
    CHECK(map.valid);
    CHECK_EQ(map.generation, 1);
    CHECK_EQ(map.phys_to_vcpu[0], 0);
    CHECK_EQ(map.phys_to_vcpu[7], 7);
    CHECK_EQ(map.phys_to_vcpu[8], APIC_DEST_MAP_NONE);
    m = msg(5, APIC_DM_FIXED, false, false);
    CHECK(apic_dest_map_lookup(&map, &m, &t) && t == 0x20);
    m.dm = APIC_DM_NMI;
    CHECK(apic_dest_map_lookup(&map, &m, &t) && t == 0x20);
    m.dest = 0x40;
    CHECK(apic_dest_map_lookup(&map, &m, &t) && t == 0);
    m.dest = 0x105;     /* 8-bit message: 0x05 */
    CHECK(apic_dest_map_lookup(&map, &m, &t) && t == 0x20);
    m.x2apic = true;    /* x2APIC format above 0xfe: slow path */
    CHECK(!apic_dest_map_lookup(&map, &m, &t));
    m.dest = 0xff;
    CHECK(!apic_dest_map_lookup(&map, &m, &t));
    m.dest = 0xffffffff;
    CHECK(!apic_dest_map_lookup(&map, &m, &t));
    m = msg(0xff, APIC_DM_FIXED, false, false);
    CHECK(!apic_dest_map_lookup(&map, &m, &t));             /* broadcast */
    m = msg(0x01, APIC_DM_FIXED, true, false);
    CHECK(!apic_dest_map_lookup(&map, &m, &t));             /* logical */
    m = msg(0x01, APIC_DM_LOWEST, false, false);
    CHECK(!apic_dest_map_lookup(&map, &m, &t));
    m = msg(0x01, APIC_DM_INIT, false, false);
    CHECK(!apic_dest_map_lookup(&map, &m, &t));
    m = msg(0x01, APIC_DM_FIXED, false, false);
    m.shorthand = APIC_SH_SELF;
    m.source = 1;
    CHECK(!apic_dest_map_lookup(&map, &m, &t));             /* shorthand */
}

static void test_map_aliases(void)
{
    struct apic_dest_map map;
    struct apic_msg m;
    uint64_t t;

    memset(&map, 0, sizeof(map));
    map.generation = 1;
    apic_dest_map_build(&map, vm_alias, 5);
    CHECK_EQ(map.generation, 2);
    CHECK_EQ(map.phys_to_vcpu[3], APIC_DEST_MAP_ALIASED);
    CHECK_EQ(map.phys_to_vcpu[4], 2);
    CHECK_EQ(map.phys_to_vcpu[5], 3);
    m = msg(3, APIC_DM_FIXED, false, false);
    CHECK(!apic_dest_map_lookup(&map, &m, &t));
    m.dest = 4;
    CHECK(apic_dest_map_lookup(&map, &m, &t) && t == 0x04);

    apic_dest_map_build(&map, vm_mixed, 8);
    CHECK_EQ(map.phys_to_vcpu[0x23], 1);
    CHECK_EQ(map.phys_to_vcpu[0x05], 2);    /* x2APIC ID 5 */
    CHECK_EQ(map.phys_to_vcpu[0x06], 3);
    CHECK_EQ(map.phys_to_vcpu[0x07], APIC_DEST_MAP_NONE);  /* disabled */
    CHECK_EQ(map.phys_to_vcpu[0x08], 5);    /* software enable is not in the map */
    CHECK_EQ(map.phys_to_vcpu[0x40], 7);
    m = msg(0x123, APIC_DM_FIXED, false, true);
    CHECK(!apic_dest_map_lookup(&map, &m, &t));

}

static void test_map_mixed(void)
{
    struct apic_dest_map map;
    struct apic_msg m;
    uint64_t t;

    memset(&map, 0, sizeof(map));
    apic_dest_map_build(&map, vm_trunc, 5);
    CHECK_EQ(map.phys_to_vcpu[0x01], APIC_DEST_MAP_ALIASED);
    CHECK_EQ(map.phys_to_vcpu[0x02], APIC_DEST_MAP_ALIASED);

    /* An xAPIC ID and an x2APIC ID equal below 0xff alias too. */
    {
        static const struct apic_dest_view xx[] = {
            { XA, true, 0, 0x05, 1, FLAT }, { X2, true, 0, 0x05, X2LDR(5), 0 },
            { X2, true, 0, 0xff, X2LDR(0xff), 0 }, { XA, true, 0, 0x1ff, 2, FLAT },
        };

        apic_dest_map_build(&map, xx, 4);
        CHECK_EQ(map.phys_to_vcpu[0x05], APIC_DEST_MAP_ALIASED);
        CHECK_EQ(map.phys_to_vcpu[0xff], APIC_DEST_MAP_NONE);
        m = msg(0x05, APIC_DM_FIXED, false, false);
        CHECK_EQ(apic_dest_match(xx, 4, &m, NULL), 0x03);
    }

    apic_dest_map_build(&map, NULL, 0);
    CHECK(!map.valid);
    m = msg(0x01, APIC_DM_FIXED, false, false);
    CHECK(!apic_dest_map_lookup(&map, &m, &t));
}

/* Deterministic xorshift64*. */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 0x2545f4914f6cdd1dull;
}

static uint32_t rnd_below(uint32_t n)
{
    return (uint32_t)(rnd() % n);
}

/* IDs from a small pool so aliasing and truncation collisions happen. */
static uint32_t rnd_id(void)
{
    static const uint32_t pool[] = { 0, 1, 2, 3, 5, 0x23, 0x40, 0xfe, 0xff, 0x101,
                                     0x123, 0x1ff, 0x200, 0x10000 };

    if (rnd_below(3) == 0)
        return rnd_below(0x300);
    return pool[rnd_below(sizeof(pool) / sizeof(pool[0]))];
}

static void rnd_vm(struct apic_dest_view *a, unsigned n, bool unique)
{
    unsigned i;

    for (i = 0; i < n; i++) {
        uint32_t id = unique ? i * 3 + 1 : rnd_id();
        unsigned r = rnd_below(10);

        a[i].mode = r == 0 ? OFF : r < 6 ? XA : X2;
        if (unique && a[i].mode == X2 && rnd_below(2))
            id += 0x100;    /* above 0xfe: not in the map, no alias either */
        a[i].sw_enabled = rnd_below(5) != 0;
        a[i].arb_priority = (uint8_t)(rnd_below(4) << 4);
        a[i].id = a[i].mode == XA ? id & 0xff : id;
        a[i].ldr = a[i].mode == X2 ? X2LDR(a[i].id) : rnd_below(0x100);
        a[i].dfr = rnd_below(2) ? FLAT : CLU;
    }
}

static struct apic_msg rnd_msg(unsigned n)
{
    static const uint8_t dms[] = { APIC_DM_FIXED, APIC_DM_FIXED, APIC_DM_NMI, APIC_DM_LOWEST,
                                   APIC_DM_INIT, APIC_DM_STARTUP, APIC_DM_SMI, APIC_DM_EXTINT };
    struct apic_msg m;
    unsigned r = rnd_below(8);

    memset(&m, 0, sizeof(m));
    m.x2apic = rnd_below(2);
    m.logical = rnd_below(4) == 0;
    m.dm = dms[rnd_below(8)];
    m.assert = true;
    m.source = rnd_below(4) == 0 ? -1 : (int)rnd_below(n);
    m.shorthand = rnd_below(8) == 0 ? (uint8_t)rnd_below(4) : APIC_SH_NONE;
    if (r == 0)
        m.dest = m.x2apic ? 0xffffffff : 0xff;
    else if (r < 6)
        m.dest = rnd_id();
    else
        m.dest = rnd_below(0x100);
    return m;
}

static unsigned popcount(uint64_t v)
{
    return (unsigned)__builtin_popcountll(v);
}

/* Invariants of one message on one VM, and the map against the scan. */
static void cross_check_one(const struct apic_dest_view *a, unsigned n,
                            const struct apic_dest_map *map, unsigned *answered)
{
    static const struct apic_dest_policy exact = { .x2apic_ids_exact_for_xapic = true };
    struct apic_msg m = rnd_msg(n);
    uint64_t slow = apic_dest_match(a, n, &m, NULL);
    uint64_t slow_exact = apic_dest_match(a, n, &m, &exact);
    uint64_t plan = apic_dest_plan(a, n, &m, NULL, NULL);
    uint64_t t = 0xdead;

    CHECK((slow & ~(n == 64 ? ~0ull : (1ull << n) - 1)) == 0);
    CHECK((slow_exact & ~slow) == 0);          /* the deviation only removes */
    CHECK((plan & ~slow) == 0);
    if (m.dm == APIC_DM_LOWEST)
        CHECK(popcount(plan) <= 1);
    else if (apic_dest_msg_valid(&m))
        CHECK_EQ(plan, apic_dest_accepting(a, n, m.dm, slow));
    if (apic_dest_map_lookup(map, &m, &t)) {
        (*answered)++;
        CHECK_EQ(t, slow);
        CHECK_EQ(t, slow_exact);
        CHECK(popcount(t) <= 1);
    }
}

static void test_map_random(void)
{
    static struct apic_dest_view a[64];
    struct apic_dest_map map;
    unsigned vm, k, n = 0, answered = 0, answered_unique = 0, before;

    memset(&map, 0, sizeof(map));
    for (vm = 0; vm < 2000; vm++) {
        bool unique = vm % 4 == 0;

        n = 1 + rnd_below(64);
        rnd_vm(a, n, unique);
        apic_dest_map_build(&map, a, n);
        CHECK(map.valid);
        before = answered;
        for (k = 0; k < 100; k++)
            cross_check_one(a, n, &map, &answered);
        if (unique)
            answered_unique += answered - before;
        if (unique) {
            /* Unique IDs: no entry is aliased. */
            unsigned d;

            for (d = 0; d < 256; d++)
                CHECK(map.phys_to_vcpu[d] != APIC_DEST_MAP_ALIASED);
        }
    }
    /* Also every destination 0..0xfe on the last VM, both formats. */
    for (k = 0; k < 0xff; k++) {
        struct apic_msg m8 = msg(k, APIC_DM_FIXED, false, false);
        struct apic_msg m32 = msg(k, APIC_DM_NMI, false, true);
        uint64_t t;

        if (apic_dest_map_lookup(&map, &m8, &t))
            CHECK_EQ(t, apic_dest_match(a, n, &m8, NULL));
        if (apic_dest_map_lookup(&map, &m32, &t))
            CHECK_EQ(t, apic_dest_match(a, n, &m32, NULL));
    }
    printf("random: 200000 messages, map answered %u (%u on unique-ID VMs)\n", answered,
           answered_unique);
    CHECK(answered > 10000);
    CHECK(answered_unique > 5000);
}

int main(void)
{
    test_table();
    test_physical_sweep();
    test_logical_sweep();
    test_shorthand_matrix();
    test_sw_disabled_matrix();
    test_lowest_direct();
    test_lowest_round_robin_plan();
    test_limits();
    test_map_fixtures();
    test_map_aliases();
    test_map_mixed();
    test_map_random();
    return check_report("test_apic_dest");
}
