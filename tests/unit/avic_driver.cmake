# svm/avic.c, Keel's AVIC driver, against the model of the AVIC hardware
# written separately from the APM (tests/model/), through the rig in
# tests/unit/avic_rig.c (the vLAPIC, the predicate and the inhibit machine
# run for real).
set(KEEL_AVIC_RIG_SOURCES svm/avic.c svm/msrpm.c apic/vlapic.c apic/vlapic_intr.c
    apic/vlapic_timer.c apic/apic_dest.c apic/apic_accel.c apic/apic_inhibit.c
    tests/model/avic_hw.c tests/model/avic_hw_access.c tests/model/avic_hw_ipi.c
    tests/unit/avic_rig.c)
keel_host_test(NAME avic_driver SOURCES ${KEEL_AVIC_RIG_SOURCES} tests/unit/test_avic_driver.c)
target_link_libraries(avic_driver PRIVATE pthread)
keel_host_test(NAME avic_stress SOURCES ${KEEL_AVIC_RIG_SOURCES} tests/unit/test_avic_stress.c)
target_link_libraries(avic_stress PRIVATE pthread)
