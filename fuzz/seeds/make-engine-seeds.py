#!/usr/bin/env python3
"""Builds the seed corpora of the engine harnesses (fuzz/corpus/<harness>/
for station, bridge, mig, xfer_engine, dhcpsnoop, samid_config).

The engine harnesses read their input as a sequence of operations (see the
comment at the top of each fuzz/fuzz_<harness>.c); the seeds here are
scripted scenarios in that encoding (an association with its keep-alives,
a rejection, a migration from PREPARE to COMPLETED, a whole transfer with
commit and activation, ...) so the fuzzer starts from deep states instead
of rediscovering the protocol. dhcpsnoop gets the DHCP frames of the
captures in pcap-samples/ plus hand-made ACK/NAK/RELEASE/DECLINE frames;
samid_config gets tools/samid/samid.conf.example and variants of it.

Deterministic: re-running changes nothing unless this script, a capture or
the example configuration changed.

    fuzz/seeds/make-engine-seeds.py [--out fuzz/corpus]

Standard library only. Writes only below the output directory."""

import argparse
import os
import re
import shutil
import struct

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HARNESSES = ["station", "bridge", "mig", "xfer_engine", "dhcpsnoop", "samid_config"]


def opk(code, mod, k, kmod):
    """The smallest opcode octet with octet % mod == code and
    (octet >> 4) % kmod == k (the harnesses read both from one octet)."""
    for o in range(256):
        if o % mod == code and (o >> 4) % kmod == k:
            return o
    raise ValueError((code, mod, k, kmod))


def u16(v):
    return struct.pack(">H", v & 0xFFFF)


def u32(v):
    return struct.pack(">I", v & 0xFFFFFFFF)


# ------------------------------------------------------------- station --
# header: p0 (r = p0 & 7, rte = p0 >> 3), rwd, rka
S_HDR = bytes([3 | (6 << 3), 10, 12])


def s_request(op, vsi, hints=0, org=0):
    a = (op - 1) | (0x10 if hints == "M" else 0x20 if hints == "S" else 0)
    b = bytes([7, a, vsi])
    return b + (bytes([1 | (8 << 2)]) + bytes(11) if org else bytes([0]))


S_ACK = bytes([1, 0, 0])


def s_response(reason=0, keep=False, hard=False, deassoc_form=False):
    how = 0x80 if deassoc_form else 0
    st = 0x40 if reason == 0 and not keep else (reason & 0x0F) | (0x20 if keep else 0) | (0x10 if hard else 0)
    if reason == 0 and keep:
        st = 0x40 | 0x20
    return bytes([2, how, 0, st, 1, 0])


S_DEADLINE = bytes([5])


def station_seeds():
    assoc = S_HDR + s_request(3, 0) + S_ACK + s_response()
    yield "assoc-keepalive", assoc + (S_DEADLINE + S_ACK + s_response()) * 3
    yield "preassoc-assoc-deassoc", (S_HDR + s_request(1, 0) + S_ACK + s_response() +
                                     s_request(3, 0, "M") + S_ACK + s_response() +
                                     s_request(4, 0) + S_ACK + s_response())
    yield "reject-keep", assoc + s_request(3, 0, "S", org=1) + S_ACK + s_response(reason=2, keep=True)
    yield "reject-deassoc-form", S_HDR + s_request(2, 1) + S_ACK + s_response(reason=3, deassoc_form=True)
    yield "timeouts", S_HDR + s_request(3, 2) + S_DEADLINE * 6 + s_request(3, 2) + S_ACK + S_DEADLINE * 3
    yield "bridge-deassoc", assoc + bytes([3, 0, 0, 1, 0])
    yield "table-full", (S_HDR + s_request(3, 0) + S_ACK + s_response() + s_request(3, 1) + S_ACK +
                         s_response() + s_request(3, 2) + S_ACK + s_response() + s_request(3, 3))
    yield "org-params", (S_HDR + bytes([8, 1 | (4 << 2)]) + bytes(7) + S_ACK +
                         bytes([9, 0, 5, 4, 15, 15]) + s_request(3, 0) + bytes([9, 1, 2, 3, 4, 5, 6, 7, 8]) +
                         S_ACK + s_response())
    yield "supersede-keepalive", (assoc + S_DEADLINE + s_request(3, 0, "S") + S_ACK + s_response() +
                                  S_ACK + s_response())


