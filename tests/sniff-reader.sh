#!/bin/sh
# sami-sniff reads classic pcap files itself (tools/sami-sniff/pcapfile.c)
# and everything else, including standard input, through libpcap. This
# checks that both readers give the same result, and that the one-line
# output is the summary line of the -v output:
#
#   sniff-reader.sh SAMI_SNIFF SAMPLES_DIR [GEN_VDP_CAPTURE]
#
# For every capture in SAMPLES_DIR, for a generated ECP/VDP capture (when
# GEN_VDP_CAPTURE is given) and for damaged variants written here (other
# byte order, nanosecond timestamps, small and zero snap lengths, records
# cut in the header and in the data, a record over libpcap's 262144-octet
# limit, timestamps past 2038, a file larger than the reader's buffer):
# `-r FILE` (direct reader) must print the same stdout, stderr and exit
# status as `-r - < FILE` (libpcap), in the one-line, -v and --json modes
# and with a filter.
set -u
sniff=$1 samples=$2 gen=${3:-}
tmp=${TMPDIR:-/tmp}/sami-reader.$$
mkdir -p "$tmp" || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail=0 n=0

# same FILE ARGS...: run both readers, compare everything.
same() {
    f=$1
    shift
    "$sniff" "$@" -r "$f" >"$tmp/a.out" 2>"$tmp/a.err"
    echo "exit $?" >>"$tmp/a.err"
    "$sniff" "$@" -r - <"$f" >"$tmp/b.out" 2>"$tmp/b.err"
    echo "exit $?" >>"$tmp/b.err"
    # libpcap names the input "-"
    sed "s|sami-sniff: $f: |sami-sniff: -: |" "$tmp/a.err" >"$tmp/a.err2"
    n=$((n + 1))
    if ! cmp -s "$tmp/a.out" "$tmp/b.out" || ! cmp -s "$tmp/a.err2" "$tmp/b.err"; then
        echo "FAIL: $f ($*): the direct reader and libpcap differ" >&2
        diff "$tmp/b.out" "$tmp/a.out" | head -5 >&2
        diff "$tmp/b.err" "$tmp/a.err2" | head -5 >&2
        fail=1
    fi
}

# oneline FILE: one-line output == the summary lines of -v.
oneline() {
    "$sniff" -r "$1" >"$tmp/l.out" 2>/dev/null
    "$sniff" -v -r "$1" 2>/dev/null | grep -v '^ ' | grep -v '^$' >"$tmp/v.out"
    n=$((n + 1))
    if ! cmp -s "$tmp/l.out" "$tmp/v.out"; then
        echo "FAIL: $1: one-line output is not the -v summary lines" >&2
        diff "$tmp/v.out" "$tmp/l.out" | head -5 >&2
        fail=1
    fi
}

check() {
    same "$1"
    same "$1" -v
    same "$1" --json
    same "$1" --stats -q
    same "$1" ether proto 0x8940 or ether proto 0x88cc
    oneline "$1"
}

for f in $(find "$samples" -name '*.pcap' -o -name '*.pcapng' | sort); do
    check "$f"
done

if [ -n "$gen" ]; then
    "$gen" --frames 20000 "$tmp/gen.pcap" >/dev/null || { echo "FAIL: $gen" >&2; exit 1; }
    check "$tmp/gen.pcap"
fi

if command -v python3 >/dev/null 2>&1; then
    # Damaged and unusual variants of one sample with several frame kinds.
    base=$(find "$samples" -name 'lldpad-vdp22-assoc-deassoc.pcap' | head -1)
    python3 - "$base" "$tmp" <<'PY' || { echo "FAIL: python3 variant writer" >&2; exit 1; }
import struct, sys
src, out = sys.argv[1], sys.argv[2]
data = open(src, "rb").read()
recs = []
o = 24
while o + 16 <= len(data):
    sec, usec, cap, wire = struct.unpack_from("<IIII", data, o)
    recs.append((sec, usec, wire, data[o + 16:o + 16 + cap]))
    o += 16 + cap

def write(name, recs, magic=0xa1b2c3d4, order="<", snap=65535, link=1, ver=(2, 4)):
    parts = [struct.pack(order + "IHHiIII", magic, ver[0], ver[1], 0, 0, snap, link)]
    for sec, frac, wire, pkt in recs:
        parts += [struct.pack(order + "IIII", sec, frac, len(pkt), wire), pkt]
    b = b"".join(parts)
    open(out + "/" + name, "wb").write(b)
    return b

write("be.pcap", recs, order=">")
write("nsec.pcap", [(s, u * 1000 + 999, w, p) for s, u, w, p in recs], magic=0xa1b23c4d)
write("nsec-be.pcap", [(s, u * 1000, w, p) for s, u, w, p in recs], magic=0xa1b23c4d, order=">")
write("snap0.pcap", recs, snap=0)
write("snap60.pcap", recs, snap=60)          # records longer than the snap length: cut
write("snapbig.pcap", recs, snap=0x7fffffff)  # adjusted to 262144
write("v23.pcap", recs, ver=(2, 3))           # libpcap only
write("sll.pcap", [(s, u, w, b"\x00\x00\x00\x01\x00\x06" + p[6:12] + b"\x00\x00" + p[12:])
                   for s, u, w, p in recs], link=113)
write("ts2040.pcap", [(0x80000000 + i * 3600, u, w, p) for i, (s, u, w, p) in enumerate(recs)])
write("usec-big.pcap", [(s, 0xfffffff0 - i, w, p) for i, (s, u, w, p) in enumerate(recs)])
write("nsec-neg.pcap", [(s, 0x80000000 + i * 7777, w, p) for i, (s, u, w, p) in enumerate(recs)],
      magic=0xa1b23c4d)
full = write("full.pcap", recs)
open(out + "/cut-header.pcap", "wb").write(full[:24 + 16 + len(recs[0][3]) + 7])
open(out + "/cut-data.pcap", "wb").write(full[:24 + 16 + len(recs[0][3]) + 16 + 20])
open(out + "/header-only.pcap", "wb").write(full[:24])
open(out + "/short-header.pcap", "wb").write(full[:20])
# A record over libpcap's limit, then one the snap length cuts and the
# file ends inside (before and after the snap length).
huge = write("huge.pcap", recs[:2] + [(1, 2, 300000, b"\x00" * 300000)] + recs[2:])
write("huge-snapbig.pcap", recs[:1] + [(1, 2, 300000, b"\x00" * 300000)], snap=0)
cut = write("cutsnap.pcap", recs[:1] + [(1, 2, 200, b"\x01" * 200)], snap=100)
open(out + "/cutsnap-in.pcap", "wb").write(cut[:len(cut) - 150])
open(out + "/cutsnap-after.pcap", "wb").write(cut[:len(cut) - 50])
# Larger than the reader's buffer, with big records across refills.
many = []
for i in range(50):
    many.extend(recs)
    many.append((i, i, 60000 + i, bytes([i & 0xff]) * (60000 + i)))
big = write("big.pcap", many)
open(out + "/big-cut.pcap", "wb").write(big[:1234567])
PY
    for f in "$tmp"/*.pcap; do
        case $f in */gen.pcap) continue ;; esac
        same "$f"
        same "$f" -v
        same "$f" ether proto 0x8940
    done
else
    echo "note: python3 not found, damaged-file variants skipped"
fi

[ $fail -eq 0 ] && echo "ok: $n comparisons"
exit $fail
