# hv/linux_boot.c: the Linux x86 boot protocol loader (header checks, placement, e820, zero page).
keel_host_test(NAME test_linux_boot SOURCES hv/linux_boot.c tests/unit/test_linux_boot.c)
