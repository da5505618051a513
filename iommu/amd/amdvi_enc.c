/* SPDX-License-Identifier: MIT */
/*
 * AMD-Vi encoders and the event log decoder (layouts in amdvi_hw.h, the
 * sections of #48882 cited there).  Pure: nothing here touches the unit.
 */
#include <string.h>

#include "iommu/amd/amdvi_hw.h"
#include "iommu/iopt.h"

/* An address the IOMMU can hold: below 2^52, with the low bits clear. */
static bool addr_ok(uint64_t pa, uint64_t align)
{
    return !(pa & (align - 1)) && !(pa >> 52);
}

static int dte_translation(const struct amdvi_dte_cfg *c, struct amdvi_dte *e)
{
    if (c->levels > 6 || !addr_ok(c->pt_root, 4096) || (c->levels && !c->pt_root))
        return -1;
    e->q[0] |= AMDVI_DTE0_TV | (uint64_t)c->levels << AMDVI_DTE0_MODE_SHIFT | c->pt_root;
    return 0;
}

static int dte_interrupts(const struct amdvi_dte_cfg *c, struct amdvi_dte *e)
{
    if (c->irt_log2 > AMDVI_IRT_MAX_LOG2 || !addr_ok(c->irt, 64) || !c->irt)
        return -1;
    e->q[2] |= AMDVI_DTE2_IV | (uint64_t)c->irt_log2 << AMDVI_DTE2_INTTABLEN_SHIFT | c->irt |
               (uint64_t)AMDVI_INTCTL_REMAP << AMDVI_DTE2_INTCTL_SHIFT;
    return 0;
}

int amdvi_dte_encode(const struct amdvi_dte_cfg *c, struct amdvi_dte *out)
{
    struct amdvi_dte e = { { AMDVI_DTE0_V, c->domain, 0, 0 } };

    if (c->translate && dte_translation(c, &e))
        goto bad;
    e.q[0] |= (c->read ? AMDVI_DTE0_IR : 0) | (c->write ? AMDVI_DTE0_IW : 0);
    e.q[1] |= c->suppress_events ? AMDVI_DTE1_SE : 0;
    if (c->remap_ints && dte_interrupts(c, &e))
        goto bad;
    /* The pass-through bits of the IVHD DTE setting (#48882 5.2.2.2 table
     * "DTE setting"): INITPass, EIntPass, NMIPass at 0..2, Lint0Pass and
     * Lint1Pass at 6..7 land at DTE bits 184..186, 190, 191. */
    e.q[2] |= (c->pass & 0x01 ? AMDVI_DTE2_INIT_PASS : 0) | (c->pass & 0x02 ? AMDVI_DTE2_EINT_PASS : 0) |
              (c->pass & 0x04 ? AMDVI_DTE2_NMI_PASS : 0) | (c->pass & 0x40 ? AMDVI_DTE2_LINT0_PASS : 0) |
              (c->pass & 0x80 ? AMDVI_DTE2_LINT1_PASS : 0);
    *out = e;
    return 0;
bad:
    memset(out, 0, sizeof(*out));
    return -1;
}

static void cmd_init(struct amdvi_cmd *c, uint32_t opcode)
{
    memset(c, 0, sizeof(*c));
    c->d[1] = opcode << AMDVI_CMD_OPCODE_SHIFT;
}

int amdvi_cmd_completion_wait(struct amdvi_cmd *c, uint64_t store_pa, uint64_t data, bool intr)
{
    cmd_init(c, AMDVI_CMD_COMPLETION_WAIT);
    /* 2.4.1: the store address is 8-byte aligned, bits 51:3. */
    if (!addr_ok(store_pa, 8) || !store_pa) {
        memset(c, 0, sizeof(*c));
        return -1;
    }
    c->d[0] = (uint32_t)store_pa | AMDVI_CW_S | (intr ? AMDVI_CW_I : 0);
    c->d[1] |= (uint32_t)(store_pa >> 32);
    c->d[2] = (uint32_t)data;
    c->d[3] = (uint32_t)(data >> 32);
    return 0;
}

void amdvi_cmd_inv_devtab_entry(struct amdvi_cmd *c, uint16_t devid)
{
    cmd_init(c, AMDVI_CMD_INV_DEVTAB_ENTRY);
    c->d[0] = devid;
}

