# hv/dev/reset_ctl.c: the 0xCF9 reset control register and the 8042.
keel_host_test(NAME test_reset_ctl SOURCES hv/dev/reset_ctl.c tests/unit/test_reset_ctl.c)
