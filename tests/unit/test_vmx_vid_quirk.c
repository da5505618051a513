/* SPDX-License-Identifier: MIT */
/*
 * Host unit tests for vmx/vmx_vid_quirk.h: the workaround is chosen only
 * for virtual-interrupt delivery without posted interrupts, and an entry
 * holds a virtual interrupt back (interrupt-window exiting) exactly when
 * the CPU would recognize one (RVI's priority class above VPPR's, SDM
 * 30.2.1) that the guest cannot take (IF = 0 or an STI / MOV SS shadow).
 */
#include "check.h"
#include "vmx/vmx_vid_quirk.h"

static void test_quirk_choice(void)
{
    CHECK(vmx_vid_quirk(true, false));  /* Bochs 2.7 */
    CHECK(!vmx_vid_quirk(true, true));  /* every Intel CPU with APICv */
    CHECK(!vmx_vid_quirk(false, false)); /* no VID: nothing to work around */
}

static void test_nothing_recognized(void)
{
    /* Whatever IF and the shadow say, nothing waits when RVI's class does
     * not exceed VPPR's: no vector, the same class, a lower class. */
    for (unsigned b = 0; b < 4; b++) {
        bool rif = b & 1, shadow = b & 2;
        CHECK(!vmx_vid_held_back(0x00, 0x00, rif, shadow));
        CHECK(!vmx_vid_held_back(0x3f, 0x30, rif, shadow));
        CHECK(!vmx_vid_held_back(0x41, 0x50, rif, shadow));
        CHECK(!vmx_vid_held_back(0xfb, 0xf0, rif, shadow));
    }
    /* Only VPPR[7:4] counts, not its low bits nor bits above 7. */
    CHECK(!vmx_vid_held_back(0x4f, 0x4f, false, false));
    CHECK(vmx_vid_held_back(0x50, 0x4f, false, false));
    CHECK(vmx_vid_held_back(0x50, 0x100u | 0x40u, false, false));
}

static void test_recognized(void)
{
    /* The function-call IPI above an idle VPPR, and above a handler's class. */
    const uint8_t rvi[] = { 0xfb, 0xfb, 0x31 };
    const uint32_t vppr[] = { 0x00, 0xe0, 0x20 };
    for (unsigned i = 0; i < 3; i++) {
        CHECK(vmx_vid_held_back(rvi[i], vppr[i], false, false)); /* IF = 0 */
        CHECK(vmx_vid_held_back(rvi[i], vppr[i], false, true));
        CHECK(vmx_vid_held_back(rvi[i], vppr[i], true, true));   /* STI / MOV SS shadow */
        CHECK(!vmx_vid_held_back(rvi[i], vppr[i], true, false)); /* deliverable at entry */
    }
}

int main(void)
{
    test_quirk_choice();
    test_nothing_recognized();
    test_recognized();
    return check_report("test_vmx_vid_quirk");
}
