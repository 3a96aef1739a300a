# Interop with third-party LLDP agents (label "interop"; docs/INTEROP.md).
#   interop/samicap-bytes-vector  the helper below reproduces the
#                                 lldp-sami-bridge vector's capability TLV
#                                 (no privileges; guards the helper itself)
#   interop/lldpd-custom-tlv      lldpd sends our capability TLV as a custom
#                                 TLV; tcpdump + sami-sniff decode it
#   interop/samid-lldpd           samid's LLDP as lldpd receives it
# The two namespace tests need root, `ip netns`, lldpd and tcpdump (and jq
# / the samid binary for the last) and exit 77 (SKIP) otherwise.
if(NOT TARGET sami-sniff)
  return()
endif()

# Prints the capability TLV our encoder builds, in lldpcli's oui-info
# syntax or as hex, so the scripts never carry hand-typed expected bytes.
add_executable(samicap_bytes ${CMAKE_CURRENT_SOURCE_DIR}/interop/samicap_bytes.c)
target_link_libraries(samicap_bytes PRIVATE sami)

# Expected: `lldp-sami-bridge` in docs/PROTOCOL.md section 5 (the TLV only).
add_test(NAME interop/samicap-bytes-vector
         COMMAND sh -c "got=$(\"$0\" tlv mac=02:00:00:00:00:01) || exit 1; want=fe180a534d010102000001fe03167d01c0000201020000000001; [ \"$got\" = \"$want\" ] || { echo \"got  $got\"; echo \"want $want\"; exit 1; }"
                 $<TARGET_FILE:samicap_bytes>)
set_tests_properties(interop/samicap-bytes-vector PROPERTIES LABELS interop)

add_test(NAME interop/lldpd-custom-tlv
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop/lldpd-custom-tlv.sh
                 $<TARGET_FILE:samicap_bytes> $<TARGET_FILE:sami-sniff>)
# RUN_SERIAL: lldpd's timing (tx-interval 1 s) is what the script waits on.
set_tests_properties(interop/lldpd-custom-tlv PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                     TIMEOUT 120 RUN_SERIAL TRUE)

# Without the samid target the script is still registered and reports SKIP,
# so a build without samid says why instead of silently dropping the case.
if(TARGET samid)
  set(SAMI_INTEROP_SAMID $<TARGET_FILE:samid>)
else()
  set(SAMI_INTEROP_SAMID "")
endif()
add_test(NAME interop/samid-lldpd
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop/samid-lldpd.sh
                 $<TARGET_FILE:samicap_bytes> $<TARGET_FILE:sami-sniff> "${SAMI_INTEROP_SAMID}")
set_tests_properties(interop/samid-lldpd PROPERTIES LABELS interop SKIP_RETURN_CODE 77
                     TIMEOUT 120 RUN_SERIAL TRUE)
