/* ecp, vdp and samitlv families: ECPDUs carrying VDP ULPDUs, with and
 * without the sami notification / feedback org TLVs.
 *
 * Every VDP PDU starts with a Manager ID TLV (lldpad refuses PDUs that do
 * not) and ends with End unless a sample says otherwise. Requests come from
 * the hypervisor, responses and bridge-initiated requests from the bridge;
 * all go to the nearest-customer-bridge group address, as lldpad sends. */
#define _DEFAULT_SOURCE 1
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "samplegen.h"
#include "sami/ecp.h"
#include "sami/samitlv.h"
#include "sami/vdp.h"

#define SAMI_OUI_U32 0x0A534Du

static const struct sami_vdp_mgrid mgrid = {{'s', 'a', 'm', 'i', '-', 'm', 'g', 'r'}};

/* ---- decode check ---- */

static int check_samitlv(const struct sami_vdp_tlv *t)
{
    static struct sami_notif n;
    static struct sami_feedback fb;
    struct sami_err err;
    uint8_t subtype;
    int rc;

    if (t->type != SAMI_VDP_TLV_ORG || t->u.org.oui != SAMI_OUI_U32)
        return 0; /* other org TLVs are opaque by design */
    rc = sami_samitlv_peek_subtype(t->value, t->length, NULL, &subtype, &err);
    if (rc)
        return rc;
    if (subtype == SAMI_SUBTYPE_NOTIFICATION)
        return sami_samitlv_notif_decode(t->value, t->length, NULL, &n, &err);
    if (subtype == SAMI_SUBTYPE_FEEDBACK)
        return sami_samitlv_feedback_decode(t->value, t->length, NULL, &fb, &err);
    return 0;
}

int check_ecp_frame(const uint8_t *f, size_t len)
{
    static struct sami_vdp v;
    struct sami_ecp e;
    struct sami_err err;
    int rc;

    if (len < ETH_HDR_LEN || f[12] != 0x89 || f[13] != 0x40)
        return SAMI_ERR_TYPE;
    rc = sami_ecp_decode(f + ETH_HDR_LEN, len - ETH_HDR_LEN, &e, &err);
    if (rc)
        return rc;
    if (e.hdr.op != SAMI_ECP_OP_REQUEST || e.hdr.subtype != SAMI_ECP_SUBTYPE_VDP)
        return 0;
    rc = sami_vdp_decode(e.ulpdu, e.ulpdu_len, &v, &err);
    if (rc)
        return rc;
    for (size_t i = 0; i < v.ntlv; i++) {
        rc = check_samitlv(&v.tlv[i]);
        if (rc)
            return rc;
    }
    return 0;
}

/* ---- builders ---- */

/* Ethernet + ECP request header + ULPDU, padded to 60. */
static size_t ecp_request(uint8_t *f, const uint8_t src[6], uint16_t seq, const uint8_t *ulpdu,
                          size_t ulen)
{
    struct sami_ecp e = {{SAMI_ECP_VERSION, SAMI_ECP_OP_REQUEST, SAMI_ECP_SUBTYPE_VDP, seq},
                         ulpdu, ulen};
    size_t n = eth_hdr(f, mac_ecp, src, SAMI_ECP_ETHERTYPE), elen;

    sg_must(sami_ecp_encode(&e, f + n, FRAME_MAX - n, &elen), "ecp encode");
    return eth_pad(f, n + elen);
}

/* Acks go unpadded (18 octets), as lldpad sends them. */
static size_t ecp_ack(uint8_t *f, const uint8_t src[6], uint16_t seq)
{
    struct sami_ecp_hdr h = {SAMI_ECP_VERSION, SAMI_ECP_OP_ACK, SAMI_ECP_SUBTYPE_VDP, seq};
    size_t n = eth_hdr(f, mac_ecp, src, SAMI_ECP_ETHERTYPE), hlen;

    sg_must(sami_ecp_encode_hdr(&h, f + n, FRAME_MAX - n, &hlen), "ecp ack encode");
    return n + hlen;
}

