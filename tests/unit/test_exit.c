/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for the exit path of hv/emul/: dispatch (exit.c), control
 * registers (emul_cr.c), MSRs (emul_msr.c), MMIO (emul_mmio.c) and the
 * event-injection order before an entry (inject.c), over the fake vcpu_ops
 * and APIC of fake_hv.c.
 */
#include <string.h>

#include "check.h"
#include "fake_fpu.h"
#include "fake_hv.h"
#include "hv/vm_reset.h"
#include "hv/emul/exit.h"
#include "hv/emul/inject.h"
#include "hv/vapic.h"
#include "hv/x86.h"

#define CODE(...)                                    \
    do {                                             \
        static const uint8_t b_[] = { __VA_ARGS__ }; \
        fake_code(b_, sizeof(b_));                   \
    } while (0)

static struct exit_record rec(enum exit_reason r, uint8_t len)
{
    struct exit_record e;
    memset(&e, 0, sizeof(e));
    e.reason = r;
    e.insn_len = len;
    e.rip = 0x1000;
    return e;
}

static bool injected(uint8_t vector)
{
    return fk.nev > 0 && fk.ev[fk.nev - 1].type == EVENT_EXCEPTION
           && fk.ev[fk.nev - 1].vector == vector;
}

/* ---- dispatch ------------------------------------------------------------- */

static void test_dispatch(void)
{
    struct vcpu *v = fake_reset();
    struct exit_record e = rec(EXIT_IO, 1);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.io_calls, 1);
    e = rec(EXIT_HYPERCALL, 3);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.hc_calls, 1);

    /* No handler: the VM stops with a dump, the vCPU does not go on. */
    v = fake_reset();
    e = rec(EXIT_UNKNOWN, 0);
    CHECK(!exit_dispatch(v, &e));
    CHECK_EQ(fk.stops, 1);
    CHECK(strstr(fk.stop_why, "unhandled exit unknown") != NULL);
    v = fake_reset();
    e = rec(EXIT_REASON_COUNT, 0);
    CHECK(!exit_dispatch(v, &e));
    CHECK_EQ(fk.stops, 1);

    v = fake_reset();
    e = rec(EXIT_SHUTDOWN, 0);
    CHECK(!exit_dispatch(v, &e));
    CHECK(strstr(fk.stop_why, "triple fault") != NULL);
    CHECK_EQ(fk.restarts, 0);

    /* keel.cfg on_triple_fault = reset: a reset request, the vCPU goes on
     * to the restart rendezvous. */
    v = fake_reset();
    v->vm->triple_fault_reset = true;
    e = rec(EXIT_SHUTDOWN, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.stops, 0);
    CHECK_EQ(fk.restarts, 1);
    CHECK_EQ(fk.restart_cause, VM_RESTART_TRIPLE);
    v->vm->triple_fault_reset = false;
}

static void test_dispatch_handlers(void)
{
    struct vcpu *v;
    struct exit_record e;

    /* A physical interrupt: nothing for hv/ to do. */
    v = fake_reset();
    e = rec(EXIT_INTR, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->rip, 0x1000);

    /* HLT completes (RIP past it, shadow over) and the vCPU sleeps. */
    v = fake_reset();
    fk.shadow = true;
    e = rec(EXIT_HLT, 1);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->rip, 0x1001);
    CHECK(!fk.shadow);
    CHECK_EQ(v->state, VCPU_HALTED);
    CHECK(!v->exit_pure);

    /* STI; HLT with an interrupt waiting: it would wake at once, so it
     * does not sleep, and the exit leaves the pass nothing new (pure). */
    v = fake_reset();
    fk.shadow = true;
    v->rflags |= RFLAGS_IF;
    fk.pending = 0x40;
    e = rec(EXIT_HLT, 1);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->rip, 0x1001);
    CHECK(!fk.shadow);
    CHECK(v->state != VCPU_HALTED);
    CHECK(v->exit_pure);
    /* The same with IF = 0: it sleeps (only an NMI or INIT wakes it). */
    v = fake_reset();
    v->rflags &= ~RFLAGS_IF;
    fk.pending = 0x40;
    e = rec(EXIT_HLT, 1);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->state, VCPU_HALTED);
    CHECK(!v->exit_pure);

    /* A handler that injects a fault instead of completing: the vCPU goes
     * on (into the #UD), the VM is not stopped. */
    v = fake_reset();
    CODE(0xf0, 0x90); /* LOCK NOP: an illegal LOCK, #UD */
    e = rec(EXIT_CPUID, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_UD));
    CHECK_EQ(fk.stops, 0);
    CHECK_EQ(v->rip, 0x1000);

    v = fake_reset();
    e = rec(EXIT_VIRT_INSN, 3);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_UD));
    CHECK_EQ(v->rip, 0x1000);

    /* Every reason has a name. */
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        CHECK(strcmp(exit_reason_name((enum exit_reason)r), "?") != 0);
    CHECK(strcmp(exit_reason_name(EXIT_REASON_COUNT), "?") == 0);
    CHECK(strcmp(exit_reason_name(EXIT_CR_ACCESS), "cr-access") == 0);
}

