/* SPDX-License-Identifier: MIT */
/* The guest's ACPI tables (ACPI 6.5 chapter 5.2). */
#include "hv/dev/guest_acpi.h"
#include "hv/dev/acpi_pm.h"

#include <string.h>

_Static_assert(sizeof(struct acpi_rsdp) == 36, "RSDP");
_Static_assert(offsetof(struct acpi_rsdp, revision) == 15, "RSDP revision");
_Static_assert(offsetof(struct acpi_rsdp, length) == 20, "RSDP length");
_Static_assert(offsetof(struct acpi_rsdp, xsdt_address) == 24, "RSDP XSDT");
_Static_assert(offsetof(struct acpi_rsdp, ext_checksum) == 32, "RSDP ext checksum");
_Static_assert(sizeof(struct acpi_sdt_header) == 36, "SDT header");
_Static_assert(offsetof(struct acpi_sdt_header, checksum) == 9, "SDT checksum");
_Static_assert(offsetof(struct acpi_sdt_header, oem_table_id) == 16, "SDT OEM table ID");
_Static_assert(offsetof(struct acpi_sdt_header, creator_id) == 28, "SDT creator");
_Static_assert(sizeof(struct acpi_gas) == 12, "GAS");
_Static_assert(offsetof(struct acpi_fadt, firmware_ctrl) == 36, "FADT FIRMWARE_CTRL");
_Static_assert(offsetof(struct acpi_fadt, dsdt) == 40, "FADT DSDT");
_Static_assert(offsetof(struct acpi_fadt, sci_int) == 46, "FADT SCI_INT");
_Static_assert(offsetof(struct acpi_fadt, pm_tmr_blk) == 76, "FADT PM_TMR_BLK");
_Static_assert(offsetof(struct acpi_fadt, p_lvl2_lat) == 96, "FADT P_LVL2_LAT");
_Static_assert(offsetof(struct acpi_fadt, iapc_boot_arch) == 109, "FADT IAPC_BOOT_ARCH");
_Static_assert(offsetof(struct acpi_fadt, flags) == 112, "FADT flags");
_Static_assert(offsetof(struct acpi_fadt, reset_reg) == 116, "FADT RESET_REG");
_Static_assert(offsetof(struct acpi_fadt, minor_version) == 131, "FADT minor version");
_Static_assert(offsetof(struct acpi_fadt, x_dsdt) == 140, "FADT X_DSDT");
_Static_assert(offsetof(struct acpi_fadt, x_pm_tmr_blk) == 208, "FADT X_PM_TMR_BLK");
_Static_assert(offsetof(struct acpi_fadt, sleep_status) == 256, "FADT SLEEP_STATUS");
_Static_assert(offsetof(struct acpi_fadt, hypervisor_vendor) == 268, "FADT HV vendor");
_Static_assert(sizeof(struct acpi_fadt) == 276, "FADT");
_Static_assert(sizeof(struct acpi_facs) == 64, "FACS");
_Static_assert(offsetof(struct acpi_facs, version) == 32, "FACS version");
_Static_assert(sizeof(struct acpi_madt) == 44, "MADT");
_Static_assert(sizeof(struct acpi_madt_lapic) == 8, "MADT LAPIC");
_Static_assert(sizeof(struct acpi_madt_ioapic) == 12, "MADT IOAPIC");
_Static_assert(offsetof(struct acpi_madt_ioapic, gsi_base) == 8, "MADT IOAPIC GSI base");
_Static_assert(sizeof(struct acpi_madt_iso) == 10, "MADT ISO");
_Static_assert(offsetof(struct acpi_madt_iso, flags) == 8, "MADT ISO flags");
_Static_assert(sizeof(struct acpi_madt_lapic_nmi) == 6, "MADT LAPIC NMI");
_Static_assert(offsetof(struct acpi_madt_lapic_nmi, lint) == 5, "MADT LAPIC NMI LINT");
_Static_assert(sizeof(struct acpi_madt_x2apic) == 16, "MADT x2APIC");
_Static_assert(offsetof(struct acpi_madt_x2apic, uid) == 12, "MADT x2APIC UID");
_Static_assert(sizeof(struct acpi_madt_x2apic_nmi) == 12, "MADT x2APIC NMI");
_Static_assert(offsetof(struct acpi_madt_x2apic_nmi, lint) == 8, "MADT x2APIC NMI LINT");
_Static_assert(sizeof(struct acpi_mcfg) == 44, "MCFG");
_Static_assert(sizeof(struct acpi_mcfg_alloc) == 16, "MCFG allocation");
_Static_assert(offsetof(struct acpi_mcfg_alloc, start_bus) == 10, "MCFG start bus");
_Static_assert(sizeof(struct acpi_dmar) == 48, "DMAR header");
_Static_assert(offsetof(struct acpi_dmar, flags) == 37, "DMAR flags");
_Static_assert(sizeof(struct acpi_dmar_drhd) == 16, "DRHD");
_Static_assert(offsetof(struct acpi_dmar_drhd, base) == 8, "DRHD register base");
_Static_assert(sizeof(struct acpi_dmar_scope) == 8, "DMAR device scope, one hop");
_Static_assert(offsetof(struct acpi_dmar_scope, enum_id) == 4, "DMAR scope enumeration ID");

