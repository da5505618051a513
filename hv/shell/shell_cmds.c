/* SPDX-License-Identifier: MIT */
/* The shell's state-reading commands (hv/shell/shell_cmds.h). */
#include "hv/shell/shell_cmds.h"

#include <stdio.h>
#include <string.h>

#include "hv/host/time.h"
#include "hv/passthru.h"
#include "iommu/iommu_boot.h"
#include "hv/shell/shell_parse.h"
#include "hv/shell/snap.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

/* CPUID Fn8000_000A EDX (APM vol. 3, E.4.9): the SVM features Keel cares for. */
static const struct { uint32_t bit; const char *name; } svm_bits[] = {
    { 1u << 0, "np" }, { 1u << 3, "nrips" }, { 1u << 5, "vmcb-clean" },
    { 1u << 6, "flush-by-asid" }, { 1u << 7, "decode-assists" }, { 1u << 10, "pause-filter" },
    { 1u << 13, "avic" }, { 1u << 16, "vgif" }, { 1u << 18, "x2avic" }, { 1u << 25, "vnmi" },
};
/* IA32_VMX_PROCBASED_CTLS2 allowed-1 (SDM 25.6.2, table 25-7) and
 * IA32_VMX_PINBASED_CTLS bit 7 (posted interrupts). */
#define MSR_VMX_PINBASED_CTLS   0x481u
#define MSR_VMX_PROCBASED_CTLS2 0x48bu
static const struct { uint32_t bit; const char *name; } vmx_bits[] = {
    { 1u << 0, "apic-accesses" }, { 1u << 1, "ept" }, { 1u << 4, "x2apic-mode" },
    { 1u << 5, "vpid" }, { 1u << 7, "unrestricted" }, { 1u << 8, "apic-register-virt" },
    { 1u << 9, "virtual-intr-delivery" },
};

void shell_vendor_features(char *buf, size_t size)
{
    size_t off = (size_t)snprintf(buf, size, "%s features:", vops->name);
    bool svm = strcmp(vops->name, "svm") == 0;
    uint32_t r[4] = { 0 }, have = 0;
    if (svm) {
        cpuid_count(0x8000000au, 0, r);
        have = r[3];
    } else {
        have = (uint32_t)(rdmsr(MSR_VMX_PROCBASED_CTLS2) >> 32);
    }
    size_t n = svm ? sizeof(svm_bits) / sizeof(svm_bits[0]) : sizeof(vmx_bits) / sizeof(vmx_bits[0]);
    for (size_t i = 0; i < n && off < size; i++) {
        uint32_t bit = svm ? svm_bits[i].bit : vmx_bits[i].bit;
        if (have & bit)
            off += (size_t)snprintf(buf + off, size - off, " %s", svm ? svm_bits[i].name : vmx_bits[i].name);
    }
    if (!svm && off < size && (rdmsr(MSR_VMX_PINBASED_CTLS) >> 32) & (1u << 7))
        snprintf(buf + off, size - off, " posted-intr");
}

static const char *const gpr_names[16] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi",
    "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };

static void print_age(const struct vcpu *v, const struct vcpu_snap *s, bool fresh)
{
    static const char *const names[] = { "waiting for start", "running", "halted", "stopped" };
    uint64_t us = (rdtsc() - s->tsc) / (tsc_hz / 1000000 ? tsc_hz / 1000000 : 1);
    sh_printf("vm%u.%u on cpu%u: %s; %s", v->vm->index, v->index, v->pcpu->index,
              s->state < 4 ? names[s->state] : "?",
              fresh ? "state as of its last exit" : "did not answer: registers as last saved, no CRs");
    if (fresh)
        sh_printf("  snapshot %lu us old", (unsigned long)us);
}

static void print_exits(const struct vcpu *v)
{
    char line[180];
    size_t off = 0;
    for (unsigned r = 1; r < EXIT_REASON_COUNT; r++) {
        uint64_t n = __atomic_load_n(&v->exit_count[r], __ATOMIC_RELAXED);
        if (!n)
            continue;
        if (off > sizeof(line) - 40) {
            sh_printf("  exits:%s", line);
            off = 0;
        }
        off += (size_t)snprintf(line + off, sizeof(line) - off, " %s=%lu",
                                exit_reason_name((enum exit_reason)r), (unsigned long)n);
    }
    sh_printf("  exits:%s", off ? line : " none");
}