int amdvi_cmd_inv_iommu_pages(struct amdvi_cmd *c, uint16_t domain, uint64_t addr, bool all)
{
    cmd_init(c, AMDVI_CMD_INV_IOMMU_PAGES);
    c->d[1] |= domain;
    if (all) {
        addr = AMDVI_INVP_ALL_ADDRESS;
        c->d[2] = AMDVI_INVP_S | AMDVI_INVP_PDE;
    } else if (addr & 0xfff) {
        memset(c, 0, sizeof(*c));
        return -1;
    }
    c->d[2] |= (uint32_t)addr & 0xfffff000u;
    c->d[3] = (uint32_t)(addr >> 32);
    return 0;
}

void amdvi_cmd_inv_interrupt_table(struct amdvi_cmd *c, uint16_t devid)
{
    cmd_init(c, AMDVI_CMD_INV_INTERRUPT_TABLE);
    c->d[0] = devid;
}

static void irte_dest(struct amdvi_irte *e, uint32_t dest)
{
    e->lo |= (uint64_t)(dest & 0xffffff) << AMDVI_IRTE_DEST_LO_SHIFT;
    e->hi |= (uint64_t)(dest >> 24) << AMDVI_IRTE_DEST_HI_SHIFT;
}

int amdvi_irte_remapped(struct amdvi_irte *e, uint8_t vector, uint32_t dest, bool logical,
                        uint8_t int_type, bool xt)
{
    memset(e, 0, sizeof(*e));
    /* Without XT only Destination[7:0] reaches the APIC bus (2.2.5.2). */
    if ((!xt && dest > 0xff) || int_type > 7)
        return -1;
    e->lo = AMDVI_IRTE_REMAP_EN | (uint64_t)int_type << AMDVI_IRTE_INT_TYPE_SHIFT |
            (logical ? AMDVI_IRTE_DM : 0);
    e->hi = vector;
    irte_dest(e, dest);
    return 0;
}

int amdvi_irte_guest(struct amdvi_irte *e, uint64_t backing_pa, uint8_t vector, uint32_t dest,
                     bool is_run, uint32_t ga_tag, bool ga_log)
{
    memset(e, 0, sizeof(*e));
    if (!addr_ok(backing_pa, 4096) || !backing_pa)
        return -1;
    e->lo = AMDVI_IRTE_REMAP_EN | AMDVI_IRTE_GUEST_MODE | (is_run ? AMDVI_IRTE_IS_RUN : 0) |
            (ga_log ? AMDVI_IRTE_GA_LOG_INTR : 0) | (uint64_t)ga_tag << AMDVI_IRTE_GA_TAG_SHIFT;
    e->hi = vector | backing_pa;
    irte_dest(e, dest);
    return 0;
}

int amdvi_irte_ga_place(struct amdvi_irte *e, uint32_t dest, bool is_run)
{
    const uint64_t lo_mask = AMDVI_IRTE_IS_RUN | 0xffffffull << AMDVI_IRTE_DEST_LO_SHIFT;
    const uint64_t hi_mask = 0xffull << AMDVI_IRTE_DEST_HI_SHIFT;

    if (!(e->lo & AMDVI_IRTE_GUEST_MODE))
        return -1;
    uint64_t hi = (e->hi & ~hi_mask) | (uint64_t)(dest >> 24) << AMDVI_IRTE_DEST_HI_SHIFT;
    e->lo = (e->lo & ~lo_mask) | (is_run ? AMDVI_IRTE_IS_RUN : 0) |
            (uint64_t)(dest & 0xffffff) << AMDVI_IRTE_DEST_LO_SHIFT;
    int wide = hi != e->hi;
    e->hi = hi;
    return wide;
}

int amdvi_pte(uint64_t *pte, uint64_t pa, unsigned next_level, bool read, bool write)
{
    *pte = 0;
    if (next_level > 7 || !addr_ok(pa, 4096))
        return -1;
    *pte = AMDVI_PTE_PR | (uint64_t)next_level << AMDVI_PTE_NEXT_SHIFT | pa |
           (read ? AMDVI_PTE_IR : 0) | (write ? AMDVI_PTE_IW : 0);
    return 0;
}

