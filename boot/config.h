/* SPDX-License-Identifier: MIT */
/*
 * keel.cfg: the boot configuration, parsed in this one place.
 *
 * The file lives beside keel.efi on the ESP and holds "key = value" lines
 * (docs/config.md is the user reference).  Boot reads it into memory, then:
 *
 *     config_defaults(&cfg);
 *     if (config_parse(&cfg, text, len, "keel.cfg", &err) < 0 ||
 *         config_finalize(&cfg, ncpus, "keel.cfg", &err) < 0)
 *         print err.msg and stop;
 *
 * config_parse() checks each line on its own (syntax, key, value range);
 * config_finalize() checks the VMs against each other and against the
 * machine's CPU count, and hands out physical CPUs.  Both stop at the first
 * error and describe it in one line: "keel.cfg:3: unknown key 'foo'".
 *
 * struct keel_config is about 30 KiB: keep it in static storage.  Pure
 * logic, no allocation, no locking (used once, on the BSP, at boot).
 */
#ifndef KEEL_BOOT_CONFIG_H
#define KEEL_BOOT_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define KEEL_MAX_VMS        8
#define KEEL_MAX_MODULES    8   /* per VM */
#define KEEL_MAX_VCPUS      64  /* per VM */
#define KEEL_NAME_MAX       31  /* characters of a VM name */
#define KEEL_PATH_MAX       127 /* characters of a guest or module path */
#define KEEL_CMDLINE_MAX    511 /* characters of a guest command line */
#define KEEL_MODARGS_MAX    255 /* characters of a module command line */
#define KEEL_MAX_PCI        4   /* host PCI functions assigned to one VM */

#define KEEL_MEMORY_MIN     (16ull << 20)
#define KEEL_MEMORY_MAX     (256ull << 30) /* RAM past 2 GiB goes above 4 GiB (hv/mm/guest_ram.h) */
#define KEEL_MEMORY_ALIGN   (2ull << 20)

enum keel_log_level { LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG };

enum keel_on_exit { ON_EXIT_HALT, ON_EXIT_RESET };

/* Paths are relative to keel.efi's directory, with '/' separators (a '\'
 * in the file is turned into '/'); the loader converts them for UEFI. */
struct keel_module_cfg {
    char path[KEEL_PATH_MAX + 1];
    char args[KEEL_MODARGS_MAX + 1]; /* the module's command line, may be "" */
    unsigned line;                   /* line of its 'module' key */
};

/* Line numbers are 1-based; 0 means "not given in the file". */
struct keel_vm_cfg {
    bool present;                    /* some key named it (vm0: always) */
    unsigned first_line;             /* line of its first key */
    char name[KEEL_NAME_MAX + 1];    /* default "vmN" */
    bool builtin;                    /* guest = builtin: the image inside keel.efi */
    char guest[KEEL_PATH_MAX + 1];   /* otherwise the image's path */
    unsigned guest_line;
    char initrd[KEEL_PATH_MAX + 1];  /* a Linux guest's initrd, "" for none */
    unsigned initrd_line;
    char cmdline[KEEL_CMDLINE_MAX + 1];
    unsigned nmodules;
    struct keel_module_cfg module[KEEL_MAX_MODULES];
    unsigned cpus;                   /* 0 until given or finalized */
    unsigned cpus_line;
    unsigned first_cpu;              /* set by config_finalize() */
    uint64_t memory;                 /* bytes */
    unsigned memory_line;
    /* The virtual platform (docs/config.md). */
    bool x2apic;                     /* CPUID offers x2APIC; default yes */
    bool tsc_deadline;               /* CPUID offers the TSC-deadline timer; default yes */
    bool madt_x2apic;                /* MADT lists x2APIC entries; default no */
    bool x2apic_at_entry;            /* apic_mode = x2apic: handed over in x2APIC mode */
    bool pit_discard;                /* lost PIT ticks dropped (else reinjected) */
    bool exit_port;                  /* isa-debug-exit compatible port 0xf4 */
    bool irq_ports;                  /* pc-testdev compatible IRQ ports 0x2000+N */
    bool x2apic_exact_ids;           /* documented deviation, off by default */
    bool apic_accel;                 /* hardware APIC virtualization where present; default yes */
    int8_t avic;                     /* AMD AVIC: -1 auto (default), 1 on, 0 off */
    int8_t avic_erratum_1235;        /* workaround: -1 auto from the CPU family, 1 on, 0 off */
    bool x2apic_hybrid;              /* x2apic_no_x2avic = hybrid (default) or inhibit */
    uint32_t inhibit_test;           /* extra inhibit reasons honoured (APIC_INHIBIT_*), default 0 */
    /* Device assignment (docs/iommu.md): host PCI functions, bus << 8 |
     * device << 3 | function, segment 0; checked against the host at VM
     * creation (hv/passthru.c). */
    unsigned npci;
    uint16_t pci[KEEL_MAX_PCI];
    unsigned pci_line[KEEL_MAX_PCI];
    bool dma_fault_continue;         /* on_dma_fault = continue (default stop) */
    int8_t irq_remap;                /* virtual VT-d IR unit: -1 auto (default: on with
                                      * apic_mode = x2apic and no pci), 1 on, 0 off */
    int8_t pm_timer;                 /* -1 auto (the host's if it has one), 1 host, 0 emulated */

