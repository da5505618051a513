# hv/mm/npt.c with hv/mm/guest_ram.c: 1 GiB / 2 MiB nested pages for a VM's RAM chunks, the
# per-size counts of the boot log, 4 KiB traps splitting large pages.
keel_host_test(NAME test_npt_large SOURCES hv/mm/npt.c hv/mm/guest_ram.c tests/unit/test_npt_large.c)
