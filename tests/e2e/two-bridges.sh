#!/bin/bash
# End to end: two samid bridges and two hypervisors in network namespaces,
# real VDP/ECP/LLDP on veth links, the transfer over TCP on a management
# link, a real DHCP exchange snooped by the original bridge, migrations
# driven by sami-notify (the hypervisor side), state checked with samictl.
#
#   hv-s --[veth]-- br-o ==[mgmt veth, TCP]== br-d --[veth]-- hv-d
#             (dnsmasq on br-o's downlink, dhclient in hv-s)
#
# Phases (each one a group of checks):
#   1. DHCP: a VM's lease is learned from the ACK leaving br-o's downlink.
#   2. Migration of that VM (802.1X, ACLs, IGMP, firewall, counters + the
#      learned DHCP binding): PREPARE at both, SUSPENDED at the source with
#      --wait -> PROCEED, records installed at br-d with rebased timers,
#      RESUMED at the destination -> PROCEED, the source purged, COMPLETED.
#   3. A VM with 1000 records (samictl load): the blackout (SUSPENDED sent ->
#      PROCEED received) is reported from the capture and from sami-notify.
#   4. Abort: ABORTED at the source after the pre-copy: br-d discards, br-o
#      keeps everything.
#   5. Wrong key (br-d reloaded with SIGHUP onto another key): refused and
#      counted (bad_auth), ROLLBACK, nothing installed; the right key back.
#   6. SIGTERM of br-o with a migration pending: exit 0, br-d told (ABORT).
#   7. Both restarted; SIGKILL of br-d mid-migration: ROLLBACK within the
#      commit deadline, br-o keeps the VM's DI.
#   8. The captures (tcpdump in both bridge namespaces) decode with
#      sami-sniff without a malformed frame; the timeline is printed.
#
#   two-bridges.sh SAMID SAMICTL SAMI_NOTIFY SAMI_SNIFF
# Needs root, `ip netns`, tcpdump, dnsmasq, dhclient and jq; otherwise exits
# 77 (ctest: skipped). Traffic stays inside the namespaces it creates; only
# the PIDs it started are stopped. KEEP=1 keeps the work directory.
set -u

samid=${1:?usage: two-bridges.sh SAMID SAMICTL SAMI_NOTIFY SAMI_SNIFF}
samictl=${2:?}
notify=${3:?}
sniff=${4:?}

skip() { echo "SKIP: $*"; exit 77; }
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces, raw sockets)"
for c in ip tcpdump dnsmasq dhclient jq; do
    command -v $c >/dev/null 2>&1 || skip "$c not installed"
done
for b in "$samid" "$samictl" "$notify" "$sniff"; do
    [ -x "$b" ] || skip "$b not built"
done

tag=$$
NS_HVS=sami-hvs-$tag NS_HVD=sami-hvd-$tag NS_BRO=sami-bro-$tag NS_BRD=sami-brd-$tag
IF_HVS=hs$tag IF_DO=do$tag IF_HVD=hd$tag IF_DD=dd$tag IF_MO=mo$tag IF_MD=md$tag
W=$(mktemp -d /tmp/sami-e2e-bridges.XXXXXX)
PIDS=()
FAILS=0
ip netns add "$NS_BRO" 2>/dev/null || { rmdir "$W"; skip "ip netns add failed (no netns support here)"; }

