/* SPDX-License-Identifier: MIT */
/*
 * x86 instruction length decoder and MMIO-operation classifier.
 *
 * Under QEMU TCG, SVM reports no next-RIP and no decode assists, so the
 * hypervisor computes the length of the instructions it intercepts (CPUID,
 * RDMSR/WRMSR, HLT, VMMCALL/VMCALL, IN/OUT, INS/OUTS, ...) and decodes the
 * instruction behind a nested page fault on an MMIO page from the raw bytes
 * it fetched from guest memory.  Pure logic: no hardware access.
 *
 * Coverage (Intel SDM vol. 2 ch. 2 "Instruction Format", appendix A
 * "Opcode Map"; AMD APM vol. 3 ch. 1):
 *   - legacy prefixes in any order and number (66 67 F0 F2 F3 and the six
 *     segment overrides), REX in 64-bit mode (only the REX byte immediately
 *     before the opcode counts: a REX followed by a legacy prefix is ignored,
 *     SDM 2.2.1);
 *   - the one-byte map, the 0F map, and the 0F 38 / 0F 3A maps, including
 *     ModRM, SIB, displacements (16- and 32/64-bit addressing, RIP-relative)
 *     and immediates; AMD 3DNow! (0F 0F /r ib) and SSE4a EXTRQ/INSERTQ
 *     (66/F2 0F 78 /r ib ib) lengths are decoded too;
 *   - the 15-byte limit (SDM 2.3.11): longer instructions are EINVALID.
 *
 * Not decoded (X86_DECODE_EUNSUPPORTED): VEX (C4/C5: always in 64-bit mode,
 * with ModRM.mod = 11b elsewhere), EVEX (62: always in 64-bit mode, with
 * ModRM.mod = 11b elsewhere) and AMD XOP (8F with ModRM.reg != 0).  In
 * non-64-bit modes C4/C5/62 with a memory operand are LES/LDS/BOUND.
 *
 * Vendor choices: in 64-bit mode a near branch (E8, E9, 0F 80-8F) always
 * takes a rel32, as on Intel (AMD honours 66h and takes a rel16; branches
 * never cause the exits this decoder serves).  LOCK MOV CR0 (F0 0F 20/22)
 * is accepted: it is AMD's alternate encoding of MOV CR8 (APM vol. 3).
 */
#ifndef KEEL_HV_X86_DECODE_H
#define KEEL_HV_X86_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Architectural limit on instruction length (SDM 2.3.11). */
#define X86_MAX_INSN_LEN 15u

