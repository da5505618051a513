/* SPDX-License-Identifier: MIT */
/*
 * The keel.cfg parser (see config.h and docs/config.md).
 *
 * Each line is split into key and value, the key is resolved through
 * config_keys[] (with an optional "vmN." prefix for per-VM keys), and the
 * key's setter checks and stores the value.  Messages are built with
 * snprintf only: error() prefixes "file:line: ", quote() shortens user text.
 */
#include "boot/config.h"
#include "boot/config_keys.h"

#include "apic/apic_inhibit.h"

#include <stdio.h>
#include <string.h>

#define DEFAULT_FILE    "keel.cfg"
#define BAUD_BASE       115200u   /* 16550 input clock / 16 */
#define QUOTE_MAX       40        /* user text shown in messages */


/* ------------------------------------------------------------ parsing state */

struct parser {
    struct keel_config *cfg;
    struct config_error *err;
    const char *file;
    unsigned line;
    const char *key;    /* as written, prefix included */
    size_t keylen;
    const char *val;    /* trimmed, not NUL-terminated */
    size_t vallen;
    struct keel_vm_cfg *vm; /* the VM a per-VM key applies to */
    unsigned idx;           /* its index */
};

/* --------------------------------------------------------------- helpers */

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* s[0..n) equals the NUL-terminated word w, ignoring case. */
static bool word_eq(const char *s, size_t n, const char *w)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (w[i] == '\0' || lower(s[i]) != lower(w[i]))
            return false;
    return w[n] == '\0';
}

static void trim(const char **s, size_t *n)
{
    while (*n > 0 && is_space(**s)) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && is_space((*s)[*n - 1]))
        (*n)--;
}

/* Copies s[0..n) into out for a message: control characters become '?',
 * anything past QUOTE_MAX characters becomes "...". */
static const char *quote(char *out, size_t outlen, const char *s, size_t n)
{
    size_t i, k = 0;

    for (i = 0; i < n && i < QUOTE_MAX && k + 1 < outlen; i++)
        out[k++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? '?' : s[i];
    if (i < n)
        for (i = 0; i < 3 && k + 1 < outlen; i++)
            out[k++] = '.';
    out[k] = '\0';
    return out;
}

/* Fills *err with "file:line: text" (or "file: text" for line 0); returns -1. */
static int error_at(struct config_error *err, const char *file, unsigned line, const char *text)
{
    /* "file:line: " then as much of text as fits (a long message is cut
     * short, it stays readable); by hand, not one snprintf, so the
     * compiler sees no truncation to warn about. */
    size_t n = sizeof(err->msg), k;
    err->line = line;
    if (line != 0)
        k = (size_t)snprintf(err->msg, n, "%.80s:%u: ", file, line);
    else
        k = (size_t)snprintf(err->msg, n, "%.80s: ", file);
    for (; k + 1 < n && *text; k++)
        err->msg[k] = *text++;
    err->msg[k < n ? k : n - 1] = '\0';
    return -1;
}

static int fail(struct parser *p, const char *text)
{
    return error_at(p->err, p->file, p->line, text);
}

/* "bad value 'x' for 'key': expected ..." */
static int bad_value(struct parser *p, const char *expected)
{
    char v[QUOTE_MAX + 4], k[QUOTE_MAX + 4], text[sizeof(p->err->msg)];

    snprintf(text, sizeof(text), "bad value '%s' for '%s': expected %s",
             quote(v, sizeof(v), p->val, p->vallen), quote(k, sizeof(k), p->key, p->keylen),
             expected);
    return fail(p, text);
}

/* "value for 'key' is too long (N chars, at most M)", what = "value for 'key'". */
static int too_long(struct parser *p, const char *what, size_t n, unsigned max)
{
    char text[sizeof(p->err->msg)];

    snprintf(text, sizeof(text), "%s is too long (%llu chars, at most %u)", what,
             (unsigned long long)n, max);
    return fail(p, text);
}

static int value_too_long(struct parser *p, unsigned max)
{
    char k[QUOTE_MAX + 4], what[QUOTE_MAX + 20];

    snprintf(what, sizeof(what), "value for '%s'", quote(k, sizeof(k), p->key, p->keylen));
    return too_long(p, what, p->vallen, max);
}

/*
 * Parses a number at s[0..n): decimal, or hexadecimal after 0x.  Stores it
 * and returns how many characters it used (0: no number, or overflow).
 */
static size_t parse_number(const char *s, size_t n, uint64_t *out)
{
    bool hex = n > 2 && s[0] == '0' && lower(s[1]) == 'x';
    size_t i = hex ? 2 : 0, start = i;
    uint64_t v = 0;

    for (; i < n; i++) {
        char c = lower(s[i]);
        unsigned d;

        if (is_digit(c))
            d = (unsigned)(c - '0');
        else if (hex && c >= 'a' && c <= 'f')
            d = (unsigned)(c - 'a' + 10);
        else
            break;
        if (v > (UINT64_MAX - d) / (hex ? 16 : 10))
            return 0;
        v = v * (hex ? 16 : 10) + d;
    }
    if (i == start)
        return 0;
    *out = v;
    return i;
}

/* The whole value is a number in [min, max]. */
static bool value_number(const struct parser *p, uint64_t min, uint64_t max, uint64_t *out)
{
    return p->vallen > 0 && parse_number(p->val, p->vallen, out) == p->vallen &&
           *out >= min && *out <= max;
}

static void copy_text(char *dst, const char *src, size_t n)
{
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* ----------------------------------------------------------- global keys */

static int set_log_level(struct parser *p)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };
    unsigned i;

    for (i = 0; i < 4; i++) {
        if (word_eq(p->val, p->vallen, names[i])) {
            p->cfg->log_level = (enum keel_log_level)i;
            return 0;
        }
    }
    return bad_value(p, "error, warn, info or debug");
}