static const struct sami_vdp_filter vm_filter = {0, {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, 0, 0,
                                                 SG_VM_VID};

/* The VM's VSI: UUID id, one MAC/VID filter. */
static void vsi_init(struct sami_vdp_vsi *v, uint8_t type)
{
    memset(v, 0, sizeof *v);
    v->type = type;
    v->type_id = SG_VSI_TYPE_ID;
    v->type_ver = SG_VSI_TYPE_VER;
    v->id_format = SAMI_VDP_VSIID_UUID;
    memcpy(v->id, sg_vm_uuid, 16);
    v->filter_format = SAMI_VDP_FILTER_MAC_VID;
    v->count = 1;
    v->filters = &vm_filter;
}

static void vsi_response(struct sami_vdp_vsi *v, uint8_t type, uint8_t reason, bool hard)
{
    vsi_init(v, type);
    v->response = true;
    v->reason = reason;
    v->hard = hard;
}

/* A PDU under construction; `at_*` are ULPDU offsets for the docs. */
struct pdu {
    struct sami_vdp_builder b;
    uint8_t buf[1500];
    size_t len;
    size_t at_vsi; /* VSI TLV header */
    size_t at_org; /* sami org TLV header */
};

static void pdu_begin(struct pdu *p)
{
    sami_vdp_builder_init(&p->b, p->buf, sizeof p->buf);
    sg_must(sami_vdp_add_mgrid(&p->b, &mgrid), "vdp mgrid");
    p->at_vsi = p->at_org = 0;
}

static void pdu_vsi(struct pdu *p, const struct sami_vdp_vsi *v)
{
    p->at_vsi = p->b.w.pos;
    sg_must(sami_vdp_add_vsi(&p->b, v), "vdp vsi");
}

static void pdu_raw(struct pdu *p, uint8_t type, const uint8_t *value, size_t len)
{
    if (type == SAMI_VDP_TLV_ORG)
        p->at_org = p->b.w.pos;
    sg_must(sami_vdp_add_raw(&p->b, type, value, len), "vdp raw tlv");
}

static void pdu_finish(struct pdu *p)
{
    sg_must(sami_vdp_finish(&p->b, &p->len), "vdp finish");
}

/* Frame offset of a ULPDU offset (Ethernet 14 + ECP 4). */
#define FO(ulpdu_off) ((size_t)(ulpdu_off) + ETH_HDR_LEN + SAMI_ECP_HDR_LEN)

/* One-frame request / response sample helpers. */
static void one_request(struct gen *g, const struct pdu *p, uint16_t seq, uint8_t *f, size_t *flen)
{
    *flen = ecp_request(f, mac_hv, seq, p->buf, p->len);
    sample_frame(g, f, *flen);
}

static void simple_vsi_sample(struct gen *g, const char *name, const char *what,
                              const struct sami_vdp_vsi *v, const uint8_t src[6], uint16_t seq)
{
    struct pdu p;
    uint8_t f[FRAME_MAX];
    size_t flen;

    pdu_begin(&p);
    pdu_vsi(&p, v);
    pdu_finish(&p);
    sample_begin(g, "vdp", name, what);
    flen = ecp_request(f, src, seq, p.buf, p.len);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));
}

/* ---- ecp family ---- */

void gen_ecp(struct gen *g)
{
    struct sami_vdp_vsi v;
    struct pdu p;
    uint8_t f[FRAME_MAX];
    size_t flen;

    vsi_init(&v, SAMI_VDP_TLV_ASSOC);
    pdu_begin(&p);
    pdu_vsi(&p, &v);
    pdu_finish(&p);

    sample_begin(g, "ecp", "ecp-request",
                 "ECP request, sequence 1, hypervisor → bridge-o, carrying a VDP Associate "
                 "(Manager ID, Assoc, End)");
    one_request(g, &p, 1, f, &flen);
    sample_valid(g, check_ecp_frame(f, flen));

    sample_begin(g, "ecp", "ecp-ack",
                 "ECP ack, sequence 1, bridge-o → hypervisor: 18 octets, unpadded as lldpad "
                 "sends it");
    flen = ecp_ack(f, mac_br_o, 1);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    sample_begin(g, "ecp", "ecp-request-bad-version", "ECP request with ECP version 2");
    flen = ecp_request(f, mac_hv, 1, p.buf, p.len);
    f[14] = (uint8_t)((f[14] & 0x0f) | 0x20);
    sample_frame(g, f, flen);
    sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_VERSION,
                     "byte 14: version nibble 1 → 2 (0x10 → 0x20)");

    sample_begin(g, "ecp", "ecp-request-bad-op", "ECP PDU with the reserved operation 2");
    flen = ecp_request(f, mac_hv, 1, p.buf, p.len);
    f[14] = (uint8_t)((f[14] & 0xf3) | (2u << 2));
    sample_frame(g, f, flen);
    sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_VALUE,
                     "byte 14: op bits 3..2 = 2 (0x10 → 0x18)");

    sample_begin(g, "ecp", "ecp-truncated-header",
                 "16-octet frame: Ethernet header + the first 2 octets of an ECP header");
    flen = eth_hdr(f, mac_ecp, mac_hv, SAMI_ECP_ETHERTYPE);
    f[flen++] = 0x10; /* version 1, request, subtype 1: cut before the sequence number */
    f[flen++] = 0x01;
    sample_frame(g, f, flen);
    sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_TRUNCATED,
                     "frame ends at byte 16: only `10 01` of the 4-octet header, no padding");
}

