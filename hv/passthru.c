/* SPDX-License-Identifier: MIT */
/* Device assignment: checks, I/O page tables, the mediated function, MSIs, faults (hv/passthru.h). */
#include "hv/passthru.h"

#include <stdio.h>
#include <string.h>

#include "apic/apic_defs.h"
#include "hv/abi.h"
#include "hv/passthru_int.h"
#include "hv/dev/vplatform.h"
#include "hv/host/console.h"
#include "hv/host/pci_host.h"
#include "hv/host/time.h"
#include "hv/irq_post.h"
#include "hv/mm/mem.h"
#include "hv/vapic.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "iommu/iommu_boot.h"
#include "iommu/iommu_domain.h"

#define POLL_EVERY_US 1000

struct pt_vm pt_vms[VM_MAX];
static struct pt_vec *by_vector[HOST_VEC_PASSTHRU_N];
static uint64_t unowned_faults; /* reported faults of devices no VM owns */
static unsigned nvectors;

/* ---- I/O page table memory: Keel's page allocator ---- */

static uint64_t iopt_alloc(void *ctx)
{
    void *p = mem_try_alloc(1, 1, 0);
    (void)ctx;
    return p ? virt_to_phys(p) : 0;
}

static void iopt_free(void *ctx, uint64_t pa)
{
    (void)ctx;
    mem_free_pages(phys_to_virt(pa), 1);
}

static void *iopt_mapping(void *ctx, uint64_t pa)
{
    (void)ctx;
    return phys_to_virt(pa);
}

static void iopt_flush(void *ctx, const void *p, unsigned len)
{
    (void)ctx;
    iommu_sync(p, len);
}

static const struct iopt_env env_coherent = { NULL, iopt_alloc, iopt_free, iopt_mapping, NULL };
static const struct iopt_env env_flushed = { NULL, iopt_alloc, iopt_free, iopt_mapping, iopt_flush };

/* ---- The mediated function's side effects (hv/dev/pci_pt.h) ---- */

static uint32_t phys_read(void *ctx, unsigned off, unsigned size)
{
    const struct pt_dev *d = ctx;
    return pci_host_read(d->hf->bdf, off, size);
}

static void phys_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
    const struct pt_dev *d = ctx;
    pci_host_write(d->hf->bdf, off, size, val);
}

/* A BAR must not hide the VM's RAM or its platform's fixed pages. */
static bool bar_place_ok(const struct vm *vm, uint64_t gpa, uint64_t size)
{
    uint64_t end = gpa + size;
    return end > gpa && end <= NPT_GPA_LIMIT && !gram_bar_conflict(&vm->ram, gpa, size) &&
           !(gpa < VPLAT_IOAPIC_BASE + VPLAT_IOAPIC_SIZE && end > VPLAT_IOAPIC_BASE) &&
           !(vm->plat->opts.irq_remap && gpa < VTD_IR_BASE + VTD_IR_SIZE && end > VTD_IR_BASE) &&
           !(gpa < 0xfee01000ull && end > 0xfee00000ull);
}

static int npt_range(struct vm *vm, uint64_t gpa, uint64_t hpa, uint64_t size, bool mapped)
{
    if (!size)
        return 0;
    return mapped ? npt_map(&vm->npt, gpa, hpa, size, NPT_R | NPT_W, NPT_MT_UC)
                  : npt_unmap(&vm->npt, gpa, size);
}

/* Maps (or unmaps) BAR i at gpa in the nested page tables, uncached; the
 * BAR holding the MSI-X table around the table's pages, which are
 * emulated (the hole's base follows the BAR).  Under vplatform.lock. */
static void map_bar(void *ctx, unsigned i, uint64_t gpa, bool mapped)
{
    struct pt_dev *d = ctx;
    struct vm *vm = d->vm;
    uint64_t size = d->bar_size[i], hpa = d->bar_hpa[i];
    bool hole = d->msix && i == d->mx.cap.table_bir;
    uint64_t h0 = hole ? d->hole_off : size, h1 = hole ? d->hole_off + d->hole_len : size;
    int r;

    if (!bar_place_ok(vm, gpa, size)) {
        log_warn("vm%u (%s): BAR%u of %02x:%02x.%x at %#llx (%llu KiB) overlaps RAM or the "
                 "platform: not mapped", vm->index, vm->name, i, BDF_ARGS(d->hf->bdf),
                 (unsigned long long)gpa, (unsigned long long)(size >> 10));
        return;
    }
    spin_lock(&vm->npt_lock);
    r = npt_range(vm, gpa, hpa, h0, mapped);
    if (!r)
        r = npt_range(vm, gpa + h1, hpa + h1, size - h1, mapped);
    bool flush = npt_take_flush(&vm->npt);
    spin_unlock(&vm->npt_lock);
    if (hole) { /* len first: a lookup without the lock sees a smaller or empty range */
        __atomic_store_n(&d->hole.len, 0, __ATOMIC_RELEASE);
        __atomic_store_n(&d->hole.base, mapped ? gpa + h0 : 0, __ATOMIC_RELEASE);
        __atomic_store_n(&d->hole.len, mapped ? d->hole_len : 0, __ATOMIC_RELEASE);
    }
    if (flush)
        vapic_flush_all_tlbs(vm);
    if (r)
        log_warn("vm%u (%s): BAR%u of %02x:%02x.%x: nested page tables refused %s %#llx (%d)",
                 vm->index, vm->name, i, BDF_ARGS(d->hf->bdf), mapped ? "mapping at" : "unmapping",
                 (unsigned long long)gpa, r);
    else
        log_debug("vm%u: BAR%u of %02x:%02x.%x %s %#llx -> %#llx", vm->index, i,
                  BDF_ARGS(d->hf->bdf), mapped ? "mapped at" : "unmapped from",
                  (unsigned long long)gpa, (unsigned long long)d->bar_hpa[i]);
}

