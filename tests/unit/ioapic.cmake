keel_host_test(NAME test_ioapic SOURCES hv/dev/ioapic.c tests/unit/test_ioapic.c)
