#!/usr/bin/env python3
"""Cross-check the Lua dissector tools/wireshark/sami.lua against sami-sniff.

    lua_check.py SAMI_SNIFF SAMI_LUA CAPTURE [--robust] [--oui XX-XX-XX]
                 [--allow-expert MESSAGE]...

Runs `tshark -X lua_script:SAMI_LUA -n -r CAPTURE -T json` and
`sami-sniff --json -r CAPTURE` and compares, frame by frame, the sami.*
fields of the Lua dissector with sami-sniff's JSON: ECP header, VDP TLV
types/lengths, Manager ID, VSI status bits, type id/version, VSI ID, filter
format, entry count and every filter entry, org OUIs/subtypes, notification
and feedback fields and elements, LLDP capability, L2 binding header, transfer
messages (header, element list, per-element fields, trailer), DI records
(every field sami-sniff shows) and the stream length prefixes.  The Lua
dissector must raise no Lua error, and tshark must report no _ws.malformed,
no sami.malformed and no expert info of severity warning or worse.

--allow-expert MESSAGE: as in tshark_check.py (a peer's valid frame tshark
warns about; only the interop captures use it).

--robust (for the malformed samples): only checks that the Lua dissector
raises no Lua error and that tshark succeeds; expert info is expected there.

Exit: 0 ok, 1 mismatch, 77 skipped (no tshark), 2 usage.  stdlib only.
"""
import ipaddress
import json
import os
import re
import shutil
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tshark_check as tc  # noqa: E402  (pairs_hook, items, get, getall, walk, PI_WARN)

SKIP = 77
MAC_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2}){5}$")
BYTES_RE = re.compile(r"^[0-9a-f]{2}(:[0-9a-f]{2})*$")


def canon(v):
    """One comparable form for a tshark JSON string or a sami-sniff JSON value."""
    if isinstance(v, bool):
        return int(v)
    if isinstance(v, int):
        return v
    if not isinstance(v, str):
        return v
    s = v.lower()
    if MAC_RE.match(s):
        return s
    joined = False
    if BYTES_RE.match(s):
        s = s.replace(":", "")
        joined = True
    if re.match(r"^0x[0-9a-f]+$", s):
        return int(s, 16)
    if re.match(r"^[0-9]+$", s):
        return int(s)
    if joined or re.match(r"^[0-9a-f]+$", s):
        return s
    if ":" in s:
        try:
            a = ipaddress.IPv6Address(s)
            return str(a.ipv4_mapped) if a.ipv4_mapped else str(a)
        except ValueError:
            pass
    return v


def oui_int(s):
    return int(s.replace(":", "").replace("-", ""), 16)


# ---- the tshark JSON tree (pair lists) ----

def flat(node):
    """Scalar fields of a container, including fields under <field>_tree."""
    out = {}
    for k, v in tc.items(node):
        if isinstance(v, list):
            if k.endswith("_tree"):
                for kk, vv in flat(v).items():
                    out.setdefault(kk, vv)
        else:
            out.setdefault(k, v)
    return out


def find_all(node, key):
    """Every container named key below node (document order), not nested in another one."""
    res = []
    for k, v in tc.items(node):
        if k == key:
            res.append(v)
        elif isinstance(v, list):
            res.extend(find_all(v, key))
    return res


