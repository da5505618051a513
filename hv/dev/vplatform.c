/* SPDX-License-Identifier: MIT */
#include "hv/dev/vplatform.h"

#include "hv/abi.h"

#include <string.h>

#include "hv/host/console.h"
#include "hv/host/panic.h"
#include "hv/dev/guest_acpi.h"
#include "hv/host/time.h"
#include "hv/x86.h"
#include "hv/mm/mem.h"
#include "hv/vapic.h"
#include "hv/vendor.h"
#include "hv/vm.h"
#include "hv/vm_reset.h"
#include "hv/shell/conbuf.h"

/* ISA IRQ to GSI: the MADT's interrupt source override IRQ0 -> GSI2, as on
 * every PC (hv/dev/guest_acpi.c writes the same). */
static unsigned isa_to_gsi(unsigned irq)
{
    return irq == 0 ? 2 : irq;
}

static void ioapic_deliver(void *ctx, const struct apic_msg *m)
{
    struct vplatform *p = ctx;
    vapic_route(p->vm, m);
}

static void pic_intr_changed(void *ctx, bool asserted)
{
    struct vplatform *p = ctx;
    /* Virtual wire: the master 8259's INT drives LINT0 of every local APIC
     * (each APIC's LVT LINT0 decides: ExtINT on the BSP, masked elsewhere). */
    vapic_lint(p->vm, 0, asserted);
}

/* With a remapping unit, every RTE that fires goes through it first
 * (VT-d 5.1.5.1): remappable entries are looked up in the guest's table,
 * compatibility ones pass only while the unit lets them. */
static void ioapic_deliver_rte(void *ctx, uint64_t rte, const struct apic_msg *m)
{
    struct vplatform *p = ctx;
    struct apic_msg out = *m;

    KASSERT(spin_held(&p->lock));
    if (vtd_ir_ioapic(&p->vir, rte, VTD_IR_IOAPIC_SID, &out) == VTD_IR_DELIVER)
        vapic_route(p->vm, &out);
}

static const struct ioapic_ops ioapic_ops = { .deliver = ioapic_deliver };
static const struct ioapic_ops ioapic_ir_ops = { .deliver = ioapic_deliver,
                                                 .deliver_rte = ioapic_deliver_rte };
static const struct pic_ops pic_ops = { .intr_changed = pic_intr_changed };

/* Drive a line with the platform lock held (device callbacks run so). */
static void set_irq_locked(struct vplatform *p, unsigned line, bool level)
{
    KASSERT(spin_held(&p->lock));
    unsigned gsi = line < VPLAT_ISA_LINES ? isa_to_gsi(line) : line;
    if (line < VPLAT_ISA_LINES)
        pic_set_irq(&p->pic, line, level);
    p->gsi_level[gsi] = level;
    ioapic_set_irq(&p->ioapic, gsi, level);
}

void vplatform_set_irq(struct vplatform *p, unsigned line, bool level)
{
    if (line >= VPLAT_GSI_LINES)
        return;
    spin_lock(&p->lock);
    set_irq_locked(p, line, level);
    spin_unlock(&p->lock);
}

void vplatform_eoi(struct vplatform *p, uint8_t vector)
{
    spin_lock(&p->lock);
    ioapic_eoi(&p->ioapic, vector);
    spin_unlock(&p->lock);
}

uint8_t vplatform_pic_ack(struct vplatform *p)
{
    spin_lock(&p->lock);
    int v = pic_ack(&p->pic);
    spin_unlock(&p->lock);
    return (uint8_t)v;
}

bool vplatform_pic_output(struct vplatform *p)
{
    spin_lock(&p->lock);
    bool out = pic_output(&p->pic);
    spin_unlock(&p->lock);
    return out;
}

/* TSC ticks as ns; the PIT's and the RTC's time come from the TSC (a PC's
 * timers count wall time, not guest instructions). */
static uint64_t tsc_to_ns(uint64_t ticks)
{
    return (uint64_t)((unsigned __int128)ticks * 1000000000ull / tsc_hz);
}

static uint64_t plat_now_ns(void *ctx)
{
    return tsc_to_ns(rdtsc());
}

