/* SPDX-License-Identifier: MIT */
/*
 * int vmx_enter(uint64_t *gpr, int launched)
 *
 * One VMX world switch (SDM 26, 27).  gpr[] holds the guest GPRs in x86
 * order (RAX = 0 ... R15 = 15); RSP and RIP live in the VMCS.  The host
 * RSP field is written here, right before VMLAUNCH/VMRESUME, because it
 * is this very stack frame; the host RIP field points at vmx_exit_entry.
 *
 * Returns 0 after a VM exit, 1 if VMLAUNCH/VMRESUME failed with
 * VMfailInvalid (CF), 2 with VMfailValid (ZF: the VM-instruction error field
 * says why); the caller reports it.  RFLAGS.IF is set across the switch:
 * external-interrupt exiting makes a host interrupt exit the guest, and
 * it is taken by the host IDT right after, as on SVM.
 */
#define VMCS_HOST_RSP 0x6c14

#include "hv/host/guest_gprs.S.inc"

    .text
    .code64
    .globl vmx_enter
vmx_enter:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    pushq %rdi                  /* gpr[] */

    movl $VMCS_HOST_RSP, %eax
    vmwrite %rsp, %rax
    jbe .Lwrite_failed

    movl %esi, %eax             /* launched? */
    movq %rdi, %rsi
    GUEST_GPRS_LOAD %rsi
    testl %eax, %eax
    movq 0*8(%rsi), %rax
    movq 6*8(%rsi), %rsi
    jnz 1f
    sti                         /* its shadow covers the VMLAUNCH */
    vmlaunch
    jmp .Lentry_failed
1:  sti
    vmresume
.Lentry_failed:
    cli
    /* Nothing was loaded: the guest registers are still in gpr[]. */
    movl $1, %eax
    jc 2f
    movl $2, %eax
2:  addq $8, %rsp
    jmp .Lout

.Lwrite_failed:
    movl $2, %eax
    addq $8, %rsp
    jmp .Lout

    .globl vmx_exit_entry
vmx_exit_entry:
    /* Host state from the VMCS: RSP = the frame above, RFLAGS = 0x2 (IF
     * clear, SDM 27.5.3).  Save the guest GPRs. */
    pushq %rsi
    movq 8(%rsp), %rsi          /* gpr[] */
    movq %rax, 0*8(%rsi)
    GUEST_GPRS_SAVE %rsi
    popq %rax
    movq %rax, 6*8(%rsi)
    addq $8, %rsp               /* gpr[] */
    xorl %eax, %eax
.Lout:
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret

/*
 * vmx_host_int_table + 4 * vector: "int $vector; ret".  With "acknowledge
 * interrupt on exit" the CPU has taken the host interrupt that made the
 * guest exit and left its vector in the exit interruption information
 * (SDM 27.2.2); the host handler then runs through its own IDT gate as if
 * the interrupt had come in the host.  Only vectors 32..255 are used.
 */
    .globl vmx_host_int_table
    .balign 4
vmx_host_int_table:
    .set vec, 0
    .rept 256
    .balign 4
    .byte 0xcd, vec             /* int imm8 (never the one-byte INT3 form) */
    ret
    .set vec, vec + 1
    .endr

    .section .note.GNU-stack, "", @progbits
