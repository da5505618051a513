/* SPDX-License-Identifier: MIT */
/*
 * VM and vCPU life cycle (ending, stopping, kicking, dumping) and guest
 * memory access for exit handlers.
 */
#include "hv/vm.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "hv/abi.h"
#include "hv/host/console.h"
#include "hv/host/desc.h"
#include "hv/host/lapic_host.h"
#include "hv/mm/mem.h"
#include "hv/passthru.h"
#include "hv/vcpu_state.h"
#include "hv/vendor.h"
#include "hv/x86.h"
#include "hv/emul/x86_decode.h"

struct vm *vms[VM_MAX];
unsigned nvms;
static volatile uint32_t vms_running;

void vms_set_running(unsigned n) { vms_running = n; }

/* Copies between buf and the VM's RAM, host chunk by host chunk (a range
 * may span chunks: hv/mm/guest_ram.h). */
static int vm_copy_phys(struct vm *vm, uint64_t gpa, void *buf, size_t len, bool write)
{
    uint8_t *b = buf;
    void *in_one = vm_gpa_hva(vm, gpa, len);
    if (in_one) {
        /* All in one host chunk, nearly always: one lookup, one copy (the
         * exit path reads instruction bytes here). */
        void *h = phys_to_virt((uintptr_t)in_one);
        if (write)
            memcpy(h, b, len);
        else
            memcpy(b, h, len);
        return 0;
    }
    if (!vm_gpa_is_ram(vm, gpa, len))
        return -1;
    while (len != 0) {
        uint64_t run = gram_run(&vm->ram, gpa), hpa = 0;
        size_t n = run < len ? (size_t)run : len;
        if (gram_hpa(&vm->ram, gpa, n, &hpa))
            return -1;
        if (write)
            memcpy(phys_to_virt(hpa), b, n);
        else
            memcpy(b, phys_to_virt(hpa), n);
        gpa += n;
        b += n;
        len -= n;
    }
    return 0;
}

int vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, size_t len)
{
    return vm_copy_phys(vm, gpa, buf, len, false);
}

int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len)
{
    return vm_copy_phys(vm, gpa, (void *)buf, len, true);
}

void vcpu_kick(struct vcpu *v)
{
    __atomic_store_n(&v->pcpu->kicked, 1, __ATOMIC_RELEASE);
    if (v->pcpu != this_cpu())
        lapic_host_send(v->pcpu->apic_id, ICR_DM_FIXED | ICR_LEVEL_ASSERT | HOST_VEC_KICK);
}

/* One or more lines "vmN (name): N exits: reason=count ..." (every vCPU,
 * nonzero reasons), for operators and tools/keel bench linux. */
static void vm_log_exit_totals(const struct vm *vm)
{
    uint64_t n[EXIT_REASON_COUNT] = { 0 }, all = 0;
    for (unsigned i = 0; i < vm->nvcpus; i++)
        for (unsigned r = 1; r < EXIT_REASON_COUNT; r++)
            n[r] += __atomic_load_n(&vm->vcpus[i]->exit_count[r], __ATOMIC_RELAXED);
    for (unsigned r = 1; r < EXIT_REASON_COUNT; r++)
        all += n[r];
    char line[200];
    int off = snprintf(line, sizeof(line), "vm%u (%s): %lu exits:", vm->index, vm->name,
                       (unsigned long)all);
    for (unsigned r = 1; r < EXIT_REASON_COUNT; r++) {
        if (!n[r])
            continue;
        if (off > (int)sizeof(line) - 40) {
            log_info("%s", line);
            off = snprintf(line, sizeof(line), "vm%u (%s): exits:", vm->index, vm->name);
        }
        off += snprintf(line + off, sizeof(line) - (size_t)off, " %s=%lu",
                        exit_reason_name((enum exit_reason)r), (unsigned long)n[r]);
    }
    log_info("%s", line);
}

