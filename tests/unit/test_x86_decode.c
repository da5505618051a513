/* SPDX-License-Identifier: MIT */
/*
 * Unit tests for hv/emul/x86_decode.c.  Expected lengths were cross-checked
 * against GNU objdump (-M intel64 in 64-bit mode, i386 and i8086 for the
 * others) and the MMIO forms assembled with GNU as.
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "hv/emul/x86_decode.h"

#define R16 X86_MODE_REAL16
#define P16 X86_MODE_PROT16
#define M32 X86_MODE_PROT32
#define M64 X86_MODE_LONG64

#define EINC X86_DECODE_EINCOMPLETE
#define EINV X86_DECODE_EINVALID
#define EUNS X86_DECODE_EUNSUPPORTED

/* Flags compared exactly for OP() cases. */
#define F_HIGH8 (1u << 0) /* reg_high8 */
#define F_RIP   (1u << 1) /* rip_relative */
#define F_REP   (1u << 2) /* rep */
#define F_LOCK  (1u << 3) /* lock */
#define F_RMW   (1u << 4) /* is_rmw */
#define F_DST   (1u << 5) /* mem_is_dst */

struct dcase {
    enum x86_mode mode;
    const char *hex;
    int len;          /* expected length, or a negative X86_DECODE_* */
    bool full;        /* also check the fields below */
    enum x86_op op;
    uint8_t mem_size, reg_size, reg;
    uint64_t imm;
    unsigned flags;
};

/* Length only. */
#define LEN(m, h, n) { (m), (h), (n), false, X86_OP_OTHER, 0, 0, 0, 0, 0 }
/* Length, op, memory and register sizes, register, immediate, flags. */
#define OP(m, h, n, o, ms, rs, r, im, fl) { (m), (h), (n), true, (o), (ms), (rs), (r), (im), (fl) }