/* ---- The route of the device's MSI (hv/irq_post.h) ---- */

/* GATag: VM index + 1 in bits 31:16, the target vCPU's index below
 * (irq_post_decide ORs it in), so a GA log entry names its vCPU. */
#define GA_TAG_VM_SHIFT 16

static bool vcpu_accel_posts(const struct vcpu *v)
{
    return __atomic_load_n(&v->apic.accel.on, __ATOMIC_ACQUIRE) &&
           __atomic_load_n(&v->apic.accel.posted, __ATOMIC_ACQUIRE);
}

/* What each vCPU offers a post, read under route_lock (placement last, so
 * a placement published before the caller took the lock is seen here and
 * one published after it reaches passthru_placement, which waits for it). */
static void vcpus_now(struct vm *vm, struct irq_post_vcpu *out)
{
    for (unsigned i = 0; i < vm->nvcpus; i++) {
        struct vcpu *v = vm->vcpus[i];
        uint64_t p = vcpu_placement(v);
        out[i] = (struct irq_post_vcpu){
            .accel = vcpu_accel_posts(v),
            .placed = p & VCPU_PLACE_VALID,
            .running = p & VCPU_PLACE_RUNNING,
            .host_apic_id = (uint32_t)(p & VCPU_PLACE_HOST_ID_MASK),
            .backing_pa = virt_to_phys(v->apic.page),
            .pi_desc_pa = vops->posted_desc_pa ? vops->posted_desc_pa(v) : 0,
        };
    }
}

static struct irq_post_unit unit_of(unsigned unit)
{
    bool x2 = false;
    struct irq_post_unit u = {
        .vendor = iommu_host.unit[unit].vendor == IOMMU_AMD_VI ? IRQ_POST_AMDVI : IRQ_POST_VTD,
        .remaps = iommu_msi_remaps(unit),
    };
    u.posts = iommu_msi_posts(unit, &x2);
    u.x2 = x2;
    return u;
}

/* After the IRTE changed and its invalidation completed (hv/irq_post.h):
 * - posted before: what the unit already posted is in the old target's
 *   APIC state (AMD-Vi: its backing page, which is the vLAPIC's page;
 *   VT-d: its descriptor's PIR, moved into the page by the pre-entry sync
 *   every run-loop pass); the kick makes it look now, emulated or not;
 * - remapped before: an MSI Keel took but has not injected yet
 *   (irq_pending) is injected by vCPU 0's run loop, kicked here.
 * Each MSI was either posted or remapped, never both: nothing doubles. */
static void route_switched(struct pt_vec *v, const struct irq_post_route *old,
                           const struct irq_post_route *now)
{
    struct vm *vm = v->dev->vm;
    struct irq_post_switch sw;

    irq_post_switched(old, now, &sw);
    if (sw.kick >= 0 && (unsigned)sw.kick < vm->nvcpus)
        vcpu_kick(vm->vcpus[sw.kick]);
    if (sw.drain && __atomic_load_n(&v->irq_pending, __ATOMIC_ACQUIRE))
        vcpu_kick(vm->vcpus[0]); /* its passthru_poll injects the guest's message */
}

static bool route_same(const struct irq_post_route *a, const struct irq_post_route *b)
{
    return a->kind == b->kind && a->irte_lo == b->irte_lo && a->irte_hi == b->irte_hi;
}

/* Decides the route of vector v from the guest's message as last
 * programmed and writes its IRTE when it changed (force: even if not).  0
 * with the device's message in *maddr / *mdata; -1 after logging why (the
 * vector stays off).  *old and *now: the route before and after. */
static int route_apply(struct pt_vec *v, bool force, const char *caller, uint64_t *maddr,
                       uint32_t *mdata, struct irq_post_route *old, struct irq_post_route *now)
{
    struct pt_dev *d = v->dev;
    struct vm *vm = d->vm;
    uint32_t dest = vm->vcpus[0]->pcpu->apic_id;
    int r = 0;

    spin_lock(&d->route_lock);
    vapic_views_snapshot(vm, d->views); /* map_lock nests inside route_lock */
    vcpus_now(vm, d->vc);
    struct irq_post_in in = {
        .msi_enabled = v->g_enabled, .msi_addr = v->g_addr, .msi_data = v->g_data,
        .views = d->views, .nvcpus = vm->nvcpus, .vcpus = d->vc,
        .vm_accel = apic_inhibit_active(&vm->inhibit), .unit = unit_of(d->unit),
        .host_vector = v->vector, .host_dest = dest, .sid = d->hf->bdf,
        .ga_tag = (vm->index + 1u) << GA_TAG_VM_SHIFT,
        .guest_remappable = vm->plat->opts.irq_remap && (v->g_addr & VTD_MSI_ADDR_IF),
    };
    *old = v->route;
    if (irq_post_decide(&in, now))
        log_warn("vm%u (%s): %02x:%02x.%x: the IRTE for its %s %u was refused by the encoder "
                 "(host APIC ID %u): left off", vm->index, vm->name, BDF_ARGS(d->hf->bdf),
                 d->msix ? "MSI-X entry" : "MSI", v->index, dest);
    *maddr = 0xfee00000u | dest << 12;
    *mdata = v->vector;
    if ((now->kind == IRQ_POST_REMAP || now->kind == IRQ_POST_POSTED) &&
        (force || !route_same(old, now)))
        r = iommu_irte_set(d->unit, d->hf->bdf, v->index, now->irte_lo, now->irte_hi, caller,
                           maddr, mdata);
    if (r < 0)
        now->kind = IRQ_POST_OFF;
    if (old->kind != IRQ_POST_OFF && now->kind != IRQ_POST_OFF && !route_same(old, now))
        v->switches++;
    v->route = *now;
    spin_unlock(&d->route_lock);
    if (r >= 0)
        route_switched(v, old, now);
    return r < 0 || now->kind == IRQ_POST_OFF ? -1 : 0;
}

