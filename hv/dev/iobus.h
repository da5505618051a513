/* SPDX-License-Identifier: MIT */
/*
 * The per-VM device buses: port I/O ranges and guest-physical MMIO ranges,
 * each claimed by one device model.  What no device claims behaves like an
 * empty PC bus: ports and unbacked addresses read all-ones, writes are
 * dropped (hv/emul/emul_io.c, hv/emul/emul_mmio.c).
 *
 * Registration happens while the VM is built (one CPU); lookups run on any
 * of the VM's CPUs without a lock.  Each device serialises itself (see its
 * `lock`).
 */
#ifndef KEEL_HV_IOBUS_H
#define KEEL_HV_IOBUS_H

#include <stdbool.h>
#include <stdint.h>

struct vcpu;

#define IOBUS_MAX_PORT_RANGES 16
#define IOBUS_MAX_MMIO_RANGES 8

/* size is 1, 2 or 4 for ports; 1, 2, 4 or 8 for MMIO. */
typedef uint64_t (*bus_read_fn)(void *dev, struct vcpu *v, uint64_t addr, unsigned size);
typedef void (*bus_write_fn)(void *dev, struct vcpu *v, uint64_t addr, unsigned size, uint64_t val);

struct bus_range {
    uint64_t base, len;
    bus_read_fn read;
    bus_write_fn write;
    void *dev;
    const char *name;
    unsigned pure;      /* IOBUS_PURE_*: accesses that change no interrupt, timer or
                         * vCPU state (the run loop's fast re-entry, hv/run.c); a
                         * callback may also set the vCPU's exit_pure itself for
                         * an access it knows was such */
};

#define IOBUS_PURE_READ  1u
#define IOBUS_PURE_WRITE 2u

struct iobus {
    unsigned nports, nmmio;
    struct bus_range port[IOBUS_MAX_PORT_RANGES];
    struct bus_range mmio[IOBUS_MAX_MMIO_RANGES];
};

/* 0, or -1 when the table is full or the range overlaps another. */
int iobus_add_port(struct iobus *b, uint16_t base, uint16_t len, bus_read_fn rd, bus_write_fn wr,
                   void *dev, const char *name);
int iobus_add_mmio(struct iobus *b, uint64_t base, uint64_t len, bus_read_fn rd, bus_write_fn wr,
                   void *dev, const char *name);
/* The port range that decodes port, trying range *hint first and leaving
 * the range found there: a caller that keeps one hint per vCPU finds a
 * port it used last time in one compare.  NULL: none. */
const struct bus_range *iobus_find_port_slow(const struct iobus *b, uint16_t port, uint16_t *hint);
static inline const struct bus_range *iobus_find_port_hint(const struct iobus *b, uint16_t port,
                                                           uint16_t *hint)
{
    if (*hint < b->nports) {
        const struct bus_range *r = &b->port[*hint];
        if (port >= r->base && port - r->base < r->len)
            return r;
    }
    return iobus_find_port_slow(b, port, hint);
}
/* Declares the accesses (IOBUS_PURE_*) of the port range at base pure;
 * -1 when no range starts there. */
int iobus_mark_pure(struct iobus *b, uint16_t base, unsigned pure);
const struct bus_range *iobus_find_mmio(const struct iobus *b, uint64_t gpa);

#endif /* KEEL_HV_IOBUS_H */
