# Interop: lldpad as the VDP station, samid as the VDP bridge (label
# "interop"; docs/INTEROP.md, "lldpad station -> samid bridge").
#   interop/lldpad-station-samid  vdptool Assoc (Cisco org TLVs),
#                                 PreAssoc-RR (M hint), filter formats,
#                                 DeAssoc, a policy refusal, keep-alives and
#                                 the keep-alive timeout after lldpad stops;
#                                 tcpdump + sami-sniff on the bridge side
# Needs root, `ip netns`, lldpad (lldpad, lldptool, vdptool), tcpdump, jq and
# the samid binary; exits 77 (SKIP) with a one-line reason otherwise.
if(NOT TARGET sami-sniff)
  return()
endif()

# Without samid/samictl the script is still registered and reports SKIP,
# so a build without them says why instead of silently dropping the case.
if(TARGET samid AND TARGET samictl)
  set(SAMI_INTEROP_LLDPAD_SAMID $<TARGET_FILE:samid>)
  set(SAMI_INTEROP_LLDPAD_SAMICTL $<TARGET_FILE:samictl>)
else()
  set(SAMI_INTEROP_LLDPAD_SAMID "")
  set(SAMI_INTEROP_LLDPAD_SAMICTL "")
endif()
add_test(NAME interop/lldpad-station-samid
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/interop/lldpad-station-samid.sh
                 "${SAMI_INTEROP_LLDPAD_SAMID}" "${SAMI_INTEROP_LLDPAD_SAMICTL}"
                 $<TARGET_FILE:sami-sniff>)
# RUN_SERIAL: the keep-alive checks time a 0.33 s keep-alive period.
set_tests_properties(interop/lldpad-station-samid PROPERTIES LABELS interop
                     SKIP_RETURN_CODE 77 TIMEOUT 120 RUN_SERIAL TRUE)
