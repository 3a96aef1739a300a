# samid and samictl (tools/samid, tools/samictl; docs/SAMID.md).
#   samid/* and samictl/*  command line and configuration checks (label unit;
#                          no privileges, no network)
#   e2e/two-bridges        two samid bridges, two hypervisors (sami-notify) in
#                          network namespaces: DHCP snooping, migrations, abort,
#                          wrong key, SIGTERM, killed peer, captures (label e2e;
#                          needs root, ip netns, tcpdump, dnsmasq, dhclient, jq;
#                          exit 77 = skipped otherwise)
if(NOT TARGET samid OR NOT TARGET samictl)
  return()
endif()

# name expected-exit command args...: passes when the exit status matches
# (output is shown only on failure).
function(samid_cli name want)
  add_test(NAME ${name}
           COMMAND sh -c "out=$(\"$0\" \"$@\" 2>&1); rc=$?; [ $rc -eq ${want} ] || { echo \"$out\"; echo \"exit $rc, want ${want}\"; exit 1; }"
                   ${ARGN})
  set_tests_properties(${name} PROPERTIES LABELS unit)
endfunction()

samid_cli(samid/cli-help 0 $<TARGET_FILE:samid> --help)
samid_cli(samid/cli-no-config 2 $<TARGET_FILE:samid>)
samid_cli(samid/cli-bad-option 2 $<TARGET_FILE:samid> -c x --bogus)
samid_cli(samid/cli-missing-file 2 $<TARGET_FILE:samid> -c /nonexistent/samid.conf --check-config)
samid_cli(samid/check-config-example 0 $<TARGET_FILE:samid> --check-config
          -c ${CMAKE_SOURCE_DIR}/tools/samid/samid.conf.example)
samid_cli(samid/samictl-help 0 $<TARGET_FILE:samictl> --help)
samid_cli(samid/samictl-no-command 2 $<TARGET_FILE:samictl>)
samid_cli(samid/samictl-bad-command 2 $<TARGET_FILE:samictl> frobnicate)
samid_cli(samid/samictl-show-what 2 $<TARGET_FILE:samictl> show nothing)
samid_cli(samid/samictl-vm-without-di 2 $<TARGET_FILE:samictl> show peers --vm 52:54:00:12:34:56)
samid_cli(samid/samictl-no-daemon 1 $<TARGET_FILE:samictl> -s /nonexistent/samid.sock show peers)

# A configuration error is one FILE:LINE line and exit 2.
file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/samid-bad.conf
     "bridge {\n  id = \"8000:02:53:4d:00:00:01\"\n}\ndownlink \"eth1\" {\n  rte = 32\n}\n")
add_test(NAME samid/check-config-error
         COMMAND sh -c "out=$(\"$0\" -c \"$1\" --check-config 2>&1); rc=$?; echo \"$out\"; [ $rc -eq 2 ] && echo \"$out\" | grep -q 'samid-bad.conf:5: key .rte. in downlink eth1'"
                 $<TARGET_FILE:samid> ${CMAKE_CURRENT_BINARY_DIR}/samid-bad.conf)
set_tests_properties(samid/check-config-error PROPERTIES LABELS unit)

if(TARGET sami-notify AND TARGET sami-sniff)
  add_test(NAME e2e/two-bridges
           COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/two-bridges.sh
                   $<TARGET_FILE:samid> $<TARGET_FILE:samictl> $<TARGET_FILE:sami-notify>
                   $<TARGET_FILE:sami-sniff>)
  set_tests_properties(e2e/two-bridges PROPERTIES LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 600
                       RUN_SERIAL TRUE)
endif()
