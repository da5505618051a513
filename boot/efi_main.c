/* SPDX-License-Identifier: MIT */
/*
 * keel.efi's entry point and its UEFI phase: banner, keel.cfg, CPU and
 * feature checks, guest images and memory.  Every problem found here is
 * reported (file, line, what) and Keel returns to the firmware with nothing
 * changed; only then does it leave boot services (takeover.c).
 */
#include <efi.h>
#include <efilib.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot.h"
#include "boot/efi_files.h"
#include "boot/efi_util.h"
#include "hv/host/console.h"
#include "hv/host/lapic_host.h"
#include "hv/linux_boot.h"
#include "hv/dev/rtc.h"
#include "hv/multiboot.h"
#include "hv/host/time.h"
#include "hv/vendor.h"
#include "hv/x86.h"
#include "iommu/iommu_boot.h"
#include "hv/host/pci_host.h"

struct boot_state boot;
const struct vcpu_ops *vops;

extern char ImageBase[]; /* gnu-efi's linker script: the image's first byte */

#define KEEL_CFG "keel.cfg"

static void boot_banner(void)
{
    uint32_t r[4];
    char vendor[13] = { 0 }, brand[49] = { 0 };
    cpuid_count(0, 0, r);
    memcpy(vendor, &r[1], 4);
    memcpy(vendor + 4, &r[3], 4);
    memcpy(vendor + 8, &r[2], 4);
    cpuid_count(0x80000000u, 0, r);
    if (r[0] >= 0x80000004u)
        for (unsigned i = 0; i < 3; i++)
            cpuid_count(0x80000002u + i, 0, (uint32_t *)(brand + 16 * i));
    const char *b = brand;
    while (*b == ' ')
        b++;
    char line[160];
    int n = snprintf(line, sizeof(line), "Keel %s (%s), a bare-metal microhypervisor\n",
                     KEEL_VERSION, KEEL_GIT);
    con_write(line, (size_t)n);
    log_info("cpu: %s %s", vendor, *b ? b : "(no brand string)");
    /* Where the firmware put keel.efi: a debugger's or profiler's symbol
     * offset (keel.so is linked at 0; tools/lib/profile.sh reads it). */
    log_info("image: keel.efi loaded at %p", (void *)ImageBase);
}

static int boot_choose_vendor(void)
{
    uint32_t r[4];
    cpuid_count(0, 0, r);
    if (r[1] == 0x68747541u && r[3] == 0x69746e65u && r[2] == 0x444d4163u) {
        vops = &svm_ops; /* AuthenticAMD */
    } else if (r[1] == 0x756e6547u && r[3] == 0x49656e69u && r[2] == 0x6c65746eu) {
        vops = &vmx_ops; /* GenuineIntel */
    } else {
        log_err("error: unknown CPU vendor: Keel supports AMD (SVM) and Intel (VMX)");
        return -1;
    }
    return vops->probe();
}

static int boot_read_config(struct efi_files *dir)
{
    void *text;
    size_t len;
    config_defaults(&boot.cfg);
    EFI_STATUS st = efi_files_read(dir, KEEL_CFG, &text, &len);
    if (st == EFI_NOT_FOUND) {
        log_info("no %s beside keel.efi: using the defaults (the built-in guest)", KEEL_CFG);
        return 0;
    }
    if (EFI_ERROR(st)) {
        log_err("error: cannot read %s from %s: EFI status %#lx%s", KEEL_CFG, dir->where,
                (unsigned long)st, efi_files_detail(dir));
        return -1;
    }
    struct config_error err;
    int r = config_parse(&boot.cfg, text, len, KEEL_CFG, &err);
    FreePool(text);
    if (r) {
        log_err("error: %s", err.msg);
        return -1;
    }
    con_set_level((enum log_level_hv)boot.cfg.log_level);
    return 0;
}

static const void *acpi_identity(void *ctx, uint64_t pa, size_t len)
{
    return (const void *)(uintptr_t)pa;
}

/* cpus[0] must be the CPU running this code. */
static void put_bsp_first(void)
{
    uint32_t me = lapic_host_id();
    for (unsigned i = 0; i < boot.ncpus; i++) {
        if (boot.apic_id[i] == me) {
            boot.apic_id[i] = boot.apic_id[0];
            boot.apic_id[0] = me;
            return;
        }
    }
    log_warn("the boot CPU (APIC ID %u) is not in the CPU list: adding it", me);
    if (boot.ncpus == KEEL_MAX_CPUS)
        boot.ncpus--;
    boot.apic_id[boot.ncpus++] = boot.apic_id[0];
    boot.apic_id[0] = me;
}

