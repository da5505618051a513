/* SPDX-License-Identifier: MIT */
/* A VM's guest-physical RAM layout and its host chunks (hv/mm/guest_ram.h). */
#include "hv/mm/guest_ram.h"

#include <stddef.h>

#define ALIGN_2M (2ull << 20)

_Static_assert(GRAM_ECAM_BASE >= GRAM_LOW_END && GRAM_ECAM_BASE + GRAM_ECAM_SIZE <= GRAM_MMIO32_B_BASE,
               "the ECAM window lies in the hole, between the two 32-bit MMIO windows");
_Static_assert((GRAM_ECAM_BASE & (GRAM_ECAM_SIZE - 1)) == 0,
               "ECAM is naturally aligned (PCIe Base 6.0 7.2.2: base aligned to its size)");

uint64_t gram_low_size(uint64_t size)
{
    return size < GRAM_LOW_END ? size : GRAM_LOW_END;
}

unsigned gram_ranges(uint64_t size, uint64_t base[2], uint64_t len[2])
{
    uint64_t low = gram_low_size(size);

    base[0] = 0;
    len[0] = low;
    if (size == low)
        return 1;
    base[1] = GRAM_HIGH_BASE;
    len[1] = size - low;
    return 2;
}

uint64_t gram_top(uint64_t size)
{
    uint64_t low = gram_low_size(size);

    return size == low ? low : GRAM_HIGH_BASE + (size - low);
}

uint64_t gram_mmio64_base(uint64_t size)
{
    uint64_t top = gram_top(size);

    if (top < GRAM_HIGH_BASE)
        top = GRAM_HIGH_BASE;
    return (top + GRAM_MMIO64_ALIGN - 1) & ~(GRAM_MMIO64_ALIGN - 1);
}

void gram_init(struct guest_ram *g, uint64_t size)
{
    g->size = size;
    g->nslots = 0;
}

/* The GPA where the next slot must start: right after the last one, or at
 * 4 GiB when the low range is complete. */
static uint64_t next_gpa(const struct guest_ram *g)
{
    uint64_t end;

    if (g->nslots == 0)
        return 0;
    end = g->slot[g->nslots - 1].gpa + g->slot[g->nslots - 1].size;
    return end == gram_low_size(g->size) && end < g->size ? GRAM_HIGH_BASE : end;
}

int gram_add(struct guest_ram *g, uint64_t gpa, uint64_t hpa, uint64_t size)
{
    uint64_t top = gram_top(g->size);
    uint64_t range_end = gpa < GRAM_HIGH_BASE ? gram_low_size(g->size) : top;

    if (((gpa | hpa | size) & (ALIGN_2M - 1)) != 0 || size == 0 || gpa != next_gpa(g) ||
        gpa >= range_end || size > range_end - gpa || hpa + size < hpa)
        return GRAM_EINVAL;
    if (g->nslots >= GRAM_MAX_SLOTS)
        return GRAM_ENOSPC;
    g->slot[g->nslots++] = (struct gram_slot){ .gpa = gpa, .size = size, .hpa = hpa };
    return 0;
}

bool gram_complete(const struct guest_ram *g)
{
    uint64_t total = 0;

    for (unsigned i = 0; i < g->nslots; i++)
        total += g->slot[i].size;
    return g->size != 0 && total == g->size;
}

static const struct gram_slot *slot_of(const struct guest_ram *g, uint64_t gpa)
{
    for (unsigned i = 0; i < g->nslots; i++) {
        const struct gram_slot *s = &g->slot[i];

        if (gpa >= s->gpa && gpa - s->gpa < s->size)
            return s;
    }
    return NULL;
}

uint64_t gram_run(const struct guest_ram *g, uint64_t gpa)
{
    const struct gram_slot *s = slot_of(g, gpa);

    return s ? s->gpa + s->size - gpa : 0;
}

bool gram_is_ram(const struct guest_ram *g, uint64_t gpa, uint64_t len)
{
    if (len == 0)
        len = 1;
    if (gpa + len < gpa)
        return false;
    while (len != 0) {
        uint64_t run = gram_run(g, gpa);

        if (run == 0)
            return false;
        if (run >= len)
            return true;
        gpa += run;
        len -= run;
    }
    return true;
}

int gram_hpa(const struct guest_ram *g, uint64_t gpa, uint64_t len, uint64_t *hpa)
{
    const struct gram_slot *s = slot_of(g, gpa);

    if (len == 0)
        len = 1;
    if (s == NULL || len > s->gpa + s->size - gpa)
        return -1;
    *hpa = s->hpa + (gpa - s->gpa);
    return 0;
}

static bool overlaps(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
    return a < b + blen && b < a + alen;
}

bool gram_overlaps_ram(uint64_t size, uint64_t gpa, uint64_t len)
{
    uint64_t base[2], rlen[2];
    unsigned n = gram_ranges(size, base, rlen);

    for (unsigned i = 0; i < n; i++)
        if (overlaps(gpa, len, base[i], rlen[i]))
            return true;
    return false;
}

bool gram_bar_conflict(const struct guest_ram *g, uint64_t gpa, uint64_t len)
{
    if (len == 0 || gpa + len < gpa)
        return true;
    return gram_overlaps_ram(g->size, gpa, len) ||
           overlaps(gpa, len, GRAM_ECAM_BASE, GRAM_ECAM_SIZE);
}
