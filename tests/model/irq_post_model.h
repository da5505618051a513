/* SPDX-License-Identifier: MIT */
/*
 * Host models of what an IOMMU does with a device's MSI when the interrupt
 * remapping table says "post it to a vCPU", written from the specifications
 * alone (never from Keel's driver, which they check):
 *
 *  - AMD-Vi: AMD I/O Virtualization Technology (IOMMU) Specification
 *    #48882, 2.2.5 (interrupt remapping tables; 128-bit IRTEs; the guest
 *    virtual APIC form), 2.2.6/3.4 (the GA log and its registers), the
 *    device table entry's interrupt fields (2.2.2), and AVIC's backing page
 *    (APM vol. 2, 15.29) which the IOMMU writes.
 *  - VT-d: Intel Virtualization Technology for Directed I/O, 5.1 (interrupt
 *    remapping), 5.2 (interrupt posting), 9.10 (remapped IRTE), 9.11
 *    (posted IRTE), 9.12 (posted-interrupt descriptor), 6.5.2.7 (interrupt
 *    entry cache invalidation).
 *
 * The models are the hardware half of the host tests: the test builds the
 * tables, descriptors and backing pages in a simulated physical memory with
 * the driver's own code, sends an MSI through a model, and checks what
 * reached the vCPU and the host's APICs.
 *
 * Simulated memory is reached only through struct irqpm_mem.  The models
 * keep an interrupt-remapping entry cache as the hardware may: an IRTE read
 * once can be used again until the matching invalidation (the invalidate
 * functions below), except where the specification says the unit reads the
 * field from memory every time.  A driver that forgets an invalidation then
 * fails its test as it would fail on silicon.
 *
 * The models are pure: no globals, no allocation beyond the state structs
 * the caller owns.
 */
#ifndef KEEL_TESTS_MODEL_IRQ_POST_MODEL_H
#define KEEL_TESTS_MODEL_IRQ_POST_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- The simulated machine ---- */

struct irqpm_mem {
    void *ctx;
    /* 0, or -1 for an address the simulated machine does not have (the
     * model then reports an IRQPM_FAULT_MEM). */
    int (*read)(void *ctx, uint64_t pa, void *buf, size_t len);
    int (*write)(void *ctx, uint64_t pa, const void *buf, size_t len);
};

/* An interrupt message from the unit to the host's local APICs. */
struct irqpm_apic_msg {
    uint32_t dest;        /* physical or logical destination as sent */
    bool logical;         /* destination mode */
    uint8_t vector;
    uint8_t delivery_mode; /* 0 fixed, 1 lowest priority (arbitrated), 2 SMI, 4 NMI, 5 INIT, 7 ExtINT */
    bool level;           /* trigger mode (remapped VT-d entries can say level) */
};

enum irqpm_result {
    IRQPM_BLOCKED = 0,    /* not delivered: a fault (see fault) or silently dropped */
    IRQPM_REMAPPED,       /* msg is the interrupt the unit sent to the host APICs */
    IRQPM_POSTED,         /* recorded in the vCPU's state in memory */
};

/* Why an MSI was not delivered.  Model-neutral names; each model's .c says
 * which spec event / fault reason each stands for. */
enum irqpm_fault {
    IRQPM_FAULT_NONE = 0,
    IRQPM_FAULT_NOT_REMAPPED,   /* remapping off for this device/unit: passed through (not a fault) */
    IRQPM_FAULT_TABLE_INVALID,  /* DTE IV / table size / IRTA: no usable table */
    IRQPM_FAULT_INDEX,          /* index beyond the table */
    IRQPM_FAULT_ENTRY_NOT_PRESENT, /* RemapEn / P clear */
    IRQPM_FAULT_ENTRY_RESERVED, /* reserved bits set or an invalid combination */
    IRQPM_FAULT_SOURCE,         /* VT-d source-id validation failed */
    IRQPM_FAULT_FORMAT,         /* MSI address/data not in a format the unit takes */
    IRQPM_FAULT_MEM,            /* a table/descriptor/page read or write hit no memory */
    /* Added with the models: AMD-Vi target abort decided by the DTE alone
     * (IntCtl 00b, or NMIPass/InitPass/EIntPass clear for that message
     * type, or an SMI), before any table is looked at. */
    IRQPM_FAULT_DTE_BLOCKED,
};

