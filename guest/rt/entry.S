/* SPDX-License-Identifier: MIT */
/*
 * Multiboot header and the 32-bit entry of every vCPU.
 *
 * vCPU 0 arrives from the multiboot loader (EAX = 0x2BADB002, EBX = the
 * multiboot info); an AP arrives from KEEL_HC_VCPU_START (EAX =
 * KEEL_AP_MAGIC, EBX = the argument the BSP passed), or from the INIT-SIPI
 * trampoline (sipi.S, EAX = RT_SIPI_AP_MAGIC).  All are in flat 32-bit
 * protected mode with paging off and no usable stack, GDT or IDT.
 *
 * vCPU 0 clears .bss and builds the identity map; then every vCPU takes its
 * stack (slot N of rt_stacks for vCPU N, N from CPUID 0x40000001 on APs
 * Keel started, from the initial APIC ID on APs started by INIT-SIPI),
 * enables SSE, PAE, long mode and paging, loads the GDT and calls
 * rt_main(magic, ebx) in 64-bit mode.
 */
#include "rt_layout.h"
#include "x86_bits.h"

/* Multiboot header flags. */
#define MB_HEADER_MAGIC         0x1BADB002
#define MB_HEADER_PAGE_ALIGN    (1 << 0)    /* modules on 4 KiB boundaries */
#define MB_HEADER_MEMORY_INFO   (1 << 1)    /* mem_* and the mmap, please */
#define MB_HEADER_AOUT_KLUDGE   (1 << 16)   /* load by the address fields */
#define MB_HEADER_FLAGS \
    (MB_HEADER_PAGE_ALIGN | MB_HEADER_MEMORY_INFO | MB_HEADER_AOUT_KLUDGE)

/* The address fields make the image loadable whatever its ELF class: the
 * loader copies the file from the header's offset minus
 * (header_addr - load_addr) up to load_end_addr, zeroes up to bss_end_addr
 * and jumps to entry_addr.  guest.ld keeps the image one contiguous
 * segment so that the file is exactly that. */
    .section .multiboot, "a"
    .balign 4
mb_header:
    .long MB_HEADER_MAGIC
    .long MB_HEADER_FLAGS
    .long -(MB_HEADER_MAGIC + MB_HEADER_FLAGS)
    .long mb_header             /* header_addr */
    .long __image_start         /* load_addr */
    .long __load_end            /* load_end_addr */
    .long __bss_end             /* bss_end_addr */
    .long _start                /* entry_addr */

    .section .text.entry, "ax"
    .code32
    .globl _start
_start:
    cli
    cld
    cmpl $RT_MULTIBOOT_BOOT_MAGIC, %eax
    je .Lbsp
    cmpl $RT_KEEL_AP_MAGIC, %eax
    je .Lap
    cmpl $RT_SIPI_AP_MAGIC, %eax
    je .Lsipi_ap
    jmp .Lhang32

.Lbsp:
    movl %ebx, %esi                     /* the multiboot info */
    /* Clear .bss (the loader should have; the stacks and page tables are
     * in there, so do not rely on it). */
    movl $__bss_start, %edi
    movl $__bss_end, %ecx
    subl %edi, %ecx
    xorl %eax, %eax
    rep stosb

    /* Identity map of RT_MAP_GIB GiB: PML4[0] -> PDPT[0..n) -> one page
     * directory of 2 MiB pages per GiB.  boot.c later makes the pages
     * above RAM uncacheable. */
    movl $rt_pdpt, %eax
    orl $(PTE_P | PTE_W), %eax
    movl %eax, rt_pml4
    movl $rt_pd, %eax
    orl $(PTE_P | PTE_W), %eax
    xorl %ecx, %ecx
1:  movl %eax, rt_pdpt(, %ecx, 8)
    addl $4096, %eax
    incl %ecx
    cmpl $RT_MAP_GIB, %ecx
    jb 1b
    movl $(PTE_P | PTE_W | PTE_PS), %eax
    xorl %ecx, %ecx
2:  movl %eax, rt_pd(, %ecx, 8)
    addl $PTE_LARGE_SIZE, %eax
    incl %ecx
    cmpl $(RT_MAP_GIB * 512), %ecx
    jb 2b

    movl $(rt_stacks + RT_STACK_SIZE), %esp
    movl $RT_MULTIBOOT_BOOT_MAGIC, %edi
    jmp .Lcommon

