# hv/dev/pci.c: PCI configuration mechanism #1 and the host bridge.
keel_host_test(NAME test_pci SOURCES hv/dev/pci.c hv/dev/pci_pt.c tests/unit/test_pci.c)