# -------------------------------------------------------------- bridge --
# header: p0 (nv = 1 + (p0 & 3), r = (p0 >> 2) & 7, rte = p0 >> 5), rwd, rka
B_HDR = bytes([1 | (3 << 2) | (4 << 5), 10, 12])


def b_request(op, vsi, hints=0, accept=True, reason=0, keep=False, seq="next", org=0):
    a = vsi | ((op - 1) << 3)
    s = (0x10 if hints == "M" else 0x20 if hints == "S" else 0)
    o = (1 | (8 << 2)) if org else 0
    body = bytes([1, a, s, o]) + (bytes(32) if org else b"")
    sel = 4 if seq == "next" else 0
    body += bytes([sel, 0])
    if op != 4:  # the policy decides (not for DeAssoc or keep-alives)
        body += bytes([1 if accept else ((reason & 15) << 4) | (8 if keep else 0)])
    return body


B_ACK = bytes([3, 0, 0])
B_DEADLINE = bytes([5])


def bridge_seeds():
    assoc = B_HDR + b_request(3, 0) + B_ACK
    yield "assoc-keepalive", assoc + (bytes([4]) + u16(60000) + bytes([2, 0, 4, 0]) + B_ACK) * 3
    yield "assoc-expire", assoc + B_DEADLINE * 3 + B_ACK + B_DEADLINE * 2
    yield "preassoc-assoc-deassoc", (B_HDR + b_request(1, 0) + B_ACK + b_request(3, 0, "M") + B_ACK +
                                     b_request(4, 0) + B_ACK)
    yield "reject-keep", assoc + b_request(3, 0, "S", accept=False, reason=2, keep=True) + B_ACK
    yield "full-table", (B_HDR + b_request(3, 0) + B_ACK + b_request(3, 1) + B_ACK + b_request(3, 2) + B_ACK +
                         b_request(3, 3) + B_ACK + b_request(3, 4) + B_ACK)
    yield "duplicate-seq", assoc + b_request(3, 1, seq="same") + B_ACK
    yield "host-deassoc-org", assoc + bytes([7, 0]) + B_ACK + bytes([8, 10]) + bytes(14) + B_ACK
    yield "policy-off-params", (B_HDR + bytes([22]) + b_request(3, 0)[:-1] + B_ACK + bytes([10]) +
                                bytes([9, 0, 5, 4, 15, 15]) + b_request(3, 0) + B_ACK)
    yield "two-tlvs", B_HDR + bytes([11, 0, 0, 1 << 3, 0, 0, 4, 0, 1, 1]) + B_ACK


# ----------------------------------------------------------------- mig --
# mig_hv header: mode 0, ack_timeout, retries | reasks << 3, verdict_wait,
# linger, ntab, failure mask (u32)
H_HDR = bytes([0, 50, 3 | (2 << 3), 100, 20, 3]) + u32(0)


def h_start(k, dest=False):
    return bytes([opk(0, 10, k, 4), (4 if dest else 0)])


def h_tp(k, tp, hint=None):
    return bytes([opk(1, 10, k, 4), tp]) + (bytes([1]) + u16(hint) if hint else bytes([0]))


def h_fb(k, verdict, results=0):
    b = bytes([opk(4, 10, k, 4), verdict]) + u32(1234) + bytes([results])
    for i in range(results):
        b += bytes([0]) + u16(10 + i)
    return b


H_RUN = bytes([8])


