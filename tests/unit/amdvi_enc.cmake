keel_host_test(NAME test_amdvi_enc
  SOURCES iommu/iommu_fault.c iommu/amd/amdvi_enc.c tests/unit/test_amdvi_enc.c)
