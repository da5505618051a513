/* SPDX-License-Identifier: MIT */
/*
 * hv/emul/x86_decode.c: the bytes at a guest's RIP are the guest's to
 * choose.  Input: the mode (first byte, low 2 bits), then up to 20
 * instruction bytes.  Invariants:
 *   - every buffer is a heap copy of exactly the bytes offered, so reading
 *     past them is an ASan report;
 *   - a decoded instruction is 1..15 bytes and fits the buffer;
 *   - decoding is prefix-closed: the same bytes cut before its end give
 *     EINCOMPLETE, and any longer buffer gives the same instruction;
 *   - the fields are in range (sizes, registers, scale, REX only in 64-bit
 *     mode, a classified op has its memory operand), and the effective
 *     address is truncated to the address size;
 *   - built with the reference disassembler (KEEL_HAVE_ZYDIS,
 *     tests/unit/decode_ref.h): an instruction Keel decodes has the
 *     reference's length, in every mode, unless the reference refuses it
 *     (Keel accepts some undefined opcodes it never emulates).
 */
#include "decode_ref.h"
#include "fuzz.h"
#include "hv/emul/x86_decode.h"

#define MAX_BYTES 20u

static int decode_copy(const uint8_t *bytes, size_t n, enum x86_mode mode, struct x86_insn *out)
{
    uint8_t *copy = malloc(n ? n : 1);
    int rc;

    memcpy(copy, bytes, n);
    rc = x86_decode(copy, n, mode, out);
    free(copy);
    return rc;
}

static bool size_ok(unsigned s, bool allow1)
{
    return (allow1 && s == 1) || s == 2 || s == 4 || s == 8;
}

static void check_fields(const struct x86_insn *in, enum x86_mode mode)
{
    uint64_t gpr[16], ea;

    FUZZ_ASSERT(in->op < X86_OP_COUNT && strcmp(x86_op_name(in->op), "?") != 0);
    FUZZ_ASSERT(size_ok(in->op_size, false) && size_ok(in->addr_size, false));
    FUZZ_ASSERT(mode == X86_MODE_LONG64 || (in->rex == 0 && in->op_size != 8 &&
                                            in->addr_size != 8 && !in->rip_relative));
    FUZZ_ASSERT(in->scale == 1 || in->scale == 2 || in->scale == 4 || in->scale == 8);
    FUZZ_ASSERT(in->base == X86_REG_NONE || in->base < 16);
    FUZZ_ASSERT(in->index == X86_REG_NONE || in->index < 16);
    FUZZ_ASSERT(!in->lock || (in->prefixes & X86_PFX_LOCK));
    FUZZ_ASSERT(in->imm_size == 0 || size_ok(in->imm_size, true));
    FUZZ_ASSERT(!in->has_sib || in->has_modrm);
    FUZZ_ASSERT(!in->has_modrm || !in->mem_operand || (in->modrm >> 6) != 3);
    if (in->op != X86_OP_OTHER && in->op != X86_OP_IN && in->op != X86_OP_OUT) {
        FUZZ_ASSERT(in->mem_operand && in->mem_access != 0);
        FUZZ_ASSERT(size_ok(in->mem_size, true));
    }
    if (in->reg_size) {
        FUZZ_ASSERT(size_ok(in->reg_size, true) && in->reg < 16);
        FUZZ_ASSERT(!in->reg_high8 || (in->reg_size == 1 && in->rex == 0));
    }
    if (in->mem_operand) {
        for (unsigned i = 0; i < 16; i++)
            gpr[i] = 0x8877665544332211ull * (i + 1);
        ea = x86_insn_mem_offset(in, gpr, 0xfffffffffffffff0ull);
        FUZZ_ASSERT(in->addr_size == 8 || ea >> (8 * in->addr_size) == 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    enum x86_mode mode;
    struct x86_insn full, part;
    const uint8_t *bytes;
    size_t n;
    int rc;

    if (size < 1)
        return 0;
    mode = (enum x86_mode)(data[0] & 3u);
    bytes = data + 1;
    n = size - 1 < MAX_BYTES ? size - 1 : MAX_BYTES;
    rc = decode_copy(bytes, n, mode, &full);
    FUZZ_ASSERT(rc == 0 || rc == X86_DECODE_EINCOMPLETE || rc == X86_DECODE_EINVALID ||
                rc == X86_DECODE_EUNSUPPORTED);
    FUZZ_ASSERT(rc != X86_DECODE_EINCOMPLETE || n < X86_MAX_INSN_LEN);
    if (rc != 0)
        return 0;
    FUZZ_ASSERT(full.len >= 1 && full.len <= X86_MAX_INSN_LEN && full.len <= n);
    check_fields(&full, mode);
#ifdef KEEL_HAVE_ZYDIS
    {
        int ref = decode_ref_len(bytes, n, mode);

        FUZZ_ASSERT(ref == DECODE_REF_INVALID || ref == (int)full.len);
    }
#endif
    for (size_t k = 0; k < n; k++) {
        int r = decode_copy(bytes, k, mode, &part);

        if (k < full.len) {
            FUZZ_ASSERT(r == X86_DECODE_EINCOMPLETE);
        } else {
            FUZZ_ASSERT(r == 0);
            FUZZ_ASSERT(memcmp(&part, &full, sizeof(full)) == 0);
        }
    }
    return 0;
}