stop_pid() { # pid [signal]
    local p=$1 sig=${2:-TERM} keep=() q
    kill -"$sig" "$p" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    local rc=$?
    for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
    PIDS=("${keep[@]}")
    return $rc
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    for n in "$NS_HVS" "$NS_HVD" "$NS_BRO" "$NS_BRD"; do ip netns del "$n" 2>/dev/null; done
    if [ "${KEEP:-0}" = 1 ] || [ "$FAILS" -gt 0 ]; then
        echo "work files kept in $W"
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
ok() { echo "ok: $*"; }
check() { # description command...
    local d=$1
    shift
    if "$@"; then ok "$d"; else fail "$d"; fi
}

# ---- topology ---------------------------------------------------------------
for n in "$NS_HVS" "$NS_HVD" "$NS_BRD"; do
    ip netns add "$n" || skip "ip netns add failed"
done
ip link add "$IF_HVS" netns "$NS_HVS" type veth peer name "$IF_DO" netns "$NS_BRO" &&
    ip link add "$IF_HVD" netns "$NS_HVD" type veth peer name "$IF_DD" netns "$NS_BRD" &&
    ip link add "$IF_MO" netns "$NS_BRO" type veth peer name "$IF_MD" netns "$NS_BRD" ||
    skip "cannot create veth pairs"
HVS="ip netns exec $NS_HVS" HVD="ip netns exec $NS_HVD"
BRO="ip netns exec $NS_BRO" BRD="ip netns exec $NS_BRD"
for n in "$NS_HVS" "$NS_HVD" "$NS_BRO" "$NS_BRD"; do
    ip -n "$n" link set lo up
    ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
done
VM1_MAC=52:54:00:12:34:56
ip -n "$NS_HVS" link set "$IF_HVS" address $VM1_MAC up
ip -n "$NS_HVD" link set "$IF_HVD" address 52:54:00:aa:bb:02 up
ip -n "$NS_BRO" link set "$IF_DO" address 02:53:4d:00:01:01 up
ip -n "$NS_BRD" link set "$IF_DD" address 02:53:4d:00:02:01 up
ip -n "$NS_BRO" link set "$IF_MO" up
ip -n "$NS_BRD" link set "$IF_MD" up
ip -n "$NS_BRO" addr add 10.77.0.1/24 dev "$IF_MO"
ip -n "$NS_BRD" addr add 10.77.0.2/24 dev "$IF_MD"
ip -n "$NS_BRO" addr add 10.99.0.1/24 dev "$IF_DO"

# ---- captures ---------------------------------------------------------------
$BRO tcpdump -i any -s 0 -B 32768 --immediate-mode -U -w "$W/bro.pcap" >"$W/tcpdump-bro.log" 2>&1 &
PIDS+=($!)
TCPDUMP_BRO=$!
$BRD tcpdump -i any -s 0 -B 32768 --immediate-mode -U -w "$W/brd.pcap" >"$W/tcpdump-brd.log" 2>&1 &
PIDS+=($!)
TCPDUMP_BRD=$!

# ---- configurations ------------------------------------------------------------
key() { head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n'; }
KEY=$(key)
WRONG_KEY=$(key)
BRO_ID=8000:02:53:4d:00:00:01 BRO_CH=02:53:4d:00:00:01
BRD_ID=8000:02:53:4d:00:00:02 BRD_CH=02:53:4d:00:00:02
COMMIT_MS=3000

conf() { # name iface listen peer-id peer-addr secret preload
    cat >"$W/$1.conf" <<EOF
# generated by two-bridges.sh
bridge {
    id = "$( [ "$1" = bro ] && echo $BRO_ID || echo $BRD_ID)"
    name = "$1-$tag"
}
downlink "$2" {
    policy = accept-all
    pvid = 100
    # keep-alives: sami-notify is one-shot, its VSIs must outlive the test
    rka = 26
}
transfer {
    listen = "$3"
    port = 5757
}
peer "$4" {
    address = "$5:5757"
    name = "peer-of-$1"
}
key 1 {
    secret = "$6"
}
deadlines {
    commit = $COMMIT_MS
}
store {
    preload = "$7"
}
control {
    socket = "$W/$1.sock"
}
EOF
}
U1=6b1e5a6e-2f3c-4d5e-9f00-000000000001   # migrates (phase 2), DHCP learned
U2=6b1e5a6e-2f3c-4d5e-9f00-000000000002   # aborted (phase 4)
U3=6b1e5a6e-2f3c-4d5e-9f00-000000000003   # wrong key (phase 5)
U4=6b1e5a6e-2f3c-4d5e-9f00-000000000004   # killed peer (phase 7)
U5=6b1e5a6e-2f3c-4d5e-9f00-000000000005   # 1000 records (phase 3)
U6=6b1e5a6e-2f3c-4d5e-9f00-000000000006   # SIGTERM (phase 6)
vm_records() { # uuid mac
    cat <<EOF
vm $1 dot1x mac=$2 authorized=yes eap=peap identity="alice@example.net" session-id="8A3F0012" filter-id="acl-web-only" vlan=100 session=8h reauth=1h
vm $1 acl rule=7 action=deny origin=flood-blacklist src=198.51.100.0/24 proto=udp dport=1900 lifetime=10m
vm $1 acl rule=8 action=rate-limit rate=10000 origin=radius src=10.99.0.0/24 proto=tcp dport=80-443 vlan=100 mac=$2 lifetime=infinite
vm $1 igmp group=239.1.2.3 vlan=100 mode=exclude timer=260s
vm $1 firewall proto=tcp src=10.99.0.50 sport=51000 dst=203.0.113.80 dport=443 vlan=100 state=established created=2h last=2s expiry=5d
vm $1 firewall proto=udp src=10.99.0.50 sport=40000 dst=198.51.100.53 dport=53 state=assured created=30s last=1s expiry=150s nat-src=203.0.113.1 nat-sport=61000 nat-dst=198.51.100.53 nat-dport=53
vm $1 counters dir=in packets=1200345 bytes=987654321 syn=12 window=10s rate-bps=8000000 rate-pps=900
EOF
}
{
    vm_records $U1 $VM1_MAC
    vm_records $U2 52:54:00:00:00:02
    vm_records $U3 52:54:00:00:00:03
    vm_records $U4 52:54:00:00:00:04
    vm_records $U6 52:54:00:00:00:06
} >"$W/bro-preload.txt"
: >"$W/brd-preload.txt"
# 1000 firewall sessions for one VM (phase 3), loaded with samictl later
for i in $(seq 0 999); do
    echo "vm $U5 firewall proto=tcp src=10.99.$((i / 250)).$((i % 250 + 1)) sport=$((20000 + i)) dst=203.0.113.80 dport=443 vlan=100 state=established created=1h last=1s expiry=5d"
done >"$W/big.txt"
conf bro "$IF_DO" 10.77.0.1 "$BRD_ID" 10.77.0.2 "$KEY" "$W/bro-preload.txt"
conf brd "$IF_DD" 10.77.0.2 "$BRO_ID" 10.77.0.1 "$KEY" "$W/brd-preload.txt"

for c in bro brd; do
    out=$("$samid" -c "$W/$c.conf" --check-config 2>&1)
    check "samid --check-config $c.conf: $out" test $? = 0
done
printf 'bridge {\n  id = "8000:02:53:4d:00:00:09"\n}\ndownlink "x" {\n  policy = accept-all\n  rte = 40\n}\n' >"$W/bad.conf"
out=$("$samid" -c "$W/bad.conf" --check-config 2>&1)
rc=$?
check "samid --check-config on a bad file exits 2 with FILE:LINE ($out)" \
    sh -c "[ $rc = 2 ] && echo '$out' | grep -q 'bad.conf:6:'"

start_samid() { # name ns-exec
    local n=$1
    shift
    "$@" "$samid" -c "$W/$n.conf" --foreground -v --pidfile "$W/$n.pid" >>"$W/$n.log" 2>&1 &
    PIDS+=($!)
    eval "PID_${n^^}=$!"
    for _ in $(seq 50); do
        "$samictl" -s "$W/$n.sock" ping >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    fail "samid $n did not come up"
    cat "$W/$n.log"
    exit 1
}
ctl() { # name args...
    local n=$1
    shift
    "$samictl" -s "$W/$n.sock" "$@"
}
# "jq -e" over one samictl --json answer
jqc() { # name filter samictl-args...
    local n=$1 f=$2
    shift 2
    ctl "$n" --json "$@" | jq -e "$f" >/dev/null 2>&1
}
wait_for() { # seconds description command...
    local s=$1 d=$2
    shift 2
    local i
    for i in $(seq $((s * 10))); do
        "$@" && { ok "$d"; return 0; }
        sleep 0.1
    done
    fail "$d (waited ${s}s)"
    return 1
}
peers_up() { # name
    jqc "$1" '.peers[0].outbound == "up"' show peers
}
records() { # name uuid -> count
    ctl "$1" --json show di --vm "$2" | jq -r '[.vms[] | .count] | add // 0'
}
flags() { # name uuid
    ctl "$1" --json show di --vm "$2" | jq -r '[.vms[].flags[]] | join(",")'
}
mig_state() { # name id
    ctl "$1" --json show migrations | jq -r --arg id "$2" '.migrations[] | select(.id == $id) | .state'
}
state_is() { # name id state
    [ "$(mig_state "$1" "$2")" = "$3" ]
}

start_samid bro $BRO
start_samid brd $BRD
wait_for 10 "br-o connected to br-d over TCP" peers_up bro
wait_for 10 "br-d connected to br-o over TCP" peers_up brd
check "samictl show peers (text) names the peer" sh -c "'$samictl' -s '$W/bro.sock' show peers | grep -q 'peer-of-bro'"
n=$(records bro $U1)
check "preload: $n records for VM $U1 at br-o" test "$n" = 7

# ---- sami-notify --------------------------------------------------------------
notify_run() { # name expected-exit ns-exec iface state uuid mac args...
    local name=$1 want=$2 ns=$3 ifc=$4 st=$5 u=$6 mac=$7
    shift 7
    local rc
    $ns "$notify" -i "$ifc" -v --vm-uuid "$u" --mac "$mac" --vlan 100 --state-dir "$W/$st" \
        "$@" >"$W/$name.out" 2>"$W/$name.err"
    rc=$?
    echo "    $name: exit $rc: $(head -c 300 "$W/$name.out" | tr '\n' ' ')"
    if [ "$rc" = "$want" ]; then ok "$name exits $want"; else fail "$name exits $rc, want $want"; sed 's/^/      /' "$W/$name.err"; fi
    return 0
}
src() { # name want uuid mac mig event [args]
    local name=$1 want=$2 u=$3 mac=$4 mig=$5 ev=$6
    shift 6
    notify_run "$name" "$want" "$HVS" "$IF_HVS" st-s "$u" "$mac" --migration-id "$mig" \
        --role source --event "$ev" --dest-bridge $BRD_CH "$@"
}
dst() {
    local name=$1 want=$2 u=$3 mac=$4 mig=$5 ev=$6
    shift 6
    notify_run "$name" "$want" "$HVD" "$IF_HVD" st-d "$u" "$mac" --migration-id "$mig" \
        --role destination --event "$ev" --orig-bridge $BRO_CH "$@"
}

# ---- 1. DHCP snooping ---------------------------------------------------------
echo "== 1. DHCP snooping"
notify_run assoc-vm1 0 "$HVS" "$IF_HVS" st-s $U1 $VM1_MAC --vdp assoc
check "br-o holds VM1's VSI (MAC $VM1_MAC, VLAN 100)" \
    jqc bro ".downlinks[0].vsis | map(select(.vsi_id == \"$U1\" and .filters[0].vid == 100)) | length == 1" show vsis
check "LLDP: br-o negotiated EVB with the station (RKA 26)" \
    jqc bro '.downlinks[0].lldp.evb.negotiated and .downlinks[0].lldp.evb.rka == 26' show vsis
$BRO dnsmasq --keep-in-foreground --port=0 --no-resolv --no-hosts --bind-interfaces \
    --interface="$IF_DO" --dhcp-authoritative --no-ping --dhcp-range=10.99.0.50,10.99.0.60,255.255.255.0,3600 \
    --dhcp-leasefile="$W/dnsmasq.leases" --pid-file="$W/dnsmasq.pid" --log-dhcp \
    --log-facility="$W/dnsmasq.log" &
PIDS+=($!)
DNSMASQ=$!
cat >"$W/dhclient-script" <<'SCRIPT'
#!/bin/sh
case "$reason" in
BOUND|RENEW|REBIND|REBOOT) ip addr flush dev "$interface"; ip addr add "$new_ip_address/24" dev "$interface" ;;
RELEASE|EXPIRE|FAIL|STOP) ip addr flush dev "$interface" ;;
esac
exit 0
SCRIPT
chmod +x "$W/dhclient-script"
$HVS dhclient -d -v -cf /dev/null -sf "$W/dhclient-script" -lf "$W/dhclient.leases" \
    -pf "$W/dhclient.pid" "$IF_HVS" >"$W/dhclient.log" 2>&1 &
