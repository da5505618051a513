/* SPDX-License-Identifier: MIT */
/*
 * nmi: NMI delivery checked from inside the guest, against SDM vol. 3A
 * 6.7.1 ("Handling Multiple NMIs"), 6.8.3 (STI and MOV SS shadows) and
 * 11.6 (NMIs through the ICR).  See docs/nmi.md.
 *
 * Every NMI goes to vCPU 0, whose IDT vector 2 is the guest's own entry
 * (nmi_asm.S): it records where each NMI landed (the RIP in its frame)
 * and how deeply NMI handlers nested.  Checked:
 *  - an NMI that became pending while the handler ran is delivered right
 *    after that handler's IRET, at the very instruction the IRET returned
 *    to, and not inside the handler (no nesting);
 *  - one NMI is latched, not more: ten sent from inside the handler give
 *    exactly one more;
 *  - two NMIs in quick succession (another vCPU's and a self-sent one) are
 *    both delivered;
 *  - an NMI never lands on an instruction an STI or MOV SS shadow covers,
 *    also when that instruction exits to the hypervisor or faults.
 * Command line: test=<name>.  Tests needing a second vCPU skip without one.
 */
#include <stdio.h>

#include "lapic.h"
#include "rt.h"
#include "test.h"
#include "x86.h"

#define MAX_LOG       64
#define WAIT_MS       500       /* for an NMI that should come */
#define QUIET_MS      50        /* for one that must not */
#define QUICK_ROUNDS  20
#define FLOOD_NMIS    200

/* Written by nmi_asm.S (nesting right up to IRETQ) and nmi_c. */
volatile int32_t nmi_depth;
volatile int32_t nmi_iret_tf;                 /* nmi_asm.S sets TF before its IRETQ */
static volatile int32_t nmi_max_depth;
static volatile uint32_t nmi_count;           /* NMIs taken by vCPU 0 */
static uint64_t nmi_rip[MAX_LOG];             /* where NMI n landed */
/* What the handler does on its first entry of a test. */
static volatile uint32_t handler_sends;       /* self-NMIs to send */
static volatile bool handler_asks_remote;     /* vCPU 1 sends one, awaited */
/* vCPU 0 <-> vCPU 1 */
static volatile uint32_t remote_go, remote_sent, remote_flood;
static volatile bool remote_quit;

extern void nmi_entry(void);
extern void nmi_sled(unsigned n);
extern void shadow_sti_cpuid(void), shadow_movss_cpuid(void);
extern int shadow_movss_fault(void);
extern void shadow_sti_write(volatile uint32_t *reg, uint32_t val);
extern void shadow_movss_write(volatile uint32_t *reg, uint32_t val);
extern const char shadow_sti_cpuid_insn[], shadow_movss_cpuid_insn[], shadow_movss_fault_insn[];
extern const char shadow_sti_write_insn[], shadow_sti_write_after[];
extern const char shadow_movss_write_insn[], shadow_movss_write_after[];

static uint32_t vcpu0_apic_id;

/* An NMI to vCPU 0 by its physical APIC ID (the "self" shorthand is for
 * fixed interrupts only, SDM 11.6.1 "Destination Shorthand"). */
static uint64_t nmi_icr(void)
{
    return apic_icr_dest(vcpu0_apic_id) | APIC_ICR_DM_NMI | APIC_ICR_LEVEL_ASSERT;
}

static void send_nmi(void)
{
    apic_icr_write(nmi_icr());
}

static bool wait_flag(volatile uint32_t *flag, uint32_t want, uint64_t ms)
{
    uint64_t end = rt_rdtsc() + rt_ms_to_tsc(ms);
    while (__atomic_load_n(flag, __ATOMIC_ACQUIRE) != want && rt_rdtsc() < end)
        rt_pause();
    return __atomic_load_n(flag, __ATOMIC_ACQUIRE) == want;
}

