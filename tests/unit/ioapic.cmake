keel_host_test(NAME test_ioapic SOURCES apic/ioapic.c tests/unit/test_ioapic.c)
