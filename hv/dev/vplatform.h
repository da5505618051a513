/* SPDX-License-Identifier: MIT */
/*
 * hv/dev/: every device model a guest sees besides its local APICs.  The
 * platform that owns them and their interrupt lines (vplatform.c, this
 * header), the I/O APIC (ioapic.c), the 8259 pair (pic.c), the 8254 PIT
 * (dev_pit.c), the 16550 UART (dev_uart.c), the guest's ACPI tables
 * (guest_acpi.c), the virtual VT-d interrupt-remapping unit (vtd_ir.c,
 * keel.cfg irq_remap) and the port/MMIO bus they hang on (iobus.c).  The models
 * are pure state machines, host-tested one by one; vplatform.c is the glue
 * to a VM (locks, the local APICs, the host clock).
 */
/*
 * A VM's virtual PC platform: the I/O APIC, the 8259 pair, the 8254 PIT,
 * the 16550 console UART, the ISA/GSI interrupt lines that connect them,
 * and the test conveniences (isa-debug-exit and pc-testdev compatible
 * ports) when keel.cfg asks for them.
 *
 * Locking (the lock table is at the top of hv/vm.h): `lock` protects every
 * device model here.  It is the outermost lock: a device delivering an
 * interrupt holds it while it takes one vCPU's APIC lock at a time
 * (vapic_route, vapic_lint), and the UART takes vm.lock for the console.
 * The APIC code never calls into the platform while holding its own lock
 * (hv/vapic.c defers its EOIs and IPIs until vapic_unlock has dropped it).
 */
#ifndef KEEL_HV_VPLATFORM_H
#define KEEL_HV_VPLATFORM_H

#include <stdbool.h>
#include <stdint.h>

#include "hv/dev/ioapic.h"
#include "hv/dev/pic.h"
#include "hv/dev/dev_pit.h"
#include "hv/dev/dev_uart.h"
#include "hv/dev/acpi_pm.h"
#include "hv/dev/pci.h"
#include "hv/dev/rtc.h"
#include "hv/dev/reset_ctl.h"
#include "hv/dev/vtd_ir.h"
#include "hv/host/spinlock.h"

struct vm;
struct vcpu;
struct byteq;

#define VPLAT_IOAPIC_BASE 0xfec00000ull
#define VPLAT_IOAPIC_SIZE 0x1000ull
#define VPLAT_IOAPIC_ID   0             /* the MADT says so too */
#define VPLAT_ISA_LINES   16
#define VPLAT_GSI_LINES   24
#define VPLAT_EXIT_PORT   0xf4
#define VPLAT_IRQ_PORTS   0x2000
#define VPLAT_ACPI_GPA    0xe0000ull
#define VPLAT_ACPI_SIZE   0x10000ull
#define VPLAT_COM1_PORT   0x3f8
#define VPLAT_COM1_IRQ    4
#define VPLAT_PIT_IRQ     0
#define VPLAT_RTC_IRQ     8
#define VPLAT_ACPI_PM_PORT 0x600       /* PM1a blocks and PM timer (hv/dev/acpi_pm.h) */

struct vplatform_opts {
    bool exit_port;
    bool irq_ports;
    bool pit_discard;
    bool madt_x2apic;
    /* keel.cfg irq_remap, resolved: a virtual VT-d interrupt-remapping
     * unit at VTD_IR_BASE, named by a DMAR table (hv/dev/vtd_ir.h). */
    bool irq_remap;
    /* The host's time of day at boot (seconds since 1970, UTC) and the host
     * TSC then: the CMOS RTC counts on from them. */
    uint64_t rtc_epoch, rtc_tsc;
    /* keel.cfg pm_timer, resolved: the host's PM timer port, which the
     * guest's FADT names and the guest reads without an exit (with its
     * counter width), or 0 for the emulated timer at VPLAT_ACPI_PM_PORT + 8. */
    uint16_t host_pm_timer;
    bool host_pm_timer_ext32;
};

