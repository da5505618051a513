/* SPDX-License-Identifier: MIT */
/*
 * passthru: drives an assigned QEMU `edu` device (QEMU docs/specs/edu.rst)
 * found on the VM's virtual PCI bus, to test Keel's device assignment
 * (docs/iommu.md): the configuration space Keel mediates, the BAR mapped
 * where the guest put it, DMA to and from the guest's own RAM through the
 * IOMMU, DMA outside the guest's RAM blocked (Keel reports the fault; the
 * test script checks that line), and the device's MSI delivered as the
 * vector the guest programmed.
 *
 * edu: BAR0 (1 MiB MMIO): 0x00 identification 0x010000ed, 0x04 liveness
 * (reads back the inverse), 0x24 interrupt status, 0x60 raise interrupt,
 * 0x64 acknowledge, 0x80 DMA source, 0x88 destination, 0x90 count,
 * 0x98 command (bit 0 start/busy, bit 1 device-to-RAM); its 4 KiB buffer is
 * at device address 0x40000.  QEMU clamps DMA addresses to 28 bits.
 */
#include <stdio.h>
#include <string.h>

#include "lapic.h"
#include "rt.h"
#include "test.h"

#define EDU_VENDOR     0x1234
#define EDU_DEVICE     0x11e8
#define EDU_BAR_GPA    0xe0000000ull   /* above RAM, below the I/O APIC */
#define EDU_ID         0x00
#define EDU_LIVENESS   0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE  0x60
#define EDU_IRQ_ACK    0x64
#define EDU_DMA_SRC    0x80
#define EDU_DMA_DST    0x88
#define EDU_DMA_COUNT  0x90
#define EDU_DMA_CMD    0x98
#define EDU_CMD_START  0x1u
#define EDU_CMD_TO_RAM 0x2u
#define EDU_BUFFER     0x40000ull
#define MSI_VECTOR     0x41
#define OUTSIDE_GPA    0x8000000ull    /* 128 MiB: past the VM's 64 MiB, within edu's 28 bits */
/* QEMU 7.2's edu refuses a DMA that ends exactly at its buffer's end (its
 * range check is off by one, and that is a hardware error that ends QEMU). */
#define DMA_LEN        2048u
/* Keel's ECAM window (hv/mm/guest_ram.h, the MCFG): bus 0 at its start,
 * device d's configuration space at + d << 15 (PCIe Base 6.0 7.2.2). */
#define ECAM_BASE      0xb0000000ull

static unsigned edu_dev;          /* device number on bus 0; 0 = not found */
static volatile uint8_t *edu;     /* BAR0 */
static uint8_t dma_buf[4096] __attribute__((aligned(4096)));

static uint32_t cfg_addr(unsigned dev, unsigned off)
{
    return 0x80000000u | dev << 11 | (off & 0xfc);
}

static uint32_t cfg_read(unsigned dev, unsigned off)
{
    rt_outl(0xcf8, cfg_addr(dev, off));
    return rt_inl(0xcfc);
}

static void cfg_write(unsigned dev, unsigned off, uint32_t v)
{
    rt_outl(0xcf8, cfg_addr(dev, off));
    rt_outl(0xcfc, v);
}

static uint32_t rd32(unsigned off) { return *(volatile uint32_t *)(edu + off); }
static void wr32(unsigned off, uint32_t v) { *(volatile uint32_t *)(edu + off) = v; }
static void wr64(unsigned off, uint64_t v) { *(volatile uint64_t *)(edu + off) = v; }

static bool find_edu(void)
{
    for (unsigned dev = 1; dev < 32 && !edu_dev; dev++)
        if (cfg_read(dev, 0) == (EDU_DEVICE << 16 | EDU_VENDOR))
            edu_dev = dev;
    return edu_dev != 0;
}

