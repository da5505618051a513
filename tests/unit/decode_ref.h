/* SPDX-License-Identifier: MIT */
/*
 * The reference disassembler the instruction decoder (hv/emul/x86_decode.c)
 * is cross-checked against: Zydis 4 (Debian's libzydis-dev), used only for
 * the length of one instruction.  Shared by tests/unit/test_decode_xcheck.c
 * and tests/fuzz/fuzz_x86_decode.c; compiled in only with
 * KEEL_HAVE_ZYDIS (CMake defines it when it finds the library).
 *
 * Zydis runs with its defaults, which are the vendor choices Keel's decoder
 * documents in x86_decode.h: Intel near branches in 64-bit mode (66h does
 * not shorten a rel32), no KNC, MPX/CET/LZCNT/TZCNT forms decoded as such
 * (they never change a length).
 */
#ifndef KEEL_TESTS_DECODE_REF_H
#define KEEL_TESTS_DECODE_REF_H

#include <stddef.h>
#include <stdint.h>

#include "hv/emul/x86_decode.h"

/* decode_ref_len(): the reference's answer. */
#define DECODE_REF_INVALID    (-1) /* not an instruction (#UD, > 15 bytes, ...) */
#define DECODE_REF_INCOMPLETE (-2) /* needs more bytes than given */

#ifdef KEEL_HAVE_ZYDIS
#include <Zydis/Zydis.h>

/* The decoder for a mode; Zydis' machine modes line up with x86_mode as:
 * real mode, 16-bit protected (legacy), 32-bit protected (legacy), long. */
static inline const ZydisDecoder *decode_ref_decoder(enum x86_mode mode)
{
    static ZydisDecoder dec[4];
    static int ready;
    static const ZydisMachineMode mm[4] = {
        [X86_MODE_REAL16] = ZYDIS_MACHINE_MODE_REAL_16,
        [X86_MODE_PROT16] = ZYDIS_MACHINE_MODE_LEGACY_16,
        [X86_MODE_PROT32] = ZYDIS_MACHINE_MODE_LEGACY_32,
        [X86_MODE_LONG64] = ZYDIS_MACHINE_MODE_LONG_64,
    };
    static const ZydisStackWidth sw[4] = {
        [X86_MODE_REAL16] = ZYDIS_STACK_WIDTH_16,
        [X86_MODE_PROT16] = ZYDIS_STACK_WIDTH_16,
        [X86_MODE_PROT32] = ZYDIS_STACK_WIDTH_32,
        [X86_MODE_LONG64] = ZYDIS_STACK_WIDTH_64,
    };

    if (!ready) {
        for (unsigned m = 0; m < 4; m++)
            if (!ZYAN_SUCCESS(ZydisDecoderInit(&dec[m], mm[m], sw[m])))
                return NULL;
        ready = 1;
    }
    return &dec[mode & 3u];
}

/* Length of the instruction at bytes[0..n) in mode, or DECODE_REF_*. */
static inline int decode_ref_len(const uint8_t *bytes, size_t n, enum x86_mode mode)
{
    const ZydisDecoder *d = decode_ref_decoder(mode);
    ZydisDecodedInstruction insn;
    ZyanStatus s;

    if (d == NULL)
        return DECODE_REF_INVALID;
    s = ZydisDecoderDecodeInstruction(d, ZYAN_NULL, bytes, n, &insn);
    if (s == ZYDIS_STATUS_NO_MORE_DATA)
        return DECODE_REF_INCOMPLETE;
    if (!ZYAN_SUCCESS(s))
        return DECODE_REF_INVALID;
    return insn.length;
}
#endif /* KEEL_HAVE_ZYDIS */

#endif /* KEEL_TESTS_DECODE_REF_H */
