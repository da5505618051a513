/* SPDX-License-Identifier: MIT */
/*
 * The INIT-SIPI trampoline.  sipi.c copies [rt_sipi_tramp_start,
 * rt_sipi_tramp_end) to RT_SIPI_TRAMPOLINE; a start-up IPI with vector
 * RT_SIPI_VECTOR starts an AP there in real mode (CS = vector << 8, IP = 0,
 * SDM vol. 3A 9.4.4 / APM vol. 2 15.27.8 "INIT and SIPI").  The code loads
 * its own flat GDT, enters 32-bit protected mode and jumps to _start with
 * EAX = RT_SIPI_AP_MAGIC; entry.S does the rest (index, stack, long mode).
 *
 * Everything here runs at RT_SIPI_TRAMPOLINE, not where it is linked:
 * addresses are offsets from rt_sipi_tramp_start plus that base.
 */
#include "rt_layout.h"
#include "x86_bits.h"

#define TRAMP(label)        (RT_SIPI_TRAMPOLINE + ((label) - rt_sipi_tramp_start))
#define TRAMP_SEL_CODE32    0x08
#define TRAMP_SEL_DATA      0x10

    .section .text.rt_sipi_trampoline, "ax"
    .code16
    .globl rt_sipi_tramp_start, rt_sipi_tramp_end
rt_sipi_tramp_start:
    cli
    cld
    movw %cs, %ax
    movw %ax, %ds                       /* DS:0 = the trampoline */
    lgdtl (tramp_gdt_desc - rt_sipi_tramp_start)
    movl %cr0, %eax
    orl $CR0_PE, %eax
    movl %eax, %cr0
    ljmpl $TRAMP_SEL_CODE32, $TRAMP(tramp_pm)

    .code32
tramp_pm:
    movw $TRAMP_SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    movl $RT_SIPI_AP_MAGIC, %eax
    movl $_start, %ecx
    jmp *%ecx

    .balign 8
tramp_gdt:
    .quad 0
    .quad 0x00cf9b000000ffff            /* 0x08: code, 32-bit, 4 GiB */
    .quad 0x00cf93000000ffff            /* 0x10: data, 4 GiB, writable */
tramp_gdt_end:
tramp_gdt_desc:
    .word tramp_gdt_end - tramp_gdt - 1
    .long TRAMP(tramp_gdt)
rt_sipi_tramp_end:

    .section .note.GNU-stack, "", @progbits
