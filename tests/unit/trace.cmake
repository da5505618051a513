# hv/trace_fmt.c: the exit trace's qualifiers and lines (the shell's trace dump).
keel_host_test(NAME test_trace SOURCES hv/trace_fmt.c hv/emul/exit.c tests/unit/fake_hv.c
               hv/emul/emul_cr.c hv/emul/emul_msr.c hv/emul/emul_mmio.c hv/emul/inject.c
               hv/emul/x86_decode.c hv/emul/vcpuid.c tests/unit/test_trace.c)
