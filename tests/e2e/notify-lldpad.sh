#!/bin/bash
# End to end against a real VDP bridge: lldpad 1.1 in bridge mode in one
# network namespace, sami-notify as the station in another, one veth pair
# between them. Checks that
#   1. plain VDP works: --vdp assoc, then --vdp deassoc, both exit 0;
#   2. a sami notification riding an Assoc (--event resumed --role
#      destination) is answered by lldpad as a plain Assoc: lldpad ignores
#      the sami TLV (backward compatibility). With --wait sami-notify says
#      "no sami feedback from a plain VDP bridge" and exits 4; without
#      --wait it exits 0 (the bridge has the notification);
#   3. a standalone notification (Manager ID + sami TLV, no VSI) is acked by
#      lldpad's ECP and times out with --wait (exit 4);
#   4. the capture (tcpdump on the bridge side) decodes with sami-sniff
#      without a malformed frame, is clean in tshark and agrees with it and
#      with the Lua dissector (not run without tshark), and shows what was
#      sent; sami-sniff -i
#      (live, on the bridge side too) saw the same and prints its --stats
#      on SIGINT; --timeline lists the three notified migrations.
#
#   notify-lldpad.sh SAMI_NOTIFY SAMI_SNIFF
# Needs root, `ip netns`, lldpad (lldpad, lldptool), tcpdump; otherwise it
# exits 77 (ctest: skipped). Traffic stays inside the two namespaces it
# creates; only the PIDs it started are killed. KEEP=1 keeps the work dir.
set -u

notify=${1:?usage: notify-lldpad.sh SAMI_NOTIFY SAMI_SNIFF}
sniff=${2:?usage: notify-lldpad.sh SAMI_NOTIFY SAMI_SNIFF}

. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/../interop/capcheck.sh"
need_root "network namespaces, raw sockets"
need_cmds ip lldpad lldptool tcpdump

tag=$$
NS_ST=sami-e2e-st-$tag NS_BR=sami-e2e-br-$tag
IF_ST=sst$tag IF_BR=sbr$tag
IF_ST=${IF_ST:0:15} IF_BR=${IF_BR:0:15}
W=$(mktemp -d /tmp/sami-e2e-notify.XXXXXX)
NETNS_WORK=$W
netns_traps

netns_add "$NS_BR" 2>/dev/null || skip "ip netns add failed (no netns support here)"
netns_add "$NS_ST" || skip "ip netns add failed"
netns_veth "$IF_ST" "$NS_ST" "$IF_BR" "$NS_BR" ||
    skip "cannot create a veth pair"
for n in "$NS_ST $IF_ST" "$NS_BR $IF_BR"; do
    set -- $n # two words on purpose
    ip -n "$1" link set lo up
    ip -n "$1" link set "$2" up
done
ST="ip netns exec $NS_ST"
BR="ip netns exec $NS_BR"

# lldpad's single-instance guard is POSIX shm (/dev/shm/lldpad.state) and its
# client socket is abstract (per network namespace): `ip netns exec` gives the
# instance its own mount namespace, a private tmpfs on /dev/shm and -p (no
# pid file) keep it apart from any lldpad of the host. `exec` keeps $! the
# lldpad PID.
start_lldpad() { # conf log
    $BR sh -c "mount -t tmpfs -o size=1m sami-lldpad-shm /dev/shm &&
        exec lldpad -p -V7 -f '$1'" >>"$2" 2>&1 &
    PIDS+=($!)
    BR_LLDPAD=$!
}
wait_lldpad() { poll 50 0.1 $BR lldptool -S -i "$IF_BR" >/dev/null 2>&1; }

$BR tcpdump -i "$IF_BR" --immediate-mode -U -w "$W/e2e.pcap" 'ether proto 0x8940 or ether proto 0x88cc' \
    >"$W/tcpdump.log" 2>&1 &
PIDS+=($!)
TCPDUMP=$!
$BR "$sniff" -i "$IF_BR" --stats ether proto 0x8940 or ether proto 0x88cc \
    >"$W/live.txt" 2>"$W/live.err" &
PIDS+=($!)
LIVE=$!

# Bridge: lldpad fixes a port's VDP role when EVB first starts on it, so
# configure EVB in bridge mode, then restart.
start_lldpad "$W/br.conf" "$W/br.log"
wait_lldpad || { fail "lldpad did not come up"; exit 1; }
$BR lldptool -L -i "$IF_BR" -g ncb adminStatus=rxtx >>"$W/lldptool.log" 2>&1
$BR lldptool -T -i "$IF_BR" -g ncb -V evb -c enableTx=yes >>"$W/lldptool.log" 2>&1
$BR lldptool -T -i "$IF_BR" -g ncb -V evb -c evbmode=bridge >>"$W/lldptool.log" 2>&1
$BR lldptool -T -i "$IF_BR" -g ncb -V evb -c evbrrcap=yes >>"$W/lldptool.log" 2>&1
stop_pid "$BR_LLDPAD"
start_lldpad "$W/br.conf" "$W/br.log"
wait_lldpad || { fail "lldpad did not come back"; exit 1; }

UUID=00112233-4455-6677-8899-aabbccddeeff
VM=(--vm-uuid "$UUID" --type-id 5 --type-version 4 --mac 52:54:00:12:34:56 --vlan 100
    --mgrid blabla --state-dir "$W/state")

