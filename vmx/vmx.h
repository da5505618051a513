/* SPDX-License-Identifier: MIT */
/* Intel VMX: internal interface between the vmx/ files. */
#ifndef KEEL_VMX_VMX_H
#define KEEL_VMX_VMX_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/emul/exit.h"
#include "hv/vm.h"
#include "apic/apic_accel.h"
#include "vmx/vmx_caps.h"

struct vcpu;
struct vm;
struct percpu;

extern struct vmx_controls vmx_ctl;   /* negotiated once at boot (vmx_probe) */
extern struct apic_accel_caps vmx_accel_caps;

/* Guest state loaded at the next entry on the owning CPU (the VMCS can be
 * written only where it is current). */
struct vmx_seg_init {
    uint16_t sel;
    uint32_t ar, limit;
    uint64_t base;
};

struct vmx_pending_state {
    bool valid;
    struct vmx_seg_init seg[6];       /* ES CS SS DS FS GS */
    struct vmx_seg_init ldtr, tr;
    uint64_t gdtr_base, idtr_base;
    uint32_t gdtr_limit, idtr_limit;
    uint64_t cr0, cr0_shadow, cr4, cr4_shadow, cr3;
    uint64_t efer, dr7, pat;
};

struct vmx_vcpu {
    void *vmcs;
    uint64_t vmcs_pa;
    bool ready;                       /* VMCS loaded and set up on its CPU */
    bool launched;
    bool flush_pending;               /* INVEPT before the next entry */
    uint64_t cr2;                     /* guest CR2: not in the VMCS */
    uint32_t proc, proc2;             /* current control values */
    uint16_t vpid;
    struct vmx_pending_state pending;
    uint64_t eoi_exit[4];             /* EOI-exit bitmap as last written */
    struct vmx_pi_desc *pi;           /* posted-interrupt descriptor, NULL without */
    uint64_t pi_pa;
    uint32_t pin;                     /* pin-based controls as last written */
    uint64_t proc3;                   /* tertiary controls as last written */
    bool msr_ipiv;                    /* the IPIv x2APIC MSR bitmap is loaded */
    bool window_hv;                   /* interrupt-window exiting as the run loop asks */
    bool window_vid;                  /* ... as vmx_apicv_before_entry asks (Bochs) */
};

struct vmx_vm {
    uint8_t *msr_bitmap;              /* 4 KiB (SDM 24.6.9) */
    uint8_t *msr_bitmap_x2apic;       /* the same, x2APIC MSRs virtualized (SDM 30.5) */
    uint8_t *msr_bitmap_x2apic_ipiv;  /* ... and ICR writes to IPI virtualization */
    uint64_t *pid_table;              /* PID-pointer table (IPIv), NULL without */
    uint8_t *io_bitmap_a, *io_bitmap_b;
    uint64_t eptp;
};

static inline struct vmx_vcpu *vmx_of(struct vcpu *v) { return v->vendor; }

/* Clear bit @bit of an MSR or I/O bitmap: the access no longer exits. */
static inline void vmx_bitmap_clear(uint8_t *map, unsigned bit)
{
    map[bit / 8] &= (uint8_t)~(1u << (bit % 8));
}

/* vmx_ops.c: the VMX instructions, each failure reported with the caller. */
int vmx_on(uint64_t pa);
int vmx_clear(uint64_t pa, const char *caller);
int vmx_ptrld(uint64_t pa, const char *caller);
int vmx_invept_single(uint64_t eptp);
int vmx_invept_all(void);
int vmx_enter(uint64_t *gpr, int launched);
extern const char vmx_exit_entry[];

/* vmx_vmcs.c: on the owning CPU, make the VMCS current and fill it; load
 * the guest state waiting in `pending`. */
int vmx_vmcs_setup(struct vcpu *v, struct vmx_vcpu *x);
int vmx_apply_pending(struct vcpu *v, struct vmx_vcpu *x);

/* vmx_exit.c */
void vmx_decode_exit(struct vcpu *v, struct exit_record *e);
void vmx_dump(struct vcpu *v);

/* vmx_apicv.c: APIC virtualization (SDM ch. 30). */
void vmx_apicv_probe(void);
int vmx_apicv_vm_init(struct vm *vm, struct vmx_vm *xv);
int vmx_apicv_vmcs_setup(struct vcpu *v, struct vmx_vcpu *x);
void vmx_apicv_before_entry(struct vcpu *v, struct vmx_vcpu *x);

/* vmx_posted.c: posted interrupts and IPI virtualization. */
struct vmx_pi_desc;
int vmx_posted_vm_init(struct vm *vm, struct vmx_vm *xv);
int vmx_posted_vcpu_init(struct vcpu *v, struct vmx_vcpu *x);
int vmx_posted_vmcs_setup(struct vcpu *v, struct vmx_vcpu *x);
void vmx_posted_before_entry(struct vcpu *v, struct vmx_vcpu *x);
bool vmx_post_intr(struct vcpu *t, uint8_t vector);
void vmx_posted_sync(struct vcpu *v);
bool vmx_block_prepare(struct vcpu *v);
void vmx_block_end(struct vcpu *v);
uint64_t vmx_posted_desc_pa(struct vcpu *v);

#endif /* KEEL_VMX_VMX_H */
