/* SPDX-License-Identifier: MIT */
/* AMD SVM: internal interface between the svm/ files. */
#ifndef KEEL_SVM_SVM_H
#define KEEL_SVM_SVM_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/emul/exit.h"
#include "svm/vmcb.h"

struct vcpu;

/* The CR-write intercept bits of VMCB intercept_cr (APM 15.9). */
#define SVM_INTERCEPT_CR_WRITE(n) (1u << (16 + (n)))

/* CPUID 0x8000000A EDX (APM 15.1, "SVM feature identification"). */
#define SVM_FEAT_NP           (1u << 0)
#define SVM_FEAT_LBRV         (1u << 1)
#define SVM_FEAT_SVML         (1u << 2)
#define SVM_FEAT_NRIPS        (1u << 3)
#define SVM_FEAT_TSC_RATE     (1u << 4)
#define SVM_FEAT_VMCB_CLEAN   (1u << 5)
#define SVM_FEAT_FLUSH_ASID   (1u << 6)
#define SVM_FEAT_DECODE       (1u << 7)
#define SVM_FEAT_PAUSE_FILTER (1u << 10)
#define SVM_FEAT_PF_THRESHOLD (1u << 12)
#define SVM_FEAT_AVIC         (1u << 13)
#define SVM_FEAT_VMSAVE_VIRT  (1u << 15)
#define SVM_FEAT_VGIF         (1u << 16)
#define SVM_FEAT_GMET         (1u << 17)
#define SVM_FEAT_X2AVIC       (1u << 18)
#define SVM_FEAT_VNMI         (1u << 25)

struct svm_caps {
    uint32_t features;   /* CPUID 0x8000000A EDX */
    uint32_t nasids;     /* CPUID 0x8000000A EBX */
    uint32_t revision;   /* CPUID 0x8000000A EAX[7:0] */
    /* The CPU holds a virtual interrupt back while V_TPR is not below
     * V_INTR_PRIO, as APM 15.21.4 says (svm/svm_probe.c found it so);
     * false: V_IGN_TPR, and CR8 writes exit instead. */
    bool virq_tpr_gate;
    /* The probe found QEMU TCG's rule (taken at equality), and with it
     * QEMU 7.2, whose EVENTINJ of an external interrupt is at times
     * delivered twice (docs/platforms.md): vLAPIC vectors go in through
     * V_IRQ with RFLAGS.IF set too (svm/svm.c svm_virq_with_if).  Not
     * on Bochs 2.7, which weighs V_IRQ at VMRUN only against the VMCB it
     * ran before (svm/svm_probe.c), nor on CPUs that follow the APM. */
    bool virq_with_if;
};
extern struct svm_caps svm_caps;

/* Per-physical-CPU SVM state (percpu.vendor). */
struct svm_cpu {
    uint64_t hsave_pa;       /* host save area (VM_HSAVE_PA, APM 15.30.4) */
    void *host_vmcb;         /* VMSAVE/VMLOAD area for the host's state */
    uint64_t host_vmcb_pa;
};

/* Per-vCPU SVM state. */
struct svm_vcpu {
    struct vmcb *vmcb;
    uint64_t vmcb_pa;
    uint64_t guest_efer;     /* what the guest believes (no SVME) */
    bool flush_pending;
    bool avic_on, avic_x2;   /* the AVIC state the VMCB holds (svm/svm_avic.c) */
    bool virq_armed;         /* V_IRQ holds virq_vector for the CPU to deliver (svm_set_virq) */
    uint8_t virq_vector;
};

/* Per-VM SVM state: the permission maps every vCPU shares. */
struct svm_vm {
    uint8_t *msrpm;          /* 8 KiB (APM 15.11) */
    uint8_t *iopm;           /* 12 KiB (APM 15.10.1) */
    /* AVIC (svm/svm_avic.c), NULL without it: the physical and logical
     * APIC ID tables, the MSR map with x2AVIC's pass-throughs, and the
     * highest physical table index in use. */
    void *avic_physical;
    uint32_t *avic_logical;
    uint8_t *msrpm_x2avic;
    unsigned avic_max_index;
    bool avic_erratum;       /* erratum #1235 workaround: IsRunning never set */
};

void svm_vmrun(uint64_t vmcb_pa, uint64_t *gpr, uint64_t host_vmcb_pa);
/* svm_caps.virq_tpr_gate for this CPU, found by running a probe guest
 * (svm/svm_probe.c); false when it cannot tell.  After VM_HSAVE_PA and
 * the host VMCB are set up, with the host's IDT in place. */
bool svm_probe_virq_tpr(struct svm_cpu *cpu);
void svm_decode_exit(struct vcpu *v, struct exit_record *e);
/* After an exit, with the vCPU's SVM state: whether the CPU delivered the
 * vector svm_set_virq handed over (exit_record.virq_taken, virq_vector). */
void svm_virq_result(struct svm_vcpu *s, struct exit_record *e);
void svm_dump(struct vcpu *v);
void svm_msrpm_set(uint8_t *msrpm, uint32_t msr, bool intercept_read, bool intercept_write);


#endif /* KEEL_SVM_SVM_H */
