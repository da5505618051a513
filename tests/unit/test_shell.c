/* SPDX-License-Identifier: MIT */
/* The shell's line editor and command parser (hv/shell/shell_line.c, shell_parse.c). */
#include <string.h>

#include "check.h"
#include "hv/shell/shell_line.h"
#include "hv/shell/shell_parse.h"

static struct shell_line ed;
static struct shell_echo echo;
static char line[SHELL_LINE_MAX];
static unsigned lines;

/* Types @s; returns the last finished line ("" if none), counting lines. */
static const char *type(const char *s)
{
    static char last[SHELL_LINE_MAX];
    last[0] = 0;
    echo.len = 0;
    for (; *s; s++)
        if (shell_line_feed(&ed, (uint8_t)*s, &echo, line)) {
            lines++;
            memcpy(last, line, sizeof(last));
        }
    return last;
}

static void test_editing(void)
{
    shell_line_init(&ed);
    lines = 0;
    CHECK(strcmp(type("help\r"), "help") == 0);
    CHECK_EQ(lines, 1);
    CHECK(memcmp(echo.buf, "help\n", 5) == 0);
    /* CR LF is one end of line; LF alone is one too */
    CHECK(strcmp(type("vms\r\ncpus\n"), "cpus") == 0);
    CHECK_EQ(lines, 3);
    /* backspace (BS and DEL), at the start too */
    CHECK(strcmp(type("\x7f" "vmx\x08s\r"), "vms") == 0);
    /* Ctrl-U erases the line, Ctrl-C abandons it */
    CHECK(strcmp(type("garbage\x15stats\r"), "stats") == 0);
    lines = 0;
    CHECK(strcmp(type("junk\x03"), "") == 0);
    CHECK_EQ(lines, 1);
    /* control bytes and other escapes are ignored */
    CHECK(strcmp(type("a\x02\x1b[C\x1b[1;5Db\r"), "ab") == 0);
    /* a line cannot grow past its buffer */
    char big[300];
    memset(big, 'x', sizeof(big));
    big[sizeof(big) - 2] = '\r';
    big[sizeof(big) - 1] = 0;
    CHECK_EQ(strlen(type(big)), SHELL_LINE_MAX - 1);
}

static void test_history(void)
{
    shell_line_init(&ed);
    type("one\r");
    type("two\r");
    type("two\r"); /* a repeat is not stored twice */
    type("\r");    /* nor an empty line */
    CHECK_EQ(ed.hist_count, 2);
    CHECK(strcmp(type("\x1b[A\r"), "two") == 0);
    CHECK(strcmp(type("\x1b[A\x1b[A\r"), "one") == 0);
    /* up past the oldest rings the bell and stays; down returns to the draft */
    CHECK(strcmp(type("dr\x1b[A\x1b[A\x1b[A\x1b[A\x1b[B\x1b[B\x1b[B\r"), "dr") == 0);
    /* ESC O A (application cursor keys) works too */
    CHECK(strcmp(type("\x1bOA\r"), "dr") == 0);
    /* bounded: the oldest entries go */
    for (unsigned i = 0; i < 40; i++) {
        char cmd[16];
        snprintf(cmd, sizeof(cmd), "c%u\r", i);
        type(cmd);
    }
    CHECK_EQ(ed.hist_count, SHELL_HIST_MAX);
    char up[(SHELL_HIST_MAX + 3) * 3 + 8] = "";
    for (unsigned i = 0; i < SHELL_HIST_MAX + 3; i++)
        strcat(up, "\x1b[A");
    strcat(up, "\r");
    char want[8];
    snprintf(want, sizeof(want), "c%u", 40 - SHELL_HIST_MAX);
    CHECK(strcmp(type(up), want) == 0);
}

static int parse(const char *s, struct shell_cmd *c, char *err)
{
    int r = shell_parse(s, c, err);
    if (r)
        CHECK(err[0] && !strchr(err, '\n'));
    else
        CHECK(err[0] == 0);
    return r;
}

