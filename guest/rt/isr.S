/* SPDX-License-Identifier: MIT */
/*
 * Exception entry stubs, rt_try() and the fault-safe MSR accessors.
 *
 * Every IDT vector has a stub that pushes a dummy error code when the CPU
 * pushes none, then the vector, and jumps to rt_isr_common, which saves the
 * general registers (struct rt_regs in trap.c, lowest address first: r15 ..
 * rax, vector, error code, then the CPU's frame) and the FPU/SSE state,
 * calls rt_exception(regs) and returns with IRETQ to whatever RIP/RSP/RAX
 * the handler left in regs.
 */
    .text

    /* The CPU pushes an error code for vectors 8, 10-14, 17, 21, 29, 30. */
    .macro isr_stub vector
    .balign 16
isr_stub_\vector:
    .if !((\vector == 8) || ((\vector >= 10) && (\vector <= 14)) || (\vector == 17) || (\vector == 21) || (\vector == 29) || (\vector == 30))
    pushq $0
    .endif
    pushq $\vector
    jmp rt_isr_common
    .endm

    .section .text.rt_isr, "ax"
    .altmacro
    .set vec, 0
    .rept 256
    isr_stub %vec
    .set vec, vec + 1
    .endr

    .macro isr_addr vector
    .quad isr_stub_\vector
    .endm

    .section .rodata.rt_isr_table, "a"
    .balign 8
    .globl rt_isr_table
rt_isr_table:
    .set vec, 0
    .rept 256
    isr_addr %vec
    .set vec, vec + 1
    .endr
    .noaltmacro

    .section .text.rt_isr, "ax"
rt_isr_common:
    cld                                 /* the C ABI wants DF = 0 */
    pushq %rax
    pushq %rbx
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %rbp
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, %rdi                     /* struct rt_regs * */
    /* The CPU aligned RSP to 16 before its 5-word frame; with the error
     * code, the vector and 15 registers RSP is 16-byte aligned again, as
     * FXSAVE and the C ABI want.  Save the FPU/SSE state: the handler is
     * compiled with SSE and may resume code that keeps values in XMM. */
    subq $512, %rsp
    fxsave64 (%rsp)
    call rt_exception
    fxrstor64 (%rsp)
    addq $512, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rbp
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rbx
    popq %rax
    addq $16, %rsp                      /* vector, error code */
    iretq

/*
 * int rt_try(void (*fn)(void *), void *arg)
 *
 * Saves the callee-saved registers on the stack and arms this vCPU's
 * recovery point (rt_try_swap) with the stack pointer below them.  A fault
 * while armed makes rt_exception resume at rt_try_landing with that stack
 * pointer and RAX = vector; the landing restores the previous recovery
 * point and the registers and returns the vector.
 */
    .section .text.rt_try, "ax"
    .globl rt_try, rt_try_landing
rt_try:
    pushq %rbx
    pushq %rbp
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    subq $8, %rsp                       /* slot for the previous point */
    movq %rdi, %r12
    movq %rsi, %r13
    movq %rsp, %rdi
    call rt_try_swap
    movq %rax, (%rsp)
    movq %r13, %rdi
    call *%r12
    movq (%rsp), %rdi
    call rt_try_swap
    movl $-1, %eax                      /* RT_NO_FAULT */
    jmp .Ltry_out
rt_try_landing:
    cld                                 /* the fault may have left DF = 1 */
    movq %rax, %rbx                     /* the vector */
    movq (%rsp), %rdi
    call rt_try_swap
    movq %rbx, %rax
.Ltry_out:
    addq $8, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbp
    popq %rbx
    ret

/* Exception-table entry: a fault at `from` resumes at `to`, RAX = vector. */
    .macro extable from, to
    .pushsection rt_extable, "a"
    .balign 8
    .quad \from, \to
    .popsection
    .endm

/* int rt_rdmsr_safe(uint32_t msr, uint64_t *value) */
    .section .text.rt_rdmsr_safe, "ax"
    .globl rt_rdmsr_safe
rt_rdmsr_safe:
    movl %edi, %ecx
1:  rdmsr
    shlq $32, %rdx
    movl %eax, %eax
    orq %rdx, %rax
    movq %rax, (%rsi)
    movl $-1, %eax
2:  ret
    extable 1b, 2b

/* int rt_wrmsr_safe(uint32_t msr, uint64_t value) */
    .section .text.rt_wrmsr_safe, "ax"
    .globl rt_wrmsr_safe
rt_wrmsr_safe:
    movl %edi, %ecx
    movl %esi, %eax
    movq %rsi, %rdx
    shrq $32, %rdx
1:  wrmsr
    movl $-1, %eax
2:  ret
    extable 1b, 2b

    .section .note.GNU-stack, "", @progbits