/* Without console/serial_port in keel.cfg, the UART the firmware's SPCR
 * names, when Keel can drive it (a 16550 in I/O space); it is programmed
 * at takeover with SPCR's rate, or serial_baud when SPCR gives none. */
static void boot_console_from_spcr(void)
{
    const char *why = "";
    struct spcr_info si;
    if (boot.cfg.serial_set)
        return;
    uint64_t pa = acpi_find_table(efi_find_rsdp(), "SPCR", acpi_identity, NULL, &why);
    if (!pa || acpi_parse_spcr(pa, acpi_identity, NULL, &si, &why)) {
        log_debug("acpi: no usable SPCR (%s): console on serial_port %#x", why,
                  boot.cfg.serial_port);
        return;
    }
    if (!si.io || !si.uart_16550 || si.address > 0xffff) {
        log_warn("acpi: SPCR names a UART Keel cannot drive (interface type %#x, %s %#llx): "
                 "console stays on serial_port %#x",
                 si.interface_type, si.io ? "port" : "memory", (unsigned long long)si.address,
                 boot.cfg.serial_port);
        return;
    }
    boot.cfg.serial_port = (uint16_t)si.address;
    if (si.baud)
        boot.cfg.serial_baud = si.baud;
    log_info("acpi: SPCR: console on the UART at port %#x, %u baud", boot.cfg.serial_port,
             boot.cfg.serial_baud);
}

/* The host's ACPI PM timer, which VMs with pm_timer = auto or host read
 * directly (docs/config.md). */
static void boot_find_pm_timer(void)
{
    const char *why = "";
    uint64_t fadt = acpi_find_table(efi_find_rsdp(), "FACP", acpi_identity, NULL, &why);
    if (fadt && acpi_parse_fadt_pm_timer(fadt, acpi_identity, NULL, &boot.pm_timer, &why) == 0) {
        boot.have_pm_timer = true;
        log_info("acpi: FADT: PM timer at port %#x, %u bits", boot.pm_timer.port,
                 boot.pm_timer.ext32 ? 32u : 24u);
    } else {
        log_info("acpi: no host PM timer for guests (%s): theirs are emulated", why);
    }
}

/* keel.cfg invariant_tsc: auto is the host CPU's CPUID 80000007H EDX[8]
 * (Intel SDM vol. 3B 18.17.1, AMD APM vol. 3 E.4.6). */
static bool boot_invariant_tsc(int8_t cfg)
{
    uint32_t r[4];
    if (cfg >= 0)
        return cfg != 0;
    cpuid_count(0x80000000u, 0, r);
    if (r[0] < 0x80000007u)
        return false;
    cpuid_count(0x80000007u, 0, r);
    return r[3] & (1u << 8);
}

/* keel.cfg pm_timer, resolved against the host's: the port the guest's FADT
 * names and reads without an exit, or 0 for Keel's emulated timer. */
static void boot_vm_pm_timer(const struct keel_vm_cfg *c, struct vplatform_opts *o)
{
    o->host_pm_timer = 0;
    if (c->pm_timer == 0)
        return;
    if (boot.have_pm_timer) {
        o->host_pm_timer = boot.pm_timer.port;
        o->host_pm_timer_ext32 = boot.pm_timer.ext32;
    } else if (c->pm_timer > 0) {
        log_warn("%s: pm_timer = host, but the firmware names no PM timer Keel can give: the "
                 "VM's is emulated", c->name);
    }
}

static void boot_find_cpus(void)
{
    const char *why = "";
    uint64_t madt = acpi_find_table(efi_find_rsdp(), "APIC", acpi_identity, NULL, &why);
    if (madt && acpi_parse_madt(madt, acpi_identity, NULL, &boot.madt, &why) == 0) {
        boot.have_madt = true;
        boot.ncpus = boot.madt.ncpus;
        memcpy(boot.apic_id, boot.madt.apic_id, sizeof(uint32_t) * boot.ncpus);
        log_info("acpi: MADT lists %u CPU%s and %u I/O APIC%s", boot.ncpus,
                 boot.ncpus == 1 ? "" : "s", boot.madt.nioapics, boot.madt.nioapics == 1 ? "" : "s");
        if (boot.madt.ncpus_ignored)
            log_warn("acpi: %u more CPUs ignored (Keel supports %u)", boot.madt.ncpus_ignored,
                     KEEL_MAX_CPUS);
    } else {
        log_info("acpi: no usable MADT (%s): finding CPUs through MP services", why);
        boot.ncpus = efi_mp_apic_ids(boot.apic_id, KEEL_MAX_CPUS);
    }
    if (!boot.ncpus) {
        log_warn("cannot enumerate CPUs: running on the boot CPU only");
        boot.ncpus = 1;
    }
    put_bsp_first();
}