void vm_end(struct vm *vm, int status, const char *fmt, ...)
{
    uint32_t expect = VM_RUNNING;
    if (!__atomic_compare_exchange_n(&vm->state, &expect, VM_ENDED, false, __ATOMIC_ACQ_REL,
                                     __ATOMIC_ACQUIRE))
        return; /* somebody else ended it first */
    vm->status = status;
    spin_lock(&vm->lock);
    con_prefixed_flush(&vm->con, vm->con_prefix);
    spin_unlock(&vm->lock);
    /* its output held while the shell had the console, before the end */
    con_replay_all(&vm->con, vm->con_prefix, false);
    char why[160];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    log_info("vm%u (%s) %s", vm->index, vm->name, why);
    vm_log_exit_totals(vm);
    for (unsigned i = 0; i < vm->nvcpus; i++)
        vcpu_kick(vm->vcpus[i]);
    passthru_vm_stop(vm); /* its devices quiet before anything else happens to its memory */
    if (__atomic_sub_fetch(&vms_running, 1, __ATOMIC_ACQ_REL) == 0)
        keel_all_vms_ended();
}

int vm_stop_fault(struct vcpu *v, const char *fmt, ...)
{
    char why[120];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof(why), fmt, ap);
    va_end(ap);
    if (!vm_ended(v->vm))
        vcpu_dump(v, why);
    vm_end(v->vm, KEEL_STATUS_GUEST_FAULT, "stopped: %s on vCPU %u", why, v->index);
    return -1;
}

void vcpu_dump(struct vcpu *v, const char *why)
{
    log_err("vm%u vCPU %u state dump (%s):", v->vm->index, v->index, why);
    log_err("  rip %016lx rsp %016lx rflags %016lx", (unsigned long)v->rip,
            (unsigned long)v->gpr[GPR_RSP], (unsigned long)v->rflags);
    static const char *const names[GPR_COUNT] = { "rax", "rcx", "rdx", "rbx", "rsp", "rbp",
        "rsi", "rdi", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15" };
    for (unsigned i = 0; i < GPR_COUNT; i += 4)
        log_err("  %-3s %016lx %-3s %016lx %-3s %016lx %-3s %016lx", names[i],
                (unsigned long)v->gpr[i], names[i + 1], (unsigned long)v->gpr[i + 1],
                names[i + 2], (unsigned long)v->gpr[i + 2], names[i + 3],
                (unsigned long)v->gpr[i + 3]);
    vops->dump(v);
    log_err("  last exits (oldest first):");
    for (unsigned k = 0; k < VCPU_LAST_EXITS; k++) {
        const struct exit_record *e = &v->last[(v->last_next + k) % VCPU_LAST_EXITS];
        if (e->reason == EXIT_NONE)
            continue;
        log_err("    %-10s raw %#lx rip %#lx info1 %#lx info2 %#lx", exit_reason_name(e->reason),
                (unsigned long)e->raw, (unsigned long)e->rip, (unsigned long)e->info1,
                (unsigned long)e->info2);
    }
}

/* ---- guest virtual memory ------------------------------------------- */

static int gw_read(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    return vm_read_phys(ctx, gpa, buf, len);
}

static int gw_write(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    return vm_write_phys(ctx, gpa, buf, len);
}

/* Accessed/dirty bits go into guest page-table entries with a locked
 * compare-exchange, as the CPU's own walker does (SDM 4.8), so a racing
 * guest update on another vCPU is never lost. */
static int gw_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val, unsigned size)
{
    struct vm *vm = ctx;
    void *p = vm_gpa_hva(vm, gpa, size);
    if (!p || (gpa & (size - 1)))
        return -1;
    bool ok;
    if (size == 8) {
        ok = __atomic_compare_exchange_n((uint64_t *)p, &old, new_val, false, __ATOMIC_SEQ_CST,
                                         __ATOMIC_SEQ_CST);
    } else {
        uint32_t o = (uint32_t)old;
        ok = __atomic_compare_exchange_n((uint32_t *)p, &o, (uint32_t)new_val, false,
                                         __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    }
    return ok ? 0 : 1;
}

static const void *gw_map(void *ctx, uint64_t gpa, size_t len)
{
    const void *p = vm_gpa_hva(ctx, gpa, len);
    return p ? phys_to_virt((uintptr_t)p) : NULL;
}

#define GUEST_MEM_OPS(vm) { .read = gw_read, .write = gw_write, .cmpxchg = gw_cmpxchg, \
                            .map = gw_map, .ctx = (vm) }

