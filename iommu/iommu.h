/* SPDX-License-Identifier: MIT */
/*
 * The vendor-neutral description of the platform's IOMMUs, as the firmware
 * states them: AMD's IVRS (AMD I/O Virtualization Technology (IOMMU)
 * Specification #48882, section 5.2) and Intel's DMAR (VT-d specification,
 * chapter 8) are each parsed into one struct iommu_desc.
 *
 * - a unit is one remapping engine: its vendor, its register base, its PCI
 *   segment (and, on AMD, its own PCI function), the features the table
 *   states for it, and the device scopes it translates for;
 * - a region is memory the firmware says a device keeps using (AMD IVMD,
 *   VT-d RMRR), with the scopes of the devices it is for;
 * - an ATS entry is a VT-d ATSR (the root ports whose devices may use ATS).
 *
 * The parsers are pure (host-tested, fuzzed): they read only the table they
 * are given and never more than its length.  Everything later code needs
 * (device assignment, interrupt remapping, posting) starts from here; the
 * registers themselves are read only by the drivers in iommu/amd and
 * iommu/vtd.  See docs/iommu.md.
 */
#ifndef KEEL_IOMMU_IOMMU_H
#define KEEL_IOMMU_IOMMU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define IOMMU_MAX_UNITS   16
#define IOMMU_MAX_SCOPES  256
#define IOMMU_MAX_REGIONS 32
#define IOMMU_MAX_ATS     8
#define IOMMU_WHY_LEN     128

enum iommu_vendor {
    IOMMU_NONE = 0,
    IOMMU_AMD_VI = 1, /* IVRS */
    IOMMU_VTD = 2,    /* DMAR */
};

/* Unit features, as the table states them (the registers may say more;
 * the drivers read them). */
#define IOMMU_F_IR             (1u << 0) /* interrupt remapping: AMD always (#48882 2.2.5); VT-d DMAR INTR_REMAP */
#define IOMMU_F_X2APIC         (1u << 1) /* AMD XTSup: 32-bit (x2APIC) destinations in IRTEs */
#define IOMMU_F_X2APIC_OPT_OUT (1u << 2) /* VT-d DMAR X2APIC_OPT_OUT: firmware asks for xAPIC mode */
#define IOMMU_F_GA             (1u << 3) /* AMD GASup: guest virtual APIC IRTEs (posting) */
#define IOMMU_F_INCLUDE_ALL    (1u << 4) /* every device of the segment no other unit lists */
#define IOMMU_F_EFR            (1u << 5) /* AMD: efr is the table's EFR register image */
#define IOMMU_F_DMA_OPT_IN     (1u << 6) /* VT-d DMA_CTRL_PLATFORM_OPT_IN_FLAG */

#define IOMMU_NO_BDF 0xffffu

struct iommu_unit {
    uint8_t vendor;      /* enum iommu_vendor */
    uint8_t ivhd_type;   /* AMD: the IVHD type used (0x10, 0x11 or 0x40); VT-d: 0 */
    uint8_t addr_width;  /* VT-d: the DMAR host address width; AMD: IVinfo PASize; 0: not stated */
    uint8_t ivhd_flags;  /* AMD: the IVHD flags byte (HtTunEn, PassPW, ... PPRSup) */
    uint16_t segment;
    uint16_t bdf;        /* AMD: the IOMMU's own PCI function; VT-d: IOMMU_NO_BDF */
    uint16_t cap_offset; /* AMD: its capability block in that function's config space */
    uint16_t info;       /* AMD: IOMMU Info (MSINum 4:0, UnitID 12:8) */
    uint32_t features;   /* IOMMU_F_* */
    uint64_t base;       /* register base (physical) */
    uint64_t efr;        /* AMD: the EFR image (11h/40h) or the feature field (10h) */
    uint16_t first_scope, nscopes; /* its entries in iommu_desc.scope[] */
    uint32_t src_off, src_len;     /* the structure in the table */
};