void shell_cmd_vcpu(unsigned vm, unsigned n)
{
    struct vcpu *v = shell_vcpu(vm, n, "vcpu");
    if (!v)
        return;
    struct vcpu_snap s;
    bool fresh = snap_take(v, &s) == 0;
    print_age(v, &s, fresh);
    sh_printf("  rip %016lx rflags %016lx", (unsigned long)s.rip, (unsigned long)s.rflags);
    if (fresh && s.full)
        sh_printf("  cr0 %016lx cr3 %016lx cr4 %016lx efer %016lx", (unsigned long)s.cr0,
                  (unsigned long)s.cr3, (unsigned long)s.cr4, (unsigned long)s.efer);
    for (unsigned i = 0; i < 16; i += 4)
        sh_printf("  %-3s %016lx %-3s %016lx %-3s %016lx %-3s %016lx", gpr_names[i],
                  (unsigned long)s.gpr[i], gpr_names[i + 1], (unsigned long)s.gpr[i + 1],
                  gpr_names[i + 2], (unsigned long)s.gpr[i + 2], gpr_names[i + 3],
                  (unsigned long)s.gpr[i + 3]);
    if (fresh && s.full) {
        char irr[12] = "none", isr[12] = "none"; /* "%#x" of an int: up to 10 */
        if (s.irr_top >= 0)
            snprintf(irr, sizeof(irr), "%#x", (unsigned)s.irr_top);
        if (s.isr_top >= 0)
            snprintf(isr, sizeof(isr), "%#x", (unsigned)s.isr_top);
        sh_printf("  pending: highest irr %s, highest isr %s, apic events %#x, nmi %s, "
                  "event queued %s, shadow %s", irr, isr, s.lapic_events,
                  s.nmi_masked ? "masked" : "unmasked", s.event_queued ? "yes" : "no",
                  s.in_shadow ? "yes" : "no");
    }
    print_exits(v);
}

/* 256 bits, vector 255 first, as 8 groups of 32. */
static void print_bitmap(const char *name, const uint32_t w[8])
{
    sh_printf("  %s %08x %08x %08x %08x %08x %08x %08x %08x", name, w[7], w[6], w[5], w[4], w[3],
              w[2], w[1], w[0]);
}

static void print_accel(const char *who, const struct vcpu_snap *s)
{
    char why[96];
    apic_inhibit_describe(s->accel.why_not, why, sizeof(why));
    if (!s->accel_decided)
        sh_printf("%s: no decision yet (not entered)", who);
    else
        sh_printf("%s: %s%s (inhibits: %s)", who, s->accel.on ? "accelerated" : "emulated",
                  !s->accel.on ? "" : s->accel.regs == APIC_ACCEL_REGS_X2APIC ? ", x2APIC MSRs"
                                                                              : ", xAPIC page",
                  why);
}

void shell_cmd_apic(unsigned vm, unsigned n)
{
    static const char *const modes[] = { "disabled", "xAPIC", "x2APIC" };
    struct vcpu *v = shell_vcpu(vm, n, "apic");
    if (!v)
        return;
    struct vcpu_snap s;
    if (snap_take(v, &s) || !s.full) {
        sh_printf("apic: vm%u.%u did not answer (stopped, or not started)", vm, n);
        return;
    }
    char who[32];
    snprintf(who, sizeof(who), "vm%u.%u APIC", vm, n);
    sh_printf("%s: %s, IA32_APIC_BASE %#lx", who, s.apic_mode < 3 ? modes[s.apic_mode] : "?",
              (unsigned long)s.apic_base);
    sh_printf("  id %08x ldr %08x dfr %08x tpr %02x ppr %02x", s.id, s.ldr, s.dfr, s.tpr, s.ppr);
    print_bitmap("irr", s.irr);
    print_bitmap("isr", s.isr);
    print_bitmap("tmr", s.tmr);
    print_accel("  acceleration", &s);
}

/* The machine's transition history, oldest first (a copy under its lock). */
static void print_inhibit_history(struct vm *vm)
{
    struct apic_inhibit_event ev[APIC_INHIBIT_HISTORY];
    spin_lock(&vm->inhibit_lock);
    unsigned n = apic_inhibit_history(&vm->inhibit, ev, APIC_INHIBIT_HISTORY);
    spin_unlock(&vm->inhibit_lock);
    for (unsigned k = 0; k < n; k++) {
        char who[16] = "keel";
        if (ev[k].vcpu >= 0)
            snprintf(who, sizeof(who), "vCPU %d", ev[k].vcpu);
        sh_printf("    tsc %llu %s: %s %s, acceleration %s -> %s",
                  (unsigned long long)ev[k].time, who, apic_inhibit_name(ev[k].reason),
                  ev[k].set ? "set" : "cleared", ev[k].active_before ? "on" : "off",
                  ev[k].active_after ? "on" : "off");
    }
}

void shell_cmd_inhibits(void)
{
    char why[96], who[32];
    for (unsigned i = 0; i < nvms; i++) {
        struct vm *vm = vms[i];
        apic_inhibit_describe(apic_inhibit_reasons(&vm->inhibit), why, sizeof(why));
        sh_printf("vm%u (%s): VM-wide reasons: %s; acceleration %s (toggled %u times)", i,
                  vm->name, why, apic_inhibit_active(&vm->inhibit) ? "on" : "off",
                  apic_inhibit_generation(&vm->inhibit));
        print_inhibit_history(vm);
        for (unsigned j = 0; j < vm->nvcpus; j++) {
            struct vcpu_snap s;
            snprintf(who, sizeof(who), "  vm%u.%u", i, j);
            if (snap_take(vm->vcpus[j], &s))
                sh_printf("%s: did not answer (stopped)", who);
            else
                print_accel(who, &s);
        }
    }
}

