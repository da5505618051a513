/* SPDX-License-Identifier: MIT */
/*
 * The end of a run: when every VM has ended, report the overall status and
 * tell the emulator (isa-debug-exit, Bochs' shutdown port) or the machine
 * (reset, or halt) as keel.cfg says.
 */
#include "boot/boot.h"
#include "hv/host/console.h"
#include "hv/host/panic.h"
#include "hv/vm.h"
#include "hv/shell/conin.h"
#include "hv/x86.h"

#define BOCHS_SHUTDOWN_PORT 0x8900
#define PCI_RESET_PORT 0xcf9
#define PCI_RESET_HARD 0x06

void keel_shutdown(int status)
{
    struct keel_config *c = &boot.cfg;
    con_drain(); /* the last line must leave the UART before the machine goes */
    if (c->debug_exit)
        outl(c->debug_exit, (uint32_t)status); /* QEMU exits with 2 * status + 1 */
    if (c->bochs_exit)
        for (const char *p = "Shutdown"; *p; p++)
            outb(BOCHS_SHUTDOWN_PORT, (uint8_t)*p);
    if (c->on_exit == ON_EXIT_RESET) {
        log_info("resetting the machine");
        outb(PCI_RESET_PORT, PCI_RESET_HARD);
    }
    log_info("halted");
    panic_park_cpu();
}

void keel_all_vms_ended(void)
{
    int status = 0;
    for (unsigned i = 0; i < nvms && !status; i++)
        status = vms[i]->status;
    if (con_level() >= KLOG_DEBUG)
        for (unsigned i = 0; i < nvms; i++)
            for (unsigned j = 0; j < vms[i]->nvcpus; j++)
                vcpu_log_counters(vms[i]->vcpus[j]);
    conin_flush(); /* what the shell held back goes out before the end */
    log_info("all VMs ended, status %d", status);
    keel_shutdown(status);
}
