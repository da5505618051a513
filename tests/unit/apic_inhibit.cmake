# apic/apic_inhibit.c: the inhibit machine (activation vs reasons, history,
# the IRQ-window count) and, as inhibit_stress, threads moving it at once.
keel_host_test(NAME inhibit_machine SOURCES apic/apic_inhibit.c tests/unit/test_apic_inhibit.c)
target_link_libraries(inhibit_machine PRIVATE pthread)
add_test(NAME unit.inhibit_stress COMMAND inhibit_machine stress)
