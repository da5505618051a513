/* SPDX-License-Identifier: MIT */
/*
 * The instruction decoder's lengths against a reference disassembler
 * (tests/unit/decode_ref.h: Zydis).  A large deterministic set goes through
 * both in every mode Keel decodes (real, 16-bit and 32-bit protected,
 * 64-bit): every opcode of the one-byte, 0F, 0F 38 and 0F 3A maps, with
 * every ModRM byte and two SIB bytes without prefixes, and with a set of
 * ModRM forms under legacy prefixes and REX combinations.  Each byte
 * string Keel decodes as an instruction must have the reference's length;
 * where Keel refuses (EINVALID, EUNSUPPORTED) nothing is compared.
 * Strings Keel accepts but the reference calls invalid are counted and a
 * few shown: not a length error (Keel is deliberately permissive on
 * undefined opcodes it never emulates), but worth a look.
 *
 * Exit 77 (ctest's SKIP_RETURN_CODE) when built without the reference.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "decode_ref.h"
#include "hv/emul/x86_decode.h"

#ifndef KEEL_HAVE_ZYDIS
int main(void)
{
    printf("test_decode_xcheck: SKIP: built without the reference disassembler "
           "(install libzydis-dev, then re-run cmake)\n");
    return 77;
}
#else

#define BUF_LEN 20u             /* more than any instruction: no EINCOMPLETE */
#define MAX_SHOWN 40u           /* mismatches printed in full */

static const char *const mode_names[4] = { "real16", "prot16", "prot32", "long64" };

struct xstats {
    unsigned long compared, mismatched, keel_only, refused;
};

static void show(const char *what, const uint8_t *b, enum x86_mode mode, int keel, int ref)
{
    fprintf(stderr, "%s %s: keel %d, reference %d:", what, mode_names[mode], keel, ref);
    for (unsigned i = 0; i < 15; i++)
        fprintf(stderr, " %02x", b[i]);
    fprintf(stderr, "\n");
}

/* Decode one buffer with both; count and report. */
static void xcheck_one(const uint8_t *b, enum x86_mode mode, struct xstats *st)
{
    struct x86_insn in;
    int rc = x86_decode(b, BUF_LEN, mode, &in);
    int ref;

    if (rc != 0) {
        st->refused++;
        return;
    }
    ref = decode_ref_len(b, BUF_LEN, mode);
    if (ref < 0) {
        if (st->keel_only++ < 8)
            show("accepted by keel only", b, mode, in.len, ref);
        return;
    }
    st->compared++;
    if (ref == (int)in.len)
        return;
    if (st->mismatched++ < MAX_SHOWN)
        show("LENGTH MISMATCH", b, mode, in.len, ref);
}

/* Writes prefixes + opcode bytes of `op` (map-encoded: 0x0000xx one byte,
 * 0x0f00xx, 0x0f38xx, 0x0f3axx) + modrm + sib + a filler tail. */
static void build(uint8_t *b, const uint8_t *pfx, unsigned npfx, uint32_t op,
                  uint8_t modrm, uint8_t sib)
{
    unsigned n = 0;

    if (npfx)
        memcpy(b, pfx, npfx);
    n = npfx;
    if (op >> 16) {
        b[n++] = 0x0f;
        if ((op >> 8 & 0xff) != 0)
            b[n++] = (uint8_t)(op >> 8);
    }
    b[n++] = (uint8_t)op;
    b[n++] = modrm;
    b[n++] = sib;
    /* The tail: displacement / immediate bytes; never a valid prefix, so
     * a wrong length cannot hide behind a byte that happens to fit. */
    for (uint8_t v = 0x11; n < BUF_LEN; v = (uint8_t)(v + 0x11))
        b[n++] = v;
}

static uint32_t opcode_at(unsigned map, unsigned i)
{
    static const uint32_t map_base[4] = { 0x000000, 0x0f0000, 0x0f3800, 0x0f3a00 };

    return map_base[map] | i;
}

/* Every opcode of every map with every ModRM byte and two SIB forms
 * (register base; no base with disp32), no prefixes. */
static void xcheck_all_modrm(enum x86_mode mode, struct xstats *st)
{
    static const uint8_t sibs[2] = { 0x00, 0x25 };
    uint8_t b[BUF_LEN];

    for (unsigned map = 0; map < 4; map++)
        for (unsigned i = 0; i < 256; i++)
            for (unsigned m = 0; m < 256; m++)
                for (unsigned s = 0; s < 2; s++) {
                    build(b, NULL, 0, opcode_at(map, i), (uint8_t)m, sibs[s]);
                    xcheck_one(b, mode, st);
                }
}