#define RSDP_V1_LEN         20
#define RSDP_REVISION       2
#define RSDT_REVISION       1
#define XSDT_REVISION       1
#define FADT_REVISION       6   /* ACPI 6.x FADT ... */
#define FADT_MINOR          5   /* ... 6.5 */
#define FACS_VERSION        2
#define MADT_REVISION       6   /* ACPI 6.5 table 5.19 */
#define DSDT_REVISION       2   /* 64-bit AML integers */
#define OEM_REVISION        1
#define CREATOR_REVISION    1
#define MAX_ROOT_ENTRIES    4   /* FADT, MADT [, MCFG] [, DMAR] */
#define DMAR_REVISION       1
#define DMAR_HAW            47  /* 48-bit host addresses */
#define MCFG_REVISION       1
#define LINT1               1
#define ISA_BUS             0
#define PIT_ISA_IRQ         0
#define PIT_GSI             2
#define C2_NOT_SUPPORTED    101 /* P_LVL2_LAT > 100 */
#define C3_NOT_SUPPORTED    1001 /* P_LVL3_LAT > 1000 */
#define GIB4                (1ull << 32)

/* Offsets in buf of each table. */
struct layout {
    size_t rsdp, rsdt, xsdt, fadt, facs, dsdt, madt, mcfg, dmar, end;
    uint32_t madt_len;
    unsigned nroots;
    bool has_mcfg, has_dmar;
};

static unsigned nroots(const struct guest_acpi_params *p)
{
    return 2u + (p->ecam_base ? 1u : 0u) + (p->dmar_base ? 1u : 0u);
}

static uint32_t dmar_len(const struct guest_acpi_params *p)
{
    return p->dmar_base ? sizeof(struct acpi_dmar) + sizeof(struct acpi_dmar_drhd) +
                              sizeof(struct acpi_dmar_scope)
                        : 0;
}

static uint32_t mcfg_len(const struct guest_acpi_params *p)
{
    return p->ecam_base ? sizeof(struct acpi_mcfg) + sizeof(struct acpi_mcfg_alloc) : 0;
}

/* The first offset >= off whose guest-physical address is aligned to a. */
static size_t align_off(uint64_t gpa, size_t off, uint64_t a)
{
    uint64_t at = (gpa + off + a - 1) & ~(a - 1);

    return (size_t)(at - gpa);
}

static uint32_t madt_len(const struct guest_acpi_params *p)
{
    uint32_t cpu = p->x2apic ? sizeof(struct acpi_madt_x2apic) : sizeof(struct acpi_madt_lapic);
    uint32_t nmi = p->x2apic ? sizeof(struct acpi_madt_x2apic_nmi)
                             : sizeof(struct acpi_madt_lapic_nmi);

    return (uint32_t)(sizeof(struct acpi_madt) + p->nvcpus * cpu +
                      sizeof(struct acpi_madt_ioapic) + 2 * sizeof(struct acpi_madt_iso) + nmi);
}