/* Injects the fault a failed walk calls for; returns -1 either way. */
static int vcpu_walk_failed(struct vcpu *v, int r, uint64_t gva, const struct guest_walk_result *f)
{
    if (r == GW_FAULT) {
        vops->set_cr2(v, f->fault_addr);
        vops->inject_event(v, EVENT_EXCEPTION, X86_PF, true, f->pf_error);
        return -1;
    }
    if (r == GW_NONCANONICAL) {
        vcpu_inject_gp(v);
        return -1;
    }
    return vm_stop_fault(v, "guest page tables at an address outside RAM (walking %#lx)",
                         (unsigned long)gva);
}

int vcpu_read_virt(struct vcpu *v, uint64_t gva, void *buf, size_t len, unsigned access)
{
    struct guest_paging_regs regs;
    struct guest_mem_ops mem = GUEST_MEM_OPS(v->vm);
    struct guest_walk_result f;
    vops->get_paging(v, &regs);
    if (vops->cpl(v) == 3)
        access |= GW_ACCESS_USER;
    int r = guest_read_virt(&regs, gva, buf, len, access, &mem, &f);
    return r ? vcpu_walk_failed(v, r, gva, &f) : 0;
}

int vcpu_write_virt(struct vcpu *v, uint64_t gva, const void *buf, size_t len)
{
    struct guest_paging_regs regs;
    struct guest_mem_ops mem = GUEST_MEM_OPS(v->vm);
    struct guest_walk_result f;
    unsigned access = GW_ACCESS_WRITE | (vops->cpl(v) == 3 ? GW_ACCESS_USER : 0);
    vops->get_paging(v, &regs);
    int r = guest_write_virt(&regs, gva, buf, len, access, &mem, &f);
    return r ? vcpu_walk_failed(v, r, gva, &f) : 0;
}

/* The len bytes at lin, which lie in one page, through the vCPU's walk
 * memo for that page (its hit checked inline first) and the page's host
 * view; whether they could be read (a failed walk sets no A/D bit).  With
 * @direct, bytes in RAM are not copied: *direct points at them in guest
 * memory (left as it was when they were copied). */
static bool fetch_in_page(struct vcpu *v, const struct guest_paging_regs *regs, uint64_t lin,
                          unsigned access, uint8_t *buf, size_t len, const uint8_t **direct)
{
    __typeof__(&v->fetch_memo[0]) m = &v->fetch_memo[(lin >> 12) & (VCPU_MEMOS - 1)];
    uint64_t gpa;
    if (!guest_walk_memo_peek(&m->walk, regs, lin, access, &gpa)) {
        struct guest_mem_ops mem = GUEST_MEM_OPS(v->vm);
        struct guest_walk_result f;
        if (guest_walk_memo(regs, lin, access, &mem, &m->walk, &f) != GW_OK)
            return false;
        gpa = f.gpa;
    }
    uint64_t page = gpa & ~(uint64_t)(PAGE_SIZE - 1);
    if (!m->page || m->page_gpa != page) {
        /* Guest RAM never moves on the host: the page's host view stays
         * good for as long as the VM exists. */
        const void *h = gw_map(v->vm, page, PAGE_SIZE);
        if (!h)
            return vm_read_phys(v->vm, gpa, buf, len) == 0;
        m->page = h;
        m->page_gpa = page;
    }
    const uint8_t *at = m->page + (gpa & (PAGE_SIZE - 1));
    if (direct)
        *direct = at;
    else
        memcpy(buf, at, len);
    return true;
}

