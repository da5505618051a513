/* SPDX-License-Identifier: MIT */
/*
 * The application-processor trampoline.  The boot CPU copies
 * [tramp_start, tramp_end) to a page below 1 MiB, fills the data fields at
 * the end, and sends INIT-SIPI-SIPI with that page as the vector (SDM
 * 9.4.4.1).  The AP starts in real mode with CS = page >> 4, IP = 0, goes
 * through 32-bit protected mode into long mode with the hypervisor's page
 * tables (below 4 GiB) and calls tramp_entry(tramp_arg) on tramp_stack.
 * Everything is addressed relative to the page base (EBX), so the code
 * runs wherever it was copied.
 */
#define T(x) ((x) - tramp_start)

    .text
    .globl tramp_start, tramp_end, tramp_gdtr, tramp_far32, tramp_far64
    .globl tramp_cr3, tramp_stack, tramp_arg, tramp_entry, tramp_ack

    .code16
tramp_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds
    xorl %ebx, %ebx
    movw %ax, %bx
    shll $4, %ebx
    lgdtl T(tramp_gdtr)
    movl %cr0, %eax
    orl $1, %eax                     /* PE */
    movl %eax, %cr0
    ljmpl *T(tramp_far32)

    .code32
tramp_pm32:
    movw $0x10, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movl %cr4, %eax
    orl $(1 << 5), %eax              /* PAE */
    movl %eax, %cr4
    movl T(tramp_cr3)(%ebx), %eax
    movl %eax, %cr3
    movl $0xc0000080, %ecx           /* EFER.LME */
    rdmsr
    orl $(1 << 8), %eax
    wrmsr
    movl %cr0, %eax
    orl $0x80000001, %eax            /* PG | PE */
    movl %eax, %cr0
    ljmpl *T(tramp_far64)(%ebx)

    .code64
tramp_lm64:
    movl $1, T(tramp_ack)(%rbx)
    movq T(tramp_stack)(%rbx), %rsp
    movq T(tramp_arg)(%rbx), %rdi
    movq T(tramp_entry)(%rbx), %rax
    xorl %ebp, %ebp
    call *%rax
1:  cli
    hlt
    jmp 1b

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00cf9a000000ffff         /* 0x08: 32-bit code */
    .quad 0x00cf92000000ffff         /* 0x10: data */
    .quad 0x00af9a000000ffff         /* 0x18: 64-bit code */
tramp_gdtr:
    .word 31
    .long 0                          /* page base + T(tramp_gdt) */
    .balign 4
tramp_far32:
    .long 0                          /* page base + T(tramp_pm32) */
    .word 0x08
    .balign 4
tramp_far64:
    .long 0                          /* page base + T(tramp_lm64) */
    .word 0x18
    .balign 4
tramp_cr3:
    .long 0
tramp_ack:
    .long 0
    .balign 8
tramp_stack:
    .quad 0
tramp_arg:
    .quad 0
tramp_entry:
    .quad 0
tramp_end:

    .globl tramp_off_gdt, tramp_off_pm32, tramp_off_lm64
    .section .rodata
    .balign 4
/* Offsets the C side needs, as data (label differences: under -fpic an
 * absolute symbol would get the load base added). */
tramp_off_gdt:  .long T(tramp_gdt)
tramp_off_pm32: .long T(tramp_pm32)
tramp_off_lm64: .long T(tramp_lm64)

    .section .note.GNU-stack, "", @progbits
