#!/usr/bin/env python3
"""Builds the fuzzers' seed corpora (fuzz/corpus/<harness>/) from the
captures in pcap-samples/ and the hex vectors in tests/vectors_*.h.

Each seed is cut to the layer its harness decodes (ECPDU, VDP ULPDU, sami TLV
value, LLDPDU, transfer message, L2 frame sequence, stream bytes, DI record),
so the fuzzers start deep instead of rediscovering the framing. Malformed
samples are kept: they seed the error paths. Output is deterministic (names
from the source, content-deduplicated), so re-running changes nothing unless
a capture or vector changed.

    fuzz/seeds/make-seeds.py [--out fuzz/corpus]     (from anywhere)

Standard library only. Writes only below the output directory."""

import argparse
import hashlib
import os
import re
import shutil
import struct
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SAMI_OUI = b"\x0a\x53\x4d"
HARNESSES = ["ecp", "vdp", "notif", "feedback", "lldp", "xfer", "xfer_l2", "stream", "di",
             "roundtrip"]


class Corpus:
    def __init__(self):
        self.seeds = {h: {} for h in HARNESSES}  # harness -> content -> name

    def add(self, harness, name, data):
        data = bytes(data)
        names = self.seeds[harness]
        if data in names:
            return
        base = re.sub(r"[^A-Za-z0-9_.-]+", "-", name)[:80]
        taken = set(names.values())
        cand, i = base, 1
        while cand in taken:
            i += 1
            cand = "%s-%d" % (base, i)
        names[data] = cand

    def write(self, out):
        for h in HARNESSES:
            d = os.path.join(out, h)
            if os.path.isdir(d):
                shutil.rmtree(d)
            os.makedirs(d)
            for data, name in sorted(self.seeds[h].items(), key=lambda kv: kv[1]):
                with open(os.path.join(d, name), "wb") as f:
                    f.write(data)


# ---------------------------------------------------------------- pcap --

