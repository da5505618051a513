/* SPDX-License-Identifier: MIT */
/*
 * libFuzzer harness for the AVIC hardware model (tests/model/avic_hw*.c):
 * a machine of 4 pCPUs whose VMCB fields and APIC ID tables come from the
 * input, then a program of guest and hypervisor actions.
 *
 * Input: flags (bit 0 x2AVIC feature, 1 the 4K extension, 2 x2AVIC mode in
 * the VMCBs, 3 MSR_PROT, 4 DFR cluster), max index (2 bytes), MSRPM byte
 * pattern for the x2APIC range, then per vCPU a physical entry byte (bit 0
 * valid, 1 IsRunning, 2 backing page outside memory, 5:4 host pCPU) and a
 * logical entry byte (bit 7 valid, 1:0 physical ID); then operations (low
 * nibble the operation, bits 5:4 the pCPU) with their arguments.
 *
 * Invariants: an exit is one the model may cause, with the encodings its
 * exit code allows, and leaves guest mode; #GP is neither an exit nor a
 * completed access; a delivered vector is >= 16, above the priority it was
 * delivered at, and lands in ISR; PPR is always TPR/ISR's; no vector below
 * 16 ever reaches an IRR; VMRUNs and #VMEXITs balance with guest mode.
 */
#include "fuzz.h"
#include "tests/model/avic_hw.h"

#define MEM_BASE 0x40000000ull
#define PAGES    40u
#define PG(n)    (MEM_BASE + (uint64_t)(n)*4096u)
#define NP       4u

static uint8_t mem[PAGES * 4096u] __attribute__((aligned(4096)));
static const uint32_t host_ids[NP] = { 3, 1, 7, 2 };

static void *to_ptr(void *ctx, uint64_t spa, uint64_t len)
{
    (void)ctx;
    if (spa < MEM_BASE || len > sizeof(mem) || spa - MEM_BASE > sizeof(mem) - len)
        return NULL;
    return mem + (spa - MEM_BASE);
}

static uint8_t *at(uint64_t spa)
{
    return mem + (spa - MEM_BASE);
}

static uint32_t rd32(uint64_t spa)
{
    return __atomic_load_n((uint32_t *)at(spa), __ATOMIC_SEQ_CST);
}

static void wr64(uint64_t spa, uint64_t v)
{
    memcpy(at(spa), &v, 8);
}

static uint64_t rd64(uint64_t spa)
{
    uint64_t v;

    memcpy(&v, at(spa), 8);
    return v;
}

static uint64_t bp(unsigned v)
{
    return PG(8 + v);
}

static int highest(unsigned v, unsigned base)
{
    for (int w = 7; w >= 0; w--) {
        uint32_t x = rd32(bp(v) + base + (unsigned)w * 16u);
        if (x)
            return w * 32 + 31 - __builtin_clz(x);
    }
    return -1;
}

static uint32_t ppr_of(unsigned v)
{
    uint32_t tpr = rd32(bp(v) + 0x80) & 0xffu;
    int isrv = highest(v, 0x100);
    uint32_t cls = isrv < 0 ? 0 : ((uint32_t)isrv & 0xf0u);

    return (tpr & 0xf0u) >= cls ? tpr : cls;
}

static void setup(struct fuzz_in *in, bool *x2)
{
    uint8_t flags = fuzz_u8(in), pat;
    uint32_t max = fuzz_u16(in) & 0xfffu;

    memset(mem, 0, sizeof(mem));
    *x2 = flags & 4;
    pat = fuzz_u8(in);
    memset(at(PG(32)) + 0x200, pat, 0x40); /* MSRs 800h..8FFh in the first range */
    for (unsigned v = 0; v < NP; v++) {
        uint8_t pe = fuzz_u8(in), le = fuzz_u8(in);
        wr64(PG(v) + 0x00c, (flags & 8) ? (1u << 28) : 0);
        wr64(PG(v) + 0x048, PG(32));
        wr64(PG(v) + 0x060, (1ull << 31) | (*x2 ? 1ull << 30 : 0));
        wr64(PG(v) + 0x0e0, bp(v));
        wr64(PG(v) + 0x0f0, PG(16));
        wr64(PG(v) + 0x0f8, PG(17) | max);
        memcpy(at(bp(v) + 0x20), &(uint32_t){ *x2 ? v : v << 24 }, 4);
        memcpy(at(bp(v) + 0xe0), &(uint32_t){ (flags & 16) ? 0x0fffffffu : 0xffffffffu }, 4);
        wr64(PG(17) + v * 8u, ((pe & 1) ? 1ull << 63 : 0) | ((pe & 2) ? 1ull << 62 : 0)
                                  | ((pe & 4) ? 0x7000ull : bp(v)) | host_ids[(pe >> 4) & 3]);
        memcpy(at(PG(16) + v * 4u), &(uint32_t){ ((le & 0x80) ? 1u << 31 : 0) | (le & 3u) }, 4);
    }
}

static void check_result(struct avic_hw *hw, unsigned p, struct avic_hw_result r)
{
    if (r.bad_call) {
        FUZZ_ASSERT(!r.exited && !r.gp);
        return;
    }
    if (r.gp)
        FUZZ_ASSERT(!r.exited && !r.completed);
    if (!r.exited)
        return;
    FUZZ_ASSERT(!avic_hw_in_guest(hw, p));
    FUZZ_ASSERT(rd64(PG(p) + 0x070) == r.exitcode);
    FUZZ_ASSERT(rd64(PG(p) + 0x078) == r.exitinfo1 && rd64(PG(p) + 0x080) == r.exitinfo2);
    switch (r.exitcode) {
    case 0x7c:
        FUZZ_ASSERT(r.exitinfo1 <= 1 && !r.completed);
        break;
    case 0x401: /* after the ICR write: completed */
        FUZZ_ASSERT((r.exitinfo2 >> 32) <= 4 && r.completed);
        break;
    case 0x402:
        FUZZ_ASSERT((r.exitinfo1 & ~(0xff0ull | (1ull << 32))) == 0 && r.exitinfo2 <= 0xff);
        break;
    default:
        FUZZ_ASSERT(!"exit code the model may not cause");
    }
}

