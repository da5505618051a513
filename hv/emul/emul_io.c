/* SPDX-License-Identifier: MIT */
/*
 * Intercepted port I/O, routed to the device that claims the port on the
 * VM's bus (hv/dev/iobus.c); a port nothing claims behaves as on an empty PC
 * bus, reading all-ones and ignoring writes.
 * String I/O (INS/OUTS, with or without REP) moves its data through guest
 * virtual memory like the CPU would, so guests see correct RDI/RSI/RCX.
 */
#include <string.h>

#include "hv/host/console.h"
#include "hv/emul/handlers.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"
#include "hv/emul/x86_decode.h"

/* Iterations done per exit for REP INS/OUTS; the rest resumes on the next
 * entry (RIP stays on the instruction, as after an interrupt, SDM "REP"). */
#define IO_REP_BATCH 4096u

/* Unbacked ports read all ones and ignore writes: pure either way. */
static uint32_t io_port_read(struct vcpu *v, uint16_t port, unsigned size)
{
    const struct bus_range *r = iobus_find_port_hint(&v->vm->bus, port, &v->io_hint);
    uint32_t ones = size == 4 ? 0xffffffffu : size == 2 ? 0xffffu : 0xffu;
    v->exit_pure = !r || (r->pure & IOBUS_PURE_READ);
    return r ? (uint32_t)r->read(r->dev, v, port, size) & ones : ones;
}

static void io_port_write(struct vcpu *v, uint16_t port, unsigned size, uint32_t val)
{
    const struct bus_range *r = iobus_find_port_hint(&v->vm->bus, port, &v->io_hint);
    v->exit_pure = !r || (r->pure & IOBUS_PURE_WRITE);
    if (r)
        r->write(r->dev, v, port, size, val);
}

static uint64_t addr_mask(unsigned addr_size)
{
    return addr_size == 8 ? ~0ull : addr_size == 4 ? 0xffffffffull : 0xffffull;
}

/* String I/O takes its address size, segment and REP from the decoded
 * instruction rather than from EXITINFO1: QEMU 7.2 reports the address
 * size one bit too high (a 64-bit RDI shows up as bit 10, which is the
 * segment field on real CPUs), and the decode is exact on every CPU. */
static int io_string(struct vcpu *v, const struct exit_record *e)
{
    const struct exit_io *io = &e->io;
    struct x86_insn in;
    if (vcpu_decode_at_rip(v, &in))
        return 0; /* fault injected or VM stopped */
    if (in.op != X86_OP_INS && in.op != X86_OP_OUTS)
        return vm_stop_fault(v, "string I/O exit, but the instruction is %s", x86_op_name(in.op));
    uint64_t mask = addr_mask(in.addr_size);
    uint64_t count = in.rep ? (v->gpr[GPR_RCX] & mask) : 1;
    unsigned idx = io->in ? GPR_RDI : GPR_RSI;
    unsigned seg = io->in ? X86_SEG_ES : in.seg;
    int64_t step = (v->rflags & RFLAGS_DF) ? -(int64_t)io->size : (int64_t)io->size;
    uint64_t base = vops->cpu_mode(v) == X86_MODE_LONG64 && seg < X86_SEG_FS ? 0
                    : vops->seg_base(v, seg);
    uint64_t done = 0;
    for (; done < count && done < IO_REP_BATCH; done++) {
        uint64_t off = v->gpr[idx] & mask;
        uint32_t val = 0;
        if (io->in) {
            val = io_port_read(v, io->port, io->size);
            if (vcpu_write_virt(v, base + off, &val, io->size))
                return 0; /* fault injected; registers reflect the iterations done */
        } else {
            if (vcpu_read_virt(v, base + off, &val, io->size, 0))
                return 0;
            io_port_write(v, io->port, io->size, val);
        }
        v->gpr[idx] = (v->gpr[idx] & ~mask) | ((off + (uint64_t)step) & mask);
        if (in.rep)
            v->gpr[GPR_RCX] = (v->gpr[GPR_RCX] & ~mask) | ((v->gpr[GPR_RCX] - 1) & mask);
    }
    if (done < count)
        return 0; /* not finished: re-execute the instruction */
    v->rip += in.len;
    return 0;
}

int handle_io(struct vcpu *v, const struct exit_record *e)
{
    const struct exit_io *io = &e->io;
    if (io->string) {
        int r = io_string(v, e);
        v->exit_pure = false; /* memory moved too: not worth a fast path of its own */
        return r;
    }
    if (io->in) {
        uint32_t val = io_port_read(v, io->port, io->size);
        if (io->size == 4)
            v->gpr[GPR_RAX] = val; /* 32-bit results zero-extend (SDM 3.4.1.1) */
        else if (io->size == 2)
            v->gpr[GPR_RAX] = (v->gpr[GPR_RAX] & ~0xffffull) | val;
        else
            v->gpr[GPR_RAX] = (v->gpr[GPR_RAX] & ~0xffull) | val;
    } else {
        uint32_t mask = io->size == 4 ? 0xffffffffu : io->size == 2 ? 0xffffu : 0xffu;
        io_port_write(v, io->port, io->size, (uint32_t)v->gpr[GPR_RAX] & mask);
    }
    return vcpu_skip_insn(v, e); /* exit_pure as the port said; dropped if this fails */
}
