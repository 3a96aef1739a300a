/* DHCP snooping: frame decoder and learner (sami/dhcpsnoop.h). Sans-I/O:
 * every byte is read through a struct sami_rd. */
#include "sami/dhcpsnoop.h"

#include <string.h>

#include "sami/cursor.h"

#define ETH_P_IPV4 0x0800u
#define ETH_P_8021Q 0x8100u
#define ETH_P_8021AD 0x88a8u
#define ETH_P_QINQ_OLD 0x9100u /* pre-802.1ad S-tag, still seen */
#define IPPROTO_UDP_NUM 17u

#define BOOTP_FIXED_LEN 236u /* op .. file, RFC 2131 figure 1 */
#define BOOTP_SNAME_OFF 44u
#define BOOTP_SNAME_LEN 64u
#define BOOTP_FILE_OFF 108u
#define BOOTP_FILE_LEN 128u
#define DHCP_MAGIC 0x63825363u

#define OPT_PAD 0
#define OPT_REQUESTED_IP 50
#define OPT_LEASE_TIME 51
#define OPT_OVERLOAD 52
#define OPT_MSG_TYPE 53
#define OPT_SERVER_ID 54
#define OPT_CLIENT_ID 61
#define OPT_END 255

/* Which fields carry options (RFC 2131 4.1: options first, then file, then
 * sname when option 52 says so). */
enum opt_area { AREA_OPTIONS, AREA_FILE, AREA_SNAME };

/* Options seen so far, across the areas. */
struct opt_state {
    uint32_t seen; /* bit per tracked option, for duplicates */
    uint8_t requested_ip[4];
    uint8_t has_requested_ip;
};

#define SEEN_REQ 0x01u
#define SEEN_LEASE 0x02u
#define SEEN_OVERLOAD 0x04u
#define SEEN_TYPE 0x08u
#define SEEN_SERVER 0x10u
#define SEEN_CLIENT_ID 0x20u

static int once(struct sami_rd *r, struct opt_state *st, uint32_t bit, size_t at, const char *what)
{
    if (st->seen & bit)
        return sami_rd_fail_at(r, at, SAMI_ERR_DUPLICATE, what);
    st->seen |= bit;
    return 0;
}

/* A fixed-length option value: anything else is a length lie. */
static int exact(struct sami_rd *v, size_t want, size_t len_at, const char *what)
{
    if (v->len != want)
        return sami_rd_fail_at(v, len_at, SAMI_ERR_LENGTH, what);
    return 0;
}

/* Walks one option area up to its END option (mandatory: an area that just
 * stops may be a cut message whose lengths were rewritten to match). */
