# Transfer engine over the simulator: two bridges on a lossy simulated link,
# both bindings. Needs sami_sim as well as sami (outside the test_*.c glob).
if(TARGET sami_sim)
  add_executable(xfer_sim_test ${CMAKE_CURRENT_SOURCE_DIR}/xfer_sim_test.c)
  target_link_libraries(xfer_sim_test PRIVATE sami_sim sami PkgConfig::CMOCKA)
  add_test(NAME xfer_sim_test COMMAND xfer_sim_test)
  set_tests_properties(xfer_sim_test PROPERTIES SKIP_RETURN_CODE 77 LABELS sim TIMEOUT 900)
endif()
