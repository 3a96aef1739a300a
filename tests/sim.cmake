# Simulator unit tests: need sami_sim as well as sami, so they live outside
# the test_*.c glob (which links sami alone).
if(TARGET sami_sim)
  add_executable(sim_test ${CMAKE_CURRENT_SOURCE_DIR}/sim_test.c)
  target_link_libraries(sim_test PRIVATE sami_sim sami PkgConfig::CMOCKA)
  add_test(NAME sim_test COMMAND sim_test)
  set_tests_properties(sim_test PROPERTIES LABELS unit)
endif()