/* Memory windows non-empty and inside 64 bits; the ECAM window 1 MiB
 * aligned per bus (PCI Firmware 3.2 table 4-3 "Base Address"). */
static bool pci_params_ok(const struct guest_acpi_params *p)
{
    if (p->nwindows > GUEST_ACPI_MAX_WINDOWS || (p->ecam_base & ((1ull << 20) - 1)) != 0)
        return false;
    for (unsigned i = 0; i < p->nwindows; i++)
        if (p->window[i].size == 0 || p->window[i].base + p->window[i].size < p->window[i].base)
            return false;
    return true;
}

static bool params_ok(const struct guest_acpi_params *p)
{
    return p && p->nvcpus >= 1 && p->nvcpus <= GUEST_ACPI_MAX_CPUS && pci_params_ok(p) &&
           (p->dmar_base & 0xfffu) == 0; /* VT-d 8.3: a page-aligned register base */
}

/* The DSDT's AML (ACPI 6.5 chapter 20): with a PM block, the \_S5 object
 * (7.4.2 "\_Sx (System States)"), Name (_S5, Package (4) { 5, 5, 0, 0 }):
 * SLP_TYP 5 for PM1a and PM1b, which hv/dev/acpi_pm.c takes as soft-off.
 * NameOp, NameString, PackageOp, PkgLength (itself included), NumElements,
 * BytePrefix 5, BytePrefix 5, ZeroOp, ZeroOp. */
static const uint8_t aml_s5[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x08, 0x04,
                                  0x0a, ACPI_SLP_TYP_S5, 0x0a, ACPI_SLP_TYP_S5, 0x00, 0x00 };

/* With the PCI host bridge (hv/dev/pci.h): Scope (\_SB) { Device (PCI0) {
 * Name (_HID, EisaId ("PNP0A03")) Name (_UID, 0) ... } ... }, the PCI root
 * bridge an ACPI OS scans bus 0 through (ACPI 6.5 6.1.5 "_HID"; PCI
 * Firmware 3.2 4.1.1), built by hv/dev/guest_aml.c. */

static uint32_t dsdt_len(const struct guest_acpi_params *p)
{
    return (uint32_t)(sizeof(struct acpi_sdt_header) + (p->pm_base ? sizeof(aml_s5) : 0) +
                      guest_aml_sb(p, NULL, 0));
}

static void plan(const struct guest_acpi_params *p, uint64_t gpa, struct layout *l)
{
    l->rsdp = align_off(gpa, 0, 16);
    l->nroots = nroots(p);
    l->has_mcfg = p->ecam_base != 0;
    l->has_dmar = p->dmar_base != 0;
    l->rsdt = align_off(gpa, l->rsdp + sizeof(struct acpi_rsdp), 8);
    l->xsdt = align_off(gpa, l->rsdt + sizeof(struct acpi_sdt_header) + 4 * l->nroots, 8);
    l->fadt = align_off(gpa, l->xsdt + sizeof(struct acpi_sdt_header) + 8 * l->nroots, 8);
    l->facs = align_off(gpa, l->fadt + sizeof(struct acpi_fadt), 64);
    l->dsdt = align_off(gpa, l->facs + sizeof(struct acpi_facs), 8);
    l->madt = align_off(gpa, l->dsdt + dsdt_len(p), 8);
    l->madt_len = madt_len(p);
    l->mcfg = align_off(gpa, l->madt + l->madt_len, 8);
    l->dmar = align_off(gpa, p->ecam_base ? l->mcfg + mcfg_len(p) : l->madt + l->madt_len, 8);
    l->end = p->dmar_base ? l->dmar + dmar_len(p)
             : p->ecam_base ? l->mcfg + mcfg_len(p) : l->madt + l->madt_len;
}