/* Bytes across two pages, each through its page's walk memo: a loop
 * whose exit sits near a page's end walked the guest's page tables in
 * full, twice over, on every exit.  The A bits come out as the two
 * passes of guest_read_virt did (over both pages, then over the first
 * alone if the second failed): the first page's always, the second's
 * only if its walk succeeds (a walk sets A/D bits only when it does). */
static __attribute__((noinline)) size_t
fetch_two_pages(struct vcpu *v, const struct guest_paging_regs *regs, uint64_t lin,
                unsigned access, uint8_t *buf, size_t len)
{
    size_t first = PAGE_SIZE - (lin & (PAGE_SIZE - 1));
    if (!fetch_in_page(v, regs, lin, access, buf, first, NULL))
        return 0;
    return fetch_in_page(v, regs, lin + first, access, buf + first, len - first, NULL) ? len
                                                                                       : first;
}

/* Fetch up to len instruction bytes at linear address lin without faulting:
 * stops at the first page that cannot be read (a fetch that faults
 * part-way matters only if the instruction really is that long).  With
 * @direct, bytes that lie in one page of RAM are not copied: *direct
 * points at them in guest memory instead (NULL when they were copied). */
static size_t vcpu_fetch(struct vcpu *v, const struct guest_fetch_regs *fr, uint64_t lin,
                         uint8_t *buf, size_t len, const uint8_t **direct)
{
    unsigned access = GW_ACCESS_FETCH | (fr->cpl == 3 ? GW_ACCESS_USER : 0);
    /* One page, the usual case: one walk, through the vCPU's memo (the
     * same RIP exits again and again). */
    if ((lin & (PAGE_SIZE - 1)) + len <= PAGE_SIZE)
        return fetch_in_page(v, &fr->paging, lin, access, buf, len, direct) ? len : 0;
    return fetch_two_pages(v, &fr->paging, lin, access, buf, len);
}

/* Whether exit site @s still says what the instruction at @lin is: the
 * same fetch inputs, every paging entry of its walk as read then (so the
 * same translation, and no A/D bit owed: the walk that filled it owed
 * none), and the same 15 bytes in guest RAM. */
static inline bool site_holds(const struct vcpu_exit_site *s, const struct guest_fetch_regs *fr,
                              uint64_t lin)
{
    if (!s->valid || s->lin != lin || s->cr3 != fr->paging.cr3 || s->mode != (uint8_t)fr->mode
        || s->cpl != (uint8_t)fr->cpl || s->cr0 != fr->paging.cr0 || s->cr4 != fr->paging.cr4
        || s->efer != fr->paging.efer || s->maxphy != fr->paging.maxphyaddr)
        return false;
    for (unsigned i = 0; i < s->n; i++)
        if (__atomic_load_n(s->ent_ptr[i], __ATOMIC_RELAXED) != s->ent_val[i])
            return false;
    uint64_t b0, b7;
    memcpy(&b0, s->host, 8);
    memcpy(&b7, s->host + 7, 8);
    return b0 == s->b0 && b7 == s->b7;
}

/* Records where the decode @insn of @bytes came from, when the fetch was
 * one page of RAM read in place (@host) through a walk the memo holds
 * with every entry readable in place. */
