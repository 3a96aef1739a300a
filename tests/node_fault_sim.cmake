# Fault cases of issue #6 with whole nodes (tests/node_fault_sim_test.c):
# 30% loss/reorder/duplication, fabric partitions at each phase (healed and
# outlasting the deadlines), restarts after the commit, a hypervisor that
# never sends RESUMED, clock jumps. Needs sami_node and sami_sim.
if(TARGET sami_node AND TARGET sami_sim)
  add_executable(node_fault_sim_test ${CMAKE_CURRENT_SOURCE_DIR}/node_fault_sim_test.c)
  target_link_libraries(node_fault_sim_test PRIVATE sami_node sami_sim sami PkgConfig::CMOCKA)
  add_test(NAME node_fault_sim_test COMMAND node_fault_sim_test)
  set_tests_properties(node_fault_sim_test PROPERTIES LABELS sim TIMEOUT 300)
endif()
