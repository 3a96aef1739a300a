#!/bin/bash
# Long fuzzing campaign: each harness in turn (one fuzzer process at a time),
# for N executions or S seconds, from a growing work corpus seeded with the
# committed one. Records executions, libFuzzer's final cov/ft, corpus size,
# wall time and findings per harness, and can write them into the results
# table of docs/FUZZING.md.
#
#   fuzz/run-campaign.sh [options] [harness ...]        (default: all harnesses)
#     --bin-dir DIR     harness binaries (default build-fuzz/fuzz; --build makes them)
#     --build           configure + build into $SAMI_FUZZ_BUILD (default build-fuzz/)
#     --runs N          executions per harness (default 10000000)
#     --time S          stop each harness after S seconds instead (or as well:
#                       whichever comes first when both are given)
#     --nice N          run the fuzzer under nice -n N (default 10)
#     --jobs N          run up to N harnesses at once (default 1; one core each)
#     --work DIR        work corpora, logs and findings (default build-fuzz/campaign)
#     --seed N          libFuzzer -seed (default 0 = random)
#     --llvm-cov DIR    also measure source line coverage of the final corpus with
#                       a coverage build in DIR (made if missing; needs llvm-cov and
#                       llvm-profdata, Debian package llvm-14)
#     --update-doc      write the table into docs/FUZZING.md (between the
#                       fuzz-results markers)
#
# Findings (crash-*, leak-*, timeout-*, oom-* inputs) stay in WORK/findings/<harness>/;
# once fixed, copy the input to fuzz/regressions/<harness>/ so fuzz/ci.sh replays it.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
all="ecp vdp notif feedback lldp xfer xfer_l2 stream di roundtrip station bridge mig xfer_engine dhcpsnoop samid_config"
runs=10000000
secs=""
nicelvl=10
bin=""
build=0
work=""
seed=0
covdir=""
update=0
jobs=1
harnesses=()

while [ $# -gt 0 ]; do
    case "$1" in
    --bin-dir) bin=$2; shift ;;
    --build) build=1 ;;
    --runs) runs=$2; shift ;;
    --time) secs=$2; shift ;;
    --nice) nicelvl=$2; shift ;;
    --work) work=$2; shift ;;
    --seed) seed=$2; shift ;;
    --llvm-cov) covdir=$2; shift ;;
    --update-doc) update=1 ;;
    --jobs) jobs=$2; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    -*) echo "run-campaign.sh: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1") ;;
    esac
    shift
done
[ ${#harnesses[@]} -gt 0 ] || read -r -a harnesses <<<"$all"
bdir=${SAMI_FUZZ_BUILD:-$root/build-fuzz}
if [ "$build" = 1 ]; then
    CC=clang cmake -S "$root" -B "$bdir" -DSAMI_FUZZ=ON -DSAMI_BUILD_TESTS=OFF \
        -DSAMI_BUILD_TOOLS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$bdir" -j"$(nproc 2>/dev/null || echo 2)" --target fuzzers
fi
[ -n "$bin" ] || bin=$bdir/fuzz
[ -n "$work" ] || work=$bdir/campaign
mkdir -p "$work"
results=$work/results.tsv
[ -f "$results" ] || printf 'harness\texecs\texec_per_s\tcov\tft\tcorpus\tseconds\tfindings\tline_cov\n' >"$results"
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

# Decoder sources each harness is about (for the llvm-cov column).
cov_files() {
    case "$1" in
    ecp) echo "vdp-ext/ecp.c vdp-ext/vdp.c" ;;
    vdp) echo "vdp-ext/vdp.c" ;;
    notif|feedback) echo "vdp-ext/samitlv.c" ;;
    lldp) echo "lldp-ext/lldp.c lldp-ext/evb.c lldp-ext/samicap.c" ;;
    xfer|stream) echo "lib/xfer.c" ;;
    xfer_l2) echo "lib/xfer_l2.c" ;;
    di) echo "lib/di.c" ;;
    roundtrip) echo "vdp-ext/ecp.c vdp-ext/vdp.c vdp-ext/samitlv.c lldp-ext/lldp.c lldp-ext/evb.c lldp-ext/samicap.c lib/xfer.c lib/xfer_l2.c lib/di.c" ;;
    station) echo "vdp-ext/vdp_station.c vdp-ext/ecp_engine.c" ;;
    bridge) echo "vdp-ext/vdp_bridge.c vdp-ext/ecp_engine.c" ;;
    mig) echo "vdp-ext/mig_hv.c vdp-ext/mig_bridge.c" ;;
    xfer_engine) echo "lib/xfer_engine.c lib/memstore.c" ;;
    dhcpsnoop) echo "lib/dhcpsnoop.c" ;;
    samid_config) echo "tools/samid/config.c" ;;
    esac
}

