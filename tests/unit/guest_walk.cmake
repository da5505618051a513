keel_host_test(NAME test_guest_walk SOURCES hv/emul/guest_walk.c tests/unit/test_guest_walk.c)
