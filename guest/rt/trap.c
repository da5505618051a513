/* SPDX-License-Identifier: MIT */
/*
 * The IDT and exception handling: exception-table fixups, rt_try recovery
 * and the fatal report for anything unexpected.  Interrupts (vectors >= 32)
 * and NMIs with a registered handler go to irq.c.
 */
#include <stdio.h>

#include "rt_internal.h"
#include "x86.h"

/* Saved by rt_isr_common (isr.S), lowest address first. */
struct rt_regs {
    uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
    uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
    uint64_t vector, error_code;
    /* pushed by the CPU */
    uint64_t rip, cs, rflags, rsp, ss;
};
_Static_assert(offsetof(struct rt_regs, rax) == 14 * 8, "rt_regs.rax");
_Static_assert(offsetof(struct rt_regs, vector) == 15 * 8, "rt_regs.vector");
_Static_assert(offsetof(struct rt_regs, rip) == 17 * 8, "rt_regs.rip");
_Static_assert(sizeof(struct rt_regs) == 22 * 8, "rt_regs size");

/* 64-bit IDT gate descriptor. */
struct idt_gate {
    uint16_t offset_lo;     /* 0: handler bits 15:0 */
    uint16_t selector;      /* 2: code segment */
    uint8_t ist;            /* 4: bits 2:0 interrupt stack table index */
    uint8_t type_attr;      /* 5: type, DPL, present */
    uint16_t offset_mid;    /* 6: handler bits 31:16 */
    uint32_t offset_hi;     /* 8: handler bits 63:32 */
    uint32_t reserved;      /* 12 */
} __attribute__((packed));
_Static_assert(sizeof(struct idt_gate) == 16, "idt_gate size");

#define IDT_TYPE_INTERRUPT_GATE 0x0e    /* clears IF on entry */
#define IDT_PRESENT             0x80

struct rt_extable_entry {
    uint64_t from, to;
};

struct rt_descriptor_ptr {
    uint16_t limit;
    uint64_t base;
} __attribute__((packed));

#define RT_STATUS_UNEXPECTED_EXCEPTION 3

extern const uint64_t rt_isr_table[256];
extern const struct rt_extable_entry rt_extable_start[], rt_extable_end[];
void rt_exception(struct rt_regs *regs);

static struct idt_gate rt_idt[256] __attribute__((aligned(16)));

static const char *const rt_vector_names[32] = {
    "#DE", "#DB", "NMI", "#BP", "#OF", "#BR", "#UD", "#NM",
    "#DF", "CSO", "#TS", "#NP", "#SS", "#GP", "#PF", "15",
    "#MF", "#AC", "#MC", "#XM", "#VE", "#CP", "22",  "23",
    "24",  "25",  "26",  "27",  "#HV", "#VC", "#SX", "31",
};

void rt_trap_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t handler = rt_isr_table[v];
        rt_idt[v] = (struct idt_gate){
            .offset_lo = (uint16_t)handler,
            .selector = RT_SEL_CODE64,
            .ist = 0,
            .type_attr = IDT_PRESENT | IDT_TYPE_INTERRUPT_GATE,
            .offset_mid = (uint16_t)(handler >> 16),
            .offset_hi = (uint32_t)(handler >> 32),
        };
    }
}

void rt_trap_load(void)
{
    struct rt_descriptor_ptr idtr = {sizeof(rt_idt) - 1, (uint64_t)(uintptr_t)rt_idt};
    __asm__ volatile("lidt %0" : : "m"(idtr));
}

static uint64_t rt_extable_find(uint64_t rip)
{
    for (const struct rt_extable_entry *e = rt_extable_start; e < rt_extable_end; e++)
        if (e->from == rip)
            return e->to;
    return 0;
}

/* Prints and exits; called with interrupts off on a possibly broken vCPU,
 * so it formats into a local buffer and writes it directly. */
