/* SPDX-License-Identifier: MIT */
/*
 * Posted interrupts and IPI virtualization (IPIv) for the VMX backend: the
 * posted-interrupt descriptor, the protocol around its ON and SN bits, the
 * hypervisor's side of posting (senders, the pre-entry sync, blocking), the
 * PID-pointer table, and the rule by which the CPU decides whether it
 * virtualizes a guest's ICR write.
 *
 * Intel SDM vol. 3C chapter "APIC Virtualization and Virtual Interrupts":
 * chapter 29 in the 2016-2022 editions (the numbering vmx/vmcs.h uses),
 * chapter 30 from 2023.  IPI virtualization exists only in the later
 * editions and is cited there: 30.1.6 "IPI Virtualization", 30.4.3.2
 * "APIC-Write Emulation", 30.5 "Virtualizing MSR-Based APIC Accesses".
 * The descriptor's SN/NV/NDST fields are those of the Intel VT-d
 * specification, 9.11 "Posted Interrupt Descriptor", which IPIv adopted.
 *
 * Pure: no hardware access, no allocation, no locks.  Everything another
 * agent may touch at the same time (other CPUs posting, the CPU itself
 * processing a notification, the IOMMU) is accessed with __atomic builtins.
 * A host model of the CPU side is in tests/unit/pi_model.c; the design is in
 * docs/posted-interrupts.md.
 *
 * The protocol, in one place (every step is a function below):
 *
 * Posting (any CPU, vmx_pi_post): set the vector's PIR bit, then set ON
 *   unless ON is already set or SN is set.  Only the poster that changed ON
 *   from 0 to 1 sends the notification (vector NV to NDST): while ON is set a
 *   notification is outstanding and whoever consumes it will also see the
 *   new PIR bit, because consumers clear ON before they read PIR.  So any
 *   number of posts between two consumptions cost one IPI.
 *
 * Consuming: either the CPU, when the notification arrives while it runs the
 *   vCPU in VMX non-root operation (SDM 29.6: clear ON, move PIR to VIRR,
 *   raise RVI, evaluate), or the hypervisor before VM entry
 *   (vmx_pi_sync_to_virr).  A notification that arrives while the target CPU
 *   is in the host is an ordinary host interrupt: its handler only EOIs; the
 *   PIR bits stay, ON stays set, and the next pre-entry sync moves them.
 *
 * Before VM entry, with host interrupts disabled:
 *     if (vmx_pi_pending(d))
 *         status = vmx_pi_merge_rvi(status, vmx_pi_sync_to_virr(d, vapic));
 *   A post after the sync sends NV to this CPU; with IF = 0 it stays pending
 *   in the local APIC and is taken right after VM entry, in non-root
 *   operation, as posted-interrupt processing.  Syncing with interrupts
 *   enabled would lose that guarantee.
 *
 * Preempted vCPU: vmx_pi_set_sn() (posts just collect in PIR, no IPIs).
 *   Scheduled on CPU c: vmx_pi_set_notify(d, NV, NDST of c), then
 *   vmx_pi_clear_sn(); if it reports pending work, the pre-entry sync moves
 *   it (nobody will notify for bits posted while SN was set).
 *
 * Blocked vCPU (guest HLT), host interrupts disabled throughout:
 *   1. vmx_pi_switch_to_wakeup(d, WAKEUP, ndst(c)): NV = the wake-up vector,
 *      SN clear, so a post now interrupts CPU c's host with WAKEUP instead.
 *   2. re-check: if vmx_pi_pending(d), do not sleep (go to 4).  This closes
 *      the race: a post before step 1 sent the old NV (to the host, which
 *      ignores it) or found ON set and sent nothing; either way ON is set
 *      now and no wake-up will ever come for it.  A post between 1 and 2
 *      sent WAKEUP and is seen here too.
 *   3. sleep with interrupts enabled until WAKEUP (or anything) arrives; the
 *      WAKEUP handler wakes the blocked vCPUs whose descriptors are pending.
 *   4. vmx_pi_unblock(d, NV, ndst(c')) switches back; then the pre-entry sync.
 *   vmx_pi_block_prepare() is steps 1 and 2 together.
 */
#ifndef KEEL_VMX_VMX_PI_H
#define KEEL_VMX_VMX_PI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ------------------------------------------------------------------------
 * The posted-interrupt descriptor (SDM 29.6, table 29-1; VT-d 9.11).
 * 64 bytes, 64-byte aligned:
 *   bits 255:0    PIR   posted-interrupt requests, one bit per vector
 *   bit  256      ON    outstanding notification
 *   bit  257      SN    suppress notification
 *   bits 271:258  reserved
 *   bits 279:272  NV    notification vector
 *   bits 287:280  reserved
 *   bits 319:288  NDST  notification destination: the physical APIC ID of
 *                       the CPU to notify; x2APIC mode: all 32 bits;
 *                       xAPIC mode: the 8-bit ID in NDST[15:8]
 *   bits 511:320  reserved
 * Bits 319:256 are one 64-bit word, "control", updated as a whole with
 * compare-and-exchange so that a concurrent ON change is never lost.
 */
