/* SPDX-License-Identifier: MIT */
/* The shell's commands that read vCPUs, APICs, counters and memory
 * (hv/shell/shell_cmds.c), and the helpers shell.c shares with them. */
#ifndef KEEL_HV_SHELL_CMDS_H
#define KEEL_HV_SHELL_CMDS_H

#include <stddef.h>
#include <stdint.h>

struct vm;
struct vcpu;

/* One line of shell output (a newline is added), whole on the console. */
void sh_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* vm@vm's vCPU @n, or NULL after a one-line error naming @cmd. */
struct vcpu *shell_vcpu(unsigned vm, unsigned n, const char *cmd);

void shell_vendor_features(char *buf, size_t size);
void shell_stats_init(void);
void shell_cmd_vcpu(unsigned vm, unsigned n);
void shell_cmd_apic(unsigned vm, unsigned n);
void shell_cmd_inhibits(void);
void shell_cmd_iommu(void);
void shell_cmd_stats(void);
/* trace on|off|dump: @op enum shell_trace_op, @n 1..SHELL_TRACE_MAX (hv/shell/shell_trace.c). */
void shell_cmd_trace(unsigned op, unsigned n);
/* @len: 1..SHELL_MEM_MAX, checked by the parser. */
void shell_cmd_mem(struct vm *vm, uint64_t gpa, uint64_t len);

#endif /* KEEL_HV_SHELL_CMDS_H */