/* Reads a guest image or module; a missing file is reported with the
 * line of keel.cfg that named it. */
static int boot_read_named(struct efi_files *dir, const char *path, unsigned line,
                           const char *what, void **data, size_t *len)
{
    EFI_STATUS st = efi_files_read(dir, path, data, len);
    if (st == EFI_NOT_FOUND) {
        log_err("error: %s:%u: %s '%s' not found", KEEL_CFG, line, what, path);
        return -1;
    }
    if (EFI_ERROR(st)) {
        log_err("error: %s:%u: cannot read %s '%s': EFI status %#lx%s", KEEL_CFG, line, what, path,
                (unsigned long)st, efi_files_detail(dir));
        return -1;
    }
    return 0;
}

/* A Linux guest (recognised by its setup header): the initrd is read and
 * the kernel checked with it, so a kernel or initrd that cannot boot is
 * refused here, naming the files, before anything changes. */
static int boot_check_linux(struct efi_files *dir, const struct keel_vm_cfg *c, struct vm_spec *s)
{
    char err[200];
    s->linux_guest = true;
    if (c->nmodules) {
        log_err("error: %s:%u: guest '%s' is a Linux kernel: give its initrd with 'initrd', "
                "'module' is for Multiboot guests", KEEL_CFG, c->module[0].line, c->guest);
        return -1;
    }
    if (c->initrd[0] && boot_read_named(dir, c->initrd, c->initrd_line, "initrd",
                                        (void **)&s->initrd, &s->initrd_len))
        return -1;
    if (lb_check(s->image, s->image_len, gram_low_size(s->mem_size), s->cmdline, s->initrd_len, NULL, err,
                 sizeof(err))) {
        log_err("error: %s:%u: Linux kernel '%s'%s%s%s: %s", KEEL_CFG, c->guest_line, c->guest,
                c->initrd[0] ? " with initrd '" : "", c->initrd, c->initrd[0] ? "'" : "", err);
        return -1;
    }
    return 0;
}

/* A Multiboot guest and its modules. */
static int boot_check_multiboot(struct efi_files *dir, const struct keel_vm_cfg *c,
                                struct vm_spec *s)
{
    char err[160];
    const char *name = c->builtin ? "builtin" : c->guest;
    if (c->initrd[0]) {
        log_err("error: %s:%u: initrd '%s' given, but guest '%s' is not a Linux kernel (a "
                "Multiboot guest takes 'module' lines)", KEEL_CFG, c->initrd_line, c->initrd, name);
        return -1;
    }
    if (mb_check(s->image, s->image_len, gram_low_size(s->mem_size), NULL, err, sizeof(err))) {
        log_err("error: %s:%u: guest image '%s': %s", KEEL_CFG, c->guest_line, name, err);
        return -1;
    }
    for (unsigned m = 0; m < c->nmodules; m++) {
        void *data;
        if (boot_read_named(dir, c->module[m].path, c->module[m].line, "module", &data,
                            &s->mods[m].len))
            return -1;
        s->mods[m].data = data;
        s->mods[m].cmdline = c->module[m].args[0] ? c->module[m].args : c->module[m].path;
    }
    s->nmods = c->nmodules;
    return 0;
}

/* One host chunk of size bytes for guest RAM: 1 GiB aligned when it is that
 * large (so 1 GiB nested pages can map it), else, or when the firmware
 * cannot give that, 2 MiB aligned.  0 when there is none. */
static uint64_t boot_alloc_chunk(uint64_t size)
{
    uint64_t hpa = 0;
    if (size >= (1ull << 30))
        hpa = efi_alloc_pages_fit(size / 4096, 1ull << 30);
    if (!hpa)
        hpa = efi_alloc_pages_fit(size / 4096, 2ull << 20);
    return hpa ? hpa : efi_alloc_pages_aligned(size / 4096, 2ull << 20);
}

/* Backs one GPA range [gpa, gpa + len) of guest RAM with host chunks: the
 * whole range if the firmware has it in one piece, else halves, quarters,
 * ... (2 MiB aligned), each its own slot.  The low range must be one chunk
 * (the loaders write into it as one array). */
