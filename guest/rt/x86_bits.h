/* SPDX-License-Identifier: MIT */
/*
 * Named x86 register bits and MSR numbers the guest runtime and the guest
 * tests use, as the Intel SDM / AMD APM name them.  Plain #defines, usable
 * from assembly.
 */
#ifndef KEEL_GUEST_X86_BITS_H
#define KEEL_GUEST_X86_BITS_H

#ifdef __ASSEMBLER__
#define RT_BIT(n)           (1 << (n))
#else
#define RT_BIT(n)           (1ull << (n))
#endif

/* CR0: system control. */
#define CR0_PE              RT_BIT(0)   /* protection enable */
#define CR0_MP              RT_BIT(1)   /* monitor coprocessor */
#define CR0_EM              RT_BIT(2)   /* x87 emulation (must be 0 for SSE) */
#define CR0_TS              RT_BIT(3)   /* task switched */
#define CR0_NE              RT_BIT(5)   /* native x87 error reporting */
#define CR0_WP              RT_BIT(16)  /* write protect at CPL 0 */
#define CR0_NW              RT_BIT(29)  /* not write-through */
#define CR0_CD              RT_BIT(30)  /* cache disable */
#define CR0_PG              RT_BIT(31)  /* paging */

/* CR4: architectural extensions. */
#define CR4_PAE             RT_BIT(5)   /* physical address extension */
#define CR4_OSFXSR          RT_BIT(9)   /* FXSAVE/FXRSTOR and SSE enabled */
#define CR4_OSXMMEXCPT      RT_BIT(10)  /* unmasked SIMD FP exceptions -> #XM */

/* RFLAGS. */
#define RFLAGS_IF           RT_BIT(9)   /* interrupt enable */

/* Page-table entry bits (4-level paging). */
#define PTE_P               RT_BIT(0)   /* present */
#define PTE_W               RT_BIT(1)   /* writable */
#define PTE_PWT             RT_BIT(3)   /* page write-through (PAT index bit 0) */
#define PTE_PCD             RT_BIT(4)   /* page cache disable (PAT index bit 1) */
#define PTE_PS              RT_BIT(7)   /* large page (in a PDE: 2 MiB) */
#define PTE_LARGE_SIZE      0x200000    /* bytes mapped by one PDE with PS */

/* MSR numbers. */
#define MSR_TSC             0x10        /* IA32_TIME_STAMP_COUNTER */
#define MSR_APIC_BASE       0x1B        /* IA32_APIC_BASE */
#define MSR_PAT             0x277       /* IA32_PAT */
#define MSR_TSC_DEADLINE    0x6E0       /* IA32_TSC_DEADLINE */
#define MSR_X2APIC_BASE     0x800       /* first x2APIC register MSR */
#define MSR_EFER            0xC0000080  /* extended feature enables */

/* IA32_EFER. */
#define EFER_SCE            RT_BIT(0)   /* SYSCALL enable */
#define EFER_LME            RT_BIT(8)   /* long mode enable */
#define EFER_LMA            RT_BIT(10)  /* long mode active (read-only) */
#define EFER_NXE            RT_BIT(11)  /* no-execute enable */
#define EFER_SVME           RT_BIT(12)  /* SVM enable (AMD) */

/* IA32_PAT power-on value: WB, WT, UC-, UC in entries 0-3 and again 4-7. */
#define PAT_RESET_VALUE     0x0007040600070406ull

/* CPUID leaf 1, ECX. */
#define CPUID_1_ECX_VMX         RT_BIT(5)
#define CPUID_1_ECX_X2APIC      RT_BIT(21)
#define CPUID_1_ECX_TSC_DEADLINE RT_BIT(24)
#define CPUID_1_ECX_XSAVE       RT_BIT(26)
#define CPUID_1_ECX_OSXSAVE     RT_BIT(27)
#define CPUID_1_ECX_AVX         RT_BIT(28)
#define CPUID_1_ECX_HYPERVISOR  RT_BIT(31)
/* CPUID leaf 1, EDX. */
#define CPUID_1_EDX_APIC        RT_BIT(9)
#define CPUID_1_EDX_MTRR        RT_BIT(12)
/* CPUID leaf 0x80000001, ECX / EDX. */
#define CPUID_80000001_ECX_SVM      RT_BIT(2)
#define CPUID_80000001_ECX_EXTAPIC  RT_BIT(3)   /* AMD extended APIC space */
#define CPUID_80000001_EDX_RDTSCP   RT_BIT(27)

/* Exception vectors. */
#define X86_DE  0   /* divide error */
#define X86_DB  1   /* debug */
#define X86_NMI 2   /* non-maskable interrupt */
#define X86_BP  3   /* breakpoint (int3) */
#define X86_OF  4   /* overflow */
#define X86_BR  5   /* bound range */
#define X86_UD  6   /* invalid opcode */
#define X86_NM  7   /* device not available */
#define X86_DF  8   /* double fault */
#define X86_TS  10  /* invalid TSS */
#define X86_NP  11  /* segment not present */
#define X86_SS  12  /* stack fault */
#define X86_GP  13  /* general protection */
#define X86_PF  14  /* page fault */
#define X86_MF  16  /* x87 floating point */
#define X86_AC  17  /* alignment check */
#define X86_MC  18  /* machine check */
#define X86_XM  19  /* SIMD floating point */
#define X86_VE  20  /* virtualization exception */
#define X86_CP  21  /* control protection */

#endif /* KEEL_GUEST_X86_BITS_H */
