/* SPDX-License-Identifier: MIT */
/*
 * hostile: options, the rounds on every vCPU, the summary and the ending.
 *
 *   seed=N        the random seed (default: from the TSC); printed first,
 *                 so that a run can be replayed
 *   rounds=N      actions per vCPU (default 1500)
 *   time=S        stop the rounds after S seconds even if not done (20)
 *   kinds=a,b     only these kinds: port msr mmio ipi apicmode cr xcr
 *   initsipi=no   leave out the INIT/SIPI storm at vCPU 1 after the rounds
 *   hbexit        the AP's heartbeat loop before the storm exits (IN from
 *                 port 80h) on every turn
 *   skip=a,b      leave out these probes: cr0-high, pg-without-pe,
 *                 nw-without-cd, cr3-high, cr8-high (reserved-bit MOV CR writes an
 *                 emulator wrongly accepts, see docs/testing.md)
 *   end=HOW       how the VM ends: status (default: 0, or 1 when an
 *                 architectural check failed), triple (a triple fault),
 *                 cf9 / kbd (the reset ports 0xCF9 and 0x64), acpi-off
 *                 (SLP_EN with S5 in PM1a control), init-self (INIT to its
 *                 own APIC)
 *
 * Exit status: 0 / 1 as above, 2 for a bad option, 3 for an exception the
 * guest did not provoke on purpose (the runtime's report).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostile.h"
#include "lapic.h"

struct h_config h_cfg;

static struct h_cpu h_cpus[RT_MAX_VCPUS];
static uint32_t h_done[RT_MAX_VCPUS];

#define H_STATUS_BAD_OPTION 2
#define H_PROGRESS_EVERY    250u    /* a progress line per vCPU this often */
#define H_FAIL_SHOWN        20u     /* failures printed per vCPU */

static const char *const h_kind_names[H_KINDS] = {
    [H_PORT] = "port", [H_MSR] = "msr", [H_MMIO] = "mmio", [H_IPI] = "ipi",
    [H_APICMODE] = "apicmode", [H_CR] = "cr", [H_XCR] = "xcr",
};

/* ------------------------------------------------------------------ rng */

/* xorshift64* (Marsaglia / Vigna): cheap, and the same seed gives the
 * same stream on every run. */
uint64_t h_rand(struct h_cpu *c)
{
    uint64_t x = c->rng;

    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    c->rng = x;
    return x * 0x2545f4914f6cdd1dull;
}

static uint64_t h_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ------------------------------------------------------- faults, checks */

int h_try(struct h_cpu *c, enum h_kind kind, void (*fn)(void *), void *arg)
{
    int v = rt_try(fn, arg);

    if (v != RT_NO_FAULT)
        c->faults[kind]++;
    return v;
}

void h_fail(struct h_cpu *c, const char *fmt, ...)
{
    char buf[200];
    va_list ap;

    if (c->failures++ >= H_FAIL_SHOWN)
        return;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    printf("hostile: FAIL vcpu%u (seed=%llu): %s\n", c->vcpu,
           (unsigned long long)h_cfg.seed, buf);
}

static const char *h_vector_name(int v)
{
    static char other[8];

    switch (v) {
    case RT_NO_FAULT: return "no fault";
    case X86_UD: return "#UD";
    case X86_GP: return "#GP";
    case X86_PF: return "#PF";
    default:
        snprintf(other, sizeof(other), "vec %d", v);
        return other;
    }
}

void h_expect(struct h_cpu *c, int want, int got, const char *what, uint64_t value)
{
    if (want == got)
        return;
    h_fail(c, "%s %#llx: %s, the SDM/APM say %s", what, (unsigned long long)value,
           h_vector_name(got), h_vector_name(want));
}

/* ------------------------------------------------------------- options */

bool h_skipped(const char *name)
{
    const char *s = rt_cmdline_value("skip");
    size_t n = strlen(name);

    while (s && *s && *s != ' ') {
        size_t len = strcspn(s, ", ");

        if (len == n && strncmp(s, name, n) == 0)
            return true;
        s += len + (s[len] == ',');
    }
    return false;
}

static bool h_parse_kinds(const char *s)
{
    uint32_t kinds = 0;

    while (*s) {
        size_t n = strcspn(s, ",");
        unsigned k;

        for (k = 0; k < H_KINDS; k++)
            if (strlen(h_kind_names[k]) == n && strncmp(s, h_kind_names[k], n) == 0)
                break;
        if (k == H_KINDS)
            return false;
        kinds |= 1u << k;
        s += n + (s[n] == ',');
    }
    h_cfg.kinds = kinds;
    return kinds != 0;
}

