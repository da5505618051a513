/* SPDX-License-Identifier: MIT */
/*
 * AVIC on a real CPU: capabilities, the per-VM tables, applying the
 * acceleration decision at each entry, placement (IsRunning and the host
 * APIC ID in the physical table), the doorbell, and the wait around HLT.
 * The layouts and decoders are in svm/avic.c (pure, host-tested).
 *
 * Placement: a vCPU is pinned to one physical CPU, so its entry's host
 * APIC ID is written once; IsRunning is set from its first entry until it
 * blocks in HLT and again when it wakes.  While the vCPU is in host mode
 * with IsRunning set, a sender's doorbell reaches a CPU outside guest mode
 * and does nothing, but the IRR bit is in the backing page and VMRUN
 * evaluates it; before sleeping, block_prepare clears IsRunning and looks
 * at IRR once more, so an interrupt set before the clear is not missed and
 * one set after it makes the sender exit (AVIC_INCOMPLETE_IPI, target not
 * running) and wake this vCPU.
 *
 * Erratum #1235 (seed 001): IsRunning is never set, so every IPI to
 * another vCPU exits and software wakes the target; the host APIC ID is
 * still kept exact (placement record) for doorbells and IOMMU posting.
 */
#include "svm/svm_avic.h"

#include <string.h>

#include "apic/apic_accel.h"
#include "hv/host/console.h"
#include "hv/host/percpu.h"
#include "hv/mm/mem.h"
#include "hv/vapic.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "svm/avic.h"
#include "svm/svm.h"

struct apic_accel_caps svm_accel_caps;
static bool erratum_family;     /* this CPU's family has erratum #1235 */

/* ---- capabilities --------------------------------------------------------- */

static unsigned cpu_family(void)
{
    uint32_t r[4];
    cpuid_count(1, 0, r);
    unsigned fam = (r[0] >> 8) & 0xf;
    return fam == 0xf ? fam + ((r[0] >> 20) & 0xff) : fam;
}

static bool cpu_is_hygon(void)
{
    uint32_t r[4];
    cpuid_count(0, 0, r);
    return r[1] == 0x6f677948u; /* "Hygo" */
}

void svm_avic_probe(void)
{
    struct apic_accel_caps *c = &svm_accel_caps;
    memset(c, 0, sizeof(*c));
    if (!(svm_caps.features & SVM_FEAT_AVIC)) {
        log_info("svm: no AVIC (CPUID 0x8000000A EDX[13]): local APICs emulated");
        return;
    }
    erratum_family = avic_erratum_1235(cpu_is_hygon(), cpu_family());
    c->xapic = true;
    c->x2apic = (svm_caps.features & SVM_FEAT_X2AVIC) != 0;
    c->posted = true;           /* the doorbell: interrupts to a running vCPU without an exit */
    c->ipi = !erratum_family;  /* the default; keel.cfg may say otherwise per VM */
    c->x2apic_hybrid = true;
    /* The tables index by APIC ID 1:1; the CPU opens no interrupt window
     * and completes edge EOIs itself (seed 004). */
    c->inhibits_all = APIC_INHIBIT_ID_MODIFIED | APIC_INHIBIT_ID_ALIASED
                      | APIC_INHIBIT_BASE_MOVED | APIC_INHIBIT_IRQ_WINDOW
                      | APIC_INHIBIT_PIT_REINJECT | APIC_INHIBIT_ID_TOO_BIG;
    log_info("svm: AVIC%s, physical IDs 0..%u%s", c->x2apic ? " and x2AVIC" : " (x2APIC hybrid)",
             avic_max_guest_id(c->x2apic, false),
             erratum_family ? "; this CPU family has erratum #1235" : "");
}

bool svm_avic_present(void)
{
    return svm_accel_caps.xapic;
}

/* ---- per VM and per vCPU ------------------------------------------------- */

/* keel.cfg avic and avic_erratum_1235 for this VM (hv/vapic.h options). */
static bool vm_policy(struct vm *vm, struct svm_vm *s)
{
    const struct vapic_vm_opts *o = vapic_vm_opts(vm);
    if (o->avic == 1 && !svm_avic_present())
        log_warn("vm%u: avic = on, but this CPU has no AVIC (CPUID 0x8000000A EDX[13]): "
                 "the APIC is emulated", vm->index);
    if (o->avic == 0 && svm_avic_present()) {
        vapic_inhibit_at_creation(vm, APIC_INHIBIT_CONFIG);
        log_info("vm%u: avic = off: the APIC is emulated", vm->index);
    }
    s->avic_erratum = o->avic_erratum_1235 < 0 ? erratum_family : o->avic_erratum_1235 > 0;
    if (svm_avic_present() && (s->avic_erratum || erratum_family))
        log_info("vm%u: erratum #1235 workaround %s (%s): %s", vm->index,
                 s->avic_erratum ? "on" : "OFF", o->avic_erratum_1235 < 0 ? "CPU family" : "keel.cfg",
                 s->avic_erratum ? "IsRunning never set, every IPI to another vCPU exits"
                                 : "IPIs to vCPUs that just blocked may be lost");
    return svm_avic_present() && o->avic != 0;
}

int svm_avic_vm_init(struct vm *vm, struct svm_vm *s)
{
    if (!vm_policy(vm, s))
        return 0;
    s->avic_physical = mem_try_alloc(1, 1, 0);
    s->avic_logical = mem_try_alloc(1, 1, 0);
    if (!s->avic_physical || !s->avic_logical)
        return -1;
    if (svm_accel_caps.x2apic) {
        s->msrpm_x2avic = mem_try_alloc(2, 1, 0);
        if (!s->msrpm_x2avic)
            return -1;
        memcpy(s->msrpm_x2avic, s->msrpm, 2 * PAGE_SIZE);
        avic_x2avic_msrpm(s->msrpm_x2avic);
    }
    return 0;
}

