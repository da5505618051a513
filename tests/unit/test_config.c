/* SPDX-License-Identifier: MIT */
/* Host unit tests for boot/config.c. */
#include "check.h"
#include "boot/config.h"

#include <stdbool.h>
#include <string.h>

#define MiB (1024ull * 1024)
#define GiB (1024 * MiB)

static struct keel_config cfg;
static struct config_error err;
static unsigned ncases;

static int parse_len(const char *text, size_t len)
{
    config_defaults(&cfg);
    return config_parse(&cfg, text, len, "keel.cfg", &err);
}

static int parse(const char *text)
{
    return parse_len(text, strlen(text));
}

/* text fails to parse with exactly msg. */
static bool fails_with(const char *text, size_t len, const char *msg)
{
    if (parse_len(text, len) == 0) {
        fprintf(stderr, "  parsed, expected: %s\n", msg);
        return false;
    }
    if (strcmp(err.msg, msg) != 0) {
        fprintf(stderr, "  got:      %s\n  expected: %s\n", err.msg, msg);
        return false;
    }
    return true;
}

#define CHECK_FAILS(text, msg) CHECK(fails_with((text), strlen(text), (msg)))

/* finalize fails with exactly msg. */
static bool finalize_fails(unsigned ncpus, const char *msg)
{
    if (config_finalize(&cfg, ncpus, "keel.cfg", &err) == 0) {
        fprintf(stderr, "  finalized, expected: %s\n", msg);
        return false;
    }
    if (strcmp(err.msg, msg) != 0) {
        fprintf(stderr, "  got:      %s\n  expected: %s\n", err.msg, msg);
        return false;
    }
    return true;
}

/* "key = " followed by n copies of c. */
static const char *long_line(const char *key, size_t n, char c)
{
    static char buf[2048];
    size_t k = strlen(key);

    memcpy(buf, key, k);
    memcpy(buf + k, " = ", 3);
    memset(buf + k + 3, c, n);
    buf[k + 3 + n] = '\0';
    return buf;
}

/* ------------------------------------------------------------ defaults */

static void test_defaults(void)
{
    ncases++;
    config_defaults(&cfg);
    CHECK_EQ(cfg.log_level, LOG_INFO);
    CHECK_EQ(cfg.serial_port, 0x3f8);
    CHECK_EQ(cfg.serial_baud, 115200);
    CHECK_EQ(cfg.debug_exit, 0);
    CHECK(!cfg.bochs_exit);
    CHECK_EQ(cfg.on_exit, ON_EXIT_HALT);
    CHECK(cfg.vm[0].present);
    CHECK(cfg.vm[0].builtin);
    CHECK(!cfg.vm[1].present);
    CHECK(!cfg.vm[1].builtin);
    CHECK(strcmp(cfg.vm[0].name, "vm0") == 0);
    CHECK(strcmp(cfg.vm[7].name, "vm7") == 0);
    CHECK_EQ(cfg.vm[3].memory, 64 * MiB);
    CHECK_EQ(cfg.vm[0].cpus, 0);
    CHECK_EQ(cfg.vm[0].nmodules, 0);
    CHECK_EQ(cfg.vm[0].cmdline[0], '\0');
}

static void test_empty_file(void)
{
    ncases++;
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(cfg.vm[0].first_line, 0);
    CHECK_EQ(config_finalize(&cfg, 4, "keel.cfg", &err), 0);
    CHECK_EQ(cfg.nvms, 1);
    CHECK_EQ(cfg.vm[0].cpus, 4);
}

static void test_comments_blank_lines(void)
{
    ncases++;
    CHECK_EQ(parse("# a comment\n\n   \t\n   # indented comment = with equals\n\t#\n"), 0);
    CHECK_EQ(cfg.vm[0].first_line, 0);
    CHECK(!cfg.vm[1].present);
}

/* --------------------------------------------------------- global keys */

static void test_log_level_values(void)
{
    static const char *const names[] = { "error", "warn", "info", "debug" };

    ncases++;
    for (unsigned i = 0; i < 4; i++) {
        char line[64];

        snprintf(line, sizeof(line), "log_level = %s", names[i]);
        CHECK_EQ(parse(line), 0);
        CHECK_EQ(cfg.log_level, i);
        CHECK(strcmp(config_log_level_name(cfg.log_level), names[i]) == 0);
    }
    CHECK_EQ(parse("log_level = DEBUG"), 0);
    CHECK_EQ(cfg.log_level, LOG_DEBUG);
    CHECK(strcmp(config_log_level_name((enum keel_log_level)9), "?") == 0);
}

static void test_serial_port_values(void)
{
    ncases++;
    CHECK_EQ(parse("serial_port = 0x2f8"), 0);
    CHECK_EQ(cfg.serial_port, 0x2f8);
    CHECK_EQ(parse("serial_port = 760"), 0);
    CHECK_EQ(cfg.serial_port, 760);
    CHECK_EQ(parse("serial_port = 0"), 0);
    CHECK_EQ(cfg.serial_port, 0);
    CHECK_EQ(parse("serial_port = 0xFFFF"), 0);
    CHECK_EQ(cfg.serial_port, 0xffff);
    CHECK_EQ(parse("serial_port = 65535"), 0);
    CHECK_EQ(cfg.serial_port, 0xffff);
}

static void test_console_values(void)
{
    static const char *const bad[] = { "com5", "com", ",9600", "com1,", "com1,7", "0x10000",
                                       "com1,9600,1", "com1 ,9600", "tty0", "com2,0" };

    ncases++;
    CHECK_EQ(parse("log_level = info"), 0);
    CHECK(!cfg.serial_set);                 /* then ACPI SPCR may choose */
    CHECK_EQ(parse("console = com2"), 0);
    CHECK_EQ(cfg.serial_port, 0x2f8);
    CHECK_EQ(cfg.serial_baud, 115200);
    CHECK(cfg.serial_set);
    CHECK_EQ(parse("console = COM4,9600"), 0);
    CHECK_EQ(cfg.serial_port, 0x2e8);
    CHECK_EQ(cfg.serial_baud, 9600);
    CHECK_EQ(parse("console = com3"), 0);
    CHECK_EQ(cfg.serial_port, 0x3e8);
    CHECK_EQ(parse("console = 0x3f8,57600"), 0);
    CHECK_EQ(cfg.serial_port, 0x3f8);
    CHECK_EQ(cfg.serial_baud, 57600);
    CHECK_EQ(parse("console = none"), 0);
    CHECK_EQ(cfg.serial_port, 0);
    CHECK(cfg.serial_set);
    CHECK_EQ(parse("serial_port = 0x2f8"), 0);
    CHECK(cfg.serial_set);
    /* A later line overrides: console, then serial_baud. */
    CHECK_EQ(parse("console = com2,9600\nserial_baud = 19200"), 0);
    CHECK_EQ(cfg.serial_port, 0x2f8);
    CHECK_EQ(cfg.serial_baud, 19200);
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char line[64], msg[240];

        snprintf(line, sizeof(line), "console = %s", bad[i]);
        snprintf(msg, sizeof(msg),
                 "keel.cfg:1: bad value '%s' for 'console': expected com1, com2, com3, com4, an "
                 "I/O port or none, then optionally ',BAUD' with a rate that divides 115200",
                 bad[i]);
        CHECK_FAILS(line, msg);
    }
}

