#!/bin/bash
# Short, fixed-count fuzz run for CI (ctest label "fuzz" calls it per harness).
#
#   fuzz/ci.sh [--build] [--bin-dir DIR] [--runs N] [harness ...]
#
# For each harness (default: all): first replay every saved crash under
# fuzz/regressions/<harness>/ (each must now run clean), then fuzz for N
# executions (default 20000) from the committed seed corpus fuzz/corpus/<harness>/.
# The committed corpus is only read: new inputs go to a scratch directory.
# Any finding (sanitizer report, failed invariant, timeout, OOM) fails the run;
# the input is kept under $SAMI_FUZZ_ARTIFACTS (default <bin-dir>/artifacts).
#
# --build configures and builds the harnesses first (clang, SAMI_FUZZ=ON) into
# $SAMI_FUZZ_BUILD (default build-fuzz/); --bin-dir then defaults to its fuzz/.
# The libFuzzer seed is fixed (SAMI_FUZZ_SEED, default 1) so CI is repeatable;
# exploring new ground is fuzz/run-campaign.sh's job.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
all="ecp vdp notif feedback lldp xfer xfer_l2 stream di roundtrip station bridge mig xfer_engine dhcpsnoop samid_config"
runs=20000
bin=""
build=0
harnesses=()

while [ $# -gt 0 ]; do
    case "$1" in
    --build) build=1 ;;
    --bin-dir) bin=$2; shift ;;
    --runs) runs=$2; shift ;;
    -h|--help) sed -n '2,18p' "$0"; exit 0 ;;
    -*) echo "ci.sh: unknown option $1" >&2; exit 2 ;;
    *) harnesses+=("$1") ;;
    esac
    shift
done
named=${#harnesses[@]}
[ ${#harnesses[@]} -gt 0 ] || read -r -a harnesses <<<"$all"

if [ "$build" = 1 ]; then
    bdir=${SAMI_FUZZ_BUILD:-$root/build-fuzz}
    CC=clang cmake -S "$root" -B "$bdir" -DSAMI_FUZZ=ON -DSAMI_BUILD_TESTS=OFF \
        -DSAMI_BUILD_TOOLS=OFF -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$bdir" -j"$(nproc 2>/dev/null || echo 2)" --target fuzzers
    [ -n "$bin" ] || bin=$bdir/fuzz
fi
[ -n "$bin" ] || bin=$root/build-fuzz/fuzz
art=${SAMI_FUZZ_ARTIFACTS:-$bin/artifacts}
mkdir -p "$art"
seed=${SAMI_FUZZ_SEED:-1}
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

fail=0
for h in "${harnesses[@]}"; do
    exe=$bin/fuzz_$h
    # fuzz_samid_config is built only where libconfuse is found: skipped
    # (with a note) when running the default list, an error when named
    if [ ! -x "$exe" ] && [ "$h" = samid_config ] && [ "$named" = 0 ]; then
        echo "skip $h: not built (libconfuse not found at configure time)"
        continue
    fi
    if [ ! -x "$exe" ]; then
        echo "ci.sh: $exe missing (build with -DSAMI_FUZZ=ON, or pass --build)" >&2
        exit 2
    fi
    # 1. regressions: every input that once crashed must run clean now
    regs=()
    if [ -d "$here/regressions/$h" ]; then
        while IFS= read -r -d '' f; do regs+=("$f"); done \
            < <(find "$here/regressions/$h" -type f ! -name '*.md' -print0 | sort -z)
    fi
    if [ ${#regs[@]} -gt 0 ]; then
        if ! "$exe" "${regs[@]}" >"$art/$h-regressions.log" 2>&1; then
            echo "FAIL $h: a saved regression input crashes again:" >&2
            grep -E 'Running:|invariant|contract|ERROR|runtime error|SUMMARY' "$art/$h-regressions.log" >&2 || true
            fail=1
            continue
        fi
    fi
    # 2. a fixed number of runs from the seed corpus
    scratch=$(mktemp -d)
    log=$art/$h.log
    if "$exe" -runs="$runs" -seed="$seed" -max_len=4096 -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art/$h-" "$scratch" "$here/corpus/$h" \
        >"$log" 2>&1; then
        stats=$(grep -E '^#[0-9]+.*(DONE|cov:)' "$log" | tail -1 | sed 's/  */ /g')
        echo "ok   $h: ${#regs[@]} regression(s), $stats"
    else
        echo "FAIL $h: finding after $(grep -c '' "$log") log lines; input kept in $art/$h-*" >&2
        grep -E 'invariant|contract|ERROR|runtime error|SUMMARY|Test unit written' "$log" >&2 || true
        fail=1
    fi
    rm -rf "$scratch"
done
exit $fail