static bool h_parse_options(void)
{
    const char *v;
    char *end;

    h_cfg.seed = rt_rdtsc();
    h_cfg.rounds = 1500;
    h_cfg.kinds = (1u << H_KINDS) - 1;
    if ((v = rt_cmdline_value("seed")) != NULL) {
        h_cfg.seed = strtoull(v, &end, 0);
        if (*end || !*v)
            return false;
    }
    /* The seed goes out before anything else can go wrong. */
    printf("hostile: seed=%llu (replay with seed=%llu)\n", (unsigned long long)h_cfg.seed,
           (unsigned long long)h_cfg.seed);
    if ((v = rt_cmdline_value("rounds")) != NULL) {
        h_cfg.rounds = (uint32_t)strtoul(v, &end, 0);
        if (*end || !*v)
            return false;
    }
    v = rt_cmdline_value("time");
    h_cfg.deadline_tsc = rt_ms_to_tsc(1000 * (v ? strtoull(v, NULL, 0) : 20));
    if ((v = rt_cmdline_value("kinds")) != NULL && !h_parse_kinds(v))
        return false;
    return true;
}

/* ---------------------------------------------------------- platform */

static uint32_t h_le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* The FADT's PM1 control blocks and reset register (ACPI 6.5 table 5.9):
 * the ports whose writes end or reset the machine. */
static void h_read_fadt(void)
{
    const uint8_t *f = rt_acpi_table("FACP");
    uint32_t len;

    if (f == NULL)
        return;
    len = h_le32(f + 4);
    if (len >= 72) {
        h_cfg.pm1a_cnt = (uint16_t)h_le32(f + 64);
        h_cfg.pm1b_cnt = (uint16_t)h_le32(f + 68);
    }
    /* RESET_REG: a GAS at 116 (space 1 = system I/O, address at 120). */
    if (len >= 129 && f[116] == 1)
        h_cfg.reset_port = (uint16_t)h_le32(f + 120);
}

static void h_read_cpuid(void)
{
    struct rt_cpuid l1 = rt_cpuid(1, 0);
    struct rt_cpuid e0 = rt_cpuid(0x80000000, 0);

    h_cfg.x2apic = (l1.ecx & CPUID_1_ECX_X2APIC) != 0;
    h_cfg.xsave = (l1.ecx & CPUID_1_ECX_XSAVE) != 0;
    h_cfg.vmx = (l1.ecx & CPUID_1_ECX_VMX) != 0;
    h_cfg.svm = e0.eax >= 0x80000001 &&
                (rt_cpuid(0x80000001, 0).ecx & CPUID_80000001_ECX_SVM) != 0;
    if (h_cfg.xsave) {
        struct rt_cpuid d = rt_cpuid(0xd, 0);

        h_cfg.xcr0_mask = ((uint64_t)d.edx << 32) | d.eax;
    }
    h_cfg.maxphyaddr = e0.eax >= 0x80000008 ? (uint8_t)rt_cpuid(0x80000008, 0).eax : 36;
}

static void h_nmi(unsigned vector)
{
    (void)vector;
    h_cpus[rt_vcpu_index()].nmis++;
}

/* ---------------------------------------------------------- the rounds */

static void (*const h_actions[H_KINDS])(struct h_cpu *) = {
    [H_PORT] = h_port, [H_MSR] = h_msr, [H_MMIO] = h_mmio, [H_IPI] = h_ipi,
    [H_APICMODE] = h_apicmode, [H_CR] = h_cr, [H_XCR] = h_xcr,
};

/* Elapsed time that survives the guest's own writes to the TSC: only
 * forward steps shorter than a second count. */
static uint64_t h_tick(uint64_t *last)
{
    uint64_t now = rt_rdtsc(), d = now - *last;

    *last = now;
    return d < rt_ms_to_tsc(1000) ? d : 0;
}

static void h_rounds(unsigned vcpu)
{
    struct h_cpu *c = &h_cpus[vcpu];
    uint64_t last = rt_rdtsc(), elapsed = 0;
    uint32_t r;

    c->vcpu = vcpu;
    c->rng = h_mix(h_cfg.seed + 0x9e3779b97f4a7c15ull * (vcpu + 1)) | 1;
    for (r = 0; r < h_cfg.rounds && elapsed < h_cfg.deadline_tsc; r++) {
        unsigned k = h_below(c, H_KINDS);

        if (h_cfg.kinds & (1u << k)) {
            c->count[k]++;
            h_actions[k](c);
        }
        elapsed += h_tick(&last);
        if ((r + 1) % H_PROGRESS_EVERY == 0)
            printf("hostile: vcpu%u round %u\n", vcpu, r + 1);
    }
    h_apic_sane();
    h_ap_apic_id[vcpu] = apic_id();
    printf("hostile: vcpu%u did %u rounds%s\n", vcpu, r,
           r < h_cfg.rounds ? " (time limit)" : "");
    __atomic_store_n(&h_done[vcpu], 1, __ATOMIC_RELEASE);
}

/* vCPU 0's rounds while the APs do theirs; then waits for them (their
 * rounds are bounded by the same time limit, plus a margin). */
