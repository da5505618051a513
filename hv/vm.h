/* SPDX-License-Identifier: MIT */
/*
 * hv/: the hypervisor proper.  This folder holds VM and vCPU lifecycle
 * (vm.c, vm_create.c, the run loop run.c), the multiboot loader and the
 * architectural entry states (multiboot.c, vcpu_state.c: pure,
 * host-tested), the glue between a vCPU and its virtual local APIC
 * (vapic.c, vapic_accel.c over the pure apic/), the vendor operations
 * table (vendor.h), the guest ABI (abi.h) and the x86 register names
 * (x86.h).  By concern below it: host/ (host plumbing, touches hardware),
 * mm/ (memory), emul/ (exit handling and emulation), dev/ (device
 * models); the last three are host-tested where pure.
 */
/*
 * VMs and vCPUs.  Keel partitions the machine: each VM owns a set of
 * physical CPUs (one vCPU pinned per CPU) and a block of memory mapped by
 * its nested page tables.
 *
 * Locks, outermost first: code holding a lock takes only locks listed
 * after it (the last column says which it does take); none is held across
 * a guest entry or a wait.  "Lock held" preconditions are asserted in
 * debug builds (KASSERT(spin_held(l)), hv/host/spinlock.h).
 *
 *   lock               protects                               takes while held
 *   vplatform.lock     every model in hv/dev/ (I/O APIC, 8259s,  map_lock, one
 *                      PIT, UART), gsi_level, level_vec and      apic.lock at a
 *                      level_gen; writes of timer_deadline       time, vm.lock,
 *                      (read without it); uart_in's consumer;    con_lock; npt_lock
 *                      assigned functions (hv/passthru.c)        (a BAR mapped)
 *   pt_dev.route_lock  an assigned device's MSI route and its    map_lock, the
 *                      IRTE (hv/passthru.c; vplatform.lock may   IOMMU unit's lock
 *                      be held when it is taken)                 (one at a time)
 *   vapic_vm.map_lock  a VM's APIC destination views, fast ID    con_lock
 *                      map and round-robin cursor (hv/vapic.c)
 *   vcpu.apic.lock     that vCPU's vLAPIC, its register page,    con_lock (never a
 *                      apic.defer, apic.mmio (hv/vapic.h)        second APIC lock,
 *                                                                nor the platform)
 *   vm.npt_lock        vm.npt, apic_holes, napic_holes,          inhibit_lock,
 *                      apic_page_mapped                          mem_lock, con_lock
 *   vm.inhibit_lock    writes of vm.inhibit (reasons,            -
 *                      activation, IRQ-window sync, history)
 *   vm.lock            con, con_prefix, tests_*, openbus_*       con_lock
 *   mem_lock           the page allocator (hv/mm/mem.c)          -
 *   con_lock           the console output (hv/host/console.c)    -
 *                      and the held-output rings (con.hold)
 *   malloc_spin        newlib's heap (boot/syscalls.c)           -
 *
 * Without a lock: vm.state and vcpu.state change only through atomics
 * (vm_end(), the run loop, INIT/SIPI handling); percpu's shared block is
 * atomics too; posted-interrupt descriptors follow the CPU's own atomic
 * protocol (vmx/vmx_pi.h).  Everything else in a vcpu belongs to the
 * physical CPU it is pinned to; the rest of a vm is written once, while
 * it is built (hv/vm_create.c), before any of its vCPUs runs.
 */
#ifndef KEEL_HV_VM_H
#define KEEL_HV_VM_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/host/console.h"
#include "hv/emul/exit.h"
#include "hv/emul/guest_walk.h"
#include "hv/emul/x86_decode.h"
#include "hv/emul/vmsr.h"
#include "hv/host/fpu.h"
#include "hv/dev/iobus.h"
#include "apic/apic_accel.h"
#include "apic/vlapic.h"
#include "hv/vapic.h"
#include "hv/mm/npt.h"
#include "hv/mm/guest_ram.h"
#include "hv/host/percpu.h"
#include "hv/host/spinlock.h"

