/* SPDX-License-Identifier: MIT */
/*
 * Posted interrupts and IPI virtualization: the hypervisor's side of the
 * descriptor protocol and the IPIv decision (vmx/vmx_pi.h has the protocol
 * and the SDM references).
 *
 * Memory ordering: every access to a descriptor word is a sequentially
 * consistent __atomic operation.  On x86 the read-modify-writes are locked
 * instructions (full barriers) and the loads plain moves, so this costs
 * nothing over the minimum, and the argument that no post is lost needs
 * only the single total order: a poster's PIR set precedes its ON test, a
 * consumer's ON clear precedes its PIR exchange, so a poster that sees ON
 * set is followed by a consumer that sees its PIR bit.
 */
#include "vmx/vmx_pi.h"

/* Byte offset of VIRR register 0 in the virtual-APIC page (SDM 29.1.1);
 * register i (vectors 32i..32i+31) is 16 bytes further per i. */
#define VAPIC_VIRR_OFFSET  0x200u
#define VAPIC_REG_STRIDE   0x10u

/* The low word of an ICR and its fields (SDM 11.6.1, figure 11-12). */
#define ICR_VECTOR_MASK    0xffu
#define ICR_DM_MASK        0x700u      /* bits 10:8, 000b = fixed */
#define ICR_DEST_LOGICAL   (1u << 11)
#define ICR_TRIGGER_LEVEL  (1u << 15)
#define ICR_SH_SHIFT       18
#define ICR_SH_MASK        (3u << ICR_SH_SHIFT)
#define ICR_SH_SELF        1u
#define ICR_LEGAL_VECTOR   16u         /* vectors 0-15 are illegal (SDM 11.5.3) */

#define X2APIC_DEST_SHIFT  32          /* ICR bits 63:32 */
#define XAPIC_DEST_SHIFT   56          /* ICR bits 63:56 */

#define CTL_NOTIFY_MASK    (VMX_PI_CTL_NV_MASK | VMX_PI_CTL_NDST_MASK)

#ifdef KEEL_HOST_TEST
void (*vmx_pi_test_hook)(struct vmx_pi_desc *d, enum vmx_pi_test_point at);
#define TEST_POINT(d, at) \
    do { \
        if (vmx_pi_test_hook) \
            vmx_pi_test_hook(d, at); \
    } while (0)
#else
#define TEST_POINT(d, at) do { } while (0)
#endif

static uint64_t ctl_load(const struct vmx_pi_desc *d)
{
    return __atomic_load_n(&d->control, __ATOMIC_SEQ_CST);
}

static bool ctl_cas(struct vmx_pi_desc *d, uint64_t *old, uint64_t new_val)
{
    return __atomic_compare_exchange_n(&d->control, old, new_val, false, __ATOMIC_SEQ_CST,
                                       __ATOMIC_SEQ_CST);
}

static uint64_t ctl_notify_bits(uint8_t nv, uint32_t ndst)
{
    return ((uint64_t)nv << VMX_PI_CTL_NV_SHIFT) | ((uint64_t)ndst << VMX_PI_CTL_NDST_SHIFT);
}

/* Replace NV and NDST, optionally clear SN, keep ON: one CAS so that a post
 * setting ON in between is retried rather than overwritten. */
static void ctl_update_notify(struct vmx_pi_desc *d, uint8_t nv, uint32_t ndst, bool clear_sn)
{
    uint64_t old = ctl_load(d), want;

    TEST_POINT(d, VMX_PI_AT_NOTIFY_READ);
    do {
        want = (old & ~CTL_NOTIFY_MASK) | ctl_notify_bits(nv, ndst);
        if (clear_sn)
            want &= ~VMX_PI_CTL_SN;
    } while (!ctl_cas(d, &old, want));
}

