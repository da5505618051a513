keel_host_test(NAME test_multiboot SOURCES hv/multiboot.c tests/unit/test_multiboot.c)