#define VM_NAME_MAX 32
#define VCPU_LAST_EXITS 8
#define VM_OPENBUS_LOG_PAGES 16
#define VM_MAX 8

/* General-purpose registers in x86 encoding order (RAX = 0 ... R15 = 15). */
enum gpr { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI,
           GPR_R8, GPR_R9, GPR_R10, GPR_R11, GPR_R12, GPR_R13, GPR_R14, GPR_R15, GPR_COUNT };

enum vm_state { VM_RUNNING = 0, VM_ENDED };
enum vcpu_state {
    VCPU_WAIT_START = 0,   /* not started yet (APs until KEEL_HC_VCPU_START) */
    VCPU_RUNNABLE,
    VCPU_HALTED,           /* HLT: waits for an event */
    VCPU_STOPPED,          /* its VM ended */
};

struct vm;
struct vm_spec;
struct vcpu_trace;
struct vplatform;
struct vapic_vm;

/* Entries of each exit-path memo per vCPU (a power of two). */
#define VCPU_MEMOS 4

/* The decode memo (hv/vm.c decode_rip), in pages of its own: sets of two
 * ways, the older of a set replaced.  A loop and the handler it provokes
 * exit from several neighbouring instructions in turn (the xAPIC self-IPI:
 * ICR read, ICR2 write, ICR write, EOI, the bench's hypercalls). */
#define VCPU_DECODE_SETS 16
/* An exit site (decode_rip's first look): where the instruction at a
 * linear address was last fetched and its decode, good while the fetch's
 * inputs, every paging entry its walk read and the 15 bytes in guest RAM
 * are as they were: the walk memo's check, the page's host view and the
 * decode memo's compare in one, without their indirections. */
struct vcpu_exit_site {
    bool valid;
    uint8_t mode, cpl, maxphy, n;
    uint64_t lin, cr0, cr3, cr4, efer;
    const uint64_t *ent_ptr[GW_MEMO_LEVELS];
    uint64_t ent_val[GW_MEMO_LEVELS];
    const uint8_t *host;          /* the bytes in guest RAM (one page) */
    uint64_t b0, b7;              /* bytes 0-7 and 7-14 as decoded */
    struct x86_insn insn;
};
#define VCPU_DECODE_MEMO_PAGES 2
struct vcpu_decode_memo {
    struct {
        bool valid;
        uint8_t mode;
        uint8_t bytes[X86_MAX_INSN_LEN];
        struct x86_insn insn;
    } way[VCPU_DECODE_SETS][2];
    uint8_t newer[VCPU_DECODE_SETS]; /* the way of each set last filled */
    struct vcpu_exit_site site[VCPU_DECODE_SETS];
};

struct vcpu {
    struct vm *vm;
    unsigned index;               /* within the VM */
    struct percpu *pcpu;          /* the physical CPU it is pinned to */
    volatile uint32_t state;      /* enum vcpu_state; atomics */
    uint32_t start_eip, start_eax, start_ebx; /* KEEL_HC_VCPU_START, read once */
    bool started;                 /* has entry state (multiboot, SIPI or hypercall) */

