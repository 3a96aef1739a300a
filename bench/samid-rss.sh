#!/bin/bash
# samid's memory with many VMs (docs/PERFORMANCE.md "Memory", "samid RSS").
#
#   bench/samid-rss.sh BUILD_DIR [--vms N] [--chunk VMS] [--no-preload] [--smoke]
#
# One samid in a private network namespace (a veth pair for its downlink,
# the transfer listener on the namespace's loopback). Measured from
# /proc/PID/status: VmRSS and VmHWM idle, then after N VMs x 10 records
# (default 100,000 VMs = 1,000,000 records, the mix bench/bench_store.c calls
# "mix": DHCP, DHCPv6, ND, 802.1X, IGMP, counters, two IPv4 and one IPv6
# firewall session, one IPv4 firewall session with NAT) were put through
# `samictl load`, in files of --chunk VMs (default 10,000 = 100,000 records,
# ~12 MiB: samid takes at most 64 MiB per load). Load time = wall time of the
# samictl calls, and samid's own CPU time (utime + stime) over them.
# Then, unless --no-preload, a second samid gets the same records as its
# store.preload file: the time from its start to its first answer.
# --smoke: 2,000 VMs, a sanity run for ctest (asserts the record count).
#
# Needs root and `ip netns` (exit 77 otherwise). Only the namespace and the
# PIDs it created are removed / stopped. KEEP=1 keeps the work directory.
set -u

usage() { echo "usage: samid-rss.sh BUILD_DIR [--vms N] [--chunk VMS] [--no-preload] [--smoke]" >&2; exit 2; }
[ $# -ge 1 ] || usage
B=$1
shift
VMS=100000 CHUNK=10000 PRELOAD=1 SMOKE=0
while [ $# -gt 0 ]; do
    case $1 in
    --vms) VMS=${2:?}; shift 2 ;;
    --chunk) CHUNK=${2:?}; shift 2 ;;
    --no-preload) PRELOAD=0; shift ;;
    --smoke) SMOKE=1 VMS=2000 CHUNK=1000; shift ;;
    *) usage ;;
    esac