.Lap:
    movl %ebx, %esi                     /* the BSP's argument */
    movl $RT_KEEL_CPUID_INFO, %eax
    cpuid                               /* EBX = this vCPU's index */
    cmpl $RT_MAX_VCPUS, %ebx
    jae .Lhang32
    leal 1(%ebx), %eax
    shll $RT_STACK_SHIFT, %eax
    addl $rt_stacks, %eax
    movl %eax, %esp
    movl $RT_KEEL_AP_MAGIC, %edi
    jmp .Lcommon

/* An AP from the INIT-SIPI trampoline (sipi.S): find its vCPU index by
 * initial APIC ID (CPUID 0xB EDX, else CPUID 1 EBX[31:24]) in rt_sipi_slot
 * (index + 1; 0 = none yet), taking the next free index the first time. */
.Lsipi_ap:
    xorl %eax, %eax
    cpuid
    cmpl $0xb, %eax
    jb 1f
    movl $0xb, %eax
    xorl %ecx, %ecx
    cpuid
    testw %bx, %bx                      /* EBX[15:0] = 0: no such level */
    jz 1f
    movl %edx, %edi
    jmp 2f
1:  movl $1, %eax
    cpuid
    shrl $24, %ebx
    movl %ebx, %edi
2:  cmpl $RT_SIPI_MAX_APIC_ID, %edi
    jae .Lhang32
    movzbl rt_sipi_slot(%edi), %ebx
    testl %ebx, %ebx
    jz 3f
    decl %ebx                           /* arrived before: same index */
    jmp 4f
3:  movl $1, %ebx
    lock xaddl %ebx, rt_sipi_next_index /* EBX = a new index */
    cmpl $RT_MAX_VCPUS, %ebx
    jae .Lhang32
    leal 1(%ebx), %eax
    movb %al, rt_sipi_slot(%edi)
4:  movl %ebx, %esi                     /* rt_main's argument: the index */
    leal 1(%ebx), %eax
    shll $RT_STACK_SHIFT, %eax
    addl $rt_stacks, %eax
    movl %eax, %esp
    movl $RT_SIPI_AP_MAGIC, %edi

.Lcommon:
    /* EDI = magic, ESI = EBX at entry: rt_main's arguments. */
    movl %cr4, %eax
    orl $(CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT), %eax
    movl %eax, %cr4
    movl $rt_pml4, %eax
    movl %eax, %cr3
    movl $MSR_EFER, %ecx
    rdmsr
    orl $EFER_LME, %eax
    wrmsr
    movl %cr0, %eax
    andl $~(CR0_EM | CR0_TS | CR0_CD | CR0_NW), %eax
    orl $(CR0_PE | CR0_MP | CR0_NE | CR0_WP | CR0_PG), %eax
    movl %eax, %cr0
    lgdt rt_gdt_desc
    ljmp $RT_SEL_CODE64, $.Llong

.Lhang32:
    cli
    hlt
    jmp .Lhang32

    .code64
.Llong:
    movw $RT_SEL_DATA, %ax
    movw %ax, %ds
    movw %ax, %es
    movw %ax, %ss
    movw %ax, %fs
    movw %ax, %gs
    lgdt rt_gdt_desc(%rip)              /* again, with the 64-bit base */
    /* The upper halves of the registers are undefined after the switch. */
    movl %esp, %esp
    movl %edi, %edi
    movl %esi, %esi
    xorl %ebp, %ebp
    fninit
    call rt_main
1:  cli
    hlt
    jmp 1b

/* Flat GDT: 64-bit code, data, 32-bit code.  Accessed bits preset so the
 * CPU never writes it. */
    .section .data.rt_gdt, "aw"
    .balign 16
rt_gdt:
    .quad 0
    .quad 0x00af9b000000ffff            /* 0x08: code, L=1, DPL 0 */
    .quad 0x00cf93000000ffff            /* 0x10: data, 4 GiB, writable */
    .quad 0x00cf9b000000ffff            /* 0x18: code, D=1, 4 GiB */
rt_gdt_end:
    .balign 8
    .globl rt_gdt_desc
rt_gdt_desc:
    .word rt_gdt_end - rt_gdt - 1
    .quad rt_gdt

    .section .bss.rt_paging, "aw", @nobits
    .balign 4096
    .globl rt_pml4, rt_pdpt, rt_pd
rt_pml4:
    .skip 4096
rt_pdpt:
    .skip 4096
rt_pd:
    .skip 4096 * RT_MAP_GIB

    .section .bss.rt_stacks, "aw", @nobits
    .balign 4096
    .globl rt_stacks
rt_stacks:
    .skip RT_STACK_SIZE * RT_MAX_VCPUS

    .section .note.GNU-stack, "", @progbits
