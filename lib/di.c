/* DI record codecs (docs/PROTOCOL.md section 7). Decoding parses the fixed
 * layout first and then runs the same field checks the encoder runs
 * (check_fields), so both sides accept exactly the same records. */
#include "sami/di.h"

#include <string.h>

/* ---- names ---- */

static const char *name_at(const char *const *names, size_t n, unsigned v)
{
    return v < n && names[v] ? names[v] : "unknown";
}

#define NAME_AT(tbl, v) name_at((tbl), sizeof(tbl) / sizeof((tbl)[0]), (v))

const char *sami_di_type_name(unsigned type)
{
    static const char *const names[] = {NULL,  "dhcp", "dhcpv6",   "nd",      "dot1x",
                                        "acl", "igmp", "counters", "firewall"};
    return NAME_AT(names, type);
}

const char *sami_di_op_name(unsigned op)
{
    static const char *const names[] = {NULL, "upsert", "delete"};
    return NAME_AT(names, op);
}

const char *sami_di_family_name(unsigned family)
{
    if (family == SAMI_DI_FAMILY_IPV4)
        return "ipv4";
    if (family == SAMI_DI_FAMILY_IPV6)
        return "ipv6";
    return "unknown";
}

const char *sami_di_nd_state_name(unsigned state)
{
    static const char *const names[] = {NULL, "tentative", "valid", "testing", "stale"};
    return NAME_AT(names, state);
}

const char *sami_di_acl_action_name(unsigned action)
{
    static const char *const names[] = {NULL, "permit", "deny", "rate_limit"};
    return NAME_AT(names, action);
}

const char *sami_di_acl_origin_name(unsigned origin)
{
    static const char *const names[] = {NULL, "radius", "flood_blacklist", "ids", "firewall",
                                        "other"};
    return NAME_AT(names, origin);
}

const char *sami_di_igmp_mode_name(unsigned mode)
{
    static const char *const names[] = {NULL, "include", "exclude"};
    return NAME_AT(names, mode);
}

const char *sami_di_direction_name(unsigned direction)
{
    static const char *const names[] = {NULL, "in", "out"};
    return NAME_AT(names, direction);
}

const char *sami_di_fw_state_name(unsigned state)
{
    static const char *const names[] = {NULL,         "syn_sent",  "syn_recv", "established",
                                        "fin_wait",   "close_wait", "time_wait", "closed",
                                        "new",        "assured"};
    return NAME_AT(names, state);
}

const char *sami_di_eap_method_name(unsigned method)
{
    /* The IANA EAP method types a bridge is likely to see; the number is on
     * the wire, this is only for display. */
    switch (method) {
    case 0: return "none";
    case 1: return "identity";
    case 4: return "md5";
    case 5: return "otp";
    case 6: return "gtc";
    case 13: return "tls";
    case 17: return "leap";
    case 18: return "sim";
    case 21: return "ttls";
    case 23: return "aka";
    case 25: return "peap";
    case 26: return "mschapv2";
    case 43: return "fast";
    case 47: return "psk";
    case 50: return "aka_prime";
    case 52: return "pwd";
    case 55: return "teap";
    default: return "unknown";
    }
}

uint8_t sami_di_current_version(unsigned type)
{
    /* All types are at version 1 today; kept per type so one can move alone. */
    static const uint8_t versions[] = {0,
                                       SAMI_DI_DHCP_VERSION,
                                       SAMI_DI_DHCPV6_VERSION,
                                       SAMI_DI_ND_VERSION,
                                       SAMI_DI_DOT1X_VERSION,
                                       SAMI_DI_ACL_VERSION,
                                       SAMI_DI_IGMP_VERSION,
                                       SAMI_DI_COUNTERS_VERSION,
                                       SAMI_DI_FIREWALL_VERSION};
    return type < sizeof versions ? versions[type] : 0;
}

/* ---- field checks shared by decoder and encoder ---- */

