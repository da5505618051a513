/* SPDX-License-Identifier: MIT */
/*
 * hostile: the local APIC.  IA32_APIC_BASE transitions, legal and illegal,
 * checked against SDM vol. 3 10.12.5 (figure 10-27, "Local x2APIC State
 * Transitions"): disabled <-> xAPIC, xAPIC -> x2APIC, x2APIC -> disabled
 * are legal; x2APIC -> xAPIC, disabled -> x2APIC and EN = 0 with EXTD = 1
 * #GP, and so does EXTD without CPUID's x2APIC or a reserved bit (7:0, 9).
 * And IPI storms: ICR writes in every delivery mode, both destination
 * modes, every shorthand, any destination, in xAPIC and x2APIC mode.
 * Never an INIT assert: that would take this guest's own vCPUs (the storm
 * at the end does it to vCPU 1 on purpose, with a halt loop to land in).
 */
#include <stdio.h>

#include "hostile.h"
#include "lapic.h"

#define H_MODE_BITS     (APIC_BASE_EN | APIC_BASE_EXTD)
#define H_ALT_BASE      0xfeb00000u     /* a relocation target: unbacked */

/* The four IA32_APIC_BASE states, named by their EN/EXTD bits. */
enum h_apic_state {
    H_DISABLED = 0,
    H_INVALID = APIC_BASE_EXTD,
    H_XAPIC = APIC_BASE_EN,
    H_X2APIC = APIC_BASE_EN | APIC_BASE_EXTD,
};

static bool h_transition_legal(uint64_t from, uint64_t to)
{
    if (to == H_INVALID || (to & APIC_BASE_EXTD && !h_cfg.x2apic))
        return false;
    if (from == to)
        return true;
    return !(from == H_X2APIC && to == H_XAPIC) && !(from == H_DISABLED && to == H_X2APIC);
}

void h_apicmode(struct h_cpu *c)
{
    static const uint64_t states[4] = {H_DISABLED, H_INVALID, H_XAPIC, H_X2APIC};
    uint64_t base = rt_rdmsr(MSR_APIC_BASE), from = base & H_MODE_BITS;
    uint64_t to = states[h_below(c, 4)], addr = base & APIC_BASE_ADDR_MASK, v;
    int got;

    /* Relocation (xAPIC or disabled only: the x2APIC mode has no MMIO). */
    if (from != H_X2APIC && to != H_X2APIC && h_chance(c, 10))
        addr = addr == APIC_DEFAULT_BASE ? H_ALT_BASE : APIC_DEFAULT_BASE;
    v = (base & ~(H_MODE_BITS | APIC_BASE_ADDR_MASK)) | addr | to;
    if (h_chance(c, 10)) {
        uint64_t bad = v | (1ull << h_below(c, 8));

        h_expect(c, X86_GP, apic_base_write_safe(bad), "WRMSR APIC_BASE, reserved bit", bad);
        from = rt_rdmsr(MSR_APIC_BASE) & H_MODE_BITS;
    }
    got = apic_base_write_safe(v);
    if (got != RT_NO_FAULT)
        c->faults[H_APICMODE]++;
    h_expect(c, h_transition_legal(from, to) ? RT_NO_FAULT : X86_GP, got,
             "WRMSR APIC_BASE mode change, to", v);
    if (got == RT_NO_FAULT && (rt_rdmsr(MSR_APIC_BASE) & H_MODE_BITS) != to)
        h_fail(c, "APIC_BASE reads %#llx after writing %#llx",
               (unsigned long long)rt_rdmsr(MSR_APIC_BASE), (unsigned long long)v);
}

void h_apic_sane(void)
{
    uint64_t base = rt_rdmsr(MSR_APIC_BASE);
    uint64_t want = (base & APIC_BASE_BSP) | APIC_DEFAULT_BASE | APIC_BASE_EN;

    if ((base & H_MODE_BITS) == H_X2APIC)
        apic_base_write_safe(base & ~H_MODE_BITS);
    apic_base_write_safe(want);
    /* The ID register is writable in xAPIC mode (Keel keeps a written ID
     * across INIT, docs/vlapic.md); the random MMIO writes may have given
     * two vCPUs one ID, and the INIT of the storm would then hit vCPU 0. */
    apic_write(APIC_ID, rt_cpuid(1, 0).ebx & 0xff000000u);
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    apic_write(APIC_TPR, 0);
    apic_write(APIC_LVT_TIMER, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT0, APIC_LVT_MASKED);
    apic_write(APIC_LVT_LINT1, APIC_LVT_MASKED);
    apic_write(APIC_LVT_ERROR, APIC_LVT_MASKED);
}

/* ------------------------------------------------------------------ IPIs */

struct h_icr {
    uint64_t value;
};

