# x2APIC destinations in remapped interrupts: the decision (iommu_desc.c),
# the VT-d IRTA value (vtd_enc.c) and the remapped IRTEs irq_post.c builds
# for a host APIC ID above 255 on either vendor.
keel_host_test(NAME test_iommu_x2 SOURCES iommu/iommu_desc.c iommu/amd/ivrs.c iommu/vtd/dmar.c hv/irq_post.c apic/apic_dest.c
               iommu/amd/amdvi_enc.c iommu/vtd/vtd_enc.c iommu/iommu_fault.c
               tests/unit/test_iommu_x2.c)
