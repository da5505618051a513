/* SPDX-License-Identifier: MIT */
#include "hv/vm_create.h"

#include <stdio.h>
#include <string.h>

#include "hv/host/console.h"
#include "hv/mm/mem.h"
#include "hv/dev/guest_acpi.h"
#include "hv/emul/xsave.h"
#include "hv/linux_boot.h"
#include "hv/multiboot.h"
#include "hv/passthru.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/trace.h"

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

/* Every RAM chunk (hv/mm/guest_ram.h) mapped write-back with the largest
 * nested pages the CPU offers and the chunk's host and guest alignment
 * allow (npt_map picks them).  Nothing inside RAM is trapped at creation:
 * the platform's pages (I/O APIC, local APIC, ECAM) lie in the hole below
 * 4 GiB, where nothing is mapped, so their accesses fault to the MMIO
 * bus.  Later 4 KiB holes (an APIC page moved into RAM: hv/vapic.c) and
 * BAR mappings (hv/passthru.c) split large pages as needed (npt.c). */
static int vm_map_memory(struct vm *vm)
{
    unsigned max_level = vops->npt_max_level ? vops->npt_max_level() : 2;
    int r = npt_init(&vm->npt, vops->npt_format, &npt_env_hv, max_level);
    for (unsigned i = 0; !r && i < vm->ram.nslots; i++) {
        const struct gram_slot *s = &vm->ram.slot[i];
        r = npt_map(&vm->npt, s->gpa, s->hpa, s->size, NPT_RWX, NPT_MT_WB);
    }
    if (r) {
        log_err("vm%u: cannot build nested page tables (%d)", vm->index, r);
        return r;
    }
    npt_take_flush(&vm->npt); /* nothing ran yet: the first entry flushes anyway */
    uint64_t n[NPT_LEVELS];
    npt_count_leaves(&vm->npt, n);
    log_info("vm%u (%s): %lu MiB RAM (%lu below 4 GiB) in %u host chunk%s; nested pages up to "
             "%s: 1G=%lu 2M=%lu 4K=%lu", vm->index, vm->name, (unsigned long)(vm->mem_size >> 20),
             (unsigned long)(gram_low_size(vm->mem_size) >> 20), vm->ram.nslots,
             vm->ram.nslots == 1 ? "" : "s", max_level == 3 ? "1G" : max_level == 2 ? "2M" : "4K",
             (unsigned long)n[3], (unsigned long)n[2], (unsigned long)n[1]);
    return 0;
}

static int vm_load_multiboot(struct vm *vm, const struct vm_spec *s, uint64_t *entry, char *err,
                             size_t errlen)
{
    struct mb_load_result res;
    uint64_t low = gram_low_size(vm->mem_size);
    if (mb_load(s->image, s->image_len, s->cmdline, s->mods, s->nmods,
                phys_to_virt(vm->mem_hpa), low, vm->mem_size - low, &res, err, errlen))
        return -1;
    vcpu_start_multiboot(vm->vcpus[0], res.entry, MB_MAGIC_BOOTLOADER, res.info_gpa);
    *entry = res.entry;
    return 0;
}

/* The platform's layout for the kernel's e820 map: the ACPI tables
 * vplatform_create() wrote, the I/O APIC and the local APIC pages, the
 * ECAM window and the RAM above 4 GiB.  The kernel and initrd go into the
 * RAM below 4 GiB (one host chunk). */
static int vm_load_linux(struct vm *vm, const struct vm_spec *s, uint64_t *entry, char *err,
                         size_t errlen)
{
    const struct lb_platform plat = {
        .acpi_gpa = VPLAT_ACPI_GPA, .acpi_size = VPLAT_ACPI_SIZE,
        .rsdp_gpa = vm->plat->acpi_rsdp,
        .ioapic_gpa = VPLAT_IOAPIC_BASE, .ioapic_size = VPLAT_IOAPIC_SIZE,
        .lapic_gpa = GUEST_ACPI_LAPIC_BASE, .lapic_size = PAGE_SIZE,
        .high_ram_size = vm->mem_size - gram_low_size(vm->mem_size),
        .ecam_gpa = GRAM_ECAM_BASE, .ecam_size = GRAM_ECAM_SIZE,
    };
    struct lb_load_result res;
    if (lb_load(s->image, s->image_len, s->cmdline, s->initrd, s->initrd_len, &plat,
                phys_to_virt(vm->mem_hpa), gram_low_size(vm->mem_size), &res, err, errlen))
        return -1;
    vcpu_start_linux64(vm->vcpus[0], res.entry, res.boot_params, res.cr3, res.gdt_base,
                       res.gdt_limit);
    log_info("vm%u (%s): Linux boot protocol %u.%02u, kernel at %#lx, initrd %lu bytes at %#lx",
             vm->index, vm->name, res.info.version >> 8, res.info.version & 0xff,
             (unsigned long)res.info.load_addr, (unsigned long)s->initrd_len,
             (unsigned long)res.info.initrd_addr);
    *entry = res.entry;
    return 0;
}

