/* SPDX-License-Identifier: MIT */
/* The fake world of tests/unit/fake_hv.h. */
#include "fake_hv.h"
#include "hv/vm_reset.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/emul/handlers.h"
#include "hv/host/console.h"
#include "hv/host/panic.h"
#include "hv/host/time.h"
#include "hv/vapic.h"
#include "hv/x86.h"

struct fake_hv fk;
struct vm fake_vm;
struct vcpu fake_vcpu;
uint64_t tsc_hz = 1000000000ull;

/* ---- the vendor ---------------------------------------------------------- */

static void f_inject(struct vcpu *v, enum event_type type, uint8_t vector, bool has_error,
                     uint32_t error)
{
    if (fk.nev < FAKE_MAX_EVENTS)
        fk.ev[fk.nev++] = (struct fake_event){ type, vector, has_error, error };
    fk.event_queued = true;
}

static bool f_event_queued(struct vcpu *v) { return fk.event_queued; }
static bool f_in_shadow(struct vcpu *v) { return fk.shadow; }
static void f_clear_shadow(struct vcpu *v) { fk.shadow = false; }
static void f_set_intr_window(struct vcpu *v, bool on) { fk.intr_window = on; }
static void f_set_tpr_threshold(struct vcpu *v, int cls) { fk.tpr_threshold = cls; }
static void f_set_iret_exit(struct vcpu *v, bool on) { fk.iret_exit = on; }
static enum x86_mode f_cpu_mode(struct vcpu *v) { return fk.mode; }
static unsigned f_cpl(struct vcpu *v) { return fk.cpl; }
static uint64_t f_seg_base(struct vcpu *v, unsigned seg) { return 0; }
static uint64_t f_get_efer(struct vcpu *v) { return fk.efer; }
static void f_set_efer(struct vcpu *v, uint64_t efer) { fk.efer = efer; }
static uint64_t f_get_pat(struct vcpu *v) { return fk.pat; }
static void f_set_pat(struct vcpu *v, uint64_t pat) { fk.pat = pat; }
static void f_set_tsc_offset(struct vcpu *v, uint64_t off) { fk.tsc_offset = off; }
static void f_set_cr2(struct vcpu *v, uint64_t cr2) { fk.cr2 = cr2; }

static void f_set_vtpr(struct vcpu *v, uint8_t cr8)
{
    fk.vtpr = cr8;
    fk.set_vtpr_calls++;
}

static void f_get_paging(struct vcpu *v, struct guest_paging_regs *p)
{
    memset(p, 0, sizeof(*p));
    p->cr0 = fk.cr0;
    p->cr3 = fk.cr3;
    p->cr4 = fk.cr4;
    p->efer = fk.efer;
}

static uint64_t f_get_cr(struct vcpu *v, unsigned cr)
{
    return cr == 0 ? fk.cr0 : cr == 3 ? fk.cr3 : cr == 4 ? fk.cr4 : 0;
}

static void f_set_cr(struct vcpu *v, unsigned cr, uint64_t val)
{
    fk.set_cr_calls++;
    if (cr == 0)
        fk.cr0 = val;
    else if (cr == 4)
        fk.cr4 = val;
}

static void f_flush_guest_tlb(struct vcpu *v) { fk.tlb_flushes++; }

static void f_set_exc_exits(struct vcpu *v, uint32_t mask) { fk.exc_exits = mask; }
static uint64_t f_get_dr(struct vcpu *v, unsigned dr) { return dr == 6 ? fk.dr6 : dr == 7 ? fk.dr7 : 0; }
static unsigned f_nmi_hw(struct vcpu *v) { return fk.nmi_hw; }

static void f_set_dr(struct vcpu *v, unsigned dr, uint64_t val)
{
    if (dr == 6)
        fk.dr6 = val;
    else if (dr == 7)
        fk.dr7 = val;
}