/* ---- control registers ---------------------------------------------------- */

static struct exit_record cr_rec(unsigned cr, enum exit_cr_op op, int gpr, uint8_t len)
{
    struct exit_record e = rec(EXIT_CR_ACCESS, len);
    e.cr.cr = (uint8_t)cr;
    e.cr.op = (uint8_t)op;
    e.cr.gpr = gpr >= 0 ? (uint8_t)gpr : 0;
    e.cr.gpr_known = gpr >= 0;
    return e;
}

static void test_cr8(void)
{
    /* SVM without decode assists: the GPR comes from the instruction.
     * 44 0F 22 C1 = MOV CR8, RCX (REX.R selects CR8, ModRM.rm = RCX). */
    struct vcpu *v = fake_reset();
    CODE(0x44, 0x0f, 0x22, 0xc1);
    v->gpr[GPR_RCX] = 5;
    struct exit_record e = cr_rec(8, EXIT_CR_MOV_TO, -1, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.cr8, 5);
    CHECK_EQ(fk.vtpr, 5);
    CHECK_EQ(v->rip, 0x1004);
    CHECK_EQ(fk.nev, 0);

    /* REX.B: 45 0F 22 C1 = MOV CR8, R9. */
    v = fake_reset();
    CODE(0x45, 0x0f, 0x22, 0xc1);
    v->gpr[GPR_R9] = 9;
    e = cr_rec(8, EXIT_CR_MOV_TO, -1, 0);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.cr8, 9);

    /* Bits 63:4 set: #GP, RIP stays, the TPR does not change. */
    v = fake_reset();
    fk.cr8 = 3;
    v->gpr[GPR_RAX] = 16;
    e = cr_rec(8, EXIT_CR_MOV_TO, GPR_RAX, 4);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    CHECK_EQ(fk.cr8, 3);
    CHECK_EQ(v->rip, 0x1000);

    /* VMX without a TPR shadow: MOV from CR8 into the named GPR. */
    v = fake_reset();
    fk.cr8 = 0xa;
    v->gpr[GPR_RDX] = ~0ull;
    e = cr_rec(8, EXIT_CR_MOV_FROM, GPR_RDX, 4);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->gpr[GPR_RDX], 0xa);
    CHECK_EQ(v->rip, 0x1004);

    /* Not a MOV CR at all: the VM stops. */
    v = fake_reset();
    CODE(0x90);
    e = cr_rec(8, EXIT_CR_MOV_TO, -1, 0);
    CHECK(!exit_dispatch(v, &e));
    CHECK_EQ(fk.stops, 1);
}

static void test_cr0_cr4(void)
{
    struct vcpu *v = fake_reset();
    v->gpr[GPR_RBX] = CR0_PE | CR0_ET | CR0_NE | CR0_PG | CR0_WP;
    struct exit_record e = cr_rec(0, EXIT_CR_MOV_TO, GPR_RBX, 3);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.cr0, CR0_PE | CR0_ET | CR0_NE | CR0_PG | CR0_WP);
    CHECK_EQ(v->rip, 0x1003);
}

