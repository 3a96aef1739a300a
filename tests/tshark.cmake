# tshark cross-checks (label "tshark"): for every valid capture in
# pcap-samples/ (a name without a malformation tag), tests/tshark_check.py
# asserts tshark sees it clean and agrees with `sami-sniff --json` field by
# field (see docs/SNIFF.md, "Where tshark and sami-sniff disagree").
# Without tshark the tests report SKIP (exit 77), not failure.
if(NOT TARGET sami-sniff)
  return()
endif()
find_program(SAMI_PYTHON3 python3)
if(NOT SAMI_PYTHON3)
  message(STATUS "tshark checks: python3 not found, not added")
  return()
endif()

file(GLOB_RECURSE SAMI_TSHARK_SAMPLES CONFIGURE_DEPENDS
     ${CMAKE_SOURCE_DIR}/pcap-samples/*.pcap ${CMAKE_SOURCE_DIR}/pcap-samples/*.pcapng)
list(SORT SAMI_TSHARK_SAMPLES)
foreach(f ${SAMI_TSHARK_SAMPLES})
  get_filename_component(base ${f} NAME)
  # Malformed samples are for the golden tests; tshark is expected to
  # complain about them.
  if(base MATCHES "-(trunc|overrun|badver|unknown|badcount|malformed|bad)")
    continue()
  endif()
  file(RELATIVE_PATH rel ${CMAKE_SOURCE_DIR}/pcap-samples ${f})
  add_test(NAME tshark/${rel}
           COMMAND ${SAMI_PYTHON3} ${CMAKE_CURRENT_SOURCE_DIR}/tshark_check.py
                   $<TARGET_FILE:sami-sniff> ${f})
  set_tests_properties(tshark/${rel} PROPERTIES LABELS tshark SKIP_RETURN_CODE 77)
endforeach()
