keel_host_test(NAME test_page_alloc SOURCES hv/mm/page_alloc.c tests/unit/test_page_alloc.c)