static void test_cr0_faults(void)
{
    struct vcpu *v;
    struct exit_record e;

    /* #GP cases (SDM vol. 2, MOV CRn): PG without PE, NW without CD, bits
     * 63:32, clearing PG in 64-bit mode, PG with LME but without PAE. */
    static const uint64_t bad[] = { CR0_PG | CR0_ET, CR0_PE | CR0_NW, CR0_PE | (1ull << 32) };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        v = fake_reset();
        uint64_t before = fk.cr0;
        v->gpr[GPR_RAX] = bad[i];
        e = cr_rec(0, EXIT_CR_MOV_TO, GPR_RAX, 3);
        CHECK(exit_dispatch(v, &e));
        CHECK(injected(X86_GP));
        CHECK_EQ(fk.cr0, before);
        CHECK_EQ(v->rip, 0x1000);
    }
    v = fake_reset();
    v->gpr[GPR_RAX] = CR0_PE | CR0_ET;
    e = cr_rec(0, EXIT_CR_MOV_TO, GPR_RAX, 3);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));

    v = fake_reset();
    fk.mode = X86_MODE_PROT32;
    fk.cr0 = CR0_PE | CR0_ET;
    fk.cr4 = 0;
    fk.efer = EFER_LME;
    v->gpr[GPR_RAX] = CR0_PE | CR0_ET | CR0_PG;
    e = cr_rec(0, EXIT_CR_MOV_TO, GPR_RAX, 3);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    fk.nev = 0;
    fk.event_queued = false;
    fk.cr4 = CR4_PAE;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(fk.cr0, CR0_PE | CR0_ET | CR0_PG);
}

/* In IA-32e mode, MOV to CR4 clearing PAE or toggling LA57 is #GP(0), and
 * CR4 keeps its value (SDM vol. 2 MOV CRn); outside it, PAE may go. */
static void test_cr4_long_mode(void)
{
    struct vcpu *v = fake_reset();
    struct exit_record e = cr_rec(4, EXIT_CR_MOV_TO, GPR_RCX, 3);

    fk.cr4 = CR4_PAE | CR4_PGE;
    v->gpr[GPR_RCX] = CR4_PGE;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    CHECK_EQ(fk.cr4, CR4_PAE | CR4_PGE);
    CHECK_EQ(v->rip, 0x1000);
    fk.nev = 0;
    fk.event_queued = false;
    v->gpr[GPR_RCX] = CR4_PAE | CR4_PGE | CR4_LA57;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    CHECK_EQ(fk.cr4, CR4_PAE | CR4_PGE);

    v = fake_reset();
    fk.mode = X86_MODE_PROT32;
    fk.efer = 0;
    fk.cr4 = CR4_PAE;
    v->gpr[GPR_RCX] = 0;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(fk.cr4, 0);
}

static void test_cr4_clts_lmsw(void)
{
    struct vcpu *v;
    struct exit_record e;

    /* CR4.VMXE: no VMX in Keel's virtual CPU. */
    v = fake_reset();
    v->gpr[GPR_RCX] = CR4_PAE | CR4_VMXE;
    e = cr_rec(4, EXIT_CR_MOV_TO, GPR_RCX, 3);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    CHECK_EQ(fk.cr4, CR4_PAE);
    v->gpr[GPR_RCX] = CR4_PAE | CR4_PGE;
    fk.nev = 0;
    unsigned flushes = fk.tlb_flushes;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(fk.cr4, CR4_PAE | CR4_PGE);
    CHECK_EQ(fk.tlb_flushes, flushes + 1);  /* PGE changed: the TLB flush of MOV to CR4 */
    /* CR4.OSXSAVE: the virtual CPUID hides XSAVE, so the bit is reserved. */
    v->gpr[GPR_RCX] = CR4_PAE | CR4_PGE | CR4_OSXSAVE;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    CHECK_EQ(fk.cr4, CR4_PAE | CR4_PGE);
    /* Bit 15 and bits 63:32 are reserved on every CPU. */
    fk.nev = 0;
    v->gpr[GPR_RCX] = CR4_PAE | (1ull << 15);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    fk.nev = 0;
    v->gpr[GPR_RCX] = CR4_PAE | (1ull << 32);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    CHECK_EQ(fk.cr4, CR4_PAE | CR4_PGE);

    /* CLTS and LMSW (LMSW cannot clear PE). */
    v = fake_reset();
    fk.cr0 |= CR0_TS;
    e = cr_rec(0, EXIT_CR_CLTS, -1, 2);
    CHECK(exit_dispatch(v, &e));
    CHECK(!(fk.cr0 & CR0_TS));
    CHECK_EQ(v->rip, 0x1002);
    e = cr_rec(0, EXIT_CR_LMSW, -1, 3);
    e.cr.lmsw_src = 0xe; /* PE clear in the source: stays set */
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.cr0 & 0xf, CR0_PE | CR0_MP | CR0_EM | CR0_TS);

    /* A register Keel never intercepts reads of: the VM stops. */
    v = fake_reset();
    e = cr_rec(0, EXIT_CR_MOV_FROM, GPR_RAX, 3);
    CHECK(!exit_dispatch(v, &e));
    CHECK_EQ(fk.stops, 1);
    v = fake_reset();
    e = cr_rec(3, EXIT_CR_MOV_TO, GPR_RAX, 3);
    CHECK(!exit_dispatch(v, &e));
}