int svm_avic_vcpu_init(struct vcpu *v)
{
    struct svm_vm *s = v->vm->vendor;
    if (!s->avic_physical)
        return 0;
    uint32_t id = vapic_initial_id(v);
    if (id > avic_max_guest_id(svm_accel_caps.x2apic, false)) {
        /* The table cannot name this vCPU: AVIC stays off for the VM. */
        vapic_inhibit(v->vm, APIC_INHIBIT_ID_TOO_BIG, true, v);
        return 0;
    }
    uint64_t *phys = s->avic_physical;
    __atomic_store_n(&phys[id], avic_phys_entry(virt_to_phys(v->apic.page), v->pcpu->apic_id,
                                                false), __ATOMIC_RELEASE);
    if (id > s->avic_max_index)
        s->avic_max_index = id;
    return 0;
}

static uint64_t *phys_entry(struct vcpu *v)
{
    struct svm_vm *s = v->vm->vendor;
    uint32_t id = vapic_initial_id(v);
    return s->avic_physical && id < AVIC_PHYS_ENTRIES ? &((uint64_t *)s->avic_physical)[id]
                                                      : NULL;
}

/* IsRunning follows the vCPU; never set under the erratum workaround. */
static void set_running(struct vcpu *v, bool running)
{
    uint64_t *e = phys_entry(v);
    if (!e)
        return;
    uint64_t old = __atomic_load_n(e, __ATOMIC_ACQUIRE);
    const struct svm_vm *s = v->vm->vendor;
    uint64_t nw = avic_phys_running(old, running && !s->avic_erratum);
    if (nw != old)
        __atomic_store_n(e, nw, __ATOMIC_SEQ_CST);
}

/* ---- at each entry ---------------------------------------------------------- */

void svm_avic_apply(struct vcpu *v, struct svm_vcpu *sv)
{
    struct svm_vm *s = v->vm->vendor;
    const struct apic_accel *a = &v->apic.accel;
    if (!s->avic_physical)
        return;
    bool x2 = a->on && a->regs == APIC_ACCEL_REGS_X2APIC;
    if (a->on == sv->avic_on && x2 == sv->avic_x2)
        return;
    struct avic_vmcb_cfg cfg = {
        .enable = a->on,
        .x2apic_mode = x2,
        .apic_bar = vlapic_base_address(&v->apic.vl),
        .backing_pa = virt_to_phys(v->apic.page),
        .logical_pa = virt_to_phys(s->avic_logical),
        .physical_pa = virt_to_phys(s->avic_physical),
        .max_index = s->avic_max_index,
    };
    avic_vmcb_apply(&sv->vmcb->ctl, &cfg);
    /* x2AVIC: the x2APIC MSRs the CPU handles stop exiting while the
     * vCPU is in x2APIC mode with AVIC on, and exit again otherwise. */
    sv->vmcb->ctl.msrpm_base_pa = virt_to_phys(x2 ? s->msrpm_x2avic : s->msrpm);
    /* The CPU caches the AVIC state and the APIC BAR translation: flush
     * (APM: changing the AVIC fields needs a TLB flush of the guest). */
    sv->flush_pending = true;
    /* IsRunning only while AVIC is on for this vCPU: with it off, a doorbell
     * would not reach the emulated APIC, so AVIC senders must exit instead
     * (target not running) and Keel kicks this vCPU. */
    set_running(v, a->on);
    sv->avic_on = a->on;
    sv->avic_x2 = x2;
}

void svm_avic_logical_update(struct vm *vm, const struct apic_dest_view *views, unsigned n)
{
    struct svm_vm *s = vm->vendor;
    if (!s->avic_logical)
        return;
    /* Conflicts are the ID_ALIASED inhibit's (hv/vapic.c publish_view). */
    (void)avic_logical_build(s->avic_logical, views, n);
}

/* ---- delivery and the HLT wait ------------------------------------------------ */

/* Fixed, edge @vector to @t: set IRR in its backing page (atomically: the
 * CPU sets bits there too), then tell it.  A running vCPU in guest mode
 * gets the doorbell; any other is kicked, which wakes it or makes it exit
 * and enter again, evaluating IRR at VMRUN. */
bool svm_avic_post(struct vcpu *t, uint8_t vector)
{
    if (!t->apic.accel.on)
        return false;
    uint32_t *irr = &t->apic.page[(0x200u + (vector >> 5) * 0x10u) >> 2];
    __atomic_fetch_or(irr, 1u << (vector & 31), __ATOMIC_SEQ_CST);
    uint64_t *e = phys_entry(t);
    if (e && t->pcpu != this_cpu() && (__atomic_load_n(e, __ATOMIC_SEQ_CST) & AVIC_PHYS_IS_RUNNING))
        wrmsr(AVIC_DOORBELL_MSR, t->pcpu->apic_id);
    else
        vcpu_kick(t);
    return true;
}

bool svm_avic_block_prepare(struct vcpu *v)
{
    set_running(v, false);
    if (!v->apic.accel.on)
        return true;
    /* Anything that reached IRR before IsRunning was clear: do not sleep. */
    return vapic_pending_intr(v, NULL) == VAPIC_NONE;
}

void svm_avic_block_end(struct vcpu *v)
{
    if (v->apic.accel.on)
        set_running(v, true);
}
