/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/pci.c: configuration mechanism #1 (PCI 3.0
 * 3.2.2.3.2), ECAM (PCIe Base 6.0 7.2.2), the host bridge at 00:00.0 and
 * the ISA bridge at 00:1F.0, and an assigned function reached both ways. */
#include "check.h"
#include "hv/dev/pci.h"

static uint32_t cfg_addr(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return VPCI_ADDR_ENABLE | bus << 16 | dev << 11 | fn << 8 | reg;
}

static uint32_t cfg_read(struct pci_host *h, uint32_t addr, unsigned byte, unsigned size)
{
    pci_io_write(h, VPCI_CONFIG_ADDRESS, 4, addr);
    return pci_io_read(h, (uint16_t)(VPCI_CONFIG_DATA + byte), size);
}

static void test_address_register(void)
{
    struct pci_host h;
    pci_init(&h);
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, 0xffffffffu);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_ADDRESS, 4), 0x80fffffcu); /* reserved bits read 0 */
    /* only dword accesses reach CONFIG_ADDRESS */
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 1, 0);
    pci_io_write(&h, VPCI_CONFIG_ADDRESS + 1, 1, 0);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_ADDRESS, 4), 0x80fffffcu);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_ADDRESS, 1), 0xff);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_ADDRESS + 2, 2), 0xffff);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_ADDRESS, 3), 0xffffffffu); /* bad size */
}

static void test_host_bridge(void)
{
    struct pci_host h;
    pci_init(&h);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 0), 0, 4), 0x00081b36u);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 0), 2, 2), 0x0008);  /* device ID at 0xCFE */
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 0), 1, 1), 0x1b);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 8), 0, 4), 0x06000000u); /* host bridge, rev 0 */
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 0xc), 2, 1), 0);      /* header type 0 */
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 0x10), 0, 4), 0);     /* no BAR */
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 0xfc), 0, 4), 0);
    /* command: I/O, memory and bus master stick, nothing else */
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, cfg_addr(0, 0, 0, 4));
    pci_io_write(&h, VPCI_CONFIG_DATA, 4, 0xffffffffu);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA, 4), 0x0007);
    pci_io_write(&h, VPCI_CONFIG_DATA, 1, 0x02);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA, 2), 0x0002);
    /* read-only IDs */
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, cfg_addr(0, 0, 0, 0));
    pci_io_write(&h, VPCI_CONFIG_DATA, 4, 0);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA, 4), 0x00081b36u);
}

static void test_absent_functions(void)
{
    struct pci_host h;
    pci_init(&h);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 1, 0, 0), 0, 4), 0xffffffffu);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 1, 0), 0, 4), 0xffffffffu);
    CHECK_EQ(cfg_read(&h, cfg_addr(1, 0, 0, 0), 0, 2), 0xffff);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 31, 7, 0), 3, 1), 0xff);
    /* enable bit clear: no configuration cycle */
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 0) & ~VPCI_ADDR_ENABLE, 0, 4), 0xffffffffu);
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, cfg_addr(0, 0, 0, 4) & ~VPCI_ADDR_ENABLE);
    pci_io_write(&h, VPCI_CONFIG_DATA, 2, 7);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 4), 0, 2), 0);
}

static void test_isa_bridge(void)
{
    struct pci_host h;
    pci_init(&h);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 31, 0, 0), 0, 4), 0x71108086u);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 31, 0, 8), 0, 4), 0x06010000u); /* ISA bridge, rev 0 */
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 31, 0, 4), 0, 2), VPCI_COMMAND_LPC);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 31, 0, 0xc), 2, 1), 0);     /* header type 0 */
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 31, 0, 0x10), 0, 4), 0);    /* no BAR */
    /* nothing writable: the command register stays, the host bridge's too */
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, cfg_addr(0, 31, 0, 4));
    pci_io_write(&h, VPCI_CONFIG_DATA, 4, 0);
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_DATA, 2), VPCI_COMMAND_LPC);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 4), 0, 2), 0);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 31, 1, 0), 0, 4), 0xffffffffu); /* function 1: none */
}

static uint64_t ecam_off(unsigned bus, unsigned dev, unsigned fn, unsigned reg)
{
    return (uint64_t)bus << 20 | dev << 15 | fn << 12 | reg;
}

static void test_ecam_decode(void)
{
    struct pci_cfg_addr a;

    CHECK(pci_ecam_decode(ecam_off(3, 31, 7, 0xffc), 4, 256, &a));
    CHECK_EQ(a.bus, 3);
    CHECK_EQ(a.dev, 31);
    CHECK_EQ(a.fn, 7);
    CHECK_EQ(a.reg, 0xffc);
    CHECK(pci_ecam_decode(ecam_off(255, 0, 0, 0x103), 1, 256, &a));
    CHECK_EQ(a.bus, 255);
    CHECK_EQ(a.reg, 0x103);
    CHECK(pci_ecam_decode(ecam_off(0, 1, 0, 0x2), 2, 256, &a));
    CHECK(!pci_ecam_decode(ecam_off(0, 1, 0, 0x3), 2, 256, &a)); /* crosses a dword */
    CHECK(!pci_ecam_decode(ecam_off(0, 1, 0, 0x2), 4, 256, &a));
    CHECK(!pci_ecam_decode(0, 8, 256, &a));                       /* 8 bytes: the caller splits */
    CHECK(!pci_ecam_decode(0, 3, 256, &a));
    CHECK(!pci_ecam_decode(256ull << 20, 4, 256, &a));            /* past the window */
    CHECK(!pci_ecam_decode(ecam_off(1, 0, 0, 0), 4, 1, &a));      /* a one-bus window */
    CHECK(pci_ecam_decode(ecam_off(0, 0, 0, 0), 4, 1, &a));
}

