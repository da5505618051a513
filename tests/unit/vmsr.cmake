# hv/emul/vmsr.c: the MSR table of docs/msrs.md.
keel_host_test(NAME test_vmsr SOURCES hv/emul/vmsr.c tests/unit/test_vmsr.c)
