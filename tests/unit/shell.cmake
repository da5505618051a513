keel_host_test(NAME test_shell SOURCES hv/shell/shell_line.c hv/shell/shell_parse.c tests/unit/test_shell.c)
