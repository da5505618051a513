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
    movq 1*8(%rsi), %rcx
    movq 2*8(%rsi), %rdx
    movq 3*8(%rsi), %rbx
    movq 5*8(%rsi), %rbp
    movq 7*8(%rsi), %rdi
    movq 8*8(%rsi), %r8
    movq 9*8(%rsi), %r9
    movq 10*8(%rsi), %r10
    movq 11*8(%rsi), %r11
    movq 12*8(%rsi), %r12
    movq 13*8(%rsi), %r13
    movq 14*8(%rsi), %r14
    movq 15*8(%rsi), %r15
    movq 6*8(%rsi), %rsi

    clgi
    sti
    vmload %rax
    vmrun %rax
    vmsave %rax

    xchgq %rsi, (%rsp)          /* rsi = gpr[], guest RSI on the stack */
    movq %rcx, 1*8(%rsi)
    movq %rdx, 2*8(%rsi)
    movq %rbx, 3*8(%rsi)
    movq %rbp, 5*8(%rsi)
    movq %rdi, 7*8(%rsi)
    movq %r8, 8*8(%rsi)
    movq %r9, 9*8(%rsi)
    movq %r10, 10*8(%rsi)
    movq %r11, 11*8(%rsi)
    movq %r12, 12*8(%rsi)
    movq %r13, 13*8(%rsi)
    movq %r14, 14*8(%rsi)
    movq %r15, 15*8(%rsi)
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