#define VMX_PI_PIR_WORDS        4u
#define VMX_PI_CTL_ON           (1ull << 0)              /* bit 256 */
#define VMX_PI_CTL_SN           (1ull << 1)              /* bit 257 */
#define VMX_PI_CTL_NV_SHIFT     16                       /* bits 279:272 */
#define VMX_PI_CTL_NV_MASK      (0xffull << VMX_PI_CTL_NV_SHIFT)
#define VMX_PI_CTL_NDST_SHIFT   32                       /* bits 319:288 */
#define VMX_PI_CTL_NDST_MASK    (0xffffffffull << VMX_PI_CTL_NDST_SHIFT)
#define VMX_PI_CTL_RSVD_MASK    0x00000000ff00fffcull    /* bits 287:280, 271:258 */
#define VMX_PI_NDST_XAPIC_SHIFT 8                        /* xAPIC ID in NDST[15:8] */

struct vmx_pi_desc {
    _Alignas(64) uint64_t pir[VMX_PI_PIR_WORDS];  /* 0x00: vector v is pir[v / 64] bit v % 64 */
    uint64_t control;                             /* 0x20: ON, SN, NV, NDST */
    uint64_t rsvd[3];                             /* 0x28: reserved, kept 0 */
};

_Static_assert(sizeof(struct vmx_pi_desc) == 64, "posted-interrupt descriptor is 64 bytes");
_Static_assert(_Alignof(struct vmx_pi_desc) == 64, "descriptor is 64-byte aligned");
_Static_assert(offsetof(struct vmx_pi_desc, pir) == 0, "PIR is bits 255:0");
_Static_assert(offsetof(struct vmx_pi_desc, control) == 32, "ON is bit 256");
_Static_assert(offsetof(struct vmx_pi_desc, rsvd) == 40, "bits 511:320");

/* The IPI a poster must send: vector nv to the CPU named by ndst. */
struct vmx_pi_notify {
    uint8_t nv;
    uint32_t ndst;
};

/* Zero PIR and the reserved bits, ON = 0, NV = 0, NDST = 0 and SN = 1: a
 * vCPU that runs nowhere yet must not be notified.  @d must not be in use by
 * the CPU (no VMCS points to it while it runs). */
void vmx_pi_desc_init(struct vmx_pi_desc *d);

/* NDST for the CPU with physical (x2)APIC ID @apic_id when the host's local
 * APICs are in x2APIC mode (@x2apic) or xAPIC mode (ID in bits 15:8, VT-d
 * 9.11 and SDM 30.1.6), and back. */
uint32_t vmx_pi_ndst(uint32_t apic_id, bool x2apic);
uint32_t vmx_pi_ndst_apic_id(uint32_t ndst, bool x2apic);

/* Atomic snapshot of the control word (bits 319:256). */
uint64_t vmx_pi_control(const struct vmx_pi_desc *d);

/* Set NV and NDST together, keeping ON and SN (compare-and-exchange: a post
 * may set ON meanwhile).  Used when the vCPU moves to another CPU. */
void vmx_pi_set_notify(struct vmx_pi_desc *d, uint8_t nv, uint32_t ndst);

/* SN (VT-d 9.11): while set, posts only set PIR bits; ON is left clear and
 * no notification is sent.  vmx_pi_clear_sn() returns vmx_pi_pending()
 * after clearing, i.e. whether bits collected meanwhile need a sync. */
void vmx_pi_set_sn(struct vmx_pi_desc *d);
bool vmx_pi_clear_sn(struct vmx_pi_desc *d);

/* ON set or any PIR bit set: work a consumer has not taken yet. */
bool vmx_pi_pending(const struct vmx_pi_desc *d);

/*
 * Post @vector (the SDM 30.1.6 pseudocode, which is also what a VT-d IOMMU
 * does when it posts): atomically set the PIR bit, then, in one
 * compare-and-exchange of the control word, set ON if ON and SN are both
 * clear.  Returns true when this call set ON: the caller must then send the
 * IPI in *out (out may not be NULL; it is written only when true is
 * returned, with the NV and NDST in force at the moment ON was set).
 * False: SN is set, or a notification is already outstanding and will
 * carry this vector too.
 * Vectors 0-15 are posted like any other (the CPU would deliver them;
 * filtering illegal vectors is the caller's job, SDM 11.5.3).
 */
bool vmx_pi_post(struct vmx_pi_desc *d, uint8_t vector, struct vmx_pi_notify *out);

