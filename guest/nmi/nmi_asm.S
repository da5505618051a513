/* SPDX-License-Identifier: MIT */
/*
 * The nmi guest's own NMI entry (IDT vector 2, installed by main.c over
 * the runtime's): it counts nesting itself, right up to the IRETQ, so that
 * a second NMI entering before the first handler's IRET completed shows
 * as depth 2 (SDM 6.7.1: it must not).  The C part gets the CPU's frame
 * (RIP first: where the NMI landed).  SSE state is saved around it (the
 * C code may use XMM registers; the interrupted code must not notice).
 *
 * Also the shadow sequences the tests run, with labels on the instruction
 * each STI / MOV SS shadow covers: an NMI must never land on one of them
 * (SDM 6.8.3: events are inhibited until that instruction completed).
 */
    .text
    .globl nmi_entry
nmi_entry:
    lock incl nmi_depth(%rip)
    pushq %rax
    pushq %rcx
    pushq %rdx
    pushq %rsi
    pushq %rdi
    pushq %r8
    pushq %r9
    pushq %r10
    pushq %r11
    /* The CPU aligned RSP to 16 before its 5-word frame: 9 more words
     * leave it aligned again, and 512 keeps it so for FXSAVE. */
    leaq 72(%rsp), %rdi
    subq $512, %rsp
    fxsave64 (%rsp)
    call nmi_c
    fxrstor64 (%rsp)
    addq $512, %rsp
    popq %r11
    popq %r10
    popq %r9
    popq %r8
    popq %rdi
    popq %rsi
    popq %rdx
    popq %rcx
    popq %rax
    lock decl nmi_depth(%rip)
    /* nmi_iret_tf: the guest single-steps its own IRET (POPF setting TF
     * traps after the next instruction, the IRETQ, not after itself). */
    cmpl $0, nmi_iret_tf(%rip)
    je 1f
    pushfq
    orq $0x100, (%rsp)
    popfq
1:  iretq

/* void shadow_sti_cpuid(void): STI's shadow over a CPUID (an exit inside
 * the shadow: the hypervisor sees it), then CLI. */
    .globl shadow_sti_cpuid, shadow_sti_cpuid_insn
shadow_sti_cpuid:
    pushq %rbx
    cli
    xorl %eax, %eax
    xorl %ecx, %ecx
    sti
shadow_sti_cpuid_insn:
    cpuid
    cli
    popq %rbx
    ret

/* void shadow_movss_cpuid(void): the same with MOV SS. */
    .globl shadow_movss_cpuid, shadow_movss_cpuid_insn
shadow_movss_cpuid:
    pushq %rbx
    xorl %eax, %eax
    xorl %ecx, %ecx
    movw %ss, %dx
    movw %dx, %ss
shadow_movss_cpuid_insn:
    cpuid
    popq %rbx
    ret

/* void shadow_sti_write(volatile uint32_t *reg, uint32_t val): STI's
 * shadow over a store (the xAPIC ICR: a self-NMI sent by the shadowed
 * instruction itself), then CLI. */
    .globl shadow_sti_write, shadow_sti_write_insn, shadow_sti_write_after
shadow_sti_write:
    cli
    sti
shadow_sti_write_insn:
    movl %esi, (%rdi)
shadow_sti_write_after:
    cli
    ret

/* void shadow_movss_write(volatile uint32_t *reg, uint32_t val). */
    .globl shadow_movss_write, shadow_movss_write_insn, shadow_movss_write_after
shadow_movss_write:
    movw %ss, %ax
    movw %ax, %ss
shadow_movss_write_insn:
    movl %esi, (%rdi)
shadow_movss_write_after:
    ret

/* int shadow_movss_fault(void): MOV SS's shadow over a faulting
 * instruction (UD2); returns the vector through the runtime's exception
 * table (RAX), the runtime's #UD path resumes at the fixup. */
    .globl shadow_movss_fault, shadow_movss_fault_insn
shadow_movss_fault:
    movw %ss, %ax
    movw %ax, %ss
shadow_movss_fault_insn:
    ud2
shadow_movss_fault_fixup:
    ret
    .pushsection rt_extable, "a"
    .balign 8
    .quad shadow_movss_fault_insn, shadow_movss_fault_fixup
    .popsection

/* void nmi_sled(unsigned n): n iterations without an exit. */
    .globl nmi_sled
nmi_sled:
1:  nop
    decl %edi
    jnz 1b
    ret
