/* SPDX-License-Identifier: MIT */
/*
 * XSETBV (SDM vol. 2C "XSETBV"; APM vol. 3 "XSETBV").  VMX exits on every
 * XSETBV (SDM 26.1.2, basic reason 55); SVM exits on it with the XSETBV
 * intercept (APM 15.9, exit code 0x8D).  The value is checked against
 * what Keel offers (hv/emul/xsave.c) and becomes the guest's XCR0
 * (hv/host/fpu.c).  Faults the CPU may already have raised before the exit
 * (#UD for CR4.OSXSAVE=0, #GP at CPL>0, SDM 26.1.1) are checked again: the
 * order of checks and exit is not the same on every CPU and emulator.
 */
#include "hv/emul/handlers.h"
#include "hv/emul/xsave.h"
#include "hv/host/console.h"
#include "hv/host/fpu.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

int handle_xsetbv(struct vcpu *v, const struct exit_record *e)
{
    uint32_t xcr = (uint32_t)v->gpr[GPR_RCX];
    uint64_t val = (v->gpr[GPR_RDX] << 32) | (uint32_t)v->gpr[GPR_RAX];
    bool osxsave = vops->get_cr(v, 4) & CR4_OSXSAVE;
    switch (xsetbv_check(osxsave, vops->cpl(v), xcr, val, fpu_xcr0_offered())) {
    case XSETBV_UD:
        vcpu_inject_ud(v);
        return 0;
    case XSETBV_GP:
        log_debug("vm%u vCPU %u: xsetbv %u <- %#lx: #GP", v->vm->index, v->index, xcr,
                  (unsigned long)val);
        vcpu_inject_gp(v);
        return 0;
    case XSETBV_OK:
        break;
    }
    fpu_set_guest_xcr0(v, val);
    return vcpu_skip_insn(v, e);
}
