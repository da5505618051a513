/* SPDX-License-Identifier: MIT */
/*
 * The debug shell on the serial console (docs/shell.md).  It runs on the
 * console CPU (hv/shell/conin.h) when the router gives it the input; its
 * output goes out line by line through the console, each line whole.  The
 * line editor and the parser are pure (shell_line.c, shell_parse.c); this
 * is the part that reads the hypervisor's state.
 *
 * What a command reads and how (nothing here takes an APIC lock, nothing
 * waits on a vCPU for more than SNAP_WAIT_MS):
 *   - a vCPU's registers, pending events and local APIC: a snapshot the
 *     vCPU takes at its next exit (hv/shell/snap.h);
 *   - exit counters: read directly, each a 64-bit word its CPU increments;
 *   - VM and vCPU states: atomics; VM RAM: copied from the VM's window,
 *     only inside its RAM (vm_gpa_is_ram), never device memory.
 */
#ifndef KEEL_HV_SHELL_SHELL_H
#define KEEL_HV_SHELL_SHELL_H

#include <stdint.h>

void shell_init(void);
/* The shell got the input: say so and show the prompt. */
void shell_enter(void);
/* One byte typed while the shell owns the input. */
void shell_input(uint8_t byte);

#endif /* KEEL_HV_SHELL_SHELL_H */
