keel_host_test(NAME test_x86_decode SOURCES hv/emul/x86_decode.c tests/unit/test_x86_decode.c)
