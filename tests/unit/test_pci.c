/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/pci.c: configuration mechanism #1 (PCI 3.0
 * 3.2.2.3.2) and the host bridge at 00:00.0. */
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

int main(void)
{
    test_address_register();
    test_host_bridge();
    test_absent_functions();
    return check_report("test_pci");
}