void vmx_pi_desc_init(struct vmx_pi_desc *d)
{
    for (unsigned i = 0; i < VMX_PI_PIR_WORDS; i++)
        __atomic_store_n(&d->pir[i], 0, __ATOMIC_SEQ_CST);
    for (unsigned i = 0; i < sizeof(d->rsvd) / sizeof(d->rsvd[0]); i++)
        __atomic_store_n(&d->rsvd[i], 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&d->control, VMX_PI_CTL_SN, __ATOMIC_SEQ_CST);
}

uint32_t vmx_pi_ndst(uint32_t apic_id, bool x2apic)
{
    return x2apic ? apic_id : (apic_id & 0xffu) << VMX_PI_NDST_XAPIC_SHIFT;
}

uint32_t vmx_pi_ndst_apic_id(uint32_t ndst, bool x2apic)
{
    return x2apic ? ndst : (ndst >> VMX_PI_NDST_XAPIC_SHIFT) & 0xffu;
}

uint64_t vmx_pi_control(const struct vmx_pi_desc *d)
{
    return ctl_load(d);
}

void vmx_pi_set_notify(struct vmx_pi_desc *d, uint8_t nv, uint32_t ndst)
{
    ctl_update_notify(d, nv, ndst, false);
}

void vmx_pi_set_sn(struct vmx_pi_desc *d)
{
    __atomic_fetch_or(&d->control, VMX_PI_CTL_SN, __ATOMIC_SEQ_CST);
}

bool vmx_pi_clear_sn(struct vmx_pi_desc *d)
{
    /* The locked AND orders the clear before the PIR reads below: a post
     * that set its PIR bit while SN was still set is seen here; one that
     * comes after sees SN clear and notifies. */
    __atomic_fetch_and(&d->control, ~VMX_PI_CTL_SN, __ATOMIC_SEQ_CST);
    return vmx_pi_pending(d);
}

bool vmx_pi_pending(const struct vmx_pi_desc *d)
{
    if (ctl_load(d) & VMX_PI_CTL_ON)
        return true;
    for (unsigned i = 0; i < VMX_PI_PIR_WORDS; i++)
        if (__atomic_load_n(&d->pir[i], __ATOMIC_SEQ_CST))
            return true;
    return false;
}

bool vmx_pi_post(struct vmx_pi_desc *d, uint8_t vector, struct vmx_pi_notify *out)
{
    uint64_t old, want;

    /* PIR first: once ON is visible, the bit must be too (SDM 30.1.6 writes
     * PIR, then the notification information). */
    __atomic_fetch_or(&d->pir[vector / 64u], 1ull << (vector % 64u), __ATOMIC_SEQ_CST);
    TEST_POINT(d, VMX_PI_AT_POST_PIR_SET);

    old = ctl_load(d);
    do {
        /* ON set: a notification is outstanding and its consumer clears
         * ON before reading PIR, so it takes this vector too.  SN set:
         * the owner collects PIR itself when it clears SN. */
        if (old & (VMX_PI_CTL_ON | VMX_PI_CTL_SN))
            return false;
        want = old | VMX_PI_CTL_ON;
    } while (!ctl_cas(d, &old, want));

    out->nv = (uint8_t)((want & VMX_PI_CTL_NV_MASK) >> VMX_PI_CTL_NV_SHIFT);
    out->ndst = (uint32_t)(want >> VMX_PI_CTL_NDST_SHIFT);
    return true;
}

static int highest_bit64(uint64_t w)
{
    return 63 - __builtin_clzll(w);
}

