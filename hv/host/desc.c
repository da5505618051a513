/* SPDX-License-Identifier: MIT */
/*
 * Host GDT, TSS and IDT.  Each CPU has its own GDT (its TSS descriptor
 * differs) and TSS (its IST stacks differ); the IDT is shared.
 */
#include "hv/host/desc.h"

#include <string.h>

#include "hv/host/console.h"
#include "hv/host/fpu.h"
#include "hv/host/hosttimer.h"
#include "hv/host/lapic_host.h"
#include "hv/mm/mem.h"
#include "hv/host/panic.h"
#include "hv/passthru.h"
#include "hv/host/spinlock.h"
#include "hv/x86.h"

/* Segment descriptor images (SDM 3.4.5): flat 64-bit code (L=1) and flat
 * data, DPL 0. */
#define GDT_CODE64 0x00af9a000000ffffull
#define GDT_DATA   0x00cf92000000ffffull
#define GDT_TSS_TYPE_AVAIL 0x9ull /* 64-bit TSS (available), SDM table 3-2 */
#define GDT_PRESENT (1ull << 47)

/* IDT gate (SDM 6.14.1): 16 bytes. */
struct __attribute__((packed)) idt_gate {
    uint16_t offset_lo;
    uint16_t selector;
    uint8_t ist;
    uint8_t type_attr;
    uint16_t offset_mid;
    uint32_t offset_hi;
    uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "64-bit IDT gate");
#define IDT_INTERRUPT_GATE 0x8e /* P=1, DPL=0, type 0xE */

extern const char host_vector_stubs[];
static struct idt_gate host_idt[256];

bool percpu_ready;

#ifndef NDEBUG
uint32_t spin_self(void)
{
    return percpu_ready ? this_cpu()->index + 1 : 0xffffffffu; /* before: the boot CPU alone */
}
#endif
struct percpu *cpus[KEEL_MAX_CPUS];
unsigned ncpus_online;

void host_idt_init(void)
{
    for (unsigned v = 0; v < 256; v++) {
        uint64_t a = (uint64_t)(uintptr_t)(host_vector_stubs + 16 * v);
        struct idt_gate *g = &host_idt[v];
        g->offset_lo = (uint16_t)a;
        g->selector = HOST_CS;
        g->ist = v == X86_NMI ? HOST_IST_NMI : v == X86_DF ? HOST_IST_DF
                 : v == X86_MC ? HOST_IST_MC : 0;
        g->type_attr = IDT_INTERRUPT_GATE;
        g->offset_mid = (uint16_t)(a >> 16);
        g->offset_hi = (uint32_t)(a >> 32);
        g->reserved = 0;
    }
}

