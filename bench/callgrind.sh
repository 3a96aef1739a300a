#!/bin/bash
# Instructions per codec op, counted by callgrind: repeatable to the
# instruction on any machine of the same ISA and compiler, unlike ns.
#
#   bench/callgrind.sh [BUILD_DIR] [COUNT] [CASE_SUBSTR]
#
# BUILD_DIR holds bench/bench_codec (configured with -DSAMI_BUILD_BENCH=ON;
# default build). bench_codec --count runs each case COUNT times (default
# 1000) between CALLGRIND_ZERO_STATS and CALLGRIND_DUMP_STATS_AT, once for a
# memcpy of the same input octets and once for the case, so every dump is
# exactly COUNT ops. Keep the dumps for callgrind_annotate with
# SAMI_CG_KEEP=DIR.
set -euo pipefail
build=${1:-build}
count=${2:-1000}
filter=${3:-}
bin=$build/bench/bench_codec
[ -x "$bin" ] || { echo "callgrind: $bin not found (cmake -DSAMI_BUILD_BENCH=ON)" >&2; exit 2; }
command -v valgrind >/dev/null || { echo "callgrind: valgrind not installed" >&2; exit 2; }

out=${SAMI_CG_KEEP:-$(mktemp -d)}
mkdir -p "$out"
[ -n "${SAMI_CG_KEEP:-}" ] || trap 'rm -rf "$out"' EXIT
rm -f "$out"/cg.out*

args=(--count "$count")
[ -z "$filter" ] || args+=(--case "$filter")
valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$bin" "${args[@]}" \
    >"$out/cases.txt" 2>"$out/valgrind.log" || {
    cat "$out/valgrind.log" >&2
    exit 1
}

# Each dump: "desc: Trigger: Client Request: [memcpy:]NAME" then "totals: IR".
for f in "$out"/cg.out.*; do
    awk '/^desc: Trigger: Client Request:/ {sub(/^desc: Trigger: Client Request: /, ""); n=$0}
         /^totals:/ {print n, $2}' "$f"
done >"$out/totals.txt"

printf '# callgrind, %s ops per case; Ir = instructions executed per op\n' "$count"
printf '%-24s %6s %10s %10s %8s\n' case bytes Ir/op memcpy-Ir ratio
while read -r name bytes units; do
    ir=$(awk -v n="$name" '$1==n {print $2}' "$out/totals.txt")
    base=$(awk -v n="memcpy:$name" '$1==n {print $2}' "$out/totals.txt")
    awk -v name="$name" -v bytes="$bytes" -v units="$units" -v ir="$ir" -v base="$base" \
        -v count="$count" 'BEGIN {
            printf "%-24s %6d %10.0f %10.0f %8.1f\n", name, bytes, ir / count, base / count, ir / base
            if (units > 1) printf "%-24s %6s %10.0f   (per record)\n", "", "", ir / count / units
        }'
done <"$out/cases.txt"