/* ---- MSRs ------------------------------------------------------------------ */

static struct exit_record msr_rec(enum exit_reason r, uint32_t msr)
{
    struct exit_record e = rec(r, 2);
    e.msr = msr;
    return e;
}

static void test_msr(void)
{
    struct vcpu *v = fake_reset();
    fk.efer = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
    struct exit_record e = msr_rec(EXIT_MSR_READ, MSR_EFER);
    v->gpr[GPR_RAX] = v->gpr[GPR_RDX] = ~0ull;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->gpr[GPR_RAX], (uint32_t)fk.efer);
    CHECK_EQ(v->gpr[GPR_RDX], 0);
    CHECK_EQ(v->rip, 0x1002);

    /* An MSR Keel does not implement: #GP, RIP stays. */
    v = fake_reset();
    e = msr_rec(EXIT_MSR_READ, 0x12345678u);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    CHECK_EQ(v->rip, 0x1000);
    v = fake_reset();
    e = msr_rec(EXIT_MSR_WRITE, 0x12345678u);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
}

static void test_msr_efer_pat(void)
{
    struct vcpu *v;
    struct exit_record e;

    /* EFER: reserved bits and LME with paging on are #GP. */
    v = fake_reset();
    e = msr_rec(EXIT_MSR_WRITE, MSR_EFER);
    v->gpr[GPR_RAX] = EFER_LME | 2;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    v = fake_reset();
    v->gpr[GPR_RAX] = EFER_SCE; /* clears LME with CR0.PG set */
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    v = fake_reset();
    v->gpr[GPR_RAX] = EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(fk.efer, EFER_LME | EFER_LMA | EFER_SCE | EFER_NXE);
    CHECK_EQ(v->rip, 0x1002);

    /* PAT: every byte a defined memory type. */
    v = fake_reset();
    e = msr_rec(EXIT_MSR_WRITE, MSR_IA32_PAT);
    v->gpr[GPR_RAX] = 0x00000002u;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    v = fake_reset();
    v->gpr[GPR_RAX] = 0x00070406u;
    v->gpr[GPR_RDX] = 0x00070106u;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.pat, 0x0007010600070406ull);
}

static void test_msr_counters(void)
{
    struct vcpu *v;
    struct exit_record e;

    /* The vendor's always-present counters keep what is written. */
    v = fake_reset();
    e = msr_rec(EXIT_MSR_WRITE, 0xc0010003u);
    v->gpr[GPR_RAX] = 0x1234;
    v->gpr[GPR_RDX] = 0x5;
    CHECK(exit_dispatch(v, &e));
    e = msr_rec(EXIT_MSR_READ, 0xc0010003u);
    v->gpr[GPR_RAX] = v->gpr[GPR_RDX] = 0;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->gpr[GPR_RAX], 0x1234);
    CHECK_EQ(v->gpr[GPR_RDX], 0x5);
    CHECK_EQ(fk.nev, 0);
    e = msr_rec(EXIT_MSR_READ, 0xc0010008u);
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));

    /* TSC writes become the TSC offset the vendor applies. */
    v = fake_reset();
    e = msr_rec(EXIT_MSR_WRITE, MSR_IA32_TSC);
    v->gpr[GPR_RAX] = 0;
    CHECK(exit_dispatch(v, &e));
    CHECK(fk.tsc_offset != 0);
    CHECK_EQ(fk.tsc_offset, v->tsc_offset);

    /* IA32_TSC_ADJUST (SDM 17.17.3): the TSC write above moved the TSC by
     * tsc_offset and TSC_ADJUST by as much; writing TSC_ADJUST moves the
     * TSC by the change; reads give it back; no #GP. */
    uint64_t moved = v->tsc_offset;
    e = msr_rec(EXIT_MSR_READ, MSR_IA32_TSC_ADJUST);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(((uint64_t)v->gpr[GPR_RDX] << 32) | (uint32_t)v->gpr[GPR_RAX], moved);
    e = msr_rec(EXIT_MSR_WRITE, MSR_IA32_TSC_ADJUST);
    v->gpr[GPR_RAX] = (uint32_t)(moved + 1000);
    v->gpr[GPR_RDX] = (uint32_t)((moved + 1000) >> 32);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->tsc_offset, moved + 1000);
    CHECK_EQ(fk.tsc_offset, moved + 1000);
    CHECK_EQ(v->tsc_adjust, moved + 1000);
    CHECK_EQ(fk.nev, 0);
}