static uint64_t ns_to_tsc(uint64_t ns)
{
    return (uint64_t)((unsigned __int128)ns * tsc_hz / 1000000000ull);
}

static void pit_irq0(void *ctx, bool level)
{
    set_irq_locked(ctx, VPLAT_PIT_IRQ, level);
}

static void uart_tx(void *ctx, uint8_t byte)
{
    struct vplatform *p = ctx;
    struct vm *vm = p->vm;
    char c = (char)byte;
    spin_lock(&vm->lock);
    con_prefixed(&vm->con, vm->con_prefix, &c, 1);
    spin_unlock(&vm->lock);
}

static void uart_irq(void *ctx, bool level)
{
    set_irq_locked(ctx, VPLAT_COM1_IRQ, level);
}

static const struct pit_ops pit_ops = { .now_ns = plat_now_ns, .irq0 = pit_irq0 };
static const struct uart_ops uart_ops = { .tx = uart_tx, .irq = uart_irq };

/* The RTC's clock: the host's time of day at boot plus the TSC time since,
 * in ns since 1970 (hv/dev/rtc.h). */
static uint64_t rtc_now_ns(const struct vplatform *p)
{
    return p->opts.rtc_epoch * 1000000000ull + tsc_to_ns(rdtsc() - p->opts.rtc_tsc);
}

/* The RTC's next interrupt event as a host TSC value, 0 if none. */
static uint64_t rtc_deadline(const struct vplatform *p)
{
    if (!rtc_interrupts_on(&p->rtc))
        return 0; /* the usual case: no RTC interrupt enabled, no clock read */
    uint64_t ns = rtc_next_event_ns(&p->rtc, rtc_now_ns(p));
    uint64_t base = p->opts.rtc_epoch * 1000000000ull;
    return ns ? p->opts.rtc_tsc + ns_to_tsc(ns > base ? ns - base : 0) : 0;
}

/* The RTC's flags up to now and its IRQ 8 line after them. */
static void rtc_update(struct vplatform *p)
{
    rtc_advance(&p->rtc, rtc_now_ns(p));
    set_irq_locked(p, VPLAT_RTC_IRQ, rtc_irq(&p->rtc));
}

/* Called with the lock held after anything that may move the PIT's or the
 * RTC's next event (port accesses, advancing): the earlier of the two. */
static void update_timer_deadline(struct vplatform *p)
{
    KASSERT(spin_held(&p->lock));
    uint64_t ns = pit_next_event_ns(&p->pit);
    uint64_t d = ns ? ns_to_tsc(ns) : 0, r = rtc_deadline(p);
    p->timer_deadline = r && (!d || r < d) ? r : d;
}

uint64_t vplatform_timer_deadline(struct vplatform *p)
{
    return p->timer_deadline;
}

/* Delivery of an edge is synchronous here (the line reaches the 8259 and
 * the I/O APIC at once), so with the reinject policy each check also
 * releases one tick of the backlog: lost ticks come back one per timer
 * event instead of in a burst. */
void vplatform_timer_check(struct vplatform *p)
{
    uint64_t d = p->timer_deadline;
    if (!d || rdtsc() < d)
        return; /* the common case on every exit: nothing due, no lock */
    spin_lock(&p->lock);
    pit_advance(&p->pit, plat_now_ns(p));
    if (pit_pending_ticks(&p->pit))
        pit_ack_tick(&p->pit);
    if (rtc_interrupts_on(&p->rtc))
        rtc_update(p);
    update_timer_deadline(p);
    spin_unlock(&p->lock);
}

/* ---- the interrupt-remapping unit (hv/dev/vtd_ir.h) ------------------ */

static int vir_read_gpa(void *ctx, uint64_t gpa, void *buf, size_t len)
{
    struct vplatform *p = ctx;
    return vm_read_phys(p->vm, gpa, buf, len) ? -1 : 0;
}

static int vir_write_gpa(void *ctx, uint64_t gpa, const void *buf, size_t len)
{
    struct vplatform *p = ctx;
    return vm_write_phys(p->vm, gpa, buf, len) ? -1 : 0;
}

static void vir_deliver(void *ctx, const struct apic_msg *m)
{
    struct vplatform *p = ctx;
    vapic_route(p->vm, m);
}

