/* SPDX-License-Identifier: MIT */
/*
 * The exit-path rows of issue 14 (docs/exit-path.md): one tight loop per
 * kind of exit, on one vCPU, timed with RDTSC around N iterations after a
 * warm-up, in the APIC mode asked for (main runs xAPIC first: the switch
 * to x2APIC is one-way).
 *
 * Under QEMU's -icount shift=0,sleep=off one TSC tick is one instruction,
 * so TSC ticks per iteration are instructions per iteration, guest and
 * hypervisor together; that is the figure printed as instr/iter (without
 * -icount it is only TSC ticks).  Exits per iteration come from Keel's
 * own counter (KEEL_HC_EXIT_COUNT), read outside the timed loop; the
 * counting's own exits are measured once in an empty window and taken off.
 *
 * Rows with an interrupt check that exactly one interrupt arrived per
 * iteration, the others that none did, also during a short wait with
 * interrupts on after the loop (a late or duplicate interrupt), and say
 * MISMATCH otherwise.
 *
 * Output, one line per row and mode:
 *   bench: row NAME mode MODE instr/iter X.XX exits/iter Y.YY iterations N
 * with " MISMATCH got G want W" appended when the interrupt count is off.
 */
#include <stdio.h>
#include <stdlib.h>

#include "bench.h"
#include "hv/abi.h"
#include "lapic.h"
#include "rt.h"
#include "x86.h"

/* The vector every interrupt row uses: the same one on purpose (issue 14
 * saw a self-IPI loop get two interrupts for one IPI right after a
 * TSC-deadline row on the same vector). */
#define ROW_VEC             0x60
#define ROW_SPURIOUS_VEC    0xff
#define ROW_WARMUP_MAX      100ull
/* After a row, interrupts stay on this long so that a late or duplicate
 * interrupt is counted (TSC ticks: instructions under -icount). */
#define ROW_SETTLE_TSC      200000ull
/* The ACPI PM timer (PM_TMR_BLK at PM1a base 0x600 + 8, hv/dev/acpi_pm.h,
 * and q35's own PMBASE): a read has no side effect, a write is ignored
 * (the register is read-only), so both directions measure the I/O exit
 * and the port bus and nothing else. */
#define ROW_PM_TIMER_PORT   0x608
/* A hypercall number Keel does not define (hv/abi.h starts at 1): it
 * returns KEEL_ENOSYS and does nothing, the bare cost of the hypercall
 * path. */
#define ROW_HC_NONE         0
#define TPR_CLASS_ALL       15u /* CR8 value that holds back every vector */
/* The TPR row's probe: a TSC-deadline timer on its own vector ends a HLT
 * the IPI failed to end (50 ms under -icount). */
#define ROW_BACKSTOP_VEC    0x63
#define ROW_BACKSTOP_TSC    50000000ull

/* Counted by this file's handler, cheaper to poll than rt_irq_count. */
static volatile uint64_t row_irqs;
static volatile uint64_t backstop_irqs;

/* What the handler does around its EOI (the "of which EOI" figures). */
enum eoi_probe { EOI_PLAIN, EOI_TIME, EOI_COUNT };
static volatile enum eoi_probe eoi_probe;
static volatile uint64_t eoi_sum; /* TSC ticks or exits around the EOIs */

/* The local APIC, accessed without the runtime's per-access mode lookup so
 * that a row's loop holds its exits and little else. */
static bool row_x2;
static volatile uint32_t *row_mmio;

static inline void row_apic_write(unsigned reg, uint32_t v)
{
    if (row_x2)
        rt_wrmsr(APIC_MSR(reg), v);
    else
        row_mmio[reg / 4] = v;
}

/* A fixed self-IPI.  xAPIC: wait until the ICR is idle (a read), then ICR2
 * and ICR (two writes), the usual three accesses; x2APIC: one WRMSR. */
static inline void row_self_ipi(void)
{
    uint32_t icr = APIC_ICR_DEST_SELF | APIC_ICR_DM_FIXED | ROW_VEC;
    if (row_x2) {
        rt_wrmsr(APIC_MSR(APIC_ICR), icr);
        return;
    }
    while (row_mmio[APIC_ICR / 4] & APIC_ICR_BUSY)
        rt_pause();
    row_mmio[APIC_ICR2 / 4] = 0;
    row_mmio[APIC_ICR / 4] = icr;
}