/* Called by nmi_entry with the CPU's frame: RIP, CS, RFLAGS, RSP, SS. */
void nmi_c(const uint64_t *frame);
void nmi_c(const uint64_t *frame)
{
    uint32_t n = nmi_count;
    if (nmi_depth > nmi_max_depth)
        nmi_max_depth = nmi_depth;
    if (n < MAX_LOG)
        nmi_rip[n] = frame[0];
    __atomic_store_n(&nmi_count, n + 1, __ATOMIC_RELEASE);
    if (n != 0)
        return;
    /* The first NMI of a test: NMIs are blocked until this handler's IRET. */
    for (uint32_t i = handler_sends; i; i--)
        send_nmi();
    if (handler_asks_remote) {
        __atomic_store_n(&remote_go, 1, __ATOMIC_RELEASE);
        wait_flag(&remote_sent, 1, WAIT_MS);
    }
}

static void reset_log(void)
{
    nmi_count = 0;
    nmi_max_depth = 0;
    handler_sends = 0;
    handler_asks_remote = false;
    remote_go = remote_sent = remote_flood = 0;
}

/* Waits, taking exits (CPUID) so that even a late delivery comes. */
static bool wait_count(uint32_t want, uint64_t ms)
{
    uint64_t end = rt_rdtsc() + rt_ms_to_tsc(ms);
    while (__atomic_load_n(&nmi_count, __ATOMIC_ACQUIRE) < want && rt_rdtsc() < end)
        (void)rt_cpuid(0, 0);
    return __atomic_load_n(&nmi_count, __ATOMIC_ACQUIRE) >= want;
}

static void install_entry(void)
{
    struct __attribute__((packed)) { uint16_t limit; uint64_t base; } idtr;
    __asm__ volatile("sidt %0" : "=m"(idtr));
    uint16_t *gate = (uint16_t *)(uintptr_t)(idtr.base + 2 * 16);
    uint64_t h = (uint64_t)(uintptr_t)nmi_entry;
    gate[0] = (uint16_t)h;
    gate[3] = (uint16_t)(h >> 16);
    *(uint32_t *)&gate[4] = (uint32_t)(h >> 32);
}

/* vCPU 1's part: send NMIs to vCPU 0 when asked, until told to quit. */
static void remote_loop(unsigned vcpu)
{
    if (vcpu != 1)
        return;
    apic_refresh();
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    while (!__atomic_load_n(&remote_quit, __ATOMIC_ACQUIRE)) {
        if (__atomic_exchange_n(&remote_go, 0, __ATOMIC_ACQ_REL)) {
            send_nmi();
            __atomic_store_n(&remote_sent, 1, __ATOMIC_RELEASE);
        }
        if (__atomic_load_n(&remote_flood, __ATOMIC_ACQUIRE)) {
            send_nmi();
            __atomic_sub_fetch(&remote_flood, 1, __ATOMIC_ACQ_REL);
        }
        rt_pause();
    }
}

static uint32_t remote_ticket;
static bool have_remote;

static bool start_remote(void)
{
    if (!have_remote && rt_vcpu_count() >= 2) {
        remote_ticket = rt_start_aps_nowait(remote_loop);
        have_remote = true;
    }
    return have_remote;
}

static void prepare(void)
{
    apic_refresh();
    apic_write(APIC_SVR, APIC_SVR_ENABLE | 0xff);
    vcpu0_apic_id = apic_id();
    reset_log();
}

/* Checks that NMI 1 landed where NMI 0 did: the second NMI came right
 * after the first handler's IRET, at the instruction it returned to. */
static bool expect_after_iret(void)
{
    bool ok = EXPECT_EQ(nmi_max_depth, 1);
    if (!EXPECT_EQ(nmi_rip[1], nmi_rip[0]))
        printf("  first NMI landed at %#llx, the second at %#llx (late: not right after the "
               "IRET)\n", (unsigned long long)nmi_rip[0], (unsigned long long)nmi_rip[1]);
    else
        return ok;
    return false;
}

KEEL_TEST(nmi_self)
{
    REQUIRE_KEEL();
    prepare();
    send_nmi();
    EXPECT(wait_count(1, WAIT_MS));
    wait_count(2, QUIET_MS);
    EXPECT_EQ(nmi_count, 1);
    EXPECT_EQ(nmi_max_depth, 1);
}