static void test_serial_baud_values(void)
{
    static const unsigned ok[] = { 115200, 57600, 38400, 19200, 14400, 9600, 4800, 2400,
                                   1200, 300, 50, 2 };

    ncases++;
    for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char line[64];

        snprintf(line, sizeof(line), "serial_baud = %u", ok[i]);
        CHECK_EQ(parse(line), 0);
        CHECK_EQ(cfg.serial_baud, ok[i]);
    }
}

static void test_debug_exit_values(void)
{
    ncases++;
    CHECK_EQ(parse("debug_exit = 0xf4"), 0);
    CHECK_EQ(cfg.debug_exit, 0xf4);
    CHECK_EQ(parse("debug_exit = 0xf4\ndebug_exit = 0"), 0);
    CHECK_EQ(cfg.debug_exit, 0);
}

static void test_bochs_exit_values(void)
{
    static const char *const yes[] = { "yes", "true", "on", "1", "YES", "True" };
    static const char *const no[] = { "no", "false", "off", "0", "Off" };

    ncases++;
    for (unsigned i = 0; i < 6; i++) {
        char line[64];

        snprintf(line, sizeof(line), "bochs_exit = %s", yes[i]);
        CHECK_EQ(parse(line), 0);
        CHECK(cfg.bochs_exit);
    }
    for (unsigned i = 0; i < 5; i++) {
        char line[64];

        snprintf(line, sizeof(line), "bochs_exit = yes\nbochs_exit = %s", no[i]);
        CHECK_EQ(parse(line), 0);
        CHECK(!cfg.bochs_exit);
    }
}

static void test_on_exit_values(void)
{
    ncases++;
    CHECK_EQ(parse("on_exit = reset"), 0);
    CHECK_EQ(cfg.on_exit, ON_EXIT_RESET);
    CHECK_EQ(parse("on_exit = reset\non_exit = halt"), 0);
    CHECK_EQ(cfg.on_exit, ON_EXIT_HALT);
}

static void test_global_keys_do_not_create_vms(void)
{
    ncases++;
    CHECK_EQ(parse("log_level = debug\nserial_port = 0\non_exit = reset\n"), 0);
    CHECK_EQ(cfg.vm[0].first_line, 0);
    CHECK(!cfg.vm[1].present);
}

/* --------------------------------------------------------- per-VM keys */

static void test_name_values(void)
{
    ncases++;
    CHECK_EQ(parse("name = web-server_01"), 0);
    CHECK(strcmp(cfg.vm[0].name, "web-server_01") == 0);
    CHECK_EQ(parse(long_line("name", 31, 'a')), 0);
    CHECK_EQ(strlen(cfg.vm[0].name), 31);
    CHECK_EQ(parse("name = X"), 0);
    CHECK(strcmp(cfg.vm[0].name, "X") == 0);
}

static void test_guest_values(void)
{
    ncases++;
    CHECK_EQ(parse("guest = guests/test.elf"), 0);
    CHECK(!cfg.vm[0].builtin);
    CHECK(strcmp(cfg.vm[0].guest, "guests/test.elf") == 0);
    CHECK_EQ(cfg.vm[0].guest_line, 1);
    CHECK_EQ(parse("guest = guests\\win style\\k.elf"), 0);
    CHECK(strcmp(cfg.vm[0].guest, "guests/win style/k.elf") == 0);
    CHECK_EQ(parse("guest = a.elf\nguest = BUILTIN"), 0);
    CHECK(cfg.vm[0].builtin);
    CHECK_EQ(cfg.vm[0].guest[0], '\0');
    CHECK_EQ(cfg.vm[0].guest_line, 2);
    CHECK_EQ(parse("guest = ../up/k.elf"), 0);
    CHECK(strcmp(cfg.vm[0].guest, "../up/k.elf") == 0);
}

static void test_guest_length_boundary(void)
{
    ncases++;
    CHECK_EQ(parse(long_line("guest", 127, 'g')), 0);
    CHECK_EQ(strlen(cfg.vm[0].guest), 127);
    CHECK_FAILS(long_line("guest", 128, 'g'),
                "keel.cfg:1: value for 'guest' is too long (128 chars, at most 127)");
}

static void test_initrd_values(void)
{
    ncases++;
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(cfg.vm[0].initrd[0], '\0');
    CHECK_EQ(parse("initrd = boot\\initrd.img\nvm1.initrd = i2"), 0);
    CHECK(strcmp(cfg.vm[0].initrd, "boot/initrd.img") == 0);
    CHECK_EQ(cfg.vm[0].initrd_line, 1);
    CHECK(strcmp(cfg.vm[1].initrd, "i2") == 0);
    CHECK_EQ(cfg.vm[1].initrd_line, 2);
    CHECK_EQ(parse("initrd = x\ninitrd ="), 0); /* empty: none */
    CHECK_EQ(cfg.vm[0].initrd[0], '\0');
    CHECK_FAILS("initrd = /abs.img", "keel.cfg:1: bad value '/abs.img' for 'initrd': expected a "
                "path relative to keel.efi's directory (printable ASCII, no \"*:<>?|)");
    CHECK_FAILS(long_line("initrd", 128, 'i'),
                "keel.cfg:1: value for 'initrd' is too long (128 chars, at most 127)");
}

static void test_cmdline_values(void)
{
    ncases++;
    CHECK_EQ(parse("cmdline = console=ttyS0 root=/dev/x # not a comment = still"), 0);
    CHECK(strcmp(cfg.vm[0].cmdline, "console=ttyS0 root=/dev/x # not a comment = still") == 0);
    CHECK_EQ(parse("cmdline = a\ncmdline ="), 0);
    CHECK_EQ(cfg.vm[0].cmdline[0], '\0');
    CHECK_EQ(parse("cmdline = \t spaced \t "), 0);
    CHECK(strcmp(cfg.vm[0].cmdline, "spaced") == 0);
}

static void test_cmdline_length_boundary(void)
{
    ncases++;
    CHECK_EQ(parse(long_line("cmdline", 511, 'c')), 0);
    CHECK_EQ(strlen(cfg.vm[0].cmdline), 511);
    CHECK_FAILS(long_line("cmdline", 512, 'c'),
                "keel.cfg:1: value for 'cmdline' is too long (512 chars, at most 511)");
}