#define VIR_LOG_MAX 16 /* a guest that faults in a loop fills no log */

static void vir_report(void *ctx, const char *what, unsigned reason, uint32_t index, uint16_t sid)
{
    struct vplatform *p = ctx;
    if (p->vir_logged >= VIR_LOG_MAX)
        return;
    p->vir_logged++;
    log_warn("vm%u: virtual VT-d: %s (reason %#x, index %u, source %02x:%02x.%u)%s",
             p->vm->index, what, reason, index, sid >> 8, (sid >> 3) & 0x1f, sid & 7,
             p->vir_logged == VIR_LOG_MAX ? "; no more such lines" : "");
}

static const struct vtd_ir_ops vir_ops = {
    .read = vir_read_gpa, .write = vir_write_gpa, .deliver = vir_deliver, .report = vir_report,
};

static uint64_t vir_mmio_read(void *dev, struct vcpu *v, uint64_t addr, unsigned size)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    uint64_t val = vtd_ir_read(&p->vir, (uint32_t)(addr - VTD_IR_BASE), size);
    spin_unlock(&p->lock);
    return val;
}

static void vir_mmio_write(void *dev, struct vcpu *v, uint64_t addr, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    uint32_t was = p->vir.gsts;
    vtd_ir_write(&p->vir, (uint32_t)(addr - VTD_IR_BASE), size, val);
    uint32_t now = p->vir.gsts;
    uint64_t base = p->vir.irt_base;
    uint32_t entries = p->vir.irt_entries;
    bool eime = p->vir.eime;
    spin_unlock(&p->lock);
    if ((was ^ now) & VTD_GSTS_IRES)
        log_info("vm%u: virtual VT-d: interrupt remapping %s (table at %#lx, %u entries, %s "
                 "destinations, compatibility format %s)", p->vm->index,
                 now & VTD_GSTS_IRES ? "on" : "off", (unsigned long)base, entries,
                 eime ? "x2APIC" : "xAPIC",
                 (now & VTD_GSTS_CFIS) && !eime ? "passes" : "blocked");
}

bool vplatform_msi_message_locked(struct vplatform *p, uint64_t addr, uint32_t data,
                                  uint16_t sid, struct apic_msg *m)
{
    KASSERT(spin_held(&p->lock));
    if ((addr >> 20) != (VTD_MSI_ADDR_BASE >> 20))
        return false;
    if (!p->opts.irq_remap)
        return vtd_ir_compat_msi(addr, data, m);
    return vtd_ir_msi(&p->vir, addr, data, sid, m) == VTD_IR_DELIVER;
}

bool vplatform_msi_message(struct vplatform *p, uint64_t addr, uint32_t data, uint16_t sid,
                           struct apic_msg *m)
{
    spin_lock(&p->lock);
    bool send = vplatform_msi_message_locked(p, addr, data, sid, m);
    spin_unlock(&p->lock);
    return send;
}

/* ---- bus glue ---------------------------------------------------------- */

static uint64_t ioapic_read(void *dev, struct vcpu *v, uint64_t addr, unsigned size)
{
    struct vplatform *p = dev;
    if (size != 4 || (addr & 3))
        return ~0ull; /* only aligned 32-bit accesses reach the registers */
    spin_lock(&p->lock);
    uint32_t val = ioapic_mmio_read(&p->ioapic, (uint32_t)(addr - VPLAT_IOAPIC_BASE));
    spin_unlock(&p->lock);
    return val;
}

static void ioapic_write(void *dev, struct vcpu *v, uint64_t addr, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    if (size != 4 || (addr & 3))
        return;
    uint64_t lv[4];
    spin_lock(&p->lock);
    ioapic_mmio_write(&p->ioapic, (uint32_t)(addr - VPLAT_IOAPIC_BASE), (uint32_t)val);
    ioapic_level_vectors(&p->ioapic, lv);
    bool changed = memcmp(lv, p->level_vec, sizeof(lv)) != 0;
    if (changed) {
        memcpy(p->level_vec, lv, sizeof(lv));
        __atomic_add_fetch(&p->level_gen, 1, __ATOMIC_RELEASE);
    }
    spin_unlock(&p->lock);
    /* A vCPU running with virtual-interrupt delivery completes EOIs itself
     * unless its EOI-exit bitmap says otherwise: make every vCPU reload
     * the set before a level interrupt on the new entry can reach it. */
    if (changed)
        for (unsigned i = 0; i < p->vm->nvcpus; i++)
            vcpu_kick(p->vm->vcpus[i]);
}

