# vmx/vmx_caps.c: capability negotiation over fake VMX capability MSRs.
keel_host_test(NAME test_vmx_caps SOURCES vmx/vmx_caps.c tests/unit/test_vmx_caps.c)
