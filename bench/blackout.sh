#!/bin/bash
# Blackout with the real daemons (docs/PERFORMANCE.md "Blackout, samid").
#
#   hv-s --veth-- br-o ==mgmt veth, TCP== br-d --veth-- hv-d
#
# Two samid (one per bridge namespace) and sami-notify as both hypervisors,
# as tests/e2e/two-bridges.sh builds them. For each size, one VM with that
# many DI records (firewall sessions, `samictl load` into br-o) migrates
# back and forth --runs times (br-o -> br-d, br-d -> br-o, ...): PREPARE at
# both hypervisors, wait for the pre-copy (O_STAGED), SUSPENDED --wait at the
# source, RESUMED --wait at the destination, COMPLETED; the next run starts
# once both bridges are DONE and the records moved. Per migration:
#   blackout (notify)  sami-notify's outcome_ms: SUSPENDED sent -> PROCEED
#                      received, at the source hypervisor (CLOCK_MONOTONIC)
#   blackout (wire)    the same from a capture of the bridges' downlinks
#                      (tcpdump, sami-sniff --timeline: SUSPENDED frame ->
#                      PROCEED frame); --no-capture skips it
#   transfer           transfer_time_us of the PROCEED feedback (the source
#                      bridge's own measure of the commit exchange)
#   pre-copy           source samid's log: migration first seen (O_PRECOPY)
#                      -> O_STAGED (the log has millisecond timestamps)
# and prints p50, p99, max and mean of each (p99 by nearest rank: with 50
# runs it is the largest).
#
#   bench/blackout.sh BUILD_DIR [--runs N] [--sizes 10,1000,10000,100000]
#                     [--no-capture] [--verbose-samid] [--rt] [--smoke]
# --rt runs both samid and sami-notify under SCHED_FIFO (chrt -f 10): on a
# shared, loaded machine that takes the wait for a CPU out of the figure.
# Besides the wall figures, each samid's run time and run-queue wait across
# the SUSPENDED (/proc/PID/schedstat) are reported: load-independent.
# --smoke: sizes 10,1000, 4 runs, asserts every migration moved (ctest).
# Needs root, `ip netns`, jq (and tcpdump for the wire figure); exit 77
# otherwise. Only the namespaces, veth pairs and PIDs it created are removed
# / stopped. KEEP=1 keeps the work directory (logs, captures, JSON).
set -u

usage() {
    echo "usage: blackout.sh BUILD_DIR [--runs N] [--sizes LIST] [--no-capture] [--verbose-samid] [--rt] [--smoke]" >&2
    exit 2
}
[ $# -ge 1 ] || usage
B=$1
shift
RUNS=50 SIZES=10,1000,10000,100000 CAPTURE=1 SMOKE=0 VSAMID= RT=
while [ $# -gt 0 ]; do
    case $1 in
    --runs) RUNS=${2:?}; shift 2 ;;
    --sizes) SIZES=${2:?}; shift 2 ;;
    --no-capture) CAPTURE=0; shift ;;
    --verbose-samid) VSAMID=-v; shift ;;
    --rt) RT="chrt -f 10"; shift ;;
    --smoke) SMOKE=1 RUNS=4 SIZES=10,1000; shift ;;
    *) usage ;;
    esac