/* The requester ID the guest knows the function by: 00:slot.0 on its bus
 * (the source-id its virtual VT-d unit validates). */
static uint16_t guest_sid(const struct pt_dev *d)
{
    return (uint16_t)(d->slot << 3);
}

/* The guest's message for vector v is now enabled/addr/data: an MSI Keel
 * took under the old programming and has not injected yet goes to the
 * guest as it was sent (the vector and destination then in force), not as
 * the new one (vapic_route under vplatform.lock, as the I/O APIC's does);
 * then the route.  0 with the device's message when it is to be on; -1
 * when it stays off (the IRTE is kept).  Under vplatform.lock. */
int pt_vec_program(struct pt_vec *v, bool enabled, uint64_t addr, uint32_t data,
                       uint64_t *maddr, uint32_t *mdata, struct irq_post_route *now)
{
    struct pt_dev *d = v->dev;
    uint32_t dest = d->vm->vcpus[0]->pcpu->apic_id;
    struct irq_post_route old;
    struct apic_msg m;

    spin_lock(&d->route_lock);
    bool was = v->g_enabled;
    uint64_t was_addr = v->g_addr;
    uint32_t was_data = v->g_data;
    v->g_enabled = enabled;
    v->g_addr = addr;
    v->g_data = data;
    spin_unlock(&d->route_lock);
    if (was && __atomic_exchange_n(&v->irq_pending, 0, __ATOMIC_ACQ_REL) &&
        vplatform_msi_message_locked(d->vm->plat, was_addr, was_data, guest_sid(d), &m))
        vapic_route(d->vm, &m);
    if (!enabled) {
        (void)route_apply(v, false, __func__, maddr, mdata, &old, now); /* OFF: IRTE kept */
        return -1;
    }
    if (dest > 0xff && !unit_of(d->unit).x2) {
        log_warn("vm%u (%s): %02x:%02x.%x: host APIC ID %u does not fit an xAPIC destination "
                 "(the IOMMU unit runs without x2APIC destinations): interrupt left off",
                 d->vm->index, d->vm->name, BDF_ARGS(d->hf->bdf), dest);
        return -1;
    }
    return route_apply(v, true, __func__, maddr, mdata, &old, now); /* -1: logged */
}

void pt_vec_logged(struct pt_vec *v, const char *what, uint64_t addr, uint32_t data,
                       const struct irq_post_route *now, uint64_t maddr, uint32_t mdata)
{
    struct pt_dev *d = v->dev;
    char path[96];

    irq_post_describe(now, path, sizeof(path));
    log_info("vm%u (%s): %02x:%02x.%x %s (guest address %#llx, data %#x): %s%s", d->vm->index,
             d->vm->name, BDF_ARGS(d->hf->bdf), what, (unsigned long long)addr, data, path,
             now->kind == IRQ_POST_POSTED ? "" : ", to host vector and injected by Keel");
    log_debug("vm%u: %02x:%02x.%x: host vector %#x on APIC %u; device writes %#x to %#llx",
              d->vm->index, BDF_ARGS(d->hf->bdf), v->vector, d->vm->vcpus[0]->pcpu->apic_id,
              mdata, (unsigned long long)maddr);
}

/* The device's physical MSI (PCI 3.0 6.8.1): through the IRTE the route
 * chose (same address and data for every form: switching needs no change
 * on the device), else directly to the Keel host vector on vCPU 0's CPU in
 * the xAPIC MSI format (SDM 11.11.1).  Under vplatform.lock. */
static void msi_changed(void *ctx, bool enabled, uint64_t addr, uint16_t data)
{
    struct pt_dev *d = ctx;
    uint16_t bdf = d->hf->bdf;
    unsigned cap = d->hf->msi_cap;
    uint32_t mdata;
    uint64_t maddr;
    struct irq_post_route now;
    uint16_t ctl = (uint16_t)pci_host_read(bdf, cap + 2, 2);
    bool is64 = ctl & 0x80;

    pci_host_write(bdf, cap + 2, 2, ctl & ~1u); /* off while it changes */
    if (pt_vec_program(&d->vec[0], enabled, addr, data, &maddr, &mdata, &now) < 0)
        return; /* off, or logged: the device's interrupts stay off */
    pci_host_write(bdf, cap + 4, 4, (uint32_t)maddr);
    if (is64)
        pci_host_write(bdf, cap + 8, 4, (uint32_t)(maddr >> 32));
    pci_host_write(bdf, cap + (is64 ? 12u : 8u), 2, mdata);
    pci_host_write(bdf, cap + 2, 2, (ctl & ~0x71u) | 1u); /* one message, enabled */
    pt_vec_logged(&d->vec[0], "MSI", addr, data, &now, maddr, mdata);
}

static const struct pci_pt_ops pt_ops = { phys_read, phys_write, map_bar, msi_changed };

/* ---- Assignment ---- */

/* Sizes the host's BARs (PCI 3.0 6.2.5.1) with decoding off: all ones
 * written, the size read back, the address restored. */
