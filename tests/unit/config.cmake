keel_host_test(NAME test_config SOURCES boot/config.c apic/apic_inhibit.c tests/unit/test_config.c)