static int set_serial_port(struct parser *p)
{
    uint64_t v;

    if (!value_number(p, 0, 0xffff, &v))
        return bad_value(p, "an I/O port from 0 to 0xffff (0 = no serial)");
    p->cfg->serial_port = (uint16_t)v;
    p->cfg->serial_set = true;
    return 0;
}

/* console = com1..com4 | PORT | none [,BAUD]: the PC's standard COM port
 * addresses (3F8H, 2F8H, 3E8H, 2E8H), for real machines whose cable is
 * not on COM1. */
static int set_console(struct parser *p)
{
    static const char *const names[] = { "com1", "com2", "com3", "com4", "none" };
    static const uint16_t ports[] = { 0x3f8, 0x2f8, 0x3e8, 0x2e8, 0 };
    const char *expected = "com1, com2, com3, com4, an I/O port or none, then optionally "
                           "',BAUD' with a rate that divides 115200";
    size_t n = 0;
    uint64_t port = 0, baud = 0;
    unsigned i;

    while (n < p->vallen && p->val[n] != ',')
        n++;
    for (i = 0; i < 5 && !word_eq(p->val, n, names[i]); i++)
        ;
    if (i < 5)
        port = ports[i];
    else if (n == 0 || parse_number(p->val, n, &port) != n || port > 0xffff)
        return bad_value(p, expected);
    if (n < p->vallen) {
        size_t rest = p->vallen - n - 1;
        if (rest == 0 || parse_number(p->val + n + 1, rest, &baud) != rest || baud < 2 ||
            baud > BAUD_BASE || BAUD_BASE % baud != 0)
            return bad_value(p, expected);
        p->cfg->serial_baud = (uint32_t)baud;
    }
    p->cfg->serial_port = (uint16_t)port;
    p->cfg->serial_set = true;
    return 0;
}

static int set_serial_baud(struct parser *p)
{
    uint64_t v;

    /* The divisor latch holds BAUD_BASE / rate: it must be exact and fit
     * 16 bits (16550 "Divisor Latch"), so rates 2..115200. */
    if (!value_number(p, 2, BAUD_BASE, &v) || BAUD_BASE % v != 0)
        return bad_value(p, "a rate that divides 115200 (115200, 57600, 38400, 19200, "
                            "9600, ...)");
    p->cfg->serial_baud = (uint32_t)v;
    return 0;
}

static int set_debug_exit(struct parser *p)
{
    uint64_t v;

    if (!value_number(p, 0, 0xffff, &v))
        return bad_value(p, "an I/O port from 0 to 0xffff (0 = none)");
    p->cfg->debug_exit = (uint16_t)v;
    return 0;
}

static int parse_bool(struct parser *p, bool *out)
{
    static const char *const yes[] = { "yes", "true", "on", "1" };
    static const char *const no[] = { "no", "false", "off", "0" };
    unsigned i;

    for (i = 0; i < 4; i++) {
        if (word_eq(p->val, p->vallen, yes[i]) || word_eq(p->val, p->vallen, no[i])) {
            *out = word_eq(p->val, p->vallen, yes[i]);
            return 0;
        }
    }
    return bad_value(p, "yes or no");
}