/* ModRM forms that select each displacement size and the SIB/RIP paths,
 * with /0 /1 /7 in reg (group opcodes differ by reg: F6/F7 /0 take an
 * immediate, /2 does not). */
static const uint8_t modrm_forms[] = {
    0x00, 0x04, 0x05, 0x06, 0x0c, 0x14, 0x3d, 0x44, 0x45, 0x46, 0x84, 0x85,
    0x86, 0xc0, 0xc8, 0xd0, 0xf8, 0xff,
};

/* Prefix sequences: each legacy prefix, pairs, repeats; REX (64-bit mode
 * only: elsewhere 40-4F are INC/DEC opcodes) before the opcode and before
 * a legacy prefix (where it is ignored, SDM 2.2.1). */
static const struct {
    uint8_t n, b[4];
} prefix_sets[] = {
    {1, {0x66}}, {1, {0x67}}, {1, {0xf2}}, {1, {0xf3}}, {1, {0xf0}}, {1, {0x2e}},
    {1, {0x64}}, {2, {0x66, 0x67}}, {2, {0x66, 0xf2}}, {2, {0x66, 0xf3}},
    {2, {0xf3, 0x66}}, {3, {0x66, 0x66, 0x67}}, {2, {0xf0, 0x66}},
    {1, {0x40}}, {1, {0x41}}, {1, {0x44}}, {1, {0x48}}, {1, {0x4f}},
    {2, {0x66, 0x48}}, {2, {0x48, 0x66}}, {2, {0x67, 0x41}}, {3, {0x66, 0x4c, 0x41}},
    {2, {0xf3, 0x48}}, {2, {0xf2, 0x48}},
};

static void xcheck_prefixed(enum x86_mode mode, struct xstats *st)
{
    uint8_t b[BUF_LEN];

    for (unsigned p = 0; p < sizeof(prefix_sets) / sizeof(prefix_sets[0]); p++) {
        if (mode != X86_MODE_LONG64 && (prefix_sets[p].b[prefix_sets[p].n - 1] & 0xf0) == 0x40)
            continue;
        for (unsigned map = 0; map < 4; map++)
            for (unsigned i = 0; i < 256; i++)
                for (unsigned m = 0; m < sizeof(modrm_forms); m++)
                    for (unsigned s = 0; s < 2; s++) {
                        build(b, prefix_sets[p].b, prefix_sets[p].n, opcode_at(map, i),
                              modrm_forms[m], s ? 0x25 : 0x05);
                        xcheck_one(b, mode, st);
                    }
    }
}

/* A prefix run that pushes an instruction over 15 bytes: both must agree
 * where the limit falls (lengths 13, 14, 15 accepted, 16 refused by Keel). */
static void xcheck_long(enum x86_mode mode, struct xstats *st)
{
    uint8_t b[BUF_LEN];
    /* 81 /0 with [disp32] (64-bit: [rip+disp32]) and an imm32: 10 bytes
     * in 32/64-bit addressing; pad with 2E prefixes. */
    uint8_t pfx[8];

    memset(pfx, 0x2e, sizeof(pfx));
    for (unsigned pad = 0; pad <= sizeof(pfx); pad++) {
        build(b, pfx, pad, 0x81, 0x05, 0x11);
        xcheck_one(b, mode, st);
    }
}

int main(void)
{
    for (unsigned m = 0; m < 4; m++) {
        enum x86_mode mode = (enum x86_mode)m;
        struct xstats st = {0};

        CHECK(decode_ref_decoder(mode) != NULL);
        xcheck_all_modrm(mode, &st);
        xcheck_prefixed(mode, &st);
        xcheck_long(mode, &st);
        printf("%s: %lu lengths compared, %lu mismatched; %lu accepted by keel only, "
               "%lu refused by keel\n", mode_names[m], st.compared, st.mismatched,
               st.keel_only, st.refused);
        /* A set that compares nothing proves nothing. */
        CHECK(st.compared > 100000);
        CHECK_EQ(st.mismatched, 0);
    }
    return check_report("test_decode_xcheck");
}
#endif /* KEEL_HAVE_ZYDIS */