static void size_bars(struct pt_dev *d, uint32_t flags[PCI_PT_BARS])
{
    uint16_t bdf = d->hf->bdf;

    for (unsigned i = 0; i < PCI_PT_BARS; i++) {
        unsigned off = PCI_CFG_BAR0 + 4 * i;
        uint32_t orig = pci_host_read(bdf, off, 4);
        pci_host_write(bdf, off, 4, 0xffffffffu);
        uint32_t mask = pci_host_read(bdf, off, 4);
        pci_host_write(bdf, off, 4, orig);
        flags[i] = orig & 0xf;
        d->bar_hpa[i] = d->bar_size[i] = 0;
        if (!mask || (orig & 1)) /* absent, or I/O space (not offered) */
            continue;
        uint64_t base = orig & ~0xfull, smask = mask & ~0xfull;
        if ((orig & 6) == 4 && i + 1 < PCI_PT_BARS) { /* 64-bit: the upper half too */
            uint32_t hi = pci_host_read(bdf, off + 4, 4);
            pci_host_write(bdf, off + 4, 4, 0xffffffffu);
            smask |= (uint64_t)pci_host_read(bdf, off + 4, 4) << 32;
            pci_host_write(bdf, off + 4, 4, hi);
            base |= (uint64_t)hi << 32;
            flags[i + 1] = 0;
        } else {
            smask |= 0xffffffff00000000ull;
        }
        d->bar_hpa[i] = base;
        d->bar_size[i] = ~smask + 1;
        if ((orig & 6) == 4)
            i++;
    }
}

/* Why bdf cannot go to vm, or NULL; *unit is its IOMMU unit. */
static const char *refusal(const struct vm *vm, uint16_t bdf, unsigned *unit, char *why, size_t n)
{
    struct pci_host_fn *hf = pci_host_find(bdf);
    int u;

    if (iommu_host.vendor == IOMMU_NONE)
        return "the machine has no IOMMU (no IVRS or DMAR table): its DMA could not be confined";
    if (!hf)
        return "no such function on the host";
    if (hf->header != 0) {
        snprintf(why, n, "header type %u is not a plain device (bridges cannot be assigned)",
                 hf->header);
        return why;
    }
    if (hf->assigned_vm >= 0) {
        snprintf(why, n, "already assigned to vm%d", hf->assigned_vm);
        return why;
    }
    if ((u = iommu_assignable(&iommu_host, 0, bdf, why, n)) < 0)
        return why;
    *unit = (unsigned)u;
    if (!iommu_queue_ready[u]) {
        snprintf(why, n, "its IOMMU unit %d has no working queue", u);
        return why;
    }
    (void)vm;
    return NULL;
}

/* The VM's I/O page tables, on the first device: its RAM, read-write. */
static int build_tables(struct vm *vm, struct pt_vm *pv, unsigned unit, char *why, size_t n)
{
    unsigned levels;
    bool coherent;
    const struct iopt_format *fmt = iommu_table_format(unit, &levels, &coherent);

    if (!fmt) {
        snprintf(why, n, "IOMMU unit %u offers no page-table depth Keel builds (3 or 4 levels)", unit);
        return -1;
    }
    if (pv->fmt) {
        if (pv->fmt != fmt || pv->iopt.levels != levels) {
            snprintf(why, n, "its IOMMU unit %u walks tables unlike the VM's other devices' unit", unit);
            return -1;
        }
        return 0;
    }
    pv->fmt = fmt;
    pv->coherent = coherent;
    pv->domain = (uint16_t)(vm->index + 1); /* AMD-Vi and VT-d (with CM) reserve 0 */
    int r = iopt_init(&pv->iopt, fmt, coherent ? &env_coherent : &env_flushed, levels);
    for (unsigned i = 0; !r && i < vm->ram.nslots; i++) /* each RAM chunk at its GPA */
        r = iopt_map(&pv->iopt, vm->ram.slot[i].gpa, vm->ram.slot[i].hpa, vm->ram.slot[i].size,
                     IOPT_R | IOPT_W);
    if (r) {
        snprintf(why, n, "no memory for the I/O page tables");
        return -1;
    }
    return 0;
}

/* The firmware's reserved regions for the device (RMRR, IVMD unity maps:
 * memory it keeps using, VT-d 8.4, #48882 5.2.2.3), mapped 1:1 beside the
 * VM's RAM; one that overlaps the RAM cannot be, and an exclusion range
 * would bypass translation: both refuse the device. */
