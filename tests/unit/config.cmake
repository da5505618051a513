keel_host_test(NAME test_config SOURCES boot/config.c boot/config_keys.c apic/apic_inhibit.c tests/unit/test_config.c)