static int parse_options(struct sami_rd *r, enum opt_area area, struct opt_state *st,
                         struct sami_dhcpsnoop_event *ev)
{
    for (;;) {
        size_t at = sami_rd_offset(r);
        uint8_t code, len;
        if (sami_rd_done(r))
            return sami_rd_fail(r, SAMI_ERR_MISSING, area == AREA_OPTIONS ? "dhcp.options.end"
                                                     : area == AREA_FILE  ? "dhcp.file.end"
                                                                          : "dhcp.sname.end");
        int rc = sami_rd_u8(r, &code, "dhcp.option.code");
        if (rc)
            return rc;
        if (code == OPT_PAD)
            continue;
        if (code == OPT_END)
            return 0; /* what follows END is padding, whatever its value */
        size_t len_at = sami_rd_offset(r);
        rc = sami_rd_u8(r, &len, "dhcp.option.length");
        if (rc)
            return rc;
        struct sami_rd v;
        rc = sami_rd_sub(r, &v, len, code, "dhcp.option.value");
        if (rc)
            return rc;
        switch (code) {
        case OPT_MSG_TYPE:
            if ((rc = once(r, st, SEEN_TYPE, at, "dhcp.option53")) ||
                (rc = exact(&v, 1, len_at, "dhcp.option53.length")) ||
                (rc = sami_rd_u8(&v, &ev->msg_type, "dhcp.option53")))
                return rc;
            if (ev->msg_type == 0)
                return sami_rd_fail_at(r, v.origin, SAMI_ERR_VALUE, "dhcp.option53");
            break;
        case OPT_LEASE_TIME:
            if ((rc = once(r, st, SEEN_LEASE, at, "dhcp.option51")) ||
                (rc = exact(&v, 4, len_at, "dhcp.option51.length")) ||
                (rc = sami_rd_u32(&v, &ev->lease_s, "dhcp.option51")))
                return rc;
            ev->has_lease = 1;
            break;
        case OPT_SERVER_ID:
            if ((rc = once(r, st, SEEN_SERVER, at, "dhcp.option54")) ||
                (rc = exact(&v, 4, len_at, "dhcp.option54.length")) ||
                (rc = sami_rd_bytes(&v, ev->server_id, 4, "dhcp.option54")))
                return rc;
            ev->has_server_id = 1;
            break;
        case OPT_REQUESTED_IP:
            if ((rc = once(r, st, SEEN_REQ, at, "dhcp.option50")) ||
                (rc = exact(&v, 4, len_at, "dhcp.option50.length")) ||
                (rc = sami_rd_bytes(&v, st->requested_ip, 4, "dhcp.option50")))
                return rc;
            st->has_requested_ip = 1;
            break;
        case OPT_CLIENT_ID:
            /* RFC 2132 9.14: type + at least one octet. A split (RFC 3396)
             * client id would be a duplicate here: ids never need 255+. */
            if ((rc = once(r, st, SEEN_CLIENT_ID, at, "dhcp.option61")))
                return rc;
            if (v.len < 2)
                return sami_rd_fail_at(r, len_at, SAMI_ERR_LENGTH, "dhcp.option61.length");
            if ((rc = sami_rd_ptr(&v, &ev->client_id, v.len, "dhcp.option61")))
                return rc;
            ev->client_id_len = len;
            break;
        case OPT_OVERLOAD:
            /* Only the options field may redirect to file / sname; a 52 in
             * those would loop or contradict. */
            if (area != AREA_OPTIONS)
                return sami_rd_fail_at(r, at, SAMI_ERR_VALUE, "dhcp.option52.place");
            if ((rc = once(r, st, SEEN_OVERLOAD, at, "dhcp.option52")) ||
                (rc = exact(&v, 1, len_at, "dhcp.option52.length")) ||
                (rc = sami_rd_u8(&v, &ev->overload, "dhcp.option52")))
                return rc;
            if (ev->overload < 1 || ev->overload > 3)
                return sami_rd_fail_at(r, v.origin, SAMI_ERR_VALUE, "dhcp.option52");
            break;
        default:
            break; /* skipped by its length */
        }
    }
}

static int read_eth(struct sami_rd *r, uint16_t port_vlan, struct sami_dhcpsnoop_event *ev,
                    uint16_t *ethertype)
{
    int rc = sami_rd_skip(r, 12, "eth.addresses");
    if (rc)
        return rc;
    if ((rc = sami_rd_u16(r, ethertype, "eth.type")))
        return rc;
    ev->vlan = port_vlan;
    /* Up to two tags (802.1ad S-tag + C-tag): the innermost VID is the VM's
     * VLAN. A VID of 0 only carries a priority: the port's VLAN applies. */
    for (int i = 0; i < 2; i++) {
        if (*ethertype != ETH_P_8021Q && *ethertype != ETH_P_8021AD &&
            *ethertype != ETH_P_QINQ_OLD)
            break;
        uint16_t tci;
        if ((rc = sami_rd_u16(r, &tci, "eth.vlan.tci")) ||
            (rc = sami_rd_u16(r, ethertype, "eth.vlan.type")))
            return rc;
        uint16_t vid = tci & 0x0fffu;
        if (vid == 0x0fffu)
            return sami_rd_fail_at(r, sami_rd_offset(r) - 4, SAMI_ERR_VALUE, "eth.vlan.vid");
        if (vid != 0) {
            ev->vlan = vid;
            ev->tagged = 1;
        }
    }
    return 0;
}

/* One's-complement sum of the header, read again through its own window. */
static int ipv4_checksum_ok(const struct sami_rd *hdr)
{
    struct sami_rd c = *hdr;
    c.pos = 0;
    uint32_t sum = 0;
    uint16_t w;
    while (sami_rd_left(&c) >= 2 && sami_rd_u16(&c, &w, "ipv4.header") == 0)
        sum += w;
    while (sum >> 16)
        sum = (sum & 0xffffu) + (sum >> 16);
    return sum == 0xffffu;
}

int sami_dhcpsnoop_decode(const uint8_t *frame, size_t len, uint16_t port_vlan,
                          struct sami_dhcpsnoop_event *ev, struct sami_err *err)
{
    struct sami_rd r;
    sami_rd_init(&r, frame, len, err);
    if (!ev || port_vlan > 4094)
        return sami_rd_fail(&r, SAMI_ERR_INVAL, "port_vlan");
    memset(ev, 0, sizeof *ev);