/* ---- vdp family ---- */

void gen_vdp(struct gen *g)
{
    struct sami_vdp_vsi v;
    struct pdu p;
    uint8_t f[FRAME_MAX];
    size_t flen;

    vsi_init(&v, SAMI_VDP_TLV_PREASSOC);
    simple_vsi_sample(g, "vdp-preassoc",
                      "Pre-Associate request, hypervisor → bridge-d (UUID VSI ID, 1 MAC/VID filter)",
                      &v, mac_hv, 1);

    vsi_init(&v, SAMI_VDP_TLV_PREASSOC_RR);
    v.migrate_to = true;
    simple_vsi_sample(g, "vdp-preassoc-rr-m",
                      "Pre-Associate with resource reservation, M (migrate-to) hint set "
                      "(status 0x10), hypervisor → bridge-d",
                      &v, mac_hv, 2);

    vsi_init(&v, SAMI_VDP_TLV_ASSOC);
    simple_vsi_sample(g, "vdp-assoc-req", "Associate request, hypervisor → bridge-o", &v, mac_hv,
                      3);

    vsi_response(&v, SAMI_VDP_TLV_ASSOC, SAMI_VDP_REASON_SUCCESS, false);
    simple_vsi_sample(g, "vdp-assoc-rsp-success",
                      "Associate response, success (status 0x40), bridge-o → hypervisor", &v,
                      mac_br_o, 1);

    vsi_response(&v, SAMI_VDP_TLV_ASSOC, SAMI_VDP_REASON_NO_RESOURCES, true);
    simple_vsi_sample(g, "vdp-assoc-rsp-reject",
                      "Associate response, rejected: reason 2 insufficient resources + HARD "
                      "(status 0x52), bridge-o → hypervisor",
                      &v, mac_br_o, 2);

    vsi_init(&v, SAMI_VDP_TLV_DEASSOC);
    simple_vsi_sample(g, "vdp-deassoc-req", "De-Associate request, hypervisor → bridge-o", &v,
                      mac_hv, 4);

    vsi_init(&v, SAMI_VDP_TLV_DEASSOC);
    simple_vsi_sample(g, "vdp-deassoc-bridge",
                      "bridge-initiated De-Associate (request form, status 0x00), bridge-o → "
                      "hypervisor, as lldpad sends when its keep-alive timer expires",
                      &v, mac_br_o, 3);

    {
        static struct sami_vdp pdu;
        uint8_t ul[256];
        size_t ulen;

        memset(&pdu, 0, sizeof pdu);
        pdu.tlv[0].type = SAMI_VDP_TLV_MGRID;
        pdu.tlv[0].length = SAMI_VDP_MGRID_LEN;
        pdu.tlv[0].u.mgrid = mgrid;
        pdu.tlv[1].type = SAMI_VDP_TLV_ASSOC;
        vsi_init(&pdu.tlv[1].u.vsi, SAMI_VDP_TLV_ASSOC);
        pdu.ntlv = 2;
        pdu.no_end = true;
        sg_must(sami_vdp_encode(&pdu, ul, sizeof ul, &ulen), "vdp encode (no End)");
        sample_begin(g, "vdp", "vdp-assoc-req-no-end",
                     "Associate request without End TLV, as lldpad sends (valid: End is "
                     "optional on receive)");
        flen = ecp_request(f, mac_hv, 5, ul, ulen);
        sample_frame(g, f, flen);
        sample_valid(g, check_ecp_frame(f, flen));
    }

    /* One Associate per VSI ID format; filter format 1 keeps them short. */
    {
        static const struct sami_vdp_filter vid = {0, {0}, 0, 0, SG_VM_VID};
        static const struct {
            const char *name, *what;
            uint8_t fmt;
            uint8_t id[16];
        } ids[] = {
            {"vdp-vsiid-ipv4", "Associate, VSI ID format 1 IPv4 (12 zero octets + 192.0.2.10)",
             SAMI_VDP_VSIID_IPV4, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 192, 0, 2, 10}},
            {"vdp-vsiid-ipv6", "Associate, VSI ID format 2 IPv6 (2001:db8::a)",
             SAMI_VDP_VSIID_IPV6,
             {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x0a}},
            {"vdp-vsiid-mac", "Associate, VSI ID format 3 MAC (10 zero octets + 52:54:00:12:34:56)",
             SAMI_VDP_VSIID_MAC, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x52, 0x54, 0x00, 0x12, 0x34, 0x56}},
            {"vdp-vsiid-local", "Associate, VSI ID format 4 local (\"local-vm-0042\" NUL-padded)",
             SAMI_VDP_VSIID_LOCAL,
             {'l', 'o', 'c', 'a', 'l', '-', 'v', 'm', '-', '0', '0', '4', '2', 0, 0, 0}},
            {"vdp-vsiid-uuid", "Associate, VSI ID format 5 UUID (6b1e5a6e-2f3c-4d5e-9f00-0123456789ab)",
             SAMI_VDP_VSIID_UUID, {0}},
        };
        for (size_t i = 0; i < sizeof ids / sizeof ids[0]; i++) {
            vsi_init(&v, SAMI_VDP_TLV_ASSOC);
            v.id_format = ids[i].fmt;
            if (ids[i].fmt != SAMI_VDP_VSIID_UUID)
                memcpy(v.id, ids[i].id, 16);
            v.filter_format = SAMI_VDP_FILTER_VID;
            v.filters = &vid;
            simple_vsi_sample(g, ids[i].name, ids[i].what, &v, mac_hv, (uint16_t)(10 + i));
        }
    }

    /* One Associate per filter info format, two entries each (the second with
     * PS and PCP set, or VID 0 = "bridge chooses"). */
    {
        static const struct sami_vdp_filter two[2] = {
            {0x00001234u, {0x52, 0x54, 0x00, 0x12, 0x34, 0x56}, 0, 0, SG_VM_VID},
            {0x00001235u, {0x52, 0x54, 0x00, 0x12, 0x34, 0x57}, 1, 5, 200},
        };
        static const struct {
            const char *name, *what;
            uint8_t fmt;
        } fmts[] = {
            {"vdp-filter-vid", "Associate, filter format 1 VID: VID 100; PS=1 PCP=5 VID 200",
             SAMI_VDP_FILTER_VID},
            {"vdp-filter-mac-vid",
             "Associate, filter format 2 MAC/VID: 52:54:00:12:34:56 VID 100; "
             "52:54:00:12:34:57 PS=1 PCP=5 VID 200",
             SAMI_VDP_FILTER_MAC_VID},
            {"vdp-filter-group-vid",
             "Associate, filter format 3 GroupID/VID: 0x1234 VID 100; 0x1235 PS=1 PCP=5 VID 200",
             SAMI_VDP_FILTER_GROUP_VID},
            {"vdp-filter-group-mac-vid",
             "Associate, filter format 4 GroupID/MAC/VID: 0x1234 52:54:00:12:34:56 VID 100; "
             "0x1235 52:54:00:12:34:57 PS=1 PCP=5 VID 200",
             SAMI_VDP_FILTER_GROUP_MAC_VID},
        };
        for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
            vsi_init(&v, SAMI_VDP_TLV_ASSOC);
            v.filter_format = fmts[i].fmt;
            v.count = 2;
            v.filters = two;
            simple_vsi_sample(g, fmts[i].name, fmts[i].what, &v, mac_hv, (uint16_t)(20 + i));
        }
    }

    /* Valid but unknown: a TLV of reserved type 42 and an org TLV of another
     * OUI both decode as opaque views. */
    {
        static const uint8_t opaque[4] = {0xde, 0xad, 0xbe, 0xef};
        static const uint8_t cisco[10] = {0x00, 0x00, 0x0c, 0xf1, 's', 'a', 'm', 'i', 'v', 'm'};

        vsi_init(&v, SAMI_VDP_TLV_ASSOC);
        pdu_begin(&p);
        pdu_vsi(&p, &v);
        pdu_raw(&p, 42, opaque, sizeof opaque);
        pdu_finish(&p);
        sample_begin(g, "vdp", "vdp-unknown-tlv",
                     "Associate followed by a TLV of reserved type 42 (4 octets de ad be ef): "
                     "valid, decoded as an opaque TLV");
        one_request(g, &p, 30, f, &flen);
        sample_valid(g, check_ecp_frame(f, flen));

        pdu_begin(&p);
        pdu_vsi(&p, &v);
        pdu_raw(&p, SAMI_VDP_TLV_ORG, cisco, sizeof cisco);
        pdu_finish(&p);
        sample_begin(g, "vdp", "vdp-org-other-oui",
                     "Associate followed by an org TLV of OUI 00-00-0C subtype 0xf1 (lldpad's "
                     "Cisco VM-name TLV shape): valid, kept opaque");
        one_request(g, &p, 31, f, &flen);
        sample_valid(g, check_ecp_frame(f, flen));
    }

    /* ---- malformed ---- */
    {
        uint8_t val[64];
        size_t vlen;
        struct sami_vdp_tlv t;

        /* VSI TLV whose value stops after 20 octets (inside the VSI ID). */
        memset(&t, 0, sizeof t);
        t.type = SAMI_VDP_TLV_ASSOC;
        vsi_init(&t.u.vsi, SAMI_VDP_TLV_ASSOC);
        sg_must(sami_vdp_tlv_encode(&t, val, sizeof val, &vlen), "vsi tlv encode");
        pdu_begin(&p);
        p.at_vsi = p.b.w.pos;
        pdu_raw(&p, SAMI_VDP_TLV_ASSOC, val + SAMI_VDP_TLV_HDR_LEN, 20);
        pdu_finish(&p);
        sample_begin(g, "vdp", "vdp-truncated-vsi",
                     "Associate TLV whose value is only the first 20 of its 33 octets "
                     "(cut inside the VSI ID), then End");
        one_request(g, &p, 40, f, &flen);
        sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_LENGTH,
                         "bytes %zu-%zu: VSI TLV length 20 (< 25, the fixed VSI part); the "
                         "value holds 20 octets",
                         FO(p.at_vsi), FO(p.at_vsi) + 1);
    }

    vsi_init(&v, SAMI_VDP_TLV_ASSOC);
    pdu_begin(&p);
    pdu_vsi(&p, &v);
    pdu_finish(&p);

    sample_begin(g, "vdp", "vdp-tlv-length-overrun",
                 "Associate TLV whose length field (511) runs past the end of the PDU");
    flen = ecp_request(f, mac_hv, 41, p.buf, p.len);
    f[FO(p.at_vsi)] = (uint8_t)(SAMI_VDP_TLV_ASSOC << 1 | 1);
    f[FO(p.at_vsi) + 1] = 0xff;
    sample_frame(g, f, flen);
    sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_LENGTH,
                     "bytes %zu-%zu: TLV header `06 21` (Assoc, 33) → `07 ff` (Assoc, 511); "
                     "the frame has %zu octets",
                     FO(p.at_vsi), FO(p.at_vsi) + 1, flen);

    /* VSI value layout: status(1) type id(3) ver(1) id fmt(1) id(16) filter
     * fmt(1) count(2): count at value offset 23, filter format at 22. */
    sample_begin(g, "vdp", "vdp-bad-filter-count",
                 "Associate whose filter entry count says 2 while the TLV holds 1 entry");
    flen = ecp_request(f, mac_hv, 42, p.buf, p.len);
    f[FO(p.at_vsi) + 2 + 24] = 2;
    sample_frame(g, f, flen);
    sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_COUNT,
                     "bytes %zu-%zu: number of entries 1 → 2 (TLV length 33 = 25 + 1 × 8)",
                     FO(p.at_vsi) + 2 + 23, FO(p.at_vsi) + 2 + 24);

    sample_begin(g, "vdp", "vdp-unknown-filter-format",
                 "Associate with filter info format 7 (undefined)");
    flen = ecp_request(f, mac_hv, 43, p.buf, p.len);
    f[FO(p.at_vsi) + 2 + 22] = 7;
    sample_frame(g, f, flen);
    sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_VALUE,
                     "byte %zu: filter info format 2 → 7", FO(p.at_vsi) + 2 + 22);

    sample_begin(g, "vdp", "vdp-end-bad-padding",
                 "valid Associate + End, followed by 8 octets of padding of which one is "
                 "nonzero");
    flen = ecp_request(f, mac_hv, 44, p.buf, p.len);
    memset(f + flen, 0, 8);
    f[flen + 3] = 0xa5;
    sample_frame(g, f, flen + 8);
    sample_malformed(g, check_ecp_frame(f, flen + 8), SAMI_ERR_TRAILING,
                     "bytes %zu-%zu appended after End; byte %zu = 0xa5 (the PDU itself "
                     "decodes: lenient receivers use it)",
                     flen, flen + 7, flen + 3);
}

