keel_host_test(NAME test_npt SOURCES hv/mm/npt.c tests/unit/test_npt.c)