    uint16_t ethertype;
    int rc = read_eth(&r, port_vlan, ev, &ethertype);
    if (rc)
        return rc;
    if (ethertype != ETH_P_IPV4) {
        ev->ignored = SAMI_DHCPSNOOP_IGN_NOT_IPV4;
        return 0;
    }

    /* ---- IPv4 ---- */
    size_t ip_at = sami_rd_offset(&r);
    if ((rc = sami_rd_need(&r, 20, "ipv4.header")))
        return rc;
    struct sami_rd peek = r; /* version, IHL and total length frame the rest */
    uint8_t vihl = 0, proto = 0;
    uint16_t total = 0, frag = 0;
    (void)sami_rd_u8(&peek, &vihl, "ipv4.version");
    (void)sami_rd_skip(&peek, 1, "ipv4.tos");
    (void)sami_rd_u16(&peek, &total, "ipv4.total_length");
    if ((vihl >> 4) != 4)
        return sami_rd_fail_at(&r, ip_at, SAMI_ERR_VALUE, "ipv4.version");
    size_t ihl = (size_t)(vihl & 0x0fu) * 4u;
    if (ihl < 20)
        return sami_rd_fail_at(&r, ip_at, SAMI_ERR_LENGTH, "ipv4.ihl");
    /* The packet is the first `total` octets after the Ethernet header; the
     * rest is padding. A total that overruns the frame is a lie (LENGTH). */
    if (total < ihl || total > sami_rd_left(&r))
        return sami_rd_fail_at(&r, ip_at + 2, SAMI_ERR_LENGTH, "ipv4.total_length");
    struct sami_rd ip, hdr;
    (void)sami_rd_sub(&r, &ip, total, -1, "ipv4.total_length");
    (void)sami_rd_sub(&ip, &hdr, ihl, -1, "ipv4.ihl"); /* ihl <= total */
    (void)sami_rd_skip(&hdr, 6, "ipv4.version_to_id");
    (void)sami_rd_u16(&hdr, &frag, "ipv4.frag");
    (void)sami_rd_skip(&hdr, 1, "ipv4.ttl");
    (void)sami_rd_u8(&hdr, &proto, "ipv4.protocol");
    if (!ipv4_checksum_ok(&hdr))
        return sami_rd_fail_at(&r, ip_at + 10, SAMI_ERR_DIGEST, "ipv4.checksum");
    if (proto != IPPROTO_UDP_NUM) {
        ev->ignored = SAMI_DHCPSNOOP_IGN_NOT_UDP;
        return 0;
    }
    if (frag & 0x3fffu) { /* MF set or a fragment offset */
        ev->ignored = SAMI_DHCPSNOOP_IGN_FRAGMENT;
        return 0;
    }

    /* ---- UDP ---- */
    size_t udp_at = sami_rd_offset(&ip);
    uint16_t ulen;
    if ((rc = sami_rd_u16(&ip, &ev->src_port, "udp.src_port")) ||
        (rc = sami_rd_u16(&ip, &ev->dst_port, "udp.dst_port")) ||
        (rc = sami_rd_u16(&ip, &ulen, "udp.length")) || (rc = sami_rd_skip(&ip, 2, "udp.checksum")))
        return rc;
    if (ulen < 8 || (size_t)ulen - 8 != sami_rd_left(&ip))
        return sami_rd_fail_at(&r, udp_at + 4, SAMI_ERR_LENGTH, "udp.length");
    int ports_ok = (ev->src_port == SAMI_DHCP_SERVER_PORT || ev->src_port == SAMI_DHCP_CLIENT_PORT) &&
                   (ev->dst_port == SAMI_DHCP_SERVER_PORT || ev->dst_port == SAMI_DHCP_CLIENT_PORT);
    if (!ports_ok) {
        ev->ignored = SAMI_DHCPSNOOP_IGN_NOT_DHCP;
        return 0;
    }