bool vplatform_level_vectors(struct vplatform *p, uint64_t out[4], uint32_t *gen)
{
    uint32_t g = __atomic_load_n(&p->level_gen, __ATOMIC_ACQUIRE);
    if (g == *gen)
        return false;
    spin_lock(&p->lock);
    memcpy(out, p->level_vec, sizeof(p->level_vec));
    *gen = p->level_gen;
    spin_unlock(&p->lock);
    return true;
}

static uint64_t pic_read(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    struct vplatform *p = dev;
    uint8_t val = 0xff;
    spin_lock(&p->lock);
    pic_io_read(&p->pic, (uint16_t)port, &val);
    spin_unlock(&p->lock);
    return val;
}

static void pic_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    pic_io_write(&p->pic, (uint16_t)port, (uint8_t)val);
    spin_unlock(&p->lock);
}

static uint64_t pit_read(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    struct vplatform *p = dev;
    uint8_t val = 0xff;
    spin_lock(&p->lock);
    uint64_t deadline = p->timer_deadline;
    pit_io_read(&p->pit, (uint16_t)port, &val);
    update_timer_deadline(p);
    bool same = p->timer_deadline == deadline;
    spin_unlock(&p->lock);
    /* A read that moved no deadline fired no event (the PIT's interrupt
     * comes with its next deadline): no pre-entry pass needed.  Linux
     * calibrates its TSC with thousands of these in a tight loop. */
    if (same)
        v->exit_pure = true;
    return val;
}

static void pit_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    pit_io_write(&p->pit, (uint16_t)port, (uint8_t)val);
    update_timer_deadline(p);
    spin_unlock(&p->lock);
}

/* Called with the lock held: console input into the receiver, no more
 * than it has room for (a real line's sender waits the same way). */
static void uart_input_locked(struct vplatform *p)
{
    uint8_t buf[UART_FIFO_SIZE];
    size_t n = byteq_peek(p->uart_in, buf, uart_rx_space(&p->uart));
    if (n)
        byteq_pop(p->uart_in, uart_rx(&p->uart, buf, n));
}

void vplatform_uart_input(struct vplatform *p)
{
    if (!p->uart_in || !byteq_count(p->uart_in))
        return;
    spin_lock(&p->lock);
    uart_input_locked(p);
    spin_unlock(&p->lock);
}

static uint64_t uart_read(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    struct vplatform *p = dev;
    uint8_t val = 0xff;
    spin_lock(&p->lock);
    uart_io_read(&p->uart, (uint16_t)(port - VPLAT_COM1_PORT), &val);
    if (p->uart_in && byteq_count(p->uart_in))
        uart_input_locked(p); /* the read may have made room: refill at once */
    spin_unlock(&p->lock);
    return val;
}

static void uart_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    uart_io_write(&p->uart, (uint16_t)(port - VPLAT_COM1_PORT), (uint8_t)val);
    spin_unlock(&p->lock);
}

static uint64_t port_none(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    return ~0ull;
}

/* isa-debug-exit (QEMU hw/misc/debugexit.c semantics): a write of V makes
 * QEMU exit with (V << 1) | 1; here it ends the VM with that status. */
static void exit_port_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    uint64_t status = ((val & 0xffffffffu) << 1) | 1;
    vm_end(v->vm, status > 127 ? 127 : (int)status, "wrote %#lx to the exit port: status %lu",
           (unsigned long)val, (unsigned long)(status > 127 ? 127 : status));
}

/* pc-testdev IRQ lines: a byte written to 0x2000 + N sets line N. */
static void irq_port_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    vplatform_set_irq(dev, (unsigned)(port - VPLAT_IRQ_PORTS), (val & 0xff) != 0);
}

/* The ACPI PM block: the PM timer counts 3.579545 MHz from the host TSC
 * (wall time, as the PIT); soft-off (SLP_TYP S5 with SLP_EN, the DSDT's
 * \_S5) ends the VM with the status last written to KEEL_STATUS_PORT (0 if
 * none), as a machine that powered off. */