int vmx_pi_sync_to_virr(struct vmx_pi_desc *d, uint32_t *vapic)
{
    int highest = -1;

    /* ON before PIR, as the CPU does (SDM 29.6 steps 3 and 5). */
    __atomic_fetch_and(&d->control, ~VMX_PI_CTL_ON, __ATOMIC_SEQ_CST);
    TEST_POINT(d, VMX_PI_AT_SYNC_ON_CLEARED);
    for (unsigned i = 0; i < VMX_PI_PIR_WORDS; i++) {
        uint64_t w = __atomic_exchange_n(&d->pir[i], 0, __ATOMIC_SEQ_CST);
        TEST_POINT(d, VMX_PI_AT_SYNC_WORD_TAKEN);
        if (!w)
            continue;
        for (unsigned half = 0; half < 2; half++) {
            uint32_t bits = (uint32_t)(w >> (32u * half));
            unsigned reg = 2u * i + half;
            if (bits)
                __atomic_fetch_or(&vapic[(VAPIC_VIRR_OFFSET + VAPIC_REG_STRIDE * reg) / 4u],
                                  bits, __ATOMIC_SEQ_CST);
        }
        highest = (int)(64u * i) + highest_bit64(w);
    }
    return highest;
}

uint16_t vmx_pi_merge_rvi(uint16_t guest_intr_status, int highest)
{
    if (highest < 0 || (uint16_t)highest <= (guest_intr_status & 0xffu))
        return guest_intr_status;
    return (uint16_t)((guest_intr_status & 0xff00u) | ((uint16_t)highest & 0xffu));
}

void vmx_pi_switch_to_wakeup(struct vmx_pi_desc *d, uint8_t wakeup_nv, uint32_t ndst)
{
    ctl_update_notify(d, wakeup_nv, ndst, true);
}

bool vmx_pi_block_prepare(struct vmx_pi_desc *d, uint8_t wakeup_nv, uint32_t ndst)
{
    vmx_pi_switch_to_wakeup(d, wakeup_nv, ndst);
    /* The re-check: the CAS above is a full barrier, so anything posted
     * before it is visible now, and anything after it sent wakeup_nv. */
    return !vmx_pi_pending(d);
}

bool vmx_pi_unblock(struct vmx_pi_desc *d, uint8_t nv, uint32_t ndst)
{
    ctl_update_notify(d, nv, ndst, true);
    return vmx_pi_pending(d);
}

/* ---- PID-pointer table ------------------------------------------------- */

int vmx_pid_table_set(uint64_t *table, size_t nentries, uint32_t apic_id, uint64_t desc_pa)
{
    if (apic_id >= nentries || apic_id >= VMX_PID_TABLE_MAX || (desc_pa & VMX_PID_ENTRY_LOW_MASK))
        return -1;
    __atomic_store_n(&table[apic_id], desc_pa | VMX_PID_ENTRY_VALID, __ATOMIC_SEQ_CST);
    return 0;
}

int vmx_pid_table_clear(uint64_t *table, size_t nentries, uint32_t apic_id)
{
    if (apic_id >= nentries || apic_id >= VMX_PID_TABLE_MAX)
        return -1;
    __atomic_store_n(&table[apic_id], 0, __ATOMIC_SEQ_CST);
    return 0;
}

uint16_t vmx_pid_last_index(const uint64_t *table, size_t nentries)
{
    size_t n = nentries < VMX_PID_TABLE_MAX ? nentries : VMX_PID_TABLE_MAX;

    while (n > 0) {
        n--;
        if (__atomic_load_n(&table[n], __ATOMIC_SEQ_CST) & VMX_PID_ENTRY_VALID)
            return (uint16_t)n;
    }
    return 0;
}

/* ---- the IPIv decision ------------------------------------------------- */

/* xAPIC self-IPI virtualization (SDM 29.4.3.2, offset 300H): no reserved
 * bits or delivery status, shorthand self, edge, fixed, vector 16 or more.
 * Destination mode and level are not examined. */
static bool xapic_self_ipi(uint32_t lo)
{
    return !(lo & (VMX_IPIV_ICR_MBZ | ICR_TRIGGER_LEVEL | ICR_DM_MASK))
        && ((lo & ICR_SH_MASK) >> ICR_SH_SHIFT) == ICR_SH_SELF
        && (lo & ICR_VECTOR_MASK) >= ICR_LEGAL_VECTOR;
}

