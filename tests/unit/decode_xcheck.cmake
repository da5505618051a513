# The decoder's lengths against Zydis (Debian's libzydis-dev, in the
# launcher's dependency table).  Without the library the test still builds
# and reports itself skipped (exit 77), naming the package.
find_path(KEEL_ZYDIS_INCLUDE Zydis/Zydis.h)
find_library(KEEL_ZYDIS_LIB Zydis)
keel_host_test(NAME test_decode_xcheck SOURCES hv/emul/x86_decode.c tests/unit/test_decode_xcheck.c)
if(KEEL_ZYDIS_INCLUDE AND KEEL_ZYDIS_LIB)
  target_compile_definitions(test_decode_xcheck PRIVATE KEEL_HAVE_ZYDIS=1)
  target_include_directories(test_decode_xcheck PRIVATE ${KEEL_ZYDIS_INCLUDE})
  target_link_libraries(test_decode_xcheck PRIVATE ${KEEL_ZYDIS_LIB})
else()
  message(STATUS "Zydis not found (libzydis-dev): unit.test_decode_xcheck will be skipped")
endif()
set_tests_properties(unit.test_decode_xcheck PROPERTIES SKIP_RETURN_CODE 77)
