# hv/dev/vtd_ir.c: the guest's virtual VT-d interrupt-remapping unit.
keel_host_test(NAME test_vtd_ir SOURCES hv/dev/vtd_ir.c tests/unit/test_vtd_ir.c)