struct irqpm_outcome {
    enum irqpm_result result;
    enum irqpm_fault fault;   /* IRQPM_BLOCKED (or NOT_REMAPPED with REMAPPED) */
    struct irqpm_apic_msg msg; /* REMAPPED: the interrupt; POSTED with notified: the doorbell / notification */
    uint8_t posted_vector;    /* POSTED: the guest vector recorded */
    bool notified;            /* POSTED: AMD doorbell (IsRun) / VT-d notification event sent (msg) */
    bool ga_logged;           /* AMD POSTED: a GA log entry was appended */
    bool ga_log_overflow;     /* AMD: the entry was lost, the log was full */
};

/* ---- AMD-Vi ---- */

/* The unit's registers the posting path depends on, as raw register
 * values (the test writes them as the driver would program the MMIO). */
struct irqpm_amdvi {
    uint64_t control;        /* MMIO 0018h: IOMMU Control (GAEn, XTEn, GALogEn, GAIntEn, ...) */
    uint64_t ga_log_base;    /* MMIO 00E0h: GA Log Base Address (base and length) */
    uint64_t ga_log_tail_addr; /* MMIO 00E8h: GA Log Tail Address (where the tail pointer is also written) */
    uint64_t ga_log_head;    /* MMIO 2040h: GA Log Head Pointer (the driver moves it) */
    uint64_t ga_log_tail;    /* MMIO 2048h: GA Log Tail Pointer (the unit moves it) */
    uint64_t status;         /* MMIO 2020h: IOMMU Status (GALogOverflow, GAInt, GALogRun, ...) */
    unsigned ga_interrupts;  /* GA log interrupts the unit raised so far */
    /* Added with the model (irqpm_amdvi_reset zeroes them):
     * np_cache: the unit caches IRTEs whose RemapEn is clear too (the PCI
     * capability header's NpCache bit); off, only entries with RemapEn set
     * are cached.  The test sets it after the reset.
     * faults_logged: IO_PAGE_FAULT / ILLEGAL_DEV_TABLE_ENTRY events the unit
     * would have written to its event log (SupIOPF suppresses the first).
     * mem_errors: writes after the interrupt was posted (GA log entry, tail
     * address copy) that hit no memory: the interrupt stays posted. */
    bool np_cache;
    /* Model a unit older than #48882 rev 3.08, which may cache a guest
     * virtual APIC IRTE's IsRun and Destination too (off: they are read
     * from the table for every interrupt, as rev 3.08 specifies). */
    bool caches_run_fields;
    unsigned faults_logged;
    unsigned mem_errors;
    /* Model-private: the interrupt-remapping cache (by device ID and index). */
    struct {
        bool valid;
        uint16_t devid;
        uint16_t index;
        uint64_t irte[2];
    } cache[8];
};

void irqpm_amdvi_reset(struct irqpm_amdvi *u);
/* A device's MSI (write to 0xFEExxxxx with data) arriving with requester
 * ID devid; dte is the device's 256-bit device table entry as in memory. */
void irqpm_amdvi_msi(struct irqpm_amdvi *u, const struct irqpm_mem *m, uint16_t devid,
                     const uint64_t dte[4], uint64_t msi_addr, uint32_t msi_data,
                     struct irqpm_outcome *out);
/* INVALIDATE_INTERRUPT_TABLE for devid completed (the driver's command
 * reached the unit and a COMPLETION_WAIT after it finished). */
