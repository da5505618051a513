/* SPDX-License-Identifier: MIT */
/*
 * A fake world for host tests of hv/emul/ (the exit path): a fake
 * `vcpu_ops` that records what the vendor would have been told, a fake
 * local APIC behind the hv/vapic.h calls, instruction bytes "at RIP" for
 * the decoder, one fake MMIO device, and the VM-stop and logging calls.
 * tests/unit/fake_hv.c implements it; each test resets it with fake_reset.
 */
#ifndef KEEL_TESTS_FAKE_HV_H
#define KEEL_TESTS_FAKE_HV_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/emul/x86_decode.h"
#include "hv/vendor.h"
#include "hv/vm.h"

#define FAKE_MAX_EVENTS 8
#define FAKE_DEV_BASE   0xfed00000ull
#define FAKE_DEV_LEN    0x1000ull

struct fake_event {
    enum event_type type;
    uint8_t vector;
    bool has_error;
    uint32_t error;
};

struct fake_hv {
    /* vendor state behind the fake vcpu_ops */
    uint64_t cr0, cr3, cr4, efer, pat, tsc_offset, cr2;
    unsigned cpl;                  /* what vops->cpl answers */
    unsigned set_cr_calls;
    unsigned tlb_flushes;
    enum x86_mode mode;
    bool shadow, intr_window, iret_exit, event_queued;
    bool irq_window_extint; /* vapic_irq_window: counted as waiting for an ExtINT window */
    int tpr_threshold; /* last set_tpr_threshold class */
    uint8_t vtpr;
    unsigned set_vtpr_calls;
    struct fake_event ev[FAKE_MAX_EVENTS];
    unsigned nev;
    /* the instruction at RIP */
    uint8_t code[X86_MAX_INSN_LEN];
    unsigned code_len;
    /* the local APIC */
    uint8_t cr8;
    bool nmi_pending, init_pending;
    int sipi;    /* vector, or VAPIC_NONE */
    int pending; /* vapic_pending_intr: vector, VAPIC_EXTINT, VAPIC_NONE */
    int tpr_blocked;
    unsigned acks, nmis_taken, resets, sipis;
    uint8_t sipi_vector;
    /* the MMIO device at FAKE_DEV_BASE */
    uint64_t dev_val, dev_written;
    unsigned dev_reads, dev_writes, dev_wsize;
    /* VM-level outcomes */
    unsigned stops, io_calls, hc_calls;
    unsigned restarts, restart_cause; /* vm_request_restart */
    char stop_why[160];
    /* NMIs (hv/emul/nmi.c): intercepted exceptions, DR6/DR7, vNMI state,
     * the latch's held count as last told (vapic_set_nmi_held) */
    uint32_t exc_exits;
    uint64_t dr6, dr7;
    unsigned nmi_hw, nmi_held;
};

extern struct fake_hv fk;
extern struct vm fake_vm;
extern struct vcpu fake_vcpu;

/* Fresh VM and vCPU (64-bit mode, RIP 0x1000), nothing pending. */
struct vcpu *fake_reset(void);
/* The bytes the decoder sees at RIP. */
void fake_code(const uint8_t *bytes, unsigned len);

#endif /* KEEL_TESTS_FAKE_HV_H */