    uint64_t gpr[GPR_COUNT];      /* synced with the VMCB/VMCS by vcpu_run */
    uint64_t rip;
    uint64_t rflags;
    struct fxsave_area *fpu;
    uint64_t xcr0;                /* XCR0 while not live in the register (hv/host/fpu.c) */
    uint64_t tsc_offset;          /* guest TSC = host TSC + tsc_offset */
    uint64_t tsc_adjust;          /* IA32_TSC_ADJUST (SDM 17.17.3): follows TSC writes */
    /* The exit path's memos (hv/vm.c vcpu_decode_at_rip, docs/exit-path.md):
     * the last instruction fetch's walk, and the last decode with the
     * bytes it was made from.  Only this vCPU's CPU touches them. */
    /* A few of each, direct-mapped (VCPU_MEMOS): a loop and the interrupt
     * handler it provokes exit from different places, in turn. */
    struct {
        struct guest_walk_memo walk;
        uint64_t page_gpa;        /* the page `page` maps (valid when page) */
        const uint8_t *page;      /* host view of that instruction page */
    } fetch_memo[VCPU_MEMOS];
    struct vcpu_decode_memo *decode_memo; /* the decodes (above), a page */
    /* The fast re-entry (hv/run.c, docs/exit-path.md): the last full
     * pre-entry pass found nothing to do (entry_quiet), the exit's handler
     * changed nothing that pass reads (exit_pure, set by the handler), and
     * fewer than FAST_ENTRY_MAX entries skipped the pass since. */
    bool entry_quiet;
    bool exit_pure;
    uint8_t fast_left;
    uint8_t entry_cr8;            /* CR8 as the vCPU left it at its last exit */
    uint16_t io_hint;             /* the port range the last port access hit */
    uint64_t fast_entries;        /* entries that skipped the pre-entry pass */
    uint64_t perf_msr[8];         /* the vendor's always-present counter MSRs */
    struct vmsr_state msrs;       /* MTRRs and the like (hv/emul/vmsr.c) */

    void *vendor;                 /* VMCB or VMCS state */
    struct vcpu_apic apic;        /* the local APIC (hv/vapic.c) */
    /* NMI blocking as Keel tracks it (hv/emul/nmi.c, docs/nmi.md). */
    bool nmi_masked;              /* an NMI handler runs: NMIs blocked until IRET */
    bool nmi_hw_on;               /* the CPU keeps the NMI state (vops->nmi_hw's NMI_HW_ON), fixed at creation */
    bool nmi_stepping;            /* single-stepping one instruction (no vNMI, no NMI window) */
    bool nmi_step_shadow;         /* ... the one a shadow covers, not that handler's IRET */
    bool nmi_step_tf;             /* the guest's own RFLAGS.TF at that IRET */
    uint8_t nmi_held;             /* as last told to the vLAPIC (vapic_set_nmi_held) */
    uint64_t nmi_step_rip;        /* where that IRET is */
    uint64_t nmi_step_dr6, nmi_step_dr7; /* the guest's DR6/DR7 at that IRET */
    /* Where the vCPU runs, for whoever must target it without asking it
     * (IOMMU posting: the guest-mode IRTE's destination and IsRun):
     * VCPU_PLACE_* in one word, published by the run loop with release
     * stores, read with vcpu_placement().  Exact whatever the vendor does
     * with its own copy (AVIC's IsRunning is never set under erratum
     * #1235; this record still says the vCPU runs). */
    uint64_t placement;
    uint64_t cr4_allowed;         /* vcpu_cr4_allowed(), 0 until first asked */
    uint64_t exit_count[EXIT_REASON_COUNT];
    struct exit_record last[VCPU_LAST_EXITS];
    unsigned last_next;
    struct vcpu_trace *trace;     /* the shell's exit/injection ring (hv/trace.h) */
};

struct vm {
    unsigned index;
    char name[VM_NAME_MAX];
    volatile uint32_t state;      /* enum vm_state; atomics */
    int status;                   /* exit status once ended */
    unsigned nvcpus;
    struct vcpu *vcpus[KEEL_MAX_CPUS];

