keel_host_test(NAME test_conin SOURCES hv/shell/conbuf.c hv/shell/router.c tests/unit/test_conin.c)
