# hv/emul/nmi.c: the NMI machine (injection, blocking, the IRET single-step,
# the NMI window, vNMI) over the fake vcpu_ops (tests/unit/fake_hv.c).
keel_host_test(NAME test_nmi SOURCES hv/emul/exit.c hv/emul/emul_cr.c hv/emul/emul_msr.c
               hv/emul/emul_mmio.c hv/emul/inject.c hv/emul/nmi.c hv/emul/x86_decode.c
               hv/emul/vcpuid.c hv/emul/emul_xcr.c hv/emul/xsave.c hv/emul/vmsr.c
               tests/unit/fake_fpu.c tests/unit/fake_hv.c tests/unit/test_nmi.c)
