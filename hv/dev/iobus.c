/* SPDX-License-Identifier: MIT */
#include "hv/dev/iobus.h"

#include <stddef.h>

static bool overlaps(const struct bus_range *r, unsigned n, uint64_t base, uint64_t len)
{
    for (unsigned i = 0; i < n; i++)
        if (base < r[i].base + r[i].len && r[i].base < base + len)
            return true;
    return false;
}

static int add_range(struct bus_range *tab, unsigned *n, unsigned max, uint64_t base,
                     uint64_t len, bus_read_fn rd, bus_write_fn wr, void *dev, const char *name)
{
    if (*n == max || len == 0 || base + len < base || overlaps(tab, *n, base, len))
        return -1;
    tab[(*n)++] = (struct bus_range){ base, len, rd, wr, dev, name, 0 };
    return 0;
}

int iobus_add_port(struct iobus *b, uint16_t base, uint16_t len, bus_read_fn rd, bus_write_fn wr,
                   void *dev, const char *name)
{
    if ((uint32_t)base + len > 0x10000u)
        return -1;
    return add_range(b->port, &b->nports, IOBUS_MAX_PORT_RANGES, base, len, rd, wr, dev, name);
}

int iobus_add_mmio(struct iobus *b, uint64_t base, uint64_t len, bus_read_fn rd, bus_write_fn wr,
                   void *dev, const char *name)
{
    return add_range(b->mmio, &b->nmmio, IOBUS_MAX_MMIO_RANGES, base, len, rd, wr, dev, name);
}

static const struct bus_range *find(const struct bus_range *tab, unsigned n, uint64_t a)
{
    for (unsigned i = 0; i < n; i++)
        if (a >= tab[i].base && a - tab[i].base < tab[i].len)
            return &tab[i];
    return NULL;
}

const struct bus_range *iobus_find_port_slow(const struct iobus *b, uint16_t port, uint16_t *hint)
{
    const struct bus_range *r = find(b->port, b->nports, port);
    if (r)
        *hint = (uint16_t)(r - b->port);
    return r;
}

int iobus_mark_pure(struct iobus *b, uint16_t base, unsigned pure)
{
    for (unsigned i = 0; i < b->nports; i++)
        if (b->port[i].base == base) {
            b->port[i].pure = pure;
            return 0;
        }
    return -1;
}

const struct bus_range *iobus_find_mmio(const struct iobus *b, uint64_t gpa)
{
    return find(b->mmio, b->nmmio, gpa);
}
