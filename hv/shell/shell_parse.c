/* SPDX-License-Identifier: MIT */
/* The shell's command parser (hv/shell/shell_parse.h). */
#include "hv/shell/shell_parse.h"

#include <stdio.h>
#include <string.h>

#define MAX_WORDS 6
#define ID_MAX 0xffffu   /* VM and vCPU numbers: far beyond any real count */

struct words {
    const char *w[MAX_WORDS];
    size_t len[MAX_WORDS];
    unsigned n;
    bool too_many;
};

static const struct shell_cmd_help help_table[SHELL_CMD_COUNT] = {
    [SHELL_CMD_HELP] = { "help", "this list" },
    [SHELL_CMD_CPUS] = { "cpus", "physical CPUs, the CPU's virtualization features, which vCPU runs where" },
    [SHELL_CMD_VMS] = { "vms", "each VM: name, guest, state, vCPUs, memory" },
    [SHELL_CMD_VCPU] = { "vcpu VM.N|N", "a vCPU's state, registers, pending events and exit counts" },
    [SHELL_CMD_APIC] = { "apic VM.N|N", "a vCPU's local APIC: mode, registers, IRR/ISR/TMR, acceleration" },
    [SHELL_CMD_INHIBITS] = { "inhibits", "APIC acceleration inhibit reasons per VM and each vCPU's decision" },
    [SHELL_CMD_IOMMU] = { "iommu", "the IOMMU units found at boot: base, scopes, features, queue" },
    [SHELL_CMD_STATS] = { "stats", "VM exits by reason since boot and since the last stats" },
    [SHELL_CMD_TRACE] = { "trace on|off|dump [N]", "record exits and injections per vCPU; show the last N (1..256, default 16)" },
    [SHELL_CMD_LOG] = { "log error|warn|info|debug", "set the log level" },
    [SHELL_CMD_MEM] = { "mem VM GPA LEN", "hex dump of a VM's RAM (LEN 1..4096)" },
    [SHELL_CMD_VM_STOP] = { "vm stop VM", "stop a VM (status 112)" },
    [SHELL_CMD_VM_RESTART] = { "vm restart VM", "reset a VM and boot its guest again" },
    [SHELL_CMD_REBOOT] = { "reboot", "reset the machine" },
    [SHELL_CMD_POWEROFF] = { "poweroff", "stop every VM and end as keel.cfg's on_exit says" },
};

const struct shell_cmd_help *shell_cmd_help(enum shell_cmd_id id)
{
    return id > SHELL_CMD_NONE && id < SHELL_CMD_COUNT ? &help_table[id] : NULL;
}

static void split(const char *s, struct words *w)
{
    w->n = 0;
    w->too_many = false;
    for (;;) {
        while (*s == ' ' || *s == '\t')
            s++;
        if (!*s)
            return;
        if (w->n == MAX_WORDS) {
            w->too_many = true;
            return;
        }
        w->w[w->n] = s;
        while (*s && *s != ' ' && *s != '\t')
            s++;
        w->len[w->n] = (size_t)(s - w->w[w->n]);
        w->n++;
    }
}

static bool word_is(const struct words *w, unsigned i, const char *s)
{
    return i < w->n && w->len[i] == strlen(s) && memcmp(w->w[i], s, w->len[i]) == 0;
}

/* A word as a NUL-terminated string (words are at most a line long). */
static const char *word(const struct words *w, unsigned i, char *buf, size_t size)
{
    size_t n = w->len[i] < size - 1 ? w->len[i] : size - 1;
    memcpy(buf, w->w[i], n);
    buf[n] = 0;
    return buf;
}

static int digit(char c, unsigned base)
{
    int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
            : c >= 'A' && c <= 'F' ? c - 'A' + 10 : 99;
    return d < (int)base ? d : -1;
}

bool shell_parse_u64(const char *s, uint64_t *out)
{
    unsigned base = 10;
    if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
        base = 16;
        s += 2;
    }
    if (!*s)
        return false;
    uint64_t v = 0;
    for (; *s; s++) {
        int d = digit(*s, base);
        if (d < 0 || v > (UINT64_MAX - (uint64_t)d) / base)
            return false;
        v = v * base + (uint64_t)d;
    }
    *out = v;
    return true;
}

static bool parse_id(const char *s, unsigned *out)
{
    uint64_t v;
    if (!shell_parse_u64(s, &v) || v > ID_MAX)
        return false;
    *out = (unsigned)v;
    return true;
}

bool shell_parse_vm(const char *s, unsigned *vm)
{
    if (s[0] == 'v' && s[1] == 'm')
        s += 2;
    return parse_id(s, vm);
}

