/* SPDX-License-Identifier: MIT */
/*
 * x86 instruction length decoder and MMIO-operation classifier.  See
 * x86_decode.h for what is covered.  References: Intel SDM vol. 2 ch. 2
 * (instruction format) and appendix A (opcode maps); AMD APM vol. 3.
 *
 * Decoding runs in stages, each reading through a cursor that enforces
 * the 15-byte limit before the buffer size (so an over-long instruction is
 * EINVALID even when the buffer is short):
 *   prefixes -> opcode (map + attribute table) -> ModRM/SIB/disp ->
 *   immediates -> classification -> LOCK legality.
 */
#include "hv/emul/x86_decode.h"

#include <string.h>

/* ------------------------------------------------------------------ tables */

/*
 * One attribute byte per opcode.  Low nibble: the immediate's kind; high
 * bits: flags.  Prefix and escape bytes are consumed before the lookup, so
 * their entries are never read (they are 0).
 */
enum imm_kind {
    I_NONE,  /* no immediate */
    I_B,     /* ib / rel8 */
    I_W,     /* iw */
    I_Z,     /* iz: 2 bytes with 16-bit operand size, else 4 */
    I_V,     /* iv: operand size (MOV r, imm: B8+r; 8 with REX.W) */
    I_WB,    /* iw + ib (ENTER) */
    I_MOFFS, /* moffs: address size (A0-A3) */
    I_PTR,   /* ptr16:16 / ptr16:32 (far CALL/JMP) */
    I_JZ,    /* near branch rel16/32; rel32 in 64-bit mode */
    I_GRP3,  /* group 3: F6 /0,/1 ib; F7 /0,/1 iz; other /r none */
};

#define A_IMM     0x0fu /* mask of enum imm_kind */
#define A_MODRM   0x10u /* a ModRM byte follows the opcode */
#define A_I64     0x20u /* invalid in 64-bit mode (#UD) */
#define A_UNDEF   0x40u /* undefined opcode (#UD) */
#define A_SPECIAL 0x80u /* opcode-specific handling, see check_special() */

/* Table shorthands, used only in the two tables below. */
#define N_   0u
#define M_   A_MODRM
#define B_   I_B
#define W_   I_W
#define Z_   I_Z
#define V_   I_V
#define MB   (A_MODRM | I_B)
#define MZ   (A_MODRM | I_Z)
#define MO   I_MOFFS
#define JZ   I_JZ
#define XX   A_UNDEF
#define X64  A_I64
#define B64  (A_I64 | I_B)
#define M64  (A_I64 | A_MODRM)
#define MB64 (A_I64 | A_MODRM | I_B)
#define P64  (A_I64 | I_PTR)
#define G3   (A_MODRM | I_GRP3)
#define SM   (A_SPECIAL | A_MODRM)

/* One-byte opcode map (SDM table A-2).  26 2E 36 3E 64-67 F0 F2 F3 are
 * prefixes, 0F the escape; 40-4F are REX in 64-bit mode. */
static const uint8_t map1_attr[256] = {
/*        0     1     2     3     4     5     6     7     8     9     A     B     C     D     E     F */
/* 0 */   M_,   M_,   M_,   M_,   B_,   Z_,   X64,  X64,  M_,   M_,   M_,   M_,   B_,   Z_,   X64,  N_,
/* 1 */   M_,   M_,   M_,   M_,   B_,   Z_,   X64,  X64,  M_,   M_,   M_,   M_,   B_,   Z_,   X64,  X64,
/* 2 */   M_,   M_,   M_,   M_,   B_,   Z_,   N_,   X64,  M_,   M_,   M_,   M_,   B_,   Z_,   N_,   X64,
/* 3 */   M_,   M_,   M_,   M_,   B_,   Z_,   N_,   X64,  M_,   M_,   M_,   M_,   B_,   Z_,   N_,   X64,
/* 4 */   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,
/* 5 */   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,
/* 6 */   X64,  X64,  SM,   M_,   N_,   N_,   N_,   N_,   Z_,   MZ,   B_,   MB,   N_,   N_,   N_,   N_,
/* 7 */   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,
/* 8 */   MB,   MZ,   MB64, MB,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   SM,
/* 9 */   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   P64,  N_,   N_,   N_,   N_,   N_,
/* A */   MO,   MO,   MO,   MO,   N_,   N_,   N_,   N_,   B_,   Z_,   N_,   N_,   N_,   N_,   N_,   N_,
/* B */   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   V_,   V_,   V_,   V_,   V_,   V_,   V_,   V_,
/* C */   MB,   MB,   W_,   N_,   SM,   SM,   MB,   MZ,   I_WB, N_,   W_,   N_,   N_,   B_,   X64,  N_,
/* D */   M_,   M_,   M_,   M_,   B64,  B64,  X64,  N_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* E */   B_,   B_,   B_,   B_,   B_,   B_,   B_,   B_,   JZ,   JZ,   P64,  B_,   N_,   N_,   N_,   N_,
/* F */   N_,   N_,   N_,   N_,   N_,   N_,   G3,   G3,   N_,   N_,   N_,   N_,   N_,   N_,   M_,   M_,
};

