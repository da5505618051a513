keel_host_test(NAME test_pic SOURCES apic/pic.c tests/unit/test_pic.c)
