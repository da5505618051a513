/* SPDX-License-Identifier: MIT */
/*
 * Nested page faults.  RAM is always mapped, so a fault is an access to a
 * device (this vCPU's local APIC page, the I/O APIC, ...) or to a
 * guest-physical address with nothing behind it, which behaves like an open
 * bus: loads return all-ones, stores are dropped (each such page is logged
 * once per VM).  The faulting instruction is decoded (no decode assists
 * under QEMU) and emulated against the device.
 */
#include "hv/host/console.h"
#include "hv/emul/handlers.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "hv/emul/x86_decode.h"

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

/* Value of the register operand of a store, at the store's size. */
static uint64_t store_value(const struct vcpu *v, const struct x86_insn *in)
{
    if (in->op == X86_OP_MOV_STORE_IMM)
        return in->imm;
    uint64_t r = v->gpr[in->reg_high8 ? in->reg - 4 : in->reg];
    if (in->reg_high8)
        r >>= 8;
    return r & ones(in->mem_size);
}

/* Emulates one decoded instruction against an MMIO target (a device, or
 * the open bus when rd/wr are NULL).  MOV forms and XCHG cover what OSes do
 * to device registers; anything else stops the VM with the reason. */
static int mmio_emulate(struct vcpu *v, const struct x86_insn *in, uint64_t gpa,
                        const struct bus_range *dev)
{
    uint64_t val;
    switch (in->op) {
    case X86_OP_MOV_LOAD:
    case X86_OP_MOVZX_LOAD:
    case X86_OP_MOVSX_LOAD:
    case X86_OP_XCHG:
        val = dev ? dev->read(dev->dev, v, gpa, in->mem_size) & ones(in->mem_size)
                  : ones(in->mem_size);
        if (in->op == X86_OP_XCHG && dev)
            dev->write(dev->dev, v, gpa, in->mem_size, store_value(v, in));
        if (in->op == X86_OP_MOVSX_LOAD)
            val = sign_extend(val, in->mem_size);
        set_gpr_sized(v, in, val);
        return 0;
    case X86_OP_MOV_STORE:
    case X86_OP_MOV_STORE_IMM:
        if (dev)
            dev->write(dev->dev, v, gpa, in->mem_size, store_value(v, in));
        return 0;
    default:
        return vm_stop_fault(v, "unsupported instruction (%s) on %s at %#lx", x86_op_name(in->op),
                             dev ? dev->name : "unbacked guest-physical memory",
                             (unsigned long)gpa);
    }
}

/* RAM under another vCPU's xAPIC page (hv/vapic.c): emulated accesses go
 * to the RAM. */
static uint64_t ram_read(void *dev, struct vcpu *v, uint64_t gpa, unsigned size)
{
    uint64_t val = 0;
    vm_read_phys(v->vm, gpa, &val, size);
    return val;
}

static void ram_write(void *dev, struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val)
{
    vm_write_phys(v->vm, gpa, &val, size);
}

static const struct bus_range ram_under_apic = {
    .read = ram_read, .write = ram_write, .name = "RAM under an xAPIC page",
};

int handle_npf(struct vcpu *v, const struct exit_record *e)
{
    const struct exit_npf *f = &e->npf;
    const struct bus_range *dev = vcpu_find_mmio(v, f->gpa);
    /* Whether RAM is there matters only without a device, or for a fetch
     * or walk (the stops below): not for a device's read or write. */
    bool ram = (!dev || f->fetch || f->walk) && vm_gpa_is_ram(v->vm, f->gpa, 1);
    if (ram && !dev)
        dev = &ram_under_apic;
    if (ram && (f->fetch || f->walk))
        return vm_stop_fault(v, "%s an xAPIC page over RAM at %#lx (unsupported)",
                             f->fetch ? "instruction fetch from" : "page-table walk through",
                             (unsigned long)f->gpa);
    if (f->fetch)
        return vm_stop_fault(v, "instruction fetch from unbacked guest-physical %#lx",
                             (unsigned long)f->gpa);
    if (f->walk)
        return vm_stop_fault(v, "page-table walk or event delivery through device memory at "
                             "guest-physical %#lx (unsupported)", (unsigned long)f->gpa);
    struct x86_insn scratch;
    const struct x86_insn *in = vcpu_decode_at_rip_ref(v, &scratch);
    if (!in)
        return 0; /* a fault was injected, or the VM was stopped */
    if (!dev)
        openbus_log_once(v, f->gpa, f->write);
    if (mmio_emulate(v, in, f->gpa, dev))
        return -1;
    vcpu_advance_rip(v, in->len);
    return 0;
}
