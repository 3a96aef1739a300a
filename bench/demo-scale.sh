#!/bin/sh
# Simulator scale and blackout figures from sami-demo (docs/PERFORMANCE.md,
# docs/DEMO.md).
#
#   bench/demo-scale.sh [BUILD_DIR [BASE_BUILD_DIR]]     default build
#
# 1. consolidation at SCALES (default "1 16 64 100 200", "" for none; sami-demo takes up
#    to 1600): wall time and max RSS (GNU time), simulated time and
#    migrations from --json; migrations per wall second = migrations / wall.
# 2. consolidation with PODS copies of the topology in one fabric (default
#    "10 30 100", "" for none; --pods: P x 3 bridges, P x 9 hypervisors, every bridge
#    peered with every other, a third of the migrations across pods).
# 3. (BLACKOUT=0 skips it) blackout p50 / p99 / max (simulated: SUSPENDED sent -> PROCEED received)
#    for every scenario at scale 1 and 16, loss 0 and 0.3, seed 1, one run each.
# With BASE_BUILD_DIR (an older build, e.g. of `git archive HEAD`), 1 and 2
# run both binaries side by side, each run of the base right after the same
# run of BUILD_DIR, and the "build" column says which; the simulated columns
# must agree (same seed, same engines' behaviour). A base that does not know
# --pods gets its pods rows skipped.
# The simulator runs on a fake clock: simulated figures repeat exactly for a
# seed; only the wall figures depend on the machine.
set -eu
build=${1:-build}
base=${2:-}
demo=$build/tools/sami-demo/sami-demo
[ -x "$demo" ] || { echo "missing $demo" >&2; exit 1; }
bdemo=
if [ -n "$base" ]; then
    bdemo=$base/tools/sami-demo/sami-demo
    [ -x "$bdemo" ] || { echo "missing $bdemo" >&2; exit 1; }
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# key NAME FILE: the first integer value of "NAME" in the JSON summary
key() { sed "s/.*\"summary\"//" "$2" | grep -o "\"$1\":[0-9][0-9]*" | head -1 | cut -d: -f2; }
# top NAME FILE: the first integer value of "NAME" in the document
top() { grep -o "\"$1\":[0-9]*" "$2" | head -1 | cut -d: -f2; }

# row LABEL WHICH BINARY ARGS...: one consolidation run, one line:
#    bridges, hypervisors, VMs, migrations, moved, lost + duplicated, wall,
#    simulated time, migrations per wall second, max RSS, ok.
row() {
    label=$1 which=$2 bin=$3
    shift 3
    /usr/bin/time -f '%e %M' -o "$tmp/t" "$bin" --scenario consolidation --seed 1 "$@" --json \
        >"$tmp/j" 2>"$tmp/e" || true
    read -r wall rss <"$tmp/t"
    mig=$(key migrations "$tmp/j")
    sim=$(key simulated_us "$tmp/j")
    printf '%-10s %-5s %4s %4s %6s %6s %6s %5s %8s %7s %10s %9s %5s\n' "$label" "$which" \
        "$(top bridges "$tmp/j")" "$(top hypervisors "$tmp/j")" "$(top vms "$tmp/j")" "$mig" \
        "$(key moved "$tmp/j")" "$(($(key lost "$tmp/j") + $(key duplicated "$tmp/j")))" "$wall" \
        "$(awk -v s="$sim" 'BEGIN{printf "%.1f", s/1e6}')" \
        "$(awk -v m="$mig" -v w="$wall" 'BEGIN{if (w > 0) printf "%.0f", m/w; else print "-"}')" "$rss" \
        "$(grep -o '"ok":[a-z]*' "$tmp/j" | tail -1 | cut -d: -f2)"
}

# 1. and 2.: one run each, side by side (base right after new).
printf '%-10s %-5s %4s %4s %6s %6s %6s %5s %8s %7s %10s %9s %5s\n' run build brs hvs vms migr \
    moved l+d wall_s sim_s migr_per_s rss_kb ok
for scale in ${SCALES-1 16 64 100 200}; do
    row "scale=$scale" new "$demo" --scale "$scale"
    [ -z "$bdemo" ] || row "scale=$scale" base "$bdemo" --scale "$scale"
done
for pods in ${PODS-10 30 100}; do
    row "pods=$pods" new "$demo" --pods "$pods"
    if [ -n "$bdemo" ] && "$bdemo" --help | grep -q -- --pods; then
        row "pods=$pods" base "$bdemo" --pods "$pods"
    fi
done
[ -n "${BLACKOUT:-1}" ] && [ "${BLACKOUT:-1}" != 0 ] || exit 0

printf '%-14s %5s %5s %10s %8s %8s %8s %7s %7s\n' scenario scale loss migrations p50_us p99_us max_us wall_s ok
for sc in consolidation firewall-dc vdi; do
    for s in 1 16; do
        for l in 0 0.3; do
            /usr/bin/time -f '%e' -o "$tmp/t" "$demo" --scenario "$sc" --seed 1 --scale "$s" --loss "$l" --json >"$tmp/j" || true
            printf '%-14s %5s %5s %10s %8s %8s %8s %7s %7s\n' "$sc" "$s" "$l" "$(key migrations "$tmp/j")" \
                "$(key blackout_p50_us "$tmp/j")" "$(key blackout_p99_us "$tmp/j")" "$(key blackout_max_us "$tmp/j")" \
                "$(cat "$tmp/t")" "$(grep -o '"ok":[a-z]*' "$tmp/j" | tail -1 | cut -d: -f2)"
        done
    done
done
