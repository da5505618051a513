# vmx/vmx_vid_quirk.h: when Keel works around Bochs 2.7 delivering virtual
# interrupts to a guest with IF = 0, and which entries hold one back.
keel_host_test(NAME test_vmx_vid_quirk SOURCES tests/unit/test_vmx_vid_quirk.c)