/* Two-byte opcode map 0F xx (SDM table A-3).  38 and 3A escape to the
 * three-byte maps; 0F 0F is 3DNow! (ModRM + an opcode suffix byte);
 * 20-23 (MOV CR/DR) and 78 (VMREAD / EXTRQ / INSERTQ) are special. */
static const uint8_t map0f_attr[256] = {
/*        0     1     2     3     4     5     6     7     8     9     A     B     C     D     E     F */
/* 0 */   M_,   M_,   M_,   M_,   XX,   N_,   N_,   N_,   N_,   N_,   XX,   N_,   XX,   M_,   N_,   MB,
/* 1 */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* 2 */   SM,   SM,   SM,   SM,   XX,   XX,   XX,   XX,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* 3 */   N_,   N_,   N_,   N_,   N_,   N_,   XX,   N_,   N_,   XX,   N_,   XX,   XX,   XX,   XX,   XX,
/* 4 */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* 5 */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* 6 */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* 7 */   MB,   MB,   MB,   MB,   M_,   M_,   M_,   N_,   SM,   M_,   XX,   XX,   M_,   M_,   M_,   M_,
/* 8 */   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,   JZ,
/* 9 */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* A */   N_,   N_,   N_,   M_,   MB,   M_,   XX,   XX,   N_,   N_,   N_,   M_,   MB,   M_,   M_,   M_,
/* B */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   MB,   M_,   M_,   M_,   M_,   M_,
/* C */   M_,   M_,   MB,   M_,   MB,   MB,   MB,   M_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,   N_,
/* D */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* E */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
/* F */   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,   M_,
};

#undef N_
#undef M_
#undef B_
#undef W_
#undef Z_
#undef V_
#undef MB
#undef MZ
#undef MO
#undef JZ
#undef XX
#undef X64
#undef B64
#undef M64
#undef MB64
#undef P64
#undef G3
#undef SM

/*
 * LOCK legality (SDM vol. 2, LOCK): allowed only on these opcodes with a
 * memory destination.  Each entry is the set of ModRM.reg values (bit n =
 * /n) for which LOCK is legal; 0 = never.
 */
#define LOCK_ANY 0xffu
static const uint8_t lock_map1[256] = {
    [0x00] = LOCK_ANY, [0x01] = LOCK_ANY, /* ADD */
    [0x08] = LOCK_ANY, [0x09] = LOCK_ANY, /* OR  */
    [0x10] = LOCK_ANY, [0x11] = LOCK_ANY, /* ADC */
    [0x18] = LOCK_ANY, [0x19] = LOCK_ANY, /* SBB */
    [0x20] = LOCK_ANY, [0x21] = LOCK_ANY, /* AND */
    [0x28] = LOCK_ANY, [0x29] = LOCK_ANY, /* SUB */
    [0x30] = LOCK_ANY, [0x31] = LOCK_ANY, /* XOR */
    [0x80] = 0x7f, [0x81] = 0x7f, [0x82] = 0x7f, [0x83] = 0x7f, /* grp1 but /7 CMP */
    [0x86] = LOCK_ANY, [0x87] = LOCK_ANY, /* XCHG */
    [0xf6] = 0x0c, [0xf7] = 0x0c,         /* NOT /2, NEG /3 */
    [0xfe] = 0x03, [0xff] = 0x03,         /* INC /0, DEC /1 */
};
static const uint8_t lock_map0f[256] = {
    [0xab] = LOCK_ANY,                    /* BTS */
    [0xb3] = LOCK_ANY,                    /* BTR */
    [0xbb] = LOCK_ANY,                    /* BTC */
    [0xba] = 0xe0,                        /* grp8 BTS/BTR/BTC /5 /6 /7 */
    [0xb0] = LOCK_ANY, [0xb1] = LOCK_ANY, /* CMPXCHG */
    [0xc0] = LOCK_ANY, [0xc1] = LOCK_ANY, /* XADD */
    [0xc7] = 0x02,                        /* CMPXCHG8B/16B /1 */
};