static uint64_t exits_now(void)
{
    return (uint64_t)rt_hypercall(KEEL_HC_EXIT_COUNT, 0, 0, 0);
}

static void row_handler(unsigned vector)
{
    switch (eoi_probe) {
    case EOI_PLAIN:
        row_apic_write(APIC_EOI, 0);
        break;
    case EOI_TIME: {
        uint64_t t0 = rt_rdtsc();
        row_apic_write(APIC_EOI, 0);
        eoi_sum += rt_rdtsc() - t0;
        break;
    }
    case EOI_COUNT: {
        uint64_t e0 = exits_now();
        row_apic_write(APIC_EOI, 0);
        eoi_sum += exits_now() - e0;
        break;
    }
    }
    row_irqs++;
}

static void backstop_handler(unsigned vector)
{
    row_apic_write(APIC_EOI, 0);
    backstop_irqs++;
}

/* ------------------------------------------------------------ the loops */

static uint64_t loop_cpuid(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++)
        (void)rt_cpuid(0, 0);
    return rt_rdtsc() - t0;
}

static uint64_t loop_inl(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++)
        (void)rt_inl(ROW_PM_TIMER_PORT);
    return rt_rdtsc() - t0;
}

static uint64_t loop_outl(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++)
        rt_outl(ROW_PM_TIMER_PORT, 0);
    return rt_rdtsc() - t0;
}

static uint64_t loop_hypercall(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++)
        (void)rt_hypercall(ROW_HC_NONE, 0, 0, 0);
    return rt_rdtsc() - t0;
}

static uint64_t loop_cr8(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++)
        rt_write_cr8(0);
    return rt_rdtsc() - t0;
}

/* Self-IPI with interrupts off, then STI;NOP: the IPI is taken after the
 * NOP (STI's shadow), its handler sends the EOI, CLI ends the iteration. */
static uint64_t loop_ipi(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++) {
        row_self_ipi();
        __asm__ volatile("sti\n\tnop\n\tcli" ::: "memory");
    }
    return rt_rdtsc() - t0;
}

/* TPR (CR8) raised to hold every vector back, the self-IPI (now pending in
 * IRR), TPR lowered again with interrupts off, then STI;HLT: the IPI wakes
 * the HLT, the handler sends the EOI. */
static uint64_t loop_tpr_hlt(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++) {
        rt_write_cr8(TPR_CLASS_ALL);
        row_self_ipi();
        rt_write_cr8(0);
        __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
    }
    return rt_rdtsc() - t0;
}

/* TSC-deadline timer armed at the current TSC (already due), interrupts
 * on; waits for its interrupt (handler with EOI) before the next one. */
static uint64_t loop_tscdeadline(uint64_t n)
{
    uint64_t t0 = rt_rdtsc();
    for (uint64_t i = 0; i < n; i++) {
        uint64_t want = row_irqs + 1;
        rt_wrmsr(MSR_TSC_DEADLINE, rt_rdtsc());
        while (row_irqs < want)
            rt_pause();
    }
    return rt_rdtsc() - t0;
}

static void timer_on(void)
{
    row_apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | ROW_VEC);
    rt_irq_enable();
}

static void timer_off(void)
{
    rt_irq_disable();
    rt_wrmsr(MSR_TSC_DEADLINE, 0);
    row_apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | ROW_VEC);
}

/* One iteration of the TPR row with a TSC-deadline timer as a backstop.
 * When the timer, not the IPI, ends the HLT, the IPI held back by TPR was
 * not delivered when TPR fell: the row would hang in its HLT, so it says
 * what it saw instead and is skipped.  True when the IPI ended the HLT. */
