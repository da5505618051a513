/* SPDX-License-Identifier: MIT */
/* The debug shell: input, dispatch and the simple commands (hv/shell/shell.h). */
#include "hv/shell/shell.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "boot/boot.h"
#include "hv/abi.h"
#include "hv/host/console.h"
#include "hv/shell/conin.h"
#include "hv/shell/shell_cmds.h"
#include "hv/shell/shell_line.h"
#include "hv/shell/shell_parse.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/vm_reset.h"
#include "hv/dev/reset_ctl.h"
#include "hv/x86.h"

/* The machine's own reset: a hard reset through RST_CNT (06h), else the
 * 8042's reset line (hv/dev/reset_ctl.h names both). */
#define PCI_RESET_HARD (RST_CNT_SYS_RST | RST_CNT_RST_CPU)

static struct shell_line editor;

void sh_printf(const char *fmt, ...)
{
    char line[200];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
    va_end(ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(line) - 1 ? (size_t)n : sizeof(line) - 2;
    line[len++] = '\n';
    con_write(line, len);
}

void shell_init(void)
{
    shell_line_init(&editor);
    shell_stats_init();
}

void shell_enter(void)
{
    sh_printf("Keel shell: 'help' lists the commands");
    con_write(SHELL_PROMPT, strlen(SHELL_PROMPT));
}

static void cmd_help(void)
{
    for (unsigned id = SHELL_CMD_HELP; id < SHELL_CMD_COUNT; id++) {
        const struct shell_cmd_help *h = shell_cmd_help((enum shell_cmd_id)id);
        sh_printf("  %-26s %s", h->usage, h->what);
    }
    sh_printf("  Ctrl-A three times: input to the next VM console (vm0, vm1, ..., the shell)");
}

static void cmd_log(unsigned level)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    con_set_level((enum log_level_hv)level);
    sh_printf("log level: %s", names[level]);
}

static const char *vm_guest(const struct vm *vm)
{
    const struct keel_vm_cfg *c = &boot.cfg.vm[vm->index];
    return c->builtin ? "builtin" : c->guest;
}

static const char *vcpu_state_name(uint32_t st)
{
    static const char *const names[] = { "waiting for start", "running", "halted", "stopped" };
    return st < 4 ? names[st] : "?";
}

static void cmd_vms(void)
{
    for (unsigned i = 0; i < nvms; i++) {
        struct vm *vm = vms[i];
        bool ended = vm_ended(vm);
        char st[24] = "running";
        if (ended)
            snprintf(st, sizeof(st), "ended, status %d", vm->status);
        sh_printf("vm%u (%s): guest %s, %s, %u vCPU%s, %lu MiB at host %#lx (%u host chunk%s)",
                  i, vm->name, vm_guest(vm), st, vm->nvcpus, vm->nvcpus == 1 ? "" : "s",
                  (unsigned long)(vm->mem_size >> 20), (unsigned long)vm->mem_hpa,
                  vm->ram.nslots, vm->ram.nslots == 1 ? "" : "s");
        sh_printf("  console input: %lu bytes waiting for its UART, %lu dropped (queue full)",
                  (unsigned long)conin_vm_waiting(vm), (unsigned long)conin_vm_dropped(vm));
        for (unsigned j = 0; j < vm->nvcpus; j++)
            sh_printf("  vm%u.%u on cpu%u: %s", i, j, vm->vcpus[j]->pcpu->index,
                      vcpu_state_name(__atomic_load_n(&vm->vcpus[j]->state, __ATOMIC_ACQUIRE)));
    }
    if (!nvms)
        sh_printf("no VMs");
}

static void cmd_cpus(void)
{
    static const char *const st[] = { "absent", "starting", "online", "failed" };
    char feat[160];
    unsigned online = 0;
    for (unsigned i = 0; i < KEEL_MAX_CPUS; i++)
        online += cpus[i] && cpus[i]->state == PCPU_ONLINE;
    shell_vendor_features(feat, sizeof(feat));
    sh_printf("%u CPU%s online; %s", online, online == 1 ? "" : "s", feat);
    sh_printf("serial console: %lu receiver overruns", (unsigned long)con_rx_overruns());
    for (unsigned i = 0; i < KEEL_MAX_CPUS; i++) {
        const struct percpu *pc = cpus[i];
        if (!pc)
            continue;
        char what[48] = "idle";
        if (pc->vcpu)
            snprintf(what, sizeof(what), "vm%u.%u (%s)", pc->vcpu->vm->index, pc->vcpu->index,
                     vcpu_state_name(__atomic_load_n(&pc->vcpu->state, __ATOMIC_ACQUIRE)));
        sh_printf("  cpu%-2u apic %-3u %-8s %s%s", i, pc->apic_id, pc->state < 4 ? st[pc->state] : "?",
                  what, pc->con_poller ? ", serial console and shell" : "");
    }
}