size_t guest_acpi_size(const struct guest_acpi_params *p, uint64_t buf_gpa)
{
    struct layout l;

    if (!params_ok(p))
        return 0;
    plan(p, buf_gpa, &l);
    return l.end;
}

static uint8_t sum8(const uint8_t *b, size_t n)
{
    uint8_t s = 0;

    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + b[i]);
    return s;
}

/* Makes the n bytes at b (checksum byte at b[at], zero so far) sum to 0. */
static void set_checksum(uint8_t *b, size_t n, size_t at)
{
    b[at] = (uint8_t)(0u - sum8(b, n));
}

static void header(struct acpi_sdt_header *h, const char sig[4], uint32_t len, uint8_t rev)
{
    memcpy(h->signature, sig, 4);
    h->length = len;
    h->revision = rev;
    h->checksum = 0;
    memcpy(h->oem_id, GUEST_ACPI_OEM_ID, 6);
    memcpy(h->oem_table_id, GUEST_ACPI_OEM_TABLE_ID, 8);
    h->oem_revision = OEM_REVISION;
    memcpy(h->creator_id, GUEST_ACPI_CREATOR_ID, 4);
    h->creator_revision = CREATOR_REVISION;
}

/* Copies a whole SDT into place and fixes its checksum. */
static void put_sdt(uint8_t *buf, size_t off, const void *t, size_t len)
{
    memcpy(buf + off, t, len);
    set_checksum(buf + off, len, offsetof(struct acpi_sdt_header, checksum));
}

static void write_rsdp(uint8_t *buf, uint64_t gpa, const struct layout *l)
{
    struct acpi_rsdp r;

    memset(&r, 0, sizeof(r));
    memcpy(r.signature, "RSD PTR ", 8);
    memcpy(r.oem_id, GUEST_ACPI_OEM_ID, 6);
    r.revision = RSDP_REVISION;
    r.rsdt_address = (uint32_t)(gpa + l->rsdt);
    r.length = sizeof(r);
    r.xsdt_address = gpa + l->xsdt;
    memcpy(buf + l->rsdp, &r, sizeof(r));
    set_checksum(buf + l->rsdp, RSDP_V1_LEN, offsetof(struct acpi_rsdp, checksum));
    set_checksum(buf + l->rsdp, sizeof(r), offsetof(struct acpi_rsdp, ext_checksum));
}

/* The RSDT (32-bit entries) and XSDT (64-bit) list the FADT, the MADT
 * and the MCFG and the DMAR when there are. */
static void write_roots(uint8_t *buf, uint64_t gpa, const struct layout *l)
{
    struct {
        struct acpi_sdt_header h;
        uint32_t e[MAX_ROOT_ENTRIES];
    } __attribute__((packed)) rsdt;
    struct {
        struct acpi_sdt_header h;
        uint64_t e[MAX_ROOT_ENTRIES];
    } __attribute__((packed)) xsdt;
    size_t tables[MAX_ROOT_ENTRIES] = { l->fadt, l->madt, 0, 0 };
    unsigned n = 2;
    uint32_t rlen = (uint32_t)(sizeof(rsdt.h) + 4 * l->nroots);
    uint32_t xlen = (uint32_t)(sizeof(xsdt.h) + 8 * l->nroots);

    if (l->has_mcfg)
        tables[n++] = l->mcfg;
    if (l->has_dmar)
        tables[n++] = l->dmar;
    header(&rsdt.h, "RSDT", rlen, RSDT_REVISION);
    header(&xsdt.h, "XSDT", xlen, XSDT_REVISION);
    for (unsigned i = 0; i < l->nroots; i++) {
        rsdt.e[i] = (uint32_t)(gpa + tables[i]);
        xsdt.e[i] = gpa + tables[i];
    }
    put_sdt(buf, l->rsdt, &rsdt, rlen);
    put_sdt(buf, l->xsdt, &xsdt, xlen);
}