static const uint8_t v4mapped_prefix[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_v4mapped(const uint8_t a[16])
{
    return memcmp(a, v4mapped_prefix, sizeof v4mapped_prefix) == 0;
}

static bool is_zero16(const uint8_t a[16])
{
    uint8_t acc = 0;
    for (int i = 0; i < 16; i++)
        acc |= a[i];
    return acc == 0;
}

static bool is_multicast(uint8_t family, const uint8_t a[16])
{
    if (family == SAMI_DI_FAMILY_IPV4)
        return is_v4mapped(a) && (a[12] & 0xf0) == 0xe0; /* 224.0.0.0/4 */
    return a[0] == 0xff;                                   /* ff00::/8 */
}

static bool family_ok(uint8_t f)
{
    return f == SAMI_DI_FAMILY_IPV4 || f == SAMI_DI_FAMILY_IPV6;
}

/* One failed check: the value offset of the offending field and its name. */
struct check_fail {
    size_t off;
    const char *what;
};

static int bad(struct check_fail *f, size_t off, const char *what)
{
    f->off = off;
    f->what = what;
    return SAMI_ERR_VALUE;
}

/* Range checks on a record of a known type, in wire order (strings are
 * checked where they are read or written). Offsets are the v1 layouts'. */
static int check_fields(const struct sami_di_record *rec, struct check_fail *f)
{
    if (rec->op != SAMI_DI_OP_UPSERT && rec->op != SAMI_DI_OP_DELETE)
        return bad(f, 1, "di.op");
    switch (rec->type) {
    case SAMI_DI_DHCP:
        if (rec->u.dhcp.vlan > SAMI_DI_VLAN_MAX)
            return bad(f, 12, "di.dhcp.vlan");
        return 0;
    case SAMI_DI_DHCPV6:
        if (rec->u.dhcpv6.vlan > SAMI_DI_VLAN_MAX)
            return bad(f, 24, "di.dhcpv6.vlan");
        return 0;
    case SAMI_DI_ND: {
        const struct sami_di_nd *n = &rec->u.nd;
        if (n->vlan > SAMI_DI_VLAN_MAX)
            return bad(f, 24, "di.nd.vlan");
        if (n->state < SAMI_DI_ND_TENTATIVE || n->state > SAMI_DI_ND_STALE)
            return bad(f, 30, "di.nd.state");
        return 0;
    }
    case SAMI_DI_DOT1X: {
        const struct sami_di_dot1x *d = &rec->u.dot1x;
        if (d->authorized > 1)
            return bad(f, 8, "di.dot1x.authorized");
        if (d->vlan > SAMI_DI_VLAN_MAX)
            return bad(f, 10, "di.dot1x.vlan");
        return 0;
    }
    case SAMI_DI_ACL: {
        const struct sami_di_acl *a = &rec->u.acl;
        if (a->action < SAMI_DI_ACL_PERMIT || a->action > SAMI_DI_ACL_RATE_LIMIT)
            return bad(f, 6, "di.acl.action");
        if (a->origin < SAMI_DI_ACL_RADIUS || a->origin > SAMI_DI_ACL_OTHER)
            return bad(f, 7, "di.acl.origin");
        if (a->flags & ~SAMI_DI_ACL_F_ALL)
            return bad(f, 9, "di.acl.flags");
        if (a->src_prefix_len > 128)
            return bad(f, 10, "di.acl.src_prefix_len");
        if (a->dst_prefix_len > 128)
            return bad(f, 11, "di.acl.dst_prefix_len");
        if (a->src_port_lo > a->src_port_hi)
            return bad(f, 44, "di.acl.src_port");
        if (a->dst_port_lo > a->dst_port_hi)
            return bad(f, 48, "di.acl.dst_port");
        if (a->vlan > SAMI_DI_VLAN_MAX)
            return bad(f, 52, "di.acl.vlan");
        return 0;
    }
    case SAMI_DI_IGMP: {
        const struct sami_di_igmp *g = &rec->u.igmp;
        if (!family_ok(g->family))
            return bad(f, 2, "di.igmp.family");
        if (g->filter_mode < SAMI_DI_IGMP_INCLUDE || g->filter_mode > SAMI_DI_IGMP_EXCLUDE)
            return bad(f, 3, "di.igmp.filter_mode");
        if (g->vlan > SAMI_DI_VLAN_MAX)
            return bad(f, 4, "di.igmp.vlan");
        if (!is_multicast(g->family, g->group))
            return bad(f, 6, "di.igmp.group");
        /* The family decides how addr16 reads: an IPv4 source must be mapped. */
        if (g->family == SAMI_DI_FAMILY_IPV4 && !is_zero16(g->source) && !is_v4mapped(g->source))
            return bad(f, 22, "di.igmp.source");
        return 0;
    }
    case SAMI_DI_COUNTERS:
        if (rec->u.counters.direction < SAMI_DI_DIR_IN || rec->u.counters.direction > SAMI_DI_DIR_OUT)
            return bad(f, 2, "di.counters.direction");
        return 0;
    case SAMI_DI_FIREWALL: {
        const struct sami_di_firewall *s = &rec->u.firewall;
        if (!family_ok(s->family))
            return bad(f, 2, "di.firewall.family");
        /* TCP states only for TCP, NEW/ASSURED only for the rest. */
        bool tcp = s->protocol == 6;
        if (tcp ? (s->state < SAMI_DI_FW_SYN_SENT || s->state > SAMI_DI_FW_CLOSED)
                : (s->state != SAMI_DI_FW_NEW && s->state != SAMI_DI_FW_ASSURED))
            return bad(f, 4, "di.firewall.state");
        if (s->flags & ~SAMI_DI_FW_F_ALL)
            return bad(f, 5, "di.firewall.flags");
        if (s->vlan > SAMI_DI_VLAN_MAX)
            return bad(f, 6, "di.firewall.vlan");
        if (s->family == SAMI_DI_FAMILY_IPV4 && !is_v4mapped(s->src))
            return bad(f, 8, "di.firewall.src");
        if (s->family == SAMI_DI_FAMILY_IPV4 && !is_v4mapped(s->dst))
            return bad(f, 24, "di.firewall.dst");
        return 0;
    }
    default:
        return bad(f, 0, "di.type"); /* not reached: callers filter types */
    }
}

static int check_string(const char *s, uint8_t n)
{
    if (n > SAMI_DI_STR_MAX)
        return SAMI_ERR_VALUE;
    if (n && memchr(s, 0, n))
        return SAMI_ERR_VALUE;
    return 0;
}

int sami_di_validate(const struct sami_di_record *rec)
{
    if (!rec)
        return SAMI_ERR_INVAL;
    if (rec->type < 1 || rec->type > SAMI_DI_TYPE_MAX)
        return SAMI_ERR_TYPE;
    if (rec->version != sami_di_current_version(rec->type))
        return SAMI_ERR_VERSION;
    struct check_fail f;
    int rc = check_fields(rec, &f);
    if (rc)
        return rc;
    if (rec->type == SAMI_DI_DOT1X) {
        const struct sami_di_dot1x *d = &rec->u.dot1x;
        if (check_string(d->session_id, d->session_id_len) ||
            check_string(d->identity, d->identity_len) ||
            check_string(d->filter_id, d->filter_id_len))
            return SAMI_ERR_VALUE;
    }
    return 0;
}

/* ---- decode ---- */

/* Fixed value length of a type, 0 for the variable ones. */
static size_t fixed_len(uint8_t type)
{
    switch (type) {
    case SAMI_DI_DHCP: return SAMI_DI_DHCP_LEN;
    case SAMI_DI_DHCPV6: return SAMI_DI_DHCPV6_LEN;
    case SAMI_DI_ND: return SAMI_DI_ND_LEN;
    case SAMI_DI_ACL: return SAMI_DI_ACL_LEN;
    case SAMI_DI_IGMP: return SAMI_DI_IGMP_LEN;
    case SAMI_DI_COUNTERS: return SAMI_DI_COUNTERS_LEN;
    default: return 0;
    }
}

/* The value is `want` bytes long or the element length lies. Reported where
 * the two disagree: at the end of a short value, at the first extra byte of
 * a long one. */
static int need_exact(struct sami_rd *v, size_t want, const char *what)
{
    if (v->len == want)
        return 0;
    return sami_rd_fail_at(v, v->origin + (v->len < want ? v->len : want), SAMI_ERR_LENGTH, what);
}

static int need_min(struct sami_rd *v, size_t want, const char *what)
{
    if (v->len >= want)
        return 0;
    return sami_rd_fail_at(v, v->origin + v->len, SAMI_ERR_LENGTH, what);
}

/* Strings: length(1) + bytes. A length above SAMI_DI_STR_MAX or past the end
 * of the value is a lying length (LENGTH); a NUL is a bad value. */
static int rd_string(struct sami_rd *v, char *dst, uint8_t *dlen, const char *what)
{
    size_t at = sami_rd_offset(v);
    uint8_t n;
    if (sami_rd_left(v) < 1)
        return sami_rd_fail(v, SAMI_ERR_LENGTH, what);
    int rc = sami_rd_u8(v, &n, what);
    if (rc)
        return rc;
    if (n > SAMI_DI_STR_MAX || n > sami_rd_left(v))
        return sami_rd_fail_at(v, at, SAMI_ERR_LENGTH, what);
    size_t body = sami_rd_offset(v);
    rc = sami_rd_bytes(v, dst, n, what);
    if (rc)
        return rc;
    const char *nul = n ? memchr(dst, 0, n) : NULL;
    if (nul)
        return sami_rd_fail_at(v, body + (size_t)(nul - dst), SAMI_ERR_VALUE, what);
    dst[n] = '\0';
    *dlen = n;
    return 0;
}

/* Chains cursor reads: the first failure sticks in rc and stops the rest. */
#define RD(call)                                                                                   \
    do {                                                                                           \
        if (rc == 0)                                                                               \
            rc = (call);                                                                           \
    } while (0)

static int rd_fields(struct sami_rd *v, struct sami_di_record *out)
{
    int rc = 0;
    switch (out->type) {
    case SAMI_DI_DHCP: {
        struct sami_di_dhcp *d = &out->u.dhcp;
        RD(sami_rd_bytes(v, d->ipv4, 4, "di.dhcp.ipv4"));
        RD(sami_rd_bytes(v, d->mac, 6, "di.dhcp.mac"));
        RD(sami_rd_u16(v, &d->vlan, "di.dhcp.vlan"));
        RD(sami_rd_u32(v, &d->lease_remaining_ms, "di.dhcp.lease_remaining"));
        return rc;
    }
    case SAMI_DI_DHCPV6: {
        struct sami_di_dhcpv6 *d = &out->u.dhcpv6;
        RD(sami_rd_bytes(v, d->ipv6, 16, "di.dhcpv6.ipv6"));
        RD(sami_rd_bytes(v, d->mac, 6, "di.dhcpv6.mac"));
        RD(sami_rd_u16(v, &d->vlan, "di.dhcpv6.vlan"));
        RD(sami_rd_u32(v, &d->lease_remaining_ms, "di.dhcpv6.lease_remaining"));
        RD(sami_rd_u32(v, &d->iaid, "di.dhcpv6.iaid"));
        return rc;
    }
    case SAMI_DI_ND: {
        struct sami_di_nd *n = &out->u.nd;
        RD(sami_rd_bytes(v, n->ipv6, 16, "di.nd.ipv6"));
        RD(sami_rd_bytes(v, n->mac, 6, "di.nd.mac"));
        RD(sami_rd_u16(v, &n->vlan, "di.nd.vlan"));
        RD(sami_rd_u32(v, &n->lifetime_remaining_ms, "di.nd.lifetime_remaining"));
        RD(sami_rd_u8(v, &n->state, "di.nd.state"));
        return rc;
    }
    case SAMI_DI_DOT1X: {
        struct sami_di_dot1x *d = &out->u.dot1x;
        RD(sami_rd_bytes(v, d->mac, 6, "di.dot1x.mac"));
        RD(sami_rd_u8(v, &d->authorized, "di.dot1x.authorized"));
        RD(sami_rd_u8(v, &d->eap_method, "di.dot1x.eap_method"));
        RD(sami_rd_u16(v, &d->vlan, "di.dot1x.vlan"));
        RD(sami_rd_u32(v, &d->session_remaining_ms, "di.dot1x.session_remaining"));
        RD(sami_rd_u32(v, &d->reauth_remaining_ms, "di.dot1x.reauth_remaining"));
        RD(rd_string(v, d->session_id, &d->session_id_len, "di.dot1x.session_id"));
        RD(rd_string(v, d->identity, &d->identity_len, "di.dot1x.identity"));
        RD(rd_string(v, d->filter_id, &d->filter_id_len, "di.dot1x.filter_id"));
        if (rc == 0 && !sami_rd_done(v))
            rc = sami_rd_fail(v, SAMI_ERR_LENGTH, "di.dot1x.length");
        return rc;
    }
    case SAMI_DI_ACL: {
        struct sami_di_acl *a = &out->u.acl;
        RD(sami_rd_u32(v, &a->rule_id, "di.acl.rule_id"));
        RD(sami_rd_u8(v, &a->action, "di.acl.action"));
        RD(sami_rd_u8(v, &a->origin, "di.acl.origin"));
        RD(sami_rd_u8(v, &a->protocol, "di.acl.protocol"));
        RD(sami_rd_u8(v, &a->flags, "di.acl.flags"));
        RD(sami_rd_u8(v, &a->src_prefix_len, "di.acl.src_prefix_len"));
        RD(sami_rd_u8(v, &a->dst_prefix_len, "di.acl.dst_prefix_len"));
        RD(sami_rd_bytes(v, a->src, 16, "di.acl.src"));
        RD(sami_rd_bytes(v, a->dst, 16, "di.acl.dst"));
        RD(sami_rd_u16(v, &a->src_port_lo, "di.acl.src_port_lo"));
        RD(sami_rd_u16(v, &a->src_port_hi, "di.acl.src_port_hi"));
        RD(sami_rd_u16(v, &a->dst_port_lo, "di.acl.dst_port_lo"));
        RD(sami_rd_u16(v, &a->dst_port_hi, "di.acl.dst_port_hi"));
        RD(sami_rd_u16(v, &a->vlan, "di.acl.vlan"));
        RD(sami_rd_bytes(v, a->mac, 6, "di.acl.mac"));
        RD(sami_rd_u32(v, &a->rate_kbps, "di.acl.rate_kbps"));
        RD(sami_rd_u32(v, &a->lifetime_remaining_ms, "di.acl.lifetime_remaining"));
        return rc;
    }
    case SAMI_DI_IGMP: {
        struct sami_di_igmp *g = &out->u.igmp;
        RD(sami_rd_u8(v, &g->family, "di.igmp.family"));
        RD(sami_rd_u8(v, &g->filter_mode, "di.igmp.filter_mode"));
        RD(sami_rd_u16(v, &g->vlan, "di.igmp.vlan"));
        RD(sami_rd_bytes(v, g->group, 16, "di.igmp.group"));
        RD(sami_rd_bytes(v, g->source, 16, "di.igmp.source"));
        RD(sami_rd_u32(v, &g->timer_remaining_ms, "di.igmp.timer_remaining"));
        return rc;
    }
    case SAMI_DI_COUNTERS: {
        struct sami_di_counters *c = &out->u.counters;
        uint8_t reserved = 0;
        RD(sami_rd_u8(v, &c->direction, "di.counters.direction"));
        RD(sami_rd_u8(v, &reserved, "di.counters.reserved"));
        /* Not kept in the struct, so it must be 0 to re-encode identically. */
        if (rc == 0 && reserved != 0)
            rc = sami_rd_fail_at(v, v->origin + 3, SAMI_ERR_VALUE, "di.counters.reserved");
        RD(sami_rd_u64(v, &c->packets, "di.counters.packets"));
        RD(sami_rd_u64(v, &c->bytes, "di.counters.bytes"));
        RD(sami_rd_u32(v, &c->syn_count, "di.counters.syn_count"));
        RD(sami_rd_u32(v, &c->window_ms, "di.counters.window"));
        RD(sami_rd_u64(v, &c->rate_bps, "di.counters.rate_bps"));
        RD(sami_rd_u32(v, &c->rate_pps, "di.counters.rate_pps"));
        return rc;
    }
    case SAMI_DI_FIREWALL: {
        struct sami_di_firewall *s = &out->u.firewall;
        RD(sami_rd_u8(v, &s->family, "di.firewall.family"));
        RD(sami_rd_u8(v, &s->protocol, "di.firewall.protocol"));
        RD(sami_rd_u8(v, &s->state, "di.firewall.state"));
        RD(sami_rd_u8(v, &s->flags, "di.firewall.flags"));
        if (rc)
            return rc;
        /* The NAT flag decides the length; check it before reading on. */
        rc = need_exact(v, (s->flags & SAMI_DI_FW_F_NAT) ? SAMI_DI_FIREWALL_NAT_LEN
                                                         : SAMI_DI_FIREWALL_LEN,
                        "di.firewall.length");
        RD(sami_rd_u16(v, &s->vlan, "di.firewall.vlan"));
        RD(sami_rd_bytes(v, s->src, 16, "di.firewall.src"));
        RD(sami_rd_bytes(v, s->dst, 16, "di.firewall.dst"));
        RD(sami_rd_u16(v, &s->src_port, "di.firewall.src_port"));
        RD(sami_rd_u16(v, &s->dst_port, "di.firewall.dst_port"));
        RD(sami_rd_u32(v, &s->created_age_ms, "di.firewall.created_age"));
        RD(sami_rd_u32(v, &s->last_heard_age_ms, "di.firewall.last_heard_age"));
        RD(sami_rd_u32(v, &s->expiry_remaining_ms, "di.firewall.expiry_remaining"));
        if (s->flags & SAMI_DI_FW_F_NAT) {
            RD(sami_rd_bytes(v, s->nat_src, 16, "di.firewall.nat_src"));
            RD(sami_rd_bytes(v, s->nat_dst, 16, "di.firewall.nat_dst"));
            RD(sami_rd_u16(v, &s->nat_src_port, "di.firewall.nat_src_port"));
            RD(sami_rd_u16(v, &s->nat_dst_port, "di.firewall.nat_dst_port"));
        }
        return rc;
    }
    default:
        return sami_rd_fail(v, SAMI_ERR_TYPE, "di.type");
    }
}

static size_t member_size(uint8_t type)
{
    switch (type) {
    case SAMI_DI_DHCP: return sizeof(struct sami_di_dhcp);
    case SAMI_DI_DHCPV6: return sizeof(struct sami_di_dhcpv6);
    case SAMI_DI_ND: return sizeof(struct sami_di_nd);
    /* the strings are NUL-terminated by the decoder; only the fixed part */
    case SAMI_DI_DOT1X: return offsetof(struct sami_di_dot1x, session_id) + 1;
    case SAMI_DI_ACL: return sizeof(struct sami_di_acl);
    case SAMI_DI_IGMP: return sizeof(struct sami_di_igmp);
    case SAMI_DI_COUNTERS: return sizeof(struct sami_di_counters);
    case SAMI_DI_FIREWALL: return sizeof(struct sami_di_firewall);
    default: return 0;
    }
}

static int rd_value(struct sami_rd *v, uint8_t type, struct sami_di_record *out)
{
    /* header + the member of this type only: the union is sized by the
     * 802.1X strings (792 octets) and clearing it dominated small records */
    memset(out, 0, offsetof(struct sami_di_record, u) + member_size(type));
    if (type == SAMI_DI_DOT1X) /* strings stay C strings even on failure */
        out->u.dot1x.identity[0] = out->u.dot1x.filter_id[0] = '\0';
    out->type = type;
    if (type < 1 || type > SAMI_DI_TYPE_MAX)
        return sami_rd_fail(v, SAMI_ERR_TYPE, "di.type");
    /* Version first: another version may have another length. */
    if (v->len < 1)
        return sami_rd_fail(v, SAMI_ERR_LENGTH, "di.version");
    int rc = sami_rd_u8(v, &out->version, "di.version");
    if (rc)
        return rc;
    if (out->version != sami_di_current_version(type))
        return sami_rd_fail_at(v, v->origin, SAMI_ERR_VERSION, "di.version");
    size_t want = fixed_len(type);
    if (want)
        rc = need_exact(v, want, "di.length");
    else if (type == SAMI_DI_DOT1X)
        rc = need_min(v, SAMI_DI_DOT1X_MIN_LEN, "di.length");
    else
        rc = need_min(v, SAMI_DI_FIREWALL_LEN, "di.length");
    if (rc)
        return rc;
    RD(sami_rd_u8(v, &out->op, "di.op"));
    RD(rd_fields(v, out));
    if (rc)
        return rc;
    struct check_fail f;
    rc = check_fields(out, &f);
    if (rc)
        return sami_rd_fail_at(v, v->origin + f.off, rc, f.what);
    return 0;
}

int sami_di_read(struct sami_rd *r, uint8_t type, size_t len, struct sami_di_record *out)
{
    struct sami_rd v;
    int saved = r->tlv_type;
    r->tlv_type = (int)SAMI_DI_ELEMENT_TYPE(type);
    int rc = sami_rd_sub(r, &v, len, r->tlv_type, "di.length");
    r->tlv_type = saved;
    if (rc)
        return rc;
    return rd_value(&v, type, out);
}

int sami_di_decode(uint8_t type, const uint8_t *value, size_t len, struct sami_di_record *out,
                   struct sami_err *err)
{
    /* An empty value may come as NULL; give the cursor a real address so no
     * offset is ever applied to a null pointer. */
    static const uint8_t empty[1];
    struct sami_rd r;
    sami_rd_init(&r, value ? value : empty, value ? len : 0, err);
    if (!out || (!value && len))
        return sami_rd_fail(&r, SAMI_ERR_INVAL, "di");
    return sami_di_read(&r, type, len, out);
}

/* ---- encode ---- */

static void wr_string(struct sami_wr *w, const char *s, uint8_t n)
{
    /* Clamped so an unchecked record never reads past its array. */
    if (n > SAMI_DI_STR_MAX)
        n = SAMI_DI_STR_MAX;
    sami_wr_u8(w, n);
    sami_wr_bytes(w, s, n);
}

void sami_di_write(struct sami_wr *w, const struct sami_di_record *in)
{
    if (in->type < 1 || in->type > SAMI_DI_TYPE_MAX)
        return;
    sami_wr_u8(w, in->version);
    sami_wr_u8(w, in->op);
    switch (in->type) {
    case SAMI_DI_DHCP: {
        const struct sami_di_dhcp *d = &in->u.dhcp;
        sami_wr_bytes(w, d->ipv4, 4);
        sami_wr_bytes(w, d->mac, 6);
        sami_wr_u16(w, d->vlan);
        sami_wr_u32(w, d->lease_remaining_ms);
        break;
    }
    case SAMI_DI_DHCPV6: {
        const struct sami_di_dhcpv6 *d = &in->u.dhcpv6;
        sami_wr_bytes(w, d->ipv6, 16);
        sami_wr_bytes(w, d->mac, 6);
        sami_wr_u16(w, d->vlan);
        sami_wr_u32(w, d->lease_remaining_ms);
        sami_wr_u32(w, d->iaid);
        break;
    }
    case SAMI_DI_ND: {
        const struct sami_di_nd *n = &in->u.nd;
        sami_wr_bytes(w, n->ipv6, 16);
        sami_wr_bytes(w, n->mac, 6);
        sami_wr_u16(w, n->vlan);
        sami_wr_u32(w, n->lifetime_remaining_ms);
        sami_wr_u8(w, n->state);
        break;
    }
    case SAMI_DI_DOT1X: {
        const struct sami_di_dot1x *d = &in->u.dot1x;
        sami_wr_bytes(w, d->mac, 6);
        sami_wr_u8(w, d->authorized);
        sami_wr_u8(w, d->eap_method);
        sami_wr_u16(w, d->vlan);
        sami_wr_u32(w, d->session_remaining_ms);
        sami_wr_u32(w, d->reauth_remaining_ms);
        wr_string(w, d->session_id, d->session_id_len);
        wr_string(w, d->identity, d->identity_len);
        wr_string(w, d->filter_id, d->filter_id_len);
        break;
    }
    case SAMI_DI_ACL: {
        const struct sami_di_acl *a = &in->u.acl;
        sami_wr_u32(w, a->rule_id);
        sami_wr_u8(w, a->action);
        sami_wr_u8(w, a->origin);
        sami_wr_u8(w, a->protocol);
        sami_wr_u8(w, a->flags);
        sami_wr_u8(w, a->src_prefix_len);
        sami_wr_u8(w, a->dst_prefix_len);
        sami_wr_bytes(w, a->src, 16);
        sami_wr_bytes(w, a->dst, 16);
        sami_wr_u16(w, a->src_port_lo);
        sami_wr_u16(w, a->src_port_hi);
        sami_wr_u16(w, a->dst_port_lo);
        sami_wr_u16(w, a->dst_port_hi);
        sami_wr_u16(w, a->vlan);
        sami_wr_bytes(w, a->mac, 6);
        sami_wr_u32(w, a->rate_kbps);
        sami_wr_u32(w, a->lifetime_remaining_ms);
        break;
    }
    case SAMI_DI_IGMP: {
        const struct sami_di_igmp *g = &in->u.igmp;
        sami_wr_u8(w, g->family);
        sami_wr_u8(w, g->filter_mode);
        sami_wr_u16(w, g->vlan);
        sami_wr_bytes(w, g->group, 16);
        sami_wr_bytes(w, g->source, 16);
        sami_wr_u32(w, g->timer_remaining_ms);
        break;
    }
    case SAMI_DI_COUNTERS: {
        const struct sami_di_counters *c = &in->u.counters;
        sami_wr_u8(w, c->direction);
        sami_wr_u8(w, 0); /* reserved */
        sami_wr_u64(w, c->packets);
        sami_wr_u64(w, c->bytes);
        sami_wr_u32(w, c->syn_count);
        sami_wr_u32(w, c->window_ms);
        sami_wr_u64(w, c->rate_bps);
        sami_wr_u32(w, c->rate_pps);
        break;
    }
    case SAMI_DI_FIREWALL: {
        const struct sami_di_firewall *s = &in->u.firewall;
        sami_wr_u8(w, s->family);
        sami_wr_u8(w, s->protocol);
        sami_wr_u8(w, s->state);
        sami_wr_u8(w, s->flags);
        sami_wr_u16(w, s->vlan);
        sami_wr_bytes(w, s->src, 16);
        sami_wr_bytes(w, s->dst, 16);
        sami_wr_u16(w, s->src_port);
        sami_wr_u16(w, s->dst_port);
        sami_wr_u32(w, s->created_age_ms);
        sami_wr_u32(w, s->last_heard_age_ms);
        sami_wr_u32(w, s->expiry_remaining_ms);
        if (s->flags & SAMI_DI_FW_F_NAT) {
            sami_wr_bytes(w, s->nat_src, 16);
            sami_wr_bytes(w, s->nat_dst, 16);
            sami_wr_u16(w, s->nat_src_port);
            sami_wr_u16(w, s->nat_dst_port);
        }
        break;
    }
    default:
        break;
    }
}

size_t sami_di_encoded_len(const struct sami_di_record *rec)
{
    if (!rec)
        return 0;
    struct sami_wr w;
    sami_wr_init(&w, NULL, 0);
    sami_di_write(&w, rec);
    return w.pos;
}

int sami_di_encode(const struct sami_di_record *in, uint8_t *buf, size_t cap, size_t *len)
{
    if (len)
        *len = 0;
    int rc = sami_di_validate(in);
    if (rc)
        return rc;
    struct sami_wr w;
    sami_wr_init(&w, buf, cap);
    sami_di_write(&w, in);
    return sami_wr_finish(&w, len);
}

/* ---- keys ---- */

#define DI_KEY_MAX 48 /* largest key: firewall, 1 + 40 octets */

/* Serialises type + key fields in wire order into buf (DI_KEY_MAX); returns
 * the length, 0 for an unknown type. Equality and hash both use it, so they
 * cannot disagree. */
static size_t key_bytes(const struct sami_di_record *rec, uint8_t *buf)
{
    struct sami_wr w;
    sami_wr_init(&w, buf, DI_KEY_MAX);
    sami_wr_u8(&w, rec->type);
    switch (rec->type) {
    case SAMI_DI_DHCP:
        sami_wr_bytes(&w, rec->u.dhcp.ipv4, 4);
        sami_wr_u16(&w, rec->u.dhcp.vlan);
        break;
    case SAMI_DI_DHCPV6:
        sami_wr_bytes(&w, rec->u.dhcpv6.ipv6, 16);
        sami_wr_u16(&w, rec->u.dhcpv6.vlan);
        sami_wr_u32(&w, rec->u.dhcpv6.iaid);
        break;
    case SAMI_DI_ND:
        sami_wr_bytes(&w, rec->u.nd.ipv6, 16);
        sami_wr_u16(&w, rec->u.nd.vlan);
        break;
    case SAMI_DI_DOT1X:
        sami_wr_bytes(&w, rec->u.dot1x.mac, 6);
        break;
    case SAMI_DI_ACL:
        sami_wr_u32(&w, rec->u.acl.rule_id);
        break;
    case SAMI_DI_IGMP:
        sami_wr_u8(&w, rec->u.igmp.family);
        sami_wr_u16(&w, rec->u.igmp.vlan);
        sami_wr_bytes(&w, rec->u.igmp.group, 16);
        sami_wr_bytes(&w, rec->u.igmp.source, 16);
        break;
    case SAMI_DI_COUNTERS:
        sami_wr_u8(&w, rec->u.counters.direction);
        break;
    case SAMI_DI_FIREWALL: {
        const struct sami_di_firewall *s = &rec->u.firewall;
        sami_wr_u8(&w, s->family);
        sami_wr_u8(&w, s->protocol);
        sami_wr_bytes(&w, s->src, 16);
        sami_wr_bytes(&w, s->dst, 16);
        sami_wr_u16(&w, s->src_port);
        sami_wr_u16(&w, s->dst_port);
        sami_wr_u16(&w, s->vlan);
        break;
    }
    default:
        return 0;
    }
    return w.pos;
}

bool sami_di_key_equal(const struct sami_di_record *a, const struct sami_di_record *b)
{
    if (!a || !b || a->type != b->type)
        return false;
    uint8_t ka[DI_KEY_MAX], kb[DI_KEY_MAX];
    size_t na = key_bytes(a, ka), nb = key_bytes(b, kb);
    return na != 0 && na == nb && memcmp(ka, kb, na) == 0;
}

uint64_t sami_di_key_hash(const struct sami_di_record *rec)
{
    if (!rec)
        return 0;
    uint8_t k[DI_KEY_MAX];
    size_t n = key_bytes(rec, k);
    if (n == 0)
        return 0;
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    for (size_t i = 0; i < n; i++) {
        h ^= k[i];
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* ---- rebase ---- */

static void remaining_sub(uint32_t *t, uint32_t elapsed)
{
    if (*t != SAMI_DI_INFINITE)
        *t = *t > elapsed ? *t - elapsed : 0;
}

static void age_add(uint32_t *t, uint32_t elapsed)
{
    *t = *t > UINT32_MAX - elapsed ? UINT32_MAX : *t + elapsed;
}

void sami_di_rebase(struct sami_di_record *rec, uint32_t elapsed_ms)
{
    if (!rec)
        return;
    switch (rec->type) {
    case SAMI_DI_DHCP:
        remaining_sub(&rec->u.dhcp.lease_remaining_ms, elapsed_ms);
        break;
    case SAMI_DI_DHCPV6:
        remaining_sub(&rec->u.dhcpv6.lease_remaining_ms, elapsed_ms);
        break;
    case SAMI_DI_ND:
        remaining_sub(&rec->u.nd.lifetime_remaining_ms, elapsed_ms);
        break;
    case SAMI_DI_DOT1X:
        remaining_sub(&rec->u.dot1x.session_remaining_ms, elapsed_ms);
        remaining_sub(&rec->u.dot1x.reauth_remaining_ms, elapsed_ms);
        break;
    case SAMI_DI_ACL:
        remaining_sub(&rec->u.acl.lifetime_remaining_ms, elapsed_ms);
        break;
    case SAMI_DI_IGMP:
        remaining_sub(&rec->u.igmp.timer_remaining_ms, elapsed_ms);
        break;
    case SAMI_DI_FIREWALL:
        age_add(&rec->u.firewall.created_age_ms, elapsed_ms);
        age_add(&rec->u.firewall.last_heard_age_ms, elapsed_ms);
        remaining_sub(&rec->u.firewall.expiry_remaining_ms, elapsed_ms);
        break;
    default:
        break; /* counters carry no timers: the window is a duration */
    }
}
