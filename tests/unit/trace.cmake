# hv/trace_fmt.c: the exit trace's qualifiers and lines (the shell's trace dump).
keel_host_test(NAME test_trace SOURCES hv/trace_fmt.c ${KEEL_EXIT_PATH_SOURCES} tests/unit/test_trace.c)
