/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/pci_pt.c: an assigned function's configuration
 * space as the guest sees it (PCI 3.0 chapter 6), over a fake device, and
 * on the virtual bus of hv/dev/pci.c. */
#include <string.h>

#include "apic/apic_defs.h"
#include "check.h"
#include "hv/dev/pci.h"
#include "hv/dev/pci_pt.h"

static uint8_t phys[256];
static unsigned phys_writes, maps, unmaps, msis;
static uint64_t last_map_gpa;
static unsigned last_map_bar;
static bool last_msi_on;
static uint64_t last_msi_addr;
static uint16_t last_msi_data;

static uint32_t f_read(void *ctx, unsigned off, unsigned size)
{
    uint32_t v = 0;
    memcpy(&v, &phys[off], size);
    return v;
}

static void f_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
    memcpy(&phys[off], &val, size);
    phys_writes++;
}

static void f_map(void *ctx, unsigned i, uint64_t gpa, bool mapped)
{
    if (mapped) {
        maps++;
        last_map_gpa = gpa;
        last_map_bar = i;
    } else {
        unmaps++;
    }
}

static void f_msi(void *ctx, bool on, uint64_t addr, uint16_t data)
{
    msis++;
    last_msi_on = on;
    last_msi_addr = addr;
    last_msi_data = data;
}

static const struct pci_pt_ops ops = { f_read, f_write, f_map, f_msi };

/* An edu-like device: 1 MiB BAR0 (32-bit), a 64-bit 16 KiB BAR2, an I/O
 * BAR4, a 64-bit MSI capability at 0x40, the PCIe capability at 0x50. */
static void fake_device(struct pci_pt *p)
{
    static const uint64_t size[6] = { 1u << 20, 0, 16384, 0, 32, 0 };
    static const uint32_t flags[6] = { 0, 0, 0xc, 0, 1, 0 };

    memset(phys, 0, sizeof(phys));
    phys_writes = maps = unmaps = msis = 0;
    uint32_t id = 0x11e81234u, cls = 0x00ff0010u, hdr = 0x00800000u; /* multi-function bit set */
    memcpy(&phys[0], &id, 4);
    memcpy(&phys[8], &cls, 4);
    memcpy(&phys[0xc], &hdr, 4);
    phys[0x06] = 0x10;                       /* status: capability list */
    phys[0x10] = 0x00; phys[0x13] = 0xfe;    /* host BAR0 at 0xfe000000 */
    phys[0x2c] = 0xf4; phys[0x2d] = 0x1a;    /* subsystem vendor */
    phys[0x34] = 0x40;
    phys[0x3c] = 11; phys[0x3d] = 1;         /* INTA# on line 11 */
    phys[0x40] = 0x05; phys[0x41] = 0x50; phys[0x42] = 0x80; /* MSI, 64-bit */
    phys[0x44] = 0x11; phys[0x4c] = 0x22;    /* the host's address and data */
    phys[0x50] = 0x10;
    pci_pt_init(p, &ops, NULL, size, flags, 0x40);
}

static void test_ids_and_header(void)
{
    struct pci_pt p;
    fake_device(&p);
    CHECK_EQ(pci_pt_read(&p, 0, 4), 0x11e81234u);
    CHECK_EQ(pci_pt_read(&p, 2, 2), 0x11e8u);
    CHECK_EQ(pci_pt_read(&p, 8, 4), 0x00ff0010u);
    CHECK_EQ(pci_pt_read(&p, 0xe, 1), 0u);          /* type 0, one function */
    CHECK_EQ(pci_pt_read(&p, 0x2c, 2), 0x1af4u);
    CHECK_EQ(pci_pt_read(&p, 0x30, 4), 0u);         /* no ROM */
    CHECK_EQ(pci_pt_read(&p, 0x34, 1), 0x40u);
    CHECK_EQ(pci_pt_read(&p, 0x3d, 1), 0u);         /* no INTx pin */
    CHECK_EQ(pci_pt_read(&p, 0x50, 1), 0x10u);      /* other capabilities: the host's */
    CHECK_EQ(pci_pt_read(&p, 0x06, 2), 0x10u);      /* status: the host's */
    CHECK_EQ(pci_pt_read(&p, 3, 2), 0xffffffffu);   /* across a dword */
    CHECK_EQ(pci_pt_read(&p, 0, 3), 0xffffffffu);
    /* read-only and dropped writes change nothing on the device */
    pci_pt_write(&p, 0, 4, 0);
    pci_pt_write(&p, 0x50, 4, 0xffffffffu);
    pci_pt_write(&p, 0x2c, 4, 0);
    CHECK_EQ(phys_writes, 0u);
    CHECK_EQ(pci_pt_read(&p, 0, 4), 0x11e81234u);
    pci_pt_write(&p, 0x3c, 1, 5);
    CHECK_EQ(pci_pt_read(&p, 0x3c, 1), 5u);         /* line: the guest's */
    CHECK_EQ(phys[0x3c], 11u);
}

