/* SPDX-License-Identifier: MIT */
/*
 * The ACPI MADT ("APIC" table), found through the RSDP in the EBDA or the
 * BIOS area (ACPI 6.x, 5.2.5.1): the CPUs' APIC IDs, the first I/O APIC and
 * the ISA interrupt source overrides.  Read once by vCPU 0, lazily.
 */
#include <string.h>

#include "rt.h"
#include "rt_internal.h"

#define BDA_EBDA_SEGMENT    0x40e       /* word: EBDA segment */
#define EBDA_SEARCH_BYTES   1024
#define BIOS_AREA_START     0xe0000
#define BIOS_AREA_END       0x100000
#define RSDP_ALIGN          16

/* Root System Description Pointer. */
struct acpi_rsdp {
    char signature[8];      /* 0: "RSD PTR " */
    uint8_t checksum;       /* 8: bytes 0-19 sum to 0 */
    char oem_id[6];         /* 9 */
    uint8_t revision;       /* 15: 0 = ACPI 1.0 (no XSDT) */
    uint32_t rsdt;          /* 16 */
    uint32_t length;        /* 20: revision >= 2 */
    uint64_t xsdt;          /* 24 */
    uint8_t ext_checksum;   /* 32: all bytes sum to 0 */
    uint8_t reserved[3];
} __attribute__((packed));
_Static_assert(offsetof(struct acpi_rsdp, xsdt) == 24, "acpi_rsdp.xsdt");

struct acpi_header {
    char signature[4];      /* 0 */
    uint32_t length;        /* 4: whole table */
    uint8_t revision;       /* 8 */
    uint8_t checksum;       /* 9 */
    char oem[26];           /* 10: OEM ID, table ID, revision, creator */
} __attribute__((packed));
_Static_assert(sizeof(struct acpi_header) == 36, "acpi_header size");

/* MADT: the header, then the local APIC address and flags, then entries
 * of (type, length, ...). */
#define MADT_LAPIC_ADDR         36
#define MADT_ENTRIES            44
#define MADT_TYPE_LAPIC         0   /* u8 uid, u8 APIC ID, u32 flags */
#define MADT_TYPE_IOAPIC        1   /* u8 ID, u8 0, u32 address, u32 GSI base */
#define MADT_TYPE_OVERRIDE      2   /* u8 bus, u8 source, u32 GSI, u16 flags */
#define MADT_TYPE_X2APIC        9   /* u16 0, u32 x2APIC ID, u32 flags, u32 uid */
#define MADT_LAPIC_ENABLED      RT_BIT(0)

static struct rt_madt rt_madt_info;
static bool rt_madt_read;

static uint8_t acpi_sum(const void *p, size_t n)
{
    const uint8_t *b = p;
    uint8_t sum = 0;

    while (n--)
        sum += *b++;
    return sum;
}

static const struct acpi_rsdp *rsdp_scan(uintptr_t start, uintptr_t end)
{
    for (uintptr_t p = start; p + sizeof(struct acpi_rsdp) <= end; p += RSDP_ALIGN) {
        const struct acpi_rsdp *r = (const void *)p;
        if (memcmp(r->signature, "RSD PTR ", 8) == 0 && acpi_sum(r, 20) == 0)
            return r;
    }
    return NULL;
}

static const struct acpi_header *acpi_table(uint64_t addr, const char *sig)
{
    const struct acpi_header *h = (const void *)(uintptr_t)addr;

    if (addr == 0 || addr >= ((uint64_t)RT_MAP_GIB << 30))
        return NULL;
    if (memcmp(h->signature, sig, 4) != 0 || h->length < sizeof(*h) ||
        acpi_sum(h, h->length) != 0)
        return NULL;
    return h;
}

static const struct acpi_header *find_table(const char *sig)
{
    uintptr_t bda = BDA_EBDA_SEGMENT;
    /* Hide the constant address from GCC, which assumes nothing lives in
     * the first page. */
    __asm__("" : "+r"(bda));
    uintptr_t ebda = (uintptr_t)*(const volatile uint16_t *)bda << 4;
    const struct acpi_rsdp *rsdp = NULL;

    if (ebda >= 0x80000 && ebda < BIOS_AREA_START)
        rsdp = rsdp_scan(ebda, ebda + EBDA_SEARCH_BYTES);
    if (!rsdp)
        rsdp = rsdp_scan(BIOS_AREA_START, BIOS_AREA_END);
    if (!rsdp)
        return NULL;
    bool x = rsdp->revision >= 2 && rsdp->xsdt;
    const struct acpi_header *root = acpi_table(x ? rsdp->xsdt : rsdp->rsdt, x ? "XSDT" : "RSDT");
    if (!root)
        return NULL;
    size_t width = x ? 8 : 4;
    const uint8_t *entries = (const uint8_t *)root + sizeof(*root);
    for (size_t off = 0; off + width <= root->length - sizeof(*root); off += width) {
        uint64_t addr = 0;
        memcpy(&addr, entries + off, width);
        const struct acpi_header *t = acpi_table(addr, sig);
        if (t)
            return t;
    }
    return NULL;
}

const void *rt_acpi_table(const char *sig)
{
    return find_table(sig);
}

static void madt_add_cpu(uint32_t apic_id, uint32_t flags)
{
    if (!(flags & MADT_LAPIC_ENABLED) || rt_madt_info.cpu_count >= RT_MAX_VCPUS)
        return;
    for (unsigned i = 0; i < rt_madt_info.cpu_count; i++)
        if (rt_madt_info.apic_ids[i] == apic_id)
            return;     /* listed as both LAPIC and x2APIC */
    rt_madt_info.apic_ids[rt_madt_info.cpu_count++] = apic_id;
}

static void madt_parse(const struct acpi_header *madt)
{
    const uint8_t *t = (const uint8_t *)madt;
    uint32_t u32, id;

    memcpy(&u32, t + MADT_LAPIC_ADDR, 4);
    rt_madt_info.lapic_addr = u32;
    for (uint32_t off = MADT_ENTRIES; off + 2 <= madt->length && t[off + 1] >= 2;
         off += t[off + 1]) {
        const uint8_t *e = t + off;
        switch (e[0]) {
        case MADT_TYPE_LAPIC:
            memcpy(&u32, e + 4, 4);
            madt_add_cpu(e[3], u32);
            break;
        case MADT_TYPE_X2APIC:
            memcpy(&id, e + 4, 4);
            memcpy(&u32, e + 8, 4);
            madt_add_cpu(id, u32);
            break;
        case MADT_TYPE_IOAPIC:
            if (rt_madt_info.ioapic_addr == 0) {
                memcpy(&rt_madt_info.ioapic_addr, e + 4, 4);
                memcpy(&rt_madt_info.ioapic_gsi_base, e + 8, 4);
            }
            break;
        case MADT_TYPE_OVERRIDE:
            if (e[2] == 0 && e[3] < 16) {
                memcpy(&rt_madt_info.isa_gsi[e[3]], e + 4, 4);
                memcpy(&rt_madt_info.isa_flags[e[3]], e + 8, 2);
            }
            break;
        }
    }
}

const struct rt_madt *rt_madt(void)
{
    if (rt_madt_read)
        return &rt_madt_info;
    for (unsigned i = 0; i < 16; i++)
        rt_madt_info.isa_gsi[i] = i;   /* identity unless overridden */
    const struct acpi_header *madt = find_table("APIC");
    if (madt) {
        rt_madt_info.found = true;
        madt_parse(madt);
    }
    rt_madt_read = true;
    return &rt_madt_info;
}
