/* SPDX-License-Identifier: MIT */
/*
 * boot/config.c: keel.cfg is the user's text.  Input: the machine's CPU
 * count (first byte), then the file.  config_parse then config_finalize,
 * as boot does.  Invariants:
 *   - a refused file has a one-line message "keel.cfg[:line]: ..." whose
 *     line is within the file;
 *   - an accepted one passes every rule docs/config.md states (VMs numbered
 *     without gaps, unique valid names, valid paths, CPUs 1..64 that fit the
 *     machine and are handed out in order, memory 16M..3G in 2M steps,
 *     madt_x2apic only with x2apic, a baud rate dividing 115200);
 *   - written back as keel.cfg text (every key of every VM) and parsed
 *     again, it gives the same configuration.
 */
#include "apic/apic_inhibit.h"
#include "boot/config.h"
#include "fuzz.h"

static struct keel_config cfg, again;
static char text[1 << 16];

static bool valid_path(const char *p)
{
    if (p[0] == '\0' || p[0] == '/' || strlen(p) > KEEL_PATH_MAX)
        return false;
    for (; *p; p++)
        if (*p < 0x20 || *p > 0x7e || strchr("\"*:<>?|\\", *p) != NULL)
            return false;
    return true;
}

static bool valid_name(const char *n)
{
    size_t len = strnlen(n, KEEL_NAME_MAX + 1);

    if (len == 0 || len > KEEL_NAME_MAX)
        return false;
    for (; *n; n++)
        if (!((*n >= 'a' && *n <= 'z') || (*n >= 'A' && *n <= 'Z') ||
              (*n >= '0' && *n <= '9') || *n == '_' || *n == '-'))
            return false;
    return true;
}

static void check_vm(const struct keel_vm_cfg *vm, unsigned i, unsigned *next)
{
    FUZZ_ASSERT(vm->present && valid_name(vm->name));
    FUZZ_ASSERT(i == 0 || vm->guest_line != 0);
    FUZZ_ASSERT(vm->builtin ? vm->guest[0] == '\0' : valid_path(vm->guest));
    FUZZ_ASSERT(strnlen(vm->cmdline, KEEL_CMDLINE_MAX + 1) <= KEEL_CMDLINE_MAX);
    FUZZ_ASSERT(vm->initrd[0] == '\0' || valid_path(vm->initrd));
    FUZZ_ASSERT(vm->nmodules <= KEEL_MAX_MODULES);
    for (unsigned m = 0; m < vm->nmodules; m++) {
        FUZZ_ASSERT(valid_path(vm->module[m].path));
        FUZZ_ASSERT(strnlen(vm->module[m].args, KEEL_MODARGS_MAX + 1) <= KEEL_MODARGS_MAX);
    }
    FUZZ_ASSERT(vm->cpus >= 1 && vm->cpus <= KEEL_MAX_VCPUS);
    FUZZ_ASSERT(vm->first_cpu == *next);
    *next += vm->cpus;
    FUZZ_ASSERT(vm->memory >= KEEL_MEMORY_MIN && vm->memory <= KEEL_MEMORY_MAX &&
                vm->memory % KEEL_MEMORY_ALIGN == 0);
    FUZZ_ASSERT(!vm->madt_x2apic || vm->x2apic);
}

static void check_accepted(const struct keel_config *c, unsigned ncpus)
{
    unsigned next = 0;

    FUZZ_ASSERT(c->nvms >= 1 && c->nvms <= KEEL_MAX_VMS);
    FUZZ_ASSERT(c->log_level <= LOG_DEBUG && c->on_exit <= ON_EXIT_RESET);
    FUZZ_ASSERT(c->serial_baud >= 2 && 115200u % c->serial_baud == 0);
    for (unsigned i = 0; i < KEEL_MAX_VMS; i++) {
        if (i >= c->nvms) {
            FUZZ_ASSERT(!c->vm[i].present);
            continue;
        }
        check_vm(&c->vm[i], i, &next);
        for (unsigned j = 0; j < i; j++)
            FUZZ_ASSERT(strcmp(c->vm[i].name, c->vm[j].name) != 0);
    }
    FUZZ_ASSERT(next <= ncpus);
}

static void check_refused(const struct config_error *err, const char *file, size_t len)
{
    unsigned lines = 1;

    for (size_t i = 0; i < len; i++)
        lines += file[i] == '\n';
    FUZZ_ASSERT(strnlen(err->msg, sizeof(err->msg)) < sizeof(err->msg));
    FUZZ_ASSERT(strncmp(err->msg, "keel.cfg:", 9) == 0);
    FUZZ_ASSERT(err->line <= lines && strchr(err->msg, '\n') == NULL);
}

#define EMIT(...) (k += (size_t)snprintf(text + k, sizeof(text) - k, __VA_ARGS__))