static void site_fill(struct vcpu *v, struct vcpu_exit_site *s, const struct guest_fetch_regs *fr,
                      uint64_t lin, const uint8_t *host, const uint8_t *bytes,
                      const struct x86_insn *insn)
{
    const struct guest_walk_memo *w = &v->fetch_memo[(lin >> 12) & (VCPU_MEMOS - 1)].walk;
    s->valid = false;
    if (!host || !w->valid || w->page != lin >> 12 || w->cr3 != fr->paging.cr3)
        return;
    for (unsigned i = 0; i < w->n; i++) {
        if (!w->ent_ptr[i])
            return;
        s->ent_ptr[i] = w->ent_ptr[i];
        s->ent_val[i] = w->ent_val[i];
    }
    s->n = w->n;
    s->lin = lin;
    s->mode = (uint8_t)fr->mode;
    s->cpl = (uint8_t)fr->cpl;
    s->cr0 = fr->paging.cr0;
    s->cr3 = fr->paging.cr3;
    s->cr4 = fr->paging.cr4;
    s->efer = fr->paging.efer;
    s->maxphy = fr->paging.maxphyaddr;
    s->host = host;
    memcpy(&s->b0, bytes, 8);
    memcpy(&s->b7, bytes + 7, 8);
    s->insn = *insn;
    s->valid = true;
}

/* The decode of the instruction at RIP: *out points at the decode memo's
 * entry on a hit (nothing copied), else at @insn, filled. */
static int decode_rip(struct vcpu *v, struct x86_insn *insn, const struct x86_insn **out)
{
    uint8_t bytes[X86_MAX_INSN_LEN];
    const uint8_t *at = NULL;
    struct guest_fetch_regs fr;
    vops->get_fetch(v, &fr);
    enum x86_mode mode = fr.mode;
    uint64_t lin = v->rip + (mode == X86_MODE_LONG64 ? 0 : fr.cs_base);
    if (mode != X86_MODE_LONG64)
        lin &= 0xffffffffu;
    /* The decoder is a function of the bytes and the mode: the same 15
     * bytes in the same mode decode as last time.  The slot only spreads
     * the sites that exit (any slot's answer would be right).  First the
     * exit site's record, then the fetch through the walk memo and the
     * decode memo's two ways. */
    struct vcpu_decode_memo *dm = v->decode_memo;
    unsigned set = (lin ^ (lin >> 4) ^ (lin >> 12)) & (VCPU_DECODE_SETS - 1);
    struct vcpu_exit_site *site = &dm->site[set];
    if (site_holds(site, &fr, lin)) {
        *out = &site->insn;
        return 0;
    }
    size_t got = vcpu_fetch(v, &fr, lin, bytes, sizeof(bytes), &at);
    /* The bytes are compared where they are in guest memory; a miss
     * decodes a copy (another vCPU may write them meanwhile). */
    for (unsigned k = 0; k < 2 && got == sizeof(bytes); k++) {
        /* the way filled last first: a loop's one exit hits at once */
        const __typeof__(dm->way[0][0]) *h = &dm->way[set][dm->newer[set] ^ k];
        if (h->valid && h->mode == (uint8_t)mode &&
            __builtin_memcmp(h->bytes, at ? at : bytes, sizeof(bytes)) == 0) {
            site_fill(v, site, &fr, lin, at, h->bytes, &h->insn);
            *out = &h->insn;
            return 0;
        }
    }
    if (at)
        memcpy(bytes, at, got);
    *out = insn;
    int r = x86_decode(bytes, got, mode, insn);
    if (r == 0) {
        if (got == sizeof(bytes)) {
            unsigned w = dm->newer[set] ^ 1u; /* the older way */
            __typeof__(&dm->way[0][0]) m = &dm->way[set][w];
            dm->newer[set] = (uint8_t)w;
            memcpy(m->bytes, bytes, sizeof(bytes));
            m->mode = (uint8_t)mode;
            m->insn = *insn;
            m->valid = true;
            site_fill(v, site, &fr, lin, at, bytes, insn);
        }
        return 0;
    }
    if (r == X86_DECODE_EINCOMPLETE)
        return vcpu_read_virt(v, lin + got, bytes, 1, GW_ACCESS_FETCH) ? -1
               : vm_stop_fault(v, "cannot fetch the instruction at %#lx", (unsigned long)v->rip);
    if (r == X86_DECODE_EINVALID) {
        vcpu_inject_ud(v);
        return -1;
    }
    return vm_stop_fault(v, "cannot decode the instruction at %#lx (%02x %02x %02x %02x)",
                         (unsigned long)v->rip, bytes[0], bytes[1], bytes[2], bytes[3]);
}

