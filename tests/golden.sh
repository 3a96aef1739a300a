#!/bin/sh
# Golden test for one capture: `sami-sniff -v -r PCAP` must equal EXPECTED
# byte for byte. Also runs the one-line and --json modes on the same file:
# both must exit 0, and every --json line must be a JSON object (checked
# with python3 when it is installed).
#
#   golden.sh SAMI_SNIFF PCAP EXPECTED.txt
#
# SAMI_GOLDEN_UPDATE=1 rewrites EXPECTED from the current output instead of
# comparing (then review the diff by hand before committing it).
set -u
sniff=$1 pcap=$2 expected=$3
# The documented transfer test key (docs/PROTOCOL.md section 6), so HMACs are checked.
key=1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
tmp=${TMPDIR:-/tmp}/sami-golden.$$
trap 'rm -f "$tmp".*' EXIT INT TERM

"$sniff" --key "$key" -v -r "$pcap" >"$tmp.v" 2>"$tmp.err"
rc=$?
if [ $rc -ne 0 ]; then
    echo "FAIL: sami-sniff -v -r $pcap exited $rc" >&2
    cat "$tmp.err" >&2
    exit 1
fi
if [ "${SAMI_GOLDEN_UPDATE:-0}" = 1 ]; then
    cp "$tmp.v" "$expected" && echo "updated $expected"
    exit $?
fi
if [ ! -f "$expected" ]; then
    echo "FAIL: no expected output $expected" >&2
    exit 1
fi
if ! diff -u "$expected" "$tmp.v"; then
    echo "FAIL: $pcap: decode differs from $expected (diff above: - expected, + actual)" >&2
    exit 1
fi

for mode in "" "--json" "--stats -q"; do
    # shellcheck disable=SC2086 # mode is a word list on purpose
    "$sniff" --key "$key" $mode -r "$pcap" >"$tmp.o" 2>"$tmp.err"
    rc=$?
    if [ $rc -ne 0 ]; then
        echo "FAIL: sami-sniff $mode -r $pcap exited $rc" >&2
        cat "$tmp.err" >&2
        exit 1
    fi
    if [ "$mode" = "--json" ] && command -v python3 >/dev/null 2>&1; then
        python3 - "$tmp.o" <<'PY' || exit 1
import json, sys
with open(sys.argv[1], encoding="ascii") as f:
    for n, line in enumerate(f, 1):
        try:
            obj = json.loads(line)
        except ValueError as e:
            sys.exit("FAIL: --json line %d is not JSON: %s" % (n, e))
        if not isinstance(obj, dict) or "frame" not in obj:
            sys.exit("FAIL: --json line %d is not a frame object" % n)
PY
    fi
done
echo "ok: $pcap"
