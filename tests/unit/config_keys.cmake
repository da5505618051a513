# The keel.cfg keys of boot/config.c, docs/config.md and tools/keel agree
# (the test reads the two text files from the source tree).
keel_host_test(NAME test_config_keys SOURCES boot/config.c boot/config_keys.c apic/apic_inhibit.c tests/unit/test_config_keys.c)
target_compile_definitions(test_config_keys PRIVATE KEEL_SOURCE_DIR="${CMAKE_SOURCE_DIR}")