static int set_bochs_exit(struct parser *p)
{
    return parse_bool(p, &p->cfg->bochs_exit);
}

static int set_on_exit(struct parser *p)
{
    if (word_eq(p->val, p->vallen, "halt"))
        p->cfg->on_exit = ON_EXIT_HALT;
    else if (word_eq(p->val, p->vallen, "reset"))
        p->cfg->on_exit = ON_EXIT_RESET;
    else
        return bad_value(p, "halt or reset");
    return 0;
}

/* ----------------------------------------------------------- per-VM keys */

static int set_name(struct parser *p)
{
    struct keel_vm_cfg *vm = p->vm;
    size_t i;

    if (p->vallen > KEEL_NAME_MAX)
        return value_too_long(p, KEEL_NAME_MAX);
    for (i = 0; i < p->vallen; i++) {
        char c = lower(p->val[i]);

        if (!is_digit(c) && !(c >= 'a' && c <= 'z') && c != '_' && c != '-')
            break;
    }
    if (p->vallen == 0 || i < p->vallen)
        return bad_value(p, "1 to 31 letters, digits, '_' or '-'");
    copy_text(vm->name, p->val, p->vallen);
    return 0;
}

/* A path relative to keel.efi: printable ASCII without "*:<>?|, not
 * starting with a separator.  Copies it with '\' turned into '/'. */
static bool copy_path(char *dst, const char *s, size_t n)
{
    size_t i;

    if (n == 0 || s[0] == '/' || s[0] == '\\')
        return false;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (c < 0x20 || c > 0x7e || strchr("\"*:<>?|", c) != NULL)
            return false;
        dst[i] = c == '\\' ? '/' : (char)c;
    }
    dst[n] = '\0';
    return true;
}

#define PATH_EXPECTED "a path relative to keel.efi's directory (printable ASCII, no \"*:<>?|)"

static int set_guest(struct parser *p)
{
    struct keel_vm_cfg *vm = p->vm;
    if (p->vallen > KEEL_PATH_MAX)
        return value_too_long(p, KEEL_PATH_MAX);
    if (word_eq(p->val, p->vallen, "builtin")) {
        vm->builtin = true;
        vm->guest[0] = '\0';
    } else if (copy_path(vm->guest, p->val, p->vallen)) {
        vm->builtin = false;
    } else {
        return bad_value(p, "'builtin' or " PATH_EXPECTED);
    }
    vm->guest_line = p->line;
    return 0;
}

static int set_cmdline(struct parser *p)
{
    struct keel_vm_cfg *vm = p->vm;
    if (p->vallen > KEEL_CMDLINE_MAX)
        return value_too_long(p, KEEL_CMDLINE_MAX);
    copy_text(vm->cmdline, p->val, p->vallen);
    return 0;
}

/* initrd = path, or empty for none (so --set initrd= drops one given in the file). */
static int set_initrd(struct parser *p)
{
    struct keel_vm_cfg *vm = p->vm;
    if (p->vallen > KEEL_PATH_MAX)
        return value_too_long(p, KEEL_PATH_MAX);
    if (p->vallen == 0)
        vm->initrd[0] = '\0';
    else if (!copy_path(vm->initrd, p->val, p->vallen))
        return bad_value(p, PATH_EXPECTED);
    vm->initrd_line = p->line;
    return 0;
}

static int set_module(struct parser *p)
{
    struct keel_vm_cfg *vm = p->vm;
    const char *args;
    size_t plen = 0, alen;
    char text[64];
    struct keel_module_cfg *m;

    if (p->vallen == 0) {
        vm->nmodules = 0;
        return 0;
    }
    while (plen < p->vallen && !is_space(p->val[plen]))
        plen++;
    args = p->val + plen;
    alen = p->vallen - plen;
    trim(&args, &alen);
    if (vm->nmodules >= KEEL_MAX_MODULES) {
        snprintf(text, sizeof(text), "too many modules for vm%u (at most %u)", p->idx,
                 KEEL_MAX_MODULES);
        return fail(p, text);
    }
    if (plen > KEEL_PATH_MAX)
        return too_long(p, "module path", plen, KEEL_PATH_MAX);
    if (alen > KEEL_MODARGS_MAX)
        return too_long(p, "module command line", alen, KEEL_MODARGS_MAX);
    m = &vm->module[vm->nmodules];
    if (!copy_path(m->path, p->val, plen))
        return bad_value(p, PATH_EXPECTED ", then the module's command line");
    copy_text(m->args, args, alen);
    m->line = p->line;
    vm->nmodules++;
    return 0;
}