def mig_seeds():
    src = H_HDR + h_start(0) + h_tp(0, 1, 5000) + h_fb(0, 0)
    yield "hv-source-proceed", (src + h_tp(0, 2) + h_fb(0, 0) + h_fb(0, 1, 2) + h_tp(0, 4) + h_fb(0, 0) +
                                H_RUN * 2)
    yield "hv-source-rollback", src + h_tp(0, 2) + h_fb(0, 2) + bytes([2, 0, 1]) + h_fb(0, 0) + H_RUN
    yield "hv-dest", (H_HDR + h_start(1, dest=True) + h_tp(1, 1) + h_fb(1, 0) + h_tp(1, 3) + h_fb(1, 1) +
                      h_tp(1, 4) + h_fb(1, 0))
    yield "hv-timeouts", H_HDR + h_start(2) + h_tp(2, 1) + H_RUN * 6 + h_tp(2, 2) + h_fb(2, 0) + H_RUN * 6
    yield "hv-abort-refused", src + bytes([2, 0, 3]) + h_fb(0, 1) + bytes([3]) + H_RUN
    yield "hv-ack-then-rollback", src + h_fb(0, 2) + bytes([9, 3]) + u16(0x0064) + bytes([3, 4, 5])
    # mig_bridge header: mode 1, margin, prepare, commit, activate, purge,
    # linger, ntab, failure mask (u32)
    g_hdr = bytes([1, 5, 50, 50, 50, 50, 50, 3]) + u32(0)

    def notif(k, tp, orig, dest, hint=0):
        a = k | ((tp - 1) << 2)
        b = 0x10 if hint else 0
        w = next(x for x in range(32) if x % 3 == orig and (x >> 2) % 3 == dest)
        return bytes([0, a, b]) + (u16(hint) if hint else b"") + bytes([w])

    def ev(k, e, n=0):
        return bytes([2, k | (e << 2), 0, n]) + bytes(3) * n

    run = bytes([4])
    yield "br-origin-proceed", (g_hdr + notif(0, 1, 0, 1, 3000) + ev(0, 1) + notif(0, 2, 0, 1) + ev(0, 2, 2) +
                                ev(0, 5) + ev(0, 6) + notif(0, 4, 0, 1) + run)
    yield "br-dest-proceed", (g_hdr + notif(1, 1, 1, 0) + ev(1, 4, 1) + notif(1, 3, 1, 0) + ev(1, 5) +
                              notif(1, 4, 1, 0) + ev(1, 6) + run)
    yield "br-local", g_hdr + notif(2, 1, 0, 0) + notif(2, 2, 0, 0) + notif(2, 3, 0, 0) + notif(2, 4, 0, 0)
    yield "br-failures", (g_hdr + notif(0, 1, 0, 1) + ev(0, 3) + notif(0, 2, 0, 1) + notif(1, 1, 0, 2) +
                          notif(3, 1, 1, 2) + run * 4)
    yield "br-abort-timeouts", (g_hdr + notif(0, 1, 0, 1) + notif(0, 2, 0, 1) + run + notif(0, 5, 0, 1) +
                                notif(1, 1, 1, 0) + run * 3)


# --------------------------------------------------------- xfer_engine --
# header: o0 (rto ms - 1 in bits 0..5, retries), o1 (window, batch size),
# o2 (per-migration limit, migrations), o3 (total limit, message size),
# then the records of VM 0 and VM 1 (16-bit maps)
X_HDR_SMALL = bytes([9 | (2 << 6), 0 | (1 << 1) | (3 << 3), 1, 0]) + u16(0x00FF) + u16(0x0F00)
X_HDR_BIG = bytes([19, 1 | (3 << 1) | (15 << 3), 0, 1]) + u16(0xFFFF) + u16(0x0001)


def x_host(sub, a, *rest):
    return bytes([4 | (sub << 4), a]) + bytes(rest)


X_DELIVER = bytes([0, 1])
X_DEADLINE = bytes([6 | 0x80])


def x_flow(k, deliveries=24, extra=b""):
    s = x_host(1, k, 200) + x_host(0, k, 200)  # expect at B, precopy at A
    s += X_DELIVER * deliveries + extra
    s += x_host(2, k, 200)  # freeze + commit
    s += X_DELIVER * deliveries
    s += x_host(3, k)  # activate at B
    s += X_DELIVER * 8
    return s


