/* SPDX-License-Identifier: MIT */
/*
 * The console input router: who gets the bytes typed on the serial line.
 *
 * The owner is one of the VMs' consoles (vm0, vm1, ...) or the shell.
 * Ctrl-A (0x01) typed three times in a row moves the input to the next
 * owner: vm0 -> vm1 -> ... -> the last VM -> the shell -> vm0 (Xen's
 * console switch, with Xen's key).  A Ctrl-A that is not part of three is
 * not lost: it is held back until the next byte shows it is not an escape,
 * then passed on before that byte, so a guest can still be sent Ctrl-A
 * (type Ctrl-A and then another key).  The initial owner is vm0, or the
 * shell when there is no VM.
 *
 * Pure: no locking; hv/shell/conin.c calls it from the one CPU that polls
 * the physical UART.
 */
#ifndef KEEL_HV_SHELL_ROUTER_H
#define KEEL_HV_SHELL_ROUTER_H

#include <stdbool.h>
#include <stdint.h>

#define ROUTER_ESC_BYTE  0x01u   /* Ctrl-A */
#define ROUTER_ESC_COUNT 3u

struct router {
    unsigned nvms;
    unsigned owner;      /* 0 .. nvms - 1: that VM's console; nvms: the shell */
    unsigned held;       /* Ctrl-As held back (0 .. ROUTER_ESC_COUNT - 1) */
};

/* What one input byte does. */
struct router_out {
    uint8_t bytes[ROUTER_ESC_COUNT]; /* to the owner (as it was before any switch) */
    unsigned n;
    bool switched;                   /* the owner changed (to r->owner) */
};

void router_init(struct router *r, unsigned nvms);
void router_feed(struct router *r, uint8_t byte, struct router_out *out);
bool router_shell_owns(const struct router *r);

#endif /* KEEL_HV_SHELL_ROUTER_H */
