#!/bin/bash
# Interop: lldpad as the VDP station (driven by vdptool), samid as the VDP
# bridge. lldpad runs in one network namespace, samid (generated
# one-downlink configuration, no peers, random key) in the other, one veth
# pair between them; tcpdump records ECP and LLDP on the bridge side.
# Cases (results: docs/INTEROP.md, "lldpad station -> samid bridge"):
#   1. Assoc with lldpad's Cisco org TLVs: vdptool gets samid's response
#      (rc 0), `samictl show vsis` lists the VSI (UUID, MAC, VID, type)
#   2. PreAssoc-RR with hints=to (M hint): answered, held with hint M
#   3. filter formats: VID-MAC (case 1), VID only, GroupID/MAC/VID and
#      GroupID/VID (samid sets BGID by default, lldpad SGID with evbgpid):
#      answered, samictl shows format and group IDs; 3b: after a reload to
#      group-id = false lldpad refuses a group format itself
#   4. DeAssoc: answered, the VSIs are gone from samictl
#   5. samid's policy (reload to accept-list without the type id) refuses
#      an Assoc: what vdptool shows
#   6. keep-alives (reload to RKA 15 = 0.33 s) keep a VSI; lldpad stopped
#      with SIGSTOP: samid's keep-alive timeout drops the VSI and sends a
#      DeAssoc, which lldpad logs after SIGCONT (vdptool -t: VSI gone);
#      SIGTERM: a TTL 0 LLDPDU, no DeAssoc
#   and the capture decodes in sami-sniff without a malformed frame, is
#   clean in tshark and agrees with it and with the Lua dissector
#   (tests/tshark_check.py, tests/lua_check.py; not run without tshark).
#
#   lldpad-station-samid.sh SAMID SAMICTL SAMI_SNIFF
# SAMID empty or missing = SKIP (samid not built). Needs root, `ip netns`,
# lldpad (lldpad, lldptool, vdptool), tcpdump, jq; exit 77 (SKIP)
# otherwise. W=DIR keeps the work files there (default: a mktemp dir, kept
# on failure or with KEEP=1). Traffic stays on the veth pair between the
# two namespaces this script creates; only the PIDs it started are killed.
set -u

SAMID=${1:-}
SAMICTL=${2:-}
SNIFF=${3:-}

skip() { echo "SKIP: lldpad-station-samid: $*"; exit 77; }
. "$(dirname "$0")/capcheck.sh"
[ -n "$SAMID" ] && [ -x "$SAMID" ] || skip "samid binary absent (target samid not built)"
[ -n "$SAMICTL" ] && [ -x "$SAMICTL" ] || skip "samictl binary absent"
[ -n "$SNIFF" ] && [ -x "$SNIFF" ] || skip "sami-sniff binary absent"
[ "$(id -u)" = 0 ] || skip "needs root (network namespaces)"
for c in ip lldpad lldptool vdptool tcpdump jq stdbuf; do
    command -v $c >/dev/null 2>&1 || skip "$c not installed"
done

T0=$(date +%s.%N)
tag=$$
NS_ST=sami-lss-st-$tag NS_BR=sami-lss-br-$tag
IF_ST=lst$tag IF_BR=lbr$tag
IF_ST=${IF_ST:0:15} IF_BR=${IF_BR:0:15}
ip netns add "$NS_BR" 2>/dev/null || skip "ip netns add failed (no namespace support?)"
ip netns add "$NS_ST" || skip "ip netns add failed"
KEEPW=${W:+1}
W=${W:-$(mktemp -d /tmp/sami-interop-lldpad-samid.XXXXXX)}
mkdir -p "$W"
PIDS=()
FAILS=0