/*
 * The hypervisor's own posted-interrupt processing, before VM entry (the
 * vCPU is not running, host interrupts are disabled): clear ON, then
 * exchange each PIR word with 0 and OR it into the VIRR of @vapic (the
 * vCPU's virtual-APIC page as 1024 32-bit words; VIRR register i, vectors
 * 32i..32i+31, is at byte offset 0x200 + 0x10 * i, SDM 29.1.1).  Clearing ON
 * first means a post racing with this call either lands in a word not yet
 * exchanged or sets ON again and notifies; it is never lost.  Returns the
 * highest vector moved, or -1 when PIR was empty.  VIRR words are updated
 * atomically (other vCPUs' emulated deliveries may write them).
 */
int vmx_pi_sync_to_virr(struct vmx_pi_desc *d, uint32_t *vapic);

/* The guest interrupt status (VMCS_GUEST_INTR_STATUS: RVI bits 7:0, SVI
 * 15:8) after a sync that returned @highest: RVI becomes the larger of RVI
 * and @highest, as the CPU does in SDM 29.6 step 6; -1 changes nothing. */
uint16_t vmx_pi_merge_rvi(uint16_t guest_intr_status, int highest);

/* Blocking, see the sequence at the top.  vmx_pi_switch_to_wakeup(): NV =
 * @wakeup_nv, NDST = @ndst, SN cleared, ON kept, in one compare-and-exchange.
 * vmx_pi_block_prepare(): that, then the re-check; true means nothing is
 * pending and the vCPU may sleep, false means do not sleep (a post came
 * before or during the switch).  vmx_pi_unblock(): NV = @nv, NDST = @ndst,
 * SN cleared; returns vmx_pi_pending() (then sync before entry). */
void vmx_pi_switch_to_wakeup(struct vmx_pi_desc *d, uint8_t wakeup_nv, uint32_t ndst);
bool vmx_pi_block_prepare(struct vmx_pi_desc *d, uint8_t wakeup_nv, uint32_t ndst);
bool vmx_pi_unblock(struct vmx_pi_desc *d, uint8_t nv, uint32_t ndst);

/* ------------------------------------------------------------------------
 * IPI virtualization (SDM 30.1.6)
 *
 * The PID-pointer table: 64-bit entries indexed by the destination's virtual
 * APIC ID, each the physical address of that vCPU's descriptor with bit 0 =
 * valid.  The CPU uses an entry only when its bits 5:0 are exactly 000001b
 * (valid, 64-byte aligned) and it sets no bit at or above MAXPHYADDR, and
 * only for IDs up to the VMCS "last PID-pointer index"; anything else is an
 * APIC-write VM exit.  Other CPUs read entries while the guest runs, so they
 * are stored atomically.
 */
#define VMX_PID_ENTRY_VALID      1ull
#define VMX_PID_ENTRY_LOW_MASK   0x3full           /* must read 000001b */
#define VMX_PID_ENTRY_ADDR_MASK  (~VMX_PID_ENTRY_LOW_MASK)
#define VMX_PID_TABLE_MAX        0x10000u          /* the index field is 16 bits */

/* Point entry @apic_id of @table (@nentries entries, at most
 * VMX_PID_TABLE_MAX) at the descriptor at physical address @desc_pa.
 * Returns 0, or -1 if @apic_id >= @nentries or @desc_pa is not 64-byte
 * aligned.  Caution: an xAPIC-mode guest's physical destination FFH is a
 * broadcast, but the CPU looks it up like any ID; a valid entry at index
 * FFH would turn that broadcast into an IPI to one vCPU.  Keep entry FFH
 * invalid while any vCPU of the VM may be in xAPIC mode. */
int vmx_pid_table_set(uint64_t *table, size_t nentries, uint32_t apic_id, uint64_t desc_pa);
/* Make entry @apic_id invalid (0).  Returns 0, or -1 if out of range. */
int vmx_pid_table_clear(uint64_t *table, size_t nentries, uint32_t apic_id);

/* The value for VMCS_LAST_PID_POINTER_INDEX: the highest index holding a
 * valid entry (0 when none: entry 0 is then invalid and every lookup
 * exits).  Never more than @nentries - 1, so the CPU never reads past the
 * table.  @nentries - 1 itself is also correct (the entries past the last
 * vCPU are invalid); the tighter bound only saves the CPU a table read. */
uint16_t vmx_pid_last_index(const uint64_t *table, size_t nentries);

