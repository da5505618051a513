keel_host_test(NAME test_vcpuid SOURCES hv/emul/vcpuid.c tests/unit/test_vcpuid.c)