run() { # name expected-exit args...
    local name=$1 want=$2
    shift 2
    local t0 rc
    t0=$(date +%s.%N)
    $ST "$notify" -i "$IF_ST" -v "$@" >"$W/$name.out" 2>"$W/$name.err"
    rc=$?
    printf '%s: exit %s in %.2f s: %s\n' "$name" "$rc" "$(awk -v a="$t0" -v b="$(date +%s.%N)" "BEGIN { print b - a }")" \
        "$(tr '\n' ' ' <"$W/$name.out")"
    sed 's/^/    /' "$W/$name.err"
    if [ "$rc" = "$want" ]; then ok "$name exits $want"; else fail "$name exits $rc, want $want"; fi
}

run vdp-assoc 0 "${VM[@]}" --vdp assoc
# lldpad hands its VDP the timers only with its second LLDPDU after a new
# station: a VSI associated earlier is de-associated at once by the bridge.
# sami-notify waits for that LLDPDU; check the VSI stayed associated.
sleep 1
bridge_deassoc=$("$sniff" -r "$W/e2e.pcap" 2>/dev/null | grep -c "DEASSOC req")
[ "$bridge_deassoc" = 0 ] && ok "the bridge kept the VSI associated" ||
    fail "the bridge de-associated the VSI right after the Assoc ($bridge_deassoc DEASSOC)"
run vdp-deassoc 0 "${VM[@]}" --vdp deassoc
run notify-resumed-wait 4 "${VM[@]}" --migration-id 0x5a4d000000000001 --role destination \
    --event resumed --orig-bridge 02:53:4d:00:00:01/swp1 --wait 3000
grep -q "no sami feedback from a plain VDP bridge" "$W/notify-resumed-wait.out" &&
    ok "reported: no sami feedback from a plain VDP bridge" ||
    fail "no 'no sami feedback from a plain VDP bridge' in the output"
run notify-resumed-nowait 0 "${VM[@]}" --migration-id 0x5a4d000000000002 --role destination \
    --event resumed --orig-bridge 02:53:4d:00:00:01/swp1 --json
grep -q '"note":"no sami feedback from a plain VDP bridge' "$W/notify-resumed-nowait.out" &&
    ok "JSON note: no sami feedback from a plain VDP bridge" || fail "JSON note missing"
run notify-standalone-wait 4 "${VM[@]}" --migration-id 0x5a4d000000000003 --role destination \
    --event resumed --orig-bridge 02:53:4d:00:00:01/swp1 --standalone --wait 1500
run vdp-deassoc-2 0 "${VM[@]}" --vdp deassoc

sleep 0.5
# SIGINT ends the live capture the way Ctrl-C does: stats, then exit 0.
stop_pid "$LIVE" INT
live_rc=$?
[ "$live_rc" = 0 ] && ok "live sami-sniff stopped by SIGINT, exit 0" ||
    fail "live sami-sniff exit $live_rc: $(cat "$W/live.err")"
grep -q "^stats:" "$W/live.txt" && grep -q "VDP ASSOC rsp" "$W/live.txt" &&
    ! grep -qi malformed "$W/live.txt" && ok "live capture decoded, stats printed" ||
    fail "live capture output incomplete (see $W/live.txt)"
stop_pid "$TCPDUMP"
"$sniff" -r "$W/e2e.pcap" >"$W/e2e.txt" 2>&1 || fail "sami-sniff -r exited $?"
"$sniff" -r "$W/e2e.pcap" --stats -q >"$W/e2e.stats" 2>&1
cat "$W/e2e.stats"
if grep -qi malformed "$W/e2e.txt" "$W/e2e.stats"; then
    fail "sami-sniff reports malformed frames"; grep -i malformed "$W/e2e.txt" | head
else
    ok "capture decodes without a malformed frame"
fi
for kind in "VDP ASSOC req" "VDP ASSOC rsp" "VDP DEASSOC req" "VDP DEASSOC rsp" \
            "sami NOTIFY RESUMED" "LLDP"; do
    grep -q "$kind" "$W/e2e.stats" && ok "capture has $kind" || fail "capture lacks $kind"
done
grep -q "sami FEEDBACK" "$W/e2e.stats" && fail "lldpad sent sami feedback?"
"$sniff" --timeline -r "$W/e2e.pcap" >"$W/timeline.txt" 2>&1
grep -q "^timeline: 3 migrations" "$W/timeline.txt" &&
    [ "$(grep -c ': in progress$' "$W/timeline.txt")" = 3 ] &&
    ok "timeline: 3 notified migrations, none answered" ||
    fail "unexpected timeline (see $W/timeline.txt)"

# tshark (clean, agrees with sami-sniff) and the Lua dissector on the capture
sami_capcheck "$sniff" "$W/e2e.pcap" "$W/e2e"
if [ $CAPCHECK_TSHARK = 77 ]; then
    echo "INFO: tshark cross-check not run: $CAPCHECK_MSG"
elif [ $CAPCHECK_TSHARK = 0 ] && [ $CAPCHECK_LUA != 1 ]; then
    ok "capture: tshark clean and agrees with sami-sniff; Lua dissector agrees ($CAPCHECK_MSG)"
else
    fail "capture: tshark / Lua dissector cross-check ($CAPCHECK_MSG; see $W/e2e.tshark.txt, $W/e2e.lua.txt)"
fi

if [ "$FAILS" -gt 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
fi
echo "all checks passed"
