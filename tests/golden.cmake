# Golden decodes: every pcap-samples/**/*.pcap(ng) with a <same-name>.txt
# beside it is one ctest test (label "golden") comparing `sami-sniff -v`
# with the .txt (tests/golden.sh). Regenerate after an intended output change:
#   SAMI_GOLDEN_UPDATE=1 ctest -L golden   (then review the diff)
if(NOT TARGET sami-sniff)
  return()
endif()

set(SAMI_SAMPLES_DIR ${CMAKE_SOURCE_DIR}/pcap-samples)
# The .txt files are globbed too so adding one re-runs the configure step.
file(GLOB_RECURSE SAMI_GOLDEN_FILES CONFIGURE_DEPENDS
     ${SAMI_SAMPLES_DIR}/*.pcap ${SAMI_SAMPLES_DIR}/*.pcapng ${SAMI_SAMPLES_DIR}/*.txt)
list(SORT SAMI_GOLDEN_FILES)
set(SAMI_GOLDEN_COUNT 0)
foreach(f ${SAMI_GOLDEN_FILES})
  if(NOT f MATCHES "\\.pcap(ng)?$")
    continue()
  endif()
  string(REGEX REPLACE "\\.pcap(ng)?$" ".txt" expected ${f})
  if(NOT EXISTS ${expected})
    continue()
  endif()
  file(RELATIVE_PATH rel ${SAMI_SAMPLES_DIR} ${f})
  add_test(NAME golden/${rel}
           COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/golden.sh $<TARGET_FILE:sami-sniff> ${f} ${expected})
  set_tests_properties(golden/${rel} PROPERTIES LABELS golden)
  math(EXPR SAMI_GOLDEN_COUNT "${SAMI_GOLDEN_COUNT} + 1")
endforeach()
if(SAMI_GOLDEN_COUNT EQUAL 0)
  message(STATUS "golden: no pcap-samples with an expected .txt yet")
endif()