/* One ICR write, no wait for the delivery status: xAPIC ICR2 then ICR at
 * the current base, x2APIC WRMSR 830h (may #GP on reserved bits). */
static void h_icr_do(void *arg)
{
    const struct h_icr *icr = arg;
    uint64_t base = apic_base();
    volatile uint32_t *mmio = (volatile uint32_t *)(uintptr_t)(base & APIC_BASE_ADDR_MASK);

    if ((base & H_MODE_BITS) == H_X2APIC) {
        rt_wrmsr(APIC_MSR(APIC_ICR), icr->value);
        return;
    }
    mmio[APIC_ICR2 / 4] = (uint32_t)(icr->value >> 32);
    mmio[APIC_ICR / 4] = (uint32_t)icr->value;
}

/* A random ICR value: any vector, delivery mode but INIT assert, both
 * destination modes, any shorthand and destination. */
static uint64_t h_icr_value(struct h_cpu *c, bool x2apic)
{
    static const uint32_t modes[] = {
        APIC_ICR_DM_FIXED, APIC_ICR_DM_FIXED, APIC_ICR_DM_LOWEST, APIC_ICR_DM_SMI,
        APIC_ICR_DM_NMI, APIC_ICR_DM_STARTUP, 3u << 8, 7u << 8, APIC_ICR_DM_INIT,
    };
    uint32_t dm = modes[h_below(c, sizeof(modes) / sizeof(modes[0]))];
    uint64_t v = dm | (h_chance(c, 90) ? 32 + h_below(c, 224) : h_below(c, 32));
    uint64_t dest;

    v |= (uint64_t)h_below(c, 4) << 18;                 /* shorthand */
    if (h_chance(c, 50))
        v |= APIC_ICR_DEST_LOGICAL;
    if (dm == APIC_ICR_DM_INIT) {
        /* Only the de-assert (trigger level, level 0; SDM table 10-3
         * note): receivers ignore it.  x2APIC has no de-assert. */
        if (x2apic)
            v = (v & ~APIC_ICR_DM_MASK) | APIC_ICR_DM_NMI;
        else
            v |= APIC_ICR_TRIGGER_LEVEL;
    } else {
        v |= h_chance(c, 70) ? APIC_ICR_LEVEL_ASSERT : 0;
        v |= h_chance(c, 20) ? APIC_ICR_TRIGGER_LEVEL : 0;
    }
    switch (h_below(c, 4)) {
    case 0: dest = x2apic ? 0xffffffffu : 0xffu; break;
    case 1: dest = h_below(c, 4); break;
    case 2: dest = 1u << h_below(c, 8); break;
    default: dest = (uint32_t)h_rand(c); break;
    }
    if (x2apic)
        return v | dest << APIC_ICR_X2APIC_DEST_SHIFT;
    return v | (dest & 0xff) << APIC_ICR_XAPIC_DEST_SHIFT;
}

void h_ipi(struct h_cpu *c)
{
    bool x2apic = (apic_base() & H_MODE_BITS) == H_X2APIC;
    unsigned burst = 1 + h_below(c, 16);
    struct h_icr icr = {h_icr_value(c, x2apic)};

    if (x2apic && h_chance(c, 20)) {
        /* SELF IPI register (x2APIC only): any vector, reserved bits too. */
        if (rt_wrmsr_safe(APIC_MSR(APIC_SELF_IPI), h_chance(c, 80) ? h_below(c, 256)
                                                                   : h_rand(c)) != RT_NO_FAULT)
            c->faults[H_IPI]++;
        return;
    }
    for (unsigned i = 0; i < burst; i++)
        if (h_try(c, H_IPI, h_icr_do, &icr) != RT_NO_FAULT)
            break;
}

/* ------------------------------------------------- INIT/SIPI at vCPU 1 */

/* A real-mode landing page for the start-up IPI (SDM 8.4.4.1: the AP
 * starts at CS = vector << 8, IP = 0): CLI, then count a wake-up at
 * H_LAND_COUNT and HLT, forever; NMIs (IVT entry 2) land on an IRET. */
#define H_LAND_PAGE     0x6000u
#define H_LAND_VECTOR   (H_LAND_PAGE >> 12)
#define H_LAND_COUNT    0x6100u
#define H_IVT_NMI       (2u * 4u)
static const uint8_t h_land_code[] = {
    0xfa,                       /* 6000: cli */
    0xff, 0x06, 0x00, 0x61,     /* 6001: inc word [0x6100] (DS = 0) */
    0xf4,                       /* 6005: hlt */
    0xeb, 0xf9,                 /* 6006: jmp 6001 */
    0xcf,                       /* 6008: iret (the NMI handler) */
};

