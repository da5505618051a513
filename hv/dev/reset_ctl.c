/* SPDX-License-Identifier: MIT */
/* The chipset's reset sources: RST_CNT at 0xCF9 and the 8042 (hv/dev/reset_ctl.h). */
#include "hv/dev/reset_ctl.h"

/* ---- RST_CNT ------------------------------------------------------------- */

void rst_cnt_init(struct rst_cnt *r)
{
    r->val = 0; /* the register's default after a platform reset */
}

uint8_t rst_cnt_read(const struct rst_cnt *r)
{
    return r->val;
}

/* The reset starts on RST_CPU's 0 -> 1 transition; its kind is what
 * SYS_RST (and FULL_RST) say in the same write.  Writing 06h over 06h
 * again starts nothing: software writes 02h or 00h first (Linux's
 * reboot=pci does 02h then 06h), or the register is 0 after the reset. */
enum reset_kind rst_cnt_write(struct rst_cnt *r, uint8_t val)
{
    uint8_t old = r->val;
    r->val = val & RST_CNT_MASK;
    if (!(val & RST_CNT_RST_CPU) || (old & RST_CNT_RST_CPU))
        return RESET_NONE;
    return (val & RST_CNT_SYS_RST) ? RESET_HARD : RESET_SOFT;
}

/* ---- 8042 ------------------------------------------------------------------ */

void kbc_init(struct kbc *k)
{
    k->ccb = KBC_CCB_DEFAULT;
    k->outport = KBC_OUT_DEFAULT;
    k->out = 0;
    k->out_full = false;
    k->out_aux = false;
    k->last_cmd = false;
    k->pending = 0;
}

static void kbc_put(struct kbc *k, uint8_t val, bool aux)
{
    k->out = val;
    k->out_full = true;
    k->out_aux = aux;
}

static uint8_t kbc_status(const struct kbc *k)
{
    uint8_t s = KBC_STS_INH;
    if (k->out_full)
        s |= KBC_STS_OBF | (k->out_aux ? KBC_STS_AUXB : 0);
    if (k->ccb & KBC_CCB_SYS)
        s |= KBC_STS_SYS;
    if (k->last_cmd)
        s |= KBC_STS_A2;
    return s;
}

uint8_t kbc_read(struct kbc *k, uint16_t port)
{
    if (port == KBC_CMD_PORT)
        return kbc_status(k);
    if (port != KBC_DATA_PORT)
        return 0xff;
    /* Reading 60h empties the buffer; an empty one reads its last byte. */
    k->out_full = false;
    k->out_aux = false;
    return k->out;
}

/* The data byte of a command that takes one (60h-7Fh, D1h-D4h). */
static enum reset_kind kbc_data(struct kbc *k, uint8_t cmd, uint8_t val)
{
    if (cmd == KBC_CMD_WRITE_CCB)
        k->ccb = val;
    else if (cmd == KBC_CMD_WRITE_KBD_OUT)
        kbc_put(k, val, false);
    else if (cmd == KBC_CMD_WRITE_AUX_OUT)
        kbc_put(k, val, true);
    else if (cmd == KBC_CMD_WRITE_OUTPUT) {
        k->outport = val;
        if (!(val & KBC_OUT_RESET))
            return RESET_HARD; /* bit 0 low holds the CPU in reset */
    }
    /* other controller RAM bytes and KBC_CMD_WRITE_AUX: no device, dropped */
    return RESET_NONE;
}

static bool kbc_takes_data(uint8_t cmd)
{
    return (cmd >= KBC_CMD_WRITE_CCB && cmd <= KBC_CMD_WRITE_RAM_LAST) ||
           (cmd >= KBC_CMD_WRITE_OUTPUT && cmd <= KBC_CMD_WRITE_AUX);
}

static enum reset_kind kbc_command(struct kbc *k, uint8_t cmd)
{
    if (kbc_takes_data(cmd)) {
        k->pending = cmd;
        return RESET_NONE;
    }
    if (cmd >= KBC_CMD_PULSE_BASE)
        return (cmd & KBC_OUT_RESET) ? RESET_NONE : RESET_HARD; /* FEh: pulse bit 0 */
    switch (cmd) {
    case KBC_CMD_READ_CCB: kbc_put(k, k->ccb, false); break;
    case KBC_CMD_AUX_DISABLE: k->ccb |= KBC_CCB_AUX_OFF; break;
    case KBC_CMD_AUX_ENABLE: k->ccb &= (uint8_t)~KBC_CCB_AUX_OFF; break;
    case KBC_CMD_KBD_DISABLE: k->ccb |= KBC_CCB_KBD_OFF; break;
    case KBC_CMD_KBD_ENABLE: k->ccb &= (uint8_t)~KBC_CCB_KBD_OFF; break;
    case KBC_CMD_AUX_TEST:
    case KBC_CMD_KBD_TEST: kbc_put(k, KBC_IFACE_TEST_OK, false); break;
    case KBC_CMD_SELF_TEST:
        k->ccb |= KBC_CCB_SYS;
        kbc_put(k, KBC_SELF_TEST_OK, false);
        break;
    case KBC_CMD_READ_INPUT: kbc_put(k, 0, false); break;
    case KBC_CMD_READ_OUTPUT: kbc_put(k, k->outport, false); break;
    default:
        if (cmd > KBC_CMD_READ_CCB && cmd < KBC_CMD_WRITE_CCB)
            kbc_put(k, 0, false); /* other controller RAM: zeros */
        break; /* unknown commands are ignored, as the 8042 does */
    }
    return RESET_NONE;
}

enum reset_kind kbc_write(struct kbc *k, uint16_t port, uint8_t val)
{
    if (port == KBC_CMD_PORT) {
        k->last_cmd = true;
        k->pending = 0; /* a new command abandons one waiting for data */
        return kbc_command(k, val);
    }
    if (port != KBC_DATA_PORT)
        return RESET_NONE;
    k->last_cmd = false;
    uint8_t cmd = k->pending;
    k->pending = 0;
    /* Without a pending command the byte is for the keyboard: none here. */
    return cmd ? kbc_data(k, cmd, val) : RESET_NONE;
}