enum vmx_ipiv_verdict vmx_ipiv_check_icr(uint64_t icr, bool x2apic)
{
    uint32_t lo = (uint32_t)icr;

    /* x2APIC: WRMSR checks the register's reserved bits first (#GP, the
     * write does not happen, SDM 11.12.1.3). */
    if (x2apic && (lo & VMX_IPIV_X2APIC_ICR_RSVD))
        return VMX_IPIV_GP;
    if (!x2apic && xapic_self_ipi(lo))
        return VMX_IPIV_SELF_IPI;
    if (lo & VMX_IPIV_ICR_MBZ)
        return VMX_IPIV_RESERVED;
    if (lo & ICR_DM_MASK)
        return VMX_IPIV_DELIVERY_MODE;
    if (lo & ICR_DEST_LOGICAL)
        return VMX_IPIV_LOGICAL;
    if (lo & ICR_TRIGGER_LEVEL)
        return VMX_IPIV_LEVEL;
    if (lo & ICR_SH_MASK)
        return VMX_IPIV_SHORTHAND;
    /* The IPIv pseudocode (30.1.6) rejects an illegal vector before it
     * looks at the table. */
    if ((lo & ICR_VECTOR_MASK) < ICR_LEGAL_VECTOR)
        return VMX_IPIV_ILLEGAL_VECTOR;
    return VMX_IPIV_VIRTUALIZED;
}

uint32_t vmx_ipiv_dest(uint64_t icr, bool x2apic)
{
    return x2apic ? (uint32_t)(icr >> X2APIC_DEST_SHIFT) : (uint32_t)(icr >> XAPIC_DEST_SHIFT);
}

enum vmx_ipiv_verdict vmx_ipiv_check_pid_entry(uint64_t entry, unsigned maxphyaddr)
{
    if ((entry & VMX_PID_ENTRY_LOW_MASK) != VMX_PID_ENTRY_VALID)
        return VMX_IPIV_PID_INVALID;
    if (maxphyaddr < 64 && (entry >> maxphyaddr))
        return VMX_IPIV_PID_INVALID;
    return VMX_IPIV_VIRTUALIZED;
}

enum vmx_ipiv_verdict vmx_ipiv_explain(uint64_t icr, bool x2apic, const uint64_t *table,
                                       uint16_t last_index, unsigned maxphyaddr)
{
    enum vmx_ipiv_verdict v = vmx_ipiv_check_icr(icr, x2apic);
    uint32_t dest;

    if (v != VMX_IPIV_VIRTUALIZED)
        return v;
    dest = vmx_ipiv_dest(icr, x2apic);
    if (dest > last_index)
        return VMX_IPIV_DEST_RANGE;
    return vmx_ipiv_check_pid_entry(__atomic_load_n(&table[dest], __ATOMIC_SEQ_CST), maxphyaddr);
}

const char *vmx_ipiv_verdict_name(enum vmx_ipiv_verdict v)
{
    static const char *const names[] = {
        [VMX_IPIV_VIRTUALIZED] = "virtualized",
        [VMX_IPIV_SELF_IPI] = "self-ipi",
        [VMX_IPIV_GP] = "gp",
        [VMX_IPIV_RESERVED] = "reserved-bits",
        [VMX_IPIV_DELIVERY_MODE] = "delivery-mode",
        [VMX_IPIV_LOGICAL] = "logical",
        [VMX_IPIV_LEVEL] = "level",
        [VMX_IPIV_SHORTHAND] = "shorthand",
        [VMX_IPIV_ILLEGAL_VECTOR] = "illegal-vector",
        [VMX_IPIV_DEST_RANGE] = "dest-range",
        [VMX_IPIV_PID_INVALID] = "pid-invalid",
    };

    if ((unsigned)v < sizeof(names) / sizeof(names[0]) && names[v])
        return names[v];
    return "?";
}
