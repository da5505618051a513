/* SPDX-License-Identifier: MIT */
/*
 * hv/shell/: the console input path as a user drives it: bytes through the
 * router (first byte: how many VMs, 0..3), the shell's share through the
 * line editor, each finished line through the command parser.
 * Invariants:
 *   - router: every byte that is not Ctrl-A comes out once, in order; the
 *     Ctrl-As that come out plus three per switch plus those held back are
 *     all that went in; the owner stays in 0..nvms;
 *   - editor: the line stays under SHELL_LINE_MAX; the history holds at
 *     most SHELL_HIST_MAX non-empty NUL-terminated lines; a finished line
 *     is printable ASCII; echo never exceeds its buffer;
 *   - parser (on an exact-size heap copy, so a read past the line is
 *     caught): either a known command (or an empty line) whose name is the
 *     first word and no error text, or exactly one error line (non-empty,
 *     no newline); a mem command's length is 1..4096 and does not wrap;
 *     parsing again gives the same answer.
 */
#include "fuzz.h"
#include "hv/shell/router.h"
#include "hv/shell/shell_line.h"
#include "hv/shell/shell_parse.h"

static void check_line(const char *line)
{
    size_t n = strlen(line);
    FUZZ_ASSERT(n < SHELL_LINE_MAX);
    for (size_t i = 0; i < n; i++)
        FUZZ_ASSERT(line[i] >= 0x20 && line[i] <= 0x7e);
    char *copy = malloc(n + 1);
    memcpy(copy, line, n + 1);
    struct shell_cmd c, c2;
    char err[SHELL_ERR_MAX], err2[SHELL_ERR_MAX];
    int r = shell_parse(copy, &c, err);
    int r2 = shell_parse(copy, &c2, err2);
    FUZZ_ASSERT(r == r2 && strcmp(err, err2) == 0);
    if (r == 0) {
        FUZZ_ASSERT(err[0] == 0);
        FUZZ_ASSERT(c.id >= SHELL_CMD_NONE && c.id < SHELL_CMD_COUNT);
        FUZZ_ASSERT(memcmp(&c, &c2, sizeof(c)) == 0);
        if (c.id != SHELL_CMD_NONE) {
            const char *name = shell_cmd_help(c.id)->usage;
            size_t k = strcspn(name, " ");
            const char *w = copy + strspn(copy, " \t");
            FUZZ_ASSERT(strncmp(w, name, k) == 0 && (w[k] == 0 || w[k] == ' ' || w[k] == '\t'));
        }
        if (c.id == SHELL_CMD_MEM)
            FUZZ_ASSERT(c.len >= 1 && c.len <= SHELL_MEM_MAX && c.gpa + c.len > c.gpa);
        if (c.id == SHELL_CMD_LOG)
            FUZZ_ASSERT(c.level <= 3);
        if (c.id == SHELL_CMD_TRACE && c.trace == SHELL_TRACE_DUMP)
            FUZZ_ASSERT(c.len >= 1 && c.len <= SHELL_TRACE_MAX);
    } else {
        FUZZ_ASSERT(r == -1);
        FUZZ_ASSERT(err[0] && strlen(err) < SHELL_ERR_MAX && !strchr(err, '\n'));
    }
    free(copy);
}

static void check_editor(const struct shell_line *ed)
{
    FUZZ_ASSERT(ed->len < SHELL_LINE_MAX);
    FUZZ_ASSERT(ed->hist_count <= SHELL_HIST_MAX && ed->hist_first < SHELL_HIST_MAX);
    FUZZ_ASSERT(ed->browse <= ed->hist_count);
    for (unsigned i = 0; i < ed->hist_count; i++) {
        const char *h = ed->hist[(ed->hist_first + i) % SHELL_HIST_MAX];
        size_t n = strnlen(h, SHELL_LINE_MAX);
        FUZZ_ASSERT(n > 0 && n < SHELL_LINE_MAX);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    static struct shell_line ed;
    struct router r;
    unsigned nvms = fuzz_u8(&in) % 4;
    size_t plain_in = 0, plain_out = 0, esc_in = 0, esc_out = 0, switches = 0;
    uint8_t last_plain = 0;
    router_init(&r, nvms);
    shell_line_init(&ed);
    while (fuzz_more(&in)) {
        uint8_t b = fuzz_u8(&in);
        struct router_out o;
        bool shell = router_shell_owns(&r);
        if (b == ROUTER_ESC_BYTE)
            esc_in++;
        else
            plain_in++;
        router_feed(&r, b, &o);
        FUZZ_ASSERT(r.owner <= nvms && r.held < ROUTER_ESC_COUNT && o.n <= ROUTER_ESC_COUNT);
        switches += o.switched;
        for (unsigned i = 0; i < o.n; i++) {
            if (o.bytes[i] == ROUTER_ESC_BYTE) {
                esc_out++;
            } else {
                plain_out++;
                last_plain = o.bytes[i];
                FUZZ_ASSERT(i == o.n - 1 && last_plain == b); /* in order, at once */
            }
            if (!shell)
                continue;
            struct shell_echo e = { .len = 0 };
            char line[SHELL_LINE_MAX];
            if (shell_line_feed(&ed, o.bytes[i], &e, line))
                check_line(line);
            FUZZ_ASSERT(e.len <= SHELL_ECHO_MAX);
            check_editor(&ed);
        }
    }
    FUZZ_ASSERT(plain_in == plain_out);
    FUZZ_ASSERT(esc_out + 3 * switches + r.held == esc_in);
    return 0;
}