static uint64_t acpi_pm_port_read(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    struct vplatform *p = dev;
    uint64_t ticks = (uint64_t)(((unsigned __int128)rdtsc() * p->pm_tick_frac) >> 64);
    if (port == VPLAT_ACPI_PM_PORT + ACPI_PM_TMR_OFF && size == 4)
        return ticks & 0xffffffu; /* the usual read: the timer alone, no lock needed */
    spin_lock(&p->lock);
    uint32_t val = acpi_pm_read(&p->acpi_pm, (unsigned)(port - VPLAT_ACPI_PM_PORT), size, ticks);
    spin_unlock(&p->lock);
    return val;
}

static void acpi_pm_port_write(void *dev, struct vcpu *v, uint64_t port, unsigned size,
                               uint64_t val)
{
    struct vplatform *p = dev;
    if (port >= VPLAT_ACPI_PM_PORT + ACPI_PM_TMR_OFF) {
        v->exit_pure = true; /* the timer is read-only: nothing to do (ACPI 4.8.3.3) */
        return;
    }
    spin_lock(&p->lock);
    enum acpi_pm_action a = acpi_pm_write(&p->acpi_pm, (unsigned)(port - VPLAT_ACPI_PM_PORT), size,
                                          (uint32_t)val);
    uint8_t status = p->off_status;
    spin_unlock(&p->lock);
    if (a == ACPI_PM_POWER_OFF)
        vm_end(v->vm, status, "powered off (ACPI sleep state S5)");
    else
        v->exit_pure = true; /* no SCI is wired: nothing else can follow from it */
}

static uint64_t status_port_read(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    struct vplatform *p = dev;
    return __atomic_load_n(&p->off_status, __ATOMIC_RELAXED);
}

/* KEEL_STATUS_PORT (hv/abi.h): statuses are 0..127 (Keel's own are above). */
static void status_port_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    __atomic_store_n(&p->off_status, (uint8_t)(val & 0x7f), __ATOMIC_RELAXED);
}

static uint64_t pci_port_read(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    /* A byte at 0xCF9 is the chipset's RST_CNT, not PCI's (hv/dev/reset_ctl.h). */
    uint32_t val = port == RST_CNT_PORT && size == 1 ? rst_cnt_read(&p->rst_cnt)
                                                     : pci_io_read(&p->pci, (uint16_t)port, size);
    spin_unlock(&p->lock);
    return val;
}

static void pci_port_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    enum reset_kind r = RESET_NONE;
    spin_lock(&p->lock);
    if (port == RST_CNT_PORT && size == 1)
        r = rst_cnt_write(&p->rst_cnt, (uint8_t)val);
    else
        pci_io_write(&p->pci, (uint16_t)port, size, (uint32_t)val);
    spin_unlock(&p->lock);
    /* A soft reset (INIT# only) restarts the VM too: Keel has no firmware
     * at the reset vector to bring the INITed boot CPU back. */
    if (r != RESET_NONE)
        vm_request_restart(v->vm, r == RESET_HARD ? VM_RESTART_CF9 : VM_RESTART_CF9_SOFT,
                           (uint32_t)(val & 0xff));
}

/* The 8042 (hv/dev/reset_ctl.h): its reset line restarts the VM. */
static uint64_t kbc_port_read(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    uint8_t val = kbc_read(&p->kbc, (uint16_t)port);
    spin_unlock(&p->lock);
    return val;
}

static void kbc_port_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    enum reset_kind r = kbc_write(&p->kbc, (uint16_t)port, (uint8_t)val);
    spin_unlock(&p->lock);
    if (r != RESET_NONE)
        vm_request_restart(v->vm, VM_RESTART_KBC, (uint32_t)(val & 0xff));
}

/* Every access may move the IRQ 8 line (reading register C lowers it, a
 * write to register B may enable a set flag) and the next event. */
static uint64_t rtc_port_read(void *dev, struct vcpu *v, uint64_t port, unsigned size)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    uint8_t val = rtc_io_read(&p->rtc, (uint16_t)port, rtc_now_ns(p));
    set_irq_locked(p, VPLAT_RTC_IRQ, rtc_irq(&p->rtc));
    update_timer_deadline(p);
    spin_unlock(&p->lock);
    return val;
}

