# sami-notify command line (label unit): usage and configuration errors exit
# 2, a missing interface 1; no privileges or network needed.
# End to end in network namespaces (label e2e): tests/e2e/*.sh need root,
# `ip netns`, lldpad and tcpdump, and report SKIP (exit 77) otherwise.
if(NOT TARGET sami-notify)
  return()
endif()

set(VM --vm-uuid 00112233-4455-6677-8899-aabbccddeeff --mac 52:54:00:12:34:56 --vlan 100)
function(notify_cli name want)
  add_test(NAME notify/cli-${name}
           COMMAND sh -c "\"$0\" \"$@\" >/dev/null 2>&1; rc=$?; [ $rc -eq ${want} ] || { echo \"exit $rc, want ${want}\"; exit 1; }"
                   $<TARGET_FILE:sami-notify> ${ARGN})
  set_tests_properties(notify/cli-${name} PROPERTIES LABELS unit)
endfunction()
notify_cli(no-args 2)
notify_cli(help 0 --help)
notify_cli(bad-uuid 2 -i lo --vm-uuid not-a-uuid --mac 52:54:00:12:34:56 --vlan 100 --vdp assoc)
notify_cli(unpaired-mac 2 -i lo --vm-uuid 00112233-4455-6677-8899-aabbccddeeff
           --mac 52:54:00:12:34:56 --vdp assoc)
notify_cli(bad-vlan 2 -i lo --vm-uuid 00112233-4455-6677-8899-aabbccddeeff
           --mac 52:54:00:12:34:56 --vlan 4096 --vdp assoc)
notify_cli(no-role 2 -i lo ${VM} --migration-id 1 --event prepare --orig-bridge sw1
           --dest-bridge sw2)
notify_cli(no-other-bridge 2 -i lo ${VM} --migration-id 1 --role source --event suspended)
notify_cli(reason-not-abort 2 -i lo ${VM} --migration-id 1 --role source --event prepare
           --dest-bridge sw2 --reason timeout)
notify_cli(hints-with-notify 2 -i lo ${VM} --migration-id 1 --role source --event prepare
           --dest-bridge sw2 --hints to)
notify_cli(vdp-with-migration 2 -i lo ${VM} --vdp assoc --migration-id 1)
notify_cli(bad-di-types 2 -i lo ${VM} --migration-id 1 --role source --event prepare
           --dest-bridge sw2 --di-types dhcp,bogus)
notify_cli(bad-wait 2 -i lo ${VM} --vdp assoc --wait 0)
notify_cli(no-such-iface 1 -i sami-nosuch0 ${VM} --vdp assoc)

if(NOT TARGET sami-sniff)
  return()
endif()
add_test(NAME e2e/notify-lldpad
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/e2e/notify-lldpad.sh
                 $<TARGET_FILE:sami-notify> $<TARGET_FILE:sami-sniff>)
# RUN_SERIAL: lldpad is timing-sensitive (see the script) and other tests
# load the machine.
set_tests_properties(e2e/notify-lldpad PROPERTIES LABELS e2e SKIP_RETURN_CODE 77 TIMEOUT 300
                     RUN_SERIAL TRUE)
