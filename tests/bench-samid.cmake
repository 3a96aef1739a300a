# Benchmarks with the real daemons (docs/PERFORMANCE.md): smoke versions of
#   bench/blackout.sh   two samid + sami-notify in network namespaces: 10 and
#                       1,000 records, 4 migrations each, every one must move
#                       its records (about 20 s)
#   bench/samid-rss.sh  one samid: 2,000 VMs x 10 records through samictl load
#                       and as a preload file; the store must hold all 20,000
#                       (about 5 s)
# Root and `ip netns` needed (exit 77 = skipped otherwise); label bench, run
# serially (they measure time, and share nothing with other tests).
if(NOT TARGET samid OR NOT TARGET samictl OR NOT TARGET sami-notify)
  return()
endif()

add_test(NAME bench_blackout_smoke
         COMMAND bash ${CMAKE_SOURCE_DIR}/bench/blackout.sh ${CMAKE_BINARY_DIR} --smoke)
add_test(NAME bench_samid_rss_smoke
         COMMAND bash ${CMAKE_SOURCE_DIR}/bench/samid-rss.sh ${CMAKE_BINARY_DIR} --smoke)
set_tests_properties(bench_blackout_smoke bench_samid_rss_smoke PROPERTIES
                     LABELS bench SKIP_RETURN_CODE 77 RUN_SERIAL TRUE TIMEOUT 120)
