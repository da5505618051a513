keel_host_test(NAME test_rtc_irq SOURCES hv/dev/rtc.c tests/unit/test_rtc_irq.c)
