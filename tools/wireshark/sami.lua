-- sami.lua: Wireshark / tshark Lua dissector for sami (IEEE 802.1Qbg VM state
-- migration).  See tools/wireshark/README.md and docs/PROTOCOL.md.
--
--   * ethertype 0x8940: ECP header + VDP (802.1Qbg-2012 layout, replacing
--     tshark 4.0's draft-2.1 ECP21/VDP21 for these frames), with the sami
--     notification / feedback org TLVs decoded field by field;
--   * LLDP org TLV with the sami OUI (lldp.orgtlv.oui table): capability TLV;
--   * ethertype 0x88B5: transfer L2 binding ('SM' header, whole messages);
--   * TCP port 5757 (preference): transfer stream binding.
--
-- Every read is bounds-checked first: malformed input adds expert info
-- (sami.malformed) and stops that part of the decode; it never raises a Lua
-- error.  Written for the Wireshark 4.0 Lua API (Lua 5.2, no bit operators).

local sami = Proto("sami", "sami 802.1Qbg VM state migration")
local p_ecp = Proto("sami_ecp", "sami ECP/VDP (IEEE 802.1Qbg-2012)")
local p_l2 = Proto("sami_l2", "sami transfer L2 binding")
local p_tcp = Proto("sami_tcp", "sami transfer stream binding")
local p_cap = Proto("sami_cap", "sami LLDP capability TLV")

sami.prefs.oui = Pref.string("sami OUI", "0A-53-4D",
    "OUI of the sami org TLVs (VDP notification/feedback, LLDP capability), XX-XX-XX")
sami.prefs.tcp_port = Pref.uint("Transfer TCP port", 5757, "TCP port of the transfer stream binding")

---------------------------------------------------------------------------
-- small helpers (Lua 5.2: arithmetic instead of bit operators)
local function shr(v, n) return math.floor(v / 2 ^ n) end
local function band_low(v, bits) return v % (2 ^ bits) end
local function bit_set(v, b) return math.floor(v / 2 ^ b) % 2 == 1 end

local function parse_oui(s)
    local h = tostring(s or ""):gsub("[-:%s]", "")
    if #h ~= 6 or not h:match("^%x+$") then return nil end
    return tonumber(h, 16)
end

---------------------------------------------------------------------------
-- value strings
local VDP_TLV = { [0] = "End", [1] = "PreAssoc", [2] = "PreAssoc-RR", [3] = "Assoc",
    [4] = "DeAssoc", [5] = "Manager ID", [127] = "Org" }
local ECP_OP = { [0] = "request", [1] = "ack" }
local ECP_SUB = { [1] = "VDP", [2] = "PE CSP" }
local REASON = { [0] = "success", [1] = "invalid format", [2] = "insufficient resources",
    [3] = "unable to contact VSI manager", [4] = "other failure",
    [5] = "invalid VID, GroupID or MAC" }
local IDFMT = { [1] = "IPv4", [2] = "IPv6", [3] = "MAC", [4] = "local", [5] = "UUID" }
local FILTFMT = { [1] = "VID", [2] = "MAC/VID", [3] = "GroupID/VID", [4] = "GroupID/MAC/VID" }
local FILTSIZE = { [1] = 2, [2] = 8, [3] = 6, [4] = 12 }
local TP = { [1] = "PREPARE", [2] = "SUSPENDED", [3] = "RESUMED", [4] = "COMPLETED", [5] = "ABORTED" }
local VERDICT = { [0] = "PENDING", [1] = "PROCEED", [2] = "ROLLBACK" }
local DISTATUS = { [0] = "OK", [1] = "PARTIAL", [2] = "FAILED", [3] = "UNSUPPORTED", [4] = "TIMEOUT" }
local FBREASON = { [0] = "NONE", [1] = "LIMIT_REACHED", [2] = "AUTH_FAILURE",
    [3] = "PEER_UNREACHABLE", [4] = "REJECTED", [5] = "DIGEST_MISMATCH",
    [6] = "DEADLINE_MISSED", [7] = "ABORTED", [8] = "UNSUPPORTED_VERSION", [9] = "INTERNAL" }
local ABORT = { [1] = "OPERATOR", [2] = "HYPERVISOR_ERROR", [3] = "DI_ROLLBACK",
    [4] = "TIMEOUT", [5] = "OTHER" }
local NOTIF_EL = { [1] = "VM identity", [2] = "MAC/VLAN", [3] = "IPv4 address",
    [4] = "IPv6 address", [5] = "original bridge", [6] = "destination bridge",
    [7] = "abort reason" }
local FB_EL = { [1] = "per-DI-type result", [2] = "bridge" }
local ORGSUB = { [1] = "capability", [2] = "migration notification", [3] = "migration feedback" }
local ROLE = { [1] = "station", [2] = "bridge", [3] = "both" }
local FAMILY = { [0] = "none", [1] = "IPv4", [2] = "IPv6" }
local L2OP = { [1] = "DATA", [2] = "ACK" }
local XTYPE = { [1] = "HELLO", [2] = "PRECOPY", [3] = "DELTA", [4] = "COMMIT", [5] = "RESULT",
    [6] = "ACTIVATE", [7] = "PURGE", [8] = "ABORT", [9] = "ACK" }
local XEL = { [1] = "CAPS", [2] = "NAME", [3] = "VM_ID", [4] = "GENERATION", [5] = "COUNTS",
    [6] = "DIGEST", [7] = "STATUS", [8] = "TYPE_RESULT", [9] = "SNAPSHOT_TIME",
    [10] = "ACKED_SEQ" }
local DITYPE = { [1] = "dhcp", [2] = "dhcpv6", [3] = "nd", [4] = "dot1x", [5] = "acl",
    [6] = "igmp", [7] = "counters", [8] = "firewall" }
for t, n in pairs(DITYPE) do XEL[0x100 + t] = "DI " .. n end
local DIOP = { [1] = "upsert", [2] = "delete" }

---------------------------------------------------------------------------
-- fields
local F = {}
local flist = {}
local function fld(key, pf) F[key] = pf; flist[#flist + 1] = pf end
local U8, U16, U24, U32, U64 = ProtoField.uint8, ProtoField.uint16, ProtoField.uint24,
    ProtoField.uint32, ProtoField.uint64
local DEC, HEX = base.DEC, base.HEX

-- ECP
fld("ecp", ProtoField.none("sami.ecp", "ECP header"))
fld("ecp.version", U16("sami.ecp.version", "Version", DEC, nil, 0xF000))
fld("ecp.op", U16("sami.ecp.op", "Operation", DEC, ECP_OP, 0x0C00))
fld("ecp.subtype", U16("sami.ecp.subtype", "Subtype", DEC, ECP_SUB, 0x03FF))
fld("ecp.seq", U16("sami.ecp.seq", "Sequence", DEC))
fld("ecp.padding", ProtoField.bytes("sami.ecp.padding", "Padding"))
-- VDP
fld("vdp", ProtoField.none("sami.vdp", "VDP ULPDU (802.1Qbg-2012)"))
fld("vdp.tlv", ProtoField.none("sami.vdp.tlv", "VDP TLV"))
fld("vdp.tlv.type", U16("sami.vdp.tlv.type", "TLV type", DEC, VDP_TLV, 0xFE00))
fld("vdp.tlv.len", U16("sami.vdp.tlv.len", "TLV length", DEC, nil, 0x01FF))
fld("vdp.tlv.value", ProtoField.bytes("sami.vdp.tlv.value", "Value"))
fld("vdp.padding", ProtoField.bytes("sami.vdp.padding", "Padding"))
fld("vdp.mgrid", ProtoField.bytes("sami.vdp.mgrid", "Manager ID"))
fld("vdp.mgrid_text", ProtoField.string("sami.vdp.mgrid_text", "Manager ID (as text/address)"))
-- VSI
fld("vsi.status", U8("sami.vsi.status", "Status", HEX))
fld("vsi.response", ProtoField.bool("sami.vsi.response", "Response", 8, nil, 0x40))
fld("vsi.m", ProtoField.bool("sami.vsi.m", "M (migrate-to hint)", 8, nil, 0x10))
fld("vsi.s", ProtoField.bool("sami.vsi.s", "S (suspended hint)", 8, nil, 0x20))
fld("vsi.hard", ProtoField.bool("sami.vsi.hard", "Hard error", 8, nil, 0x10))
fld("vsi.keep", ProtoField.bool("sami.vsi.keep", "Keep", 8, nil, 0x20))
fld("vsi.reason", U8("sami.vsi.reason", "Reason", DEC, REASON, 0x0F))
fld("vsi.type_id", U24("sami.vsi.type_id", "VSI type id", DEC))
fld("vsi.type_version", U8("sami.vsi.type_version", "VSI type version", DEC))
fld("vsi.id_format", U8("sami.vsi.id_format", "VSI ID format", DEC, IDFMT))
fld("vsi.id", ProtoField.bytes("sami.vsi.id", "VSI ID"))
fld("vsi.id_uuid", ProtoField.guid("sami.vsi.id_uuid", "VSI ID (UUID)"))
fld("vsi.id_ipv4", ProtoField.ipv4("sami.vsi.id_ipv4", "VSI ID (IPv4)"))
fld("vsi.id_ipv6", ProtoField.ipv6("sami.vsi.id_ipv6", "VSI ID (IPv6)"))
fld("vsi.id_mac", ProtoField.ether("sami.vsi.id_mac", "VSI ID (MAC)"))
fld("vsi.filter_format", U8("sami.vsi.filter_format", "Filter info format", DEC, FILTFMT))
fld("vsi.filter_count", U16("sami.vsi.filter_count", "Number of entries", DEC))
fld("vsi.filter", ProtoField.none("sami.vsi.filter", "Filter entry"))
fld("filter.group_id", U32("sami.vsi.filter.group_id", "GroupID", DEC))
fld("filter.mac", ProtoField.ether("sami.vsi.filter.mac", "MAC"))
fld("filter.ps", U16("sami.vsi.filter.ps", "PS", DEC, nil, 0x8000))
fld("filter.pcp", U16("sami.vsi.filter.pcp", "PCP", DEC, nil, 0x7000))
fld("filter.vid", U16("sami.vsi.filter.vid", "VID", DEC, nil, 0x0FFF))
-- org TLV
fld("org.oui", U24("sami.org.oui", "OUI", HEX))
fld("org.subtype", U8("sami.org.subtype", "Subtype", DEC))
fld("org.info", ProtoField.bytes("sami.org.info", "Information"))
-- notification
fld("notif", ProtoField.none("sami.notif", "sami migration notification"))
fld("notif.version", U8("sami.notif.version", "Version", DEC))
fld("notif.time_point", U8("sami.notif.time_point", "Time point", DEC, TP))
fld("notif.flags", U8("sami.notif.flags", "Flags", HEX))
fld("notif.feedback_wanted", ProtoField.bool("sami.notif.feedback_wanted", "Feedback wanted", 8, nil, 0x01))
fld("notif.sender_is_source", ProtoField.bool("sami.notif.sender_is_source", "Sender is source side", 8, nil, 0x02))
fld("notif.reserved", U8("sami.notif.reserved", "Reserved", HEX))
fld("notif.migration_id", U64("sami.notif.migration_id", "Migration id", HEX))
fld("notif.timestamp_ms", U64("sami.notif.timestamp_ms", "Timestamp (ms since epoch)", DEC))
fld("notif.next_deadline_ms", U32("sami.notif.next_deadline_ms", "Next deadline (ms)", DEC))
fld("notif.di_types", U32("sami.notif.di_types", "DI types wanted", HEX))
fld("notif.element", ProtoField.none("sami.notif.element", "Notification element"))
fld("notif.element.type", U8("sami.notif.element.type", "Element type", DEC, NOTIF_EL))
fld("notif.element.len", U8("sami.notif.element.len", "Element length", DEC))
fld("notif.element.value", ProtoField.bytes("sami.notif.element.value", "Element value"))
fld("notif.ipv4", ProtoField.ipv4("sami.notif.ipv4", "IPv4 address"))
fld("notif.ipv6", ProtoField.ipv6("sami.notif.ipv6", "IPv6 address"))
fld("notif.abort_reason", U16("sami.notif.abort_reason", "Abort reason", DEC, ABORT))
fld("mac_vlan.mac", ProtoField.ether("sami.mac_vlan.mac", "MAC"))
fld("mac_vlan.ps", U16("sami.mac_vlan.ps", "PS", DEC, nil, 0x8000))
fld("mac_vlan.pcp", U16("sami.mac_vlan.pcp", "PCP", DEC, nil, 0x7000))
fld("mac_vlan.vid", U16("sami.mac_vlan.vid", "VID", DEC, nil, 0x0FFF))
-- VM identity (notification element 1, transfer VM_ID element)
fld("vm.type_id", U24("sami.vm.type_id", "VSI type id", DEC))
fld("vm.type_version", U8("sami.vm.type_version", "VSI type version", DEC))
fld("vm.id_format", U8("sami.vm.id_format", "VSI ID format", DEC, IDFMT))
fld("vm.id", ProtoField.bytes("sami.vm.id", "VSI ID"))
-- bridge reference
fld("bridge.chassis_id_subtype", U8("sami.bridge.chassis_id_subtype", "Chassis id subtype", DEC))
fld("bridge.chassis_id_len", U8("sami.bridge.chassis_id_len", "Chassis id length", DEC))
fld("bridge.chassis_id", ProtoField.string("sami.bridge.chassis_id", "Chassis id"))
fld("bridge.port_id_subtype", U8("sami.bridge.port_id_subtype", "Port id subtype", DEC))
fld("bridge.port_id_len", U8("sami.bridge.port_id_len", "Port id length", DEC))
fld("bridge.port_id", ProtoField.string("sami.bridge.port_id", "Port id"))
-- feedback
fld("fb", ProtoField.none("sami.fb", "sami migration feedback"))
fld("fb.version", U8("sami.fb.version", "Version", DEC))
fld("fb.verdict", U8("sami.fb.verdict", "Verdict", DEC, VERDICT))
fld("fb.time_point", U8("sami.fb.time_point", "Time point answered", DEC, TP))
fld("fb.flags", U8("sami.fb.flags", "Flags", HEX))
fld("fb.migration_id", U64("sami.fb.migration_id", "Migration id", HEX))
fld("fb.transfer_time_us", U32("sami.fb.transfer_time_us", "Transfer time (us)", DEC))
fld("fb.element", ProtoField.none("sami.fb.element", "Feedback element"))
fld("fb.element.type", U8("sami.fb.element.type", "Element type", DEC, FB_EL))
fld("fb.element.len", U8("sami.fb.element.len", "Element length", DEC))
fld("fb.element.value", ProtoField.bytes("sami.fb.element.value", "Element value"))
-- per-DI-type result (feedback element 1, transfer TYPE_RESULT)
fld("result.di_type", U8("sami.result.di_type", "DI type", DEC, DITYPE))
fld("result.status", U8("sami.result.status", "Status", DEC, DISTATUS))
fld("result.reason", U16("sami.result.reason", "Reason", DEC, FBREASON))
fld("result.records_sent", U32("sami.result.records_sent", "Records sent", DEC))
fld("result.records_installed", U32("sami.result.records_installed", "Records installed", DEC))
-- LLDP capability
fld("cap", ProtoField.none("sami.cap", "sami capability"))
fld("cap.oui", U24("sami.cap.oui", "OUI", HEX))
fld("cap.subtype", U8("sami.cap.subtype", "Subtype", DEC, ORGSUB))
fld("cap.version", U8("sami.cap.version", "Version", DEC))
fld("cap.role", U8("sami.cap.role", "Role", DEC, ROLE))
fld("cap.di_types", U32("sami.cap.di_types", "DI types", HEX))
fld("cap.bindings", U8("sami.cap.bindings", "Bindings", HEX))
fld("cap.bindings.tcp", ProtoField.bool("sami.cap.bindings.tcp", "TCP", 8, nil, 0x01))
fld("cap.bindings.l2", ProtoField.bool("sami.cap.bindings.l2", "L2 (0x88B5)", 8, nil, 0x02))
fld("cap.tcp_port", U16("sami.cap.tcp_port", "TCP port", DEC))
fld("cap.family", U8("sami.cap.family", "Address family", DEC, FAMILY))
fld("cap.addr_ipv4", ProtoField.ipv4("sami.cap.addr_ipv4", "Transfer address"))
fld("cap.addr_ipv6", ProtoField.ipv6("sami.cap.addr_ipv6", "Transfer address"))
fld("cap.l2_mac", ProtoField.ether("sami.cap.l2_mac", "L2 transfer MAC"))
fld("cap.info", ProtoField.bytes("sami.cap.info", "Information"))
-- L2 binding
fld("l2", ProtoField.none("sami.l2", "sami L2 binding header"))
fld("l2.magic", U16("sami.l2.magic", "Magic", HEX))
fld("l2.version", U8("sami.l2.version", "Version", DEC))
fld("l2.op", U8("sami.l2.op", "Op", DEC, L2OP))
fld("l2.seq", U16("sami.l2.seq", "Sequence", DEC))
fld("l2.frag_index", U16("sami.l2.frag_index", "Fragment index", DEC))
fld("l2.frag_count", U16("sami.l2.frag_count", "Fragment count", DEC))
fld("l2.payload_len", U16("sami.l2.payload_len", "Payload length", DEC))
fld("l2.fragment", ProtoField.bytes("sami.l2.fragment", "Fragment"))
fld("l2.padding", ProtoField.bytes("sami.l2.padding", "Padding"))
-- TCP stream binding
fld("stream.message", ProtoField.none("sami.stream.message", "Stream message"))
fld("stream.length", U32("sami.stream.length", "Message length", DEC))
fld("stream.data", ProtoField.bytes("sami.stream.data", "Continuation / partial data"))
-- transfer message
fld("xfer", ProtoField.none("sami.xfer", "sami transfer message"))
fld("xfer.version", U8("sami.xfer.version", "Version", DEC))
fld("xfer.type", U8("sami.xfer.type", "Type", DEC, XTYPE))
fld("xfer.flags", U16("sami.xfer.flags", "Flags", HEX))
fld("xfer.last", ProtoField.bool("sami.xfer.last", "LAST", 16, nil, 0x0001))
fld("xfer.response", ProtoField.bool("sami.xfer.response", "RESPONSE", 16, nil, 0x0002))
fld("xfer.body_len", U32("sami.xfer.body_len", "Body length", DEC))
fld("xfer.sender_priority", U16("sami.xfer.sender_priority", "Sender bridge priority", DEC))
fld("xfer.sender_mac", ProtoField.ether("sami.xfer.sender_mac", "Sender bridge MAC"))
fld("xfer.migration_id", U64("sami.xfer.migration_id", "Migration id", HEX))
fld("xfer.key_id", U16("sami.xfer.key_id", "Key id", DEC))
fld("xfer.seq", U64("sami.xfer.seq", "Sequence", DEC))
fld("xfer.tag", ProtoField.bytes("sami.xfer.tag", "Tag (HMAC-SHA-256/128, not verified)"))
fld("xfer.element", ProtoField.none("sami.xfer.element", "Element"))
fld("xfer.element.type", U16("sami.xfer.element.type", "Element type", HEX, XEL))
fld("xfer.element.len", U16("sami.xfer.element.len", "Element length", DEC))
fld("xfer.element.value", ProtoField.bytes("sami.xfer.element.value", "Element value"))
fld("caps.version", U8("sami.caps.version", "Version", DEC))
fld("caps.role", U8("sami.caps.role", "Role", DEC, ROLE))
fld("caps.di_types", U32("sami.caps.di_types", "DI types", HEX))
fld("caps.max_records", U32("sami.caps.max_records", "Max records per migration", DEC))
fld("caps.max_msg", U32("sami.caps.max_msg", "Max message octets", DEC))
fld("xfer.name", ProtoField.string("sami.xfer.name", "Name"))
fld("gen.base", U64("sami.gen.base", "Base generation", DEC))
fld("gen.next", U64("sami.gen.next", "New generation", DEC))
fld("count", ProtoField.none("sami.count", "Count"))
fld("count.di_type", U8("sami.count.di_type", "DI type", DEC, DITYPE))
fld("count.reserved", U8("sami.count.reserved", "Reserved", DEC))
fld("count.count", U32("sami.count.count", "Count", DEC))
fld("xfer.digest", U64("sami.xfer.digest", "Digest (FNV-1a-64 sum)", HEX))
fld("status.status", U8("sami.status.status", "Status", DEC, DISTATUS))
fld("status.reserved", U8("sami.status.reserved", "Reserved", DEC))
fld("status.reason", U16("sami.status.reason", "Reason", DEC, FBREASON))
fld("xfer.snapshot_age_ms", U32("sami.xfer.snapshot_age_ms", "Snapshot age (ms)", DEC))
fld("xfer.acked_seq", U64("sami.xfer.acked_seq", "Acked sequence", DEC))
-- DI records
fld("di", ProtoField.none("sami.di", "DI record"))
fld("di.type", U8("sami.di.type", "DI type", DEC, DITYPE))
fld("di.version", U8("sami.di.version", "Version", DEC))
fld("di.op", U8("sami.di.op", "Op", DEC, DIOP))

-- DI layouts: {key, kind}; kinds u8 u16 u32 u64 ipv4 a16 mac str
local DI_LAYOUT = {
    [1] = { { "ipv4", "ipv4" }, { "mac", "mac" }, { "vlan", "u16" }, { "lease_remaining_ms", "u32" } },
    [2] = { { "ipv6", "a16" }, { "mac", "mac" }, { "vlan", "u16" }, { "lease_remaining_ms", "u32" },
        { "iaid", "u32" } },
    [3] = { { "ipv6", "a16" }, { "mac", "mac" }, { "vlan", "u16" }, { "lifetime_remaining_ms", "u32" },
        { "state", "u8" } },
    [4] = { { "mac", "mac" }, { "authorized", "u8" }, { "eap_method", "u8" }, { "vlan", "u16" },
        { "session_remaining_ms", "u32" }, { "reauth_remaining_ms", "u32" },
        { "session_id", "str" }, { "identity", "str" }, { "filter_id", "str" } },
    [5] = { { "rule_id", "u32" }, { "action", "u8" }, { "origin", "u8" }, { "protocol", "u8" },
        { "flags", "u8" }, { "src_prefix_len", "u8" }, { "dst_prefix_len", "u8" },
        { "src", "a16" }, { "dst", "a16" }, { "src_port_lo", "u16" }, { "src_port_hi", "u16" },
        { "dst_port_lo", "u16" }, { "dst_port_hi", "u16" }, { "vlan", "u16" }, { "mac", "mac" },
        { "rate_kbps", "u32" }, { "lifetime_remaining_ms", "u32" } },
    [6] = { { "family", "u8" }, { "filter_mode", "u8" }, { "vlan", "u16" }, { "group", "a16" },
        { "source", "a16" }, { "timer_remaining_ms", "u32" } },
    [7] = { { "direction", "u8" }, { "reserved", "u8" }, { "packets", "u64" }, { "bytes", "u64" },
        { "syn_count", "u32" }, { "window_ms", "u32" }, { "rate_bps", "u64" }, { "rate_pps", "u32" } },
    [8] = { { "family", "u8" }, { "protocol", "u8" }, { "state", "u8" }, { "flags", "u8" },
        { "vlan", "u16" }, { "src", "a16" }, { "dst", "a16" }, { "src_port", "u16" },
        { "dst_port", "u16" }, { "created_age_ms", "u32" }, { "last_heard_age_ms", "u32" },
        { "expiry_remaining_ms", "u32" } },
}
local DI_FW_NAT = { { "nat_src", "a16" }, { "nat_dst", "a16" }, { "nat_src_port", "u16" },
    { "nat_dst_port", "u16" } }
local KSIZE = { u8 = 1, u16 = 2, u32 = 4, u64 = 8, ipv4 = 4, a16 = 16, mac = 6 }
local DI_VS = {
    state = { [1] = "tentative/syn_sent", [2] = "valid/syn_recv", [3] = "testing/established",
        [4] = "stale/fin_wait", [5] = "close_wait", [6] = "time_wait", [7] = "closed",
        [8] = "new", [9] = "assured" },
    action = { [1] = "permit", [2] = "deny", [3] = "rate_limit" },
    origin = { [1] = "radius", [2] = "flood_blacklist", [3] = "ids", [4] = "firewall", [5] = "other" },
    filter_mode = { [1] = "include", [2] = "exclude" },
    direction = { [1] = "in", [2] = "out" },
    family = { [4] = "ipv4", [6] = "ipv6" },
    authorized = { [0] = "unauthorized", [1] = "authorized" },
}
local DIF = {}
do
    local kinds = {}
    local function collect(l) for _, e in ipairs(l) do kinds[e[1]] = e[2] end end
    for _, l in pairs(DI_LAYOUT) do collect(l) end
    collect(DI_FW_NAT)
    local keys = {}
    for k in pairs(kinds) do keys[#keys + 1] = k end
    table.sort(keys)
    for _, k in ipairs(keys) do
        local kind, abbr = kinds[k], "sami.di." .. k
        local pf
        if kind == "u8" then pf = U8(abbr, k, DEC, DI_VS[k])
        elseif kind == "u16" then pf = U16(abbr, k, DEC)
        elseif kind == "u32" then pf = U32(abbr, k, DEC)
        elseif kind == "u64" then pf = U64(abbr, k, DEC)
        elseif kind == "ipv4" then pf = ProtoField.ipv4(abbr, k)
        elseif kind == "a16" then pf = ProtoField.ipv6(abbr, k)
        elseif kind == "mac" then pf = ProtoField.ether(abbr, k)
        else pf = ProtoField.string(abbr, k) end
        DIF[k] = pf
        flist[#flist + 1] = pf
    end
end
fld("di.strlen", U8("sami.di.strlen", "String length", DEC))
fld("di.value", ProtoField.bytes("sami.di.value", "Record value"))

sami.fields = flist

local E_MAL = ProtoExpert.new("sami.malformed", "sami: malformed", expert.group.MALFORMED,
    expert.severity.ERROR)
local E_PAD = ProtoExpert.new("sami.padding_nonzero", "sami: nonzero padding",
    expert.group.MALFORMED, expert.severity.WARN)
local E_UNK = ProtoExpert.new("sami.unknown", "sami: unknown type, skipped by length",
    expert.group.UNDECODED, expert.severity.NOTE)
local E_NOTE = ProtoExpert.new("sami.note", "sami: note", expert.group.COMMENTS_GROUP,
    expert.severity.NOTE)
sami.experts = { E_MAL, E_PAD, E_UNK, E_NOTE }

---------------------------------------------------------------------------
-- bounds-checked access
local Ctx = {}
Ctx.__index = Ctx
local function ctx(tvb, pinfo) return setmetatable({ tvb = tvb, pinfo = pinfo, len = tvb:len(), bad = false }, Ctx) end
function Ctx:mal(tree, msg)
    self.bad = true
    tree:add_proto_expert_info(E_MAL, "sami: malformed: " .. msg)
    return false
end
function Ctx:need(tree, off, n, what)
    if off < 0 or n < 0 or off + n > self.len then
        return self:mal(tree, string.format("%s: %d octets needed at offset %d, %d there", what, n,
            off, math.max(0, self.len - off)))
    end
    return true
end
function Ctx:r(off, n) return self.tvb(off, n) end
function Ctx:u(off, n) return self.tvb(off, n):uint() end
function Ctx:u64(off) return self.tvb(off, 8):uint64() end

local function mac_text(tvb, off)
    local t = {}
    for i = 0, 5 do t[#t + 1] = string.format("%02x", tvb(off + i, 1):uint()) end
    return table.concat(t, ":")
end
local function printable_text(tvb, off, n)
    local t = {}
    for i = 0, n - 1 do
        local b = tvb(off + i, 1):uint()
        if b >= 0x20 and b < 0x7f and b ~= 0x5c then t[#t + 1] = string.char(b)
        else t[#t + 1] = string.format("\\x%02x", b) end
    end
    return table.concat(t)
end
local function all_zero(tvb, off, n)
    for i = 0, n - 1 do if tvb(off + i, 1):uint() ~= 0 then return false end end
    return true
end

---------------------------------------------------------------------------
-- shared pieces
local function vm_identity(c, tree, off)
    -- 21 octets, caller checked
    tree:add(F["vm.type_id"], c:r(off, 3))
    tree:add(F["vm.type_version"], c:r(off + 3, 1))
    tree:add(F["vm.id_format"], c:r(off + 4, 1))
    tree:add(F["vm.id"], c:r(off + 5, 16))
end

local function bridge_ref(c, tree, off, n)
    if n < 6 then return c:mal(tree, "bridge reference shorter than 6 octets") end
    local cl = c:u(off + 1, 1)
    if cl == 0 or cl + 2 > n - 3 then return c:mal(tree, "bridge.chassis_id_len") end
    local pl = c:u(off + 3 + cl, 1)
    if pl == 0 or 4 + cl + pl ~= n then return c:mal(tree, "bridge.port_id_len") end
    local cs, ps = c:u(off, 1), c:u(off + 2 + cl, 1)
    local function idtext(o, l, is_mac)
        if is_mac and l == 6 then return mac_text(c.tvb, o) end
        return printable_text(c.tvb, o, l)
    end
    tree:add(F["bridge.chassis_id_subtype"], c:r(off, 1))
    tree:add(F["bridge.chassis_id_len"], c:r(off + 1, 1))
    tree:add(F["bridge.chassis_id"], c:r(off + 2, cl), idtext(off + 2, cl, cs == 4))
    tree:add(F["bridge.port_id_subtype"], c:r(off + 2 + cl, 1))
    tree:add(F["bridge.port_id_len"], c:r(off + 3 + cl, 1))
    tree:add(F["bridge.port_id"], c:r(off + 4 + cl, pl), idtext(off + 4 + cl, pl, ps == 3))
    return true
end

local function result12(c, tree, off)
    tree:add(F["result.di_type"], c:r(off, 1))
    tree:add(F["result.status"], c:r(off + 1, 1))
    tree:add(F["result.reason"], c:r(off + 2, 2))
    tree:add(F["result.records_sent"], c:r(off + 4, 4))
    tree:add(F["result.records_installed"], c:r(off + 8, 4))
end

---------------------------------------------------------------------------
-- sami notification / feedback (value from the OUI on: off, n octets)
local function notification(c, tree, off, n, info)
    local t = tree:add(F["notif"], c:r(off, n))
    if n < 32 then return c:mal(t, "notification shorter than its 32-octet fixed header") end
    local b = off + 4
    t:add(F["notif.version"], c:r(b, 1))
    if c:u(b, 1) ~= 1 then return c:mal(t, "notification version not 1") end
    t:add(F["notif.time_point"], c:r(b + 1, 1))
    local ft = t:add(F["notif.flags"], c:r(b + 2, 1))
    ft:add(F["notif.feedback_wanted"], c:r(b + 2, 1))
    ft:add(F["notif.sender_is_source"], c:r(b + 2, 1))
    t:add(F["notif.reserved"], c:r(b + 3, 1))
    t:add(F["notif.migration_id"], c:r(b + 4, 8))
    t:add(F["notif.timestamp_ms"], c:r(b + 12, 8))
    t:add(F["notif.next_deadline_ms"], c:r(b + 20, 4))
    t:add(F["notif.di_types"], c:r(b + 24, 4))
    local tp = c:u(b + 1, 1)
    info[#info + 1] = string.format("sami NOTIFY %s mig 0x%s", TP[tp] or ("tp " .. tp), c:u64(b + 4):tohex())
    if not TP[tp] then c:mal(t, "notification time point out of range") end
    local p, e = off + 32, off + n
    local seen = {}
    while p < e do
        if p + 2 > e then return c:mal(t, "notification element header truncated") end
        local et, el = c:u(p, 1), c:u(p + 1, 1)
        if p + 2 + el > e then return c:mal(t, "notification element length overruns the TLV") end
        local st = t:add(F["notif.element"], c:r(p, 2 + el))
        st:append_text(": " .. (NOTIF_EL[et] or "unknown"))
        st:add(F["notif.element.type"], c:r(p, 1))
        st:add(F["notif.element.len"], c:r(p + 1, 1))
        local v = p + 2
        local fixed = { [1] = 21, [2] = 8, [3] = 4, [4] = 16, [7] = 2 }
        if fixed[et] and el ~= fixed[et] then
            c:mal(st, string.format("%s element length %d, must be %d", NOTIF_EL[et], el, fixed[et]))
        elseif et == 1 then vm_identity(c, st, v)
        elseif et == 2 then
            st:add(F["mac_vlan.mac"], c:r(v, 6))
            st:add(F["mac_vlan.ps"], c:r(v + 6, 2))
            st:add(F["mac_vlan.pcp"], c:r(v + 6, 2))
            st:add(F["mac_vlan.vid"], c:r(v + 6, 2))
        elseif et == 3 then st:add(F["notif.ipv4"], c:r(v, 4))
        elseif et == 4 then st:add(F["notif.ipv6"], c:r(v, 16))
        elseif et == 5 or et == 6 then bridge_ref(c, st, v, el)
        elseif et == 7 then st:add(F["notif.abort_reason"], c:r(v, 2))
        else
            if el > 0 then st:add(F["notif.element.value"], c:r(v, el)) end
            st:add_proto_expert_info(E_UNK, "sami: unknown notification element " .. et)
        end
        if (et == 1 or et == 5 or et == 6 or et == 7) and seen[et] then
            c:mal(st, "duplicate " .. NOTIF_EL[et] .. " element")
        end
        seen[et] = true
        p = p + 2 + el
    end
    for _, m in ipairs({ 1, 5, 6 }) do
        if not seen[m] then c:mal(t, "mandatory element missing: " .. NOTIF_EL[m]) end
    end
    return true
end

local function feedback(c, tree, off, n, info)
    local t = tree:add(F["fb"], c:r(off, n))
    if n < 20 then return c:mal(t, "feedback shorter than its 20-octet fixed header") end
    local b = off + 4
    t:add(F["fb.version"], c:r(b, 1))
    if c:u(b, 1) ~= 1 then return c:mal(t, "feedback version not 1") end
    t:add(F["fb.verdict"], c:r(b + 1, 1))
    t:add(F["fb.time_point"], c:r(b + 2, 1))
    t:add(F["fb.flags"], c:r(b + 3, 1))
    t:add(F["fb.migration_id"], c:r(b + 4, 8))
    t:add(F["fb.transfer_time_us"], c:r(b + 12, 4))
    local vd, tp = c:u(b + 1, 1), c:u(b + 2, 1)
    info[#info + 1] = string.format("sami FEEDBACK %s (%s) mig 0x%s", VERDICT[vd] or tostring(vd),
        TP[tp] or tostring(tp), c:u64(b + 4):tohex())
    if not VERDICT[vd] then c:mal(t, "feedback verdict out of range") end
    if not TP[tp] then c:mal(t, "feedback time point out of range") end
    local p, e = off + 20, off + n
    while p < e do
        if p + 2 > e then return c:mal(t, "feedback element header truncated") end
        local et, el = c:u(p, 1), c:u(p + 1, 1)
        if p + 2 + el > e then return c:mal(t, "feedback element length overruns the TLV") end
        local st = t:add(F["fb.element"], c:r(p, 2 + el))
        st:append_text(": " .. (FB_EL[et] or "unknown"))
        st:add(F["fb.element.type"], c:r(p, 1))
        st:add(F["fb.element.len"], c:r(p + 1, 1))
        local v = p + 2
        if et == 1 then
            if el ~= 12 then c:mal(st, "result element length not 12")
            else
                result12(c, st, v)
                if c:u(v, 1) == 0 then c:mal(st, "result DI type 0") end
                if c:u(v + 1, 1) > 4 then c:mal(st, "result status out of range") end
            end
        elseif et == 2 then bridge_ref(c, st, v, el)
        else
            if el > 0 then st:add(F["fb.element.value"], c:r(v, el)) end
            st:add_proto_expert_info(E_UNK, "sami: unknown feedback element " .. et)
        end
        p = p + 2 + el
    end
    return true
end

---------------------------------------------------------------------------
-- VDP
local function vsi_tlv(c, tree, v, l, typ, info)
    if l < 25 then return c:mal(tree, "VSI TLV value shorter than 25 octets") end
    local st = c:u(v, 1)
    local s = tree:add(F["vsi.status"], c:r(v, 1))
    s:add(F["vsi.response"], c:r(v, 1))
    local resp = bit_set(st, 6)
    local desc = {}
    if resp then
        s:add(F["vsi.keep"], c:r(v, 1))
        s:add(F["vsi.hard"], c:r(v, 1))
        s:add(F["vsi.reason"], c:r(v, 1))
        desc[#desc + 1] = "rsp " .. (REASON[band_low(st, 4)] or ("reason " .. band_low(st, 4)))
        if bit_set(st, 4) then desc[#desc + 1] = "hard" end
        if bit_set(st, 5) then desc[#desc + 1] = "keep" end
    else
        s:add(F["vsi.s"], c:r(v, 1))
        s:add(F["vsi.m"], c:r(v, 1))
        desc[#desc + 1] = "req"
        if bit_set(st, 4) then desc[#desc + 1] = "M" end
        if bit_set(st, 5) then desc[#desc + 1] = "S" end
    end
    tree:add(F["vsi.type_id"], c:r(v + 1, 3))
    tree:add(F["vsi.type_version"], c:r(v + 4, 1))
    tree:add(F["vsi.id_format"], c:r(v + 5, 1))
    local fmt = c:u(v + 5, 1)
    local idt = tree:add(F["vsi.id"], c:r(v + 6, 16))
    if fmt == 1 then idt:add(F["vsi.id_ipv4"], c:r(v + 18, 4))
    elseif fmt == 2 then idt:add(F["vsi.id_ipv6"], c:r(v + 6, 16))
    elseif fmt == 3 then idt:add(F["vsi.id_mac"], c:r(v + 16, 6))
    elseif fmt == 5 then idt:add(F["vsi.id_uuid"], c:r(v + 6, 16))
    elseif fmt ~= 4 then c:mal(tree, "VSI ID format out of range") end
    tree:add(F["vsi.filter_format"], c:r(v + 22, 1))
    local cnt_item = tree:add(F["vsi.filter_count"], c:r(v + 23, 2))
    info[#info + 1] = string.format("%s %s", (VDP_TLV[typ] or "?"):upper(), table.concat(desc, " "))
    local ff, count = c:u(v + 22, 1), c:u(v + 23, 2)
    local size = FILTSIZE[ff]
    if not size then return c:mal(tree, "unknown filter info format " .. ff) end
    local room = math.floor((l - 25) / size)
    if 25 + count * size ~= l then
        c:mal(cnt_item, string.format("number of entries %d disagrees with the TLV length %d", count, l))
    end
    local p = v + 25
    for i = 1, math.min(count, room) do
        local ft = tree:add(F["vsi.filter"], c:r(p, size))
        ft:append_text(" " .. (i - 1))
        local q = p
        if ff == 3 or ff == 4 then ft:add(F["filter.group_id"], c:r(q, 4)); q = q + 4 end
        if ff == 2 or ff == 4 then ft:add(F["filter.mac"], c:r(q, 6)); q = q + 6 end
        ft:add(F["filter.ps"], c:r(q, 2))
        ft:add(F["filter.pcp"], c:r(q, 2))
        ft:add(F["filter.vid"], c:r(q, 2))
        p = p + size
    end
    return true
end

local function mgrid_text(c, v)
    local tvb = c.tvb
    -- NUL-padded printable string
    local n = 0
    while n < 16 and tvb(v + n, 1):uint() ~= 0 do n = n + 1 end
    local ok = n > 0 and all_zero(tvb, v + n, 16 - n)
    if ok then
        for i = 0, n - 1 do
            local b = tvb(v + i, 1):uint()
            if b < 0x20 or b >= 0x7f then ok = false end
        end
    end
    if ok then return tvb(v, n):string() end
    if all_zero(tvb, v, 12) then return tostring(tvb(v + 12, 4):ipv4()) end
    return tostring(tvb(v, 16):ipv6())
end

local function org_tlv(c, tree, v, l, info)
    if l < 4 then return c:mal(tree, "org TLV shorter than 4 octets") end
    tree:add(F["org.oui"], c:r(v, 3))
    tree:add(F["org.subtype"], c:r(v + 3, 1))
    local oui, sub = c:u(v, 3), c:u(v + 3, 1)
    local mine = parse_oui(sami.prefs.oui) or 0x0A534D
    if oui == mine and sub == 2 then return notification(c, tree, v, l, info) end
    if oui == mine and sub == 3 then return feedback(c, tree, v, l, info) end
    if l > 4 then tree:add(F["org.info"], c:r(v + 4, l - 4)) end
    info[#info + 1] = string.format("ORG %06x/%d len %d", oui, sub, l - 4)
    return true
end

local function vdp(c, tree, off, info)
    local vt = tree:add(F["vdp"], c:r(off, c.len - off))
    info[#info + 1] = "VDP"
    local p = off
    while p < c.len do
        local rem = c.len - p
        if rem == 1 then
            if c:u(p, 1) ~= 0 then c:mal(vt, "lone nonzero octet after the last TLV") end
            vt:add(F["vdp.padding"], c:r(p, 1))
            break
        end
        local w = c:u(p, 2)
        local typ, l = shr(w, 9), w % 512
        if typ == 0 then
            local et = vt:add(F["vdp.tlv"], c:r(p, 2))
            et:append_text(": End")
            et:add(F["vdp.tlv.type"], c:r(p, 2))
            et:add(F["vdp.tlv.len"], c:r(p, 2))
            if rem > 2 then
                local pt = vt:add(F["vdp.padding"], c:r(p + 2, rem - 2))
                if not all_zero(c.tvb, p + 2, rem - 2) then
                    c.bad = true
                    pt:add_proto_expert_info(E_PAD, "sami: nonzero octets after the VDP End TLV")
                end
            end
            if l ~= 0 then
                c.bad = true
                et:add_proto_expert_info(E_PAD, "sami: End TLV with nonzero length")
            end
            break
        end
        if p + 2 + l > c.len then
            local bt = vt:add(F["vdp.tlv"], c:r(p, rem))
            bt:add(F["vdp.tlv.type"], c:r(p, 2))
            bt:add(F["vdp.tlv.len"], c:r(p, 2))
            c:mal(bt, string.format("TLV length %d overruns the PDU (%d octets left)", l, rem - 2))
            break
        end
        local t = vt:add(F["vdp.tlv"], c:r(p, 2 + l))
        t:append_text(": " .. (VDP_TLV[typ] or ("type " .. typ)))
        t:add(F["vdp.tlv.type"], c:r(p, 2))
        t:add(F["vdp.tlv.len"], c:r(p, 2))
        local v = p + 2
        if typ >= 1 and typ <= 4 then
            vsi_tlv(c, t, v, l, typ, info)
        elseif typ == 5 then
            if l ~= 16 then c:mal(t, "Manager ID length not 16")
            else
                t:add(F["vdp.mgrid"], c:r(v, 16))
                local txt = mgrid_text(c, v)
                t:add(F["vdp.mgrid_text"], c:r(v, 16), txt)
                info[#info + 1] = 'MgrID "' .. txt .. '"'
            end
        elseif typ == 127 then
            org_tlv(c, t, v, l, info)
        else
            if l > 0 then t:add(F["vdp.tlv.value"], c:r(v, l)) end
            t:add_proto_expert_info(E_UNK, "sami: unknown VDP TLV type " .. typ)
            info[#info + 1] = string.format("TLV %d len %d", typ, l)
        end
        p = v + l
    end
end

function p_ecp.dissector(tvb, pinfo, tree)
    local c = ctx(tvb, pinfo)
    pinfo.cols.protocol = "sami-ECP"
    local root = tree:add(p_ecp, tvb())
    if not c:need(root, 0, 4, "ECP header") then
        pinfo.cols.info = "ECP (truncated header)"
        return tvb:len()
    end
    local h = root:add(F["ecp"], c:r(0, 4))
    h:add(F["ecp.version"], c:r(0, 2))
    h:add(F["ecp.op"], c:r(0, 2))
    h:add(F["ecp.subtype"], c:r(0, 2))
    h:add(F["ecp.seq"], c:r(2, 2))
    local w = c:u(0, 2)
    local ver, op, sub = shr(w, 12), shr(w, 10) % 4, w % 1024
    local info = { string.format("ECP %s seq %d", op == 1 and "ack" or (op == 0 and "req" or "op " .. op),
        c:u(2, 2)) }
    if ver ~= 1 then c:mal(h, "ECP version " .. ver .. ", not 1")
    elseif op > 1 then c:mal(h, "ECP op " .. op .. " reserved")
    elseif op == 1 then
        if tvb:len() > 4 then root:add(F["ecp.padding"], c:r(4, tvb:len() - 4)) end
    elseif sub == 1 then
        vdp(c, root, 4, info)
    elseif tvb:len() > 4 then
        root:add(F["vdp.tlv.value"], c:r(4, tvb:len() - 4))
    end
    local s = table.concat(info, " ")
    pinfo.cols.info = s
    root:append_text(": " .. s)
    return tvb:len()
end

---------------------------------------------------------------------------
-- LLDP capability TLV (the lldp.orgtlv.oui table hands over the whole TLV)
function p_cap.dissector(tvb, pinfo, tree)
    local c = ctx(tvb, pinfo)
    local t = tree:add(F["cap"], tvb())
    if not c:need(t, 0, 6, "org TLV header") then return tvb:len() end
    local l = c:u(0, 2) % 512
    t:add(F["cap.oui"], c:r(2, 3))
    t:add(F["cap.subtype"], c:r(5, 1))
    if l + 2 > c.len then return (c:mal(t, "TLV length overruns") and 0 or tvb:len()) end
    local sub = c:u(5, 1)
    if sub ~= 1 then
        if l > 4 then t:add(F["cap.info"], c:r(6, l - 4)) end
        t:add_proto_expert_info(E_UNK, "sami: LLDP sami TLV subtype " .. sub .. " (not a capability)")
        return tvb:len()
    end
    if l < 5 then c:mal(t, "capability TLV too short"); return tvb:len() end
    t:add(F["cap.version"], c:r(6, 1))
    if c:u(6, 1) ~= 1 then c:mal(t, "capability version not 1"); return tvb:len() end
    if l < 20 then c:mal(t, "capability TLV shorter than 20"); return tvb:len() end
    t:add(F["cap.role"], c:r(7, 1))
    t:add(F["cap.di_types"], c:r(8, 4))
    local bt = t:add(F["cap.bindings"], c:r(12, 1))
    bt:add(F["cap.bindings.tcp"], c:r(12, 1))
    bt:add(F["cap.bindings.l2"], c:r(12, 1))
    t:add(F["cap.tcp_port"], c:r(13, 2))
    t:add(F["cap.family"], c:r(15, 1))
    local fam = c:u(15, 1)
    local alen = ({ [0] = 0, [1] = 4, [2] = 16 })[fam]
    local role = c:u(7, 1)
    if role < 1 or role > 3 then c:mal(t, "capability role out of range") end
    if not alen then c:mal(t, "capability family out of range"); return tvb:len() end
    if l ~= 20 + alen then c:mal(t, "capability TLV length not 20 + address"); return tvb:len() end
    if alen == 4 then t:add(F["cap.addr_ipv4"], c:r(16, 4))
    elseif alen == 16 then t:add(F["cap.addr_ipv6"], c:r(16, 16)) end
    t:add(F["cap.l2_mac"], c:r(16 + alen, 6))
    t:append_text(string.format(": v1 %s", ROLE[role] or "?"))
    return tvb:len()
end

---------------------------------------------------------------------------
-- DI records and transfer messages
local function di_record(c, tree, off, n, dtype)
    local t = tree:add(F["di"], c:r(off, n))
    t:add(F["di.type"], c:r(off - 4, 2), dtype)
    t:append_text(": " .. (DITYPE[dtype] or ("type " .. dtype)))
    if n < 2 then return c:mal(t, "DI record shorter than version + op") end
    t:add(F["di.version"], c:r(off, 1))
    t:add(F["di.op"], c:r(off + 1, 1))
    local lay = DI_LAYOUT[dtype]
    if not lay then
        if n > 2 then t:add(F["di.value"], c:r(off + 2, n - 2)) end
        t:add_proto_expert_info(E_UNK, "sami: unknown DI type " .. dtype .. ", skipped")
        return true
    end
    if c:u(off, 1) ~= 1 then
        if n > 2 then t:add(F["di.value"], c:r(off + 2, n - 2)) end
        return c:mal(t, "DI " .. DITYPE[dtype] .. " version " .. c:u(off, 1) .. " unknown")
    end
    local p, e = off + 2, off + n
    local function run(l)
        for _, fd in ipairs(l) do
            local key, kind = fd[1], fd[2]
            local size = KSIZE[kind]
            if kind == "str" then
                if p + 1 > e then return c:mal(t, "DI " .. key .. " length missing") end
                local sl = c:u(p, 1)
                if sl > 253 or p + 1 + sl > e then
                    return c:mal(t, "DI " .. key .. " length " .. sl .. " runs past the record")
                end
                t:add(F["di.strlen"], c:r(p, 1))
                if sl > 0 then t:add(DIF[key], c:r(p + 1, sl), printable_text(c.tvb, p + 1, sl))
                else t:add(DIF[key], c:r(p, 1), "") end
                p = p + 1 + sl
            else
                if p + size > e then return c:mal(t, "DI " .. key .. " past the record length") end
                t:add(DIF[key], c:r(p, size))
                p = p + size
            end
        end
        return true
    end
    if not run(lay) then return false end
    if dtype == 8 and bit_set(c:u(off + 5, 1), 0) then
        if not run(DI_FW_NAT) then return false end
    end
    if p ~= e then return c:mal(t, string.format("DI record has %d octets after its layout", e - p)) end
    return true
end

local function xfer_element(c, tree, et, v, el)
    local fixed = { [1] = 14, [3] = 21, [4] = 16, [6] = 8, [7] = 4, [8] = 12, [9] = 4, [10] = 8 }
    if fixed[et] and fixed[et] ~= el then
        return c:mal(tree, string.format("%s element length %d, must be %d", XEL[et], el, fixed[et]))
    end
    if et == 1 then
        tree:add(F["caps.version"], c:r(v, 1))
        tree:add(F["caps.role"], c:r(v + 1, 1))
        tree:add(F["caps.di_types"], c:r(v + 2, 4))
        tree:add(F["caps.max_records"], c:r(v + 6, 4))
        tree:add(F["caps.max_msg"], c:r(v + 10, 4))
    elseif et == 2 then
        if el < 1 or el > 64 then return c:mal(tree, "NAME length not 1..64") end
        tree:add(F["xfer.name"], c:r(v, el), printable_text(c.tvb, v, el))
    elseif et == 3 then vm_identity(c, tree, v)
    elseif et == 4 then
        tree:add(F["gen.base"], c:r(v, 8))
        tree:add(F["gen.next"], c:r(v + 8, 8))
    elseif et == 5 then
        if el % 6 ~= 0 then return c:mal(tree, "COUNTS length not a multiple of 6") end
        for i = 0, el / 6 - 1 do
            local q = v + 6 * i
            local ct = tree:add(F["count"], c:r(q, 6))
            ct:add(F["count.di_type"], c:r(q, 1))
            ct:add(F["count.reserved"], c:r(q + 1, 1))
            ct:add(F["count.count"], c:r(q + 2, 4))
        end
    elseif et == 6 then tree:add(F["xfer.digest"], c:r(v, 8))
    elseif et == 7 then
        tree:add(F["status.status"], c:r(v, 1))
        tree:add(F["status.reserved"], c:r(v + 1, 1))
        tree:add(F["status.reason"], c:r(v + 2, 2))
    elseif et == 8 then result12(c, tree, v)
    elseif et == 9 then tree:add(F["xfer.snapshot_age_ms"], c:r(v, 4))
    elseif et == 10 then tree:add(F["xfer.acked_seq"], c:r(v, 8))
    elseif et > 0x100 and et <= 0x1FF then di_record(c, tree, v, el, et - 0x100)
    else
        if el > 0 then tree:add(F["xfer.element.value"], c:r(v, el)) end
        tree:add_proto_expert_info(E_UNK, string.format("sami: unknown transfer element 0x%04x", et))
    end
    return true
end

-- A transfer message at off; avail octets belong to it.  header_only: the
-- first fragment of a longer message (the header and nothing else).
local function xfer_message(c, tree, off, avail, info, header_only)
    local t = tree:add(F["xfer"], c:r(off, math.min(avail, c.len - off)))
    if avail < 24 or off + 24 > c.len then return c:mal(t, "transfer message shorter than its 24-octet header") end
    t:add(F["xfer.version"], c:r(off, 1))
    t:add(F["xfer.type"], c:r(off + 1, 1))
    local fl = t:add(F["xfer.flags"], c:r(off + 2, 2))
    fl:add(F["xfer.last"], c:r(off + 2, 2))
    fl:add(F["xfer.response"], c:r(off + 2, 2))
    t:add(F["xfer.body_len"], c:r(off + 4, 4))
    t:add(F["xfer.sender_priority"], c:r(off + 8, 2))
    t:add(F["xfer.sender_mac"], c:r(off + 10, 6))
    t:add(F["xfer.migration_id"], c:r(off + 16, 8))
    local ver, typ, flags, blen = c:u(off, 1), c:u(off + 1, 1), c:u(off + 2, 2), c:u(off + 4, 4)
    local s = string.format("xfer %s%s%s mig 0x%s", XTYPE[typ] or ("type " .. typ),
        bit_set(flags, 0) and " LAST" or "", bit_set(flags, 1) and " rsp" or "", c:u64(off + 16):tohex())
    info[#info + 1] = s
    t:append_text(": " .. s)
    if ver ~= 1 then return c:mal(t, "transfer version " .. ver .. ", not 1") end
    if not XTYPE[typ] then return c:mal(t, "transfer type " .. typ .. " unknown") end
    if header_only then
        t:add_proto_expert_info(E_NOTE, "sami: fragmented message: header only")
        return true
    end
    if 24 + blen + 26 ~= avail then
        return c:mal(t, string.format("body length %d: message is %d octets, %d there", blen, 50 + blen, avail))
    end
    local p, e = off + 24, off + 24 + blen
    while p < e do
        if p + 4 > e then c:mal(t, "element header truncated"); break end
        local et, el = c:u(p, 2), c:u(p + 2, 2)
        if p + 4 + el > e then c:mal(t, "element length overruns the body"); break end
        local st = t:add(F["xfer.element"], c:r(p, 4 + el))
        st:append_text(": " .. (XEL[et] or string.format("0x%04x", et)))
        st:add(F["xfer.element.type"], c:r(p, 2))
        st:add(F["xfer.element.len"], c:r(p + 2, 2))
        xfer_element(c, st, et, p + 4, el)
        p = p + 4 + el
    end
    t:add(F["xfer.key_id"], c:r(e, 2))
    t:add(F["xfer.seq"], c:r(e + 2, 8))
    t:add(F["xfer.tag"], c:r(e + 10, 16))
    return true
end

function p_l2.dissector(tvb, pinfo, tree)
    local c = ctx(tvb, pinfo)
    pinfo.cols.protocol = "sami-L2"
    local root = tree:add(p_l2, tvb())
    if not c:need(root, 0, 12, "L2 binding header") then
        pinfo.cols.info = "sami-L2 (truncated header)"
        return tvb:len()
    end
    local h = root:add(F["l2"], c:r(0, 12))
    h:add(F["l2.magic"], c:r(0, 2))
    h:add(F["l2.version"], c:r(2, 1))
    h:add(F["l2.op"], c:r(3, 1))
    h:add(F["l2.seq"], c:r(4, 2))
    h:add(F["l2.frag_index"], c:r(6, 2))
    h:add(F["l2.frag_count"], c:r(8, 2))
    h:add(F["l2.payload_len"], c:r(10, 2))
    local magic, ver, op, seq = c:u(0, 2), c:u(2, 1), c:u(3, 1), c:u(4, 2)
    local idx, cnt, plen = c:u(6, 2), c:u(8, 2), c:u(10, 2)
    local info = { string.format("sami-L2 %s seq %d frag %d/%d len %d", L2OP[op] or ("op " .. op), seq,
        idx, cnt, plen) }
    local function done()
        local s = table.concat(info, " ")
        pinfo.cols.info = s
        root:append_text(": " .. s)
        return tvb:len()
    end
    if magic ~= 0x534D then c:mal(h, "magic not 'SM'"); return done() end
    if ver ~= 1 then c:mal(h, "L2 binding version " .. ver .. ", not 1"); return done() end
    if not L2OP[op] then c:mal(h, "L2 op " .. op .. " unknown"); return done() end
    if cnt == 0 or idx >= cnt then c:mal(h, "fragment index/count inconsistent"); return done() end
    if seq == 0 then c:mal(h, "sequence 0") end
    if plen > 1488 then c:mal(h, "payload length above 1488"); return done() end
    if 12 + plen > c.len then c:mal(h, "payload length runs past the frame"); return done() end
    if op == 1 and plen == 0 then c:mal(h, "DATA without payload"); return done() end
    if op == 2 and plen ~= 0 then c:mal(h, "ACK with payload"); return done() end
    local rest = c.len - 12 - plen
    if rest > 0 then
        local pt = root:add(F["l2.padding"], c:r(12 + plen, rest))
        if 12 + plen + rest > 46 or not all_zero(tvb, 12 + plen, rest) then
            c.bad = true
            pt:add_proto_expert_info(E_PAD, "sami: trailing octets after the L2 payload")
        end
    end
    if op == 1 then
        if idx == 0 then
            xfer_message(c, root, 12, plen, info, cnt > 1)
        else
            root:add(F["l2.fragment"], c:r(12, plen))
        end
    end
    return done()
end

-- TCP: each segment on its own (no reassembly, as sami-sniff): whole
-- length-prefixed messages are decoded, anything else shown as data.
function p_tcp.dissector(tvb, pinfo, tree)
    local c = ctx(tvb, pinfo)
    if c.len == 0 then return 0 end
    pinfo.cols.protocol = "sami-TCP"
    local root = tree:add(p_tcp, tvb())
    local info = {}
    local p = 0
    while p < c.len do
        local rem = c.len - p
        local plausible = rem >= 6 and c:u(p, 4) >= 50 and c:u(p + 4, 1) == 1
        if not plausible then
            root:add(F["stream.data"], c:r(p, rem))
            info[#info + 1] = (p == 0) and ("continuation " .. rem) or ("data " .. rem)
            break
        end
        local ml = c:u(p, 4)
        if 4 + ml > rem then
            local mt = root:add(F["stream.message"], c:r(p, rem))
            mt:add(F["stream.length"], c:r(p, 4))
            mt:append_text(string.format(" (partial %d/%d)", rem - 4, ml))
            xfer_message(c, mt, p + 4, rem - 4, info, true)
            info[#info] = (info[#info] or "xfer") .. string.format(" (partial %d/%d)", rem - 4, ml)
            break
        end
        local mt = root:add(F["stream.message"], c:r(p, 4 + ml))
        mt:add(F["stream.length"], c:r(p, 4))
        xfer_message(c, mt, p + 4, ml, info, false)
        p = p + 4 + ml
    end
    local s = table.concat(info, "; ")
    pinfo.cols.info = s
    root:append_text(": " .. s)
    return c.len
end

---------------------------------------------------------------------------
-- registration
local reg = { oui = nil, port = nil }
local function register()
    local oui = parse_oui(sami.prefs.oui) or 0x0A534D
    local lt = DissectorTable.get("lldp.orgtlv.oui")
    if lt and reg.oui ~= oui then
        if reg.oui then lt:remove(reg.oui, p_cap) end
        lt:add(oui, p_cap)
        reg.oui = oui
    end
    local port = sami.prefs.tcp_port
    local tt = DissectorTable.get("tcp.port")
    if reg.port ~= port then
        if reg.port then tt:remove(reg.port, p_tcp) end
        if port and port > 0 then tt:add(port, p_tcp) end
        reg.port = port
    end
end

local eth = DissectorTable.get("ethertype")
eth:add(0x8940, p_ecp)
eth:add(0x88B5, p_l2)
register()
function sami.prefs_changed() register() end
