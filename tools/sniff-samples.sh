#!/bin/sh
# Decodes every capture in pcap-samples/ with sami-sniff, one line per frame
# (the transfer test key is given so HMACs are checked), then the per-type
# counts of the real lldpad exchange.
set -eu
sniff=$1 dir=$2
key=1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
for f in $(find "$dir" -name '*.pcap' | sort); do
    echo "== $f"
    "$sniff" --key "$key" -r "$f"
done
echo "== counts per message type: real lldpad station <-> lldpad bridge"
"$sniff" --stats -q -r "$dir/real/lldpad-vdp22-preassocrr-assoc-deassoc.pcap"
