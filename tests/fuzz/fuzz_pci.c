/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/pci.c: CONFIG_ADDRESS and CONFIG_DATA are the guest's to write.
 * Input: a program of port accesses (op byte: bit 0 write, bits 2:1 size
 * index (1, 2, 4, or the bad size 3), bits 5:3 port 0xCF8 + n; then a
 * 4-byte value).  Invariants: CONFIG_ADDRESS reads back the last dword
 * written, masked; a read through CONFIG_DATA of anything but 00:00.0 and
 * 00:1F.0, or with the enable bit clear, is all ones; the host bridge's IDs and class
 * never change and its command register holds only I/O, memory and bus
 * master.  With op bit 6 set the access goes to the ECAM window instead
 * (bits 2:1 size index 1, 2, 4, 8; then a 4-byte offset, masked to the
 * window, and a 4-byte value): ECAM accesses leave CONFIG_ADDRESS alone;
 * one to a function that is not there, or crossing a dword (an 8-byte one
 * unless aligned), reads all ones; what decodes names the offset's
 * bus, device, function and register.
 */
#include "fuzz.h"
#include "hv/dev/pci.h"

#define GRAM_ECAM_BUSES_FUZZ 256u /* as hv/mm/guest_ram.h's window */

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
    FUZZ_ASSERT(pci_ecam_read(h, 0, 4, 256) == (VPCI_HB_DEVICE << 16 | VPCI_HB_VENDOR));
    FUZZ_ASSERT(pci_ecam_read(h, (uint64_t)VPCI_LPC_DEV << 15, 4, 256) ==
                (VPCI_LPC_DEVICE << 16 | VPCI_LPC_VENDOR));
    FUZZ_ASSERT(pci_ecam_read(h, ((uint64_t)VPCI_LPC_DEV << 15) + 8, 4, 256) == 0x06010000u);
}

static uint64_t ones64(unsigned size)
{
    return size >= 8 ? ~0ull : ones(size);
}

/* Only 00:00.0 and 00:1F.0 exist (no function is assigned here). */
static bool present(uint32_t off)
{
    unsigned bdf = off >> 12;
    return bdf == 0 || bdf == (VPCI_LPC_DEV << 3);
}

static void ecam_op(struct pci_host *h, uint8_t op, uint32_t off, uint32_t val, uint32_t addr)
{
    static const unsigned sizes[] = { 1, 2, 4, 8 };
    unsigned sz = sizes[(op >> 1) & 3];
    struct pci_cfg_addr a;
    off &= (uint32_t)(GRAM_ECAM_BUSES_FUZZ << 20) - 1;
    bool whole = sz == 8 ? (off & 7) == 0 : (off & 3) + sz <= 4;
    if (sz != 8 && pci_ecam_decode(off, sz, GRAM_ECAM_BUSES_FUZZ, &a)) {
        FUZZ_ASSERT(whole);
        FUZZ_ASSERT(((uint32_t)a.bus << 20 | (uint32_t)a.dev << 15 | (uint32_t)a.fn << 12 |
                     a.reg) == off);
    }
    if (op & 1) {
        pci_ecam_write(h, off, sz, GRAM_ECAM_BUSES_FUZZ, val);
    } else {
        uint64_t r = pci_ecam_read(h, off, sz, GRAM_ECAM_BUSES_FUZZ);
        if (!whole || !present(off))
            FUZZ_ASSERT(r == ones64(sz));
    }
    FUZZ_ASSERT(h->addr == addr);
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
        if (op & 0x40) {
            ecam_op(&h, op, val, fuzz_u32(&in), last_addr);
            continue;
        }
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
        else if (!(last_addr & VPCI_ADDR_ENABLE) ||
                 ((last_addr & 0x00ffff00u) && (last_addr & 0x00ffff00u) != VPCI_LPC_DEV << 11))
            FUZZ_ASSERT(r == ones(sz));
    }
    check_bridge(&h);
    return 0;
}