/* IA32_MISC_ENABLE (on a vendor that has it, as the fake does): fast
 * strings, BTS and PEBS unavailable; writing the same value is accepted,
 * any change is #GP. */
static void test_misc_enable(void)
{
    struct vcpu *v = fake_reset();
    struct exit_record e = msr_rec(EXIT_MSR_READ, MSR_IA32_MISC_ENABLE);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(v->gpr[GPR_RAX], 0x1801);
    CHECK_EQ(v->gpr[GPR_RDX], 0);
    v = fake_reset();
    e = msr_rec(EXIT_MSR_WRITE, MSR_IA32_MISC_ENABLE);
    v->gpr[GPR_RAX] = 0x1801;
    v->gpr[GPR_RDX] = 0;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(v->rip, 0x1002);
    v = fake_reset();
    v->gpr[GPR_RAX] = 0x1801;
    v->gpr[GPR_RDX] = 1u << 2; /* XD disable */
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
}

/* RDPMC reads the emulated counters: ECX 0..3 are PERF_CTR0..3, 48 bits;
 * a counter that does not exist, or ring 3 without CR4.PCE, is #GP. */
static void test_rdpmc(void)
{
    struct vcpu *v = fake_reset();
    struct exit_record e = rec(EXIT_RDPMC, 2);
    v->perf_msr[4 + 2] = 0xffff123456789abcull;
    v->gpr[GPR_RCX] = 2;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(v->gpr[GPR_RAX], 0x56789abc);
    CHECK_EQ(v->gpr[GPR_RDX], 0x1234);
    CHECK_EQ(v->rip, 0x1002);

    v = fake_reset();
    v->gpr[GPR_RCX] = 4;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    CHECK_EQ(v->rip, 0x1000);

    v = fake_reset();
    fk.cpl = 3;
    v->gpr[GPR_RCX] = 0;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_GP));
    v = fake_reset();
    fk.cpl = 3;
    fk.cr4 = CR4_PCE;
    v->gpr[GPR_RCX] = 0;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(v->rip, 0x1002);
    fk.cpl = 0;
}

/* ---- MMIO ------------------------------------------------------------------ */

static struct exit_record npf(uint64_t gpa, bool write)
{
    struct exit_record e = rec(EXIT_NPF, 0);
    e.npf.gpa = gpa;
    e.npf.write = write;
    return e;
}

static void mmio_load(const uint8_t *code, unsigned len, uint64_t dev, uint64_t rax_before,
                      uint64_t rax_after, int line)
{
    struct vcpu *v = fake_reset();
    fake_code(code, len);
    fk.dev_val = dev;
    v->gpr[GPR_RAX] = rax_before;
    struct exit_record e = npf(FAKE_DEV_BASE + 0x10, false);
    CHECK(exit_dispatch(v, &e));
    if (v->gpr[GPR_RAX] != rax_after)
        fprintf(stderr, "  (mmio_load from line %d)\n", line);
    CHECK_EQ(v->gpr[GPR_RAX], rax_after);
    CHECK_EQ(v->rip, 0x1000 + len);
    CHECK_EQ(fk.dev_reads, 1);
}

#define LOAD(dev, before, after, ...)                            \
    do {                                                         \
        static const uint8_t c_[] = { __VA_ARGS__ };             \
        mmio_load(c_, sizeof(c_), dev, before, after, __LINE__); \
    } while (0)

static void test_mmio_loads(void)
{
    const uint64_t r = 0x1122334455667788ull;
    LOAD(0xab, r, 0x11223344556677abull, 0x8a, 0x03);         /* mov al,[rbx]: merge */
    LOAD(0xab, r, 0x112233445566ab88ull, 0x8a, 0x23);         /* mov ah,[rbx] */
    LOAD(0xbeef, r, 0x112233445566beefull, 0x66, 0x8b, 0x03); /* mov ax,[rbx] */
    LOAD(0xcafef00d, r, 0xcafef00dull, 0x8b, 0x03);           /* mov eax: zero-extends */
    LOAD(0x0123456789abcdefull, r, 0x0123456789abcdefull, 0x48, 0x8b, 0x03); /* mov rax */
    LOAD(0x1ff, r, 0xffull, 0x0f, 0xb6, 0x03);                               /* movzx eax, byte */
    LOAD(0x80, r, 0xffffffffffffff80ull, 0x48, 0x0f, 0xbe, 0x03);            /* movsx rax, byte */
    LOAD(0x8000, r, 0xffff8000ull, 0x0f, 0xbf, 0x03);                        /* movsx eax, word */
    LOAD(0x7f, r, 0x7full, 0x48, 0x63, 0x03);                                /* movsxd rax, dword */
    LOAD(0x80000000u, r, 0xffffffff80000000ull, 0x48, 0x63, 0x03);
}

