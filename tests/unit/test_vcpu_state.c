/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/vcpu_state.c: the architectural entry states. */
#include "check.h"
#include "hv/vcpu_state.h"
#include "hv/x86.h"

static void test_init(void)
{
    struct vcpu_entry_state s;
    vcpu_state_init(&s, 0x000806f8u);
    /* SDM table 9-1: F000:FFF0 with CS base FFFF0000H, CR0 60000010H,
     * EDX = signature, DR6/DR7, descriptor tables at 0 limit FFFFH. */
    CHECK_EQ(s.seg[SREG_CS].sel, 0xf000);
    CHECK_EQ(s.seg[SREG_CS].base, 0xffff0000u);
    CHECK_EQ(s.seg[SREG_CS].limit, 0xffff);
    CHECK_EQ(s.seg[SREG_CS].attrib, SEG_ATTR_CODE16);
    for (unsigned i = 0; i < SREG_COUNT; i++)
        if (i != SREG_CS) {
            CHECK_EQ(s.seg[i].sel, 0);
            CHECK_EQ(s.seg[i].base, 0);
            CHECK_EQ(s.seg[i].limit, 0xffff);
            CHECK_EQ(s.seg[i].attrib, SEG_ATTR_DATA16);
        }
    CHECK_EQ(s.rip, 0xfff0);
    CHECK_EQ(s.cr0, 0x60000010u);
    CHECK_EQ(s.cr3, 0);
    CHECK_EQ(s.cr4, 0);
    CHECK_EQ(s.efer, 0);
    CHECK_EQ(s.gpr_rdx, 0x000806f8u);
    CHECK_EQ(s.gpr_rax, 0);
    CHECK_EQ(s.rflags, 2);
    CHECK_EQ(s.dr6, 0xffff0ff0u);
    CHECK_EQ(s.dr7, 0x400);
    CHECK_EQ(s.pat, 0x0007040600070406ull);
    CHECK_EQ(s.gdtr.limit, 0xffff);
    CHECK_EQ(s.idtr.limit, 0xffff);
    CHECK_EQ(s.ldtr.attrib, SEG_ATTR_LDT);
    CHECK_EQ(s.tr.attrib, SEG_ATTR_TSS_BUSY);
}

static void test_sipi(void)
{
    struct vcpu_entry_state s;
    vcpu_state_sipi(&s, 0x1234, 0x9a);
    /* SDM 9.4.4.1 / 11.6.1: CS = vector << 8, base vector << 12, IP 0. */
    CHECK_EQ(s.seg[SREG_CS].sel, 0x9a00);
    CHECK_EQ(s.seg[SREG_CS].base, 0x9a000);
    CHECK_EQ(s.rip, 0);
    CHECK_EQ(s.cr0, CR0_CD | CR0_NW | CR0_ET);
    CHECK_EQ(s.gpr_rdx, 0x1234);
}

static void test_boot_protocols(void)
{
    struct vcpu_entry_state s;
    vcpu_state_multiboot(&s, 0x100000, 0x2badb002u, 0x9000);
    /* Multiboot 3.2: protected mode, paging off, flat CS/DS, EAX magic,
     * EBX the information structure. */
    CHECK_EQ(s.cr0, CR0_PE | CR0_ET);
    CHECK_EQ(s.rip, 0x100000);
    CHECK_EQ(s.gpr_rax, 0x2badb002u);
    CHECK_EQ(s.gpr_rbx, 0x9000);
    CHECK_EQ(s.seg[SREG_CS].sel, 0x08);
    CHECK_EQ(s.seg[SREG_CS].attrib, SEG_ATTR_CODE32);
    CHECK_EQ(s.seg[SREG_CS].limit, 0xffffffffu);
    for (unsigned i = 0; i < SREG_COUNT; i++)
        if (i != SREG_CS) {
            CHECK_EQ(s.seg[i].sel, 0x10);
            CHECK_EQ(s.seg[i].attrib, SEG_ATTR_DATA32);
        }
    CHECK(!(s.rflags & RFLAGS_IF));
    CHECK_EQ(s.efer, 0);

    /* Linux 32-bit boot protocol: __BOOT_CS 0x10, __BOOT_DS 0x18, ESI. */
    vcpu_state_linux32(&s, 0x100000, 0x7000);
    CHECK_EQ(s.seg[SREG_CS].sel, 0x10);
    CHECK_EQ(s.seg[SREG_SS].sel, 0x18);
    CHECK_EQ(s.seg[SREG_DS].sel, 0x18);
    CHECK_EQ(s.gpr_rsi, 0x7000);
    CHECK_EQ(s.gpr_rax, 0);
    CHECK_EQ(s.gpr_rbx, 0);
    CHECK_EQ(s.cr0, CR0_PE | CR0_ET);

    /* Linux 64-bit boot protocol: long mode, paging, __BOOT_CS with L. */
    vcpu_state_linux64(&s, 0x1000200, 0x17000, 0x10000, 0x16000, 0x1f);
    CHECK_EQ(s.rip, 0x1000200);
    CHECK_EQ(s.gpr_rsi, 0x17000);
    CHECK_EQ(s.cr3, 0x10000);
    CHECK_EQ(s.cr0 & (CR0_PE | CR0_PG), CR0_PE | CR0_PG);
    CHECK(s.cr4 & CR4_PAE);
    CHECK_EQ(s.efer, EFER_LME | EFER_LMA);
    CHECK_EQ(s.seg[SREG_CS].sel, 0x10);
    CHECK(s.seg[SREG_CS].attrib & SEG_ATTR_L);
    CHECK(!(s.seg[SREG_CS].attrib & SEG_ATTR_DB));
    CHECK_EQ(s.seg[SREG_SS].sel, 0x18);
    CHECK_EQ(s.seg[SREG_DS].sel, 0x18);
    CHECK_EQ(s.seg[SREG_ES].sel, 0x18);
    CHECK_EQ(s.gdtr.base, 0x16000);
    CHECK_EQ(s.gdtr.limit, 0x1f);
    CHECK(!(s.rflags & RFLAGS_IF));
}

int main(void)
{
    test_init();
    test_sipi();
    test_boot_protocols();
    return check_report("test_vcpu_state");
}