static void test_cmdline_too_long_example(void)
{
    char text[1024];

    ncases++;
    snprintf(text, sizeof(text), "name = a\n%s", long_line("cmdline", 600, 'x'));
    CHECK_FAILS(text, "keel.cfg:2: value for 'cmdline' is too long (600 chars, at most 511)");
}

static void test_module_list(void)
{
    ncases++;
    CHECK_EQ(parse("module = mods/initrd.img\nmodule = mods/cfg.txt  key=1  other=2 \n"), 0);
    CHECK_EQ(cfg.vm[0].nmodules, 2);
    CHECK(strcmp(cfg.vm[0].module[0].path, "mods/initrd.img") == 0);
    CHECK_EQ(cfg.vm[0].module[0].args[0], '\0');
    CHECK_EQ(cfg.vm[0].module[0].line, 1);
    CHECK(strcmp(cfg.vm[0].module[1].path, "mods/cfg.txt") == 0);
    CHECK(strcmp(cfg.vm[0].module[1].args, "key=1  other=2") == 0);
    CHECK_EQ(cfg.vm[0].module[1].line, 2);
}

static void test_module_clear(void)
{
    ncases++;
    CHECK_EQ(parse("module = a\nmodule = b\nmodule =\nmodule = c\\d.bin\targ"), 0);
    CHECK_EQ(cfg.vm[0].nmodules, 1);
    CHECK(strcmp(cfg.vm[0].module[0].path, "c/d.bin") == 0);
    CHECK(strcmp(cfg.vm[0].module[0].args, "arg") == 0);
    CHECK_EQ(parse("module = a\nmodule = "), 0);
    CHECK_EQ(cfg.vm[0].nmodules, 0);
}

static void test_module_limit(void)
{
    const char *eight = "module = m0\nmodule = m1\nmodule = m2\nmodule = m3\n"
                        "module = m4\nmodule = m5\nmodule = m6\nmodule = m7\n";
    char text[512];

    ncases++;
    CHECK_EQ(parse(eight), 0);
    CHECK_EQ(cfg.vm[0].nmodules, 8);
    CHECK(strcmp(cfg.vm[0].module[7].path, "m7") == 0);
    snprintf(text, sizeof(text), "%smodule = m8\n", eight);
    CHECK_FAILS(text, "keel.cfg:9: too many modules for vm0 (at most 8)");
    snprintf(text, sizeof(text), "%smodule =\nmodule = m8\n", eight);
    CHECK_EQ(parse(text), 0);
    CHECK_EQ(cfg.vm[0].nmodules, 1);
}

static void test_module_per_vm(void)
{
    ncases++;
    CHECK_EQ(parse("vm1.module = x\nvm1.module = y\nmodule = z"), 0);
    CHECK_EQ(cfg.vm[1].nmodules, 2);
    CHECK_EQ(cfg.vm[0].nmodules, 1);
    CHECK_FAILS("vm3.module = a\nvm3.module = b\nvm3.module = c\nvm3.module = d\n"
                "vm3.module = e\nvm3.module = f\nvm3.module = g\nvm3.module = h\n"
                "vm3.module = i\n",
                "keel.cfg:9: too many modules for vm3 (at most 8)");
}

static void test_module_lengths(void)
{
    char text[1024];

    ncases++;
    snprintf(text, sizeof(text), "module = %s", long_line("x", 127, 'p') + 4);
    CHECK_EQ(parse(text), 0);
    CHECK_EQ(strlen(cfg.vm[0].module[0].path), 127);
    snprintf(text, sizeof(text), "module = %s", long_line("x", 128, 'p') + 4);
    CHECK_FAILS(text, "keel.cfg:1: module path is too long (128 chars, at most 127)");
    snprintf(text, sizeof(text), "module = m %s", long_line("x", 255, 'a') + 4);
    CHECK_EQ(parse(text), 0);
    CHECK_EQ(strlen(cfg.vm[0].module[0].args), 255);
    snprintf(text, sizeof(text), "module = m %s", long_line("x", 256, 'a') + 4);
    CHECK_FAILS(text, "keel.cfg:1: module command line is too long (256 chars, at most 255)");
}

static void test_cpus_values(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 1"), 0);
    CHECK_EQ(cfg.vm[0].cpus, 1);
    CHECK_EQ(cfg.vm[0].cpus_line, 1);
    CHECK_EQ(parse("\ncpus = 64"), 0);
    CHECK_EQ(cfg.vm[0].cpus, 64);
    CHECK_EQ(cfg.vm[0].cpus_line, 2);
    CHECK_EQ(parse("cpus = 0x10"), 0);
    CHECK_EQ(cfg.vm[0].cpus, 16);
}

static void test_memory_values(void)
{
    static const struct { const char *v; uint64_t bytes; } ok[] = {
        { "64M", 64 * MiB }, { "16M", 16 * MiB }, { "3G", 3 * GiB }, { "3072M", 3 * GiB },
        { "1g", GiB }, { "128 MiB", 128 * MiB }, { "2GiB", 2 * GiB }, { "16384K", 16 * MiB },
        { "32768kib", 32 * MiB }, { "16777216", 16 * MiB }, { "0x4000000", 64 * MiB },
        { "0x100M", 256 * MiB }, { "18m", 18 * MiB }, { "3070M", 3070 * MiB },
        { "6G", 6 * GiB }, { "256G", 256 * GiB }, { "8192M", 8 * GiB },
    };

    ncases++;
    for (unsigned i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
        char line[64];

        snprintf(line, sizeof(line), "memory = %s", ok[i].v);
        CHECK_EQ(parse(line), 0);
        CHECK_EQ(cfg.vm[0].memory, ok[i].bytes);
    }
}

/* ----------------------------------------------- overriding, prefixes */

static void test_override_later_wins(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 2\nmemory = 32M\nname = a\ncpus = 4\nmemory = 1G\nname = b\n"), 0);
    CHECK_EQ(cfg.vm[0].cpus, 4);
    CHECK_EQ(cfg.vm[0].cpus_line, 4);
    CHECK_EQ(cfg.vm[0].memory, GiB);
    CHECK(strcmp(cfg.vm[0].name, "b") == 0);
    CHECK_EQ(cfg.vm[0].first_line, 1);
}

static void test_override_launcher_set(void)
{
    /* The launcher appends --set lines; they must win over the file. */
    ncases++;
    CHECK_EQ(parse("log_level = info\nvm0.cmdline = quiet\n"
                   "# --set from the launcher\nlog_level=debug\nvm0.cmdline=verbose\n"), 0);
    CHECK_EQ(cfg.log_level, LOG_DEBUG);
    CHECK(strcmp(cfg.vm[0].cmdline, "verbose") == 0);
}

static void test_prefix_vm0_same_as_none(void)
{
    ncases++;
    CHECK_EQ(parse("vm0.cpus = 3\ncpus = 5\nvm0.name = z"), 0);
    CHECK_EQ(cfg.vm[0].cpus, 5);
    CHECK(strcmp(cfg.vm[0].name, "z") == 0);
    CHECK(!cfg.vm[1].present);
}