bool shell_parse_vcpu(const char *s, unsigned *vm, unsigned *vcpu)
{
    char buf[32];
    const char *dot = strchr(s, '.');
    if (!dot) {
        *vm = 0;
        return parse_id(s, vcpu);
    }
    size_t n = (size_t)(dot - s);
    if (n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = 0;
    return shell_parse_vm(buf, vm) && parse_id(dot + 1, vcpu);
}

static const char *const cmd_names[SHELL_CMD_COUNT] = {
    [SHELL_CMD_HELP] = "help", [SHELL_CMD_CPUS] = "cpus", [SHELL_CMD_VMS] = "vms",
    [SHELL_CMD_VCPU] = "vcpu", [SHELL_CMD_APIC] = "apic", [SHELL_CMD_INHIBITS] = "inhibits",
    [SHELL_CMD_IOMMU] = "iommu",
    [SHELL_CMD_STATS] = "stats", [SHELL_CMD_LOG] = "log", [SHELL_CMD_MEM] = "mem",
    [SHELL_CMD_TRACE] = "trace",
    [SHELL_CMD_VM_STOP] = "vm", [SHELL_CMD_REBOOT] = "reboot", [SHELL_CMD_POWEROFF] = "poweroff",
};

/* Arguments each command takes (after its name; "vm stop" counts stop). */
static const unsigned cmd_nargs[SHELL_CMD_COUNT] = {
    [SHELL_CMD_VCPU] = 1, [SHELL_CMD_APIC] = 1, [SHELL_CMD_LOG] = 1,
    [SHELL_CMD_MEM] = 3, [SHELL_CMD_VM_STOP] = 2, [SHELL_CMD_VM_RESTART] = 2,
    [SHELL_CMD_TRACE] = 1, /* or 2: trace dump N */
};

static int fail(char *err, const char *fmt, const char *a)
{
    snprintf(err, SHELL_ERR_MAX, fmt, a);
    return -1;
}

static int parse_log(const struct words *w, struct shell_cmd *c, char *err)
{
    static const char *const levels[] = { "error", "warn", "info", "debug" };
    for (unsigned i = 0; i < 4; i++)
        if (word_is(w, 1, levels[i])) {
            c->level = i;
            return 0;
        }
    return fail(err, "log: unknown level (error, warn, info or debug)%s", "");
}

static int parse_mem(const struct words *w, struct shell_cmd *c, char *err)
{
    char a[SHELL_ERR_MAX / 2];
    if (!shell_parse_vm(word(w, 1, a, sizeof(a)), &c->vm))
        return fail(err, "mem: '%s' is not a VM (N or vmN)", a);
    if (!shell_parse_u64(word(w, 2, a, sizeof(a)), &c->gpa))
        return fail(err, "mem: '%s' is not an address (decimal, or hex with 0x)", a);
    if (!shell_parse_u64(word(w, 3, a, sizeof(a)), &c->len) || c->len == 0
        || c->len > SHELL_MEM_MAX)
        return fail(err, "mem: '%s' is not a length from 1 to 4096", a);
    if (c->gpa + c->len < c->gpa)
        return fail(err, "mem: the range wraps around the address space%s", "");
    return 0;
}

static int parse_trace(const struct words *w, struct shell_cmd *c, char *err)
{
    char a[SHELL_ERR_MAX / 2];
    c->len = SHELL_TRACE_DEFAULT;
    if (word_is(w, 1, "dump")) {
        c->trace = SHELL_TRACE_DUMP;
        if (w->n == 3 && (!shell_parse_u64(word(w, 2, a, sizeof(a)), &c->len) || c->len == 0
                          || c->len > SHELL_TRACE_MAX))
            return fail(err, "trace dump: '%s' is not a count from 1 to 256", a);
        return 0;
    }
    if (w->n == 2 && word_is(w, 1, "on"))
        c->trace = SHELL_TRACE_ON;
    else if (w->n == 2 && word_is(w, 1, "off"))
        c->trace = SHELL_TRACE_OFF;
    else
        return fail(err, "usage: %s", help_table[SHELL_CMD_TRACE].usage);
    return 0;
}

static int parse_args(const struct words *w, struct shell_cmd *c, char *err)
{
    char a[SHELL_ERR_MAX / 2];
    switch (c->id) {
    case SHELL_CMD_VCPU:
    case SHELL_CMD_APIC:
        if (!shell_parse_vcpu(word(w, 1, a, sizeof(a)), &c->vm, &c->vcpu))
            return fail(err, "'%s' is not a vCPU (VM.N, e.g. vm0.1, or N for vm0's)", a);
        return 0;
    case SHELL_CMD_LOG:
        return parse_log(w, c, err);
    case SHELL_CMD_MEM:
        return parse_mem(w, c, err);
    case SHELL_CMD_VM_STOP:
        if (word_is(w, 1, "restart"))
            c->id = SHELL_CMD_VM_RESTART;
        else if (!word_is(w, 1, "stop"))
            return fail(err, "vm: the subcommands are 'vm stop VM' and 'vm restart VM'%s", "");
        if (!shell_parse_vm(word(w, 2, a, sizeof(a)), &c->vm))
            return fail(err, c->id == SHELL_CMD_VM_STOP ? "vm stop: '%s' is not a VM (N or vmN)"
                                                        : "vm restart: '%s' is not a VM (N or vmN)", a);
        return 0;
    case SHELL_CMD_TRACE:
        return parse_trace(w, c, err);
    default:
        return 0;
    }
}

int shell_parse(const char *line, struct shell_cmd *c, char *err)
{
    struct words w;
    char name[24];
    memset(c, 0, sizeof(*c));
    err[0] = 0;
    split(line, &w);
    if (w.n == 0 && !w.too_many)
        return 0; /* SHELL_CMD_NONE */
    for (unsigned id = SHELL_CMD_HELP; id < SHELL_CMD_COUNT; id++) {
        if (!cmd_names[id] || !word_is(&w, 0, cmd_names[id]))
            continue;
        c->id = (enum shell_cmd_id)id;
        bool trace_n = id == SHELL_CMD_TRACE && w.n == 3; /* trace dump N */
        if (w.too_many || (w.n - 1 != cmd_nargs[id] && !trace_n)) {
            unsigned u = id == SHELL_CMD_VM_STOP && word_is(&w, 1, "restart") ? SHELL_CMD_VM_RESTART : id;
            snprintf(err, SHELL_ERR_MAX, "usage: %s", help_table[u].usage);
            return -1;
        }
        return parse_args(&w, c, err);
    }
    return fail(err, "unknown command '%s' (help lists them)", word(&w, 0, name, sizeof(name)));
}