/* Exit totals over every vCPU, by reason, as of the last `stats`. */
static uint64_t stats_last[EXIT_REASON_COUNT];
static uint64_t stats_last_tsc, stats_boot_tsc;

void shell_stats_init(void)
{
    stats_boot_tsc = stats_last_tsc = rdtsc();
}

static void stats_totals(uint64_t out[EXIT_REASON_COUNT])
{
    memset(out, 0, sizeof(uint64_t) * EXIT_REASON_COUNT);
    for (unsigned i = 0; i < nvms; i++)
        for (unsigned j = 0; j < vms[i]->nvcpus; j++)
            for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
                out[r] += __atomic_load_n(&vms[i]->vcpus[j]->exit_count[r], __ATOMIC_RELAXED);
}

static uint64_t per_second(uint64_t n, uint64_t dt)
{
    return dt ? (uint64_t)((unsigned __int128)n * tsc_hz / dt) : 0;
}

void shell_cmd_stats(void)
{
    uint64_t now[EXIT_REASON_COUNT], t = rdtsc();
    stats_totals(now);
    uint64_t boot_ms = (t - stats_boot_tsc) / (tsc_hz / 1000 ? tsc_hz / 1000 : 1);
    uint64_t last_ms = (t - stats_last_tsc) / (tsc_hz / 1000 ? tsc_hz / 1000 : 1);
    sh_printf("exits by reason, all vCPUs: since boot (%lu ms), since the last stats (%lu ms)",
              (unsigned long)boot_ms, (unsigned long)last_ms);
    sh_printf("  %-14s %12s %12s %10s", "reason", "since boot", "interval", "per second");
    for (unsigned r = 1; r < EXIT_REASON_COUNT; r++) {
        uint64_t d = now[r] - stats_last[r];
        if (now[r])
            sh_printf("  %-14s %12lu %12lu %10lu", exit_reason_name((enum exit_reason)r),
                      (unsigned long)now[r], (unsigned long)d,
                      (unsigned long)per_second(d, t - stats_last_tsc));
    }
    memcpy(stats_last, now, sizeof(now));
    stats_last_tsc = t;
}

void shell_cmd_mem(struct vm *vm, uint64_t gpa, uint64_t len)
{
    if (!vm_gpa_is_ram(vm, gpa, len)) {
        sh_printf("mem: %#lx..%#lx is not inside vm%u's RAM (0..%#lx%s)", (unsigned long)gpa,
                  (unsigned long)(gpa + len - 1), vm->index,
                  (unsigned long)(gram_low_size(vm->mem_size) - 1),
                  vm->mem_size > GRAM_LOW_END ? ", and from 4 GiB" : "");
        return;
    }
    for (uint64_t off = 0; off < len; off += 16) {
        uint8_t b[16];
        unsigned n = len - off < 16 ? (unsigned)(len - off) : 16;
        if (vm_read_phys(vm, gpa + off, b, n))
            return;
        char hex[16 * 3 + 1], asc[17];
        for (unsigned i = 0; i < 16; i++) {
            if (i < n)
                snprintf(hex + 3 * i, 4, "%02x ", b[i]);
            else
                memcpy(hex + 3 * i, "   ", 4);
            asc[i] = i >= n ? ' ' : (b[i] >= 0x20 && b[i] < 0x7f) ? (char)b[i] : '.';
        }
        asc[16] = 0;
        sh_printf("%012lx: %s|%s|", (unsigned long)(gpa + off), hex, asc);
    }
}

/* What iommu/iommu_boot.c found and brought up (read-only after boot). */
void shell_cmd_iommu(void)
{
    if (iommu_host.vendor == IOMMU_NONE) {
        sh_printf("iommu: none (Keel runs without an IOMMU; the boot log says why)");
        return;
    }
    sh_printf("iommu: %u unit%s, %u device scope%s, %u reserved region%s", iommu_host.nunits,
              iommu_host.nunits == 1 ? "" : "s", iommu_host.nscopes,
              iommu_host.nscopes == 1 ? "" : "s", iommu_host.nregions,
              iommu_host.nregions == 1 ? "" : "s");
    for (unsigned i = 0; i < iommu_host.nunits && i < IOMMU_MAX_UNITS; i++) {
        char line[160];
        if (iommu_describe_unit(&iommu_host, i, line, sizeof(line)) < 0)
            snprintf(line, sizeof(line), "unit %u", i);
        sh_printf("  %s; queue %s", line, iommu_queue_ready[i] ? "ready" : "not running");
    }
    unsigned ndev = 0;
    for (unsigned v = 0; v < nvms; v++) {
        char line[200];
        for (unsigned i = 0; passthru_describe(vms[v], i, line, sizeof(line)) == 0; i++, ndev++)
            sh_printf("  vm%u (%s): %s", vms[v]->index, vms[v]->name, line);
    }
    sh_printf("assigned devices: %u; faults of devices no VM owns: %lu", ndev,
              (unsigned long)passthru_unowned_faults());
}
