/* SPDX-License-Identifier: MIT */
/*
 * Serial console input: one physical CPU (the "console CPU") polls the
 * UART (see CONIN_POLL_US below), runs the bytes through the router
 * (hv/shell/router.h) and hands them to the owner: a VM's input queue
 * (taken into its virtual 16550 by the VM's own CPUs, hv/dev/vplatform.c)
 * or the shell (hv/shell/shell.c), which runs on the console CPU too.
 *
 * The console CPU is the first CPU that runs no vCPU, if Keel has one (the
 * shell then costs the guests nothing), else the boot CPU: its vCPU then
 * gets a timer exit per poll and is paused while a shell command runs.
 * Other CPUs pay nothing per exit but a test of one per-CPU flag
 * (percpu.con_poller) and, for console input, the test of an empty queue.
 *
 * Locks: the router, the shell and the producer side of the input queues
 * belong to the console CPU (no lock).  A VM's input queue is consumed under
 * its platform lock; held output is under con_lock.  Nothing here takes a
 * vCPU's APIC lock: the UART's interrupt is raised by the vCPU that moves
 * the bytes in.
 */
#ifndef KEEL_HV_SHELL_CONIN_H
#define KEEL_HV_SHELL_CONIN_H

#include <stddef.h>
#include <stdint.h>

/* A 16550's 16-byte FIFO fills in 1.4 ms at 115200 baud: while someone
 * types (CONIN_ACTIVE_MS after the last byte) or the shell has the line,
 * poll every CONIN_POLL_US; otherwise every CONIN_IDLE_POLL_US, so that a
 * console CPU that runs a vCPU takes 100 timer exits a second, not 1000.
 * The first bytes of a paste at full line rate onto an idle console can
 * overrun the physical UART (counted: `cpus` shows receiver overruns). */
#define CONIN_POLL_US 1000u
#define CONIN_IDLE_POLL_US 10000u
#define CONIN_ACTIVE_MS 2000u
#define CONIN_BYTES_PER_POLL 64u
#define CONIN_REPLAY_PER_POLL 4u

struct percpu;
struct vm;

/* After the VMs exist, before the APs run them (boot CPU).  Without a
 * serial console (console = none) nothing is polled. */
void conin_init(void);
/* The console CPU, from its run loop: polls when due (cheap otherwise). */
void conin_poll(void);
/* When the console CPU must look again (host TSC), for its timer. */
uint64_t conin_deadline(void);
/* Input bytes the VM's queue dropped (it was full), and those waiting. */
uint64_t conin_vm_dropped(const struct vm *vm);
size_t conin_vm_waiting(const struct vm *vm);
/* Keel is ending: every VM's held output goes out now, shell or not. */
void conin_flush(void);
/* Which VM owns the input (-1: the shell). */
int conin_owner(void);

#endif /* KEEL_HV_SHELL_CONIN_H */
