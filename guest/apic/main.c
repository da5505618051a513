/* SPDX-License-Identifier: MIT */
/*
 * apic: the architectural test suite of the local APIC (xAPIC and x2APIC),
 * the I/O APIC, the 8259A PICs, the 8254 PIT and the 16550 UART, written
 * against Intel SDM vol. 3A ch. 11, AMD APM vol. 2 ch. 16 and the chipset
 * datasheets.  See docs/apic-tests.md.
 *
 * Command line:
 *   x2apic        run every test in x2APIC mode (all skip without x2APIC)
 *   test=<name>   run only that test
 *
 * main() prepares every CPU (the APs come up through INIT-SIPI-SIPI, not
 * through Keel's hypercall) and runs the tests of the other files.
 */
#include <stdio.h>

#include "chipset.h"
#include "suite.h"

#define CALIBRATE_MS        4
#define CALIBRATE_ROUNDS    3
#define WATCHDOG_MIN_MS     5

struct suite suite;

/* Unhandled-interrupt counts per vCPU when the running test began. */
static uint32_t unhandled_before[RT_MAX_VCPUS];
/* LAPIC timer ticks per ms at divide-by-1 (vCPU 0, measured at start). */
static uint64_t apic_ticks_per_ms;

void suite_eoi_handler(unsigned vector)
{
    apic_eoi();
}

static void mask_lvts(void)
{
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
    apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
    if (suite.max_lvt >= 4)
        apic_write(APIC_LVT_PMC, APIC_LVT_MASKED);
    if (suite.max_lvt >= 5)
        apic_write(APIC_LVT_THERMAL, APIC_LVT_MASKED);
    if (suite.max_lvt >= 6)
        apic_write(APIC_LVT_CMCI, APIC_LVT_MASKED);
}

void suite_cpu_reset(unsigned vcpu)
{
    rt_irq_disable();
    apic_refresh();
    if (!(apic_base() & APIC_BASE_EN))
        return;     /* a test disabled it for good (see base_disable.c) */
    if (suite.x2apic && !apic_x2apic_mode())
        apic_enable_x2apic();
    apic_write(APIC_SVR, APIC_SVR_ENABLE | VEC_SPURIOUS);
    apic_write(APIC_TMICT, 0);
    mask_lvts();
    apic_write(APIC_TPR, 0);
    apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
    if (!apic_x2apic_mode()) {
        apic_write(APIC_DFR, APIC_DFR_FLAT);
        apic_write(APIC_LDR, 0);
    }
    apic_write(APIC_ESR, 0);
    apic_write(APIC_ESR, 0);
    for (unsigned i = 0; i < 256 && apic_highest_vector(APIC_ISR) >= 0; i++)
        apic_eoi();
    if (vcpu != 0)
        rt_irq_enable();    /* APs idle with interrupts on */
}

static void (*run_on_fn)(unsigned vcpu);
static unsigned run_on_target;

static void run_on_filter(unsigned vcpu)
{
    if (vcpu == run_on_target)
        run_on_fn(vcpu);
}

void suite_run_on(unsigned vcpu, void (*fn)(unsigned vcpu))
{
    if (vcpu == 0) {
        fn(0);
        return;
    }
    run_on_fn = fn;
    run_on_target = vcpu;
    rt_start_aps(run_on_filter);
}

uint32_t suite_start_on(unsigned vcpu, void (*fn)(unsigned vcpu))
{
    run_on_fn = fn;
    run_on_target = vcpu;
    return rt_start_aps_nowait(run_on_filter);
}

unsigned suite_join(uint32_t ticket)
{
    return rt_wait_aps(ticket);
}

uint32_t suite_count(unsigned vcpu, unsigned vector)
{
    return rt_irq_count(vcpu, vector);
}

bool suite_wait_count(unsigned vcpu, unsigned vector, uint32_t target, unsigned ms)
{
    if (vcpu == rt_vcpu_index())
        return rt_irq_wait(vector, target, rt_ms_to_tsc(ms));
    uint64_t deadline = rt_rdtsc() + rt_ms_to_tsc(ms);
    while (rt_irq_count(vcpu, vector) < target) {
        if (rt_rdtsc() >= deadline)
            return false;
        rt_pause();
    }
    return true;
}

bool suite_wait_flag(const uint32_t *flag, uint32_t value, unsigned ms)
{
    uint64_t deadline = rt_rdtsc() + rt_ms_to_tsc(ms);

    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) < value) {
        if (rt_rdtsc() >= deadline)
            return false;
        rt_pause();
    }
    return true;
}

uint32_t suite_esr(void)
{
    apic_write(APIC_ESR, 0);
    return apic_read(APIC_ESR);
}

uint64_t suite_apic_ticks_per_ms(void)
{
    return apic_ticks_per_ms;
}

void suite_watchdog_start(unsigned ms)
{
    uint64_t ticks = (ms < WATCHDOG_MIN_MS ? WATCHDOG_MIN_MS : ms) *
                     (apic_ticks_per_ms ? apic_ticks_per_ms : 1000000);

    apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
    apic_write(APIC_LVT_TIMER, APIC_LVT_TIMER_ONESHOT | VEC_WATCHDOG);
    apic_write(APIC_TMICT, ticks > 0xffffffffu ? 0xffffffffu : (uint32_t)ticks);
}

void suite_watchdog_stop(void)
{
    apic_write(APIC_TMICT, 0);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
}

/* One sample: the masked timer's ticks against the TSC over about
 * CALIBRATE_MS, with interrupts off. */
