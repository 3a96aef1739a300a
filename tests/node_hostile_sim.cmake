# Whole nodes under attack and at scale (tests/node_hostile_sim_test.c):
# hostile transfer messages at BR-D, 1,000 concurrent migrations, BR-D
# killed at each phase. Needs sami_node and sami_sim.
if(TARGET sami_node AND TARGET sami_sim)
  add_executable(node_hostile_sim_test ${CMAKE_CURRENT_SOURCE_DIR}/node_hostile_sim_test.c)
  target_link_libraries(node_hostile_sim_test PRIVATE sami_node sami_sim sami PkgConfig::CMOCKA)
  add_test(NAME node_hostile_sim_test COMMAND node_hostile_sim_test)
  set_tests_properties(node_hostile_sim_test PROPERTIES LABELS sim TIMEOUT 300)
endif()
