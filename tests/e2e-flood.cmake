# Hostile input at daemon level (issue #6; docs/SAMID.md, "Floods").
#   sami-flood   a hostile station: random, truncated, oversized frames,
#                floods of valid VSI associations and migration
#                notifications, ECP sequence games (AF_PACKET, Linux only;
#                frames built with libsami's encoders)
#   e2e/flood    one samid, two downlinks: port A flooded with every mode
#                in turn while a well-behaved station (sami-notify) on port
#                B associates and migrates; counters, limits, bounded log
#                (label e2e; needs root, ip netns, jq; exit 77 = skipped)
if(NOT CMAKE_SYSTEM_NAME STREQUAL "Linux")
  return()
endif()
add_executable(sami-flood ${CMAKE_CURRENT_SOURCE_DIR}/e2e/sami-flood.c)
target_link_libraries(sami-flood PRIVATE sami)

if(TARGET samid AND TARGET samictl AND TARGET sami-notify)
  add_test(NAME e2e/flood
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/flood.sh
                   $<TARGET_FILE:samid> $<TARGET_FILE:samictl> $<TARGET_FILE:sami-notify>
                   $<TARGET_FILE:sami-flood>)
  set_tests_properties(e2e/flood PROPERTIES LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600
                       RUN_SERIAL TRUE)
endif()