struct vplatform {
    struct vm *vm;
    struct spinlock lock;             /* every model below */
    struct vplatform_opts opts;
    struct ioapic ioapic;
    struct pic_pair pic;
    struct pit pit;
    struct uart uart;                 /* COM1, the guest's console */
    struct acpi_pm acpi_pm;           /* PM1a blocks, PM timer: poweroff ends the VM */
    struct pci_host pci;              /* configuration mechanism #1, a host bridge */
    struct rtc rtc;                   /* CMOS RTC, time from opts.rtc_epoch; survives restarts */
    struct rst_cnt rst_cnt;           /* reset control register at 0xCF9 */
    struct kbc kbc;                   /* 8042: its reset line, a sane idle status */
    struct vtd_ir vir;                /* with opts.irq_remap: the VT-d IR unit */
    unsigned vir_logged;              /* its faults logged so far (rate limit) */
    bool gsi_level[VPLAT_GSI_LINES];  /* current line levels, for tests and dumps */
    /* Host TSC of the PIT's next event (0 = none), kept up to date under
     * `lock` so the run loop can test it without taking the lock. */
    volatile uint64_t timer_deadline;
    /* The I/O APIC's level-triggered vectors (ioapic_level_vectors), kept
     * under `lock`; `level_gen` changes with them so vCPUs re-read them
     * only then (EOI-exit bitmaps, hv/vapic_accel.c). */
    uint64_t level_vec[4];
    volatile uint32_t level_gen;
    /* Console input waiting for the UART's receiver (hv/shell/conin.c),
     * NULL if none; its consumer side is used under `lock` only. */
    struct byteq *uart_in;
    uint64_t acpi_rsdp;               /* GPA of the guest's RSDP, set once at creation */
    uint8_t off_status;               /* KEEL_STATUS_PORT: the status S5 ends the VM with */
    /* PM timer ticks per host TSC tick as a 0.64 fixed-point fraction
     * (ACPI_PM_TIMER_HZ / tsc_hz), so a read is one multiply. */
    uint64_t pm_tick_frac;
};

/* Builds the models, registers their ports/MMIO on vm->bus and writes the
 * guest's ACPI tables.  0, or -1 after saying why. */
int vplatform_create(struct vm *vm, const struct vplatform_opts *opts);

/* Every model back to its power-on state (the CMOS RTC keeps its time and
 * RAM, as a battery-backed one does) and the ACPI tables written again
 * into guest RAM: part of a VM restart (hv/vm_reset.c), with every vCPU
 * of the VM parked. */
void vplatform_reset(struct vplatform *p);

/* An interrupt line as a device drives it.  Lines 0..15 are ISA IRQs: to
 * the 8259 pair and, through the PC's interrupt source override IRQ0 ->
 * GSI2, to the I/O APIC; lines 16..23 reach only I/O APIC pins 16..23. */
void vplatform_set_irq(struct vplatform *p, unsigned line, bool level);
/* An MSI (address, data) from requester sid into the message it sends:
 * through the VM's interrupt-remapping unit when it has one (remappable
 * format, or compatibility format while the unit lets it pass), else the
 * compatibility format as the SDM reads it.  False when nothing is sent.
 * Takes the platform lock. */
bool vplatform_msi_message(struct vplatform *p, uint64_t addr, uint32_t data, uint16_t sid,
                           struct apic_msg *m);
/* The same, called with the platform lock held. */
bool vplatform_msi_message_locked(struct vplatform *p, uint64_t addr, uint32_t data,
                                  uint16_t sid, struct apic_msg *m);
/* The I/O APIC's unmasked level-triggered vectors into @out when their
 * generation differs from *@gen (which is updated); false if unchanged. */
bool vplatform_level_vectors(struct vplatform *p, uint64_t out[4], uint32_t *gen);
/* EOI broadcast of a level-triggered vector from a local APIC. */
void vplatform_eoi(struct vplatform *p, uint8_t vector);
/* The interrupt-acknowledge cycle of an ExtINT: the 8259's vector. */
uint8_t vplatform_pic_ack(struct vplatform *p);
bool vplatform_pic_output(struct vplatform *p);
/* The platform's timers (the PIT), run by the CPU of vCPU 0: the host-TSC
 * time of the next event (0 = none), and raising what is due. */
uint64_t vplatform_timer_deadline(struct vplatform *p);
void vplatform_timer_check(struct vplatform *p);
/* Moves waiting console input (p->uart_in) into the UART as far as its
 * receiver has room (uart_rx_space: nothing is overrun); the rest waits.
 * Cheap when nothing waits: any vCPU may call it at each exit. */
void vplatform_uart_input(struct vplatform *p);

#endif /* KEEL_HV_VPLATFORM_H */
