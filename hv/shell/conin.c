/* SPDX-License-Identifier: MIT */
/* Serial console input: polling, routing, holding (hv/shell/conin.h). */
#include "hv/shell/conin.h"

#include "hv/dev/vplatform.h"
#include "hv/host/console.h"
#include "hv/host/percpu.h"
#include "hv/host/time.h"
#include "hv/shell/conbuf.h"
#include "hv/shell/router.h"
#include "hv/shell/shell.h"
#include "hv/vm.h"
#include "hv/x86.h"

_Static_assert(VM_MAX <= 32, "the kick mask has a bit per VM");

static struct router router;
static struct byteq inq[VM_MAX];
static struct lineq held[VM_MAX];
static uint64_t next_poll, poll_fast, poll_idle, active_until;

static struct percpu *conin_pick_cpu(void)
{
    for (unsigned i = 0; i < KEEL_MAX_CPUS; i++)
        if (cpus[i] && cpus[i]->state == PCPU_ONLINE && !cpus[i]->vcpu)
            return cpus[i];
    return cpus[0];
}

void conin_init(void)
{
    router_init(&router, nvms);
    for (unsigned i = 0; i < nvms; i++) {
        lineq_init(&held[i]);
        vms[i]->con.hold = &held[i];
        vms[i]->plat->uart_in = &inq[i];
    }
    if (!con_has_serial())
        return; /* console = none: nothing to poll, no CPU pays for it */
    if (nvms)
        con_set_focus(&vms[0]->con);
    poll_fast = tsc_hz / 1000000 * CONIN_POLL_US;
    poll_idle = tsc_hz / 1000000 * CONIN_IDLE_POLL_US;
    next_poll = rdtsc() + poll_idle;
    struct percpu *pc = conin_pick_cpu();
    pc->con_poller = true;
    shell_init();
    log_info("console: input polled by CPU %u; Ctrl-A three times switches it (%s%s)", pc->index,
             nvms ? "vm0, ..., " : "", "the shell");
}

void conin_flush(void)
{
    for (unsigned i = 0; i < nvms; i++)
        con_replay_all(&vms[i]->con, vms[i]->con_prefix, true);
}

int conin_owner(void)
{
    return router_shell_owns(&router) ? -1 : (int)router.owner;
}

uint64_t conin_deadline(void)
{
    return next_poll;
}

uint64_t conin_vm_dropped(const struct vm *vm)
{
    return inq[vm->index].dropped;
}

size_t conin_vm_waiting(const struct vm *vm)
{
    return byteq_count(&inq[vm->index]);
}

static void conin_switched(unsigned from_shell)
{
    if (router_shell_owns(&router)) {
        con_set_focus(NULL);
        con_hold(true);
        log_info("console: input to the shell (Ctrl-A three times: back to %s)",
                 nvms ? "vm0" : "the shell");
        shell_enter();
        return;
    }
    if (from_shell) {
        con_write("\n", 1); /* off the shell's prompt line */
        con_hold(false);     /* held lines go out from the next polls on */
    }
    struct vm *vm = vms[router.owner];
    log_info("console: input to vm%u (%s)%s", vm->index, vm->name,
             vm_ended(vm) ? ", which has ended: what is typed is dropped" : "");
    con_set_focus(&vm->con);
}

static void conin_route(uint8_t byte, uint32_t *kick)
{
    struct router_out o;
    unsigned before = router.owner;
    bool shell = router_shell_owns(&router);
    router_feed(&router, byte, &o);
    for (unsigned i = 0; i < o.n; i++) {
        if (shell) {
            shell_input(o.bytes[i]);
        } else if (!vm_ended(vms[before])) {
            byteq_push(&inq[before], o.bytes[i]);
            *kick |= 1u << before;
        }
    }
    if (o.switched)
        conin_switched(shell);
}

/* Held output goes out a few lines per poll, so that the console CPU's
 * own vCPU (if it has one) is never held up long. */
static void conin_replay(void)
{
    unsigned budget = CONIN_REPLAY_PER_POLL;
    for (unsigned i = 0; i < nvms && budget; i++)
        while (budget && !lineq_empty(&held[i])) {
            budget--;
            if (!con_replay_one(&vms[i]->con, vms[i]->con_prefix))
                break;
        }
}

void conin_poll(void)
{
    uint64_t now = rdtsc();
    if (now < next_poll)
        return;
    uint32_t kick = 0;
    for (unsigned n = 0; n < CONIN_BYTES_PER_POLL; n++) {
        int c = con_getc();
        if (c < 0)
            break;
        conin_route((uint8_t)c, &kick);
        active_until = now + tsc_hz / 1000 * CONIN_ACTIVE_MS;
    }
    bool fast = now < active_until || router_shell_owns(&router);
    next_poll = now + (fast ? poll_fast : poll_idle);
    for (unsigned i = 0; i < nvms; i++)
        if (kick & (1u << i))
            vcpu_kick(vms[i]->vcpus[0]); /* it moves the bytes into its UART */
    if (!router_shell_owns(&router)) {
        conin_replay();
        struct vm *vm = vms[router.owner];
        con_flush_partial(&vm->con, vm->con_prefix);
    }
}
