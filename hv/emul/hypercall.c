/* SPDX-License-Identifier: MIT */
/* The guest-facing hypercall interface (hv/abi.h). */
#include <string.h>

#include "hv/abi.h"
#include "hv/host/console.h"
#include "hv/emul/handlers.h"
#include "hv/mm/mem.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/x86.h"

#define HC_CONSOLE_MAX 4096u

static int64_t hc_console_write(struct vcpu *v, uint64_t gpa, uint64_t len)
{
    struct vm *vm = v->vm;
    if (len > HC_CONSOLE_MAX)
        return KEEL_EINVAL;
    const char *text = vm_gpa_hva(vm, gpa, len); /* NULL: not RAM, or across host chunks */
    if (!text)
        return KEEL_EFAULT;
    spin_lock(&vm->lock);
    con_prefixed(&vm->con, vm->con_prefix, text, len);
    spin_unlock(&vm->lock);
    return (int64_t)len;
}

static int64_t hc_test_result(struct vcpu *v, uint64_t passed, uint64_t failed)
{
    struct vm *vm = v->vm;
    spin_lock(&vm->lock);
    vm->tests_reported = true;
    vm->tests_passed = passed;
    vm->tests_failed = failed;
    con_prefixed_flush(&vm->con, vm->con_prefix);
    spin_unlock(&vm->lock);
    log_info("vm%u (%s) reported %lu passed, %lu failed", vm->index, vm->name,
             (unsigned long)passed, (unsigned long)failed);
    return 0;
}

static int64_t hc_vcpu_start(struct vcpu *v, uint64_t index, uint64_t entry, uint64_t arg)
{
    struct vm *vm = v->vm;
    if (index >= vm->nvcpus || entry > 0xffffffffull || arg > 0xffffffffull)
        return KEEL_EINVAL;
    struct vcpu *t = vm->vcpus[index];
    if (__atomic_load_n(&t->state, __ATOMIC_ACQUIRE) != VCPU_WAIT_START)
        return KEEL_EBUSY;
    t->start_eip = (uint32_t)entry;
    t->start_eax = KEEL_AP_MAGIC;
    t->start_ebx = (uint32_t)arg;
    uint32_t expect = VCPU_WAIT_START;
    if (!__atomic_compare_exchange_n(&t->state, &expect, VCPU_RUNNABLE, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return KEEL_EBUSY;
    vcpu_kick(t);
    return 0;
}

static int64_t hc_exit_count(struct vcpu *v, uint64_t index)
{
    if (index >= v->vm->nvcpus)
        return KEEL_EINVAL;
    const struct vcpu *t = v->vm->vcpus[index];
    uint64_t n = 0;
    for (unsigned r = 0; r < EXIT_REASON_COUNT; r++)
        n += __atomic_load_n(&t->exit_count[r], __ATOMIC_RELAXED);
    return (int64_t)n;
}

int handle_hypercall(struct vcpu *v, const struct exit_record *e)
{
    if (vops->cpl(v) != 0) {
        vcpu_inject_ud(v);
        return 0;
    }
    uint64_t nr = v->gpr[GPR_RAX], a0 = v->gpr[GPR_RDI], a1 = v->gpr[GPR_RSI],
             a2 = v->gpr[GPR_RDX];
    int64_t ret;
    bool pure = false; /* only registers change: see vcpu_fast_entry (hv/run.c) */
    switch (nr) {
    case KEEL_HC_CONSOLE_WRITE:
        ret = hc_console_write(v, a0, a1);
        break;
    case KEEL_HC_TEST_RESULT:
        ret = hc_test_result(v, a0, a1);
        break;
    case KEEL_HC_EXIT:
        if (a0 > 127)
            log_warn("vm%u: exit status %lu out of range 0..127, using 127", v->vm->index,
                     (unsigned long)a0);
        vm_end(v->vm, a0 > 127 ? 127 : (int)a0, "exited with status %lu",
               (unsigned long)(a0 > 127 ? 127 : a0));
        return -1;
    case KEEL_HC_VCPU_START:
        ret = hc_vcpu_start(v, a0, a1, a2);
        break;
    case KEEL_HC_EXIT_COUNT:
        ret = hc_exit_count(v, a0);
        pure = true;
        break;
    case KEEL_HC_FPU_CLOBBER:
        fpu_clobber(v);
        ret = 0;
        break;
    default:
        ret = KEEL_ENOSYS;
        pure = true;
        break;
    }
    v->gpr[GPR_RAX] = (uint64_t)ret;
    v->exit_pure = pure; /* dropped by exit_dispatch if the RIP advance fails */
    return vcpu_skip_insn(v, e);
}
