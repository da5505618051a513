/* SPDX-License-Identifier: MIT */
/*
 * The keel.cfg keys, private to the parser (boot/config.c) and its table of
 * key documentation (boot/config_keys.c, config_keys[] in config.h): one
 * number per key, the index of both the documentation and the setters.
 */
#ifndef KEEL_BOOT_CONFIG_KEYS_H
#define KEEL_BOOT_CONFIG_KEYS_H

enum key_id {
    K_LOG_LEVEL, K_SERIAL_PORT, K_SERIAL_BAUD, K_DEBUG_EXIT, K_BOCHS_EXIT, K_ON_EXIT,
    K_NAME, K_GUEST, K_CMDLINE, K_MODULE, K_CPUS, K_MEMORY,
    K_X2APIC, K_TSC_DEADLINE, K_MADT_X2APIC, K_PIT_LOST_TICKS, K_EXIT_PORT, K_IRQ_PORTS,
    K_X2APIC_EXACT_IDS,
    K_APIC_ACCEL,
    K_CONSOLE,
    K_AVIC, K_X2APIC_NO_X2AVIC, K_AVIC_ERRATUM_1235, K_INHIBIT_TEST,
    K_INITRD,
    K_APIC_MODE,
    K_PCI, K_ON_DMA_FAULT,
    K_IRQ_REMAP,
    K_INVARIANT_TSC, K_PM_TIMER,

    K_ON_REBOOT,
    K_ON_TRIPLE_FAULT,
    K_COUNT
};

#endif /* KEEL_BOOT_CONFIG_KEYS_H */