/* SDM 6.7.1: NMIs are blocked from the handler's entry to its IRET; one
 * that arrives meanwhile is delivered when that IRET completes. */
KEEL_TEST(nmi_pending_after_iret)
{
    REQUIRE_KEEL();
    prepare();
    handler_sends = 1;
    send_nmi();
    nmi_sled(20000);      /* no exit here: the second NMI must not need one */
    EXPECT(wait_count(2, WAIT_MS));
    wait_count(3, QUIET_MS);
    EXPECT_EQ(nmi_count, 2);
    expect_after_iret();
}

/* One NMI latched beside the one in service, not more. */
KEEL_TEST(nmi_latch_one)
{
    REQUIRE_KEEL();
    prepare();
    handler_sends = 10;
    send_nmi();
    nmi_sled(20000);
    EXPECT(wait_count(2, WAIT_MS));
    wait_count(3, QUIET_MS * 4);
    if (!EXPECT_EQ(nmi_count, 2))
        printf("  ten NMIs sent inside the handler gave %u more\n", nmi_count - 1);
    expect_after_iret();
}

/* Another vCPU's NMI arriving while the handler runs. */
KEEL_TEST(nmi_remote_while_handling)
{
    REQUIRE_KEEL();
    prepare();
    if (!start_remote())
        SKIP("needs 2 vCPUs");
    handler_asks_remote = true;
    send_nmi();
    nmi_sled(20000);
    EXPECT(wait_count(2, WAIT_MS));
    EXPECT_EQ(remote_sent, 1);
    wait_count(3, QUIET_MS);
    EXPECT_EQ(nmi_count, 2);
    expect_after_iret();
}

/* Two NMIs in quick succession, one from vCPU 1 and one self-sent: the
 * first is in service (or would be on a CPU, which delivers it at once)
 * when the second comes, which is latched: both are delivered. */
KEEL_TEST(nmi_two_quick)
{
    REQUIRE_KEEL();
    prepare();
    if (!start_remote())
        SKIP("needs 2 vCPUs");
    unsigned lost = 0, extra = 0;
    for (unsigned r = 0; r < QUICK_ROUNDS; r++) {
        reset_log();
        __atomic_store_n(&remote_go, 1, __ATOMIC_RELEASE);
        send_nmi();
        wait_flag(&remote_sent, 1, WAIT_MS);
        /* Short waits: a lost NMI must fail the test, not stall it. */
        wait_count(2, QUIET_MS * 2);
        wait_count(3, QUIET_MS / 5);
        lost += nmi_count < 2 ? 2 - nmi_count : 0;
        extra += nmi_count > 2 ? nmi_count - 2 : 0;
        EXPECT_EQ(nmi_max_depth, 1);
    }
    if (!EXPECT_EQ(lost, 0) || !EXPECT_EQ(extra, 0))
        printf("  %u rounds of two NMIs: %u lost, %u extra\n", QUICK_ROUNDS, lost, extra);
}

/* SDM 6.8.3: a self-NMI sent by the instruction an STI / MOV SS shadow
 * covers lands after that instruction, the next boundary. */
KEEL_TEST(nmi_shadow_self)
{
    REQUIRE_KEEL();
    prepare();
    if (apic_x2apic_mode())
        SKIP("xAPIC only");
    volatile uint32_t *icr = (volatile uint32_t *)(uintptr_t)(
        (apic_base() & APIC_BASE_ADDR_MASK) + APIC_ICR);
    apic_write(APIC_ICR2, (uint32_t)(nmi_icr() >> 32));
    shadow_sti_write(icr, (uint32_t)nmi_icr());
    EXPECT(wait_count(1, WAIT_MS));
    EXPECT_EQ(nmi_rip[0], (uint64_t)(uintptr_t)shadow_sti_write_after);
    reset_log();
    apic_write(APIC_ICR2, (uint32_t)(nmi_icr() >> 32));
    shadow_movss_write(icr, (uint32_t)nmi_icr());
    EXPECT(wait_count(1, WAIT_MS));
    EXPECT_EQ(nmi_rip[0], (uint64_t)(uintptr_t)shadow_movss_write_after);
}

