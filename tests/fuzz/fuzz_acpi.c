/* SPDX-License-Identifier: MIT */
/*
 * boot/acpi.c: the firmware's ACPI tables are read before Keel owns the
 * machine, and a broken firmware must not break Keel.  Input: physical
 * memory from FAKE_BASE (a QEMU-like world has the RSDP there).  Each call
 * of the map callback gets a heap copy of exactly the bytes it asked for,
 * so reading past what the parser mapped is an ASan report, not only
 * reading past the fake memory.
 * Invariants: a table found is inside memory with its signature and a
 * valid checksum; a parsed MADT has 1..64 distinct CPUs, at most as many
 * as it has LAPIC/x2APIC entries, and bounded I/O APIC and override lists;
 * a parsed SPCR names a non-zero address and a known baud rate; a refusal
 * always says why.
 */
#include "boot/acpi.h"
#include "fuzz.h"

#define FAKE_BASE 0xe0000ull
#define MAX_MAPS  4096

struct fake_mem {
    const uint8_t *mem;
    size_t size;
    void *maps[MAX_MAPS];
    unsigned nmaps;
};

static const void *fake_map(void *ctx, uint64_t pa, size_t len)
{
    struct fake_mem *f = ctx;
    void *copy;

    if (pa < FAKE_BASE || pa - FAKE_BASE > f->size || len > f->size - (pa - FAKE_BASE))
        return NULL;
    FUZZ_ASSERT(f->nmaps < MAX_MAPS);
    copy = malloc(len ? len : 1);
    memcpy(copy, f->mem + (pa - FAKE_BASE), len);
    f->maps[f->nmaps++] = copy;
    return copy;
}

/* LAPIC (type 0) and x2APIC (type 9) entries: an upper bound on CPUs. */
static unsigned count_cpu_entries(const uint8_t *t, uint32_t len)
{
    unsigned n = 0;

    for (uint32_t off = 44; off + 2 <= len && t[off + 1] >= 2; off += t[off + 1])
        n += t[off] == 0 || t[off] == 9;
    return n;
}

static void check_madt(struct fake_mem *f, uint64_t pa)
{
    struct madt_info m;
    const char *why = NULL;
    uint32_t len;

    if (acpi_parse_madt(pa, fake_map, f, &m, &why) < 0) {
        FUZZ_ASSERT(why != NULL);
        return;
    }
    memcpy(&len, f->mem + (pa - FAKE_BASE) + 4, 4);
    FUZZ_ASSERT(m.ncpus >= 1 && m.ncpus <= ACPI_MAX_CPUS);
    FUZZ_ASSERT(m.ncpus + m.ncpus_ignored <= count_cpu_entries(f->mem + (pa - FAKE_BASE), len));
    for (unsigned i = 0; i < m.ncpus; i++)
        for (unsigned j = 0; j < i; j++)
            FUZZ_ASSERT(m.apic_id[i] != m.apic_id[j]);
    FUZZ_ASSERT(m.nioapics <= ACPI_MAX_IOAPICS && m.noverrides <= ACPI_MAX_OVERRIDES);
}

static void check_spcr(struct fake_mem *f, uint64_t pa)
{
    struct spcr_info s;
    const char *why = NULL;

    if (acpi_parse_spcr(pa, fake_map, f, &s, &why) < 0) {
        FUZZ_ASSERT(why != NULL);
        return;
    }
    FUZZ_ASSERT(s.address != 0);
    FUZZ_ASSERT(s.uart_16550 == (s.interface_type == 0 || s.interface_type == 1 ||
                                 s.interface_type == 0x12));
    FUZZ_ASSERT(s.baud == 0 || s.baud == 9600 || s.baud == 19200 || s.baud == 57600 ||
                s.baud == 115200);
}

static void find(struct fake_mem *f, const char sig[4], void (*parse)(struct fake_mem *, uint64_t))
{
    const char *why = NULL;
    uint64_t pa = acpi_find_table(FAKE_BASE, sig, fake_map, f, &why);
    uint32_t len;

    if (pa == 0) {
        FUZZ_ASSERT(why != NULL);
        return;
    }
    FUZZ_ASSERT(pa >= FAKE_BASE && pa - FAKE_BASE + 36 <= f->size);
    FUZZ_ASSERT(memcmp(f->mem + (pa - FAKE_BASE), sig, 4) == 0);
    memcpy(&len, f->mem + (pa - FAKE_BASE) + 4, 4);
    FUZZ_ASSERT(len >= 36 && len <= f->size - (pa - FAKE_BASE));
    FUZZ_ASSERT(acpi_checksum_ok(f->mem + (pa - FAKE_BASE), len));
    parse(f, pa);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct fake_mem f;

    if (size > 1 << 16)
        return 0;
    f.mem = data;
    f.size = size;
    f.nmaps = 0;
    find(&f, "APIC", check_madt);
    find(&f, "SPCR", check_spcr);
    /* Also every table in memory directly, as if found: coverage of the
     * parsers without a valid RSDP/RSDT chain. */
    for (size_t off = 0; off + 4 <= size; off += 4) {
        if (memcmp(data + off, "APIC", 4) == 0)
            check_madt(&f, FAKE_BASE + off);
        else if (memcmp(data + off, "SPCR", 4) == 0)
            check_spcr(&f, FAKE_BASE + off);
        if (f.nmaps > MAX_MAPS - 16)
            break;
    }
    for (unsigned i = 0; i < f.nmaps; i++)
        free(f.maps[i]);
    return 0;
}