static int set_cpus(struct parser *p)
{
    struct keel_vm_cfg *vm = p->vm;
    uint64_t v;

    if (!value_number(p, 1, KEEL_MAX_VCPUS, &v))
        return bad_value(p, "a number from 1 to 64");
    vm->cpus = (unsigned)v;
    vm->cpus_line = p->line;
    return 0;
}

/* The multiplier of a size suffix, 0 if s[0..n) is not one. */
static uint64_t size_unit(const char *s, size_t n)
{
    static const struct { const char *a, *b; uint64_t mult; } units[] = {
        { "", "", 1 }, { "k", "kib", 1ull << 10 }, { "m", "mib", 1ull << 20 },
        { "g", "gib", 1ull << 30 },
    };
    size_t i;

    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
        if (word_eq(s, n, units[i].a) || word_eq(s, n, units[i].b))
            return units[i].mult;
    return 0;
}

static int set_memory(struct parser *p)
{
    struct keel_vm_cfg *vm = p->vm;
    const char *unit;
    size_t used, ulen;
    uint64_t v, mult;

    used = parse_number(p->val, p->vallen, &v);
    unit = p->val + used;
    ulen = p->vallen - used;
    trim(&unit, &ulen);
    mult = size_unit(unit, ulen);
    if (used == 0 || mult == 0 || v > UINT64_MAX / mult)
        return bad_value(p, "a size such as 64M or 1G");
    v *= mult;
    if (v < KEEL_MEMORY_MIN || v > KEEL_MEMORY_MAX || v % KEEL_MEMORY_ALIGN != 0)
        return bad_value(p, "a multiple of 2M from 16M to 256G");
    vm->memory = v;
    vm->memory_line = p->line;
    return 0;
}

static int set_x2apic(struct parser *p) { return parse_bool(p, &p->vm->x2apic); }
static int set_tsc_deadline(struct parser *p) { return parse_bool(p, &p->vm->tsc_deadline); }
static int set_madt_x2apic(struct parser *p) { return parse_bool(p, &p->vm->madt_x2apic); }

static int set_apic_mode(struct parser *p)
{
    if (word_eq(p->val, p->vallen, "xapic"))
        p->vm->x2apic_at_entry = false;
    else if (word_eq(p->val, p->vallen, "x2apic"))
        p->vm->x2apic_at_entry = true;
    else
        return bad_value(p, "xapic or x2apic");
    return 0;
}
static int set_exit_port(struct parser *p) { return parse_bool(p, &p->vm->exit_port); }
static int set_irq_ports(struct parser *p) { return parse_bool(p, &p->vm->irq_ports); }
static int set_x2apic_exact_ids(struct parser *p) { return parse_bool(p, &p->vm->x2apic_exact_ids); }
static int set_apic_accel(struct parser *p) { return parse_bool(p, &p->vm->apic_accel); }

/* auto | on | off into -1 / 1 / 0. */
static int parse_tristate(struct parser *p, int8_t *out)
{
    if (word_eq(p->val, p->vallen, "auto"))
        *out = -1;
    else if (word_eq(p->val, p->vallen, "on"))
        *out = 1;
    else if (word_eq(p->val, p->vallen, "off"))
        *out = 0;
    else
        return bad_value(p, "auto, on or off");
    return 0;
}

static int set_avic(struct parser *p) { return parse_tristate(p, &p->vm->avic); }
static int set_avic_erratum(struct parser *p) { return parse_tristate(p, &p->vm->avic_erratum_1235); }
static int set_irq_remap(struct parser *p) { return parse_tristate(p, &p->vm->irq_remap); }
static int set_invariant_tsc(struct parser *p) { return parse_tristate(p, &p->cfg->invariant_tsc); }

static int set_pm_timer(struct parser *p)
{
    if (word_eq(p->val, p->vallen, "auto"))
        p->vm->pm_timer = -1;
    else if (word_eq(p->val, p->vallen, "host"))
        p->vm->pm_timer = 1;
    else if (word_eq(p->val, p->vallen, "emulated"))
        p->vm->pm_timer = 0;
    else
        return bad_value(p, "auto, host or emulated");
    return 0;
}

static int set_inhibit_test(struct parser *p)
{
    if (!apic_inhibit_parse(p->val, (unsigned)p->vallen, &p->vm->inhibit_test))
        return bad_value(p, "none, or VM inhibit reasons such as irq-window,id-modified "
                            "(docs/apic-accel.md)");
    return 0;
}