static const char *const event_names[] = {
    [AMDVI_EV_ILLEGAL_DEV_TABLE_ENTRY] = "ILLEGAL_DEV_TABLE_ENTRY",
    [AMDVI_EV_IO_PAGE_FAULT] = "IO_PAGE_FAULT",
    [AMDVI_EV_DEV_TAB_HW_ERROR] = "DEV_TAB_HARDWARE_ERROR",
    [AMDVI_EV_PAGE_TAB_HW_ERROR] = "PAGE_TAB_HARDWARE_ERROR",
    [AMDVI_EV_ILLEGAL_COMMAND] = "ILLEGAL_COMMAND_ERROR",
    [AMDVI_EV_COMMAND_HW_ERROR] = "COMMAND_HARDWARE_ERROR",
    [AMDVI_EV_IOTLB_INV_TIMEOUT] = "IOTLB_INV_TIMEOUT",
    [AMDVI_EV_INVALID_DEVICE_REQUEST] = "INVALID_DEVICE_REQUEST",
};

static uint8_t event_kind(uint8_t code, uint32_t d1)
{
    switch (code) {
    case AMDVI_EV_ILLEGAL_DEV_TABLE_ENTRY: return IOMMU_FAULT_DEVICE_ENTRY;
    case AMDVI_EV_IO_PAGE_FAULT:
        return d1 & AMDVI_EVF_I ? IOMMU_FAULT_INTERRUPT : IOMMU_FAULT_DMA;
    case AMDVI_EV_DEV_TAB_HW_ERROR:
    case AMDVI_EV_PAGE_TAB_HW_ERROR:
    case AMDVI_EV_COMMAND_HW_ERROR: return IOMMU_FAULT_HARDWARE;
    case AMDVI_EV_ILLEGAL_COMMAND:
    case AMDVI_EV_IOTLB_INV_TIMEOUT: return IOMMU_FAULT_COMMAND;
    default: return IOMMU_FAULT_OTHER;
    }
}

int amdvi_event_decode(const struct amdvi_event *ev, struct iommu_fault *f)
{
    uint8_t code = (uint8_t)(ev->d[1] >> AMDVI_EV_CODE_SHIFT);

    memset(f, 0, sizeof(*f));
    if (!ev->d[0] && !ev->d[1] && !ev->d[2] && !ev->d[3])
        return -1;
    f->code = code;
    f->kind = event_kind(code, ev->d[1]);
    f->name = code < sizeof(event_names) / sizeof(event_names[0]) && event_names[code]
                  ? event_names[code] : "unknown event code";
    f->addr = (uint64_t)ev->d[3] << 32 | ev->d[2];
    f->flags = IOMMU_FA_HAS_ADDR;
    /* 2.5: every event but ILLEGAL_COMMAND and COMMAND_HARDWARE_ERROR names
     * the device in d[0] 15:0; IO_PAGE_FAULT adds the domain (d[1] 15:0)
     * and what the access was. */
    if (code != AMDVI_EV_ILLEGAL_COMMAND && code != AMDVI_EV_COMMAND_HW_ERROR) {
        f->bdf = (uint16_t)ev->d[0];
        f->flags |= IOMMU_FA_HAS_DEVICE;
    }
    if (code == AMDVI_EV_IO_PAGE_FAULT) {
        f->domain = (uint16_t)ev->d[1];
        f->flags |= IOMMU_FA_HAS_DOMAIN | (ev->d[1] & AMDVI_EVF_RW ? IOMMU_FA_WRITE : 0) |
                    (ev->d[1] & AMDVI_EVF_PR ? IOMMU_FA_PRESENT : 0) |
                    (ev->d[1] & AMDVI_EVF_NX ? IOMMU_FA_EXEC : 0);
        if (ev->d[1] & AMDVI_EVF_GN) {
            /* With GN the d[1] 15:0 field is PASID[15:0], d[0] 19:16 PASID[19:16]. */
            f->pasid = (ev->d[0] & 0xf0000u) | (ev->d[1] & 0xffffu);
            f->flags = (f->flags & ~IOMMU_FA_HAS_DOMAIN) | IOMMU_FA_HAS_PASID;
            f->domain = 0;
        }
    }
    return 0;
}

/* ---- The I/O page table format (iommu/iopt.h): #48882 2.2.3 ---- */