enum iommu_scope_kind {
    IOMMU_SCOPE_DEVICE = 1, /* one requester ID (AMD select, VT-d endpoint) */
    IOMMU_SCOPE_RANGE,      /* first..last (AMD start/end of range, AMD "all") */
    IOMMU_SCOPE_BRIDGE,     /* VT-d PCI sub-hierarchy: the bridge and every bus below it */
    IOMMU_SCOPE_IOAPIC,     /* an I/O APIC; enum_id is its APIC ID */
    IOMMU_SCOPE_HPET,       /* an MSI-capable HPET; enum_id is its number */
    IOMMU_SCOPE_ACPI,       /* an ACPI namespace device (AMD F0h, VT-d type 5) */
};

/* What a scope belongs to. */
enum iommu_owner { IOMMU_OWNER_UNIT = 0, IOMMU_OWNER_REGION, IOMMU_OWNER_ATS };

/* The scope flags. */
#define IOMMU_SF_UNRESOLVED (1u << 0) /* VT-d path through bridges: the bus numbers below the
                                       * first hop need PCI config reads; first is the first hop */
#define IOMMU_SF_ALIAS      (1u << 1) /* AMD alias entry: the IOMMU sees requests as alias */

struct iommu_scope {
    uint8_t kind;     /* enum iommu_scope_kind */
    uint8_t flags;    /* IOMMU_SF_* */
    uint8_t dte;      /* AMD: the DTE setting byte (INITPass, EIntPass, NMIPass, SysMgt, Lint0/1Pass) */
    uint8_t enum_id;  /* IOAPIC ID, HPET number (AMD: the handle; VT-d: the enumeration ID) */
    uint8_t path_len; /* VT-d: hops in the path; AMD: 0 */
    uint16_t segment;
    uint16_t first, last; /* requester IDs (bus << 8 | dev << 3 | fn), inclusive */
    uint16_t alias;       /* AMD alias entries: the requester ID used; else first */
    uint8_t owner_kind;   /* enum iommu_owner */
    uint16_t owner;       /* index of the unit, region or ATS entry it belongs to */
    uint32_t ext;         /* AMD extended entries (46h/47h): the extended data */
    uint32_t src_off, src_len;
    uint8_t sec_bus, sub_bus; /* VT-d bridge scope: the buses below it (iommu_dmar_resolve_paths;
                               * 0, 0: not read) */
};

/* Region flags (AMD IVMD flags, #48882 5.2.2.3; RMRRs are read-write unity maps). */
#define IOMMU_RF_UNITY     (1u << 0) /* the device's DMA to it is identity-mapped */
#define IOMMU_RF_READ      (1u << 1)
#define IOMMU_RF_WRITE     (1u << 2)
#define IOMMU_RF_EXCLUSION (1u << 3) /* AMD exclusion range: no translation at all */

struct iommu_region {
    uint64_t base, length;
    uint8_t flags; /* IOMMU_RF_* */
    uint8_t type;  /* AMD: the IVMD type (20h all, 21h one device, 22h a range); VT-d RMRR: 1 */
    uint16_t segment;
    uint16_t first_scope, nscopes;
    uint32_t src_off, src_len;
};

/* VT-d ATSR (VT-d 8.5): root ports below which devices may use ATS. */
struct iommu_ats {
    uint16_t segment;
    bool all_ports;
    uint16_t first_scope, nscopes;
    uint32_t src_off, src_len;
};

struct iommu_desc {
    uint8_t vendor;       /* IOMMU_NONE until a table parsed */
    uint8_t haw;          /* VT-d host address width (DMAR byte 36 + 1); AMD IVinfo PASize */
    uint32_t table_flags; /* VT-d DMAR flags byte; AMD IVinfo */
    uint32_t table_len;
    unsigned nunits, nscopes, nregions, nats;
    unsigned skipped;    /* structures and entries of types unknown to Keel, skipped */
    unsigned superseded; /* AMD IVHDs of a lower type beside a higher one for the same unit */
    struct iommu_unit unit[IOMMU_MAX_UNITS];
    struct iommu_scope scope[IOMMU_MAX_SCOPES];
    struct iommu_region region[IOMMU_MAX_REGIONS];
    struct iommu_ats ats[IOMMU_MAX_ATS];
    char why[IOMMU_WHY_LEN]; /* why the table was refused: one line */
};

