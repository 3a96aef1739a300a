# Hostile peers on the transfer port, against the real daemon (issue #6;
# docs/SAMID.md, "Hostile peers").
#   sami-xfer-inject  a peer bridge that speaks the transfer protocol over
#                     TCP with messages built and signed by libsami: wrong
#                     key, unknown key id, truncated tag, flipped bit,
#                     replay, sequences outside the window, unannounced
#                     migrations, lying counts and lengths, oversized length
#                     prefixes, slowloris and connection floods, and genuine
#                     HELLOs and migrations as controls
#   e2e/xfer-hostile  samid in a namespace with the injector as a configured
#                     peer (and an unconfigured address): each mode refused,
#                     counted, logged, nothing installed, samid still serves;
#                     key roll with SIGHUP (label e2e; needs root, ip netns,
#                     jq; exit 77 = skipped)
if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  return()
endif()
add_executable(sami-xfer-inject ${CMAKE_CURRENT_SOURCE_DIR}/e2e/sami-xfer-inject.c)
target_link_libraries(sami-xfer-inject PRIVATE sami)

if(TARGET samid AND TARGET samictl AND TARGET sami-notify)
  add_test(NAME e2e/xfer-hostile
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/xfer-hostile.sh
                   $<TARGET_FILE:samid> $<TARGET_FILE:samictl> $<TARGET_FILE:sami-notify>
                   $<TARGET_FILE:sami-xfer-inject>)
  set_tests_properties(e2e/xfer-hostile PROPERTIES LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600
                       RUN_SERIAL TRUE)
endif()