done
case $B in /*) ;; *) [ -d "$B" ] || B=$(cd "$(dirname "$0")/.." && pwd)/$B ;; esac
samid=$B/tools/samid/samid
samictl=$B/tools/samictl/samictl

. "$(dirname "$0")/../tests/lib/netns.sh"
need_root "network namespace, raw sockets"
command -v ip >/dev/null 2>&1 || skip "ip (iproute2) not installed"
need_cmds jq
need_built "$samid" "$samictl"

tag=$$
NS=sami-h2-rss-$tag
IF_A=h2ra$tag IF_B=h2rb$tag
W=$(mktemp -d /tmp/sami-h2-rss.XXXXXX)
netns_add "$NS" 2>/dev/null || { rmdir "$W"; skip "ip netns add failed (no netns support here)"; }
NETNS_WORK=$W
netns_traps

netns_veth "$IF_A" "$NS" "$IF_B" "$NS" || skip "cannot create a veth pair"
ip -n "$NS" link set lo up
ip -n "$NS" link set "$IF_A" up
ip -n "$NS" link set "$IF_B" up
EX="ip netns exec $NS"

RECS=$((VMS * 10))
conf() { # name preload-or-empty
    cat >"$W/$1.conf" <<EOF
bridge {
    id = "8000:02:53:4d:00:00:71"
}
downlink "$IF_A" {
    policy = accept-all
}
transfer {
    listen = "127.0.0.1"
    port = 5757
}
peer "8000:02:53:4d:00:00:72" {
    address = "127.0.0.2:5757"
}
key 1 {
    secret = "$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')"
}
limits {
    records-per-migration = 100000
    records-total = $((RECS > 100000 ? RECS : 100000))
}
control {
    socket = "$W/$1.sock"
}
$([ -n "$2" ] && printf 'store {\n    preload = "%s"\n}\n' "$2")
EOF
}

# status field in kB
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
# utime + stime in clock ticks
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
HZ=$(getconf CLK_TCK)
now_ms() { date +%s%3N; }

start_samid() { # name -> PID in $SPID, start-to-first-ping ms in $SUP
    local t0 t1
    t0=$(now_ms)
    $EX "$samid" -c "$W/$1.conf" --foreground >"$W/$1.log" 2>&1 &
    SPID=$!
    PIDS+=($SPID)
    for _ in $(seq 6000); do
        "$samictl" -s "$W/$1.sock" -t 1000 ping >/dev/null 2>&1 && break
        kill -0 "$SPID" 2>/dev/null || { echo "samid $1 exited:"; cat "$W/$1.log"; exit 1; }
        sleep 0.05
    done
    t1=$(now_ms)
    SUP=$((t1 - t0))
    "$samictl" -s "$W/$1.sock" ping >/dev/null 2>&1 || { echo "samid $1 did not answer"; exit 1; }
}
store_stat() { # name field -> the store's counter (records, bytes, vms, ...)
    "$samictl" -s "$W/$1.sock" -t 60000 --json show counters | jq -r ".store.$2 // empty"
}

# ---- records: N VMs x 10, in chunk files ----------------------------------------
gen() { # first-vm count -> stdout
    awk -v a="$1" -v n="$2" 'BEGIN {
        for (v = a; v < a + n; v++) {
            u = sprintf("6b1e5a6e-2f3c-4d5e-%04x-%012x", int(v / 281474976710656) % 65536, v % 281474976710656)
            hi = int(v / 65536) % 256; mid = int(v / 256) % 256; lo = v % 256
            mac = sprintf("52:54:%02x:%02x:%02x:%02x", int(v / 16777216) % 256, hi, mid, lo)
            ip = sprintf("10.%d.%d.%d", hi, mid, lo)
            p = "vm " u " "
            print p "dhcp ip=" ip " mac=" mac " vlan=100 lease=3600s"
            print p "dhcpv6 ip=2001:db8::" sprintf("%x:%x", int(v / 65536), v % 65536) " mac=" mac " vlan=100 iaid=1 lease=1d"
            print p "nd ip=fe80::" sprintf("%x:%x", int(v / 65536), v % 65536) " mac=" mac " vlan=100 lifetime=30m"
            print p "dot1x mac=" mac " authorized=yes eap=peap identity=\"vm" v "@example.net\" session-id=\"" sprintf("%08X", v) "\" vlan=100 session=8h reauth=1h"
            print p "igmp group=239.1.2.3 vlan=100 mode=exclude timer=260s"
            print p "counters dir=in packets=1200345 bytes=987654321 syn=12 window=10s rate-bps=8000000 rate-pps=900"
            print p "firewall proto=tcp src=" ip " sport=51000 dst=203.0.113.80 dport=443 vlan=100 state=established created=2h last=2s expiry=5d"
            print p "firewall proto=tcp src=" ip " sport=51001 dst=203.0.113.81 dport=443 vlan=100 state=established created=1h last=1s expiry=5d"
            print p "firewall proto=tcp src=2001:db8::" sprintf("%x:%x", int(v / 65536), v % 65536) " sport=51002 dst=2001:db8:ffff::80 dport=443 vlan=100 state=established created=1h last=1s expiry=5d"
            print p "firewall proto=udp src=" ip " sport=40000 dst=198.51.100.53 dport=53 state=assured created=30s last=1s expiry=150s nat-src=203.0.113.1 nat-sport=61000 nat-dst=198.51.100.53 nat-dport=53"
        } }'
}
t0=$(now_ms)
nchunks=0
for ((a = 0; a < VMS; a += CHUNK)); do
    n=$((VMS - a < CHUNK ? VMS - a : CHUNK))
    gen $a $n >"$W/chunk-$nchunks.txt"
    nchunks=$((nchunks + 1))
done
GEN_MS=$(($(now_ms) - t0))
BYTES=$(cat "$W"/chunk-*.txt | wc -c)
echo "generated $RECS records for $VMS VMs in $nchunks files ($((BYTES / 1048576)) MiB) in $GEN_MS ms"

# ---- 1. idle, then samictl load ---------------------------------------------------
conf live ""
start_samid live
P=$SPID
sleep 1
IDLE_RSS=$(kb $P VmRSS) IDLE_HWM=$(kb $P VmHWM)
c0=$(cpu_ticks $P)
t0=$(now_ms)
for ((i = 0; i < nchunks; i++)); do
    t1=$(now_ms)
    out=$("$samictl" -s "$W/live.sock" -t 600000 --json load "$W/chunk-$i.txt")
    rc=$?
    t2=$(now_ms)
    if [ $rc != 0 ] || ! echo "$out" | jq -e .ok >/dev/null 2>&1; then
        echo "samictl load chunk $i failed (exit $rc): $out"
        tail -5 "$W/live.log"
        exit 1
    fi
    [ "$i" -lt 3 ] || [ $((i % 10)) = 0 ] && echo "  chunk $i: $(echo "$out" | jq -r .stats.records) records in $((t2 - t1)) ms, samid RSS $(kb $P VmRSS) kB"
done
LOAD_MS=$(($(now_ms) - t0))
LOAD_CPU_MS=$((($(cpu_ticks $P) - c0) * 1000 / HZ))
LOADED_RSS=$(kb $P VmRSS) LOADED_HWM=$(kb $P VmHWM)
HELD=$(store_stat live records)
STORE_BYTES=$(store_stat live bytes)
stop_pid $P

# ---- 2. the same records as the preload file at start ----------------------------
PRE_MS="" PRE_RSS="" PRE_HWM="" PRE_HELD="" PRE_CPU_MS=""
if [ "$PRELOAD" = 1 ]; then
    cat "$W"/chunk-*.txt >"$W/all.txt"
    rm -f "$W"/chunk-*.txt
    conf pre "$W/all.txt"
    start_samid pre
    PRE_MS=$SUP
    PRE_CPU_MS=$(($(cpu_ticks $SPID) * 1000 / HZ))
    PRE_RSS=$(kb $SPID VmRSS) PRE_HWM=$(kb $SPID VmHWM)
    PRE_HELD=$(store_stat pre records)
    stop_pid $SPID
    # an empty samid's start, for the difference
    conf empty ""
    start_samid empty
    EMPTY_MS=$SUP
    stop_pid $SPID
fi

per_rec() { awk -v a="$1" -v b="$2" -v n="$RECS" 'BEGIN { printf "%.1f", (a - b) * 1024 / n }'; }
rate() { awk -v n="$RECS" -v ms="$1" 'BEGIN { if (ms > 0) printf "%.0f", n * 1000 / ms; else print "-" }'; }
echo
echo "samid RSS, $VMS VMs x 10 records = $RECS records (load average: $(cut -d' ' -f1-3 /proc/loadavg))"
printf '| %-44s | %12s | %12s |\n' "state" "VmRSS kB" "VmHWM kB"
printf '|%s|%s|%s|\n' "----------------------------------------------" "--------------" "--------------"
printf '| %-44s | %12s | %12s |\n' "idle (no records)" "$IDLE_RSS" "$IDLE_HWM"
printf '| %-44s | %12s | %12s |\n' "after samictl load ($nchunks files)" "$LOADED_RSS" "$LOADED_HWM"
[ "$PRELOAD" = 1 ] && printf '| %-44s | %12s | %12s |\n' "after start with store.preload" "$PRE_RSS" "$PRE_HWM"
echo
echo "store holds: $HELD records after samictl load${PRE_HELD:+, $PRE_HELD after preload}"
echo "RSS growth per record (samictl load): $(per_rec "$LOADED_RSS" "$IDLE_RSS") octets; VmHWM growth: $(per_rec "$LOADED_HWM" "$IDLE_HWM") octets"
echo "the store's own allocations: $STORE_BYTES octets = $(awk -v b="$STORE_BYTES" -v n="$RECS" 'BEGIN { printf "%.1f", b / n }') octets/record"
echo "samictl load: $LOAD_MS ms wall ($(rate $LOAD_MS) records/s), samid CPU $LOAD_CPU_MS ms"
[ "$PRELOAD" = 1 ] && echo "store.preload: start to first answer $PRE_MS ms ($(rate $((PRE_MS - EMPTY_MS))) records/s over an empty start of $EMPTY_MS ms), samid CPU $PRE_CPU_MS ms"
echo "RESULT vms=$VMS records=$RECS idle_rss_kb=$IDLE_RSS idle_hwm_kb=$IDLE_HWM loaded_rss_kb=$LOADED_RSS loaded_hwm_kb=$LOADED_HWM load_ms=$LOAD_MS load_cpu_ms=$LOAD_CPU_MS held=$HELD store_bytes=$STORE_BYTES preload_ms=$PRE_MS preload_cpu_ms=$PRE_CPU_MS preload_rss_kb=$PRE_RSS preload_hwm_kb=$PRE_HWM"

bad=0
for l in "$W"/*.log; do
    grep -q "ERROR: AddressSanitizer\|ERROR: LeakSanitizer\|runtime error:" "$l" &&
        { echo "FAIL: sanitizer reports in $(basename "$l")"; bad=1; }
done
[ "$HELD" = "$RECS" ] || { echo "FAIL: the store holds '$HELD' records after samictl load, want $RECS"; bad=1; }
[ "$PRELOAD" = 0 ] || [ "$PRE_HELD" = "$RECS" ] || { echo "FAIL: the store holds '$PRE_HELD' records after preload, want $RECS"; bad=1; }
exit $bad