class Checker:
    def __init__(self):
        self.errors = []
        self.checks = 0

    def eq(self, no, what, lua_v, sniff_v):
        self.checks += 1
        a, b = canon(lua_v), canon(sniff_v)
        if a != b:
            self.errors.append("frame %d: %s: lua %r != sami-sniff %r" % (no, what, lua_v, sniff_v))

    def fail(self, no, msg):
        self.errors.append("frame %d: %s" % (no, msg))

    def fields(self, no, what, lua_flat, sniff, mapping):
        """mapping: sniff key -> lua field; compares the keys sami-sniff has."""
        for sk, lk in mapping.items():
            if sk in sniff:
                self.eq(no, "%s %s" % (what, sk), lua_flat.get(lk), sniff[sk])

    # -- ECP / VDP --
    def ecp(self, no, layer, s):
        lua = find_all(layer, "sami.ecp")
        if "ecp" not in s:
            if lua:
                self.fail(no, "lua decoded ECP, sami-sniff did not")
            return
        if not lua:
            self.fail(no, "sami-sniff decoded ECP, lua did not")
            return
        self.fields(no, "ecp", flat(lua[0]), s["ecp"],
                    {k: "sami.ecp." + k for k in ("version", "op", "subtype", "seq")})
        vdp = find_all(layer, "sami.vdp")
        stlvs = (s.get("vdp") or {}).get("tlvs", [])
        ltlvs = find_all(vdp[0], "sami.vdp.tlv") if vdp else []
        self.eq(no, "vdp tlv (type,len) list",
                [(canon(flat(t).get("sami.vdp.tlv.type")), canon(flat(t).get("sami.vdp.tlv.len")))
                 for t in ltlvs],
                [(t["type"], t["len"]) for t in stlvs])
        for lt, st in zip(ltlvs, stlvs):
            self.vdp_tlv(no, lt, st)

    def vdp_tlv(self, no, lt, st):
        f = flat(lt)
        typ = st["type"]
        if typ == 5:
            self.fields(no, "mgrid", f, st, {"mgrid_hex": "sami.vdp.mgrid", "mgrid": "sami.vdp.mgrid_text"})
        elif typ in (1, 2, 3, 4):
            m = {k: "sami.vsi." + k for k in ("status", "response", "type_id", "type_version",
                                               "filter_format", "filter_count")}
            m.update(vsi_id_format="sami.vsi.id_format", vsi_id_hex="sami.vsi.id")
            if st.get("response"):
                m.update({k: "sami.vsi." + k for k in ("reason", "hard", "keep")})
            else:
                m.update(m="sami.vsi.m", s="sami.vsi.s")
            self.fields(no, "vsi", f, st, m)
            self.records(no, "vsi filters", find_all(lt, "sami.vsi.filter"), st.get("filters", []),
                         {k: "sami.vsi.filter." + k for k in ("group_id", "mac", "ps", "pcp", "vid")})
        elif typ == 127:
            self.eq(no, "org oui", f.get("sami.org.oui"), oui_int(st["oui"]))
            self.eq(no, "org subtype", f.get("sami.org.subtype"), st["subtype"])
            sam = st.get("samitlv")
            if sam is None:
                if st.get("info_len", 0) > 0:
                    self.eq(no, "org info", (f.get("sami.org.info") or "").replace(":", ""),
                            st.get("info"))
            elif sam.get("kind") == "notification":
                self.notification(no, lt, sam)
            elif sam.get("kind") == "feedback":
                self.feedback(no, lt, sam)

    def records(self, no, what, lua_list, sniff_list, mapping):
        self.eq(no, what + " count", len(lua_list), len(sniff_list))
        for i, (lr, sr) in enumerate(zip(lua_list, sniff_list)):
            self.fields(no, "%s[%d]" % (what, i), flat(lr), sr, mapping)

    def elements(self, node, cont, typekey):
        return [(canon(flat(e).get(typekey)), e) for e in find_all(node, cont)]

    def bridge(self, no, what, elem, ref):
        self.fields(no, what, flat(elem), ref,
                    {k: "sami.bridge." + k for k in ("chassis_id_subtype", "chassis_id",
                                                      "port_id_subtype", "port_id")})

    def vm(self, no, what, f, vm):
        self.fields(no, what, f, vm, {"type_id": "sami.vm.type_id", "type_version": "sami.vm.type_version",
                                      "vsi_id_format": "sami.vm.id_format"})
        if vm.get("vsi_id_format") == 5:
            self.eq(no, what + " vsi_id", f.get("sami.vm.id"), vm.get("vsi_id", "").replace("-", ""))

    def notification(self, no, lt, sam):
        n = find_all(lt, "sami.notif")
        if not n:
            self.fail(no, "lua did not decode the notification")
            return
        f = flat(n[0])
        self.fields(no, "notif", f, sam, {k: "sami.notif." + k for k in (
            "version", "time_point", "flags", "feedback_wanted", "sender_is_source", "migration_id",
            "timestamp_ms", "next_deadline_ms", "di_types")})
        els = self.elements(n[0], "sami.notif.element", "sami.notif.element.type")
        by = {}
        for t, e in els:
            by.setdefault(t, []).append(e)
        if "vm" in sam:
            self.vm(no, "notif vm", flat((by.get(1) or [[]])[0]), sam["vm"])
        self.records(no, "notif mac_vlans", by.get(2, []), sam.get("mac_vlans", []),
                     {k: "sami.mac_vlan." + k for k in ("mac", "ps", "pcp", "vid")})
        self.eq(no, "notif ipv4", [flat(e).get("sami.notif.ipv4") for e in by.get(3, [])],
                sam.get("ipv4", []))
        self.eq(no, "notif ipv6", [canon(flat(e).get("sami.notif.ipv6")) for e in by.get(4, [])],
                [canon(x) for x in sam.get("ipv6", [])])
        for key, t in (("orig_bridge", 5), ("dest_bridge", 6)):
            if key in sam:
                self.bridge(no, "notif " + key, (by.get(t) or [[]])[0], sam[key])
        self.eq(no, "notif abort_reason",
                flat((by.get(7) or [[]])[0]).get("sami.notif.abort_reason"), sam.get("abort_reason"))

    def feedback(self, no, lt, sam):
        n = find_all(lt, "sami.fb")
        if not n:
            self.fail(no, "lua did not decode the feedback")
            return
        f = flat(n[0])
        self.fields(no, "feedback", f, sam, {k: "sami.fb." + k for k in (
            "version", "verdict", "time_point", "flags", "migration_id", "transfer_time_us")})
        by = {}
        for t, e in self.elements(n[0], "sami.fb.element", "sami.fb.element.type"):
            by.setdefault(t, []).append(e)
        self.records(no, "feedback results", by.get(1, []), sam.get("results", []),
                     {k: "sami.result." + k for k in ("di_type", "status", "reason", "records_sent",
                                                       "records_installed")})
        if "bridge" in sam:
            self.bridge(no, "feedback bridge", (by.get(2) or [[]])[0], sam["bridge"])

    # -- LLDP capability --
    def cap(self, no, layers, s):
        lua = find_all(layers, "sami.cap")
        sc = (s.get("lldp") or {}).get("sami_cap")
        if sc is None:
            if lua and "lldp" in s:
                # sami-sniff lists a sami TLV it could not decode as a plain org TLV
                self.fail(no, "lua shows a sami capability, sami-sniff none")
            return
        if not lua:
            self.fail(no, "sami-sniff decoded the sami capability, lua did not")
            return
        f = flat(lua[0])
        self.fields(no, "cap", f, sc, {k: "sami.cap." + k for k in (
            "version", "role", "di_types", "bindings", "tcp_port", "family", "l2_mac")})
        addr = f.get("sami.cap.addr_ipv4") or f.get("sami.cap.addr_ipv6") or ""
        self.eq(no, "cap addr", addr, sc.get("addr"))

    # -- transfer --
    XFER_HDR = ("version", "type", "flags", "last", "response", "body_len", "sender_priority",
                "sender_mac", "migration_id", "key_id", "seq", "tag")
    ELEM_MAP = {
        1: {k: "sami.caps." + k for k in ("version", "role", "di_types", "max_records", "max_msg")},
        2: {"name": "sami.xfer.name"},
        3: {"type_id": "sami.vm.type_id", "type_version": "sami.vm.type_version",
            "vsi_id_format": "sami.vm.id_format"},
        4: {"base": "sami.gen.base", "next": "sami.gen.next"},
        6: {"digest": "sami.xfer.digest"},
        7: {"status": "sami.status.status", "reason": "sami.status.reason"},
        8: {"di_type": "sami.result.di_type", "status": "sami.result.status",
            "reason": "sami.result.reason", "sent": "sami.result.records_sent",
            "installed": "sami.result.records_installed"},
        9: {"snapshot_age_ms": "sami.xfer.snapshot_age_ms"},
        10: {"acked_seq": "sami.xfer.acked_seq"},
    }

    def xfer(self, no, what, lx, sx):
        if lx is None:
            self.fail(no, "%s: lua did not decode the transfer message" % what)
            return
        f = flat(lx)
        self.fields(no, what, f, sx, {k: "sami.xfer." + k for k in self.XFER_HDR})
        lels = find_all(lx, "sami.xfer.element")
        sels = sx.get("elements", [])
        self.eq(no, what + " elements (type,len)",
                [(canon(flat(e).get("sami.xfer.element.type")), canon(flat(e).get("sami.xfer.element.len")))
                 for e in lels],
                [(e["type"], e["len"]) for e in sels])
        for i, (le, se) in enumerate(zip(lels, sels)):
            lf = flat(le)
            w = "%s element[%d] 0x%04x" % (what, i, se["type"])
            if se["type"] in self.ELEM_MAP:
                self.fields(no, w, lf, se, self.ELEM_MAP[se["type"]])
            if se["type"] == 5:
                self.records(no, w + " counts", find_all(le, "sami.count"), se.get("counts", []),
                             {"di_type": "sami.count.di_type", "count": "sami.count.count"})
            if "di" in se:
                d = find_all(le, "sami.di")
                if not d:
                    self.fail(no, w + ": lua did not decode the DI record")
                    continue
                df = flat(d[0])
                keys = {k: "sami.di." + k for k in se["di"]
                        if not k.endswith("_name") and k not in ("note", "value")}
                self.fields(no, w + " di", df, se["di"], keys)

    def l2(self, no, layers, s):
        lua = find_all(layers, "sami.l2")
        if "l2" not in s:
            if lua:
                self.fail(no, "lua decoded an L2 binding header, sami-sniff did not")
            return
        if not lua:
            self.fail(no, "sami-sniff decoded the L2 binding, lua did not")
            return
        self.fields(no, "l2", flat(lua[0]), s["l2"], {k: "sami.l2." + k for k in (
            "magic", "version", "op", "seq", "frag_index", "frag_count", "payload_len")})
        lx = find_all(layers, "sami.xfer")
        if "xfer" in s:
            self.xfer(no, "l2 xfer", lx[0] if lx else None, s["xfer"])
        elif lx:
            self.fail(no, "lua decoded a transfer message, sami-sniff did not")

    def stream(self, no, layers, s):
        msgs = find_all(layers, "sami.stream.message")
        items = [i for i in s.get("stream", []) if i.get("kind") in ("message", "partial")]
        self.eq(no, "stream messages", len(msgs), len(items))
        for i, (lm, si) in enumerate(zip(msgs, items)):
            self.eq(no, "stream[%d] length" % i, flat(lm).get("sami.stream.length"),
                    si.get("message_len"))
            if si.get("kind") == "message" and "xfer" in si:
                lx = find_all(lm, "sami.xfer")
                self.xfer(no, "stream[%d] xfer" % i, lx[0] if lx else None, si["xfer"])

    def health(self, no, layers):
        for k, v in tc.walk(layers):
            if k.startswith("_ws.malformed") or k == "_ws.short":
                self.fail(no, "tshark reports %s" % k)
            if k.startswith("_ws.lua.error") or "Lua Error" in k:
                self.fail(no, "Lua error: %r" % ((k, v),))
            if k == "_ws.expert":
                sev = canon(tc.get(v, "_ws.expert.severity", "0"))
                msg = tc.get(v, "_ws.expert.message", "?")
                if sev >= tc.PI_WARN and msg not in tc.ALLOWED_EXPERTS:
                    self.fail(no, "expert info (severity 0x%x): %s" % (sev, msg))
            if k == "sami.malformed":
                self.fail(no, "lua: sami.malformed")


