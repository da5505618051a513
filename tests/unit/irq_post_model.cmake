# tests/model/irq_post_*.c: the models of AMD-Vi guest virtual APIC IRTEs
# and VT-d posted interrupts that Keel's IOMMU driver is checked against,
# checked on their own against scenarios worked out by hand from the
# specifications (docs/irq-post-model.md).
keel_host_test(NAME irq_post_model SOURCES tests/model/irq_post_amdvi.c tests/model/irq_post_vtd.c
               tests/unit/test_irq_post_model.c)
