/* SPDX-License-Identifier: MIT */
/*
 * AMD AVIC and x2AVIC (APM vol. 2, "Advanced Virtual Interrupt
 * Controller"): the hardware layouts and the pure half of the driver.
 *
 * What the CPU reads (APM AVIC sections on the backing page and tables):
 *   - per vCPU, the backing page: Keel's vLAPIC register page itself
 *     (apic/vlapic.h keeps the architectural layout), so nothing is copied
 *     when AVIC turns on or off: IRR, ISR, TMR and TPR are where both look;
 *   - per VM, the physical APIC ID table: one 64-bit entry per guest
 *     physical APIC ID (valid, IsRunning, host APIC ID, backing page);
 *   - per VM, the logical APIC ID table: one 32-bit entry per logical
 *     (cluster, bit) pair naming a guest physical APIC ID;
 *   - the VMCB fields: AVIC enable / x2AVIC mode in V_INTR control, the
 *     APIC BAR, the three pointers, the physical table's highest index.
 * Functions here are pure (no locks, no hardware) and host-tested against
 * a model of the hardware written separately from the APM
 * (tests/model/avic_hw.h); svm/avic.c is the part that runs on a CPU.
 */
#ifndef KEEL_SVM_AVIC_H
#define KEEL_SVM_AVIC_H

#include <stdbool.h>
#include <stdint.h>

#include "apic/apic_dest.h"
#include "svm/vmcb.h"

/* VMCB int_ctl (0x060) bits for AVIC (APM table B-1). */
#define AVIC_INT_CTL_X2APIC_MODE   (1ull << 30)
#define AVIC_INT_CTL_ENABLE        (1ull << 31)

/* Addresses in the AVIC VMCB fields and table entries: bits 51:12. */
#define AVIC_ADDR_MASK             0x000ffffffffff000ull
/* AVIC_PHYSICAL_TABLE_PTR low bits: the highest valid index. */
#define AVIC_PHYS_MAX_INDEX_MASK   0xfffull

/* Physical APIC ID table entry (64 bits). */
#define AVIC_PHYS_HOST_ID_MASK     0xfffull          /* 7:0 xAPIC host; 11:0 x2AVIC */
#define AVIC_PHYS_BACKING_MASK     AVIC_ADDR_MASK
#define AVIC_PHYS_IS_RUNNING       (1ull << 62)
#define AVIC_PHYS_VALID            (1ull << 63)

/* Logical APIC ID table entry (32 bits). */
#define AVIC_LOG_GUEST_ID_MASK     0xffu
#define AVIC_LOG_VALID             (1u << 31)

/* Table sizes: 4 KiB each, which bounds what they can express. */
#define AVIC_PHYS_ENTRIES          512u    /* one page of 64-bit entries */
#define AVIC_LOG_ENTRIES           1024u   /* one page of 32-bit entries */
#define AVIC_MAX_ID_XAPIC          254u    /* 0..254: 0xff is the broadcast */
#define AVIC_MAX_ID_X2AVIC         511u
#define AVIC_MAX_ID_X2AVIC_4K      4095u
#define AVIC_LOG_FLAT_ENTRIES      8u
#define AVIC_LOG_CLUSTER_ENTRIES   60u     /* clusters 0..14, 4 bits each */
#define AVIC_LOG_USED              64u     /* entries Keel writes; the rest stay 0 */

/* The doorbell MSR (APM: "AVIC doorbell"): write a host APIC ID. */
#define AVIC_DOORBELL_MSR          0xc001011bu

/* #VMEXIT codes (APM appendix C). */
#define SVM_EXIT_AVIC_INCOMPLETE_IPI      0x401u
#define SVM_EXIT_AVIC_UNACCELERATED_ACCESS 0x402u

/* AVIC_INCOMPLETE_IPI: EXITINFO1 = ICR (high:low); EXITINFO2 = cause in
 * 63:32 and the table index in the low bits. */
#define AVIC_IPI_INFO2_CAUSE_SHIFT 32
#define AVIC_IPI_INFO2_INDEX_MASK  0x1ffull
enum avic_ipi_cause {
    AVIC_IPI_INVALID_INT_TYPE = 0,   /* not fixed/edge (or a shorthand AVIC leaves alone) */
    AVIC_IPI_TARGET_NOT_RUNNING = 1, /* IRR already set, a target is not running */
    AVIC_IPI_INVALID_TARGET = 2,     /* a destination's table entry is not valid */
    AVIC_IPI_INVALID_BACKING = 3,    /* a target's backing page pointer is bad */
    AVIC_IPI_INVALID_VECTOR = 4,     /* vector below 16 */
};