SAMI_MODULES = ("ecp", "vdp", "samitlv", "samicap", "l2", "xfer", "di", "stream")


def lua_errors(packets):
    errs = []
    for pkt in packets:
        layers = tc.get(tc.get(pkt, "_source"), "layers")
        for k, v in tc.walk(layers):
            if k.startswith("_ws.lua.error") or "Lua Error" in k:
                errs.append(k)
    return errs


def lua_experts(layers):
    return {k for k, _ in tc.walk(layers) if k in ("sami.malformed", "sami.padding_nonzero")}


def write_pcap(path, frames):
    import struct
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
        for i, fr in enumerate(frames):
            f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)))
            f.write(fr)


def robust_check(tshark, lua, sniff, cap, packets, prefs):
    """Malformed samples: no Lua error; every frame sami-sniff reports malformed
    in a sami module shows sami.malformed (or nonzero padding) expert info.
    Then every cut and a few octet flips of the sample's frames: no Lua error."""
    import tempfile
    fails = ["Lua error: %s" % e for e in lua_errors(packets)]
    s = subprocess.run([sniff, "--json", "-r", cap], capture_output=True)
    sj = [json.loads(line) for line in s.stdout.decode("ascii").splitlines() if line.strip()]
    flagged = 0
    for pkt, sf in zip(packets, sj):
        layers = tc.get(tc.get(pkt, "_source"), "layers")
        m = sf.get("malformed")
        if m and m.get("module") in SAMI_MODULES:
            flagged += 1
            if not lua_experts(layers):
                fails.append("frame %d: sami-sniff: %s %s, lua: no sami.malformed expert info"
                             % (sf["frame"], m.get("code"), m.get("what")))
    frames = tc.read_frames(cap)[:20]
    variants = []
    for fr in frames:
        for n in range(14, len(fr)):
            variants.append(fr[:n])
        for i in range(14, min(len(fr), 120)):
            b = bytearray(fr)
            b[i] ^= 0xff
            variants.append(bytes(b))
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "mut.pcap")
        write_pcap(path, variants)
        t = run_tshark(tshark, lua, path, prefs)
        if t.returncode != 0:
            fails.append("tshark failed on the mutated frames: %s" % t.stderr.decode(errors="replace"))
        else:
            mp = json.loads(t.stdout.decode("utf-8", errors="replace"), object_pairs_hook=tc.pairs_hook)
            errs = lua_errors(mp if isinstance(mp, list) else [])
            fails += ["mutated frame: %s" % e for e in errs[:20]]
    if fails:
        for e in fails:
            print("FAIL: %s" % e)
        return 1
    print("ok (robust): %s: %d frames (%d malformed in a sami layer, all flagged), "
          "%d cut/flipped variants, no Lua error" % (cap, len(packets), flagged, len(variants)))
    return 0