static void test_mmio_stores(void)
{
    struct vcpu *v = fake_reset();
    CODE(0x89, 0x03); /* mov [rbx], eax */
    v->gpr[GPR_RAX] = 0x1122334455667788ull;
    struct exit_record e = npf(FAKE_DEV_BASE, true);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.dev_writes, 1);
    CHECK_EQ(fk.dev_wsize, 4);
    CHECK_EQ(fk.dev_written, 0x55667788u);
    CHECK_EQ(v->rip, 0x1002);

    v = fake_reset();
    CODE(0x88, 0x23); /* mov [rbx], ah */
    v->gpr[GPR_RAX] = 0xbeef;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.dev_wsize, 1);
    CHECK_EQ(fk.dev_written, 0xbe);

    v = fake_reset();
    CODE(0xc7, 0x03, 0x78, 0x56, 0x34, 0x12); /* mov dword [rbx], 0x12345678 */
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.dev_written, 0x12345678u);
    CHECK_EQ(v->rip, 0x1006);

    /* XCHG: the device gets the register, the register the device. */
    v = fake_reset();
    CODE(0x87, 0x03); /* xchg [rbx], eax */
    v->gpr[GPR_RAX] = 0xffffffff00000001ull;
    fk.dev_val = 0x42;
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.dev_reads, 1);
    CHECK_EQ(fk.dev_writes, 1);
    CHECK_EQ(fk.dev_written, 1);
    CHECK_EQ(v->gpr[GPR_RAX], 0x42);

    /* 32-bit mode: RIP wraps at 4 GiB. */
    v = fake_reset();
    fk.mode = X86_MODE_PROT32;
    v->rip = 0xffffffffull;
    CODE(0x89, 0x03);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->rip, 1);
}

static void test_mmio_open_bus(void)
{
    /* Nothing there (and not RAM): loads read all-ones, stores vanish. */
    struct vcpu *v = fake_reset();
    CODE(0x8b, 0x03);
    v->gpr[GPR_RAX] = 0x1234;
    struct exit_record e = npf(0xfd000000ull, false);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(v->gpr[GPR_RAX], 0xffffffffull);
    CHECK_EQ(fk.dev_reads, 0);
    CHECK_EQ(fake_vm.openbus_nlogged, 1);

    /* Forms Keel does not emulate on devices, fetches and walks: stop. */
    v = fake_reset();
    CODE(0x01, 0x03); /* add [rbx], eax */
    e = npf(FAKE_DEV_BASE, true);
    CHECK(!exit_dispatch(v, &e));
    CHECK(strstr(fk.stop_why, "unsupported instruction") != NULL);
    v = fake_reset();
    e = npf(FAKE_DEV_BASE, false);
    e.npf.fetch = true;
    CHECK(!exit_dispatch(v, &e));
    v = fake_reset();
    e = npf(FAKE_DEV_BASE, false);
    e.npf.walk = true;
    CHECK(!exit_dispatch(v, &e));
}

/* ---- event injection ------------------------------------------------------- */

static void test_inject_order(void)
{
    /* NMI before an interrupt; NMIs then blocked until the IRET. */
    struct vcpu *v = fake_reset();
    fk.nmi_pending = true;
    fk.pending = 0x41;
    vcpu_inject_events(v);
    CHECK_EQ(fk.nev, 1);
    CHECK_EQ(fk.ev[0].type, EVENT_NMI);
    CHECK_EQ(fk.ev[0].vector, X86_NMI);
    CHECK(v->nmi_masked);
    CHECK(fk.iret_exit);
    CHECK_EQ(fk.acks, 0);

    /* The NMI handler runs: the interrupt goes next, with IF set. */
    fk.event_queued = false;
    vcpu_inject_events(v);
    CHECK_EQ(fk.nev, 2);
    CHECK_EQ(fk.ev[1].type, EVENT_EXTINT);
    CHECK_EQ(fk.ev[1].vector, 0x41);
    CHECK_EQ(fk.acks, 1);

    /* A second NMI waits for the IRET: needs an exit, injects nothing. */
    v = fake_reset();
    v->nmi_masked = true;
    fk.nmi_pending = true;
    vcpu_inject_events(v);
    CHECK_EQ(fk.nev, 0);

    /* An event already queued (re-injection) goes first. */
    v = fake_reset();
    fk.event_queued = true;
    fk.pending = 0x50;
    CHECK(vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 0);
    CHECK(!fk.intr_window);
}