PIDS+=($!)
DHCLIENT=$!
bound() { grep -q "^bound to" "$W/dhclient.log"; }
wait_for 30 "dhclient got a lease from dnsmasq" bound
LEASE_IP=$(sed -n 's/^bound to \([0-9.]*\).*/\1/p' "$W/dhclient.log" | head -1)
echo "    lease: $LEASE_IP"
dhcp_learned() {
    jqc bro ".vms[0].records | map(select(.type == \"dhcp\" and .ip == \"$LEASE_IP\" and .vlan == 100)) | length == 1" \
        show di --vm $U1
}
wait_for 5 "br-o learned the DHCP binding $LEASE_IP of VM1 from the ACK" dhcp_learned
# the client stays quiet from here (a renewal would race the migration)
stop_pid $DHCLIENT
stop_pid $DNSMASQ

# ---- 2. migration ----------------------------------------------------------------
echo "== 2. migration of VM1 (8 records incl. the DHCP binding)"
M1=0x5a4d000000000001
before=$(ctl bro --json show di --vm $U1)
t_before=$(date +%s%3N)
dst prepare-d1 0 $U1 $VM1_MAC $M1 prepare
src prepare-s1 0 $U1 $VM1_MAC $M1 prepare
wait_for 5 "br-o: pre-copy staged at br-d (O_STAGED)" state_is bro $M1 O_STAGED
check "br-d: VM1 staging" sh -c "[ \"\$1\" = staging ]" _ "$(flags brd $U1)"
src suspended-s1 0 $U1 $VM1_MAC $M1 suspended --wait 5000 --json
grep -q '"outcome":"PROCEED"' "$W/suspended-s1.out" && ok "SUSPENDED answered PROCEED" || fail "SUSPENDED not PROCEED"
check "br-d: 8 records installed, pending activation" sh -c "[ \"\$1\" = 8 ] && [ \"\$2\" = pending ]" _ \
    "$(records brd $U1)" "$(flags brd $U1)"
