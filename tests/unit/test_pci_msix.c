/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/pci_msix.c (an assigned function's MSI-X
 * table, PCI 3.0 6.8.2) and the MSI-X capability in hv/dev/pci_pt.c, over
 * a fake e1000e-like function: 5 entries at offset 0 of BAR3 (16 KiB),
 * the PBA at 0x2000, registers elsewhere in the BAR. */
#include <string.h>

#include "check.h"
#include "hv/dev/pci_msix.h"
#include "hv/dev/pci_pt.h"

static uint8_t bar[16384];           /* the host BAR3 */
static unsigned entry_calls, ctl_calls, bads, bar_writes;
static unsigned last_i;
static bool last_on, host_enable, host_fmask;
static uint64_t last_addr;
static uint32_t last_data;

static void f_entry(void *ctx, unsigned i, bool on, uint64_t addr, uint32_t data)
{
    entry_calls++;
    last_i = i;
    last_on = on;
    last_addr = addr;
    last_data = data;
}

static void f_ctl(void *ctx, bool enable, bool fmask)
{
    ctl_calls++;
    host_enable = enable;
    host_fmask = fmask;
}

static uint64_t f_bar_read(void *ctx, uint64_t off, unsigned size)
{
    uint64_t v = 0;
    if (off + size <= sizeof(bar))
        memcpy(&v, &bar[off], size);
    return v;
}

static void f_bar_write(void *ctx, uint64_t off, unsigned size, uint64_t val)
{
    if (off + size <= sizeof(bar))
        memcpy(&bar[off], &val, size);
    bar_writes++;
}

static void f_bad(void *ctx, uint64_t off, unsigned size, bool write)
{
    bads++;
}

static const struct pci_msix_ops ops = { f_entry, f_ctl, f_bar_read, f_bar_write, f_bad };
static const uint64_t sizes[6] = { 128 << 10, 0, 0, 16384, 0, 0 };

static void fake(struct pci_msix *m, unsigned nvec)
{
    struct pci_msix_cap c;
    memset(bar, 0x5a, sizeof(bar));
    entry_calls = ctl_calls = bads = bar_writes = 0;
    host_enable = host_fmask = true;
    CHECK_EQ(pci_msix_cap_parse(0x0004, 0x00000003, 0x00002003, sizes, &c), 0);
    pci_msix_init(m, &ops, NULL, &c, nvec);
}

static uint32_t bar32(unsigned off)
{
    uint32_t v;
    memcpy(&v, &bar[off], 4);
    return v;
}

static void test_parse(void)
{
    struct pci_msix_cap c;
    uint64_t off, len;
    CHECK_EQ(pci_msix_cap_parse(0x0004, 0x00000003, 0x00002003, sizes, &c), 0);
    CHECK_EQ(c.host_n, 5u);
    CHECK_EQ(c.table_bir, 3u);
    CHECK_EQ(c.table_off, 0u);
    CHECK_EQ(c.pba_bir, 3u);
    CHECK_EQ(c.pba_off, 0x2000u);
    pci_msix_hole(&c, &off, &len);
    CHECK_EQ(off, 0u);
    CHECK_EQ(len, 4096u);
    /* a table of 256 entries at 0xf80: 4 KiB from 0xf80 spans two pages */
    CHECK_EQ(pci_msix_cap_parse(0x00ff, 0x00000f83, 0x00003003, sizes, &c), 0);
    pci_msix_hole(&c, &off, &len);
    CHECK_EQ(off, 0u);
    CHECK_EQ(len, 8192u);
    CHECK_EQ(pci_msix_cap_parse(0x0004, 0x00000006, 0x00002003, sizes, &c), -1); /* BIR 6 */
    CHECK_EQ(pci_msix_cap_parse(0x0004, 0x00000003, 0x00002007, sizes, &c), -1); /* PBA BIR 7 */
    CHECK_EQ(pci_msix_cap_parse(0x0004, 0x00000001, 0x00002003, sizes, &c), -1); /* no BAR1 */
    CHECK_EQ(pci_msix_cap_parse(0x07ff, 0x00000003, 0x00002003, sizes, &c), -1); /* 32 KiB > 16 */
    CHECK_EQ(pci_msix_cap_parse(0x0000, 0x00003ff3, 0x00002003, sizes, &c), 0);  /* the last 16 bytes */
    CHECK_EQ(pci_msix_cap_parse(0x0001, 0x00003ff3, 0x00002003, sizes, &c), -1);
}

