#!/bin/bash
# Interop: lldpd emits a sami capability TLV as a custom org TLV, with the
# exact bytes our encoder builds (tests/interop/samicap_bytes.c); the frames
# are captured in the peer namespace and decoded by sami-sniff, and a second
# lldpd there reports what it received. Results: docs/INTEROP.md.
#
# Usage (ctest interop/lldpd-custom-tlv):
#   lldpd-custom-tlv.sh SAMICAP_BYTES SAMI_SNIFF
# Needs root, `ip netns`, lldpd/lldpcli, tcpdump, python3; exit 77 (SKIP)
# otherwise. W=DIR keeps the work files (pcap, logs) there.
# Traffic stays on a veth pair between two namespaces this script creates;
# only the PIDs it started are killed.
set -u

BYTES=${1:?usage: lldpd-custom-tlv.sh SAMICAP_BYTES SAMI_SNIFF}
SNIFF=${2:?usage: lldpd-custom-tlv.sh SAMICAP_BYTES SAMI_SNIFF}

SKIP_PREFIX="lldpd-custom-tlv: "
. "$(dirname "$0")/../lib/netns.sh"
. "$(dirname "$0")/capcheck.sh"
need_root "network namespaces"
need_cmds ip lldpd lldpcli tcpdump python3
tag=$$
A=sami-lla-$tag B=sami-llb-$tag
# an unusable `ip netns` (no CAP_SYS_ADMIN in a container, say) is a skip,
# not a failure: nothing of ours was tested yet
ip netns add $A 2>/dev/null || skip "ip netns add failed (no namespace support?)"
ip netns del $A

W=${W:-$(mktemp -d /tmp/sami-interop-lldpd.XXXXXX)}
mkdir -p "$W"
# lldpd fails to set up its control socket in a 0700 directory (mktemp's);
# it then cannot be configured (privilege separation, user _lldpd)
chmod 755 "$W"
IA=sla$tag IB=slb$tag # within IFNAMSIZ for any PID
netns_traps

