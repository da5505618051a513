keel_host_test(NAME test_acpi_fadt SOURCES boot/acpi.c tests/unit/test_acpi_fadt.c)
