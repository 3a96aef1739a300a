/* xfer, l2 and di families: signed transfer messages between bridge-o and
 * bridge-d over the L2 binding (ethertype 0x88B5) and the TCP stream binding
 * (port 5757), and one PRECOPY per DI record type.
 *
 * Scenario: one migration (id 0x5a4d000000000001). bridge-o (source) sends
 * HELLO, PRECOPY, DELTA, COMMIT, ACTIVATE, ABORT with transfer sequences
 * 1..6; bridge-d answers RESULT, PURGE, ACK with its own 1..3. L2 sequences
 * follow the same numbering. All messages are signed with the documented
 * test key (id 1, octets 00..1f). */
#define _DEFAULT_SOURCE 1
#include <stdio.h>
#include <string.h>

#include "samplegen.h"
#include "sami/di.h"
#include "sami/xfer.h"
#include "sami/xfer_l2.h"

#define MSG_MAX 8192u
#define L2_HDR 12u
#define TCP_SPORT 40000u
#define TCP_DPORT 5757u

/* ---- decode checks ---- */

int check_xfer_message(const uint8_t *msg, size_t len)
{
    static struct sami_di_record rec;
    struct sami_xfer_keyring kr;
    struct sami_xfer_msg m;
    struct sami_xfer_iter it;
    struct sami_xfer_elem e;
    struct sami_err err;
    int rc;

    memset(&kr, 0, sizeof kr);
    kr.keys[0] = sg_key;
    kr.hmac = sg_hmac;
    /* No replay state: each sample is judged on its own, like a dissector. */
    rc = sami_xfer_open(msg, len, &kr, NULL, 0, 0, &m, &err);
    if (rc)
        return rc;
    sami_xfer_iter_init(&it, &m, &err);
    while ((rc = sami_xfer_iter_next(&it, &e)) == 1) {
        if (!SAMI_XFER_E_IS_DI(e.type))
            continue;
        uint8_t t = (uint8_t)(e.type & 0xffu);
        if (sami_di_current_version(t) == 0)
            continue; /* unknown DI type: skipped by length, by design */
        rc = sami_di_decode(t, e.value, e.len, &rec, &err);
        if (rc)
            return rc;
    }
    return rc;
}

int check_l2_frame(const uint8_t *f, size_t len)
{
    struct sami_xfer_l2_frame fr;
    struct sami_err err;
    int rc;

    if (len < ETH_HDR_LEN || f[12] != 0x88 || f[13] != 0xb5)
        return SAMI_ERR_TYPE;
    rc = sami_xfer_l2_decode(f + ETH_HDR_LEN, len - ETH_HDR_LEN, &fr, &err);
    if (rc)
        return rc;
    if (fr.op == SAMI_XFER_L2_DATA && fr.frag_count == 1)
        return check_xfer_message(fr.payload, fr.payload_len);
    return 0;
}

/* ---- builders ---- */

void xfer_hdr_init(struct sami_xfer_hdr *h, uint8_t type, uint16_t flags, int from_dest)
{
    memset(h, 0, sizeof *h);
    h->version = SAMI_XFER_VERSION;
    h->type = type;
    h->flags = flags;
    h->sender.priority = 0x8000;
    memcpy(h->sender.mac, from_dest ? mac_br_d : mac_br_o, 6);
    h->migration_id = type == SAMI_XFER_HELLO ? 0 : SG_MIGRATION_ID;
}

static size_t finish(struct sami_xfer_builder *b, uint64_t seq)
{
    size_t len;
    sg_must(sami_xfer_build_finish(b, &sg_key, seq, sg_hmac, &len), "xfer build");
    return len;
}

static size_t l2_frame(uint8_t *f, const struct sami_xfer_l2_frame *fr, int from_dest)
{
    size_t n = eth_hdr(f, from_dest ? mac_br_o : mac_br_d, from_dest ? mac_br_d : mac_br_o,
                       SAMI_XFER_L2_ETHERTYPE),
           l;
    sg_must(sami_xfer_l2_encode(fr, f + n, FRAME_MAX - n, &l), "l2 encode");
    return n + l;
}

size_t l2_data_frame(uint8_t *f, const uint8_t *msg, size_t msg_len, uint16_t l2_seq,
                     int from_dest)
{
    struct sami_xfer_l2_frame fr = {SAMI_XFER_L2_VERSION, SAMI_XFER_L2_DATA, l2_seq, 0, 1,
                                    (uint16_t)msg_len, msg};
    if (msg_len > SAMI_XFER_L2_MAX_PAYLOAD)
        sg_die("message of %zu octets needs fragmenting", msg_len);
    return l2_frame(f, &fr, from_dest);
}

