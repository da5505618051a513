# hv/dev/pci_pt.c: an assigned function's configuration space, mediated.
keel_host_test(NAME test_pci_pt SOURCES hv/dev/pci_pt.c hv/dev/pci.c tests/unit/test_pci_pt.c)