static void rtc_port_write(void *dev, struct vcpu *v, uint64_t port, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    rtc_io_write(&p->rtc, (uint16_t)port, (uint8_t)val, rtc_now_ns(p));
    set_irq_locked(p, VPLAT_RTC_IRQ, rtc_irq(&p->rtc));
    update_timer_deadline(p);
    spin_unlock(&p->lock);
}

/* The ECAM window (hv/dev/pci.h, hv/mm/guest_ram.h): nothing is mapped
 * there, so every access is a nested page fault decoded to here. */
static uint64_t ecam_read(void *dev, struct vcpu *v, uint64_t addr, unsigned size)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    uint64_t val = pci_ecam_read(&p->pci, addr - GRAM_ECAM_BASE, size, GRAM_ECAM_BUSES);
    spin_unlock(&p->lock);
    return val;
}

static void ecam_write(void *dev, struct vcpu *v, uint64_t addr, unsigned size, uint64_t val)
{
    struct vplatform *p = dev;
    spin_lock(&p->lock);
    pci_ecam_write(&p->pci, addr - GRAM_ECAM_BASE, size, GRAM_ECAM_BUSES, val);
    spin_unlock(&p->lock);
}

/* The PM timer, last, once every other port is claimed: the host's
 * (opts.host_pm_timer) where its four ports are free in this VM, handed to
 * the guest by the vendor's I/O permission map (no exit: the counter is
 * read-only and free-running, ACPI 6.5 4.8.3.3, harmless to share), else
 * Keel's at VPLAT_ACPI_PM_PORT + ACPI_PM_TMR_OFF. */
static int vplatform_pm_timer(struct vplatform *p)
{
    struct iobus *b = &p->vm->bus;
    uint16_t port = p->opts.host_pm_timer, hint = 0;
    for (unsigned i = 0; port && i < ACPI_PM_TMR_LEN; i++) {
        if (iobus_find_port_slow(b, (uint16_t)(port + i), &hint)) {
            log_warn("vm%u: the host's PM timer at port %#x is a port of the VM's own devices: "
                     "its PM timer is emulated", p->vm->index, port);
            p->opts.host_pm_timer = port = 0;
        }
    }
    if (port) {
        vops->io_passthrough(p->vm, port, ACPI_PM_TMR_LEN);
        log_info("vm%u: the guest reads the host's PM timer at port %#x without exits",
                 p->vm->index, port);
        return 0;
    }
    p->opts.host_pm_timer_ext32 = false;
    int r = iobus_add_port(b, VPLAT_ACPI_PM_PORT + ACPI_PM_TMR_OFF, ACPI_PM_TMR_LEN,
                           acpi_pm_port_read, acpi_pm_port_write, p, "ACPI PM timer");
    return r | iobus_mark_pure(b, VPLAT_ACPI_PM_PORT + ACPI_PM_TMR_OFF, IOBUS_PURE_READ);
}