static int set_x2apic_no_x2avic(struct parser *p)
{
    if (word_eq(p->val, p->vallen, "hybrid"))
        p->vm->x2apic_hybrid = true;
    else if (word_eq(p->val, p->vallen, "inhibit"))
        p->vm->x2apic_hybrid = false;
    else
        return bad_value(p, "hybrid or inhibit");
    return 0;
}

static int set_pit_lost_ticks(struct parser *p)
{
    if (word_eq(p->val, p->vallen, "reinject"))
        p->vm->pit_discard = false;
    else if (word_eq(p->val, p->vallen, "discard"))
        p->vm->pit_discard = true;
    else
        return bad_value(p, "reinject or discard");
    return 0;
}

/* A hexadecimal field of exactly 2 (or 1) digits at s[0..n). */
static bool hex_field(const char *s, size_t n, unsigned *out)
{
    unsigned v = 0;

    if (n < 1 || n > 2)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = lower(s[i]);
        if (!is_digit(c) && !(c >= 'a' && c <= 'f'))
            return false;
        v = v * 16 + (unsigned)(is_digit(c) ? c - '0' : c - 'a' + 10);
    }
    *out = v;
    return true;
}

int config_parse_bdf(const char *s, size_t n, uint16_t *bdf, char *why, size_t whylen)
{
    const char *colon = memchr(s, ':', n), *dot = colon ? memchr(colon, '.', n - (size_t)(colon - s)) : NULL;
    unsigned bus, dev, fn;

    if (!colon || !dot || memchr(colon + 1, ':', (size_t)(dot - colon - 1))) {
        snprintf(why, whylen, "expected BB:DD.F (hexadecimal bus, device, function; segment 0 only)");
        return -1;
    }
    if (!hex_field(s, (size_t)(colon - s), &bus) ||
        !hex_field(colon + 1, (size_t)(dot - colon - 1), &dev) ||
        !hex_field(dot + 1, n - (size_t)(dot + 1 - s), &fn)) {
        snprintf(why, whylen, "expected BB:DD.F with hexadecimal bus 00-ff, device 00-1f, function 0-7");
        return -1;
    }
    if (dev > 0x1f || fn > 7) {
        snprintf(why, whylen, "%s %#x out of range (at most %s)", dev > 0x1f ? "device" : "function",
                 dev > 0x1f ? dev : fn, dev > 0x1f ? "1f" : "7");
        return -1;
    }
    *bdf = (uint16_t)(bus << 8 | dev << 3 | fn);
    return 0;
}

static int set_pci(struct parser *p)
{
    struct keel_vm_cfg *vm = p->vm;
    char why[96], text[160], v[QUOTE_MAX + 4];
    uint16_t bdf;

    if (p->vallen == 0) {
        vm->npci = 0;
        return 0;
    }
    if (config_parse_bdf(p->val, p->vallen, &bdf, why, sizeof(why))) {
        snprintf(text, sizeof(text), "bad PCI function '%s': %s", quote(v, sizeof(v), p->val, p->vallen),
                 why);
        return fail(p, text);
    }
    for (unsigned i = 0; i < vm->npci; i++) {
        if (vm->pci[i] == bdf) {
            snprintf(text, sizeof(text), "PCI function %02x:%02x.%x is already assigned to vm%u "
                     "(line %u)", bdf >> 8, (bdf >> 3) & 0x1f, bdf & 7, p->idx, vm->pci_line[i]);
            return fail(p, text);
        }
    }
    if (vm->npci >= KEEL_MAX_PCI) {
        snprintf(text, sizeof(text), "too many PCI functions for vm%u (at most %u)", p->idx,
                 KEEL_MAX_PCI);
        return fail(p, text);
    }
    vm->pci_line[vm->npci] = p->line;
    vm->pci[vm->npci++] = bdf;
    return 0;
}

static int set_on_dma_fault(struct parser *p)
{
    if (word_eq(p->val, p->vallen, "stop"))
        p->vm->dma_fault_continue = false;
    else if (word_eq(p->val, p->vallen, "continue"))
        p->vm->dma_fault_continue = true;
    else
        return bad_value(p, "stop or continue");
    return 0;
}

static int set_on_reboot(struct parser *p)
{
    if (word_eq(p->val, p->vallen, "restart"))
        p->vm->on_reboot_stop = false;
    else if (word_eq(p->val, p->vallen, "stop"))
        p->vm->on_reboot_stop = true;
    else
        return bad_value(p, "restart or stop");
    return 0;
}