static int boot_alloc_range(struct guest_ram *g, uint64_t gpa, uint64_t len, bool one)
{
    uint64_t chunk = len;
    while (len != 0) {
        if (chunk > len)
            chunk = len;
        uint64_t hpa = boot_alloc_chunk(chunk);
        if (hpa) {
            if (gram_add(g, gpa, hpa, chunk))
                return -1; /* GRAM_MAX_SLOTS pieces: too fragmented */
            gpa += chunk;
            len -= chunk;
            continue;
        }
        if (one || chunk <= (2ull << 20))
            return -1;
        chunk = (chunk / 2 + (2ull << 20) - 1) & ~((2ull << 20) - 1);
    }
    return 0;
}

/* The VM's RAM (hv/mm/guest_ram.h): refused naming keel.cfg's memory line
 * when the machine cannot give it. */
static int boot_alloc_ram(const struct keel_vm_cfg *c, struct vm_spec *s)
{
    uint64_t base[2], len[2];
    unsigned n = gram_ranges(s->mem_size, base, len);
    gram_init(&s->ram, s->mem_size);
    for (unsigned r = 0; r < n; r++) {
        if (boot_alloc_range(&s->ram, base[r], len[r], r == 0))
            break;
    }
    if (!gram_complete(&s->ram)) {
        log_err("error: %s:%u: memory = %lu MiB for vm%u: the machine cannot give it (Keel "
                "needs it free in at most %u pieces, the RAM below 4 GiB in one)", KEEL_CFG,
                c->memory_line ? c->memory_line : c->first_line,
                (unsigned long)(s->mem_size >> 20), s->index, GRAM_MAX_SLOTS);
        for (unsigned k = 0; k < s->ram.nslots; k++)
            uefi_call_wrapper(BS->FreePages, 2, s->ram.slot[k].hpa, s->ram.slot[k].size / 4096);
        s->ram.nslots = 0;
        return -1;
    }
    s->mem_hpa = s->ram.slot[0].hpa;
    return 0;
}

static int boot_load_vm(struct efi_files *dir, unsigned i)
{
    const struct keel_vm_cfg *c = &boot.cfg.vm[i];
    struct vm_spec *s = &boot.vm[i];
    s->index = i;
    s->name = c->name;
    s->cmdline = c->cmdline;
    s->mem_size = c->memory;
    s->first_cpu = c->first_cpu;
    s->ncpus = c->cpus;
    s->apic.x2apic = c->x2apic;
    s->apic.x2apic_at_entry = c->x2apic_at_entry;
    s->apic.tsc_deadline = c->tsc_deadline;
    s->apic.x2apic_exact_ids = c->x2apic_exact_ids;
    s->apic.accel = c->apic_accel;
    s->apic.avic = c->avic;
    s->apic.avic_erratum_1235 = c->avic_erratum_1235;
    s->apic.x2apic_hybrid = c->x2apic_hybrid;
    s->apic.inhibit_test = c->inhibit_test;
    s->platform.exit_port = c->exit_port;
    s->platform.irq_ports = c->irq_ports;
    s->platform.pit_discard = c->pit_discard;
    s->platform.madt_x2apic = c->madt_x2apic;
    /* auto: on for x2APIC-mode VMs, as on machines whose firmware leaves
     * x2APIC on; not with assigned devices, which the unit's DMAR does not
     * list (it translates no DMA), so a guest would give them
     * compatibility-format MSIs that an enabled unit blocks. */
    s->platform.irq_remap = c->irq_remap < 0 ? c->x2apic_at_entry && c->npci == 0
                                             : c->irq_remap != 0;
    boot_vm_pm_timer(c, &s->platform);
    s->invariant_tsc = boot_invariant_tsc(boot.cfg.invariant_tsc);
    s->platform.rtc_epoch = boot.rtc_epoch;
    s->platform.rtc_tsc = boot.rtc_tsc;
    s->pci.npci = c->npci;
    for (unsigned k = 0; k < c->npci && k < sizeof(s->pci.pci) / sizeof(s->pci.pci[0]); k++)
        s->pci.pci[k] = c->pci[k];
    s->pci.dma_fault_continue = c->dma_fault_continue;

    s->on_reboot_stop = c->on_reboot_stop;
    s->triple_fault_reset = c->triple_fault_reset;
    if (c->builtin) {
        s->image = keel_builtin_guest;
        s->image_len = (size_t)(keel_builtin_guest_end - keel_builtin_guest);
    } else if (boot_read_named(dir, c->guest, c->guest_line, "guest image", (void **)&s->image,
                               &s->image_len)) {
        return -1;
    }
    if (c->builtin || !lb_is_bzimage(s->image, s->image_len) ? boot_check_multiboot(dir, c, s)
                                                             : boot_check_linux(dir, c, s))
        return -1;
    return boot_alloc_ram(c, s);
}

