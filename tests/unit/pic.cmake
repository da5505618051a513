keel_host_test(NAME test_pic SOURCES hv/dev/pic.c tests/unit/test_pic.c)