/* ModRM fields (SDM 2.1.5) */
#define MODRM_MOD(m) ((uint8_t)((m) >> 6))
#define MODRM_REG(m) ((uint8_t)(((m) >> 3) & 7u))
#define MODRM_RM(m)  ((uint8_t)((m) & 7u))
/* SIB fields (SDM 2.1.5) */
#define SIB_SCALE(s) ((uint8_t)((s) >> 6))
#define SIB_INDEX(s) ((uint8_t)(((s) >> 3) & 7u))
#define SIB_BASE(s)  ((uint8_t)((s) & 7u))

/* ------------------------------------------------------------------ cursor */

struct cursor {
    const uint8_t *bytes;
    size_t avail;
    size_t pos;
};

/* Can n more bytes be consumed?  The length limit wins over the buffer. */
static int cur_check(const struct cursor *c, size_t n)
{
    if (c->pos + n > X86_MAX_INSN_LEN)
        return X86_DECODE_EINVALID;
    if (c->pos + n > c->avail)
        return X86_DECODE_EINCOMPLETE;
    return 0;
}

static int cur_peek(const struct cursor *c, uint8_t *b)
{
    int rc = cur_check(c, 1);

    if (rc == 0)
        *b = c->bytes[c->pos];
    return rc;
}

/* Take n (0..8) bytes as a little-endian value. */
static int cur_take(struct cursor *c, unsigned n, uint64_t *v)
{
    int rc = cur_check(c, n);
    uint64_t val = 0;

    if (rc)
        return rc;
    for (unsigned i = 0; i < n; i++)
        val |= (uint64_t)c->bytes[c->pos + i] << (8 * i);
    c->pos += n;
    *v = val;
    return 0;
}

static int cur_take8(struct cursor *c, uint8_t *b)
{
    int rc = cur_peek(c, b);

    if (rc == 0)
        c->pos++;
    return rc;
}

/* ------------------------------------------------------------------ helpers */

static uint64_t size_mask(unsigned bytes)
{
    return bytes >= 8 ? ~0ull : (1ull << (8 * bytes)) - 1;
}

/* Sign-extend the low `bytes` bytes of v to 64 bits. */
static uint64_t sign_extend(uint64_t v, unsigned bytes)
{
    uint64_t sign;

    if (bytes == 0 || bytes >= 8)
        return v;
    sign = 1ull << (8 * bytes - 1);
    v &= size_mask(bytes);
    return (v ^ sign) - sign;
}

/* ------------------------------------------------------------------ prefixes */

/* Apply legacy prefix b (SDM 2.1.1); false if b is not one. */
static bool apply_legacy_prefix(struct x86_insn *in, uint8_t b)
{
    switch (b) {
    case 0x66: in->prefixes |= X86_PFX_OPSIZE; return true;
    case 0x67: in->prefixes |= X86_PFX_ADDRSIZE; return true;
    case 0xf0: in->prefixes |= X86_PFX_LOCK; return true;
    case 0xf2: in->prefixes |= X86_PFX_REPNE; in->rep_prefix = b; return true;
    case 0xf3: in->prefixes |= X86_PFX_REP; in->rep_prefix = b; return true;
    case 0x26: in->seg_override = X86_SEG_ES; break;
    case 0x2e: in->seg_override = X86_SEG_CS; break;
    case 0x36: in->seg_override = X86_SEG_SS; break;
    case 0x3e: in->seg_override = X86_SEG_DS; break;
    case 0x64: in->seg_override = X86_SEG_FS; break;
    case 0x65: in->seg_override = X86_SEG_GS; break;
    default: return false;
    }
    in->prefixes |= X86_PFX_SEG;
    return true;
}

/* Effective operand and address sizes (SDM 2.2.1.2 table 2-4, 3.6). */
static void set_sizes(struct x86_insn *in, enum x86_mode mode)
{
    bool o = (in->prefixes & X86_PFX_OPSIZE) != 0;
    bool a = (in->prefixes & X86_PFX_ADDRSIZE) != 0;

    switch (mode) {
    case X86_MODE_LONG64:
        in->op_size = (in->rex & X86_REX_W) ? 8 : o ? 2 : 4;
        in->addr_size = a ? 4 : 8;
        break;
    case X86_MODE_PROT32:
        in->op_size = o ? 2 : 4;
        in->addr_size = a ? 2 : 4;
        break;
    default:
        in->op_size = o ? 4 : 2;
        in->addr_size = a ? 4 : 2;
        break;
    }
}

/*
 * Legacy prefixes and REX.  A REX byte counts only when the opcode follows
 * it directly; one followed by a legacy prefix is ignored (SDM 2.2.1).
 */
