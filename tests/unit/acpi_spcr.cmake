keel_host_test(NAME test_acpi_spcr SOURCES boot/acpi.c tests/unit/test_acpi_spcr.c)
