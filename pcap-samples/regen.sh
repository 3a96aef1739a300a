#!/bin/sh
# Regenerates pcap-samples/:
#  1. builds sami-samplegen and sami-sniff (CMake build dir $SAMI_BUILD_DIR,
#     default <repo>/build-samples),
#  2. rewrites every synthetic capture (families ecp vdp samitlv lldp xfer l2
#     di) from scratch, so a renamed sample leaves no stale file behind,
#  3. refreshes the sample table in README.md (between the samples markers),
#  4. writes each <name>.txt expected decode: `sami-sniff -v -r <name>.pcap`,
#     the exact command tests/golden.sh compares against.
# Real captures (real/) are never rewritten; their .txt are refreshed only for
# the captures listed in REAL_OWN below (the others have their own owners).
#
#   pcap-samples/regen.sh            then review `git diff pcap-samples/`
# Env: SAMI_BUILD_DIR, SAMI_SNIFF (use this sami-sniff binary instead).
set -eu

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=${SAMI_BUILD_DIR:-$root/build-samples}
families="ecp vdp samitlv lldp xfer l2 di"
REAL_OWN="lldpad-vdp22-preassocrr-assoc-deassoc"
jobs=$(nproc 2>/dev/null || echo 2)

cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j "$jobs" --target sami-samplegen
gen=$build/tools/sami-samplegen/sami-samplegen

table=$(mktemp)
readme=$(mktemp)
trap 'rm -f "$table" "$readme"' EXIT INT TERM

for fam in $families; do
    rm -f "$here/$fam"/*.pcap "$here/$fam"/*.txt
done
"$gen" --table "$here" >"$table"

# Splice the table between the markers; everything else in README.md stays.
if ! grep -q '^<!-- samples:begin -->$' "$here/README.md" ||
   ! grep -q '^<!-- samples:end -->$' "$here/README.md"; then
    echo "regen.sh: README.md lacks the samples:begin/end markers" >&2
    exit 1
fi
awk -v tf="$table" '
    /^<!-- samples:begin -->$/ { print; while ((getline line < tf) > 0) print line; skip = 1; next }
    /^<!-- samples:end -->$/   { skip = 0 }
    !skip                      { print }
' "$here/README.md" >"$readme"
cat "$readme" >"$here/README.md"

# The documented transfer test key (docs/PROTOCOL.md section 6), so HMACs are checked.
key=1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
sniff=${SAMI_SNIFF:-}
if [ -z "$sniff" ]; then
    if cmake --build "$build" -j "$jobs" --target sami-sniff; then
        sniff=$build/tools/sami-sniff/sami-sniff
    fi
fi
if [ -z "$sniff" ] || [ ! -x "$sniff" ]; then
    echo "regen.sh: sami-sniff not available: captures regenerated, .txt not written" >&2
    exit 1
fi

n=0
for fam in $families; do
    for pcap in "$here/$fam"/*.pcap; do
        "$sniff" --key "$key" -v -r "$pcap" >"${pcap%.pcap}.txt"
        n=$((n + 1))
    done
done
for name in $REAL_OWN; do
    pcap=$here/real/$name.pcap
    [ -f "$pcap" ] || continue
    "$sniff" --key "$key" -v -r "$pcap" >"${pcap%.pcap}.txt"
    n=$((n + 1))
done
echo "regen.sh: $n expected decodes written; review with: git diff -- pcap-samples/"