static void test_prefixes_create_vms(void)
{
    ncases++;
    CHECK_EQ(parse("log_level = warn\nvm2.cpus = 1\n\nvm1.memory = 32M\nvm7.name = last\n"
                   "vm2.guest = g.elf\n"), 0);
    CHECK(cfg.vm[1].present);
    CHECK(cfg.vm[2].present);
    CHECK(cfg.vm[7].present);
    CHECK(!cfg.vm[3].present);
    CHECK_EQ(cfg.vm[2].first_line, 2);
    CHECK_EQ(cfg.vm[1].first_line, 4);
    CHECK_EQ(cfg.vm[7].first_line, 5);
    CHECK_EQ(cfg.vm[1].memory, 32 * MiB);
    CHECK_EQ(cfg.vm[2].memory, 64 * MiB);
    CHECK(!cfg.vm[2].builtin);
    CHECK(strcmp(cfg.vm[7].name, "last") == 0);
}

/* ------------------------------------------------------- line format */

static void test_crlf(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 2\r\nname = crlf\r\n\r\n# c\r\ncmdline = a b\r\n"), 0);
    CHECK_EQ(cfg.vm[0].cpus, 2);
    CHECK(strcmp(cfg.vm[0].name, "crlf") == 0);
    CHECK(strcmp(cfg.vm[0].cmdline, "a b") == 0);
    CHECK_FAILS("cpus = 2\r\ncpus = x\r\n",
                "keel.cfg:2: bad value 'x' for 'cpus': expected a number from 1 to 64");
}

static void test_bom(void)
{
    ncases++;
    CHECK_EQ(parse("\xef\xbb\xbf" "cpus = 3\n"), 0);
    CHECK_EQ(cfg.vm[0].cpus, 3);
    CHECK_EQ(parse("\xef\xbb\xbf# only a comment\n"), 0);
    CHECK_FAILS("\xef\xbb\xbf" "bogus = 1", "keel.cfg:1: unknown key 'bogus'");
}

static void test_utf16_rejected(void)
{
    static const char le[] = "\xff\xfe" "c\0p\0u\0";
    static const char be[] = "\xfe\xff" "\0c\0p";

    ncases++;
    CHECK(fails_with(le, sizeof(le) - 1,
                     "keel.cfg:1: the file is UTF-16: save it as UTF-8 or ASCII"));
    CHECK(fails_with(be, sizeof(be) - 1,
                     "keel.cfg:1: the file is UTF-16: save it as UTF-8 or ASCII"));
}

static void test_whitespace_trimmed(void)
{
    ncases++;
    CHECK_EQ(parse("  \t vm1.name\t=\t  spaced  \t\n"), 0);
    CHECK(strcmp(cfg.vm[1].name, "spaced") == 0);
    CHECK_EQ(parse("cpus=7"), 0);
    CHECK_EQ(cfg.vm[0].cpus, 7);
}

static void test_value_with_equals_and_hash(void)
{
    ncases++;
    CHECK_EQ(parse("cmdline = a=b # c == d"), 0);
    CHECK(strcmp(cfg.vm[0].cmdline, "a=b # c == d") == 0);
    CHECK_EQ(parse("module = m.bin x=#1"), 0);
    CHECK(strcmp(cfg.vm[0].module[0].args, "x=#1") == 0);
}

static void test_no_final_newline(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 2\nmemory = 128M"), 0);
    CHECK_EQ(cfg.vm[0].memory, 128 * MiB);
}

static void test_text_not_nul_terminated(void)
{
    static const char text[] = { 'c', 'p', 'u', 's', '=', '3', '9' };

    ncases++;
    CHECK_EQ(parse_len(text, 6), 0); /* "cpus=3", the '9' is past len */
    CHECK_EQ(cfg.vm[0].cpus, 3);
}

static void test_line_numbers(void)
{
    ncases++;
    CHECK_FAILS("# 1\n\n# 3\n   \ncpus = 1\nfoo = 1\n", "keel.cfg:6: unknown key 'foo'");
    CHECK_EQ(err.line, 6);
}

static void test_stops_at_first_error(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 2\ncpus = 99\nname = after\n"), -1);
    CHECK_EQ(cfg.vm[0].cpus, 2);
    CHECK(strcmp(cfg.vm[0].name, "vm0") == 0);
    CHECK_EQ(err.line, 2);
}

static void test_filename_in_messages(void)
{
    ncases++;
    config_defaults(&cfg);
    CHECK_EQ(config_parse(&cfg, "foo = 1", 7, "\\EFI\\keel\\keel.cfg", &err), -1);
    CHECK(strcmp(err.msg, "\\EFI\\keel\\keel.cfg:1: unknown key 'foo'") == 0);
    config_defaults(&cfg);
    CHECK_EQ(config_parse(&cfg, "foo = 1", 7, NULL, &err), -1);
    CHECK(strcmp(err.msg, "keel.cfg:1: unknown key 'foo'") == 0);
}

static void test_long_text_quoted_short(void)
{
    char text[256];

    ncases++;
    snprintf(text, sizeof(text), "cpus = %s", long_line("x", 60, '9') + 4);
    CHECK_FAILS(text, "keel.cfg:1: bad value '9999999999999999999999999999999999999999...' "
                      "for 'cpus': expected a number from 1 to 64");
    CHECK_FAILS("cpus = a\tb", "keel.cfg:1: bad value 'a?b' for 'cpus': expected a number "
                               "from 1 to 64");
}

/* --------------------------------------------------------- error table */