    uint64_t mem_size;            /* guest RAM in bytes: GPA 0 .. 2 GiB, then from 4 GiB (ram) */
    uint64_t mem_hpa;             /* backing of the low range (ram.slot[0]), 2 MiB aligned */
    struct guest_ram ram;         /* the RAM's GPA ranges and host chunks (hv/mm/guest_ram.h) */
    struct npt npt;               /* npt_lock (hv/vapic.c, hv/vapic_accel.c) */
    struct spinlock npt_lock;
    uint64_t apic_holes[KEEL_MAX_CPUS]; /* npt_lock: RAM pages unmapped for xAPIC pages */
    unsigned napic_holes;         /* npt_lock */
    void *vendor;                 /* MSR/IO permission maps */
    struct iobus bus;             /* device models: ports and MMIO */
    struct vplatform *plat;       /* I/O APIC, PICs, PIT, UART (hv/dev/vplatform.c); plat->lock */
    struct vapic_vm *apic;        /* destination views and map (hv/vapic.c), apic->map_lock */
    struct apic_inhibit_vm inhibit; /* the inhibit machine (apic/apic_inhibit.h), inhibit_lock */
    struct spinlock inhibit_lock; /* its writers and history (hv/vapic_accel.c) */
    bool x2apic_hybrid;           /* keel.cfg x2apic_no_x2avic = hybrid */
    bool invariant_tsc;           /* CPUID 80000007H EDX[8] (keel.cfg invariant_tsc) */
    uint64_t apic_access_hpa;     /* the vendor's APIC-access page, 0 if none */
    bool apic_page_mapped;        /* ... mapped at FEE00000H (under npt_lock) */
    uint32_t asid;

    struct spinlock lock;         /* protects con .. openbus_nlogged below */
    struct con_linebuf con;
    char con_prefix[12];
    bool tests_reported;
    uint64_t tests_passed, tests_failed;
    uint64_t openbus_logged[VM_OPENBUS_LOG_PAGES];
    unsigned openbus_nlogged;

    /* Restart (hv/vm_reset.c): the image to load again, keel.cfg's
     * choices, and the rendezvous of the vCPUs.  restart_cause is set by
     * one compare-exchange (first request wins) and cleared by the last
     * vCPU out of the rendezvous; the counters are atomics. */
    const struct vm_spec *spec;
    bool on_reboot_stop;          /* keel.cfg on_reboot = stop */
    bool triple_fault_reset;      /* keel.cfg on_triple_fault = reset */
    volatile uint32_t restart_cause; /* enum vm_restart_cause, 0 = none */
    uint32_t restart_value;       /* the byte written (0xCF9, 8042) */
    volatile uint32_t restart_arrived, restart_platform_done, restart_departed, restart_gen;
    uint32_t restarts;            /* restarts done, for the log */
};

extern struct vm *vms[];
extern unsigned nvms;

/* Guest-physical memory access through the VM's RAM window; -1 outside RAM. */
int vm_read_phys(struct vm *vm, uint64_t gpa, void *buf, size_t len);
int vm_write_phys(struct vm *vm, uint64_t gpa, const void *buf, size_t len);
static inline bool vm_gpa_is_ram(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    return gram_is_ram(&vm->ram, gpa, len);
}
/* A host pointer to [gpa, gpa + len) when it is RAM in one host chunk, else NULL. */
static inline void *vm_gpa_hva(const struct vm *vm, uint64_t gpa, uint64_t len)
{
    uint64_t hpa;
    return gram_hpa(&vm->ram, gpa, len, &hpa) ? NULL : (void *)(uintptr_t)hpa;
}

