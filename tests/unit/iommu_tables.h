/* SPDX-License-Identifier: MIT */
/*
 * Builders of IVRS and DMAR tables for the IOMMU discovery tests
 * (test_iommu_ivrs.c, test_iommu_dmar.c): a byte buffer grown by append
 * helpers, with the length and checksum of the ACPI header fixed at the
 * end.  Layouts: AMD #48882 5.2, VT-d chapter 8.
 */
#ifndef KEEL_TESTS_IOMMU_TABLES_H
#define KEEL_TESTS_IOMMU_TABLES_H

#include <stdint.h>
#include <string.h>

struct tbl {
    uint8_t b[4096];
    uint32_t len;
};

static inline void tb_put(struct tbl *t, uint32_t at, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        t->b[at + i] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

/* Appends n little-endian bytes of v; returns where they went. */
static inline uint32_t tb_add(struct tbl *t, uint64_t v, unsigned n)
{
    uint32_t at = t->len;

    tb_put(t, at, v, n);
    t->len += n;
    return at;
}

static inline void tb_header(struct tbl *t, const char sig[4])
{
    memset(t, 0, sizeof(*t));
    memcpy(t->b, sig, 4);
    t->b[8] = 1;
    memcpy(t->b + 10, "KEELTS", 6);
    memcpy(t->b + 16, "IOMMUTBL", 8);
    t->len = 36;
}

/* Sets the block length at start+2 (16 bits) to what was appended since. */
static inline void tb_close16(struct tbl *t, uint32_t start)
{
    tb_put(t, start + 2, t->len - start, 2);
}

/* The ACPI length and checksum. */
static inline void tb_finish(struct tbl *t)
{
    uint8_t s = 0;

    tb_put(t, 4, t->len, 4);
    t->b[9] = 0;
    for (uint32_t i = 0; i < t->len; i++)
        s = (uint8_t)(s + t->b[i]);
    t->b[9] = (uint8_t)(0 - s);
}

/* IVRS: header with IVinfo (PASize 48, VASize 64) and 8 reserved bytes. */
#define IVINFO_TEST ((64u << 15) | (48u << 8))
static inline void ivrs_begin(struct tbl *t)
{
    tb_header(t, "IVRS");
    tb_add(t, IVINFO_TEST, 4);
    tb_add(t, 0, 8);
}

/* An IVHD header of type 10h, 11h or 40h; device entries follow, then
 * tb_close16(t, returned offset). */
static inline uint32_t ivhd_begin(struct tbl *t, uint8_t type, uint8_t flags, uint16_t devid,
                                  uint64_t base, uint16_t seg, uint64_t feat)
{
    uint32_t at = tb_add(t, type, 1);

    tb_add(t, flags, 1);
    tb_add(t, 0, 2);
    tb_add(t, devid, 2);
    tb_add(t, 0x40, 2); /* capability offset */
    tb_add(t, base, 8);
    tb_add(t, seg, 2);
    tb_add(t, 0x0100, 2); /* IOMMU info: UnitID 1, MSINum 0 */
    if (type == 0x10) {
        tb_add(t, feat, 4);
    } else {
        tb_add(t, 0, 4); /* attributes */
        tb_add(t, feat, 8);
        tb_add(t, 0, 8);
    }
    return at;
}

/* A 4-byte device entry (types 00h-3Fh). */
static inline void ivhd_dev4(struct tbl *t, uint8_t type, uint16_t id, uint8_t dte)
{
    tb_add(t, type, 1);
    tb_add(t, id, 2);
    tb_add(t, dte, 1);
}

/* An 8-byte device entry (types 40h-7Fh) with its bytes 4..7. */
static inline void ivhd_dev8(struct tbl *t, uint8_t type, uint16_t id, uint8_t dte, uint32_t hi)
{
    ivhd_dev4(t, type, id, dte);
    tb_add(t, hi, 4);
}

/* Special device (48h): handle, requester ID, variety (1 IOAPIC, 2 HPET). */
static inline void ivhd_special(struct tbl *t, uint8_t handle, uint16_t rid, uint8_t variety)
{
    ivhd_dev8(t, 0x48, 0, 0xd7, handle | (uint32_t)rid << 8 | (uint32_t)variety << 24);
}

static inline void ivmd(struct tbl *t, uint8_t type, uint8_t flags, uint16_t id, uint16_t aux,
                        uint64_t start, uint64_t len)
{
    uint32_t at = tb_add(t, type, 1);

    tb_add(t, flags, 1);
    tb_add(t, 32, 2);
    tb_add(t, id, 2);
    tb_add(t, aux, 2);
    tb_add(t, 0, 8);
    tb_add(t, start, 8);
    tb_add(t, len, 8);
    (void)at;
}

/* DMAR: host address width - 1, flags, 10 reserved bytes. */
static inline void dmar_begin(struct tbl *t, uint8_t haw, uint8_t flags)
{
    tb_header(t, "DMAR");
    tb_add(t, haw - 1u, 1);
    tb_add(t, flags, 1);
    tb_add(t, 0, 10);
}

static inline uint32_t drhd_begin(struct tbl *t, uint8_t flags, uint16_t seg, uint64_t base)
{
    uint32_t at = tb_add(t, 0, 2);

    tb_add(t, 0, 2);
    tb_add(t, flags, 1);
    tb_add(t, 0, 1);
    tb_add(t, seg, 2);
    tb_add(t, base, 8);
    return at;
}

static inline uint32_t rmrr_begin(struct tbl *t, uint16_t seg, uint64_t base, uint64_t limit)
{
    uint32_t at = tb_add(t, 1, 2);

    tb_add(t, 0, 2);
    tb_add(t, 0, 2);
    tb_add(t, seg, 2);
    tb_add(t, base, 8);
    tb_add(t, limit, 8);
    return at;
}

static inline uint32_t atsr_begin(struct tbl *t, uint8_t flags, uint16_t seg)
{
    uint32_t at = tb_add(t, 2, 2);

    tb_add(t, 0, 2);
    tb_add(t, flags, 1);
    tb_add(t, 0, 1);
    tb_add(t, seg, 2);
    return at;
}

/* A device scope with a one-hop path (bus, dev, fn), or two hops when
 * dev2 is not 0xff. */
static inline void dscope(struct tbl *t, uint8_t type, uint8_t enum_id, uint8_t bus, uint8_t dev,
                          uint8_t fn, uint8_t dev2, uint8_t fn2)
{
    tb_add(t, type, 1);
    tb_add(t, dev2 == 0xff ? 8 : 10, 1);
    tb_add(t, 0, 2);
    tb_add(t, enum_id, 1);
    tb_add(t, bus, 1);
    tb_add(t, dev, 1);
    tb_add(t, fn, 1);
    if (dev2 != 0xff) {
        tb_add(t, dev2, 1);
        tb_add(t, fn2, 1);
    }
}

#endif /* KEEL_TESTS_IOMMU_TABLES_H */