KEEL_TEST(config_space)
{
    if (!EXPECT(find_edu()))
        return;
    printf("edu at 00:%02x.0\n", edu_dev);
    EXPECT_EQ(cfg_read(edu_dev, 0x08) >> 8, 0x00ff00u);      /* class: misc, as QEMU gives it */
    EXPECT_EQ((cfg_read(edu_dev, 0x0c) >> 16) & 0x7f, 0u);   /* header type 0 */
    cfg_write(edu_dev, 0x10, 0xffffffffu);                   /* BAR0 sizing: 1 MiB, memory */
    EXPECT_EQ(cfg_read(edu_dev, 0x10), 0xfff00000u);
    cfg_write(edu_dev, 0x10, (uint32_t)EDU_BAR_GPA);
    EXPECT_EQ(cfg_read(edu_dev, 0x10), (uint32_t)EDU_BAR_GPA);
    EXPECT_EQ(cfg_read(edu_dev, 0x14), 0u);                  /* BAR1: none */
    cfg_write(edu_dev, 0x04, 0x6);                           /* memory, bus master */
    EXPECT_EQ(cfg_read(edu_dev, 0x04) & 0x7, 0x6u);
    edu = (volatile uint8_t *)(uintptr_t)EDU_BAR_GPA;
}

static volatile uint8_t *ecam(unsigned dev, unsigned off)
{
    return (volatile uint8_t *)(uintptr_t)(ECAM_BASE + ((uint64_t)dev << 15) + off);
}

/* The same function through ECAM: what mechanism #1 set up reads back, a
 * write through ECAM shows through CF8/CFC, and the bridges are there. */
KEEL_TEST(ecam_config_space)
{
    if (!EXPECT(edu_dev))
        return;
    EXPECT_EQ(*(volatile uint32_t *)ecam(edu_dev, 0), EDU_DEVICE << 16 | EDU_VENDOR);
    EXPECT_EQ(*(volatile uint16_t *)ecam(edu_dev, 2), EDU_DEVICE);
    EXPECT_EQ(*ecam(edu_dev, 0xb), 0x00u);                        /* class base */
    EXPECT_EQ(*(volatile uint32_t *)ecam(edu_dev, 0x10), (uint32_t)EDU_BAR_GPA);
    EXPECT_EQ(*(volatile uint32_t *)ecam(edu_dev, 0x100), 0u);    /* no extended capabilities */
    *(volatile uint16_t *)ecam(edu_dev, 0x04) = 0x6;              /* memory, bus master (again) */
    EXPECT_EQ(cfg_read(edu_dev, 0x04) & 0x7, 0x6u);
    EXPECT_EQ(*(volatile uint64_t *)ecam(0, 0), 0x0000000000081b36ull); /* 8 bytes: two dwords */
    EXPECT_EQ(*(volatile uint32_t *)ecam(0x1f, 0), 0x71108086u);  /* the ISA bridge */
    EXPECT_EQ(*(volatile uint32_t *)(uintptr_t)(ECAM_BASE + (1ull << 20)), 0xffffffffu); /* bus 1 */
}

KEEL_TEST(bar_mapped)
{
    if (!EXPECT(edu))
        return;
    EXPECT_EQ(rd32(EDU_ID) & 0xff0000ffu, 0x010000edu);
    wr32(EDU_LIVENESS, 0x12345678u);
    EXPECT_EQ(rd32(EDU_LIVENESS), ~0x12345678u);
}

/* One DMA, waited for (edu runs it from a 100 ms timer); false on timeout. */
static bool dma(uint64_t src, uint64_t dst, uint32_t count, uint32_t cmd)
{
    wr64(EDU_DMA_SRC, src);
    wr64(EDU_DMA_DST, dst);
    wr64(EDU_DMA_COUNT, count);
    wr64(EDU_DMA_CMD, cmd | EDU_CMD_START);
    uint64_t until = __builtin_ia32_rdtsc() + rt_ms_to_tsc(5000);
    while (rd32(EDU_DMA_CMD) & EDU_CMD_START)
        if (__builtin_ia32_rdtsc() > until)
            return false;
    return true;
}