/* End the VM with a status (first caller wins); every vCPU stops. */
void vm_end(struct vm *vm, int status, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Stop the VM because a vCPU did something Keel cannot continue from:
 * prints the reason and a register dump, status KEEL_STATUS_GUEST_FAULT. */
int vm_stop_fault(struct vcpu *v, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void vcpu_dump(struct vcpu *v, const char *why);
void vcpu_kick(struct vcpu *v);
/* The guest's CPUID (hv/emul/exit.c): the host's, filtered (hv/emul/vcpuid.c). */
void vcpu_cpuid(struct vcpu *v, uint32_t leaf, uint32_t sub, uint32_t r[4]);
/* The CR4 bits this vCPU's CPUID lets it set; others are #GP (emul_cr.c). */
uint64_t vcpu_cr4_allowed(struct vcpu *v);

#define VCPU_PLACE_HOST_ID_MASK 0xffffffffull  /* the physical CPU's APIC ID */
#define VCPU_PLACE_RUNNING      (1ull << 32)   /* on its CPU, not blocked in HLT */
#define VCPU_PLACE_VALID        (1ull << 33)   /* published at least once */
static inline uint64_t vcpu_placement(const struct vcpu *v)
{
    return __atomic_load_n(&v->placement, __ATOMIC_ACQUIRE);
}
/* Inline: the run loop asks before every entry. */
static inline bool vm_ended(const struct vm *vm)
{
    return __atomic_load_n(&vm->state, __ATOMIC_ACQUIRE) == VM_ENDED;
}

/* Guest virtual-memory helpers (walk the guest's page tables). */
int vcpu_read_virt(struct vcpu *v, uint64_t gva, void *buf, size_t len, unsigned access);
int vcpu_write_virt(struct vcpu *v, uint64_t gva, const void *buf, size_t len);
/* Fetch and decode the instruction at RIP.  0, or negative after stopping
 * the VM or injecting a fault (the caller just resumes). */
struct x86_insn;
int vcpu_decode_at_rip(struct vcpu *v, struct x86_insn *insn);
/* The same without the copy: the decode (in a memo, or in @scratch), good
 * until the vCPU's next decode; NULL where vcpu_decode_at_rip fails. */
const struct x86_insn *vcpu_decode_at_rip_ref(struct vcpu *v, struct x86_insn *scratch);
int vcpu_skip_insn_decode(struct vcpu *v);
void vcpu_advance_rip(struct vcpu *v, unsigned len);
/* Moves RIP past the exiting instruction: its length from the CPU (nRIP,
 * IOIO's next RIP, VMX's exit instruction length) or, without one, from
 * decoding it.  0, or -1 when the decode injected a fault or stopped the VM. */
static inline int vcpu_skip_insn(struct vcpu *v, const struct exit_record *e)
{
    if (!e->insn_len)
        return vcpu_skip_insn_decode(v);
    vcpu_advance_rip(v, e->insn_len);
    return 0;
}
/* RIP past an instruction of @len bytes, truncated to 32 bits outside
 * 64-bit mode (EIP wraps). */
void vcpu_advance_rip(struct vcpu *v, unsigned len);
void vcpu_inject_gp(struct vcpu *v);
/* The device that decodes a guest-physical address for this vCPU (its
 * local APIC page first, then the VM's MMIO bus), or NULL (open bus). */
const struct bus_range *vcpu_find_mmio(const struct vcpu *v, uint64_t gpa);
void vcpu_inject_ud(struct vcpu *v);

/* Entry states (hv/vcpu_state.c), installed through vops->load_state with
 * the vCPU's GPRs, RIP and RFLAGS: INIT (SDM table 9-1), a SIPI's real-mode
 * start, and a multiboot-style 32-bit entry (the BSP's, and an AP started
 * by KEEL_HC_VCPU_START with its own EAX and EBX). */
void vcpu_reset_init(struct vcpu *v);
void vcpu_start_sipi(struct vcpu *v, uint8_t vector);
void vcpu_start_multiboot(struct vcpu *v, uint32_t eip, uint32_t eax, uint32_t ebx);
/* The Linux 64-bit boot protocol's entry (hv/linux_boot.c lays it out). */
void vcpu_start_linux64(struct vcpu *v, uint64_t rip, uint64_t boot_params, uint64_t cr3,
                        uint64_t gdt_base, uint16_t gdt_limit);

/* Set once at boot: how many VMs run; the last vm_end() calls
 * keel_all_vms_ended() (boot/finish.c). */
void vms_set_running(unsigned n);
void keel_all_vms_ended(void);

/* Per-reason exit counts of a vCPU, at debug level (hv/run.c). */
void vcpu_log_counters(const struct vcpu *v);

/* The per-CPU run loop (hv/run.c); never returns. */
void pcpu_run_loop(struct percpu *pc) __attribute__((noreturn));

#endif /* KEEL_HV_VM_H */
