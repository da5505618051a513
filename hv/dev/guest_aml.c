/* SPDX-License-Identifier: MIT */
/*
 * The DSDT's \_SB scope (hv/dev/guest_acpi.h): the PCI root bridge PCI0
 * with its resources, and a motherboard-resources device reserving the
 * ECAM window.  AML encodings: ACPI 6.5 chapter 20 ("ACPI Machine
 * Language Specification"); resource descriptors: 6.4 ("Resource Data
 * Types for ACPI").  Pure: each object is measured first (its PkgLength
 * precedes it), then written into the caller's buffer.
 */
#include "hv/dev/guest_acpi.h"

#include <string.h>

/* AML opcodes (20.2). */
#define AML_ZERO        0x00
#define AML_ONE         0x01
#define AML_NAME        0x08
#define AML_BYTE_PREFIX 0x0a
#define AML_WORD_PREFIX 0x0b
#define AML_DWORD_PREFIX 0x0c
#define AML_SCOPE       0x10
#define AML_BUFFER      0x11
#define AML_EXT_PREFIX  0x5b
#define AML_DEVICE      0x82    /* after AML_EXT_PREFIX */

/* Resource descriptors (6.4.2 small, 6.4.3 large). */
#define RD_IO           0x47    /* I/O port descriptor, 8 bytes */
#define RD_IO_DECODE16  0x01
#define RD_IRQ_NOFLAGS  0x22    /* IRQ descriptor, mask only: high, edge, exclusive (6.4.2.1) */
#define RD_END          0x79    /* end tag, checksum 0 */
#define RD_MEM32_FIXED  0x86    /* 32-bit fixed memory range, 12 bytes */
#define RD_DWORD_ADDR   0x87    /* DWord address space, 26 bytes */
#define RD_WORD_ADDR    0x88    /* Word address space, 16 bytes */
#define RD_QWORD_ADDR   0x8a    /* QWord address space, 46 bytes */
#define RD_TYPE_MEM     0
#define RD_TYPE_IO      1
#define RD_TYPE_BUS     2
#define RD_GEN_FIXED    0x0c    /* _MAF and _MIF set, positive decode, producer (6.4.3.5.1) */
#define RD_IO_RNG_ALL   0x03    /* I/O type-specific flags: _RNG both ISA and non-ISA (6.4.3.5.5) */
#define RD_MEM_RW       0x01    /* memory type-specific flags: _RW, non-cacheable (6.4.3.5.4) */

/* EISA IDs (compressed, stored as the bytes an AML DWordConst holds). */
static const uint8_t eisa_pnp0a03[4] = { 0x41, 0xd0, 0x0a, 0x03 }; /* PCI bus */
static const uint8_t eisa_pnp0c02[4] = { 0x41, 0xd0, 0x0c, 0x02 }; /* motherboard resources */
static const uint8_t eisa_pnp0b00[4] = { 0x41, 0xd0, 0x0b, 0x00 }; /* AT real-time clock */

/* Emits into p, or only counts when p is NULL (the measuring pass that
 * every PkgLength needs before its contents). */
struct aml_w {
    uint8_t *p;
    size_t n;
};

typedef void (*aml_body_fn)(struct aml_w *w, const struct guest_acpi_params *p);

static void put(struct aml_w *w, const void *src, size_t n)
{
    if (w->p != NULL)
        memcpy(w->p + w->n, src, n);
    w->n += n;
}

static void put_u8(struct aml_w *w, uint8_t b)
{
    put(w, &b, 1);
}

