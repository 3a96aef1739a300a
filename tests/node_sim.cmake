# Node glue in the simulator (tests/node_sim_test.c): HV-S, BR-O, BR-D, HV-D
# running the real engines end to end. Needs sami_node and sami_sim.
if(TARGET sami_node AND TARGET sami_sim)
  add_executable(node_sim_test ${CMAKE_CURRENT_SOURCE_DIR}/node_sim_test.c)
  target_link_libraries(node_sim_test PRIVATE sami_node sami_sim sami PkgConfig::CMOCKA)
  add_test(NAME node_sim_test COMMAND node_sim_test)
  set_tests_properties(node_sim_test PROPERTIES SKIP_RETURN_CODE 77 LABELS unit)
endif()
