# apic/apic_accel.c: the APIC acceleration predicate and inhibit reasons.
keel_host_test(NAME test_apic_accel SOURCES apic/apic_accel.c apic/apic_inhibit.c tests/unit/test_apic_accel.c)