/* A pointer to low guest-physical memory the compiler cannot reason about
 * (it takes small addresses for null-pointer arithmetic). */
static void *h_phys(uintptr_t addr)
{
    void *p = (void *)addr;

    __asm__("" : "+r"(p));
    return p;
}

static volatile uint16_t *h_land_count(void)
{
    return h_phys(H_LAND_COUNT);
}

static void h_land_prepare(void)
{
    volatile uint8_t *page = h_phys(H_LAND_PAGE);
    volatile uint16_t *ivt = h_phys(H_IVT_NMI);

    for (unsigned i = 0; i < sizeof(h_land_code); i++)
        page[i] = h_land_code[i];
    *h_land_count() = 0;
    ivt[0] = 0x0008;                    /* offset of the IRET */
    ivt[1] = H_LAND_PAGE >> 4;          /* segment */
}

/* Waits up to ms for the landing counter to move past old. */
static bool h_land_wait(uint16_t old, unsigned ms)
{
    for (unsigned i = 0; i < ms; i++) {
        if (*h_land_count() != old)
            return true;
        rt_delay_us(1000);
    }
    return *h_land_count() != old;
}

static void h_ipi_to(uint32_t id, uint32_t bits)
{
    struct h_icr icr = {((uint64_t)(id & 0xff) << APIC_ICR_XAPIC_DEST_SHIFT) | bits};

    h_icr_do(&icr);
    rt_delay_us(200);
}

uint32_t h_ap_apic_id[RT_MAX_VCPUS];

/* The AP's last work before the storm: count forever, so that vCPU 0 sees
 * it run before the INIT and stop after it.  With `hbexit` each turn also
 * reads port 80h, an exit: the INIT then need not pull a vCPU out of a
 * loop that never exits (docs/testing.md: not taken on bochs-vmx). */
static volatile uint64_t h_heartbeat;

static void h_ap_heartbeat(unsigned vcpu)
{
    bool hbexit = rt_cmdline_has("hbexit");

    (void)vcpu;
    for (;;) {
        h_heartbeat++;
        if (hbexit)
            (void)rt_inb(0x80);
    }
}

/* Whether the heartbeat moves within ms. */
static bool h_heartbeat_moves(unsigned ms)
{
    uint64_t before = h_heartbeat;

    for (unsigned i = 0; i < ms; i++) {
        if (h_heartbeat != before)
            return true;
        rt_delay_us(1000);
    }
    return h_heartbeat != before;
}

void h_init_sipi_storm(struct h_cpu *c, unsigned target)
{
    uint32_t id = h_ap_apic_id[target];

    h_apic_sane();
    h_land_prepare();
    printf("hostile: INIT/SIPI storm at vCPU %u (APIC ID %u)\n", target, (unsigned)id);
    (void)rt_start_aps_nowait(h_ap_heartbeat);
    if (!h_heartbeat_moves(3000))
        h_fail(c, "vCPU %u does not run before the INIT", target);
    for (unsigned round = 0; round < 3; round++) {
        uint16_t before;

        printf("hostile: INIT/SIPI round %u\n", round + 1);

        for (unsigned i = 0; i < 8; i++)
            h_ipi_to(id, APIC_ICR_DM_FIXED | (32 + h_below(c, 224)));
        h_ipi_to(id, APIC_ICR_DM_SMI);
        h_ipi_to(id, APIC_ICR_DM_INIT | APIC_ICR_LEVEL_ASSERT);
        /* INIT stops the AP until a SIPI (SDM 9.4.4.1, wait-for-SIPI). */
        rt_delay_us(100000);
        if (round == 0 && h_heartbeat_moves(500))
            h_fail(c, "vCPU %u still runs 100 ms after an INIT", target);
        h_ipi_to(id, APIC_ICR_DM_INIT | APIC_ICR_TRIGGER_LEVEL);     /* de-assert */
        before = *h_land_count();
        h_ipi_to(id, APIC_ICR_DM_STARTUP | H_LAND_VECTOR);
        h_ipi_to(id, APIC_ICR_DM_STARTUP | H_LAND_VECTOR);           /* ignored */
        /* After INIT, a start-up IPI starts the AP at the vector's page. */
        if (!h_land_wait(before, 3000))
            h_fail(c, "vCPU %u did not start at the SIPI page after INIT, SIPI", target);
        before = *h_land_count();
        h_ipi_to(id, APIC_ICR_DM_NMI);
        /* An NMI wakes it from HLT (SDM 8.4.4 / 6.7): the count moves. */
        if (!h_land_wait(before, 3000))
            h_fail(c, "vCPU %u in real mode did not wake for an NMI", target);
    }
    printf("hostile: vCPU %u woke %u times in its landing page\n", target,
           (unsigned)*h_land_count());
}