static int unity_maps(struct vm *vm, struct pt_vm *pv, uint16_t bdf, char *why, size_t n)
{
    unsigned idx[IOMMU_MAX_REGIONS];
    unsigned nr = iommu_regions_for(&iommu_host, 0, bdf, idx, IOMMU_MAX_REGIONS);

    for (unsigned i = 0; i < nr && i < IOMMU_MAX_REGIONS; i++) {
        const struct iommu_region *r = &iommu_host.region[idx[i]];
        uint64_t base = r->base & ~(IOPT_PAGE - 1);
        uint64_t end = (r->base + r->length + IOPT_PAGE - 1) & ~(IOPT_PAGE - 1);
        unsigned perm = (r->flags & IOMMU_RF_READ ? IOPT_R : 0) | (r->flags & IOMMU_RF_WRITE ? IOPT_W : 0);
        if (r->flags & IOMMU_RF_EXCLUSION) {
            snprintf(why, n, "the firmware's exclusion range %#llx..%#llx would leave its DMA "
                     "untranslated", (unsigned long long)r->base,
                     (unsigned long long)(r->base + r->length - 1));
            return -1;
        }
        if (!(r->flags & IOMMU_RF_UNITY) || !perm)
            continue;
        if (gram_overlaps_ram(vm->mem_size, base, end - base)) {
            snprintf(why, n, "its reserved region %#llx..%#llx (%s) overlaps the VM's RAM",
                     (unsigned long long)r->base, (unsigned long long)(r->base + r->length - 1),
                     iommu_host.vendor == IOMMU_VTD ? "RMRR" : "IVMD");
            return -1;
        }
        if (iopt_map(&pv->iopt, base, base, end - base, perm)) {
            snprintf(why, n, "its reserved region %#llx..%#llx cannot be mapped 1:1",
                     (unsigned long long)r->base, (unsigned long long)(r->base + r->length - 1));
            return -1;
        }
        log_info("vm%u (%s): %02x:%02x.%x keeps the firmware's region %#llx..%#llx mapped 1:1",
                 vm->index, vm->name, BDF_ARGS(bdf), (unsigned long long)base,
                 (unsigned long long)(end - 1));
    }
    return 0;
}

static int assign_one(struct vm *vm, struct pt_vm *pv, uint16_t bdf, char *why, size_t n)
{
    unsigned unit = 0;
    const char *no = refusal(vm, bdf, &unit, why, n);
    uint32_t flags[PCI_PT_BARS];

    if (no) {
        if (no != why)
            snprintf(why, n, "%s", no);
        return -1;
    }
    if (nvectors >= HOST_VEC_PASSTHRU_N) {
        snprintf(why, n, "Keel's %u host vectors for assigned devices are taken", HOST_VEC_PASSTHRU_N);
        return -1;
    }
    /* The MSI-X capability is read before any vector is taken: its
     * refusal leaves MSI (and INTx off) as before. */
    if (build_tables(vm, pv, unit, why, n) || unity_maps(vm, pv, bdf, why, n))
        return -1;
    struct pt_dev *d = &pv->dev[pv->ndev];
    d->vm = vm;
    d->route_lock = (struct spinlock)SPINLOCK_INIT;
    d->hf = pci_host_find(bdf);
    d->unit = unit;
    /* Quiet until the guest drives it: no decoding, no bus mastering, no
     * INTx (PCI 3.0 6.2.2), MSI off. */
    pci_host_write(bdf, PCI_CFG_COMMAND, 2, PCI_CMD_INTX_DISABLE);
    if (d->hf->msi_cap)
        pci_host_write(bdf, d->hf->msi_cap + 2u, 2, pci_host_read(bdf, d->hf->msi_cap + 2u, 2) & ~1u);
    if (d->hf->msix_cap)
        pci_host_write(bdf, d->hf->msix_cap + PCI_MSIX_CTL, 2,
                       pci_host_read(bdf, d->hf->msix_cap + PCI_MSIX_CTL, 2) & ~PCI_MSIX_CTL_ENABLE);
    size_bars(d, flags);
    if (iommu_attach(unit, bdf, pv->domain, pv->iopt.root, pv->iopt.levels, __func__)) {
        snprintf(why, n, "IOMMU unit %u did not take its entry (see above)", unit);
        return -1;
    }
    pci_pt_init(&d->pt, &pt_ops, d, d->bar_size, flags, d->hf->msi_cap);
    pt_msix_setup(d, HOST_VEC_PASSTHRU_N - nvectors);
    int slot = pci_attach(&vm->plat->pci, &d->pt);
    if (slot < 0) {
        snprintf(why, n, "the VM's PCI bus is full");
        return -1;
    }
    d->slot = (unsigned)slot;
    for (unsigned i = 0; i < d->nvec; i++) {
        struct pt_vec *v = &d->vec[i];
        v->dev = d;
        v->index = i;
        v->route = (struct irq_post_route){ .kind = IRQ_POST_OFF, .why = IRQ_WHY_MSI_OFF, .target = -1 };
        v->vector = (uint8_t)(HOST_VEC_PASSTHRU + nvectors);
        by_vector[nvectors++] = v;
    }
    d->hf->assigned_vm = (int)vm->index;
    pv->ndev++;
    return 0;
}

int passthru_vm_init(struct vm *vm, const struct passthru_cfg *cfg)
{
    struct pt_vm *pv = &pt_vms[vm->index];
    char why[160];

    pv->fault_continue = cfg->dma_fault_continue;
    for (unsigned i = 0; i < cfg->npci && i < PT_MAX_DEVS; i++) {
        uint16_t bdf = cfg->pci[i];
        if (assign_one(vm, pv, bdf, why, sizeof(why))) {
            log_err("vm%u (%s): cannot assign PCI function %02x:%02x.%x: %s", vm->index, vm->name,
                    BDF_ARGS(bdf), why);
            passthru_vm_stop(vm); /* the ones assigned before: quiet and blocked again */
            return -1;
        }
        const struct pt_dev *d = &pv->dev[pv->ndev - 1];
        log_info("vm%u (%s): PCI function %02x:%02x.%x [%04x:%04x] assigned as 00:%02x.0 on its "
                 "bus; IOMMU unit %u (%s), domain %u, %u-level I/O page tables over %llu MiB%s; "
                 "MSI %s", vm->index, vm->name, BDF_ARGS(bdf), d->hf->vendor, d->hf->device, d->slot,
                 d->unit, pv->fmt->name, pv->domain, pv->iopt.levels,
                 (unsigned long long)(vm->mem_size >> 20),
                 pv->coherent ? "" : " (flushed: walks not coherent)",
                 iommu_msi_remaps(d->unit) ? "remapped (IRTE)" : "direct (not remapped)");
        /* Faults are reported at once on the unit's fault interrupt, and
         * still polled (a lost interrupt costs at most a millisecond). */
        (void)iommu_fault_irq_setup(d->unit, HOST_VEC_IOMMU, vm->vcpus[0]->pcpu->apic_id);
        bool x2;
        if (iommu_msi_posts(d->unit, &x2) &&
            iommu_ga_irq_setup(d->unit, HOST_VEC_IOMMU, vm->vcpus[0]->pcpu->apic_id) == 0)
            log_info("vm%u (%s): IOMMU unit %u posts interrupts: single-target MSIs go straight "
                     "to the vCPU while its APIC runs accelerated", vm->index, vm->name, d->unit);
    }
    return 0;
}

