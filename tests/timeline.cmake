# sami-sniff --timeline (docs/SNIFF.md, "Timeline").
#
#  timeline/<name>  (label golden): every pcap-samples/sim/<name>.pcap(ng)
#      with a <name>.timeline.txt beside it; `sami-sniff --timeline -r` must
#      equal the .txt byte for byte, and `--timeline --json` must print one
#      JSON object per migration. Regenerate after an intended change:
#        SAMI_GOLDEN_UPDATE=1 ctest -R timeline/   (then review the diff)
#  timeline/demo-lossy  (label demo): a fresh sami-demo capture with 30% loss
#      (retransmissions, duplicates, reordering): one timeline entry per
#      migration the demo ran, each completed with a blackout or rolled back
#      (the demo's two legal ends), every event attributed, nothing malformed.
#
# This file has two roles: included by tests/CMakeLists.txt it adds the
# tests; run with `cmake -P` (by those tests) it performs them.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  if(NOT TARGET sami-sniff)
    return()
  endif()
  file(GLOB SAMI_TIMELINE_SAMPLES CONFIGURE_DEPENDS
       ${CMAKE_SOURCE_DIR}/pcap-samples/sim/*.pcap ${CMAKE_SOURCE_DIR}/pcap-samples/sim/*.pcapng
       ${CMAKE_SOURCE_DIR}/pcap-samples/sim/*.timeline.txt)
  list(SORT SAMI_TIMELINE_SAMPLES)
  foreach(f ${SAMI_TIMELINE_SAMPLES})
    if(NOT f MATCHES "\\.pcap(ng)?$")
      continue()
    endif()
    string(REGEX REPLACE "\\.pcap(ng)?$" ".timeline.txt" expected ${f})
    if(NOT EXISTS ${expected})
      continue()
    endif()
    get_filename_component(name ${f} NAME_WE)
    add_test(NAME timeline/${name}
             COMMAND ${CMAKE_COMMAND} -DMODE=golden -DSNIFF=$<TARGET_FILE:sami-sniff>
                     -DPCAP=${f} -DEXPECTED=${expected} -P ${CMAKE_CURRENT_LIST_FILE})
    set_tests_properties(timeline/${name} PROPERTIES LABELS golden)
  endforeach()
  if(TARGET sami-demo)
    add_test(NAME timeline/demo-lossy
             COMMAND ${CMAKE_COMMAND} -DMODE=demo -DSNIFF=$<TARGET_FILE:sami-sniff>
                     -DDEMO=$<TARGET_FILE:sami-demo>
                     -DPCAP=${CMAKE_CURRENT_BINARY_DIR}/timeline-demo-lossy.pcap
                     -P ${CMAKE_CURRENT_LIST_FILE})
    set_tests_properties(timeline/demo-lossy PROPERTIES LABELS demo TIMEOUT 300)
  endif()
  return()
endif()

# ---- script mode ----
cmake_minimum_required(VERSION 3.18)
foreach(v MODE SNIFF PCAP)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "timeline.cmake: -D${v}=... missing")
  endif()
endforeach()

# Each --json line must be a JSON object (string(JSON) needs CMake 3.19).
function(check_json text)
  if(CMAKE_VERSION VERSION_LESS 3.19)
    return()
  endif()
  string(REPLACE "\n" ";" lines "${text}")
  set(n 0)
  foreach(line ${lines})
    if(line STREQUAL "")
      continue()
    endif()
    string(JSON id ERROR_VARIABLE jerr GET "${line}" migration_id)
    if(jerr)
      message(FATAL_ERROR "--timeline --json printed a line that is not a migration object "
                          "(${jerr}):\n${line}")
    endif()
    math(EXPR n "${n} + 1")
  endforeach()
  set(json_count ${n} PARENT_SCOPE)
endfunction()

function(sniff out_var)
  execute_process(COMMAND ${SNIFF} ${ARGN} -r ${PCAP}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sami-sniff ${ARGN} -r ${PCAP} exited ${rc}:\n${err}")
  endif()
  set(${out_var} "${out}" PARENT_SCOPE)
endfunction()

if(MODE STREQUAL "golden")
  sniff(text --timeline)
  if("$ENV{SAMI_GOLDEN_UPDATE}" STREQUAL "1")
    file(WRITE ${EXPECTED} "${text}")
    message(STATUS "updated ${EXPECTED}")
    return()
  endif()
  file(READ ${EXPECTED} want)
  if(NOT text STREQUAL want)
    file(WRITE ${EXPECTED}.actual "${text}")
    execute_process(COMMAND diff -u ${EXPECTED} ${EXPECTED}.actual OUTPUT_VARIABLE d)
    file(REMOVE ${EXPECTED}.actual)
    message(FATAL_ERROR "timeline of ${PCAP} differs from ${EXPECTED}:\n${d}")
  endif()
  sniff(json --timeline --json)
  check_json("${json}")
  string(REGEX MATCH "timeline: ([0-9]+) migration" m "${text}")
  if(DEFINED json_count AND NOT json_count EQUAL CMAKE_MATCH_1)
    message(FATAL_ERROR "--json gave ${json_count} objects for ${CMAKE_MATCH_1} migrations")
  endif()
  message(STATUS "timeline: ${PCAP} as expected")
elseif(MODE STREQUAL "demo")
  execute_process(COMMAND ${DEMO} --scenario vdi --loss 0.3 --seed 7 --pcap ${PCAP}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "sami-demo failed (${rc}):\n${out}\n${err}")
  endif()
  string(REGEX MATCH "\\(([0-9]+) migrate" m "${out}")
  set(want ${CMAKE_MATCH_1})
  sniff(text --timeline)
  string(REGEX MATCHALL
         "\nmigration 0x[0-9a-f]+: (completed, blackout [0-9]+\\.[0-9]+ ms|rolled back|aborted)\n"
         done "${text}")
  list(LENGTH done n)
  if(NOT want OR NOT n EQUAL want)
    message(FATAL_ERROR "sami-demo ran '${want}' migrations, the timeline shows ${n} that "
                        "completed with a blackout or rolled back:\n${text}")
  endif()
  if(text MATCHES "MALFORMED|HV-\\?|BR-\\?")
    message(FATAL_ERROR "timeline has malformed frames or unattributed events:\n${text}")
  endif()
  sniff(json --timeline --json)
  check_json("${json}")
  message(STATUS "timeline: ${n} lossy migrations, each completed or rolled back")
else()
  message(FATAL_ERROR "timeline.cmake: unknown MODE ${MODE}")
endif()
