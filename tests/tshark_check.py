#!/usr/bin/env python3
"""Cross-check sami-sniff against tshark on one valid capture.

    tshark_check.py SAMI_SNIFF CAPTURE [--oui XX-XX-XX] [--allow-expert MESSAGE]...

1. tshark must see the capture as clean: no _ws.malformed, no _ws.short and
   no expert info of severity warning or worse (Notes are fine: tshark 4.0's
   LLDP emits one on every EVB frame, see docs/SNIFF.md).
2. Field by field, sami-sniff --json must agree with tshark -T json where
   tshark's dissector is right: Ethernet addresses and type, ECP header
   (version, op, subtype, sequence), VDP TLV types and lengths, VSI status
   bits, type id/version, VSI ID format and VSI ID, org OUIs, LLDP TLV
   types/lengths, chassis/port id, TTL, TCP ports and payload length.
3. Where tshark 4.0 is wrong (its VDP follows draft 2.1: filter entries,
   Manager ID, PreAssoc-RR), the VDP body is checked against the frame
   bytes by an independent little parser here instead.
Every known tshark disagreement is listed in docs/SNIFF.md.

--allow-expert MESSAGE (repeatable): an expert info of severity warning or
worse with exactly this message is listed as a note instead of failing. For
captures of third-party peers whose valid frames tshark warns about (lldpd's
802.3 Link Aggregation TLV: "TLV has been deprecated", docs/INTEROP.md); the
pcap-samples tests use none.

Exit: 0 ok, 1 mismatch or tshark unhappy, 77 skipped (no tshark), 2 usage.
stdlib only.
"""
import ipaddress
import json
import os
import shutil
import struct
import subprocess
import sys

SKIP = 77
PI_WARN = 0x00600000  # epan/proto.h severities: comment, chat, note < warn < error
ALLOWED_EXPERTS = set()  # --allow-expert messages (lua_check.py shares it)


def die(msg, code=1):
    print(msg, file=sys.stderr)
    sys.exit(code)


# ---- capture reading (pcap and pcapng, enough for our samples) ----