def xfer_engine_seeds():
    yield "happy-small", X_HDR_SMALL + x_flow(0)
    yield "happy-big", X_HDR_BIG + x_flow(0, 40)
    learner = x_host(7, 0, 5, 9) + x_host(7, 0, 40, 1) + x_host(8, 0, 3)
    yield "delta", X_HDR_SMALL + x_flow(0, extra=learner)
    lossy = (bytes([2 << 4, 1]) + X_DELIVER * 2 + bytes([3 << 4, 1]) + X_DELIVER + X_DEADLINE) * 8
    yield "lossy", X_HDR_SMALL + x_host(1, 0, 200) + x_host(0, 0, 200) + lossy + x_host(2, 0, 200) + lossy
    yield "abort-dest", X_HDR_SMALL + x_host(1, 1, 200) + x_host(0, 1, 200) + X_DELIVER * 12 + x_host(4, 4, 7) + X_DELIVER * 6
    yield "unsolicited-backoff", X_HDR_SMALL + x_host(0, 0, 200) + (X_DELIVER * 4 + X_DEADLINE) * 4 + x_host(1, 0, 200) + X_DELIVER * 20
    yield "forgeries", X_HDR_SMALL + x_host(1, 0, 200) + x_host(0, 0, 200) + bytes([4 << 4, 1]) + u16(30) + bytes([4, 0]) + bytes([3]) + u16(60) + bytes(60) + X_DELIVER * 20
    yield "deadlines", X_HDR_SMALL + x_host(1, 0, 3) + x_host(0, 0, 2) + X_DELIVER * 3 + bytes([7]) + u32(5000000) + X_DELIVER * 6


# ----------------------------------------------------------- dhcpsnoop --

def read_pcap(path):
    with open(path, "rb") as f:
        raw = f.read()
    e = "<" if raw[:4] == b"\xd4\xc3\xb2\xa1" else ">"
    pos, frames = 24, []
    while pos + 16 <= len(raw):
        _, _, incl, _ = struct.unpack(e + "IIII", raw[pos:pos + 16])
        pos += 16
        frames.append(raw[pos:pos + incl])
        pos += incl
    return frames


def ip_csum(h):
    s = 0
    for i in range(0, len(h), 2):
        s += (h[i] << 8) | h[i + 1]
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


def dhcp_frame(msg_type, vm, yiaddr=b"\0\0\0\0", ciaddr=b"\0\0\0\0", opts=b"", vlan=None, server=True):
    chaddr = bytes([0x52, 0x54, 0, 0, 0, vm])
    bootp = bytes([2 if server else 1, 1, 6, 0]) + u32(0x1234) + bytes(4) + ciaddr + yiaddr + bytes(8)
    bootp += chaddr + bytes(10) + bytes(64) + bytes(128) + b"\x63\x82\x53\x63"
    bootp += bytes([53, 1, msg_type]) + opts + bytes([255])
    sport, dport = (67, 68) if server else (68, 67)
    udp = u16(sport) + u16(dport) + u16(8 + len(bootp)) + u16(0) + bootp
    ip = bytearray(bytes([0x45, 0]) + u16(20 + len(udp)) + bytes(4) + bytes([64, 17]) + bytes(2) +
                   bytes([10, 0, 0, 1]) + bytes([255, 255, 255, 255]))
    ip[10:12] = u16(ip_csum(bytes(ip)))
    eth = bytes([0xFF] * 6) + bytes([0x02, 0, 0, 0, 0, 0x99])
    if vlan is not None:
        eth += b"\x81\x00" + u16(vlan)
    return eth + b"\x08\x00" + bytes(ip) + udp


def dh_op(frame, op=0):
    return bytes([op]) + u16(len(frame)) + frame