/* The IOMMUs' tables and queues: loader data below 4 GiB, which Keel never
 * hands to its allocator (takeover.c feeds it only free and boot-services
 * memory). */
static uint64_t boot_iommu_pages(uint64_t npages)
{
    return efi_alloc_pages_below(npages, 0xffffffffull);
}

/* The host's time of day for the guests' CMOS RTC (hv/dev/rtc.h), read
 * once from the firmware (UEFI 2.10 8.3.1 GetTime).  A TimeZone is the
 * offset of local time from UTC in minutes (local = UTC + TimeZone); an
 * unspecified one is taken as UTC, which is how PC firmware under
 * virtualization keeps it.  No clock: the guests start at 1970. */
static void boot_read_time(void)
{
    EFI_TIME t;
    EFI_STATUS st = uefi_call_wrapper(RT->GetTime, 2, &t, NULL);
    boot.rtc_tsc = rdtsc();
    if (EFI_ERROR(st) || t.Year < 1970 || t.Month < 1 || t.Month > 12) {
        log_warn("no time of day from the firmware (EFI status %#lx): guests' clocks start "
                 "at 1970", (unsigned long)st);
        boot.rtc_epoch = 0;
        return;
    }
    uint64_t e = rtc_epoch_seconds(t.Year, t.Month, t.Day, t.Hour, t.Minute, t.Second);
    if (t.TimeZone != EFI_UNSPECIFIED_TIMEZONE && t.TimeZone >= -1440 && t.TimeZone <= 1440)
        e -= (int64_t)t.TimeZone * 60;
    boot.rtc_epoch = e;
}

static void boot_calibrate_tsc(void)
{
    uint64_t t0 = rdtsc();
    uefi_call_wrapper(BS->Stall, 1, 10000);
    uint64_t t1 = rdtsc();
    tsc_hz = (t1 - t0) * 100;
    log_info("tsc: %lu MHz; TSC %lu at keel.efi's entry", (unsigned long)(tsc_hz / 1000000),
             (unsigned long)boot.entry_tsc);
}

static int boot_prepare(EFI_HANDLE image)
{
    static struct efi_files files;
    struct efi_files *dir = &files;
    EFI_STATUS st = efi_files_open(image, dir);
    if (EFI_ERROR(st)) {
        log_err("error: cannot open the place keel.efi was loaded from (a file system, or the "
                "TFTP server of a PXE boot): EFI status %#lx",
                (unsigned long)st);
        return -1;
    }
    log_info("reading %s and the guests from %s", KEEL_CFG, dir->where);
    if (boot_read_config(dir) || boot_choose_vendor())
        return -1;
    boot_console_from_spcr();
    boot_find_cpus();
    boot_find_pm_timer();
    struct config_error err;
    if (config_finalize(&boot.cfg, boot.ncpus, KEEL_CFG, &err)) {
        log_err("error: %s", err.msg);
        return -1;
    }
    boot_read_time(); /* before the VMs, which take it for their RTC */
    boot.nvms = boot.cfg.nvms;
    for (unsigned i = 0; i < boot.nvms; i++)
        if (boot_load_vm(dir, i))
            return -1;
    boot_calibrate_tsc();
    for (unsigned i = 0; i < boot.ncpus; i++) /* x2APIC destinations if a CPU needs them */
        if (boot.apic_id[i] > iommu_host_max_apic_id)
            iommu_host_max_apic_id = boot.apic_id[i];
    iommu_boot(efi_find_rsdp(), boot_iommu_pages);
    pci_host_enumerate(); /* the functions keel.cfg 'pci' may assign */
    boot.trampoline_pa = efi_alloc_pages_below(1, 0x9ffff);
    if (!boot.trampoline_pa) {
        log_err("error: no free page below 640 KiB for the application-processor trampoline");
        return -1;
    }
    return host_paging_build();
}

/* Called by gnu-efi's crt0 with the SysV ABI (not EFIAPI). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab);
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *systab)
{
    boot.entry_tsc = rdtsc(); /* for boot-time figures (tools/keel bench linux) */
    InitializeLib(image, systab);
    boot.conout_serial = efi_conout_is_serial();
    con_set_efi_writer(efi_con_write);
    if (!boot.conout_serial)
        con_init_serial(0x3f8, 115200);
    boot_banner();
    if (boot_prepare(image)) {
        log_err("returning to the firmware");
        return EFI_LOAD_ERROR;
    }
    boot_takeover(image);
}