static const struct {
    const char *text;
    const char *msg;
} bad[] = {
    /* syntax and keys */
    { "foo = 1", "keel.cfg:1: unknown key 'foo'" },
    { "just some text", "keel.cfg:1: expected 'key = value'" },
    { "\n\n= value", "keel.cfg:3: expected 'key = value'" },
    { "  =", "keel.cfg:1: expected 'key = value'" },
    { "CPUS = 1", "keel.cfg:1: unknown key 'CPUS'" },
    { "vm9.guest = a", "keel.cfg:1: 'vm9.guest': VM index must be 0..7" },
    { "vm8.cpus = 1", "keel.cfg:1: 'vm8.cpus': VM index must be 0..7" },
    { "vm10.cpus = 1", "keel.cfg:1: 'vm10.cpus': VM index must be 0..7" },
    { "vm99999999999999999999.cpus = 1",
      "keel.cfg:1: 'vm99999999999999999999.cpus': VM index must be 0..7" },
    { "vm1.log_level = info",
      "keel.cfg:1: 'vm1.log_level': 'log_level' is a global key, without a 'vmN.' prefix" },
    { "vm0.serial_port = 0",
      "keel.cfg:1: 'vm0.serial_port': 'serial_port' is a global key, without a 'vmN.' prefix" },
    { "vmx.cpus = 1", "keel.cfg:1: unknown key 'vmx.cpus'" },
    { "vm1cpus = 1", "keel.cfg:1: unknown key 'vm1cpus'" },
    { "vm1. = 1", "keel.cfg:1: unknown key 'vm1.'" },
    { "vm1.foo = 1", "keel.cfg:1: unknown key 'vm1.foo'" },
    { "cpus\n", "keel.cfg:1: expected 'key = value'" },
    /* log_level, on_exit, bochs_exit */
    { "log_level = verbose",
      "keel.cfg:1: bad value 'verbose' for 'log_level': expected error, warn, info or debug" },
    { "log_level =", "keel.cfg:1: bad value '' for 'log_level': expected error, warn, info or "
                     "debug" },
    { "on_exit = reboot", "keel.cfg:1: bad value 'reboot' for 'on_exit': expected halt or reset" },
    { "bochs_exit = maybe", "keel.cfg:1: bad value 'maybe' for 'bochs_exit': expected yes or no" },
    { "bochs_exit = 2", "keel.cfg:1: bad value '2' for 'bochs_exit': expected yes or no" },
    /* ports */
    { "serial_port = 0x10000", "keel.cfg:1: bad value '0x10000' for 'serial_port': expected an "
                               "I/O port from 0 to 0xffff (0 = no serial)" },
    { "serial_port = 65536", "keel.cfg:1: bad value '65536' for 'serial_port': expected an I/O "
                             "port from 0 to 0xffff (0 = no serial)" },
    { "serial_port = 0x", "keel.cfg:1: bad value '0x' for 'serial_port': expected an I/O port "
                          "from 0 to 0xffff (0 = no serial)" },
    { "serial_port = 3f8", "keel.cfg:1: bad value '3f8' for 'serial_port': expected an I/O port "
                           "from 0 to 0xffff (0 = no serial)" },
    { "serial_port = -1", "keel.cfg:1: bad value '-1' for 'serial_port': expected an I/O port "
                          "from 0 to 0xffff (0 = no serial)" },
    { "debug_exit = 0x10000", "keel.cfg:1: bad value '0x10000' for 'debug_exit': expected an I/O "
                              "port from 0 to 0xffff (0 = none)" },
    { "debug_exit = none", "keel.cfg:1: bad value 'none' for 'debug_exit': expected an I/O port "
                           "from 0 to 0xffff (0 = none)" },
    /* baud */
    { "serial_baud = 110", "keel.cfg:1: bad value '110' for 'serial_baud': expected a rate that "
                           "divides 115200 (115200, 57600, 38400, 19200, 9600, ...)" },
    { "serial_baud = 230400", "keel.cfg:1: bad value '230400' for 'serial_baud': expected a rate "
                              "that divides 115200 (115200, 57600, 38400, 19200, 9600, ...)" },
    { "serial_baud = 1", "keel.cfg:1: bad value '1' for 'serial_baud': expected a rate that "
                         "divides 115200 (115200, 57600, 38400, 19200, 9600, ...)" },
    { "serial_baud = 0", "keel.cfg:1: bad value '0' for 'serial_baud': expected a rate that "
                         "divides 115200 (115200, 57600, 38400, 19200, 9600, ...)" },
    /* cpus */
    { "\n\ncpus = x", "keel.cfg:3: bad value 'x' for 'cpus': expected a number from 1 to 64" },
    { "cpus = 0", "keel.cfg:1: bad value '0' for 'cpus': expected a number from 1 to 64" },
    { "cpus = 65", "keel.cfg:1: bad value '65' for 'cpus': expected a number from 1 to 64" },
    { "cpus = 0x41", "keel.cfg:1: bad value '0x41' for 'cpus': expected a number from 1 to 64" },
    { "cpus = 1.5", "keel.cfg:1: bad value '1.5' for 'cpus': expected a number from 1 to 64" },
    { "cpus =", "keel.cfg:1: bad value '' for 'cpus': expected a number from 1 to 64" },
    { "cpus = 2 4", "keel.cfg:1: bad value '2 4' for 'cpus': expected a number from 1 to 64" },
    { "vm2.cpus = 99999999999999999999999",
      "keel.cfg:1: bad value '99999999999999999999999' for 'vm2.cpus': expected a number from 1 "
      "to 64" },
    /* memory */
    { "memory = 15M", "keel.cfg:1: bad value '15M' for 'memory': expected a multiple of 2M from "
                      "16M to 256G" },
    { "memory = 14M", "keel.cfg:1: bad value '14M' for 'memory': expected a multiple of 2M from "
                      "16M to 256G" },
    { "memory = 262146M", "keel.cfg:1: bad value '262146M' for 'memory': expected a multiple of 2M "
                        "from 16M to 256G" },
    { "memory = 257G", "keel.cfg:1: bad value '257G' for 'memory': expected a multiple of 2M from "
                     "16M to 256G" },
    { "memory = 17M", "keel.cfg:1: bad value '17M' for 'memory': expected a multiple of 2M from "
                      "16M to 256G" },
    { "memory = 16385K", "keel.cfg:1: bad value '16385K' for 'memory': expected a multiple of 2M "
                         "from 16M to 256G" },
    { "memory = 0", "keel.cfg:1: bad value '0' for 'memory': expected a multiple of 2M from 16M "
                    "to 256G" },
    { "memory = 64X", "keel.cfg:1: bad value '64X' for 'memory': expected a size such as 64M or "
                      "1G" },
    { "memory = 64MB", "keel.cfg:1: bad value '64MB' for 'memory': expected a size such as 64M "
                       "or 1G" },
    { "memory = M", "keel.cfg:1: bad value 'M' for 'memory': expected a size such as 64M or 1G" },
    { "memory =", "keel.cfg:1: bad value '' for 'memory': expected a size such as 64M or 1G" },
    { "memory = 0x1000000000000000G", "keel.cfg:1: bad value '0x1000000000000000G' for "
                                      "'memory': expected a size such as 64M or 1G" },
    { "memory = 1.5G", "keel.cfg:1: bad value '1.5G' for 'memory': expected a size such as 64M "
                       "or 1G" },
    /* name */
    { "name =", "keel.cfg:1: bad value '' for 'name': expected 1 to 31 letters, digits, '_' or "
                "'-'" },
    { "name = two words", "keel.cfg:1: bad value 'two words' for 'name': expected 1 to 31 "
                          "letters, digits, '_' or '-'" },
    { "vm1.name = a.b", "keel.cfg:1: bad value 'a.b' for 'vm1.name': expected 1 to 31 letters, "
                        "digits, '_' or '-'" },
    { "name = aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
      "keel.cfg:1: value for 'name' is too long (32 chars, at most 31)" },
    /* guest */
    { "guest =", "keel.cfg:1: bad value '' for 'guest': expected 'builtin' or a path relative "
                 "to keel.efi's directory (printable ASCII, no \"*:<>?|)" },
    { "guest = /abs.elf", "keel.cfg:1: bad value '/abs.elf' for 'guest': expected 'builtin' or a "
                          "path relative to keel.efi's directory (printable ASCII, no \"*:<>?|)" },
    { "guest = \\abs.elf", "keel.cfg:1: bad value '\\abs.elf' for 'guest': expected 'builtin' or "
                           "a path relative to keel.efi's directory (printable ASCII, no "
                           "\"*:<>?|)" },
    { "guest = fs0:k.elf", "keel.cfg:1: bad value 'fs0:k.elf' for 'guest': expected 'builtin' or "
                           "a path relative to keel.efi's directory (printable ASCII, no "
                           "\"*:<>?|)" },
    { "guest = k\xc3\xa9.elf", "keel.cfg:1: bad value 'k\xc3\xa9.elf' for 'guest': expected "
                               "'builtin' or a path relative to keel.efi's directory (printable "
                               "ASCII, no \"*:<>?|)" },
    /* module */
    { "module = /m.bin", "keel.cfg:1: bad value '/m.bin' for 'module': expected a path relative "
                         "to keel.efi's directory (printable ASCII, no \"*:<>?|), then the "
                         "module's command line" },
    { "vm1.module = a|b arg", "keel.cfg:1: bad value 'a|b arg' for 'vm1.module': expected a path "
                              "relative to keel.efi's directory (printable ASCII, no \"*:<>?|), "
                              "then the module's command line" },
};

