# hv/emul/xsave.c: XCR0 validation, the offered components, leaf 0xD.
keel_host_test(NAME test_xsave SOURCES hv/emul/xsave.c tests/unit/fake_fpu.c tests/unit/test_xsave.c)
