# hv/host/memfun.c: keel.efi's memset/memcpy/memmove against a byte-wise reference.
keel_host_test(NAME test_memfun SOURCES tests/unit/test_memfun.c)
