/* SPDX-License-Identifier: MIT */
/*
 * The VMX instructions.  Each reports its failure (SDM 30.2, "Conventions":
 * VMfailInvalid sets CF, VMfailValid sets ZF and the VM-instruction error
 * field says why) with the instruction, the field and the caller.
 */
#include <stdint.h>

#include "hv/host/console.h"
#include "vmx/vmcs.h"
#include "vmx/vmx.h"

/* 0 success, 1 VMfailInvalid, 2 VMfailValid. */
#define VMX_RESULT(insn, ...) ({ \
    uint8_t cf_, zf_; \
    __asm__ volatile(insn "; setc %0; setz %1" : "=qm"(cf_), "=qm"(zf_) : __VA_ARGS__ \
                     : "cc", "memory"); \
    cf_ ? 1 : zf_ ? 2 : 0; })

static void vmx_report(const char *what, int r, uint64_t arg, const char *caller)
{
    if (r == 1) {
        log_err("vmx: %s %#lx failed (VMfailInvalid) in %s", what, (unsigned long)arg, caller);
        return;
    }
    uint64_t err = 0;
    __asm__ volatile("vmread %1, %0" : "=r"(err) : "r"((uint64_t)VMCS_INSTR_ERROR) : "cc");
    log_err("vmx: %s %#lx failed in %s: error %lu (%s)", what, (unsigned long)arg, caller,
            (unsigned long)err, vmx_instruction_error_name((unsigned)err));
}

int vmx_on(uint64_t pa)
{
    int r = VMX_RESULT("vmxon %2", "m"(pa));
    if (r)
        vmx_report("VMXON", r, pa, "vmx_cpu_enable");
    return r ? -1 : 0;
}

int vmx_clear(uint64_t pa, const char *caller)
{
    int r = VMX_RESULT("vmclear %2", "m"(pa));
    if (r)
        vmx_report("VMCLEAR", r, pa, caller);
    return r ? -1 : 0;
}

int vmx_ptrld(uint64_t pa, const char *caller)
{
    int r = VMX_RESULT("vmptrld %2", "m"(pa));
    if (r)
        vmx_report("VMPTRLD", r, pa, caller);
    return r ? -1 : 0;
}

struct invept_desc {
    uint64_t eptp, reserved;
};

int vmx_invept_single(uint64_t eptp)
{
    struct invept_desc d = { eptp, 0 };
    int r = VMX_RESULT("invept %2, %3", "m"(d), "r"((uint64_t)VMX_INVEPT_SINGLE));
    if (r)
        vmx_report("INVEPT", r, eptp, "vmx_invept_single");
    return r ? -1 : 0;
}

int vmx_invept_all(void)
{
    struct invept_desc d = { 0, 0 };
    int r = VMX_RESULT("invept %2, %3", "m"(d), "r"((uint64_t)VMX_INVEPT_ALL));
    if (r)
        vmx_report("INVEPT", r, 0, "vmx_invept_all");
    return r ? -1 : 0;
}

uint64_t vmcs_read_raw(uint32_t field)
{
    uint64_t v = 0;
    uint8_t cf, zf;
    __asm__ volatile("vmread %3, %0; setc %1; setz %2"
                     : "=r"(v), "=qm"(cf), "=qm"(zf) : "r"((uint64_t)field) : "cc");
    if (cf || zf)
        vmx_report("VMREAD of field", cf ? 1 : 2, field, "vmcs_read_raw");
    return v;
}

int vmcs_write_raw(uint32_t field, uint64_t value, const char *caller)
{
    int r = VMX_RESULT("vmwrite %2, %3", "r"(value), "r"((uint64_t)field));
    if (r) {
        vmx_report("VMWRITE of field", r, field, caller);
        return -1;
    }
    return 0;
}