static void gdt_set_tss(uint64_t *gdt, unsigned slot, const struct tss64 *tss)
{
    uint64_t base = (uint64_t)(uintptr_t)tss;
    uint64_t limit = sizeof(*tss) - 1;
    gdt[slot] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (GDT_TSS_TYPE_AVAIL << 40)
                | GDT_PRESENT | (((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
    gdt[slot + 1] = base >> 32;
}

void percpu_install(struct percpu *pc)
{
    pc->self = pc;
    pc->gdt[0] = 0;
    pc->gdt[HOST_CS / 8] = GDT_CODE64;
    pc->gdt[HOST_DS / 8] = GDT_DATA;
    memset(&pc->tss, 0, sizeof(pc->tss));
    for (unsigned i = 0; i < 3; i++) {
        uintptr_t ist = (uintptr_t)mem_alloc_pages(HOST_IST_SIZE / 4096, "IST stack");
        pc->tss.ist[i] = ist + HOST_IST_SIZE;
    }
    pc->tss.iomap_base = sizeof(pc->tss); /* no I/O bitmap */
    gdt_set_tss(pc->gdt, HOST_TR / 8, &pc->tss);

    struct x86_dtr gdtr = { sizeof(pc->gdt) - 1, (uint64_t)(uintptr_t)pc->gdt };
    struct x86_dtr idtr = { sizeof(host_idt) - 1, (uint64_t)(uintptr_t)host_idt };
    __asm__ volatile("lgdt %0" :: "m"(gdtr) : "memory");
    host_load_segments(HOST_CS, HOST_DS);
    __asm__ volatile("ltr %w0" :: "r"((uint16_t)HOST_TR) : "memory");
    __asm__ volatile("lidt %0" :: "m"(idtr) : "memory");
    wrmsr(MSR_GS_BASE, (uint64_t)(uintptr_t)pc);
    wrmsr(MSR_KERNEL_GS_BASE, 0);
}

/* A #DB in Keel's own code that Keel did not ask for: Keel never sets
 * RFLAGS.TF nor arms a breakpoint in DR7 (L0-L3/G0-G3).  Bochs 2.7 (SVM)
 * raises one after a #VMEXIT taken on an intercepted instruction that the
 * guest ran with TF set (its single-step trap for the guest instruction
 * survives the world switch; real CPUs intercept instead of executing).
 * docs/nmi.md: Keel's IRET step then gives the guest its own #DB. */
static bool host_db_spurious(const struct host_frame *f)
{
    uint64_t dr7;
    __asm__ volatile("mov %%dr7, %0" : "=r"(dr7));
    if ((f->rflags & RFLAGS_TF) || (dr7 & 0xffull))
        return false;
    static bool told;
    if (!__atomic_exchange_n(&told, true, __ATOMIC_RELAXED))
        log_warn("ignored a #DB in the host at rip %#lx (not Keel's: an emulator's left-over "
                 "guest single step)", (unsigned long)f->rip);
    __asm__ volatile("mov %0, %%dr6" :: "r"(0xffff0ff0ull)); /* DR6 at reset (SDM 18.2.3) */
    return true;
}

void host_exception(struct host_frame *f)
{
    /* Whatever an interrupt's handler did, the run loop's next entry
     * looks at it: one taken right after an exit, before the exit's own
     * handler ran, leaves no exit of its own to say so. */
    if (f->vector >= 32 && percpu_ready)
        this_cpu()->irq_seen = 1;
    switch (f->vector) {
    case X86_DB:
        if (host_db_spurious(f))
            return;
        break;
    case X86_NM:
        if (fpu_handle_nm() == 0)
            return;
        break;
    case X86_NMI:
        if (panic_in_progress())
            panic_park_cpu();
        log_warn("unexpected NMI at rip %#lx", (unsigned long)f->rip);
        return;
    case HOST_VEC_KICK:
    case HOST_VEC_PI_WAKEUP:    /* the HLT it interrupted is the wake-up */
    case HOST_VEC_POSTED:       /* the PIR waits for the next pre-entry sync */
        lapic_host_eoi();
        return;
    case HOST_VEC_TIMER:
        lapic_host_eoi();
        if (percpu_ready)
            __atomic_store_n(&this_cpu()->timer_fired, 1, __ATOMIC_RELEASE);
        return;
    case HOST_VEC_IOMMU:        /* an IOMMU's GA log: wake the vCPUs it names */
        lapic_host_eoi();
        passthru_iommu_irq();
        return;
    case HOST_VEC_SPURIOUS:
        return; /* spurious interrupts need no EOI (SDM 11.9) */
    default:
        if (f->vector >= HOST_VEC_PASSTHRU && f->vector < HOST_VEC_PASSTHRU + HOST_VEC_PASSTHRU_N) {
            lapic_host_eoi();
            passthru_host_irq((unsigned)f->vector); /* an assigned device's MSI */
            return;
        }
        if (f->vector >= 32) {
            /* A device interrupt nobody asked for: acknowledge and go on. */
            log_warn("unexpected interrupt, vector %lu", (unsigned long)f->vector);
            lapic_host_eoi();
            return;
        }
        break;
    }
    panic_frame(f);
}
