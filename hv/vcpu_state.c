/* SPDX-License-Identifier: MIT */
/* Architectural vCPU entry states (hv/vcpu_state.h). */
#include "hv/vcpu_state.h"

#include <string.h>

#include "hv/x86.h"

#define PAT_POWER_ON 0x0007040600070406ull /* SDM 12.12.4, table 12-12 */
#define DR6_INIT     0xffff0ff0ull         /* SDM table 9-1 */
#define DR7_INIT     0x400ull

static struct seg_state seg(uint16_t sel, uint16_t attrib, uint32_t limit, uint64_t base)
{
    return (struct seg_state){ .sel = sel, .attrib = attrib, .limit = limit, .base = base };
}

/* What every state here shares: no paging, no long mode, the debug and
 * PAT registers at their reset values, an empty LDT and a busy TSS at 0
 * (table 9-1: "Present, R/W"), descriptor tables at 0 with limit FFFFH. */
static void common(struct vcpu_entry_state *s)
{
    memset(s, 0, sizeof(*s));
    s->ldtr = seg(0, SEG_ATTR_LDT, 0xffff, 0);
    s->tr = seg(0, SEG_ATTR_TSS_BUSY, 0xffff, 0);
    s->gdtr = seg(0, 0, 0xffff, 0);
    s->idtr = seg(0, 0, 0xffff, 0);
    s->dr6 = DR6_INIT;
    s->dr7 = DR7_INIT;
    s->pat = PAT_POWER_ON;
    s->rflags = RFLAGS_FIXED;
}

void vcpu_state_init(struct vcpu_entry_state *s, uint32_t signature)
{
    common(s);
    for (unsigned i = 0; i < SREG_COUNT; i++)
        s->seg[i] = seg(0, SEG_ATTR_DATA16, 0xffff, 0);
    s->seg[SREG_CS] = seg(0xf000, SEG_ATTR_CODE16, 0xffff, 0xffff0000u);
    s->cr0 = CR0_CD | CR0_NW | CR0_ET;
    s->rip = 0xfff0;
    s->gpr_rdx = signature;
}

void vcpu_state_sipi(struct vcpu_entry_state *s, uint32_t signature, uint8_t vector)
{
    vcpu_state_init(s, signature);
    s->seg[SREG_CS] = seg((uint16_t)(vector << 8), SEG_ATTR_CODE16, 0xffff, (uint64_t)vector << 12);
    s->rip = 0;
}

void vcpu_state_flat32(struct vcpu_entry_state *s, uint16_t cs, uint16_t ds, uint32_t eip)
{
    common(s);
    for (unsigned i = 0; i < SREG_COUNT; i++)
        s->seg[i] = seg(ds, SEG_ATTR_DATA32, 0xffffffffu, 0);
    s->seg[SREG_CS] = seg(cs, SEG_ATTR_CODE32, 0xffffffffu, 0);
    s->cr0 = CR0_PE | CR0_ET;
    s->rip = eip;
}

void vcpu_state_multiboot(struct vcpu_entry_state *s, uint32_t eip, uint32_t eax, uint32_t ebx)
{
    vcpu_state_flat32(s, 0x08, 0x10, eip);
    s->gpr_rax = eax;
    s->gpr_rbx = ebx;
}

void vcpu_state_linux32(struct vcpu_entry_state *s, uint32_t eip, uint32_t boot_params)
{
    vcpu_state_flat32(s, 0x10, 0x18, eip);
    s->gpr_rsi = boot_params;
}

/* Long mode needs CR0.PG with CR4.PAE and EFER.LME, which makes EFER.LMA
 * (SDM vol. 3 10.8.5; APM vol. 2 14.6.1); a CS with L set runs 64-bit code.
 * FS and GS are loaded with __BOOT_DS as well: the protocol leaves them
 * undefined and the kernel reloads them. */
void vcpu_state_linux64(struct vcpu_entry_state *s, uint64_t rip, uint64_t boot_params,
                        uint64_t cr3, uint64_t gdt_base, uint16_t gdt_limit)
{
    vcpu_state_flat32(s, 0x10, 0x18, 0);
    s->seg[SREG_CS].attrib = SEG_ATTR_CODE64;
    s->gdtr = (struct seg_state){ .limit = gdt_limit, .base = gdt_base };
    s->cr0 = CR0_PE | CR0_ET | CR0_PG;
    s->cr3 = cr3;
    s->cr4 = CR4_PAE;
    s->efer = EFER_LME | EFER_LMA;
    s->rip = rip;
    s->gpr_rsi = boot_params;
}