/* One ECAM allocation for segment 0, buses 0 .. pci_end_bus. */
static void write_mcfg(const struct guest_acpi_params *p, uint8_t *buf, const struct layout *l)
{
    struct {
        struct acpi_mcfg m;
        struct acpi_mcfg_alloc a;
    } __attribute__((packed)) t;

    memset(&t, 0, sizeof(t));
    header(&t.m.h, "MCFG", sizeof(t), MCFG_REVISION);
    t.a.base = p->ecam_base;
    t.a.start_bus = 0;
    t.a.end_bus = p->pci_end_bus;
    put_sdt(buf, l->mcfg, &t, sizeof(t));
}

/* VT-d 8.1, 8.3, 8.3.1: the interrupt-remapping unit and the I/O APIC
 * under it; X2APIC_OPT_OUT clear, so an OS may use x2APIC mode with it. */
static void write_dmar(const struct guest_acpi_params *p, uint8_t *buf, const struct layout *l)
{
    struct {
        struct acpi_dmar d;
        struct acpi_dmar_drhd u;
        struct acpi_dmar_scope s;
    } __attribute__((packed)) t;

    memset(&t, 0, sizeof(t));
    header(&t.d.h, "DMAR", sizeof(t), DMAR_REVISION);
    t.d.host_addr_width = DMAR_HAW;
    t.d.flags = ACPI_DMAR_INTR_REMAP;
    t.u.type = 0;
    t.u.length = sizeof(t.u) + sizeof(t.s);
    t.u.base = p->dmar_base;
    t.s.type = ACPI_DMAR_SCOPE_IOAPIC;
    t.s.length = sizeof(t.s);
    t.s.enum_id = p->ioapic_id;
    t.s.start_bus = (uint8_t)(p->dmar_ioapic_sid >> 8);
    t.s.path_dev = (uint8_t)((p->dmar_ioapic_sid >> 3) & 0x1f);
    t.s.path_fn = (uint8_t)(p->dmar_ioapic_sid & 7);
    put_sdt(buf, l->dmar, &t, sizeof(t));
}

static struct acpi_gas gas_io(uint16_t port, uint8_t bytes)
{
    return (struct acpi_gas){ .space_id = ACPI_GAS_SYSTEM_IO, .bit_width = (uint8_t)(8 * bytes),
                              .address = port };
}

/* The PM1a event and control blocks and the PM timer (hv/dev/acpi_pm.h),
 * in the 32-bit fields and the X_ generic addresses alike (5.2.9). */
static void fadt_pm_blocks(struct acpi_fadt *f, const struct guest_acpi_params *p)
{
    uint16_t base = p->pm_base;
    uint16_t tmr = p->pm_tmr_port ? p->pm_tmr_port : (uint16_t)(base + ACPI_PM_TMR_OFF);
    f->pm1a_evt_blk = base + ACPI_PM_EVT_OFF;
    f->pm1_evt_len = ACPI_PM_EVT_LEN;
    f->pm1a_cnt_blk = base + ACPI_PM_CNT_OFF;
    f->pm1_cnt_len = ACPI_PM_CNT_LEN;
    f->pm_tmr_blk = tmr;
    f->pm_tmr_len = ACPI_PM_TMR_LEN;
    f->x_pm1a_evt_blk = gas_io((uint16_t)(base + ACPI_PM_EVT_OFF), ACPI_PM_EVT_LEN);
    f->x_pm1a_cnt_blk = gas_io((uint16_t)(base + ACPI_PM_CNT_OFF), ACPI_PM_CNT_LEN);
    f->x_pm_tmr_blk = gas_io(tmr, ACPI_PM_TMR_LEN);
    if (p->pm_tmr_port && p->pm_tmr_ext32)
        f->flags |= ACPI_FADT_TMR_VAL_EXT;
}

