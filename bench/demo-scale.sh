#!/bin/sh
# Simulator scale and blackout figures from sami-demo (docs/PERFORMANCE.md).
#
#   bench/demo-scale.sh [BUILD_DIR]          default build
#
# 1. consolidation at SCALES (default "1 16 64 100 200"; sami-demo takes up
#    to 1600): wall time and max RSS (GNU time), simulated time and
#    migrations from --json; migrations per wall second = migrations / wall.
# 2. (BLACKOUT=0 skips it) blackout p50 / p99 / max (simulated: SUSPENDED sent -> PROCEED received)
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

# 1. consolidation at each scale in $SCALES (one run each, side by side):
#    VMs, migrations, wall, simulated time, migrations per wall second, max
#    RSS, and whether every record arrived exactly once.
printf '%-6s %6s %6s %9s %9s %8s %10s %9s %5s\n' scale vms migr moved wall_s sim_s migr_per_s rss_kb ok
for scale in ${SCALES:-1 16 64 100 200}; do
    /usr/bin/time -f '%e %M' -o "$tmp/t" "$demo" --scenario consolidation --seed 1 --scale "$scale" --json >"$tmp/j" || true
    read -r wall rss <"$tmp/t"
    mig=$(key migrations "$tmp/j")
    sim=$(key simulated_us "$tmp/j")
    printf '%-6s %6s %6s %9s %9s %8s %10s %9s %5s\n' "$scale" \
        "$(grep -o '"vms":[0-9]*' "$tmp/j" | head -1 | cut -d: -f2)" "$mig" "$(key moved "$tmp/j")" "$wall" \
        "$(awk -v s="$sim" 'BEGIN{printf "%.1f", s/1e6}')" \
        "$(awk -v m="$mig" -v w="$wall" 'BEGIN{if (w > 0) printf "%.0f", m/w; else print "-"}')" "$rss" \
        "$(grep -o '"ok":[a-z]*' "$tmp/j" | tail -1 | cut -d: -f2)"
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