/* Parses an IVRS or a DMAR (by its signature) of at most avail readable
 * bytes at table.  0, or -1 with d->why set and d->nunits 0: a refused
 * table describes nothing. */
int iommu_parse_table(const void *table, size_t avail, struct iommu_desc *d);
int iommu_parse_ivrs(const void *table, size_t avail, struct iommu_desc *d);
int iommu_parse_dmar(const void *table, size_t avail, struct iommu_desc *d);

/* The unit that translates for segment:bdf: an explicit scope first, then a
 * unit with IOMMU_F_INCLUDE_ALL on that segment.  The unit's index,
 * IOMMU_LOOKUP_NONE when none does, IOMMU_LOOKUP_AMBIGUOUS when two units
 * list it (a firmware error: such a device cannot be assigned). */
#define IOMMU_LOOKUP_NONE      (-1)
#define IOMMU_LOOKUP_AMBIGUOUS (-2)
int iommu_unit_for(const struct iommu_desc *d, uint16_t segment, uint16_t bdf);

/* Whether the device segment:bdf can be given to a VM as far as the IOMMU
 * description goes: the index of the unit that would confine it, or -1
 * with a one-line reason in why (no IOMMU, no unit lists it, two do). */
int iommu_assignable(const struct iommu_desc *d, uint16_t segment, uint16_t bdf, char *why,
                     size_t n);

/* The reserved regions (VT-d RMRR, AMD IVMD) whose scopes list
 * segment:bdf, their indexes into idx[] (at most max): how many there are
 * (may be more than max).  Device assignment maps the unity ones 1:1 in the
 * device's I/O page tables (VT-d 8.4, #48882 5.2.2.3). */
unsigned iommu_regions_for(const struct iommu_desc *d, uint16_t segment, uint16_t bdf,
                           unsigned *idx, unsigned max);

/* Two device scopes of different units that cover a common requester ID:
 * true with their indexes in *a and *b (the first such pair). */
bool iommu_find_overlap(const struct iommu_desc *d, unsigned *a, unsigned *b);

/* One line about unit i (no newline): vendor, base, segment, its PCI
 * function, scope count, features.  Returns the length snprintf gave. */
int iommu_describe_unit(const struct iommu_desc *d, unsigned i, char *buf, size_t n);

/* VT-d paths through bridges (8.3.1): each IOMMU_SF_UNRESOLVED scope of
 * d, described from table (len bytes, the DMAR d was parsed from), walked
 * from its start bus: every hop but the last must be a present PCI-to-PCI
 * bridge (header type 1), whose secondary bus number (config 19h, PCI-PCI
 * Bridge Architecture 1.2, 3.2.5.3) is the next hop's bus; the last hop is
 * the device.  A resolved scope names that device (first = last) and
 * loses the flag; one that meets no bridge, an absent function or bus 0
 * stays unresolved (the lookup ignores it).  A bridge scope (a PCI
 * sub-hierarchy: the bridge and every device below it) also gets its
 * secondary..subordinate bus range (config 19h, 1Ah), which the lookup
 * covers.  rd reads one configuration byte of segment 0.  Returns how
 * many paths were resolved. */
typedef uint8_t (*iommu_cfg8_fn)(void *ctx, uint16_t bdf, unsigned off);
unsigned iommu_dmar_resolve_paths(struct iommu_desc *d, const void *table, size_t len,
                                  iommu_cfg8_fn rd, void *ctx);

/* x2APIC destinations in remapped interrupts (VT-d IRTA.EIME, AMD-Vi
 * CONTROL.XTEn): on only where the unit offers them (ECAP.EIM; EFR.XTSup
 * with 128-bit IRTEs) and a host APIC ID needs more than 8 bits
 * (max_apic_id > 255).  Not "whenever offered": with EIME the VT-d unit
 * blocks compatibility-format interrupts whatever CFI says (VT-d 5.1.4),
 * and both vendors' units are then used as they are on every xAPIC host. */
bool iommu_wants_x2(bool offered, uint32_t max_apic_id);
/* The boot CPU list's highest APIC ID, set by boot before iommu_boot(). */
extern uint32_t iommu_host_max_apic_id;

#endif /* KEEL_IOMMU_IOMMU_H */
