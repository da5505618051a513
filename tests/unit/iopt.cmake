# iommu/iopt.c: the I/O page table builder, in both vendors' formats.
keel_host_test(NAME test_iopt
  SOURCES iommu/iopt.c iommu/iommu_desc.c iommu/amd/ivrs.c iommu/vtd/dmar.c iommu/iommu_fault.c iommu/amd/amdvi_enc.c iommu/vtd/vtd_enc.c
          tests/unit/test_iopt.c)
