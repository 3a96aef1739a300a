# Reproducibility of pcap-samples/ (label "golden"): sami-samplegen writes
# every synthetic capture into a scratch directory; each must be
# byte-identical to the committed one, no sample may be missing or extra, and
# the sample table in pcap-samples/README.md must be the one the generator
# prints. Fix a failure by running pcap-samples/regen.sh and reviewing the
# diff.
#
# This file has two roles: included by tests/CMakeLists.txt it adds the test;
# run with `cmake -P` (by that test) it performs the comparison.

if(NOT CMAKE_SCRIPT_MODE_FILE)
  if(NOT TARGET sami-samplegen)
    return()
  endif()
  add_test(NAME samplegen_reproducible
           COMMAND ${CMAKE_COMMAND}
                   -DGEN=$<TARGET_FILE:sami-samplegen>
                   -DSAMPLES=${CMAKE_SOURCE_DIR}/pcap-samples
                   -DOUT=${CMAKE_CURRENT_BINARY_DIR}/samplegen-out
                   -P ${CMAKE_CURRENT_LIST_FILE})
  set_tests_properties(samplegen_reproducible PROPERTIES LABELS golden)
  return()
endif()

# ---- script mode ----
cmake_minimum_required(VERSION 3.18) # IN_LIST and friends under -P
foreach(v GEN SAMPLES OUT)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "samplegen.cmake: -D${v}=... missing")
  endif()
endforeach()

file(REMOVE_RECURSE ${OUT})
execute_process(COMMAND ${GEN} --table ${OUT}
                RESULT_VARIABLE rc OUTPUT_VARIABLE table ERROR_VARIABLE gen_err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sami-samplegen exited ${rc}:\n${gen_err}")
endif()

set(problems "")

# Real captures are recorded, not generated: leave them out.
file(GLOB_RECURSE fresh RELATIVE ${OUT} ${OUT}/*.pcap)
file(GLOB_RECURSE committed RELATIVE ${SAMPLES} ${SAMPLES}/*.pcap)
list(FILTER committed EXCLUDE REGEX "^real/")
list(SORT fresh)
list(SORT committed)

foreach(f ${fresh})
  if(NOT f IN_LIST committed)
    string(APPEND problems "  not committed: pcap-samples/${f}\n")
    continue()
  endif()
  file(SHA256 ${OUT}/${f} a)
  file(SHA256 ${SAMPLES}/${f} b)
  if(NOT a STREQUAL b)
    string(APPEND problems "  differs: pcap-samples/${f}\n")
  endif()
endforeach()
foreach(f ${committed})
  if(NOT f IN_LIST fresh)
    string(APPEND problems "  no longer generated: pcap-samples/${f}\n")
  endif()
endforeach()

# The README table must match the generator's.
set(begin_marker "<!-- samples:begin -->\n")
set(end_marker "<!-- samples:end -->")
file(READ ${SAMPLES}/README.md readme)
string(FIND "${readme}" "${begin_marker}" b)
string(FIND "${readme}" "${end_marker}" e)
if(b LESS 0 OR e LESS 0)
  string(APPEND problems "  README.md: samples:begin/end markers missing\n")
else()
  string(LENGTH "${begin_marker}" blen)
  math(EXPR start "${b} + ${blen}")
  math(EXPR n "${e} - ${start}")
  string(SUBSTRING "${readme}" ${start} ${n} readme_table)
  if(NOT readme_table STREQUAL table)
    string(APPEND problems "  README.md: sample table out of date\n")
  endif()
endif()

if(problems)
  message(FATAL_ERROR "pcap-samples/ is not what sami-samplegen writes "
                      "(run pcap-samples/regen.sh and review the diff):\n${problems}")
endif()
list(LENGTH fresh count)
message(STATUS "pcap-samples: ${count} synthetic captures reproduced byte for byte")