/* ---- Interrupts and faults at run time ---- */

void passthru_host_irq(unsigned vector)
{
    unsigned i = vector - HOST_VEC_PASSTHRU;

    if (i < nvectors)
        __atomic_store_n(&by_vector[i]->irq_pending, 1, __ATOMIC_RELEASE);
}

/* ---- Posting: placement, acceleration, the GA log ---- */

/* One vector's guest-mode IRTE follows vCPU v's placement (AMD-Vi). */
static void vec_place(struct pt_vec *pvv, struct vcpu *v)
{
    struct pt_dev *d = pvv->dev;
    struct irq_post_route *r = &pvv->route;

    /* A hint without the lock; decided again under it. */
    if (__atomic_load_n(&r->kind, __ATOMIC_RELAXED) != IRQ_POST_POSTED ||
        iommu_host.unit[d->unit].vendor != IOMMU_AMD_VI)
        return; /* VT-d: NV/NDST follow in the descriptor (vmx/vmx_posted.c) */
    spin_lock(&d->route_lock);
    uint64_t p = vcpu_placement(v);
    bool changed = false;
    int wide = -1;
    if (r->kind == IRQ_POST_POSTED && r->target == (int)v->index)
        wide = irq_post_amd_place(&r->irte_lo, &r->irte_hi, (uint32_t)(p & VCPU_PLACE_HOST_ID_MASK),
                                  p & VCPU_PLACE_RUNNING, &changed);
    if (wide >= 0 && changed &&
        iommu_irte_place(d->unit, d->hf->bdf, pvv->index, r->irte_lo, r->irte_hi, wide == 1,
                         __func__))
        log_warn("vm%u (%s): %02x:%02x.%x: the posted IRTE did not follow vCPU %u (see above)",
                 v->vm->index, v->vm->name, BDF_ARGS(d->hf->bdf), v->index);
    spin_unlock(&d->route_lock);
}

void passthru_placement(struct vcpu *v)
{
    struct pt_vm *pv = &pt_vms[v->vm->index];

    if (!pv->ndev || __atomic_load_n(&pv->stopped, __ATOMIC_ACQUIRE))
        return;
    for (unsigned i = 0; i < pv->ndev; i++)
        for (unsigned j = 0; j < pv->dev[i].nvec; j++)
            vec_place(&pv->dev[i].vec[j], v);
}

void passthru_accel_changed(struct vm *vm)
{
    struct pt_vm *pv = &pt_vms[vm->index];

    if (!pv->ndev)
        return;
    __atomic_store_n(&pv->reroute, 1, __ATOMIC_RELEASE);
    vcpu_kick(vm->vcpus[0]);
}

/* The acceleration every route was decided with: the VM's activation and
 * each vCPU's own (its APIC mode can turn it off without a VM toggle). */
static uint64_t accel_signature(const struct vm *vm)
{
    uint64_t sig = apic_inhibit_active(&vm->inhibit) ? 1 : 0;
    for (unsigned i = 0; i < vm->nvcpus && i < 63; i++)
        sig |= (uint64_t)vcpu_accel_posts(vm->vcpus[i]) << (i + 1);
    return sig;
}

/* vCPU 0's run loop: every device's route decided again after a change of
 * acceleration (the IRTE rewritten only where it changes). */
static void reroute_all(struct vm *vm, struct pt_vm *pv)
{
    uint64_t sig = accel_signature(vm);

    if (!__atomic_exchange_n(&pv->reroute, 0, __ATOMIC_ACQ_REL) && sig == pv->accel_sig)
        return;
    pv->accel_sig = sig;
    for (unsigned i = 0; i < pv->ndev; i++)
        for (unsigned j = 0; j < pv->dev[i].nvec; j++) {
            struct pt_vec *v = &pv->dev[i].vec[j];
            struct irq_post_route old, now;
            uint64_t maddr;
            uint32_t mdata;
            if (!__atomic_load_n(&v->g_enabled, __ATOMIC_RELAXED))
                continue; /* a hint: route_apply reads it again under route_lock */
            (void)route_apply(v, false, __func__, &maddr, &mdata, &old, &now);
            if (old.kind != now.kind || old.target != now.target) {
                char path[96];
                irq_post_describe(&now, path, sizeof(path));
                log_debug("vm%u: %02x:%02x.%x vector %u now %s", vm->index,
                          BDF_ARGS(pv->dev[i].hf->bdf), j, path);
            }
        }
}

/* A GA log entry: the vCPU its tag names (GA_TAG_VM_SHIFT) is woken with
 * the vLAPIC's own kick; the interrupt is already in its IRR (the backing
 * page).  A tag naming no vCPU is ignored (it cannot come from Keel's
 * IRTEs). */