static int set_on_triple_fault(struct parser *p)
{
    if (word_eq(p->val, p->vallen, "stop"))
        p->vm->triple_fault_reset = false;
    else if (word_eq(p->val, p->vallen, "reset"))
        p->vm->triple_fault_reset = true;
    else
        return bad_value(p, "stop or reset");
    return 0;
}

typedef int (*setter_fn)(struct parser *p);

static const setter_fn setters[K_COUNT] = {
    [K_LOG_LEVEL] = set_log_level,
    [K_SERIAL_PORT] = set_serial_port,
    [K_CONSOLE] = set_console,
    [K_SERIAL_BAUD] = set_serial_baud,
    [K_DEBUG_EXIT] = set_debug_exit,
    [K_BOCHS_EXIT] = set_bochs_exit,
    [K_ON_EXIT] = set_on_exit,
    [K_NAME] = set_name,
    [K_GUEST] = set_guest,
    [K_CMDLINE] = set_cmdline,
    [K_INITRD] = set_initrd,
    [K_MODULE] = set_module,
    [K_CPUS] = set_cpus,
    [K_MEMORY] = set_memory,
    [K_X2APIC] = set_x2apic,
    [K_TSC_DEADLINE] = set_tsc_deadline,
    [K_MADT_X2APIC] = set_madt_x2apic,
    [K_APIC_MODE] = set_apic_mode,
    [K_PIT_LOST_TICKS] = set_pit_lost_ticks,
    [K_EXIT_PORT] = set_exit_port,
    [K_IRQ_PORTS] = set_irq_ports,
    [K_X2APIC_EXACT_IDS] = set_x2apic_exact_ids,
    [K_APIC_ACCEL] = set_apic_accel,
    [K_AVIC] = set_avic,
    [K_X2APIC_NO_X2AVIC] = set_x2apic_no_x2avic,
    [K_AVIC_ERRATUM_1235] = set_avic_erratum,
    [K_INHIBIT_TEST] = set_inhibit_test,
    [K_PCI] = set_pci,
    [K_ON_DMA_FAULT] = set_on_dma_fault,
    [K_IRQ_REMAP] = set_irq_remap,
    [K_INVARIANT_TSC] = set_invariant_tsc,
    [K_PM_TIMER] = set_pm_timer,

    [K_ON_REBOOT] = set_on_reboot,
    [K_ON_TRIPLE_FAULT] = set_on_triple_fault,
};

/* ------------------------------------------------------------------ lines */

/*
 * Splits a "vmN." prefix off the key.  Stores N (0 without a prefix) and the
 * bare key; *prefixed tells whether there was one.  N may be out of range.
 */
static void split_prefix(const char *key, size_t n, uint64_t *idx, const char **bare,
                         size_t *bare_len, bool *prefixed)
{
    size_t used = 0;

    *idx = 0;
    *bare = key;
    *bare_len = n;
    *prefixed = false;
    if (n > 2 && key[0] == 'v' && key[1] == 'm' && is_digit(key[2])) {
        for (used = 2; used < n && is_digit(key[used]); used++)
            if (*idx < 1000)
                *idx = *idx * 10 + (uint64_t)(key[used] - '0');
        if (used < n && key[used] == '.') {
            *prefixed = true;
            *bare = key + used + 1;
            *bare_len = n - used - 1;
        }
    }
    if (!*prefixed)
        *idx = 0;
}

static int apply(struct parser *p)
{
    char k[QUOTE_MAX + 4], b[QUOTE_MAX + 4], text[sizeof(p->err->msg)];
    const char *bare;
    size_t blen, id;
    uint64_t idx;
    bool prefixed;

    split_prefix(p->key, p->keylen, &idx, &bare, &blen, &prefixed);
    quote(k, sizeof(k), p->key, p->keylen);
    if (prefixed && idx >= KEEL_MAX_VMS) {
        snprintf(text, sizeof(text), "'%s': VM index must be 0..%u", k, KEEL_MAX_VMS - 1);
        return fail(p, text);
    }
    for (id = 0; id < K_COUNT; id++)
        if (strlen(config_keys[id].key) == blen && memcmp(config_keys[id].key, bare, blen) == 0)
            break;
    if (id == K_COUNT) {
        snprintf(text, sizeof(text), "unknown key '%s'", k);
        return fail(p, text);
    }
    if (prefixed && !config_keys[id].per_vm) {
        snprintf(text, sizeof(text), "'%s': '%s' is a global key, without a 'vmN.' prefix", k,
                 quote(b, sizeof(b), bare, blen));
        return fail(p, text);
    }
    p->idx = (unsigned)idx;
    p->vm = &p->cfg->vm[idx];
    if (config_keys[id].per_vm) {
        if (p->vm->first_line == 0)
            p->vm->first_line = p->line;
        p->vm->present = true;
    }
    return setters[id](p);
}