def run_tshark(tshark, lua, cap, extra_prefs):
    env = dict(os.environ, LC_ALL="C")
    cmd = [tshark, "-n", "-X", "lua_script:" + lua] + extra_prefs + ["-r", cap, "-T", "json"]
    return subprocess.run(cmd, capture_output=True, env=env)


def main(argv):
    args = argv[1:]
    robust = "--robust" in args
    args = [a for a in args if a != "--robust"]
    oui = None
    if "--oui" in args:
        i = args.index("--oui")
        oui = args[i + 1]
        del args[i:i + 2]
    while "--allow-expert" in args:
        i = args.index("--allow-expert")
        if i + 1 >= len(args):
            tc.die(__doc__, 2)
        tc.ALLOWED_EXPERTS.add(args[i + 1])
        del args[i:i + 2]
    if len(args) != 3:
        tc.die(__doc__, 2)
    sniff, lua, cap = args
    tshark = shutil.which("tshark")
    if not tshark:
        print("SKIP: tshark is not installed (apt-get install tshark)")
        return SKIP
    prefs = ["-o", "sami.oui:" + oui] if oui else []
    t = run_tshark(tshark, lua, cap, prefs)
    out = t.stdout.decode("utf-8", errors="replace")
    err = t.stderr.decode("utf-8", errors="replace")
    if t.returncode != 0:
        tc.die("tshark failed (%d): %s" % (t.returncode, err))
    for text in (out, err):
        if "Lua Error" in text or "lua_script" in text and "rror" in text:
            tc.die("%s: Lua error:\n%s" % (cap, "\n".join(l for l in (out + err).splitlines()
                                                          if "Lua" in l or "lua" in l)[:4000]))
    tj = json.loads(out, object_pairs_hook=tc.pairs_hook)
    packets = tj if isinstance(tj, list) else []
    if robust:
        return robust_check(tshark, lua, sniff, cap, packets, prefs)

    s = subprocess.run([sniff, "--json", "-r", cap] + (["--oui", oui] if oui else []),
                       capture_output=True)
    if s.returncode != 0:
        tc.die("sami-sniff failed (%d): %s" % (s.returncode, s.stderr.decode(errors="replace")))
    sj = [json.loads(line) for line in s.stdout.decode("ascii").splitlines() if line.strip()]
    c = Checker()
    c.eq(0, "frame count", len(packets), len(sj))
    for pkt, sf in zip(packets, sj):
        layers = tc.get(tc.get(pkt, "_source"), "layers")
        no = sf.get("frame", 0)
        if "malformed" in sf:
            c.fail(no, "sami-sniff: MALFORMED in a valid sample: %s" % sf["malformed"])
        c.health(no, layers)
        c.ecp(no, layers, sf)
        c.cap(no, layers, sf)
        c.l2(no, layers, sf)
        c.stream(no, layers, sf)
    if c.errors:
        for e in c.errors[:200]:
            print("FAIL: %s" % e)
        print("%s: %d mismatches in %d fields compared" % (cap, len(c.errors), c.checks))
        return 1
    print("ok: %s: %d frames, %d fields compared, 0 mismatches" % (cap, len(sj), c.checks))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