static int decode_prefixes(struct cursor *c, enum x86_mode mode, struct x86_insn *in)
{
    for (;;) {
        uint8_t b;
        int rc = cur_peek(c, &b);

        if (rc)
            return rc;
        if (apply_legacy_prefix(in, b)) {
            in->rex = 0;
        } else if (mode == X86_MODE_LONG64 && (b & 0xf0u) == 0x40u) {
            in->rex = b;
        } else {
            break;
        }
        c->pos++;
    }
    set_sizes(in, mode);
    return 0;
}

/* ------------------------------------------------------------------ opcode */

/* Read the opcode bytes; *attr gets the opcode's attribute byte. */
static int decode_opcode(struct cursor *c, enum x86_mode mode, struct x86_insn *in,
                         uint8_t *attr)
{
    uint8_t b;
    int rc = cur_take8(c, &b);

    if (rc)
        return rc;
    in->opcode_map = X86_MAP_1BYTE;
    *attr = map1_attr[b];
    if (b == 0x0f) {
        if ((rc = cur_take8(c, &b)) != 0)
            return rc;
        in->opcode_map = X86_MAP_0F;
        *attr = map0f_attr[b];
        if (b == 0x38 || b == 0x3a) {
            /* Three-byte maps: every opcode has a ModRM; 0F 3A adds an ib. */
            in->opcode_map = b == 0x38 ? X86_MAP_0F38 : X86_MAP_0F3A;
            *attr = b == 0x38 ? A_MODRM : (A_MODRM | I_B);
            if ((rc = cur_take8(c, &b)) != 0)
                return rc;
        }
    }
    in->opcode = b;
    /* VEX (C4 C5) and EVEX (62) are always those in 64-bit mode (SDM 2.3.5). */
    if (mode == X86_MODE_LONG64 && in->opcode_map == X86_MAP_1BYTE &&
        (b == 0xc4 || b == 0xc5 || b == 0x62))
        return X86_DECODE_EUNSUPPORTED;
    if (*attr & A_UNDEF)
        return X86_DECODE_EINVALID;
    if (mode == X86_MODE_LONG64 && (*attr & A_I64))
        return X86_DECODE_EINVALID;
    return 0;
}

/*
 * Opcodes whose meaning depends on the ModRM byte: outside 64-bit mode C4,
 * C5 and 62 with mod = 11b are VEX / EVEX (LES, LDS, BOUND need memory);
 * 8F with reg != 0 is AMD XOP (POP is 8F /0).
 */
static int check_special(const struct x86_insn *in)
{
    if (in->opcode_map != X86_MAP_1BYTE)
        return 0;
    switch (in->opcode) {
    case 0xc4:
    case 0xc5:
    case 0x62:
        return MODRM_MOD(in->modrm) == 3 ? X86_DECODE_EUNSUPPORTED : 0;
    case 0x8f:
        return MODRM_REG(in->modrm) != 0 ? X86_DECODE_EUNSUPPORTED : 0;
    default:
        return 0;
    }
}

/* ------------------------------------------------------------------ ModRM */

static int take_disp(struct cursor *c, struct x86_insn *in, unsigned n)
{
    uint64_t v;
    int rc = cur_take(c, n, &v);

    if (rc)
        return rc;
    in->disp_size = (uint8_t)n;
    in->disp = (int64_t)sign_extend(v, n);
    return 0;
}

/* 16-bit addressing (SDM table 2-1). */
static int decode_mem16(struct cursor *c, struct x86_insn *in, uint8_t mod, uint8_t rm)
{
    static const uint8_t base16[8] = {
        X86_REG_RBX, X86_REG_RBX, X86_REG_RBP, X86_REG_RBP,
        X86_REG_RSI, X86_REG_RDI, X86_REG_RBP, X86_REG_RBX,
    };
    static const uint8_t index16[8] = {
        X86_REG_RSI, X86_REG_RDI, X86_REG_RSI, X86_REG_RDI,
        X86_REG_NONE, X86_REG_NONE, X86_REG_NONE, X86_REG_NONE,
    };

    if (mod == 0 && rm == 6)
        return take_disp(c, in, 2); /* [disp16] */
    in->base = base16[rm];
    in->index = index16[rm];
    return take_disp(c, in, mod == 1 ? 1 : mod == 2 ? 2 : 0);
}

