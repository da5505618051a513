keel_host_test(NAME test_dev_pit SOURCES hv/dev/dev_pit.c tests/unit/test_dev_pit.c)
