# sami-demo end to end (label "demo"): every scenario on ideal links and with
# 30% loss (plus duplication and reordering), and the capture read back by
# sami-sniff without a single malformed frame (tools/sami-demo/pcap_check.cmake).
if(NOT TARGET sami-demo)
  return()
endif()
foreach(sc consolidation firewall-dc vdi)
  add_test(NAME demo/${sc} COMMAND sami-demo --scenario ${sc})
  add_test(NAME demo/${sc}/loss0.3 COMMAND sami-demo --scenario ${sc} --loss 0.3)
  set_tests_properties(demo/${sc} demo/${sc}/loss0.3 PROPERTIES LABELS demo TIMEOUT 300)
endforeach()
add_test(NAME demo/scale4-loss0.1 COMMAND sami-demo --scale 4 --loss 0.1 --seed 7)
add_test(NAME demo/json COMMAND sami-demo --json --seed 3)
set_tests_properties(demo/scale4-loss0.1 demo/json PROPERTIES LABELS demo TIMEOUT 600)
set_tests_properties(demo/json PROPERTIES PASS_REGULAR_EXPRESSION "\"ok\":true}")
# --pods: many bridges in one fabric, a third of the migrations across pods
add_test(NAME demo/pods4 COMMAND sami-demo --pods 4 --json)
add_test(NAME demo/pods3-scale2-loss0.1 COMMAND sami-demo --pods 3 --scale 2 --loss 0.1 --seed 5)
set_tests_properties(demo/pods4 demo/pods3-scale2-loss0.1 PROPERTIES LABELS demo TIMEOUT 600)
set_tests_properties(demo/pods4 PROPERTIES PASS_REGULAR_EXPRESSION
                     "\"cross_pod_migrations\":[1-9].*\"ok\":true}")
if(TARGET sami-sniff)
  foreach(loss 0 0.3)
    add_test(NAME demo/pcap-sniff/loss${loss}
             COMMAND ${CMAKE_COMMAND} -DDEMO=$<TARGET_FILE:sami-demo>
                     -DSNIFF=$<TARGET_FILE:sami-sniff>
                     -DPCAP=${CMAKE_CURRENT_BINARY_DIR}/demo-loss${loss}.pcap
                     "-DARGS=--loss;${loss}"
                     -P ${CMAKE_SOURCE_DIR}/tools/sami-demo/pcap_check.cmake)
    set_tests_properties(demo/pcap-sniff/loss${loss} PROPERTIES LABELS demo TIMEOUT 300)
  endforeach()
endif()
