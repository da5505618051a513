/* SPDX-License-Identifier: MIT */
#include "hv/host/fpu.h"

#include <string.h>

#include "hv/emul/xsave.h"
#include "hv/host/console.h"
#include "hv/host/percpu.h"
#include "hv/vm.h"
#include "hv/x86.h"

/* FXSAVE image offsets (SDM vol. 1, table 10-2). */
#define FX_FCW    0
#define FX_MXCSR  24
#define FCW_RESET 0x037f   /* FNINIT value */
#define MXCSR_RESET 0x1f80
#define CPUID1_ECX_XSAVE_BIT (1u << 26)
#define CPUID1_ECX_AVX_BIT   (1u << 28)
#define CPUID7_EBX_AVX512F   (1u << 16)

static struct xsave_layout host_layout;
static uint64_t host_xcr0;      /* the offered components; 0 without XSAVE */
static bool layout_read;

static inline uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

static inline void xsetbv0(uint64_t v)
{
    __asm__ volatile("xsetbv" :: "c"(0), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)) : "memory");
}

static void host_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
    cpuid_count(leaf, sub, r);
}

/* Once, on the first CPU: what the host has and what guests get. */
static void fpu_read_layout(void)
{
    uint32_t l0[4], l1[4], l7[4] = { 0, 0, 0, 0 };
    cpuid_count(0, 0, l0);
    cpuid_count(1, 0, l1);
    if (l0[0] >= 7)
        cpuid_count(7, 0, l7);
    layout_read = true;
    if (!(l1[2] & CPUID1_ECX_XSAVE_BIT) || l0[0] < 0xd) {
        log_info("fpu: the CPU has no XSAVE: XSAVE and AVX stay hidden from guests");
        return;
    }
    xsave_layout_read(&host_layout, host_cpuid);
    uint64_t m = xsave_offered(&host_layout, l1[2] & CPUID1_ECX_AVX_BIT, l7[1] & CPUID7_EBX_AVX512F);
    if (xsave_size_standard(&host_layout, m) > FPU_AREA_SIZE)
        m &= ~XCR0_AVX512;      /* the save area is one page */
    host_xcr0 = m;
    log_info("fpu: XSAVE offered to guests, XCR0 bits %#lx (%u-byte area)", (unsigned long)m,
             xsave_size_standard(&host_layout, m));
}

void fpu_cpu_init(void)
{
    if (!layout_read)
        fpu_read_layout();
    if (!host_xcr0)
        return;
    write_cr4(read_cr4() | CR4_OSXSAVE);
    xsetbv0(host_xcr0);
}

uint64_t fpu_xcr0_offered(void) { return host_xcr0; }
const struct xsave_layout *fpu_xsave_layout(void) { return host_xcr0 ? &host_layout : NULL; }

static bool guest_state_live(struct vcpu *v)
{
    struct percpu *pc = this_cpu_or_null();
    return pc && pc->vcpu == v && !pc->fpu_guest_saved;
}

uint64_t fpu_guest_xcr0(struct vcpu *v)
{
    if (!host_xcr0)
        return XCR0_X87;
    return guest_state_live(v) ? xgetbv0() : v->xcr0;
}

void fpu_set_guest_xcr0(struct vcpu *v, uint64_t xcr0)
{
    v->xcr0 = xcr0;
    if (guest_state_live(v))
        xsetbv0(xcr0);
}

int fpu_handle_nm(void)
{
    struct percpu *pc = this_cpu_or_null();
    clts();
    if (!pc || !pc->vcpu || pc->fpu_guest_saved)
        return 0;
    if (host_xcr0) {
        /* The live XCR0 is the guest's (also after an XSETBV the CPU did
         * not intercept); the host's goes back before anything is saved. */
        uint64_t g = xgetbv0();
        pc->vcpu->xcr0 = g;
        if (g != host_xcr0)
            xsetbv0(host_xcr0);
        __asm__ volatile("xsave64 %0" : "=m"(*pc->vcpu->fpu)
                         : "a"((uint32_t)host_xcr0), "d"((uint32_t)(host_xcr0 >> 32)) : "memory");
    } else {
        __asm__ volatile("fxsave64 %0" : "=m"(*pc->vcpu->fpu));
    }
    pc->fpu_guest_saved = true;
    return 0;
}

void fpu_clobber(struct vcpu *v)
{
    /* A zero image: XSTATE_BV = 0 puts every requested component in its
     * initial configuration (XRSTOR, SDM 13.8.1); FXRSTOR of zeros clears
     * the x87 and XMM registers and MXCSR. */
    static struct fxsave_area zero;
    if (this_cpu()->vcpu != v)
        return;
    fpu_handle_nm();            /* saves the guest's state, host XCR0 live */
    if (host_xcr0)
        __asm__ volatile("xrstor64 %0" :: "m"(zero), "a"((uint32_t)host_xcr0),
                         "d"((uint32_t)(host_xcr0 >> 32)) : "memory");
    else
        __asm__ volatile("fninit; fxrstor64 %0" :: "m"(zero) : "memory");
}

void fpu_prepare_guest_entry(struct fxsave_area *guest)
{
    struct percpu *pc = this_cpu();
    if (pc->fpu_guest_saved) {
        clts();
        if (host_xcr0) {
            /* XRSTOR under the host XCR0 (all offered components), then
             * the guest's own XCR0 while its state is live. */
            if (xgetbv0() != host_xcr0)
                xsetbv0(host_xcr0);
            __asm__ volatile("xrstor64 %0" :: "m"(*guest), "a"((uint32_t)host_xcr0),
                             "d"((uint32_t)(host_xcr0 >> 32)) : "memory");
            if (pc->vcpu && pc->vcpu->xcr0 != host_xcr0)
                xsetbv0(pc->vcpu->xcr0);
        } else {
            __asm__ volatile("fxrstor64 %0" :: "m"(*guest));
        }
        pc->fpu_guest_saved = false;
    }
    write_cr0(read_cr0() | CR0_TS);
}

void fpu_init_state(struct fxsave_area *a)
{
    memset(a, 0, sizeof(*a));
    uint16_t fcw = FCW_RESET;
    uint32_t mxcsr = MXCSR_RESET;
    /* XSTATE_BV: x87 and SSE from the legacy image (FCW, MXCSR as above);
     * every other component in its initial configuration; XCOMP_BV 0, the
     * standard format (SDM 13.4.2, 13.8). */
    uint64_t xstate_bv = XCR0_X87 | XCR0_SSE;
    memcpy(&a->bytes[FX_FCW], &fcw, sizeof(fcw));
    memcpy(&a->bytes[FX_MXCSR], &mxcsr, sizeof(mxcsr));
    memcpy(&a->bytes[XSAVE_HDR_XSTATE_BV], &xstate_bv, sizeof(xstate_bv));
}