static void test_bars(void)
{
    struct pci_pt p;
    fake_device(&p);
    CHECK_EQ(pci_pt_read(&p, 0x10, 4), 0u);         /* virtual: not where the host has it */
    pci_pt_write(&p, 0x10, 4, 0xffffffffu);
    CHECK_EQ(pci_pt_read(&p, 0x10, 4), 0xfff00000u); /* 1 MiB */
    pci_pt_write(&p, 0x18, 4, 0xffffffffu);
    pci_pt_write(&p, 0x1c, 4, 0xffffffffu);
    CHECK_EQ(pci_pt_read(&p, 0x18, 4), 0xffffc00cu); /* 16 KiB, 64-bit prefetchable */
    CHECK_EQ(pci_pt_read(&p, 0x1c, 4), 0xffffffffu);
    pci_pt_write(&p, 0x20, 4, 0xffffffffu);
    CHECK_EQ(pci_pt_read(&p, 0x20, 4), 0u);         /* I/O BAR: not offered */
    CHECK_EQ(maps, 0u);                             /* decoding is off */
    pci_pt_write(&p, 0x10, 4, 0xe0000000u);
    pci_pt_write(&p, 0x18, 4, 0x00004000u);
    pci_pt_write(&p, 0x1c, 4, 0x1u);
    CHECK_EQ(maps, 0u);
    pci_pt_write(&p, 0x04, 2, 0xffffu);             /* memory on (and everything else) */
    CHECK_EQ(pci_pt_read(&p, 0x04, 2), 0x0407u);
    CHECK_EQ(phys[4] | phys[5] << 8, 0x0407u);      /* INTx disabled on the device */
    CHECK_EQ(maps, 2u);
    CHECK_EQ(last_map_bar, 2u);
    CHECK_EQ(last_map_gpa, 0x100004000ull);
    pci_pt_write(&p, 0x04, 2, 0x0002u);             /* no INTx disable: still forced */
    CHECK_EQ(phys[5], 0x04u);
    CHECK_EQ(maps, 2u);
    pci_pt_write(&p, 0x12, 2, 0xd000u);             /* BAR0 moves: unmapped, then mapped */
    CHECK_EQ(unmaps, 1u);
    CHECK_EQ(maps, 3u);
    CHECK_EQ(last_map_gpa, 0xd0000000ull);
    pci_pt_write(&p, 0x04, 2, 0);                   /* decoding off: both unmapped */
    CHECK_EQ(unmaps, 3u);
}

static void test_msi(void)
{
    struct pci_pt p;
    fake_device(&p);
    CHECK_EQ(pci_pt_read(&p, 0x42, 2), 0x0080u);    /* 64-bit, off */
    CHECK_EQ(pci_pt_read(&p, 0x44, 4), 0u);         /* not the host's address */
    pci_pt_write(&p, 0x44, 4, 0xfee01003u);
    pci_pt_write(&p, 0x48, 4, 0);
    pci_pt_write(&p, 0x4c, 2, 0x0041);
    CHECK_EQ(pci_pt_read(&p, 0x44, 4), 0xfee01000u); /* bits 1:0 read 0 */
    CHECK_EQ(pci_pt_read(&p, 0x4c, 4), 0x41u);
    CHECK(!last_msi_on);
    pci_pt_write(&p, 0x40, 4, 0x00010000u | 0x5005u); /* enable through a dword write */
    CHECK(last_msi_on);
    CHECK_EQ(last_msi_addr, 0xfee01000ull);
    CHECK_EQ(last_msi_data, 0x41u);
    CHECK_EQ(pci_pt_read(&p, 0x42, 2), 0x0081u);
    CHECK_EQ(pci_pt_read(&p, 0x40, 2), 0x5005u);    /* ID and next: the host's */
    CHECK_EQ(phys[0x44], 0x11u);                    /* the device's own MSI untouched */
    CHECK_EQ(phys[0x4c], 0x22u);
    CHECK_EQ(phys_writes, 0u);
    pci_pt_write(&p, 0x42, 2, 0);
    CHECK(!last_msi_on);
}

static void test_on_the_bus(void)
{
    struct pci_host h;
    struct pci_pt p;
    fake_device(&p);
    pci_init(&h);
    CHECK_EQ(pci_attach(&h, &p), 1);
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, VPCI_ADDR_ENABLE | 1u << 11);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA, 4), 0x11e81234u);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA + 2, 2), 0x11e8u);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA + 2, 4), 0xffffffffu); /* across the dword */
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, VPCI_ADDR_ENABLE | 1u << 11 | 1u << 8);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA, 4), 0xffffffffu);     /* function 1: none */
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, VPCI_ADDR_ENABLE | 2u << 11);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA, 4), 0xffffffffu);     /* device 2: none */
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, VPCI_ADDR_ENABLE | 1u << 16 | 1u << 11);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA, 4), 0xffffffffu);     /* bus 1: none */
    for (int i = 0; i < 3; i++)
        CHECK(pci_attach(&h, &p) > 0);
    CHECK_EQ(pci_attach(&h, &p), -1);                                /* full */
}

static void test_msi_message(void)
{
    struct apic_msg m;
    CHECK(pci_pt_msi_message(0xfee01000u, 0x41, &m));
    CHECK_EQ(m.dest, 1u);
    CHECK_EQ(m.vector, 0x41u);
    CHECK(!m.logical && !m.level && m.assert && m.dm == 0 && m.source == -1);
    CHECK(pci_pt_msi_message(0xfeeff00cu, 0x8122, &m));     /* logical, lowest priority, level */
    CHECK_EQ(m.dest, 0xffu);
    CHECK(m.logical && m.level && m.dm == 1 && m.vector == 0x22);
    CHECK(!pci_pt_msi_message(0xfed00000u, 0x41, &m));      /* not an APIC's window */
    CHECK(!pci_pt_msi_message(0x1fee00000ull, 0x41, &m));
}

int main(void)
{
    test_msi_message();
    test_ids_and_header();
    test_bars();
    test_msi();
    test_on_the_bus();
    return check_report("test_pci_pt");
}