static void put_le(struct aml_w *w, uint64_t v, unsigned n)
{
    uint8_t b[8];

    for (unsigned i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    put(w, b, n);
}

static size_t measure(aml_body_fn body, const struct guest_acpi_params *p)
{
    struct aml_w m = { NULL, 0 };

    body(&m, p);
    return m.n;
}

/* PkgLength (20.2.4) for n bytes following it. */
static void put_pkglen(struct aml_w *w, size_t n)
{
    size_t k = n + 1 <= 0x3f ? 1 : n + 2 <= 0xfff ? 2 : n + 3 <= 0xfffff ? 3 : 4;
    size_t v = n + k;

    if (k == 1) {
        put_u8(w, (uint8_t)v);
        return;
    }
    put_u8(w, (uint8_t)(((k - 1) << 6) | (v & 0xf)));
    for (size_t i = 1; i < k; i++)
        put_u8(w, (uint8_t)(v >> (4 + 8 * (i - 1))));
}

/* op (1 or 2 bytes), PkgLength, the name head, then body's bytes. */
static void put_pkg(struct aml_w *w, const uint8_t *op, size_t oplen, const char *head,
                    aml_body_fn body, const struct guest_acpi_params *p)
{
    size_t hl = strlen(head);

    put(w, op, oplen);
    put_pkglen(w, hl + measure(body, p));
    put(w, head, hl);
    body(w, p);
}

/* Name (seg, EisaId (id)) */
static void put_name_eisa(struct aml_w *w, const char *seg, const uint8_t id[4])
{
    put_u8(w, AML_NAME);
    put(w, seg, 4);
    put_u8(w, AML_DWORD_PREFIX);
    put(w, id, 4);
}

/* Name (seg, Zero or One) */
static void put_name_bit(struct aml_w *w, const char *seg, uint8_t zero_or_one)
{
    put_u8(w, AML_NAME);
    put(w, seg, 4);
    put_u8(w, zero_or_one);
}

/* Name (_CRS, Buffer () { resources }) */
static void put_crs(struct aml_w *w, aml_body_fn resources, const struct guest_acpi_params *p)
{
    static const uint8_t buf_op = AML_BUFFER;
    size_t n = measure(resources, p), term = n <= 0xff ? 2 : 3;

    put_u8(w, AML_NAME);
    put(w, "_CRS", 4);
    put(w, &buf_op, 1);
    put_pkglen(w, term + n);
    if (term == 2) {
        put_u8(w, AML_BYTE_PREFIX);
        put_u8(w, (uint8_t)n);
    } else {
        put_u8(w, AML_WORD_PREFIX);
        put_le(w, n, 2);
    }
    resources(w, p);
}

/* Word, DWord or QWord address space descriptor (6.4.3.5.1-3): producer,
 * fixed range [min, min + len). */
static void rd_addr(struct aml_w *w, uint8_t type, uint8_t tflags, uint64_t min, uint64_t len)
{
    unsigned sz = type == RD_TYPE_MEM ? (min + len > (1ull << 32) ? 8 : 4) : 2;

    put_u8(w, sz == 2 ? RD_WORD_ADDR : sz == 4 ? RD_DWORD_ADDR : RD_QWORD_ADDR);
    put_le(w, 3 + 5 * sz, 2);
    put_u8(w, type);
    put_u8(w, RD_GEN_FIXED);
    put_u8(w, tflags);
    put_le(w, 0, sz);             /* _GRA */
    put_le(w, min, sz);           /* _MIN */
    put_le(w, min + len - 1, sz); /* _MAX */
    put_le(w, 0, sz);             /* _TRA */
    put_le(w, len, sz);           /* _LEN */
}

static void put_end_tag(struct aml_w *w)
{
    put_u8(w, RD_END);
    put_u8(w, 0);
}

/* PCI0's _CRS: its bus range, the configuration ports it consumes, the
 * I/O space around them and the memory windows (PCI Firmware 3.2 4.1.2;
 * Linux warns without a bus range and ignores windows it cannot read). */
static void pci0_resources(struct aml_w *w, const struct guest_acpi_params *p)
{
    static const uint8_t cfg_ports[8] = { RD_IO, RD_IO_DECODE16, 0xf8, 0x0c, 0xf8, 0x0c, 1, 8 };

    rd_addr(w, RD_TYPE_BUS, 0, 0, (uint64_t)p->pci_end_bus + 1);
    put(w, cfg_ports, sizeof(cfg_ports));
    rd_addr(w, RD_TYPE_IO, RD_IO_RNG_ALL, 0, 0xcf8);
    rd_addr(w, RD_TYPE_IO, RD_IO_RNG_ALL, 0xd00, 0x10000 - 0xd00);
    for (unsigned i = 0; i < p->nwindows && i < GUEST_ACPI_MAX_WINDOWS; i++)
        rd_addr(w, RD_TYPE_MEM, RD_MEM_RW, p->window[i].base, p->window[i].size);
    put_end_tag(w);
}

/* Device (PCI0) { _HID PNP0A03, _UID 0 [, _CRS] } */
static void pci0_body(struct aml_w *w, const struct guest_acpi_params *p)
{
    put_name_eisa(w, "_HID", eisa_pnp0a03);
    put_name_bit(w, "_UID", AML_ZERO);
    if (p->pci_crs)
        put_crs(w, pci0_resources, p);
}

/* Memory32Fixed (ReadWrite, ECAM base, buses * 1 MiB) */
static void mres_resources(struct aml_w *w, const struct guest_acpi_params *p)
{
    put_u8(w, RD_MEM32_FIXED);
    put_le(w, 9, 2);
    put_u8(w, RD_MEM_RW);
    put_le(w, p->ecam_base, 4);
    put_le(w, ((uint64_t)p->pci_end_bus + 1) << 20, 4);
    put_end_tag(w);
}

/* Device (MRES) { _HID PNP0C02, _UID 1, _CRS { the ECAM window } }: a
 * motherboard resource, where Linux looks before it trusts an MCFG window
 * ("MMCONFIG ... reserved as ACPI motherboard resource"; PCI Firmware 3.2
 * 4.1.2: the range must be reserved). */
static void mres_body(struct aml_w *w, const struct guest_acpi_params *p)
{
    put_name_eisa(w, "_HID", eisa_pnp0c02);
    put_name_bit(w, "_UID", AML_ONE);
    put_crs(w, mres_resources, p);
}

/* IO (Decode16, 0x70, 0x70, 1, 2), IRQNoFlags () { 8 } */
static void rtc_resources(struct aml_w *w, const struct guest_acpi_params *p)
{
    static const uint8_t res[] = { RD_IO, RD_IO_DECODE16, 0x70, 0x00, 0x70, 0x00, 1, 2,
                                   RD_IRQ_NOFLAGS, 0x00, 0x01 /* mask: bit 8 */ };
    (void)p;
    put(w, res, sizeof(res));
    put_end_tag(w);
}

/* Device (RTC) { _HID PNP0B00, _CRS { ports 70H-71H, IRQ 8 } }: the CMOS
 * RTC as PC firmware describes it, so an OS binds its driver to it and
 * takes the interrupt from here (hv/dev/rtc.h). */
static void rtc_body(struct aml_w *w, const struct guest_acpi_params *p)
{
    put_name_eisa(w, "_HID", eisa_pnp0b00);
    put_crs(w, rtc_resources, p);
}

static void sb_body(struct aml_w *w, const struct guest_acpi_params *p)
{
    static const uint8_t dev_op[2] = { AML_EXT_PREFIX, AML_DEVICE };

    put_pkg(w, dev_op, 2, "PCI0", pci0_body, p);
    if (p->ecam_base)
        put_pkg(w, dev_op, 2, "MRES", mres_body, p);
    if (p->have_rtc)
        put_pkg(w, dev_op, 2, "RTC_", rtc_body, p);
}

size_t guest_aml_sb(const struct guest_acpi_params *p, uint8_t *out, size_t cap)
{
    static const uint8_t scope_op = AML_SCOPE;
    struct aml_w w = { NULL, 0 };

    if (!p->pci_host)
        return 0;
    put_pkg(&w, &scope_op, 1, "\\_SB_", sb_body, p);
    if (out != NULL && w.n <= cap) {
        w.p = out;
        w.n = 0;
        put_pkg(&w, &scope_op, 1, "\\_SB_", sb_body, p);
    }
    return w.n;
}