fails=0
# this suite's check prints PASS/FAIL and counts in fails
check() { # description command...: PASS/FAIL line, failures counted
    local what=$1
    shift
    if "$@"; then echo "PASS: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}

INFO=$("$BYTES") || { echo "FAIL: samicap_bytes"; exit 1; }      # 01,02,...
INFO_HEX=$("$BYTES" info) || exit 1                              # 0102...
echo "capability oui-info (samicap_bytes): $INFO"

netns_add $A $B || { echo "FAIL: ip netns add"; exit 1; }
netns_veth $IA $A $IB $B || { echo "FAIL: veth"; exit 1; }
ip -n $A link set $IA up && ip -n $B link set $IB up

ip netns exec $B tcpdump -i $IB -U -w "$W/lldp.pcap" ether proto 0x88cc \
    >"$W/tcpdump.log" 2>&1 &
TCPDUMP=$!
PIDS+=($TCPDUMP)
poll 50 0.1 grep -q "listening on" "$W/tcpdump.log"

# -d foreground, -u private control socket (a filesystem path: not
# namespace-scoped, so each instance needs its own), -I this interface only,
# -O /dev/null: none of the host's /etc/lldpd.d.
ip netns exec $A lldpd -d -u "$W/a.sock" -I $IA -O /dev/null >"$W/a.log" 2>&1 &
LA=$!
PIDS+=($LA)
ip netns exec $B lldpd -d -u "$W/b.sock" -I $IB -O /dev/null >"$W/b.log" 2>&1 &
PIDS+=($!)
CA="lldpcli -u $W/a.sock" CB="lldpcli -u $W/b.sock"
poll 50 0.1 $CA show configuration >/dev/null 2>&1

check "lldpcli accepts the capability as custom-tlv oui 0a,53,4d subtype 1" \
    $CA configure lldp custom-tlv oui 0a,53,4d subtype 1 oui-info "$INFO"
$CA configure lldp tx-interval 1 >/dev/null

# lldpd sends at most every tx-interval; poll the capture for the TLV
got=no
for _ in $(seq 30); do
    sleep 0.5
    if "$SNIFF" --json -r "$W/lldp.pcap" 2>/dev/null | grep -q '"sami_cap"'; then got=yes; break; fi
done
check "a captured LLDPDU carries the sami capability TLV" test $got = yes

# lldpd B's view of the neighbour, before the sender stops: polled until it
# lists our TLV (a loaded machine may take more than lldpd's 1 s interval)
b_has_tlv() {
    $CB -f json0 show neighbors details >"$W/b-neighbors.json" 2>&1 &&
        grep -q '"0A,53,4D"' "$W/b-neighbors.json"
}
poll 60 0.25 b_has_tlv
$CB -f json0 show statistics >"$W/b-stats.json" 2>&1

# A stopping sends a shutdown LLDPDU (TTL 0); it must decode too (polled:
# tcpdump -U writes each packet as it comes)
stop_pid $LA
ttl0() { "$SNIFF" -r "$W/lldp.pcap" 2>/dev/null | grep -qi "ttl 0\b"; }
poll 40 0.25 ttl0 || sleep 0.5
stop_pid $TCPDUMP

"$SNIFF" --json -r "$W/lldp.pcap" >"$W/sniff.jsonl" 2>"$W/sniff.err"
check "sami-sniff reads the capture" test -s "$W/sniff.jsonl"

# Frame checks: no malformed anywhere (so every LLDPDU passed
# sami_lldp_decode and the org decoders); every frame with our TLV carries
# exactly the encoder's info octets and decodes to exactly these fields.
python3 - "$W/sniff.jsonl" "$INFO_HEX" >"$W/frames.txt" <<'EOF'
import json, sys
want = {"version": 1, "role": 2, "role_name": "bridge", "di_types": 0x1FE,
        "di_types_name": "dhcp,dhcpv6,nd,dot1x,acl,igmp,counters,firewall",
        "bindings": 3, "bindings_name": "TCP,L2", "tcp_port": 5757, "family": 1,
        "family_name": "IPv4", "addr": "192.0.2.1", "l2_mac": "02:53:4d:00:00:01"}
bad = 0
with_cap = 0
for line in open(sys.argv[1]):
    f = json.loads(line)
    n = f["frame"]
    l = f.get("lldp")
    if "malformed" in f or l is None:
        print("FAIL: frame %d: %s" % (n, f.get("malformed", "no LLDP")))
        bad += 1
        continue
    ttl = [t["ttl"] for t in l["tlvs"] if t["type"] == 3]
    orgs = [(t["oui"], t["subtype"], t.get("info")) for t in l["tlvs"] if t["type"] == 127]
    print("INFO: frame %d: ttl %s, end %s, padding %d, org TLVs %s" %
          (n, ttl, l["end"], l["padding"], [(o, s) for o, s, _ in orgs]))
    for o, s, info in orgs:
        if o.startswith("00:80:c2"):
            print("INFO: frame %d: lldpd sent an IEEE 802.1 TLV, subtype %d" % (n, s))
    ours = [i for o, s, i in orgs if o == "0a:53:4d" and s == 1]
    if not ours:
        continue
    with_cap += 1
    if ours != [sys.argv[2]] or l.get("sami_cap") != want:
        print("FAIL: frame %d: info %s, decoded %s" % (n, ours, l.get("sami_cap")))
        bad += 1
print("RESULT: %d frames with the capability, %d bad" % (with_cap, bad))
sys.exit(1 if bad or not with_cap else 0)
EOF
rc=$?
cat "$W/frames.txt"
check "every frame decodes without malformed; the capability is exactly the encoder's" \
    test $rc = 0
check "lldpd's shutdown LLDPDU (TTL 0) was captured and decodes" \
    grep -q "ttl \[0\]" "$W/frames.txt"

# lldpd B: the TLV among its unknown TLVs with the same octets. lldpcli
# prints oui and value as upper-case comma-separated hex.
python3 - "$W/b-neighbors.json" "$INFO" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
want = sys.argv[2].upper()
ifs = d["lldp"][0].get("interface", [])
tlvs = [t for i in ifs for u in i.get("unknown-tlvs", []) for t in u.get("unknown-tlv", [])]
print("INFO: lldpd receiver unknown-tlvs:", tlvs)
ok = any(t.get("oui") == "0A,53,4D" and t.get("subtype") == "1" and t.get("value") == want
         for t in tlvs)
sys.exit(0 if ok else 1)
EOF
check "the receiving lldpd lists the TLV as unknown TLV 0A,53,4D/1 with the same octets" \
    test $? = 0

# tshark (clean, agrees with sami-sniff) and the Lua dissector on the capture
# lldpd sends the 802.3 Link Aggregation TLV (00-12-0F/3), which tshark
# flags "TLV has been deprecated" (a warning on a well-formed frame)
sami_capcheck "$SNIFF" "$W/lldp.pcap" "$W/lldp" --allow-expert "TLV has been deprecated"
if [ $CAPCHECK_TSHARK = 77 ]; then
    echo "INFO: tshark cross-check not run: $CAPCHECK_MSG"
else
    check "capture: tshark clean and agrees with sami-sniff; Lua dissector agrees ($CAPCHECK_MSG)" \
        test $CAPCHECK_TSHARK = 0 -a $CAPCHECK_LUA != 1
fi

echo "work files: $W"
[ $fails = 0 ] || { echo "lldpd-custom-tlv: $fails check(s) failed"; exit 1; }
echo "lldpd-custom-tlv: all checks passed"
