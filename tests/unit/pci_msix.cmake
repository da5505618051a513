# hv/dev/pci_msix.c: an assigned function's MSI-X table, mediated (and the
# capability in hv/dev/pci_pt.c).
keel_host_test(NAME test_pci_msix SOURCES hv/dev/pci_msix.c hv/dev/pci_pt.c tests/unit/test_pci_msix.c)