/* 32/64-bit addressing (SDM tables 2-2, 2-3; 2.2.1.3 for REX, 2.2.1.6 RIP). */
static int decode_mem32(struct cursor *c, enum x86_mode mode, struct x86_insn *in,
                        uint8_t mod, uint8_t rm)
{
    uint8_t rex_b = (in->rex & X86_REX_B) ? 8 : 0;
    uint8_t rex_x = (in->rex & X86_REX_X) ? 8 : 0;
    unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : 0;
    int rc;

    if (rm == 4) {
        uint8_t idx;

        if ((rc = cur_take8(c, &in->sib)) != 0)
            return rc;
        in->has_sib = true;
        in->scale = (uint8_t)(1u << SIB_SCALE(in->sib));
        idx = SIB_INDEX(in->sib) | rex_x;
        in->index = idx == 4 ? X86_REG_NONE : idx; /* rSP cannot be an index */
        if (SIB_BASE(in->sib) == 5 && mod == 0)
            disp = 4;                              /* [index*s + disp32] */
        else
            in->base = SIB_BASE(in->sib) | rex_b;
    } else if (rm == 5 && mod == 0) {
        disp = 4;                                  /* disp32 or RIP + disp32 */
        in->rip_relative = mode == X86_MODE_LONG64;
    } else {
        in->base = rm | rex_b;
    }
    return take_disp(c, in, disp);
}

/* Segment of a ModRM/moffs/string source operand (SDM 3.7.4, 3.3.7.1). */
static uint8_t operand_seg(const struct x86_insn *in, enum x86_mode mode)
{
    uint8_t ovr = in->seg_override;

    if (mode == X86_MODE_LONG64 && ovr != X86_SEG_FS && ovr != X86_SEG_GS)
        ovr = X86_SEG_NONE; /* ES, CS, SS, DS overrides are ignored */
    if (ovr != X86_SEG_NONE)
        return ovr;
    if (in->base == X86_REG_RSP || in->base == X86_REG_RBP)
        return X86_SEG_SS;
    return X86_SEG_DS;
}

static int decode_modrm(struct cursor *c, enum x86_mode mode, struct x86_insn *in,
                        uint8_t attr)
{
    uint8_t mod;
    int rc = cur_take8(c, &in->modrm);

    if (rc)
        return rc;
    in->has_modrm = true;
    if ((attr & A_SPECIAL) && (rc = check_special(in)) != 0)
        return rc;
    mod = MODRM_MOD(in->modrm);
    /* MOV to/from CR and DR ignore mod: always a register (SDM MOV-CR). */
    if ((attr & A_SPECIAL) && in->opcode_map == X86_MAP_0F && (in->opcode & 0xfcu) == 0x20u)
        mod = 3;
    if (mod == 3)
        return 0;
    in->mem_operand = true;
    if (in->addr_size == 2)
        rc = decode_mem16(c, in, mod, MODRM_RM(in->modrm));
    else
        rc = decode_mem32(c, mode, in, mod, MODRM_RM(in->modrm));
    in->seg = operand_seg(in, mode);
    return rc;
}

/* ------------------------------------------------------------------ immediates */

/* Sizes of the immediate(s) for this opcode, in bytes. */
static void imm_layout(const struct x86_insn *in, enum x86_mode mode, uint8_t attr,
                       unsigned *n1, unsigned *n2)
{
    unsigned z = in->op_size == 2 ? 2 : 4;

    *n1 = 0;
    *n2 = 0;
    switch ((enum imm_kind)(attr & A_IMM)) {
    case I_NONE:  break;
    case I_B:     *n1 = 1; break;
    case I_W:     *n1 = 2; break;
    case I_Z:     *n1 = z; break;
    case I_V:     *n1 = in->op_size; break;
    case I_WB:    *n1 = 2; *n2 = 1; break;
    case I_MOFFS: break; /* an address: see decode_moffs() */
    case I_PTR:   *n1 = z; *n2 = 2; break;
    case I_JZ:    *n1 = mode == X86_MODE_LONG64 ? 4 : z; break;
    case I_GRP3:
        if (MODRM_REG(in->modrm) <= 1)
            *n1 = in->opcode == 0xf6 ? 1 : z;
        break;
    }
    /* 66/F2 0F 78: SSE4a EXTRQ / INSERTQ with two ib (AMD APM vol. 4). */
    if (in->opcode_map == X86_MAP_0F && in->opcode == 0x78 &&
        (in->rep_prefix == 0xf2 || (in->rep_prefix == 0 && (in->prefixes & X86_PFX_OPSIZE)))) {
        *n1 = 1;
        *n2 = 1;
    }
}

/* A0-A3: the moffs operand is an absolute offset of address size. */
static int decode_moffs(struct cursor *c, enum x86_mode mode, struct x86_insn *in)
{
    uint64_t v;
    int rc = cur_take(c, in->addr_size, &v);

    if (rc)
        return rc;
    in->disp = (int64_t)v;
    in->disp_size = in->addr_size;
    in->mem_operand = true;
    in->seg = operand_seg(in, mode);
    return 0;
}