static int parse_line(struct parser *p, const char *s, size_t n)
{
    const char *eq;

    if (memchr(s, '\0', n) != NULL)
        return fail(p, "line contains a NUL byte");
    trim(&s, &n);
    if (n == 0 || s[0] == '#')
        return 0;
    eq = memchr(s, '=', n);
    if (eq == NULL)
        return fail(p, "expected 'key = value'");
    p->key = s;
    p->keylen = (size_t)(eq - s);
    trim(&p->key, &p->keylen);
    p->val = eq + 1;
    p->vallen = (size_t)(s + n - (eq + 1));
    trim(&p->val, &p->vallen);
    if (p->keylen == 0)
        return fail(p, "expected 'key = value'");
    return apply(p);
}

void config_defaults(struct keel_config *cfg)
{
    unsigned i;

    memset(cfg, 0, sizeof(*cfg));
    cfg->log_level = LOG_INFO;
    cfg->serial_port = 0x3f8;
    cfg->serial_baud = BAUD_BASE;
    cfg->debug_exit = 0;
    cfg->bochs_exit = false;
    cfg->on_exit = ON_EXIT_HALT;
    cfg->invariant_tsc = -1;
    for (i = 0; i < KEEL_MAX_VMS; i++) {
        snprintf(cfg->vm[i].name, sizeof(cfg->vm[i].name), "vm%u", i);
        cfg->vm[i].memory = 64ull << 20;
        cfg->vm[i].x2apic = true;
        cfg->vm[i].tsc_deadline = true;
        cfg->vm[i].apic_accel = true;
        cfg->vm[i].avic = -1;
        cfg->vm[i].avic_erratum_1235 = -1;
        cfg->vm[i].irq_remap = -1;
        cfg->vm[i].pm_timer = -1;
        cfg->vm[i].x2apic_hybrid = true;
    }
    cfg->vm[0].present = true;
    cfg->vm[0].builtin = true;
    cfg->nvms = 1;
}

int config_parse(struct keel_config *cfg, const char *text, size_t len, const char *filename,
                 struct config_error *err)
{
    struct parser p = { .cfg = cfg, .err = err, .file = filename ? filename : DEFAULT_FILE };
    size_t pos = 0;

    err->line = 0;
    err->msg[0] = '\0';
    if (len >= 2 && ((unsigned char)text[0] == 0xff || (unsigned char)text[0] == 0xfe) &&
        ((unsigned char)text[1] ^ (unsigned char)text[0]) == 0x01)
        return error_at(err, p.file, 1, "the file is UTF-16: save it as UTF-8 or ASCII");
    if (len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        pos = 3;
    while (pos < len) {
        const char *nl = memchr(text + pos, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - text) : len;

        p.line++;
        if (parse_line(&p, text + pos, end - pos) < 0)
            return -1;
        pos = end + 1;
    }
    return 0;
}

/* -------------------------------------------------------------- finalize */

/* VMs numbered from 0 without holes, and every VM but vm0 names a guest. */
static int check_vm_set(struct keel_config *cfg, const char *file, struct config_error *err)
{
    char text[sizeof(err->msg)];
    unsigned i, n = 0;

    for (i = 0; i < KEEL_MAX_VMS; i++)
        if (cfg->vm[i].present)
            n = i + 1;
    for (i = 0; i < n; i++) {
        const struct keel_vm_cfg *vm = &cfg->vm[i];

        if (!vm->present) {
            unsigned j = i + 1;

            while (!cfg->vm[j].present) /* stops at vm[n - 1] */
                j++;
            snprintf(text, sizeof(text), "vm%u is configured but vm%u is not "
                     "(VMs are numbered from vm0 without gaps)", j, i);
            return error_at(err, file, cfg->vm[j].first_line, text);
        }
        if (i > 0 && vm->guest_line == 0) {
            snprintf(text, sizeof(text), "vm%u has no 'guest' (every VM but vm0 needs one)", i);
            return error_at(err, file, vm->first_line, text);
        }
    }
    cfg->nvms = n;
    return 0;
}

/* VM names must differ, as messages and the summary use them. */
static int check_names(const struct keel_config *cfg, const char *file,
                       struct config_error *err)
{
    char text[sizeof(err->msg)];
    unsigned i, j;

