/* SPDX-License-Identifier: MIT */
/*
 * The decisions of Keel's workaround for Bochs 2.7 delivering pending
 * virtual interrupts to a guest with RFLAGS.IF = 0 (docs/platforms.md;
 * applied by vmx/vmx_apicv.c), pure for the host tests
 * (tests/unit/test_vmx_vid_quirk.c).  SDM numbering as in vmx_apicv.c
 * (vol. 3C chapter 30, 2023 editions).
 */
#ifndef KEEL_VMX_VID_QUIRK_H
#define KEEL_VMX_VID_QUIRK_H

#include <stdbool.h>
#include <stdint.h>

/* Whether to work around it: virtual-interrupt delivery without posted
 * interrupts.  No Intel CPU has one without the other; Bochs 2.7 does. */
static inline bool vmx_vid_quirk(bool virt_intr_delivery, bool posted_intr)
{
    return virt_intr_delivery && !posted_intr;
}

/* Whether an entry with these RVI and VPPR would leave a virtual interrupt
 * recognized (RVI[7:4] > VPPR[7:4], SDM 30.2.1) that the guest cannot take
 * yet: RFLAGS.IF = 0 or blocking by STI / MOV SS (SDM 30.2.2).  Such a one
 * waits behind interrupt-window exiting, with which the CPU delivers none. */
static inline bool vmx_vid_held_back(uint8_t rvi, uint32_t vppr, bool rflags_if, bool shadow)
{
    if ((rvi >> 4) <= ((vppr >> 4) & 0xfu))
        return false;
    return !rflags_if || shadow;
}

#endif