after=$(ctl brd --json show di --vm $U1)
t_after=$(date +%s%3N)
elapsed=$((t_after - t_before))
# rebased: the remaining 802.1X session at br-d is what br-o had, minus the
# time that passed (not the 8 h of a fresh session, not more than before)
s0=$(echo "$before" | jq '.vms[0].records[] | select(.type == "dot1x") | .session_ms')
s1=$(echo "$after" | jq '.vms[0].records[] | select(.type == "dot1x") | .session_ms')
check "timers rebased: 802.1X session $s0 ms at br-o -> $s1 ms at br-d ($elapsed ms later)" \
    sh -c "[ $s1 -le $s0 ] && [ $s1 -ge $((s0 - elapsed - 1000)) ]"
a0=$(echo "$before" | jq '.vms[0].records[] | select(.type == "firewall" and .sport == 51000) | .created_age_ms')
a1=$(echo "$after" | jq '.vms[0].records[] | select(.type == "firewall" and .sport == 51000) | .created_age_ms')
check "ages rebased: firewall session created $a0 ms ago at br-o -> $a1 ms at br-d" \
    sh -c "[ $a1 -ge $a0 ] && [ $a1 -le $((a0 + elapsed + 1000)) ]"
l1=$(echo "$after" | jq ".vms[0].records[] | select(.type == \"dhcp\" and .ip == \"$LEASE_IP\") | .lease_ms")
check "DHCP binding $LEASE_IP at br-d with its lease rebased ($l1 ms < 3600 s)" \
    sh -c "[ -n '$l1' ] && [ $l1 -lt 3600000 ] && [ $l1 -gt 3500000 ]"
