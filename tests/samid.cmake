# samid foundations (tools/samid: configuration file, DI preload file): one
# cmocka test, label "unit". tools/ is built only with SAMI_BUILD_TOOLS.
if(NOT TARGET samid_core)
  return()
endif()
add_executable(samid_config_test ${CMAKE_CURRENT_SOURCE_DIR}/samid_config_test.c)
target_link_libraries(samid_config_test PRIVATE samid_core sami PkgConfig::CMOCKA)
target_compile_definitions(samid_config_test PRIVATE
  SAMI_SOURCE_DIR="${CMAKE_SOURCE_DIR}" SAMI_BINARY_DIR="${CMAKE_BINARY_DIR}")
add_test(NAME samid_config_test COMMAND samid_config_test)
set_tests_properties(samid_config_test PROPERTIES LABELS unit)