# Line coverage (%) of the harness's decoder sources reached by a corpus,
# from a separate -fprofile-instr-generate build of the same harnesses.
line_cov() {
    local h=$1 corpus=$2
    if [ ! -f "$covdir/CMakeCache.txt" ]; then
        CC=clang cmake -S "$root" -B "$covdir" -DSAMI_FUZZ=ON -DSAMI_BUILD_TESTS=OFF \
            -DSAMI_BUILD_TOOLS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo \
            -DCMAKE_C_FLAGS="-fprofile-instr-generate -fcoverage-mapping" >/dev/null
    fi
    nice -n "$nicelvl" cmake --build "$covdir" -j2 --target "fuzz_$h" >/dev/null
    local prof=$work/cov-$h
    rm -rf "$prof" && mkdir -p "$prof"
    LLVM_PROFILE_FILE="$prof/%p.profraw" "$covdir/fuzz/fuzz_$h" -runs=0 "$corpus" \
        >"$prof/run.log" 2>&1 || true
    llvm-profdata merge -sparse "$prof"/*.profraw -o "$prof/merged.profdata"
    local files=()
    for f in $(cov_files "$h"); do files+=("$root/$f"); done
    llvm-cov report "$covdir/fuzz/fuzz_$h" -instr-profile="$prof/merged.profdata" "${files[@]}" \
        >"$prof/report.txt"
    # TOTAL: regions missed cover functions missed executed lines missed
    # cover branches missed cover
    awk '/^TOTAL/ {printf "%s lines, %s branches", $(NF-3), $NF}' "$prof/report.txt"
}

run_one() {
    local h=$1
    local exe=$bin/fuzz_$h
    if [ ! -x "$exe" ] && [ "$h" = samid_config ]; then
        echo "skip $h: not built (libconfuse not found at configure time)"
        return 0
    fi
    local corpus findings log limit start status end elapsed execs rate last cov ft corp nfind what lc
    corpus=$work/corpus/$h
    findings=$work/findings/$h
    mkdir -p "$corpus" "$findings"
    log=$work/$h.log
    limit=(-runs="$runs")
    [ -n "$secs" ] && limit+=(-max_total_time="$secs")
    start=$(date +%s.%N)
    set +e
    nice -n "$nicelvl" "$exe" "${limit[@]}" -seed="$seed" -max_len=4096 -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$findings/" \
        "$corpus" "$here/corpus/$h" >"$log" 2>&1
    status=$?
    set -e
    end=$(date +%s.%N)
    elapsed=$(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", b - a}')
    execs=$(awk '/stat::number_of_executed_units/ {print $NF}' "$log" | tail -1)
    rate=$(awk -v n="${execs:-0}" -v a="$start" -v b="$end" 'BEGIN {if (b > a) printf "%.0f", n / (b - a)}')
    last=$(grep -E '^#[0-9]+' "$log" | grep 'cov:' | tail -1 || true)
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([^ ]*\).*/\1/p' <<<"$last")
    nfind=$(find "$findings" -type f | wc -l)
    if [ "$status" -ne 0 ] || [ "$nfind" -gt 0 ]; then
        what="$nfind input(s) in $findings (exit $status)"
    else
        what="none"
    fi
    lc="-"
    if [ -n "$covdir" ]; then
        lc=$(line_cov "$h" "$corpus")
    fi
    printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$h" "${execs:-?}" "${rate:-?}" "${cov:-?}" \
        "${ft:-?}" "${corp:-?}" "$elapsed" "$what" "$lc" >>"$results"
    echo "$h: ${execs:-?} execs in ${elapsed}s (${rate:-?}/s), cov ${cov:-?} ft ${ft:-?}, corpus ${corp:-?}, line cov ${lc}, findings: $what"
}

if [ -n "$covdir" ] && [ "$jobs" -gt 1 ]; then
    echo "run-campaign.sh: --llvm-cov builds into one tree: running one harness at a time" >&2
    jobs=1
fi
for h in "${harnesses[@]}"; do
    if [ ! -x "$bin/fuzz_$h" ] && [ "$h" != samid_config ]; then
        echo "run-campaign.sh: $bin/fuzz_$h missing (--build?)" >&2
        exit 2
    fi
done
# One harness per job (a job is one fuzzer process: one core); results.tsv
# gets one line per harness, written whole.
for h in "${harnesses[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n || true; done
    run_one "$h" &
done
wait

# Markdown table: the latest row per harness, in the usual order.
table() {
    echo "| harness | executions | exec/s | cov | ft | corpus (units/size) | time (s) | decoder line coverage | findings |"
    echo "|---|---:|---:|---:|---:|---|---:|---:|---|"
    for h in $all; do
        awk -F'\t' -v h="$h" '$1 == h {row = $0} END {if (row != "") print row}' "$results" |
            awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $9, $8}'
    done
}
table
if [ "$update" = 1 ]; then
    doc=$root/docs/FUZZING.md
    tmp=$(mktemp)
    table >"$tmp"
    awk -v t="$tmp" '
        /<!-- fuzz-results:begin -->/ {print; while ((getline l < t) > 0) print l; skip = 1; next}
        /<!-- fuzz-results:end -->/ {skip = 0}
        !skip {print}' "$doc" >"$doc.new" && mv "$doc.new" "$doc"
    rm -f "$tmp"
    echo "updated $doc"
fi