check "br-o still holds VM1 (frozen) until activation" sh -c "[ \"\$1\" = 8 ]" _ "$(records bro $U1)"
dst resumed-d1 0 $U1 $VM1_MAC $M1 resumed --wait 5000 --json
grep -q '"outcome":"PROCEED"' "$W/resumed-d1.out" && ok "RESUMED answered PROCEED" || fail "RESUMED not PROCEED"
purged() { [ "$(records bro $U1)" = 0 ]; }
wait_for 5 "br-o purged VM1 after activation" purged
check "br-d: VM1 active (no flags), 8 records" sh -c "[ \"\$1\" = 8 ] && [ -z \"\$2\" ]" _ \
    "$(records brd $U1)" "$(flags brd $U1)"
check "the DHCP binding moved: at br-d, not at br-o" sh -c \
    "'$samictl' -s '$W/brd.sock' --json show di --vm $VM1_MAC | jq -e '.vms[0].records | map(select(.type==\"dhcp\")) | length == 1' >/dev/null &&
     '$samictl' -s '$W/bro.sock' --json show di --vm $U1 | jq -e '.vms[0].count == 0' >/dev/null"
src completed-s1 0 $U1 $VM1_MAC $M1 completed
wait_for 3 "br-o: migration 1 DONE" state_is bro $M1 DONE
wait_for 3 "br-d: migration 1 DONE" state_is brd $M1 DONE

