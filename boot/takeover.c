/* SPDX-License-Identifier: MIT */
/*
 * Leaving UEFI and taking the machine: ExitBootServices, the hypervisor's
 * own page tables, stack, descriptor tables and memory allocator, then the
 * other CPUs and the VMs.
 */
#include <efi.h>
#include <efilib.h>
#include <string.h>

#include "boot/boot.h"
#include "hv/host/console.h"
#include "hv/host/desc.h"
#include "hv/host/fpu.h"
#include "hv/host/hosttimer.h"
#include "hv/host/lapic_host.h"
#include "hv/mm/mem.h"
#include "hv/mm/npt.h"
#include "hv/host/panic.h"
#include "hv/abi.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/shell/conin.h"
#include "hv/x86.h"

#define LOW_MEMORY_END 0x100000ull
#define CPUIDX1_EDX_NX (1u << 20)

static void boot_exit_services(EFI_HANDLE image)
{
    UINTN size = BOOT_MAX_MMAP_BYTES, key, dsize;
    UINT32 dver;
    EFI_STATUS st;
    uefi_call_wrapper(BS->AllocatePool, 3, EfiLoaderData, size, (void **)&boot.mmap);
    for (int tries = 0; tries < 8; tries++) {
        size = BOOT_MAX_MMAP_BYTES;
        st = uefi_call_wrapper(BS->GetMemoryMap, 5, &size, (EFI_MEMORY_DESCRIPTOR *)boot.mmap,
                               &key, &dsize, &dver);
        if (EFI_ERROR(st))
            break;
        /* Nothing may print between GetMemoryMap and ExitBootServices:
         * console output can allocate and change the map key. */
        st = uefi_call_wrapper(BS->ExitBootServices, 2, image, key);
        if (!EFI_ERROR(st)) {
            boot.mmap_size = size;
            boot.mmap_desc_size = dsize;
            return;
        }
    }
    log_err("ExitBootServices failed: EFI status %#lx; halting", (unsigned long)st);
    for (;;)
        cpu_halt();
}

static void feed_memory(bool boot_services)
{
    for (uint64_t off = 0; off + boot.mmap_desc_size <= boot.mmap_size; off += boot.mmap_desc_size) {
        EFI_MEMORY_DESCRIPTOR *d = (EFI_MEMORY_DESCRIPTOR *)(boot.mmap + off);
        bool usable = boot_services ? (d->Type == EfiBootServicesCode || d->Type == EfiBootServicesData)
                                    : d->Type == EfiConventionalMemory;
        uint64_t end = d->PhysicalStart + d->NumberOfPages * PAGE_SIZE;
        if (!usable || end <= LOW_MEMORY_END || d->PhysicalStart >= boot.map_limit)
            continue;
        uint64_t start = d->PhysicalStart < LOW_MEMORY_END ? LOW_MEMORY_END : d->PhysicalStart;
        if (end > boot.map_limit)
            end = boot.map_limit;
        mem_add_range(start, (end - start) / PAGE_SIZE);
    }
}

/* Quiet the 8259s the firmware may have left running (OCW1: mask all);
 * each CPU masks its own LAPIC timer in cpu_setup_common(). */
static void mask_legacy_interrupts(void)
{
    outb(0x21, 0xff);
    outb(0xa1, 0xff);
}

void cpu_setup_common(struct percpu *pc)
{
    uint32_t r[4];
    write_cr0((read_cr0() | CR0_NE | CR0_MP) & ~CR0_EM);
    write_cr4(read_cr4() | CR4_OSFXSR | CR4_OSXMMEXCPT);
    fpu_cpu_init();     /* CR4.OSXSAVE and the host XCR0, before any VMCS takes CR4 */
    cpuid_count(0x80000001u, 0, r);
    if (r[3] & CPUIDX1_EDX_NX)
        wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_NXE);
    wrmsr(MSR_IA32_PAT, NPT_AMD_HOST_PAT);
    lapic_host_init();
    lapic_host_mask_lvts();
    host_timer_cpu_init();
    if (vops->cpu_enable(pc))
        panic("CPU %u: cannot enable %s", pc->index, vops->name);
}

static void boot_create_vms(void)
{
    unsigned created = 0;
    for (unsigned i = 0; i < boot.nvms; i++) {
        const struct vm_spec *s = &boot.vm[i];
        bool cpus_ok = true;
        for (unsigned c = s->first_cpu; c < s->first_cpu + s->ncpus; c++)
            cpus_ok = cpus_ok && cpus[c] && cpus[c]->state == PCPU_ONLINE;
        if (!cpus_ok || vm_create(s, &vms[i])) {
            log_err("vm%u (%s) cannot start%s", i, s->name, cpus_ok ? "" : ": one of its CPUs is offline");
            keel_shutdown(KEEL_STATUS_BOOT_FAILURE);
        }
        created++;
    }
    nvms = created;
    vms_set_running(created);
}

static void boot_continue(void *arg) __attribute__((noreturn));
static void boot_continue(void *arg)
{
    struct percpu *pc = arg;
    host_idt_init();
    percpu_install(pc);
    percpu_ready = true;
    feed_memory(true); /* the firmware's stacks and tables are no longer in use */
    pc->state = PCPU_ONLINE;
    lapic_host_init();
    host_timer_calibrate();
    cpu_setup_common(pc);
    log_info("took the machine: %lu MiB free for the hypervisor",
             (unsigned long)(mem_free_total() * PAGE_SIZE >> 20));
    unsigned online = smp_start_aps();
    log_info("took %u CPU%s", online, online == 1 ? "" : "s");
    boot_create_vms();
    conin_init();
    smp_release_aps();
    pcpu_run_loop(pc);
}

void boot_takeover(void *image)
{
    boot_exit_services(image);
    irq_disable();
    con_set_efi_writer(NULL);
    /* With no UART at the configured port the console goes silent;
     * nothing else changes. */
    con_init_serial(boot.cfg.serial_port, boot.cfg.serial_baud);
    mask_legacy_interrupts();
    write_cr3(boot.pml4_pa);
    mem_init();
    feed_memory(false);
    struct percpu *bsp = percpu_alloc(0, boot.apic_id[0]);
    host_switch_stack(bsp->stack_top, boot_continue, bsp);
}