static bool tpr_probe(const char *mode)
{
    uint64_t irq0 = row_irqs, b0 = backstop_irqs;
    row_apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_TSC_DEADLINE | ROW_BACKSTOP_VEC);
    rt_wrmsr(MSR_TSC_DEADLINE, rt_rdtsc() + ROW_BACKSTOP_TSC);
    rt_write_cr8(TPR_CLASS_ALL);
    row_self_ipi();
    rt_write_cr8(0);
    __asm__ volatile("sti\n\thlt\n\tcli" ::: "memory");
    bool ipi_woke = row_irqs != irq0 && backstop_irqs == b0;
    rt_wrmsr(MSR_TSC_DEADLINE, 0);
    row_apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | ROW_BACKSTOP_VEC);
    if (ipi_woke)
        return true;
    bool in_irr = apic_vector_bit(APIC_IRR, ROW_VEC), in_isr = apic_vector_bit(APIC_ISR, ROW_VEC);
    uint32_t ppr = apic_read(APIC_PPR), tpr = apic_read(APIC_TPR);
    uint64_t cr8 = rt_read_cr8();
    rt_irq_enable();
    rt_delay_us(1000);
    rt_irq_disable();
    printf("bench: row self_ipi_tpr_sti_hlt mode %s skipped: lost wake-up: the self-IPI held by "
           "TPR did not end STI;HLT after CR8 went to 0 (the backstop timer did); then IRR %d "
           "ISR %d TPR %#x PPR %#x CR8 %llu; delivered 1 ms later: %s MISMATCH got %llu want 1\n",
           mode, in_irr, in_isr, tpr, ppr, (unsigned long long)cr8,
           row_irqs != irq0 ? "yes" : "no", (unsigned long long)(row_irqs - irq0));
    return false;
}

/* -------------------------------------------------------------- the rows */

struct row {
    const char *name;
    uint64_t (*loop)(uint64_t n);   /* NULL: run_eoi */
    bool irq;                   /* one interrupt of ROW_VEC per iteration */
    bool needs_deadline;        /* CPUID.1:ECX.TSC_Deadline */
    void (*before)(void);
    void (*after)(void);
};

/* In this order: the TSC-deadline row comes right before the self-IPI
 * rows on the same vector, where issue 14 saw a duplicate interrupt. */
static const struct row rows[] = {
    {"cpuid", loop_cpuid, false, false, NULL, NULL},
    {"inl_pmtimer", loop_inl, false, false, NULL, NULL},
    {"outl_pmtimer", loop_outl, false, false, NULL, NULL},
    {"hypercall", loop_hypercall, false, false, NULL, NULL},
    {"mov_to_cr8", loop_cr8, false, false, NULL, NULL},
    {"tscdeadline_immed", loop_tscdeadline, true, true, timer_on, timer_off},
    {"self_ipi_sti_nop", loop_ipi, true, false, NULL, NULL},
    {"eoi", NULL, true, false, NULL, NULL},
    {"self_ipi_tpr_sti_hlt", loop_tpr_hlt, true, false, NULL, NULL},
};

struct row_env {
    const char *mode;
    uint64_t n;
    uint64_t count_overhead;    /* exits of two back-to-back counter reads */
    bool keel;
};

static void print_x100(uint64_t total, uint64_t n)
{
    uint64_t x100 = total * 100 / n;
    printf("%llu.%02llu", (unsigned long long)(x100 / 100), (unsigned long long)(x100 % 100));
}

static void row_line(const char *name, const struct row_env *env, uint64_t ticks, uint64_t exits,
                     uint64_t n)
{
    printf("bench: row %s mode %s instr/iter ", name, env->mode);
    print_x100(ticks, n);
    if (env->keel) {
        printf(" exits/iter ");
        print_x100(exits, n);
    }
    printf(" iterations %llu", (unsigned long long)n);
}

/* Interrupts on for a moment (stragglers come in), then back as they were.
 * rt_irq_restore only sets IF again: it must be cleared first.  Issue 14's
 * "lost wake-up" was this function leaving IF set: the TPR row then began
 * with interrupts on, lowering CR8 delivered the held IPI at once (SDM
 * 10.8.6: TPR lowered, the interrupt is deliverable; APM 16.6), before
 * STI;HLT, and the HLT waited for nothing; the same under Keel, Keel on
 * VMX and on QEMU alone. */
static void settle(void)
{
    uint64_t flags = rt_irq_save();
    uint64_t end = rt_rdtsc() + ROW_SETTLE_TSC;
    rt_irq_enable();
    while (rt_rdtsc() < end)
        rt_pause();
    rt_irq_disable();
    rt_irq_restore(flags);
}

static uint64_t net(uint64_t window, uint64_t overhead)
{
    return window > overhead ? window - overhead : 0;
}