static int decode_imm(struct cursor *c, enum x86_mode mode, struct x86_insn *in,
                      uint8_t attr)
{
    unsigned n1, n2;
    int rc;

    if ((attr & A_IMM) == I_MOFFS)
        return decode_moffs(c, mode, in);
    imm_layout(in, mode, attr, &n1, &n2);
    /* Check the whole length first: an over-long tail is EINVALID even
     * when the buffer also ends early. */
    if ((rc = cur_check(c, n1 + n2)) != 0)
        return rc;
    if ((rc = cur_take(c, n1, &in->imm)) != 0)
        return rc;
    in->imm_size = (uint8_t)n1;
    return cur_take(c, n2, &in->imm2);
}

/* ------------------------------------------------------------------ classification */

static void set_mem(struct x86_insn *in, enum x86_op op, unsigned size, uint8_t access,
                    bool dst)
{
    in->op = op;
    in->mem_size = (uint8_t)size;
    in->mem_access = access;
    in->mem_is_dst = dst;
    in->is_rmw = access == (X86_MEM_READ | X86_MEM_WRITE) && op != X86_OP_MOVS;
}

static void set_reg(struct x86_insn *in, uint8_t reg, unsigned size)
{
    in->reg = reg;
    in->reg_size = (uint8_t)size;
    in->reg_high8 = size == 1 && in->rex == 0 && reg >= 4 && reg <= 7;
}

/* The ModRM.reg operand with REX.R. */
static uint8_t modrm_gpr(const struct x86_insn *in)
{
    return MODRM_REG(in->modrm) | ((in->rex & X86_REX_R) ? 8 : 0);
}

/* An immediate operand as the CPU uses it: sign-extended to the size. */
static void set_imm_operand(struct x86_insn *in, unsigned size)
{
    in->imm = sign_extend(in->imm, in->imm_size) & size_mask(size);
}

/* 00-3F ALU r/m,r and r,r/m; 80-83 group 1 r/m,imm (SDM table A-6). */
static void classify_alu(struct x86_insn *in)
{
    uint8_t o = in->opcode;
    unsigned size = (o & 1) ? in->op_size : 1;
    bool dst = (o & 2) == 0;
    enum x86_op op;

    if (o < 0x40) {
        op = (enum x86_op)(X86_OP_ADD + (o >> 3));
        set_mem(in, op, size, (dst && op != X86_OP_CMP) ? X86_MEM_READ | X86_MEM_WRITE
                                                        : X86_MEM_READ, dst);
        set_reg(in, modrm_gpr(in), size);
        return;
    }
    size = o == 0x81 || o == 0x83 ? in->op_size : 1;
    op = (enum x86_op)(X86_OP_ADD + MODRM_REG(in->modrm));
    set_mem(in, op, size, op == X86_OP_CMP ? X86_MEM_READ : X86_MEM_READ | X86_MEM_WRITE,
            true);
    set_imm_operand(in, size);
}

/* F6/F7 group 3 and FE/FF groups 4/5: TEST, NOT, NEG, INC, DEC. */
static void classify_unary(struct x86_insn *in)
{
    static const uint8_t grp3[4] = { X86_OP_TEST, X86_OP_TEST, X86_OP_NOT, X86_OP_NEG };
    unsigned size = (in->opcode & 1) ? in->op_size : 1;
    uint8_t reg = MODRM_REG(in->modrm);
    const uint8_t rw = X86_MEM_READ | X86_MEM_WRITE;

    if (in->opcode == 0xf6 || in->opcode == 0xf7) {
        if (reg > 3)
            return; /* MUL, IMUL, DIV, IDIV */
        set_mem(in, (enum x86_op)grp3[reg], size, reg <= 1 ? X86_MEM_READ : rw, true);
        if (reg <= 1)
            set_imm_operand(in, size);
    } else if (reg <= 1) {
        set_mem(in, reg == 0 ? X86_OP_INC : X86_OP_DEC, size, rw, true);
    }
}

