keel_host_test(NAME test_guest_acpi SOURCES hv/dev/guest_acpi.c boot/acpi.c tests/unit/test_guest_acpi.c)