static _Noreturn void rt_fatal_exception(struct rt_percpu *pc, const struct rt_regs *r,
                                         uint64_t cr2)
{
    char buf[640];
    unsigned v = (unsigned)r->vector;

    if (pc->in_fatal) {
        /* Faulted while reporting: no more printing. */
        rt_exit(RT_STATUS_UNEXPECTED_EXCEPTION);
    }
    pc->in_fatal = true;
    rt_console_flush();
    int n = snprintf(buf, sizeof(buf),
        "vCPU %u: unexpected exception %u (%s) error code %#llx at rip %#llx\n"
        "  cr2 %#llx cr3 %#llx rflags %#llx cs %#llx ss %#llx\n"
        "  rax %016llx rbx %016llx rcx %016llx rdx %016llx\n"
        "  rsi %016llx rdi %016llx rbp %016llx rsp %016llx\n"
        "  r8  %016llx r9  %016llx r10 %016llx r11 %016llx\n"
        "  r12 %016llx r13 %016llx r14 %016llx r15 %016llx\n",
        rt_vcpu_index(), v, v < 32 ? rt_vector_names[v] : "interrupt",
        (unsigned long long)r->error_code, (unsigned long long)r->rip,
        (unsigned long long)cr2, (unsigned long long)rt_read_cr3(),
        (unsigned long long)r->rflags, (unsigned long long)r->cs, (unsigned long long)r->ss,
        (unsigned long long)r->rax, (unsigned long long)r->rbx, (unsigned long long)r->rcx,
        (unsigned long long)r->rdx, (unsigned long long)r->rsi, (unsigned long long)r->rdi,
        (unsigned long long)r->rbp, (unsigned long long)r->rsp, (unsigned long long)r->r8,
        (unsigned long long)r->r9, (unsigned long long)r->r10, (unsigned long long)r->r11,
        (unsigned long long)r->r12, (unsigned long long)r->r13, (unsigned long long)r->r14,
        (unsigned long long)r->r15);
    if (n > 0)
        rt_console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
    rt_console_flush();
    rt_exit(RT_STATUS_UNEXPECTED_EXCEPTION);
}

/* Called by rt_isr_common for every vector. */
void rt_exception(struct rt_regs *regs)
{
    struct rt_percpu *pc = rt_percpu();
    uint64_t cr2 = rt_read_cr2();
    uint64_t fixup;

    /* External interrupts, and NMIs or other vectors below 32 a guest
     * registered a handler for (irq.c); otherwise they are unexpected. */
    if ((regs->vector >= 32 || rt_irq_has_handler((unsigned)regs->vector)) &&
        rt_irq_dispatch((unsigned)regs->vector))
        return;
    if (regs->vector < 32 && !pc->in_fatal) {
        fixup = rt_extable_find(regs->rip);
        if (fixup || pc->try_rsp) {
            pc->fault = (struct rt_fault){
                .vector = (int)regs->vector,
                .error_code = regs->error_code,
                .rip = regs->rip,
                .cr2 = cr2,
            };
            regs->rax = regs->vector;
            if (fixup) {
                regs->rip = fixup;
            } else {
                regs->rip = (uint64_t)(uintptr_t)rt_try_landing;
                regs->rsp = pc->try_rsp;
                pc->try_rsp = 0;
            }
            return;
        }
    }
    rt_fatal_exception(pc, regs, cr2);
}

uint64_t rt_try_swap(uint64_t rsp)
{
    struct rt_percpu *pc = rt_percpu();
    uint64_t old = pc->try_rsp;

    pc->try_rsp = rsp;
    return old;
}

const struct rt_fault *rt_last_fault(void)
{
    return &rt_percpu()->fault;
}

bool rt_expect_fault(int vector, void (*fn)(void *arg), void *arg)
{
    int got = rt_try(fn, arg);

    if (got == vector)
        return true;
    if (got == RT_NO_FAULT)
        printf("  expected exception %d, nothing faulted\n", vector);
    else
        printf("  expected exception %d, got %d (error code %#llx at rip %#llx)\n", vector,
               got, (unsigned long long)rt_last_fault()->error_code,
               (unsigned long long)rt_last_fault()->rip);
    return false;
}

_Noreturn void rt_triple_fault(void)
{
    struct rt_descriptor_ptr empty = {0, 0};

    rt_console_flush();
    __asm__ volatile("cli\n\tlidt %0\n\tint3" : : "m"(empty) : "memory");
    for (;;)
        __asm__ volatile("hlt");
}
