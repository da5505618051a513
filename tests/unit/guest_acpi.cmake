keel_host_test(NAME test_guest_acpi SOURCES hv/dev/guest_acpi.c hv/dev/guest_aml.c boot/acpi.c
               iommu/iommu_desc.c iommu/amd/ivrs.c iommu/vtd/dmar.c tests/unit/test_guest_acpi.c)
