# hv/emul/nmi.c: the NMI machine (injection, blocking, the IRET single-step,
# the NMI window, vNMI) over the fake vcpu_ops (tests/unit/fake_hv.c).
keel_host_test(NAME test_nmi SOURCES ${KEEL_EXIT_PATH_SOURCES} tests/unit/test_nmi.c)