static int vm_load_guest(struct vm *vm, const struct vm_spec *s)
{
    char err[200];
    uint64_t entry;
    int r = s->linux_guest ? vm_load_linux(vm, s, &entry, err, sizeof(err))
                           : vm_load_multiboot(vm, s, &entry, err, sizeof(err));
    if (r) {
        log_err("vm%u (%s): cannot load the guest: %s", vm->index, vm->name, err);
        return -1;
    }
    struct vcpu *bsp = vm->vcpus[0];
    bsp->state = VCPU_RUNNABLE;
    bsp->started = true;
    log_info("vm%u (%s): %lu MiB, %u vCPU%s on CPUs %u-%u, entry %#lx", vm->index, vm->name,
             (unsigned long)(vm->mem_size >> 20), vm->nvcpus, vm->nvcpus == 1 ? "" : "s",
             s->first_cpu, s->first_cpu + s->ncpus - 1, (unsigned long)entry);
    return 0;
}

static int vcpu_create(struct vm *vm, unsigned i, struct percpu *pc)
{
    _Static_assert(sizeof(struct vcpu) <= PAGE_SIZE, "struct vcpu fits its page");
    struct vcpu *v = mem_try_alloc(1, 1, 0);
    if (!v)
        return -1;
    _Static_assert(sizeof(struct vcpu_decode_memo) <= VCPU_DECODE_MEMO_PAGES * PAGE_SIZE,
                   "the decode memo fits its pages");
    v->fpu = mem_try_alloc(1, 1, 0);
    v->trace = mem_try_alloc(VCPU_TRACE_PAGES, 1, 0);
    v->decode_memo = mem_try_alloc(VCPU_DECODE_MEMO_PAGES, 1, 0);
    if (!v->fpu || !v->trace || !v->decode_memo)
        return -1;
    v->vm = vm;
    v->index = i;
    v->pcpu = pc;
    v->state = VCPU_WAIT_START;
    fpu_init_state(v->fpu);
    vcpu_firmware_defaults(v);
    pc->fpu_guest_saved = true; /* load the reset state at the first entry */
    vm->vcpus[i] = v;
    if (vops->vcpu_init(v) || vapic_create(v))
        return -1;
    /* vNMI is chosen once per vCPU (svm_vcpu_init): without it the run
     * loop has no NMI state of the CPU's to follow after each exit. */
    v->nmi_hw_on = vops->nmi_hw && (vops->nmi_hw(v) & NMI_HW_ON);
    pc->vcpu = v;
    return 0;
}

void vcpu_firmware_defaults(struct vcpu *v)
{
    v->xcr0 = XCR0_X87;         /* XCR0 after RESET (SDM vol. 1, 13.3) */
    /* Keel boots its guests without firmware, so it leaves the MTRRs as
     * firmware would: enabled, default type WB (docs/msrs.md). */
    memset(&v->msrs, 0, sizeof(v->msrs));
    v->msrs.mtrr_def_type = MTRR_DEF_E | 6;
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
    vm->ram = s->ram;
    vm->asid = s->index + 1; /* ASID 0 is the host's */
    vm->nvcpus = s->ncpus;
    vm->spec = s; /* boot.vm[]: kept, with the images read at boot, for restarts */
    vm->on_reboot_stop = s->on_reboot_stop;
    vm->invariant_tsc = s->invariant_tsc;
    vm->triple_fault_reset = s->triple_fault_reset;
    /* The APIC's options and inhibit machine first: the vendor's vm_init
     * reads them (svm: keel.cfg avic). */
    if (vm_map_memory(vm) || vapic_vm_init(vm, &s->apic) || vops->vm_init(vm)
        || vplatform_create(vm, &s->platform) || passthru_vm_init(vm, &s->pci))
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

int vm_reload_guest(struct vm *vm)
{
    return vm_load_guest(vm, vm->spec);
}