def read_frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 4:
        die("%s: too short for a capture" % path)
    magic = data[:4]
    frames = []
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        e = "<" if magic[0] in (0xd4, 0x4d) else ">"
        pos = 24
        while pos + 16 <= len(data):
            _, _, incl, _ = struct.unpack(e + "IIII", data[pos:pos + 16])
            frames.append(data[pos + 16:pos + 16 + incl])
            pos += 16 + incl
        return frames
    if magic == b"\x0a\x0d\x0d\x0a":
        pos = 0
        e = "<"
        while pos + 12 <= len(data):
            if data[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":
                e = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            btype, blen = struct.unpack(e + "II", data[pos:pos + 8])
            if blen < 12:
                break
            if btype == 6:  # enhanced packet block
                incl = struct.unpack(e + "I", data[pos + 20:pos + 24])[0]
                frames.append(data[pos + 28:pos + 28 + incl])
            elif btype == 3:  # simple packet block
                frames.append(data[pos + 12:pos + blen - 4])
            pos += blen
        return frames
    die("%s: not a pcap/pcapng file" % path)


# ---- tshark JSON: keep duplicate keys ("VDP TLV" repeats) as pair lists ----

def pairs_hook(pairs):
    return pairs


def items(node):
    """Yields (key, value) of a JSON object kept as a pair list."""
    if isinstance(node, list):
        for kv in node:
            if isinstance(kv, tuple) and len(kv) == 2:
                yield kv


def walk(node):
    """Every (key, value) pair below node, depth first, in document order."""
    for k, v in items(node):
        yield k, v
        if isinstance(v, list):
            yield from walk(v)


def get(node, key, default=None):
    for k, v in items(node):
        if k == key:
            return v
    return default


def getall(node, key):
    return [v for k, v in items(node) if k == key]


def num(s):
    return int(s, 0) if isinstance(s, str) else int(s)


def oui_int(s):
    return int(s.replace(":", "").replace("-", ""), 16)


def hexbytes(s):
    return bytes.fromhex(s.replace(":", ""))


# ---- the independent VDP body parser (2012 layout) ----

ENTRY = {1: 2, 2: 8, 3: 6, 4: 12}


def raw_vsi(frame, off):
    """Decodes the VSI TLV whose header is at frame[off] (2012 layout)."""
    v = off + 2
    st = frame[v]
    fmt = frame[v + 22]
    count = struct.unpack(">H", frame[v + 23:v + 25])[0]
    ents = []
    p = v + 25
    size = ENTRY.get(fmt, 0)
    for _ in range(count if size else 0):
        e = frame[p:p + size]
        q = 0
        ent = {}
        if fmt in (3, 4):
            ent["group_id"] = struct.unpack(">I", e[0:4])[0]
            q = 4
        if fmt in (2, 4):
            ent["mac"] = ":".join("%02x" % b for b in e[q:q + 6])
            q += 6
        w = struct.unpack(">H", e[q:q + 2])[0]
        ent.update(ps=w >> 15, pcp=w >> 12 & 7, vid=w & 0xfff)
        ents.append(ent)
        p += size
    return {
        "status": st,
        "type_id": int.from_bytes(frame[v + 1:v + 4], "big"),
        "type_version": frame[v + 4],
        "vsi_id_format": frame[v + 5],
        "vsi_id_hex": frame[v + 6:v + 22].hex(),
        "filter_format": fmt,
        "filter_count": count,
        "filters": ents,
    }


def mac(b):
    return ":".join("%02x" % x for x in b)


def ip6(b):
    return str(ipaddress.IPv6Address(bytes(b)))


def ip4(b):
    return str(ipaddress.IPv4Address(bytes(b)))


def raw_evb(frame, off):
    b = frame[off + 6:off + 11]
    return {"bgid": b[0] >> 2 & 1, "rrcap": b[0] >> 1 & 1, "rrctr": b[0] & 1,
            "sgid": b[1] >> 3 & 1, "rrreq": b[1] >> 2 & 1, "rrstat": b[1] & 3,
            "r": b[2] >> 5, "rte": b[2] & 31, "mode": b[3] >> 6, "rol_rwd": b[3] >> 5 & 1,
            "rwd": b[3] & 31, "rol_rka": b[4] >> 5 & 1, "rka": b[4] & 31}


def raw_samicap(frame, off):
    i = off + 6
    ver, role, di, bind, port, fam = struct.unpack(">BBIBHB", frame[i:i + 10])
    alen = {0: 0, 1: 4, 2: 16}.get(fam, 0)
    a = frame[i + 10:i + 10 + alen]
    return {"version": ver, "role": role, "di_types": di, "bindings": bind, "tcp_port": port,
            "family": fam, "addr": ip4(a) if alen == 4 else ip6(a) if alen == 16 else "",
            "l2_mac": mac(frame[i + 10 + alen:i + 16 + alen])}


def raw_samitlv(frame, off, subtype):
    v = off + 2 + 4  # TLV header, OUI, subtype
    if subtype == 2:
        ver, tp, fl, _, mig, ts, dl, di = struct.unpack(">BBBBQQII", frame[v:v + 28])
        return {"version": ver, "time_point": tp, "flags": fl, "migration_id": "0x%016x" % mig,
                "timestamp_ms": ts, "next_deadline_ms": dl, "di_types": di}
    ver, verdict, tp, fl, mig, tt = struct.unpack(">BBBBQI", frame[v:v + 16])
    return {"version": ver, "verdict": verdict, "time_point": tp, "flags": fl,
            "migration_id": "0x%016x" % mig, "transfer_time_us": tt}


def raw_l2(frame):
    m, ver, op, seq, idx, cnt, plen = struct.unpack(">HBBHHHH", frame[14:26])
    return {"magic": m, "version": ver, "op": op, "seq": seq, "frag_index": idx,
            "frag_count": cnt, "payload_len": plen}


DI_LAYOUT = {  # the fixed DI layouts that are cheap to re-read here
    1: (">4s6sHI", ("ipv4", "mac", "vlan", "lease_remaining_ms")),
    2: (">16s6sHII", ("ipv6", "mac", "vlan", "lease_remaining_ms", "iaid")),
    3: (">16s6sHIB", ("ipv6", "mac", "vlan", "lifetime_remaining_ms", "state")),
    7: (">BxQQIIQI", ("direction", "packets", "bytes", "syn_count", "window_ms", "rate_bps",
                      "rate_pps")),
}


def raw_di(frame, voff, dtype):
    out = {"version": frame[voff], "op": frame[voff + 1]}
    lay = DI_LAYOUT.get(dtype)
    if lay:
        vals = struct.unpack(lay[0], frame[voff + 2:voff + 2 + struct.calcsize(lay[0])])
        for k, v in zip(lay[1], vals):
            if k == "ipv4":
                v = ip4(v)
            elif k == "ipv6":
                v = ip6(v)
            elif k == "mac":
                v = mac(v)
            out[k] = v
    return out


def raw_xfer(frame, o):
    ver, typ, fl, blen, prio = struct.unpack(">BBHIH", frame[o:o + 10])
    mig = struct.unpack(">Q", frame[o + 16:o + 24])[0]
    elems = []
    p, end = o + 24, o + 24 + blen
    while p + 4 <= end:
        et, el = struct.unpack(">HH", frame[p:p + 4])
        elems.append({"type": et, "len": el, "offset": p})
        p += 4 + el
    kid, seq = struct.unpack(">HQ", frame[end:end + 10])
    return {"version": ver, "type": typ, "flags": fl, "body_len": blen, "sender_priority": prio,
            "sender_mac": mac(frame[o + 10:o + 16]), "migration_id": "0x%016x" % mig,
            "elements": elems, "key_id": kid, "seq": seq, "tag": frame[end + 10:end + 26].hex()}


class Checker:
    def __init__(self, name):
        self.name = name
        self.errors = []
        self.checks = 0
        self.notes = set()

    def eq(self, frame_no, what, tshark_v, sniff_v):
        self.checks += 1
        if tshark_v != sniff_v:
            self.errors.append("frame %d: %s: tshark %r != sami-sniff %r"
                               % (frame_no, what, tshark_v, sniff_v))

    def fail(self, frame_no, msg):
        self.errors.append("frame %d: %s" % (frame_no, msg))

    # -- 1. tshark must be happy with the frame --
    def tshark_health(self, no, layers):
        for k, v in walk(layers):
            if k in ("_ws.malformed", "_ws.short") or k.startswith("_ws.malformed"):
                self.fail(no, "tshark reports %s" % k)
            if k == "_ws.expert":
                sev = num(get(v, "_ws.expert.severity", "0"))
                msg = get(v, "_ws.expert.message", "?")
                if sev >= PI_WARN and msg not in ALLOWED_EXPERTS:
                    self.fail(no, "tshark expert info (severity 0x%x): %s" % (sev, msg))
                elif sev >= PI_WARN:
                    self.notes.add("%s (severity 0x%x, allowed by --allow-expert)" % (msg, sev))
                else:
                    self.notes.add(msg)

    # -- 2. field comparisons --
    def eth(self, no, layers, s):
        eth = get(layers, "eth")
        if eth is None:
            return
        self.eq(no, "eth.src", get(eth, "eth.src"), s.get("src"))
        self.eq(no, "eth.dst", get(eth, "eth.dst"), s.get("dst"))
        et = get(eth, "eth.type")
        if et is not None and "vlan" not in s:
            self.eq(no, "eth.type", num(et), s.get("ethertype"))

    def ecp(self, no, layers, s, frame):
        ecp = get(layers, "ecp21")
        if ecp is None:
            if "ecp" in s:
                self.fail(no, "sami-sniff decoded ECP, tshark did not")
            return
        e = s.get("ecp")
        if e is None:
            self.fail(no, "tshark decoded ECP, sami-sniff did not")
            return
        self.eq(no, "ecp version", num(get(ecp, "ecp.ver")), e.get("version"))
        self.eq(no, "ecp op", num(get(ecp, "ecp.op")), e.get("op"))
        self.eq(no, "ecp subtype", num(get(ecp, "ecp.subtype")), e.get("subtype"))
        self.eq(no, "ecp seq", num(get(ecp, "ecp.seqno")), e.get("seq"))
        ttlvs = getall(ecp, "VDP TLV")
        # tshark 4.0 stops at the End TLV without listing it
        stlvs = [t for t in (s.get("vdp") or {}).get("tlvs", []) if t["type"] != 0]
        self.eq(no, "vdp tlv (type,len) list",
                [(num(get(t, "vdp21.tlvtype")), num(get(t, "vdp21.tlvlen"))) for t in ttlvs],
                [(t["type"], t["len"]) for t in stlvs])
        for tt, st in zip(ttlvs, stlvs):
            self.vdp_tlv(no, tt, st, frame)

    def vdp_tlv(self, no, tt, st, frame):
        typ = st["type"]
        if typ == 127:
            self.eq(no, "vdp org oui", num(get(tt, "vdp21.org_oui")), oui_int(st["oui"]))
            return
        if typ not in (1, 2, 3, 4):
            return
        # The 2012 body, decoded here from the bytes, is the reference for
        # sami-sniff (tshark 4.0 reads the draft 2.1 layout, see SNIFF.md).
        raw = raw_vsi(frame, st["offset"])
        for key in ("status", "type_id", "type_version", "vsi_id_format", "vsi_id_hex",
                    "filter_format", "filter_count"):
            self.eq(no, "vdp vsi %s (frame bytes)" % key, raw[key], st.get(key))
        self.eq(no, "vdp vsi filters (frame bytes)", raw["filters"], st.get("filters"))
        # tshark's header fields are right for the VSI types it decodes
        # (it leaves PreAssoc-RR undecoded).
        body = None
        for k, v in items(tt):
            if k.startswith("VDP "):
                body = v
        if body is None:
            self.notes.add("tshark 4.0 does not decode the body of VDP TLV type %d" % typ)
            return
        resp = st.get("response")
        self.eq(no, "vdp vsi response bit", num(walk_get(body, "vdp21.assoc.flags.req_rsp")),
                1 if resp else 0)
        if resp:
            self.eq(no, "vdp vsi hard", num(walk_get(body, "vdp21.assoc.flags.hard_error")),
                    1 if st.get("hard") else 0)
            self.eq(no, "vdp vsi keep", num(walk_get(body, "vdp21.assoc.flags.keep")),
                    1 if st.get("keep") else 0)
            self.eq(no, "vdp vsi reason", num(walk_get(body, "vdp21.assoc.error")),
                    st.get("reason"))
        else:
            self.eq(no, "vdp vsi M", num(walk_get(body, "vdp21.assoc.flags.mbit")),
                    1 if st.get("m") else 0)
            self.eq(no, "vdp vsi S", num(walk_get(body, "vdp21.assoc.flags.sbit")),
                    1 if st.get("s") else 0)
        self.eq(no, "vdp vsi type id", num(get(body, "vdp21.vsitypeid")), st.get("type_id"))
        self.eq(no, "vdp vsi type version", num(get(body, "vdp21.vsiversion")),
                st.get("type_version"))
        self.eq(no, "vdp vsi id format", num(get(body, "vdp21.vsiidformat")),
                st.get("vsi_id_format"))
        self.eq(no, "vdp vsi id", hexbytes(get(body, "vdp21.VSIID")).hex(), st.get("vsi_id_hex"))
        self.eq(no, "vdp vsi filter format", num(get(body, "vdp21.filterformat")),
                st.get("filter_format"))

    def lldp(self, no, layers, s):
        lldp = get(layers, "lldp")
        if lldp is None:
            if "lldp" in s:
                self.fail(no, "sami-sniff decoded LLDP, tshark did not")
            return
        sl = s.get("lldp")
        if sl is None:
            self.fail(no, "tshark decoded LLDP, sami-sniff did not")
            return
        ttlvs = [v for _, v in items(lldp) if get(v, "lldp.tlv.type") is not None]
        stlvs = sl.get("tlvs", [])
        self.eq(no, "lldp tlv (type,len) list",
                [(num(get(t, "lldp.tlv.type")), num(get(t, "lldp.tlv.len"))) for t in ttlvs],
                [(t["type"], t["len"]) for t in stlvs])
        for tt, st in zip(ttlvs, stlvs):
            typ = st["type"]
            if typ == 1 and get(tt, "lldp.chassis.id.mac"):
                self.eq(no, "lldp chassis id", get(tt, "lldp.chassis.id.mac"), st.get("id"))
            if typ == 1:
                self.eq(no, "lldp chassis subtype", num(get(tt, "lldp.chassis.subtype")),
                        st.get("subtype"))
            if typ == 2 and get(tt, "lldp.port.id.mac"):
                self.eq(no, "lldp port id", get(tt, "lldp.port.id.mac"), st.get("id"))
            if typ == 2:
                self.eq(no, "lldp port subtype", num(get(tt, "lldp.port.subtype")),
                        st.get("subtype"))
            if typ == 3:
                self.eq(no, "lldp ttl", num(get(tt, "lldp.time_to_live")), st.get("ttl"))
            if typ == 127:
                self.eq(no, "lldp org oui", num(get(tt, "lldp.orgtlv.oui")), oui_int(st["oui"]))

    def tcp(self, no, layers, s):
        tcp = get(layers, "tcp")
        if tcp is None or "tcp" not in s:
            return
        t = s["tcp"]
        self.eq(no, "tcp sport", num(get(tcp, "tcp.srcport")), t.get("sport"))
        self.eq(no, "tcp dport", num(get(tcp, "tcp.dstport")), t.get("dport"))
        self.eq(no, "tcp payload length", num(get(tcp, "tcp.len")), t.get("payload_len"))


    # -- 3. the frame bytes, where tshark 4.0 decodes nothing (EVB fields,
    # sami TLVs, the 0x88B5 binding, the TCP stream payload) --
    def sub(self, no, what, raw, got):
        for k, v in raw.items():
            self.eq(no, "%s %s (frame bytes)" % (what, k), v, (got or {}).get(k))

    def raw(self, no, s, frame, sami_oui):
        lldp = s.get("lldp")
        if lldp:
            for t in lldp.get("tlvs", []):
                if t["type"] != 127:
                    continue
                if oui_int(t["oui"]) == 0x0080C2 and t["subtype"] == 13 and "evb" in lldp:
                    self.sub(no, "lldp evb", raw_evb(frame, t["offset"]), lldp["evb"])
                if oui_int(t["oui"]) == sami_oui and t["subtype"] == 1 and "sami_cap" in lldp:
                    self.sub(no, "lldp sami_cap", raw_samicap(frame, t["offset"]),
                             lldp["sami_cap"])
        for t in (s.get("vdp") or {}).get("tlvs", []):
            if t["type"] == 127 and oui_int(t["oui"]) == sami_oui and "samitlv" in t:
                if t["subtype"] in (2, 3):
                    self.sub(no, "samitlv", raw_samitlv(frame, t["offset"], t["subtype"]),
                             t["samitlv"])
        if "l2" in s:
            self.sub(no, "l2", raw_l2(frame), s["l2"])
            if "xfer" in s and s["l2"].get("frag_count") == 1:
                self.xfer(no, frame, 26, s["xfer"])
        for item in s.get("stream", []):
            if item.get("kind") == "message":
                o = item["offset"]
                self.eq(no, "stream prefix (frame bytes)",
                        struct.unpack(">I", frame[o:o + 4])[0], item.get("message_len"))
                self.xfer(no, frame, o + 4, item.get("xfer"))

    def xfer(self, no, frame, o, x):
        r = raw_xfer(frame, o)
        elems = r.pop("elements")
        self.sub(no, "xfer", r, x)
        got = (x or {}).get("elements", [])
        self.eq(no, "xfer elements (frame bytes)", elems,
                [{"type": e["type"], "len": e["len"], "offset": e["offset"]} for e in got])
        for e in got:
            if "di" in e and "version" in e["di"] and "op" in e["di"]:
                self.sub(no, "xfer di", raw_di(frame, e["offset"] + 4, e["type"] & 0xff),
                         e["di"])


def walk_get(node, key):
    for k, v in walk(node):
        if k == key:
            return v
    return None


def main(argv):
    if len(argv) < 3:
        die(__doc__, 2)
    sniff, cap = argv[1], argv[2]
    extra = []
    sami_oui = 0x0A534D
    rest = argv[3:]
    while rest:
        if len(rest) < 2 or rest[0] not in ("--oui", "--allow-expert"):
            die(__doc__, 2)
        if rest[0] == "--oui":
            sami_oui = oui_int(rest[1])
            extra += rest[:2]
        else:
            ALLOWED_EXPERTS.add(rest[1])
        rest = rest[2:]
    tshark = shutil.which("tshark")
    if not tshark:
        print("SKIP: tshark is not installed (apt-get install tshark)")
        return SKIP
    frames = read_frames(cap)
    env = dict(os.environ, LC_ALL="C")
    t = subprocess.run([tshark, "-n", "-r", cap, "-T", "json"], capture_output=True, env=env)
    if t.returncode != 0:
        die("tshark failed (%d): %s" % (t.returncode, t.stderr.decode(errors="replace")))
    tj = json.loads(t.stdout.decode("utf-8", errors="replace"), object_pairs_hook=pairs_hook)
    s = subprocess.run([sniff, "--json", "-r", cap] + extra, capture_output=True)
    if s.returncode != 0:
        die("sami-sniff failed (%d): %s" % (s.returncode, s.stderr.decode(errors="replace")))
    sj = [json.loads(line) for line in s.stdout.decode("ascii").splitlines() if line.strip()]

    c = Checker(cap)
    packets = tj if isinstance(tj, list) else []
    c.eq(0, "frame count", len(packets), len(sj))
    c.eq(0, "frame count (file)", len(frames), len(sj))
    for pkt, sf, raw in zip(packets, sj, frames):
        layers = get(get(pkt, "_source"), "layers")
        no = sf.get("frame", 0)
        c.eq(no, "frame number", num(get(get(layers, "frame"), "frame.number")), no)
        if "malformed" in sf:
            m = sf["malformed"]
            c.fail(no, "sami-sniff: MALFORMED %s at %s: %s" % (m.get("code"), m.get("offset"),
                                                               m.get("what")))
        c.tshark_health(no, layers)
        c.eth(no, layers, sf)
        c.ecp(no, layers, sf, raw)
        c.lldp(no, layers, sf)
        c.tcp(no, layers, sf)
        c.raw(no, sf, raw, sami_oui)
    for n in sorted(c.notes):
        print("note (tshark, known, harmless): %s" % n)
    if c.errors:
        for e in c.errors:
            print("FAIL: %s" % e)
        print("%s: %d mismatches in %d checks" % (cap, len(c.errors), c.checks))
        return 1
    print("ok: %s: %d frames, %d checks agree" % (cap, len(sj), c.checks))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
