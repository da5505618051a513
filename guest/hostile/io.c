/* SPDX-License-Identifier: MIT */
/*
 * hostile: port I/O.  Random ports (half of them from a list of ports
 * Keel's devices decode, half anywhere in the 64 KiB space), widths 1, 2
 * and 4, IN and OUT with random values, and short REP INS/OUTS.  Writes
 * that would end or reset the VM are skipped here (end=... does them on
 * purpose), and so are writes to the serial ports, to keep the log clean.
 * Port I/O at CPL 0 never faults (SDM vol. 1 18.5.1, IOPL/CPL check
 * passes), so any fault is a failure.
 */
#include <stdio.h>

#include "hostile.h"
#include "hv/abi.h"

/* Ports of the platform Keel models (docs/design.md, hv/dev/): PIC, PIT,
 * 8042, port 61h, CMOS/RTC, POST, port 92h, slave PIC, ELCR, PCI CF8/CFC,
 * fw_cfg, the UARTs (read only), the APM control port, the IRQ test ports. */
static const uint16_t h_ports[] = {
    0x20, 0x21, 0x40, 0x41, 0x42, 0x43, 0x60, 0x61, 0x64, 0x70, 0x71, 0x80, 0x92,
    0xa0, 0xa1, 0xb2, 0xb3, 0x4d0, 0x4d1, 0xcf8, 0xcfc, 0xcfd, 0xcfe, 0xcff, 0x510,
    0x511, 0x3f8, 0x3f9, 0x3fa, 0x3fb, 0x3fc, 0x3fd, 0x3fe, 0x3ff, 0x2f8, 0x2fd,
    0x600, 0x604, 0x608, 0x2000, 0x2001, 0x2008, 0x200f, KEEL_STATUS_PORT, 0xf4,
};

static bool h_overlaps(uint16_t port, unsigned width, uint16_t lo, unsigned n)
{
    return n && (uint32_t)port < (uint32_t)lo + n && (uint32_t)lo < (uint32_t)port + width;
}

bool h_port_ends_vm(uint16_t port, unsigned width)
{
    return h_overlaps(port, width, 0xcf9, 1) ||           /* reset control */
           h_overlaps(port, width, 0x64, 1) ||            /* 8042 command (FEh resets) */
           h_overlaps(port, width, 0x92, 1) ||            /* fast reset (bit 0) */
           h_overlaps(port, width, 0xf4, 4) ||            /* isa-debug-exit */
           h_overlaps(port, width, KEEL_STATUS_PORT, 4) ||
           h_overlaps(port, width, h_cfg.pm1a_cnt, h_cfg.pm1a_cnt ? 2 : 0) ||
           h_overlaps(port, width, h_cfg.pm1b_cnt, h_cfg.pm1b_cnt ? 2 : 0) ||
           h_overlaps(port, width, h_cfg.reset_port, h_cfg.reset_port ? 1 : 0) ||
           h_overlaps(port, width, 0x3f8, 8) || h_overlaps(port, width, 0x2f8, 8) ||
           h_overlaps(port, width, 0x8900, 1);            /* Bochs' shutdown port */
}

struct h_io {
    uint16_t port;
    unsigned width;
    bool out, string;
    uint32_t value;
    uint32_t count;             /* REP count of INS/OUTS */
    uint8_t buf[64];
};

static void h_io_single(struct h_io *io)
{
    switch (io->width * 2 + io->out) {
    case 2: io->value = rt_inb(io->port); break;
    case 3: rt_outb(io->port, (uint8_t)io->value); break;
    case 4: io->value = rt_inw(io->port); break;
    case 5: rt_outw(io->port, (uint16_t)io->value); break;
    case 8: io->value = rt_inl(io->port); break;
    default: rt_outl(io->port, io->value); break;
    }
}

/* REP INS/OUTS of io->count elements through io->buf (DF is clear). */
static void h_io_string(struct h_io *io)
{
    void *p = io->buf;
    uint64_t n = io->count;

    switch (io->width * 2 + io->out) {
    case 2: __asm__ volatile("rep insb" : "+D"(p), "+c"(n) : "d"(io->port) : "memory"); break;
    case 3: __asm__ volatile("rep outsb" : "+S"(p), "+c"(n) : "d"(io->port) : "memory"); break;
    case 4: __asm__ volatile("rep insw" : "+D"(p), "+c"(n) : "d"(io->port) : "memory"); break;
    case 5: __asm__ volatile("rep outsw" : "+S"(p), "+c"(n) : "d"(io->port) : "memory"); break;
    case 8: __asm__ volatile("rep insl" : "+D"(p), "+c"(n) : "d"(io->port) : "memory"); break;
    default: __asm__ volatile("rep outsl" : "+S"(p), "+c"(n) : "d"(io->port) : "memory"); break;
    }
}

static void h_io_do(void *arg)
{
    struct h_io *io = arg;

    if (io->string)
        h_io_string(io);
    else
        h_io_single(io);
}

void h_port(struct h_cpu *c)
{
    static const unsigned widths[3] = {1, 2, 4};
    struct h_io io = {0};
    int v;

    if (h_chance(c, 50))
        io.port = (uint16_t)(h_ports[h_below(c, sizeof(h_ports) / sizeof(h_ports[0]))] +
                             h_below(c, 4));
    else
        io.port = (uint16_t)h_rand(c);
    io.width = widths[h_below(c, 3)];
    io.out = h_chance(c, 50);
    io.value = (uint32_t)h_rand(c);
    io.string = h_chance(c, 15);
    io.count = 1 + h_below(c, (uint32_t)(sizeof(io.buf) / io.width));
    for (unsigned i = 0; i < sizeof(io.buf); i++)
        io.buf[i] = (uint8_t)h_rand(c);
    if (io.out && h_port_ends_vm(io.port, io.width))
        return;
    v = h_try(c, H_PORT, h_io_do, &io);
    h_expect(c, RT_NO_FAULT, v, io.out ? "OUT to port" : "IN from port", io.port);
}