static void test_error_table(void)
{
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ncases++;
        if (!fails_with(bad[i].text, strlen(bad[i].text), bad[i].msg)) {
            fprintf(stderr, "  (bad[%u]: %s)\n", i, bad[i].text);
            CHECK(false);
        } else {
            CHECK(strchr(err.msg, '\n') == NULL);
            CHECK(err.line != 0);
        }
    }
}

static void test_nul_byte(void)
{
    static const char text[] = "cpus = 1\ncpus = 2\0\n";

    ncases++;
    CHECK(fails_with(text, sizeof(text) - 1, "keel.cfg:2: line contains a NUL byte"));
}

/* ------------------------------------------------------------ finalize */

static int finalize(unsigned ncpus)
{
    return config_finalize(&cfg, ncpus, "keel.cfg", &err);
}

static void test_finalize_single_all_cpus(void)
{
    ncases++;
    CHECK_EQ(parse("memory = 128M"), 0);
    CHECK_EQ(finalize(6), 0);
    CHECK_EQ(cfg.nvms, 1);
    CHECK_EQ(cfg.vm[0].cpus, 6);
    CHECK_EQ(cfg.vm[0].first_cpu, 0);
}

static void test_finalize_single_capped(void)
{
    ncases++;
    CHECK_EQ(parse(""), 0);
    CHECK_EQ(finalize(200), 0);
    CHECK_EQ(cfg.vm[0].cpus, KEEL_MAX_VCPUS);
}

static void test_finalize_single_explicit(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 2"), 0);
    CHECK_EQ(finalize(4), 0);
    CHECK_EQ(cfg.vm[0].cpus, 2);
    CHECK_EQ(parse("cpus = 4"), 0);
    CHECK_EQ(finalize(4), 0);
}

static void test_finalize_single_too_many(void)
{
    ncases++;
    CHECK_EQ(parse("name = big\n\ncpus = 8\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg:3: vm0 asks for 8 CPUs, the machine has 4"));
    CHECK_EQ(err.line, 3);
}

static void test_finalize_two_vms(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 1\nvm1.guest = t.elf\nvm1.cpus = 3\n"), 0);
    CHECK_EQ(finalize(4), 0);
    CHECK_EQ(cfg.nvms, 2);
    CHECK_EQ(cfg.vm[0].first_cpu, 0);
    CHECK_EQ(cfg.vm[1].first_cpu, 1);
    CHECK_EQ(cfg.vm[1].cpus, 3);
}

static void test_finalize_eight_vms(void)
{
    char text[1024];
    size_t k = 0;

    ncases++;
    for (unsigned i = 0; i < 8; i++)
        k += (size_t)snprintf(text + k, sizeof(text) - k, "vm%u.cpus = 2\nvm%u.guest = g%u\n",
                              i, i, i);
    CHECK_EQ(parse(text), 0);
    CHECK_EQ(finalize(16), 0);
    CHECK_EQ(cfg.nvms, 8);
    for (unsigned i = 0; i < 8; i++)
        CHECK_EQ(cfg.vm[i].first_cpu, 2 * i);
    CHECK(finalize_fails(15, "keel.cfg: VMs ask for 16 CPUs, the machine has 15"));
}

static void test_finalize_sum_too_big(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 2\nvm1.guest = a\nvm1.cpus = 2\nvm2.guest = b\nvm2.cpus = 2\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg: VMs ask for 6 CPUs, the machine has 4"));
    CHECK_EQ(err.line, 0);
    CHECK_EQ(finalize(6), 0);
}

static void test_finalize_missing_cpus(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 2\n# second VM\nvm1.guest = a\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg:3: vm1 has no 'cpus' (needed when there are several "
                            "VMs)"));
    CHECK_EQ(err.line, 3);
}

static void test_finalize_missing_cpus_vm0(void)
{
    ncases++;
    CHECK_EQ(parse("name = first\nvm1.guest = a\nvm1.cpus = 1\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg:1: vm0 has no 'cpus' (needed when there are several "
                            "VMs)"));
    /* vm0 with no key at all: no line to point at. */
    CHECK_EQ(parse("vm1.guest = a\nvm1.cpus = 1\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg: vm0 has no 'cpus' (needed when there are several VMs)"));
}

static void test_finalize_missing_guest(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 1\n\nvm1.cpus = 1\nvm1.memory = 32M\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg:3: vm1 has no 'guest' (every VM but vm0 needs one)"));
}

static void test_finalize_builtin_for_vm1(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 1\nvm1.cpus = 1\nvm1.guest = builtin\n"), 0);
    CHECK_EQ(finalize(2), 0);
    CHECK(cfg.vm[1].builtin);
}

static void test_finalize_hole(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 1\n\nvm2.guest = a\nvm2.cpus = 1\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg:3: vm2 is configured but vm1 is not (VMs are numbered "
                            "from vm0 without gaps)"));
    CHECK_EQ(parse("cpus = 1\nvm1.guest = a\nvm1.cpus = 1\nvm5.guest = b\nvm5.cpus = 1\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg:4: vm5 is configured but vm2 is not (VMs are numbered "
                            "from vm0 without gaps)"));
}

static void test_finalize_duplicate_names(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 1\nname = x\nvm1.cpus = 1\nvm1.guest = a\nvm1.name = x\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg:3: vm1 has the same name 'x' as vm0"));
    CHECK_EQ(parse("cpus = 1\nvm1.cpus = 1\nvm1.guest = a\nvm1.name = vm0\n"), 0);
    CHECK(finalize_fails(4, "keel.cfg:2: vm1 has the same name 'vm0' as vm0"));
}