/* One-byte-map opcodes with a ModRM memory operand. */
static void classify_modrm1(struct x86_insn *in, enum x86_mode mode)
{
    uint8_t o = in->opcode;
    unsigned size = (o & 1) ? in->op_size : 1;
    const uint8_t rw = X86_MEM_READ | X86_MEM_WRITE;

    if ((o < 0x40 && (o & 7) < 4) || (o >= 0x80 && o <= 0x83)) {
        classify_alu(in);
    } else if (o == 0x84 || o == 0x85) {
        set_mem(in, X86_OP_TEST, size, X86_MEM_READ, true);
        set_reg(in, modrm_gpr(in), size);
    } else if (o == 0x86 || o == 0x87) {
        set_mem(in, X86_OP_XCHG, size, rw, true);
        set_reg(in, modrm_gpr(in), size);
    } else if (o == 0x88 || o == 0x89) {
        set_mem(in, X86_OP_MOV_STORE, size, X86_MEM_WRITE, true);
        set_reg(in, modrm_gpr(in), size);
    } else if (o == 0x8a || o == 0x8b) {
        set_mem(in, X86_OP_MOV_LOAD, size, X86_MEM_READ, false);
        set_reg(in, modrm_gpr(in), size);
    } else if (o == 0x63 && mode == X86_MODE_LONG64) {
        /* MOVSXD: r/m16 (66), r/m32 -> r32 / r64 */
        set_mem(in, X86_OP_MOVSX_LOAD, in->op_size == 8 ? 4 : in->op_size, X86_MEM_READ,
                false);
        set_reg(in, modrm_gpr(in), in->op_size);
    } else if ((o == 0xc6 || o == 0xc7) && MODRM_REG(in->modrm) == 0) {
        set_mem(in, X86_OP_MOV_STORE_IMM, size, X86_MEM_WRITE, true);
        set_imm_operand(in, size);
    } else if (o == 0xf6 || o == 0xf7 || o == 0xfe || o == 0xff) {
        classify_unary(in);
    }
}

/* String operand: the implicit rSI (source) or rDI (destination). */
static void set_string(struct x86_insn *in, enum x86_mode mode, bool dst)
{
    in->mem_operand = true;
    in->base = dst ? X86_REG_RDI : X86_REG_RSI;
    in->seg = dst ? X86_SEG_ES : operand_seg(in, mode);
    in->rep = in->rep_prefix != 0;
}

/* A0-AF moffs moves and string instructions; 6C-6F INS/OUTS. */
static void classify_string(struct x86_insn *in, enum x86_mode mode)
{
    uint8_t o = in->opcode;
    unsigned size = (o & 1) ? in->op_size : 1;
    unsigned io_size = size > 4 ? 4 : size;

    if (o >= 0xa0 && o <= 0xa3) {
        bool load = o <= 0xa1;
        set_mem(in, load ? X86_OP_MOV_LOAD : X86_OP_MOV_STORE, size,
                load ? X86_MEM_READ : X86_MEM_WRITE, !load);
        set_reg(in, X86_REG_RAX, size);
        return;
    }
    if ((o >= 0x6c && o <= 0x6f) || (o >= 0xa4 && o <= 0xa7) || o >= 0xaa)
        set_string(in, mode, o == 0x6c || o == 0x6d || o == 0xaa || o == 0xab ||
                             o == 0xae || o == 0xaf);
    if (o == 0xa4 || o == 0xa5) {
        set_mem(in, X86_OP_MOVS, size, X86_MEM_READ | X86_MEM_WRITE, false);
    } else if (o == 0xaa || o == 0xab) {
        set_mem(in, X86_OP_STOS, size, X86_MEM_WRITE, true);
        set_reg(in, X86_REG_RAX, size);
    } else if (o == 0xac || o == 0xad) {
        set_mem(in, X86_OP_LODS, size, X86_MEM_READ, false);
        set_reg(in, X86_REG_RAX, size);
    } else if (o == 0x6c || o == 0x6d) {
        set_mem(in, X86_OP_INS, io_size, X86_MEM_WRITE, true);
    } else if (o == 0x6e || o == 0x6f) {
        set_mem(in, X86_OP_OUTS, io_size, X86_MEM_READ, false);
    }
}

/* E4-E7 IN/OUT imm8 port, EC-EF IN/OUT DX port. */
static void classify_io(struct x86_insn *in)
{
    uint8_t o = in->opcode;
    unsigned size = (o & 1) ? (in->op_size > 4 ? 4 : in->op_size) : 1;

    in->op = (o & 2) ? X86_OP_OUT : X86_OP_IN;
    set_reg(in, X86_REG_RAX, size);
}