static const struct vcpu_ops fake_ops = {
    .flush_guest_tlb = f_flush_guest_tlb,
    .name = "fake",
    .arch_perf_msr_base = 0xc0010000u,
    .arch_perf_msr_count = 8,
    .has_misc_enable = true,
    .arch_pmc_msr_base = 0xc0010004u,
    .arch_pmc_count = 4,
    .inject_event = f_inject,
    .event_queued = f_event_queued,
    .in_shadow = f_in_shadow,
    .clear_shadow = f_clear_shadow,
    .set_intr_window = f_set_intr_window,
    .set_tpr_threshold = f_set_tpr_threshold,
    .set_iret_exit = f_set_iret_exit,
    .set_exc_exits = f_set_exc_exits,
    .get_dr = f_get_dr,
    .set_dr = f_set_dr,
    .nmi_hw = f_nmi_hw,
    .set_vtpr = f_set_vtpr,
    .get_paging = f_get_paging,
    .cpu_mode = f_cpu_mode,
    .cpl = f_cpl,
    .seg_base = f_seg_base,
    .get_efer = f_get_efer,
    .set_efer = f_set_efer,
    .get_pat = f_get_pat,
    .set_pat = f_set_pat,
    .set_tsc_offset = f_set_tsc_offset,
    .set_cr2 = f_set_cr2,
    .get_cr = f_get_cr,
    .set_cr = f_set_cr,
};
const struct vcpu_ops *vops = &fake_ops;

/* ---- hv/vm.c ------------------------------------------------------------- */

int vm_stop_fault(struct vcpu *v, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(fk.stop_why, sizeof(fk.stop_why), fmt, ap);
    va_end(ap);
    fk.stops++;
    v->vm->state = VM_ENDED;
    return -1;
}


/* hv/vm_reset.c: a request is only counted. */
void vm_request_restart(struct vm *vm, enum vm_restart_cause cause, uint32_t value)
{
    fk.restarts++;
    fk.restart_cause = (unsigned)cause;
}

void vcpu_inject_gp(struct vcpu *v) { vops->inject_event(v, EVENT_EXCEPTION, X86_GP, true, 0); }
void vcpu_inject_ud(struct vcpu *v) { vops->inject_event(v, EVENT_EXCEPTION, X86_UD, false, 0); }

/* As hv/vm.c: 0, or -1 after injecting #UD or stopping the VM. */
int vcpu_decode_at_rip(struct vcpu *v, struct x86_insn *insn)
{
    int r = x86_decode(fk.code, fk.code_len, fk.mode, insn);
    if (r == 0)
        return 0;
    if (r == X86_DECODE_EINVALID) {
        vcpu_inject_ud(v);
        return -1;
    }
    return vm_stop_fault(v, "cannot decode the instruction at %#lx", (unsigned long)v->rip);
}

const struct x86_insn *vcpu_decode_at_rip_ref(struct vcpu *v, struct x86_insn *scratch)
{
    return vcpu_decode_at_rip(v, scratch) ? NULL : scratch;
}

int vcpu_skip_insn_decode(struct vcpu *v)
{
    struct x86_insn in;
    if (vcpu_decode_at_rip(v, &in))
        return -1;
    v->rip += in.len;
    return 0;
}

static uint64_t dev_read(void *dev, struct vcpu *v, uint64_t gpa, unsigned size)
{
    fk.dev_reads++;
    return fk.dev_val;
}

static void dev_write(void *dev, struct vcpu *v, uint64_t gpa, unsigned size, uint64_t val)
{
    fk.dev_writes++;
    fk.dev_wsize = size;
    fk.dev_written = val;
}

static const struct bus_range fake_dev = {
    .base = FAKE_DEV_BASE, .len = FAKE_DEV_LEN, .read = dev_read, .write = dev_write,
    .name = "fake device",
};

const struct bus_range *vcpu_find_mmio(const struct vcpu *v, uint64_t gpa)
{
    return gpa >= FAKE_DEV_BASE && gpa - FAKE_DEV_BASE < FAKE_DEV_LEN ? &fake_dev : NULL;
}

int vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, size_t len)
{
    memset(buf, 0x5a, len);
    return 0;
}

int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len) { return 0; }

void vcpu_reset_init(struct vcpu *v) { fk.resets++; }

void vcpu_start_sipi(struct vcpu *v, uint8_t vector)
{
    fk.sipis++;
    fk.sipi_vector = vector;
}

/* ---- hv/vapic.c ---------------------------------------------------------- */

