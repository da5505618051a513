# hv/dev/acpi_pm.c: ACPI PM1a event/control blocks and the PM timer.
keel_host_test(NAME test_acpi_pm SOURCES hv/dev/acpi_pm.c tests/unit/test_acpi_pm.c)