/* ---- samitlv family ---- */

static void bridge_ref(struct sami_bridge_ref *r, const uint8_t mac[6], const char *port)
{
    memset(r, 0, sizeof *r);
    r->chassis_id_subtype = 4; /* MAC */
    r->chassis_id_len = 6;
    memcpy(r->chassis_id, mac, 6);
    r->port_id_subtype = 5; /* interface name */
    r->port_id_len = (uint8_t)strlen(port);
    memcpy(r->port_id, port, r->port_id_len);
}

static void notif_init(struct sami_notif *n, uint8_t tp, uint8_t flags, uint64_t t_ms,
                       uint32_t deadline)
{
    memset(n, 0, sizeof *n);
    n->version = SAMI_SAMITLV_VERSION;
    n->time_point = tp;
    n->flags = flags;
    n->migration_id = SG_MIGRATION_ID;
    n->timestamp_ms = t_ms;
    n->next_deadline_ms = deadline;
    n->di_types = SAMI_DI_ALL_TYPES;
    n->vm.type_id = SG_VSI_TYPE_ID;
    n->vm.type_version = SG_VSI_TYPE_VER;
    n->vm.id_format = SAMI_VDP_VSIID_UUID;
    memcpy(n->vm.id, sg_vm_uuid, 16);
    n->n_macs = 1;
    memcpy(n->macs[0].mac, sg_vm_mac, 6);
    n->macs[0].word = SG_VM_VID;
    n->n_ipv4 = 1;
    memcpy(n->ipv4[0], sg_vm_ipv4, 4);
    n->n_ipv6 = 1;
    memcpy(n->ipv6[0], sg_vm_ipv6, 16);
    bridge_ref(&n->orig_bridge, mac_br_o, "swp1");
    bridge_ref(&n->dest_bridge, mac_br_d, "swp7");
}

