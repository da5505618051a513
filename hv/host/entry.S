/* SPDX-License-Identifier: MIT */
/*
 * Host interrupt and exception entry.  Every vector has a 16-byte stub at
 * host_vector_stubs + 16 * vector that pushes a dummy error code (where the
 * CPU pushes none, SDM 6.13) and the vector number, then joins one common
 * path that saves the general-purpose registers as a struct host_frame
 * (hv/host/desc.h) and calls host_exception().
 */
    .text
    .code64

    .globl host_vector_stubs
    .balign 16
host_vector_stubs:
    .set vec, 0
    .rept 256
    .balign 16
    .if (vec == 8) || ((vec >= 10) && (vec <= 14)) || (vec == 17) || (vec == 21) || (vec == 29) || (vec == 30)
    .else
    pushq $0
    .endif
    pushq $vec
    jmp host_vector_common
    .set vec, vec + 1
    .endr

host_vector_common:
    cld
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
    movq %rsp, %rdi
    /* keep the stack 16-byte aligned for the C handler */
    movq %rsp, %rbx
    andq $-16, %rsp
    call host_exception
    movq %rbx, %rsp
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
    addq $16, %rsp
    iretq

/* void host_load_segments(uint16_t cs, uint16_t ds): reload CS by a far
 * return and the data segments; FS/GS selectors become null so that their
 * bases stay whatever the MSRs say. */
    .globl host_load_segments
host_load_segments:
    movw %si, %ds
    movw %si, %es
    movw %si, %ss
    xorl %eax, %eax
    movw %ax, %fs
    movw %ax, %gs
    popq %rax          /* return address */
    pushq %rdi
    pushq %rax
    lretq

/* void host_switch_stack(uintptr_t top, void (*fn)(void *), void *arg):
 * continue on a new stack; fn must not return. */
    .globl host_switch_stack
host_switch_stack:
    movq %rdi, %rsp
    xorl %ebp, %ebp
    movq %rdx, %rdi
    call *%rsi
1:  cli
    hlt
    jmp 1b

    .section .note.GNU-stack, "", @progbits
