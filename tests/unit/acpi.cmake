keel_host_test(NAME test_acpi SOURCES boot/acpi.c tests/unit/test_acpi.c)
