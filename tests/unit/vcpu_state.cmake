# hv/vcpu_state.c: INIT, SIPI, multiboot and Linux entry states.
keel_host_test(NAME test_vcpu_state SOURCES hv/vcpu_state.c tests/unit/test_vcpu_state.c)
