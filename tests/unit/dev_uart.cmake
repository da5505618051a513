keel_host_test(NAME test_dev_uart SOURCES hv/dev/dev_uart.c tests/unit/test_dev_uart.c)
