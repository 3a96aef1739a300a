# VDP station + bridge over the simulator (lossy link, pcap decode). Needs
# sami_sim as well as sami, so it lives outside the test_*.c glob.
if(TARGET sami_sim)
  add_executable(vdp_sim_test ${CMAKE_CURRENT_SOURCE_DIR}/vdp_sim_test.c)
  target_link_libraries(vdp_sim_test PRIVATE sami_sim sami PkgConfig::CMOCKA)
  target_compile_definitions(vdp_sim_test PRIVATE SAMI_BINARY_DIR="${CMAKE_BINARY_DIR}")
  add_test(NAME vdp_sim_test COMMAND vdp_sim_test)
  set_tests_properties(vdp_sim_test PROPERTIES LABELS unit)
endif()
