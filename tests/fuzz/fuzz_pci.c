/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/pci.c: CONFIG_ADDRESS and CONFIG_DATA are the guest's to write.
 * Input: a program of port accesses (op byte: bit 0 write, bits 2:1 size
 * index (1, 2, 4, or the bad size 3), bits 5:3 port 0xCF8 + n; then a
 * 4-byte value).  Invariants: CONFIG_ADDRESS reads back the last dword
 * written, masked; a read through CONFIG_DATA of anything but 00:00.0, or
 * with the enable bit clear, is all ones; the host bridge's IDs and class
 * never change and its command register holds only I/O, memory and bus
 * master.
 */
#include "fuzz.h"
#include "hv/dev/pci.h"

static uint32_t ones(unsigned size)
{
    return size >= 4 ? 0xffffffffu : (1u << (8 * size)) - 1;
}

static void check_bridge(struct pci_host *h)
{
    uint32_t saved = h->addr;
    pci_io_write(h, VPCI_CONFIG_ADDRESS, 4, VPCI_ADDR_ENABLE);
    FUZZ_ASSERT(pci_io_read(h, VPCI_CONFIG_DATA, 4) == (VPCI_HB_DEVICE << 16 | VPCI_HB_VENDOR));
    pci_io_write(h, VPCI_CONFIG_ADDRESS, 4, VPCI_ADDR_ENABLE | 8);
    FUZZ_ASSERT(pci_io_read(h, VPCI_CONFIG_DATA, 4) == 0x06000000u);
    pci_io_write(h, VPCI_CONFIG_ADDRESS, 4, VPCI_ADDR_ENABLE | 4);
    FUZZ_ASSERT((pci_io_read(h, VPCI_CONFIG_DATA, 4) & ~(uint32_t)VPCI_COMMAND_HB_MASK) == 0);
    pci_io_write(h, VPCI_CONFIG_ADDRESS, 4, saved);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const unsigned sizes[] = { 1, 2, 4, 3 };
    struct fuzz_in in = { data, size };
    struct pci_host h;
    uint32_t last_addr = 0;
    pci_init(&h);
    while (fuzz_more(&in)) {
        uint8_t op = fuzz_u8(&in);
        uint32_t val = fuzz_u32(&in);
        unsigned sz = sizes[(op >> 1) & 3];
        uint16_t port = (uint16_t)(VPCI_CONFIG_ADDRESS + ((op >> 3) & 7));
        if (op & 1) {
            pci_io_write(&h, port, sz, val);
            if (port == VPCI_CONFIG_ADDRESS && sz == 4)
                last_addr = val & VPCI_ADDR_MASK;
            continue;
        }
        uint32_t r = pci_io_read(&h, port, sz);
        if (sz == 3)
            FUZZ_ASSERT(r == 0xffffffffu);
        else if (port == VPCI_CONFIG_ADDRESS && sz == 4)
            FUZZ_ASSERT(r == last_addr);
        else if (port < VPCI_CONFIG_DATA)
            FUZZ_ASSERT(r == ones(sz));
        else if (!(last_addr & VPCI_ADDR_ENABLE) || (last_addr & 0x00ffff00u))
            FUZZ_ASSERT(r == ones(sz));
    }
    check_bridge(&h);
    return 0;
}