    bool on_reboot_stop;             /* on_reboot = stop (default restart) */
    bool triple_fault_reset;         /* on_triple_fault = reset (default stop) */
};

struct keel_config {
    enum keel_log_level log_level;   /* default LOG_INFO */
    uint16_t serial_port;            /* 0 = no serial; default 0x3f8 */
    uint32_t serial_baud;            /* divides 115200; default 115200 */
    bool serial_set;                 /* serial_port or console given: ACPI SPCR is not asked */
    uint16_t debug_exit;             /* isa-debug-exit port, 0 = none */
    bool bochs_exit;                 /* "Shutdown" to port 0x8900 at the end */
    int8_t invariant_tsc;            /* the host TSC is invariant, CPUID 80000007H EDX[8] for
                                      * every VM: -1 auto (the host CPU's bit), 1 on, 0 off */
    enum keel_on_exit on_exit;       /* default ON_EXIT_HALT */
    unsigned nvms;                   /* set by config_finalize() */
    struct keel_vm_cfg vm[KEEL_MAX_VMS];
};

struct config_error {
    unsigned line;  /* 0 when the problem is not on one line */
    char msg[200];  /* the whole message: "keel.cfg:3: unknown key 'foo'" */
};

/* One key, for --help listings (keel.efi and the launcher). */
struct config_key_doc {
    const char *key;     /* "memory" */
    bool per_vm;         /* takes an optional "vmN." prefix */
    bool repeatable;     /* each line adds (module) instead of overriding */
    const char *values;  /* "size, 16M..3G in steps of 2M" */
    const char *def;     /* "64M" */
    const char *help;    /* one line */
};

extern const struct config_key_doc config_keys[];
extern const size_t config_nkeys;

/* Sets every default: vm0 present, booting the builtin guest. */
void config_defaults(struct keel_config *cfg);

/*
 * Applies the lines of text[0..len) (need not be NUL-terminated) on top of
 * *cfg.  filename is used in messages (NULL means "keel.cfg").  Returns 0,
 * or -1 with *err describing the first bad line (*cfg then holds the lines
 * before it).
 */
int config_parse(struct keel_config *cfg, const char *text, size_t len, const char *filename,
                 struct config_error *err);

/*
 * Checks the VMs together against ncpus physical CPUs, fills in the CPU
 * count of a lone VM that gave none (every CPU, at most KEEL_MAX_VCPUS),
 * nvms, and each VM's first_cpu (VMs in order take consecutive CPUs, from
 * CPU 0).  Returns 0 or -1 with *err.
 */
int config_finalize(struct keel_config *cfg, unsigned ncpus, const char *filename,
                    struct config_error *err);

/* Parses "BB:DD.F" (hexadecimal bus 00-ff, device 00-1f, function 0-7)
 * from s[0..n) into bus << 8 | device << 3 | function.  0, or -1 with a
 * one-line reason in why (at least 64 bytes). */
int config_parse_bdf(const char *s, size_t n, uint16_t *bdf, char *why, size_t whylen);

/* "error", "warn", "info", "debug" ("?" for anything else). */
const char *config_log_level_name(enum keel_log_level level);

#endif /* KEEL_BOOT_CONFIG_H */
