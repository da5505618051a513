/* SPDX-License-Identifier: MIT */
/*
 * The shell's command parser: one line in, a command with its arguments
 * checked for form, or one line of error.  Whether a VM or vCPU exists is
 * the caller's question (hv/shell/shell.c); the parser knows no state.
 *
 * Numbers are decimal, or hexadecimal with 0x; a VM is N or vmN; a vCPU is
 * VM.N (vm1.0, 1.0) or N alone (vCPU N of vm0).  Pure, host-tested.
 */
#ifndef KEEL_HV_SHELL_PARSE_H
#define KEEL_HV_SHELL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHELL_MEM_MAX 4096u   /* bytes one mem command may show */
#define SHELL_ERR_MAX 120u
#define SHELL_TRACE_MAX 256u  /* entries per vCPU one trace dump may show (hv/trace.h's ring) */
#define SHELL_TRACE_DEFAULT 16u

enum shell_trace_op { SHELL_TRACE_OFF = 0, SHELL_TRACE_ON, SHELL_TRACE_DUMP };

enum shell_cmd_id {
    SHELL_CMD_NONE = 0,       /* an empty line */
    SHELL_CMD_HELP,
    SHELL_CMD_CPUS,
    SHELL_CMD_VMS,
    SHELL_CMD_VCPU,
    SHELL_CMD_APIC,
    SHELL_CMD_INHIBITS,
    SHELL_CMD_IOMMU,
    SHELL_CMD_STATS,
    SHELL_CMD_TRACE,
    SHELL_CMD_LOG,
    SHELL_CMD_MEM,
    SHELL_CMD_VM_STOP,
    SHELL_CMD_VM_RESTART,     /* "vm restart VM": the name "vm" is VM_STOP's */
    SHELL_CMD_REBOOT,
    SHELL_CMD_POWEROFF,
    SHELL_CMD_COUNT
};

struct shell_cmd {
    enum shell_cmd_id id;
    unsigned vm;              /* VCPU, APIC, MEM, VM_STOP, VM_RESTART */
    unsigned vcpu;            /* VCPU, APIC */
    unsigned level;           /* LOG: enum log_level_hv's values, 0..3 */
    uint64_t gpa, len;        /* MEM: 1 <= len <= SHELL_MEM_MAX, gpa + len no wrap;
                               * TRACE dump: 1 <= len <= SHELL_TRACE_MAX */
    enum shell_trace_op trace;
};

struct shell_cmd_help {
    const char *usage;        /* "mem VM GPA LEN" */
    const char *what;         /* one line */
};

/* The help line of a command (SHELL_CMD_HELP .. SHELL_CMD_POWEROFF). */
const struct shell_cmd_help *shell_cmd_help(enum shell_cmd_id id);

/* 0 and *cmd filled, or -1 and a one-line message (no newline) in @err
 * (SHELL_ERR_MAX bytes).  @line is NUL-terminated. */
int shell_parse(const char *line, struct shell_cmd *cmd, char *err);

/* Helpers, exposed for tests: a number (decimal or 0x hex, no sign, no
 * overflow), a VM (N or vmN), a vCPU (VM.N or N). */
bool shell_parse_u64(const char *s, uint64_t *out);
bool shell_parse_vm(const char *s, unsigned *vm);
bool shell_parse_vcpu(const char *s, unsigned *vm, unsigned *vcpu);

#endif /* KEEL_HV_SHELL_PARSE_H */
