keel_host_test(NAME test_iommu_ivrs
  SOURCES iommu/iommu_desc.c iommu/amd/ivrs.c iommu/vtd/dmar.c tests/unit/test_iommu_ivrs.c)
keel_host_test(NAME test_iommu_dmar
  SOURCES iommu/iommu_desc.c iommu/amd/ivrs.c iommu/vtd/dmar.c tests/unit/test_iommu_dmar.c)
