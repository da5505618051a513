/* SPDX-License-Identifier: MIT */
/* The console input router (hv/shell/router.h). */
#include "hv/shell/router.h"

void router_init(struct router *r, unsigned nvms)
{
    r->nvms = nvms;
    r->owner = 0; /* vm0, or the shell when nvms == 0 */
    r->held = 0;
}

bool router_shell_owns(const struct router *r)
{
    return r->owner == r->nvms;
}

void router_feed(struct router *r, uint8_t byte, struct router_out *out)
{
    out->n = 0;
    out->switched = false;
    if (byte == ROUTER_ESC_BYTE) {
        if (++r->held < ROUTER_ESC_COUNT)
            return;
        r->held = 0;
        r->owner = r->owner >= r->nvms ? 0 : r->owner + 1;
        out->switched = true;
        return;
    }
    while (r->held) {
        out->bytes[out->n++] = ROUTER_ESC_BYTE;
        r->held--;
    }
    out->bytes[out->n++] = byte;
}