# ---- 3. 1000 records: the blackout -----------------------------------------------
echo "== 3. a VM with 1000 records"
out=$(ctl bro load "$W/big.txt")
check "samictl load: $out" sh -c "echo '$out' | grep -q '1000 records stored'"
M5=0x5a4d000000000005
dst prepare-d5 0 $U5 52:54:00:00:00:05 $M5 prepare
src prepare-s5 0 $U5 52:54:00:00:00:05 $M5 prepare
wait_for 10 "br-o: 1000 records pre-copied (O_STAGED)" state_is bro $M5 O_STAGED
src suspended-s5 0 $U5 52:54:00:00:00:05 $M5 suspended --wait 5000 --json
BLACKOUT_NOTIFY=$(jq -r '.elapsed_ms' "$W/suspended-s5.out" 2>/dev/null)
check "br-d: 1000 records installed" test "$(records brd $U5)" = 1000
dst resumed-d5 0 $U5 52:54:00:00:00:05 $M5 resumed --wait 5000
src completed-s5 0 $U5 52:54:00:00:00:05 $M5 completed
purged5() { [ "$(records bro $U5)" = 0 ]; }
wait_for 5 "br-o purged the 1000 records" purged5

# ---- 4. abort ----------------------------------------------------------------------
echo "== 4. ABORTED after the pre-copy"
M2=0x5a4d000000000002
dst prepare-d2 0 $U2 52:54:00:00:00:02 $M2 prepare
src prepare-s2 0 $U2 52:54:00:00:00:02 $M2 prepare
wait_for 5 "br-o: VM2 pre-copied" state_is bro $M2 O_STAGED
check "br-d: VM2 staging" test "$(flags brd $U2)" = staging
src aborted-s2 0 $U2 52:54:00:00:00:02 $M2 aborted --reason operator
wait_for 3 "br-o: migration 2 rolled back (FAILED)" state_is bro $M2 FAILED
wait_for 3 "br-d: migration 2 rolled back (FAILED)" state_is brd $M2 FAILED
nostage2() { [ "$(records brd $U2)" = 0 ] && [ -z "$(flags brd $U2)" ]; }
wait_for 3 "br-d discarded VM2's staged records" nostage2
check "br-o keeps VM2: 7 records, not frozen" sh -c "[ \"\$1\" = 7 ] && [ -z \"\$2\" ]" _ \
    "$(records bro $U2)" "$(flags bro $U2)"

