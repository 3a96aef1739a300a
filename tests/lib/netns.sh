# Shared scaffolding of the root-only network-namespace scripts (tests/e2e,
# tests/interop, bench/*.sh). Source it from bash after `set -u`:
#   . "$(dirname "$0")/../lib/netns.sh"        (tests/e2e, tests/interop)
#   . "$(dirname "$0")/../tests/lib/netns.sh"  (bench)
# It defines functions and two globals, nothing runs on sourcing.
#
# Globals
#   PIDS        background children this script started and still owns:
#               add each one (`cmd & PIDS+=($!)`); stop_pid forgets it.
#   FAILS       failures counted by fail (0 when sourced).
#   NETNS_WORK  optional: a work directory netns_cleanup removes (or keeps).
#   SKIP_PREFIX optional: text put after "SKIP: " by skip.
#
# Checks (each exits 77, "skipped" to ctest, through skip)
#   skip MSG...           print "SKIP: $SKIP_PREFIX MSG", exit 77
#   need_root WHY         not uid 0: skip "needs root (WHY)"
#   need_cmds CMD...      a CMD not in PATH: skip "CMD not installed"
#   need_built FILE...    a FILE not executable: skip "FILE not built"
#
# Processes and namespaces
#   stop_pid PID [SIG]    SIG (default TERM), then CONT (a stopped process
#                         acts on it), up to 5 s for the exit, then KILL;
#                         reaps PID and drops it from PIDS, so no signal ever
#                         reaches a recycled PID. Returns PID's exit status.
#   netns_add NS...       `ip netns add` each NS (stop at the first failure,
#                         its status returned) and remember it for cleanup.
#   netns_veth IF1 NS1 IF2 NS2
#                         a veth pair IF1 (in NS1) -- IF2 (in NS2); it goes
#                         away with its namespaces.
#   netns_init NS...      loopback up and IPv6 off (no router solicitations
#                         or DAD traffic in the captures) in each NS.
#   netns_cleanup         stop_pid every PID in PIDS, delete the namespaces
#                         netns_add made (nothing else), then NETNS_WORK if
#                         set: kept ("work files kept in DIR") with KEEP=1 or
#                         FAILS > 0, else removed.
#   netns_traps           netns_cleanup on EXIT; INT and TERM exit 130 (so the
#                         EXIT trap still runs).
#
# Waiting and results
#   poll TRIES SECS CMD...  run CMD until it succeeds, at most TRIES times,
#                         SECS apart; 0 once it did, 1 on time-out.
#   ok MSG / fail MSG     print "ok: MSG" / "FAIL: MSG" (fail counts FAILS).
#   check DESC CMD...     ok DESC when CMD succeeds, else fail DESC.
#   cget JSON FILTER      jq FILTER over a samictl --json answer; a missing
#                         counter reads 0.

PIDS=()
FAILS=0

skip() { echo "SKIP: ${SKIP_PREFIX:-}$*"; exit 77; }

need_root() { [ "$(id -u)" = 0 ] || skip "needs root ($1)"; }

need_cmds() {
    local c
    for c in "$@"; do
        command -v "$c" >/dev/null 2>&1 || skip "$c not installed"
    done
}

need_built() {
    local b
    for b in "$@"; do
        [ -x "$b" ] || skip "$b not built"
    done
}

stop_pid() { # pid [signal]
    local p=$1 sig=${2:-TERM} keep=() q rc
    kill -"$sig" "$p" 2>/dev/null
    kill -CONT "$p" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$p" 2>/dev/null && kill -9 "$p" 2>/dev/null
    wait "$p" 2>/dev/null
    rc=$?
    for q in "${PIDS[@]}"; do [ "$q" = "$p" ] || keep+=("$q"); done
    PIDS=("${keep[@]}")
    return $rc
}

NETNS_MADE=()
netns_add() {
    local n
    for n in "$@"; do
        ip netns add "$n" || return
        NETNS_MADE+=("$n")
    done
}

netns_veth() { ip link add "$1" netns "$2" type veth peer name "$3" netns "$4"; }

netns_init() {
    local n
    for n in "$@"; do
        ip -n "$n" link set lo up
        ip netns exec "$n" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    done
}

netns_cleanup() {
    local p n
    for p in "${PIDS[@]}"; do stop_pid "$p"; done
    for n in "${NETNS_MADE[@]}"; do ip netns del "$n" 2>/dev/null; done
    [ -n "${NETNS_WORK:-}" ] || return 0
    if [ "${KEEP:-0}" = 1 ] || [ "${FAILS:-0}" -gt 0 ]; then
        echo "work files kept in $NETNS_WORK"
    else
        rm -rf "$NETNS_WORK"
    fi
}

netns_traps() {
    trap netns_cleanup EXIT
    trap 'exit 130' INT TERM
}

poll() { # tries seconds command...
    local n=$1 s=$2 _
    shift 2
    for _ in $(seq "$n"); do
        "$@" && return 0
        sleep "$s"
    done
    return 1
}

ok() { echo "ok: $*"; }
fail() { echo "FAIL: $*"; FAILS=$((FAILS + 1)); }
check() { # description command...
    local d=$1
    shift
    if "$@"; then ok "$d"; else fail "$d"; fi
}

cget() { echo "$1" | jq -r "$2 // 0"; }
