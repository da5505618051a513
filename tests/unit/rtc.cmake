# hv/dev/rtc.c: the CMOS real-time clock.
keel_host_test(NAME test_rtc SOURCES hv/dev/rtc.c tests/unit/test_rtc.c)
