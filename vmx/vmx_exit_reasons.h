/* SPDX-License-Identifier: MIT */
/*
 * VMX basic exit reasons (Intel SDM vol. 3D appendix C, table C-1) and the
 * format of the 32-bit exit-reason field (SDM 24.9.1, table 24-14).  The
 * basic exit reason is bits 15:0; vmx/ decodes it into the vendor-neutral
 * struct exit_record (hv/emul/exit.h).
 */
#ifndef KEEL_VMX_VMX_EXIT_REASONS_H
#define KEEL_VMX_VMX_EXIT_REASONS_H

/* Exit-reason field (table 24-14) */
#define VMX_EXIT_REASON_BASIC_MASK      0x0000ffffu
#define VMX_EXIT_REASON_BUS_LOCK        (1u << 26)  /* a bus lock was asserted */
#define VMX_EXIT_REASON_ENCLAVE         (1u << 27)  /* exit from enclave mode */
#define VMX_EXIT_REASON_PENDING_MTF     (1u << 28)  /* SMM VM exit over a pending MTF exit */
#define VMX_EXIT_REASON_FROM_ROOT       (1u << 29)  /* SMM VM exit from VMX root operation */
#define VMX_EXIT_REASON_ENTRY_FAILURE   (1u << 31)  /* VM-entry failure, not a VM exit */

#define VMX_EXIT_REASON_BASIC(r)        ((r) & VMX_EXIT_REASON_BASIC_MASK)

/* Basic exit reasons (table C-1).  Gaps (35, 38, 42, 71) are unused. */
enum vmx_exit_reason {
    VMX_EXIT_EXCEPTION_NMI = 0,     /* exception in the bitmap, or NMI with NMI exiting */
    VMX_EXIT_EXT_INTR = 1,          /* external interrupt, external-interrupt exiting */
    VMX_EXIT_TRIPLE_FAULT = 2,
    VMX_EXIT_INIT = 3,              /* INIT signal */
    VMX_EXIT_SIPI = 4,              /* start-up IPI in wait-for-SIPI */
    VMX_EXIT_IO_SMI = 5,
    VMX_EXIT_OTHER_SMI = 6,
    VMX_EXIT_INTR_WINDOW = 7,
    VMX_EXIT_NMI_WINDOW = 8,
    VMX_EXIT_TASK_SWITCH = 9,
    VMX_EXIT_CPUID = 10,
    VMX_EXIT_GETSEC = 11,
    VMX_EXIT_HLT = 12,
    VMX_EXIT_INVD = 13,
    VMX_EXIT_INVLPG = 14,
    VMX_EXIT_RDPMC = 15,
    VMX_EXIT_RDTSC = 16,
    VMX_EXIT_RSM = 17,
    VMX_EXIT_VMCALL = 18,
    VMX_EXIT_VMCLEAR = 19,
    VMX_EXIT_VMLAUNCH = 20,
    VMX_EXIT_VMPTRLD = 21,
    VMX_EXIT_VMPTRST = 22,
    VMX_EXIT_VMREAD = 23,
    VMX_EXIT_VMRESUME = 24,
    VMX_EXIT_VMWRITE = 25,
    VMX_EXIT_VMXOFF = 26,
    VMX_EXIT_VMXON = 27,
    VMX_EXIT_CR_ACCESS = 28,        /* qualification: VMX_QUAL_CR_* */
    VMX_EXIT_MOV_DR = 29,
    VMX_EXIT_IO = 30,               /* qualification: VMX_QUAL_IO_* */
    VMX_EXIT_RDMSR = 31,
    VMX_EXIT_WRMSR = 32,
    VMX_EXIT_INVALID_GUEST_STATE = 33,  /* VM-entry failure */
    VMX_EXIT_MSR_LOADING = 34,          /* VM-entry failure */
    VMX_EXIT_MWAIT = 36,
    VMX_EXIT_MONITOR_TRAP_FLAG = 37,
    VMX_EXIT_MONITOR = 39,
    VMX_EXIT_PAUSE = 40,
    VMX_EXIT_MACHINE_CHECK = 41,        /* VM-entry failure */
    VMX_EXIT_TPR_BELOW_THRESHOLD = 43,
    VMX_EXIT_APIC_ACCESS = 44,      /* qualification: VMX_QUAL_APIC_* */
    VMX_EXIT_VIRTUALIZED_EOI = 45,
    VMX_EXIT_GDTR_IDTR = 46,
    VMX_EXIT_LDTR_TR = 47,
    VMX_EXIT_EPT_VIOLATION = 48,    /* qualification: VMX_QUAL_EPT_* */
    VMX_EXIT_EPT_MISCONFIG = 49,
    VMX_EXIT_INVEPT = 50,
    VMX_EXIT_RDTSCP = 51,
    VMX_EXIT_PREEMPTION_TIMER = 52,
    VMX_EXIT_INVVPID = 53,
    VMX_EXIT_WBINVD = 54,           /* WBINVD or WBNOINVD */
    VMX_EXIT_XSETBV = 55,
    VMX_EXIT_APIC_WRITE = 56,
    VMX_EXIT_RDRAND = 57,
    VMX_EXIT_INVPCID = 58,
    VMX_EXIT_VMFUNC = 59,
    VMX_EXIT_ENCLS = 60,
    VMX_EXIT_RDSEED = 61,
    VMX_EXIT_PML_FULL = 62,
    VMX_EXIT_XSAVES = 63,
    VMX_EXIT_XRSTORS = 64,
    VMX_EXIT_PCONFIG = 65,
    VMX_EXIT_SPP_EVENT = 66,
    VMX_EXIT_UMWAIT = 67,
    VMX_EXIT_TPAUSE = 68,
    VMX_EXIT_LOADIWKEY = 69,
    VMX_EXIT_ENCLV = 70,
    VMX_EXIT_ENQCMD_PASID_FAIL = 72,
    VMX_EXIT_ENQCMDS_PASID_FAIL = 73,
    VMX_EXIT_BUS_LOCK = 74,
    VMX_EXIT_INSTRUCTION_TIMEOUT = 75,
    VMX_EXIT_SEAMCALL = 76,
    VMX_EXIT_TDCALL = 77,
    VMX_EXIT_RDMSRLIST = 78,
    VMX_EXIT_WRMSRLIST = 79,
    VMX_EXIT_REASON_COUNT           /* one past the highest basic exit reason */
};

/* The SDM's short name of a basic exit reason ("EPT violation"); "unknown
 * exit reason" for gaps and values past the table.  (vmx/vmx_caps.c) */
const char *vmx_exit_reason_name(unsigned basic);

#endif /* KEEL_VMX_VMX_EXIT_REASONS_H */