static void test_init_masks_host(void)
{
    struct pci_msix m;
    fake(&m, 8);
    CHECK_EQ(m.n, 5u);                     /* the host's 5, under Keel's 8 */
    for (unsigned i = 0; i < 5; i++)
        CHECK_EQ(bar32(i * 16 + 12), 1u);  /* every host entry masked */
    CHECK_EQ(bar32(5 * 16 + 12), 0x5a5a5a5au); /* past the table: untouched */
    CHECK(!host_enable && !host_fmask);
    CHECK_EQ(pci_msix_read(&m, 12, 4), 1u); /* 6.8.2.9: masked at reset */
    CHECK_EQ(pci_msix_read(&m, 0, 8), 0u);
    fake(&m, 2);
    CHECK_EQ(m.n, 2u);
    CHECK_EQ(pci_msix_ctl_read(&m, 0x0004), 0x0001u); /* table size 2 - 1 */
}

/* Program entry 1, enable, unmask: the host is told once with the guest's
 * message; masking turns it off; a QWORD write of data + vector control. */
static void test_program_and_mask(void)
{
    struct pci_msix m;
    fake(&m, 8);
    pci_msix_write(&m, 16, 4, 0xfee01003u);
    pci_msix_write(&m, 20, 4, 0);
    pci_msix_write(&m, 24, 4, 0x41);
    CHECK_EQ(pci_msix_read(&m, 16, 4), 0xfee01000u); /* bits 1:0 read 0 */
    CHECK_EQ(entry_calls, 0u);
    pci_msix_write(&m, 28, 4, 0);                     /* unmasked, but MSI-X off */
    CHECK_EQ(entry_calls, 0u);
    pci_msix_ctl_write(&m, PCI_MSIX_CTL_ENABLE);
    CHECK_EQ(entry_calls, 1u);
    CHECK(last_on && last_i == 1 && last_addr == 0xfee01000u && last_data == 0x41);
    CHECK(host_enable && !host_fmask);
    CHECK_EQ(bar32(16), 0x5a5a5a5au);                 /* the host entry is Keel's, not the guest's */
    pci_msix_write(&m, 28, 4, 0xfffffffeu);           /* reserved bits: mask stays clear */
    CHECK_EQ(entry_calls, 1u);
    CHECK_EQ(pci_msix_read(&m, 28, 4), 0u);
    pci_msix_write(&m, 28, 4, 1);                     /* masked: off */
    CHECK_EQ(entry_calls, 2u);
    CHECK(!last_on && last_i == 1);
    pci_msix_write(&m, 24, 8, 0x42);                  /* data 0x42 and unmask in one QWORD */
    CHECK_EQ(entry_calls, 3u);
    CHECK(last_on && last_data == 0x42);
    pci_msix_write(&m, 16, 8, 0x00000000fee02000ull); /* moved while on: applied at once */
    CHECK_EQ(entry_calls, 4u);
    CHECK(last_on && last_addr == 0xfee02000u);
    pci_msix_write(&m, 16, 8, 0x00000000fee02000ull); /* the same: nothing */
    CHECK_EQ(entry_calls, 4u);
    CHECK_EQ(pci_msix_read(&m, 16, 8), 0xfee02000ull);
    CHECK_EQ(pci_msix_read(&m, 24, 8), 0x42ull);
    pci_msix_ctl_write(&m, 0);                        /* disabled: off, host disabled first */
    CHECK_EQ(entry_calls, 5u);
    CHECK(!last_on && !host_enable);
}

/* The function mask is the device's: passed on, entries stay on (the
 * device holds their interrupts in its PBA). */
static void test_function_mask(void)
{
    struct pci_msix m;
    fake(&m, 8);
    pci_msix_write(&m, 0, 8, 0xfee00000u);
    pci_msix_write(&m, 8, 8, 0x30);                   /* data 0x30, unmasked */
    pci_msix_ctl_write(&m, PCI_MSIX_CTL_ENABLE | PCI_MSIX_CTL_FMASK);
    CHECK_EQ(entry_calls, 1u);
    CHECK(host_enable && host_fmask);
    CHECK_EQ(pci_msix_ctl_read(&m, 0x0004), 0xc004u);
    pci_msix_ctl_write(&m, PCI_MSIX_CTL_ENABLE);
    CHECK_EQ(entry_calls, 1u);
    CHECK(host_enable && !host_fmask);
    CHECK_EQ(ctl_calls, 3u);                          /* init, fmask on, fmask off */
}

