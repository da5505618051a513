# hv/irq_post.c (posted or remapped: the decision and its IRTEs) and the
# AMD-Vi GA log consumer, checked against the IOMMU posting models of
# tests/model/irq_post_model.h (AMD-Vi and VT-d, written from the specs by
# another engineer), with the VMX PI descriptor code (vmx/vmx_pi.c) as the
# VT-d posting target.
keel_host_test(NAME test_irq_post SOURCES hv/irq_post.c apic/apic_dest.c iommu/amd/amdvi_enc.c
               iommu/vtd/vtd_enc.c iommu/iommu_fault.c vmx/vmx_pi.c tests/model/irq_post_amdvi.c
               tests/model/irq_post_vtd.c tests/unit/test_irq_post.c)
