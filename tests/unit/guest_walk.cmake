keel_host_test(NAME test_guest_walk SOURCES hv/guest_walk.c tests/unit/test_guest_walk.c)