    for (i = 1; i < cfg->nvms; i++) {
        for (j = 0; j < i; j++) {
            if (strcmp(cfg->vm[i].name, cfg->vm[j].name) == 0) {
                snprintf(text, sizeof(text), "vm%u has the same name '%s' as vm%u", i,
                         cfg->vm[i].name, j);
                return error_at(err, file, cfg->vm[i].first_line, text);
            }
        }
    }
    return 0;
}

static int check_cpus(struct keel_config *cfg, unsigned ncpus, const char *file,
                      struct config_error *err)
{
    char text[sizeof(err->msg)];
    unsigned i, sum = 0;
    struct keel_vm_cfg *vm0 = &cfg->vm[0];

    if (cfg->nvms == 1) {
        if (vm0->cpus == 0)
            vm0->cpus = ncpus < KEEL_MAX_VCPUS ? ncpus : KEEL_MAX_VCPUS;
        if (vm0->cpus > ncpus) {
            snprintf(text, sizeof(text), "vm0 asks for %u CPUs, the machine has %u",
                     vm0->cpus, ncpus);
            return error_at(err, file, vm0->cpus_line, text);
        }
        return 0;
    }
    for (i = 0; i < cfg->nvms; i++) {
        if (cfg->vm[i].cpus == 0) {
            snprintf(text, sizeof(text), "vm%u has no 'cpus' (needed when there are "
                     "several VMs)", i);
            return error_at(err, file, cfg->vm[i].first_line, text);
        }
        sum += cfg->vm[i].cpus;
    }
    if (sum > ncpus) {
        snprintf(text, sizeof(text), "VMs ask for %u CPUs, the machine has %u", sum, ncpus);
        return error_at(err, file, 0, text);
    }
    return 0;
}

static int check_platform(const struct keel_config *cfg, const char *file,
                          struct config_error *err)
{
    char text[sizeof(err->msg)];
    for (unsigned i = 0; i < cfg->nvms; i++) {
        if (cfg->vm[i].madt_x2apic && !cfg->vm[i].x2apic) {
            snprintf(text, sizeof(text), "vm%u: madt_x2apic = yes needs x2apic = yes", i);
            return error_at(err, file, cfg->vm[i].first_line, text);
        }
        if (cfg->vm[i].x2apic_at_entry && !cfg->vm[i].x2apic) {
            snprintf(text, sizeof(text), "vm%u: apic_mode = x2apic needs x2apic = yes", i);
            return error_at(err, file, cfg->vm[i].first_line, text);
        }
    }
    return 0;
}

/* A host PCI function goes to one VM only. */
static int check_pci(const struct keel_config *cfg, const char *file, struct config_error *err)
{
    char text[sizeof(err->msg)];

    for (unsigned i = 1; i < cfg->nvms; i++)
        for (unsigned k = 0; k < cfg->vm[i].npci; k++)
            for (unsigned j = 0; j < i; j++)
                for (unsigned l = 0; l < cfg->vm[j].npci; l++) {
                    uint16_t b = cfg->vm[i].pci[k];
                    if (cfg->vm[j].pci[l] != b)
                        continue;
                    snprintf(text, sizeof(text), "vm%u: PCI function %02x:%02x.%x is already "
                             "assigned to vm%u (line %u)", i, b >> 8, (b >> 3) & 0x1f, b & 7, j,
                             cfg->vm[j].pci_line[l]);
                    return error_at(err, file, cfg->vm[i].pci_line[k], text);
                }
    return 0;
}

int config_finalize(struct keel_config *cfg, unsigned ncpus, const char *filename,
                    struct config_error *err)
{
    const char *file = filename ? filename : DEFAULT_FILE;
    unsigned i, next = 0;

    err->line = 0;
    err->msg[0] = '\0';
    if (ncpus == 0)
        return error_at(err, file, 0, "the machine has no usable CPU");
    if (check_vm_set(cfg, file, err) < 0 || check_names(cfg, file, err) < 0 ||
        check_cpus(cfg, ncpus, file, err) < 0 || check_platform(cfg, file, err) < 0 ||
        check_pci(cfg, file, err) < 0)
        return -1;
    for (i = 0; i < cfg->nvms; i++) {
        cfg->vm[i].first_cpu = next;
        next += cfg->vm[i].cpus;
    }
    return 0;
}

const char *config_log_level_name(enum keel_log_level level)
{
    switch (level) {
    case LOG_ERROR: return "error";
    case LOG_WARN: return "warn";
    case LOG_INFO: return "info";
    case LOG_DEBUG: return "debug";
    }
    return "?";
}