/* Past the guest's entries, outside the table, odd sizes. */
static void test_edges(void)
{
    struct pci_msix m;
    fake(&m, 2);
    unsigned w = bar_writes;
    pci_msix_write(&m, 2 * 16 + 12, 4, 0);            /* host entry 2: Keel's, dropped */
    pci_msix_write(&m, 4 * 16, 8, 0xfee00000u);
    CHECK_EQ(bar_writes, w);
    CHECK_EQ(entry_calls, 0u);
    CHECK_EQ(pci_msix_read(&m, 2 * 16 + 12, 4), 1u);  /* reads masked */
    CHECK_EQ(pci_msix_read(&m, 2 * 16, 8), 0u);
    CHECK_EQ(pci_msix_read(&m, 0x100, 4), 0x5a5a5a5au); /* past the host's table: the device */
    pci_msix_write(&m, 0x100, 2, 0x1234);
    CHECK_EQ(bar[0x100] | bar[0x101] << 8, 0x1234u);
    CHECK_EQ(bads, 0u);
    CHECK_EQ(pci_msix_read(&m, 12, 1), ~0ull);        /* byte read: refused */
    CHECK_EQ(pci_msix_read(&m, 4, 8), ~0ull);         /* QWORD not 8-aligned */
    pci_msix_write(&m, 12, 2, 0);                     /* WORD write: dropped */
    pci_msix_write(&m, 14, 4, 0);                     /* unaligned DWORD */
    pci_msix_write(&m, 0x4e, 4, 0);                   /* straddles the table's end */
    CHECK_EQ(bads, 5u);
    CHECK_EQ(pci_msix_read(&m, 0xffc, 8), ~0ull);     /* crosses the emulated page's end */
    pci_msix_write(&m, 0xffe, 4, 0);
    CHECK_EQ(pci_msix_read(&m, 0x1000, 4), ~0ull);    /* past it */
    CHECK_EQ(bads, 8u);
    CHECK_EQ(pci_msix_read(&m, 0xff8, 8), 0x5a5a5a5a5a5a5a5aull); /* the last QWORD: the device's */
    CHECK_EQ(pci_msix_read(&m, 12, 4), 1u);           /* still masked */
    CHECK_EQ(entry_calls, 0u);
}

/* The capability in configuration space (hv/dev/pci_pt.c). */
static uint8_t cfg[256];
static uint16_t cfg_ctl_seen;
static unsigned cfg_ctl_calls;

static uint32_t c_read(void *ctx, unsigned off, unsigned size)
{
    uint32_t v = 0;
    memcpy(&v, &cfg[off], size);
    return v;
}

static void c_write(void *ctx, unsigned off, unsigned size, uint32_t val) { }
static void c_map(void *ctx, unsigned i, uint64_t gpa, bool mapped) { }
static void c_msi(void *ctx, bool on, uint64_t addr, uint16_t data) { }

static void c_msix(void *ctx, uint16_t ctl)
{
    cfg_ctl_calls++;
    cfg_ctl_seen = ctl;
}

static void test_capability(void)
{
    static const struct pci_pt_ops pops = { c_read, c_write, c_map, c_msi };
    static const uint32_t flags[6] = { 0, 0, 0, 0, 0, 0 };
    struct pci_pt p;
    memset(cfg, 0, sizeof(cfg));
    cfg[0x34] = 0xa0;
    cfg[0xa0] = 0x11; cfg[0xa2] = 0x04;               /* 5 entries */
    cfg[0xa4] = 0x03; cfg[0xa8] = 0x03; cfg[0xa9] = 0x20;
    pci_pt_init(&p, &pops, NULL, sizes, flags, 0);
    CHECK_EQ(pci_pt_read(&p, 0xa2, 2), 0x0004u);      /* not offered: the host's */
    pci_pt_write(&p, 0xa2, 2, 0x8000);
    CHECK_EQ(cfg_ctl_calls, 0u);
    pci_pt_msix_init(&p, 0xa0, 3, c_msix);
    CHECK_EQ(pci_pt_read(&p, 0xa0, 4), 0x00020011u);  /* table size 3 - 1 */
    CHECK_EQ(pci_pt_read(&p, 0xa4, 4), 0x3u);         /* offset/BIR: the host's */
    CHECK_EQ(pci_pt_read(&p, 0xa8, 4), 0x2003u);
    pci_pt_write(&p, 0xa3, 1, 0xff);                  /* enable + mask, size bits read-only */
    CHECK_EQ(cfg_ctl_calls, 1u);
    CHECK_EQ(cfg_ctl_seen, 0xc000u);
    CHECK_EQ(pci_pt_read(&p, 0xa2, 2), 0xc002u);
    pci_pt_write(&p, 0xa0, 2, 0xffff);                /* ID and next only: nothing */
    CHECK_EQ(cfg_ctl_calls, 1u);
    pci_pt_write(&p, 0xa0, 4, 0x80000000u);           /* mask off */
    CHECK_EQ(cfg_ctl_calls, 2u);
    CHECK_EQ(cfg_ctl_seen, 0x8000u);
    CHECK_EQ(cfg[0xa3], 0u);                          /* the device's own control untouched */
}

int main(void)
{
    test_parse();
    test_init_masks_host();
    test_program_and_mask();
    test_function_mask();
    test_edges();
    test_capability();
    return check_report("test_pci_msix");
}