/* A PDE at level names the level of the table it points to in NextLevel
 * (figure "I/O Page Translation Entry"); a 4 KiB PTE has NextLevel 0. */
static int iopt_amdvi_table(uint64_t *e, uint64_t pa, unsigned level)
{
    return amdvi_pte(e, pa, level - 1, true, true);
}

static int iopt_amdvi_leaf(uint64_t *e, uint64_t pa, unsigned perm)
{
    return amdvi_pte(e, pa, 0, perm & IOPT_R, perm & IOPT_W);
}

static bool iopt_amdvi_present(uint64_t e)
{
    return e & AMDVI_PTE_PR;
}

static uint64_t iopt_amdvi_addr(uint64_t e)
{
    return e & AMDVI_ADDR_MASK;
}

static unsigned iopt_amdvi_perm(uint64_t e)
{
    return (e & AMDVI_PTE_IR ? IOPT_R : 0) | (e & AMDVI_PTE_IW ? IOPT_W : 0);
}

/* Unmapped slots hold PR=0 with NextLevel 1: with PR=0 every other bit is
 * ignored (#48882 2.2.3, "I/O Page Translation Entry"), so the unit treats
 * it as any not-present entry.  The marker is for models that report no
 * IO_PAGE_FAULT for an entry whose NextLevel is 0 (QEMU 7.2's walk stops
 * silently at a zero or leaf-looking PTE): with it every blocked DMA is
 * logged and reported. */
#define IOPT_AMDVI_ABSENT (1ull << AMDVI_PTE_NEXT_SHIFT)

const struct iopt_format iopt_format_amdvi = {
    .absent = IOPT_AMDVI_ABSENT,
    .name = "AMD-Vi",
    .table = iopt_amdvi_table,
    .leaf = iopt_amdvi_leaf,
    .present = iopt_amdvi_present,
    .addr = iopt_amdvi_addr,
    .perm = iopt_amdvi_perm,
};

/* ---- The guest virtual APIC log (#48882 2.7) ---- */

int amdvi_ga_log_regs(uint64_t log_pa, uint64_t tail_pa, uint64_t *base_reg, uint64_t *tail_reg)
{
    *base_reg = *tail_reg = 0;
    if (!addr_ok(log_pa, 4096) || !log_pa || !tail_pa || (tail_pa & ~AMDVI_GA_TAIL_ADDR_MASK))
        return -1;
    *base_reg = log_pa | (uint64_t)AMDVI_GA_LOG_LEN_512 << AMDVI_GA_LOG_LEN_SHIFT;
    *tail_reg = tail_pa;
    return 0;
}

int amdvi_ga_log_decode(uint64_t entry, uint32_t *ga_tag, uint16_t *devid)
{
    *ga_tag = (uint32_t)(entry & AMDVI_GA_ENT_TAG_MASK);
    *devid = (uint16_t)(entry >> AMDVI_GA_ENT_DEVID_SHIFT);
    if (!entry)
        return -1;
    return (entry >> AMDVI_GA_ENT_TYPE_SHIFT) == AMDVI_GA_ENT_GUEST_NR ? 0 : 1;
}

uint64_t amdvi_ga_log_consume(uint64_t *log, uint64_t head, uint64_t tail, amdvi_ga_fn fn,
                              void *ctx, unsigned *n)
{
    const uint64_t size = AMDVI_GA_LOG_ENTRIES * sizeof(uint64_t);

    *n = 0;
    head &= AMDVI_GA_PTR_MASK;
    tail &= AMDVI_GA_PTR_MASK;
    /* A pointer outside the ring is the unit's or the register's fault:
     * nothing is read past the log. */
    if (head >= size || tail >= size)
        return head % size;
    while (head != tail && *n < AMDVI_GA_LOG_ENTRIES) {
        uint64_t *e = &log[head / sizeof(uint64_t)];
        uint32_t tag;
        uint16_t devid;
        if (amdvi_ga_log_decode(__atomic_load_n(e, __ATOMIC_ACQUIRE), &tag, &devid) == 0)
            fn(ctx, tag, devid);
        __atomic_store_n(e, 0, __ATOMIC_RELAXED);
        head = (head + sizeof(uint64_t)) % size;
        (*n)++;
    }
    return head;
}