static void write_fadt(const struct guest_acpi_params *p, uint8_t *buf, uint64_t gpa,
                       const struct layout *l)
{
    struct acpi_fadt f;

    memset(&f, 0, sizeof(f));
    header(&f.h, "FACP", sizeof(f), FADT_REVISION);
    f.firmware_ctrl = (uint32_t)(gpa + l->facs);
    f.x_firmware_ctrl = gpa + l->facs;
    f.dsdt = (uint32_t)(gpa + l->dsdt);
    f.x_dsdt = gpa + l->dsdt;
    f.sci_int = GUEST_ACPI_SCI_IRQ;
    f.p_lvl2_lat = C2_NOT_SUPPORTED;
    f.p_lvl3_lat = C3_NOT_SUPPORTED;
    f.century = p->have_rtc ? GUEST_ACPI_RTC_CENTURY : 0;
    f.iapc_boot_arch = (uint16_t)(ACPI_BOOT_LEGACY_DEVICES | ACPI_BOOT_NO_VGA |
                                  (p->have_rtc ? 0 : ACPI_BOOT_NO_CMOS_RTC));
    f.flags = ACPI_FADT_WBINVD | ACPI_FADT_PROC_C1 | ACPI_FADT_PWR_BUTTON |
              ACPI_FADT_SLP_BUTTON | ACPI_FADT_FIX_RTC;
    if (p->have_8042)
        f.iapc_boot_arch |= ACPI_BOOT_8042;
    if (p->reset_port) {
        /* ACPI 6.5 5.2.9 table 5.9: RESET_REG must be system I/O, memory
         * or PCI configuration space with a bit width of 8, offset 0. */
        f.reset_reg = gas_io(p->reset_port, 1);
        f.reset_reg.access_size = ACPI_GAS_ACCESS_BYTE;
        f.reset_value = p->reset_value;
        f.flags |= ACPI_FADT_RESET_REG_SUP;
    }
    if (p->pm_base)
        fadt_pm_blocks(&f, p);
    f.minor_version = FADT_MINOR;
    memcpy(f.hypervisor_vendor, GUEST_ACPI_OEM_TABLE_ID, 8);
    put_sdt(buf, l->fadt, &f, sizeof(f));
}

static void write_facs(uint8_t *buf, const struct layout *l)
{
    struct acpi_facs f;

    memset(&f, 0, sizeof(f));
    memcpy(f.signature, "FACS", 4);
    f.length = sizeof(f);
    f.version = FACS_VERSION;
    memcpy(buf + l->facs, &f, sizeof(f));
}

/* Written in place (the caller checked the room): header, \_S5, \_SB. */
static void write_dsdt(const struct guest_acpi_params *p, uint8_t *buf, const struct layout *l)
{
    struct acpi_sdt_header h;
    uint32_t len = dsdt_len(p);
    uint8_t *t = buf + l->dsdt;
    size_t at = sizeof(h);

    header(&h, "DSDT", len, DSDT_REVISION);
    memcpy(t, &h, sizeof(h));
    if (p->pm_base) {
        memcpy(t + at, aml_s5, sizeof(aml_s5));
        at += sizeof(aml_s5);
    }
    guest_aml_sb(p, t + at, len - at);
    set_checksum(t, len, offsetof(struct acpi_sdt_header, checksum));
}

/* One Processor Local APIC or x2APIC entry per vCPU at *off. */
static void madt_cpus(const struct guest_acpi_params *p, uint8_t *buf, size_t *off)
{
    for (unsigned i = 0; i < p->nvcpus; i++) {
        if (p->x2apic) {
            struct acpi_madt_x2apic e = { .type = ACPI_MADT_X2APIC, .length = sizeof(e),
                                          .x2apic_id = i, .flags = ACPI_MADT_ENABLED,
                                          .uid = i };

            memcpy(buf + *off, &e, sizeof(e));
            *off += sizeof(e);
        } else {
            struct acpi_madt_lapic e = { .type = ACPI_MADT_LAPIC, .length = sizeof(e),
                                         .uid = (uint8_t)i, .apic_id = (uint8_t)i,
                                         .flags = ACPI_MADT_ENABLED };

            memcpy(buf + *off, &e, sizeof(e));
            *off += sizeof(e);
        }
    }
}