# Every PID here is a background child of this shell; a stopped one is
# reaped and forgotten, so no signal can reach a recycled PID.
stop_pid() { # pid [signal]
    local p=$1 keep=() q
    kill -"${2:-TERM}" "$p" 2>/dev/null
    kill -CONT "$p" 2>/dev/null # a stopped process (case 6) acts on it then
    for _ in $(seq 25); do kill -0 "$p" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
    PIDS=("${keep[@]}")
}
cleanup() {
    local p
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    ip netns del "$NS_ST" 2>/dev/null
    ip netns del "$NS_BR" 2>/dev/null
    if [ "${KEEP:-0}" = 1 ] || [ -n "$KEEPW" ] || [ "$FAILS" -gt 0 ]; then
        echo "work files: $W"
    else
        rm -rf "$W"
    fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() { # description command...: PASS/FAIL line, failures counted
    local what=$1
    shift
    if "$@"; then echo "PASS: $what"; else echo "FAIL: $what"; FAILS=$((FAILS + 1)); fi
}
info() { echo "INFO: $*"; }

ip link add "$IF_ST" netns "$NS_ST" type veth peer name "$IF_BR" netns "$NS_BR" ||
    { echo "FAIL: veth"; exit 1; }
for n in "$NS_ST $IF_ST" "$NS_BR $IF_BR"; do
    set -- $n # two words on purpose
    ip -n "$1" link set lo up
    ip -n "$1" link set "$2" up
done
ST="ip netns exec $NS_ST"
BR="ip netns exec $NS_BR"
CTL() { "$SAMICTL" -s "$W/samid.sock" --json "$@"; }
vsis() { CTL show vsis | jq -c '.downlinks[0].vsis'; }
vdpc() { CTL show counters | jq -r ".downlinks[0].vdp.$1"; }

# ---- samid: one downlink, accept-all, RKA 20 (10.5 s) first, RKA 15
# (0.33 s) for the keep-alive cases (negotiation takes the larger of both
# ends; lldpad is set to 15 below). Few keep-alives while requests are made:
# lldpad loses one of two VDPDUs that arrive within 2 ms (docs/INTEROP.md).
MAC=$(printf '02:53:4d:%02x:%02x:%02x' $((RANDOM % 256)) $((RANDOM % 256)) $((RANDOM % 256)))
SECRET=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
conf() { # policy-lines rka extra-lines
    cat >"$W/samid.conf" <<EOF
# generated by lldpad-station-samid.sh
bridge {
    id = "8000:$MAC"
    name = "sami-lldpad-$tag"
}
downlink "$IF_BR" {
    $1
    rka = $2
    $3
}
key 1 {
    secret = "$SECRET"
}
control {
    socket = "$W/samid.sock"
}
EOF
}
conf "policy = accept-all" 20 ""
out=$("$SAMID" -c "$W/samid.conf" --check-config 2>&1)
rc=$?
check "samid --check-config on the generated file ($out)" test $rc = 0
[ $rc = 0 ] || exit 1

$BR tcpdump -i "$IF_BR" --immediate-mode -U -w "$W/vdp.pcap" \
    'ether proto 0x8940 or ether proto 0x88cc' >"$W/tcpdump.log" 2>&1 &
TCPDUMP=$!
PIDS+=($TCPDUMP)
for _ in $(seq 50); do grep -q "listening on" "$W/tcpdump.log" 2>/dev/null && break; sleep 0.1; done

$BR "$SAMID" -c "$W/samid.conf" --foreground -v >"$W/samid.log" 2>&1 &
SD=$!
PIDS+=($SD)
for _ in $(seq 50); do CTL ping >/dev/null 2>&1 && break; sleep 0.1; done

# ---- lldpad station. Its single-instance guard is POSIX shm and its client
# socket abstract (per netns): a private tmpfs on /dev/shm in the mount
# namespace `ip netns exec` makes, and -p (no pid file). `exec` keeps $! the
# lldpad PID (stdbuf execs it too); line-buffered, because the test polls
# the log. evbmode defaults to station. Started twice (phase 3).
start_station() {
    $ST sh -c "mount -t tmpfs -o size=1m sami-lldpad-shm /dev/shm &&
        exec stdbuf -oL -eL lldpad -p -V7 -f '$W/st.conf'" >>"$W/st.log" 2>&1 &
    LLDPAD=$!
    PIDS+=($LLDPAD)
    for _ in $(seq 50); do $ST lldptool -S -i "$IF_ST" >/dev/null 2>&1 && break; sleep 0.1; done
    {
        $ST lldptool -L -i "$IF_ST" -g ncb adminStatus=rxtx
        $ST lldptool -T -i "$IF_ST" -g ncb -V evb -c enableTx=yes
        $ST lldptool -T -i "$IF_ST" -g ncb -V evb -c vdprka=15
        # group ID filter formats need SGID here and BGID from the bridge
        $ST lldptool -T -i "$IF_ST" -g ncb -V evb -c evbgpid=yes
        $ST lldptool -t -i "$IF_ST" -g ncb -V evb -c
    } >>"$W/lldptool.log" 2>&1
}
# EVB: samid answers a station's LLDPDU within 200 ms
wait_evb() { # file
    for _ in $(seq 60); do
        CTL show vsis >"$1" 2>&1
        [ "$(jq -r '.downlinks[0].lldp.evb.negotiated' "$1")" = true ] &&
            [ "$(jq -r '.downlinks[0].lldp.neighbour.evb_station' "$1")" = true ] && return 0
        sleep 0.1
    done
    return 1
}
start_station
wait_evb "$W/vsis-evb.json"
check "samid negotiated EVB with lldpad's station ($(jq -c '.downlinks[0].lldp.evb' "$W/vsis-evb.json"))" \
    test $? = 0
check "negotiated RKA is 20 (samid's; lldpad asks 15)" test "$(jq -r '.downlinks[0].lldp.evb.rka' "$W/vsis-evb.json")" = 20

MGR=samimgr
vdp() { # name mode uuid typeid hints filter [extra -c args...]
    local name=$1 mode=$2 uuid=$3 typeid=$4 hints=$5 filter=$6 a extra=()
    shift 6
    for a in "$@"; do extra+=(-c "$a"); done
    $ST vdptool -i "$IF_ST" -T -W -V "$mode" -c mode="$mode" -c mgrid2=$MGR \
        -c typeid="$typeid" -c typeidver=4 -c uuid="$uuid" -c hints="$hints" \
        -c filter="$filter" "${extra[@]}" >"$W/$name.out" 2>&1
    VRC=$?
    echo "--- $name: vdptool $mode uuid=$uuid hints=$hints filter=$filter ${extra[*]}: rc $VRC"
    sed 's/^/    /' "$W/$name.out"
}
has() { grep -q -- "$2" "$W/$1.out"; }
answered() { # name mode: rc 0, "mode = MODE", no error
    [ $VRC = 0 ] && has "$1" "mode = $2" && ! grep -qi error "$W/$1.out"
}
vsi_of() { vsis | jq -c --arg u "$1" '[.[] | select(.vsi_id == $u)] | .[0] // empty'; }
vsi_is() { # uuid jq-expr expected-json: the VSI's fields as samictl shows them
    test "$(jq -c "$2" <<<"$(vsi_of "$1")" 2>/dev/null)" = "$3"
}
# lldpad's log: lines after a mark (a line count)
logmark() { wc -l <"$W/st.log"; }
log_after() { tail -n +$(($1 + 1)) "$W/st.log" | grep -q -- "$2"; }
wait_log() { # mark pattern seconds
    local i
    for i in $(seq $(($3 * 10))); do log_after "$1" "$2" && return 0; sleep 0.1; done
    return 1
}
reload() { # policy-lines rka extra-lines: rewrite, `samictl reload`, wait for it
    conf "$1" "$2" "$3"
    CTL reload >"$W/reload.json" 2>&1
    local want=${1#policy = }
    want=${want%%$'\n'*}
    for _ in $(seq 30); do
        [ "$(CTL show vsis | jq -r '.downlinks[0].policy')" = "$want" ] && return 0
        sleep 0.1
    done
    return 1
}

U1=00112233-4455-6677-8899-aabbccdd0001
U2=00112233-4455-6677-8899-aabbccdd0002
U3=00112233-4455-6677-8899-aabbccdd0003
U4=00112233-4455-6677-8899-aabbccdd0004
U5=00112233-4455-6677-8899-aabbccdd0005
U6=00112233-4455-6677-8899-aabbccdd0006
U7=00112233-4455-6677-8899-aabbccdd0007
U8=00112233-4455-6677-8899-aabbccdd0008
U9=00112233-4455-6677-8899-aabbccdd0009

# ======== phase 1: accept-all, RKA 20, group IDs on (samid's default)
check "group IDs: samid sets BGID, lldpad's SGID is seen (show vsis .lldp.evb bgid, group_ids)" \
    test "$(jq -c '.downlinks[0].lldp.evb | [.bgid, .group_ids]' "$W/vsis-evb.json")" = '[true,true]'
check "group IDs: lldpad's VDP has them on (log 'data_from_evb ... gpid:1')" \
    wait_log 0 "data_from_evb:$IF_ST .*gpid:1" 5

# ---- 1. Assoc, VID-MAC, Cisco org TLVs. lldpad refuses VDP requests
# (EPROTONOSUPPORT) until its VDP has the EVB TLV exchange behind it: retry
# for up to 5 s, counted.
tries=0
for _ in $(seq 10); do
    tries=$((tries + 1))
    vdp assoc assoc $U1 5 none 100-52:54:00:12:34:56 oui=cisco,vm_name=samivm \
        oui=cisco,ipv4_addr=10.1.2.3
    [ $VRC = 0 ] && has assoc "Response from VDP" && break
    sleep 0.5
done
info "first Assoc answered after $tries vdptool call(s)"
check "1. vdptool Assoc rc 0 with samid's response (mode = assoc, no error)" answered assoc assoc
info "samictl: $(vsi_of $U1)"
check "1. samictl shows the VSI: UUID, associated, type 5 v4, MAC 52:54:00:12:34:56, VID 100" \
    vsi_is $U1 '[.state, .type_id, .type_version, .filters]' \
    '["associated",5,4,[{"mac":"52:54:00:12:34:56","vid":100}]]'
check "1. samid counted the Cisco org TLVs as foreign (rx_org > 0)" test "$(vdpc rx_org)" -gt 0

# ---- 2. PreAssoc-RR, M hint (hints=to)
vdp preassoc-rr preassoc-rr $U2 5 to 101-52:54:00:12:34:58
check "2. vdptool PreAssoc-RR (hints=to) rc 0 with a response" answered preassoc-rr preassoc-rr
info "samictl: $(vsi_of $U2)"
check "2. samictl: preassociated-rr, hint M, MAC/VID" \
    vsi_is $U2 '[.state, .hints, .filters]' \
    '["preassociated-rr","M",[{"mac":"52:54:00:12:34:58","vid":101}]]'

# ---- 3. filter formats: VID only (1), VID-MAC (2, case 1), GroupID/MAC/VID
# (4) and GroupID/VID (3; vdptool syntax VID--GROUP)
vdp vid-only assoc $U3 5 none 200
check "3. VID-only filter: vdptool rc 0 with a response" answered vid-only assoc
info "samictl: $(vsi_of $U3)"
check "3. samictl: VID-only VSI associated, format 1, VID 200 (MAC shown as zero)" \
    vsi_is $U3 '[.state, .filter_format, .filters]' \
    '["associated",1,[{"mac":"00:00:00:00:00:00","vid":200}]]'
vdp vid-mac-gid assoc $U4 5 none 300-52:54:00:12:34:57-4660
check "3. GroupID/MAC/VID filter: vdptool rc 0 with a response" answered vid-mac-gid assoc
info "samictl: $(vsi_of $U4)"
check "3. samictl: GroupID/MAC/VID VSI associated, format 4, group 4660, MAC :57, VID 300" \
    vsi_is $U4 '[.state, .filter_format, .filters]' \
    '["associated",4,[{"mac":"52:54:00:12:34:57","vid":300,"group_id":4660}]]'
vdp vid-gid assoc $U5 5 none 400--4661
check "3. GroupID/VID filter: vdptool rc 0 with a response" answered vid-gid assoc
info "samictl: $(vsi_of $U5)"
check "3. samictl: GroupID/VID VSI associated, format 3, group 4661, VID 400" \
    vsi_is $U5 '[.state, .filter_format, .filters]' \
    '["associated",3,[{"mac":"00:00:00:00:00:00","vid":400,"group_id":4661}]]'

# ---- 4. DeAssoc, every VSI of phase 1
vdp deassoc deassoc $U1 5 none 100-52:54:00:12:34:56
check "4. vdptool DeAssoc rc 0 with a response (mode = deassoc, no error)" answered deassoc deassoc
check "4. samictl no longer lists VSI 1" test -z "$(vsi_of $U1)"
vdp deassoc-rr deassoc $U2 5 none 101-52:54:00:12:34:58
vdp deassoc-vid deassoc $U3 5 none 200
vdp deassoc-vmg deassoc $U4 5 none 300-52:54:00:12:34:57-4660
vdp deassoc-vg deassoc $U5 5 none 400--4661
check "4. DeAssoc of the PreAssoc-RR, VID, GroupID/MAC/VID and GroupID/VID VSIs: answered, none left" \
    sh -c "for n in deassoc-rr deassoc-vid deassoc-vmg deassoc-vg; do
               grep -q 'mode = deassoc' \"$W/\$n.out\" && ! grep -qi error \"$W/\$n.out\" || exit 1
           done; [ \"\$1\" = '[]' ]" - "$(vsis)"

# ======== phase 2: accept-list without type 5, group IDs off
m=$(logmark)
reload "policy = accept-list
    accept-types = { 7, 0x00a1b2 }" 20 "group-id = false"
check "reload: policy accept-list, BGID off in samid (.lldp.evb.bgid false)" \
    test "$(CTL show vsis | jq -c '.downlinks[0].lldp.evb | [.bgid, .group_ids]')" = '[false,false]'
check "reload: lldpad's VDP turned group IDs off on samid's next LLDPDU (log 'gpid:0')" \
    wait_log "$m" "data_from_evb:$IF_ST .*gpid:0" 5

# ---- 5. samid's policy refuses
rj0=$(vdpc rejected)
vdp rejected assoc $U6 5 none 500-52:54:00:12:34:59
rj1=$(vdpc rejected)
check "5. policy refusal reaches vdptool: 'Error returned by Bridge: Other Failures', mode shown as deassoc" \
    sh -c "grep -q 'Error returned by Bridge: Other Failures' '$W/rejected.out' &&
           grep -q 'mode = deassoc' '$W/rejected.out'"
info "5. vdptool rc on the refusal: $VRC"
check "5. samid: refused (vdp.rejected $rj0 -> $rj1, logged), no VSI" \
    sh -c "[ $((rj1 - rj0)) = 1 ] && grep -q 'refused VSI $U6 (type id 5, Assoc): VSI type id not in accept-types' '$W/samid.log' &&
           [ -z '$(vsi_of $U6)' ]"

# ---- 3b. group formats without BGID: lldpad refuses them itself
m=$(logmark)
vdp gid-off assoc $U7 7 none 310-52:54:00:12:34:5a-4662
check "3b. group-id = false: lldpad refuses GroupID/MAC/VID locally (rc != 0, 'Invalid parameters', log 'filter_ok: ffmt:4 gpid_on:0 rc:0')" \
    sh -c "[ $VRC != 0 ] && grep -q 'Invalid parameters' '$W/gid-off.out'" &&
    log_after "$m" "filter_ok: ffmt:4 gpid_on:0 rc:0"

# ======== phase 3: accept-all, RKA 15 (0.33 s), group IDs on again. RKA
# cannot be lowered under a running lldpad: it advertises the larger of its
# own and samid's last value, samid takes the larger of its own and
# lldpad's, so 20 stays (docs/INTEROP.md). samid is reloaded, lldpad
# restarted: its TTL 0 LLDPDU makes samid drop back to its configured 15.
reload "policy = accept-all" 15 ""
CTL show vsis >"$W/vsis-sticky.json" 2>&1
sleep 0.5 # samid's LLDPDU after the reload, and lldpad's answer
CTL show vsis >"$W/vsis-sticky.json" 2>&1
info "after the reload to RKA 15 with lldpad still there: $(jq -c '.downlinks[0].lldp.evb' "$W/vsis-sticky.json")"
stop_pid $LLDPAD
m=$(logmark)
start_station
wait_evb "$W/vsis-evb2.json"
check "restarted lldpad: EVB negotiated again, RKA 15 ($(jq -c '.downlinks[0].lldp.evb' "$W/vsis-evb2.json"))" \
    test "$(jq -r '.downlinks[0].lldp.evb.rka' "$W/vsis-evb2.json")" = 15
check "restarted lldpad's VDP has RKA 15 and group IDs (log 'rka:15 gpid:1')" \
    wait_log "$m" "data_from_evb:$IF_ST .*rka:15 gpid:1" 5

# ---- 6a. keep-alives: 2 s is > 3 keep-alive timeouts of ~0.52 s
# (1.5 * (7 * 2.56 ms + 0.33 s)); the VSI must stay
for _ in $(seq 10); do
    vdp ka assoc $U8 5 none 210
    [ $VRC = 0 ] && has ka "Response from VDP" && break
    sleep 0.5
done
check "6. Assoc (VID 210) for the keep-alive cases answered" answered ka assoc
r0=$(vdpc refreshes)
sleep 2
r1=$(vdpc refreshes)
info "after 2 s: refreshes $r0 -> $r1; $(vsi_of $U8)"
check "6. keep-alives keep the VSI: still associated after 2 s, >= 4 refreshes, expires_ms <= 600" \
    sh -c "[ '$(vsi_of $U8 | jq -r .state)' = associated ] && [ $((r1 - r0)) -ge 4 ] &&
           [ '$(vsi_of $U8 | jq -r .expires_ms)' -le 600 ]"

# ---- 6b. lldpad stopped (SIGSTOP): no keep-alives; samid's keep-alive
# timeout drops the VSI and sends a DeAssoc, which waits in lldpad's socket
# until SIGCONT
e0=$(vdpc expired) x0=$(CTL show counters | jq -r '.downlinks[0].ecp.errors')
m=$(logmark)
kill -STOP "$LLDPAD"
T_STOP=$(date +%s%6N)
gone=no
for _ in $(seq 30); do
    [ -z "$(vsi_of $U8)" ] && { gone=yes; break; }
    sleep 0.1
done
e1=$(vdpc expired)
check "6. lldpad stopped: samid drops the VSI by keep-alive timeout (expired $e0 -> $e1)" \
    sh -c "[ $gone = yes ] && [ $((e1 - e0)) -ge 1 ]"
# samid's DeAssoc: R 3 retries of RTE 8 (2.56 ms) unanswered, then ECP gives up
gaveup=no
for _ in $(seq 20); do
    [ "$(CTL show counters | jq -r '.downlinks[0].ecp.errors')" -gt "$x0" ] && { gaveup=yes; break; }
    sleep 0.05
done
check "6. samid's DeAssoc went unanswered while lldpad was stopped (ecp.errors +1)" test $gaveup = yes
check "6. samid logged the expiry" grep -q "timers on $IF_BR: a VSI's keep-alives stopped: dropped" "$W/samid.log"
# On SIGCONT lldpad first runs its overdue keep-alive timer, then reads the
# queued DeAssoc; an answer from samid to that keep-alive within 2 ms would
# overwrite the DeAssoc in lldpad's one-slot ECP->VDP buffer (docs/INTEROP.md)
# and lldpad would never see it. So samid is held (SIGSTOP) until lldpad
# has logged the DeAssoc.
kill -STOP "$SD"
kill -CONT "$LLDPAD"
T_CONT=$(date +%s%6N)
check "6. after SIGCONT lldpad's log shows the bridge's DeAssoc (vdp22_bridge_info ... vsi_mode:4 ... deassoc:1)" \
    wait_log "$m" "vdp22_bridge_info:$IF_ST .*vsi_mode:4.*deassoc:1" 5
sed -n "$((m + 1)),\$p" "$W/st.log" | grep -E "vdp22_bridge_info|vdp22_sendevent" |
    head -4 | cut -c1-200 | sed 's/^/    lldpad: /'
gone_l=no
for _ in $(seq 30); do
    $ST vdptool -i "$IF_ST" -t -V assoc >"$W/vdptool-t.out" 2>&1
    grep -q "${U8}" "$W/vdptool-t.out" || { gone_l=yes; break; }
    sleep 0.1
done
check "6. vdptool -t no longer lists the VSI" test $gone_l = yes
kill -CONT "$SD"
# samid now takes lldpad's queued keep-alive as a new Assoc (accept-all) and
# answers it; lldpad no longer knows the VSI, sends no keep-alive, and
# samid's timeout drops it again
gone=no
for _ in $(seq 40); do
    [ "$(vsis)" = '[]' ] && { gone=yes; break; }
    sleep 0.1
done
check "6. samid holds no VSI within 4 s of resuming" test $gone = yes

# ---- 6c. SIGTERM with a VSI held: lldpad sends a TTL 0 LLDPDU and no
# DeAssoc; samid keeps the VSI until its keep-alive timeout
vdp term assoc $U9 5 none 220
check "6c. Assoc (VID 220) before SIGTERM answered" answered term assoc
e0=$(vdpc expired) d0=$(vdpc deassoc)
T_TERM=$(date +%s%6N)
stop_pid $LLDPAD
gone=no
for _ in $(seq 30); do
    [ -z "$(vsi_of $U9)" ] && { gone=yes; break; }
    sleep 0.1
done
e1=$(vdpc expired) d1=$(vdpc deassoc)
# (whether samid still held it when lldpad had exited depends on where the
# 0.52 s timeout was: the counters say how it ended)
check "6c. after lldpad's SIGTERM samid's keep-alive timeout dropped the VSI, not a DeAssoc (expired $e0 -> $e1, deassoc $d0 -> $d1)" \
    sh -c "[ $gone = yes ] && [ $((e1 - e0)) = 1 ] && [ $d1 = $d0 ]"
sleep 0.3 # samid's DeAssoc and its retries
CTL show counters >"$W/counters.json" 2>&1

stop_pid $SD
stop_pid $TCPDUMP
"$SNIFF" -r "$W/vdp.pcap" >"$W/vdp.txt" 2>&1
"$SNIFF" --json -r "$W/vdp.pcap" >"$W/vdp.jsonl" 2>&1
"$SNIFF" -r "$W/vdp.pcap" --stats -q >"$W/stats.txt" 2>&1
sed 's/^/    /' "$W/stats.txt"
check "capture: sami-sniff finds no malformed frame" \
    sh -c "! grep -qi malformed '$W/vdp.txt' '$W/stats.txt' && grep -q 'VDP ASSOC rsp' '$W/stats.txt'"
check "capture: lldpad's Assoc carried the Cisco org TLVs (00:00:0c)" \
    grep -q "ASSOC req \[uuid $U1.*ORG 00:00:0c" "$W/vdp.txt"
check "capture: the group formats went out and came back with their group IDs" \
    sh -c "grep -q 'ASSOC req \[uuid $U4 group 4660 mac 52:54:00:12:34:57 vid 300' '$W/vdp.txt' &&
           grep -q 'ASSOC rsp success \[uuid $U4 group 4660 mac 52:54:00:12:34:57 vid 300' '$W/vdp.txt' &&
           grep -q 'ASSOC req \[uuid $U5 group 4661 vid 400' '$W/vdp.txt' &&
           grep -q 'ASSOC rsp success \[uuid $U5 group 4661 vid 400' '$W/vdp.txt'"
check "capture: samid answered the refused Assoc with 'other failure'" \
    grep -q "ASSOC rsp other failure \[uuid $U6" "$W/vdp.txt"
check "capture: nothing for the group-format VSI lldpad refused (group-id = false) went on the wire" \
    sh -c "! grep -q '$U7' '$W/vdp.txt'"
BRMAC=$(jq -r '.downlinks[0].mac' "$W/vsis-evb.json")
bda=$(grep -c "^[^ ]* $BRMAC .*DEASSOC req \[uuid $U8" "$W/vdp.txt")
check "capture: samid sent its own DeAssoc for the expired VSI ($bda frames: R+1 = 4 while lldpad was stopped)" \
    test "$bda" -ge 1
# the frames of the stop window, as tcpdump saw them on the bridge side
# (sami-sniff's text output is one line per frame)
info "ECP/VDP frames from SIGSTOP to 0.5 s after SIGCONT:"
for n in $(jq -r --argjson a "$T_STOP" --argjson b "$((T_CONT + 500000))" \
           'select(.ts_usec >= $a and .ts_usec <= $b and .ecp) | .frame' "$W/vdp.jsonl" | head -24); do
    sed -n "${n}p" "$W/vdp.txt" | cut -c1-170 | sed 's/^/    /'
done
stamac=$(jq -r 'select(.lldp.evb.mode == 2) | .src' "$W/vdp.jsonl" | head -1)
# (counted, not jq -e: jq 1.6's -e status follows the last input line)
n_ttl0=$(jq -r --arg s "$stamac" --argjson t "$T_TERM" 'select(.src == $s and .ts_usec >= $t and
    .lldp and ([.lldp.tlvs[] | select(.type == 3) | .ttl] == [0])) | .frame' "$W/vdp.jsonl" | wc -l)
n_da=$(jq -r --arg s "$stamac" --argjson t "$T_TERM" 'select(.src == $s and .ts_usec >= $t and
    (.vdp.tlvs // [] | map(.type) | index(4))) | .frame' "$W/vdp.jsonl" | wc -l)
check "6c. lldpad's SIGTERM: $n_ttl0 LLDPDU with TTL 0, $n_da DeAssoc from lldpad after it" \
    test "$n_ttl0" = 1 -a "$n_da" = 0
info "samid's EVB TLVs (distinct): $(jq -c 'select(.lldp.evb.mode == 1) | .lldp.evb | {bgid, sgid, rol_rka, rka}' "$W/vdp.jsonl" | sort -u | tr '\n' ' ')"

# ---- tshark and the Lua dissector on the capture
sami_capcheck "$SNIFF" "$W/vdp.pcap" "$W/vdp"
if [ $CAPCHECK_TSHARK = 77 ]; then
    info "tshark cross-check not run: $CAPCHECK_MSG"
else
    check "capture: tshark clean and agrees with sami-sniff; Lua dissector agrees ($CAPCHECK_MSG)" \
        test $CAPCHECK_TSHARK = 0 -a $CAPCHECK_LUA != 1
fi

printf 'runtime: %.1f s\n' "$(awk -v a="$T0" -v b="$(date +%s.%N)" 'BEGIN { print b - a }')"
if [ $FAILS -gt 0 ]; then
    echo "lldpad-station-samid: $FAILS check(s) failed (samid log: $W/samid.log, lldpad log: $W/st.log)"
    exit 1
fi
echo "lldpad-station-samid: all checks passed"