void irqpm_amdvi_inv_interrupt_table(struct irqpm_amdvi *u, uint16_t devid);

/* ---- VT-d ---- */

struct irqpm_vtd {
    uint64_t irta;           /* IRTA register: table address, EIME, size */
    uint32_t gsts;           /* Global Status: IRES (remapping on), CFIS, ... */
    uint64_t cap;            /* Capability (PI, ...) */
    uint64_t ecap;           /* Extended Capability (IR, EIM, ...) */
    /* Added with the model (irqpm_vtd_reset zeroes them): the fault reason
     * (VT-d 7.1.3: 20h..27h) of the last blocked remappable/compatibility
     * interrupt, and how many faults were recorded (FPD=1 in the IRTE that
     * was read, present or not, suppresses recording of the faults found
     * from that entry on: 22h, 24h, 26h, 27h). */
    uint8_t last_fault_reason;
    unsigned faults_recorded;
    /* Model-private: the interrupt entry cache. */
    struct {
        bool valid;
        uint16_t index;
        uint64_t irte[2];
    } cache[8];
};

void irqpm_vtd_reset(struct irqpm_vtd *u);
/* A device's MSI with requester ID sid (bus << 8 | devfn). */
void irqpm_vtd_msi(struct irqpm_vtd *u, const struct irqpm_mem *m, uint16_t sid,
                   uint64_t msi_addr, uint32_t msi_data, struct irqpm_outcome *out);
/* Interrupt entry cache invalidation (6.5.2.7): one entry (index, and the
 * 2^im entries from it) or, global, all of them. */
void irqpm_vtd_inv_iec(struct irqpm_vtd *u, bool global, uint16_t index, unsigned im);
/* (Model's reading of 6.5.2.7: with IM the invalidated entries are those
 * whose index matches IIDX in bits 15:IM, the naturally aligned block of
 * 2^IM entries holding index; the same as "from index" when index is
 * aligned, which software should ensure.) */

/* ---- Helpers (added with the models) ---- */

/* One 8-byte GA log entry as the AMD-Vi model writes it (#48882, "Guest
 * Virtual APIC Log", GA_GUEST_NR): GATag in bits 31:0, the requester's
 * device ID in 47:32, the entry type in 63:60 (1 = guest virtual interrupt
 * for a vCPU that is not running). */
#define IRQPM_GA_LOG_TYPE_GUEST_NR 1u

struct irqpm_ga_log_entry {
    uint32_t ga_tag;
    uint16_t devid;
    uint8_t type;
};

static inline struct irqpm_ga_log_entry irqpm_ga_log_decode(uint64_t raw)
{
    struct irqpm_ga_log_entry e = {
        .ga_tag = (uint32_t)raw,
        .devid = (uint16_t)(raw >> 32),
        .type = (uint8_t)(raw >> 60),
    };
    return e;
}

/* A name for each fault, for test messages. */
static inline const char *irqpm_fault_name(enum irqpm_fault f)
{
    switch (f) {
    case IRQPM_FAULT_NONE: return "none";
    case IRQPM_FAULT_NOT_REMAPPED: return "not remapped";
    case IRQPM_FAULT_TABLE_INVALID: return "no usable table";
    case IRQPM_FAULT_INDEX: return "index beyond the table";
    case IRQPM_FAULT_ENTRY_NOT_PRESENT: return "entry not present";
    case IRQPM_FAULT_ENTRY_RESERVED: return "entry has reserved bits or an invalid combination";
    case IRQPM_FAULT_SOURCE: return "source-id validation failed";
    case IRQPM_FAULT_FORMAT: return "message format";
    case IRQPM_FAULT_MEM: return "memory access failed";
    case IRQPM_FAULT_DTE_BLOCKED: return "blocked by the device table entry";
    }
    return "?";
}

#endif /* KEEL_TESTS_MODEL_IRQ_POST_MODEL_H */
