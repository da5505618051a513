/* SPDX-License-Identifier: MIT */
/*
 * The physical local APIC as the hypervisor uses it: EOI, IPIs to wake or
 * kick other CPUs, INIT-SIPI-SIPI to start them.  Works in xAPIC (MMIO) and
 * x2APIC (MSR) mode, whichever the firmware left enabled (SDM 11.12).
 */
#ifndef KEEL_HV_LAPIC_HOST_H
#define KEEL_HV_LAPIC_HOST_H

#include <stdbool.h>
#include <stdint.h>

/* ICR low-word fields (SDM 11.6.1, figure 11-12). */
#define ICR_DM_FIXED   (0u << 8)
#define ICR_DM_NMI     (4u << 8)
#define ICR_DM_INIT    (5u << 8)
#define ICR_DM_STARTUP (6u << 8)
#define ICR_LEVEL_ASSERT (1u << 14)
#define ICR_TRIGGER_LEVEL (1u << 15)
#define ICR_DELIVERY_PENDING (1u << 12)
#define ICR_SH_ALL_BUT_SELF (3u << 18)

void lapic_host_init(void);      /* per CPU: software-enable, spurious vector */
bool lapic_host_x2apic(void);
void lapic_host_mask_lvts(void);
/* Register access by xAPIC offset, in either mode (x2APIC: MSR 0x800 + off/16). */
uint32_t lapic_host_read(unsigned off);
void lapic_host_write(unsigned off, uint32_t v);  /* per CPU: firmware timer, LINT0, error */
uint32_t lapic_host_id(void);
void lapic_host_eoi(void);
/* Send an IPI; returns 0, or -1 if the xAPIC never reported it sent. */
int lapic_host_send(uint32_t apic_id, uint32_t icr_low);
int lapic_host_send_all_but_self(uint32_t icr_low);

#endif /* KEEL_HV_LAPIC_HOST_H */
