/* SPDX-License-Identifier: MIT */
/* The built-in default guest (guest/hello), linked into keel.efi so that
 * keel.efi boots something useful on its own: `guest = builtin`. */
    .section .rodata
    .balign 4096
    .globl keel_builtin_guest, keel_builtin_guest_end
keel_builtin_guest:
    .incbin KEEL_BUILTIN_GUEST
keel_builtin_guest_end:

    .section .note.GNU-stack, "", @progbits