static int vplatform_register(struct vplatform *p)
{
    struct iobus *b = &p->vm->bus;
    int r = iobus_add_mmio(b, VPLAT_IOAPIC_BASE, VPLAT_IOAPIC_SIZE, ioapic_read, ioapic_write, p,
                           "I/O APIC");
    r |= iobus_add_port(b, 0x20, 2, pic_read, pic_write, p, "8259 master");
    r |= iobus_add_port(b, 0xa0, 2, pic_read, pic_write, p, "8259 slave");
    r |= iobus_add_port(b, 0x4d0, 2, pic_read, pic_write, p, "8259 ELCR");
    r |= iobus_add_port(b, 0x40, 4, pit_read, pit_write, p, "8254 PIT");
    r |= iobus_add_port(b, 0x61, 1, pit_read, pit_write, p, "port 0x61");
    r |= iobus_add_port(b, VPLAT_COM1_PORT, 8, uart_read, uart_write, p, "16550 COM1");
    r |= iobus_add_port(b, VPLAT_ACPI_PM_PORT, ACPI_PM_TMR_OFF, acpi_pm_port_read,
                        acpi_pm_port_write, p, "ACPI PM1a blocks");
    r |= iobus_add_port(b, VPCI_CONFIG_ADDRESS, VPCI_CONFIG_PORTS, pci_port_read, pci_port_write, p,
                        "PCI configuration");
    r |= iobus_add_mmio(b, GRAM_ECAM_BASE, GRAM_ECAM_SIZE, ecam_read, ecam_write, p, "PCIe ECAM");
    r |= iobus_add_port(b, RTC_INDEX_PORT, 2, rtc_port_read, rtc_port_write, p, "CMOS RTC");
    r |= iobus_add_port(b, KEEL_STATUS_PORT, 1, status_port_read, status_port_write, p,
                        "power-off status");

    /* Reads that change nothing but the guest's register (the PM timer
     * above all: Linux's clocksource) may re-enter without the run loop's
     * pre-entry pass (hv/run.c vcpu_fast_entry). */
    r |= iobus_mark_pure(b, VPLAT_ACPI_PM_PORT, IOBUS_PURE_READ);
    r |= iobus_mark_pure(b, VPCI_CONFIG_ADDRESS, IOBUS_PURE_READ);
    r |= iobus_mark_pure(b, KEEL_STATUS_PORT, IOBUS_PURE_READ);

    r |= iobus_add_port(b, KBC_DATA_PORT, 1, kbc_port_read, kbc_port_write, p, "8042 data");
    r |= iobus_add_port(b, KBC_CMD_PORT, 1, kbc_port_read, kbc_port_write, p, "8042 command");
    if (p->opts.irq_remap)
        r |= iobus_add_mmio(b, VTD_IR_BASE, VTD_IR_SIZE, vir_mmio_read, vir_mmio_write, p,
                            "VT-d interrupt remapping");
    if (p->opts.exit_port)
        r |= iobus_add_port(b, VPLAT_EXIT_PORT, 4, port_none, exit_port_write, p, "exit port");
    if (p->opts.irq_ports)
        r |= iobus_add_port(b, VPLAT_IRQ_PORTS, VPLAT_GSI_LINES, port_none, irq_port_write, p,
                            "IRQ ports");
    return r || vplatform_pm_timer(p) ? -1 : 0;
}

/* The guest's ACPI tables at 0xE0000, where a legacy RSDP scan of the
 * BIOS area finds them (ACPI 5.2.5.1); the multiboot memory map marks
 * 640 KiB .. 1 MiB reserved. */
static int vplatform_acpi(struct vplatform *p)
{
    struct vm *vm = p->vm;
    struct guest_acpi_params ap = {
        .nvcpus = vm->nvcpus,
        .x2apic = p->opts.madt_x2apic,
        .ioapic_id = VPLAT_IOAPIC_ID,
        .have_pic = true,
        .have_rtc = true,
        .pm_base = VPLAT_ACPI_PM_PORT,
        .pm_tmr_port = p->opts.host_pm_timer,
        .pm_tmr_ext32 = p->opts.host_pm_timer_ext32,
        .pci_host = true,
        /* PCI0's _CRS and the MCFG: the hole's windows (hv/mm/guest_ram.h)
         * and one above the RAM. */
        .pci_crs = true,
        .pci_end_bus = GRAM_ECAM_BUSES - 1,
        .nwindows = 3,
        .window = {
            { GRAM_MMIO32_A_BASE, GRAM_MMIO32_A_END - GRAM_MMIO32_A_BASE },
            { GRAM_MMIO32_B_BASE, GRAM_MMIO32_B_END - GRAM_MMIO32_B_BASE },
            { gram_mmio64_base(vm->mem_size), GRAM_MMIO64_SIZE },
        },
        .ecam_base = GRAM_ECAM_BASE,
        .reset_port = RST_CNT_PORT,
        .reset_value = RST_CNT_SYS_RST | RST_CNT_RST_CPU,
        /* The 8042 answers at 60h/64h (reset line, sane idle status), but
         * with no keyboard or mouse behind it the FADT does not announce
         * it: Linux then skips probing devices that would only time out. */
        .have_8042 = false,
        /* The DMAR naming the remapping unit and the I/O APIC under it. */
        .dmar_base = p->opts.irq_remap ? VTD_IR_BASE : 0,
        .dmar_ioapic_sid = VTD_IR_IOAPIC_SID,
    };
    uint64_t rsdp;
    int r = guest_acpi_build(&ap, phys_to_virt(vm->mem_hpa + VPLAT_ACPI_GPA), VPLAT_ACPI_SIZE,
                             VPLAT_ACPI_GPA, &rsdp);
    if (r < 0) {
        log_err("vm%u: cannot build the guest's ACPI tables (%d)", vm->index, r);
        return -1;
    }
    log_debug("vm%u: ACPI RSDP at %#lx (%d bytes of tables)", vm->index, (unsigned long)rsdp, r);
    p->acpi_rsdp = rsdp;
    return 0;
}

