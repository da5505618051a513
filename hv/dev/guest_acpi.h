/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables Keel builds for a guest (ACPI 6.5): RSDP -> RSDT and XSDT
 * -> FADT (-> FACS, DSDT) and MADT, laid out in one buffer that the guest
 * sees at a given guest-physical address.  Keel puts it at 0xE0000 so that
 * the legacy scan of 0xE0000-0xFFFFF for "RSD PTR " on 16-byte boundaries
 * finds the RSDP; the tables must lie below 4 GiB (the RSDT and the FADT's
 * 32-bit fields point at them).
 *
 * What the guest is told:
 *  - MADT (rev. 6): local APIC at 0xFEE00000, PCAT_COMPAT when the 8259s
 *    exist; per vCPU i a Processor Local APIC (UID i, APIC ID i, enabled) or,
 *    with x2apic, a Processor Local x2APIC (UID i, x2APIC ID i); one I/O APIC
 *    (params' ID, 0xFEC00000, GSI base 0); overrides ISA IRQ 0 -> GSI 2
 *    (edge, polarity conforming) and IRQ 9 -> GSI 9 (level, active high);
 *    NMI on LINT1 of all processors (Local APIC NMI, UID 0xFF, or Local
 *    x2APIC NMI, UID 0xFFFFFFFF), edge, active high.
 *  - FADT (rev. 6.5): not hardware-reduced (a HW-reduced x86 guest drops the
 *    PIT and 8259s Keel emulates); no SMI command port (always in ACPI mode);
 *    with pm_base, the PM1a event and control blocks and the PM timer
 *    (hv/dev/acpi_pm.h), else none; no GPE blocks; with reset_port, RESET_REG
 *    (system I/O, 8 bits, byte access) and RESET_VALUE with the flag
 *    RESET_REG_SUP, as chipsets point it at RST_CNT 0xCF9 with 06h;
 *    SCI_INT 9; flags WBINVD, PROC_C1, PWR_BUTTON and SLP_BUTTON (none fixed), FIX_RTC;
 *    IAPC_BOOT_ARCH: LEGACY_DEVICES (COM1 is an ISA device), 8042 if have_8042, VGA not
 *    present, and "CMOS RTC not present" unless have_rtc (then CENTURY = 0x32).  DSDT and X_DSDT
 *    (and FIRMWARE_CTRL and X_FIRMWARE_CTRL) hold the same address.
 *  - FACS: required on non-HW-reduced platforms; 64 bytes, 64-byte aligned.
 *  - DSDT (rev. 2): with pm_base, the \_S5 object (soft-off, SLP_TYP 5);
 *    with pci_host, \_SB.PCI0 (PNP0A03, the PCI root bridge), with pci_crs
 *    its _CRS (buses 0 .. pci_end_bus, the CF8-CFF ports, the I/O windows
 *    0-CF7 and D00-FFFF, the memory windows), and with ecam_base \_SB.MRES
 *    (PNP0C02) reserving the ECAM window, and with have_rtc \_SB.RTC_
 *    (PNP0B00: ports 70H-71H, IRQ 8) (hv/dev/guest_aml.c); with neither
 *    an empty AML body, which is valid AML.
 *  - MCFG (rev. 1), with ecam_base: one allocation, segment 0, buses 0 ..
 *    pci_end_bus at ecam_base (PCI Firmware 3.2 4.1.2).
 *  - DMAR (rev. 1), with dmar_base: host address width 48, INTR_REMAP set,
 *    X2APIC_OPT_OUT clear; one DRHD (segment 0, INCLUDE_PCI_ALL clear,
 *    registers at dmar_base, one 4 KiB page) whose only device scope is the
 *    I/O APIC (type 3, enumeration ID ioapic_id, start bus and path from
 *    dmar_ioapic_sid): an interrupt-remapping unit with no device to
 *    translate DMA for (VT-d 8.1, 8.3, 8.3.1; hv/dev/vtd_ir.h).
 *
 * Pure code over a caller-provided buffer: no locking needed.
 */
#ifndef KEEL_HV_GUEST_ACPI_H
#define KEEL_HV_GUEST_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GUEST_ACPI_MAX_CPUS     64
#define GUEST_ACPI_MAX_WINDOWS  4           /* PCI0 _CRS memory windows */
#define GUEST_ACPI_BIOS_GPA     0xE0000ull  /* where Keel maps the tables */
#define GUEST_ACPI_LAPIC_BASE   0xFEE00000u
#define GUEST_ACPI_IOAPIC_BASE  0xFEC00000u
#define GUEST_ACPI_SCI_IRQ      9
#define GUEST_ACPI_RTC_CENTURY  0x32        /* CMOS index of the century (hv/dev/rtc.h) */
#define GUEST_ACPI_OEM_ID       "KEEL  "    /* 6 bytes */
#define GUEST_ACPI_OEM_TABLE_ID "KEELVM  "  /* 8 bytes */
#define GUEST_ACPI_CREATOR_ID   "KEEL"      /* 4 bytes */

/* Errors (negative, errno-valued). */
#define GUEST_ACPI_EINVAL       (-22)   /* bad parameters, or not below 4 GiB */
#define GUEST_ACPI_ENOSPC       (-28)   /* buflen too small */

struct guest_acpi_params {
    unsigned nvcpus;        /* 1 .. GUEST_ACPI_MAX_CPUS; APIC IDs 0 .. nvcpus - 1 */
    bool x2apic;            /* MADT lists Processor Local x2APIC entries */
    uint8_t ioapic_id;
    bool have_pic;          /* dual 8259s: MADT PCAT_COMPAT */
    bool have_rtc;          /* a CMOS RTC at ports 0x70/0x71 */
    uint16_t pm_base;       /* ACPI PM1a blocks and PM timer (hv/dev/acpi_pm.h) at this
                             * port, with \_S5 in the DSDT; 0: none */
    uint16_t pm_tmr_port;   /* with pm_base: the PM timer at this port instead of
                             * pm_base + ACPI_PM_TMR_OFF (the host's, docs/config.md
                             * pm_timer); 0: there */
    bool pm_tmr_ext32;      /* ... a 32-bit counter (FADT TMR_VAL_EXT) */
    bool pci_host;          /* a PCI host bridge (hv/dev/pci.h): \_SB.PCI0 in the DSDT */
    bool pci_crs;           /* ... with a _CRS: */
    uint8_t pci_end_bus;    /* buses 0 .. this */
    unsigned nwindows;      /* memory windows, each below or above 4 GiB */
    struct { uint64_t base, size; } window[GUEST_ACPI_MAX_WINDOWS];
    uint64_t ecam_base;     /* an MCFG and a PNP0C02 for buses 0 .. pci_end_bus here; 0: none */
    uint16_t reset_port;    /* FADT RESET_REG: this I/O port (byte), 0: no reset register */
    uint8_t reset_value;    /* ... and RESET_VALUE */
    bool have_8042;         /* an 8042 at 60h/64h: IAPC_BOOT_ARCH 8042 */
    uint64_t dmar_base;     /* a DMAR with one DRHD at this register base; 0: none */
    uint16_t dmar_ioapic_sid; /* ... the I/O APIC's source-id (bus << 8 | dev << 3 | fn) */
};

/* ---- Table layouts (ACPI 6.5 chapter 5.2), little-endian, packed. ---- */

struct acpi_rsdp {                  /* 5.2.5.3 */
    char signature[8];              /* 0: "RSD PTR " */
    uint8_t checksum;               /* 8: bytes 0-19 sum to 0 */
    char oem_id[6];                 /* 9 */
    uint8_t revision;               /* 15: 2 */
    uint32_t rsdt_address;          /* 16 */
    uint32_t length;                /* 20: 36 */
    uint64_t xsdt_address;          /* 24 */
    uint8_t ext_checksum;           /* 32: bytes 0-35 sum to 0 */
    uint8_t reserved[3];            /* 33 */
} __attribute__((packed));

struct acpi_sdt_header {            /* 5.2.6 */
    char signature[4];              /* 0 */
    uint32_t length;                /* 4: whole table */
    uint8_t revision;               /* 8 */
    uint8_t checksum;               /* 9: whole table sums to 0 */
    char oem_id[6];                 /* 10 */
    char oem_table_id[8];           /* 16 */
    uint32_t oem_revision;          /* 24 */
    char creator_id[4];             /* 28 */
    uint32_t creator_revision;      /* 32 */
} __attribute__((packed));

struct acpi_gas {                   /* 5.2.3.2 generic address */
    uint8_t space_id;
    uint8_t bit_width;
    uint8_t bit_offset;
    uint8_t access_size;
    uint64_t address;
} __attribute__((packed));

struct acpi_fadt {                  /* 5.2.9, table 5.9 */
    struct acpi_sdt_header h;       /* 0: "FACP", revision 6 */
    uint32_t firmware_ctrl;         /* 36: FACS */
    uint32_t dsdt;                  /* 40 */
    uint8_t reserved0;              /* 44 */
    uint8_t preferred_pm_profile;   /* 45 */
    uint16_t sci_int;               /* 46 */
    uint32_t smi_cmd;               /* 48 */
    uint8_t acpi_enable;            /* 52 */
    uint8_t acpi_disable;           /* 53 */
    uint8_t s4bios_req;             /* 54 */
    uint8_t pstate_cnt;             /* 55 */
    uint32_t pm1a_evt_blk;          /* 56 */
    uint32_t pm1b_evt_blk;          /* 60 */
    uint32_t pm1a_cnt_blk;          /* 64 */
    uint32_t pm1b_cnt_blk;          /* 68 */
    uint32_t pm2_cnt_blk;           /* 72 */
    uint32_t pm_tmr_blk;            /* 76 */
    uint32_t gpe0_blk;              /* 80 */
    uint32_t gpe1_blk;              /* 84 */
    uint8_t pm1_evt_len;            /* 88 */
    uint8_t pm1_cnt_len;            /* 89 */
    uint8_t pm2_cnt_len;            /* 90 */
    uint8_t pm_tmr_len;             /* 91 */
    uint8_t gpe0_blk_len;           /* 92 */
    uint8_t gpe1_blk_len;           /* 93 */
    uint8_t gpe1_base;              /* 94 */
    uint8_t cst_cnt;                /* 95 */
    uint16_t p_lvl2_lat;            /* 96 */
    uint16_t p_lvl3_lat;            /* 98 */
    uint16_t flush_size;            /* 100 */
    uint16_t flush_stride;          /* 102 */
    uint8_t duty_offset;            /* 104 */
    uint8_t duty_width;             /* 105 */
    uint8_t day_alrm;               /* 106 */
    uint8_t mon_alrm;               /* 107 */
    uint8_t century;                /* 108 */
    uint16_t iapc_boot_arch;        /* 109 */
    uint8_t reserved1;              /* 111 */
    uint32_t flags;                 /* 112 */
    struct acpi_gas reset_reg;      /* 116 */
    uint8_t reset_value;            /* 128 */
    uint16_t arm_boot_arch;         /* 129 */
    uint8_t minor_version;          /* 131 */
    uint64_t x_firmware_ctrl;       /* 132 */
    uint64_t x_dsdt;                /* 140 */
    struct acpi_gas x_pm1a_evt_blk; /* 148 */
    struct acpi_gas x_pm1b_evt_blk; /* 160 */
    struct acpi_gas x_pm1a_cnt_blk; /* 172 */
    struct acpi_gas x_pm1b_cnt_blk; /* 184 */
    struct acpi_gas x_pm2_cnt_blk;  /* 196 */
    struct acpi_gas x_pm_tmr_blk;   /* 208 */
    struct acpi_gas x_gpe0_blk;     /* 220 */
    struct acpi_gas x_gpe1_blk;     /* 232 */
    struct acpi_gas sleep_control;  /* 244 */
    struct acpi_gas sleep_status;   /* 256 */
    char hypervisor_vendor[8];      /* 268 */
} __attribute__((packed));          /* 276 */

/* FADT flags (table 5.10). */
#define ACPI_GAS_SYSTEM_IO          1
#define ACPI_GAS_ACCESS_BYTE        1   /* generic address access size (5.2.3.2) */

#define ACPI_FADT_WBINVD            (1u << 0)
#define ACPI_FADT_PROC_C1           (1u << 2)
#define ACPI_FADT_PWR_BUTTON        (1u << 4)   /* no fixed power button */
#define ACPI_FADT_SLP_BUTTON        (1u << 5)   /* no fixed sleep button */
#define ACPI_FADT_FIX_RTC           (1u << 6)   /* no RTC wake status in PM1 */
#define ACPI_FADT_TMR_VAL_EXT       (1u << 8)   /* the PM timer counts 32 bits */
#define ACPI_FADT_RESET_REG_SUP     (1u << 10)
#define ACPI_FADT_HW_REDUCED        (1u << 20)

/* IA-PC boot architecture flags (table 5.11). */
#define ACPI_BOOT_LEGACY_DEVICES    (1u << 0)
#define ACPI_BOOT_8042              (1u << 1)
#define ACPI_BOOT_NO_VGA            (1u << 2)
#define ACPI_BOOT_NO_MSI            (1u << 3)
#define ACPI_BOOT_NO_ASPM           (1u << 4)
#define ACPI_BOOT_NO_CMOS_RTC       (1u << 5)

struct acpi_facs {                  /* 5.2.10 */
    char signature[4];              /* 0: "FACS" (no checksum) */
    uint32_t length;                /* 4: 64 */
    uint32_t hardware_signature;    /* 8 */
    uint32_t firmware_waking_vector; /* 12 */
    uint32_t global_lock;           /* 16 */
    uint32_t flags;                 /* 20 */
    uint64_t x_firmware_waking_vector; /* 24 */
    uint8_t version;                /* 32: 2 */
    uint8_t reserved[3];            /* 33 */
    uint32_t ospm_flags;            /* 36 */
    uint8_t reserved2[24];          /* 40 */
} __attribute__((packed));          /* 64 */

struct acpi_madt {                  /* 5.2.12, table 5.19 */
    struct acpi_sdt_header h;       /* 0: "APIC", revision 6 */
    uint32_t lapic_address;         /* 36 */
    uint32_t flags;                 /* 40 */
} __attribute__((packed));          /* 44: entries follow */

#define ACPI_MADT_PCAT_COMPAT       (1u << 0)

/* MADT entry types (table 5.21) and flags. */
#define ACPI_MADT_LAPIC             0
#define ACPI_MADT_IOAPIC            1
#define ACPI_MADT_ISO               2
#define ACPI_MADT_LAPIC_NMI         4
#define ACPI_MADT_X2APIC            9
#define ACPI_MADT_X2APIC_NMI        10
#define ACPI_MADT_ENABLED           (1u << 0)   /* Local APIC flags */
#define ACPI_MADT_ALL_UIDS8         0xFFu
#define ACPI_MADT_ALL_UIDS32        0xFFFFFFFFu
/* MPS INTI flags (table 5.26): polarity bits 1:0, trigger mode bits 3:2. */
#define ACPI_INTI_POLARITY_CONFORM  0x0u
#define ACPI_INTI_POLARITY_HIGH     0x1u
#define ACPI_INTI_POLARITY_LOW      0x3u
#define ACPI_INTI_TRIGGER_CONFORM   (0x0u << 2)
#define ACPI_INTI_TRIGGER_EDGE      (0x1u << 2)
#define ACPI_INTI_TRIGGER_LEVEL     (0x3u << 2)

struct acpi_madt_lapic {            /* 5.2.12.2 */
    uint8_t type, length;           /* 0, 8 */
    uint8_t uid;                    /* 2 */
    uint8_t apic_id;                /* 3 */
    uint32_t flags;                 /* 4 */
} __attribute__((packed));

struct acpi_madt_ioapic {           /* 5.2.12.3 */
    uint8_t type, length;           /* 1, 12 */
    uint8_t id;                     /* 2 */
    uint8_t reserved;               /* 3 */
    uint32_t address;               /* 4 */
    uint32_t gsi_base;              /* 8 */
} __attribute__((packed));

struct acpi_madt_iso {              /* 5.2.12.5 */
    uint8_t type, length;           /* 2, 10 */
    uint8_t bus;                    /* 2: 0 = ISA */
    uint8_t source;                 /* 3: bus-relative IRQ */
    uint32_t gsi;                   /* 4 */
    uint16_t flags;                 /* 8: MPS INTI */
} __attribute__((packed));

struct acpi_madt_lapic_nmi {        /* 5.2.12.7 */
    uint8_t type, length;           /* 4, 6 */
    uint8_t uid;                    /* 2 */
    uint16_t flags;                 /* 3 */
    uint8_t lint;                   /* 5 */
} __attribute__((packed));

struct acpi_madt_x2apic {           /* 5.2.12.12 */
    uint8_t type, length;           /* 9, 16 */
    uint16_t reserved;              /* 2 */
    uint32_t x2apic_id;             /* 4 */
    uint32_t flags;                 /* 8 */
    uint32_t uid;                   /* 12 */
} __attribute__((packed));

struct acpi_madt_x2apic_nmi {       /* 5.2.12.13 */
    uint8_t type, length;           /* 10, 12 */
    uint16_t flags;                 /* 2 */
    uint32_t uid;                   /* 4 */
    uint8_t lint;                   /* 8 */
    uint8_t reserved[3];            /* 9 */
} __attribute__((packed));

struct acpi_mcfg {                  /* PCI Firmware 3.2 4.1.2, table 4-3 */
    struct acpi_sdt_header h;       /* 0: "MCFG", revision 1 */
    uint8_t reserved[8];            /* 36 */
} __attribute__((packed));          /* 44: allocations follow */

struct acpi_mcfg_alloc {            /* table 4-3: one ECAM window */
    uint64_t base;                  /* 0 */
    uint16_t segment;               /* 8 */
    uint8_t start_bus;              /* 10 */
    uint8_t end_bus;                /* 11 */
    uint32_t reserved;              /* 12 */
} __attribute__((packed));          /* 16 */

struct acpi_dmar {                  /* VT-d 8.1, table "DMAR" */
    struct acpi_sdt_header h;       /* 0: "DMAR", revision 1 */
    uint8_t host_addr_width;        /* 36: width - 1 */
    uint8_t flags;                  /* 37: ACPI_DMAR_* */
    uint8_t reserved[10];           /* 38 */
} __attribute__((packed));          /* 48: remapping structures follow */

#define ACPI_DMAR_INTR_REMAP        (1u << 0)
#define ACPI_DMAR_X2APIC_OPT_OUT    (1u << 1)

struct acpi_dmar_drhd {             /* VT-d 8.3 */
    uint16_t type;                  /* 0: 0 (DRHD) */
    uint16_t length;                /* 2: with its device scopes */
    uint8_t flags;                  /* 4: bit 0 INCLUDE_PCI_ALL */
    uint8_t size;                   /* 5: 2^size 4 KiB pages of registers */
    uint16_t segment;               /* 6 */
    uint64_t base;                  /* 8: register base address */
} __attribute__((packed));          /* 16: device scopes follow */

struct acpi_dmar_scope {            /* VT-d 8.3.1, with a one-hop path */
    uint8_t type;                   /* 0: 3 = I/O APIC */
    uint8_t length;                 /* 1: 6 + 2 per hop */
    uint8_t flags;                  /* 2 */
    uint8_t reserved;               /* 3 */
    uint8_t enum_id;                /* 4: the I/O APIC's ID */
    uint8_t start_bus;              /* 5 */
    uint8_t path_dev, path_fn;      /* 6: (device, function) */
} __attribute__((packed));          /* 8 */

#define ACPI_DMAR_SCOPE_IOAPIC      3

/* The DSDT's \_SB scope for p (hv/dev/guest_aml.c): its length, and the
 * bytes into out when it fits in cap (out may be NULL to measure); 0 when
 * p has no PCI host. */
size_t guest_aml_sb(const struct guest_acpi_params *p, uint8_t *out, size_t cap);

/* Bytes guest_acpi_build() needs for p at buf_gpa (alignment padding
 * included), or 0 when p is invalid. */
size_t guest_acpi_size(const struct guest_acpi_params *p, uint64_t buf_gpa);

/*
 * Lays the tables out in buf, which the guest sees at buf_gpa: the RSDP
 * first, at the first 16-byte-aligned address, the other tables after it.
 * Every byte up to the returned length is written (gaps are zero).  Sets
 * *rsdp_gpa.  Returns the bytes used (from buf), GUEST_ACPI_EINVAL (nvcpus
 * outside 1..64, NULL pointers, tables not below 4 GiB) or GUEST_ACPI_ENOSPC
 * (buflen too small); on error buf and *rsdp_gpa are untouched.
 */
int guest_acpi_build(const struct guest_acpi_params *p, uint8_t *buf, size_t buflen,
                     uint64_t buf_gpa, uint64_t *rsdp_gpa);

#endif /* KEEL_HV_GUEST_ACPI_H */