const struct x86_insn *vcpu_decode_at_rip_ref(struct vcpu *v, struct x86_insn *scratch)
{
    const struct x86_insn *d;
    return decode_rip(v, scratch, &d) ? NULL : d;
}

int vcpu_decode_at_rip(struct vcpu *v, struct x86_insn *insn)
{
    const struct x86_insn *d;
    int r = decode_rip(v, insn, &d);
    if (r == 0 && d != insn)
        *insn = *d;
    return r;
}

int vcpu_skip_insn_decode(struct vcpu *v)
{
    struct x86_insn insn;
    const struct x86_insn *d;
    if (decode_rip(v, &insn, &d))
        return -1;
    vcpu_advance_rip(v, d->len); /* only the length: no copy of a memo hit */
    return 0;
}


const struct bus_range *vcpu_find_mmio(const struct vcpu *v, uint64_t gpa)
{
    const struct bus_range *l = &v->apic.mmio;
    if (l->len && gpa >= l->base && gpa - l->base < l->len)
        return l;
    const struct bus_range *r = iobus_find_mmio(&v->vm->bus, gpa);
    return r ? r : passthru_find_mmio(v->vm, gpa); /* assigned devices' MSI-X tables */
}

void vcpu_inject_gp(struct vcpu *v)
{
    vops->inject_event(v, EVENT_EXCEPTION, X86_GP, true, 0);
}

void vcpu_inject_ud(struct vcpu *v)
{
    vops->inject_event(v, EVENT_EXCEPTION, X86_UD, false, 0);
}

/* ---- entry states ---------------------------------------------------- */

static void vcpu_load_entry(struct vcpu *v, const struct vcpu_entry_state *s)
{
    memset(v->gpr, 0, sizeof(v->gpr));
    v->gpr[GPR_RAX] = s->gpr_rax;
    v->gpr[GPR_RBX] = s->gpr_rbx;
    v->gpr[GPR_RDX] = s->gpr_rdx;
    v->gpr[GPR_RSI] = s->gpr_rsi;
    v->rip = s->rip;
    v->rflags = s->rflags;
    vops->set_cr2(v, 0);
    vops->load_state(v, s);
}

/* EDX after INIT holds the processor signature, CPUID.1:EAX (SDM 9.1.4). */
static uint32_t cpu_signature(void)
{
    uint32_t r[4];
    cpuid_count(1, 0, r);
    return r[0];
}

void vcpu_reset_init(struct vcpu *v)
{
    struct vcpu_entry_state s;
    vcpu_state_init(&s, cpu_signature());
    vcpu_load_entry(v, &s);
}

void vcpu_start_sipi(struct vcpu *v, uint8_t vector)
{
    struct vcpu_entry_state s;
    vcpu_state_sipi(&s, cpu_signature(), vector);
    vcpu_load_entry(v, &s);
}

void vcpu_start_multiboot(struct vcpu *v, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    struct vcpu_entry_state s;
    vcpu_state_multiboot(&s, eip, eax, ebx);
    vcpu_load_entry(v, &s);
}

void vcpu_start_linux64(struct vcpu *v, uint64_t rip, uint64_t boot_params, uint64_t cr3,
                        uint64_t gdt_base, uint16_t gdt_limit)
{
    struct vcpu_entry_state s;
    vcpu_state_linux64(&s, rip, boot_params, cr3, gdt_base, gdt_limit);
    vcpu_load_entry(v, &s);
}