static void classify(struct x86_insn *in, enum x86_mode mode)
{
    uint8_t o = in->opcode;

    if (in->opcode_map == X86_MAP_0F) {
        if (in->mem_operand && (o == 0xb6 || o == 0xb7 || o == 0xbe || o == 0xbf)) {
            set_mem(in, o < 0xb8 ? X86_OP_MOVZX_LOAD : X86_OP_MOVSX_LOAD,
                    (o & 1) ? 2 : 1, X86_MEM_READ, false);
            set_reg(in, modrm_gpr(in), in->op_size);
        }
        return;
    }
    if (in->opcode_map != X86_MAP_1BYTE)
        return;
    if (in->has_modrm) {
        if (in->mem_operand)
            classify_modrm1(in, mode);
    } else if ((o >= 0xa0 && o <= 0xaf) || (o >= 0x6c && o <= 0x6f)) {
        classify_string(in, mode);
    } else if ((o >= 0xe4 && o <= 0xe7) || (o >= 0xec && o <= 0xef)) {
        classify_io(in);
    }
}

/* LOCK is legal only on the lockable opcodes with a memory destination. */
static bool lock_legal(const struct x86_insn *in)
{
    uint8_t mask;

    if (in->opcode_map == X86_MAP_0F && (in->opcode == 0x20 || in->opcode == 0x22))
        return true; /* AMD: LOCK MOV CR0 is MOV CR8 (AltMovCr8) */
    if (!in->mem_operand || !in->has_modrm)
        return false;
    if (in->opcode_map == X86_MAP_1BYTE)
        mask = lock_map1[in->opcode];
    else if (in->opcode_map == X86_MAP_0F)
        mask = lock_map0f[in->opcode];
    else
        return false;
    return (mask >> MODRM_REG(in->modrm)) & 1u;
}

/* ------------------------------------------------------------------ API */

int x86_decode(const uint8_t *bytes, size_t avail, enum x86_mode mode,
               struct x86_insn *out)
{
    struct cursor c = { .bytes = bytes, .avail = avail, .pos = 0 };
    uint8_t attr = 0;
    int rc;

    memset(out, 0, sizeof(*out));
    out->seg_override = X86_SEG_NONE;
    out->seg = X86_SEG_NONE;
    out->base = X86_REG_NONE;
    out->index = X86_REG_NONE;
    out->scale = 1;
    if ((rc = decode_prefixes(&c, mode, out)) != 0)
        return rc;
    if ((rc = decode_opcode(&c, mode, out, &attr)) != 0)
        return rc;
    if ((attr & A_MODRM) && (rc = decode_modrm(&c, mode, out, attr)) != 0)
        return rc;
    if ((rc = decode_imm(&c, mode, out, attr)) != 0)
        return rc;
    out->len = (uint8_t)c.pos;
    classify(out, mode);
    out->lock = (out->prefixes & X86_PFX_LOCK) != 0;
    if (out->lock && !lock_legal(out))
        return X86_DECODE_EINVALID;
    return 0;
}

uint64_t x86_insn_mem_offset(const struct x86_insn *in, const uint64_t gpr[16],
                             uint64_t rip)
{
    uint64_t ea = (uint64_t)in->disp;

    if (in->rip_relative)
        ea += rip + in->len;
    if (in->base != X86_REG_NONE)
        ea += gpr[in->base & 15u];
    if (in->index != X86_REG_NONE)
        ea += gpr[in->index & 15u] * in->scale;
    return ea & size_mask(in->addr_size);
}

const char *x86_op_name(enum x86_op op)
{
    static const char *const names[X86_OP_COUNT] = {
        [X86_OP_OTHER] = "other",
        [X86_OP_MOV_LOAD] = "mov_load",
        [X86_OP_MOV_STORE] = "mov_store",
        [X86_OP_MOV_STORE_IMM] = "mov_store_imm",
        [X86_OP_MOVZX_LOAD] = "movzx_load",
        [X86_OP_MOVSX_LOAD] = "movsx_load",
        [X86_OP_XCHG] = "xchg",
        [X86_OP_ADD] = "add",
        [X86_OP_OR] = "or",
        [X86_OP_ADC] = "adc",
        [X86_OP_SBB] = "sbb",
        [X86_OP_AND] = "and",
        [X86_OP_SUB] = "sub",
        [X86_OP_XOR] = "xor",
        [X86_OP_CMP] = "cmp",
        [X86_OP_TEST] = "test",
        [X86_OP_NOT] = "not",
        [X86_OP_NEG] = "neg",
        [X86_OP_INC] = "inc",
        [X86_OP_DEC] = "dec",
        [X86_OP_MOVS] = "movs",
        [X86_OP_STOS] = "stos",
        [X86_OP_LODS] = "lods",
        [X86_OP_IN] = "in",
        [X86_OP_OUT] = "out",
        [X86_OP_INS] = "ins",
        [X86_OP_OUTS] = "outs",
    };

    if ((unsigned)op >= X86_OP_COUNT || names[op] == NULL)
        return "?";
    return names[op];
}
