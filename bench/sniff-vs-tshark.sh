#!/bin/sh
# sami-sniff vs tshark on one generated ECP/VDP capture (docs/PERFORMANCE.md).
#
#   bench/sniff-vs-tshark.sh [BUILD_DIR] [FRAMES]      defaults: build 1000000
#   env: REPS=N (rounds, default 1), SKIP_TSHARK_JSON=1 (tshark -T json on
#        1M frames takes ~4 minutes), PCAP=FILE (reuse a capture), KEEP=1,
#        BASE=SNIFF_BINARY (an earlier sami-sniff, timed in the same rounds:
#        before/after figures under the same load)
#
# Both tools read the same file and write to /dev/null; every round runs all
# four commands back to back (sniff one-line, tshark one-line, sniff JSON,
# tshark JSON) so load bursts on a shared machine hit both sides of each
# ratio. Per command: wall and CPU (user + sys) seconds and max RSS from
# GNU time -v; frames/s = FRAMES / wall (and / CPU, steadier under load).
# The ratios printed are tshark / sami-sniff per round, median over rounds.
set -eu

build=${1:-build}
frames=${2:-1000000}
reps=${REPS:-1}
sniff=$build/tools/sami-sniff/sami-sniff
gen=$build/bench/gen_vdp_capture

for x in "$sniff" "$gen"; do
    [ -x "$x" ] || { echo "missing $x (cmake -DSAMI_BUILD_BENCH=ON, build)" >&2; exit 1; }
done
command -v tshark >/dev/null || { echo "tshark not installed (apt-get install tshark)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "GNU time missing (apt-get install time)" >&2; exit 1; }

work=$(mktemp -d)
trap '[ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
pcap=${PCAP:-$work/vdp.pcap}
if [ -z "${PCAP:-}" ]; then
    "$gen" --frames "$frames" "$pcap"
fi
# Warm the page cache so the first command does not pay the disk read.
cat "$pcap" >/dev/null

echo "capture: $pcap, $frames frames, $(wc -c <"$pcap") octets"
echo "tshark: $(tshark --version 2>/dev/null | head -1)"
echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

# run NAME CMD...: one timed run; appends "name wall cpu rss_kb" to $work/res
run() {
    name=$1
    shift
    /usr/bin/time -v -o "$work/t" "$@" >/dev/null 2>"$work/err" || {
        echo "$name failed:" >&2
        cat "$work/err" "$work/t" >&2
        exit 1
    }
    awk -v n="$name" '
        /Elapsed \(wall clock\)/ { s = $NF; k = split(s, p, ":"); w = 0;
                                   for (i = 1; i <= k; i++) w = w * 60 + p[i] }
        /User time/   { u = $NF }
        /System time/ { y = $NF }
        /Maximum resident/ { r = $NF }
        END { printf "%s %.3f %.3f %d\n", n, w, u + y, r }' "$work/t" >>"$work/res"
}

: >"$work/res"
i=0
while [ "$i" -lt "$reps" ]; do
    i=$((i + 1))
    run sniff-line "$sniff" -r "$pcap"
    run tshark-line tshark -r "$pcap"
    [ -z "${BASE:-}" ] || run base-line "$BASE" -r "$pcap"
    run sniff-json "$sniff" -j -r "$pcap"
    [ -z "${BASE:-}" ] || run base-json "$BASE" -j -r "$pcap"
    [ -n "${SKIP_TSHARK_JSON:-}" ] || run tshark-json tshark -r "$pcap" -T json
done

awk -v f="$frames" '
    { n = $1; c[n]++; k = c[n]; w[n, k] = $2; u[n, k] = $3; r[n, k] = $4 }
    function med(a, n,   k, i, j, t, v) {
        k = c[n]; for (i = 1; i <= k; i++) v[i] = a[n, i]
        for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (v[j] < v[i]) { t = v[i]; v[i] = v[j]; v[j] = t }
        return k % 2 ? v[(k + 1) / 2] : (v[k / 2] + v[k / 2 + 1]) / 2
    }
    END {
        printf "%-12s %8s %8s %12s %12s %9s\n", "command", "wall s", "cpu s", "frames/s", "frames/cpu-s", "maxRSS KB"
        split("sniff-line base-line tshark-line sniff-json base-json tshark-json", order, " ")
        for (o = 1; o <= 6; o++) {
            n = order[o]; if (!c[n]) continue
            mw = med(w, n); mu = med(u, n); mr = med(r, n)
            printf "%-12s %8.2f %8.2f %12.0f %12.0f %9d\n", n, mw, mu, f / mw, f / mu, mr
        }
        for (m = 1; m <= 4; m++) {
            s = m % 2 ? "line" : "json"
            ref = m <= 2 ? "tshark" : "base"
            if (!c["sniff-" s] || !c[ref "-" s]) continue
            # per-round ratios, then their median
            k = ref s
            for (i = 1; i <= c["sniff-" s]; i++) {
                rw["rw" k, i] = w[ref "-" s, i] / w["sniff-" s, i]
                ru["ru" k, i] = u[ref "-" s, i] / (u["sniff-" s, i] > 0 ? u["sniff-" s, i] : 0.001)
            }
            c["rw" k] = c["ru" k] = c["sniff-" s]
            printf "ratio %s (%s / sami-sniff): wall x%.1f, cpu x%.1f\n", s, ref, med(rw, "rw" k), med(ru, "ru" k)
        }
    }' "$work/res"
