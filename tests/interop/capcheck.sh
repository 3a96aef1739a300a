# Sourced by the interop / e2e scripts: the tshark and Lua-dissector
# cross-checks the pcap-samples get (tests/tshark_check.py, lua_check.py),
# run on a capture a test just made.
#   sami_capcheck SAMI_SNIFF PCAP OUTPREFIX [--allow-expert MESSAGE]...
# Writes OUTPREFIX.tshark.txt and OUTPREFIX.lua.txt and sets
#   CAPCHECK_TSHARK, CAPCHECK_LUA: 0 agrees, 1 mismatch or tshark unhappy,
#                                  77 not run (no tshark or no python3)
#   CAPCHECK_MSG: one line per check for the caller's PASS/FAIL/INFO output
# The caller decides what a failure means (the tests fail on 1).
sami_capcheck() {
    local sniff=$1 pcap=$2 out=$3 root
    shift 3
    root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
    CAPCHECK_TSHARK=77 CAPCHECK_LUA=77
    if ! command -v python3 >/dev/null 2>&1; then
        CAPCHECK_MSG="python3 not installed: tshark cross-check not run"
        return 0
    fi
    python3 "$root/tests/tshark_check.py" "$sniff" "$pcap" "$@" >"$out.tshark.txt" 2>&1
    CAPCHECK_TSHARK=$?
    CAPCHECK_MSG="tshark: $(tail -n 1 "$out.tshark.txt")"
    if [ $CAPCHECK_TSHARK != 77 ] && [ -f "$root/tools/wireshark/sami.lua" ]; then
        python3 "$root/tests/lua_check.py" "$sniff" "$root/tools/wireshark/sami.lua" "$pcap" \
            "$@" >"$out.lua.txt" 2>&1
        CAPCHECK_LUA=$?
        CAPCHECK_MSG="$CAPCHECK_MSG; Lua dissector: $(tail -n 1 "$out.lua.txt")"
    fi
    # mismatches are listed in the files; show the first few
    [ $CAPCHECK_TSHARK = 1 ] && grep -m 5 '^FAIL' "$out.tshark.txt" | sed 's/^/    tshark /'
    [ $CAPCHECK_LUA = 1 ] && grep -m 5 -i 'fail\|mismatch\|error' "$out.lua.txt" | sed 's/^/    lua /'
    return 0
}