static const struct vapic_vm_opts fake_opts = { .x2apic = true, .tsc_deadline = true };
const struct vapic_vm_opts *vapic_vm_opts(const struct vm *vm) { return &fake_opts; }
bool vapic_enabled(struct vcpu *v) { return true; }
int vapic_msr_read(struct vcpu *v, uint32_t msr, uint64_t *val) { return 1; }
int vapic_msr_write(struct vcpu *v, uint32_t msr, uint64_t val) { return 1; }
uint8_t vapic_get_cr8(struct vcpu *v) { return fk.cr8; }
void vapic_set_cr8(struct vcpu *v, uint8_t cr8) { fk.cr8 = cr8; }
int vapic_apic_write(struct vcpu *v, uint32_t off) { return 0; }
void vapic_eoi_exit(struct vcpu *v, uint8_t vector) {}
void vapic_init_reset(struct vcpu *v) {}
void vapic_irq_window(struct vcpu *v, bool waiting) { fk.irq_window_extint = waiting; }
int vapic_ipi_incomplete(struct vcpu *v, const struct exit_ipi *ipi) { return 0; }
bool vapic_nmi_pending(struct vcpu *v) { return fk.nmi_pending; }

void vapic_set_nmi_held(struct vcpu *v, unsigned held) { fk.nmi_held = held; }

void vapic_take_nmi(struct vcpu *v)
{
    fk.nmi_pending = false;
    fk.nmis_taken++;
}

bool vapic_take_init(struct vcpu *v)
{
    bool r = fk.init_pending;
    fk.init_pending = false;
    return r;
}

int vapic_take_sipi(struct vcpu *v)
{
    int r = fk.sipi;
    fk.sipi = VAPIC_NONE;
    return r;
}

int vapic_pending_intr(struct vcpu *v, int *tpr_blocked)
{
    if (tpr_blocked)
        *tpr_blocked = fk.pending == VAPIC_NONE ? fk.tpr_blocked : -1;
    return fk.pending;
}

uint8_t vapic_ack_intr(struct vcpu *v, int pending)
{
    fk.acks++;
    fk.pending = VAPIC_NONE;
    return pending == VAPIC_EXTINT ? 0x20 : (uint8_t)pending;
}

bool vapic_nothing_pending(struct vcpu *v)
{
    return fk.pending == VAPIC_NONE && !fk.nmi_pending && !fk.init_pending
           && fk.sipi == VAPIC_NONE;
}

/* ---- the rest of hv/ ------------------------------------------------------ */

int handle_io(struct vcpu *v, const struct exit_record *e)
{
    fk.io_calls++;
    return 0;
}

int handle_hypercall(struct vcpu *v, const struct exit_record *e)
{
    fk.hc_calls++;
    return 0;
}

void klog(enum log_level_hv lvl, const char *fmt, ...) {}

#ifndef NDEBUG
uint32_t spin_self(void) { return 1; }
#endif

/* ---- set-up ---------------------------------------------------------------- */

struct vcpu *fake_reset(void)
{
    memset(&fk, 0, sizeof(fk));
    memset(&fake_vm, 0, sizeof(fake_vm));
    memset(&fake_vcpu, 0, sizeof(fake_vcpu));
    fk.mode = X86_MODE_LONG64;
    fk.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
    fk.cr4 = CR4_PAE;
    fk.efer = EFER_LME | EFER_LMA;
    fk.pat = 0x0007040600070406ull;
    fk.sipi = VAPIC_NONE;
    fk.pending = VAPIC_NONE;
    fk.tpr_blocked = -1;
    fk.tpr_threshold = -2;
    fake_vm.nvcpus = 1;
    fake_vm.mem_size = 64ull << 20;
    gram_init(&fake_vm.ram, fake_vm.mem_size); /* one chunk at a made-up host address */
    gram_add(&fake_vm.ram, 0, 1ull << 30, fake_vm.mem_size);
    fake_vm.vcpus[0] = &fake_vcpu;
    fake_vcpu.vm = &fake_vm;
    fake_vcpu.rip = 0x1000;
    fake_vcpu.rflags = RFLAGS_FIXED | RFLAGS_IF;
    fake_vcpu.state = VCPU_RUNNABLE;
    return &fake_vcpu;
}

void fake_code(const uint8_t *bytes, unsigned len)
{
    memcpy(fk.code, bytes, len);
    fk.code_len = len;
}
