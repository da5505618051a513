/* SPDX-License-Identifier: MIT */
#include "hv/vm_create.h"

#include <stdio.h>
#include <string.h>

#include "hv/host/console.h"
#include "hv/mm/mem.h"
#include "hv/multiboot.h"
#include "hv/vendor.h"
#include "hv/vm.h"

static uint64_t npt_alloc_table(void *ctx)
{
    void *p = mem_try_alloc(1, 1, 0);
    return p ? virt_to_phys(p) : 0;
}

static void npt_free_table(void *ctx, uint64_t hpa)
{
    mem_free_pages(phys_to_virt(hpa), 1);
}

static void *npt_map_table(void *ctx, uint64_t hpa)
{
    return phys_to_virt(hpa);
}

static const struct npt_env npt_env_hv = {
    .ctx = NULL,
    .alloc_table = npt_alloc_table,
    .free_table = npt_free_table,
    .map = npt_map_table,
};

static int vm_map_memory(struct vm *vm)
{
    int r = npt_init(&vm->npt, vops->npt_format, &npt_env_hv, 2);
    if (!r)
        r = npt_map(&vm->npt, 0, vm->mem_hpa, vm->mem_size, NPT_RWX, NPT_MT_WB);
    if (r)
        log_err("vm%u: cannot build nested page tables (%d)", vm->index, r);
    npt_take_flush(&vm->npt); /* nothing ran yet: the first entry flushes anyway */
    return r;
}

static int vm_load_guest(struct vm *vm, const struct vm_spec *s)
{
    struct mb_load_result res;
    char err[160];
    if (mb_load(s->image, s->image_len, s->cmdline, s->mods, s->nmods,
                phys_to_virt(vm->mem_hpa), vm->mem_size, &res, err, sizeof(err))) {
        log_err("vm%u (%s): cannot load the guest: %s", vm->index, vm->name, err);
        return -1;
    }
    struct vcpu *bsp = vm->vcpus[0];
    vcpu_start_multiboot(bsp, res.entry, MB_MAGIC_BOOTLOADER, res.info_gpa);
    bsp->state = VCPU_RUNNABLE;
    bsp->started = true;
    log_info("vm%u (%s): %lu MiB, %u vCPU%s on CPUs %u-%u, entry %#x", vm->index, vm->name,
             (unsigned long)(vm->mem_size >> 20), vm->nvcpus, vm->nvcpus == 1 ? "" : "s",
             s->first_cpu, s->first_cpu + s->ncpus - 1, res.entry);
    return 0;
}

static int vcpu_create(struct vm *vm, unsigned i, struct percpu *pc)
{
    struct vcpu *v = mem_try_alloc(1, 1, 0);
    if (!v)
        return -1;
    v->fpu = mem_try_alloc(1, 1, 0);
    if (!v->fpu)
        return -1;
    v->vm = vm;
    v->index = i;
    v->pcpu = pc;
    v->state = VCPU_WAIT_START;
    fpu_init_state(v->fpu);
    pc->fpu_guest_saved = true; /* load the reset state at the first entry */
    vm->vcpus[i] = v;
    if (vops->vcpu_init(v) || vapic_create(v))
        return -1;
    pc->vcpu = v;
    return 0;
}

int vm_create(const struct vm_spec *s, struct vm **out)
{
    _Static_assert(sizeof(struct vm) <= 4 * PAGE_SIZE, "struct vm fits its allocation");
    struct vm *vm = mem_try_alloc(4, 1, 0);
    if (!vm) {
        log_err("vm%u: out of memory", s->index);
        return -1;
    }
    vm->index = s->index;
    snprintf(vm->name, sizeof(vm->name), "%s", s->name);
    snprintf(vm->con_prefix, sizeof(vm->con_prefix), "vm%u| ", s->index);
    vm->lock = (struct spinlock)SPINLOCK_INIT;
    vm->npt_lock = (struct spinlock)SPINLOCK_INIT;
    vm->mem_size = s->mem_size;
    vm->mem_hpa = s->mem_hpa;
    vm->asid = s->index + 1; /* ASID 0 is the host's */
    vm->nvcpus = s->ncpus;
    /* The APIC's options and inhibit machine first: the vendor's vm_init
     * reads them (svm: keel.cfg avic). */
    if (vm_map_memory(vm) || vapic_vm_init(vm, &s->apic) || vops->vm_init(vm)
        || vplatform_create(vm, &s->platform))
        return -1;
    for (unsigned i = 0; i < s->ncpus; i++) {
        if (vcpu_create(vm, i, cpus[s->first_cpu + i])) {
            log_err("vm%u: cannot create vCPU %u", vm->index, i);
            return -1;
        }
    }
    vapic_accel_update_page(vm); /* every APIC starts in xAPIC mode at FEE00000H */
    if (vm_load_guest(vm, s))
        return -1;
    *out = vm;
    return 0;
}
