/* SPDX-License-Identifier: MIT */
/*
 * void svm_vmrun(uint64_t vmcb_pa, uint64_t *gpr, uint64_t host_vmcb_pa)
 *
 * One world switch.  gpr[] holds the guest GPRs in x86 order (RAX = 0 ...
 * R15 = 15); RAX and RSP live in the VMCB and are ignored here.
 *
 * GIF is cleared around the switch (APM 15.17) and RFLAGS.IF set, so with
 * V_INTR_MASKING a physical interrupt that arrives in the guest exits it,
 * and is taken by the host IDT right after STGI.  VMLOAD/VMSAVE switch the
 * state VMRUN leaves alone (FS, GS, TR, LDTR, KernelGsBase, STAR family,
 * SYSENTER MSRs; APM 15.5.2): host GS base is the per-CPU pointer.
 */
#include "hv/host/guest_gprs.S.inc"

    .text
    .code64
    .globl svm_vmrun
svm_vmrun:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdx                  /* host VMCB */
    pushq %rsi                  /* gpr[] */

    movq %rdi, %rax
    GUEST_GPRS_LOAD %rsi
    movq 6*8(%rsi), %rsi

    clgi
    sti
    vmload %rax
    vmrun %rax
    vmsave %rax

    xchgq %rsi, (%rsp)          /* rsi = gpr[], guest RSI on the stack */
    GUEST_GPRS_SAVE %rsi
    popq %rcx
    movq %rcx, 6*8(%rsi)

    popq %rax                   /* host VMCB */
    vmload %rax
    stgi                        /* pending host interrupts are taken here */
    cli

    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

    .section .note.GNU-stack, "", @progbits
