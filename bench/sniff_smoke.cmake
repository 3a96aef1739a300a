# ctest bench_sniff_capture_smoke: sami-sniff over gen_vdp_capture's quick
# capture; the generator only writes frames libsami decodes, so any
# "malformed" count means the dissector and the codecs disagree.
execute_process(COMMAND ${SNIFF} -q --stats -r ${PCAP}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "sami-sniff exited ${rc}: ${err}")
endif()
if(out MATCHES "malformed")
  message(FATAL_ERROR "malformed frames in the generated capture:\n${out}")
endif()
if(NOT out MATCHES "sami NOTIFY" OR NOT out MATCHES "sami FEEDBACK")
  message(FATAL_ERROR "no sami notification or feedback counted:\n${out}")
endif()
message(STATUS "${out}")
