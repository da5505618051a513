/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/pci_msix.c (and the MSI-X capability of hv/dev/pci_pt.c): an
 * assigned function's MSI-X table and message control are the guest's to
 * read and write.  Input: a 2-byte header (the host's table size - 1, low
 * 7 bits; Keel's vector count, 1..8) then a program of accesses (op byte:
 * bit 0 write, bits 3:1 size index (1, 2, 4, 8, or the bad sizes 3, 5, 6,
 * 7), bit 4 config space instead of the BAR; a 2-byte offset; an 8-byte
 * value), over a fake function whose 16 KiB BAR holds the table at 0x800
 * and the PBA at 0x3000.
 * Invariants: an entry is on only for entries the guest sees, only while
 * the guest's enable is set and its mask clear, with the address and data
 * the guest last wrote (bits 1:0 of the address clear); turning off only
 * what is on; the host's table is written only to mask its entries at
 * reset (never a guest's address or data) and only inside the emulated
 * page (no access crosses its end); the host's enable and
 * function mask follow the guest's; refused accesses read all ones.
 */
#include <string.h>

#include "fuzz.h"
#include "hv/dev/pci_msix.h"
#include "hv/dev/pci_pt.h"

#define TABLE_OFF 0x800u
#define PBA_OFF   0x3000u
#define BAR_SIZE  16384u

static uint8_t cfg[256];
static uint8_t bar[BAR_SIZE];
static bool on[PCI_MSIX_MAX_VEC], host_enable, host_fmask, in_init;
static struct pci_msix mx;
static struct pci_pt pt;

static void f_entry(void *ctx, unsigned i, bool o, uint64_t addr, uint32_t data)
{
    FUZZ_ASSERT(i < mx.n);
    FUZZ_ASSERT(o != on[i] || o);
    if (o) {
        const struct pci_msix_entry *e = &mx.e[i];
        FUZZ_ASSERT(mx.enable && !(e->vctl & PCI_MSIX_VCTL_MASK));
        FUZZ_ASSERT(addr == ((uint64_t)e->addr_hi << 32 | e->addr_lo) && !(addr & 3));
        FUZZ_ASSERT(data == e->data);
    }
    on[i] = o;
}

static void f_ctl(void *ctx, bool enable, bool fmask)
{
    host_enable = enable;
    host_fmask = fmask;
}

static uint64_t f_bar_read(void *ctx, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    FUZZ_ASSERT(off + size <= BAR_SIZE);
    FUZZ_ASSERT(off + size <= TABLE_OFF || off >= TABLE_OFF + mx.cap.host_n * 16u);
    FUZZ_ASSERT(off / 4096 == (off + size - 1) / 4096 && off / 4096 == TABLE_OFF / 4096);
    memcpy(&v, &bar[off], size);
    return v;
}

static void f_bar_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    FUZZ_ASSERT(off + size <= BAR_SIZE);
    if (in_init)
        FUZZ_ASSERT(size == 4 && (off - TABLE_OFF) % 16 == 12 && val == 1);
    else
        FUZZ_ASSERT((off + size <= TABLE_OFF || off >= TABLE_OFF + mx.cap.host_n * 16u) &&
                    off / 4096 == (off + size - 1) / 4096 && off / 4096 == TABLE_OFF / 4096);
    memcpy(&bar[off], &val, size);
}

static void f_bad(void *ctx, uint64_t off, unsigned size, bool write) { }

static const struct pci_msix_ops ops = { f_entry, f_ctl, f_bar_read, f_bar_write, f_bad };

static uint32_t c_read(void *ctx, unsigned off, unsigned size)
{
    uint32_t v = 0;
    memcpy(&v, &cfg[off], size);
    return v;
}

static void c_write(void *ctx, unsigned off, unsigned size, uint32_t val) { }
static void c_map(void *ctx, unsigned i, uint64_t gpa, bool mapped) { }
static void c_msi(void *ctx, bool o, uint64_t addr, uint16_t data) { }

static void c_msix(void *ctx, uint16_t ctl)
{
    pci_msix_ctl_write(&mx, ctl);
}

static const struct pci_pt_ops pops = { c_read, c_write, c_map, c_msi };

static void setup(unsigned host_n1, unsigned nvec)
{
    static const uint64_t size[6] = { BAR_SIZE, 0, 0, 0, 0, 0 };
    static const uint32_t flags[6] = { 0, 0, 0, 0, 0, 0 };
    struct pci_msix_cap c;

    memset(cfg, 0, sizeof(cfg));
    memset(bar, 0, sizeof(bar));
    memset(on, 0, sizeof(on));
    cfg[0x34] = 0x40;
    cfg[0x40] = PCI_CAP_ID_MSIX;
    cfg[0x42] = (uint8_t)host_n1;
    cfg[0x44] = (uint8_t)TABLE_OFF; cfg[0x45] = TABLE_OFF >> 8;
    cfg[0x48] = (uint8_t)PBA_OFF; cfg[0x49] = PBA_OFF >> 8;
    FUZZ_ASSERT(pci_msix_cap_parse((uint16_t)host_n1, TABLE_OFF, PBA_OFF, size, &c) == 0);
    pci_pt_init(&pt, &pops, NULL, size, flags, 0);
    in_init = true;
    pci_msix_init(&mx, &ops, NULL, &c, nvec);
    in_init = false;
    pci_pt_msix_init(&pt, 0x40, mx.n, c_msix);
}

static void check(void)
{
    FUZZ_ASSERT(mx.n >= 1 && mx.n <= PCI_MSIX_MAX_VEC && mx.n <= mx.cap.host_n);
    FUZZ_ASSERT(host_enable == mx.enable && host_fmask == mx.fmask);
    FUZZ_ASSERT((pci_pt_read(&pt, 0x42, 2) & PCI_MSIX_CTL_SIZE) == mx.n - 1u);
    for (unsigned i = 0; i < mx.n; i++)
        FUZZ_ASSERT(on[i] == (mx.enable && !(mx.e[i].vctl & PCI_MSIX_VCTL_MASK)));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned sizes[] = { 1, 2, 4, 8, 3, 5, 6, 7 };
    struct fuzz_in in = { data, size };

    if (size < 2)
        return 0;
    unsigned host_n1 = fuzz_u8(&in) & 0x7f, nvec = fuzz_u8(&in) % PCI_MSIX_MAX_VEC + 1;
    setup(host_n1, nvec);
    while (fuzz_more(&in)) {
        uint8_t op = fuzz_u8(&in);
        unsigned off = fuzz_u8(&in) | (unsigned)fuzz_u8(&in) << 8;
        uint64_t val = fuzz_u32(&in) | (uint64_t)fuzz_u32(&in) << 32;
        unsigned sz = sizes[(op >> 1) & 7];
        if (op & 0x10) {
            off &= 0xff;
            if (op & 1)
                pci_pt_write(&pt, off, sz, (uint32_t)val);
            else
                (void)pci_pt_read(&pt, off, sz);
        } else if (sz <= 8 && off + sz <= BAR_SIZE && (sz == 1 || sz == 2 || sz == 4 || sz == 8)) {
            bool table = off + sz > TABLE_OFF && off < TABLE_OFF + mx.cap.host_n * 16u;
            if (op & 1) {
                pci_msix_write(&mx, off, sz, val);
            } else {
                uint64_t r = pci_msix_read(&mx, off, sz);
                bool ok = (sz == 4 && !(off & 3)) || (sz == 8 && !(off & 7));
                if (table && !ok)
                    FUZZ_ASSERT(r == ~0ull);
            }
        }
        check();
    }
    return 0;
}
