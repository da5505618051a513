# hv/emul/: the exit path (dispatch, control registers, MSRs, MMIO, event
# injection, XSETBV) over a fake vcpu_ops and APIC (tests/unit/fake_hv.c)
# and a fake host FPU (tests/unit/fake_fpu.c).
keel_host_test(NAME test_exit SOURCES ${KEEL_EXIT_PATH_SOURCES} tests/unit/test_exit.c)
# svm/svm_exit.c and vmx/vmx_exit.c: both decoders against a fake VMCB and a
# fake VMCS (vmcs_read_raw), into the neutral record.
keel_host_test(NAME test_exit_decode SOURCES svm/svm_exit.c svm/avic.c svm/msrpm.c vmx/vmx_exit.c vmx/vmx_caps.c
               hv/emul/x86_decode.c hv/mm/guest_ram.c tests/unit/fake_hv.c tests/unit/test_exit_decode.c)