KEEL_TEST(dma_round_trip)
{
    if (!EXPECT(edu))
        return;
    for (unsigned i = 0; i < DMA_LEN; i++)
        dma_buf[i] = (uint8_t)(i * 7 + 3);
    EXPECT(dma((uintptr_t)dma_buf, EDU_BUFFER, DMA_LEN, 0));                /* RAM -> device */
    memset(dma_buf, 0, sizeof(dma_buf));
    EXPECT(dma(EDU_BUFFER, (uintptr_t)dma_buf, DMA_LEN, EDU_CMD_TO_RAM));   /* and back */
    unsigned bad = 0;
    for (unsigned i = 0; i < DMA_LEN; i++)
        bad += dma_buf[i] != (uint8_t)(i * 7 + 3);
    EXPECT_EQ(bad, 0u);
}

KEEL_TEST(dma_outside_blocked)
{
    if (!EXPECT(edu))
        return;
    printf("DMA to %#llx, outside this VM's RAM: Keel should report it blocked\n",
           (unsigned long long)OUTSIDE_GPA);
    EXPECT(dma(EDU_BUFFER, OUTSIDE_GPA, 64, EDU_CMD_TO_RAM));
    /* Exits give Keel's vCPU 0 loop its chance to poll the IOMMU. */
    for (unsigned i = 0; i < 20; i++) {
        rt_inb(0x80);
        rt_delay_us(1000);
    }
}

static volatile uint32_t edu_irqs;

static void edu_irq(unsigned vector)
{
    (void)vector;
    wr32(EDU_IRQ_ACK, rd32(EDU_IRQ_STATUS));
    edu_irqs++;
    apic_eoi();
}

/* MSI capability: the guest's address and data; the vector must arrive. */
KEEL_TEST(msi)
{
    unsigned cap;
    if (!EXPECT(edu))
        return;
    for (cap = cfg_read(edu_dev, 0x34) & 0xfc; cap && (cfg_read(edu_dev, cap) & 0xff) != 0x05;
         cap = (cfg_read(edu_dev, cap) >> 8) & 0xfc)
        ;
    if (!EXPECT(cap))
        return;
    uint32_t ctl = cfg_read(edu_dev, cap) >> 16;
    bool is64 = ctl & 0x80;
    rt_irq_register(MSI_VECTOR, edu_irq);
    apic_write(APIC_SVR, apic_read(APIC_SVR) | APIC_SVR_ENABLE);
    cfg_write(edu_dev, cap + 4, 0xfee00000u | apic_id() << 12);
    if (is64)
        cfg_write(edu_dev, cap + 8, 0);
    cfg_write(edu_dev, cap + (is64 ? 12 : 8), MSI_VECTOR);
    cfg_write(edu_dev, cap, (cfg_read(edu_dev, cap) & 0xffff) | (ctl | 1u) << 16);
    EXPECT_EQ(cfg_read(edu_dev, cap + 4), 0xfee00000u | apic_id() << 12); /* the guest's, kept */
    EXPECT_EQ(cfg_read(edu_dev, cap + (is64 ? 12 : 8)) & 0xffff, (uint32_t)MSI_VECTOR);
    wr32(EDU_IRQ_RAISE, 0x1);
    /* Port reads exit to Keel, whose vCPU 0 loop injects what the device raised. */
    __asm__ volatile("sti" ::: "memory");
    for (unsigned i = 0; i < 3000 && !edu_irqs; i++) {
        rt_inb(0x80);
        rt_delay_us(1000);
    }
    __asm__ volatile("cli" ::: "memory");
    EXPECT_EQ(edu_irqs, 1u);
    EXPECT_EQ(rd32(EDU_IRQ_STATUS), 0u);
}