static struct vm *shell_vm(unsigned i, const char *cmd)
{
    if (i < nvms)
        return vms[i];
    sh_printf("%s: no vm%u (%u VM%s: vm0..vm%u)", cmd, i, nvms, nvms == 1 ? "" : "s",
              nvms ? nvms - 1 : 0);
    return NULL;
}

struct vcpu *shell_vcpu(unsigned vm, unsigned n, const char *cmd)
{
    struct vm *m = shell_vm(vm, cmd);
    if (!m)
        return NULL;
    if (n < m->nvcpus)
        return m->vcpus[n];
    sh_printf("%s: vm%u has no vCPU %u (it has %u)", cmd, vm, n, m->nvcpus);
    return NULL;
}

static void cmd_vm_stop(unsigned i)
{
    struct vm *vm = shell_vm(i, "vm stop");
    if (!vm)
        return;
    if (vm_ended(vm)) {
        sh_printf("vm stop: vm%u has already ended (status %d)", i, vm->status);
        return;
    }
    vm_end(vm, KEEL_STATUS_GUEST_FAULT, "stopped: from the shell");
}

/* The same restart as a guest's own reset (hv/vm_reset.c), whatever
 * keel.cfg's on_reboot says; the VM's CPUs do it, the shell does not wait. */
static void cmd_vm_restart(unsigned i)
{
    struct vm *vm = shell_vm(i, "vm restart");
    if (!vm)
        return;
    if (!vm_restart_from_shell(vm)) {
        sh_printf("vm restart: vm%u has already ended (status %d)", i, vm->status);
        return;
    }
    sh_printf("vm restart: vm%u (%s) restarting", i, vm->name);
}

static void cmd_reboot(void)
{
    sh_printf("rebooting");
    con_drain();
    outb(RST_CNT_PORT, PCI_RESET_HARD);
    outb(KBC_CMD_PORT, KBC_CMD_RESET);
    sh_printf("reboot: the machine did not reset (no 0xCF9 reset register nor 8042 reset line)");
}

static void cmd_poweroff(void)
{
    sh_printf("poweroff: stopping every VM");
    for (unsigned i = 0; i < nvms; i++)
        if (!vm_ended(vms[i]))
            vm_end(vms[i], KEEL_STATUS_GUEST_FAULT, "stopped: poweroff from the shell");
}

static void shell_run(const char *line)
{
    struct shell_cmd c;
    char err[SHELL_ERR_MAX];
    if (shell_parse(line, &c, err)) {
        sh_printf("error: %s", err);
        return;
    }
    switch (c.id) {
    case SHELL_CMD_NONE: break;
    case SHELL_CMD_HELP: cmd_help(); break;
    case SHELL_CMD_CPUS: cmd_cpus(); break;
    case SHELL_CMD_VMS: cmd_vms(); break;
    case SHELL_CMD_VCPU: shell_cmd_vcpu(c.vm, c.vcpu); break;
    case SHELL_CMD_APIC: shell_cmd_apic(c.vm, c.vcpu); break;
    case SHELL_CMD_INHIBITS: shell_cmd_inhibits(); break;
    case SHELL_CMD_IOMMU: shell_cmd_iommu(); break;
    case SHELL_CMD_STATS: shell_cmd_stats(); break;
    case SHELL_CMD_LOG: cmd_log(c.level); break;
    case SHELL_CMD_MEM: {
        struct vm *vm = shell_vm(c.vm, "mem");
        if (vm)
            shell_cmd_mem(vm, c.gpa, c.len);
        break;
    }
    case SHELL_CMD_VM_STOP: cmd_vm_stop(c.vm); break;
    case SHELL_CMD_VM_RESTART: cmd_vm_restart(c.vm); break;
    case SHELL_CMD_TRACE: shell_cmd_trace(c.trace, (unsigned)c.len); break;
    case SHELL_CMD_REBOOT: cmd_reboot(); break;
    case SHELL_CMD_POWEROFF: cmd_poweroff(); break;
    case SHELL_CMD_COUNT: break;
    }
}

void shell_input(uint8_t byte)
{
    struct shell_echo e;
    char line[SHELL_LINE_MAX];
    e.len = 0;
    bool done = shell_line_feed(&editor, byte, &e, line);
    if (e.len)
        con_write(e.buf, e.len);
    if (!done)
        return;
    shell_run(line);
    con_write(SHELL_PROMPT, strlen(SHELL_PROMPT));
}