static void test_inject_windows(void)
{
    struct vcpu *v;

    /* IF clear: ask for the interrupt window instead. */
    v = fake_reset();
    v->rflags &= ~RFLAGS_IF;
    fk.pending = 0x50;
    vcpu_inject_events(v);
    CHECK_EQ(fk.nev, 0);
    CHECK(fk.intr_window);
    CHECK(!fk.irq_window_extint);     /* an APIC vector: not the IRQ-window inhibit's business */

    /* An 8259 interrupt (ExtINT) waiting for the window counts for the
     * IRQ-window inhibit (AVIC cannot open a window itself), until the
     * window is no longer needed. */
    v = fake_reset();
    v->rflags &= ~RFLAGS_IF;
    fk.pending = VAPIC_EXTINT;
    vcpu_inject_events(v);
    CHECK(fk.intr_window && fk.irq_window_extint);
    v->rflags |= RFLAGS_IF;
    vcpu_inject_events(v);
    CHECK_EQ(fk.nev, 1);
    CHECK(!fk.intr_window && !fk.irq_window_extint);

    /* In an STI/MOV SS shadow: never inject; exit again soon. */
    v = fake_reset();
    fk.shadow = true;
    fk.pending = 0x50;
    CHECK(vcpu_inject_events(v));
    CHECK_EQ(fk.nev, 0);
    fk.nmi_pending = true;
    fk.pending = VAPIC_NONE;
    vcpu_inject_events(v);
    CHECK_EQ(fk.nev, 0);

    /* Only TPR holds an interrupt back: the vendor watches TPR writes. */
    v = fake_reset();
    fk.tpr_blocked = 0x5a;
    vcpu_inject_events(v);
    CHECK_EQ(fk.tpr_threshold, 5);
    CHECK_EQ(fk.nev, 0);
    fk.tpr_blocked = -1;
    vcpu_inject_events(v);
    CHECK_EQ(fk.tpr_threshold, -1);

    /* An accelerated APIC delivers its own vectors; ExtINT still injected. */
    v = fake_reset();
    v->apic.accel.on = true;
    fk.pending = 0x60;
    vcpu_inject_events(v);
    CHECK_EQ(fk.nev, 0);
    fk.pending = VAPIC_EXTINT;
    vcpu_inject_events(v);
    CHECK_EQ(fk.nev, 1);
    CHECK_EQ(fk.ev[0].vector, 0x20);
}

static void test_init_sipi(void)
{
    struct vcpu *v = fake_reset();
    v->nmi_masked = true;
    fk.init_pending = true;
    vcpu_handle_init_sipi(v);
    CHECK_EQ(fk.resets, 1);
    CHECK_EQ(v->state, VCPU_WAIT_START);
    CHECK(!v->nmi_masked);
    fk.sipi = 0x9a;
    vcpu_handle_init_sipi(v);
    CHECK_EQ(fk.sipis, 1);
    CHECK_EQ(fk.sipi_vector, 0x9a);
    CHECK_EQ(v->state, VCPU_RUNNABLE);
    CHECK(v->started);
    /* A SIPI to a running vCPU is ignored (SDM 9.4.4.1). */
    fk.sipi = 0x10;
    vcpu_handle_init_sipi(v);
    CHECK_EQ(fk.sipis, 1);

    /* Wake-up: an unmasked NMI, or an interrupt with IF set. */
    v = fake_reset();
    CHECK(!vcpu_wake_pending(v));
    fk.pending = 0x40;
    CHECK(vcpu_wake_pending(v));
    v->rflags &= ~RFLAGS_IF;
    CHECK(!vcpu_wake_pending(v));
    fk.nmi_pending = true;
    CHECK(vcpu_wake_pending(v));
    v->nmi_masked = true;
    CHECK(!vcpu_wake_pending(v));
}