/* ECAM and mechanism #1 reach the same model: what one writes the other reads. */
static void test_ecam_same_model(void)
{
    struct pci_host h;
    pci_init(&h);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 0), 4, 256), 0x00081b36u);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 2), 2, 256), 0x0008);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 31, 0, 0xa), 2, 256), 0x0601);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(1, 0, 0, 0), 4, 256), 0xffffffffu);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 5, 0, 0), 2, 256), 0xffff);
    pci_ecam_write(&h, ecam_off(0, 0, 0, 4), 2, 256, 0xffff);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 0, 0, 4), 0, 2), 0x0007);
    pci_io_write(&h, VPCI_CONFIG_DATA, 2, 0x0002);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 4), 4, 256), 0x0002);
    /* ECAM leaves CONFIG_ADDRESS alone */
    CHECK_EQ(pci_io_read(&h, VPCI_CONFIG_ADDRESS, 4), cfg_addr(0, 0, 0, 4));
}

static void test_ecam_widths(void)
{
    struct pci_host h;
    pci_init(&h);
    /* 8 bytes, aligned: two dword accesses, low first */
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 8), 8, 256), 0x06000000ull);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 0), 8, 256), 0x0000000000081b36ull);
    pci_ecam_write(&h, ecam_off(0, 0, 0, 0), 8, 256, 0x0000000500000000ull); /* command = 5 */
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 4), 2, 256), 0x0005);
    /* unaligned or crossing a dword: all ones, writes dropped */
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 4), 8, 256), ~0ull);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 3), 2, 256), 0xffff);
    pci_ecam_write(&h, ecam_off(0, 0, 0, 3), 2, 256, 0);
    pci_ecam_write(&h, ecam_off(0, 0, 0, 4), 8, 256, 0);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 4), 2, 256), 0x0005);
    /* the extended space of an emulated function: no capabilities (0) */
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 0, 0, 0x100), 4, 256), 0);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 31, 0, 0xffc), 4, 256), 0);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 2, 0, 0x100), 4, 256), 0xffffffffu);
}

/* An assigned function (hv/dev/pci_pt.c over a fake host function) at
 * 00:01.0: the same IDs and BAR through both mechanisms. */
static uint64_t fake_bar_gpa;
static unsigned fake_bar_maps;

static uint32_t fake_phys_read(void *ctx, unsigned off, unsigned size)
{
    (void)ctx;
    uint32_t dw = off < 4 ? 0x11e81234u : off == 8 ? 0x00ff0010u : 0;
    return (dw >> (8 * (off & 3))) & (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
}

static void fake_phys_write(void *ctx, unsigned off, unsigned size, uint32_t val)
{
    (void)ctx, (void)off, (void)size, (void)val;
}

static void fake_map_bar(void *ctx, unsigned i, uint64_t gpa, bool mapped)
{
    (void)ctx, (void)i;
    if (mapped) {
        fake_bar_gpa = gpa;
        fake_bar_maps++;
    }
}

static void fake_msi(void *ctx, bool en, uint64_t addr, uint16_t data)
{
    (void)ctx, (void)en, (void)addr, (void)data;
}

static void test_assigned_both_ways(void)
{
    static const struct pci_pt_ops ops = { fake_phys_read, fake_phys_write, fake_map_bar, fake_msi };
    const uint64_t size[PCI_PT_BARS] = { 1u << 20 };
    const uint32_t flags[PCI_PT_BARS] = { 0 };
    struct pci_host h;
    struct pci_pt pt;

    pci_init(&h);
    pci_pt_init(&pt, &ops, NULL, size, flags, 0);
    CHECK_EQ(pci_attach(&h, &pt), 1);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 1, 0, 0), 0, 4), 0x11e81234u);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 1, 0, 0), 4, 256), 0x11e81234u);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 1, 0, 0x100), 4, 256), 0); /* host's extended space hidden */
    pci_ecam_write(&h, ecam_off(0, 1, 0, 0x10), 4, 256, 0xe0000000u);
    CHECK_EQ(cfg_read(&h, cfg_addr(0, 1, 0, 0x10), 0, 4), 0xe0000000u);
    pci_io_write(&h, VPCI_CONFIG_ADDRESS, 4, cfg_addr(0, 1, 0, 4));
    pci_io_write(&h, VPCI_CONFIG_DATA, 2, 0x0002); /* memory decoding on: the BAR is mapped */
    CHECK_EQ(fake_bar_maps, 1);
    CHECK_EQ(fake_bar_gpa, 0xe0000000u);
    CHECK_EQ(pci_ecam_read(&h, ecam_off(0, 1, 0, 4), 2, 256), 0x0002);
}

int main(void)
{
    test_address_register();
    test_host_bridge();
    test_absent_functions();
    test_isa_bridge();
    test_ecam_decode();
    test_ecam_same_model();
    test_ecam_widths();
    test_assigned_both_ways();
    return check_report("test_pci");
}
