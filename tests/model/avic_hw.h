/* SPDX-License-Identifier: MIT */
/*
 * A host-side model of the AMD AVIC / x2AVIC hardware (AMD64 APM vol. 2,
 * "Advanced Virtual Interrupt Controller"), so that Keel's AVIC driver
 * (svm/avic*.c) can be run and checked where no CPU offers AVIC (neither
 * QEMU 7.2 nor Bochs 2.7 does).
 *
 * The rule that makes the model worth something: it is written from the
 * manual by someone who has not read the driver.  This header is the only
 * interface the two share; everything behind it (the VMCB offsets and bits
 * the CPU reads, the table and backing-page formats, which accesses are
 * accelerated, trap or fault, the incomplete-IPI causes and the EXITINFO
 * encodings) is the model's own reading of the APM, in tests/model/avic_hw.c.
 *
 * The machine: npcpus physical CPUs, each with a host APIC ID, each either
 * in host mode or running one guest VMCB.  Memory is "system physical":
 * every address the model finds in a VMCB or a table is turned into a host
 * pointer by the caller's spa_to_ptr(); NULL means there is no memory there
 * (the model treats it as the hardware treats an invalid address).
 *
 * Threads: entry points for distinct pCPUs may be called concurrently (one
 * thread per pCPU); backing-page updates made on behalf of another pCPU
 * (an IPI setting a target's IRR) are atomic read-modify-writes, as the
 * hardware's are.  Calls for one pCPU are serialised by its caller.
 */
#ifndef KEEL_TESTS_MODEL_AVIC_HW_H
#define KEEL_TESTS_MODEL_AVIC_HW_H

#include <stdbool.h>
#include <stdint.h>

#define AVIC_HW_MAX_PCPUS 64

struct avic_hw_features {
    bool avic;          /* CPUID 8000_000A EDX AVIC */
    bool x2avic;        /* CPUID 8000_000A EDX x2AVIC */
    bool x2avic_4k;     /* x2AVIC with 4096 physical IDs (the extension) */
};

struct avic_hw_mem {
    void *(*spa_to_ptr)(void *ctx, uint64_t spa, uint64_t len);
    void *ctx;
};

/* What one guest action did: either it completed inside the guest
 * (exited = false; a read's value is in *value) or it ended in a #VMEXIT
 * with the VMCB's EXITCODE / EXITINFO1 / EXITINFO2 as the CPU writes them
 * (the model also stores them in the VMCB).  An exception the CPU raises in
 * the guest without an exit (e.g. #GP on a reserved x2APIC MSR access the
 * hardware checks itself) is reported as gp = true. */
struct avic_hw_result {
    bool exited;
    bool gp;
    uint64_t exitcode, exitinfo1, exitinfo2;
    /* Added by the model (not in the first version of this interface):
     * completed: the access took effect (true for an access that completed
     *   in the guest and for a trap-like exit, whose instruction retired:
     *   RIP is past it; false for a fault-like exit and for #GP);
     * passthrough: an MSR access the permission map did not intercept and
     *   that AVIC does not handle: on the CPU it would reach the real MSR
     *   (for an x2APIC MSR with x2AVIC off, the host's own APIC), which the
     *   model does not have (a read gives 0);
     * bad_call: the call broke a precondition of this interface (pCPU out
     *   of range or not in guest mode, offset past the page); nothing was
     *   done and the reason went to stderr. */
    bool completed;
    bool passthrough;
    bool bad_call;
};

struct avic_hw_pcpu_stats {
    uint64_t doorbells_in_guest;  /* doorbells that arrived while in guest mode */
    uint64_t doorbells_in_host;   /* ... while in host mode */
    uint64_t vmruns, vmexits;
    /* Added by the model: doorbells this pCPU sent (its IPIs, or the
     * doorbell MSR) to a host APIC ID no pCPU has: lost. */
    uint64_t doorbells_unrouted;
};

struct avic_hw;

struct avic_hw *avic_hw_create(const struct avic_hw_features *f, unsigned npcpus,
                               const uint32_t *host_apic_ids, const struct avic_hw_mem *mem);
void avic_hw_destroy(struct avic_hw *hw);

/* VMRUN on @pcpu with the VMCB at @vmcb_spa.  Returns 0 when the guest runs
 * (AVIC state loaded as the CPU loads it at VMRUN, pending virtual
 * interrupts evaluated), or -1 when VMRUN fails its consistency checks on
 * the AVIC fields (EXITCODE VMEXIT_INVALID written to the VMCB). */
int avic_hw_vmrun(struct avic_hw *hw, unsigned pcpu, uint64_t vmcb_spa);
/* (Added by the model: -2 when the call itself is wrong: pCPU out of
 * range or already in guest mode, VMCB not 4 KiB aligned or not in memory,
 * where the CPU would raise #GP on VMRUN; the reason goes to stderr.) */
/* Any #VMEXIT on @pcpu that the hypervisor caused (an intercept outside
 * the model): the CPU saves what it saves of the AVIC state and returns to
 * host mode. */
void avic_hw_vmexit(struct avic_hw *hw, unsigned pcpu);
bool avic_hw_in_guest(struct avic_hw *hw, unsigned pcpu);

/* The guest running on @pcpu accesses its local APIC.
 * mmio_*: a 32-bit access at @offset (0..0xff0, 16-byte aligned register,
 * plus the dword index inside it for misaligned ones: offset & 0xfff) of
 * the page at the VMCB's AVIC APIC BAR, as a guest-physical access through
 * nested paging to that page.
 * rdmsr/wrmsr: any MSR; for x2APIC MSRs (800H..8FFH) the CPU's x2AVIC
 * behaviour, for all MSRs the VMCB's MSR permission map decides
 * interception first (EXITCODE VMEXIT_MSR). */
struct avic_hw_result avic_hw_mmio_read(struct avic_hw *hw, unsigned pcpu, uint32_t offset,
                                        uint32_t *value);
struct avic_hw_result avic_hw_mmio_write(struct avic_hw *hw, unsigned pcpu, uint32_t offset,
                                         uint32_t value);
struct avic_hw_result avic_hw_rdmsr(struct avic_hw *hw, unsigned pcpu, uint32_t msr,
                                    uint64_t *value);
struct avic_hw_result avic_hw_wrmsr(struct avic_hw *hw, unsigned pcpu, uint32_t msr,
                                    uint64_t value);

/* The guest on @pcpu is interruptible (RFLAGS.IF = 1, no shadow, GIF = 1):
 * if the backing page holds a virtual interrupt the CPU would deliver now,
 * it is delivered (the vector moves from IRR to ISR, PPR follows) and
 * returned; -1 otherwise. */
int avic_hw_take_interrupt(struct avic_hw *hw, unsigned pcpu);

/* The hypervisor on @pcpu (in host mode) writes the AVIC doorbell MSR
 * (C001_011BH) with @value.  Returns 0, or -1 where the CPU would raise #GP
 * (reserved bits, no such APIC ID). */
int avic_hw_doorbell(struct avic_hw *hw, unsigned pcpu, uint64_t value);

void avic_hw_stats(struct avic_hw *hw, unsigned pcpu, struct avic_hw_pcpu_stats *out);

/* Added by the model: why the last VMRUN on @pcpu failed with
 * VMEXIT_INVALID (the CPU does not say; the model does, for debugging), or
 * NULL. */
const char *avic_hw_last_invalid(struct avic_hw *hw, unsigned pcpu);

#endif /* KEEL_TESTS_MODEL_AVIC_HW_H */