    /* ---- BOOTP fixed part ---- */
    struct sami_rd b;
    (void)sami_rd_sub(&ip, &b, sami_rd_left(&ip), -1, "dhcp"); /* cannot fail */
    uint8_t op = 0, htype = 0, hlen = 0, ciaddr[4] = {0}, yiaddr[4] = {0};
    if ((rc = sami_rd_need(&b, BOOTP_FIXED_LEN, "dhcp.fixed")))
        return rc;
    (void)sami_rd_u8(&b, &op, "dhcp.op");
    (void)sami_rd_u8(&b, &htype, "dhcp.htype");
    (void)sami_rd_u8(&b, &hlen, "dhcp.hlen");
    (void)sami_rd_skip(&b, 1, "dhcp.hops");
    (void)sami_rd_u32(&b, &ev->xid, "dhcp.xid");
    (void)sami_rd_skip(&b, 4, "dhcp.secs_flags");
    (void)sami_rd_bytes(&b, ciaddr, 4, "dhcp.ciaddr");
    (void)sami_rd_bytes(&b, yiaddr, 4, "dhcp.yiaddr");
    (void)sami_rd_skip(&b, 8, "dhcp.siaddr_giaddr");
    (void)sami_rd_bytes(&b, ev->client_mac, 6, "dhcp.chaddr");
    (void)sami_rd_skip(&b, BOOTP_FIXED_LEN - 34, "dhcp.chaddr_sname_file");
    if (op != 1 && op != 2)
        return sami_rd_fail_at(&r, b.origin, SAMI_ERR_VALUE, "dhcp.op");

    uint32_t magic;
    if ((rc = sami_rd_u32(&b, &magic, "dhcp.magic")))
        return rc;
    if (magic != DHCP_MAGIC) { /* an RFC 951 vendor area: plain BOOTP */
        ev->ignored = SAMI_DHCPSNOOP_IGN_BOOTP;
        return 0;
    }

    /* ---- options (and the fields option 52 lends them) ---- */
    struct opt_state st;
    memset(&st, 0, sizeof st);
    if ((rc = parse_options(&b, AREA_OPTIONS, &st, ev)))
        return rc;
    if (ev->overload) {
        struct sami_rd area, whole = b;
        whole.pos = 0;
        if (ev->overload & 1) {
            whole.pos = BOOTP_FILE_OFF;
            (void)sami_rd_sub(&whole, &area, BOOTP_FILE_LEN, -1, "dhcp.file");
            if ((rc = parse_options(&area, AREA_FILE, &st, ev)))
                return rc;
        }
        if (ev->overload & 2) {
            whole.pos = BOOTP_SNAME_OFF;
            (void)sami_rd_sub(&whole, &area, BOOTP_SNAME_LEN, -1, "dhcp.sname");
            if ((rc = parse_options(&area, AREA_SNAME, &st, ev)))
                return rc;
        }
    }

    /* ---- what it means ---- */
    if (!ev->msg_type) {
        ev->ignored = SAMI_DHCPSNOOP_IGN_BOOTP;
        return 0;
    }
    int from_server = op == 2 && ev->src_port == SAMI_DHCP_SERVER_PORT &&
                      ev->dst_port == SAMI_DHCP_CLIENT_PORT;
    int from_client = op == 1 && ev->src_port == SAMI_DHCP_CLIENT_PORT &&
                      ev->dst_port == SAMI_DHCP_SERVER_PORT;
    uint8_t kind;
    switch (ev->msg_type) {
    case SAMI_DHCP_ACK:
        kind = from_server ? SAMI_DHCPSNOOP_ACK : SAMI_DHCPSNOOP_NONE;
        break;
    case SAMI_DHCP_NAK:
        kind = from_server ? SAMI_DHCPSNOOP_NAK : SAMI_DHCPSNOOP_NONE;
        break;
    case SAMI_DHCP_RELEASE:
        kind = from_client ? SAMI_DHCPSNOOP_RELEASE : SAMI_DHCPSNOOP_NONE;
        break;
    case SAMI_DHCP_DECLINE:
        kind = from_client ? SAMI_DHCPSNOOP_DECLINE : SAMI_DHCPSNOOP_NONE;
        break;
    default:
        ev->ignored = SAMI_DHCPSNOOP_IGN_OTHER_TYPE;
        return 0;
    }
    if (kind == SAMI_DHCPSNOOP_NONE) {
        ev->ignored = SAMI_DHCPSNOOP_IGN_DIRECTION;
        return 0;
    }
    /* chaddr names the client only for Ethernet hardware addresses. */
    if (htype != 1 || hlen != 6)
        return sami_rd_fail_at(&r, b.origin + 1, SAMI_ERR_UNSUPPORTED, "dhcp.htype");

