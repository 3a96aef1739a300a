#!/bin/sh
# Captures a real DHCP exchange between dnsmasq (server) and ISC dhclient
# (client) in two private network namespaces joined by a veth pair, into
# pcap-samples/real/dhcp-dora.pcap (+ .txt by sami-sniff). Untagged: the
# kernel this was made on had no 8021q module (tests/test_dhcpsnoop.c adds
# the 802.1Q tag to these frames itself).
#
# The exchange: the client first asks (INIT-REBOOT) for a stale address from
# another subnet, which the authoritative server refuses (NAK); then a full
# DISCOVER / OFFER / REQUEST / ACK; then the client releases the lease
# (RELEASE). The capture is taken on the server's interface.
#
# Needs root, iproute2, tcpdump, dnsmasq-base, isc-dhcp-client.
#   tools/samid/capture-dhcp.sh [OUT.pcap] [SAMI_SNIFF]
# Nothing leaves the two namespaces; both are deleted on exit and every
# process started here is stopped by its PID.
set -eu
out=${1:-pcap-samples/real/dhcp-dora.pcap}
sniff=${2:-}
srv=samid-dhcp-srv cli=samid-dhcp-cli
tmp=$(mktemp -d /tmp/samid-dhcp.XXXXXX)
pids=""

cleanup() {
    for p in $pids; do kill "$p" 2>/dev/null || true; done
    for p in $pids; do wait "$p" 2>/dev/null || true; done
    ip netns del "$srv" 2>/dev/null || true
    ip netns del "$cli" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$srv"
ip netns add "$cli"
ip link add veth-s netns "$srv" type veth peer name veth-c netns "$cli"
for ns in "$srv" "$cli"; do
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=1
    ip netns exec "$ns" ip link set lo up
done
ip netns exec "$srv" ip link set veth-s address 02:00:5e:10:00:01 up
ip netns exec "$cli" ip link set veth-c address 52:54:00:12:34:56 up
ip netns exec "$srv" ip addr add 10.99.0.1/24 dev veth-s

ip netns exec "$srv" tcpdump -q -n -i veth-s -s 0 -U -w "$tmp/cap.pcap" \
    'udp and (port 67 or port 68)' 2>"$tmp/tcpdump.log" &
pids="$pids $!"
sleep 1

ip netns exec "$srv" dnsmasq --keep-in-foreground --port=0 --no-resolv --no-hosts \
    --bind-interfaces --interface=veth-s --dhcp-authoritative --no-ping \
    --dhcp-range=10.99.0.50,10.99.0.60,255.255.255.0,3600 \
    --dhcp-leasefile="$tmp/dnsmasq.leases" --pid-file="$tmp/dnsmasq.pid" \
    --log-dhcp --log-facility="$tmp/dnsmasq.log" &
pids="$pids $!"
sleep 1

# dhclient's own script would rewrite the host's /etc/resolv.conf (the
# namespaces share the file system): this one only sets the address, which
# the unicast RELEASE needs to leave through the kernel's UDP socket.
cat >"$tmp/dhclient-script" <<'SCRIPT'
#!/bin/sh
case "$reason" in
BOUND|RENEW|REBIND|REBOOT)
    ip addr flush dev "$interface"
    ip addr add "$new_ip_address/24" dev "$interface" ;;
RELEASE|EXPIRE|FAIL|STOP)
    ip addr flush dev "$interface" ;;
esac
exit 0
SCRIPT
chmod +x "$tmp/dhclient-script"

# A stale lease from another subnet: dhclient starts in INIT-REBOOT.
cat >"$tmp/dhclient.leases" <<LEASE
lease {
  interface "veth-c";
  fixed-address 10.98.0.77;
  option subnet-mask 255.255.255.0;
  option dhcp-lease-time 3600;
  option dhcp-server-identifier 10.98.0.1;
  renew 4 2037/12/31 00:00:00;
  rebind 4 2037/12/31 00:00:00;
  expire 4 2037/12/31 00:00:00;
}
LEASE
dhc="dhclient -v -cf /dev/null -sf $tmp/dhclient-script -lf $tmp/dhclient.leases -pf $tmp/dhclient.pid"
# -d: stay in the foreground so that this script owns the PID.
ip netns exec "$cli" $dhc -d veth-c >"$tmp/dhclient.log" 2>&1 &
dpid=$!
pids="$pids $dpid"
i=0
until grep -q "^bound to" "$tmp/dhclient.log" 2>/dev/null; do
    i=$((i + 1))
    [ $i -lt 30 ] || { cat "$tmp/dhclient.log" >&2; echo "no lease" >&2; exit 1; }
    sleep 1
done
# -r: a second dhclient sends the RELEASE and stops the first (by the PID
# file this script chose).
ip netns exec "$cli" $dhc -r veth-c >>"$tmp/dhclient.log" 2>&1
sleep 1

cat "$tmp/dhclient.log" "$tmp/dnsmasq.log" >&2
cp "$tmp/cap.pcap" "$out"
if [ -n "$sniff" ]; then
    "$sniff" -v -r "$out" >"${out%.pcap}.txt"
fi
echo "wrote $out" >&2