static void test_finalize_no_cpus(void)
{
    ncases++;
    CHECK_EQ(parse(""), 0);
    CHECK(finalize_fails(0, "keel.cfg: the machine has no usable CPU"));
}

static void test_finalize_filename(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 9"), 0);
    CHECK_EQ(config_finalize(&cfg, 2, NULL, &err), -1);
    CHECK(strcmp(err.msg, "keel.cfg:1: vm0 asks for 9 CPUs, the machine has 2") == 0);
}

/* ------------------------------------------------------- device assignment */

static void test_pci_values(void)
{
    uint16_t bdf = 0;
    char why[96];

    ncases++;
    CHECK_EQ(parse("pci = 00:03.0\npci = 1F:1f.7\nvm1.pci = a:0.1\nvm1.guest = g"), 0);
    CHECK_EQ(cfg.vm[0].npci, 2);
    CHECK_EQ(cfg.vm[0].pci[0], 0x0018);
    CHECK_EQ(cfg.vm[0].pci[1], 0x1fff);
    CHECK_EQ(cfg.vm[0].pci_line[1], 2);
    CHECK_EQ(cfg.vm[1].pci[0], 0x0a01);
    CHECK(!cfg.vm[0].dma_fault_continue);
    CHECK_EQ(parse("pci = 00:03.0\npci =\n"), 0);
    CHECK_EQ(cfg.vm[0].npci, 0);
    CHECK_FAILS("pci = 00:20.0", "keel.cfg:1: bad PCI function '00:20.0': device 0x20 out of range "
                "(at most 1f)");
    CHECK_FAILS("pci = 00:03.8", "keel.cfg:1: bad PCI function '00:03.8': function 0x8 out of "
                "range (at most 7)");
    CHECK_FAILS("pci = 0000:00:03.0", "keel.cfg:1: bad PCI function '0000:00:03.0': expected "
                "BB:DD.F (hexadecimal bus, device, function; segment 0 only)");
    CHECK_FAILS("pci = 100:03.0", "keel.cfg:1: bad PCI function '100:03.0': expected BB:DD.F with "
                "hexadecimal bus 00-ff, device 00-1f, function 0-7");
    CHECK_FAILS("pci = 0g:03.0", "keel.cfg:1: bad PCI function '0g:03.0': expected BB:DD.F with "
                "hexadecimal bus 00-ff, device 00-1f, function 0-7");
    CHECK_FAILS("pci = 00:03", "keel.cfg:1: bad PCI function '00:03': expected BB:DD.F "
                "(hexadecimal bus, device, function; segment 0 only)");
    CHECK_FAILS("pci = 00:03.0\npci = 00:03.0", "keel.cfg:2: PCI function 00:03.0 is already "
                "assigned to vm0 (line 1)");
    CHECK_FAILS("pci=0:1.0\npci=0:2.0\npci=0:3.0\npci=0:4.0\npci=0:5.0",
                "keel.cfg:5: too many PCI functions for vm0 (at most 4)");
    CHECK_EQ(parse("cpus = 1\npci = 00:03.0\nvm1.cpus = 1\nvm1.guest = g\nvm1.pci = 00:03.0"), 0);
    CHECK(finalize_fails(2, "keel.cfg:5: vm1: PCI function 00:03.0 is already assigned to vm0 "
                            "(line 2)"));
    CHECK_EQ(parse("on_dma_fault = continue\nvm1.on_dma_fault = stop\nvm1.guest = g"), 0);
    CHECK(cfg.vm[0].dma_fault_continue && !cfg.vm[1].dma_fault_continue);
    CHECK_FAILS("on_dma_fault = halt", "keel.cfg:1: bad value 'halt' for 'on_dma_fault': expected "
                "stop or continue");
    CHECK_EQ(config_parse_bdf("ff:1f.7", 7, &bdf, why, sizeof(why)), 0);
    CHECK_EQ(bdf, 0xffff);
    CHECK_EQ(config_parse_bdf("ff:1f.", 6, &bdf, why, sizeof(why)), -1);
    CHECK_EQ(config_parse_bdf(":1f.0", 5, &bdf, why, sizeof(why)), -1);
}

/* ----------------------------------------------------------- key docs */

static void test_key_docs(void)
{
    static const char *const sample[] = {
        "info", "0x3f8", "9600", "0xf4", "yes", "reset", "n", "builtin", "x", "m a", "1", "32M",
        "no", "no", "yes", "discard", "yes", "yes", "yes", "no", "com2,9600", "off", "inhibit",
        "on", "irq-window,id-modified", "boot/initrd.img", "x2apic",
        "00:03.0", "continue", "on", "on", "emulated", "stop", "reset",
    };
    _Static_assert(sizeof(sample) / sizeof(sample[0]) == 34, "a sample value for every key");
    bool ok = true;

    ncases++;
    CHECK_EQ(config_nkeys, 34);
    for (size_t i = 0; i < config_nkeys; i++) {
        char line[128];

        ok &= config_keys[i].key && config_keys[i].values && config_keys[i].def &&
              config_keys[i].help && config_keys[i].help[0] != '\0';
        for (size_t j = 0; j < i; j++)
            ok &= strcmp(config_keys[i].key, config_keys[j].key) != 0;
        /* Every documented key parses, with a prefix exactly when per-VM. */
        snprintf(line, sizeof(line), "%s%s = %s", config_keys[i].per_vm ? "vm1." : "",
                 config_keys[i].key, sample[i]);
        ok &= parse(line) == 0;
        ok &= config_keys[i].repeatable == (strcmp(config_keys[i].key, "module") == 0 ||
                                            strcmp(config_keys[i].key, "pci") == 0);
    }
    CHECK(ok);
}

/* --------------------------------------------------- virtual platform keys */

/* irq_remap: auto (the default, -1), on, off, per VM; anything else named. */
static void test_irq_remap_key(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 1"), 0);
    CHECK_EQ(cfg.vm[0].irq_remap, -1);
    CHECK_EQ(parse("irq_remap = on\nvm1.irq_remap = off\nvm1.guest = g\nvm2.irq_remap = auto\n"
                   "vm2.guest = g"), 0);
    CHECK_EQ(cfg.vm[0].irq_remap, 1);
    CHECK_EQ(cfg.vm[1].irq_remap, 0);
    CHECK_EQ(cfg.vm[2].irq_remap, -1);
    CHECK_FAILS("irq_remap = yes", "keel.cfg:1: bad value 'yes' for 'irq_remap': expected auto, "
                "on or off");
}

/* invariant_tsc (auto/on/off, global: the host's TSC) and pm_timer
 * (auto/host/emulated, per VM). */
