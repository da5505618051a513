set(KEEL_VLAPIC_SOURCES apic/vlapic.c apic/vlapic_intr.c apic/vlapic_timer.c)
keel_host_test(NAME test_vlapic SOURCES ${KEEL_VLAPIC_SOURCES} tests/unit/test_vlapic.c)
keel_host_test(NAME test_vlapic_intr SOURCES ${KEEL_VLAPIC_SOURCES} tests/unit/test_vlapic_intr.c)
keel_host_test(NAME test_vlapic_timer SOURCES ${KEEL_VLAPIC_SOURCES} tests/unit/test_vlapic_timer.c)