static void emit_vm(const struct keel_vm_cfg *vm, unsigned i, size_t *kp)
{
    static const char *const yn[] = { "no", "yes" };
    size_t k = *kp;

    EMIT("vm%u.name = %s\nvm%u.guest = %s\nvm%u.cmdline = %s\n", i, vm->name, i,
         vm->builtin ? "builtin" : vm->guest, i, vm->cmdline);
    EMIT("vm%u.initrd = %s\n", i, vm->initrd);
    for (unsigned m = 0; m < vm->nmodules; m++)
        EMIT("vm%u.module = %s %s\n", i, vm->module[m].path, vm->module[m].args);
    EMIT("vm%u.cpus = %u\nvm%u.memory = %lluK\n", i, vm->cpus, i,
         (unsigned long long)(vm->memory >> 10));
    EMIT("vm%u.x2apic = %s\nvm%u.tsc_deadline = %s\nvm%u.madt_x2apic = %s\n", i,
         yn[vm->x2apic], i, yn[vm->tsc_deadline], i, yn[vm->madt_x2apic]);
    EMIT("vm%u.pit_lost_ticks = %s\nvm%u.exit_port = %s\nvm%u.irq_ports = %s\n", i,
         vm->pit_discard ? "discard" : "reinject", i, yn[vm->exit_port], i, yn[vm->irq_ports]);
    EMIT("vm%u.x2apic_exact_ids = %s\nvm%u.apic_accel = %s\n", i, yn[vm->x2apic_exact_ids], i,
         yn[vm->apic_accel]);
    static const char *const tri[] = { "off", "on", "auto" };
    EMIT("vm%u.avic = %s\nvm%u.avic_erratum_1235 = %s\nvm%u.x2apic_no_x2avic = %s\n", i,
         tri[vm->avic < 0 ? 2 : vm->avic], i,
         tri[vm->avic_erratum_1235 < 0 ? 2 : vm->avic_erratum_1235], i,
         vm->x2apic_hybrid ? "hybrid" : "inhibit");
    char reasons[128];
    apic_inhibit_describe(vm->inhibit_test, reasons, sizeof(reasons));
    EMIT("vm%u.inhibit_test = %s\n", i, reasons);
    EMIT("vm%u.on_reboot = %s\nvm%u.on_triple_fault = %s\n", i,
         vm->on_reboot_stop ? "stop" : "restart", i, vm->triple_fault_reset ? "reset" : "stop");
    *kp = k;
}

/* keel.cfg text that sets every key to the value it has in @c. */
static size_t emit(const struct keel_config *c)
{
    size_t k = 0;

    EMIT("log_level = %s\nserial_baud = %u\ndebug_exit = %#x\n",
         config_log_level_name(c->log_level), c->serial_baud, c->debug_exit);
    EMIT("bochs_exit = %s\non_exit = %s\n", c->bochs_exit ? "yes" : "no",
         c->on_exit == ON_EXIT_RESET ? "reset" : "halt");
    if (c->serial_set)
        EMIT("serial_port = %u\n", c->serial_port);
    for (unsigned i = 0; i < c->nvms; i++)
        emit_vm(&c->vm[i], i, &k);
    FUZZ_ASSERT(k < sizeof(text));
    return k;
}

static void check_same_vm(const struct keel_vm_cfg *a, const struct keel_vm_cfg *b)
{
    FUZZ_ASSERT(a->present == b->present && strcmp(a->name, b->name) == 0);
    FUZZ_ASSERT(a->builtin == b->builtin && strcmp(a->guest, b->guest) == 0);
    FUZZ_ASSERT(strcmp(a->cmdline, b->cmdline) == 0 && a->nmodules == b->nmodules);
    FUZZ_ASSERT(strcmp(a->initrd, b->initrd) == 0);
    for (unsigned m = 0; m < a->nmodules; m++) {
        FUZZ_ASSERT(strcmp(a->module[m].path, b->module[m].path) == 0);
        FUZZ_ASSERT(strcmp(a->module[m].args, b->module[m].args) == 0);
    }
    FUZZ_ASSERT(a->cpus == b->cpus && a->first_cpu == b->first_cpu && a->memory == b->memory);
    FUZZ_ASSERT(a->x2apic == b->x2apic && a->tsc_deadline == b->tsc_deadline &&
                a->madt_x2apic == b->madt_x2apic && a->pit_discard == b->pit_discard &&
                a->exit_port == b->exit_port && a->irq_ports == b->irq_ports &&
                a->x2apic_exact_ids == b->x2apic_exact_ids && a->apic_accel == b->apic_accel);
    FUZZ_ASSERT(a->avic == b->avic && a->avic_erratum_1235 == b->avic_erratum_1235 &&
                a->x2apic_hybrid == b->x2apic_hybrid && a->inhibit_test == b->inhibit_test);
    FUZZ_ASSERT(a->on_reboot_stop == b->on_reboot_stop &&
                a->triple_fault_reset == b->triple_fault_reset);
}

static void check_round_trip(const struct keel_config *c, unsigned ncpus)
{
    struct config_error err;
    size_t len = emit(c);

    config_defaults(&again);
    if (config_parse(&again, text, len, NULL, &err) < 0 ||
        config_finalize(&again, ncpus, NULL, &err) < 0) {
        fprintf(stderr, "written back, refused: %s\n%s", err.msg, text);
        FUZZ_ASSERT(!"a written-back configuration parses");
    }
    FUZZ_ASSERT(c->log_level == again.log_level && c->serial_port == again.serial_port &&
                c->serial_baud == again.serial_baud && c->serial_set == again.serial_set &&
                c->debug_exit == again.debug_exit && c->bochs_exit == again.bochs_exit &&
                c->on_exit == again.on_exit && c->nvms == again.nvms);
    for (unsigned i = 0; i < c->nvms; i++)
        check_same_vm(&c->vm[i], &again.vm[i]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct config_error err;
    unsigned ncpus;
    const char *file;

    if (size < 1)
        return 0;
    ncpus = data[0];
    file = (const char *)data + 1;
    config_defaults(&cfg);
    if (config_parse(&cfg, file, size - 1, NULL, &err) < 0 ||
        config_finalize(&cfg, ncpus, NULL, &err) < 0) {
        check_refused(&err, file, size - 1);
        return 0;
    }
    check_accepted(&cfg, ncpus);
    check_round_trip(&cfg, ncpus);
    return 0;
}
