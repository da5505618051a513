/* SPDX-License-Identifier: MIT */
/*
 * hv/emul/: what happens at a VM exit, after the vendor code decoded it
 * into the neutral record of this header.  Dispatch (exit.c), the
 * handlers for control registers, MSRs, port I/O and MMIO (emul_cr.c,
 * emul_msr.c, emul_io.c, emul_mmio.c), hypercalls (hypercall.c), the pre-entry event injection
 * (inject.c), the virtual CPUID (vcpuid.c), and the two pure helpers
 * instruction emulation needs: the x86 decoder (x86_decode.c) and the
 * guest page-table walker (guest_walk.c).  All of it reaches the CPU only
 * through `vops` (hv/vendor.h) and the vCPU's saved registers, so it runs
 * on the host in tests/unit with a fake vcpu_ops.
 */
/*
 * The vendor-neutral exit record.  svm/ and vmx/ decode a VM exit into one
 * of these; hv/ and apic/ decide what to do with it through a
 * bounds-checked dispatch table (hv/emul/exit.c).
 */
#ifndef KEEL_HV_EXIT_H
#define KEEL_HV_EXIT_H

#include <stdbool.h>
#include <stdint.h>

enum exit_reason {
    EXIT_NONE = 0,
    EXIT_CPUID,
    EXIT_MSR_READ,
    EXIT_MSR_WRITE,
    EXIT_IO,
    EXIT_NPF,           /* nested page fault / EPT violation */
    EXIT_HLT,
    EXIT_HYPERCALL,     /* VMMCALL / VMCALL */
    EXIT_INTR,          /* a physical interrupt arrived */
    EXIT_NMI,           /* a physical NMI arrived */
    EXIT_SHUTDOWN,      /* triple fault */
    EXIT_EXCEPTION,     /* an intercepted guest exception */
    EXIT_VIRT_INSN,     /* VMRUN, VMLOAD, STGI, VMXON...: #UD for the guest */
    EXIT_XSETBV,
    EXIT_RDPMC,         /* RDPMC: read a performance counter (emulated, hv/emul/emul_msr.c) */
    EXIT_INTR_WINDOW,   /* the guest can take an interrupt now (VINTR / interrupt window) */
    EXIT_IRET,          /* IRET intercepted: the end of an NMI handler is near */
    EXIT_CR_ACCESS,     /* MOV to/from CRn, CLTS, LMSW intercepted (exit_cr) */
    EXIT_NMI_WINDOW,    /* NMIs are unblocked again (VMX virtual NMIs) */
    EXIT_TPR_BELOW,     /* the guest lowered TPR below the threshold (VMX) */
    EXIT_APIC_WRITE,    /* trap-like: the CPU stored a guest APIC write at page offset info1 */
    EXIT_APIC_EOI,      /* trap-like: the CPU virtualized the EOI of vector info1 (level) */
    EXIT_IPI_INCOMPLETE, /* trap-like: the CPU could not finish a guest IPI (exit_ipi) */
    EXIT_INVALID_STATE, /* the entry itself failed (VMEXIT_INVALID, VM-entry failure) */
    EXIT_UNKNOWN,       /* decoded but not one Keel handles */
    EXIT_REASON_COUNT
};

struct exit_io {
    uint16_t port;
    uint8_t size;       /* 1, 2 or 4 */
    bool in;
    bool string;
    bool rep;
    uint8_t addr_size;  /* 2, 4 or 8, for string I/O */
    uint8_t seg;        /* segment of the string source (x86 order ES=0..GS=5) */
};

struct exit_npf {
    uint64_t gpa;
    bool write;
    bool fetch;
    bool present;       /* the nested translation existed (permission fault) */
    bool walk;          /* the fault was on a guest page-table access */
};

/* A control-register access (SDM 27.2.1 table 28-3 "Exit Qualification
 * for Control-Register Accesses"; APM 15.8.1 "CR and DR intercepts"). */
enum exit_cr_op {
    EXIT_CR_MOV_TO = 0,   /* MOV to CRn from a GPR */
    EXIT_CR_MOV_FROM,     /* MOV from CRn to a GPR */
    EXIT_CR_CLTS,         /* CLTS (CR0.TS <- 0) */
    EXIT_CR_LMSW,         /* LMSW: CR0[3:0] from lmsw_src (PE cannot be cleared) */
};

struct exit_cr {
    uint8_t cr;           /* 0, 3, 4 or 8 */
    uint8_t op;           /* enum exit_cr_op */
    uint8_t gpr;          /* MOV's GPR (x86 order, RAX = 0), valid when gpr_known */
    bool gpr_known;       /* false: hv/ decodes the instruction (SVM without decode assists) */
    uint16_t lmsw_src;    /* LMSW's source operand, register or memory */
};

struct exit_exception {
    uint8_t vector;
    bool has_error;
    uint32_t error;
    uint64_t cr2;
};

/* An IPI the CPU's IPI acceleration did not complete (AMD
 * AVIC_INCOMPLETE_IPI).  The guest's ICR write itself is done (RIP is past
 * it); what is left depends on how far the CPU got. */
enum exit_ipi_left {
    EXIT_IPI_SEND,       /* nothing was sent: deliver the ICR */
    EXIT_IPI_WAKE,       /* IRR bits are set: only wake targets that are not running */
    EXIT_IPI_ANOMALY,    /* the CPU reports something Keel never sets up: report */
};
struct exit_ipi {
    uint64_t icr;        /* ICR high:low as written */
    enum exit_ipi_left left;
    uint32_t cause;      /* the vendor's cause code, for the report */
};

/* The vendor fills reason, raw, info1, info2, rip and insn_len, and of
 * the union only the member its reason names (io for EXIT_IO, msr for
 * the MSR exits, ...); the rest of the union is left as it was (the
 * record is a slot of the vCPU's ring of last exits, hv/run.c), so
 * nothing reads a member another reason's.  tsc is the run loop's. */
struct exit_record {
    enum exit_reason reason;
    uint64_t raw;         /* vendor exit code, for dumps */
    uint64_t info1, info2;
    uint64_t rip;         /* guest RIP of the exiting instruction */
    uint8_t insn_len;     /* 0 when the CPU did not tell (no nRIP): decode */
    uint64_t tsc;         /* when the exit was decoded */
    /* The CPU delivered the vector handed to it with vops->set_virq
     * before this exit: hv/ acknowledges it in the vLAPIC first. */
    bool virq_taken;
    uint8_t virq_vector;
    union {
        struct exit_io io;
        struct exit_npf npf;
        struct exit_exception exc;
        struct exit_cr cr;
        struct exit_ipi ipi;
        uint32_t msr;
    };
};

const char *exit_reason_name(enum exit_reason r);

struct vcpu;
/* Handlers return 0 to resume the guest, or a negative value when they
 * stopped the VM (after saying why) or injected a fault instead of
 * completing the instruction. */
typedef int (*exit_handler_fn)(struct vcpu *v, const struct exit_record *e);
/* Handles one decoded exit.  True: the vCPU goes on (the guest resumes,
 * possibly into an injected fault); false: the exit stopped the VM and the
 * caller must not enter the guest again. */
bool exit_dispatch(struct vcpu *v, const struct exit_record *e);

#endif /* KEEL_HV_EXIT_H */