# ---- 5. wrong key ---------------------------------------------------------------------
echo "== 5. a wrong key at br-d (SIGHUP reload)"
sed -i "s/$KEY/$WRONG_KEY/" "$W/brd.conf"
kill -HUP "$PID_BRD"
keys_replaced() { grep -q "transfer keys replaced" "$W/brd.log"; }
wait_for 3 "br-d reloaded its keys on SIGHUP" keys_replaced
bad0=$(ctl brd --json show counters | jq '.transfer.bad_auth')
M3=0x5a4d000000000003
dst prepare-d3 0 $U3 52:54:00:00:00:03 $M3 prepare
src prepare-s3 0 $U3 52:54:00:00:00:03 $M3 prepare
src suspended-s3 3 $U3 52:54:00:00:00:03 $M3 suspended --wait 15000 --json
grep -q '"outcome":"ROLLBACK"' "$W/suspended-s3.out" && ok "SUSPENDED answered ROLLBACK" || fail "SUSPENDED not ROLLBACK"
bad1=$(ctl brd --json show counters | jq '.transfer.bad_auth')
check "br-d refused and counted the messages under the wrong key (bad_auth $bad0 -> $bad1)" \
    test "$bad1" -gt "$bad0"
check "br-d installed nothing for VM3" test "$(records brd $U3)" = 0
check "br-o keeps VM3: 7 records, not frozen" sh -c "[ \"\$1\" = 7 ] && [ -z \"\$2\" ]" _ \
    "$(records bro $U3)" "$(flags bro $U3)"
check "br-d logged the refusal with its reason" grep -q "authentication failed" "$W/brd.log"
sed -i "s/$WRONG_KEY/$KEY/" "$W/brd.conf"
kill -HUP "$PID_BRD"
keys_back() { [ "$(grep -c "transfer keys replaced" "$W/brd.log")" -ge 2 ]; }
wait_for 3 "br-d back on the right key" keys_back
# limits are fixed in the node: a reload builds a new one and moves the DI
printf 'limits {\n    migrations = 32\n}\n' >>"$W/brd.conf"
kill -HUP "$PID_BRD"
rebuilt() { grep -q "bridge node rebuilt" "$W/brd.log"; }
wait_for 3 "br-d rebuilt its node for the new limits (SIGHUP)" rebuilt
check "the rebuilt br-d still holds VM1 (8 records) and VM5 (1000)" \
    sh -c "[ \"\$1\" = 8 ] && [ \"\$2\" = 1000 ]" _ "$(records brd $U1)" "$(records brd $U5)"

# ---- 6. SIGTERM with a migration pending -------------------------------------------
echo "== 6. SIGTERM of br-o with a migration pending"
M6=0x5a4d000000000006
dst prepare-d6 0 $U6 52:54:00:00:00:06 $M6 prepare
src prepare-s6 0 $U6 52:54:00:00:00:06 $M6 prepare
wait_for 8 "br-o: VM6 pre-copied" state_is bro $M6 O_STAGED
check "br-d: VM6 staging" test "$(flags brd $U6)" = staging
stop_pid "$PID_BRO" TERM
rc=$?
check "br-o exits 0 on SIGTERM (exit $rc)" test "$rc" = 0
check "br-o logged the abort of migration 6" grep -q "shutdown: migration 0x5a4d000000000006" "$W/bro.log"
wait_for 3 "br-d heard the ABORT: migration 6 FAILED" state_is brd $M6 FAILED
nostage6() { [ "$(records brd $U6)" = 0 ] && [ -z "$(flags brd $U6)" ]; }
wait_for 3 "br-d discarded VM6's staged records" nostage6
check "br-o removed its pid file and control socket" sh -c "[ ! -e '$W/bro.pid' ] && [ ! -e '$W/bro.sock' ]"