static size_t notif_value(const struct sami_notif *n, uint8_t *val, size_t cap)
{
    size_t len;
    sg_must(sami_samitlv_notif_encode(n, NULL, val, cap, &len), "notification encode");
    return len;
}

static size_t feedback_value(const struct sami_feedback *fb, uint8_t *val, size_t cap)
{
    size_t len;
    sg_must(sami_samitlv_feedback_encode(fb, NULL, val, cap, &len), "feedback encode");
    return len;
}

/* Manager ID + optional VSI TLV + the sami TLV + End in one ECP frame. */
static size_t sami_pdu_frame(uint8_t *f, struct pdu *p, const struct sami_vdp_vsi *v,
                             const uint8_t *val, size_t vlen, const uint8_t src[6], uint16_t seq)
{
    pdu_begin(p);
    if (v)
        pdu_vsi(p, v);
    pdu_raw(p, SAMI_VDP_TLV_ORG, val, vlen);
    pdu_finish(p);
    return ecp_request(f, src, seq, p->buf, p->len);
}

static void feedback_init(struct sami_feedback *fb, uint8_t verdict, uint8_t tp, uint32_t t_us)
{
    memset(fb, 0, sizeof *fb);
    fb->version = SAMI_SAMITLV_VERSION;
    fb->verdict = verdict;
    fb->time_point = tp;
    fb->migration_id = SG_MIGRATION_ID;
    fb->transfer_time_us = t_us;
}