/* Return codes of x86_decode(). */
#define X86_DECODE_EINCOMPLETE  (-1) /* the instruction is longer than `avail` */
#define X86_DECODE_EINVALID     (-2) /* > 15 bytes, illegal LOCK, undefined or
                                        not valid in this mode (#UD / #GP) */
#define X86_DECODE_EUNSUPPORTED (-3) /* VEX, EVEX or XOP encoded */

/* Code-segment default size: real mode, 16-bit protected, 32-bit protected
 * or compatibility mode, 64-bit mode. */
enum x86_mode {
    X86_MODE_REAL16,
    X86_MODE_PROT16,
    X86_MODE_PROT32,
    X86_MODE_LONG64,
};

/* Opcode maps (SDM appendix A.3). */
enum x86_opcode_map {
    X86_MAP_1BYTE = 1, /* one-byte opcodes */
    X86_MAP_0F    = 2, /* 0F xx */
    X86_MAP_0F38  = 3, /* 0F 38 xx */
    X86_MAP_0F3A  = 4, /* 0F 3A xx */
};

/*
 * What the instruction does, for the forms the MMIO emulator handles.  Only
 * forms whose ModRM/moffs/string operand is in memory are classified; the
 * register forms of the same opcodes, and everything else, are
 * X86_OP_OTHER (with a correct length).  IN/OUT/INS/OUTS are classified
 * too.  X86_OP_ADD..X86_OP_CMP follow the ModRM.reg order of group 1.
 */
enum x86_op {
    X86_OP_OTHER,
    X86_OP_MOV_LOAD,      /* 8A 8B A0 A1: reg <- mem */
    X86_OP_MOV_STORE,     /* 88 89 A2 A3: mem <- reg */
    X86_OP_MOV_STORE_IMM, /* C6 /0, C7 /0: mem <- imm */
    X86_OP_MOVZX_LOAD,    /* 0F B6, 0F B7: reg <- zero-extended mem */
    X86_OP_MOVSX_LOAD,    /* 0F BE, 0F BF, 63 (MOVSXD, 64-bit mode) */
    X86_OP_XCHG,          /* 86 87: locked read-modify-write */
    X86_OP_ADD,           /* 00-03, 80-83 /0 */
    X86_OP_OR,            /* 08-0B, 80-83 /1 */
    X86_OP_ADC,           /* 10-13, 80-83 /2 */
    X86_OP_SBB,           /* 18-1B, 80-83 /3 */
    X86_OP_AND,           /* 20-23, 80-83 /4 */
    X86_OP_SUB,           /* 28-2B, 80-83 /5 */
    X86_OP_XOR,           /* 30-33, 80-83 /6 */
    X86_OP_CMP,           /* 38-3B, 80-83 /7 */
    X86_OP_TEST,          /* 84 85, F6/F7 /0 /1 */
    X86_OP_NOT,           /* F6/F7 /2 */
    X86_OP_NEG,           /* F6/F7 /3 */
    X86_OP_INC,           /* FE/FF /0 */
    X86_OP_DEC,           /* FE/FF /1 */
    X86_OP_MOVS,          /* A4 A5: ES:rDI <- seg:rSI */
    X86_OP_STOS,          /* AA AB: ES:rDI <- rAX */
    X86_OP_LODS,          /* AC AD: rAX <- seg:rSI */
    X86_OP_IN,            /* E4 E5 (port in imm), EC ED (port in DX) */
    X86_OP_OUT,           /* E6 E7, EE EF */
    X86_OP_INS,           /* 6C 6D: ES:rDI <- port DX */
    X86_OP_OUTS,          /* 6E 6F: port DX <- seg:rSI */
    X86_OP_COUNT
};

/* Segment registers, numbered as in the ModRM.reg of MOV Sreg (SDM 3.4.2). */
enum x86_seg {
    X86_SEG_ES = 0,
    X86_SEG_CS = 1,
    X86_SEG_SS = 2,
    X86_SEG_DS = 3,
    X86_SEG_FS = 4,
    X86_SEG_GS = 5,
    X86_SEG_NONE = 0xff,
};

/* General-purpose register numbers (ModRM/SIB encoding with REX bits). */
#define X86_REG_RAX  0u
#define X86_REG_RCX  1u
#define X86_REG_RDX  2u
#define X86_REG_RBX  3u
#define X86_REG_RSP  4u
#define X86_REG_RBP  5u
#define X86_REG_RSI  6u
#define X86_REG_RDI  7u
#define X86_REG_NONE 0xffu

/* x86_insn.prefixes: the legacy prefixes seen (any order, any count). */
#define X86_PFX_OPSIZE   (1u << 0) /* 66 */
#define X86_PFX_ADDRSIZE (1u << 1) /* 67 */
#define X86_PFX_LOCK     (1u << 2) /* F0 */
#define X86_PFX_REPNE    (1u << 3) /* F2 */
#define X86_PFX_REP      (1u << 4) /* F3 */
#define X86_PFX_SEG      (1u << 5) /* any of 26 2E 36 3E 64 65 */

/* x86_insn.mem_access */
#define X86_MEM_READ  (1u << 0)
#define X86_MEM_WRITE (1u << 1)

/* REX bits (SDM 2.2.1.2) */
#define X86_REX_B (1u << 0)
#define X86_REX_X (1u << 1)
#define X86_REX_R (1u << 2)
#define X86_REX_W (1u << 3)

struct x86_insn {
    uint8_t len;            /* total length in bytes, 1..15 */
    enum x86_op op;
    uint8_t opcode_map;     /* enum x86_opcode_map */
    uint8_t opcode;         /* the last opcode byte */

    /* Prefixes. */
    uint8_t prefixes;       /* X86_PFX_* */
    uint8_t rex;            /* the effective REX byte (0x40-0x4F), or 0 */
    uint8_t rep_prefix;     /* the last of F2/F3, or 0 */
    uint8_t seg_override;   /* enum x86_seg of the last override, or NONE */
    bool rep;               /* a string instruction with F2 or F3 */
    bool lock;              /* F0 (only where legal; else EINVALID) */

    /* Sizes in bytes. */
    uint8_t op_size;        /* effective operand size: 2, 4 or 8 */
    uint8_t addr_size;      /* effective address size: 2, 4 or 8 */

    /* ModRM / SIB. */
    bool has_modrm, has_sib;
    uint8_t modrm, sib;

    /* Memory operand (ModRM, moffs or string source). */
    bool mem_operand;       /* the instruction has one */
    bool mem_is_dst;        /* it is the first (destination) operand */
    uint8_t mem_access;     /* X86_MEM_* for the classified ops, else 0
                               (MOVS: READ | WRITE, source and destination) */
    bool is_rmw;            /* the memory operand is read, modified and
                               written: ALU (not CMP/TEST) with a memory
                               destination, NOT, NEG, INC, DEC, XCHG */
    uint8_t mem_size;       /* bytes accessed for classified ops: 1,2,4,8 */
    uint8_t seg;            /* enum x86_seg of the memory operand (override
                               applied; in 64-bit mode only FS/GS overrides
                               count); string destinations are always ES */
    uint8_t base, index;    /* GPR numbers or X86_REG_NONE; string ops:
                               base = rSI (source) or rDI (STOS/INS/SCAS) */
    uint8_t scale;          /* 1, 2, 4, 8 */
    bool rip_relative;      /* base is the next instruction's rIP */
    int64_t disp;           /* sign-extended; moffs: zero-extended address */
    uint8_t disp_size;      /* encoded displacement bytes: 0,1,2,4 (moffs 2,4,8) */

    /* Register operand (classified ops; reg_size == 0 when there is none). */
    uint8_t reg;            /* 0..15 with REX.R applied */
    uint8_t reg_size;       /* 1,2,4,8 (MOVZX/MOVSX: the destination size) */
    bool reg_high8;         /* 8-bit reg 4..7 without REX: AH CH DH BH,
                               i.e. bits 15:8 of GPR reg - 4 */

    /* Immediates. */
    uint8_t imm_size;       /* encoded bytes of imm: 0,1,2,4,8 */
    uint64_t imm;           /* the first immediate, zero-extended; for the
                               classified ops (MOV_STORE_IMM, ALU, TEST) it is
                               sign-extended and truncated to mem_size, as the
                               CPU uses it; IN/OUT: the port number */
    uint64_t imm2;          /* ENTER's ib, far pointer selector, EXTRQ's 2nd */
};

/*
 * Decode the instruction at bytes[0..avail) executed in `mode`.  Returns 0
 * and fills *out, or a negative X86_DECODE_* code (then *out is partially
 * filled and must not be used).  A short buffer gives EINCOMPLETE unless the
 * bytes seen already prove the instruction is invalid or longer than 15.
 */
int x86_decode(const uint8_t *bytes, size_t avail, enum x86_mode mode,
               struct x86_insn *out);

/*
 * The offset (within in->seg, segment base not added) of the memory operand,
 * given the guest's GPRs and the rIP of the instruction itself; truncated to
 * the address size.  For MOVS the destination is ES:rDI.
 * Precondition: in->mem_operand.
 */
uint64_t x86_insn_mem_offset(const struct x86_insn *in, const uint64_t gpr[16],
                             uint64_t rip);

/* A short name ("mov_load", "xchg", ...) for dumps; "?" when out of range. */
const char *x86_op_name(enum x86_op op);

#endif /* KEEL_HV_X86_DECODE_H */