int vplatform_create(struct vm *vm, const struct vplatform_opts *opts)
{
    _Static_assert(sizeof(struct vplatform) <= 4 * PAGE_SIZE, "vplatform fits its pages");
    struct vplatform *p = mem_try_alloc(4, 1, 0);
    if (!p)
        return -1;
    p->vm = vm;
    p->lock = (struct spinlock)SPINLOCK_INIT;
    p->opts = *opts;
    ioapic_init(&p->ioapic, VPLAT_IOAPIC_ID, opts->irq_remap ? &ioapic_ir_ops : &ioapic_ops, p);
    vtd_ir_init(&p->vir, &vir_ops, p);
    pic_init(&p->pic, &pic_ops, p);
    pit_init(&p->pit, opts->pit_discard ? PIT_DISCARD : PIT_REINJECT, &pit_ops, p);
    uart_init(&p->uart, &uart_ops, p);
    acpi_pm_init(&p->acpi_pm);
    /* A TSC slower than 3.58 MHz would overflow the fraction: clamp (no
     * CPU Keel runs on has one). */
    p->pm_tick_frac = tsc_hz > ACPI_PM_TIMER_HZ
                          ? (uint64_t)(((unsigned __int128)ACPI_PM_TIMER_HZ << 64) / tsc_hz)
                          : ~0ull;
    pci_init(&p->pci);
    rtc_init(&p->rtc);
    rst_cnt_init(&p->rst_cnt);
    kbc_init(&p->kbc);
    if (vplatform_register(p)) {
        log_err("vm%u: cannot register the platform devices", vm->index);
        return -1;
    }
    if (vplatform_acpi(p))
        return -1;
    if (opts->irq_remap)
        log_info("vm%u: virtual VT-d interrupt-remapping unit at %#llx (DMAR; I/O APIC as "
                 "%02x:%02x.%u)", vm->index, VTD_IR_BASE, VTD_IR_IOAPIC_SID >> 8,
                 (VTD_IR_IOAPIC_SID >> 3) & 0x1f, VTD_IR_IOAPIC_SID & 7);
    vm->plat = p;
    return 0;
}

void vplatform_reset(struct vplatform *p)
{
    const struct vplatform_opts *o = &p->opts;
    spin_lock(&p->lock);
    ioapic_init(&p->ioapic, VPLAT_IOAPIC_ID, o->irq_remap ? &ioapic_ir_ops : &ioapic_ops, p);
    vtd_ir_init(&p->vir, &vir_ops, p);
    p->vir_logged = 0;
    pic_init(&p->pic, &pic_ops, p);
    pit_init(&p->pit, o->pit_discard ? PIT_DISCARD : PIT_REINJECT, &pit_ops, p);
    uart_init(&p->uart, &uart_ops, p);
    acpi_pm_init(&p->acpi_pm);
    pci_init(&p->pci);
    rst_cnt_init(&p->rst_cnt);
    kbc_init(&p->kbc);
    p->off_status = 0; /* KEEL_STATUS_PORT: each boot starts at 0 */
    memset(p->gsi_level, 0, sizeof(p->gsi_level));
    memset(p->level_vec, 0, sizeof(p->level_vec));
    __atomic_add_fetch(&p->level_gen, 1, __ATOMIC_RELEASE); /* vCPUs re-read the (empty) set */
    update_timer_deadline(p);
    spin_unlock(&p->lock);
    if (vplatform_acpi(p))
        log_err("vm%u: restart: the ACPI tables were not rewritten", p->vm->index);
}