/* AVIC_UNACCELERATED_ACCESS: EXITINFO1 bits 11:4 the register offset,
 * bit 32 set for a write; EXITINFO2 low 32 bits the vector (EOI). */
#define AVIC_NOACCEL_OFFSET_MASK   0xff0ull
#define AVIC_NOACCEL_WRITE         (1ull << 32)

/* What Keel does with an incomplete IPI, vendor-neutral. */
enum avic_ipi_action {
    AVIC_IPI_DELIVER,       /* nothing was sent: deliver the ICR by software */
    AVIC_IPI_WAKE,          /* IRR set by the CPU: wake the targets, send nothing */
    AVIC_IPI_ANOMALY,       /* report (bad backing page, unknown cause) */
};
enum avic_ipi_action avic_ipi_action(uint64_t exitinfo2);

/* An unaccelerated access: the register offset, and whether the CPU has
 * already done the write (trap: replay it through the vLAPIC) or did
 * nothing (fault: emulate the instruction as MMIO).  The trap class is the
 * APM's: writes of ID, LDR, DFR, SVR, ESR, ICR low, the LVTs, TMICT, TDCR
 * and EOI of a level-triggered vector; reads never trap. */
struct avic_noaccel {
    uint32_t offset;
    bool write;
    bool trap;
};
struct avic_noaccel avic_noaccel_decode(uint64_t exitinfo1);

/* The largest guest physical APIC ID each table size can hold. */
unsigned avic_max_guest_id(bool x2avic, bool x2avic_4k);

/* A physical table entry for a vCPU whose backing page is at @backing_pa,
 * running (or last run) on the host APIC ID @host_id. */
uint64_t avic_phys_entry(uint64_t backing_pa, uint32_t host_id, bool running);

/* @entry with IsRunning set or clear (an invalid entry stays as it is). */
uint64_t avic_phys_running(uint64_t entry, bool running);

/* Turn an MSR permission map (all intercepted for the x2APIC range) into
 * x2AVIC's: the x2APIC MSRs below pass through, the others stay. */
void avic_x2avic_msrpm(uint8_t *msrpm);

/* The VMCB's AVIC fields for one vCPU: on/off, x2AVIC mode, the pointers. */
struct avic_vmcb_cfg {
    bool enable;
    bool x2apic_mode;        /* x2AVIC: the vCPU is in x2APIC mode */
    uint64_t apic_bar;       /* guest physical APIC base (xAPIC) */
    uint64_t backing_pa, logical_pa, physical_pa;
    unsigned max_index;      /* highest physical table index in use */
};
void avic_vmcb_apply(struct vmcb_control *c, const struct avic_vmcb_cfg *cfg);

/* Rebuild the logical table from the vCPUs' destination views (@views[i]
 * is vCPU i, whose physical table slot is its initial APIC ID i): for each
 * enabled xAPIC-mode APIC, one entry per bit of its logical ID in its own
 * model (flat: index = bit; cluster: index = cluster * 4 + bit, clusters
 * 0..14), naming slot i.  Entries two APICs would share are left to the
 * first and reported by the return value (the ID_ALIASED inhibit covers
 * it: the table can only express 1:1). */
bool avic_logical_build(uint32_t *table, const struct apic_dest_view *views, unsigned n);

/* Erratum #1235 (AMD family 17h, Hygon family 18h; seed 001): the CPU may
 * miss a just-cleared IsRunning and skip the incomplete-IPI exit.  From
 * the CPUID family (with the extended family added) and vendor. */
bool avic_erratum_1235(bool hygon, unsigned family);

/* x2APIC MSRs the CPU handles itself under x2AVIC (no intercept): reads of
 * the architectural registers, writes of TPR, EOI, SELF IPI and ICR.
 * Everything else keeps its intercept (and the vLAPIC's exact #GPs). */
bool avic_x2apic_msr_read_passthrough(uint32_t msr);
bool avic_x2apic_msr_write_passthrough(uint32_t msr);

#endif /* KEEL_SVM_AVIC_H */
