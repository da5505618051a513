keel_host_test(NAME test_vcpuid SOURCES hv/emul/vcpuid.c hv/emul/xsave.c tests/unit/fake_fpu.c tests/unit/test_vcpuid.c)