static void check_take(struct avic_hw *hw, unsigned p, int vec, uint32_t ppr_before)
{
    if (vec < 0)
        return;
    FUZZ_ASSERT(vec >= 16 && vec <= 255);
    FUZZ_ASSERT(((unsigned)vec & 0xf0u) > (ppr_before & 0xf0u));
    FUZZ_ASSERT((rd32(bp(p) + 0x100 + (unsigned)vec / 32 * 16) >> (vec % 32)) & 1u);
    FUZZ_ASSERT(highest(p, 0x100) == vec);
}

static void check_machine(struct avic_hw *hw)
{
    for (unsigned p = 0; p < NP; p++) {
        struct avic_hw_pcpu_stats s;

        avic_hw_stats(hw, p, &s);
        FUZZ_ASSERT(s.vmruns - s.vmexits == (avic_hw_in_guest(hw, p) ? 1u : 0u));
        FUZZ_ASSERT((rd32(bp(p) + 0x200) & 0xffffu) == 0);
        if (avic_hw_in_guest(hw, p))
            FUZZ_ASSERT(rd32(bp(p) + 0xa0) == ppr_of(p));
    }
}

static void step(struct avic_hw *hw, struct fuzz_in *in, bool x2)
{
    uint8_t op = fuzz_u8(in);
    unsigned p = (op >> 4) & 3u;
    uint32_t v32;
    uint64_t v64;

    /* Calls that break the interface's preconditions only print (the unit
     * test covers them): keep to the valid ones. */
    if (!avic_hw_in_guest(hw, p) && (op & 0xfu) > 1 && (op & 0xfu) != 8 && (op & 0xfu) != 9)
        return;
    switch (op & 0xfu) {
    case 0:
        if (!avic_hw_in_guest(hw, p))
            (void)avic_hw_vmrun(hw, p, PG(p));
        break;
    case 1:
        if (avic_hw_in_guest(hw, p))
            avic_hw_vmexit(hw, p);
        break;
    case 2: {
        uint16_t off = fuzz_u16(in) & 0xfffu;
        check_result(hw, p, avic_hw_mmio_read(hw, p, off, &v32));
        break;
    }
    case 3: {
        uint16_t off = fuzz_u16(in) & 0xfffu;
        check_result(hw, p, avic_hw_mmio_write(hw, p, off, fuzz_u32(in)));
        break;
    }
    case 4:
        if (x2)
            check_result(hw, p, avic_hw_rdmsr(hw, p, 0x800u + fuzz_u8(in), &v64));
        break;
    case 5: {
        if (!x2)
            break;
        uint32_t msr = 0x800u + fuzz_u8(in);
        check_result(hw, p, avic_hw_wrmsr(hw, p, msr, fuzz_u64(in)));
        break;
    }
    case 6: {
        uint32_t before = ppr_of(p);
        check_take(hw, p, avic_hw_take_interrupt(hw, p), before);
        break;
    }
    case 7:
        check_result(hw, p,
                     x2 ? avic_hw_wrmsr(hw, p, 0x80b, 0) : avic_hw_mmio_write(hw, p, 0xb0, 0));
        break;
    case 8:
        if (!avic_hw_in_guest(hw, p))
            (void)avic_hw_doorbell(hw, p, host_ids[fuzz_u8(in) & 3u]);
        break;
    case 9: { /* the hypervisor posts a vector (>= 16) into a backing page */
        unsigned t = fuzz_u8(in) & 3u, vec = 16u + fuzz_u8(in) % 240u;
        __atomic_fetch_or((uint32_t *)at(bp(t) + 0x200 + vec / 32 * 16), 1u << (vec % 32),
                          __ATOMIC_SEQ_CST);
        break;
    }
    case 10: {
        uint8_t dest = fuzz_u8(in);
        uint32_t lo = fuzz_u32(in);
        check_result(hw, p, avic_hw_mmio_write(hw, p, 0x310, (uint32_t)dest << 24));
        if (avic_hw_in_guest(hw, p))
            check_result(hw, p, avic_hw_mmio_write(hw, p, 0x300, lo));
        break;
    }
    case 11:
        if (x2)
            check_result(hw, p, avic_hw_wrmsr(hw, p, 0x830, fuzz_u64(in)));
        break;
    default:
        check_result(hw, p,
                     x2 ? avic_hw_wrmsr(hw, p, 0x808, fuzz_u8(in))
                        : avic_hw_mmio_write(hw, p, 0x80, fuzz_u8(in)));
        break;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fuzz_in in = { data, size };
    struct avic_hw_mem m = { to_ptr, NULL };
    struct avic_hw_features f = { .avic = true };
    struct avic_hw *hw;
    bool x2;
    unsigned steps = 0;

    if (size > 0) {
        f.x2avic = data[0] & 1;
        f.x2avic_4k = f.x2avic && (data[0] & 2);
    }
    setup(&in, &x2);
    hw = avic_hw_create(&f, NP, host_ids, &m);
    FUZZ_ASSERT(hw);
    while (fuzz_more(&in) && steps++ < 4096) {
        step(hw, &in, x2);
        check_machine(hw);
    }
    avic_hw_destroy(hw);
    return 0;
}
