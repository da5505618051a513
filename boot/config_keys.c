/* SPDX-License-Identifier: MIT */
/*
 * The keel.cfg keys' documentation (config.h config_keys[]): name, scope,
 * values, default and help of each, as the parser (boot/config.c) accepts
 * them; docs/config.md and tools/keel --help list the same keys
 * (tests/unit/test_config_keys.c checks that they agree).
 */
#include "boot/config.h"
#include "boot/config_keys.h"

const struct config_key_doc config_keys[K_COUNT] = {
    [K_CONSOLE] = { "console", false, false, "com1..com4 | I/O port | none, then optionally ,BAUD",
                    "the UART of ACPI SPCR, else com1",
                    "the UART Keel logs to: sets serial_port (and serial_baud)" },
    [K_LOG_LEVEL] = { "log_level", false, false, "error | warn | info | debug", "info",
                      "how much Keel logs" },
    [K_SERIAL_PORT] = { "serial_port", false, false, "I/O port 0..0xffff, 0 = no serial",
                        "0x3f8", "the 16550 UART Keel logs to" },
    [K_SERIAL_BAUD] = { "serial_baud", false, false,
                        "a rate dividing 115200 (115200, 57600, 38400, 19200, 9600, ...)",
                        "115200", "the UART's speed" },
    [K_DEBUG_EXIT] = { "debug_exit", false, false, "I/O port 0..0xffff, 0 = none", "0",
                       "QEMU isa-debug-exit port given the final status when every VM ended" },
    [K_BOCHS_EXIT] = { "bochs_exit", false, false, "yes | no", "no",
                       "write \"Shutdown\" to Bochs port 0x8900 when every VM ended" },
    [K_ON_EXIT] = { "on_exit", false, false, "halt | reset", "halt",
                    "what the machine does when every VM ended" },
    [K_NAME] = { "name", true, false, "1..31 of A-Z a-z 0-9 _ -", "vmN",
                 "the VM's name in messages" },
    [K_GUEST] = { "guest", true, false, "builtin | path relative to keel.efi (<= 127 chars)",
                  "builtin (vm0), none (others)",
                  "the VM's kernel: a multiboot image or a Linux bzImage (recognised by content)" },
    [K_INITRD] = { "initrd", true, false, "path relative to keel.efi (<= 127 chars); empty: none",
                   "none", "the initrd (initramfs) of a Linux guest" },
    [K_CMDLINE] = { "cmdline", true, false, "text, <= 511 chars", "empty",
                    "the guest kernel's command line" },
    [K_MODULE] = { "module", true, true, "path [command line]; empty clears the list", "none",
                   "adds a multiboot module (up to 8 per VM)" },
    [K_CPUS] = { "cpus", true, false, "1..64", "every CPU (one VM only)",
                 "vCPUs, each pinned to a physical CPU of its own" },
    [K_MEMORY] = { "memory", true, false, "16M..256G, a multiple of 2M (K/M/G suffix)", "64M",
                   "guest RAM" },
    [K_X2APIC] = { "x2apic", true, false, "yes | no", "yes",
                   "the virtual CPU offers x2APIC mode (CPUID.1:ECX[21])" },
    [K_TSC_DEADLINE] = { "tsc_deadline", true, false, "yes | no", "yes",
                         "the virtual CPU offers the TSC-deadline timer (CPUID.1:ECX[24])" },
    [K_MADT_X2APIC] = { "madt_x2apic", true, false, "yes | no", "no",
                        "the guest's MADT lists CPUs as x2APIC entries (needs x2apic)" },
    [K_APIC_MODE] = { "apic_mode", true, false, "xapic | x2apic", "xapic",
                      "the local APICs' mode at the guest's entry, as firmware leaves them (x2apic needs x2apic)" },
    [K_PIT_LOST_TICKS] = { "pit_lost_ticks", true, false, "reinject | discard", "reinject",
                           "PIT ticks the guest could not take in time: deliver later or drop" },
    [K_EXIT_PORT] = { "exit_port", true, false, "yes | no", "no",
                      "QEMU isa-debug-exit compatible port 0xf4: writing V ends the VM with 2V+1" },
    [K_IRQ_PORTS] = { "irq_ports", true, false, "yes | no", "no",
                      "QEMU pc-testdev compatible ports 0x2000+N: a byte sets IRQ line N" },
    [K_X2APIC_EXACT_IDS] = { "x2apic_exact_ids", true, false, "yes | no", "no",
                             "deviation: x2APIC destinations above 0xFF never reach xAPIC-mode "
                             "vCPUs (hardware compares the low 8 bits)" },
    [K_APIC_ACCEL] = { "apic_accel", true, false, "yes | no", "yes",
                       "use the CPU's APIC virtualization (Intel APICv) where it has it; "
                       "no: every APIC access is emulated" },
    [K_AVIC] = { "avic", true, false, "auto | on | off", "auto",
                 "AMD AVIC/x2AVIC for this VM: auto and on use it where the CPU has it (on warns "
                 "where it has not), off emulates; Intel ignores it" },
    [K_X2APIC_NO_X2AVIC] = { "x2apic_no_x2avic", true, false, "hybrid | inhibit", "hybrid",
                             "a vCPU in x2APIC mode on AVIC without x2AVIC: MSRs emulated with the "
                             "rest accelerated, or everything emulated" },
    [K_AVIC_ERRATUM_1235] = { "avic_erratum_1235", true, false, "auto | on | off", "auto",
                              "AMD erratum #1235 workaround (IsRunning never set, every IPI "
                              "exits): auto = on for family 17h and Hygon 18h" },
    [K_INHIBIT_TEST] = { "inhibit_test", true, false,
                         "none | inhibit reasons, comma-separated (irq-window,id-modified,...)",
                         "none",
                         "test aid: these reasons also turn APIC acceleration off, as on AVIC, "
                         "so the inhibit machine runs on CPUs that would not need it" },
    [K_PCI] = { "pci", true, true, "BB:DD.F (hexadecimal bus, device, function); empty clears",
                "none",
                "assigns a host PCI function to the VM behind the IOMMU (up to 4 per VM)" },
    [K_ON_DMA_FAULT] = { "on_dma_fault", true, false, "stop | continue", "stop",
                         "a DMA the IOMMU blocked for an assigned device: stop the VM, or report "
                         "it and go on" },
    [K_IRQ_REMAP] = { "irq_remap", true, false, "auto | on | off", "auto",
                      "a virtual VT-d interrupt-remapping unit (DMAR table) in the VM, which "
                      "lets an OS keep x2APIC mode: auto = on when apic_mode = x2apic and no pci is "
                      "assigned" },
    [K_INVARIANT_TSC] = { "invariant_tsc", false, false, "auto | on | off", "auto",
                          "the host's TSC is invariant and every VM's virtual CPU says so "
                          "(CPUID 80000007H EDX[8]): auto = as the host CPU says" },
    [K_PM_TIMER] = { "pm_timer", true, false, "auto | host | emulated", "auto",
                     "the guest's ACPI PM timer: the host's own, read without a VM exit, or "
                     "Keel's emulation; auto = the host's where its FADT names one in I/O space" },

    [K_ON_REBOOT] = { "on_reboot", true, false, "restart | stop", "restart",
                      "the guest resets its machine (0xCF9, the FADT reset register, the 8042): "
                      "restart the VM, or stop it with status 114" },
    [K_ON_TRIPLE_FAULT] = { "on_triple_fault", true, false, "stop | reset", "stop",
                            "a triple fault: stop the VM with a dump (status 112), or reset it "
                            "as a PC's chipset does (then on_reboot decides)" },
};
const size_t config_nkeys = K_COUNT;
