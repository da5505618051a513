/* SPDX-License-Identifier: MIT */
/* Host unit tests for hv/dev/reset_ctl.c: RST_CNT at 0xCF9 and the 8042. */
#include "check.h"
#include "hv/dev/reset_ctl.h"

static void test_cf9_sequences(void)
{
    struct rst_cnt r;
    rst_cnt_init(&r);
    CHECK_EQ(rst_cnt_read(&r), 0);
    /* Linux reboot=pci: 02h (SYS_RST, RST_CPU 0), then 06h. */
    CHECK_EQ(rst_cnt_write(&r, 0x02), RESET_NONE);
    CHECK_EQ(rst_cnt_read(&r), 0x02);
    CHECK_EQ(rst_cnt_write(&r, 0x06), RESET_HARD);
    /* Full reset: 0Ah then 0Eh. */
    rst_cnt_init(&r);
    CHECK_EQ(rst_cnt_write(&r, 0x0a), RESET_NONE);
    CHECK_EQ(rst_cnt_write(&r, 0x0e), RESET_HARD);
    /* The FADT's RESET_VALUE 06h written once over the reset default. */
    rst_cnt_init(&r);
    CHECK_EQ(rst_cnt_write(&r, 0x06), RESET_HARD);
    /* Soft reset: RST_CPU without SYS_RST. */
    rst_cnt_init(&r);
    CHECK_EQ(rst_cnt_write(&r, 0x04), RESET_SOFT);
}

static void test_cf9_edge_only(void)
{
    struct rst_cnt r;
    rst_cnt_init(&r);
    CHECK_EQ(rst_cnt_write(&r, 0x06), RESET_HARD);
    /* RST_CPU already 1: no new transition. */
    CHECK_EQ(rst_cnt_write(&r, 0x06), RESET_NONE);
    CHECK_EQ(rst_cnt_write(&r, 0x0e), RESET_NONE);
    CHECK_EQ(rst_cnt_write(&r, 0x00), RESET_NONE);
    CHECK_EQ(rst_cnt_write(&r, 0x0e), RESET_HARD);
    /* Reserved bits read 0 and never start anything. */
    rst_cnt_init(&r);
    CHECK_EQ(rst_cnt_write(&r, 0xf1), RESET_NONE);
    CHECK_EQ(rst_cnt_read(&r), 0);
}

static void test_kbc_idle_status(void)
{
    struct kbc k;
    kbc_init(&k);
    uint8_t s = kbc_read(&k, KBC_CMD_PORT);
    CHECK(s != 0xff);
    CHECK_EQ(s & (KBC_STS_OBF | KBC_STS_IBF), 0); /* nothing to read, ready for input */
    CHECK_EQ(kbc_write(&k, KBC_DATA_PORT, 0xf4), RESET_NONE); /* to a keyboard: none */
    CHECK_EQ(kbc_read(&k, KBC_CMD_PORT) & KBC_STS_OBF, 0);
}

static void test_kbc_commands(void)
{
    struct kbc k;
    kbc_init(&k);
    CHECK_EQ(kbc_write(&k, KBC_CMD_PORT, KBC_CMD_SELF_TEST), RESET_NONE);
    CHECK(kbc_read(&k, KBC_CMD_PORT) & KBC_STS_OBF);
    CHECK(kbc_read(&k, KBC_CMD_PORT) & KBC_STS_A2);
    CHECK_EQ(kbc_read(&k, KBC_DATA_PORT), KBC_SELF_TEST_OK);
    CHECK_EQ(kbc_read(&k, KBC_CMD_PORT) & KBC_STS_OBF, 0);
    /* Command byte round trip. */
    kbc_write(&k, KBC_CMD_PORT, KBC_CMD_WRITE_CCB);
    kbc_write(&k, KBC_DATA_PORT, 0x47);
    kbc_write(&k, KBC_CMD_PORT, KBC_CMD_READ_CCB);
    CHECK_EQ(kbc_read(&k, KBC_DATA_PORT), 0x47);
    kbc_write(&k, KBC_CMD_PORT, KBC_CMD_KBD_DISABLE);
    kbc_write(&k, KBC_CMD_PORT, KBC_CMD_READ_CCB);
    CHECK_EQ(kbc_read(&k, KBC_DATA_PORT), 0x47 | KBC_CCB_KBD_OFF);
    /* Interface test and the AUX loop (D3h): the byte comes back as AUX data. */
    kbc_write(&k, KBC_CMD_PORT, KBC_CMD_KBD_TEST);
    CHECK_EQ(kbc_read(&k, KBC_DATA_PORT), KBC_IFACE_TEST_OK);
    kbc_write(&k, KBC_CMD_PORT, KBC_CMD_WRITE_AUX_OUT);
    kbc_write(&k, KBC_DATA_PORT, 0x5a);
    CHECK(kbc_read(&k, KBC_CMD_PORT) & KBC_STS_AUXB);
    CHECK_EQ(kbc_read(&k, KBC_DATA_PORT), 0x5a);
    /* Output port read. */
    kbc_write(&k, KBC_CMD_PORT, KBC_CMD_READ_OUTPUT);
    CHECK_EQ(kbc_read(&k, KBC_DATA_PORT), KBC_OUT_DEFAULT);
}

static void test_kbc_reset_line(void)
{
    struct kbc k;
    kbc_init(&k);
    CHECK_EQ(kbc_write(&k, KBC_CMD_PORT, KBC_CMD_RESET), RESET_HARD);
    CHECK_EQ(kbc_write(&k, KBC_CMD_PORT, 0xf0), RESET_HARD);  /* pulses all four, bit 0 too */
    CHECK_EQ(kbc_write(&k, KBC_CMD_PORT, 0xff), RESET_NONE);  /* pulses nothing */
    CHECK_EQ(kbc_write(&k, KBC_CMD_PORT, 0xfd), RESET_NONE);  /* bit 1 (A20) only */
    /* D1h with bit 0 clear holds the CPU in reset; with it set, nothing. */
    CHECK_EQ(kbc_write(&k, KBC_CMD_PORT, KBC_CMD_WRITE_OUTPUT), RESET_NONE);
    CHECK_EQ(kbc_write(&k, KBC_DATA_PORT, 0x03), RESET_NONE);
    CHECK_EQ(kbc_write(&k, KBC_CMD_PORT, KBC_CMD_WRITE_OUTPUT), RESET_NONE);
    CHECK_EQ(kbc_write(&k, KBC_DATA_PORT, 0x02), RESET_HARD);
    /* A data byte without a pending command (keyboard) never resets. */
    CHECK_EQ(kbc_write(&k, KBC_DATA_PORT, 0x00), RESET_NONE);
    /* Ports other than 60h/64h. */
    CHECK_EQ(kbc_read(&k, 0x61), 0xff);
    CHECK_EQ(kbc_write(&k, 0x61, 0xfe), RESET_NONE);
}

int main(void)
{
    test_cf9_sequences();
    test_cf9_edge_only();
    test_kbc_idle_status();
    test_kbc_commands();
    test_kbc_reset_line();
    return check_report("reset_ctl");
}