static void ga_wake(void *ctx, uint32_t tag, uint16_t devid)
{
    unsigned vmi = (tag >> GA_TAG_VM_SHIFT) - 1, vi = tag & ((1u << GA_TAG_VM_SHIFT) - 1);
    (void)ctx;
    (void)devid;
    if (vmi < nvms && vms[vmi] && vi < vms[vmi]->nvcpus)
        vcpu_kick(vms[vmi]->vcpus[vi]);
}

/* Every posting unit's GA log; an overflow lost entries: every vCPU a
 * device posts to is woken (a spurious wake-up costs one pass). */
static void ga_logs(bool in_irq)
{
    bool done[IOMMU_MAX_UNITS] = { false }, overflow = false;

    for (unsigned v = 0; v < VM_MAX; v++)
        for (unsigned i = 0; i < pt_vms[v].ndev; i++) {
            unsigned u = pt_vms[v].dev[i].unit;
            if (!done[u] && iommu_ga_poll(u, in_irq, ga_wake, NULL) < 0)
                overflow = true;
            done[u] = true;
        }
    for (unsigned v = 0; overflow && v < VM_MAX; v++)
        for (unsigned i = 0; i < pt_vms[v].ndev; i++)
            for (unsigned j = 0; j < pt_vms[v].dev[i].nvec; j++) {
                const struct pt_dev *d = &pt_vms[v].dev[i];
                const struct irq_post_route *r = &d->vec[j].route;
                /* Interrupt context: no lock, a snapshot of the route is
                 * enough (a stale target costs one spurious wake-up). */
                int t = __atomic_load_n(&r->target, __ATOMIC_RELAXED);
                if (__atomic_load_n(&r->kind, __ATOMIC_RELAXED) == IRQ_POST_POSTED &&
                    t >= 0 && (unsigned)t < d->vm->nvcpus)
                    vcpu_kick(d->vm->vcpus[t]);
            }
}

/* HOST_VEC_IOMMU: a GA log entry or a recorded fault (VT-d fault event,
 * AMD-Vi event log interrupt): the GA logs read here, the faults by each
 * VM's vCPU 0 run loop, kicked (logging and stopping a VM are not for
 * interrupt context). */
void passthru_iommu_irq(void)
{
    ga_logs(true);
    for (unsigned v = 0; v < VM_MAX; v++)
        if (pt_vms[v].ndev && !__atomic_load_n(&pt_vms[v].stopped, __ATOMIC_ACQUIRE)) {
            __atomic_store_n(&pt_vms[v].faults_now, 1, __ATOMIC_RELEASE);
            vcpu_kick(pt_vms[v].dev[0].vm->vcpus[0]);
        }
}

/* The guest's message for vector v (its MSI-X entry while the guest has
 * MSI-X enabled, else its MSI), as it programmed it, into its vLAPICs. */
static void inject(struct pt_vec *v)
{
    struct pt_dev *d = v->dev;
    struct vplatform *p = d->vm->plat;
    struct apic_msg m;
    bool on;
    uint64_t addr;
    uint16_t data;

    spin_lock(&p->lock);
    if (d->msix && d->mx.enable) {
        const struct pci_msix_entry *e = &d->mx.e[v->index];
        on = e->on;
        addr = e->on_addr;
        data = (uint16_t)e->on_data;
    } else {
        on = v->index == 0 && (d->pt.msi_ctl & 1);
        addr = d->pt.msi_addr;
        data = d->pt.msi_data;
    }
    spin_unlock(&p->lock);
    /* Through the VM's virtual VT-d unit when it has one (hv/dev/vtd_ir.h). */
    if (on && vplatform_msi_message(p, addr, data, guest_sid(d), &m))
        vapic_route(d->vm, &m); /* else off meanwhile, aimed at no APIC, or blocked */
}

/* The VM that owns the faulting device, by requester ID. */
static void fault_report(void *ctx, unsigned unit, const struct iommu_fault *f)
{
    char line[200];
    (void)ctx;

    iommu_fault_format(f, line, sizeof(line));
    for (unsigned v = 0; v < VM_MAX; v++) {
        struct pt_vm *pv = &pt_vms[v];
        for (unsigned i = 0; i < pv->ndev; i++) {
            struct vm *vm = pv->dev[i].vm;
            if (!(f->flags & IOMMU_FA_HAS_DEVICE) || pv->dev[i].hf->bdf != f->bdf)
                continue;
            log_warn("vm%u (%s): DMA fault: %s (IOMMU unit %u)", vm->index, vm->name, line, unit);
            __atomic_add_fetch(&pv->dev[i].faults, 1, __ATOMIC_RELAXED);
            if (!pv->fault_continue && f->kind == IOMMU_FAULT_DMA)
                vm_end(vm, KEEL_STATUS_GUEST_FAULT, "stopped: DMA fault by %02x:%02x.%x "
                       "(on_dma_fault = stop)", BDF_ARGS(f->bdf));
            return;
        }
    }
    __atomic_add_fetch(&unowned_faults, 1, __ATOMIC_RELAXED);
    log_warn("iommu: unit %u: %s (no VM owns the device)", unit, line);
}

