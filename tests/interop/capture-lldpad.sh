#!/bin/bash
# Captures real lldpad VDP22 traffic for pcap-samples/real/: two lldpad
# instances (station and bridge) in two private network namespaces joined by
# a veth pair; vdptool on the station drives PreAssoc-RR (migrate-to hint),
# Associate (with lldpad's Cisco org TLVs) and De-associate, then repeats
# Associate / De-associate for the other filter info formats; tcpdump records
# ECP and LLDP on the bridge side.
#
# Usage (root): tests/interop/capture-lldpad.sh [output.pcap]
#   default output: pcap-samples/real/lldpad-vdp22-preassocrr-assoc-deassoc.pcap
#   W=<dir> keeps the work files (logs, configs) there; default a mktemp dir.
# Needs: lldpad (vdptool, lldptool), tcpdump, iproute2; tshark optional.
# Traffic stays inside the two namespaces this script creates; only the PIDs
# it started are killed.
set -u

here=$(cd "$(dirname "$0")/../.." && pwd)
OUT=${1:-$here/pcap-samples/real/lldpad-vdp22-preassocrr-assoc-deassoc.pcap}

. "$(dirname "$0")/../lib/netns.sh"
die() { echo "capture-lldpad: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "needs root (network namespaces)"
for c in lldpad lldptool vdptool tcpdump ip stdbuf; do
    command -v $c >/dev/null || die "missing $c"
done

W=${W:-$(mktemp -d /tmp/sami-capture-lldpad.XXXXXX)}
mkdir -p "$W"
# Names carry our PID so parallel runs (or other scripts' namespaces) never clash;
# interface names stay within IFNAMSIZ (15).
tag=$$
NS_ST=sami-cap-st-$tag NS_BR=sami-cap-br-$tag
IF_ST=scs$tag IF_BR=scb$tag
IF_ST=${IF_ST:0:15} IF_BR=${IF_BR:0:15}
# the work files stay (no NETNS_WORK): they are the point of W=<dir>
netns_traps

netns_add "$NS_ST" || die "netns add"
netns_add "$NS_BR" || die "netns add"
netns_veth "$IF_ST" "$NS_ST" "$IF_BR" "$NS_BR" || die "veth"
ip -n "$NS_ST" link set lo up; ip -n "$NS_ST" link set "$IF_ST" up
ip -n "$NS_BR" link set lo up; ip -n "$NS_BR" link set "$IF_BR" up

ST="ip netns exec $NS_ST"
BR="ip netns exec $NS_BR"

# lldpad's single-instance guard lives in POSIX shm (/dev/shm/lldpad.state) and
# its client socket is abstract (per netns). `ip netns exec` gives each instance
# its own mount namespace, so a private tmpfs on /dev/shm plus -p (no pid file)
# lets two instances coexist with each other and with any host lldpad.
# `exec` keeps $! equal to the lldpad PID.
start_lldpad() { # netns conf log
    ip netns exec "$1" sh -c "mount -t tmpfs -o size=1m sami-lldpad-shm /dev/shm &&
        exec stdbuf -oL lldpad -p -V7 -f '$2'" >>"$3" 2>&1 &
    PIDS+=($!)
    echo $! >"$3.pid"
}

# ---- bridge: lldpad fixes the VDP role when EVB first starts on the port,
# ---- so configure evbmode=bridge, then restart.
start_lldpad "$NS_BR" "$W/br.conf" "$W/br.log"; sleep 2
$BR lldptool -L -i "$IF_BR" -g ncb adminStatus=rxtx
$BR lldptool -T -i "$IF_BR" -g ncb -V evb -c enableTx=yes
$BR lldptool -T -i "$IF_BR" -g ncb -V evb -c evbmode=bridge
$BR lldptool -T -i "$IF_BR" -g ncb -V evb -c evbrrcap=yes
# Group ID filter formats (3, 4) are refused unless both ends advertise
# group ID support in the EVB TLV (BGID / SGID).
$BR lldptool -T -i "$IF_BR" -g ncb -V evb -c evbgpid=yes
stop_pid "$(cat "$W/br.log.pid")"

rm -f "$W/capture.pcap"
$BR tcpdump -i "$IF_BR" -U -w "$W/capture.pcap" \
    'ether proto 0x8940 or ether proto 0x88cc' >"$W/tcpdump.log" 2>&1 &
PIDS+=($!)
tcpdump_pid=$!
sleep 1

start_lldpad "$NS_BR" "$W/br.conf" "$W/br.log"

# ---- station: evbmode defaults to station
start_lldpad "$NS_ST" "$W/st.conf" "$W/st.log"; sleep 2
$ST lldptool -L -i "$IF_ST" -g ncb adminStatus=rxtx
$ST lldptool -T -i "$IF_ST" -g ncb -V evb -c enableTx=yes
$ST lldptool -T -i "$IF_ST" -g ncb -V evb -c evbgpid=yes
# VDP requests fail (EPROTONOSUPPORT) until the station has sent an EVB TLV.
sleep 4

MGR=samimgr TYPEID=5 TYPEVER=4
UUID1=00112233-4455-6677-8899-aabbccddeeff
step=0
vsi() { # label mode uuid hints filter [extra -c args...]
    local label=$1 mode=$2 uuid=$3 hints=$4 filter=$5; shift 5
    local extra=() a rc
    for a in "$@"; do extra+=(-c "$a"); done
    step=$((step + 1))
    {
        echo "=== step $step: $label ($(date -u +%H:%M:%S.%N))"
        echo "+ vdptool -i $IF_ST -T -W -V $mode -c mode=$mode -c mgrid2=$MGR" \
             "-c typeid=$TYPEID -c typeidver=$TYPEVER -c uuid=$uuid -c hints=$hints" \
             "-c filter=$filter ${extra[*]}"
    } | tee -a "$W/steps.log"
    $ST vdptool -i "$IF_ST" -T -W -V "$mode" -c mode="$mode" -c mgrid2=$MGR \
        -c typeid=$TYPEID -c typeidver=$TYPEVER -c uuid="$uuid" -c hints="$hints" \
        -c filter="$filter" "${extra[@]}" 2>&1 | tee -a "$W/steps.log"
    rc=${PIPESTATUS[0]}
    echo "rc=$rc" | tee -a "$W/steps.log"
    sleep 1
}

$ST vdptool -p | tee -a "$W/steps.log"
# VSI 1, filter format 2 (VID/MAC): the migration sequence. The Cisco org
# data must already be given on the PreAssoc-RR: for a VSI lldpad already
# knows, it only updates org entries present from the first request and
# silently drops new ones (vdp22_modoui), so an Assoc after PreAssoc-RR would
# go out without them.
vsi "PreAssoc-RR, M hint, VID-MAC" preassoc-rr "$UUID1" to 100-52:54:00:12:34:56 \
    oui=cisco,vm_name=samivm oui=cisco,ipv4_addr=10.1.2.3
vsi "Assoc, Cisco org TLVs, VID-MAC" assoc "$UUID1" none 100-52:54:00:12:34:56 \
    oui=cisco,vm_name=samivm oui=cisco,ipv4_addr=10.1.2.3
$ST vdptool -i "$IF_ST" -t -V assoc 2>&1 | tee -a "$W/steps.log"
vsi "DeAssoc, VID-MAC" deassoc "$UUID1" none 100-52:54:00:12:34:56
# VSIs 2..4: the other filter info formats (vdptool syntax from vdptool(8)).
vsi "Assoc, VID only" assoc 00112233-4455-6677-8899-aabbccddee02 none 200
vsi "DeAssoc, VID only" deassoc 00112233-4455-6677-8899-aabbccddee02 none 200
vsi "Assoc, VID-MAC-GroupID" assoc 00112233-4455-6677-8899-aabbccddee03 none \
    300-52:54:00:12:34:57-4660
vsi "DeAssoc, VID-MAC-GroupID" deassoc 00112233-4455-6677-8899-aabbccddee03 none \
    300-52:54:00:12:34:57-4660
vsi "Assoc, VID--GroupID" assoc 00112233-4455-6677-8899-aabbccddee04 none 400--4661
vsi "DeAssoc, VID--GroupID" deassoc 00112233-4455-6677-8899-aabbccddee04 none \
    400--4661
# lldpad's bridge treats a station De-associate like a keep-alive: it answers,
# keeps the VSI, restarts its keep-alive timer (~15.8 s with default timers)
# and on expiry sends its own De-associate. Wait for those too.
sleep "${BRIDGE_DEASSOC_WAIT:-19}"

stop_pid "$tcpdump_pid"
mkdir -p "$(dirname "$OUT")"
cp "$W/capture.pcap" "$OUT" || die "no capture"
echo "capture: $OUT ($(stat -c %s "$OUT") bytes); logs in $W"
grep -h "vdp22" "$W/st.log" "$W/br.log" | grep -iE "error|fail|reject|status" | head -40
if command -v tshark >/dev/null; then
    tshark -r "$OUT" -Y 'eth.type==0x8940' 2>/dev/null
fi
