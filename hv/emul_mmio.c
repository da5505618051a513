/* SPDX-License-Identifier: MIT */
/*
 * Nested page faults.  RAM is always mapped, so a fault is an access to a
 * guest-physical address with nothing behind it.  Such an address behaves
 * like an open bus: loads return all-ones, stores are dropped.  The faulting
 * instruction is decoded (no decode assists under QEMU) and emulated; each
 * page is logged once per VM.
 */
#include "hv/console.h"
#include "hv/handlers.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "hv/x86_decode.h"

static void openbus_log_once(struct vcpu *v, uint64_t gpa, bool write)
{
    struct vm *vm = v->vm;
    uint64_t page = gpa >> 12;
    spin_lock(&vm->lock);
    bool seen = false;
    for (unsigned i = 0; i < vm->openbus_nlogged && !seen; i++)
        seen = vm->openbus_logged[i] == page;
    if (!seen && vm->openbus_nlogged < VM_OPENBUS_LOG_PAGES)
        vm->openbus_logged[vm->openbus_nlogged++] = page;
    spin_unlock(&vm->lock);
    if (!seen)
        log_info("vm%u: vCPU %u %s unbacked guest-physical page %#lx (open bus: reads all-ones, "
                 "writes dropped)", vm->index, v->index, write ? "wrote to" : "read from",
                 (unsigned long)(page << 12));
}

/* Write a loaded value into a GPR with x86 partial-register rules: 8- and
 * 16-bit results merge, 32-bit results zero-extend (SDM 3.4.1.1). */
static void set_gpr_sized(struct vcpu *v, const struct x86_insn *in, uint64_t val)
{
    uint64_t *r = &v->gpr[in->reg_high8 ? in->reg - 4 : in->reg];
    switch (in->reg_size) {
    case 1:
        if (in->reg_high8)
            *r = (*r & ~0xff00ull) | ((val & 0xff) << 8);
        else
            *r = (*r & ~0xffull) | (val & 0xff);
        break;
    case 2:
        *r = (*r & ~0xffffull) | (val & 0xffff);
        break;
    case 4:
        *r = (uint32_t)val;
        break;
    default:
        *r = val;
        break;
    }
}

static uint64_t ones(unsigned size)
{
    return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t sign_extend(uint64_t v, unsigned size)
{
    unsigned sh = 64 - 8 * size;
    return (uint64_t)((int64_t)(v << sh) >> sh);
}

static int openbus_emulate(struct vcpu *v, const struct x86_insn *in)
{
    switch (in->op) {
    case X86_OP_MOV_LOAD:
    case X86_OP_MOVZX_LOAD:
        set_gpr_sized(v, in, ones(in->mem_size));
        return 0;
    case X86_OP_MOVSX_LOAD:
        set_gpr_sized(v, in, sign_extend(ones(in->mem_size), in->mem_size));
        return 0;
    case X86_OP_MOV_STORE:
    case X86_OP_MOV_STORE_IMM:
        return 0;
    case X86_OP_XCHG:
        /* The register receives what the bus returned; the store is lost. */
        set_gpr_sized(v, in, ones(in->mem_size));
        return 0;
    default:
        return vm_stop_fault(v, "unsupported instruction (%s) on unbacked guest-physical memory",
                             x86_op_name(in->op));
    }
}

int handle_npf(struct vcpu *v, const struct exit_record *e)
{
    const struct exit_npf *f = &e->npf;
    if (vm_gpa_is_ram(v->vm, f->gpa, 1))
        return vm_stop_fault(v, "nested page fault on guest RAM at %#lx (info %#lx)",
                             (unsigned long)f->gpa, (unsigned long)e->info1);
    if (f->fetch)
        return vm_stop_fault(v, "instruction fetch from unbacked guest-physical %#lx",
                             (unsigned long)f->gpa);
    struct x86_insn in;
    if (vcpu_decode_at_rip(v, &in))
        return 0; /* a fault was injected, or the VM was stopped */
    openbus_log_once(v, f->gpa, f->write);
    if (openbus_emulate(v, &in))
        return -1;
    v->rip += in.len;
    if (vops->cpu_mode(v) != X86_MODE_LONG64)
        v->rip &= 0xffffffffu;
    return 0;
}