static const struct dcase cases[] = {
    /* ---- intercepted instructions, 64-bit ---- */
    LEN(M64, "0f a2", 2),                       /* cpuid */
    LEN(M64, "0f 32", 2),                       /* rdmsr */
    LEN(M64, "0f 30", 2),                       /* wrmsr */
    LEN(M64, "0f 31", 2),                       /* rdtsc */
    LEN(M64, "0f 01 f9", 3),                    /* rdtscp */
    LEN(M64, "f4", 1),                          /* hlt */
    LEN(M64, "0f 01 d9", 3),                    /* vmmcall */
    LEN(M64, "0f 01 c1", 3),                    /* vmcall */
    LEN(M64, "0f 01 38", 3),                    /* invlpg (%rax) */
    LEN(M64, "0f 01 7d 00", 4),                 /* invlpg 0x0(%rbp) */
    LEN(M64, "0f 01 3c 24", 4),                 /* invlpg (%rsp) */
    LEN(M64, "0f 01 3d 00 10 00 00", 7),        /* invlpg 0x1000(%rip) */
    LEN(M64, "0f 20 d8", 3),                    /* mov %cr3,%rax */
    LEN(M64, "0f 22 d8", 3),                    /* mov %rax,%cr3 */
    LEN(M64, "44 0f 20 c0", 4),                 /* mov %cr8,%rax */
    LEN(M64, "0f 21 c0", 3),                    /* mov %dr0,%rax */
    LEN(M64, "0f 23 f8", 3),                    /* mov %rax,%dr7 */
    LEN(M64, "0f 20 00", 3),                    /* mod ignored: mov %cr0,%rax */
    LEN(M64, "0f 22 45", 3),                    /* mod ignored: mov %rbp,%cr0 */
    OP(M64, "f0 0f 20 c0", 4, X86_OP_OTHER, 0, 0, 0, 0, F_LOCK), /* AMD mov %cr8 */
    LEN(M64, "0f 09", 2),                       /* wbinvd */
    LEN(M64, "0f 08", 2),                       /* invd */
    LEN(M64, "0f 01 d8", 3),                    /* vmrun */
    LEN(M64, "0f 01 d0", 3),                    /* xgetbv */
    LEN(M64, "0f 01 d1", 3),                    /* xsetbv */
    LEN(M64, "0f 01 f8", 3),                    /* swapgs */
    LEN(M64, "0f 78 c8", 3),                    /* vmread %rcx,%rax */
    LEN(M64, "0f 79 c1", 3),                    /* vmwrite */
    LEN(M64, "0f c7 30", 3),                    /* vmptrld (%rax) */
    LEN(M64, "0f 05", 2),                       /* syscall */
    LEN(M64, "0f 0b", 2),                       /* ud2 */

    /* ---- port I/O ---- */
    OP(M64, "e4 60", 2, X86_OP_IN, 0, 1, 0, 0x60, 0),
    OP(M64, "e5 71", 2, X86_OP_IN, 0, 4, 0, 0x71, 0),
    OP(M64, "66 e5 71", 3, X86_OP_IN, 0, 2, 0, 0x71, 0),
    OP(M64, "e6 80", 2, X86_OP_OUT, 0, 1, 0, 0x80, 0),
    OP(M64, "e7 80", 2, X86_OP_OUT, 0, 4, 0, 0x80, 0),
    OP(M64, "ec", 1, X86_OP_IN, 0, 1, 0, 0, 0),
    OP(M64, "ed", 1, X86_OP_IN, 0, 4, 0, 0, 0),
    OP(M64, "66 ed", 2, X86_OP_IN, 0, 2, 0, 0, 0),
    OP(M64, "48 ed", 2, X86_OP_IN, 0, 4, 0, 0, 0),  /* REX.W: still 32-bit */
    OP(M64, "ee", 1, X86_OP_OUT, 0, 1, 0, 0, 0),
    OP(M64, "66 ef", 2, X86_OP_OUT, 0, 2, 0, 0, 0),
    OP(M64, "6c", 1, X86_OP_INS, 1, 0, 0, 0, F_DST),
    OP(M64, "6d", 1, X86_OP_INS, 4, 0, 0, 0, F_DST),
    OP(M64, "66 6d", 2, X86_OP_INS, 2, 0, 0, 0, F_DST),
    OP(M64, "f3 6c", 2, X86_OP_INS, 1, 0, 0, 0, F_DST | F_REP),
    OP(M64, "f3 6e", 2, X86_OP_OUTS, 1, 0, 0, 0, F_REP),
    OP(M64, "6f", 1, X86_OP_OUTS, 4, 0, 0, 0, 0),
    OP(M64, "66 f3 6f", 3, X86_OP_OUTS, 2, 0, 0, 0, F_REP),
    OP(M64, "f3 48 6d", 3, X86_OP_INS, 4, 0, 0, 0, F_DST | F_REP),

    /* ---- MMIO forms: plain MOV ---- */
    OP(M64, "89 83 00 03 00 00", 6, X86_OP_MOV_STORE, 4, 4, 0, 0, F_DST), /* mov %eax,0x300(%rbx) */
    OP(M64, "8b 07", 2, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),                  /* mov (%rdi),%eax */
    OP(M64, "8b 05 10 00 00 00", 6, X86_OP_MOV_LOAD, 4, 4, 0, 0, F_RIP),  /* mov 0x10(%rip),%eax */
    OP(M64, "89 0d f0 ff ff ff", 6, X86_OP_MOV_STORE, 4, 4, 1, 0, F_RIP | F_DST),
    OP(M64, "89 04 25 20 00 e0 fe", 7, X86_OP_MOV_STORE, 4, 4, 0, 0, F_DST), /* mov %eax,0xfffffffffee00020 */
    OP(M64, "a1 20 00 e0 fe 00 00 00 00", 9, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0), /* movabs 0xfee00020,%eax */
    OP(M64, "67 a1 20 00 e0 fe", 6, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),      /* addr32 mov 0xfee00020,%eax */
    OP(M64, "a3 20 00 e0 fe 00 00 00 00", 9, X86_OP_MOV_STORE, 4, 4, 0, 0, F_DST),
    OP(M64, "48 a1 08 00 e0 fe 00 00 00 00", 10, X86_OP_MOV_LOAD, 8, 8, 0, 0, 0),
    OP(M64, "a0 00 00 e0 fe 00 00 00 00", 9, X86_OP_MOV_LOAD, 1, 1, 0, 0, 0),
    OP(M64, "66 a1 00 00 e0 fe 00 00 00 00", 10, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),
    OP(M64, "67 a2 00 00 e0 fe", 6, X86_OP_MOV_STORE, 1, 1, 0, 0, F_DST),
    OP(M64, "c7 80 b0 00 00 00 00 00 00 00", 10, X86_OP_MOV_STORE_IMM, 4, 0, 0, 0, F_DST), /* movl $0,0xb0(%rax) */
    OP(M64, "c7 03 ff ff ff ff", 6, X86_OP_MOV_STORE_IMM, 4, 0, 0, 0xffffffffu, F_DST),
    OP(M64, "48 c7 03 ff ff ff ff", 7, X86_OP_MOV_STORE_IMM, 8, 0, 0, ~0ull, F_DST),
    OP(M64, "48 c7 03 00 00 00 80", 7, X86_OP_MOV_STORE_IMM, 8, 0, 0, 0xffffffff80000000ull, F_DST),
    OP(M64, "66 c7 03 34 12", 5, X86_OP_MOV_STORE_IMM, 2, 0, 0, 0x1234, F_DST),
    OP(M64, "c6 03 80", 3, X86_OP_MOV_STORE_IMM, 1, 0, 0, 0x80, F_DST),
    OP(M64, "c6 43 10 7f", 4, X86_OP_MOV_STORE_IMM, 1, 0, 0, 0x7f, F_DST),
    OP(M64, "41 c7 84 24 00 01 00 00 01 00 00 00", 12, X86_OP_MOV_STORE_IMM, 4, 0, 0, 1, F_DST),
    LEN(M64, "c7 c0 01 00 00 00", 6),           /* mov $1,%eax (register form) */
    OP(M64, "88 03", 2, X86_OP_MOV_STORE, 1, 1, 0, 0, F_DST),          /* mov %al,(%rbx) */
    OP(M64, "88 23", 2, X86_OP_MOV_STORE, 1, 1, 4, 0, F_DST | F_HIGH8), /* mov %ah,(%rbx) */
    OP(M64, "40 88 23", 3, X86_OP_MOV_STORE, 1, 1, 4, 0, F_DST),        /* mov %spl,(%rbx) */
    OP(M64, "44 88 03", 3, X86_OP_MOV_STORE, 1, 1, 8, 0, F_DST),        /* mov %r8b,(%rbx) */
    OP(M64, "8a 3b", 2, X86_OP_MOV_LOAD, 1, 1, 7, 0, F_HIGH8),          /* mov (%rbx),%bh */
    OP(M64, "4c 8b 0b", 3, X86_OP_MOV_LOAD, 8, 8, 9, 0, 0),             /* mov (%rbx),%r9 */
    OP(M64, "4c 89 0c 24", 4, X86_OP_MOV_STORE, 8, 8, 9, 0, F_DST),     /* mov %r9,(%rsp) */
    OP(M64, "41 8b 04 24", 4, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),          /* mov (%r12),%eax */
    OP(M64, "41 8b 45 00", 4, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),          /* mov 0x0(%r13),%eax */
    OP(M64, "42 8b 04 20", 4, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),          /* mov (%rax,%r12,1),%eax */
    OP(M64, "8b 44 8b 08", 4, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),          /* mov 0x8(%rbx,%rcx,4),%eax */
    OP(M64, "8b 84 8b 00 01 00 00", 7, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(M64, "8b 04 8d 00 00 00 00", 7, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0), /* mov 0x0(,%rcx,4),%eax */
    OP(M64, "45 8b 4c 24 f8", 5, X86_OP_MOV_LOAD, 4, 4, 9, 0, 0),       /* mov -0x8(%r12),%r9d */
    OP(M64, "8b 45 f8", 3, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),             /* mov -0x8(%rbp),%eax */
    OP(M64, "64 8b 04 25 28 00 00 00", 8, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(M64, "66 89 03", 3, X86_OP_MOV_STORE, 2, 2, 0, 0, F_DST),
    OP(M64, "48 66 89 03", 4, X86_OP_MOV_STORE, 2, 2, 0, 0, F_DST),     /* REX ignored */
    OP(M64, "66 48 89 03", 4, X86_OP_MOV_STORE, 8, 8, 0, 0, F_DST),     /* REX.W wins */
    OP(M64, "48 40 89 03", 4, X86_OP_MOV_STORE, 4, 4, 0, 0, F_DST),     /* last REX */
    OP(M64, "4c f0 87 03", 4, X86_OP_XCHG, 4, 4, 0, 0, F_DST | F_RMW | F_LOCK),
    OP(M64, "67 8b 03", 3, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),             /* mov (%ebx),%eax */
    OP(M64, "67 8b 05 10 00 00 00", 7, X86_OP_MOV_LOAD, 4, 4, 0, 0, F_RIP), /* 0x10(%eip) */
    OP(M64, "2e 8b 03", 3, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(M64, "26 36 64 89 13", 5, X86_OP_MOV_STORE, 4, 4, 2, 0, F_DST),
    LEN(M64, "89 c3", 2),                       /* mov %eax,%ebx */
    LEN(M64, "8b d8", 2),

    /* ---- MOVZX / MOVSX / MOVSXD ---- */
    OP(M64, "0f b6 03", 3, X86_OP_MOVZX_LOAD, 1, 4, 0, 0, 0),           /* movzbl (%rbx),%eax */
    OP(M64, "0f b7 03", 3, X86_OP_MOVZX_LOAD, 2, 4, 0, 0, 0),           /* movzwl */
    OP(M64, "48 0f b6 03", 4, X86_OP_MOVZX_LOAD, 1, 8, 0, 0, 0),        /* movzbq */
    OP(M64, "66 0f b6 03", 4, X86_OP_MOVZX_LOAD, 1, 2, 0, 0, 0),        /* movzbw */
    OP(M64, "0f be 43 01", 4, X86_OP_MOVSX_LOAD, 1, 4, 0, 0, 0),        /* movsbl 0x1(%rbx) */
    OP(M64, "48 0f bf 03", 4, X86_OP_MOVSX_LOAD, 2, 8, 0, 0, 0),        /* movswq */
    OP(M64, "44 0f b6 05 00 01 00 00", 8, X86_OP_MOVZX_LOAD, 1, 4, 8, 0, F_RIP),
    OP(M64, "48 63 03", 3, X86_OP_MOVSX_LOAD, 4, 8, 0, 0, 0),           /* movslq (%rbx),%rax */
    OP(M64, "63 0b", 2, X86_OP_MOVSX_LOAD, 4, 4, 1, 0, 0),
    OP(M64, "66 63 0b", 3, X86_OP_MOVSX_LOAD, 2, 2, 1, 0, 0),
    LEN(M64, "0f b6 c0", 3),                    /* movzbl %al,%eax */

    /* ---- string instructions ---- */
    OP(M64, "aa", 1, X86_OP_STOS, 1, 1, 0, 0, F_DST),
    OP(M64, "ab", 1, X86_OP_STOS, 4, 4, 0, 0, F_DST),
    OP(M64, "48 ab", 2, X86_OP_STOS, 8, 8, 0, 0, F_DST),
    OP(M64, "66 ab", 2, X86_OP_STOS, 2, 2, 0, 0, F_DST),
    OP(M64, "f3 ab", 2, X86_OP_STOS, 4, 4, 0, 0, F_DST | F_REP),
    OP(M64, "f3 48 ab", 3, X86_OP_STOS, 8, 8, 0, 0, F_DST | F_REP),
    OP(M64, "48 f3 ab", 3, X86_OP_STOS, 4, 4, 0, 0, F_DST | F_REP),     /* REX ignored */
    OP(M64, "a4", 1, X86_OP_MOVS, 1, 0, 0, 0, 0),
    OP(M64, "f3 a4", 2, X86_OP_MOVS, 1, 0, 0, 0, F_REP),
    OP(M64, "f3 48 a5", 3, X86_OP_MOVS, 8, 0, 0, 0, F_REP),
    OP(M64, "f2 a5", 2, X86_OP_MOVS, 4, 0, 0, 0, F_REP),
    OP(M64, "ac", 1, X86_OP_LODS, 1, 1, 0, 0, 0),
    OP(M64, "ad", 1, X86_OP_LODS, 4, 4, 0, 0, 0),
    LEN(M64, "f3 a6", 2),                       /* repz cmpsb */
    LEN(M64, "f2 ae", 2),                       /* repnz scasb */

    /* ---- XCHG, ALU and TEST with memory ---- */
    OP(M64, "87 03", 2, X86_OP_XCHG, 4, 4, 0, 0, F_DST | F_RMW),
    OP(M64, "86 0b", 2, X86_OP_XCHG, 1, 1, 1, 0, F_DST | F_RMW),
    OP(M64, "48 87 03", 3, X86_OP_XCHG, 8, 8, 0, 0, F_DST | F_RMW),
    OP(M64, "f0 87 03", 3, X86_OP_XCHG, 4, 4, 0, 0, F_DST | F_RMW | F_LOCK),
    LEN(M64, "87 d8", 2),                       /* xchg %ebx,%eax */
    OP(M64, "01 03", 2, X86_OP_ADD, 4, 4, 0, 0, F_DST | F_RMW),
    OP(M64, "03 03", 2, X86_OP_ADD, 4, 4, 0, 0, 0),
    OP(M64, "09 43 10", 3, X86_OP_OR, 4, 4, 0, 0, F_DST | F_RMW),
    OP(M64, "10 0b", 2, X86_OP_ADC, 1, 1, 1, 0, F_DST | F_RMW),
    OP(M64, "19 0b", 2, X86_OP_SBB, 4, 4, 1, 0, F_DST | F_RMW),
    OP(M64, "21 07", 2, X86_OP_AND, 4, 4, 0, 0, F_DST | F_RMW),
    OP(M64, "48 29 07", 3, X86_OP_SUB, 8, 8, 0, 0, F_DST | F_RMW),
    OP(M64, "30 27", 2, X86_OP_XOR, 1, 1, 4, 0, F_DST | F_RMW | F_HIGH8),
    OP(M64, "39 03", 2, X86_OP_CMP, 4, 4, 0, 0, F_DST),
    OP(M64, "3b 03", 2, X86_OP_CMP, 4, 4, 0, 0, 0),
    OP(M64, "80 0b 01", 3, X86_OP_OR, 1, 0, 0, 1, F_DST | F_RMW),
    OP(M64, "81 0b 00 01 00 00", 6, X86_OP_OR, 4, 0, 0, 0x100, F_DST | F_RMW),
    OP(M64, "83 0b ff", 3, X86_OP_OR, 4, 0, 0, 0xffffffffu, F_DST | F_RMW),
    OP(M64, "48 83 0b ff", 4, X86_OP_OR, 8, 0, 0, ~0ull, F_DST | F_RMW),
    OP(M64, "66 83 0b ff", 4, X86_OP_OR, 2, 0, 0, 0xffff, F_DST | F_RMW),
    OP(M64, "66 81 0b 34 12", 5, X86_OP_OR, 2, 0, 0, 0x1234, F_DST | F_RMW),
    OP(M64, "48 81 23 00 00 00 80", 7, X86_OP_AND, 8, 0, 0, 0xffffffff80000000ull, F_DST | F_RMW),
    OP(M64, "80 3b 05", 3, X86_OP_CMP, 1, 0, 0, 5, F_DST),
    OP(M64, "f0 81 0b 00 01 00 00", 7, X86_OP_OR, 4, 0, 0, 0x100, F_DST | F_RMW | F_LOCK),
    OP(M64, "f0 83 2d 10 00 00 00 01", 8, X86_OP_SUB, 4, 0, 0, 1, F_DST | F_RMW | F_LOCK | F_RIP),
    OP(M64, "85 03", 2, X86_OP_TEST, 4, 4, 0, 0, F_DST),
    OP(M64, "84 03", 2, X86_OP_TEST, 1, 1, 0, 0, F_DST),
    OP(M64, "f6 03 01", 3, X86_OP_TEST, 1, 0, 0, 1, F_DST),
    OP(M64, "f7 03 00 00 00 80", 6, X86_OP_TEST, 4, 0, 0, 0x80000000u, F_DST),
    OP(M64, "66 f7 03 34 12", 5, X86_OP_TEST, 2, 0, 0, 0x1234, F_DST),
    OP(M64, "48 f7 03 ff ff ff ff", 7, X86_OP_TEST, 8, 0, 0, ~0ull, F_DST),
    OP(M64, "f6 13", 2, X86_OP_NOT, 1, 0, 0, 0, F_DST | F_RMW),
    OP(M64, "f7 1b", 2, X86_OP_NEG, 4, 0, 0, 0, F_DST | F_RMW),
    OP(M64, "fe 03", 2, X86_OP_INC, 1, 0, 0, 0, F_DST | F_RMW),
    OP(M64, "ff 0b", 2, X86_OP_DEC, 4, 0, 0, 0, F_DST | F_RMW),
    OP(M64, "f0 ff 03", 3, X86_OP_INC, 4, 0, 0, 0, F_DST | F_RMW | F_LOCK),
    LEN(M64, "f7 23", 2),                       /* mull (%rbx) */
    LEN(M64, "f6 c0 01", 3),                    /* test $1,%al: /0 has ib */
    LEN(M64, "f7 c0 01 00 00 00", 6),
    LEN(M64, "f6 f0", 2),                       /* div %al: no imm */
    LEN(M64, "ff 13", 2),                       /* call *(%rbx) */
    LEN(M64, "ff 25 00 00 00 00", 6),           /* jmp *0x0(%rip) */

    /* ---- LOCK legality ---- */
    LEN(M64, "f0 83 3b 01", EINV),              /* lock cmp */
    LEN(M64, "f0 01 c0", EINV),                 /* lock add reg,reg */
    LEN(M64, "f0 90", EINV),
    LEN(M64, "f0 8b 03", EINV),                 /* lock mov */
    LEN(M64, "f0 0f b1 0b", 4),                 /* lock cmpxchg */
    LEN(M64, "f0 0f c1 03", 4),                 /* lock xadd */
    LEN(M64, "f0 0f ab 03", 4),                 /* lock bts */
    LEN(M64, "f0 0f ba 2b 03", 5),              /* lock btsl $3,(%rbx) */
    LEN(M64, "f0 0f ba 23 03", EINV),           /* lock bt */
    LEN(M64, "f0 48 0f c7 0f", 5),              /* lock cmpxchg16b (%rdi) */
    LEN(M64, "f0 0f c7 33", EINV),              /* lock vmptrld */

    /* ---- immediates and other lengths, 64-bit ---- */
    LEN(M64, "48 b8 88 77 66 55 44 33 22 11", 10), /* movabs $imm64,%rax */
    LEN(M64, "b8 78 56 34 12", 5),
    LEN(M64, "66 b8 34 12", 4),
    LEN(M64, "41 b8 01 00 00 00", 6),
    LEN(M64, "49 bf 01 00 00 00 00 00 00 00", 10),
    LEN(M64, "c8 10 00 01", 4),                 /* enter */
    LEN(M64, "c2 08 00", 3),                    /* ret $8 */
    LEN(M64, "ca 08 00", 3),                    /* lret $8 */
    LEN(M64, "e8 00 00 00 00", 5),
    LEN(M64, "66 e8 00 00 00 00", 6),           /* Intel: rel32 */
    LEN(M64, "e9 00 01 00 00", 5),
    LEN(M64, "eb 10", 2),
    LEN(M64, "0f 84 00 00 00 00", 6),
    LEN(M64, "66 0f 84 00 00 00 00", 7),
    LEN(M64, "74 10", 2),
    LEN(M64, "e3 10", 2),                       /* jrcxz */
    LEN(M64, "e2 fe", 2),                       /* loop */
    LEN(M64, "68 00 00 00 00", 5),
    LEN(M64, "66 68 34 12", 4),
    LEN(M64, "6a 01", 2),
    LEN(M64, "69 c0 00 01 00 00", 6),
    LEN(M64, "6b c0 10", 3),
    LEN(M64, "69 04 24 00 01 00 00", 7),
    LEN(M64, "c0 e0 04", 3),
    LEN(M64, "d1 e0", 2),
    LEN(M64, "c1 24 24 03", 4),
    LEN(M64, "cd 80", 2),
    LEN(M64, "cc", 1),
    LEN(M64, "f1", 1),
    LEN(M64, "a8 01", 2),
    LEN(M64, "a9 00 00 00 00", 5),
    LEN(M64, "48 a9 00 00 00 00", 6),
    LEN(M64, "66 a9 34 12", 4),
    LEN(M64, "04 01", 2),
    LEN(M64, "05 01 00 00 00", 5),
    LEN(M64, "66 05 01 00", 4),
    LEN(M64, "48 05 01 00 00 00", 6),
    LEN(M64, "3c 01", 2),
    LEN(M64, "0f 1f 44 00 00", 5),              /* nopl */
    LEN(M64, "66 0f 1f 84 00 00 00 00 00", 9),  /* nopw */
    LEN(M64, "66 2e 0f 1f 84 00 00 00 00 00", 10),
    LEN(M64, "f3 0f 1e fa", 4),                 /* endbr64 */
    LEN(M64, "0f ae f0", 3),                    /* mfence */
    LEN(M64, "0f ae 38", 3),                    /* clflush (%rax) */
    LEN(M64, "66 0f 6f 03", 4),                 /* movdqa (%rbx),%xmm0 */
    LEN(M64, "f3 0f 6f 44 24 10", 6),           /* movdqu 0x10(%rsp),%xmm0 */
    LEN(M64, "0f 28 c1", 3),
    LEN(M64, "66 0f 73 d8 08", 5),              /* psrldq $8 */
    LEN(M64, "66 0f 3a 0f c1 08", 6),           /* palignr */
    LEN(M64, "66 0f 38 00 c1", 5),              /* pshufb */
    LEN(M64, "66 0f 3a 16 c0 01", 6),           /* pextrd */
    LEN(M64, "66 48 0f 3a 16 c0 01", 7),        /* pextrq */
    LEN(M64, "66 0f 3a 16 44 24 08 01", 8),     /* pextrd $1,%xmm0,8(%rsp) */
    LEN(M64, "f2 0f 38 f1 c8", 5),              /* crc32 */
    LEN(M64, "0f 38 f0 03", 4),                 /* movbe (%rbx),%eax */
    LEN(M64, "0f c7 0b", 3),                    /* cmpxchg8b */
    LEN(M64, "0f ba e0 03", 4),                 /* bt $3,%eax */
    LEN(M64, "0f a4 c2 04", 4),                 /* shld $4 */
    LEN(M64, "0f a5 c2", 3),
    LEN(M64, "0f 0f c1 b4", 4),                 /* 3DNow! pfmul */
    LEN(M64, "66 0f 78 c0 04 08", 6),           /* extrq $8,$4 */
    LEN(M64, "f2 0f 78 c1 04 08", 6),           /* insertq */
    LEN(M64, "66 0f 79 c1", 4),                 /* extrq %xmm1,%xmm0 */
    LEN(M64, "0f c2 c1 01", 4),                 /* cmpltps */
    LEN(M64, "8c d8", 2),
    LEN(M64, "8e d8", 2),
    LEN(M64, "8d 04 24", 3),
    LEN(M64, "8f 03", 2),                       /* pop (%rbx) */
    LEN(M64, "9c", 1),
    LEN(M64, "c3", 1),
    LEN(M64, "c9", 1),
    LEN(M64, "90", 1),
    LEN(M64, "f3 90", 2),                       /* pause */
    LEN(M64, "48 cf", 2),                       /* iretq */
    LEN(M64, "d8 c1", 2),
    LEN(M64, "dd 04 24", 3),
    LEN(M64, "d9 ee", 2),
    LEN(M64, "0f 00 d8", 3),                    /* ltr %ax */
    LEN(M64, "0f 01 10", 3),                    /* lgdt (%rax) */
    LEN(M64, "0f 01 15 00 00 00 00", 7),
    LEN(M64, "0f a0", 2),
    LEN(M64, "0f a9", 2),
    LEN(M64, "49 0f c8", 3),                    /* bswap %r8 */
    LEN(M64, "40 0f a2", 3),                    /* REX then 0F */
    LEN(M64, "0f 44 c1", 3),                    /* cmove */

    /* ---- invalid / unsupported in 64-bit mode ---- */
    LEN(M64, "06", EINV),
    LEN(M64, "27", EINV),
    LEN(M64, "60", EINV),
    LEN(M64, "9a 00 00 00 00 08 00", EINV),
    LEN(M64, "ea 00 00 00 00 08 00", EINV),
    LEN(M64, "d4 0a", EINV),
    LEN(M64, "ce", EINV),
    LEN(M64, "82 c0 01", EINV),
    LEN(M64, "0f 04", EINV),
    LEN(M64, "0f 36", EINV),
    LEN(M64, "0f a6", EINV),
    LEN(M64, "c4 e2 79 18 03", EUNS),           /* VEX3 */
    LEN(M64, "c5 f8 77", EUNS),                 /* vzeroupper */
    LEN(M64, "c4 23", EUNS),                    /* VEX even with mod != 11 */
    LEN(M64, "62 f1 7c 48 10 03", EUNS),        /* EVEX */
    LEN(M64, "8f e8 78 c2 c1 00", EUNS),        /* XOP */

    /* ---- 32-bit protected mode ---- */
    OP(M32, "a1 20 00 e0 fe", 5, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(M32, "66 a1 20 00 e0 fe", 6, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),
    OP(M32, "67 a1 20 00", 4, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(M32, "a3 00 03 e0 fe", 5, X86_OP_MOV_STORE, 4, 4, 0, 0, F_DST),
    OP(M32, "89 83 00 03 00 00", 6, X86_OP_MOV_STORE, 4, 4, 0, 0, F_DST),
    OP(M32, "89 1d 20 00 e0 fe", 6, X86_OP_MOV_STORE, 4, 4, 3, 0, F_DST), /* absolute, not RIP */
    OP(M32, "8b 04 24", 3, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(M32, "8b 44 24 04", 4, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(M32, "8b 04 8d 00 00 00 00", 7, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(M32, "c7 05 b0 00 e0 fe 00 00 00 00", 10, X86_OP_MOV_STORE_IMM, 4, 0, 0, 0, F_DST),
    OP(M32, "66 c7 05 b0 00 e0 fe 34 12", 9, X86_OP_MOV_STORE_IMM, 2, 0, 0, 0x1234, F_DST),
    OP(M32, "67 8b 07", 3, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),             /* mov (%bx),%eax */
    OP(M32, "67 8b 06 34 12", 5, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),       /* mov 0x1234,%eax */
    OP(M32, "67 8b 46 02", 4, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),          /* mov 0x2(%bp),%eax */
    OP(M32, "0f b7 83 00 03 00 00", 7, X86_OP_MOVZX_LOAD, 2, 4, 0, 0, 0),
    OP(M32, "f3 ab", 2, X86_OP_STOS, 4, 4, 0, 0, F_DST | F_REP),
    OP(M32, "f3 66 a5", 3, X86_OP_MOVS, 2, 0, 0, 0, F_REP),
    OP(M32, "ed", 1, X86_OP_IN, 0, 4, 0, 0, 0),
    OP(M32, "ef", 1, X86_OP_OUT, 0, 4, 0, 0, 0),
    OP(M32, "e5 71", 2, X86_OP_IN, 0, 4, 0, 0x71, 0),
    OP(M32, "f0 0f 20 c0", 4, X86_OP_OTHER, 0, 0, 0, 0, F_LOCK),
    LEN(M32, "63 03", 2),                       /* arpl */
    OP(M32, "88 63 04", 3, X86_OP_MOV_STORE, 1, 1, 4, 0, F_DST | F_HIGH8), /* mov %ah,4(%ebx) */
    LEN(M32, "40", 1),                          /* inc %eax, not REX */
    LEN(M32, "48 8b 03", 1),                    /* dec %eax */
    LEN(M32, "c4 03", 2),                       /* les (%ebx),%eax */
    LEN(M32, "c5 43 04", 3),                    /* lds 4(%ebx),%eax */
    LEN(M32, "c4 c0", EUNS),                    /* VEX */
    LEN(M32, "c5 f8 77", EUNS),
    LEN(M32, "62 03", 2),                       /* bound */
    LEN(M32, "62 f1", EUNS),                    /* EVEX */
    LEN(M32, "06", 1),
    LEN(M32, "27", 1),
    LEN(M32, "60", 1),
    LEN(M32, "9a 00 00 00 00 08 00", 7),        /* lcall $8,$0 */
    LEN(M32, "66 9a 00 00 08 00", 6),
    LEN(M32, "ea 00 00 00 00 08 00", 7),
    LEN(M32, "d4 0a", 2),
    LEN(M32, "ce", 1),
    LEN(M32, "82 c0 01", 3),
    LEN(M32, "e8 00 00 00 00", 5),
    LEN(M32, "66 e8 00 00", 4),                 /* rel16 */
    LEN(M32, "0f 84 00 00 00 00", 6),
    LEN(M32, "66 0f 84 00 00", 5),
    LEN(M32, "b8 78 56 34 12", 5),
    LEN(M32, "66 b8 34 12", 4),
    LEN(M32, "68 78 56 34 12", 5),
    LEN(M32, "66 68 34 12", 4),
    LEN(M32, "0f 20 c0", 3),
    LEN(M32, "0f 22 d8", 3),
    LEN(M32, "0f a2", 2),
    LEN(M32, "0f 01 c1", 3),
    LEN(M32, "0f 01 3d 00 10 00 00", 7),        /* invlpg 0x1000 */
    LEN(M32, "c8 08 00 00", 4),

    /* ---- 16-bit modes ---- */
    OP(R16, "a1 20 00", 3, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),
    OP(R16, "66 a1 20 00", 4, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(R16, "67 a1 20 00 e0 fe", 6, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),
    OP(R16, "66 67 a1 20 00 e0 fe", 7, X86_OP_MOV_LOAD, 4, 4, 0, 0, 0),
    OP(R16, "89 07", 2, X86_OP_MOV_STORE, 2, 2, 0, 0, F_DST),           /* mov %ax,(%bx) */
    OP(R16, "8b 00", 2, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),                /* mov (%bx,%si),%ax */
    OP(R16, "8b 46 fe", 3, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),             /* mov -2(%bp),%ax */
    OP(R16, "8b 86 00 01", 4, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),
    OP(R16, "8b 36 34 12", 4, X86_OP_MOV_LOAD, 2, 2, 6, 0, 0),          /* mov 0x1234,%si */
    OP(R16, "8b 40 01", 3, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),
    OP(R16, "c7 06 b0 00 00 00", 6, X86_OP_MOV_STORE_IMM, 2, 0, 0, 0, F_DST),
    OP(R16, "66 c7 06 b0 00 00 00 00 00", 9, X86_OP_MOV_STORE_IMM, 4, 0, 0, 0, F_DST),
    OP(R16, "67 8b 04 24", 4, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),          /* mov (%esp),%ax */
    OP(R16, "67 8b 05 20 00 e0 fe", 7, X86_OP_MOV_LOAD, 2, 2, 0, 0, 0),
    OP(R16, "66 67 89 83 00 03 00 00", 8, X86_OP_MOV_STORE, 4, 4, 0, 0, F_DST),
    OP(R16, "f3 a4", 2, X86_OP_MOVS, 1, 0, 0, 0, F_REP),
    OP(R16, "f3 ab", 2, X86_OP_STOS, 2, 2, 0, 0, F_DST | F_REP),
    OP(R16, "66 f3 ab", 3, X86_OP_STOS, 4, 4, 0, 0, F_DST | F_REP),
    OP(R16, "ec", 1, X86_OP_IN, 0, 1, 0, 0, 0),
    OP(R16, "e5 71", 2, X86_OP_IN, 0, 2, 0, 0x71, 0),
    OP(R16, "66 e5 71", 3, X86_OP_IN, 0, 4, 0, 0x71, 0),
    OP(R16, "0f b6 07", 3, X86_OP_MOVZX_LOAD, 1, 2, 0, 0, 0),
    OP(P16, "83 0f 01", 3, X86_OP_OR, 2, 0, 0, 1, F_DST | F_RMW),
    OP(P16, "81 0f 00 80", 4, X86_OP_OR, 2, 0, 0, 0x8000, F_DST | F_RMW),
    OP(P16, "c6 06 00 01 ff", 5, X86_OP_MOV_STORE_IMM, 1, 0, 0, 0xff, F_DST),
    LEN(R16, "e8 00 00", 3),
    LEN(R16, "66 e8 00 00 00 00", 6),
    LEN(R16, "0f 84 00 00", 4),
    LEN(R16, "ea 00 00 00 f0", 5),              /* ljmp $0xf000,$0 */
    LEN(R16, "66 ea 00 00 00 00 08 00", 8),
    LEN(R16, "b8 34 12", 3),
    LEN(R16, "66 b8 78 56 34 12", 6),
    LEN(R16, "68 34 12", 3),
    LEN(R16, "0f a2", 2),
    LEN(R16, "0f 01 d9", 3),
    LEN(R16, "c4 c0", EUNS),
    LEN(R16, "c4 07", 2),                       /* les (%bx),%ax */
    LEN(R16, "40", 1),
    LEN(R16, "cd 10", 2),
    LEN(P16, "0f 01 16 00 10", 5),              /* lgdt 0x1000 */
    LEN(P16, "0f 20 c0", 3),
    LEN(P16, "66 0f 01 15", 4),                 /* lgdtl (%di): no disp in 16-bit */
    LEN(P16, "67 66 0f 01 15 00 10 00 00", 9),  /* lgdtl 0x1000 (addr32) */
};

/* Parse "89 83 00" into bytes; returns the count. */
static size_t parse_hex(const char *s, uint8_t *out, size_t max)
{
    size_t n = 0;

    while (*s && n < max) {
        unsigned v = 0;
        int digits = 0;

        while (*s == ' ')
            s++;
        while (digits < 2 && *s && *s != ' ') {
            char ch = *s++;
            v = v * 16 + (unsigned)(ch <= '9' ? ch - '0' : (ch | 0x20) - 'a' + 10);
            digits++;
        }
        if (digits)
            out[n++] = (uint8_t)v;
    }
    return n;
}

static unsigned insn_flags(const struct x86_insn *in)
{
    return (in->reg_high8 ? F_HIGH8 : 0) | (in->rip_relative ? F_RIP : 0) |
           (in->rep ? F_REP : 0) | (in->lock ? F_LOCK : 0) |
           (in->is_rmw ? F_RMW : 0) | (in->mem_is_dst ? F_DST : 0);
}

static void run_case(const struct dcase *t)
{
    uint8_t buf[32];
    size_t n = parse_hex(t->hex, buf, sizeof(buf));
    struct x86_insn in;
    int rc = x86_decode(buf, n, t->mode, &in);

    if (t->len < 0) {
        CHECK_EQ(rc, t->len);
        if (rc != t->len)
            fprintf(stderr, "  case \"%s\"\n", t->hex);
        return;
    }
    CHECK_EQ(rc, 0);
    CHECK_EQ(in.len, t->len);
    if (rc != 0 || in.len != t->len)
        fprintf(stderr, "  case \"%s\" rc %d len %u\n", t->hex, rc, in.len);
    if (!t->full)
        return;
    CHECK_EQ(in.op, t->op);
    CHECK_EQ(in.mem_size, t->mem_size);
    CHECK_EQ(in.reg_size, t->reg_size);
    if (t->reg_size)
        CHECK_EQ(in.reg, t->reg);
    CHECK_EQ(in.imm, t->imm);
    CHECK_EQ(insn_flags(&in), t->flags);
    CHECK(in.mem_operand == (t->mem_size != 0));
    if (in.op != t->op || in.mem_size != t->mem_size || insn_flags(&in) != t->flags ||
        in.imm != t->imm)
        fprintf(stderr, "  case \"%s\"\n", t->hex);
}

/* Every proper prefix of these must be EINCOMPLETE. */
static const struct { enum x86_mode mode; const char *hex; } trunc_cases[] = {
    { M64, "89 83 00 03 00 00" },
    { M64, "c7 80 b0 00 00 00 00 00 00 00" },
    { M64, "48 b8 88 77 66 55 44 33 22 11" },
    { M64, "66 0f 3a 0f c1 08" },
    { M64, "a1 20 00 e0 fe 00 00 00 00" },
    { M64, "64 8b 04 25 28 00 00 00" },
    { M64, "f3 48 a5" },
    { M64, "0f 01 d9" },
    { M64, "c8 10 00 01" },
    { M64, "f0 83 2d 10 00 00 00 01" },
    { M32, "8b 04 8d 00 00 00 00" },
    { M32, "9a 00 00 00 00 08 00" },
    { M32, "c4 03" },
    { R16, "66 67 89 83 00 03 00 00" },
    { R16, "66 ea 00 00 00 00 08 00" },
};

static unsigned test_truncated(void)
{
    unsigned count = 0;
    struct x86_insn in;

    CHECK_EQ(x86_decode((const uint8_t *)"", 0, M64, &in), EINC);
    for (size_t i = 0; i < sizeof(trunc_cases) / sizeof(trunc_cases[0]); i++) {
        uint8_t buf[16];
        size_t n = parse_hex(trunc_cases[i].hex, buf, sizeof(buf));

        CHECK_EQ(x86_decode(buf, n, trunc_cases[i].mode, &in), 0);
        CHECK_EQ(in.len, n);
        for (size_t k = 0; k < n; k++) {
            int rc = x86_decode(buf, k, trunc_cases[i].mode, &in);

            CHECK_EQ(rc, EINC);
            if (rc != EINC)
                fprintf(stderr, "  truncated \"%s\" at %zu\n", trunc_cases[i].hex, k);
        }
        count++;
    }
    return count;
}

/* The 15-byte limit (SDM 2.3.11). */
static unsigned test_length_limit(void)
{
    uint8_t buf[32];
    struct x86_insn in;

    memset(buf, 0x66, sizeof(buf));
    buf[14] = 0x90; /* 14 prefixes + nop = 15 bytes */
    CHECK_EQ(x86_decode(buf, sizeof(buf), M64, &in), 0);
    CHECK_EQ(in.len, 15);
    buf[14] = 0x66;
    buf[15] = 0x90; /* 16 bytes */
    CHECK_EQ(x86_decode(buf, sizeof(buf), M64, &in), EINV);
    CHECK_EQ(x86_decode(buf, 15, M64, &in), EINV);  /* limit beats the short buffer */
    CHECK_EQ(x86_decode(buf, 14, M64, &in), EINC);
    /* 10 prefixes + REX.W + B8 + imm64 = 20 bytes, seen from 12 bytes */
    memset(buf, 0x66, sizeof(buf));
    buf[10] = 0x48;
    buf[11] = 0xb8;
    CHECK_EQ(x86_decode(buf, 12, M64, &in), EINV);
    CHECK_EQ(x86_decode(buf, 20, M64, &in), EINV);
    /* 7 prefixes + C7 80 disp32 imm32 = 17 bytes */
    memset(buf, 0x2e, sizeof(buf));
    buf[7] = 0xc7;
    buf[8] = 0x80;
    CHECK_EQ(x86_decode(buf, sizeof(buf), M64, &in), EINV);
    /* 5 prefixes + the same = 15: fine */
    CHECK_EQ(x86_decode(buf + 2, sizeof(buf) - 2, M64, &in), 0);
    CHECK_EQ(in.len, 15);
    /* mixed prefixes in any order */
    static const uint8_t mix[] = { 0xf3, 0x2e, 0x67, 0x66, 0x3e, 0x26, 0x65, 0x48, 0xab };
    CHECK_EQ(x86_decode(mix, sizeof(mix), M64, &in), 0);
    CHECK_EQ(in.len, sizeof(mix));
    CHECK_EQ(in.op, X86_OP_STOS);
    CHECK_EQ(in.mem_size, 8);
    CHECK_EQ(in.addr_size, 4);
    CHECK(in.rep);
    return 6;
}

/* Decoded operand fields and x86_insn_mem_offset(). */
static unsigned test_operands(void)
{
    uint64_t gpr[16];
    uint8_t buf[16];
    struct x86_insn in;
    size_t n;

    for (unsigned i = 0; i < 16; i++)
        gpr[i] = 0x1000ull * (i + 1);

    n = parse_hex("8b 44 8b 08", buf, sizeof(buf));   /* 8(%rbx,%rcx,4) */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.base, X86_REG_RBX);
    CHECK_EQ(in.index, X86_REG_RCX);
    CHECK_EQ(in.scale, 4);
    CHECK_EQ(in.disp, 8);
    CHECK_EQ(in.seg, X86_SEG_DS);
    CHECK_EQ(x86_insn_mem_offset(&in, gpr, 0), 0x4000 + 4 * 0x2000 + 8);

    n = parse_hex("8b 05 f0 ff ff ff", buf, sizeof(buf)); /* -0x10(%rip) */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(x86_insn_mem_offset(&in, gpr, 0xffffffff81000000ull), 0xffffffff81000000ull + 6 - 0x10);

    n = parse_hex("67 8b 05 f0 ff ff ff", buf, sizeof(buf)); /* -0x10(%eip) */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(x86_insn_mem_offset(&in, gpr, 0x100000004ull), 0xfffffffbull);

    n = parse_hex("42 8b 04 a5 00 00 e0 fe", buf, sizeof(buf)); /* 0xfee00000(,%r12,4) */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.base, X86_REG_NONE);
    CHECK_EQ(in.index, 12);
    CHECK_EQ(x86_insn_mem_offset(&in, gpr, 0), 0xfffffffffee00000ull + 4 * 0xd000);

    n = parse_hex("8b 45 f8", buf, sizeof(buf)); /* -8(%rbp): SS */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.seg, X86_SEG_SS);
    n = parse_hex("41 8b 45 f8", buf, sizeof(buf)); /* -8(%r13): DS */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.seg, X86_SEG_DS);
    CHECK_EQ(in.base, 13);
    n = parse_hex("64 26 8b 03", buf, sizeof(buf)); /* ES override ignored in 64-bit */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.seg, X86_SEG_DS);
    CHECK_EQ(in.seg_override, X86_SEG_ES);
    n = parse_hex("26 64 8b 03", buf, sizeof(buf));
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.seg, X86_SEG_FS);
    n = parse_hex("26 8b 03", buf, sizeof(buf));    /* ES honoured in 32-bit */
    CHECK_EQ(x86_decode(buf, n, M32, &in), 0);
    CHECK_EQ(in.seg, X86_SEG_ES);

    n = parse_hex("8b 42 fe", buf, sizeof(buf)); /* -2(%bp,%si) */
    CHECK_EQ(x86_decode(buf, n, R16, &in), 0);
    CHECK_EQ(in.base, X86_REG_RBP);
    CHECK_EQ(in.index, X86_REG_RSI);
    CHECK_EQ(in.seg, X86_SEG_SS);
    gpr[X86_REG_RBP] = 0x1;
    gpr[X86_REG_RSI] = 0x0;
    CHECK_EQ(x86_insn_mem_offset(&in, gpr, 0), 0xffff); /* 16-bit wrap */

    n = parse_hex("67 a1 20 00 e0 fe", buf, sizeof(buf));
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(x86_insn_mem_offset(&in, gpr, 0), 0xfee00020);
    CHECK_EQ(in.disp_size, 4);

    n = parse_hex("f3 64 a4", buf, sizeof(buf)); /* rep movsb %fs:(%rsi),%es:(%rdi) */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.base, X86_REG_RSI);
    CHECK_EQ(in.seg, X86_SEG_FS);
    CHECK_EQ(x86_insn_mem_offset(&in, gpr, 0), gpr[X86_REG_RSI]);
    n = parse_hex("64 aa", buf, sizeof(buf));    /* stos ignores the override */
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.base, X86_REG_RDI);
    CHECK_EQ(in.seg, X86_SEG_ES);

    n = parse_hex("c8 10 00 01", buf, sizeof(buf));
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.imm, 0x10);
    CHECK_EQ(in.imm2, 1);
    n = parse_hex("9a 78 56 34 12 08 00", buf, sizeof(buf));
    CHECK_EQ(x86_decode(buf, n, M32, &in), 0);
    CHECK_EQ(in.imm, 0x12345678);
    CHECK_EQ(in.imm2, 8);
    n = parse_hex("48 b8 88 77 66 55 44 33 22 11", buf, sizeof(buf));
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.imm, 0x1122334455667788ull);
    CHECK_EQ(in.imm_size, 8);
    n = parse_hex("66 0f 3a 0f c1 08", buf, sizeof(buf));
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.opcode_map, X86_MAP_0F3A);
    CHECK_EQ(in.opcode, 0x0f);
    CHECK_EQ(in.imm, 8);
    n = parse_hex("0f 01 d9", buf, sizeof(buf));
    CHECK_EQ(x86_decode(buf, n, M64, &in), 0);
    CHECK_EQ(in.opcode_map, X86_MAP_0F);
    CHECK_EQ(in.opcode, 0x01);
    CHECK_EQ(in.modrm, 0xd9);
    CHECK(!in.mem_operand);
    return 14;
}

static void test_names(void)
{
    CHECK(strcmp(x86_op_name(X86_OP_MOV_STORE), "mov_store") == 0);
    CHECK(strcmp(x86_op_name(X86_OP_XCHG), "xchg") == 0);
    CHECK(strcmp(x86_op_name(X86_OP_OUTS), "outs") == 0);
    CHECK(strcmp(x86_op_name(X86_OP_COUNT), "?") == 0);
    for (int op = 0; op < X86_OP_COUNT; op++)
        CHECK(strcmp(x86_op_name((enum x86_op)op), "?") != 0);
}

int main(void)
{
    size_t ncases = sizeof(cases) / sizeof(cases[0]);
    unsigned extra = 0;

    for (size_t i = 0; i < ncases; i++)
        run_case(&cases[i]);
    extra += test_truncated();
    extra += test_length_limit();
    extra += test_operands();
    test_names();
    printf("x86_decode: %zu table cases, %u truncation/limit/operand cases\n", ncases, extra);
    return check_report("test_x86_decode");
}