# ---- 7. killed peer ----------------------------------------------------------------------
echo "== 7. SIGKILL of br-d mid-migration"
# Both restart: peers keep replay windows across a restart only when the
# node takes a sequence start (see samid's log); a joint restart is clean.
stop_pid "$PID_BRD" TERM
check "br-d exits 0 on SIGTERM" test $? = 0
start_samid bro $BRO
start_samid brd $BRD
wait_for 10 "peers reconnected after the restart" peers_up bro
M4=0x5a4d000000000004
dst prepare-d4 0 $U4 52:54:00:00:00:04 $M4 prepare
src prepare-s4 0 $U4 52:54:00:00:00:04 $M4 prepare
wait_for 8 "br-o: VM4 pre-copied" state_is bro $M4 O_STAGED
stop_pid "$PID_BRD" KILL
t0=$(date +%s%3N)
src suspended-s4 3 $U4 52:54:00:00:00:04 $M4 suspended --wait 15000 --json
t1=$(date +%s%3N)
grep -q '"outcome":"ROLLBACK"' "$W/suspended-s4.out" && ok "SUSPENDED answered ROLLBACK" || fail "SUSPENDED not ROLLBACK"
check "ROLLBACK within the commit deadline ($((t1 - t0)) ms, deadline $COMMIT_MS ms)" \
    test $((t1 - t0)) -le $((COMMIT_MS + 2000))
check "br-o keeps VM4: 7 records, not frozen" sh -c "[ \"\$1\" = 7 ] && [ -z \"\$2\" ]" _ \
    "$(records bro $U4)" "$(flags bro $U4)"
check "br-o: migration 4 FAILED" state_is bro $M4 FAILED
ctl bro show counters >"$W/bro-counters.txt"
stop_pid "$PID_BRO" TERM
check "br-o exits 0 on SIGTERM" test $? = 0

# ---- 8. captures ----------------------------------------------------------------------------
echo "== 8. captures"
sleep 0.3
stop_pid $TCPDUMP_BRO INT
stop_pid $TCPDUMP_BRD INT
for c in bro brd; do
    "$sniff" -r "$W/$c.pcap" >"$W/$c.txt" 2>&1 || fail "sami-sniff -r $c.pcap exited $?"
    "$sniff" -r "$W/$c.pcap" --stats -q >"$W/$c.stats" 2>&1
    if grep -qi malformed "$W/$c.txt"; then
        fail "sami-sniff: malformed frames in $c.pcap"
        grep -i malformed "$W/$c.txt" | head -5
    else
        ok "$c.pcap ($(grep -c . "$W/$c.txt") frames) decodes without a malformed frame"
    fi
done
for kind in "sami NOTIFY SUSPENDED" "sami FEEDBACK PROCEED" "sami FEEDBACK ROLLBACK" "LLDP"; do
    grep -q "$kind" "$W/bro.stats" && ok "br-o capture has $kind" || fail "br-o capture lacks $kind"
done
"$sniff" --timeline -r "$W/bro.pcap" >"$W/bro.timeline" 2>&1
"$sniff" --timeline --json -r "$W/bro.pcap" >"$W/bro.timeline.json" 2>&1
echo "--- timeline (br-o) ---"
cat "$W/bro.timeline"
BLACKOUT_WIRE=$(jq -r "select(.migration_id == \"$M5\" or .migration_id == $(printf %d $M5)) | .blackout_usec" "$W/bro.timeline.json" 2>/dev/null | head -1)
echo "BLACKOUT (1000 records, SUSPENDED sent -> PROCEED received): wire ${BLACKOUT_WIRE:-?} us (br-o's downlink capture), sami-notify ${BLACKOUT_NOTIFY:-?} ms (whole run)"

if grep -q "ERROR: AddressSanitizer\|runtime error:" "$W"/bro.log "$W"/brd.log; then
    fail "sanitizer reports in the samid logs"
fi
if [ "$FAILS" -gt 0 ]; then
    echo "$FAILS check(s) failed"
    exit 1
fi
echo "all checks passed"
