#!/bin/bash
# samid's memory under a notification + VSI flood (issue #6; docs/SAMID.md
# "Floods"). One samid with one downlink in a private network namespace, a
# hostile station in another (tests/e2e/sami-flood, mode notify-vsi: valid
# standalone PREPARE/SUSPENDED notifications for ever new migration ids,
# interleaved with Associate requests for ever new VSIs, as fast as the
# socket takes). VmRSS of samid sampled every second from /proc/PID/status.
#
#   bench/flood-memory.sh BUILD_DIR [--seconds N] [--out FILE]
#
# Prints the series, max - min over the whole flood and over its second half
# (after the tables filled), samid's CPU time and the flood's frame rate.
# Fails (exit 1) when the second half grows by more than 256 KiB: memory
# must be flat once the limits are reached. --out FILE also writes a
# markdown fragment there: a table row (metric | figure | anchor |
# ratio/goal | reproduce) and the method (for docs/PERFORMANCE.md).
# Needs root and `ip netns` (exit 77 otherwise). Only the namespaces and
# PIDs it created are removed / stopped. KEEP=1 keeps the work directory.
set -u

usage() { echo "usage: flood-memory.sh BUILD_DIR [--seconds N] [--out FILE]" >&2; exit 2; }
[ $# -ge 1 ] || usage
B=$1
shift
SECS=60 OUT=
while [ $# -gt 0 ]; do
    case $1 in
    --seconds) SECS=${2:?}; shift 2 ;;
    --out) OUT=${2:?}; shift 2 ;;
    *) usage ;;
    esac
done
samid=$B/tools/samid/samid samictl=$B/tools/samictl/samictl flood=$B/tests/sami-flood
. "$(dirname "$0")/../tests/lib/netns.sh"
need_root "network namespaces, raw sockets"
need_built "$samid" "$samictl" "$flood"
need_cmds jq

tag=$$
NS_BR=h4-fm-br-$tag NS_FL=h4-fm-fl-$tag
IF_D=h4fmd$tag IF_F=h4fmf$tag
IF_D=${IF_D:0:15} IF_F=${IF_F:0:15}
W=$(mktemp -d /tmp/sami-flood-memory.XXXXXX)
NETNS_WORK=$W
netns_traps
netns_add "$NS_BR" 2>/dev/null || skip "ip netns add failed"
netns_add "$NS_FL" || skip "ip netns add failed"
netns_veth "$IF_F" "$NS_FL" "$IF_D" "$NS_BR" || skip "veth failed"
for n in "$NS_BR" "$NS_FL"; do ip -n "$n" link set lo up; done
ip -n "$NS_FL" link set "$IF_F" address 02:66:6c:00:00:0a up
ip -n "$NS_BR" link set "$IF_D" address 02:53:4d:00:01:0a up

KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
# The default limits (64 migrations, 16 per port, 256 VSIs, 64 pending
# frames): what an operator runs.
cat >"$W/samid.conf" <<EOF
bridge {
    id = "8000:02:53:4d:00:00:01"
}
downlink "$IF_D" {
    policy = accept-all
}
transfer {
    listen = "127.0.0.1"
}
peer "8000:02:53:4d:00:00:02" {
    address = "127.0.0.1:5758"
}
key 1 {
    secret = "$KEY"
}
control {
    socket = "$W/samid.sock"
}
EOF
ip netns exec "$NS_BR" "$samid" -c "$W/samid.conf" --foreground >"$W/samid.log" 2>&1 &
PIDS+=($!)
SPID=$!
poll 50 0.1 "$samictl" -s "$W/samid.sock" ping >/dev/null 2>&1
"$samictl" -s "$W/samid.sock" ping >/dev/null 2>&1 || { echo "samid did not start"; cat "$W/samid.log"; exit 1; }

rss() { awk '/^VmRSS/ {print $2}' /proc/$SPID/status; }
cpu() { awk '{print $14 + $15}' /proc/$SPID/stat; }
RSS0=$(rss)
CPU0=$(cpu)
ip netns exec "$NS_FL" "$flood" -i "$IF_F" -m notify-vsi -d "$SECS" --bridge 02:53:4d:00:00:01 \
    --peer 02:53:4d:00:00:02 --vsis 100000 --migrations 100000 --json >"$W/flood.json" 2>&1 &
