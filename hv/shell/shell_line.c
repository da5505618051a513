/* SPDX-License-Identifier: MIT */
/* The shell's line editor (hv/shell/shell_line.h). */
#include "hv/shell/shell_line.h"

#include <string.h>

#define KEY_CTRL_C 0x03
#define KEY_BEL    0x07
#define KEY_BS     0x08
#define KEY_LF     0x0a
#define KEY_CR     0x0d
#define KEY_CTRL_U 0x15
#define KEY_ESC    0x1b
#define KEY_DEL    0x7f

void shell_line_init(struct shell_line *l)
{
    memset(l, 0, sizeof(*l));
}

static void echo_put(struct shell_echo *e, const char *s, size_t n)
{
    for (size_t i = 0; i < n && e->len < sizeof(e->buf); i++)
        e->buf[e->len++] = s[i];
}

static void echo_str(struct shell_echo *e, const char *s)
{
    echo_put(e, s, strlen(s));
}

/* Erase the terminal's line (VT100 EL, "ESC [ K") and draw the prompt and
 * the line again. */
static void redraw(const struct shell_line *l, struct shell_echo *e)
{
    echo_str(e, "\r\033[K" SHELL_PROMPT);
    echo_put(e, l->buf, l->len);
}

static const char *hist_entry(const struct shell_line *l, unsigned k)
{
    /* k = 1: the most recent */
    return l->hist[(l->hist_first + l->hist_count - k) % SHELL_HIST_MAX];
}

static void set_line(struct shell_line *l, const char *s)
{
    size_t n = strnlen(s, SHELL_LINE_MAX - 1);
    memcpy(l->buf, s, n);
    l->len = n;
}

static void hist_move(struct shell_line *l, bool up, struct shell_echo *e)
{
    if (up && l->browse < l->hist_count) {
        if (l->browse == 0) {
            memcpy(l->draft, l->buf, l->len);
            l->draft[l->len] = 0;
        }
        set_line(l, hist_entry(l, ++l->browse));
    } else if (!up && l->browse > 0) {
        --l->browse;
        set_line(l, l->browse ? hist_entry(l, l->browse) : l->draft);
    } else {
        echo_str(e, "\a");
        return;
    }
    redraw(l, e);
}

static void hist_add(struct shell_line *l, const char *s)
{
    if (!*s || (l->hist_count && strcmp(hist_entry(l, 1), s) == 0))
        return; /* no empty lines, no repeats of the last one */
    unsigned slot;
    if (l->hist_count < SHELL_HIST_MAX) {
        slot = (l->hist_first + l->hist_count++) % SHELL_HIST_MAX;
    } else {
        slot = l->hist_first;
        l->hist_first = (l->hist_first + 1) % SHELL_HIST_MAX;
    }
    memcpy(l->hist[slot], s, strlen(s) + 1);
}

static void finish(struct shell_line *l, char *line, bool keep)
{
    memcpy(line, l->buf, l->len);
    line[keep ? l->len : 0] = 0;
    if (keep)
        hist_add(l, line);
    l->len = 0;
    l->browse = 0;
}

/* Inside an escape sequence: true when the byte was part of one. */
static bool escape(struct shell_line *l, uint8_t b, struct shell_echo *e)
{
    if (l->esc == 1) {
        l->esc = (b == '[' || b == 'O') ? 2 : 0;
        return true;
    }
    if (l->esc == 2) {
        if (b >= 0x40 && b <= 0x7e) { /* the final byte (ECMA-48 5.4) */
            l->esc = 0;
            if (b == 'A' || b == 'B')
                hist_move(l, b == 'A', e);
        }
        return true; /* parameters and intermediates are skipped */
    }
    if (b == KEY_ESC) {
        l->esc = 1;
        return true;
    }
    return false;
}

bool shell_line_feed(struct shell_line *l, uint8_t b, struct shell_echo *e, char *line)
{
    bool after_cr = l->after_cr;
    l->after_cr = b == KEY_CR;
    if (escape(l, b, e))
        return false;
    switch (b) {
    case KEY_LF:
        if (after_cr)
            return false; /* the LF of a CR LF */
        /* fall through */
    case KEY_CR:
        echo_str(e, "\n");
        finish(l, line, true);
        return true;
    case KEY_CTRL_C:
        echo_str(e, "^C\n");
        finish(l, line, false);
        return true;
    case KEY_BS:
    case KEY_DEL:
        if (l->len) {
            l->len--;
            echo_str(e, "\b \b");
        }
        return false;
    case KEY_CTRL_U:
        l->len = 0;
        redraw(l, e);
        return false;
    }
    if (b < 0x20 || b > 0x7e)
        return false;
    if (l->len >= SHELL_LINE_MAX - 1) {
        echo_str(e, "\a");
        return false;
    }
    l->buf[l->len++] = (char)b;
    echo_put(e, (const char *)&b, 1);
    return false;
}
