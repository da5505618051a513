keel_host_test(NAME test_tftp_path SOURCES boot/tftp_path.c tests/unit/test_tftp_path.c)