done
case $B in /*) ;; *) [ -d "$B" ] || B=$(cd "$(dirname "$0")/.." && pwd)/$B ;; esac
samid=$B/tools/samid/samid
samictl=$B/tools/samictl/samictl
notify=$B/tools/sami-notify/sami-notify
sniff=$B/tools/sami-sniff/sami-sniff

. "$(dirname "$0")/../tests/lib/netns.sh"
need_root "network namespaces, raw sockets"
need_cmds ip jq
need_built "$samid" "$samictl" "$notify"
if [ "$CAPTURE" = 1 ] && { ! command -v tcpdump >/dev/null 2>&1 || [ ! -x "$sniff" ]; }; then
    echo "note: no tcpdump or sami-sniff: the wire figure is left out"
    CAPTURE=0
fi

tag=$$
NS_HVS=sami-h2-hvs-$tag NS_HVD=sami-h2-hvd-$tag NS_BRO=sami-h2-bro-$tag NS_BRD=sami-h2-brd-$tag
IF_HVS=h2hs$tag IF_DO=h2do$tag IF_HVD=h2hd$tag IF_DD=h2dd$tag IF_MO=h2mo$tag IF_MD=h2md$tag
W=$(mktemp -d /tmp/sami-h2-blackout.XXXXXX)
netns_add "$NS_BRO" 2>/dev/null || { rmdir "$W"; skip "ip netns add failed (no netns support here)"; }
NETNS_WORK=$W
netns_traps

# ---- topology (as tests/e2e/two-bridges.sh) ---------------------------------------
netns_add "$NS_HVS" "$NS_HVD" "$NS_BRD" || skip "ip netns add failed"
netns_veth "$IF_HVS" "$NS_HVS" "$IF_DO" "$NS_BRO" &&
    netns_veth "$IF_HVD" "$NS_HVD" "$IF_DD" "$NS_BRD" &&
    netns_veth "$IF_MO" "$NS_BRO" "$IF_MD" "$NS_BRD" ||
    skip "cannot create veth pairs"
HVS="ip netns exec $NS_HVS" HVD="ip netns exec $NS_HVD"
BRO="ip netns exec $NS_BRO" BRD="ip netns exec $NS_BRD"
netns_init "$NS_HVS" "$NS_HVD" "$NS_BRO" "$NS_BRD"
ip -n "$NS_HVS" link set "$IF_HVS" address 52:54:00:aa:bb:01 up
ip -n "$NS_HVD" link set "$IF_HVD" address 52:54:00:aa:bb:02 up
ip -n "$NS_BRO" link set "$IF_DO" address 02:53:4d:00:01:01 up
ip -n "$NS_BRD" link set "$IF_DD" address 02:53:4d:00:02:01 up
ip -n "$NS_BRO" link set "$IF_MO" up
ip -n "$NS_BRD" link set "$IF_MD" up
ip -n "$NS_BRO" addr add 10.77.0.1/24 dev "$IF_MO"
ip -n "$NS_BRD" addr add 10.77.0.2/24 dev "$IF_MD"

# ---- configurations ---------------------------------------------------------------
KEY=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
BRO_ID=8000:02:53:4d:00:00:01 BRO_CH=02:53:4d:00:00:01
BRD_ID=8000:02:53:4d:00:00:02 BRD_CH=02:53:4d:00:00:02
conf() { # name id iface listen peer-id peer-addr
    cat >"$W/$1.conf" <<EOF
bridge {
    id = "$2"
    name = "$1-$tag"
}
downlink "$3" {
    policy = accept-all
    pvid = 100
    # keep-alives: sami-notify is one-shot, its VSIs must outlive a run
    rka = 26
}
transfer {
    listen = "$4"
    port = 5757
}
peer "$5" {
    address = "$6:5757"
}
key 1 {
    secret = "$KEY"
}
limits {
    records-per-migration = 200000
    records-total = 2000000
    migrations = 1024
}
deadlines {
    commit = 10000
}
control {
    socket = "$W/$1.sock"
}
EOF
}
conf bro $BRO_ID "$IF_DO" 10.77.0.1 $BRD_ID 10.77.0.2
conf brd $BRD_ID "$IF_DD" 10.77.0.2 $BRO_ID 10.77.0.1

ctl() { local n=$1; shift; "$samictl" -s "$W/$n.sock" -t 60000 "$@"; }
start_samid() { # name ns-exec...
    local n=$1
    shift
    "$@" $RT "$samid" -c "$W/$n.conf" --foreground $VSAMID >>"$W/$n.log" 2>&1 &
    PIDS+=($!)
    eval "PID_${n^^}=$!"
    poll 100 0.1 ctl "$n" ping >/dev/null 2>&1 && return 0
    echo "samid $n did not come up:"
    cat "$W/$n.log"
    FAILS=1
    exit 1
}
start_samid bro $BRO
start_samid brd $BRD
for _ in $(seq 100); do
    ctl bro --json show peers | jq -e '.peers[0].outbound == "up"' >/dev/null 2>&1 &&
        ctl brd --json show peers | jq -e '.peers[0].outbound == "up"' >/dev/null 2>&1 && break
    sleep 0.1
done

if [ "$CAPTURE" = 1 ]; then
    # the downlinks only (VDP: notifications and feedback), not the bulk transfer
    $BRO tcpdump -i "$IF_DO" -s 0 -B 8192 --immediate-mode -U -w "$W/bro.pcap" ether proto 0x8940 \
        >"$W/tcpdump-bro.log" 2>&1 &
    PIDS+=($!)
    TD_BRO=$!
    $BRD tcpdump -i "$IF_DD" -s 0 -B 8192 --immediate-mode -U -w "$W/brd.pcap" ether proto 0x8940 \
        >"$W/tcpdump-brd.log" 2>&1 &
    PIDS+=($!)
    TD_BRD=$!
    sleep 0.5
fi

# ---- one migration ------------------------------------------------------------------
notify_run() { # out-name ns-exec iface state-dir args...
    local name=$1 ns=$2 ifc=$3 st=$4
    shift 4
    $ns $RT "$notify" -i "$ifc" ${NOTIFY_VERBOSE:+-v} --state-dir "$W/$st" "$@" >"$W/$name.out" 2>"$W/$name.err"
}
mig_state() { # bridge id
    ctl "$1" --json show migrations | jq -r --arg id "$2" '.migrations[] | select(.id == $id) | .state'
}
store_records() { ctl "$1" --json show counters | jq -r '.store.records'; }
wait_state() { # bridge id state seconds
    local i s
    for i in $(seq $(($4 * 50))); do
        s=$(mig_state "$1" "$2")
        [ "$s" = "$3" ] && return 0
        [ "$s" = FAILED ] && return 1
        sleep 0.02
    done
    return 1
}

# migrate UUID MAC MIG DIR N: DIR 0 = br-o -> br-d, 1 = back. Appends a line
# "size run mig dir outcome_ms transfer_us src_cpu_ms src_wait_ms dst_cpu_ms
# dst_wait_ms attempts" to $W/notify.txt (cpu / wait: /proc/PID/schedstat, the time
# each samid ran and waited for a CPU while the SUSPENDED was answered).
migrate() {
    local u=$1 mac=$2 mig=$3 dir=$4 n=$5 run=$6
    local s_ns s_if s_st s_br d_ns d_if d_st d_br s_other d_other
    if [ "$dir" = 0 ]; then
        s_ns=$HVS s_if=$IF_HVS s_st=st-s s_br=bro d_ns=$HVD d_if=$IF_HVD d_st=st-d d_br=brd
        s_other=(--dest-bridge $BRD_CH) d_other=(--orig-bridge $BRO_CH)
    else
        s_ns=$HVD s_if=$IF_HVD s_st=st-d s_br=brd d_ns=$HVS d_if=$IF_HVS d_st=st-s d_br=bro
        s_other=(--dest-bridge $BRO_CH) d_other=(--orig-bridge $BRD_CH)
    fi
    local vm=(--vm-uuid "$u" --mac "$mac" --vlan 100 --migration-id "$mig")
    local rs0 rd0
    rs0=$(store_records $s_br) rd0=$(store_records $d_br)
    notify_run prep-d "$d_ns" "$d_if" "$d_st" "${vm[@]}" --role destination --event prepare "${d_other[@]}" ||
        { fail "$mig: PREPARE at the destination: $(cat "$W/prep-d.out" "$W/prep-d.err")"; return 1; }
    # A source bridge with many records exports them all while it handles
    # the PREPARE; its ECP acknowledgement can come after the station gave
    # up (R 3 x 2.56 ms). The same PREPARE again is a duplicate to the
    # bridge; counted, and reported.
    if ! notify_run prep-s "$s_ns" "$s_if" "$s_st" "${vm[@]}" --role source --event prepare "${s_other[@]}"; then
        echo "$n $mig $(cat "$W/prep-s.out")" >>"$W/prepare-retries.txt"
        notify_run prep-s "$s_ns" "$s_if" "$s_st" "${vm[@]}" --role source --event prepare "${s_other[@]}" ||
            { fail "$mig: PREPARE at the source: $(cat "$W/prep-s.out" "$W/prep-s.err")"; return 1; }
    fi
    wait_state $s_br "$mig" O_STAGED 120 || { fail "$mig: pre-copy not staged ($(mig_state $s_br "$mig"))"; return 1; }
    # run time and run-queue wait (ns) of both samid across the blackout
    local ps pd ss0 sd0 ss1 sd1
    eval "ps=\$PID_${s_br^^} pd=\$PID_${d_br^^}"
    ss0=$(cat /proc/$ps/schedstat) sd0=$(cat /proc/$pd/schedstat)
    notify_run susp "$s_ns" "$s_if" "$s_st" "${vm[@]}" --role source --event suspended "${s_other[@]}" \
        --wait 30000 --json
    ss1=$(cat /proc/$ps/schedstat) sd1=$(cat /proc/$pd/schedstat)
    local sched
    sched=$(echo "$ss0 $ss1 $sd0 $sd1" | awk '{ printf "%.3f %.3f %.3f %.3f", ($4 - $1) / 1e6, ($5 - $2) / 1e6, ($10 - $7) / 1e6, ($11 - $8) / 1e6 }')
    cp "$W/susp.out" "$W/susp-$mig.json"
    local om tu oc
    oc=$(jq -r .outcome "$W/susp.out" 2>/dev/null)
    om=$(jq -r .outcome_ms "$W/susp.out" 2>/dev/null)
    tu=$(jq -r '[.feedback[] | select(.verdict == "PROCEED" and .time_point == "SUSPENDED") | .transfer_time_us][0] // "null"' "$W/susp.out" 2>/dev/null)
    [ "$oc" = PROCEED ] || { fail "$mig: SUSPENDED answered '$oc': $(cat "$W/susp.out" "$W/susp.err")"; return 1; }
    notify_run res "$d_ns" "$d_if" "$d_st" "${vm[@]}" --role destination --event resumed "${d_other[@]}" \
        --wait 30000 ||
        { fail "$mig: RESUMED: $(cat "$W/res.out" "$W/res.err")"; return 1; }
    notify_run comp "$s_ns" "$s_if" "$s_st" "${vm[@]}" --role source --event completed "${s_other[@]}" ||
        { fail "$mig: COMPLETED: $(cat "$W/comp.out" "$W/comp.err")"; return 1; }
    wait_state $s_br "$mig" DONE 30 || { fail "$mig: source bridge not DONE ($(mig_state $s_br "$mig"))"; return 1; }
    wait_state $d_br "$mig" DONE 30 || { fail "$mig: destination bridge not DONE ($(mig_state $d_br "$mig"))"; return 1; }
    local rs1 rd1 i
    for i in $(seq 250); do
        rs1=$(store_records $s_br) rd1=$(store_records $d_br)
        [ "$rs1" = $((rs0 - n)) ] && [ "$rd1" = $((rd0 + n)) ] && break
        sleep 0.02
    done
    [ "$rs1" = $((rs0 - n)) ] && [ "$rd1" = $((rd0 + n)) ] ||
        { fail "$mig: records not moved: source $rs0 -> $rs1, destination $rd0 -> $rd1 (N=$n)"; return 1; }
    local at
    at=$(jq -r '.attempts // 1' "$W/susp-$mig.json" 2>/dev/null)
    echo "$n $run $mig $dir $om $tu $sched $at" >>"$W/notify.txt"
}

# ---- statistics ---------------------------------------------------------------------
stats() { # values on stdin (one per line) -> "n p50 p99 max mean"
    sort -g | awk '{ v[NR] = $1; s += $1 } END {
        if (NR == 0) { print "0 - - - -"; exit }
        i50 = int((NR * 50 + 99) / 100); i99 = int((NR * 99 + 99) / 100)
        printf "%d %.3f %.3f %.3f %.3f\n", NR, v[i50], v[i99], v[NR], s / NR }'
}

# ---- the sizes ----------------------------------------------------------------------------
: >"$W/notify.txt"
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg); runs per size: $RUNS; sizes: $SIZES"
si=0
T_ALL=$(date +%s)
for N in ${SIZES//,/ }; do
    si=$((si + 1))
    U=$(printf '6b1e5a6e-2f3c-4d5e-9f00-%012x' $((0xb0000 + si)))
    MAC=$(printf '52:54:00:b0:00:%02x' $si)
    awk -v u="$U" -v n="$N" 'BEGIN { for (i = 0; i < n; i++)
        printf "vm %s firewall proto=tcp src=10.%d.%d.%d sport=%d dst=203.0.113.80 dport=443 vlan=100 state=established created=1h last=1s expiry=5d\n",
            u, 100 + int(i / 65536), int(i / 256) % 256, i % 256, 20000 + i % 40000 }' >"$W/vm-$N.txt"
    t0=$(date +%s%3N)
    out=$(ctl bro --json load "$W/vm-$N.txt")
    t1=$(date +%s%3N)
    echo "$out" | jq -e ".ok and .stats.records == $N" >/dev/null 2>&1 ||
        { fail "samictl load of $N records: $out"; break; }
    echo "== $N records: loaded into br-o in $((t1 - t0)) ms; $RUNS migrations"
    ts=$(date +%s)
    for ((r = 1; r <= RUNS; r++)); do
        mig=$(printf '0x5a4d%02x%010x' $si $r)
        migrate "$U" "$MAC" "$mig" $(((r + 1) % 2)) "$N" "$r" || break
        [ $((r % 10)) = 0 ] && echo "   $r runs, $(($(date +%s) - ts)) s, load $(cut -d' ' -f1 /proc/loadavg)"
    done
    echo "   $N records: $((r - 1)) runs in $(($(date +%s) - ts)) s"
done
T_ALL=$(($(date +%s) - T_ALL))

# ---- pre-copy from the logs: first line of a migration -> "-> O_STAGED" ----------
for b in bro brd; do
    awk '
    function ms(t,  a) { split(t, a, /[:.]/); return ((a[1] * 60 + a[2]) * 60 + a[3]) * 1000 + a[4] }
    / migration 0x[0-9a-f]+: ORIGIN, / { id = $5; sub(/:$/, "", id); st[id] = ms($1) }
    / migration 0x[0-9a-f]+: O_PRECOPY -> O_STAGED/ { id = $5; sub(/:$/, "", id); if (id in st) { d = ms($1) - st[id]; if (d < 0) d += 86400000; print id, d } }
    ' "$W/$b.log"
done | sort >"$W/precopy.txt"

# ---- the wire: sami-sniff --timeline over both downlink captures ------------------
: >"$W/wire.txt"
if [ "$CAPTURE" = 1 ]; then
    sleep 0.3
    stop_pid "$TD_BRO" INT
    stop_pid "$TD_BRD" INT
    for b in bro brd; do
        "$sniff" --timeline --json -r "$W/$b.pcap" 2>/dev/null |
            jq -r 'select(.blackout_usec != null) | "\(.migration_id) \(.blackout_usec)"' 2>/dev/null
    done | awk '{ id = $1; if (id !~ /^0x/) id = sprintf("0x%016x", id); print tolower(id), $2 }' |
        sort -u >"$W/wire.txt"
fi

# ---- table ---------------------------------------------------------------------------
echo
echo "blackout, two samid over veth + TCP in network namespaces (load average now: $(cut -d' ' -f1-3 /proc/loadavg); total $T_ALL s)"
printf '| %-8s | %-36s | %4s | %10s | %10s | %10s | %10s |\n' records metric n p50 p99 max mean
printf '|%s|%s|%s|%s|%s|%s|%s|\n' ---------- -------------------------------------- ------ ------------ ------------ ------------ ------------
row() { # records label values-file
    read -r n p50 p99 mx mean < <(stats <"$3")
    printf '| %8s | %-36s | %4s | %10s | %10s | %10s | %10s |\n' "$1" "$2" "$n" "$p50" "$p99" "$mx" "$mean"
    echo "RESULT size=$1 metric=\"$2\" n=$n p50=$p50 p99=$p99 max=$mx mean=$mean" >>"$W/results.txt"
}
: >"$W/results.txt"
for N in ${SIZES//,/ }; do
    awk -v n="$N" '$1 == n && $5 != "null" { print $5 }' "$W/notify.txt" >"$W/v1"
    row "$N" "blackout, sami-notify (ms)" "$W/v1"
    if [ "$CAPTURE" = 1 ]; then
        awk -v n="$N" 'NR == FNR { if ($1 == n) want[$3] = 1; next } ($1 in want) { print $2 / 1000 }' \
            "$W/notify.txt" "$W/wire.txt" >"$W/v2"
        row "$N" "blackout, capture (ms)" "$W/v2"
    fi
    awk -v n="$N" '$1 == n && $6 != "null" { print $6 / 1000 }' "$W/notify.txt" >"$W/v3"
    row "$N" "transfer, feedback (ms)" "$W/v3"
    awk -v n="$N" '$1 == n && NF >= 10 { print $9 }' "$W/notify.txt" >"$W/v5"
    row "$N" "  destination samid CPU in it (ms)" "$W/v5"
    awk -v n="$N" '$1 == n && NF >= 10 { print $7 }' "$W/notify.txt" >"$W/v6"
    row "$N" "  source samid CPU in it (ms)" "$W/v6"
    awk -v n="$N" '$1 == n && NF >= 10 { print $8 + $10 }' "$W/notify.txt" >"$W/v7"
    row "$N" "  both samid waiting for a CPU (ms)" "$W/v7"
    awk -v n="$N" 'NR == FNR { if ($1 == n) want[$3] = 1; next } ($1 in want) { print $2 }' \
        "$W/notify.txt" "$W/precopy.txt" >"$W/v4"
    row "$N" "pre-copy, source log (ms, 1 ms res.)" "$W/v4"
done
cat "$W/results.txt"
awk '$11 > 1 { c[$1]++ } END { for (n in c) print "  " n " records: " c[n] " SUSPENDED sent more than once by sami-notify (no ECP acknowledgement within R x RTE with the cached LLDP view: sent again at once, then after a fresh LLDP exchange if need be; the blackout counts from the first)" }' "$W/notify.txt"
if [ -s "$W/prepare-retries.txt" ]; then
    echo "PREPARE at the source sent twice (the first not acknowledged in time), per size:"
    awk '{ c[$1]++ } END { for (n in c) print "  " n " records: " c[n] }' "$W/prepare-retries.txt"
fi
if [ "$SMOKE" = 1 ]; then
    for N in ${SIZES//,/ }; do
        got=$(awk -v n="$N" '$1 == n' "$W/notify.txt" | wc -l)
        [ "$got" = "$RUNS" ] || fail "$N records: $got of $RUNS migrations completed"
    done
fi
for b in bro brd; do
    grep -q "ERROR: AddressSanitizer\|runtime error:" "$W/$b.log" && fail "sanitizer reports in $b.log"
done
[ "$FAILS" = 0 ] || { echo "$FAILS failure(s)"; exit 1; }
exit 0