/* ---- XSETBV (hv/emul/emul_xcr.c) ----------------------------------------- */

static struct vcpu *xsetbv_setup(uint32_t xcr, uint64_t val)
{
    struct vcpu *v = fake_reset();
    ffpu = (struct fake_fpu){ .offered = 7, .xcr0 = 1 };
    fake_fpu_skylake(&ffpu.layout);
    fk.cr4 |= CR4_OSXSAVE;
    v->gpr[GPR_RCX] = xcr;
    v->gpr[GPR_RAX] = (uint32_t)val;
    v->gpr[GPR_RDX] = val >> 32;
    return v;
}

static void xsetbv_faults(uint32_t xcr, uint64_t val, unsigned cpl, bool osxsave, uint8_t vec)
{
    struct vcpu *v = xsetbv_setup(xcr, val);
    struct exit_record e = rec(EXIT_XSETBV, 3);
    fk.cpl = cpl;
    if (!osxsave)
        fk.cr4 &= ~CR4_OSXSAVE;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(vec));
    CHECK_EQ(v->rip, 0x1000);
    CHECK_EQ(ffpu.xcr0, 1);
    CHECK_EQ(ffpu.set_calls, 0);
}

static void test_xsetbv(void)
{
    struct vcpu *v = xsetbv_setup(0, 7);
    struct exit_record e = rec(EXIT_XSETBV, 3);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(ffpu.xcr0, 7);
    CHECK_EQ(v->rip, 0x1003);
    xsetbv_faults(0, 7, 0, false, X86_UD);             /* CR4.OSXSAVE = 0 */
    xsetbv_faults(0, 7, 3, true, X86_GP);              /* CPL > 0 */
    xsetbv_faults(1, 7, 0, true, X86_GP);              /* XCR1 */
    xsetbv_faults(0, 6, 0, true, X86_GP);              /* bit 0 clear */
    xsetbv_faults(0, 5, 0, true, X86_GP);              /* AVX without SSE */
    xsetbv_faults(0, 0xe7, 0, true, X86_GP);           /* AVX-512 not offered */
    xsetbv_faults(0, 1ull << 32 | 1, 0, true, X86_GP); /* reserved */
    /* XSAVE hidden (a host without it): #UD as on a CPU without XSETBV. */
    v = xsetbv_setup(0, 1);
    ffpu.offered = 0;
    CHECK(exit_dispatch(v, &e));
    CHECK(injected(X86_UD));
    /* CR4.OSXSAVE may be set exactly when XSAVE is offered. */
    v = xsetbv_setup(0, 1);
    fk.cr4 = CR4_PAE;
    v->gpr[GPR_RCX] = CR4_PAE | CR4_OSXSAVE;
    e = cr_rec(4, EXIT_CR_MOV_TO, GPR_RCX, 3);
    CHECK(exit_dispatch(v, &e));
    CHECK_EQ(fk.nev, 0);
    CHECK_EQ(fk.cr4, CR4_PAE | CR4_OSXSAVE);
    /* CPUID.1:ECX.OSXSAVE follows the guest's CR4; leaf 0xD its XCR0. */
    uint32_t r[4];
    vcpu_cpuid(v, 1, 0, r);
    CHECK(r[2] & (1u << 26));
    CHECK(r[2] & (1u << 27));
    fk.cr4 = CR4_PAE;
    vcpu_cpuid(v, 1, 0, r);
    CHECK(!(r[2] & (1u << 27)));
    ffpu.xcr0 = 7;
    vcpu_cpuid(v, 0xd, 0, r);
    CHECK_EQ(r[0], 7);
    CHECK_EQ(r[1], 832);
    ffpu.xcr0 = 3;
    vcpu_cpuid(v, 0xd, 0, r);
    CHECK_EQ(r[1], 576);
    ffpu = (struct fake_fpu){ .xcr0 = 1 };
}

int main(void)
{
    test_xsetbv();
    test_dispatch();
    test_dispatch_handlers();
    test_cr8();
    test_cr0_cr4();
    test_cr0_faults();
    test_cr4_clts_lmsw();
    test_cr4_long_mode();
    test_msr();
    test_msr_efer_pat();
    test_msr_counters();
    test_rdpmc();
    test_misc_enable();
    test_mmio_loads();
    test_mmio_stores();
    test_mmio_open_bus();
    test_inject_order();
    test_inject_windows();
    test_init_sipi();
    return check_report("test_exit");
}
