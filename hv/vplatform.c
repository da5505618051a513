/* SPDX-License-Identifier: MIT */
#include "hv/vplatform.h"

#include "hv/console.h"
#include "hv/mem.h"
#include "hv/vapic.h"
#include "hv/vm.h"

/* ISA IRQ to GSI: the MADT's interrupt source override IRQ0 -> GSI2, as on
 * every PC (hv/guest_acpi.c writes the same). */
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

static const struct ioapic_ops ioapic_ops = { .deliver = ioapic_deliver };
static const struct pic_ops pic_ops = { .intr_changed = pic_intr_changed };

void vplatform_set_irq(struct vplatform *p, unsigned line, bool level)
{
    if (line >= VPLAT_GSI_LINES)
        return;
    unsigned gsi = line < VPLAT_ISA_LINES ? isa_to_gsi(line) : line;
    spin_lock(&p->lock);
    if (line < VPLAT_ISA_LINES)
        pic_set_irq(&p->pic, line, level);
    p->gsi_level[gsi] = level;
    ioapic_set_irq(&p->ioapic, gsi, level);
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

uint64_t vplatform_timer_deadline(struct vplatform *p)
{
    return 0; /* the PIT arrives with hv/dev_pit.c */
}

void vplatform_timer_check(struct vplatform *p)
{
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
    spin_lock(&p->lock);
    ioapic_mmio_write(&p->ioapic, (uint32_t)(addr - VPLAT_IOAPIC_BASE), (uint32_t)val);
    spin_unlock(&p->lock);
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

static int vplatform_register(struct vplatform *p)
{
    struct iobus *b = &p->vm->bus;
    int r = iobus_add_mmio(b, VPLAT_IOAPIC_BASE, VPLAT_IOAPIC_SIZE, ioapic_read, ioapic_write, p,
                           "I/O APIC");
    r |= iobus_add_port(b, 0x20, 2, pic_read, pic_write, p, "8259 master");
    r |= iobus_add_port(b, 0xa0, 2, pic_read, pic_write, p, "8259 slave");
    r |= iobus_add_port(b, 0x4d0, 2, pic_read, pic_write, p, "8259 ELCR");
    if (p->opts.exit_port)
        r |= iobus_add_port(b, VPLAT_EXIT_PORT, 4, port_none, exit_port_write, p, "exit port");
    if (p->opts.irq_ports)
        r |= iobus_add_port(b, VPLAT_IRQ_PORTS, VPLAT_GSI_LINES, port_none, irq_port_write, p,
                            "IRQ ports");
    return r ? -1 : 0;
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
    ioapic_init(&p->ioapic, VPLAT_IOAPIC_ID, &ioapic_ops, p);
    pic_init(&p->pic, &pic_ops, p);
    if (vplatform_register(p)) {
        log_err("vm%u: cannot register the platform devices", vm->index);
        return -1;
    }
    vm->plat = p;
    return 0;
}