static void fb_result(struct sami_feedback *fb, uint8_t type, uint8_t status, uint16_t reason,
                      uint32_t sent, uint32_t installed)
{
    struct sami_fb_result *r = &fb->results[fb->n_results++];
    r->di_type = type;
    r->status = status;
    r->reason = reason;
    r->records_sent = sent;
    r->records_installed = installed;
}

void gen_samitlv(struct gen *g)
{
    static struct sami_notif n;
    static struct sami_feedback fb;
    struct sami_vdp_vsi v;
    struct pdu p;
    uint8_t f[FRAME_MAX], val[512];
    size_t flen, vlen;
    const uint8_t fw = SAMI_SAMITLV_FLAG_FEEDBACK_WANTED;
    const uint8_t src_side = SAMI_SAMITLV_FLAG_SENDER_IS_SOURCE;

    /* PREPARE at the destination: Pre-Associate with M. */
    notif_init(&n, SAMI_TP_PREPARE, fw, SG_TIME_MS, 30000);
    vlen = notif_value(&n, val, sizeof val);
    vsi_init(&v, SAMI_VDP_TLV_PREASSOC);
    v.migrate_to = true;
    sample_begin(g, "samitlv", "samitlv-prepare-preassoc-m",
                 "PREPARE notification riding with a Pre-Associate carrying the M hint, "
                 "hypervisor → bridge-d: feedback wanted, deadline 30 s, all DI types, "
                 "VM identity, MAC/VLAN, IPv4, IPv6, both bridges");
    flen = sami_pdu_frame(f, &p, &v, val, vlen, mac_hv, 1);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    /* SUSPENDED at the source: Associate with S. */
    notif_init(&n, SAMI_TP_SUSPENDED, fw | src_side, SG_TIME_MS + 42000, 5000);
    vlen = notif_value(&n, val, sizeof val);
    vsi_init(&v, SAMI_VDP_TLV_ASSOC);
    v.suspended = true;
    sample_begin(g, "samitlv", "samitlv-suspended-assoc-s",
                 "SUSPENDED notification riding with an Associate carrying the S hint, "
                 "hypervisor → bridge-o (sender at the source side), deadline 5 s");
    flen = sami_pdu_frame(f, &p, &v, val, vlen, mac_hv, 2);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    /* RESUMED at the destination: Associate. */
    notif_init(&n, SAMI_TP_RESUMED, fw, SG_TIME_MS + 42350, 10000);
    vlen = notif_value(&n, val, sizeof val);
    vsi_init(&v, SAMI_VDP_TLV_ASSOC);
    sample_begin(g, "samitlv", "samitlv-resumed-assoc",
                 "RESUMED notification riding with an Associate, hypervisor → bridge-d, "
                 "deadline 10 s");
    flen = sami_pdu_frame(f, &p, &v, val, vlen, mac_hv, 3);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    /* COMPLETED at the source: De-Associate. */
    notif_init(&n, SAMI_TP_COMPLETED, src_side, SG_TIME_MS + 43000, 0);
    vlen = notif_value(&n, val, sizeof val);
    vsi_init(&v, SAMI_VDP_TLV_DEASSOC);
    sample_begin(g, "samitlv", "samitlv-completed-deassoc",
                 "COMPLETED notification riding with a De-Associate, hypervisor → bridge-o, "
                 "no further deadline");
    flen = sami_pdu_frame(f, &p, &v, val, vlen, mac_hv, 4);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    /* ABORTED alone: Manager ID + sami TLV. */
    notif_init(&n, SAMI_TP_ABORTED, src_side, SG_TIME_MS + 20000, 0);
    n.has_reason = 1;
    n.reason = SAMI_ABORT_OPERATOR;
    vlen = notif_value(&n, val, sizeof val);
    sample_begin(g, "samitlv", "samitlv-aborted",
                 "ABORTED notification on its own (Manager ID + sami TLV + End), hypervisor → "
                 "bridge-o, reason 1 operator");
    flen = sami_pdu_frame(f, &p, NULL, val, vlen, mac_hv, 5);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    /* Feedback rides with the VDP response to the request that carried the
     * time point. */
    feedback_init(&fb, SAMI_VERDICT_PENDING, SAMI_TP_PREPARE, 0);
    vlen = feedback_value(&fb, val, sizeof val);
    vsi_response(&v, SAMI_VDP_TLV_PREASSOC, SAMI_VDP_REASON_SUCCESS, false);
    sample_begin(g, "samitlv", "samitlv-feedback-pending",
                 "PENDING feedback answering PREPARE, with the Pre-Associate response "
                 "(success), bridge-d → hypervisor");
    flen = sami_pdu_frame(f, &p, &v, val, vlen, mac_br_d, 1);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    feedback_init(&fb, SAMI_VERDICT_PROCEED, SAMI_TP_SUSPENDED, 18250);
    fb_result(&fb, SAMI_DI_DHCP, SAMI_DI_STATUS_OK, SAMI_FB_REASON_NONE, 1, 1);
    fb_result(&fb, SAMI_DI_ND, SAMI_DI_STATUS_OK, SAMI_FB_REASON_NONE, 1, 1);
    fb_result(&fb, SAMI_DI_DOT1X, SAMI_DI_STATUS_OK, SAMI_FB_REASON_NONE, 1, 1);
    fb_result(&fb, SAMI_DI_COUNTERS, SAMI_DI_STATUS_OK, SAMI_FB_REASON_NONE, 2, 2);
    fb.has_bridge = 1;
    bridge_ref(&fb.bridge, mac_br_d, "swp7");
    vlen = feedback_value(&fb, val, sizeof val);
    vsi_response(&v, SAMI_VDP_TLV_ASSOC, SAMI_VDP_REASON_SUCCESS, false);
    sample_begin(g, "samitlv", "samitlv-feedback-proceed",
                 "PROCEED feedback answering SUSPENDED, with the Associate response, "
                 "bridge-o → hypervisor: 4 per-DI-type results OK, transfer 18.25 ms, "
                 "reporting bridge bridge-d swp7");
    flen = sami_pdu_frame(f, &p, &v, val, vlen, mac_br_o, 2);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    feedback_init(&fb, SAMI_VERDICT_ROLLBACK, SAMI_TP_SUSPENDED, 2000000);
    fb_result(&fb, SAMI_DI_DHCP, SAMI_DI_STATUS_OK, SAMI_FB_REASON_NONE, 1, 1);
    fb_result(&fb, SAMI_DI_FIREWALL, SAMI_DI_STATUS_TIMEOUT, SAMI_FB_REASON_DEADLINE, 1500, 0);
    fb_result(&fb, SAMI_DI_ACL, SAMI_DI_STATUS_FAILED, SAMI_FB_REASON_DIGEST, 12, 0);
    fb.has_bridge = 1;
    bridge_ref(&fb.bridge, mac_br_d, "swp7");
    vlen = feedback_value(&fb, val, sizeof val);
    sample_begin(g, "samitlv", "samitlv-feedback-rollback",
                 "ROLLBACK feedback answering SUSPENDED, with the Associate response, "
                 "bridge-o → hypervisor: DHCP OK, firewall TIMEOUT (deadline missed), "
                 "ACL FAILED (digest mismatch), transfer 2 s");
    flen = sami_pdu_frame(f, &p, &v, val, vlen, mac_br_o, 3);
    sample_frame(g, f, flen);
    sample_valid(g, check_ecp_frame(f, flen));

    /* ---- malformed: edits of the PREPARE value, re-wrapped so the VDP
     * layer stays valid and only the sami TLV is wrong ---- */
    notif_init(&n, SAMI_TP_PREPARE, fw, SG_TIME_MS, 30000);
    vlen = notif_value(&n, val, sizeof val);
    vsi_init(&v, SAMI_VDP_TLV_PREASSOC);
    v.migrate_to = true;

    {
        uint8_t ed[512];
        size_t at_val;

        memcpy(ed, val, vlen);
        ed[4] = 2;
        sample_begin(g, "samitlv", "samitlv-notif-bad-version",
                     "PREPARE notification (with Pre-Associate M) whose version is 2");
        flen = sami_pdu_frame(f, &p, &v, ed, vlen, mac_hv, 1);
        at_val = FO(p.at_org) + 2;
        sample_frame(g, f, flen);
        sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_VERSION,
                         "byte %zu: notification version 1 → 2", at_val + 4);

        /* Elements start at value offset 32; the VM identity is first
         * (type 1, length 21: 23 octets). */
        if (val[32] != SAMI_SAMITLV_N_VM_ID || val[33] != SAMI_VM_ID_LEN)
            sg_die("notification layout: VM identity not first");
        memcpy(ed, val, 32);
        memcpy(ed + 32, val + 32 + 23, vlen - 32 - 23);
        sample_begin(g, "samitlv", "samitlv-notif-bad-missing-vm-id",
                     "PREPARE notification without its mandatory VM identity element");
        flen = sami_pdu_frame(f, &p, &v, ed, vlen - 23, mac_hv, 1);
        at_val = FO(p.at_org) + 2;
        sample_frame(g, f, flen);
        sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_MISSING,
                         "element 1 (23 octets `01 15 …`) removed before byte %zu; VDP TLV "
                         "length reduced to %zu to match",
                         at_val + 32, vlen - 23);

        /* Last element: walk type/length pairs from offset 32. */
        size_t off = 32, last = 0;
        while (off + 2 <= vlen) {
            last = off;
            off += 2u + val[off + 1];
        }
        memcpy(ed, val, vlen);
        ed[last + 1] = (uint8_t)(ed[last + 1] + 8);
        sample_begin(g, "samitlv", "samitlv-notif-element-overrun",
                     "PREPARE notification whose last element (destination bridge) claims 8 "
                     "octets more than the TLV holds");
        flen = sami_pdu_frame(f, &p, &v, ed, vlen, mac_hv, 1);
        at_val = FO(p.at_org) + 2;
        sample_frame(g, f, flen);
        sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_LENGTH,
                         "byte %zu: element %u length %u → %u", at_val + last + 1,
                         (unsigned)val[last], (unsigned)val[last + 1],
                         (unsigned)val[last + 1] + 8u);

        sample_begin(g, "samitlv", "samitlv-notif-truncated",
                     "sami notification TLV cut after 16 octets (inside the fixed header); "
                     "the VDP TLV length (16) matches, so only the sami layer is short");
        flen = sami_pdu_frame(f, &p, &v, val, 16, mac_hv, 1);
        at_val = FO(p.at_org) + 2;
        sample_frame(g, f, flen);
        sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_TRUNCATED,
                         "bytes %zu-%zu: the value ends inside the migration id (the fixed "
                         "header needs 32 octets)",
                         at_val, at_val + 15);

        feedback_init(&fb, SAMI_VERDICT_PROCEED, SAMI_TP_SUSPENDED, 18250);
        vlen = feedback_value(&fb, val, sizeof val);
        memcpy(ed, val, vlen);
        ed[5] = 3;
        vsi_response(&v, SAMI_VDP_TLV_ASSOC, SAMI_VDP_REASON_SUCCESS, false);
        sample_begin(g, "samitlv", "samitlv-feedback-bad-verdict",
                     "feedback (with the Associate response) whose verdict is 3 (undefined)");
        flen = sami_pdu_frame(f, &p, &v, ed, vlen, mac_br_o, 2);
        at_val = FO(p.at_org) + 2;
        sample_frame(g, f, flen);
        sample_malformed(g, check_ecp_frame(f, flen), SAMI_ERR_VALUE,
                         "byte %zu: verdict 1 → 3", at_val + 5);
    }
}