int passthru_describe(const struct vm *vm, unsigned i, char *buf, size_t n)
{
    const struct pt_vm *pv = &pt_vms[vm->index];
    if (i >= pv->ndev)
        return -1;
    struct pt_dev *d = (struct pt_dev *)&pv->dev[i];
    char path[112], label[32] = "MSI";
    uint64_t switches = 0;
    unsigned on = 0;
    spin_lock(&d->route_lock);
    struct irq_post_route r = d->vec[0].route; /* the first vector on, else vector 0 */
    for (unsigned j = d->nvec; j-- > 0;) {
        switches += d->vec[j].switches;
        if (d->vec[j].route.kind != IRQ_POST_OFF) {
            r = d->vec[j].route;
            on++;
        }
    }
    spin_unlock(&d->route_lock);
    if (d->msix)
        snprintf(label, sizeof(label), "MSI-X %u/%u on, first", on, d->nvec);
    if (r.kind == IRQ_POST_OFF)         /* not enabled yet: the path it would take */
        snprintf(path, sizeof(path), "%s (%s)", iommu_msi_remaps(d->unit) ? "remapped" : "direct",
                 irq_post_why_text(r.why));
    else
        irq_post_describe(&r, path, sizeof(path));
    if (switches)
        snprintf(path + strlen(path), sizeof(path) - strlen(path), ", %lu switch%s",
                 (unsigned long)switches, switches == 1 ? "" : "es");
    snprintf(buf, n, "%02x:%02x.%x [%04x:%04x] as 00:%02x.0, IOMMU unit %u, domain %u, %s %s, "
             "%lu DMA fault%s%s", BDF_ARGS(d->hf->bdf), d->hf->vendor, d->hf->device, d->slot,
             d->unit, pv->domain, label, path,
             (unsigned long)__atomic_load_n(&d->faults, __ATOMIC_RELAXED),
             __atomic_load_n(&d->faults, __ATOMIC_RELAXED) == 1 ? "" : "s",
             pv->stopped ? " (stopped: bus mastering off)" : "");
    return 0;
}

uint64_t passthru_unowned_faults(void)
{
    return __atomic_load_n(&unowned_faults, __ATOMIC_RELAXED);
}

static void poll_faults(const struct pt_vm *pv)
{
    bool polled[IOMMU_MAX_UNITS] = { false };

    for (unsigned i = 0; i < pv->ndev; i++) {
        if (polled[pv->dev[i].unit])
            continue;
        polled[pv->dev[i].unit] = true;
        iommu_poll_faults(pv->dev[i].unit, fault_report, NULL);
    }
}

void passthru_poll(struct vm *vm)
{
    struct pt_vm *pv = &pt_vms[vm->index];

    if (!pv->ndev)
        return;
    if (!__atomic_load_n(&pv->stopped, __ATOMIC_ACQUIRE))
        reroute_all(vm, pv);
    for (unsigned i = 0; i < pv->ndev; i++)
        for (unsigned j = 0; j < pv->dev[i].nvec; j++)
            if (__atomic_exchange_n(&pv->dev[i].vec[j].irq_pending, 0, __ATOMIC_ACQ_REL))
                inject(&pv->dev[i].vec[j]);
    uint64_t now = rdtsc();
    bool irq = __atomic_exchange_n(&pv->faults_now, 0, __ATOMIC_ACQ_REL);
    if (irq && !pv->fault_irq_seen) {
        pv->fault_irq_seen = true;
        log_info("vm%u (%s): IOMMU interrupt taken: faults and GA log entries are handled at "
                 "once (and still polled every %u us)", vm->index, vm->name, POLL_EVERY_US);
    }
    if (now < pv->next_poll && !irq)
        return;
    pv->next_poll = now + tsc_hz / 1000000 * POLL_EVERY_US;
    poll_faults(pv);
    ga_logs(false); /* a GA log interrupt missed or not set up: at most a millisecond late */
}

/* PCIe 3.0 6.6.2: function-level reset, then 100 ms before the function
 * may be touched again. */
static bool flr(const struct pci_host_fn *hf)
{
    if (!hf->flr)
        return false;
    unsigned ctl = hf->pcie_cap + PCI_PCIE_DEVCTL;
    pci_host_write(hf->bdf, ctl, 2, pci_host_read(hf->bdf, ctl, 2) | PCI_PCIE_DEVCTL_FLR);
    udelay(100000);
    return true;
}

void passthru_vm_stop(struct vm *vm)
{
    struct pt_vm *pv = &pt_vms[vm->index];

    if (!pv->ndev || __atomic_exchange_n(&pv->stopped, true, __ATOMIC_ACQ_REL))
        return;
    poll_faults(pv); /* what the device did up to now is reported for this VM */
    for (unsigned i = 0; i < pv->ndev; i++) {
        struct pt_dev *d = &pv->dev[i];
        uint16_t bdf = d->hf->bdf;
        /* Bus mastering and decoding off first: the device stops issuing
         * DMA before anything of the VM's memory may be reused. */
        pci_host_write(bdf, PCI_CFG_COMMAND, 2, PCI_CMD_INTX_DISABLE);
        if (d->hf->msi_cap)
            pci_host_write(bdf, d->hf->msi_cap + 2u, 2,
                           pci_host_read(bdf, d->hf->msi_cap + 2u, 2) & ~1u);
        if (d->hf->msix_cap)
            pci_host_write(bdf, d->hf->msix_cap + PCI_MSIX_CTL, 2,
                           pci_host_read(bdf, d->hf->msix_cap + PCI_MSIX_CTL, 2) &
                               ~PCI_MSIX_CTL_ENABLE);
        bool reset = flr(d->hf);
        int r = iommu_detach(d->unit, bdf, pv->domain, __func__);
        log_info("vm%u (%s): %02x:%02x.%x stopped: bus mastering off, %s, IOMMU entry %s",
                 vm->index, vm->name, BDF_ARGS(bdf), reset ? "FLR done" : "no FLR (not offered)",
                 r ? "NOT blocked (see above)" : "blocks its DMA");
    }
}
