/* SPDX-License-Identifier: MIT */
/* Host descriptor tables and the host exception frame. */
#ifndef KEEL_HV_DESC_H
#define KEEL_HV_DESC_H

#include <stdint.h>

#include "hv/host/percpu.h"

/* The frame hv/host/entry.S builds: saved GPRs, vector, error code, then what
 * the CPU pushed (SDM 6.14.1, 64-bit mode stack frame). */
struct host_frame {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error;
    uint64_t rip, cs, rflags, rsp, ss;
};

/* Vectors the hypervisor uses for itself. */
#define HOST_VEC_KICK     0xf0  /* wake a CPU / force a guest exit */
#define HOST_VEC_PI_WAKEUP 0xf1 /* a post to a vCPU blocked in HLT (vmx/vmx_posted.c) */
#define HOST_VEC_POSTED   0xf2  /* posted-interrupt notification that found the host */
#define HOST_VEC_SPURIOUS 0xff

/* IST slots (1-based as in the IDT gate). */
#define HOST_IST_NMI 1
#define HOST_IST_DF  2
#define HOST_IST_MC  3

void host_idt_init(void);
void host_exception(struct host_frame *f);
void host_load_segments(uint16_t cs, uint16_t ds);
void host_switch_stack(uintptr_t top, void (*fn)(void *), void *arg) __attribute__((noreturn));

#endif /* KEEL_HV_DESC_H */
