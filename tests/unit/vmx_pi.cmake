# vmx/vmx_pi.c: posted interrupts and IPI virtualization against a model of
# the CPU (tests/unit/pi_model.c), including posts from several threads.
keel_host_test(NAME test_vmx_pi SOURCES vmx/vmx_pi.c tests/unit/pi_model.c tests/unit/test_vmx_pi.c)
target_link_libraries(test_vmx_pi PRIVATE pthread)