/* Why an ICR write was or was not virtualized. */
enum vmx_ipiv_verdict {
    VMX_IPIV_VIRTUALIZED = 0,  /* posted to the target without an exit */
    VMX_IPIV_SELF_IPI,         /* xAPIC: self-IPI virtualization (29.1.5) applies instead */
    VMX_IPIV_GP,               /* x2APIC: reserved bit set, WRMSR #GPs (no exit) */
    VMX_IPIV_RESERVED,         /* reserved bits or delivery status set */
    VMX_IPIV_DELIVERY_MODE,    /* not fixed */
    VMX_IPIV_LOGICAL,          /* logical destination mode */
    VMX_IPIV_LEVEL,            /* level-triggered */
    VMX_IPIV_SHORTHAND,        /* a destination shorthand */
    VMX_IPIV_ILLEGAL_VECTOR,   /* vector 0-15 */
    VMX_IPIV_DEST_RANGE,       /* destination > last PID-pointer index */
    VMX_IPIV_PID_INVALID,      /* entry not 000001b in bits 5:0, or beyond MAXPHYADDR */
};

/* Bits of the ICR's low word that IPIv requires clear (30.4.3.2, 30.5):
 * reserved 31:20, 17:16 and 13, and 12 (delivery status in xAPIC mode). */
#define VMX_IPIV_ICR_MBZ         0xfff33000u
/* The x2APIC ICR's reserved bits (SDM 11.12.9): WRMSR 830H #GPs on them
 * before any virtualization.  Bit 12 is not among them (Intel ignores it). */
#define VMX_IPIV_X2APIC_ICR_RSVD 0xfff32000u

/*
 * The ICR half of the decision, as the CPU takes it after the guest wrote
 * the ICR (SDM 30.4.3.2 for an xAPIC write to offset 300H, 30.5 for an
 * x2APIC WRMSR to 830H).  @icr is the 64-bit value: x2APIC mode, the MSR
 * value with the destination in bits 63:32; xAPIC mode, ICR2 << 32 | ICR
 * with the destination in bits 63:56 (the CPU clears VICR_HI[23:0] on a
 * write to 310H, so bits 55:32 are ignored).  Virtualized only if bits 31:20,
 * 17:16, 13 and 12 are 0, there is no shorthand, the trigger is edge, the
 * destination mode physical, the delivery mode fixed and the vector at least
 * 16; bit 14 (level) is not examined.  Returns VMX_IPIV_VIRTUALIZED (then the
 * PID-pointer table decides) or why not.  In xAPIC mode a write that meets
 * the self-IPI conditions (shorthand 01b, 29.4.3.2) is VMX_IPIV_SELF_IPI.
 */
enum vmx_ipiv_verdict vmx_ipiv_check_icr(uint64_t icr, bool x2apic);

/* The destination (virtual APIC ID) of @icr: bits 63:32 in x2APIC mode,
 * 63:56 in xAPIC mode. */
uint32_t vmx_ipiv_dest(uint64_t icr, bool x2apic);

/* Whether PID-pointer table @entry is usable on a CPU with @maxphyaddr
 * physical-address bits (32..52): VMX_IPIV_VIRTUALIZED or
 * VMX_IPIV_PID_INVALID. */
enum vmx_ipiv_verdict vmx_ipiv_check_pid_entry(uint64_t entry, unsigned maxphyaddr);

/*
 * The whole decision, for explaining an APIC-write VM exit with
 * qualification 300H (and for tests): vmx_ipiv_check_icr(), then the
 * destination against @last_index, then the entry.  @table must have at
 * least @last_index + 1 entries.  VMX_IPIV_VIRTUALIZED means the CPU would
 * have posted the IPI without an exit.
 */
enum vmx_ipiv_verdict vmx_ipiv_explain(uint64_t icr, bool x2apic, const uint64_t *table,
                                       uint16_t last_index, unsigned maxphyaddr);

/* A short name for logs ("virtualized", "logical", ...); never NULL. */
const char *vmx_ipiv_verdict_name(enum vmx_ipiv_verdict v);

#ifdef KEEL_HOST_TEST
/* Host tests only: called at these points inside the protocol functions so
 * that a test can play another agent's access exactly there, in the race
 * windows the protocol must survive (tests/unit/test_vmx_pi.c).  NULL: no
 * hook.  keel.efi has neither the hook nor the calls. */
enum vmx_pi_test_point {
    VMX_PI_AT_POST_PIR_SET,      /* vmx_pi_post: PIR bit set, control not yet read */
    VMX_PI_AT_SYNC_ON_CLEARED,   /* vmx_pi_sync_to_virr: ON cleared, no PIR word taken */
    VMX_PI_AT_SYNC_WORD_TAKEN,   /* vmx_pi_sync_to_virr: after each PIR word's exchange */
    VMX_PI_AT_NOTIFY_READ,       /* NV/NDST/SN update: control read, CAS not yet tried */
};
extern void (*vmx_pi_test_hook)(struct vmx_pi_desc *d, enum vmx_pi_test_point at);
#endif

#endif /* KEEL_VMX_VMX_PI_H */