static unsigned h_run_all(void)
{
    unsigned n = rt_vcpu_count(), done = 1;
    uint32_t ticket = 0;
    uint64_t last, waited = 0;

    if (n > 1)
        ticket = rt_start_aps_nowait(h_rounds);
    h_rounds(0);
    if (n == 1)
        return 1;
    last = rt_rdtsc();
    for (unsigned v = 1; v < n; v++)
        while (!__atomic_load_n(&h_done[v], __ATOMIC_ACQUIRE) &&
               waited < h_cfg.deadline_tsc + rt_ms_to_tsc(10000)) {
            rt_pause();
            waited += h_tick(&last);
        }
    done += rt_wait_aps(ticket);
    return done;
}

/* ------------------------------------------------------------ summary */

static uint32_t h_summary(unsigned ncpu)
{
    uint32_t failures = 0;

    for (unsigned v = 0; v < ncpu; v++) {
        struct h_cpu *c = &h_cpus[v];
        char line[256];
        int n = snprintf(line, sizeof(line), "hostile: vcpu%u:", v);

        for (unsigned k = 0; k < H_KINDS && n > 0 && (size_t)n < sizeof(line); k++)
            n += snprintf(line + n, sizeof(line) - (size_t)n, " %s %u/%u", h_kind_names[k],
                          (unsigned)c->count[k], (unsigned)c->faults[k]);
        printf("%s (actions/faults), nmis %u, failures %u\n", line, (unsigned)c->nmis,
               (unsigned)c->failures);
        failures += c->failures;
    }
    return failures;
}

/* ------------------------------------------------------------- endings */

static void h_end(const char *how)
{
    rt_console_flush();
    if (strcmp(how, "triple") == 0) {
        printf("hostile: ending with a triple fault\n");
        rt_triple_fault();
    } else if (strcmp(how, "cf9") == 0) {
        printf("hostile: ending through the reset control register 0xCF9\n");
        rt_outb(0xcf9, 0x02);
        rt_outb(0xcf9, 0x06);
    } else if (strcmp(how, "kbd") == 0) {
        printf("hostile: ending through the 8042 reset line\n");
        rt_outb(0x64, 0xfe);
    } else if (strcmp(how, "acpi-off") == 0 && h_cfg.pm1a_cnt) {
        /* SLP_TYP 5 (Keel's \_S5) with SLP_EN (ACPI 4.8.3.2.1). */
        printf("hostile: ending with SLP_EN, SLP_TYP 5 at PM1a control %#x\n",
               h_cfg.pm1a_cnt);
        rt_outw(h_cfg.pm1a_cnt, (uint16_t)((5u << 10) | (1u << 13)));
    } else if (strcmp(how, "init-self") == 0) {
        printf("hostile: ending with an INIT to itself\n");
        apic_icr_write(apic_icr_dest(apic_id()) | APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT);
    } else {
        return;
    }
    /* Whatever Keel does next, this vCPU does nothing more. */
    rt_delay_us(2000000);
    printf("hostile: still running after end=%s\n", how);
}

static bool h_end_known(const char *how)
{
    static const char *const ends[] = {"status", "triple", "cf9", "kbd", "acpi-off",
                                       "init-self"};

    for (unsigned i = 0; i < sizeof(ends) / sizeof(ends[0]); i++)
        if (strcmp(how, ends[i]) == 0)
            return true;
    return false;
}

int main(void)
{
    const char *end = rt_cmdline_value("end");
    const char *initsipi = rt_cmdline_value("initsipi");
    unsigned ncpu = rt_vcpu_count(), done;
    uint32_t failures;

    if (!h_parse_options() || (end && !h_end_known(end))) {
        printf("hostile: bad option in '%s'\n", rt_cmdline());
        return H_STATUS_BAD_OPTION;
    }
    h_read_cpuid();
    h_read_fadt();
    printf("hostile: %u vCPUs, %u rounds each, kinds %#x, x2apic %d, xsave %d, "
           "maxphyaddr %u, pm1a_cnt %#x\n", ncpu, (unsigned)h_cfg.rounds,
           (unsigned)h_cfg.kinds, h_cfg.x2apic, h_cfg.xsave, h_cfg.maxphyaddr,
           h_cfg.pm1a_cnt);
    rt_irq_register(X86_NMI, h_nmi);
    rt_irq_tolerate_unregistered(true);
    h_mmio_init();
    done = h_run_all();
    if (done != ncpu)
        h_fail(&h_cpus[0], "%u of %u vCPUs finished their rounds", done, ncpu);
    if (ncpu > 1 && !(initsipi && strcmp(initsipi, "no") == 0))
        h_init_sipi_storm(&h_cpus[0], 1);
    failures = h_summary(ncpu);
    printf("hostile: %u failures\n", (unsigned)failures);
    if (end)
        h_end(end);
    return failures ? 1 : 0;
}