static void test_time_keys(void)
{
    ncases++;
    CHECK_EQ(parse("cpus = 1"), 0);
    CHECK(cfg.invariant_tsc == -1 && cfg.vm[0].pm_timer == -1);
    CHECK_EQ(parse("invariant_tsc = on\npm_timer = host\nvm1.pm_timer = emulated\nvm1.guest = g"), 0);
    CHECK(cfg.invariant_tsc == 1 && cfg.vm[0].pm_timer == 1 && cfg.vm[1].pm_timer == 0);
    CHECK_EQ(parse("invariant_tsc = off"), 0);
    CHECK_EQ(cfg.invariant_tsc, 0);
    CHECK_FAILS("vm1.invariant_tsc = on", "keel.cfg:1: 'vm1.invariant_tsc': 'invariant_tsc' is a global key, without a 'vmN.' prefix");
    CHECK_FAILS("pm_timer = hpet", "keel.cfg:1: bad value 'hpet' for 'pm_timer': expected auto, "
                "host or emulated");
}

static void test_reboot_keys(void)
{
    ncases++;
    CHECK_EQ(parse(""), 0);
    CHECK(!cfg.vm[0].on_reboot_stop && !cfg.vm[0].triple_fault_reset); /* restart; stop */
    ncases++;
    CHECK_EQ(parse("on_reboot = stop\non_triple_fault = reset\nvm1.cpus = 1\n"
                   "vm1.guest = g\nvm1.on_reboot = Restart\n"), 0);
    CHECK(cfg.vm[0].on_reboot_stop && cfg.vm[0].triple_fault_reset);
    CHECK(!cfg.vm[1].on_reboot_stop && !cfg.vm[1].triple_fault_reset);
    ncases++;
    CHECK_EQ(parse("on_reboot = reset\n"), -1);
    CHECK(strstr(err.msg, "keel.cfg:1: bad value 'reset' for 'on_reboot'") != NULL);
    CHECK(strstr(err.msg, "restart or stop") != NULL);
    ncases++;
    CHECK_EQ(parse("\non_triple_fault = restart\n"), -1);
    CHECK(strstr(err.msg, "keel.cfg:2: bad value 'restart' for 'on_triple_fault'") != NULL);
}

static void test_platform_keys(void)
{
    ncases++;
    CHECK_EQ(parse(""), 0);
    CHECK(cfg.vm[0].x2apic && cfg.vm[0].tsc_deadline);
    CHECK(!cfg.vm[0].madt_x2apic && !cfg.vm[0].pit_discard && !cfg.vm[0].exit_port);
    CHECK(!cfg.vm[0].irq_ports && !cfg.vm[0].x2apic_exact_ids && cfg.vm[0].apic_accel);
    ncases++;
    CHECK_EQ(parse("vm1.cpus = 1\nvm1.apic_accel = no\n"), 0);
    CHECK(cfg.vm[0].apic_accel && !cfg.vm[1].apic_accel);
    ncases++;
    CHECK_EQ(parse("apic_accel = maybe\n"), -1);
    CHECK(strstr(err.msg, "bad value 'maybe' for 'apic_accel'") != NULL);
    ncases++;
    CHECK_EQ(parse("x2apic = no\ntsc_deadline = off\npit_lost_ticks = discard\n"
                   "exit_port = yes\nirq_ports = 1\nx2apic_exact_ids = true\n"), 0);
    CHECK(!cfg.vm[0].x2apic && !cfg.vm[0].tsc_deadline && cfg.vm[0].pit_discard);
    CHECK(cfg.vm[0].exit_port && cfg.vm[0].irq_ports && cfg.vm[0].x2apic_exact_ids);
    ncases++;
    CHECK_EQ(parse("pit_lost_ticks = sometimes\n"), -1);
    CHECK(strstr(err.msg, "bad value 'sometimes' for 'pit_lost_ticks'") != NULL);
    ncases++;
    CHECK_EQ(parse("x2apic = maybe\n"), -1);
    CHECK(strstr(err.msg, "expected yes or no") != NULL);
    ncases++;
    CHECK_EQ(parse("x2apic = no\nmadt_x2apic = yes\n"), 0);
    CHECK_EQ(config_finalize(&cfg, 4, NULL, &err), -1);
    CHECK(strstr(err.msg, "madt_x2apic = yes needs x2apic = yes") != NULL);
    CHECK_EQ(parse("apic_mode = x2apic\nvm1.apic_mode = xapic\n"), 0);
    CHECK(cfg.vm[0].x2apic_at_entry && !cfg.vm[1].x2apic_at_entry);
    CHECK_EQ(parse("apic_mode = x2\n"), -1);
    CHECK(strstr(err.msg, "expected xapic or x2apic") != NULL);
    CHECK_EQ(parse("x2apic = no\napic_mode = x2apic\n"), 0);
    CHECK_EQ(config_finalize(&cfg, 4, NULL, &err), -1);
    CHECK(strstr(err.msg, "apic_mode = x2apic needs x2apic = yes") != NULL);
}

int main(void)
{
    test_platform_keys();
    test_reboot_keys();
    test_defaults();
    test_empty_file();
    test_comments_blank_lines();
    test_log_level_values();
    test_serial_port_values();
    test_console_values();
    test_serial_baud_values();
    test_debug_exit_values();
    test_bochs_exit_values();
    test_on_exit_values();
    test_global_keys_do_not_create_vms();
    test_name_values();
    test_guest_values();
    test_guest_length_boundary();
    test_initrd_values();
    test_cmdline_values();
    test_cmdline_length_boundary();
    test_cmdline_too_long_example();
    test_module_list();
    test_module_clear();
    test_module_limit();
    test_module_per_vm();
    test_module_lengths();
    test_cpus_values();
    test_memory_values();
    test_override_later_wins();
    test_override_launcher_set();
    test_prefix_vm0_same_as_none();
    test_prefixes_create_vms();
    test_crlf();
    test_bom();
    test_utf16_rejected();
    test_whitespace_trimmed();
    test_value_with_equals_and_hash();
    test_no_final_newline();
    test_text_not_nul_terminated();
    test_line_numbers();
    test_stops_at_first_error();
    test_filename_in_messages();
    test_long_text_quoted_short();
    test_error_table();
    test_nul_byte();
    test_finalize_single_all_cpus();
    test_finalize_single_capped();
    test_finalize_single_explicit();
    test_finalize_single_too_many();
    test_finalize_two_vms();
    test_finalize_eight_vms();
    test_finalize_sum_too_big();
    test_finalize_missing_cpus();
    test_finalize_missing_cpus_vm0();
    test_finalize_missing_guest();
    test_finalize_builtin_for_vm1();
    test_finalize_hole();
    test_finalize_duplicate_names();
    test_finalize_no_cpus();
    test_finalize_filename();
    test_key_docs();
    test_irq_remap_key();
    test_time_keys();
    test_pci_values();
    printf("test_config: %u cases\n", ncases);
    return check_report("test_config");
}
