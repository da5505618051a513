keel_host_test(NAME test_apic_dest SOURCES apic/apic_dest.c tests/unit/test_apic_dest.c)
