keel_host_test(NAME test_vtd_enc
  SOURCES iommu/iommu_fault.c iommu/vtd/vtd_enc.c tests/unit/test_vtd_enc.c)
