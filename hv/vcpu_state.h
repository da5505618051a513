/* SPDX-License-Identifier: MIT */
/*
 * Architectural vCPU entry states, built once here for both vendors: the
 * INIT state (SDM vol. 3 9.1.1 table 9-1; APM vol. 2 14.1.3 table 14-1),
 * the start-up IPI's real-mode entry (SDM 9.4.4.1 / 11.6.1: CS = vector <<
 * 8, base vector << 12, IP 0), and the 32-bit protected-mode states boot
 * loaders leave (Multiboot 0.6.96 section 3.2 "Machine state"; Linux
 * Documentation/arch/x86/boot.rst "32-bit Boot Protocol").  The vendor
 * applies a state with vops->load_state (VMCB save area, or the VMCS at
 * its next entry); GPRs, RIP and RFLAGS are the vCPU's own.  Pure:
 * host-tested (tests/unit/test_vcpu_state.c).
 */
#ifndef KEEL_HV_VCPU_STATE_H
#define KEEL_HV_VCPU_STATE_H

#include <stdint.h>

/* Segment attributes in the VMCB layout (APM 15.5.1): descriptor bits
 * 40..47 in 7:0 (type, S, DPL, P) and 52..55 in 11:8 (AVL, L, D/B, G);
 * vmx/vmcs.h converts them to VMX access rights. */
#define SEG_ATTR_CODE16   0x009bu /* present, DPL 0, code exec/read, accessed */
#define SEG_ATTR_DATA16   0x0093u /* present, DPL 0, data read/write, accessed */
#define SEG_ATTR_CODE32   0x0c9bu /* ... with D/B and G: 4 GiB flat */
#define SEG_ATTR_DATA32   0x0c93u
#define SEG_ATTR_CODE64   0x0a9bu /* ... with L and G, D/B clear: 64-bit code (APM 4.8.1) */
#define SEG_ATTR_LDT      0x0082u /* present LDT */
#define SEG_ATTR_TSS_BUSY 0x008bu /* present busy 32-bit TSS (VMX accepts 3 or 11) */
#define SEG_ATTR_L        (1u << 9)
#define SEG_ATTR_DB       (1u << 10)

/* x86 segment register order, as in instruction encodings. */
enum x86_sreg { SREG_ES, SREG_CS, SREG_SS, SREG_DS, SREG_FS, SREG_GS, SREG_COUNT };

struct seg_state {
    uint16_t sel;
    uint16_t attrib; /* SEG_ATTR_* layout */
    uint32_t limit;  /* byte granular, as loaded in the hidden part */
    uint64_t base;
};

struct vcpu_entry_state {
    struct seg_state seg[SREG_COUNT];
    struct seg_state ldtr, tr;
    struct seg_state gdtr, idtr; /* base and limit only */
    uint64_t cr0, cr3, cr4;
    uint64_t efer; /* as the guest sees it */
    uint64_t dr6, dr7, pat;
    uint64_t rip, rflags;
    uint64_t gpr_rax, gpr_rbx, gpr_rdx, gpr_rsi; /* the rest are 0 */
};

/* INIT (table 9-1): real mode at F000:FFF0 with CS base FFFF0000H, caches
 * off, EDX = the processor signature (CPUID.1:EAX). */
void vcpu_state_init(struct vcpu_entry_state *s, uint32_t signature);
/* INIT, then the SIPI's vector: CS = vector << 8, base vector << 12, IP 0. */
void vcpu_state_sipi(struct vcpu_entry_state *s, uint32_t signature, uint8_t vector);
/* 32-bit protected mode, paging and interrupts off, flat 4 GiB code at
 * selector @cs and data at @ds in every data segment register. */
void vcpu_state_flat32(struct vcpu_entry_state *s, uint16_t cs, uint16_t ds, uint32_t eip);
/* Multiboot: CS 08H, data 10H, EAX = the boot loader magic, EBX = the
 * information structure. */
void vcpu_state_multiboot(struct vcpu_entry_state *s, uint32_t eip, uint32_t eax, uint32_t ebx);
/* Linux 32-bit boot protocol: __BOOT_CS 10H, __BOOT_DS 18H, ESI = the
 * boot_params (zero page). */
void vcpu_state_linux32(struct vcpu_entry_state *s, uint32_t eip, uint32_t boot_params);
/* Linux 64-bit boot protocol (boot.rst "64-bit Boot Protocol"): long mode
 * with paging on through the identity-mapped tables at @cr3, the loader's
 * GDT at @gdt_base (__BOOT_CS 10H 64-bit code, __BOOT_DS 18H in DS, ES,
 * SS), interrupts off, RSI = the boot_params (zero page). */
void vcpu_state_linux64(struct vcpu_entry_state *s, uint64_t rip, uint64_t boot_params,
                        uint64_t cr3, uint64_t gdt_base, uint16_t gdt_limit);

#endif /* KEEL_HV_VCPU_STATE_H */