    static const uint8_t zero[4];
    switch (kind) {
    case SAMI_DHCPSNOOP_ACK:
        if (!memcmp(yiaddr, zero, 4)) { /* answers an INFORM: no binding */
            ev->ignored = SAMI_DHCPSNOOP_IGN_NO_ADDRESS;
            return 0;
        }
        if (!ev->has_lease)
            return sami_rd_fail_at(&r, b.origin + BOOTP_FIXED_LEN, SAMI_ERR_MISSING, "dhcp.option51");
        memcpy(ev->client_ip, yiaddr, 4);
        break;
    case SAMI_DHCPSNOOP_RELEASE:
        if (!memcmp(ciaddr, zero, 4)) {
            ev->ignored = SAMI_DHCPSNOOP_IGN_NO_ADDRESS;
            return 0;
        }
        memcpy(ev->client_ip, ciaddr, 4);
        break;
    case SAMI_DHCPSNOOP_DECLINE:
        if (!st.has_requested_ip)
            return sami_rd_fail_at(&r, b.origin + BOOTP_FIXED_LEN, SAMI_ERR_MISSING, "dhcp.option50");
        memcpy(ev->client_ip, st.requested_ip, 4);
        break;
    default:
        break; /* NAK: no address */
    }
    ev->kind = kind;
    return 0;
}

/* ---- the learner ---- */

void sami_dhcpsnoop_init(struct sami_dhcpsnoop *s)
{
    if (s)
        memset(s, 0, sizeof *s);
}

static uint32_t lease_ms(const struct sami_dhcpsnoop_event *ev)
{
    if (ev->lease_s == UINT32_MAX)
        return SAMI_DI_INFINITE;
    uint64_t ms = (uint64_t)ev->lease_s * 1000u;
    /* u32 ms stop at ~49.7 days and all-ones means infinite: a longer lease
     * is kept that long, the client renews at half of it anyway. */
    return ms >= SAMI_DI_INFINITE ? SAMI_DI_INFINITE - 1u : (uint32_t)ms;
}

int sami_dhcpsnoop_record(const struct sami_dhcpsnoop_event *ev, struct sami_di_record *out)
{
    if (!ev || !out)
        return SAMI_ERR_INVAL;
    if (ev->kind != SAMI_DHCPSNOOP_ACK && ev->kind != SAMI_DHCPSNOOP_RELEASE &&
        ev->kind != SAMI_DHCPSNOOP_DECLINE)
        return SAMI_ERR_INVAL;
    memset(out, 0, sizeof *out);
    out->type = SAMI_DI_DHCP;
    out->version = SAMI_DI_DHCP_VERSION;
    out->op = ev->kind == SAMI_DHCPSNOOP_ACK ? SAMI_DI_OP_UPSERT : SAMI_DI_OP_DELETE;
    out->u.dhcp.vlan = ev->vlan;
    memcpy(out->u.dhcp.mac, ev->client_mac, 6);
    memcpy(out->u.dhcp.ipv4, ev->client_ip, 4);
    out->u.dhcp.lease_remaining_ms = ev->kind == SAMI_DHCPSNOOP_ACK ? lease_ms(ev) : 0;
    return 0;
}

/* NAK: the keys of the VM's DHCP records for one MAC and VLAN, collected in
 * batches because emit callbacks may not call back into the store. */
#define NAK_BATCH 16

struct nak_collect {
    const struct sami_dhcpsnoop_event *ev;
    struct sami_di_record keys[NAK_BATCH];
    unsigned n;
    unsigned more; /* a match did not fit */
};

static int nak_emit(void *arg, const struct sami_di_record *rec)
{
    struct nak_collect *c = arg;
    if (rec->type != SAMI_DI_DHCP || rec->u.dhcp.vlan != c->ev->vlan ||
        memcmp(rec->u.dhcp.mac, c->ev->client_mac, 6) != 0)
        return 0;
    if (c->n == NAK_BATCH) {
        c->more = 1;
        return 0;
    }
    c->keys[c->n++] = *rec;
    return 0;
}

static int apply_nak(struct sami_dhcpsnoop *s, sami_usec_t now, const struct sami_store *store,
                     const struct sami_vm_id *vm, const struct sami_dhcpsnoop_event *ev)
{
    struct nak_collect c;
    unsigned removed = 0;
    do {
        c.ev = ev;
        c.n = 0;
        c.more = 0;
        int rc = sami_store_foreach(store, vm, now, nak_emit, &c);
        if (rc < 0) {
            s->counters.store_errors++;
            return rc;
        }
        for (unsigned i = 0; i < c.n; i++) {
            rc = sami_store_del(store, vm, &c.keys[i]);
            if (rc < 0) {
                s->counters.store_errors++;
                return rc;
            }
            removed++;
            s->counters.removed++;
        }
        /* Each full batch deleted NAK_BATCH records, so this ends. */
    } while (c.more);
    if (!removed) {
        s->counters.not_held++;
        return SAMI_DHCPSNOOP_NOT_HELD;
    }
    return SAMI_DHCPSNOOP_REMOVED;
}

