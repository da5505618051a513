/* SPDX-License-Identifier: MIT */
/*
 * Hypervisor panic: a bug in Keel itself (never a guest's doing: guests
 * get their VM stopped, see vm_stop()).  Prints the message, a register
 * dump and the last exits of this CPU's vCPU, stops every other CPU with an
 * NMI, and halts.
 */
#ifndef KEEL_HV_PANIC_H
#define KEEL_HV_PANIC_H

#include <stdbool.h>

struct host_frame;

void panic(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));
void panic_frame(const struct host_frame *f) __attribute__((noreturn));
bool panic_in_progress(void);
void panic_park_cpu(void) __attribute__((noreturn));

/* Debug-build assertion; compiles away with NDEBUG. */
#ifdef NDEBUG
#define KASSERT(c) ((void)0)
#else
#define KASSERT(c) \
    ((c) ? (void)0 : panic("assertion '%s' failed at %s:%d", #c, __FILE__, __LINE__))
#endif

#endif /* KEEL_HV_PANIC_H */
