/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/pci_pt.c: an assigned function's configuration space is the
 * guest's to read and write.  Input: a program of configuration accesses
 * (op byte: bit 0 write, bits 2:1 size index (1, 2, 4, or the bad size 3);
 * an offset byte; a 4-byte value), over a fake edu-like function with a
 * 32-bit, a 64-bit and an I/O BAR and a 64-bit MSI capability.
 * Invariants: IDs and class are the host's, the header type reads 0; the
 * only write that reaches the device is the command register, with INTx
 * disabled and nothing but I/O, memory, bus master; the device's own MSI
 * address and data never change; a BAR is mapped only while memory
 * decoding is on, at an address aligned to its size, and unmapped only
 * where it was mapped; BAR reads keep the host's flag bits and the size's
 * alignment; the MSI address handed on has bits 1:0 clear.
 */
#include <string.h>

#include "fuzz.h"
#include "hv/dev/pci_pt.h"

static uint8_t phys[256], phys_at_start[256];
static uint64_t mapped_at[PCI_PT_BARS];
static const uint64_t bar_size[PCI_PT_BARS] = { 1u << 20, 0, 16384, 0, 32, 0 };
static const uint32_t bar_flags[PCI_PT_BARS] = { 0, 0, 0xc, 0, 1, 0 };
static struct pci_pt pt;

static uint32_t f_read(void *ctx, unsigned off, unsigned size)
{
    uint32_t v = 0;
    FUZZ_ASSERT(off + size <= sizeof(phys));
    memcpy(&v, &phys[off], size);
    return v;
}

static void f_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
    FUZZ_ASSERT(off == 0x04 && size == 2);
    FUZZ_ASSERT((val & 0x0400u) && !(val & ~0x0407u));
    memcpy(&phys[off], &val, size);
}

static void f_map(void *ctx, unsigned i, uint64_t gpa, bool mapped)
{
    FUZZ_ASSERT(i < PCI_PT_BARS && bar_size[i] >= 4096);
    if (mapped) {
        FUZZ_ASSERT(mapped_at[i] == PCI_PT_UNMAPPED);
        FUZZ_ASSERT(gpa && !(gpa & (bar_size[i] - 1)));
        FUZZ_ASSERT(pt.cmd & 0x2);
        mapped_at[i] = gpa;
    } else {
        FUZZ_ASSERT(mapped_at[i] == gpa);
        mapped_at[i] = PCI_PT_UNMAPPED;
    }
}

static void f_msi(void *ctx, bool on, uint64_t addr, uint16_t data)
{
    FUZZ_ASSERT(!(addr & 3));
}

static const struct pci_pt_ops ops = { f_read, f_write, f_map, f_msi };

static void setup(void)
{
    memset(phys, 0, sizeof(phys));
    uint32_t id = 0x11e81234u, cls = 0x00ff0010u, hdr = 0x00800000u;
    memcpy(&phys[0], &id, 4);
    memcpy(&phys[8], &cls, 4);
    memcpy(&phys[0xc], &hdr, 4);
    phys[0x06] = 0x10;
    phys[0x34] = 0x40;
    phys[0x40] = 0x05; phys[0x42] = 0x80;
    phys[0x44] = 0x11; phys[0x4c] = 0x22;
    memcpy(phys_at_start, phys, sizeof(phys));
    for (unsigned i = 0; i < PCI_PT_BARS; i++)
        mapped_at[i] = PCI_PT_UNMAPPED;
    pci_pt_init(&pt, &ops, NULL, bar_size, bar_flags, 0x40);
}

static void check(void)
{
    FUZZ_ASSERT(pci_pt_read(&pt, 0, 4) == 0x11e81234u);
    FUZZ_ASSERT(pci_pt_read(&pt, 8, 4) == 0x00ff0010u);
    FUZZ_ASSERT(pci_pt_read(&pt, 0xe, 1) == 0);
    FUZZ_ASSERT(memcmp(&phys[0x40], &phys_at_start[0x40], 16) == 0);
    FUZZ_ASSERT((pci_pt_read(&pt, 0x10, 4) & 0xfffff) == 0);
    FUZZ_ASSERT((pci_pt_read(&pt, 0x18, 4) & 0x3fff) == 0xc);
    FUZZ_ASSERT(pci_pt_read(&pt, 0x20, 4) == 0);
    for (unsigned i = 0; i < PCI_PT_BARS; i++)
        FUZZ_ASSERT((pt.cmd & 0x2) || mapped_at[i] == PCI_PT_UNMAPPED);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned sizes[] = { 1, 2, 4, 3 };
    struct fuzz_in in = { data, size };

    setup();
    while (fuzz_more(&in)) {
        uint8_t op = fuzz_u8(&in);
        unsigned off = fuzz_u8(&in);
        uint32_t val = fuzz_u32(&in);
        unsigned sz = sizes[(op >> 1) & 3];
        if (op & 1) {
            pci_pt_write(&pt, off, sz, val);
        } else {
            uint32_t r = pci_pt_read(&pt, off, sz);
            if (sz == 3 || (off & 3) + sz > 4)
                FUZZ_ASSERT(r == 0xffffffffu);
            else if (sz < 4)
                FUZZ_ASSERT(r < (1u << (8 * sz)));
        }
        check();
    }
    return 0;
}