def dhcpsnoop_seeds():
    d = os.path.join(ROOT, "pcap-samples")
    for sub in sorted(os.listdir(d)):
        p = os.path.join(d, sub)
        if not os.path.isdir(p):
            continue
        for name in sorted(os.listdir(p)):
            if not name.endswith(".pcap") or "dhcp" not in name or "dhcpv6" in name:
                continue
            frames = read_pcap(os.path.join(p, name))
            if "dora" in name or len(frames) <= 8:
                yield "pcap-" + name[:-5], u16(100) + b"".join(dh_op(f) for f in frames)
    ack = dhcp_frame(5, 0, yiaddr=bytes([10, 0, 0, 5]), opts=bytes([51, 4]) + u32(3600) + bytes([54, 4, 10, 0, 0, 1]))
    ack2 = dhcp_frame(5, 1, yiaddr=bytes([10, 0, 0, 6]), opts=bytes([51, 4]) + u32(0xFFFFFFFF), vlan=200)
    nak = dhcp_frame(6, 0)
    rel = dhcp_frame(7, 0, ciaddr=bytes([10, 0, 0, 5]), server=False)
    dec = dhcp_frame(4, 1, opts=bytes([50, 4, 10, 0, 0, 6]), server=False)
    unknown = dhcp_frame(5, 9, yiaddr=bytes([10, 0, 0, 7]), opts=bytes([51, 4]) + u32(60))
    yield "ack-release", u16(100) + dh_op(ack) + dh_op(ack2) + dh_op(rel) + dh_op(dec)
    yield "ack-nak-expire", u16(100) + dh_op(ack) + dh_op(nak) + dh_op(ack) + bytes([2 | (12 << 4)]) + u16(0xFFFF) + dh_op(unknown)
    yield "frozen", u16(1) + dh_op(ack) + bytes([3]) + dh_op(ack) + dh_op(rel) + bytes([3]) + dh_op(rel)
    many = b"".join(dh_op(dhcp_frame(5, i % 4, yiaddr=bytes([10, 0, 1, i]), opts=bytes([51, 4]) + u32(600)))
                    for i in range(40))
    yield "table-limit", u16(100) + many


# -------------------------------------------------------- samid_config --

def samid_config_seeds():
    with open(os.path.join(ROOT, "tools", "samid", "samid.conf.example"), "rb") as f:
        ex = f.read()
    yield "example", ex
    # without comments: shorter, same meaning
    bare = b"\n".join(l for l in ex.split(b"\n") if l.strip() and not l.strip().startswith(b"#")) + b"\n"
    yield "example-bare", bare
    # each top-level section left out in turn (most are then refused)
    sections = re.split(rb"\n(?=[a-z]+(?: \"[^\"]*\")? \{)", bare)
    for i, sec in enumerate(sections):
        name = re.match(rb"[a-z]+", sec)
        if not name:
            continue
        rest = b"\n".join(s for j, s in enumerate(sections) if j != i)
        yield "without-%d-%s" % (i, name.group(0).decode()), rest
    yield "minimal", (b'bridge {\n  id = "8000:02:53:4d:00:00:01"\n}\n'
                      b'downlink "eth1" {\n  policy = accept-all\n}\n')
    yield "l2-peer", (b'bridge { id = "8000:02:53:4d:00:00:01" }\n'
                      b'downlink "eth1" { policy = reject-all }\n'
                      b'transfer { binding = l2\n interface = "eth9" }\n'
                      b'peer "8000:02:53:4d:00:00:02" { l2-mac = 02:53:4d:00:00:02 }\n'
                      b'key 7 { secret = "hex:000102030405060708090a0b0c0d0e0f" }\n')
    yield "errors", (b'bridge { id = "zz" }\n/* unclosed\n')
    yield "unclosed", b'bridge {\n  id = "8000:02:53:4d:00:00:01"\n'


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", default=os.path.join(ROOT, "fuzz", "corpus"))
    args = ap.parse_args()
    gens = {"station": station_seeds, "bridge": bridge_seeds, "mig": mig_seeds,
            "xfer_engine": xfer_engine_seeds, "dhcpsnoop": dhcpsnoop_seeds,
            "samid_config": samid_config_seeds}
    total = 0
    for h in HARNESSES:
        d = os.path.join(args.out, h)
        if os.path.isdir(d):
            shutil.rmtree(d)
        os.makedirs(d)
        seen = set()
        for name, data in gens[h]():
            if data in seen:
                continue
            seen.add(data)
            with open(os.path.join(d, name), "wb") as f:
                f.write(data)
            total += 1
    print("wrote %d seeds for %d harnesses under %s" % (total, len(HARNESSES), args.out))


if __name__ == "__main__":
    main()