def read_pcap(path):
    """Frames of a classic pcap file (either byte order)."""
    with open(path, "rb") as f:
        raw = f.read()
    magic = raw[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        e = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        e = ">"
    else:
        raise ValueError("%s: not a classic pcap" % path)
    pos, frames = 24, []
    while pos + 16 <= len(raw):
        _, _, incl, _ = struct.unpack(e + "IIII", raw[pos:pos + 16])
        pos += 16
        frames.append(raw[pos:pos + incl])
        pos += incl
    return frames


def ether(frame):
    """(ethertype, payload) of an Ethernet II frame, one VLAN tag skipped."""
    if len(frame) < 14:
        return None, b""
    et = struct.unpack(">H", frame[12:14])[0]
    off = 14
    if et == 0x8100 and len(frame) >= 18:
        et = struct.unpack(">H", frame[16:18])[0]
        off = 18
    return et, frame[off:]


def tcp_payload(ip):
    if len(ip) < 20 or ip[0] >> 4 != 4 or ip[9] != 6:
        return None
    ihl = (ip[0] & 15) * 4
    total = struct.unpack(">H", ip[2:4])[0]
    tcp = ip[ihl:total]
    if len(tcp) < 20:
        return None
    return tcp[(tcp[12] >> 4) * 4:]


# ---------------------------------------------------------- protocol cuts --

def vdp_tlvs(ulpdu):
    pos = 0
    while pos + 2 <= len(ulpdu):
        h = struct.unpack(">H", ulpdu[pos:pos + 2])[0]
        t, n = h >> 9, h & 0x1FF
        if pos + 2 + n > len(ulpdu):
            return
        yield t, ulpdu[pos + 2:pos + 2 + n]
        if t == 0:
            return
        pos += 2 + n


def add_vdp(c, name, ulpdu):
    c.add("vdp", name, ulpdu)
    for t, v in vdp_tlvs(ulpdu):
        if t == 127 and len(v) >= 4 and v[:3] == SAMI_OUI:
            if v[3] == 2:
                c.add("notif", name, v)
            elif v[3] == 3:
                c.add("feedback", name, v)


def add_ecp(c, name, ecpdu):
    c.add("ecp", name, ecpdu)
    if len(ecpdu) >= 4:
        w0 = struct.unpack(">H", ecpdu[:2])[0]
        if (w0 >> 10) & 3 == 0 and w0 & 0x3FF == 1 and len(ecpdu) > 4:
            add_vdp(c, name, ecpdu[4:])


def xfer_elements(msg):
    if len(msg) < 50:
        return
    body_len = struct.unpack(">I", msg[4:8])[0]
    body = msg[24:24 + body_len]
    pos = 0
    while pos + 4 <= len(body):
        t, n = struct.unpack(">HH", body[pos:pos + 4])
        yield t, body[pos + 4:pos + 4 + n]
        pos += 4 + n


def add_xfer(c, name, msg):
    c.add("xfer", name, msg)
    for t, v in xfer_elements(msg):
        if t & 0xFF00 == 0x0100 and t & 0xFF:
            c.add("di", "%s-di%d" % (name, t & 0xFF), bytes([t & 0xFF]) + v)


def l2_sequence(frames, sel=0x2F, trim=0):
    """The xfer_l2 harness format: selector octet, buffer trim octet, then
    [len16][frame]... sel 0x2F: 8 KiB reassembly buffer, MTU 13 + 5 * 48 = 253."""
    out = bytearray([sel, trim])
    for f in frames:
        out += struct.pack(">H", len(f)) + f
    return bytes(out)


def l2_reassemble(frames):
    msgs, cur, want = [], bytearray(), None
    for f in frames:
        if len(f) < 12 or f[:2] != b"SM" or f[3] != 1:
            continue
        idx, cnt, plen = struct.unpack(">HHH", f[6:12])
        if idx == 0:
            cur, want = bytearray(), cnt
        cur += f[12:12 + plen]
        if want is not None and idx + 1 == want:
            msgs.append(bytes(cur))
            want = None
    return msgs


def stream_seed(data, sel=0x57, seed=b"\x12\x34\x56\x78"):
    """The stream harness format: selector, 4-octet chunk seed, stream.
    sel 0x57: 8 KiB buffer, no lower limit, chunks up to 186 octets."""
    return bytes([sel]) + seed + data


def add_pcap(c, path):
    name = os.path.splitext(os.path.basename(path))[0]
    l2 = []
    for i, fr in enumerate(read_pcap(path)):
        et, pl = ether(fr)
        tag = "%s-%d" % (name, i + 1)
        if et == 0x8940:
            add_ecp(c, "pcap-" + tag, pl)
        elif et == 0x88CC:
            c.add("lldp", "pcap-" + tag, pl)
        elif et == 0x88B5:
            l2.append(pl)
            c.add("xfer_l2", "pcap-" + tag, l2_sequence([pl]))
        elif et == 0x0800:
            data = tcp_payload(pl)
            if data:
                c.add("stream", "pcap-" + tag, stream_seed(data))
                if len(data) > 4:
                    add_xfer(c, "pcap-" + tag, data[4:])
    if l2:
        c.add("xfer_l2", "pcap-" + name, l2_sequence(l2))
        for k, m in enumerate(l2_reassemble(l2)):
            add_xfer(c, "pcap-%s-msg%d" % (name, k + 1), m)


# -------------------------------------------------------------- vectors --

VEC_RE = re.compile(r'\{\s*"([A-Za-z0-9_-]+)"\s*,\s*((?:"[^"]*"\s*)+)\}')


def read_vectors(path):
    with open(path) as f:
        text = f.read()
    for m in VEC_RE.finditer(text):
        hexs = "".join(re.findall(r'"([^"]*)"', m.group(2)))
        hexs = re.sub(r"\s+", "", hexs)
        if not re.fullmatch(r"(?:[0-9a-fA-F]{2})*", hexs):
            continue
        yield m.group(1), bytes.fromhex(hexs)


DI_TYPES = ["dhcp", "dhcpv6", "nd", "dot1x", "acl", "igmp", "counters", "firewall"]


def add_vectors(c, tests):
    for name, data in read_vectors(os.path.join(tests, "vectors_ecp.h")):
        add_ecp(c, "vec-" + name, data)
    for name, data in read_vectors(os.path.join(tests, "vectors_vdp.h")):
        add_vdp(c, "vec-" + name, data)
    for name, data in read_vectors(os.path.join(tests, "vectors_samitlv.h")):
        c.add("notif" if "notif" in name else "feedback", "vec-" + name, data)
    for name, data in read_vectors(os.path.join(tests, "vectors_lldp.h")):
        c.add("lldp", "vec-" + name, data)
    l2 = []
    for name, data in read_vectors(os.path.join(tests, "vectors_xfer.h")):
        if name.startswith("l2-"):
            c.add("xfer_l2", "vec-" + name, l2_sequence([data]))
            if name.startswith("l2-data"):
                l2.append(data)
        elif name.startswith("xfer-stream"):
            c.add("stream", "vec-" + name, stream_seed(data))
            add_xfer(c, "vec-" + name, data[4:])
        else:
            add_xfer(c, "vec-" + name, data)
            c.add("stream", "vec-" + name, stream_seed(struct.pack(">I", len(data)) + data))
    if l2:
        c.add("xfer_l2", "vec-l2-data-all", l2_sequence(l2))
    for name, data in read_vectors(os.path.join(tests, "vectors_di.h")):
        t = name[3:].split("-")[0] if name.startswith("di-") else ""
        if t in DI_TYPES:
            c.add("di", "vec-" + name, bytes([DI_TYPES.index(t) + 1]) + data)


def add_stream_mixes(c):
    """A few multi-message streams, in different chunkings and limits."""
    msgs = [d for d, n in c.seeds["xfer"].items() if n.startswith("vec-xfer-")]
    msgs.sort()
    if not msgs:
        return
    stream = b"".join(struct.pack(">I", len(m)) + m for m in msgs[:4])
    for sel in (0x07, 0x17, 0xF7, 0x3F):
        c.add("stream", "mix-%02x" % sel, stream_seed(stream, sel, b"\x00\x00\x00\x01"))


def add_roundtrip(c):
    """Roundtrip seeds: one per mode with three fill patterns (the structs
    are built from these octets; the fuzzer takes it from there)."""
    modes = ["ecp", "vdp", "notif", "feedback", "lldp", "evb", "samicap", "xfer", "l2", "di",
             "replay", "prefix"]
    for m, mode in enumerate(modes):
        c.add("roundtrip", "%s-zero" % mode, bytes([m]) + bytes(160))
        c.add("roundtrip", "%s-ones" % mode, bytes([m]) + bytes([1]) * 160)
        c.add("roundtrip", "%s-ramp" % mode, bytes([m]) + bytes(range(1, 161)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "fuzz", "corpus"))
    ap.add_argument("--pcaps", default=os.path.join(ROOT, "pcap-samples"))
    ap.add_argument("--tests", default=os.path.join(ROOT, "tests"))
    args = ap.parse_args()

    c = Corpus()
    pcaps = []
    for d, _, files in os.walk(args.pcaps):
        pcaps += [os.path.join(d, f) for f in files if f.endswith(".pcap")]
    for p in sorted(pcaps):
        add_pcap(c, p)
    add_vectors(c, args.tests)
    add_stream_mixes(c)
    add_roundtrip(c)
    c.write(args.out)
    total = 0
    for h in HARNESSES:
        size = sum(len(d) for d in c.seeds[h])
        total += size
        print("%-10s %4d seeds %7d octets" % (h, len(c.seeds[h]), size))
    print("total      %7d octets" % total)
    return 0


if __name__ == "__main__":
    sys.exit(main())