static void test_parse(void)
{
    struct shell_cmd c;
    char err[SHELL_ERR_MAX];
    CHECK_EQ(parse("", &c, err), 0);
    CHECK_EQ(c.id, SHELL_CMD_NONE);
    CHECK_EQ(parse("   help  ", &c, err), 0);
    CHECK_EQ(c.id, SHELL_CMD_HELP);
    CHECK_EQ(parse("vcpu vm1.2", &c, err), 0);
    CHECK(c.id == SHELL_CMD_VCPU && c.vm == 1 && c.vcpu == 2);
    CHECK_EQ(parse("apic 3", &c, err), 0);
    CHECK(c.id == SHELL_CMD_APIC && c.vm == 0 && c.vcpu == 3);
    CHECK_EQ(parse("apic 0x1.0x2", &c, err), 0);
    CHECK(c.vm == 1 && c.vcpu == 2);
    CHECK_EQ(parse("mem vm0 0x1000 16", &c, err), 0);
    CHECK(c.id == SHELL_CMD_MEM && c.vm == 0 && c.gpa == 0x1000 && c.len == 16);
    CHECK_EQ(parse("mem 1 4096 4096", &c, err), 0);
    CHECK_EQ(parse("log debug", &c, err), 0);
    CHECK_EQ(c.level, 3);
    CHECK_EQ(parse("vm stop vm2", &c, err), 0);
    CHECK(c.id == SHELL_CMD_VM_STOP && c.vm == 2);
    CHECK_EQ(parse("poweroff", &c, err), 0);
    CHECK_EQ(c.id, SHELL_CMD_POWEROFF);
    CHECK_EQ(parse("vm restart 1", &c, err), 0);
    CHECK(c.id == SHELL_CMD_VM_RESTART && c.vm == 1);
    CHECK_EQ(parse("trace on", &c, err), 0);
    CHECK(c.id == SHELL_CMD_TRACE && c.trace == SHELL_TRACE_ON);
    CHECK_EQ(parse("trace off", &c, err), 0);
    CHECK(c.id == SHELL_CMD_TRACE && c.trace == SHELL_TRACE_OFF);
    CHECK_EQ(parse("trace dump", &c, err), 0);
    CHECK(c.trace == SHELL_TRACE_DUMP && c.len == SHELL_TRACE_DEFAULT);
    CHECK_EQ(parse("trace dump 0x100", &c, err), 0);
    CHECK(c.trace == SHELL_TRACE_DUMP && c.len == 256);

    CHECK_EQ(parse("frobnicate", &c, err), -1);
    CHECK(strstr(err, "unknown command 'frobnicate'") != NULL);
    CHECK_EQ(parse("help me", &c, err), -1);
    CHECK(strcmp(err, "usage: help") == 0);
    CHECK_EQ(parse("vcpu", &c, err), -1);
    CHECK_EQ(parse("vcpu x.1", &c, err), -1);
    CHECK_EQ(parse("vcpu 1.", &c, err), -1);
    CHECK_EQ(parse("vcpu 1.2.3", &c, err), -1);
    CHECK_EQ(parse("vcpu 99999999", &c, err), -1);
    CHECK_EQ(parse("mem 0 0x1000 0", &c, err), -1);
    CHECK_EQ(parse("mem 0 0x1000 4097", &c, err), -1);
    CHECK_EQ(parse("mem 0 0xfffffffffffffff0 0x20", &c, err), -1);
    CHECK(strstr(err, "wraps") != NULL);
    CHECK_EQ(parse("mem 0 0x10000000000000000 1", &c, err), -1);
    CHECK_EQ(parse("mem 0 12z 1", &c, err), -1);
    CHECK_EQ(parse("mem 0 0x 1", &c, err), -1);
    CHECK_EQ(parse("log loud", &c, err), -1);
    CHECK_EQ(parse("vm start 1", &c, err), -1);
    CHECK_EQ(parse("vm stop", &c, err), -1);
    CHECK(strcmp(err, "usage: vm stop VM") == 0);
    CHECK_EQ(parse("vm restart", &c, err), -1);
    CHECK(strcmp(err, "usage: vm restart VM") == 0);
    CHECK_EQ(parse("vm restart x", &c, err), -1);
    CHECK(strcmp(err, "vm restart: 'x' is not a VM (N or vmN)") == 0);
    CHECK_EQ(parse("vm start 1", &c, err), -1);
    CHECK(strcmp(err, "vm: the subcommands are 'vm stop VM' and 'vm restart VM'") == 0);
    CHECK_EQ(parse("trace", &c, err), -1);
    CHECK(strcmp(err, "usage: trace on|off|dump [N]") == 0);
    CHECK_EQ(parse("trace on 3", &c, err), -1);
    CHECK(strcmp(err, "usage: trace on|off|dump [N]") == 0);
    CHECK_EQ(parse("trace dump 0", &c, err), -1);
    CHECK(strcmp(err, "trace dump: '0' is not a count from 1 to 256") == 0);
    CHECK_EQ(parse("trace dump 257", &c, err), -1);
    CHECK_EQ(parse("trace dump 1 2", &c, err), -1);
    CHECK_EQ(parse("trace sideways", &c, err), -1);
    CHECK_EQ(parse("a b c d e f g h", &c, err), -1);
    CHECK_EQ(parse("mem 0 1 2 3 4 5 6", &c, err), -1);
    CHECK(strcmp(err, "usage: mem VM GPA LEN") == 0);

    uint64_t v;
    CHECK(shell_parse_u64("18446744073709551615", &v) && v == UINT64_MAX);
    CHECK(!shell_parse_u64("18446744073709551616", &v));
    CHECK(shell_parse_u64("0xFFFFFFFFFFFFFFFF", &v) && v == UINT64_MAX);
    CHECK(!shell_parse_u64("-1", &v));
    CHECK(!shell_parse_u64("", &v));
    for (unsigned id = SHELL_CMD_HELP; id < SHELL_CMD_COUNT; id++)
        CHECK(shell_cmd_help((enum shell_cmd_id)id) && shell_cmd_help((enum shell_cmd_id)id)->usage);
    CHECK(shell_cmd_help(SHELL_CMD_NONE) == NULL);
}

int main(void)
{
    test_editing();
    test_history();
    test_parse();
    return check_report("test_shell");
}
