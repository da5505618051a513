# tests/model/avic_hw*.c: the model of the AMD AVIC / x2AVIC hardware that
# Keel's AVIC driver is tested against, checked on its own against
# scenarios worked out from the APM (docs/avic-model.md), including an IPI
# storm from several threads.
keel_host_test(NAME avic_model SOURCES tests/model/avic_hw.c tests/model/avic_hw_access.c
               tests/model/avic_hw_ipi.c tests/unit/test_avic_model.c)
target_link_libraries(avic_model PRIVATE pthread)
