/* SPDX-License-Identifier: MIT */
/*
 * Starting the application processors after ExitBootServices: the firmware
 * resets APs parked in MP services at that point (docs/platforms.md), so Keel
 * starts them itself with INIT-SIPI-SIPI (SDM 9.4.4.1, "Typical BSP
 * Initialization Sequence") through the trampoline in trampoline.S.
 */
#include <string.h>

#include "boot/boot.h"
#include "hv/host/console.h"
#include "hv/host/desc.h"
#include "hv/host/lapic_host.h"
#include "hv/mm/mem.h"
#include "hv/host/time.h"
#include "hv/vm.h"
#include "hv/x86.h"

extern const char tramp_start[], tramp_end[], tramp_gdtr[], tramp_far32[], tramp_far64[];
extern const char tramp_cr3[], tramp_stack[], tramp_arg[], tramp_entry[], tramp_ack[];
extern const uint32_t tramp_off_gdt, tramp_off_pm32, tramp_off_lm64;

#define AP_START_TIMEOUT_US 200000u

static volatile uint32_t aps_released;

/* Pointer to a trampoline field in the low-memory copy. */
static void *tramp_field(const char *sym)
{
    return (void *)(uintptr_t)(boot.trampoline_pa + (uint64_t)(sym - tramp_start));
}

static void ap_entry(struct percpu *pc) __attribute__((noreturn));
static void ap_entry(struct percpu *pc)
{
    percpu_install(pc);
    cpu_setup_common(pc);
    __atomic_store_n(&pc->state, PCPU_ONLINE, __ATOMIC_RELEASE);
    while (!__atomic_load_n(&aps_released, __ATOMIC_ACQUIRE))
        cpu_relax();
    pcpu_run_loop(pc);
}

static void tramp_install(void)
{
    uint32_t base = (uint32_t)boot.trampoline_pa;
    memcpy(tramp_field(tramp_start), tramp_start, (size_t)(tramp_end - tramp_start));
    uint8_t *gdtr = tramp_field(tramp_gdtr);
    uint32_t gdt = base + tramp_off_gdt, pm32 = base + tramp_off_pm32, lm64 = base + tramp_off_lm64;
    memcpy(gdtr + 2, &gdt, 4);
    memcpy(tramp_field(tramp_far32), &pm32, 4);
    memcpy(tramp_field(tramp_far64), &lm64, 4);
    uint32_t cr3 = (uint32_t)boot.pml4_pa;
    memcpy(tramp_field(tramp_cr3), &cr3, 4);
    uint64_t entry = (uint64_t)(uintptr_t)ap_entry;
    memcpy(tramp_field(tramp_entry), &entry, 8);
}

struct percpu *percpu_alloc(unsigned index, uint32_t apic_id)
{
    struct percpu *pc = mem_alloc_pages(1, "per-CPU state");
    void *stack = mem_alloc_pages(HOST_STACK_SIZE / PAGE_SIZE, "host stack");
    pc->index = index;
    pc->apic_id = apic_id;
    pc->stack_top = (uintptr_t)stack + HOST_STACK_SIZE;
    cpus[index] = pc;
    return pc;
}

static bool wait_online(struct percpu *pc, uint64_t us)
{
    uint64_t end = rdtsc() + tsc_hz / 1000000 * us;
    while ((int64_t)(rdtsc() - end) < 0) {
        if (__atomic_load_n(&pc->state, __ATOMIC_ACQUIRE) == PCPU_ONLINE)
            return true;
        cpu_relax();
    }
    return __atomic_load_n(&pc->state, __ATOMIC_ACQUIRE) == PCPU_ONLINE;
}

static bool start_one(struct percpu *pc)
{
    volatile uint32_t *ack = tramp_field(tramp_ack);
    uint64_t stack = pc->stack_top, arg = (uint64_t)(uintptr_t)pc;
    memcpy(tramp_field(tramp_stack), &stack, 8);
    memcpy(tramp_field(tramp_arg), &arg, 8);
    *ack = 0;
    pc->state = PCPU_STARTING;
    uint32_t vector = (uint32_t)(boot.trampoline_pa >> 12);
    lapic_host_send(pc->apic_id, ICR_DM_INIT | ICR_LEVEL_ASSERT);
    udelay(10000);
    for (int i = 0; i < 2 && !*ack; i++) {
        lapic_host_send(pc->apic_id, ICR_DM_STARTUP | vector);
        udelay(200);
    }
    if (wait_online(pc, AP_START_TIMEOUT_US))
        return true;
    pc->state = PCPU_FAILED;
    log_err("CPU %u (APIC ID %u) did not start%s", pc->index, pc->apic_id,
            *ack ? " (it reached long mode but not its C entry)" : "");
    return false;
}

unsigned smp_start_aps(void)
{
    unsigned online = 1;
    tramp_install();
    for (unsigned i = 1; i < boot.ncpus; i++) {
        struct percpu *pc = percpu_alloc(i, boot.apic_id[i]);
        if (start_one(pc))
            online++;
    }
    return online;
}

void smp_release_aps(void)
{
    __atomic_store_n(&aps_released, 1, __ATOMIC_RELEASE);
}
