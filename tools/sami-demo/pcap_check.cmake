# ctest helper (tests/demo.cmake): runs sami-demo with --pcap, then reads the
# capture back with sami-sniff --stats; fails unless both exit 0 and the
# dissector reports nothing malformed.
#   cmake -DDEMO=... -DSNIFF=... -DPCAP=... [-DARGS="--loss;0.3"] -P pcap_check.cmake
foreach(v DEMO SNIFF PCAP)
  if(NOT DEFINED ${v})
    message(FATAL_ERROR "pcap_check: ${v} not set")
  endif()
endforeach()
execute_process(COMMAND ${DEMO} --pcap ${PCAP} ${ARGS}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sami-demo failed (${rc}):\n${out}\n${err}")
endif()
execute_process(COMMAND ${SNIFF} -r ${PCAP} --stats
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sami-sniff failed (${rc}):\n${err}")
endif()
string(FIND "${out}" "\nstats:" at)
if(at LESS 0)
  message(FATAL_ERROR "sami-sniff printed no stats")
endif()
string(SUBSTRING "${out}" ${at} -1 stats)
string(TOLOWER "${stats}${err}" lower)
if(lower MATCHES "malformed")
  message(FATAL_ERROR "sami-sniff reports malformed frames:\n${stats}\n${err}")
endif()
foreach(kind "ECP req" "VDP PREASSOC req" "sami NOTIFY SUSPENDED" "sami FEEDBACK PROCEED"
             "xfer COMMIT" "xfer PURGE")
  string(FIND "${stats}" "${kind}" k)
  if(k LESS 0)
    message(FATAL_ERROR "no '${kind}' in the capture:\n${stats}")
  endif()
endforeach()
message(STATUS "pcap_check: ok\n${stats}")
