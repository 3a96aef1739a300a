#!/bin/sh
# Simulator scale and blackout figures from sami-demo (docs/PERFORMANCE.md).
#
#   bench/demo-scale.sh [BUILD_DIR]          default build
#
# 1. consolidation at the largest --scale sami-demo accepts (64): wall time
#    and max RSS (GNU time), simulated time and migrations from --json;
#    migrations per wall second = migrations / wall.
# 2. blackout p50 / p99 / max (simulated: SUSPENDED sent -> PROCEED received)
#    for every scenario at scale 1 and 16, loss 0 and 0.3, seed 1, one run each.
# The simulator runs on a fake clock: simulated figures repeat exactly for a
# seed; only the wall figures depend on the machine.
set -eu
build=${1:-build}
demo=$build/tools/sami-demo/sami-demo
[ -x "$demo" ] || { echo "missing $demo" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# key NAME FILE: the first integer value of "NAME" in the JSON summary
key() { sed "s/.*\"summary\"//" "$2" | grep -o "\"$1\":[0-9][0-9]*" | head -1 | cut -d: -f2; }

scale=${SCALE:-64}
/usr/bin/time -f '%e %M' -o "$tmp/t" "$demo" --scenario consolidation --seed 1 --scale "$scale" --json >"$tmp/j" || true
read -r wall rss <"$tmp/t"
mig=$(key migrations "$tmp/j")
sim=$(key simulated_us "$tmp/j")
echo "consolidation --scale $scale: $(grep -o "\"vms\":[0-9]*" "$tmp/j" | head -1 | cut -d: -f2) VMs, $mig migrations ($(key moved "$tmp/j") moved, $(key records "$tmp/j") records), wall $wall s, max RSS $rss KB, simulated $(awk -v s="$sim" 'BEGIN{printf "%.1f", s/1e6}') s, $(awk -v m="$mig" -v w="$wall" 'BEGIN{printf "%.0f", m/w}') migrations per wall second, ok=$(grep -o '"ok":[a-z]*' "$tmp/j" | tail -1 | cut -d: -f2)"

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
