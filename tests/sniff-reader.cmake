# sami-sniff's direct pcap reader against libpcap, and the one-line output
# against the -v summary lines (tests/sniff-reader.sh): every pcap-samples
# capture, a generated ECP/VDP capture when bench/ is built, and damaged
# variants. Label "golden".
if(NOT TARGET sami-sniff)
  return()
endif()
# bench/ is configured after tests/, so test the option, not the target.
set(_sami_reader_gen "")
if(SAMI_BUILD_BENCH)
  set(_sami_reader_gen $<TARGET_FILE:gen_vdp_capture>)
endif()
add_test(NAME sniff_reader_vs_libpcap
         COMMAND sh ${CMAKE_CURRENT_SOURCE_DIR}/sniff-reader.sh $<TARGET_FILE:sami-sniff>
                 ${CMAKE_SOURCE_DIR}/pcap-samples ${_sami_reader_gen})
set_tests_properties(sniff_reader_vs_libpcap PROPERTIES LABELS golden TIMEOUT 300)