static void db_handler(unsigned vector)
{
}

/* The guest single-steps its own handler's IRET (TF set before it): the
 * hypervisor's own step of that IRET must leave it exactly one #DB (SDM
 * 18.3.1.4: a trap after the IRET), with its TF gone afterwards (the
 * IRET loaded RFLAGS from the frame), and the latched NMI still comes. */
KEEL_TEST(nmi_guest_steps_iret)
{
    REQUIRE_KEEL();
    prepare();
    uint32_t db0 = rt_irq_count(0, X86_DB);
    rt_irq_register(X86_DB, db_handler);
    handler_sends = 1;
    nmi_iret_tf = 1;
    send_nmi();
    nmi_sled(2000);
    /* Seen here, on vCPU 0: both handlers (and their IRETs) are done. */
    EXPECT(wait_count(2, WAIT_MS));
    nmi_iret_tf = 0;
    wait_count(3, QUIET_MS);
    EXPECT_EQ(nmi_count, 2);
    uint32_t dbs = rt_irq_count(0, X86_DB) - db0;
    if (!EXPECT_EQ(dbs, 2))
        printf("  %u #DB for two single-stepped IRETs\n", dbs);
    EXPECT_EQ(rt_read_rflags() & RT_BIT(8), 0);
    EXPECT_EQ(nmi_max_depth, 1);
    rt_irq_register(X86_DB, NULL);
}

static bool in_shadow_insn(uint64_t rip)
{
    return rip == (uint64_t)(uintptr_t)shadow_sti_cpuid_insn
        || rip == (uint64_t)(uintptr_t)shadow_movss_cpuid_insn
        || rip == (uint64_t)(uintptr_t)shadow_movss_fault_insn;
}

/* NMIs from vCPU 1 while vCPU 0 runs shadowed instructions that exit
 * (CPUID) or fault (UD2): none may land on the shadowed instruction. */
KEEL_TEST(nmi_shadow_flood)
{
    REQUIRE_KEEL();
    prepare();
    if (!start_remote())
        SKIP("needs 2 vCPUs");
    unsigned bad = 0, seen = 0, faults = 0;
    uint64_t bad_rip = 0;
    __atomic_store_n(&remote_flood, FLOOD_NMIS, __ATOMIC_RELEASE);
    uint64_t end = rt_rdtsc() + rt_ms_to_tsc(WAIT_MS * 4);
    while (__atomic_load_n(&remote_flood, __ATOMIC_ACQUIRE) && rt_rdtsc() < end) {
        shadow_sti_cpuid();
        shadow_movss_cpuid();
        faults += shadow_movss_fault() == X86_UD;
        uint32_t n = __atomic_load_n(&nmi_count, __ATOMIC_ACQUIRE);
        for (; seen < n && seen < MAX_LOG; seen++) {
            if (in_shadow_insn(nmi_rip[seen])) {
                bad++;
                bad_rip = nmi_rip[seen];
            }
        }
        if (n >= MAX_LOG) {
            nmi_count = 0;
            seen = 0;
        }
    }
    EXPECT_EQ(__atomic_load_n(&remote_flood, __ATOMIC_ACQUIRE), 0);
    EXPECT(faults > 0);
    if (!EXPECT_EQ(bad, 0))
        printf("  %u NMIs landed on an instruction a shadow covers, the last at %#llx (sti/cpuid "
               "%p, movss/cpuid %p, movss/ud2 %p)\n", bad, (unsigned long long)bad_rip,
               (const void *)shadow_sti_cpuid_insn, (const void *)shadow_movss_cpuid_insn,
               (const void *)shadow_movss_fault_insn);
    EXPECT_EQ(nmi_max_depth, 1);
}

int main(void)
{
    install_entry();
    rt_run_tests();
}
