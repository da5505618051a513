# VT-d device scopes with paths through bridges, resolved from a fake
# configuration space (iommu/vtd/dmar.c iommu_dmar_resolve_paths).
keel_host_test(NAME test_dmar_paths
  SOURCES iommu/iommu_desc.c iommu/amd/ivrs.c iommu/vtd/dmar.c tests/unit/test_dmar_paths.c)