PIDS+=($!)
FPID=$!
SERIES=()
for i in $(seq "$SECS"); do
    sleep 1
    kill -0 "$SPID" 2>/dev/null || { echo "FAIL: samid died"; cat "$W/samid.log" | tail; exit 1; }
    SERIES+=("$(rss)")
done
wait "$FPID" 2>/dev/null
CPU1=$(cpu)
C=$("$samictl" -s "$W/samid.sock" --json show counters)
LINES=$(wc -l <"$W/samid.log")
stop_pid "$SPID"

echo "VmRSS (KiB) idle: $RSS0; every second of the flood:"
echo "${SERIES[*]}"
minmax() { printf '%s\n' "$@" | sort -n | sed -n '1p;$p' | tr '\n' ' '; }
read -r MIN MAX <<<"$(minmax "${SERIES[@]}")"
HALF=("${SERIES[@]:$((SECS / 2))}")
read -r HMIN HMAX <<<"$(minmax "${HALF[@]}")"
SENT=$(jq -r .sent "$W/flood.json") RATE=$(jq -r .per_second "$W/flood.json")
HZ=$(getconf CLK_TCK)
CPUS=$(awk -v a="$CPU0" -v b="$CPU1" -v h="$HZ" 'BEGIN {printf "%.1f", (b - a) / h}')
RX=$(echo "$C" | jq '.downlinks[0].rx_frames') DROPS=$(echo "$C" | jq '.downlinks[0].pcap_drops')
VSIS=$(echo "$C" | jq '.downlinks[0].vdp.accepted') REFV=$(echo "$C" | jq '.downlinks[0].vdp.rejected_full + .downlinks[0].policy_refused')
REFM=$(echo "$C" | jq '.migration.refused_limit + .migration.refused_port_limit')
STARTED=$(echo "$C" | jq '.migration.started')
LOAD=$(cut -d' ' -f1-3 /proc/loadavg)
echo "flood: $SENT frames in ${SECS}s ($RATE/s); samid received $RX, pcap dropped $DROPS, CPU ${CPUS}s"
echo "VSIs accepted $VSIS, refused $REFV; migrations started $STARTED, refused $REFM; log $LINES lines"
echo "VmRSS max-min over the flood: $((MAX - MIN)) KiB ($MIN..$MAX); second half: $((HMAX - HMIN)) KiB ($HMIN..$HMAX); idle before: $RSS0 KiB; load average $LOAD"

if [ -n "$OUT" ]; then
mkdir -p "$(dirname "$OUT")"
cat >"$OUT" <<EOF
| metric | figure | anchor (same run) | ratio / goal | reproduce |
|---|---|---|---|---|
| samid VmRSS under a ${SECS} s notification + VSI flood on one downlink at full speed ($SENT valid frames, $RATE/s sent; samid took $RX, pcap dropped $DROPS; $STARTED migrations started, $REFM refused, $REFV VSIs refused; default limits) | max - min over the flood **$((MAX - MIN)) KiB** ($MIN..$MAX KiB); second half **$((HMAX - HMIN)) KiB** | idle samid before the flood: $RSS0 KiB | growth after the tables filled: $((HMAX - HMIN)) KiB; goal flat (<= 256 KiB): **$([ $((HMAX - HMIN)) -le 256 ] && echo met || echo not met)** | \`bench/flood-memory.sh build --seconds $SECS\` |

Method: one samid (default limits: 64 migrations, 16 per port, 256 VSIs per
port, 64 pending frames) with one downlink in a network namespace; in
another, \`tests/e2e/sami-flood -m notify-vsi\` sends valid standalone
PREPARE/SUSPENDED notifications for ever new migration ids interleaved with
Associate requests for ever new VSIs through an AF_PACKET socket as fast as
it takes, for ${SECS} s. VmRSS is read from /proc/PID/status every second;
samid's CPU time was ${CPUS} s; its log grew to $LINES lines. Machine: 2
cores shared with other jobs (load average $LOAD at the end). Series (KiB):
${SERIES[*]}
EOF
echo "wrote $OUT"
fi
[ $((HMAX - HMIN)) -le 256 ] || { echo "FAIL: memory grew by $((HMAX - HMIN)) KiB in the second half"; exit 1; }