static void madt_iso(uint8_t *buf, size_t *off, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    struct acpi_madt_iso e = { .type = ACPI_MADT_ISO, .length = sizeof(e), .bus = ISA_BUS,
                               .source = irq, .gsi = gsi, .flags = flags };

    memcpy(buf + *off, &e, sizeof(e));
    *off += sizeof(e);
}

/* NMI on LINT1 of every processor (edge, active high). */
static void madt_nmi(const struct guest_acpi_params *p, uint8_t *buf, size_t *off)
{
    uint16_t flags = ACPI_INTI_TRIGGER_EDGE | ACPI_INTI_POLARITY_HIGH;

    if (p->x2apic) {
        struct acpi_madt_x2apic_nmi e = { .type = ACPI_MADT_X2APIC_NMI, .length = sizeof(e),
                                          .flags = flags, .uid = ACPI_MADT_ALL_UIDS32,
                                          .lint = LINT1 };

        memcpy(buf + *off, &e, sizeof(e));
        *off += sizeof(e);
    } else {
        struct acpi_madt_lapic_nmi e = { .type = ACPI_MADT_LAPIC_NMI, .length = sizeof(e),
                                         .uid = ACPI_MADT_ALL_UIDS8, .flags = flags,
                                         .lint = LINT1 };

        memcpy(buf + *off, &e, sizeof(e));
        *off += sizeof(e);
    }
}

static void write_madt(const struct guest_acpi_params *p, uint8_t *buf, const struct layout *l)
{
    struct acpi_madt m;
    struct acpi_madt_ioapic io = { .type = ACPI_MADT_IOAPIC, .length = sizeof(io),
                                   .id = p->ioapic_id, .address = GUEST_ACPI_IOAPIC_BASE,
                                   .gsi_base = 0 };
    size_t off = l->madt + sizeof(m);

    memset(&m, 0, sizeof(m));
    header(&m.h, "APIC", l->madt_len, MADT_REVISION);
    m.lapic_address = GUEST_ACPI_LAPIC_BASE;
    m.flags = p->have_pic ? ACPI_MADT_PCAT_COMPAT : 0;
    memcpy(buf + l->madt, &m, sizeof(m));
    madt_cpus(p, buf, &off);
    memcpy(buf + off, &io, sizeof(io));
    off += sizeof(io);
    /* As on PCs: the PIT's IRQ 0 is wired to I/O APIC pin 2; the SCI is
     * level-triggered, active high. */
    madt_iso(buf, &off, PIT_ISA_IRQ, PIT_GSI,
             ACPI_INTI_TRIGGER_EDGE | ACPI_INTI_POLARITY_CONFORM);
    madt_iso(buf, &off, GUEST_ACPI_SCI_IRQ, GUEST_ACPI_SCI_IRQ,
             ACPI_INTI_TRIGGER_LEVEL | ACPI_INTI_POLARITY_HIGH);
    madt_nmi(p, buf, &off);
    set_checksum(buf + l->madt, l->madt_len, offsetof(struct acpi_sdt_header, checksum));
}

int guest_acpi_build(const struct guest_acpi_params *p, uint8_t *buf, size_t buflen,
                     uint64_t buf_gpa, uint64_t *rsdp_gpa)
{
    struct layout l;

    if (!params_ok(p) || !buf || !rsdp_gpa)
        return GUEST_ACPI_EINVAL;
    plan(p, buf_gpa, &l);
    if (buf_gpa >= GIB4 || l.end > GIB4 - buf_gpa)
        return GUEST_ACPI_EINVAL;
    if (l.end > buflen)
        return GUEST_ACPI_ENOSPC;
    memset(buf, 0, l.end);
    write_rsdp(buf, buf_gpa, &l);
    write_roots(buf, buf_gpa, &l);
    write_fadt(p, buf, buf_gpa, &l);
    write_facs(buf, &l);
    write_dsdt(p, buf, &l);
    write_madt(p, buf, &l);
    if (p->ecam_base)
        write_mcfg(p, buf, &l);
    if (p->dmar_base)
        write_dmar(p, buf, &l);
    *rsdp_gpa = buf_gpa + l.rsdp;
    return (int)l.end;
}
