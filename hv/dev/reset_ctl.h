/* SPDX-License-Identifier: MIT */
/*
 * The two ways a PC's chipset resets the machine when software asks, as
 * pure state machines (the glue is hv/dev/vplatform.c, the restart itself
 * hv/vm_reset.c):
 *
 * 1. The Reset Control Register at I/O port 0xCF9 (Intel PCH datasheets,
 *    "RST_CNT"; also ICH and the AMD FCH's equivalent): bit 1 SYS_RST
 *    chooses a hard reset (platform reset) over a soft one (INIT# only),
 *    bit 2 RST_CPU starts the reset on its 0 -> 1 transition, bit 3
 *    FULL_RST makes a hard reset a full power cycle.  Software writes 02h
 *    (or 0Ah) and then 06h (or 0Eh); the ACPI FADT's RESET_REG points here
 *    with RESET_VALUE 06h, written once (ACPI 6.5, 4.8.3.6).  Only byte
 *    accesses reach it: a dword at 0xCF8 is PCI's CONFIG_ADDRESS.
 *
 * 2. The 8042 keyboard controller (IBM PC/AT Technical Reference, "Keyboard
 *    Controller"): data at port 60h, command and status at 64h.  Command
 *    FEh (any of F0h-FFh with bit 0 clear) pulses output port bit 0, the
 *    CPU reset line; so does writing the output port (command D1h) with
 *    bit 0 clear.  Keel has no keyboard and no mouse: the controller itself
 *    answers its own commands (self-test 55h, interface tests 00h, the
 *    command byte, the output port), so that a probing OS sees a sane
 *    controller with an empty output buffer instead of an open bus (FFh:
 *    "output buffer full" forever); bytes for the devices are dropped, and
 *    no IRQ 1 or 12 is raised (nothing ever arrives by itself).
 *
 * Pure; the caller's lock (vplatform.lock) protects the state.
 */
#ifndef KEEL_HV_RESET_CTL_H
#define KEEL_HV_RESET_CTL_H

#include <stdbool.h>
#include <stdint.h>

/* ---- Reset Control Register (RST_CNT) ------------------------------------ */

#define RST_CNT_PORT      0xcf9u
#define RST_CNT_SYS_RST   (1u << 1)   /* 1: hard reset, 0: soft (INIT#) */
#define RST_CNT_RST_CPU   (1u << 2)   /* 0 -> 1 starts the reset */
#define RST_CNT_FULL_RST  (1u << 3)   /* with SYS_RST: full power cycle */
#define RST_CNT_MASK      (RST_CNT_SYS_RST | RST_CNT_RST_CPU | RST_CNT_FULL_RST) /* rest reserved, 0 */

/* What a write asks of the platform. */
enum reset_kind {
    RESET_NONE = 0,
    RESET_SOFT,     /* RST_CNT with SYS_RST clear: INIT# to the processors */
    RESET_HARD,     /* RST_CNT hard or full reset; the 8042's reset line */
};

struct rst_cnt {
    uint8_t val;    /* bits of RST_CNT_MASK */
};

void rst_cnt_init(struct rst_cnt *r);
uint8_t rst_cnt_read(const struct rst_cnt *r);
/* A byte written to 0xCF9; the reset it starts, if any. */
enum reset_kind rst_cnt_write(struct rst_cnt *r, uint8_t val);

/* ---- 8042 keyboard controller -------------------------------------------- */

#define KBC_DATA_PORT     0x60u
#define KBC_CMD_PORT      0x64u      /* write: command; read: status */

/* Status register (port 64h read). */
#define KBC_STS_OBF       (1u << 0)   /* output buffer full: data at 60h */
#define KBC_STS_IBF       (1u << 1)   /* input buffer full: never, commands complete at once */
#define KBC_STS_SYS       (1u << 2)   /* system flag (self-test passed / command byte bit 2) */
#define KBC_STS_A2        (1u << 3)   /* last write was a command (64h) */
#define KBC_STS_INH       (1u << 4)   /* 1: keyboard not inhibited */
#define KBC_STS_AUXB      (1u << 5)   /* the output buffer holds auxiliary-device data */

/* Controller command byte (commands 20h / 60h). */
#define KBC_CCB_KBD_INT   (1u << 0)
#define KBC_CCB_AUX_INT   (1u << 1)
#define KBC_CCB_SYS       (1u << 2)
#define KBC_CCB_KBD_OFF   (1u << 4)
#define KBC_CCB_AUX_OFF   (1u << 5)
#define KBC_CCB_XLATE     (1u << 6)
#define KBC_CCB_DEFAULT   (KBC_CCB_SYS | KBC_CCB_XLATE) /* interrupts off: none are raised */

/* Output port (commands D0h / D1h). */
#define KBC_OUT_RESET     (1u << 0)   /* 0: the CPU is held in reset */
#define KBC_OUT_A20       (1u << 1)
#define KBC_OUT_DEFAULT   (KBC_OUT_RESET | KBC_OUT_A20)

/* Commands. */
#define KBC_CMD_READ_CCB      0x20u   /* 20h-3Fh: read controller RAM (20h: the CCB) */
#define KBC_CMD_WRITE_CCB     0x60u   /* 60h-7Fh: write controller RAM (60h: the CCB) */
#define KBC_CMD_WRITE_RAM_LAST 0x7fu
#define KBC_CMD_AUX_DISABLE   0xa7u
#define KBC_CMD_AUX_ENABLE    0xa8u
#define KBC_CMD_AUX_TEST      0xa9u
#define KBC_CMD_SELF_TEST     0xaau
#define KBC_CMD_KBD_TEST      0xabu
#define KBC_CMD_KBD_DISABLE   0xadu
#define KBC_CMD_KBD_ENABLE    0xaeu
#define KBC_CMD_READ_INPUT    0xc0u
#define KBC_CMD_READ_OUTPUT   0xd0u
#define KBC_CMD_WRITE_OUTPUT  0xd1u
#define KBC_CMD_WRITE_KBD_OUT 0xd2u   /* next byte appears as keyboard data */
#define KBC_CMD_WRITE_AUX_OUT 0xd3u   /* next byte appears as auxiliary data (loop test) */
#define KBC_CMD_WRITE_AUX     0xd4u   /* next byte to the auxiliary device */
#define KBC_CMD_PULSE_BASE    0xf0u   /* F0h-FFh: pulse output bits 3:0 where the command's are 0 */
#define KBC_CMD_RESET         0xfeu

#define KBC_SELF_TEST_OK      0x55u
#define KBC_IFACE_TEST_OK     0x00u

struct kbc {
    uint8_t ccb;          /* controller command byte */
    uint8_t outport;
    uint8_t out;          /* output buffer */
    bool out_full, out_aux;
    bool last_cmd;        /* status A2 */
    uint8_t pending;      /* a command waiting for its data byte, 0 = none */
};

void kbc_init(struct kbc *k);
/* A byte read from port 60h or 64h (other ports: FFh). */
uint8_t kbc_read(struct kbc *k, uint16_t port);
/* A byte written to port 60h or 64h; RESET_HARD when it pulses the reset line. */
enum reset_kind kbc_write(struct kbc *k, uint16_t port, uint8_t val);

#endif /* KEEL_HV_RESET_CTL_H */
