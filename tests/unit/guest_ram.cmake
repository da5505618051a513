# hv/mm/guest_ram.c: the guest-physical layout (RAM below 2 GiB, the PCI hole, RAM from 4 GiB)
# and the host chunks behind it.
keel_host_test(NAME test_guest_ram SOURCES hv/mm/guest_ram.c tests/unit/test_guest_ram.c)