static int apply_remove(struct sami_dhcpsnoop *s, sami_usec_t now, const struct sami_store *store,
                        const struct sami_vm_id *vm, const struct sami_dhcpsnoop_event *ev)
{
    struct sami_di_record key, cur;
    (void)sami_dhcpsnoop_record(ev, &key);
    int rc = sami_store_get(store, vm, &key, now, &cur);
    if (rc == SAMI_ERR_NOTFOUND) {
        s->counters.not_held++;
        return SAMI_DHCPSNOOP_NOT_HELD;
    }
    if (rc < 0) {
        s->counters.store_errors++;
        return rc;
    }
    /* Two NICs of one VM may share a VLAN: only the releasing one's goes. */
    if (memcmp(cur.u.dhcp.mac, ev->client_mac, 6) != 0) {
        s->counters.foreign++;
        return SAMI_DHCPSNOOP_NOT_HELD;
    }
    rc = sami_store_del(store, vm, &key);
    if (rc < 0) {
        s->counters.store_errors++;
        return rc;
    }
    s->counters.removed++;
    return SAMI_DHCPSNOOP_REMOVED;
}

int sami_dhcpsnoop_input(struct sami_dhcpsnoop *s, sami_usec_t now, uint16_t port_vlan,
                         const uint8_t *frame, size_t len, const struct sami_store *store,
                         sami_dhcpsnoop_lookup_fn lookup, void *lookup_ctx)
{
    if (!s || !store || !lookup)
        return SAMI_ERR_INVAL;
    s->counters.frames++;
    struct sami_dhcpsnoop_event ev;
    int rc = sami_dhcpsnoop_decode(frame, len, port_vlan, &ev, &s->last_err);
    if (rc < 0) {
        s->counters.malformed++;
        if (rc == SAMI_ERR_DIGEST)
            s->counters.bad_checksum++;
        return rc;
    }
    s->last = ev;
    s->last.client_id = NULL; /* points into the caller's frame */
    s->last.client_id_len = 0;
    switch (ev.kind) {
    case SAMI_DHCPSNOOP_ACK:
        s->counters.acks++;
        break;
    case SAMI_DHCPSNOOP_NAK:
        s->counters.naks++;
        break;
    case SAMI_DHCPSNOOP_RELEASE:
        s->counters.releases++;
        break;
    case SAMI_DHCPSNOOP_DECLINE:
        s->counters.declines++;
        break;
    default:
        if (ev.ignored < SAMI_DHCPSNOOP_IGN_COUNT)
            s->counters.ignored[ev.ignored]++;
        return SAMI_DHCPSNOOP_IGNORED;
    }

    struct sami_vm_id vm;
    memset(&vm, 0, sizeof vm);
    if (lookup(lookup_ctx, ev.client_mac, ev.vlan, &vm) != 0) {
        s->counters.unknown_vm++;
        return SAMI_DHCPSNOOP_UNKNOWN_VM;
    }

    if (ev.kind == SAMI_DHCPSNOOP_NAK)
        return apply_nak(s, now, store, &vm, &ev);
    if (ev.kind != SAMI_DHCPSNOOP_ACK)
        return apply_remove(s, now, store, &vm, &ev);

    struct sami_di_record rec;
    (void)sami_dhcpsnoop_record(&ev, &rec);
    rc = sami_store_put(store, &vm, &rec, now);
    if (rc < 0) {
        s->counters.store_errors++;
        return rc;
    }
    s->counters.learned++;
    return SAMI_DHCPSNOOP_LEARNED;
}

const char *sami_dhcpsnoop_kind_name(unsigned kind)
{
    static const char *const names[] = {"none", "ack", "nak", "release", "decline"};
    return kind < sizeof names / sizeof names[0] ? names[kind] : "unknown";
}

const char *sami_dhcpsnoop_ignored_name(unsigned reason)
{
    static const char *const names[] = {"none",      "not_ipv4",  "not_udp",
                                        "fragment",  "not_dhcp",  "direction",
                                        "bootp",     "other_type", "no_address"};
    return reason < sizeof names / sizeof names[0] ? names[reason] : "unknown";
}