static uint64_t timer_rate_sample(uint32_t tdcr)
{
    uint64_t flags = rt_irq_save();

    apic_write(APIC_TDCR, tdcr);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED | VEC_TIMER);
    uint64_t t0 = rt_rdtsc();
    apic_write(APIC_TMICT, 0xffffffffu);
    rt_delay_us(CALIBRATE_MS * 1000);
    uint32_t left = apic_read(APIC_TMCCT);
    uint64_t t1 = rt_rdtsc();
    apic_write(APIC_TMICT, 0);
    rt_irq_restore(flags);
    return (0xffffffffu - left) * rt_tsc_khz() / (t1 - t0 ? t1 - t0 : 1);
}

uint64_t suite_timer_ticks_per_ms(uint32_t tdcr)
{
    uint64_t best = 0;

    /* A stall (an emulator thread descheduled) between the TSC reads and
     * the register accesses only makes a sample low: keep the highest. */
    for (unsigned i = 0; i < CALIBRATE_ROUNDS; i++) {
        uint64_t r = timer_rate_sample(tdcr);
        if (r > best)
            best = r;
    }
    return best;
}

bool suite_test_begin(void)
{
    if (suite.skip_all) {
        rt_test_skip(suite.skip_all);
        return false;
    }
    for (unsigned i = 0; i < suite.ncpus; i++)
        unhandled_before[i] = rt_irq_unhandled_count(i, NULL);
    return true;
}

static void lower_test_lines(void)
{
    static const unsigned lines[] = {LINE_IOAPIC_LEVEL, LINE_IOAPIC_EDGE, LINE_IOAPIC_MASKED,
                                     LINE_PIC_MASTER, LINE_PIC_SLAVE};

    for (unsigned i = 0; i < sizeof(lines) / sizeof(lines[0]); i++)
        rt_testdev_set_irq(lines[i], 0);
}

void suite_test_end(void)
{
    rt_irq_disable();
    apic_refresh();
    if (apic_base() & APIC_BASE_EN) {
        int v = apic_highest_vector(APIC_ISR);
        if (!EXPECT(v < 0))
            printf("  vector %#x left in service on vCPU 0\n", (unsigned)v);
    }
    lower_test_lines();
    ioapic_mask_all();
    pic_set_mask(0xffff);
    suite_cpu_reset(0);
    if (suite.ncpus > 1)
        rt_start_aps(suite_cpu_reset);
    for (unsigned i = 0; i < suite.ncpus; i++) {
        unsigned last = 0;
        uint32_t n = rt_irq_unhandled_count(i, &last);
        if (!EXPECT_EQ(n, unhandled_before[i]))
            printf("  vCPU %u took %u unexpected interrupt(s), the last vector %#x\n", i,
                   n - unhandled_before[i], last);
    }
}

static void record_apic_id(unsigned vcpu)
{
    suite.apic_id[vcpu] = apic_id();
}

/* Everything the tests take for granted; sets suite.skip_all otherwise. */
static void suite_setup(void)
{
    struct rt_cpuid c1 = rt_cpuid(1, 0);

    suite.x2apic = rt_cmdline_has("x2apic");
    suite.ncpus = 1;
    if (!(c1.edx & CPUID_1_EDX_APIC) || !(rt_rdmsr(MSR_APIC_BASE) & APIC_BASE_EN)) {
        suite.skip_all = "no local APIC (CPUID.1:EDX.APIC = 0 or IA32_APIC_BASE.EN = 0)";
        return;
    }
    if (suite.x2apic && !(c1.ecx & CPUID_1_ECX_X2APIC)) {
        suite.skip_all = "x2APIC mode asked for, but CPUID.1:ECX.x2APIC = 0";
        return;
    }
    const struct rt_madt *madt = rt_madt();
    suite.ioapic_base = madt->ioapic_addr ? madt->ioapic_addr : IOAPIC_DEFAULT_BASE;
    for (unsigned v = SUITE_VEC_FIRST; v <= SUITE_VEC_LAST; v++)
        rt_irq_register(v, suite_eoi_handler);
    rt_irq_register(VEC_SPURIOUS, apic_spurious_handler);
    rt_irq_tolerate_unregistered(true);     /* counted; tests check the count */
    pic_init(VEC_PIC_BASE, VEC_PIC_BASE + 8);
    ioapic_mask_all();
    lower_test_lines();
    suite.max_lvt = APIC_LVR_MAX_LVT(apic_read(APIC_LVR));
    suite_cpu_reset(0);
    apic_ticks_per_ms = suite_timer_ticks_per_ms(APIC_TDCR_DIV_1);
    apic_write(APIC_TDCR, APIC_TDCR_DIV_1);
    rt_start_aps_sipi(suite_cpu_reset);
    suite.ncpus = rt_vcpu_count();
    rt_run_on_all(record_apic_id);
    printf("apic: %s mode, %u CPU%s, TSC %llu kHz%s, APIC timer %llu ticks/ms, "
           "I/O APIC at %#x%s\n", suite.x2apic ? "x2APIC" : "xAPIC", suite.ncpus,
           suite.ncpus == 1 ? "" : "s", (unsigned long long)rt_tsc_khz(),
           rt_tsc_measured() ? "" : " (assumed)", (unsigned long long)apic_ticks_per_ms,
           suite.ioapic_base, madt->found ? "" : " (no MADT)");
}

int main(void)
{
    suite_setup();
    rt_run_tests();
}
