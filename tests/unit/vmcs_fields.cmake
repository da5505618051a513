# vmx/vmcs.h: field encodings, accessors over a fake VMREAD/VMWRITE.  The
# test reads vmcs.h itself to prove its table covers every field.
keel_host_test(NAME test_vmcs_fields SOURCES vmx/vmx_caps.c tests/unit/test_vmcs_fields.c)
target_compile_definitions(test_vmcs_fields PRIVATE KEEL_SOURCE_DIR="${CMAKE_SOURCE_DIR}")

# Accessor misuse must not build (docs/style.md item 4): each case compiles
# test_vmcs_fields.c with one wrong call and expects the static assertion.
foreach(c 1 2 3 4)
  if(c EQUAL 2)
    set(msg "read-only VM-exit information field")
  else()
    set(msg "VMCS accessor width does not match the field encoding")
  endif()
  add_test(NAME unit.vmcs_accessor_misuse_${c}
    COMMAND ${CMAKE_C_COMPILER} -fsyntax-only -DVMCS_BUILD_FAIL=${c}
            -I${CMAKE_SOURCE_DIR} -I${CMAKE_SOURCE_DIR}/tests/unit
            ${CMAKE_SOURCE_DIR}/tests/unit/test_vmcs_fields.c)
  set_tests_properties(unit.vmcs_accessor_misuse_${c} PROPERTIES
    PASS_REGULAR_EXPRESSION "${msg}")
endforeach()