/* Internet checksum over a pseudo header sum plus data. */
static uint16_t inet_csum(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i + 1 < n; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (n & 1)
        sum += (uint32_t)p[n - 1] << 8;
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return (uint16_t)~sum;
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

/* bridge-o 10.0.0.1:40000 -> bridge-d 10.0.0.2:5757, one PSH/ACK segment with
 * the length-prefixed message; both checksums correct. */
static size_t tcp_frame(uint8_t *f, const uint8_t *msg, size_t msg_len, uint32_t seq,
                        uint32_t ack, uint16_t ip_id)
{
    static const uint8_t src[4] = {10, 0, 0, 1}, dst[4] = {10, 0, 0, 2};
    size_t n = eth_hdr(f, mac_br_d, mac_br_o, 0x0800);
    uint8_t *ip = f + n, *tcp = ip + 20, *data = tcp + 20;
    size_t seg = 20 + SAMI_XFER_STREAM_PREFIX_LEN + msg_len;
    uint32_t sum;

    if (n + 20 + seg > FRAME_MAX)
        sg_die("TCP sample too large");
    memset(ip, 0, 40);
    ip[0] = 0x45;
    put16(ip + 2, (uint32_t)(20 + seg));
    put16(ip + 4, ip_id);
    put16(ip + 6, 0x4000); /* DF */
    ip[8] = 64;
    ip[9] = 6;
    memcpy(ip + 12, src, 4);
    memcpy(ip + 16, dst, 4);
    put16(ip + 10, inet_csum(0, ip, 20));

    put16(tcp, TCP_SPORT);
    put16(tcp + 2, TCP_DPORT);
    put32(tcp + 4, seq);
    put32(tcp + 8, ack);
    tcp[12] = 5u << 4;
    tcp[13] = 0x18; /* PSH, ACK */
    put16(tcp + 14, 64240);
    sg_must(sami_xfer_stream_prefix(msg_len, data), "stream prefix");
    memcpy(data + SAMI_XFER_STREAM_PREFIX_LEN, msg, msg_len);
    sum = (uint32_t)src[0] << 8 | src[1];
    sum += (uint32_t)src[2] << 8 | src[3];
    sum += (uint32_t)dst[0] << 8 | dst[1];
    sum += (uint32_t)dst[2] << 8 | dst[3];
    sum += 6u + (uint32_t)seg;
    put16(tcp + 16, inet_csum(sum, tcp, seg));
    return eth_pad(f, n + 20 + seg);
}

static int check_tcp_frame(const uint8_t *f, size_t len)
{
    const uint8_t *data = f + ETH_HDR_LEN + 40;
    size_t mlen;
    int rc;

    if (len < ETH_HDR_LEN + 40 + SAMI_XFER_STREAM_PREFIX_LEN)
        return SAMI_ERR_TRUNCATED;
    rc = sami_xfer_stream_frame_len(data, SAMI_XFER_MAX_BODY_DEFAULT, &mlen);
    if (rc)
        return rc;
    if (mlen > len - ETH_HDR_LEN - 40 - SAMI_XFER_STREAM_PREFIX_LEN)
        return SAMI_ERR_TRUNCATED;
    return check_xfer_message(data + SAMI_XFER_STREAM_PREFIX_LEN, mlen);
}

/* ---- the VM's DI records ---- */

static void addr16_v4(uint8_t out[16], uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
    memset(out, 0, 16);
    out[10] = out[11] = 0xff;
    out[12] = a;
    out[13] = b;
    out[14] = c;
    out[15] = d;
}

static void rec_init(struct sami_di_record *r, uint8_t type)
{
    memset(r, 0, sizeof *r);
    r->type = type;
    r->version = sami_di_current_version(type);
    r->op = SAMI_DI_OP_UPSERT;
}

static void rec_dhcp(struct sami_di_record *r, uint32_t lease_ms)
{
    rec_init(r, SAMI_DI_DHCP);
    memcpy(r->u.dhcp.ipv4, sg_vm_ipv4, 4);
    memcpy(r->u.dhcp.mac, sg_vm_mac, 6);
    r->u.dhcp.vlan = SG_VM_VID;
    r->u.dhcp.lease_remaining_ms = lease_ms;
}

static void rec_dhcpv6(struct sami_di_record *r)
{
    rec_init(r, SAMI_DI_DHCPV6);
    memcpy(r->u.dhcpv6.ipv6, sg_vm_ipv6, 16);
    memcpy(r->u.dhcpv6.mac, sg_vm_mac, 6);
    r->u.dhcpv6.vlan = SG_VM_VID;
    r->u.dhcpv6.lease_remaining_ms = 7200000;
    r->u.dhcpv6.iaid = 0x0a0b0c0d;
}

static void rec_nd(struct sami_di_record *r, uint8_t state)
{
    rec_init(r, SAMI_DI_ND);
    memcpy(r->u.nd.ipv6, sg_vm_ipv6, 16);
    memcpy(r->u.nd.mac, sg_vm_mac, 6);
    r->u.nd.vlan = SG_VM_VID;
    r->u.nd.lifetime_remaining_ms = 1800000;
    r->u.nd.state = state;
}

static void set_str(char *dst, uint8_t *len, const char *s)
{
    *len = (uint8_t)strlen(s);
    memcpy(dst, s, *len);
}

static void rec_dot1x(struct sami_di_record *r)
{
    rec_init(r, SAMI_DI_DOT1X);
    memcpy(r->u.dot1x.mac, sg_vm_mac, 6);
    r->u.dot1x.authorized = 1;
    r->u.dot1x.eap_method = 13; /* EAP-TLS */
    r->u.dot1x.vlan = SG_VM_VID;
    r->u.dot1x.session_remaining_ms = 28800000;
    r->u.dot1x.reauth_remaining_ms = 3600000;
    set_str(r->u.dot1x.session_id, &r->u.dot1x.session_id_len, "8f3a0001");
    set_str(r->u.dot1x.identity, &r->u.dot1x.identity_len, "vm42@example.org");
    set_str(r->u.dot1x.filter_id, &r->u.dot1x.filter_id_len, "VM-WEB-ACL");
}

static void rec_acl(struct sami_di_record *r)
{
    struct sami_di_acl *a = &r->u.acl;
    rec_init(r, SAMI_DI_ACL);
    a->rule_id = 7;
    a->action = SAMI_DI_ACL_RATE_LIMIT;
    a->origin = SAMI_DI_ACL_FLOOD_BLACKLIST;
    a->protocol = 17;
    a->flags = SAMI_DI_ACL_F_MATCH_VLAN | SAMI_DI_ACL_F_MATCH_MAC;
    a->src_prefix_len = 120; /* 198.51.100.0/24 as addr16 */
    addr16_v4(a->src, 198, 51, 100, 0);
    a->dst_prefix_len = 128;
    addr16_v4(a->dst, 192, 0, 2, 10);
    a->src_port_lo = 0;
    a->src_port_hi = 65535;
    a->dst_port_lo = 53;
    a->dst_port_hi = 53;
    a->vlan = SG_VM_VID;
    memcpy(a->mac, sg_vm_mac, 6);
    a->rate_kbps = 512;
    a->lifetime_remaining_ms = 600000;
}

static void rec_igmp(struct sami_di_record *r, int mld)
{
    struct sami_di_igmp *m = &r->u.igmp;
    rec_init(r, SAMI_DI_IGMP);
    m->vlan = SG_VM_VID;
    if (!mld) { /* IGMPv2-style any-source join of 239.1.1.1 */
        m->family = SAMI_DI_FAMILY_IPV4;
        m->filter_mode = SAMI_DI_IGMP_EXCLUDE;
        addr16_v4(m->group, 239, 1, 1, 1);
        m->timer_remaining_ms = 260000;
    } else { /* MLDv2 source-specific: ff3e::1234 from 2001:db8::99 */
        static const uint8_t grp[16] = {0xff, 0x3e, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x12, 0x34};
        static const uint8_t src[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x99};
        m->family = SAMI_DI_FAMILY_IPV6;
        m->filter_mode = SAMI_DI_IGMP_INCLUDE;
        memcpy(m->group, grp, 16);
        memcpy(m->source, src, 16);
        m->timer_remaining_ms = 250000;
    }
}

static void rec_counters(struct sami_di_record *r, uint8_t dir)
{
    struct sami_di_counters *c = &r->u.counters;
    rec_init(r, SAMI_DI_COUNTERS);
    c->direction = dir;
    c->packets = dir == SAMI_DI_DIR_IN ? 1234567u : 2345678u;
    c->bytes = dir == SAMI_DI_DIR_IN ? UINT64_C(987654321) : UINT64_C(3456789012);
    c->syn_count = dir == SAMI_DI_DIR_IN ? 12 : 40;
    c->window_ms = 10000;
    c->rate_bps = dir == SAMI_DI_DIR_IN ? 8000000u : 24000000u;
    c->rate_pps = dir == SAMI_DI_DIR_IN ? 1000 : 2500;
}

static void rec_firewall(struct sami_di_record *r, int nat, uint16_t sport)
{
    struct sami_di_firewall *s = &r->u.firewall;
    rec_init(r, SAMI_DI_FIREWALL);
    s->family = SAMI_DI_FAMILY_IPV4;
    s->vlan = SG_VM_VID;
    addr16_v4(s->src, 192, 0, 2, 10);
    s->src_port = sport;
    if (!nat) { /* HTTPS client session */
        s->protocol = 6;
        s->state = SAMI_DI_FW_ESTABLISHED;
        addr16_v4(s->dst, 203, 0, 113, 5);
        s->dst_port = 443;
        s->created_age_ms = 120000;
        s->last_heard_age_ms = 150;
        s->expiry_remaining_ms = 431850000;
    } else { /* NTP through source NAT */
        s->protocol = 17;
        s->state = SAMI_DI_FW_ASSURED;
        s->flags = SAMI_DI_FW_F_NAT;
        addr16_v4(s->dst, 203, 0, 113, 123);
        s->dst_port = 123;
        s->created_age_ms = 64000;
        s->last_heard_age_ms = 1000;
        s->expiry_remaining_ms = 179000;
        addr16_v4(s->nat_src, 198, 51, 100, 1);
        s->nat_src_port = (uint16_t)(sport + 20000u);
        addr16_v4(s->nat_dst, 203, 0, 113, 123);
        s->nat_dst_port = 123;
    }
}

static void vm_id(struct sami_xfer_vm_id *v)
{
    memset(v, 0, sizeof *v);
    v->type_id = SG_VSI_TYPE_ID;
    v->type_ver = SG_VSI_TYPE_VER;
    v->id_format = 5; /* UUID */
    memcpy(v->id, sg_vm_uuid, 16);
}

/* Appends a record element; returns the element's offset in the message. */
static size_t build_rec(struct sami_xfer_builder *b, const struct sami_di_record *r)
{
    uint8_t val[SAMI_DI_MAX_LEN];
    size_t len, at = b->w.pos;
    sg_must(sami_di_encode(r, val, sizeof val, &len), "di encode");
    sg_must(sami_xfer_build_di(b, r->type, val, len), "xfer di element");
    return at;
}

/* PRECOPY / DELTA header elements. */
static void begin_batch(struct sami_xfer_builder *b, uint8_t *buf, size_t cap, uint8_t type,
                        uint64_t base, uint64_t next, uint32_t snapshot_ms)
{
    struct sami_xfer_hdr h;
    struct sami_xfer_vm_id v;
    struct sami_xfer_generation gen = {base, next};

    xfer_hdr_init(&h, type, SAMI_XFER_F_LAST, 0);
    sami_xfer_build_begin(b, buf, cap, &h);
    vm_id(&v);
    sg_must(sami_xfer_build_vm_id(b, &v), "vm id");
    sg_must(sami_xfer_build_generation(b, &gen), "generation");
    sg_must(sami_xfer_build_snapshot_time(b, snapshot_ms), "snapshot time");
}

static void digest_rec(uint64_t *sum, const struct sami_di_record *r)
{
    uint8_t val[SAMI_DI_MAX_LEN];
    size_t len;
    sg_must(sami_di_encode(r, val, sizeof val, &len), "di encode");
    sami_xfer_digest_add(sum, val, len);
}

/* Message builders shared by several samples. */
static size_t msg_hello(uint8_t *buf)
{
    static const char name[] = "bridge-o";
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h;
    struct sami_xfer_caps caps = {SAMI_XFER_VERSION, 2, SAMI_DI_ALL_TYPES, 100000, 1u << 20};
    struct sami_xfer_name nm = {(const uint8_t *)name, sizeof name - 1};

    xfer_hdr_init(&h, SAMI_XFER_HELLO, 0, 0);
    sami_xfer_build_begin(&b, buf, MSG_MAX, &h);
    sg_must(sami_xfer_build_caps(&b, &caps), "caps");
    sg_must(sami_xfer_build_name(&b, &nm), "name");
    return finish(&b, 1);
}

/* The committed set: PRECOPY's DHCP (replaced by DELTA's), ND, 802.1X, and
 * DELTA's two counters records. */
static void committed(struct sami_di_record r[5])
{
    rec_dhcp(&r[0], 3480000);
    rec_nd(&r[1], SAMI_DI_ND_VALID);
    rec_dot1x(&r[2]);
    rec_counters(&r[3], SAMI_DI_DIR_IN);
    rec_counters(&r[4], SAMI_DI_DIR_OUT);
}

static const struct sami_xfer_count commit_counts[4] = {
    {SAMI_DI_DHCP, 1}, {SAMI_DI_ND, 1}, {SAMI_DI_DOT1X, 1}, {SAMI_DI_COUNTERS, 2}};

static uint64_t commit_digest(void)
{
    struct sami_di_record r[5];
    uint64_t sum = 0;
    committed(r);
    for (size_t i = 0; i < 5; i++)
        digest_rec(&sum, &r[i]);
    return sum;
}

static size_t msg_precopy(uint8_t *buf)
{
    struct sami_xfer_builder b;
    struct sami_di_record r[3];

    rec_dhcp(&r[0], 3540000);
    rec_nd(&r[1], SAMI_DI_ND_VALID);
    rec_dot1x(&r[2]);
    begin_batch(&b, buf, MSG_MAX, SAMI_XFER_PRECOPY, 0, 1, 40);
    for (size_t i = 0; i < 3; i++)
        build_rec(&b, &r[i]);
    return finish(&b, 2);
}

static size_t msg_delta(uint8_t *buf)
{
    struct sami_xfer_builder b;
    struct sami_di_record r[5];

    committed(r);
    begin_batch(&b, buf, MSG_MAX, SAMI_XFER_DELTA, 1, 2, 2);
    build_rec(&b, &r[0]);
    build_rec(&b, &r[3]);
    build_rec(&b, &r[4]);
    return finish(&b, 3);
}

static size_t msg_commit(uint8_t *buf)
{
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h;
    struct sami_xfer_vm_id v;

    xfer_hdr_init(&h, SAMI_XFER_COMMIT, SAMI_XFER_F_LAST, 0);
    sami_xfer_build_begin(&b, buf, MSG_MAX, &h);
    vm_id(&v);
    sg_must(sami_xfer_build_vm_id(&b, &v), "vm id");
    sg_must(sami_xfer_build_counts(&b, commit_counts, 4), "counts");
    sg_must(sami_xfer_build_digest(&b, commit_digest()), "digest");
    sg_must(sami_xfer_build_snapshot_time(&b, 3), "snapshot time");
    return finish(&b, 4);
}

static void l2_sample(struct gen *g, const char *family, const char *name, const char *what,
                      const uint8_t *msg, size_t len, uint16_t l2_seq, int from_dest)
{
    uint8_t f[FRAME_MAX];
    size_t flen = l2_data_frame(f, msg, len, l2_seq, from_dest);
    sample_begin(g, family, name, what);
    sample_frame(g, f, flen);
    sample_valid(g, check_l2_frame(f, flen));
}

/* Frame offset of a message offset in a one-fragment L2 DATA frame. */
#define L2O(msg_off) ((size_t)(msg_off) + ETH_HDR_LEN + L2_HDR)

/* ---- xfer family ---- */

void gen_xfer(struct gen *g)
{
    static uint8_t msg[MSG_MAX];
    struct sami_xfer_builder b;
    struct sami_xfer_hdr h;
    struct sami_xfer_status_elem ok = {SAMI_XFER_ST_OK, SAMI_XFER_R_NONE};
    uint8_t f[FRAME_MAX];
    size_t len, flen;

    len = msg_hello(msg);
    l2_sample(g, "xfer", "xfer-hello",
              "HELLO, bridge-o → bridge-d over L2 (one fragment): CAPS (version 1, bridge, DI "
              "types 1-8, 100000 records, 1 MiB messages) + NAME \"bridge-o\"; transfer seq 1",
              msg, len, 1, 0);

    len = msg_precopy(msg);
    l2_sample(g, "xfer", "xfer-precopy",
              "PRECOPY (LAST), generation 0 → 1, snapshot 40 ms old: DHCP, ND and 802.1X "
              "records; transfer seq 2",
              msg, len, 2, 0);

    len = msg_delta(msg);
    l2_sample(g, "xfer", "xfer-delta",
              "DELTA (LAST), generation 1 → 2, snapshot 2 ms old: renewed DHCP lease, "
              "counters in and out; transfer seq 3",
              msg, len, 3, 0);

    len = msg_commit(msg);
    l2_sample(g, "xfer", "xfer-commit",
              "COMMIT: VM identity, COUNTS (DHCP 1, ND 1, 802.1X 1, counters 2), DIGEST of "
              "the 5 committed records, snapshot 3 ms; transfer seq 4",
              msg, len, 4, 0);

    xfer_hdr_init(&h, SAMI_XFER_RESULT, SAMI_XFER_F_RESPONSE, 1);
    sami_xfer_build_begin(&b, msg, MSG_MAX, &h);
    sg_must(sami_xfer_build_status(&b, &ok), "status");
    sg_must(sami_xfer_build_counts(&b, commit_counts, 4), "counts");
    sg_must(sami_xfer_build_digest(&b, commit_digest()), "digest");
    for (size_t i = 0; i < 4; i++) {
        struct sami_xfer_type_result tr = {commit_counts[i].di_type, SAMI_XFER_ST_OK,
                                           SAMI_XFER_R_NONE, commit_counts[i].count,
                                           commit_counts[i].count};
        sg_must(sami_xfer_build_type_result(&b, &tr), "type result");
    }
    len = finish(&b, 1);
    l2_sample(g, "xfer", "xfer-result",
              "RESULT (RESPONSE), bridge-d → bridge-o: STATUS ok, COUNTS, DIGEST, one TYPE "
              "RESULT per DI type (all installed); bridge-d transfer seq 1",
              msg, len, 1, 1);

    xfer_hdr_init(&h, SAMI_XFER_ACTIVATE, 0, 0);
    sami_xfer_build_begin(&b, msg, MSG_MAX, &h);
    len = finish(&b, 5);
    l2_sample(g, "xfer", "xfer-activate",
              "ACTIVATE, bridge-o → bridge-d, empty body (the VM resumed: install the "
              "committed state); transfer seq 5",
              msg, len, 5, 0);

    xfer_hdr_init(&h, SAMI_XFER_PURGE, 0, 1);
    sami_xfer_build_begin(&b, msg, MSG_MAX, &h);
    sg_must(sami_xfer_build_status(&b, &ok), "status");
    len = finish(&b, 2);
    l2_sample(g, "xfer", "xfer-purge",
              "PURGE, bridge-d → bridge-o: STATUS ok (activated here, drop the source "
              "copy); bridge-d transfer seq 2",
              msg, len, 2, 1);

    {
        struct sami_xfer_status_elem st = {SAMI_XFER_ST_FAILED, SAMI_XFER_R_DEADLINE};
        xfer_hdr_init(&h, SAMI_XFER_ABORT, 0, 0);
        sami_xfer_build_begin(&b, msg, MSG_MAX, &h);
        sg_must(sami_xfer_build_status(&b, &st), "status");
        len = finish(&b, 6);
        l2_sample(g, "xfer", "xfer-abort",
                  "ABORT, bridge-o → bridge-d: STATUS failed, reason 6 deadline missed; "
                  "transfer seq 6",
                  msg, len, 6, 0);
    }

    xfer_hdr_init(&h, SAMI_XFER_ACK, SAMI_XFER_F_RESPONSE, 1);
    sami_xfer_build_begin(&b, msg, MSG_MAX, &h);
    sg_must(sami_xfer_build_acked_seq(&b, 5), "acked seq");
    len = finish(&b, 3);
    l2_sample(g, "xfer", "xfer-ack",
              "ACK (RESPONSE), bridge-d → bridge-o, acknowledging transfer seq 5 (the "
              "ACTIVATE); bridge-d transfer seq 3",
              msg, len, 3, 1);

    /* TCP stream binding: the same HELLO and COMMIT bytes, length-prefixed. */
    len = msg_hello(msg);
    sample_begin(g, "xfer", "xfer-tcp-hello",
                 "the xfer-hello message over TCP: 10.0.0.1:40000 → 10.0.0.2:5757, one "
                 "PSH/ACK segment with the 4-octet length prefix; IPv4 and TCP checksums "
                 "correct");
    flen = tcp_frame(f, msg, len, 1000001, 2000001, 0x0101);
    sample_frame(g, f, flen);
    sample_valid(g, check_tcp_frame(f, flen));

    {
        /* Same connection, after HELLO, PRECOPY and DELTA went out (4-octet
         * prefix each); bridge-d's RESULT etc. travel on its own stream. */
        uint32_t seq = 1000001;
        seq += (uint32_t)(SAMI_XFER_STREAM_PREFIX_LEN + msg_hello(msg));
        seq += (uint32_t)(SAMI_XFER_STREAM_PREFIX_LEN + msg_precopy(msg));
        seq += (uint32_t)(SAMI_XFER_STREAM_PREFIX_LEN + msg_delta(msg));
        len = msg_commit(msg);
        sample_begin(g, "xfer", "xfer-tcp-commit",
                     "the xfer-commit message over TCP, same connection as xfer-tcp-hello "
                     "after PRECOPY and DELTA (TCP sequence numbers continue)");
        flen = tcp_frame(f, msg, len, seq, 2000001, 0x0104);
    }
    sample_frame(g, f, flen);
    sample_valid(g, check_tcp_frame(f, flen));

    /* ---- malformed (COMMIT over L2) ---- */
    len = msg_commit(msg);
    {
        uint8_t ed[MSG_MAX];
        size_t tag = len - SAMI_XFER_TAG_LEN;

        memcpy(ed, msg, len);
        ed[tag] ^= 0x01;
        sample_begin(g, "xfer", "xfer-bad-hmac",
                     "xfer-commit with one bit of its HMAC flipped");
        flen = l2_data_frame(f, ed, len, 4, 0);
        sample_frame(g, f, flen);
        sample_malformed(g, check_l2_frame(f, flen), SAMI_ERR_AUTH,
                         "byte %zu: first HMAC octet, bit 0 flipped (0x%02x → 0x%02x)",
                         L2O(tag), msg[tag], ed[tag]);

        sample_begin(g, "xfer", "xfer-truncated-trailer",
                     "xfer-commit whose last 10 octets (end of the HMAC) are missing; the L2 "
                     "payload length says so, so only the message is short");
        flen = l2_data_frame(f, msg, len - 10, 4, 0);
        sample_frame(g, f, flen);
        sample_malformed(g, check_l2_frame(f, flen), SAMI_ERR_LENGTH,
                         "message cut at %zu of %zu octets (frame bytes %zu-%zu dropped): the "
                         "body length no longer leaves 26 octets of trailer",
                         len - 10, len, L2O(len - 10), L2O(len) - 1);

        memcpy(ed, msg, len);
        uint32_t body = (uint32_t)(len - SAMI_XFER_OVERHEAD);
        put32(ed + 4, body + 4);
        sample_begin(g, "xfer", "xfer-bad-body-length",
                     "xfer-commit whose header claims 4 more body octets than it carries "
                     "(HMAC left as computed over the true header)");
        flen = l2_data_frame(f, ed, len, 4, 0);
        sample_frame(g, f, flen);
        sample_malformed(g, check_l2_frame(f, flen), SAMI_ERR_LENGTH,
                         "bytes %zu-%zu: body length %u → %u", L2O(4), L2O(7), body, body + 4);
    }
}

/* ---- l2 family ---- */

void gen_l2(struct gen *g)
{
    static uint8_t msg[MSG_MAX];
    static uint8_t asm_buf[MSG_MAX];
    struct sami_xfer_builder b;
    struct sami_di_record r;
    uint8_t f[3][FRAME_MAX];
    size_t flen[3], len;
    uint16_t count;

    /* A PRECOPY too big for one frame: 50 firewall sessions. */
    begin_batch(&b, msg, MSG_MAX, SAMI_XFER_PRECOPY, 0, 1, 55);
    for (unsigned i = 0; i < 50; i++) {
        rec_firewall(&r, i >= 30, (uint16_t)(49152 + i));
        build_rec(&b, &r);
    }
    len = finish(&b, 2);
    sg_must(sami_xfer_l2_frag_count(len, 1500, &count), "frag count");
    if (count != 3)
        sg_die("fragmented sample: %u fragments, want 3", count);

    sample_begin(g, "l2", "l2-fragmented",
                 "one PRECOPY (50 firewall sessions, 30 plain + 20 with NAT) cut into 3 L2 DATA "
                 "frames: L2 seq 2-4, fragment 0-2 of 3 (1488 + 1488 + rest payload octets)");
    {
        struct sami_xfer_l2_reasm ra;
        const uint8_t *whole = NULL;
        size_t whole_len = 0;
        int rc = 0, res = SAMI_XFER_L2_MORE;

        sami_xfer_l2_reasm_init(&ra, asm_buf, sizeof asm_buf);
        for (uint16_t i = 0; i < 3; i++) {
            size_t off, flen_i;
            struct sami_xfer_l2_frame fr, dec;
            struct sami_err err;

            sg_must(sami_xfer_l2_frag_range(len, 1500, i, &off, &flen_i), "frag range");
            fr = (struct sami_xfer_l2_frame){SAMI_XFER_L2_VERSION, SAMI_XFER_L2_DATA,
                                             (uint16_t)(2 + i), i, 3, (uint16_t)flen_i,
                                             msg + off};
            flen[i] = l2_frame(f[i], &fr, 0);
            sample_frame(g, f[i], flen[i]);
            if (rc == 0)
                rc = sami_xfer_l2_decode(f[i] + ETH_HDR_LEN, flen[i] - ETH_HDR_LEN, &dec, &err);
            if (rc == 0) {
                res = sami_xfer_l2_reasm_push(&ra, &dec, &whole, &whole_len);
                if (res < 0)
                    rc = res;
            }
        }
        if (rc == 0 && res != SAMI_XFER_L2_COMPLETE)
            rc = SAMI_ERR_TRUNCATED;
        if (rc == 0)
            rc = check_xfer_message(whole, whole_len);
        sample_valid(g, rc);
    }

    {
        struct sami_xfer_l2_frame ack = {SAMI_XFER_L2_VERSION, SAMI_XFER_L2_ACK, 1, 0, 1, 0, NULL};
        uint8_t a[FRAME_MAX];
        size_t alen = l2_frame(a, &ack, 1);
        sample_begin(g, "l2", "l2-ack",
                     "L2 ACK, bridge-d → bridge-o, for DATA seq 1 fragment 0 of 1 (the "
                     "xfer-hello frame): no payload, padded to 60");
        sample_frame(g, a, alen);
        sample_valid(g, check_l2_frame(a, alen));
    }

    /* ---- malformed ---- */
    len = msg_hello(msg);
    {
        uint8_t m[FRAME_MAX];
        size_t mlen = l2_data_frame(m, msg, len, 1, 0);
        m[ETH_HDR_LEN + 1] = 'X';
        sample_begin(g, "l2", "l2-bad-magic", "the xfer-hello L2 frame with magic 'S' 'X'");
        sample_frame(g, m, mlen);
        sample_malformed(g, check_l2_frame(m, mlen), SAMI_ERR_TYPE,
                         "byte %zu: magic 0x4d ('M') → 0x58 ('X')", (size_t)ETH_HDR_LEN + 1);
    }

    /* Last fragment of l2-fragmented with index 3 of count 3. */
    f[2][ETH_HDR_LEN + 6] = 0;
    f[2][ETH_HDR_LEN + 7] = 3;
    sample_begin(g, "l2", "l2-bad-frag-index",
                 "the third l2-fragmented frame with fragment index 3 (count 3)");
    sample_frame(g, f[2], flen[2]);
    sample_malformed(g, check_l2_frame(f[2], flen[2]), SAMI_ERR_VALUE,
                     "bytes %zu-%zu: fragment index 2 → 3 (fragment count 3)",
                     (size_t)ETH_HDR_LEN + 6, (size_t)ETH_HDR_LEN + 7);
}

/* ---- di family ---- */

static void di_sample(struct gen *g, const char *name, const char *what,
                      const struct sami_di_record *recs, size_t n)
{
    static uint8_t msg[MSG_MAX];
    struct sami_xfer_builder b;
    size_t len;

    begin_batch(&b, msg, MSG_MAX, SAMI_XFER_PRECOPY, 0, 1, 40);
    for (size_t i = 0; i < n; i++)
        build_rec(&b, &recs[i]);
    len = finish(&b, 2);
    l2_sample(g, "di", name, what, msg, len, 2, 0);
}

void gen_di(struct gen *g)
{
    static uint8_t msg[MSG_MAX];
    struct sami_di_record r[2];
    struct sami_xfer_builder b;
    uint8_t f[FRAME_MAX];
    size_t flen, len;

    rec_dhcp(&r[0], 3540000);
    di_sample(g, "di-dhcp",
              "PRECOPY with one DHCP snooping record: 192.0.2.10, 52:54:00:12:34:56, VLAN "
              "100, lease 3540 s left",
              r, 1);
    rec_dhcpv6(&r[0]);
    di_sample(g, "di-dhcpv6",
              "PRECOPY with one DHCPv6 snooping record: 2001:db8::a, IAID 0x0a0b0c0d, lease "
              "7200 s left",
              r, 1);
    rec_nd(&r[0], SAMI_DI_ND_VALID);
    rec_nd(&r[1], SAMI_DI_ND_STALE);
    r[1].u.nd.ipv6[15] = 0x0b;
    r[1].op = SAMI_DI_OP_DELETE;
    di_sample(g, "di-nd",
              "PRECOPY with two ND snooping records: 2001:db8::a VALID (upsert), "
              "2001:db8::b STALE (delete)",
              r, 2);
    rec_dot1x(&r[0]);
    di_sample(g, "di-dot1x",
              "PRECOPY with one 802.1X session: authorized, EAP-TLS, VLAN 100, session id "
              "\"8f3a0001\", identity \"vm42@example.org\", filter id \"VM-WEB-ACL\"",
              r, 1);
    rec_acl(&r[0]);
    di_sample(g, "di-acl",
              "PRECOPY with one dynamic ACL: rule 7, rate-limit 512 kbit/s from the flood "
              "blacklist, UDP 198.51.100.0/24 → 192.0.2.10 port 53, VLAN + MAC match",
              r, 1);
    rec_igmp(&r[0], 0);
    rec_igmp(&r[1], 1);
    di_sample(g, "di-igmp",
              "PRECOPY with two IGMP/MLD records: IPv4 239.1.1.1 EXCLUDE (any source), MLD "
              "ff3e::1234 INCLUDE from 2001:db8::99",
              r, 2);
    rec_counters(&r[0], SAMI_DI_DIR_IN);
    rec_counters(&r[1], SAMI_DI_DIR_OUT);
    di_sample(g, "di-counters", "PRECOPY with two counters records (in and out)", r, 2);
    rec_firewall(&r[0], 0, 49152);
    rec_firewall(&r[1], 1, 49153);
    di_sample(g, "di-firewall",
              "PRECOPY with two firewall sessions: TCP ESTABLISHED to 203.0.113.5:443; UDP "
              "ASSURED to 203.0.113.123:123 with a NAT mapping (the 92-octet form)",
              r, 2);

    /* ---- unknown type (valid) and malformed records ---- */
    {
        static const uint8_t unknown[6] = {0x01, 0x01, 0xde, 0xad, 0xbe, 0xef};
        rec_dhcp(&r[0], 3540000);
        begin_batch(&b, msg, MSG_MAX, SAMI_XFER_PRECOPY, 0, 1, 40);
        build_rec(&b, &r[0]);
        sg_must(sami_xfer_build_di(&b, 0x42, unknown, sizeof unknown), "unknown di");
        len = finish(&b, 2);
        sample_begin(g, "di", "di-unknown-type",
                     "PRECOPY with a DHCP record and a record of unknown DI type 0x42 "
                     "(element 0x0142, 6 octets): valid, the unknown record is skipped by "
                     "length");
        flen = l2_data_frame(f, msg, len, 2, 0);
        sample_frame(g, f, flen);
        sample_valid(g, check_l2_frame(f, flen));
    }
    {
        uint8_t val[SAMI_DI_MAX_LEN];
        size_t vlen, at;

        rec_dhcp(&r[0], 3540000);
        sg_must(sami_di_encode(&r[0], val, sizeof val, &vlen), "di encode");
        val[0] = 2;
        begin_batch(&b, msg, MSG_MAX, SAMI_XFER_PRECOPY, 0, 1, 40);
        at = b.w.pos;
        sg_must(sami_xfer_build_di(&b, SAMI_DI_DHCP, val, vlen), "di element");
        len = finish(&b, 2);
        sample_begin(g, "di", "di-bad-version",
                     "PRECOPY with a DHCP record of record version 2 (message correctly "
                     "signed)");
        flen = l2_data_frame(f, msg, len, 2, 0);
        sample_frame(g, f, flen);
        sample_malformed(g, check_l2_frame(f, flen), SAMI_ERR_VERSION,
                         "byte %zu: record version 1 → 2 (element 0x0101 at byte %zu)",
                         L2O(at + 4), L2O(at));

        sg_must(sami_di_encode(&r[0], val, sizeof val, &vlen), "di encode");
        val[vlen] = val[vlen + 1] = 0;
        begin_batch(&b, msg, MSG_MAX, SAMI_XFER_PRECOPY, 0, 1, 40);
        at = b.w.pos;
        sg_must(sami_xfer_build_di(&b, SAMI_DI_DHCP, val, vlen + 2), "di element");
        len = finish(&b, 2);
        sample_begin(g, "di", "di-bad-record-length",
                     "PRECOPY with a DHCP record element of length 20: the 18-octet record "
                     "plus 2 zero octets (message framing and HMAC consistent)");
        flen = l2_data_frame(f, msg, len, 2, 0);
        sample_frame(g, f, flen);
        sample_malformed(g, check_l2_frame(f, flen), SAMI_ERR_LENGTH,
                         "bytes %zu-%zu: element length 18 → 20, 2 zero octets appended to "
                         "the value",
                         L2O(at + 2), L2O(at + 3));

        rec_dot1x(&r[0]);
        sg_must(sami_di_encode(&r[0], val, sizeof val, &vlen), "di encode");
        /* fixed part 20 octets, then session id (len + bytes), then identity */
        size_t id_len_at = 20u + 1u + r[0].u.dot1x.session_id_len;
        if (val[id_len_at] != r[0].u.dot1x.identity_len)
            sg_die("dot1x layout: identity length not where expected");
        val[id_len_at] = 200;
        begin_batch(&b, msg, MSG_MAX, SAMI_XFER_PRECOPY, 0, 1, 40);
        at = b.w.pos;
        sg_must(sami_xfer_build_di(&b, SAMI_DI_DOT1X, val, vlen), "di element");
        len = finish(&b, 2);
        sample_begin(g, "di", "di-dot1x-string-overrun",
                     "PRECOPY with an 802.1X record whose identity string length (200) runs "
                     "past the record");
        flen = l2_data_frame(f, msg, len, 2, 0);
        sample_frame(g, f, flen);
        sample_malformed(g, check_l2_frame(f, flen), SAMI_ERR_LENGTH,
                         "byte %zu: identity length %u → 200 (the record value is %zu "
                         "octets)",
                         L2O(at + 4 + id_len_at), (unsigned)r[0].u.dot1x.identity_len, vlen);
    }
}