static void run_row(const struct row *r, const struct row_env *env)
{
    uint64_t warm = env->n < ROW_WARMUP_MAX ? env->n : ROW_WARMUP_MAX;
    if (r->before)
        r->before();
    r->loop(warm);
    if (r->after)
        r->after();
    settle();
    uint64_t irq0 = row_irqs;
    if (r->before)
        r->before();
    uint64_t e0 = exits_now();
    uint64_t ticks = r->loop(env->n);
    uint64_t e1 = exits_now();
    if (r->after)
        r->after();
    settle();
    uint64_t got = row_irqs - irq0, want = r->irq ? env->n : 0;
    row_line(r->name, env, ticks, net(e1 - e0, env->count_overhead), env->n);
    if (got != want)
        printf(" MISMATCH got %llu want %llu", (unsigned long long)got,
               (unsigned long long)want);
    printf("\n");
}

/* "of which EOI": the self-IPI loop again, the handler timing its EOI
 * write (RDTSC pair, its own cost taken off) or counting its exits. */
static void run_eoi(const struct row_env *env)
{
    uint64_t t_empty = rt_rdtsc();
    t_empty = rt_rdtsc() - t_empty; /* what an RDTSC pair adds */
    uint64_t irq0 = row_irqs, want = env->keel ? 2 * env->n : env->n;
    eoi_probe = EOI_TIME;
    eoi_sum = 0;
    loop_ipi(env->n);
    uint64_t ticks = eoi_sum - t_empty * env->n;
    uint64_t exits = 0;
    if (env->keel) {
        eoi_probe = EOI_COUNT;
        eoi_sum = 0;
        loop_ipi(env->n);
        exits = net(eoi_sum, env->count_overhead * env->n);
    }
    eoi_probe = EOI_PLAIN;
    settle();
    row_line("eoi", env, ticks, exits, env->n);
    if (row_irqs - irq0 != want)
        printf(" MISMATCH got %llu want %llu", (unsigned long long)(row_irqs - irq0),
               (unsigned long long)want);
    printf("\n");
}

static bool row_apic_setup(bool x2)
{
    apic_refresh();
    if (x2 && !apic_x2apic_mode() && apic_enable_x2apic() != RT_NO_FAULT)
        return false;
    apic_refresh();
    row_x2 = apic_x2apic_mode();
    row_mmio = (volatile uint32_t *)(uintptr_t)(apic_base() & APIC_BASE_ADDR_MASK);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | ROW_SPURIOUS_VEC);
    apic_write(APIC_TPR, 0);
    return row_x2 == x2;
}

static void rows_mode(bool x2, uint64_t n, const char *which)
{
    struct row_env env = {.mode = x2 ? "x2apic" : "xapic", .n = n, .keel = rt_under_keel()};
    if (!row_apic_setup(x2)) {
        printf("bench: rows %s: cannot switch the APIC mode\n", env.mode);
        return;
    }
    if (env.keel) {
        uint64_t c0 = exits_now(), c1 = exits_now();
        env.count_overhead = c1 - c0;
    }
    bool deadline = rt_cpuid(1, 0).ecx & CPUID_1_ECX_TSC_DEADLINE;
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        const struct row *r = &rows[i];
        if (which && !bench_list_has(which, r->name))
            continue;
        if (r->loop == loop_tpr_hlt && deadline && !tpr_probe(env.mode))
            continue;
        if (r->needs_deadline && !deadline) {
            printf("bench: row %s mode %s skipped: no TSC-deadline timer (CPUID.1:ECX[24])\n",
                   r->name, env.mode);
            continue;
        }
        if (r->loop)
            run_row(r, &env);
        else
            run_eoi(&env);
    }
}

void bench_rows(uint64_t n, const char *which, bool x2)
{
    rt_irq_register(ROW_VEC, row_handler);
    rt_irq_register(ROW_SPURIOUS_VEC, apic_spurious_handler);
    rt_irq_register(ROW_BACKSTOP_VEC, backstop_handler);
    if (rt_hypercall(ROW_HC_NONE, 0, 0, 0) != KEEL_ENOSYS)
        printf("bench: hypercall %u is not undefined: the hypercall row measures more\n",
               ROW_HC_NONE);
    rows_mode(x2, n, which);
}
